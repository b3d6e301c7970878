//! `/api/v1/indicators` with their scoring criteria, and assignments of organizations to them.

use actix_web::web::{Data, Path};
use actix_web::{delete, get, patch, post, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::{IntoParams, ToSchema};

use super::{timestamp, with_etag, Page, PageParams};
use crate::auth::resolve_caller;
use crate::domain::criteria::Breakpoint;
use crate::domain::framework::{
    default_across_orgs, default_frequency, default_over_time, default_score_basis, default_weight,
    AssignmentRole,
};
use crate::domain::period::Frequency;
use crate::domain::scoring::{AcrossOrgs, Category, OverTime, ScoreBasis};
use crate::error::{Error, Result};
use crate::http::extract::{
    Authenticated, IdempotencyKey, IfMatch, JsonBody, QueryParams, RequestId,
};
use crate::http::idempotent::{self, Created};
use crate::http::merge_patch;
use crate::http::openapi::{
    Duplicate, InvalidState, NotFound, PreconditionFailed, PreconditionRequired, Unprocessable,
};
use crate::http::AppState;
use crate::storage::audit::Actor;
use crate::storage::indicators::{
    self, AssignmentFields, AssignmentFilter, AssignmentView, IndicatorFields, IndicatorFilter,
    IndicatorRow,
};
use crate::storage::{evaluations, organizations};

/// An indicator (ตัวชี้วัด) with its scoring criteria.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 5, "evaluation_id": 1, "component_id": 1, "code": "1.2",
    "name": "อัตราป่วยตายจากโรคติดเชื้อไวรัสโคโรนา (COVID-19) ของจังหวัด ปีงบประมาณ พ.ศ.2565",
    "description": null, "unit": "ร้อยละ", "category": null, "frequency": "monthly",
    "over_time": "latest", "across_orgs": "average", "score_basis": "value",
    "baseline": null, "target": 1.0, "weight": 1.0,
    "criteria": [{"value": 1.5, "score": 50.0}, {"value": 1.0, "score": 75.0}, {"value": 0.5, "score": 100.0}],
    "max_score": 100.0, "version": 1,
    "created_at": "2021-10-01T02:00:00.000000Z", "updated_at": "2021-10-01T02:00:00.000000Z"
}))]
pub struct Indicator {
    pub id: i64,
    pub evaluation_id: i64,
    pub component_id: i64,
    pub code: String,
    pub name: String,
    pub description: Option<String>,
    pub unit: Option<String>,
    pub category: Option<Category>,
    pub frequency: Frequency,
    pub over_time: OverTime,
    pub across_orgs: AcrossOrgs,
    pub score_basis: ScoreBasis,
    /// Per-period baseline (the reduction basis measures against it).
    pub baseline: Option<f64>,
    pub target: Option<f64>,
    /// Relative within the component.
    pub weight: f64,
    /// 2–10 breakpoints; increasing values: higher is better, decreasing: lower is better.
    pub criteria: Vec<Breakpoint>,
    /// The last breakpoint's score.
    pub max_score: f64,
    pub version: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl From<IndicatorRow> for Indicator {
    fn from(row: IndicatorRow) -> Self {
        let criteria = row.breakpoints();
        Self {
            max_score: criteria.last().map_or(0.0, |p| p.score),
            category: row.category(),
            frequency: row.frequency(),
            over_time: row.over_time(),
            across_orgs: row.across_orgs(),
            score_basis: row.score_basis(),
            criteria,
            id: row.id,
            evaluation_id: row.evaluation_id,
            component_id: row.component_id,
            code: row.code,
            name: row.name,
            description: row.description,
            unit: row.unit,
            baseline: row.baseline,
            target: row.target,
            weight: row.weight,
            version: row.version,
            created_at: timestamp(row.created_at),
            updated_at: timestamp(row.updated_at),
        }
    }
}

/// A new indicator. Settings left out take their defaults: monthly, latest, average, value, weight 1.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "evaluation_id": 1, "component_id": 1, "code": "E.1",
    "name": "ร้อยละการลดใช้พลังงานไฟฟ้าของส่วนราชการ", "unit": "kWh", "category": "energy_reduction",
    "frequency": "monthly", "score_basis": "reduction_from_baseline", "baseline": 1200.0, "target": 20.0,
    "weight": 1.0, "criteria": [{"value": 10.0, "score": 50.0}, {"value": 15.0, "score": 75.0}, {"value": 20.0, "score": 100.0}]
}))]
pub struct NewIndicator {
    pub evaluation_id: i64,
    pub component_id: i64,
    #[schema(pattern = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")]
    pub code: String,
    #[schema(min_length = 1, max_length = 500)]
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub category: Option<Category>,
    #[serde(default = "default_frequency")]
    pub frequency: Frequency,
    #[serde(default = "default_over_time")]
    pub over_time: OverTime,
    #[serde(default = "default_across_orgs")]
    pub across_orgs: AcrossOrgs,
    #[serde(default = "default_score_basis")]
    pub score_basis: ScoreBasis,
    /// Required for `reduction_from_baseline`: a per-period figure.
    #[serde(default)]
    pub baseline: Option<f64>,
    #[serde(default)]
    pub target: Option<f64>,
    /// Relative within the component; default 1.
    #[serde(default = "default_weight")]
    #[schema(exclusive_minimum = 0.0)]
    pub weight: f64,
    /// 2–10 breakpoints: values strictly monotonic, scores strictly increasing.
    #[schema(min_items = 2, max_items = 10)]
    pub criteria: Vec<Breakpoint>,
}

