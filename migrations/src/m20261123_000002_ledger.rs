//! The stock ledger: documents, immutable movements, guarded balances,
//! reservations, idempotency keys and stocktakes.
//!
//! The balance table's CHECK constraints are the last line of defence: the
//! service only changes balances with conditional updates, but even a bug
//! cannot store negative stock or reserve more than is on hand.
use sea_orm_migration::{prelude::*, schema::*};

use crate::shared::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum StockDocuments {
    Table,
    Id,
    DocType,
    WarehouseId,
    Reference,
    Reason,
    Counterparty,
    CounterpartyId,
    ReversesDocumentId,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum StockMovements {
    Table,
    Id,
    DocumentId,
    PartId,
    Quantity,
    FromKind,
    FromId,
    FromCondition,
    ToKind,
    ToId,
    ToCondition,
    MovementType,
    ActorId,
    ReversesMovementId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum StockBalances {
    Table,
    Id,
    PartId,
    WarehouseId,
    Condition,
    OnHand,
    Reserved,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Reservations {
    Table,
    Id,
    PartId,
    WarehouseId,
    Condition,
    Quantity,
    Status,
    Reference,
    ConsumedByDocumentId,
    CreatedBy,
    CreatedAt,
    ClosedAt,
}

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    Id,
    UserId,
    Key,
    RequestHash,
    State,
    ResponseStatus,
    ResponseBody,
    CreatedAt,
    CompletedAt,
}

#[derive(DeriveIden)]
enum Stocktakes {
    Table,
    Id,
    WarehouseId,
    Status,
    Note,
    CreatedBy,
    CreatedAt,
    ApprovedBy,
    ApprovedAt,
    AdjustmentDocumentId,
}

#[derive(DeriveIden)]
enum StocktakeLines {
    Table,
    Id,
    StocktakeId,
    PartId,
    Condition,
    SnapshotQty,
    CountedQty,
    SystemQtyAtCount,
    CountedBy,
    CountedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(StockDocuments::Table)
                .col(big_pk_auto(StockDocuments::Id))
                .col(string(StockDocuments::DocType))
                .col(big_integer_null(StockDocuments::WarehouseId))
                .col(string(StockDocuments::Reference))
                .col(string(StockDocuments::Reason))
                .col(string(StockDocuments::Counterparty))
                .col(big_integer_null(StockDocuments::CounterpartyId))
                .col(big_integer_null(StockDocuments::ReversesDocumentId).unique_key())
                .col(big_integer(StockDocuments::CreatedBy))
                .col(timestamp_with_time_zone(StockDocuments::CreatedAt))
                .foreign_key(&mut fk(
                    "fk_documents_warehouse",
                    StockDocuments::WarehouseId,
                    Warehouses::Table,
                ))
                .foreign_key(&mut fk(
                    "fk_documents_user",
                    StockDocuments::CreatedBy,
                    Users::Table,
                ))
                .foreign_key(&mut fk(
                    "fk_documents_reverses",
                    StockDocuments::ReversesDocumentId,
                    StockDocuments::Table,
                ))
                .take(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(StockMovements::Table)
                .col(big_pk_auto(StockMovements::Id))
                .col(big_integer(StockMovements::DocumentId))
                .col(big_integer(StockMovements::PartId))
                .col(positive(integer(StockMovements::Quantity)))
                .col(string(StockMovements::FromKind))
                .col(big_integer_null(StockMovements::FromId))
                .col(one_of(string(StockMovements::FromCondition), CONDITIONS))
                .col(string(StockMovements::ToKind))
                .col(big_integer_null(StockMovements::ToId))
                .col(one_of(string(StockMovements::ToCondition), CONDITIONS))
                .col(string(StockMovements::MovementType))
                .col(big_integer(StockMovements::ActorId))
                .col(big_integer_null(StockMovements::ReversesMovementId).unique_key())
                .col(timestamp_with_time_zone(StockMovements::CreatedAt))
                .foreign_key(&mut fk(
                    "fk_movements_document",
                    StockMovements::DocumentId,
                    StockDocuments::Table,
                ))
                .foreign_key(&mut fk(
                    "fk_movements_part",
                    StockMovements::PartId,
                    Parts::Table,
                ))
                .foreign_key(&mut fk(
                    "fk_movements_actor",
                    StockMovements::ActorId,
                    Users::Table,
                ))
                .foreign_key(&mut fk(
                    "fk_movements_reverses",
                    StockMovements::ReversesMovementId,
                    StockMovements::Table,
                ))
                .take(),
        )
        .await?;
        for (name, cols) in [
            (
                "ix_movements_part",
                vec![StockMovements::PartId, StockMovements::Id],
            ),
            ("ix_movements_document", vec![StockMovements::DocumentId]),
            (
                "ix_movements_from",
                vec![StockMovements::FromId, StockMovements::Id],
            ),
            (
                "ix_movements_to",
                vec![StockMovements::ToId, StockMovements::Id],
            ),
        ] {
            m.create_index(index(name, StockMovements::Table, cols))
                .await?;
        }

        m.create_table(
            Table::create()
                .table(StockBalances::Table)
                .col(big_pk_auto(StockBalances::Id))
                .col(big_integer(StockBalances::PartId))
                .col(big_integer(StockBalances::WarehouseId))
                .col(one_of(string(StockBalances::Condition), CONDITIONS))
                .col(non_negative(integer(StockBalances::OnHand)))
                .col(non_negative(integer(StockBalances::Reserved)))
                .col(timestamp_with_time_zone(StockBalances::UpdatedAt))
                .check(Expr::col(StockBalances::Reserved).lte(Expr::col(StockBalances::OnHand)))
                .foreign_key(&mut fk(
                    "fk_balances_part",
                    StockBalances::PartId,
                    Parts::Table,
                ))
                .foreign_key(&mut fk(
                    "fk_balances_warehouse",
                    StockBalances::WarehouseId,
                    Warehouses::Table,
                ))
                .take(),
        )
        .await?;
        m.create_index(unique_index(
            "ux_balances_part_warehouse_condition",
            StockBalances::Table,
            [
                StockBalances::PartId,
                StockBalances::WarehouseId,
                StockBalances::Condition,
            ],
        ))
        .await?;
        m.create_index(index(
            "ix_balances_warehouse",
            StockBalances::Table,
            [StockBalances::WarehouseId],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(Reservations::Table)
                .col(big_pk_auto(Reservations::Id))
                .col(big_integer(Reservations::PartId))
                .col(big_integer(Reservations::WarehouseId))
                .col(one_of(string(Reservations::Condition), CONDITIONS))
                .col(positive(integer(Reservations::Quantity)))
                .col(one_of(
                    string(Reservations::Status),
                    ["active", "released", "consumed"],
                ))
                .col(string(Reservations::Reference))
                .col(big_integer_null(Reservations::ConsumedByDocumentId))
                .col(big_integer(Reservations::CreatedBy))
                .col(timestamp_with_time_zone(Reservations::CreatedAt))
                .col(timestamp_with_time_zone_null(Reservations::ClosedAt))
                .foreign_key(&mut fk(
                    "fk_reservations_part",
                    Reservations::PartId,
                    Parts::Table,
                ))
                .foreign_key(&mut fk(
                    "fk_reservations_warehouse",
                    Reservations::WarehouseId,
                    Warehouses::Table,
                ))
                .foreign_key(&mut fk(
                    "fk_reservations_document",
                    Reservations::ConsumedByDocumentId,
                    StockDocuments::Table,
                ))
                .take(),
        )
        .await?;
        m.create_index(index(
            "ix_reservations_balance",
            Reservations::Table,
            [
                Reservations::PartId,
                Reservations::WarehouseId,
                Reservations::Status,
            ],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(IdempotencyKeys::Table)
                .col(big_pk_auto(IdempotencyKeys::Id))
                .col(big_integer(IdempotencyKeys::UserId))
                .col(string(IdempotencyKeys::Key))
                .col(string(IdempotencyKeys::RequestHash))
                .col(one_of(string(IdempotencyKeys::State), ["running", "done"]))
                .col(integer_null(IdempotencyKeys::ResponseStatus))
                .col(text_null(IdempotencyKeys::ResponseBody))
                .col(timestamp_with_time_zone(IdempotencyKeys::CreatedAt))
                .col(timestamp_with_time_zone_null(IdempotencyKeys::CompletedAt))
                .take(),
        )
        .await?;
        m.create_index(unique_index(
            "ux_idempotency_user_key",
            IdempotencyKeys::Table,
            [IdempotencyKeys::UserId, IdempotencyKeys::Key],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(Stocktakes::Table)
                .col(big_pk_auto(Stocktakes::Id))
                .col(big_integer(Stocktakes::WarehouseId))
                .col(one_of(
                    string(Stocktakes::Status),
                    ["open", "approved", "cancelled"],
                ))
                .col(string(Stocktakes::Note))
                .col(big_integer(Stocktakes::CreatedBy))
                .col(timestamp_with_time_zone(Stocktakes::CreatedAt))
                .col(big_integer_null(Stocktakes::ApprovedBy))
                .col(timestamp_with_time_zone_null(Stocktakes::ApprovedAt))
                .col(big_integer_null(Stocktakes::AdjustmentDocumentId))
                .foreign_key(&mut fk(
                    "fk_stocktakes_warehouse",
                    Stocktakes::WarehouseId,
                    Warehouses::Table,
                ))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(StocktakeLines::Table)
                .col(big_pk_auto(StocktakeLines::Id))
                .col(big_integer(StocktakeLines::StocktakeId))
                .col(big_integer(StocktakeLines::PartId))
                .col(one_of(string(StocktakeLines::Condition), CONDITIONS))
                .col(non_negative(integer(StocktakeLines::SnapshotQty)))
                .col(non_negative(integer_null(StocktakeLines::CountedQty)))
                .col(integer_null(StocktakeLines::SystemQtyAtCount))
                .col(big_integer_null(StocktakeLines::CountedBy))
                .col(timestamp_with_time_zone_null(StocktakeLines::CountedAt))
                .foreign_key(&mut fk(
                    "fk_stocktake_lines_stocktake",
                    StocktakeLines::StocktakeId,
                    Stocktakes::Table,
                ))
                .foreign_key(&mut fk(
                    "fk_stocktake_lines_part",
                    StocktakeLines::PartId,
                    Parts::Table,
                ))
                .take(),
        )
        .await?;
        m.create_index(unique_index(
            "ux_stocktake_lines",
            StocktakeLines::Table,
            [
                StocktakeLines::StocktakeId,
                StocktakeLines::PartId,
                StocktakeLines::Condition,
            ],
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            m,
            [
                StocktakeLines::Table.into_iden(),
                Stocktakes::Table.into_iden(),
                IdempotencyKeys::Table.into_iden(),
                Reservations::Table.into_iden(),
                StockBalances::Table.into_iden(),
                StockMovements::Table.into_iden(),
                StockDocuments::Table.into_iden(),
            ],
        )
        .await
    }
}
