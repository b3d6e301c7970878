//! Authentication: bearer tokens (JWT), local passwords, and resolving a token to a `Caller`.

pub mod passwords;
pub mod tokens;

use crate::error::{Error, Result};
use crate::policy::{Caller, CallerOrganization, Role};
use crate::storage::{organizations, DbConnection};

pub use tokens::{Claims, TokenService};

/// Turns verified claims into a caller, looking the `org` code up once per request.
pub fn resolve_caller(conn: &mut DbConnection, claims: &Claims) -> Result<Caller> {
    let role = Role::parse(&claims.role).ok_or_else(|| {
        Error::Unauthorized(format!(
            "the token's role `{}` is not a known role",
            claims.role
        ))
    })?;
    let organization = match claims.org.as_deref() {
        None => None,
        Some(code) => {
            let org = organizations::find_by_code(conn, code)?.ok_or_else(|| {
                Error::Unauthorized(format!(
                    "the token's organization `{code}` is not known to this service"
                ))
            })?;
            Some(CallerOrganization {
                id: org.id,
                code: org.code,
                province_id: org.province_id,
            })
        }
    };
    if role.needs_organization() && organization.is_none() {
        return Err(Error::Unauthorized(format!(
            "a token with the role {} must carry an `org` claim",
            role.as_str()
        )));
    }
    Ok(Caller {
        subject: claims.sub.clone(),
        name: claims.name.clone().unwrap_or_else(|| claims.sub.clone()),
        role,
        organization,
    })
}
