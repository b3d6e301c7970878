//! The facts of an organization's work list and of an evaluation's overdue list, each in a
//! few queries (the organization or evaluation, the reporting assignments with their
//! indicators, the reports). The rules are the domain's (`domain::worklist`); who may read is
//! the policy's (`Caller::may_read_work_list`, `Caller::report_scope`).

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::assignments::{organization_assigned_in, reporting_roles};
use super::evaluations::{self, EvaluationRow, EvaluationStatus};
use super::organizations::{self, OrganizationRow};
use super::schema::{
    assignments, evaluations as evaluation_table, indicators, organizations as org_table,
    submissions,
};
use super::{decode, to_utc, Access, DbConnection};
use crate::domain::period::{Frequency, Period};
use crate::domain::scoring::SubmissionStatus;
use crate::domain::worklist::{
    self, check_period_in_span, Duty, FiledReport, OverdueItem, WorkItem, WorkState,
};
use crate::error::{Error, Result};
use crate::policy::{Caller, ReportScope};

/// An indicator as a list names it.
#[derive(Debug, Clone)]
pub struct IndicatorRef {
    pub evaluation_id: i64,
    pub id: i64,
    pub code: String,
    pub name: String,
}

/// One item of an organization's work list, with what a person reads it by.
#[derive(Debug, Clone)]
pub struct WorkEntry {
    pub indicator: IndicatorRef,
    pub item: WorkItem<usize>,
    /// The comment of a returned report.
    pub review_comment: Option<String>,
}

/// One overdue pair, with the assignment's contact to chase.
#[derive(Debug, Clone)]
pub struct OverdueEntry {
    pub organization_id: i64,
    pub organization_code: String,
    pub organization_name_th: String,
    pub indicator: IndicatorRef,
    pub contact_name: Option<String>,
    pub contact_position: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
    pub item: OverdueItem<usize>,
}

/// A report's facts as the lists read them.
#[derive(Queryable)]
struct ReportRow {
    id: i64,
    indicator_id: i64,
    organization_id: i64,
    period: String,
    status: String,
    first_submitted_at: Option<NaiveDateTime>,
    review_comment: Option<String>,
    updated_at: NaiveDateTime,
}

struct Reports {
    filed: HashMap<(i64, i64, Period), FiledReport>,
    comments: HashMap<i64, String>,
}

impl Reports {
    fn read(rows: Vec<ReportRow>) -> Result<Self> {
        let mut filed = HashMap::new();
        let mut comments = HashMap::new();
        for row in rows {
            let entity = super::submissions::ENTITY;
            let period = decode(entity, row.id, "period", &row.period, |t| t.parse().ok())?;
            let status = decode(
                entity,
                row.id,
                "status",
                &row.status,
                SubmissionStatus::parse,
            )?;
            filed.insert(
                (row.indicator_id, row.organization_id, period),
                FiledReport {
                    id: row.id,
                    status,
                    first_submitted_at: row.first_submitted_at.map(to_utc),
                    updated_at: to_utc(row.updated_at),
                },
            );
            if let Some(comment) = row.review_comment {
                comments.insert(row.id, comment);
            }
        }
        Ok(Self { filed, comments })
    }

    fn of(&self, indicator_id: i64, organization_id: i64, period: Period) -> Option<FiledReport> {
        self.filed
            .get(&(indicator_id, organization_id, period))
            .copied()
    }
}

fn frequency(indicator_id: i64, text: &str) -> Result<Frequency> {
    decode(
        "indicator",
        indicator_id,
        "frequency",
        text,
        Frequency::parse,
    )
}

/// The reporting months of an indicator of `evaluation`.
fn duty(evaluation: &EvaluationRow, key: usize, frequency: Frequency) -> Duty<usize> {
    let (start, end) = evaluation.span();
    Duty {
        key,
        reporting_months: frequency.reporting_months(evaluation.fiscal_year(), start, end),
        deadline_day: u32::try_from(evaluation.deadline_day).unwrap_or(1),
    }
}

