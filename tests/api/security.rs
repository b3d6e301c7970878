//! OWASP API Security Top 10 (2023): the protections docs/SECURITY.md names that no other test
//! file proves. Each test here was shown to fail with its protection removed (docs/SECURITY.md).

use std::io::ErrorKind;
use std::net::TcpListener;
use std::rc::Rc;
use std::time::Duration;

use actix_web::http::{Method, StatusCode};
use actix_web::web::{self, Bytes};
use actix_web::{test as actix_test, HttpRequest};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

use crate::both_engines;
use crate::fixtures::{get, post};
use crate::submissions::report_target;
use crate::support::{fresh_database, test_config, Engine, TestApp, AUDIENCE, ISSUER, SECRET};

both_engines!(
    accounts_never_show_a_password_or_its_hash,
    a_role_sets_only_the_fields_it_may,
    every_list_refuses_a_page_over_the_cap,
    evidence_urls_are_never_fetched,
    responses_say_nosniff_and_cors_is_an_allow_list,
    every_served_route_is_in_the_contract_and_back,
    identity_provider_tokens_are_checked,
);

/// The committed contract.
fn contract() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("openapi.json")).expect("json")
}

/// `(method, path, operation)` of every operation in the contract.
fn operations(spec: &Value) -> Vec<(Method, String, Value)> {
    let mut found = Vec::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("path item") {
            if let Ok(method) = Method::from_bytes(method.to_ascii_uppercase().as_bytes()) {
                if operation.get("operationId").is_some() {
                    found.push((method, path.clone(), operation.clone()));
                }
            }
        }
    }
    found
}

