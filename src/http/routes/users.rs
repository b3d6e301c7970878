//! `/api/v1/users`: local accounts. Admins manage all; a province admin those of its province.
//!
//! Policy, then preconditions, then the body, then the account rules, all in a read
//! transaction before the password is hashed: a request refused for any of them costs no hash.

use actix_web::web::{Data, Path};
use actix_web::{get, patch, post, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::{timestamp, with_etag, Page, PageParams};
use crate::auth::passwords;
use crate::domain::account::{self, AccountSpec, Role};
use crate::error::{Error, FieldError, Result};
use crate::http::extract::{Authenticated, IdempotencyKey, IfMatch, JsonBody, QueryParams};
use crate::http::idempotent::{self, Created};
use crate::http::merge_patch;
use crate::http::openapi::{
    Duplicate, NotFound, PreconditionFailed, PreconditionRequired, Unprocessable,
};
use crate::http::AppState;
use crate::policy::{Caller, Visibility};
use crate::storage::users::{self, UserChange, UserFields, UserRow, UserView};
use crate::storage::{organizations, DbConnection};

/// A local account. The password hash is never shown.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 7, "username": "somchai.peo", "display_name": "สมชาย ใจดี", "role": "agency_officer",
    "organization_id": 11, "organization_code": "YST-PEO", "disabled": false, "version": 1,
    "created_at": "2021-10-01T02:00:00.000000Z", "updated_at": "2021-10-01T02:00:00.000000Z"
}))]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub organization_id: Option<i64>,
    pub organization_code: Option<String>,
    /// A disabled account gets no new tokens, and the tokens it holds are refused.
    pub disabled: bool,
    pub version: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl TryFrom<UserView> for User {
    type Error = Error;

    fn try_from(view: UserView) -> Result<Self> {
        let row = view.user;
        Ok(Self {
            role: row.role()?,
            id: row.id,
            username: row.username,
            display_name: row.display_name,
            organization_id: row.organization_id,
            organization_code: view.organization_code,
            disabled: row.disabled,
            version: row.version,
            created_at: timestamp(row.created_at),
            updated_at: timestamp(row.updated_at),
        })
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "username": "somchai.peo", "display_name": "สมชาย ใจดี", "password": "correct horse battery staple",
    "role": "agency_officer", "organization_id": 11
}))]
pub struct NewUser {
    /// 3–64 of `A–Z a–z 0–9 . _ - @`, unique ignoring case; cannot be changed later.
    #[schema(pattern = r"^[A-Za-z0-9._@-]{3,64}$")]
    pub username: String,
    #[schema(min_length = 1, max_length = 200)]
    pub display_name: String,
    /// 12–256 characters.
    #[schema(format = Password, min_length = 12, max_length = 256)]
    pub password: String,
    /// Only an admin gives `integration`; nobody gives a role above their own.
    pub role: Role,
    /// Required for province_admin, supervisor and agency_officer; absent for national accounts.
    #[serde(default)]
    pub organization_id: Option<i64>,
    #[serde(default)]
    pub disabled: bool,
}

/// A JSON Merge Patch of an account. `password` resets the password; a new password or
/// enabling a disabled account makes the tokens issued before it invalid.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"disabled": true}))]
pub struct UserPatch {
    #[schema(min_length = 1, max_length = 200, nullable = false)]
    #[serde(default, deserialize_with = "merge_patch::not_null")]
    pub display_name: Option<String>,
    #[schema(nullable = false)]
    #[serde(default, deserialize_with = "merge_patch::not_null")]
    pub role: Option<Role>,
    pub organization_id: Option<i64>,
    #[schema(nullable = false)]
    #[serde(default, deserialize_with = "merge_patch::not_null")]
    pub disabled: Option<bool>,
    #[schema(format = Password, min_length = 12, max_length = 256)]
    pub password: Option<String>,
}

/// The writable fields of an account: the merge target of a PATCH, serialized from the
/// current account, so a field added here is kept by a PATCH that does not name it.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountChanges {
    display_name: String,
    role: Role,
    #[serde(default)]
    organization_id: Option<i64>,
    disabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    password: Option<String>,
}

