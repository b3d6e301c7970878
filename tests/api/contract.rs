//! The published contract and the operator interfaces: the committed OpenAPI document, the
//! schemas of both engines, health/readiness/metrics, Swagger UI, CORS, and durability.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use diesel::sql_types::Text;
use serde_json::json;

use crate::both_engines;
use crate::support::{self, Engine, TestApp, SECRET};

both_engines!(
    operator_endpoints,
    swagger_ui_and_spec_are_served,
    cors_and_request_ids
);

/// `openapi/openapi.json` is what the code generates. To accept a change:
/// `cargo run -- openapi --output openapi/openapi.json`.
#[test]
fn committed_openapi_matches_the_code() {
    let generated = provincial_kpi::cli::openapi_json().expect("spec");
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        generated == committed,
        "openapi/openapi.json is stale: run `cargo run -- openapi --output openapi/openapi.json` and commit it"
    );
}

/// Every `in: path` parameter names a `{segment}` of its path, and every `{segment}` has one.
/// (utoipa-actix-web guesses `in: path` for an `IntoParams` struct without `parameter_in`:
/// validators then reject the document and client generators skip the operation.)
/// Every `$ref` points at something the document defines: a type used only through
/// `IntoParams` is not registered as a component, and validators reject the dangling reference.
#[test]
fn every_reference_resolves() {
    let spec: serde_json::Value =
        serde_json::from_str(&provincial_kpi::cli::openapi_json().expect("spec")).expect("json");
    let mut pending = vec![&spec];
    let mut dangling = Vec::new();
    while let Some(value) = pending.pop() {
        match value {
            serde_json::Value::Object(map) => {
                if let Some(serde_json::Value::String(target)) = map.get("$ref") {
                    let pointer = target.trim_start_matches('#');
                    if spec.pointer(pointer).is_none() {
                        dangling.push(target.clone());
                    }
                }
                pending.extend(map.values());
            }
            serde_json::Value::Array(items) => pending.extend(items),
            _ => {}
        }
    }
    assert!(dangling.is_empty(), "unresolved references: {dangling:?}");
}

