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
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

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

#[cfg(test)]
mod tests {
    use super::*;

    /// The stored names, the JSON names and the OpenAPI names are one.
    #[test]
    fn names_match_serde() {
        fn check<T: Serialize + Copy>(all: &[T], name: impl Fn(T) -> &'static str) {
            for v in all {
                assert_eq!(serde_json::to_value(v).unwrap(), name(*v));
            }
        }
        check(PartKind::ALL, PartKind::as_str);
        check(Criticality::ALL, Criticality::as_str);
        check(Lifecycle::ALL, Lifecycle::as_str);
        check(WarehouseKind::ALL, WarehouseKind::as_str);
        check(VendorKind::ALL, VendorKind::as_str);
    }
}
