//! Evaluations (one province, one fiscal year): rows in and out, and the facts activation is
//! decided on. The rules are the domain's (`domain::evaluation`, `domain::activation`).

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::dsl::sum;
use diesel::prelude::*;
use serde::Serialize;

use super::audit::{self, Actor, Change};
use super::pagination::{Page, PageRequest};
use super::schema::{assignments, components, evaluations, indicators, organizations};
use super::{expect_one_updated, now, DbConnection};
use crate::domain::activation::{
    activation_problems, ActivationFacts, AssignmentFacts, IndicatorFacts,
};
use crate::domain::component::weight_total;
use crate::domain::criteria::Breakpoint;
use crate::domain::evaluation::{check_change, check_province, EvaluationChange};
use crate::domain::framework::AssignmentRole;
use crate::domain::period::{FiscalYear, Frequency, Period};
use crate::domain::scoring::ScoreBasis;
use crate::error::{Error, Result};
use crate::policy::{Caller, Visibility};

pub use crate::domain::evaluation::{EvaluationFields, EvaluationStatus};

pub const ENTITY: &str = "evaluation";

/// An evaluation as stored; only `EvaluationRow::read` turns it into a row the service uses.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = evaluations)]
struct StoredEvaluation {
    id: i64,
    province_id: i64,
    fiscal_year: i32,
    title: String,
    deadline_day: i32,
    reporting_start: String,
    reporting_end: String,
    status: String,
    version: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// An evaluation read back: every stored value parsed (an unreadable one is an internal error,
/// never a guess). Serialized as the audit trail's details.
#[derive(Debug, Clone, Serialize)]
pub struct EvaluationRow {
    pub id: i64,
    pub province_id: i64,
    pub fiscal_year: i32,
    pub title: String,
    pub deadline_day: i32,
    pub reporting_start: Period,
    pub reporting_end: Period,
    pub status: EvaluationStatus,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// An internal error for a stored value the service cannot read, logged with its row.
pub(crate) fn unreadable(table: &str, id: i64, column: &str, value: &str) -> Error {
    tracing::error!(
        table,
        id,
        column,
        value,
        "a stored value cannot be read; the row needs repair"
    );
    Error::Internal(format!("{table} {id} holds an unreadable {column}"))
}

impl EvaluationRow {
    fn read(stored: StoredEvaluation) -> Result<Self> {
        let id = stored.id;
        let period = |column: &str, text: &str| {
            text.parse::<Period>()
                .map_err(|_| unreadable(ENTITY, id, column, text))
        };
        Ok(Self {
            reporting_start: period("reporting_start", &stored.reporting_start)?,
            reporting_end: period("reporting_end", &stored.reporting_end)?,
            status: EvaluationStatus::parse(&stored.status)
                .ok_or_else(|| unreadable(ENTITY, id, "status", &stored.status))?,
            id,
            province_id: stored.province_id,
            fiscal_year: stored.fiscal_year,
            title: stored.title,
            deadline_day: stored.deadline_day,
            version: stored.version,
            created_at: stored.created_at,
            updated_at: stored.updated_at,
        })
    }

    pub fn status(&self) -> EvaluationStatus {
        self.status
    }

    pub fn fiscal_year(&self) -> FiscalYear {
        FiscalYear(self.fiscal_year)
    }

    pub fn span(&self) -> (Period, Period) {
        (self.reporting_start, self.reporting_end)
    }

    /// The writable fields as they are now: the target a merge patch applies to.
    pub fn fields(&self) -> EvaluationFields {
        EvaluationFields {
            title: self.title.clone(),
            deadline_day: i64::from(self.deadline_day),
            reporting_start: self.reporting_start,
            reporting_end: self.reporting_end,
            status: self.status,
        }
    }

    /// 409 when closed: a closed evaluation is read-only.
    pub fn require_open(&self) -> Result<()> {
        self.status.require_writable(self.id)
    }

