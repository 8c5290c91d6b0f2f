//! The real `gazette` binary killed with SIGKILL in the middle of concurrent writes, then
//! restarted on the same SQLite file, three times over.
//!
//! Properties: the restarted server answers at once (no long recovery); every write that was
//! acknowledged is there with the content sent, and a write whose answer never came is there
//! whole or not at all (never half: an article is always exactly one version that was sent);
//! the file passes `PRAGMA integrity_check`; and the search index the restarted server fills
//! agrees with the articles: a search for a word found in only one body finds exactly that
//! article, while a word only in a body that was replaced (or never stored) finds nothing.

use crate::support::backend;
use crate::support::binary;
use crate::support::load;

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::sql_types::{BigInt, Text};
use diesel::{Connection, QueryableByName, RunQueryDsl, SqliteConnection};
use serde_json::json;

use binary::{Server, admin_key, client};
use load::{Link, Rng, Version, request, token};

const ROUNDS: usize = 3;
const WRITERS: usize = 4;
/// Writes acknowledged before the kill, so that the kill lands mid-load on a non-trivial file.
const MIN_ACKED_BEFORE_KILL: usize = 40;
/// Load runs at least this long before the kill.
const MIN_LOAD: Duration = Duration::from_secs(1);
/// A restart slower than this (spawn to first 200) is a recovery problem, not start-up.
const MAX_RESTART: Duration = Duration::from_secs(5);
const MAX_WRITES_PER_WRITER: usize = 500;
const TAGS: [&str; 4] = ["Harbour", "Council", "Weather", "Transport"];

/// Numbers the body tokens, so that no two bodies ever written are alike.
static BODIES: AtomicU64 = AtomicU64::new(0);

/// One article as the writers know it: the version last acknowledged (none for a creation
/// whose answer never came) and the version whose answer never came, if any.
#[derive(Debug, Clone)]
struct Known {
    acked: Option<Version>,
    unanswered: Option<Version>,
}

fn body(slug: &str) -> String {
    let n = BODIES.fetch_add(1, Ordering::Relaxed);
    format!(
        "Reporting for {slug}: {} on the quay.\n\nA second paragraph, *emphasised*.",
        token(n)
    )
}

/// The one word of `body` nothing else was ever written with.
fn token_of(body: &str) -> &str {
    body.split_whitespace()
        .find(|w| w.starts_with("zq"))
        .expect("every body has a token")
}

fn pick_tags(rng: &mut Rng) -> Vec<String> {
    let first = rng.below(TAGS.len());
    let mut tags = vec![TAGS[first].to_owned()];
    if rng.below(2) == 0 {
        tags.push(TAGS[(first + 1) % TAGS.len()].to_owned());
    }
    tags
}

/// Writes to the server at `base` until `killing` is set. Each writer owns its articles
/// (`known`), so it alone decides their versions. Returns what went wrong before the kill.
fn writer(
    w: usize,
    round: usize,
    base: &str,
    key: &str,
    known: &mut HashMap<String, Known>,
    killing: &AtomicBool,
    acked: &AtomicUsize,
) -> Vec<String> {
    let agent = client();
    let mut rng = Rng::new((round * 100 + w) as u64 + 1);
    let mut failures = Vec::new();
    let mut slugs: Vec<String> = known.keys().cloned().collect();
    slugs.sort();
    for n in 0..MAX_WRITES_PER_WRITER {
        if killing.load(Ordering::SeqCst) {
            break;
        }
        let op = if slugs.len() < 2 { 0 } else { rng.below(6) };
        let (slug, version, t) = match op {
            0 | 1 => {
                let slug = format!("r{round}-w{w}-a{n}");
                let version = Version {
                    title: format!("Round {round} writer {w} article {n}"),
                    body: body(&slug),
                    tags: pick_tags(&mut rng),
                    related: Vec::new(),
                };
                let t = request(
                    &agent,
                    "POST",
                    &format!("{base}/api/v1/articles"),
                    Some(key),
                    Some(&version.create_json(&slug)),
                );
                known.insert(
                    slug.clone(),
                    Known {
                        acked: None,
                        unanswered: None,
                    },
                );
                slugs.push(slug.clone());
                (slug, version, t)
            }
            2..=4 => {
                let slug = slugs[rng.below(slugs.len())].clone();
                let Some(mut version) = known[&slug].acked.clone() else {
                    continue;
                };
                version.title = format!("Round {round} writer {w} edit {n} of {slug}");
                version.body = body(&slug);
                let mut patch = json!({"title": version.title, "body": version.body});
                if rng.below(2) == 0 {
                    version.tags = pick_tags(&mut rng);
                    patch["tags"] = json!(version.tags);
                }
                let t = request(
                    &agent,
                    "PATCH",
                    &format!("{base}/api/v1/articles/{slug}"),
                    Some(key),
                    Some(&patch),
                );
                (slug, version, t)
            }
            _ => {
                let slug = slugs[rng.below(slugs.len())].clone();
                let other = &slugs[rng.below(slugs.len())];
                let Some(mut version) = known[&slug].acked.clone() else {
                    continue;
                };
                version.related = vec![Link::External {
                    url: format!("https://example.org/{round}/{w}/{n}"),
                    summary: format!("Background {n}."),
                }];
                if other != &slug && known[other].acked.is_some() {
                    version.related.insert(0, Link::Internal(other.clone()));
                }
                let t = request(
                    &agent,
                    "PUT",
                    &format!("{base}/api/v1/articles/{slug}/related"),
                    Some(key),
                    Some(&version.related_json()),
                );
                (slug, version, t)
            }
        };
        let entry = known.get_mut(&slug).unwrap();
        if t.is_success() {
            entry.acked = Some(version);
            acked.fetch_add(1, Ordering::SeqCst);
        } else if t.status().is_none() && killing.load(Ordering::SeqCst) {
            // The kill (sent after `killing` was set) cut this request off: it may or may
            // not have committed.
            entry.unanswered = Some(version);
            break;
        } else {
            failures.push(t.describe(&format!("write to {slug}")));
        }
    }
    failures
}

