//! The store: the database and the stock ledger over it. Every write of
//! stock goes through [`ledger::post`] (movements and balances in the
//! caller's transaction) and the guarded updates of [`balances`];
//! [`verify`] proves the balances from the ledger at any time. The store
//! knows tables, not flows: it never names a replacement request, a
//! transfer or a backorder. [`gauges`] reads the pool and row counts that
//! `/metrics` reports; [`natural_keys`] pairs ids with the part numbers
//! and codes people use.
pub mod balances;
pub mod db;
pub mod error;
pub mod gauges;
pub mod ledger;
pub mod location;
pub mod lookups;
pub mod natural_keys;
pub mod paging;
pub mod reservations;
pub mod serials;
pub mod transition;
pub mod verify;
