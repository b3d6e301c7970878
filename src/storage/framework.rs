//! The framework document: export an evaluation's components, indicators and assignments as
//! one document, and import one into a draft evaluation in one transaction, all or nothing.

use std::collections::HashMap;

use diesel::prelude::*;
use serde_json::json;

use super::audit::{self, Actor};
use super::components::{self, ComponentRow};
use super::evaluations::{EvaluationRow, ENTITY};
use super::schema::{assignments, components as component_table, indicators, organizations};
use super::{assignments as assignment_store, indicators as indicator_store};
use super::{organizations as organization_store, DbConnection};
use crate::domain::assignment::AssignmentSpec;
use crate::domain::framework::{
    AssignmentDocument, ComponentDocument, FrameworkDocument, IndicatorDocument, SeenCodes,
};
use crate::domain::indicator::IndicatorSpec;
use crate::error::{Error, FieldError, Result};
use crate::policy::Caller;

/// The code of each organization in `ids`, for documents that name organizations by code.
fn organization_codes(conn: &mut DbConnection, ids: &[i64]) -> Result<HashMap<i64, String>> {
    Ok(organizations::table
        .filter(organizations::id.eq_any(ids))
        .select((organizations::id, organizations::code))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect())
}

pub fn export(conn: &mut DbConnection, evaluation_id: i64) -> Result<FrameworkDocument> {
    let component_rows: Vec<ComponentRow> = components::all_of(conn, evaluation_id)?;
    let indicator_rows = indicator_store::of_evaluation(conn, evaluation_id)?;
    let indicator_ids: Vec<i64> = indicator_rows.iter().map(|i| i.id).collect();
    let assignment_rows = assignment_store::of_indicators(conn, &indicator_ids)?;
    let organization_ids: Vec<i64> = assignment_rows
        .iter()
        .map(|a| a.spec.organization_id)
        .collect();
    let codes = organization_codes(conn, &organization_ids)?;
    let mut assignments_by_indicator: HashMap<i64, Vec<AssignmentDocument>> = HashMap::new();
    for a in assignment_rows {
        let a_spec = a.spec;
        assignments_by_indicator
            .entry(a.indicator_id)
            .or_default()
            .push(AssignmentDocument {
                organization_code: codes.get(&a_spec.organization_id).cloned().ok_or_else(
                    || Error::Internal(format!("assignment {} lost its organization", a.id)),
                )?,
                role: a_spec.role,
                contact_name: a_spec.contact_name,
                contact_position: a_spec.contact_position,
                contact_phone: a_spec.contact_phone,
                contact_email: a_spec.contact_email,
                baseline: a_spec.baseline,
                target: a_spec.target,
            });
    }
    let mut indicators_by_component: HashMap<i64, Vec<IndicatorDocument>> = HashMap::new();
    for i in indicator_rows {
        let spec = i.spec;
        let document = IndicatorDocument {
            criteria: spec.criteria,
            category: spec.category,
            frequency: spec.frequency,
            over_time: spec.over_time,
            across_orgs: spec.across_orgs,
            score_basis: spec.score_basis,
            assignments: assignments_by_indicator.remove(&i.id).unwrap_or_default(),
            code: spec.code,
            name: spec.name,
            description: spec.description,
            unit: spec.unit,
            baseline: spec.baseline,
            target: spec.target,
            weight: spec.weight,
        };
        indicators_by_component
            .entry(i.component_id)
            .or_default()
            .push(document);
    }
    Ok(FrameworkDocument {
        components: component_rows
            .into_iter()
            .map(|c| ComponentDocument {
                indicators: indicators_by_component.remove(&c.id).unwrap_or_default(),
                code: c.code,
                name: c.name,
                weight: c.weight,
            })
            .collect(),
    })
}

fn indicator_spec(document: &IndicatorDocument) -> IndicatorSpec {
    IndicatorSpec {
        code: document.code.clone(),
        name: document.name.trim().to_owned(),
        description: document.description.clone(),
        unit: document.unit.clone(),
        category: document.category,
        frequency: document.frequency,
        over_time: document.over_time,
        across_orgs: document.across_orgs,
        score_basis: document.score_basis,
        baseline: document.baseline,
        target: document.target,
        weight: document.weight,
        criteria: document.criteria.clone(),
    }
}

fn assignment_spec(document: &AssignmentDocument, organization_id: i64) -> AssignmentSpec {
    AssignmentSpec {
        organization_id,
        role: document.role,
        contact_name: document.contact_name.clone(),
        contact_position: document.contact_position.clone(),
        contact_phone: document.contact_phone.clone(),
        contact_email: document.contact_email.clone(),
        baseline: document.baseline,
        target: document.target,
    }
}

/// The organization each code in the document names, if the caller can see it.
fn resolve_organizations(
    conn: &mut DbConnection,
    caller: &Caller,
    document: &FrameworkDocument,
) -> Result<HashMap<String, i64>> {
    let mut ids = HashMap::new();
    let codes = document
        .components
        .iter()
        .flat_map(|c| &c.indicators)
        .flat_map(|i| &i.assignments)
        .map(|a| &a.organization_code);
    for code in codes {
        if ids.contains_key(code) {
            continue;
        }
        if let Some(org) = organization_store::find_by_code(conn, code)?
            .filter(|org| caller.visibility().includes(org.province_id))
        {
            ids.insert(code.clone(), org.id);
        }
    }
    Ok(ids)
}

