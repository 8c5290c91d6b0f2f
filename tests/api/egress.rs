//! Webhook egress: subscriptions and deliveries never reach loopback, private, link-local,
//! shared or reserved addresses in any spelling unless their host is opted in with
//! `WEBHOOK_ALLOWED_HOSTS`; each host is resolved once per connection and every address is
//! checked; redirects are not followed; and the delivery log keeps a status code and a fixed
//! reason, never what the receiver said, nor anything that tells an open port from a closed
//! one. Everything runs on loopback, without a network.

use crate::support::common;
use crate::support::receiver;

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::http::Method;
use serde_json::{Value, json};

use common::*;
use gazette::config::Settings;
use gazette::db::{self, webhooks as store};
use gazette::egress::{self, GuardedResolver};
use gazette::webhooks::{Worker, WorkerConfig};
use receiver::Receiver;

/// The spellings of loopback and of other refused addresses and names that were accepted.
const REFUSED_HOSTS: [&str; 12] = [
    "169.254.169.254",
    "10.0.0.7",
    "192.168.1.1",
    "100.64.0.1",
    "metadata.google.internal",
    "0.0.0.0",
    "2130706433",
    "0x7f000001",
    "127.1",
    "localhost",
    "127.0.0.1",
    "0",
];

fn settings_allowing(hosts: &[&str]) -> Settings {
    Settings {
        webhook_allowed_hosts: hosts.iter().map(|h| h.to_string()).collect(),
        ..Settings::default()
    }
}

fn worker(ctx: &Ctx, allowed_hosts: &[&str], timeout: Duration) -> Worker {
    Worker::start(
        ctx.pool.clone(),
        WorkerConfig {
            retry_base: Duration::from_secs(60),
            poll_interval: Duration::from_millis(20),
            timeout,
            batch: 16,
            allowed_hosts: allowed_hosts.iter().map(|h| h.to_string()).collect(),
        },
    )
}

/// Subscriptions stored as they are, past the API's checks (as ones stored before them
/// were, or names that resolve elsewhere later), and one event queued for each; their ids.
fn stored_hooks(ctx: &Ctx, urls: &[String]) -> Vec<i64> {
    let conn = &mut *ctx.pool.get().unwrap();
    let ids = urls
        .iter()
        .map(|url| {
            let new = store::NewWebhook {
                url: url.clone(),
                events: vec!["*".to_owned()],
                secret: "a-test-secret-of-some-length".to_owned(),
                active: true,
            };
            store::create(conn, &new, db::now()).unwrap().id
        })
        .collect();
    db::write(conn, |conn| {
        db::events::record(conn, "tag.created", &json!({"slug": "t"}), db::now())
    })
    .unwrap();
    ids
}

/// The latest delivery of subscription `id` once it has been attempted.
async fn attempted(ctx: &Ctx, id: i64) -> store::DeliveryRow {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let pool = ctx.pool.clone();
        let page = db::run(&pool, move |conn| store::deliveries(conn, id, None, 1))
            .await
            .unwrap();
        if let Some(d) = page.items.into_iter().next().filter(|d| d.attempts > 0) {
            return d;
        }
        assert!(
            Instant::now() < deadline,
            "subscription {id} never attempted"
        );
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
}

#[actix_web::test]
async fn refused_hosts_are_422_when_subscribing_or_changing_the_url() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let public = json!({"url": "https://hooks.example.org/in", "events": ["*"]});
    send(
        &app,
        ctx.admin(json(Method::POST, "/api/v1/webhooks", &public)),
    )
    .await
    .ok(201);
    for host in REFUSED_HOSTS {
        let url = format!("http://{host}:8080/hook");
        let body = json!({"url": url, "events": ["*"]});
        let created = send(
            &app,
            ctx.admin(json(Method::POST, "/api/v1/webhooks", &body)),
        )
        .await;
        let problem = created.problem(422);
        assert_eq!(problem["errors"][0]["field"], "url", "{url}: {problem}");
        let message = problem["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains("WEBHOOK_ALLOWED_HOSTS"), "{message}");
        let patch = json!({"url": url});
        send(
            &app,
            ctx.admin(json(Method::PATCH, "/api/v1/webhooks/1", &patch)),
        )
        .await
        .problem(422);
    }
    let list = send(&app, ctx.admin(get("/api/v1/webhooks"))).await.ok(200);
    assert_eq!(list["meta"]["total"], 1, "nothing was stored: {list}");
    assert_eq!(list["data"][0]["url"], "https://hooks.example.org/in");
}