/// Organization `organization_id`'s work list at `as_of` (`domain::worklist::work_list`), over
/// the active evaluations it reports in (as host or co-host) that the caller sees, or only
/// `evaluation_id`: 404 when the organization is not in view, 403 for an agency officer of
/// another organization.
pub fn work_list(
    conn: &mut DbConnection,
    caller: &Caller,
    organization_id: i64,
    evaluation_id: Option<i64>,
    as_of: DateTime<Utc>,
) -> Result<(OrganizationRow, Vec<WorkEntry>)> {
    let organization = organizations::get(conn, caller, organization_id, Access::Read)?;
    caller.may_read_work_list(organization.id)?;
    let active = evaluation_table::table
        .filter(evaluation_table::status.eq(EvaluationStatus::Active.as_str()))
        .select(evaluation_table::id);
    let mut query = assignments::table
        .inner_join(indicators::table)
        .filter(assignments::organization_id.eq(organization.id))
        .filter(assignments::role.eq_any(reporting_roles()))
        .filter(indicators::evaluation_id.eq_any(active))
        .select((
            indicators::evaluation_id,
            indicators::id,
            indicators::code,
            indicators::name,
            indicators::frequency,
        ))
        .into_boxed();
    if let Some(evaluation_id) = evaluation_id {
        query = query.filter(indicators::evaluation_id.eq(evaluation_id));
    }
    let rows: Vec<(i64, i64, String, String, String)> = query.load(conn)?;
    // The active evaluations it reports in: one or two (one a fiscal year).
    let mut evaluations: HashMap<i64, EvaluationRow> = HashMap::new();
    for (evaluation_id, ..) in &rows {
        if !evaluations.contains_key(evaluation_id) {
            if let Some(evaluation) = evaluations::find(conn, *evaluation_id)? {
                evaluations.insert(*evaluation_id, evaluation);
            }
        }
    }
    let scope = caller.report_scope();
    evaluations.retain(|_, e| scope.includes(e.province_id, organization.id));
    let mut indicators: Vec<(IndicatorRef, String)> = rows
        .into_iter()
        .filter(|row| evaluations.contains_key(&row.0))
        .map(|(evaluation_id, id, code, name, frequency)| {
            (
                IndicatorRef {
                    evaluation_id,
                    id,
                    code,
                    name,
                },
                frequency,
            )
        })
        .collect();
    // The key orders ties: by indicator code, then evaluation and indicator.
    indicators.sort_by(|(a, _), (b, _)| {
        (&a.code, a.evaluation_id, a.id).cmp(&(&b.code, b.evaluation_id, b.id))
    });
    let mut duties = Vec::with_capacity(indicators.len());
    for (key, (indicator, text)) in indicators.iter().enumerate() {
        if let Some(evaluation) = evaluations.get(&indicator.evaluation_id) {
            duties.push(duty(evaluation, key, frequency(indicator.id, text)?));
        }
    }
    let evaluation_ids: Vec<i64> = evaluations.keys().copied().collect();
    let reports = Reports::read(
        submissions::table
            .filter(submissions::organization_id.eq(organization.id))
            .filter(submissions::evaluation_id.eq_any(evaluation_ids))
            .select(report_columns())
            .load(conn)?,
    )?;
    let items = worklist::work_list(
        &duties,
        |key, period| reports.of(indicators[*key].0.id, organization.id, period),
        as_of,
    );
    let entries = items
        .into_iter()
        .map(|item| WorkEntry {
            indicator: indicators[item.key].0.clone(),
            // The comment of a return that had happened by `as_of` only.
            review_comment: item
                .report
                .filter(|_| item.state == WorkState::Returned)
                .and_then(|r| reports.comments.get(&r.id).cloned()),
            item,
        })
        .collect();
    Ok((organization, entries))
}

#[allow(clippy::type_complexity)]
fn report_columns() -> (
    submissions::id,
    submissions::indicator_id,
    submissions::organization_id,
    submissions::period,
    submissions::status,
    submissions::first_submitted_at,
    submissions::review_comment,
    submissions::updated_at,
) {
    (
        submissions::id,
        submissions::indicator_id,
        submissions::organization_id,
        submissions::period,
        submissions::status,
        submissions::first_submitted_at,
        submissions::review_comment,
        submissions::updated_at,
    )
}

/// A reporting assignment as the overdue list reads it.
#[derive(Queryable)]
struct ReporterRow {
    organization_id: i64,
    organization_code: String,
    organization_name_th: String,
    indicator_id: i64,
    indicator_code: String,
    indicator_name: String,
    frequency: String,
    contact_name: Option<String>,
    contact_position: Option<String>,
    contact_phone: Option<String>,
    contact_email: Option<String>,
}

