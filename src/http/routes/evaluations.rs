//! `/api/v1/evaluations`, their components, and the framework document.

use actix_web::web::{Data, Path};
use actix_web::{delete, get, patch, post, put, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::{IntoParams, ToSchema};

use super::{timestamp, with_etag, Page, PageParams};
use crate::auth::resolve_caller;
use crate::domain::framework::{EvaluationStatus, FrameworkDocument};
use crate::domain::period::{FiscalYear, Period};
use crate::error::Result;
use crate::http::extract::{
    Authenticated, IdempotencyKey, IfMatch, JsonBody, QueryParams, RequestId,
};
use crate::http::idempotent::{self, Created};
use crate::http::merge_patch;
use crate::http::openapi::{
    Duplicate, InvalidState, NotFound, PreconditionFailed, PreconditionRequired, Referenced,
    Unprocessable,
};
use crate::http::AppState;
use crate::storage::audit::Actor;
use crate::storage::evaluations::{
    self, ComponentFields, ComponentRow, EvaluationFields, EvaluationFilter, EvaluationRow,
};
use crate::storage::framework;

/// A province's evaluation of one fiscal year.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 1, "province_id": 2, "fiscal_year": 2565,
    "title": "การประเมินส่วนราชการตามมาตรการปรับปรุงประสิทธิภาพในการปฏิบัติราชการของจังหวัดยโสธร ประจำปีงบประมาณ พ.ศ. 2565",
    "deadline_day": 3, "reporting_start": "2021-09", "reporting_end": "2022-09", "status": "active",
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
    pub version: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl From<EvaluationRow> for Evaluation {
    fn from(row: EvaluationRow) -> Self {
        let (reporting_start, reporting_end) = row.span();
        Self {
            status: row.status(),
            id: row.id,
            province_id: row.province_id,
            fiscal_year: row.fiscal_year,
            title: row.title,
            deadline_day: row.deadline_day,
            reporting_start,
            reporting_end,
            version: row.version,
            created_at: timestamp(row.created_at),
            updated_at: timestamp(row.updated_at),
        }
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
    /// Default: October of the fiscal year; may start up to 3 months earlier.
    #[serde(default)]
    pub reporting_start: Option<Period>,
    /// Default: September of the fiscal year; may end up to 3 months later.
    #[serde(default)]
    pub reporting_end: Option<Period>,
}

/// A JSON Merge Patch of an evaluation. `status: "active"` activates a draft (every problem
/// is listed if it cannot be); `status: "closed"` closes an active one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "active"}))]
pub struct EvaluationPatch {
    pub title: Option<String>,
    pub deadline_day: Option<i64>,
    pub reporting_start: Option<Period>,
    pub reporting_end: Option<Period>,
    pub status: Option<EvaluationStatus>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MergedEvaluation {
    title: String,
    deadline_day: i64,
    reporting_start: Period,
    reporting_end: Period,
    status: EvaluationStatus,
}

impl From<MergedEvaluation> for EvaluationFields {
    fn from(m: MergedEvaluation) -> Self {
        Self {
            title: m.title,
            deadline_day: m.deadline_day,
            reporting_start: m.reporting_start,
            reporting_end: m.reporting_end,
            status: m.status,
        }
    }
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

/// List the evaluations in the caller's scope, by id.
///
/// National callers see every province's evaluations; everyone else sees their own
/// province's. Filter by `province_id`, `fiscal_year` (Buddhist Era) or `status`; page with
/// `limit` and `cursor`.
#[utoipa::path(
    tag = "evaluations",
    params(EvaluationListQuery),
    responses((status = 200, description = "One page of evaluations", body = Page<Evaluation>)),
    security(("bearer" = []))
)]
#[get("/evaluations")]
pub async fn list_evaluations(
    state: Data<AppState>,
    Authenticated(claims): Authenticated,
    QueryParams(query): QueryParams<EvaluationListQuery>,
) -> Result<HttpResponse> {
    let page = PageParams {
        limit: query.limit,
        cursor: query.cursor.clone(),
    }
    .page()?;
    let filter = EvaluationFilter {
        province_id: query.province_id,
        fiscal_year: query.fiscal_year,
        status: query.status,
    };
    let rows = state
        .db
        .read(move |conn| {
            let caller = resolve_caller(conn, &claims)?;
            evaluations::list(conn, caller.visibility(), &filter, page)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_storage(rows, Evaluation::from)))
}

/// Create a draft evaluation for a province and fiscal year.
///
/// The reporting span defaults to the fiscal year (October to September) and may reach up to
/// 3 months before and after it; `deadline_day` (1–28, default 3) is the day of the following
/// month by which a month's result is due. Components, indicators and assignments are added
/// while it is a draft; activate it with `PATCH` (`status: active`). Accepts `Idempotency-Key`.
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
    Authenticated(claims): Authenticated,
    request_id: RequestId,
    key: IdempotencyKey,
    body: JsonBody<NewEvaluation>,
) -> Result<HttpResponse> {
    let subject = claims.sub.clone();
    let JsonBody { value: new, bytes } = body;
    idempotent::create(
        &state,
        &subject,
        "/api/v1/evaluations",
        key,
        &bytes,
        move |conn| {
            let caller = resolve_caller(conn, &claims)?;
            let fiscal_year = FiscalYear(new.fiscal_year);
            let (default_start, default_end) = fiscal_year.default_span();
            let fields = EvaluationFields {
                title: new.title,
                deadline_day: new.deadline_day.unwrap_or(3),
                reporting_start: new.reporting_start.unwrap_or(default_start),
                reporting_end: new.reporting_end.unwrap_or(default_end),
                status: EvaluationStatus::Draft,
            };
            let row = evaluations::create(
                conn,
                &caller,
                &Actor::of(&caller, Some(request_id.0)),
                new.province_id,
                fiscal_year,
                fields,
            )?;
            Ok(Created {
                location: format!("/api/v1/evaluations/{}", row.id),
                version: row.version,
                body: Evaluation::from(row),
            })
        },
    )
    .await
}

/// Read one evaluation.
///
/// Its `ETag` is the version to send in `If-Match` with a later `PATCH`. An evaluation
/// outside the caller's scope is a 404.
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
    Authenticated(claims): Authenticated,
    id: Path<i64>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    let row = state
        .db
        .read(move |conn| {
            let caller = resolve_caller(conn, &claims)?;
            evaluations::get_visible(conn, &caller, id)
        })
        .await?;
    let version = row.version;
    Ok(with_etag(&Evaluation::from(row), version))
}

