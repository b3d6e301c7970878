//! Published snapshots (docs/DOMAIN.md, "Published snapshots"): a round's summary stored once
//! for a meeting, on the demo year, unchanged by later reports, targets and weights, with the
//! SHA-256 of its canonical JSON.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::both_engines;
use crate::fixtures::{backfill, demo_year, get, indicator_by_code, patch, sql};
use crate::support::TestApp;
use provincial_kpi::demo::DEMO_AS_OF;

both_engines!(
    a_snapshot_keeps_its_figures_when_reports_targets_and_weights_change,
    who_may_publish_and_read_snapshots,
    an_idempotency_key_replays_the_same_snapshot,
    an_as_of_later_than_now_is_refused_and_the_default_is_now,
    a_round_with_a_snapshot_is_not_deleted,
    a_summary_changed_behind_the_service_is_never_served,
);

/// The demo framework, its two rounds and its reports, seeded as `serve --demo` does (see
/// tests/api/demo.rs); returns the evaluation and the 6-month round (round 1 of the demo).
async fn seeded(app: &TestApp) -> (i64, i64) {
    let (evaluation, _) = demo_year(app);
    let rounds = get(
        app,
        &app.admin(),
        &format!("/api/v1/evaluations/{evaluation}/rounds"),
    )
    .await;
    let six = rounds["items"]
        .as_array()
        .and_then(|items| items.iter().find(|r| r["end_period"] == "2022-02"))
        .and_then(|r| r["id"].as_i64())
        .expect("the 6-month round");
    (evaluation, six)
}

fn publish_path(round: i64, as_of: Option<&str>) -> String {
    match as_of {
        Some(at) => format!("/api/v1/rounds/{round}/snapshots?as_of={at}"),
        None => format!("/api/v1/rounds/{round}/snapshots"),
    }
}

/// The canonical JSON recomputed here, independently of the service: members sorted by key
/// through a BTreeMap at every depth, written compactly by serde_json.
/// RFC 8785 canonical JSON, written here independently for the documents these tests make:
/// keys sorted (all ASCII or BMP Thai here, where UTF-16 and code-point order agree), compact,
/// integral numbers as integers (`70`, not `70.0`), others as Rust's shortest decimal (which
/// agrees with ECMAScript between 1e-6 and 1e21, the range of every figure here).
fn canonical(value: &Value) -> String {
    fn write(value: &Value, out: &mut String) {
        match value {
            Value::Object(members) => {
                let ordered: BTreeMap<&String, &Value> = members.iter().collect();
                out.push('{');
                for (i, (key, item)) in ordered.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&serde_json::to_string(key).expect("key"));
                    out.push(':');
                    write(item, out);
                }
                out.push('}');
            }
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write(item, out);
                }
                out.push(']');
            }
            Value::Number(number) => {
                let x = number.as_f64().expect("a number");
                assert!(
                    x == 0.0 || (1e-6..1e21).contains(&x.abs()),
                    "{x} out of range"
                );
                if x.fract() == 0.0 {
                    out.push_str(&format!("{x:.0}"));
                } else {
                    out.push_str(&x.to_string());
                }
            }
            other => out.push_str(&other.to_string()),
        }
    }
    let mut out = String::new();
    write(value, &mut out);
    out
}

fn sha256(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn indicator<'a>(summary: &'a Value, code: &str) -> &'a Value {
    summary["indicators"]
        .as_array()
        .and_then(|items| items.iter().find(|i| i["indicator_code"] == code))
        .unwrap_or_else(|| panic!("no {code} in {summary}"))
}

