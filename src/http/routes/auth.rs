//! `POST /api/v1/auth/token` (local accounts) and `GET /api/v1/me`.

use actix_web::web::Data;
use actix_web::{get, post, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::passwords;
use crate::domain::account::{self, LoginThrottle};
use crate::domain::organization::OrganizationKind;
use crate::error::{Error, Result};
use crate::http::extract::{Authenticated, JsonBody};
use crate::http::openapi::{TooManyRequests, Unauthorized};
use crate::http::AppState;
use crate::policy::Role;
use crate::storage::login_throttle::{self, LoginCheck};
use crate::storage::organizations;
use crate::storage::users;

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
/// A username (ignoring case) gets at most five password checks per 15 minutes, counted in
/// the database before any check runs, so parallel attempts and several instances share the
/// limit; the fifth wrong password locks the username for 15 minutes (429 with
/// `Retry-After`), the right one resets the count. A username or password no account can
/// have (outside the username pattern, a password under 12 or over 256 characters) is a 401
/// without a check.
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
    let TokenRequest { username, password } = body.parse()?;
    let wrong = || Error::Unauthorized("wrong username or password".into());
    // No account has such a name or password: refused before a check is counted or a hash spent.
    if !account::could_be_credentials(&username, &password) {
        return Err(wrong());
    }
    let throttle = LoginThrottle::STANDARD;
    // 1. Reserve a check (one conditional statement), then find the account ignoring case.
    let name = username.clone();
    let (check, account) = state
        .db
        .run(
            move |conn| match login_throttle::reserve_check(conn, &name, &throttle)? {
                LoginCheck::Granted => {
                    Ok((LoginCheck::Granted, users::find_by_username(conn, &name)?))
                }
                refused => Ok((refused, None)),
            },
        )
        .await?;
    if let LoginCheck::Refused {
        retry_after_seconds,
    } = check
    {
        return Err(Error::TooManyRequests {
            retry_after_seconds,
        });
    }
    // 2. The deliberately slow check, holding no connection, queued for a hashing thread. It runs
    // against a dummy hash for an unknown username, so timing tells nothing.
    let stored_hash = account.as_ref().map_or_else(
        || passwords::DUMMY_HASH.to_owned(),
        |view| view.user.password_hash.clone(),
    );
    let password_ok =
        passwords::verify(&state.metrics.password_hashes, password, stored_hash).await?;
    // 3. Clear the count, or lock the username at the last check of its window.
    let view = match account {
        Some(view) if password_ok => {
            state
                .db
                .run(move |conn| login_throttle::clear(conn, &username))
                .await?;
            view
        }
        _ => {
            let locked = state
                .db
                .run(move |conn| login_throttle::record_failed_check(conn, &username, &throttle))
                .await?;
            return Err(match locked {
                Some(_) => Error::TooManyRequests {
                    retry_after_seconds: throttle.lock.num_seconds().unsigned_abs(),
                },
                None => wrong(),
            });
        }
    };
    if view.user.disabled {
        return Err(Error::Unauthorized("this account is disabled".into()));
    }
    let access_token = state.tokens.issue_from(
        &view.user.username,
        &view.user.display_name,
        view.user.role()?.as_str(),
        view.organization_code.as_deref(),
        account::first_issue_second(view.user.credentials_changed_at),
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
/// For a local account, as the account is now (its role, organization and name); for a token
/// of an identity provider, as its claims say. The province is the scope of province-bound roles.
#[utoipa::path(
    tag = "auth",
    responses((status = 200, description = "The caller", body = Me)),
    security(("bearer" = []))
)]
#[get("/me")]
pub async fn me(state: Data<AppState>, auth: Authenticated) -> Result<HttpResponse> {
    let me = state
        .read(auth, move |conn, caller| {
            let mut summary = |id: Option<i64>| -> Result<Option<OrganizationSummary>> {
                let Some(row) = id.map(|id| organizations::find(conn, id)).transpose()? else {
                    return Ok(None);
                };
                row.map(|row| -> Result<OrganizationSummary> {
                    Ok(OrganizationSummary {
                        kind: row.kind()?,
                        id: row.id,
                        code: row.code,
                        name_th: row.name_th,
                    })
                })
                .transpose()
            };
            let organization = summary(caller.organization_id())?;
            let province = summary(caller.province_id())?;
            Ok(Me {
                subject: caller.subject.clone(),
                name: caller.name.clone(),
                role: caller.role,
                organization,
                province,
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(me))
}
