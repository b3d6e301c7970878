//! Round trips (issue 14): what a request costs the database, counted by the service's own
//! `kpi_db_statements_total` (pings, BEGIN and COMMIT included), and the caller cache that
//! saves one of them, which must still refuse a disabled account at its next request on every
//! instance.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::auth::login_token;
use crate::both_engines;
use crate::fixtures::{get, post, sql};
use crate::submissions::report_target;
use crate::support::{Engine, TestApp};
use crate::users::user_id;

both_engines!(
    a_get_of_one_report_is_one_statement,
    a_province_s_reports_of_a_month_are_one_statement,
    filing_a_report_costs_what_its_rules_read,
    a_local_change_of_an_account_reaches_the_next_request,
);

/// Statements this instance has sent to the database so far.
async fn statements(app: &TestApp) -> u64 {
    let metrics = app.get("/metrics").send().await;
    metrics.assert_status(200);
    let text = String::from_utf8_lossy(&metrics.body).to_string();
    text.lines()
        .find_map(|line| line.strip_prefix("kpi_db_statements_total "))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or_else(|| panic!("no kpi_db_statements_total in {text}"))
}

/// The statements one GET of `path` as `token` sends, after a first one has warmed the
/// caller cache (and the pool's most recent connection, which the pool hands out next).
async fn statements_of_get(app: &TestApp, token: &str, path: &str) -> u64 {
    app.get(path).bearer(token).send().await.assert_status(200);
    let before = statements(app).await;
    app.get(path).bearer(token).send().await.assert_status(200);
    statements(app).await - before
}

/// The caller costs nothing on PostgreSQL (cached); on SQLite it is read every time (one
/// process, no network: a cache would save microseconds and need its own invalidation).
fn caller_statements(app: &TestApp) -> u64 {
    match app.engine {
        Engine::Postgres => 0,
        Engine::Sqlite => 1,
    }
}

/// A GET of one report is one statement: no ping of a connection that just worked, no
/// transaction around a single statement, the report with its codes and its evaluation's
/// province in one query (it was six round trips before, then nine).
async fn a_get_of_one_report_is_one_statement(app: TestApp) {
    let (_, indicator, peo) = report_target(&app, "E.1", "YST-PEO").await;
    let officer = app.token("agency_officer", Some("YST-PEO"));
    let created = post(
        &app,
        &officer,
        "/api/v1/submissions",
        json!({"indicator_id": indicator, "organization_id": peo, "period": "2022-01", "value": 1000}),
    )
    .await;
    let id = created["id"].as_i64().expect("id");
    let path = format!("/api/v1/submissions/{id}");
    assert_eq!(
        statements_of_get(&app, &officer, &path).await,
        caller_statements(&app) + 1
    );
    // The first measure: an organization by id, also one statement.
    let organization = format!("/api/v1/organizations/{peo}");
    assert_eq!(
        statements_of_get(&app, &officer, &organization).await,
        caller_statements(&app) + 1
    );
    // Another organization's officer still gets a 404, from the same one statement.
    let other = app.token("agency_officer", Some("YST-PHO"));
    app.get(&path)
        .bearer(&other)
        .send()
        .await
        .assert_status(404);
    let before = statements(&app).await;
    app.get(&path)
        .bearer(&other)
        .send()
        .await
        .assert_status(404);
    assert_eq!(statements(&app).await - before, caller_statements(&app) + 1);
}

/// A province admin's list of one month: the evaluations of its province are a subquery of
/// the one statement, not a statement of their own.
async fn a_province_s_reports_of_a_month_are_one_statement(app: TestApp) {
    let (_, indicator, peo) = report_target(&app, "E.1", "YST-PEO").await;
    let officer = app.token("agency_officer", Some("YST-PEO"));
    for period in ["2022-01", "2022-02"] {
        post(
            &app,
            &officer,
            "/api/v1/submissions",
            json!({"indicator_id": indicator, "organization_id": peo, "period": period, "value": 1000}),
        )
        .await;
    }
    let admin = app.yasothon_admin();
    let path = "/api/v1/submissions?period=2022-01";
    let listed = get(&app, &admin, path).await;
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        statements_of_get(&app, &admin, path).await,
        caller_statements(&app) + 1
    );
}

