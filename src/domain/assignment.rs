//! Assignments: which organization hosts, co-hosts or supervises an indicator, the checks an
//! assignment passes, and the baselines scoring reads (docs/DOMAIN.md, "Components,
//! indicators and assignments").
//!
//! **One assignment per (indicator, organization).** An organization has one role for an
//! indicator (host, co_host or supervisor), so its one report per (indicator, organization,
//! period) is counted once in expected, received and sums. A second assignment of the same
//! organization to the same indicator is a 409 naming `organization_id`; change the existing
//! assignment's role instead.

use std::collections::HashSet;

use serde::Serialize;

use super::framework::{check_figure, check_optional_text, AssignmentRole, EvaluationStatus};
use super::indicator::{check_baseline, closed};
use super::scoring::ScoreBasis;
use crate::error::{ConflictKind, Error, FieldError, Result};

/// An assignment's own settings: everything a create sends and a patch may change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AssignmentSpec {
    pub organization_id: i64,
    pub role: AssignmentRole,
    pub contact_name: Option<String>,
    pub contact_position: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
    /// This organization's per-period baseline; scoring falls back to the indicator's.
    pub baseline: Option<f64>,
    /// This organization's own target, shown beside its value; scoring uses the indicator's.
    pub target: Option<f64>,
}

impl AssignmentSpec {
    /// Every broken field rule at once, with paths under `prefix`.
    pub fn problems(&self, prefix: &str) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let field = |name: &str| format!("{prefix}{name}");
        for (name, value, max) in [
            ("contact_name", &self.contact_name, 200),
            ("contact_position", &self.contact_position, 200),
            ("contact_phone", &self.contact_phone, 50),
            ("contact_email", &self.contact_email, 254),
        ] {
            if let Err(message) = check_optional_text(value.as_deref(), max) {
                errors.push(FieldError::new(field(name), message));
            }
        }
        if self.contact_email.as_deref().is_some_and(|e| !is_email(e)) {
            errors.push(FieldError::new(
                field("contact_email"),
                "must be an e-mail address such as peo.yasothon@energy.go.th",
            ));
        }
        if let Some(Err(message)) = self.baseline.map(check_baseline) {
            errors.push(FieldError::new(field("baseline"), message));
        }
        if let Some(Err(message)) = self.target.map(check_figure) {
            errors.push(FieldError::new(field("target"), message));
        }
        if !self.role.reports() && (self.baseline.is_some() || self.target.is_some()) {
            errors.push(FieldError::new(
                field("role"),
                "a supervisor reviews and reports nothing: it has no baseline or target",
            ));
        }
        errors
    }

    /// The spec as stored: checked (422 listing every problem).
    pub fn validated(self) -> Result<Self> {
        Error::check(self.problems(""))?;
        Ok(self)
    }
}

fn is_email(email: &str) -> bool {
    email.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty() && domain.contains('.') && !email.contains(char::is_whitespace)
    })
}

/// An assignment's organization is under the evaluation's province, or has no province above
/// it (a national or regional unit: seed 002 assigns Roi Et's rice research centre to Yasothon).
/// An organization under another province is refused.
pub fn check_province(
    evaluation_province: i64,
    organization_province: Option<i64>,
) -> Result<(), &'static str> {
    match organization_province {
        Some(province) if province != evaluation_province => Err(
            "is under another province; assign organizations of this province or national and \
             regional units",
        ),
        _ => Ok(()),
    }
}

/// The positions of organizations that appear a second time among one indicator's
/// assignments (one assignment per (indicator, organization)).
pub fn repeated_organizations(organization_ids: impl IntoIterator<Item = i64>) -> Vec<usize> {
    let mut seen = HashSet::new();
    organization_ids
        .into_iter()
        .enumerate()
        .filter(|(_, id)| !seen.insert(*id))
        .map(|(index, _)| index)
        .collect()
}

/// Assignments change in a draft and in an active evaluation (a new host agency mid-year, a
/// new contact, a corrected baseline); a closed evaluation is read-only (409).
pub fn check_write(status: EvaluationStatus) -> Result<()> {
    match status {
        EvaluationStatus::Draft | EvaluationStatus::Active => Ok(()),
        EvaluationStatus::Closed => Err(closed()),
    }
}

/// What reports already name of an (indicator, organization): how many there are, and the
/// codes a person reads them by. Storage counts them (any status, drafts too).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reported<'a> {
    pub reports: i64,
    pub organization_code: &'a str,
    pub indicator_code: &'a str,
}

impl Reported<'_> {
    fn phrase(&self) -> String {
        format!(
            "organization {} has {} report(s) for indicator {}",
            self.organization_code, self.reports, self.indicator_code
        )
    }
}

