//! `/api/v1/evaluations/{id}/rounds` and `/api/v1/rounds/{id}`: an evaluation's rounds, the
//! named windows of months its summaries cover.

use actix_web::web::{Data, Path};
use actix_web::{delete, get, patch, post, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{timestamp, with_etag, Page, PageParams};
use crate::domain::period::Period;
use crate::domain::round::RoundFields;
use crate::error::{Error, Result};
use crate::http::extract::{Authenticated, IdempotencyKey, IfMatch, JsonBody, QueryParams};
use crate::http::idempotent::{self, Created};
use crate::http::merge_patch;
use crate::http::openapi::{
    Duplicate, InvalidState, NotFound, PreconditionFailed, PreconditionRequired, Unprocessable,
};
use crate::http::AppState;
use crate::policy::Caller;
use crate::storage::rounds::{self, RoundRow};
use crate::storage::{evaluations, Access};

/// A round (รอบการประเมิน): a named window of months of an evaluation, inside its span.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": 1, "evaluation_id": 1, "name": "รอบ 6 เดือน (ก.ย. 2564 – ก.พ. 2565)",
    "start_period": "2021-09", "start_period_label_th": "ก.ย. 2564",
    "end_period": "2022-02", "end_period_label_th": "ก.พ. 2565",
    "version": 1, "created_at": "2022-03-01T02:00:00.000000Z", "updated_at": "2022-03-01T02:00:00.000000Z"
}))]
pub struct Round {
    pub id: i64,
    pub evaluation_id: i64,
    /// Unique within the evaluation, ignoring case: rankings find rounds by name.
    pub name: String,
    /// The window's first month.
    pub start_period: Period,
    /// The first month in Thai: `ก.ย. 2564`.
    pub start_period_label_th: String,
    /// The window's last month (included).
    pub end_period: Period,
    /// The last month in Thai: `ก.พ. 2565`.
    pub end_period_label_th: String,
    pub version: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl From<RoundRow> for Round {
    fn from(row: RoundRow) -> Self {
        Self {
            id: row.id,
            evaluation_id: row.evaluation_id,
            name: row.name,
            start_period: row.start_period,
            start_period_label_th: row.start_period.thai_label(),
            end_period: row.end_period,
            end_period_label_th: row.end_period.thai_label(),
            version: row.version,
            created_at: timestamp(row.created_at),
            updated_at: timestamp(row.updated_at),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "รอบ 12 เดือน (ก.ย. 2564 – ส.ค. 2565)", "start_period": "2021-09", "end_period": "2022-08"
}))]
pub struct NewRound {
    /// 1–200 characters (trimmed), unique within the evaluation ignoring case.
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// Inside the evaluation's span (`reporting_start` … `reporting_end`).
    pub start_period: Period,
    /// Inside the evaluation's span, not before `start_period`.
    pub end_period: Period,
}

impl From<NewRound> for RoundFields {
    fn from(new: NewRound) -> Self {
        Self {
            name: new.name,
            start_period: new.start_period,
            end_period: new.end_period,
        }
    }
}

/// A JSON Merge Patch of a round: its name or window, under the rules of a new round.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "รอบ 6 เดือน (ก.ย. 2564 – ก.พ. 2565)", "end_period": "2022-02"}))]
pub struct RoundPatch {
    #[schema(nullable = false, min_length = 1, max_length = 200)]
    #[serde(default, deserialize_with = "merge_patch::not_null")]
    pub name: Option<String>,
    #[schema(nullable = false)]
    #[serde(default, deserialize_with = "merge_patch::not_null")]
    pub start_period: Option<Period>,
    #[schema(nullable = false)]
    #[serde(default, deserialize_with = "merge_patch::not_null")]
    pub end_period: Option<Period>,
}

/// List an evaluation's rounds.
///
/// The rounds of one evaluation the caller can read (everyone who may read the evaluation),
/// ordered by id.
#[utoipa::path(
    tag = "rounds",
    params(("id" = i64, Path, description = "Evaluation id"), PageParams),
    responses((status = 200, description = "One page of rounds", body = Page<Round>), (status = 404, response = NotFound)),
    security(("bearer" = []))
)]
#[get("/evaluations/{id}/rounds")]
pub async fn list_rounds(
    state: Data<AppState>,
    auth: Authenticated,
    id: Path<i64>,
    QueryParams(query): QueryParams<PageParams>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    let page = query.page()?;
    let rows = state
        .read(auth, move |conn, caller| {
            let evaluation = evaluations::get(conn, caller, id, Access::Read)?;
            rounds::list(conn, evaluation.id, page)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_storage(rows, Round::from)))
}

