//! Round summaries and the indicator drill-down, through the service on both engines, every
//! expectation computed by hand beside its assertion (docs/DOMAIN.md, "Scoring" and "Round
//! summaries"; DESIGN.md section 3). Reports are backfilled by the national admin's batch, so
//! each first submission is an exact instant.
//!
//! Due instants with deadline day 3 (00:00 Bangkok on the 3rd = 17:00 UTC on the 2nd):
//! 2021-09 → 2021-10-02T17:00Z, 2021-10 → 2021-11-02T17:00Z, 2021-11 → 2021-12-02T17:00Z,
//! 2021-12 → 2022-01-02T17:00Z, 2022-01 → 2022-02-02T17:00Z, 2022-02 → 2022-03-02T17:00Z.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use diesel::connection::{Connection, InstrumentationEvent};
use provincial_kpi::policy::{Caller, Role};
use provincial_kpi::storage::ConnectionManager;
use serde_json::{json, Value};

use crate::both_engines;
use crate::fixtures::{
    active_demo, active_from_document, backfill, demo_evaluation, get, indicator_by_code, patch,
    post, three_level, yasothon_agency, Backfill,
};
use crate::support::TestApp;

both_engines!(
    the_worked_example_of_domain_md,
    every_over_time_and_across_orgs_choice,
    both_score_bases_with_per_assignment_and_fallback_baselines,
    three_level_five_level_and_lower_is_better_criteria,
    no_data_not_due_and_a_component_with_nothing_due,
    the_as_of_cut_off,
    a_round_crossing_the_fiscal_year_start,
    weights_that_no_longer_sum_to_100_after_a_mid_year_change,
    who_reads_the_summary_and_the_drill_down,
    a_national_round_summary_runs_in_a_constant_number_of_queries,
    the_facts_statement_reads_only_its_covering_index,
);

// ---------------------------------------------------------------------------------------------
// Building blocks

fn host(code: &str) -> Value {
    json!({"organization_code": code, "role": "host"})
}

fn host_with_baseline(code: &str, baseline: f64) -> Value {
    json!({"organization_code": code, "role": "host", "baseline": baseline})
}

/// An indicator of a framework document: `fields` over a monthly one named after its code.
fn indicator(code: &str, criteria: Value, assignments: Vec<Value>, fields: Value) -> Value {
    let mut body = json!({
        "code": code, "name": format!("ตัวชี้วัด {code}"), "frequency": "monthly",
        "criteria": criteria, "assignments": assignments,
    });
    for (field, value) in fields.as_object().expect("fields") {
        body[field] = value.clone();
    }
    body
}

fn component(code: &str, weight: f64, indicators: Vec<Value>) -> Value {
    json!({"code": code, "name": format!("องค์ประกอบที่ {code}"), "weight": weight,
           "indicators": indicators})
}

/// Linear from (0, 0) to (`top`, 100): a score the arithmetic can follow at a glance.
fn linear(top: f64) -> Value {
    json!([{"value": 0, "score": 0}, {"value": top, "score": 100}])
}

/// Five levels 1 → 1 … 5 → 5 (the older OPDC agreements).
fn five_level() -> Value {
    json!([
        {"value": 1, "score": 1}, {"value": 2, "score": 2}, {"value": 3, "score": 3},
        {"value": 4, "score": 4}, {"value": 5, "score": 5}
    ])
}

async fn open_round(app: &TestApp, evaluation: i64, name: &str, start: &str, end: &str) -> i64 {
    post(
        app,
        &app.yasothon_admin(),
        &format!("/api/v1/evaluations/{evaluation}/rounds"),
        json!({"name": name, "start_period": start, "end_period": end}),
    )
    .await["id"]
        .as_i64()
        .expect("round id")
}

async fn summary(app: &TestApp, token: &str, round: i64, as_of: &str) -> Value {
    let summary = get(
        app,
        token,
        &format!("/api/v1/rounds/{round}/summary?as_of={as_of}"),
    )
    .await;
    assert_eq!(summary["round"]["id"], round);
    summary
}

async fn drill_down(app: &TestApp, token: &str, round: i64, indicator: i64, as_of: &str) -> Value {
    get(
        app,
        token,
        &format!("/api/v1/rounds/{round}/indicators/{indicator}?as_of={as_of}"),
    )
    .await
}

async fn indicator_id(app: &TestApp, evaluation: i64, code: &str) -> i64 {
    indicator_by_code(app, &app.admin(), evaluation, code).await["id"]
        .as_i64()
        .expect("indicator id")
}

/// The summary's line of one indicator.
fn line<'a>(summary: &'a Value, code: &str) -> &'a Value {
    summary["indicators"]
        .as_array()
        .and_then(|lines| lines.iter().find(|l| l["indicator_code"] == code))
        .unwrap_or_else(|| panic!("no line {code} in {summary}"))
}

/// An indicator line's figures: value, target, score, max_score, percent, status, expected,
/// received, on_time, late.
fn figures(line: &Value) -> Value {
    let pick = [
        "value",
        "target",
        "score",
        "max_score",
        "percent",
        "status",
        "expected",
        "received",
        "on_time",
        "late",
    ];
    pick.iter()
        .map(|f| (f.to_string(), line[f].clone()))
        .collect()
}

fn codes(summary: &Value, list: &str, field: &str) -> Vec<String> {
    summary[list]
        .as_array()
        .expect("list")
        .iter()
        .map(|item| item[field].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// An organization's line: code, expected, received, on_time, late, completeness and
/// timeliness percents, missing (indicator code, period) pairs.
fn organization_line(summary: &Value, code: &str) -> Value {
    let line = summary["organizations"]
        .as_array()
        .and_then(|lines| lines.iter().find(|l| l["organization_code"] == code))
        .unwrap_or_else(|| panic!("no organization {code} in {summary}"));
    let missing: Vec<Value> = line["missing"]
        .as_array()
        .expect("missing")
        .iter()
        .map(|m| json!([m["indicator_code"], m["period"]]))
        .collect();
    json!({
        "expected": line["expected"], "received": line["received"], "on_time": line["on_time"],
        "late": line["late"], "completeness_percent": line["completeness_percent"],
        "timeliness_percent": line["timeliness_percent"], "missing": missing,
    })
}

fn organization(counts: [usize; 4], percents: Option<(f64, f64)>, missing: Value) -> Value {
    let [expected, received, on_time, late] = counts;
    json!({
        "expected": expected, "received": received, "on_time": on_time, "late": late,
        "completeness_percent": percents.map(|p| p.0),
        "timeliness_percent": percents.map(|p| p.1), "missing": missing,
    })
}

/// A drill-down's part of one organization.
fn part<'a>(drill: &'a Value, code: &str) -> &'a Value {
    drill["organizations"]
        .as_array()
        .and_then(|parts| parts.iter().find(|p| p["organization_code"] == code))
        .unwrap_or_else(|| panic!("no part {code} in {drill}"))
}

/// A part's figures: value, baseline, target, expected, received, on_time, late, missing.
fn part_figures(part: &Value) -> Value {
    let pick = [
        "value", "baseline", "target", "expected", "received", "on_time", "late", "missing",
    ];
    pick.iter()
        .map(|f| (f.to_string(), part[f].clone()))
        .collect()
}

/// `2021-11` → `พ.ย. 2564` (the labels have tests of their own in `domain::period`).
fn thai_label(period: &str) -> String {
    period
        .parse::<provincial_kpi::domain::period::Period>()
        .expect("YYYY-MM")
        .thai_label()
}

fn expect_part(
    value: Option<f64>,
    baseline: Option<f64>,
    counts: [usize; 4],
    missing: &[&str],
) -> Value {
    let [expected, received, on_time, late] = counts;
    let missing: Vec<Value> = missing
        .iter()
        .map(|period| json!({"period": period, "period_label_th": thai_label(period)}))
        .collect();
    json!({
        "value": value, "baseline": baseline, "target": null, "expected": expected,
        "received": received, "on_time": on_time, "late": late, "missing": missing,
    })
}

/// A part's reports as (period, value, status, on_time, counted).
fn reports(part: &Value) -> Vec<Value> {
    part["reports"]
        .as_array()
        .unwrap_or_else(|| panic!("no reports in {part}"))
        .iter()
        .map(|r| {
            json!([
                r["period"],
                r["value"],
                r["status"],
                r["on_time"],
                r["counted"]
            ])
        })
        .collect()
}

/// The one report of (indicator, organization, period); its id.
async fn report_id(
    app: &TestApp,
    evaluation: i64,
    indicator: &str,
    org: &str,
    period: &str,
) -> i64 {
    let indicator = indicator_id(app, evaluation, indicator).await;
    let organization = app.org_id(org).await;
    let list = get(
        app,
        &app.admin(),
        &format!(
            "/api/v1/submissions?evaluation_id={evaluation}&indicator_id={indicator}\
             &organization_id={organization}&period={period}"
        ),
    )
    .await;
    let items = list["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{list}");
    items[0]["id"].as_i64().expect("report id")
}

/// Returns a report now (by the national admin, a reviewer of every report).
async fn return_now(app: &TestApp, id: i64) {
    app.post(&format!("/api/v1/submissions/{id}/return"))
        .bearer(&app.admin())
        .json(&json!({"comment": "โปรดตรวจสอบตัวเลขอีกครั้ง"}))
        .send()
        .await
        .assert_status(200);
}

// ---------------------------------------------------------------------------------------------
// 1. The worked example

