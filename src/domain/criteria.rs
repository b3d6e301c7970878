//! Scoring criteria: a list of 2–10 breakpoints `{value, score}`. Values strictly monotonic
//! (increasing: higher is better; decreasing: lower is better), scores strictly increasing.
//! No scale is hard-coded: five levels 1–5 and threshold/standard/challenge 50/75/100 are both
//! just breakpoint lists.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::FieldError;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Breakpoint {
    #[schema(example = 60.0)]
    pub value: f64,
    #[schema(example = 50.0)]
    pub score: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    HigherIsBetter,
    LowerIsBetter,
}

/// Validated criteria: only `Criteria::new` makes one.
#[derive(Debug, Clone, PartialEq)]
pub struct Criteria {
    points: Vec<Breakpoint>,
    direction: Direction,
}

pub const MIN_BREAKPOINTS: usize = 2;
pub const MAX_BREAKPOINTS: usize = 10;

impl Criteria {
    /// Checks every rule and reports every problem, with paths under `field` (e.g. `criteria[1].value`).
    pub fn new(points: Vec<Breakpoint>, field: &str) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        if !(MIN_BREAKPOINTS..=MAX_BREAKPOINTS).contains(&points.len()) {
            errors.push(FieldError::new(
                field,
                format!(
                    "must have {MIN_BREAKPOINTS}–{MAX_BREAKPOINTS} breakpoints, not {}",
                    points.len()
                ),
            ));
        }
        for (i, point) in points.iter().enumerate() {
            if !point.value.is_finite() || point.value.abs() > 1e15 {
                errors.push(FieldError::new(
                    format!("{field}[{i}].value"),
                    "must be a finite number",
                ));
            }
            if !point.score.is_finite() || point.score < 0.0 || point.score > 1e9 {
                errors.push(FieldError::new(
                    format!("{field}[{i}].score"),
                    "must be a number of at least 0",
                ));
            }
        }
        let direction = match points.as_slice() {
            [first, second, ..] if second.value < first.value => Direction::LowerIsBetter,
            _ => Direction::HigherIsBetter,
        };
        for (i, pair) in points.windows(2).enumerate() {
            let monotonic = match direction {
                Direction::HigherIsBetter => pair[1].value > pair[0].value,
                Direction::LowerIsBetter => pair[1].value < pair[0].value,
            };
            if !monotonic {
                errors.push(FieldError::new(
                    format!("{field}[{}].value", i + 1),
                    "values must be strictly increasing or strictly decreasing",
                ));
            }
            if pair[1].score <= pair[0].score {
                errors.push(FieldError::new(
                    format!("{field}[{}].score", i + 1),
                    "scores must be strictly increasing",
                ));
            }
        }
        if errors.is_empty() {
            Ok(Self { points, direction })
        } else {
            Err(errors)
        }
    }

    pub fn points(&self) -> &[Breakpoint] {
        &self.points
    }

    pub fn direction(&self) -> Direction {
        self.direction
    }

    /// The last breakpoint's score.
    pub fn max_score(&self) -> f64 {
        self.points.last().map_or(0.0, |p| p.score)
    }

    /// Whether `x` is at or beyond `bound` in the better direction.
    fn at_least(&self, x: f64, bound: f64) -> bool {
        match self.direction {
            Direction::HigherIsBetter => x >= bound,
            Direction::LowerIsBetter => x <= bound,
        }
    }

    /// Worse than the first breakpoint → 0; between two → linear; at or beyond the last → the
    /// last score. NaN scores 0.
    pub fn score(&self, x: f64) -> f64 {
        let (Some(first), Some(last)) = (self.points.first(), self.points.last()) else {
            return 0.0;
        };
        if x.is_nan() || !self.at_least(x, first.value) {
            return 0.0;
        }
        if self.at_least(x, last.value) {
            return last.score;
        }
        for pair in self.points.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            if self.at_least(x, a.value) && !self.at_least(x, b.value) {
                let fraction = (x - a.value) / (b.value - a.value);
                return a.score + fraction * (b.score - a.score);
            }
        }
        last.score
    }

    /// Whether `x` meets `target` in the direction of the criteria.
    pub fn meets_target(&self, x: f64, target: f64) -> bool {
        self.at_least(x, target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn bp(value: f64, score: f64) -> Breakpoint {
        Breakpoint { value, score }
    }

    fn three_level() -> Criteria {
        Criteria::new(
            vec![bp(60.0, 50.0), bp(70.0, 75.0), bp(80.0, 100.0)],
            "criteria",
        )
        .expect("valid")
    }

    #[test]
    fn three_level_example() {
        let c = three_level();
        assert_eq!(c.score(59.9), 0.0);
        assert_eq!(c.score(60.0), 50.0);
        assert_eq!(c.score(65.0), 62.5);
        assert_eq!(c.score(70.0), 75.0);
        assert_eq!(c.score(80.0), 100.0);
        assert_eq!(c.score(95.0), 100.0);
        assert_eq!(c.max_score(), 100.0);
        assert!(c.meets_target(80.0, 80.0));
    }

    #[test]
    fn criteria_keep_their_breakpoints_in_order() {
        assert_eq!(
            three_level().points(),
            [bp(60.0, 50.0), bp(70.0, 75.0), bp(80.0, 100.0)]
        );
        assert_eq!(three_level().direction(), Direction::HigherIsBetter);
    }

    #[test]
    fn decreasing_values_mean_lower_is_better() {
        // COVID-19 case fatality rate: lower is better.
        let c = Criteria::new(vec![bp(1.5, 1.0), bp(1.0, 3.0), bp(0.5, 5.0)], "criteria")
            .expect("valid");
        assert_eq!(c.direction(), Direction::LowerIsBetter);
        assert_eq!(c.score(2.0), 0.0);
        assert_eq!(c.score(1.25), 2.0);
        assert_eq!(c.score(0.1), 5.0);
        assert!(c.meets_target(0.8, 1.0));
        assert!(!c.meets_target(1.2, 1.0));
    }

    #[test]
    fn every_problem_is_reported() {
        let errors = Criteria::new(
            vec![bp(60.0, 50.0), bp(60.0, 40.0), bp(f64::NAN, 100.0)],
            "criteria",
        )
        .expect_err("invalid");
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert!(fields.contains(&"criteria[1].value"));
        assert!(fields.contains(&"criteria[1].score"));
        assert!(fields.contains(&"criteria[2].value"));
        assert_eq!(
            Criteria::new(vec![bp(1.0, 1.0)], "c").expect_err("one")[0].field,
            "c"
        );
        assert!(Criteria::new((0..11).map(|i| bp(i as f64, i as f64)).collect(), "c").is_err());
        assert!(
            Criteria::new(vec![bp(1.0, -1.0), bp(2.0, 1.0)], "c").is_err(),
            "negative score"
        );
    }

    /// Every (field, message) that `Criteria::new` reports for `points`, in order.
    fn problems(points: Vec<Breakpoint>) -> Vec<(String, String)> {
        match Criteria::new(points, "criteria") {
            Ok(_) => Vec::new(),
            Err(errors) => errors.into_iter().map(|e| (e.field, e.message)).collect(),
        }
    }

    fn problem(field: &str, message: &str) -> (String, String) {
        (field.to_owned(), message.to_owned())
    }

    const FINITE: &str = "must be a finite number";
    const SCORE: &str = "must be a number of at least 0";
    const MONOTONIC: &str = "values must be strictly increasing or strictly decreasing";
    const INCREASING: &str = "scores must be strictly increasing";

    #[test]
    fn value_and_score_bounds_are_inclusive() {
        assert_eq!(problems(vec![bp(-1e15, 0.0), bp(1e15, 1e9)]), []);
        assert_eq!(
            problems(vec![bp(0.0, 1.0), bp(2e15, 2.0)]),
            [problem("criteria[1].value", FINITE)],
            "finite but beyond 1e15"
        );
        assert_eq!(
            problems(vec![bp(-2e15, 1.0), bp(0.0, 2.0)]),
            [problem("criteria[0].value", FINITE)]
        );
        assert_eq!(
            problems(vec![bp(0.0, 1.0), bp(1.0, 2e9)]),
            [problem("criteria[1].score", SCORE)],
            "beyond 1e9"
        );
        assert_eq!(
            problems(vec![bp(0.0, -0.5), bp(1.0, 2.0)]),
            [problem("criteria[0].score", SCORE)]
        );
        assert_eq!(
            problems(vec![bp(0.0, 1.0), bp(f64::INFINITY, 2.0)]),
            [problem("criteria[1].value", FINITE)]
        );
        assert_eq!(
            problems(vec![bp(0.0, 1.0), bp(1.0, f64::INFINITY)]),
            [problem("criteria[1].score", SCORE)]
        );
        // NaN is neither finite nor comparable: it also breaks the order checks.
        assert_eq!(
            problems(vec![bp(0.0, 1.0), bp(f64::NAN, 2.0)]),
            [
                problem("criteria[1].value", FINITE),
                problem("criteria[1].value", MONOTONIC)
            ]
        );
        // A NaN score compares false both ways, so only the bound check refuses it.
        assert_eq!(
            problems(vec![bp(0.0, 1.0), bp(1.0, f64::NAN)]),
            [problem("criteria[1].score", SCORE)]
        );
    }

    #[test]
    fn breakpoint_count_is_2_to_10() {
        let points = |n: usize| (0..n).map(|i| bp(i as f64, i as f64)).collect();
        assert_eq!(problems(points(2)), []);
        assert_eq!(problems(points(10)), []);
        assert_eq!(
            problems(points(11)),
            [problem("criteria", "must have 2–10 breakpoints, not 11")]
        );
        assert_eq!(
            problems(points(1)),
            [problem("criteria", "must have 2–10 breakpoints, not 1")]
        );
        assert_eq!(
            problems(points(0)),
            [problem("criteria", "must have 2–10 breakpoints, not 0")]
        );
    }

    #[test]
    fn equal_neighbours_are_refused_at_the_later_index() {
        // The first two values decide the direction; equal ones are refused, not a direction.
        assert_eq!(
            problems(vec![bp(60.0, 1.0), bp(60.0, 2.0), bp(70.0, 3.0)]),
            [problem("criteria[1].value", MONOTONIC)]
        );
        assert_eq!(
            problems(vec![bp(1.5, 1.0), bp(1.0, 2.0), bp(1.0, 3.0)]),
            [problem("criteria[2].value", MONOTONIC)]
        );
        assert_eq!(
            problems(vec![bp(60.0, 1.0), bp(70.0, 2.0), bp(65.0, 3.0)]),
            [problem("criteria[2].value", MONOTONIC)]
        );
        assert_eq!(
            problems(vec![bp(60.0, 1.0), bp(70.0, 1.0), bp(80.0, 3.0)]),
            [problem("criteria[1].score", INCREASING)]
        );
        assert_eq!(
            problems(vec![bp(60.0, 1.0), bp(70.0, 2.0), bp(80.0, 2.0)]),
            [problem("criteria[2].score", INCREASING)]
        );
        assert_eq!(
            problems(vec![bp(60.0, 50.0), bp(60.0, 40.0), bp(f64::NAN, 100.0)]),
            [
                problem("criteria[2].value", FINITE),
                problem("criteria[1].value", MONOTONIC),
                problem("criteria[1].score", INCREASING),
                problem("criteria[2].value", MONOTONIC),
            ]
        );
    }

    #[test]
    fn interpolation_uses_the_pair_around_the_value() {
        // Slopes differ (5 per unit, then 1): the wrong pair would give another score.
        let c =
            Criteria::new(vec![bp(0.0, 0.0), bp(10.0, 50.0), bp(20.0, 60.0)], "c").expect("valid");
        assert_eq!(c.score(5.0), 25.0);
        assert_eq!(c.score(10.0), 50.0);
        assert_eq!(c.score(15.0), 55.0);
        assert_eq!(c.score(20.0), 60.0);
        assert_eq!(c.score(-0.5), 0.0);
        assert_eq!(c.score(f64::NAN), 0.0);
        assert_eq!(c.score(f64::INFINITY), 60.0);
        assert_eq!(c.score(f64::NEG_INFINITY), 0.0);
        // Lower is better, breakpoints hit exactly and slopes differ.
        let c = Criteria::new(vec![bp(1.5, 1.0), bp(1.0, 3.0), bp(0.5, 4.0)], "c").expect("valid");
        assert_eq!(c.score(1.5), 1.0);
        assert_eq!(c.score(1.5000001), 0.0);
        assert_eq!(c.score(1.0), 3.0);
        assert_eq!(c.score(0.75), 3.5);
        assert_eq!(c.score(0.5), 4.0);
        assert_eq!(c.score(0.0), 4.0);
        assert_eq!(c.score(f64::NAN), 0.0);
        assert_eq!(c.max_score(), 4.0);
        assert!(c.meets_target(1.0, 1.0), "exactly at the target");
        assert!(!c.meets_target(1.0000001, 1.0));
        let c = three_level();
        assert!(!c.meets_target(79.9999, 80.0));
        assert!(c.meets_target(80.0001, 80.0));
    }

    fn criteria_strategy() -> impl Strategy<Value = Criteria> {
        (2usize..=10, any::<bool>(), -1000.0f64..1000.0, 0.0f64..10.0)
            .prop_flat_map(|(n, decreasing, start, score_start)| {
                (
                    proptest::collection::vec(0.01f64..100.0, n),
                    proptest::collection::vec(0.01f64..50.0, n),
                    Just((decreasing, start, score_start)),
                )
            })
            .prop_map(
                |(value_steps, score_steps, (decreasing, start, score_start))| {
                    let mut value = start;
                    let mut score = score_start;
                    let points = value_steps
                        .iter()
                        .zip(&score_steps)
                        .map(|(dv, ds)| {
                            let point = bp(value, score);
                            value += if decreasing { -dv } else { *dv };
                            score += ds;
                            point
                        })
                        .collect();
                    Criteria::new(points, "criteria").expect("generated criteria are valid")
                },
            )
    }

    proptest! {
        #[test]
        fn score_is_monotonic_in_the_better_direction(c in criteria_strategy(), a in -3000.0f64..3000.0, b in -3000.0f64..3000.0) {
            let (worse, better) = match c.direction() {
                Direction::HigherIsBetter => (a.min(b), a.max(b)),
                Direction::LowerIsBetter => (a.max(b), a.min(b)),
            };
            prop_assert!(c.score(worse) <= c.score(better) + 1e-9);
        }

        #[test]
        fn score_is_bounded(c in criteria_strategy(), x in -1e6f64..1e6) {
            let s = c.score(x);
            prop_assert!(s >= 0.0 && s <= c.max_score());
        }

        #[test]
        fn score_is_exact_at_every_breakpoint(c in criteria_strategy()) {
            for point in c.points() {
                prop_assert!((c.score(point.value) - point.score).abs() < 1e-9);
            }
        }
    }
}
