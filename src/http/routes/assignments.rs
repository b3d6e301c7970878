//! Assignments of organizations to indicators: `/api/v1/indicators/{id}/assignments`,
//! `/api/v1/assignments/{id}` and `/api/v1/organizations/{id}/assignments`.

use actix_web::web::{Data, Path};
use actix_web::{delete, get, patch, post, HttpResponse};
use serde::{Deserialize, Serialize};

use utoipa::{IntoParams, ToSchema};

use super::{timestamp, with_etag, Page, PageParams};
use crate::domain::assignment::AssignmentSpec;
use crate::domain::framework::AssignmentRole;
use crate::error::Result;
use crate::http::extract::{Authenticated, IdempotencyKey, IfMatch, JsonBody, QueryParams};
use crate::http::idempotent::{self, Created};
use crate::http::merge_patch;
use crate::http::openapi::{
    Duplicate, InvalidState, NotFound, PreconditionFailed, PreconditionRequired, Unprocessable,
};
use crate::http::AppState;
use crate::policy::Caller;
use crate::storage::assignments::{self, AssignmentFilter, AssignmentView};
use crate::storage::audit::Actor;
use crate::storage::pagination::PageRequest;
use crate::storage::{indicators, organizations, Access, DbConnection};

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
    /// One assignment per indicator and organization.
    pub organization_id: i64,
    pub organization_code: String,
    pub role: AssignmentRole,
    pub contact_name: Option<String>,
    pub contact_position: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
    /// This organization's per-period baseline (> 0); without one, the indicator's applies.
    pub baseline: Option<f64>,
    /// This organization's own target, shown beside its value; scoring uses the indicator's.
    pub target: Option<f64>,
    pub version: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// The fields of `Assignment` the server makes or takes from elsewhere: a patch cannot name them.
const COMPUTED: &[&str] = &[
    "id",
    "indicator_id",
    "indicator_code",
    "evaluation_id",
    "organization_code",
    "version",
    "created_at",
    "updated_at",
];

impl From<AssignmentView> for Assignment {
    fn from(view: AssignmentView) -> Self {
        let a = view.assignment;
        let spec = a.spec;
        Self {
            id: a.id,
            indicator_id: a.indicator_id,
            indicator_code: view.indicator_code,
            evaluation_id: view.evaluation_id,
            organization_id: spec.organization_id,
            organization_code: view.organization_code,
            role: spec.role,
            contact_name: spec.contact_name,
            contact_position: spec.contact_position,
            contact_phone: spec.contact_phone,
            contact_email: spec.contact_email,
            baseline: spec.baseline,
            target: spec.target,
            version: a.version,
            created_at: timestamp(a.created_at),
            updated_at: timestamp(a.updated_at),
        }
    }
}

/// A new assignment. A patch is merged into the assignment and read as this, too.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "organization_id": 6, "role": "host", "contact_name": "นางสาวสมหญิง รักดี",
    "contact_position": "นักวิชาการสาธารณสุขชำนาญการ", "contact_phone": "045-712233",
    "contact_email": "pho.yasothon@moph.go.th"
}))]
pub struct NewAssignment {
    /// Under the evaluation's province, or a national or regional unit with no province above
    /// it; not yet assigned to the indicator (one assignment per indicator and organization).
    pub organization_id: i64,
    pub role: AssignmentRole,
    #[serde(default)]
    #[schema(max_length = 200)]
    pub contact_name: Option<String>,
    #[serde(default)]
    #[schema(max_length = 200)]
    pub contact_position: Option<String>,
    #[serde(default)]
    #[schema(max_length = 50)]
    pub contact_phone: Option<String>,
    #[serde(default)]
    #[schema(max_length = 254)]
    pub contact_email: Option<String>,
    /// A per-period figure greater than 0 (hosts and co-hosts only).
    #[serde(default)]
    #[schema(exclusive_minimum = 0.0)]
    pub baseline: Option<f64>,
    /// This organization's own target (hosts and co-hosts only).
    #[serde(default)]
    pub target: Option<f64>,
}

