//! Evaluations (one province, one fiscal year): rows in and out, and the facts activation is
//! decided on. The rules are the domain's (`domain::evaluation`, `domain::activation`).

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::dsl::sum;
use diesel::prelude::*;
use serde::Serialize;

use super::audit::{self, Actor, Change};
use super::pagination::{Page, PageRequest};
use super::schema::{components, evaluations};
use super::{assignments, indicators, rounds};
use super::{decode, now, written, Access, DbConnection};
use crate::domain::activation::{activation_problems, ActivationFacts, IndicatorFacts};
use crate::domain::component::weight_total;
use crate::domain::evaluation::{check_change, check_province, EvaluationChange};
use crate::domain::period::{FiscalYear, Period};
use crate::domain::round::span_problems;
use crate::error::{Error, Result};
use crate::policy::{Caller, Visibility};

pub use crate::domain::evaluation::{EvaluationFields, EvaluationStatus};

pub const ENTITY: &str = "evaluation";

/// An evaluation as stored; only `EvaluationRow::read` turns it into a row the service uses.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = evaluations)]
pub(super) struct StoredEvaluation {
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

impl EvaluationRow {
    pub(super) fn read(stored: StoredEvaluation) -> Result<Self> {
        let id = stored.id;
        let period =
            |column: &str, text: &str| decode(ENTITY, id, column, text, |t| t.parse().ok());
        Ok(Self {
            reporting_start: period("reporting_start", &stored.reporting_start)?,
            reporting_end: period("reporting_end", &stored.reporting_end)?,
            status: decode(
                ENTITY,
                id,
                "status",
                &stored.status,
                EvaluationStatus::parse,
            )?,
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

    /// An audit event recorded in this evaluation's province: about the evaluation itself or
    /// a row of it (`entity` `id`: a component, an indicator, an assignment).
    pub fn change<'a>(
        &self,
        action: &'a str,
        entity: &'a str,
        id: i64,
        details: serde_json::Value,
    ) -> Change<'a> {
        Change::new(action, entity, id, Some(self.province_id), details)
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

/// Like `find`, holding a share lock on the evaluation's row until the transaction ends: a
/// report into an active evaluation waits for a change of its status (which takes the row
/// `FOR UPDATE`) and the change waits for it, while reports into one evaluation do not wait for
/// each other. SQLite: `BEGIN IMMEDIATE` already serializes writers.
pub fn find_for_share(conn: &mut DbConnection, id: i64) -> Result<Option<EvaluationRow>> {
    let stored = match conn {
        DbConnection::Postgres(pg) => evaluations::table
            .find(id)
            .select(StoredEvaluation::as_select())
            .for_share()
            .first(pg)
            .optional()?,
        DbConnection::Sqlite(_) => return find(conn, id),
    };
    stored.map(EvaluationRow::read).transpose()
}

/// The evaluation, read for `access` (`Access::Manage`: a caller that manages evaluations, the
/// row locked until the transaction ends, 403 when it may see but not manage it); 404 when the
/// caller cannot read its province.
pub fn get(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    access: Access,
) -> Result<EvaluationRow> {
    checked(conn, caller, access, (ENTITY, id), Some(id))
}

/// A row that belongs to an evaluation (a component, an indicator, an assignment: `entity`
/// `id`) with that evaluation, read for `access` like `get`. `evaluation_of` selects the
/// evaluation's id (no row: no such child), then the evaluation is read (and locked, to manage),
/// then `find` reads the row under that lock: every write to an evaluation's children takes
/// the same lock, so what is read is what the write changes. A row of an evaluation the
/// caller cannot see is that row's 404: the caller must not learn it exists.
pub fn child<T, Q>(
    conn: &mut DbConnection,
    caller: &Caller,
    access: Access,
    (entity, id): (&str, i64),
    evaluation_of: Q,
    find: impl FnOnce(&mut DbConnection) -> Result<Option<T>>,
) -> Result<(T, EvaluationRow)>
where
    Q: diesel::query_dsl::methods::LimitDsl + RunQueryDsl<DbConnection>,
    diesel::dsl::Limit<Q>: for<'a> diesel::query_dsl::LoadQuery<'a, DbConnection, i64>,
{
    let evaluation_id = evaluation_of.first(conn).optional()?;
    let evaluation = checked(conn, caller, access, (entity, id), evaluation_id)?;
    let row = find(conn)?.ok_or_else(|| Error::not_found(entity, id))?;
    Ok((row, evaluation))
}

/// The policy and the lookup behind `get` and `child`, in the order the role matrix asserts:
/// the role (403 for a role that may never, whatever the id), the evaluation in view (else a
/// 404 naming `entity` `id`), the object (403), and for a change the lock.
fn checked(
    conn: &mut DbConnection,
    caller: &Caller,
    access: Access,
    (entity, id): (&str, i64),
    evaluation_id: Option<i64>,
) -> Result<EvaluationRow> {
    if access == Access::Manage {
        caller.manages_evaluations()?;
    }
    let found = match evaluation_id {
        None => None,
        Some(evaluation_id) => find(conn, evaluation_id)?,
    };
    let evaluation = found
        .filter(|evaluation| caller.visibility().includes(Some(evaluation.province_id)))
        .ok_or_else(|| Error::not_found(entity, id))?;
    if access == Access::Read {
        return Ok(evaluation);
    }
    caller.may_manage_evaluations(evaluation.province_id)?;
    // Locked only for a caller who may change it (a caller out of scope must not stall the
    // province's writers), then read again under the lock: its status is what counts. An
    // evaluation's province never changes, so the checks above still hold.
    find_for_update(conn, evaluation.id)?.ok_or_else(|| Error::not_found(entity, id))
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
    let mut query = page.keyset(
        evaluations::table
            .select(StoredEvaluation::as_select())
            .into_boxed(),
        evaluations::id,
    );
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
    let row = written(find(conn, id)?, ENTITY, id)?;
    let details = audit::fields(&row)?;
    let change = row.change("create", ENTITY, id, details);
    audit::record(conn, actor, change)?;
    Ok(row)
}

/// Changes an evaluation. `current` must have been read with `get` to manage (locked), so an
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
    let span = (fields.reporting_start, fields.reporting_end);
    if span != current.span() {
        let rounds = rounds::all_of(conn, current.id)?;
        Error::check(span_problems(
            span,
            rounds.iter().map(|r| (r.name.as_str(), r.window())),
        ))?;
    }
    if change == EvaluationChange::Activate {
        let facts = activation_facts(conn, current, &fields)?;
        Error::check(activation_problems(&facts))?;
    }
    let values = EvaluationValues::of(&fields, now());
    update_versioned!(conn, evaluations, current.id, current.version, values)?;
    let row = written(find(conn, current.id)?, ENTITY, current.id)?;
    let details = audit::before_after(current, &row)?;
    let change = row.change(change.action(), ENTITY, row.id, details);
    audit::record(conn, actor, change)?;
    Ok(row)
}

/// What activation is decided on: the span `fields` will have, every component's weight, every
/// indicator with its settings and criteria, and every assignment with its baseline, each read
/// back as its resource is (an unreadable value is an internal error).
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
    let stored = indicators::of_evaluation(conn, evaluation.id)?;
    let ids: Vec<i64> = stored.iter().map(|indicator| indicator.id).collect();
    let mut reporters = assignments::reporters_of(conn, &ids)?;
    let indicators = stored
        .into_iter()
        .map(|indicator| IndicatorFacts {
            assignments: reporters.remove(&indicator.id).unwrap_or_default(),
            code: indicator.spec.code,
            frequency: indicator.spec.frequency,
            score_basis: indicator.spec.score_basis,
            baseline: indicator.spec.baseline,
            criteria: indicator.spec.criteria,
        })
        .collect();
    Ok(ActivationFacts {
        fiscal_year: evaluation.fiscal_year(),
        reporting_start: fields.reporting_start,
        reporting_end: fields.reporting_end,
        component_weights,
        indicators,
    })
}
