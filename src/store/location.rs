//! Where stock can be: a warehouse, or one of the virtual counterparties
//! that make every movement balance to zero.
use entities::vocabulary::LocationKind;
use serde::Serialize;
use utoipa::ToSchema;

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
