//! Local accounts: scope, the one set of account rules (API and command line), tokens that
//! follow the account, and no password hash before policy.

use std::process::Command;

use serde_json::{json, Value};

use crate::auth::{hashes, login, login_token, sign};
use crate::both_engines;
use crate::support::{TestApp, SECRET};

both_engines!(
    accounts_are_managed_within_scope,
    disabled_account_gets_no_token,
    a_disabled_accounts_token_stops_working,
    role_and_organization_changes_take_effect_on_the_next_request,
    tokens_issued_before_a_reset_or_reenable_are_refused,
    only_an_admin_creates_or_grants_integration,
    no_hash_before_policy,
    usernames_are_unique_ignoring_case,
    a_patch_keeps_what_it_does_not_name,
);

fn new_user(username: &str, role: &str, org: Option<i64>) -> Value {
    json!({"username": username, "display_name": "มานี มีนา", "password": "a long enough password",
           "role": role, "organization_id": org})
}

/// The id of an account by username (as admin).
pub(crate) async fn user_id(app: &TestApp, username: &str) -> i64 {
    let listed = app
        .get("/api/v1/users?limit=500")
        .bearer(&app.admin())
        .send()
        .await
        .json();
    listed["items"]
        .as_array()
        .and_then(|items| items.iter().find(|u| u["username"] == username))
        .and_then(|u| u["id"].as_i64())
        .unwrap_or_else(|| panic!("no account {username}"))
}

/// An admin's PATCH of an account, whatever its version.
async fn admin_patch(app: &TestApp, id: i64, patch: Value) -> Value {
    let response = app
        .patch(&format!("/api/v1/users/{id}"))
        .bearer(&app.admin())
        .header("If-Match", "*")
        .json(&patch)
        .send()
        .await;
    response.assert_status(200);
    response.json()
}

