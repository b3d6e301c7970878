//! Evaluations (one province, one fiscal year): what each status permits and freezes, the
//! transitions between statuses, and the checks of an evaluation's own fields
//! (docs/DOMAIN.md, "Evaluations").

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::framework::check_name;
use super::organization::OrganizationKind;
use super::period::{FiscalYear, Period};
use crate::error::{ConflictKind, Error, FieldError, Result};

text_enum!(
    /// An evaluation's life: drafted, active (reports accepted), closed (read-only).
    EvaluationStatus {
        Draft => "draft",
        Active => "active",
        Closed => "closed",
    }
);

impl EvaluationStatus {
    /// Only forward: draft → active → closed (staying put is no transition).
    pub fn can_become(self, next: EvaluationStatus) -> bool {
        matches!(
            (self, next),
            (EvaluationStatus::Draft, EvaluationStatus::Active)
                | (EvaluationStatus::Active, EvaluationStatus::Closed)
        ) || self == next
    }

    /// A closed evaluation is read-only.
    pub fn is_read_only(self) -> bool {
        self == EvaluationStatus::Closed
    }

    /// Components and indicators are added and deleted, and frameworks imported, only in a
    /// draft: once active the framework's structure is frozen.
    pub fn allows_structure_changes(self) -> bool {
        self == EvaluationStatus::Draft
    }

    /// Once active, the settings reports are counted by are frozen: the span and deadline day,
    /// indicator frequencies, score bases and aggregation, component codes. Targets, criteria,
    /// weights and names may still change (renegotiated mid-year).
    pub fn freezes_settings(self) -> bool {
        self != EvaluationStatus::Draft
    }

    /// 409 when the evaluation is closed.
    pub fn require_writable(self, evaluation_id: i64) -> Result<()> {
        if self.is_read_only() {
            return Err(Error::conflict(
                ConflictKind::State,
                format!("evaluation {evaluation_id} is closed and read-only"),
            ));
        }
        Ok(())
    }

    /// 409 unless a draft; `what` says what was tried ("components are added").
    pub fn require_draft(self, evaluation_id: i64, what: &str) -> Result<()> {
        self.require_writable(evaluation_id)?;
        if !self.allows_structure_changes() {
            return Err(Error::conflict(
                ConflictKind::State,
                format!("evaluation {evaluation_id} is active: {what} only while it is a draft"),
            ));
        }
        Ok(())
    }

    /// 409 listing every changed setting when this status freezes settings; `settings` pairs a
    /// field name with whether the change touches it.
    pub fn require_settings_unchanged(
        self,
        what: &str,
        settings: impl IntoIterator<Item = (&'static str, bool)>,
    ) -> Result<()> {
        if !self.freezes_settings() {
            return Ok(());
        }
        let frozen: Vec<FieldError> = settings
            .into_iter()
            .filter(|(_, changed)| *changed)
            .map(|(field, _)| FieldError::new(field, "is frozen while the evaluation is active"))
            .collect();
        if frozen.is_empty() {
            return Ok(());
        }
        Err(Error::Conflict {
            kind: ConflictKind::State,
            detail: format!("{what} are frozen once the evaluation is active"),
            errors: frozen,
        })
    }
}

/// The writable fields of an evaluation, after defaults or a merge patch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvaluationFields {
    pub title: String,
    /// Results for month M are due at 00:00 Asia/Bangkok on this day of month M+1.
    pub deadline_day: i64,
    pub reporting_start: Period,
    pub reporting_end: Period,
    pub status: EvaluationStatus,
}

/// The deadline day when a new evaluation leaves it out ("before the 3rd of the next month").
pub const DEFAULT_DEADLINE_DAY: i64 = 3;

impl EvaluationFields {
    /// A new draft of `fiscal_year`: the deadline day and span default to the 3rd and
    /// October … September.
    pub fn new_draft(
        fiscal_year: FiscalYear,
        title: String,
        deadline_day: Option<i64>,
        reporting_start: Option<Period>,
        reporting_end: Option<Period>,
    ) -> Self {
        let (start, end) = fiscal_year.default_span();
        Self {
            title,
            deadline_day: deadline_day.unwrap_or(DEFAULT_DEADLINE_DAY),
            reporting_start: reporting_start.unwrap_or(start),
            reporting_end: reporting_end.unwrap_or(end),
            status: EvaluationStatus::Draft,
        }
    }

    /// `check` for a new evaluation, which starts as a draft.
    pub fn check_new(&self, fiscal_year: FiscalYear) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if self.status != EvaluationStatus::Draft {
            errors.push(FieldError::new(
                "status",
                "a new evaluation starts as a draft",
            ));
        }
        errors.extend(self.check(fiscal_year));
        errors
    }

    /// Every broken field rule, all at once.
    pub fn check(&self, fiscal_year: FiscalYear) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if let Err(message) = check_name(&self.title, 300) {
            errors.push(FieldError::new("title", message));
        }
        if let Err(message) = check_deadline_day(self.deadline_day) {
            errors.push(FieldError::new("deadline_day", message));
        }
        errors.extend(check_span(
            fiscal_year,
            self.reporting_start,
            self.reporting_end,
        ));
        errors
    }
}

