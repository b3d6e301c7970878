//! Reports and their workflow: one agency's month, on time at the edge, scope per
//! organization, and every refusal naming its field with nothing stored.

use serde_json::{json, Value};

use crate::both_engines;
use crate::fixtures::{active_demo, demo_evaluation, get, indicator_by_code, patch, post, sql};
use crate::support::{Engine, TestApp};

both_engines!(
    one_month_of_one_agency,
    on_time_exactly_at_the_edge_in_bangkok_time,
    an_officer_sees_and_writes_only_its_own_organization_s_reports,
    a_supervisor_reviews_only_what_its_organization_supervises,
    an_approved_report_is_locked_until_an_administrator_returns_it,
    refusals_name_the_field_and_store_nothing,
    a_second_report_for_the_same_month_is_a_conflict,
    a_burst_of_reports_for_one_month_files_one,
    only_an_active_evaluation_accepts_reports,
    a_draft_is_deleted_a_submitted_report_is_not,
    lists_filter_by_evaluation_indicator_organization_period_and_status,
    an_unreadable_stored_status_is_an_internal_error,
    a_report_waits_for_an_evaluation_being_closed,
    parallel_transitions_queue_without_if_match,
    an_edit_that_changes_nothing_writes_nothing,
    bodies_are_objects_and_problems_stay_small,
    a_regional_unit_s_officer_files_its_own_report,
);

/// The demo evaluation (active) and the ids of indicator `code` and organization `org`.
pub async fn report_target(app: &TestApp, code: &str, org: &str) -> (i64, i64, i64) {
    let admin = app.yasothon_admin();
    let evaluation = active_demo(app, &admin).await;
    let indicator = indicator_by_code(app, &admin, evaluation, code).await["id"]
        .as_i64()
        .expect("indicator");
    (evaluation, indicator, app.org_id(org).await)
}

fn officer(app: &TestApp) -> String {
    app.token("agency_officer", Some("YST-PEO"))
}

fn supervisor(app: &TestApp) -> String {
    app.token("supervisor", Some("YST-PO"))
}

async fn count_reports(app: &TestApp) -> usize {
    get(app, &app.admin(), "/api/v1/submissions?limit=500").await["items"]
        .as_array()
        .map_or(0, Vec::len)
}

