//! `/api/v1/evaluations`: a province's evaluation of one fiscal year, and its activation.

use actix_web::web::{Data, Path};
use actix_web::{get, patch, post, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{timestamp, with_etag, Page};
use crate::domain::evaluation::{EvaluationFields, EvaluationStatus};
use crate::domain::period::{FiscalYear, Period};
use crate::error::{Error, Result};
use crate::http::extract::{Authenticated, IdempotencyKey, IfMatch, JsonBody, QueryParams};
use crate::http::idempotent::{self, Created};
use crate::http::merge_patch;
use crate::http::openapi::{
    InvalidState, NotFound, PreconditionFailed, PreconditionRequired, Unprocessable,
};
use crate::http::AppState;
use crate::policy::Caller;
use crate::storage::evaluations::{self, EvaluationFilter, EvaluationRow};
use crate::storage::pagination::PageRequest;
use crate::storage::{Access, DbConnection};

/// A province's evaluation of one fiscal year.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 1, "province_id": 2, "fiscal_year": 2565,
    "title": "การประเมินส่วนราชการตามมาตรการปรับปรุงประสิทธิภาพในการปฏิบัติราชการของจังหวัดยโสธร ประจำปีงบประมาณ พ.ศ. 2565",
    "deadline_day": 3, "reporting_start": "2021-09", "reporting_end": "2022-09", "status": "active",
    "component_weight_total": 100.0,
    "version": 3, "created_at": "2021-10-01T02:00:00.000000Z", "updated_at": "2021-11-01T02:00:00.000000Z"
}))]
pub struct Evaluation {
    pub id: i64,
    pub province_id: i64,
    /// Buddhist Era (FY 2565 = Oct 2021 – Sep 2022).
    pub fiscal_year: i32,
    pub title: String,
    /// Results for month M are due at 00:00 Asia/Bangkok on this day of month M+1.
    pub deadline_day: i32,
    pub reporting_start: Period,
    pub reporting_end: Period,
    pub status: EvaluationStatus,
    /// Read-only: Σ of the components' weights (4 decimals). Activation needs 100; while active
    /// weights may be renegotiated and the overall percent divides by this total, so a
    /// front-end can warn when it is not 100.
    pub component_weight_total: f64,
    pub version: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl Evaluation {
    fn new(row: EvaluationRow, component_weight_total: f64) -> Self {
        Self {
            id: row.id,
            province_id: row.province_id,
            fiscal_year: row.fiscal_year,
            title: row.title,
            deadline_day: row.deadline_day,
            reporting_start: row.reporting_start,
            reporting_end: row.reporting_end,
            status: row.status,
            component_weight_total,
            version: row.version,
            created_at: timestamp(row.created_at),
            updated_at: timestamp(row.updated_at),
        }
    }

    /// The representation of `row`, with its weight total read in the same transaction.
    fn of(conn: &mut DbConnection, row: EvaluationRow) -> Result<Self> {
        let total = evaluations::component_weight_totals(conn, &[row.id])?
            .get(&row.id)
            .copied()
            .unwrap_or_default();
        Ok(Self::new(row, total))
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "province_id": 2, "fiscal_year": 2565,
    "title": "การประเมินส่วนราชการ จังหวัดยโสธร ประจำปีงบประมาณ พ.ศ. 2565",
    "deadline_day": 3, "reporting_start": "2021-09", "reporting_end": "2022-09"
}))]
pub struct NewEvaluation {
    /// The province (an organization of kind `province`).
    pub province_id: i64,
    /// Buddhist Era.
    #[schema(example = 2565, minimum = 2500, maximum = 2700)]
    pub fiscal_year: i32,
    #[schema(min_length = 1, max_length = 300)]
    pub title: String,
    /// 1–28; default 3 ("before the 3rd of the following month").
    #[serde(default)]
    #[schema(minimum = 1, maximum = 28)]
    pub deadline_day: Option<i64>,
    /// Default: October of the fiscal year; may start up to 3 months earlier, and no later
    /// than its September.
    #[serde(default)]
    pub reporting_start: Option<Period>,
    /// Default: September of the fiscal year; may end up to 3 months later, and no earlier
    /// than its October.
    #[serde(default)]
    pub reporting_end: Option<Period>,
}

/// A JSON Merge Patch of an evaluation. `status: "active"` activates a draft (every problem
/// is listed if it cannot be); `status: "closed"` closes an active one. Read-only fields
/// (`id`, `province_id`, `fiscal_year`, `component_weight_total`, `version`, …) are refused.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "active"}))]
pub struct EvaluationPatch {
    #[schema(nullable = false, min_length = 1, max_length = 300)]
    #[serde(default, deserialize_with = "merge_patch::not_null")]
    pub title: Option<String>,
    #[schema(nullable = false, minimum = 1, maximum = 28)]
    #[serde(default, deserialize_with = "merge_patch::not_null")]
    pub deadline_day: Option<i64>,
    #[schema(nullable = false)]
    #[serde(default, deserialize_with = "merge_patch::not_null")]
    pub reporting_start: Option<Period>,
    #[schema(nullable = false)]
    #[serde(default, deserialize_with = "merge_patch::not_null")]
    pub reporting_end: Option<Period>,
    #[schema(nullable = false)]
    #[serde(default, deserialize_with = "merge_patch::not_null")]
    pub status: Option<EvaluationStatus>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EvaluationListQuery {
    pub province_id: Option<i64>,
    #[param(example = 2565)]
    pub fiscal_year: Option<i32>,
    pub status: Option<EvaluationStatus>,
    #[param(minimum = 1, maximum = 500, default = 50)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// List evaluations.
///
/// The evaluations in the caller's scope (its province; every province for national callers),
/// ordered by id, filtered by province, fiscal year and status.
#[utoipa::path(
    tag = "evaluations",
    params(EvaluationListQuery),
    responses((status = 200, description = "One page of evaluations", body = Page<Evaluation>)),
    security(("bearer" = []))
)]
#[get("/evaluations")]
pub async fn list_evaluations(
    state: Data<AppState>,
    auth: Authenticated,
    QueryParams(query): QueryParams<EvaluationListQuery>,
) -> Result<HttpResponse> {
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let filter = EvaluationFilter {
        province_id: query.province_id,
        fiscal_year: query.fiscal_year,
        status: query.status,
    };
    let (rows, totals) = state
        .read(auth, move |conn, caller| {
            let rows = evaluations::list(conn, caller.visibility(), &filter, page)?;
            let ids: Vec<i64> = rows.items.iter().map(|row| row.id).collect();
            let totals = evaluations::component_weight_totals(conn, &ids)?;
            Ok((rows, totals))
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_storage(rows, |row| {
        let total = totals.get(&row.id).copied().unwrap_or_default();
        Evaluation::new(row, total)
    })))
}

