//! Indicators (with scoring criteria) and their assignments to organizations.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use super::audit::{self, Actor, Change};
use super::evaluations::{self, EvaluationRow};
use super::pagination::{Page, PageRequest};
use super::schema::{assignments, components, indicators, organizations};
use super::{contains_pattern, ensure_unique, expect_one_updated, now, search_text, DbConnection};
use crate::domain::criteria::{Breakpoint, Criteria};
use crate::domain::framework::{check_figure, AssignmentRole, EvaluationStatus};
use crate::domain::organization::check_code;
use crate::domain::period::Frequency;
use crate::domain::scoring::{AcrossOrgs, Category, OverTime, ScoreBasis};
use crate::error::{ConflictKind, Error, FieldError, Result};
use crate::policy::{Caller, Visibility};

pub const ENTITY: &str = "indicator";
pub const ASSIGNMENT_ENTITY: &str = "assignment";

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

impl IndicatorRow {
    pub fn frequency(&self) -> Frequency {
        Frequency::parse(&self.frequency).unwrap_or(Frequency::Monthly)
    }
    pub fn over_time(&self) -> OverTime {
        OverTime::parse(&self.over_time).unwrap_or(OverTime::Latest)
    }
    pub fn across_orgs(&self) -> AcrossOrgs {
        AcrossOrgs::parse(&self.across_orgs).unwrap_or(AcrossOrgs::Average)
    }
    pub fn score_basis(&self) -> ScoreBasis {
        ScoreBasis::parse(&self.score_basis).unwrap_or(ScoreBasis::Value)
    }
    pub fn category(&self) -> Option<Category> {
        self.category.as_deref().and_then(Category::parse)
    }
    pub fn breakpoints(&self) -> Vec<Breakpoint> {
        serde_json::from_str(&self.criteria).unwrap_or_default()
    }
}

/// The writable fields of an indicator, after defaults or a merge patch.
#[derive(Debug, Clone)]
pub struct IndicatorFields {
    pub component_id: i64,
    pub code: String,
    pub name: String,
    pub description: Option<String>,
    pub unit: Option<String>,
    pub category: Option<Category>,
    pub frequency: Frequency,
    pub over_time: OverTime,
    pub across_orgs: AcrossOrgs,
    pub score_basis: ScoreBasis,
    pub baseline: Option<f64>,
    pub target: Option<f64>,
    pub weight: f64,
    pub criteria: Vec<Breakpoint>,
}

#[derive(Debug, Default, Clone)]
pub struct IndicatorFilter {
    pub evaluation_id: Option<i64>,
    pub component_id: Option<i64>,
    pub category: Option<Category>,
    pub q: Option<String>,
}

pub fn find(conn: &mut DbConnection, id: i64) -> Result<Option<IndicatorRow>> {
    Ok(indicators::table
        .find(id)
        .select(IndicatorRow::as_select())
        .first(conn)
        .optional()?)
}

/// The indicator and its evaluation, if the caller may read them; 404 otherwise.
pub fn get_visible(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
) -> Result<(IndicatorRow, EvaluationRow)> {
    let indicator = find(conn, id)?.ok_or_else(|| Error::not_found("indicator", id))?;
    let evaluation = evaluations::get_visible(conn, caller, indicator.evaluation_id)
        .map_err(|_| Error::not_found("indicator", id))?;
    Ok((indicator, evaluation))
}

pub fn list(
    conn: &mut DbConnection,
    visibility: Visibility,
    filter: &IndicatorFilter,
    page: PageRequest,
) -> Result<Page<IndicatorRow>> {
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
    Ok(page.finish(query.load(conn)?, |row| row.id))
}

