mod common;
use common::*;

#[actix_web::test]
async fn health_answers() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let body = send(&app, get("/healthz")).await.ok(200);
    assert_eq!(body["status"], "ok");
}
