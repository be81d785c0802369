//! SLA deadlines on a simple business calendar.
//!
//! Simulated time is in days from a Monday 00:00. Business hours are 08:00 to
//! 17:00, Monday to Friday, in one time zone for the whole network (sites'
//! own time zones and public holidays are ignored: an approximation that
//! shifts a few deadlines by hours, documented in scenarios/README.md). A
//! "next business day" class is a window of 9 business hours.

/// Opening hour of a business day.
pub const OPEN_HOUR: f64 = 8.0;
/// Closing hour of a business day.
pub const CLOSE_HOUR: f64 = 17.0;
/// Business days per week (Monday to Friday).
pub const BUSINESS_DAYS: i64 = 5;

const OPEN: f64 = OPEN_HOUR / 24.0;
const CLOSE: f64 = CLOSE_HOUR / 24.0;

/// The moment `hours` business hours after `start` (both in days).
pub fn add_business_hours(start: f64, hours: f64) -> f64 {
    let mut remaining = hours / 24.0;
    let mut t = start;
    // Each pass either finishes or moves to the next midnight; a window of
    // at most 30 days (the longest SLA accepted) takes at most ~60 passes.
    loop {
        let day = t.floor();
        if (day as i64).rem_euclid(7) >= BUSINESS_DAYS {
            t = day + 1.0;
            continue;
        }
        let open = day + OPEN;
        let close = day + CLOSE;
        if t < open {
            t = open;
        }
        if t >= close {
            t = day + 1.0;
            continue;
        }
        let available = close - t;
        if remaining <= available {
            return t + remaining;
        }
        remaining -= available;
        t = day + 1.0;
    }
}

/// The deadline of a request raised at `start` under a window of
/// `window_hours`, counting business hours only or the wall clock.
#[inline]
pub fn deadline(start: f64, window_hours: f64, business_hours: bool) -> f64 {
    if business_hours {
        add_business_hours(start, window_hours)
    } else {
        start + window_hours / 24.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hours(d: f64) -> f64 {
        d * 24.0
    }

    #[test]
    fn monday_morning_failure_is_due_the_same_afternoon() {
        // Monday 09:00 + 4 business hours = Monday 13:00.
        let due = add_business_hours(9.0 / 24.0, 4.0);
        assert!((hours(due) - 13.0).abs() < 1e-9);
    }

    #[test]
    fn friday_evening_failure_is_due_monday_evening() {
        // Friday 18:00 + 9 business hours = Monday 17:00.
        let friday_evening = 4.0 + 18.0 / 24.0;
        let due = add_business_hours(friday_evening, 9.0);
        assert!((hours(due) - hours(7.0 + 17.0 / 24.0)).abs() < 1e-9);
    }

    #[test]
    fn a_window_spanning_the_evening_continues_next_morning() {
        // Tuesday 15:00 + 4 business hours = Wednesday 10:00.
        let due = add_business_hours(1.0 + 15.0 / 24.0, 4.0);
        assert!((hours(due) - hours(2.0 + 10.0 / 24.0)).abs() < 1e-9);
    }
}
