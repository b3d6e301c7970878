//! The round summary and the drill-down as files for the meeting (issue 13 items 1–2): CSV
//! (read back with the csv crate after stripping the BOM) and XLSX (read back with calamine),
//! on the demo's two rounds; their figures are the JSON's.

use std::io::Cursor;

use calamine::{open_workbook_from_rs, Data, Reader, Xlsx};
use serde_json::{json, Value};

use crate::both_engines;
use crate::fixtures::{demo_year, get, patch};
use crate::support::{TestApp, TestResponse};
use provincial_kpi::demo::DEMO_AS_OF;
use provincial_kpi::domain::IndicatorStatus;
use provincial_kpi::http::render::status_label_th;

both_engines!(
    each_part_of_the_summary_as_csv_has_the_json_s_figures,
    the_drill_down_as_csv_has_a_row_per_organization,
    formula_like_names_are_neutralised_in_csv_and_text_in_xlsx,
    the_summary_as_a_workbook_reads_back,
    an_agency_officer_gets_the_province_s_summary_csv,
    an_unknown_format_or_a_part_without_a_table_format_is_a_400,
    a_workbook_as_of_a_date_excel_cannot_hold_is_still_written,
);

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Seeds the demo's framework, rounds (1: 6 months, 2: 12 months) and reports.
async fn seeded(app: &TestApp) -> i64 {
    demo_year(app).0
}

async fn fetch(app: &TestApp, token: &str, path: &str) -> TestResponse {
    let response = app.get(path).bearer(token).send().await;
    response.assert_status(200);
    response
}

/// The rows of a CSV response (header first), after checking it is what Excel opens: UTF-8
/// with a BOM, CRLF line ends, `text/csv`.
fn csv_rows(response: &TestResponse) -> Vec<Vec<String>> {
    assert_eq!(
        response.header("content-type").as_deref(),
        Some("text/csv; charset=utf-8")
    );
    let text = std::str::from_utf8(&response.body).expect("UTF-8");
    let text = text.strip_prefix('\u{feff}').expect("a byte order mark");
    assert!(text.ends_with("\r\n"), "CRLF");
    assert!(
        !text.replace("\r\n", "").contains('\n'),
        "bare LF in {text}"
    );
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.expect("a CSV record").iter().map(str::to_owned).collect())
        .collect()
}

/// A CSV figure: blank is null.
fn figure(cell: &str) -> Option<f64> {
    (!cell.is_empty()).then(|| {
        cell.parse()
            .unwrap_or_else(|_| panic!("{cell:?} is a number"))
    })
}

#[track_caller]
fn same_figure(cell: &str, json: &Value) {
    assert_eq!(figure(cell), json.as_f64(), "{cell:?} vs {json}");
}

fn text(value: &Value) -> &str {
    value.as_str().unwrap_or_default()
}

fn status_th(value: &Value) -> &'static str {
    let status: IndicatorStatus = serde_json::from_value(value.clone()).expect("a status");
    status_label_th(status)
}