/// Filing a report reads what its rules need and writes the report, its history and its audit
/// event in one transaction. The figure is pinned so that a change that adds a round trip is
/// seen and justified here.
async fn filing_a_report_costs_what_its_rules_read(app: TestApp) {
    let (_, indicator, peo) = report_target(&app, "E.1", "YST-PEO").await;
    let officer = app.token("agency_officer", Some("YST-PEO"));
    let file = |period: &str| json!({"indicator_id": indicator, "organization_id": peo, "period": period, "value": 1000, "status": "submitted"});
    post(&app, &officer, "/api/v1/submissions", file("2022-01")).await;
    let before = statements(&app).await;
    post(&app, &officer, "/api/v1/submissions", file("2022-02")).await;
    let ran = statements(&app).await - before;
    eprintln!("filing a report: {ran} statements on {:?}", app.engine);
    assert_eq!(ran, caller_statements(&app) + FILING_STATEMENTS);
}

/// BEGIN, the indicator, the officer's assignment to it, its evaluation (share-locked), the
/// organization, the report's place (taken?), the insert (returning the row), its history, its
/// audit event, COMMIT. (13 before issue 14: the evaluation read twice, the assignment twice,
/// the new report read back.)
const FILING_STATEMENTS: u64 = 10;

/// On the instance that made the change, the very next request sees it (a disabled account,
/// a new role) — the cache is told before the change's response leaves.
async fn a_local_change_of_an_account_reaches_the_next_request(app: TestApp) {
    let token = login_token(&app, "energy.officer").await;
    let me = get(&app, &token, "/api/v1/me").await;
    assert_eq!(me["role"], "agency_officer");
    let id = user_id(&app, "energy.officer").await;
    let patched = app
        .patch(&format!("/api/v1/users/{id}"))
        .bearer(&app.admin())
        .header("If-Match", "*")
        .json(&json!({"disabled": true}))
        .send()
        .await;
    patched.assert_status(200);
    app.get("/api/v1/me")
        .bearer(&token)
        .send()
        .await
        .assert_problem(401, "unauthorized");
}

/// How long another instance may take to hear of a change: the notification's delivery plus
/// the listener's poll (milliseconds); generous, so a busy test machine does not fail it.
const HEARD_WITHIN: Duration = Duration::from_secs(2);

/// Polls `probe` until it answers `status`; how long that took.
async fn until_status(app: &TestApp, token: &str, path: &str, status: u16) -> Duration {
    let started = Instant::now();
    loop {
        let response = app.get(path).bearer(token).send().await;
        if response.status.as_u16() == status {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < HEARD_WITHIN,
            "still {} after {HEARD_WITHIN:?}, expected {status}",
            response.status
        );
        actix_web::rt::time::sleep(Duration::from_millis(2)).await;
    }
}

#[actix_web::test]
async fn every_instance_refuses_an_account_disabled_on_another() {
    crate::support::run(Engine::Postgres, |first| async move {
        let second = first.another_instance().await;
        let token = login_token(&first, "energy.officer").await;
        // Both instances have the caller cached.
        for instance in [&first, &second] {
            for _ in 0..2 {
                get(instance, &token, "/api/v1/me").await;
            }
        }
        let id = user_id(&first, "energy.officer").await;
        first
            .patch(&format!("/api/v1/users/{id}"))
            .bearer(&first.admin())
            .header("If-Match", "*")
            .json(&json!({"disabled": true}))
            .send()
            .await
            .assert_status(200);
        first
            .get("/api/v1/me")
            .bearer(&token)
            .send()
            .await
            .assert_problem(401, "unauthorized");
        let took = until_status(&second, &token, "/api/v1/me", 401).await;
        eprintln!("the other instance refused the disabled account after {took:?}");
    })
    .await;
}

