//! sea-orm entities of `spares`: one module per table, data only.
//!
//! Behaviour (validation, state machines, stock rules) lives in the `spares`
//! crate; these structs only say what a row is, and [`vocabulary`] names
//! every closed set of values a column holds.
//!
//! Money is stored as a canonical decimal string (`TEXT`) on both backends:
//! sea-orm reads SQLite decimals through `f64`, which would silently round
//! unit costs, so the service converts to and from `rust_decimal::Decimal`.

/// What sea-orm asks of every entity and these leave empty: no relations
/// (the service joins explicitly, by id) and no active-model hooks.
#[macro_export]
macro_rules! no_relations {
    () => {
        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    };
}

pub mod api_token;
pub mod demand_history;
pub mod demand_record;
pub mod forecast_result;
pub mod forecast_run;
pub mod holiday;
pub mod idempotency_key;
pub mod installed_base;
pub mod lane;
pub mod movement_serial;
pub mod part;
pub mod planning_job;
pub mod purchase_order;
pub mod purchase_order_line;
pub mod repair_line;
pub mod repair_order;
pub mod replacement_request;
pub mod reservation;
pub mod return_line;
pub mod return_order;
pub mod scrap_request;
pub mod serial_unit;
pub mod shipment;
pub mod site;
pub mod sla_class;
pub mod stock_balance;
pub mod stock_document;
pub mod stock_level;
pub mod stock_movement;
pub mod stocktake;
pub mod stocktake_line;
pub mod transfer;
pub mod transfer_line;
pub mod user;
pub mod vendor;
pub mod vocabulary;
pub mod warehouse;