/// Every problem of the document, in document order, each with its path
/// (`components[0].indicators[1].criteria[2].value`).
fn problems(
    conn: &mut DbConnection,
    caller: &Caller,
    evaluation: &EvaluationRow,
    document: &FrameworkDocument,
    organization_ids: &HashMap<String, i64>,
) -> Result<Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut component_codes = SeenCodes::default();
    let mut indicator_codes = SeenCodes::default();
    for (c, component) in document.components.iter().enumerate() {
        let prefix = format!("components[{c}].");
        errors.extend(component.fields().check(&prefix));
        errors.extend(component_codes.repeat(
            &component.code,
            format!("{prefix}code"),
            format!("component code {} appears twice", component.code),
        ));
        for (i, indicator) in component.indicators.iter().enumerate() {
            let prefix = format!("components[{c}].indicators[{i}].");
            errors.extend(indicator_spec(indicator).problems(&prefix));
            errors.extend(indicator_codes.repeat(
                &indicator.code,
                format!("{prefix}code"),
                format!("indicator code {} appears twice", indicator.code),
            ));
            let mut assigned = SeenCodes::default();
            for (a, assignment) in indicator.assignments.iter().enumerate() {
                let prefix = format!("{prefix}assignments[{a}].");
                let field = format!("{prefix}organization_code");
                let code = &assignment.organization_code;
                let Some(&organization_id) = organization_ids.get(code) else {
                    errors.push(FieldError::new(
                        &field,
                        format!("no organization has the code {code}"),
                    ));
                    continue;
                };
                errors.extend(
                    assignment_store::assignable(
                        conn,
                        caller,
                        evaluation,
                        organization_id,
                        &field,
                    )?
                    .err(),
                );
                errors.extend(assignment_spec(assignment, organization_id).problems(&prefix));
                errors.extend(assigned.repeat(
                    code,
                    field,
                    format!(
                        "{code} is assigned to indicator {} twice: an organization has one role \
                         per indicator",
                        indicator.code
                    ),
                ));
            }
        }
    }
    Ok(errors)
}

/// Replaces a draft evaluation's framework with `document` (`evaluation` read with
/// `evaluations::get` to manage); every problem is listed at once and nothing is stored.
pub fn import(
    conn: &mut DbConnection,
    caller: &Caller,
    actor: &Actor,
    evaluation: &EvaluationRow,
    document: &FrameworkDocument,
) -> Result<FrameworkDocument> {
    caller.may_manage_evaluations(evaluation.province_id)?;
    evaluation.require_draft("a framework is imported")?;
    let organization_ids = resolve_organizations(conn, caller, document)?;
    Error::check(problems(
        conn,
        caller,
        evaluation,
        document,
        &organization_ids,
    )?)?;
    replace(conn, actor, evaluation, document, &organization_ids)?;
    export(conn, evaluation.id)
}

/// The old framework goes, the new one comes, in the caller's one transaction.
fn replace(
    conn: &mut DbConnection,
    actor: &Actor,
    evaluation: &EvaluationRow,
    document: &FrameworkDocument,
    organization_ids: &HashMap<String, i64>,
) -> Result<()> {
    let old_indicators: Vec<i64> = indicators::table
        .filter(indicators::evaluation_id.eq(evaluation.id))
        .select(indicators::id)
        .load(conn)?;
    diesel::delete(assignments::table.filter(assignments::indicator_id.eq_any(&old_indicators)))
        .execute(conn)?;
    diesel::delete(indicators::table.filter(indicators::evaluation_id.eq(evaluation.id)))
        .execute(conn)?;
    diesel::delete(component_table::table.filter(component_table::evaluation_id.eq(evaluation.id)))
        .execute(conn)?;
    let (mut indicator_count, mut assignment_count) = (0, 0);
    for component in &document.components {
        let row = components::insert(conn, evaluation.id, &component.fields())?;
        for indicator in &component.indicators {
            let indicator_row =
                indicator_store::insert(conn, evaluation.id, row.id, &indicator_spec(indicator))?;
            indicator_count += 1;
            for assignment in &indicator.assignments {
                let organization_id = organization_ids
                    .get(&assignment.organization_code)
                    .copied()
                    .ok_or_else(|| Error::Internal("a checked organization vanished".into()))?;
                assignment_store::insert(
                    conn,
                    indicator_row.id,
                    &assignment_spec(assignment, organization_id),
                )?;
                assignment_count += 1;
            }
        }
    }
    let details = json!({
        "components": document.components.len(),
        "indicators": indicator_count,
        "assignments": assignment_count,
        "replaced_indicators": old_indicators.len(),
    });
    let change = evaluation.change("import_framework", ENTITY, evaluation.id, details);
    audit::record(conn, actor, change)
}
