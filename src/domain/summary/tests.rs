//! The worked example of docs/DOMAIN.md ("Round summaries"), figure by figure, and the rules
//! around it: the `as_of` cut, what is not due, masks of received months.

use chrono::{DateTime, Utc};
use proptest::prelude::*;

use super::*;
use crate::domain::criteria::Breakpoint;
use crate::domain::scoring::{present_percent, present_score};

fn p(text: &str) -> Period {
    text.parse().expect("period")
}

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("instant")
        .with_timezone(&Utc)
}

fn criteria(points: &[(f64, f64)]) -> Criteria {
    Criteria::new(
        points
            .iter()
            .map(|(value, score)| Breakpoint {
                value: *value,
                score: *score,
            })
            .collect(),
        "criteria",
    )
    .expect("criteria")
}

const A: i64 = 101;
const B: i64 = 102;
const ELECTRICITY: i64 = 11;
const COMPLAINTS: i64 = 12;
const TRAINING: i64 = 21;
const SURVEY: i64 = 22;

/// One (period, value, first submitted at, counted now) report of a pair.
type Report<'a> = (&'a str, f64, &'a str, bool);

struct Example {
    facts: RoundFacts,
}

impl Example {
    /// The worked example: FY 2565, span 2021-10 … 2022-09, deadline day 3, round window
    /// 2021-10 … 2021-12 at 2022-01-10T00:00:00Z.
    fn new() -> Self {
        let indicator = |id, component_id, code: &str, frequency, basis, over_time, across_orgs| {
            IndicatorInput {
                id,
                component_id,
                code: code.to_owned(),
                name: format!("indicator {code}"),
                unit: None,
                frequency,
                over_time,
                across_orgs,
                score_basis: basis,
                baseline: None,
                target: None,
                weight: 1.0,
                criteria: criteria(&[(60.0, 50.0), (70.0, 75.0), (80.0, 100.0)]),
            }
        };
        let mut electricity = indicator(
            ELECTRICITY,
            1,
            "1.1",
            Frequency::Monthly,
            ScoreBasis::ReductionFromBaseline,
            OverTime::Sum,
            AcrossOrgs::Sum,
        );
        electricity.baseline = Some(500.0);
        electricity.target = Some(20.0);
        electricity.weight = 2.0;
        electricity.criteria = criteria(&[(10.0, 50.0), (15.0, 75.0), (20.0, 100.0)]);
        let mut complaints = indicator(
            COMPLAINTS,
            1,
            "1.2",
            Frequency::Monthly,
            ScoreBasis::Value,
            OverTime::Average,
            AcrossOrgs::Average,
        );
        complaints.target = Some(70.0);
        let mut training = indicator(
            TRAINING,
            2,
            "2.1",
            Frequency::Quarterly,
            ScoreBasis::Value,
            OverTime::Sum,
            AcrossOrgs::Sum,
        );
        training.target = Some(4.0);
        training.criteria = criteria(&[(1.0, 1.0), (2.0, 2.0), (3.0, 3.0), (4.0, 4.0), (5.0, 5.0)]);
        let survey = indicator(
            SURVEY,
            2,
            "2.2",
            Frequency::Annual,
            ScoreBasis::Value,
            OverTime::Latest,
            AcrossOrgs::Average,
        );
        let assignment = |indicator_id, organization_id, baseline| ReportingAssignment {
            indicator_id,
            organization_id,
            baseline,
            target: None,
        };
        let mut facts = RoundFacts {
            calendar: Calendar {
                fiscal_year: FiscalYear(2565),
                span: (p("2021-10"), p("2022-09")),
                deadline_day: 3,
            },
            window: (p("2021-10"), p("2021-12")),
            as_of: utc("2022-01-10T00:00:00Z"),
            components: vec![
                ComponentInput {
                    id: 1,
                    code: "1".into(),
                    name: "Performance Base".into(),
                    weight: 70.0,
                },
                ComponentInput {
                    id: 2,
                    code: "2".into(),
                    name: "Potential Base".into(),
                    weight: 30.0,
                },
            ],
            indicators: vec![electricity, complaints, training, survey],
            assignments: vec![
                assignment(ELECTRICITY, A, Some(1000.0)),
                assignment(ELECTRICITY, B, None),
                assignment(COMPLAINTS, A, None),
                assignment(COMPLAINTS, B, None),
                assignment(TRAINING, A, None),
                assignment(SURVEY, B, None),
            ],
            organizations: vec![
                OrganizationInput {
                    id: A,
                    code: "A".into(),
                    name_th: "หน่วยงาน ก".into(),
                },
                OrganizationInput {
                    id: B,
                    code: "B".into(),
                    name_th: "หน่วยงาน ข".into(),
                },
            ],
            received: Vec::new(),
        };
        // Due instants: 2021-10 → 2021-11-02T17:00Z, 2021-11 → 2021-12-02T17:00Z,
        // 2021-12 → 2022-01-02T17:00Z.
        let reports: [(i64, i64, Vec<Report>); 5] = [
            (
                ELECTRICITY,
                A,
                vec![
                    ("2021-10", 800.0, "2021-11-01T03:00:00Z", true),
                    ("2021-11", 900.0, "2021-12-01T03:00:00Z", true),
                    ("2021-12", 850.0, "2022-01-05T03:00:00Z", true),
                ],
            ),
            (
                ELECTRICITY,
                B,
                vec![
                    ("2021-10", 450.0, "2021-11-02T03:00:00Z", true),
                    // First submitted after as_of: not received at as_of.
                    ("2021-11", 500.0, "2022-01-12T03:00:00Z", true),
                    ("2021-12", 350.0, "2022-01-02T03:00:00Z", true),
                ],
            ),
            (
                COMPLAINTS,
                A,
                vec![
                    ("2021-10", 70.0, "2021-11-01T03:00:00Z", true),
                    ("2021-11", 90.0, "2021-12-01T03:00:00Z", true),
                    // Submitted on time, returned since: no longer counted.
                    ("2021-12", 95.0, "2022-01-01T03:00:00Z", false),
                ],
            ),
            (
                COMPLAINTS,
                B,
                vec![
                    ("2021-10", 60.0, "2021-11-01T03:00:00Z", true),
                    ("2021-11", 66.0, "2021-12-03T03:00:00Z", true),
                    ("2021-12", 63.0, "2022-01-01T03:00:00Z", true),
                ],
            ),
            (
                TRAINING,
                A,
                vec![("2021-12", 3.0, "2022-01-08T03:00:00Z", true)],
            ),
        ];
        for (indicator_id, organization_id, reports) in reports {
            facts
                .received
                .extend(sum_up(&facts, indicator_id, organization_id, &reports));
        }
        Self { facts }
    }
}

