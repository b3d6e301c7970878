//! Indicators: field rules, codes ignoring case, search and filters, what an active
//! evaluation freezes, patches that keep what they do not name, and stored values that cannot
//! be read.

use serde_json::{json, Value};

use crate::both_engines;
use crate::fixtures::{
    active_demo, demo_evaluation, draft_with_component, get, indicator_by_code, patch, post, sql,
    three_level,
};
use crate::support::{TestApp, TestResponse};

both_engines!(
    invalid_criteria_are_refused_with_paths_and_nothing_is_stored,
    baselines_are_greater_than_zero,
    indicator_codes_are_unique_ignoring_case,
    a_patch_keeps_what_it_does_not_name,
    an_active_evaluation_freezes_structure_not_targets,
    an_active_reduction_indicator_keeps_a_baseline_for_every_reporter,
    unreadable_stored_indicators_are_internal_errors,
    indicator_search_and_filters,
);

/// Criteria and fields are checked together: every problem at once, each with its path
/// (`criteria[1].value`), and nothing stored.
async fn invalid_criteria_are_refused_with_paths_and_nothing_is_stored(app: TestApp) {
    let token = app.yasothon_admin();
    let (evaluation, component) = draft_with_component(&app, &token).await;
    let cases = [
        (json!([{"value": 60, "score": 50}]), vec!["criteria"]),
        (
            json!([{"value": 60, "score": 50}, {"value": 60, "score": 75}]),
            vec!["criteria[1].value"],
        ),
        (
            json!([{"value": 60, "score": 50}, {"value": 70, "score": 40}, {"value": 65, "score": 100}]),
            vec!["criteria[1].score", "criteria[2].value"],
        ),
    ];
    for (criteria, fields) in cases {
        let response = app
            .post("/api/v1/indicators")
            .bearer(&token)
            .json(&json!({
                "evaluation_id": evaluation, "component_id": component, "code": "1.1",
                "name": "ทดสอบ", "criteria": criteria,
            }))
            .send()
            .await;
        response.assert_problem(422, "validation");
        assert_eq!(response.error_fields(), fields);
    }
    let fields = app
        .post("/api/v1/indicators")
        .bearer(&token)
        .json(&json!({
            "evaluation_id": evaluation, "component_id": component, "code": "", "name": "",
            "weight": 0, "score_basis": "reduction_from_baseline", "baseline": 0,
            "criteria": three_level(1.0, 2.0, 3.0),
        }))
        .send()
        .await;
    fields.assert_problem(422, "validation");
    assert_eq!(
        fields.error_fields(),
        vec!["code", "name", "weight", "baseline"]
    );
    let listed = get(
        &app,
        &token,
        &format!("/api/v1/indicators?evaluation_id={evaluation}"),
    )
    .await;
    assert_eq!(listed["items"], json!([]), "nothing stored");
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
    let listed = get(
        &app,
        &token,
        &format!("/api/v1/indicators?evaluation_id={evaluation}"),
    )
    .await;
    assert_eq!(listed["items"], json!([]), "nothing stored");
    // A reduction indicator needs no baseline of its own: its hosts may each have one.
    let energy = post(
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
    let zero = patch(&app, &token, &path, json!({"baseline": 0})).await;
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
    let host = post(
        &app,
        &token,
        &assignments,
        json!({"organization_id": peo, "role": "host", "baseline": 2800}),
    )
    .await;
    let negative = patch(
        &app,
        &token,
        &format!("/api/v1/assignments/{}", host["id"]),
        json!({"baseline": -1}),
    )
    .await;
    negative.assert_problem(422, "validation");
    assert_eq!(negative.error_fields(), ["baseline"]);
    assert_eq!(get(&app, &token, &path).await["version"], 1);
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
    post(&app, &token, "/api/v1/indicators", body("E.1")).await;
    let twin = app
        .post("/api/v1/indicators")
        .bearer(&token)
        .json(&body("e.1"))
        .send()
        .await;
    twin.assert_problem(409, "duplicate");
    assert_eq!(twin.error_fields(), ["code"]);
    let fuel = post(&app, &token, "/api/v1/indicators", body("E.2")).await;
    let path = format!("/api/v1/indicators/{}", fuel["id"]);
    let renamed = patch(&app, &token, &path, json!({"code": "e.1"})).await;
    renamed.assert_problem(409, "duplicate");
    assert_eq!(renamed.error_fields(), ["code"]);
    // Its own code in another case is no clash.
    let recased = patch(&app, &token, &path, json!({"code": "e.2"})).await;
    recased.assert_status(200);
    assert_eq!(recased.json()["code"], "e.2");
    // Another evaluation may use the code.
    let (other, other_component) = draft_with_component(&app, &token).await;
    post(
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
    let full = post(
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
    let renamed = patch(&app, &token, &path, json!({"name": "ลดใช้น้ำมัน"})).await;
    renamed.assert_status(200);
    let mut expected = full.clone();
    expected["name"] = json!("ลดใช้น้ำมัน");
    expected["version"] = json!(2);
    expected["updated_at"] = renamed.json()["updated_at"].clone();
    assert_eq!(renamed.json(), expected);
    let cleared = patch(
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
        let refused = patch(&app, &token, &path, body).await;
        refused.assert_problem(400, "bad-request");
        assert_eq!(refused.error_fields(), [field]);
    }
    assert_eq!(get(&app, &token, &path).await["version"], 3);
}

/// Once active: component, frequency, score basis and aggregation are frozen (409 naming each);
/// targets, criteria, weights and baselines may change, each audited; no indicator is added or
/// deleted. Closed is read-only.
async fn an_active_evaluation_freezes_structure_not_targets(app: TestApp) {
    let token = app.yasothon_admin();
    let evaluation = active_demo(&app, &token).await;
    let energy = indicator_by_code(&app, &token, evaluation, "E.1").await;
    assert_eq!(energy["score_basis"], "reduction_from_baseline");
    let path = format!("/api/v1/indicators/{}", energy["id"]);
    let components = get(
        &app,
        &token,
        &format!("/api/v1/evaluations/{evaluation}/components"),
    )
    .await;
    let performance = components["items"][0]["id"].clone();
    // The 409 names the frozen fields the change touches, and only those.
    let touched = patch(
        &app,
        &token,
        &path,
        json!({"frequency": "quarterly", "over_time": "max"}),
    )
    .await;
    touched.assert_problem(409, "invalid-state");
    assert_eq!(touched.error_fields(), ["frequency", "over_time"]);
    let frozen = patch(
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
    let renegotiated = patch(
        &app,
        &token,
        &path,
        json!({
            "target": 18, "weight": 2, "baseline": 6000, "criteria": three_level(8.0, 13.0, 18.0),
        }),
    )
    .await;
    renegotiated.assert_status(200);
    assert_eq!(renegotiated.json()["target"], 18.0);
    let audit = get(
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
    patch(
        &app,
        &token,
        &format!("/api/v1/evaluations/{evaluation}"),
        json!({"status": "closed"}),
    )
    .await
    .assert_status(200);
    patch(&app, &token, &path, json!({"target": 15}))
        .await
        .assert_problem(409, "invalid-state");
    assert_eq!(get(&app, &token, &path).await["target"], 18.0);
}

/// While active, every reporting organization of a reduction indicator keeps a baseline, its
/// own or the indicator's: scoring relies on it (a missing one is never counted as 0).
async fn an_active_reduction_indicator_keeps_a_baseline_for_every_reporter(app: TestApp) {
    let token = app.yasothon_admin();
    let evaluation = active_demo(&app, &token).await;
    let energy = indicator_by_code(&app, &token, evaluation, "E.1").await;
    let path = format!("/api/v1/indicators/{}", energy["id"]);
    // Every demo host of E.1 has its own baseline: the indicator's is not needed.
    let without = patch(&app, &token, &path, json!({"baseline": null})).await;
    without.assert_status(200);
    let hosts = get(&app, &token, &format!("{path}/assignments?limit=500")).await;
    let peo = hosts["items"]
        .as_array()
        .and_then(|items| items.iter().find(|a| a["organization_code"] == "YST-PEO"))
        .cloned()
        .expect("YST-PEO hosts E.1");
    assert_eq!(peo["baseline"], 2800.0);
    let peo_path = format!("/api/v1/assignments/{}", peo["id"]);
    let dropped = patch(&app, &token, &peo_path, json!({"baseline": null})).await;
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
    post(&app, &token, &format!("{path}/assignments"), with_baseline).await;
    // A supervisor reports nothing and needs none.
    let supervisor = app.org_id("YST-D02").await;
    post(
        &app,
        &token,
        &format!("{path}/assignments"),
        json!({"organization_id": supervisor, "role": "supervisor"}),
    )
    .await;
    // Now the indicator's baseline covers everyone, and an assignment may go without.
    patch(&app, &token, &path, json!({"baseline": 5000}))
        .await
        .assert_status(200);
    patch(&app, &token, &peo_path, json!({"baseline": null}))
        .await
        .assert_status(200);
    let restored = patch(&app, &token, &path, json!({"baseline": null})).await;
    restored.assert_problem(409, "invalid-state");
    assert_eq!(restored.error_fields(), ["baseline"]);
}

/// A stored value the domain cannot read (an unknown frequency, corrupt criteria) is an
/// internal error, never a guess: 500 problem, nothing made up — for the indicator and for
/// what is read through it.
async fn unreadable_stored_indicators_are_internal_errors(app: TestApp) {
    let token = app.yasothon_admin();
    let (evaluation, component) = draft_with_component(&app, &token).await;
    let make = |code: &str| {
        json!({"evaluation_id": evaluation, "component_id": component, "code": code,
            "name": "ทดสอบ", "criteria": three_level(1.0, 2.0, 3.0)})
    };
    let corrupt_criteria = post(&app, &token, "/api/v1/indicators", make("1.1")).await;
    let corrupt_frequency = post(&app, &token, "/api/v1/indicators", make("1.2")).await;
    let (a, b) = (&corrupt_criteria["id"], &corrupt_frequency["id"]);
    let host = post(
        &app,
        &token,
        &format!("/api/v1/indicators/{b}/assignments"),
        json!({"organization_id": app.org_id("YST-AGRI").await, "role": "host"}),
    )
    .await;
    sql(
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
        // The assignment reads, but its indicator does not: not a 404 as if out of view.
        format!("/api/v1/assignments/{}", host["id"]),
    ] {
        let response = app.get(&path).bearer(&token).send().await;
        let problem = response.assert_problem(500, "internal");
        assert!(
            !problem["detail"].to_string().contains("fortnightly"),
            "internals stay in the log: {problem}"
        );
    }
    patch(
        &app,
        &token,
        &format!("/api/v1/indicators/{b}"),
        json!({"frequency": "monthly"}),
    )
    .await
    .assert_problem(500, "internal");
}

/// `q` searches codes and names (Thai, and Latin letters ignoring case); `category` filters;
/// another province's caller finds nothing.
async fn indicator_search_and_filters(app: TestApp) {
    let token = app.yasothon_admin();
    let evaluation = demo_evaluation(&app, &token, None).await;
    let codes = |response: TestResponse| -> Vec<String> {
        response.json()["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|i| i["code"].as_str().map(str::to_owned))
            .collect()
    };
    let search = |q: &str| {
        app.get(&format!(
            "/api/v1/indicators?evaluation_id={evaluation}&q={}",
            crate::support::encode(q)
        ))
        .bearer(&token)
        .send()
    };
    assert_eq!(codes(search("covid-19").await), vec!["1.2"]);
    assert_eq!(codes(search("PMQA").await), vec!["2.2"]);
    assert_eq!(codes(search("ไฟฟ้า").await), vec!["E.1"]);
    let energy = app
        .get(&format!(
            "/api/v1/indicators?evaluation_id={evaluation}&category=energy_reduction"
        ))
        .bearer(&token)
        .send()
        .await;
    assert_eq!(codes(energy), vec!["E.1", "E.2"]);
    let other_province = app
        .get("/api/v1/indicators")
        .bearer(&app.token("viewer", Some("SPK-PO")))
        .send()
        .await;
    assert!(codes(other_province).is_empty());
}
