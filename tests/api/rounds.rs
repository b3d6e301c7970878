//! Rounds: a named window of months inside the evaluation's span (nothing clipped), names unique
//! within an evaluation ignoring case, open while the evaluation is draft or active, who reads
//! and who manages them, and the audit trail.

use serde_json::{json, Value};

use crate::both_engines;
use crate::fixtures::{active_demo, create_evaluation, get, patch, post};
use crate::support::TestApp;

both_engines!(
    a_round_is_created_read_listed_changed_and_deleted,
    a_window_outside_the_span_is_refused_and_nothing_stored,
    rounds_may_overlap_and_start_before_the_fiscal_year,
    round_names_are_unique_ignoring_case,
    a_burst_of_one_name_creates_one_round,
    rounds_change_while_active_not_once_closed,
    the_province_reads_rounds_its_admin_manages_them,
    a_patch_needs_the_current_version,
    round_names_follow_the_text_rule,
    a_draft_span_keeps_its_rounds_inside,
);

const SIX: &str = "รอบ 6 เดือน (ก.ย. 2564 – ก.พ. 2565)";
const TWELVE: &str = "รอบ 12 เดือน (ก.ย. 2564 – ส.ค. 2565)";

/// Yasothon FY 2565 over Sep 2564 – Sep 2565 (the demo's span), a draft.
async fn draft_from_september(app: &TestApp, token: &str) -> i64 {
    create_evaluation(app, token, 2565, Some(("2021-09", "2022-09"))).await
}

fn round(name: &str, start: &str, end: &str) -> Value {
    json!({"name": name, "start_period": start, "end_period": end})
}

async fn rounds_of(app: &TestApp, token: &str, evaluation: i64) -> Vec<Value> {
    get(
        app,
        token,
        &format!("/api/v1/evaluations/{evaluation}/rounds?limit=500"),
    )
    .await["items"]
        .as_array()
        .cloned()
        .expect("items")
}

/// The audit events of one round, oldest first.
async fn audit_of(app: &TestApp, token: &str, id: &Value) -> Vec<Value> {
    get(
        app,
        token,
        &format!("/api/v1/audit-events?entity_type=round&entity_id={id}"),
    )
    .await["items"]
        .as_array()
        .cloned()
        .expect("items")
}

/// The demo's 6-month round, from POST to DELETE: 201 with Location and ETag, Thai labels, a
/// strong ETag on read, a merge patch with If-Match, and every change audited.
async fn a_round_is_created_read_listed_changed_and_deleted(app: TestApp) {
    let token = app.yasothon_admin();
    let evaluation = draft_from_september(&app, &token).await;
    let path = format!("/api/v1/evaluations/{evaluation}/rounds");
    let created = app
        .post(&path)
        .bearer(&token)
        .json(&round(SIX, "2021-09", "2022-02"))
        .send()
        .await;
    created.assert_status(201);
    let body = created.json();
    let id = body["id"].clone();
    assert_eq!(
        created.header("location"),
        Some(format!("/api/v1/rounds/{id}"))
    );
    assert_eq!(created.header("etag").as_deref(), Some("\"1\""));
    assert_eq!(
        (
            &body["evaluation_id"],
            &body["name"],
            &body["start_period"],
            &body["start_period_label_th"],
            &body["end_period"],
            &body["end_period_label_th"],
            &body["version"],
        ),
        (
            &json!(evaluation),
            &json!(SIX),
            &json!("2021-09"),
            &json!("ก.ย. 2564"),
            &json!("2022-02"),
            &json!("ก.พ. 2565"),
            &json!(1),
        )
    );

    let read = app
        .get(&format!("/api/v1/rounds/{id}"))
        .bearer(&token)
        .send()
        .await;
    read.assert_status(200);
    assert_eq!(read.header("etag").as_deref(), Some("\"1\""));
    assert_eq!(read.json(), body);

    // The 12-month round; the list is in id order and pages.
    let twelve = post(&app, &token, &path, round(TWELVE, "2021-09", "2022-08")).await;
    let first_page = get(&app, &token, &format!("{path}?limit=1")).await;
    assert_eq!(first_page["items"][0]["id"], id);
    let cursor = first_page["next_cursor"].as_str().expect("a next page");
    let second_page = get(&app, &token, &format!("{path}?limit=1&cursor={cursor}")).await;
    assert_eq!(second_page["items"][0]["id"], twelve["id"]);
    assert!(second_page.get("next_cursor").is_none_or(Value::is_null));

    // A merge patch keeps what it does not name; the ETag follows the version.
    let changed = app
        .patch(&format!("/api/v1/rounds/{id}"))
        .bearer(&token)
        .header("If-Match", "\"1\"")
        .json(&json!({"name": "  รอบ 5 เดือน (ก.ย. 2564 – ม.ค. 2565)  ", "end_period": "2022-01"}))
        .send()
        .await;
    changed.assert_status(200);
    assert_eq!(changed.header("etag").as_deref(), Some("\"2\""));
    let changed = changed.json();
    assert_eq!(
        (
            changed["name"].as_str(),
            changed["start_period"].as_str(),
            changed["end_period"].as_str(),
            changed["end_period_label_th"].as_str(),
            changed["version"].as_i64(),
        ),
        (
            Some("รอบ 5 เดือน (ก.ย. 2564 – ม.ค. 2565)"),
            Some("2021-09"),
            Some("2022-01"),
            Some("ม.ค. 2565"),
            Some(2),
        )
    );

    app.delete(&format!("/api/v1/rounds/{id}"))
        .bearer(&token)
        .header("If-Match", "\"2\"")
        .send()
        .await
        .assert_status(204);
    app.get(&format!("/api/v1/rounds/{id}"))
        .bearer(&token)
        .send()
        .await
        .assert_problem(404, "not-found");
    let left: Vec<Value> = rounds_of(&app, &token, evaluation)
        .await
        .into_iter()
        .map(|r| r["name"].clone())
        .collect();
    assert_eq!(left, [json!(TWELVE)]);

    let events = audit_of(&app, &token, &id).await;
    let actions: Vec<&str> = events.iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(actions, ["create", "update", "delete"]);
    assert_eq!(events[0]["details"]["name"], SIX);
    assert_eq!(
        (
            &events[1]["details"]["before"]["end_period"],
            &events[1]["details"]["after"]["end_period"],
        ),
        (&json!("2022-02"), &json!("2022-01"))
    );
    assert_eq!(events[2]["details"]["end_period"], "2022-01");
    assert_eq!(events[0]["actor_role"], "province_admin");
}

