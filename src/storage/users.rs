//! Local accounts and the failed-login counter.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde_json::json;

use super::audit::{self, Actor, Change};
use super::pagination::{Page, PageRequest};
use super::schema::{login_throttle, organizations, users};
use super::{ensure_unique, expect_one_updated, now, DbConnection};
use crate::error::Result;
use crate::policy::{Role, Visibility};

pub const ENTITY: &str = "user";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: String,
    pub organization_id: Option<i64>,
    pub disabled: bool,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl UserRow {
    pub fn role(&self) -> Role {
        // The CHECK constraint admits only known roles; the weakest is the safe fallback.
        Role::parse(&self.role).unwrap_or(Role::Viewer)
    }
}

/// An account with the organization it belongs to (code and province), as the API shows it.
#[derive(Debug, Clone)]
pub struct UserView {
    pub user: UserRow,
    pub organization_code: Option<String>,
    pub province_id: Option<i64>,
}

/// The stored fields of an account, as created or after a change.
#[derive(Debug, Clone)]
pub struct UserFields {
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: Role,
    pub organization_id: Option<i64>,
    pub disabled: bool,
}

fn with_organization(conn: &mut DbConnection, user: UserRow) -> Result<UserView> {
    let organization: Option<(String, Option<i64>)> = match user.organization_id {
        Some(id) => organizations::table
            .find(id)
            .select((organizations::code, organizations::province_id))
            .first(conn)
            .optional()?,
        None => None,
    };
    let (organization_code, province_id) = match organization {
        Some((code, province)) => (Some(code), province),
        None => (None, None),
    };
    Ok(UserView {
        user,
        organization_code,
        province_id,
    })
}

pub fn find(conn: &mut DbConnection, id: i64) -> Result<Option<UserView>> {
    let user = users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .optional()?;
    user.map(|user| with_organization(conn, user)).transpose()
}

/// Reads back a row this transaction just wrote (MultiConnection has no typed RETURNING).
fn reload(conn: &mut DbConnection, id: i64) -> Result<UserRow> {
    users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .map_err(Into::into)
}

