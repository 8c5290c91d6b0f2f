//! An NDJSON stream read line by line within bounds, each line parsed and rendered: before
//! the import's write begins, spooled so that the write holds one line at a time
//! ([`prepare`]), or alongside the write ([`alongside`]).

use std::io::{BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};

use chrono::NaiveDateTime;

use super::records::{parse_record, too_long};
use crate::config::Limits;
use crate::db::Conn;
use crate::db::transfer::{self as store, ImportCounts, ImportRecord, TransferError};

/// The lines of an NDJSON stream with their numbers, blank ones left out; the first bad
/// line ends it with an error. A line is read up to `limits.import_line_bytes` and refused
/// past it, before more of it is buffered.
struct Lines<R> {
    reader: R,
    line: u64,
    buf: Vec<u8>,
    done: bool,
    max: usize,
}

/// A line of the stream, not yet parsed.
struct Line {
    number: u64,
    text: String,
}

impl<R: BufRead> Lines<R> {
    fn new(reader: R, max: usize) -> Self {
        Self {
            reader,
            max,
            line: 0,
            buf: Vec::new(),
            done: false,
        }
    }

    fn fail(&mut self, err: TransferError) -> Option<Result<Line, TransferError>> {
        self.done = true;
        Some(Err(err))
    }
}

impl<R: BufRead> Iterator for Lines<R> {
    type Item = Result<Line, TransferError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            self.buf.clear();
            // One byte past the limit tells a line that is too long, without reading it all.
            let mut bounded = (&mut self.reader).take(self.max as u64 + 1);
            match bounded.read_until(b'\n', &mut self.buf) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(e) => {
                    let line = self.line + 1;
                    return self.fail(TransferError::Io(format!("cannot read line {line}: {e}")));
                }
            }
            self.line += 1;
            let number = self.line;
            let content = self.buf.len() - usize::from(self.buf.ends_with(b"\n"));
            if content > self.max {
                return self.fail(TransferError::at(number, "", too_long(self.max)));
            }
            let Ok(mut text) = std::str::from_utf8(&self.buf) else {
                return self.fail(TransferError::at(number, "", "is not UTF-8 text"));
            };
            if number == 1 {
                text = text.trim_start_matches('\u{feff}');
            }
            if text.trim().is_empty() {
                continue;
            }
            let text = text.to_owned();
            return Some(Ok(Line { number, text }));
        }
        None
    }
}

/// How many lines are read before they are parsed together, and how many bytes at most
/// (one line past it: a line may be `import_line_bytes` long). A batch's records are held
/// with their renderings until it is spooled, so this bounds memory with the line limit:
/// a hundred articles of the usual size, or one or two of the largest.
const BATCH_LINES: usize = 128;
const BATCH_BYTES: usize = 4 << 20;

