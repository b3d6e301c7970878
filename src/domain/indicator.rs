//! Indicators (ตัวชี้วัด): what one says, the checks it passes, and what an evaluation's status
//! lets change of it (docs/DOMAIN.md, "Components, indicators and assignments"; what
//! activation freezes: "Evaluations").

use serde::Serialize;

use super::criteria::{Breakpoint, Criteria};
use super::framework::{check_figure, check_name, check_optional_text, EvaluationStatus};
use super::organization::check_code;
use super::period::Frequency;
use super::scoring::{AcrossOrgs, Category, OverTime, ScoreBasis};
use crate::error::{ConflictKind, Error, FieldError, Result};

/// An indicator's own settings: everything a create sends and a patch may change, apart from
/// where it sits (its evaluation and component). Built from a request or a framework document,
/// checked by `problems`, stored as one row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndicatorSpec {
    pub code: String,
    pub name: String,
    pub description: Option<String>,
    pub unit: Option<String>,
    pub category: Option<Category>,
    pub frequency: Frequency,
    pub over_time: OverTime,
    pub across_orgs: AcrossOrgs,
    pub score_basis: ScoreBasis,
    /// Per-period figure a reduction is measured against; reporting assignments may have their own.
    pub baseline: Option<f64>,
    pub target: Option<f64>,
    /// Relative within the component.
    pub weight: f64,
    pub criteria: Vec<Breakpoint>,
}

pub const NAME_MAX: usize = 500;
pub const UNIT_MAX: usize = 50;
pub const DESCRIPTION_MAX: usize = 5000;

impl IndicatorSpec {
    /// Every broken field rule at once, with paths under `prefix` (`""` for a request,
    /// `components[0].indicators[1].` in a framework document).
    pub fn problems(&self, prefix: &str) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let mut fail = |name: &str, message: &str| {
            errors.push(FieldError::new(format!("{prefix}{name}"), message));
        };
        if let Err(message) = check_code(&self.code) {
            fail("code", message);
        }
        if let Err(message) = check_name(&self.name, NAME_MAX) {
            fail("name", &message);
        }
        if let Err(message) = check_optional_text(self.unit.as_deref(), UNIT_MAX) {
            fail("unit", &message);
        }
        if let Err(message) = check_optional_text(self.description.as_deref(), DESCRIPTION_MAX) {
            fail("description", &message);
        }
        if check_figure(self.weight).is_err() || self.weight <= 0.0 {
            fail("weight", "must be a number greater than 0");
        }
        if let Some(Err(message)) = self.baseline.map(check_baseline) {
            fail("baseline", message);
        }
        if let Some(Err(message)) = self.target.map(check_figure) {
            fail("target", message);
        }
        if let Err(criteria) = Criteria::new(self.criteria.clone(), &format!("{prefix}criteria")) {
            errors.extend(criteria);
        }
        errors
    }

    /// The spec as stored: checked (422 listing every problem) and the name trimmed.
    pub fn validated(mut self) -> Result<Self> {
        Error::check(self.problems(""))?;
        self.name = self.name.trim().to_owned();
        Ok(self)
    }

    /// The last breakpoint's score (0 for criteria without breakpoints, which no check lets in).
    pub fn max_score(&self) -> f64 {
        self.criteria.last().map_or(0.0, |p| p.score)
    }
}

/// Baselines (an indicator's and an assignment's) are per-period figures greater than 0: a
/// reduction (B − A) / B × 100 means nothing against B ≤ 0.
pub fn check_baseline(baseline: f64) -> Result<(), &'static str> {
    check_figure(baseline)?;
    if baseline > 0.0 {
        Ok(())
    } else {
        Err("must be greater than 0: a reduction is measured against it")
    }
}

/// An indicator sits in one of its own evaluation's components. `owner` is the evaluation the
/// component belongs to (None: no such component).
pub fn check_component(
    evaluation_id: i64,
    component_id: i64,
    owner: Option<i64>,
) -> Option<FieldError> {
    (owner != Some(evaluation_id)).then(|| {
        FieldError::new(
            "component_id",
            format!("component {component_id} is not a component of evaluation {evaluation_id}"),
        )
    })
}