/// Deadline days: 1–28, so every month has the day.
pub fn check_deadline_day(day: i64) -> Result<(), &'static str> {
    if (1..=28).contains(&day) {
        Ok(())
    } else {
        Err("must be a day of the month from 1 to 28")
    }
}

/// The span rules: start ≤ end, at most 3 months either side of the fiscal year
/// (`FiscalYear::check_span`), and at least one month of the fiscal year itself — FY 2569
/// (Oct 2025 – Sep 2026) cannot span 2026-10 … 2026-12.
pub fn check_span(fiscal_year: FiscalYear, start: Period, end: Period) -> Vec<FieldError> {
    let mut errors: Vec<FieldError> = fiscal_year
        .check_span(start, end)
        .into_iter()
        .map(|(field, message)| FieldError::new(field, message))
        .collect();
    if !fiscal_year.is_supported() {
        return errors;
    }
    let named = |errors: &[FieldError], field: &str| errors.iter().any(|e| e.field == field);
    let (first, last) = fiscal_year.default_span();
    let year = format!(
        "the span must include a month of FY {} ({first} … {last})",
        fiscal_year.0
    );
    if start > last && !named(&errors, "reporting_start") {
        errors.push(FieldError::new(
            "reporting_start",
            format!("must be no later than {last}: {year}"),
        ));
    }
    if end < first && !named(&errors, "reporting_end") {
        errors.push(FieldError::new(
            "reporting_end",
            format!("must be no earlier than {first}: {year}"),
        ));
    }
    errors
}

/// An evaluation is made for a province: `province` is the organization named by
/// `province_id` (code and kind) if the caller can see it.
pub fn check_province(
    province_id: i64,
    province: Option<(&str, OrganizationKind)>,
) -> Option<FieldError> {
    match province {
        None => Some(FieldError::new(
            "province_id",
            format!("organization {province_id} does not exist"),
        )),
        Some((code, kind)) if kind != OrganizationKind::Province => Some(FieldError::new(
            "province_id",
            format!("organization {code} is not a province"),
        )),
        Some(_) => None,
    }
}

/// What a change of an evaluation does, once `check_change` has allowed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvaluationChange {
    /// Fields change, the status stays.
    Edit,
    /// Draft → active: the caller must also find no activation problem.
    Activate,
    /// Active → closed.
    Close,
}

impl EvaluationChange {
    /// The audit action.
    pub fn action(self) -> &'static str {
        match self {
            EvaluationChange::Edit => "update",
            EvaluationChange::Activate => "activate",
            EvaluationChange::Close => "close",
        }
    }
}

