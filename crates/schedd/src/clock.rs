//! The daemon's only source of time.
//!
//! [`Clock::System`] reads the wall clock and sleeps on a CLOCK_REALTIME
//! timerfd armed at the absolute due instant with TFD_TIMER_CANCEL_ON_SET:
//! the daemon wakes exactly when something is due, never otherwise, and at
//! once when the clock is set (`date -s`, an NTP step). [`Clock::Mock`] is
//! chosen only by `schedd --mock-clock` for tests: its time moves only when
//! the scheduler is told to move it, so its sleeps never end by themselves.

use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::sync::{Arc, Mutex};

use jiff::Timestamp;
use nix::errno::Errno;
use nix::sys::time::TimeSpec;
use nix::sys::timerfd::{ClockId, Expiration, TimerFd, TimerFlags, TimerSetTimeFlags};
use tokio::io::unix::AsyncFd;

/// Wall time for the daemon: real or mocked.
#[derive(Debug, Clone)]
pub enum Clock {
    System,
    Mock(Arc<Mutex<Timestamp>>),
}

/// Why a sleep ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    /// The deadline passed.
    Due,
    /// The wall clock was set; due instants must be looked at again.
    ClockSet,
}

impl Clock {
    /// A mock clock that reads `start` until it is set.
    pub fn mock(start: Timestamp) -> Clock {
        Clock::Mock(Arc::new(Mutex::new(start)))
    }

    pub fn now(&self) -> Timestamp {
        match self {
            Clock::System => Timestamp::now(),
            // A poisoned lock still holds a valid instant.
            Clock::Mock(now) => *now.lock().unwrap_or_else(|e| e.into_inner()),
        }
    }

    pub fn is_mock(&self) -> bool {
        matches!(self, Clock::Mock(_))
    }

    /// Moves a mock clock to `to`; a system clock is not ours to set.
    pub fn set(&self, to: Timestamp) {
        if let Clock::Mock(now) = self {
            *now.lock().unwrap_or_else(|e| e.into_inner()) = to;
        }
    }
}

/// Sleeps of the scheduler. One timer lives as long as the scheduler, and
/// each sleep re-arms it.
#[derive(Debug)]
pub struct Timer {
    clock: Clock,
    fd: Option<AsyncFd<TimerHandle>>,
}

#[derive(Debug)]
struct TimerHandle(TimerFd);

impl AsRawFd for TimerHandle {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_fd().as_raw_fd()
    }
}

impl Timer {
    pub fn new(clock: Clock) -> std::io::Result<Timer> {
        let fd = match clock {
            Clock::System => {
                let fd = TimerFd::new(
                    ClockId::CLOCK_REALTIME,
                    TimerFlags::TFD_NONBLOCK | TimerFlags::TFD_CLOEXEC,
                )?;
                // `new` is deprecated because a borrowed descriptor could be
                // closed while registered; here the `AsyncFd` owns the
                // `TimerFd`, so the descriptor lives exactly as long as the
                // registration. The sound replacement, `register`, is
                // `unsafe`, which this crate forbids.
                #[allow(deprecated)]
                let fd = AsyncFd::new(TimerHandle(fd))?;
                Some(fd)
            }
            Clock::Mock(_) => None,
        };
        Ok(Timer { clock, fd })
    }

    /// Sleeps until `deadline` (for ever when `None`), or until the wall
    /// clock is set. A deadline already past wakes at once.
    pub async fn sleep_until(&mut self, deadline: Option<Timestamp>) -> std::io::Result<Wake> {
        let (Some(deadline), Some(fd)) = (deadline, &self.fd) else {
            return std::future::pending().await;
        };
        debug_assert!(!self.clock.is_mock());
        // The epoch itself would disarm the timer; nothing is due then anyway.
        let seconds = deadline.as_second().max(1);
        let nanos = if deadline.as_second() >= 1 {
            deadline.subsec_nanosecond()
        } else {
            0
        };
        let at = TimeSpec::new(seconds, i64::from(nanos));
        fd.get_ref().0.set(
            Expiration::OneShot(at),
            TimerSetTimeFlags::TFD_TIMER_ABSTIME | TimerSetTimeFlags::TFD_TIMER_CANCEL_ON_SET,
        )?;
        loop {
            let mut guard = fd.readable().await?;
            let mut count = [0u8; 8];
            match guard.try_io(|inner| {
                nix::unistd::read(inner.get_ref().0.as_fd(), &mut count)
                    .map_err(std::io::Error::from)
            }) {
                Ok(Ok(_)) => return Ok(Wake::Due),
                Ok(Err(e)) if e.raw_os_error() == Some(Errno::ECANCELED as i32) => {
                    return Ok(Wake::ClockSet);
                }
                Ok(Err(e)) => return Err(e),
                Err(_would_block) => continue,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_past_deadline_wakes_at_once() {
        let mut timer = Timer::new(Clock::System).unwrap();
        let past = Timestamp::now() - jiff::SignedDuration::from_secs(3600);
        assert_eq!(timer.sleep_until(Some(past)).await.unwrap(), Wake::Due);
    }

    #[test]
    fn a_mock_clock_moves_only_when_set() {
        let start: Timestamp = "2026-03-08T00:00:00Z".parse().unwrap();
        let clock = Clock::mock(start);
        assert_eq!(clock.now(), start);
        let later: Timestamp = "2026-03-09T00:00:00Z".parse().unwrap();
        clock.clone().set(later);
        assert_eq!(clock.now(), later);
    }
}
