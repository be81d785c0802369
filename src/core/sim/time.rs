//! Simulated time: days, as an `f64`, since the simulation's epoch, a
//! Monday 00:00 local time. SLA deadlines are counted by the business
//! calendar the live service uses ([`crate::core::calendar`]), on weekdays
//! in one zone for the whole network (sites' own time zones and holidays
//! are not modelled: an approximation that shifts a few deadlines by
//! hours, documented in scenarios/README.md).
use std::sync::LazyLock;

use chrono::{Duration, NaiveDate, NaiveDateTime};

use crate::core::calendar::BusinessCalendar;

/// The calendar simulated deadlines are counted in.
static CALENDAR: LazyLock<BusinessCalendar> = LazyLock::new(BusinessCalendar::weekdays_utc);

/// The simulation's day 0: a Monday.
const EPOCH: NaiveDateTime = match NaiveDate::from_ymd_opt(2024, 1, 1) {
    Some(d) => match d.and_hms_opt(0, 0, 0) {
        Some(t) => t,
        None => panic!("midnight is a time"),
    },
    None => panic!("2024-01-01 is a date"),
};

const MICROS_PER_DAY: f64 = 86_400e6;

fn to_local(days: f64) -> NaiveDateTime {
    EPOCH + Duration::microseconds((days * MICROS_PER_DAY).round() as i64)
}

fn to_days(t: NaiveDateTime) -> f64 {
    (t - EPOCH).num_microseconds().unwrap_or(i64::MAX) as f64 / MICROS_PER_DAY
}

/// The deadline of a request raised at `start` (days) under a window of
/// `window_hours`: business hours of the calendar, or the wall clock.
pub fn deadline(start: f64, window_hours: f64, business_hours: bool) -> f64 {
    if business_hours {
        let span = Duration::microseconds((window_hours * 3600e6).round() as i64);
        to_days(CALENDAR.add_working_time(to_local(start), span))
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
    fn a_business_day_runs_from_eight_to_six() {
        // Monday 09:00 + 4 business hours = Monday 13:00.
        assert!((hours(deadline(9.0 / 24.0, 4.0, true)) - 13.0).abs() < 1e-6);
        // Friday 18:00 + 10 business hours = Monday 18:00.
        let due = deadline(4.0 + 18.0 / 24.0, 10.0, true);
        assert!((hours(due) - hours(7.0 + 18.0 / 24.0)).abs() < 1e-6);
        // Tuesday 15:00 + 4 business hours = Wednesday 09:00.
        let due = deadline(1.0 + 15.0 / 24.0, 4.0, true);
        assert!((hours(due) - hours(2.0 + 9.0 / 24.0)).abs() < 1e-6);
        // Wall-clock windows ignore the calendar.
        assert!((deadline(5.5, 4.0, false) - (5.5 + 4.0 / 24.0)).abs() < 1e-12);
    }
}