/// Decides whether `current` may become `next`, in this order: a closed evaluation is
/// read-only (409); the status moves only forward (409); an active evaluation's span and
/// deadline day are frozen (409, every frozen field listed); then the field rules (422).
pub fn check_change(
    evaluation_id: i64,
    fiscal_year: FiscalYear,
    current: &EvaluationFields,
    next: &EvaluationFields,
) -> Result<EvaluationChange> {
    current.status.require_writable(evaluation_id)?;
    if !current.status.can_become(next.status) {
        return Err(Error::Conflict {
            kind: ConflictKind::State,
            detail: format!(
                "an evaluation goes draft → active → closed; it cannot go from {} to {}",
                current.status.as_str(),
                next.status.as_str()
            ),
            errors: vec![FieldError::new("status", "not a permitted transition")],
        });
    }
    current.status.require_settings_unchanged(
        "the reporting span and deadline day",
        [
            ("deadline_day", next.deadline_day != current.deadline_day),
            (
                "reporting_start",
                next.reporting_start != current.reporting_start,
            ),
            ("reporting_end", next.reporting_end != current.reporting_end),
        ],
    )?;
    Error::check(next.check(fiscal_year))?;
    Ok(match (current.status, next.status) {
        (EvaluationStatus::Draft, EvaluationStatus::Active) => EvaluationChange::Activate,
        (EvaluationStatus::Active, EvaluationStatus::Closed) => EvaluationChange::Close,
        _ => EvaluationChange::Edit,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Period {
        text.parse().expect("period")
    }

    fn fields(status: EvaluationStatus) -> EvaluationFields {
        EvaluationFields {
            title: "ยโสธร 2565".into(),
            deadline_day: 3,
            reporting_start: p("2021-09"),
            reporting_end: p("2022-09"),
            status,
        }
    }

    fn field_names(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn statuses_move_forward_only() {
        use EvaluationStatus::*;
        assert!(Draft.can_become(Active));
        assert!(Active.can_become(Closed));
        assert!(Draft.can_become(Draft));
        assert!(!Draft.can_become(Closed));
        assert!(!Closed.can_become(Active));
        assert!(!Active.can_become(Draft));
    }

    #[test]
    fn what_each_status_permits() {
        use EvaluationStatus::*;
        assert!(Draft.allows_structure_changes() && !Draft.freezes_settings());
        assert!(!Active.allows_structure_changes() && Active.freezes_settings());
        assert!(Closed.is_read_only() && !Active.is_read_only());
        assert!(Draft.require_draft(1, "x").is_ok());
        assert!(Active.require_draft(1, "x").is_err());
        assert!(Active.require_writable(1).is_ok());
        assert!(Closed.require_writable(1).is_err());
        assert!(Draft
            .require_settings_unchanged("x", [("code", true)])
            .is_ok());
        assert!(Active
            .require_settings_unchanged("x", [("code", false)])
            .is_ok());
        match Active.require_settings_unchanged("x", [("a", true), ("b", false), ("c", true)]) {
            Err(Error::Conflict { errors, .. }) => assert_eq!(field_names(&errors), ["a", "c"]),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_span_must_include_a_month_of_its_fiscal_year() {
        // FY 2569 runs Oct 2025 – Sep 2026: Oct–Dec 2026 is within three months after it,
        // but holds no month of it.
        let fy = FiscalYear(2569);
        let errors = check_span(fy, p("2026-10"), p("2026-12"));
        assert_eq!(field_names(&errors), ["reporting_start"]);
        let errors = check_span(fy, p("2025-07"), p("2025-09"));
        assert_eq!(field_names(&errors), ["reporting_end"]);
        // One month of the year is enough, at either edge.
        assert!(check_span(fy, p("2026-09"), p("2026-12")).is_empty());
        assert!(check_span(fy, p("2025-07"), p("2025-10")).is_empty());
        // A start past the slack is named once.
        assert_eq!(
            field_names(&check_span(fy, p("2027-01"), p("2027-01"))),
            ["reporting_start", "reporting_end"]
        );
        assert_eq!(
            field_names(&check_span(FiscalYear(1), p("2026-10"), p("2026-12"))),
            ["fiscal_year"]
        );
    }

    #[test]
    fn fields_are_checked_all_at_once() {
        let mut f = fields(EvaluationStatus::Draft);
        f.title = "  ".into();
        f.deadline_day = 29;
        f.reporting_start = p("2021-06");
        assert_eq!(
            field_names(&f.check(FiscalYear(2565))),
            ["title", "deadline_day", "reporting_start"]
        );
        assert!(check_deadline_day(1).is_ok() && check_deadline_day(28).is_ok());
        assert!(check_deadline_day(0).is_err());
        let draft = EvaluationFields::new_draft(FiscalYear(2565), "x".into(), None, None, None);
        assert_eq!(
            (
                draft.deadline_day,
                draft.reporting_start,
                draft.reporting_end
            ),
            (3, p("2021-10"), p("2022-09"))
        );
    }

    #[test]
    fn changes_check_status_then_frozen_fields_then_values() {
        use EvaluationStatus::*;
        let fy = FiscalYear(2565);
        let activate = fields(Active);
        assert_eq!(
            check_change(1, fy, &fields(Draft), &activate).ok(),
            Some(EvaluationChange::Activate)
        );
        assert_eq!(
            check_change(1, fy, &fields(Active), &fields(Closed)).ok(),
            Some(EvaluationChange::Close)
        );
        assert_eq!(EvaluationChange::Close.action(), "close");
        let mut retitled = fields(Active);
        retitled.title = "ใหม่".into();
        assert_eq!(
            check_change(1, fy, &fields(Active), &retitled).ok(),
            Some(EvaluationChange::Edit)
        );
        // Closed: read-only, even for a no-op.
        assert!(matches!(
            check_change(1, fy, &fields(Closed), &fields(Closed)),
            Err(Error::Conflict { .. })
        ));
        assert!(matches!(
            check_change(1, fy, &fields(Draft), &fields(Closed)),
            Err(Error::Conflict { .. })
        ));
        // Active: the span and deadline are frozen (409) before any value is checked (422).
        let mut moved = fields(Active);
        moved.deadline_day = 99;
        moved.reporting_end = p("2022-08");
        match check_change(1, fy, &fields(Active), &moved) {
            Err(Error::Conflict { errors, .. }) => {
                assert_eq!(field_names(&errors), ["deadline_day", "reporting_end"])
            }
            other => panic!("{other:?}"),
        }
        // A draft's span may move, but not out of its fiscal year.
        let mut outside = fields(Draft);
        outside.reporting_start = p("2022-10");
        outside.reporting_end = p("2022-12");
        match check_change(1, fy, &fields(Draft), &outside) {
            Err(Error::Validation { errors }) => {
                assert_eq!(field_names(&errors), ["reporting_start"])
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_evaluation_is_for_a_province() {
        assert!(check_province(2, Some(("TH-35", OrganizationKind::Province))).is_none());
        assert_eq!(
            check_province(3, Some(("YST-PEO", OrganizationKind::Agency))).map(|e| e.message),
            Some("organization YST-PEO is not a province".into())
        );
        assert!(check_province(4, None).is_some());
    }
}