/// Field checks of an indicator, all at once, with paths under `prefix`.
pub fn check_fields(fields: &IndicatorFields, prefix: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let field = |name: &str| format!("{prefix}{name}");
    if let Err(message) = check_code(&fields.code) {
        errors.push(FieldError::new(field("code"), message));
    }
    let name = fields.name.trim().chars().count();
    if name == 0 || name > 500 {
        errors.push(FieldError::new(field("name"), "must be 1–500 characters"));
    }
    if fields
        .unit
        .as_deref()
        .is_some_and(|u| u.chars().count() > 50)
    {
        errors.push(FieldError::new(
            field("unit"),
            "must be at most 50 characters",
        ));
    }
    if fields
        .description
        .as_deref()
        .is_some_and(|d| d.chars().count() > 5000)
    {
        errors.push(FieldError::new(
            field("description"),
            "must be at most 5000 characters",
        ));
    }
    if check_figure(fields.weight).is_err() || fields.weight <= 0.0 {
        errors.push(FieldError::new(
            field("weight"),
            "must be a number greater than 0",
        ));
    }
    for (name, value) in [("baseline", fields.baseline), ("target", fields.target)] {
        if let Some(Err(message)) = value.map(check_figure) {
            errors.push(FieldError::new(field(name), message));
        }
    }
    if fields.score_basis == ScoreBasis::ReductionFromBaseline {
        match fields.baseline {
            None => errors.push(FieldError::new(
                field("baseline"),
                "a reduction_from_baseline indicator needs a baseline (a per-period figure)",
            )),
            Some(b) if b <= 0.0 => errors.push(FieldError::new(
                field("baseline"),
                "must be greater than 0 to measure a reduction from it",
            )),
            _ => {}
        }
    }
    if let Err(criteria_errors) = Criteria::new(fields.criteria.clone(), &field("criteria")) {
        errors.extend(criteria_errors);
    }
    errors
}

fn details(row: &IndicatorRow) -> serde_json::Value {
    json!({
        "evaluation_id": row.evaluation_id, "component_id": row.component_id, "code": row.code,
        "name": row.name, "frequency": row.frequency, "over_time": row.over_time,
        "across_orgs": row.across_orgs, "score_basis": row.score_basis, "baseline": row.baseline,
        "target": row.target, "weight": row.weight,
        "criteria": serde_json::from_str::<serde_json::Value>(&row.criteria).unwrap_or_default(),
    })
}

fn code_taken(
    conn: &mut DbConnection,
    evaluation_id: i64,
    code: &str,
    own_id: Option<i64>,
) -> Result<()> {
    let existing: Option<i64> = indicators::table
        .filter(indicators::evaluation_id.eq(evaluation_id))
        .filter(indicators::code.eq(code))
        .select(indicators::id)
        .first(conn)
        .optional()?;
    ensure_unique(existing, own_id, "code", || {
        format!("indicator code {code} is already used in this evaluation")
    })
}

fn check_component(
    conn: &mut DbConnection,
    evaluation_id: i64,
    component_id: i64,
) -> Result<Option<FieldError>> {
    let owner: Option<i64> = components::table
        .find(component_id)
        .select(components::evaluation_id)
        .first(conn)
        .optional()?;
    Ok((owner != Some(evaluation_id)).then(|| {
        FieldError::new(
            "component_id",
            format!("component {component_id} is not a component of evaluation {evaluation_id}"),
        )
    }))
}

/// Inserts without checks or audit (the framework import checks the whole document first).
pub(crate) fn insert(
    conn: &mut DbConnection,
    evaluation_id: i64,
    fields: &IndicatorFields,
) -> Result<IndicatorRow> {
    let timestamp = now();
    let id: i64 = diesel::insert_into(indicators::table)
        .values((
            indicators::evaluation_id.eq(evaluation_id),
            indicators::component_id.eq(fields.component_id),
            indicators::code.eq(&fields.code),
            indicators::name.eq(fields.name.trim()),
            indicators::description.eq(fields.description.as_deref()),
            indicators::unit.eq(fields.unit.as_deref()),
            indicators::category.eq(fields.category.map(Category::as_str)),
            indicators::frequency.eq(fields.frequency.as_str()),
            indicators::over_time.eq(fields.over_time.as_str()),
            indicators::across_orgs.eq(fields.across_orgs.as_str()),
            indicators::score_basis.eq(fields.score_basis.as_str()),
            indicators::baseline.eq(fields.baseline),
            indicators::target.eq(fields.target),
            indicators::weight.eq(fields.weight),
            indicators::criteria.eq(serde_json::to_string(&fields.criteria).unwrap_or_default()),
            indicators::search_text.eq(search_text(&[Some(&fields.code), Some(&fields.name)])),
            indicators::created_at.eq(timestamp),
            indicators::updated_at.eq(timestamp),
        ))
        .returning(indicators::id)
        .get_result(conn)?;
    find(conn, id)?.ok_or_else(|| Error::Internal("indicator vanished".into()))
}

