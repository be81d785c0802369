//! CSV imports, the pure part: what a refused cell looks like, the columns
//! a kind of import reads, the header matched against them, each row's cells
//! read into typed values ([`cells`]), periods of demand history
//! ([`period`]), and the file read as a stream of batches ([`source`]).
//!
//! A spreadsheet has rows and columns, not JSON paths: every problem is
//! named by the file's line number (the header is line 1; a quoted cell
//! spanning lines counts them all) and the column as the header names it,
//! so a person can find the cell in the spreadsheet they exported.
pub mod cells;
pub mod period;
pub mod source;

use std::collections::HashMap;

use serde::Serialize;
use utoipa::ToSchema;

pub use cells::Cells;

/// Rows read, looked up and written together: large enough that a file of
/// 100,000 rows takes a few hundred statements, small enough that one batch
/// stays below every backend's bind-parameter limit.
pub const BATCH_ROWS: usize = 500;

/// The most problems one answer lists; a file that is wrong throughout
/// (the wrong columns, the wrong export) says so in its first hundred.
pub const MAX_ERRORS: usize = 100;

/// One refused cell: where it is and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CellError {
    /// The line of the file the row starts on; the header is line 1.
    pub row: u64,
    /// The column as the header names it.
    pub column: String,
    pub message: String,
}

impl CellError {
    pub fn new(row: u64, column: impl Into<String>, message: impl Into<String>) -> Self {
        CellError {
            row,
            column: column.into(),
            message: message.into(),
        }
    }
}

/// Every refused cell of a file, up to [`MAX_ERRORS`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rejected {
    pub errors: Vec<CellError>,
    /// More problems were found than are listed.
    pub truncated: bool,
}

impl Rejected {
    /// Records `errors` in row order, up to the cap.
    pub fn extend(&mut self, mut errors: Vec<CellError>) {
        errors.sort_by_key(|e| e.row);
        for e in errors {
            if self.errors.len() < MAX_ERRORS {
                self.errors.push(e);
            } else {
                self.truncated = true;
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// The cap is reached: reading on would find nothing the answer shows.
    pub fn is_full(&self) -> bool {
        self.truncated
    }
}

/// What a column of an import is to a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Names the row (its natural key): in the header, never empty.
    Key,
    /// A value every row has: in the header, never empty.
    Required,
    /// Needed to create a row; a file that only updates may leave it out.
    Create,
    /// Has a default, as in the JSON API.
    Optional,
}

/// One column a kind of import reads.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// The name, the same as the JSON API's field (`*_id` references are
    /// `*_code`, or `part_number` for parts).
    pub name: &'static str,
    pub need: Need,
    /// Other names the header may use for it.
    pub aliases: &'static [&'static str],
}

impl Column {
    pub const fn key(name: &'static str) -> Column {
        Column {
            name,
            need: Need::Key,
            aliases: &[],
        }
    }

    pub const fn required(name: &'static str) -> Column {
        Column {
            name,
            need: Need::Required,
            aliases: &[],
        }
    }

    pub const fn create(name: &'static str) -> Column {
        Column {
            name,
            need: Need::Create,
            aliases: &[],
        }
    }

    pub const fn optional(name: &'static str) -> Column {
        Column {
            name,
            need: Need::Optional,
            aliases: &[],
        }
    }

    pub const fn or(self, aliases: &'static [&'static str]) -> Column {
        Column { aliases, ..self }
    }

    fn answers_to(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
            || self.aliases.iter().any(|a| a.eq_ignore_ascii_case(name))
    }
}

/// The header row matched against a kind's columns.
#[derive(Debug, Clone)]
pub struct Header {
    /// The header's cells as written, by position.
    names: Vec<String>,
    /// Position in the file of each column the kind reads.
    positions: HashMap<&'static str, usize>,
    /// Position of an exported `active` column, which only `true` may fill.
    active: Option<usize>,
}

impl Header {
    /// Matches the header cells against `columns`. Every problem is on line
    /// 1: a file that is not comma-separated, a column the kind does not
    /// have or one named twice, a key column missing.
    pub fn read(header: &source::Record, columns: &[Column]) -> Result<Header, Vec<CellError>> {
        let names: Vec<String> = header.cells().map(str::to_owned).collect();
        if let Some(problem) = not_comma_separated(&names) {
            return Err(vec![problem]);
        }
        let mut errors = header.encoding_errors();
        let mut positions = HashMap::new();
        let mut active = None;
        for (at, name) in names.iter().enumerate() {
            if header.is_bad_utf8(at) {
                continue;
            }
            match columns.iter().find(|c| c.answers_to(name)) {
                None if is_exported_only(name, &names, columns) => {
                    if name.eq_ignore_ascii_case("active") {
                        active = Some(at);
                    }
                }
                None => errors.push(CellError::new(
                    1,
                    name.as_str(),
                    unknown_column(name, columns),
                )),
                Some(c) => {
                    if let Some(first) = positions.insert(c.name, at) {
                        errors.push(CellError::new(
                            1,
                            name.as_str(),
                            format!(
                                "names column `{}` again (first in column {})",
                                c.name,
                                first + 1
                            ),
                        ));
                    }
                }
            }
        }
        for c in columns {
            let why = match c.need {
                Need::Key => "it names each row",
                Need::Required => "every row needs one",
                Need::Create | Need::Optional => continue,
            };
            if !positions.contains_key(c.name) {
                errors.push(CellError::new(
                    1,
                    c.name,
                    format!("the header has no `{}` column; {why}", c.name),
                ));
            }
        }
        if errors.is_empty() {
            Ok(Header {
                names,
                positions,
                active,
            })
        } else {
            Err(errors)
        }
    }

