//! SLA classes, customer sites and their installed base from files. Sites
//! name their serving warehouse and SLA class by code; an installed-base
//! row names a site by `site_code` and a part by `part_number`.
use std::collections::HashMap;

use entities::{installed_base, site, sla_class};
use sea_orm::{DatabaseTransaction, EntityTrait, QueryFilter};

use super::lookup::{self, Codes, codes_in, pairs_in};
use super::master::{Context, MasterImport, rows_by_key};
use super::{Change, File, Importer};
use crate::core::fields::{Code, Name};
use crate::core::import::cells::{boolean, number, text, whole};
use crate::core::import::source::Record;
use crate::core::import::{Cells, Column, Header};
use crate::flows::master::sites::{InstalledQuantity, Site, SiteFields, write_installed};
use crate::flows::master::sla_classes::{SlaClass, SlaClassFields};
use crate::store::error::{AppError, AppResult};

pub(crate) const SLA_CLASS_COLUMNS: &[Column] = &[
    Column::key("code"),
    Column::create("name"),
    Column::create("response_minutes"),
    Column::optional("business_hours_only"),
];

impl MasterImport for SlaClass {
    const KEY_COLUMN: &'static str = "code";
    type Refs = ();

    fn conflict_columns() -> Vec<sla_class::Column> {
        vec![sla_class::Column::Code]
    }

    async fn existing(
        db: &DatabaseTransaction,
        keys: &[String],
        _refs: &(),
    ) -> AppResult<HashMap<String, sla_class::Model>> {
        rows_by_key::<SlaClass>(db, sla_class::Column::Code, keys, |s| s.code.clone()).await
    }

    fn read(c: &mut Cells, ctx: &Context<'_, SlaClass>) -> SlaClassFields {
        let new = ctx.creating();
        let b = ctx.base.cloned().unwrap_or_else(|| SlaClassFields {
            code: Code::from(ctx.key),
            name: Name::default(),
            response_minutes: 0,
            business_hours_only: false,
        });
        SlaClassFields {
            code: Code::from(ctx.key),
            name: c.required("name", b.name, new, text),
            response_minutes: c.required("response_minutes", b.response_minutes, new, whole),
            business_hours_only: c.optional(
                "business_hours_only",
                b.business_hours_only,
                || false,
                boolean,
            ),
        }
    }
}

pub(crate) const SITE_COLUMNS: &[Column] = &[
    Column::key("code"),
    Column::create("name"),
    Column::create("customer"),
    Column::create("region"),
    Column::create("time_zone"),
    Column::create("serving_warehouse_code"),
    Column::create("transit_hours"),
    Column::optional("sla_class_code"),
];

/// What the sites of a batch refer to.
#[derive(Default)]
pub(crate) struct SiteRefs {
    warehouses: Codes,
    sla_classes: Codes,
}

impl MasterImport for Site {
    const KEY_COLUMN: &'static str = "code";
    const RENAMED: &'static [(&'static str, &'static str)] = &[
        ("serving_warehouse_id", "serving_warehouse_code"),
        ("sla_class_id", "sla_class_code"),
    ];
    type Refs = SiteRefs;

    fn conflict_columns() -> Vec<site::Column> {
        vec![site::Column::Code]
    }

    async fn references(db: &DatabaseTransaction, rows: &[Cells<'_>]) -> AppResult<SiteRefs> {
        Ok(SiteRefs {
            warehouses: lookup::warehouses(db, rows, &["serving_warehouse_code"]).await?,
            sla_classes: Codes::load::<sla_class::Entity>(
                db,
                sla_class::Column::Code,
                codes_in(rows, "sla_class_code"),
            )
            .await?,
        })
    }

    async fn existing(
        db: &DatabaseTransaction,
        keys: &[String],
        _refs: &SiteRefs,
    ) -> AppResult<HashMap<String, site::Model>> {
        rows_by_key::<Site>(db, site::Column::Code, keys, |s| s.code.clone()).await
    }

    /// A new or changed serving warehouse or SLA class must be active.
    fn read(c: &mut Cells, ctx: &Context<'_, Site>) -> SiteFields {
        let new = ctx.creating();
        let b = ctx.base.cloned().unwrap_or_else(|| SiteFields {
            code: Code::from(ctx.key),
            name: Name::default(),
            customer: Name::default(),
            region: Name::default(),
            time_zone: String::new(),
            serving_warehouse_id: 0,
            transit_hours: 0.0,
            sla_class_id: None,
        });
        let serving = ctx.refs.warehouses.required(
            c,
            "serving_warehouse_code",
            "warehouse",
            ctx.base.map(|b| b.serving_warehouse_id),
        );
        let sla_class_id =
            ctx.refs
                .sla_classes
                .optional(c, "sla_class_code", "SLA class", b.sla_class_id);
        SiteFields {
            code: Code::from(ctx.key),
            name: c.required("name", b.name, new, text),
            customer: c.required("customer", b.customer, new, text),
            region: c.required("region", b.region, new, text),
            time_zone: c.required("time_zone", b.time_zone, new, text),
            serving_warehouse_id: serving.unwrap_or(b.serving_warehouse_id),
            transit_hours: c.required("transit_hours", b.transit_hours, new, number),
            sla_class_id,
        }
    }
}