/// Every part of both rounds' summaries: one header row of Thai names, then the JSON's lines
/// with the same figures (blank for null), a month beside its Thai label.
async fn each_part_of_the_summary_as_csv_has_the_json_s_figures(app: TestApp) {
    seeded(&app).await;
    let admin = app.yasothon_admin();
    for round in [1, 2] {
        let base = format!("/api/v1/rounds/{round}/summary?as_of={DEMO_AS_OF}");
        let summary = get(&app, &admin, &base).await;

        // indicators: the default part.
        let response = fetch(&app, &admin, &format!("{base}&format=csv")).await;
        assert_eq!(
            response.header("content-disposition").as_deref(),
            Some(
                format!("attachment; filename=\"summary-{round}-indicators-2022-08-10.csv\"")
                    .as_str()
            )
        );
        let rows = csv_rows(&response);
        assert_eq!(rows[0][0], "รหัสตัวชี้วัด");
        assert_eq!(rows[0][11], "สถานะ");
        let indicators = summary["indicators"].as_array().expect("indicators");
        assert_eq!(rows.len(), indicators.len() + 1);
        for (row, indicator) in rows[1..].iter().zip(indicators) {
            assert_eq!(row[0], text(&indicator["indicator_code"]));
            assert_eq!(row[1], text(&indicator["component_code"]));
            assert_eq!(row[2], text(&indicator["name"]));
            assert_eq!(row[3], text(&indicator["unit"]));
            for (col, field) in [
                (5, "weight"),
                (6, "value"),
                (7, "target"),
                (8, "score"),
                (9, "max_score"),
                (10, "percent"),
                (12, "expected"),
                (13, "received"),
                (14, "on_time"),
                (15, "late"),
            ] {
                same_figure(&row[col], &indicator[field]);
            }
            assert_eq!(row[11], status_th(&indicator["status"]));
        }
        // The story the demo tells is in the file: 1.3 has no data in the 6-month round.
        if round == 1 {
            let social = rows.iter().find(|r| r[0] == "1.3").expect("1.3");
            assert_eq!((social[6].as_str(), social[11].as_str()), ("", "ไม่มีข้อมูล"));
        }
        let same = fetch(&app, &admin, &format!("{base}&format=csv&part=indicators")).await;
        assert_eq!(same.body, response.body);

        // organizations.
        let rows = csv_rows(
            &fetch(
                &app,
                &admin,
                &format!("{base}&format=csv&part=organizations"),
            )
            .await,
        );
        assert_eq!(rows[0][1], "หน่วยงาน");
        let organizations = summary["organizations"].as_array().expect("organizations");
        assert_eq!(rows.len(), organizations.len() + 1);
        for (row, organization) in rows[1..].iter().zip(organizations) {
            assert_eq!(row[0], text(&organization["organization_code"]));
            assert_eq!(row[1], text(&organization["name_th"]));
            for (col, field) in [
                (2, "expected"),
                (3, "received"),
                (4, "on_time"),
                (5, "late"),
                (7, "completeness_percent"),
                (8, "timeliness_percent"),
            ] {
                same_figure(&row[col], &organization[field]);
            }
            let missing = organization["missing"].as_array().expect("missing").len();
            assert_eq!(figure(&row[6]), Some(missing as f64));
        }

        // missing: one row per (organization, indicator, month).
        let response = fetch(&app, &admin, &format!("{base}&format=csv&part=missing")).await;
        assert_eq!(
            response.header("content-disposition").as_deref(),
            Some(
                format!("attachment; filename=\"summary-{round}-missing-2022-08-10.csv\"").as_str()
            )
        );
        let rows = csv_rows(&response);
        assert_eq!(rows[0][4..], ["เดือน", "เดือน (ไทย)"]);
        let expected: Vec<Vec<String>> = organizations
            .iter()
            .flat_map(|o| {
                o["missing"]
                    .as_array()
                    .expect("missing")
                    .iter()
                    .map(move |m| {
                        let name = indicators
                            .iter()
                            .find(|i| i["indicator_code"] == m["indicator_code"])
                            .map(|i| text(&i["name"]).to_owned())
                            .unwrap_or_default();
                        vec![
                            text(&o["organization_code"]).to_owned(),
                            text(&o["name_th"]).to_owned(),
                            text(&m["indicator_code"]).to_owned(),
                            name,
                            text(&m["period"]).to_owned(),
                            text(&m["period_label_th"]).to_owned(),
                        ]
                    })
            })
            .collect();
        assert!(!expected.is_empty(), "the demo has missing reports");
        assert_eq!(rows[1..], expected);
    }
}

