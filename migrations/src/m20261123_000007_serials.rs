//! Serial numbers (process 4.2.6 and the repair loop): one row per
//! serialized unit saying where it is now, and one row per unit per
//! movement saying which units a movement carried.
//!
//! A unit's place is a single row, so it can never be in two places; the
//! ledger moves it with a conditional `UPDATE ... WHERE location = from`,
//! so it can never move from where it is not. Its history is the
//! movements joined through `movement_serials`.
//!
//! The columns added to the flow tables keep the serials a document names
//! before its stock moves (a field return on its way, a scrap request
//! awaiting approval, the units a stocktake found) and the serial of a per-unit repair line. Returns
//! gain the shipment that carries them. SQLite cannot add a foreign key
//! to an existing table, so `returns.shipment_id` is checked by the code
//! that writes it rather than by a constraint.
use sea_orm_migration::{prelude::*, schema::*};

use crate::shared::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SerialUnits {
    Table,
    Id,
    PartId,
    Serial,
    LocationKind,
    LocationId,
    Condition,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum MovementSerials {
    Table,
    Id,
    MovementId,
    SerialUnitId,
}

#[derive(DeriveIden)]
enum StockMovements {
    Table,
}

#[derive(DeriveIden)]
enum RepairLines {
    Table,
    Serial,
}

#[derive(DeriveIden)]
enum ReturnLines {
    Table,
    Serials,
}

#[derive(DeriveIden)]
enum Returns {
    Table,
    ShipmentId,
    ShipmentMode,
    ShipmentCost,
    ShipmentCurrency,
}

#[derive(DeriveIden)]
enum TransferLines {
    Table,
    Serials,
}

#[derive(DeriveIden)]
enum StocktakeLines {
    Table,
    CountedSerials,
}

#[derive(DeriveIden)]
enum ScrapRequests {
    Table,
    Serials,
}

const LOCATION_KINDS: [&str; 8] = [
    "warehouse",
    "supplier",
    "repair_vendor",
    "site",
    "external",
    "in_transit",
    "scrap",
    "adjustment",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(SerialUnits::Table)
                .col(big_pk_auto(SerialUnits::Id))
                .col(big_integer(SerialUnits::PartId))
                .col(string(SerialUnits::Serial))
                .col(one_of(string(SerialUnits::LocationKind), LOCATION_KINDS))
                .col(big_integer_null(SerialUnits::LocationId))
                .col(one_of(string(SerialUnits::Condition), CONDITIONS))
                .col(timestamp_with_time_zone(SerialUnits::CreatedAt))
                .col(timestamp_with_time_zone(SerialUnits::UpdatedAt))
                .foreign_key(&mut fk(
                    "fk_serial_units_part",
                    SerialUnits::PartId,
                    Parts::Table,
                ))
                .take(),
        )
        .await?;
        m.create_index(unique_index(
            "ux_serial_units_part_serial",
            SerialUnits::Table,
            [SerialUnits::PartId, SerialUnits::Serial],
        ))
        .await?;
        m.create_index(index(
            "ix_serial_units_location",
            SerialUnits::Table,
            [
                SerialUnits::LocationKind,
                SerialUnits::LocationId,
                SerialUnits::PartId,
            ],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table(MovementSerials::Table)
                .col(big_pk_auto(MovementSerials::Id))
                .col(big_integer(MovementSerials::MovementId))
                .col(big_integer(MovementSerials::SerialUnitId))
                .foreign_key(&mut fk(
                    "fk_movement_serials_movement",
                    MovementSerials::MovementId,
                    StockMovements::Table,
                ))
                .foreign_key(&mut fk(
                    "fk_movement_serials_unit",
                    MovementSerials::SerialUnitId,
                    SerialUnits::Table,
                ))
                .take(),
        )
        .await?;
        m.create_index(unique_index(
            "ux_movement_serials_movement_unit",
            MovementSerials::Table,
            [MovementSerials::MovementId, MovementSerials::SerialUnitId],
        ))
        .await?;
        m.create_index(index(
            "ix_movement_serials_unit",
            MovementSerials::Table,
            [MovementSerials::SerialUnitId],
        ))
        .await?;
        // SQLite adds one column per ALTER TABLE.
        add_column(m, RepairLines::Table, string_null(RepairLines::Serial)).await?;
        add_column(
            m,
            ReturnLines::Table,
            text(ReturnLines::Serials).default("[]"),
        )
        .await?;
        add_column(m, Returns::Table, big_integer_null(Returns::ShipmentId)).await?;
        add_column(
            m,
            Returns::Table,
            string(Returns::ShipmentMode).default("local"),
        )
        .await?;
        add_column(
            m,
            Returns::Table,
            string(Returns::ShipmentCost).default("0"),
        )
        .await?;
        add_column(
            m,
            Returns::Table,
            string(Returns::ShipmentCurrency).default("EUR"),
        )
        .await?;
        add_column(
            m,
            ScrapRequests::Table,
            text(ScrapRequests::Serials).default("[]"),
        )
        .await?;
        add_column(
            m,
            StocktakeLines::Table,
            text(StocktakeLines::CountedSerials).default("[]"),
        )
        .await?;
        add_column(
            m,
            TransferLines::Table,
            text(TransferLines::Serials).default("[]"),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_column(m, TransferLines::Table, TransferLines::Serials).await?;
        drop_column(m, StocktakeLines::Table, StocktakeLines::CountedSerials).await?;
        drop_column(m, ScrapRequests::Table, ScrapRequests::Serials).await?;
        for column in [
            Returns::ShipmentId,
            Returns::ShipmentMode,
            Returns::ShipmentCost,
            Returns::ShipmentCurrency,
        ] {
            drop_column(m, Returns::Table, column).await?;
        }
        drop_column(m, ReturnLines::Table, ReturnLines::Serials).await?;
        drop_column(m, RepairLines::Table, RepairLines::Serial).await?;
        m.drop_table(Table::drop().table(MovementSerials::Table).take())
            .await?;
        m.drop_table(Table::drop().table(SerialUnits::Table).take())
            .await
    }
}
