//! Two instances on one database (issue 15, part 2): the national deployment runs several
//! stateless instances on one PostgreSQL, so every protection against a lost or doubled write
//! must hold in the database, not in one process. Each race runs many rounds, one request from
//! each instance (`TestApp::another_instance`: its own pool, caller cache and service). On
//! SQLite the same races run between two instances on one file.
//!
//! The fifth case of the issue, an account disabled on one instance refused by both at its next
//! request, is `round_trips::every_instance_refuses_an_account_disabled_on_another` and
//! `round_trips::a_burst_across_two_instances_around_a_disable`.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use futures_util::future::{join, join_all};
use provincial_kpi::config::DatabaseUrl;
use provincial_kpi::storage::{self, ConnectionManager};
use serde_json::{json, Value};

use crate::both_engines;
use crate::contract::Server;
use crate::fixtures::{active_demo, get, indicator_by_code, post};
use crate::support::{Engine, TestApp, TestResponse};

both_engines!(
    one_if_match_patch_wins_across_two_instances,
    one_idempotency_key_creates_once_across_two_instances,
    reports_racing_the_close_are_stored_before_it_or_refused,
    migrations_run_at_once_apply_once,
);

const ROUNDS: usize = 20;

fn officer(app: &TestApp) -> String {
    app.token("agency_officer", Some("YST-PEO"))
}

async fn patch_if_match(
    instance: &TestApp,
    path: &str,
    token: &str,
    etag: &str,
    body: Value,
) -> TestResponse {
    instance
        .patch(path)
        .bearer(token)
        .header("If-Match", etag)
        .json(&body)
        .send()
        .await
}

async fn post_keyed(instance: &TestApp, token: &str, key: &str, body: &Value) -> TestResponse {
    instance
        .post("/api/v1/submissions")
        .bearer(token)
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
}

fn body_text(response: &TestResponse) -> String {
    String::from_utf8_lossy(&response.body).into_owned()
}

/// The same `If-Match` PATCH of one report, sent to both instances at once, twenty times: each
/// round exactly one 200 and one 412, and the history holds one edit per round (the winner's).
async fn one_if_match_patch_wins_across_two_instances(first: TestApp) {
    let second = first.another_instance().await;
    let admin = first.yasothon_admin();
    let evaluation = active_demo(&first, &admin).await;
    let indicator = indicator_by_code(&first, &admin, evaluation, "E.1").await["id"].clone();
    let peo = first.org_id("YST-PEO").await;
    let officer = officer(&first);
    let report = post(
        &first,
        &officer,
        "/api/v1/submissions",
        json!({"indicator_id": indicator, "organization_id": peo, "period": "2022-01", "value": 0}),
    )
    .await;
    let path = format!("/api/v1/submissions/{}", report["id"]);
    let mut winners = Vec::new();
    for round in 0..ROUNDS {
        let etag = first
            .get(&path)
            .bearer(&officer)
            .send()
            .await
            .header("etag")
            .expect("etag");
        let (a, b) = join(
            patch_if_match(
                &first,
                &path,
                &officer,
                &etag,
                json!({"value": 1000 + round}),
            ),
            patch_if_match(
                &second,
                &path,
                &officer,
                &etag,
                json!({"value": 2000 + round}),
            ),
        )
        .await;
        let mut statuses = [a.status.as_u16(), b.status.as_u16()];
        statuses.sort();
        assert_eq!(
            statuses,
            [200, 412],
            "round {round}: {} / {}",
            body_text(&a),
            body_text(&b)
        );
        let (winner, loser) = if a.status.as_u16() == 200 {
            (a, b)
        } else {
            (b, a)
        };
        loser.assert_problem(412, "precondition-failed");
        winners.push(winner.json()["value"].clone());
    }
    let history = get(&first, &officer, &format!("{path}/history?limit=500")).await;
    let items = history["items"].as_array().expect("items");
    assert_eq!(
        items.len(),
        1 + ROUNDS,
        "the creation and one edit per round"
    );
    let edited: Vec<Value> = items[1..]
        .iter()
        .map(|item| item["after"]["value"].clone())
        .collect();
    assert_eq!(
        edited, winners,
        "each round's winner, in order, nothing else"
    );
    for pair in items.windows(2) {
        assert_eq!(pair[1]["before"], pair[0]["after"], "one chain of edits");
    }
    let last = get(&second, &officer, &path).await;
    assert_eq!(last["version"], 1 + ROUNDS as i64);
}