/// What the database query returns for one pair: the reports counted now, first submitted by
/// `as_of`, of periods in the window due by `as_of`, summed up.
fn sum_up(
    facts: &RoundFacts,
    indicator_id: i64,
    organization_id: i64,
    reports: &[Report],
) -> Option<ReceivedFacts> {
    let last_due = Period::last_due_by(facts.as_of, facts.calendar.deadline_day);
    let (start, end) = facts.window;
    let mut received = MonthSet::default();
    let mut on_time = MonthSet::default();
    let mut series = Vec::new();
    for (period, value, first, counted) in reports {
        let (period, first) = (p(period), utc(first));
        if !counted || first > facts.as_of || period < start || period > end.min(last_due) {
            continue;
        }
        received.insert(start, period);
        if first < period.due_at(facts.calendar.deadline_day) {
            on_time.insert(start, period);
        }
        series.push((period, *value));
    }
    Some(ReceivedFacts {
        indicator_id,
        organization_id,
        received,
        on_time,
        values: ValueFacts::of(&series)?,
    })
}

fn indicator(summary: &Summary, id: i64) -> &IndicatorResult {
    summary
        .indicators
        .iter()
        .find(|i| i.indicator_id == id)
        .expect("indicator")
}

/// Value, score, percent (as shown), status, expected, received, on time.
type Shown = (
    Option<f64>,
    Option<f64>,
    Option<f64>,
    IndicatorStatus,
    usize,
    usize,
    usize,
);

fn shown(result: &IndicatorResult) -> Shown {
    (
        result.value.map(present_score),
        result.outcome.score.map(present_score),
        result.outcome.percent.map(present_percent),
        result.outcome.status,
        result.tally.expected,
        result.tally.received,
        result.tally.on_time,
    )
}

