//! Collects every invalid field of a request before answering, so a client
//! fixes all of them in one round trip instead of one per request.
use serde::Serialize;
use utoipa::ToSchema;

use super::Money;

/// The largest quantity one line may move; a typo of ten zeros is refused
/// instead of stored.
pub const MAX_LINE_QUANTITY: i32 = 1_000_000;
/// The most lines one document may have.
pub const MAX_LINES: usize = 500;

/// Longest free text (descriptions, notes) the service stores.
pub const MAX_TEXT: usize = 2000;
/// Longest code, name or reference.
pub const MAX_NAME: usize = 200;

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// Dotted path of the field in the request, e.g. `unit_cost` or `lines[2].quantity`.
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Invalid input: every bad field, found in one pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid(pub Vec<FieldError>);

/// A stored value the rules refuse to read: the row is corrupt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Corrupt(pub String);

#[derive(Debug, Default)]
pub struct Validator {
    errors: Vec<FieldError>,
}

impl Validator {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records `message` for `field` unless `ok`.
    pub fn check(&mut self, ok: bool, field: &str, message: impl Into<String>) -> &mut Self {
        if !ok {
            self.errors.push(FieldError::new(field, message));
        }
        self
    }

    /// A document's `lines`: at least one and at most [`MAX_LINES`].
    pub fn line_count(&mut self, n: usize) -> &mut Self {
        self.check(n >= 1, "lines", "must have at least one line")
            .check(
                n <= MAX_LINES,
                "lines",
                format!("must have at most {MAX_LINES} lines"),
            )
    }

    /// Line `i`'s `quantity`: 1 to [`MAX_LINE_QUANTITY`].
    pub fn line_quantity(&mut self, i: usize, quantity: i32) -> &mut Self {
        self.units(&format!("lines[{i}].quantity"), quantity)
    }

    /// Line `i` names `what` (its `key`) that no earlier line named; `seen`
    /// holds each key's latest line so far.
    pub fn first_mention<K: std::hash::Hash + Eq>(
        &mut self,
        seen: &mut std::collections::HashMap<K, usize>,
        i: usize,
        key: K,
        what: &str,
    ) -> &mut Self {
        if let Some(first) = seen.insert(key, i) {
            self.push(FieldError::new(
                format!("lines[{i}].part_id"),
                format!("repeats {what} of lines[{first}]"),
            ));
        }
        self
    }

    /// A required, trimmed, non-empty text of at most `max` characters.
    pub fn text(&mut self, field: &str, value: &str, max: usize) -> &mut Self {
        let trimmed = value.trim();
        self.check(!trimmed.is_empty(), field, "must not be empty");
        self.check(
            value.chars().count() <= max,
            field,
            format!("must be at most {max} characters"),
        );
        self.check(
            !value.chars().any(|c| c.is_control()),
            field,
            "must not contain control characters",
        )
    }

    /// Free text that may be empty.
    pub fn optional_text(&mut self, field: &str, value: &str, max: usize) -> &mut Self {
        self.check(
            value.chars().count() <= max,
            field,
            format!("must be at most {max} characters"),
        )
    }

    /// A code: letters, digits and `-_./`, no spaces.
    pub fn code(&mut self, field: &str, value: &str) -> &mut Self {
        self.check(
            !value.is_empty()
                && value.len() <= 64
                && value
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c)),
            field,
            "must be 1 to 64 letters, digits or - _ . /",
        )
    }

    /// An integer within `min..=max`.
    pub fn range_i64(&mut self, field: &str, value: i64, min: i64, max: i64) -> &mut Self {
        self.check(
            (min..=max).contains(&value),
            field,
            format!("must be between {min} and {max}"),
        )
    }

    /// The units one document line moves: 1 to [`MAX_LINE_QUANTITY`].
    pub fn units(&mut self, field: &str, quantity: i32) -> &mut Self {
        self.range_i64(field, quantity.into(), 1, MAX_LINE_QUANTITY.into())
    }

    /// A finite number within `min..=max`.
    pub fn range_f64(&mut self, field: &str, value: f64, min: f64, max: f64) -> &mut Self {
        self.check(
            value.is_finite() && value >= min && value <= max,
            field,
            format!("must be a number between {min} and {max}"),
        )
    }

    /// A three-letter ISO 4217 style currency code.
    pub fn currency(&mut self, field: &str, value: &str) -> &mut Self {
        self.check(
            value.len() == 3 && value.chars().all(|c| c.is_ascii_uppercase()),
            field,
            "must be a three-letter upper-case currency code such as EUR",
        )
    }

    /// A valid amount of money; on error records it and returns zero, which
    /// [`Validator::finish`] then refuses.
    pub fn money(&mut self, field: &str, amount: rust_decimal::Decimal) -> Money {
        Money::new(amount, field).unwrap_or_else(|e| {
            self.errors.push(e);
            Money::ZERO
        })
    }

    pub fn push(&mut self, error: FieldError) -> &mut Self {
        self.errors.push(error);
        self
    }

    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }

    /// `Ok` if nothing was recorded, else every bad field.
    pub fn finish(&mut self) -> Result<(), Invalid> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(Invalid(std::mem::take(&mut self.errors)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collects_every_error() {
        let mut v = Validator::new();
        v.text("name", "  ", 10)
            .range_i64("lead_time_days", -1, 0, 3650);
        let Err(Invalid(errors)) = v.finish() else {
            panic!("expected validation errors");
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "lead_time_days"]);
    }

    #[test]
    fn codes_and_currencies() {
        let mut v = Validator::new();
        v.code("code", "DEP-01").currency("currency", "EUR");
        assert!(v.is_ok());
        v.code("code", "has space").currency("currency", "eur");
        assert!(v.finish().is_err());
    }
}
