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

use jiff::{SignedDuration, Timestamp};
use nix::errno::Errno;
use nix::sys::time::TimeSpec;
use nix::sys::timerfd::{ClockId, Expiration, TimerFd, TimerFlags, TimerSetTimeFlags};
use tokio::io::unix::AsyncFd;

/// Wall time for the daemon, and time really elapsed: real or mocked.
#[derive(Debug, Clone)]
pub enum Clock {
    /// CLOCK_REALTIME, and CLOCK_MONOTONIC since `origin`.
    System {
        origin: std::time::Instant,
    },
    Mock(Arc<Mutex<MockTime>>),
}

/// The mock clock's wall time, and the time that has passed on it.
#[derive(Debug, Clone, Copy)]
pub struct MockTime {
    wall: Timestamp,
    elapsed: SignedDuration,
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
    /// The system clocks.
    pub fn system() -> Clock {
        Clock::System {
            origin: std::time::Instant::now(),
        }
    }

    /// A mock clock that reads `start` until it is set.
    pub fn mock(start: Timestamp) -> Clock {
        Clock::Mock(Arc::new(Mutex::new(MockTime {
            wall: start,
            elapsed: SignedDuration::ZERO,
        })))
    }

    pub fn now(&self) -> Timestamp {
        match self {
            Clock::System { .. } => Timestamp::now(),
            Clock::Mock(time) => Self::mock_time(time).wall,
        }
    }

    /// Time really elapsed since an arbitrary origin: CLOCK_MONOTONIC,
    /// which neither a clock step nor a suspend moves.
    pub fn monotonic(&self) -> SignedDuration {
        match self {
            Clock::System { origin } => {
                SignedDuration::try_from(origin.elapsed()).unwrap_or(SignedDuration::MAX)
            }
            Clock::Mock(time) => Self::mock_time(time).elapsed,
        }
    }

    /// Both clocks read together, for the planner.
    pub fn reading(&self) -> sched_engine::Reading {
        match self {
            Clock::System { .. } => sched_engine::Reading {
                monotonic: self.monotonic(),
                wall: Timestamp::now(),
            },
            Clock::Mock(time) => {
                let time = Self::mock_time(time);
                sched_engine::Reading {
                    wall: time.wall,
                    monotonic: time.elapsed,
                }
            }
        }
    }

    fn mock_time(time: &Mutex<MockTime>) -> MockTime {
        // A poisoned lock still holds a valid time.
        *time.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn is_mock(&self) -> bool {
        matches!(self, Clock::Mock(_))
    }

    /// Lets time pass on a mock clock until `to`: both clocks move. Setting
    /// it back is a step back (time cannot pass backwards). A system clock
    /// is not ours to set.
    pub fn set(&self, to: Timestamp) {
        if let Clock::Mock(time) = self {
            let mut time = time.lock().unwrap_or_else(|e| e.into_inner());
            let passed = to.duration_since(time.wall);
            if passed > SignedDuration::ZERO {
                time.elapsed += passed;
            }
            time.wall = to;
        }
    }

    /// Sets a mock clock's wall time to `to` with no time passing, as
    /// `date -s` does to the system clock.
    pub fn step(&self, to: Timestamp) {
        if let Clock::Mock(time) = self {
            time.lock().unwrap_or_else(|e| e.into_inner()).wall = to;
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
            Clock::System { .. } => {
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
        let mut timer = Timer::new(Clock::system()).unwrap();
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
        assert_eq!(clock.monotonic(), SignedDuration::from_hours(24));
        // A step moves the wall clock only; so does setting it back.
        let stepped: Timestamp = "2026-03-09T04:00:00Z".parse().unwrap();
        clock.step(stepped);
        assert_eq!(clock.reading().wall, stepped);
        assert_eq!(clock.reading().monotonic, SignedDuration::from_hours(24));
        clock.set(start);
        assert_eq!(clock.now(), start);
        assert_eq!(clock.monotonic(), SignedDuration::from_hours(24));
    }
}