/// docs/DOMAIN.md, "A worked example": FY 2565, span 2021-10 … 2022-09, deadline day 3; round
/// 2021-10 … 2021-12 at 2022-01-10T00:00:00Z (October, November and December are due).
async fn the_worked_example_of_domain_md(app: TestApp) {
    let token = app.yasothon_admin();
    yasothon_agency(&app, "A", "หน่วยงาน ก").await;
    yasothon_agency(&app, "B", "หน่วยงาน ข").await;
    let document = json!({"components": [
        component("1", 70.0, vec![
            indicator("1.1", three_level(10.0, 15.0, 20.0),
                vec![host_with_baseline("A", 1000.0), host("B")],
                json!({"name": "ร้อยละการลดใช้พลังงานไฟฟ้า", "unit": "kWh",
                       "score_basis": "reduction_from_baseline", "over_time": "sum",
                       "across_orgs": "sum", "baseline": 500, "target": 20, "weight": 2})),
            indicator("1.2", three_level(60.0, 70.0, 80.0), vec![host("A"), host("B")],
                json!({"name": "ร้อยละเรื่องร้องเรียนที่แก้ไขแล้วเสร็จ", "over_time": "average",
                       "across_orgs": "average", "target": 70, "weight": 1})),
        ]),
        component("2", 30.0, vec![
            indicator("2.1", five_level(), vec![host("A")],
                json!({"name": "จำนวนหลักสูตรการฝึกอบรม", "frequency": "quarterly",
                       "over_time": "sum", "across_orgs": "sum", "target": 4})),
            indicator("2.2", three_level(60.0, 70.0, 80.0), vec![host("B")],
                json!({"name": "ร้อยละความพึงพอใจของผู้รับบริการ", "frequency": "annual"})),
        ]),
    ]});
    let evaluation = active_from_document(&app, &token, 2565, None, &document).await;
    backfill(
        &app,
        evaluation,
        &[
            ("1.1", "A", "2021-10", 800.0, "2021-11-01T03:00:00Z"),
            ("1.1", "A", "2021-11", 900.0, "2021-12-01T03:00:00Z"),
            ("1.1", "A", "2021-12", 850.0, "2022-01-05T03:00:00Z"),
            ("1.1", "B", "2021-10", 450.0, "2021-11-02T03:00:00Z"),
            ("1.1", "B", "2021-11", 500.0, "2022-01-12T03:00:00Z"),
            ("1.1", "B", "2021-12", 350.0, "2022-01-02T03:00:00Z"),
            ("1.2", "A", "2021-10", 70.0, "2021-11-01T03:00:00Z"),
            ("1.2", "A", "2021-11", 90.0, "2021-12-01T03:00:00Z"),
            ("1.2", "A", "2021-12", 95.0, "2022-01-01T03:00:00Z"),
            ("1.2", "B", "2021-10", 60.0, "2021-11-01T03:00:00Z"),
            ("1.2", "B", "2021-11", 66.0, "2021-12-03T03:00:00Z"),
            ("1.2", "B", "2021-12", 63.0, "2022-01-01T03:00:00Z"),
            ("2.1", "A", "2021-12", 3.0, "2022-01-08T03:00:00Z"),
        ],
    )
    .await;
    // 1.2 A December: submitted on time, and since returned (now, after as_of).
    let returned = report_id(&app, evaluation, "1.2", "A", "2021-12").await;
    return_now(&app, returned).await;
    let round = open_round(&app, evaluation, "ไตรมาส 1", "2021-10", "2021-12").await;
    let as_of = "2022-01-10T00:00:00Z";
    let summary = summary(&app, &token, round, as_of).await;

    assert_eq!(summary["as_of"], as_of);
    assert_eq!(
        codes(&summary, "indicators", "indicator_code"),
        ["1.1", "1.2", "2.1", "2.2"]
    );
    // 1.1: A = 800 + 900 + 850 + 450 + 350 = 3,350 (B's November, first submitted 01-12, is
    // after as_of); B = 3 × 1,000 + 2 × 500 = 4,000; (4,000 − 3,350) / 4,000 × 100 = 16.25;
    // score 75 + (16.25 − 15) / 5 × 25 = 81.25 of 100; 16.25 < 20: below_target. Expected
    // 2 × 3 = 6, received 5, on time 4 (A Oct, Nov; B Oct, Dec), late 1 (A Dec, 01-05).
    assert_eq!(
        figures(line(&summary, "1.1")),
        json!({"value": 16.25, "target": 20.0, "score": 81.25, "max_score": 100.0,
               "percent": 81.25, "status": "below_target", "expected": 6, "received": 5,
               "on_time": 4, "late": 1})
    );
    // 1.2: A's average (70 + 90) / 2 = 80 (December returned), B's (60 + 66 + 63) / 3 = 63;
    // across (80 + 63) / 2 = 71.5; score 75 + 1.5 / 10 × 25 = 78.75; 71.5 ≥ 70: achieved.
    // Received 5, on time 4, late 1 (B Nov, 12-03 03:00 ≥ 12-02 17:00).
    assert_eq!(
        figures(line(&summary, "1.2")),
        json!({"value": 71.5, "target": 70.0, "score": 78.75, "max_score": 100.0,
               "percent": 78.75, "status": "achieved", "expected": 6, "received": 5, "on_time": 4,
               "late": 1})
    );
    // 2.1: December, its only quarter end in the window: 3 → score 3 of 5 = 60 %; 3 < 4:
    // below_target; first submitted 01-08: late.
    assert_eq!(
        figures(line(&summary, "2.1")),
        json!({"value": 3.0, "target": 4.0, "score": 3.0, "max_score": 5.0, "percent": 60.0,
               "status": "below_target", "expected": 1, "received": 1, "on_time": 0, "late": 1})
    );
    // 2.2: annual (September): nothing due, no score, no percent.
    assert_eq!(
        figures(line(&summary, "2.2")),
        json!({"value": null, "target": null, "score": null, "max_score": 100.0, "percent": null,
               "status": "not_due", "expected": 0, "received": 0, "on_time": 0, "late": 0})
    );
    // Component 1: (2 × 81.25 + 1 × 78.75) / 3 = 241.25 / 3 = 80.41666… → 80.42;
    // component 2: 2.1 alone (2.2 left out) = 60.
    assert_eq!(
        summary["components"],
        json!([
            {"code": "1", "name": "องค์ประกอบที่ 1", "weight": 70.0, "percent": 80.42},
            {"code": "2", "name": "องค์ประกอบที่ 2", "weight": 30.0, "percent": 60.0},
        ])
    );
    // Overall: (70 × 80.41666… + 30 × 60) / 100 = 74.291666… → 74.29.
    assert_eq!(summary["overall_percent"], 74.29);
    assert_eq!(
        (
            &summary["evaluation"]["fiscal_year"],
            &summary["evaluation"]["province_code"],
            &summary["evaluation"]["province_name_th"]
        ),
        (&json!(2565), &json!("TH-35"), &json!("จังหวัดยโสธร"))
    );
    assert_eq!(summary["component_weight_total"], 100.0);
    // 6 + 6 + 1 + 0 = 13 expected; 5 + 5 + 1 = 11 received; 4 + 4 + 0 = 8 on time; 11 / 13 =
    // 84.615… → 84.62 %; 8 / 13 = 61.538… → 61.54 %.
    assert_eq!(
        summary["completeness"],
        json!({"expected": 13, "received": 11, "on_time": 8, "late": 3, "missing": 2,
               "completeness_percent": 84.62, "timeliness_percent": 61.54})
    );
    assert_eq!(
        codes(&summary, "organizations", "organization_code"),
        ["A", "B"]
    );
    // A: 1.1 × 3 + 1.2 × 3 + 2.1 × 1 = 7 expected; received 3 + 2 + 1 = 6; on time 2 + 2 + 0
    // = 4; 6 / 7 = 85.714… → 85.71 %, 4 / 7 = 57.142… → 57.14 %; missing 1.2 December.
    assert_eq!(
        organization_line(&summary, "A"),
        organization(
            [7, 6, 4, 2],
            Some((85.71, 57.14)),
            json!([["1.2", "2021-12"]])
        )
    );
    // B: 1.1 × 3 + 1.2 × 3 = 6 (2.2 not due); received 2 + 3 = 5; on time 2 + 2 = 4;
    // 5 / 6 = 83.33 %, 4 / 6 = 66.67 %; missing 1.1 November.
    assert_eq!(
        organization_line(&summary, "B"),
        organization(
            [6, 5, 4, 1],
            Some((83.33, 66.67)),
            json!([["1.1", "2021-11"]])
        )
    );
    // Due and not achieved, lowest percent first: 2.1 (60) then 1.1 (81.25).
    assert_eq!(summary["lagging"], json!(["2.1", "1.1"]));

    // The drill-down of 1.1.
    let electricity = indicator_id(&app, evaluation, "1.1").await;
    let drill = drill_down(&app, &token, round, electricity, as_of).await;
    assert_eq!(drill["as_of"], as_of);
    assert_eq!(figures(&drill["indicator"]), figures(line(&summary, "1.1")));
    assert_eq!(
        (
            &drill["indicator"]["score_basis"],
            &drill["over_time"],
            &drill["across_orgs"]
        ),
        (
            &json!("reduction_from_baseline"),
            &json!("sum"),
            &json!("sum")
        )
    );
    assert_eq!(
        codes(&drill, "organizations", "organization_code"),
        ["A", "B"]
    );
    // A: (3 × 1,000 − (800 + 900 + 850)) / 3,000 = 450 / 3,000 = 15 %; its own baseline.
    assert_eq!(
        part_figures(part(&drill, "A")),
        expect_part(Some(15.0), Some(1000.0), [3, 3, 2, 1], &[])
    );
    // B: (2 × 500 − (450 + 350)) / 1,000 = 200 / 1,000 = 20 %; the indicator's baseline.
    assert_eq!(
        part_figures(part(&drill, "B")),
        expect_part(Some(20.0), Some(500.0), [3, 2, 2, 0], &["2021-11"])
    );
    assert_eq!(
        reports(part(&drill, "A")),
        [
            json!(["2021-10", 800.0, "submitted", true, true]),
            json!(["2021-11", 900.0, "submitted", true, true]),
            json!(["2021-12", 850.0, "submitted", false, true]),
        ]
    );
    // B's November exists but was first submitted after as_of (and after its due instant).
    assert_eq!(
        reports(part(&drill, "B")),
        [
            json!(["2021-10", 450.0, "submitted", true, true]),
            json!(["2021-11", 500.0, "submitted", false, false]),
            json!(["2021-12", 350.0, "submitted", true, true]),
        ]
    );

    // The drill-down of 2.2, not due: B is listed with nothing expected.
    let survey = indicator_id(&app, evaluation, "2.2").await;
    let drill = drill_down(&app, &token, round, survey, as_of).await;
    assert_eq!(drill["indicator"]["status"], "not_due");
    assert_eq!(codes(&drill, "organizations", "organization_code"), ["B"]);
    assert_eq!(
        part_figures(part(&drill, "B")),
        expect_part(None, None, [0, 0, 0, 0], &[])
    );
    assert_eq!(reports(part(&drill, "B")), Vec::<Value>::new());
}

// ---------------------------------------------------------------------------------------------
// 2. Aggregation

