//! Organizations: the tree of the country, provinces, agencies, districts and local governments.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use super::audit::{self, Actor, Change};
use super::notify;
use super::pagination::{Page, PageRequest};
use super::schema::{assignments, evaluations, indicators, organizations, users};
use super::{
    contains_pattern, decode, ensure_code_free, lower, now, search_text, submissions, written,
    Access, DbConnection,
};
use crate::domain::organization::{
    check_move_keeps_assignments, check_reported_code, check_reported_delete, check_units_fit,
    code_key, place, province_of, OrganizationKind, OrganizationSpec, ParentFacts, MAX_DEPTH,
};
use crate::error::{ConflictKind, Error, FieldError, Result};
use crate::policy::{Caller, Visibility};

pub const ENTITY: &str = "organization";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = organizations)]
pub struct OrganizationRow {
    pub id: i64,
    pub code: String,
    pub name_th: String,
    pub name_en: Option<String>,
    pub kind: String,
    pub parent_id: Option<i64>,
    pub province_id: Option<i64>,
    pub search_text: String,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl OrganizationRow {
    /// The stored kind; an unknown one is corruption, reported, never guessed.
    pub fn kind(&self) -> Result<OrganizationKind> {
        decode(ENTITY, self.id, "kind", &self.kind, OrganizationKind::parse)
    }
}

#[derive(Debug, Default, Clone)]
pub struct OrganizationFilter {
    pub kind: Option<OrganizationKind>,
    pub parent_id: Option<i64>,
    pub q: Option<String>,
}

pub fn find(conn: &mut DbConnection, id: i64) -> Result<Option<OrganizationRow>> {
    Ok(organizations::table
        .find(id)
        .select(OrganizationRow::as_select())
        .first(conn)
        .optional()?)
}

/// Codes are unique ignoring case (`code_key`): `yst-peo` finds `YST-PEO`.
pub fn find_by_code(conn: &mut DbConnection, code: &str) -> Result<Option<OrganizationRow>> {
    Ok(organizations::table
        .filter(lower(organizations::code).eq(code_key(code)))
        .select(OrganizationRow::as_select())
        .first(conn)
        .optional()?)
}

/// The organization if the caller may read it, a 404 otherwise (it must not learn it exists);
/// to manage: a caller that manages organizations (403 before the lookup otherwise) and may
/// write this one (403).
pub fn get(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    access: Access,
) -> Result<OrganizationRow> {
    if access == Access::Manage {
        caller.may_manage_organizations()?;
    }
    let organization = find(conn, id)?
        .filter(|org| caller.visibility().includes(org.province_id))
        .ok_or_else(|| Error::not_found(ENTITY, id))?;
    if access == Access::Manage {
        caller.may_write_organization(organization.province_id, &organization.kind)?;
    }
    Ok(organization)
}

pub fn list(
    conn: &mut DbConnection,
    visibility: Visibility,
    filter: &OrganizationFilter,
    page: PageRequest,
) -> Result<Page<OrganizationRow>> {
    let mut query = page.keyset(
        organizations::table
            .select(OrganizationRow::as_select())
            .into_boxed(),
        organizations::id,
    );
    match visibility {
        Visibility::All => {}
        Visibility::Province(province) => {
            query = query.filter(
                organizations::province_id
                    .eq(province)
                    .or(organizations::province_id.is_null()),
            )
        }
        Visibility::NoProvince => query = query.filter(organizations::province_id.is_null()),
    }
    if let Some(kind) = filter.kind {
        query = query.filter(organizations::kind.eq(kind.as_str()));
    }
    if let Some(parent_id) = filter.parent_id {
        query = query.filter(organizations::parent_id.eq(parent_id));
    }
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        query = query.filter(
            organizations::search_text
                .like(contains_pattern(q))
                .escape('\\'),
        );
    }
    Ok(page.finish(query.load(conn)?, |row| row.id))
}

/// The facts `domain::organization::place` needs about a parent the caller can see; None
/// (and an error naming `parent_id`) when there is no such organization.
fn parent_facts(
    conn: &mut DbConnection,
    caller: &Caller,
    parent_id: i64,
) -> Result<Option<ParentFacts>> {
    let Some(parent) =
        find(conn, parent_id)?.filter(|parent| caller.visibility().includes(parent.province_id))
    else {
        return Ok(None);
    };
    let mut ancestors = Vec::new();
    let mut cursor = parent.parent_id;
    while let Some(ancestor) = cursor.filter(|_| ancestors.len() < MAX_DEPTH) {
        ancestors.push(ancestor);
        cursor = organizations::table
            .find(ancestor)
            .select(organizations::parent_id)
            .first::<Option<i64>>(conn)
            .optional()?
            .flatten();
    }
    Ok(Some(ParentFacts {
        id: parent.id,
        kind: parent.kind()?,
        province_id: parent.province_id,
        ancestors,
    }))
}

