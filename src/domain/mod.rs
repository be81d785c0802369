//! Pure types and rules shared by the services: validated values, the
//! vocabulary of master data, and a collector of field errors.
//!
//! Nothing here touches the database or HTTP, so the rules can be unit
//! tested and reused by the CLI and the planning engine.
pub mod calendar;
pub mod kinds;
pub mod money;
pub mod stock;
pub mod validate;

pub use kinds::*;
pub use money::Money;
pub use validate::Validator;