pub fn find_by_username(conn: &mut DbConnection, username: &str) -> Result<Option<UserRow>> {
    Ok(users::table
        .filter(users::username.eq(username))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn list(
    conn: &mut DbConnection,
    visibility: Visibility,
    page: PageRequest,
) -> Result<Page<UserView>> {
    // One query: accounts with their organization's code and province.
    let mut query = users::table
        .left_join(organizations::table)
        .select((
            UserRow::as_select(),
            organizations::code.nullable(),
            organizations::province_id.nullable(),
        ))
        .order(users::id.asc())
        .limit(page.fetch_limit())
        .into_boxed();
    if let Some(after) = page.after {
        query = query.filter(users::id.gt(after));
    }
    match visibility {
        Visibility::All => {}
        Visibility::Province(province) => {
            query = query.filter(organizations::province_id.eq(province));
        }
        Visibility::NoProvince => {
            return Ok(page.finish(Vec::new(), |row: &UserView| row.user.id));
        }
    }
    let rows: Vec<(UserRow, Option<String>, Option<i64>)> = query.load(conn)?;
    let views = rows
        .into_iter()
        .map(|(user, organization_code, province_id)| UserView {
            user,
            organization_code,
            province_id,
        })
        .collect();
    Ok(page.finish(views, |row: &UserView| row.user.id))
}

fn details(fields: &UserFields) -> serde_json::Value {
    // Never the hash: the audit trail is readable by province administrators.
    json!({
        "username": fields.username,
        "display_name": fields.display_name,
        "role": fields.role.as_str(),
        "organization_id": fields.organization_id,
        "disabled": fields.disabled,
    })
}

pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    fields: &UserFields,
    province_id: Option<i64>,
) -> Result<UserView> {
    let holder = find_by_username(conn, &fields.username)?.map(|user| user.id);
    ensure_unique(holder, None, "username", || {
        format!("the username {} is taken", fields.username)
    })?;
    let timestamp = now();
    let id: i64 = diesel::insert_into(users::table)
        .values((
            users::username.eq(&fields.username),
            users::display_name.eq(&fields.display_name),
            users::password_hash.eq(&fields.password_hash),
            users::role.eq(fields.role.as_str()),
            users::organization_id.eq(fields.organization_id),
            users::disabled.eq(fields.disabled),
            users::created_at.eq(timestamp),
            users::updated_at.eq(timestamp),
        ))
        .returning(users::id)
        .get_result(conn)?;
    let row = reload(conn, id)?;
    audit::record(
        conn,
        actor,
        Change {
            action: "create",
            entity_type: ENTITY,
            entity_id: row.id,
            province_id,
            details: details(fields),
        },
    )?;
    with_organization(conn, row)
}

/// Stores changed fields; `password_changed` is recorded (never the password itself).
pub fn update(
    conn: &mut DbConnection,
    actor: &Actor,
    current: &UserRow,
    fields: &UserFields,
    password_changed: bool,
    province_id: Option<i64>,
) -> Result<UserView> {
    let updated = diesel::update(
        users::table
            .find(current.id)
            .filter(users::version.eq(current.version)),
    )
    .set((
        users::display_name.eq(&fields.display_name),
        users::password_hash.eq(&fields.password_hash),
        users::role.eq(fields.role.as_str()),
        users::organization_id.eq(fields.organization_id),
        users::disabled.eq(fields.disabled),
        users::version.eq(current.version + 1),
        users::updated_at.eq(now()),
    ))
    .execute(conn)?;
    expect_one_updated(updated, current.version)?;
    let row = reload(conn, current.id)?;
    let mut change = details(fields);
    change["password_changed"] = json!(password_changed);
    audit::record(
        conn,
        actor,
        Change {
            action: "update",
            entity_type: ENTITY,
            entity_id: row.id,
            province_id,
            details: change,
        },
    )?;
    with_organization(conn, row)
}

/// Failed logins allowed per username inside one window before the account is locked.
pub const MAX_FAILURES: i32 = 5;
pub const FAILURE_WINDOW_MINUTES: i64 = 15;
pub const LOCK_MINUTES: i64 = 15;

/// When the username is locked out, the instant the lock ends.
pub fn locked_until(conn: &mut DbConnection, username: &str) -> Result<Option<NaiveDateTime>> {
    let lock: Option<Option<NaiveDateTime>> = login_throttle::table
        .find(username)
        .select(login_throttle::locked_until)
        .first(conn)
        .optional()?;
    Ok(lock.flatten().filter(|until| *until > now()))
}

/// Counts one failure; locks the username for `LOCK_MINUTES` at the `MAX_FAILURES`th.
pub fn record_failure(conn: &mut DbConnection, username: &str) -> Result<Option<NaiveDateTime>> {
    let timestamp = now();
    let existing: Option<(i32, NaiveDateTime)> = login_throttle::table
        .find(username)
        .select((login_throttle::failures, login_throttle::window_started_at))
        .first(conn)
        .optional()?;
    let (failures, window_started_at) = match existing {
        Some((failures, started))
            if timestamp - started < Duration::minutes(FAILURE_WINDOW_MINUTES) =>
        {
            (failures + 1, started)
        }
        _ => (1, timestamp),
    };
    let locked_until =
        (failures >= MAX_FAILURES).then(|| timestamp + Duration::minutes(LOCK_MINUTES));
    // Upsert by hand: MultiConnection has no `on_conflict`.
    let updated = diesel::update(login_throttle::table.find(username))
        .set((
            login_throttle::failures.eq(if locked_until.is_some() { 0 } else { failures }),
            login_throttle::window_started_at.eq(window_started_at),
            login_throttle::locked_until.eq(locked_until),
        ))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(login_throttle::table)
            .values((
                login_throttle::username.eq(username),
                login_throttle::failures.eq(failures),
                login_throttle::window_started_at.eq(window_started_at),
                login_throttle::locked_until.eq(locked_until),
            ))
            .execute(conn)?;
    }
    Ok(locked_until)
}

pub fn clear_failures(conn: &mut DbConnection, username: &str) -> Result<()> {
    diesel::delete(login_throttle::table.find(username)).execute(conn)?;
    Ok(())
}