impl From<NewIndicator> for IndicatorFields {
    fn from(i: NewIndicator) -> Self {
        Self {
            component_id: i.component_id,
            code: i.code,
            name: i.name,
            description: i.description,
            unit: i.unit,
            category: i.category,
            frequency: i.frequency,
            over_time: i.over_time,
            across_orgs: i.across_orgs,
            score_basis: i.score_basis,
            baseline: i.baseline,
            target: i.target,
            weight: i.weight,
            criteria: i.criteria,
        }
    }
}

/// The writable fields of an indicator after a merge patch.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct IndicatorInput {
    pub component_id: i64,
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub category: Option<Category>,
    #[serde(default = "default_frequency")]
    pub frequency: Frequency,
    #[serde(default = "default_over_time")]
    pub over_time: OverTime,
    #[serde(default = "default_across_orgs")]
    pub across_orgs: AcrossOrgs,
    #[serde(default = "default_score_basis")]
    pub score_basis: ScoreBasis,
    #[serde(default)]
    pub baseline: Option<f64>,
    #[serde(default)]
    pub target: Option<f64>,
    #[serde(default = "default_weight")]
    pub weight: f64,
    pub criteria: Vec<Breakpoint>,
}

impl From<IndicatorInput> for IndicatorFields {
    fn from(i: IndicatorInput) -> Self {
        Self {
            component_id: i.component_id,
            code: i.code,
            name: i.name,
            description: i.description,
            unit: i.unit,
            category: i.category,
            frequency: i.frequency,
            over_time: i.over_time,
            across_orgs: i.across_orgs,
            score_basis: i.score_basis,
            baseline: i.baseline,
            target: i.target,
            weight: i.weight,
            criteria: i.criteria,
        }
    }
}

