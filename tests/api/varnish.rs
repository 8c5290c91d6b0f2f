//! A real CDN in front: Varnish with `deploy/varnish.vcl` (vmod xkey) before `gazette serve`,
//! which tags answers (`CACHE_TAG_HEADERS=xkey`), lets the edge keep them a day
//! (`CDN_CACHE_CONTROL`) and purges them by key (`CACHE_PURGE_URLS`). After warm-up a read mix
//! is answered by Varnish; each kind of change is visible through it within a second; what a
//! change did not touch stays a hit.
//!
//! Runs where `varnishd` is installed (`.ci/run` installs it and sets
//! `GAZETTE_REQUIRE_VARNISH=1`, which makes its absence a failure); elsewhere it says it skips.

use crate::support::binary::{Server, admin_key, client, free_port};

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// How soon a change must be visible through the CDN.
const VISIBLE_WITHIN: Duration = Duration::from_secs(1);

fn varnishd() -> Option<PathBuf> {
    crate::support::binary::installed("varnishd")
}

/// varnishd, daemonised; stopped by its pid when dropped.
struct Varnish {
    dir: PathBuf,
    port: u16,
}

impl Varnish {
    fn start(binary: &Path, dir: &Path, backend: &str, port: u16) -> Self {
        use std::os::unix::fs::PermissionsExt;
        let vcl = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/varnish.vcl"),
        )
        .expect("deploy/varnish.vcl");
        let backend_port = backend.rsplit(':').next().unwrap();
        assert_eq!(vcl.matches(".port = \"8080\";").count(), 1);
        let vcl = vcl.replace(".port = \"8080\";", &format!(".port = \"{backend_port}\";"));
        // varnishd reads the VCL as its own user: the file and its folder must be readable.
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let file = dir.join("gazette.vcl");
        std::fs::write(&file, vcl).unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let status = Command::new(binary)
            .arg("-n")
            .arg(dir.join("n"))
            .args(["-a", &format!("127.0.0.1:{port}")])
            .args(["-T", &format!("127.0.0.1:{}", free_port())])
            .arg("-f")
            .arg(&file)
            .args(["-s", "malloc,64m", "-p", "default_grace=0"])
            .arg("-P")
            .arg(dir.join("varnish.pid"))
            .status()
            .expect("varnishd runs");
        assert!(status.success(), "varnishd failed to start: {status}");
        Self {
            dir: dir.to_owned(),
            port,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

impl Drop for Varnish {
    fn drop(&mut self) {
        if let Ok(pid) = std::fs::read_to_string(self.dir.join("varnish.pid")) {
            let _ = Command::new("kill").arg(pid.trim()).status();
        }
    }
}

struct Reply {
    status: u16,
    cache: String,
    body: String,
}

fn read(url: &str) -> Reply {
    let mut res = client().get(url).call().expect("a reply");
    let status = res.status().as_u16();
    let cache = res
        .headers()
        .get("x-cache")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = res.body_mut().read_to_string().unwrap_or_default();
    Reply {
        status,
        cache,
        body,
    }
}

fn write(base: &str, key: &str, method: &str, path: &str, body: &Value) -> u16 {
    let request = ureq::http::Request::builder()
        .method(method)
        .uri(format!("{base}{path}"))
        .header("Authorization", format!("Bearer {key}"))
        .header("Content-Type", "application/json")
        .body(body.to_string())
        .unwrap();
    client().run(request).expect("a reply").status().as_u16()
}

/// Reads `url` through the CDN until `seen` holds; how long that took. Panics after a
/// second.
#[track_caller]
fn visible(url: &str, what: &str, seen: impl Fn(&Reply) -> bool) -> Duration {
    let start = Instant::now();
    loop {
        if seen(&read(url)) {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < VISIBLE_WITHIN,
            "{what}: not visible through Varnish within {VISIBLE_WITHIN:?}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn varnish_in_front_keeps_reads_and_drops_exactly_what_changed() {
    let Some(varnishd) = varnishd() else {
        assert!(
            std::env::var_os("GAZETTE_REQUIRE_VARNISH").is_none(),
            "GAZETTE_REQUIRE_VARNISH is set but varnishd is not installed"
        );
        eprintln!("varnish: skipped, varnishd is not installed");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("gazette.db");
    let key = admin_key(dir.path(), &db, "newsroom");
    let varnish_port = free_port();
    let purge = format!("http://127.0.0.1:{varnish_port}/");
    let server = Server::start(
        dir.path(),
        &db,
        &[
            ("CACHE_TAG_HEADERS", "xkey"),
            ("CDN_CACHE_CONTROL", "max-age=86400"),
            ("CACHE_PURGE_URLS", purge.as_str()),
        ],
    );
    let origin = server.url("");
    let varnish = Varnish::start(&varnishd, dir.path(), server.addr(), varnish_port);

    // A small newsroom: 24 articles in three sections, and one scheduled.
    let sections = ["harbour", "city-hall", "weather"];
    for i in 0..24 {
        let body = json!({"title": format!("Story {i}"), "status": "published",
                          "tags": [sections[i % 3]], "body": "Port Calder news."});
        assert_eq!(write(&origin, &key, "POST", "/api/v1/articles", &body), 201);
    }
    let due = chrono::Utc::now() + chrono::Duration::seconds(4);
    let scheduled = json!({"title": "Polls Close", "status": "published", "tags": ["city-hall"],
                           "published_at": due.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)});
    assert_eq!(
        write(&origin, &key, "POST", "/api/v1/articles", &scheduled),
        201
    );

    let mut mix: Vec<String> = vec!["/api/v1/articles".to_owned(), "/api/v1/tags".to_owned()];
    mix.extend(sections.iter().map(|s| format!("/api/v1/articles?tag={s}")));
    mix.extend((0..24).map(|i| format!("/api/v1/articles/story-{i}")));
    for path in &mix {
        assert_eq!(read(&varnish.url(path)).status, 200, "{path}");
    }
    assert_eq!(
        read(&varnish.url("/api/v1/articles/polls-close")).status,
        404
    );

    // After warm-up, the mix comes from Varnish.
    let (mut hits, mut reads) = (0, 0);
    for _ in 0..5 {
        for path in &mix {
            let reply = read(&varnish.url(path));
            assert_eq!(reply.status, 200, "{path}");
            reads += 1;
            hits += usize::from(reply.cache == "HIT");
        }
    }
    let ratio = hits as f64 / reads as f64;
    eprintln!("varnish: hit ratio {ratio:.3} over {reads} reads after warm-up");
    assert!(ratio >= 0.95, "hit ratio {ratio}");

    // An edit: visible within a second, at its address and in its section's list; an article
    // the write did not touch stays a hit.
    let edited = "Story 3: Ferry Back";
    let status = write(
        &origin,
        &key,
        "PATCH",
        "/api/v1/articles/story-3",
        &json!({"title": edited}),
    );
    assert_eq!(status, 200);
    let took = visible(&varnish.url("/api/v1/articles/story-3"), "an edit", |r| {
        r.body.contains(edited)
    });
    visible(
        &varnish.url("/api/v1/articles?tag=harbour"),
        "an edit in its section",
        |r| r.body.contains(edited),
    );
    eprintln!("varnish: an edit was visible after {took:?}");
    assert_eq!(
        read(&varnish.url("/api/v1/articles/story-4")).cache,
        "HIT",
        "untouched by the write"
    );

    // An unpublish and a delete: gone within a second, from the lists too.
    let status = write(
        &origin,
        &key,
        "PATCH",
        "/api/v1/articles/story-5",
        &json!({"status": "draft"}),
    );
    assert_eq!(status, 200);
    visible(
        &varnish.url("/api/v1/articles/story-5"),
        "an unpublish",
        |r| r.status == 404,
    );
    visible(
        &varnish.url("/api/v1/articles?tag=weather"),
        "an unpublish in its section",
        |r| !r.body.contains("\"story-5\""),
    );
    assert_eq!(
        write(
            &origin,
            &key,
            "DELETE",
            "/api/v1/articles/story-6",
            &json!({})
        ),
        204
    );
    visible(&varnish.url("/api/v1/articles/story-6"), "a delete", |r| {
        r.status == 404
    });

    // A tag rename: its list shows the new name within a second.
    let status = write(
        &origin,
        &key,
        "PATCH",
        "/api/v1/tags/harbour",
        &json!({"name": "Waterfront"}),
    );
    assert_eq!(status, 200);
    visible(
        &varnish.url("/api/v1/articles?tag=harbour"),
        "a tag rename",
        |r| r.body.contains("Waterfront"),
    );
    visible(
        &varnish.url("/api/v1/tags"),
        "a tag rename in the tag list",
        |r| r.body.contains("Waterfront"),
    );

    // The scheduled article comes due with no request: visible within a second of its time.
    let wait = (due - chrono::Utc::now()).to_std().unwrap_or_default();
    std::thread::sleep(wait);
    visible(
        &varnish.url("/api/v1/articles/polls-close"),
        "a scheduled article",
        |r| r.status == 200,
    );
    visible(
        &varnish.url("/api/v1/articles?tag=city-hall"),
        "a scheduled article in its section",
        |r| r.body.contains("\"polls-close\""),
    );
    drop(varnish);
    drop(server);
}
