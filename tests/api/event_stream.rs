//! `GET /api/v1/stream`: Server-Sent Events from a real `gazette serve` — an event per public
//! change and none for unpublished work, resuming by `Last-Event-ID` without loss or
//! repetition, filters, heartbeats, a cap on open streams, 410 for a forgotten id, content
//! keys as `?key=` (never an admin key, never in the log). Replicas: `replicas.rs`.

use crate::support::backend;
use crate::support::binary::{self, Server};
use crate::support::sse::{Event, Stream};

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Value, json};

/// How long an event may take to arrive in these tests (the target is far less).
const ARRIVES: Duration = Duration::from_secs(5);
/// How long to wait to be sure no event comes.
const QUIET: Duration = Duration::from_millis(700);

struct Setup {
    server: Server,
    key: String,
    db: String,
    _dir: tempfile::TempDir,
}

impl Drop for Setup {
    fn drop(&mut self) {
        self.server.kill();
        backend::drop_database(&self.db);
    }
}

fn setup(env: &[(&str, &str)]) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let db = backend::fresh_database(dir.path(), "stream");
    let path = PathBuf::from(&db);
    let server = Server::start(dir.path(), &path, env);
    let key = binary::admin_key(dir.path(), &path, "stream");
    Setup {
        server,
        key,
        db,
        _dir: dir,
    }
}

