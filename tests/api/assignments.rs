//! Assignments: one per (indicator, organization), organizations of the province or of none,
//! who reads them, what an evaluation's status allows, and stored values that cannot be read.

use serde_json::{json, Value};

use crate::both_engines;
use crate::fixtures::{
    active_demo, draft_indicator, get, indicator_by_code, patch, post, put_framework, sql,
    three_level,
};
use crate::support::TestApp;

both_engines!(
    one_assignment_per_indicator_and_organization,
    an_organization_of_another_province_is_refused,
    an_agency_officer_reads_the_province_s_assignments,
    assignments_change_while_active_not_once_closed,
    a_patch_keeps_what_it_does_not_name,
    an_unreadable_stored_role_is_an_internal_error,
    a_burst_for_one_organization_creates_one_assignment,
    a_regional_unit_reads_its_own_assignments,
);

/// One assignment per (indicator, organization) under concurrency: of a burst naming one
/// organization in every role, exactly one is created; the rest are 409s naming the field.
async fn a_burst_for_one_organization_creates_one_assignment(app: TestApp) {
    let token = app.yasothon_admin();
    let (_, indicator) = draft_indicator(
        &app,
        &token,
        json!({"code": "1.4", "name": "ขยะมูลฝอย", "criteria": three_level(70.0, 80.0, 90.0)}),
    )
    .await;
    let path = format!("/api/v1/indicators/{}/assignments", indicator["id"]);
    let dla = app.org_id("YST-DLA").await;
    let roles = [
        "host",
        "co_host",
        "supervisor",
        "host",
        "co_host",
        "supervisor",
    ];
    let burst = roles.iter().map(|role| {
        app.post(&path)
            .bearer(&token)
            .json(&json!({"organization_id": dla, "role": role}))
            .send()
    });
    let responses = futures_util::future::join_all(burst).await;
    let mut statuses: Vec<u16> = responses.iter().map(|r| r.status.as_u16()).collect();
    statuses.sort();
    assert_eq!(statuses, [201, 409, 409, 409, 409, 409]);
    for refused in responses.iter().filter(|r| r.status.as_u16() == 409) {
        refused.assert_problem(409, "duplicate");
        assert_eq!(refused.error_fields(), vec!["organization_id"]);
    }
    let listed = app.get(&path).bearer(&token).send().await.json();
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(1));
}

/// An organization has one role per indicator: host and co-host of one indicator would count
/// its one report twice. A second assignment is a 409 naming `organization_id`, before the
/// database's unique index would answer, at create, at patch and in a framework document.
async fn one_assignment_per_indicator_and_organization(app: TestApp) {
    let token = app.yasothon_admin();
    let (evaluation, indicator) = draft_indicator(
        &app,
        &token,
        json!({
            "code": "1.4", "name": "ร้อยละของปริมาณขยะมูลฝอยชุมชนได้รับการจัดการอย่างถูกต้อง",
            "criteria": three_level(70.0, 80.0, 90.0),
        }),
    )
    .await;
    let path = format!("/api/v1/indicators/{}/assignments", indicator["id"]);
    let (dla, nre) = (app.org_id("YST-DLA").await, app.org_id("YST-NRE").await);
    post(
        &app,
        &token,
        &path,
        json!({"organization_id": dla, "role": "host"}),
    )
    .await;
    for role in ["co_host", "supervisor", "host"] {
        let twice = app
            .post(&path)
            .bearer(&token)
            .json(&json!({"organization_id": dla, "role": role}))
            .send()
            .await;
        let problem = twice.assert_problem(409, "duplicate");
        assert_eq!(twice.error_fields(), ["organization_id"], "{role}");
        assert!(
            problem["detail"]
                .as_str()
                .is_some_and(|d| d.contains("YST-DLA") && d.contains("1.4")),
            "{problem}"
        );
    }
    let second = post(
        &app,
        &token,
        &path,
        json!({"organization_id": nre, "role": "co_host"}),
    )
    .await;
    let second_path = format!("/api/v1/assignments/{}", second["id"]);
    let moved = patch(&app, &token, &second_path, json!({"organization_id": dla})).await;
    moved.assert_problem(409, "duplicate");
    assert_eq!(moved.error_fields(), ["organization_id"]);
    // Changing one's own role is the way.
    let promoted = patch(&app, &token, &second_path, json!({"role": "host"})).await;
    promoted.assert_status(200);
    let listed = get(&app, &token, &path).await;
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(2));
    // A framework document says the same.
    let document = json!({"components": [{"code": "1", "name": "Performance Base", "weight": 100,
    "indicators": [{"code": "1.4", "name": "ขยะ", "criteria": three_level(70.0, 80.0, 90.0),
        "assignments": [
            {"organization_code": "YST-DLA", "role": "host"},
            {"organization_code": "YST-DLA", "role": "co_host"},
        ]}]}]});
    let imported = put_framework(&app, &token, evaluation, &document).await;
    imported.assert_problem(422, "validation");
    assert_eq!(
        imported.error_fields(),
        ["components[0].indicators[0].assignments[1].organization_code"]
    );
}

