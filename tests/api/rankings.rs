//! Rankings (docs/DOMAIN.md, "Rankings"; DESIGN.md sections 4 and 5), through the service on
//! both engines, with three provinces: Samut Prakan (TH-11) ahead, Yasothon (TH-35) and Amnat
//! Charoen (TH-37, added here) tied to 2 decimals; a second Samut Prakan evaluation with nothing
//! due yet (last, without a rank) and a Yasothon draft (not ranked).
//!
//! Every evaluation has one component (100) with one monthly indicator K, linear from (0, 0)
//! to (100, 100), averaged over time: its percent is its average value. Deadline day 3: Oct,
//! Nov and Dec 2021 are due by 2022-01-10.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use diesel::connection::{Connection, InstrumentationEvent};
use provincial_kpi::domain::period::FiscalYear;
use provincial_kpi::storage::ConnectionManager;
use serde_json::{json, Value};

use crate::both_engines;
use crate::fixtures::{backfill, get, patch, post, put_framework};
use crate::support::{encode, Engine, TestApp};

both_engines!(
    provinces_ranked_with_ties_and_scope,
    a_ranking_reads_in_a_constant_number_of_queries,
    what_a_ranking_refuses,
);

const AS_OF: &str = "2022-01-10T00:00:00Z";
const ROUND: &str = "ไตรมาส 1 Q1";

/// The one-indicator framework, K hosted by `host`.
fn document(host: &str) -> Value {
    json!({"components": [{
        "code": "1", "name": "องค์ประกอบที่ 1", "weight": 100,
        "indicators": [{
            "code": "K", "name": "ตัวชี้วัด K", "frequency": "monthly",
            "over_time": "average", "across_orgs": "average",
            "criteria": [{"value": 0, "score": 0}, {"value": 100, "score": 100}],
            "assignments": [{"organization_code": host, "role": "host"}]
        }]
    }]})
}

/// An evaluation of FY 2565 (Oct 2564 – Sep 2565) of the province `province` with K hosted
/// by `host`, activated unless `draft`; its id.
async fn evaluation(app: &TestApp, province: &str, host: &str, draft: bool) -> i64 {
    let admin = app.admin();
    let province_id = app.org_id(province).await;
    let created = post(
        app,
        &admin,
        "/api/v1/evaluations",
        json!({"province_id": province_id, "fiscal_year": 2565,
               "title": format!("การประเมิน {province} 2565")}),
    )
    .await;
    let id = created["id"].as_i64().expect("evaluation id");
    put_framework(app, &admin, id, &document(host))
        .await
        .assert_status(200);
    if !draft {
        patch(
            app,
            &admin,
            &format!("/api/v1/evaluations/{id}"),
            json!({"status": "active"}),
        )
        .await
        .assert_status(200);
    }
    id
}

async fn round(app: &TestApp, evaluation: i64, name: &str, start: &str, end: &str) -> i64 {
    post(
        app,
        &app.admin(),
        &format!("/api/v1/evaluations/{evaluation}/rounds"),
        json!({"name": name, "start_period": start, "end_period": end}),
    )
    .await["id"]
        .as_i64()
        .expect("round id")
}

/// K's three months of `host`, each first submitted at `at` of the next month's 1st (on
/// time) unless given.
async fn report(app: &TestApp, evaluation: i64, host: &str, values: [f64; 3], late: bool) {
    let first_at = if late {
        "2021-11-20T03:00:00Z"
    } else {
        "2021-11-01T03:00:00Z"
    };
    backfill(
        app,
        evaluation,
        &[
            ("K", host, "2021-10", values[0], first_at),
            ("K", host, "2021-11", values[1], "2021-12-01T03:00:00Z"),
            ("K", host, "2021-12", values[2], "2022-01-01T03:00:00Z"),
        ],
    )
    .await;
}

fn rankings_path(fiscal_year: &str, round_name: &str) -> String {
    format!(
        "/api/v1/fiscal-years/{fiscal_year}/rankings?round_name={}&as_of={AS_OF}",
        encode(round_name)
    )
}

async fn rankings(app: &TestApp, token: &str, round_name: &str) -> Value {
    let ranking = get(app, token, &rankings_path("2565", round_name)).await;
    assert_eq!(ranking["fiscal_year"], 2565);
    assert_eq!(ranking["as_of"], AS_OF);
    ranking
}

/// (rank, province code, overall percent) of each row.
fn rows(ranking: &Value) -> Vec<(Value, String, Value)> {
    ranking["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| {
            (
                item["rank"].clone(),
                item["province_code"].as_str().expect("code").to_owned(),
                item["overall_percent"].clone(),
            )
        })
        .collect()
}

