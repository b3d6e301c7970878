//! `/api/v1/evaluations/{id}/components` and `/api/v1/components/{id}`: an evaluation's
//! weighted components.

use actix_web::web::{Data, Path};
use actix_web::{delete, get, patch, post, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{timestamp, with_etag, Page, PageParams};
use crate::domain::component::ComponentFields;
use crate::error::{Error, Result};
use crate::http::extract::{Authenticated, IdempotencyKey, IfMatch, JsonBody, QueryParams};
use crate::http::idempotent::{self, Created};
use crate::http::merge_patch;
use crate::http::openapi::{
    Duplicate, InvalidState, NotFound, PreconditionFailed, PreconditionRequired, Referenced,
    Unprocessable,
};
use crate::http::AppState;
use crate::policy::Caller;
use crate::storage::components::{self, ComponentRow};
use crate::storage::{evaluations, Access};

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
    /// Unique within the evaluation, ignoring case.
    #[schema(pattern = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")]
    pub code: String,
    #[schema(min_length = 1, max_length = 300)]
    pub name: String,
    /// Percent of the overall score (0 < weight ≤ 100); an evaluation's components sum to 100
    /// to be activated.
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

/// A JSON Merge Patch of a component. While the evaluation is active the code is frozen; the
/// name and the weight may change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"weight": 60.0}))]
pub struct ComponentPatch {
    #[schema(nullable = false, pattern = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")]
    #[serde(default, deserialize_with = "merge_patch::not_null")]
    pub code: Option<String>,
    #[schema(nullable = false, min_length = 1, max_length = 300)]
    #[serde(default, deserialize_with = "merge_patch::not_null")]
    pub name: Option<String>,
    #[schema(nullable = false, exclusive_minimum = 0.0, maximum = 100.0)]
    #[serde(default, deserialize_with = "merge_patch::not_null")]
    pub weight: Option<f64>,
}

/// List an evaluation's components.
///
/// The components of one evaluation the caller can read, ordered by id.
#[utoipa::path(
    tag = "evaluations",
    params(("id" = i64, Path, description = "Evaluation id"), PageParams),
    responses((status = 200, description = "One page of components", body = Page<Component>), (status = 404, response = NotFound)),
    security(("bearer" = []))
)]
#[get("/evaluations/{id}/components")]
pub async fn list_components(
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
            components::list(conn, evaluation.id, page)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_storage(rows, Component::from)))
}

/// Add a component to a draft evaluation.
///
/// Components are added only while the evaluation is a draft (409 once active: its structure
/// is frozen). The code is unique within the evaluation ignoring case (409 naming `code`).
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
    auth: Authenticated,
    key: IdempotencyKey,
    id: Path<i64>,
    body: JsonBody<NewComponent>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    let bytes = body.bytes().clone();
    idempotent::create(
        &state,
        auth,
        &format!("/api/v1/evaluations/{id}/components"),
        key,
        &bytes,
        Caller::manages_evaluations,
        move |conn, caller, actor| {
            let evaluation = evaluations::get(conn, caller, id, Access::Manage)?;
            let new = body.parse()?;
            let row = components::create(conn, caller, actor, &evaluation, new.into())?;
            Ok(Created {
                location: format!("/api/v1/components/{}", row.id),
                version: row.version,
                body: Component::from(row),
            })
        },
    )
    .await
}

/// Read a component.
///
/// One component of an evaluation the caller can read, with its version as the `ETag`.
#[utoipa::path(
    tag = "evaluations",
    params(("id" = i64, Path, description = "Component id")),
    responses((status = 200, description = "The component", body = Component, headers(("ETag" = String, description = "Its version"))), (status = 404, response = NotFound)),
    security(("bearer" = []))
)]
#[get("/components/{id}")]
pub async fn get_component(
    state: Data<AppState>,
    auth: Authenticated,
    id: Path<i64>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    let (row, _) = state
        .read(auth, move |conn, caller| {
            components::get(conn, caller, id, Access::Read)
        })
        .await?;
    let version = row.version;
    Ok(with_etag(&Component::from(row), version))
}

/// Change a component.
///
/// A JSON Merge Patch with `If-Match`. While the evaluation is active the weight may be
/// renegotiated (audited; the weights need not sum to 100 between two changes, and the
/// evaluation's `component_weight_total` shows their sum) and the name corrected; the code
/// is frozen (409). A closed evaluation is read-only (409).
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
    auth: Authenticated,
    id: Path<i64>,
    if_match: IfMatch,
    patch: JsonBody<ComponentPatch>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    let row = state
        .write(auth, move |conn, caller, actor| {
            let (current, evaluation) = components::get(conn, caller, id, Access::Manage)?;
            if_match.require(current.version)?;
            let target = serde_json::to_value(current.fields())
                .map_err(|e| Error::Internal(e.to_string()))?;
            let merged: ComponentFields = merge_patch::apply(target, &patch.merge_patch()?)?;
            components::update(conn, caller, actor, &evaluation, &current, merged)
        })
        .await?;
    let version = row.version;
    Ok(with_etag(&Component::from(row), version))
}

/// Delete a component.
///
/// Deletes a component of a draft evaluation that has no indicators (409 otherwise: once
/// active the structure is frozen). `If-Match` is checked when given.
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
    auth: Authenticated,
    id: Path<i64>,
    if_match: IfMatch,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    state
        .write(auth, move |conn, caller, actor| {
            let (current, evaluation) = components::get(conn, caller, id, Access::Manage)?;
            if_match.check_if_present(current.version)?;
            components::delete(conn, caller, actor, &evaluation, &current)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
