//! Who may do what (docs/DOMAIN.md, "Who may do what"), decided here and nowhere else.
//!
//! Handlers resolve the caller once (`Caller`), then ask this module either for a
//! `Visibility` (what a list or a read may return) or for a yes/no on a write. Out of scope is
//! a 404 when the caller cannot see the thing exists and a 403 when it can.

pub use crate::domain::account::Role;
use crate::error::{Error, Result};

/// "Nobody gives a role above their own": admins above province admins above the rest.
fn rank(role: Role) -> u8 {
    match role {
        Role::Admin => 3,
        Role::ProvinceAdmin => 2,
        _ => 1,
    }
}

/// The caller's organization as the policy needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerOrganization {
    pub id: i64,
    pub code: String,
    /// The organization itself if it is a province, else its nearest province ancestor.
    pub province_id: Option<i64>,
}

/// An authenticated caller, resolved against the database.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The token's `sub`: recorded as the actor of audit events.
    pub subject: String,
    pub name: String,
    pub role: Role,
    /// None for national accounts.
    pub organization: Option<CallerOrganization>,
}

/// The part of the data a caller may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// Every province.
    All,
    /// One province's data. Organizations with no province above them (national and
    /// regional units) are reference data everyone may read.
    Province(i64),
    /// Organizations with no province only (a caller in a national or regional unit).
    NoProvince,
}

impl Visibility {
    /// Whether an entity belonging to `province_id` (None: national) is in view.
    pub fn includes(self, province_id: Option<i64>) -> bool {
        match (self, province_id) {
            (Visibility::All, _) | (_, None) => true,
            (Visibility::Province(mine), Some(theirs)) => mine == theirs,
            (Visibility::NoProvince, Some(_)) => false,
        }
    }
}

impl Caller {
    pub fn province_id(&self) -> Option<i64> {
        self.organization.as_ref().and_then(|org| org.province_id)
    }

    pub fn organization_id(&self) -> Option<i64> {
        self.organization.as_ref().map(|org| org.id)
    }

    /// What this caller reads: national callers everything, the rest their province. An agency
    /// officer too reads its province's frameworks, assignments and contacts included (who hosts
    /// what is the point of a framework); reports, unlike the framework, are per organization.
    pub fn visibility(&self) -> Visibility {
        match (&self.organization, self.role) {
            (_, Role::Admin) | (None, _) => Visibility::All,
            (Some(org), _) => match org.province_id {
                Some(province) => Visibility::Province(province),
                None => Visibility::NoProvince,
            },
        }
    }

    fn forbidden(&self, what: &str) -> Error {
        Error::Forbidden(format!("the role {} may not {what}", self.role.as_str()))
    }

    /// Whether the role manages organizations at all: checked first, so a role that may not
    /// gets a 403 before any validation of what it sent.
    pub fn may_manage_organizations(&self) -> Result<()> {
        match self.role {
            Role::Admin | Role::ProvinceAdmin => Ok(()),
            _ => Err(self.forbidden("change organizations")),
        }
    }

    /// Creating, changing or deleting an organization that belongs to `province_id`
    /// (for a new one: the province its parent puts it in), of the given kind.
    pub fn may_write_organization(&self, province_id: Option<i64>, kind: &str) -> Result<()> {
        match self.role {
            Role::Admin => Ok(()),
            Role::ProvinceAdmin => {
                let in_province = province_id.is_some() && province_id == self.province_id();
                if in_province && kind != "province" && kind != "country" {
                    Ok(())
                } else {
                    Err(Error::Forbidden(
                        "a province administrator manages only the organizations under its own province".into(),
                    ))
                }
            }
            _ => Err(self.forbidden("change organizations")),
        }
    }

    /// Reading the list of accounts: admins all, province admins their province's.
    pub fn account_visibility(&self) -> Result<Visibility> {
        match self.role {
            Role::Admin => Ok(Visibility::All),
            Role::ProvinceAdmin => Ok(self.visibility()),
            _ => Err(self.forbidden("manage accounts")),
        }
    }