/// Amnat Charoen (TH-37) and its provincial office, added by the national admin.
async fn amnat_charoen(app: &TestApp) {
    let admin = app.admin();
    let country = app.org_id("TH").await;
    let province = post(
        app,
        &admin,
        "/api/v1/organizations",
        json!({"code": "TH-37", "name_th": "จังหวัดอำนาจเจริญ", "name_en": "Amnat Charoen",
               "kind": "province", "parent_id": country}),
    )
    .await;
    post(
        app,
        &admin,
        "/api/v1/organizations",
        json!({"code": "ACR-PO", "name_th": "สำนักงานจังหวัดอำนาจเจริญ", "kind": "agency",
               "parent_id": province["id"]}),
    )
    .await;
}

/// The three provinces, the nothing-due evaluation and the draft; (Yasothon, Samut Prakan,
/// Amnat Charoen, nothing due) evaluation ids.
async fn three_provinces(app: &TestApp) -> [i64; 4] {
    amnat_charoen(app).await;
    // Yasothon: 80, 80, 80 → 80.00, all on time.
    let yasothon = evaluation(app, "TH-35", "YST-PEO", false).await;
    report(app, yasothon, "YST-PEO", [80.0, 80.0, 80.0], false).await;
    round(app, yasothon, ROUND, "2021-10", "2021-12").await;
    round(app, yasothon, "รอบอื่น", "2021-10", "2021-11").await;
    // Samut Prakan: 90 → 90.00, first; the round named in other letter case and spaces.
    let samut_prakan = evaluation(app, "TH-11", "SPK-PO", false).await;
    report(app, samut_prakan, "SPK-PO", [90.0, 90.0, 90.0], false).await;
    round(app, samut_prakan, "  ไตรมาส 1 q1 ", "2021-10", "2021-12").await;
    // Amnat Charoen: 79.996 → 80.00 as shown: tied with Yasothon; October late.
    let amnat = evaluation(app, "TH-37", "ACR-PO", false).await;
    report(app, amnat, "ACR-PO", [79.996, 79.996, 79.996], true).await;
    round(app, amnat, ROUND, "2021-10", "2021-12").await;
    // A second Samut Prakan evaluation whose round is not due yet: overall null, last.
    let later = evaluation(app, "TH-11", "SPK-PO", false).await;
    round(app, later, ROUND, "2022-06", "2022-08").await;
    // A Yasothon draft with the round: not ranked.
    let draft = evaluation(app, "TH-35", "YST-PEO", true).await;
    round(app, draft, ROUND, "2021-10", "2021-12").await;
    [yasothon, samut_prakan, amnat, later]
}

