//! `/api/v1/organizations`: the tree of the country, provinces, agencies and local units.

use actix_web::web::{Data, Path};
use actix_web::{delete, get, patch, post, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{timestamp, with_etag, Page};
use crate::domain::organization::OrganizationKind;
use crate::domain::organization::OrganizationSpec;
use crate::error::Error;
use crate::error::Result;
use crate::http::extract::{Authenticated, IdempotencyKey, IfMatch, JsonBody, QueryParams};
use crate::http::idempotent::{self, Created};
use crate::http::merge_patch;
use crate::http::openapi::{
    Duplicate, NotFound, PreconditionFailed, PreconditionRequired, Referenced, Unprocessable,
};
use crate::http::AppState;
use crate::policy::Caller;
use crate::storage::organizations::{self, OrganizationFilter, OrganizationRow};
use crate::storage::pagination::PageRequest;
use crate::storage::Access;

/// An organization: the country, a province, an agency, a district or a local government.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 12, "code": "YST-PEO", "name_th": "สำนักงานพลังงานจังหวัดยโสธร",
    "name_en": "Yasothon Provincial Energy Office", "kind": "agency", "parent_id": 2,
    "province_id": 2, "version": 1,
    "created_at": "2021-10-01T02:00:00.000000Z", "updated_at": "2021-10-01T02:00:00.000000Z"
}))]
pub struct Organization {
    pub id: i64,
    pub code: String,
    pub name_th: String,
    pub name_en: Option<String>,
    pub kind: OrganizationKind,
    pub parent_id: Option<i64>,
    /// The province it belongs to (itself for a province); null for national and regional units.
    pub province_id: Option<i64>,
    /// Increases with every change; the `ETag` is this number in quotes.
    pub version: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl TryFrom<OrganizationRow> for Organization {
    type Error = Error;

    fn try_from(row: OrganizationRow) -> Result<Self> {
        Ok(Self {
            kind: row.kind()?,
            id: row.id,
            code: row.code,
            name_th: row.name_th,
            name_en: row.name_en,
            parent_id: row.parent_id,
            province_id: row.province_id,
            version: row.version,
            created_at: timestamp(row.created_at),
            updated_at: timestamp(row.updated_at),
        })
    }
}

/// The writable fields of an organization.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "code": "YST-PEO", "name_th": "สำนักงานพลังงานจังหวัดยโสธร",
    "name_en": "Yasothon Provincial Energy Office", "kind": "agency", "parent_id": 2
}))]
pub struct NewOrganization {
    /// Unique. Provinces use ISO 3166-2:TH (`TH-35` is Yasothon); others 1–40 of `A–Z a–z 0–9 . _ -`.
    #[schema(example = "YST-PEO", pattern = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")]
    pub code: String,
    #[schema(example = "สำนักงานพลังงานจังหวัดยโสธร", min_length = 1, max_length = 300)]
    pub name_th: String,
    #[serde(default)]
    #[schema(example = "Yasothon Provincial Energy Office", max_length = 300)]
    pub name_en: Option<String>,
    pub kind: OrganizationKind,
    /// A province's parent is the country or none; a district's is a province.
    #[serde(default)]
    pub parent_id: Option<i64>,
}

impl From<NewOrganization> for OrganizationSpec {
    fn from(new: NewOrganization) -> Self {
        Self {
            code: new.code,
            name_th: new.name_th,
            name_en: new.name_en,
            kind: new.kind,
            parent_id: new.parent_id,
        }
    }
}

/// The server-made fields of an organization, left out of a merge patch's target.
const COMPUTED: &[&str] = &["id", "province_id", "version", "created_at", "updated_at"];

/// A JSON Merge Patch of an organization: only the fields to change; `null` clears an optional one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name_en": "Yasothon Provincial Energy Office"}))]
pub struct OrganizationPatch {
    #[schema(nullable = false, pattern = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")]
    #[serde(default, deserialize_with = "merge_patch::not_null")]
    pub code: Option<String>,
    #[schema(nullable = false, min_length = 1, max_length = 300)]
    #[serde(default, deserialize_with = "merge_patch::not_null")]
    pub name_th: Option<String>,
    #[schema(max_length = 300)]
    pub name_en: Option<String>,
    #[schema(nullable = false)]
    #[serde(default, deserialize_with = "merge_patch::not_null")]
    pub kind: Option<OrganizationKind>,
    pub parent_id: Option<i64>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrganizationListQuery {
    pub kind: Option<OrganizationKind>,
    /// Only the direct units of this organization.
    pub parent_id: Option<i64>,
    /// Substring of the code, Thai name or English name (Latin letters case-insensitive).
    #[param(example = "ยโสธร")]
    pub q: Option<String>,
    #[param(minimum = 1, maximum = 500, default = 50)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// List organizations in the caller's scope (its province and the national units), by id.
///
/// Filter by `kind`, `parent_id` (direct units only) or `q` (a substring of the code, Thai
/// name or English name, case-insensitive for Latin letters); page with `limit` and
/// `cursor`.
#[utoipa::path(
    tag = "organizations",
    params(OrganizationListQuery),
    responses((status = 200, description = "One page of organizations", body = Page<Organization>)),
    security(("bearer" = []))
)]
#[get("/organizations")]
pub async fn list_organizations(
    state: Data<AppState>,
    auth: Authenticated,
    QueryParams(query): QueryParams<OrganizationListQuery>,
) -> Result<HttpResponse> {
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let filter = OrganizationFilter {
        kind: query.kind,
        parent_id: query.parent_id,
        q: query.q,
    };
    let rows = state
        .read(auth, move |conn, caller| {
            organizations::list(conn, caller.visibility(), &filter, page)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page::try_from_storage(rows, Organization::try_from)?))
}

