//! Aggregation, score bases, expected and received reports, indicator status, and the
//! weighted percents of components and the whole evaluation. Everything is computed
//! unrounded; `round_half_away` is for presenting.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::criteria::Criteria;
use super::period::Period;

text_enum!(
    /// How one organization's values over the periods of a window combine.
    OverTime {
        Sum => "sum",
        Average => "average",
        /// The value of its latest period.
        Latest => "latest",
        Max => "max",
        Min => "min",
    }
);

text_enum!(
    /// How the per-organization results combine.
    AcrossOrgs {
        Sum => "sum",
        /// The mean over organizations that have a value.
        Average => "average",
    }
);

text_enum!(
    /// What is scored: the aggregated value, or the percent reduction from the baseline.
    ScoreBasis {
        Value => "value",
        /// (B − A) / B × 100 over every received value A and its baseline B (energy, paper, budget).
        ReductionFromBaseline => "reduction_from_baseline",
    }
);

text_enum!(
    /// The six directives of the provincial efficiency measures (seed 001).
    Category {
        /// ลดการใช้กระดาษ
        PaperReduction => "paper_reduction",
        /// ระบบสารสนเทศ
        InformationSystems => "information_systems",
        /// ลดการใช้พลังงาน
        EnergyReduction => "energy_reduction",
        /// ประหยัดงบประมาณ
        BudgetSavings => "budget_savings",
        /// ป้องกันการทุจริต
        AntiCorruption => "anti_corruption",
        /// บูรณาการการทำงาน
        Integration => "integration",
    }
);

text_enum!(
    /// A submission's place in the workflow.
    SubmissionStatus {
        Draft => "draft",
        Submitted => "submitted",
        Approved => "approved",
        Returned => "returned",
    }
);

impl SubmissionStatus {
    /// Only submitted and approved reports count for values, completeness and timeliness.
    pub fn is_counted(self) -> bool {
        matches!(
            self,
            SubmissionStatus::Submitted | SubmissionStatus::Approved
        )
    }
}

/// Whether an indicator scored on `basis` combining `over_time` reads `ValueFacts::latest`:
/// only the value basis combining by the latest period does. Storage finds the latest value
/// for those indicators alone (a probe per organization; 40 % of a national year's indicators).
pub fn reads_latest(basis: ScoreBasis, over_time: OverTime) -> bool {
    basis == ScoreBasis::Value && over_time == OverTime::Latest
}

/// One organization's received values of one indicator in a window, summed up: what the
/// database returns per (indicator, organization) instead of every report.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValueFacts {
    /// How many values (one a received period); at least 1.
    pub count: u32,
    pub sum: f64,
    pub min: f64,
    pub max: f64,
    /// The value of its latest received period. Read only where `reads_latest`; storage may
    /// leave it NaN for the others.
    pub latest: f64,
}

impl ValueFacts {
    /// The facts of a series of (period, value); None when it is empty.
    pub fn of(series: &[(Period, f64)]) -> Option<Self> {
        let (_, latest) = series.iter().max_by_key(|(period, _)| *period)?;
        let values = series.iter().map(|(_, v)| *v);
        Some(Self {
            count: u32::try_from(series.len()).unwrap_or(u32::MAX),
            sum: values.clone().sum(),
            min: values.clone().fold(f64::INFINITY, f64::min),
            max: values.fold(f64::NEG_INFINITY, f64::max),
            latest: *latest,
        })
    }

    /// The organization's own result over time.
    pub fn over_time(&self, over_time: OverTime) -> f64 {
        match over_time {
            OverTime::Sum => self.sum,
            OverTime::Average => self.sum / f64::from(self.count.max(1)),
            OverTime::Latest => self.latest,
            OverTime::Max => self.max,
            OverTime::Min => self.min,
        }
    }
}

/// One reporting organization's received values of an indicator, with its baseline: its
/// assignment's, else the indicator's (a per-period figure; `assignment::effective_baseline`).
/// Only the reduction basis reads the baseline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OrganizationValues {
    pub organization_id: i64,
    pub values: ValueFacts,
    pub baseline: Option<f64>,
}