/// Draft → submitted → returned with a comment → edited → submitted → approved; the history
/// shows every step with its actor, and the first submission never moves.
async fn one_month_of_one_agency(app: TestApp) {
    let (_, indicator, peo) = report_target(&app, "E.1", "YST-PEO").await;
    let officer = officer(&app);
    let supervisor = supervisor(&app);
    let draft = post(
        &app,
        &officer,
        "/api/v1/submissions",
        json!({"indicator_id": indicator, "organization_id": peo, "period": "2022-01",
               "value": 1180.5, "narrative": "ปิดเครื่องปรับอากาศช่วงพักเที่ยง",
               "evidence_urls": ["https://drive.example.go.th/peo/2565-01.pdf"]}),
    )
    .await;
    assert_eq!(draft["status"], "draft");
    assert_eq!(draft["period_label_th"], "ม.ค. 2565");
    assert_eq!(draft["due_at"], "2022-02-02T17:00:00Z");
    assert_eq!(draft["first_submitted_at"], Value::Null);
    assert_eq!(draft["on_time"], Value::Null);
    let id = draft["id"].as_i64().expect("id");
    let path = format!("/api/v1/submissions/{id}");

    let submitted = app
        .post(&format!("{path}/submit"))
        .bearer(&officer)
        .send()
        .await;
    submitted.assert_status(200);
    let submitted = submitted.json();
    assert_eq!(submitted["status"], "submitted");
    // Reported in 2026, long after the deadline of January 2022.
    assert_eq!(submitted["on_time"], false);
    let first = submitted["first_submitted_at"].clone();
    assert!(first.is_string());

    // Its organization cannot edit what waits for review.
    patch(&app, &officer, &path, json!({"value": 1.0}))
        .await
        .assert_problem(409, "invalid-state");

    let returned = app
        .post(&format!("{path}/return"))
        .bearer(&supervisor)
        .json(&json!({"comment": "โปรดแนบใบแจ้งหนี้ค่าไฟฟ้าเดือนมกราคม"}))
        .send()
        .await;
    returned.assert_status(200);
    assert_eq!(returned.json()["status"], "returned");
    assert_eq!(
        returned.json()["review_comment"],
        "โปรดแนบใบแจ้งหนี้ค่าไฟฟ้าเดือนมกราคม"
    );

    let edited = patch(
        &app,
        &officer,
        &path,
        json!({"value": 1175.25, "evidence_urls": ["https://drive.example.go.th/peo/2565-01.pdf", "https://drive.example.go.th/peo/bill-2565-01.pdf"]}),
    )
    .await;
    edited.assert_status(200);
    assert_eq!(edited.json()["value"], 1175.25);
    assert_eq!(edited.json()["narrative"], "ปิดเครื่องปรับอากาศช่วงพักเที่ยง");

    let resubmitted = app
        .post(&format!("{path}/submit"))
        .bearer(&officer)
        .send()
        .await;
    resubmitted.assert_status(200);
    assert_eq!(resubmitted.json()["first_submitted_at"], first);

    let approved = app
        .post(&format!("{path}/approve"))
        .bearer(&supervisor)
        .header("If-Match", &resubmitted.header("etag").expect("etag"))
        .send()
        .await;
    approved.assert_status(200);
    assert_eq!(approved.json()["status"], "approved");
    assert_eq!(approved.json()["first_submitted_at"], first);

    let history = get(&app, &officer, &format!("{path}/history")).await;
    let steps: Vec<(String, String)> = history["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap_or_default().to_owned(),
                e["actor"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("create", "test-agency_officer"),
        ("submit", "test-agency_officer"),
        ("return", "test-supervisor"),
        ("update", "test-agency_officer"),
        ("submit", "test-agency_officer"),
        ("approve", "test-supervisor"),
    ];
    assert_eq!(
        steps,
        expected
            .iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect::<Vec<_>>()
    );
    let items = history["items"].as_array().expect("items");
    assert_eq!(items[0]["before"], Value::Null);
    assert_eq!(items[0]["after"]["status"], "draft");
    assert_eq!(items[2]["comment"], "โปรดแนบใบแจ้งหนี้ค่าไฟฟ้าเดือนมกราคม");
    assert_eq!(items[3]["before"]["value"], 1180.5);
    assert_eq!(items[3]["after"]["value"], 1175.25);
    assert_eq!(items[5]["before"]["status"], "submitted");
    assert_eq!(items[5]["after"]["status"], "approved");

    // Each step is also in the audit trail.
    let audit = get(
        &app,
        &app.admin(),
        &format!("/api/v1/audit-events?entity_type=submission&entity_id={id}"),
    )
    .await;
    assert_eq!(audit["items"].as_array().map(Vec::len), Some(6));
}

/// With deadline day 3, January's report is due at 00:00 on 3 February in Bangkok
/// (2022-02-02T17:00:00Z): first submitted one second before is on time, at the instant late.
async fn on_time_exactly_at_the_edge_in_bangkok_time(app: TestApp) {
    let (_, indicator, peo) = report_target(&app, "E.1", "YST-PEO").await;
    let officer = officer(&app);
    let mut ids = Vec::new();
    for period in ["2022-01", "2022-02"] {
        let created = post(
            &app,
            &officer,
            "/api/v1/submissions",
            json!({"indicator_id": indicator, "organization_id": peo, "period": period, "value": 1000, "status": "submitted"}),
        )
        .await;
        ids.push(created["id"].as_i64().expect("id"));
    }
    // Set the first submissions behind the API's back, as if filed in 2022, and let the
    // stored verdict be recomputed by the rule: submit from a returned state keeps them.
    sql(
        &app,
        &format!(
            "UPDATE submissions SET first_submitted_at = '2022-02-02 16:59:59', on_time = 1 WHERE id = {0};
             UPDATE submissions SET first_submitted_at = '2022-02-02 17:00:00', on_time = 0 WHERE id = {1};",
            ids[0], ids[1]
        ),
        &format!(
            "UPDATE submissions SET first_submitted_at = '2022-02-02 16:59:59', on_time = true WHERE id = {0};
             UPDATE submissions SET first_submitted_at = '2022-02-02 17:00:00', on_time = false WHERE id = {1};",
            ids[0], ids[1]
        ),
    );
    let admin = app.yasothon_admin();
    for id in &ids {
        let path = format!("/api/v1/submissions/{id}");
        app.post(&format!("{path}/return"))
            .bearer(&admin)
            .json(&json!({"comment": "ตรวจสอบ"}))
            .send()
            .await
            .assert_status(200);
        app.post(&format!("{path}/submit"))
            .bearer(&officer)
            .send()
            .await
            .assert_status(200);
    }
    let january = get(&app, &officer, &format!("/api/v1/submissions/{}", ids[0])).await;
    assert_eq!(january["due_at"], "2022-02-02T17:00:00Z");
    assert_eq!(january["first_submitted_at"], "2022-02-02T16:59:59Z");
    assert_eq!(january["on_time"], true);
    // February is due on 3 March: 00:00 on the 3rd of February is early for it.
    let february = get(&app, &officer, &format!("/api/v1/submissions/{}", ids[1])).await;
    assert_eq!(february["due_at"], "2022-03-02T17:00:00Z");
    assert_eq!(february["on_time"], true);

    // The edge itself, with January's report first submitted at 17:00:00Z exactly.
    sql(
        &app,
        &format!("UPDATE submissions SET first_submitted_at = '2022-02-02 17:00:00', status = 'returned' WHERE id = {0};", ids[0]),
        &format!("UPDATE submissions SET first_submitted_at = '2022-02-02 17:00:00', status = 'returned' WHERE id = {0};", ids[0]),
    );
    let resubmitted = app
        .post(&format!("/api/v1/submissions/{}/submit", ids[0]))
        .bearer(&officer)
        .send()
        .await;
    resubmitted.assert_status(200);
    assert_eq!(
        resubmitted.json()["first_submitted_at"],
        "2022-02-02T17:00:00Z"
    );
    assert_eq!(resubmitted.json()["on_time"], false);
}

/// Another agency's report in the same province is a 404 to an officer, in reads, lists and
/// writes; filing for another organization is a 403.
async fn an_officer_sees_and_writes_only_its_own_organization_s_reports(app: TestApp) {
    let (_, indicator, peo) = report_target(&app, "E.1", "YST-PEO").await;
    let pho = app.org_id("YST-PHO").await;
    let admin = app.yasothon_admin();
    let theirs = post(
        &app,
        &admin,
        "/api/v1/submissions",
        json!({"indicator_id": indicator, "organization_id": pho, "period": "2022-01", "value": 900}),
    )
    .await;
    let path = format!("/api/v1/submissions/{}", theirs["id"]);
    let officer = officer(&app);
    app.get(&path)
        .bearer(&officer)
        .send()
        .await
        .assert_problem(404, "not-found");
    app.get(&format!("{path}/history"))
        .bearer(&officer)
        .send()
        .await
        .assert_problem(404, "not-found");
    patch(&app, &officer, &path, json!({"value": 1}))
        .await
        .assert_problem(404, "not-found");
    app.post(&format!("{path}/submit"))
        .bearer(&officer)
        .send()
        .await
        .assert_problem(404, "not-found");
    let listed = get(&app, &officer, "/api/v1/submissions").await;
    assert_eq!(listed["items"], json!([]));
    let refused = app
        .post("/api/v1/submissions")
        .bearer(&officer)
        .json(&json!({"indicator_id": indicator, "organization_id": pho, "period": "2022-02", "value": 1}))
        .send()
        .await;
    refused.assert_problem(403, "forbidden");
    // Its own report is its to read.
    let own = post(
        &app,
        &officer,
        "/api/v1/submissions",
        json!({"indicator_id": indicator, "organization_id": peo, "period": "2022-01", "value": 1}),
    )
    .await;
    let listed = get(&app, &officer, "/api/v1/submissions").await;
    assert_eq!(listed["items"][0]["id"], own["id"]);
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(1));
    // The province's viewer reads both; Samut Prakan's admin neither.
    let viewer = app.token("viewer", Some("TH-35"));
    let all = get(&app, &viewer, "/api/v1/submissions").await;
    assert_eq!(all["items"].as_array().map(Vec::len), Some(2));
    let other = app.token("province_admin", Some("SPK-PO"));
    app.get(&path)
        .bearer(&other)
        .send()
        .await
        .assert_problem(404, "not-found");
}