pub fn create(
    conn: &mut DbConnection,
    caller: &Caller,
    actor: &Actor,
    evaluation: &EvaluationRow,
    fields: IndicatorFields,
) -> Result<IndicatorRow> {
    caller.may_manage_evaluations(evaluation.province_id)?;
    evaluation.require_draft("indicators are added")?;
    let mut errors = check_fields(&fields, "");
    errors.extend(check_component(conn, evaluation.id, fields.component_id)?);
    Error::check(errors)?;
    code_taken(conn, evaluation.id, &fields.code, None)?;
    let row = insert(conn, evaluation.id, &fields)?;
    audit::record(
        conn,
        actor,
        Change {
            action: "create",
            entity_type: ENTITY,
            entity_id: row.id,
            province_id: Some(evaluation.province_id),
            details: details(&row),
        },
    )?;
    Ok(row)
}

/// While active, frequencies, score bases and aggregation settings are frozen (409); targets,
/// criteria and weights may be renegotiated, each change audited.
pub fn update(
    conn: &mut DbConnection,
    caller: &Caller,
    actor: &Actor,
    evaluation: &EvaluationRow,
    current: &IndicatorRow,
    fields: IndicatorFields,
) -> Result<IndicatorRow> {
    caller.may_manage_evaluations(evaluation.province_id)?;
    evaluation.require_open()?;
    if evaluation.status() == EvaluationStatus::Active {
        let mut frozen = Vec::new();
        let mut freeze = |name: &str, changed: bool| {
            if changed {
                frozen.push(FieldError::new(
                    name,
                    "is frozen while the evaluation is active",
                ));
            }
        };
        freeze("frequency", fields.frequency != current.frequency());
        freeze("score_basis", fields.score_basis != current.score_basis());
        freeze("over_time", fields.over_time != current.over_time());
        freeze("across_orgs", fields.across_orgs != current.across_orgs());
        freeze("component_id", fields.component_id != current.component_id);
        if !frozen.is_empty() {
            return Err(Error::Conflict { kind: ConflictKind::State, detail: "frequency, score basis, aggregation and component are frozen once the evaluation is active".into(), errors: frozen });
        }
    }
    let mut errors = check_fields(&fields, "");
    errors.extend(check_component(conn, evaluation.id, fields.component_id)?);
    Error::check(errors)?;
    code_taken(conn, evaluation.id, &fields.code, Some(current.id))?;
    let updated = diesel::update(
        indicators::table
            .find(current.id)
            .filter(indicators::version.eq(current.version)),
    )
    .set((
        indicators::component_id.eq(fields.component_id),
        indicators::code.eq(&fields.code),
        indicators::name.eq(fields.name.trim()),
        indicators::description.eq(fields.description.as_deref()),
        indicators::unit.eq(fields.unit.as_deref()),
        indicators::category.eq(fields.category.map(Category::as_str)),
        indicators::frequency.eq(fields.frequency.as_str()),
        indicators::over_time.eq(fields.over_time.as_str()),
        indicators::across_orgs.eq(fields.across_orgs.as_str()),
        indicators::score_basis.eq(fields.score_basis.as_str()),
        indicators::baseline.eq(fields.baseline),
        indicators::target.eq(fields.target),
        indicators::weight.eq(fields.weight),
        indicators::criteria.eq(serde_json::to_string(&fields.criteria).unwrap_or_default()),
        indicators::search_text.eq(search_text(&[Some(&fields.code), Some(&fields.name)])),
        indicators::version.eq(current.version + 1),
        indicators::updated_at.eq(now()),
    ))
    .execute(conn)?;
    expect_one_updated(updated, current.version)?;
    let row =
        find(conn, current.id)?.ok_or_else(|| Error::Internal("indicator vanished".into()))?;
    audit::record(
        conn,
        actor,
        Change {
            action: "update",
            entity_type: ENTITY,
            entity_id: row.id,
            province_id: Some(evaluation.province_id),
            details: json!({"before": details(current), "after": details(&row)}),
        },
    )?;
    Ok(row)
}

pub fn delete(
    conn: &mut DbConnection,
    caller: &Caller,
    actor: &Actor,
    evaluation: &EvaluationRow,
    current: &IndicatorRow,
) -> Result<()> {
    caller.may_manage_evaluations(evaluation.province_id)?;
    evaluation.require_draft("indicators are deleted")?;
    // Its assignments belong to it alone: they go with it, each audited.
    let owned: Vec<AssignmentRow> = assignments::table
        .filter(assignments::indicator_id.eq(current.id))
        .select(AssignmentRow::as_select())
        .load(conn)?;
    for assignment in &owned {
        delete_assignment_row(conn, actor, evaluation, assignment)?;
    }
    diesel::delete(indicators::table.find(current.id)).execute(conn)?;
    audit::record(
        conn,
        actor,
        Change {
            action: "delete",
            entity_type: ENTITY,
            entity_id: current.id,
            province_id: Some(evaluation.province_id),
            details: details(current),
        },
    )?;
    Ok(())
}