/// Parses `lines` (the first of the stream's among them when `first`), on up to `workers`
/// threads, each a run of them in order; each run stops at its first bad line. Returns the
/// records in line order, up to the first bad line, which ends them as an error.
fn parse_batch(
    lines: &[Line],
    first: bool,
    limits: &Limits,
    workers: usize,
) -> Vec<Result<(u64, ImportRecord), TransferError>> {
    let parse_run = |run: &[Line], first: bool| {
        let mut out = Vec::with_capacity(run.len());
        for (i, line) in run.iter().enumerate() {
            match parse_record(&line.text, first && i == 0, limits) {
                Ok(record) => out.push(Ok((line.number, record))),
                Err(errors) => {
                    let line = line.number;
                    out.push(Err(TransferError::Invalid { line, errors }));
                    break;
                }
            }
        }
        out
    };
    let run_len = lines.len().div_ceil(workers.max(1)).max(1);
    if workers <= 1 || lines.len() <= run_len {
        return parse_run(lines, first);
    }
    let runs: Vec<Vec<_>> = std::thread::scope(|scope| {
        let handles: Vec<_> = lines
            .chunks(run_len)
            .enumerate()
            .map(|(i, run)| scope.spawn(move || parse_run(run, first && i == 0)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    let mut out = Vec::with_capacity(lines.len());
    for run in runs {
        let failed = run.last().is_some_and(Result::is_err);
        out.extend(run);
        if failed {
            break;
        }
    }
    out
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
/// connection and no lock, so it runs on every core, a batch of lines at a time, and the
/// records are spooled in line order. The first bad line ends it with an error.
pub fn prepare(input: impl BufRead, limits: Limits) -> Result<Prepared, TransferError> {
    let mut out = BufWriter::with_capacity(1 << 16, tempfile::tempfile().map_err(spool_io)?);
    prepare_each(input, limits, |record| {
        serde_json::to_writer(&mut out, &record).map_err(spool_io)?;
        out.write_all(b"\n").map_err(spool_io)?;
        Ok(true)
    })?;
    let mut file = out.into_inner().map_err(|e| spool_io(e.error()))?;
    file.seek(SeekFrom::Start(0)).map_err(spool_io)?;
    Ok(Prepared {
        reader: BufReader::with_capacity(1 << 16, file),
        buf: Vec::new(),
    })
}

/// Batches of records [`alongside`] keeps ready ahead of the write.
const AHEAD_BATCHES: usize = 4;

/// The records of `input`, read, checked and rendered on a thread of its own (and its
/// batches on every core) while the caller writes those already prepared: the import's
/// wall time is the longer of the two rather than their sum. Memory holds at most
/// [`AHEAD_BATCHES`] batches. The first bad line ends the records with its error; so does a
/// preparation that stops without reaching the end, so that a write never takes a cut-short
/// stream for a whole one.
pub fn alongside(input: impl BufRead + Send + 'static, limits: Limits) -> Alongside {
    let (tx, rx) = std::sync::mpsc::sync_channel(AHEAD_BATCHES * BATCH_LINES);
    let spawned = std::thread::Builder::new()
        .name("gazette-import-prepare".to_owned())
        .spawn(move || {
            let ended = prepare_each(input, limits, |record| {
                Ok(tx.send(Some(Ok(record))).is_ok())
            });
            let last = match ended {
                Ok(()) => None,
                Err(e) => Some(Err(e)),
            };
            let _ = tx.send(last);
        });
    if let Err(e) = spawned {
        log::error!("the import's preparation cannot start: {e}");
    }
    Alongside { rx, done: false }
}

/// The records [`alongside`] prepares, in line order.
#[derive(Debug)]
pub struct Alongside {
    rx: std::sync::mpsc::Receiver<Option<Result<(u64, ImportRecord), TransferError>>>,
    done: bool,
}

impl Iterator for Alongside {
    type Item = Result<(u64, ImportRecord), TransferError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.rx.recv() {
            Ok(Some(item)) => {
                self.done = item.is_err();
                Some(item)
            }
            Ok(None) => {
                self.done = true;
                None
            }
            Err(_) => {
                self.done = true;
                Some(Err(TransferError::Io(
                    "the import's preparation stopped before the end".to_owned(),
                )))
            }
        }
    }
}

/// Hands every record of `input`, in line order, to `each` until it returns false; the
/// first bad line ends it with an error.
fn prepare_each(
    input: impl BufRead,
    limits: Limits,
    mut each: impl FnMut((u64, ImportRecord)) -> Result<bool, TransferError>,
) -> Result<(), TransferError> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    let mut lines = Lines::new(input, limits.import_line_bytes);
    let mut batch: Vec<Line> = Vec::with_capacity(BATCH_LINES);
    let mut first = true;
    loop {
        batch.clear();
        let mut bytes = 0;
        let mut ended = None;
        let mut read_all = false;
        while batch.len() < BATCH_LINES && bytes < BATCH_BYTES {
            match lines.next() {
                None => {
                    read_all = true;
                    break;
                }
                Some(Ok(line)) => {
                    bytes += line.text.len();
                    batch.push(line);
                }
                Some(Err(err)) => {
                    ended = Some(err);
                    break;
                }
            }
        }
        if batch.is_empty() && ended.is_none() {
            return Ok(());
        }
        // A bad line parsed before the one that could not be read comes first.
        for record in parse_batch(&batch, first, &limits, workers) {
            if !each(record?)? {
                return Ok(());
            }
        }
        first = false;
        if let Some(err) = ended {
            return Err(err);
        }
        if read_all {
            return Ok(());
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(texts: &[String]) -> Vec<Line> {
        texts
            .iter()
            .enumerate()
            .map(|(i, text)| Line {
                number: i as u64 + 1,
                text: text.clone(),
            })
            .collect()
    }

    fn article(i: usize, title: &str) -> String {
        serde_json::json!({"type": "article", "slug": format!("a-{i}"), "title": title}).to_string()
    }

    /// The line numbers and slugs of what a batch parsed, and the line of its error.
    fn parsed(texts: &[String], workers: usize) -> (Vec<(u64, String)>, Option<u64>) {
        let mut good = Vec::new();
        for record in parse_batch(&lines(texts), false, &Limits::DEFAULT, workers) {
            match record {
                Ok((line, ImportRecord::Article(a))) => {
                    good.push((line, a.article.slug.clone().unwrap_or_default()))
                }
                Ok(_) => panic!("only articles were given"),
                Err(TransferError::Invalid { line, .. }) => return (good, Some(line)),
                Err(other) => panic!("{other}"),
            }
        }
        (good, None)
    }

    #[test]
    fn a_batch_parsed_on_several_threads_comes_out_in_line_order() {
        let texts: Vec<String> = (0..10).map(|i| article(i, "T")).collect();
        for workers in [1, 2, 3, 8] {
            let (good, failed) = parsed(&texts, workers);
            assert_eq!(failed, None);
            let expected: Vec<(u64, String)> =
                (0..10).map(|i| (i as u64 + 1, format!("a-{i}"))).collect();
            assert_eq!(good, expected, "{workers} workers");
        }
    }

    #[test]
    fn the_first_bad_line_of_a_batch_ends_it_whichever_thread_parsed_it() {
        let mut texts: Vec<String> = (0..10).map(|i| article(i, "T")).collect();
        // Line 8, in the second half of the batch: the lines before it come out first.
        texts[7] = article(7, "");
        let (good, failed) = parsed(&texts, 2);
        assert_eq!((good.len(), failed), (7, Some(8)));
        // And line 3 too, in the first half: it is the error, and nothing after it comes.
        texts[2] = article(2, "");
        let (good, failed) = parsed(&texts, 2);
        assert_eq!((good.len(), failed), (2, Some(3)));
    }
}
