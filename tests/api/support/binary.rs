//! Running the real `gazette` binary from tests: a clean environment, free ports, and a
//! `serve` process that is killed when the test ends, however it ends.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_gazette");

/// Environment variables the binary reads that must not leak in from the caller.
const SCRUBBED: [&str; 29] = [
    "BIND_ADDR",
    "SITE_URL",
    "SITE_NAME",
    "CORS_ALLOWED_ORIGINS",
    "REQUIRE_CONTENT_KEY",
    "REQUIRE_IF_MATCH",
    "CACHE_CONTROL",
    "TRUST_PROXY",
    "MAX_BODY_BYTES",
    "MAX_TITLE_CHARS",
    "MAX_SUMMARY_CHARS",
    "MAX_ARTICLE_CHARS",
    "MAX_TAGS_PER_ARTICLE",
    "MAX_RELATED_PER_ARTICLE",
    "MAX_PAGE_SIZE",
    "WORKERS",
    "DB_POOL_SIZE",
    "DATABASE_URL",
    "WEBHOOK_RETRY_BASE_MS",
    "WEBHOOK_ALLOWED_HOSTS",
    "RATE_LIMIT_WRITES",
    "RATE_LIMIT_AUTH_FAILURES",
    "RATE_LIMIT_EXPENSIVE_READS",
    "MAX_CONCURRENT_READS",
    "READ_QUEUE_MS",
    "RESPONSE_CACHE_MB",
    "CACHE_TAG_HEADERS",
    "CDN_CACHE_CONTROL",
    "CACHE_PURGE_URLS",
];

/// Settings every test server gets: tests drive many writes, reads (and some refusals) from
/// one address, which a rate limit would turn into 429s that no test is about.
const SERVER_DEFAULTS: [(&str, &str); 3] = [
    ("RATE_LIMIT_WRITES", "0"),
    ("RATE_LIMIT_AUTH_FAILURES", "0"),
    ("RATE_LIMIT_EXPENSIVE_READS", "0"),
];

/// How long a server may take from spawn to its first healthy answer.
const START_TIMEOUT: Duration = Duration::from_secs(30);

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

/// The program `name` on `PATH`, or in `/usr/sbin` (where Debian puts servers, outside a
/// plain user's `PATH`), if installed.
pub fn installed(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin")])
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// An HTTP client that reports every status as a response (not an error) and never waits
/// forever.
pub fn client() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .proxy(None)
        .build()
        .into()
}

/// Mints an admin key with the CLI; returns it (the last line of the output).
#[track_caller]
pub fn admin_key(dir: &Path, db: &Path, name: &str) -> String {
    key(dir, db, name, "admin")
}

/// Mints a key of `scope` (`admin` or `content`) with the CLI; returns it.
#[track_caller]
pub fn key(dir: &Path, db: &Path, name: &str, scope: &str) -> String {
    let out = gazette(dir, db)
        .args(["keys", "create", "--name", name, "--scope", scope])
        .output()
        .expect("gazette keys create runs");
    assert!(out.status.success(), "{out:?}");
    let key = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .trim()
        .to_owned();
    assert!(key.starts_with("gazette_"), "not a key: {key}");
    key
}

/// A running `gazette serve` with its stderr in a file, killed when dropped (so a failing
/// test leaves no server behind).
pub struct Server {
    child: Child,
    addr: String,
    log: PathBuf,
    dir: PathBuf,
    db: PathBuf,
    env: Vec<(String, String)>,
    /// From spawning the process to its first 200 from `/healthz`.
    pub started_in: Duration,
}

impl Server {
    /// Starts `gazette serve` on `db` with the extra environment `env` (which may override
    /// the defaults) and waits until it answers `/healthz`.
    pub fn start(dir: &Path, db: &Path, env: &[(&str, &str)]) -> Self {
        let env = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Self::spawn(dir.to_owned(), db.to_owned(), env)
    }

    fn spawn(dir: PathBuf, db: PathBuf, env: Vec<(String, String)>) -> Self {
        let addr = format!("127.0.0.1:{}", free_port());
        let log = dir.join(format!("server-{}.log", addr.replace([':', '.'], "-")));
        let mut cmd = gazette(&dir, &db);
        cmd.args(["serve", "--bind", &addr])
            .envs(SERVER_DEFAULTS)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap());
        let spawned = Instant::now();
        let child = cmd.spawn().expect("gazette serve starts");
        let mut server = Self {
            child,
            addr,
            log,
            dir,
            db,
            env,
            started_in: Duration::ZERO,
        };
        let deadline = spawned + START_TIMEOUT;
        let agent = client();
        loop {
            if let Some(status) = server.child.try_wait().unwrap() {
                panic!("the server exited early ({status}):\n{}", server.log());
            }
            if agent
                .get(server.url("/healthz"))
                .call()
                .is_ok_and(|r| r.status() == 200)
            {
                server.started_in = spawned.elapsed();
                return server;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not become healthy in {START_TIMEOUT:?}:\n{}",
                server.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// A new server on the same database and settings (on a new port, with a new log). Stop
    /// this one first (`kill` or `terminate`); one still running is killed.
    pub fn restart(mut self) -> Self {
        self.stop_if_running();
        Self::spawn(
            std::mem::take(&mut self.dir),
            std::mem::take(&mut self.db),
            std::mem::take(&mut self.env),
        )
    }

    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// The server's process id (for its /proc entries).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The absolute URL of `path` on this server.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Everything the server has written to stderr so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Kills the process with SIGKILL — no chance to finish requests, flush or clean up, as
    /// in a crash or an OOM kill — and reaps it.
    pub fn kill(&mut self) -> ExitStatus {
        // An error here only means it has already exited; `wait` says how.
        let _ = self.child.kill();
        self.child.wait().expect("wait for the killed server")
    }

    /// Sends SIGTERM and waits for the process to exit.
    pub fn terminate(&mut self) -> ExitStatus {
        let pid = self.child.id().to_string();
        let killed = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill runs");
        assert!(killed.success(), "kill -TERM {pid} failed");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not stop on SIGTERM:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn stop_if_running(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            self.kill();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop_if_running();
    }
}
