//! The audit trail: every mutation writes one event in the same transaction as the change.

use diesel::prelude::*;
use serde::Serialize;
use serde_json::{json, Value};

use super::schema::audit_events;
use super::{now, DbConnection};
use crate::error::{Error, Result};
use crate::policy::{Caller, Visibility};
use crate::storage::pagination::{Page, PageRequest};

/// Who made the change and in which request.
#[derive(Debug, Clone)]
pub struct Actor {
    pub subject: String,
    pub role: String,
    pub request_id: Option<String>,
}

impl Actor {
    pub fn of(caller: &Caller, request_id: Option<String>) -> Self {
        Self {
            subject: caller.subject.clone(),
            role: caller.role.as_str().to_owned(),
            request_id,
        }
    }

    /// Changes made from the command line (`user create`, `serve --demo`).
    pub fn system(name: &str) -> Self {
        Self {
            subject: name.to_owned(),
            role: "system".to_owned(),
            request_id: None,
        }
    }
}

/// What changed, for one audit event.
pub struct Change<'a> {
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: i64,
    pub province_id: Option<i64>,
    pub details: Value,
}

impl<'a> Change<'a> {
    /// `action` on the row `entity_id` of `entity_type`, in `province_id`.
    pub fn new(
        action: &'a str,
        entity_type: &'a str,
        entity_id: i64,
        province_id: Option<i64>,
        details: Value,
    ) -> Self {
        Self {
            action,
            entity_type,
            entity_id,
            province_id,
            details,
        }
    }
}

/// A row's fields as an event's details: what was created, or what was deleted.
pub fn fields(row: &impl Serialize) -> Result<Value> {
    serde_json::to_value(row).map_err(|e| Error::Internal(format!("audit details: {e}")))
}

/// An update's details: the row before and after.
pub fn before_after(before: &impl Serialize, after: &impl Serialize) -> Result<Value> {
    Ok(json!({"before": fields(before)?, "after": fields(after)?}))
}

pub fn record(conn: &mut DbConnection, actor: &Actor, change: Change<'_>) -> Result<()> {
    diesel::insert_into(audit_events::table)
        .values((
            audit_events::occurred_at.eq(now()),
            audit_events::actor.eq(&actor.subject),
            audit_events::actor_role.eq(&actor.role),
            audit_events::action.eq(change.action),
            audit_events::entity_type.eq(change.entity_type),
            audit_events::entity_id.eq(change.entity_id),
            audit_events::province_id.eq(change.province_id),
            audit_events::request_id.eq(actor.request_id.as_deref()),
            audit_events::details.eq(change.details.to_string()),
        ))
        .execute(conn)?;
    Ok(())
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = audit_events)]
pub struct AuditEventRow {
    pub id: i64,
    pub occurred_at: chrono::NaiveDateTime,
    pub actor: String,
    pub actor_role: String,
    pub action: String,
    pub entity_type: String,
    pub entity_id: i64,
    pub province_id: Option<i64>,
    pub request_id: Option<String>,
    pub details: String,
}

#[derive(Debug, Default)]
pub struct AuditFilter {
    pub entity_type: Option<String>,
    pub entity_id: Option<i64>,
    pub actor: Option<String>,
}

pub fn list(
    conn: &mut DbConnection,
    visibility: Visibility,
    filter: &AuditFilter,
    page: PageRequest,
) -> Result<Page<AuditEventRow>> {
    let mut query = page.keyset(
        audit_events::table
            .select(AuditEventRow::as_select())
            .into_boxed(),
        audit_events::id,
    );
    match visibility {
        Visibility::All => {}
        Visibility::Province(province) => {
            query = query.filter(audit_events::province_id.eq(province))
        }
        Visibility::NoProvince => query = query.filter(audit_events::province_id.is_null()),
    }
    if let Some(entity_type) = &filter.entity_type {
        query = query.filter(audit_events::entity_type.eq(entity_type.clone()));
    }
    if let Some(entity_id) = filter.entity_id {
        query = query.filter(audit_events::entity_id.eq(entity_id));
    }
    if let Some(actor) = &filter.actor {
        query = query.filter(audit_events::actor.eq(actor.clone()));
    }
    Ok(page.finish(query.load(conn)?, |row| row.id))
}