/// Change an evaluation (JSON Merge Patch, `If-Match`).
///
/// Once active, the span and the deadline are frozen (409); a closed evaluation is read-only
/// (409). Activation lists every problem (422).
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
    Authenticated(claims): Authenticated,
    request_id: RequestId,
    id: Path<i64>,
    if_match: IfMatch,
    patch: JsonBody<Value>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    let row = state
        .db
        .write(move |conn| {
            let caller = resolve_caller(conn, &claims)?;
            let current = evaluations::get_visible(conn, &caller, id)?;
            caller.may_manage_evaluations(current.province_id)?;
            if_match.require(current.version)?;
            let (start, end) = current.span();
            let writable = json!({
                "title": current.title, "deadline_day": current.deadline_day,
                "reporting_start": start, "reporting_end": end, "status": current.status,
            });
            let merged: MergedEvaluation = merge_patch::apply(writable, &patch.value)?;
            evaluations::update(
                conn,
                &caller,
                &Actor::of(&caller, Some(request_id.0)),
                &current,
                merged.into(),
            )
        })
        .await?;
    let version = row.version;
    Ok(with_etag(&Evaluation::from(row), version))
}

/// Export the whole framework as one document.
///
/// Components, indicators and assignments, with organizations named by code, so the document
/// can be copied into another evaluation or year with `PUT`.
#[utoipa::path(
    tag = "evaluations",
    params(("id" = i64, Path, description = "Evaluation id")),
    responses(
        (status = 200, description = "The framework document", body = FrameworkDocument),
        (status = 404, response = NotFound),
    ),
    security(("bearer" = []))
)]
#[get("/evaluations/{id}/framework")]
pub async fn get_framework(
    state: Data<AppState>,
    Authenticated(claims): Authenticated,
    id: Path<i64>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    let document = state
        .db
        .read(move |conn| {
            let caller = resolve_caller(conn, &claims)?;
            let evaluation = evaluations::get_visible(conn, &caller, id)?;
            framework::export(conn, evaluation.id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(document))
}

/// Replace a draft evaluation's framework with a document, in one transaction.
///
/// All of it or, with every problem listed by path (e.g. `components[0].indicators[1].weight`),
/// none of it: the old framework is kept when anything is refused.
#[utoipa::path(
    tag = "evaluations",
    params(("id" = i64, Path, description = "Evaluation id")),
    request_body = FrameworkDocument,
    responses(
        (status = 200, description = "The framework as stored", body = FrameworkDocument),
        (status = 404, response = NotFound),
        (status = 409, response = InvalidState),
        (status = 422, response = Unprocessable),
    ),
    security(("bearer" = []))
)]
#[put("/evaluations/{id}/framework")]
pub async fn put_framework(
    state: Data<AppState>,
    Authenticated(claims): Authenticated,
    request_id: RequestId,
    id: Path<i64>,
    body: JsonBody<FrameworkDocument>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    let document = body.value;
    let stored = state
        .db
        .write(move |conn| {
            let caller = resolve_caller(conn, &claims)?;
            let evaluation = evaluations::get_visible(conn, &caller, id)?;
            framework::import(
                conn,
                &caller,
                &Actor::of(&caller, Some(request_id.0)),
                &evaluation,
                &document,
            )
        })
        .await?;
    Ok(HttpResponse::Ok().json(stored))
}

