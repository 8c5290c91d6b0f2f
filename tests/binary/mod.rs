//! Running the real `gazette` binary from tests: a clean environment and free ports.

use std::path::Path;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_gazette");

/// Environment variables the binary reads that must not leak in from the caller.
const SCRUBBED: [&str; 9] = [
    "BIND_ADDR",
    "SITE_URL",
    "CORS_ALLOWED_ORIGINS",
    "REQUIRE_CONTENT_KEY",
    "WORKERS",
    "DB_POOL_SIZE",
    "DATABASE_URL",
    "WEBHOOK_RETRY_BASE_MS",
    "WEBHOOK_ALLOWED_HOSTS",
];

/// A `gazette` command on the database `db`, run in `dir` (so no stray `.env` is read).
pub fn gazette(dir: &Path, db: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    for var in SCRUBBED {
        cmd.env_remove(var);
    }
    cmd.current_dir(dir)
        .env("DATABASE_URL", db)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null());
    cmd
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}
