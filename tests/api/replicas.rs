//! Two `gazette serve` replicas on one PostgreSQL database, started together on an empty
//! database, then with nginx in front of them as `deploy/nginx.conf` configures it:
//!
//! - migrations run once (advisory lock) and both replicas become healthy and ready;
//! - a write through one replica is read through the other at once, with the same ETags
//!   (identity, gzip, brotli) and 304s for each other's validators;
//! - `If-Match` conflicts are detected across replicas, also when two writes race;
//! - every webhook event is delivered exactly once while both replicas' workers run;
//! - through nginx: both replicas serve, request ids pass, writes work, `/metrics` is closed,
//!   the body limits hold, the client cannot spoof its address, a stopped replica is skipped.
//!
//! Needs `GAZETTE_TEST_POSTGRES` (see `tests/backend`); without it the test says so and passes.
//! The nginx part needs an `nginx` binary (on `PATH`, or `/usr/sbin/nginx`) and is skipped
//! with a message without one.

use crate::support::backend;
use crate::support::binary;
use crate::support::receiver;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Barrier;
use std::time::{Duration, Instant};

use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl};
use serde_json::{Value, json};

use binary::{Server, admin_key, client, free_port};
use receiver::Receiver;

/// Settings of both replicas. Deliveries are logged (debug) so that each replica's share of
/// them can be counted; TRUST_PROXY and a low failed-key limit are for the nginx checks.
const REPLICA_ENV: [(&str, &str); 7] = [
    ("WORKERS", "2"),
    ("DB_POOL_SIZE", "4"),
    ("WEBHOOK_RETRY_BASE_MS", "100"),
    ("WEBHOOK_ALLOWED_HOSTS", "127.0.0.1"),
    ("TRUST_PROXY", "true"),
    ("RATE_LIMIT_AUTH_FAILURES", "2"),
    ("RUST_LOG", "warn,gazette::webhooks=debug"),
];

/// Article changes made alternately through each replica, each one a webhook event.
const CHANGES: usize = 30;
/// Articles imported in one request (one transaction): that many events due at once, which
/// both workers drain together.
const BURST: usize = 300;
/// Rounds of two `If-Match` writes racing, one through each replica.
const RACES: usize = 8;

/// The test database, dropped when the test ends (after the servers, declared later).
struct Database(String);

impl Drop for Database {
    fn drop(&mut self) {
        backend::drop_database(&self.0);
    }
}

#[derive(Debug)]
struct Reply {
    status: u16,
    headers: ureq::http::HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    #[track_caller]
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    #[track_caller]
    fn etag(&self) -> String {
        self.header("etag")
            .unwrap_or_else(|| panic!("no ETag: {self:?}"))
            .to_owned()
    }
}

/// One request on a new connection; every status is a reply.
fn send(method: &str, url: &str, headers: &[(&str, &str)], body: Option<Vec<u8>>) -> Reply {
    let mut builder = ureq::http::Request::builder().method(method).uri(url);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let agent = client();
    let result = match body {
        Some(body) => agent.run(builder.body(body).unwrap()),
        None => agent.run(builder.body(()).unwrap()),
    };
    let mut res = result.unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let body = res
        .body_mut()
        .with_config()
        .limit(64 << 20)
        .read_to_vec()
        .unwrap_or_else(|e| panic!("{method} {url}: reading the body: {e}"));
    Reply {
        status,
        headers,
        body,
    }
}

/// A request with the admin key and, if given, a JSON body.
fn admin(base: &str, key: &str, method: &str, path: &str, body: Option<&Value>) -> Reply {
    admin_with(base, key, method, path, body, &[])
}

fn admin_with(
    base: &str,
    key: &str,
    method: &str,
    path: &str,
    body: Option<&Value>,
    extra: &[(&str, &str)],
) -> Reply {
    let auth = format!("Bearer {key}");
    let mut headers = vec![("Authorization", auth.as_str())];
    if body.is_some() {
        headers.push(("Content-Type", "application/json"));
    }
    headers.extend_from_slice(extra);
    let url = format!("{base}{path}");
    send(
        method,
        &url,
        &headers,
        body.map(|b| b.to_string().into_bytes()),
    )
}

