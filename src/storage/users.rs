//! Local accounts: facts read and rows written, and the facts a request's caller is resolved
//! from. The rules they follow live in `domain::account`; who may change them in `policy`.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Nullable, Text, Timestamp};
use serde_json::json;

use super::audit::{self, Actor, Change};
use super::notify;
use super::pagination::{Page, PageRequest};
use super::schema::{organizations, users};
use super::{engine_sql, ensure_unique, expect_one_updated, now, DbConnection};
use crate::domain::account::{self, username_key, Role};
use crate::domain::organization::code_key;
use crate::error::{Error, Result};
use crate::policy::Visibility;

pub const ENTITY: &str = "user";

diesel::define_sql_function!(fn lower(text: Text) -> Text);

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
    /// The last password reset or re-enable: tokens issued before it are refused.
    pub credentials_changed_at: NaiveDateTime,
}

impl UserRow {
    /// The stored role; one this version does not know is an internal error, never a guess.
    pub fn role(&self) -> Result<Role> {
        parse_role(&self.role, self.id)
    }
}

fn parse_role(stored: &str, id: i64) -> Result<Role> {
    Role::parse(stored).ok_or_else(|| {
        tracing::error!(user_id = id, role = stored, "unreadable stored role");
        Error::Internal(format!("user {id} has the unknown stored role `{stored}`"))
    })
}

/// An account with the organization it belongs to (code and province), as the API shows it.
#[derive(Debug, Clone)]
pub struct UserView {
    pub user: UserRow,
    pub organization_code: Option<String>,
    pub province_id: Option<i64>,
}

/// The stored fields of an account, as created or after a change (the insert and the
/// changeset of the `users` table).
#[derive(Debug, Clone)]
pub struct UserFields {
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: Role,
    pub organization_id: Option<i64>,
    pub disabled: bool,
}

/// A change of an account: the new fields, and what the audit trail and the tokens need to
/// know about it.
#[derive(Debug, Clone)]
pub struct UserChange {
    pub fields: UserFields,
    pub password_changed: bool,
    /// Tokens issued before this change are refused (`domain::account::resets_credentials`).
    pub resets_credentials: bool,
    /// The province of the account's organization after the change (for the audit trail).
    pub province_id: Option<i64>,
}

fn view(
    (user, organization_code, province_id): (UserRow, Option<String>, Option<i64>),
) -> UserView {
    UserView {
        user,
        organization_code,
        province_id,
    }
}

/// Accounts left-joined to their organization (one query for the view).
macro_rules! views {
    () => {
        users::table.left_join(organizations::table).select((
            UserRow::as_select(),
            organizations::code.nullable(),
            organizations::province_id.nullable(),
        ))
    };
}

pub fn find(conn: &mut DbConnection, id: i64) -> Result<Option<UserView>> {
    let row = views!().filter(users::id.eq(id)).first(conn).optional()?;
    Ok(row.map(view))
}

/// The account whose username is `username` ignoring case (usernames are unique so).
pub fn find_by_username(conn: &mut DbConnection, username: &str) -> Result<Option<UserView>> {
    let row = views!()
        .filter(lower(users::username).eq(username_key(username)))
        .first(conn)
        .optional()?;
    Ok(row.map(view))
}

pub fn list(
    conn: &mut DbConnection,
    visibility: Visibility,
    page: PageRequest,
) -> Result<Page<UserView>> {
    let mut query = views!()
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
    let views = rows.into_iter().map(view).collect();
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

fn reload(conn: &mut DbConnection, id: i64) -> Result<UserView> {
    find(conn, id)?.ok_or_else(|| Error::Internal(format!("user {id} vanished")))
}

/// Stores a new account; a username taken ignoring case is a 409 naming `username`.
pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    fields: &UserFields,
    province_id: Option<i64>,
) -> Result<UserView> {
    notify::caller_facts_changed();
    let holder = find_by_username(conn, &fields.username)?;
    ensure_unique(holder.map(|view| view.user.id), None, "username", || {
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
            users::credentials_changed_at.eq(timestamp),
        ))
        .returning(users::id)
        .get_result(conn)?;
    audit::record(
        conn,
        actor,
        Change {
            action: "create",
            entity_type: ENTITY,
            entity_id: id,
            province_id,
            details: details(fields),
        },
    )?;
    reload(conn, id)
}

