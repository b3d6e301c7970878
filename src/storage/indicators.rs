//! Indicators: their rows, read back whole or refused, and the writes the domain's rules allow
//! (`domain::indicator`).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;

use super::assignments;
use super::audit::{self, Actor, Change};
use super::evaluations::{self, EvaluationRow};
use super::pagination::{Page, PageRequest};
use super::schema::{components, indicators};
use super::{
    contains_pattern, ensure_unique, expect_one_updated, now, search_text, unreadable, DbConnection,
};
use crate::domain::assignment::check_baselines_kept;
use crate::domain::framework::EvaluationStatus;
use crate::domain::indicator::{
    check_add_or_delete, check_change, check_component, code_key, IndicatorSpec,
};
use crate::domain::period::Frequency;
use crate::domain::scoring::{AcrossOrgs, Category, OverTime, ScoreBasis};
use crate::error::{Error, Result};
use crate::policy::{Caller, Visibility};

pub const ENTITY: &str = "indicator";

diesel::define_sql_function!(fn lower(text: diesel::sql_types::Text) -> diesel::sql_types::Text);

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
            Some(text) => Some(read(id, "category", text, Category::parse)?),
        };
        let criteria = serde_json::from_str(&self.criteria)
            .map_err(|_| unreadable(ENTITY, id, "criteria", &self.criteria))?;
        let spec = IndicatorSpec {
            frequency: read(id, "frequency", &self.frequency, Frequency::parse)?,
            over_time: read(id, "over_time", &self.over_time, OverTime::parse)?,
            across_orgs: read(id, "across_orgs", &self.across_orgs, AcrossOrgs::parse)?,
            score_basis: read(id, "score_basis", &self.score_basis, ScoreBasis::parse)?,
            category,
            criteria,
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

/// A stored enumeration's text as its domain value; an internal error if it is none.
fn read<T>(id: i64, column: &str, text: &str, parse: fn(&str) -> Option<T>) -> Result<T> {
    parse(text).ok_or_else(|| unreadable(ENTITY, id, column, text))
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

/// The indicator and its evaluation, if the caller may read them; 404 otherwise.
pub fn get_visible(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
) -> Result<(StoredIndicator, EvaluationRow)> {
    let indicator = find(conn, id)?.ok_or_else(|| Error::not_found(ENTITY, id))?;
    let evaluation = evaluations::get_visible(conn, caller, indicator.evaluation_id)
        .map_err(|_| Error::not_found(ENTITY, id))?;
    Ok((indicator, evaluation))
}

/// `get_visible` for a write: the evaluation's row is locked first and stays locked until the
/// transaction ends, so its status cannot change under the write, and the indicator is read
/// under that lock (`evaluations::find_for_update`): every write to an evaluation's indicators
/// and assignments takes the same lock, so what is read here is what the write changes.
pub fn get_for_update(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
) -> Result<(StoredIndicator, EvaluationRow)> {
    let evaluation_id: i64 = indicators::table
        .find(id)
        .select(indicators::evaluation_id)
        .first(conn)
        .optional()?
        .ok_or_else(|| Error::not_found(ENTITY, id))?;
    let evaluation = evaluations::get_visible_for_update(conn, caller, evaluation_id)
        .map_err(|_| Error::not_found(ENTITY, id))?;
    let indicator = find(conn, id)?.ok_or_else(|| Error::not_found(ENTITY, id))?;
    Ok((indicator, evaluation))
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
    let mut query = indicators::table
        .select(IndicatorRow::as_select())
        .order(indicators::id.asc())
        .limit(page.fetch_limit())
        .into_boxed();
    if let Some(after) = page.after {
        query = query.filter(indicators::id.gt(after));
    }
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
    let existing: Option<i64> = indicators::table
        .filter(indicators::evaluation_id.eq(evaluation_id))
        .filter(lower(indicators::code).eq(code_key(code)))
        .select(indicators::id)
        .first(conn)
        .optional()?;
    ensure_unique(existing, own_id, "code", || {
        format!("indicator code {code} is already used in this evaluation (codes ignore case)")
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
    find(conn, id)?.ok_or_else(|| Error::Internal("indicator vanished".into()))
}

fn record_change(
    conn: &mut DbConnection,
    actor: &Actor,
    evaluation: &EvaluationRow,
    action: &str,
    id: i64,
    details: serde_json::Value,
) -> Result<()> {
    audit::record(
        conn,
        actor,
        Change {
            action,
            entity_type: ENTITY,
            entity_id: id,
            province_id: Some(evaluation.province_id),
            details,
        },
    )
}

fn details(indicator: &StoredIndicator) -> serde_json::Value {
    serde_json::to_value(indicator).unwrap_or_default()
}

/// Adds an indicator to a draft evaluation the caller has locked (`get_visible_for_update`).
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
    record_change(
        conn,
        actor,
        evaluation,
        "create",
        created.id,
        details(&created),
    )?;
    Ok(created)
}

/// Changes an indicator as its evaluation's status allows (`domain::indicator::check_change`):
/// while active, a reduction indicator also keeps a baseline for every reporting organization.
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
    let spec = validate(conn, evaluation.id, component_id, spec)?;
    code_taken(conn, evaluation.id, &spec.code, Some(current.id))?;
    if status == EvaluationStatus::Active {
        let reporters = assignments::reporters(conn, current.id)?;
        check_baselines_kept(
            status,
            spec.score_basis,
            spec.baseline,
            &reporters,
            "baseline",
        )?;
    }
    let updated = diesel::update(
        indicators::table
            .find(current.id)
            .filter(indicators::version.eq(current.version)),
    )
    .set((
        IndicatorRecord::new(component_id, &spec, now())?,
        indicators::version.eq(current.version + 1),
    ))
    .execute(conn)?;
    expect_one_updated(updated, current.version)?;
    let changed =
        find(conn, current.id)?.ok_or_else(|| Error::Internal("indicator vanished".into()))?;
    let before_after = json!({"before": details(current), "after": details(&changed)});
    record_change(conn, actor, evaluation, "update", changed.id, before_after)?;
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
    record_change(
        conn,
        actor,
        evaluation,
        "delete",
        current.id,
        details(current),
    )
}