/// The same `Idempotency-Key` POST of a report, sent to both instances at once, twenty times
/// (twenty keys, twenty reports): one report stored; the other answer is the first's replay
/// (same status, body and Location) or a 409 because the first is still running, and a retry
/// of that one gets the replay.
async fn one_idempotency_key_creates_once_across_two_instances(first: TestApp) {
    let second = first.another_instance().await;
    let admin = first.yasothon_admin();
    let evaluation = active_demo(&first, &admin).await;
    let peo = first.org_id("YST-PEO").await;
    let mut indicators = Vec::new();
    for code in ["E.1", "E.2"] {
        indicators.push(indicator_by_code(&first, &admin, evaluation, code).await["id"].clone());
    }
    let months = [
        "2021-09", "2021-10", "2021-11", "2021-12", "2022-01", "2022-02", "2022-03", "2022-04",
        "2022-05", "2022-06",
    ];
    let officer = officer(&first);
    let mut replays_in_race = 0;
    for round in 0..ROUNDS {
        let key = format!("race-{round}");
        let body = json!({
            "indicator_id": indicators[round % 2], "organization_id": peo,
            "period": months[round / 2], "value": 100 + round, "status": "submitted",
        });
        let (a, b) = join(
            post_keyed(&first, &officer, &key, &body),
            post_keyed(&second, &officer, &key, &body),
        )
        .await;
        let responses = [a, b];
        let created: Vec<&TestResponse> = responses
            .iter()
            .filter(|r| r.status.as_u16() == 201)
            .collect();
        let first_answer = created.first().copied().unwrap_or_else(|| {
            panic!(
                "round {round}: no 201: {} / {}",
                body_text(&responses[0]),
                body_text(&responses[1])
            )
        });
        let same = |other: &TestResponse| {
            other.status == first_answer.status
                && other.body == first_answer.body
                && other.header("location") == first_answer.header("location")
        };
        for other in responses.iter().filter(|r| !std::ptr::eq(*r, first_answer)) {
            if other.status.as_u16() == 201 {
                assert!(
                    same(other),
                    "round {round}: two different 201s for one key: {} / {}",
                    body_text(first_answer),
                    body_text(other)
                );
                replays_in_race += 1;
                continue;
            }
            // Still running when the repeat arrived (or the repeat lost the race to the key's
            // unique index): 409 in progress, as the contract says.
            let problem = other.json();
            assert_eq!(other.status.as_u16(), 409, "round {round}: {problem}");
            let kind = problem["type"].as_str().unwrap_or_default();
            assert!(
                kind.ends_with(":idempotency-in-progress"),
                "round {round}: the repeat was not recognised as one: {problem}"
            );
            // A retry of it, on either instance, is the first's replay.
            for instance in [&first, &second] {
                let retried = post_keyed(instance, &officer, &key, &body).await;
                assert!(
                    same(&retried),
                    "round {round}: the retry is not the replay: {}",
                    body_text(&retried)
                );
            }
        }
    }
    let listed = get(
        &second,
        &admin,
        &format!("/api/v1/submissions?evaluation_id={evaluation}&limit=500"),
    )
    .await;
    assert_eq!(
        listed["items"].as_array().map(Vec::len),
        Some(ROUNDS),
        "one report per key"
    );
    eprintln!(
        "{:?}: {replays_in_race} of {ROUNDS} repeats answered with the replay during the race, \
         the rest with a 409 then the replay",
        first.engine
    );
}

