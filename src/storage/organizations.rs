//! Organizations: the tree of the country, provinces, agencies, districts and local governments.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use super::audit::{self, Actor, Change};
use super::pagination::{Page, PageRequest};
use super::schema::{organizations, users};
use super::{contains_pattern, ensure_unique, expect_one_updated, now, search_text, DbConnection};
use crate::domain::organization::{check_code, check_province_code, OrganizationKind};
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
    pub fn kind(&self) -> OrganizationKind {
        // The CHECK constraint admits only known kinds.
        OrganizationKind::parse(&self.kind).unwrap_or(OrganizationKind::Agency)
    }
}

/// The writable fields of an organization, as created or after a merge patch.
#[derive(Debug, Clone)]
pub struct OrganizationInput {
    pub code: String,
    pub name_th: String,
    pub name_en: Option<String>,
    pub kind: OrganizationKind,
    pub parent_id: Option<i64>,
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

pub fn find_by_code(conn: &mut DbConnection, code: &str) -> Result<Option<OrganizationRow>> {
    Ok(organizations::table
        .filter(organizations::code.eq(code))
        .select(OrganizationRow::as_select())
        .first(conn)
        .optional()?)
}

/// Reads back a row this transaction just wrote (MultiConnection has no typed RETURNING).
fn reload(conn: &mut DbConnection, id: i64) -> Result<OrganizationRow> {
    find(conn, id)?
        .ok_or_else(|| crate::error::Error::Internal(format!("organization {id} vanished")))
}

/// The organization if the caller may read it; a 404 otherwise (it must not learn it exists).
pub fn get_visible(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<OrganizationRow> {
    find(conn, id)?
        .filter(|org| caller.visibility().includes(org.province_id))
        .ok_or_else(|| Error::not_found("organization", id))
}

pub fn list(
    conn: &mut DbConnection,
    visibility: Visibility,
    filter: &OrganizationFilter,
    page: PageRequest,
) -> Result<Page<OrganizationRow>> {
    let mut query = organizations::table
        .select(OrganizationRow::as_select())
        .order(organizations::id.asc())
        .limit(page.fetch_limit())
        .into_boxed();
    if let Some(after) = page.after {
        query = query.filter(organizations::id.gt(after));
    }
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

/// Field checks that need no database, all reported at once.
fn check_fields(input: &OrganizationInput) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if let Err(message) = check_code(&input.code) {
        errors.push(FieldError::new("code", message));
    } else if input.kind == OrganizationKind::Province {
        if let Err(message) = check_province_code(&input.code) {
            errors.push(FieldError::new("code", message));
        }
    }
    let name_th = input.name_th.trim();
    if name_th.is_empty() {
        errors.push(FieldError::new("name_th", "must not be empty"));
    } else if name_th.chars().count() > 300 {
        errors.push(FieldError::new("name_th", "must be at most 300 characters"));
    }
    if input
        .name_en
        .as_deref()
        .is_some_and(|n| n.chars().count() > 300)
    {
        errors.push(FieldError::new("name_en", "must be at most 300 characters"));
    }
    errors
}

/// Checks the parent and works out the province the organization falls under.
/// `own_id` is set for an update, to refuse making an organization its own ancestor.
fn place_in_tree(
    conn: &mut DbConnection,
    caller: &Caller,
    input: &OrganizationInput,
    own_id: Option<i64>,
    errors: &mut Vec<FieldError>,
) -> Result<Option<i64>> {
    let parent = match input.parent_id {
        None => None,
        Some(parent_id) => match find(conn, parent_id)?
            .filter(|parent| caller.visibility().includes(parent.province_id))
        {
            Some(parent) => Some(parent),
            None => {
                errors.push(FieldError::new(
                    "parent_id",
                    format!("organization {parent_id} does not exist"),
                ));
                return Ok(None);
            }
        },
    };
    if let Err(message) = input.kind.allows_parent(parent.as_ref().map(|p| p.kind())) {
        errors.push(FieldError::new("parent_id", message));
    }
    if let (Some(own_id), Some(parent)) = (own_id, &parent) {
        // Walk up from the new parent: meeting ourselves would close a cycle.
        let mut cursor = Some(parent.id);
        let mut steps = 0;
        while let Some(ancestor_id) = cursor {
            if ancestor_id == own_id {
                errors.push(FieldError::new(
                    "parent_id",
                    "an organization cannot be placed under itself or one of its own units",
                ));
                break;
            }
            steps += 1;
            if steps > 64 {
                break;
            }
            cursor = organizations::table
                .find(ancestor_id)
                .select(organizations::parent_id)
                .first::<Option<i64>>(conn)
                .optional()?
                .flatten();
        }
    }
    Ok(match input.kind {
        // A province's own id is its province; known only after insert for a new one.
        OrganizationKind::Province => own_id,
        _ => parent.and_then(|p| p.province_id),
    })
}

fn check_code_free(conn: &mut DbConnection, code: &str, own_id: Option<i64>) -> Result<()> {
    let holder = find_by_code(conn, code)?.map(|existing| existing.id);
    // Codes are unique across provinces: say it is taken, never by whom.
    ensure_unique(holder, own_id, "code", || {
        format!("the code {code} is already taken; choose another")
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

pub fn create(
    conn: &mut DbConnection,
    caller: &Caller,
    actor: &Actor,
    input: OrganizationInput,
) -> Result<OrganizationRow> {
    caller.may_manage_organizations()?;
    let mut errors = check_fields(&input);
    let province_id = place_in_tree(conn, caller, &input, None, &mut errors)?;
    Error::check(errors)?;
    caller.may_write_organization(province_id, input.kind.as_str())?;
    check_code_free(conn, &input.code, None)?;

    let timestamp = now();
    let id: i64 = diesel::insert_into(organizations::table)
        .values((
            organizations::code.eq(&input.code),
            organizations::name_th.eq(input.name_th.trim()),
            organizations::name_en.eq(input.name_en.as_deref().map(str::trim)),
            organizations::kind.eq(input.kind.as_str()),
            organizations::parent_id.eq(input.parent_id),
            organizations::province_id.eq(province_id),
            organizations::search_text.eq(search_text(&[
                Some(&input.code),
                Some(&input.name_th),
                input.name_en.as_deref(),
            ])),
            organizations::created_at.eq(timestamp),
            organizations::updated_at.eq(timestamp),
        ))
        .returning(organizations::id)
        .get_result(conn)?;
    if input.kind == OrganizationKind::Province {
        diesel::update(organizations::table.find(id))
            .set(organizations::province_id.eq(id))
            .execute(conn)?;
    }
    let row = reload(conn, id)?;
    audit::record(
        conn,
        actor,
        Change {
            action: "create",
            entity_type: ENTITY,
            entity_id: row.id,
            province_id: row.province_id,
            details: details(&row),
        },
    )?;
    Ok(row)
}

pub fn update(
    conn: &mut DbConnection,
    caller: &Caller,
    actor: &Actor,
    current: &OrganizationRow,
    input: OrganizationInput,
) -> Result<OrganizationRow> {
    caller.may_write_organization(current.province_id, &current.kind)?;
    let mut errors = check_fields(&input);
    let province_id = place_in_tree(conn, caller, &input, Some(current.id), &mut errors)?;
    if input.kind != current.kind() {
        let child_kinds: Vec<String> = organizations::table
            .filter(organizations::parent_id.eq(current.id))
            .select(organizations::kind)
            .distinct()
            .load(conn)?;
        for child in child_kinds
            .iter()
            .filter_map(|k| OrganizationKind::parse(k))
        {
            if child.allows_parent(Some(input.kind)).is_err() {
                errors.push(FieldError::new(
                    "kind",
                    format!(
                        "it has units of kind {} that cannot sit under a {}",
                        child.as_str(),
                        input.kind.as_str()
                    ),
                ));
            }
        }
    }
    Error::check(errors)?;
    // Moving an organization into another province is writing in that province too.
    caller.may_write_organization(province_id, input.kind.as_str())?;
    check_code_free(conn, &input.code, Some(current.id))?;

    let updated = diesel::update(
        organizations::table
            .find(current.id)
            .filter(organizations::version.eq(current.version)),
    )
    .set((
        organizations::code.eq(&input.code),
        organizations::name_th.eq(input.name_th.trim()),
        organizations::name_en.eq(input.name_en.as_deref().map(str::trim)),
        organizations::kind.eq(input.kind.as_str()),
        organizations::parent_id.eq(input.parent_id),
        organizations::province_id.eq(province_id),
        organizations::search_text.eq(search_text(&[
            Some(&input.code),
            Some(&input.name_th),
            input.name_en.as_deref(),
        ])),
        organizations::version.eq(current.version + 1),
        organizations::updated_at.eq(now()),
    ))
    .execute(conn)?;
    expect_one_updated(updated, current.version)?;
    let row = reload(conn, current.id)?;
    if row.province_id != current.province_id {
        repair_descendant_provinces(conn, row.id, row.province_id)?;
    }
    audit::record(
        conn,
        actor,
        Change {
            action: "update",
            entity_type: ENTITY,
            entity_id: row.id,
            province_id: row.province_id,
            details: json!({ "before": details(current), "after": details(&row) }),
        },
    )?;
    Ok(row)
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
            let child_province = if kind == "province" {
                Some(child)
            } else {
                province
            };
            diesel::update(organizations::table.find(child))
                .set(organizations::province_id.eq(child_province))
                .execute(conn)?;
            frontier.push((child, child_province));
        }
    }
    Ok(())
}

pub fn delete(
    conn: &mut DbConnection,
    caller: &Caller,
    actor: &Actor,
    current: &OrganizationRow,
) -> Result<()> {
    caller.may_write_organization(current.province_id, &current.kind)?;
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
    audit::record(
        conn,
        actor,
        Change {
            action: "delete",
            entity_type: ENTITY,
            entity_id: current.id,
            province_id: current.province_id,
            details: details(current),
        },
    )?;
    Ok(())
}