#[actix_web::test]
async fn listed_hosts_may_be_subscribed_as_written() {
    let ctx = Ctx::with_settings(settings_allowing(&["localhost", "10.0.0.7"]));
    let app = ctx.app().await;
    for (url, status) in [
        ("http://localhost:8080/hook", 201),
        ("http://LOCALHOST/hook", 201),
        ("http://10.0.0.7/hook", 201),
        ("http://127.0.0.1:8080/hook", 422),
        ("http://10.0.0.8/hook", 422),
    ] {
        let body = json!({"url": url, "events": ["*"]});
        let got = send(
            &app,
            ctx.admin(json(Method::POST, "/api/v1/webhooks", &body)),
        )
        .await;
        assert_eq!(got.status.as_u16(), status, "{url}: {:?}", got.json());
    }
}

#[actix_web::test]
async fn deliveries_never_reach_loopback_in_any_spelling() {
    let ctx = Ctx::new();
    let receiver = Receiver::start(&[]);
    let port = receiver.addr.port();
    let urls: Vec<String> = [
        "0.0.0.0",
        "2130706433",
        "0x7f000001",
        "127.1",
        "localhost",
        "127.0.0.1",
        "169.254.169.254",
        "10.0.0.7",
        "192.168.1.1",
        "100.64.0.1",
    ]
    .iter()
    .map(|host| format!("http://{host}:{port}/in"))
    .collect();
    let ids = stored_hooks(&ctx, &urls);
    let _worker = worker(&ctx, &[], Duration::from_secs(5));
    for (url, id) in urls.iter().zip(ids) {
        let d = attempted(&ctx, id).await;
        assert_eq!(d.last_error.as_deref(), Some("refused address"), "{url}");
        assert_eq!(d.last_status_code, None, "{url}");
        assert_eq!(d.status, "pending", "retried later like any failure: {url}");
    }
    assert!(receiver.received().is_empty(), "the receiver was reached");
}

#[actix_web::test]
async fn a_listed_host_still_gets_its_deliveries_and_others_do_not() {
    let ctx = Ctx::new();
    let receiver = Receiver::start(&[]);
    let urls = [
        format!("http://localhost:{}/in", receiver.addr.port()),
        receiver.url("/other"),
    ];
    let [listed, unlisted] = stored_hooks(&ctx, &urls)[..] else {
        unreachable!()
    };
    let _worker = worker(&ctx, &["localhost"], Duration::from_secs(5));
    let d = attempted(&ctx, listed).await;
    assert_eq!(
        (d.status.as_str(), d.last_status_code),
        ("delivered", Some(200))
    );
    let d = attempted(&ctx, unlisted).await;
    assert_eq!(d.last_error.as_deref(), Some(egress::NOT_LISTED));
    let got = receiver.received();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].path, "/in");
}

/// A TCP server on loopback that answers each connection with `answer` (then closes), or
/// with nothing at all when it is empty; it counts connections.
fn raw_server(answer: &'static [u8]) -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&count);
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            counted.fetch_add(1, Ordering::SeqCst);
            std::thread::spawn(move || {
                if answer.is_empty() {
                    std::thread::sleep(Duration::from_secs(30));
                    return;
                }
                let mut buf = [0u8; 4096];
                let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
                let _ = stream.read(&mut buf);
                let _ = stream.write_all(answer);
            });
        }
    });
    (addr, count)
}

#[actix_web::test]
async fn redirects_are_not_followed() {
    let ctx = Ctx::new();
    let target = Receiver::start(&[]);
    let answer = format!(
        "HTTP/1.1 307 Temporary Redirect\r\nLocation: {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        target.url("/landed")
    );
    let (addr, _) = raw_server(Box::leak(answer.into_bytes().into_boxed_slice()));
    let id = stored_hooks(&ctx, &[format!("http://{addr}/in")])[0];
    let _worker = worker(&ctx, &["127.0.0.1"], Duration::from_secs(5));
    let d = attempted(&ctx, id).await;
    assert_eq!(d.last_status_code, Some(307));
    assert_eq!(d.last_error.as_deref(), Some("HTTP 307 Temporary Redirect"));
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    assert!(target.received().is_empty(), "the redirect was followed");
}

#[actix_web::test]
async fn the_log_keeps_a_fixed_reason_never_the_receivers_words_or_the_ports_state() {
    let ctx = Ctx::new();
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let (not_http, _) = raw_server(b"SSH-2.0-OpenSSH_9.2 internal-build-host\r\n");
    let (silent, _) = raw_server(b"");
    let (talker, _) = raw_server(
        b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\nContent-Length: 26\r\nConnection: close\r\n\r\naws_secret_key=AKIAEXAMPLE",
    );
    let urls: Vec<String> = [closed, not_http, silent, talker]
        .iter()
        .map(|addr| format!("http://{addr}/in"))
        .collect();
    let mut ids = stored_hooks(&ctx, &urls);
    let answered = ids.pop().unwrap();
    let _worker = worker(&ctx, &["127.0.0.1"], Duration::from_secs(1));
    let mut reasons = Vec::new();
    for id in ids {
        let d = attempted(&ctx, id).await;
        assert_eq!(d.last_status_code, None);
        reasons.push(d.last_error.unwrap());
    }
    assert_eq!(
        reasons, ["connection failed or timed out"; 3],
        "closed, open but not HTTP, open and silent"
    );
    let d = attempted(&ctx, answered).await;
    assert_eq!(d.last_status_code, Some(500));
    assert_eq!(
        d.last_error.as_deref(),
        Some("HTTP 500 Internal Server Error")
    );
}