/// A JSON Merge Patch of an indicator. While the evaluation is active only targets, criteria,
/// weights, names and descriptions may change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"target": 18.0, "criteria": [{"value": 8.0, "score": 50.0}, {"value": 13.0, "score": 75.0}, {"value": 18.0, "score": 100.0}]}))]
pub struct IndicatorPatch {
    pub component_id: Option<i64>,
    pub code: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub unit: Option<String>,
    pub category: Option<Category>,
    pub frequency: Option<Frequency>,
    pub over_time: Option<OverTime>,
    pub across_orgs: Option<AcrossOrgs>,
    pub score_basis: Option<ScoreBasis>,
    pub baseline: Option<f64>,
    pub target: Option<f64>,
    pub weight: Option<f64>,
    pub criteria: Option<Vec<Breakpoint>>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IndicatorListQuery {
    pub evaluation_id: Option<i64>,
    pub component_id: Option<i64>,
    pub category: Option<Category>,
    /// Substring of the code or name (Latin letters case-insensitive).
    #[param(example = "พลังงาน")]
    pub q: Option<String>,
    #[param(minimum = 1, maximum = 500, default = 50)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// List indicators in the caller's scope, by id.
///
/// Filter by `evaluation_id`, `component_id`, `category` or `q` (a substring of the code or
/// name, case-insensitive for Latin letters); page with `limit` and `cursor`.
#[utoipa::path(
    tag = "indicators",
    params(IndicatorListQuery),
    responses((status = 200, description = "One page of indicators", body = Page<Indicator>)),
    security(("bearer" = []))
)]
#[get("/indicators")]
pub async fn list_indicators(
    state: Data<AppState>,
    Authenticated(claims): Authenticated,
    QueryParams(query): QueryParams<IndicatorListQuery>,
) -> Result<HttpResponse> {
    let page = PageParams {
        limit: query.limit,
        cursor: query.cursor.clone(),
    }
    .page()?;
    let filter = IndicatorFilter {
        evaluation_id: query.evaluation_id,
        component_id: query.component_id,
        category: query.category,
        q: query.q,
    };
    let rows = state
        .db
        .read(move |conn| {
            let caller = resolve_caller(conn, &claims)?;
            indicators::list(conn, caller.visibility(), &filter, page)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_storage(rows, Indicator::from)))
}

/// Add an indicator to a draft evaluation.
///
/// Settings left out take their defaults (monthly, latest, average, value, weight 1). The
/// criteria are 2–10 breakpoints, values strictly monotonic and scores strictly increasing;
/// every problem is listed at once (422). Only while the evaluation is a draft (409
/// otherwise). Accepts `Idempotency-Key`.
#[utoipa::path(
    tag = "indicators",
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    request_body = NewIndicator,
    responses(
        (status = 201, description = "Created", body = Indicator, headers(("Location" = String, description = "URL of the indicator"), ("ETag" = String, description = "Its version"))),
        (status = 409, response = Duplicate),
        (status = 422, response = Unprocessable),
    ),
    security(("bearer" = []))
)]
#[post("/indicators")]
pub async fn create_indicator(
    state: Data<AppState>,
    Authenticated(claims): Authenticated,
    request_id: RequestId,
    key: IdempotencyKey,
    body: JsonBody<NewIndicator>,
) -> Result<HttpResponse> {
    let subject = claims.sub.clone();
    let JsonBody { value: new, bytes } = body;
    idempotent::create(
        &state,
        &subject,
        "/api/v1/indicators",
        key,
        &bytes,
        move |conn| {
            let caller = resolve_caller(conn, &claims)?;
            caller.manages_evaluations()?;
            let evaluation =
                evaluations::get_visible(conn, &caller, new.evaluation_id).map_err(|_| {
                    Error::invalid_field(
                        "evaluation_id",
                        format!("evaluation {} does not exist", new.evaluation_id),
                    )
                })?;
            let row = indicators::create(
                conn,
                &caller,
                &Actor::of(&caller, Some(request_id.0)),
                &evaluation,
                new.into(),
            )?;
            Ok(Created {
                location: format!("/api/v1/indicators/{}", row.id),
                version: row.version,
                body: Indicator::from(row),
            })
        },
    )
    .await
}

