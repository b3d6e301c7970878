//! Who may do what (docs/DOMAIN.md, "Who may do what"), decided here and nowhere else.
//!
//! Handlers resolve the caller once (`Caller`), then ask this module either for a
//! `Visibility` (what a list or a read may return) or for a yes/no on a write. Out of scope is
//! a 404 when the caller cannot see the thing exists and a 403 when it can.

pub use crate::domain::account::Role;
use crate::domain::submission::Capacity;
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

/// The reports a caller reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportScope {
    /// One organization's own reports (an agency officer).
    Organization(i64),
    /// The reports of the evaluations in view.
    Area(Visibility),
}

impl ReportScope {
    /// Whether a report of `organization_id` in an evaluation of `province_id` is in view.
    pub fn includes(self, province_id: i64, organization_id: i64) -> bool {
        match self {
            ReportScope::Organization(own) => own == organization_id,
            ReportScope::Area(visibility) => visibility.includes(Some(province_id)),
        }
    }
}

/// What the policy needs to know of one report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportFacts {
    /// Its evaluation's province.
    pub province_id: i64,
    pub organization_id: i64,
    /// The caller's organization supervises the report's indicator (a `supervisor` assignment).
    pub caller_supervises: bool,
}

impl Caller {
    /// A command-line tool or the demo acting with an admin's rights under its own name
    /// (`import`, `demo`, `generate`), as `Actor::system` signs its changes.
    pub fn system(subject: &str) -> Self {
        Self {
            subject: subject.into(),
            name: subject.into(),
            role: Role::Admin,
            organization: None,
        }
    }

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

    /// Roles that file, edit, submit and delete reports: checked first, so a role that never
    /// does gets a 403 whatever the report. Integrations report through the batch intake.
    pub fn files_reports(&self) -> Result<()> {
        match self.role {
            Role::Admin | Role::ProvinceAdmin | Role::AgencyOfficer => Ok(()),
            _ => Err(self.forbidden("file or edit reports")),
        }
    }

    /// Roles that approve and return reports: checked first, like `files_reports`.
    pub fn reviews_reports(&self) -> Result<()> {
        match self.role {
            Role::Admin | Role::ProvinceAdmin | Role::Supervisor => Ok(()),
            _ => Err(self.forbidden("review reports")),
        }
    }

    /// The reports this caller reads: an agency officer its own organization's, everyone
    /// else those of the evaluations in view.
    pub fn report_scope(&self) -> ReportScope {
        match (self.role, &self.organization) {
            (Role::AgencyOfficer, Some(org)) => ReportScope::Organization(org.id),
            _ => ReportScope::Area(self.visibility()),
        }
    }

    /// What the caller is to a report of `report.organization_id` in an evaluation of
    /// `report.province_id` (docs/DOMAIN.md, "Reports and their workflow"): an officer reports
    /// for its own organization; a supervisor reviews the indicators its organization
    /// supervises; a province admin does everything in its province, an admin everywhere.
    pub fn report_capacity(&self, report: &ReportFacts) -> Capacity {
        let in_province = self.province_id() == Some(report.province_id);
        match self.role {
            Role::Admin => Capacity {
                reports: true,
                reviews: true,
                administers: true,
            },
            Role::ProvinceAdmin if in_province => Capacity {
                reports: true,
                reviews: true,
                administers: true,
            },
            Role::AgencyOfficer => Capacity {
                reports: self.organization_id() == Some(report.organization_id),
                ..Capacity::default()
            },
            Role::Supervisor => Capacity {
                reviews: in_province && report.caller_supervises,
                ..Capacity::default()
            },
            _ => Capacity::default(),
        }
    }

    /// Filing a new report for `organization_id` in an evaluation of `province_id`.
    pub fn may_file_report(&self, province_id: i64, organization_id: i64) -> Result<()> {
        self.files_reports()?;
        let facts = ReportFacts {
            province_id,
            organization_id,
            caller_supervises: false,
        };
        if self.report_capacity(&facts).reports {
            Ok(())
        } else {
            Err(Error::Forbidden(match self.role {
                Role::AgencyOfficer => {
                    "an agency officer files reports for its own organization only".into()
                }
                _ => "a province administrator files reports only in its own province".into(),
            }))
        }
    }

