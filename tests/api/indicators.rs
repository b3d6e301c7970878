//! Indicators: field rules, codes ignoring case, what an active evaluation freezes, patches
//! that keep what they do not name, and stored values that cannot be read.

use actix_web::http::Method;
use diesel::connection::SimpleConnection;
use provincial_kpi::storage::ConnectionManager;
use serde_json::{json, Value};

use crate::both_engines;
use crate::frameworks::create_evaluation;
use crate::support::{Engine, TestApp, TestResponse};

both_engines!(
    baselines_are_greater_than_zero,
    indicator_codes_are_unique_ignoring_case,
    a_patch_keeps_what_it_does_not_name,
    an_active_evaluation_freezes_structure_not_targets,
    an_active_reduction_indicator_keeps_a_baseline_for_every_reporter,
    unreadable_stored_indicators_are_internal_errors,
);

pub fn three_level(a: f64, b: f64, c: f64) -> Value {
    json!([{"value": a, "score": 50}, {"value": b, "score": 75}, {"value": c, "score": 100}])
}

pub async fn created(app: &TestApp, token: &str, path: &str, body: Value) -> Value {
    let response = app.post(path).bearer(token).json(&body).send().await;
    response.assert_status(201);
    response.json()
}

pub async fn patched(app: &TestApp, token: &str, path: &str, body: Value) -> TestResponse {
    app.patch(path)
        .bearer(token)
        .header("If-Match", "*")
        .json(&body)
        .send()
        .await
}

pub async fn read(app: &TestApp, token: &str, path: &str) -> Value {
    let response = app.get(path).bearer(token).send().await;
    response.assert_status(200);
    response.json()
}

/// A draft evaluation with one component (100 %); returns (evaluation, component).
pub async fn draft_with_component(app: &TestApp, token: &str) -> (i64, i64) {
    let evaluation = create_evaluation(app, token, 2565, None).await;
    let component = created(
        app,
        token,
        &format!("/api/v1/evaluations/{evaluation}/components"),
        json!({"code": "1", "name": "Performance Base", "weight": 100}),
    )
    .await;
    (evaluation, component["id"].as_i64().expect("component"))
}

/// Yasothon FY 2565 with the demo framework (seed 002 and electricity and fuel reduction),
/// activated; returns the evaluation's id.
pub async fn active_demo(app: &TestApp, token: &str) -> i64 {
    let evaluation = create_evaluation(app, token, 2565, Some(("2021-09", "2022-09"))).await;
    let document: Value =
        serde_json::to_value(provincial_kpi::demo::framework_document()).expect("json");
    app.request(
        Method::PUT,
        &format!("/api/v1/evaluations/{evaluation}/framework"),
    )
    .bearer(token)
    .json(&document)
    .send()
    .await
    .assert_status(200);
    patched(
        app,
        token,
        &format!("/api/v1/evaluations/{evaluation}"),
        json!({"status": "active"}),
    )
    .await
    .assert_status(200);
    evaluation
}