/// Ten monthly indicators, one per (`over_time`, `across_orgs`), over the same reports:
/// YST-AGRI Oct 10, Nov 40, Dec 25; YST-PHO Oct 30, Nov 20; YST-SSO, a co-host, reports nothing
/// (so the average across is over the two that have a value); YST-PO supervises (it is
/// expected nothing). Criteria linear 0 → 0 … 200 → 100, so
/// score = percent = value / 2. Round 2021-10 … 2021-12 at 2022-01-10.
async fn every_over_time_and_across_orgs_choice(app: TestApp) {
    let token = app.yasothon_admin();
    let hosts = || {
        vec![
            host("YST-AGRI"),
            host("YST-PHO"),
            json!({"organization_code": "YST-SSO", "role": "co_host"}),
            json!({"organization_code": "YST-PO", "role": "supervisor"}),
        ]
    };
    let mut indicators = Vec::new();
    for over_time in ["sum", "average", "latest", "max", "min"] {
        for across in ["sum", "average"] {
            indicators.push(indicator(
                &format!("{over_time}.{across}"),
                linear(200.0),
                hosts(),
                json!({"over_time": over_time, "across_orgs": across}),
            ));
        }
    }
    let codes_in_order: Vec<String> = indicators
        .iter()
        .map(|i| i["code"].as_str().unwrap_or_default().to_owned())
        .collect();
    let document = json!({"components": [component("1", 100.0, indicators)]});
    let evaluation = active_from_document(&app, &token, 2565, None, &document).await;
    let mut items: Vec<Backfill> = Vec::new();
    for code in &codes_in_order {
        let code = code.as_str();
        items.extend([
            (code, "YST-AGRI", "2021-10", 10.0, "2021-11-01T03:00:00Z"),
            (code, "YST-AGRI", "2021-11", 40.0, "2021-12-01T03:00:00Z"),
            (code, "YST-AGRI", "2021-12", 25.0, "2022-01-01T03:00:00Z"),
            (code, "YST-PHO", "2021-10", 30.0, "2021-11-01T03:00:00Z"),
            (code, "YST-PHO", "2021-11", 20.0, "2021-12-01T03:00:00Z"),
        ]);
    }
    backfill(&app, evaluation, &items).await;
    let round = open_round(&app, evaluation, "ไตรมาส 1", "2021-10", "2021-12").await;
    let as_of = "2022-01-10T00:00:00Z";
    let summary = summary(&app, &token, round, as_of).await;
    assert_eq!(
        codes(&summary, "indicators", "indicator_code"),
        codes_in_order
    );
    // Hosts and the co-host report; the supervisor is not listed.
    assert_eq!(
        codes(&summary, "organizations", "organization_code"),
        ["YST-AGRI", "YST-PHO", "YST-SSO"]
    );

    // Per organization over time (AGRI: 10, 40, 25 with December latest; PHO: 30, 20 with
    // November latest):
    //   sum      AGRI 10 + 40 + 25 = 75        PHO 30 + 20 = 50
    //   average  AGRI 75 / 3 = 25              PHO 50 / 2 = 25
    //   latest   AGRI 25 (Dec)                 PHO 20 (Nov)
    //   max      AGRI 40                       PHO 30
    //   min      AGRI 10                       PHO 20
    // Across: sum = AGRI + PHO; average = (AGRI + PHO) / 2 (SSO has no value, not a zero).
    // Score = value / 2 (linear to 200 → 100); no target and below the maximum: below_target.
    // Expected 3 organizations × 3 months = 9, received 5, all on time.
    let cases = [
        ("sum.sum", 75.0, 50.0, 125.0, 62.5),     // 75 + 50 = 125 → 62.5
        ("sum.average", 75.0, 50.0, 62.5, 31.25), // 125 / 2 = 62.5 → 31.25
        ("average.sum", 25.0, 25.0, 50.0, 25.0),  // 25 + 25 = 50 → 25
        ("average.average", 25.0, 25.0, 25.0, 12.5), // 50 / 2 = 25 → 12.5
        ("latest.sum", 25.0, 20.0, 45.0, 22.5),   // 25 + 20 = 45 → 22.5
        ("latest.average", 25.0, 20.0, 22.5, 11.25), // 45 / 2 = 22.5 → 11.25
        ("max.sum", 40.0, 30.0, 70.0, 35.0),      // 40 + 30 = 70 → 35
        ("max.average", 40.0, 30.0, 35.0, 17.5),  // 70 / 2 = 35 → 17.5
        ("min.sum", 10.0, 20.0, 30.0, 15.0),      // 10 + 20 = 30 → 15
        ("min.average", 10.0, 20.0, 15.0, 7.5),   // 30 / 2 = 15 → 7.5
    ];
    for (code, agri, pho, value, score) in cases {
        assert_eq!(
            figures(line(&summary, code)),
            json!({"value": value, "target": null, "score": score, "max_score": 100.0,
                   "percent": score, "status": "below_target", "expected": 9, "received": 5,
                   "on_time": 5, "late": 0}),
            "{code}"
        );
        // The drill-down shows each organization's own over_time result.
        let id = indicator_id(&app, evaluation, code).await;
        let drill = drill_down(&app, &token, round, id, as_of).await;
        assert_eq!(
            part_figures(part(&drill, "YST-AGRI")),
            expect_part(Some(agri), None, [3, 3, 3, 0], &[]),
            "{code}"
        );
        assert_eq!(
            part_figures(part(&drill, "YST-PHO")),
            expect_part(Some(pho), None, [3, 2, 2, 0], &["2021-12"]),
            "{code}"
        );
        assert_eq!(
            part_figures(part(&drill, "YST-SSO")),
            expect_part(None, None, [3, 0, 0, 0], &["2021-10", "2021-11", "2021-12"]),
            "{code}"
        );
    }
    // The component: (62.5 + 31.25 + 25 + 12.5 + 22.5 + 11.25 + 35 + 17.5 + 15 + 7.5) / 10
    // = 240 / 10 = 24; the overall, its only component, 24.
    assert_eq!(summary["components"][0]["percent"], 24.0);
    assert_eq!(summary["overall_percent"], 24.0);
    // Lowest percent first: 7.5, 11.25, 12.5, 15, 17.5, 22.5, 25, 31.25, 35, 62.5.
    assert_eq!(
        summary["lagging"],
        json!([
            "min.average",
            "latest.average",
            "average.average",
            "min.sum",
            "max.average",
            "latest.sum",
            "average.sum",
            "sum.average",
            "max.sum",
            "sum.sum"
        ])
    );
}

// ---------------------------------------------------------------------------------------------
// 3. Score bases

/// `reduction_from_baseline` pools every received (organization, period): A = Σ value, B = Σ
/// that organization's baseline (its assignment's, else the indicator's), whatever the
/// aggregation settings say; `value` scores the aggregated value. Round 2021-10 … 2021-12 at
/// 2022-01-10; every report on time.
async fn both_score_bases_with_per_assignment_and_fallback_baselines(app: TestApp) {
    let token = app.yasothon_admin();
    let document = json!({"components": [component("1", 100.0, vec![
        // Baselines: AGRI its own 100, PHO the indicator's 200, SSO its own 400 (and reports
        // nothing). max / average would give something else: they do not apply.
        // AGRI has a target of its own (25), shown beside its value; scoring uses R's 20.
        indicator("R", three_level(10.0, 15.0, 20.0),
            vec![json!({"organization_code": "YST-AGRI", "role": "host", "baseline": 100,
                        "target": 25}),
                 host("YST-PHO"), host_with_baseline("YST-SSO", 400.0)],
            json!({"score_basis": "reduction_from_baseline", "baseline": 200, "target": 20,
                   "over_time": "max", "across_orgs": "average"})),
        indicator("V", linear(1000.0),
            vec![host("YST-AGRI"), host("YST-PHO"), host("YST-SSO")],
            json!({"score_basis": "value", "over_time": "sum", "across_orgs": "sum"})),
        // Used more than its baseline: a negative reduction.
        indicator("R2", three_level(10.0, 15.0, 20.0),
            vec![host_with_baseline("YST-AGRI", 100.0)],
            json!({"score_basis": "reduction_from_baseline", "baseline": 150, "target": 20})),
    ])]});
    let evaluation = active_from_document(&app, &token, 2565, None, &document).await;
    let mut items: Vec<Backfill> = Vec::new();
    for code in ["R", "V"] {
        items.extend([
            (code, "YST-AGRI", "2021-10", 80.0, "2021-11-01T03:00:00Z"),
            (code, "YST-AGRI", "2021-11", 90.0, "2021-12-01T03:00:00Z"),
            (code, "YST-AGRI", "2021-12", 100.0, "2022-01-01T03:00:00Z"),
            (code, "YST-PHO", "2021-10", 150.0, "2021-11-01T03:00:00Z"),
            (code, "YST-PHO", "2021-11", 170.0, "2021-12-01T03:00:00Z"),
        ]);
    }
    items.extend([
        ("R2", "YST-AGRI", "2021-10", 110.0, "2021-11-01T03:00:00Z"),
        ("R2", "YST-AGRI", "2021-11", 130.0, "2021-12-01T03:00:00Z"),
    ]);
    backfill(&app, evaluation, &items).await;
    let round = open_round(&app, evaluation, "ไตรมาส 1", "2021-10", "2021-12").await;
    let as_of = "2022-01-10T00:00:00Z";
    let summary = summary(&app, &token, round, as_of).await;

    // R: A = 80 + 90 + 100 + 150 + 170 = 590; B = 3 × 100 + 2 × 200 = 700 (SSO received
    // nothing, so its 400 is not in B); (700 − 590) / 700 × 100 = 15.714285… → 15.7143;
    // score 75 + (15.714285… − 15) / 5 × 25 = 78.571428… → 78.5714, percent 78.57;
    // 15.71 < 20: below_target. Expected 3 × 3 = 9, received 5.
    assert_eq!(
        figures(line(&summary, "R")),
        json!({"value": 15.7143, "target": 20.0, "score": 78.5714, "max_score": 100.0,
               "percent": 78.57, "status": "below_target", "expected": 9, "received": 5,
               "on_time": 5, "late": 0})
    );
    // V: sum over time, sum across: 270 + 320 = 590; score 590 / 1000 × 100 = 59.
    assert_eq!(
        figures(line(&summary, "V")),
        json!({"value": 590.0, "target": null, "score": 59.0, "max_score": 100.0, "percent": 59.0,
               "status": "below_target", "expected": 9, "received": 5, "on_time": 5, "late": 0})
    );
    // R2: A = 110 + 130 = 240, B = 2 × 100 = 200 (its own, not the indicator's 150):
    // (200 − 240) / 200 × 100 = −20, worse than the first breakpoint (10): score 0, not_met.
    assert_eq!(
        figures(line(&summary, "R2")),
        json!({"value": -20.0, "target": 20.0, "score": 0.0, "max_score": 100.0, "percent": 0.0,
               "status": "not_met", "expected": 3, "received": 2, "on_time": 2, "late": 0})
    );
    // (78.571428… + 59 + 0) / 3 = 137.571428… / 3 = 45.857142… → 45.86.
    assert_eq!(summary["components"][0]["percent"], 45.86);
    assert_eq!(summary["overall_percent"], 45.86);
    assert_eq!(summary["lagging"], json!(["R2", "V", "R"]));

    let r = indicator_id(&app, evaluation, "R").await;
    let drill = drill_down(&app, &token, round, r, as_of).await;
    // AGRI: (3 × 100 − 270) / 300 = 30 / 300 = 10 %, its own baseline 100, its own target 25.
    let mut agri = expect_part(Some(10.0), Some(100.0), [3, 3, 3, 0], &[]);
    agri["target"] = json!(25.0);
    assert_eq!(part_figures(part(&drill, "YST-AGRI")), agri);
    assert_eq!(drill["indicator"]["target"], 20.0);
    // PHO: (2 × 200 − 320) / 400 = 80 / 400 = 20 %, the indicator's baseline 200.
    assert_eq!(
        part_figures(part(&drill, "YST-PHO")),
        expect_part(Some(20.0), Some(200.0), [3, 2, 2, 0], &["2021-12"])
    );
    // SSO: nothing received: no value; its own baseline 400.
    assert_eq!(
        part_figures(part(&drill, "YST-SSO")),
        expect_part(
            None,
            Some(400.0),
            [3, 0, 0, 0],
            &["2021-10", "2021-11", "2021-12"]
        )
    );
    let v = indicator_id(&app, evaluation, "V").await;
    let drill = drill_down(&app, &token, round, v, as_of).await;
    // V's own values: AGRI 80 + 90 + 100 = 270, PHO 150 + 170 = 320; no baselines.
    assert_eq!(part(&drill, "YST-AGRI")["value"], 270.0);
    assert_eq!(part(&drill, "YST-PHO")["value"], 320.0);
    assert_eq!(part(&drill, "YST-SSO")["value"], Value::Null);
}