/// Stores a change of `current` (only if it is still the version read); `password_changed` is
/// recorded, never the password itself.
pub fn update(
    conn: &mut DbConnection,
    actor: &Actor,
    current: &UserRow,
    change: &UserChange,
) -> Result<UserView> {
    notify::caller_facts_changed();
    let fields = &change.fields;
    let timestamp = now();
    let credentials_changed_at = if change.resets_credentials {
        account::next_credentials_change(current.credentials_changed_at, timestamp)
    } else {
        current.credentials_changed_at
    };
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
        users::updated_at.eq(timestamp),
        users::credentials_changed_at.eq(credentials_changed_at),
    ))
    .execute(conn)?;
    expect_one_updated(updated, current.version)?;
    let mut details = details(fields);
    details["password_changed"] = json!(change.password_changed);
    audit::record(
        conn,
        actor,
        Change {
            action: "update",
            entity_type: ENTITY,
            entity_id: current.id,
            province_id: change.province_id,
            details,
        },
    )?;
    reload(conn, current.id)
}

/// A local account as a token's caller sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountFacts {
    pub id: i64,
    pub role: String,
    pub display_name: String,
    pub disabled: bool,
    pub credentials_changed_at: NaiveDateTime,
    pub organization: Option<OrganizationFacts>,
}

impl AccountFacts {
    /// The stored role; one this version does not know is an internal error, never a guess.
    pub fn role(&self) -> Result<Role> {
        parse_role(&self.role, self.id)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationFacts {
    pub id: i64,
    pub code: String,
    pub province_id: Option<i64>,
}

/// What a request's caller is resolved from: the local account named by the token's `sub`
/// (with its organization), and the organization named by its `org` claim.
#[derive(Debug, Clone, PartialEq)]
pub struct CallerFacts {
    pub account: Option<AccountFacts>,
    pub claimed_organization: Option<OrganizationFacts>,
}

#[derive(QueryableByName)]
struct CallerRow {
    #[diesel(sql_type = Nullable<BigInt>)]
    account_id: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    account_role: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    account_name: Option<String>,
    #[diesel(sql_type = Nullable<Bool>)]
    account_disabled: Option<bool>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    account_credentials_changed_at: Option<NaiveDateTime>,
    #[diesel(sql_type = Nullable<BigInt>)]
    account_org_id: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    account_org_code: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    account_org_province_id: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    claimed_org_id: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    claimed_org_code: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    claimed_org_province_id: Option<i64>,
}

/// One statement, whatever the token: one round trip per request to resolve its caller.
const CALLER_FACTS: &str = "\
SELECT u.id AS account_id, u.role AS account_role, u.display_name AS account_name, u.disabled AS account_disabled,
       u.credentials_changed_at AS account_credentials_changed_at,
       uo.id AS account_org_id, uo.code AS account_org_code,
       uo.province_id AS account_org_province_id,
       co.id AS claimed_org_id, co.code AS claimed_org_code,
       co.province_id AS claimed_org_province_id
FROM (SELECT 1 AS one) AS request
LEFT JOIN users u ON lower(u.username) = $1
LEFT JOIN organizations uo ON uo.id = u.organization_id
LEFT JOIN organizations co ON lower(co.code) = $2";

/// The facts a token's caller is resolved from, in one query. The account is the one whose
/// username is the token's `sub` ignoring case (usernames are unique so; local tokens carry it
/// as stored).
pub fn caller_facts(
    conn: &mut DbConnection,
    subject: &str,
    organization_code: Option<&str>,
) -> Result<CallerFacts> {
    let row: CallerRow = diesel::sql_query(engine_sql(conn, CALLER_FACTS))
        .bind::<Text, _>(username_key(subject))
        .bind::<Nullable<Text>, _>(organization_code.map(code_key))
        .get_result(conn)?;
    let organization = |id: Option<i64>, code: Option<String>, province_id: Option<i64>| {
        Some(OrganizationFacts {
            id: id?,
            code: code?,
            province_id,
        })
    };
    let account = match (
        row.account_id,
        row.account_role,
        row.account_name,
        row.account_disabled,
        row.account_credentials_changed_at,
    ) {
        (
            Some(id),
            Some(role),
            Some(display_name),
            Some(disabled),
            Some(credentials_changed_at),
        ) => Some(AccountFacts {
            id,
            role,
            display_name,
            disabled,
            credentials_changed_at,
            organization: organization(
                row.account_org_id,
                row.account_org_code,
                row.account_org_province_id,
            ),
        }),
        _ => None,
    };
    Ok(CallerFacts {
        account,
        claimed_organization: organization(
            row.claimed_org_id,
            row.claimed_org_code,
            row.claimed_org_province_id,
        ),
    })
}
