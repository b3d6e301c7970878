//! Batch intake: the report of a mixed batch, JSON and CSV, atomic and not, dry runs,
//! backfill, scope, Thai messages, limits.

use serde_json::{json, Value};

use crate::both_engines;
use crate::fixtures::{active_demo, get, post};
use crate::support::TestApp;

both_engines!(
    a_mixed_json_batch_is_reported_item_by_item,
    a_csv_batch_names_lines,
    an_atomic_batch_with_a_rejected_item_changes_nothing,
    a_dry_run_changes_nothing,
    the_same_batch_twice_is_unchanged_the_second_time,
    backfill_is_for_admins_and_integrations,
    who_may_send_a_batch,
    messages_in_thai_for_the_people_who_fix_the_rows,
    limits_of_a_batch,
    an_idempotency_key_replays_the_first_report,
    parallel_pushes_of_the_same_figures_take_turns,
    a_batch_follows_the_single_report_s_rules_and_bounds,
);

const BATCH: &str = "/api/v1/submissions/batch";

fn item(indicator: &str, org: &str, period: &str, value: Value) -> Value {
    json!({"indicator_code": indicator, "organization_code": org, "period": period, "value": value})
}

async fn send(app: &TestApp, token: &str, body: &Value) -> crate::support::TestResponse {
    app.post(BATCH).bearer(token).json(body).send().await
}

async fn send_csv(
    app: &TestApp,
    token: &str,
    query: &str,
    csv: &str,
) -> crate::support::TestResponse {
    app.post(&format!("{BATCH}?{query}"))
        .bearer(token)
        .raw("text/csv; charset=utf-8", csv.to_owned())
        .send()
        .await
}

/// Every report of the evaluation as (id, version, status, value): compared before and after
/// what must change nothing.
async fn snapshot(app: &TestApp) -> Vec<(i64, i64, String, Value)> {
    let list = get(app, &app.admin(), "/api/v1/submissions?limit=500").await;
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|r| {
            (
                r["id"].as_i64().unwrap_or_default(),
                r["version"].as_i64().unwrap_or_default(),
                r["status"].as_str().unwrap_or_default().to_owned(),
                r["value"].clone(),
            )
        })
        .collect()
}

