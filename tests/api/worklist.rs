//! An agency's work list and an evaluation's overdue list: what is due, overdue and returned at
//! a chosen instant, the edge at the due instant exactly, scope, and the CSV for a mail merge.
//! The demo evaluation: FY 2565 over 2021-09 … 2022-09, deadline day 3; YST-PEO hosts the
//! monthly E.1 and E.2; YST-PO supervises them.

use serde_json::{json, Value};

use crate::both_engines;
use crate::fixtures::{
    create_evaluation, demo_evaluation, get, indicator_by_code, patch, post, sql,
};
use crate::submissions::report_target;
use crate::support::TestApp;

both_engines!(
    an_officer_s_work_list_at_a_chosen_instant,
    due_turns_overdue_at_the_due_instant_exactly,
    the_overdue_list_names_whom_to_chase,
    the_overdue_list_as_csv_for_a_mail_merge,
    who_reads_which_list,
    bad_parameters_are_named,
    a_regional_unit_reads_its_own_overdue_rows,
    a_draft_evaluation_has_nothing_overdue,
    looking_back_a_later_return_is_not_yet_made,
    a_leap_second_is_refused,
);

/// 00:00 on 2 March 2022 in Bangkok.
const MARCH_2: &str = "2022-03-01T17:00:00Z";

fn officer(app: &TestApp) -> String {
    app.token("agency_officer", Some("YST-PEO"))
}

/// Files a report as YST-PEO's officer; returns its id.
async fn file(app: &TestApp, indicator: i64, org: i64, period: &str, status: &str) -> i64 {
    let report = post(
        app,
        &officer(app),
        "/api/v1/submissions",
        json!({"indicator_id": indicator, "organization_id": org, "period": period,
               "value": 1000.0, "status": status}),
    )
    .await;
    report["id"].as_i64().expect("report id")
}

/// Sets a report's first submission behind the API's back (reports filed in a test are
/// submitted now, in 2026 or later).
fn first_submitted(app: &TestApp, id: i64, at: &str) {
    let statement = format!("UPDATE submissions SET first_submitted_at = '{at}' WHERE id = {id};");
    sql(app, &statement, &statement);
}

/// Sets a report's last change (its return, for a returned one) behind the API's back.
fn last_changed(app: &TestApp, id: i64, at: &str) {
    let statement = format!("UPDATE submissions SET updated_at = '{at}' WHERE id = {id};");
    sql(app, &statement, &statement);
}

async fn return_report(app: &TestApp, id: i64, comment: &str) {
    app.post(&format!("/api/v1/submissions/{id}/return"))
        .bearer(&app.token("supervisor", Some("YST-PO")))
        .json(&json!({ "comment": comment }))
        .send()
        .await
        .assert_status(200);
}

fn due_path(org: i64, as_of: &str) -> String {
    format!("/api/v1/organizations/{org}/due?as_of={as_of}")
}

/// (indicator code, period, state, days_left, days_late, next_action) of each item.
fn rows(list: &Value) -> Vec<(String, String, String, Value, Value, Value)> {
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            (
                i["indicator_code"].as_str().unwrap_or_default().to_owned(),
                i["period"].as_str().unwrap_or_default().to_owned(),
                i["state"].as_str().unwrap_or_default().to_owned(),
                i["days_left"].clone(),
                i["days_late"].clone(),
                i["next_action"].clone(),
            )
        })
        .collect()
}

fn row(
    code: &str,
    period: &str,
    state: &str,
    left: Value,
    late: Value,
    action: Value,
) -> (String, String, String, Value, Value, Value) {
    (code.into(), period.into(), state.into(), left, late, action)
}

