//! A round's summary at `as_of` (docs/DOMAIN.md, "Round summaries"): from the framework and
//! the facts the database sums up per (indicator, organization), each indicator's value, score,
//! status and percent, each component's and the overall percent, and who reported on time,
//! late or not at all. Pure: storage fetches the facts, this decides everything else.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::assignment::effective_baseline;
use super::criteria::Criteria;
use super::period::{FiscalYear, Frequency, Period};
use super::scoring::{
    expected_periods, indicator_outcome, receipt, scored_value, weighted_percent, AcrossOrgs,
    IndicatorOutcome, IndicatorStatus, MissingBaseline, OrganizationValues, OverTime, Receipt,
    ScoreBasis, SubmissionFacts, Tally, ValueFacts,
};

/// What an evaluation fixes of time: its fiscal year and span (the reporting months) and its
/// deadline day (the due instants).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Calendar {
    pub fiscal_year: FiscalYear,
    pub span: (Period, Period),
    pub deadline_day: u32,
}

/// Whether a report of `period` is received at `as_of`, as the summary counts it: due by then,
/// and `scoring::receipt` counts it (a counted status now, first submitted by `as_of`).
pub fn is_received(
    period: Period,
    report: SubmissionFacts,
    deadline_day: u32,
    as_of: DateTime<Utc>,
) -> bool {
    let due = period.due_at(deadline_day);
    due <= as_of && receipt(due, Some(report), as_of).is_received()
}

/// A set of months of one window: bit i is the window's first month + i. A window lies in an
/// evaluation span (at most 18 months), far below the 63 months the bits hold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MonthSet(u64);

impl MonthSet {
    /// The most months a set can hold.
    pub const CAPACITY: i32 = 63;

    /// The bits as the database sums them up: Σ 2^(months from the window's start).
    pub fn from_bits(bits: i64) -> Self {
        Self(bits as u64)
    }

    /// Months from `start` to `period`: the bit a period has in a window starting at `start`.
    pub fn offset(start: Period, period: Period) -> Option<u32> {
        u32::try_from(start.months_until(period))
            .ok()
            .filter(|offset| *offset < Self::CAPACITY as u32)
    }

    pub fn insert(&mut self, start: Period, period: Period) {
        if let Some(offset) = Self::offset(start, period) {
            self.0 |= 1 << offset;
        }
    }

    pub fn contains(self, start: Period, period: Period) -> bool {
        Self::offset(start, period).is_some_and(|offset| self.0 & (1 << offset) != 0)
    }

