//! An NDJSON stream read line by line within bounds: each line parsed and rendered before
//! the import's write begins, spooled so that the write holds one line at a time.

use std::io::{BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};

use chrono::NaiveDateTime;

use super::records::{parse_record, too_long};
use crate::config::Limits;
use crate::db::Conn;
use crate::db::transfer::{self as store, ImportCounts, ImportRecord, TransferError};

/// The records of an NDJSON stream with their line numbers, parsed, checked and rendered one
/// line at a time; the first bad line ends it with an error. A line is read up to
/// `limits.import_line_bytes` and refused past it, before more of it is buffered.
pub struct Records<R> {
    reader: R,
    line: u64,
    buf: Vec<u8>,
    first: bool,
    done: bool,
    limits: Limits,
}

impl<R: BufRead> Records<R> {
    pub fn new(reader: R, limits: Limits) -> Self {
        Self {
            reader,
            limits,
            line: 0,
            buf: Vec::new(),
            first: true,
            done: false,
        }
    }

    fn fail(&mut self, err: TransferError) -> Option<<Self as Iterator>::Item> {
        self.done = true;
        Some(Err(err))
    }
}

impl<R: BufRead> Iterator for Records<R> {
    type Item = Result<(u64, ImportRecord), TransferError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            self.buf.clear();
            let max = self.limits.import_line_bytes;
            // One byte past the limit tells a line that is too long, without reading it all.
            let mut bounded = (&mut self.reader).take(max as u64 + 1);
            match bounded.read_until(b'\n', &mut self.buf) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(e) => {
                    let line = self.line + 1;
                    return self.fail(TransferError::Io(format!("cannot read line {line}: {e}")));
                }
            }
            self.line += 1;
            let line = self.line;
            let content = self.buf.len() - usize::from(self.buf.ends_with(b"\n"));
            if content > max {
                return self.fail(TransferError::at(line, "", too_long(max)));
            }
            let Ok(mut text) = std::str::from_utf8(&self.buf) else {
                return self.fail(TransferError::at(line, "", "is not UTF-8 text"));
            };
            if line == 1 {
                text = text.trim_start_matches('\u{feff}');
            }
            if text.trim().is_empty() {
                continue;
            }
            let first = std::mem::replace(&mut self.first, false);
            return match parse_record(text, first, &self.limits) {
                Ok(record) => Some(Ok((line, record))),
                Err(errors) => self.fail(TransferError::Invalid { line, errors }),
            };
        }
        None
    }
}

/// The records of an import, checked and rendered ahead of the write and kept in a
/// temporary file, so that the write holds the lock for storage work only and memory holds
/// one record at a time.
#[derive(Debug)]
pub struct Prepared {
    reader: BufReader<std::fs::File>,
    buf: Vec<u8>,
}

impl Iterator for Prepared {
    type Item = Result<(u64, ImportRecord), TransferError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.buf.clear();
        match self.reader.read_until(b'\n', &mut self.buf) {
            Ok(0) => None,
            Ok(_) => Some(serde_json::from_slice(&self.buf).map_err(spool_io)),
            Err(e) => Some(Err(spool_io(e))),
        }
    }
}

fn spool_io(e: impl std::fmt::Display) -> TransferError {
    TransferError::Io(format!("cannot spool the prepared import: {e}"))
}

/// Reads, checks and renders every record of `input`: slow work, which needs no database
/// connection and no lock. The first bad line ends it with an error.
pub fn prepare(input: impl BufRead, limits: Limits) -> Result<Prepared, TransferError> {
    let mut out = BufWriter::with_capacity(1 << 16, tempfile::tempfile().map_err(spool_io)?);
    for record in Records::new(input, limits) {
        let record = record?;
        serde_json::to_writer(&mut out, &record).map_err(spool_io)?;
        out.write_all(b"\n").map_err(spool_io)?;
    }
    let mut file = out.into_inner().map_err(|e| spool_io(e.error()))?;
    file.seek(SeekFrom::Start(0)).map_err(spool_io)?;
    Ok(Prepared {
        reader: BufReader::with_capacity(1 << 16, file),
        buf: Vec::new(),
    })
}

/// Imports the NDJSON `input` in one transaction: all of it, or nothing. Every record is
/// checked and rendered first ([`prepare`]), then written.
pub fn import_ndjson(
    conn: &mut Conn,
    input: impl BufRead,
    limits: Limits,
    now: NaiveDateTime,
) -> Result<ImportCounts, TransferError> {
    store::import(conn, prepare(input, limits)?, now)
}