/// A supervisor approves or returns only reports of indicators its organization supervises.
async fn a_supervisor_reviews_only_what_its_organization_supervises(app: TestApp) {
    let (_, indicator, peo) = report_target(&app, "E.1", "YST-PEO").await;
    let officer = officer(&app);
    let report = post(
        &app,
        &officer,
        "/api/v1/submissions",
        json!({"indicator_id": indicator, "organization_id": peo, "period": "2022-01", "value": 1, "status": "submitted"}),
    )
    .await;
    let path = format!("/api/v1/submissions/{}", report["id"]);
    // The health office supervises nothing: it reads the report, it may not review it.
    let elsewhere = app.token("supervisor", Some("YST-PHO"));
    get(&app, &elsewhere, &path).await;
    app.post(&format!("{path}/approve"))
        .bearer(&elsewhere)
        .send()
        .await
        .assert_problem(403, "forbidden");
    app.post(&format!("{path}/return"))
        .bearer(&elsewhere)
        .json(&json!({"comment": "x"}))
        .send()
        .await
        .assert_problem(403, "forbidden");
    // An officer never reviews, even its own report.
    app.post(&format!("{path}/approve"))
        .bearer(&officer)
        .send()
        .await
        .assert_problem(403, "forbidden");
    // The provincial office supervises E.1.
    app.post(&format!("{path}/approve"))
        .bearer(&supervisor(&app))
        .send()
        .await
        .assert_status(200);
}

