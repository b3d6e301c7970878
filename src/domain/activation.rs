//! What a draft needs before it can be activated, as a pure function over the facts storage
//! fetches (docs/DOMAIN.md, "Evaluations": Activation). Every problem is listed at once.

use super::assignment::Reporter;
use super::criteria::{Breakpoint, Criteria};
use super::framework::AssignmentRole;
use super::period::{FiscalYear, Frequency, Period};
use super::scoring::{component_weights_sum_to_100, ScoreBasis};
use crate::error::FieldError;

/// An evaluation as activation sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivationFacts {
    pub fiscal_year: FiscalYear,
    pub reporting_start: Period,
    pub reporting_end: Period,
    /// Every component's weight, in id order.
    pub component_weights: Vec<f64>,
    /// Every indicator, in id order.
    pub indicators: Vec<IndicatorFacts>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorFacts {
    pub code: String,
    pub frequency: Frequency,
    pub score_basis: ScoreBasis,
    pub baseline: Option<f64>,
    pub criteria: Vec<Breakpoint>,
    /// Every assignment of the indicator (supervisors too), in id order, labelled by its
    /// organization's code.
    pub assignments: Vec<Reporter<String>>,
}

/// A baseline a reduction can be measured from: present and above 0.
fn usable(baseline: Option<f64>) -> bool {
    baseline.is_some_and(|b| b > 0.0)
}

/// Everything that keeps the evaluation from being activated, in a stable order: components
/// (present, weights summing to 100 within 0.001), indicators (present), then per indicator
/// (`indicators[CODE]…`) its criteria, its host, a reporting month of its frequency inside the
/// span, and a baseline for each reporting organization of a reduction indicator.
pub fn activation_problems(facts: &ActivationFacts) -> Vec<FieldError> {
    let mut problems = Vec::new();
    if facts.component_weights.is_empty() {
        problems.push(FieldError::new(
            "components",
            "the evaluation has no components",
        ));
    } else if !component_weights_sum_to_100(&facts.component_weights) {
        let total: f64 = facts.component_weights.iter().sum();
        problems.push(FieldError::new(
            "components",
            format!("component weights must sum to 100 to activate; they sum to {total}"),
        ));
    }
    if facts.indicators.is_empty() {
        problems.push(FieldError::new(
            "indicators",
            "the evaluation has no indicators",
        ));
    }
    for indicator in &facts.indicators {
        problems.extend(indicator_problems(facts, indicator));
    }
    problems
}

