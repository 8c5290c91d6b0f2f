//! The real `gazette` binary: key management, migrations, the OpenAPI printout, and `serve`
//! with the demo content, over real HTTP, ending with a graceful shutdown on SIGTERM.

use crate::support::backend;
use crate::support::binary;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use binary::{free_port, gazette};
use serde_json::{Value, json};

fn run(dir: &Path, db: &Path, args: &[&str]) -> Output {
    gazette(dir, db)
        .args(args)
        .output()
        .expect("the gazette binary runs")
}

#[track_caller]
fn run_ok(dir: &Path, db: &Path, args: &[&str]) -> String {
    let out = run(dir, db, args);
    assert!(
        out.status.success(),
        "gazette {args:?} failed ({}):\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// Creates a key with the CLI; returns it (the last line of the output).
#[track_caller]
fn create_key(dir: &Path, db: &Path, name: &str, scope: &str) -> String {
    let out = run_ok(
        dir,
        db,
        &["keys", "create", "--name", name, "--scope", scope],
    );
    let last = out.lines().last().expect("output").trim().to_owned();
    assert!(
        last.starts_with("gazette_"),
        "the last line should be the key: {out}"
    );
    last
}

/// The rows of `keys list` as (id, whole line), skipping the header.
fn key_rows(listing: &str) -> Vec<(String, String)> {
    listing
        .lines()
        .filter_map(|line| {
            let id = line.split_whitespace().next()?;
            id.parse::<i64>().ok()?;
            Some((id.to_owned(), line.to_owned()))
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// keys, migrate, openapi

#[test]
fn keys_create_list_and_revoke_on_a_new_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("fresh.db");
    assert!(!db.exists());
    let out = run_ok(
        dir.path(),
        &db,
        &["keys", "create", "--name", "x", "--scope", "admin"],
    );
    assert!(db.exists(), "the database file is created");
    let key = out.lines().last().unwrap().trim().to_owned();
    assert!(key.starts_with("gazette_"), "last line: {out}");
    assert!(
        key.len() > "gazette_".len() + 30,
        "a long random key: {key}"
    );
    assert!(
        !out.lines().rev().skip(1).any(|l| l.contains(&key)),
        "the key is shown once, on the last line: {out}"
    );

    let second = create_key(dir.path(), &db, "reader", "content");
    assert_ne!(key, second);

    let listing = run_ok(dir.path(), &db, &["keys", "list"]);
    let secret = key.trim_start_matches("gazette_");
    assert!(
        !listing.contains(&key) && !listing.contains(secret),
        "keys list must not show keys: {listing}"
    );
    assert!(!listing.contains(second.trim_start_matches("gazette_")));
    let rows = key_rows(&listing);
    assert_eq!(rows.len(), 2, "{listing}");
    let (id, row) = rows
        .iter()
        .find(|(_, line)| line.split_whitespace().last() == Some("x"))
        .unwrap_or_else(|| panic!("the key named x is listed: {listing}"));
    assert!(row.contains("admin") && row.contains("active"), "{row}");
    assert!(!row.contains("revoked"), "{row}");

    let out = run_ok(dir.path(), &db, &["keys", "revoke", id]);
    assert!(out.contains(id.as_str()), "{out}");
    let listing = run_ok(dir.path(), &db, &["keys", "list"]);
    let rows = key_rows(&listing);
    let row = &rows.iter().find(|(i, _)| i == id).unwrap().1;
    assert!(row.contains("revoked"), "{listing}");
    let other = &rows.iter().find(|(i, _)| i != id).unwrap().1;
    assert!(
        other.contains("active") && other.contains("content"),
        "{listing}"
    );
}

#[test]
fn keys_create_with_a_bogus_scope_fails() {
    let dir = tempfile::tempdir().unwrap();
    let db = PathBuf::from(backend::fresh_database(dir.path(), "keys"));
    for args in [
        &["keys", "create", "--name", "x", "--scope", "bogus"][..],
        &["keys", "create", "--name", "x", "--scope", "Admin"][..],
        &["keys", "create", "--name", "x", "--scope", ""][..],
        &["keys", "create", "--name", "x"][..],
        &["keys", "create", "--scope", "admin"][..],
    ] {
        let out = run(dir.path(), &db, args);
        assert!(!out.status.success(), "gazette {args:?} should fail");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(!stdout.contains("gazette_"), "no key is printed: {stdout}");
        assert!(!out.stderr.is_empty(), "gazette {args:?} should say why");
    }
    // No key was created by any of them.
    let listing = run_ok(dir.path(), &db, &["keys", "list"]);
    assert!(key_rows(&listing).is_empty(), "{listing}");
}

#[test]
fn keys_revoke_of_an_unknown_key_fails() {
    let dir = tempfile::tempdir().unwrap();
    let db = PathBuf::from(backend::fresh_database(dir.path(), "keys"));
    create_key(dir.path(), &db, "x", "admin");
    for id in ["999", "nope"] {
        let out = run(dir.path(), &db, &["keys", "revoke", id]);
        assert!(!out.status.success(), "revoking {id} should fail");
    }
    let listing = run_ok(dir.path(), &db, &["keys", "list"]);
    assert!(!listing.contains("revoked"), "{listing}");
}

#[test]
fn backup_copies_the_database_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("live.db");
    create_key(dir.path(), &db, "one", "admin");
    create_key(dir.path(), &db, "two", "content");
    let copy = dir.path().join("copy.db");
    let out = run_ok(dir.path(), &db, &["backup", copy.to_str().unwrap()]);
    assert!(out.contains("Backed up"), "{out}");
    // The copy is a database of its own with the same rows.
    let listed = run_ok(dir.path(), &copy, &["keys", "list"]);
    let names: Vec<String> = key_rows(&listed)
        .into_iter()
        .map(|(_, line)| line.split_whitespace().last().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["one", "two"], "{listed}");
    // A later change to the original does not reach the copy.
    create_key(dir.path(), &db, "three", "admin");
    assert_eq!(
        key_rows(&run_ok(dir.path(), &copy, &["keys", "list"])).len(),
        2
    );
    // An existing file is never overwritten.
    let again = run(dir.path(), &db, &["backup", copy.to_str().unwrap()]);
    assert!(
        !again.status.success(),
        "a second backup to the same file succeeded"
    );
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists"));
    assert_eq!(
        key_rows(&run_ok(dir.path(), &copy, &["keys", "list"])).len(),
        2
    );
}

#[test]
fn migrate_creates_a_new_database_and_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sub-migrate.db");
    run_ok(dir.path(), &db, &["migrate"]);
    assert!(db.exists());
    run_ok(dir.path(), &db, &["migrate"]);
    // The schema is usable afterwards.
    create_key(dir.path(), &db, "after-migrate", "admin");
}

#[test]
fn openapi_prints_the_spec() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("unused.db");
    let out = run_ok(dir.path(), &db, &["openapi"]);
    let spec: Value = serde_json::from_str(&out).expect("the spec is JSON");
    assert!(
        spec["openapi"].as_str().is_some_and(|v| v.starts_with('3')),
        "{}",
        spec["openapi"]
    );
    let paths = spec["paths"].as_object().expect("paths");
    for path in [
        "/api/v1/articles",
        "/api/v1/articles/{slug_or_id}",
        "/api/v1/articles/{slug_or_id}/related",
        "/api/v1/tags",
        "/api/v1/tags/{slug}",
        "/healthz",
    ] {
        assert!(
            paths.contains_key(path),
            "{path} missing from {:?}",
            paths.keys()
        );
    }
    assert!(paths["/api/v1/articles"]["get"].is_object());
    assert!(paths["/api/v1/articles"]["post"].is_object());
}

// ---------------------------------------------------------------------------------------
// serve

/// A running `gazette serve`, killed when dropped (so a failing test leaves no server).
struct Server {
    child: Child,
    addr: String,
    log: PathBuf,
}

impl Server {
    fn start(dir: &Path, db: &Path, extra: &[&str]) -> Self {
        let addr = format!("127.0.0.1:{}", free_port());
        let log = dir.join(format!("server-{}.log", addr.replace([':', '.'], "-")));
        let stderr = std::fs::File::create(&log).unwrap();
        let child = gazette(dir, db)
            .args(["serve", "--bind", &addr])
            .args(extra)
            .env("WORKERS", "2")
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("gazette serve starts");
        let mut server = Self { child, addr, log };
        server.wait_healthy();
        server
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn wait_healthy(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("the server exited early ({status}):\n{}", self.log());
            }
            if let Ok(res) = http(&self.addr, "GET", "/healthz", None, None)
                && res.status == 200
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not become healthy within 30 s:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn get(&self, path: &str) -> HttpResponse {
        http(&self.addr, "GET", path, None, None).expect("GET")
    }

    /// Sends SIGTERM and waits up to `timeout` for the process to exit.
    fn terminate(&mut self, timeout: Duration) -> ExitStatus {
        let pid = self.child.id().to_string();
        let status = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -TERM {pid} failed");
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not exit within {timeout:?} of SIGTERM:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[derive(Debug)]
struct HttpResponse {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl HttpResponse {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    #[track_caller]
    fn json(&self, status: u16) -> Value {
        assert_eq!(
            self.status,
            status,
            "expected {status}: {}",
            String::from_utf8_lossy(&self.body)
        );
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
}

/// One HTTP/1.1 request on a fresh connection (`Connection: close`), read to the end.
fn http(
    addr: &str,
    method: &str,
    path: &str,
    auth: Option<&str>,
    body: Option<&Value>,
) -> std::io::Result<HttpResponse> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.set_write_timeout(Some(Duration::from_secs(10)))?;
    let payload = body.map(Value::to_string).unwrap_or_default();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Accept: application/json\r\nAccept-Encoding: identity\r\n"
    );
    if let Some(key) = auth {
        request.push_str(&format!("Authorization: Bearer {key}\r\n"));
    }
    if body.is_some() {
        request.push_str("Content-Type: application/json\r\n");
    }
    request.push_str(&format!(
        "Content-Length: {}\r\n\r\n{payload}",
        payload.len()
    ));
    stream.write_all(request.as_bytes())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    parse_response(&raw)
}

fn bad(msg: impl Into<String>) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, msg.into())
}

fn parse_response(raw: &[u8]) -> std::io::Result<HttpResponse> {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| bad("no end of headers"))?;
    let head = std::str::from_utf8(&raw[..split]).map_err(|_| bad("headers not UTF-8"))?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().ok_or_else(|| bad("no status line"))?;
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad(format!("bad status line {status_line}")))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let rest = &raw[split + 4..];
    let chunked = headers.iter().any(|(n, v)| {
        n.eq_ignore_ascii_case("transfer-encoding") && v.to_ascii_lowercase().contains("chunked")
    });
    let body = if chunked {
        dechunk(rest)?
    } else {
        rest.to_vec()
    };
    Ok(HttpResponse {
        status,
        headers,
        body,
    })
}