/// An approved report is locked: no edit, no submit; a supervisor cannot reopen it, the
/// province admin can, with a comment; then its organization fixes and resubmits it.
async fn an_approved_report_is_locked_until_an_administrator_returns_it(app: TestApp) {
    let (_, indicator, peo) = report_target(&app, "E.1", "YST-PEO").await;
    let officer = officer(&app);
    let report = post(
        &app,
        &officer,
        "/api/v1/submissions",
        json!({"indicator_id": indicator, "organization_id": peo, "period": "2022-01", "value": 1, "status": "submitted"}),
    )
    .await;
    let path = format!("/api/v1/submissions/{}", report["id"]);
    app.post(&format!("{path}/approve"))
        .bearer(&supervisor(&app))
        .send()
        .await
        .assert_status(200);
    let admin = app.yasothon_admin();
    patch(&app, &officer, &path, json!({"value": 2}))
        .await
        .assert_problem(409, "invalid-state");
    patch(&app, &admin, &path, json!({"value": 2}))
        .await
        .assert_problem(409, "invalid-state");
    app.post(&format!("{path}/submit"))
        .bearer(&officer)
        .send()
        .await
        .assert_problem(409, "invalid-state");
    app.post(&format!("{path}/return"))
        .bearer(&supervisor(&app))
        .json(&json!({"comment": "เปิดแก้ไข"}))
        .send()
        .await
        .assert_problem(403, "forbidden");
    // A return needs a comment.
    let blank = app
        .post(&format!("{path}/return"))
        .bearer(&admin)
        .json(&json!({"comment": "  "}))
        .send()
        .await;
    blank.assert_problem(422, "validation");
    assert_eq!(blank.error_fields(), ["comment"]);
    app.post(&format!("{path}/return"))
        .bearer(&admin)
        .json(&json!({"comment": "เปิดแก้ไขตามมติที่ประชุม"}))
        .send()
        .await
        .assert_status(200);
    patch(&app, &officer, &path, json!({"value": 2}))
        .await
        .assert_status(200);
    let resubmitted = app
        .post(&format!("{path}/submit"))
        .bearer(&officer)
        .send()
        .await;
    resubmitted.assert_status(200);
    assert_eq!(
        resubmitted.json()["first_submitted_at"],
        report["first_submitted_at"]
    );
}