fn indicator_problems(facts: &ActivationFacts, indicator: &IndicatorFacts) -> Vec<FieldError> {
    let code = &indicator.code;
    let field = format!("indicators[{code}]");
    let mut problems = Vec::new();
    if let Err(errors) = Criteria::new(indicator.criteria.clone(), &format!("{field}.criteria")) {
        problems.extend(errors);
    }
    if !indicator
        .assignments
        .iter()
        .any(|a| a.role == AssignmentRole::Host)
    {
        problems.push(FieldError::new(
            format!("{field}.assignments"),
            format!("indicator {code} has no host agency"),
        ));
    }
    let months = indicator.frequency.reporting_months(
        facts.fiscal_year,
        facts.reporting_start,
        facts.reporting_end,
    );
    if months.is_empty() {
        problems.push(FieldError::new(
            format!("{field}.frequency"),
            format!(
                "indicator {code} is reported {}, and the span {} … {} holds none of its \
                 reporting months in FY {}",
                indicator.frequency.as_str(),
                facts.reporting_start,
                facts.reporting_end,
                facts.fiscal_year.0
            ),
        ));
    }
    if indicator.score_basis == ScoreBasis::ReductionFromBaseline && !usable(indicator.baseline) {
        for assignment in &indicator.assignments {
            if assignment.role.reports() && !usable(assignment.baseline) {
                problems.push(FieldError::new(
                    format!("{field}.assignments[{}].baseline", assignment.label),
                    format!(
                        "{} reports indicator {code}, scored by reduction from a baseline: \
                         it needs a baseline above 0 of its own, or the indicator one",
                        assignment.label
                    ),
                ));
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Period {
        text.parse().expect("period")
    }

    fn three_level() -> Vec<Breakpoint> {
        [(10.0, 50.0), (15.0, 75.0), (20.0, 100.0)]
            .into_iter()
            .map(|(value, score)| Breakpoint { value, score })
            .collect()
    }

    fn assignment(code: &str, role: AssignmentRole, baseline: Option<f64>) -> Reporter<String> {
        Reporter {
            label: code.into(),
            role,
            baseline,
        }
    }

    /// The demo's energy indicator: monthly, a reduction, the energy office as host.
    fn energy() -> IndicatorFacts {
        IndicatorFacts {
            code: "E.1".into(),
            frequency: Frequency::Monthly,
            score_basis: ScoreBasis::ReductionFromBaseline,
            baseline: Some(2800.0),
            criteria: three_level(),
            assignments: vec![
                assignment("YST-PEO", AssignmentRole::Host, None),
                assignment("YST-PO", AssignmentRole::Supervisor, None),
            ],
        }
    }

    fn facts(indicators: Vec<IndicatorFacts>) -> ActivationFacts {
        ActivationFacts {
            fiscal_year: FiscalYear(2565),
            reporting_start: p("2021-09"),
            reporting_end: p("2022-09"),
            component_weights: vec![70.0, 30.0],
            indicators,
        }
    }

    fn fields(facts: &ActivationFacts) -> Vec<String> {
        activation_problems(facts)
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn a_complete_framework_activates() {
        assert!(fields(&facts(vec![energy()])).is_empty());
        let mut almost = facts(vec![energy()]);
        almost.component_weights = vec![70.0005, 30.0];
        assert!(fields(&almost).is_empty(), "within 0.001 of 100");
    }

    #[test]
    fn every_problem_is_listed_at_once() {
        let mut empty = facts(Vec::new());
        empty.component_weights.clear();
        assert_eq!(fields(&empty), ["components", "indicators"]);
        let mut hostless = energy();
        hostless.code = "1.1".into();
        hostless.criteria.truncate(1);
        hostless
            .assignments
            .retain(|a| a.role != AssignmentRole::Host);
        let mut f = facts(vec![hostless]);
        f.component_weights = vec![70.0, 20.0];
        assert_eq!(
            fields(&f),
            [
                "components",
                "indicators[1.1].criteria",
                "indicators[1.1].assignments"
            ]
        );
    }

    #[test]
    fn a_reduction_needs_a_baseline_for_every_reporting_organization() {
        // The indicator's baseline covers every reporting organization without one.
        assert!(fields(&facts(vec![energy()])).is_empty());
        // Without it, each reporting organization needs its own; a supervisor never does.
        let mut own = energy();
        own.baseline = None;
        own.assignments = vec![
            assignment("YST-PEO", AssignmentRole::Host, Some(2800.0)),
            assignment("YST-D01", AssignmentRole::CoHost, None),
            assignment("YST-D02", AssignmentRole::CoHost, Some(0.0)),
            assignment("YST-PO", AssignmentRole::Supervisor, None),
        ];
        assert_eq!(
            fields(&facts(vec![own.clone()])),
            [
                "indicators[E.1].assignments[YST-D01].baseline",
                "indicators[E.1].assignments[YST-D02].baseline",
            ]
        );
        // When every reporting organization has one, the indicator needs none.
        own.assignments.truncate(1);
        assert!(fields(&facts(vec![own.clone()])).is_empty());
        // A baseline of 0 or below is no baseline to reduce from.
        own.assignments[0].baseline = Some(-1.0);
        own.baseline = Some(0.0);
        assert_eq!(
            fields(&facts(vec![own])),
            ["indicators[E.1].assignments[YST-PEO].baseline"]
        );
        // Scored by value, no baseline is needed.
        let mut value = energy();
        value.score_basis = ScoreBasis::Value;
        value.baseline = None;
        assert!(fields(&facts(vec![value])).is_empty());
    }

    #[test]
    fn every_frequency_needs_a_reporting_month_in_the_span() {
        // An annual indicator reports in September: a span ending in August has no month of it.
        let mut annual = energy();
        annual.frequency = Frequency::Annual;
        let mut f = facts(vec![annual.clone()]);
        assert!(fields(&f).is_empty());
        f.reporting_end = p("2022-08");
        assert_eq!(fields(&f), ["indicators[E.1].frequency"]);
        // Quarterly reports in December: October … November holds none, October … December one.
        let mut quarterly = energy();
        quarterly.frequency = Frequency::Quarterly;
        let mut f = facts(vec![quarterly]);
        f.reporting_start = p("2021-10");
        f.reporting_end = p("2021-11");
        assert_eq!(fields(&f), ["indicators[E.1].frequency"]);
        f.reporting_end = p("2021-12");
        assert!(fields(&f).is_empty());
    }
}
