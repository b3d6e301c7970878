//! Components: weights (a percent above zero, renegotiated while active), the frozen structure
//! and codes, codes unique ignoring case.

use serde_json::json;

use crate::both_engines;
use crate::fixtures::{create_evaluation, demo_evaluation, get, patch, post};
use crate::support::TestApp;

both_engines!(
    a_component_weight_is_a_percent_above_zero,
    component_weights_are_renegotiated_while_active,
    an_active_evaluation_keeps_its_components_and_their_codes,
    component_codes_are_unique_ignoring_case,
);

/// A new component's weight is a percent of (0, 100]: 0 is a 422 naming `weight`, and
/// nothing is stored.
async fn a_component_weight_is_a_percent_above_zero(app: TestApp) {
    let token = app.yasothon_admin();
    let evaluation = create_evaluation(&app, &token, 2565, None).await;
    let path = format!("/api/v1/evaluations/{evaluation}/components");
    let zero = app
        .post(&path)
        .bearer(&token)
        .json(&json!({"code": "2", "name": "x", "weight": 0}))
        .send()
        .await;
    zero.assert_problem(422, "validation");
    assert_eq!(zero.error_fields(), vec!["weight"]);
    assert_eq!(get(&app, &token, &path).await["items"], json!([]));
}

/// Yasothon's demo framework (70 / 30) is activated; mid-year Performance Base goes to 60:
/// allowed and audited, the evaluation shows a total of 90 until Potential Base follows.
async fn component_weights_are_renegotiated_while_active(app: TestApp) {
    let token = app.yasothon_admin();
    let evaluation = demo_evaluation(&app, &token, Some(("2021-09", "2022-09"))).await;
    let path = format!("/api/v1/evaluations/{evaluation}");
    let activated = patch(&app, &token, &path, json!({"status": "active"})).await;
    activated.assert_status(200);
    assert_eq!(activated.json()["component_weight_total"], 100.0);
    let components = get(&app, &token, &format!("{path}/components")).await;
    let (performance, potential) = (
        components["items"][0]["id"].as_i64().expect("component 1"),
        components["items"][1]["id"].as_i64().expect("component 2"),
    );
    let reweighted = patch(
        &app,
        &token,
        &format!("/api/v1/components/{performance}"),
        json!({"weight": 60}),
    )
    .await;
    reweighted.assert_status(200);
    assert_eq!(reweighted.json()["weight"], 60.0);
    let read = get(&app, &token, &path).await;
    assert_eq!(
        (
            read["status"].as_str(),
            read["component_weight_total"].as_f64()
        ),
        (Some("active"), Some(90.0))
    );
    let listed = get(&app, &token, "/api/v1/evaluations").await;
    assert_eq!(listed["items"][0]["component_weight_total"], 90.0);
    let audit = get(
        &app,
        &token,
        &format!("/api/v1/audit-events?entity_type=component&entity_id={performance}"),
    )
    .await;
    let last = audit["items"]
        .as_array()
        .and_then(|items| items.last())
        .cloned()
        .expect("event");
    assert_eq!(last["action"], "update");
    assert_eq!(
        (
            last["details"]["before"]["weight"].as_f64(),
            last["details"]["after"]["weight"].as_f64()
        ),
        (Some(70.0), Some(60.0))
    );
    patch(
        &app,
        &token,
        &format!("/api/v1/components/{potential}"),
        json!({"weight": 40}),
    )
    .await
    .assert_status(200);
    assert_eq!(
        get(&app, &token, &path).await["component_weight_total"],
        100.0
    );
    // Each weight is still a percent of (0, 100].
    let zero = patch(
        &app,
        &token,
        &format!("/api/v1/components/{potential}"),
        json!({"weight": 0}),
    )
    .await;
    zero.assert_problem(422, "validation");
    assert_eq!(zero.error_fields(), vec!["weight"]);
}