/// utoipa names a schema by its type's name and keeps the last one registered: two types of
/// one name (an `OrganizationSummary` in auth and another in the summaries) silently gave one
/// operation the other's schema. Every type deriving `ToSchema` has its own name.
#[test]
fn schema_type_names_are_unique() {
    let derive = regex::Regex::new(
        r"(?s)#\[derive\([^\]]*ToSchema[^\]]*\)\].*?pub (?:struct|enum) ([A-Za-z0-9_]+)",
    )
    .expect("regex");
    let mut seen: std::collections::HashMap<String, String> = Default::default();
    let mut pending = vec![std::path::PathBuf::from("src")];
    while let Some(path) = pending.pop() {
        if path.is_dir() {
            for entry in std::fs::read_dir(&path).expect("read dir") {
                pending.push(entry.expect("entry").path());
            }
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read source");
        for found in derive.captures_iter(&text) {
            let name = found[1].to_owned();
            let place = path.display().to_string();
            if let Some(first) = seen.insert(name.clone(), place.clone()) {
                panic!("two schema types named {name}: {first} and {place}");
            }
        }
    }
    assert!(
        seen.contains_key("RoundIndicator"),
        "the scan found the types"
    );
}

#[test]
fn path_parameters_match_the_path_template() {
    let spec: serde_json::Value =
        serde_json::from_str(&provincial_kpi::cli::openapi_json().expect("spec")).expect("json");
    let mut problems = Vec::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        let segments: std::collections::BTreeSet<&str> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .collect();
        for (method, operation) in item.as_object().expect("item") {
            let parameters = operation["parameters"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let declared: std::collections::BTreeSet<String> = parameters
                .iter()
                .filter(|p| p["in"] == "path")
                .filter_map(|p| p["name"].as_str().map(str::to_owned))
                .collect();
            for name in &declared {
                if !segments.contains(name.as_str()) {
                    problems.push(format!(
                        "{method} {path}: path parameter `{name}` is not in the path"
                    ));
                }
            }
            for segment in &segments {
                if !declared.contains(*segment) {
                    problems.push(format!(
                        "{method} {path}: `{{{segment}}}` has no path parameter"
                    ));
                }
            }
            for parameter in &parameters {
                if parameter["in"] == "path" && parameter["required"] != true {
                    problems.push(format!(
                        "{method} {path}: path parameter {} is not required",
                        parameter["name"]
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// `Idempotency-Key`, `limit` and `cursor` have one definition each, with the constraints the
/// service checks; every creating `POST` takes the key and documents what a reused key answers.
#[test]
fn shared_parameters_have_one_definition() {
    let spec: serde_json::Value =
        serde_json::from_str(&provincial_kpi::cli::openapi_json().expect("spec")).expect("json");
    let shared = &spec["components"]["parameters"];
    assert_eq!(shared["IdempotencyKey"]["in"], "header");
    assert_eq!(
        shared["IdempotencyKey"]["schema"]["pattern"],
        provincial_kpi::http::extract::IDEMPOTENCY_KEY_PATTERN
    );
    assert_eq!(
        shared["Cursor"]["schema"]["pattern"],
        provincial_kpi::http::routes::CURSOR_PATTERN
    );
    assert_eq!(shared["Limit"]["schema"]["maximum"], 500);
    let mut creates = 0;
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("item") {
            let parameters = operation["parameters"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            for parameter in &parameters {
                let name = parameter["name"].as_str().unwrap_or_default();
                assert!(
                    !["idempotency-key", "limit", "cursor"]
                        .contains(&name.to_ascii_lowercase().as_str()),
                    "{method} {path} declares {name} inline instead of referring to the shared one"
                );
            }
            if operation["responses"].get("201").is_some() {
                creates += 1;
                assert!(
                    parameters.contains(&json!({"$ref": "#/components/parameters/IdempotencyKey"})),
                    "{method} {path} creates without Idempotency-Key"
                );
                for (status, kind) in [
                    ("409", "IdempotencyInProgress"),
                    ("422", "IdempotencyKeyReused"),
                ] {
                    let reference = operation["responses"][status]["$ref"]
                        .as_str()
                        .unwrap_or_default();
                    assert!(
                        reference.ends_with(kind),
                        "{method} {path} {status}: {reference}"
                    );
                }
            }
        }
    }
    assert!(creates >= 6, "{creates} creating operations");
}

/// Free text a client sends carries the service's text rule (no control characters but tab
/// and line feed) as a `pattern`, so generated clients and fuzzers know it.
#[test]
fn request_text_states_the_text_rule() {
    let spec: serde_json::Value =
        serde_json::from_str(&provincial_kpi::cli::openapi_json().expect("spec")).expect("json");
    let rule = provincial_kpi::domain::text::TEXT_PATTERN;
    let schemas = &spec["components"]["schemas"];
    for (schema, field) in [
        ("NewOrganization", "name_th"),
        ("OrganizationPatch", "name_en"),
        ("IndicatorDocument", "description"),
        ("NewAssignment", "contact_name"),
    ] {
        let property = &schemas[schema]["properties"][field];
        assert_eq!(property["pattern"], rule, "{schema}.{field}: {property}");
    }
    let q = spec["paths"]["/api/v1/organizations"]["get"]["parameters"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["name"] == "q"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(q["schema"]["pattern"], rule, "{q}");
    // Codes keep their own, narrower pattern.
    assert_ne!(
        schemas["NewOrganization"]["properties"]["code"]["pattern"],
        rule
    );
}

/// The published `Period` pattern is exactly what the service parses.
#[test]
fn period_pattern_is_what_the_parser_takes() {
    let spec: serde_json::Value =
        serde_json::from_str(&provincial_kpi::cli::openapi_json().expect("spec")).expect("json");
    let pattern = spec["components"]["schemas"]["Period"]["pattern"]
        .as_str()
        .expect("a pattern");
    let pattern = regex::Regex::new(pattern).expect("regex");
    let mut samples: Vec<String> = Vec::new();
    for year in (1800..3100).step_by(7).chain([1899, 1900, 2999, 3000]) {
        for month in 0..=13 {
            samples.push(format!("{year:04}-{month:02}"));
        }
    }
    samples.extend(
        [
            "2022-1",
            "2022-001",
            "+022-01",
            "๒๕๖๕-01",
            "2022-01\n",
            " 2022-01",
            "2022/01",
            "",
        ]
        .map(str::to_owned),
    );
    for sample in samples {
        assert_eq!(
            pattern.is_match(&sample),
            sample.parse::<provincial_kpi::domain::Period>().is_ok(),
            "{sample:?}"
        );
    }
}

#[test]
fn every_secured_operation_declares_its_problems() {
    let spec: serde_json::Value =
        serde_json::from_str(&provincial_kpi::cli::openapi_json().expect("spec")).expect("json");
    let paths = spec["paths"].as_object().expect("paths");
    let mut operations = 0;
    for (path, item) in paths {
        for (method, operation) in item.as_object().expect("item") {
            operations += 1;
            let responses = operation["responses"].as_object().expect("responses");
            assert!(
                responses.keys().any(|status| status.starts_with('2')),
                "{method} {path} has no success response"
            );
            if path.starts_with("/api/v1") && path != "/api/v1/auth/token" {
                assert_eq!(
                    operation["security"],
                    json!([{"bearer": []}]),
                    "{method} {path}"
                );
                for status in ["401", "403", "503"] {
                    assert!(
                        responses.contains_key(status),
                        "{method} {path} lacks {status}"
                    );
                }
            }
            for (status, response) in responses {
                if status.starts_with('4') || status.starts_with('5') {
                    let reference = response["$ref"].as_str().unwrap_or_default();
                    let content = &response["content"];
                    assert!(
                        reference.starts_with("#/components/responses/")
                            || content.get("application/problem+json").is_some()
                            || path == "/readyz",
                        "{method} {path} {status} is not a problem"
                    );
                }
            }
        }
    }
    assert!(operations >= 15, "only {operations} operations");
}

async fn operator_endpoints(app: TestApp) {
    let health = app.get("/healthz").send().await;
    health.assert_status(200);
    assert_eq!(health.json()["status"], "ok");
    let ready = app.get("/readyz").send().await;
    ready.assert_status(200);
    assert_eq!(ready.json()["migrations_applied"], true);
    assert_eq!(
        ready.json()["database"],
        match app.engine {
            Engine::Sqlite => "sqlite",
            Engine::Postgres => "postgres",
        }
    );
    app.get("/api/v1/organizations")
        .bearer(&app.admin())
        .send()
        .await
        .assert_status(200);
    let metrics = app.get("/metrics").send().await;
    metrics.assert_status(200);
    let text = String::from_utf8_lossy(&metrics.body).to_string();
    assert!(
        text.contains(
            "http_requests_total{method=\"GET\",route=\"/api/v1/organizations\",status=\"200\"} 1"
        ),
        "{text}"
    );
    assert!(text.contains("http_request_duration_seconds_bucket"));
    assert!(text.contains("db_pool_connections{state=\"idle\"}"));
}

async fn swagger_ui_and_spec_are_served(app: TestApp) {
    for entry in ["/", "/swagger-ui"] {
        let redirect = app.get(entry).send().await;
        redirect.assert_status(302);
        assert_eq!(redirect.header("location").as_deref(), Some("/swagger-ui/"));
    }
    let ui = app.get("/swagger-ui/").send().await;
    ui.assert_status(200);
    assert!(String::from_utf8_lossy(&ui.body).contains("swagger-ui"));
    let spec = app.get("/api-docs/openapi.json").send().await;
    spec.assert_status(200);
    let served = spec.json();
    let generated: serde_json::Value =
        serde_json::from_str(&provincial_kpi::cli::openapi_json().expect("spec")).expect("json");
    assert_eq!(served, generated, "Swagger UI shows the same document");
    assert_eq!(
        served["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
}

async fn cors_and_request_ids(app: TestApp) {
    let allowed = app
        .get("/api/v1/organizations")
        .bearer(&app.admin())
        .header("Origin", "https://kpi.example.go.th")
        .send()
        .await;
    allowed.assert_status(200);
    assert_eq!(
        allowed.header("access-control-allow-origin").as_deref(),
        Some("https://kpi.example.go.th")
    );
    let other = app
        .get("/api/v1/organizations")
        .bearer(&app.admin())
        .header("Origin", "https://evil.example")
        .send()
        .await;
    assert!(other.header("access-control-allow-origin").is_none());
    let preflight = app
        .request(actix_web::http::Method::OPTIONS, "/api/v1/organizations")
        .header("Origin", "https://kpi.example.go.th")
        .header("Access-Control-Request-Method", "PATCH")
        .header(
            "Access-Control-Request-Headers",
            "authorization, if-match, content-type",
        )
        .send()
        .await;
    assert!(preflight.status.is_success(), "{:?}", preflight.status);
    // Every response has a request id; a sane incoming one is kept.
    assert!(allowed.header("x-request-id").is_some());
    let echoed = app
        .get("/healthz")
        .header("X-Request-Id", "meeting-2565-01")
        .send()
        .await;
    assert_eq!(
        echoed.header("x-request-id").as_deref(),
        Some("meeting-2565-01")
    );
    let problem = app
        .get("/nope")
        .header("X-Request-Id", "bad id with spaces")
        .send()
        .await;
    assert_ne!(
        problem.header("x-request-id").as_deref(),
        Some("bad id with spaces")
    );
}

#[derive(QueryableByName, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct ColumnName {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
}

/// `/readyz` says 503 until the migrations are applied; `/healthz` is alive all along.
#[actix_web::test]
async fn readiness_waits_for_migrations() {
    let dir = tempfile::tempdir().expect("dir");
    let config = support::test_config(provincial_kpi::config::DatabaseUrl::Sqlite(
        dir.path().join("empty.sqlite3"),
    ));
    let state = provincial_kpi::startup::build_state(&config).expect("state");
    let app = actix_web::test::init_service(provincial_kpi::http::app(state, &[])).await;
    let request = actix_web::test::TestRequest::get()
        .uri("/readyz")
        .to_request();
    let response = actix_web::test::call_service(&app, request).await;
    assert_eq!(response.status().as_u16(), 503);
    let body: serde_json::Value = actix_web::test::read_body_json(response).await;
    assert_eq!(body["migrations_applied"], false);
    let request = actix_web::test::TestRequest::get()
        .uri("/healthz")
        .to_request();
    assert_eq!(
        actix_web::test::call_service(&app, request)
            .await
            .status()
            .as_u16(),
        200
    );
    provincial_kpi::storage::run_migrations(&config.database_url).expect("migrate");
    let request = actix_web::test::TestRequest::get()
        .uri("/readyz")
        .to_request();
    assert_eq!(
        actix_web::test::call_service(&app, request)
            .await
            .status()
            .as_u16(),
        200
    );
}

/// Both engines' migrations produce the same tables and columns: the columns the application
/// writes and reads. A column the database generates for its own indexes (PostgreSQL's
/// `submissions.month_index`, storage::summary) is the engine's own and not compared; SQLite's
/// `pragma_table_info` does not list generated columns either.
#[test]
fn both_engines_have_the_same_tables_and_columns() {
    let Some((postgres_url, _)) = support::fresh_database(Engine::Postgres) else {
        return;
    };
    let Some((sqlite_url, _dir)) = support::fresh_database(Engine::Sqlite) else {
        return;
    };
    let mut sqlite = match provincial_kpi::storage::ConnectionManager::new(sqlite_url).establish() {
        Ok(provincial_kpi::storage::DbConnection::Sqlite(conn)) => conn,
        _ => panic!("sqlite connection"),
    };
    let mut postgres =
        match provincial_kpi::storage::ConnectionManager::new(postgres_url).establish() {
            Ok(provincial_kpi::storage::DbConnection::Postgres(conn)) => conn,
            _ => panic!("postgres connection"),
        };
    let mut sqlite_columns: Vec<ColumnName> = diesel::sql_query(
        "SELECT m.name AS table_name, p.name AS column_name FROM sqlite_master m \
         JOIN pragma_table_info(m.name) p WHERE m.type = 'table' \
         AND m.name NOT LIKE 'sqlite_%' AND m.name <> '__diesel_schema_migrations'",
    )
    .load(&mut sqlite)
    .expect("sqlite columns");
    let mut postgres_columns: Vec<ColumnName> = diesel::sql_query(
        "SELECT table_name::text AS table_name, column_name::text AS column_name \
         FROM information_schema.columns WHERE table_schema = 'public' \
         AND is_generated = 'NEVER' AND table_name <> '__diesel_schema_migrations'",
    )
    .load(&mut postgres)
    .expect("postgres columns");
    sqlite_columns.sort();
    postgres_columns.sort();
    assert!(sqlite_columns.len() > 20);
    assert_eq!(sqlite_columns, postgres_columns);
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("free port")
}

/// A minimal HTTP/1.1 exchange over a fresh connection (no client library needed).
pub(crate) fn http(
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> (u16, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok();
    let mut request =
        format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    if let Some(token) = token {
        request.push_str(&format!("Authorization: Bearer {token}\r\n"));
    }
    let body = body.unwrap_or("");
    if !body.is_empty() {
        request.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).ok();
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = response.split("\r\n\r\n").nth(1).unwrap_or("").to_owned();
    (status, body)
}

pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) port: u16,
}

impl Server {
    pub(crate) fn start(database: &str) -> Server {
        Self::start_logging(database, None)
    }

    /// With `log`, JSON log lines at info level go to that file.
    pub(crate) fn start_logging(database: &str, log: Option<&std::path::Path>) -> Server {
        let port = free_port();
        let stderr = match log {
            Some(path) => Stdio::from(std::fs::File::create(path).expect("log file")),
            None => Stdio::null(),
        };
        let mut child = Command::new(env!("CARGO_BIN_EXE_provincial-kpi"))
            .arg("serve")
            .env("DATABASE_URL", database)
            .env("BIND_ADDR", format!("127.0.0.1:{port}"))
            .env("KPI_JWT_SECRET", SECRET)
            .env("KPI_WORKERS", "1")
            .env("RUST_LOG", if log.is_some() { "info" } else { "warn" })
            .env("KPI_LOG_FORMAT", "json")
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("start the binary");
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if TcpStream::connect(("127.0.0.1", port)).is_ok()
                && http(port, "GET", "/healthz", None, None).0 == 200
            {
                return Server { child, port };
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("the server did not start");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// SIGKILL right after a 201 loses nothing; `user create` makes the first account; `serve`
/// refuses to start without a signing key.
#[test]
fn acknowledged_writes_survive_sigkill() {
    let dir = tempfile::tempdir().expect("dir");
    let database = format!("sqlite://{}", dir.path().join("kpi.sqlite3").display());
    let created = Command::new(env!("CARGO_BIN_EXE_provincial-kpi"))
        .args([
            "user",
            "create",
            "--username",
            "first.admin",
            "--role",
            "admin",
            "--name",
            "ผู้ดูแล",
        ])
        .env("DATABASE_URL", &database)
        .env("KPI_PASSWORD", "a long enough first password")
        .output()
        .expect("user create");
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );

    let no_key = Command::new(env!("CARGO_BIN_EXE_provincial-kpi"))
        .arg("serve")
        .env("DATABASE_URL", &database)
        .env_remove("KPI_JWT_SECRET")
        .output()
        .expect("serve without key");
    assert!(!no_key.status.success());
    assert!(String::from_utf8_lossy(&no_key.stderr).contains("KPI_JWT_SECRET"));

    let mut server = Server::start(&database);
    let (status, body) = http(
        server.port,
        "POST",
        "/api/v1/auth/token",
        None,
        Some(r#"{"username":"first.admin","password":"a long enough first password"}"#),
    );
    assert_eq!(status, 200, "{body}");
    let token: serde_json::Value = serde_json::from_str(&body).expect("token json");
    let token = token["access_token"].as_str().expect("token").to_owned();
    let mut ids = Vec::new();
    for i in 0..20 {
        let (status, body) = http(
            server.port,
            "POST",
            "/api/v1/organizations",
            Some(&token),
            Some(&format!(
                r#"{{"code":"DUR-{i}","name_th":"หน่วยงานทดสอบ {i}","kind":"agency"}}"#
            )),
        );
        assert_eq!(status, 201, "{body}");
        let created: serde_json::Value = serde_json::from_str(&body).expect("json");
        ids.push(created["id"].as_i64().expect("id"));
    }
    // SIGKILL: no shutdown hooks, no checkpoint.
    server.child.kill().expect("kill -9");
    server.child.wait().ok();

    let log = dir.path().join("server.log");
    let mut restarted = Server::start_logging(&database, Some(&log));
    for (i, id) in ids.iter().enumerate() {
        let (status, body) = http(
            restarted.port,
            "GET",
            &format!("/api/v1/organizations/{id}"),
            Some(&token),
            None,
        );
        assert_eq!(status, 200, "organization {id} lost: {body}");
        assert!(body.contains(&format!("DUR-{i}")));
    }

    // SIGTERM: a graceful stop with exit status 0.
    let stopped = Command::new("kill")
        .args(["-TERM", &restarted.child.id().to_string()])
        .status()
        .expect("kill -TERM");
    assert!(stopped.success());
    let status = restarted.child.wait().expect("wait");
    assert!(status.success(), "exit after SIGTERM: {status:?}");
    // KPI_LOG_FORMAT=json: every line is JSON; each request has one line with its route.
    let text = std::fs::read_to_string(&log).expect("log");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect();
    let finished: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|line| line["message"] == "request finished")
        .collect();
    assert!(
        finished
            .iter()
            .any(|line| line["span"]["route"] == "/api/v1/organizations/{id}"
                && line["span"]["status"] == 200
                && line["span"]["request_id"].is_string()),
        "{text}"
    );
}

/// Every migration can be reverted and applied again, on both engines.
#[test]
fn migrations_revert_and_reapply_on_both_engines() {
    use diesel_migrations::MigrationHarness;
    use provincial_kpi::storage::{
        ConnectionManager, DbConnection, POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS,
    };
    for engine in [Engine::Sqlite, Engine::Postgres] {
        let Some((url, _dir)) = support::fresh_database(engine) else {
            continue;
        };
        let mut conn = ConnectionManager::new(url.clone())
            .establish()
            .expect("connect");
        let count = |conn: &mut DbConnection| -> usize {
            let query = match conn {
                DbConnection::Sqlite(_) => "SELECT name AS table_name, '' AS column_name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '__diesel_schema_migrations'",
                DbConnection::Postgres(_) => "SELECT table_name::text AS table_name, '' AS column_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations'",
            };
            diesel::sql_query(query)
                .load::<ColumnName>(conn)
                .expect("tables")
                .len()
        };
        let tables = count(&mut conn);
        assert!(tables >= 9, "{engine:?}: {tables} tables");
        match &mut conn {
            DbConnection::Sqlite(c) => {
                c.revert_all_migrations(SQLITE_MIGRATIONS).expect("revert");
            }
            DbConnection::Postgres(c) => {
                c.revert_all_migrations(POSTGRES_MIGRATIONS)
                    .expect("revert");
            }
        }
        assert_eq!(
            count(&mut conn),
            0,
            "{engine:?}: down migrations drop every table"
        );
        drop(conn);
        provincial_kpi::storage::run_migrations(&url).expect("re-apply");
        let mut conn = ConnectionManager::new(url).establish().expect("connect");
        assert_eq!(count(&mut conn), tables, "{engine:?}");
    }
}