    /// Creating or changing an account with `role` in an organization of `province_id` (for a
    /// change: both as it is and as it will be). Nobody gives a role above their own; only an
    /// admin creates, grants or manages `integration` (it may backfill `submitted_at`); a
    /// province admin manages the accounts of organizations under its province.
    pub fn may_manage_account(&self, province_id: Option<i64>, role: Role) -> Result<()> {
        if rank(role) > rank(self.role) {
            return Err(Error::Forbidden(format!(
                "the role {} may not give the role {}",
                self.role.as_str(),
                role.as_str()
            )));
        }
        if role == Role::Integration && self.role != Role::Admin {
            return Err(Error::Forbidden(
                "only an admin creates, grants or manages integration accounts".into(),
            ));
        }
        match self.role {
            Role::Admin => Ok(()),
            Role::ProvinceAdmin if province_id.is_some() && province_id == self.province_id() => {
                Ok(())
            }
            Role::ProvinceAdmin => Err(Error::Forbidden(
                "a province administrator manages only accounts of organizations under its province".into(),
            )),
            _ => Err(self.forbidden("manage accounts")),
        }
    }

    /// Managing a province's evaluations, frameworks and rounds: admins, or its province admin.
    /// Roles that manage none get a 403 whatever the province.
    pub fn may_manage_evaluations(&self, province_id: i64) -> Result<()> {
        self.manages_evaluations()?;
        match self.role {
            Role::Admin => Ok(()),
            Role::ProvinceAdmin if self.province_id() == Some(province_id) => Ok(()),
            Role::ProvinceAdmin => Err(Error::Forbidden(
                "a province administrator manages only its own province's evaluations".into(),
            )),
            _ => Err(self.forbidden("change evaluations")),
        }
    }

    /// Whether the role manages evaluations anywhere: checked first, so a role that may not gets
    /// a 403 before any validation of what it sent.
    pub fn manages_evaluations(&self) -> Result<()> {
        match self.role {
            Role::Admin | Role::ProvinceAdmin => Ok(()),
            _ => Err(self.forbidden("change evaluations")),
        }
    }

    /// Reading the audit trail.
    pub fn audit_visibility(&self) -> Result<Visibility> {
        match self.role {
            Role::Admin => Ok(Visibility::All),
            Role::ProvinceAdmin => Ok(self.visibility()),
            _ => Err(self.forbidden("read the audit trail")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(role: Role, province: Option<i64>) -> Caller {
        Caller {
            subject: "t".into(),
            name: "t".into(),
            role,
            organization: province.map(|p| CallerOrganization {
                id: 100,
                code: "ORG".into(),
                province_id: Some(p),
            }),
        }
    }

    #[test]
    fn national_callers_see_everything_others_their_province() {
        assert_eq!(caller(Role::Admin, Some(1)).visibility(), Visibility::All);
        assert_eq!(caller(Role::Viewer, None).visibility(), Visibility::All);
        assert_eq!(
            caller(Role::Viewer, Some(7)).visibility(),
            Visibility::Province(7)
        );
        assert!(Visibility::Province(7).includes(None));
        assert!(!Visibility::Province(7).includes(Some(8)));
        assert!(!Visibility::NoProvince.includes(Some(8)));
    }

    #[test]
    fn nobody_gives_a_role_above_their_own() {
        let province_admin = caller(Role::ProvinceAdmin, Some(7));
        assert!(province_admin
            .may_manage_account(Some(7), Role::Admin)
            .is_err());
        assert!(province_admin
            .may_manage_account(Some(7), Role::AgencyOfficer)
            .is_ok());
        assert!(province_admin
            .may_manage_account(Some(8), Role::AgencyOfficer)
            .is_err());
        assert!(caller(Role::Viewer, Some(7))
            .may_manage_account(Some(7), Role::Viewer)
            .is_err());
    }

    #[test]
    fn only_an_admin_gives_integration() {
        assert!(caller(Role::ProvinceAdmin, Some(7))
            .may_manage_account(Some(7), Role::Integration)
            .is_err());
        assert!(caller(Role::Admin, None)
            .may_manage_account(Some(7), Role::Integration)
            .is_ok());
        assert!(caller(Role::Admin, None)
            .may_manage_account(None, Role::Integration)
            .is_ok());
    }

    #[test]
    fn province_admin_writes_only_below_its_province() {
        let province_admin = caller(Role::ProvinceAdmin, Some(7));
        assert!(province_admin
            .may_write_organization(Some(7), "agency")
            .is_ok());
        assert!(province_admin
            .may_write_organization(Some(7), "province")
            .is_err());
        assert!(province_admin
            .may_write_organization(Some(8), "agency")
            .is_err());
        assert!(province_admin
            .may_write_organization(None, "agency")
            .is_err());
        assert!(caller(Role::Supervisor, Some(7))
            .may_write_organization(Some(7), "agency")
            .is_err());
    }
}