/// Each refusal is a 4xx naming its field, and nothing is stored.
async fn refusals_name_the_field_and_store_nothing(app: TestApp) {
    let (evaluation, monthly, peo) = report_target(&app, "E.1", "YST-PEO").await;
    let admin = app.yasothon_admin();
    let quarterly = indicator_by_code(&app, &admin, evaluation, "1.1").await["id"].clone();
    let po = app.org_id("YST-PO").await;
    let base =
        json!({"indicator_id": monthly, "organization_id": peo, "period": "2022-01", "value": 1});
    let with = |changes: Value| {
        let mut body = base.clone();
        for (k, v) in changes.as_object().expect("object") {
            body[k] = v.clone();
        }
        body
    };
    let officer = officer(&app);
    let cases: Vec<(Value, u16, &str, &[&str])> = vec![
        // Outside the span Sep 2564 – Sep 2565.
        (
            with(json!({"period": "2021-08"})),
            422,
            "validation",
            &["period"],
        ),
        (
            with(json!({"period": "2022-10"})),
            422,
            "validation",
            &["period"],
        ),
        // A quarterly indicator in January (YST-AGRI hosts 1.1; PEO does not).
        (
            with(json!({"indicator_id": quarterly, "period": "2022-01"})),
            422,
            "validation",
            &["period", "organization_id"],
        ),
        (
            with(json!({"value": 1.5e15})),
            422,
            "validation",
            &["value"],
        ),
        (
            with(json!({"value": -1.5e15})),
            422,
            "validation",
            &["value"],
        ),
        (
            with(
                json!({"evidence_urls": ["https://ok.example/a.pdf", "file:///etc/passwd", "javascript:alert(1)"]}),
            ),
            422,
            "validation",
            &["evidence_urls[1]", "evidence_urls[2]"],
        ),
        (
            with(json!({"status": "approved"})),
            400,
            "bad-request",
            &["status"],
        ),
        (
            with(json!({"status": "submitted", "value": null})),
            422,
            "validation",
            &["value"],
        ),
        (
            with(json!({"indicator_id": 999_999})),
            422,
            "validation",
            &["indicator_id"],
        ),
        (
            with(json!({"organization_id": 999_999})),
            422,
            "validation",
            &["organization_id"],
        ),
        (
            with(json!({"period": "2022-1"})),
            400,
            "bad-request",
            &["period"],
        ),
        (
            with(json!({"value": "1180"})),
            400,
            "bad-request",
            &["value"],
        ),
        (
            with(json!({"submitted_at": "2022-02-01T00:00:00Z"})),
            400,
            "bad-request",
            &["submitted_at"],
        ),
    ];
    for (body, status, kind, fields) in cases {
        let response = app
            .post("/api/v1/submissions")
            .bearer(&officer)
            .json(&body)
            .send()
            .await;
        response.assert_problem(status, kind);
        assert_eq!(response.error_fields(), fields, "{body}");
    }
    // The provincial office supervises E.1: a supervisor reports nothing.
    let response = app
        .post("/api/v1/submissions")
        .bearer(&admin)
        .json(&with(json!({"organization_id": po})))
        .send()
        .await;
    response.assert_problem(422, "validation");
    assert_eq!(response.error_fields(), ["organization_id"]);
    // A number too large for a double is refused by the parser.
    let response = app
        .post("/api/v1/submissions")
        .bearer(&officer)
        .raw(
            "application/json",
            format!(r#"{{"indicator_id": {monthly}, "organization_id": {peo}, "period": "2022-01", "value": 1e400}}"#),
        )
        .send()
        .await;
    assert_eq!(response.status.as_u16(), 400, "{}", response.json());
    assert_eq!(count_reports(&app).await, 0);
}

/// One report per (indicator, organization, period): the second is a 409 naming `period`.
async fn a_second_report_for_the_same_month_is_a_conflict(app: TestApp) {
    let (_, indicator, peo) = report_target(&app, "E.1", "YST-PEO").await;
    let officer = officer(&app);
    let body =
        json!({"indicator_id": indicator, "organization_id": peo, "period": "2022-01", "value": 1});
    post(&app, &officer, "/api/v1/submissions", body.clone()).await;
    let second = app
        .post("/api/v1/submissions")
        .bearer(&officer)
        .json(&body)
        .send()
        .await;
    second.assert_problem(409, "duplicate");
    assert_eq!(second.error_fields(), ["period"]);
    assert_eq!(count_reports(&app).await, 1);
}

/// Under concurrency the unique (indicator, organization, period) holds: one 201, the rest 409.
async fn a_burst_of_reports_for_one_month_files_one(app: TestApp) {
    let (_, indicator, peo) = report_target(&app, "E.1", "YST-PEO").await;
    let officer = officer(&app);
    let body =
        json!({"indicator_id": indicator, "organization_id": peo, "period": "2022-03", "value": 1});
    let burst = (0..8).map(|_| {
        app.post("/api/v1/submissions")
            .bearer(&officer)
            .json(&body)
            .send()
    });
    let responses = futures_util::future::join_all(burst).await;
    let mut statuses: Vec<u16> = responses.iter().map(|r| r.status.as_u16()).collect();
    statuses.sort();
    assert_eq!(statuses, [201, 409, 409, 409, 409, 409, 409, 409]);
    for refused in responses.iter().filter(|r| r.status.as_u16() == 409) {
        refused.assert_problem(409, "duplicate");
    }
    assert_eq!(count_reports(&app).await, 1);
}

/// A draft evaluation takes no reports; a closed one neither, and its reports are read-only.
async fn only_an_active_evaluation_accepts_reports(app: TestApp) {
    let admin = app.yasothon_admin();
    let draft = demo_evaluation(&app, &admin, Some(("2021-09", "2022-09"))).await;
    let indicator = indicator_by_code(&app, &admin, draft, "E.1").await["id"].clone();
    let peo = app.org_id("YST-PEO").await;
    let officer = officer(&app);
    let body =
        json!({"indicator_id": indicator, "organization_id": peo, "period": "2022-01", "value": 1});
    let refused = app
        .post("/api/v1/submissions")
        .bearer(&officer)
        .json(&body)
        .send()
        .await;
    refused.assert_problem(409, "invalid-state");
    assert_eq!(refused.error_fields(), ["indicator_id"]);
    patch(
        &app,
        &admin,
        &format!("/api/v1/evaluations/{draft}"),
        json!({"status": "active"}),
    )
    .await
    .assert_status(200);
    let report = post(&app, &officer, "/api/v1/submissions", body.clone()).await;
    patch(
        &app,
        &admin,
        &format!("/api/v1/evaluations/{draft}"),
        json!({"status": "closed"}),
    )
    .await
    .assert_status(200);
    let path = format!("/api/v1/submissions/{}", report["id"]);
    patch(&app, &officer, &path, json!({"value": 2}))
        .await
        .assert_problem(409, "invalid-state");
    app.post(&format!("{path}/submit"))
        .bearer(&officer)
        .send()
        .await
        .assert_problem(409, "invalid-state");
    app.delete(&path)
        .bearer(&officer)
        .send()
        .await
        .assert_problem(409, "invalid-state");
    assert_eq!(get(&app, &officer, &path).await["value"], 1.0);
}

/// A draft may be deleted by its organization; a submitted report never; another
/// organization's officer cannot even see it.
async fn a_draft_is_deleted_a_submitted_report_is_not(app: TestApp) {
    let (_, indicator, peo) = report_target(&app, "E.1", "YST-PEO").await;
    let officer = officer(&app);
    let draft = post(
        &app,
        &officer,
        "/api/v1/submissions",
        json!({"indicator_id": indicator, "organization_id": peo, "period": "2022-01"}),
    )
    .await;
    let submitted = post(
        &app,
        &officer,
        "/api/v1/submissions",
        json!({"indicator_id": indicator, "organization_id": peo, "period": "2022-02", "value": 3, "status": "submitted"}),
    )
    .await;
    let other = app.token("agency_officer", Some("YST-PHO"));
    let draft_path = format!("/api/v1/submissions/{}", draft["id"]);
    app.delete(&draft_path)
        .bearer(&other)
        .send()
        .await
        .assert_problem(404, "not-found");
    app.delete(&draft_path)
        .bearer(&supervisor(&app))
        .send()
        .await
        .assert_problem(403, "forbidden");
    app.delete(&format!("/api/v1/submissions/{}", submitted["id"]))
        .bearer(&officer)
        .send()
        .await
        .assert_problem(409, "invalid-state");
    app.delete(&draft_path)
        .bearer(&officer)
        .send()
        .await
        .assert_status(204);
    app.get(&draft_path)
        .bearer(&officer)
        .send()
        .await
        .assert_problem(404, "not-found");
    assert_eq!(count_reports(&app).await, 1);
}

async fn lists_filter_by_evaluation_indicator_organization_period_and_status(app: TestApp) {
    let (evaluation, indicator, peo) = report_target(&app, "E.1", "YST-PEO").await;
    let admin = app.yasothon_admin();
    let fuel = indicator_by_code(&app, &admin, evaluation, "E.2").await["id"].clone();
    let pho = app.org_id("YST-PHO").await;
    for (ind, org, period, status) in [
        (json!(indicator), peo, "2022-01", "submitted"),
        (json!(indicator), peo, "2022-02", "draft"),
        (fuel.clone(), peo, "2022-01", "submitted"),
        (json!(indicator), pho, "2022-01", "submitted"),
    ] {
        post(
            &app,
            &admin,
            "/api/v1/submissions",
            json!({"indicator_id": ind, "organization_id": org, "period": period, "value": 1, "status": status}),
        )
        .await;
    }
    let count = |query: String| {
        let app = &app;
        let admin = admin.clone();
        async move {
            get(app, &admin, &format!("/api/v1/submissions?{query}")).await["items"]
                .as_array()
                .map_or(0, Vec::len)
        }
    };
    assert_eq!(count(format!("evaluation_id={evaluation}")).await, 4);
    assert_eq!(count(format!("indicator_id={indicator}")).await, 3);
    assert_eq!(count(format!("organization_id={peo}")).await, 3);
    assert_eq!(count("period=2022-01".into()).await, 3);
    assert_eq!(count("status=draft".into()).await, 1);
    assert_eq!(
        count(format!(
            "organization_id={peo}&period=2022-01&status=submitted"
        ))
        .await,
        2
    );
    assert_eq!(count("evaluation_id=999999".into()).await, 0);
    let page = get(&app, &admin, "/api/v1/submissions?limit=3").await;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(3));
    let cursor = page["next_cursor"].as_str().expect("cursor").to_owned();
    let rest = get(
        &app,
        &admin,
        &format!("/api/v1/submissions?limit=3&cursor={cursor}"),
    )
    .await;
    assert_eq!(rest["items"].as_array().map(Vec::len), Some(1));
    app.get("/api/v1/submissions?period=2022-13")
        .bearer(&admin)
        .send()
        .await
        .assert_problem(400, "bad-request");
    app.get("/api/v1/submissions?status=lost")
        .bearer(&admin)
        .send()
        .await
        .assert_problem(400, "bad-request");
}

