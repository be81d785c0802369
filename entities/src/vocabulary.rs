//! Every closed vocabulary the schema stores: statuses, kinds, conditions,
//! roles. Each is a Rust enum that sea-orm maps to its text column (the
//! migrations' `CHECK (... IN (...))` allow exactly these names), that
//! serde reads and writes under the same names, and that the OpenAPI
//! document lists. A stored name is written once, here.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Declares a stored vocabulary: the enum with its stored (and JSON) names,
/// `ALL`, `as_str` and `Display`.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema,
        )]
        #[sea_orm(rs_type = "String", db_type = "Text")]
        pub enum $name {
            $($(#[$vmeta])* #[sea_orm(string_value = $text)] #[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored and JSON name.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;

            /// Reads a name as stored; the error lists the names there are.
            fn from_str(text: &str) -> Result<Self, String> {
                Self::ALL.iter().copied().find(|v| v.as_str() == text).ok_or_else(|| {
                    let names: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
                    format!("`{text}` is not one of {}", names.join(", "))
                })
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

// --- master data -----------------------------------------------------------

vocabulary!(
    /// Whether a failed unit is repaired and reused or thrown away.
    PartKind { Repairable = "repairable", Consumable = "consumable" }
);

vocabulary!(
    /// How much an outage of this part hurts the customer.
    Criticality { Low = "low", Medium = "medium", High = "high", Critical = "critical" }
);

vocabulary!(
    /// Whether the part is still bought and planned.
    Lifecycle { Active = "active", EndOfLife = "end_of_life" }
);

vocabulary!(
    /// The echelon a warehouse sits at in the supply network.
    WarehouseKind { CentralDepot = "central_depot", Regional = "regional", Forward = "forward" }
);

vocabulary!(
    /// What a vendor does for us.
    VendorKind { Supplier = "supplier", Repair = "repair", Both = "both" }
);

vocabulary!(
    /// What a user may do. Every endpoint names the roles it admits.
    Role {
        /// Users, tokens, warehouses and the supply network.
        Admin = "admin",
        /// Part master data, forecasts, stock plans.
        Planner = "planner",
        /// Inbound, outbound, stocktakes, shipping and receiving.
        Warehouse = "warehouse",
        /// Field engineers requesting replacement parts.
        Engineer = "engineer",
    }
);

// --- the stock ledger ------------------------------------------------------

vocabulary!(
    /// The state of stock in a warehouse. Scrapped stock leaves to the scrap
    /// location instead of having a condition.
    Condition { Good = "good", Defective = "defective", Quarantined = "quarantined" }
);

vocabulary!(
    /// Where stock can be. Only warehouses hold balances; the others are
    /// virtual counterparties that make every movement balance to zero.
    LocationKind {
        Warehouse = "warehouse",
        Supplier = "supplier",
        RepairVendor = "repair_vendor",
        Site = "site",
        External = "external",
        InTransit = "in_transit",
        Scrap = "scrap",
        Adjustment = "adjustment",
    }
);

vocabulary!(
    /// Why stock moved.
    MovementType {
        Receipt = "receipt",
        Issue = "issue",
        ConditionChange = "condition_change",
        StocktakeAdjustment = "stocktake_adjustment",
        Reversal = "reversal",
        /// Warehouse to in-transit when a transfer ships.
        TransferShip = "transfer_ship",
        /// In-transit to warehouse when a transfer is received.
        TransferReceive = "transfer_receive",
        /// Supplier to warehouse against a purchase order.
        PurchaseReceipt = "purchase_receipt",
        /// Warehouse (defective) to the repair vendor.
        RepairSend = "repair_send",
        /// Repair vendor back to a warehouse (good) after repair.
        RepairReturn = "repair_return",
        /// A defective unit back from a field site.
        FieldReturn = "field_return",
        /// Warehouse back to the vendor it came from.
        ReturnToVendor = "return_to_vendor",
        /// Warehouse (or repair vendor, beyond repair) to scrap.
        Scrap = "scrap",
        /// The stock a warehouse held when it started on the ledger, from
        /// the `adjustment` counterparty (an opening-stock import).
        OpeningBalance = "opening_balance",
    }
);

vocabulary!(
    /// The kinds of document that post movements.
    DocumentType {
        Receipt = "receipt",
        Issue = "issue",
        ConditionChange = "condition_change",
        StocktakeAdjustment = "stocktake_adjustment",
        Reversal = "reversal",
        TransferShipment = "transfer_shipment",
        TransferReceipt = "transfer_receipt",
        PurchaseReceipt = "purchase_receipt",
        RepairSendOut = "repair_send_out",
        RepairReturn = "repair_return",
        FieldReturn = "field_return",
        ReturnToVendor = "return_to_vendor",
        Scrap = "scrap",
        /// A warehouse's stock when it started on the ledger: one per
        /// warehouse until reversed.
        OpeningBalance = "opening_balance",
    }
);

vocabulary!(
    /// Where a reservation is in its life.
    ReservationStatus { Active = "active", Released = "released", Consumed = "consumed" }
);

vocabulary!(
    /// Where a stocktake is in its life.
    StocktakeStatus { Open = "open", Approved = "approved", Cancelled = "cancelled" }
);

vocabulary!(
    /// An idempotency key is claimed `running` with the write it protects and
    /// holds the stored answer once `done`.
    IdempotencyState { Running = "running", Done = "done" }
);

// --- logistics ---------------------------------------------------------------

vocabulary!(
    /// Where a transfer between warehouses is in its life.
    TransferStatus {
        Draft = "draft",
        Shipped = "shipped",
        Received = "received",
        Closed = "closed",
        Cancelled = "cancelled",
    }
);

vocabulary!(
    /// What a shipment carries.
    ShipmentKind { Transfer = "transfer", Dispatch = "dispatch", Return = "return" }
);

vocabulary!(
    /// Local delivery, or an international leg that clears customs.
    ShipmentMode { Local = "local", International = "international" }
);

vocabulary!(
    /// Where a shipment is.
    ShipmentStatus { InTransit = "in_transit", Delivered = "delivered", Cancelled = "cancelled" }
);

vocabulary!(
    /// Where a purchase order is in its life.
    PurchaseOrderStatus {
        Open = "open",
        PartiallyReceived = "partially_received",
        Received = "received",
        Cancelled = "cancelled",
    }
);

vocabulary!(
    /// Where the stock levels of a part and warehouse came from.
    #[derive(Default)]
    ReorderLevelSource {
        /// Typed in by a planner.
        #[default]
        Manual = "manual",
        /// Accepted from a stock plan (policy optimisation).
        Plan = "plan",
    }
);

vocabulary!(
    /// Where a repair order is in its life.
    RepairStatus { Sent = "sent", Closed = "closed" }
);

vocabulary!(
    /// What became of one repair line.
    RepairOutcome { Pending = "pending", Repaired = "repaired", BeyondRepair = "beyond_repair" }
);

vocabulary!(
    /// A defective unit coming back from the field, or stock going back to
    /// the vendor it came from.
    ReturnKind { FieldReturn = "field_return", ReturnToVendor = "return_to_vendor" }
);

vocabulary!(
    /// Where a return is in its life.
    ReturnStatus {
        Draft = "draft",
        InTransit = "in_transit",
        Received = "received",
        Cancelled = "cancelled",
    }
);

vocabulary!(
    /// Where a scrap request is in its life.
    ScrapStatus { Requested = "requested", Approved = "approved", Rejected = "rejected" }
);

// --- replacement requests ------------------------------------------------------

vocabulary!(
    /// Where a replacement request is in its life.
    RequestStatus {
        Backordered = "backordered",
        Sourced = "sourced",
        Dispatched = "dispatched",
        Delivered = "delivered",
        DefectiveReturned = "defective_returned",
        Closed = "closed",
        Cancelled = "cancelled",
    }
);

vocabulary!(
    /// How urgent the engineer says it is; among backorders with the same
    /// deadline, the more urgent is filled first.
    Priority { Low = "low", Normal = "normal", High = "high", Critical = "critical" }
);

vocabulary!(
    /// How a request was sourced.
    SourceKind {
        /// The site's serving warehouse, in time.
        Serving = "serving",
        /// Another warehouse through its lane to the serving warehouse, in time.
        Lateral = "lateral",
        /// Nobody could make the deadline: the earliest arrival, at risk.
        Earliest = "earliest",
        /// Nothing available anywhere: waiting for stock.
        Backorder = "backorder",
    }
);

// --- planning ------------------------------------------------------------------

vocabulary!(
    /// What a forecast run forecasts.
    ForecastSource {
        /// The demand the ledger recorded: issues to sites and other
        /// destinations, per part and warehouse.
        Ledger = "ledger",
        /// Series given in the request.
        Upload = "upload",
    }
);

vocabulary!(
    /// The length of one period of a demand series.
    Bucket { Month = "month", Week = "week" }
);

vocabulary!(
    /// What a planning job computes.
    JobKind {
        /// Recommend stock and check it by simulation (`spares plan`).
        Plan = "plan",
        /// Simulate the scenario's policy as given (`spares simulate`).
        Simulate = "simulate",
    }
);

vocabulary!(
    /// Where a planning job is in its life.
    JobStatus {
        Queued = "queued",
        Running = "running",
        Done = "done",
        Failed = "failed",
        Cancelled = "cancelled",
    }
);

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::ActiveEnum;

    /// The stored names, the JSON names and `as_str` are one.
    fn same_names<T>(all: &[T])
    where
        T: ActiveEnum<Value = String> + Serialize + Copy + std::fmt::Display,
    {
        for v in all {
            let json = serde_json::to_value(v).unwrap();
            assert_eq!(json, v.to_value());
            assert_eq!(json, v.to_string());
        }
    }

    #[test]
    fn stored_json_and_display_names_agree() {
        same_names(PartKind::ALL);
        same_names(Criticality::ALL);
        same_names(Lifecycle::ALL);
        same_names(WarehouseKind::ALL);
        same_names(VendorKind::ALL);
        same_names(Role::ALL);
        same_names(Condition::ALL);
        same_names(LocationKind::ALL);
        same_names(MovementType::ALL);
        same_names(DocumentType::ALL);
        same_names(ReservationStatus::ALL);
        same_names(StocktakeStatus::ALL);
        same_names(IdempotencyState::ALL);
        same_names(TransferStatus::ALL);
        same_names(ShipmentKind::ALL);
        same_names(ShipmentMode::ALL);
        same_names(ShipmentStatus::ALL);
        same_names(PurchaseOrderStatus::ALL);
        same_names(ReorderLevelSource::ALL);
        same_names(RepairStatus::ALL);
        same_names(RepairOutcome::ALL);
        same_names(ReturnKind::ALL);
        same_names(ReturnStatus::ALL);
        same_names(ScrapStatus::ALL);
        same_names(RequestStatus::ALL);
        same_names(Priority::ALL);
        same_names(SourceKind::ALL);
        same_names(ForecastSource::ALL);
        same_names(Bucket::ALL);
        same_names(JobKind::ALL);
        same_names(JobStatus::ALL);
    }
}
