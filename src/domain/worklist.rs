//! What an organization must do now (its work list) and who is late in an evaluation (the
//! overdue list), at `as_of` (docs/DOMAIN.md, "Work lists and the overdue list"). Both are
//! built from the rules of "Due instants and receipts": a pair is received when
//! `scoring::receipt` says so, and expected when `scoring::expected_periods` lists it.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::evaluation::EvaluationStatus;
use super::period::Period;
use super::scoring::{expected_periods, receipt, Receipt, SubmissionFacts, SubmissionStatus};
use crate::error::{Error, Result};

text_enum!(
    /// Where one (indicator, period) of a work list stands.
    WorkState {
        /// The month has ended and the due instant is still ahead; nothing counted yet.
        Due => "due",
        /// The due instant has passed and nothing counted was received by `as_of`.
        Overdue => "overdue",
        /// A reviewer returned the report by `as_of` and its month has ended; it waits for its
        /// organization to fix it.
        Returned => "returned",
    }
);

text_enum!(
    /// What the organization does next about one item of its work list.
    NextAction {
        /// No report yet: file one.
        Create => "create",
        /// A draft waits: submit it.
        Submit => "submit",
        /// A returned report: fix it as the review comment says, then submit it again.
        Fix => "fix",
    }
);

/// A report filed for one (assignment, period), as the lists need it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FiledReport {
    pub id: i64,
    pub status: SubmissionStatus,
    pub first_submitted_at: Option<DateTime<Utc>>,
    /// Its last change: for a returned report, when it was returned at the latest.
    pub updated_at: DateTime<Utc>,
}

impl FiledReport {
    fn facts(self) -> SubmissionFacts {
        SubmissionFacts {
            status: self.status,
            first_submitted_at: self.first_submitted_at,
        }
    }
}

/// One reporting assignment (host or co-host) of an indicator. `key` identifies it for the
/// caller and orders ties: give it the codes a person sorts by first.
#[derive(Debug, Clone, PartialEq)]
pub struct Duty<K> {
    pub key: K,
    /// The indicator's reporting months inside the evaluation's span
    /// (`Frequency::reporting_months`).
    pub reporting_months: Vec<Period>,
    pub deadline_day: u32,
}

/// One item of an organization's work list.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkItem<K> {
    pub key: K,
    pub period: Period,
    pub due_at: DateTime<Utc>,
    pub state: WorkState,
    /// When due: whole days until the due instant, rounded up (1: today is the last day).
    pub days_left: Option<i64>,
    /// When overdue, or returned after its due instant: Bangkok calendar days late, the
    /// deadline day itself being day 1.
    pub days_late: Option<i64>,
    pub report: Option<FiledReport>,
    /// None only for a report that counts now but was first submitted after `as_of` (a look
    /// at the past): nothing is left to do.
    pub next_action: Option<NextAction>,
}

/// One pair of the overdue list.
#[derive(Debug, Clone, PartialEq)]
pub struct OverdueItem<K> {
    pub key: K,
    pub period: Period,
    pub due_at: DateTime<Utc>,
    pub days_late: i64,
    /// The report, if one exists: a draft, a returned one, or one counted now but first
    /// submitted after `as_of`.
    pub report: Option<FiledReport>,
}

const DAY_MICROS: i64 = 86_400_000_000;

fn micros(span: Duration) -> i64 {
    span.num_microseconds().unwrap_or(i64::MAX)
}

/// Whole days from `as_of` until `due`, rounded up: 1 from 00:00 of the day before the deadline
/// day (Bangkok) until the due instant. Due instants are at 00:00 Bangkok, so these are
/// Bangkok calendar days.
pub fn days_left(due: DateTime<Utc>, as_of: DateTime<Utc>) -> i64 {
    let left = micros(due - as_of);
    if left <= 0 {
        0
    } else {
        (left + DAY_MICROS - 1) / DAY_MICROS
    }
}

/// Days late at `as_of`: the deadline day (from the due instant on) is day 1, the next day 2;
/// 0 before the due instant.
pub fn days_late(due: DateTime<Utc>, as_of: DateTime<Utc>) -> i64 {
    let late = micros(as_of - due);
    if late < 0 {
        0
    } else {
        late / DAY_MICROS + 1
    }
}

/// Whether the month `period` has ended at `as_of`: 00:00 Bangkok on the 1st of the next month.
pub fn month_ended(period: Period, as_of: DateTime<Utc>) -> bool {
    period.due_at(1) <= as_of
}