fn errors_by_index(report: &Value) -> Vec<(u64, String)> {
    report["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["index"].as_u64().unwrap_or(u64::MAX),
                e["field"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// The mixed batch of the issue, as JSON, not atomic: each item's fate and problems by index.
async fn a_mixed_json_batch_is_reported_item_by_item(app: TestApp) {
    let admin = app.yasothon_admin();
    let evaluation = active_demo(&app, &admin).await;
    // An approved report of YST-PHO for 2022-01 to meet with other figures.
    let peo = app.org_id("YST-PEO").await;
    let pho = app.org_id("YST-PHO").await;
    let indicators = get(
        &app,
        &admin,
        &format!("/api/v1/indicators?evaluation_id={evaluation}&q=E.1"),
    )
    .await;
    let e1 = indicators["items"][0]["id"].as_i64().expect("E.1");
    let approved = post(
        &app,
        &admin,
        "/api/v1/submissions",
        json!({"indicator_id": e1, "organization_id": pho, "period": "2022-01", "value": 900, "status": "submitted"}),
    )
    .await;
    app.post(&format!("/api/v1/submissions/{}/approve", approved["id"]))
        .bearer(&admin)
        .send()
        .await
        .assert_status(200);
    let officer = app.token("agency_officer", Some("YST-PEO"));
    let _ = peo;
    let body = json!({"evaluation_id": evaluation, "items": [
        item("E.1", "YST-PEO", "2022-01", json!(1180.5)),       // 0 created
        item("e.1", "yst-peo", "2022-01", json!(1181)),         // 1 second in the batch
        item("E.9", "YST-PEO", "2022-01", json!(1)),            // 2 unknown indicator
        item("E.1", "YST-NOPE", "2022-01", json!(1)),           // 3 unknown organization
        item("E.1", "YST-PEO", "2022-13", json!(1)),            // 4 bad period
        item("1.1", "YST-PEO", "2022-01", json!(1)),            // 5 not a reporting month, no assignment
        item("E.1", "YST-PO", "2022-02", json!(1)),             // 6 a supervisor reports nothing (and not the officer's)
        item("E.1", "YST-PEO", "2022-02", json!("many")),       // 7 bad value
        item("E.1", "YST-PEO", "2022-03", json!(2e15)),         // 8 value too large
        item("E.1", "YST-PHO", "2022-01", json!(901)),          // 9 out of the officer's scope
        item("E.1", "YST-PEO", "2022-04", json!(1175)),         // 10 created
        item("E.1", "SPK-PO", "2022-05", json!(1)),             // 11 another province's: unknown to it
    ]});
    let response = send(&app, &officer, &body).await;
    response.assert_status(200);
    let report = response.json();
    assert_eq!(
        (
            report["created"].as_u64(),
            report["updated"].as_u64(),
            report["unchanged"].as_u64(),
            report["rejected"].as_u64()
        ),
        (Some(2), Some(0), Some(0), Some(10))
    );
    assert_eq!(
        errors_by_index(&report),
        [
            (1, "period".to_owned()),
            (2, "indicator_code".to_owned()),
            (3, "organization_code".to_owned()),
            (4, "period".to_owned()),
            (5, "period".to_owned()),
            (5, "organization_code".to_owned()),
            (6, "organization_code".to_owned()),
            (7, "value".to_owned()),
            (8, "value".to_owned()),
            (9, "organization_code".to_owned()),
            (11, "organization_code".to_owned()),
        ]
    );
    assert!(
        report["errors"][10]["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("no organization SPK-PO"),
        "{report}"
    );
    assert!(
        report["errors"][0].get("line").is_none(),
        "no line for JSON"
    );
    // The approved report with other figures, sent by the province admin (in scope).
    let response = send(
        &app,
        &admin,
        &json!({"evaluation_id": evaluation, "items": [item("E.1", "YST-PHO", "2022-01", json!(901)), item("E.1", "YST-PHO", "2022-01", json!(900))]}),
    )
    .await;
    let report = response.json();
    assert_eq!(
        errors_by_index(&report),
        [(0, "value".to_owned()), (1, "period".to_owned())]
    );
    // The created reports went through the single report's rules: history, due, on time.
    let mine = get(&app, &officer, "/api/v1/submissions?period=2022-01").await;
    let created = &mine["items"][0];
    assert_eq!(created["status"], "submitted");
    assert_eq!(created["due_at"], "2022-02-02T17:00:00Z");
    assert_eq!(created["on_time"], false);
    let history = get(
        &app,
        &officer,
        &format!("/api/v1/submissions/{}/history", created["id"]),
    )
    .await;
    assert_eq!(history["items"][0]["action"], "create");
    assert_eq!(history["items"][0]["actor"], "test-agency_officer");
}

/// CSV: a BOM, CRLF, quoted cells with commas and line breaks; errors name index and line.
async fn a_csv_batch_names_lines(app: TestApp) {
    let admin = app.yasothon_admin();
    let evaluation = active_demo(&app, &admin).await;
    let csv = "\u{feff}indicator_code,organization_code,period,value,narrative\r\n\
               E.1,YST-PEO,2022-01,1180.5,\"ปิดไฟ, ลดแอร์\r\nช่วงพักเที่ยง\"\r\n\
               E.1,YST-PEO,2022-02,NaN,\r\n\
               E.2,YST-PEO,2022-01,410,\r\n";
    let response = send_csv(&app, &admin, &format!("evaluation_id={evaluation}"), csv).await;
    response.assert_status(200);
    let report = response.json();
    assert_eq!(
        (report["created"].as_u64(), report["rejected"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(report["errors"][0]["index"], 1);
    assert_eq!(report["errors"][0]["line"], 4);
    assert_eq!(report["errors"][0]["field"], "value");
    let narrative = get(&app, &admin, "/api/v1/submissions?period=2022-01&limit=10").await["items"]
        [0]["narrative"]
        .clone();
    assert_eq!(narrative, "ปิดไฟ, ลดแอร์\nช่วงพักเที่ยง");
    // A header that is not a batch header is refused whole.
    let response = send_csv(
        &app,
        &admin,
        &format!("evaluation_id={evaluation}"),
        "indicator,org\nE.1,YST-PEO\n",
    )
    .await;
    response.assert_problem(400, "bad-request");
    assert_eq!(response.error_fields(), ["header"]);
    // A CSV batch names its evaluation in the query; a JSON one in its body.
    send_csv(&app, &admin, "", csv)
        .await
        .assert_problem(400, "bad-request");
    let response = app
        .post(&format!("{BATCH}?evaluation_id={evaluation}"))
        .bearer(&admin)
        .json(&json!({"evaluation_id": evaluation, "items": []}))
        .send()
        .await;
    response.assert_problem(400, "bad-request");
    assert_eq!(response.error_fields(), ["evaluation_id"]);
}

/// atomic=true with one bad item applies nothing: 422 listing it, every report as it was.
async fn an_atomic_batch_with_a_rejected_item_changes_nothing(app: TestApp) {
    let admin = app.yasothon_admin();
    let evaluation = active_demo(&app, &admin).await;
    let first = json!({"evaluation_id": evaluation, "items": [
        item("E.1", "YST-PEO", "2022-01", json!(1000)),
        item("E.2", "YST-PEO", "2022-01", json!(400)),
    ]});
    send(&app, &admin, &first).await.assert_status(200);
    let before = snapshot(&app).await;
    let response = send(
        &app,
        &admin,
        &json!({"evaluation_id": evaluation, "atomic": true, "items": [
            item("E.1", "YST-PEO", "2022-01", json!(999)),
            item("E.1", "YST-PEO", "2022-02", json!(998)),
            item("E.1", "YST-PEO", "2022-10", json!(1)),
        ]}),
    )
    .await;
    let problem = response.assert_problem(422, "validation");
    assert_eq!(problem["errors"][0]["index"], 2);
    assert_eq!(problem["errors"][0]["field"], "period");
    assert!(problem["detail"]
        .as_str()
        .unwrap_or_default()
        .contains("1 of 3 items"));
    assert_eq!(snapshot(&app).await, before);
}

async fn a_dry_run_changes_nothing(app: TestApp) {
    let admin = app.yasothon_admin();
    let evaluation = active_demo(&app, &admin).await;
    send(&app, &admin, &json!({"evaluation_id": evaluation, "items": [item("E.1", "YST-PEO", "2022-01", json!(1000))]}))
        .await
        .assert_status(200);
    let before = snapshot(&app).await;
    let response = send(
        &app,
        &admin,
        &json!({"evaluation_id": evaluation, "dry_run": true, "items": [
            item("E.1", "YST-PEO", "2022-01", json!(999)),
            item("E.1", "YST-PEO", "2022-02", json!(998)),
            item("E.1", "YST-PEO", "2022-01", json!(1)),
        ]}),
    )
    .await;
    response.assert_status(200);
    let report = response.json();
    assert_eq!(
        (
            report["created"].as_u64(),
            report["updated"].as_u64(),
            report["rejected"].as_u64()
        ),
        (Some(1), Some(1), Some(1))
    );
    assert_eq!(snapshot(&app).await, before);
    let csv = "indicator_code,organization_code,period,value\nE.1,YST-PEO,2022-03,5\n";
    send_csv(
        &app,
        &admin,
        &format!("evaluation_id={evaluation}&dry_run=true"),
        csv,
    )
    .await
    .assert_status(200);
    assert_eq!(snapshot(&app).await, before);
}

/// The e-report resends the same batch: the second time everything is unchanged, and nothing
/// is written (versions, history).
async fn the_same_batch_twice_is_unchanged_the_second_time(app: TestApp) {
    let integration = app.token("integration", None);
    let admin = app.yasothon_admin();
    let evaluation = active_demo(&app, &admin).await;
    let body = json!({"evaluation_id": evaluation, "items": [
        item("E.1", "YST-PEO", "2022-01", json!(1000)),
        {"indicator_code": "E.2", "organization_code": "YST-PEO", "period": "2022-01", "value": 400, "narrative": "น้ำมันดีเซล", "status": "draft"},
        item("1.2", "YST-PHO", "2022-01", json!(0.8)),
    ]});
    let first = send(&app, &integration, &body).await.json();
    assert_eq!(first["created"], 3);
    let before = snapshot(&app).await;
    let second = send(&app, &integration, &body).await.json();
    assert_eq!(
        (second["created"].as_u64(), second["unchanged"].as_u64()),
        (Some(0), Some(3))
    );
    assert_eq!(snapshot(&app).await, before);
    // A changed figure is an update, recorded in the history.
    let mut changed = body.clone();
    changed["items"][0]["value"] = json!(1001);
    changed["items"][1]["status"] = json!("submitted");
    let third = send(&app, &integration, &changed).await.json();
    assert_eq!(
        (third["updated"].as_u64(), third["unchanged"].as_u64()),
        (Some(2), Some(1))
    );
    let fuel = get(
        &app,
        &admin,
        "/api/v1/submissions?status=submitted&period=2022-01&limit=10",
    )
    .await;
    assert_eq!(fuel["items"].as_array().map(Vec::len), Some(3));
}

/// submitted_at sets first_submitted_at only where it is not set, and on_time follows it;
/// province admins and officers are refused it, item by item.
async fn backfill_is_for_admins_and_integrations(app: TestApp) {
    let admin = app.yasothon_admin();
    let evaluation = active_demo(&app, &admin).await;
    let backfill = |period: &str, at: &str| json!({"indicator_code": "E.1", "organization_code": "YST-PEO", "period": period, "value": 1000, "submitted_at": at});
    for token in [admin.clone(), app.token("agency_officer", Some("YST-PEO"))] {
        let report = send(&app, &token, &json!({"evaluation_id": evaluation, "items": [backfill("2022-01", "2022-02-01T09:30:00+07:00")]}))
            .await
            .json();
        assert_eq!(errors_by_index(&report), [(0, "submitted_at".to_owned())]);
    }
    let integration = app.token("integration", Some("TH-35"));
    let report = send(
        &app,
        &integration,
        &json!({"evaluation_id": evaluation, "items": [
            backfill("2022-01", "2022-02-02T23:59:59+07:00"),
            backfill("2022-02", "2022-03-03T00:00:00+07:00"),
        ]}),
    )
    .await
    .json();
    assert_eq!(report["created"], 2);
    let list = get(&app, &admin, "/api/v1/submissions?limit=10").await;
    let items = list["items"].as_array().expect("items");
    assert_eq!(items[0]["first_submitted_at"], "2022-02-02T16:59:59Z");
    assert_eq!(items[0]["on_time"], true);
    assert_eq!(items[1]["first_submitted_at"], "2022-03-02T17:00:00Z");
    assert_eq!(items[1]["on_time"], false);
    // Already set: a later backfill with other figures updates the value, not the instant.
    let report = send(
        &app,
        &app.admin(),
        &json!({"evaluation_id": evaluation, "items": [{"indicator_code": "E.1", "organization_code": "YST-PEO", "period": "2022-01", "value": 999, "submitted_at": "2022-01-15T00:00:00Z"}]}),
    )
    .await
    .json();
    assert_eq!(report["updated"], 1);
    let again = get(
        &app,
        &admin,
        &format!("/api/v1/submissions/{}", items[0]["id"]),
    )
    .await;
    assert_eq!(again["first_submitted_at"], "2022-02-02T16:59:59Z");
    assert_eq!(again["value"], 999.0);
}

/// Who may: roles that never import get 403 before the body is read (a malformed one too);
/// another province's evaluation is a 404; a draft evaluation a 409.
async fn who_may_send_a_batch(app: TestApp) {
    let admin = app.yasothon_admin();
    let evaluation = active_demo(&app, &admin).await;
    let body = json!({"evaluation_id": evaluation, "items": [item("E.1", "YST-PEO", "2022-01", json!(1))]});
    for token in [
        app.token("viewer", Some("TH-35")),
        app.token("supervisor", Some("YST-PO")),
    ] {
        send(&app, &token, &body)
            .await
            .assert_problem(403, "forbidden");
        app.post(BATCH)
            .bearer(&token)
            .raw("application/json", "{not json")
            .send()
            .await
            .assert_problem(403, "forbidden");
    }
    let other = app.token("province_admin", Some("SPK-PO"));
    send(&app, &other, &body)
        .await
        .assert_problem(404, "not-found");
    send_csv(&app, &other, &format!("evaluation_id={evaluation}"), "x\n")
        .await
        .assert_problem(404, "not-found");
    app.post(BATCH)
        .bearer(&admin)
        .raw("text/plain", "indicator_code")
        .send()
        .await
        .assert_problem(415, "unsupported-media-type");
    assert_eq!(snapshot(&app).await, vec![]);
}

async fn messages_in_thai_for_the_people_who_fix_the_rows(app: TestApp) {
    let admin = app.yasothon_admin();
    let evaluation = active_demo(&app, &admin).await;
    let body = json!({"evaluation_id": evaluation, "items": [item("E.1", "YST-PEO", "2022-10", json!(1)), item("E.9", "YST-PEO", "2022-01", json!(1))]});
    let thai = app
        .post(BATCH)
        .bearer(&admin)
        .header("Accept-Language", "th-TH,th;q=0.9,en;q=0.5")
        .json(&body)
        .send()
        .await
        .json();
    assert_eq!(thai["errors"][0]["field"], "period");
    assert!(
        thai["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("ต.ค. 2565"),
        "{thai}"
    );
    assert!(
        thai["errors"][1]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("ไม่พบตัวชี้วัด"),
        "{thai}"
    );
    let english = send(&app, &admin, &body).await.json();
    assert!(english["errors"][1]["message"]
        .as_str()
        .unwrap_or_default()
        .contains("no indicator E.9"));
}

/// More than 100,000 items is a 422 naming `items`; more than KPI_MAX_BATCH_BYTES a 413.
async fn limits_of_a_batch(app: TestApp) {
    let admin = app.yasothon_admin();
    let evaluation = active_demo(&app, &admin).await;
    let mut csv = String::from("indicator_code,organization_code,period\n");
    for _ in 0..100_001 {
        csv.push_str("E.1,YST-PEO,2022-01\n");
    }
    let response = send_csv(&app, &admin, &format!("evaluation_id={evaluation}"), &csv).await;
    response.assert_problem(422, "validation");
    assert_eq!(response.error_fields(), ["items"]);
    let mut big = String::from("indicator_code,organization_code,period,narrative\n");
    let row = format!("E.1,YST-PEO,2022-01,{}\n", "ก".repeat(1000));
    while big.len() <= 33_554_432 {
        big.push_str(&row);
    }
    send_csv(&app, &admin, &format!("evaluation_id={evaluation}"), &big)
        .await
        .assert_problem(413, "payload-too-large");
    assert_eq!(snapshot(&app).await, vec![]);
}

async fn an_idempotency_key_replays_the_first_report(app: TestApp) {
    let admin = app.yasothon_admin();
    let evaluation = active_demo(&app, &admin).await;
    let body = json!({"evaluation_id": evaluation, "items": [item("E.1", "YST-PEO", "2022-01", json!(1))]});
    let first = app
        .post(BATCH)
        .bearer(&admin)
        .header("Idempotency-Key", "e-report-2565-01")
        .json(&body)
        .send()
        .await;
    first.assert_status(200);
    let again = app
        .post(BATCH)
        .bearer(&admin)
        .header("Idempotency-Key", "e-report-2565-01")
        .json(&body)
        .send()
        .await;
    again.assert_status(200);
    assert_eq!(again.json(), first.json());
    assert_eq!(again.json()["created"], 1);
    let mut other = body.clone();
    other["items"][0]["value"] = json!(2);
    app.post(BATCH)
        .bearer(&admin)
        .header("Idempotency-Key", "e-report-2565-01")
        .json(&other)
        .send()
        .await
        .assert_problem(422, "idempotency-key-reused");
}

/// The e-report pushes the same figures twice at once: the batches take turns, so one creates
/// and the other finds them unchanged (no unique violation, no 5xx); then a parallel push of
/// changed figures updates each report once.
async fn parallel_pushes_of_the_same_figures_take_turns(app: TestApp) {
    let admin = app.yasothon_admin();
    let evaluation = active_demo(&app, &admin).await;
    let integration = app.token("integration", None);
    let months = [
        "2021-10", "2021-11", "2021-12", "2022-01", "2022-02", "2022-03",
    ];
    let body = |value: f64| {
        let items: Vec<Value> = months
            .iter()
            .flat_map(|m| {
                [
                    item("E.1", "YST-PEO", m, json!(value)),
                    item("E.2", "YST-PEO", m, json!(value)),
                    item("E.1", "YST-PHO", m, json!(value)),
                ]
            })
            .collect();
        json!({"evaluation_id": evaluation, "items": items})
    };
    let first = body(1000.0);
    let responses =
        futures_util::future::join_all((0..4).map(|_| send(&app, &integration, &first))).await;
    let mut outcomes: Vec<(u64, u64)> = responses
        .iter()
        .map(|r| {
            r.assert_status(200);
            let report = r.json();
            (
                report["created"].as_u64().unwrap_or_default(),
                report["unchanged"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    outcomes.sort();
    assert_eq!(outcomes, [(0, 18), (0, 18), (0, 18), (18, 0)]);
    let second = body(990.0);
    let responses =
        futures_util::future::join_all((0..3).map(|_| send(&app, &integration, &second))).await;
    let mut updated: Vec<u64> = responses
        .iter()
        .map(|r| r.json()["updated"].as_u64().unwrap_or_default())
        .collect();
    updated.sort();
    assert_eq!(updated, [0, 0, 18]);
    let versions: Vec<i64> = snapshot(&app).await.iter().map(|(_, v, _, _)| *v).collect();
    assert!(versions.iter().all(|v| *v == 2), "{versions:?}");
}

/// What a fresh-eyes review found, each now a rule: an officer's batch does not rewrite a
/// submitted report (by hand it may not either); an item without a narrative keeps the stored
/// one; a backfill is never in the future and keeps microseconds; a misspelt setting in the
/// query is a 400, not a real run; a dry run and a real run of one file are two requests to an
/// Idempotency-Key; an item of many unknown keys costs a few lines of the report.
async fn a_batch_follows_the_single_report_s_rules_and_bounds(app: TestApp) {
    let admin = app.yasothon_admin();
    let evaluation = active_demo(&app, &admin).await;
    let officer = app.token("agency_officer", Some("YST-PEO"));
    let batch = |items: Value| json!({"evaluation_id": evaluation, "items": items});
    let filed = send(&app, &officer, &batch(json!([{"indicator_code": "E.2", "organization_code": "YST-PEO", "period": "2022-08", "value": 400, "narrative": "น้ำมันดีเซล"}]))).await.json();
    assert_eq!(filed["created"], 1);
    let rewrite = send(
        &app,
        &officer,
        &batch(json!([item("E.2", "YST-PEO", "2022-08", json!(999))])),
    )
    .await
    .json();
    assert_eq!(errors_by_index(&rewrite), [(0, "value".to_owned())]);
    // The e-report pushes the value again without the narrative: unchanged, narrative kept.
    let integration = app.token("integration", None);
    let resend = send(
        &app,
        &integration,
        &batch(json!([item("E.2", "YST-PEO", "2022-08", json!(400))])),
    )
    .await
    .json();
    assert_eq!(resend["unchanged"], 1);
    let corrected = send(
        &app,
        &integration,
        &batch(json!([item("E.2", "YST-PEO", "2022-08", json!(401))])),
    )
    .await
    .json();
    assert_eq!(corrected["updated"], 1);
    let stored = get(&app, &admin, "/api/v1/submissions?period=2022-08").await;
    assert_eq!(stored["items"][0]["narrative"], "น้ำมันดีเซล");
    assert_eq!(stored["items"][0]["value"], 401.0);
    // Backfill: microseconds, and never in the future.
    let backfill = |period: &str, at: &str| json!({"indicator_code": "E.1", "organization_code": "YST-PEO", "period": period, "value": 1, "submitted_at": at});
    let report = send(
        &app,
        &integration,
        &batch(json!([
            backfill("2022-01", "2022-02-02T16:59:59.9999999Z"),
            backfill("2022-02", "2099-01-01T00:00:00Z"),
        ])),
    )
    .await
    .json();
    assert_eq!(errors_by_index(&report), [(1, "submitted_at".to_owned())]);
    let january = get(&app, &admin, "/api/v1/submissions?period=2022-01").await;
    assert_eq!(
        january["items"][0]["first_submitted_at"],
        "2022-02-02T16:59:59.999999Z"
    );
    assert_eq!(january["items"][0]["on_time"], true);
    // A misspelt setting is refused, not ignored.
    let csv = "indicator_code,organization_code,period,value\nE.1,YST-PEO,2022-03,5\n";
    let misspelt = send_csv(
        &app,
        &admin,
        &format!("evaluation_id={evaluation}&dry-run=true"),
        csv,
    )
    .await;
    misspelt.assert_problem(400, "bad-request");
    // A dry run and a real run of the same file under one key are two requests.
    let keyed = |query: String| {
        app.post(&format!("{BATCH}?{query}"))
            .bearer(&admin)
            .header("Idempotency-Key", "spreadsheet-2565-03")
            .raw("text/csv", csv.to_owned())
            .send()
    };
    keyed(format!("evaluation_id={evaluation}&dry_run=true"))
        .await
        .assert_status(200);
    keyed(format!("evaluation_id={evaluation}"))
        .await
        .assert_problem(422, "idempotency-key-reused");
    // A million unknown keys would be a million problems; a few are listed.
    let keys: Vec<String> = (0..5000).map(|k| format!("\"k{k}\": 0")).collect();
    let body = format!(
        "{{\"evaluation_id\": {evaluation}, \"dry_run\": true, \"items\": [{{{}}}]}}",
        keys.join(",")
    );
    let report = app
        .post(BATCH)
        .bearer(&admin)
        .raw("application/json", body)
        .send()
        .await
        .json();
    let errors = report["errors"]
        .as_array()
        .map(Vec::len)
        .unwrap_or_default();
    assert!(errors <= 8, "{errors} problems for one item");
}
