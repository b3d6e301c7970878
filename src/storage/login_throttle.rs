//! The failed-login throttle (docs/DOMAIN.md, "Accounts"): one row per username lower-cased,
//! counting the password checks of its window. Each step is one statement, so parallel
//! requests and several instances share the count; the numbers come from
//! `domain::account::LoginThrottle`.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text, Timestamp};

use super::schema::login_throttle;
use super::{engine_sql, now, DbConnection};
use crate::domain::account::{username_key, LoginThrottle};
use crate::error::Result;

/// Whether a username may have its password checked now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginCheck {
    /// A check was reserved: hash, then `record_failed_check` or `clear`.
    Granted,
    /// Locked, or the window's checks are used up: no hash.
    Refused { retry_after_seconds: u64 },
}

#[derive(QueryableByName)]
struct ReservedCheck {
    #[diesel(sql_type = Integer)]
    #[allow(dead_code)]
    checks: i32,
}

/// Reserves one check in one conditional statement, so parallel requests cannot all pass a
/// check made before their hashes: a live lock or a full window grants nothing and is left as it
/// is; an ended window starts again at one.
const RESERVE_CHECK: &str = "\
INSERT INTO login_throttle (username, checks, window_started_at, locked_until)
VALUES ($1, 1, $2, NULL)
ON CONFLICT (username) DO UPDATE SET
    checks = CASE WHEN login_throttle.window_started_at <= $3 THEN 1
                  ELSE login_throttle.checks + 1 END,
    window_started_at = CASE WHEN login_throttle.window_started_at <= $3 THEN $2
                             ELSE login_throttle.window_started_at END,
    locked_until = NULL
WHERE (login_throttle.locked_until IS NULL OR login_throttle.locked_until <= $2)
  AND (login_throttle.checks < $4 OR login_throttle.window_started_at <= $3)
RETURNING checks";

/// Reserves a password check for `username` (ignoring case) before any hash is spent.
pub fn reserve_check(
    conn: &mut DbConnection,
    username: &str,
    throttle: &LoginThrottle,
) -> Result<LoginCheck> {
    let key = username_key(username);
    let timestamp = now();
    let reserved: Option<ReservedCheck> = diesel::sql_query(engine_sql(conn, RESERVE_CHECK))
        .bind::<Text, _>(&key)
        .bind::<Timestamp, _>(timestamp)
        .bind::<Timestamp, _>(throttle.window_cutoff(timestamp))
        .bind::<Integer, _>(throttle.max_checks)
        .get_result(conn)
        .optional()?;
    if reserved.is_some() {
        return Ok(LoginCheck::Granted);
    }
    let state: Option<(i32, NaiveDateTime, Option<NaiveDateTime>)> = login_throttle::table
        .find(&key)
        .select((
            login_throttle::checks,
            login_throttle::window_started_at,
            login_throttle::locked_until,
        ))
        .first(conn)
        .optional()?;
    let retry_after_seconds = state.map_or(1, |(checks, started, locked_until)| {
        throttle.retry_after_seconds(timestamp, started, checks, locked_until)
    });
    Ok(LoginCheck::Refused {
        retry_after_seconds,
    })
}

/// After a wrong password: the check that fails with the window's checks used up locks the
/// username (a live lock is never shortened nor cleared). Returns the lock's end when this
/// failure set it.
pub fn record_failed_check(
    conn: &mut DbConnection,
    username: &str,
    throttle: &LoginThrottle,
) -> Result<Option<NaiveDateTime>> {
    let timestamp = now();
    let until = throttle.locked_until(timestamp);
    let locked = diesel::update(
        login_throttle::table
            .find(username_key(username))
            .filter(login_throttle::checks.ge(throttle.max_checks))
            .filter(
                login_throttle::locked_until
                    .is_null()
                    .or(login_throttle::locked_until.le(timestamp)),
            ),
    )
    .set(login_throttle::locked_until.eq(until))
    .execute(conn)?;
    Ok((locked == 1).then_some(until))
}

/// After the right password: the username starts afresh.
pub fn clear(conn: &mut DbConnection, username: &str) -> Result<()> {
    diesel::delete(login_throttle::table.find(username_key(username))).execute(conn)?;
    Ok(())
}

/// Forgets the counts whose window and lock have both ended (usernames nobody uses any more,
/// unknown ones included); returns how many.
pub fn purge_ended(conn: &mut DbConnection, throttle: &LoginThrottle) -> Result<usize> {
    let timestamp = now();
    Ok(diesel::delete(
        login_throttle::table
            .filter(login_throttle::window_started_at.le(throttle.window_cutoff(timestamp)))
            .filter(
                login_throttle::locked_until
                    .is_null()
                    .or(login_throttle::locked_until.le(timestamp)),
            ),
    )
    .execute(conn)?)
}
