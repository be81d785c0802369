//! Master data, users and API tokens.
//!
//! Checks that the API also validates are repeated here so that no client,
//! script or later bug can store a negative lead time or a cyclic parent.
use sea_orm_migration::{prelude::*, schema::*};

use crate::shared::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Name,
    Role,
    Active,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Id,
    UserId,
    TokenHash,
    Prefix,
    CreatedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum Parts {
    Table,
    Id,
    PartNumber,
    Description,
    UnitOfMeasure,
    UnitCost,
    Currency,
    Kind,
    Criticality,
    AnnualFailureRate,
    LeadTimeDays,
    RepairTurnaroundDays,
    Serialized,
    Lifecycle,
    Active,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Warehouses {
    Table,
    Id,
    Code,
    Name,
    Kind,
    Region,
    ParentId,
    Active,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Lanes {
    Table,
    Id,
    FromWarehouseId,
    ToWarehouseId,
    TransitHours,
    Cost,
    Currency,
    Active,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SlaClasses {
    Table,
    Id,
    Code,
    Name,
    ResponseMinutes,
    BusinessHoursOnly,
    Active,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Sites {
    Table,
    Id,
    Code,
    Name,
    Customer,
    Region,
    TimeZone,
    ServingWarehouseId,
    TransitHours,
    SlaClassId,
    Active,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum InstalledBase {
    Table,
    Id,
    SiteId,
    PartId,
    Quantity,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Vendors {
    Table,
    Id,
    Code,
    Name,
    Kind,
    LeadTimeDays,
    RepairTurnaroundDays,
    Active,
    CreatedAt,
    UpdatedAt,
}

fn created_updated(t: &mut TableCreateStatement, created: impl IntoIden, updated: impl IntoIden) {
    t.col(timestamp_with_time_zone(created))
        .col(timestamp_with_time_zone(updated));
}

/// Master data keeps its ids: a referenced row is neither deleted nor
/// renumbered.
fn fk(name: &str, column: impl IntoIden, table: impl IntoIden) -> ForeignKeyCreateStatement {
    crate::shared::fk(name, column, table)
        .on_update(ForeignKeyAction::Restrict)
        .take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Users::Table)
                .col(big_pk_auto(Users::Id))
                .col(string_uniq(Users::Name))
                .col(one_of(
                    string(Users::Role),
                    ["admin", "planner", "warehouse", "engineer"],
                ))
                .col(boolean(Users::Active))
                .col(timestamp_with_time_zone(Users::CreatedAt))
                .take(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ApiTokens::Table)
                .col(big_pk_auto(ApiTokens::Id))
                .col(big_integer(ApiTokens::UserId))
                .col(string_uniq(ApiTokens::TokenHash))
                .col(string(ApiTokens::Prefix))
                .col(timestamp_with_time_zone(ApiTokens::CreatedAt))
                .col(timestamp_with_time_zone_null(ApiTokens::RevokedAt))
                .foreign_key(&mut fk(
                    "fk_api_tokens_user",
                    ApiTokens::UserId,
                    Users::Table,
                ))
                .take(),
        )
        .await?;

        let mut parts = Table::create()
            .table(Parts::Table)
            .col(big_pk_auto(Parts::Id))
            .col(string_uniq(Parts::PartNumber))
            .col(text(Parts::Description))
            .col(string(Parts::UnitOfMeasure))
            .col(string(Parts::UnitCost))
            .col(string_len(Parts::Currency, 3))
            .col(one_of(string(Parts::Kind), ["repairable", "consumable"]))
            .col(one_of(
                string(Parts::Criticality),
                ["low", "medium", "high", "critical"],
            ))
            .col(non_negative(double(Parts::AnnualFailureRate)))
            .col(non_negative(integer(Parts::LeadTimeDays)))
            .col(non_negative(integer(Parts::RepairTurnaroundDays)))
            .col(boolean(Parts::Serialized))
            .col(one_of(string(Parts::Lifecycle), ["active", "end_of_life"]))
            .col(boolean(Parts::Active))
            .take();
        created_updated(&mut parts, Parts::CreatedAt, Parts::UpdatedAt);
        m.create_table(parts).await?;

        let mut warehouses = Table::create()
            .table(Warehouses::Table)
            .col(big_pk_auto(Warehouses::Id))
            .col(string_uniq(Warehouses::Code))
            .col(string(Warehouses::Name))
            .col(one_of(
                string(Warehouses::Kind),
                ["central_depot", "regional", "forward"],
            ))
            .col(string(Warehouses::Region))
            .col(big_integer_null(Warehouses::ParentId))
            .col(boolean(Warehouses::Active))
            .check(Expr::col(Warehouses::ParentId).ne(Expr::col(Warehouses::Id)))
            .foreign_key(&mut fk(
                "fk_warehouses_parent",
                Warehouses::ParentId,
                Warehouses::Table,
            ))
            .take();
        created_updated(
            &mut warehouses,
            Warehouses::CreatedAt,
            Warehouses::UpdatedAt,
        );
        m.create_table(warehouses).await?;

        let mut lanes = Table::create()
            .table(Lanes::Table)
            .col(big_pk_auto(Lanes::Id))
            .col(big_integer(Lanes::FromWarehouseId))
            .col(big_integer(Lanes::ToWarehouseId))
            .col(non_negative(double(Lanes::TransitHours)))
            .col(string(Lanes::Cost))
            .col(string_len(Lanes::Currency, 3))
            .col(boolean(Lanes::Active))
            .check(Expr::col(Lanes::FromWarehouseId).ne(Expr::col(Lanes::ToWarehouseId)))
            .foreign_key(&mut fk(
                "fk_lanes_from",
                Lanes::FromWarehouseId,
                Warehouses::Table,
            ))
            .foreign_key(&mut fk(
                "fk_lanes_to",
                Lanes::ToWarehouseId,
                Warehouses::Table,
            ))
            .take();
        created_updated(&mut lanes, Lanes::CreatedAt, Lanes::UpdatedAt);
        m.create_table(lanes).await?;
        m.create_index(unique_index(
            "ux_lanes_from_to",
            Lanes::Table,
            [Lanes::FromWarehouseId, Lanes::ToWarehouseId],
        ))
        .await?;

        let mut sla = Table::create()
            .table(SlaClasses::Table)
            .col(big_pk_auto(SlaClasses::Id))
            .col(string_uniq(SlaClasses::Code))
            .col(string(SlaClasses::Name))
            .col(positive(integer(SlaClasses::ResponseMinutes)))
            .col(boolean(SlaClasses::BusinessHoursOnly))
            .col(boolean(SlaClasses::Active))
            .take();
        created_updated(&mut sla, SlaClasses::CreatedAt, SlaClasses::UpdatedAt);
        m.create_table(sla).await?;

        let mut sites = Table::create()
            .table(Sites::Table)
            .col(big_pk_auto(Sites::Id))
            .col(string_uniq(Sites::Code))
            .col(string(Sites::Name))
            .col(string(Sites::Customer))
            .col(string(Sites::Region))
            .col(string(Sites::TimeZone))
            .col(big_integer(Sites::ServingWarehouseId))
            .col(non_negative(double(Sites::TransitHours)))
            .col(big_integer_null(Sites::SlaClassId))
            .col(boolean(Sites::Active))
            .foreign_key(&mut fk(
                "fk_sites_warehouse",
                Sites::ServingWarehouseId,
                Warehouses::Table,
            ))
            .foreign_key(&mut fk(
                "fk_sites_sla_class",
                Sites::SlaClassId,
                SlaClasses::Table,
            ))
            .take();
        created_updated(&mut sites, Sites::CreatedAt, Sites::UpdatedAt);
        m.create_table(sites).await?;

        m.create_table(
            Table::create()
                .table(InstalledBase::Table)
                .col(big_pk_auto(InstalledBase::Id))
                .col(big_integer(InstalledBase::SiteId))
                .col(big_integer(InstalledBase::PartId))
                .col(non_negative(integer(InstalledBase::Quantity)))
                .col(timestamp_with_time_zone(InstalledBase::UpdatedAt))
                .foreign_key(&mut fk(
                    "fk_installed_base_site",
                    InstalledBase::SiteId,
                    Sites::Table,
                ))
                .foreign_key(&mut fk(
                    "fk_installed_base_part",
                    InstalledBase::PartId,
                    Parts::Table,
                ))
                .take(),
        )
        .await?;
        m.create_index(unique_index(
            "ux_installed_base_site_part",
            InstalledBase::Table,
            [InstalledBase::SiteId, InstalledBase::PartId],
        ))
        .await?;

        let mut vendors = Table::create()
            .table(Vendors::Table)
            .col(big_pk_auto(Vendors::Id))
            .col(string_uniq(Vendors::Code))
            .col(string(Vendors::Name))
            .col(one_of(
                string(Vendors::Kind),
                ["supplier", "repair", "both"],
            ))
            .col(non_negative(integer(Vendors::LeadTimeDays)))
            .col(non_negative(integer_null(Vendors::RepairTurnaroundDays)))
            .col(boolean(Vendors::Active))
            .take();
        created_updated(&mut vendors, Vendors::CreatedAt, Vendors::UpdatedAt);
        m.create_table(vendors).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            m,
            [
                InstalledBase::Table.into_iden(),
                Sites::Table.into_iden(),
                SlaClasses::Table.into_iden(),
                Lanes::Table.into_iden(),
                Warehouses::Table.into_iden(),
                Parts::Table.into_iden(),
                Vendors::Table.into_iden(),
                ApiTokens::Table.into_iden(),
                Users::Table.into_iden(),
            ],
        )
        .await
    }
}