/// Where one (assignment, period) stands on its organization's work list at `as_of`, or None
/// when it is not on the list: its month has not ended, or it is received (counted now and
/// first submitted by `as_of`). A report is `returned` only when it was returned by `as_of`
/// (its last change is no later); one returned after `as_of` is judged like any report that
/// does not count: due or overdue.
pub fn work_state(
    period: Period,
    deadline_day: u32,
    report: Option<FiledReport>,
    as_of: DateTime<Utc>,
) -> Option<(WorkState, DateTime<Utc>)> {
    let due = period.due_at(deadline_day);
    if !month_ended(period, as_of) {
        return None;
    }
    if report.is_some_and(|r| r.status == SubmissionStatus::Returned && r.updated_at <= as_of) {
        return Some((WorkState::Returned, due));
    }
    if receipt(due, report.map(FiledReport::facts), as_of).is_received() {
        return None;
    }
    if due <= as_of {
        Some((WorkState::Overdue, due))
    } else {
        Some((WorkState::Due, due))
    }
}

fn next_action(report: Option<FiledReport>) -> Option<NextAction> {
    match report.map(|r| r.status) {
        None => Some(NextAction::Create),
        Some(SubmissionStatus::Draft) => Some(NextAction::Submit),
        Some(SubmissionStatus::Returned) => Some(NextAction::Fix),
        Some(SubmissionStatus::Submitted | SubmissionStatus::Approved) => None,
    }
}

/// An organization's work list at `as_of`: overdue first (most days late first), then returned,
/// then due (fewest days left first); ties by `key`, then period.
pub fn work_list<K: Ord + Clone>(
    duties: &[Duty<K>],
    report_of: impl Fn(&K, Period) -> Option<FiledReport>,
    as_of: DateTime<Utc>,
) -> Vec<WorkItem<K>> {
    let mut items: Vec<WorkItem<K>> = Vec::new();
    for duty in duties {
        for &period in &duty.reporting_months {
            let report = report_of(&duty.key, period);
            let Some((state, due_at)) = work_state(period, duty.deadline_day, report, as_of) else {
                continue;
            };
            let late = days_late(due_at, as_of);
            items.push(WorkItem {
                key: duty.key.clone(),
                period,
                due_at,
                state,
                days_left: (state == WorkState::Due).then(|| days_left(due_at, as_of)),
                days_late: (state != WorkState::Due && late > 0).then_some(late),
                report,
                next_action: next_action(report),
            });
        }
    }
    items.sort_by(|a, b| {
        let rank = |item: &WorkItem<K>| match item.state {
            WorkState::Overdue => (0, -item.days_late.unwrap_or(0)),
            WorkState::Returned => (1, 0),
            WorkState::Due => (2, item.days_left.unwrap_or(0)),
        };
        rank(a)
            .cmp(&rank(b))
            .then_with(|| a.key.cmp(&b.key))
            .then_with(|| a.period.cmp(&b.period))
    });
    items
}

/// The overdue list of one month: the month must lie inside the evaluation's span (422 naming
/// `period`; nothing is clipped).
pub fn check_period_in_span(period: Period, (start, end): (Period, Period)) -> Result<()> {
    if period < start || period > end {
        return Err(Error::invalid_field(
            "period",
            format!("{period} is outside the evaluation's span {start} … {end}"),
        ));
    }
    Ok(())
}

