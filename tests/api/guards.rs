//! Guards on the framework (docs/DOMAIN.md, "Components, indicators and assignments"): once a
//! report exists for an (indicator, organization) — any status, a draft too — that assignment
//! keeps its organization and role and is not removed, and the codes of the indicator and of
//! the organization are fixed. Each refusal is a 409 naming the field with nothing changed;
//! the same changes pass before any report.

use serde_json::{json, Value};

use crate::both_engines;
use crate::fixtures::{get, patch, post, put_framework};
use crate::submissions::report_target;
use crate::support::TestApp;

both_engines!(
    a_reported_assignment_keeps_its_organization_and_role,
    a_reported_indicator_keeps_its_code,
    a_reported_organization_keeps_its_code_and_is_not_deleted,
    the_framework_document_never_replaces_a_reported_framework,
);

/// A draft report of YST-PEO for `indicator` in January 2565, filed by its officer.
async fn file_draft(app: &TestApp, indicator: i64, organization: i64) -> Value {
    post(
        app,
        &app.token("agency_officer", Some("YST-PEO")),
        "/api/v1/submissions",
        json!({"indicator_id": indicator, "organization_id": organization,
               "period": "2022-01", "value": 1180.5}),
    )
    .await
}

/// The assignment of `organization` on `indicator`.
async fn assignment_of(app: &TestApp, token: &str, indicator: i64, organization: i64) -> Value {
    let listed = get(
        app,
        token,
        &format!("/api/v1/indicators/{indicator}/assignments?limit=500"),
    )
    .await;
    listed["items"]
        .as_array()
        .and_then(|items| items.iter().find(|a| a["organization_id"] == organization))
        .cloned()
        .expect("assignment")
}

async fn a_reported_assignment_keeps_its_organization_and_role(app: TestApp) {
    let (_, e1, peo) = report_target(&app, "E.1", "YST-PEO").await;
    let admin = app.yasothon_admin();
    let district = app.org_id("YST-D01").await;
    let assignment = assignment_of(&app, &admin, e1, peo).await;
    let path = format!("/api/v1/assignments/{}", assignment["id"]);

    // Before any report: the role and the organization change, and change back.
    for body in [
        json!({"role": "co_host"}),
        json!({"role": "host"}),
        json!({"organization_id": district}),
        json!({"organization_id": peo}),
    ] {
        patch(&app, &admin, &path, body).await.assert_status(200);
    }

    file_draft(&app, e1, peo).await;
    let before = get(&app, &admin, &path).await;
    for (body, fields) in [
        (json!({"role": "co_host"}), vec!["role"]),
        (
            json!({"organization_id": district}),
            vec!["organization_id"],
        ),
        (
            json!({"organization_id": district, "role": "co_host", "contact_phone": "045-711111"}),
            vec!["organization_id", "role"],
        ),
    ] {
        let refused = patch(&app, &admin, &path, body).await;
        let problem = refused.assert_problem(409, "referenced");
        assert_eq!(refused.error_fields(), fields);
        let detail = problem["detail"].as_str().unwrap_or_default();
        assert!(
            detail.contains("organization YST-PEO has 1 report(s) for indicator E.1"),
            "{detail}"
        );
    }
    assert_eq!(get(&app, &admin, &path).await, before, "nothing changed");

    let deleted = app.delete(&path).bearer(&admin).send().await;
    let problem = deleted.assert_problem(409, "referenced");
    let detail = problem["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("organization YST-PEO has 1 report(s) for indicator E.1"),
        "{detail}"
    );
    assert_eq!(get(&app, &admin, &path).await, before, "still there");

    // Contacts, baseline and target still change; so does the same role spelled again.
    let changed = patch(
        &app,
        &admin,
        &path,
        json!({"role": "host", "contact_phone": "045-711111", "baseline": 2_700, "target": 25}),
    )
    .await;
    changed.assert_status(200);
    assert_eq!(changed.json()["baseline"], 2_700.0);
    assert_eq!(changed.json()["organization_id"], peo);

    // Another organization's assignment on the same indicator, without reports, goes.
    let pho = app.org_id("YST-PHO").await;
    let unreported = assignment_of(&app, &admin, e1, pho).await;
    app.delete(&format!("/api/v1/assignments/{}", unreported["id"]))
        .bearer(&admin)
        .send()
        .await
        .assert_status(204);
}