fn dechunk(mut data: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or_else(|| bad("truncated chunk size"))?;
        let size_text = std::str::from_utf8(&data[..line_end]).map_err(|_| bad("chunk size"))?;
        let size_text = size_text.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| bad("chunk size"))?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Ok(body);
        }
        if data.len() < size + 2 {
            return Err(bad("truncated chunk"));
        }
        body.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

#[test]
fn chunked_bodies_are_decoded() {
    let raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\n\r\n";
    let res = parse_response(raw).unwrap();
    assert_eq!(res.status, 200);
    assert_eq!(res.body, b"{\"a\":1}");
}

/// All published articles, through the public list.
fn list_articles(server: &Server) -> Value {
    server.get("/api/v1/articles?limit=100").json(200)
}

#[test]
fn serve_demo_answers_real_http_and_stops_gracefully_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let db = PathBuf::from(backend::fresh_database(dir.path(), "demo"));
    let mut server = Server::start(dir.path(), &db, &["--demo"]);

    let health = server.get("/healthz").json(200);
    assert_eq!(health["status"], "ok");

    // The demo newsroom: published articles, tags and related links.
    let list = list_articles(&server);
    let articles = list["data"].as_array().unwrap();
    assert!(
        articles.len() >= 12,
        "{} published articles",
        articles.len()
    );
    assert_eq!(
        list["meta"]["total"].as_u64().unwrap() as usize,
        articles.len()
    );
    assert_eq!(list["meta"]["has_more"], false);
    assert!(list["meta"]["next_cursor"].is_null());
    assert!(
        articles.iter().all(|a| a["status"] == "published"),
        "only published articles are listed"
    );
    let slugs: Vec<&str> = articles
        .iter()
        .map(|a| a["slug"].as_str().unwrap())
        .collect();
    assert!(
        !slugs.contains(&"old-cannery-startup-hub"),
        "the demo draft is listed: {slugs:?}"
    );
    server
        .get("/api/v1/articles/old-cannery-startup-hub")
        .json(404);

    let tags = server.get("/api/v1/tags?limit=100").json(200);
    assert!(
        tags["data"].as_array().unwrap().len() >= 8,
        "{} tags",
        tags["data"]
    );

    let mut mixed = None;
    for slug in &slugs {
        let article = server.get(&format!("/api/v1/articles/{slug}")).json(200);
        let kinds: Vec<&str> = article["related"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["kind"].as_str().unwrap())
            .collect();
        if kinds.contains(&"internal") && kinds.contains(&"external") {
            mixed = Some(article);
            break;
        }
    }
    let mixed = mixed.expect("an article with both internal and external related links");
    for link in mixed["related"].as_array().unwrap() {
        assert!(!link["summary"].as_str().unwrap().is_empty(), "{link}");
        assert!(link["url"].as_str().unwrap().starts_with("http"), "{link}");
        if link["kind"] == "internal" {
            let target = link["slug"].as_str().unwrap();
            server.get(&format!("/api/v1/articles/{target}")).json(200);
        }
    }

    // Errors over real HTTP are problem details too.
    let missing = server.get("/api/v1/nope");
    assert_eq!(missing.status, 404);
    assert_eq!(
        missing.header("content-type"),
        Some("application/problem+json")
    );

    // A key minted by the CLI while the server runs is honoured at once.
    let body = json!({"title": "Written over HTTP", "status": "published"});
    let refused = http(&server.addr, "POST", "/api/v1/articles", None, Some(&body)).unwrap();
    assert_eq!(refused.status, 401);
    let key = create_key(dir.path(), &db, "live", "admin");
    let created = http(
        &server.addr,
        "POST",
        "/api/v1/articles",
        Some(&key),
        Some(&body),
    )
    .unwrap();
    let article = created.json(201);
    assert_eq!(
        created.header("location"),
        Some(format!("/api/v1/articles/{}", article["slug"].as_str().unwrap()).as_str())
    );
    let after = list_articles(&server);
    assert_eq!(
        after["meta"]["total"].as_u64().unwrap(),
        list["meta"]["total"].as_u64().unwrap() + 1
    );

    // SIGTERM: a graceful stop with a successful exit.
    let status = server.terminate(Duration::from_secs(15));
    assert!(
        status.success(),
        "exit after SIGTERM: {status}\n{}",
        server.log()
    );
    assert!(
        TcpStream::connect(&server.addr).is_err(),
        "nothing listens after the stop"
    );
}

