//! The facts of a round's summary and of its indicator drill-down, and of many summaries at
//! once (a ranking's), in a constant number of queries whatever the size of the evaluations
//! and their number: components, indicators, the reporting assignments with their
//! organizations, and the received reports summed up per (summary, indicator, organization)
//! by the database (`FACTS`). The rules are the domain's (`domain::summary`).

use std::collections::HashMap;
use std::sync::LazyLock;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Integer, Nullable, Text, Timestamp};

use super::assignments::reporting_roles;
use super::components::ComponentRow;
use super::evaluations::EvaluationRow;
use super::indicators::{self as indicator_rows, IndicatorRow};
use super::organizations::{self as organizations_rows, OrganizationRow};
use super::rounds::{self, RoundRow};
use super::schema::{
    assignments, components as component_table, indicators, organizations, submissions,
};
use super::{decode, engine_sql, to_utc, written, Access, DbConnection, MultiBackend};
use crate::domain::criteria::Criteria;
use crate::domain::period::Period;
use crate::domain::scoring::{reads_latest, OverTime, ScoreBasis, SubmissionStatus, ValueFacts};
use crate::domain::summary::{
    Calendar, ComponentInput, IndicatorInput, MonthSet, OrganizationInput, ReceivedFacts,
    ReportingAssignment, RoundFacts,
};
use crate::error::{Error, Result};
use crate::policy::Caller;

/// The received reports of many (evaluation, window) pairs at `as_of`, summed up per (pair,
/// indicator, organization): of a counted status now (`SubmissionStatus::is_counted`), first
/// submitted by `as_of` ($1), of a period in the pair's window and due by `as_of` (`bounds`:
/// the window's start to the earlier of its end and `Period::last_due_by` with the
/// evaluation's deadline day). Not filtered by assignment: the domain reads the facts of
/// reporting assignments only (`RoundFacts::assignments`, from `reporting_assignments`), so the
/// rule stays there and no report or group pays a probe of its assignment.
/// `received_months` and `on_time_months` are `MonthSet` bits: 2^(months from the window's
/// start; `start_index` = the start's year × 12 + month, as `month_index`). `latest` is the
/// value of the latest received period, for the indicators that read it
/// (`scoring::reads_latest`, else NULL): the report at that period, found by the
/// one-per-period unique index. $2 = 0 for every indicator, else one. `bounds` is a `VALUES`
/// list of one row of binds per pair (`{bounds}`: $3 … $7, $8 … $12, …), so one statement
/// reads every pair: one row per (pair, indicator, organization), never one per report; the
/// same text on both engines but for the report's month (`{month_index}`).
///
/// Reports are grouped first (an index-only range scan of `submissions_facts`); each group of
/// an indicator reading it then finds its latest report by the one-per-period unique index (a
/// scalar subquery: one probe per such group). At national size (1.3 M reports) the assignment
/// joined per report let PostgreSQL start from every assignment nationwide (1.3 s for one
/// province's summary), and a window function ranking every report cost more than the
/// grouping itself (issue 14).
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
    let month_bit = "(CAST(1 AS BIGINT) << ({month_index} - b.start_index))";
    format!(
        "\
WITH bounds (k, evaluation_id, first_period, last_period, start_index) AS (
    VALUES {{bounds}}
),
grouped AS (
    SELECT b.k, s.indicator_id, s.organization_id,
           COUNT(*) AS received,
           CAST(SUM({month_bit}) AS BIGINT) AS received_months,
           CAST(SUM(CASE WHEN s.on_time THEN {month_bit} ELSE 0 END) AS BIGINT) AS on_time_months,
           SUM(s.value) AS value_sum,
           MIN(s.value) AS value_min,
           MAX(s.value) AS value_max,
           MAX(s.period) AS latest_period
    FROM bounds b
    JOIN submissions s ON s.evaluation_id = b.evaluation_id
    WHERE s.period >= b.first_period AND s.period <= b.last_period
      AND s.status IN ({counted})
      AND s.first_submitted_at <= $1
      AND ($2 = 0 OR s.indicator_id = $2)
    GROUP BY b.k, s.indicator_id, s.organization_id
)
SELECT g.k, g.indicator_id, g.organization_id, g.received, g.received_months, g.on_time_months,
       g.value_sum, g.value_min, g.value_max,
       CASE WHEN (i.score_basis, i.over_time) IN ({reading_latest}) THEN
           (SELECT latest.value FROM submissions latest
            WHERE latest.indicator_id = g.indicator_id
              AND latest.organization_id = g.organization_id
              AND latest.period = g.latest_period)
       END AS latest
