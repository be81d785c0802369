//! Reading demand series from the wide CSV format of `carparts.csv`.
//!
//! Format: a header row, then one row per series; the first column is the series id
//! (part number), every following column one period, oldest first. A series may end
//! early: its trailing cells are empty. An empty cell followed by a number (a gap) is
//! rejected rather than guessed at, as are cells that are not finite non-negative
//! numbers, rows without any value and rows with values beyond the header's columns.
//! Cells are trimmed of surrounding spaces. Errors name the file line (the header is
//! line 1), the 1-based column with its header, and the part.

use std::fmt;
use std::io::Read;

/// One demand series: an id and its values per period, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Series id (the first column), e.g. a part number.
    pub id: String,
    /// Demand per period.
    pub values: Vec<f64>,
}

/// Where a bad cell is: file line, 1-based column and its header, and the part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellPosition {
    /// 1-based line of the file (the header is line 1).
    pub line: u64,
    /// 1-based column (the id is column 1).
    pub column: usize,
    /// Header of that column (empty if the header has no such column).
    pub header: String,
    /// Id of the row's part.
    pub part: String,
}

impl fmt::Display for CellPosition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {} (part {:?}), column {}",
            self.line, self.part, self.column
        )?;
        if !self.header.is_empty() {
            write!(f, " ({:?})", self.header)?;
        }
        Ok(())
    }
}

/// Why the input is not a valid wide CSV of demand series.
#[derive(Debug, thiserror::Error)]
pub enum SeriesError {
    /// No header row at all.
    #[error("the input is empty: expected a header row (id column, then one column per period)")]
    Empty,
    /// A header but no series.
    #[error("the input has a header but no data rows")]
    NoRows,
    /// A cell that is not a number.
    #[error("{position}: cannot parse {value:?} as a number")]
    NotANumber {
        /// Where.
        position: CellPosition,
        /// The cell's text.
        value: String,
    },
    /// NaN or an infinity.
    #[error("{position}: {value:?} is not a finite number")]
    NotFinite {
        /// Where.
        position: CellPosition,
        /// The cell's text.
        value: String,
    },
    /// A negative demand.
    #[error("{position}: demand cannot be negative, got {value}")]
    Negative {
        /// Where.
        position: CellPosition,
        /// The cell's text.
        value: String,
    },
    /// A number after an empty cell.
    #[error(
        "{position}: value {value:?} follows an empty cell in column {empty_column}; \
         only trailing cells may be empty"
    )]
    Gap {
        /// Where the value after the gap is.
        position: CellPosition,
        /// The value.
        value: String,
        /// 1-based column of the first empty cell.
        empty_column: usize,
    },
    /// A row with an empty id.
    #[error("line {line}: the part id (column 1) is empty")]
    EmptyId {
        /// 1-based file line.
        line: u64,
    },
    /// A row without any period value.
    #[error("line {line} (part {part:?}): no values; a series needs at least one period")]
    NoValues {
        /// 1-based file line.
        line: u64,
        /// The row's part.
        part: String,
    },
    /// Values in columns the header does not have.
    #[error("{position}: value beyond the header's {columns} columns")]
    TooManyCells {
        /// Where the first extra value is.
        position: CellPosition,
        /// Number of header columns.
        columns: usize,
    },
    /// Malformed CSV (bad quoting, invalid UTF-8) or a read failure.
    #[error("line {line}: {source}")]
    Csv {
        /// 1-based file line (0 if unknown).
        line: u64,
        /// The CSV reader's error.
        source: csv::Error,
    },
}

fn csv_error(error: csv::Error) -> SeriesError {
    let line = error.position().map_or(0, |position| position.line());
    SeriesError::Csv {
        line,
        source: error,
    }
}

/// Parses one row (after the header) into a series.
fn parse_row(
    record: &csv::StringRecord,
    line: u64,
    header: &csv::StringRecord,
) -> Result<Series, SeriesError> {
    let id = record.get(0).unwrap_or_default().to_owned();
    if id.is_empty() {
        return Err(SeriesError::EmptyId { line });
    }
    let position = |index: usize| CellPosition {
        line,
        column: index + 1,
        header: header.get(index).unwrap_or_default().to_owned(),
        part: id.clone(),
    };
    let mut values = Vec::with_capacity(record.len().saturating_sub(1));
    let mut first_empty: Option<usize> = None;
    for (index, cell) in record.iter().enumerate().skip(1) {
        if cell.is_empty() {
            first_empty.get_or_insert(index);
            continue;
        }
        if index >= header.len() {
            return Err(SeriesError::TooManyCells {
                position: position(index),
                columns: header.len(),
            });
        }
        if let Some(empty) = first_empty {
            return Err(SeriesError::Gap {
                position: position(index),
                value: cell.to_owned(),
                empty_column: empty + 1,
            });
        }
        let value: f64 = cell.parse().map_err(|_| SeriesError::NotANumber {
            position: position(index),
            value: cell.to_owned(),
        })?;
        if !value.is_finite() {
            return Err(SeriesError::NotFinite {
                position: position(index),
                value: cell.to_owned(),
            });
        }
        if value < 0.0 {
            return Err(SeriesError::Negative {
                position: position(index),
                value: cell.to_owned(),
            });
        }
        // `-0` parses to negative zero; store a plain zero.
        values.push(value + 0.0);
    }
    if values.is_empty() {
        return Err(SeriesError::NoValues { line, part: id });
    }
    Ok(Series { id, values })
}

/// Reads every series of a wide CSV.
pub fn read_wide_csv<R: Read>(input: R) -> Result<Vec<Series>, SeriesError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(input);
    let mut header = csv::StringRecord::new();
    if !reader.read_record(&mut header).map_err(csv_error)? {
        return Err(SeriesError::Empty);
    }
    let mut series = Vec::new();
    let mut record = csv::StringRecord::new();
    while reader.read_record(&mut record).map_err(csv_error)? {
        let line = record.position().map_or(0, |position| position.line());
        series.push(parse_row(&record, line, &header)?);
    }
    if series.is_empty() {
        return Err(SeriesError::NoRows);
    }
    Ok(series)
}