/// Open a round of an evaluation.
///
/// A round is a named window of months inside the evaluation's span (`start_period` ≤
/// `end_period`; a month outside the span is a 422 naming its field, nothing is clipped).
/// Rounds may overlap (a 6-month and a 12-month round) and are opened while the evaluation is
/// a draft or active; a closed evaluation is read-only (409). The name is unique within the
/// evaluation ignoring case (409 naming `name`).
#[utoipa::path(
    tag = "rounds",
    params(("id" = i64, Path, description = "Evaluation id"), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    request_body = NewRound,
    responses(
        (status = 201, description = "Created", body = Round, headers(("Location" = String, description = "URL of the round"), ("ETag" = String, description = "Its version"))),
        (status = 404, response = NotFound),
        (status = 409, response = Duplicate),
        (status = 422, response = Unprocessable),
    ),
    security(("bearer" = []))
)]
#[post("/evaluations/{id}/rounds")]
pub async fn create_round(
    state: Data<AppState>,
    auth: Authenticated,
    key: IdempotencyKey,
    id: Path<i64>,
    body: JsonBody<NewRound>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    let bytes = body.bytes().clone();
    idempotent::create(
        &state,
        auth,
        &format!("/api/v1/evaluations/{id}/rounds"),
        key,
        &bytes,
        Caller::manages_evaluations,
        move |conn, caller, actor| {
            let evaluation = evaluations::get(conn, caller, id, Access::Manage)?;
            let new = body.parse()?;
            let row = rounds::create(conn, caller, actor, &evaluation, new.into())?;
            Ok(Created {
                location: format!("/api/v1/rounds/{}", row.id),
                version: row.version,
                body: Round::from(row),
            })
        },
    )
    .await
}

/// Read a round.
///
/// One round of an evaluation the caller can read, with its version as the `ETag`.
#[utoipa::path(
    tag = "rounds",
    params(("id" = i64, Path, description = "Round id")),
    responses((status = 200, description = "The round", body = Round, headers(("ETag" = String, description = "Its version"))), (status = 404, response = NotFound)),
    security(("bearer" = []))
)]
#[get("/rounds/{id}")]
pub async fn get_round(
    state: Data<AppState>,
    auth: Authenticated,
    id: Path<i64>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    let (row, _) = state
        .read(auth, move |conn, caller| {
            rounds::get(conn, caller, id, Access::Read)
        })
        .await?;
    let version = row.version;
    Ok(with_etag(&Round::from(row), version))
}

/// Change a round.
///
/// A JSON Merge Patch with `If-Match`: the name or the window, under the rules of a new round
/// (422 naming the field; 409 naming `name` when another round has it). Allowed while the
/// evaluation is a draft or active; a closed evaluation is read-only (409).
#[utoipa::path(
    tag = "rounds",
    params(("id" = i64, Path, description = "Round id"), ("If-Match" = String, Header, description = "The ETag from the last read")),
    request_body(content = RoundPatch, content_type = "application/merge-patch+json"),
    responses(
        (status = 200, description = "The changed round", body = Round, headers(("ETag" = String, description = "Its new version"))),
        (status = 404, response = NotFound),
        (status = 409, response = InvalidState),
        (status = 412, response = PreconditionFailed),
        (status = 422, response = Unprocessable),
        (status = 428, response = PreconditionRequired),
    ),
    security(("bearer" = []))
)]
#[patch("/rounds/{id}")]
pub async fn patch_round(
    state: Data<AppState>,
    auth: Authenticated,
    id: Path<i64>,
    if_match: IfMatch,
    patch: JsonBody<RoundPatch>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    let row = state
        .write(auth, move |conn, caller, actor| {
            let (current, evaluation) = rounds::get(conn, caller, id, Access::Manage)?;
            if_match.require(current.version)?;
            let target = serde_json::to_value(current.fields())
                .map_err(|e| Error::Internal(e.to_string()))?;
            let merged: RoundFields = merge_patch::apply(target, &patch.merge_patch()?)?;
            rounds::update(conn, caller, actor, &evaluation, &current, merged)
        })
        .await?;
    let version = row.version;
    Ok(with_etag(&Round::from(row), version))
}

/// Delete a round.
///
/// Deletes a round while the evaluation is a draft or active (a closed evaluation is
/// read-only: 409). `If-Match` is checked when given.
#[utoipa::path(
    tag = "rounds",
    params(("id" = i64, Path, description = "Round id"), ("If-Match" = Option<String>, Header, description = "Optional: delete only if unchanged")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, response = NotFound),
        (status = 409, response = InvalidState),
        (status = 412, response = PreconditionFailed),
    ),
    security(("bearer" = []))
)]
#[delete("/rounds/{id}")]
pub async fn delete_round(
    state: Data<AppState>,
    auth: Authenticated,
    id: Path<i64>,
    if_match: IfMatch,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    state
        .write(auth, move |conn, caller, actor| {
            let (current, evaluation) = rounds::get(conn, caller, id, Access::Manage)?;
            if_match.check_if_present(current.version)?;
            rounds::delete(conn, caller, actor, &evaluation, &current)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
