//! `provincial-kpi generate` (issue 14, item 1), run as the real binary on a fresh, empty
//! database of each engine at a small size (2 provinces × 3 agencies × 4 indicators × 3
//! months): the counts it reports are the database's, the same seed makes the same year, the
//! manifest's accounts log in through the service and read what the manifest names, a round's
//! summary answers, the rankings rank both provinces; a database with organizations is refused.

use std::process::{Command, Output};

use actix_web::test;
use diesel::prelude::*;
use provincial_kpi::config::DatabaseUrl;
use provincial_kpi::storage::schema::{assignments, indicators, organizations, submissions};
use provincial_kpi::storage::{ConnectionManager, DbConnection};
use serde_json::{json, Value};

use crate::both_engines;
use crate::support::{self, encode, TestApp};

both_engines!(a_small_national_year, a_filled_database_is_refused);

const BIN: &str = env!("CARGO_BIN_EXE_provincial-kpi");
const PASSWORD: &str = "generated-password-2565";
const SMALL: [&str; 8] = [
    "--provinces",
    "2",
    "--agencies",
    "3",
    "--indicators",
    "4",
    "--months",
    "3",
];

fn url_text(url: &DatabaseUrl) -> String {
    match url {
        DatabaseUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
        DatabaseUrl::Postgres(url) => url.clone(),
    }
}

fn generate(url: &DatabaseUrl, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("generate")
        .args(args)
        .env("DATABASE_URL", url_text(url))
        .env("KPI_PASSWORD", PASSWORD)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run generate")
}

#[track_caller]
fn succeeded(output: &Output) {
    assert!(
        output.status.success(),
        "generate failed ({:?}): {}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn count(conn: &mut DbConnection, table: &str) -> i64 {
    match table {
        "organizations" => organizations::table.count().get_result(conn),
        "indicators" => indicators::table.count().get_result(conn),
        "assignments" => assignments::table.count().get_result(conn),
        _ => submissions::table.count().get_result(conn),
    }
    .expect("count")
}

/// Every report as (indicator code, organization code, period, value, status, first
/// submitted at): what the seed decides.
type Report = (
    String,
    String,
    String,
    Option<f64>,
    String,
    Option<chrono::NaiveDateTime>,
);

fn reports(conn: &mut DbConnection) -> Vec<Report> {
    submissions::table
        .inner_join(indicators::table)
        .inner_join(organizations::table)
        .order((indicators::code, organizations::code, submissions::period))
        .select((
            indicators::code,
            organizations::code,
            submissions::period,
            submissions::value,
            submissions::status,
            submissions::first_submitted_at,
        ))
        .load(conn)
        .expect("reports")
}

/// A request to the service over `url`, as `token` (None: without one); (status, JSON body).
async fn call<S, B>(
    service: &S,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value)
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
{
    let mut request = test::TestRequest::default()
        .method(method.parse().expect("method"))
        .uri(path);
    if let Some(token) = token {
        request = request.insert_header(("Authorization", format!("Bearer {token}")));
    }
    if let Some(body) = body {
        request = request
            .insert_header(("Content-Type", "application/json"))
            .set_payload(body.to_string());
    }
    let response = test::call_service(service, request.to_request()).await;
    let status = response.status().as_u16();
    let bytes = test::read_body(response).await;
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, json)
}