// ---------------------------------------------------------------------------------------------
// 4. Criteria

/// Each indicator has one host reporting every month, scored by its latest value; four rounds
/// ending October, November, December and January (at 2022-02-10, all due) walk each through
/// its criteria: three levels 60 → 50, 70 → 75, 80 → 100 (target 70); five levels 1 … 5
/// (target 4); and the demo's COVID death rate, lower is better, 1.5 → 50, 1.0 → 75,
/// 0.5 → 100 (target 1.0).
async fn three_level_five_level_and_lower_is_better_criteria(app: TestApp) {
    let token = app.yasothon_admin();
    let latest =
        |target: f64| json!({"over_time": "latest", "across_orgs": "average", "target": target});
    let document = json!({"components": [component("1", 100.0, vec![
        indicator("1.1", three_level(60.0, 70.0, 80.0), vec![host("YST-AGRI")], latest(70.0)),
        indicator("1.2", three_level(1.5, 1.0, 0.5), vec![host("YST-PHO")], latest(1.0)),
        indicator("2.1", five_level(), vec![host("YST-SSO")], latest(4.0)),
    ])]});
    let evaluation = active_from_document(&app, &token, 2565, None, &document).await;
    let mut items: Vec<Backfill> = Vec::new();
    let months = [
        ("2021-10", "2021-11-01T03:00:00Z"),
        ("2021-11", "2021-12-01T03:00:00Z"),
        ("2021-12", "2022-01-01T03:00:00Z"),
        ("2022-01", "2022-02-01T03:00:00Z"),
    ];
    for (code, org, values) in [
        ("1.1", "YST-AGRI", [59.9, 65.0, 70.0, 85.0]),
        ("1.2", "YST-PHO", [1.6, 1.2, 0.8, 0.3]),
        ("2.1", "YST-SSO", [0.5, 3.4, 4.0, 7.0]),
    ] {
        for ((period, at), value) in months.iter().zip(values) {
            items.push((code, org, period, value, at));
        }
    }
    backfill(&app, evaluation, &items).await;
    let as_of = "2022-02-10T00:00:00Z";

    // October: 59.9 < 60, 1.6 > 1.5 (worse: higher), 0.5 < 1: each worse than its first
    // breakpoint → score 0, not_met.
    let round = open_round(&app, evaluation, "ต.ค.", "2021-10", "2021-10").await;
    let s = summary(&app, &token, round, as_of).await;
    assert_eq!(
        figures(line(&s, "1.1")),
        json!({"value": 59.9, "target": 70.0, "score": 0.0, "max_score": 100.0, "percent": 0.0,
               "status": "not_met", "expected": 1, "received": 1, "on_time": 1, "late": 0})
    );
    assert_eq!(
        figures(line(&s, "1.2")),
        json!({"value": 1.6, "target": 1.0, "score": 0.0, "max_score": 100.0, "percent": 0.0,
               "status": "not_met", "expected": 1, "received": 1, "on_time": 1, "late": 0})
    );
    assert_eq!(
        figures(line(&s, "2.1")),
        json!({"value": 0.5, "target": 4.0, "score": 0.0, "max_score": 5.0, "percent": 0.0,
               "status": "not_met", "expected": 1, "received": 1, "on_time": 1, "late": 0})
    );
    assert_eq!(s["overall_percent"], 0.0);
    // All at 0 %: summary order.
    assert_eq!(s["lagging"], json!(["1.1", "1.2", "2.1"]));

    // October – November, latest = November: between breakpoints.
    let round = open_round(&app, evaluation, "ต.ค. – พ.ย.", "2021-10", "2021-11").await;
    let s = summary(&app, &token, round, as_of).await;
    // 65: 50 + (65 − 60) / 10 × 25 = 62.5; 65 < 70: below_target.
    assert_eq!(
        figures(line(&s, "1.1")),
        json!({"value": 65.0, "target": 70.0, "score": 62.5, "max_score": 100.0, "percent": 62.5,
               "status": "below_target", "expected": 2, "received": 2, "on_time": 2, "late": 0})
    );
    // 1.2 between 1.5 and 1.0: 50 + (1.5 − 1.2) / 0.5 × 25 = 65; 1.2 > 1.0: below_target.
    assert_eq!(
        figures(line(&s, "1.2")),
        json!({"value": 1.2, "target": 1.0, "score": 65.0, "max_score": 100.0, "percent": 65.0,
               "status": "below_target", "expected": 2, "received": 2, "on_time": 2, "late": 0})
    );
    // 3.4: 3 + 0.4 × 1 = 3.4 of 5 = 68 %; 3.4 < 4: below_target.
    assert_eq!(
        figures(line(&s, "2.1")),
        json!({"value": 3.4, "target": 4.0, "score": 3.4, "max_score": 5.0, "percent": 68.0,
               "status": "below_target", "expected": 2, "received": 2, "on_time": 2, "late": 0})
    );
    // (62.5 + 65 + 68) / 3 = 195.5 / 3 = 65.1666… → 65.17.
    assert_eq!(s["overall_percent"], 65.17);
    assert_eq!(s["lagging"], json!(["1.1", "1.2", "2.1"]));

    // October – December, latest = December: targets met below the maximum.
    let round = open_round(&app, evaluation, "ต.ค. – ธ.ค.", "2021-10", "2021-12").await;
    let s = summary(&app, &token, round, as_of).await;
    // 70 is the 75 breakpoint; 70 ≥ 70: achieved.
    assert_eq!(
        figures(line(&s, "1.1")),
        json!({"value": 70.0, "target": 70.0, "score": 75.0, "max_score": 100.0, "percent": 75.0,
               "status": "achieved", "expected": 3, "received": 3, "on_time": 3, "late": 0})
    );
    // 0.8 between 1.0 and 0.5: 75 + (1.0 − 0.8) / 0.5 × 25 = 85; 0.8 ≤ 1.0: achieved.
    assert_eq!(
        figures(line(&s, "1.2")),
        json!({"value": 0.8, "target": 1.0, "score": 85.0, "max_score": 100.0, "percent": 85.0,
               "status": "achieved", "expected": 3, "received": 3, "on_time": 3, "late": 0})
    );
    // 4 → 4 of 5 = 80 %; 4 ≥ 4: achieved.
    assert_eq!(
        figures(line(&s, "2.1")),
        json!({"value": 4.0, "target": 4.0, "score": 4.0, "max_score": 5.0, "percent": 80.0,
               "status": "achieved", "expected": 3, "received": 3, "on_time": 3, "late": 0})
    );
    // (75 + 85 + 80) / 3 = 80.
    assert_eq!(s["overall_percent"], 80.0);
    assert_eq!(s["lagging"], json!([]));

    // October – January, latest = January: beyond the last breakpoint → its score.
    let round = open_round(&app, evaluation, "ต.ค. – ม.ค.", "2021-10", "2022-01").await;
    let s = summary(&app, &token, round, as_of).await;
    // 85 > 80: 100; 85 ≥ 70: achieved.
    assert_eq!(
        figures(line(&s, "1.1")),
        json!({"value": 85.0, "target": 70.0, "score": 100.0, "max_score": 100.0,
               "percent": 100.0, "status": "achieved", "expected": 4, "received": 4, "on_time": 4,
               "late": 0})
    );
    // 0.3 < 0.5, better than the last breakpoint: 100.
    assert_eq!(
        figures(line(&s, "1.2")),
        json!({"value": 0.3, "target": 1.0, "score": 100.0, "max_score": 100.0, "percent": 100.0,
               "status": "achieved", "expected": 4, "received": 4, "on_time": 4, "late": 0})
    );
    // 7 > 5: 5 of 5.
    assert_eq!(
        figures(line(&s, "2.1")),
        json!({"value": 7.0, "target": 4.0, "score": 5.0, "max_score": 5.0, "percent": 100.0,
               "status": "achieved", "expected": 4, "received": 4, "on_time": 4, "late": 0})
    );
    assert_eq!(s["overall_percent"], 100.0);

    // December – January: October and November are before the window, neither expected nor
    // received: 2 months each; latest = January, as above.
    let round = open_round(&app, evaluation, "ธ.ค. – ม.ค.", "2021-12", "2022-01").await;
    let s = summary(&app, &token, round, as_of).await;
    assert_eq!(
        figures(line(&s, "1.2")),
        json!({"value": 0.3, "target": 1.0, "score": 100.0, "max_score": 100.0, "percent": 100.0,
               "status": "achieved", "expected": 2, "received": 2, "on_time": 2, "late": 0})
    );
    assert_eq!(
        s["completeness"],
        json!({"expected": 6, "received": 6, "on_time": 6, "late": 0, "missing": 0,
               "completeness_percent": 100.0, "timeliness_percent": 100.0})
    );
}