/// Read one indicator.
///
/// Its `ETag` is the version to send in `If-Match` with a later `PATCH`. An indicator of an
/// evaluation outside the caller's scope is a 404.
#[utoipa::path(
    tag = "indicators",
    params(("id" = i64, Path, description = "Indicator id")),
    responses((status = 200, description = "The indicator", body = Indicator, headers(("ETag" = String, description = "Its version"))), (status = 404, response = NotFound)),
    security(("bearer" = []))
)]
#[get("/indicators/{id}")]
pub async fn get_indicator(
    state: Data<AppState>,
    Authenticated(claims): Authenticated,
    id: Path<i64>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    let (row, _) = state
        .db
        .read(move |conn| {
            let caller = resolve_caller(conn, &claims)?;
            indicators::get_visible(conn, &caller, id)
        })
        .await?;
    let version = row.version;
    Ok(with_etag(&Indicator::from(row), version))
}

/// Change an indicator (JSON Merge Patch, `If-Match`).
///
/// While the evaluation is active its frequency, score basis, aggregation and component are
/// frozen (409); targets, criteria and weights may still change, each change audited.
#[utoipa::path(
    tag = "indicators",
    params(("id" = i64, Path, description = "Indicator id"), ("If-Match" = String, Header, description = "The ETag from the last read")),
    request_body(content = IndicatorPatch, content_type = "application/merge-patch+json"),
    responses(
        (status = 200, description = "The changed indicator", body = Indicator, headers(("ETag" = String, description = "Its new version"))),
        (status = 404, response = NotFound),
        (status = 409, response = InvalidState),
        (status = 412, response = PreconditionFailed),
        (status = 422, response = Unprocessable),
        (status = 428, response = PreconditionRequired),
    ),
    security(("bearer" = []))
)]
#[patch("/indicators/{id}")]
pub async fn patch_indicator(
    state: Data<AppState>,
    Authenticated(claims): Authenticated,
    request_id: RequestId,
    id: Path<i64>,
    if_match: IfMatch,
    patch: JsonBody<Value>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    let row = state.db.write(move |conn| {
        let caller = resolve_caller(conn, &claims)?;
        let (current, evaluation) = indicators::get_visible(conn, &caller, id)?;
        caller.may_manage_evaluations(evaluation.province_id)?;
        if_match.require(current.version)?;
        let writable = json!({
            "component_id": current.component_id, "code": current.code, "name": current.name,
            "description": current.description, "unit": current.unit, "category": current.category,
            "frequency": current.frequency, "over_time": current.over_time, "across_orgs": current.across_orgs,
            "score_basis": current.score_basis, "baseline": current.baseline, "target": current.target,
            "weight": current.weight, "criteria": current.breakpoints(),
        });
        let merged: IndicatorInput = merge_patch::apply(writable, &patch.value)?;
        indicators::update(conn, &caller, &Actor::of(&caller, Some(request_id.0)), &evaluation, &current, merged.into())
    }).await?;
    let version = row.version;
    Ok(with_etag(&Indicator::from(row), version))
}

