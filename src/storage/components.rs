//! Components: an evaluation's weighted parts. Rows in and out; the rules are the domain's
//! (`domain::component`, and the evaluation's status from `domain::evaluation`).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::audit::{self, Actor};
use super::evaluations::{self, EvaluationRow};
use super::pagination::{Page, PageRequest};
use super::schema::{components, indicators};
use super::{ensure_code_free, lower, now, written, Access, DbConnection};
use crate::domain::component::{check_change, ComponentFields};
use crate::error::{ConflictKind, Error, Result};
use crate::policy::Caller;

pub const ENTITY: &str = "component";

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

/// The component and its evaluation, read for `access` (`evaluations::child`).
pub fn get(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    access: Access,
) -> Result<(ComponentRow, EvaluationRow)> {
    let evaluation_of = components::table.find(id).select(components::evaluation_id);
    evaluations::child(conn, caller, access, (ENTITY, id), evaluation_of, |conn| {
        find(conn, id)
    })
}

pub fn list(
    conn: &mut DbConnection,
    evaluation_id: i64,
    page: PageRequest,
) -> Result<Page<ComponentRow>> {
    let query = page.keyset(
        components::table
            .filter(components::evaluation_id.eq(evaluation_id))
            .select(ComponentRow::as_select())
            .into_boxed(),
        components::id,
    );
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

/// 409 naming `code` when another component of the evaluation has the code, ignoring case.
fn code_taken(
    conn: &mut DbConnection,
    evaluation_id: i64,
    code: &str,
    own_id: Option<i64>,
) -> Result<()> {
    let taken_by = "another component of this evaluation";
    ensure_code_free(code, own_id, taken_by, |key| {
        components::table
            .filter(components::evaluation_id.eq(evaluation_id))
            .filter(lower(components::code).eq(key))
            .select(components::id)
            .first(conn)
            .optional()
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
    written(find(conn, id)?, ENTITY, id)
}

/// Adds a component to a draft (`evaluation` read with `evaluations::get` to manage).
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
    let change = evaluation.change("create", ENTITY, row.id, audit::fields(&row)?);
    audit::record(conn, actor, change)?;
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
    let values = ComponentValues::of(&fields, now());
    update_versioned!(conn, components, current.id, current.version, values)?;
    let row = written(find(conn, current.id)?, ENTITY, current.id)?;
    let details = audit::before_after(current, &row)?;
    let change = evaluation.change("update", ENTITY, row.id, details);
    audit::record(conn, actor, change)?;
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
    let details = audit::fields(current)?;
    let change = evaluation.change("delete", ENTITY, current.id, details);
    audit::record(conn, actor, change)
}