// ---------------------------------------------------------------------------------------------
// 5. What is not due, what has no data

/// Round 2021-10 … 2022-02 at 2022-03-10 (February due 2022-03-02T17:00Z: five months due).
/// Component 1 (60): M1 monthly with reports, M2 monthly with only a draft, A1 annual (weight 5);
/// component 2 (40): A2 annual alone. September is the annual month: neither annual is due.
async fn no_data_not_due_and_a_component_with_nothing_due(app: TestApp) {
    let token = app.yasothon_admin();
    let latest = json!({"over_time": "latest", "across_orgs": "average", "target": 70});
    let document = json!({"components": [
        component("1", 60.0, vec![
            indicator("M1", three_level(60.0, 70.0, 80.0), vec![host("YST-AGRI")], latest.clone()),
            indicator("M2", three_level(60.0, 70.0, 80.0), vec![host("YST-PHO")], latest.clone()),
            indicator("A1", three_level(60.0, 70.0, 80.0), vec![host("YST-SSO")],
                json!({"frequency": "annual", "weight": 5})),
        ]),
        component("2", 40.0, vec![
            indicator("A2", three_level(60.0, 70.0, 80.0), vec![host("YST-DLA")],
                json!({"frequency": "annual"})),
        ]),
    ]});
    let evaluation = active_from_document(&app, &token, 2565, None, &document).await;
    backfill(
        &app,
        evaluation,
        &[
            ("M1", "YST-AGRI", "2021-10", 61.0, "2021-11-01T03:00:00Z"),
            ("M1", "YST-AGRI", "2021-11", 62.0, "2021-12-01T03:00:00Z"),
            ("M1", "YST-AGRI", "2021-12", 63.0, "2022-01-01T03:00:00Z"),
            ("M1", "YST-AGRI", "2022-01", 64.0, "2022-02-01T03:00:00Z"),
            ("M1", "YST-AGRI", "2022-02", 80.0, "2022-03-01T03:00:00Z"),
        ],
    )
    .await;
    // M2: a draft of February, which does not count.
    let draft = app
        .post("/api/v1/submissions/batch")
        .bearer(&app.admin())
        .json(
            &json!({"evaluation_id": evaluation, "atomic": true, "items": [
                {"indicator_code": "M2", "organization_code": "YST-PHO", "period": "2022-02",
                 "value": 90, "status": "draft"}
            ]}),
        )
        .send()
        .await;
    draft.assert_status(200);
    assert_eq!(draft.json()["created"], 1);
    let round = open_round(&app, evaluation, "5 เดือน", "2021-10", "2022-02").await;
    let s = summary(&app, &token, round, "2022-03-10T00:00:00Z").await;

    // M1: latest (February) 80 → 100, ≥ 70: achieved; 5 months, all on time.
    assert_eq!(
        figures(line(&s, "M1")),
        json!({"value": 80.0, "target": 70.0, "score": 100.0, "max_score": 100.0,
               "percent": 100.0, "status": "achieved", "expected": 5, "received": 5, "on_time": 5,
               "late": 0})
    );
    // M2: due 5 times, nothing received (the draft does not count): no_data, score 0,
    // percent 0, no value.
    assert_eq!(
        figures(line(&s, "M2")),
        json!({"value": null, "target": 70.0, "score": 0.0, "max_score": 100.0, "percent": 0.0,
               "status": "no_data", "expected": 5, "received": 0, "on_time": 0, "late": 0})
    );
    // A1, A2: annual, September not in the window: not_due.
    for code in ["A1", "A2"] {
        assert_eq!(
            figures(line(&s, code)),
            json!({"value": null, "target": null, "score": null, "max_score": 100.0,
                   "percent": null, "status": "not_due", "expected": 0, "received": 0,
                   "on_time": 0, "late": 0}),
            "{code}"
        );
    }
    // Component 1: (1 × 100 + 1 × 0) / (1 + 1) = 50 (A1's weight 5 is left out: with it as a
    // zero it would be 100 / 7 = 14.29). Component 2: nothing due, no percent.
    assert_eq!(
        s["components"]
            .as_array()
            .expect("components")
            .iter()
            .map(|c| json!([c["code"], c["weight"], c["percent"]]))
            .collect::<Vec<_>>(),
        [json!(["1", 60.0, 50.0]), json!(["2", 40.0, null])]
    );
    // Overall: (60 × 50) / 60 = 50 (not (60 × 50) / 100 = 30).
    assert_eq!(s["overall_percent"], 50.0);
    assert_eq!(s["component_weight_total"], 100.0);
    // M1 achieved, A1/A2 not due: only M2 lags.
    assert_eq!(s["lagging"], json!(["M2"]));
    // 10 expected, 5 received, 5 on time: 50 %, 50 %.
    assert_eq!(
        s["completeness"],
        json!({"expected": 10, "received": 5, "on_time": 5, "late": 0, "missing": 5,
               "completeness_percent": 50.0, "timeliness_percent": 50.0})
    );
    // Every reporting organization is listed, also those with nothing expected yet.
    assert_eq!(
        codes(&s, "organizations", "organization_code"),
        ["YST-AGRI", "YST-DLA", "YST-PHO", "YST-SSO"]
    );
    assert_eq!(
        organization_line(&s, "YST-PHO"),
        organization(
            [5, 0, 0, 0],
            Some((0.0, 0.0)),
            json!([
                ["M2", "2021-10"],
                ["M2", "2021-11"],
                ["M2", "2021-12"],
                ["M2", "2022-01"],
                ["M2", "2022-02"]
            ])
        )
    );
    for code in ["YST-DLA", "YST-SSO"] {
        assert_eq!(
            organization_line(&s, code),
            organization([0, 0, 0, 0], None, json!([])),
            "{code}"
        );
    }

    // Before anything is due (October is due 2021-11-02T17:00Z): every indicator not_due, no
    // component percent, no overall, nothing expected.
    let s = summary(&app, &token, round, "2021-11-01T00:00:00Z").await;
    for code in ["M1", "M2", "A1", "A2"] {
        assert_eq!(line(&s, code)["status"], "not_due", "{code}");
    }
    assert_eq!(s["overall_percent"], Value::Null);
    assert_eq!(s["components"][0]["percent"], Value::Null);
    assert_eq!(s["lagging"], json!([]));
    assert_eq!(
        s["completeness"],
        json!({"expected": 0, "received": 0, "on_time": 0, "late": 0, "missing": 0,
               "completeness_percent": null, "timeliness_percent": null})
    );
}

// ---------------------------------------------------------------------------------------------
// 6. The as_of cut-off

