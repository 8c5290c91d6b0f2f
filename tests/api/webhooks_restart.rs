//! The real `gazette` binary delivering webhooks: a change made while the receiver is down
//! stays in the outbox across a graceful stop (SIGTERM) and reaches the receiver once it is
//! up and the server has been restarted.

use crate::support::backend;
use crate::support::binary;
use crate::support::receiver;

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use binary::{Server, admin_key, client};
use receiver::Receiver;

/// Server settings: one worker is plenty, retries come quickly, and the receiver's host
/// (loopback) is opted in.
const ENV: [(&str, &str); 3] = [
    ("WORKERS", "1"),
    ("WEBHOOK_RETRY_BASE_MS", "100"),
    ("WEBHOOK_ALLOWED_HOSTS", "127.0.0.1"),
];

/// An admin request; the status and the JSON body (`null` when empty).
fn call(server: &Server, key: &str, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let url = server.url(path);
    let auth = format!("Bearer {key}");
    let agent = client();
    let result = match body {
        Some(body) => agent
            .post(&url)
            .header("Authorization", &auth)
            .header("Content-Type", "application/json")
            .send(body.to_string()),
        None if method == "GET" => agent.get(&url).header("Authorization", &auth).call(),
        None => panic!("unsupported request {method} {path}"),
    };
    let mut res = result.unwrap_or_else(|e| panic!("{method} {path}: {e}\n{}", server.log()));
    let status = res.status().as_u16();
    let text = res.body_mut().read_to_string().unwrap();
    let json = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    };
    (status, json)
}

#[track_caller]
fn post(server: &Server, key: &str, path: &str, body: Value) -> Value {
    let (status, json) = call(server, key, "POST", path, Some(body));
    assert_eq!(status, 201, "POST {path}: {json}");
    json
}

/// The newest delivery of webhook `id`, once `check` holds for it.
#[track_caller]
fn wait_delivery(
    server: &Server,
    key: &str,
    id: i64,
    what: &str,
    check: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let path = format!("/api/v1/webhooks/{id}/deliveries");
        let (status, list) = call(server, key, "GET", &path, None);
        assert_eq!(status, 200, "{list}");
        let newest = &list["data"][0];
        if !newest.is_null() && check(newest) {
            return newest.clone();
        }
        assert!(
            Instant::now() < deadline,
            "no {what} in time: {list}\n{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_delivery_to_a_receiver_that_is_down_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = std::path::PathBuf::from(backend::fresh_database(dir.path(), "webhooks"));
    let key = admin_key(dir.path(), &db, "hooks");

    // Nobody listens on the receiver's port yet (it is held, so that nothing else takes it).
    let reserved = Receiver::reserve();
    let port = reserved.port();
    let mut server = Server::start(dir.path(), &db, &ENV);
    let hook = post(
        &server,
        &key,
        "/api/v1/webhooks",
        json!({"url": format!("http://127.0.0.1:{port}/in"), "events": ["tag.*"]}),
    );
    let id = hook["id"].as_i64().unwrap();
    let secret = hook["secret"].as_str().unwrap().to_owned();

    // A change: its event is queued with it, and the first attempts fail.
    post(&server, &key, "/api/v1/tags", json!({"name": "Harbour"}));
    let failed = wait_delivery(&server, &key, id, "failed attempt", |d| {
        d["attempts"].as_i64() >= Some(1)
    });
    assert_eq!(failed["status"], "pending", "{failed}");
    assert_eq!(failed["event"], "tag.created");
    assert!(
        failed["last_error"].as_str().is_some_and(|e| !e.is_empty()),
        "{failed}"
    );
    let status = server.terminate();
    assert!(
        status.success(),
        "exit after SIGTERM: {status}\n{}",
        server.log()
    );

    // The receiver comes up; then the server, which finds the delivery still pending.
    let receiver = reserved.start(&[]);
    let server = server.restart();
    let got = receiver.wait_for(1, Duration::from_secs(30));
    let req = &got[0];
    assert_eq!(req.path, "/in");
    assert_eq!(req.header("x-gazette-event"), Some("tag.created"));
    assert_eq!(
        req.header("x-gazette-delivery"),
        Some(failed["id"].to_string().as_str()),
        "the delivery queued before the restart"
    );
    req.assert_signed(&secret);
    let body = req.json();
    assert_eq!(body["event"], "tag.created");
    assert_eq!(body["data"]["slug"], "harbour");

    let delivered = wait_delivery(&server, &key, id, "delivery", |d| {
        d["status"] == "delivered"
    });
    assert!(delivered["attempts"].as_i64() >= Some(2), "{delivered}");
    assert_eq!(delivered["last_status_code"], 200);
    assert!(
        delivered["last_error"]
            .as_str()
            .is_some_and(|e| !e.is_empty()),
        "the error before the restart stays in the log: {delivered}"
    );
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(receiver.received().len(), 1, "delivered once");
}
