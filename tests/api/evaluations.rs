//! Evaluations: fields and spans, activation, the closed state, stored values read back, and
//! activation racing child writes.

use serde_json::json;

use crate::both_engines;
use crate::fixtures::{
    create_evaluation, demo_evaluation, get, patch, post, put_framework, sql, three_level,
};
use crate::support::TestApp;

both_engines!(
    evaluation_fields_are_checked,
    a_span_needs_a_month_of_its_own_fiscal_year,
    activation_lists_every_problem_at_once,
    activation_checks_reporting_months_and_baselines,
    closed_evaluation_is_read_only,
    unreadable_stored_values_are_internal_errors,
    activation_racing_indicator_creates_lets_none_in_unchecked,
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
            // 2022-10 is after FY 2565 and after the default end (2022-09).
            json!({
                "province_id": province, "fiscal_year": 2565, "title": "x", "deadline_day": 0,
                "reporting_start": "2022-10",
            }),
            vec!["deadline_day", "reporting_end", "reporting_start"],
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
    let bad_period = app
        .post("/api/v1/evaluations")
        .bearer(&token)
        .json(&json!({
            "province_id": province, "fiscal_year": 2565, "title": "x",
            "reporting_start": "2021-13",
        }))
        .send()
        .await;
    bad_period.assert_problem(400, "bad-request");
    assert_eq!(bad_period.error_fields(), vec!["reporting_start"]);
    let listed = get(&app, &token, "/api/v1/evaluations").await;
    assert_eq!(listed["items"], json!([]), "nothing stored");
}