/// The drill-down: one row per reporting organization with its own figures and its missing
/// months (then the same months in Thai).
async fn the_drill_down_as_csv_has_a_row_per_organization(app: TestApp) {
    seeded(&app).await;
    let admin = app.yasothon_admin();
    for round in [1, 2] {
        let summary = get(
            &app,
            &admin,
            &format!("/api/v1/rounds/{round}/summary?as_of={DEMO_AS_OF}"),
        )
        .await;
        for indicator in summary["indicators"].as_array().expect("indicators") {
            let id = indicator["indicator_id"].as_i64().expect("id");
            let base = format!("/api/v1/rounds/{round}/indicators/{id}?as_of={DEMO_AS_OF}");
            let drill = get(&app, &admin, &base).await;
            let response = fetch(&app, &admin, &format!("{base}&format=csv")).await;
            assert_eq!(
                response.header("content-disposition").as_deref(),
                Some(
                    format!("attachment; filename=\"indicator-{round}-{id}-2022-08-10.csv\"")
                        .as_str()
                )
            );
            let rows = csv_rows(&response);
            assert_eq!(rows[0][0], "รหัสหน่วยงาน");
            let organizations = drill["organizations"].as_array().expect("organizations");
            assert_eq!(rows.len(), organizations.len() + 1);
            for (row, organization) in rows[1..].iter().zip(organizations) {
                assert_eq!(row[0], text(&organization["organization_code"]));
                assert_eq!(row[1], text(&organization["name_th"]));
                for (col, field) in [
                    (2, "value"),
                    (3, "baseline"),
                    (4, "target"),
                    (5, "expected"),
                    (6, "received"),
                    (7, "on_time"),
                    (8, "late"),
                ] {
                    same_figure(&row[col], &organization[field]);
                }
                let months = |field: &str| -> String {
                    organization["missing"]
                        .as_array()
                        .expect("missing")
                        .iter()
                        .map(|m| text(&m[field]).to_owned())
                        .collect::<Vec<_>>()
                        .join("; ")
                };
                assert_eq!(row[9], months("period"));
                assert_eq!(row[10], months("period_label_th"));
            }
        }
    }
}

/// Reads a workbook response: its sheets' cells, and whether any cell holds a formula.
fn workbook(response: &TestResponse) -> (Vec<String>, Vec<Vec<Vec<Data>>>, bool) {
    assert_eq!(response.header("content-type").as_deref(), Some(XLSX));
    let mut book: Xlsx<_> =
        open_workbook_from_rs(Cursor::new(response.body.to_vec())).expect("an XLSX workbook");
    let names = book.sheet_names();
    let mut sheets = Vec::new();
    let mut formulas = false;
    for name in &names {
        let range = book.worksheet_range(name).expect("a sheet");
        assert_eq!(range.start(), Some((0, 0)), "the title is in A1");
        sheets.push(range.rows().map(<[Data]>::to_vec).collect());
        let formula = book.worksheet_formula(name).expect("formulas");
        formulas |= formula.used_cells().any(|(_, _, f)| !f.is_empty());
    }
    (names, sheets, formulas)
}

fn cell_text(cell: &Data) -> &str {
    match cell {
        Data::String(text) => text,
        other => panic!("{other:?} is not text"),
    }
}

fn cell_number(cell: &Data) -> Option<f64> {
    match cell {
        Data::Float(number) => Some(*number),
        Data::Int(number) => Some(*number as f64),
        Data::Empty => None,
        other => panic!("{other:?} is not a number"),
    }
}

