//! The business calendar SLA deadlines are counted in.
//!
//! A wall-clock SLA class ("4-hour") ends its response window `minutes`
//! after the request, whatever the day. A business-hour class ("next
//! business day") counts only working time in the *site's* time zone:
//! Monday to Friday, [`OPEN`] to [`CLOSE`] local time, except holidays.
//! A request raised outside working hours starts counting at the next
//! opening. Counting happens on local wall-clock time and the result is
//! converted to UTC at the end, so a daylight-saving change (always at
//! night in practice) neither stretches nor shrinks a working day.
//!
//! The live service counts deadlines with [`BusinessCalendar::add_business_minutes`]
//! (UTC in, UTC out, through the site's time zone); the simulator and the
//! analytic SLA estimate count in local wall-clock time with
//! [`BusinessCalendar::add_working_time`]. Both are the same arithmetic.
//!
//! Pure: no database, so the rules are unit-tested here; the holidays come
//! from the `holidays` table through the master-data flows.
use std::collections::HashSet;

use chrono::{
    DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc, Weekday,
};
use chrono_tz::Tz;

/// Local opening time of a working day.
pub const OPEN: NaiveTime = match NaiveTime::from_hms_opt(8, 0, 0) {
    Some(t) => t,
    None => panic!("08:00 is a time"),
};
/// Local closing time of a working day.
pub const CLOSE: NaiveTime = match NaiveTime::from_hms_opt(18, 0, 0) {
    Some(t) => t,
    None => panic!("18:00 is a time"),
};

/// Working days, hours and holidays of one site.
#[derive(Debug, Clone)]
pub struct BusinessCalendar {
    pub time_zone: Tz,
    pub holidays: HashSet<NaiveDate>,
}

impl BusinessCalendar {
    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) && !self.holidays.contains(&d)
    }

    /// The opening of the first working day strictly after `d`.
    fn next_opening(&self, d: NaiveDate) -> Option<NaiveDateTime> {
        let mut day = d.succ_opt()?;
        // Bounded: holidays are a finite list, so a working day comes.
        for _ in 0..(self.holidays.len() + 8) {
            if self.is_working_day(day) {
                return Some(day.and_time(OPEN));
            }
            day = day.succ_opt()?;
        }
        None
    }

    /// A calendar of weekdays without holidays in UTC (the simulator's,
    /// until sites carry their own zones there).
    pub fn weekdays_utc() -> BusinessCalendar {
        BusinessCalendar {
            time_zone: chrono_tz::UTC,
            holidays: HashSet::new(),
        }
    }

    /// `start` plus `minutes` of working time, in UTC.
    pub fn add_business_minutes(&self, start: DateTime<Utc>, minutes: i64) -> DateTime<Utc> {
        let local = start.with_timezone(&self.time_zone).naive_local();
        let end = self.add_working_time(local, Duration::minutes(minutes.max(0)));
        to_utc(self.time_zone, end)
    }

    /// Local wall-clock time `start` plus `span` of working time. A start
    /// outside working hours counts from the next opening; an end exactly at
    /// closing time stays on that day.
    pub fn add_working_time(&self, start: NaiveDateTime, span: Duration) -> NaiveDateTime {
        let mut at = start;
        let mut left = span.max(Duration::zero());
        // Each turn either finishes or moves to the next working day; the
        // bound only guards against a calendar with no working days.
        for _ in 0..100_000 {
            let day = at.date();
            if !self.is_working_day(day) || at.time() >= CLOSE {
                match self.next_opening(day) {
                    Some(next) => at = next,
                    None => break,
                }
                continue;
            }
            if at.time() < OPEN {
                at = day.and_time(OPEN);
            }
            let today = day.and_time(CLOSE) - at;
            if left <= today {
                at += left;
                left = Duration::zero();
                break;
            }
            left -= today;
            match self.next_opening(day) {
                Some(next) => at = next,
                None => break,
            }
        }
        if left > Duration::zero() {
            // Unreachable with a finite holiday list; fall back to wall time.
            at += left;
        }
        at
    }
}

/// A local wall-clock time in UTC. A time skipped by a daylight-saving
/// change is read as the same wall time one hour later.
fn to_utc(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local).earliest() {
        Some(t) => t.with_timezone(&Utc),
        None => tz
            .from_local_datetime(&(local + Duration::hours(1)))
            .earliest()
            .map_or_else(|| Utc.from_utc_datetime(&local), |t| t.with_timezone(&Utc)),
    }
}

