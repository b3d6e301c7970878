//! The facts of a round's summary and of its indicator drill-down, in a constant number of
//! queries whatever the size of the evaluation: components, indicators, the reporting
//! assignments with their organizations, and the received reports summed up per (indicator,
//! organization) by the database (`FACTS`). The rules are the domain's (`domain::summary`).

use std::sync::LazyLock;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Integer, Text, Timestamp};

use super::assignments::reporting_roles;
use super::evaluations::EvaluationRow;
use super::organizations::{self as organizations_rows, OrganizationRow};
use super::rounds::{self, RoundRow};
use super::schema::{assignments, indicators, organizations, submissions};
use super::{
    components, decode, engine_sql, indicators as indicator_rows, to_utc, written, Access,
    DbConnection,
};
use crate::domain::criteria::Criteria;
use crate::domain::period::Period;
use crate::domain::scoring::{SubmissionStatus, ValueFacts};
use crate::domain::summary::{
    Calendar, ComponentInput, IndicatorInput, MonthSet, OrganizationInput, ReceivedFacts,
    ReportingAssignment, RoundFacts,
};
use crate::error::{Error, Result};
use crate::policy::Caller;

/// The received reports of an evaluation's window at `as_of`, summed up per (indicator,
/// organization): of a counted status now (`SubmissionStatus::is_counted`), first submitted by
/// `as_of` ($4), of a period in the window and due by `as_of` ($2 … $3: the window's start to
/// the earlier of its end and `Period::last_due_by`), of a reporting assignment
/// (`AssignmentRole::reports`). `received_months` and `on_time_months` are `MonthSet` bits:
/// 2^(months from the window's start; $5 = the start's year × 12 + month). `latest` is the
/// value of the latest period (a window function, which both engines have). $6 = 0 for every
/// indicator, else one. One row per pair, never one per report.
static FACTS: LazyLock<String> = LazyLock::new(|| {
    let quoted = |names: Vec<&str>| {
        names
            .iter()
            .map(|name| format!("'{name}'"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let counted = SubmissionStatus::ALL
        .iter()
        .filter(|status| status.is_counted())
        .map(|status| status.as_str())
        .collect();
    format!(
        "\
WITH counted AS (
    SELECT s.indicator_id, s.organization_id, s.value, s.on_time,
           CAST(SUBSTR(s.period, 1, 4) AS INTEGER) * 12 + CAST(SUBSTR(s.period, 6, 2) AS INTEGER) - $5
               AS month_offset,
           ROW_NUMBER() OVER (PARTITION BY s.indicator_id, s.organization_id ORDER BY s.period DESC)
               AS recency
    FROM submissions s
    JOIN assignments a ON a.indicator_id = s.indicator_id AND a.organization_id = s.organization_id
    WHERE s.evaluation_id = $1
      AND s.period >= $2 AND s.period <= $3
      AND s.status IN ({counted})
      AND s.first_submitted_at <= $4
      AND a.role IN ({reporting})
      AND ($6 = 0 OR s.indicator_id = $6)
)
SELECT indicator_id, organization_id,
       COUNT(*) AS received,
       CAST(SUM(CAST(1 AS BIGINT) << month_offset) AS BIGINT) AS received_months,
       CAST(SUM(CASE WHEN on_time THEN CAST(1 AS BIGINT) << month_offset ELSE 0 END) AS BIGINT)
           AS on_time_months,
       SUM(value) AS value_sum,
       MIN(value) AS value_min,
       MAX(value) AS value_max,
       MAX(CASE WHEN recency = 1 THEN value END) AS latest
FROM counted
GROUP BY indicator_id, organization_id",
        counted = quoted(counted),
        reporting = quoted(reporting_roles()),
    )
});

#[derive(QueryableByName)]
struct FactsRow {
    #[diesel(sql_type = BigInt)]
    indicator_id: i64,
    #[diesel(sql_type = BigInt)]
    organization_id: i64,
    #[diesel(sql_type = BigInt)]
    received: i64,
    #[diesel(sql_type = BigInt)]
    received_months: i64,
    #[diesel(sql_type = BigInt)]
    on_time_months: i64,
    #[diesel(sql_type = Double)]
    value_sum: f64,
    #[diesel(sql_type = Double)]
    value_min: f64,
    #[diesel(sql_type = Double)]
    value_max: f64,
    #[diesel(sql_type = Double)]
    latest: f64,
}

/// The facts of `evaluation`'s summary over `window` at `as_of`, or of one indicator
/// (`only`, for the drill-down). Components in id order, indicators by component then id,
/// organizations by code (the same on both engines: sorted here, not by a collation).
pub fn round_facts(
    conn: &mut DbConnection,
    evaluation: &EvaluationRow,
    window: (Period, Period),
    as_of: DateTime<Utc>,
    only: Option<i64>,
) -> Result<RoundFacts> {
    let deadline_day = u32::try_from(evaluation.deadline_day).unwrap_or(1);
    let components: Vec<ComponentInput> = components::all_of(conn, evaluation.id)?
        .into_iter()
        .map(|row| ComponentInput {
            id: row.id,
            code: row.code,
            name: row.name,
            weight: row.weight,
        })
        .collect();
    let mut indicators = Vec::new();
    for stored in indicator_rows::of_evaluation(conn, evaluation.id)? {
        if only.is_some_and(|id| id != stored.id) {
            continue;
        }
        let spec = stored.spec;
        let criteria = Criteria::new(spec.criteria, "criteria").map_err(|_| {
            super::unreadable(indicator_rows::ENTITY, stored.id, "criteria", "breakpoints")
        })?;
        indicators.push(IndicatorInput {
            id: stored.id,
            component_id: stored.component_id,
            code: spec.code,
            name: spec.name,
            unit: spec.unit,
            frequency: spec.frequency,
            over_time: spec.over_time,
            across_orgs: spec.across_orgs,
            score_basis: spec.score_basis,
            baseline: spec.baseline,
            target: spec.target,
            weight: spec.weight,
            criteria,
        });
    }
    let position = |component_id: i64| components.iter().position(|c| c.id == component_id);
    indicators.sort_by_key(|i| (position(i.component_id), i.id));
    let (assignments, organizations) = reporting_assignments(conn, evaluation.id, only)?;
    let last_due = Period::last_due_by(as_of, deadline_day);
    let received = if window.0 <= last_due.min(window.1) {
        received_facts(conn, evaluation.id, window, last_due, as_of, only)?
    } else {
        Vec::new()
    };
    Ok(RoundFacts {
        calendar: Calendar {
            fiscal_year: evaluation.fiscal_year(),
            span: evaluation.span(),
            deadline_day,
        },
        window,
        as_of,
        components,
        indicators,
        assignments,
        organizations,
        received,
    })
}

/// The reporting assignments of the evaluation (or of one indicator) and their
/// organizations, in one query.
fn reporting_assignments(
    conn: &mut DbConnection,
    evaluation_id: i64,
    only: Option<i64>,
) -> Result<(Vec<ReportingAssignment>, Vec<OrganizationInput>)> {
    let mut query = assignments::table
        .inner_join(indicators::table)
        .inner_join(organizations::table)
        .filter(indicators::evaluation_id.eq(evaluation_id))
        .filter(assignments::role.eq_any(reporting_roles()))
        .select((
            assignments::indicator_id,
            assignments::organization_id,
            assignments::baseline,
            assignments::target,
            organizations::code,
            organizations::name_th,
        ))
        .order(assignments::id.asc())
        .into_boxed();
    if let Some(indicator_id) = only {
        query = query.filter(assignments::indicator_id.eq(indicator_id));
    }
    type Row = (i64, i64, Option<f64>, Option<f64>, String, String);
    let rows: Vec<Row> = query.load(conn)?;
    let mut organizations: Vec<OrganizationInput> = Vec::new();
    let mut assignments = Vec::with_capacity(rows.len());
    for (indicator_id, organization_id, baseline, target, code, name_th) in rows {
        assignments.push(ReportingAssignment {
            indicator_id,
            organization_id,
            baseline,
            target,
        });
        if !organizations.iter().any(|o| o.id == organization_id) {
            organizations.push(OrganizationInput {
                id: organization_id,
                code,
                name_th,
            });
        }
    }
    organizations.sort_by(|a, b| a.code.cmp(&b.code).then(a.id.cmp(&b.id)));
    Ok((assignments, organizations))
}

fn received_facts(
    conn: &mut DbConnection,
    evaluation_id: i64,
    window: (Period, Period),
    last_due: Period,
    as_of: DateTime<Utc>,
    only: Option<i64>,
) -> Result<Vec<ReceivedFacts>> {
    let start = window.0;
    let start_index = start.year() * 12 + i32::try_from(start.month()).unwrap_or(1);
    let rows: Vec<FactsRow> = diesel::sql_query(engine_sql(conn, FACTS.as_str()))
        .bind::<BigInt, _>(evaluation_id)
        .bind::<Text, _>(start.to_string())
        .bind::<Text, _>(window.1.min(last_due).to_string())
        .bind::<Timestamp, _>(as_of.naive_utc())
        .bind::<Integer, _>(start_index)
        .bind::<BigInt, _>(only.unwrap_or(0))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|row| ReceivedFacts {
            indicator_id: row.indicator_id,
            organization_id: row.organization_id,
            received: MonthSet::from_bits(row.received_months),
            on_time: MonthSet::from_bits(row.on_time_months),
            values: ValueFacts {
                count: u32::try_from(row.received).unwrap_or(u32::MAX),
                sum: row.value_sum,
                min: row.value_min,
                max: row.value_max,
                latest: row.latest,
            },
        })
        .collect())
}