#[test]
fn demo_is_loaded_once_and_never_into_a_database_with_articles() {
    let dir = tempfile::tempdir().unwrap();

    // Twice with --demo on the same file: the demo is not duplicated.
    let db = dir.path().join("twice.db");
    let mut first = Server::start(dir.path(), &db, &["--demo"]);
    let first_list = list_articles(&first);
    let first_tags = first.get("/api/v1/tags?limit=100").json(200);
    assert!(first_list["meta"]["total"].as_u64().unwrap() >= 12);
    assert!(first.terminate(Duration::from_secs(15)).success());
    drop(first);
    let second = Server::start(dir.path(), &db, &["--demo"]);
    let second_list = list_articles(&second);
    assert_eq!(second_list["meta"]["total"], first_list["meta"]["total"]);
    assert_eq!(
        second_list["data"], first_list["data"],
        "the demo was reloaded"
    );
    let second_tags = second.get("/api/v1/tags?limit=100").json(200);
    assert_eq!(second_tags["meta"]["total"], first_tags["meta"]["total"]);
    drop(second);

    // A database that has its own (even unpublished) article gets no demo.
    let db = dir.path().join("own.db");
    let key = create_key(dir.path(), &db, "editor", "admin");
    let mut plain = Server::start(dir.path(), &db, &[]);
    let body = json!({"title": "Our own draft"});
    http(
        &plain.addr,
        "POST",
        "/api/v1/articles",
        Some(&key),
        Some(&body),
    )
    .unwrap()
    .json(201);
    assert!(plain.terminate(Duration::from_secs(15)).success());
    drop(plain);
    let demo = Server::start(dir.path(), &db, &["--demo"]);
    let list = list_articles(&demo);
    assert_eq!(
        list["meta"]["total"], 0,
        "demo loaded over existing content: {list}"
    );
    assert_eq!(demo.get("/api/v1/tags").json(200)["meta"]["total"], 0);
}