/// At 00:00 on 2 March 2022 (Bangkok): E.1 of 2021-11 was received on time and leaves the
/// list; 2021-10 was first submitted only on 5 March, so it was still overdue then; 2021-12 was
/// returned on 5 January (59 days late: 3 January is day 1); 2022-01 is a draft (28 days late);
/// February is due with 1 day left (today, the 2nd, is the last day). E.2 has nothing but a
/// report for February returned on 28 February, listed before its due date.
async fn an_officer_s_work_list_at_a_chosen_instant(app: TestApp) {
    let (evaluation, e1, peo) = report_target(&app, "E.1", "YST-PEO").await;
    let e2 = indicator_by_code(&app, &app.yasothon_admin(), evaluation, "E.2").await["id"]
        .as_i64()
        .expect("E.2");
    let on_time = file(&app, e1, peo, "2021-11", "submitted").await;
    first_submitted(&app, on_time, "2021-12-01 03:00:00");
    let after = file(&app, e1, peo, "2021-10", "submitted").await;
    first_submitted(&app, after, "2022-03-05 03:00:00");
    let returned = file(&app, e1, peo, "2021-12", "submitted").await;
    first_submitted(&app, returned, "2021-12-30 03:00:00");
    return_report(&app, returned, "โปรดแนบใบแจ้งหนี้ค่าไฟฟ้าเดือนธันวาคม").await;
    last_changed(&app, returned, "2022-01-05 07:00:00");
    let draft = file(&app, e1, peo, "2022-01", "draft").await;
    let early = file(&app, e2, peo, "2022-02", "submitted").await;
    first_submitted(&app, early, "2022-02-25 03:00:00");
    return_report(&app, early, "ตัวเลขยังไม่ครบเดือน").await;
    last_changed(&app, early, "2022-02-28 03:00:00");

    let list = get(&app, &officer(&app), &due_path(peo, MARCH_2)).await;
    assert_eq!(list["organization_id"], peo);
    assert_eq!(list["organization_code"], "YST-PEO");
    assert_eq!(list["as_of"], MARCH_2);
    let create = json!("create");
    let n = Value::Null;
    assert_eq!(
        rows(&list),
        vec![
            row(
                "E.1",
                "2021-09",
                "overdue",
                n.clone(),
                json!(151),
                create.clone()
            ),
            row(
                "E.2",
                "2021-09",
                "overdue",
                n.clone(),
                json!(151),
                create.clone()
            ),
            row(
                "E.1",
                "2021-10",
                "overdue",
                n.clone(),
                json!(120),
                n.clone()
            ),
            row(
                "E.2",
                "2021-10",
                "overdue",
                n.clone(),
                json!(120),
                create.clone()
            ),
            row(
                "E.2",
                "2021-11",
                "overdue",
                n.clone(),
                json!(90),
                create.clone()
            ),
            row(
                "E.2",
                "2021-12",
                "overdue",
                n.clone(),
                json!(59),
                create.clone()
            ),
            row(
                "E.1",
                "2022-01",
                "overdue",
                n.clone(),
                json!(28),
                json!("submit")
            ),
            row(
                "E.2",
                "2022-01",
                "overdue",
                n.clone(),
                json!(28),
                create.clone()
            ),
            row(
                "E.1",
                "2021-12",
                "returned",
                n.clone(),
                json!(59),
                json!("fix")
            ),
            row(
                "E.2",
                "2022-02",
                "returned",
                n.clone(),
                n.clone(),
                json!("fix")
            ),
            row("E.1", "2022-02", "due", json!(1), n.clone(), create.clone()),
        ]
    );
    let items = list["items"].as_array().expect("items");
    let fix = &items[8];
    assert_eq!(fix["submission_id"], returned);
    assert_eq!(fix["submission_status"], "returned");
    assert_eq!(fix["review_comment"], "โปรดแนบใบแจ้งหนี้ค่าไฟฟ้าเดือนธันวาคม");
    assert_eq!(fix["period_label_th"], "ธ.ค. 2564");
    assert_eq!(fix["due_at"], "2022-01-02T17:00:00Z");
    assert_eq!(fix["evaluation_id"], evaluation);
    assert_eq!(fix["indicator_id"], e1);
    assert!(fix["indicator_name"]
        .as_str()
        .is_some_and(|n| !n.is_empty()));
    assert_eq!(items[6]["submission_id"], draft);
    assert_eq!(items[6]["submission_status"], "draft");
    assert_eq!(items[6]["review_comment"], Value::Null);
    assert_eq!(items[2]["submission_status"], "submitted");
    assert_eq!(items[0]["submission_id"], Value::Null);

    // Only one evaluation; another (or none of its) gives nothing.
    let one = get(
        &app,
        &officer(&app),
        &format!("{}&evaluation_id={evaluation}", due_path(peo, MARCH_2)),
    )
    .await;
    assert_eq!(one["items"], list["items"]);
    let other = get(
        &app,
        &officer(&app),
        &format!(
            "{}&evaluation_id={}",
            due_path(peo, MARCH_2),
            evaluation + 1000
        ),
    )
    .await;
    assert_eq!(other["items"], json!([]));
}

