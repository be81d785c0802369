//! Transfers between warehouses and the shipments that carry them (and,
//! later, dispatches to sites and returns), with proof of delivery.
//!
//! Stock in transit is not stored here: it is the ledger's net quantity
//! into `in_transit:{transfer id}`. The line counters record what the
//! receiving side accounted for (good, damaged, short, excess); CHECK
//! constraints keep them non-negative and never above what was shipped.
use sea_orm_migration::{prelude::*, schema::*};

use crate::shared::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Shipments {
    Table,
    Id,
    Kind,
    Carrier,
    TrackingRef,
    Mode,
    CustomsClearedAt,
    OriginKind,
    OriginId,
    DestinationKind,
    DestinationId,
    DispatchedAt,
    EstimatedArrivalAt,
    DeliveredAt,
    PodReceiver,
    PodNote,
    PodAt,
    Cost,
    Currency,
    Status,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Transfers {
    Table,
    Id,
    FromWarehouseId,
    ToWarehouseId,
    Status,
    Reference,
    Note,
    ShipmentId,
    ShipDocumentId,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    ShippedAt,
    ReceivedAt,
    ClosedAt,
    CancelledAt,
}

#[derive(DeriveIden)]
enum TransferLines {
    Table,
    Id,
    TransferId,
    PartId,
    Quantity,
    Condition,
    ReceivedGood,
    ReceivedDamaged,
    Short,
    Excess,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Shipments::Table)
                .col(big_pk_auto(Shipments::Id))
                .col(one_of(
                    string(Shipments::Kind),
                    ["transfer", "dispatch", "return"],
                ))
                .col(string(Shipments::Carrier))
                .col(string(Shipments::TrackingRef))
                .col(one_of(string(Shipments::Mode), ["local", "international"]))
                .col(timestamp_with_time_zone_null(Shipments::CustomsClearedAt))
                .col(string(Shipments::OriginKind))
                .col(big_integer_null(Shipments::OriginId))
                .col(string(Shipments::DestinationKind))
                .col(big_integer_null(Shipments::DestinationId))
                .col(timestamp_with_time_zone(Shipments::DispatchedAt))
                .col(timestamp_with_time_zone(Shipments::EstimatedArrivalAt))
                .col(timestamp_with_time_zone_null(Shipments::DeliveredAt))
                .col(string_null(Shipments::PodReceiver))
                .col(string_null(Shipments::PodNote))
                .col(timestamp_with_time_zone_null(Shipments::PodAt))
                .col(string(Shipments::Cost))
                .col(string(Shipments::Currency))
                .col(one_of(
                    string(Shipments::Status),
                    ["in_transit", "delivered"],
                ))
                .col(big_integer(Shipments::CreatedBy))
                .col(timestamp_with_time_zone(Shipments::CreatedAt))
                // Delivered exactly when proof of delivery is recorded.
                .check(
                    Expr::col(Shipments::Status)
                        .eq("in_transit")
                        .and(Expr::col(Shipments::DeliveredAt).is_null())
                        .or(Expr::col(Shipments::Status)
                            .eq("delivered")
                            .and(Expr::col(Shipments::DeliveredAt).is_not_null())
                            .and(Expr::col(Shipments::PodReceiver).is_not_null())),
                )
                .foreign_key(&mut fk(
                    "fk_shipments_user",
                    Shipments::CreatedBy,
                    Users::Table,
                ))
                .take(),
        )
        .await?;
        m.create_index(index(
            "ix_shipments_status",
            Shipments::Table,
            [Shipments::Status, Shipments::Id],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(Transfers::Table)
                .col(big_pk_auto(Transfers::Id))
                .col(big_integer(Transfers::FromWarehouseId))
                .col(big_integer(Transfers::ToWarehouseId))
                .col(one_of(
                    string(Transfers::Status),
                    ["draft", "shipped", "received", "closed", "cancelled"],
                ))
                .col(string(Transfers::Reference))
                .col(string(Transfers::Note))
                .col(big_integer_null(Transfers::ShipmentId))
                .col(big_integer_null(Transfers::ShipDocumentId))
                .col(big_integer(Transfers::CreatedBy))
                .col(timestamp_with_time_zone(Transfers::CreatedAt))
                .col(timestamp_with_time_zone(Transfers::UpdatedAt))
                .col(timestamp_with_time_zone_null(Transfers::ShippedAt))
                .col(timestamp_with_time_zone_null(Transfers::ReceivedAt))
                .col(timestamp_with_time_zone_null(Transfers::ClosedAt))
                .col(timestamp_with_time_zone_null(Transfers::CancelledAt))
                .check(
                    Expr::col(Transfers::FromWarehouseId).ne(Expr::col(Transfers::ToWarehouseId)),
                )
                .foreign_key(&mut fk(
                    "fk_transfers_from",
                    Transfers::FromWarehouseId,
                    Warehouses::Table,
                ))
                .foreign_key(&mut fk(
                    "fk_transfers_to",
                    Transfers::ToWarehouseId,
                    Warehouses::Table,
                ))
                .foreign_key(&mut fk(
                    "fk_transfers_shipment",
                    Transfers::ShipmentId,
                    Shipments::Table,
                ))
                .foreign_key(&mut fk(
                    "fk_transfers_document",
                    Transfers::ShipDocumentId,
                    StockDocuments::Table,
                ))
                .foreign_key(&mut fk(
                    "fk_transfers_user",
                    Transfers::CreatedBy,
                    Users::Table,
                ))
                .take(),
        )
        .await?;
        m.create_index(index(
            "ix_transfers_lane",
            Transfers::Table,
            [
                Transfers::FromWarehouseId,
                Transfers::ToWarehouseId,
                Transfers::Status,
            ],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(TransferLines::Table)
                .col(big_pk_auto(TransferLines::Id))
                .col(big_integer(TransferLines::TransferId))
                .col(big_integer(TransferLines::PartId))
                .col(positive(integer(TransferLines::Quantity)))
                .col(one_of(
                    string(TransferLines::Condition),
                    ["good", "defective", "quarantined"],
                ))
                .col(non_negative(integer(TransferLines::ReceivedGood)))
                .col(non_negative(integer(TransferLines::ReceivedDamaged)))
                .col(non_negative(integer(TransferLines::Short)))
                .col(non_negative(integer(TransferLines::Excess)))
                // Never more accounted for than shipped.
                .check(
                    Expr::col(TransferLines::ReceivedGood)
                        .add(Expr::col(TransferLines::ReceivedDamaged))
                        .add(Expr::col(TransferLines::Short))
                        .lte(Expr::col(TransferLines::Quantity)),
                )
                .foreign_key(&mut fk(
                    "fk_transfer_lines_transfer",
                    TransferLines::TransferId,
                    Transfers::Table,
                ))
                .foreign_key(&mut fk(
                    "fk_transfer_lines_part",
                    TransferLines::PartId,
                    Parts::Table,
                ))
                .take(),
        )
        .await?;
        m.create_index(unique_index(
            "ux_transfer_lines_part",
            TransferLines::Table,
            [TransferLines::TransferId, TransferLines::PartId],
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            m,
            [
                TransferLines::Table.into_iden(),
                Transfers::Table.into_iden(),
                Shipments::Table.into_iden(),
            ],
        )
        .await
    }
}