/// Once a report exists for an (indicator, organization), its assignment keeps its organization
/// and its role (docs/DOMAIN.md, "Components, indicators and assignments"): the reports were
/// filed under them, and integrations and exports name them. A 409 naming each of
/// `organization_id` and `role` that would change; contacts, baseline and target still change.
/// No reports: anything the other rules allow.
pub fn check_reported_change(
    reported: &Reported,
    before: &AssignmentSpec,
    after: &AssignmentSpec,
) -> Result<()> {
    if reported.reports == 0 {
        return Ok(());
    }
    let message = format!("cannot change: {}", reported.phrase());
    let errors: Vec<FieldError> = [
        (
            "organization_id",
            before.organization_id != after.organization_id,
        ),
        ("role", before.role != after.role),
    ]
    .into_iter()
    .filter(|(_, changed)| *changed)
    .map(|(field, _)| FieldError::new(field, message.clone()))
    .collect();
    if errors.is_empty() {
        return Ok(());
    }
    Err(Error::Conflict {
        kind: ConflictKind::Referenced,
        detail: format!(
            "{}: the assignment keeps its organization and role; its contacts, baseline and \
             target may still change",
            reported.phrase()
        ),
        errors,
    })
}

/// An assignment with reports is not removed (409): its reports would lose the assignment
/// they were filed under.
pub fn check_reported_delete(reported: &Reported) -> Result<()> {
    if reported.reports == 0 {
        return Ok(());
    }
    Err(Error::conflict(
        ConflictKind::Referenced,
        format!(
            "{}: the assignment cannot be removed while its reports exist",
            reported.phrase()
        ),
    ))
}

/// The baseline scoring uses for a reporting organization: its assignment's, else the
/// indicator's. None when neither has one (activation refuses that for reduction indicators).
pub fn effective_baseline(own: Option<f64>, indicator: Option<f64>) -> Option<f64> {
    own.or(indicator)
}

/// One assignment of an indicator, as the baseline rule needs it; `label` names it in messages.
#[derive(Debug, Clone, PartialEq)]
pub struct Reporter<L> {
    pub label: L,
    pub role: AssignmentRole,
    pub baseline: Option<f64>,
}

/// The reporting assignments of a reduction indicator that have no baseline of their own and
/// none from the indicator: their reduction cannot be computed. Empty for the value basis, and
/// when the indicator's baseline covers them all (an indicator baseline is not needed when
/// every reporting assignment has one).
pub fn missing_baselines<L: Clone>(
    basis: ScoreBasis,
    indicator_baseline: Option<f64>,
    reporters: &[Reporter<L>],
) -> Vec<L> {
    if basis != ScoreBasis::ReductionFromBaseline {
        return Vec::new();
    }
    reporters
        .iter()
        .filter(|r| {
            r.role.reports() && effective_baseline(r.baseline, indicator_baseline).is_none()
        })
        .map(|r| r.label.clone())
        .collect()
}

