//! Logistics flows of process group 4.2 (acquisition, transport and
//! delivery, reverse): documents with explicit state machines whose stock
//! effects all go through [`crate::store::ledger::post`].
pub mod kpis;
pub mod purchasing;
pub mod repair;
pub mod replenishment;
pub mod returns;
pub mod scrap;
pub mod shipments;
pub mod transfers;
