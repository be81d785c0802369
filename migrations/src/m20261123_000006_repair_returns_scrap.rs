//! The repair loop, returns and scrap (processes 4.2.4 and 4.2.6): repair
//! orders with a repair record per line, field returns and returns to
//! vendor with their lines, and scrap requests with their certificates.
//!
//! Stock itself moves only through the ledger; these tables hold the
//! documents' states, which CHECK constraints keep to the known values.
use sea_orm_migration::{prelude::*, schema::*};

use crate::shared::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RepairOrders {
    Table,
    Id,
    VendorId,
    WarehouseId,
    Status,
    Reference,
    SendDocumentId,
    CreatedBy,
    CreatedAt,
    SentAt,
    ClosedAt,
}

#[derive(DeriveIden)]
enum RepairLines {
    Table,
    Id,
    RepairOrderId,
    PartId,
    Quantity,
    Outcome,
    FaultCause,
    FailedComponent,
    Conclusion,
    Measures,
    Cost,
    RepeatRepair,
    DueAt,
    ReturnedAt,
    ReturnedToWarehouseId,
    ResultDocumentId,
    RecordedBy,
}

#[derive(DeriveIden)]
enum Returns {
    Table,
    Id,
    Kind,
    SiteId,
    VendorId,
    WarehouseId,
    Status,
    Reason,
    Reference,
    Carrier,
    TrackingRef,
    DocumentId,
    CreatedBy,
    CreatedAt,
    ShippedAt,
    ReceivedAt,
    CancelledAt,
}

#[derive(DeriveIden)]
enum ReturnLines {
    Table,
    Id,
    ReturnId,
    PartId,
    Quantity,
    Condition,
}