/// While an evaluation is active, every reporting organization of a reduction indicator keeps
/// a baseline (activation checked it; scoring relies on it): a change that would leave one
/// without is a 409 naming `field`. Drafts may be incomplete: activation lists what is missing.
pub fn check_baselines_kept<L: Clone + std::fmt::Display>(
    status: EvaluationStatus,
    basis: ScoreBasis,
    indicator_baseline: Option<f64>,
    reporters: &[Reporter<L>],
    field: &str,
) -> Result<()> {
    if status != EvaluationStatus::Active {
        return Ok(());
    }
    let missing = missing_baselines(basis, indicator_baseline, reporters);
    if missing.is_empty() {
        return Ok(());
    }
    let names: Vec<String> = missing.iter().map(ToString::to_string).collect();
    Err(Error::Conflict {
        kind: ConflictKind::State,
        detail: format!(
            "the evaluation is active and this indicator is scored by reduction from a baseline: \
             {} would report without one (give the assignment its own baseline, or the \
             indicator one)",
            names.join(", ")
        ),
        errors: vec![FieldError::new(
            field,
            "needed while the evaluation is active: a reporting organization would have no baseline",
        )],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(organization_id: i64) -> AssignmentSpec {
        AssignmentSpec {
            organization_id,
            role: AssignmentRole::Host,
            contact_name: Some("นางสาวสมหญิง รักดี".into()),
            contact_position: None,
            contact_phone: Some("045-712233".into()),
            contact_email: Some("peo.yasothon@energy.go.th".into()),
            baseline: Some(2_800.0),
            target: Some(20.0),
        }
    }

    fn fields(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn a_valid_assignment_has_no_problems() {
        assert!(host(7).problems("").is_empty());
        assert!(host(7).validated().is_ok());
    }

    #[test]
    fn every_problem_is_named() {
        let bad = AssignmentSpec {
            contact_name: Some("ก".repeat(201)),
            contact_email: Some("not an email".into()),
            baseline: Some(0.0),
            target: Some(f64::INFINITY),
            ..host(7)
        };
        assert_eq!(
            fields(&bad.problems("assignments[0].")),
            [
                "assignments[0].contact_name",
                "assignments[0].contact_email",
                "assignments[0].baseline",
                "assignments[0].target",
            ]
        );
        let negative = AssignmentSpec {
            baseline: Some(-2_800.0),
            ..host(7)
        };
        assert_eq!(fields(&negative.problems("")), ["baseline"]);
        let supervisor = AssignmentSpec {
            role: AssignmentRole::Supervisor,
            ..host(7)
        };
        assert_eq!(fields(&supervisor.problems("")), ["role"]);
        assert!(!is_email("@energy.go.th"));
        assert!(!is_email("peo@localhost"));
        assert!(!is_email("peo yasothon@energy.go.th"));
    }

    #[test]
    fn organizations_of_the_province_or_of_none() {
        assert!(check_province(35, Some(35)).is_ok());
        assert!(check_province(35, None).is_ok(), "a regional unit");
        assert!(check_province(35, Some(11)).is_err());
    }

    #[test]
    fn one_assignment_per_organization() {
        // YST-PEO (7) as host and again as co-host of one indicator: the second is refused.
        assert_eq!(repeated_organizations([7, 8, 7, 9, 8]), [2, 4]);
        assert!(repeated_organizations([7, 8, 9]).is_empty());
    }

    #[test]
    fn closed_evaluations_are_read_only() {
        assert!(check_write(EvaluationStatus::Draft).is_ok());
        assert!(check_write(EvaluationStatus::Active).is_ok());
        assert!(check_write(EvaluationStatus::Closed).is_err());
    }

    #[test]
    fn reports_fix_an_assignment_s_organization_and_role() {
        // YST-PEO has 2 reports for E.1: its assignment keeps YST-PEO and host.
        let reported = Reported {
            reports: 2,
            organization_code: "YST-PEO",
            indicator_code: "E.1",
        };
        let before = host(7);
        let contacts = AssignmentSpec {
            contact_phone: Some("045-711111".into()),
            baseline: Some(2_700.0),
            target: Some(25.0),
            ..host(7)
        };
        assert!(check_reported_change(&reported, &before, &contacts).is_ok());
        let moved = AssignmentSpec {
            role: AssignmentRole::CoHost,
            ..host(8)
        };
        match check_reported_change(&reported, &before, &moved) {
            Err(Error::Conflict {
                kind: ConflictKind::Referenced,
                detail,
                errors,
            }) => {
                assert!(
                    detail.contains("YST-PEO has 2 report(s) for indicator E.1"),
                    "{detail}"
                );
                assert_eq!(fields(&errors), ["organization_id", "role"]);
            }
            other => panic!("expected a 409, got {other:?}"),
        }
        match check_reported_delete(&reported) {
            Err(Error::Conflict { detail, .. }) => {
                assert!(detail.contains("has 2 report(s)"), "{detail}")
            }
            other => panic!("expected a 409, got {other:?}"),
        }
        // Before any report, the same changes pass.
        let none = Reported {
            reports: 0,
            ..reported
        };
        assert!(check_reported_change(&none, &before, &moved).is_ok());
        assert!(check_reported_delete(&none).is_ok());
    }

    fn reporter(
        label: &'static str,
        role: AssignmentRole,
        baseline: Option<f64>,
    ) -> Reporter<&'static str> {
        Reporter {
            label,
            role,
            baseline,
        }
    }

    #[test]
    fn the_assignment_baseline_comes_first_then_the_indicator_s() {
        assert_eq!(
            effective_baseline(Some(2_800.0), Some(5_929.0)),
            Some(2_800.0)
        );
        assert_eq!(effective_baseline(None, Some(5_929.0)), Some(5_929.0));
        assert_eq!(effective_baseline(None, None), None);
        let reporters = [
            reporter("YST-PEO", AssignmentRole::Host, Some(2_800.0)),
            reporter("YST-PHO", AssignmentRole::CoHost, None),
            reporter("YST-PO", AssignmentRole::Supervisor, None),
        ];
        let reduction = ScoreBasis::ReductionFromBaseline;
        assert_eq!(missing_baselines(reduction, None, &reporters), ["YST-PHO"]);
        assert!(missing_baselines(reduction, Some(5_929.0), &reporters).is_empty());
        assert!(missing_baselines(ScoreBasis::Value, None, &reporters).is_empty());
    }

    #[test]
    fn an_active_reduction_indicator_keeps_a_baseline_for_every_reporter() {
        let reporters = [
            reporter("YST-PEO", AssignmentRole::Host, Some(2_800.0)),
            reporter("YST-PHO", AssignmentRole::Host, None),
        ];
        let reduction = ScoreBasis::ReductionFromBaseline;
        let active = EvaluationStatus::Active;
        match check_baselines_kept(active, reduction, None, &reporters, "baseline") {
            Err(Error::Conflict { detail, errors, .. }) => {
                assert!(detail.contains("YST-PHO"), "{detail}");
                assert_eq!(fields(&errors), ["baseline"]);
            }
            other => panic!("expected a 409, got {other:?}"),
        }
        assert!(
            check_baselines_kept(active, reduction, Some(5_929.0), &reporters, "baseline").is_ok()
        );
        let draft = EvaluationStatus::Draft;
        assert!(check_baselines_kept(draft, reduction, None, &reporters, "baseline").is_ok());
    }
}