/// Every expected pair (`scoring::expected_periods` over the reporting months, or only `only`)
/// that is missing at `as_of` (`scoring::receipt`), ordered by `key`, then period. A draft
/// evaluation expects nothing yet (reports cannot be filed into it): its list is empty.
pub fn overdue_list<K: Ord + Clone>(
    status: EvaluationStatus,
    duties: &[Duty<K>],
    only: Option<Period>,
    report_of: impl Fn(&K, Period) -> Option<FiledReport>,
    as_of: DateTime<Utc>,
) -> Vec<OverdueItem<K>> {
    if status == EvaluationStatus::Draft {
        return Vec::new();
    }
    let mut items = Vec::new();
    for duty in duties {
        let (Some(&first), Some(&last)) =
            (duty.reporting_months.first(), duty.reporting_months.last())
        else {
            continue;
        };
        let window = only.map_or((first, last), |period| (period, period));
        for period in expected_periods(&duty.reporting_months, window, duty.deadline_day, as_of) {
            let report = report_of(&duty.key, period);
            let due_at = period.due_at(duty.deadline_day);
            if receipt(due_at, report.map(FiledReport::facts), as_of) != Receipt::Missing {
                continue;
            }
            items.push(OverdueItem {
                key: duty.key.clone(),
                period,
                due_at,
                days_late: days_late(due_at, as_of),
                report,
            });
        }
    }
    items.sort_by(|a, b| a.key.cmp(&b.key).then_with(|| a.period.cmp(&b.period)));
    items
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use chrono::TimeZone;
    use proptest::prelude::*;

    use super::*;
    use crate::domain::period::{FiscalYear, Frequency};

    fn p(text: &str) -> Period {
        text.parse().expect("period")
    }

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().expect("instant")
    }

    /// A report last changed when it was first submitted (a draft: at the start of the span).
    fn report(id: i64, status: SubmissionStatus, first: Option<&str>) -> FiledReport {
        FiledReport {
            id,
            status,
            first_submitted_at: first.map(at),
            updated_at: at(first.unwrap_or("2021-09-01T00:00:00Z")),
        }
    }

    /// A report first submitted at `first` and returned at `returned`.
    fn returned(id: i64, first: &str, returned: &str) -> FiledReport {
        FiledReport {
            updated_at: at(returned),
            ..report(id, SubmissionStatus::Returned, Some(first))
        }
    }

    fn span_months(frequency: Frequency) -> Vec<Period> {
        frequency.reporting_months(FiscalYear(2565), p("2021-09"), p("2022-09"))
    }

    #[test]
    fn days_left_counts_bangkok_days_to_the_deadline() {
        // January 2022 with deadline day 3: due 2022-02-03 00:00 Bangkok = 2022-02-02T17:00Z.
        let due = p("2022-01").due_at(3);
        assert_eq!(due, at("2022-02-02T17:00:00Z"));
        // 00:00 on the 2nd (Bangkok): today is the last day.
        assert_eq!(days_left(due, at("2022-02-01T17:00:00Z")), 1);
        assert_eq!(days_left(due, at("2022-02-02T16:59:59.999999Z")), 1);
        // 23:59:59 on the 1st: two days, the 1st and the 2nd.
        assert_eq!(days_left(due, at("2022-02-01T16:59:59Z")), 2);
        // 00:00 on 1 February, the month just ended.
        assert_eq!(days_left(due, at("2022-01-31T17:00:00Z")), 2);
        assert_eq!(days_left(due, due), 0);
    }

    #[test]
    fn the_deadline_day_is_the_first_day_late() {
        let due = p("2022-01").due_at(3);
        assert_eq!(days_late(due, at("2022-02-02T16:59:59Z")), 0);
        assert_eq!(days_late(due, due), 1);
        assert_eq!(days_late(due, at("2022-02-03T16:59:59Z")), 1);
        assert_eq!(days_late(due, at("2022-02-03T17:00:00Z")), 2);
        assert_eq!(days_late(due, at("2022-03-02T17:00:00Z")), 29);
    }

    #[test]
    fn a_month_is_due_from_its_end_until_its_due_instant_then_overdue() {
        let january = p("2022-01");
        // 23:59:59 on 31 January, Bangkok: the month has not ended.
        assert_eq!(
            work_state(january, 3, None, at("2022-01-31T16:59:59Z")),
            None
        );
        let due = january.due_at(3);
        assert_eq!(
            work_state(january, 3, None, at("2022-01-31T17:00:00Z")),
            Some((WorkState::Due, due))
        );
        assert_eq!(
            work_state(january, 3, None, at("2022-02-02T16:59:59.999999Z")),
            Some((WorkState::Due, due))
        );
        assert_eq!(
            work_state(january, 3, None, due),
            Some((WorkState::Overdue, due))
        );
    }

    #[test]
    fn counted_reports_leave_the_list_drafts_and_returned_ones_stay() {
        let january = p("2022-01");
        let as_of = at("2022-03-01T00:00:00Z");
        let on_time = report(1, SubmissionStatus::Submitted, Some("2022-02-01T03:00:00Z"));
        let late = report(2, SubmissionStatus::Approved, Some("2022-02-20T03:00:00Z"));
        assert_eq!(work_state(january, 3, Some(on_time), as_of), None);
        assert_eq!(work_state(january, 3, Some(late), as_of), None);
        let draft = report(3, SubmissionStatus::Draft, None);
        assert_eq!(
            work_state(january, 3, Some(draft), as_of).map(|s| s.0),
            Some(WorkState::Overdue)
        );
        // Submitted after `as_of`: at that instant it was still missing.
        let later = report(4, SubmissionStatus::Submitted, Some("2022-03-05T00:00:00Z"));
        assert_eq!(
            work_state(january, 3, Some(later), as_of).map(|s| s.0),
            Some(WorkState::Overdue)
        );
        // Returned before its due instant: listed as returned once the month has ended.
        let early = returned(5, "2022-02-01T03:00:00Z", "2022-02-01T08:00:00Z");
        assert_eq!(
            work_state(january, 3, Some(early), at("2022-02-01T09:00:00Z")).map(|s| s.0),
            Some(WorkState::Returned)
        );
    }

    #[test]
    fn a_report_is_returned_on_the_list_only_from_its_return_on() {
        // E.1 of June 2022 (deadline day 3: due at 00:00 on 3 July, Bangkok), submitted on
        // 1 July, returned at 14:00 on 5 July (the demo's story).
        let june = p("2022-06");
        let due = june.due_at(3);
        assert_eq!(due, at("2022-07-02T17:00:00Z"));
        let report = returned(1, "2022-07-01T03:15:00Z", "2022-07-05T07:00:00Z");
        // Looking back to 2 March 2022: June has not ended, nothing is listed (it once said
        // `returned`, with a comment written four months later).
        assert_eq!(
            work_state(june, 3, Some(report), at("2022-03-01T17:00:00Z")),
            None
        );
        // Returned by `as_of`, even filed early and returned before the month ended: not
        // listed until the month ends, then returned.
        let early = returned(2, "2022-06-20T03:00:00Z", "2022-06-25T03:00:00Z");
        assert_eq!(
            work_state(june, 3, Some(early), at("2022-06-26T00:00:00Z")),
            None
        );
        assert_eq!(
            work_state(june, 3, Some(early), at("2022-06-30T17:00:00Z")),
            Some((WorkState::Returned, due))
        );
        // Before its return: judged like any report that does not count (a returned one is
        // missing): due on 2 July, overdue on 4 July.
        assert_eq!(
            work_state(june, 3, Some(report), at("2022-07-01T17:00:00Z")),
            Some((WorkState::Due, due))
        );
        assert_eq!(
            work_state(june, 3, Some(report), at("2022-07-05T06:59:59.999999Z")),
            Some((WorkState::Overdue, due))
        );
        // From the instant of its return on.
        assert_eq!(
            work_state(june, 3, Some(report), at("2022-07-05T07:00:00Z")),
            Some((WorkState::Returned, due))
        );
    }

    #[test]
    fn a_draft_evaluation_expects_nothing() {
        let duties = vec![Duty {
            key: "E.1",
            reporting_months: span_months(Frequency::Monthly),
            deadline_day: 3,
        }];
        let as_of = at("2022-03-01T17:00:00Z");
        assert!(
            overdue_list(EvaluationStatus::Draft, &duties, None, |_, _| None, as_of).is_empty()
        );
        for status in [EvaluationStatus::Active, EvaluationStatus::Closed] {
            let list = overdue_list(status, &duties, None, |_, _| None, as_of);
            // September 2021 to January 2022.
            assert_eq!(list.len(), 5, "{status:?}");
        }
    }

    #[test]
    fn the_work_list_orders_overdue_returned_due() {
        // Monthly indicators "1.2" and "E.1"; at 00:00 Bangkok on 2 March 2022 (deadline day 3):
        // January is overdue (3 February is day 1, 2 March day 28), February is due (today,
        // the 2nd, is its last day), December is returned or a draft (59 days late), September
        // to November are received.
        let as_of = at("2022-03-01T17:00:00Z");
        let months = span_months(Frequency::Monthly);
        let duties = vec![
            Duty {
                key: "E.1",
                reporting_months: months.clone(),
                deadline_day: 3,
            },
            Duty {
                key: "1.2",
                reporting_months: months,
                deadline_day: 3,
            },
        ];
        let mut reports = BTreeMap::new();
        for key in ["1.2", "E.1"] {
            for (i, month) in ["2021-09", "2021-10", "2021-11"].iter().enumerate() {
                reports.insert(
                    (key, p(month)),
                    report(
                        i as i64,
                        SubmissionStatus::Submitted,
                        Some("2021-12-01T00:00:00Z"),
                    ),
                );
            }
        }
        reports.insert(
            ("E.1", p("2021-12")),
            report(10, SubmissionStatus::Returned, Some("2021-12-30T00:00:00Z")),
        );
        reports.insert(
            ("1.2", p("2021-12")),
            report(11, SubmissionStatus::Draft, None),
        );
        let list = work_list(&duties, |k, p| reports.get(&(*k, p)).copied(), as_of);
        type Seen = (
            &'static str,
            String,
            WorkState,
            Option<i64>,
            Option<i64>,
            Option<NextAction>,
        );
        let seen: Vec<Seen> = list
            .iter()
            .map(|i| {
                (
                    i.key,
                    i.period.to_string(),
                    i.state,
                    i.days_left,
                    i.days_late,
                    i.next_action,
                )
            })
            .collect();
        use NextAction::*;
        use WorkState::*;
        assert_eq!(
            seen,
            vec![
                (
                    "1.2",
                    "2021-12".into(),
                    Overdue,
                    None,
                    Some(59),
                    Some(Submit)
                ),
                (
                    "1.2",
                    "2022-01".into(),
                    Overdue,
                    None,
                    Some(28),
                    Some(Create)
                ),
                (
                    "E.1",
                    "2022-01".into(),
                    Overdue,
                    None,
                    Some(28),
                    Some(Create)
                ),
                ("E.1", "2021-12".into(), Returned, None, Some(59), Some(Fix)),
                ("1.2", "2022-02".into(), Due, Some(1), None, Some(Create)),
                ("E.1", "2022-02".into(), Due, Some(1), None, Some(Create)),
            ]
        );
    }

    #[test]
    fn the_overdue_list_keeps_to_one_period_when_asked() {
        let as_of = at("2022-06-01T00:00:00Z");
        let duties = vec![Duty {
            key: ("YST-SSO", "1.3"),
            reporting_months: span_months(Frequency::Quarterly),
            deadline_day: 3,
        }];
        let all = overdue_list(EvaluationStatus::Active, &duties, None, |_, _| None, as_of);
        assert_eq!(
            all.iter().map(|i| i.period.to_string()).collect::<Vec<_>>(),
            ["2021-12", "2022-03"]
        );
        let march = overdue_list(
            EvaluationStatus::Active,
            &duties,
            Some(p("2022-03")),
            |_, _| None,
            as_of,
        );
        assert_eq!(march.len(), 1);
        // 3 April is day 1, 1 June (07:00 Bangkok) day 60.
        assert_eq!(march[0].days_late, 60);
        // Not a reporting month of a quarterly indicator, or not yet due: nothing.
        assert!(overdue_list(
            EvaluationStatus::Active,
            &duties,
            Some(p("2022-02")),
            |_, _| None,
            as_of
        )
        .is_empty());
        assert!(overdue_list(
            EvaluationStatus::Active,
            &duties,
            Some(p("2022-06")),
            |_, _| None,
            as_of
        )
        .is_empty());
    }

    #[test]
    fn a_period_outside_the_span_is_refused() {
        let span = (p("2021-09"), p("2022-09"));
        assert!(check_period_in_span(p("2021-09"), span).is_ok());
        assert!(check_period_in_span(p("2022-09"), span).is_ok());
        assert!(check_period_in_span(p("2021-08"), span).is_err());
        assert!(check_period_in_span(p("2022-10"), span).is_err());
    }

    fn status() -> impl Strategy<Value = SubmissionStatus> {
        prop_oneof![
            Just(SubmissionStatus::Draft),
            Just(SubmissionStatus::Submitted),
            Just(SubmissionStatus::Approved),
            Just(SubmissionStatus::Returned),
        ]
    }

    fn frequency() -> impl Strategy<Value = Frequency> {
        prop_oneof![
            Just(Frequency::Monthly),
            Just(Frequency::Quarterly),
            Just(Frequency::Semiannual),
            Just(Frequency::Annual),
        ]
    }

    proptest! {
        /// Every expected-and-missing pair appears on the overdue list exactly once; nothing
        /// received (on time or late) appears; the work list has every overdue pair that was not
        /// returned by `as_of` as overdue, nothing received unless returned, and nothing whose
        /// month has not ended.
        #[test]
        fn the_lists_follow_expected_and_received(
            frequencies in proptest::collection::vec(frequency(), 1..4),
            deadline_day in 1u32..=28,
            as_of_hours in 0i64..(24 * 500),
            reports in proptest::collection::vec(
                (
                    (0usize..4, 0u32..13, status()),
                    (proptest::option::of(-2000i64..2000), 0i64..2000),
                ),
                0..30,
            ),
        ) {
            let start = p("2021-09");
            let as_of = Utc.with_ymd_and_hms(2021, 9, 1, 0, 0, 0).single().expect("instant")
                + Duration::hours(as_of_hours);
            let duties: Vec<Duty<usize>> = frequencies
                .iter()
                .enumerate()
                .map(|(key, f)| Duty { key, reporting_months: span_months(*f), deadline_day })
                .collect();
            let mut filed: BTreeMap<(usize, Period), FiledReport> = BTreeMap::new();
            for (n, ((key, offset, status), (hours, changed))) in reports.into_iter().enumerate() {
                let period = Period::range(start, p("2022-09")).nth(offset as usize).expect("month");
                let first = match (status, hours) {
                    (SubmissionStatus::Draft, _) => None,
                    (_, None) => Some(period.due_at(deadline_day)),
                    (_, Some(h)) => Some(period.due_at(deadline_day) + Duration::hours(h)),
                };
                // Changed last at or after its first submission (a draft: from the month's start).
                let updated_at = first.unwrap_or_else(|| period.due_at(1) - Duration::days(28))
                    + Duration::hours(changed);
                filed.insert(
                    (key, period),
                    FiledReport { id: n as i64, status, first_submitted_at: first, updated_at },
                );
            }
            let report_of = |k: &usize, period: Period| filed.get(&(*k, period)).copied();
            let overdue = overdue_list(EvaluationStatus::Active, &duties, None, report_of, as_of);
            let listed: Vec<(usize, Period)> = overdue.iter().map(|i| (i.key, i.period)).collect();
            let unique: BTreeSet<(usize, Period)> = listed.iter().copied().collect();
            prop_assert_eq!(unique.len(), listed.len());
            let mut missing = BTreeSet::new();
            for duty in &duties {
                let months = &duty.reporting_months;
                let window = (months[0], months[months.len() - 1]);
                for period in expected_periods(months, window, deadline_day, as_of) {
                    let report = report_of(&duty.key, period);
                    let fate = receipt(period.due_at(deadline_day), report.map(FiledReport::facts), as_of);
                    if fate == Receipt::Missing {
                        missing.insert((duty.key, period));
                    } else {
                        prop_assert!(!unique.contains(&(duty.key, period)));
                    }
                }
            }
            prop_assert_eq!(&unique, &missing);
            prop_assert!(listed.windows(2).all(|w| w[0] <= w[1]));
            for item in &overdue {
                prop_assert!(item.due_at <= as_of && item.days_late >= 1);
            }
            let work = work_list(&duties, report_of, as_of);
            for item in &work {
                let counted_in_time = item.report.is_some_and(|r| {
                    r.status.is_counted() && r.first_submitted_at.is_some_and(|t| t <= as_of)
                });
                prop_assert!(!counted_in_time || item.state == WorkState::Returned);
                match item.state {
                    WorkState::Overdue => prop_assert!(missing.contains(&(item.key, item.period))),
                    WorkState::Due => prop_assert!(
                        item.due_at > as_of && month_ended(item.period, as_of)
                            && item.days_left.is_some_and(|d| d >= 1)
                    ),
                    WorkState::Returned => {
                        let returned_by_then = item.report.is_some_and(|r| {
                            r.status == SubmissionStatus::Returned && r.updated_at <= as_of
                        });
                        prop_assert!(returned_by_then);
                    }
                }
                prop_assert!(month_ended(item.period, as_of));
            }
            for (key, period) in &missing {
                let returned = report_of(key, *period).is_some_and(|r| {
                    r.status == SubmissionStatus::Returned && r.updated_at <= as_of
                });
                let state = if returned { WorkState::Returned } else { WorkState::Overdue };
                prop_assert_eq!(
                    work.iter().filter(|i| i.key == *key && i.period == *period && i.state == state).count(),
                    1
                );
            }
        }
    }
}