impl OrganizationValues {
    /// Its baseline over its received periods (B of the reduction for this organization).
    fn baseline_sum(&self) -> Result<f64, MissingBaseline> {
        let baseline = self.baseline.ok_or(MissingBaseline {
            organization_id: self.organization_id,
        })?;
        Ok(baseline * f64::from(self.values.count))
    }

    /// Its own value as the drill-down shows it: its `over_time` result, or for the reduction
    /// basis its own reduction percent from its baseline (None when that is 0).
    pub fn own_value(
        &self,
        basis: ScoreBasis,
        over_time: OverTime,
    ) -> Result<Option<f64>, MissingBaseline> {
        Ok(match basis {
            ScoreBasis::Value => Some(self.values.over_time(over_time)),
            ScoreBasis::ReductionFromBaseline => {
                reduction_percent(self.values.sum, self.baseline_sum()?)
            }
        })
    }
}

/// (B − A) / B × 100; None when B is 0.
pub fn reduction_percent(actual: f64, baseline: f64) -> Option<f64> {
    (baseline != 0.0).then(|| (baseline - actual) / baseline * 100.0)
}

/// A reduction indicator's value came from an organization that has no baseline, neither its
/// own nor the indicator's. Activation refuses such an evaluation and an active one cannot get
/// there (docs/DOMAIN.md, "Components, indicators and assignments"), so this is stored data the
/// rules did not write: an internal error to log, never a baseline of 0 nor a quiet `no_data`.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[error("organization {organization_id} reported a reduction indicator and has no baseline")]
pub struct MissingBaseline {
    pub organization_id: i64,
}

/// The value an indicator is scored on, or None when there is no data (no organization with
/// a received value, or a zero baseline sum for the reduction basis, which baselines > 0 leave
/// only for nothing received). For the reduction basis every organization needs a baseline:
/// A = Σ value and B = Σ baseline over every received (organization, period).
pub fn scored_value(
    basis: ScoreBasis,
    over_time: OverTime,
    across_orgs: AcrossOrgs,
    organizations: &[OrganizationValues],
) -> Result<Option<f64>, MissingBaseline> {
    if organizations.is_empty() {
        return Ok(None);
    }
    Ok(match basis {
        ScoreBasis::ReductionFromBaseline => {
            let actual: f64 = organizations.iter().map(|o| o.values.sum).sum();
            let mut baseline = 0.0;
            for organization in organizations {
                baseline += organization.baseline_sum()?;
            }
            reduction_percent(actual, baseline)
        }
        ScoreBasis::Value => {
            let total: f64 = organizations
                .iter()
                .map(|o| o.values.over_time(over_time))
                .sum();
            Some(match across_orgs {
                AcrossOrgs::Sum => total,
                AcrossOrgs::Average => total / organizations.len() as f64,
            })
        }
    })
}

/// What the service knows of one submission when counting.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SubmissionFacts {
    pub status: SubmissionStatus,
    pub first_submitted_at: Option<DateTime<Utc>>,
}

/// The fate of one expected (organization, period) report at `as_of`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Receipt {
    OnTime,
    Late,
    Missing,
}

impl Receipt {
    pub fn is_received(self) -> bool {
        self != Receipt::Missing
    }
}

/// Whether a report due at `due` counts as received by `as_of`, and on time. A report counts
/// when its current status is counted and it was first submitted by `as_of`.
pub fn receipt(
    due: DateTime<Utc>,
    submission: Option<SubmissionFacts>,
    as_of: DateTime<Utc>,
) -> Receipt {
    match submission {
        Some(SubmissionFacts {
            status,
            first_submitted_at: Some(first),
        }) if status.is_counted() && first <= as_of => {
            if first < due {
                Receipt::OnTime
            } else {
                Receipt::Late
            }
        }
        _ => Receipt::Missing,
    }
}

/// Reports expected of one assignment in a round window at `as_of`: its indicator's reporting
/// months inside the window whose due instant has passed.
pub fn expected_periods(
    reporting_months: &[Period],
    window: (Period, Period),
    deadline_day: u32,
    as_of: DateTime<Utc>,
) -> Vec<Period> {
    reporting_months
        .iter()
        .copied()
        .filter(|p| *p >= window.0 && *p <= window.1 && p.due_at(deadline_day) <= as_of)
        .collect()
}