/// A status written around the service's rules is a logged internal error, never a guess.
async fn an_unreadable_stored_status_is_an_internal_error(app: TestApp) {
    let (_, indicator, peo) = report_target(&app, "E.1", "YST-PEO").await;
    let officer = officer(&app);
    let report = post(
        &app,
        &officer,
        "/api/v1/submissions",
        json!({"indicator_id": indicator, "organization_id": peo, "period": "2022-01", "value": 1}),
    )
    .await;
    let id = report["id"].as_i64().expect("id");
    sql(
        &app,
        &format!("PRAGMA ignore_check_constraints = ON; UPDATE submissions SET status = 'lost' WHERE id = {id};"),
        &format!("ALTER TABLE submissions DROP CONSTRAINT submissions_status_check; UPDATE submissions SET status = 'lost' WHERE id = {id};"),
    );
    app.get(&format!("/api/v1/submissions/{id}"))
        .bearer(&officer)
        .send()
        .await
        .assert_problem(500, "internal");
}

/// A report into an evaluation that another transaction is closing waits for that
/// transaction's lock on the evaluation's row, then sees the evaluation closed (409): it cannot
/// slip in beside the closing. Without the lock the report would read "active" and be stored.
async fn a_report_waits_for_an_evaluation_being_closed(app: TestApp) {
    use diesel::connection::SimpleConnection;
    let (evaluation, indicator, peo) = report_target(&app, "E.1", "YST-PEO").await;
    let (locked_tx, locked_rx) = std::sync::mpsc::channel();
    let url = app.config.database_url.clone();
    let engine = app.engine;
    let closing = std::thread::spawn(move || {
        let mut conn = provincial_kpi::storage::ConnectionManager::new(url)
            .establish()
            .expect("connect");
        let begin = match engine {
            Engine::Sqlite => "BEGIN IMMEDIATE;".to_owned(),
            Engine::Postgres => {
                format!("BEGIN; SELECT id FROM evaluations WHERE id = {evaluation} FOR UPDATE;")
            }
        };
        conn.batch_execute(&begin).expect("begin");
        conn.batch_execute(&format!(
            "UPDATE evaluations SET status = 'closed' WHERE id = {evaluation};"
        ))
        .expect("close");
        locked_tx.send(()).expect("signal");
        std::thread::sleep(std::time::Duration::from_millis(700));
        conn.batch_execute("COMMIT;").expect("commit");
    });
    locked_rx.recv().expect("locked");
    let response = app
        .post("/api/v1/submissions")
        .bearer(&officer(&app))
        .json(&json!({"indicator_id": indicator, "organization_id": peo, "period": "2022-01", "value": 1}))
        .send()
        .await;
    closing.join().expect("closing thread");
    response.assert_problem(409, "invalid-state");
    assert_eq!(count_reports(&app).await, 0);
}

