//! Parts from a file: one row per part, named by `part_number`.
use std::collections::HashMap;

use entities::part;
use entities::vocabulary::PartKind;
use rust_decimal::Decimal;
use sea_orm::DatabaseTransaction;

use super::master::{Context, MasterImport, Planned, rows_by_key};
use crate::core::fields::{Code, Currency};
use crate::core::import::cells::{boolean, decimal, named, number, text, whole};
use crate::core::import::{CellError, Cells, Column};
use crate::flows::master::parts::{Part, PartFields, moved_parts, serialized_is_fixed};
use crate::store::error::AppResult;

pub(crate) const COLUMNS: &[Column] = &[
    Column::key("part_number"),
    Column::optional("description"),
    Column::optional("unit_of_measure"),
    Column::create("unit_cost"),
    Column::optional("currency"),
    Column::create("kind"),
    Column::optional("criticality"),
    Column::optional("annual_failure_rate"),
    Column::optional("lead_time_days"),
    Column::optional("repair_turnaround_days"),
    Column::optional("serialized"),
    Column::optional("lifecycle"),
];

impl MasterImport for Part {
    const KEY_COLUMN: &'static str = "part_number";
    type Refs = ();

    fn conflict_columns() -> Vec<part::Column> {
        vec![part::Column::PartNumber]
    }

    async fn existing(
        db: &DatabaseTransaction,
        keys: &[String],
        _refs: &(),
    ) -> AppResult<HashMap<String, part::Model>> {
        rows_by_key::<Part>(db, part::Column::PartNumber, keys, |p| {
            p.part_number.clone()
        })
        .await
    }

    fn read(c: &mut Cells, ctx: &Context<'_, Part>) -> PartFields {
        let new = ctx.creating();
        let d = PartFields::new(Code::from(ctx.key), Decimal::ZERO, PartKind::Consumable);
        let b = ctx.base.cloned().unwrap_or_else(|| d.clone());
        PartFields {
            part_number: Code::from(ctx.key),
            description: c.optional("description", b.description, || d.description.clone(), text),
            unit_of_measure: c.optional(
                "unit_of_measure",
                b.unit_of_measure,
                || d.unit_of_measure.clone(),
                text,
            ),
            unit_cost: c.required("unit_cost", b.unit_cost, new, decimal),
            currency: c.optional("currency", b.currency, Currency::eur, text),
            kind: c.required("kind", b.kind, new, named),
            criticality: c.optional("criticality", b.criticality, || d.criticality, named),
            annual_failure_rate: c.optional(
                "annual_failure_rate",
                b.annual_failure_rate,
                || d.annual_failure_rate,
                number,
            ),
            lead_time_days: c.optional(
                "lead_time_days",
                b.lead_time_days,
                || d.lead_time_days,
                whole,
            ),
            repair_turnaround_days: c.optional(
                "repair_turnaround_days",
                b.repair_turnaround_days,
                || d.repair_turnaround_days,
                whole,
            ),
            serialized: c.optional("serialized", b.serialized, || d.serialized, boolean),
            lifecycle: c.optional("lifecycle", b.lifecycle, || d.lifecycle, named),
        }
    }

    /// Serial tracking cannot change once a part has moved (as on PATCH),
    /// checked for the batch's changing parts in one query.
    async fn check_rows(
        db: &DatabaseTransaction,
        rows: &[Planned<Part>],
    ) -> AppResult<Vec<CellError>> {
        let switching: Vec<&Planned<Part>> = rows
            .iter()
            .filter(|p| {
                p.before
                    .as_ref()
                    .is_some_and(|b| b.serialized != p.fields.serialized)
            })
            .collect();
        if switching.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = switching.iter().filter_map(|p| p.id).collect();
        let moved = moved_parts(db, &ids).await?;
        Ok(switching
            .into_iter()
            .filter(|p| p.id.is_some_and(|id| moved.contains(&id)))
            .map(|p| CellError::new(p.line, "serialized", serialized_is_fixed(&p.key)))
            .collect())
    }
}