/// Create an organization.
///
/// Admins create anything; a province admin creates units under its province. Provinces use
/// ISO 3166-2:TH codes (`TH-35`); a code is unique (409). Accepts `Idempotency-Key`.
#[utoipa::path(
    tag = "organizations",
    request_body = NewOrganization,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe: the same key and body return the first response for 24 hours")),
    responses(
        (status = 201, description = "Created; `Location` names it and `ETag` is its version", body = Organization,
            headers(("Location" = String, description = "URL of the new organization"), ("ETag" = String, description = "Its version"))),
        (status = 409, response = Duplicate),
        (status = 422, response = Unprocessable),
    ),
    security(("bearer" = []))
)]
#[post("/organizations")]
pub async fn create_organization(
    state: Data<AppState>,
    auth: Authenticated,
    key: IdempotencyKey,
    body: JsonBody<NewOrganization>,
) -> Result<HttpResponse> {
    let bytes = body.bytes().clone();
    idempotent::create(
        &state,
        auth,
        "/api/v1/organizations",
        key,
        &bytes,
        Caller::may_manage_organizations,
        move |conn, caller, actor| {
            let value = body.parse()?;
            let row = organizations::create(conn, caller, actor, value.into())?;
            Ok(Created {
                location: format!("/api/v1/organizations/{}", row.id),
                version: row.version,
                body: Organization::try_from(row)?,
            })
        },
    )
    .await
}

/// Read one organization.
///
/// The `ETag` header carries its version for a later `PATCH`. An organization outside the
/// caller's scope is a 404.
#[utoipa::path(
    tag = "organizations",
    params(("id" = i64, Path, description = "Organization id")),
    responses(
        (status = 200, description = "The organization", body = Organization,
            headers(("ETag" = String, description = "Its version, for If-Match"))),
        (status = 404, response = NotFound),
    ),
    security(("bearer" = []))
)]
#[get("/organizations/{id}")]
pub async fn get_organization(
    state: Data<AppState>,
    auth: Authenticated,
    id: Path<i64>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    let organization = state
        .read_one(auth, move |conn, caller| {
            Organization::try_from(organizations::get(conn, caller, id, Access::Read)?)
        })
        .await?;
    Ok(with_etag(&organization, organization.version))
}

/// Change an organization with a JSON Merge Patch.
///
/// `If-Match` must carry its current `ETag` (428 without it, 412 when stale). The merged
/// organization is validated like a new one; `null` clears an optional field. Once the
/// organization has a report, its `code` is fixed (409 naming `code`).
#[utoipa::path(
    tag = "organizations",
    params(
        ("id" = i64, Path, description = "Organization id"),
        ("If-Match" = String, Header, description = "The ETag from the last read, e.g. \"3\""),
    ),
    request_body(content = OrganizationPatch, content_type = "application/merge-patch+json"),
    responses(
        (status = 200, description = "The changed organization", body = Organization,
            headers(("ETag" = String, description = "Its new version"))),
        (status = 404, response = NotFound),
        (status = 409, response = Duplicate),
        (status = 412, response = PreconditionFailed),
        (status = 422, response = Unprocessable),
        (status = 428, response = PreconditionRequired),
    ),
    security(("bearer" = []))
)]
#[patch("/organizations/{id}")]
pub async fn patch_organization(
    state: Data<AppState>,
    auth: Authenticated,
    id: Path<i64>,
    if_match: IfMatch,
    patch: JsonBody<OrganizationPatch>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    let organization = state
        .write(auth, move |conn, caller, actor| {
            let current = organizations::get(conn, caller, id, Access::Manage)?;
            if_match.require(current.version)?;
            let resource = Organization::try_from(current.clone())?;
            let merged: NewOrganization =
                merge_patch::apply_to(&resource, COMPUTED, &[], &patch.merge_patch()?)?;
            let row = organizations::update(conn, caller, actor, &current, merged.into())?;
            Organization::try_from(row)
        })
        .await?;
    Ok(with_etag(&organization, organization.version))
}

/// Delete an organization nothing refers to any more.
///
/// Reports it has filed (it is then kept with them), units under it, accounts or assignments
/// that still refer to it make it a 409 naming what refers to it. `If-Match` is checked when given.
#[utoipa::path(
    tag = "organizations",
    params(
        ("id" = i64, Path, description = "Organization id"),
        ("If-Match" = Option<String>, Header, description = "Optional: delete only if unchanged"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, response = NotFound),
        (status = 409, response = Referenced),
        (status = 412, response = PreconditionFailed),
    ),
    security(("bearer" = []))
)]
#[delete("/organizations/{id}")]
pub async fn delete_organization(
    state: Data<AppState>,
    auth: Authenticated,
    id: Path<i64>,
    if_match: IfMatch,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    state
        .write(auth, move |conn, caller, actor| {
            let current = organizations::get(conn, caller, id, Access::Manage)?;
            if_match.check_if_present(current.version)?;
            organizations::delete(conn, actor, &current)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
