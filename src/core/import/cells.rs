//! One row's cells read into typed values, with every problem recorded
//! against its column instead of stopping at the first.
//!
//! What a cell means, the same for every kind:
//! - a column the header leaves out keeps what a stored row has (an
//!   update changes only the columns the file has), and gives a new row
//!   the JSON API's default;
//! - an empty cell is the JSON API's default, or no value where the field
//!   may be null; in a column a new row needs, it is refused;
//! - numbers are written as the JSON API takes them: a point for decimals,
//!   no thousands separators (`1,234.50` and `12,5` are refused naming the
//!   column, not read as something else). Amounts follow the API's decimal
//!   rule exactly ([`crate::core::input::parse_decimal_text`]), and every
//!   value then passes the same field checks as a JSON body.
use std::str::FromStr;

use rust_decimal::Decimal;

use super::source::Record;
use super::{CellError, Header};
use crate::core::validate::FieldError;

/// The cells of one row.
pub struct Cells<'a> {
    header: &'a Header,
    record: &'a Record,
    errors: Vec<CellError>,
    /// Columns already refused (as the header names them), so one bad
    /// cell gets one message.
    failed: Vec<String>,
    /// The row has the wrong number of cells: nothing in it is read.
    broken: bool,
}

impl<'a> Cells<'a> {
    /// The row `record` under `header`; a row with more or fewer cells
    /// than the header is refused whole, and cells that are not UTF-8 are
    /// refused one by one.
    pub fn new(header: &'a Header, record: &'a Record) -> Cells<'a> {
        let mut cells = Cells {
            header,
            record,
            errors: Vec::new(),
            failed: Vec::new(),
            broken: false,
        };
        if record.len() != header.width() {
            cells.broken = true;
            let at = record.len().min(header.width().saturating_sub(1));
            cells.errors.push(CellError::new(
                record.line(),
                header.name_at(at),
                format!(
                    "the row has {} cells where the header names {} columns",
                    record.len(),
                    header.width()
                ),
            ));
        }
        if let Some(at) = header.active_position() {
            let active = record.cell(at).unwrap_or("").trim();
            if !(active.is_empty() || active.eq_ignore_ascii_case("true")) {
                cells.errors.push(CellError::new(
                    record.line(),
                    header.name_at(at),
                    "an import creates and updates active rows only; import the row as \
                     active, then deactivate it through the API",
                ));
            }
        }
        for at in 0..record.len() {
            if record.is_bad_utf8(at) {
                let column = header.name_at(at);
                cells.failed.push(column.to_owned());
                cells.errors.push(CellError::new(
                    record.line(),
                    column,
                    "is not UTF-8 text; save the file as CSV UTF-8",
                ));
            }
        }
        cells
    }

    /// The cells of every row of a batch.
    pub fn all(header: &'a Header, records: &'a [Record]) -> Vec<Cells<'a>> {
        records.iter().map(|r| Cells::new(header, r)).collect()
    }

    pub fn line(&self) -> u64 {
        self.record.line()
    }

    /// The column as this file's header names it (`name` if it has none).
    fn label<'n>(&self, name: &'n str) -> &'n str
    where
        'a: 'n,
    {
        match self.header.position(name) {
            Some(at) => self.header.name_at(at),
            None => name,
        }
    }

    /// The text of column `name`; `None` if the header has no such column
    /// or the cell was already refused.
    pub fn raw(&self, name: &str) -> Option<&'a str> {
        let label = self.label(name);
        if self.broken || self.failed.iter().any(|f| f == label) {
            return None;
        }
        self.record.cell(self.header.position(name)?)
    }

    /// Whether the header has column `name`.
    pub fn has(&self, name: &str) -> bool {
        self.header.position(name).is_some()
    }

    /// Refuses the cell of column `name`.
    pub fn fail(&mut self, name: &str, message: impl Into<String>) {
        let column = self.label(name).to_owned();
        if !self.failed.contains(&column) {
            self.errors
                .push(CellError::new(self.line(), column.as_str(), message));
            self.failed.push(column);
        }
    }

    /// Whether the row has a problem so far.
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    /// Reads a cell that must hold a value: `None` (recorded) when it is
    /// empty or unreadable, or the header lacks the column.
    pub fn value<T>(
        &mut self,
        name: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        if self.broken {
            return None;
        }
        let text = self.raw(name)?;
        if text.is_empty() {
            self.fail(name, "must not be empty");
            return None;
        }
        self.parsed(name, text, parse)
    }

    /// A cell a new row needs: `base` (the stored value) when the header
    /// lacks the column and the row exists, else the cell's value.
    pub fn required<T>(
        &mut self,
        name: &str,
        base: T,
        creating: bool,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> T {
        if !self.has(name) {
            if creating && !self.broken {
                self.fail(
                    name,
                    format!("a new row needs it; add a `{name}` column to the file"),
                );
            }
            return base;
        }
        self.value(name, parse).unwrap_or(base)
    }

    /// A cell with a default: `base` when the header lacks the column,
    /// `default()` when the cell is empty, else the cell's value.
    pub fn optional<T>(
        &mut self,
        name: &str,
        base: T,
        default: impl FnOnce() -> T,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> T {
        match self.raw(name) {
            None => base,
            Some("") => default(),
            Some(text) => self.parsed(name, text, parse).unwrap_or(base),
        }
    }

    fn parsed<T>(
        &mut self,
        name: &str,
        text: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        match parse(text) {
            Ok(value) => Some(value),
            Err(message) => {
                self.fail(name, message);
                None
            }
        }
    }

    /// Records the field checks' verdict, each field under its column
    /// (`columns` maps the JSON field names that differ, such as
    /// `parent_id` to `parent_code`); a column already refused keeps its
    /// first message.
    pub fn invalid(&mut self, errors: Vec<FieldError>, columns: &[(&str, &str)]) {
        for e in errors {
            let name = columns
                .iter()
                .find(|(field, _)| *field == e.field)
                .map_or(e.field.as_str(), |(_, column)| *column);
            self.fail(name, e.message.clone());
        }
    }

    /// The problems of the row, in column order of discovery.
    pub fn finish(self) -> Vec<CellError> {
        self.errors
    }
}

/// Text as given (the field's rule checks it).
pub fn text<T: for<'s> From<&'s str>>(s: &str) -> Result<T, String> {
    Ok(T::from(s))
}

/// A decimal separator or thousands separator other than the API's.
fn comma_hint(s: &str, example: &str) -> Option<String> {
    s.contains(',').then(|| {
        format!(
            "`{s}` is not a number as the API writes it: use a point for decimals and no \
             thousands separators, e.g. {example}"
        )
    })
}

/// A whole number. One written in digits but beyond 32 bits is read as
/// the largest (or smallest) 32-bit number, so the field's own range check
/// refuses it naming its bounds.
pub fn whole(s: &str) -> Result<i32, String> {
    if let Some(hint) = comma_hint(s, "1234") {
        return Err(hint);
    }
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("`{s}` is not a whole number"));
    }
    Ok(match s.parse::<i64>().map(i32::try_from) {
        Ok(Ok(n)) => n,
        _ if s.starts_with('-') => i32::MIN,
        _ => i32::MAX,
    })
}

