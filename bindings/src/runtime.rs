//! The library's own tokio runtime, and how foreign async calls are run and cancelled on it.
//!
//! uniffi never cancels a Rust future by itself. What the generated code does on cancellation
//! (uniffi 0.32):
//!
//! * **Kotlin** suspends in `suspendCancellableCoroutine`; when the coroutine is cancelled it
//!   leaves the loop and its `finally` calls `rust_future_free`, which drops the Rust future.
//!   Dropping [`run`]'s future drops the [`AbortOnDrop`] guard, which aborts the spawned task
//!   and with it the in-flight HTTP request. Nothing more is needed.
//! * **Swift** suspends in `withUnsafeContinuation`, which ignores `Task` cancellation: the
//!   Rust future is only freed once it completes. So the Swift layer passes a
//!   [`CancellationToken`] and cancels it from `withTaskCancellationHandler`; [`run`] watches
//!   the token (the library's [`token_exchange::CancellationToken::run`]), which drops the
//!   task, aborting it, and returns `Cancelled` at once.
//!
//! The same token serves C callers and anyone who wants to cancel explicitly. It is a handle on
//! the library's [`token_exchange::CancellationToken`], which produces the `Cancelled` error.

use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::task::{Context, Poll};

use tokio::runtime::Handle;
use tokio::task::{JoinError, JoinHandle};

use crate::error::TokenExchangeError;

/// The handle of the runtime every call runs on, started on first use and never shut down (it
/// lives as long as the process, like the library).
///
/// One I/O thread (`token-exchange`) drives it: token requests are few, short and I/O-bound,
/// and a current-thread scheduler is much smaller in the mobile binary than the work-stealing
/// one. Nothing CPU-heavy or blocking runs on it: a foreign DPoP signer that may block (a
/// biometric prompt) signs on tokio's blocking pool.
pub(crate) fn runtime() -> &'static Handle {
    static RUNTIME: OnceLock<Handle> = OnceLock::new();
    RUNTIME.get_or_init(start)
}

/// Starts the runtime's thread and returns the runtime's handle.
///
/// Never inlined: the C tests' valgrind suppressions (`bindings/tests/c/valgrind.supp`) name
/// this frame (`token_exchange_ffi::runtime::start`) to recognise the runtime thread's
/// bookkeeping, and they must recognise it in the release build `cargo xtask install`
/// installs (which the consumer projects run under valgrind) as in the debug build.
#[inline(never)]
fn start() -> Handle {
    // Built on its own thread, so the caller's (a C program's main thread, say) gets none of
    // std's or tokio's per-thread state; a mutex and condvar, not a channel, for the same
    // reason (a channel registers the waiting thread with std).
    let started = Arc::new((Mutex::new(None), Condvar::new()));
    let report = started.clone();
    std::thread::Builder::new()
        .name("token-exchange".into())
        .spawn(move || {
            let built = tokio::runtime::Builder::new_current_thread()
                .thread_name("token-exchange-blocking")
                .enable_all()
                .build();
            let (handle, runtime) = match built {
                Ok(runtime) => (Ok(runtime.handle().clone()), Some(runtime)),
                Err(e) => (Err(e), None),
            };
            let (slot, ready) = &*report;
            *slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(handle);
            ready.notify_one();
            // Only `Runtime::block_on` drives a current-thread runtime's I/O and timers:
            // this thread does so for the life of the process.
            if let Some(runtime) = runtime {
                runtime.block_on(std::future::pending::<()>());
            }
        })
        .expect("the token-exchange runtime thread could not start");
    let (slot, ready) = &*started;
    let mut slot = slot.lock().unwrap_or_else(|p| p.into_inner());
    loop {
        match slot.take() {
            Some(handle) => {
                break handle.expect("the token-exchange runtime could not start (no I/O driver)");
            }
            None => slot = ready.wait(slot).unwrap_or_else(|p| p.into_inner()),
        }
    }
}

/// Cancels the calls it is passed to: cancel it from another thread, a Swift
/// `withTaskCancellationHandler` or a Kotlin `invokeOnCancellation`, and every call using it
/// stops its HTTP request and fails with `Cancelled`. Calls started after `cancel()` fail at
/// once. One token can serve several calls; it cannot be reset. (The library's
/// [`token_exchange::CancellationToken`], which produces the `Cancelled` error.)
#[derive(Debug, Default, uniffi::Object)]
pub struct CancellationToken {
    token: token_exchange::CancellationToken,
}

#[uniffi::export]
impl CancellationToken {
    /// A token that is not cancelled.
    #[uniffi::constructor]
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Cancels every call using this token. Idempotent, thread-safe, never blocks.
    pub fn cancel(&self) {
        self.token.cancel();
    }

    /// Whether `cancel` was called.
    pub fn is_cancelled(&self) -> bool {
        self.token.is_cancelled()
    }
}

/// A spawned task that is aborted when this handle is dropped (the foreign caller went away).
struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl<T> Future for AbortOnDrop<T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx)
    }
}

/// What every call spawns on the runtime.
type BoxedWork = Pin<Box<dyn Future<Output = Result<Box<dyn Any + Send>, token_exchange::Error>> + Send>>;

