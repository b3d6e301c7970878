//! Evaluations (one province, one fiscal year) and their weighted components.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use super::audit::{self, Actor, Change};
use super::pagination::{Page, PageRequest};
use super::schema::{assignments, components, evaluations, indicators, organizations};
use super::{ensure_unique, expect_one_updated, now, DbConnection};
use crate::domain::criteria::{Breakpoint, Criteria};
use crate::domain::framework::{
    check_deadline_day, check_figure, AssignmentRole, EvaluationStatus,
};
use crate::domain::organization::{check_code, OrganizationKind};
use crate::domain::period::{FiscalYear, Period};
use crate::domain::scoring::{component_weights_sum_to_100, ScoreBasis};
use crate::error::{ConflictKind, Error, FieldError, Result};
use crate::policy::{Caller, Visibility};

pub const ENTITY: &str = "evaluation";
pub const COMPONENT_ENTITY: &str = "component";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = evaluations)]
pub struct EvaluationRow {
    pub id: i64,
    pub province_id: i64,
    pub fiscal_year: i32,
    pub title: String,
    pub deadline_day: i32,
    pub reporting_start: String,
    pub reporting_end: String,
    pub status: String,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl EvaluationRow {
    pub fn status(&self) -> EvaluationStatus {
        EvaluationStatus::parse(&self.status).unwrap_or(EvaluationStatus::Closed)
    }

    pub fn fiscal_year(&self) -> FiscalYear {
        FiscalYear(self.fiscal_year)
    }

    /// The reporting span; stored values were validated on the way in.
    pub fn span(&self) -> (Period, Period) {
        let (default_start, default_end) = self.fiscal_year().default_span();
        (
            self.reporting_start.parse().unwrap_or(default_start),
            self.reporting_end.parse().unwrap_or(default_end),
        )
    }

    /// 409 when closed: a closed evaluation is read-only.
    pub fn require_open(&self) -> Result<()> {
        if self.status() == EvaluationStatus::Closed {
            return Err(Error::conflict(
                ConflictKind::State,
                format!("evaluation {} is closed and read-only", self.id),
            ));
        }
        Ok(())
    }

    /// 409 unless draft: the structure (components, indicators) is fixed once active.
    pub fn require_draft(&self, what: &str) -> Result<()> {
        self.require_open()?;
        if self.status() != EvaluationStatus::Draft {
            return Err(Error::conflict(
                ConflictKind::State,
                format!(
                    "evaluation {} is active: {what} only while it is a draft",
                    self.id
                ),
            ));
        }
        Ok(())
    }
}

/// The writable fields of an evaluation, after defaults or a merge patch.
#[derive(Debug, Clone)]
pub struct EvaluationFields {
    pub title: String,
    pub deadline_day: i64,
    pub reporting_start: Period,
    pub reporting_end: Period,
    pub status: EvaluationStatus,
}

#[derive(Debug, Default, Clone)]
pub struct EvaluationFilter {
    pub province_id: Option<i64>,
    pub fiscal_year: Option<i32>,
    pub status: Option<EvaluationStatus>,
}

pub fn find(conn: &mut DbConnection, id: i64) -> Result<Option<EvaluationRow>> {
    Ok(evaluations::table
        .find(id)
        .select(EvaluationRow::as_select())
        .first(conn)
        .optional()?)
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
    Ok(match conn {
        DbConnection::Postgres(pg) => evaluations::table
            .find(id)
            .select(EvaluationRow::as_select())
            .for_update()
            .first(pg)
            .optional()?,
        DbConnection::Sqlite(_) => find(conn, id)?,
    })
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
        .select(EvaluationRow::as_select())
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
    Ok(page.finish(query.load(conn)?, |row| row.id))
}

fn check_fields(fiscal_year: FiscalYear, fields: &EvaluationFields, errors: &mut Vec<FieldError>) {
    let title = fields.title.trim().chars().count();
    if title == 0 || title > 300 {
        errors.push(FieldError::new("title", "must be 1–300 characters"));
    }
    if let Err(message) = check_deadline_day(fields.deadline_day) {
        errors.push(FieldError::new("deadline_day", message));
    }
    for (field, message) in fiscal_year.check_span(fields.reporting_start, fields.reporting_end) {
        errors.push(FieldError::new(field, message));
    }
}

fn details(row: &EvaluationRow) -> serde_json::Value {
    json!({
        "province_id": row.province_id,
        "fiscal_year": row.fiscal_year,
        "title": row.title,
        "deadline_day": row.deadline_day,
        "reporting_start": row.reporting_start,
        "reporting_end": row.reporting_end,
        "status": row.status,
    })
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
    let mut errors = Vec::new();
    match &province {
        None => errors.push(FieldError::new(
            "province_id",
            format!("organization {province_id} does not exist"),
        )),
        Some(org) if org.kind != OrganizationKind::Province.as_str() => {
            errors.push(FieldError::new(
                "province_id",
                format!("organization {} is not a province", org.code),
            ))
        }
        Some(_) => {}
    }
    if fields.status != EvaluationStatus::Draft {
        errors.push(FieldError::new(
            "status",
            "a new evaluation starts as a draft",
        ));
    }
    check_fields(fiscal_year, &fields, &mut errors);
    if province.is_some_and(|org| org.kind == OrganizationKind::Province.as_str()) {
        caller.may_manage_evaluations(province_id)?;
    }
    Error::check(errors)?;
    let timestamp = now();
    let id: i64 = diesel::insert_into(evaluations::table)
        .values((
            evaluations::province_id.eq(province_id),
            evaluations::fiscal_year.eq(fiscal_year.0),
            evaluations::title.eq(fields.title.trim()),
            evaluations::deadline_day.eq(fields.deadline_day as i32),
            evaluations::reporting_start.eq(fields.reporting_start.to_string()),
            evaluations::reporting_end.eq(fields.reporting_end.to_string()),
            evaluations::status.eq(EvaluationStatus::Draft.as_str()),
            evaluations::created_at.eq(timestamp),
            evaluations::updated_at.eq(timestamp),
        ))
        .returning(evaluations::id)
        .get_result(conn)?;
    let row = find(conn, id)?.ok_or_else(|| Error::Internal("evaluation vanished".into()))?;
    audit::record(
        conn,
        actor,
        Change {
            action: "create",
            entity_type: ENTITY,
            entity_id: id,
            province_id: Some(province_id),
            details: details(&row),
        },
    )?;
    Ok(row)
}

pub fn update(
    conn: &mut DbConnection,
    caller: &Caller,
    actor: &Actor,
    current: &EvaluationRow,
    fields: EvaluationFields,
) -> Result<EvaluationRow> {
    caller.may_manage_evaluations(current.province_id)?;
    current.require_open()?;
    let status = current.status();
    if !status.can_become(fields.status) {
        return Err(Error::Conflict {
            kind: ConflictKind::State,
            detail: format!(
                "an evaluation goes draft → active → closed; it cannot go from {} to {}",
                status.as_str(),
                fields.status.as_str()
            ),
            errors: vec![FieldError::new("status", "not a permitted transition")],
        });
    }
    let (start, end) = current.span();
    if status == EvaluationStatus::Active {
        let mut frozen = Vec::new();
        if fields.deadline_day != i64::from(current.deadline_day) {
            frozen.push(FieldError::new(
                "deadline_day",
                "is frozen while the evaluation is active",
            ));
        }
        if fields.reporting_start != start {
            frozen.push(FieldError::new(
                "reporting_start",
                "is frozen while the evaluation is active",
            ));
        }
        if fields.reporting_end != end {
            frozen.push(FieldError::new(
                "reporting_end",
                "is frozen while the evaluation is active",
            ));
        }
        if !frozen.is_empty() {
            return Err(Error::Conflict {
                kind: ConflictKind::State,
                detail: "the reporting span and deadline are frozen once the evaluation is active"
                    .into(),
                errors: frozen,
            });
        }
    }
    let mut errors = Vec::new();
    check_fields(current.fiscal_year(), &fields, &mut errors);
    Error::check(errors)?;
    if status == EvaluationStatus::Draft && fields.status == EvaluationStatus::Active {
        Error::check(activation_problems(conn, current.id)?)?;
    }
    let updated = diesel::update(
        evaluations::table
            .find(current.id)
            .filter(evaluations::version.eq(current.version)),
    )
    .set((
        evaluations::title.eq(fields.title.trim()),
        evaluations::deadline_day.eq(fields.deadline_day as i32),
        evaluations::reporting_start.eq(fields.reporting_start.to_string()),
        evaluations::reporting_end.eq(fields.reporting_end.to_string()),
        evaluations::status.eq(fields.status.as_str()),
        evaluations::version.eq(current.version + 1),
        evaluations::updated_at.eq(now()),
    ))
    .execute(conn)?;
    expect_one_updated(updated, current.version)?;
    let row =
        find(conn, current.id)?.ok_or_else(|| Error::Internal("evaluation vanished".into()))?;
    let action = if fields.status != status {
        fields.status.as_str()
    } else {
        "update"
    };
    let action = match action {
        "active" => "activate",
        "closed" => "close",
        other => other,
    };
    audit::record(
        conn,
        actor,
        Change {
            action,
            entity_type: ENTITY,
            entity_id: row.id,
            province_id: Some(row.province_id),
            details: json!({"before": details(current), "after": details(&row)}),
        },
    )?;
    Ok(row)
}

/// Everything that keeps a draft from being activated, all at once: component weights summing
/// to 100, valid criteria, a host for every indicator, a baseline for reduction indicators.
pub fn activation_problems(conn: &mut DbConnection, evaluation_id: i64) -> Result<Vec<FieldError>> {
    let mut problems = Vec::new();
    let weights: Vec<(String, f64)> = components::table
        .filter(components::evaluation_id.eq(evaluation_id))
        .order(components::id.asc())
        .select((components::code, components::weight))
        .load(conn)?;
    if weights.is_empty() {
        problems.push(FieldError::new(
            "components",
            "the evaluation has no components",
        ));
    } else if !component_weights_sum_to_100(&weights.iter().map(|(_, w)| *w).collect::<Vec<_>>()) {
        let total: f64 = weights.iter().map(|(_, w)| w).sum();
        problems.push(FieldError::new(
            "components",
            format!("component weights must sum to 100; they sum to {total}"),
        ));
    }
    let indicator_rows: Vec<(i64, String, String, String, Option<f64>)> = indicators::table
        .filter(indicators::evaluation_id.eq(evaluation_id))
        .order(indicators::id.asc())
        .select((
            indicators::id,
            indicators::code,
            indicators::criteria,
            indicators::score_basis,
            indicators::baseline,
        ))
        .load(conn)?;
    if indicator_rows.is_empty() {
        problems.push(FieldError::new(
            "indicators",
            "the evaluation has no indicators",
        ));
    }
    for (id, code, criteria, basis, baseline) in indicator_rows {
        let field = format!("indicators[{code}]");
        let points: Vec<Breakpoint> = serde_json::from_str(&criteria).unwrap_or_default();
        if let Err(errors) = Criteria::new(points, &format!("{field}.criteria")) {
            problems.extend(errors);
        }
        let reporting: Vec<(String, Option<f64>)> = assignments::table
            .filter(assignments::indicator_id.eq(id))
            .filter(assignments::role.eq_any([
                AssignmentRole::Host.as_str(),
                AssignmentRole::CoHost.as_str(),
            ]))
            .select((assignments::role, assignments::baseline))
            .load(conn)?;
        if !reporting
            .iter()
            .any(|(role, _)| role == AssignmentRole::Host.as_str())
        {
            problems.push(FieldError::new(
                format!("{field}.assignments"),
                format!("indicator {code} has no host agency"),
            ));
        }
        if ScoreBasis::parse(&basis) == Some(ScoreBasis::ReductionFromBaseline)
            && baseline.is_none()
            && reporting.iter().any(|(_, own)| own.is_none())
        {
            problems.push(FieldError::new(
                format!("{field}.baseline"),
                format!("indicator {code} is scored by reduction and needs a baseline"),
            ));
        }
    }
    Ok(problems)
}

// ---- components ----

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = components)]
pub struct ComponentRow {
    pub id: i64,
    pub evaluation_id: i64,
    pub code: String,
    pub name: String,
    pub weight: f64,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone)]