/// The SLA deadline of a request raised at `requested_at`: wall-clock
/// minutes, or working minutes in `calendar` for business-hour classes.
pub fn deadline(
    requested_at: DateTime<Utc>,
    response_minutes: i32,
    business_hours_only: bool,
    calendar: &BusinessCalendar,
) -> DateTime<Utc> {
    if business_hours_only {
        calendar.add_business_minutes(requested_at, response_minutes.into())
    } else {
        requested_at + Duration::minutes(response_minutes.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn berlin(holidays: &[NaiveDate]) -> BusinessCalendar {
        BusinessCalendar {
            time_zone: chrono_tz::Europe::Berlin,
            holidays: holidays.iter().copied().collect(),
        }
    }

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn wall_clock_classes_ignore_the_calendar() {
        // Saturday 2026-11-28 12:00 UTC, 4 hours.
        let at = utc(2026, 11, 28, 12, 0);
        assert_eq!(
            deadline(at, 240, false, &berlin(&[])),
            utc(2026, 11, 28, 16, 0)
        );
    }

    #[test]
    fn inside_working_hours_counts_on() {
        // Monday 2026-11-23 10:00 Berlin (09:00 UTC) + 4 h = 14:00 Berlin.
        let at = utc(2026, 11, 23, 9, 0);
        assert_eq!(
            deadline(at, 240, true, &berlin(&[])),
            utc(2026, 11, 23, 13, 0)
        );
    }

    #[test]
    fn the_window_continues_next_working_morning() {
        // Monday 16:00 Berlin + 9 h: 2 h Monday, 7 h Tuesday -> Tue 15:00.
        let at = utc(2026, 11, 23, 15, 0);
        assert_eq!(
            deadline(at, 540, true, &berlin(&[])),
            utc(2026, 11, 24, 14, 0)
        );
    }

    #[test]
    fn weekends_and_holidays_are_skipped() {
        // Friday 2026-11-27 17:00 Berlin + 2 h: 1 h Friday, then Monday is
        // a holiday, so Tuesday 09:00 Berlin.
        let at = utc(2026, 11, 27, 16, 0);
        let cal = berlin(&[date(2026, 11, 30)]);
        assert_eq!(deadline(at, 120, true, &cal), utc(2026, 12, 1, 8, 0));
        // Raised on Saturday: counting starts Monday 08:00.
        let sat = utc(2026, 11, 28, 10, 0);
        assert_eq!(
            deadline(sat, 60, true, &berlin(&[])),
            utc(2026, 11, 30, 8, 0)
        );
    }

    #[test]
    fn before_opening_starts_at_opening_and_close_is_inclusive() {
        // Monday 06:00 Berlin + 10 h = Monday 18:00 Berlin exactly.
        let at = utc(2026, 11, 23, 5, 0);
        assert_eq!(
            deadline(at, 600, true, &berlin(&[])),
            utc(2026, 11, 23, 17, 0)
        );
    }

    fn local(d: u32, h: u32, m: u32) -> NaiveDateTime {
        // 2026-11-23 is a Monday.
        date(2026, 11, 22 + d).and_hms_opt(h, m, 0).unwrap()
    }

    #[test]
    fn working_time_on_the_local_clock() {
        let cal = BusinessCalendar::weekdays_utc();
        let add = |start, hours| cal.add_working_time(start, Duration::hours(hours));
        // Monday 09:00 + 4 h = Monday 13:00.
        assert_eq!(add(local(1, 9, 0), 4), local(1, 13, 0));
        // Friday 18:00 + 10 h = Monday 18:00 (a whole working day).
        assert_eq!(add(local(5, 18, 0), 10), local(8, 18, 0));
        // Tuesday 15:00 + 4 h = Wednesday 09:00.
        assert_eq!(add(local(2, 15, 0), 4), local(3, 9, 0));
        // Saturday, zero hours: the next opening.
        assert_eq!(add(local(6, 11, 0), 0), local(8, 8, 0));
    }

    #[test]
    fn local_hours_follow_daylight_saving() {
        // Friday 2026-03-27 17:00 CET (16:00 UTC) + 2 h: 1 h Friday, 1 h
        // Monday 2026-03-30 after the switch to CEST: 09:00 CEST = 07:00 UTC.
        let at = utc(2026, 3, 27, 16, 0);
        assert_eq!(
            deadline(at, 120, true, &berlin(&[])),
            utc(2026, 3, 30, 7, 0)
        );
    }
}
