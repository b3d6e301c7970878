//! Indicators and assignments. (Evaluations, components and the framework document have
//! their own files; the shared steps are in `fixtures`.)

use serde_json::{json, Value};

use crate::both_engines;
// `create_evaluation` lived here; files that import it from here keep working.
pub use crate::fixtures::create_evaluation;
use crate::fixtures::{patch, post, three_level};
use crate::support::{TestApp, TestResponse};

both_engines!(
    invalid_criteria_are_refused_with_paths_and_nothing_is_stored,
    assignment_to_another_province_is_refused,
    active_evaluation_freezes_structure_but_not_targets,
    organization_assignments_answer_what_an_agency_must_report,
    indicator_search_and_filters,
    organization_in_use_by_an_assignment_cannot_be_deleted,
);

async fn organization_in_use_by_an_assignment_cannot_be_deleted(app: TestApp) {
    let admin = app.admin();
    let province = app.org_id("TH-35").await;
    let org = post(&app, &admin, "/api/v1/organizations", json!({"code": "YST-LAND", "name_th": "สำนักงานที่ดินจังหวัดยโสธร", "kind": "agency", "parent_id": province})).await;
    let evaluation = create_evaluation(&app, &admin, 2565, None).await;
    let c = post(
        &app,
        &admin,
        &format!("/api/v1/evaluations/{evaluation}/components"),
        json!({"code": "1", "name": "Performance Base", "weight": 100}),
    )
    .await;
    let indicator = post(&app, &admin, "/api/v1/indicators", json!({"evaluation_id": evaluation, "component_id": c["id"], "code": "1.1", "name": "ที่ดิน", "criteria": three_level(1.0, 2.0, 3.0)})).await;
    post(
        &app,
        &admin,
        &format!("/api/v1/indicators/{}/assignments", indicator["id"]),
        json!({"organization_id": org["id"], "role": "host"}),
    )
    .await;
    let refused = app
        .delete(&format!("/api/v1/organizations/{}", org["id"]))
        .bearer(&admin)
        .send()
        .await;
    refused.assert_problem(409, "referenced");
    app.get(&format!("/api/v1/organizations/{}", org["id"]))
        .bearer(&admin)
        .send()
        .await
        .assert_status(200);
    // Deleting the indicator (a draft) takes its assignments along; then the organization goes.
    app.delete(&format!("/api/v1/indicators/{}", indicator["id"]))
        .bearer(&admin)
        .send()
        .await
        .assert_status(204);
    app.delete(&format!("/api/v1/organizations/{}", org["id"]))
        .bearer(&admin)
        .send()
        .await
        .assert_status(204);
}

async fn invalid_criteria_are_refused_with_paths_and_nothing_is_stored(app: TestApp) {
    let token = app.yasothon_admin();
    let evaluation = create_evaluation(&app, &token, 2565, None).await;
    let component = post(
        &app,
        &token,
        &format!("/api/v1/evaluations/{evaluation}/components"),
        json!({"code": "1", "name": "Performance Base", "weight": 70}),
    )
    .await;
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
        let response = app.post("/api/v1/indicators").bearer(&token).json(&json!({
            "evaluation_id": evaluation, "component_id": component["id"], "code": "1.1", "name": "ทดสอบ", "criteria": criteria,
        })).send().await;
        response.assert_problem(422, "validation");
        assert_eq!(response.error_fields(), fields);
    }
    let weight = app.post("/api/v1/indicators").bearer(&token).json(&json!({
        "evaluation_id": evaluation, "component_id": component["id"], "code": "", "name": "", "weight": 0,
        "score_basis": "reduction_from_baseline", "baseline": 0, "criteria": three_level(1.0, 2.0, 3.0),
    })).send().await;
    weight.assert_problem(422, "validation");
    assert_eq!(
        weight.error_fields(),
        vec!["code", "name", "weight", "baseline"]
    );
    let bad_component = app
        .post(&format!("/api/v1/evaluations/{evaluation}/components"))
        .bearer(&token)
        .json(&json!({"code": "2", "name": "x", "weight": 0}))
        .send()
        .await;
    assert_eq!(bad_component.error_fields(), vec!["weight"]);
    let listed = app
        .get(&format!("/api/v1/indicators?evaluation_id={evaluation}"))
        .bearer(&token)
        .send()
        .await
        .json();
    assert_eq!(listed["items"], json!([]), "nothing stored");
}

async fn assignment_to_another_province_is_refused(app: TestApp) {
    let admin = app.admin();
    let evaluation = create_evaluation(&app, &admin, 2565, None).await;
    let c = post(
        &app,
        &admin,
        &format!("/api/v1/evaluations/{evaluation}/components"),
        json!({"code": "1", "name": "Performance Base", "weight": 100}),
    )
    .await;
    let indicator = post(&app, &admin, "/api/v1/indicators", json!({"evaluation_id": evaluation, "component_id": c["id"], "code": "1.1", "name": "ข้าว", "criteria": three_level(60.0, 70.0, 80.0)})).await;
    let path = format!("/api/v1/indicators/{}/assignments", indicator["id"]);
    let samut_prakan = app.org_id("SPK-PO").await;
    let refused = app
        .post(&path)
        .bearer(&admin)
        .json(&json!({"organization_id": samut_prakan, "role": "host"}))
        .send()
        .await;
    refused.assert_problem(422, "validation");
    assert_eq!(refused.error_fields(), vec!["organization_id"]);
    assert!(refused.json()["errors"][0]["message"]
        .as_str()
        .unwrap_or("")
        .contains("another province"));
    let rice = app.org_id("RD-RET").await;
    post(
        &app,
        &admin,
        &path,
        json!({"organization_id": rice, "role": "host"}),
    )
    .await;
    app.post(&path)
        .bearer(&admin)
        .json(&json!({"organization_id": rice, "role": "host"}))
        .send()
        .await
        .assert_problem(409, "duplicate");
    let bad_email = app
        .post(&path)
        .bearer(&admin)
        .json(&json!({"organization_id": rice, "role": "co_host", "contact_email": "not an email"}))
        .send()
        .await;
    assert_eq!(bad_email.error_fields(), vec!["contact_email"]);
    let listed = app.get(&path).bearer(&admin).send().await.json();
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(1));
}