/// Settings that stay as they are once the evaluation is active: changing them would change
/// what was asked of the agencies, and the meaning of reports already in.
pub const FROZEN_WHILE_ACTIVE: [&str; 5] = [
    "component_id",
    "frequency",
    "score_basis",
    "over_time",
    "across_orgs",
];

/// Indicators are added and deleted only while the evaluation is a draft (409 otherwise): an
/// active evaluation's structure is what the agencies report against.
pub fn check_add_or_delete(status: EvaluationStatus, action: &str) -> Result<()> {
    match status {
        EvaluationStatus::Draft => Ok(()),
        EvaluationStatus::Active => Err(Error::conflict(
            ConflictKind::State,
            format!("the evaluation is active: indicators are {action} only while it is a draft"),
        )),
        EvaluationStatus::Closed => Err(closed()),
    }
}

/// What an evaluation's status lets change of an indicator: anything in a draft; in an active
/// evaluation anything but `FROZEN_WHILE_ACTIVE` (a 409 naming each one changed) — targets,
/// criteria, weights and baselines may be renegotiated, each change audited; nothing once closed.
pub fn check_change(
    status: EvaluationStatus,
    before: (i64, &IndicatorSpec),
    after: (i64, &IndicatorSpec),
) -> Result<()> {
    match status {
        EvaluationStatus::Draft => Ok(()),
        EvaluationStatus::Closed => Err(closed()),
        EvaluationStatus::Active => {
            let ((component_before, b), (component_after, a)) = (before, after);
            let changed = [
                component_before != component_after,
                b.frequency != a.frequency,
                b.score_basis != a.score_basis,
                b.over_time != a.over_time,
                b.across_orgs != a.across_orgs,
            ];
            let errors: Vec<FieldError> = FROZEN_WHILE_ACTIVE
                .iter()
                .zip(changed)
                .filter(|(_, changed)| *changed)
                .map(|(field, _)| {
                    FieldError::new(*field, "is frozen while the evaluation is active")
                })
                .collect();
            if errors.is_empty() {
                return Ok(());
            }
            Err(Error::Conflict {
                kind: ConflictKind::State,
                detail: "an active evaluation's indicators keep their component, frequency, \
                         score basis and aggregation; targets, criteria, weights and baselines \
                         may change"
                    .into(),
                errors,
            })
        }
    }
}

