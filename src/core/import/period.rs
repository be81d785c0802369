//! The periods of imported demand history: a calendar month (`2025-03`)
//! or an ISO week (`2025-W10`), the two buckets ledger forecasts count in.
use chrono::{Datelike, NaiveDate, Weekday};

use crate::core::input::YEARS;

/// How long a period is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PeriodKind {
    Month,
    Week,
}

/// One period of history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Period {
    pub kind: PeriodKind,
    /// The first day: the 1st of the month, or the Monday of the week.
    pub start: NaiveDate,
}

impl Period {
    /// The first day after the period.
    pub fn end(self) -> NaiveDate {
        match self.kind {
            PeriodKind::Month => self.start.checked_add_months(chrono::Months::new(1)),
            PeriodKind::Week => self.start.checked_add_days(chrono::Days::new(7)),
        }
        .unwrap_or(NaiveDate::MAX)
    }
}

/// Reads `2025-03` (a month) or `2025-W10` (an ISO week, Monday to Sunday),
/// in the years a record may hold ([`YEARS`]).
pub fn parse(s: &str) -> Result<Period, String> {
    let wrong =
        || format!("`{s}` is not a period: write a month as 2025-03 or an ISO week as 2025-W10");
    let (year, rest) = s.split_once('-').ok_or_else(wrong)?;
    let year: i32 = digits(year, 4).ok_or_else(wrong)?;
    if !YEARS.contains(&year) {
        return Err(format!(
            "`{s}`: the year is outside {} to {}",
            YEARS.start(),
            YEARS.end()
        ));
    }
    let period = match rest.strip_prefix(['W', 'w']) {
        Some(week) => digits(week, 2)
            .and_then(|w| NaiveDate::from_isoywd_opt(year, w, Weekday::Mon))
            .map(|start| Period {
                kind: PeriodKind::Week,
                start,
            }),
        None => digits(rest, 2)
            .and_then(|m| NaiveDate::from_ymd_opt(year, m, 1))
            .map(|start| Period {
                kind: PeriodKind::Month,
                start,
            }),
    };
    period.ok_or_else(wrong)
}

/// Exactly `len` ASCII digits.
fn digits<T: std::str::FromStr>(s: &str, len: usize) -> Option<T> {
    (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// The period as written in a file, for messages.
pub fn label(p: Period) -> String {
    match p.kind {
        PeriodKind::Month => p.start.format("%Y-%m").to_string(),
        PeriodKind::Week => {
            let w = p.start.iso_week();
            format!("{}-W{:02}", w.year(), w.week())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn months_and_iso_weeks() {
        let m = parse("2025-03").unwrap();
        assert_eq!(
            (m.kind, m.start, m.end()),
            (PeriodKind::Month, day(2025, 3, 1), day(2025, 4, 1))
        );
        // ISO week 1 of 2026 starts on Monday 2025-12-29.
        let w = parse("2026-W01").unwrap();
        assert_eq!((w.kind, w.start), (PeriodKind::Week, day(2025, 12, 29)));
        assert_eq!(label(w), "2026-W01");
        assert_eq!(label(m), "2025-03");
        for bad in [
            "2025-13",
            "2025-3",
            "2025-W54",
            "25-03",
            "2025-03-01",
            "March",
            "0999-01",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