/// One report of the drill-down's list, as it is now.
#[derive(Debug, Clone)]
pub struct WindowReport {
    pub id: i64,
    pub organization_id: i64,
    pub period: Period,
    pub value: Option<f64>,
    pub status: SubmissionStatus,
    pub first_submitted_at: Option<DateTime<Utc>>,
    pub on_time: Option<bool>,
}

/// Every report of an indicator in the window whatever its status, of these organizations,
/// by organization then period.
pub fn reports_in_window(
    conn: &mut DbConnection,
    indicator_id: i64,
    window: (Period, Period),
    organization_ids: &[i64],
) -> Result<Vec<WindowReport>> {
    type Row = (
        i64,
        i64,
        String,
        Option<f64>,
        String,
        Option<NaiveDateTime>,
        Option<bool>,
    );
    let rows: Vec<Row> = submissions::table
        .filter(submissions::indicator_id.eq(indicator_id))
        .filter(submissions::organization_id.eq_any(organization_ids))
        .filter(submissions::period.ge(window.0.to_string()))
        .filter(submissions::period.le(window.1.to_string()))
        .order((
            submissions::organization_id.asc(),
            submissions::period.asc(),
        ))
        .select((
            submissions::id,
            submissions::organization_id,
            submissions::period,
            submissions::value,
            submissions::status,
            submissions::first_submitted_at,
            submissions::on_time,
        ))
        .load(conn)?;
    let entity = super::submissions::ENTITY;
    rows.into_iter()
        .map(
            |(id, organization_id, period, value, status, first_submitted_at, on_time)| {
                Ok(WindowReport {
                    id,
                    organization_id,
                    period: decode(entity, id, "period", &period, |t| t.parse().ok())?,
                    value,
                    status: decode(entity, id, "status", &status, SubmissionStatus::parse)?,
                    first_submitted_at: first_submitted_at.map(to_utc),
                    on_time,
                })
            },
        )
        .collect()
}