/// Issue 13's "done when": a snapshot's figures and hash stay the same after its evaluation's
/// reports, a target and a weight change, while the live summary moves.
async fn a_snapshot_keeps_its_figures_when_reports_targets_and_weights_change(app: TestApp) {
    let (evaluation, round) = seeded(&app).await;
    let province_admin = app.yasothon_admin();
    let live_path = format!("/api/v1/rounds/{round}/summary?as_of={DEMO_AS_OF}");
    let live_before = get(&app, &province_admin, &live_path).await;
    // The live summary in every other format at that instant.
    let body_of = |path: String| {
        let app = &app;
        let token = province_admin.clone();
        async move {
            let response = app.get(&path).bearer(&token).send().await;
            response.assert_status(200);
            response.body.clone()
        }
    };
    let live_tables = [
        body_of(format!("{live_path}&format=csv&part=organizations")).await,
        body_of(format!("{live_path}&format=csv")).await,
    ];

    let published = app
        .post(&publish_path(round, Some(DEMO_AS_OF)))
        .bearer(&province_admin)
        .send()
        .await;
    published.assert_status(201);
    let snapshot = published.json();
    let id = snapshot["id"].as_i64().expect("id");
    assert_eq!(
        published.header("location").as_deref(),
        Some(format!("/api/v1/snapshots/{id}").as_str())
    );
    assert_eq!(snapshot["round_id"], round);
    assert_eq!(snapshot["evaluation_id"], evaluation);
    assert_eq!(snapshot["as_of"], DEMO_AS_OF);
    assert_eq!(snapshot["published_by"]["subject"], "test-province_admin");
    assert_eq!(snapshot["published_by"]["name"], "ผู้ทดสอบ");
    assert!(snapshot["published_at"].as_str().expect("published_at") > DEMO_AS_OF);
    // The figures are the live summary's at that instant, exactly.
    // (As JSON documents: the canonical form writes 70.0 as 70, RFC 8785.)
    assert!(canonical(&snapshot["summary"]) == canonical(&live_before));
    // The hash is SHA-256 of the canonical JSON, recomputed here.
    let hash = snapshot["sha256"].as_str().expect("sha256").to_owned();
    assert_eq!(hash, sha256(&canonical(&live_before)));
    assert_eq!(hash.len(), 64);

    let read = app
        .get(&format!("/api/v1/snapshots/{id}"))
        .bearer(&province_admin)
        .send()
        .await;
    read.assert_status(200);
    assert_eq!(read.header("etag"), Some(format!("\"{hash}\"")));
    assert_eq!(read.json(), snapshot);
    // Every format of the snapshot, as published: the tables are the live ones at that
    // instant; the chart and the page name the publication and its hash.
    let snapshot_files_at = || async {
        [
            body_of(format!(
                "/api/v1/snapshots/{id}?format=csv&part=organizations"
            ))
            .await,
            body_of(format!("/api/v1/snapshots/{id}?format=csv")).await,
            body_of(format!("/api/v1/snapshots/{id}?format=xlsx")).await,
            body_of(format!("/api/v1/snapshots/{id}/summary.svg")).await,
            body_of(format!("/api/v1/snapshots/{id}/summary.html")).await,
        ]
    };
    let published_files = snapshot_files_at().await;
    assert!(published_files[0] == live_tables[0] && published_files[1] == live_tables[1]);
    for page in &published_files[3..] {
        let text = std::str::from_utf8(page).expect("UTF-8");
        assert!(text.contains(&hash), "the chart and the page show the hash");
        assert!(
            text.contains("ฉบับเผยแพร่ #"),
            "and that they are a publication"
        );
    }

    // Audited, with who published it.
    let events = get(
        &app,
        &app.admin(),
        &format!("/api/v1/audit-events?entity_type=snapshot&entity_id={id}"),
    )
    .await;
    let events = events["items"].as_array().expect("items").clone();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["action"], "publish");
    assert_eq!(events[0]["actor"], "test-province_admin");
    assert_eq!(events[0]["details"]["sha256"], hash.as_str());

    // Later: social security files December's 1.3 (backfilled before DEMO_AS_OF, so it counts
    // at that instant), E.1's target is renegotiated and component 1's weight changes.
    assert_eq!(indicator(&live_before, "1.3")["status"], "no_data");
    backfill(
        &app,
        evaluation,
        &[("1.3", "YST-SSO", "2021-12", 95.0, "2022-01-10T03:00:00Z")],
    )
    .await;
    let electricity = indicator_by_code(&app, &province_admin, evaluation, "E.1").await;
    patch(
        &app,
        &province_admin,
        &format!("/api/v1/indicators/{}", electricity["id"]),
        json!({"target": 5.0}),
    )
    .await
    .assert_status(200);
    let components = get(
        &app,
        &province_admin,
        &format!("/api/v1/evaluations/{evaluation}/components"),
    )
    .await;
    let first = components["items"][0]["id"].as_i64().expect("component");
    patch(
        &app,
        &province_admin,
        &format!("/api/v1/components/{first}"),
        json!({"weight": 60.0}),
    )
    .await
    .assert_status(200);

    // The live summary moved on every count ...
    let live_after = get(&app, &province_admin, &live_path).await;
    assert_ne!(live_after, live_before);
    assert_ne!(indicator(&live_after, "1.3")["status"], "no_data");
    assert_eq!(indicator(&live_after, "E.1")["target"], 5.0);
    assert_eq!(live_after["components"][0]["weight"], 60.0);
    assert_ne!(
        live_after["overall_percent"],
        live_before["overall_percent"]
    );
    // ... the snapshot did not: the whole document, figures and hash.
    let again = app
        .get(&format!("/api/v1/snapshots/{id}"))
        .bearer(&province_admin)
        .send()
        .await;
    again.assert_status(200);
    assert_eq!(again.json(), snapshot);
    assert_eq!(again.header("etag"), Some(format!("\"{hash}\"")));
    assert_eq!(sha256(&canonical(&again.json()["summary"])), hash);
    // Every format of the snapshot is byte for byte what it was when published (the workbook
    // too: it is dated as_of, not the moment it is written).
    let later_files = snapshot_files_at().await;
    for (published, later) in published_files.iter().zip(&later_files) {
        assert!(
            published == later,
            "a snapshot's file changed after publishing"
        );
    }
    let workbook = app
        .get(&format!("/api/v1/snapshots/{id}?format=xlsx"))
        .bearer(&province_admin)
        .send()
        .await;
    workbook.assert_status(200);
    assert_eq!(
        workbook.header("content-type").as_deref(),
        Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    );
    assert_eq!(workbook.header("etag"), Some(format!("\"{hash}\"")));

    // A second publication now has the new figures and another hash; the list has both, in
    // the order published, without their summaries.
    let second = app
        .post(&publish_path(round, Some(DEMO_AS_OF)))
        .bearer(&province_admin)
        .send()
        .await;
    second.assert_status(201);
    let second = second.json();
    assert!(canonical(&second["summary"]) == canonical(&live_after));
    assert_ne!(second["sha256"], hash.as_str());
    let list = get(
        &app,
        &app.token("viewer", Some("TH-35")),
        &format!("/api/v1/rounds/{round}/snapshots"),
    )
    .await;
    let items = list["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["id"], id);
    assert_eq!(items[0]["sha256"], hash.as_str());
    assert_eq!(items[1]["id"], second["id"]);
    assert!(items.iter().all(|item| item.get("summary").is_none()));
    assert!(list["next_cursor"].is_null());
    // Paginated like every list.
    let page = get(
        &app,
        &app.admin(),
        &format!("/api/v1/rounds/{round}/snapshots?limit=1"),
    )
    .await;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(1));
    let cursor = page["next_cursor"].as_str().expect("cursor");
    let rest = get(
        &app,
        &app.admin(),
        &format!("/api/v1/rounds/{round}/snapshots?limit=1&cursor={cursor}"),
    )
    .await;
    assert_eq!(rest["items"][0]["id"], second["id"]);
}