    /// Roles that send batches (docs/DOMAIN.md, "Batch intake"): checked before the body is
    /// read, so a role that never imports gets a 403 whatever it sends.
    pub fn imports_batches(&self) -> Result<()> {
        match self.role {
            Role::Admin | Role::ProvinceAdmin | Role::AgencyOfficer | Role::Integration => Ok(()),
            _ => Err(self.forbidden("import batches")),
        }
    }

    /// Whether the caller's batches correct submitted reports (a new value before review): an
    /// admin, a province admin, an integration; an agency officer edits only drafts and
    /// returned reports.
    pub fn corrects_submitted_reports(&self) -> bool {
        matches!(
            self.role,
            Role::Admin | Role::ProvinceAdmin | Role::Integration
        )
    }

    /// Whether the caller backfills `submitted_at`: admins and integrations only.
    pub fn may_backfill(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Integration)
    }

    /// Whether a batch of this caller may write reports of `organization_id` into an evaluation
    /// of `province_id`: an integration for any organization of an evaluation it sees, everyone
    /// else as it files single reports (`report_capacity`).
    pub fn imports_for(&self, province_id: i64, organization_id: i64) -> bool {
        match self.role {
            Role::Integration => self.visibility().includes(Some(province_id)),
            _ => {
                let facts = ReportFacts {
                    province_id,
                    organization_id,
                    caller_supervises: false,
                };
                self.report_capacity(&facts).reports
            }
        }
    }

    /// Reading organization `organization_id`'s work list (docs/DOMAIN.md, "Work lists and
    /// the overdue list"), once it is in view: an agency officer reads only its own
    /// organization's (another one it can see is a 403); every other role reads any in scope.
    pub fn may_read_work_list(&self, organization_id: i64) -> Result<()> {
        match self.role {
            Role::AgencyOfficer if self.organization_id() != Some(organization_id) => {
                Err(Error::Forbidden(
                    "an agency officer reads only its own organization's work list".into(),
                ))
            }
            _ => Ok(()),
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
    fn reports_by_organization_review_by_supervision() {
        let report = ReportFacts {
            province_id: 7,
            organization_id: 100,
            caller_supervises: false,
        };
        let other_org = ReportFacts {
            organization_id: 101,
            ..report
        };
        let officer = caller(Role::AgencyOfficer, Some(7));
        assert!(officer.report_capacity(&report).reports);
        assert_eq!(officer.report_capacity(&other_org), Capacity::default());
        assert_eq!(officer.report_scope(), ReportScope::Organization(100));
        assert!(!officer.report_scope().includes(7, 101));
        let supervisor = caller(Role::Supervisor, Some(7));
        assert_eq!(supervisor.report_capacity(&report), Capacity::default());
        let supervised = ReportFacts {
            caller_supervises: true,
            ..other_org
        };
        assert_eq!(
            supervisor.report_capacity(&supervised),
            Capacity {
                reviews: true,
                ..Capacity::default()
            }
        );
        assert!(supervisor.report_scope().includes(7, 101));
        let province_admin = caller(Role::ProvinceAdmin, Some(7));
        assert!(province_admin.report_capacity(&other_org).administers);
        let elsewhere = ReportFacts {
            province_id: 8,
            ..report
        };
        assert_eq!(
            province_admin.report_capacity(&elsewhere),
            Capacity::default()
        );
        assert!(
            caller(Role::Admin, None)
                .report_capacity(&elsewhere)
                .administers
        );
        for role in [Role::Viewer, Role::Integration] {
            assert_eq!(
                caller(role, Some(7)).report_capacity(&report),
                Capacity::default()
            );
            assert!(caller(role, Some(7)).files_reports().is_err());
            assert!(caller(role, Some(7)).reviews_reports().is_err());
        }
        assert!(officer.may_file_report(7, 101).is_err());
        assert!(province_admin.may_file_report(8, 100).is_err());
    }

    #[test]
    fn an_officer_reads_only_its_own_work_list() {
        let officer = caller(Role::AgencyOfficer, Some(7));
        assert!(officer.may_read_work_list(100).is_ok());
        assert!(officer.may_read_work_list(101).is_err());
        for role in [
            Role::Admin,
            Role::ProvinceAdmin,
            Role::Supervisor,
            Role::Viewer,
            Role::Integration,
        ] {
            assert!(caller(role, Some(7)).may_read_work_list(101).is_ok());
        }
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
