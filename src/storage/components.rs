//! Components: an evaluation's weighted parts. Rows in and out; the rules are the domain's
//! (`domain::component`, and the evaluation's status from `domain::evaluation`).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::Text;
use serde::Serialize;

use super::audit::{self, Actor, Change};
use super::evaluations::{self, EvaluationRow};
use super::pagination::{Page, PageRequest};
use super::schema::{components, indicators};
use super::{ensure_unique, expect_one_updated, now, DbConnection};
use crate::domain::component::{check_change, ComponentFields};
use crate::error::{ConflictKind, Error, Result};
use crate::policy::Caller;

pub const ENTITY: &str = "component";

define_sql_function!(fn lower(text: Text) -> Text);

/// A component as stored (every column is a plain value). Serialized as the audit details.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
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

impl ComponentRow {
    /// The writable fields as they are now: the target a merge patch applies to.
    pub fn fields(&self) -> ComponentFields {
        ComponentFields {
            code: self.code.clone(),
            name: self.name.clone(),
            weight: self.weight,
        }
    }
}

/// The columns a create or an update writes.
#[derive(Debug, Insertable, AsChangeset)]
#[diesel(table_name = components)]
struct ComponentValues {
    code: String,
    name: String,
    weight: f64,
    updated_at: NaiveDateTime,
}

impl ComponentValues {
    fn of(fields: &ComponentFields, updated_at: NaiveDateTime) -> Self {
        Self {
            code: fields.code.clone(),
            name: fields.name.trim().to_owned(),
            weight: fields.weight,
            updated_at,
        }
    }
}

pub fn find(conn: &mut DbConnection, id: i64) -> Result<Option<ComponentRow>> {
    Ok(components::table
        .find(id)
        .select(ComponentRow::as_select())
        .first(conn)
        .optional()?)
}

/// The component and its evaluation, if the caller may read them; 404 otherwise.
pub fn get_visible(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
) -> Result<(ComponentRow, EvaluationRow)> {
    let component = find(conn, id)?.ok_or_else(|| Error::not_found("component", id))?;
    let evaluation = evaluations::get_visible(conn, caller, component.evaluation_id)
        .map_err(|_| Error::not_found("component", id))?;
    Ok((component, evaluation))
}

/// `get_visible` for a change: the evaluation's row stays locked until the transaction ends,
/// so the change cannot commit beside a change of the evaluation's status.
pub fn get_visible_for_update(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
) -> Result<(ComponentRow, EvaluationRow)> {
    let component = find(conn, id)?.ok_or_else(|| Error::not_found("component", id))?;
    let evaluation = evaluations::get_visible_for_update(conn, caller, component.evaluation_id)
        .map_err(|_| Error::not_found("component", id))?;
    Ok((component, evaluation))
}

pub fn list(
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

/// Every component of an evaluation, in id order.
pub fn all_of(conn: &mut DbConnection, evaluation_id: i64) -> Result<Vec<ComponentRow>> {
    Ok(components::table
        .filter(components::evaluation_id.eq(evaluation_id))
        .order(components::id.asc())
        .select(ComponentRow::as_select())
        .load(conn)?)
}

/// 409 naming `code` when another component of the evaluation has the code, ignoring case
/// (codes are ASCII, so SQL `lower` agrees with Rust's on both engines).
fn code_taken(
    conn: &mut DbConnection,
    evaluation_id: i64,
    code: &str,
    own_id: Option<i64>,
) -> Result<()> {
    let existing: Option<(i64, String)> = components::table
        .filter(components::evaluation_id.eq(evaluation_id))
        .filter(lower(components::code).eq(code.to_ascii_lowercase()))
        .select((components::id, components::code))
        .first(conn)
        .optional()?;
    let holder = existing.as_ref().map(|(id, _)| *id);
    ensure_unique(holder, own_id, "code", || match existing {
        Some((_, taken)) if taken != code => format!(
            "component code {code} is already used in this evaluation, written {taken} \
             (codes are compared ignoring case)"
        ),
        _ => format!("component code {code} is already used in this evaluation"),
    })
}

/// Inserts without checks or audit (the framework import checks the whole document first).
pub(crate) fn insert(
    conn: &mut DbConnection,
    evaluation_id: i64,
    fields: &ComponentFields,
) -> Result<ComponentRow> {
    let timestamp = now();
    let id: i64 = diesel::insert_into(components::table)
        .values((
            ComponentValues::of(fields, timestamp),
            components::evaluation_id.eq(evaluation_id),
            components::created_at.eq(timestamp),
        ))
        .returning(components::id)
        .get_result(conn)?;
    find(conn, id)?.ok_or_else(|| Error::Internal("component vanished".into()))
}

fn record(
    conn: &mut DbConnection,
    actor: &Actor,
    action: &str,
    evaluation: &EvaluationRow,
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

fn details(row: &ComponentRow) -> Result<serde_json::Value> {
    serde_json::to_value(row).map_err(|e| Error::Internal(e.to_string()))
}

/// Adds a component to a draft (`evaluation` read with `get_visible_for_update`).
pub fn create(
    conn: &mut DbConnection,
    caller: &Caller,
    actor: &Actor,
    evaluation: &EvaluationRow,
    fields: ComponentFields,
) -> Result<ComponentRow> {
    caller.may_manage_evaluations(evaluation.province_id)?;
    evaluation.require_draft("components are added")?;
    Error::check(fields.check(""))?;
    code_taken(conn, evaluation.id, &fields.code, None)?;
    let row = insert(conn, evaluation.id, &fields)?;
    record(conn, actor, "create", evaluation, row.id, details(&row)?)?;
    Ok(row)
}

/// Changes a component as its evaluation's status permits (`domain::component::check_change`):
/// while active the weight may change, audited, and the weights need not sum to 100.
pub fn update(
    conn: &mut DbConnection,
    caller: &Caller,
    actor: &Actor,
    evaluation: &EvaluationRow,
    current: &ComponentRow,
    fields: ComponentFields,
) -> Result<ComponentRow> {
    caller.may_manage_evaluations(evaluation.province_id)?;
    check_change(evaluation.status, evaluation.id, &current.fields(), &fields)?;
    Error::check(fields.check(""))?;
    code_taken(conn, evaluation.id, &fields.code, Some(current.id))?;
    let updated = diesel::update(
        components::table
            .find(current.id)
            .filter(components::version.eq(current.version)),
    )
    .set((
        ComponentValues::of(&fields, now()),
        components::version.eq(current.version + 1),
    ))
    .execute(conn)?;
    expect_one_updated(updated, current.version)?;
    let row =
        find(conn, current.id)?.ok_or_else(|| Error::Internal("component vanished".into()))?;
    let details = serde_json::json!({"before": details(current)?, "after": details(&row)?});
    record(conn, actor, "update", evaluation, row.id, details)?;
    Ok(row)
}

/// Deletes a component of a draft that has no indicators (409 otherwise).
pub fn delete(
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
    record(
        conn,
        actor,
        "delete",
        evaluation,
        current.id,
        details(current)?,
    )
}
