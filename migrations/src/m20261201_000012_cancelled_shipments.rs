//! A shipment can be cancelled: what it was booked to carry never left (a
//! field return cancelled because the unit never came). `status` gains
//! `cancelled`, with the time in `cancelled_at`; a cancelled shipment has
//! no delivery.
//!
//! PostgreSQL changes the checks in place. SQLite cannot alter a check, so
//! the table is rebuilt with the same rows and ids (its documented
//! twelve-step procedure), on one connection with foreign keys off, and the
//! foreign keys of the tables that point at it are checked before commit.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The rule tying the status to the delivery and cancellation times.
const STATUS_RULE: &str = "(\"status\" = 'in_transit' AND \"delivered_at\" IS NULL AND \"cancelled_at\" IS NULL) \
     OR (\"status\" = 'delivered' AND \"delivered_at\" IS NOT NULL AND \"pod_receiver\" IS NOT NULL AND \"cancelled_at\" IS NULL) \
     OR (\"status\" = 'cancelled' AND \"delivered_at\" IS NULL AND \"cancelled_at\" IS NOT NULL)";

const POSTGRES: &str = "
ALTER TABLE shipments ADD COLUMN cancelled_at timestamp with time zone NULL;
ALTER TABLE shipments DROP CONSTRAINT shipments_status_check;
ALTER TABLE shipments DROP CONSTRAINT shipments_check;
ALTER TABLE shipments ADD CONSTRAINT shipments_status_check
    CHECK (status IN ('in_transit', 'delivered', 'cancelled'));
";

const SQLITE_COLUMNS: &str = "\"id\", \"kind\", \"carrier\", \"tracking_ref\", \"mode\", \
     \"customs_cleared_at\", \"origin_kind\", \"origin_id\", \"destination_kind\", \
     \"destination_id\", \"dispatched_at\", \"estimated_arrival_at\", \"delivered_at\", \
     \"pod_receiver\", \"pod_note\", \"pod_at\", \"cost\", \"currency\", \"status\", \
     \"created_by\", \"created_at\"";

fn sqlite_rebuild() -> String {
    format!(
        "PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE \"shipments_rebuilt\" ( \"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT, \
\"kind\" varchar NOT NULL CHECK (\"kind\" IN ('transfer', 'dispatch', 'return')), \
\"carrier\" varchar NOT NULL, \"tracking_ref\" varchar NOT NULL, \
\"mode\" varchar NOT NULL CHECK (\"mode\" IN ('local', 'international')), \
\"customs_cleared_at\" timestamp_with_timezone_text NULL, \"origin_kind\" varchar NOT NULL, \
\"origin_id\" integer NULL, \"destination_kind\" varchar NOT NULL, \"destination_id\" integer NULL, \
\"dispatched_at\" timestamp_with_timezone_text NOT NULL, \
\"estimated_arrival_at\" timestamp_with_timezone_text NOT NULL, \
\"delivered_at\" timestamp_with_timezone_text NULL, \"pod_receiver\" varchar NULL, \
\"pod_note\" varchar NULL, \"pod_at\" timestamp_with_timezone_text NULL, \"cost\" varchar NOT NULL, \
\"currency\" varchar NOT NULL, \
\"status\" varchar NOT NULL CHECK (\"status\" IN ('in_transit', 'delivered', 'cancelled')), \
\"created_by\" integer NOT NULL, \"created_at\" timestamp_with_timezone_text NOT NULL, \
\"cancelled_at\" timestamp_with_timezone_text NULL, \
FOREIGN KEY (\"created_by\") REFERENCES \"users\" (\"id\") ON DELETE RESTRICT, \
CHECK ({STATUS_RULE}) );
INSERT INTO \"shipments_rebuilt\" ({SQLITE_COLUMNS}) SELECT {SQLITE_COLUMNS} FROM \"shipments\";
DROP TABLE \"shipments\";
ALTER TABLE \"shipments_rebuilt\" RENAME TO \"shipments\";
CREATE INDEX \"ix_shipments_status\" ON \"shipments\" (\"status\", \"id\");
COMMIT;
PRAGMA foreign_keys = ON;"
    )
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        match m.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared(POSTGRES).await?;
                db.execute_unprepared(&format!(
                    "ALTER TABLE shipments ADD CONSTRAINT shipments_check CHECK ({STATUS_RULE})"
                ))
                .await?;
            }
            _ => {
                db.execute_unprepared(&sqlite_rebuild()).await?;
                let broken = db
                    .query_all_raw(sea_orm_migration::sea_orm::Statement::from_string(
                        DbBackend::Sqlite,
                        "PRAGMA foreign_key_check",
                    ))
                    .await?;
                if !broken.is_empty() {
                    return Err(DbErr::Migration(format!(
                        "rebuilding shipments left {} dangling foreign keys",
                        broken.len()
                    )));
                }
            }
        }
        Ok(())
    }
}
