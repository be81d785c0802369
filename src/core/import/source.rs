//! Reading a CSV file as a stream of batches of rows, so a file of any
//! length is held one batch at a time.
//!
//! Cells are read as bytes and checked for UTF-8 one by one, so a file in
//! another encoding is refused naming the row and column of each cell that
//! is not UTF-8 instead of failing at the first. A UTF-8 byte order mark
//! (which spreadsheets write) is skipped (by the csv crate); quoted cells may hold commas,
//! quotes (doubled) and line breaks; blank lines are skipped; spaces around
//! a cell are ignored.
use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{self, Read};
use std::rc::Rc;

use csv::{ByteRecord, StringRecord};

use super::CellError;

/// One row of the file.
#[derive(Debug, Clone)]
pub struct Record {
    /// The line the row starts on (the header is line 1).
    line: u64,
    cells: StringRecord,
    /// Positions of the cells that are not UTF-8 (held lossily).
    bad_utf8: Vec<usize>,
}

impl Record {
    fn from_bytes(bytes: &ByteRecord, line: u64) -> Record {
        let mut cells = StringRecord::with_capacity(bytes.as_slice().len(), bytes.len());
        let mut bad_utf8 = Vec::new();
        for (at, cell) in bytes.iter().enumerate() {
            match std::str::from_utf8(cell) {
                Ok(text) => cells.push_field(text),
                Err(_) => {
                    bad_utf8.push(at);
                    cells.push_field(&String::from_utf8_lossy(cell));
                }
            }
        }
        Record {
            line,
            cells,
            bad_utf8,
        }
    }

    /// A row of `cells` on `line`, as tests and benches write them.
    pub fn from_cells(line: u64, cells: &[&str]) -> Record {
        Record {
            line,
            cells: StringRecord::from(cells.to_vec()),
            bad_utf8: Vec::new(),
        }
    }

    pub fn line(&self) -> u64 {
        self.line
    }

    pub fn len(&self) -> usize {
        self.cells.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    pub fn cell(&self, at: usize) -> Option<&str> {
        self.cells.get(at)
    }

    pub fn cells(&self) -> impl Iterator<Item = &str> {
        self.cells.iter()
    }

    pub fn is_bad_utf8(&self, at: usize) -> bool {
        self.bad_utf8.contains(&at)
    }

    /// One problem per cell that is not UTF-8, named by its position (its
    /// header may be unreadable too).
    pub fn encoding_errors(&self) -> Vec<CellError> {
        self.bad_utf8
            .iter()
            .map(|at| {
                CellError::new(
                    self.line,
                    format!("#{}", at + 1),
                    "is not UTF-8 text; save the file as CSV UTF-8",
                )
            })
            .collect()
    }
}

/// What the reader hands on: the header first, then the rows in batches,
/// then the end (so a reader that stopped early is never taken for a
/// complete file).
#[derive(Debug)]
pub enum Chunk {
    Header(Record),
    Rows(Vec<Record>),
    End,
}

/// Why a file could not be read to its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceError {
    /// More bytes than the import limit; the source says so with
    /// [`io::ErrorKind::FileTooLarge`].
    TooLarge,
    /// The file or the upload broke off.
    Io(String),
}

/// Reads `source` as CSV and hands `send` the header, then batches of
/// `batch_rows` rows, then nothing more; an error ends the reading. Stops
/// early when `send` answers `false` (nobody wants the rest).
pub fn read(
    source: impl Read,
    batch_rows: usize,
    mut send: impl FnMut(Result<Chunk, SourceError>) -> bool,
) {
    let starts = Rc::new(RefCell::new(VecDeque::new()));
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(LineTracker::new(source, starts.clone()));
    // Where the record just read starts (the csv crate's own count if the
    // two ever disagree).
    let line_of = |bytes: &ByteRecord| {
        starts
            .borrow_mut()
            .pop_front()
            .unwrap_or_else(|| bytes.position().map_or(0, |p| p.line()))
    };
    let mut bytes = ByteRecord::new();
    let mut header_sent = false;
    let mut batch = Vec::with_capacity(batch_rows);
    loop {
        match reader.read_byte_record(&mut bytes) {
            Ok(false) => break,
            Ok(true) if !header_sent => {
                header_sent = true;
                if !send(Ok(Chunk::Header(Record::from_bytes(
                    &bytes,
                    line_of(&bytes),
                )))) {
                    return;
                }
            }
            Ok(true) => {
                batch.push(Record::from_bytes(&bytes, line_of(&bytes)));
                if batch.len() >= batch_rows
                    && !send(Ok(Chunk::Rows(std::mem::replace(
                        &mut batch,
                        Vec::with_capacity(batch_rows),
                    ))))
                {
                    return;
                }
            }
            Err(e) => {
                send(Err(source_error(e)));
                return;
            }
        }
    }
    if !header_sent {
        // An empty file: its header is empty, which the header check names.
        if !send(Ok(Chunk::Header(Record::from_cells(1, &[])))) {
            return;
        }
    }
    if !batch.is_empty() && !send(Ok(Chunk::Rows(batch))) {
        return;
    }
    send(Ok(Chunk::End));
}

fn source_error(e: csv::Error) -> SourceError {
    match e.into_kind() {
        csv::ErrorKind::Io(io) if io.kind() == io::ErrorKind::FileTooLarge => SourceError::TooLarge,
        csv::ErrorKind::Io(io) => SourceError::Io(io.to_string()),
        other => SourceError::Io(format!("{other:?}")),
    }
}