#[derive(QueryableByName)]
struct Check {
    #[diesel(sql_type = Text)]
    integrity_check: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn count(conn: &mut SqliteConnection, sql: &str) -> i64 {
    diesel::sql_query(sql)
        .get_result::<Count>(conn)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .n
}

/// Checks the file itself, beside the running server (WAL lets it read meanwhile).
fn check_file(db: &Path, articles: usize) {
    let mut conn = SqliteConnection::establish(db.to_str().unwrap()).unwrap();
    conn.batch_execute("PRAGMA busy_timeout = 5000;").unwrap();
    let rows = diesel::sql_query("PRAGMA integrity_check")
        .load::<Check>(&mut conn)
        .unwrap();
    let rows: Vec<_> = rows.into_iter().map(|r| r.integrity_check).collect();
    assert_eq!(rows, ["ok"], "PRAGMA integrity_check");
    assert_eq!(
        count(&mut conn, "SELECT count(*) AS n FROM articles"),
        articles as i64
    );
}

/// The slugs a search for `word` finds.
fn search(agent: &ureq::Agent, base: &str, word: &str) -> Vec<String> {
    let url = format!("{base}/api/v1/articles?q={word}&fields=slug&limit=100");
    let t = request(agent, "GET", &url, None, None);
    assert_eq!(t.status(), Some(200), "{}", t.describe(&url));
    t.json()["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["slug"].as_str().unwrap().to_owned())
        .collect()
}

/// What the restarted server held.
#[derive(Debug, Default)]
struct Found {
    articles: usize,
    /// Writes cut off by the kill that were stored, and that were not.
    cut_off_stored: usize,
    cut_off_lost: usize,
}

/// Compares the restarted server with what the writers know, then makes what it holds the
/// writers' knowledge (each unanswered write resolved one way or the other).
fn verify(server: &Server, writers: &mut [HashMap<String, Known>]) -> Found {
    let agent = client();
    let base = server.url("");
    let mut found = Found::default();
    for known in writers.iter_mut() {
        let mut gone = Vec::new();
        for (slug, k) in known.iter_mut() {
            let url = format!("{base}/api/v1/articles/{slug}");
            let t = request(&agent, "GET", &url, None, None);
            let stored = match t.status() {
                Some(200) => Some(Version::read(&t.json())),
                Some(404) => None,
                _ => panic!("{}", t.describe(&url)),
            };
            if stored != k.acked && (stored.is_none() || stored != k.unanswered) {
                panic!(
                    "article {slug} after the crash is neither the last acknowledged \
                     version nor the unanswered one.\nstored: {stored:#?}\nacknowledged: \
                     {:#?}\nunanswered: {:#?}",
                    k.acked, k.unanswered
                );
            }
            if k.unanswered.is_some() {
                if stored.is_some() && stored == k.unanswered {
                    found.cut_off_stored += 1;
                } else {
                    found.cut_off_lost += 1;
                }
            }
            // A body that is not (or no longer) stored must not be found by search.
            let lost = [&k.acked, &k.unanswered]
                .into_iter()
                .flatten()
                .filter(|v| stored.as_ref().is_none_or(|s| s.body != v.body));
            for version in lost {
                let word = token_of(&version.body);
                let found = search(&agent, &base, word);
                assert!(
                    found.is_empty(),
                    "{word} not in any body, yet found in {found:?}"
                );
            }
            match stored {
                Some(version) => {
                    let word = token_of(&version.body);
                    assert_eq!(
                        search(&agent, &base, word),
                        [slug.as_str()],
                        "search {word}"
                    );
                    k.acked = Some(version);
                    k.unanswered = None;
                    found.articles += 1;
                }
                None => gone.push(slug.clone()),
            }
        }
        for slug in gone {
            known.remove(&slug);
        }
    }
    let t = request(
        &agent,
        "GET",
        &format!("{base}/api/v1/articles?limit=1"),
        None,
        None,
    );
    assert_eq!(
        t.json()["meta"]["total"],
        found.articles,
        "the list's total"
    );
    found
}

#[test]
fn a_killed_server_restarts_at_once_with_every_acknowledged_write_intact() {
    let began = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    if backend::on_postgres() {
        eprintln!(
            "skipped on PostgreSQL: this test is about the SQLite file (the SQLite pass runs it)"
        );
        return;
    }
    let db = dir.path().join("crash.db");
    let key = admin_key(dir.path(), &db, "crash");
    let mut server = Server::start(dir.path(), &db, &[]);
    let mut writers: Vec<HashMap<String, Known>> = vec![HashMap::new(); WRITERS];

    for round in 0..ROUNDS {
        let base = server.url("");
        let killing = AtomicBool::new(false);
        let acked = AtomicUsize::new(0);
        let load_start = Instant::now();
        let failures: Vec<String> = std::thread::scope(|s| {
            let handles: Vec<_> = writers
                .iter_mut()
                .enumerate()
                .map(|(w, known)| {
                    let (base, key, killing, acked) = (&base, &key, &killing, &acked);
                    s.spawn(move || writer(w, round, base, key, known, killing, acked))
                })
                .collect();
            let deadline = load_start + Duration::from_secs(20);
            while load_start.elapsed() < MIN_LOAD
                || acked.load(Ordering::SeqCst) < MIN_ACKED_BEFORE_KILL
            {
                assert!(
                    Instant::now() < deadline,
                    "only {} writes acknowledged in 20 s:\n{}",
                    acked.load(Ordering::SeqCst),
                    server.log()
                );
                std::thread::sleep(Duration::from_millis(10));
            }
            // Set before the signal, so that a writer seeing a dead connection can tell the
            // kill from a failure.
            killing.store(true, Ordering::SeqCst);
            let status = server.kill();
            eprintln!(
                "round {round}: killed ({status}) after {:.2?} and {} acknowledged writes",
                load_start.elapsed(),
                acked.load(Ordering::SeqCst)
            );
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap())
                .collect()
        });
        assert!(
            failures.is_empty(),
            "writes failed before the kill:\n{failures:#?}\n{}",
            server.log()
        );
        server = server.restart();
        let first = Instant::now();
        let t = request(
            &client(),
            "GET",
            &server.url("/api/v1/articles?limit=20"),
            None,
            None,
        );
        let first_read = first.elapsed();
        assert_eq!(t.status(), Some(200), "{}", t.describe("first read"));
        eprintln!(
            "round {round}: restarted in {:.2?} (spawn to healthy), first list in \
             {first_read:.2?}",
            server.started_in
        );
        assert!(
            server.started_in < MAX_RESTART && first_read < MAX_RESTART,
            "slow restart after a crash: healthy after {:.2?}, first list after \
             {first_read:.2?}\n{}",
            server.started_in,
            server.log()
        );

        let found = verify(&server, &mut writers);
        check_file(&db, found.articles);
        eprintln!(
            "round {round}: {} articles verified; of the writes cut off, {} were stored and \
             {} not",
            found.articles, found.cut_off_stored, found.cut_off_lost
        );
    }
    let status = server.terminate();
    assert!(status.success(), "exit after SIGTERM: {status}");
    eprintln!("whole test: {:.2?}", began.elapsed());
}