/// A window must lie inside the evaluation's span, in order: a month outside is a 422 naming
/// its field (nothing clipped), an end before the start a 422 naming `end_period`, every
/// problem at once; nothing is stored, and a patch that would leave the span changes nothing.
async fn a_window_outside_the_span_is_refused_and_nothing_stored(app: TestApp) {
    let token = app.yasothon_admin();
    // The default span: October 2564 … September 2565.
    let evaluation = create_evaluation(&app, &token, 2565, None).await;
    let path = format!("/api/v1/evaluations/{evaluation}/rounds");
    for (body, fields) in [
        (round(SIX, "2021-09", "2022-02"), vec!["start_period"]),
        (round(TWELVE, "2021-10", "2022-10"), vec!["end_period"]),
        (
            round("ทั้งสองด้าน", "2021-01", "2023-01"),
            vec!["start_period", "end_period"],
        ),
        (round("กลับด้าน", "2022-02", "2021-11"), vec!["end_period"]),
    ] {
        let refused = app.post(&path).bearer(&token).json(&body).send().await;
        refused.assert_problem(422, "validation");
        assert_eq!(refused.error_fields(), fields, "{body}");
    }
    let refused = app
        .post(&path)
        .bearer(&token)
        .json(&round(SIX, "2021-09", "2022-02"))
        .send()
        .await
        .json();
    assert_eq!(
        refused["errors"][0]["message"],
        "2021-09 is outside the evaluation's span 2021-10 … 2022-09"
    );
    assert_eq!(
        rounds_of(&app, &token, evaluation).await,
        Vec::<Value>::new()
    );

    // Inside the span it is fine; a patch leaving it is refused and changes nothing.
    let five = post(
        &app,
        &token,
        &path,
        round("รอบ 5 เดือน", "2021-10", "2022-02"),
    )
    .await;
    let moved = patch(
        &app,
        &token,
        &format!("/api/v1/rounds/{}", five["id"]),
        json!({"start_period": "2021-09"}),
    )
    .await;
    moved.assert_problem(422, "validation");
    assert_eq!(moved.error_fields(), vec!["start_period"]);
    let reversed = patch(
        &app,
        &token,
        &format!("/api/v1/rounds/{}", five["id"]),
        json!({"start_period": "2022-03"}),
    )
    .await;
    reversed.assert_problem(422, "validation");
    assert_eq!(reversed.error_fields(), vec!["end_period"]);
    assert_eq!(rounds_of(&app, &token, evaluation).await, vec![five]);
    // Not a month at all: a 400 naming the field.
    let malformed = app
        .post(&path)
        .bearer(&token)
        .json(&round("x", "2021-13", "2022-02"))
        .send()
        .await;
    malformed.assert_problem(400, "bad-request");
    assert_eq!(malformed.error_fields(), vec!["start_period"]);
}

