//! What a client process costs: its CPU time (all threads) and its resident memory.

use std::time::Duration;

/// CPU time consumed so far by the whole process (every thread), user and system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuTime {
    /// Time spent running the process's own code.
    pub user: Duration,
    /// Time the kernel spent on its behalf (socket I/O, epoll, futexes, `getrandom`).
    pub system: Duration,
}

impl CpuTime {
    /// `getrusage(RUSAGE_SELF)`: microsecond resolution, all threads of the process.
    pub fn now() -> CpuTime {
        // SAFETY: `getrusage` only writes into the struct it is given.
        let usage = unsafe {
            let mut usage: libc::rusage = std::mem::zeroed();
            let rc = libc::getrusage(libc::RUSAGE_SELF, &mut usage);
            assert_eq!(rc, 0, "getrusage(RUSAGE_SELF) cannot fail");
            usage
        };
        let time = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
        CpuTime {
            user: time(usage.ru_utime),
            system: time(usage.ru_stime),
        }
    }

    /// User plus system time.
    pub fn total(&self) -> Duration {
        self.user + self.system
    }

    /// The CPU time spent between `earlier` and `self`.
    pub fn since(&self, earlier: CpuTime) -> CpuTime {
        CpuTime {
            user: self.user.saturating_sub(earlier.user),
            system: self.system.saturating_sub(earlier.system),
        }
    }
}

/// The process's resident set size now (`VmRSS` of `/proc/self/status`), in bytes.
pub fn resident_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status is readable on Linux");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().strip_suffix("kB"))
        .and_then(|kb| kb.trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .expect("/proc/self/status has a VmRSS line in kB")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_time_only_grows_and_rss_is_plausible() {
        let before = CpuTime::now();
        // Burn a little CPU so that a coarse clock would still have to move.
        let mut x = 0u64;
        for i in 0..5_000_000u64 {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(i));
        }
        let after = CpuTime::now();
        assert!(after.total() >= before.total());
        assert_eq!(after.since(before).total(), after.total() - before.total());
        let rss = resident_bytes();
        // A running test binary maps at least its own code, and no test process is 64 GiB.
        assert!(rss > 100 * 1024 && rss < 64 << 30, "{rss}");
    }
}