/// January 2022 is due from 00:00 on 1 February (Bangkok) and overdue from 00:00 on the 3rd
/// (2022-02-02T17:00:00Z) exactly, on both lists.
async fn due_turns_overdue_at_the_due_instant_exactly(app: TestApp) {
    let (evaluation, _, peo) = report_target(&app, "E.1", "YST-PEO").await;
    let january = |list: &Value| -> Vec<(String, String, Value, Value)> {
        list["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter(|i| i["period"] == "2022-01" && i["indicator_code"] == "E.1")
            .map(|i| {
                (
                    i["state"].as_str().unwrap_or_default().to_owned(),
                    i["due_at"].as_str().unwrap_or_default().to_owned(),
                    i["days_left"].clone(),
                    i["days_late"].clone(),
                )
            })
            .collect()
    };
    let at = |as_of: &'static str| {
        let app = &app;
        async move { get(app, &officer(app), &due_path(peo, as_of)).await }
    };
    let due = "2022-02-02T17:00:00Z".to_owned();
    assert_eq!(january(&at("2022-01-31T16:59:59.999999Z").await), vec![]);
    assert_eq!(
        january(&at("2022-01-31T17:00:00Z").await),
        vec![("due".into(), due.clone(), json!(2), Value::Null)]
    );
    assert_eq!(
        january(&at("2022-02-02T16:59:59.999999Z").await),
        vec![("due".into(), due.clone(), json!(1), Value::Null)]
    );
    assert_eq!(
        january(&at("2022-02-02T17:00:00Z").await),
        vec![("overdue".into(), due.clone(), Value::Null, json!(1))]
    );
    let overdue = |as_of: &str| {
        format!("/api/v1/evaluations/{evaluation}/overdue?period=2022-01&as_of={as_of}")
    };
    let before = get(
        &app,
        &app.yasothon_admin(),
        &overdue("2022-02-02T16:59:59.999999Z"),
    )
    .await;
    assert_eq!(before["items"], json!([]));
    let after = get(
        &app,
        &app.yasothon_admin(),
        &overdue("2022-02-02T17:00:00Z"),
    )
    .await;
    assert_eq!(after["period"], "2022-01");
    let items = after["items"].as_array().expect("items");
    // Every monthly reporter of January: E.1 and E.2, six agencies each, and YST-PHO's 1.2.
    assert_eq!(items.len(), 13);
    assert!(items
        .iter()
        .all(|i| i["days_late"] == 1 && i["due_at"] == due));
}

