//! Money: a `Decimal` amount, never a float, with bounds a real price list
//! never exceeds so absurd inputs are refused instead of stored.
use std::str::FromStr;

use rust_decimal::Decimal;

use super::validate::{Corrupt, FieldError};

/// The largest amount accepted anywhere (a trillion in any currency).
pub const MAX_AMOUNT: i64 = 1_000_000_000_000;
/// Digits kept after the decimal point.
pub const MAX_SCALE: u32 = 6;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Money(Decimal);

impl Money {
    pub const ZERO: Money = Money(Decimal::ZERO);

    /// A non-negative amount of at most [`MAX_AMOUNT`] with at most
    /// [`MAX_SCALE`] decimals.
    pub fn new(amount: Decimal, field: &str) -> Result<Money, FieldError> {
        if amount.is_sign_negative() && !amount.is_zero() {
            return Err(FieldError::new(field, "must not be negative"));
        }
        if amount > Decimal::from(MAX_AMOUNT) {
            return Err(FieldError::new(
                field,
                format!("must be at most {MAX_AMOUNT}"),
            ));
        }
        if amount.normalize().scale() > MAX_SCALE {
            return Err(FieldError::new(
                field,
                format!("must have at most {MAX_SCALE} decimal places"),
            ));
        }
        Ok(Money(amount.normalize()))
    }

    pub fn amount(self) -> Decimal {
        self.0
    }

    /// The canonical text stored in the database.
    pub fn to_db(self) -> String {
        self.0.to_string()
    }

    /// Reads a stored amount; a bad one is a corrupted row.
    pub fn from_db(text: &str) -> Result<Money, Corrupt> {
        Decimal::from_str(text)
            .map(Money)
            .map_err(|e| Corrupt(format!("stored amount `{text}` is not a decimal: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_and_scale() {
        assert!(Money::new(Decimal::from_str("12.50").unwrap(), "c").is_ok());
        assert!(Money::new(Decimal::from_str("-0.01").unwrap(), "c").is_err());
        assert!(Money::new(Decimal::from_str("1000000000000.01").unwrap(), "c").is_err());
        assert!(Money::new(Decimal::from_str("0.0000001").unwrap(), "c").is_err());
    }

    #[test]
    fn round_trips_exactly_through_text() {
        let m = Money::new(Decimal::from_str("1234567.123456").unwrap(), "c").unwrap();
        assert_eq!(Money::from_db(&m.to_db()).unwrap(), m);
        assert_eq!(m.to_db(), "1234567.123456");
    }
}