/// Runs `work` on the library's runtime and waits for it from whatever executor polls this
/// future (uniffi's foreign-driven one, or [`block_on`]). Dropping this future, or cancelling
/// `cancellation`, aborts `work`.
pub(crate) async fn run<F, T>(work: F, cancellation: Option<Arc<CancellationToken>>) -> Result<T, TokenExchangeError>
where
    F: Future<Output = Result<T, token_exchange::Error>> + Send + 'static,
    T: Send + 'static,
{
    // Everything below the boxing is shared by all calls: one tokio task type and one copy of
    // the cancellation race in the binary, not one per exported method.
    let work: BoxedWork = Box::pin(async move { work.await.map(|t| Box::new(t) as Box<dyn Any + Send>) });
    let output = run_boxed(work, cancellation).await?;
    Ok(*output.downcast::<T>().expect("the task returns what `work` returns"))
}

async fn run_boxed(
    work: BoxedWork,
    cancellation: Option<Arc<CancellationToken>>,
) -> Result<Box<dyn Any + Send>, TokenExchangeError> {
    // A call started with a cancelled token must not start its work: once spawned, the work
    // runs on the runtime's thread at once and may send its request (spending an Apple code)
    // before the race below sees the cancellation.
    if cancellation.as_ref().is_some_and(|c| c.is_cancelled()) {
        return Err(token_exchange::Error::Cancelled.into());
    }
    let task = AbortOnDrop(runtime().spawn(work));
    let joined = match cancellation {
        None => task.await,
        // On cancellation the library drops `task`, which aborts it.
        Some(c) => c.token.run(async { Ok(task.await) }).await?,
    };
    match joined {
        Ok(result) => result.map_err(TokenExchangeError::from),
        // A panic in the library is a bug: let the caller's panic handling (uniffi's
        // InternalException, the C API's catch_unwind) report it.
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        // Only an abort ends a task early, and only a dropped call aborts one.
        Err(_) => Err(token_exchange::Error::Cancelled.into()),
    }
}

/// Blocks the calling (foreign, non-runtime) thread until `future` completes: the C API's
/// blocking calls. Work spawned inside `future` runs on the runtime's thread.
#[cfg(any(feature = "c-api", test))]
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    runtime().block_on(future)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn runtime_threads_are_named() {
        let name = block_on(async {
            runtime()
                .spawn(async { std::thread::current().name().map(str::to_owned) })
                .await
                .unwrap()
        });
        assert_eq!(name.as_deref(), Some("token-exchange"));
    }

    #[test]
    fn an_already_cancelled_call_never_starts_its_work() {
        use std::sync::atomic::{AtomicBool, Ordering};
        /// Sets its flag when dropped.
        struct Dropped(Arc<AtomicBool>);
        impl Drop for Dropped {
            fn drop(&mut self) {
                self.0.store(true, Ordering::SeqCst);
            }
        }
        let token = CancellationToken::new();
        token.cancel();
        let (polled, dropped) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicBool::new(false)));
        let (polled_flag, guard) = (polled.clone(), Dropped(dropped.clone()));
        let work = async move {
            let _guard = guard;
            polled_flag.store(true, Ordering::SeqCst);
            Ok::<_, token_exchange::Error>(())
        };
        let result = block_on(run(work, Some(token)));
        assert!(matches!(result, Err(TokenExchangeError::Cancelled { .. })));
        // Dropped by the call itself, unpolled: it never went to the runtime, where it could
        // have sent its request before the cancellation was seen.
        assert!(dropped.load(Ordering::SeqCst), "the work was handed to the runtime");
        assert!(!polled.load(Ordering::SeqCst), "the work started");
    }

    #[test]
    fn cancelling_the_token_aborts_the_work() {
        let token = CancellationToken::new();
        let finished = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = finished.clone();
        let work = async move {
            tokio::time::sleep(Duration::from_millis(500)).await;
            flag.store(true, std::sync::atomic::Ordering::SeqCst);
            Ok::<_, token_exchange::Error>(())
        };
        let canceller = token.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            canceller.cancel();
        });
        let result = block_on(run(work, Some(token.clone())));
        assert!(matches!(result, Err(TokenExchangeError::Cancelled { .. })));
        std::thread::sleep(Duration::from_millis(700));
        assert!(
            !finished.load(std::sync::atomic::Ordering::SeqCst),
            "the work was not aborted"
        );
        // Already cancelled: fails before starting.
        let result = block_on(run(async { Ok::<_, token_exchange::Error>(1) }, Some(token)));
        assert!(matches!(result, Err(TokenExchangeError::Cancelled { .. })));
    }

    #[test]
    fn dropping_the_future_aborts_the_work() {
        let finished = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = finished.clone();
        let work = async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            flag.store(true, std::sync::atomic::Ordering::SeqCst);
            Ok::<_, token_exchange::Error>(())
        };
        // What Kotlin's rust_future_free does: drop the future before it completes.
        let outcome = block_on(async { tokio::time::timeout(Duration::from_millis(50), run(work, None)).await });
        assert!(outcome.is_err(), "the timeout dropped the call");
        std::thread::sleep(Duration::from_millis(500));
        assert!(
            !finished.load(std::sync::atomic::Ordering::SeqCst),
            "the work was not aborted"
        );
    }

    #[test]
    fn results_and_errors_pass_through() {
        assert_eq!(
            block_on(run(async { Ok::<_, token_exchange::Error>(7) }, None)).unwrap(),
            7
        );
        let err = block_on(run(
            async { Err::<(), _>(token_exchange::Error::DpopKeyMissing) },
            Some(CancellationToken::new()),
        ))
        .unwrap_err();
        assert!(matches!(err, TokenExchangeError::DpopKeyMissing { .. }));
    }
}