// ---- components ----

/// A weighted component (องค์ประกอบ) of an evaluation.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 1, "evaluation_id": 1, "code": "1", "name": "การประเมินประสิทธิผลการดำเนินงาน (Performance Base)",
    "weight": 70.0, "version": 1, "created_at": "2021-10-01T02:00:00.000000Z", "updated_at": "2021-10-01T02:00:00.000000Z"
}))]
pub struct Component {
    pub id: i64,
    pub evaluation_id: i64,
    pub code: String,
    pub name: String,
    /// Percent of the overall score.
    pub weight: f64,
    pub version: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl From<ComponentRow> for Component {
    fn from(row: ComponentRow) -> Self {
        Self {
            id: row.id,
            evaluation_id: row.evaluation_id,
            code: row.code,
            name: row.name,
            weight: row.weight,
            version: row.version,
            created_at: timestamp(row.created_at),
            updated_at: timestamp(row.updated_at),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"code": "2", "name": "การประเมินศักยภาพในการดำเนินงาน (Potential Base)", "weight": 30.0}))]
pub struct NewComponent {
    #[schema(pattern = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")]
    pub code: String,
    #[schema(min_length = 1, max_length = 300)]
    pub name: String,
    /// Percent of the overall score (0 < weight ≤ 100); an evaluation's components sum to 100.
    #[schema(exclusive_minimum = 0.0, maximum = 100.0)]
    pub weight: f64,
}

impl From<NewComponent> for ComponentFields {
    fn from(new: NewComponent) -> Self {
        Self {
            code: new.code,
            name: new.name,
            weight: new.weight,
        }
    }
}

/// A JSON Merge Patch of a component.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"weight": 60.0}))]
pub struct ComponentPatch {
    pub code: Option<String>,
    pub name: Option<String>,
    pub weight: Option<f64>,
}

/// List an evaluation's components, by id.
///
/// A component groups indicators and carries a weight in percent of the overall score. The
/// evaluation must be visible to the caller (404 otherwise); page with `limit` and `cursor`.
#[utoipa::path(
    tag = "evaluations",
    params(("id" = i64, Path, description = "Evaluation id"), PageParams),
    responses((status = 200, description = "One page of components", body = Page<Component>), (status = 404, response = NotFound)),
    security(("bearer" = []))
)]
#[get("/evaluations/{id}/components")]
pub async fn list_components(
    state: Data<AppState>,
    Authenticated(claims): Authenticated,
    id: Path<i64>,
    QueryParams(query): QueryParams<PageParams>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    let page = query.page()?;
    let rows = state
        .db
        .read(move |conn| {
            let caller = resolve_caller(conn, &claims)?;
            let evaluation = evaluations::get_visible(conn, &caller, id)?;
            evaluations::list_components(conn, evaluation.id, page)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_storage(rows, Component::from)))
}

/// Add a component to a draft evaluation.
///
/// Its `code` is unique within the evaluation (409) and its `weight` is a percent of the
/// overall score; the components must sum to 100 before the evaluation can be activated.
/// Only while the evaluation is a draft (409 otherwise). Accepts `Idempotency-Key`.
#[utoipa::path(
    tag = "evaluations",
    params(("id" = i64, Path, description = "Evaluation id"), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    request_body = NewComponent,
    responses(
        (status = 201, description = "Created", body = Component, headers(("Location" = String, description = "URL of the component"), ("ETag" = String, description = "Its version"))),
        (status = 404, response = NotFound),
        (status = 409, response = Duplicate),
        (status = 422, response = Unprocessable),
    ),
    security(("bearer" = []))
)]
#[post("/evaluations/{id}/components")]
pub async fn create_component(
    state: Data<AppState>,
    Authenticated(claims): Authenticated,
    request_id: RequestId,
    key: IdempotencyKey,
    id: Path<i64>,
    body: JsonBody<NewComponent>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    let subject = claims.sub.clone();
    let JsonBody { value: new, bytes } = body;
    idempotent::create(
        &state,
        &subject,
        &format!("/api/v1/evaluations/{id}/components"),
        key,
        &bytes,
        move |conn| {
            let caller = resolve_caller(conn, &claims)?;
            let evaluation = evaluations::get_visible(conn, &caller, id)?;
            let row = evaluations::create_component(
                conn,
                &caller,
                &Actor::of(&caller, Some(request_id.0)),
                &evaluation,
                new.into(),
            )?;
            Ok(Created {
                location: format!("/api/v1/components/{}", row.id),
                version: row.version,
                body: Component::from(row),
            })
        },
    )
    .await
}