pub struct ComponentFields {
    pub code: String,
    pub name: String,
    pub weight: f64,
}

pub fn find_component(conn: &mut DbConnection, id: i64) -> Result<Option<ComponentRow>> {
    Ok(components::table
        .find(id)
        .select(ComponentRow::as_select())
        .first(conn)
        .optional()?)
}

/// The component and its evaluation, if the caller may read them; 404 otherwise.
pub fn get_component_visible(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
) -> Result<(ComponentRow, EvaluationRow)> {
    let component = find_component(conn, id)?.ok_or_else(|| Error::not_found("component", id))?;
    let evaluation = get_visible(conn, caller, component.evaluation_id)
        .map_err(|_| Error::not_found("component", id))?;
    Ok((component, evaluation))
}

pub fn list_components(
    conn: &mut DbConnection,
    evaluation_id: i64,
    page: PageRequest,
) -> Result<Page<ComponentRow>> {
    let mut query = components::table
        .filter(components::evaluation_id.eq(evaluation_id))
        .select(ComponentRow::as_select())
        .order(components::id.asc())
        .limit(page.fetch_limit())
        .into_boxed();
    if let Some(after) = page.after {
        query = query.filter(components::id.gt(after));
    }
    Ok(page.finish(query.load(conn)?, |row| row.id))
}

