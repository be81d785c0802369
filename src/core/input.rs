//! Deserializers for request bodies: clearing a nullable field in a PATCH,
//! amounts that are exactly what the OpenAPI document says, and times in
//! the years a business record can hold.
use std::str::FromStr;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer};

/// For PATCH fields that may be cleared: absent stays `None` (no change,
/// with `#[serde(default)]`), `null` becomes `Some(None)` (clear), a value
/// `Some(Some(v))`.
pub fn double_option<'de, T, D>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// An amount of money as a JSON string of the documented shape
/// `^[0-9]{1,12}(\.[0-9]{1,6})?$`. `Decimal`'s own deserializer also takes
/// JSON numbers, exponents, signs and `_` separators, which the schema
/// refuses; a client following the document must get the same answer as the
/// service gives.
pub fn decimal_text<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    let text = String::deserialize(d)?;
    parse_decimal_text(&text).map_err(D::Error::custom)
}

/// [`decimal_text`] for an optional PATCH field (`null` means no change).
pub fn optional_decimal_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    match Option::<String>::deserialize(d)? {
        None => Ok(None),
        Some(text) => parse_decimal_text(&text)
            .map(Some)
            .map_err(D::Error::custom),
    }
}

/// The rule of [`decimal_text`] on a string, shared with CSV imports so a
/// cell and a JSON field take exactly the same amounts.
pub fn parse_decimal_text(text: &str) -> Result<Decimal, String> {
    let digits =
        |s: &str, max: usize| (1..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
    let shaped = match text.split_once('.') {
        Some((int, frac)) => digits(int, 12) && digits(frac, 6),
        None => digits(text, 12),
    };
    if !shaped {
        return Err(format!(
            "`{text}` is not a decimal string of up to 12 digits and up to 6 decimals, \
             such as \"180.00\""
        ));
    }
    Decimal::from_str(text).map_err(|e| format!("`{text}` is not a decimal: {e}"))
}

/// The years a time or date may fall in. Both databases store wider
/// ranges than chrono parses or than each other, and no stock record is
/// dated before 1900 or after 9999: a time outside is a client's mistake.
pub const YEARS: std::ops::RangeInclusive<i32> = 1900..=9999;

fn in_years(year: i32) -> Result<(), String> {
    if YEARS.contains(&year) {
        Ok(())
    } else {
        Err(format!(
            "year {year} is outside {} to {}",
            YEARS.start(),
            YEARS.end()
        ))
    }
}

/// A time as people write it: RFC 3339 (`2026-01-01T08:00:00Z`), or a
/// plain date (`2026-01-01`), read as 00:00 UTC that day.
fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    let t = match text.parse::<DateTime<chrono::FixedOffset>>() {
        Ok(t) => t.with_timezone(&Utc),
        Err(rfc) => match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            Ok(day) => day.and_time(chrono::NaiveTime::MIN).and_utc(),
            Err(_) => {
                return Err(format!(
                    "`{text}` is neither an RFC 3339 time nor a YYYY-MM-DD date ({rfc})"
                ));
            }
        },
    };
    in_years(t.year())?;
    Ok(t)
}

/// A time (see [`parse_time`]) within [`YEARS`].
pub fn timestamp<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    parse_time(&String::deserialize(d)?).map_err(D::Error::custom)
}

/// [`timestamp`] for an optional field.
pub fn optional_timestamp<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    Option::<String>::deserialize(d)?
        .map(|text| parse_time(&text))
        .transpose()
        .map_err(D::Error::custom)
}

/// A `YYYY-MM-DD` date within [`YEARS`].
pub fn date<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
    let day = NaiveDate::deserialize(d)?;
    in_years(day.year()).map_err(D::Error::custom)?;
    Ok(day)
}

/// [`date`] for an optional field.
pub fn optional_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
    let Some(text) = Option::<String>::deserialize(d)? else {
        return Ok(None);
    };
    let day = NaiveDate::parse_from_str(&text, "%Y-%m-%d")
        .map_err(|e| D::Error::custom(format!("`{text}` is not a YYYY-MM-DD date ({e})")))?;
    in_years(day.year()).map_err(D::Error::custom)?;
    Ok(Some(day))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_text_takes_only_the_documented_shape() {
        for ok in ["0", "180.00", "999999999999.999999", "007.5"] {
            assert!(parse_decimal_text(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "-1",
            "+1",
            "1e3",
            "1_000",
            "1.",
            ".5",
            " 1",
            "1.1234567",
            "1000000000000",
            "NaN",
        ] {
            assert!(parse_decimal_text(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn times_stay_in_the_years_records_hold() {
        #[derive(Deserialize)]
        struct Body {
            #[serde(deserialize_with = "timestamp")]
            at: DateTime<Utc>,
            #[serde(default, deserialize_with = "optional_timestamp")]
            until: Option<DateTime<Utc>>,
        }
        let ok = r#"{"at": "2026-12-01T08:00:00Z", "until": null}"#;
        assert!(serde_json::from_str::<Body>(ok).is_ok());
        let ok = r#"{"at": "2026-03-01", "until": "2026-03-02T10:00:00+02:00"}"#;
        let body = serde_json::from_str::<Body>(ok).unwrap();
        assert_eq!(body.at.to_rfc3339(), "2026-03-01T00:00:00+00:00");
        assert_eq!(
            body.until.unwrap().to_rfc3339(),
            "2026-03-02T08:00:00+00:00"
        );
        let ok = r#"{"at": "1900-01-01T00:00:00Z"}"#;
        let body = serde_json::from_str::<Body>(ok).unwrap();
        assert_eq!(body.at.year(), 1900);
        assert!(body.until.is_none());
        for bad in [
            r#"{"at": "-5000-01-01T00:00:00Z"}"#,
            r#"{"at": "+10000-01-01T00:00:00Z"}"#,
            r#"{"at": "2026-01-01T00:00:00Z", "until": "1899-12-31T23:59:59Z"}"#,
            r#"{"at": "-5000-01-01"}"#,
        ] {
            let err = serde_json::from_str::<Body>(bad).err().expect(bad);
            assert!(err.to_string().contains("outside 1900 to 9999"), "{err}");
        }
    }

    #[test]
    fn numbers_are_not_amounts() {
        #[derive(Deserialize)]
        struct Body {
            #[serde(deserialize_with = "decimal_text")]
            #[allow(dead_code)]
            cost: Decimal,
        }
        assert!(serde_json::from_str::<Body>(r#"{"cost": 5}"#).is_err());
        assert!(serde_json::from_str::<Body>(r#"{"cost": "5.25"}"#).is_ok());
    }
}