/// Read one component.
///
/// Its `ETag` is the version to send in `If-Match` with a later `PATCH`. A component of an
/// evaluation outside the caller's scope is a 404.
#[utoipa::path(
    tag = "evaluations",
    params(("id" = i64, Path, description = "Component id")),
    responses((status = 200, description = "The component", body = Component, headers(("ETag" = String, description = "Its version"))), (status = 404, response = NotFound)),
    security(("bearer" = []))
)]
#[get("/components/{id}")]
pub async fn get_component(
    state: Data<AppState>,
    Authenticated(claims): Authenticated,
    id: Path<i64>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    let (row, _) = state
        .db
        .read(move |conn| {
            let caller = resolve_caller(conn, &claims)?;
            evaluations::get_component_visible(conn, &caller, id)
        })
        .await?;
    let version = row.version;
    Ok(with_etag(&Component::from(row), version))
}

/// Change a component (JSON Merge Patch, `If-Match`).
///
/// Weights may be renegotiated while the evaluation is active, as long as they still sum to
/// 100; the change is audited.
#[utoipa::path(
    tag = "evaluations",
    params(("id" = i64, Path, description = "Component id"), ("If-Match" = String, Header, description = "The ETag from the last read")),
    request_body(content = ComponentPatch, content_type = "application/merge-patch+json"),
    responses(
        (status = 200, description = "The changed component", body = Component, headers(("ETag" = String, description = "Its new version"))),
        (status = 404, response = NotFound),
        (status = 409, response = InvalidState),
        (status = 412, response = PreconditionFailed),
        (status = 422, response = Unprocessable),
        (status = 428, response = PreconditionRequired),
    ),
    security(("bearer" = []))
)]
#[patch("/components/{id}")]
pub async fn patch_component(
    state: Data<AppState>,
    Authenticated(claims): Authenticated,
    request_id: RequestId,
    id: Path<i64>,
    if_match: IfMatch,
    patch: JsonBody<Value>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    let row = state
        .db
        .write(move |conn| {
            let caller = resolve_caller(conn, &claims)?;
            let (current, evaluation) = evaluations::get_component_visible(conn, &caller, id)?;
            caller.may_manage_evaluations(evaluation.province_id)?;
            if_match.require(current.version)?;
            let writable =
                json!({"code": current.code, "name": current.name, "weight": current.weight});
            let merged: NewComponent = merge_patch::apply(writable, &patch.value)?;
            evaluations::update_component(
                conn,
                &caller,
                &Actor::of(&caller, Some(request_id.0)),
                &evaluation,
                &current,
                merged.into(),
            )
        })
        .await?;
    let version = row.version;
    Ok(with_etag(&Component::from(row), version))
}

/// Delete a component of a draft evaluation that has no indicators.
///
/// A component that still has indicators, or belongs to an evaluation that is no longer a
/// draft, is a 409. `If-Match` is checked when given.
#[utoipa::path(
    tag = "evaluations",
    params(("id" = i64, Path, description = "Component id"), ("If-Match" = Option<String>, Header, description = "Optional: delete only if unchanged")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, response = NotFound),
        (status = 409, response = Referenced),
        (status = 412, response = PreconditionFailed),
    ),
    security(("bearer" = []))
)]
#[delete("/components/{id}")]
pub async fn delete_component(
    state: Data<AppState>,
    Authenticated(claims): Authenticated,
    request_id: RequestId,
    id: Path<i64>,
    if_match: IfMatch,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    state
        .db
        .write(move |conn| {
            let caller = resolve_caller(conn, &claims)?;
            let (current, evaluation) = evaluations::get_component_visible(conn, &caller, id)?;
            if_match.check_if_present(current.version)?;
            evaluations::delete_component(
                conn,
                &caller,
                &Actor::of(&caller, Some(request_id.0)),
                &evaluation,
                &current,
            )
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
