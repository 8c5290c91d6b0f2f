//! `gazette export` and `gazette import`: all content as NDJSON, one record per line.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter};
use std::path::Path;

use super::CliResult;
use crate::api::transfer::alongside;
use crate::config::Limits;
use crate::db::transfer::TransferError;
use crate::db::{self, transfer};

fn is_stdio(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Writes the export to `output` (stdout when `None` or `-`). A file is written beside its
/// destination and renamed into place once complete, so a failed export leaves no half file.
pub fn export(url: &str, output: Option<&Path>) -> CliResult {
    let pool = db::open(url, 1)?;
    let conn = &mut *pool.get()?;
    match output.filter(|p| !is_stdio(p)) {
        None => {
            let mut out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
            let counts = transfer::export(conn, &mut out)?;
            eprintln!(
                "Exported {} tags and {} articles.",
                counts.tags, counts.articles
            );
        }
        Some(path) => {
            let mut partial = path.as_os_str().to_owned();
            partial.push(".partial");
            let partial = Path::new(&partial);
            let file = File::create(partial)
                .map_err(|e| format!("cannot create {}: {e}", partial.display()))?;
            let mut out = BufWriter::with_capacity(1 << 16, file);
            let written = transfer::export(conn, &mut out).and_then(|counts| {
                out.into_inner()
                    .map_err(|e| e.into_error())
                    .and_then(|f| f.sync_all())
                    .map_err(|e| {
                        transfer::TransferError::Io(format!("cannot write the export: {e}"))
                    })?;
                Ok(counts)
            });
            let counts = match written {
                Ok(counts) => counts,
                Err(err) => {
                    let _ = std::fs::remove_file(partial);
                    return Err(err.into());
                }
            };
            std::fs::rename(partial, path)
                .map_err(|e| format!("cannot move the export to {}: {e}", path.display()))?;
            eprintln!(
                "Exported {} tags and {} articles to {}.",
                counts.tags,
                counts.articles,
                path.display()
            );
        }
    }
    Ok(())
}

/// Imports the NDJSON file `path` (stdin for `-`) in one transaction. Lines are read,
/// checked and rendered (Markdown to sanitized HTML) on every core while the records already
/// prepared are written ([`crate::api::transfer::alongside`]). The first bad line ends the
/// import, which then writes nothing.
pub fn import(url: &str, path: &Path) -> CliResult {
    let input: Box<dyn BufRead + Send> = if is_stdio(path) {
        Box::new(BufReader::with_capacity(1 << 16, io::stdin()))
    } else {
        let file = File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        Box::new(BufReader::with_capacity(1 << 16, file))
    };
    let pool = db::open(url, 1)?;
    let fail = |e: TransferError| format!("{e}; nothing was imported");
    let conn = &mut *pool.get()?;
    let without_log = db::sqlite_without_log(conn);
    db::sqlite_statement_journals_in_memory(conn);
    let imported = transfer::import(conn, alongside(input, Limits::from_env()), db::now());
    if without_log {
        db::sqlite_with_log(conn);
    }
    let counts = imported.map_err(fail)?;
    if db::is_postgres(url) {
        // Statistics of what was just written, for the planner: without them, until
        // autovacuum gets to it, a search plans its spans of publication time (the new rows'
        // `published`) as if they were empty.
        use diesel::connection::SimpleConnection;
        conn.batch_execute("ANALYZE")
            .map_err(|e| format!("imported, but ANALYZE failed: {e}"))?;
    }
    let name = if is_stdio(path) {
        "stdin".into()
    } else {
        path.display().to_string()
    };
    println!("Imported {name}: {counts}.");
    Ok(())
}

/// Writes a consistent copy of the database to `output`, which must not exist yet.
pub fn backup(url: &str, output: &Path) -> CliResult {
    if output.exists() {
        return Err(format!("{} exists; choose a new file", output.display()).into());
    }
    if db::is_postgres(url) {
        return Err("backup copies a SQLite file; back up PostgreSQL with pg_dump".into());
    }
    let pool = db::open(url, 1)?;
    let conn = &mut *pool.get()?;
    db::backup_into(conn, &output.to_string_lossy())?;
    println!("Backed up {url} to {}.", output.display());
    Ok(())
}
