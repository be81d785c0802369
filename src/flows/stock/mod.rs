//! Warehouse operations (process 4.2.3): receipts, issues, condition
//! changes and reversals, reservations, stock queries and stocktakes.
pub mod documents;
pub mod queries;
pub mod reservations;
pub mod stocktake;
