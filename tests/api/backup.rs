//! Backup and restore under write load (README, "Backup and restore"): writers file reports
//! while a backup is taken — `provincial-kpi backup FILE` (SQLite, `VACUUM INTO`) or `pg_dump
//! -Fc` (PostgreSQL, the README's command) —; the backup is restored as the README says and
//! served again, and every report whose 201 was received before the backup started is there
//! with its value.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use actix_web::test;
use provincial_kpi::config::DatabaseUrl;
use serde_json::{json, Value};

use crate::both_engines;
use crate::fixtures::{active_demo, get};
use crate::support::{postgres, test_config, Engine, TestApp};

both_engines!(a_backup_under_write_load_restores_every_acknowledged_report);

const BIN: &str = env!("CARGO_BIN_EXE_provincial-kpi");
const WRITERS: usize = 4;
/// Reports acknowledged before the backup starts (the rest are filed while it runs).
const BEFORE: usize = 24;

/// (indicator id, organization id, period) → value.
type Key = (i64, i64, String);

/// Every (indicator, host organization, month) of the demo's monthly indicators.
async fn report_slots(app: &TestApp, evaluation: i64) -> Vec<Key> {
    let admin = app.admin();
    let document = get(
        app,
        &admin,
        &format!("/api/v1/evaluations/{evaluation}/framework"),
    )
    .await;
    let indicators = get(
        app,
        &admin,
        &format!("/api/v1/indicators?evaluation_id={evaluation}&limit=500"),
    )
    .await;
    let indicator_ids: HashMap<String, i64> = ids_by_code(&indicators);
    let organizations = get(app, &admin, "/api/v1/organizations?limit=500").await;
    let organization_ids = ids_by_code(&organizations);
    let months: Vec<String> = std::iter::once("2021-09".to_owned())
        .chain((10..=12).map(|m| format!("2021-{m:02}")))
        .chain((1..=9).map(|m| format!("2022-{m:02}")))
        .collect();
    let mut slots = Vec::new();
    for component in document["components"].as_array().expect("components") {
        for indicator in component["indicators"].as_array().expect("indicators") {
            if indicator["frequency"] != "monthly" {
                continue;
            }
            for assignment in indicator["assignments"].as_array().expect("assignments") {
                if assignment["role"] != "host" {
                    continue;
                }
                let indicator_id = indicator_ids[indicator["code"].as_str().expect("code")];
                let organization_id =
                    organization_ids[assignment["organization_code"].as_str().expect("org")];
                for month in &months {
                    slots.push((indicator_id, organization_id, month.clone()));
                }
            }
        }
    }
    // Month by month, so concurrent writers file different indicators' reports.
    slots.sort_by(|a, b| (&a.2, a.0, a.1).cmp(&(&b.2, b.0, b.1)));
    slots
}

fn ids_by_code(list: &Value) -> HashMap<String, i64> {
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| {
            (
                item["code"].as_str().expect("code").to_owned(),
                item["id"].as_i64().expect("id"),
            )
        })
        .collect()
}

/// Takes the backup of the engine's way into `dir`; returns its path.
fn take_backup(engine: Engine, url: &DatabaseUrl, dir: &Path) -> std::path::PathBuf {
    match (engine, url) {
        (Engine::Sqlite, DatabaseUrl::Sqlite(path)) => {
            let file = dir.join("backup.sqlite3");
            let done = Command::new(BIN)
                .arg("backup")
                .arg(&file)
                .env("DATABASE_URL", format!("sqlite://{}", path.display()))
                .output()
                .expect("running provincial-kpi backup");
            assert!(
                done.status.success(),
                "backup: {}",
                String::from_utf8_lossy(&done.stderr)
            );
            let said = String::from_utf8_lossy(&done.stdout);
            assert!(said.contains(&file.display().to_string()), "{said}");
            assert!(said.contains("bytes"), "{said}");
            // A second backup to the same file is refused and leaves it as it was.
            let before = std::fs::read(&file).expect("backup file");
            let again = Command::new(BIN)
                .arg("backup")
                .arg(&file)
                .env("DATABASE_URL", format!("sqlite://{}", path.display()))
                .output()
                .expect("running provincial-kpi backup");
            assert_eq!(again.status.code(), Some(1));
            assert_eq!(std::fs::read(&file).expect("backup file"), before);
            file
        }
        (Engine::Postgres, DatabaseUrl::Postgres(url)) => {
            let file = dir.join("backup.dump");
            // The README's command.
            let done = Command::new(pg_program("pg_dump"))
                .args(["-Fc", "-d", url, "-f"])
                .arg(&file)
                .output()
                .expect("running pg_dump");
            assert!(
                done.status.success(),
                "pg_dump: {}",
                String::from_utf8_lossy(&done.stderr)
            );
            // The service's own command refuses PostgreSQL and writes nothing.
            let refused = Command::new(BIN)
                .arg("backup")
                .arg(dir.join("not-written"))
                .env("DATABASE_URL", url)
                .output()
                .expect("running provincial-kpi backup");
            assert_eq!(refused.status.code(), Some(1));
            assert!(String::from_utf8_lossy(&refused.stderr).contains("pg_dump"));
            assert!(!dir.join("not-written").exists());
            file
        }
        _ => unreachable!("the engine and its URL agree"),
    }
}

fn pg_program(name: &str) -> std::path::PathBuf {
    std::path::PathBuf::from(
        std::env::var("KPI_PG_BINDIR").unwrap_or_else(|_| "/usr/lib/postgresql/15/bin".into()),
    )
    .join(name)
}