impl AccountChanges {
    fn of(current: &UserRow) -> Result<Self> {
        Ok(Self {
            display_name: current.display_name.clone(),
            role: current.role()?,
            organization_id: current.organization_id,
            disabled: current.disabled,
            password: None,
        })
    }

    fn spec(&self) -> AccountSpec<'_> {
        AccountSpec {
            username: None,
            display_name: &self.display_name,
            password: self.password.as_deref(),
            role: self.role,
            has_organization: self.organization_id.is_some(),
        }
    }
}

/// The province of the account's organization; an organization the caller cannot see is
/// reported as missing (`organization_id`).
fn place_account(
    conn: &mut DbConnection,
    caller: &Caller,
    organization_id: Option<i64>,
    problems: &mut Vec<FieldError>,
) -> Result<Option<i64>> {
    let Some(id) = organization_id else {
        return Ok(None);
    };
    match organizations::find(conn, id)?.filter(|org| caller.visibility().includes(org.province_id))
    {
        Some(org) => Ok(org.province_id),
        None => {
            problems.push(FieldError::new(
                "organization_id",
                format!("organization {id} does not exist"),
            ));
            Ok(None)
        }
    }
}

/// Whether the caller's role manages accounts at all (the role-level policy check).
fn manages_accounts(caller: &Caller) -> Result<()> {
    caller.account_visibility().map(|_| ())
}

