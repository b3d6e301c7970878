//! Evaluations, components, indicators, assignments and the framework document.

use serde_json::{json, Value};

use crate::both_engines;
use crate::support::{TestApp, TestResponse};

both_engines!(
    seed_002_framework_is_built_exported_and_copied_to_another_year,
    invalid_criteria_are_refused_with_paths_and_nothing_is_stored,
    activation_lists_every_problem_at_once,
    assignment_to_another_province_is_refused,
    active_evaluation_freezes_structure_but_not_targets,
    closed_evaluation_is_read_only,
    framework_import_lists_every_error_and_keeps_the_old_one,
    organization_assignments_answer_what_an_agency_must_report,
    indicator_search_and_filters,
    organization_in_use_by_an_assignment_cannot_be_deleted,
    evaluation_fields_are_checked,
);

async fn evaluation_fields_are_checked(app: TestApp) {
    let token = app.yasothon_admin();
    let province = app.org_id("TH-35").await;
    let agency = app.org_id("YST-PEO").await;
    for (body, fields) in [
        (
            json!({"province_id": province, "fiscal_year": i32::MIN, "title": "x"}),
            vec!["fiscal_year"],
        ),
        (
            json!({"province_id": province, "fiscal_year": 2022, "title": "x"}),
            vec!["fiscal_year"],
        ),
        (
            json!({"province_id": agency, "fiscal_year": 2565, "title": " "}),
            vec!["province_id", "title"],
        ),
        (
            json!({"province_id": province, "fiscal_year": 2565, "title": "x", "deadline_day": 0, "reporting_start": "2022-10"}),
            vec!["deadline_day", "reporting_end"],
        ),
    ] {
        let response = app
            .post("/api/v1/evaluations")
            .bearer(&token)
            .json(&body)
            .send()
            .await;
        response.assert_problem(422, "validation");
        assert_eq!(response.error_fields(), fields, "{body}");
    }
    let bad_period = app.post("/api/v1/evaluations").bearer(&token).json(&json!({"province_id": province, "fiscal_year": 2565, "title": "x", "reporting_start": "2021-13"})).send().await;
    bad_period.assert_problem(400, "bad-request");
    assert_eq!(bad_period.error_fields(), vec!["reporting_start"]);
    let listed = app
        .get("/api/v1/evaluations")
        .bearer(&token)
        .send()
        .await
        .json();
    assert_eq!(listed["items"], json!([]), "nothing stored");
}

async fn organization_in_use_by_an_assignment_cannot_be_deleted(app: TestApp) {
    let admin = app.admin();
    let province = app.org_id("TH-35").await;
    let org = post(&app, &admin, "/api/v1/organizations", json!({"code": "YST-LAND", "name_th": "สำนักงานที่ดินจังหวัดยโสธร", "kind": "agency", "parent_id": province})).await;
    let evaluation = create_evaluation(&app, &admin, 2565, None).await;
    let c = post(
        &app,
        &admin,
        &format!("/api/v1/evaluations/{evaluation}/components"),
        json!({"code": "1", "name": "Performance Base", "weight": 100}),
    )
    .await;
    let indicator = post(&app, &admin, "/api/v1/indicators", json!({"evaluation_id": evaluation, "component_id": c["id"], "code": "1.1", "name": "ที่ดิน", "criteria": three_level(1.0, 2.0, 3.0)})).await;
    post(
        &app,
        &admin,
        &format!("/api/v1/indicators/{}/assignments", indicator["id"]),
        json!({"organization_id": org["id"], "role": "host"}),
    )
    .await;
    let refused = app
        .delete(&format!("/api/v1/organizations/{}", org["id"]))
        .bearer(&admin)
        .send()
        .await;
    refused.assert_problem(409, "referenced");
    app.get(&format!("/api/v1/organizations/{}", org["id"]))
        .bearer(&admin)
        .send()
        .await
        .assert_status(200);
    // Deleting the indicator (a draft) takes its assignments along; then the organization goes.
    app.delete(&format!("/api/v1/indicators/{}", indicator["id"]))
        .bearer(&admin)
        .send()
        .await
        .assert_status(204);
    app.delete(&format!("/api/v1/organizations/{}", org["id"]))
        .bearer(&admin)
        .send()
        .await
        .assert_status(204);
}