async fn active_evaluation_freezes_structure_but_not_targets(app: TestApp) {
    let token = app.yasothon_admin();
    let evaluation = create_evaluation(&app, &token, 2565, Some(("2021-09", "2022-09"))).await;
    let document: Value =
        serde_json::to_value(provincial_kpi::demo::framework_document()).expect("json");
    app.request(
        actix_web::http::Method::PUT,
        &format!("/api/v1/evaluations/{evaluation}/framework"),
    )
    .bearer(&token)
    .json(&document)
    .send()
    .await
    .assert_status(200);
    patch(
        &app,
        &token,
        &format!("/api/v1/evaluations/{evaluation}"),
        json!({"status": "active"}),
    )
    .await
    .assert_status(200);

    let indicators = app
        .get(&format!(
            "/api/v1/indicators?evaluation_id={evaluation}&q=E.1"
        ))
        .bearer(&token)
        .send()
        .await
        .json();
    let energy = indicators["items"][0].clone();
    assert_eq!(energy["score_basis"], "reduction_from_baseline");
    let path = format!("/api/v1/indicators/{}", energy["id"]);
    let frozen = patch(
        &app,
        &token,
        &path,
        json!({"frequency": "quarterly", "over_time": "max"}),
    )
    .await;
    frozen.assert_problem(409, "invalid-state");
    assert_eq!(frozen.error_fields(), vec!["frequency", "over_time"]);
    // Targets and criteria are renegotiated mid-year: allowed, and audited.
    let renegotiated = patch(
        &app,
        &token,
        &path,
        json!({"target": 18, "criteria": three_level(8.0, 13.0, 18.0)}),
    )
    .await;
    renegotiated.assert_status(200);
    assert_eq!(renegotiated.json()["target"], 18.0);
    let audit = app
        .get(&format!(
            "/api/v1/audit-events?entity_type=indicator&entity_id={}",
            energy["id"]
        ))
        .bearer(&token)
        .send()
        .await
        .json();
    let last = audit["items"]
        .as_array()
        .and_then(|items| items.last())
        .cloned()
        .expect("event");
    assert_eq!(last["details"]["before"]["target"], 20.0);
    assert_eq!(last["details"]["after"]["target"], 18.0);

    app.delete(&path)
        .bearer(&token)
        .send()
        .await
        .assert_problem(409, "invalid-state");
}

async fn organization_assignments_answer_what_an_agency_must_report(app: TestApp) {
    let token = app.yasothon_admin();
    let evaluation = create_evaluation(&app, &token, 2565, Some(("2021-09", "2022-09"))).await;
    let document: Value =
        serde_json::to_value(provincial_kpi::demo::framework_document()).expect("json");
    app.request(
        actix_web::http::Method::PUT,
        &format!("/api/v1/evaluations/{evaluation}/framework"),
    )
    .bearer(&token)
    .json(&document)
    .send()
    .await
    .assert_status(200);
    let energy = app.org_id("YST-PEO").await;
    let health = app.org_id("YST-PHO").await;
    let officer = app.token("agency_officer", Some("YST-PEO"));
    let own = app
        .get(&format!(
            "/api/v1/organizations/{energy}/assignments?role=host"
        ))
        .bearer(&officer)
        .send()
        .await;
    own.assert_status(200);
    let codes: Vec<String> = own.json()["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|a| a["indicator_code"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(codes, vec!["E.1", "E.2"]);
    assert_eq!(own.json()["items"][0]["baseline"], 2800.0);
    // Like the framework, who hosts what is read across the province (docs/DOMAIN.md "Who may
    // do what").
    let other_agency = app
        .get(&format!("/api/v1/organizations/{health}/assignments"))
        .bearer(&officer)
        .send()
        .await;
    other_agency.assert_status(200);
    assert_eq!(other_agency.json()["items"][0]["indicator_code"], "1.2");
    // The provincial office supervises every indicator of the demo framework.
    let office = app.org_id("YST-PO").await;
    let supervised = app
        .get(&format!(
            "/api/v1/organizations/{office}/assignments?role=supervisor"
        ))
        .bearer(&token)
        .send()
        .await
        .json();
    assert_eq!(supervised["items"].as_array().map(Vec::len), Some(8));
    // Samut Prakan sees nothing of Yasothon's assignments, even of a national unit.
    let rice = app.org_id("RD-RET").await;
    let other = app
        .get(&format!("/api/v1/organizations/{rice}/assignments"))
        .bearer(&app.token("province_admin", Some("SPK-PO")))
        .send()
        .await;
    assert_eq!(other.json()["items"], json!([]));
}

async fn indicator_search_and_filters(app: TestApp) {
    let token = app.yasothon_admin();
    let evaluation = create_evaluation(&app, &token, 2565, None).await;
    let document: Value =
        serde_json::to_value(provincial_kpi::demo::framework_document()).expect("json");
    app.request(
        actix_web::http::Method::PUT,
        &format!("/api/v1/evaluations/{evaluation}/framework"),
    )
    .bearer(&token)
    .json(&document)
    .send()
    .await
    .assert_status(200);
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