async fn provinces_ranked_with_ties_and_scope(app: TestApp) {
    let [yasothon, samut_prakan, amnat, later] = three_provinces(&app).await;
    let admin = app.admin();

    let all = rankings(&app, &admin, ROUND).await;
    assert_eq!(all["round_name"], ROUND);
    // 90.00 first; 80.00 and 79.996 (shown 80.00) share rank 2, by province code; the round
    // with nothing due last without a rank; the draft absent.
    assert_eq!(
        rows(&all),
        vec![
            (json!(1), "TH-11".into(), json!(90.0)),
            (json!(2), "TH-35".into(), json!(80.0)),
            (json!(2), "TH-37".into(), json!(80.0)),
            (Value::Null, "TH-11".into(), Value::Null),
        ]
    );
    let items = all["items"].as_array().expect("items");
    let evaluations: Vec<i64> = items
        .iter()
        .map(|i| i["evaluation_id"].as_i64().expect("id"))
        .collect();
    assert_eq!(evaluations, vec![samut_prakan, yasothon, amnat, later]);
    assert_eq!(items[1]["name_th"], "จังหวัดยโสธร");
    assert_eq!(items[1]["province_id"], app.org_id("TH-35").await);
    assert_eq!(items[2]["name_th"], "จังหวัดอำนาจเจริญ");
    // Amnat Charoen: 3 of 3 received, October late: 100 / 66.67.
    assert_eq!(items[2]["completeness_percent"], 100.0);
    assert_eq!(items[2]["timeliness_percent"], 66.67);
    assert_eq!(items[1]["timeliness_percent"], 100.0);
    // Nothing expected yet: null percents.
    assert_eq!(items[3]["completeness_percent"], Value::Null);
    // Each row's figures are its round summary's, exactly.
    for item in items {
        let summary = get(
            &app,
            &admin,
            &format!("/api/v1/rounds/{}/summary?as_of={AS_OF}", item["round_id"]),
        )
        .await;
        assert_eq!(summary["evaluation"]["id"], item["evaluation_id"]);
        assert_eq!(summary["overall_percent"], item["overall_percent"]);
        let completeness = &summary["completeness"];
        assert_eq!(
            completeness["completeness_percent"],
            item["completeness_percent"]
        );
        assert_eq!(
            completeness["timeliness_percent"],
            item["timeliness_percent"]
        );
    }

    // National callers see every row.
    for token in [app.token("viewer", None), app.token("integration", None)] {
        assert_eq!(rankings(&app, &token, ROUND).await["items"], all["items"]);
    }
    // A province's callers see its own rows, with their rank among all.
    for token in [
        app.yasothon_admin(),
        app.token("supervisor", Some("YST-PO")),
        app.token("agency_officer", Some("YST-PEO")),
        app.token("viewer", Some("TH-35")),
        app.token("integration", Some("TH-35")),
    ] {
        let own = rankings(&app, &token, ROUND).await;
        assert_eq!(
            rows(&own),
            vec![(json!(2), "TH-35".into(), json!(80.0))],
            "{own}"
        );
        assert_eq!(own["items"][0], all["items"][1]);
    }
    let samut = rankings(&app, &app.token("province_admin", Some("SPK-PO")), ROUND).await;
    assert_eq!(
        rows(&samut),
        vec![
            (json!(1), "TH-11".into(), json!(90.0)),
            (Value::Null, "TH-11".into(), Value::Null),
        ]
    );
    // A regional unit's officer belongs to no province: no rows.
    let regional = rankings(&app, &app.token("agency_officer", Some("RD-RET")), ROUND).await;
    assert_eq!(regional["items"], json!([]));

    // The name is compared trimmed and ignoring case; an unknown name has no rows (never 404).
    let other_spelling = rankings(&app, &admin, " ไตรมาส 1 q1").await;
    assert_eq!(other_spelling["items"], all["items"]);
    assert_eq!(other_spelling["round_name"], "ไตรมาส 1 q1");
    let only_yasothon = rankings(&app, &admin, "รอบอื่น").await;
    assert_eq!(rows(&only_yasothon).len(), 1);
    assert_eq!(only_yasothon["items"][0]["rank"], 1);
    let unknown = rankings(&app, &admin, "ไม่มีรอบนี้").await;
    assert_eq!(unknown["items"], json!([]));
    // Another fiscal year: no rows.
    let next_year = get(&app, &admin, &rankings_path("2566", ROUND)).await;
    assert_eq!(next_year["items"], json!([]));
}

/// The statements `storage::rankings::of_fiscal_year` runs, counted by diesel's
/// instrumentation on a connection of our own, in one transaction; and the number of rows.
fn counted_ranking(app: &TestApp) -> (usize, usize) {
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
    let as_of: DateTime<Utc> = AS_OF.parse().expect("as_of");
    conn.transaction::<_, provincial_kpi::error::Error, _>(|conn| {
        count.store(0, Ordering::SeqCst);
        let contenders = provincial_kpi::storage::rankings::of_fiscal_year(
            conn,
            FiscalYear(2565),
            ROUND,
            as_of,
        )?;
        Ok((count.load(Ordering::SeqCst), contenders.len()))
    })
    .expect("ranking")
}