/// The supervisor's view: every reporting pair past due without a counted report, sorted by
/// organization, indicator and period, with the contact; a report on time leaves the list, a
/// draft stays with its status.
async fn the_overdue_list_names_whom_to_chase(app: TestApp) {
    let (evaluation, e1, peo) = report_target(&app, "E.1", "YST-PEO").await;
    let on_time = file(&app, e1, peo, "2021-12", "submitted").await;
    first_submitted(&app, on_time, "2022-01-02 03:00:00");
    let draft = file(&app, e1, peo, "2022-01", "draft").await;
    set_contact(
        &app,
        evaluation,
        "E.1",
        "YST-PEO",
        json!({"contact_name": "นางสาวสมหญิง รักดี", "contact_position": "นักวิเคราะห์นโยบายและแผน",
               "contact_phone": "045-712233", "contact_email": "peo@example.go.th"}),
    )
    .await;
    let list = get(
        &app,
        &app.token("supervisor", Some("YST-PO")),
        &format!("/api/v1/evaluations/{evaluation}/overdue?as_of={MARCH_2}"),
    )
    .await;
    assert_eq!(list["evaluation_id"], evaluation);
    assert_eq!(list["as_of"], MARCH_2);
    assert_eq!(list["period"], Value::Null);
    let items = list["items"].as_array().expect("items");
    let keys: Vec<(String, String, String)> = items
        .iter()
        .map(|i| {
            (
                i["organization_code"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                i["indicator_code"].as_str().unwrap_or_default().to_owned(),
                i["period"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "by organization code, indicator code, period");
    let peo_e1: Vec<&Value> = items
        .iter()
        .filter(|i| i["organization_code"] == "YST-PEO" && i["indicator_code"] == "E.1")
        .collect();
    let periods: Vec<&str> = peo_e1.iter().filter_map(|i| i["period"].as_str()).collect();
    // Sep, Oct, Nov missing; Dec received on time; Jan a draft; Feb not yet due.
    assert_eq!(periods, ["2021-09", "2021-10", "2021-11", "2022-01"]);
    let january = peo_e1[3];
    assert_eq!(january["submission_id"], draft);
    assert_eq!(january["submission_status"], "draft");
    assert_eq!(january["contact_name"], "นางสาวสมหญิง รักดี");
    assert_eq!(january["contact_position"], "นักวิเคราะห์นโยบายและแผน");
    assert_eq!(january["contact_phone"], "045-712233");
    assert_eq!(january["contact_email"], "peo@example.go.th");
    assert_eq!(
        january["organization_name_th"],
        peo_name(&app, peo).await.as_str()
    );
    assert_eq!(january["organization_id"], peo);
    assert_eq!(january["period_label_th"], "ม.ค. 2565");
    assert_eq!(january["days_late"], 28);
    assert_eq!(peo_e1[0]["submission_id"], Value::Null);
    // Quarterly 1.1 of December (hosted by RD-RET and YST-AGRI) is there; its March is not due.
    assert!(items
        .iter()
        .any(|i| i["indicator_code"] == "1.1" && i["period"] == "2021-12"));
    assert!(!items
        .iter()
        .any(|i| i["period"] == "2022-02" || i["period"] == "2022-03"));
    // Supervisors never report: YST-PO has no row of E.1.
    assert!(!items
        .iter()
        .any(|i| i["organization_code"] == "YST-PO" && i["indicator_code"] == "E.1"));
}

async fn peo_name(app: &TestApp, peo: i64) -> String {
    get(app, &app.admin(), &format!("/api/v1/organizations/{peo}")).await["name_th"]
        .as_str()
        .expect("name")
        .to_owned()
}

/// Sets the contact of `org`'s assignment on indicator `code`.
async fn set_contact(app: &TestApp, evaluation: i64, code: &str, org: &str, contact: Value) {
    let admin = app.yasothon_admin();
    let indicator = indicator_by_code(app, &admin, evaluation, code).await["id"]
        .as_i64()
        .expect("indicator");
    let assignments = get(
        app,
        &admin,
        &format!("/api/v1/indicators/{indicator}/assignments?limit=500"),
    )
    .await;
    let assignment = assignments["items"]
        .as_array()
        .and_then(|items| items.iter().find(|a| a["organization_code"] == org))
        .cloned()
        .expect("assignment");
    let path = format!("/api/v1/assignments/{}", assignment["id"]);
    let etag = app
        .get(&path)
        .bearer(&admin)
        .send()
        .await
        .header("etag")
        .expect("etag");
    app.patch(&path)
        .bearer(&admin)
        .header("If-Match", &etag)
        .json(&contact)
        .send()
        .await
        .assert_status(200);
}

/// The CSV a provincial office opens in Excel: BOM, Thai headers, CRLF, quoting, and a cell
/// that a spreadsheet would run as a formula neutralised.
async fn the_overdue_list_as_csv_for_a_mail_merge(app: TestApp) {
    let (evaluation, _, _) = report_target(&app, "E.1", "YST-PEO").await;
    set_contact(
        &app,
        evaluation,
        "E.1",
        "YST-PEO",
        json!({"contact_name": "สมหญิง รักดี, หัวหน้ากลุ่ม", "contact_position": "=1+1",
               "contact_phone": "+66 45 712 233", "contact_email": "peo@example.go.th"}),
    )
    .await;
    let path = format!(
        "/api/v1/evaluations/{evaluation}/overdue?period=2022-01&as_of={MARCH_2}&format=csv"
    );
    let response = app.get(&path).bearer(&app.yasothon_admin()).send().await;
    response.assert_status(200);
    assert_eq!(
        response.header("content-type").as_deref(),
        Some("text/csv; charset=utf-8")
    );
    assert_eq!(
        response.header("content-disposition"),
        Some(format!(
            "attachment; filename=\"overdue-{evaluation}-2022-03-02.csv\""
        ))
    );
    let body = std::str::from_utf8(&response.body).expect("UTF-8");
    let text = body
        .strip_prefix('\u{feff}')
        .expect("a byte order mark first");
    assert!(text.ends_with("\r\n"));
    assert!(
        !text.replace("\r\n", "").contains('\n'),
        "every line ends with CRLF"
    );
    let lines: Vec<&str> = text.trim_end_matches("\r\n").split("\r\n").collect();
    assert_eq!(
        lines[0],
        "หน่วยงาน,รหัสหน่วยงาน,ตัวชี้วัด,ชื่อตัวชี้วัด,เดือน,กำหนดส่ง (เวลาไทย),ล่าช้า (วัน),สถานะรายงาน,ผู้ประสานงาน,ตำแหน่ง,โทรศัพท์,อีเมล"
    );
    // The same rows as the JSON list.
    let json = get(
        &app,
        &app.yasothon_admin(),
        &format!("/api/v1/evaluations/{evaluation}/overdue?period=2022-01&as_of={MARCH_2}"),
    )
    .await;
    assert_eq!(
        lines.len(),
        json["items"].as_array().expect("items").len() + 1
    );
    let peo = lines
        .iter()
        .find(|l| l.contains(",YST-PEO,E.1,"))
        .expect("YST-PEO's E.1 row");
    let name = peo_name(&app, app.org_id("YST-PEO").await).await;
    assert!(peo.starts_with(&format!("{name},YST-PEO,E.1,")), "{peo}");
    assert!(
        peo.ends_with(
            ",ม.ค. 2565,2022-02-03 00:00,28,ยังไม่มีรายงาน,\"สมหญิง รักดี, หัวหน้ากลุ่ม\",'=1+1,'+66 45 712 233,peo@example.go.th"
        ),
        "{peo}"
    );
    // An empty list is the header alone.
    let empty = app
        .get(&format!(
            "/api/v1/evaluations/{evaluation}/overdue?period=2022-02&as_of={MARCH_2}&format=csv"
        ))
        .bearer(&app.yasothon_admin())
        .send()
        .await;
    empty.assert_status(200);
    assert_eq!(
        std::str::from_utf8(&empty.body).expect("UTF-8"),
        format!("\u{feff}{}\r\n", lines[0])
    );
}

/// An officer reads its own work list (403 for another agency it can see, 404 for one in
/// another province) and only its own rows of the overdue list; the province's other roles
/// read any; another province sees neither.
async fn who_reads_which_list(app: TestApp) {
    let (evaluation, _, peo) = report_target(&app, "E.1", "YST-PEO").await;
    let pho = app.org_id("YST-PHO").await;
    let spk = app.org_id("SPK-PO").await;
    let officer = officer(&app);
    app.get(&due_path(peo, MARCH_2))
        .bearer(&officer)
        .send()
        .await
        .assert_status(200);
    app.get(&due_path(pho, MARCH_2))
        .bearer(&officer)
        .send()
        .await
        .assert_problem(403, "forbidden");
    app.get(&due_path(spk, MARCH_2))
        .bearer(&officer)
        .send()
        .await
        .assert_problem(404, "not-found");
    app.get(&due_path(999_999, MARCH_2))
        .bearer(&officer)
        .send()
        .await
        .assert_problem(404, "not-found");
    for token in [
        app.yasothon_admin(),
        app.admin(),
        app.token("supervisor", Some("YST-PO")),
        app.token("viewer", Some("YST-PO")),
        app.token("integration", Some("YST-PO")),
    ] {
        let list = get(&app, &token, &due_path(pho, MARCH_2)).await;
        // YST-PHO hosts monthly 1.2, E.1 and E.2: all three are overdue for January.
        assert!(list["items"]
            .as_array()
            .is_some_and(|items| items.iter().any(|i| i["indicator_code"] == "1.2")));
    }
    let elsewhere = app.token("province_admin", Some("SPK-PO"));
    app.get(&due_path(peo, MARCH_2))
        .bearer(&elsewhere)
        .send()
        .await
        .assert_problem(404, "not-found");

    let overdue = format!("/api/v1/evaluations/{evaluation}/overdue?as_of={MARCH_2}");
    let own = get(&app, &officer, &overdue).await;
    let own = own["items"].as_array().expect("items");
    assert!(!own.is_empty());
    assert!(own.iter().all(|i| i["organization_code"] == "YST-PEO"));
    let all = get(&app, &app.token("viewer", Some("YST-PO")), &overdue).await;
    assert!(all["items"]
        .as_array()
        .is_some_and(|items| items.iter().any(|i| i["organization_code"] == "YST-PHO")));
    app.get(&overdue)
        .bearer(&elsewhere)
        .send()
        .await
        .assert_problem(404, "not-found");
    app.get(&format!(
        "/api/v1/evaluations/{}/overdue",
        evaluation + 1000
    ))
    .bearer(&app.admin())
    .send()
    .await
    .assert_problem(404, "not-found");
}

/// A period outside the span is a 422 naming `period` (nothing is clipped); an unreadable
/// `as_of`, `period` or `format` a 400 naming it.
async fn bad_parameters_are_named(app: TestApp) {
    let (evaluation, _, peo) = report_target(&app, "E.1", "YST-PEO").await;
    let admin = app.yasothon_admin();
    let overdue = format!("/api/v1/evaluations/{evaluation}/overdue");
    for outside in ["2021-08", "2022-10"] {
        let response = app
            .get(&format!("{overdue}?period={outside}"))
            .bearer(&admin)
            .send()
            .await;
        response.assert_problem(422, "validation");
        assert_eq!(response.error_fields(), ["period"]);
    }
    for (query, field) in [
        ("as_of=yesterday", "as_of"),
        ("as_of=2022-03-01", "as_of"),
        // An unencoded `+` reads as a space.
        ("as_of=2022-03-02T00:00:00+07:00", "as_of"),
        ("period=2022-13", "period"),
        ("format=xlsx", "format"),
        ("format=CSV", "format"),
    ] {
        let response = app
            .get(&format!("{overdue}?{query}"))
            .bearer(&admin)
            .send()
            .await;
        response.assert_problem(400, "bad-request");
        assert_eq!(response.error_fields(), [field], "{query}");
    }
    // With the `+` encoded, the Bangkok offset is read.
    let encoded = get(
        &app,
        &admin,
        &format!("{overdue}?as_of=2022-03-02T00:00:00%2B07:00"),
    )
    .await;
    assert_eq!(encoded["as_of"], MARCH_2);
    // Without `as_of`: now, to the microsecond.
    let now = get(&app, &admin, &format!("/api/v1/organizations/{peo}/due")).await;
    let now = now["as_of"].as_str().expect("as_of").to_owned();
    let fraction = now.split('.').nth(1).unwrap_or("Z");
    assert!(fraction.len() <= 7 && now.ends_with('Z'), "{now}");
    for query in ["as_of=nope", "evaluation_id=x"] {
        let response = app
            .get(&format!("/api/v1/organizations/{peo}/due?{query}"))
            .bearer(&admin)
            .send()
            .await;
        response.assert_problem(400, "bad-request");
        assert_eq!(
            response.error_fields(),
            [query.split('=').next().unwrap_or_default()]
        );
    }
}

/// Roi Et's rice research centre (RD-RET, no province above it) hosts Yasothon's 1.1: its
/// officer reads the evaluation's overdue list, its own rows only (quarterly 1.1 of December,
/// due 3 January, 59 days late at 00:00 on 2 March); so does any of its people; an evaluation
/// it is not assigned in stays a 404.
async fn a_regional_unit_reads_its_own_overdue_rows(app: TestApp) {
    let (evaluation, _, _) = report_target(&app, "1.1", "RD-RET").await;
    let overdue = format!("/api/v1/evaluations/{evaluation}/overdue?as_of={MARCH_2}");
    for role in ["agency_officer", "viewer"] {
        let token = app.token(role, Some("RD-RET"));
        let list = get(&app, &token, &overdue).await;
        let items = list["items"].as_array().expect("items");
        let keys: Vec<(&str, &str, &str, i64)> = items
            .iter()
            .map(|i| {
                (
                    i["organization_code"].as_str().unwrap_or_default(),
                    i["indicator_code"].as_str().unwrap_or_default(),
                    i["period"].as_str().unwrap_or_default(),
                    i["days_late"].as_i64().unwrap_or_default(),
                )
            })
            .collect();
        assert_eq!(keys, [("RD-RET", "1.1", "2021-12", 59)], "{role}");
        let csv = app
            .get(&format!("{overdue}&format=csv"))
            .bearer(&token)
            .send()
            .await;
        csv.assert_status(200);
        let text = std::str::from_utf8(&csv.body).expect("UTF-8");
        assert_eq!(
            text.matches("\r\n").count(),
            2,
            "{role}: the header and its row"
        );
    }
    // The officer's own work list says the same.
    let rice = app.org_id("RD-RET").await;
    let officer = app.token("agency_officer", Some("RD-RET"));
    let work = get(&app, &officer, &due_path(rice, MARCH_2)).await;
    assert_eq!(
        rows(&work),
        vec![row(
            "1.1",
            "2021-12",
            "overdue",
            Value::Null,
            json!(59),
            json!("create")
        )]
    );
    // An evaluation of Yasothon it has no assignment in.
    let other = create_evaluation(&app, &app.yasothon_admin(), 2566, None).await;
    app.get(&format!("/api/v1/evaluations/{other}/overdue"))
        .bearer(&officer)
        .send()
        .await
        .assert_problem(404, "not-found");
}

/// A draft evaluation expects nothing (no report can be filed into it): its overdue list is
/// empty at any instant; active, and then closed, it lists what is missing.
async fn a_draft_evaluation_has_nothing_overdue(app: TestApp) {
    let admin = app.yasothon_admin();
    let evaluation = demo_evaluation(&app, &admin, Some(("2021-09", "2022-09"))).await;
    let overdue = format!("/api/v1/evaluations/{evaluation}/overdue?as_of={MARCH_2}");
    let draft = get(&app, &admin, &overdue).await;
    assert_eq!(draft["items"], json!([]));
    let far = get(
        &app,
        &admin,
        &format!("/api/v1/evaluations/{evaluation}/overdue?as_of=2030-01-01T00:00:00Z"),
    )
    .await;
    assert_eq!(far["items"], json!([]));
    // Its span still bounds `period`.
    app.get(&format!("{overdue}&period=2022-10"))
        .bearer(&admin)
        .send()
        .await
        .assert_problem(422, "validation");
    let path = format!("/api/v1/evaluations/{evaluation}");
    for status in ["active", "closed"] {
        patch(&app, &admin, &path, json!({"status": status}))
            .await
            .assert_status(200);
        let list = get(&app, &admin, &overdue).await;
        let items = list["items"].as_array().expect("items");
        // January: every monthly reporter (E.1 and E.2, six agencies each, and YST-PHO's 1.2).
        assert_eq!(
            items.iter().filter(|i| i["period"] == "2022-01").count(),
            13,
            "{status}"
        );
    }
}

/// Looking back, a return that happened after `as_of` is not yet made: E.1 of December 2021,
/// submitted on 30 December and returned (today, as the test runs), is overdue at 00:00 on
/// 2 March 2022, with no comment; once its return is dated 5 January it is `returned` from
/// that instant on. E.2 of June 2022, filed and returned early (on 20 and 21 June, before its
/// month ended), is not listed until the month ends.
async fn looking_back_a_later_return_is_not_yet_made(app: TestApp) {
    let (evaluation, e1, peo) = report_target(&app, "E.1", "YST-PEO").await;
    let e2 = indicator_by_code(&app, &app.yasothon_admin(), evaluation, "E.2").await["id"]
        .as_i64()
        .expect("E.2");
    let december = file(&app, e1, peo, "2021-12", "submitted").await;
    first_submitted(&app, december, "2021-12-30 03:00:00");
    return_report(&app, december, "โปรดแนบใบแจ้งหนี้ค่าไฟฟ้าเดือนธันวาคม").await;
    let item = |list: &Value, code: &str, period: &str| -> Option<Value> {
        list["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|i| i["indicator_code"] == code && i["period"] == period)
            .cloned()
    };
    let then = get(&app, &officer(&app), &due_path(peo, MARCH_2)).await;
    let seen = item(&then, "E.1", "2021-12").expect("December");
    assert_eq!(seen["state"], "overdue");
    assert_eq!(seen["days_late"], 59);
    assert_eq!(seen["submission_status"], "returned");
    assert_eq!(seen["review_comment"], Value::Null);
    // Today it is returned, with its comment.
    let now = get(
        &app,
        &officer(&app),
        &format!("/api/v1/organizations/{peo}/due"),
    )
    .await;
    let today = item(&now, "E.1", "2021-12").expect("December today");
    assert_eq!(today["state"], "returned");
    assert_eq!(today["review_comment"], "โปรดแนบใบแจ้งหนี้ค่าไฟฟ้าเดือนธันวาคม");
    // Returned at 14:00 on 5 January (Bangkok): returned from that instant exactly.
    last_changed(&app, december, "2022-01-05 07:00:00");
    let before = get(&app, &officer(&app), &due_path(peo, "2022-01-05T06:59:59Z")).await;
    assert_eq!(
        item(&before, "E.1", "2021-12").expect("Dec")["state"],
        "overdue"
    );
    let at = get(&app, &officer(&app), &due_path(peo, "2022-01-05T07:00:00Z")).await;
    let returned = item(&at, "E.1", "2021-12").expect("Dec");
    assert_eq!(returned["state"], "returned");
    assert_eq!(returned["next_action"], "fix");
    assert_eq!(returned["review_comment"], "โปรดแนบใบแจ้งหนี้ค่าไฟฟ้าเดือนธันวาคม");
    // Filed and returned before its month ended: not on the list until the month ends.
    let june = file(&app, e2, peo, "2022-06", "submitted").await;
    first_submitted(&app, june, "2022-06-20 03:00:00");
    return_report(&app, june, "ตัวเลขยังไม่ครบเดือน").await;
    last_changed(&app, june, "2022-06-21 03:00:00");
    for (as_of, listed) in [
        ("2022-03-01T17:00:00Z", None),
        ("2022-06-25T00:00:00Z", None),
        ("2022-06-30T17:00:00Z", Some("returned")),
    ] {
        let list = get(&app, &officer(&app), &due_path(peo, as_of)).await;
        assert_eq!(
            item(&list, "E.2", "2022-06").map(|i| i["state"].clone()),
            listed.map(|s| json!(s)),
            "{as_of}"
        );
    }
}

/// A leap second (`…:60Z`) is refused with a 400 naming `as_of`, on both lists: echoed back,
/// JavaScript and Python could not read it.
async fn a_leap_second_is_refused(app: TestApp) {
    let (evaluation, _, peo) = report_target(&app, "E.1", "YST-PEO").await;
    let admin = app.yasothon_admin();
    for path in [
        format!("/api/v1/evaluations/{evaluation}/overdue"),
        format!("/api/v1/organizations/{peo}/due"),
    ] {
        for leap in ["2022-08-10T03:00:60Z", "2016-12-31T23:59:60.5Z"] {
            let response = app
                .get(&format!("{path}?as_of={leap}"))
                .bearer(&admin)
                .send()
                .await;
            response.assert_problem(400, "bad-request");
            assert_eq!(response.error_fields(), ["as_of"], "{path}?as_of={leap}");
        }
        // The second before is fine.
        get(
            &app,
            &admin,
            &format!("{path}?as_of=2022-08-10T03:00:59.999999Z"),
        )
        .await;
    }
}
