//! Demand history brought in from spreadsheets: the units demanded of a
//! part per calendar month or ISO week, at a warehouse or at a site (whose
//! serving warehouse met it), from before the service's ledger began.
//! Ledger forecasts read it for the periods before a part's first movement
//! at a warehouse.
//!
//! Additive: one new table. A row names exactly one of warehouse and site
//! (CHECK); one row per part, place, bucket and period, whichever of the two
//! places it names (a unique index over the place with the empty one read
//! as 0, the same expression on both backends).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DemandHistory {
    Table,
    Id,
    PartId,
    WarehouseId,
    SiteId,
    Bucket,
    PeriodStart,
    Quantity,
    UpdatedBy,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Parts {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Warehouses {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Sites {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

fn fk(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(ForeignKeyAction::Restrict)
        .take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let one_place = Expr::col(DemandHistory::WarehouseId)
            .is_null()
            .and(Expr::col(DemandHistory::SiteId).is_not_null())
            .or(Expr::col(DemandHistory::WarehouseId)
                .is_not_null()
                .and(Expr::col(DemandHistory::SiteId).is_null()));
        m.create_table(
            Table::create()
                .table(DemandHistory::Table)
                .col(big_pk_auto(DemandHistory::Id))
                .col(big_integer(DemandHistory::PartId))
                .col(big_integer_null(DemandHistory::WarehouseId))
                .col(big_integer_null(DemandHistory::SiteId))
                .col(
                    string(DemandHistory::Bucket)
                        .check(Expr::col(DemandHistory::Bucket).is_in(["month", "week"])),
                )
                .col(timestamp_with_time_zone(DemandHistory::PeriodStart))
                .col(
                    integer(DemandHistory::Quantity)
                        .check(Expr::col(DemandHistory::Quantity).gte(0)),
                )
                .col(big_integer(DemandHistory::UpdatedBy))
                .col(timestamp_with_time_zone(DemandHistory::UpdatedAt))
                .check(one_place)
                .foreign_key(&mut fk(
                    "fk_demand_history_part",
                    (DemandHistory::Table, DemandHistory::PartId),
                    (Parts::Table, Parts::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_demand_history_warehouse",
                    (DemandHistory::Table, DemandHistory::WarehouseId),
                    (Warehouses::Table, Warehouses::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_demand_history_site",
                    (DemandHistory::Table, DemandHistory::SiteId),
                    (Sites::Table, Sites::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_demand_history_user",
                    (DemandHistory::Table, DemandHistory::UpdatedBy),
                    (Users::Table, Users::Id),
                ))
                .take(),
        )
        .await?;
        // sea-query builds no expression index; this statement is the same
        // SQL on SQLite and PostgreSQL.
        m.get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_demand_history_key ON demand_history \
                 (part_id, COALESCE(warehouse_id, 0), COALESCE(site_id, 0), bucket, period_start)",
            )
            .await?;
        m.create_index(
            Index::create()
                .name("ix_demand_history_period")
                .table(DemandHistory::Table)
                .col(DemandHistory::Bucket)
                .col(DemandHistory::PeriodStart)
                .take(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(DemandHistory::Table).take())
            .await
    }
}
