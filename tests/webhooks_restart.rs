//! The real `gazette` binary delivering webhooks: a change made while the receiver is down
//! stays in the outbox across a graceful stop (SIGTERM) and reaches the receiver once it is
//! up and the server has been restarted.

mod binary;
mod receiver;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use binary::{free_port, gazette};
use receiver::Receiver;

fn client() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .proxy(None)
        .build()
        .into()
}

/// A running `gazette serve`, killed when dropped (so a failing test leaves no server).
struct Server {
    child: Child,
    addr: String,
    log: PathBuf,
    key: String,
}

impl Server {
    fn start(dir: &Path, db: &Path, key: &str) -> Self {
        let addr = format!("127.0.0.1:{}", free_port());
        let log = dir.join(format!("server-{}.log", addr.replace([':', '.'], "-")));
        let child = gazette(dir, db)
            .args(["serve", "--bind", &addr])
            .env("WORKERS", "1")
            .env("WEBHOOK_RETRY_BASE_MS", "100")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("gazette serve starts");
        let mut server = Self {
            child,
            addr,
            log,
            key: key.to_owned(),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = server.child.try_wait().unwrap() {
                panic!("the server exited early ({status}):\n{}", server.log());
            }
            if client()
                .get(format!("http://{}/healthz", server.addr))
                .call()
                .is_ok_and(|r| r.status() == 200)
            {
                return server;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not become healthy:\n{}",
                server.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// An admin request; the status and the JSON body (`null` when empty).
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let url = format!("http://{}{path}", self.addr);
        let auth = format!("Bearer {}", self.key);
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
        let mut res = result.unwrap_or_else(|e| panic!("{method} {path}: {e}\n{}", self.log()));
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
    fn post(&self, path: &str, body: Value) -> Value {
        let (status, json) = self.call("POST", path, Some(body));
        assert_eq!(status, 201, "POST {path}: {json}");
        json
    }

    /// The newest delivery of webhook `id`, once `check` holds for it.
    #[track_caller]
    fn wait_delivery(&self, id: i64, what: &str, check: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let (status, list) =
                self.call("GET", &format!("/api/v1/webhooks/{id}/deliveries"), None);
            assert_eq!(status, 200, "{list}");
            let newest = &list["data"][0];
            if !newest.is_null() && check(newest) {
                return newest.clone();
            }
            assert!(
                Instant::now() < deadline,
                "no {what} in time: {list}\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Sends SIGTERM and waits for the process to exit.
    fn terminate(&mut self) -> ExitStatus {
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
}

impl Drop for Server {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[test]
fn a_delivery_to_a_receiver_that_is_down_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("webhooks.db");
    let out = gazette(dir.path(), &db)
        .args(["keys", "create", "--name", "hooks", "--scope", "admin"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let key = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .trim()
        .to_owned();

    // Nobody listens on the receiver's port yet.
    let port = free_port();
    let mut server = Server::start(dir.path(), &db, &key);
    let hook = server.post(
        "/api/v1/webhooks",
        json!({"url": format!("http://127.0.0.1:{port}/in"), "events": ["tag.*"]}),
    );
    let id = hook["id"].as_i64().unwrap();
    let secret = hook["secret"].as_str().unwrap().to_owned();

    // A change: its event is queued with it, and the first attempts fail.
    server.post("/api/v1/tags", json!({"name": "Harbour"}));
    let failed = server.wait_delivery(id, "failed attempt", |d| d["attempts"].as_i64() >= Some(1));
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
    drop(server);

    // The receiver comes up; then the server, which finds the delivery still pending.
    let receiver = Receiver::start_at(port, &[]).expect("the receiver's port is still free");
    let server = Server::start(dir.path(), &db, &key);
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

    let delivered = server.wait_delivery(id, "delivery", |d| d["status"] == "delivered");
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
