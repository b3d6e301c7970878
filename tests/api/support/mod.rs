//! The test harness: every case runs against a fresh database on SQLite and on PostgreSQL,
//! through the real application (router, middleware, extractors) in process.

pub mod postgres;

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::OnceLock;
use std::time::Duration;

use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::test;
use actix_web::web::Bytes;
use provincial_kpi::auth::TokenService;
use provincial_kpi::config::{Config, DatabaseUrl, JwtConfig, JwtKeys, LogFormat};
use provincial_kpi::storage::{self, write_transaction, ConnectionManager};
use serde_json::Value;

pub const SECRET: &str = "test-secret-0123456789abcdef-0123456789abcdef";
pub const ISSUER: &str = "provincial-kpi";
pub const AUDIENCE: &str = "provincial-kpi";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// Runs `case` on a fresh database of the engine, with the demo organizations and accounts.
/// PostgreSQL cases are skipped (with a message) only when PostgreSQL is missing and CI is not set.
pub async fn run<F, Fut>(engine: Engine, case: F)
where
    F: FnOnce(TestApp) -> Fut,
    Fut: Future<Output = ()>,
{
    let Some(app) = TestApp::spawn(engine).await else {
        return;
    };
    case(app).await;
}

/// Declares a case run once per engine: `both_engines!(name);` next to `async fn name(app: TestApp)`.
#[macro_export]
macro_rules! both_engines {
    ($($case:ident),* $(,)?) => {
        $(
            mod $case {
                #[actix_web::test]
                async fn sqlite() {
                    $crate::support::run($crate::support::Engine::Sqlite, super::$case).await;
                }
                #[actix_web::test]
                async fn postgres() {
                    $crate::support::run($crate::support::Engine::Postgres, super::$case).await;
                }
            }
        )*
    };
}

type Call = Rc<dyn Fn(actix_http::Request) -> Pin<Box<dyn Future<Output = TestResponse>>>>;

pub struct TestApp {
    pub engine: Engine,
    pub config: Config,
    call: Call,
    tokens: TokenService,
    _dir: Option<tempfile::TempDir>,
}

pub fn jwt_config() -> JwtConfig {
    JwtConfig {
        keys: JwtKeys::Hs256 {
            secret: SECRET.as_bytes().to_vec(),
        },
        issuer: ISSUER.into(),
        audience: AUDIENCE.into(),
        token_lifetime: Duration::from_secs(900),
    }
}

/// A database URL with the schema migrated, on the engine asked for.
pub fn fresh_database(engine: Engine) -> Option<(DatabaseUrl, Option<tempfile::TempDir>)> {
    match engine {
        Engine::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = DatabaseUrl::Sqlite(dir.path().join("kpi.sqlite3"));
            storage::run_migrations(&url).expect("SQLite migrations");
            Some((url, Some(dir)))
        }
        Engine::Postgres => {
            let cluster = postgres::cluster()?;
            // Migrate once into a template; each test copies it (much faster than migrating).
            static TEMPLATE: OnceLock<String> = OnceLock::new();
            let template = TEMPLATE.get_or_init(|| {
                let url = cluster.create_named_database("kpi_template");
                storage::run_migrations(&DatabaseUrl::Postgres(url))
                    .expect("PostgreSQL migrations");
                "kpi_template".to_owned()
            });
            let url = cluster.create_database(Some(template));
            Some((DatabaseUrl::Postgres(url), None))
        }
    }
}

pub fn test_config(database_url: DatabaseUrl) -> Config {
    Config {
        database_url,
        bind_addr: "127.0.0.1:0".parse().expect("address"),
        jwt: jwt_config(),
        cors_origins: vec!["https://kpi.example.go.th".into()],
        max_batch_bytes: 33_554_432,
        log_format: LogFormat::Text,
        db_pool_size: 4,
        workers: 1,
    }
}

impl TestApp {
    pub async fn spawn(engine: Engine) -> Option<TestApp> {
        let (url, dir) = fresh_database(engine)?;
        let config = test_config(url);
        let mut conn = ConnectionManager::new(config.database_url.clone())
            .establish()
            .expect("connect");
        write_transaction(
            &mut conn,
            provincial_kpi::demo::seed_organizations_and_accounts,
        )
        .expect("fixtures");
        drop(conn);
        Some(Self::serving(engine, config, dir).await)
    }

    /// A second instance of the service on this one's database (the national deployment runs
    /// many): its own pool, caller cache and listener.
    pub async fn another_instance(&self) -> TestApp {
        Self::serving(self.engine, self.config.clone(), None).await
    }

