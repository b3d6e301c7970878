//! `Idempotency-Key` records, in the database so a retry reaching another instance is
//! recognised too. A key is scoped to the caller and the request path, and lives 24 hours.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::schema::idempotency_keys;
use super::{now, DbConnection};
use crate::error::Result;

pub const KEY_LIFETIME_HOURS: i64 = 24;
/// An `in_progress` record older than this belongs to a request that died (a killed
/// instance); a retry may take it over.
pub const STALE_IN_PROGRESS_SECONDS: i64 = 120;

/// The scope and content of one keyed request.
#[derive(Debug, Clone)]
pub struct KeyedRequest {
    pub actor: String,
    pub path: String,
    pub key: String,
    pub request_hash: String,
}

/// A stored first response.
#[derive(Debug, Clone)]
pub struct StoredResponse {
    pub status: u16,
    pub body: String,
    pub location: Option<String>,
}

#[derive(Debug)]
pub enum Claim {
    /// First time (or the old record expired): go ahead, then `complete`.
    Proceed,
    /// Seen before with the same body: answer with the first response.
    Replay(StoredResponse),
    /// Seen before with another body.
    Mismatch,
    /// The first request with this key is still running.
    InProgress,
}

type KeyRecord = (
    i64,
    String,
    String,
    Option<i32>,
    Option<String>,
    Option<String>,
    NaiveDateTime,
);

fn scope(request: &KeyedRequest) -> idempotency_keys::BoxedQuery<'static, super::MultiBackend> {
    idempotency_keys::table
        .filter(idempotency_keys::actor.eq(request.actor.clone()))
        .filter(idempotency_keys::request_path.eq(request.path.clone()))
        .filter(idempotency_keys::idempotency_key.eq(request.key.clone()))
        .into_boxed()
}

/// Looks the key up and, when it is new, records it as in progress. Run in its own
/// committed transaction, so a concurrent repeat sees the record.
pub fn claim(conn: &mut DbConnection, request: &KeyedRequest) -> Result<Claim> {
    let timestamp = now();
    let existing: Option<KeyRecord> = scope(request)
        .select((
            idempotency_keys::id,
            idempotency_keys::request_hash,
            idempotency_keys::state,
            idempotency_keys::response_status,
            idempotency_keys::response_body,
            idempotency_keys::response_location,
            idempotency_keys::created_at,
        ))
        .first(conn)
        .optional()?;
    if let Some((id, hash, state, status, body, location, created_at)) = existing {
        let age = timestamp - created_at;
        let expired = age >= Duration::hours(KEY_LIFETIME_HOURS);
        let abandoned =
            state == "in_progress" && age >= Duration::seconds(STALE_IN_PROGRESS_SECONDS);
        if !expired && !abandoned {
            if hash != request.request_hash {
                return Ok(Claim::Mismatch);
            }
            return Ok(match (state.as_str(), status, body) {
                ("done", Some(status), Some(body)) => Claim::Replay(StoredResponse {
                    status: u16::try_from(status).unwrap_or(200),
                    body,
                    location,
                }),
                _ => Claim::InProgress,
            });
        }
        diesel::delete(idempotency_keys::table.find(id)).execute(conn)?;
    }
    let inserted = diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::actor.eq(&request.actor),
            idempotency_keys::request_path.eq(&request.path),
            idempotency_keys::idempotency_key.eq(&request.key),
            idempotency_keys::request_hash.eq(&request.request_hash),
            idempotency_keys::state.eq("in_progress"),
            idempotency_keys::created_at.eq(timestamp),
        ))
        .execute(conn);
    match inserted {
        Ok(_) => Ok(Claim::Proceed),
        // A repeat that raced its first request (on this instance or another) to the key's
        // unique index and lost: the first is in progress, and a retry gets its replay
        // (tests/api/two_instances.rs). Not a duplicate of the resource.
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => Ok(Claim::InProgress),
        Err(error) => Err(error.into()),
    }
}

/// Stores the first response, in the same transaction as the work it answers for.
pub fn complete(
    conn: &mut DbConnection,
    request: &KeyedRequest,
    response: &StoredResponse,
) -> Result<()> {
    diesel::update(
        idempotency_keys::table
            .filter(idempotency_keys::actor.eq(&request.actor))
            .filter(idempotency_keys::request_path.eq(&request.path))
            .filter(idempotency_keys::idempotency_key.eq(&request.key)),
    )
    .set((
        idempotency_keys::state.eq("done"),
        idempotency_keys::response_status.eq(i32::from(response.status)),
        idempotency_keys::response_body.eq(&response.body),
        idempotency_keys::response_location.eq(response.location.as_deref()),
    ))
    .execute(conn)?;
    Ok(())
}

/// Forgets an in-progress key whose request failed, so a corrected retry can run.
pub fn release(conn: &mut DbConnection, request: &KeyedRequest) -> Result<()> {
    diesel::delete(
        idempotency_keys::table
            .filter(idempotency_keys::actor.eq(&request.actor))
            .filter(idempotency_keys::request_path.eq(&request.path))
            .filter(idempotency_keys::idempotency_key.eq(&request.key))
            .filter(idempotency_keys::state.eq("in_progress")),
    )
    .execute(conn)?;
    Ok(())
}

/// Deletes records past their lifetime; called now and then so the table stays small.
pub fn purge_expired(conn: &mut DbConnection) -> Result<usize> {
    let cutoff = now() - Duration::hours(KEY_LIFETIME_HOURS);
    Ok(
        diesel::delete(idempotency_keys::table.filter(idempotency_keys::created_at.lt(cutoff)))
            .execute(conn)?,
    )
}