/// An organization with no province above it serves a province's evaluation (seed 002: the
/// rice research centre of Roi Et, RD-RET, hosts indicator 1.1 of Yasothon): its officer
/// files, edits, submits and reads its own reports there, and sees no one else's.
async fn a_regional_unit_s_officer_files_its_own_report(app: TestApp) {
    let admin = app.admin();
    let evaluation = active_demo(&app, &admin).await;
    let indicator = indicator_by_code(&app, &admin, evaluation, "1.1").await["id"]
        .as_i64()
        .expect("1.1");
    let e1 = indicator_by_code(&app, &admin, evaluation, "E.1").await["id"]
        .as_i64()
        .expect("E.1");
    let ret = app.org_id("RD-RET").await;
    let officer = app.token("agency_officer", Some("RD-RET"));
    let filed = post(
        &app,
        &officer,
        "/api/v1/submissions",
        json!({"indicator_id": indicator, "organization_id": ret, "period": "2021-12",
               "value": 640}),
    )
    .await;
    let path = format!("/api/v1/submissions/{}", filed["id"]);
    app.patch(&path)
        .bearer(&officer)
        .header("If-Match", "*")
        .json(&json!({"value": 655}))
        .send()
        .await
        .assert_status(200);
    app.post(&format!("{path}/submit"))
        .bearer(&officer)
        .send()
        .await
        .assert_status(200);
    assert_eq!(get(&app, &officer, &path).await["status"], "submitted");
    // An indicator it does not report stays out of its reach, like one that does not exist.
    let peo = app.org_id("YST-PEO").await;
    app.post("/api/v1/submissions")
        .bearer(&officer)
        .json(
            &json!({"indicator_id": e1, "organization_id": ret, "period": "2022-01",
                      "value": 1}),
        )
        .send()
        .await
        .assert_problem(422, "validation");
    let other = post(
        &app,
        &admin,
        "/api/v1/submissions",
        json!({"indicator_id": e1, "organization_id": peo, "period": "2022-01", "value": 1}),
    )
    .await;
    app.get(&format!("/api/v1/submissions/{}", other["id"]))
        .bearer(&officer)
        .send()
        .await
        .assert_status(404);
    let listed = get(&app, &officer, "/api/v1/submissions").await;
    let orgs: Vec<i64> = listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|r| r["organization_id"].as_i64())
        .collect();
    assert_eq!(orgs, [ret]);
}