// ---- assignments ----

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = assignments)]
pub struct AssignmentRow {
    pub id: i64,
    pub indicator_id: i64,
    pub organization_id: i64,
    pub role: String,
    pub contact_name: Option<String>,
    pub contact_position: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
    pub baseline: Option<f64>,
    pub target: Option<f64>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl AssignmentRow {
    pub fn role(&self) -> AssignmentRole {
        AssignmentRole::parse(&self.role).unwrap_or(AssignmentRole::Supervisor)
    }
}

/// An assignment with the codes a person reads it by.
#[derive(Debug, Clone)]
pub struct AssignmentView {
    pub assignment: AssignmentRow,
    pub organization_code: String,
    pub indicator_code: String,
    pub evaluation_id: i64,
}

#[derive(Debug, Clone)]
pub struct AssignmentFields {
    pub organization_id: i64,
    pub role: AssignmentRole,
    pub contact_name: Option<String>,
    pub contact_position: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
    pub baseline: Option<f64>,
    pub target: Option<f64>,
}

#[derive(Debug, Default, Clone)]
pub struct AssignmentFilter {
    /// Only assignments of these evaluations (the caller's view); None: all.
    pub evaluation_ids: Option<Vec<i64>>,
    pub indicator_id: Option<i64>,
    pub organization_id: Option<i64>,
    pub evaluation_id: Option<i64>,
    pub role: Option<AssignmentRole>,
}

pub fn find_assignment(conn: &mut DbConnection, id: i64) -> Result<Option<AssignmentRow>> {
    Ok(assignments::table
        .find(id)
        .select(AssignmentRow::as_select())
        .first(conn)
        .optional()?)
}

fn view(conn: &mut DbConnection, assignment: AssignmentRow) -> Result<AssignmentView> {
    let organization_code: String = organizations::table
        .find(assignment.organization_id)
        .select(organizations::code)
        .first(conn)?;
    let (indicator_code, evaluation_id): (String, i64) = indicators::table
        .find(assignment.indicator_id)
        .select((indicators::code, indicators::evaluation_id))
        .first(conn)?;
    Ok(AssignmentView {
        assignment,
        organization_code,
        indicator_code,
        evaluation_id,
    })
}

/// The assignment, its indicator and evaluation, if the caller may read them; 404 otherwise.
pub fn get_assignment_visible(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
) -> Result<(AssignmentView, IndicatorRow, EvaluationRow)> {
    let assignment =
        find_assignment(conn, id)?.ok_or_else(|| Error::not_found("assignment", id))?;
    let (indicator, evaluation) = get_visible(conn, caller, assignment.indicator_id)
        .map_err(|_| Error::not_found("assignment", id))?;
    Ok((view(conn, assignment)?, indicator, evaluation))
}

pub fn list_assignments(
    conn: &mut DbConnection,
    filter: &AssignmentFilter,
    page: PageRequest,
) -> Result<Page<AssignmentView>> {
    let mut query = assignments::table
        .inner_join(indicators::table)
        .inner_join(organizations::table)
        .select((
            AssignmentRow::as_select(),
            organizations::code,
            indicators::code,
            indicators::evaluation_id,
        ))
        .order(assignments::id.asc())
        .limit(page.fetch_limit())
        .into_boxed();
    if let Some(after) = page.after {
        query = query.filter(assignments::id.gt(after));
    }
    if let Some(ids) = &filter.evaluation_ids {
        query = query.filter(indicators::evaluation_id.eq_any(ids.clone()));
    }
    if let Some(indicator_id) = filter.indicator_id {
        query = query.filter(assignments::indicator_id.eq(indicator_id));
    }
    if let Some(organization_id) = filter.organization_id {
        query = query.filter(assignments::organization_id.eq(organization_id));
    }
    if let Some(evaluation_id) = filter.evaluation_id {
        query = query.filter(indicators::evaluation_id.eq(evaluation_id));
    }
    if let Some(role) = filter.role {
        query = query.filter(assignments::role.eq(role.as_str()));
    }
    let rows: Vec<(AssignmentRow, String, String, i64)> = query.load(conn)?;
    let views = rows
        .into_iter()
        .map(
            |(assignment, organization_code, indicator_code, evaluation_id)| AssignmentView {
                assignment,
                organization_code,
                indicator_code,
                evaluation_id,
            },
        )
        .collect();
    Ok(page.finish(views, |row: &AssignmentView| row.assignment.id))
}

/// Field checks of an assignment, with paths under `prefix`.
pub fn check_assignment_fields(fields: &AssignmentFields, prefix: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for (name, value, max) in [
        ("contact_name", &fields.contact_name, 200),
        ("contact_position", &fields.contact_position, 200),
        ("contact_phone", &fields.contact_phone, 50),
        ("contact_email", &fields.contact_email, 254),
    ] {
        if value.as_deref().is_some_and(|v| v.chars().count() > max) {
            errors.push(FieldError::new(
                format!("{prefix}{name}"),
                format!("must be at most {max} characters"),
            ));
        }
    }
    if let Some(email) = &fields.contact_email {
        let valid = email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !email.contains(char::is_whitespace)
        });
        if !valid {
            errors.push(FieldError::new(
                format!("{prefix}contact_email"),
                "must be an e-mail address such as peo.yasothon@energy.go.th",
            ));
        }
    }
    for (name, value) in [("baseline", fields.baseline), ("target", fields.target)] {
        if let Some(Err(message)) = value.map(check_figure) {
            errors.push(FieldError::new(format!("{prefix}{name}"), message));
        }
    }
    if fields.role == AssignmentRole::Supervisor
        && (fields.baseline.is_some() || fields.target.is_some())
    {
        errors.push(FieldError::new(
            format!("{prefix}role"),
            "a supervisor reviews and reports nothing: it has no baseline or target",
        ));
    }
    errors
}