/// The workbook of each round: sheets indicators / organizations / missing, a title row naming
/// the province, fiscal year, round and as-of in Bangkok time, Thai headers, figures as numbers
/// equal to the JSON's, statuses in Thai, no formula.
async fn the_summary_as_a_workbook_reads_back(app: TestApp) {
    seeded(&app).await;
    let admin = app.yasothon_admin();
    for round in [1, 2] {
        let base = format!("/api/v1/rounds/{round}/summary?as_of={DEMO_AS_OF}");
        let summary = get(&app, &admin, &base).await;
        let response = fetch(&app, &admin, &format!("{base}&format=xlsx")).await;
        assert_eq!(
            response.header("content-disposition").as_deref(),
            Some(format!("attachment; filename=\"summary-{round}-2022-08-10.xlsx\"").as_str())
        );
        let (names, sheets, formulas) = workbook(&response);
        assert_eq!(names, ["indicators", "organizations", "missing"]);
        assert!(!formulas, "values only");
        let title = format!(
            "จังหวัดยโสธร · ปีงบประมาณ พ.ศ. 2565 · {} · ข้อมูล ณ 10 ส.ค. 2565 10:00 น.",
            text(&summary["round"]["name"])
        );
        for sheet in &sheets {
            assert_eq!(cell_text(&sheet[0][0]), title);
        }
        let indicators = &sheets[0];
        let headers: Vec<&str> = indicators[1].iter().map(cell_text).collect();
        assert_eq!(headers[..3], ["รหัสตัวชี้วัด", "องค์ประกอบ", "ชื่อตัวชี้วัด"]);
        let lines = summary["indicators"].as_array().expect("indicators");
        assert_eq!(indicators.len(), lines.len() + 2);
        for (row, indicator) in indicators[2..].iter().zip(lines) {
            assert_eq!(cell_text(&row[0]), text(&indicator["indicator_code"]));
            assert_eq!(cell_text(&row[2]), text(&indicator["name"]));
            for (col, field) in [
                (6, "value"),
                (7, "target"),
                (8, "score"),
                (10, "percent"),
                (12, "expected"),
            ] {
                assert_eq!(
                    cell_number(&row[col]),
                    indicator[field].as_f64(),
                    "{field} of {indicator}"
                );
            }
            assert_eq!(cell_text(&row[11]), status_th(&indicator["status"]));
        }
        let organizations = &sheets[1];
        assert_eq!(cell_text(&organizations[1][1]), "หน่วยงาน");
        for (row, organization) in organizations[2..]
            .iter()
            .zip(summary["organizations"].as_array().expect("organizations"))
        {
            assert_eq!(cell_text(&row[0]), text(&organization["organization_code"]));
            assert_eq!(
                cell_number(&row[7]),
                organization["completeness_percent"].as_f64()
            );
        }
        let missing = &sheets[2];
        assert_eq!(cell_text(&missing[1][5]), "เดือน (ไทย)");
        assert!(missing.len() > 2, "the demo has missing reports");
    }
    // One sheet only with `part`.
    let response = fetch(
        &app,
        &admin,
        &format!("/api/v1/rounds/1/summary?as_of={DEMO_AS_OF}&format=xlsx&part=missing"),
    )
    .await;
    assert_eq!(workbook(&response).0, ["missing"]);
}

/// Names a spreadsheet would run as a formula (`=`, `+`) come out as text: prefixed with `'`
/// in CSV, a plain string (no formula) in XLSX.
async fn formula_like_names_are_neutralised_in_csv_and_text_in_xlsx(app: TestApp) {
    seeded(&app).await;
    let admin = app.yasothon_admin();
    let peo = app.org_id("YST-PEO").await;
    let hostile_org = "=HYPERLINK(\"http://example.com\",\"พลังงาน\")";
    patch(
        &app,
        &admin,
        &format!("/api/v1/organizations/{peo}"),
        json!({"name_th": hostile_org}),
    )
    .await
    .assert_status(200);
    let base = format!("/api/v1/rounds/2/summary?as_of={DEMO_AS_OF}");
    let summary = get(&app, &admin, &base).await;
    let e1 = summary["indicators"]
        .as_array()
        .and_then(|items| items.iter().find(|i| i["indicator_code"] == "E.1"))
        .expect("E.1");
    let e1_id = e1["indicator_id"].as_i64().expect("id");
    let hostile_indicator = "+ร้อยละการลดใช้พลังงานไฟฟ้า";
    patch(
        &app,
        &admin,
        &format!("/api/v1/indicators/{e1_id}"),
        json!({"name": hostile_indicator}),
    )
    .await
    .assert_status(200);

    let rows = csv_rows(&fetch(&app, &admin, &format!("{base}&format=csv")).await);
    let row = rows.iter().find(|r| r[0] == "E.1").expect("E.1");
    assert_eq!(row[2], format!("'{hostile_indicator}"));
    let rows = csv_rows(
        &fetch(
            &app,
            &admin,
            &format!("{base}&format=csv&part=organizations"),
        )
        .await,
    );
    let row = rows.iter().find(|r| r[0] == "YST-PEO").expect("YST-PEO");
    assert_eq!(row[1], format!("'{hostile_org}"));
    let drill = format!("/api/v1/rounds/2/indicators/{e1_id}?as_of={DEMO_AS_OF}&format=csv");
    let rows = csv_rows(&fetch(&app, &admin, &drill).await);
    let row = rows.iter().find(|r| r[0] == "YST-PEO").expect("YST-PEO");
    assert_eq!(row[1], format!("'{hostile_org}"));

    let (_, sheets, formulas) =
        workbook(&fetch(&app, &admin, &format!("{base}&format=xlsx")).await);
    assert!(!formulas, "no cell is a formula");
    let row = sheets[0]
        .iter()
        .find(|r| r[0] == Data::String("E.1".into()))
        .expect("E.1");
    assert_eq!(row[2], Data::String(hostile_indicator.into()));
    let row = sheets[1]
        .iter()
        .find(|r| r[0] == Data::String("YST-PEO".into()))
        .expect("PEO");
    assert_eq!(row[1], Data::String(hostile_org.into()));
}