/// A change made behind the service's back (an operator's psql) reaches every instance too:
/// the database's triggers announce it.
#[actix_web::test]
async fn a_change_made_in_the_database_reaches_every_instance() {
    crate::support::run(Engine::Postgres, |first| async move {
        let second = first.another_instance().await;
        let token = login_token(&first, "energy.officer").await;
        for instance in [&first, &second] {
            let me = get(instance, &token, "/api/v1/me").await;
            assert_eq!(me["role"], "agency_officer");
        }
        sql(
            &first,
            "",
            "UPDATE users SET role = 'viewer', organization_id = NULL WHERE username = 'energy.officer'",
        );
        for instance in [&first, &second] {
            let started = Instant::now();
            loop {
                let me = get(instance, &token, "/api/v1/me").await;
                if me["role"] == "viewer" {
                    break;
                }
                assert!(started.elapsed() < HEARD_WITHIN, "the role change went unheard");
                actix_web::rt::time::sleep(Duration::from_millis(2)).await;
            }
        }
    })
    .await;
}

/// Connections the database dropped (a restart, an operator's pg_terminate_backend) are
/// replaced: a request may see a 503 problem while the failure is found out, never a 500, and
/// the service answers again without a restart. The listener reconnects too, and while it is
/// away nothing is cached, so a change made meanwhile is seen at once.
#[actix_web::test]
async fn dropped_connections_are_replaced() {
    crate::support::run(Engine::Postgres, |app| async move {
        let token = login_token(&app, "energy.officer").await;
        get(&app, &token, "/api/v1/me").await;
        sql(
            &app,
            "",
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        );
        for _ in 0..8 {
            let response = app.get("/api/v1/me").bearer(&token).send().await;
            let status = response.status.as_u16();
            assert!(
                status == 200 || status == 503,
                "a dropped connection answered {status}"
            );
            if status == 503 {
                response.assert_problem(503, "unavailable");
            }
        }
        // Idle longer than a connection is trusted: pinged at check-out, replaced if dead.
        actix_web::rt::time::sleep(Duration::from_millis(1100)).await;
        for _ in 0..8 {
            get(&app, &token, "/api/v1/me").await;
        }
        sql(
            &app,
            "",
            "UPDATE users SET disabled = true WHERE username = 'energy.officer'",
        );
        until_status(&app, &token, "/api/v1/me", 401).await;
    })
    .await;
}

/// A listener that hears nothing may be deaf (a firewall silently dropped its idle connection):
/// it pings itself, and when its pings stop coming back the instance stops trusting its cache
/// within the lease. Simulated by stopping the listener's backend process (SIGSTOP).
#[actix_web::test]
async fn a_deaf_listener_stops_the_cache_within_its_lease() {
    crate::support::run(Engine::Postgres, |app| async move {
        let token = login_token(&app, "energy.officer").await;
        get(&app, &token, "/api/v1/me").await;
        let listener_pid = backend_pids(
            &app,
            "query LIKE 'LISTEN%' OR query LIKE 'NOTIFY kpi_listener_%'",
        );
        assert_eq!(listener_pid.len(), 1, "one listener: {listener_pid:?}");
        signal(listener_pid[0], "-STOP");
        sql(
            &app,
            "",
            "UPDATE users SET disabled = true WHERE username = 'energy.officer'",
        );
        let refused = {
            let started = Instant::now();
            loop {
                let response = app.get("/api/v1/me").bearer(&token).send().await;
                if response.status.as_u16() == 401 || started.elapsed() > Duration::from_secs(5) {
                    break response.status.as_u16();
                }
                actix_web::rt::time::sleep(Duration::from_millis(20)).await;
            }
        };
        signal(listener_pid[0], "-CONT");
        assert_eq!(
            refused, 401,
            "a deaf listener kept the cache beyond its lease"
        );
    })
    .await;
}

