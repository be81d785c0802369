//! Purchasing and replenishment (process 4.2.2): purchase orders to a
//! supplier with their lines, and the reorder point and maximum level of
//! each part in each warehouse that replenishment suggestions work from.
//!
//! The CHECK constraints back the service's rules: a line never records more
//! received than ordered, and a stock level's maximum is never below its
//! reorder point.
use sea_orm_migration::{prelude::*, schema::*};

use crate::shared::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PurchaseOrders {
    Table,
    Id,
    VendorId,
    WarehouseId,
    Status,
    Reference,
    ExpectedAt,
    CreatedBy,
    CreatedAt,
    ClosedAt,
}

#[derive(DeriveIden)]
enum PurchaseOrderLines {
    Table,
    Id,
    PurchaseOrderId,
    PartId,
    Quantity,
    ReceivedQty,
    UnitPrice,
}

#[derive(DeriveIden)]
enum StockLevels {
    Table,
    Id,
    PartId,
    WarehouseId,
    ReorderPoint,
    MaxLevel,
    Source,
    UpdatedBy,
    UpdatedAt,
}

const PO_STATUSES: [&str; 4] = ["open", "partially_received", "received", "cancelled"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(PurchaseOrders::Table)
                .col(big_pk_auto(PurchaseOrders::Id))
                .col(big_integer(PurchaseOrders::VendorId))
                .col(big_integer(PurchaseOrders::WarehouseId))
                .col(one_of(string(PurchaseOrders::Status), PO_STATUSES))
                .col(string(PurchaseOrders::Reference))
                .col(timestamp_with_time_zone_null(PurchaseOrders::ExpectedAt))
                .col(big_integer(PurchaseOrders::CreatedBy))
                .col(timestamp_with_time_zone(PurchaseOrders::CreatedAt))
                .col(timestamp_with_time_zone_null(PurchaseOrders::ClosedAt))
                .foreign_key(&mut fk(
                    "fk_purchase_orders_vendor",
                    PurchaseOrders::VendorId,
                    Vendors::Table,
                ))
                .foreign_key(&mut fk(
                    "fk_purchase_orders_warehouse",
                    PurchaseOrders::WarehouseId,
                    Warehouses::Table,
                ))
                .foreign_key(&mut fk(
                    "fk_purchase_orders_user",
                    PurchaseOrders::CreatedBy,
                    Users::Table,
                ))
                .take(),
        )
        .await?;
        m.create_index(index(
            "ix_purchase_orders_warehouse_status",
            PurchaseOrders::Table,
            [PurchaseOrders::WarehouseId, PurchaseOrders::Status],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(PurchaseOrderLines::Table)
                .col(big_pk_auto(PurchaseOrderLines::Id))
                .col(big_integer(PurchaseOrderLines::PurchaseOrderId))
                .col(big_integer(PurchaseOrderLines::PartId))
                .col(positive(integer(PurchaseOrderLines::Quantity)))
                .col(non_negative(integer(PurchaseOrderLines::ReceivedQty)))
                .col(string(PurchaseOrderLines::UnitPrice))
                .check(
                    Expr::col(PurchaseOrderLines::ReceivedQty)
                        .lte(Expr::col(PurchaseOrderLines::Quantity)),
                )
                .foreign_key(&mut fk(
                    "fk_purchase_order_lines_order",
                    PurchaseOrderLines::PurchaseOrderId,
                    PurchaseOrders::Table,
                ))
                .foreign_key(&mut fk(
                    "fk_purchase_order_lines_part",
                    PurchaseOrderLines::PartId,
                    Parts::Table,
                ))
                .take(),
        )
        .await?;
        m.create_index(unique_index(
            "ux_purchase_order_lines_part",
            PurchaseOrderLines::Table,
            [
                PurchaseOrderLines::PurchaseOrderId,
                PurchaseOrderLines::PartId,
            ],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(StockLevels::Table)
                .col(big_pk_auto(StockLevels::Id))
                .col(big_integer(StockLevels::PartId))
                .col(big_integer(StockLevels::WarehouseId))
                .col(non_negative(integer(StockLevels::ReorderPoint)))
                .col(integer(StockLevels::MaxLevel))
                .col(one_of(string(StockLevels::Source), ["manual", "plan"]))
                .col(big_integer(StockLevels::UpdatedBy))
                .col(timestamp_with_time_zone(StockLevels::UpdatedAt))
                .check(Expr::col(StockLevels::MaxLevel).gte(Expr::col(StockLevels::ReorderPoint)))
                .foreign_key(&mut fk(
                    "fk_stock_levels_part",
                    StockLevels::PartId,
                    Parts::Table,
                ))
                .foreign_key(&mut fk(
                    "fk_stock_levels_warehouse",
                    StockLevels::WarehouseId,
                    Warehouses::Table,
                ))
                .foreign_key(&mut fk(
                    "fk_stock_levels_user",
                    StockLevels::UpdatedBy,
                    Users::Table,
                ))
                .take(),
        )
        .await?;
        m.create_index(unique_index(
            "ux_stock_levels_part_warehouse",
            StockLevels::Table,
            [StockLevels::PartId, StockLevels::WarehouseId],
        ))
        .await?;
        m.create_index(index(
            "ix_stock_levels_warehouse",
            StockLevels::Table,
            [StockLevels::WarehouseId],
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            m,
            [
                StockLevels::Table.into_iden(),
                PurchaseOrderLines::Table.into_iden(),
                PurchaseOrders::Table.into_iden(),
            ],
        )
        .await
    }
}
