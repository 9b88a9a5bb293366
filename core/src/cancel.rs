//! Cancelling calls in flight: the one producer of [`Error::Cancelled`].
//!
//! Dropping a future cancels it in Rust, so a Rust caller rarely needs this. Callers that
//! cannot drop what they started — a C thread blocked in a call, a Swift `Task` whose
//! continuation uniffi never abandons — hold a [`CancellationToken`] instead, run the call
//! through [`CancellationToken::run`], and cancel the token from elsewhere.

use std::future::{Future, poll_fn};
use std::pin::pin;
use std::task::Poll;

use tokio::sync::watch;

use crate::error::Error;

/// Cancels the calls run through it: [`CancellationToken::cancel`], from any thread, makes
/// every call in [`CancellationToken::run`] stop at once (its future is dropped, which aborts
/// its HTTP request) and fail with [`Error::Cancelled`]. A call started after `cancel` fails
/// at once. One token serves any number of calls; it cannot be reset.
///
/// ```no_run
/// # async fn sign_in(
/// #     client: &token_exchange::Client,
/// #     request: &token_exchange::NativeSocialExchange,
/// #     cancel: &token_exchange::CancellationToken,
/// # ) -> Result<token_exchange::TokenSet, token_exchange::Error> {
/// // `cancel.cancel()` from another thread or task ends this with `Error::Cancelled`.
/// let tokens = cancel.run(client.native_social_exchange(request)).await?;
/// # Ok(tokens)
/// # }
/// ```
#[derive(Debug)]
pub struct CancellationToken {
    cancelled: watch::Sender<bool>,
}

impl Default for CancellationToken {
    fn default() -> Self {
        CancellationToken {
            cancelled: watch::Sender::new(false),
        }
    }
}

impl CancellationToken {
    /// A token that is not cancelled.
    pub fn new() -> Self {
        Self::default()
    }

    /// Cancels every call using this token. Idempotent, thread-safe, never blocks.
    pub fn cancel(&self) {
        self.cancelled.send_replace(true);
    }

    /// Whether [`Self::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        *self.cancelled.borrow()
    }

    /// Runs `work` until it completes or the token is cancelled, whichever comes first. On
    /// cancellation `work` is dropped and the result is [`Error::Cancelled`]; a request it had
    /// started may have reached the server.
    pub async fn run<T>(&self, work: impl Future<Output = Result<T, Error>>) -> Result<T, Error> {
        if self.is_cancelled() {
            return Err(Error::Cancelled);
        }
        let mut rx = self.cancelled.subscribe();
        // The sender lives in `self`, so the channel cannot close while we wait.
        let mut cancelled = pin!(rx.wait_for(|cancelled| *cancelled));
        let mut work = pin!(work);
        poll_fn(|cx| {
            if cancelled.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Err(Error::Cancelled));
            }
            work.as_mut().poll(cx)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_cancelled_token_stops_the_work_and_says_so() {
        let token = CancellationToken::new();
        assert_eq!(token.run(async { Ok(7) }).await.unwrap(), 7);
        let started = tokio::sync::Notify::new();
        let outcome = tokio::join!(
            token.run(async {
                started.notify_one();
                std::future::pending::<Result<(), Error>>().await
            }),
            async {
                started.notified().await;
                token.cancel();
            }
        );
        assert!(matches!(outcome.0, Err(Error::Cancelled)));
        assert!(token.is_cancelled());
        // Started after `cancel`: never runs.
        let ran = std::sync::atomic::AtomicBool::new(false);
        let late = token
            .run(async {
                ran.store(true, std::sync::atomic::Ordering::SeqCst);
                Ok(())
            })
            .await;
        assert!(matches!(late, Err(Error::Cancelled)));
        assert!(!ran.load(std::sync::atomic::Ordering::SeqCst));
    }
}