    /// Where column `name` is in the file, if the header has it.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.positions.get(name).copied()
    }

    /// The column at `position` as the header names it.
    pub fn name_at(&self, position: usize) -> &str {
        self.names.get(position).map_or("", String::as_str)
    }

    /// How many cells every row must have.
    pub fn width(&self) -> usize {
        self.names.len()
    }
    /// Where an exported `active` column is, if the file has one.
    pub fn active_position(&self) -> Option<usize> {
        self.active
    }
}

/// Whether header cell `name` is a column an export writes that the
/// import has no use for, so that an exported file imports as it is: the
/// row's `id`, who changed it and when (`created_by`, `*_at`), an `X_id`
/// whose natural key (`X_code`, `X_number`) the file also has, and
/// `active` (an import keeps rows active; [`Cells`] refuses `false`).
fn is_exported_only(name: &str, names: &[String], columns: &[Column]) -> bool {
    let name = name.to_ascii_lowercase();
    if ["id", "active", "created_by", "updated_by"].contains(&name.as_str())
        || name.ends_with("_at")
    {
        return true;
    }
    let Some(stem) = name.strip_suffix("_id") else {
        return false;
    };
    ["_code", "_number"].iter().any(|suffix| {
        let natural = format!("{stem}{suffix}");
        columns.iter().any(|c| c.answers_to(&natural))
            && names.iter().any(|n| n.eq_ignore_ascii_case(&natural))
    })
}

/// A header of one cell holding `;`, a tab or `|` is a file saved with
/// another separator (spreadsheets in many locales save `;`).
fn not_comma_separated(names: &[String]) -> Option<CellError> {
    if names.iter().all(|n| n.is_empty()) {
        return Some(CellError::new(
            1,
            "",
            "the file is empty; its first line must name the columns, separated by commas",
        ));
    }
    let [only] = names else { return None };
    let label = [(';', "semicolons"), ('\t', "tabs"), ('|', "`|`")]
        .into_iter()
        .find(|(sep, _)| only.contains(*sep))
        .map(|(_, label)| label)?;
    Some(CellError::new(
        1,
        only.as_str(),
        format!("columns must be separated by commas (,); this file separates them with {label}"),
    ))
}

fn unknown_column(name: &str, columns: &[Column]) -> String {
    let known: Vec<&str> = columns.iter().map(|c| c.name).collect();
    if name.is_empty() {
        format!("a column has no name; the columns are {}", known.join(", "))
    } else {
        format!(
            "unknown column `{name}`; the columns are {}",
            known.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::source::Record;
    use super::*;

    const COLUMNS: [Column; 3] = [
        Column::key("code"),
        Column::create("name"),
        Column::optional("parent_code").or(&["parent"]),
    ];

    fn header(cells: &[&str]) -> Result<Header, Vec<CellError>> {
        Header::read(&Record::from_cells(1, cells), &COLUMNS)
    }

    #[test]
    fn columns_match_by_name_or_alias_in_any_case_and_order() {
        let h = header(&["Name", "CODE", "parent"]).unwrap();
        assert_eq!(h.position("code"), Some(1));
        assert_eq!(h.position("parent_code"), Some(2));
        assert_eq!(h.name_at(0), "Name");
    }

    #[test]
    fn semicolons_tabs_unknown_duplicate_and_missing_key_are_named() {
        let e = header(&["code;name"]).unwrap_err();
        assert!(e[0].message.contains("separated by commas"), "{e:?}");
        assert!(e[0].message.contains("semicolons"), "{e:?}");
        let e = header(&["code\tname"]).unwrap_err();
        assert!(e[0].message.contains("tabs"), "{e:?}");
        let e = header(&["name", "colour", "name"]).unwrap_err();
        let named: Vec<&str> = e.iter().map(|e| e.column.as_str()).collect();
        assert_eq!(named, ["colour", "name", "code"]);
        assert!(e.iter().all(|e| e.row == 1));
    }

    #[test]
    fn the_cap_keeps_the_first_hundred_in_row_order() {
        let mut r = Rejected::default();
        r.extend(
            (0..150)
                .rev()
                .map(|i| CellError::new(i + 2, "x", "bad"))
                .collect(),
        );
        assert_eq!(r.errors.len(), MAX_ERRORS);
        assert!(r.truncated && r.is_full());
        assert_eq!(r.errors[0].row, 2);
    }
}
