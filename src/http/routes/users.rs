//! `/api/v1/users`: local accounts. Admins manage all; a province admin those of its province.

use actix_web::web::{Data, Path};
use actix_web::{get, patch, post, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::ToSchema;

use super::{timestamp, with_etag, Page, PageParams};
use crate::auth::{passwords, resolve_caller};
use crate::error::{Error, FieldError, Result};
use crate::http::extract::{
    Authenticated, IdempotencyKey, IfMatch, JsonBody, QueryParams, RequestId,
};
use crate::http::idempotent::{self, Created};
use crate::http::merge_patch;
use crate::http::openapi::{
    Duplicate, NotFound, PreconditionFailed, PreconditionRequired, Unprocessable,
};
use crate::http::AppState;
use crate::policy::{Caller, Role};
use crate::storage::audit::Actor;
use crate::storage::users::{self, UserFields, UserView};
use crate::storage::{organizations, DbConnection};

/// A local account. The password hash is never shown.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 7, "username": "somchai.peo", "display_name": "สมชาย ใจดี", "role": "agency_officer",
    "organization_id": 12, "organization_code": "YST-PEO", "disabled": false, "version": 1,
    "created_at": "2021-10-01T02:00:00.000000Z", "updated_at": "2021-10-01T02:00:00.000000Z"
}))]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub organization_id: Option<i64>,
    pub organization_code: Option<String>,
    /// A disabled account gets no new tokens; tokens already issued expire within their lifetime.
    pub disabled: bool,
    pub version: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl From<UserView> for User {
    fn from(view: UserView) -> Self {
        let row = view.user;
        Self {
            role: row.role(),
            id: row.id,
            username: row.username,
            display_name: row.display_name,
            organization_id: row.organization_id,
            organization_code: view.organization_code,
            disabled: row.disabled,
            version: row.version,
            created_at: timestamp(row.created_at),
            updated_at: timestamp(row.updated_at),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "username": "somchai.peo", "display_name": "สมชาย ใจดี", "password": "correct horse battery staple",
    "role": "agency_officer", "organization_id": 12
}))]
pub struct NewUser {
    /// 3–64 of `A–Z a–z 0–9 . _ - @`; cannot be changed later.
    #[schema(pattern = r"^[A-Za-z0-9._@-]{3,64}$")]
    pub username: String,
    #[schema(min_length = 1, max_length = 200)]
    pub display_name: String,
    /// At least 12 characters.
    #[schema(format = Password, min_length = 12, max_length = 256)]
    pub password: String,
    pub role: Role,
    /// Required for province_admin, supervisor and agency_officer; absent for national accounts.
    #[serde(default)]
    pub organization_id: Option<i64>,
    #[serde(default)]
    pub disabled: bool,
}

/// A JSON Merge Patch of an account. `password` resets the password.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"disabled": true}))]
pub struct UserPatch {
    pub display_name: Option<String>,
    pub role: Option<Role>,
    pub organization_id: Option<i64>,
    pub disabled: Option<bool>,
    #[schema(format = Password)]
    pub password: Option<String>,
}

/// The account after merging a patch: what is validated and stored.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MergedUser {
    display_name: String,
    role: Role,
    #[serde(default)]
    organization_id: Option<i64>,
    disabled: bool,
    #[serde(default)]
    password: Option<String>,
}

fn check_username(username: &str) -> Option<FieldError> {
    let ok = (3..=64).contains(&username.len())
        && username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    (!ok).then(|| {
        FieldError::new(
            "username",
            "must be 3–64 of A–Z, a–z, 0–9, '.', '_', '-', '@'",
        )
    })
}

/// Checks the account's organization for its role and returns that organization's province.
/// An organization the caller cannot see is reported as missing.
fn place_account(
    conn: &mut DbConnection,
    caller: &Caller,
    role: Role,
    organization_id: Option<i64>,
    errors: &mut Vec<FieldError>,
) -> Result<Option<i64>> {
    match organization_id {
        None => {
            if role.needs_organization() {
                errors.push(FieldError::new(
                    "organization_id",
                    format!("the role {} needs an organization", role.as_str()),
                ));
            }
            Ok(None)
        }
        Some(id) => match organizations::find(conn, id)?
            .filter(|org| caller.visibility().includes(org.province_id))
        {
            Some(org) => Ok(org.province_id),
            None => {
                errors.push(FieldError::new(
                    "organization_id",
                    format!("organization {id} does not exist"),
                ));
                Ok(None)
            }
        },
    }
}