/// A connection that dies in the middle of a transaction (here: terminated while it waits for
/// a lock) answers 503, the request's own error, not the failed rollback's 500.
#[actix_web::test]
async fn a_connection_lost_mid_transaction_is_a_503() {
    crate::support::run(Engine::Postgres, |app| async move {
        let (_, indicator, peo) = report_target(&app, "E.1", "YST-PEO").await;
        let officer = app.token("agency_officer", Some("YST-PEO"));
        get(&app, &officer, "/api/v1/me").await;
        let mut locker = provincial_kpi::storage::ConnectionManager::new(app.config.database_url.clone())
            .establish()
            .expect("connect");
        use diesel::connection::SimpleConnection;
        locker
            .batch_execute("BEGIN; LOCK TABLE evaluations IN ACCESS EXCLUSIVE MODE")
            .expect("lock");
        let filing = app
            .post("/api/v1/submissions")
            .bearer(&officer)
            .json(&json!({"indicator_id": indicator, "organization_id": peo, "period": "2022-01", "value": 1000}))
            .send();
        let killer = async {
            let started = Instant::now();
            while backend_pids(&app, "wait_event_type = 'Lock'").is_empty() {
                assert!(started.elapsed() < Duration::from_secs(10), "the filing never waited");
                actix_web::rt::time::sleep(Duration::from_millis(20)).await;
            }
            sql(
                &app,
                "",
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE datname = current_database() AND wait_event_type = 'Lock'",
            );
        };
        let (response, ()) = futures_util::future::join(filing, killer).await;
        locker.batch_execute("ROLLBACK").expect("unlock");
        response.assert_problem(503, "unavailable");
        // And the service goes on.
        post(
            &app,
            &officer,
            "/api/v1/submissions",
            json!({"indicator_id": indicator, "organization_id": peo, "period": "2022-01", "value": 1000}),
        )
        .await;
    })
    .await;
}

/// Backend process ids of this test's database matching `condition` (on pg_stat_activity).
fn backend_pids(app: &TestApp, condition: &str) -> Vec<i32> {
    use diesel::prelude::*;
    use diesel::sql_types::Integer;
    #[derive(QueryableByName)]
    struct Pid {
        #[diesel(sql_type = Integer)]
        pid: i32,
    }
    let mut conn = provincial_kpi::storage::ConnectionManager::new(app.config.database_url.clone())
        .establish()
        .expect("connect");
    diesel::sql_query(format!(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() \
         AND pid <> pg_backend_pid() AND ({condition})"
    ))
    .load::<Pid>(&mut conn)
    .expect("pg_stat_activity")
    .into_iter()
    .map(|row| row.pid)
    .collect()
}

fn signal(pid: i32, which: &str) {
    let status = std::process::Command::new("kill")
        .args([which, &pid.to_string()])
        .status()
        .expect("kill");
    assert!(status.success(), "kill {which} {pid}");
}

/// The concurrent case of the cache: a burst of requests on two instances while the account is
/// disabled. Each answers 200 (read before the change) or 401, never an error; once the
/// disabling response is back, a burst on that instance is refused to the last request, and
/// the other instance refuses within milliseconds.
#[actix_web::test]
async fn a_burst_across_two_instances_around_a_disable() {
    crate::support::run(Engine::Postgres, |first| async move {
        let second = first.another_instance().await;
        let token = login_token(&first, "energy.officer").await;
        let id = user_id(&first, "energy.officer").await;
        for instance in [&first, &second] {
            get(instance, &token, "/api/v1/me").await;
        }
        let admin = first.admin();
        let disable = first
            .patch(&format!("/api/v1/users/{id}"))
            .bearer(&admin)
            .header("If-Match", "*")
            .json(&json!({"disabled": true}))
            .send();
        let (during_first, (during_second, disabled)) = futures_util::future::join(
            burst(&first, &token, 16),
            futures_util::future::join(burst(&second, &token, 16), disable),
        )
        .await;
        disabled.assert_status(200);
        for response in during_first.iter().chain(&during_second) {
            let status = response.status.as_u16();
            assert!(
                status == 200 || status == 401,
                "a request answered {status}"
            );
        }
        for response in burst(&first, &token, 16).await {
            response.assert_problem(401, "unauthorized");
        }
        until_status(&second, &token, "/api/v1/me", 401).await;
        for response in burst(&second, &token, 16).await {
            response.assert_problem(401, "unauthorized");
        }
    })
    .await;
}

/// `n` GETs of /me as `token` at once.
async fn burst(instance: &TestApp, token: &str, n: usize) -> Vec<crate::support::TestResponse> {
    let requests: Vec<_> = (0..n)
        .map(|_| instance.get("/api/v1/me").bearer(token).send())
        .collect();
    futures_util::future::join_all(requests).await
}
