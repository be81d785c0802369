//! Engineers' replacement-part requests (process 4.1.3 calling 4.2): the
//! request with its SLA deadline, sourcing decision and lifecycle; the
//! demand record every dispatch writes for planning; and the holidays of
//! the business calendar that business-hour SLA classes count in.
//!
//! Numbered 000008 so that 000007 stays free for the serial-number work
//! landing beside it; the two touch no common table.
use sea_orm_migration::{prelude::*, schema::*};

use crate::shared::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ReplacementRequests {
    Table,
    Id,
    EngineerId,
    TicketRef,
    SiteId,
    PartId,
    Quantity,
    Priority,
    Note,
    FailedSerial,
    Status,
    SlaClassId,
    RequestedAt,
    DeadlineAt,
    ServingWarehouseId,
    SourceWarehouseId,
    SourceKind,
    SourcingCost,
    SlaAtRisk,
    RiskReason,
    ReservationId,
    PromisedEta,
    Eta,
    ReturnExpected,
    IssueDocumentId,
    ShipmentId,
    ReturnId,
    SourcedAt,
    DispatchedAt,
    DeliveredAt,
    ReturnedAt,
    ClosedAt,
    CancelledAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum DemandRecords {
    Table,
    Id,
    RequestId,
    PartId,
    SiteId,
    WarehouseId,
    ServingWarehouseId,
    Quantity,
    Hit,
    OccurredAt,
}

#[derive(DeriveIden)]
enum Holidays {
    Table,
    Id,
    Day,
    Region,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SlaClasses {
    Table,
}

#[derive(DeriveIden)]
enum Reservations {
    Table,
}

#[derive(DeriveIden)]
enum Shipments {
    Table,
}

#[derive(DeriveIden)]
enum Returns {
    Table,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use ReplacementRequests as R;
        m.create_table(
            Table::create()
                .table(R::Table)
                .col(big_pk_auto(R::Id))
                .col(big_integer(R::EngineerId))
                .col(string(R::TicketRef))
                .col(big_integer(R::SiteId))
                .col(big_integer(R::PartId))
                .col(positive(integer(R::Quantity)))
                .col(one_of(
                    string(R::Priority),
                    ["low", "normal", "high", "critical"],
                ))
                .col(text(R::Note))
                .col(string_null(R::FailedSerial))
                .col(one_of(
                    string(R::Status),
                    [
                        "backordered",
                        "sourced",
                        "dispatched",
                        "delivered",
                        "defective_returned",
                        "closed",
                        "cancelled",
                    ],
                ))
                .col(big_integer(R::SlaClassId))
                .col(timestamp_with_time_zone(R::RequestedAt))
                .col(timestamp_with_time_zone(R::DeadlineAt))
                .col(big_integer(R::ServingWarehouseId))
                .col(big_integer_null(R::SourceWarehouseId))
                .col(one_of(
                    string(R::SourceKind),
                    ["serving", "lateral", "earliest", "backorder"],
                ))
                .col(string_null(R::SourcingCost))
                .col(boolean(R::SlaAtRisk))
                .col(text(R::RiskReason))
                .col(big_integer_null(R::ReservationId))
                .col(timestamp_with_time_zone_null(R::PromisedEta))
                .col(timestamp_with_time_zone_null(R::Eta))
                .col(boolean(R::ReturnExpected))
                .col(big_integer_null(R::IssueDocumentId))
                .col(big_integer_null(R::ShipmentId))
                .col(big_integer_null(R::ReturnId))
                .col(timestamp_with_time_zone_null(R::SourcedAt))
                .col(timestamp_with_time_zone_null(R::DispatchedAt))
                .col(timestamp_with_time_zone_null(R::DeliveredAt))
                .col(timestamp_with_time_zone_null(R::ReturnedAt))
                .col(timestamp_with_time_zone_null(R::ClosedAt))
                .col(timestamp_with_time_zone_null(R::CancelledAt))
                .col(timestamp_with_time_zone(R::UpdatedAt))
                .foreign_key(&mut fk(
                    "fk_replacement_requests_engineer",
                    R::EngineerId,
                    Users::Table,
                ))
                .foreign_key(&mut fk(
                    "fk_replacement_requests_site",
                    R::SiteId,
                    Sites::Table,
                ))
                .foreign_key(&mut fk(
                    "fk_replacement_requests_part",
                    R::PartId,
                    Parts::Table,
                ))
                .foreign_key(&mut fk(
                    "fk_replacement_requests_sla_class",
                    R::SlaClassId,
                    SlaClasses::Table,
                ))
                .foreign_key(&mut fk(
                    "fk_replacement_requests_serving",
                    R::ServingWarehouseId,
                    Warehouses::Table,
                ))
                .foreign_key(&mut fk(
                    "fk_replacement_requests_source",
                    R::SourceWarehouseId,
                    Warehouses::Table,
                ))
                .foreign_key(&mut fk(
                    "fk_replacement_requests_reservation",
                    R::ReservationId,
                    Reservations::Table,
                ))
                .foreign_key(&mut fk(
                    "fk_replacement_requests_issue",
                    R::IssueDocumentId,
                    StockDocuments::Table,
                ))
                .foreign_key(&mut fk(
                    "fk_replacement_requests_shipment",
                    R::ShipmentId,
                    Shipments::Table,
                ))
                .foreign_key(&mut fk(
                    "fk_replacement_requests_return",
                    R::ReturnId,
                    Returns::Table,
                ))
                .take(),
        )
        .await?;
        // Backorder fill looks requests up by part and status on every
        // good-stock arrival; engineers list their own.
        m.create_index(index(
            "ix_replacement_requests_part_status",
            R::Table,
            [R::PartId, R::Status, R::DeadlineAt],
        ))
        .await?;
        m.create_index(index(
            "ix_replacement_requests_engineer",
            R::Table,
            [R::EngineerId],
        ))
        .await?;

        use DemandRecords as D;
        m.create_table(
            Table::create()
                .table(D::Table)
                .col(big_pk_auto(D::Id))
                .col(big_integer(D::RequestId).unique_key())
                .col(big_integer(D::PartId))
                .col(big_integer(D::SiteId))
                .col(big_integer(D::WarehouseId))
                .col(big_integer(D::ServingWarehouseId))
                .col(positive(integer(D::Quantity)))
                .col(boolean(D::Hit))
                .col(timestamp_with_time_zone(D::OccurredAt))
                .foreign_key(&mut fk("fk_demand_records_request", D::RequestId, R::Table))
                .foreign_key(&mut fk("fk_demand_records_part", D::PartId, Parts::Table))
                .foreign_key(&mut fk("fk_demand_records_site", D::SiteId, Sites::Table))
                .foreign_key(&mut fk(
                    "fk_demand_records_warehouse",
                    D::WarehouseId,
                    Warehouses::Table,
                ))
                .take(),
        )
        .await?;
        m.create_index(index(
            "ix_demand_records_occurred",
            D::Table,
            [D::OccurredAt],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(Holidays::Table)
                .col(big_pk_auto(Holidays::Id))
                // ISO date `YYYY-MM-DD`, local to the sites it applies to.
                .col(string(Holidays::Day))
                // A site region, or empty for every site.
                .col(string(Holidays::Region))
                .col(string(Holidays::Name))
                .col(timestamp_with_time_zone(Holidays::CreatedAt))
                .take(),
        )
        .await?;
        m.create_index(unique_index(
            "ux_holidays_day_region",
            Holidays::Table,
            [Holidays::Day, Holidays::Region],
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            m,
            [
                Holidays::Table.into_iden(),
                DemandRecords::Table.into_iden(),
                ReplacementRequests::Table.into_iden(),
            ],
        )
        .await
    }
}