/// Parallel submits, approvals and returns of one report, none with If-Match, queue on the
/// report: each answers 200 or a 409 for the status it found (never a 412 the client did not
/// ask for), and the history is one chain, each entry's `before` the previous one's `after`.
async fn parallel_transitions_queue_without_if_match(app: TestApp) {
    let (_, indicator, peo) = report_target(&app, "E.1", "YST-PEO").await;
    let officer = officer(&app);
    let report = post(
        &app,
        &officer,
        "/api/v1/submissions",
        json!({"indicator_id": indicator, "organization_id": peo, "period": "2022-01", "value": 1, "status": "submitted"}),
    )
    .await;
    let path = format!("/api/v1/submissions/{}", report["id"]);
    let supervisor = supervisor(&app);
    let admin = app.yasothon_admin();
    let burst = (0..24).map(|k| {
        let (token, action) = match k % 4 {
            0 => (&supervisor, "approve"),
            1 => (&supervisor, "return"),
            2 => (&officer, "submit"),
            _ => (&admin, "return"),
        };
        app.post(&format!("{path}/{action}"))
            .bearer(token)
            .json(&json!({"comment": "ตรวจสอบอีกครั้ง"}))
            .send()
    });
    let responses = futures_util::future::join_all(burst).await;
    for response in &responses {
        let status = response.status.as_u16();
        assert!(
            matches!(status, 200 | 403 | 409),
            "{status}: {}",
            response.json()
        );
    }
    let history = get(&app, &officer, &format!("{path}/history?limit=500")).await;
    let items = history["items"].as_array().expect("items");
    let successes = responses
        .iter()
        .filter(|r| r.status.as_u16() == 200)
        .count();
    assert_eq!(items.len(), 1 + successes);
    for pair in items.windows(2) {
        assert_eq!(pair[1]["before"], pair[0]["after"]);
    }
    let last = get(&app, &officer, &path).await;
    assert_eq!(last["status"], items[items.len() - 1]["after"]["status"]);
    assert_eq!(last["first_submitted_at"], report["first_submitted_at"]);
}

/// A PATCH that changes nothing (`{}`, or the same value) keeps the version and writes no
/// history: a reporter cannot grow the history with edits that change nothing.
async fn an_edit_that_changes_nothing_writes_nothing(app: TestApp) {
    let (_, indicator, peo) = report_target(&app, "E.1", "YST-PEO").await;
    let officer = officer(&app);
    let report = post(
        &app,
        &officer,
        "/api/v1/submissions",
        json!({"indicator_id": indicator, "organization_id": peo, "period": "2022-01", "value": 5}),
    )
    .await;
    let path = format!("/api/v1/submissions/{}", report["id"]);
    for body in [json!({}), json!({"value": 5}), json!({})] {
        let response = patch(&app, &officer, &path, body).await;
        response.assert_status(200);
        assert_eq!(response.json()["version"], 1);
    }
    let history = get(&app, &officer, &format!("{path}/history")).await;
    assert_eq!(history["items"].as_array().map(Vec::len), Some(1));
}

/// A body is a JSON object: an array is not read as fields by position. A body of ten
/// thousand bad links gets one problem, not ten thousand.
async fn bodies_are_objects_and_problems_stay_small(app: TestApp) {
    let (_, indicator, peo) = report_target(&app, "E.1", "YST-PEO").await;
    let officer = officer(&app);
    let positional = app
        .post("/api/v1/submissions")
        .bearer(&officer)
        .json(&json!([
            indicator,
            peo,
            "2022-08",
            7,
            "array body",
            null,
            null,
            null,
            "draft"
        ]))
        .send()
        .await;
    positional.assert_problem(400, "bad-request");
    assert_eq!(positional.error_fields(), ["body"]);
    let admin = app.yasothon_admin();
    let parent = app.org_id("TH-35").await;
    app.post("/api/v1/organizations")
        .bearer(&admin)
        .json(&json!(["YST-ARR", "ชื่อ", null, "agency", parent]))
        .send()
        .await
        .assert_problem(400, "bad-request");
    let links = vec![""; 10_000];
    let many = app
        .post("/api/v1/submissions")
        .bearer(&officer)
        .json(&json!({"indicator_id": indicator, "organization_id": peo, "period": "2022-01", "value": 1, "evidence_urls": links}))
        .send()
        .await;
    many.assert_problem(422, "validation");
    assert_eq!(many.error_fields(), ["evidence_urls"]);
    assert_eq!(count_reports(&app).await, 0);
}
