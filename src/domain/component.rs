//! Components (องค์ประกอบ): an evaluation's weighted parts. Their field rules, which changes an
//! evaluation's status permits, and the weight total an evaluation shows
//! (docs/DOMAIN.md, "Components, indicators and assignments").

use serde::{Deserialize, Serialize};

use super::evaluation::EvaluationStatus;
use super::framework::{check_figure, check_name};
use super::organization::check_code;
use super::scoring::round_half_away;
use crate::error::{FieldError, Result};

/// The writable fields of a component, after a create body or a merge patch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComponentFields {
    pub code: String,
    pub name: String,
    /// Percent of the overall score, 0 < weight ≤ 100.
    pub weight: f64,
}

impl ComponentFields {
    /// Every broken field rule, with paths under `prefix` (`components[0].`).
    pub fn check(&self, prefix: &str) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if let Err(message) = check_code(&self.code) {
            errors.push(FieldError::new(format!("{prefix}code"), message));
        }
        if let Err(message) = check_name(&self.name, 300) {
            errors.push(FieldError::new(format!("{prefix}name"), message));
        }
        if check_figure(self.weight).is_err() || self.weight <= 0.0 || self.weight > 100.0 {
            errors.push(FieldError::new(
                format!("{prefix}weight"),
                "must be a percent greater than 0 and at most 100",
            ));
        }
        errors
    }
}

/// Whether the evaluation's status lets `current` become `next`: nothing changes once closed
/// (409); while active the code is frozen (409: summaries, exports and snapshots name
/// components by code) while the name and the weight may change — weights are renegotiated
/// mid-year, and need not sum to 100 between two changes.
pub fn check_change(
    status: EvaluationStatus,
    evaluation_id: i64,
    current: &ComponentFields,
    next: &ComponentFields,
) -> Result<()> {
    status.require_writable(evaluation_id)?;
    status.require_settings_unchanged("component codes", [("code", next.code != current.code)])
}

/// Σ component weights as an evaluation shows it (`component_weight_total`), rounded to 4
/// decimals so 33.3 + 33.3 + 33.4 reads 100.
pub fn weight_total(weights: impl IntoIterator<Item = f64>) -> f64 {
    round_half_away(weights.into_iter().sum(), 4)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    fn component(code: &str, weight: f64) -> ComponentFields {
        ComponentFields {
            code: code.into(),
            name: "Performance Base".into(),
            weight,
        }
    }

    #[test]
    fn fields_are_checked_with_paths() {
        assert!(component("1", 70.0).check("").is_empty());
        assert!(component("1", 100.0).check("").is_empty());
        let errors = component("", 0.0).check("components[1].");
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["components[1].code", "components[1].weight"]);
        assert_eq!(component("1", 100.5).check("").len(), 1);
        assert_eq!(component("1", f64::NAN).check("").len(), 1);
    }

    #[test]
    fn weights_change_while_active_codes_do_not() {
        use EvaluationStatus::*;
        let current = component("1", 70.0);
        let reweighted = component("1", 60.0);
        assert!(check_change(Draft, 1, &current, &component("1b", 60.0)).is_ok());
        assert!(check_change(Active, 1, &current, &reweighted).is_ok());
        let mut renamed = current.clone();
        renamed.name = "ประสิทธิผล".into();
        assert!(check_change(Active, 1, &current, &renamed).is_ok());
        match check_change(Active, 1, &current, &component("1b", 70.0)) {
            Err(Error::Conflict { errors, .. }) => assert_eq!(errors[0].field, "code"),
            other => panic!("{other:?}"),
        }
        assert!(check_change(Closed, 1, &current, &reweighted).is_err());
        assert!(check_change(Closed, 1, &current, &current).is_err());
    }

    #[test]
    fn the_overall_percent_divides_by_the_weights_in_force() {
        use crate::domain::scoring::weighted_percent;
        // Mid-year Performance Base goes from 70 to 60 while Potential Base stays at 30:
        // (60 × 80 + 30 × 50) / 90 = 70, not / 100 = 63.
        let overall = weighted_percent(&[(60.0, Some(80.0)), (30.0, Some(50.0))]);
        assert_eq!(overall, Some(70.0));
        // A component with no indicator due has no percent and is left out, weight and all.
        let overall = weighted_percent(&[(60.0, Some(80.0)), (30.0, None)]);
        assert_eq!(overall, Some(80.0));
        assert_eq!(weighted_percent(&[(60.0, None)]), None);
    }

    #[test]
    fn the_total_is_shown_rounded() {
        assert_eq!(weight_total([33.3, 33.3, 33.4]), 100.0);
        assert_eq!(weight_total([70.0, 20.0]), 90.0);
        assert_eq!(weight_total([]), 0.0);
    }
}