/// The reports of an evaluation, as the national admin: their ids.
async fn report_ids(instance: &TestApp, evaluation: i64) -> BTreeSet<i64> {
    get(
        instance,
        &instance.admin(),
        &format!("/api/v1/submissions?evaluation_id={evaluation}&limit=500"),
    )
    .await["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|report| report["id"].as_i64())
        .collect()
}

/// Reports raced against the evaluation's closing (`PATCH status: closed`), twenty
/// evaluations: a report is either stored before the close (201, and there when the close has
/// answered) or refused (409 invalid-state), never stored into the closed evaluation — the
/// reports read right after the close answered are all the evaluation will ever have.
async fn reports_racing_the_close_are_stored_before_it_or_refused(first: TestApp) {
    let second = first.another_instance().await;
    let admin = first.yasothon_admin();
    let officer = officer(&first);
    let peo = first.org_id("YST-PEO").await;
    let (mut stored, mut refused) = (0, 0);
    for round in 0..ROUNDS {
        let evaluation = active_demo(&first, &admin).await;
        let indicator = indicator_by_code(&first, &admin, evaluation, "E.1").await["id"].clone();
        let months = [
            "2021-09", "2021-10", "2021-11", "2021-12", "2022-01", "2022-02", "2022-03", "2022-04",
        ];
        let reports = months.iter().enumerate().map(|(i, period)| {
            let instance = if i % 2 == 0 { &first } else { &second };
            instance
                .post("/api/v1/submissions")
                .bearer(&officer)
                .json(&json!({"indicator_id": indicator, "organization_id": peo,
                               "period": period, "value": i, "status": "submitted"}))
                .send()
        });
        let closer = if round % 2 == 0 { &first } else { &second };
        let close = async {
            // Behind the first few reports, ahead of the rest (rounds vary where it lands).
            actix_web::rt::time::sleep(Duration::from_millis((round % 5) as u64)).await;
            let closed = closer
                .patch(&format!("/api/v1/evaluations/{evaluation}"))
                .bearer(&admin)
                .header("If-Match", "*")
                .json(&json!({"status": "closed"}))
                .send()
                .await;
            closed.assert_status(200);
            report_ids(closer, evaluation).await
        };
        let (responses, at_close) = join(join_all(reports), close).await;
        let mut acknowledged = BTreeSet::new();
        for response in &responses {
            match response.status.as_u16() {
                201 => {
                    acknowledged.insert(response.json()["id"].as_i64().expect("id"));
                }
                409 => {
                    response.assert_problem(409, "invalid-state");
                }
                other => panic!(
                    "round {round}: a report answered {other}: {}",
                    body_text(response)
                ),
            }
        }
        let finally = report_ids(&second, evaluation).await;
        assert_eq!(
            finally, at_close,
            "round {round}: reports stored after the close had answered"
        );
        assert_eq!(
            finally, acknowledged,
            "round {round}: every 201 stored, nothing else"
        );
        stored += acknowledged.len();
        refused += responses.len() - acknowledged.len();
    }
    eprintln!(
        "{:?}: reports raced against the close: {stored} stored before it, {refused} refused",
        first.engine
    );
}

/// The same race with the interleaving forced (PostgreSQL): a report has read its evaluation
/// as active and waits to insert (the test holds the reports table); the close is sent then.
/// The close must wait for that report, so that the report lands before it; had the close not
/// waited, the report would land in the closed evaluation once the table is let go.
#[actix_web::test]
async fn a_close_waits_for_a_report_already_past_its_check() {
    crate::support::run(Engine::Postgres, |first| async move {
        let second = first.another_instance().await;
        let admin = first.yasothon_admin();
        let evaluation = active_demo(&first, &admin).await;
        let indicator = indicator_by_code(&first, &admin, evaluation, "E.1").await["id"].clone();
        let peo = first.org_id("YST-PEO").await;
        let officer = officer(&first);
        get(&first, &officer, "/api/v1/me").await;
        let mut holder = ConnectionManager::new(first.config.database_url.clone())
            .establish()
            .expect("connect");
        // Reads of the reports go on; inserts wait.
        holder
            .batch_execute("BEGIN; LOCK TABLE submissions IN EXCLUSIVE MODE")
            .expect("lock");
        let report = first
            .post("/api/v1/submissions")
            .bearer(&officer)
            .json(&json!({"indicator_id": indicator, "organization_id": peo,
                           "period": "2022-01", "value": 1, "status": "submitted"}))
            .send();
        let close_then_read = async {
            let started = Instant::now();
            while waiting_on_locks(&first) == 0 {
                assert!(
                    started.elapsed() < Duration::from_secs(10),
                    "the report never waited"
                );
                actix_web::rt::time::sleep(Duration::from_millis(10)).await;
            }
            let close = second
                .patch(&format!("/api/v1/evaluations/{evaluation}"))
                .bearer(&admin)
                .header("If-Match", "*")
                .json(&json!({"status": "closed"}))
                .send();
            let release = async {
                // Long enough for a close that does not wait to answer first.
                actix_web::rt::time::sleep(Duration::from_millis(500)).await;
                holder.batch_execute("ROLLBACK").expect("unlock");
            };
            let closed = async {
                let closed = close.await;
                closed.assert_status(200);
                report_ids(&second, evaluation).await
            };
            join(closed, release).await.0
        };
        let (report, at_close) = join(report, close_then_read).await;
        report.assert_status(201);
        let id = report.json()["id"].as_i64().expect("id");
        assert!(
            at_close.contains(&id),
            "the close answered before the report it let through was stored: {at_close:?}"
        );
        assert_eq!(report_ids(&first, evaluation).await, at_close);
    })
    .await;
}

/// Backends of this test's database waiting for a lock.
fn waiting_on_locks(app: &TestApp) -> i64 {
    let mut conn = ConnectionManager::new(app.config.database_url.clone())
        .establish()
        .expect("connect");
    count(
        &mut conn,
        "SELECT count(*) AS n FROM pg_stat_activity \
         WHERE datname = current_database() AND wait_event_type = 'Lock'",
    )
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

fn count(conn: &mut storage::DbConnection, sql: &str) -> i64 {
    diesel::sql_query(sql)
        .get_result::<Count>(conn)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .n
}

/// The migrations of the engine, as directories under `migrations/`.
fn migration_count(engine: Engine) -> i64 {
    let dir = match engine {
        Engine::Sqlite => "migrations/sqlite",
        Engine::Postgres => "migrations/postgres",
    };
    std::fs::read_dir(dir)
        .expect("migrations directory")
        .filter(|entry| entry.as_ref().is_ok_and(|e| e.path().is_dir()))
        .count() as i64
}

/// An empty database (no table at all) of the engine; the directory holds a SQLite file.
fn empty_database(engine: Engine) -> Option<(DatabaseUrl, Option<tempfile::TempDir>)> {
    match engine {
        Engine::Sqlite => {
            let dir = tempfile::tempdir().expect("dir");
            let url = DatabaseUrl::Sqlite(dir.path().join("kpi.sqlite3"));
            Some((url, Some(dir)))
        }
        Engine::Postgres => {
            let cluster = crate::support::postgres::cluster()?;
            Some((DatabaseUrl::Postgres(cluster.create_database(None)), None))
        }
    }
}

fn applied_migrations(url: &DatabaseUrl) -> i64 {
    let mut conn = ConnectionManager::new(url.clone())
        .establish()
        .expect("connect");
    count(
        &mut conn,
        "SELECT count(*) AS n FROM __diesel_schema_migrations",
    )
}

/// Four starts at once on an empty database, ten times: every one succeeds, the migrations are
/// applied once between them (the counts they report add up to the number of migrations) and
/// the database records each migration once.
async fn migrations_run_at_once_apply_once(app: TestApp) {
    let engine = app.engine;
    let expected = migration_count(engine);
    for round in 0..10 {
        let (url, _dir) = empty_database(engine).expect("empty database");
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(4));
        let starts: Vec<_> = (0..4)
            .map(|_| {
                let url = url.clone();
                let barrier = barrier.clone();
                std::thread::spawn(move || {
                    barrier.wait();
                    storage::run_migrations(&url)
                })
            })
            .collect();
        let applied: Vec<usize> = starts
            .into_iter()
            .map(|start| {
                start
                    .join()
                    .expect("thread")
                    .unwrap_or_else(|e| panic!("round {round}: a start failed: {e:#}"))
            })
            .collect();
        assert_eq!(
            applied.iter().sum::<usize>() as i64,
            expected,
            "round {round}: applied {applied:?}"
        );
        assert_eq!(applied_migrations(&url), expected, "round {round}");
    }
}

/// Two real servers (`provincial-kpi serve`) started at the same moment on an empty database:
/// both become ready and serve, and the migrations were applied by one of them, once.
fn two_servers_started_at_once(engine: Engine) {
    let Some((url, dir)) = empty_database(engine) else {
        return;
    };
    let logs = tempfile::tempdir().expect("logs");
    let database = match &url {
        DatabaseUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
        DatabaseUrl::Postgres(url) => url.clone(),
    };
    let servers: Vec<_> = (0..2)
        .map(|i| {
            let database = database.clone();
            let log = logs.path().join(format!("server-{i}.log"));
            std::thread::spawn(move || (Server::start_logging(&database, Some(&log)), log))
        })
        .collect();
    let servers: Vec<(Server, std::path::PathBuf)> = servers
        .into_iter()
        .map(|start| start.join().expect("a server did not start"))
        .collect();
    let mut applied = 0;
    for (server, log) in &servers {
        let (status, body) = crate::contract::http(server.port, "GET", "/readyz", None, None);
        assert_eq!(status, 200, "{body}");
        // Served: an unauthenticated request is answered (401), not dropped.
        let (status, _) = crate::contract::http(server.port, "GET", "/api/v1/me", None, None);
        assert_eq!(status, 401);
        let text = std::fs::read_to_string(log).expect("log");
        let line = text
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .find(|line| line.to_string().contains("migrations applied"))
            .unwrap_or_else(|| panic!("no 'migrations applied' line in {text}"));
        applied += line
            .pointer("/fields/applied")
            .or_else(|| line.get("applied"))
            .and_then(Value::as_i64)
            .unwrap_or_else(|| panic!("no count in {line}"));
    }
    assert_eq!(
        applied,
        migration_count(engine),
        "applied once between them"
    );
    assert_eq!(applied_migrations(&url), migration_count(engine));
    drop(servers);
    drop(dir);
}

#[test]
fn two_servers_started_at_once_on_an_empty_database_both_serve_sqlite() {
    two_servers_started_at_once(Engine::Sqlite);
}

#[test]
fn two_servers_started_at_once_on_an_empty_database_both_serve_postgres() {
    two_servers_started_at_once(Engine::Postgres);
}