/// The evaluation whose overdue list the caller reads, and whose rows only (None: every
/// organization's): an evaluation in view, every row, or an agency officer's own; else one
/// the caller's organization is assigned in (a national or regional unit serving a
/// province's evaluation), its own rows; else 404.
fn overdue_list_of(
    conn: &mut DbConnection,
    caller: &Caller,
    evaluation_id: i64,
) -> Result<(EvaluationRow, Option<i64>)> {
    let not_found = || Error::not_found(evaluations::ENTITY, evaluation_id);
    let evaluation = evaluations::find(conn, evaluation_id)?.ok_or_else(not_found)?;
    if caller.visibility().includes(Some(evaluation.province_id)) {
        let own = match caller.report_scope() {
            ReportScope::Organization(own) => Some(own),
            ReportScope::Area(_) => None,
        };
        return Ok((evaluation, own));
    }
    match caller.organization_id() {
        Some(own) if organization_assigned_in(conn, own, evaluation.id)? => {
            Ok((evaluation, Some(own)))
        }
        _ => Err(not_found()),
    }
}

/// Evaluation `evaluation_id`'s overdue list at `as_of`, of every reporting month or only
/// `period` (`domain::worklist::overdue_list`; empty for a draft): 404 when the evaluation is
/// neither in view nor one the caller's organization is assigned in, 422 naming `period`
/// outside its span; an agency officer, or a caller who reads it through its organization's
/// assignment, gets its own organization's pairs only.
pub fn overdue_list(
    conn: &mut DbConnection,
    caller: &Caller,
    evaluation_id: i64,
    period: Option<Period>,
    as_of: DateTime<Utc>,
) -> Result<(EvaluationRow, Vec<OverdueEntry>)> {
    let (evaluation, own) = overdue_list_of(conn, caller, evaluation_id)?;
    if let Some(period) = period {
        check_period_in_span(period, evaluation.span())?;
    }
    let mut query = assignments::table
        .inner_join(indicators::table)
        .inner_join(org_table::table)
        .filter(indicators::evaluation_id.eq(evaluation.id))
        .filter(assignments::role.eq_any(reporting_roles()))
        .select((
            org_table::id,
            org_table::code,
            org_table::name_th,
            indicators::id,
            indicators::code,
            indicators::name,
            indicators::frequency,
            assignments::contact_name,
            assignments::contact_position,
            assignments::contact_phone,
            assignments::contact_email,
        ))
        .into_boxed();
    let mut reports = submissions::table
        .filter(submissions::evaluation_id.eq(evaluation.id))
        .select(report_columns())
        .into_boxed();
    if let Some(own) = own {
        query = query.filter(assignments::organization_id.eq(own));
        reports = reports.filter(submissions::organization_id.eq(own));
    }
    if let Some(period) = period {
        reports = reports.filter(submissions::period.eq(period.to_string()));
    }
    let mut reporters: Vec<ReporterRow> = query.load(conn)?;
    reporters.sort_by(|a, b| {
        (&a.organization_code, &a.indicator_code, a.indicator_id).cmp(&(
            &b.organization_code,
            &b.indicator_code,
            b.indicator_id,
        ))
    });
    let reports = Reports::read(reports.load(conn)?)?;
    let mut duties = Vec::with_capacity(reporters.len());
    for (key, reporter) in reporters.iter().enumerate() {
        let frequency = frequency(reporter.indicator_id, &reporter.frequency)?;
        duties.push(duty(&evaluation, key, frequency));
    }
    let items = worklist::overdue_list(
        evaluation.status(),
        &duties,
        period,
        |key, period| {
            let reporter = &reporters[*key];
            reports.of(reporter.indicator_id, reporter.organization_id, period)
        },
        as_of,
    );
    let entries = items
        .into_iter()
        .map(|item| {
            let reporter = &reporters[item.key];
            OverdueEntry {
                organization_id: reporter.organization_id,
                organization_code: reporter.organization_code.clone(),
                organization_name_th: reporter.organization_name_th.clone(),
                indicator: IndicatorRef {
                    evaluation_id: evaluation.id,
                    id: reporter.indicator_id,
                    code: reporter.indicator_code.clone(),
                    name: reporter.indicator_name.clone(),
                },
                contact_name: reporter.contact_name.clone(),
                contact_position: reporter.contact_position.clone(),
                contact_phone: reporter.contact_phone.clone(),
                contact_email: reporter.contact_email.clone(),
                item,
            }
        })
        .collect();
    Ok((evaluation, entries))
}
