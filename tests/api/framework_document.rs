//! The framework document: built through the API and exported, copied into another year,
//! imported all or nothing with every problem listed.

use serde_json::json;

use crate::both_engines;
use crate::fixtures::{
    create_evaluation, demo_document, get, patch, post, put_framework, three_level,
};
use crate::support::TestApp;

both_engines!(
    seed_002_framework_is_built_exported_and_copied_to_another_year,
    framework_import_lists_every_error_and_keeps_the_old_one,
    an_organization_is_assigned_once_per_indicator_in_a_document,
);

/// Seed 002 through the API alone: Yasothon FY 2565, Performance Base 70 %, Potential Base 30 %.
async fn build_seed_002(app: &TestApp, token: &str, evaluation: i64) {
    let components = format!("/api/v1/evaluations/{evaluation}/components");
    let performance = json!({
        "code": "1", "name": "การประเมินประสิทธิผลการดำเนินงาน (Performance Base)", "weight": 70,
    });
    let potential = json!({
        "code": "2", "name": "การประเมินศักยภาพในการดำเนินงาน (Potential Base)", "weight": 30,
    });
    let c1 = post(app, token, &components, performance).await;
    let c2 = post(app, token, &components, potential).await;
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
        let body = json!({
            "evaluation_id": evaluation, "component_id": component["id"], "code": code,
            "name": name, "unit": "ร้อยละ", "frequency": frequency, "criteria": criteria,
            "target": criteria[1]["value"],
        });
        let indicator = post(app, token, "/api/v1/indicators", body).await;
        assert_eq!(indicator["max_score"], 100.0);
        let path = format!("/api/v1/indicators/{}/assignments", indicator["id"]);
        for host in hosts {
            let org = app.org_id(host).await;
            let host = json!({
                "organization_id": org, "role": "host", "contact_name": "ผู้ประสานงาน",
                "contact_phone": "045-712233",
            });
            post(app, token, &path, host).await;
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
    let document = get(
        &app,
        &token,
        &format!("/api/v1/evaluations/{fy2565}/framework"),
    )
    .await;
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
    let imported = put_framework(&app, &token, fy2566, &document).await;
    imported.assert_status(200);
    assert_eq!(imported.json(), document);
    let again = get(
        &app,
        &token,
        &format!("/api/v1/evaluations/{fy2566}/framework"),
    )
    .await;
    assert_eq!(again, document, "identical after the round trip");
    let copy = get(&app, &token, &format!("/api/v1/evaluations/{fy2566}")).await;
    assert_eq!(
        (
            copy["reporting_start"].clone(),
            copy["reporting_end"].clone()
        ),
        (json!("2022-10"), json!("2023-09")),
        "default span Oct … Sep"
    );
    let audit = get(
        &app,
        &token,
        &format!("/api/v1/audit-events?entity_type=evaluation&entity_id={fy2566}"),
    )
    .await;
    assert!(audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .any(|e| e["action"] == "import_framework"));
}

async fn framework_import_lists_every_error_and_keeps_the_old_one(app: TestApp) {
    let token = app.yasothon_admin();
    let evaluation = create_evaluation(&app, &token, 2565, None).await;
    let good = demo_document();
    put_framework(&app, &token, evaluation, &good)
        .await
        .assert_status(200);
    let mut bad = good.clone();
    bad["components"][0]["weight"] = json!(-1);
    bad["components"][1]["code"] = json!("1");
    bad["components"][0]["indicators"][1]["criteria"][1]["value"] = json!(9.9);
    bad["components"][0]["indicators"][0]["assignments"][0]["organization_code"] =
        json!("NO-SUCH-ORG");
    bad["components"][0]["indicators"][2]["assignments"][0]["organization_code"] = json!("SPK-PO");
    // Codes are unique ignoring case: E.2 renamed e.1 repeats E.1.
    bad["components"][1]["indicators"][3]["code"] = json!("e.1");
    let response = put_framework(&app, &token, evaluation, &bad).await;
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
            "components[1].indicators[3].code",
        ]
    );
    let unknown_field = json!({"components": [], "title": "x"});
    put_framework(&app, &token, evaluation, &unknown_field)
        .await
        .assert_problem(400, "bad-request");
    assert_eq!(
        get(
            &app,
            &token,
            &format!("/api/v1/evaluations/{evaluation}/framework")
        )
        .await,
        good
    );
}

/// Two roles for one organization on one indicator (host and co-host of E.1) would count its
/// reports twice: the import names the second, stores nothing, and keeps the old framework.
async fn an_organization_is_assigned_once_per_indicator_in_a_document(app: TestApp) {
    let token = app.yasothon_admin();
    let evaluation = create_evaluation(&app, &token, 2565, None).await;
    let good = demo_document();
    put_framework(&app, &token, evaluation, &good)
        .await
        .assert_status(200);
    let mut bad = good.clone();
    let energy = &mut bad["components"][1]["indicators"][2];
    assert_eq!(energy["code"], "E.1");
    let assignments = energy["assignments"].as_array_mut().expect("assignments");
    assert_eq!(assignments[0]["organization_code"], "YST-AGRI");
    assignments.push(json!({"organization_code": "YST-AGRI", "role": "co_host"}));
    let last = assignments.len() - 1;
    let response = put_framework(&app, &token, evaluation, &bad).await;
    response.assert_problem(422, "validation");
    assert_eq!(
        response.error_fields(),
        vec![format!(
            "components[1].indicators[2].assignments[{last}].organization_code"
        )]
    );
    assert!(response.json()["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .contains("one role per indicator"));
    assert_eq!(
        get(
            &app,
            &token,
            &format!("/api/v1/evaluations/{evaluation}/framework")
        )
        .await,
        good
    );
}
