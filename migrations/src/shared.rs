//! Builders the migrations share: the checks a column carries, foreign keys,
//! indexes, dropping tables, and the tables later migrations point at.
//!
//! Each helper writes exactly the statement the migrations used to spell
//! out by hand, so a database that ran them sees no difference.
use sea_orm_migration::prelude::*;

/// The conditions stock can be in.
pub const CONDITIONS: [&str; 3] = ["good", "defective", "quarantined"];

/// `users`, for the tables that record who did what.
#[derive(DeriveIden)]
pub enum Users {
    Table,
}

/// `parts`.
#[derive(DeriveIden)]
pub enum Parts {
    Table,
}

/// `warehouses`.
#[derive(DeriveIden)]
pub enum Warehouses {
    Table,
}

/// `stock_documents`: the ledger documents processes post.
#[derive(DeriveIden)]
pub enum StockDocuments {
    Table,
}

/// `vendors`.
#[derive(DeriveIden)]
pub enum Vendors {
    Table,
}

/// `sites`.
#[derive(DeriveIden)]
pub enum Sites {
    Table,
}

/// The column's own name, to write a check on it.
fn name_of(def: &ColumnDef) -> Alias {
    Alias::new(def.get_column_name())
}

/// `def` with `CHECK (column >= 0)`.
pub fn non_negative(mut def: ColumnDef) -> ColumnDef {
    let name = name_of(&def);
    def.check(Expr::col(name).gte(0)).take()
}

/// `def` with `CHECK (column > 0)`.
pub fn positive(mut def: ColumnDef) -> ColumnDef {
    let name = name_of(&def);
    def.check(Expr::col(name).gt(0)).take()
}

/// `def` with `CHECK (column IN (values))`: a closed vocabulary.
pub fn one_of<V: Into<Expr>>(mut def: ColumnDef, values: impl IntoIterator<Item = V>) -> ColumnDef {
    let name = name_of(&def);
    def.check(Expr::col(name).is_in(values)).take()
}

/// A named foreign key from `column` of the table being created to
/// `table.id`, with no action on delete or update.
pub fn reference(
    name: &str,
    column: impl IntoIden,
    table: impl IntoIden,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from_col(column)
        .to_tbl(table)
        .to_col(Alias::new("id"))
        .take()
}

/// A named foreign key from `column` of the table being created to
/// `table.id` that refuses to delete a row still referenced.
pub fn fk(name: &str, column: impl IntoIden, table: impl IntoIden) -> ForeignKeyCreateStatement {
    reference(name, column, table)
        .on_delete(ForeignKeyAction::Restrict)
        .take()
}

/// An index on `cols` of `table`, in that order.
pub fn index<C: IntoIden>(
    name: &str,
    table: impl IntoIden,
    cols: impl IntoIterator<Item = C>,
) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table);
    for col in cols {
        index.col(col);
    }
    index.take()
}

/// A unique index on `cols` of `table`, in that order.
pub fn unique_index<C: IntoIden>(
    name: &str,
    table: impl IntoIden,
    cols: impl IntoIterator<Item = C>,
) -> IndexCreateStatement {
    index(name, table, cols).unique().take()
}

/// Drops `tables`, in the order given (dependents first).
pub async fn drop_tables(
    m: &SchemaManager<'_>,
    tables: impl IntoIterator<Item = DynIden>,
) -> Result<(), DbErr> {
    for table in tables {
        m.drop_table(Table::drop().table(table).take()).await?;
    }
    Ok(())
}

/// Adds one column to `table`: SQLite adds a single column per statement.
pub async fn add_column(
    m: &SchemaManager<'_>,
    table: impl IntoIden,
    def: impl IntoColumnDef,
) -> Result<(), DbErr> {
    m.alter_table(Table::alter().table(table).add_column(def).take())
        .await
}

/// Drops one column of `table`.
pub async fn drop_column(
    m: &SchemaManager<'_>,
    table: impl IntoIden,
    column: impl IntoIden,
) -> Result<(), DbErr> {
    m.alter_table(Table::alter().table(table).drop_column(column).take())
        .await
}