/// Where each record of a CSV text starts, as a line number, found by
/// following the bytes as the csv crate reads them (a quote opens a quoted
/// cell only at a cell's start, `""` inside one is a quote, `\r`, `\n` and
/// `\r\n` end a record, an empty line is no record). The csv crate's own
/// record positions count an empty line or the `\n` of a `\r\n` into the
/// next record, which would name the wrong line in every message.
#[derive(Debug)]
struct LineTracker<R> {
    inner: R,
    state: Scan,
    line: u64,
    starts: Rc<RefCell<VecDeque<u64>>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scan {
    RecordStart,
    CellStart,
    Unquoted,
    Quoted,
    QuoteInQuoted,
}

impl<R> LineTracker<R> {
    fn new(inner: R, starts: Rc<RefCell<VecDeque<u64>>>) -> Self {
        LineTracker {
            inner,
            state: Scan::RecordStart,
            line: 1,
            starts,
        }
    }

    fn scan(&mut self, b: u8) {
        let end = b == b'\r' || b == b'\n';
        if self.state == Scan::RecordStart && !end {
            self.starts.borrow_mut().push_back(self.line);
            self.state = Scan::CellStart;
        }
        self.state = match (self.state, b) {
            (Scan::RecordStart, _) => Scan::RecordStart,
            (Scan::CellStart, b'"') => Scan::Quoted,
            (Scan::Quoted, b'"') => Scan::QuoteInQuoted,
            (Scan::Quoted, _) => Scan::Quoted,
            (Scan::QuoteInQuoted, b'"') => Scan::Quoted,
            (_, b',') => Scan::CellStart,
            (_, b'\r' | b'\n') => Scan::RecordStart,
            _ => Scan::Unquoted,
        };
        if b == b'\n' {
            self.line += 1;
        }
    }
}

impl<R: Read> Read for LineTracker<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        for &b in &buf[..n] {
            self.scan(b);
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(bytes: &[u8], batch: usize) -> (Record, Vec<Vec<Record>>) {
        let mut header = None;
        let mut batches = Vec::new();
        read(bytes, batch, |chunk| {
            match chunk.expect("readable") {
                Chunk::Header(h) => header = Some(h),
                Chunk::Rows(rows) => batches.push(rows),
                Chunk::End => {}
            }
            true
        });
        (header.expect("a header"), batches)
    }

    #[test]
    fn a_bom_is_skipped_and_quoted_cells_keep_commas_and_line_breaks() {
        let file = b"\xEF\xBB\xBFcode,name\nA,\"one, two\"\nB,\"line\nbreak\"\n\nC, spaced \n";
        let (header, batches) = read_all(file, 2);
        assert_eq!(header.cell(0), Some("code"));
        let rows: Vec<&Record> = batches.iter().flatten().collect();
        assert_eq!(batches.len(), 2, "two rows per batch");
        assert_eq!(rows[0].cell(1), Some("one, two"));
        assert_eq!(rows[1].cell(1), Some("line\nbreak"));
        // The quoted line break makes C start on line 6 (after a blank line).
        let lines: Vec<u64> = rows.iter().map(|r| r.line()).collect();
        assert_eq!(lines, [2, 3, 6]);
        assert_eq!(rows[2].cell(1), Some("spaced"));
    }

    #[test]
    fn lines_are_counted_through_crlf_blank_lines_and_quotes() {
        let file = b"h,x\r\nA,1\r\n\"q\r\nq\",2\r\n\r\nC,\"say \"\"hi\"\"\"\r\nD,5\" disk\nE,\"\"";
        let (header, batches) = read_all(file, 10);
        assert_eq!(header.line(), 1);
        let rows = &batches[0];
        let lines: Vec<u64> = rows.iter().map(|r| r.line()).collect();
        assert_eq!(lines, [2, 3, 6, 7, 8]);
        assert_eq!(rows[1].cell(0), Some("q\r\nq"));
        assert_eq!(rows[2].cell(1), Some("say \"hi\""));
        assert_eq!(rows[3].cell(1), Some("5\" disk"));
    }

    #[test]
    fn cells_that_are_not_utf8_are_named_one_by_one() {
        let (_, batches) = read_all(b"code,name\nA,caf\xE9\n", 10);
        let row = &batches[0][0];
        assert!(row.is_bad_utf8(1) && !row.is_bad_utf8(0));
        let errors = row.encoding_errors();
        assert_eq!(errors[0].row, 2);
        assert_eq!(errors[0].column, "#2");
        assert!(errors[0].message.contains("UTF-8"));
    }

    #[test]
    fn an_empty_file_has_an_empty_header_and_a_short_one_no_bom() {
        let (header, batches) = read_all(b"", 10);
        assert!(header.is_empty() && batches.is_empty());
        let (header, _) = read_all(b"a", 10);
        assert_eq!(header.cell(0), Some("a"));
    }

    #[test]
    fn a_too_large_source_is_reported() {
        struct Limited;
        impl Read for Limited {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::new(io::ErrorKind::FileTooLarge, "limit"))
            }
        }
        let mut seen = None;
        read(Limited, 10, |chunk| {
            seen = chunk.err();
            false
        });
        assert_eq!(seen, Some(SourceError::TooLarge));
    }
}
