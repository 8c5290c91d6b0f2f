//! Shared helpers: a fresh database per test, the real app in process, and request helpers.
#![allow(
    dead_code,
    reason = "each test crate uses a different subset of the helpers"
)]

use actix_http::Request;
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::{StatusCode, header::HeaderMap};
use actix_web::test::{self, TestRequest};
use serde_json::Value;

use gazette::app::{self, Prepared};
use gazette::config::Settings;
use gazette::db::{self, Pool};

/// A fresh database in a temporary folder, with an admin and a content key.
pub struct Ctx {
    pub pool: Pool,
    pub admin_key: String,
    pub content_key: String,
    pub settings: Settings,
    dir: tempfile::TempDir,
}

impl Ctx {
    pub fn new() -> Self {
        Self::with_settings(Settings::default())
    }

    pub fn with_settings(settings: Settings) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = dir.path().join("test.db").to_string_lossy().into_owned();
        let pool = db::open(&url, 4).expect("open database");
        let conn = &mut *pool.get().unwrap();
        let (_, admin_key) = db::keys::create(conn, "test admin", "admin", db::now()).unwrap();
        let (_, content_key) =
            db::keys::create(conn, "test content", "content", db::now()).unwrap();
        Self {
            pool,
            admin_key,
            content_key,
            settings,
            dir,
        }
    }

    pub fn db_path(&self) -> std::path::PathBuf {
        self.dir.path().join("test.db")
    }

    /// The application exactly as `gazette serve` builds it, on this context's database.
    pub async fn app(
        &self,
    ) -> impl Service<Request, Response = ServiceResponse<impl MessageBody>, Error = actix_web::Error>
    {
        test::init_service(app::build(Prepared::new(
            self.pool.clone(),
            self.settings.clone(),
        )))
        .await
    }

    pub fn admin(&self, req: TestRequest) -> TestRequest {
        req.insert_header(("Authorization", format!("Bearer {}", self.admin_key)))
    }
}

/// A response, read whole.
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts this is a problem-details response with `status`; returns its body.
    #[track_caller]
    pub fn problem(&self, status: u16) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "expected {status}, got {}: {}",
            self.status,
            String::from_utf8_lossy(&self.body)
        );
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "{self:?}"
        );
        let body = self.json();
        assert_eq!(body["status"], status, "{body}");
        assert!(
            body["type"].is_string() && body["title"].is_string(),
            "{body}"
        );
        assert!(!body["detail"].as_str().unwrap_or("").is_empty(), "{body}");
        body
    }

    /// Asserts the status is `status`; returns the JSON body.
    #[track_caller]
    pub fn ok(&self, status: u16) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "expected {status}, got {}: {}",
            self.status,
            String::from_utf8_lossy(&self.body)
        );
        if self.body.is_empty() {
            Value::Null
        } else {
            self.json()
        }
    }
}

pub async fn send<S, B>(app: &S, req: TestRequest) -> Resp
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let res = test::call_service(app, req.to_request()).await;
    let status = res.status();
    let headers = res.headers().clone();
    let body = test::read_body(res).await.to_vec();
    Resp {
        status,
        headers,
        body,
    }
}

pub fn get(uri: &str) -> TestRequest {
    TestRequest::get().uri(uri)
}

pub fn json(method: actix_web::http::Method, uri: &str, body: &Value) -> TestRequest {
    TestRequest::default()
        .method(method)
        .uri(uri)
        .insert_header(("Content-Type", "application/json"))
        .set_payload(body.to_string())
}

/// Creates an article through the API with the admin key; returns the article as read.
pub async fn create_article<S, B>(ctx: &Ctx, app: &S, body: Value) -> Value
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    send(
        app,
        ctx.admin(json(
            actix_web::http::Method::POST,
            "/api/v1/articles",
            &body,
        )),
    )
    .await
    .ok(201)
}