/// The organization must be under the evaluation's province, or have no province above it
/// (a national or regional unit). Returns the problem, if any.
pub fn check_assignable(
    conn: &mut DbConnection,
    caller: &Caller,
    evaluation: &EvaluationRow,
    organization_id: i64,
    field: &str,
) -> Result<Option<FieldError>> {
    let organization = super::organizations::find(conn, organization_id)?
        .filter(|org| caller.visibility().includes(org.province_id));
    Ok(match organization {
        None => Some(FieldError::new(field, format!("organization {organization_id} does not exist"))),
        Some(org) => match org.province_id {
            Some(province) if province != evaluation.province_id => Some(FieldError::new(field, format!("organization {} is under another province; assign organizations of this province or national and regional units", org.code))),
            _ => None,
        },
    })
}

fn assignment_details(row: &AssignmentRow) -> serde_json::Value {
    json!({
        "indicator_id": row.indicator_id, "organization_id": row.organization_id, "role": row.role,
        "contact_name": row.contact_name, "contact_position": row.contact_position,
        "contact_phone": row.contact_phone, "contact_email": row.contact_email,
        "baseline": row.baseline, "target": row.target,
    })
}

fn assignment_taken(
    conn: &mut DbConnection,
    indicator_id: i64,
    fields: &AssignmentFields,
    own_id: Option<i64>,
) -> Result<()> {
    let existing: Option<i64> = assignments::table
        .filter(assignments::indicator_id.eq(indicator_id))
        .filter(assignments::organization_id.eq(fields.organization_id))
        .filter(assignments::role.eq(fields.role.as_str()))
        .select(assignments::id)
        .first(conn)
        .optional()?;
    ensure_unique(existing, own_id, "organization_id", || {
        format!(
            "organization {} already has the role {} for this indicator",
            fields.organization_id,
            fields.role.as_str()
        )
    })
}

/// Inserts without checks or audit (the framework import checks the whole document first).
pub(crate) fn insert_assignment(
    conn: &mut DbConnection,
    indicator_id: i64,
    fields: &AssignmentFields,
) -> Result<AssignmentRow> {
    let timestamp = now();
    let id: i64 = diesel::insert_into(assignments::table)
        .values((
            assignments::indicator_id.eq(indicator_id),
            assignments::organization_id.eq(fields.organization_id),
            assignments::role.eq(fields.role.as_str()),
            assignments::contact_name.eq(fields.contact_name.as_deref()),
            assignments::contact_position.eq(fields.contact_position.as_deref()),
            assignments::contact_phone.eq(fields.contact_phone.as_deref()),
            assignments::contact_email.eq(fields.contact_email.as_deref()),
            assignments::baseline.eq(fields.baseline),
            assignments::target.eq(fields.target),
            assignments::created_at.eq(timestamp),
            assignments::updated_at.eq(timestamp),
        ))
        .returning(assignments::id)
        .get_result(conn)?;
    find_assignment(conn, id)?.ok_or_else(|| Error::Internal("assignment vanished".into()))
}

