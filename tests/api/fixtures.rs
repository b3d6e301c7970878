//! Shared steps of the framework tests: evaluations, creates, patches, criteria, the demo
//! framework, and raw SQL for what the API must never allow (corrupt rows).

use actix_web::http::Method;
use diesel::RunQueryDsl;
use provincial_kpi::storage::ConnectionManager;
use serde_json::{json, Value};

use crate::support::{Engine, TestApp, TestResponse};

/// A draft evaluation of Yasothon (TH-35) for `fiscal_year`, with the span when given.
pub async fn create_evaluation(
    app: &TestApp,
    token: &str,
    fiscal_year: i32,
    span: Option<(&str, &str)>,
) -> i64 {
    let province = app.org_id("TH-35").await;
    let mut body = json!({"province_id": province, "fiscal_year": fiscal_year, "title": format!("การประเมินส่วนราชการ จังหวัดยโสธร ปีงบประมาณ พ.ศ. {fiscal_year}")});
    if let Some((start, end)) = span {
        body["reporting_start"] = json!(start);
        body["reporting_end"] = json!(end);
    }
    let response = app
        .post("/api/v1/evaluations")
        .bearer(token)
        .json(&body)
        .send()
        .await;
    response.assert_status(201);
    assert_eq!(response.json()["status"], "draft");
    response.json()["id"].as_i64().expect("id")
}

/// POST that must create (201); the created representation.
pub async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> Value {
    let response = app.post(path).bearer(token).json(&body).send().await;
    response.assert_status(201);
    response.json()
}

/// PATCH with `If-Match: *`.
pub async fn patch(app: &TestApp, token: &str, path: &str, body: Value) -> TestResponse {
    app.patch(path)
        .bearer(token)
        .header("If-Match", "*")
        .json(&body)
        .send()
        .await
}

/// GET that must succeed; the body.
pub async fn get(app: &TestApp, token: &str, path: &str) -> Value {
    let response = app.get(path).bearer(token).send().await;
    response.assert_status(200);
    response.json()
}

/// Threshold / standard / challenge scored 50 / 75 / 100.
pub fn three_level(a: f64, b: f64, c: f64) -> Value {
    json!([{"value": a, "score": 50}, {"value": b, "score": 75}, {"value": c, "score": 100}])
}

/// The demo framework (seed 002 plus energy and fuel): components 1 (70) and 2 (30), eight
/// indicators (2.2 annual; E.1 and E.2 reductions with baselines), ready to activate.
pub fn demo_document() -> Value {
    serde_json::to_value(provincial_kpi::demo::framework_document()).expect("json")
}

/// PUT /evaluations/{id}/framework.
pub async fn put_framework(
    app: &TestApp,
    token: &str,
    evaluation: i64,
    document: &Value,
) -> TestResponse {
    app.request(
        Method::PUT,
        &format!("/api/v1/evaluations/{evaluation}/framework"),
    )
    .bearer(token)
    .json(document)
    .send()
    .await
}

/// A draft with the demo framework imported.
pub async fn demo_evaluation(app: &TestApp, token: &str, span: Option<(&str, &str)>) -> i64 {
    let evaluation = create_evaluation(app, token, 2565, span).await;
    put_framework(app, token, evaluation, &demo_document())
        .await
        .assert_status(200);
    evaluation
}

/// Runs SQL statements on the test's database, behind the API's back. With `unchecked`, the
/// schema's CHECK constraints are lifted first (to store what no request can).
pub fn sql(app: &TestApp, statements: &[&str], unchecked: bool) {
    let mut conn = ConnectionManager::new(app.config.database_url.clone())
        .establish()
        .expect("connect");
    if unchecked {
        let lift = match app.engine {
            Engine::Sqlite => "PRAGMA ignore_check_constraints = ON",
            Engine::Postgres => {
                "ALTER TABLE evaluations DROP CONSTRAINT IF EXISTS evaluations_status_check"
            }
        };
        diesel::sql_query(lift).execute(&mut conn).expect(lift);
    }
    for statement in statements {
        diesel::sql_query(*statement)
            .execute(&mut conn)
            .expect(statement);
    }
}