/// The seed's two rounds overlap, and both start in September 2564, the month before FY 2565:
/// allowed when the span starts there.
async fn rounds_may_overlap_and_start_before_the_fiscal_year(app: TestApp) {
    let token = app.yasothon_admin();
    let evaluation = draft_from_september(&app, &token).await;
    let path = format!("/api/v1/evaluations/{evaluation}/rounds");
    let six = post(&app, &token, &path, round(SIX, "2021-09", "2022-02")).await;
    let twelve = post(&app, &token, &path, round(TWELVE, "2021-09", "2022-08")).await;
    // A window of one month at the span's last edge, and the whole span.
    let september = post(
        &app,
        &token,
        &path,
        round("ก.ย. 2565", "2022-09", "2022-09"),
    )
    .await;
    let whole = post(&app, &token, &path, round("ทั้งปี", "2021-09", "2022-09")).await;
    assert_eq!(
        rounds_of(&app, &token, evaluation).await,
        vec![six, twelve, september, whole]
    );
}

/// Rankings find rounds by name: within an evaluation a name is taken ignoring case (and the
/// spaces around it), at create and at patch (409 naming `name`); another evaluation may
/// reuse it, and a round may change the case of its own name.
async fn round_names_are_unique_ignoring_case(app: TestApp) {
    let token = app.yasothon_admin();
    let evaluation = draft_from_september(&app, &token).await;
    let path = format!("/api/v1/evaluations/{evaluation}/rounds");
    post(
        &app,
        &token,
        &path,
        round("Round 6 (Sep 2564 – Feb 2565)", "2021-09", "2022-02"),
    )
    .await;
    let other = post(&app, &token, &path, round(TWELVE, "2021-09", "2022-08")).await;
    for name in [
        "ROUND 6 (sep 2564 – feb 2565)",
        "  round 6 (Sep 2564 – Feb 2565) ",
    ] {
        let duplicate = app
            .post(&path)
            .bearer(&token)
            .json(&round(name, "2021-10", "2022-03"))
            .send()
            .await;
        duplicate.assert_problem(409, "duplicate");
        assert_eq!(duplicate.error_fields(), vec!["name"]);
    }
    let renamed = patch(
        &app,
        &token,
        &format!("/api/v1/rounds/{}", other["id"]),
        json!({"name": "round 6 (SEP 2564 – FEB 2565)"}),
    )
    .await;
    renamed.assert_problem(409, "duplicate");
    assert_eq!(renamed.error_fields(), vec!["name"]);
    // Its own name in another case is no clash.
    let recased = patch(
        &app,
        &token,
        &format!("/api/v1/rounds/{}", other["id"]),
        json!({"name": "รอบ 12 เดือน (ก.ย. 2564 – ส.ค. 2565) FINAL"}),
    )
    .await;
    recased.assert_status(200);
    patch(
        &app,
        &token,
        &format!("/api/v1/rounds/{}", other["id"]),
        json!({"name": "รอบ 12 เดือน (ก.ย. 2564 – ส.ค. 2565) final"}),
    )
    .await
    .assert_status(200);
    let next_year = create_evaluation(&app, &token, 2566, None).await;
    post(
        &app,
        &token,
        &format!("/api/v1/evaluations/{next_year}/rounds"),
        round("round 6 (sep 2564 – feb 2565)", "2022-10", "2023-03"),
    )
    .await;
    assert_eq!(rounds_of(&app, &token, evaluation).await.len(), 2);
}

/// Of 8 parallel POSTs of one name, exactly one creates the round; the others are 409s naming
/// `name`, never a 5xx.
async fn a_burst_of_one_name_creates_one_round(app: TestApp) {
    let token = app.yasothon_admin();
    let evaluation = draft_from_september(&app, &token).await;
    let path = format!("/api/v1/evaluations/{evaluation}/rounds");
    let burst = (0..8).map(|i| {
        let name = if i % 2 == 0 {
            SIX.to_owned()
        } else {
            format!(" {SIX}")
        };
        app.post(&path)
            .bearer(&token)
            .json(&round(&name, "2021-09", "2022-02"))
            .send()
    });
    let responses = futures_util::future::join_all(burst).await;
    let mut statuses: Vec<u16> = responses.iter().map(|r| r.status.as_u16()).collect();
    statuses.sort();
    assert_eq!(statuses, [201, 409, 409, 409, 409, 409, 409, 409]);
    for refused in responses.iter().filter(|r| r.status.as_u16() == 409) {
        refused.assert_problem(409, "duplicate");
        assert_eq!(refused.error_fields(), vec!["name"]);
    }
    assert_eq!(rounds_of(&app, &token, evaluation).await.len(), 1);
}

