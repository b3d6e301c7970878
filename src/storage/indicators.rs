//! Indicators: their rows, read back whole or refused, and the writes the domain's rules allow
//! (`domain::indicator`).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::assignments;
use super::audit::{self, Actor};
use super::evaluations::{self, EvaluationRow};
use super::pagination::{Page, PageRequest};
use super::schema::{components, indicators};
use super::submissions;
use super::{
    contains_pattern, decode, decode_json, ensure_code_free, lower, now, search_text, written,
    Access, DbConnection,
};
use crate::domain::assignment::check_baselines_kept;
use crate::domain::framework::EvaluationStatus;
use crate::domain::indicator::{check_add_or_delete, check_change, check_component, IndicatorSpec};
use crate::domain::organization::check_reported_code;
use crate::domain::period::Frequency;
use crate::domain::scoring::{AcrossOrgs, Category, OverTime, ScoreBasis};
use crate::error::{Error, Result};
use crate::policy::{Caller, Visibility};

pub const ENTITY: &str = "indicator";

/// An indicator row as the database holds it; `decode` reads it into domain values.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = indicators)]
pub struct IndicatorRow {
    pub id: i64,
    pub evaluation_id: i64,
    pub component_id: i64,
    pub code: String,
    pub name: String,
    pub description: Option<String>,
    pub unit: Option<String>,
    pub category: Option<String>,
    pub frequency: String,
    pub over_time: String,
    pub across_orgs: String,
    pub score_basis: String,
    pub baseline: Option<f64>,
    pub target: Option<f64>,
    pub weight: f64,
    pub criteria: String,
    pub search_text: String,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A stored indicator: where it sits and its spec. Serialized, it is the audit trail's record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredIndicator {
    pub id: i64,
    pub evaluation_id: i64,
    pub component_id: i64,
    #[serde(flatten)]
    pub spec: IndicatorSpec,
    pub version: i64,
    #[serde(skip)]
    pub created_at: NaiveDateTime,
    #[serde(skip)]
    pub updated_at: NaiveDateTime,
}