/// Delete an indicator (and its assignments) from a draft evaluation.
///
/// Only while the evaluation is a draft (409 otherwise). `If-Match` is checked when given.
#[utoipa::path(
    tag = "indicators",
    params(("id" = i64, Path, description = "Indicator id"), ("If-Match" = Option<String>, Header, description = "Optional: delete only if unchanged")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, response = NotFound),
        (status = 409, response = InvalidState),
        (status = 412, response = PreconditionFailed),
    ),
    security(("bearer" = []))
)]
#[delete("/indicators/{id}")]
pub async fn delete_indicator(
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
            let (current, evaluation) = indicators::get_visible(conn, &caller, id)?;
            if_match.check_if_present(current.version)?;
            indicators::delete(
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

// ---- assignments ----

/// An organization's role for an indicator: host (reports), co-host (reports), supervisor (reviews).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 9, "indicator_id": 5, "indicator_code": "1.2", "evaluation_id": 1, "organization_id": 6,
    "organization_code": "YST-PHO", "role": "host", "contact_name": "นางสาวสมหญิง รักดี",
    "contact_position": "นักวิชาการสาธารณสุขชำนาญการ", "contact_phone": "045-712233",
    "contact_email": "pho.yasothon@moph.go.th", "baseline": null, "target": null, "version": 1,
    "created_at": "2021-10-01T02:00:00.000000Z", "updated_at": "2021-10-01T02:00:00.000000Z"
}))]
pub struct Assignment {
    pub id: i64,
    pub indicator_id: i64,
    pub indicator_code: String,
    pub evaluation_id: i64,
    pub organization_id: i64,
    pub organization_code: String,
    pub role: AssignmentRole,
    pub contact_name: Option<String>,
    pub contact_position: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
    /// This organization's per-period baseline (else the indicator's).
    pub baseline: Option<f64>,
    pub target: Option<f64>,
    pub version: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl From<AssignmentView> for Assignment {
    fn from(view: AssignmentView) -> Self {
        let a = view.assignment;
        Self {
            role: a.role(),
            id: a.id,
            indicator_id: a.indicator_id,
            indicator_code: view.indicator_code,
            evaluation_id: view.evaluation_id,
            organization_id: a.organization_id,
            organization_code: view.organization_code,
            contact_name: a.contact_name,
            contact_position: a.contact_position,
            contact_phone: a.contact_phone,
            contact_email: a.contact_email,
            baseline: a.baseline,
            target: a.target,
            version: a.version,
            created_at: timestamp(a.created_at),
            updated_at: timestamp(a.updated_at),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "organization_id": 6, "role": "host", "contact_name": "นางสาวสมหญิง รักดี",
    "contact_position": "นักวิชาการสาธารณสุขชำนาญการ", "contact_phone": "045-712233",
    "contact_email": "pho.yasothon@moph.go.th"
}))]
pub struct NewAssignment {
    /// Under the evaluation's province, or a national or regional unit with no province above it.
    pub organization_id: i64,
    pub role: AssignmentRole,
    #[serde(default)]
    pub contact_name: Option<String>,
    #[serde(default)]
    pub contact_position: Option<String>,
    #[serde(default)]
    pub contact_phone: Option<String>,
    #[serde(default)]
    pub contact_email: Option<String>,
    #[serde(default)]
    pub baseline: Option<f64>,
    #[serde(default)]
    pub target: Option<f64>,
}

impl From<NewAssignment> for AssignmentFields {
    fn from(n: NewAssignment) -> Self {
        Self {
            organization_id: n.organization_id,
            role: n.role,
            contact_name: n.contact_name,
            contact_position: n.contact_position,
            contact_phone: n.contact_phone,
            contact_email: n.contact_email,
            baseline: n.baseline,
            target: n.target,
        }
    }
}

/// A JSON Merge Patch of an assignment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"contact_phone": "045-714455"}))]
pub struct AssignmentPatch {
    pub organization_id: Option<i64>,
    pub role: Option<AssignmentRole>,
    pub contact_name: Option<String>,
    pub contact_position: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
    pub baseline: Option<f64>,
    pub target: Option<f64>,
}

/// List an indicator's assignments.
///
/// The host, co-host and supervisor organizations of the indicator, with their contacts,
/// baselines and targets, by id. The indicator must be visible to the caller (404
/// otherwise); page with `limit` and `cursor`.
#[utoipa::path(
    tag = "indicators",
    params(("id" = i64, Path, description = "Indicator id"), PageParams),
    responses((status = 200, description = "One page of assignments", body = Page<Assignment>), (status = 404, response = NotFound)),
    security(("bearer" = []))
)]
#[get("/indicators/{id}/assignments")]
pub async fn list_indicator_assignments(
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
            let (indicator, _) = indicators::get_visible(conn, &caller, id)?;
            indicators::list_assignments(
                conn,
                &AssignmentFilter {
                    indicator_id: Some(indicator.id),
                    ..Default::default()
                },
                page,
            )
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_storage(rows, Assignment::from)))
}