#[derive(DeriveIden)]
enum ScrapRequests {
    Table,
    Id,
    WarehouseId,
    PartId,
    Quantity,
    Condition,
    Reason,
    Value,
    Currency,
    Status,
    RequestedBy,
    RequestedAt,
    DecidedBy,
    DecidedAt,
    DecisionNote,
    CertificateNumber,
    DocumentId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(RepairOrders::Table)
                .col(big_pk_auto(RepairOrders::Id))
                .col(big_integer_null(RepairOrders::VendorId))
                .col(big_integer(RepairOrders::WarehouseId))
                .col(one_of(string(RepairOrders::Status), ["sent", "closed"]))
                .col(string(RepairOrders::Reference))
                .col(big_integer_null(RepairOrders::SendDocumentId))
                .col(big_integer(RepairOrders::CreatedBy))
                .col(timestamp_with_time_zone(RepairOrders::CreatedAt))
                .col(timestamp_with_time_zone(RepairOrders::SentAt))
                .col(timestamp_with_time_zone_null(RepairOrders::ClosedAt))
                .foreign_key(&mut fk(
                    "fk_repair_orders_vendor",
                    RepairOrders::VendorId,
                    Vendors::Table,
                ))
                .foreign_key(&mut fk(
                    "fk_repair_orders_warehouse",
                    RepairOrders::WarehouseId,
                    Warehouses::Table,
                ))
                .foreign_key(&mut fk(
                    "fk_repair_orders_document",
                    RepairOrders::SendDocumentId,
                    StockDocuments::Table,
                ))
                .foreign_key(&mut fk(
                    "fk_repair_orders_user",
                    RepairOrders::CreatedBy,
                    Users::Table,
                ))
                .take(),
        )
        .await?;
        m.create_index(index(
            "ix_repair_orders_warehouse",
            RepairOrders::Table,
            [RepairOrders::WarehouseId, RepairOrders::Status],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(RepairLines::Table)
                .col(big_pk_auto(RepairLines::Id))
                .col(big_integer(RepairLines::RepairOrderId))
                .col(big_integer(RepairLines::PartId))
                .col(positive(integer(RepairLines::Quantity)))
                .col(one_of(
                    string(RepairLines::Outcome),
                    ["pending", "repaired", "beyond_repair"],
                ))
                .col(text(RepairLines::FaultCause))
                .col(text(RepairLines::FailedComponent))
                .col(text(RepairLines::Conclusion))
                .col(text(RepairLines::Measures))
                .col(string_null(RepairLines::Cost))
                .col(boolean(RepairLines::RepeatRepair))
                .col(timestamp_with_time_zone(RepairLines::DueAt))
                .col(timestamp_with_time_zone_null(RepairLines::ReturnedAt))
                .col(big_integer_null(RepairLines::ReturnedToWarehouseId))
                .col(big_integer_null(RepairLines::ResultDocumentId))
                .col(big_integer_null(RepairLines::RecordedBy))
                .foreign_key(&mut fk(
                    "fk_repair_lines_order",
                    RepairLines::RepairOrderId,
                    RepairOrders::Table,
                ))
                .foreign_key(&mut fk(
                    "fk_repair_lines_part",
                    RepairLines::PartId,
                    Parts::Table,
                ))
                .foreign_key(&mut fk(
                    "fk_repair_lines_warehouse",
                    RepairLines::ReturnedToWarehouseId,
                    Warehouses::Table,
                ))
                .foreign_key(&mut fk(
                    "fk_repair_lines_document",
                    RepairLines::ResultDocumentId,
                    StockDocuments::Table,
                ))
                .take(),
        )
        .await?;
        m.create_index(index(
            "ix_repair_lines_order",
            RepairLines::Table,
            [RepairLines::RepairOrderId],
        ))
        .await?;
        m.create_index(index(
            "ix_repair_lines_part",
            RepairLines::Table,
            [RepairLines::PartId, RepairLines::Outcome],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(Returns::Table)
                .col(big_pk_auto(Returns::Id))
                .col(one_of(
                    string(Returns::Kind),
                    ["field_return", "return_to_vendor"],
                ))
                .col(big_integer_null(Returns::SiteId))
                .col(big_integer_null(Returns::VendorId))
                .col(big_integer(Returns::WarehouseId))
                .col(one_of(
                    string(Returns::Status),
                    ["draft", "in_transit", "received", "cancelled"],
                ))
                .col(text(Returns::Reason))
                .col(string(Returns::Reference))
                .col(string(Returns::Carrier))
                .col(string(Returns::TrackingRef))
                .col(big_integer_null(Returns::DocumentId))
                .col(big_integer(Returns::CreatedBy))
                .col(timestamp_with_time_zone(Returns::CreatedAt))
                .col(timestamp_with_time_zone_null(Returns::ShippedAt))
                .col(timestamp_with_time_zone_null(Returns::ReceivedAt))
                .col(timestamp_with_time_zone_null(Returns::CancelledAt))
                .foreign_key(&mut fk("fk_returns_site", Returns::SiteId, Sites::Table))
                .foreign_key(&mut fk(
                    "fk_returns_vendor",
                    Returns::VendorId,
                    Vendors::Table,
                ))
                .foreign_key(&mut fk(
                    "fk_returns_warehouse",
                    Returns::WarehouseId,
                    Warehouses::Table,
                ))
                .foreign_key(&mut fk(
                    "fk_returns_document",
                    Returns::DocumentId,
                    StockDocuments::Table,
                ))
                .foreign_key(&mut fk("fk_returns_user", Returns::CreatedBy, Users::Table))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ReturnLines::Table)
                .col(big_pk_auto(ReturnLines::Id))
                .col(big_integer(ReturnLines::ReturnId))
                .col(big_integer(ReturnLines::PartId))
                .col(positive(integer(ReturnLines::Quantity)))
                .col(one_of(string(ReturnLines::Condition), CONDITIONS))
                .foreign_key(&mut fk(
                    "fk_return_lines_return",
                    ReturnLines::ReturnId,
                    Returns::Table,
                ))
                .foreign_key(&mut fk(
                    "fk_return_lines_part",
                    ReturnLines::PartId,
                    Parts::Table,
                ))
                .take(),
        )
        .await?;
        m.create_index(index(
            "ix_return_lines_return",
            ReturnLines::Table,
            [ReturnLines::ReturnId],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(ScrapRequests::Table)
                .col(big_pk_auto(ScrapRequests::Id))
                .col(big_integer(ScrapRequests::WarehouseId))
                .col(big_integer(ScrapRequests::PartId))
                .col(positive(integer(ScrapRequests::Quantity)))
                .col(one_of(string(ScrapRequests::Condition), CONDITIONS))
                .col(text(ScrapRequests::Reason))
                .col(string(ScrapRequests::Value))
                .col(string(ScrapRequests::Currency))
                .col(one_of(
                    string(ScrapRequests::Status),
                    ["requested", "approved", "rejected"],
                ))
                .col(big_integer(ScrapRequests::RequestedBy))
                .col(timestamp_with_time_zone(ScrapRequests::RequestedAt))
                .col(big_integer_null(ScrapRequests::DecidedBy))
                .col(timestamp_with_time_zone_null(ScrapRequests::DecidedAt))
                .col(text(ScrapRequests::DecisionNote))
                .col(string_null(ScrapRequests::CertificateNumber).unique_key())
                .col(big_integer_null(ScrapRequests::DocumentId))
                .foreign_key(&mut fk(
                    "fk_scrap_requests_warehouse",
                    ScrapRequests::WarehouseId,
                    Warehouses::Table,
                ))
                .foreign_key(&mut fk(
                    "fk_scrap_requests_part",
                    ScrapRequests::PartId,
                    Parts::Table,
                ))
                .foreign_key(&mut fk(
                    "fk_scrap_requests_requester",
                    ScrapRequests::RequestedBy,
                    Users::Table,
                ))
                .foreign_key(&mut fk(
                    "fk_scrap_requests_decider",
                    ScrapRequests::DecidedBy,
                    Users::Table,
                ))
                .foreign_key(&mut fk(
                    "fk_scrap_requests_document",
                    ScrapRequests::DocumentId,
                    StockDocuments::Table,
                ))
                .take(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            m,
            [
                ScrapRequests::Table.into_iden(),
                ReturnLines::Table.into_iden(),
                Returns::Table.into_iden(),
                RepairLines::Table.into_iden(),
                RepairOrders::Table.into_iden(),
            ],
        )
        .await
    }
}