/// C monthly, sum / sum, linear 0 … 100 (score = value), hosts YST-AGRI and YST-PHO; round
/// 2021-10 … 2021-12. AGRI: October 10 first submitted one microsecond before its due instant
/// (on time, and approved), November 20 exactly at its due instant (late), December 30 on
/// 2022-01-05, returned now and later resubmitted; PHO: December 40 first submitted
/// 2022-01-20. L has the same reports, scored by each organization's latest received month.
async fn the_as_of_cut_off(app: TestApp) {
    let token = app.yasothon_admin();
    let document = json!({"components": [component("1", 100.0, vec![
        indicator("C", linear(100.0), vec![host("YST-AGRI"), host("YST-PHO")],
            json!({"over_time": "sum", "across_orgs": "sum"})),
        indicator("L", linear(100.0), vec![host("YST-AGRI"), host("YST-PHO")],
            json!({"over_time": "latest", "across_orgs": "sum"})),
    ])]});
    let evaluation = active_from_document(&app, &token, 2565, None, &document).await;
    let mut items: Vec<Backfill> = Vec::new();
    for code in ["C", "L"] {
        items.extend([
            (
                code,
                "YST-AGRI",
                "2021-10",
                10.0,
                "2021-11-02T16:59:59.999999Z",
            ),
            (code, "YST-AGRI", "2021-11", 20.0, "2021-12-02T17:00:00Z"),
            (code, "YST-AGRI", "2021-12", 30.0, "2022-01-05T00:00:00Z"),
            (code, "YST-PHO", "2021-12", 40.0, "2022-01-20T00:00:00Z"),
        ]);
    }
    backfill(&app, evaluation, &items).await;
    // An approved report counts like a submitted one.
    let october = report_id(&app, evaluation, "C", "YST-AGRI", "2021-10").await;
    app.post(&format!("/api/v1/submissions/{october}/approve"))
        .bearer(&app.admin())
        .send()
        .await
        .assert_status(200);
    let round = open_round(&app, evaluation, "ไตรมาส 1", "2021-10", "2021-12").await;
    let c = indicator_id(&app, evaluation, "C").await;

    // One microsecond before November's due instant: only October is due (2 organizations ×
    // 1 month); AGRI's October received on time; value 10, score 10, below_target.
    let before = "2021-12-02T16:59:59.999999Z";
    let s = summary(&app, &token, round, before).await;
    assert_eq!(s["as_of"], before);
    assert_eq!(
        figures(line(&s, "C")),
        json!({"value": 10.0, "target": null, "score": 10.0, "max_score": 100.0, "percent": 10.0,
               "status": "below_target", "expected": 2, "received": 1, "on_time": 1, "late": 0})
    );
    // PHO: October of C and of L expected, neither received.
    assert_eq!(
        organization_line(&s, "YST-PHO"),
        organization(
            [2, 0, 0, 0],
            Some((0.0, 0.0)),
            json!([["C", "2021-10"], ["L", "2021-10"]])
        )
    );

    // Exactly at November's due instant: November is due (2 × 2 = 4 expected), and AGRI's
    // November, first submitted at that very instant, is received (≤ as_of) and late (not
    // before its due instant): received 2, on time 1, late 1; value 10 + 20 = 30.
    let at = "2021-12-02T17:00:00Z";
    let s = summary(&app, &token, round, at).await;
    assert_eq!(
        figures(line(&s, "C")),
        json!({"value": 30.0, "target": null, "score": 30.0, "max_score": 100.0, "percent": 30.0,
               "status": "below_target", "expected": 4, "received": 2, "on_time": 1, "late": 1})
    );
    let drill = drill_down(&app, &token, round, c, at).await;
    assert_eq!(
        reports(part(&drill, "YST-AGRI"))[..2],
        [
            json!(["2021-10", 10.0, "approved", true, true]),
            json!(["2021-11", 20.0, "submitted", false, true]),
        ]
    );

    // 2022-01-10, before the return: 6 expected; AGRI's three received (December late); PHO's
    // December first submitted on 01-20, after as_of: not received. 10 + 20 + 30 = 60.
    let january = "2022-01-10T00:00:00Z";
    let s = summary(&app, &token, round, january).await;
    assert_eq!(
        figures(line(&s, "C")),
        json!({"value": 60.0, "target": null, "score": 60.0, "max_score": 100.0, "percent": 60.0,
               "status": "below_target", "expected": 6, "received": 3, "on_time": 1, "late": 2})
    );
    // L: AGRI's latest received month is December: 30; PHO has none.
    assert_eq!(line(&s, "L")["value"], 30.0);

    // AGRI's December is returned now, after as_of: it no longer counts at that as_of either.
    let december = report_id(&app, evaluation, "C", "YST-AGRI", "2021-12").await;
    return_now(&app, december).await;
    let l_december = report_id(&app, evaluation, "L", "YST-AGRI", "2021-12").await;
    return_now(&app, l_december).await;
    let s = summary(&app, &token, round, january).await;
    // Received 2 (October on time, November late); value 10 + 20 = 30.
    assert_eq!(
        figures(line(&s, "C")),
        json!({"value": 30.0, "target": null, "score": 30.0, "max_score": 100.0, "percent": 30.0,
               "status": "below_target", "expected": 6, "received": 2, "on_time": 1, "late": 1})
    );
    // L: with December returned, AGRI's latest received month is November: 20 (not the
    // returned December's 30).
    assert_eq!(line(&s, "L")["value"], 20.0);
    // AGRI over C and L: 6 expected, 4 received → 66.67 %, 2 on time → 33.33 %; PHO: 6
    // expected, none received.
    assert_eq!(
        organization_line(&s, "YST-AGRI"),
        organization(
            [6, 4, 2, 2],
            Some((66.67, 33.33)),
            json!([["C", "2021-12"], ["L", "2021-12"]])
        )
    );
    assert_eq!(
        organization_line(&s, "YST-PHO"),
        organization(
            [6, 0, 0, 0],
            Some((0.0, 0.0)),
            json!([
                ["C", "2021-10"],
                ["C", "2021-11"],
                ["C", "2021-12"],
                ["L", "2021-10"],
                ["L", "2021-11"],
                ["L", "2021-12"]
            ])
        )
    );
    let drill = drill_down(&app, &token, round, c, january).await;
    // The returned report is listed as it is now, not counted.
    assert_eq!(
        reports(part(&drill, "YST-AGRI")),
        [
            json!(["2021-10", 10.0, "approved", true, true]),
            json!(["2021-11", 20.0, "submitted", false, true]),
            json!(["2021-12", 30.0, "returned", false, false]),
        ]
    );
    // PHO's December: submitted, first submitted after as_of: not counted.
    assert_eq!(
        reports(part(&drill, "YST-PHO")),
        [json!(["2021-12", 40.0, "submitted", false, false])]
    );

    // At PHO's first submission exactly: received (late: after 2022-01-02T17:00Z); AGRI's
    // December stays out (returned now). Value 30 + 40 = 70; received 3, on time 1, late 2.
    let later = "2022-01-20T00:00:00Z";
    let s = summary(&app, &token, round, later).await;
    assert_eq!(
        figures(line(&s, "C")),
        json!({"value": 70.0, "target": null, "score": 70.0, "max_score": 100.0, "percent": 70.0,
               "status": "below_target", "expected": 6, "received": 3, "on_time": 1, "late": 2})
    );
    let drill = drill_down(&app, &token, round, c, later).await;
    assert_eq!(
        part_figures(part(&drill, "YST-PHO")),
        expect_part(Some(40.0), None, [3, 1, 0, 1], &["2021-10", "2021-11"])
    );
    // L: AGRI's latest received is November, 20; PHO's December, 40: 20 + 40 = 60.
    assert_eq!(line(&s, "L")["value"], 60.0);

    // C's December resubmitted now: it counts again, also looking back, as first submitted on
    // 2022-01-05 (a resubmission keeps the first submission): at 2022-01-10, 10 + 20 + 30 =
    // 60, received 3 (December late).
    app.post(&format!("/api/v1/submissions/{december}/submit"))
        .bearer(&app.admin())
        .send()
        .await
        .assert_status(200);
    let s = summary(&app, &token, round, january).await;
    assert_eq!(
        figures(line(&s, "C")),
        json!({"value": 60.0, "target": null, "score": 60.0, "max_score": 100.0, "percent": 60.0,
               "status": "below_target", "expected": 6, "received": 3, "on_time": 1, "late": 2})
    );

    // Without as_of: now, when every month of the window is long due.
    let now = get(&app, &token, &format!("/api/v1/rounds/{round}/summary")).await;
    let shown: DateTime<Utc> = now["as_of"]
        .as_str()
        .and_then(|t| t.parse().ok())
        .expect("as_of");
    assert!((Utc::now() - shown).num_seconds().abs() < 60, "{shown}");
    // C now: AGRI's October, November and (resubmitted) December, PHO's December: 4 of 6,
    // 10 + 20 + 30 + 40 = 100.
    assert_eq!(
        figures(line(&now, "C")),
        json!({"value": 100.0, "target": null, "score": 100.0, "max_score": 100.0,
               "percent": 100.0, "status": "achieved", "expected": 6, "received": 4, "on_time": 1,
               "late": 3})
    );
}

// ---------------------------------------------------------------------------------------------
// 7. Across the fiscal-year start

/// FY 2565 over 2021-09 … 2022-09; the 6-month round 2021-09 … 2022-02. September 2564 is a
/// reporting month of monthly indicators only; the quarterly ones start at December (FY 2565's
/// own quarter ends), semiannual at March.
async fn a_round_crossing_the_fiscal_year_start(app: TestApp) {
    let token = app.yasothon_admin();
    let document = json!({"components": [component("1", 100.0, vec![
        indicator("M", linear(60.0), vec![host("YST-AGRI")],
            json!({"over_time": "sum", "across_orgs": "sum"})),
        indicator("Q", three_level(60.0, 70.0, 80.0), vec![host("YST-PHO")],
            json!({"frequency": "quarterly", "over_time": "latest", "across_orgs": "average",
                   "target": 80})),
        indicator("H", three_level(60.0, 70.0, 80.0), vec![host("YST-SSO")],
            json!({"frequency": "semiannual"})),
    ])]});
    let evaluation =
        active_from_document(&app, &token, 2565, Some(("2021-09", "2022-09")), &document).await;
    backfill(
        &app,
        evaluation,
        &[
            // September 2564: due 2021-10-02T17:00Z, first submitted on the 5th: late.
            ("M", "YST-AGRI", "2021-09", 10.0, "2021-10-05T03:00:00Z"),
            ("M", "YST-AGRI", "2021-10", 10.0, "2021-11-01T03:00:00Z"),
            ("M", "YST-AGRI", "2021-11", 10.0, "2021-12-01T03:00:00Z"),
            ("M", "YST-AGRI", "2021-12", 10.0, "2022-01-01T03:00:00Z"),
            ("M", "YST-AGRI", "2022-01", 10.0, "2022-02-01T03:00:00Z"),
            ("M", "YST-AGRI", "2022-02", 10.0, "2022-03-01T03:00:00Z"),
            ("Q", "YST-PHO", "2021-12", 70.0, "2022-01-01T03:00:00Z"),
        ],
    )
    .await;
    // September 2564 is no reporting month of a quarterly indicator.
    let refused = app
        .post("/api/v1/submissions/batch")
        .bearer(&app.admin())
        .json(&json!({"evaluation_id": evaluation, "items": [
            {"indicator_code": "Q", "organization_code": "YST-PHO", "period": "2021-09",
             "value": 65, "submitted_at": "2021-10-01T03:00:00Z"}
        ]}))
        .send()
        .await;
    refused.assert_status(200);
    let refused = refused.json();
    assert_eq!(
        (&refused["created"], &refused["rejected"]),
        (&json!(0), &json!(1))
    );
    assert_eq!(refused["errors"][0]["field"], "period", "{refused}");

    let six = open_round(
        &app,
        evaluation,
        "รอบ 6 เดือน (ก.ย. 2564 – ก.พ. 2565)",
        "2021-09",
        "2022-02",
    )
    .await;
    let s = summary(&app, &token, six, "2022-03-10T00:00:00Z").await;
    // M: September … February = 6 months expected and received (September late); sum 6 × 10
    // = 60 (without September it would be 50) → 100, no target and the maximum: achieved.
    assert_eq!(
        figures(line(&s, "M")),
        json!({"value": 60.0, "target": null, "score": 100.0, "max_score": 100.0,
               "percent": 100.0, "status": "achieved", "expected": 6, "received": 6, "on_time": 5,
               "late": 1})
    );
    // Q: December only (September is not its month in FY 2565): 70 → 75; 70 < 80.
    assert_eq!(
        figures(line(&s, "Q")),
        json!({"value": 70.0, "target": 80.0, "score": 75.0, "max_score": 100.0, "percent": 75.0,
               "status": "below_target", "expected": 1, "received": 1, "on_time": 1, "late": 0})
    );
    // H: March is after the window: not_due.
    assert_eq!(line(&s, "H")["status"], "not_due");
    // (100 + 75) / 2 = 87.5.
    assert_eq!(s["overall_percent"], 87.5);
    // 7 expected, 7 received, 6 on time: 100 %, 6 / 7 = 85.714… → 85.71 %.
    assert_eq!(
        s["completeness"],
        json!({"expected": 7, "received": 7, "on_time": 6, "late": 1, "missing": 0,
               "completeness_percent": 100.0, "timeliness_percent": 85.71})
    );
    let m = indicator_id(&app, evaluation, "M").await;
    let drill = drill_down(&app, &token, six, m, "2022-03-10T00:00:00Z").await;
    let agri = part(&drill, "YST-AGRI");
    assert_eq!(agri["reports"][0]["period"], "2021-09");
    assert_eq!(agri["reports"][0]["period_label_th"], "ก.ย. 2564");
    assert_eq!(agri["reports"][0]["on_time"], false);
    assert_eq!(agri["reports"].as_array().map(Vec::len), Some(6));

    // The 12-month round 2021-09 … 2022-08 at 2022-09-10 (August due 2022-09-02T17:00Z).
    let twelve = open_round(
        &app,
        evaluation,
        "รอบ 12 เดือน (ก.ย. 2564 – ส.ค. 2565)",
        "2021-09",
        "2022-08",
    )
    .await;
    let s = summary(&app, &token, twelve, "2022-09-10T00:00:00Z").await;
    // M: 12 months expected, the 6 received still sum to 60.
    assert_eq!(
        figures(line(&s, "M")),
        json!({"value": 60.0, "target": null, "score": 100.0, "max_score": 100.0,
               "percent": 100.0, "status": "achieved", "expected": 12, "received": 6,
               "on_time": 5, "late": 1})
    );
    // Q: December, March, June expected; December received.
    assert_eq!(
        figures(line(&s, "Q")),
        json!({"value": 70.0, "target": 80.0, "score": 75.0, "max_score": 100.0, "percent": 75.0,
               "status": "below_target", "expected": 3, "received": 1, "on_time": 1, "late": 0})
    );
    // H: March expected, nothing received: no_data.
    assert_eq!(
        figures(line(&s, "H")),
        json!({"value": null, "target": null, "score": 0.0, "max_score": 100.0, "percent": 0.0,
               "status": "no_data", "expected": 1, "received": 0, "on_time": 0, "late": 0})
    );
    // (100 + 75 + 0) / 3 = 58.333… → 58.33; 16 expected, 7 received (43.75 %), 6 on time
    // (37.5 %).
    assert_eq!(s["overall_percent"], 58.33);
    assert_eq!(
        s["completeness"],
        json!({"expected": 16, "received": 7, "on_time": 6, "late": 1, "missing": 9,
               "completeness_percent": 43.75, "timeliness_percent": 37.5})
    );
}