impl From<NewAssignment> for AssignmentSpec {
    fn from(new: NewAssignment) -> Self {
        Self {
            organization_id: new.organization_id,
            role: new.role,
            contact_name: new.contact_name,
            contact_position: new.contact_position,
            contact_phone: new.contact_phone,
            contact_email: new.contact_email,
            baseline: new.baseline,
            target: new.target,
        }
    }
}

/// A JSON Merge Patch of an assignment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"contact_phone": "045-714455"}))]
pub struct AssignmentPatch {
    #[schema(nullable = false)]
    #[serde(default, deserialize_with = "merge_patch::not_null")]
    pub organization_id: Option<i64>,
    #[schema(nullable = false)]
    #[serde(default, deserialize_with = "merge_patch::not_null")]
    pub role: Option<AssignmentRole>,
    #[schema(max_length = 200)]
    pub contact_name: Option<String>,
    #[schema(max_length = 200)]
    pub contact_position: Option<String>,
    #[schema(max_length = 50)]
    pub contact_phone: Option<String>,
    #[schema(max_length = 254)]
    pub contact_email: Option<String>,
    #[schema(exclusive_minimum = 0.0)]
    pub baseline: Option<f64>,
    pub target: Option<f64>,
}

/// List an indicator's assignments.
///
/// The organizations assigned to one indicator (hosts, co-hosts, supervisor) with their
/// contacts, baselines and targets, by id.
#[utoipa::path(
    tag = "indicators",
    params(("id" = i64, Path, description = "Indicator id"), PageParams),
    responses((status = 200, description = "One page of assignments", body = Page<Assignment>), (status = 404, response = NotFound)),
    security(("bearer" = []))
)]
#[get("/indicators/{id}/assignments")]
pub async fn list_indicator_assignments(
    state: Data<AppState>,
    auth: Authenticated,
    id: Path<i64>,
    QueryParams(query): QueryParams<PageParams>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    let page = query.page()?;
    let rows = state
        .read(auth, move |conn, caller| {
            let (indicator, _) = indicators::get(conn, caller, id, Access::Read)?;
            let filter = AssignmentFilter {
                indicator_id: Some(indicator.id),
                ..Default::default()
            };
            assignments::list(conn, &filter, page)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_storage(rows, Assignment::from)))
}

/// Assign an organization to an indicator.
///
/// Makes an organization host, co-host or supervisor of an indicator, while the evaluation is
/// a draft or active (409 once closed). An organization has one assignment per indicator (409
/// naming `organization_id`). While active, a reporting organization of a reduction indicator
/// needs a baseline, its own or the indicator's (409 naming `baseline`).
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
    auth: Authenticated,
    key: IdempotencyKey,
    id: Path<i64>,
    body: JsonBody<NewAssignment>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    let bytes = body.bytes().clone();
    idempotent::create(
        &state,
        auth,
        &format!("/api/v1/indicators/{id}/assignments"),
        key,
        &bytes,
        Caller::manages_evaluations,
        move |conn, caller, actor| {
            let created = create(conn, caller, actor, id, &body)?;
            Ok(Created {
                location: format!("/api/v1/assignments/{}", created.assignment.id),
                version: created.assignment.version,
                body: Assignment::from(created),
            })
        },
    )
    .await
}

/// Policy, then the body, then the rules.
fn create(
    conn: &mut DbConnection,
    caller: &Caller,
    actor: &Actor,
    indicator_id: i64,
    body: &JsonBody<NewAssignment>,
) -> Result<AssignmentView> {
    let (indicator, evaluation) = indicators::get(conn, caller, indicator_id, Access::Manage)?;
    let spec = AssignmentSpec::from(body.parse()?);
    assignments::create(conn, caller, actor, &evaluation, &indicator, spec)
}