#[test]
fn the_worked_example_of_domain_md() {
    let summary = Example::new().facts.summarize().expect("summary");
    // 1.1 electricity: A = 2,550 + 800 = 3,350 against B = 3 × 1,000 + 2 × 500 = 4,000:
    // 16.25 % less; 75 + (16.25 − 15) / 5 × 25 = 81.25 of 100; target 20 → below target.
    assert_eq!(
        shown(indicator(&summary, ELECTRICITY)),
        (
            Some(16.25),
            Some(81.25),
            Some(81.25),
            IndicatorStatus::BelowTarget,
            6,
            5,
            4
        )
    );
    // 1.2 complaints: A averages (70 + 90) / 2 = 80, B (60 + 66 + 63) / 3 = 63; their mean
    // 71.5 scores 75 + 1.5 / 10 × 25 = 78.75 and meets the target 70.
    assert_eq!(
        shown(indicator(&summary, COMPLAINTS)),
        (
            Some(71.5),
            Some(78.75),
            Some(78.75),
            IndicatorStatus::Achieved,
            6,
            5,
            4
        )
    );
    // 2.1 training: one quarter, 3 sessions: 3 of 5, 60 %; target 4 → below target.
    assert_eq!(
        shown(indicator(&summary, TRAINING)),
        (
            Some(3.0),
            Some(3.0),
            Some(60.0),
            IndicatorStatus::BelowTarget,
            1,
            1,
            0
        )
    );
    // 2.2 the annual survey: nothing due in October – December.
    assert_eq!(
        shown(indicator(&summary, SURVEY)),
        (None, None, None, IndicatorStatus::NotDue, 0, 0, 0)
    );
    assert_eq!(indicator(&summary, SURVEY).max_score, 100.0);
    // Component 1: (2 × 81.25 + 1 × 78.75) / 3 = 80.41666…; component 2: 60 (2.2 left out).
    let percents: Vec<Option<f64>> = summary
        .components
        .iter()
        .map(|c| c.percent.map(present_percent))
        .collect();
    assert_eq!(percents, vec![Some(80.42), Some(60.0)]);
    // Overall: (70 × 80.41666… + 30 × 60) / 100 = 74.291666…
    assert_eq!(summary.overall_percent.map(present_percent), Some(74.29));
    // 13 expected, 11 received, 8 on time, 3 late, 2 missing.
    let all = summary.completeness;
    assert_eq!(
        (
            all.expected,
            all.received,
            all.on_time,
            all.late(),
            all.missing()
        ),
        (13, 11, 8, 3, 2)
    );
    assert_eq!(
        (
            all.completeness_percent().map(present_percent),
            all.timeliness_percent().map(present_percent)
        ),
        (Some(84.62), Some(61.54))
    );
    type Row = (i64, usize, usize, usize, usize, Vec<(i64, Period)>);
    let organizations: Vec<Row> = summary
        .organizations
        .iter()
        .map(|o| {
            (
                o.organization_id,
                o.tally.expected,
                o.tally.received,
                o.tally.on_time,
                o.tally.late(),
                o.missing.clone(),
            )
        })
        .collect();
    assert_eq!(
        organizations,
        vec![
            (A, 7, 6, 4, 2, vec![(COMPLAINTS, p("2021-12"))]),
            (B, 6, 5, 4, 1, vec![(ELECTRICITY, p("2021-11"))]),
        ]
    );
    // Lagging: the lowest percent first.
    assert_eq!(summary.lagging, vec![TRAINING, ELECTRICITY]);
}

#[test]
fn the_drill_down_gives_each_organization_its_own_reduction() {
    let example = Example::new();
    let electricity = example
        .facts
        .indicator(ELECTRICITY)
        .expect("facts")
        .expect("indicator");
    type Part = (i64, Option<f64>, Option<f64>, usize, usize, usize);
    let parts: Vec<Part> = electricity
        .organizations
        .iter()
        .map(|o| {
            (
                o.organization_id,
                o.value.map(present_score),
                o.baseline,
                o.tally.expected,
                o.tally.received,
                o.tally.on_time,
            )
        })
        .collect();
    // A: (3,000 − 2,550) / 3,000 = 15 %; B: (1,000 − 800) / 1,000 = 20 % on the indicator's 500.
    assert_eq!(
        parts,
        vec![
            (A, Some(15.0), Some(1000.0), 3, 3, 2),
            (B, Some(20.0), Some(500.0), 3, 2, 2)
        ]
    );
    assert_eq!(example.facts.indicator(999), Ok(None));
}