// ---------------------------------------------------------------------------------------------
// 8. Weights renegotiated mid-year

/// Component 1 (70): I1 at 72 → 75 + 2 / 10 × 25 = 80 %; component 2 (30): I2 at 60 → 50 %.
/// October at 2021-11-10.
async fn weights_that_no_longer_sum_to_100_after_a_mid_year_change(app: TestApp) {
    let token = app.yasothon_admin();
    let latest = json!({"over_time": "latest", "across_orgs": "average"});
    let document = json!({"components": [
        component("1", 70.0, vec![
            indicator("I1", three_level(60.0, 70.0, 80.0), vec![host("YST-AGRI")], latest.clone()),
        ]),
        component("2", 30.0, vec![
            indicator("I2", three_level(60.0, 70.0, 80.0), vec![host("YST-PHO")], latest.clone()),
        ]),
    ]});
    let evaluation = active_from_document(&app, &token, 2565, None, &document).await;
    backfill(
        &app,
        evaluation,
        &[
            ("I1", "YST-AGRI", "2021-10", 72.0, "2021-11-01T03:00:00Z"),
            ("I2", "YST-PHO", "2021-10", 60.0, "2021-11-01T03:00:00Z"),
        ],
    )
    .await;
    let round = open_round(&app, evaluation, "ต.ค.", "2021-10", "2021-10").await;
    let as_of = "2021-11-10T00:00:00Z";
    let percents = |s: &Value| -> Vec<Value> {
        s["components"]
            .as_array()
            .expect("components")
            .iter()
            .map(|c| json!([c["weight"], c["percent"]]))
            .collect()
    };

    let s = summary(&app, &token, round, as_of).await;
    // (70 × 80 + 30 × 50) / 100 = 7,100 / 100 = 71.
    assert_eq!(percents(&s), [json!([70.0, 80.0]), json!([30.0, 50.0])]);
    assert_eq!(s["overall_percent"], 71.0);
    assert_eq!(s["component_weight_total"], 100.0);

    // Renegotiated: component 1 to 60 while active.
    let components = get(
        &app,
        &token,
        &format!("/api/v1/evaluations/{evaluation}/components"),
    )
    .await;
    let first = components["items"][0]["id"].as_i64().expect("component id");
    patch(
        &app,
        &token,
        &format!("/api/v1/components/{first}"),
        json!({"weight": 60}),
    )
    .await
    .assert_status(200);
    let shown = get(&app, &token, &format!("/api/v1/evaluations/{evaluation}")).await;
    assert_eq!(shown["component_weight_total"], 90.0);
    let s = summary(&app, &token, round, as_of).await;
    // (60 × 80 + 30 × 50) / 90 = 6,300 / 90 = 70 (not 6,300 / 100 = 63).
    assert_eq!(percents(&s), [json!([60.0, 80.0]), json!([30.0, 50.0])]);
    assert_eq!(s["component_weight_total"], 90.0);
    assert_eq!(s["overall_percent"], 70.0);
}

// ---------------------------------------------------------------------------------------------
// 9. Who sees it

/// The demo framework over 2021-09 … 2022-09 with E.1 (electricity) of September 2564 from
/// YST-PEO (2,500 of its 2,800 kWh) and YST-AGRI (4,000 of its 5,200); the 6-month round at
/// 2021-10-10 (September due 2021-10-02T17:00Z).
async fn who_reads_the_summary_and_the_drill_down(app: TestApp) {
    let admin = app.yasothon_admin();
    let evaluation = active_demo(&app, &admin).await;
    backfill(
        &app,
        evaluation,
        &[
            ("E.1", "YST-PEO", "2021-09", 2500.0, "2021-10-01T03:00:00Z"),
            ("E.1", "YST-AGRI", "2021-09", 4000.0, "2021-10-01T03:00:00Z"),
        ],
    )
    .await;
    let round = open_round(&app, evaluation, "รอบ 6 เดือน", "2021-09", "2022-02").await;
    let e1 = indicator_id(&app, evaluation, "E.1").await;
    let as_of = "2021-10-10T00:00:00Z";
    let path = format!("/api/v1/rounds/{round}/summary?as_of={as_of}");
    let drill_path = format!("/api/v1/rounds/{round}/indicators/{e1}?as_of={as_of}");

    // Everyone of the province reads the summary, the energy office's officer too.
    let readers = [
        admin.clone(),
        app.token("supervisor", Some("YST-PO")),
        app.token("viewer", Some("TH-35")),
        app.token("agency_officer", Some("YST-PEO")),
        app.admin(),
    ];
    let mut seen = Vec::new();
    for token in &readers {
        let s = get(&app, token, &path).await;
        // E.1: A = 2,500 + 4,000 = 6,500, B = 2,800 + 5,200 = 8,000: 1,500 / 8,000 = 18.75 %;
        // 75 + 3.75 / 5 × 25 = 93.75; below 20: below_target. Six hosts × September = 6
        // expected, 2 received.
        assert_eq!(
            figures(line(&s, "E.1")),
            json!({"value": 18.75, "target": 20.0, "score": 93.75, "max_score": 100.0,
                   "percent": 93.75, "status": "below_target", "expected": 6, "received": 2,
                   "on_time": 2, "late": 0})
        );
        seen.push(s);
    }
    assert!(seen.windows(2).all(|w| w[0] == w[1]), "one summary for all");

    // Another province's admin sees neither the round nor its indicators.
    let other = app.token("province_admin", Some("SPK-PO"));
    for path in [&path, &drill_path] {
        app.get(path)
            .bearer(&other)
            .send()
            .await
            .assert_problem(404, "not-found");
    }

    // The energy officer: every host's figures, only its own reports.
    let officer = get(
        &app,
        &app.token("agency_officer", Some("YST-PEO")),
        &drill_path,
    )
    .await;
    let hosts = [
        "YST-AGRI", "YST-DLA", "YST-NRE", "YST-PEO", "YST-PHO", "YST-SSO",
    ];
    assert_eq!(codes(&officer, "organizations", "organization_code"), hosts);
    // PEO (2,800 − 2,500) / 2,800 = 10.714285… → 10.7143; AGRI 1,200 / 5,200 = 23.076923… →
    // 23.0769; the others have nothing received.
    assert_eq!(part(&officer, "YST-PEO")["value"], 10.7143);
    assert_eq!(part(&officer, "YST-AGRI")["value"], 23.0769);
    assert_eq!(part(&officer, "YST-AGRI")["baseline"], 5200.0);
    assert_eq!(part(&officer, "YST-DLA")["value"], Value::Null);
    assert_eq!(
        reports(part(&officer, "YST-PEO")),
        [json!(["2021-09", 2500.0, "submitted", true, true])]
    );
    for code in hosts.iter().filter(|c| **c != "YST-PEO") {
        assert_eq!(part(&officer, code)["reports"], Value::Null, "{code}");
    }
    // Public health's officer: its own (empty) list, not the energy office's.
    let health = get(
        &app,
        &app.token("agency_officer", Some("YST-PHO")),
        &drill_path,
    )
    .await;
    assert_eq!(part(&health, "YST-PHO")["reports"], json!([]));
    assert_eq!(part(&health, "YST-PEO")["reports"], Value::Null);
    assert_eq!(part(&health, "YST-PEO")["value"], 10.7143);
    // The province admin reads every list.
    let all = get(&app, &admin, &drill_path).await;
    assert_eq!(
        reports(part(&all, "YST-AGRI")),
        [json!(["2021-09", 4000.0, "submitted", true, true])]
    );
    assert_eq!(part(&all, "YST-DLA")["reports"], json!([]));

    // An indicator of another evaluation, or none at all: 404.
    let other_evaluation = demo_evaluation(&app, &admin, Some(("2021-09", "2022-09"))).await;
    let foreign = indicator_id(&app, other_evaluation, "E.1").await;
    for indicator in [foreign, 999_999] {
        app.get(&format!("/api/v1/rounds/{round}/indicators/{indicator}"))
            .bearer(&admin)
            .send()
            .await
            .assert_problem(404, "not-found");
    }
    app.get("/api/v1/rounds/999999/summary")
        .bearer(&admin)
        .send()
        .await
        .assert_problem(404, "not-found");
    // A path segment that is not an id is named.
    let bad_id = app
        .get(&format!("/api/v1/rounds/{round}/indicators/abc"))
        .bearer(&admin)
        .send()
        .await;
    bad_id.assert_problem(400, "bad-request");
    assert_eq!(bad_id.error_fields(), ["indicator_id"]);

    // A bad as_of is a 400 naming it; an unknown parameter a 400 too.
    for base in [
        format!("/api/v1/rounds/{round}/summary"),
        format!("/api/v1/rounds/{round}/indicators/{e1}"),
    ] {
        // Outside 0001–9999 no client reads the echo back, and SQLite compares instants as
        // text (`+10000-…` sorted before 2021 and counted nothing received).
        for bad in [
            "yesterday",
            "2022-01-10",
            "2022-08-10T03:00:60Z",
            "9999-12-31T23:59:59-23:59",
            "%2B010000-01-01T00:00:00Z",
            "0000-01-01T00:00:00Z",
        ] {
            let response = app
                .get(&format!("{base}?as_of={bad}"))
                .bearer(&admin)
                .send()
                .await;
            response.assert_problem(400, "bad-request");
            assert_eq!(response.error_fields(), ["as_of"], "{bad}");
        }
        let response = app
            .get(&format!("{base}?asof={as_of}"))
            .bearer(&admin)
            .send()
            .await;
        response.assert_problem(400, "bad-request");
    }
}

