//! `/api/v1/organizations`: CRUD, tree rules, search, pagination, ETags, idempotency.

use serde_json::json;

use crate::both_engines;
use crate::fixtures::{draft_indicator, post, sql};
use crate::support::TestApp;

both_engines!(
    create_read_update_delete,
    province_parent_must_be_country_or_none,
    duplicate_code_is_a_conflict_and_stores_nothing,
    search_matches_thai_and_english_names,
    cursor_pagination_walks_every_row_once,
    stale_or_missing_if_match_is_refused,
    referenced_organization_cannot_be_deleted,
    idempotency_key_replays_the_first_response,
    patch_cannot_touch_read_only_fields,
    moving_an_agency_follows_its_province,
    concurrent_patches_with_one_etag_let_only_one_through,
    repeat_while_the_first_runs_is_409,
    an_unreadable_stored_kind_is_an_error_not_a_guess,
    a_burst_of_one_code_in_several_cases_creates_one,
    a_move_into_another_province_keeps_assignments_true,
);

/// An organization assigned in Yasothon's evaluation (or with a unit below it that is) cannot
/// move under Samut Prakan: the assignment would name an organization of another province.
/// National status is fine (a regional unit may serve any province), and so is a move once the
/// assignments are gone.
async fn a_move_into_another_province_keeps_assignments_true(app: TestApp) {
    use crate::fixtures::demo_evaluation;
    let admin = app.admin();
    demo_evaluation(&app, &app.yasothon_admin(), Some(("2021-09", "2022-09"))).await;
    let samut_prakan = app.org_id("TH-11").await;
    let energy = app.org_id("YST-PEO").await;
    let office = app.org_id("YST-PO").await;
    let move_to = |id: i64, parent: Option<i64>| {
        app.patch(&format!("/api/v1/organizations/{id}"))
            .bearer(&admin)
            .header("If-Match", "*")
            .json(&json!({"parent_id": parent}))
            .send()
    };
    // YST-PEO hosts E.1 and E.2 of Yasothon's evaluation.
    let refused = move_to(energy, Some(samut_prakan)).await;
    refused.assert_problem(409, "referenced");
    // YST-PO supervises every indicator, and its units (YST-PO-HR hosts 2.2) would move with it.
    let province = app.org_id("TH-35").await;
    let unit = app
        .post("/api/v1/organizations")
        .bearer(&admin)
        .json(&json!({"code": "YST-PO-X", "name_th": "หน่วยย่อย", "kind": "agency", "parent_id": office}))
        .send()
        .await;
    unit.assert_status(201);
    move_to(office, Some(samut_prakan))
        .await
        .assert_problem(409, "referenced");
    let read = app
        .get(&format!("/api/v1/organizations/{energy}"))
        .bearer(&admin)
        .send()
        .await
        .json();
    assert_eq!(read["province_id"], province, "nothing moved");
    // To no province at all (a national unit): still fine for Yasothon's assignments.
    move_to(energy, None).await.assert_status(200);
    move_to(energy, Some(province)).await.assert_status(200);
    // An unassigned unit moves freely.
    let unit_id = unit.json()["id"].as_i64().expect("id");
    move_to(unit_id, Some(samut_prakan))
        .await
        .assert_status(200);
}

/// Codes are unique ignoring case under concurrency too: the friendly check and the unique
/// index on lower(code) together let exactly one of a burst through, the rest are 409s.
async fn a_burst_of_one_code_in_several_cases_creates_one(app: TestApp) {
    let token = app.admin();
    let province = app.org_id("TH-35").await;
    let spellings = [
        "YST-LAND", "yst-land", "Yst-Land", "YST-land", "yst-LAND", "YsT-lAnD",
    ];
    for round in 0..3 {
        let codes: Vec<String> = spellings.iter().map(|c| format!("{c}{round}")).collect();
        let burst = codes.iter().map(|code| {
            app.post("/api/v1/organizations")
                .bearer(&token)
                .json(&json!({"code": code, "name_th": "สำนักงานที่ดินจังหวัดยโสธร", "kind": "agency", "parent_id": province}))
                .send()
        });
        let responses = futures_util::future::join_all(burst).await;
        let mut statuses: Vec<u16> = responses.iter().map(|r| r.status.as_u16()).collect();
        statuses.sort();
        assert_eq!(statuses, [201, 409, 409, 409, 409, 409], "round {round}");
        for refused in responses.iter().filter(|r| r.status.as_u16() == 409) {
            refused.assert_problem(409, "duplicate");
            assert_eq!(refused.error_fields(), vec!["code"], "round {round}");
        }
        let found = app
            .get(&format!("/api/v1/organizations?q=yst-land{round}"))
            .bearer(&token)
            .send()
            .await
            .json();
        assert_eq!(
            found["items"].as_array().map(Vec::len),
            Some(1),
            "round {round}"
        );
    }
}