pub async fn create_evaluation(
    app: &TestApp,
    token: &str,
    fiscal_year: i32,
    span: Option<(&str, &str)>,
) -> i64 {
    let province = app.org_id("TH-35").await;
    let mut body = json!({"province_id": province, "fiscal_year": fiscal_year, "title": format!("การประเมินส่วนราชการ จังหวัดยโสธร ปีงบประมาณ พ.ศ. {fiscal_year}")});
    if let Some((start, end)) = span {
        body["reporting_start"] = json!(start);
        body["reporting_end"] = json!(end);
    }
    let response = app
        .post("/api/v1/evaluations")
        .bearer(token)
        .json(&body)
        .send()
        .await;
    response.assert_status(201);
    assert_eq!(response.json()["status"], "draft");
    response.json()["id"].as_i64().expect("id")
}

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> Value {
    let response = app.post(path).bearer(token).json(&body).send().await;
    response.assert_status(201);
    response.json()
}

async fn patch(app: &TestApp, token: &str, path: &str, body: Value) -> TestResponse {
    app.patch(path)
        .bearer(token)
        .header("If-Match", "*")
        .json(&body)
        .send()
        .await
}

fn three_level(a: f64, b: f64, c: f64) -> Value {
    json!([{"value": a, "score": 50}, {"value": b, "score": 75}, {"value": c, "score": 100}])
}

/// Seed 002 through the API alone: Yasothon FY 2565, Performance Base 70 %, Potential Base 30 %.
async fn build_seed_002(app: &TestApp, token: &str, evaluation: i64) {
    let c1 = post(app, token, &format!("/api/v1/evaluations/{evaluation}/components"),
        json!({"code": "1", "name": "การประเมินประสิทธิผลการดำเนินงาน (Performance Base)", "weight": 70})).await;
    let c2 = post(
        app,
        token,
        &format!("/api/v1/evaluations/{evaluation}/components"),
        json!({"code": "2", "name": "การประเมินศักยภาพในการดำเนินงาน (Potential Base)", "weight": 30}),
    )
    .await;
    let indicators = [
        (
            &c1,
            "1.1",
            "ผลการดำเนินงานตามแนวทางส่งเสริมเกษตรแปลงใหญ่ (ข้าว)",
            "quarterly",
            three_level(60.0, 70.0, 80.0),
            vec!["RD-RET", "YST-AGRI"],
        ),
        (
            &c1,
            "1.2",
            "อัตราป่วยตายจากโรคติดเชื้อไวรัสโคโรนา (COVID-19) ของจังหวัด ปีงบประมาณ พ.ศ.2565",
            "monthly",
            three_level(1.5, 1.0, 0.5),
            vec!["YST-PHO"],
        ),
        (
            &c1,
            "1.3",
            "ร้อยละที่เพิ่มขึ้นของแรงงานนอกระบบที่อยู่ภายใต้ประกันสังคม (ผู้ประกันตนตามมาตรา 40)",
            "quarterly",
            three_level(3.0, 5.0, 7.0),
            vec!["YST-SSO"],
        ),
        (
            &c1,
            "1.4",
            "ร้อยละของปริมาณขยะมูลฝอยชุมชนได้รับการจัดการอย่างถูกต้อง",
            "semiannual",
            three_level(70.0, 80.0, 90.0),
            vec!["YST-DLA", "YST-NRE"],
        ),
        (
            &c2,
            "2.1",
            "การให้บริการประชาชนด้วยระบบอิเล็กทรอนิกส์ (e-Service)",
            "quarterly",
            three_level(60.0, 80.0, 100.0),
            vec![
                "YST-PO-DD",
                "YST-D01",
                "YST-D02",
                "YST-D03",
                "YST-D04",
                "YST-D05",
                "YST-D06",
                "YST-D07",
                "YST-D08",
                "YST-D09",
            ],
        ),
        (
            &c2,
            "2.2",
            "การประเมินสถานะของหน่วยงานในการเป็นระบบราชการ 4.0 (PMQA 4.0)",
            "annual",
            three_level(300.0, 350.0, 400.0),
            vec!["YST-PO-HR"],
        ),
    ];
    let supervisor = app.org_id("YST-PO").await;
    for (component, code, name, frequency, criteria, hosts) in indicators {
        let indicator = post(app, token, "/api/v1/indicators", json!({
            "evaluation_id": evaluation, "component_id": component["id"], "code": code, "name": name,
            "unit": "ร้อยละ", "frequency": frequency, "criteria": criteria, "target": criteria[1]["value"],
        })).await;
        assert_eq!(indicator["max_score"], 100.0);
        let path = format!("/api/v1/indicators/{}/assignments", indicator["id"]);
        for host in hosts {
            let org = app.org_id(host).await;
            post(app, token, &path, json!({"organization_id": org, "role": "host", "contact_name": "ผู้ประสานงาน", "contact_phone": "045-712233"})).await;
        }
        post(
            app,
            token,
            &path,
            json!({"organization_id": supervisor, "role": "supervisor"}),
        )
        .await;
    }
}