/// The province's administrator and national administrators publish; every other role is
/// refused (403); another province's administrator cannot see the round (404). Whoever may
/// read the round reads its snapshots.
async fn who_may_publish_and_read_snapshots(app: TestApp) {
    let (_, round) = seeded(&app).await;
    let path = publish_path(round, Some(DEMO_AS_OF));
    for (role, org, status) in [
        ("viewer", Some("TH-35"), 403),
        ("agency_officer", Some("YST-PEO"), 403),
        ("supervisor", Some("YST-PO"), 403),
        ("integration", None, 403),
        ("viewer", None, 403),
        ("province_admin", Some("SPK-PO"), 404),
    ] {
        let response = app.post(&path).bearer(&app.token(role, org)).send().await;
        let kind = if status == 403 {
            "forbidden"
        } else {
            "not-found"
        };
        response.assert_problem(status, kind);
    }
    let by_admin = app.post(&path).bearer(&app.admin()).send().await;
    by_admin.assert_status(201);
    let by_admin = by_admin.json();
    assert_eq!(by_admin["published_by"]["subject"], "test-admin");
    let by_province = app.post(&path).bearer(&app.yasothon_admin()).send().await;
    by_province.assert_status(201);
    // The same instant, the same data: the same figures and hash.
    assert_eq!(by_province.json()["sha256"], by_admin["sha256"]);

    let id = by_admin["id"].as_i64().expect("id");
    for (role, org) in [
        ("viewer", Some("TH-35")),
        ("agency_officer", Some("YST-PEO")),
        ("supervisor", Some("YST-PO")),
        ("viewer", None),
    ] {
        let token = app.token(role, org);
        get(&app, &token, &format!("/api/v1/snapshots/{id}")).await;
        get(&app, &token, &format!("/api/v1/rounds/{round}/snapshots")).await;
    }
    let other = app.token("province_admin", Some("SPK-PO"));
    app.get(&format!("/api/v1/snapshots/{id}"))
        .bearer(&other)
        .send()
        .await
        .assert_problem(404, "not-found");
    app.get(&format!("/api/v1/rounds/{round}/snapshots"))
        .bearer(&other)
        .send()
        .await
        .assert_problem(404, "not-found");
    app.get("/api/v1/snapshots/999999")
        .bearer(&app.admin())
        .send()
        .await
        .assert_problem(404, "not-found");
    // No PATCH or DELETE: a snapshot never changes.
    let patched = app
        .patch(&format!("/api/v1/snapshots/{id}"))
        .bearer(&app.admin())
        .header("If-Match", "*")
        .json(&json!({"sha256": "0"}))
        .send()
        .await;
    patched.assert_problem(405, "method-not-allowed");
    app.delete(&format!("/api/v1/snapshots/{id}"))
        .bearer(&app.admin())
        .send()
        .await
        .assert_problem(405, "method-not-allowed");
}