    /// 409 unless draft: the structure (components, indicators) is fixed once active.
    pub fn require_draft(&self, what: &str) -> Result<()> {
        self.status.require_draft(self.id, what)
    }
}

/// The columns a create or an update writes.
#[derive(Debug, Insertable, AsChangeset)]
#[diesel(table_name = evaluations)]
struct EvaluationValues {
    title: String,
    deadline_day: i32,
    reporting_start: String,
    reporting_end: String,
    status: String,
    updated_at: NaiveDateTime,
}

impl EvaluationValues {
    /// Call after the domain's checks (the deadline day is then 1–28).
    fn of(fields: &EvaluationFields, updated_at: NaiveDateTime) -> Self {
        Self {
            title: fields.title.trim().to_owned(),
            deadline_day: i32::try_from(fields.deadline_day).unwrap_or_default(),
            reporting_start: fields.reporting_start.to_string(),
            reporting_end: fields.reporting_end.to_string(),
            status: fields.status.as_str().to_owned(),
            updated_at,
        }
    }
}

#[derive(Debug, Default, Clone)]
pub struct EvaluationFilter {
    pub province_id: Option<i64>,
    pub fiscal_year: Option<i32>,
    pub status: Option<EvaluationStatus>,
}

pub fn find(conn: &mut DbConnection, id: i64) -> Result<Option<EvaluationRow>> {
    evaluations::table
        .find(id)
        .select(StoredEvaluation::as_select())
        .first(conn)
        .optional()?
        .map(EvaluationRow::read)
        .transpose()
}

/// The evaluation if the caller may read its province; 404 otherwise.
pub fn get_visible(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<EvaluationRow> {
    find(conn, id)?
        .filter(|evaluation| caller.visibility().includes(Some(evaluation.province_id)))
        .ok_or_else(|| Error::not_found("evaluation", id))
}

/// Like `find`, and holds the evaluation's row until the transaction ends: a write that depends
/// on the evaluation's status (a child added to a draft, a report into an active one) cannot
/// commit beside a change of that status. PostgreSQL: `SELECT … FOR UPDATE` (a concurrent
/// activation waits, then sees the child); SQLite: `BEGIN IMMEDIATE` already serializes writers.
pub fn find_for_update(conn: &mut DbConnection, id: i64) -> Result<Option<EvaluationRow>> {
    let stored = match conn {
        DbConnection::Postgres(pg) => evaluations::table
            .find(id)
            .select(StoredEvaluation::as_select())
            .for_update()
            .first(pg)
            .optional()?,
        DbConnection::Sqlite(_) => return find(conn, id),
    };
    stored.map(EvaluationRow::read).transpose()
}

/// `get_visible` for a write that depends on the evaluation's status: the row stays locked
/// until the transaction ends (see `find_for_update`).
pub fn get_visible_for_update(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
) -> Result<EvaluationRow> {
    find_for_update(conn, id)?
        .filter(|evaluation| caller.visibility().includes(Some(evaluation.province_id)))
        .ok_or_else(|| Error::not_found("evaluation", id))
}

/// The ids of the evaluations in view; None when every evaluation is.
pub fn visible_ids(conn: &mut DbConnection, visibility: Visibility) -> Result<Option<Vec<i64>>> {
    Ok(match visibility {
        Visibility::All => None,
        Visibility::Province(province) => Some(
            evaluations::table
                .filter(evaluations::province_id.eq(province))
                .select(evaluations::id)
                .load(conn)?,
        ),
        Visibility::NoProvince => Some(Vec::new()),
    })
}

pub fn list(
    conn: &mut DbConnection,
    visibility: Visibility,
    filter: &EvaluationFilter,
    page: PageRequest,
) -> Result<Page<EvaluationRow>> {
    let mut query = evaluations::table
        .select(StoredEvaluation::as_select())
        .order(evaluations::id.asc())
        .limit(page.fetch_limit())
        .into_boxed();
    if let Some(after) = page.after {
        query = query.filter(evaluations::id.gt(after));
    }
    match visibility {
        Visibility::All => {}
        Visibility::Province(province) => {
            query = query.filter(evaluations::province_id.eq(province))
        }
        Visibility::NoProvince => return Ok(page.finish(Vec::new(), |row: &EvaluationRow| row.id)),
    }
    if let Some(province_id) = filter.province_id {
        query = query.filter(evaluations::province_id.eq(province_id));
    }
    if let Some(fiscal_year) = filter.fiscal_year {
        query = query.filter(evaluations::fiscal_year.eq(fiscal_year));
    }
    if let Some(status) = filter.status {
        query = query.filter(evaluations::status.eq(status.as_str()));
    }
    let rows = query
        .load(conn)?
        .into_iter()
        .map(EvaluationRow::read)
        .collect::<Result<Vec<_>>>()?;
    Ok(page.finish(rows, |row| row.id))
}

/// Σ component weight of each evaluation in `ids` (0 for one without components), in one query.
pub fn component_weight_totals(conn: &mut DbConnection, ids: &[i64]) -> Result<HashMap<i64, f64>> {
    let sums: HashMap<i64, Option<f64>> = components::table
        .filter(components::evaluation_id.eq_any(ids))
        .group_by(components::evaluation_id)
        .select((components::evaluation_id, sum(components::weight)))
        .load::<(i64, Option<f64>)>(conn)?
        .into_iter()
        .collect();
    Ok(ids
        .iter()
        .map(|id| (*id, weight_total(sums.get(id).copied().flatten())))
        .collect())
}

fn record(
    conn: &mut DbConnection,
    actor: &Actor,
    action: &str,
    row: &EvaluationRow,
    details: serde_json::Value,
) -> Result<()> {
    audit::record(
        conn,
        actor,
        Change {
            action,
            entity_type: ENTITY,
            entity_id: row.id,
            province_id: Some(row.province_id),
            details,
        },
    )
}

fn details(row: &EvaluationRow) -> Result<serde_json::Value> {
    serde_json::to_value(row).map_err(|e| Error::Internal(e.to_string()))
}

pub fn create(
    conn: &mut DbConnection,
    caller: &Caller,
    actor: &Actor,
    province_id: i64,
    fiscal_year: FiscalYear,
    fields: EvaluationFields,
) -> Result<EvaluationRow> {
    caller.manages_evaluations()?;
    let province = super::organizations::find(conn, province_id)?
        .filter(|org| caller.visibility().includes(org.province_id));
    let province_kind = province.as_ref().map(|o| o.kind()).transpose()?;
    let province_error = check_province(
        province_id,
        province
            .as_ref()
            .zip(province_kind)
            .map(|(o, kind)| (o.code.as_str(), kind)),
    );
    if province_error.is_none() {
        // A province the caller can see but not manage: 403 before any field is judged.
        caller.may_manage_evaluations(province_id)?;
    }
    let mut errors: Vec<_> = province_error.into_iter().collect();
    errors.extend(fields.check_new(fiscal_year));
    Error::check(errors)?;
    let timestamp = now();
    let id: i64 = diesel::insert_into(evaluations::table)
        .values((
            EvaluationValues::of(&fields, timestamp),
            evaluations::province_id.eq(province_id),
            evaluations::fiscal_year.eq(fiscal_year.0),
            evaluations::created_at.eq(timestamp),
        ))
        .returning(evaluations::id)
        .get_result(conn)?;
    let row = find(conn, id)?.ok_or_else(|| Error::Internal("evaluation vanished".into()))?;
    record(conn, actor, "create", &row, details(&row)?)?;
    Ok(row)
}

/// Changes an evaluation. `current` must have been read with `get_visible_for_update`, so an
/// activation's checks see every child committed before it and none can commit beside it.
pub fn update(
    conn: &mut DbConnection,
    caller: &Caller,
    actor: &Actor,
    current: &EvaluationRow,
    fields: EvaluationFields,
) -> Result<EvaluationRow> {
    caller.may_manage_evaluations(current.province_id)?;
    let change = check_change(
        current.id,
        current.fiscal_year(),
        &current.fields(),
        &fields,
    )?;
    if change == EvaluationChange::Activate {
        let facts = activation_facts(conn, current, &fields)?;
        Error::check(activation_problems(&facts))?;
    }
    let updated = diesel::update(
        evaluations::table
            .find(current.id)
            .filter(evaluations::version.eq(current.version)),
    )
    .set((
        EvaluationValues::of(&fields, now()),
        evaluations::version.eq(current.version + 1),
    ))
    .execute(conn)?;
    expect_one_updated(updated, current.version)?;
    let row =
        find(conn, current.id)?.ok_or_else(|| Error::Internal("evaluation vanished".into()))?;
    let details = serde_json::json!({"before": details(current)?, "after": details(&row)?});
    record(conn, actor, change.action(), &row, details)?;
    Ok(row)
}

/// What activation is decided on: the span `fields` will have, every component's weight, every
/// indicator with its settings and criteria, and every assignment with its baseline.
fn activation_facts(
    conn: &mut DbConnection,
    evaluation: &EvaluationRow,
    fields: &EvaluationFields,
) -> Result<ActivationFacts> {
    let component_weights: Vec<f64> = components::table
        .filter(components::evaluation_id.eq(evaluation.id))
        .order(components::id.asc())
        .select(components::weight)
        .load(conn)?;
    type IndicatorColumns = (i64, String, String, String, Option<f64>, String);
    let indicator_rows: Vec<IndicatorColumns> = indicators::table
        .filter(indicators::evaluation_id.eq(evaluation.id))
        .order(indicators::id.asc())
        .select((
            indicators::id,
            indicators::code,
            indicators::frequency,
            indicators::score_basis,
            indicators::baseline,
            indicators::criteria,
        ))
        .load(conn)?;
    let assignment_rows: Vec<(i64, i64, String, String, Option<f64>)> = assignments::table
        .inner_join(indicators::table)
        .inner_join(organizations::table)
        .filter(indicators::evaluation_id.eq(evaluation.id))
        .order(assignments::id.asc())
        .select((
            assignments::id,
            assignments::indicator_id,
            organizations::code,
            assignments::role,
            assignments::baseline,
        ))
        .load(conn)?;
    let mut by_indicator: HashMap<i64, Vec<AssignmentFacts>> = HashMap::new();
    for (id, indicator_id, organization_code, role, baseline) in assignment_rows {
        let role = AssignmentRole::parse(&role)
            .ok_or_else(|| unreadable("assignment", id, "role", &role))?;
        by_indicator
            .entry(indicator_id)
            .or_default()
            .push(AssignmentFacts {
                organization_code,
                role,
                baseline,
            });
    }
    let mut indicators = Vec::with_capacity(indicator_rows.len());
    for (id, code, frequency, score_basis, baseline, criteria) in indicator_rows {
        let unreadable = |column: &str, value: &str| unreadable("indicator", id, column, value);
        indicators.push(IndicatorFacts {
            frequency: Frequency::parse(&frequency)
                .ok_or_else(|| unreadable("frequency", &frequency))?,
            score_basis: ScoreBasis::parse(&score_basis)
                .ok_or_else(|| unreadable("score_basis", &score_basis))?,
            criteria: serde_json::from_str::<Vec<Breakpoint>>(&criteria)
                .map_err(|_| unreadable("criteria", &criteria))?,
            assignments: by_indicator.remove(&id).unwrap_or_default(),
            code,
            baseline,
        });
    }
    Ok(ActivationFacts {
        fiscal_year: evaluation.fiscal_year(),
        reporting_start: fields.reporting_start,
        reporting_end: fields.reporting_end,
        component_weights,
        indicators,
    })
}