async fn seed_002_framework_is_built_exported_and_copied_to_another_year(app: TestApp) {
    let token = app.yasothon_admin();
    let fy2565 = create_evaluation(&app, &token, 2565, Some(("2021-09", "2022-09"))).await;
    build_seed_002(&app, &token, fy2565).await;
    let exported = app
        .get(&format!("/api/v1/evaluations/{fy2565}/framework"))
        .bearer(&token)
        .send()
        .await;
    exported.assert_status(200);
    let document = exported.json();
    assert_eq!(document["components"][0]["weight"], 70.0);
    assert_eq!(
        document["components"][0]["indicators"][0]["assignments"][0]["organization_code"], "RD-RET",
        "a regional unit with no province"
    );
    assert_eq!(
        document["components"][1]["indicators"][0]["assignments"]
            .as_array()
            .map(Vec::len),
        Some(11),
        "every district"
    );

    // The framework activates as built.
    let activated = patch(
        &app,
        &token,
        &format!("/api/v1/evaluations/{fy2565}"),
        json!({"status": "active"}),
    )
    .await;
    activated.assert_status(200);
    assert_eq!(activated.json()["status"], "active");

    // Copying last year's framework into a new fiscal year is GET then PUT.
    let fy2566 = create_evaluation(&app, &token, 2566, None).await;
    let imported = app
        .request(
            actix_web::http::Method::PUT,
            &format!("/api/v1/evaluations/{fy2566}/framework"),
        )
        .bearer(&token)
        .json(&document)
        .send()
        .await;
    imported.assert_status(200);
    assert_eq!(imported.json(), document);
    let again = app
        .get(&format!("/api/v1/evaluations/{fy2566}/framework"))
        .bearer(&token)
        .send()
        .await
        .json();
    assert_eq!(again, document, "identical after the round trip");
    let copy = app
        .get(&format!("/api/v1/evaluations/{fy2566}"))
        .bearer(&token)
        .send()
        .await
        .json();
    assert_eq!(
        (
            copy["reporting_start"].clone(),
            copy["reporting_end"].clone()
        ),
        (json!("2022-10"), json!("2023-09")),
        "default span Oct … Sep"
    );
    let audit = app
        .get(&format!(
            "/api/v1/audit-events?entity_type=evaluation&entity_id={fy2566}"
        ))
        .bearer(&token)
        .send()
        .await
        .json();
    assert!(audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .any(|e| e["action"] == "import_framework"));
}