pub(crate) const INSTALLED_BASE_COLUMNS: &[Column] = &[
    Column::key("site_code"),
    Column::key("part_number"),
    Column::required("quantity"),
];

/// Installed base from a file: how many units of a part run at a site.
pub(crate) struct InstalledBase;

/// One installed-base row that passed its checks.
struct Installed {
    site_id: i64,
    part_id: i64,
    quantity: i32,
}

impl Importer for InstalledBase {
    async fn batch(
        &mut self,
        db: &DatabaseTransaction,
        header: &Header,
        file: &mut File,
        rows: &[Record],
    ) -> AppResult<()> {
        let mut cells = Cells::all(header, rows);
        let sites = lookup::sites(db, &cells).await?;
        let parts = lookup::parts(db, &cells).await?;
        let mut accepted = Vec::new();
        let mut errors = Vec::new();
        for c in &mut cells {
            if let Some(line) = read_installed(c, file, &sites, &parts) {
                accepted.push(line);
            }
        }
        for c in cells {
            errors.extend(c.finish());
        }
        file.reject(errors);
        let stored = stored_installed(db, &accepted).await?;
        let now = file.now();
        let changed: Vec<&Installed> = accepted
            .iter()
            .filter(|l| {
                let change = match stored.get(&(l.site_id, l.part_id)) {
                    None => Change::Created,
                    Some(q) if *q == l.quantity => Change::Unchanged,
                    Some(_) => Change::Updated,
                };
                file.count(change);
                change != Change::Unchanged
            })
            .collect();
        let lines = changed.iter().map(|l| (l.site_id, l.part_id, l.quantity));
        write_installed(db, lines, now).await
    }
}

/// One row's site, part and quantity, checked as
/// `PUT /api/v1/sites/{id}/installed-base/{part_id}` checks them.
fn read_installed(
    c: &mut Cells,
    file: &mut File,
    sites: &Codes,
    parts: &Codes,
) -> Option<Installed> {
    let site: Option<String> = c.value("site_code", text);
    let part: Option<String> = c.value("part_number", text);
    let quantity = c.value("quantity", whole);
    let (site, part) = (site?, part?);
    let key = format!("{site}\u{1f}{part}");
    let what = format!("site `{site}` with part `{part}`");
    if !file.claim(c, "part_number", &key, &what) {
        return None;
    }
    let site_id = sites.existing(c, "site_code", &site, "site");
    let part_id = parts.existing(c, "part_number", &part, "part");
    let quantity = quantity?;
    if let Err(AppError::Validation(errors)) = (InstalledQuantity { quantity }).validate() {
        c.invalid(errors, &[]);
    }
    if c.has_errors() {
        file.refuse(&key);
        return None;
    }
    Some(Installed {
        site_id: site_id?,
        part_id: part_id?,
        quantity,
    })
}

/// The stored quantities of the lines `rows` name.
async fn stored_installed(
    db: &DatabaseTransaction,
    rows: &[Installed],
) -> AppResult<HashMap<(i64, i64), i32>> {
    if rows.is_empty() {
        return Ok(HashMap::new());
    }
    let pairs = rows.iter().map(|r| (r.site_id, r.part_id));
    Ok(installed_base::Entity::find()
        .filter(pairs_in(
            installed_base::Column::SiteId,
            installed_base::Column::PartId,
            pairs,
        ))
        .all(db)
        .await?
        .into_iter()
        .map(|r| ((r.site_id, r.part_id), r.quantity))
        .collect())
}