/// A retry with the same `Idempotency-Key` and `as_of` gets the first snapshot back, nothing
/// stored twice; the key with another `as_of` is refused.
async fn an_idempotency_key_replays_the_same_snapshot(app: TestApp) {
    let (_, round) = seeded(&app).await;
    let token = app.yasothon_admin();
    let send = |as_of: &'static str| {
        let app = &app;
        let token = token.clone();
        async move {
            app.post(&publish_path(round, Some(as_of)))
                .bearer(&token)
                .header("Idempotency-Key", "meeting-2565-08-10")
                .send()
                .await
        }
    };
    let first = send(DEMO_AS_OF).await;
    first.assert_status(201);
    let repeat = send(DEMO_AS_OF).await;
    repeat.assert_status(201);
    assert_eq!(repeat.json(), first.json());
    assert_eq!(repeat.header("location"), first.header("location"));
    send("2022-07-10T03:00:00Z")
        .await
        .assert_problem(422, "idempotency-key-reused");
    let list = get(&app, &token, &format!("/api/v1/rounds/{round}/snapshots")).await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1));

    // A burst of 8 parallel publications with one new key stores one snapshot: each answer is
    // that snapshot (201) or "still running" (409), never a second publication.
    let path = publish_path(round, Some(DEMO_AS_OF));
    let burst = (0..8).map(|_| {
        app.post(&path)
            .bearer(&token)
            .header("Idempotency-Key", "meeting-burst-2565")
            .send()
    });
    let responses = futures_util::future::join_all(burst).await;
    let mut ids = std::collections::BTreeSet::new();
    for response in &responses {
        match response.status.as_u16() {
            201 => {
                ids.insert(response.json()["id"].as_i64().expect("id"));
            }
            409 => {
                response.assert_problem(409, "idempotency-in-progress");
            }
            other => panic!("a burst answered {other}"),
        }
    }
    assert_eq!(ids.len(), 1, "one snapshot for one key: {ids:?}");
    let list = get(&app, &token, &format!("/api/v1/rounds/{round}/snapshots")).await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(2));
}