/// What a summary is of: the round, its evaluation and the evaluation's province (its title
/// row names them).
pub struct RoundContext {
    pub round: RoundRow,
    pub evaluation: EvaluationRow,
    pub province: OrganizationRow,
}

/// The round in view (404 otherwise), its evaluation and province: four queries (the round's
/// evaluation id, the evaluation in the caller's view, the round, the province).
fn context(conn: &mut DbConnection, caller: &Caller, round_id: i64) -> Result<RoundContext> {
    let (round, evaluation) = rounds::get(conn, caller, round_id, Access::Read)?;
    let province = written(
        organizations_rows::find(conn, evaluation.province_id)?,
        organizations_rows::ENTITY,
        evaluation.province_id,
    )?;
    Ok(RoundContext {
        round,
        evaluation,
        province,
    })
}

/// A round's context and the facts of its summary at `as_of`, as `caller` reads them (404 when
/// the round is not in view): four queries for the context, four for the facts, whatever the
/// size of the evaluation (`tests/api/summary.rs` counts them).
pub fn of_round(
    conn: &mut DbConnection,
    caller: &Caller,
    round_id: i64,
    as_of: DateTime<Utc>,
) -> Result<(RoundContext, RoundFacts)> {
    let context = context(conn, caller, round_id)?;
    let facts = round_facts(
        conn,
        &context.evaluation,
        context.round.window(),
        as_of,
        None,
    )?;
    Ok((context, facts))
}

/// The drill-down's facts: one indicator of the round's evaluation (404 otherwise), its
/// reporting organizations, and the reports in the window of those whose reports the caller
/// reads (`Caller::report_scope`: an agency officer only its own organization's).
pub struct DrillDown {
    pub context: RoundContext,
    pub facts: RoundFacts,
    /// The organizations whose report list the caller may see.
    pub readable: Vec<i64>,
    pub reports: Vec<WindowReport>,
}

pub fn indicator_of_round(
    conn: &mut DbConnection,
    caller: &Caller,
    round_id: i64,
    indicator_id: i64,
    as_of: DateTime<Utc>,
) -> Result<DrillDown> {
    let context = context(conn, caller, round_id)?;
    let window = context.round.window();
    let facts = round_facts(conn, &context.evaluation, window, as_of, Some(indicator_id))?;
    if facts.indicators.is_empty() {
        return Err(Error::not_found(indicator_rows::ENTITY, indicator_id));
    }
    let scope = caller.report_scope();
    let province_id = context.evaluation.province_id;
    let readable: Vec<i64> = facts
        .organizations
        .iter()
        .map(|organization| organization.id)
        .filter(|id| scope.includes(province_id, *id))
        .collect();
    let reports = reports_in_window(conn, indicator_id, window, &readable)?;
    Ok(DrillDown {
        context,
        facts,
        readable,
        reports,
    })
}