fn check_display_name(name: &str, errors: &mut Vec<FieldError>) {
    let length = name.trim().chars().count();
    if length == 0 || length > 200 {
        errors.push(FieldError::new("display_name", "must be 1–200 characters"));
    }
}

/// The account if the caller may manage it; 403 for roles that manage none, 404 outside scope.
fn get_manageable(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<UserView> {
    let visibility = caller.account_visibility()?;
    users::find(conn, id)?
        .filter(|view| match visibility {
            crate::policy::Visibility::All => true,
            other => view.province_id.is_some() && other.includes(view.province_id),
        })
        .ok_or_else(|| Error::not_found("user", id))
}

/// Hashes an acceptable password on a blocking thread before any transaction starts, so the
/// deliberately slow hash never holds a connection or SQLite's write lock. A weak or absent
/// password gives None: the validation inside the transaction reports it with the rest.
async fn hash_outside_transaction(password: Option<&str>) -> Result<Option<String>> {
    match password {
        Some(password) if passwords::check_strength("password", password).is_none() => {
            let password = password.to_owned();
            actix_web::web::block(move || passwords::hash(&password))
                .await
                .map_err(|e| Error::Internal(format!("hashing a password: {e}")))?
                .map(Some)
        }
        _ => Ok(None),
    }
}

/// List the accounts the caller manages.
///
/// Admins see every account, province admins the accounts of their province; other roles get
/// 403. Password hashes are never shown; page with `limit` and `cursor`.
#[utoipa::path(
    tag = "users",
    params(PageParams),
    responses((status = 200, description = "One page of accounts", body = Page<User>)),
    security(("bearer" = []))
)]
#[get("/users")]
pub async fn list_users(
    state: Data<AppState>,
    Authenticated(claims): Authenticated,
    QueryParams(query): QueryParams<PageParams>,
) -> Result<HttpResponse> {
    let page = query.page()?;
    let rows = state
        .db
        .read(move |conn| {
            let caller = resolve_caller(conn, &claims)?;
            users::list(conn, caller.account_visibility()?, page)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_storage(rows, User::from)))
}

/// Create an account.
///
/// Nobody gives a role above their own; a province admin only in its province. The username
/// is unique (409) and cannot be changed later; the password has at least 12 characters.
/// Accepts `Idempotency-Key`.
#[utoipa::path(
    tag = "users",
    request_body = NewUser,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses(
        (status = 201, description = "Created", body = User,
            headers(("Location" = String, description = "URL of the account"), ("ETag" = String, description = "Its version"))),
        (status = 409, response = Duplicate),
        (status = 422, response = Unprocessable),
    ),
    security(("bearer" = []))
)]
#[post("/users")]
pub async fn create_user(
    state: Data<AppState>,
    Authenticated(claims): Authenticated,
    request_id: RequestId,
    key: IdempotencyKey,
    body: JsonBody<NewUser>,
) -> Result<HttpResponse> {
    let subject = claims.sub.clone();
    let JsonBody { value: new, bytes } = body;
    let password_hash = hash_outside_transaction(Some(&new.password)).await?;
    idempotent::create(
        &state,
        &subject,
        "/api/v1/users",
        key,
        &bytes,
        move |conn| {
            let caller = resolve_caller(conn, &claims)?;
            caller.account_visibility()?;
            let mut errors: Vec<FieldError> = check_username(&new.username).into_iter().collect();
            check_display_name(&new.display_name, &mut errors);
            errors.extend(passwords::check_strength("password", &new.password));
            let province_id =
                place_account(conn, &caller, new.role, new.organization_id, &mut errors)?;
            Error::check(errors)?;
            caller.may_manage_account(province_id, new.role)?;
            let fields = UserFields {
                username: new.username,
                display_name: new.display_name.trim().to_owned(),
                password_hash: password_hash
                    .ok_or_else(|| Error::Internal("the password was not hashed".into()))?,
                role: new.role,
                organization_id: new.organization_id,
                disabled: new.disabled,
            };
            let view = users::create(
                conn,
                &Actor::of(&caller, Some(request_id.0)),
                &fields,
                province_id,
            )?;
            Ok(Created {
                location: format!("/api/v1/users/{}", view.user.id),
                version: view.user.version,
                body: User::from(view),
            })
        },
    )
    .await
}

