//! The vocabulary of the stock ledger: conditions, locations, movement
//! types, and the bounds of a quantity.
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::AppError;

/// The largest quantity one line may move; a typo of ten zeros is refused
/// instead of stored.
pub const MAX_LINE_QUANTITY: i32 = 1_000_000;
/// The most lines one document may have.
pub const MAX_LINES: usize = 500;

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn from_db(text: &str) -> Result<Self, AppError> {
                match text {
                    $($text => Ok($name::$variant),)+
                    other => Err(AppError::Internal(format!(
                        concat!("stored ", stringify!($name), " `{}` is unknown"), other
                    ))),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

string_enum!(
    /// The state of stock in a warehouse. Scrapped stock leaves to the scrap
    /// location instead of having a condition.
    Condition { Good = "good", Defective = "defective", Quarantined = "quarantined" }
);

string_enum!(
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

string_enum!(
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
    }
);

string_enum!(
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
    }
);

/// A place stock is at: a kind and, for warehouses, sites and vendors, which one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, ToSchema)]
pub struct Location {
    pub kind: LocationKind,
    pub id: Option<i64>,
}

impl Location {
    pub fn warehouse(id: i64) -> Location {
        Location {
            kind: LocationKind::Warehouse,
            id: Some(id),
        }
    }

    pub fn virtual_(kind: LocationKind, id: Option<i64>) -> Location {
        Location { kind, id }
    }

    /// The warehouse id when this is a warehouse.
    pub fn warehouse_id(self) -> Option<i64> {
        match self.kind {
            LocationKind::Warehouse => self.id,
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The stored names, the JSON names and the OpenAPI names are one.
    #[test]
    fn names_match_serde() {
        for c in Condition::ALL {
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
        }
        for k in LocationKind::ALL {
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
        for m in MovementType::ALL {
            assert_eq!(serde_json::to_value(m).unwrap(), m.as_str());
        }
        for d in DocumentType::ALL {
            assert_eq!(serde_json::to_value(d).unwrap(), d.as_str());
        }
    }
}