/// Validates the fields and the place in the tree (every problem at once); returns the
/// province the organization belongs to.
fn check_spec(
    conn: &mut DbConnection,
    caller: &Caller,
    spec: &OrganizationSpec,
    own_id: Option<i64>,
) -> Result<Option<i64>> {
    let mut errors = spec.check();
    let parent = match spec.parent_id {
        None => None,
        Some(parent_id) => match parent_facts(conn, caller, parent_id)? {
            Some(parent) => Some(parent),
            None => {
                errors.push(FieldError::new(
                    "parent_id",
                    format!("organization {parent_id} does not exist"),
                ));
                return Error::check(errors).map(|()| None);
            }
        },
    };
    let province_id = match place(spec.kind, own_id, parent.as_ref()) {
        Ok(province_id) => province_id,
        Err(error) => {
            errors.push(error);
            None
        }
    };
    Error::check(errors)?;
    Ok(province_id)
}

/// Codes are unique across provinces, ignoring case: 409 naming `code`, never by whom.
fn check_code_free(conn: &mut DbConnection, code: &str, own_id: Option<i64>) -> Result<()> {
    ensure_code_free(code, own_id, "another organization", |key| {
        organizations::table
            .filter(lower(organizations::code).eq(key))
            .select(organizations::id)
            .first(conn)
            .optional()
    })
}

fn details(row: &OrganizationRow) -> serde_json::Value {
    json!({
        "code": row.code,
        "name_th": row.name_th,
        "name_en": row.name_en,
        "kind": row.kind,
        "parent_id": row.parent_id,
    })
}

/// The writable columns of a row, for insert and update alike (one field set).
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = organizations, treat_none_as_null = true)]
struct OrganizationColumns<'a> {
    code: &'a str,
    name_th: &'a str,
    name_en: Option<&'a str>,
    kind: &'a str,
    parent_id: Option<i64>,
    province_id: Option<i64>,
    search_text: String,
}

impl<'a> OrganizationColumns<'a> {
    fn of(spec: &'a OrganizationSpec, province_id: Option<i64>) -> Self {
        Self {
            code: &spec.code,
            name_th: &spec.name_th,
            name_en: spec.name_en.as_deref(),
            kind: spec.kind.as_str(),
            parent_id: spec.parent_id,
            province_id,
            search_text: search_text(&[
                Some(&spec.code),
                Some(&spec.name_th),
                spec.name_en.as_deref(),
            ]),
        }
    }
}

pub fn create(
    conn: &mut DbConnection,
    caller: &Caller,
    actor: &Actor,
    spec: OrganizationSpec,
) -> Result<OrganizationRow> {
    notify::caller_facts_changed();
    let spec = spec.normalized();
    let province_id = check_spec(conn, caller, &spec, None)?;
    caller.may_write_organization(province_id, spec.kind.as_str())?;
    check_code_free(conn, &spec.code, None)?;

    let timestamp = now();
    let id: i64 = diesel::insert_into(organizations::table)
        .values((
            OrganizationColumns::of(&spec, province_id),
            organizations::created_at.eq(timestamp),
            organizations::updated_at.eq(timestamp),
        ))
        .returning(organizations::id)
        .get_result(conn)?;
    if spec.kind == OrganizationKind::Province {
        // A province is its own province: its id is known only now.
        diesel::update(organizations::table.find(id))
            .set(organizations::province_id.eq(province_of(spec.kind, Some(id), None)))
            .execute(conn)?;
    }
    let row = written(find(conn, id)?, ENTITY, id)?;
    let change = Change::new("create", ENTITY, id, row.province_id, details(&row));
    audit::record(conn, actor, change)?;
    Ok(row)
}

/// Changes an organization the caller may write (checked by the handler before `If-Match`).
pub fn update(
    conn: &mut DbConnection,
    caller: &Caller,
    actor: &Actor,
    current: &OrganizationRow,
    spec: OrganizationSpec,
) -> Result<OrganizationRow> {
    notify::caller_facts_changed();
    let spec = spec.normalized();
    let province_id = match check_spec(conn, caller, &spec, Some(current.id)) {
        Ok(province_id) => {
            if spec.kind != current.kind()? {
                let unit_kinds = unit_kinds(conn, current.id)?;
                Error::check(check_units_fit(spec.kind, &unit_kinds))?;
            }
            province_id
        }
        Err(error) => return Err(error),
    };
    // Moving an organization into another province is writing in that province too.
    caller.may_write_organization(province_id, spec.kind.as_str())?;
    if province_id != current.province_id {
        let assigned_in = assigned_in_provinces(conn, current.id)?;
        check_move_keeps_assignments(province_id, &assigned_in)
            .map_err(|message| Error::conflict(ConflictKind::Referenced, message))?;
    }
    if spec.code != current.code {
        check_code_kept(conn, current, &spec.code)?;
    }
    check_code_free(conn, &spec.code, Some(current.id))?;

    let values = (
        OrganizationColumns::of(&spec, province_id),
        organizations::updated_at.eq(now()),
    );
    update_versioned!(conn, organizations, current.id, current.version, values)?;
    let row = written(find(conn, current.id)?, ENTITY, current.id)?;
    if row.province_id != current.province_id {
        repair_descendant_provinces(conn, row.id, row.province_id)?;
    }
    let details = json!({ "before": details(current), "after": details(&row) });
    let change = Change::new("update", ENTITY, row.id, row.province_id, details);
    audit::record(conn, actor, change)?;
    Ok(row)
}