pub fn check_component_fields(fields: &ComponentFields, prefix: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if let Err(message) = check_code(&fields.code) {
        errors.push(FieldError::new(format!("{prefix}code"), message));
    }
    let name = fields.name.trim().chars().count();
    if name == 0 || name > 300 {
        errors.push(FieldError::new(
            format!("{prefix}name"),
            "must be 1–300 characters",
        ));
    }
    if check_figure(fields.weight).is_err() || fields.weight <= 0.0 || fields.weight > 100.0 {
        errors.push(FieldError::new(
            format!("{prefix}weight"),
            "must be a percent greater than 0 and at most 100",
        ));
    }
    errors
}

fn component_details(row: &ComponentRow) -> serde_json::Value {
    json!({"evaluation_id": row.evaluation_id, "code": row.code, "name": row.name, "weight": row.weight})
}

fn code_taken(
    conn: &mut DbConnection,
    evaluation_id: i64,
    code: &str,
    own_id: Option<i64>,
) -> Result<()> {
    let existing: Option<i64> = components::table
        .filter(components::evaluation_id.eq(evaluation_id))
        .filter(components::code.eq(code))
        .select(components::id)
        .first(conn)
        .optional()?;
    ensure_unique(existing, own_id, "code", || {
        format!("component code {code} is already used in this evaluation")
    })
}