/// One query for the rounds with their evaluations and provinces, then the summary's four
/// (components, indicators, reporting assignments, grouped facts) for every evaluation at
/// once: as many for one evaluation as for four. PostgreSQL's one more sets the grouping's
/// memory for the transaction.
async fn a_ranking_reads_in_a_constant_number_of_queries(app: TestApp) {
    let queries = match app.engine {
        Engine::Sqlite => 5,
        Engine::Postgres => 6,
    };
    let yasothon = evaluation(&app, "TH-35", "YST-PEO", false).await;
    report(&app, yasothon, "YST-PEO", [80.0, 80.0, 80.0], false).await;
    round(&app, yasothon, ROUND, "2021-10", "2021-12").await;
    let (one, fact_rows) = counted_ranking(&app);
    assert_eq!((one, fact_rows), (queries, 1));

    let samut_prakan = evaluation(&app, "TH-11", "SPK-PO", false).await;
    report(&app, samut_prakan, "SPK-PO", [90.0, 90.0, 90.0], false).await;
    round(&app, samut_prakan, ROUND, "2021-10", "2021-12").await;
    amnat_charoen(&app).await;
    let amnat = evaluation(&app, "TH-37", "ACR-PO", false).await;
    report(&app, amnat, "ACR-PO", [79.996, 79.996, 79.996], true).await;
    round(&app, amnat, ROUND, "2021-10", "2021-12").await;
    let later = evaluation(&app, "TH-11", "SPK-PO", false).await;
    round(&app, later, ROUND, "2022-06", "2022-08").await;
    let (many, fact_rows) = counted_ranking(&app);
    assert_eq!(
        (many, fact_rows),
        (queries, 4),
        "as many statements as for one"
    );
    let ranking = rankings(&app, &app.admin(), ROUND).await;
    assert_eq!(
        rows_ranks(&ranking),
        vec![json!(1), json!(2), json!(2), Value::Null]
    );

    // The same rows as CSV (BOM, Thai headers) and as a workbook (title, headers, numbers).
    let path = format!("{}&format=csv", rankings_path("2565", ROUND));
    let csv = app.get(&path).bearer(&app.admin()).send().await;
    csv.assert_status(200);
    let text = std::str::from_utf8(&csv.body).expect("UTF-8");
    let text = text.strip_prefix('\u{feff}').expect("a byte order mark");
    let mut reader = ::csv::Reader::from_reader(text.as_bytes());
    assert_eq!(reader.headers().expect("headers").get(0), Some("อันดับ"));
    let table: Vec<(String, String, String)> = reader
        .records()
        .map(|record| {
            let record = record.expect("a row");
            (
                record[0].to_owned(),
                record[1].to_owned(),
                record[5].to_owned(),
            )
        })
        .collect();
    let expected: Vec<(String, String, String)> = rows(&ranking)
        .into_iter()
        .map(|(rank, code, overall)| {
            let number = |v: &Value| v.as_f64().map(|n| n.to_string()).unwrap_or_default();
            (number(&rank), code, number(&overall))
        })
        .collect();
    assert_eq!(table, expected);
    let workbook = app
        .get(&format!("{}&format=xlsx", rankings_path("2565", ROUND)))
        .bearer(&app.admin())
        .send()
        .await;
    workbook.assert_status(200);
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(workbook.body.to_vec()))
            .expect("a workbook");
    use calamine::Reader;
    let sheet = book
        .worksheet_range("rankings")
        .expect("the rankings sheet");
    let cells: Vec<Vec<calamine::Data>> = sheet.rows().map(<[calamine::Data]>::to_vec).collect();
    assert!(cells[0][0].to_string().contains("2565"), "the title row");
    assert_eq!(cells[1][0].to_string(), "อันดับ");
    assert_eq!(cells[2][0], calamine::Data::Float(1.0));
    assert_eq!(cells.len(), 2 + 4, "title, headers, four rows");
}

fn rows_ranks(ranking: &Value) -> Vec<Value> {
    rows(ranking).into_iter().map(|(rank, _, _)| rank).collect()
}

async fn what_a_ranking_refuses(app: TestApp) {
    let admin = app.admin();
    // round_name is required, and must name something.
    for path in [
        "/api/v1/fiscal-years/2565/rankings".to_owned(),
        "/api/v1/fiscal-years/2565/rankings?round_name=%20%20".to_owned(),
    ] {
        let response = app.get(&path).bearer(&admin).send().await;
        response.assert_problem(400, "bad-request");
        assert_eq!(response.error_fields(), vec!["round_name"], "{path}");
    }
    // The fiscal year: a whole number (400), in the supported Buddhist-Era years (422).
    let response = app
        .get(&rankings_path("abc", ROUND))
        .bearer(&admin)
        .send()
        .await;
    response.assert_problem(400, "bad-request");
    assert_eq!(response.error_fields(), vec!["fiscal_year"]);
    for year in ["2022", "3000", "99999999999"] {
        let response = app
            .get(&rankings_path(year, ROUND))
            .bearer(&admin)
            .send()
            .await;
        response.assert_problem(422, "validation");
        assert_eq!(response.error_fields(), vec!["fiscal_year"], "{year}");
    }
    // A bad as_of or an unknown parameter: 400 naming it.
    let response = app
        .get("/api/v1/fiscal-years/2565/rankings?round_name=x&as_of=yesterday")
        .bearer(&admin)
        .send()
        .await;
    response.assert_problem(400, "bad-request");
    assert_eq!(response.error_fields(), vec!["as_of"]);
    let response = app
        .get("/api/v1/fiscal-years/2565/rankings?round_name=x&province=TH-35")
        .bearer(&admin)
        .send()
        .await;
    response.assert_problem(400, "bad-request");
    assert_eq!(response.error_fields(), vec!["province"]);
    // A token is required.
    app.get(&rankings_path("2565", ROUND))
        .send()
        .await
        .assert_problem(401, "unauthorized");
    // Nothing yet: no rows.
    let empty = get(&app, &admin, &rankings_path("2565", ROUND)).await;
    assert_eq!(empty["items"], json!([]));
}
