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
enum Parts {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum StockMovements {
    Table,
    Id,
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

const CONDITIONS: [&str; 3] = ["good", "defective", "quarantined"];
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
                .col(
                    string(SerialUnits::LocationKind)
                        .check(Expr::col(SerialUnits::LocationKind).is_in(LOCATION_KINDS)),
                )
                .col(big_integer_null(SerialUnits::LocationId))
                .col(
                    string(SerialUnits::Condition)
                        .check(Expr::col(SerialUnits::Condition).is_in(CONDITIONS)),
                )
                .col(timestamp_with_time_zone(SerialUnits::CreatedAt))
                .col(timestamp_with_time_zone(SerialUnits::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_serial_units_part")
                        .from(SerialUnits::Table, SerialUnits::PartId)
                        .to(Parts::Table, Parts::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_serial_units_part_serial")
                .table(SerialUnits::Table)
                .col(SerialUnits::PartId)
                .col(SerialUnits::Serial)
                .unique()
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_serial_units_location")
                .table(SerialUnits::Table)
                .col(SerialUnits::LocationKind)
                .col(SerialUnits::LocationId)
                .col(SerialUnits::PartId)
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(MovementSerials::Table)
                .col(big_pk_auto(MovementSerials::Id))
                .col(big_integer(MovementSerials::MovementId))
                .col(big_integer(MovementSerials::SerialUnitId))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_movement_serials_movement")
                        .from(MovementSerials::Table, MovementSerials::MovementId)
                        .to(StockMovements::Table, StockMovements::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_movement_serials_unit")
                        .from(MovementSerials::Table, MovementSerials::SerialUnitId)
                        .to(SerialUnits::Table, SerialUnits::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_movement_serials_movement_unit")
                .table(MovementSerials::Table)
                .col(MovementSerials::MovementId)
                .col(MovementSerials::SerialUnitId)
                .unique()
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_movement_serials_unit")
                .table(MovementSerials::Table)
                .col(MovementSerials::SerialUnitId)
                .take(),
        )
        .await?;
        // SQLite adds one column per ALTER TABLE.
        m.alter_table(
            Table::alter()
                .table(RepairLines::Table)
                .add_column(string_null(RepairLines::Serial))
                .take(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(ReturnLines::Table)
                .add_column(text(ReturnLines::Serials).default("[]"))
                .take(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Returns::Table)
                .add_column(big_integer_null(Returns::ShipmentId))
                .take(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Returns::Table)
                .add_column(string(Returns::ShipmentMode).default("local"))
                .take(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Returns::Table)
                .add_column(string(Returns::ShipmentCost).default("0"))
                .take(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Returns::Table)
                .add_column(string(Returns::ShipmentCurrency).default("EUR"))
                .take(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(ScrapRequests::Table)
                .add_column(text(ScrapRequests::Serials).default("[]"))
                .take(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(StocktakeLines::Table)
                .add_column(text(StocktakeLines::CountedSerials).default("[]"))
                .take(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(TransferLines::Table)
                .add_column(text(TransferLines::Serials).default("[]"))
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(TransferLines::Table)
                .drop_column(TransferLines::Serials)
                .take(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(StocktakeLines::Table)
                .drop_column(StocktakeLines::CountedSerials)
                .take(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(ScrapRequests::Table)
                .drop_column(ScrapRequests::Serials)
                .take(),
        )
        .await?;
        for column in [
            Returns::ShipmentId,
            Returns::ShipmentMode,
            Returns::ShipmentCost,
            Returns::ShipmentCurrency,
        ] {
            m.alter_table(
                Table::alter()
                    .table(Returns::Table)
                    .drop_column(column)
                    .take(),
            )
            .await?;
        }
        m.alter_table(
            Table::alter()
                .table(ReturnLines::Table)
                .drop_column(ReturnLines::Serials)
                .take(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(RepairLines::Table)
                .drop_column(RepairLines::Serial)
                .take(),
        )
        .await?;
        m.drop_table(Table::drop().table(MovementSerials::Table).take())
            .await?;
        m.drop_table(Table::drop().table(SerialUnits::Table).take())
            .await
    }
}