async fn accounts_are_managed_within_scope(app: TestApp) {
    let yst_admin = app.yasothon_admin();
    let peo = app.org_id("YST-PEO").await;
    let spk = app.org_id("SPK-PO").await;
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
    let id = user_id(&app, "energy.officer").await;
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

/// Issue 9 B: after an admin disables an account, the token it already holds neither reads,
/// nor re-enables the account, nor creates accounts.
async fn a_disabled_accounts_token_stops_working(app: TestApp) {
    let token = login_token(&app, "yasothon.admin").await;
    let own_id = user_id(&app, "yasothon.admin").await;
    let peo = app.org_id("YST-PEO").await;
    app.get("/api/v1/me")
        .bearer(&token)
        .send()
        .await
        .assert_status(200);
    admin_patch(&app, own_id, json!({"disabled": true})).await;
    app.get("/api/v1/me")
        .bearer(&token)
        .send()
        .await
        .assert_problem(401, "unauthorized");
    app.patch(&format!("/api/v1/users/{own_id}"))
        .bearer(&token)
        .header("If-Match", "*")
        .json(&json!({"disabled": false}))
        .send()
        .await
        .assert_problem(401, "unauthorized");
    app.post("/api/v1/users")
        .bearer(&token)
        .json(&new_user("new.province.admin", "province_admin", Some(peo)))
        .send()
        .await
        .assert_problem(401, "unauthorized");
    // A token naming the account in other letter case is the same account's.
    app.get("/api/v1/me")
        .bearer(&old_token(
            "YASOTHON.ADMIN",
            "province_admin",
            Some("YST-PO"),
            0,
        ))
        .send()
        .await
        .assert_problem(401, "unauthorized");
    let account = app
        .get(&format!("/api/v1/users/{own_id}"))
        .bearer(&app.admin())
        .send()
        .await
        .json();
    assert_eq!(account["disabled"], true);
}

/// Issue 9 B: a demoted province admin's token no longer lists accounts; a moved officer's
/// token speaks for its new organization.
async fn role_and_organization_changes_take_effect_on_the_next_request(app: TestApp) {
    let token = login_token(&app, "yasothon.admin").await;
    app.get("/api/v1/users")
        .bearer(&token)
        .send()
        .await
        .assert_status(200);
    let id = user_id(&app, "yasothon.admin").await;
    admin_patch(&app, id, json!({"role": "viewer"})).await;
    app.get("/api/v1/users")
        .bearer(&token)
        .send()
        .await
        .assert_problem(403, "forbidden");
    let me = app.get("/api/v1/me").bearer(&token).send().await.json();
    assert_eq!(me["role"], "viewer");

    let officer = login_token(&app, "energy.officer").await;
    let officer_id = user_id(&app, "energy.officer").await;
    let pho = app.org_id("YST-PHO").await;
    admin_patch(&app, officer_id, json!({"organization_id": pho})).await;
    let me = app.get("/api/v1/me").bearer(&officer).send().await.json();
    assert_eq!(me["organization"]["code"], "YST-PHO");
    // The display name comes from the account too.
    admin_patch(&app, officer_id, json!({"display_name": "ชื่อใหม่"})).await;
    let me = app.get("/api/v1/me").bearer(&officer).send().await.json();
    assert_eq!(me["name"], "ชื่อใหม่");
}

/// A token of `username` issued `age` seconds ago, as the service would have signed it then.
fn old_token(username: &str, role: &str, org: Option<&str>, age: i64) -> String {
    let issued = chrono::Utc::now().timestamp() - age;
    sign(
        &json!({"sub": username, "name": username, "role": role, "org": org,
                "iat": issued, "nbf": issued, "exp": issued + 900,
                "iss": crate::support::ISSUER, "aud": crate::support::AUDIENCE}),
        SECRET,
    )
}

/// As if the demo accounts had been made an hour ago (tokens older than an account are refused).
fn accounts_made_an_hour_ago(app: &TestApp) {
    use diesel::prelude::*;
    use provincial_kpi::storage::schema::users;
    use provincial_kpi::storage::{now, ConnectionManager};
    let mut conn = ConnectionManager::new(app.config.database_url.clone())
        .establish()
        .expect("connect");
    diesel::update(users::table)
        .set(users::credentials_changed_at.eq(now() - chrono::Duration::hours(1)))
        .execute(&mut conn)
        .expect("age the accounts");
}

/// Issue 9 B: a token issued before a password reset, or before the account was disabled and
/// enabled again, is refused; a new login works.
async fn tokens_issued_before_a_reset_or_reenable_are_refused(app: TestApp) {
    accounts_made_an_hour_ago(&app);
    let before = old_token("energy.officer", "agency_officer", Some("YST-PEO"), 60);
    app.get("/api/v1/me")
        .bearer(&before)
        .send()
        .await
        .assert_status(200);
    let id = user_id(&app, "energy.officer").await;
    admin_patch(&app, id, json!({"password": "a brand new long password"})).await;
    app.get("/api/v1/me")
        .bearer(&before)
        .send()
        .await
        .assert_problem(401, "unauthorized");
    let fresh = app
        .post("/api/v1/auth/token")
        .json(&json!({"username": "energy.officer", "password": "a brand new long password"}))
        .send()
        .await;
    fresh.assert_status(200);
    let fresh = fresh.json()["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    app.get("/api/v1/me")
        .bearer(&fresh)
        .send()
        .await
        .assert_status(200);

    let before = old_token("health.officer", "agency_officer", Some("YST-PHO"), 60);
    let id = user_id(&app, "health.officer").await;
    admin_patch(&app, id, json!({"disabled": true})).await;
    admin_patch(&app, id, json!({"disabled": false})).await;
    app.get("/api/v1/me")
        .bearer(&before)
        .send()
        .await
        .assert_problem(401, "unauthorized");
    let again = login_token(&app, "health.officer").await;
    app.get("/api/v1/me")
        .bearer(&again)
        .send()
        .await
        .assert_status(200);
    // Tokens naming no local account (an identity provider's) still go by their claims, the
    // organization's code ignoring case like every code.
    app.get("/api/v1/me")
        .bearer(&old_token("idp.person", "viewer", Some("TH-35"), 60))
        .send()
        .await
        .assert_status(200);
    let lower_case = app
        .get("/api/v1/me")
        .bearer(&old_token("idp.person", "viewer", Some("th-35"), 60))
        .send()
        .await;
    lower_case.assert_status(200);
    assert_eq!(lower_case.json()["province"]["code"], "TH-35");

    // A token of the same second as the reset is refused too (it may be older than the
    // reset), and a sign-in right after the reset still gets a working token.
    let id = user_id(&app, "energy.officer").await;
    for round in 0..5 {
        admin_patch(
            &app,
            id,
            json!({"password": provincial_kpi::demo::DEMO_PASSWORD}),
        )
        .await;
        let current = login_token(&app, "energy.officer").await;
        let password = format!("another long password {round}");
        admin_patch(&app, id, json!({"password": password})).await;
        app.get("/api/v1/me")
            .bearer(&current)
            .send()
            .await
            .assert_problem(401, "unauthorized");
        let fresh = app
            .post("/api/v1/auth/token")
            .json(&json!({"username": "energy.officer", "password": password}))
            .send()
            .await
            .json()["access_token"]
            .as_str()
            .expect("token")
            .to_owned();
        app.get("/api/v1/me")
            .bearer(&fresh)
            .send()
            .await
            .assert_status(200);
        // login_token below signs in with the demo password: put it back.
        admin_patch(
            &app,
            id,
            json!({"password": provincial_kpi::demo::DEMO_PASSWORD}),
        )
        .await;
    }
}

/// Issue 9 item 4: only an admin creates an `integration` account or grants that role (it
/// can backfill `submitted_at`); a province admin manages no integration account.
async fn only_an_admin_creates_or_grants_integration(app: TestApp) {
    let yst_admin = app.yasothon_admin();
    let peo = app.org_id("YST-PEO").await;
    app.post("/api/v1/users")
        .bearer(&yst_admin)
        .json(&new_user("yst.ereport", "integration", Some(peo)))
        .send()
        .await
        .assert_problem(403, "forbidden");
    let officer = user_id(&app, "energy.officer").await;
    app.patch(&format!("/api/v1/users/{officer}"))
        .bearer(&yst_admin)
        .header("If-Match", "*")
        .json(&json!({"role": "integration"}))
        .send()
        .await
        .assert_problem(403, "forbidden");
    let created = app
        .post("/api/v1/users")
        .bearer(&app.admin())
        .json(&new_user("yst.ereport", "integration", Some(peo)))
        .send()
        .await;
    created.assert_status(201);
    let id = created.json()["id"].as_i64().expect("id");
    // Its password is not the province admin's to reset.
    app.patch(&format!("/api/v1/users/{id}"))
        .bearer(&yst_admin)
        .header("If-Match", "*")
        .json(&json!({"password": "taken over by the province"}))
        .send()
        .await
        .assert_problem(403, "forbidden");
    admin_patch(&app, officer, json!({"role": "integration"})).await;
}

/// Issue 9 D: a role that manages no account gets its 403 before any password is hashed; so
/// does an out-of-scope or invalid request of a province admin.
async fn no_hash_before_policy(app: TestApp) {
    let viewer = app.token("viewer", Some("TH-35"));
    let peo = app.org_id("YST-PEO").await;
    let before = hashes(&app).await;
    app.patch("/api/v1/users/1")
        .bearer(&viewer)
        .header("If-Match", "*")
        .json(&json!({"password": "a long enough password"}))
        .send()
        .await
        .assert_problem(403, "forbidden");
    app.post("/api/v1/users")
        .bearer(&viewer)
        .json(&new_user("viewer.made", "viewer", Some(peo)))
        .send()
        .await
        .assert_problem(403, "forbidden");
    let yst_admin = app.yasothon_admin();
    app.post("/api/v1/users")
        .bearer(&yst_admin)
        .json(&new_user("would.be.admin", "admin", None))
        .send()
        .await
        .assert_problem(403, "forbidden");
    app.post("/api/v1/users")
        .bearer(&yst_admin)
        .json(&new_user("has space", "viewer", Some(peo)))
        .send()
        .await
        .assert_problem(422, "validation");
    let admin_id = user_id(&app, "admin").await;
    app.patch(&format!("/api/v1/users/{admin_id}"))
        .bearer(&yst_admin)
        .header("If-Match", "*")
        .json(&json!({"password": "a long enough password"}))
        .send()
        .await
        .assert_problem(404, "not-found");
    assert_eq!(hashes(&app).await, before, "no password was hashed");
    // The counter counts: one create, one hash.
    app.post("/api/v1/users")
        .bearer(&yst_admin)
        .json(&new_user("counted", "viewer", Some(peo)))
        .send()
        .await
        .assert_status(201);
    assert_eq!(hashes(&app).await, before + 1);
}

/// Issue 9 G: `ADMIN` beside `admin` is a 409 naming `username`; login finds an account
/// whatever the case typed.
async fn usernames_are_unique_ignoring_case(app: TestApp) {
    let taken = app
        .post("/api/v1/users")
        .bearer(&app.admin())
        .json(&new_user("ADMIN", "viewer", None))
        .send()
        .await;
    taken.assert_problem(409, "duplicate");
    assert_eq!(taken.error_fields(), vec!["username"]);
    let token = app
        .post("/api/v1/auth/token")
        .json(
            &json!({"username": "Energy.Officer", "password": provincial_kpi::demo::DEMO_PASSWORD}),
        )
        .send()
        .await;
    token.assert_status(200);
    let token = token.json()["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let me = app.get("/api/v1/me").bearer(&token).send().await.json();
    assert_eq!(me["subject"], "energy.officer");
}

/// A merge patch changes what it names and keeps the rest; `null` for a required field is a
/// 422 naming it.
async fn a_patch_keeps_what_it_does_not_name(app: TestApp) {
    let id = user_id(&app, "energy.officer").await;
    let changed = admin_patch(&app, id, json!({"display_name": "  สมชาย  "})).await;
    assert_eq!(changed["display_name"], "สมชาย");
    assert_eq!(changed["role"], "agency_officer");
    assert_eq!(changed["organization_code"], "YST-PEO");
    assert_eq!(changed["disabled"], false);
    assert_eq!(changed["username"], "energy.officer");
    let refused = app
        .patch(&format!("/api/v1/users/{id}"))
        .bearer(&app.admin())
        .header("If-Match", "*")
        .json(&json!({"organization_id": null}))
        .send()
        .await;
    refused.assert_problem(422, "validation");
    assert_eq!(refused.error_fields(), vec!["organization_id"]);
    let read_only = app
        .patch(&format!("/api/v1/users/{id}"))
        .bearer(&app.admin())
        .header("If-Match", "*")
        .json(&json!({"username": "renamed"}))
        .send()
        .await;
    assert!(read_only.status.is_client_error(), "{:?}", read_only.status);
}

/// Issue 9 item 10: `user create` applies the same account rules as the API.
#[test]
fn the_command_line_applies_the_account_rules() {
    let dir = tempfile::tempdir().expect("dir");
    let database = format!("sqlite://{}", dir.path().join("kpi.sqlite3").display());
    let create = |username: &str, role: &str, extra: &[&str], password: &str| {
        Command::new(env!("CARGO_BIN_EXE_provincial-kpi"))
            .args(["user", "create", "--username", username, "--role", role])
            .args(extra)
            .env("DATABASE_URL", &database)
            .env("KPI_PASSWORD", password)
            .output()
            .expect("user create")
    };
    let spaced = create("has space", "admin", &[], "a long enough first password");
    assert!(!spaced.status.success());
    let message = String::from_utf8_lossy(&spaced.stderr);
    assert!(message.contains("--username"), "{message}");
    let no_org = create("officer", "agency_officer", &[], "a long enough password");
    assert!(!no_org.status.success());
    let message = String::from_utf8_lossy(&no_org.stderr);
    assert!(
        message.contains("--org") && message.contains("needs an organization"),
        "{message}"
    );
    let weak = create("first.admin", "admin", &[], "short");
    assert!(!weak.status.success());
    assert!(String::from_utf8_lossy(&weak.stderr).contains("KPI_PASSWORD"));
    let long_name = "ก".repeat(201);
    let named = create(
        "first.admin",
        "admin",
        &["--name", &long_name],
        "a long enough first password",
    );
    assert!(!named.status.success());
    assert!(String::from_utf8_lossy(&named.stderr).contains("--name"));
    let made = create("first.admin", "admin", &[], "a long enough first password");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let again = create("First.Admin", "admin", &[], "a long enough first password");
    assert!(!again.status.success());
    let message = String::from_utf8_lossy(&again.stderr);
    assert!(
        message.contains("--username") && message.contains("taken"),
        "{message}"
    );
}