/// The account if the caller may see it; 403 for roles that manage none, 404 outside scope.
fn get_manageable(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<UserView> {
    let visibility = caller.account_visibility()?;
    users::find(conn, id)?
        .filter(|view| match visibility {
            Visibility::All => true,
            other => view.province_id.is_some() && other.includes(view.province_id),
        })
        .ok_or_else(|| Error::not_found("user", id))
}

/// A new account checked against the rules and the caller's scope; its organization's province.
fn plan_new_account(
    conn: &mut DbConnection,
    caller: &Caller,
    new: &NewUser,
) -> Result<Option<i64>> {
    let mut problems = AccountSpec {
        username: Some(&new.username),
        display_name: &new.display_name,
        password: Some(&new.password),
        role: new.role,
        has_organization: new.organization_id.is_some(),
    }
    .problems();
    let province_id = place_account(conn, caller, new.organization_id, &mut problems)?;
    Error::check(problems)?;
    caller.may_manage_account(province_id, new.role)?;
    Ok(province_id)
}

/// The account a change is about, once the caller may manage it and `If-Match` holds.
fn changeable(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    if_match: &IfMatch,
) -> Result<UserView> {
    let current = get_manageable(conn, caller, id)?;
    caller.may_manage_account(current.province_id, current.user.role()?)?;
    if_match.require(current.user.version)?;
    Ok(current)
}

/// The account after the patch, checked against the rules and the caller's scope.
fn plan_change(
    conn: &mut DbConnection,
    caller: &Caller,
    current: &UserView,
    patch: &Value,
) -> Result<(AccountChanges, Option<i64>)> {
    let writable = serde_json::to_value(AccountChanges::of(&current.user)?)
        .map_err(|e| Error::Internal(format!("serializing an account: {e}")))?;
    let merged: AccountChanges = merge_patch::apply(writable, patch)?;
    let mut problems = merged.spec().problems();
    let province_id = place_account(conn, caller, merged.organization_id, &mut problems)?;
    Error::check(problems)?;
    caller.may_manage_account(province_id, merged.role)?;
    Ok((merged, province_id))
}

/// List the accounts the caller manages.
///
/// An admin sees every account; a province admin the accounts of organizations under its
/// province; other roles get 403.
#[utoipa::path(
    tag = "users",
    params(PageParams),
    responses((status = 200, description = "One page of accounts", body = Page<User>)),
    security(("bearer" = []))
)]
#[get("/users")]
pub async fn list_users(
    state: Data<AppState>,
    auth: Authenticated,
    QueryParams(query): QueryParams<PageParams>,
) -> Result<HttpResponse> {
    let page = query.page()?;
    let page = state
        .read(auth, move |conn, caller| {
            let rows = users::list(conn, caller.account_visibility()?, page)?;
            Ok(Page {
                items: rows
                    .items
                    .into_iter()
                    .map(User::try_from)
                    .collect::<Result<_>>()?,
                next_cursor: rows.next_cursor,
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Create an account.
///
/// Nobody gives a role above their own, only an admin gives `integration`, and a province
/// admin creates accounts only in organizations under its province. The account rules
/// (username, display name, password, organization) are checked before the password is hashed.
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
    auth: Authenticated,
    key: IdempotencyKey,
    body: JsonBody<NewUser>,
) -> Result<HttpResponse> {
    let bytes = body.bytes().clone();
    let new = state
        .read(auth.clone(), move |conn, caller| {
            manages_accounts(caller)?;
            let new = body.parse()?;
            plan_new_account(conn, caller, &new)?;
            Ok(new)
        })
        .await?;
    let password_hash =
        passwords::hash(&state.metrics.password_hashes, new.password.clone()).await?;
    idempotent::create(
        &state,
        auth,
        "/api/v1/users",
        key,
        &bytes,
        manages_accounts,
        move |conn, caller, actor| {
            let province_id = plan_new_account(conn, caller, &new)?;
            let fields = UserFields {
                username: new.username,
                display_name: account::display_name(&new.display_name),
                password_hash,
                role: new.role,
                organization_id: new.organization_id,
                disabled: new.disabled,
            };
            let view = users::create(conn, actor, &fields, province_id)?;
            Ok(Created {
                location: format!("/api/v1/users/{}", view.user.id),
                version: view.user.version,
                body: User::try_from(view)?,
            })
        },
    )
    .await
}

/// Read one account.
///
/// The account's role, organization and whether it is disabled; never its password hash.
/// Outside the caller's scope it does not exist (404).
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
    auth: Authenticated,
    id: Path<i64>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    let user = state
        .read(auth, move |conn, caller| {
            User::try_from(get_manageable(conn, caller, id)?)
        })
        .await?;
    let version = user.version;
    Ok(with_etag(&user, version))
}

/// Change an account (JSON Merge Patch with `If-Match`).
///
/// Rename, change role or organization, disable or enable, reset the password. Changes take
/// effect on the account's next request; a reset password or an enabled account refuses the
/// tokens issued before.
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
    auth: Authenticated,
    id: Path<i64>,
    if_match: IfMatch,
    body: JsonBody<UserPatch>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    let precondition = if_match.clone();
    let (patch, new_password) = state
        .read(auth.clone(), move |conn, caller| {
            let current = changeable(conn, caller, id, &precondition)?;
            let patch = body.merge_patch()?;
            let (merged, _) = plan_change(conn, caller, &current, &patch)?;
            Ok((patch, merged.password))
        })
        .await?;
    let new_password_hash = match new_password {
        Some(password) => Some(passwords::hash(&state.metrics.password_hashes, password).await?),
        None => None,
    };
    let view = state
        .write(auth, move |conn, caller, actor| {
            let current = changeable(conn, caller, id, &if_match)?;
            let (merged, province_id) = plan_change(conn, caller, &current, &patch)?;
            let password_hash = match (&merged.password, new_password_hash) {
                (Some(_), Some(hash)) => hash,
                (Some(_), None) => {
                    return Err(Error::Internal("the new password was not hashed".into()))
                }
                (None, _) => current.user.password_hash.clone(),
            };
            let change = UserChange {
                password_changed: merged.password.is_some(),
                resets_credentials: account::resets_credentials(
                    current.user.disabled,
                    merged.disabled,
                    merged.password.is_some(),
                ),
                province_id,
                fields: UserFields {
                    username: current.user.username.clone(),
                    display_name: account::display_name(&merged.display_name),
                    password_hash,
                    role: merged.role,
                    organization_id: merged.organization_id,
                    disabled: merged.disabled,
                },
            };
            users::update(conn, actor, &current.user, &change)
        })
        .await?;
    let user = User::try_from(view)?;
    let version = user.version;
    Ok(with_etag(&user, version))
}