/// Completeness and timeliness counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub expected: usize,
    pub received: usize,
    pub on_time: usize,
}

impl Tally {
    pub fn add(&mut self, receipt: Receipt) {
        self.expected += 1;
        if receipt.is_received() {
            self.received += 1;
        }
        if receipt == Receipt::OnTime {
            self.on_time += 1;
        }
    }

    /// Adds another tally's counts (an organization's over its indicators, a round's overall).
    pub fn absorb(&mut self, other: Tally) {
        self.expected += other.expected;
        self.received += other.received;
        self.on_time += other.on_time;
    }

    pub fn late(&self) -> usize {
        self.received - self.on_time
    }

    pub fn missing(&self) -> usize {
        self.expected - self.received
    }

    /// received / expected × 100; None when nothing is expected.
    pub fn completeness_percent(&self) -> Option<f64> {
        (self.expected > 0).then(|| self.received as f64 / self.expected as f64 * 100.0)
    }

    /// on time / expected × 100; None when nothing is expected.
    pub fn timeliness_percent(&self) -> Option<f64> {
        (self.expected > 0).then(|| self.on_time as f64 / self.expected as f64 * 100.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IndicatorStatus {
    /// Nothing of it is due in the window yet.
    NotDue,
    /// Nothing received (or a zero baseline).
    NoData,
    /// The scored value meets the target (with no target: the maximum score).
    Achieved,
    /// Score 0.
    NotMet,
    BelowTarget,
}

/// An indicator's result in a window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IndicatorOutcome {
    pub status: IndicatorStatus,
    /// None only when not due.
    pub score: Option<f64>,
    /// score / max_score × 100; None only when not due.
    pub percent: Option<f64>,
}

/// Decides status, score and percent, in the order of docs/DOMAIN.md, "Scoring" (indicator
/// status, then percents).
pub fn indicator_outcome(
    criteria: &Criteria,
    target: Option<f64>,
    expected: usize,
    value: Option<f64>,
) -> IndicatorOutcome {
    if expected == 0 {
        return IndicatorOutcome {
            status: IndicatorStatus::NotDue,
            score: None,
            percent: None,
        };
    }
    let Some(value) = value else {
        return IndicatorOutcome {
            status: IndicatorStatus::NoData,
            score: Some(0.0),
            percent: Some(0.0),
        };
    };
    let score = criteria.score(value);
    let max = criteria.max_score();
    let percent = if max > 0.0 { score / max * 100.0 } else { 0.0 };
    let achieved = match target {
        Some(target) => criteria.meets_target(value, target),
        None => score >= max,
    };
    let status = if achieved {
        IndicatorStatus::Achieved
    } else if score == 0.0 {
        IndicatorStatus::NotMet
    } else {
        IndicatorStatus::BelowTarget
    };
    IndicatorOutcome {
        status,
        score: Some(score),
        percent: Some(percent),
    }
}

/// Σ(weight × percent) / Σ weight over the entries that have a percent; None when none has.
/// Used for a component (indicator weights) and for the overall (component weights).
pub fn weighted_percent(entries: &[(f64, Option<f64>)]) -> Option<f64> {
    let (sum, weights) = entries
        .iter()
        .filter_map(|(weight, percent)| percent.map(|p| (weight * p, *weight)))
        .fold((0.0, 0.0), |(s, w), (wp, weight)| (s + wp, w + weight));
    (weights > 0.0).then(|| sum / weights)
}

/// Component weights are percents that must sum to 100 (within 0.001) before activation.
pub fn component_weights_sum_to_100(weights: &[f64]) -> bool {
    (weights.iter().sum::<f64>() - 100.0).abs() <= 0.001
}

/// Rounds half away from zero at `decimals` places, as a person rounding the printed decimal
/// would: 2.675 → 2.68 although its binary value is 2.67499999…. The scaled value is nudged
/// away from zero by four units of f64 precision (relative 8.9e-16) before rounding: enough to
/// undo the representation error of a decimal half, far below any figure's real precision.
pub fn round_half_away(x: f64, decimals: u32) -> f64 {
    if !x.is_finite() {
        return x;
    }
    let factor = 10f64.powi(decimals as i32);
    let scaled = x * factor;
    let nudged = scaled * (1.0 + 4.0 * f64::EPSILON);
    let rounded = nudged.round() / factor;
    if rounded == 0.0 {
        0.0
    } else {
        rounded
    }
}

/// Scores are shown with 4 decimals.
pub fn present_score(x: f64) -> f64 {
    round_half_away(x, 4)
}

/// Percents are shown with 2 decimals.
pub fn present_percent(x: f64) -> f64 {
    round_half_away(x, 2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::criteria::Breakpoint;
    use proptest::prelude::*;

    fn p(text: &str) -> Period {
        text.parse().expect("period")
    }

    /// One received (organization, period) value with the organization's baseline.
    type ReceivedValue = (i64, Period, f64, Option<f64>);

    fn rv(org: i64, period: &str, value: f64, baseline: Option<f64>) -> ReceivedValue {
        (org, p(period), value, baseline)
    }

    /// Each organization's values summed up, as the database does.
    fn by_organization(values: &[ReceivedValue]) -> Vec<OrganizationValues> {
        type Series = (Vec<(Period, f64)>, Option<f64>);
        let mut series: std::collections::BTreeMap<i64, Series> = Default::default();
        for (org, period, value, baseline) in values {
            let entry = series.entry(*org).or_default();
            entry.0.push((*period, *value));
            entry.1 = *baseline;
        }
        series
            .into_iter()
            .map(|(organization_id, (series, baseline))| OrganizationValues {
                organization_id,
                values: ValueFacts::of(&series).expect("a value"),
                baseline,
            })
            .collect()
    }

    fn scored(
        basis: ScoreBasis,
        over_time: OverTime,
        across_orgs: AcrossOrgs,
        values: &[ReceivedValue],
    ) -> Result<Option<f64>, MissingBaseline> {
        scored_value(basis, over_time, across_orgs, &by_organization(values))
    }

    fn three_level() -> Criteria {
        Criteria::new(
            vec![
                Breakpoint {
                    value: 60.0,
                    score: 50.0,
                },
                Breakpoint {
                    value: 70.0,
                    score: 75.0,
                },
                Breakpoint {
                    value: 80.0,
                    score: 100.0,
                },
            ],
            "criteria",
        )
        .expect("valid")
    }

    #[test]
    fn aggregation_over_time_then_across_organizations() {
        let values = [
            rv(1, "2022-01", 10.0, None),
            rv(1, "2022-02", 30.0, None),
            rv(2, "2022-01", 50.0, None),
        ];
        let agg = |o, a| scored(ScoreBasis::Value, o, a, &values).expect("no baseline needed");
        assert_eq!(agg(OverTime::Sum, AcrossOrgs::Sum), Some(90.0));
        assert_eq!(
            agg(OverTime::Average, AcrossOrgs::Average),
            Some((20.0 + 50.0) / 2.0)
        );
        assert_eq!(agg(OverTime::Latest, AcrossOrgs::Sum), Some(30.0 + 50.0));
        assert_eq!(agg(OverTime::Max, AcrossOrgs::Average), Some(40.0));
        assert_eq!(agg(OverTime::Min, AcrossOrgs::Sum), Some(60.0));
        assert_eq!(
            scored(ScoreBasis::Value, OverTime::Sum, AcrossOrgs::Sum, &[]),
            Ok(None)
        );
    }

    #[test]
    fn reduction_from_baseline_is_a_percent_of_the_summed_baseline() {
        // Electricity: baseline 1,000 kWh a month; two months used 750 and 850 → 20 % less.
        let values = [
            rv(1, "2022-01", 750.0, Some(1000.0)),
            rv(1, "2022-02", 850.0, Some(1000.0)),
        ];
        let reduction = scored(
            ScoreBasis::ReductionFromBaseline,
            OverTime::Latest,
            AcrossOrgs::Average,
            &values,
        );
        assert_eq!(reduction, Ok(Some(20.0)));
        // No baseline at all (neither the assignment's nor the indicator's): not a B of 0.
        let missing = [
            rv(1, "2022-01", 750.0, Some(1000.0)),
            rv(2, "2022-01", 5.0, None),
        ];
        assert_eq!(
            scored(
                ScoreBasis::ReductionFromBaseline,
                OverTime::Sum,
                AcrossOrgs::Sum,
                &missing
            ),
            Err(MissingBaseline { organization_id: 2 })
        );
        // The value basis never reads a baseline.
        assert_eq!(
            scored(ScoreBasis::Value, OverTime::Sum, AcrossOrgs::Sum, &missing),
            Ok(Some(755.0))
        );
    }

    #[test]
    fn receipts_count_current_counted_status_at_as_of() {
        let due = p("2022-01").due_at(3);
        let on_time = DateTime::parse_from_rfc3339("2022-02-01T10:00:00Z")
            .expect("t")
            .with_timezone(&Utc);
        let late = DateTime::parse_from_rfc3339("2022-02-05T10:00:00Z")
            .expect("t")
            .with_timezone(&Utc);
        let as_of = DateTime::parse_from_rfc3339("2022-03-01T00:00:00Z")
            .expect("t")
            .with_timezone(&Utc);
        let facts = |status, at| {
            Some(SubmissionFacts {
                status,
                first_submitted_at: Some(at),
            })
        };
        assert_eq!(
            receipt(due, facts(SubmissionStatus::Submitted, on_time), as_of),
            Receipt::OnTime
        );
        assert_eq!(
            receipt(due, facts(SubmissionStatus::Approved, late), as_of),
            Receipt::Late
        );
        assert_eq!(
            receipt(due, facts(SubmissionStatus::Returned, on_time), as_of),
            Receipt::Missing
        );
        assert_eq!(
            receipt(due, facts(SubmissionStatus::Draft, on_time), as_of),
            Receipt::Missing
        );
        assert_eq!(
            receipt(due, facts(SubmissionStatus::Submitted, late), on_time),
            Receipt::Missing,
            "submitted after as_of"
        );
        assert_eq!(receipt(due, None, as_of), Receipt::Missing);
        let mut tally = Tally::default();
        for r in [
            Receipt::OnTime,
            Receipt::Late,
            Receipt::Missing,
            Receipt::OnTime,
        ] {
            tally.add(r);
        }
        assert_eq!(
            (
                tally.expected,
                tally.received,
                tally.on_time,
                tally.late(),
                tally.missing()
            ),
            (4, 3, 2, 1, 1)
        );
        assert_eq!(tally.completeness_percent(), Some(75.0));
        assert_eq!(tally.timeliness_percent(), Some(50.0));
        assert_eq!(Tally::default().completeness_percent(), None);
    }

    #[test]
    fn expected_periods_are_due_reporting_months_in_the_window() {
        let months: Vec<Period> = Period::range(p("2021-09"), p("2022-09")).collect();
        let as_of = DateTime::parse_from_rfc3339("2022-03-02T16:59:59Z")
            .expect("t")
            .with_timezone(&Utc);
        let expected = expected_periods(&months, (p("2021-09"), p("2022-02")), 3, as_of);
        assert_eq!(expected.first(), Some(&p("2021-09")));
        assert_eq!(
            expected.last(),
            Some(&p("2022-01")),
            "Feb is due 2022-03-02T17:00Z, a second later"
        );
    }

    #[test]
    fn status_in_order() {
        let c = three_level();
        assert_eq!(
            indicator_outcome(&c, Some(80.0), 0, Some(90.0)).status,
            IndicatorStatus::NotDue
        );
        let no_data = indicator_outcome(&c, Some(80.0), 3, None);
        assert_eq!(
            (no_data.status, no_data.score, no_data.percent),
            (IndicatorStatus::NoData, Some(0.0), Some(0.0))
        );
        assert_eq!(
            indicator_outcome(&c, Some(70.0), 3, Some(72.0)).status,
            IndicatorStatus::Achieved
        );
        assert_eq!(
            indicator_outcome(&c, None, 3, Some(80.0)).status,
            IndicatorStatus::Achieved
        );
        assert_eq!(
            indicator_outcome(&c, None, 3, Some(79.0)).status,
            IndicatorStatus::BelowTarget
        );
        assert_eq!(
            indicator_outcome(&c, Some(80.0), 3, Some(50.0)).status,
            IndicatorStatus::NotMet
        );
        let below = indicator_outcome(&c, Some(80.0), 3, Some(65.0));
        assert_eq!(
            (below.status, below.score, below.percent),
            (IndicatorStatus::BelowTarget, Some(62.5), Some(62.5))
        );
    }

    #[test]
    fn weighted_percents_skip_what_is_not_due_and_keep_no_data() {
        // Component 1 (70 %): one indicator 100 %, one no-data (0 %, keeps its weight), one not due.
        let component_1 = weighted_percent(&[(1.0, Some(100.0)), (1.0, Some(0.0)), (2.0, None)]);
        assert_eq!(component_1, Some(50.0));
        // Component 2 (30 %): nothing due, left out of the overall.
        let component_2 = weighted_percent(&[(1.0, None)]);
        assert_eq!(component_2, None);
        assert_eq!(
            weighted_percent(&[(70.0, component_1), (30.0, component_2)]),
            Some(50.0)
        );
        assert!(component_weights_sum_to_100(&[70.0, 30.0]));
        assert!(component_weights_sum_to_100(&[33.3333, 33.3333, 33.3334]));
        assert!(!component_weights_sum_to_100(&[70.0, 20.0]));
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(round_half_away(2.675, 2), 2.68);
        assert_eq!(round_half_away(-2.675, 2), -2.68);
        assert_eq!(round_half_away(62.5, 0), 63.0);
        assert_eq!(round_half_away(1.00005, 4), 1.0001);
        assert_eq!(round_half_away(66.666666, 2), 66.67);
        assert_eq!(round_half_away(-0.0001, 2), 0.0);
    }

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("rfc 3339")
            .with_timezone(&Utc)
    }

    fn submitted_at(at: DateTime<Utc>) -> Option<SubmissionFacts> {
        Some(SubmissionFacts {
            status: SubmissionStatus::Submitted,
            first_submitted_at: Some(at),
        })
    }

    /// Period 2022-01, deadline day 3: due 2022-02-03T00:00+07:00 = 2022-02-02T17:00:00Z. A
    /// report first submitted exactly then is late; one microsecond before is on time.
    #[test]
    fn a_report_submitted_at_the_due_instant_is_late() {
        let due = p("2022-01").due_at(3);
        assert_eq!(due, utc("2022-02-02T17:00:00Z"));
        assert_eq!(due, utc("2022-02-03T00:00:00+07:00"));
        let as_of = utc("2022-03-01T00:00:00Z");
        assert_eq!(receipt(due, submitted_at(due), as_of), Receipt::Late);
        assert_eq!(
            receipt(due, submitted_at(utc("2022-02-02T16:59:59.999999Z")), as_of),
            Receipt::OnTime
        );
        assert_eq!(
            receipt(due, submitted_at(utc("2022-02-02T17:00:00.000001Z")), as_of),
            Receipt::Late
        );
    }

    #[test]
    fn a_report_first_submitted_exactly_at_as_of_is_received() {
        let due = p("2022-01").due_at(3);
        let at = utc("2022-02-01T10:00:00Z");
        assert_eq!(receipt(due, submitted_at(at), at), Receipt::OnTime);
        assert_eq!(
            receipt(due, submitted_at(at), utc("2022-02-01T09:59:59.999999Z")),
            Receipt::Missing
        );
        assert_eq!(receipt(due, submitted_at(due), due), Receipt::Late);
        let never_submitted = Some(SubmissionFacts {
            status: SubmissionStatus::Submitted,
            first_submitted_at: None,
        });
        assert_eq!(receipt(due, never_submitted, due), Receipt::Missing);
        assert!(Receipt::OnTime.is_received());
        assert!(Receipt::Late.is_received());
        assert!(!Receipt::Missing.is_received());
    }

    #[test]
    fn expected_periods_include_both_window_ends_and_a_due_instant_equal_to_as_of() {
        let months: Vec<Period> = Period::range(p("2021-07"), p("2022-09")).collect();
        let window = (p("2021-09"), p("2022-02"));
        // February's report is due 2022-03-03T00:00+07:00 = 2022-03-02T17:00:00Z.
        let expected = expected_periods(&months, window, 3, utc("2022-03-02T17:00:00Z"));
        assert_eq!(
            expected,
            Period::range(p("2021-09"), p("2022-02")).collect::<Vec<_>>()
        );
        // Long after the window: still nothing outside it.
        let expected = expected_periods(&months, window, 3, utc("2023-01-01T00:00:00Z"));
        assert_eq!(
            expected,
            Period::range(p("2021-09"), p("2022-02")).collect::<Vec<_>>()
        );
        // Before the first due instant in the window: nothing.
        let expected = expected_periods(&months, window, 3, utc("2021-10-02T16:59:59Z"));
        assert_eq!(expected, Vec::<Period>::new());
    }

    #[test]
    fn tally_counts_late_and_missing() {
        // 7 expected: 2 on time, 3 late, 2 missing.
        let mut tally = Tally::default();
        for r in [
            Receipt::Late,
            Receipt::OnTime,
            Receipt::Missing,
            Receipt::Late,
            Receipt::OnTime,
            Receipt::Missing,
            Receipt::Late,
        ] {
            tally.add(r);
        }
        assert_eq!(
            (
                tally.expected,
                tally.received,
                tally.on_time,
                tally.late(),
                tally.missing()
            ),
            (7, 5, 2, 3, 2)
        );
        assert_eq!(tally.completeness_percent(), Some(5.0 / 7.0 * 100.0));
        assert_eq!(tally.timeliness_percent(), Some(2.0 / 7.0 * 100.0));
        assert_eq!(
            tally.completeness_percent().map(present_percent),
            Some(71.43)
        );
        assert_eq!(tally.timeliness_percent().map(present_percent), Some(28.57));
        assert_eq!(Tally::default().timeliness_percent(), None);
        let mut all_missing = Tally::default();
        all_missing.add(Receipt::Missing);
        all_missing.add(Receipt::Missing);
        assert_eq!(
            (all_missing.late(), all_missing.missing()),
            (0, 2),
            "nothing received"
        );
        assert_eq!(all_missing.completeness_percent(), Some(0.0));
        assert_eq!(all_missing.timeliness_percent(), Some(0.0));
        let mut all_late = Tally::default();
        all_late.add(Receipt::Late);
        assert_eq!((all_late.late(), all_late.missing()), (1, 0));
        assert_eq!(all_late.timeliness_percent(), Some(0.0));
        assert_eq!(all_late.completeness_percent(), Some(100.0));
    }

    #[test]
    fn presented_scores_have_4_decimals_and_percents_2() {
        assert_eq!(present_score(62.5), 62.5);
        assert_eq!(present_score(1.23456), 1.2346);
        assert_eq!(present_score(2.00005), 2.0001);
        assert_eq!(present_score(-2.00005), -2.0001);
        assert_eq!(present_score(2.00004999), 2.0);
        assert_eq!(present_score(100.0 / 3.0), 33.3333);
        assert_eq!(present_percent(1.23456), 1.23);
        assert_eq!(present_percent(2.675), 2.68);
        assert_eq!(present_percent(0.005), 0.01);
        assert_eq!(present_percent(-0.005), -0.01);
        assert_eq!(present_percent(0.004999), 0.0);
        assert_eq!(present_percent(200.0 / 3.0), 66.67);
        assert_eq!(present_percent(100.0), 100.0);
        // A negative figure that rounds to zero is shown as 0, not -0.
        assert!(present_percent(-0.001).is_sign_positive());
        assert!(present_score(-0.00001).is_sign_positive());
        assert!(round_half_away(-0.0001, 2).is_sign_positive());
        assert_eq!(round_half_away(-7.5, 0), -8.0);
        assert_eq!(round_half_away(7.4999, 0), 7.0);
        assert!(round_half_away(f64::NAN, 2).is_nan());
        assert_eq!(round_half_away(f64::INFINITY, 2), f64::INFINITY);
        assert_eq!(round_half_away(f64::NEG_INFINITY, 4), f64::NEG_INFINITY);
    }

    #[test]
    fn percent_is_score_over_max_score() {
        // Five levels 1–5: max score 5.
        let c = Criteria::new(
            (1..=5)
                .map(|level| Breakpoint {
                    value: f64::from(level) * 10.0,
                    score: f64::from(level),
                })
                .collect(),
            "criteria",
        )
        .expect("valid");
        let outcome = indicator_outcome(&c, None, 1, Some(30.0));
        assert_eq!(
            (outcome.status, outcome.score, outcome.percent),
            (IndicatorStatus::BelowTarget, Some(3.0), Some(60.0))
        );
        let outcome = indicator_outcome(&c, None, 1, Some(50.0));
        assert_eq!(
            (outcome.status, outcome.score, outcome.percent),
            (IndicatorStatus::Achieved, Some(5.0), Some(100.0))
        );
        let outcome = indicator_outcome(&c, Some(40.0), 1, Some(5.0));
        assert_eq!(
            (outcome.status, outcome.score, outcome.percent),
            (IndicatorStatus::NotMet, Some(0.0), Some(0.0))
        );
        // Exactly at the target is achieved.
        let outcome = indicator_outcome(&c, Some(40.0), 1, Some(40.0));
        assert_eq!(outcome.status, IndicatorStatus::Achieved);
    }

    #[test]
    fn averages_divide_by_the_count() {
        let values = [
            rv(1, "2022-01", 10.0, None),
            rv(1, "2022-02", 30.0, None),
            rv(1, "2022-03", 80.0, None),
            rv(2, "2022-01", 50.0, None),
            rv(3, "2022-02", 7.0, None),
        ];
        let agg = |o, a| scored(ScoreBasis::Value, o, a, &values);
        assert_eq!(
            agg(OverTime::Average, AcrossOrgs::Sum),
            Ok(Some(40.0 + 50.0 + 7.0))
        );
        assert_eq!(
            agg(OverTime::Latest, AcrossOrgs::Average),
            Ok(Some((80.0 + 50.0 + 7.0) / 3.0))
        );
        assert_eq!(agg(OverTime::Sum, AcrossOrgs::Average), Ok(Some(59.0)));
        // Reduction: B = 3 × 200, A = 450 → 25 %.
        let reduction = [
            rv(1, "2022-01", 100.0, Some(200.0)),
            rv(1, "2022-02", 150.0, Some(200.0)),
            rv(2, "2022-01", 200.0, Some(200.0)),
        ];
        assert_eq!(
            scored(
                ScoreBasis::ReductionFromBaseline,
                OverTime::Sum,
                AcrossOrgs::Sum,
                &reduction
            ),
            Ok(Some(25.0))
        );
    }

    #[test]
    fn weighted_percent_divides_by_the_weights_that_have_a_percent() {
        assert_eq!(
            weighted_percent(&[(3.0, Some(80.0)), (1.0, Some(40.0)), (5.0, None)]),
            Some(70.0)
        );
        assert_eq!(weighted_percent(&[]), None);
        // Yasothon FY 2565: 70 % and 30 %.
        assert_eq!(
            weighted_percent(&[(70.0, Some(90.0)), (30.0, Some(60.0))]),
            Some(81.0)
        );
        assert!(component_weights_sum_to_100(&[70.0, 30.0005]));
        assert!(component_weights_sum_to_100(&[70.0, 29.9995]));
        assert!(!component_weights_sum_to_100(&[70.0, 30.002]));
        assert!(!component_weights_sum_to_100(&[70.0, 29.998]));
        assert!(!component_weights_sum_to_100(&[]));
    }

    proptest! {
        #[test]
        fn four_decimal_rounding_is_within_half_a_unit(x in -1e6f64..1e6) {
            let r = round_half_away(x, 4);
            prop_assert!((r - x).abs() <= 0.00005 + 1e-9);
            prop_assert!((r * 10_000.0 - (r * 10_000.0).round()).abs() < 1e-6);
        }
    }
}