/// Assign an organization to an indicator (host, co-host or supervisor).
///
/// The organization is under the evaluation's province or a national or regional unit with
/// no province above it (422 otherwise), and has at most one assignment per indicator (409).
/// Hosts and co-hosts report; a supervisor reviews. Accepts `Idempotency-Key`.
#[utoipa::path(
    tag = "indicators",
    params(("id" = i64, Path, description = "Indicator id"), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    request_body = NewAssignment,
    responses(
        (status = 201, description = "Created", body = Assignment, headers(("Location" = String, description = "URL of the assignment"), ("ETag" = String, description = "Its version"))),
        (status = 404, response = NotFound),
        (status = 409, response = Duplicate),
        (status = 422, response = Unprocessable),
    ),
    security(("bearer" = []))
)]
#[post("/indicators/{id}/assignments")]
pub async fn create_assignment(
    state: Data<AppState>,
    Authenticated(claims): Authenticated,
    request_id: RequestId,
    key: IdempotencyKey,
    id: Path<i64>,
    body: JsonBody<NewAssignment>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    let subject = claims.sub.clone();
    let JsonBody { value: new, bytes } = body;
    idempotent::create(
        &state,
        &subject,
        &format!("/api/v1/indicators/{id}/assignments"),
        key,
        &bytes,
        move |conn| {
            let caller = resolve_caller(conn, &claims)?;
            let (indicator, evaluation) = indicators::get_visible(conn, &caller, id)?;
            let created = indicators::create_assignment(
                conn,
                &caller,
                &Actor::of(&caller, Some(request_id.0)),
                &evaluation,
                &indicator,
                new.into(),
            )?;
            Ok(Created {
                location: format!("/api/v1/assignments/{}", created.assignment.id),
                version: created.assignment.version,
                body: Assignment::from(created),
            })
        },
    )
    .await
}

/// Read one assignment.
///
/// Its `ETag` is the version to send in `If-Match` with a later `PATCH`. An assignment of an
/// evaluation outside the caller's scope is a 404.
#[utoipa::path(
    tag = "indicators",
    params(("id" = i64, Path, description = "Assignment id")),
    responses((status = 200, description = "The assignment", body = Assignment, headers(("ETag" = String, description = "Its version"))), (status = 404, response = NotFound)),
    security(("bearer" = []))
)]
#[get("/assignments/{id}")]
pub async fn get_assignment(
    state: Data<AppState>,
    Authenticated(claims): Authenticated,
    id: Path<i64>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    let (view, _, _) = state
        .db
        .read(move |conn| {
            let caller = resolve_caller(conn, &claims)?;
            indicators::get_assignment_visible(conn, &caller, id)
        })
        .await?;
    let version = view.assignment.version;
    Ok(with_etag(&Assignment::from(view), version))
}