/// A path template with every `{parameter}` replaced by `value`.
fn fill(template: &str, value: &str) -> String {
    template
        .split('/')
        .map(|segment| {
            if segment.starts_with('{') && segment.ends_with('}') {
                value
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

// API3: broken object property level authorization.

/// A password is write-only: no answer that shows an account (its create, read, list, the
/// caller's own `/me`, the audit trail of its create and change) carries it or its hash.
async fn accounts_never_show_a_password_or_its_hash(app: TestApp) {
    let admin = app.admin();
    let password = "Pr0perty-Level-2565";
    let created = post(
        &app,
        &admin,
        "/api/v1/users",
        json!({"username": "property.check", "display_name": "ตรวจสิทธิ์", "password": password,
               "role": "viewer", "organization_id": app.org_id("TH-35").await}),
    )
    .await;
    let id = created["id"].as_i64().expect("id");
    let path = format!("/api/v1/users/{id}");
    let read = app.get(&path).bearer(&admin).send().await;
    read.assert_status(200);
    let etag = read.header("etag").expect("etag");
    app.patch(&path)
        .bearer(&admin)
        .header("If-Match", &etag)
        .json(&json!({"password": format!("{password}-new")}))
        .send()
        .await
        .assert_status(200);
    let token = app
        .post("/api/v1/auth/token")
        .json(&json!({"username": "property.check", "password": format!("{password}-new")}))
        .send()
        .await;
    token.assert_status(200);
    let own = token.json()["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let mut shown = vec![created.to_string()];
    for (token, path) in [
        (&admin, path.clone()),
        (&admin, "/api/v1/users?limit=500".to_owned()),
        (
            &admin,
            format!("/api/v1/audit-events?entity_type=user&entity_id={id}"),
        ),
        (&own, "/api/v1/me".to_owned()),
    ] {
        let response = app.get(&path).bearer(token).send().await;
        response.assert_status(200);
        shown.push(String::from_utf8_lossy(&response.body).into_owned());
    }
    let audit = &shown[3];
    assert!(audit.contains("property.check"), "{audit}");
    for body in shown {
        for secret in [password, "$argon2", "password_hash"] {
            assert!(!body.contains(secret), "{secret} shown in {body}");
        }
    }
}

/// What a role may not set, it cannot set: an agency officer cannot file a report as approved
/// nor backdate its first submission; a province administrator cannot grant the integration
/// role (it backfills `submitted_at`); read-only fields (`version`, `first_submitted_at`,
/// `created_by`) are refused to everyone, admin included. Each refusal stores nothing.
async fn a_role_sets_only_the_fields_it_may(app: TestApp) {
    let (evaluation, indicator, peo) = report_target(&app, "E.1", "YST-PEO").await;
    let officer = app.token("agency_officer", Some("YST-PEO"));
    let report = |extra: Value| {
        let mut body = json!({"indicator_id": indicator, "organization_id": peo,
                              "period": "2022-01", "value": 10.0});
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            body.extend(extra.clone());
        }
        body
    };
    for extra in [
        json!({"status": "approved"}),
        json!({"first_submitted_at": "2021-01-01T00:00:00Z"}),
        json!({"created_by": "someone.else"}),
        json!({"version": 7}),
    ] {
        let refused = app
            .post("/api/v1/submissions")
            .bearer(&officer)
            .json(&report(extra.clone()))
            .send()
            .await;
        assert_eq!(refused.status.as_u16(), 400, "{extra}: {:?}", refused.body);
    }
    let listed = get(
        &app,
        &app.admin(),
        &format!("/api/v1/submissions?evaluation_id={evaluation}"),
    )
    .await;
    assert_eq!(listed["items"], json!([]), "a refused report was stored");

    // A batch: `submitted_at` is for admins and integrations only.
    let batch = app
        .post("/api/v1/submissions/batch")
        .bearer(&officer)
        .json(&json!({"evaluation_id": evaluation, "items": [{
            "indicator_code": "E.1", "organization_code": "YST-PEO", "period": "2022-01",
            "value": 10.0, "submitted_at": "2022-01-02T00:00:00Z"}]}))
        .send()
        .await;
    batch.assert_status(200);
    assert_eq!(batch.json()["rejected"], 1);
    assert_eq!(batch.error_fields(), ["submitted_at"]);

    // The filed report: the officer edits its value, not what the service keeps.
    let filed = post(&app, &officer, "/api/v1/submissions", report(json!({}))).await;
    let path = format!("/api/v1/submissions/{}", filed["id"]);
    for field in [
        json!({"first_submitted_at": "2021-01-01T00:00:00Z"}),
        json!({"status": "approved"}),
        json!({"organization_id": app.org_id("YST-PO").await}),
    ] {
        let read = app.get(&path).bearer(&officer).send().await;
        let refused = app
            .patch(&path)
            .bearer(&officer)
            .header("If-Match", &read.header("etag").expect("etag"))
            .json(&field)
            .send()
            .await;
        assert_eq!(refused.status.as_u16(), 400, "{field}: {:?}", refused.body);
    }
    assert_eq!(
        get(&app, &officer, &path).await,
        filed,
        "a refused patch changed the report"
    );

    // A province administrator manages its province's accounts but cannot grant integration.
    let yasothon = app.yasothon_admin();
    let refused = app
        .post("/api/v1/users")
        .bearer(&yasothon)
        .json(
            &json!({"username": "backfiller", "display_name": "x", "password": "Long-enough-2565",
                      "role": "integration", "organization_id": app.org_id("TH-35").await}),
        )
        .send()
        .await;
    refused.assert_problem(403, "forbidden");
}

// API4: unrestricted resource consumption (pages; bodies, batches and hashing are in
// problems.rs, batch.rs and auth.rs).

/// Every list operation in the contract refuses a page over 500 rows or under 1 (400 naming
/// `limit`) before it reads anything, and serves a full page of 500.
async fn every_list_refuses_a_page_over_the_cap(app: TestApp) {
    let admin = app.admin();
    let spec = contract();
    let mut lists = 0;
    for (method, template, operation) in operations(&spec) {
        let takes_limit = operation["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|p| p["$ref"] == "#/components/parameters/Limit");
        if method != Method::GET || !takes_limit {
            continue;
        }
        lists += 1;
        let path = fill(&template, "1");
        for limit in ["501", "0", "100000"] {
            let response = app
                .get(&format!("{path}?limit={limit}"))
                .bearer(&admin)
                .send()
                .await;
            response.assert_problem(400, "bad-request");
            assert_eq!(response.error_fields(), ["limit"], "{path}?limit={limit}");
        }
        if !template.contains('{') {
            app.get(&format!("{path}?limit=500"))
                .bearer(&admin)
                .send()
                .await
                .assert_status(200);
        }
    }
    assert!(lists >= 12, "only {lists} list operations found");
}

// API7: server side request forgery.

/// Evidence links are stored for people to open and never fetched: links to a listener on
/// this machine go through filing, submitting, approving, reading, the history, the summary
/// in every format, the meeting page and a snapshot, and the listener is never connected to.
async fn evidence_urls_are_never_fetched(app: TestApp) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("listener");
    listener.set_nonblocking(true).expect("nonblocking");
    let port = listener.local_addr().expect("address").port();
    let (evaluation, indicator, peo) = report_target(&app, "E.1", "YST-PEO").await;
    let officer = app.token("agency_officer", Some("YST-PEO"));
    let yasothon = app.yasothon_admin();
    let urls = json!([
        format!("http://127.0.0.1:{port}/evidence.pdf"),
        format!("http://localhost:{port}/latest/meta-data/"),
        format!("https://127.0.0.1:{port}/report?id=1"),
    ]);
    let filed = post(
        &app,
        &officer,
        "/api/v1/submissions",
        json!({"indicator_id": indicator, "organization_id": peo, "period": "2022-01",
               "value": 1180.5, "evidence_urls": urls, "status": "submitted"}),
    )
    .await;
    assert_eq!(filed["evidence_urls"], urls);
    let path = format!("/api/v1/submissions/{}", filed["id"]);
    let read = app.get(&path).bearer(&yasothon).send().await;
    app.post(&format!("{path}/approve"))
        .bearer(&yasothon)
        .header("If-Match", &read.header("etag").expect("etag"))
        .send()
        .await
        .assert_status(200);
    let round = post(
        &app,
        &yasothon,
        &format!("/api/v1/evaluations/{evaluation}/rounds"),
        json!({"name": "SSRF", "start_period": "2021-10", "end_period": "2022-09"}),
    )
    .await["id"]
        .clone();
    let as_of = "as_of=2022-06-01T00:00:00Z";
    for read in [
        path.clone(),
        format!("{path}/history"),
        format!("/api/v1/submissions?evaluation_id={evaluation}"),
        format!("/api/v1/rounds/{round}/summary?{as_of}"),
        format!("/api/v1/rounds/{round}/summary?{as_of}&format=csv&part=organizations"),
        format!("/api/v1/rounds/{round}/summary?{as_of}&format=xlsx"),
        format!("/api/v1/rounds/{round}/summary.html?{as_of}"),
        format!("/api/v1/rounds/{round}/summary.svg?{as_of}"),
        format!("/api/v1/rounds/{round}/indicators/{indicator}?{as_of}"),
        format!("/api/v1/organizations/{peo}/due?{as_of}"),
    ] {
        app.get(&read)
            .bearer(&yasothon)
            .send()
            .await
            .assert_status(200);
    }
    post(
        &app,
        &yasothon,
        &format!("/api/v1/rounds/{round}/snapshots?{as_of}"),
        json!({}),
    )
    .await;
    // Anything started in the background has time to connect.
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    match listener.accept() {
        Err(error) if error.kind() == ErrorKind::WouldBlock => {}
        Ok((_, peer)) => panic!("the service connected to an evidence URL (from {peer})"),
        Err(error) => panic!("listener: {error}"),
    }
}

// API8: security misconfiguration.

/// Every answer says `X-Content-Type-Options: nosniff` (a browser never runs a JSON, CSV or
/// problem body as a page); a token is never cached; CORS answers only the configured
/// origins, never with credentials, and a preflight from another origin is not granted.
async fn responses_say_nosniff_and_cors_is_an_allow_list(app: TestApp) {
    let admin = app.admin();
    for (path, status) in [
        ("/api/v1/organizations", 200),
        ("/api/v1/organizations/999999", 404),
        ("/api/v1/no-such-thing", 404),
        ("/healthz", 200),
        ("/api-docs/openapi.json", 200),
    ] {
        let response = app.get(path).bearer(&admin).send().await;
        response.assert_status(status);
        assert_eq!(
            response.header("x-content-type-options").as_deref(),
            Some("nosniff"),
            "{path}"
        );
    }
    let unauthenticated = app.get("/api/v1/me").send().await;
    assert_eq!(
        unauthenticated.header("x-content-type-options").as_deref(),
        Some("nosniff")
    );
    let token = app
        .post("/api/v1/auth/token")
        .json(&json!({"username": "admin", "password": "wrong-password-2565"}))
        .send()
        .await;
    assert_eq!(token.status.as_u16(), 401);

    for origin in [
        "https://evil.example",
        "null",
        "https://kpi.example.go.th.evil.example",
    ] {
        let simple = app
            .get("/api/v1/organizations")
            .bearer(&admin)
            .header("Origin", origin)
            .send()
            .await;
        assert!(
            simple.header("access-control-allow-origin").is_none(),
            "{origin}"
        );
        let preflight = app
            .request(Method::OPTIONS, "/api/v1/organizations")
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "DELETE")
            .send()
            .await;
        assert!(
            preflight.header("access-control-allow-origin").is_none(),
            "{origin}: {:?}",
            preflight.headers
        );
    }
    let allowed = app
        .get("/api/v1/organizations")
        .bearer(&admin)
        .header("Origin", "https://kpi.example.go.th")
        .send()
        .await;
    assert_eq!(
        allowed.header("access-control-allow-origin").as_deref(),
        Some("https://kpi.example.go.th")
    );
    assert!(allowed.header("access-control-allow-credentials").is_none());
}

// API9: improper inventory management.

type Call = Rc<
    dyn Fn(
        actix_http::Request,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = (StatusCode, Bytes)>>>,
>;

/// The application as served, with one extra route that shows actix's own route table.
async fn served_app(engine: Engine) -> Option<Call> {
    let (url, dir) = fresh_database(engine)?;
    let config = test_config(url);
    let state = provincial_kpi::startup::build_state(&config).expect("state");
    let service = Rc::new(
        actix_test::init_service(
            provincial_kpi::http::app(state, &config.cors_origins).route(
                "/__route-table",
                web::get().to(|request: HttpRequest| async move {
                    format!("{:#?}", request.resource_map())
                }),
            ),
        )
        .await,
    );
    let dir = Rc::new(dir);
    Some(Rc::new(move |request| {
        let service = service.clone();
        let _dir = dir.clone();
        Box::pin(async move {
            let response = actix_test::call_service(&*service, request).await;
            let status = response.status();
            (status, actix_test::read_body(response).await)
        })
    }))
}

/// Every route actix serves is in the contract and every path of the contract is served, with
/// exactly the contract's methods: the other methods are the router's 405, never a handler.
/// The route table is actix's own (its resource map), not the contract read back.
async fn every_served_route_is_in_the_contract_and_back(app: TestApp) {
    let Some(call) = served_app(app.engine).await else {
        return;
    };
    let token = app.admin();
    let table = call(
        actix_test::TestRequest::get()
            .uri("/__route-table")
            .to_request(),
    )
    .await;
    let table = String::from_utf8_lossy(&table.1).into_owned();
    if std::env::var_os("SHOW_ROUTE_TABLE").is_some() {
        eprintln!("{table}");
    }
    // The tree of routes, without the `named:` index (the same routes again, unprefixed).
    let mut tree = String::new();
    let mut skipping: Option<String> = None;
    for line in table.lines() {
        let indent = &line[..line.len() - line.trim_start().len()];
        match &skipping {
            Some(end) if line == end => skipping = None,
            Some(_) => {}
            None if line.trim_start() == "named: {" => skipping = Some(format!("{indent}}},")),
            None => {
                tree.push_str(line);
                tree.push('\n');
            }
        }
    }
    let table = tree;
    // Each route actix holds, with its prefix: a scope's routes are nested in its node.
    let pattern =
        regex::Regex::new(r#"(?m)^( *)patterns: Single\(\n *"([^"]*)",\n"#).expect("regex");
    let mut prefixes: Vec<(usize, String)> = Vec::new();
    let mut served = std::collections::BTreeSet::new();
    for captures in pattern.captures_iter(&table) {
        let depth = captures[1].len();
        let pattern = &captures[2];
        prefixes.retain(|(d, _)| *d < depth);
        let prefix = prefixes.last().map(|(_, p)| p.clone()).unwrap_or_default();
        let full = format!("{prefix}{pattern}");
        if pattern.is_empty() {
            continue; // the application's root node
        }
        if pattern == "/api/v1" {
            prefixes.push((depth, full));
            continue;
        }
        served.insert(full);
    }
    let spec = contract();
    let documented: std::collections::BTreeSet<String> = spec["paths"]
        .as_object()
        .expect("paths")
        .keys()
        .cloned()
        .collect();
    // Outside the contract by design: Swagger UI, the document itself, the redirects to the UI,
    // and this test's own route.
    let outside = [
        "/",
        "/swagger-ui",
        "/swagger-ui/{_:.*}",
        "/api-docs/openapi.json",
        "/__route-table",
    ];
    let normalise = |path: &str| fill(path, "{}");
    let documented_shapes: std::collections::BTreeSet<String> =
        documented.iter().map(|p| normalise(p)).collect();
    let served_shapes: std::collections::BTreeSet<String> = served
        .iter()
        .filter(|p| !outside.contains(&p.as_str()))
        .map(|p| normalise(p))
        .collect();
    assert!(
        served.len() > 40,
        "the route table was not read: {served:?}"
    );
    let undocumented: Vec<&String> = served_shapes.difference(&documented_shapes).collect();
    assert!(
        undocumented.is_empty(),
        "served but not in the contract: {undocumented:?}"
    );
    let unserved: Vec<&String> = documented_shapes.difference(&served_shapes).collect();
    assert!(
        unserved.is_empty(),
        "in the contract but not served: {unserved:?}"
    );

    // Methods: a documented one reaches a handler; any other is the router's 405.
    let ops = operations(&spec);
    for template in &documented {
        let path = fill(template, "999999");
        for method in [
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ] {
            let listed = ops.iter().any(|(m, p, _)| *m == method && p == template);
            let request = actix_test::TestRequest::default()
                .method(method.clone())
                .uri(&path)
                .insert_header(("Authorization", format!("Bearer {token}")))
                .to_request();
            let (status, body) = call(request).await;
            let body = String::from_utf8_lossy(&body);
            let routed_away = status == StatusCode::METHOD_NOT_ALLOWED
                || body.contains("there is no resource at");
            if listed {
                assert!(!routed_away, "{method} {template}: {status} {body}");
            } else {
                assert_eq!(
                    status,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "{method} {template}: {body}"
                );
            }
        }
    }
}

/// The links of the contract name operations and parameters that exist (the stateful fuzz
/// follows them: a stale link would silently walk nowhere).
#[test]
fn every_contract_link_resolves() {
    let spec = contract();
    let ops = operations(&spec);
    let mut links = 0;
    for (_, _, operation) in &ops {
        for response in operation["responses"]
            .as_object()
            .expect("responses")
            .values()
        {
            for (name, link) in response["links"].as_object().into_iter().flatten() {
                links += 1;
                let target = link["operationId"].as_str().expect("operationId");
                let (_, _, target_operation) = ops
                    .iter()
                    .find(|(_, _, o)| o["operationId"] == target)
                    .unwrap_or_else(|| panic!("link {name}: no operation {target}"));
                let parameters: Vec<(String, String)> = target_operation["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|p| {
                        let p = match p["$ref"].as_str() {
                            Some(r) => spec.pointer(r.trim_start_matches('#'))?,
                            None => p,
                        };
                        Some((p["in"].as_str()?.to_owned(), p["name"].as_str()?.to_owned()))
                    })
                    .collect();
                for (parameter, expression) in link["parameters"].as_object().expect("parameters") {
                    let (place, name) = parameter.split_once('.').expect("location.name");
                    assert!(
                        parameters.contains(&(place.to_owned(), name.to_owned())),
                        "link {name} to {target}: no {parameter}"
                    );
                    let expression = expression.as_str().expect("expression");
                    assert!(
                        expression.starts_with("$response.body#/")
                            || expression == "$response.header.ETag",
                        "{expression}"
                    );
                }
            }
        }
    }
    assert!(links >= 60, "only {links} links");
}

// API10: unsafe consumption of APIs (the identity provider's tokens).

const IDP_PRIVATE: &[u8] = include_bytes!("../fixtures/jwt-test-rsa-private.pem");
const IDP_PUBLIC: &[u8] = include_bytes!("../fixtures/jwt-test-rsa-public.pem");
const OTHER_PRIVATE: &[u8] = include_bytes!("../fixtures/jwt-test-other-rsa-private.pem");

/// A service configured, as a deployment behind an identity provider is, with the provider's
/// RS256 public key only: it takes the provider's tokens and nothing else. Refused (401): an
/// unsigned token (`alg: none`), an HS256 token keyed with the public key (algorithm
/// confusion), an HS256 token with any secret, a token signed by another key, with another
/// issuer or audience, expired, not yet valid, or with no expiry.
async fn identity_provider_tokens_are_checked(app: TestApp) {
    let Some((url, _dir)) = fresh_database(app.engine) else {
        return;
    };
    let mut config = test_config(url);
    config.jwt.keys = provincial_kpi::config::JwtKeys::Rs256 {
        public_pem: IDP_PUBLIC.to_vec(),
        private_pem: None,
    };
    {
        let mut conn = provincial_kpi::storage::ConnectionManager::new(config.database_url.clone())
            .establish()
            .expect("connect");
        provincial_kpi::storage::write_transaction(
            &mut conn,
            provincial_kpi::demo::seed_organizations_and_accounts,
        )
        .expect("fixtures");
    }
    let state = provincial_kpi::startup::build_state(&config).expect("state");
    let service = actix_test::init_service(provincial_kpi::http::app(state, &[])).await;
    let now = chrono::Utc::now().timestamp();
    let claims = |overrides: Value| {
        let mut claims = json!({"sub": "idp-user", "name": "ผู้ใช้", "role": "viewer", "org": "TH-35",
                                "iat": now, "exp": now + 600, "iss": ISSUER, "aud": AUDIENCE});
        for (key, value) in overrides.as_object().expect("object") {
            if value.is_null() {
                claims.as_object_mut().expect("object").remove(key);
            } else {
                claims[key] = value.clone();
            }
        }
        claims
    };
    let rs256 = |claims: &Value, key: &[u8]| {
        encode(
            &Header::new(Algorithm::RS256),
            claims,
            &EncodingKey::from_rsa_pem(key).expect("key"),
        )
        .expect("sign")
    };
    let hs256 = |claims: &Value, secret: &[u8]| {
        encode(
            &Header::new(Algorithm::HS256),
            claims,
            &EncodingKey::from_secret(secret),
        )
        .expect("sign")
    };
    use base64::Engine as _;
    let b64 = |raw: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
    let unsigned = format!(
        "{}.{}.",
        b64(r#"{"alg":"none","typ":"JWT"}"#),
        b64(&claims(json!({"role": "admin", "org": null})).to_string())
    );
    let status = |token: String| {
        let request = actix_test::TestRequest::get()
            .uri("/api/v1/me")
            .insert_header(("Authorization", format!("Bearer {token}")))
            .to_request();
        let service = &service;
        async move {
            actix_test::call_service(service, request)
                .await
                .status()
                .as_u16()
        }
    };
    assert_eq!(
        status(rs256(&claims(json!({})), IDP_PRIVATE)).await,
        200,
        "the provider's token"
    );
    for (what, token) in [
        ("alg none", unsigned),
        (
            "HS256 keyed with the public key",
            hs256(&claims(json!({})), IDP_PUBLIC),
        ),
        (
            "HS256 with a secret",
            hs256(&claims(json!({})), SECRET.as_bytes()),
        ),
        ("another key", rs256(&claims(json!({})), OTHER_PRIVATE)),
        (
            "another issuer",
            rs256(&claims(json!({"iss": "https://evil.example"})), IDP_PRIVATE),
        ),
        (
            "another audience",
            rs256(&claims(json!({"aud": "another-service"})), IDP_PRIVATE),
        ),
        (
            "expired",
            rs256(
                &claims(json!({"exp": now - 3600, "iat": now - 7200})),
                IDP_PRIVATE,
            ),
        ),
        (
            "not yet valid",
            rs256(&claims(json!({"nbf": now + 3600})), IDP_PRIVATE),
        ),
        (
            "no expiry",
            rs256(&claims(json!({"exp": null})), IDP_PRIVATE),
        ),
    ] {
        assert_eq!(status(token).await, 401, "{what}");
    }
}