/// Inserts without checks or audit (the framework import checks the whole document first).
pub(crate) fn insert_component(
    conn: &mut DbConnection,
    evaluation_id: i64,
    fields: &ComponentFields,
) -> Result<ComponentRow> {
    let timestamp = now();
    let id: i64 = diesel::insert_into(components::table)
        .values((
            components::evaluation_id.eq(evaluation_id),
            components::code.eq(&fields.code),
            components::name.eq(fields.name.trim()),
            components::weight.eq(fields.weight),
            components::created_at.eq(timestamp),
            components::updated_at.eq(timestamp),
        ))
        .returning(components::id)
        .get_result(conn)?;
    find_component(conn, id)?.ok_or_else(|| Error::Internal("component vanished".into()))
}

pub fn create_component(
    conn: &mut DbConnection,
    caller: &Caller,
    actor: &Actor,
    evaluation: &EvaluationRow,
    fields: ComponentFields,
) -> Result<ComponentRow> {
    caller.may_manage_evaluations(evaluation.province_id)?;
    evaluation.require_draft("components are added")?;
    Error::check(check_component_fields(&fields, ""))?;
    code_taken(conn, evaluation.id, &fields.code, None)?;
    let row = insert_component(conn, evaluation.id, &fields)?;
    audit::record(
        conn,
        actor,
        Change {
            action: "create",
            entity_type: COMPONENT_ENTITY,
            entity_id: row.id,
            province_id: Some(evaluation.province_id),
            details: component_details(&row),
        },
    )?;
    Ok(row)
}

