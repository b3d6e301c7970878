//! The shared steps of the API tests, one of each: evaluations, creates, patches and reads,
//! criteria, the demo framework, and raw SQL for what the API must never allow (corrupt rows).

use actix_web::http::Method;
use diesel::connection::SimpleConnection;
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
    let created = post(app, token, "/api/v1/evaluations", body).await;
    assert_eq!(created["status"], "draft");
    created["id"].as_i64().expect("id")
}

/// A draft evaluation (FY 2565) with one component (100 %); returns (evaluation, component).
pub async fn draft_with_component(app: &TestApp, token: &str) -> (i64, i64) {
    let evaluation = create_evaluation(app, token, 2565, None).await;
    let component = post(
        app,
        token,
        &format!("/api/v1/evaluations/{evaluation}/components"),
        json!({"code": "1", "name": "Performance Base", "weight": 100}),
    )
    .await;
    (evaluation, component["id"].as_i64().expect("component"))
}

/// A draft (FY 2565, one component) with one indicator: the rice indicator (1.1, criteria
/// 60 / 70 / 80) with `fields` over it; returns (evaluation, indicator).
pub async fn draft_indicator(app: &TestApp, token: &str, fields: Value) -> (i64, Value) {
    let (evaluation, component) = draft_with_component(app, token).await;
    let mut body = json!({
        "evaluation_id": evaluation, "component_id": component, "code": "1.1",
        "name": "ผลการดำเนินงานตามแนวทางส่งเสริมเกษตรแปลงใหญ่ (ข้าว)",
        "criteria": three_level(60.0, 70.0, 80.0),
    });
    for (field, value) in fields.as_object().expect("fields").clone() {
        body[field] = value;
    }
    (
        evaluation,
        post(app, token, "/api/v1/indicators", body).await,
    )
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

/// A draft of FY 2565 with the demo framework imported.
pub async fn demo_evaluation(app: &TestApp, token: &str, span: Option<(&str, &str)>) -> i64 {
    let evaluation = create_evaluation(app, token, 2565, span).await;
    put_framework(app, token, evaluation, &demo_document())
        .await
        .assert_status(200);
    evaluation
}

/// Yasothon FY 2565 over Sep 2564 – Sep 2565 with the demo framework, activated.
pub async fn active_demo(app: &TestApp, token: &str) -> i64 {
    let evaluation = demo_evaluation(app, token, Some(("2021-09", "2022-09"))).await;
    patch(
        app,
        token,
        &format!("/api/v1/evaluations/{evaluation}"),
        json!({"status": "active"}),
    )
    .await
    .assert_status(200);
    evaluation
}

/// The indicator with this code in the evaluation.
pub async fn indicator_by_code(app: &TestApp, token: &str, evaluation: i64, code: &str) -> Value {
    let list = get(
        app,
        token,
        &format!("/api/v1/indicators?evaluation_id={evaluation}&limit=500"),
    )
    .await;
    list["items"]
        .as_array()
        .and_then(|items| items.iter().find(|i| i["code"] == code))
        .cloned()
        .unwrap_or_else(|| panic!("no indicator {code}"))
}

/// Runs SQL on the test's database behind the API's back, as a careless operator or a broken
/// script would: `sqlite` on SQLite, `postgres` on PostgreSQL. To store what no request can,
/// each lifts the CHECK constraint in its way first (SQLite: `PRAGMA
/// ignore_check_constraints = ON`; PostgreSQL: `ALTER TABLE … DROP CONSTRAINT …`).
pub fn sql(app: &TestApp, sqlite: &str, postgres: &str) {
    let mut conn = ConnectionManager::new(app.config.database_url.clone())
        .establish()
        .expect("connect");
    let statements = match app.engine {
        Engine::Sqlite => sqlite,
        Engine::Postgres => postgres,
    };
    conn.batch_execute(statements).expect(statements);
}

/// An agency under Yasothon (TH-35), created by the national admin; its id.
pub async fn yasothon_agency(app: &TestApp, code: &str, name_th: &str) -> i64 {
    let province = app.org_id("TH-35").await;
    let created = post(
        app,
        &app.admin(),
        "/api/v1/organizations",
        json!({"code": code, "name_th": name_th, "kind": "agency", "parent_id": province}),
    )
    .await;
    created["id"].as_i64().expect("organization id")
}

/// A Yasothon evaluation of `fiscal_year` (span as given, else the fiscal year's) with this
/// framework document, activated.
pub async fn active_from_document(
    app: &TestApp,
    token: &str,
    fiscal_year: i32,
    span: Option<(&str, &str)>,
    document: &Value,
) -> i64 {
    let evaluation = create_evaluation(app, token, fiscal_year, span).await;
    put_framework(app, token, evaluation, document)
        .await
        .assert_status(200);
    patch(
        app,
        token,
        &format!("/api/v1/evaluations/{evaluation}"),
        json!({"status": "active"}),
    )
    .await
    .assert_status(200);
    evaluation
}

/// A report filed in the past: (indicator code, organization code, period, value, first
/// submitted at, RFC 3339).
pub type Backfill<'a> = (&'a str, &'a str, &'a str, f64, &'a str);

/// Files `reports` as submitted, each first submitted at its instant (a backfill), in one
/// atomic batch of the national admin; every one is created.
pub async fn backfill(app: &TestApp, evaluation: i64, reports: &[Backfill<'_>]) {
    let items: Vec<Value> = reports
        .iter()
        .map(|(indicator, organization, period, value, at)| {
            json!({"indicator_code": indicator, "organization_code": organization,
                   "period": period, "value": value, "submitted_at": at})
        })
        .collect();
    let response = app
        .post("/api/v1/submissions/batch")
        .bearer(&app.admin())
        .json(&json!({"evaluation_id": evaluation, "atomic": true, "items": items}))
        .send()
        .await;
    response.assert_status(200);
    assert_eq!(
        response.json()["created"],
        reports.len(),
        "every report created"
    );
}

/// The demo's framework, its two rounds (ids 1 and 2 in a fresh test database) and its year
/// of reports, seeded in one transaction as `serve --demo` does; returns the evaluation and how
/// many reports were filed.
pub fn demo_year(app: &TestApp) -> (i64, usize) {
    let mut conn = ConnectionManager::new(app.config.database_url.clone())
        .establish()
        .expect("connect");
    provincial_kpi::storage::write_transaction(&mut conn, |conn| {
        let evaluation = provincial_kpi::demo::seed_framework(conn)?;
        provincial_kpi::demo::seed_rounds(conn, evaluation)?;
        Ok((
            evaluation,
            provincial_kpi::demo::seed_reports(conn, evaluation)?,
        ))
    })
    .expect("demo seeding")
}
