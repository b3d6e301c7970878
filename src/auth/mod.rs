//! Authentication: bearer tokens (JWT), local passwords, and resolving a token to a `Caller`.

pub mod cache;
pub mod passwords;
pub mod tokens;

use crate::domain::account::{check_placement, token_predates_credentials, Role};
use crate::error::{Error, Result};
use crate::policy::{Caller, CallerOrganization};
use crate::storage::users::{AccountFacts, CallerFacts, OrganizationFacts};
use crate::storage::DbConnection;

pub use cache::CallerCache;
pub use tokens::{Claims, TokenService};

/// Turns verified claims into a caller (docs/DOMAIN.md, "Accounts"): its facts from the cache
/// when they are current, else in one query.
pub fn resolve_caller(
    conn: &mut DbConnection,
    callers: &CallerCache,
    claims: &Claims,
) -> Result<Caller> {
    let facts = callers.facts(conn, &claims.sub, claims.org.as_deref())?;
    caller_from(claims, facts)
}

/// A token whose `sub` names a local account speaks for that account as it is now: disabled,
/// a new role, a new organization or a reset password take effect on the next request. Other
/// tokens (an identity provider's) are taken at their claims.
pub fn caller_from(claims: &Claims, facts: CallerFacts) -> Result<Caller> {
    match facts.account {
        Some(account) => local_caller(claims, account),
        None => claimed_caller(claims, facts.claimed_organization),
    }
}

fn caller_organization(org: OrganizationFacts) -> CallerOrganization {
    CallerOrganization {
        id: org.id,
        code: org.code,
        province_id: org.province_id,
    }
}

fn local_caller(claims: &Claims, account: AccountFacts) -> Result<Caller> {
    if account.disabled {
        return Err(Error::Unauthorized("this account is disabled".into()));
    }
    if token_predates_credentials(claims.iat, account.credentials_changed_at) {
        return Err(Error::Unauthorized(
            "the token was issued before the account's password was reset or the account was enabled again; log in again".into(),
        ));
    }
    let role = account.role()?;
    let organization = account.organization.map(caller_organization);
    if let Err(rule) = check_placement(role, organization.is_some()) {
        tracing::error!(user_id = account.id, %rule, "a stored account breaks the account rules");
        return Err(Error::Internal(format!("account {}: {rule}", account.id)));
    }
    Ok(Caller {
        subject: claims.sub.clone(),
        name: account.display_name,
        role,
        organization,
    })
}

fn claimed_caller(claims: &Claims, organization: Option<OrganizationFacts>) -> Result<Caller> {
    let role = Role::parse(&claims.role).ok_or_else(|| {
        Error::Unauthorized(format!(
            "the token's role `{}` is not a known role",
            claims.role
        ))
    })?;
    let organization = match (&claims.org, organization) {
        (None, _) => None,
        (Some(_), Some(org)) => Some(caller_organization(org)),
        (Some(code), None) => {
            return Err(Error::Unauthorized(format!(
                "the token's organization `{code}` is not known to this service"
            )))
        }
    };
    if check_placement(role, organization.is_some()).is_err() {
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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDateTime;

    fn claims(role: &str, org: Option<&str>, iat: i64) -> Claims {
        Claims {
            sub: "somchai".into(),
            name: Some("from the token".into()),
            role: role.into(),
            org: org.map(str::to_owned),
            iat,
            exp: iat + 900,
        }
    }

    fn org(code: &str) -> OrganizationFacts {
        OrganizationFacts {
            id: 12,
            code: code.into(),
            province_id: Some(2),
        }
    }

    fn instant(seconds: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(seconds, 500_000)
            .expect("instant")
            .naive_utc()
    }

    fn account(role: &str, disabled: bool, changed: i64) -> AccountFacts {
        AccountFacts {
            id: 7,
            role: role.into(),
            display_name: "สมชาย".into(),
            disabled,
            credentials_changed_at: instant(changed),
            organization: Some(org("YST-PEO")),
        }
    }

    fn local(account: AccountFacts) -> CallerFacts {
        CallerFacts {
            account: Some(account),
            claimed_organization: None,
        }
    }

    #[test]
    fn a_local_account_overrides_its_tokens_claims() {
        let caller = caller_from(
            &claims("admin", None, 1_000),
            local(account("viewer", false, 900)),
        )
        .expect("caller");
        assert_eq!(caller.role, Role::Viewer);
        assert_eq!(caller.name, "สมชาย");
        assert_eq!(
            caller.organization.map(|o| o.code).as_deref(),
            Some("YST-PEO")
        );
    }

    #[test]
    fn disabled_accounts_and_older_tokens_are_refused() {
        let token = claims("agency_officer", Some("YST-PEO"), 1_000);
        assert!(matches!(
            caller_from(&token, local(account("agency_officer", true, 900))),
            Err(Error::Unauthorized(_))
        ));
        assert!(matches!(
            caller_from(&token, local(account("agency_officer", false, 1_001))),
            Err(Error::Unauthorized(_))
        ));
        // Issued in the same second as the change: it may be older, so refused; the second
        // before the change's is fine.
        assert!(matches!(
            caller_from(&token, local(account("agency_officer", false, 1_000))),
            Err(Error::Unauthorized(_))
        ));
        assert!(caller_from(&token, local(account("agency_officer", false, 999))).is_ok());
    }

    #[test]
    fn an_unreadable_stored_account_is_an_internal_error() {
        let token = claims("viewer", None, 1_000);
        assert!(matches!(
            caller_from(&token, local(account("superuser", false, 900))),
            Err(Error::Internal(_))
        ));
        let mut homeless = account("agency_officer", false, 900);
        homeless.organization = None;
        assert!(matches!(
            caller_from(&token, local(homeless)),
            Err(Error::Internal(_))
        ));
    }

    #[test]
    fn other_tokens_are_taken_at_their_claims() {
        let facts = |claimed: Option<OrganizationFacts>| CallerFacts {
            account: None,
            claimed_organization: claimed,
        };
        let caller = caller_from(
            &claims("viewer", Some("TH-35"), 1_000),
            facts(Some(org("TH-35"))),
        )
        .expect("caller");
        assert_eq!(caller.name, "from the token");
        assert_eq!(caller.role, Role::Viewer);
        for (token, claimed) in [
            (claims("superuser", None, 1_000), None),
            (claims("viewer", Some("NOPE"), 1_000), None),
            (claims("province_admin", None, 1_000), None),
        ] {
            assert!(matches!(
                caller_from(&token, facts(claimed)),
                Err(Error::Unauthorized(_))
            ));
        }
    }
}
