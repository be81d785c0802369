//! Master data — the planning inputs of process 4.2.1: parts, the warehouse
//! network and its lanes, SLA classes, customer sites with their installed
//! base, vendors, and the holidays of the business calendar.
//!
//! Nothing here is ever hard-deleted: stock, documents and history refer to
//! these rows, so they are deactivated instead and stay readable.
//!
//! Parts, warehouses, lanes, SLA classes, sites and vendors share one path
//! ([`resource`]): each module keeps only its fields, rules, filters and
//! special checks and endpoints.
pub mod holidays;
pub mod lanes;
pub mod parts;
pub mod resource;
pub mod sites;
pub mod sla_classes;
pub mod vendors;
pub mod warehouses;

pub use resource::{MasterResource, create, get, list, set_active, update};