#[test]
fn before_any_due_instant_nothing_is_due() {
    let mut example = Example::new();
    // 2021-10 is due at 2021-11-02T17:00:00Z: a microsecond before, nothing is expected.
    example.facts.as_of = utc("2021-11-02T16:59:59.999999Z");
    example.facts.received.clear();
    let summary = example.facts.summarize().expect("summary");
    assert!(summary
        .indicators
        .iter()
        .all(|i| i.outcome.status == IndicatorStatus::NotDue));
    assert_eq!(summary.overall_percent, None);
    assert!(summary.components.iter().all(|c| c.percent.is_none()));
    assert_eq!(summary.completeness.completeness_percent(), None);
    // At the due instant, October of the monthly indicators is expected and missing.
    example.facts.as_of = utc("2021-11-02T17:00:00Z");
    let summary = example.facts.summarize().expect("summary");
    assert_eq!(
        shown(indicator(&summary, COMPLAINTS)),
        (None, Some(0.0), Some(0.0), IndicatorStatus::NoData, 2, 0, 0)
    );
    assert_eq!(
        indicator(&summary, TRAINING).outcome.status,
        IndicatorStatus::NotDue
    );
    // Component 1 has two no_data indicators (0 %); component 2 none due: overall = 0.
    assert_eq!(summary.components[0].percent, Some(0.0));
    assert_eq!(summary.components[1].percent, None);
    assert_eq!(summary.overall_percent, Some(0.0));
    assert_eq!(summary.lagging, vec![ELECTRICITY, COMPLAINTS]);
}

#[test]
fn a_reduction_organization_without_a_baseline_is_an_error_not_zero() {
    let mut example = Example::new();
    example.facts.indicators[0].baseline = None;
    assert_eq!(
        example.facts.summarize(),
        Err(MissingBaseline { organization_id: B })
    );
}

#[test]
fn last_due_period_follows_the_deadline_day_in_bangkok() {
    // Deadline day 3: January is due at 2022-02-02T17:00:00Z.
    assert_eq!(
        Period::last_due_by(utc("2022-02-02T16:59:59.999999Z"), 3),
        p("2021-12")
    );
    assert_eq!(
        Period::last_due_by(utc("2022-02-02T17:00:00Z"), 3),
        p("2022-01")
    );
    // Deadline day 1: January is due at the first instant of February in Bangkok.
    assert_eq!(
        Period::last_due_by(utc("2022-01-31T17:00:00Z"), 1),
        p("2022-01")
    );
    assert_eq!(
        Period::last_due_by(utc("2022-01-31T16:59:59Z"), 1),
        p("2021-12")
    );
}

proptest! {
    /// A period is due by `as_of` exactly when it is at or before `last_due_by`.
    #[test]
    fn last_due_by_splits_the_periods_at_their_due_instants(
        seconds in 1_500_000_000i64..1_800_000_000,
        deadline_day in 1u32..=28,
        offset in -30i32..30,
    ) {
        let as_of = DateTime::from_timestamp(seconds, 0).expect("instant");
        let last = Period::last_due_by(as_of, deadline_day);
        let mut period = Period::containing(as_of);
        for _ in 0..offset.unsigned_abs() {
            period = if offset < 0 { period.prev() } else { period.next() };
        }
        prop_assert_eq!(period <= last, period.due_at(deadline_day) <= as_of);
    }

    /// A month set holds exactly the months inserted into it.
    #[test]
    fn month_sets_hold_what_was_inserted(offsets in proptest::collection::btree_set(0i32..18, 0..18)) {
        let start = p("2021-09");
        let mut set = MonthSet::default();
        let mut months = Vec::new();
        for offset in &offsets {
            let mut period = start;
            for _ in 0..*offset {
                period = period.next();
            }
            set.insert(start, period);
            months.push(period);
        }
        prop_assert_eq!(set.len() as usize, offsets.len());
        for period in Period::range(start, p("2023-03")) {
            prop_assert_eq!(set.contains(start, period), months.contains(&period));
        }
        prop_assert!(!set.contains(start, start.prev()));
        // The bits as the database sums them up read back the same.
        let bits: i64 = offsets.iter().map(|o| 1i64 << o).sum();
        prop_assert_eq!(MonthSet::from_bits(bits), set);
    }
}