fn get(base: &str, path: &str, headers: &[(&str, &str)]) -> Reply {
    send("GET", &format!("{base}{path}"), headers, None)
}

fn base(server: &Server) -> String {
    server.url("")
}

/// Starts two replicas on `db` at the same moment; each migrates the database as it starts.
fn start_together(dir: &Path, db: &Path) -> (Server, Server) {
    let barrier = Barrier::new(2);
    let start = || {
        barrier.wait();
        Server::start(dir, db, &REPLICA_ENV)
    };
    std::thread::scope(|s| {
        let a = s.spawn(start);
        let b = s.spawn(start);
        let a = a.join();
        let b = b.join();
        (
            a.expect("replica A started (see its panic above)"),
            b.expect("replica B started (see its panic above)"),
        )
    })
}

/// The versions of the embedded PostgreSQL migrations, as diesel records them.
fn migration_versions() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/postgres");
    let mut versions: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap())
        .filter(|entry| entry.file_type().unwrap().is_dir())
        .map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            name.split('_').next().unwrap().replace('-', "")
        })
        .collect();
    versions.sort();
    assert!(!versions.is_empty(), "no migrations in {}", dir.display());
    versions
}

#[derive(QueryableByName)]
struct Version {
    #[diesel(sql_type = diesel::sql_types::Text)]
    version: String,
}

#[derive(QueryableByName, Debug)]
struct Delivery {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    status: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    attempts: i64,
}

fn deliveries(pg: &mut PgConnection) -> Vec<Delivery> {
    diesel::sql_query("SELECT id, status, attempts FROM webhook_deliveries ORDER BY id")
        .load(pg)
        .expect("read the deliveries")
}