async fn a_reported_indicator_keeps_its_code(app: TestApp) {
    let (_, e1, peo) = report_target(&app, "E.1", "YST-PEO").await;
    let admin = app.yasothon_admin();
    let path = format!("/api/v1/indicators/{e1}");
    // Before any report the code changes (it is not frozen by activation).
    patch(&app, &admin, &path, json!({"code": "E.1a"}))
        .await
        .assert_status(200);
    patch(&app, &admin, &path, json!({"code": "E.1"}))
        .await
        .assert_status(200);

    file_draft(&app, e1, peo).await;
    let before = get(&app, &admin, &path).await;
    for code in ["E.9", "e.1"] {
        let refused = patch(&app, &admin, &path, json!({"code": code, "target": 30})).await;
        let problem = refused.assert_problem(409, "referenced");
        assert_eq!(refused.error_fields(), ["code"]);
        let detail = problem["detail"].as_str().unwrap_or_default();
        assert!(detail.contains("indicator E.1 has 1 report(s)"), "{detail}");
    }
    assert_eq!(get(&app, &admin, &path).await, before, "nothing changed");
    // The rest of what an active evaluation allows still changes, the code spelled as it is.
    let changed = patch(&app, &admin, &path, json!({"code": "E.1", "target": 30})).await;
    changed.assert_status(200);
    assert_eq!(changed.json()["target"], 30.0);
}

async fn a_reported_organization_keeps_its_code_and_is_not_deleted(app: TestApp) {
    let (_, e1, peo) = report_target(&app, "E.1", "YST-PEO").await;
    let admin = app.yasothon_admin();
    let path = format!("/api/v1/organizations/{peo}");
    // Before any report the code changes.
    patch(&app, &admin, &path, json!({"code": "YST-ENERGY"}))
        .await
        .assert_status(200);
    patch(&app, &admin, &path, json!({"code": "YST-PEO"}))
        .await
        .assert_status(200);
    // Without reports, what refers to it is named, not reports.
    let referenced = app.delete(&path).bearer(&admin).send().await;
    let problem = referenced.assert_problem(409, "referenced");
    assert!(
        !problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("report"),
        "{problem}"
    );

    file_draft(&app, e1, peo).await;
    let before = get(&app, &admin, &path).await;
    for code in ["YST-ENERGY", "yst-peo"] {
        let refused = patch(&app, &admin, &path, json!({"code": code})).await;
        let problem = refused.assert_problem(409, "referenced");
        assert_eq!(refused.error_fields(), ["code"]);
        let detail = problem["detail"].as_str().unwrap_or_default();
        assert!(
            detail.contains("organization YST-PEO has 1 report(s)"),
            "{detail}"
        );
    }
    let deleted = app.delete(&path).bearer(&app.admin()).send().await;
    let problem = deleted.assert_problem(409, "referenced");
    let detail = problem["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("organization YST-PEO is still referenced by 1 report(s)"),
        "{detail}"
    );
    assert_eq!(get(&app, &admin, &path).await, before, "nothing changed");
    let renamed = patch(
        &app,
        &admin,
        &path,
        json!({"name_en": "Yasothon Energy Office"}),
    )
    .await;
    renamed.assert_status(200);
    assert_eq!(renamed.json()["code"], "YST-PEO");
}

/// The framework document replaces a draft's framework only; reports are filed only while an
/// evaluation is active, and an active evaluation never becomes a draft again: a PUT never
/// meets a reported framework.
async fn the_framework_document_never_replaces_a_reported_framework(app: TestApp) {
    let (evaluation, e1, peo) = report_target(&app, "E.1", "YST-PEO").await;
    let admin = app.yasothon_admin();
    let report = file_draft(&app, e1, peo).await;
    let framework = format!("/api/v1/evaluations/{evaluation}/framework");
    let document = get(&app, &admin, &framework).await;
    put_framework(&app, &admin, evaluation, &json!({"components": []}))
        .await
        .assert_problem(409, "invalid-state");
    patch(
        &app,
        &admin,
        &format!("/api/v1/evaluations/{evaluation}"),
        json!({"status": "draft"}),
    )
    .await
    .assert_status(409);
    assert_eq!(get(&app, &admin, &framework).await, document);
    get(
        &app,
        &admin,
        &format!("/api/v1/submissions/{}", report["id"]),
    )
    .await;
}