/// Create an evaluation.
///
/// A draft evaluation of a province for one fiscal year. The span defaults to October …
/// September of the fiscal year, may reach 3 months either side and must hold at least one
/// month of the fiscal year; the deadline day defaults to 3.
#[utoipa::path(
    tag = "evaluations",
    request_body = NewEvaluation,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses(
        (status = 201, description = "Created (a draft)", body = Evaluation,
            headers(("Location" = String, description = "URL of the evaluation"), ("ETag" = String, description = "Its version"))),
        (status = 422, response = Unprocessable),
    ),
    security(("bearer" = []))
)]
#[post("/evaluations")]
pub async fn create_evaluation(
    state: Data<AppState>,
    auth: Authenticated,
    key: IdempotencyKey,
    body: JsonBody<NewEvaluation>,
) -> Result<HttpResponse> {
    let bytes = body.bytes().clone();
    idempotent::create(
        &state,
        auth,
        "/api/v1/evaluations",
        key,
        &bytes,
        Caller::manages_evaluations,
        move |conn, caller, actor| {
            let new = body.parse()?;
            let fiscal_year = FiscalYear(new.fiscal_year);
            let fields = EvaluationFields::new_draft(
                fiscal_year,
                new.title,
                new.deadline_day,
                new.reporting_start,
                new.reporting_end,
            );
            let row =
                evaluations::create(conn, caller, actor, new.province_id, fiscal_year, fields)?;
            Ok(Created {
                location: format!("/api/v1/evaluations/{}", row.id),
                version: row.version,
                body: Evaluation::of(conn, row)?,
            })
        },
    )
    .await
}

/// Read an evaluation.
///
/// One evaluation with its `component_weight_total` and, as the `ETag`, its version.
#[utoipa::path(
    tag = "evaluations",
    params(("id" = i64, Path, description = "Evaluation id")),
    responses(
        (status = 200, description = "The evaluation", body = Evaluation, headers(("ETag" = String, description = "Its version"))),
        (status = 404, response = NotFound),
    ),
    security(("bearer" = []))
)]
#[get("/evaluations/{id}")]
pub async fn get_evaluation(
    state: Data<AppState>,
    auth: Authenticated,
    id: Path<i64>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    let evaluation = state
        .read(auth, move |conn, caller| {
            let row = evaluations::get(conn, caller, id, Access::Read)?;
            Evaluation::of(conn, row)
        })
        .await?;
    let version = evaluation.version;
    Ok(with_etag(&evaluation, version))
}

/// Change, activate or close an evaluation.
///
/// A JSON Merge Patch with `If-Match`. `status` moves draft → active → closed only (409
/// otherwise). Activation lists every problem at once (422): component weights summing to
/// 100, a host for every indicator, valid criteria, a reporting month of each indicator's
/// frequency inside the span, a baseline for every reporting organization of a reduction
/// indicator. Once active the span and deadline day are frozen (409); a closed evaluation is
/// read-only (409).
#[utoipa::path(
    tag = "evaluations",
    params(("id" = i64, Path, description = "Evaluation id"), ("If-Match" = String, Header, description = "The ETag from the last read")),
    request_body(content = EvaluationPatch, content_type = "application/merge-patch+json"),
    responses(
        (status = 200, description = "The changed evaluation", body = Evaluation, headers(("ETag" = String, description = "Its new version"))),
        (status = 404, response = NotFound),
        (status = 409, response = InvalidState),
        (status = 412, response = PreconditionFailed),
        (status = 422, response = Unprocessable),
        (status = 428, response = PreconditionRequired),
    ),
    security(("bearer" = []))
)]
#[patch("/evaluations/{id}")]
pub async fn patch_evaluation(
    state: Data<AppState>,
    auth: Authenticated,
    id: Path<i64>,
    if_match: IfMatch,
    patch: JsonBody<EvaluationPatch>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    let evaluation = state
        .write(auth, move |conn, caller, actor| {
            // Locked before any check: no child can commit between the checks and the change.
            let current = evaluations::get(conn, caller, id, Access::Manage)?;
            if_match.require(current.version)?;
            let target = serde_json::to_value(current.fields())
                .map_err(|e| Error::Internal(e.to_string()))?;
            let merged: EvaluationFields = merge_patch::apply(target, &patch.merge_patch()?)?;
            let row = evaluations::update(conn, caller, actor, &current, merged)?;
            Evaluation::of(conn, row)
        })
        .await?;
    let version = evaluation.version;
    Ok(with_etag(&evaluation, version))
}
