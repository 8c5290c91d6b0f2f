use crate::support::common;
use common::*;

#[actix_web::test]
async fn health_answers() {
    let ctx = Ctx::new();
    let app = ctx.app().await;
    let body = get_json(&app, "/healthz").await;
    assert_eq!(body["status"], "ok");
}