/// Change an assignment (JSON Merge Patch, `If-Match`); allowed while the evaluation is open.
///
/// Contacts, the organization's own baseline and target may change; the organization and role
/// follow the same rules as when assigning.
#[utoipa::path(
    tag = "indicators",
    params(("id" = i64, Path, description = "Assignment id"), ("If-Match" = String, Header, description = "The ETag from the last read")),
    request_body(content = AssignmentPatch, content_type = "application/merge-patch+json"),
    responses(
        (status = 200, description = "The changed assignment", body = Assignment, headers(("ETag" = String, description = "Its new version"))),
        (status = 404, response = NotFound),
        (status = 409, response = InvalidState),
        (status = 412, response = PreconditionFailed),
        (status = 422, response = Unprocessable),
        (status = 428, response = PreconditionRequired),
    ),
    security(("bearer" = []))
)]
#[patch("/assignments/{id}")]
pub async fn patch_assignment(
    state: Data<AppState>,
    Authenticated(claims): Authenticated,
    request_id: RequestId,
    id: Path<i64>,
    if_match: IfMatch,
    patch: JsonBody<Value>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    let view = state.db.write(move |conn| {
        let caller = resolve_caller(conn, &claims)?;
        let (current, _, evaluation) = indicators::get_assignment_visible(conn, &caller, id)?;
        caller.may_manage_evaluations(evaluation.province_id)?;
        let a = &current.assignment;
        if_match.require(a.version)?;
        let writable = json!({
            "organization_id": a.organization_id, "role": a.role, "contact_name": a.contact_name,
            "contact_position": a.contact_position, "contact_phone": a.contact_phone,
            "contact_email": a.contact_email, "baseline": a.baseline, "target": a.target,
        });
        let merged: NewAssignment = merge_patch::apply(writable, &patch.value)?;
        indicators::update_assignment(conn, &caller, &Actor::of(&caller, Some(request_id.0)), &evaluation, a, merged.into())
    }).await?;
    let version = view.assignment.version;
    Ok(with_etag(&Assignment::from(view), version))
}

/// Remove an assignment while the evaluation is open.
///
/// A closed evaluation is read-only (409). `If-Match` is checked when given.
#[utoipa::path(
    tag = "indicators",
    params(("id" = i64, Path, description = "Assignment id"), ("If-Match" = Option<String>, Header, description = "Optional: delete only if unchanged")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, response = NotFound),
        (status = 409, response = InvalidState),
        (status = 412, response = PreconditionFailed),
    ),
    security(("bearer" = []))
)]
#[delete("/assignments/{id}")]
pub async fn delete_assignment(
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
            let (current, _, evaluation) = indicators::get_assignment_visible(conn, &caller, id)?;
            if_match.check_if_present(current.assignment.version)?;
            indicators::delete_assignment(
                conn,
                &caller,
                &Actor::of(&caller, Some(request_id.0)),
                &evaluation,
                &current.assignment,
            )
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrganizationAssignmentsQuery {
    pub evaluation_id: Option<i64>,
    pub role: Option<AssignmentRole>,
    #[param(minimum = 1, maximum = 500, default = 50)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// What an organization must report (host, co-host) and what it supervises.
///
/// An agency officer reads only its own organization's (403 otherwise). Only assignments of
/// evaluations the caller may see are listed; filter by `evaluation_id` or `role`; page with
/// `limit` and `cursor`.
#[utoipa::path(
    tag = "organizations",
    params(("id" = i64, Path, description = "Organization id"), OrganizationAssignmentsQuery),
    responses((status = 200, description = "One page of the organization's assignments", body = Page<Assignment>), (status = 404, response = NotFound)),
    security(("bearer" = []))
)]
#[get("/organizations/{id}/assignments")]
pub async fn list_organization_assignments(
    state: Data<AppState>,
    Authenticated(claims): Authenticated,
    id: Path<i64>,
    QueryParams(query): QueryParams<OrganizationAssignmentsQuery>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    let page = PageParams {
        limit: query.limit,
        cursor: query.cursor.clone(),
    }
    .page()?;
    let rows = state
        .db
        .read(move |conn| {
            let caller = resolve_caller(conn, &claims)?;
            let organization = organizations::get_visible(conn, &caller, id)?;
            caller.may_read_assignments_of(organization.id)?;
            // A national unit may be assigned in several provinces: only what the caller may see.
            let filter = AssignmentFilter {
                evaluation_ids: evaluations::visible_ids(conn, caller.visibility())?,
                organization_id: Some(organization.id),
                evaluation_id: query.evaluation_id,
                role: query.role,
                ..Default::default()
            };
            indicators::list_assignments(conn, &filter, page)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_storage(rows, Assignment::from)))
}