/// Waits until no delivery is pending; returns them all.
#[track_caller]
fn wait_all_delivered(pg: &mut PgConnection, timeout: Duration) -> Vec<Delivery> {
    let deadline = Instant::now() + timeout;
    loop {
        let all = deliveries(pg);
        if all.iter().all(|d| d.status != "pending") {
            return all;
        }
        assert!(
            Instant::now() < deadline,
            "deliveries still pending after {timeout:?}: {:?}",
            all.iter()
                .filter(|d| d.status == "pending")
                .collect::<Vec<_>>()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The ids of the deliveries a replica's worker logged as delivered.
fn delivered_by(server: &Server) -> BTreeSet<i64> {
    server
        .log()
        .lines()
        .filter(|line| line.ends_with(": 200"))
        .filter_map(|line| line.split("webhook delivery ").nth(1))
        .filter_map(|rest| rest.split(' ').next())
        .map(|id| id.parse().expect("a delivery id"))
        .collect()
}

/// Asserts that the receiver got each delivery in `expected` exactly once, nothing else, and
/// each event once (one subscription: an event is one delivery).
#[track_caller]
fn assert_exactly_once(receiver: &Receiver, expected: &BTreeSet<i64>, secret: &str) {
    let received = receiver.received();
    let mut per_delivery: BTreeMap<i64, usize> = BTreeMap::new();
    let mut per_event: BTreeMap<String, usize> = BTreeMap::new();
    for req in &received {
        let id = req
            .header("x-gazette-delivery")
            .expect("X-Gazette-Delivery")
            .parse()
            .expect("a numeric delivery id");
        *per_delivery.entry(id).or_default() += 1;
        let event = req.json()["id"].as_str().expect("the event id").to_owned();
        *per_event.entry(event).or_default() += 1;
    }
    let twice: Vec<_> = per_delivery.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        twice.is_empty(),
        "deliveries received more than once (id, times): {twice:?}"
    );
    let events_twice: Vec<_> = per_event.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        events_twice.is_empty(),
        "events received more than once (id, times): {events_twice:?}"
    );
    let got: BTreeSet<i64> = per_delivery.keys().copied().collect();
    let missing: Vec<_> = expected.difference(&got).collect();
    let unknown: Vec<_> = got.difference(expected).collect();
    assert!(
        missing.is_empty() && unknown.is_empty(),
        "missing deliveries {missing:?}; unexpected ones {unknown:?}"
    );
    received[0].assert_signed(secret);
    received[received.len() - 1].assert_signed(secret);
}

/// `gazette_http_requests_total` of one method, route and status on one replica.
fn requests_served(server: &Server, method: &str, route: &str, status: u16) -> u64 {
    let reply = get(&base(server), "/metrics", &[]);
    assert_eq!(reply.status, 200);
    let prefix = format!(
        "gazette_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} "
    );
    reply
        .text()
        .lines()
        .filter_map(|line| line.strip_prefix(&prefix))
        .map(|n| n.trim().parse::<u64>().expect("a count"))
        .sum()
}

#[test]
fn two_replicas_share_one_postgresql_database() {
    if backend::postgres_server().is_none() {
        eprintln!(
            "replicas: SKIPPED — set GAZETTE_TEST_POSTGRES=postgres://user@host:port (a role \
             that may create databases) to run two replicas on one PostgreSQL database"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = Database(backend::fresh_database(dir.path(), "replicas"));
    let db_url = PathBuf::from(&db.0);

    // --- Both start at once on the empty database; the migrations run once. -------------
    let (mut a, mut b) = start_together(dir.path(), &db_url);
    eprintln!(
        "replicas: A on {} healthy after {:?}, B on {} after {:?}",
        a.addr(),
        a.started_in,
        b.addr(),
        b.started_in
    );
    let (base_a, base_b) = (base(&a), base(&b));
    for (name, server) in [("A", &a), ("B", &b)] {
        let ready = get(&base(server), "/readyz", &[]);
        assert_eq!(ready.status, 200, "{name} /readyz: {}", ready.text());
    }
    let mut pg = PgConnection::establish(&db.0).expect("connect to the test database");
    let applied: Vec<String> =
        diesel::sql_query("SELECT version FROM __diesel_schema_migrations ORDER BY version")
            .load::<Version>(&mut pg)
            .expect("read the applied migrations")
            .into_iter()
            .map(|v| v.version)
            .collect();
    assert_eq!(
        applied,
        migration_versions(),
        "each migration applied exactly once"
    );
    for (name, server) in [("A", &a), ("B", &b)] {
        let log = server.log();
        assert!(
            !log.contains("ERROR") && !log.contains("migration"),
            "replica {name} logged a problem:\n{log}"
        );
    }
    let key = admin_key(dir.path(), &db_url, "replicas");

    // --- A write through A is read through B at once, with the same validators. ----------
    let created = admin(
        &base_a,
        &key,
        "POST",
        "/api/v1/articles",
        Some(&json!({
            "title": "Two Replicas, One Newsroom",
            "summary": "Written through one replica, read through the other.",
            "body": "A paragraph that makes the article long enough to be compressed. ".repeat(20),
            "status": "published",
            "tags": ["Operations"],
        })),
    );
    assert_eq!(created.status, 201, "{}", created.text());
    let slug = created.json()["slug"].as_str().unwrap().to_owned();
    let article = format!("/api/v1/articles/{slug}");
    let from_b = get(&base_b, &article, &[]);
    assert_eq!(
        from_b.status,
        200,
        "read through B at once: {}",
        from_b.text()
    );
    assert_eq!(from_b.json()["title"], "Two Replicas, One Newsroom");
    assert_eq!(from_b.json()["body_html"], created.json()["body_html"]);

    // The article is long enough to be compressed; the lists (one teaser, one tag) are not.
    for (path, compressed) in [
        (article.as_str(), true),
        ("/api/v1/articles", false),
        ("/api/v1/tags", false),
    ] {
        let mut tags = BTreeSet::new();
        for coding in ["identity", "gzip", "br"] {
            let accept = [("Accept-Encoding", coding)];
            let (on_a, on_b) = (get(&base_a, path, &accept), get(&base_b, path, &accept));
            assert_eq!((on_a.status, on_b.status), (200, 200), "GET {path}");
            assert_eq!(on_a.etag(), on_b.etag(), "ETag of {path} ({coding})");
            assert_eq!(on_a.body, on_b.body, "body of {path} ({coding})");
            let encoding = on_a.header("content-encoding").unwrap_or("identity");
            assert_eq!(
                encoding,
                on_b.header("content-encoding").unwrap_or("identity")
            );
            assert_eq!(
                encoding == coding,
                compressed || coding == "identity",
                "{path}"
            );
            let revalidated = get(&base_b, path, &[accept[0], ("If-None-Match", &on_a.etag())]);
            assert_eq!(
                revalidated.status, 304,
                "B honours A's validator for {path} ({coding})"
            );
            tags.insert(on_a.etag());
        }
        let expected = if compressed { 3 } else { 1 };
        assert_eq!(
            tags.len(),
            expected,
            "one ETag per coding of {path}: {tags:?}"
        );
    }

    // --- How stale B's memory can be: a write acknowledged by A, then B's front page (kept
    // in B's memory between writes) read until it shows it. -------------------------------
    let mut lags = Vec::new();
    for i in 0..100 {
        let kept = get(&base_b, "/api/v1/articles", &[]);
        assert_eq!(kept.status, 200);
        let title = format!("Staleness Probe {i}");
        let patched = admin(
            &base_a,
            &key,
            "PATCH",
            &article,
            Some(&json!({"title": title})),
        );
        assert_eq!(patched.status, 200, "{}", patched.text());
        let acknowledged = Instant::now();
        loop {
            let front = get(&base_b, "/api/v1/articles", &[]);
            if front.json()["data"][0]["title"] == title.as_str() {
                break;
            }
            assert!(
                acknowledged.elapsed() < Duration::from_secs(2),
                "B still shows the page before write {i}"
            );
        }
        lags.push(acknowledged.elapsed());
    }
    lags.sort();
    eprintln!(
        "replicas: a write through A seen through B after p50 {:?}, p99 {:?}, max {:?} (100 writes)",
        lags[49], lags[98], lags[99]
    );

    // --- If-Match across replicas. ------------------------------------------------------
    let read = admin(&base_a, &key, "GET", &article, None);
    let etag = read.etag();
    let patched = admin_with(
        &base_a,
        &key,
        "PATCH",
        &article,
        Some(&json!({"summary": "Edited through A."})),
        &[("If-Match", &etag)],
    );
    assert_eq!(patched.status, 200, "{}", patched.text());
    let stale = admin_with(
        &base_b,
        &key,
        "PATCH",
        &article,
        Some(&json!({"summary": "A stale edit through B."})),
        &[("If-Match", &etag)],
    );
    assert_eq!(stale.status, 412, "{}", stale.text());
    let current = admin(&base_b, &key, "GET", &article, None);
    assert_eq!(stale.json()["current_etag"], current.etag());
    assert_eq!(stale.header("etag"), Some(current.etag().as_str()));
    assert_eq!(current.json()["summary"], "Edited through A.");

    // Two editors save from the same version at the same moment, one through each replica.
    for round in 0..RACES {
        let etag = admin(&base_a, &key, "GET", &article, None).etag();
        let barrier = Barrier::new(2);
        let race = |via: &str, base: &str| {
            let summary = format!("Round {round}: saved through {via}.");
            let body = json!({ "summary": summary });
            barrier.wait();
            let reply = admin_with(
                base,
                &key,
                "PATCH",
                &article,
                Some(&body),
                &[("If-Match", &etag)],
            );
            (reply, summary)
        };
        let (on_a, on_b) = std::thread::scope(|s| {
            let on_a = s.spawn(|| race("A", &base_a));
            let on_b = s.spawn(|| race("B", &base_b));
            (on_a.join().unwrap(), on_b.join().unwrap())
        });
        let statuses = [on_a.0.status, on_b.0.status];
        assert!(
            statuses == [200, 412] || statuses == [412, 200],
            "round {round}: one write wins, the other is told to reload; got {statuses:?} \
             (summaries now: A {}, B {})",
            on_a.0.json()["summary"],
            on_b.0.json()["summary"]
        );
        let (winner, loser) = if on_a.0.status == 200 {
            (&on_a, &on_b)
        } else {
            (&on_b, &on_a)
        };
        let now = admin(&base_b, &key, "GET", &article, None);
        assert_eq!(now.json()["summary"], winner.1.as_str(), "round {round}");
        assert_eq!(
            loser.0.json()["current_etag"],
            now.etag(),
            "round {round}: the loser is told the winner's ETag"
        );
    }

    // --- Webhooks: each event delivered once while both workers run. --------------------
    let receiver = Receiver::start(&[]);
    let hook = admin(
        &base_a,
        &key,
        "POST",
        "/api/v1/webhooks",
        Some(&json!({"url": receiver.url("/hooks"), "events": ["*"]})),
    );
    assert_eq!(hook.status, 201, "{}", hook.text());
    let secret = hook.json()["secret"].as_str().unwrap().to_owned();
    for i in 0..CHANGES {
        let (writer, reader) = if i % 2 == 0 {
            (&base_a, &base_b)
        } else {
            (&base_b, &base_a)
        };
        let summary = format!("Change {i}.");
        let reply = admin(
            writer,
            &key,
            "PATCH",
            &article,
            Some(&json!({ "summary": summary })),
        );
        assert_eq!(reply.status, 200, "change {i}: {}", reply.text());
        let read = get(reader, &article, &[]);
        assert_eq!(read.json()["summary"], summary.as_str(), "change {i}");
    }
    let burst: String = (0..BURST)
        .map(|i| {
            json!({
                "type": "article", "slug": format!("burst-{i:03}"), "title": format!("Burst {i}"),
                "status": "published", "published_at": "2026-01-01T00:00:00Z",
            })
            .to_string()
                + "\n"
        })
        .collect();
    let imported = send(
        "POST",
        &format!("{base_b}/api/v1/import"),
        &[
            ("Authorization", &format!("Bearer {key}")),
            ("Content-Type", "application/x-ndjson"),
        ],
        Some(burst.into_bytes()),
    );
    assert_eq!(imported.status, 200, "{}", imported.text());
    assert_eq!(imported.json()["articles_created"], BURST);

    let started = Instant::now();
    let events = CHANGES + BURST;
    receiver.wait_for(events, Duration::from_secs(120));
    let all = wait_all_delivered(&mut pg, Duration::from_secs(60));
    let waited = started.elapsed();
    assert_eq!(all.len(), events, "one delivery per event: {all:?}");
    let ids: BTreeSet<i64> = all.iter().map(|d| d.id).collect();
    assert_exactly_once(&receiver, &ids, &secret);
    let mut kinds = BTreeMap::<String, usize>::new();
    for req in receiver.received() {
        let kind = req.header("x-gazette-event").expect("X-Gazette-Event");
        *kinds.entry(kind.to_owned()).or_default() += 1;
    }
    assert_eq!(
        kinds,
        BTreeMap::from([
            ("article.published".to_owned(), BURST),
            ("article.updated".to_owned(), CHANGES)
        ])
    );
    let (by_a, by_b) = (delivered_by(&a), delivered_by(&b));
    eprintln!(
        "replicas: {events} events delivered in {waited:?} after the import; worker A sent {}, \
         worker B sent {}",
        by_a.len(),
        by_b.len()
    );
    assert!(
        by_a.is_disjoint(&by_b),
        "both workers sent {:?}",
        by_a.intersection(&by_b).collect::<Vec<_>>()
    );
    assert_eq!(
        by_a.union(&by_b).copied().collect::<BTreeSet<_>>(),
        ids,
        "the workers' logs account for every delivery"
    );
    assert!(
        !by_a.is_empty() && !by_b.is_empty(),
        "both workers took part (A: {}, B: {})",
        by_a.len(),
        by_b.len()
    );

    // --- nginx in front, as deploy/nginx.conf configures it. ------------------------------
    let mut b_running = true;
    match nginx_binary() {
        Some(nginx) => {
            through_nginx(&nginx, &a, &mut b, &key);
            b_running = false;
        }
        None => eprintln!(
            "replicas: nginx part SKIPPED — no `nginx` on PATH or at /usr/sbin/nginx \
             (Debian: apt-get install nginx)"
        ),
    }

    // --- Both stop; then nothing more can arrive: the final count. ----------------------
    wait_all_delivered(&mut pg, Duration::from_secs(60));
    let status = a.terminate();
    assert!(status.success(), "A after SIGTERM: {status}");
    if b_running {
        let status = b.terminate();
        assert!(status.success(), "B after SIGTERM: {status}");
    }
    let all = deliveries(&mut pg);
    assert!(
        all.iter()
            .all(|d| d.status == "delivered" && d.attempts == 1),
        "every delivery delivered at its first attempt: {all:?}"
    );
    let ids: BTreeSet<i64> = all.iter().map(|d| d.id).collect();
    assert_exactly_once(&receiver, &ids, &secret);
    eprintln!(
        "replicas: {} deliveries in all, each received exactly once",
        ids.len()
    );
}

// ---------------------------------------------------------------------------------------
// nginx
// ---------------------------------------------------------------------------------------

fn nginx_binary() -> Option<PathBuf> {
    crate::support::binary::installed("nginx")
}

/// `text` with its one occurrence of `from` replaced by `to`.
#[track_caller]
fn replace_once(text: &str, from: &str, to: &str) -> String {
    assert_eq!(
        text.matches(from).count(),
        1,
        "deploy/nginx.conf should name {from} exactly once"
    );
    text.replace(from, to)
}

/// nginx in the foreground, as this test's child; stopped (SIGTERM, then SIGKILL) on drop.
struct Nginx {
    child: Child,
    prefix: tempfile::TempDir,
    base: String,
}

impl Nginx {
    /// Runs deploy/nginx.conf with the replicas `upstreams` and a free listening port.
    fn start(binary: &Path, upstreams: [&str; 2]) -> Self {
        use std::os::unix::fs::PermissionsExt;
        let conf = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/nginx.conf"),
        )
        .expect("deploy/nginx.conf");
        let port = free_port();
        let conf = replace_once(
            &conf,
            "server 127.0.0.1:8081 ",
            &format!("server {} ", upstreams[0]),
        );
        let conf = replace_once(
            &conf,
            "server 127.0.0.1:8082 ",
            &format!("server {} ", upstreams[1]),
        );
        let conf = replace_once(
            &conf,
            "listen 127.0.0.1:8080;",
            &format!("listen 127.0.0.1:{port};"),
        );
        let prefix = tempfile::tempdir().unwrap();
        // Worker processes run as another user when nginx starts as root.
        std::fs::set_permissions(prefix.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let conf_path = prefix.path().join("nginx.conf");
        std::fs::write(&conf_path, conf).unwrap();
        let prefix_arg = format!("{}/", prefix.path().display());
        let args = |cmd: &mut Command| {
            cmd.arg("-p")
                .arg(&prefix_arg)
                .arg("-c")
                .arg(&conf_path)
                .args(["-e", "stderr"])
                .stdin(Stdio::null());
        };
        let mut check = Command::new(binary);
        args(&mut check);
        let checked = check.arg("-t").output().expect("nginx -t runs");
        assert!(
            checked.status.success(),
            "nginx -t refuses deploy/nginx.conf:\n{}",
            String::from_utf8_lossy(&checked.stderr)
        );
        let mut cmd = Command::new(binary);
        args(&mut cmd);
        let child = cmd
            .args(["-g", "daemon off;"])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(prefix.path().join("stderr.log")).unwrap())
            .spawn()
            .expect("nginx starts");
        let mut nginx = Self {
            child,
            prefix,
            base: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(15);
        let agent = client();
        loop {
            if let Some(status) = nginx.child.try_wait().unwrap() {
                panic!("nginx exited ({status}):\n{}", nginx.logs());
            }
            if agent
                .get(format!("{}/healthz", nginx.base))
                .call()
                .is_ok_and(|r| r.status() == 200)
            {
                return nginx;
            }
            assert!(
                Instant::now() < deadline,
                "nginx did not answer in time:\n{}",
                nginx.logs()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.prefix.path().join(name)).unwrap_or_default()
    }

    fn logs(&self) -> String {
        format!(
            "stderr:\n{}\nerror.log:\n{}",
            self.read("stderr.log"),
            self.read("error.log")
        )
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        if !matches!(self.child.try_wait(), Ok(None)) {
            return;
        }
        // SIGTERM lets the master stop its workers; SIGKILL would leave them serving.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if !matches!(self.child.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Event streams through nginx: a write through either replica reaches a stream, served by
/// one of them, within a second, with nothing held back by the proxy; a key in a stream's URL
/// is not in nginx's log.
fn events_through_nginx(nginx: &Nginx, a: &Server, b: &Server, key: &str) {
    use crate::support::sse::Stream;
    let streams: Vec<Stream> = (0..2)
        .map(|_| {
            Stream::open(
                &format!(
                    "{}/api/v1/stream?key=gazette_not_a_key_in_the_log",
                    nginx.base
                ),
                &[],
            )
        })
        .collect();
    assert!(
        streams.iter().all(|s| s.status == 401),
        "the key in the URL is checked"
    );
    let streams: Vec<Stream> = (0..2)
        .map(|_| Stream::open(&format!("{}/api/v1/stream", nginx.base), &[]))
        .collect();
    for stream in &streams {
        assert_eq!(stream.status, 200, "{}", stream.body);
        assert_eq!(
            stream
                .next(Duration::from_secs(5))
                .map(|e| e.name)
                .as_deref(),
            Some("ready")
        );
    }
    // A sync token from one replica reads on at the other.
    let mut path = "/api/v1/changes?type=article".to_owned();
    let token = loop {
        let page = get(&base(a), &path, &[]).json();
        let next = page["meta"]["next_token"].as_str().unwrap().to_owned();
        if page["meta"]["has_more"] == false {
            break next;
        }
        path = format!("/api/v1/changes?type=article&since={next}");
    };
    for (i, writer) in [a, b, a, b].into_iter().enumerate() {
        let title = format!("Live Through Nginx {i}");
        let written = Instant::now();
        let reply = admin(
            &base(writer),
            key,
            "POST",
            "/api/v1/articles",
            Some(&json!({"title": title, "status": "published"})),
        );
        assert_eq!(reply.status, 201, "{}", reply.text());
        for stream in &streams {
            let event = stream
                .next(Duration::from_secs(5))
                .expect("the write's event");
            let took = written.elapsed();
            assert_eq!(event.name, "article.published");
            assert_eq!(event.json()["slug"], format!("live-through-nginx-{i}"));
            assert!(
                took < Duration::from_secs(1),
                "the event took {took:?} through nginx"
            );
        }
    }
    let delta = get(&base(b), &format!("/api/v1/changes?since={token}"), &[]).json();
    let slugs: Vec<&str> = delta["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["slug"].as_str().unwrap())
        .collect();
    assert_eq!(
        slugs,
        (0..4)
            .map(|i| format!("live-through-nginx-{i}"))
            .collect::<Vec<_>>(),
        "{delta}"
    );
    let access = nginx.read("access.log");
    assert!(access.contains("/api/v1/stream?key="), "{access}");
    assert!(
        !access.contains("gazette_not_a_key_in_the_log"),
        "a key reached nginx's log:\n{access}"
    );
}

/// The nginx checks; stops replica B on the way (to see nginx pass over it).
fn through_nginx(binary: &Path, a: &Server, b: &mut Server, key: &str) {
    let mut nginx = Nginx::start(binary, [a.addr(), b.addr()]);
    let proxy = nginx.base.clone();
    let list = "/api/v1/articles";

    events_through_nginx(&nginx, a, b, key);

    // Reads go to both replicas; each answer carries the request id nginx made and logged.
    let before = [a, &*b].map(|s| requests_served(s, "GET", list, 200));
    const READS: u64 = 10;
    let mut ids = Vec::new();
    for _ in 0..READS {
        let reply = get(&proxy, list, &[]);
        assert_eq!(reply.status, 200, "{}", reply.text());
        ids.push(
            reply
                .header("x-request-id")
                .expect("X-Request-Id")
                .to_owned(),
        );
    }
    let after = [a, &*b].map(|s| requests_served(s, "GET", list, 200));
    let served = [after[0] - before[0], after[1] - before[1]];
    eprintln!("replicas: nginx sent {READS} reads as {served:?} to A and B");
    assert!(
        served[0] > 0 && served[1] > 0,
        "both replicas served: {served:?}"
    );
    assert_eq!(served[0] + served[1], READS);
    let access = nginx.read("access.log");
    for id in &ids {
        assert!(
            access.contains(&format!("request_id={id} ")),
            "the id Gazette answered with ({id}) is the one nginx logged:\n{access}"
        );
    }
    let mine = get(&proxy, list, &[("X-Request-Id", "newsroom-check-42")]);
    assert_eq!(mine.header("x-request-id"), Some("newsroom-check-42"));
    let direct = get(&base(a), list, &[("Accept-Encoding", "gzip")]);
    let proxied = get(&proxy, list, &[("Accept-Encoding", "gzip")]);
    assert_eq!(proxied.header("content-encoding"), Some("gzip"));
    assert_eq!(
        proxied.etag(),
        direct.etag(),
        "nginx passes ETags unchanged"
    );

    // Writes with the admin key.
    let created = admin(
        &proxy,
        key,
        "POST",
        "/api/v1/articles",
        Some(&json!({"title": "Filed Through The Proxy", "status": "published"})),
    );
    assert_eq!(created.status, 201, "{}", created.text());

    // /metrics is for the scraper only.
    for path in ["/metrics", "/metrics?x=1", "//metrics", "/%6Detrics"] {
        let reply = get(&proxy, path, &[]);
        assert_eq!(reply.status, 403, "{path} through nginx: {}", reply.text());
        assert!(
            !reply.text().contains("gazette_http"),
            "{path} leaks metrics"
        );
    }

    // Body limits: 1 MiB as Gazette, 256 MiB for imports.
    const MIB: usize = 1024 * 1024;
    let auth = format!("Bearer {key}");
    let headers = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/json"),
    ];
    let prefix = r#"{"title":"Exactly One Mebibyte","body":""#;
    let mut fits = prefix.to_owned();
    fits.push_str(&"x".repeat(MIB - prefix.len() - 2));
    fits.push_str("\"}");
    assert_eq!(fits.len(), MIB);
    let reply = send(
        "POST",
        &format!("{proxy}{list}"),
        &headers,
        Some(fits.into_bytes()),
    );
    assert_eq!(reply.status, 201, "a 1 MiB body passes: {}", reply.text());
    let over = vec![b' '; MIB + 1];
    let reply = send("POST", &format!("{proxy}{list}"), &headers, Some(over));
    assert_eq!(reply.status, 413, "1 MiB + 1 byte: {}", reply.text());
    assert_eq!(
        reply.header("x-request-id"),
        None,
        "nginx refuses it before any replica sees it: {reply:?}"
    );
    let mut import = "\n".repeat(2 * MIB);
    import.push_str(r#"{"type":"article","slug":"imported-through-the-proxy","title":"Imported"}"#);
    import.push('\n');
    let reply = send(
        "POST",
        &format!("{proxy}/api/v1/import"),
        &[
            ("Authorization", auth.as_str()),
            ("Content-Type", "application/x-ndjson"),
        ],
        Some(import.into_bytes()),
    );
    assert_eq!(reply.status, 200, "a 2 MiB import passes: {}", reply.text());
    assert_eq!(reply.json()["articles_created"], 1);

    // The client cannot choose the address rate limits count: nginx overwrites
    // X-Forwarded-For and drops Forwarded, so wrong keys from "many addresses" are all
    // counted for this one (RATE_LIMIT_AUTH_FAILURES=2 per replica). Wrong keys from
    // 127.0.0.1 are then refused for a minute (valid keys would still be accepted).
    let mut limited = None;
    for attempt in 1..=12u8 {
        let spoofed = format!("203.0.113.{attempt}");
        let reply = get(
            &proxy,
            list,
            &[
                ("Authorization", "Bearer gazette_not_a_key"),
                ("X-Forwarded-For", &spoofed),
                ("Forwarded", &format!("for={spoofed}")),
            ],
        );
        if reply.status == 429 {
            limited = Some(attempt);
            break;
        }
        assert_eq!(reply.status, 401, "{}", reply.text());
    }
    let limited = limited.expect(
        "wrong keys sent with spoofed X-Forwarded-For/Forwarded were counted per spoofed \
         address: the proxy passed the client's address headers on",
    );
    eprintln!("replicas: through nginx, the failed-key limit answered 429 at attempt {limited}");

    // A stopped replica: nginx sends reads to the other one.
    let status = b.terminate();
    assert!(status.success(), "B after SIGTERM: {status}");
    for i in 0..6 {
        let reply = get(&proxy, list, &[]);
        assert_eq!(
            reply.status,
            200,
            "read {i} with B stopped: {}",
            reply.text()
        );
    }
    if let Some(status) = nginx.child.try_wait().unwrap() {
        panic!("nginx exited ({status}):\n{}", nginx.logs());
    }
}