impl IndicatorRow {
    /// The row as domain values; an unreadable value is an internal error, logged with the row.
    pub fn decode(self) -> Result<StoredIndicator> {
        let id = self.id;
        let category = match &self.category {
            None => None,
            Some(text) => Some(decode(ENTITY, id, "category", text, Category::parse)?),
        };
        let spec = IndicatorSpec {
            frequency: decode(ENTITY, id, "frequency", &self.frequency, Frequency::parse)?,
            over_time: decode(ENTITY, id, "over_time", &self.over_time, OverTime::parse)?,
            across_orgs: decode(
                ENTITY,
                id,
                "across_orgs",
                &self.across_orgs,
                AcrossOrgs::parse,
            )?,
            score_basis: decode(
                ENTITY,
                id,
                "score_basis",
                &self.score_basis,
                ScoreBasis::parse,
            )?,
            criteria: decode_json(ENTITY, id, "criteria", &self.criteria)?,
            category,
            code: self.code,
            name: self.name,
            description: self.description,
            unit: self.unit,
            baseline: self.baseline,
            target: self.target,
            weight: self.weight,
        };
        Ok(StoredIndicator {
            id,
            evaluation_id: self.evaluation_id,
            component_id: self.component_id,
            spec,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// The columns an indicator's spec and component fill: one type for inserts and updates.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = indicators, treat_none_as_null = true)]
struct IndicatorRecord<'a> {
    component_id: i64,
    code: &'a str,
    name: &'a str,
    description: Option<&'a str>,
    unit: Option<&'a str>,
    category: Option<&'static str>,
    frequency: &'static str,
    over_time: &'static str,
    across_orgs: &'static str,
    score_basis: &'static str,
    baseline: Option<f64>,
    target: Option<f64>,
    weight: f64,
    criteria: String,
    search_text: String,
    updated_at: NaiveDateTime,
}

impl<'a> IndicatorRecord<'a> {
    fn new(component_id: i64, spec: &'a IndicatorSpec, at: NaiveDateTime) -> Result<Self> {
        Ok(Self {
            component_id,
            code: &spec.code,
            name: &spec.name,
            description: spec.description.as_deref(),
            unit: spec.unit.as_deref(),
            category: spec.category.map(Category::as_str),
            frequency: spec.frequency.as_str(),
            over_time: spec.over_time.as_str(),
            across_orgs: spec.across_orgs.as_str(),
            score_basis: spec.score_basis.as_str(),
            baseline: spec.baseline,
            target: spec.target,
            weight: spec.weight,
            criteria: serde_json::to_string(&spec.criteria)
                .map_err(|e| Error::Internal(format!("criteria could not be encoded: {e}")))?,
            search_text: search_text(&[Some(&spec.code), Some(&spec.name)]),
            updated_at: at,
        })
    }
}

#[derive(Debug, Default, Clone)]
pub struct IndicatorFilter {
    pub evaluation_id: Option<i64>,
    pub component_id: Option<i64>,
    pub category: Option<Category>,
    pub q: Option<String>,
}

pub fn find(conn: &mut DbConnection, id: i64) -> Result<Option<StoredIndicator>> {
    indicators::table
        .find(id)
        .select(IndicatorRow::as_select())
        .first(conn)
        .optional()?
        .map(IndicatorRow::decode)
        .transpose()
}

/// The indicator and its evaluation, read for `access` (`evaluations::child`).
pub fn get(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    access: Access,
) -> Result<(StoredIndicator, EvaluationRow)> {
    let evaluation_of = indicators::table.find(id).select(indicators::evaluation_id);
    evaluations::child(conn, caller, access, (ENTITY, id), evaluation_of, |conn| {
        find(conn, id)
    })
}

fn decode_all(rows: Vec<IndicatorRow>) -> Result<Vec<StoredIndicator>> {
    rows.into_iter().map(IndicatorRow::decode).collect()
}

pub fn list(
    conn: &mut DbConnection,
    visibility: Visibility,
    filter: &IndicatorFilter,
    page: PageRequest,
) -> Result<Page<StoredIndicator>> {
    let mut query = page.keyset(
        indicators::table
            .select(IndicatorRow::as_select())
            .into_boxed(),
        indicators::id,
    );
    if let Some(ids) = evaluations::visible_ids(conn, visibility)? {
        query = query.filter(indicators::evaluation_id.eq_any(ids));
    }
    if let Some(evaluation_id) = filter.evaluation_id {
        query = query.filter(indicators::evaluation_id.eq(evaluation_id));
    }
    if let Some(component_id) = filter.component_id {
        query = query.filter(indicators::component_id.eq(component_id));
    }
    if let Some(category) = filter.category {
        query = query.filter(indicators::category.eq(category.as_str()));
    }
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        query = query.filter(
            indicators::search_text
                .like(contains_pattern(q))
                .escape('\\'),
        );
    }
    Ok(page.finish(decode_all(query.load(conn)?)?, |row| row.id))
}

/// Every indicator of an evaluation, by id (the framework document).
pub fn of_evaluation(conn: &mut DbConnection, evaluation_id: i64) -> Result<Vec<StoredIndicator>> {
    decode_all(
        indicators::table
            .filter(indicators::evaluation_id.eq(evaluation_id))
            .order(indicators::id.asc())
            .select(IndicatorRow::as_select())
            .load(conn)?,
    )
}

/// 409 naming `code` when another indicator of the evaluation has the code, ignoring case.
fn code_taken(
    conn: &mut DbConnection,
    evaluation_id: i64,
    code: &str,
    own_id: Option<i64>,
) -> Result<()> {
    let taken_by = "another indicator of this evaluation";
    ensure_code_free(code, own_id, taken_by, |key| {
        indicators::table
            .filter(indicators::evaluation_id.eq(evaluation_id))
            .filter(lower(indicators::code).eq(key))
            .select(indicators::id)
            .first(conn)
            .optional()
    })
}

/// 422 unless the spec passes its checks and the component is one of the evaluation's.
fn validate(
    conn: &mut DbConnection,
    evaluation_id: i64,
    component_id: i64,
    spec: IndicatorSpec,
) -> Result<IndicatorSpec> {
    let owner: Option<i64> = components::table
        .find(component_id)
        .select(components::evaluation_id)
        .first(conn)
        .optional()?;
    let mut errors = spec.problems("");
    errors.extend(check_component(evaluation_id, component_id, owner));
    Error::check(errors)?;
    spec.validated()
}

/// Inserts without checks or audit (the framework import checks the whole document first).
pub(crate) fn insert(
    conn: &mut DbConnection,
    evaluation_id: i64,
    component_id: i64,
    spec: &IndicatorSpec,
) -> Result<StoredIndicator> {
    let at = now();
    let record = IndicatorRecord::new(component_id, spec, at)?;
    let id: i64 = diesel::insert_into(indicators::table)
        .values((
            record,
            indicators::evaluation_id.eq(evaluation_id),
            indicators::created_at.eq(at),
        ))
        .returning(indicators::id)
        .get_result(conn)?;
    written(find(conn, id)?, ENTITY, id)
}

/// Adds an indicator to a draft evaluation the caller has locked (`evaluations::get` to
/// manage).
pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    evaluation: &EvaluationRow,
    component_id: i64,
    spec: IndicatorSpec,
) -> Result<StoredIndicator> {
    check_add_or_delete(evaluation.status(), "added")?;
    let spec = validate(conn, evaluation.id, component_id, spec)?;
    code_taken(conn, evaluation.id, &spec.code, None)?;
    let created = insert(conn, evaluation.id, component_id, &spec)?;
    let details = audit::fields(&created)?;
    let change = evaluation.change("create", ENTITY, created.id, details);
    audit::record(conn, actor, change)?;
    Ok(created)
}

/// Changes an indicator as its evaluation's status allows (`domain::indicator::check_change`)
/// and its reports allow (its code is fixed once any exists: `check_reported_code`); while
/// active, a reduction indicator also keeps a baseline for every reporting organization.
pub fn update(
    conn: &mut DbConnection,
    actor: &Actor,
    evaluation: &EvaluationRow,
    current: &StoredIndicator,
    component_id: i64,
    spec: IndicatorSpec,
) -> Result<StoredIndicator> {
    let status = evaluation.status();
    check_change(
        status,
        (current.component_id, &current.spec),
        (component_id, &spec),
    )?;
    if spec.code != current.spec.code {
        let reports = submissions::count_for_indicator(conn, current.id)?;
        let what = format!("indicator {}", current.spec.code);
        check_reported_code(&what, reports, &current.spec.code, &spec.code)?;
    }
    let spec = validate(conn, evaluation.id, component_id, spec)?;
    code_taken(conn, evaluation.id, &spec.code, Some(current.id))?;
    if status == EvaluationStatus::Active {
        let reporters = assignments::reporters_of(conn, &[current.id])?
            .remove(&current.id)
            .unwrap_or_default();
        check_baselines_kept(
            status,
            spec.score_basis,
            spec.baseline,
            &reporters,
            "baseline",
        )?;
    }
    let values = IndicatorRecord::new(component_id, &spec, now())?;
    update_versioned!(conn, indicators, current.id, current.version, values)?;
    let changed = written(find(conn, current.id)?, ENTITY, current.id)?;
    let details = audit::before_after(current, &changed)?;
    let change = evaluation.change("update", ENTITY, current.id, details);
    audit::record(conn, actor, change)?;
    Ok(changed)
}

/// Deletes an indicator of a draft evaluation with its assignments, each audited.
pub fn delete(
    conn: &mut DbConnection,
    actor: &Actor,
    evaluation: &EvaluationRow,
    current: &StoredIndicator,
) -> Result<()> {
    check_add_or_delete(evaluation.status(), "deleted")?;
    assignments::delete_of_indicator(conn, actor, evaluation, current.id)?;
    diesel::delete(indicators::table.find(current.id)).execute(conn)?;
    let details = audit::fields(current)?;
    let change = evaluation.change("delete", ENTITY, current.id, details);
    audit::record(conn, actor, change)
}