async fn invalid_criteria_are_refused_with_paths_and_nothing_is_stored(app: TestApp) {
    let token = app.yasothon_admin();
    let evaluation = create_evaluation(&app, &token, 2565, None).await;
    let component = post(
        &app,
        &token,
        &format!("/api/v1/evaluations/{evaluation}/components"),
        json!({"code": "1", "name": "Performance Base", "weight": 70}),
    )
    .await;
    let cases = [
        (json!([{"value": 60, "score": 50}]), vec!["criteria"]),
        (
            json!([{"value": 60, "score": 50}, {"value": 60, "score": 75}]),
            vec!["criteria[1].value"],
        ),
        (
            json!([{"value": 60, "score": 50}, {"value": 70, "score": 40}, {"value": 65, "score": 100}]),
            vec!["criteria[1].score", "criteria[2].value"],
        ),
    ];
    for (criteria, fields) in cases {
        let response = app.post("/api/v1/indicators").bearer(&token).json(&json!({
            "evaluation_id": evaluation, "component_id": component["id"], "code": "1.1", "name": "ทดสอบ", "criteria": criteria,
        })).send().await;
        response.assert_problem(422, "validation");
        assert_eq!(response.error_fields(), fields);
    }
    let weight = app.post("/api/v1/indicators").bearer(&token).json(&json!({
        "evaluation_id": evaluation, "component_id": component["id"], "code": "", "name": "", "weight": 0,
        "score_basis": "reduction_from_baseline", "baseline": 0, "criteria": three_level(1.0, 2.0, 3.0),
    })).send().await;
    weight.assert_problem(422, "validation");
    assert_eq!(
        weight.error_fields(),
        vec!["code", "name", "weight", "baseline"]
    );
    let bad_component = app
        .post(&format!("/api/v1/evaluations/{evaluation}/components"))
        .bearer(&token)
        .json(&json!({"code": "2", "name": "x", "weight": 0}))
        .send()
        .await;
    assert_eq!(bad_component.error_fields(), vec!["weight"]);
    let listed = app
        .get(&format!("/api/v1/indicators?evaluation_id={evaluation}"))
        .bearer(&token)
        .send()
        .await
        .json();
    assert_eq!(listed["items"], json!([]), "nothing stored");
}

async fn activation_lists_every_problem_at_once(app: TestApp) {
    let token = app.yasothon_admin();
    let evaluation = create_evaluation(&app, &token, 2565, None).await;
    let c1 = post(
        &app,
        &token,
        &format!("/api/v1/evaluations/{evaluation}/components"),
        json!({"code": "1", "name": "Performance Base", "weight": 70}),
    )
    .await;
    post(
        &app,
        &token,
        &format!("/api/v1/evaluations/{evaluation}/components"),
        json!({"code": "2", "name": "Potential Base", "weight": 20}),
    )
    .await;
    post(&app, &token, "/api/v1/indicators", json!({"evaluation_id": evaluation, "component_id": c1["id"], "code": "1.1", "name": "ไม่มีเจ้าภาพ", "criteria": three_level(1.0, 2.0, 3.0)})).await;
    let response = patch(
        &app,
        &token,
        &format!("/api/v1/evaluations/{evaluation}"),
        json!({"status": "active"}),
    )
    .await;
    response.assert_problem(422, "validation");
    assert_eq!(
        response.error_fields(),
        vec!["components", "indicators[1.1].assignments"]
    );
    let read = app
        .get(&format!("/api/v1/evaluations/{evaluation}"))
        .bearer(&token)
        .send()
        .await
        .json();
    assert_eq!(read["status"], "draft");
    assert_eq!(read["version"], 1, "nothing changed");
    // A draft cannot jump to closed, nor be created other than draft.
    patch(
        &app,
        &token,
        &format!("/api/v1/evaluations/{evaluation}"),
        json!({"status": "closed"}),
    )
    .await
    .assert_problem(409, "invalid-state");
    let span = patch(
        &app,
        &token,
        &format!("/api/v1/evaluations/{evaluation}"),
        json!({"reporting_start": "2021-06", "deadline_day": 31}),
    )
    .await;
    span.assert_problem(422, "validation");
    assert_eq!(span.error_fields(), vec!["deadline_day", "reporting_start"]);
}

