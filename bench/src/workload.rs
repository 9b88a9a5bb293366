//! The measured work: N exchanges, one after the other or with K in flight, on one client.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::task::JoinSet;

use crate::authorization_code;
use crate::baseline::Baseline;
use crate::measure::CpuTime;
use crate::sdk::Sdk;

/// A client the workload can drive: one complete exchange, checked.
pub trait Exchanger: Send + Sync + 'static {
    /// Exchanges authorization code number `i` and checks that the answer is what the client
    /// reports on success (bound tokens with DPoP, validated ID token claims).
    fn exchange_nth(&self, i: u64) -> impl Future<Output = Result<(), String>> + Send;
}

impl Exchanger for Sdk {
    async fn exchange_nth(&self, i: u64) -> Result<(), String> {
        let tokens = Sdk::exchange(self, authorization_code(i))
            .await
            .map_err(|e| e.to_string())?;
        if tokens.is_dpop_bound() != self.uses_dpop() || tokens.id_token_claims.is_some() != self.validates_id_tokens()
        {
            return Err("the SDK returned tokens without the expected binding or claims".into());
        }
        Ok(())
    }
}

impl Exchanger for Baseline {
    async fn exchange_nth(&self, i: u64) -> Result<(), String> {
        let tokens = Baseline::exchange(self, &authorization_code(i))
            .await
            .map_err(|e| e.to_string())?;
        if tokens.claims.is_some() != self.validates_id_tokens() || tokens.id_token.is_none() {
            return Err("the baseline returned tokens without the expected ID token or claims".into());
        }
        Ok(())
    }
}

/// Runs exchanges `first..first + count` with `in_flight` of them running at once (1: one
/// after the other). Fails with the first error.
pub async fn run<E: Exchanger>(client: &Arc<E>, first: u64, count: u64, in_flight: usize) -> Result<(), String> {
    let end = first + count;
    if in_flight <= 1 {
        for i in first..end {
            client.exchange_nth(i).await?;
        }
        return Ok(());
    }
    let next = Arc::new(AtomicU64::new(first));
    let mut tasks = JoinSet::new();
    for _ in 0..in_flight {
        let (client, next) = (client.clone(), next.clone());
        tasks.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= end {
                    return Ok::<(), String>(());
                }
                client.exchange_nth(i).await?;
            }
        });
    }
    while let Some(joined) = tasks.join_next().await {
        joined.map_err(|e| format!("an exchange task failed: {e}"))??;
    }
    Ok(())
}

/// What a measured run cost the client process.
#[derive(Debug, Clone, Copy)]
pub struct Cost {
    /// Exchanges completed.
    pub exchanges: u64,
    /// CPU time of the whole process over those exchanges.
    pub cpu: CpuTime,
    /// Wall-clock time over those exchanges.
    pub wall: Duration,
}

/// Runs `warmup` exchanges unmeasured, then `count` measured ones, on `runtime`.
///
/// The measured part is its own function, never inlined, so that a profiler can restrict
/// itself to it (`valgrind --tool=callgrind --toggle-collect='*measured_exchanges*'`): on a
/// current-thread runtime every task of the client, its HTTP connections included, is polled
/// inside it.
pub fn warm_then_measure<E: Exchanger>(
    runtime: &tokio::runtime::Runtime,
    client: &Arc<E>,
    warmup: u64,
    count: u64,
    in_flight: usize,
) -> Result<Cost, String> {
    runtime.block_on(run(client, 0, warmup, in_flight))?;
    measured_exchanges(runtime, client, warmup, count, in_flight)
}

#[inline(never)]
fn measured_exchanges<E: Exchanger>(
    runtime: &tokio::runtime::Runtime,
    client: &Arc<E>,
    first: u64,
    count: u64,
    in_flight: usize,
) -> Result<Cost, String> {
    let (cpu, wall) = (CpuTime::now(), Instant::now());
    runtime.block_on(run(client, first, count, in_flight))?;
    Ok(Cost {
        exchanges: count,
        cpu: CpuTime::now().since(cpu),
        wall: wall.elapsed(),
    })
}