/// A stored kind the code does not know (corruption, or a row from a newer version) is never
/// read as some other kind: the read fails as an internal error (logged), without a panic.
async fn an_unreadable_stored_kind_is_an_error_not_a_guess(app: TestApp) {
    let id = app.org_id("YST-PEO").await;
    // Past the CHECK constraint the way corruption would be: on SQLite with checks off; on
    // PostgreSQL by dropping the constraint first.
    let corrupt = format!("UPDATE organizations SET kind = 'ministry' WHERE id = {id};");
    sql(
        &app,
        &format!("PRAGMA ignore_check_constraints = ON; {corrupt}"),
        &format!("ALTER TABLE organizations DROP CONSTRAINT organizations_kind_check; {corrupt}"),
    );
    let response = app
        .get(&format!("/api/v1/organizations/{id}"))
        .bearer(&app.admin())
        .send()
        .await;
    let problem = response.assert_problem(500, "internal");
    assert!(
        !problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("ministry"),
        "the stored value is logged, not shown: {problem}"
    );
}

async fn repeat_while_the_first_runs_is_409(app: TestApp) {
    use provincial_kpi::storage::idempotency::{self, Claim, KeyedRequest};
    use provincial_kpi::storage::{write_transaction, ConnectionManager};
    let body = json!({"code": "YST-SLOW", "name_th": "หน่วยงานช้า", "kind": "agency"});
    // A first request with this key is in flight (claimed, not completed), as another
    // instance would leave it mid-request.
    let mut conn = ConnectionManager::new(app.config.database_url.clone())
        .establish()
        .expect("connect");
    let keyed = KeyedRequest {
        actor: "test-admin".into(),
        path: "/api/v1/organizations".into(),
        key: "in-flight".into(),
        request_hash: {
            use sha2::Digest;
            sha2::Sha256::digest(body.to_string().as_bytes())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect()
        },
    };
    let claimed = write_transaction(&mut conn, |c| idempotency::claim(c, &keyed)).expect("claim");
    assert!(matches!(claimed, Claim::Proceed));
    let repeat = app
        .post("/api/v1/organizations")
        .bearer(&app.admin())
        .header("Idempotency-Key", "in-flight")
        .json(&body)
        .send()
        .await;
    repeat.assert_problem(409, "idempotency-in-progress");
    let other_body = app
        .post("/api/v1/organizations")
        .bearer(&app.admin())
        .header("Idempotency-Key", "in-flight")
        .json(&json!({"code": "X"}))
        .send()
        .await;
    // The key is a precondition, checked before the body is read.
    other_body.assert_problem(422, "idempotency-key-reused");
    // Once released (the first failed), the same request goes through.
    write_transaction(&mut conn, |c| idempotency::release(c, &keyed)).expect("release");
    app.post("/api/v1/organizations")
        .bearer(&app.admin())
        .header("Idempotency-Key", "in-flight")
        .json(&body)
        .send()
        .await
        .assert_status(201);
}

async fn concurrent_patches_with_one_etag_let_only_one_through(app: TestApp) {
    let id = app.org_id("YST-PEO").await;
    let path = format!("/api/v1/organizations/{id}");
    let token = app.admin();
    for round in 0..5 {
        let etag = app
            .get(&path)
            .bearer(&token)
            .send()
            .await
            .header("etag")
            .expect("etag");
        let first = app
            .patch(&path)
            .bearer(&token)
            .header("If-Match", &etag)
            .json(&json!({"name_en": format!("A{round}")}))
            .send();
        let second = app
            .patch(&path)
            .bearer(&token)
            .header("If-Match", &etag)
            .json(&json!({"name_en": format!("B{round}")}))
            .send();
        let (a, b) = futures_util::future::join(first, second).await;
        let mut statuses = [a.status.as_u16(), b.status.as_u16()];
        statuses.sort();
        assert_eq!(
            statuses,
            [200, 412],
            "round {round}: {} / {}",
            String::from_utf8_lossy(&a.body),
            String::from_utf8_lossy(&b.body)
        );
    }
    let read = app.get(&path).bearer(&token).send().await.json();
    assert_eq!(read["version"], 6, "five changes, none lost");
}