// ---------------------------------------------------------------------------------------------
// 10. A national round in a constant number of queries

/// The statements `storage::summary::of_round` runs for a round, counted by diesel's
/// instrumentation on a connection of our own, in one transaction; and the facts.
fn counted_summary(
    app: &TestApp,
    round: i64,
    as_of: &str,
) -> (usize, provincial_kpi::domain::summary::RoundFacts) {
    let mut conn = ConnectionManager::new(app.config.database_url.clone())
        .establish()
        .expect("connect");
    let count = Arc::new(AtomicUsize::new(0));
    let counter = count.clone();
    conn.set_instrumentation(move |event: InstrumentationEvent<'_>| {
        if matches!(event, InstrumentationEvent::StartQuery { .. }) {
            counter.fetch_add(1, Ordering::SeqCst);
        }
    });
    let caller = Caller {
        subject: "test-admin".into(),
        name: "ผู้ทดสอบ".into(),
        role: Role::Admin,
        organization: None,
    };
    let as_of: DateTime<Utc> = as_of.parse().expect("as_of");
    conn.transaction::<_, provincial_kpi::error::Error, _>(|conn| {
        count.store(0, Ordering::SeqCst);
        let (_, facts) = provincial_kpi::storage::summary::of_round(conn, &caller, round, as_of)?;
        Ok((count.load(Ordering::SeqCst), facts))
    })
    .expect("summary")
}

/// 60 organizations × 30 monthly indicators × 12 months = 21,600 reports, batch-imported; the
/// summary's statements are as many as for a round of 2 organizations and 1 indicator.
async fn a_national_round_summary_runs_in_a_constant_number_of_queries(app: TestApp) {
    let started = Instant::now();
    let admin = app.admin();
    let token = app.yasothon_admin();
    // The round's evaluation id, the evaluation (the caller's view of it), the round, its
    // province; then components, indicators, the reporting assignments with their organizations, and the
    // facts summed up per (indicator, organization).
    const QUERIES: usize = 8;

    // A small round: 2 organizations, 1 indicator, 3 months.
    let small_document = json!({"components": [component("1", 100.0, vec![
        indicator("S", linear(100.0), vec![host("YST-AGRI"), host("YST-PHO")], json!({})),
    ])]});
    let small = active_from_document(&app, &token, 2565, None, &small_document).await;
    backfill(
        &app,
        small,
        &[
            ("S", "YST-AGRI", "2021-10", 50.0, "2021-11-01T03:00:00Z"),
            ("S", "YST-PHO", "2021-11", 50.0, "2021-12-01T03:00:00Z"),
        ],
    )
    .await;
    let small_round = open_round(&app, small, "ไตรมาส 1", "2021-10", "2021-12").await;
    let (small_queries, facts) = counted_summary(&app, small_round, "2022-01-10T00:00:00Z");
    let tally = facts.summarize().expect("summary").completeness;
    // 2 organizations × 3 months = 6 expected, 2 received.
    assert_eq!((tally.expected, tally.received), (6, 2));

    // The national-size one: 60 agencies, 30 indicators each reported by all 60 (2 components,
    // a third of the indicators reductions with per-organization baselines).
    let province = app.org_id("TH-35").await;
    let mut organizations = Vec::new();
    for i in 1..=60 {
        let code = format!("N{i:02}");
        post(
            &app,
            &admin,
            "/api/v1/organizations",
            json!({"code": code, "name_th": format!("หน่วยงานที่ {i}"), "kind": "agency",
                   "parent_id": province}),
        )
        .await;
        organizations.push(code);
    }
    let indicators: Vec<Value> = (1..=30)
        .map(|k| {
            let reduction = k % 3 == 0;
            let assignments = organizations
                .iter()
                .enumerate()
                .map(|(i, code)| {
                    if reduction && i % 2 == 0 {
                        host_with_baseline(code, 1000.0 + i as f64)
                    } else {
                        host(code)
                    }
                })
                .collect();
            let over_time = ["sum", "average", "latest", "max", "min"][k % 5];
            let fields = if reduction {
                json!({"score_basis": "reduction_from_baseline", "baseline": 1000})
            } else {
                let across = if k % 2 == 0 { "sum" } else { "average" };
                json!({"over_time": over_time, "across_orgs": across})
            };
            indicator(
                &format!("K{k:02}"),
                three_level(10.0, 15.0, 20.0),
                assignments,
                fields,
            )
        })
        .collect();
    let document = json!({"components": [
        component("1", 70.0, indicators[..15].to_vec()),
        component("2", 30.0, indicators[15..].to_vec()),
    ]});
    let evaluation = active_from_document(&app, &token, 2565, None, &document).await;
    let months: Vec<(String, String)> = (0..12)
        .map(|m| {
            // 2021-10 … 2022-09, each first submitted on the 1st of the next month.
            let (year, month) = (2021 + (9 + m) / 12, (9 + m) % 12 + 1);
            let (next_year, next_month) = (2021 + (10 + m) / 12, (10 + m) % 12 + 1);
            (
                format!("{year}-{month:02}"),
                format!("{next_year}-{next_month:02}-01T03:00:00Z"),
            )
        })
        .collect();
    let built = Instant::now();
    // Two batches of 10,800.
    for half in [&months[..6], &months[6..]] {
        let mut items = Vec::with_capacity(10_800);
        for k in 1..=30 {
            for (i, code) in organizations.iter().enumerate() {
                for (period, at) in half {
                    let value = 900.0 - (k * 7 + i * 3) as f64 % 200.0;
                    items.push(json!({"indicator_code": format!("K{k:02}"),
                        "organization_code": code, "period": period, "value": value,
                        "submitted_at": at}));
                }
            }
        }
        let response = app
            .post("/api/v1/submissions/batch")
            .bearer(&admin)
            .json(&json!({"evaluation_id": evaluation, "atomic": true, "items": items}))
            .send()
            .await;
        response.assert_status(200);
        assert_eq!(response.json()["created"], 10_800);
    }
    let imported = Instant::now();
    let round = open_round(&app, evaluation, "รอบ 12 เดือน", "2021-10", "2022-09").await;
    let (queries, facts) = counted_summary(&app, round, "2022-10-10T00:00:00Z");
    let counted = Instant::now();
    let tally = facts.summarize().expect("summary").completeness;
    // 60 × 30 × 12 = 21,600 expected (September due 2022-10-02T17:00Z), all received on time.
    assert_eq!(
        (tally.expected, tally.received, tally.on_time),
        (21_600, 21_600, 21_600)
    );
    // One row per (indicator, organization), never one per report.
    assert_eq!(facts.received.len(), 30 * 60);
    assert_eq!(
        queries, small_queries,
        "as many statements as for 2 organizations"
    );
    assert_eq!(queries, QUERIES);

    // Through the service too.
    let s = summary(&app, &token, round, "2022-10-10T00:00:00Z").await;
    assert_eq!(s["completeness"]["expected"], 21_600);
    assert_eq!(s["completeness"]["completeness_percent"], 100.0);
    eprintln!(
        "{:?}: set up {:?}, import {:?}, counted summary {:?}, served summary {:?}",
        app.engine,
        built - started,
        imported - built,
        counted - imported,
        counted.elapsed()
    );
}

/// The facts statement of summaries and rankings reads only the `submissions_facts` index,
/// never the reports' rows (issue 14: at national size that is 121 MB of index instead of
/// 867 MB of table), and PostgreSQL does not compile it (the service's connections turn JIT
/// off: compiling cost more than running; an empty table's plan would not show it, so the
/// setting is read). PostgreSQL is asked with sequential and bitmap
/// scans off, so the plan shows what the index allows, not what a small table's statistics
/// prefer; SQLite's plan does not depend on statistics.
async fn the_facts_statement_reads_only_its_covering_index(app: TestApp) {
    use diesel::connection::SimpleConnection;
    use provincial_kpi::storage::DbConnection;
    let mut conn = ConnectionManager::new(app.config.database_url.clone())
        .establish()
        .expect("connect");
    if let DbConnection::Postgres(pg) = &mut conn {
        pg.batch_execute("SET enable_seqscan = off; SET enable_bitmapscan = off")
            .expect("planner settings");
    }
    let window = (
        "2021-10".parse().expect("period"),
        "2022-09".parse().expect("period"),
    );
    let plan = provincial_kpi::storage::summary::explain_facts(&mut conn, 1, window)
        .expect("explain")
        .join("\n");
    let covered = match conn {
        DbConnection::Postgres(_) => "Index Only Scan using submissions_facts on submissions s",
        DbConnection::Sqlite(_) => "SEARCH s USING COVERING INDEX submissions_facts",
    };
    assert!(plan.contains(covered), "{plan}");
    if let DbConnection::Postgres(pg) = &mut conn {
        #[derive(diesel::QueryableByName)]
        struct Setting {
            #[diesel(sql_type = diesel::sql_types::Text)]
            jit: String,
        }
        let setting: Setting =
            diesel::RunQueryDsl::get_result(diesel::sql_query("SHOW jit"), pg).expect("SHOW jit");
        assert_eq!(setting.jit, "off");
    }
}
