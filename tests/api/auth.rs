//! Tokens, accounts, and the role × scope matrix of DESIGN.md section 5.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{encode, EncodingKey, Header};
use serde_json::{json, Value};

use crate::both_engines;
use crate::support::{TestApp, AUDIENCE, ISSUER, SECRET};

both_engines!(
    token_for_a_local_account,
    wrong_passwords_lock_the_username,
    invalid_tokens_are_401,
    me_tells_role_and_province,
    accounts_are_managed_within_scope,
    disabled_account_gets_no_token,
);

fn claims(overrides: Value) -> Value {
    let now = chrono::Utc::now().timestamp();
    let mut claims = json!({
        "sub": "someone", "name": "ทดสอบ", "role": "admin",
        "iat": now, "exp": now + 600, "iss": ISSUER, "aud": AUDIENCE
    });
    if let (Some(target), Some(patch)) = (claims.as_object_mut(), overrides.as_object()) {
        for (key, value) in patch {
            if value.is_null() {
                target.remove(key);
            } else {
                target.insert(key.clone(), value.clone());
            }
        }
    }
    claims
}

fn sign(claims: &Value, secret: &str) -> String {
    encode(
        &Header::default(),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("sign")
}

async fn login(app: &TestApp, username: &str, password: &str) -> crate::support::TestResponse {
    app.post("/api/v1/auth/token")
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
}

async fn token_for_a_local_account(app: TestApp) {
    let response = login(&app, "energy.officer", provincial_kpi::demo::DEMO_PASSWORD).await;
    response.assert_status(200);
    let body = response.json();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    let token = body["access_token"].as_str().expect("token");
    let me = app.get("/api/v1/me").bearer(token).send().await;
    me.assert_status(200);
    assert_eq!(me.json()["role"], "agency_officer");
    assert_eq!(me.json()["organization"]["code"], "YST-PEO");
    login(&app, "energy.officer", "not the password")
        .await
        .assert_problem(401, "unauthorized");
    login(&app, "nobody", "not the password")
        .await
        .assert_problem(401, "unauthorized");
}

async fn wrong_passwords_lock_the_username(app: TestApp) {
    for _ in 0..4 {
        login(&app, "health.officer", "wrong password!")
            .await
            .assert_problem(401, "unauthorized");
    }
    let fifth = login(&app, "health.officer", "wrong password!").await;
    fifth.assert_problem(429, "too-many-requests");
    assert!(fifth.header("retry-after").is_some());
    // Locked even with the right password, until the lock ends.
    login(&app, "health.officer", provincial_kpi::demo::DEMO_PASSWORD)
        .await
        .assert_problem(429, "too-many-requests");
    // Other usernames are not affected.
    login(&app, "energy.officer", provincial_kpi::demo::DEMO_PASSWORD)
        .await
        .assert_status(200);
}

async fn invalid_tokens_are_401(app: TestApp) {
    let now = chrono::Utc::now().timestamp();
    let valid = sign(&claims(json!({})), SECRET);
    let header_none = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims(json!({})).to_string());
    let mut edited: Vec<&str> = valid.split('.').collect();
    let escalated =
        URL_SAFE_NO_PAD.encode(claims(json!({"role": "admin", "sub": "intruder"})).to_string());
    edited[1] = &escalated;
    let cases = [
        (
            "expired",
            sign(
                &claims(json!({"exp": now - 3600, "iat": now - 7200})),
                SECRET,
            ),
        ),
        (
            "not yet valid",
            sign(&claims(json!({"nbf": now + 3600})), SECRET),
        ),
        (
            "wrong signature",
            sign(&claims(json!({})), "another-secret-another-secret-another"),
        ),
        (
            "wrong issuer",
            sign(&claims(json!({"iss": "evil"})), SECRET),
        ),
        (
            "wrong audience",
            sign(&claims(json!({"aud": "other-service"})), SECRET),
        ),
        ("no sub", sign(&claims(json!({"sub": null})), SECRET)),
        ("no exp", sign(&claims(json!({"exp": null})), SECRET)),
        ("alg none", format!("{header_none}.{payload}.")),
        ("edited after signing", edited.join(".")),
        ("truncated", valid[..valid.len() - 10].to_owned()),
        ("garbage", "not-a-token".to_owned()),
        (
            "unknown role",
            sign(&claims(json!({"role": "superuser"})), SECRET),
        ),
        (
            "unknown organization",
            sign(&claims(json!({"role": "viewer", "org": "NOPE"})), SECRET),
        ),
        (
            "province role without org",
            sign(&claims(json!({"role": "province_admin"})), SECRET),
        ),
    ];
    for (what, token) in cases {
        let response = app.get("/api/v1/me").bearer(&token).send().await;
        assert_eq!(
            response.status.as_u16(),
            401,
            "{what}: {}",
            String::from_utf8_lossy(&response.body)
        );
        assert!(
            response
                .header("www-authenticate")
                .is_some_and(|h| h.starts_with("Bearer")),
            "{what}"
        );
    }
    let missing = app.get("/api/v1/me").send().await;
    missing.assert_problem(401, "unauthorized");
    let basic = app
        .get("/api/v1/me")
        .header("Authorization", "Basic YWRtaW46YWRtaW4=")
        .send()
        .await;
    basic.assert_problem(401, "unauthorized");
    // A small leeway for clock skew, and the valid token works.
    app.get("/api/v1/me")
        .bearer(&valid)
        .send()
        .await
        .assert_status(200);
}