async fn assignment_to_another_province_is_refused(app: TestApp) {
    let admin = app.admin();
    let evaluation = create_evaluation(&app, &admin, 2565, None).await;
    let c = post(
        &app,
        &admin,
        &format!("/api/v1/evaluations/{evaluation}/components"),
        json!({"code": "1", "name": "Performance Base", "weight": 100}),
    )
    .await;
    let indicator = post(&app, &admin, "/api/v1/indicators", json!({"evaluation_id": evaluation, "component_id": c["id"], "code": "1.1", "name": "ข้าว", "criteria": three_level(60.0, 70.0, 80.0)})).await;
    let path = format!("/api/v1/indicators/{}/assignments", indicator["id"]);
    let samut_prakan = app.org_id("SPK-PO").await;
    let refused = app
        .post(&path)
        .bearer(&admin)
        .json(&json!({"organization_id": samut_prakan, "role": "host"}))
        .send()
        .await;
    refused.assert_problem(422, "validation");
    assert_eq!(refused.error_fields(), vec!["organization_id"]);
    assert!(refused.json()["errors"][0]["message"]
        .as_str()
        .unwrap_or("")
        .contains("another province"));
    let rice = app.org_id("RD-RET").await;
    post(
        &app,
        &admin,
        &path,
        json!({"organization_id": rice, "role": "host"}),
    )
    .await;
    app.post(&path)
        .bearer(&admin)
        .json(&json!({"organization_id": rice, "role": "host"}))
        .send()
        .await
        .assert_problem(409, "duplicate");
    let bad_email = app
        .post(&path)
        .bearer(&admin)
        .json(&json!({"organization_id": rice, "role": "co_host", "contact_email": "not an email"}))
        .send()
        .await;
    assert_eq!(bad_email.error_fields(), vec!["contact_email"]);
    let listed = app.get(&path).bearer(&admin).send().await.json();
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(1));
}

async fn active_evaluation_freezes_structure_but_not_targets(app: TestApp) {
    let token = app.yasothon_admin();
    let evaluation = create_evaluation(&app, &token, 2565, Some(("2021-09", "2022-09"))).await;
    let document: Value =
        serde_json::to_value(provincial_kpi::demo::framework_document()).expect("json");
    app.request(
        actix_web::http::Method::PUT,
        &format!("/api/v1/evaluations/{evaluation}/framework"),
    )
    .bearer(&token)
    .json(&document)
    .send()
    .await
    .assert_status(200);
    patch(
        &app,
        &token,
        &format!("/api/v1/evaluations/{evaluation}"),
        json!({"status": "active"}),
    )
    .await
    .assert_status(200);

    let indicators = app
        .get(&format!(
            "/api/v1/indicators?evaluation_id={evaluation}&q=E.1"
        ))
        .bearer(&token)
        .send()
        .await
        .json();
    let energy = indicators["items"][0].clone();
    assert_eq!(energy["score_basis"], "reduction_from_baseline");
    let path = format!("/api/v1/indicators/{}", energy["id"]);
    let frozen = patch(
        &app,
        &token,
        &path,
        json!({"frequency": "quarterly", "over_time": "max"}),
    )
    .await;
    frozen.assert_problem(409, "invalid-state");
    assert_eq!(frozen.error_fields(), vec!["frequency", "over_time"]);
    // Targets and criteria are renegotiated mid-year: allowed, and audited.
    let renegotiated = patch(
        &app,
        &token,
        &path,
        json!({"target": 18, "criteria": three_level(8.0, 13.0, 18.0)}),
    )
    .await;
    renegotiated.assert_status(200);
    assert_eq!(renegotiated.json()["target"], 18.0);
    let audit = app
        .get(&format!(
            "/api/v1/audit-events?entity_type=indicator&entity_id={}",
            energy["id"]
        ))
        .bearer(&token)
        .send()
        .await
        .json();
    let last = audit["items"]
        .as_array()
        .and_then(|items| items.last())
        .cloned()
        .expect("event");
    assert_eq!(last["details"]["before"]["target"], 20.0);
    assert_eq!(last["details"]["after"]["target"], 18.0);

    patch(
        &app,
        &token,
        &format!("/api/v1/evaluations/{evaluation}"),
        json!({"deadline_day": 5}),
    )
    .await
    .assert_problem(409, "invalid-state");
    app.post(&format!("/api/v1/evaluations/{evaluation}/components"))
        .bearer(&token)
        .json(&json!({"code": "3", "name": "x", "weight": 1}))
        .send()
        .await
        .assert_problem(409, "invalid-state");
    app.delete(&path)
        .bearer(&token)
        .send()
        .await
        .assert_problem(409, "invalid-state");
    // Component weights may change only while they still sum to 100.
    let components = app
        .get(&format!("/api/v1/evaluations/{evaluation}/components"))
        .bearer(&token)
        .send()
        .await
        .json();
    let first = components["items"][0]["id"].as_i64().expect("component");
    patch(
        &app,
        &token,
        &format!("/api/v1/components/{first}"),
        json!({"weight": 60}),
    )
    .await
    .assert_problem(422, "validation");
    patch(
        &app,
        &token,
        &format!("/api/v1/components/{first}"),
        json!({"name": "ประสิทธิผล (Performance Base)"}),
    )
    .await
    .assert_status(200);
}

