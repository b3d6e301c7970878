//! Creating `POST`s with an optional `Idempotency-Key`: a repeat with the same key and body
//! gets the first response; another body is a 422; a repeat while the first runs is a 409.

use actix_web::http::{header, StatusCode};
use actix_web::HttpResponse;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::caller::in_caller_scope;
use super::extract::{etag, Authenticated, IdempotencyKey};
use super::problem::PROBLEM_JSON;
use super::AppState;
use crate::error::{ConflictKind, Error, Result};
use crate::policy::Caller;
use crate::storage::audit::Actor;
use crate::storage::idempotency::{self, Claim, KeyedRequest, StoredResponse};
use crate::storage::DbConnection;

/// A created resource: where it lives, its version and its representation.
pub struct Created<T> {
    pub location: String,
    pub version: i64,
    pub body: T,
}

fn respond(stored: &StoredResponse) -> HttpResponse {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::CREATED);
    let mut response = HttpResponse::build(status);
    let is_problem = status.is_client_error() || status.is_server_error();
    response.content_type(if is_problem {
        PROBLEM_JSON
    } else {
        "application/json"
    });
    if let Some(location) = &stored.location {
        response.insert_header((header::LOCATION, location.clone()));
    }
    if let Some(version) = serde_json::from_str::<serde_json::Value>(&stored.body)
        .ok()
        .and_then(|body| body.get("version").and_then(serde_json::Value::as_i64))
    {
        response.insert_header((header::ETAG, etag(version)));
    }
    response.body(stored.body.clone())
}

/// Runs `work` as the caller in one write transaction and answers 201, honouring
/// `Idempotency-Key`. The token's `sub` and `path` scope the key. `gate` is the role-level
/// policy check of the operation: it runs before the key is looked at (policy first), and
/// `work` makes the object-level checks before it parses the body.
pub async fn create<T, F>(
    state: &AppState,
    auth: Authenticated,
    path: &str,
    key: IdempotencyKey,
    body: &[u8],
    gate: fn(&Caller) -> Result<()>,
    work: F,
) -> Result<HttpResponse>
where
    T: Serialize + Send + 'static,
    F: FnOnce(&mut DbConnection, &Caller, &Actor) -> Result<Created<T>> + Send + 'static,
{
    let request_hash = hex(&Sha256::digest(body));
    keyed(
        state,
        auth,
        path,
        key,
        request_hash,
        gate,
        move |conn, caller, actor| stored(&work(conn, caller, actor)?),
    )
    .await
}

/// Runs `work` (whose answer is stored as it will be sent) as the caller in one write
/// transaction, honouring `Idempotency-Key` for a request whose body hashes to
/// `request_hash` (SHA-256, hex): the first answer is replayed for a repeat with the same
/// body, another body is a 422, a repeat while the first runs a 409. A failed `work` stores
/// nothing and forgets the key, so a corrected retry runs.
pub async fn keyed<F>(
    state: &AppState,
    auth: Authenticated,
    path: &str,
    key: IdempotencyKey,
    request_hash: String,
    gate: fn(&Caller) -> Result<()>,
    work: F,
) -> Result<HttpResponse>
where
    F: FnOnce(&mut DbConnection, &Caller, &Actor) -> Result<StoredResponse> + Send + 'static,
{
    let gated = move |conn: &mut DbConnection, caller: &Caller, actor: &Actor| {
        gate(caller)?;
        work(conn, caller, actor)
    };
    if !key.is_present() {
        return Ok(respond(&state.write(auth, gated).await?));
    }
    let actor = auth.claims.sub.clone();
    let path = path.to_owned();
    let (keyed, claim) = state
        .write(auth.clone(), move |conn, caller, _| {
            gate(caller)?;
            let Some(key) = key.validated()? else {
                return Err(Error::Internal("the Idempotency-Key vanished".into()));
            };
            let keyed = KeyedRequest {
                actor,
                path,
                key,
                request_hash,
            };
            let claim = idempotency::claim(conn, &keyed)?;
            Ok((keyed, claim))
        })
        .await?;
    match claim {
        Claim::Replay(first) => return Ok(respond(&first)),
        Claim::Mismatch => return Err(Error::IdempotencyKeyReused),
        Claim::InProgress => {
            return Err(Error::conflict(
                ConflictKind::IdempotencyInProgress,
                "the first request with this Idempotency-Key is still running; retry shortly",
            ))
        }
        Claim::Proceed => {}
    }
    let complete_request = keyed.clone();
    let callers = state.callers.clone();
    let outcome = state
        .db
        .write(move |conn| {
            let response = in_caller_scope(conn, &callers, auth, gated)?;
            idempotency::complete(conn, &complete_request, &response)?;
            Ok(response)
        })
        .await;
    match outcome {
        Ok(response) => Ok(respond(&response)),
        Err(error) => {
            // Nothing was stored: forget the key so a corrected retry can run.
            let _ = state
                .db
                .write(move |conn| idempotency::release(conn, &keyed))
                .await;
            Err(error)
        }
    }
}

fn stored<T: Serialize>(created: &Created<T>) -> Result<StoredResponse> {
    Ok(StoredResponse {
        status: 201,
        body: serde_json::to_string(&created.body)
            .map_err(|e| Error::Internal(format!("serializing a response: {e}")))?,
        location: Some(created.location.clone()),
    })
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