/// Read an assignment.
///
/// One assignment with its indicator's and organization's codes, and its version as the
/// `ETag`. Anyone who reads the province's framework reads its assignments and contacts.
#[utoipa::path(
    tag = "indicators",
    params(("id" = i64, Path, description = "Assignment id")),
    responses((status = 200, description = "The assignment", body = Assignment, headers(("ETag" = String, description = "Its version"))), (status = 404, response = NotFound)),
    security(("bearer" = []))
)]
#[get("/assignments/{id}")]
pub async fn get_assignment(
    state: Data<AppState>,
    auth: Authenticated,
    id: Path<i64>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    let view = state
        .read(auth, move |conn, caller| {
            let (assignment, _, _) = assignments::get(conn, caller, id, Access::Read)?;
            assignments::view(conn, assignment)
        })
        .await?;
    let version = view.assignment.version;
    Ok(with_etag(&Assignment::from(view), version))
}

/// Change an assignment.
///
/// A JSON Merge Patch with `If-Match`, while the evaluation is a draft or active (409 once
/// closed): contacts, baseline, target, role and organization, each change audited, under the
/// rules of a new assignment. Once the organization has a report for the indicator (any status,
/// a draft too), its organization and role are fixed: a 409 naming `organization_id` or `role`.
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
    auth: Authenticated,
    id: Path<i64>,
    if_match: IfMatch,
    patch: JsonBody<AssignmentPatch>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    let view = state
        .write(auth, move |conn, caller, actor| {
            update(conn, caller, actor, id, &if_match, &patch)
        })
        .await?;
    let version = view.assignment.version;
    Ok(with_etag(&Assignment::from(view), version))
}

/// Policy, then `If-Match`, then the body, then the rules.
fn update(
    conn: &mut DbConnection,
    caller: &Caller,
    actor: &Actor,
    id: i64,
    if_match: &IfMatch,
    patch: &JsonBody<AssignmentPatch>,
) -> Result<AssignmentView> {
    let (current, indicator, evaluation) = assignments::get(conn, caller, id, Access::Manage)?;
    if_match.require(current.version)?;
    let resource = Assignment::from(assignments::view(conn, current.clone())?);
    let merged: NewAssignment =
        merge_patch::apply_to(&resource, COMPUTED, &[], &patch.merge_patch()?)?;
    let spec = AssignmentSpec::from(merged);
    assignments::update(conn, caller, actor, &evaluation, &indicator, &current, spec)
}

/// Remove an assignment.
///
/// Removes an organization's assignment while the evaluation is a draft or active (409 once
/// closed), unless the organization has reports for the indicator (409). With `If-Match`, only
/// if it is unchanged.
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
    auth: Authenticated,
    id: Path<i64>,
    if_match: IfMatch,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    state
        .write(auth, move |conn, caller, actor| {
            let (current, _, evaluation) = assignments::get(conn, caller, id, Access::Manage)?;
            if_match.check_if_present(current.version)?;
            assignments::delete(conn, actor, &evaluation, &current)
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

/// List an organization's assignments.
///
/// What an organization must report (host, co-host) and what it supervises, in the
/// evaluations the caller can read; the organization's own people read all of them (a
/// national or regional unit serving a province's evaluation included). Like the framework,
/// assignments are read by everyone in the province, agency officers included; reports stay
/// per organization.
#[utoipa::path(
    tag = "organizations",
    params(("id" = i64, Path, description = "Organization id"), OrganizationAssignmentsQuery),
    responses((status = 200, description = "One page of the organization's assignments", body = Page<Assignment>), (status = 404, response = NotFound)),
    security(("bearer" = []))
)]
#[get("/organizations/{id}/assignments")]
pub async fn list_organization_assignments(
    state: Data<AppState>,
    auth: Authenticated,
    id: Path<i64>,
    QueryParams(query): QueryParams<OrganizationAssignmentsQuery>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let rows = state
        .read(auth, move |conn, caller| {
            let organization = organizations::get(conn, caller, id, Access::Read)?;
            // A national unit may be assigned in several provinces: only what the caller may
            // see, and all of it to the unit's own people.
            let filter = AssignmentFilter {
                evaluation_ids: assignments::evaluations_readable_for(
                    conn,
                    caller,
                    organization.id,
                )?,
                organization_id: Some(organization.id),
                evaluation_id: query.evaluation_id,
                role: query.role,
                ..Default::default()
            };
            assignments::list(conn, &filter, page)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_storage(rows, Assignment::from)))
}