/// 409: a closed evaluation is read-only.
pub fn closed() -> Error {
    Error::conflict(
        ConflictKind::State,
        "the evaluation is closed and read-only",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points(levels: &[(f64, f64)]) -> Vec<Breakpoint> {
        levels
            .iter()
            .map(|&(value, score)| Breakpoint { value, score })
            .collect()
    }

    /// E.1 of the demo: electricity use down 20 % (seed 000), scored 50 / 75 / 100.
    fn electricity() -> IndicatorSpec {
        IndicatorSpec {
            code: "E.1".into(),
            name: "ร้อยละการลดใช้พลังงานไฟฟ้าของส่วนราชการ".into(),
            description: None,
            unit: Some("kWh".into()),
            category: Some(Category::EnergyReduction),
            frequency: Frequency::Monthly,
            over_time: OverTime::Sum,
            across_orgs: AcrossOrgs::Sum,
            score_basis: ScoreBasis::ReductionFromBaseline,
            baseline: Some(5_929.0),
            target: Some(20.0),
            weight: 1.0,
            criteria: points(&[(10.0, 50.0), (15.0, 75.0), (20.0, 100.0)]),
        }
    }

    fn fields(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn a_valid_spec_has_no_problems_and_is_stored_trimmed() {
        let spec = IndicatorSpec {
            name: "  ไฟฟ้า ".into(),
            ..electricity()
        };
        assert!(spec.problems("").is_empty());
        assert_eq!(spec.validated().expect("valid").name, "ไฟฟ้า");
        assert_eq!(electricity().max_score(), 100.0);
    }

    #[test]
    fn every_problem_is_named_under_the_prefix() {
        let spec = IndicatorSpec {
            code: "E 1".into(),
            name: " ".into(),
            unit: Some("u".repeat(51)),
            description: Some("d".repeat(5001)),
            weight: 0.0,
            baseline: Some(0.0),
            target: Some(f64::NAN),
            criteria: points(&[(10.0, 50.0)]),
            ..electricity()
        };
        assert_eq!(
            fields(&spec.problems("components[1].indicators[2].")),
            [
                "components[1].indicators[2].code",
                "components[1].indicators[2].name",
                "components[1].indicators[2].unit",
                "components[1].indicators[2].description",
                "components[1].indicators[2].weight",
                "components[1].indicators[2].baseline",
                "components[1].indicators[2].target",
                "components[1].indicators[2].criteria",
            ]
        );
        assert!(matches!(spec.validated(), Err(Error::Validation { .. })));
    }

    #[test]
    fn baselines_are_greater_than_zero() {
        assert!(check_baseline(2_800.0).is_ok());
        assert!(check_baseline(f64::MIN_POSITIVE).is_ok());
        assert!(check_baseline(0.0).is_err());
        assert!(check_baseline(-0.0).is_err());
        assert!(check_baseline(-1.0).is_err());
        assert!(check_baseline(f64::INFINITY).is_err());
        assert!(check_baseline(2e15).is_err());
        // A reduction indicator needs no baseline of its own: its reporting assignments may
        // each have one (activation checks that every reporting organization has one).
        let without = IndicatorSpec {
            baseline: None,
            ..electricity()
        };
        assert!(without.problems("").is_empty());
    }

    #[test]
    fn an_indicator_sits_in_its_own_evaluation_s_component() {
        assert_eq!(check_component(1, 4, Some(1)), None);
        assert!(check_component(1, 4, Some(2)).is_some());
        assert!(check_component(1, 4, None).is_some());
    }

    #[test]
    fn codes_compare_ignoring_case() {}

    #[test]
    fn structure_changes_only_in_a_draft() {
        assert!(check_add_or_delete(EvaluationStatus::Draft, "added").is_ok());
        for status in [EvaluationStatus::Active, EvaluationStatus::Closed] {
            assert!(matches!(
                check_add_or_delete(status, "added"),
                Err(Error::Conflict {
                    kind: ConflictKind::State,
                    ..
                })
            ));
        }
    }

    #[test]
    fn an_active_evaluation_freezes_component_frequency_basis_and_aggregation() {
        let before = electricity();
        let renegotiated = IndicatorSpec {
            target: Some(18.0),
            weight: 2.0,
            baseline: Some(6_000.0),
            criteria: points(&[(8.0, 50.0), (13.0, 75.0), (18.0, 100.0)]),
            name: "ไฟฟ้า".into(),
            ..electricity()
        };
        let active = EvaluationStatus::Active;
        assert!(check_change(active, (1, &before), (1, &renegotiated)).is_ok());
        let restructured = IndicatorSpec {
            frequency: Frequency::Quarterly,
            over_time: OverTime::Max,
            across_orgs: AcrossOrgs::Average,
            score_basis: ScoreBasis::Value,
            ..electricity()
        };
        match check_change(active, (1, &before), (2, &restructured)) {
            Err(Error::Conflict {
                kind: ConflictKind::State,
                errors,
                ..
            }) => assert_eq!(fields(&errors), FROZEN_WHILE_ACTIVE),
            other => panic!("expected a 409, got {other:?}"),
        }
        let one = IndicatorSpec {
            over_time: OverTime::Max,
            ..electricity()
        };
        match check_change(active, (1, &before), (1, &one)) {
            Err(Error::Conflict { errors, .. }) => assert_eq!(fields(&errors), ["over_time"]),
            other => panic!("expected a 409, got {other:?}"),
        }
        assert!(check_change(EvaluationStatus::Draft, (1, &before), (2, &restructured)).is_ok());
        assert!(check_change(EvaluationStatus::Closed, (1, &before), (1, &renegotiated)).is_err());
    }
}