/// A code changes only while no report names the organization (`check_reported_code`, 409
/// naming `code`). On PostgreSQL the row is locked first: a report being filed for it holds a
/// key-share lock on the row (its foreign key) until it commits, so the count below sees it,
/// and a report filed after waits for the new code. SQLite: `BEGIN IMMEDIATE` serializes
/// writers.
fn check_code_kept(conn: &mut DbConnection, current: &OrganizationRow, code: &str) -> Result<()> {
    if let DbConnection::Postgres(pg) = conn {
        organizations::table
            .find(current.id)
            .select(organizations::id)
            .for_update()
            .first::<i64>(pg)?;
    }
    let reports = submissions::count_for_organization(conn, current.id)?;
    let what = format!("organization {}", current.code);
    check_reported_code(&what, reports, &current.code, code)
}

/// The provinces of the evaluations an organization, or a unit below it that shares its
/// province, is assigned in (units that are provinces themselves keep their own).
fn assigned_in_provinces(conn: &mut DbConnection, root: i64) -> Result<Vec<i64>> {
    let mut moving = vec![root];
    let mut frontier = vec![root];
    while let Some(parent) = frontier.pop() {
        let units: Vec<i64> = organizations::table
            .filter(organizations::parent_id.eq(parent))
            .filter(organizations::kind.ne(OrganizationKind::Province.as_str()))
            .select(organizations::id)
            .load(conn)?;
        frontier.extend(&units);
        moving.extend(units);
    }
    let assigned_indicators = assignments::table
        .filter(assignments::organization_id.eq_any(moving))
        .select(assignments::indicator_id);
    let their_evaluations = indicators::table
        .filter(indicators::id.eq_any(assigned_indicators))
        .select(indicators::evaluation_id);
    Ok(evaluations::table
        .filter(evaluations::id.eq_any(their_evaluations))
        .select(evaluations::province_id)
        .distinct()
        .load(conn)?)
}

/// The kinds of the units directly below an organization.
fn unit_kinds(conn: &mut DbConnection, id: i64) -> Result<Vec<OrganizationKind>> {
    let kinds: Vec<String> = organizations::table
        .filter(organizations::parent_id.eq(id))
        .select(organizations::kind)
        .distinct()
        .load(conn)?;
    kinds
        .iter()
        .map(|kind| decode(ENTITY, id, "a unit's kind", kind, OrganizationKind::parse))
        .collect()
}

/// After a move, every unit below inherits the new province (provinces keep their own).
fn repair_descendant_provinces(
    conn: &mut DbConnection,
    root: i64,
    province_id: Option<i64>,
) -> Result<()> {
    let mut frontier = vec![(root, province_id)];
    while let Some((parent, province)) = frontier.pop() {
        let children: Vec<(i64, String)> = organizations::table
            .filter(organizations::parent_id.eq(parent))
            .select((organizations::id, organizations::kind))
            .load(conn)?;
        for (child, kind) in children {
            let kind = decode(ENTITY, child, "kind", &kind, OrganizationKind::parse)?;
            let child_province = province_of(kind, Some(child), province);
            diesel::update(organizations::table.find(child))
                .set(organizations::province_id.eq(child_province))
                .execute(conn)?;
            frontier.push((child, child_province));
        }
    }
    Ok(())
}

/// Deletes an organization nothing refers to: one that has reported is kept with its reports
/// (`check_reported_delete`, 409), then units under it, accounts, and (by their foreign keys)
/// assignments and evaluations are each a 409 naming what refers to it.
pub fn delete(conn: &mut DbConnection, actor: &Actor, current: &OrganizationRow) -> Result<()> {
    notify::caller_facts_changed();
    let reports = submissions::count_for_organization(conn, current.id)?;
    check_reported_delete(&current.code, reports)?;
    let children: i64 = organizations::table
        .filter(organizations::parent_id.eq(current.id))
        .count()
        .get_result(conn)?;
    let accounts: i64 = users::table
        .filter(users::organization_id.eq(current.id))
        .count()
        .get_result(conn)?;
    if children > 0 || accounts > 0 {
        return Err(Error::Conflict {
            kind: ConflictKind::Referenced,
            detail: format!(
                "organization {} is still referenced by {children} organization(s) under it and {accounts} account(s); move or delete those first",
                current.code
            ),
            errors: Vec::new(),
        });
    }
    // Later tables (assignments, submissions) reference organizations too: their foreign
    // keys turn a delete that would orphan them into a 409 as well.
    diesel::delete(organizations::table.find(current.id))
        .execute(conn)
        .map_err(|error| match Error::from(error) {
            Error::Conflict { kind: ConflictKind::Referenced, .. } => Error::conflict(
                ConflictKind::Referenced,
                format!("organization {} is still used by evaluations or indicator assignments; remove those first", current.code),
            ),
            other => other,
        })?;
    let details = details(current);
    let change = Change::new("delete", ENTITY, current.id, current.province_id, details);
    audit::record(conn, actor, change)
}