FROM grouped g
JOIN indicators i ON i.id = g.indicator_id",
        counted = quoted(counted),
        reading_latest = reading_latest(),
    )
});

/// The (score basis, over time) pairs that read the latest value (`scoring::reads_latest`),
/// as a list of SQL row values: `('value', 'latest')`.
fn reading_latest() -> String {
    let mut pairs = Vec::new();
    for basis in ScoreBasis::ALL {
        for over_time in OverTime::ALL {
            if reads_latest(*basis, *over_time) {
                pairs.push(format!("('{}', '{}')", basis.as_str(), over_time.as_str()));
            }
        }
    }
    pairs.join(", ")
}

/// Binds before `bounds`' ($1 `as_of`, $2 the one indicator), and per row of `bounds`.
const FIXED_BINDS: usize = 2;
const BINDS_PER_BOUND: usize = 5;

/// A report's year × 12 + month: on PostgreSQL the column the database generates from
/// `period` (migration 000010; parsing the period per report was a third of a national
/// ranking), on SQLite parsed from `period` (a virtual column in the covering index would make
/// SQLite read every report's row for it, and its parsing is cheap).
fn month_index(conn: &DbConnection) -> &'static str {
    match conn {
        DbConnection::Postgres(_) => "s.month_index",
        DbConnection::Sqlite(_) => {
            "(CAST(SUBSTR(s.period, 1, 4) AS INTEGER) * 12 + CAST(SUBSTR(s.period, 6, 2) AS INTEGER))"
        }
    }
}

/// A period's year × 12 + month: what `month_index` is for a report.
fn month_number(period: Period) -> i32 {
    period.year() * 12 + i32::try_from(period.month()).unwrap_or(1)
}

/// The facts statement for `pairs` rows of `bounds`, for `conn`'s engine.
fn facts_sql(conn: &DbConnection, pairs: usize) -> String {
    let rows: Vec<String> = (0..pairs)
        .map(|i| {
            let first = FIXED_BINDS + i * BINDS_PER_BOUND + 1;
            let binds: Vec<String> = (first..first + BINDS_PER_BOUND)
                .map(|n| format!("${n}"))
                .collect();
            format!("({})", binds.join(", "))
        })
        .collect();
    FACTS
        .replace("{bounds}", &rows.join(", "))
        .replace("{month_index}", month_index(conn))
}

#[derive(QueryableByName)]
struct FactsRow {
    #[diesel(sql_type = BigInt)]
    k: i64,
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
    /// NULL for an indicator that does not read it (`scoring::reads_latest`).
    #[diesel(sql_type = Nullable<Double>)]
    latest: Option<f64>,
}

/// What one summary is of: an evaluation and a round's window.
#[derive(Debug, Clone, Copy)]
pub struct FactsRequest<'a> {
    pub evaluation: &'a EvaluationRow,
    pub window: (Period, Period),
}

/// The facts of `evaluation`'s summary over `window` at `as_of`, or of one indicator
/// (`only`, for the drill-down): `many_round_facts` of one pair.
pub fn round_facts(
    conn: &mut DbConnection,
    evaluation: &EvaluationRow,
    window: (Period, Period),
    as_of: DateTime<Utc>,
    only: Option<i64>,
) -> Result<RoundFacts> {
    let request = FactsRequest { evaluation, window };
    many_round_facts(conn, &[request], as_of, only)?
        .pop()
        .ok_or_else(|| Error::Internal("the facts of one summary came back empty".into()))
}