/// An amount, by the JSON API's rule for decimal strings.
pub fn decimal(s: &str) -> Result<Decimal, String> {
    if let Some(hint) = comma_hint(s, "1234.50") {
        return Err(hint);
    }
    crate::core::input::parse_decimal_text(s)
}

/// A number such as a rate or hours (the field's range check bounds it).
pub fn number(s: &str) -> Result<f64, String> {
    if let Some(hint) = comma_hint(s, "12.5") {
        return Err(hint);
    }
    s.parse::<f64>()
        .map_err(|_| format!("`{s}` is not a number"))
}

/// `true` or `false`, in any case.
pub fn boolean(s: &str) -> Result<bool, String> {
    match s.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(format!("`{s}` must be true or false")),
    }
}

/// One of a closed list of names, such as a part's `kind`; case is ignored.
pub fn named<T: FromStr<Err = String>>(s: &str) -> Result<T, String> {
    T::from_str(s).or_else(|e| T::from_str(&s.to_ascii_lowercase()).map_err(|_| e))
}

/// The items of a list cell, such as serial numbers: separated by `;`,
/// spaces around each ignored, empty items dropped.
pub fn list(s: &str) -> Vec<String> {
    s.split(';')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::Column;
    use super::*;

    const COLUMNS: [Column; 4] = [
        Column::key("code"),
        Column::create("cost"),
        Column::optional("days"),
        Column::optional("note"),
    ];

    fn header(names: &[&str]) -> Header {
        Header::read(&Record::from_cells(1, names), &COLUMNS).expect("header")
    }

    #[test]
    fn numbers_are_written_as_the_api_writes_them() {
        assert_eq!(whole("42"), Ok(42));
        assert_eq!(whole("-3"), Ok(-3));
        assert_eq!(whole("99999999999999999999"), Ok(i32::MAX));
        assert!(
            whole("1,234")
                .unwrap_err()
                .contains("no thousands separators")
        );
        assert!(whole("12.5").is_err() && whole("1e3").is_err() && whole("").is_err());
        assert_eq!(decimal("1234.50").unwrap().to_string(), "1234.50");
        assert!(decimal("1,234.50").unwrap_err().contains("use a point"));
        assert!(decimal("12,5").is_err());
        assert!(decimal("1000000000000000000000000000000").is_err(), "10^30");
        assert!(decimal("-1").is_err());
        assert_eq!(number("0.25"), Ok(0.25));
        assert!(number("0,25").is_err() && number("abc").is_err());
        assert_eq!(boolean("TRUE"), Ok(true));
        assert!(boolean("yes").is_err());
        assert_eq!(list(" A; B ;;C "), ["A", "B", "C"]);
    }

    #[test]
    fn absent_columns_keep_empty_cells_default_and_bad_cells_are_named() {
        let h = header(&["Code", "note", "cost"]);
        let row = Record::from_cells(7, &["X", "", "1,5"]);
        let mut c = Cells::new(&h, &row);
        assert_eq!(c.value("code", text::<String>), Some("X".to_owned()));
        assert_eq!(c.optional("days", 5, || 0, whole), 5, "absent: kept");
        assert_eq!(
            c.optional("note", "old".to_owned(), String::new, text),
            "",
            "empty: default"
        );
        assert_eq!(
            c.required("cost", Decimal::ONE, true, decimal),
            Decimal::ONE
        );
        c.invalid(vec![FieldError::new("cost", "twice")], &[]);
        let errors = c.finish();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!((errors[0].row, errors[0].column.as_str()), (7, "cost"));
    }

    #[test]
    fn a_new_row_needs_its_create_columns_and_a_short_row_is_refused_whole() {
        let h = header(&["code"]);
        let row = Record::from_cells(2, &["X"]);
        let mut c = Cells::new(&h, &row);
        c.required("cost", Decimal::ZERO, true, decimal);
        assert!(c.finish()[0].message.contains("add a `cost` column"));
        let h = header(&["code", "note"]);
        let row = Record::from_cells(3, &["X"]);
        let mut c = Cells::new(&h, &row);
        assert_eq!(c.value("code", text::<String>), None);
        let errors = c.finish();
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0]
                .message
                .contains("1 cells where the header names 2")
        );
    }
}
