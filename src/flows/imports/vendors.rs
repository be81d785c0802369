//! Vendors from a file: one row per supplier or repair shop, named by
//! `code`.
use std::collections::HashMap;

use entities::vendor;
use entities::vocabulary::VendorKind;
use sea_orm::DatabaseTransaction;

use super::master::{Context, MasterImport, rows_by_key};
use crate::core::fields::{Code, Name};
use crate::core::import::cells::{named, text, whole};
use crate::core::import::{Cells, Column};
use crate::flows::master::vendors::{Vendor, VendorFields};
use crate::store::error::AppResult;

pub(crate) const COLUMNS: &[Column] = &[
    Column::key("code"),
    Column::create("name"),
    Column::create("kind"),
    Column::create("lead_time_days"),
    Column::optional("repair_turnaround_days"),
];

impl MasterImport for Vendor {
    const KEY_COLUMN: &'static str = "code";
    type Refs = ();

    fn conflict_columns() -> Vec<vendor::Column> {
        vec![vendor::Column::Code]
    }

    async fn existing(
        db: &DatabaseTransaction,
        keys: &[String],
        _refs: &(),
    ) -> AppResult<HashMap<String, vendor::Model>> {
        rows_by_key::<Vendor>(db, vendor::Column::Code, keys, |v| v.code.clone()).await
    }

    fn read(c: &mut Cells, ctx: &Context<'_, Vendor>) -> VendorFields {
        let new = ctx.creating();
        let b = ctx.base.cloned().unwrap_or_else(|| VendorFields {
            code: Code::from(ctx.key),
            name: Name::default(),
            kind: VendorKind::Supplier,
            lead_time_days: 0,
            repair_turnaround_days: None,
        });
        VendorFields {
            code: Code::from(ctx.key),
            name: c.required("name", b.name, new, text),
            kind: c.required("kind", b.kind, new, named),
            lead_time_days: c.required("lead_time_days", b.lead_time_days, new, whole),
            repair_turnaround_days: c.optional(
                "repair_turnaround_days",
                b.repair_turnaround_days,
                || None,
                |s| whole(s).map(Some),
            ),
        }
    }
}