/// Opening rounds is a mid-year job: while active, rounds are created, changed and deleted;
/// once closed they are read-only (409) and still read.
async fn rounds_change_while_active_not_once_closed(app: TestApp) {
    let token = app.yasothon_admin();
    let evaluation = active_demo(&app, &token).await;
    let path = format!("/api/v1/evaluations/{evaluation}/rounds");
    let six = post(&app, &token, &path, round(SIX, "2021-09", "2022-02")).await;
    let spare = post(&app, &token, &path, round("สำรอง", "2021-10", "2021-12")).await;
    patch(
        &app,
        &token,
        &format!("/api/v1/rounds/{}", spare["id"]),
        json!({"end_period": "2022-03"}),
    )
    .await
    .assert_status(200);
    app.delete(&format!("/api/v1/rounds/{}", spare["id"]))
        .bearer(&token)
        .send()
        .await
        .assert_status(204);

    patch(
        &app,
        &token,
        &format!("/api/v1/evaluations/{evaluation}"),
        json!({"status": "closed"}),
    )
    .await
    .assert_status(200);
    app.post(&path)
        .bearer(&token)
        .json(&round(TWELVE, "2021-09", "2022-08"))
        .send()
        .await
        .assert_problem(409, "invalid-state");
    let round_path = format!("/api/v1/rounds/{}", six["id"]);
    patch(&app, &token, &round_path, json!({"name": "รอบแรก"}))
        .await
        .assert_problem(409, "invalid-state");
    // Even a patch that changes nothing.
    patch(&app, &token, &round_path, json!({}))
        .await
        .assert_problem(409, "invalid-state");
    app.delete(&round_path)
        .bearer(&token)
        .send()
        .await
        .assert_problem(409, "invalid-state");
    assert_eq!(get(&app, &token, &round_path).await, six);
    assert_eq!(rounds_of(&app, &token, evaluation).await, vec![six]);
}

/// Everyone who may read the evaluation reads its rounds; only an admin or the province's own
/// admin manages them (403 for the province's officer, supervisor and viewer); another
/// province's admin does not learn they exist (404).
async fn the_province_reads_rounds_its_admin_manages_them(app: TestApp) {
    let token = app.yasothon_admin();
    let evaluation = draft_from_september(&app, &token).await;
    let path = format!("/api/v1/evaluations/{evaluation}/rounds");
    let six = post(&app, &token, &path, round(SIX, "2021-09", "2022-02")).await;
    let round_path = format!("/api/v1/rounds/{}", six["id"]);
    let readers = [
        app.token("agency_officer", Some("YST-PEO")),
        app.token("supervisor", Some("YST-PO")),
        app.token("viewer", Some("TH-35")),
    ];
    for reader in &readers {
        assert_eq!(get(&app, reader, &round_path).await, six);
        assert_eq!(rounds_of(&app, reader, evaluation).await, vec![six.clone()]);
        app.post(&path)
            .bearer(reader)
            .json(&round(TWELVE, "2021-09", "2022-08"))
            .send()
            .await
            .assert_problem(403, "forbidden");
        patch(&app, reader, &round_path, json!({"name": "x"}))
            .await
            .assert_problem(403, "forbidden");
        app.delete(&round_path)
            .bearer(reader)
            .send()
            .await
            .assert_problem(403, "forbidden");
    }
    let samut_prakan = app.token("province_admin", Some("SPK-PO"));
    app.get(&round_path)
        .bearer(&samut_prakan)
        .send()
        .await
        .assert_problem(404, "not-found");
    app.get(&path)
        .bearer(&samut_prakan)
        .send()
        .await
        .assert_problem(404, "not-found");
    app.post(&path)
        .bearer(&samut_prakan)
        .json(&round(TWELVE, "2021-09", "2022-08"))
        .send()
        .await
        .assert_problem(404, "not-found");
    patch(&app, &samut_prakan, &round_path, json!({"name": "x"}))
        .await
        .assert_problem(404, "not-found");
    app.delete(&round_path)
        .bearer(&samut_prakan)
        .send()
        .await
        .assert_problem(404, "not-found");
    // A national admin manages every province's rounds.
    patch(
        &app,
        &app.admin(),
        &round_path,
        json!({"end_period": "2022-03"}),
    )
    .await
    .assert_status(200);
    assert_eq!(rounds_of(&app, &token, evaluation).await.len(), 1);
}