impl Setup {
    fn write(&self, method: &str, path: &str, body: Value) -> Value {
        let agent = binary::client();
        let url = self.server.url(path);
        let auth = format!("Bearer {}", self.key);
        let response = match method {
            "POST" => agent
                .post(&url)
                .header("Authorization", &auth)
                .header("Content-Type", "application/json")
                .send(body.to_string()),
            "PATCH" => agent
                .patch(&url)
                .header("Authorization", &auth)
                .header("Content-Type", "application/json")
                .send(body.to_string()),
            _ => agent.delete(&url).header("Authorization", &auth).call(),
        }
        .unwrap();
        let status = response.status().as_u16();
        let text = response.into_body().read_to_string().unwrap_or_default();
        assert!(
            (200..300).contains(&status),
            "{method} {path}: {status} {text}"
        );
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    fn publish(&self, title: &str, tags: &[&str]) -> Value {
        self.write(
            "POST",
            "/api/v1/articles",
            json!({"title": title, "status": "published", "tags": tags}),
        )
    }

    fn open(&self, query: &str, headers: &[(&str, &str)]) -> Stream {
        Stream::open(&self.server.url(&format!("/api/v1/stream{query}")), headers)
    }

    /// A stream that has said it is ready; returns it with the ready event's id.
    fn ready(&self, query: &str, headers: &[(&str, &str)]) -> (Stream, String) {
        let stream = self.open(query, headers);
        assert_eq!(stream.status, 200, "{}", stream.body);
        let ready = stream.next(ARRIVES).expect("a ready event");
        assert_eq!(ready.name, "ready");
        let id = ready.id.clone().unwrap();
        assert_eq!(ready.json()["token"], id.as_str());
        (stream, id)
    }
}

fn names_and_slugs(events: &[Event]) -> Vec<(String, String)> {
    events
        .iter()
        .map(|e| {
            (
                e.name.clone(),
                e.json()["slug"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

#[test]
fn a_public_change_is_an_event_and_unpublished_work_is_none() {
    let s = setup(&[]);
    let (stream, _) = s.ready("", &[]);
    assert_eq!(stream.header("content-type"), Some("text/event-stream"));
    assert_eq!(stream.header("x-accel-buffering"), Some("no"));
    assert_eq!(stream.header("cache-control"), Some("no-store"));

    s.write(
        "POST",
        "/api/v1/articles",
        json!({"title": "Secret Merger"}),
    );
    s.write(
        "PATCH",
        "/api/v1/articles/secret-merger",
        json!({"summary": "Soon."}),
    );
    let published = s.publish("Tram Vote", &["Transport"]);
    let event = stream.next(ARRIVES).expect("the publication's event");
    assert_eq!(event.name, "article.published");
    let data = event.json();
    assert_eq!(
        (data["type"].as_str(), data["change"].as_str()),
        (Some("article"), Some("upsert"))
    );
    assert_eq!(
        (&data["id"], data["slug"].as_str()),
        (&published["id"], Some("tram-vote"))
    );
    assert!(event.id.is_some());

    s.write(
        "PATCH",
        "/api/v1/articles/tram-vote",
        json!({"status": "draft"}),
    );
    let event = stream.next(ARRIVES).expect("the unpublication's event");
    assert_eq!(event.name, "article.unpublished");
    assert_eq!(
        (
            event.json()["change"].as_str(),
            event.json()["reason"].as_str()
        ),
        (Some("delete"), Some("unpublished"))
    );
    assert_eq!(
        stream.next(QUIET),
        None,
        "nothing about the draft: {:?}",
        stream.next(QUIET)
    );

    // An event id is a sync token: the feed goes on from it.
    let agent = binary::client();
    let feed = agent
        .get(
            s.server
                .url(&format!("/api/v1/changes?since={}", event.id.unwrap())),
        )
        .call()
        .unwrap()
        .into_body()
        .read_to_string()
        .unwrap();
    let feed: Value = serde_json::from_str(&feed).unwrap();
    assert_eq!(feed["data"], json!([]));

    // An admin's stream has drafts too.
    let auth = format!("Bearer {}", s.key);
    let (admin, _) = s.ready("", &[("Authorization", &auth)]);
    s.write(
        "PATCH",
        "/api/v1/articles/secret-merger",
        json!({"summary": "Later."}),
    );
    let event = admin
        .next(ARRIVES)
        .expect("the draft's event, for an admin");
    assert_eq!(
        (event.name.as_str(), event.json()["slug"].as_str()),
        ("article.updated", Some("secret-merger"))
    );
}

#[test]
fn last_event_id_resumes_without_loss_or_repetition() {
    let s = setup(&[]);
    let (stream, _) = s.ready("", &[]);
    s.publish("Tram Vote", &[]);
    let first = stream.next(ARRIVES).expect("first event");
    let resume_at = first.id.clone().unwrap();

    // Missed while away: two changes.
    s.publish("Ferry Strike", &[]);
    s.publish("Harbour Fair", &[]);
    let (resumed, ready_id) = s.ready("", &[("Last-Event-ID", &resume_at)]);
    assert_eq!(ready_id, resume_at, "it starts where the client was");
    let replayed = vec![
        resumed.next(ARRIVES).unwrap(),
        resumed.next(ARRIVES).unwrap(),
    ];
    assert_eq!(
        names_and_slugs(&replayed),
        [
            ("article.published".to_owned(), "ferry-strike".to_owned()),
            ("article.published".to_owned(), "harbour-fair".to_owned())
        ]
    );
    // Then live, with nothing sent twice.
    s.publish("Bridge Closure", &[]);
    let live = resumed.drain(QUIET.max(Duration::from_secs(1)));
    assert_eq!(
        names_and_slugs(&live),
        [("article.published".to_owned(), "bridge-closure".to_owned())]
    );
    // The query parameter does the same for clients that cannot send the header.
    let (by_query, _) = s.ready(&format!("?last_event_id={resume_at}"), &[]);
    assert_eq!(by_query.drain(QUIET).len(), 3);
}

#[test]
fn filters_heartbeats_and_the_cap_on_open_streams() {
    let s = setup(&[("MAX_STREAMS", "3"), ("STREAM_HEARTBEAT_SECONDS", "1")]);
    s.publish("Tram Vote", &["Transport"]);
    let (by_tag, _) = s.ready("?tag=transport", &[]);
    let (by_article, _) = s.ready("?article=tram-vote", &[]);
    s.publish("Harbour Fair", &["Harbour"]);
    s.write(
        "PATCH",
        "/api/v1/articles/tram-vote",
        json!({"summary": "Passed."}),
    );
    assert_eq!(
        names_and_slugs(&by_tag.drain(QUIET)),
        [("article.updated".to_owned(), "tram-vote".to_owned())]
    );
    assert_eq!(
        names_and_slugs(&by_article.drain(QUIET)),
        [("article.updated".to_owned(), "tram-vote".to_owned())]
    );
    // Leaving the tag is still an event of the tag's stream.
    s.write(
        "PATCH",
        "/api/v1/articles/tram-vote",
        json!({"tags": ["City Hall"]}),
    );
    assert_eq!(by_tag.drain(QUIET).len(), 1);

    // A heartbeat comment comes while nothing happens.
    let beat = by_tag
        .next_any(Duration::from_secs(3))
        .expect("a heartbeat");
    assert_eq!(
        (beat.name.as_str(), beat.data.as_str()),
        (":", "keep-alive")
    );

    let _third = s.ready("", &[]);
    let refused = s.open("", &[]);
    assert_eq!(refused.status, 503, "{}", refused.body);
    assert!(refused.header("retry-after").is_some());
    assert!(refused.body.contains("MAX_STREAMS"), "{}", refused.body);
}

#[test]
fn a_forgotten_id_is_410_and_a_far_behind_client_is_told_it_lagged() {
    let s = setup(&[]);
    let (stream, start) = s.ready("", &[]);
    // More changes than one resume replays, in one import.
    let mut lines = json!({"type": "gazette-export", "version": 1}).to_string() + "\n";
    for i in 0..1003 {
        let record = json!({
            "type": "article", "slug": format!("bulletin-{i}"), "title": format!("Bulletin {i}"),
            "summary": "A bulletin.", "body": "Text.", "status": "published",
            "published_at": "2026-10-02T08:00:00Z", "byline": null, "feature_image_url": null,
            "created_at": "2026-10-01T10:00:00Z", "updated_at": "2026-10-02T08:00:00Z",
            "tags": [], "related": [], "former_slugs": []
        });
        lines.push_str(&(record.to_string() + "\n"));
    }
    let agent = binary::client();
    // A thousand articles through a debug build may take longer than the client's usual
    // 10 s on a slow, shared machine; this test is about the stream, not the import's speed.
    let imported = agent
        .post(s.server.url("/api/v1/import"))
        .header("Authorization", &format!("Bearer {}", s.key))
        .header("Content-Type", "application/x-ndjson")
        .config()
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .send(lines)
        .unwrap();
    assert_eq!(
        imported.status().as_u16(),
        200,
        "{}",
        imported.into_body().read_to_string().unwrap()
    );
    let live: Vec<Event> = stream.drain(Duration::from_secs(2));
    assert!(
        live.len() >= 1003 || live.last().is_some_and(|e| e.name == "lagged"),
        "{}",
        live.len()
    );

    let (behind, _) = s.ready("", &[("Last-Event-ID", &start)]);
    let events = behind.drain(Duration::from_secs(2));
    assert_eq!(events.len(), 1001, "a thousand, then lagged");
    assert_eq!(events.last().unwrap().name, "lagged");
    let resume_at = events[999].id.clone().unwrap();
    let (again, _) = s.ready("", &[("Last-Event-ID", &resume_at)]);
    assert_eq!(again.drain(QUIET).len(), 3, "the rest");

    // Forgotten: the log kept only its newest change.
    let future = gazette::db::now() + chrono::Duration::days(1);
    let pool = gazette::db::open(&s.db, 1).unwrap();
    gazette::db::sync::prune(&mut pool.get().unwrap(), future).unwrap();
    let gone = s.open("", &[("Last-Event-ID", &start)]);
    assert_eq!(gone.status, 410, "{}", gone.body);
    assert!(gone.body.contains("sync from scratch"), "{}", gone.body);
    let bad = s.open("", &[("Last-Event-ID", "nonsense")]);
    assert_eq!(bad.status, 400, "{}", bad.body);
    for query in ["?tag=".to_owned(), format!("?article={}", "a".repeat(201))] {
        let refused = s.open(&query, &[]);
        assert_eq!(refused.status, 400, "{query}: {}", refused.body);
    }
}

#[test]
fn content_keys_may_come_in_the_url_admin_keys_may_not_and_neither_is_logged() {
    let s = setup(&[("REQUIRE_CONTENT_KEY", "true"), ("RUST_LOG", "info")]);
    let dir = tempfile::tempdir().unwrap();
    let content = binary::key(dir.path(), &PathBuf::from(&s.db), "browser", "content");

    assert_eq!(s.open("", &[]).status, 401, "a key is required");
    let (stream, _) = s.ready(&format!("?key={content}"), &[]);
    s.publish("Tram Vote", &[]);
    assert_eq!(
        stream.next(ARRIVES).expect("an event").name,
        "article.published"
    );

    let agent = binary::client();
    let read = agent
        .get(
            s.server
                .url(&format!("/api/v1/articles?limit=1&key={content}")),
        )
        .call()
        .unwrap();
    assert_eq!(read.status().as_u16(), 200);
    assert_eq!(
        read.headers().get("cache-control").unwrap(),
        "private, no-store"
    );
    let refused = s.open(&format!("?key={}", s.key), &[]);
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.body.contains("Authorization"), "{}", refused.body);
    let wrong = agent
        .get(s.server.url("/api/v1/articles?key=gazette_wrong"))
        .call()
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 401);

    let log = s.server.log();
    assert!(log.contains("GET /api/v1/articles?limit=1&key="), "{log}");
    assert!(
        !log.contains(&content) && !log.contains(&s.key),
        "a key reached the log:\n{log}"
    );
}

#[test]
fn a_stopping_server_ends_its_streams_at_once() {
    let mut s = setup(&[]);
    let (stream, _) = s.ready("", &[]);
    let (other, _) = s.ready("?tag=transport", &[]);
    let asked = std::time::Instant::now();
    let status = s.server.terminate();
    let took = asked.elapsed();
    assert!(
        status.success(),
        "after SIGTERM: {status}\n{}",
        s.server.log()
    );
    // Its shutdown time is 10 s: open streams must not hold it that long.
    assert!(
        took < Duration::from_secs(5),
        "the server took {took:?} to stop with streams open"
    );
    for open in [stream, other] {
        assert_eq!(open.next(Duration::from_secs(1)), None, "the stream ended");
    }
}

#[test]
fn a_live_blogs_blocks_come_as_events_naming_the_block() {
    let s = setup(&[]);
    let article = s.write(
        "POST",
        "/api/v1/articles",
        json!({"title": "Storm Live", "status": "published", "format": "live"}),
    );
    let (stream, _) = s.ready("?article=storm-live", &[]);
    let block = s.write(
        "POST",
        "/api/v1/articles/storm-live/blocks",
        json!({"body": "Gales."}),
    );
    // A scheduled block is nobody's business but the newsroom's until its time.
    s.write(
        "POST",
        "/api/v1/articles/storm-live/blocks",
        json!({"body": "Later.", "published_at": "2099-01-01T00:00:00Z"}),
    );
    let path = format!("/api/v1/articles/storm-live/blocks/{}", block["id"]);
    s.write("PATCH", &path, json!({"title": "Gales"}));
    s.write("DELETE", &path, Value::Null);
    let mut seen = Vec::new();
    for _ in 0..3 {
        let event = stream.next(ARRIVES).expect("a block's event");
        let data = event.json();
        assert_eq!(data["id"], article["id"]);
        assert_eq!(data["type"], "article");
        seen.push((event.name.clone(), data["block_id"].clone()));
    }
    assert_eq!(
        seen,
        ["block.created", "block.updated", "block.deleted"]
            .map(|k| (k.to_owned(), block["id"].clone()))
    );
    assert_eq!(stream.next(QUIET), None, "nothing of the scheduled block");
}

#[test]
fn authors_and_collections_come_as_events_live_and_on_resuming() {
    let s = setup(&[]);
    let (stream, _) = s.ready("", &[]);
    s.write("POST", "/api/v1/authors", json!({"name": "Mara Okafor"}));
    let first = stream.next(ARRIVES).expect("the author's event");
    assert_eq!(first.name, "author.created");
    assert_eq!(first.json()["type"], "author");
    assert_eq!(first.json()["slug"], "mara-okafor");
    let resume_at = first.id.clone().unwrap();

    // Missed while away: the author changed, a front made.
    s.write(
        "PATCH",
        "/api/v1/authors/mara-okafor",
        json!({"role": "City hall"}),
    );
    s.write("POST", "/api/v1/collections", json!({"name": "Front"}));
    let (resumed, _) = s.ready("", &[("Last-Event-ID", &resume_at)]);
    let replayed = vec![
        resumed.next(ARRIVES).unwrap(),
        resumed.next(ARRIVES).unwrap(),
    ];
    assert_eq!(
        names_and_slugs(&replayed),
        [
            ("author.updated".to_owned(), "mara-okafor".to_owned()),
            ("collection.created".to_owned(), "front".to_owned())
        ]
    );
    assert_eq!(replayed[1].json()["type"], "collection");
}