/// The demo indicator with this code in the evaluation.
pub async fn indicator_by_code(app: &TestApp, token: &str, evaluation: i64, code: &str) -> Value {
    let list = read(
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

/// Runs SQL around the service, as a careless operator or a broken script would.
pub fn corrupt(app: &TestApp, sqlite: &str, postgres: &str) {
    let mut conn = ConnectionManager::new(app.config.database_url.clone())
        .establish()
        .expect("connect");
    let sql = match app.engine {
        Engine::Sqlite => sqlite,
        Engine::Postgres => postgres,
    };
    conn.batch_execute(sql).expect("corrupting SQL");
}

/// Baselines of 0 or below are refused (a reduction against B ≤ 0 means nothing): on the
/// indicator and on an assignment, at create and at patch, 422 naming `baseline`.
async fn baselines_are_greater_than_zero(app: TestApp) {
    let token = app.yasothon_admin();
    let (evaluation, component) = draft_with_component(&app, &token).await;
    for baseline in [json!(0), json!(-1200.0), json!(-0.0)] {
        for basis in ["value", "reduction_from_baseline"] {
            let response = app
                .post("/api/v1/indicators")
                .bearer(&token)
                .json(&json!({
                    "evaluation_id": evaluation, "component_id": component, "code": "E.1",
                    "name": "ร้อยละการลดใช้พลังงานไฟฟ้าของส่วนราชการ", "score_basis": basis,
                    "baseline": baseline, "criteria": three_level(10.0, 15.0, 20.0),
                }))
                .send()
                .await;
            response.assert_problem(422, "validation");
            assert_eq!(response.error_fields(), ["baseline"], "{baseline} {basis}");
        }
    }
    let listed = read(
        &app,
        &token,
        &format!("/api/v1/indicators?evaluation_id={evaluation}"),
    )
    .await;
    assert_eq!(listed["items"], json!([]), "nothing stored");
    // A reduction indicator needs no baseline of its own: its hosts may each have one.
    let energy = created(
        &app,
        &token,
        "/api/v1/indicators",
        json!({
            "evaluation_id": evaluation, "component_id": component, "code": "E.1",
            "name": "ร้อยละการลดใช้พลังงานไฟฟ้าของส่วนราชการ", "unit": "kWh",
            "score_basis": "reduction_from_baseline", "criteria": three_level(10.0, 15.0, 20.0),
        }),
    )
    .await;
    assert_eq!(energy["baseline"], Value::Null);
    let path = format!("/api/v1/indicators/{}", energy["id"]);
    let zero = patched(&app, &token, &path, json!({"baseline": 0})).await;
    zero.assert_problem(422, "validation");
    assert_eq!(zero.error_fields(), ["baseline"]);
    let assignments = format!("{path}/assignments");
    let peo = app.org_id("YST-PEO").await;
    for baseline in [json!(0), json!(-2800)] {
        let response = app
            .post(&assignments)
            .bearer(&token)
            .json(&json!({"organization_id": peo, "role": "host", "baseline": baseline}))
            .send()
            .await;
        response.assert_problem(422, "validation");
        assert_eq!(response.error_fields(), ["baseline"]);
    }
    let host = created(
        &app,
        &token,
        &assignments,
        json!({"organization_id": peo, "role": "host", "baseline": 2800}),
    )
    .await;
    let negative = patched(
        &app,
        &token,
        &format!("/api/v1/assignments/{}", host["id"]),
        json!({"baseline": -1}),
    )
    .await;
    negative.assert_problem(422, "validation");
    assert_eq!(negative.error_fields(), ["baseline"]);
    assert_eq!(read(&app, &token, &path).await["version"], 1);
}

/// `e.1` beside `E.1` would be two names for one thing to a person and to an integration:
/// 409 naming `code`, at create and at patch.
async fn indicator_codes_are_unique_ignoring_case(app: TestApp) {
    let token = app.yasothon_admin();
    let (evaluation, component) = draft_with_component(&app, &token).await;
    let body = |code: &str| {
        json!({"evaluation_id": evaluation, "component_id": component, "code": code,
            "name": "ไฟฟ้า", "criteria": three_level(10.0, 15.0, 20.0)})
    };
    created(&app, &token, "/api/v1/indicators", body("E.1")).await;
    let twin = app
        .post("/api/v1/indicators")
        .bearer(&token)
        .json(&body("e.1"))
        .send()
        .await;
    twin.assert_problem(409, "duplicate");
    assert_eq!(twin.error_fields(), ["code"]);
    let fuel = created(&app, &token, "/api/v1/indicators", body("E.2")).await;
    let path = format!("/api/v1/indicators/{}", fuel["id"]);
    let renamed = patched(&app, &token, &path, json!({"code": "e.1"})).await;
    renamed.assert_problem(409, "duplicate");
    assert_eq!(renamed.error_fields(), ["code"]);
    // Its own code in another case is no clash.
    let recased = patched(&app, &token, &path, json!({"code": "e.2"})).await;
    recased.assert_status(200);
    assert_eq!(recased.json()["code"], "e.2");
    // Another evaluation may use the code.
    let (other, other_component) = draft_with_component(&app, &token).await;
    created(
        &app,
        &token,
        "/api/v1/indicators",
        json!({"evaluation_id": other,
        "component_id": other_component, "code": "e.1", "name": "ไฟฟ้า",
        "criteria": three_level(10.0, 15.0, 20.0)}),
    )
    .await;
}

/// A merge patch is applied to the indicator as the API shows it: every field it does not
/// name keeps its value; `null` clears an optional one; read-only fields are refused.
async fn a_patch_keeps_what_it_does_not_name(app: TestApp) {
    let token = app.yasothon_admin();
    let (evaluation, component) = draft_with_component(&app, &token).await;
    let full = created(
        &app,
        &token,
        "/api/v1/indicators",
        json!({
            "evaluation_id": evaluation, "component_id": component, "code": "E.2",
            "name": "ร้อยละการลดใช้น้ำมันเชื้อเพลิงของส่วนราชการ", "description": "น้ำมันเชื้อเพลิงรถราชการ",
            "unit": "ลิตร", "category": "energy_reduction", "frequency": "quarterly",
            "over_time": "sum", "across_orgs": "sum", "score_basis": "reduction_from_baseline",
            "baseline": 719.0, "target": 20.0, "weight": 2.5,
            "criteria": three_level(10.0, 15.0, 20.0),
        }),
    )
    .await;
    let path = format!("/api/v1/indicators/{}", full["id"]);
    let renamed = patched(&app, &token, &path, json!({"name": "ลดใช้น้ำมัน"})).await;
    renamed.assert_status(200);
    let mut expected = full.clone();
    expected["name"] = json!("ลดใช้น้ำมัน");
    expected["version"] = json!(2);
    expected["updated_at"] = renamed.json()["updated_at"].clone();
    assert_eq!(renamed.json(), expected);
    let cleared = patched(
        &app,
        &token,
        &path,
        json!({"description": null, "baseline": null}),
    )
    .await;
    cleared.assert_status(200);
    assert_eq!(cleared.json()["description"], Value::Null);
    assert_eq!(cleared.json()["baseline"], Value::Null);
    assert_eq!(cleared.json()["unit"], "ลิตร");
    for (body, field) in [
        (json!({"evaluation_id": evaluation + 1}), "evaluation_id"),
        (json!({"max_score": 1}), "max_score"),
        (json!({"version": 9}), "version"),
        (json!({"target": "high"}), "target"),
    ] {
        let refused = patched(&app, &token, &path, body).await;
        refused.assert_problem(400, "bad-request");
        assert_eq!(refused.error_fields(), [field]);
    }
    assert_eq!(read(&app, &token, &path).await["version"], 3);
}

/// Once active: component, frequency, score basis and aggregation are frozen (409 naming each);
/// targets, criteria, weights and baselines may change, each audited; no indicator is added or
/// deleted. Closed is read-only.
async fn an_active_evaluation_freezes_structure_not_targets(app: TestApp) {
    let token = app.yasothon_admin();
    let evaluation = active_demo(&app, &token).await;
    let energy = indicator_by_code(&app, &token, evaluation, "E.1").await;
    let path = format!("/api/v1/indicators/{}", energy["id"]);
    let components = read(
        &app,
        &token,
        &format!("/api/v1/evaluations/{evaluation}/components"),
    )
    .await;
    let performance = components["items"][0]["id"].clone();
    let frozen = patched(
        &app,
        &token,
        &path,
        json!({
            "component_id": performance, "frequency": "quarterly", "score_basis": "value",
            "over_time": "max", "across_orgs": "average",
        }),
    )
    .await;
    frozen.assert_problem(409, "invalid-state");
    assert_eq!(
        frozen.error_fields(),
        [
            "component_id",
            "frequency",
            "score_basis",
            "over_time",
            "across_orgs"
        ]
    );
    let renegotiated = patched(
        &app,
        &token,
        &path,
        json!({
            "target": 18, "weight": 2, "baseline": 6000, "criteria": three_level(8.0, 13.0, 18.0),
        }),
    )
    .await;
    renegotiated.assert_status(200);
    let audit = read(
        &app,
        &token,
        &format!(
            "/api/v1/audit-events?entity_type=indicator&entity_id={}",
            energy["id"]
        ),
    )
    .await;
    let last = audit["items"]
        .as_array()
        .and_then(|i| i.last())
        .cloned()
        .expect("event");
    assert_eq!(last["action"], "update");
    assert_eq!(last["details"]["before"]["target"], 20.0);
    assert_eq!(last["details"]["after"]["target"], 18.0);
    assert_eq!(last["details"]["after"]["weight"], 2.0);
    assert_eq!(last["details"]["after"]["criteria"][2]["value"], 18.0);
    let added = app
        .post("/api/v1/indicators")
        .bearer(&token)
        .json(&json!({
            "evaluation_id": evaluation, "component_id": performance, "code": "1.5", "name": "ใหม่",
            "criteria": three_level(1.0, 2.0, 3.0),
        }))
        .send()
        .await;
    added.assert_problem(409, "invalid-state");
    app.delete(&path)
        .bearer(&token)
        .send()
        .await
        .assert_problem(409, "invalid-state");
    patched(
        &app,
        &token,
        &format!("/api/v1/evaluations/{evaluation}"),
        json!({"status": "closed"}),
    )
    .await
    .assert_status(200);
    patched(&app, &token, &path, json!({"target": 15}))
        .await
        .assert_problem(409, "invalid-state");
    assert_eq!(read(&app, &token, &path).await["target"], 18.0);
}

/// While active, every reporting organization of a reduction indicator keeps a baseline, its
/// own or the indicator's: scoring relies on it (a missing one is never counted as 0).
async fn an_active_reduction_indicator_keeps_a_baseline_for_every_reporter(app: TestApp) {
    let token = app.yasothon_admin();
    let evaluation = active_demo(&app, &token).await;
    let energy = indicator_by_code(&app, &token, evaluation, "E.1").await;
    let path = format!("/api/v1/indicators/{}", energy["id"]);
    // Every demo host of E.1 has its own baseline: the indicator's is not needed.
    let without = patched(&app, &token, &path, json!({"baseline": null})).await;
    without.assert_status(200);
    let hosts = read(&app, &token, &format!("{path}/assignments?limit=500")).await;
    let peo = hosts["items"]
        .as_array()
        .and_then(|items| items.iter().find(|a| a["organization_code"] == "YST-PEO"))
        .cloned()
        .expect("YST-PEO hosts E.1");
    assert_eq!(peo["baseline"], 2800.0);
    let peo_path = format!("/api/v1/assignments/{}", peo["id"]);
    let dropped = patched(&app, &token, &peo_path, json!({"baseline": null})).await;
    dropped.assert_problem(409, "invalid-state");
    assert_eq!(dropped.error_fields(), ["baseline"]);
    assert!(dropped.json()["detail"]
        .as_str()
        .is_some_and(|d| d.contains("YST-PEO")));
    // A new reporting organization mid-year brings its baseline.
    let district = app.org_id("YST-D01").await;
    let new_host = json!({"organization_id": district, "role": "co_host"});
    let refused = app
        .post(&format!("{path}/assignments"))
        .bearer(&token)
        .json(&new_host)
        .send()
        .await;
    refused.assert_problem(409, "invalid-state");
    assert_eq!(refused.error_fields(), ["baseline"]);
    let mut with_baseline = new_host.clone();
    with_baseline["baseline"] = json!(1500);
    created(&app, &token, &format!("{path}/assignments"), with_baseline).await;
    // A supervisor reports nothing and needs none.
    let supervisor = app.org_id("YST-D02").await;
    created(
        &app,
        &token,
        &format!("{path}/assignments"),
        json!({"organization_id": supervisor, "role": "supervisor"}),
    )
    .await;
    // Now the indicator's baseline covers everyone, and an assignment may go without.
    patched(&app, &token, &path, json!({"baseline": 5000}))
        .await
        .assert_status(200);
    patched(&app, &token, &peo_path, json!({"baseline": null}))
        .await
        .assert_status(200);
    let restored = patched(&app, &token, &path, json!({"baseline": null})).await;
    restored.assert_problem(409, "invalid-state");
    assert_eq!(restored.error_fields(), ["baseline"]);
}

/// A stored value the domain cannot read (an unknown frequency, corrupt criteria) is an
/// internal error, never a guess: 500 problem, nothing made up.
async fn unreadable_stored_indicators_are_internal_errors(app: TestApp) {
    let token = app.yasothon_admin();
    let (evaluation, component) = draft_with_component(&app, &token).await;
    let make = |code: &str| {
        json!({"evaluation_id": evaluation, "component_id": component, "code": code,
            "name": "ทดสอบ", "criteria": three_level(1.0, 2.0, 3.0)})
    };
    let corrupt_criteria = created(&app, &token, "/api/v1/indicators", make("1.1")).await;
    let corrupt_frequency = created(&app, &token, "/api/v1/indicators", make("1.2")).await;
    let (a, b) = (&corrupt_criteria["id"], &corrupt_frequency["id"]);
    corrupt(
        &app,
        &format!(
            "UPDATE indicators SET criteria = '[{{\"value\": 1}}' WHERE id = {a};
             PRAGMA ignore_check_constraints = ON;
             UPDATE indicators SET frequency = 'fortnightly' WHERE id = {b};"
        ),
        &format!(
            "UPDATE indicators SET criteria = '[{{\"value\": 1}}' WHERE id = {a};
             ALTER TABLE indicators DROP CONSTRAINT indicators_frequency_check;
             UPDATE indicators SET frequency = 'fortnightly' WHERE id = {b};"
        ),
    );
    for path in [
        format!("/api/v1/indicators/{a}"),
        format!("/api/v1/indicators/{b}"),
        format!("/api/v1/indicators?evaluation_id={evaluation}"),
        format!("/api/v1/evaluations/{evaluation}/framework"),
    ] {
        let response = app.get(&path).bearer(&token).send().await;
        let problem = response.assert_problem(500, "internal");
        assert!(
            !problem["detail"].to_string().contains("fortnightly"),
            "internals stay in the log: {problem}"
        );
    }
    patched(
        &app,
        &token,
        &format!("/api/v1/indicators/{b}"),
        json!({"frequency": "monthly"}),
    )
    .await
    .assert_problem(500, "internal");
}