async fn closed_evaluation_is_read_only(app: TestApp) {
    let token = app.yasothon_admin();
    let evaluation = create_evaluation(&app, &token, 2565, Some(("2021-09", "2022-09"))).await;
    let document: Value =
        serde_json::to_value(provincial_kpi::demo::framework_document()).expect("json");
    app.request(
        actix_web::http::Method::PUT,
        &format!("/api/v1/evaluations/{evaluation}/framework"),
    )
    .bearer(&token)
    .json(&document)
    .send()
    .await
    .assert_status(200);
    let eval_path = format!("/api/v1/evaluations/{evaluation}");
    patch(&app, &token, &eval_path, json!({"status": "active"}))
        .await
        .assert_status(200);
    patch(&app, &token, &eval_path, json!({"status": "closed"}))
        .await
        .assert_status(200);
    let indicator = app
        .get(&format!(
            "/api/v1/indicators?evaluation_id={evaluation}&limit=1"
        ))
        .bearer(&token)
        .send()
        .await
        .json()["items"][0]
        .clone();
    let before = app
        .get(&format!("{eval_path}/framework"))
        .bearer(&token)
        .send()
        .await
        .json();
    let attempts = [
        patch(&app, &token, &eval_path, json!({"title": "แก้ไข"})).await,
        patch(
            &app,
            &token,
            &format!("/api/v1/indicators/{}", indicator["id"]),
            json!({"target": 1}),
        )
        .await,
        app.post(&format!(
            "/api/v1/indicators/{}/assignments",
            indicator["id"]
        ))
        .bearer(&token)
        .json(&json!({"organization_id": app.org_id("YST-PEO").await, "role": "co_host"}))
        .send()
        .await,
        app.request(
            actix_web::http::Method::PUT,
            &format!("{eval_path}/framework"),
        )
        .bearer(&token)
        .json(&before)
        .send()
        .await,
    ];
    for response in attempts {
        response.assert_problem(409, "invalid-state");
    }
    assert_eq!(
        app.get(&format!("{eval_path}/framework"))
            .bearer(&token)
            .send()
            .await
            .json(),
        before
    );
}

async fn framework_import_lists_every_error_and_keeps_the_old_one(app: TestApp) {
    let token = app.yasothon_admin();
    let evaluation = create_evaluation(&app, &token, 2565, None).await;
    let good: Value =
        serde_json::to_value(provincial_kpi::demo::framework_document()).expect("json");
    let put = |body: Value| {
        app.request(
            actix_web::http::Method::PUT,
            &format!("/api/v1/evaluations/{evaluation}/framework"),
        )
        .bearer(&token)
        .json(&body)
        .send()
    };
    put(good.clone()).await.assert_status(200);
    let mut bad = good.clone();
    bad["components"][0]["weight"] = json!(-1);
    bad["components"][1]["code"] = json!("1");
    bad["components"][0]["indicators"][1]["criteria"][1]["value"] = json!(9.9);
    bad["components"][0]["indicators"][0]["assignments"][0]["organization_code"] =
        json!("NO-SUCH-ORG");
    bad["components"][0]["indicators"][2]["assignments"][0]["organization_code"] = json!("SPK-PO");
    let response = put(bad).await;
    response.assert_problem(422, "validation");
    assert_eq!(
        response.error_fields(),
        vec![
            "components[0].weight",
            "components[0].indicators[0].assignments[0].organization_code",
            // [1.5, 9.9, 0.5]: the first step sets the direction, the second breaks it.
            "components[0].indicators[1].criteria[2].value",
            "components[0].indicators[2].assignments[0].organization_code",
            "components[1].code",
        ]
    );
    let unknown_field = put(json!({"components": [], "title": "x"})).await;
    unknown_field.assert_problem(400, "bad-request");
    assert_eq!(
        app.get(&format!("/api/v1/evaluations/{evaluation}/framework"))
            .bearer(&token)
            .send()
            .await
            .json(),
        good
    );
}