/// The facts of many summaries at `as_of` (one per request, in the requests' order; of one
/// indicator when `only`), in as many queries as one summary's: the components, the
/// indicators and the reporting assignments of every evaluation at once (`IN`), and one
/// grouped statement of the received facts of every pair (`FACTS`), skipped when nothing of
/// any pair is due yet; none for no request. Components in id order, indicators by component
/// then id, organizations by code (the same on both engines: sorted here, not by a collation).
pub fn many_round_facts(
    conn: &mut DbConnection,
    requests: &[FactsRequest<'_>],
    as_of: DateTime<Utc>,
    only: Option<i64>,
) -> Result<Vec<RoundFacts>> {
    if requests.is_empty() {
        return Ok(Vec::new());
    }
    let mut ids: Vec<i64> = requests.iter().map(|r| r.evaluation.id).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut components: HashMap<i64, Vec<ComponentInput>> = HashMap::new();
    let component_rows: Vec<ComponentRow> = component_table::table
        .filter(component_table::evaluation_id.eq_any(&ids))
        .order(component_table::id.asc())
        .select(ComponentRow::as_select())
        .load(conn)?;
    for row in component_rows {
        components
            .entry(row.evaluation_id)
            .or_default()
            .push(ComponentInput {
                id: row.id,
                code: row.code,
                name: row.name,
                weight: row.weight,
            });
    }
    let mut indicator_query = indicators::table
        .filter(indicators::evaluation_id.eq_any(&ids))
        .order(indicators::id.asc())
        .select(IndicatorRow::as_select())
        .into_boxed();
    if let Some(indicator_id) = only {
        indicator_query = indicator_query.filter(indicators::id.eq(indicator_id));
    }
    let mut indicator_inputs: HashMap<i64, Vec<IndicatorInput>> = HashMap::new();
    for row in indicator_query.load::<IndicatorRow>(conn)? {
        let stored = row.decode()?;
        let spec = stored.spec;
        let criteria = Criteria::new(spec.criteria, "criteria").map_err(|_| {
            super::unreadable(indicator_rows::ENTITY, stored.id, "criteria", "breakpoints")
        })?;
        indicator_inputs
            .entry(stored.evaluation_id)
            .or_default()
            .push(IndicatorInput {
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
    let mut assignments = reporting_assignments(conn, &ids, only)?;
    let mut received = received_facts(conn, requests, as_of, only)?;
    Ok(requests
        .iter()
        .enumerate()
        .map(|(k, request)| {
            let evaluation = request.evaluation;
            let components = components.get(&evaluation.id).cloned().unwrap_or_default();
            let mut indicators = indicator_inputs
                .get(&evaluation.id)
                .cloned()
                .unwrap_or_default();
            let position = |component_id: i64| components.iter().position(|c| c.id == component_id);
            indicators.sort_by_key(|i| (position(i.component_id), i.id));
            let (assignments, organizations) =
                assignments.remove(&evaluation.id).unwrap_or_default();
            RoundFacts {
                calendar: Calendar {
                    fiscal_year: evaluation.fiscal_year(),
                    span: evaluation.span(),
                    deadline_day: deadline_day(evaluation),
                },
                window: request.window,
                as_of,
                components,
                indicators,
                assignments,
                organizations,
                received: received.remove(&k).unwrap_or_default(),
            }
        })
        .collect())
}

fn deadline_day(evaluation: &EvaluationRow) -> u32 {
    u32::try_from(evaluation.deadline_day).unwrap_or(1)
}

/// Per evaluation, its reporting assignments (of one indicator when `only`) and their
/// organizations (by code), in one query.
type Reporting = (Vec<ReportingAssignment>, Vec<OrganizationInput>);

fn reporting_assignments(
    conn: &mut DbConnection,
    evaluation_ids: &[i64],
    only: Option<i64>,
) -> Result<HashMap<i64, Reporting>> {
    let mut query = assignments::table
        .inner_join(indicators::table)
        .inner_join(organizations::table)
        .filter(indicators::evaluation_id.eq_any(evaluation_ids))
        .filter(assignments::role.eq_any(reporting_roles()))
        .select((
            indicators::evaluation_id,
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
    type Row = (i64, i64, i64, Option<f64>, Option<f64>, String, String);
    let rows: Vec<Row> = query.load(conn)?;
    let mut by_evaluation: HashMap<i64, Reporting> = HashMap::new();
    for (evaluation_id, indicator_id, organization_id, baseline, target, code, name_th) in rows {
        let (assignments, organizations) = by_evaluation.entry(evaluation_id).or_default();
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
    for (_, organizations) in by_evaluation.values_mut() {
        organizations.sort_by(|a, b| a.code.cmp(&b.code).then(a.id.cmp(&b.id)));
    }
    Ok(by_evaluation)
}

/// The received facts of each request (by its index), in one statement; the requests with
/// nothing due yet are left out of it, and no statement runs when none has anything due.
fn received_facts(
    conn: &mut DbConnection,
    requests: &[FactsRequest<'_>],
    as_of: DateTime<Utc>,
    only: Option<i64>,
) -> Result<HashMap<usize, Vec<ReceivedFacts>>> {
    // (k, evaluation, first period, last period, start index) of the pairs with something due.
    let bounds: Vec<(usize, i64, Period, Period, i32)> = requests
        .iter()
        .enumerate()
        .filter_map(|(k, request)| {
            let (start, end) = request.window;
            let last = end.min(Period::last_due_by(as_of, deadline_day(request.evaluation)));
            let start_index = month_number(start);
            (start <= last).then_some((k, request.evaluation.id, start, last, start_index))
        })
        .collect();
    let mut received: HashMap<usize, Vec<ReceivedFacts>> = HashMap::new();
    if bounds.is_empty() {
        return Ok(received);
    }
    let sql = facts_sql(conn, bounds.len());
    let mut query = diesel::sql_query(engine_sql(conn, &sql))
        .into_boxed::<MultiBackend>()
        .bind::<Timestamp, _>(as_of.naive_utc())
        .bind::<BigInt, _>(only.unwrap_or(0));
    for (k, evaluation_id, first, last, start_index) in bounds {
        query = query
            .bind::<BigInt, _>(i64::try_from(k).unwrap_or(i64::MAX))
            .bind::<BigInt, _>(evaluation_id)
            .bind::<Text, _>(first.to_string())
            .bind::<Text, _>(last.to_string())
            .bind::<Integer, _>(start_index);
    }
    let rows: Vec<FactsRow> = query.load(conn)?;
    for row in rows {
        let Ok(k) = usize::try_from(row.k) else {
            continue;
        };
        received.entry(k).or_default().push(ReceivedFacts {
            indicator_id: row.indicator_id,
            organization_id: row.organization_id,
            received: MonthSet::from_bits(row.received_months),
            on_time: MonthSet::from_bits(row.on_time_months),
            values: ValueFacts {
                count: u32::try_from(row.received).unwrap_or(u32::MAX),
                sum: row.value_sum,
                min: row.value_min,
                max: row.value_max,
                // Read only where `reads_latest`, which is where the statement finds it.
                latest: row.latest.unwrap_or(f64::NAN),
            },
        });
    }
    Ok(received)
}

#[derive(QueryableByName)]
struct PostgresPlanLine {
    #[diesel(sql_type = Text, column_name = "QUERY PLAN")]
    line: String,
}

#[derive(QueryableByName)]
struct SqlitePlanLine {
    #[diesel(sql_type = Text)]
    detail: String,
}

/// How the engine would run the facts statement for one evaluation over `window` (`EXPLAIN`
/// on PostgreSQL, `EXPLAIN QUERY PLAN` on SQLite), one line per plan node: for the test that
/// the statement reads only its covering index, whatever else changes around it.
pub fn explain_facts(
    conn: &mut DbConnection,
    evaluation_id: i64,
    (first, last): (Period, Period),
) -> Result<Vec<String>> {
    let sql = facts_sql(conn, 1);
    let start_index = month_number(first);
    let explain = match conn {
        DbConnection::Postgres(_) => "EXPLAIN ",
        DbConnection::Sqlite(_) => "EXPLAIN QUERY PLAN ",
    };
    let query = diesel::sql_query(engine_sql(conn, &format!("{explain}{sql}")))
        .into_boxed::<MultiBackend>()
        .bind::<Timestamp, _>(Utc::now().naive_utc())
        .bind::<BigInt, _>(0_i64)
        .bind::<BigInt, _>(0_i64)
        .bind::<BigInt, _>(evaluation_id)
        .bind::<Text, _>(first.to_string())
        .bind::<Text, _>(last.to_string())
        .bind::<Integer, _>(start_index);
    Ok(match conn {
        DbConnection::Postgres(_) => query
            .load::<PostgresPlanLine>(conn)?
            .into_iter()
            .map(|row| row.line)
            .collect(),
        DbConnection::Sqlite(_) => query
            .load::<SqlitePlanLine>(conn)?
            .into_iter()
            .map(|row| row.detail)
            .collect(),
    })
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
