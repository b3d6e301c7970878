//! `POST /api/v1/auth/token` (local accounts) and `GET /api/v1/me`.

use actix_web::web::Data;
use actix_web::{get, post, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{passwords, resolve_caller};
use crate::domain::organization::OrganizationKind;
use crate::error::{Error, Result};
use crate::http::extract::{Authenticated, JsonBody};
use crate::http::openapi::{TooManyRequests, Unauthorized};
use crate::http::AppState;
use crate::policy::Role;
use crate::storage::{organizations, users};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"username": "yasothon.admin", "password": "correct horse battery staple"}))]
pub struct TokenRequest {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"access_token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ5YXNvdGhvbi5hZG1pbiJ9.c2lnbmF0dXJl", "token_type": "Bearer", "expires_in": 900}))]
pub struct TokenResponse {
    pub access_token: String,
    /// Always `Bearer`.
    #[schema(example = "Bearer")]
    pub token_type: String,
    /// Seconds until the token expires.
    #[schema(example = 900)]
    pub expires_in: u64,
}

/// Exchange a local account's username and password for a short-lived bearer token.
///
/// Five wrong passwords within 15 minutes lock the username for 15 minutes (counted in the
/// database, so the limit holds across instances); then 429 with `Retry-After`. A disabled
/// account gets no token. Send the `access_token` as `Authorization: Bearer <token>`; it expires
/// after `expires_in` seconds. No token is needed to call this operation.
#[utoipa::path(
    tag = "auth",
    request_body = TokenRequest,
    responses(
        (status = 200, description = "A token for the `Authorization: Bearer` header", body = TokenResponse),
        (status = 401, response = Unauthorized),
        (status = 429, response = TooManyRequests),
    )
)]
#[post("/auth/token")]
pub async fn issue_token(
    state: Data<AppState>,
    body: JsonBody<TokenRequest>,
) -> Result<HttpResponse> {
    let TokenRequest { username, password } = body.value;
    // No account has such a name or password: refuse before spending a hash on it.
    if username.len() > 64 || password.chars().count() > passwords::MAX_PASSWORD_CHARS {
        return Err(Error::Unauthorized("wrong username or password".into()));
    }
    let retry_after = |until: chrono::NaiveDateTime| Error::TooManyRequests {
        retry_after_seconds: (until - crate::storage::now()).num_seconds().max(1) as u64,
    };
    // 1. The lock and the account (with its organization's code), then the connection goes back.
    let lookup_name = username.clone();
    let (lock, account) = state
        .db
        .read(move |conn| {
            let lock = users::locked_until(conn, &lookup_name)?;
            let account = match users::find_by_username(conn, &lookup_name)? {
                Some(user) => {
                    let code = match user.organization_id {
                        Some(id) => organizations::find(conn, id)?.map(|org| org.code),
                        None => None,
                    };
                    Some((user, code))
                }
                None => None,
            };
            Ok((lock, account))
        })
        .await?;
    if let Some(until) = lock {
        return Err(retry_after(until));
    }
    // 2. The deliberately slow hash check, holding no database connection. It runs even for an
    // unknown user, so timing tells nothing.
    let stored_hash = account.as_ref().map_or_else(
        || passwords::dummy_hash().to_owned(),
        |(user, _)| user.password_hash.clone(),
    );
    let password_ok = actix_web::web::block(move || passwords::verify(&password, &stored_hash))
        .await
        .map_err(|e| Error::Internal(format!("password check failed: {e}")))?;
    // 3. Count the failure (maybe locking the username) or clear the count.
    let (user, organization_code) = match account {
        Some(account) if password_ok => {
            let name = username.clone();
            state
                .db
                .write(move |conn| users::clear_failures(conn, &name))
                .await?;
            account
        }
        _ => {
            let locked = state
                .db
                .write(move |conn| users::record_failure(conn, &username))
                .await?;
            return Err(match locked {
                Some(until) => retry_after(until),
                None => Error::Unauthorized("wrong username or password".into()),
            });
        }
    };
    if user.disabled {
        return Err(Error::Unauthorized("this account is disabled".into()));
    }
    let access_token = state.tokens.issue(
        &user.username,
        &user.display_name,
        &user.role,
        organization_code.as_deref(),
    )?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(TokenResponse {
            access_token,
            token_type: "Bearer".into(),
            expires_in: state.tokens.lifetime().as_secs(),
        }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrganizationSummary {
    pub id: i64,
    #[schema(example = "YST-PEO")]
    pub code: String,
    #[schema(example = "สำนักงานพลังงานจังหวัดยโสธร")]
    pub name_th: String,
    pub kind: OrganizationKind,
}

/// The caller as the service sees it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "subject": "somchai.peo", "name": "สมชาย ใจดี", "role": "agency_officer",
    "organization": {"id": 12, "code": "YST-PEO", "name_th": "สำนักงานพลังงานจังหวัดยโสธร", "kind": "agency"},
    "province": {"id": 2, "code": "TH-35", "name_th": "จังหวัดยโสธร", "kind": "province"}
}))]
pub struct Me {
    /// The token's `sub`.
    pub subject: String,
    pub name: String,
    pub role: Role,
    /// Absent for national accounts.
    pub organization: Option<OrganizationSummary>,
    /// The province the caller's scope is, if any.
    pub province: Option<OrganizationSummary>,
}

/// The caller's identity, role and organization.
///
/// Resolved from the bearer token and the database: the subject and name, the role, the
/// caller's organization and the province it belongs to (absent for national accounts). A
/// front-end reads it once after login to decide what to show.
#[utoipa::path(
    tag = "auth",
    responses((status = 200, description = "The caller", body = Me)),
    security(("bearer" = []))
)]
#[get("/me")]
pub async fn me(
    state: Data<AppState>,
    Authenticated(claims): Authenticated,
) -> Result<HttpResponse> {
    let me = state
        .db
        .read(move |conn| {
            let caller = resolve_caller(conn, &claims)?;
            let mut summary = |id: Option<i64>| -> Result<Option<OrganizationSummary>> {
                Ok(match id {
                    Some(id) => organizations::find(conn, id)?.map(|row| OrganizationSummary {
                        kind: row.kind(),
                        id: row.id,
                        code: row.code,
                        name_th: row.name_th,
                    }),
                    None => None,
                })
            };
            let organization = summary(caller.organization_id())?;
            let province = summary(caller.province_id())?;
            Ok(Me {
                subject: caller.subject,
                name: caller.name,
                role: caller.role,
                organization,
                province,
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(me))
}
