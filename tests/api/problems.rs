//! Bad input of every kind gets a 4xx problem+json and changes nothing.

use serde_json::json;

use crate::both_engines;
use crate::support::TestApp;

both_engines!(
    malformed_json_is_a_bad_request,
    unknown_field_is_named,
    wrong_type_is_named,
    body_over_one_mebibyte_is_413,
    wrong_content_type_is_415,
    bad_path_id_is_400,
    wrong_query_type_is_400,
    unknown_path_is_404_and_wrong_method_405,
    rejected_requests_store_nothing,
    cursors_and_idempotency_keys_are_what_the_contract_says,
    trailing_bytes_after_the_body_are_refused,
    control_characters_in_text_are_refused,
    control_characters_in_query_values_are_refused,
    integral_fractions_are_integers,
    a_trailing_slash_is_ignored,
    head_is_answered_like_get_without_a_body,
);

async fn organizations_snapshot(app: &TestApp) -> serde_json::Value {
    let all = app
        .get("/api/v1/organizations?limit=500")
        .bearer(&app.admin())
        .send()
        .await;
    all.assert_status(200);
    let audit = app
        .get("/api/v1/audit-events?limit=500")
        .bearer(&app.admin())
        .send()
        .await;
    json!([all.json(), audit.json()])
}

async fn malformed_json_is_a_bad_request(app: TestApp) {
    let response = app
        .post("/api/v1/organizations")
        .bearer(&app.admin())
        .raw("application/json", "{\"code\": \"X\", ")
        .send()
        .await;
    let problem = response.assert_problem(400, "bad-request");
    assert_eq!(problem["errors"][0]["field"], "body");
    assert!(problem["errors"][0]["message"]
        .as_str()
        .unwrap_or("")
        .contains("line 1"));
}

async fn unknown_field_is_named(app: TestApp) {
    let response = app
        .post("/api/v1/organizations")
        .bearer(&app.admin())
        .json(&json!({"code": "X1", "name_th": "ทดสอบ", "kind": "agency", "is_admin": true}))
        .send()
        .await;
    response.assert_problem(400, "bad-request");
    assert_eq!(response.error_fields(), vec!["is_admin"]);
}

async fn wrong_type_is_named(app: TestApp) {
    let response = app
        .post("/api/v1/organizations")
        .bearer(&app.admin())
        .json(&json!({"code": "X1", "name_th": 5, "kind": "agency"}))
        .send()
        .await;
    response.assert_problem(400, "bad-request");
    assert_eq!(response.error_fields(), vec!["name_th"]);
    let bad_enum = app
        .post("/api/v1/organizations")
        .bearer(&app.admin())
        .json(&json!({"code": "X1", "name_th": "ก", "kind": "ministry"}))
        .send()
        .await;
    bad_enum.assert_problem(400, "bad-request");
    assert_eq!(bad_enum.error_fields(), vec!["kind"]);
}

async fn body_over_one_mebibyte_is_413(app: TestApp) {
    let huge = format!(
        "{{\"code\":\"BIG\",\"kind\":\"agency\",\"name_th\":\"{}\"}}",
        "ก".repeat(700_000)
    );
    assert!(huge.len() > 2_000_000);
    let response = app
        .post("/api/v1/organizations")
        .bearer(&app.admin())
        .raw("application/json", huge)
        .send()
        .await;
    response.assert_problem(413, "payload-too-large");
}

async fn wrong_content_type_is_415(app: TestApp) {
    let response = app
        .post("/api/v1/organizations")
        .bearer(&app.admin())
        .raw("text/plain", "code=X")
        .send()
        .await;
    response.assert_problem(415, "unsupported-media-type");
    // Policy first: a caller who may not create or change organizations learns that, whatever
    // it sent; the body (and its type) is looked at last.
    let viewer = app.token("viewer", Some("TH-35"));
    let id = app.org_id("YST-PEO").await;
    for request in [
        app.post("/api/v1/organizations"),
        app.patch(&format!("/api/v1/organizations/{id}")),
    ] {
        request
            .bearer(&viewer)
            .header("If-Match", "*")
            .raw("text/plain", "code=X")
            .send()
            .await
            .assert_problem(403, "forbidden");
    }
}