/// FY 2569 runs Oct 2025 – Sep 2026. A span may reach three months past it, but Oct – Dec
/// 2026 would hold no month of the year it evaluates.
async fn a_span_needs_a_month_of_its_own_fiscal_year(app: TestApp) {
    let token = app.yasothon_admin();
    let province = app.org_id("TH-35").await;
    for (start, end, field) in [
        ("2026-10", "2026-12", "reporting_start"),
        ("2025-07", "2025-09", "reporting_end"),
    ] {
        let response = app
            .post("/api/v1/evaluations")
            .bearer(&token)
            .json(&json!({
                "province_id": province, "fiscal_year": 2569, "title": "ยโสธร 2569",
                "reporting_start": start, "reporting_end": end,
            }))
            .send()
            .await;
        response.assert_problem(422, "validation");
        assert_eq!(response.error_fields(), vec![field], "{start} … {end}");
        assert!(response.json()["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("FY 2569 (2025-10 … 2026-09)"));
    }
    // One month of the year is enough.
    let evaluation = create_evaluation(&app, &token, 2569, Some(("2026-09", "2026-12"))).await;
    let path = format!("/api/v1/evaluations/{evaluation}");
    let moved = patch(&app, &token, &path, json!({"reporting_start": "2026-10"})).await;
    moved.assert_problem(422, "validation");
    assert_eq!(moved.error_fields(), vec!["reporting_start"]);
    let read = get(&app, &token, &path).await;
    assert_eq!(
        (read["reporting_start"].as_str(), read["version"].as_i64()),
        (Some("2026-09"), Some(1))
    );
    let listed = get(&app, &token, "/api/v1/evaluations?fiscal_year=2569").await;
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(1));
}

async fn activation_lists_every_problem_at_once(app: TestApp) {
    let token = app.yasothon_admin();
    let evaluation = create_evaluation(&app, &token, 2565, None).await;
    let components = format!("/api/v1/evaluations/{evaluation}/components");
    let c1 = post(
        &app,
        &token,
        &components,
        json!({"code": "1", "name": "Performance Base", "weight": 70}),
    )
    .await;
    post(
        &app,
        &token,
        &components,
        json!({"code": "2", "name": "Potential Base", "weight": 20}),
    )
    .await;
    let hostless = json!({
        "evaluation_id": evaluation, "component_id": c1["id"], "code": "1.1",
        "name": "ไม่มีเจ้าภาพ", "criteria": three_level(1.0, 2.0, 3.0),
    });
    post(&app, &token, "/api/v1/indicators", hostless).await;
    let path = format!("/api/v1/evaluations/{evaluation}");
    let response = patch(&app, &token, &path, json!({"status": "active"})).await;
    response.assert_problem(422, "validation");
    assert_eq!(
        response.error_fields(),
        vec!["components", "indicators[1.1].assignments"]
    );
    let read = get(&app, &token, &path).await;
    assert_eq!(read["status"], "draft");
    assert_eq!(read["version"], 1, "nothing changed");
    assert_eq!(read["component_weight_total"], 90.0);
    // A draft cannot jump to closed, nor be created other than draft.
    patch(&app, &token, &path, json!({"status": "closed"}))
        .await
        .assert_problem(409, "invalid-state");
    let span = patch(
        &app,
        &token,
        &path,
        json!({"reporting_start": "2021-06", "deadline_day": 31}),
    )
    .await;
    span.assert_problem(422, "validation");
    assert_eq!(span.error_fields(), vec!["deadline_day", "reporting_start"]);
    // Read-only fields are refused, the weight total too.
    let read_only = patch(&app, &token, &path, json!({"component_weight_total": 100})).await;
    read_only.assert_problem(400, "bad-request");
}

/// The demo framework over Sep 2564 – Aug 2565: the annual PMQA indicator (2.2) reports in
/// September, outside the span; the electricity indicator (E.1) loses its baseline and two of
/// its hosts theirs. Activation names each; the other hosts' own baselines suffice.
async fn activation_checks_reporting_months_and_baselines(app: TestApp) {
    let token = app.yasothon_admin();
    let evaluation = demo_evaluation(&app, &token, Some(("2021-09", "2022-08"))).await;
    let energy =
        format!("(SELECT id FROM indicators WHERE evaluation_id = {evaluation} AND code = 'E.1')");
    let statements = format!(
        "UPDATE indicators SET baseline = NULL WHERE id = {energy};
         UPDATE assignments SET baseline = NULL WHERE indicator_id = {energy}
         AND organization_id IN
         (SELECT id FROM organizations WHERE code IN ('YST-PEO', 'YST-AGRI'));"
    );
    sql(&app, &statements, &statements);
    let path = format!("/api/v1/evaluations/{evaluation}");
    let refused = patch(&app, &token, &path, json!({"status": "active"})).await;
    refused.assert_problem(422, "validation");
    assert_eq!(
        refused.error_fields(),
        vec![
            "indicators[2.2].frequency",
            "indicators[E.1].assignments[YST-AGRI].baseline",
            "indicators[E.1].assignments[YST-PEO].baseline",
        ]
    );
    // A span through September, and the indicator's baseline for the hosts without their own.
    patch(&app, &token, &path, json!({"reporting_end": "2022-09"}))
        .await
        .assert_status(200);
    let indicators = get(
        &app,
        &token,
        &format!("/api/v1/indicators?evaluation_id={evaluation}&q=E.1"),
    )
    .await;
    let e1 = indicators["items"][0]["id"].as_i64().expect("E.1");
    patch(
        &app,
        &token,
        &format!("/api/v1/indicators/{e1}"),
        json!({"baseline": 4000}),
    )
    .await
    .assert_status(200);
    let active = patch(&app, &token, &path, json!({"status": "active"})).await;
    active.assert_status(200);
    assert_eq!(active.json()["status"], "active");
}

async fn closed_evaluation_is_read_only(app: TestApp) {
    let token = app.yasothon_admin();
    let evaluation = demo_evaluation(&app, &token, Some(("2021-09", "2022-09"))).await;
    let eval_path = format!("/api/v1/evaluations/{evaluation}");
    patch(&app, &token, &eval_path, json!({"status": "active"}))
        .await
        .assert_status(200);
    patch(&app, &token, &eval_path, json!({"status": "closed"}))
        .await
        .assert_status(200);
    let indicator = get(
        &app,
        &token,
        &format!("/api/v1/indicators?evaluation_id={evaluation}&limit=1"),
    )
    .await["items"][0]
        .clone();
    let component =
        get(&app, &token, &format!("{eval_path}/components")).await["items"][0]["id"].clone();
    let before = get(&app, &token, &format!("{eval_path}/framework")).await;
    let attempts = [
        patch(&app, &token, &eval_path, json!({"title": "แก้ไข"})).await,
        patch(
            &app,
            &token,
            &format!("/api/v1/components/{component}"),
            json!({"weight": 60}),
        )
        .await,
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
        put_framework(&app, &token, evaluation, &before).await,
    ];
    for response in attempts {
        response.assert_problem(409, "invalid-state");
    }
    assert_eq!(
        get(&app, &token, &format!("{eval_path}/framework")).await,
        before
    );
}

/// A status or span no request can store (written by SQL) is a 500, logged with the row —
/// never read as `closed` or as the default span, and never taken for an evaluation out of
/// view: its components and a new indicator naming it are 500s too, not 404 or 422.
async fn unreadable_stored_values_are_internal_errors(app: TestApp) {
    let token = app.yasothon_admin();
    let status = create_evaluation(&app, &token, 2565, None).await;
    let span = create_evaluation(&app, &token, 2566, None).await;
    let sound = create_evaluation(&app, &token, 2567, None).await;
    let mut components = Vec::new();
    for evaluation in [status, span] {
        let component = post(
            &app,
            &token,
            &format!("/api/v1/evaluations/{evaluation}/components"),
            json!({"code": "1", "name": "Performance Base", "weight": 100}),
        )
        .await;
        components.push(component["id"].as_i64().expect("component"));
    }
    let corrupt = format!(
        "UPDATE evaluations SET status = 'archived' WHERE id = {status};
         UPDATE evaluations SET reporting_start = '2021-13' WHERE id = {span};"
    );
    sql(
        &app,
        &format!("PRAGMA ignore_check_constraints = ON; {corrupt}"),
        &format!("ALTER TABLE evaluations DROP CONSTRAINT evaluations_status_check; {corrupt}"),
    );
    for (evaluation, component) in [status, span].into_iter().zip(components) {
        let path = format!("/api/v1/evaluations/{evaluation}");
        let new_indicator = json!({
            "evaluation_id": evaluation, "component_id": component, "code": "1.1",
            "name": "ข้าว", "criteria": three_level(60.0, 70.0, 80.0),
        });
        for response in [
            app.get(&path).bearer(&token).send().await,
            patch(&app, &token, &path, json!({"title": "แก้ไข"})).await,
            app.post(&format!("{path}/components"))
                .bearer(&token)
                .json(&json!({"code": "2", "name": "x", "weight": 100}))
                .send()
                .await,
            app.get(&format!("/api/v1/components/{component}"))
                .bearer(&token)
                .send()
                .await,
            app.post("/api/v1/indicators")
                .bearer(&token)
                .json(&new_indicator)
                .send()
                .await,
        ] {
            let problem = response.assert_problem(500, "internal");
            assert!(!problem["detail"]
                .as_str()
                .unwrap_or_default()
                .contains("2021-13"));
        }
    }
    app.get("/api/v1/evaluations")
        .bearer(&token)
        .send()
        .await
        .assert_problem(500, "internal");
    let healthy = get(&app, &token, "/api/v1/evaluations?fiscal_year=2567").await;
    assert_eq!(
        healthy["items"][0]["id"], sound,
        "the other rows still read"
    );
}

/// Activation and a burst of indicator creates, concurrently, several times over. Each new
/// indicator has no host, so an activation that saw it fails; one that succeeds must have
/// seen none, and no create may commit into the evaluation after it (on PostgreSQL every
/// status-dependent write locks the evaluation's row; SQLite serializes writers).
async fn activation_racing_indicator_creates_lets_none_in_unchecked(app: TestApp) {
    let token = app.yasothon_admin();
    for round in 0..6 {
        let evaluation = demo_evaluation(&app, &token, Some(("2021-09", "2022-09"))).await;
        let components = get(
            &app,
            &token,
            &format!("/api/v1/evaluations/{evaluation}/components"),
        )
        .await;
        let component = components["items"][0]["id"].clone();
        let path = format!("/api/v1/evaluations/{evaluation}");
        let create = |i: usize| {
            app.post("/api/v1/indicators")
                .bearer(&token)
                .json(&json!({
                    "evaluation_id": evaluation, "component_id": component,
                    "code": format!("R.{i}"), "name": "ตัวชี้วัดแข่ง",
                    "criteria": three_level(1.0, 2.0, 3.0),
                }))
                .send()
        };
        // The activation starts first, the creates right behind it (they share the pool's
        // connections): a create that read the evaluation as a draft before the activation
        // committed must not commit after the activation's checks.
        let activation = patch(&app, &token, &path, json!({"status": "active"}));
        let creates = futures_util::future::join_all((0..8).map(create));
        let (activation, creates) = futures_util::future::join(activation, creates).await;
        let created: Vec<String> = creates
            .iter()
            .enumerate()
            .filter_map(|(i, response)| match response.status.as_u16() {
                201 => Some(format!("R.{i}")),
                409 => None,
                other => panic!("round {round}: create {i} answered {other}"),
            })
            .collect();
        let listed = get(
            &app,
            &token,
            &format!("/api/v1/indicators?evaluation_id={evaluation}&limit=500"),
        )
        .await;
        let codes: Vec<String> = listed["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|i| i["code"].as_str().map(str::to_owned))
            .filter(|code| code.starts_with("R."))
            .collect();
        assert_eq!(
            codes.len(),
            created.len(),
            "round {round}: every 201 stored, nothing else"
        );
        match activation.status.as_u16() {
            200 => assert!(
                codes.is_empty(),
                "round {round}: active, with indicators the activation never checked: {codes:?}"
            ),
            422 => {
                // It saw some created indicators, each without a host; the rest came after it,
                // into a draft.
                let seen: Vec<String> = activation
                    .error_fields()
                    .into_iter()
                    .filter_map(|f| {
                        f.strip_prefix("indicators[")
                            .and_then(|f| f.strip_suffix("].assignments"))
                            .map(str::to_owned)
                    })
                    .collect();
                assert!(
                    !seen.is_empty(),
                    "round {round}: {}",
                    String::from_utf8_lossy(&activation.body)
                );
                assert!(
                    seen.iter().all(|code| codes.contains(code)),
                    "round {round}: {seen:?} ⊄ {codes:?}"
                );
                assert_eq!(get(&app, &token, &path).await["status"], "draft");
            }
            other => panic!(
                "round {round}: activation answered {other}: {}",
                String::from_utf8_lossy(&activation.body)
            ),
        }
    }
}