/// A resolver with scripted answers (one list of addresses per call), counting its calls.
#[derive(Debug, Default)]
struct Scripted {
    answers: Mutex<VecDeque<Vec<SocketAddr>>>,
    calls: Arc<AtomicUsize>,
}

impl Scripted {
    fn new(answers: &[&[SocketAddr]]) -> (Self, Arc<AtomicUsize>) {
        let calls = Arc::new(AtomicUsize::new(0));
        let answers = answers.iter().map(|a| a.to_vec()).collect();
        let resolver = Self {
            answers: Mutex::new(answers),
            calls: Arc::clone(&calls),
        };
        (resolver, calls)
    }
}

impl ureq::unversioned::resolver::Resolver for Scripted {
    fn resolve(
        &self,
        _uri: &ureq::http::Uri,
        _config: &ureq::config::Config,
        _timeout: ureq::unversioned::transport::NextTimeout,
    ) -> Result<ureq::unversioned::resolver::ResolvedSocketAddrs, ureq::Error> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let answer = self.answers.lock().unwrap().pop_front().unwrap_or_default();
        let mut addresses = self.empty();
        for address in answer {
            addresses.push(address);
        }
        Ok(addresses)
    }
}

fn post(agent: &ureq::Agent, url: &str) -> Result<u16, ureq::Error> {
    agent.post(url).send("{}").map(|r| r.status().as_u16())
}

#[test]
fn every_resolved_address_is_checked_and_the_connection_goes_to_the_checked_one() {
    let receiver = Receiver::start(&[]);
    let loopback = receiver.addr;
    let public = SocketAddr::new("192.88.98.1".parse().unwrap(), loopback.port());
    let url = format!("http://hooks.example.test:{}/in", loopback.port());
    let none: [String; 0] = [];

    // One public and one loopback address: refused as a whole.
    let (lookup, calls) = Scripted::new(&[&[public, loopback]]);
    let agent = egress::agent_with(Duration::from_secs(2), GuardedResolver::new(&none, lookup));
    let err = post(&agent, &url).unwrap_err();
    assert_eq!(egress::reason(&err), "refused address", "{err}");
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    // A name that answers a public address first and loopback after (DNS rebinding): it is
    // resolved once, and the connection goes to the address checked, not to loopback.
    let (lookup, calls) = Scripted::new(&[&[public], &[loopback]]);
    let agent = egress::agent_with(Duration::from_secs(1), GuardedResolver::new(&none, lookup));
    let err = post(&agent, &url).unwrap_err();
    assert_eq!(egress::reason(&err), egress::NO_ANSWER, "{err}");
    assert_eq!(calls.load(Ordering::SeqCst), 1, "resolved once");

    // A listed name may resolve to loopback; the request keeps its name in `Host`.
    let listed = ["hooks.example.test".to_owned()];
    let (lookup, calls) = Scripted::new(&[&[loopback]]);
    let agent = egress::agent_with(
        Duration::from_secs(2),
        GuardedResolver::new(&listed, lookup),
    );
    assert_eq!(post(&agent, &url).unwrap(), 200);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    let got = receiver.wait_for(1, Duration::from_secs(5));
    assert_eq!(got.len(), 1, "only the listed host's request arrived");
    let host = format!("hooks.example.test:{}", loopback.port());
    assert_eq!(got[0].header("host"), Some(host.as_str()));

    // An unlisted name, when the list is not empty, is not even resolved.
    let (lookup, calls) = Scripted::new(&[&[loopback]]);
    let agent = egress::agent_with(
        Duration::from_secs(2),
        GuardedResolver::new(&listed, lookup),
    );
    let err = post(
        &agent,
        &format!("http://other.example.test:{}/", loopback.port()),
    )
    .unwrap_err();
    assert_eq!(egress::reason(&err), egress::NOT_LISTED);
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    assert_eq!(receiver.received().len(), 1);
}

#[actix_web::test]
async fn the_problem_names_the_url_and_what_to_do() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let body = json!({"url": "http://0x7f000001/", "events": ["*"]});
    let problem = send(
        &app,
        ctx.admin(json(Method::POST, "/api/v1/webhooks", &body)),
    )
    .await
    .problem(422);
    let message: &Value = &problem["errors"][0]["message"];
    let message = message.as_str().unwrap();
    assert!(
        message.contains("127.0.0.1") && message.contains("loopback"),
        "{message}"
    );
}