async fn a_small_national_year(app: TestApp) {
    let Some((url, _dir)) = support::fresh_database(app.engine) else {
        return;
    };
    let files = tempfile::tempdir().expect("dir");
    let manifest_path = files.path().join("manifest.json");
    let mut args = SMALL.to_vec();
    let manifest_arg = manifest_path.display().to_string();
    args.extend(["--manifest", &manifest_arg]);
    let output = generate(&url, &args);
    succeeded(&output);
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(&manifest_path).expect("manifest")).expect("json");

    // The counts are the database's: the country, 2 provinces, each with its office and 3
    // agencies; 4 indicators each, reported by the 3 agencies and supervised by the office;
    // at most 3 months of each, less the gaps.
    let mut conn = ConnectionManager::new(url.clone())
        .establish()
        .expect("connect");
    let counts = &manifest["counts"];
    assert_eq!(counts["organizations"], 11);
    assert_eq!(counts["indicators"], 8);
    assert_eq!(counts["assignments"], 32);
    for table in ["organizations", "indicators", "assignments", "reports"] {
        assert_eq!(counts[table], count(&mut conn, table), "{table}");
    }
    let filed = counts["reports"].as_i64().expect("reports");
    assert!((50..=72).contains(&filed), "{filed} of 72 places");
    assert_eq!(manifest["engine"], url.engine());
    assert_eq!(manifest["fiscal_year"], 2565);
    assert_eq!(manifest["password_env"], "KPI_PASSWORD");
    assert_eq!(manifest["province"]["code"], "TH-35");
    assert_eq!(manifest["organization"]["code"], "TH35-PEO");
    assert_eq!(
        manifest["round_names"],
        json!([
            "รอบ 2 เดือน (ต.ค. 2564 – พ.ย. 2564)",
            "รอบ 3 เดือน (ต.ค. 2564 – ธ.ค. 2564)"
        ])
    );
    assert!(manifest["seconds"].as_f64().is_some());

    // The same seed makes the same year; another seed another.
    let again = |seed: &str| {
        let (other, dir) = support::fresh_database(app.engine).expect("a second database");
        let mut args = SMALL.to_vec();
        args.extend(["--seed", seed]);
        succeeded(&generate(&other, &args));
        let mut conn = ConnectionManager::new(other).establish().expect("connect");
        let reports = reports(&mut conn);
        drop(dir);
        reports
    };
    let year = reports(&mut conn);
    assert_eq!(again("1"), year, "--seed 1 is the default");
    assert_ne!(again("2"), year);
    drop(conn);

    // The service over the generated database.
    let config = support::test_config(url.clone());
    let state = provincial_kpi::startup::build_state(&config).expect("state");
    let service = test::init_service(provincial_kpi::http::app(state, &config.cors_origins)).await;
    let mut tokens = std::collections::HashMap::new();
    for role in ["admin", "province_admin", "supervisor", "agency_officer"] {
        let username = manifest["accounts"][role].as_str().expect("username");
        let (status, body) = call(
            &service,
            "POST",
            "/api/v1/auth/token",
            None,
            Some(json!({"username": username, "password": PASSWORD})),
        )
        .await;
        assert_eq!(status, 200, "{role} {username}: {body}");
        let token = body["access_token"].as_str().expect("token").to_owned();
        let (status, me) = call(&service, "GET", "/api/v1/me", Some(&token), None).await;
        assert_eq!(status, 200, "{me}");
        assert_eq!(me["role"], role, "{me}");
        tokens.insert(role, token);
    }

    // The officer is the manifest's organization's and reads the sample report, its own.
    let sample = manifest["sample_report_id"].as_i64().expect("sample");
    let (status, report) = call(
        &service,
        "GET",
        &format!("/api/v1/submissions/{sample}"),
        Some(&tokens["agency_officer"]),
        None,
    )
    .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["organization_id"], manifest["organization"]["id"]);
    assert_eq!(report["period"], manifest["sample_period"]);
    assert_eq!(report["status"], "submitted");
    assert_eq!(report["on_time"], true);

    // The province admin and the supervisor are the province's: each round's summary answers,
    // with the evaluation's 3 agencies in it.
    let evaluation = manifest["evaluation_id"].as_i64().expect("evaluation");
    let (status, found) = call(
        &service,
        "GET",
        &format!("/api/v1/evaluations/{evaluation}"),
        Some(&tokens["province_admin"]),
        None,
    )
    .await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["province_id"], manifest["province"]["id"]);
    assert_eq!(found["status"], "active");
    for round in manifest["round_ids"].as_array().expect("rounds") {
        for role in ["province_admin", "supervisor"] {
            let (status, summary) = call(
                &service,
                "GET",
                &format!("/api/v1/rounds/{round}/summary"),
                Some(&tokens[role]),
                None,
            )
            .await;
            assert_eq!(status, 200, "{role}: {summary}");
            assert_eq!(summary["organizations"].as_array().map(Vec::len), Some(3));
            assert!(summary["completeness"]["received"].as_i64() > Some(0));
        }
    }

    // Both provinces have the rounds by name: the rankings rank both.
    for name in manifest["round_names"].as_array().expect("names") {
        let name = name.as_str().expect("name");
        let (status, rankings) = call(
            &service,
            "GET",
            &format!(
                "/api/v1/fiscal-years/2565/rankings?round_name={}",
                encode(name)
            ),
            Some(&tokens["admin"]),
            None,
        )
        .await;
        assert_eq!(status, 200, "{rankings}");
        let mut provinces: Vec<&str> = rankings["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|item| item["province_code"].as_str().expect("code"))
            .collect();
        provinces.sort_unstable();
        assert_eq!(provinces, ["TH-11", "TH-35"], "{rankings}");
    }
}

async fn a_filled_database_is_refused(app: TestApp) {
    // The test database holds the demo's organizations.
    let url = app.config.database_url.clone();
    let mut conn = ConnectionManager::new(url.clone())
        .establish()
        .expect("connect");
    let before = count(&mut conn, "organizations");
    let output = generate(&url, &SMALL);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("already holds organizations"), "{stderr}");
    assert_eq!(count(&mut conn, "organizations"), before);

    // Without a password nothing starts.
    let output = Command::new(BIN)
        .arg("generate")
        .env("DATABASE_URL", url_text(&url))
        .env_remove("KPI_PASSWORD")
        .output()
        .expect("run generate");
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("KPI_PASSWORD"));
}