/// Restores as the README says: SQLite, the backup file in place of the database file (the
/// server stopped); PostgreSQL, pg_restore into a new empty database. The database to serve.
fn restore(engine: Engine, backup: &Path, dir: &Path) -> DatabaseUrl {
    match engine {
        Engine::Sqlite => {
            let database = dir.join("restored.sqlite3");
            std::fs::copy(backup, &database).expect("putting the backup in place");
            DatabaseUrl::Sqlite(database)
        }
        Engine::Postgres => {
            let url = postgres::cluster().expect("cluster").create_database(None);
            let done = Command::new(pg_program("pg_restore"))
                .args(["--no-owner", "--exit-on-error", "-d", &url])
                .arg(backup)
                .output()
                .expect("running pg_restore");
            assert!(
                done.status.success(),
                "pg_restore: {}",
                String::from_utf8_lossy(&done.stderr)
            );
            DatabaseUrl::Postgres(url)
        }
    }
}

/// Every report of the evaluation as the restored service lists them: key → value.
async fn served_reports(app: &TestApp, url: DatabaseUrl, evaluation: i64) -> HashMap<Key, f64> {
    // What `serve` does at start: migrations (none pending), then the application.
    provincial_kpi::storage::run_migrations(&url).expect("migrations on the restored database");
    let config = test_config(url);
    let state = provincial_kpi::startup::build_state(&config).expect("state");
    let service = test::init_service(provincial_kpi::http::app(state, &config.cors_origins)).await;
    let admin = app.admin();
    let mut reports = HashMap::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/api/v1/submissions?evaluation_id={evaluation}&limit=500");
        if let Some(cursor) = &cursor {
            path.push_str(&format!("&cursor={}", crate::support::encode(cursor)));
        }
        let request = test::TestRequest::get()
            .uri(&path)
            .insert_header(("Authorization", format!("Bearer {admin}")))
            .to_request();
        let page: Value = test::call_and_read_body_json(&service, request).await;
        for item in page["items"].as_array().expect("items") {
            let key = (
                item["indicator_id"].as_i64().expect("indicator"),
                item["organization_id"].as_i64().expect("organization"),
                item["period"].as_str().expect("period").to_owned(),
            );
            reports.insert(key, item["value"].as_f64().expect("value"));
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return reports,
        }
    }
}

/// Four writers file reports (one 201 at a time each) while the backup is taken; the backup,
/// restored and served, holds every report acknowledged before the backup started, with its
/// value, and nothing it holds differs from what was sent.
async fn a_backup_under_write_load_restores_every_acknowledged_report(app: TestApp) {
    let evaluation = active_demo(&app, &app.yasothon_admin()).await;
    let slots = report_slots(&app, evaluation).await;
    assert!(slots.len() > 4 * BEFORE, "{} slots", slots.len());
    let admin = app.admin();
    let dir = tempfile::tempdir().expect("temp dir");

    // (key, value, when its 201 was received)
    let acknowledged: RefCell<Vec<(Key, f64, Instant)>> = RefCell::new(Vec::new());
    let stop = Cell::new(false);
    let writers = (0..WRITERS).map(|writer| {
        let (slots, acknowledged, stop, admin, app) = (&slots, &acknowledged, &stop, &admin, &app);
        async move {
            for (n, key) in slots.iter().enumerate().skip(writer).step_by(WRITERS) {
                if stop.get() {
                    return;
                }
                let value = 1000.0 + n as f64 + 0.25;
                let response = app
                    .post("/api/v1/submissions")
                    .bearer(admin)
                    .json(&json!({"indicator_id": key.0, "organization_id": key.1,
                                  "period": key.2, "value": value, "status": "submitted"}))
                    .send()
                    .await;
                response.assert_status(201);
                acknowledged
                    .borrow_mut()
                    .push((key.clone(), value, Instant::now()));
            }
        }
    });
    let backup = async {
        while acknowledged.borrow().len() < BEFORE {
            actix_web::rt::time::sleep(Duration::from_millis(2)).await;
        }
        let started = Instant::now();
        let (engine, url, path) = (app.engine, app.config.database_url.clone(), dir.path());
        let path = path.to_owned();
        let file = actix_web::rt::task::spawn_blocking(move || take_backup(engine, &url, &path))
            .await
            .expect("backup thread");
        // A little more load after the backup, then the writers stop.
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
        stop.set(true);
        (started, file)
    };
    let (_, (started, file)) =
        futures_util::future::join(futures_util::future::join_all(writers), backup).await;

    let acknowledged = acknowledged.into_inner();
    let before: Vec<&(Key, f64, Instant)> = acknowledged
        .iter()
        .filter(|(_, _, at)| *at < started)
        .collect();
    let during = acknowledged.len() - before.len();
    assert!(before.len() >= BEFORE);
    assert!(
        during > 0,
        "no write was acknowledged after the backup began"
    );

    let restored = restore(app.engine, &file, dir.path());
    let reports = served_reports(&app, restored, evaluation).await;
    for (key, value, _) in &before {
        assert_eq!(
            reports.get(key),
            Some(value),
            "report {key:?} acknowledged before the backup started"
        );
    }
    // Whatever else the snapshot caught is a report as it was sent, never a torn one.
    let sent: HashMap<&Key, f64> = acknowledged.iter().map(|(k, v, _)| (k, *v)).collect();
    for (key, value) in &reports {
        if let Some(sent) = sent.get(key) {
            assert_eq!(sent, value, "report {key:?}");
        }
    }
    eprintln!(
        "{:?}: {} reports acknowledged before the backup, {} during or after it; the restored \
         database holds {} reports",
        app.engine,
        before.len(),
        during,
        reports.len()
    );
}
