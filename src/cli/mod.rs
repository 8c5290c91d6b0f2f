//! The subcommands of the `gazette` binary.

mod serve;
mod transfer;

use std::error::Error;

use crate::config::{Cli, Command, KeysCommand, ServeArgs};
use crate::db;

pub type CliResult = Result<(), Box<dyn Error>>;

/// Runs the command line's subcommand (`serve` when none is given).
pub fn run(cli: Cli) -> CliResult {
    let url = cli.database_url;
    match cli
        .command
        .unwrap_or_else(|| Command::Serve(ServeArgs::from_env()))
    {
        Command::Serve(args) => actix_web::rt::System::new().block_on(serve::serve(&url, args)),
        Command::Migrate => {
            let (_, applied) = db::open_migrated(&url, 1)?;
            println!(
                "Database {} is up to date ({applied} migrations applied now).",
                db::redact(&url)
            );
            Ok(())
        }
        Command::Keys(command) => keys(&url, command),
        Command::Export { output } => transfer::export(&url, output.as_deref()),
        Command::Import { file } => transfer::import(&url, &file),
        Command::Backup { output } => transfer::backup(&url, &output),
        Command::Openapi => {
            println!(
                "{}",
                crate::app::openapi_json(&crate::config::Limits::from_env())
            );
            Ok(())
        }
    }
}

fn keys(url: &str, command: KeysCommand) -> CliResult {
    let pool = db::open(url, 1)?;
    let conn = &mut *pool.get()?;
    match command {
        KeysCommand::Create { name, scope } => {
            let (row, key) = db::keys::create(conn, &name, &scope, db::now())?;
            println!(
                "Created {} key {} (prefix {}) named '{}'. Store it now: it is not shown again.",
                row.scope, row.id, row.prefix, row.name
            );
            println!("{key}");
        }
        KeysCommand::List => {
            println!(
                "{:>4}  {:<8}  {:<7}  {:<8}  {:<20}  name",
                "id", "prefix", "scope", "state", "created"
            );
            for k in db::keys::list(conn)? {
                let state = if k.revoked_at.is_some() {
                    "revoked"
                } else {
                    "active"
                };
                println!(
                    "{:>4}  {:<8}  {:<7}  {:<8}  {:<20}  {}",
                    k.id,
                    k.prefix,
                    k.scope,
                    state,
                    k.created_at.format("%Y-%m-%d %H:%M:%S"),
                    k.name
                );
            }
        }
        KeysCommand::Revoke { key } => {
            let row = db::keys::revoke(conn, &key, db::now())?;
            println!(
                "Revoked key {} (prefix {}) named '{}'.",
                row.id, row.prefix, row.name
            );
        }
    }
    Ok(())
}
