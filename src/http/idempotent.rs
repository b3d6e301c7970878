//! Creating `POST`s with an optional `Idempotency-Key`: a repeat with the same key and body
//! gets the first response; another body is a 422; a repeat while the first runs is a 409.

use actix_web::http::{header, StatusCode};
use actix_web::HttpResponse;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::extract::{etag, IdempotencyKey};
use super::problem::PROBLEM_JSON;
use super::AppState;
use crate::error::{ConflictKind, Error, Result};
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

/// Runs `work` in one write transaction and answers 201, honouring `Idempotency-Key`.
/// `subject` (the token's `sub`) and `path` scope the key.
pub async fn create<T, F>(
    state: &AppState,
    subject: &str,
    path: &str,
    key: IdempotencyKey,
    body: &[u8],
    work: F,
) -> Result<HttpResponse>
where
    T: Serialize + Send + 'static,
    F: FnOnce(&mut DbConnection) -> Result<Created<T>> + Send + 'static,
{
    let Some(key) = key.0 else {
        let created = state.db.write(work).await?;
        return Ok(respond(&stored(&created)?));
    };
    let keyed = KeyedRequest {
        actor: subject.to_owned(),
        path: path.to_owned(),
        key,
        request_hash: hex(&Sha256::digest(body)),
    };
    let claim_request = keyed.clone();
    match state
        .db
        .write(move |conn| idempotency::claim(conn, &claim_request))
        .await?
    {
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
    let outcome = state
        .db
        .write(move |conn| {
            let created = work(conn)?;
            let response = stored(&created)?;
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

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