/// The summary is the province's: an agency officer downloads the same file as the admin.
async fn an_agency_officer_gets_the_province_s_summary_csv(app: TestApp) {
    seeded(&app).await;
    let officer = app.token("agency_officer", Some("YST-PEO"));
    for part in ["indicators", "organizations", "missing"] {
        let path = format!("/api/v1/rounds/1/summary?as_of={DEMO_AS_OF}&format=csv&part={part}");
        let own = fetch(&app, &officer, &path).await;
        let admin = fetch(&app, &app.yasothon_admin(), &path).await;
        assert_eq!(own.body, admin.body, "{part}");
        assert!(csv_rows(&own).len() > 1, "{part}");
    }
}

async fn an_unknown_format_or_a_part_without_a_table_format_is_a_400(app: TestApp) {
    seeded(&app).await;
    let admin = app.yasothon_admin();
    for (query, field) in [
        ("format=pdf", "format"),
        ("format=CSV", "format"),
        ("part=missing", "part"),
        ("format=json&part=indicators", "part"),
        ("format=csv&part=lagging", "part"),
    ] {
        let response = app
            .get(&format!("/api/v1/rounds/1/summary?{query}"))
            .bearer(&admin)
            .send()
            .await;
        response.assert_problem(400, "bad-request");
        assert_eq!(response.error_fields(), [field], "{query}");
    }
    for (query, field) in [
        ("format=xlsx", "format"),
        ("format=csv&part=missing", "part"),
    ] {
        let response = app
            .get(&format!("/api/v1/rounds/1/indicators/7?{query}"))
            .bearer(&admin)
            .send()
            .await;
        response.assert_problem(400, "bad-request");
        assert_eq!(response.error_fields(), [field], "{query}");
    }
    // A round that does not exist is still a 404 in any format.
    app.get("/api/v1/rounds/999/summary?format=xlsx")
        .bearer(&admin)
        .send()
        .await
        .assert_problem(404, "not-found");
}

/// Excel's dates run from 1900 to 9999, and the workbook is dated `as_of`: an `as_of` before
/// 1900 (schema-valid; scripts/fuzz sent 0815 and the service answered 500) still gives the
/// workbook, dated at Excel's first day; the same request gives the same bytes.
async fn a_workbook_as_of_a_date_excel_cannot_hold_is_still_written(app: TestApp) {
    seeded(&app).await;
    let admin = app.yasothon_admin();
    for as_of in ["0815-11-25T04:42:28Z", "1815-11-25T04:42:28Z"] {
        let path = format!("/api/v1/rounds/2/summary?as_of={as_of}&format=xlsx");
        let first = fetch(&app, &admin, &path).await;
        assert_eq!(first.header("content-type").as_deref(), Some(XLSX));
        let (names, _, _) = workbook(&first);
        assert_eq!(names, ["indicators", "organizations", "missing"]);
        assert_eq!(first.body, fetch(&app, &admin, &path).await.body);
    }
}
