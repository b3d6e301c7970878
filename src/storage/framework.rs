//! The framework document: export an evaluation's components, indicators and assignments as
//! one document, and import one into a draft evaluation in one transaction, all or nothing.

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;
use serde_json::json;

use super::audit::{self, Actor, Change};
use super::evaluations::{
    self, check_component_fields, ComponentFields, ComponentRow, EvaluationRow,
};
use super::indicators::{
    self as indicator_store, check_assignment_fields, check_fields, AssignmentFields,
    AssignmentRow, IndicatorFields, IndicatorRow,
};
use super::schema::{assignments, components, indicators};
use super::{organizations, DbConnection};
use crate::domain::framework::{
    AssignmentDocument, ComponentDocument, FrameworkDocument, IndicatorDocument,
};
use crate::error::{Error, FieldError, Result};
use crate::policy::Caller;

pub fn export(conn: &mut DbConnection, evaluation_id: i64) -> Result<FrameworkDocument> {
    let component_rows: Vec<ComponentRow> = components::table
        .filter(components::evaluation_id.eq(evaluation_id))
        .order(components::id.asc())
        .select(ComponentRow::as_select())
        .load(conn)?;
    let indicator_rows: Vec<IndicatorRow> = indicators::table
        .filter(indicators::evaluation_id.eq(evaluation_id))
        .order(indicators::id.asc())
        .select(IndicatorRow::as_select())
        .load(conn)?;
    let indicator_ids: Vec<i64> = indicator_rows.iter().map(|i| i.id).collect();
    let assignment_rows: Vec<AssignmentRow> = assignments::table
        .filter(assignments::indicator_id.eq_any(&indicator_ids))
        .order(assignments::id.asc())
        .select(AssignmentRow::as_select())
        .load(conn)?;
    let organization_ids: Vec<i64> = assignment_rows.iter().map(|a| a.organization_id).collect();
    let codes = evaluations::organization_codes(conn, &organization_ids)?;
    let mut assignments_by_indicator: HashMap<i64, Vec<AssignmentDocument>> = HashMap::new();
    for a in assignment_rows {
        assignments_by_indicator
            .entry(a.indicator_id)
            .or_default()
            .push(AssignmentDocument {
                organization_code: codes.get(&a.organization_id).cloned().unwrap_or_default(),
                role: a.role(),
                contact_name: a.contact_name,
                contact_position: a.contact_position,
                contact_phone: a.contact_phone,
                contact_email: a.contact_email,
                baseline: a.baseline,
                target: a.target,
            });
    }
    let mut indicators_by_component: HashMap<i64, Vec<IndicatorDocument>> = HashMap::new();
    for i in indicator_rows {
        let document = IndicatorDocument {
            criteria: i.breakpoints(),
            category: i.category(),
            frequency: i.frequency(),
            over_time: i.over_time(),
            across_orgs: i.across_orgs(),
            score_basis: i.score_basis(),
            assignments: assignments_by_indicator.remove(&i.id).unwrap_or_default(),
            code: i.code,
            name: i.name,
            description: i.description,
            unit: i.unit,
            baseline: i.baseline,
            target: i.target,
            weight: i.weight,
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

fn indicator_fields(document: &IndicatorDocument, component_id: i64) -> IndicatorFields {
    IndicatorFields {
        component_id,
        code: document.code.clone(),
        name: document.name.clone(),
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

fn assignment_fields(document: &AssignmentDocument, organization_id: i64) -> AssignmentFields {
    AssignmentFields {
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

/// Replaces a draft evaluation's framework with `document`; every problem is listed at once
/// with its path (`components[0].indicators[1].criteria[2].value`) and nothing is stored.
pub fn import(
    conn: &mut DbConnection,
    caller: &Caller,
    actor: &Actor,
    evaluation: &EvaluationRow,
    document: &FrameworkDocument,
) -> Result<FrameworkDocument> {
    caller.may_manage_evaluations(evaluation.province_id)?;
    evaluation.require_draft("a framework is imported")?;

    let mut errors = Vec::new();
    let mut component_codes = HashSet::new();
    let mut indicator_codes = HashSet::new();
    let mut organization_ids: HashMap<String, i64> = HashMap::new();
    for (c, component) in document.components.iter().enumerate() {
        let prefix = format!("components[{c}].");
        errors.extend(check_component_fields(
            &ComponentFields {
                code: component.code.clone(),
                name: component.name.clone(),
                weight: component.weight,
            },
            &prefix,
        ));
        if !component_codes.insert(component.code.as_str()) {
            errors.push(FieldError::new(
                format!("{prefix}code"),
                format!("component code {} appears twice", component.code),
            ));
        }
        for (i, indicator) in component.indicators.iter().enumerate() {
            let prefix = format!("components[{c}].indicators[{i}].");
            errors.extend(check_fields(&indicator_fields(indicator, 0), &prefix));
            if !indicator_codes.insert(indicator.code.as_str()) {
                errors.push(FieldError::new(
                    format!("{prefix}code"),
                    format!("indicator code {} appears twice", indicator.code),
                ));
            }
            let mut pairs = HashSet::new();
            for (a, assignment) in indicator.assignments.iter().enumerate() {
                let prefix = format!("{prefix}assignments[{a}].");
                let field = format!("{prefix}organization_code");
                let organization_id = match organization_ids.get(&assignment.organization_code) {
                    Some(id) => Some(*id),
                    None => match organizations::find_by_code(conn, &assignment.organization_code)?
                        .filter(|org| caller.visibility().includes(org.province_id))
                    {
                        Some(org) => {
                            organization_ids.insert(org.code.clone(), org.id);
                            Some(org.id)
                        }
                        None => {
                            errors.push(FieldError::new(
                                &field,
                                format!(
                                    "no organization has the code {}",
                                    assignment.organization_code
                                ),
                            ));
                            None
                        }
                    },
                };
                if let Some(organization_id) = organization_id {
                    errors.extend(indicator_store::check_assignable(
                        conn,
                        caller,
                        evaluation,
                        organization_id,
                        &field,
                    )?);
                    errors.extend(check_assignment_fields(
                        &assignment_fields(assignment, organization_id),
                        &prefix,
                    ));
                    if !pairs.insert((organization_id, assignment.role)) {
                        errors.push(FieldError::new(
                            &field,
                            format!(
                                "{} appears twice with the role {}",
                                assignment.organization_code,
                                assignment.role.as_str()
                            ),
                        ));
                    }
                }
            }
        }
    }
    Error::check(errors)?;

    // Replace: the old framework goes, the new one comes, in this one transaction.
    let old_indicators: Vec<i64> = indicators::table
        .filter(indicators::evaluation_id.eq(evaluation.id))
        .select(indicators::id)
        .load(conn)?;
    diesel::delete(assignments::table.filter(assignments::indicator_id.eq_any(&old_indicators)))
        .execute(conn)?;
    diesel::delete(indicators::table.filter(indicators::evaluation_id.eq(evaluation.id)))
        .execute(conn)?;
    diesel::delete(components::table.filter(components::evaluation_id.eq(evaluation.id)))
        .execute(conn)?;
    let (mut indicator_count, mut assignment_count) = (0, 0);
    for component in &document.components {
        let row = evaluations::insert_component(
            conn,
            evaluation.id,
            &ComponentFields {
                code: component.code.clone(),
                name: component.name.clone(),
                weight: component.weight,
            },
        )?;
        for indicator in &component.indicators {
            let indicator_row =
                indicator_store::insert(conn, evaluation.id, &indicator_fields(indicator, row.id))?;
            indicator_count += 1;
            for assignment in &indicator.assignments {
                let organization_id = organization_ids
                    .get(&assignment.organization_code)
                    .copied()
                    .unwrap_or_default();
                indicator_store::insert_assignment(
                    conn,
                    indicator_row.id,
                    &assignment_fields(assignment, organization_id),
                )?;
                assignment_count += 1;
            }
        }
    }
    audit::record(
        conn,
        actor,
        Change {
            action: "import_framework",
            entity_type: evaluations::ENTITY,
            entity_id: evaluation.id,
            province_id: Some(evaluation.province_id),
            details: json!({
                "components": document.components.len(),
                "indicators": indicator_count,
                "assignments": assignment_count,
                "replaced_indicators": old_indicators.len(),
            }),
        },
    )?;
    export(conn, evaluation.id)
}
