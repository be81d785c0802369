//! The closed vocabularies of master data. Stored as their snake_case names
//! (the schema checks them too); the API rejects anything else by name.
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::AppError;

/// Declares a string enum with its stored names in one place.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Reads a stored value; anything else is a corrupted row.
            pub fn from_db(text: &str) -> Result<Self, AppError> {
                match text {
                    $($text => Ok($name::$variant),)+
                    other => Err(AppError::Internal(format!(
                        concat!("stored ", stringify!($name), " `{}` is unknown"), other
                    ))),
                }
            }
        }
    };
}

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