/// Once active, no component is added or deleted, and codes stay (summaries, exports and
/// snapshots name components by code); names may be corrected.
async fn an_active_evaluation_keeps_its_components_and_their_codes(app: TestApp) {
    let token = app.yasothon_admin();
    let evaluation = demo_evaluation(&app, &token, Some(("2021-09", "2022-09"))).await;
    let path = format!("/api/v1/evaluations/{evaluation}");
    // A spare component, deletable while a draft; weights need not sum to 100 before activation.
    let spare = post(
        &app,
        &token,
        &format!("{path}/components"),
        json!({"code": "3", "name": "สำรอง", "weight": 5}),
    )
    .await;
    assert_eq!(
        get(&app, &token, &path).await["component_weight_total"],
        105.0
    );
    app.delete(&format!("/api/v1/components/{}", spare["id"]))
        .bearer(&token)
        .send()
        .await
        .assert_status(204);
    let spare = post(
        &app,
        &token,
        &format!("{path}/components"),
        json!({"code": "3", "name": "สำรอง", "weight": 5}),
    )
    .await;
    let refused = patch(&app, &token, &path, json!({"status": "active"})).await;
    refused.assert_problem(422, "validation");
    assert_eq!(refused.error_fields(), vec!["components"]);
    app.delete(&format!("/api/v1/components/{}", spare["id"]))
        .bearer(&token)
        .send()
        .await
        .assert_status(204);
    patch(&app, &token, &path, json!({"status": "active"}))
        .await
        .assert_status(200);

    let deadline = patch(
        &app,
        &token,
        &path,
        json!({"deadline_day": 5, "title": "ยโสธร"}),
    )
    .await;
    deadline.assert_problem(409, "invalid-state");
    assert_eq!(deadline.error_fields(), vec!["deadline_day"]);
    let first = get(&app, &token, &format!("{path}/components")).await["items"][0]["id"].clone();
    app.post(&format!("{path}/components"))
        .bearer(&token)
        .json(&json!({"code": "3", "name": "x", "weight": 1}))
        .send()
        .await
        .assert_problem(409, "invalid-state");
    app.delete(&format!("/api/v1/components/{first}"))
        .bearer(&token)
        .send()
        .await
        .assert_problem(409, "invalid-state");
    let recoded = patch(
        &app,
        &token,
        &format!("/api/v1/components/{first}"),
        json!({"code": "P", "weight": 65}),
    )
    .await;
    recoded.assert_problem(409, "invalid-state");
    assert_eq!(recoded.error_fields(), vec!["code"]);
    let renamed = patch(
        &app,
        &token,
        &format!("/api/v1/components/{first}"),
        json!({"name": "ประสิทธิผล (Performance Base)"}),
    )
    .await;
    renamed.assert_status(200);
    assert_eq!(
        (
            renamed.json()["code"].as_str(),
            renamed.json()["weight"].as_f64()
        ),
        (Some("1"), Some(70.0))
    );
}

async fn component_codes_are_unique_ignoring_case(app: TestApp) {
    let token = app.yasothon_admin();
    let evaluation = create_evaluation(&app, &token, 2565, None).await;
    let path = format!("/api/v1/evaluations/{evaluation}/components");
    post(
        &app,
        &token,
        &path,
        json!({"code": "PB", "name": "Performance Base", "weight": 70}),
    )
    .await;
    let other = post(
        &app,
        &token,
        &path,
        json!({"code": "QB", "name": "Potential Base", "weight": 30}),
    )
    .await;
    let duplicate = app
        .post(&path)
        .bearer(&token)
        .json(&json!({"code": "pb", "name": "ซ้ำ", "weight": 10}))
        .send()
        .await;
    duplicate.assert_problem(409, "duplicate");
    assert_eq!(duplicate.error_fields(), vec!["code"]);
    let recoded = patch(
        &app,
        &token,
        &format!("/api/v1/components/{}", other["id"]),
        json!({"code": "Pb"}),
    )
    .await;
    recoded.assert_problem(409, "duplicate");
    assert_eq!(recoded.error_fields(), vec!["code"]);
    // Its own code in another case is no clash; another evaluation may reuse the code.
    patch(
        &app,
        &token,
        &format!("/api/v1/components/{}", other["id"]),
        json!({"code": "qb"}),
    )
    .await
    .assert_status(200);
    let next_year = create_evaluation(&app, &token, 2566, None).await;
    post(
        &app,
        &token,
        &format!("/api/v1/evaluations/{next_year}/components"),
        json!({"code": "pb", "name": "Performance Base", "weight": 70}),
    )
    .await;
    let listed = get(&app, &token, &path).await;
    assert_eq!(
        listed["items"].as_array().map(Vec::len),
        Some(2),
        "nothing else stored"
    );
}