    async fn serving(engine: Engine, config: Config, dir: Option<tempfile::TempDir>) -> TestApp {
        let state = provincial_kpi::startup::build_state(&config).expect("state");
        let service = Rc::new(
            test::init_service(provincial_kpi::http::app(state, &config.cors_origins)).await,
        );
        let call: Call = Rc::new(move |request| {
            let service = service.clone();
            Box::pin(async move {
                let response = test::call_service(&*service, request).await;
                let status = response.status();
                let headers = response.headers().clone();
                let body = test::read_body(response).await;
                TestResponse {
                    status,
                    headers,
                    body,
                }
            })
        });
        TestApp {
            engine,
            tokens: TokenService::new(&config.jwt).expect("tokens"),
            config,
            call,
            _dir: dir,
        }
    }

    /// A valid token for a role in an organization (by code), signed like the service's own.
    pub fn token(&self, role: &str, org: Option<&str>) -> String {
        self.tokens
            .issue(&format!("test-{role}"), "ผู้ทดสอบ", role, org)
            .expect("token")
    }

    /// Tokens of the demo accounts' roles: admin (national) and Yasothon's people.
    pub fn admin(&self) -> String {
        self.token("admin", None)
    }
    pub fn yasothon_admin(&self) -> String {
        self.token("province_admin", Some("YST-PO"))
    }

    pub fn request(&self, method: Method, path: &str) -> RequestBuilder<'_> {
        RequestBuilder {
            app: self,
            inner: test::TestRequest::default().method(method).uri(path),
        }
    }
    pub fn get(&self, path: &str) -> RequestBuilder<'_> {
        self.request(Method::GET, path)
    }
    pub fn post(&self, path: &str) -> RequestBuilder<'_> {
        self.request(Method::POST, path)
    }
    pub fn patch(&self, path: &str) -> RequestBuilder<'_> {
        self.request(Method::PATCH, path)
    }
    pub fn delete(&self, path: &str) -> RequestBuilder<'_> {
        self.request(Method::DELETE, path)
    }

    /// The id of a demo organization by code (as admin).
    pub async fn org_id(&self, code: &str) -> i64 {
        let response = self
            .get(&format!("/api/v1/organizations?q={code}&limit=500"))
            .bearer(&self.admin())
            .send()
            .await;
        response.assert_status(200);
        response.json()["items"]
            .as_array()
            .and_then(|items| items.iter().find(|item| item["code"] == code))
            .and_then(|item| item["id"].as_i64())
            .unwrap_or_else(|| panic!("no organization {code}"))
    }
}

pub struct RequestBuilder<'a> {
    app: &'a TestApp,
    inner: test::TestRequest,
}

impl RequestBuilder<'_> {
    pub fn bearer(mut self, token: &str) -> Self {
        self.inner = self
            .inner
            .insert_header(("Authorization", format!("Bearer {token}")));
        self
    }
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.inner = self.inner.insert_header((
            HeaderName::from_bytes(name.as_bytes()).expect("header name"),
            HeaderValue::from_str(value).expect("header value"),
        ));
        self
    }
    pub fn json(mut self, body: &Value) -> Self {
        self.inner = self
            .inner
            .insert_header(("Content-Type", "application/json"))
            .set_payload(body.to_string());
        self
    }
    pub fn raw(mut self, content_type: &str, body: impl Into<Bytes>) -> Self {
        self.inner = self
            .inner
            .insert_header(("Content-Type", content_type))
            .set_payload(body.into());
        self
    }
    pub async fn send(self) -> TestResponse {
        (self.app.call)(self.inner.to_request()).await
    }
}

#[derive(Debug)]
pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl TestResponse {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }
    #[track_caller]
    pub fn assert_status(&self, expected: u16) -> &Self {
        assert_eq!(
            self.status.as_u16(),
            expected,
            "body: {}",
            String::from_utf8_lossy(&self.body)
        );
        self
    }
    /// Asserts a problem+json of the given status and `type` slug; returns the problem.
    #[track_caller]
    pub fn assert_problem(&self, status: u16, kind: &str) -> Value {
        self.assert_status(status);
        assert_eq!(
            self.header("content-type").as_deref(),
            Some("application/problem+json"),
            "problem content type"
        );
        let problem = self.json();
        assert_eq!(
            problem["type"],
            format!("urn:provincial-kpi:problem:{kind}"),
            "{problem}"
        );
        assert_eq!(problem["status"], status);
        problem
    }
    /// The fields named in a problem's `errors`.
    pub fn error_fields(&self) -> Vec<String> {
        self.json()["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .filter_map(|e| e["field"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Percent-encodes a query value (Thai text in URLs).
pub fn encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}