/// PATCH needs `If-Match`: 428 without it, 412 with a stale version; neither changes anything.
async fn a_patch_needs_the_current_version(app: TestApp) {
    let token = app.yasothon_admin();
    let evaluation = draft_from_september(&app, &token).await;
    let six = post(
        &app,
        &token,
        &format!("/api/v1/evaluations/{evaluation}/rounds"),
        round(SIX, "2021-09", "2022-02"),
    )
    .await;
    let round_path = format!("/api/v1/rounds/{}", six["id"]);
    app.patch(&round_path)
        .bearer(&token)
        .json(&json!({"name": "รอบแรก"}))
        .send()
        .await
        .assert_problem(428, "precondition-required");
    app.patch(&round_path)
        .bearer(&token)
        .header("If-Match", "\"2\"")
        .json(&json!({"name": "รอบแรก"}))
        .send()
        .await
        .assert_problem(412, "precondition-failed");
    app.delete(&round_path)
        .bearer(&token)
        .header("If-Match", "\"2\"")
        .send()
        .await
        .assert_problem(412, "precondition-failed");
    assert_eq!(get(&app, &token, &round_path).await, six);
    // Read-only and unknown fields are refused.
    let refused = patch(&app, &token, &round_path, json!({"evaluation_id": 2})).await;
    refused.assert_problem(400, "bad-request");
    let refused = patch(&app, &token, &round_path, json!({"name": null})).await;
    refused.assert_problem(400, "bad-request");
    assert_eq!(get(&app, &token, &round_path).await, six);
}

/// A name is 1–200 characters once trimmed, without control characters or bidirectional
/// overrides (the text rule), each a 422 naming `name`; a retried POST with the same
/// `Idempotency-Key` gets the first answer and stores one round.
async fn round_names_follow_the_text_rule(app: TestApp) {
    let token = app.yasothon_admin();
    let evaluation = draft_from_september(&app, &token).await;
    let path = format!("/api/v1/evaluations/{evaluation}/rounds");
    for name in [
        "   ".to_owned(),
        "ก".repeat(201),
        "รอบ\u{202E}6".to_owned(),
        "รอบ\r6".to_owned(),
        "รอบ\n6".to_owned(),
        "รอบ\t6".to_owned(),
        "\u{200B}".to_owned(),
        "\u{FEFF}".to_owned(),
    ] {
        let refused = app
            .post(&path)
            .bearer(&token)
            .json(&round(&name, "2021-09", "2022-02"))
            .send()
            .await;
        refused.assert_problem(422, "validation");
        assert_eq!(refused.error_fields(), vec!["name"], "{name:?}");
    }
    post(
        &app,
        &token,
        &path,
        round(&"ก".repeat(200), "2021-09", "2022-02"),
    )
    .await;
    let send = || {
        app.post(&path)
            .bearer(&token)
            .header("Idempotency-Key", "round-six-2565")
            .json(&round(SIX, "2021-09", "2022-02"))
            .send()
    };
    let first = send().await;
    first.assert_status(201);
    let again = send().await;
    again.assert_status(201);
    assert_eq!(again.json(), first.json());
    assert_eq!(rounds_of(&app, &token, evaluation).await.len(), 2);
}

/// A draft's span may move, but not past a round's window: shrinking it under the 6-month
/// round is a 422 naming `reporting_start`, and the span stays; once the round is moved, it may.
async fn a_draft_span_keeps_its_rounds_inside(app: TestApp) {
    let token = app.yasothon_admin();
    let evaluation = draft_from_september(&app, &token).await;
    let created = post(
        &app,
        &token,
        &format!("/api/v1/evaluations/{evaluation}/rounds"),
        round(SIX, "2021-09", "2022-02"),
    )
    .await;
    let path = format!("/api/v1/evaluations/{evaluation}");
    let shrunk = patch(&app, &token, &path, json!({"reporting_start": "2021-10"})).await;
    shrunk.assert_problem(422, "validation");
    assert_eq!(shrunk.error_fields(), vec!["reporting_start"]);
    assert_eq!(get(&app, &token, &path).await["reporting_start"], "2021-09");
    let moved = patch(
        &app,
        &token,
        &format!("/api/v1/rounds/{}", created["id"]),
        json!({"start_period": "2021-10"}),
    )
    .await;
    moved.assert_status(200);
    let shrunk = patch(&app, &token, &path, json!({"reporting_start": "2021-10"})).await;
    shrunk.assert_status(200);
}