async fn bad_path_id_is_400(app: TestApp) {
    for path in [
        "/api/v1/organizations/abc",
        "/api/v1/organizations/99999999999999999999999",
    ] {
        let response = app.get(path).bearer(&app.admin()).send().await;
        let problem = response.assert_problem(400, "bad-request");
        assert_eq!(problem["errors"][0]["field"], "id");
    }
    app.get("/api/v1/organizations/-5")
        .bearer(&app.admin())
        .send()
        .await
        .assert_problem(404, "not-found");
}

async fn wrong_query_type_is_400(app: TestApp) {
    for (query, field) in [
        ("parent_id=abc", "parent_id"),
        ("kind=ministry", "kind"),
        ("limit=1.5", "limit"),
    ] {
        let response = app
            .get(&format!("/api/v1/organizations?{query}"))
            .bearer(&app.admin())
            .send()
            .await;
        let problem = response.assert_problem(400, "bad-request");
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
}

async fn unknown_path_is_404_and_wrong_method_405(app: TestApp) {
    app.get("/api/v1/nothing-here")
        .send()
        .await
        .assert_problem(404, "not-found");
    let response = app
        .request(actix_web::http::Method::PUT, "/api/v1/organizations/1")
        .send()
        .await;
    response.assert_problem(405, "method-not-allowed");
    assert_eq!(
        response.header("allow").as_deref(),
        Some("GET, HEAD, PATCH, DELETE")
    );
    // A literal path beside a template is its own resource: `/submissions/batch` takes only
    // POST, though `/submissions/{id}` takes GET, PATCH and DELETE.
    for method in [
        actix_web::http::Method::GET,
        actix_web::http::Method::PATCH,
        actix_web::http::Method::DELETE,
    ] {
        let response = app
            .request(method.clone(), "/api/v1/submissions/batch")
            .bearer(&app.admin())
            .send()
            .await;
        response.assert_problem(405, "method-not-allowed");
        assert_eq!(
            response.header("allow").as_deref(),
            Some("POST"),
            "{method}"
        );
    }
}

async fn rejected_requests_store_nothing(app: TestApp) {
    let before = organizations_snapshot(&app).await;
    let id = app.org_id("YST-PEO").await;
    let attempts = [
        app.post("/api/v1/organizations")
            .bearer(&app.admin())
            .raw("application/json", "[1,2"),
        app.post("/api/v1/organizations")
            .bearer(&app.admin())
            .json(&json!({"code": "TH-35", "name_th": "ซ้ำ", "kind": "province"})),
        app.patch(&format!("/api/v1/organizations/{id}"))
            .bearer(&app.admin())
            .header("If-Match", "\"9\"")
            .json(&json!({"name_th": "ใหม่"})),
        app.patch(&format!("/api/v1/organizations/{id}"))
            .bearer(&app.admin())
            .header("If-Match", "*")
            .json(&json!({"kind": "province"})),
        app.post("/api/v1/organizations")
            .bearer(&app.token("viewer", Some("TH-35")))
            .json(&json!({"code": "V1", "name_th": "ก", "kind": "agency"})),
    ];
    for attempt in attempts {
        let response = attempt.send().await;
        assert!(response.status.is_client_error(), "{:?}", response.status);
    }
    assert_eq!(organizations_snapshot(&app).await, before);
}

/// The service takes exactly the cursors and `Idempotency-Key`s the contract's patterns allow.
async fn cursors_and_idempotency_keys_are_what_the_contract_says(app: TestApp) {
    let first = app
        .get("/api/v1/organizations?limit=2")
        .bearer(&app.admin())
        .send()
        .await;
    first.assert_status(200);
    let cursor = first.json()["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_owned();
    let pattern = regex::Regex::new(provincial_kpi::http::routes::CURSOR_PATTERN).expect("regex");
    assert!(pattern.is_match(&cursor), "{cursor}");
    app.get(&format!("/api/v1/organizations?limit=2&cursor={cursor}"))
        .bearer(&app.admin())
        .send()
        .await
        .assert_status(200);
    // `id:+5`, `id:-0` and `id:` with 19 digits decoded before; the contract never allowed them.
    for refused in ["aWQ6KzU", "aWQ6LTA", "aWQ6MTExMTExMTExMTExMTExMTExMQ", ""] {
        let response = app
            .get(&format!("/api/v1/users?cursor={refused}"))
            .bearer(&app.admin())
            .send()
            .await;
        response.assert_problem(400, "bad-request");
        assert_eq!(response.error_fields(), vec!["cursor"], "{refused}");
        assert!(!pattern.is_match(refused));
    }
    let key =
        regex::Regex::new(provincial_kpi::http::extract::IDEMPOTENCY_KEY_PATTERN).expect("regex");
    for (value, accepted) in [
        ("a", true),
        ("~!{}", true),
        ("two words", false),
        ("คีย์", false),
    ] {
        assert_eq!(key.is_match(value), accepted, "{value}");
        let response = app
            .post("/api/v1/organizations")
            .bearer(&app.admin())
            .header("Idempotency-Key", value)
            .json(&json!({"code": format!("IK-{}", value.len()), "name_th": "ทดสอบ", "kind": "agency"}))
            .send()
            .await;
        if accepted {
            response.assert_status(201);
        } else {
            response.assert_problem(400, "bad-request");
            assert_eq!(response.error_fields(), vec!["Idempotency-Key"]);
        }
    }
}

/// E: a body is one JSON value and nothing after it but whitespace.
async fn trailing_bytes_after_the_body_are_refused(app: TestApp) {
    let before = organizations_snapshot(&app).await;
    for body in [
        r#"{"code":"TRAIL-1","name_th":"ทดสอบ","kind":"agency"} this is not JSON {{{"#,
        r#"{"code":"TRAIL-2","name_th":"ทดสอบ","kind":"agency"}{"code":"TRAIL-3"}"#,
        "{\"code\":\"TRAIL-4\",\"name_th\":\"ทดสอบ\",\"kind\":\"agency\"}\u{0}",
    ] {
        let response = app
            .post("/api/v1/organizations")
            .bearer(&app.admin())
            .raw("application/json", body.to_owned())
            .send()
            .await;
        let problem = response.assert_problem(400, "bad-request");
        assert_eq!(response.error_fields(), vec!["body"], "{problem}");
        assert!(
            problem["errors"][0]["message"]
                .as_str()
                .unwrap_or_default()
                .contains("trailing characters"),
            "{problem}"
        );
    }
    // Whitespace after the value is fine.
    app.post("/api/v1/organizations")
        .bearer(&app.admin())
        .raw(
            "application/json",
            "{\"code\":\"TRAIL-OK\",\"name_th\":\"ทดสอบ\",\"kind\":\"agency\"}\r\n\t ",
        )
        .send()
        .await
        .assert_status(201);
    let after = organizations_snapshot(&app).await;
    let created = after[0]["items"].as_array().map(|items| {
        items
            .iter()
            .filter(|o| o["code"].as_str().is_some_and(|c| c.starts_with("TRAIL")))
            .count()
    });
    assert_eq!(created, Some(1));
    assert_ne!(before, after);
}

/// F: control characters other than tab and line feed are refused in every text field, with
/// the field named, the same on both engines, and nothing is stored.
async fn control_characters_in_text_are_refused(app: TestApp) {
    let before = organizations_snapshot(&app).await;
    let id = app.org_id("YST-PEO").await;
    for (character, field) in [
        ('\0', "name_th"),
        ('\u{1b}', "name_th"),
        ('\r', "name_en"),
        ('\u{85}', "name_en"),
        // A right-to-left override shows a name reversed in exports ("Trojan Source").
        ('\u{202e}', "name_en"),
        ('\u{2066}', "name_th"),
    ] {
        let mut body =
            json!({"code": "CTRL-1", "name_th": "สำนักงาน", "name_en": "Office", "kind": "agency"});
        body[field] = json!(format!("สำนักงาน{character}ทดสอบ"));
        let response = app
            .post("/api/v1/organizations")
            .bearer(&app.admin())
            .json(&body)
            .send()
            .await;
        let problem = response.assert_problem(422, "validation");
        assert_eq!(response.error_fields(), vec![field], "{problem}");
        let patched = app
            .patch(&format!("/api/v1/organizations/{id}"))
            .bearer(&app.admin())
            .header("If-Match", "*")
            .raw(
                "application/merge-patch+json",
                json!({field: format!("x{character}")}).to_string(),
            )
            .send()
            .await;
        patched.assert_problem(422, "validation");
        assert_eq!(patched.error_fields(), vec![field]);
    }
    assert_eq!(organizations_snapshot(&app).await, before, "nothing stored");

    // Tab and line feed are text; the same on both engines.
    let fine = app
        .post("/api/v1/organizations")
        .bearer(&app.admin())
        .json(&json!({"code": "CTRL-OK", "name_th": "สำนักงาน\tพลังงาน\nจังหวัด", "kind": "agency"}))
        .send()
        .await;
    fine.assert_status(201);
    assert_eq!(fine.json()["name_th"], "สำนักงาน\tพลังงาน\nจังหวัด");

    // Nested fields are named by their path.
    let token = app.yasothon_admin();
    let evaluation = crate::fixtures::create_evaluation(&app, &token, 2565, None).await;
    let mut document: serde_json::Value =
        serde_json::to_value(provincial_kpi::demo::framework_document()).expect("json");
    document["components"][0]["indicators"][1]["name"] = json!("ไฟฟ้า\u{0}");
    document["components"][1]["name"] = json!("\u{7f}");
    let response = app
        .request(
            actix_web::http::Method::PUT,
            &format!("/api/v1/evaluations/{evaluation}/framework"),
        )
        .bearer(&token)
        .json(&document)
        .send()
        .await;
    response.assert_problem(422, "validation");
    assert_eq!(
        response.error_fields(),
        vec!["components[0].indicators[1].name", "components[1].name"]
    );
    let framework = app
        .get(&format!("/api/v1/evaluations/{evaluation}/framework"))
        .bearer(&token)
        .send()
        .await;
    framework.assert_status(200);
    assert_eq!(framework.json()["components"], json!([]), "nothing stored");
}

/// F, in query strings: `q` never reaches the database with a control character.
async fn control_characters_in_query_values_are_refused(app: TestApp) {
    for (query, field) in [
        ("q=%00", "q"),
        ("q=%E0%B8%81%0D", "q"),
        ("kind=agency&q=a%C2%85", "q"),
    ] {
        let response = app
            .get(&format!("/api/v1/organizations?{query}"))
            .bearer(&app.admin())
            .send()
            .await;
        response.assert_problem(400, "bad-request");
        assert_eq!(response.error_fields(), vec![field], "{query}");
    }
    let found = app
        .get(&format!(
            "/api/v1/organizations?q={}",
            crate::support::encode("พลังงาน")
        ))
        .bearer(&app.admin())
        .send()
        .await;
    found.assert_status(200);
    assert!(!found.json()["items"].as_array().expect("items").is_empty());
}

/// JSON Schema's `integer` includes `14.0`: the service takes what the contract allows.
async fn integral_fractions_are_integers(app: TestApp) {
    let province = app.org_id("TH-35").await;
    let response = app
        .post("/api/v1/organizations")
        .bearer(&app.admin())
        .raw(
            "application/json",
            format!(r#"{{"code":"FRAC-1","name_th":"ทดสอบ","kind":"district","parent_id":{province}.0}}"#),
        )
        .send()
        .await;
    response.assert_status(201);
    assert_eq!(response.json()["parent_id"], province);
    let fraction = app
        .post("/api/v1/organizations")
        .bearer(&app.admin())
        .raw(
            "application/json",
            format!(r#"{{"code":"FRAC-2","name_th":"ทดสอบ","kind":"district","parent_id":{province}.5}}"#),
        )
        .send()
        .await;
    fraction.assert_problem(400, "bad-request");
    assert_eq!(fraction.error_fields(), vec!["parent_id"]);
}

/// H: a trailing slash is the same resource (it used to be a 405 with `Allow: GET, POST`).
async fn a_trailing_slash_is_ignored(app: TestApp) {
    let plain = app
        .get("/api/v1/organizations?limit=3")
        .bearer(&app.admin())
        .send()
        .await;
    plain.assert_status(200);
    let slashed = app
        .get("/api/v1/organizations/?limit=3")
        .bearer(&app.admin())
        .send()
        .await;
    slashed.assert_status(200);
    assert_eq!(slashed.json(), plain.json());
    let created = app
        .post("/api/v1/organizations/")
        .bearer(&app.admin())
        .json(&json!({"code": "SLASH-1", "name_th": "ทดสอบ", "kind": "agency"}))
        .send()
        .await;
    created.assert_status(201);
    let id = created.json()["id"].as_i64().expect("id");
    let one = app
        .get(&format!("/api/v1/organizations/{id}/"))
        .bearer(&app.admin())
        .send()
        .await;
    one.assert_status(200);
    assert_eq!(one.json()["code"], "SLASH-1");
    app.get("/healthz/").send().await.assert_status(200);
    let wrong = app
        .request(
            actix_web::http::Method::PUT,
            &format!("/api/v1/organizations/{id}/"),
        )
        .bearer(&app.admin())
        .send()
        .await;
    wrong.assert_problem(405, "method-not-allowed");
    assert_eq!(
        wrong.header("allow").as_deref(),
        Some("GET, HEAD, PATCH, DELETE")
    );
    app.get("/api/v1/nothing-here/")
        .send()
        .await
        .assert_problem(404, "not-found");
    // Swagger UI keeps its slash.
    app.get("/swagger-ui/").send().await.assert_status(200);
    let redirect = app.get("/swagger-ui").send().await;
    redirect.assert_status(302);
    assert_eq!(redirect.header("location").as_deref(), Some("/swagger-ui/"));
}

/// H: HEAD on every GET route answers like GET, with no body (load balancers probe /healthz).
async fn head_is_answered_like_get_without_a_body(app: TestApp) {
    let head = |path: &str| app.request(actix_web::http::Method::HEAD, path);
    let health = head("/healthz").send().await;
    health.assert_status(200);
    assert!(health.body.is_empty(), "{:?}", health.body);
    assert_eq!(
        health.header("content-type").as_deref(),
        Some("application/json")
    );
    head("/readyz").send().await.assert_status(200);
    let id = app.org_id("YST-PEO").await;
    let get = app
        .get(&format!("/api/v1/organizations/{id}"))
        .bearer(&app.admin())
        .send()
        .await;
    let one = head(&format!("/api/v1/organizations/{id}/"))
        .bearer(&app.admin())
        .send()
        .await;
    one.assert_status(200);
    assert!(one.body.is_empty());
    assert_eq!(one.header("etag"), get.header("etag"));
    // The same checks as GET: a token is needed, scope applies.
    head("/api/v1/organizations")
        .send()
        .await
        .assert_status(401);
    let other_province = app.org_id("SPK-PO").await;
    let hidden = head(&format!("/api/v1/organizations/{other_province}"))
        .bearer(&app.yasothon_admin())
        .send()
        .await;
    assert_eq!(
        hidden.status.as_u16(),
        app.get(&format!("/api/v1/organizations/{other_province}"))
            .bearer(&app.yasothon_admin())
            .send()
            .await
            .status
            .as_u16()
    );
    // No GET, no HEAD.
    let token = head("/api/v1/auth/token").send().await;
    assert_eq!(token.status.as_u16(), 405);
    assert_eq!(token.header("allow").as_deref(), Some("POST"));
    assert!(token.body.is_empty());
    assert_eq!(head("/nope").send().await.status.as_u16(), 404);
    head("/swagger-ui/").send().await.assert_status(200);
    head("/api-docs/openapi.json")
        .send()
        .await
        .assert_status(200);
}