async fn me_tells_role_and_province(app: TestApp) {
    let me = app
        .get("/api/v1/me")
        .bearer(&app.token("supervisor", Some("YST-PO")))
        .send()
        .await;
    me.assert_status(200);
    assert_eq!(me.json()["province"]["code"], "TH-35");
    let national = app
        .get("/api/v1/me")
        .bearer(&app.token("viewer", None))
        .send()
        .await;
    assert!(national.json()["organization"].is_null());
}

async fn accounts_are_managed_within_scope(app: TestApp) {
    let yst_admin = app.yasothon_admin();
    let peo = app.org_id("YST-PEO").await;
    let spk = app.org_id("SPK-PO").await;
    let new_user = |username: &str, role: &str, org: Option<i64>| {
        json!({"username": username, "display_name": "มานี มีนา", "password": "a long enough password",
               "role": role, "organization_id": org})
    };
    let created = app
        .post("/api/v1/users")
        .bearer(&yst_admin)
        .json(&new_user("manee.peo", "agency_officer", Some(peo)))
        .send()
        .await;
    created.assert_status(201);
    assert!(created.json().get("password_hash").is_none());
    assert_eq!(created.json()["organization_code"], "YST-PEO");
    // Nobody gives a role above their own.
    app.post("/api/v1/users")
        .bearer(&yst_admin)
        .json(&new_user("sneaky", "admin", None))
        .send()
        .await
        .assert_problem(403, "forbidden");
    // Another province's organization does not exist for a Yasothon admin.
    let outside = app
        .post("/api/v1/users")
        .bearer(&yst_admin)
        .json(&new_user("outsider", "agency_officer", Some(spk)))
        .send()
        .await;
    outside.assert_problem(422, "validation");
    assert_eq!(outside.error_fields(), vec!["organization_id"]);
    // Weak password and duplicate username.
    let weak = app.post("/api/v1/users").bearer(&yst_admin).json(&json!({"username": "x1y", "display_name": "ก", "password": "short", "role": "viewer", "organization_id": peo})).send().await;
    assert_eq!(weak.error_fields(), vec!["password"]);
    app.post("/api/v1/users")
        .bearer(&yst_admin)
        .json(&new_user("manee.peo", "agency_officer", Some(peo)))
        .send()
        .await
        .assert_problem(409, "duplicate");
    // Lists show only the province's accounts.
    let listed = app
        .get("/api/v1/users?limit=500")
        .bearer(&yst_admin)
        .send()
        .await
        .json();
    let usernames: Vec<&str> = listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|u| u["username"].as_str())
        .collect();
    assert!(usernames.contains(&"manee.peo"));
    assert!(!usernames.contains(&"samutprakan.admin"));
    assert!(!usernames.contains(&"admin"));
    // Reset the password, then log in with it.
    let id = created.json()["id"].as_i64().expect("id");
    app.patch(&format!("/api/v1/users/{id}"))
        .bearer(&yst_admin)
        .header("If-Match", "\"1\"")
        .json(&json!({"password": "a brand new long password"}))
        .send()
        .await
        .assert_status(200);
    login(&app, "manee.peo", "a brand new long password")
        .await
        .assert_status(200);
    // The audit trail records the reset, never the password.
    let audit = app
        .get(&format!(
            "/api/v1/audit-events?entity_type=user&entity_id={id}"
        ))
        .bearer(&yst_admin)
        .send()
        .await;
    let text = String::from_utf8_lossy(&audit.body).to_string();
    assert!(text.contains("\"password_changed\":true"));
    assert!(!text.contains("brand new"));
    assert!(!text.contains("argon2"));
}

async fn disabled_account_gets_no_token(app: TestApp) {
    let listed = app
        .get("/api/v1/users?limit=500")
        .bearer(&app.admin())
        .send()
        .await
        .json();
    let id = listed["items"]
        .as_array()
        .and_then(|items| items.iter().find(|u| u["username"] == "energy.officer"))
        .and_then(|u| u["id"].as_i64())
        .expect("energy.officer");
    app.patch(&format!("/api/v1/users/{id}"))
        .bearer(&app.yasothon_admin())
        .header("If-Match", "*")
        .json(&json!({"disabled": true}))
        .send()
        .await
        .assert_status(200);
    login(&app, "energy.officer", provincial_kpi::demo::DEMO_PASSWORD)
        .await
        .assert_problem(401, "unauthorized");
}