async fn create_read_update_delete(app: TestApp) {
    let token = app.yasothon_admin();
    let province = app.org_id("TH-35").await;
    let created = app
        .post("/api/v1/organizations")
        .bearer(&token)
        .json(&json!({
            "code": "YST-PAO",
            "name_th": "องค์การบริหารส่วนจังหวัดยโสธร",
            "name_en": "Yasothon Provincial Administrative Organization",
            "kind": "local_government",
            "parent_id": province
        }))
        .send()
        .await;
    created.assert_status(201);
    let body = created.json();
    let id = body["id"].as_i64().expect("id");
    assert_eq!(
        created.header("location"),
        Some(format!("/api/v1/organizations/{id}"))
    );
    assert_eq!(created.header("etag").as_deref(), Some("\"1\""));
    assert_eq!(body["province_id"], province);
    assert_eq!(body["name_th"], "องค์การบริหารส่วนจังหวัดยโสธร");

    let read = app
        .get(&format!("/api/v1/organizations/{id}"))
        .bearer(&token)
        .send()
        .await;
    read.assert_status(200);
    assert_eq!(read.header("etag").as_deref(), Some("\"1\""));
    assert_eq!(read.json(), body);

    let patched = app
        .patch(&format!("/api/v1/organizations/{id}"))
        .bearer(&token)
        .header("If-Match", "\"1\"")
        .raw(
            "application/merge-patch+json",
            json!({"name_en": null}).to_string(),
        )
        .send()
        .await;
    patched.assert_status(200);
    assert_eq!(patched.header("etag").as_deref(), Some("\"2\""));
    assert!(patched.json()["name_en"].is_null());
    assert_eq!(patched.json()["name_th"], "องค์การบริหารส่วนจังหวัดยโสธร");

    app.delete(&format!("/api/v1/organizations/{id}"))
        .bearer(&token)
        .send()
        .await
        .assert_status(204);
    app.get(&format!("/api/v1/organizations/{id}"))
        .bearer(&token)
        .send()
        .await
        .assert_problem(404, "not-found");

    // Every change is in the audit trail, with the actor.
    let audit = app
        .get(&format!(
            "/api/v1/audit-events?entity_type=organization&entity_id={id}"
        ))
        .bearer(&token)
        .send()
        .await;
    audit.assert_status(200);
    let actions: Vec<_> = audit.json()["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap_or("").to_owned(),
                e["actor"].clone(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        vec![
            ("create".to_owned(), json!("test-province_admin")),
            ("update".to_owned(), json!("test-province_admin")),
            ("delete".to_owned(), json!("test-province_admin")),
        ]
    );
}

async fn province_parent_must_be_country_or_none(app: TestApp) {
    let agency = app.org_id("YST-PEO").await;
    let response = app
        .post("/api/v1/organizations")
        .bearer(&app.admin())
        .json(&json!({"code": "TH-32", "name_th": "จังหวัดสุรินทร์", "kind": "province", "parent_id": agency}))
        .send()
        .await;
    response.assert_problem(422, "validation");
    assert_eq!(response.error_fields(), vec!["parent_id"]);

    let bad_code = app
        .post("/api/v1/organizations")
        .bearer(&app.admin())
        .json(&json!({"code": "SURIN", "name_th": "", "kind": "province"}))
        .send()
        .await;
    bad_code.assert_problem(422, "validation");
    assert_eq!(
        bad_code.error_fields(),
        vec!["code", "name_th"],
        "every problem at once"
    );

    let country = app.org_id("TH").await;
    app.post("/api/v1/organizations")
        .bearer(&app.admin())
        .json(&json!({"code": "TH-32", "name_th": "จังหวัดสุรินทร์", "kind": "province", "parent_id": country}))
        .send()
        .await
        .assert_status(201);
}

async fn duplicate_code_is_a_conflict_and_stores_nothing(app: TestApp) {
    let before = app
        .get("/api/v1/organizations?limit=500")
        .bearer(&app.admin())
        .send()
        .await
        .json();
    let response = app
        .post("/api/v1/organizations")
        .bearer(&app.admin())
        .json(&json!({"code": "YST-PEO", "name_th": "ซ้ำ", "kind": "agency"}))
        .send()
        .await;
    let problem = response.assert_problem(409, "duplicate");
    assert_eq!(problem["errors"][0]["field"], "code");
    // Codes are unique ignoring case: integrations and tokens name things by code.
    let other_case = app
        .post("/api/v1/organizations")
        .bearer(&app.admin())
        .json(&json!({"code": "yst-peo", "name_th": "ซ้ำ", "kind": "agency"}))
        .send()
        .await;
    let problem = other_case.assert_problem(409, "duplicate");
    assert_eq!(problem["errors"][0]["field"], "code");
    let after = app
        .get("/api/v1/organizations?limit=500")
        .bearer(&app.admin())
        .send()
        .await
        .json();
    assert_eq!(before, after);
}

async fn search_matches_thai_and_english_names(app: TestApp) {
    let token = app.token("viewer", Some("TH-35"));
    let codes = |response: &crate::support::TestResponse| -> Vec<String> {
        response.json()["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|item| item["code"].as_str().unwrap_or("").to_owned())
            .collect()
    };
    let thai = app
        .get(&format!(
            "/api/v1/organizations?q={}",
            crate::support::encode("พลังงาน")
        ))
        .bearer(&token)
        .send()
        .await;
    thai.assert_status(200);
    assert_eq!(codes(&thai), vec!["YST-PEO"]);
    // Latin letters match whatever their case.
    let english = app
        .get("/api/v1/organizations?q=ENERGY%20office")
        .bearer(&token)
        .send()
        .await;
    assert_eq!(codes(&english), vec!["YST-PEO"]);
    // Wildcards are literal characters.
    let percent = app
        .get("/api/v1/organizations?q=%25")
        .bearer(&token)
        .send()
        .await;
    assert!(codes(&percent).is_empty());
    let districts = app
        .get("/api/v1/organizations?kind=district&limit=500")
        .bearer(&token)
        .send()
        .await;
    assert_eq!(codes(&districts).len(), 9, "Yasothon has nine districts");
    // A Yasothon viewer never sees Samut Prakan's units, whatever the filter.
    let other = app
        .get(&format!(
            "/api/v1/organizations?q={}",
            crate::support::encode("สมุทรปราการ")
        ))
        .bearer(&token)
        .send()
        .await;
    assert!(codes(&other).is_empty());
    let national = app
        .get(&format!(
            "/api/v1/organizations?q={}",
            crate::support::encode("ร้อยเอ็ด")
        ))
        .bearer(&token)
        .send()
        .await;
    assert_eq!(
        codes(&national),
        vec!["RD-RET"],
        "national and regional units are shared"
    );
}

async fn cursor_pagination_walks_every_row_once(app: TestApp) {
    let token = app.admin();
    let everything = app
        .get("/api/v1/organizations?limit=500")
        .bearer(&token)
        .send()
        .await
        .json();
    let total = everything["items"].as_array().expect("items").len();
    assert!(everything["next_cursor"].is_null());
    let mut seen = Vec::new();
    let mut path = "/api/v1/organizations?limit=4".to_owned();
    loop {
        let page = app.get(&path).bearer(&token).send().await;
        page.assert_status(200);
        let body = page.json();
        let items = body["items"].as_array().expect("items");
        assert!(items.len() <= 4);
        seen.extend(items.iter().map(|item| item["id"].as_i64().expect("id")));
        match body["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/organizations?limit=4&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), total);
    assert!(
        seen.windows(2).all(|pair| pair[0] < pair[1]),
        "ordered by id, no repeats"
    );

    // `aWQ6KzM` is `id:+3`: it decodes to an id, but it is no cursor the contract allows.
    for bad in [
        "limit=0",
        "limit=501",
        "limit=abc",
        "cursor=nonsense",
        "cursor=aWQ6KzM",
    ] {
        let response = app
            .get(&format!("/api/v1/organizations?{bad}"))
            .bearer(&token)
            .send()
            .await;
        let problem = response.assert_problem(400, "bad-request");
        let field = bad.split('=').next().unwrap_or_default();
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
}

async fn stale_or_missing_if_match_is_refused(app: TestApp) {
    let id = app.org_id("YST-PEO").await;
    let path = format!("/api/v1/organizations/{id}");
    let token = app.yasothon_admin();
    let patch = json!({"name_en": "Provincial Energy Office"});
    app.patch(&path)
        .bearer(&token)
        .json(&patch)
        .send()
        .await
        .assert_problem(428, "precondition-required");
    app.patch(&path)
        .bearer(&token)
        .header("If-Match", "\"7\"")
        .json(&patch)
        .send()
        .await
        .assert_problem(412, "precondition-failed");
    let read = app.get(&path).bearer(&token).send().await;
    assert_eq!(read.json()["version"], 1, "nothing changed");
    let etag = read.header("etag").expect("etag");
    app.patch(&path)
        .bearer(&token)
        .header("If-Match", &etag)
        .json(&patch)
        .send()
        .await
        .assert_status(200);
    // The same ETag again is now stale: a lost update is refused.
    app.patch(&path)
        .bearer(&token)
        .header("If-Match", &etag)
        .json(&json!({"name_en": "x"}))
        .send()
        .await
        .assert_problem(412, "precondition-failed");
}

/// An organization something refers to (units under it, accounts, an indicator's assignment)
/// cannot be deleted: 409, and it stays.
async fn referenced_organization_cannot_be_deleted(app: TestApp) {
    let admin = app.admin();
    let province = app.org_id("TH-35").await;
    let response = app
        .delete(&format!("/api/v1/organizations/{province}"))
        .bearer(&admin)
        .send()
        .await;
    response.assert_problem(409, "referenced");
    app.get(&format!("/api/v1/organizations/{province}"))
        .bearer(&admin)
        .send()
        .await
        .assert_status(200);
    // An organization with accounts is referenced too.
    let energy = app.org_id("YST-PEO").await;
    app.delete(&format!("/api/v1/organizations/{energy}"))
        .bearer(&admin)
        .send()
        .await
        .assert_problem(409, "referenced");
    // So is one an indicator is assigned to; deleting the indicator (of a draft) takes its
    // assignments along, and then the organization goes.
    let land = post(&app, &admin, "/api/v1/organizations", json!({"code": "YST-LAND", "name_th": "สำนักงานที่ดินจังหวัดยโสธร", "kind": "agency", "parent_id": province})).await;
    let (_, indicator) = draft_indicator(&app, &admin, json!({})).await;
    post(
        &app,
        &admin,
        &format!("/api/v1/indicators/{}/assignments", indicator["id"]),
        json!({"organization_id": land["id"], "role": "host"}),
    )
    .await;
    let land_path = format!("/api/v1/organizations/{}", land["id"]);
    app.delete(&land_path)
        .bearer(&admin)
        .send()
        .await
        .assert_problem(409, "referenced");
    app.get(&land_path)
        .bearer(&admin)
        .send()
        .await
        .assert_status(200);
    app.delete(&format!("/api/v1/indicators/{}", indicator["id"]))
        .bearer(&admin)
        .send()
        .await
        .assert_status(204);
    app.delete(&land_path)
        .bearer(&admin)
        .send()
        .await
        .assert_status(204);
}

async fn idempotency_key_replays_the_first_response(app: TestApp) {
    let token = app.yasothon_admin();
    let province = app.org_id("TH-35").await;
    let body = json!({"code": "YST-LAND", "name_th": "สำนักงานที่ดินจังหวัดยโสธร", "kind": "agency", "parent_id": province});
    let first = app
        .post("/api/v1/organizations")
        .bearer(&token)
        .header("Idempotency-Key", "3f0c6a52-0d1f-4b8e-a1f4-1c2d3e4f5a6b")
        .json(&body)
        .send()
        .await;
    first.assert_status(201);
    let again = app
        .post("/api/v1/organizations")
        .bearer(&token)
        .header("Idempotency-Key", "3f0c6a52-0d1f-4b8e-a1f4-1c2d3e4f5a6b")
        .json(&body)
        .send()
        .await;
    again.assert_status(201);
    assert_eq!(
        again.json(),
        first.json(),
        "the first response, not a second row"
    );
    assert_eq!(again.header("location"), first.header("location"));

    let other_body = app
        .post("/api/v1/organizations")
        .bearer(&token)
        .header("Idempotency-Key", "3f0c6a52-0d1f-4b8e-a1f4-1c2d3e4f5a6b")
        .json(
            &json!({"code": "YST-OTHER", "name_th": "อื่น", "kind": "agency", "parent_id": province}),
        )
        .send()
        .await;
    other_body.assert_problem(422, "idempotency-key-reused");
    // The key is scoped to the caller: another caller's same key is a new request.
    let other_caller = app
        .post("/api/v1/organizations")
        .bearer(&app.admin())
        .header("Idempotency-Key", "3f0c6a52-0d1f-4b8e-a1f4-1c2d3e4f5a6b")
        .json(&json!({"code": "YST-LAND2", "name_th": "สำนักงานที่ดินจังหวัดยโสธร สาขา", "kind": "agency", "parent_id": province}))
        .send()
        .await;
    other_caller.assert_status(201);
    // A failed first attempt does not burn the key.
    let failing = json!({"code": "", "name_th": "x", "kind": "agency"});
    app.post("/api/v1/organizations")
        .bearer(&token)
        .header("Idempotency-Key", "retry-me")
        .json(&failing)
        .send()
        .await
        .assert_problem(422, "validation");
    app.post("/api/v1/organizations")
        .bearer(&token)
        .header("Idempotency-Key", "retry-me")
        .json(&json!({"code": "YST-RETRY", "name_th": "ลองใหม่", "kind": "agency", "parent_id": province}))
        .send()
        .await
        .assert_status(201);
}

async fn patch_cannot_touch_read_only_fields(app: TestApp) {
    let id = app.org_id("YST-PEO").await;
    let response = app
        .patch(&format!("/api/v1/organizations/{id}"))
        .bearer(&app.admin())
        .header("If-Match", "*")
        .json(&json!({"province_id": 999, "name_th": "x"}))
        .send()
        .await;
    response.assert_problem(400, "bad-request");
    assert_eq!(response.error_fields(), vec!["province_id"]);
    let patch_array = app
        .patch(&format!("/api/v1/organizations/{id}"))
        .bearer(&app.admin())
        .header("If-Match", "*")
        .json(&json!([{"op": "replace"}]))
        .send()
        .await;
    patch_array.assert_problem(400, "bad-request");
    // `null` removes a member (RFC 7396): a required one cannot be cleared, as the contract
    // says (not nullable), rather than silently reset; an optional one can.
    let cleared_required = app
        .patch(&format!("/api/v1/organizations/{id}"))
        .bearer(&app.admin())
        .header("If-Match", "*")
        .json(&json!({"name_th": null}))
        .send()
        .await;
    cleared_required.assert_problem(400, "bad-request");
    assert_eq!(cleared_required.error_fields(), vec!["name_th"]);
    let read = app
        .get(&format!("/api/v1/organizations/{id}"))
        .bearer(&app.admin())
        .send()
        .await;
    assert_eq!(read.json()["name_th"], "สำนักงานพลังงานจังหวัดยโสธร");
    assert_eq!(read.json()["version"], 1, "nothing stored");
    app.patch(&format!("/api/v1/organizations/{id}"))
        .bearer(&app.admin())
        .header("If-Match", "*")
        .json(&json!({"name_en": null}))
        .send()
        .await
        .assert_status(200);
    let spec: serde_json::Value =
        serde_json::from_str(&provincial_kpi::cli::openapi_json().expect("spec")).expect("json");
    let patch_schema = &spec["components"]["schemas"]["OrganizationPatch"]["properties"];
    assert_eq!(patch_schema["name_th"]["type"], "string", "not nullable");
    assert_eq!(patch_schema["name_en"]["type"], json!(["string", "null"]));
}

async fn moving_an_agency_follows_its_province(app: TestApp) {
    let samut_prakan = app.org_id("TH-11").await;
    let admin = app.admin();
    let created = app
        .post("/api/v1/organizations")
        .bearer(&admin)
        .json(&json!({"code": "MOVE-ME", "name_th": "หน่วยงานย้ายสังกัด", "kind": "agency"}))
        .send()
        .await;
    created.assert_status(201);
    assert!(
        created.json()["province_id"].is_null(),
        "no province above it"
    );
    let id = created.json()["id"].as_i64().expect("id");
    let moved = app
        .patch(&format!("/api/v1/organizations/{id}"))
        .bearer(&admin)
        .header("If-Match", "\"1\"")
        .json(&json!({"parent_id": samut_prakan}))
        .send()
        .await;
    moved.assert_status(200);
    assert_eq!(moved.json()["province_id"], samut_prakan);
    // Now out of Yasothon's sight.
    app.get(&format!("/api/v1/organizations/{id}"))
        .bearer(&app.yasothon_admin())
        .send()
        .await
        .assert_problem(404, "not-found");
    // And an organization cannot be placed under itself.
    app.patch(&format!("/api/v1/organizations/{id}"))
        .bearer(&admin)
        .header("If-Match", "*")
        .json(&json!({"parent_id": id}))
        .send()
        .await
        .assert_problem(422, "validation");
}