    pub fn len(self) -> u32 {
        self.0.count_ones()
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// What the database returns for one (indicator, organization) over a round's window at
/// `as_of`: the periods received (a counted report first submitted by `as_of`, of a period due
/// by then), those of them on time, and their values summed up.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReceivedFacts {
    pub indicator_id: i64,
    pub organization_id: i64,
    pub received: MonthSet,
    pub on_time: MonthSet,
    pub values: ValueFacts,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ComponentInput {
    pub id: i64,
    pub code: String,
    pub name: String,
    /// Percent of the overall.
    pub weight: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorInput {
    pub id: i64,
    pub component_id: i64,
    pub code: String,
    pub name: String,
    pub unit: Option<String>,
    pub frequency: Frequency,
    pub over_time: OverTime,
    pub across_orgs: AcrossOrgs,
    pub score_basis: ScoreBasis,
    pub baseline: Option<f64>,
    pub target: Option<f64>,
    /// Relative within the component.
    pub weight: f64,
    pub criteria: Criteria,
}

/// A reporting assignment (host or co-host): who reports an indicator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReportingAssignment {
    pub indicator_id: i64,
    pub organization_id: i64,
    /// Its own baseline (else the indicator's counts).
    pub baseline: Option<f64>,
    /// Its own target, shown beside its value; scoring uses the indicator's.
    pub target: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationInput {
    pub id: i64,
    pub code: String,
    pub name_th: String,
}

/// Everything a summary is computed from.
#[derive(Debug, Clone, PartialEq)]
pub struct RoundFacts {
    pub calendar: Calendar,
    pub window: (Period, Period),
    pub as_of: DateTime<Utc>,
    /// In the order the summary lists them (and their indicators).
    pub components: Vec<ComponentInput>,
    pub indicators: Vec<IndicatorInput>,
    pub assignments: Vec<ReportingAssignment>,
    /// Every organization of `assignments`, in the order the summary lists them.
    pub organizations: Vec<OrganizationInput>,
    pub received: Vec<ReceivedFacts>,
}

/// One reporting organization's part in one indicator.
#[derive(Debug, Clone, PartialEq)]
pub struct PairResult {
    pub organization_id: i64,
    pub tally: Tally,
    /// Expected periods not received, in order.
    pub missing: Vec<Period>,
    /// Its own value: its `over_time` result, or its reduction percent from its baseline;
    /// None when it has nothing received.
    pub value: Option<f64>,
    /// Its effective baseline (its own, else the indicator's).
    pub baseline: Option<f64>,
    /// Its own target.
    pub target: Option<f64>,
}

/// One indicator's result in the round.
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorResult {
    pub indicator_id: i64,
    /// The scored value: the aggregated value, or the reduction percent.
    pub value: Option<f64>,
    pub max_score: f64,
    pub outcome: IndicatorOutcome,
    pub tally: Tally,
    /// Per reporting organization, in the order of `RoundFacts::organizations`.
    pub organizations: Vec<PairResult>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ComponentResult {
    pub component_id: i64,
    /// None when no indicator of it is due.
    pub percent: Option<f64>,
}

/// One organization's reporting over every indicator it reports.
#[derive(Debug, Clone, PartialEq)]
pub struct OrganizationResult {
    pub organization_id: i64,
    pub tally: Tally,
    /// (indicator id, period) expected and not received, in indicator then period order.
    pub missing: Vec<(i64, Period)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// None when no component has a percent.
    pub overall_percent: Option<f64>,
    pub components: Vec<ComponentResult>,
    pub indicators: Vec<IndicatorResult>,
    pub organizations: Vec<OrganizationResult>,
    pub completeness: Tally,
    /// Indicators due and not achieved (`no_data`, `not_met`, `below_target`), the lowest
    /// percent first (ties in summary order).
    pub lagging: Vec<i64>,
}

/// A summary's lookups by (indicator, organization).
struct ByPair<'a> {
    received: HashMap<(i64, i64), &'a ReceivedFacts>,
    assignments: HashMap<(i64, i64), &'a ReportingAssignment>,
}

impl RoundFacts {
    /// The summary: every indicator assessed, then components, overall, organizations.
    pub fn summarize(&self) -> Result<Summary, MissingBaseline> {
        let pairs = self.by_pair();
        let indicators = self
            .indicators
            .iter()
            .map(|indicator| self.assess(indicator, &pairs))
            .collect::<Result<Vec<_>, _>>()?;
        let components: Vec<ComponentResult> = self
            .components
            .iter()
            .map(|component| {
                let entries: Vec<(f64, Option<f64>)> = self
                    .indicators
                    .iter()
                    .zip(&indicators)
                    .filter(|(input, _)| input.component_id == component.id)
                    .map(|(input, result)| (input.weight, result.outcome.percent))
                    .collect();
                ComponentResult {
                    component_id: component.id,
                    percent: weighted_percent(&entries),
                }
            })
            .collect();
        let overall_percent = weighted_percent(
            &self
                .components
                .iter()
                .zip(&components)
                .map(|(input, result)| (input.weight, result.percent))
                .collect::<Vec<_>>(),
        );
        let organizations = self.organizations_of(&indicators);
        let mut completeness = Tally::default();
        for result in &indicators {
            completeness.absorb(result.tally);
        }
        Ok(Summary {
            overall_percent,
            components,
            lagging: lagging(&indicators),
            indicators,
            organizations,
            completeness,
        })
    }

    /// One indicator's result with every reporting organization's part (the drill-down);
    /// None when the indicator is not among the facts.
    pub fn indicator(&self, indicator_id: i64) -> Result<Option<IndicatorResult>, MissingBaseline> {
        let pairs = self.by_pair();
        self.indicators
            .iter()
            .find(|indicator| indicator.id == indicator_id)
            .map(|indicator| self.assess(indicator, &pairs))
            .transpose()
    }

    /// The received facts and the reporting assignments by (indicator, organization): looked up
    /// for every pair of a summary (at national size, rankings assess 77 × 30 × 50 of them).
    fn by_pair(&self) -> ByPair<'_> {
        ByPair {
            received: self
                .received
                .iter()
                .map(|facts| ((facts.indicator_id, facts.organization_id), facts))
                .collect(),
            assignments: self
                .assignments
                .iter()
                .map(|a| ((a.indicator_id, a.organization_id), a))
                .collect(),
        }
    }

    fn assess(
        &self,
        indicator: &IndicatorInput,
        pairs: &ByPair<'_>,
    ) -> Result<IndicatorResult, MissingBaseline> {
        let (span_start, span_end) = self.calendar.span;
        let months =
            indicator
                .frequency
                .reporting_months(self.calendar.fiscal_year, span_start, span_end);
        let expected =
            expected_periods(&months, self.window, self.calendar.deadline_day, self.as_of);
        let mut tally = Tally::default();
        let mut organizations = Vec::new();
        let mut values = Vec::new();
        for organization in &self.organizations {
            let key = (indicator.id, organization.id);
            let Some(assignment) = pairs.assignments.get(&key).copied() else {
                continue;
            };
            let facts = pairs.received.get(&key).copied();
            let mut pair = Tally::default();
            let mut missing = Vec::new();
            for period in &expected {
                let receipt = self.receipt(facts, *period);
                pair.add(receipt);
                if !receipt.is_received() {
                    missing.push(*period);
                }
            }
            tally.absorb(pair);
            let baseline = effective_baseline(assignment.baseline, indicator.baseline);
            let own = facts.map(|facts| OrganizationValues {
                organization_id: organization.id,
                values: facts.values,
                baseline,
            });
            let value = match own {
                Some(own) => own.own_value(indicator.score_basis, indicator.over_time)?,
                None => None,
            };
            values.extend(own);
            organizations.push(PairResult {
                organization_id: organization.id,
                tally: pair,
                missing,
                value,
                baseline,
                target: assignment.target,
            });
        }
        let value = scored_value(
            indicator.score_basis,
            indicator.over_time,
            indicator.across_orgs,
            &values,
        )?;
        let outcome =
            indicator_outcome(&indicator.criteria, indicator.target, tally.expected, value);
        Ok(IndicatorResult {
            indicator_id: indicator.id,
            value: if outcome.status == IndicatorStatus::NoData {
                None
            } else {
                value
            },
            max_score: indicator.criteria.max_score(),
            outcome,
            tally,
            organizations,
        })
    }

    /// The fate of one expected period of a pair: the facts hold the received periods.
    fn receipt(&self, facts: Option<&ReceivedFacts>, period: Period) -> Receipt {
        let start = self.window.0;
        match facts {
            Some(facts) if facts.on_time.contains(start, period) => Receipt::OnTime,
            Some(facts) if facts.received.contains(start, period) => Receipt::Late,
            _ => Receipt::Missing,
        }
    }

    fn organizations_of(&self, indicators: &[IndicatorResult]) -> Vec<OrganizationResult> {
        self.organizations
            .iter()
            .map(|organization| {
                let mut tally = Tally::default();
                let mut missing = Vec::new();
                for result in indicators {
                    for pair in result
                        .organizations
                        .iter()
                        .filter(|pair| pair.organization_id == organization.id)
                    {
                        tally.absorb(pair.tally);
                        missing.extend(pair.missing.iter().map(|p| (result.indicator_id, *p)));
                    }
                }
                OrganizationResult {
                    organization_id: organization.id,
                    tally,
                    missing,
                }
            })
            .collect()
    }
}

fn lagging(indicators: &[IndicatorResult]) -> Vec<i64> {
    let mut lagging: Vec<(f64, usize, i64)> = indicators
        .iter()
        .enumerate()
        .filter(|(_, result)| {
            matches!(
                result.outcome.status,
                IndicatorStatus::NoData | IndicatorStatus::NotMet | IndicatorStatus::BelowTarget
            )
        })
        .map(|(order, result)| {
            (
                result.outcome.percent.unwrap_or(0.0),
                order,
                result.indicator_id,
            )
        })
        .collect();
    lagging.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    lagging.into_iter().map(|(_, _, id)| id).collect()
}

#[cfg(test)]
mod tests;