/// Weights may be renegotiated while active (audited); a closed evaluation is read-only.
pub fn update_component(
    conn: &mut DbConnection,
    caller: &Caller,
    actor: &Actor,
    evaluation: &EvaluationRow,
    current: &ComponentRow,
    fields: ComponentFields,
) -> Result<ComponentRow> {
    caller.may_manage_evaluations(evaluation.province_id)?;
    evaluation.require_open()?;
    Error::check(check_component_fields(&fields, ""))?;
    code_taken(conn, evaluation.id, &fields.code, Some(current.id))?;
    let updated = diesel::update(
        components::table
            .find(current.id)
            .filter(components::version.eq(current.version)),
    )
    .set((
        components::code.eq(&fields.code),
        components::name.eq(fields.name.trim()),
        components::weight.eq(fields.weight),
        components::version.eq(current.version + 1),
        components::updated_at.eq(now()),
    ))
    .execute(conn)?;
    expect_one_updated(updated, current.version)?;
    let row = find_component(conn, current.id)?
        .ok_or_else(|| Error::Internal("component vanished".into()))?;
    if evaluation.status() == EvaluationStatus::Active {
        let weights: Vec<f64> = components::table
            .filter(components::evaluation_id.eq(evaluation.id))
            .select(components::weight)
            .load(conn)?;
        if !component_weights_sum_to_100(&weights) {
            return Err(Error::invalid_field("weight", format!("the active evaluation's component weights must still sum to 100; they would sum to {}", weights.iter().sum::<f64>())));
        }
    }
    audit::record(
        conn,
        actor,
        Change {
            action: "update",
            entity_type: COMPONENT_ENTITY,
            entity_id: row.id,
            province_id: Some(evaluation.province_id),
            details: json!({"before": component_details(current), "after": component_details(&row)}),
        },
    )?;
    Ok(row)
}

pub fn delete_component(
    conn: &mut DbConnection,
    caller: &Caller,
    actor: &Actor,
    evaluation: &EvaluationRow,
    current: &ComponentRow,
) -> Result<()> {
    caller.may_manage_evaluations(evaluation.province_id)?;
    evaluation.require_draft("components are deleted")?;
    let used: i64 = indicators::table
        .filter(indicators::component_id.eq(current.id))
        .count()
        .get_result(conn)?;
    if used > 0 {
        return Err(Error::conflict(
            ConflictKind::Referenced,
            format!(
                "component {} still has {used} indicator(s); delete or move them first",
                current.code
            ),
        ));
    }
    diesel::delete(components::table.find(current.id)).execute(conn)?;
    audit::record(
        conn,
        actor,
        Change {
            action: "delete",
            entity_type: COMPONENT_ENTITY,
            entity_id: current.id,
            province_id: Some(evaluation.province_id),
            details: component_details(current),
        },
    )?;
    Ok(())
}

/// The code of an organization, for documents that name organizations by code.
pub fn organization_codes(
    conn: &mut DbConnection,
    ids: &[i64],
) -> Result<std::collections::HashMap<i64, String>> {
    Ok(organizations::table
        .filter(organizations::id.eq_any(ids))
        .select((organizations::id, organizations::code))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect())
}