async fn organization_assignments_answer_what_an_agency_must_report(app: TestApp) {
    let token = app.yasothon_admin();
    let evaluation = create_evaluation(&app, &token, 2565, Some(("2021-09", "2022-09"))).await;
    let document: Value =
        serde_json::to_value(provincial_kpi::demo::framework_document()).expect("json");
    app.request(
        actix_web::http::Method::PUT,
        &format!("/api/v1/evaluations/{evaluation}/framework"),
    )
    .bearer(&token)
    .json(&document)
    .send()
    .await
    .assert_status(200);
    let energy = app.org_id("YST-PEO").await;
    let health = app.org_id("YST-PHO").await;
    let officer = app.token("agency_officer", Some("YST-PEO"));
    let own = app
        .get(&format!(
            "/api/v1/organizations/{energy}/assignments?role=host"
        ))
        .bearer(&officer)
        .send()
        .await;
    own.assert_status(200);
    let codes: Vec<String> = own.json()["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|a| a["indicator_code"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(codes, vec!["E.1", "E.2"]);
    assert_eq!(own.json()["items"][0]["baseline"], 2800.0);
    // Like the framework, who hosts what is read across the province (docs/DOMAIN.md "Who may
    // do what").
    let other_agency = app
        .get(&format!("/api/v1/organizations/{health}/assignments"))
        .bearer(&officer)
        .send()
        .await;
    other_agency.assert_status(200);
    assert_eq!(other_agency.json()["items"][0]["indicator_code"], "1.2");
    // The provincial office supervises every indicator of the demo framework.
    let office = app.org_id("YST-PO").await;
    let supervised = app
        .get(&format!(
            "/api/v1/organizations/{office}/assignments?role=supervisor"
        ))
        .bearer(&token)
        .send()
        .await
        .json();
    assert_eq!(supervised["items"].as_array().map(Vec::len), Some(8));
    // Samut Prakan sees nothing of Yasothon's assignments, even of a national unit.
    let rice = app.org_id("RD-RET").await;
    let other = app
        .get(&format!("/api/v1/organizations/{rice}/assignments"))
        .bearer(&app.token("province_admin", Some("SPK-PO")))
        .send()
        .await;
    assert_eq!(other.json()["items"], json!([]));
}

async fn indicator_search_and_filters(app: TestApp) {
    let token = app.yasothon_admin();
    let evaluation = create_evaluation(&app, &token, 2565, None).await;
    let document: Value =
        serde_json::to_value(provincial_kpi::demo::framework_document()).expect("json");
    app.request(
        actix_web::http::Method::PUT,
        &format!("/api/v1/evaluations/{evaluation}/framework"),
    )
    .bearer(&token)
    .json(&document)
    .send()
    .await
    .assert_status(200);
    let codes = |response: TestResponse| -> Vec<String> {
        response.json()["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|i| i["code"].as_str().map(str::to_owned))
            .collect()
    };
    let search = |q: &str| {
        app.get(&format!(
            "/api/v1/indicators?evaluation_id={evaluation}&q={}",
            crate::support::encode(q)
        ))
        .bearer(&token)
        .send()
    };
    assert_eq!(codes(search("covid-19").await), vec!["1.2"]);
    assert_eq!(codes(search("PMQA").await), vec!["2.2"]);
    assert_eq!(codes(search("ไฟฟ้า").await), vec!["E.1"]);
    let energy = app
        .get(&format!(
            "/api/v1/indicators?evaluation_id={evaluation}&category=energy_reduction"
        ))
        .bearer(&token)
        .send()
        .await;
    assert_eq!(codes(energy), vec!["E.1", "E.2"]);
    let other_province = app
        .get("/api/v1/indicators")
        .bearer(&app.token("viewer", Some("SPK-PO")))
        .send()
        .await;
    assert!(codes(other_province).is_empty());
}