/// Read one account.
///
/// Its `ETag` is the version to send in `If-Match` with a later `PATCH`. An account the
/// caller does not manage is a 404 or 403.
#[utoipa::path(
    tag = "users",
    params(("id" = i64, Path, description = "User id")),
    responses(
        (status = 200, description = "The account", body = User, headers(("ETag" = String, description = "Its version"))),
        (status = 404, response = NotFound),
    ),
    security(("bearer" = []))
)]
#[get("/users/{id}")]
pub async fn get_user(
    state: Data<AppState>,
    Authenticated(claims): Authenticated,
    id: Path<i64>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    let view = state
        .db
        .read(move |conn| {
            let caller = resolve_caller(conn, &claims)?;
            get_manageable(conn, &caller, id)
        })
        .await?;
    let version = view.user.version;
    Ok(with_etag(&User::from(view), version))
}

/// Change an account (JSON Merge Patch with `If-Match`).
///
/// Rename, change role or organization, disable or enable, reset the password. A disabled
/// account gets no new tokens; tokens already issued expire within their lifetime.
#[utoipa::path(
    tag = "users",
    params(
        ("id" = i64, Path, description = "User id"),
        ("If-Match" = String, Header, description = "The ETag from the last read"),
    ),
    request_body(content = UserPatch, content_type = "application/merge-patch+json"),
    responses(
        (status = 200, description = "The changed account", body = User, headers(("ETag" = String, description = "Its new version"))),
        (status = 404, response = NotFound),
        (status = 412, response = PreconditionFailed),
        (status = 422, response = Unprocessable),
        (status = 428, response = PreconditionRequired),
    ),
    security(("bearer" = []))
)]
#[patch("/users/{id}")]
pub async fn patch_user(
    state: Data<AppState>,
    Authenticated(claims): Authenticated,
    request_id: RequestId,
    id: Path<i64>,
    if_match: IfMatch,
    patch: JsonBody<Value>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    let new_password_hash =
        hash_outside_transaction(patch.value.get("password").and_then(Value::as_str)).await?;
    let view = state
        .db
        .write(move |conn| {
            let caller = resolve_caller(conn, &claims)?;
            let current = get_manageable(conn, &caller, id)?;
            caller.may_manage_account(current.province_id, current.user.role())?;
            if_match.require(current.user.version)?;
            let writable = json!({
                "display_name": current.user.display_name,
                "role": current.user.role,
                "organization_id": current.user.organization_id,
                "disabled": current.user.disabled,
            });
            let merged: MergedUser = merge_patch::apply(writable, &patch.value)?;
            let mut errors = Vec::new();
            check_display_name(&merged.display_name, &mut errors);
            if let Some(password) = &merged.password {
                errors.extend(passwords::check_strength("password", password));
            }
            let province_id = place_account(
                conn,
                &caller,
                merged.role,
                merged.organization_id,
                &mut errors,
            )?;
            Error::check(errors)?;
            caller.may_manage_account(province_id, merged.role)?;
            let password_hash = match (&merged.password, new_password_hash) {
                (Some(_), Some(hash)) => hash,
                (Some(_), None) => {
                    return Err(Error::Internal("the new password was not hashed".into()))
                }
                (None, _) => current.user.password_hash.clone(),
            };
            let fields = UserFields {
                username: current.user.username.clone(),
                display_name: merged.display_name.trim().to_owned(),
                password_hash,
                role: merged.role,
                organization_id: merged.organization_id,
                disabled: merged.disabled,
            };
            users::update(
                conn,
                &Actor::of(&caller, Some(request_id.0)),
                &current.user,
                &fields,
                merged.password.is_some(),
                province_id,
            )
        })
        .await?;
    let version = view.user.version;
    Ok(with_etag(&User::from(view), version))
}