/// Assignments may change while active (a new host agency mid-year); closed is read-only.
pub fn create_assignment(
    conn: &mut DbConnection,
    caller: &Caller,
    actor: &Actor,
    evaluation: &EvaluationRow,
    indicator: &IndicatorRow,
    fields: AssignmentFields,
) -> Result<AssignmentView> {
    caller.may_manage_evaluations(evaluation.province_id)?;
    evaluation.require_open()?;
    let mut errors = check_assignment_fields(&fields, "");
    errors.extend(check_assignable(
        conn,
        caller,
        evaluation,
        fields.organization_id,
        "organization_id",
    )?);
    Error::check(errors)?;
    assignment_taken(conn, indicator.id, &fields, None)?;
    let row = insert_assignment(conn, indicator.id, &fields)?;
    audit::record(
        conn,
        actor,
        Change {
            action: "create",
            entity_type: ASSIGNMENT_ENTITY,
            entity_id: row.id,
            province_id: Some(evaluation.province_id),
            details: assignment_details(&row),
        },
    )?;
    view(conn, row)
}

pub fn update_assignment(
    conn: &mut DbConnection,
    caller: &Caller,
    actor: &Actor,
    evaluation: &EvaluationRow,
    current: &AssignmentRow,
    fields: AssignmentFields,
) -> Result<AssignmentView> {
    caller.may_manage_evaluations(evaluation.province_id)?;
    evaluation.require_open()?;
    let mut errors = check_assignment_fields(&fields, "");
    errors.extend(check_assignable(
        conn,
        caller,
        evaluation,
        fields.organization_id,
        "organization_id",
    )?);
    Error::check(errors)?;
    assignment_taken(conn, current.indicator_id, &fields, Some(current.id))?;
    let updated = diesel::update(
        assignments::table
            .find(current.id)
            .filter(assignments::version.eq(current.version)),
    )
    .set((
        assignments::organization_id.eq(fields.organization_id),
        assignments::role.eq(fields.role.as_str()),
        assignments::contact_name.eq(fields.contact_name.as_deref()),
        assignments::contact_position.eq(fields.contact_position.as_deref()),
        assignments::contact_phone.eq(fields.contact_phone.as_deref()),
        assignments::contact_email.eq(fields.contact_email.as_deref()),
        assignments::baseline.eq(fields.baseline),
        assignments::target.eq(fields.target),
        assignments::version.eq(current.version + 1),
        assignments::updated_at.eq(now()),
    ))
    .execute(conn)?;
    expect_one_updated(updated, current.version)?;
    let row = find_assignment(conn, current.id)?
        .ok_or_else(|| Error::Internal("assignment vanished".into()))?;
    audit::record(
        conn,
        actor,
        Change {
            action: "update",
            entity_type: ASSIGNMENT_ENTITY,
            entity_id: row.id,
            province_id: Some(evaluation.province_id),
            details: json!({"before": assignment_details(current), "after": assignment_details(&row)}),
        },
    )?;
    view(conn, row)
}

fn delete_assignment_row(
    conn: &mut DbConnection,
    actor: &Actor,
    evaluation: &EvaluationRow,
    current: &AssignmentRow,
) -> Result<()> {
    diesel::delete(assignments::table.find(current.id)).execute(conn)?;
    audit::record(
        conn,
        actor,
        Change {
            action: "delete",
            entity_type: ASSIGNMENT_ENTITY,
            entity_id: current.id,
            province_id: Some(evaluation.province_id),
            details: assignment_details(current),
        },
    )
}

pub fn delete_assignment(
    conn: &mut DbConnection,
    caller: &Caller,
    actor: &Actor,
    evaluation: &EvaluationRow,
    current: &AssignmentRow,
) -> Result<()> {
    caller.may_manage_evaluations(evaluation.province_id)?;
    evaluation.require_open()?;
    delete_assignment_row(conn, actor, evaluation, current)
}
