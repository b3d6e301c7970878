//! Tokens, accounts, and the role × scope matrix of docs/DOMAIN.md, "Who may do what".

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
    concurrent_wrong_passwords_get_five_checks,
    the_throttle_ignores_case,
    impossible_credentials_cost_no_hash,
    ended_login_counts_are_purged,
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

pub(crate) fn sign(claims: &Value, secret: &str) -> String {
    encode(
        &Header::default(),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("sign")
}

pub(crate) async fn login(
    app: &TestApp,
    username: &str,
    password: &str,
) -> crate::support::TestResponse {
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

/// A token for a demo account, by logging in with the demo password.
pub(crate) async fn login_token(app: &TestApp, username: &str) -> String {
    let response = login(app, username, provincial_kpi::demo::DEMO_PASSWORD).await;
    response.assert_status(200);
    response.json()["access_token"]
        .as_str()
        .expect("token")
        .to_owned()
}

/// How many passwords the service has hashed or checked (`kpi_password_hashes_total`).
pub(crate) async fn hashes(app: &TestApp) -> u64 {
    let metrics = app.get("/metrics").send().await;
    metrics.assert_status(200);
    let text = String::from_utf8_lossy(&metrics.body).to_string();
    text.lines()
        .find_map(|line| line.strip_prefix("kpi_password_hashes_total "))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or_else(|| panic!("no kpi_password_hashes_total in {text}"))
}

/// As if the failed-login window and the lock of `username` had passed.
fn let_the_lock_expire(app: &TestApp, username: &str) {
    use diesel::prelude::*;
    use provincial_kpi::storage::schema::login_throttle;
    use provincial_kpi::storage::{now, ConnectionManager};
    let mut conn = ConnectionManager::new(app.config.database_url.clone())
        .establish()
        .expect("connect");
    let past = now() - chrono::Duration::hours(1);
    let moved = diesel::update(login_throttle::table.find(username.to_ascii_lowercase()))
        .set((
            login_throttle::window_started_at.eq(past),
            login_throttle::locked_until.eq(Some(past)),
        ))
        .execute(&mut conn)
        .expect("move the lock into the past");
    assert_eq!(moved, 1, "a throttle row for {username}");
}

/// Issue 9 A: a burst of parallel wrong passwords gets at most five password checks; the lock
/// it earns holds against the right password until it ends.
async fn concurrent_wrong_passwords_get_five_checks(app: TestApp) {
    let before = hashes(&app).await;
    let burst = (0..32).map(|_| login(&app, "health.officer", "wrong password!"));
    let responses = futures_util::future::join_all(burst).await;
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    for response in &responses {
        *statuses.entry(response.status.as_u16()).or_default() += 1;
        if response.status.as_u16() == 429 {
            assert!(response.header("retry-after").is_some());
        }
    }
    let unauthorized = statuses.get(&401).copied().unwrap_or(0);
    let throttled = statuses.get(&429).copied().unwrap_or(0);
    assert!(unauthorized <= 5, "{statuses:?}");
    assert_eq!(unauthorized + throttled, 32, "{statuses:?}");
    assert!(hashes(&app).await - before <= 5, "at most five checks");
    login(&app, "health.officer", provincial_kpi::demo::DEMO_PASSWORD)
        .await
        .assert_problem(429, "too-many-requests");
    let_the_lock_expire(&app, "health.officer");
    login(&app, "health.officer", provincial_kpi::demo::DEMO_PASSWORD)
        .await
        .assert_status(200);
    // A success clears the count: four more wrong passwords are 401s again.
    for _ in 0..4 {
        login(&app, "health.officer", "wrong password!")
            .await
            .assert_problem(401, "unauthorized");
    }
}

/// Usernames are one ignoring case, and so is their failed-login count.
async fn the_throttle_ignores_case(app: TestApp) {
    for username in ["HEALTH.OFFICER", "Health.Officer", "health.OFFICER"] {
        login(&app, username, "wrong password!")
            .await
            .assert_problem(401, "unauthorized");
    }
    login(&app, "health.officer", "wrong password!")
        .await
        .assert_problem(401, "unauthorized");
    login(&app, "Health.officer", "wrong password!")
        .await
        .assert_problem(429, "too-many-requests");
    login(&app, "health.officer", provincial_kpi::demo::DEMO_PASSWORD)
        .await
        .assert_problem(429, "too-many-requests");
    login(&app, "energy.officer", provincial_kpi::demo::DEMO_PASSWORD)
        .await
        .assert_status(200);
}

/// Issue 9 C: what no account can match is refused without a hash; an unknown but possible
/// username costs one hash, like a wrong password.
async fn impossible_credentials_cost_no_hash(app: TestApp) {
    let before = hashes(&app).await;
    let long_username = "a".repeat(65);
    let long_password = "p".repeat(257);
    for (username, password) in [
        ("has space", "a long enough password"),
        ("ผู้ใช้ไทย", "a long enough password"),
        ("ab", "a long enough password"),
        (long_username.as_str(), "a long enough password"),
        ("energy.officer", long_password.as_str()),
        ("energy.officer", "short"),
    ] {
        login(&app, username, password)
            .await
            .assert_problem(401, "unauthorized");
    }
    assert_eq!(
        hashes(&app).await,
        before,
        "no hash for impossible credentials"
    );
    login(&app, "no.such.person", "a long enough password")
        .await
        .assert_problem(401, "unauthorized");
    assert_eq!(hashes(&app).await, before + 1);
}

/// Housekeeping forgets a username's count once its window and lock have ended.
async fn ended_login_counts_are_purged(app: TestApp) {
    use provincial_kpi::domain::account::LoginThrottle;
    use provincial_kpi::storage::{login_throttle, ConnectionManager};
    login(&app, "No.Such.Person", "a long enough password")
        .await
        .assert_problem(401, "unauthorized");
    let mut conn = ConnectionManager::new(app.config.database_url.clone())
        .establish()
        .expect("connect");
    let purge =
        |conn: &mut _| login_throttle::purge_ended(conn, &LoginThrottle::STANDARD).expect("purge");
    assert_eq!(purge(&mut conn), 0, "the window has not ended");
    let_the_lock_expire(&app, "no.such.person");
    assert_eq!(purge(&mut conn), 1);
}

mod binary {
    //! The real binary over TCP: requests really in parallel, on several workers.

    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpStream;
    use std::process::{Child, Command, Stdio};
    use std::sync::{mpsc, Arc, Barrier};
    use std::time::{Duration, Instant};

    use provincial_kpi::config::DatabaseUrl;

    use crate::support::{self, Engine, SECRET};

    const BIN: &str = env!("CARGO_BIN_EXE_provincial-kpi");

    fn url_text(url: &DatabaseUrl) -> String {
        match url {
            DatabaseUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
            DatabaseUrl::Postgres(url) => url.clone(),
        }
    }

    fn post_json(address: &str, path: &str, body: &str) -> u16 {
        let mut stream = TcpStream::connect(address).expect("connect");
        stream.set_read_timeout(Some(Duration::from_secs(60))).ok();
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(request.as_bytes()).expect("write");
        let mut response = String::new();
        stream.read_to_string(&mut response).ok();
        response
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0)
    }

    fn get_status(address: &str, path: &str) -> u16 {
        let mut stream = match TcpStream::connect(address) {
            Ok(stream) => stream,
            Err(_) => return 0,
        };
        stream.set_read_timeout(Some(Duration::from_secs(10))).ok();
        let request =
            format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
        if stream.write_all(request.as_bytes()).is_err() {
            return 0;
        }
        let mut response = String::new();
        stream.read_to_string(&mut response).ok();
        response
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0)
    }

    struct Server(Child);

    impl Drop for Server {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    fn start(database: &str, bind: &str, demo: bool) -> (Server, mpsc::Receiver<String>) {
        let mut command = Command::new(BIN);
        command
            .arg("serve")
            .env("DATABASE_URL", database)
            .env("BIND_ADDR", bind)
            .env("KPI_WORKERS", "2")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if demo {
            command.arg("--demo").env_remove("KPI_JWT_SECRET");
        } else {
            command.env("KPI_JWT_SECRET", SECRET);
        }
        let mut child = command.spawn().expect("start the binary");
        let stderr = child.stderr.take().expect("stderr");
        let (lines, received) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        (Server(child), received)
    }

    /// `serve` on a free port, once it answers.
    fn serve(database: &str) -> (Server, String) {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map(|addr| addr.port())
            .expect("free port");
        let address = format!("127.0.0.1:{port}");
        let (server, _stderr) = start(database, &address, false);
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if get_status(&address, "/healthz") == 200 {
                return (server, address);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the server did not start");
    }

    /// Issue 9 item 11: `serve --demo` prints the address it really listens on.
    #[test]
    fn serve_demo_prints_the_address_it_listens_on() {
        let dir = tempfile::tempdir().expect("dir");
        let database = format!("sqlite://{}", dir.path().join("kpi.sqlite3").display());
        let (_server, stderr) = start(&database, "127.0.0.1:0", true);
        let deadline = Instant::now() + Duration::from_secs(90);
        let mut seen = Vec::new();
        let address = loop {
            let left = deadline
                .checked_duration_since(Instant::now())
                .unwrap_or_default();
            let Ok(line) = stderr.recv_timeout(left) else {
                panic!("no login hint printed; stderr:\n{}", seen.join("\n"));
            };
            if line.contains("http://") && line.contains("/api/v1/auth/token") {
                break line
                    .split("http://")
                    .nth(1)
                    .and_then(|rest| rest.split('/').next())
                    .expect("an address")
                    .to_owned();
            }
            seen.push(line);
        };
        assert!(!address.contains("HOST"), "{address}");
        assert!(!address.ends_with(":0"), "{address}");
        assert_eq!(get_status(&address, "/healthz"), 200, "{address}");
    }

    /// Issue 9 A over TCP, on both engines: 32 wrong passwords sent at once get at most five
    /// password checks; the right password is then refused too.
    #[test]
    fn a_burst_over_tcp_gets_at_most_five_checks() {
        for engine in [Engine::Sqlite, Engine::Postgres] {
            let Some((url, _dir)) = support::fresh_database(engine) else {
                continue;
            };
            let database = url_text(&url);
            let created = Command::new(BIN)
                .args([
                    "user",
                    "create",
                    "--username",
                    "burst.target",
                    "--role",
                    "viewer",
                ])
                .env("DATABASE_URL", &database)
                .env("KPI_PASSWORD", "the right long password")
                .output()
                .expect("user create");
            assert!(
                created.status.success(),
                "{}",
                String::from_utf8_lossy(&created.stderr)
            );
            let (_server, address) = serve(&database);
            let start = Arc::new(Barrier::new(32));
            let threads: Vec<_> = (0..32)
                .map(|_| {
                    let start = start.clone();
                    let address = address.clone();
                    std::thread::spawn(move || {
                        start.wait();
                        post_json(
                            &address,
                            "/api/v1/auth/token",
                            r#"{"username":"burst.target","password":"a wrong long password"}"#,
                        )
                    })
                })
                .collect();
            let statuses: Vec<u16> = threads
                .into_iter()
                .map(|thread| thread.join().expect("thread"))
                .collect();
            let unauthorized = statuses.iter().filter(|s| **s == 401).count();
            let throttled = statuses.iter().filter(|s| **s == 429).count();
            assert!(unauthorized <= 5, "{engine:?}: {statuses:?}");
            assert_eq!(unauthorized + throttled, 32, "{engine:?}: {statuses:?}");
            let right = post_json(
                &address,
                "/api/v1/auth/token",
                r#"{"username":"burst.target","password":"the right long password"}"#,
            );
            assert_eq!(right, 429, "{engine:?}");
        }
    }
}
