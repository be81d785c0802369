//! The clock services read the time from. Time is an input: a handler, a
//! worker or a generator asks the clock once and passes `now` down, so
//! every timestamp of one action agrees, tests move time forward instead
//! of sleeping, and the demo generator can operate months in seconds.
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, SubsecRound, Utc};

/// A shared clock; clones read and move the same time.
#[derive(Debug, Clone)]
pub struct Clock(Arc<Mode>);

#[derive(Debug)]
enum Mode {
    /// The system's time.
    System,
    /// The system's time plus an offset (microseconds) that only grows:
    /// time flows as usual and a test can jump ahead.
    Shifted(AtomicI64),
    /// A time (microseconds since the epoch) that stands still until it is
    /// set or advanced.
    Manual(AtomicI64),
}

impl Clock {
    /// The system's time; cannot be moved.
    pub fn system() -> Clock {
        Clock(Arc::new(Mode::System))
    }

    /// The system's time that [`Clock::advance`] can move ahead, for tests.
    pub fn shifted() -> Clock {
        Clock(Arc::new(Mode::Shifted(AtomicI64::new(0))))
    }

    /// A clock that stands at `start` until set or advanced.
    pub fn manual(start: DateTime<Utc>) -> Clock {
        Clock(Arc::new(Mode::Manual(AtomicI64::new(
            start.timestamp_micros(),
        ))))
    }

    /// The time now, to the microsecond: the precision both databases keep,
    /// so a stored time reads back as it was answered, and nobody reads
    /// nanoseconds in a timestamp.
    pub fn now(&self) -> DateTime<Utc> {
        self.exact().trunc_subsecs(6)
    }

    fn exact(&self) -> DateTime<Utc> {
        match &*self.0 {
            Mode::System => Utc::now(),
            Mode::Shifted(offset) => {
                Utc::now() + Duration::microseconds(offset.load(Ordering::SeqCst))
            }
            Mode::Manual(at) => from_micros(at.load(Ordering::SeqCst)),
        }
    }

    /// Moves the clock ahead by `by` (a negative `by` is ignored: time does
    /// not run backwards). Returns whether this clock can be moved.
    pub fn advance(&self, by: Duration) -> bool {
        let micros = by.num_microseconds().unwrap_or(i64::MAX).max(0);
        match &*self.0 {
            Mode::System => false,
            Mode::Shifted(offset) | Mode::Manual(offset) => {
                offset.fetch_add(micros, Ordering::SeqCst);
                true
            }
        }
    }

    /// Sets a manual clock to `at` if that is not in its past. Returns
    /// whether it was set.
    pub fn set(&self, at: DateTime<Utc>) -> bool {
        match &*self.0 {
            Mode::Manual(now) => {
                now.fetch_max(at.timestamp_micros(), Ordering::SeqCst);
                true
            }
            Mode::System | Mode::Shifted(_) => false,
        }
    }
}

fn from_micros(micros: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(micros).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_manual_clock_stands_still_until_moved_and_never_goes_back() {
        let start = Utc.with_ymd_and_hms(2026, 1, 5, 8, 0, 0).unwrap();
        let clock = Clock::manual(start);
        assert_eq!(clock.now(), start);
        assert!(clock.advance(Duration::hours(2)));
        assert_eq!(clock.clone().now(), start + Duration::hours(2));
        assert!(clock.set(start));
        assert_eq!(clock.now(), start + Duration::hours(2));
        clock.advance(Duration::hours(-5));
        assert_eq!(clock.now(), start + Duration::hours(2));
    }

    #[test]
    fn times_are_whole_microseconds() {
        for clock in [Clock::system(), Clock::shifted()] {
            assert_eq!(clock.now().timestamp_subsec_nanos() % 1000, 0);
        }
        let odd =
            Utc.with_ymd_and_hms(2026, 1, 5, 8, 0, 0).unwrap() + Duration::nanoseconds(1_234_567);
        assert_eq!(Clock::manual(odd).now().timestamp_subsec_nanos(), 1_234_000);
    }

    #[test]
    fn a_shifted_clock_runs_ahead_of_the_system() {
        let clock = Clock::shifted();
        assert!(clock.advance(Duration::days(3)));
        assert!(clock.now() >= Utc::now() + Duration::days(3) - Duration::seconds(1));
        assert!(!Clock::system().advance(Duration::days(1)));
        assert!(!clock.set(Utc::now()));
    }
}
