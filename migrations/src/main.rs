//! The migration CLI: `cargo run -p migrations -- up` with `DATABASE_URL` set.
use sea_orm_migration::prelude::*;

#[tokio::main]
async fn main() {
    cli::run_cli(migrations::Migrator).await;
}