/// A snapshot publishes what was known: an `as_of` later than now is a 422 naming `as_of`, and
/// nothing is stored; without `as_of` the summary is computed at the instant of publishing.
async fn an_as_of_later_than_now_is_refused_and_the_default_is_now(app: TestApp) {
    let (_, round) = seeded(&app).await;
    let token = app.yasothon_admin();
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let refused = app
        .post(&publish_path(round, Some(&tomorrow)))
        .bearer(&token)
        .send()
        .await;
    refused.assert_problem(422, "validation");
    assert_eq!(refused.error_fields(), ["as_of"]);
    // A malformed instant is a 400 naming it, before anything is computed.
    let malformed = app
        .post(&publish_path(round, Some("yesterday")))
        .bearer(&token)
        .send()
        .await;
    malformed.assert_problem(400, "bad-request");
    let list = get(&app, &token, &format!("/api/v1/rounds/{round}/snapshots")).await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(0));

    let now = app
        .post(&publish_path(round, None))
        .bearer(&token)
        .send()
        .await;
    now.assert_status(201);
    let now = now.json();
    assert_eq!(now["as_of"], now["published_at"]);
    assert_eq!(now["summary"]["as_of"], now["as_of"]);
}

/// A round whose summary was published is what meetings were shown: deleting it is a 409
/// (`referenced`) and it stays; a round without snapshots still deletes.
async fn a_round_with_a_snapshot_is_not_deleted(app: TestApp) {
    let (evaluation, round) = seeded(&app).await;
    let token = app.yasothon_admin();
    app.post(&publish_path(round, Some(DEMO_AS_OF)))
        .bearer(&token)
        .send()
        .await
        .assert_status(201);
    let refused = app
        .delete(&format!("/api/v1/rounds/{round}"))
        .bearer(&token)
        .send()
        .await;
    let problem = refused.assert_problem(409, "referenced");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("1 published snapshot")),
        "{problem}"
    );
    get(&app, &token, &format!("/api/v1/rounds/{round}")).await;
    let rounds = get(
        &app,
        &token,
        &format!("/api/v1/evaluations/{evaluation}/rounds"),
    )
    .await;
    let other = rounds["items"]
        .as_array()
        .and_then(|items| items.iter().find(|r| r["id"] != round))
        .and_then(|r| r["id"].as_i64())
        .expect("the 12-month round");
    app.delete(&format!("/api/v1/rounds/{other}"))
        .bearer(&token)
        .send()
        .await
        .assert_status(204);
}

/// A stored summary is served only when it hashes to its `sha256`: one edited behind the
/// service's back (a script "correcting" a figure) is an internal error, logged, never shown
/// to a meeting as the published figures.
async fn a_summary_changed_behind_the_service_is_never_served(app: TestApp) {
    let (_, round) = seeded(&app).await;
    let token = app.yasothon_admin();
    let published = app
        .post(&publish_path(round, Some(DEMO_AS_OF)))
        .bearer(&token)
        .send()
        .await;
    published.assert_status(201);
    let id = published.json()["id"].as_i64().expect("id");
    let tamper = format!(
        "UPDATE snapshots SET summary = replace(summary, '\"overall_percent\":', \
         '\"overall_percent\":1') WHERE id = {id}"
    );
    sql(&app, &tamper, &tamper);
    app.get(&format!("/api/v1/snapshots/{id}"))
        .bearer(&token)
        .send()
        .await
        .assert_problem(500, "internal");
    // The list shows what was published (no figures), so it still reads.
    get(&app, &token, &format!("/api/v1/rounds/{round}/snapshots")).await;
}