/// An assignment's organization is under the evaluation's province or has no province above
/// it (a regional unit): one under another province is a 422 naming `organization_id`, and a
/// malformed contact a 422 naming it; nothing refused is stored.
async fn an_organization_of_another_province_is_refused(app: TestApp) {
    let token = app.admin();
    let (_, indicator) = draft_indicator(&app, &token, json!({})).await;
    let path = format!("/api/v1/indicators/{}/assignments", indicator["id"]);
    let samut_prakan = app.org_id("SPK-PO").await;
    let refused = app
        .post(&path)
        .bearer(&token)
        .json(&json!({"organization_id": samut_prakan, "role": "host"}))
        .send()
        .await;
    refused.assert_problem(422, "validation");
    assert_eq!(refused.error_fields(), vec!["organization_id"]);
    assert!(refused.json()["errors"][0]["message"]
        .as_str()
        .unwrap_or("")
        .contains("another province"));
    // Roi Et's rice research centre, a regional unit with no province, hosts it.
    let rice = app.org_id("RD-RET").await;
    post(
        &app,
        &token,
        &path,
        json!({"organization_id": rice, "role": "host"}),
    )
    .await;
    // The fields are judged before the one-per-organization rule: a 422, not a 409.
    let bad_email = app
        .post(&path)
        .bearer(&token)
        .json(&json!({"organization_id": rice, "role": "co_host", "contact_email": "not an email"}))
        .send()
        .await;
    bad_email.assert_problem(422, "validation");
    assert_eq!(bad_email.error_fields(), vec!["contact_email"]);
    let listed = get(&app, &token, &path).await;
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(1));
}

/// An agency officer reads its province's framework, assignments and contacts included, the
/// same through every path: the framework, one assignment, an organization's list — what its
/// own organization must report, what another agency reports, what the provincial office
/// supervises. Another province sees none of it.
async fn an_agency_officer_reads_the_province_s_assignments(app: TestApp) {
    let token = app.yasothon_admin();
    let evaluation = active_demo(&app, &token).await;
    let officer = app.token("agency_officer", Some("YST-PEO"));
    let indicator_codes = |list: &Value| -> Vec<String> {
        list["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|a| a["indicator_code"].as_str().map(str::to_owned))
            .collect()
    };
    let energy = app.org_id("YST-PEO").await;
    let own = get(
        &app,
        &officer,
        &format!("/api/v1/organizations/{energy}/assignments?role=host"),
    )
    .await;
    assert_eq!(indicator_codes(&own), ["E.1", "E.2"]);
    assert_eq!(own["items"][0]["baseline"], 2800.0);
    let health = app.org_id("YST-PHO").await;
    let theirs = get(
        &app,
        &officer,
        &format!("/api/v1/organizations/{health}/assignments?role=host"),
    )
    .await;
    assert_eq!(indicator_codes(&theirs), ["1.2", "E.1", "E.2"]);
    let one = get(
        &app,
        &officer,
        &format!("/api/v1/assignments/{}", theirs["items"][0]["id"]),
    )
    .await;
    assert_eq!(one["organization_code"], "YST-PHO");
    let framework = get(
        &app,
        &officer,
        &format!("/api/v1/evaluations/{evaluation}/framework"),
    )
    .await;
    assert!(framework["components"][0]["indicators"][1]["assignments"]
        .as_array()
        .is_some_and(|a| a.iter().any(|a| a["organization_code"] == "YST-PHO")));
    // The provincial office supervises every indicator of the demo framework.
    let office = app.org_id("YST-PO").await;
    let supervised = get(
        &app,
        &token,
        &format!("/api/v1/organizations/{office}/assignments?role=supervisor"),
    )
    .await;
    assert_eq!(supervised["items"].as_array().map(Vec::len), Some(8));
    // Another province's organization is not in view at all.
    let samut_prakan = app.org_id("SPK-PO").await;
    app.get(&format!("/api/v1/organizations/{samut_prakan}/assignments"))
        .bearer(&officer)
        .send()
        .await
        .assert_problem(404, "not-found");
    // Samut Prakan's officer and admin see nothing of Yasothon's, even of a regional unit's.
    let rice = app.org_id("RD-RET").await;
    for role in ["agency_officer", "province_admin"] {
        let other = get(
            &app,
            &app.token(role, Some("SPK-PO")),
            &format!("/api/v1/organizations/{rice}/assignments"),
        )
        .await;
        assert_eq!(other["items"], json!([]), "{role}");
    }
}

/// Assignments change while the evaluation is active (a new host mid-year, a new contact, a
/// corrected baseline), each audited; a closed evaluation is read-only.
async fn assignments_change_while_active_not_once_closed(app: TestApp) {
    let token = app.yasothon_admin();
    let evaluation = active_demo(&app, &token).await;
    let rice = indicator_by_code(&app, &token, evaluation, "1.1").await;
    let path = format!("/api/v1/indicators/{}/assignments", rice["id"]);
    let district = app.org_id("YST-D03").await;
    let added = post(
        &app,
        &token,
        &path,
        json!({"organization_id": district, "role": "co_host", "contact_phone": "045-789012"}),
    )
    .await;
    let added_path = format!("/api/v1/assignments/{}", added["id"]);
    let changed = patch(
        &app,
        &token,
        &added_path,
        json!({"contact_phone": "045-789999", "target": 75}),
    )
    .await;
    changed.assert_status(200);
    let audit = get(
        &app,
        &token,
        &format!(
            "/api/v1/audit-events?entity_type=assignment&entity_id={}",
            added["id"]
        ),
    )
    .await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(actions, ["create", "update"]);
    assert_eq!(
        audit["items"][1]["details"]["after"]["contact_phone"],
        "045-789999"
    );
    patch(
        &app,
        &token,
        &format!("/api/v1/evaluations/{evaluation}"),
        json!({"status": "closed"}),
    )
    .await
    .assert_status(200);
    let other_district = app.org_id("YST-D04").await;
    let attempts = [
        app.post(&path)
            .bearer(&token)
            .json(&json!({"organization_id": other_district, "role": "co_host"}))
            .send()
            .await,
        patch(
            &app,
            &token,
            &added_path,
            json!({"contact_phone": "045-700000"}),
        )
        .await,
        app.delete(&added_path).bearer(&token).send().await,
    ];
    for response in attempts {
        response.assert_problem(409, "invalid-state");
    }
    assert_eq!(
        get(&app, &token, &added_path).await["contact_phone"],
        "045-789999"
    );
}

/// A merge patch of an assignment keeps every field it does not name.
async fn a_patch_keeps_what_it_does_not_name(app: TestApp) {
    let token = app.yasothon_admin();
    let (_, energy) = draft_indicator(
        &app,
        &token,
        json!({
            "code": "E.1", "name": "ไฟฟ้า", "score_basis": "reduction_from_baseline",
            "criteria": three_level(10.0, 15.0, 20.0),
        }),
    )
    .await;
    let peo = app.org_id("YST-PEO").await;
    let full = post(
        &app,
        &token,
        &format!("/api/v1/indicators/{}/assignments", energy["id"]),
        json!({"organization_id": peo, "role": "host", "contact_name": "นายสมชาย ใจดี",
            "contact_position": "พลังงานจังหวัด", "contact_phone": "045-712345",
            "contact_email": "peo.yasothon@energy.go.th", "baseline": 2800, "target": 20}),
    )
    .await;
    let path = format!("/api/v1/assignments/{}", full["id"]);
    let changed = patch(&app, &token, &path, json!({"contact_phone": "045-712346"})).await;
    changed.assert_status(200);
    let mut expected: Value = full.clone();
    expected["contact_phone"] = json!("045-712346");
    expected["version"] = json!(2);
    expected["updated_at"] = changed.json()["updated_at"].clone();
    assert_eq!(changed.json(), expected);
    for (body, field) in [
        (json!({"organization_code": "YST-PHO"}), "organization_code"),
        (json!({"indicator_id": 1}), "indicator_id"),
    ] {
        let refused = patch(&app, &token, &path, body).await;
        refused.assert_problem(400, "bad-request");
        assert_eq!(refused.error_fields(), [field]);
    }
}

/// An unknown role read back is an internal error, not a supervisor.
async fn an_unreadable_stored_role_is_an_internal_error(app: TestApp) {
    let token = app.yasothon_admin();
    let (evaluation, indicator) = draft_indicator(&app, &token, json!({})).await;
    let path = format!("/api/v1/indicators/{}/assignments", indicator["id"]);
    let host = post(
        &app,
        &token,
        &path,
        json!({"organization_id": app.org_id("YST-AGRI").await, "role": "host"}),
    )
    .await;
    let id = &host["id"];
    sql(
        &app,
        &format!(
            "PRAGMA ignore_check_constraints = ON;
             UPDATE assignments SET role = 'observer' WHERE id = {id};"
        ),
        &format!(
            "ALTER TABLE assignments DROP CONSTRAINT assignments_role_check;
             UPDATE assignments SET role = 'observer' WHERE id = {id};"
        ),
    );
    let organization = app.org_id("YST-AGRI").await;
    for path in [
        format!("/api/v1/assignments/{id}"),
        path.clone(),
        format!("/api/v1/organizations/{organization}/assignments"),
        format!("/api/v1/evaluations/{evaluation}/framework"),
    ] {
        app.get(&path)
            .bearer(&token)
            .send()
            .await
            .assert_problem(500, "internal");
    }
}

/// Roi Et's rice research centre (RD-RET, no province above it) hosts Yasothon's 1.1: its
/// own people read that assignment in its list, as the admin does, though Yasothon's
/// evaluation is not in their view otherwise; Samut Prakan's people still see none of it.
async fn a_regional_unit_reads_its_own_assignments(app: TestApp) {
    let evaluation = active_demo(&app, &app.yasothon_admin()).await;
    let rice = app.org_id("RD-RET").await;
    let path = format!("/api/v1/organizations/{rice}/assignments");
    let admin = get(&app, &app.admin(), &path).await;
    let codes = |list: &Value| -> Vec<(String, String, i64)> {
        list["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|a| {
                (
                    a["indicator_code"].as_str().unwrap_or_default().to_owned(),
                    a["role"].as_str().unwrap_or_default().to_owned(),
                    a["evaluation_id"].as_i64().unwrap_or_default(),
                )
            })
            .collect()
    };
    assert_eq!(codes(&admin).len(), 1);
    assert_eq!(codes(&admin)[0].0, "1.1");
    assert_eq!(codes(&admin)[0].2, evaluation);
    for role in ["agency_officer", "viewer"] {
        let own = get(&app, &app.token(role, Some("RD-RET")), &path).await;
        assert_eq!(own["items"], admin["items"], "{role}");
        let filtered = get(
            &app,
            &app.token(role, Some("RD-RET")),
            &format!("{path}?evaluation_id={evaluation}&role=supervisor"),
        )
        .await;
        assert_eq!(filtered["items"], json!([]), "{role}");
    }
    let elsewhere = get(&app, &app.token("agency_officer", Some("SPK-PO")), &path).await;
    assert_eq!(elsewhere["items"], json!([]));
}
