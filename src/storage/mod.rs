//! Storage: diesel over SQLite or PostgreSQL, one code path for both.
//!
//! Every database function takes `&mut DbConnection`, so the HTTP layer can run a whole request
//! inside one transaction on one blocking thread (`Database::run` / `Database::write`).

/// `UPDATE $table SET $values, version = read + 1 WHERE id = $id AND version = read`, where
/// `read` is the version the request read: a 412 when another request changed the row
/// meanwhile (`expect_one_updated`). A macro: diesel's update statements are typed by table.
macro_rules! update_versioned {
    ($conn:expr, $table:ident, $id:expr, $read_version:expr, $values:expr $(,)?) => {{
        let read_version: i64 = $read_version;
        let target = $table::table
            .find($id)
            .filter($table::version.eq(read_version));
        let updated = diesel::update(target)
            .set(($values, $table::version.eq(read_version + 1)))
            .execute($conn)?;
        $crate::storage::expect_one_updated(updated, read_version)
    }};
}

pub mod assignments;
pub mod audit;
pub mod backup;
pub mod batch;
pub mod components;
pub mod evaluations;
pub mod framework;
pub mod idempotency;
pub mod indicators;
pub mod login_throttle;
pub mod notify;
pub mod organizations;
pub mod pagination;
mod pool;
pub mod rankings;
pub mod rounds;
pub mod schema;
pub mod snapshots;
pub mod submissions;
pub mod summary;
pub mod users;
pub mod worklist;

use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};
use diesel::prelude::*;
use diesel::{PgConnection, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::config::DatabaseUrl;
use crate::domain::organization::code_key;
use crate::error::{Error, Result};

pub use pool::{
    read_transaction, statements_on_this_thread, write_transaction, ConnectionManager, Database,
};

/// One connection type over both engines; queries written once run on either.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Any two instances may start at once; they take turns at the migrations under this lock
/// (PostgreSQL; on SQLite the file's writer lock, `run_migrations`).
const MIGRATION_LOCK_ID: i64 = 0x6b70_695f_6d69_6772; // "kpi_migr"

diesel::define_sql_function! {
    /// SQL `lower()`: with the unique indexes on `lower(code)`/`lower(username)`, lookups of
    /// codes and usernames ignore case (ASCII, so both engines agree).
    fn lower(text: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// The current instant as stored: UTC, truncated to microseconds so both engines agree.
pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc().trunc_subsecs(6)
}

pub fn to_utc(stored: NaiveDateTime) -> DateTime<Utc> {
    stored.and_utc()
}

/// Applies the engine's embedded migrations; returns how many ran.
pub fn run_migrations(url: &DatabaseUrl) -> anyhow::Result<usize> {
    use anyhow::Context;
    if let DatabaseUrl::Sqlite(path) = url {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("creating the database directory {}", dir.display()))?;
        }
    }
    let mut conn = ConnectionManager::new(url.clone())
        .establish()
        .with_context(|| format!("connecting to {}", url.redacted()))?;
    let applied = match &mut conn {
        // One `BEGIN IMMEDIATE` around them all (each migration a savepoint inside): the
        // file's writer lock is the migration lock, so a second process starting at once waits
        // (busy timeout), then finds nothing pending. Without it both read "all pending" and
        // the second fails on a table the first just created.
        DbConnection::Sqlite(conn) => conn
            .immediate_transaction(|conn| {
                conn.run_pending_migrations(SQLITE_MIGRATIONS)
                    .map(|applied| applied.len())
            })
            .map_err(|e: Box<dyn std::error::Error + Send + Sync>| {
                anyhow::anyhow!("applying SQLite migrations: {e}")
            })?,
        DbConnection::Postgres(conn) => {
            diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK_ID})"))
                .execute(conn)
                .context("taking the migration lock")?;
            let result = conn
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|applied| applied.len())
                .map_err(|e| anyhow::anyhow!("applying PostgreSQL migrations: {e}"));
            diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_ID})"))
                .execute(conn)
                .context("releasing the migration lock")?;
            result?
        }
    };
    Ok(applied)
}

/// True when the database answers and no embedded migration is pending (for `/readyz`).
pub fn migrations_current(conn: &mut DbConnection) -> Result<bool> {
    let pending = match conn {
        DbConnection::Sqlite(conn) => conn.has_pending_migration(SQLITE_MIGRATIONS),
        DbConnection::Postgres(conn) => conn.has_pending_migration(POSTGRES_MIGRATIONS),
    };
    pending
        .map(|pending| !pending)
        .map_err(|e| Error::Unavailable(format!("cannot read the migration state: {e}")))
}

/// Updates are conditional on the version the request read (`WHERE version = read`): when no
/// row matched, another request changed it meanwhile, and this one must not overwrite it —
/// PostgreSQL's READ COMMITTED would otherwise let both pass the `If-Match` check.
pub fn expect_one_updated(rows: usize, read_version: i64) -> Result<()> {
    if rows == 1 {
        Ok(())
    } else {
        Err(Error::PreconditionFailed {
            current: format!("newer than \"{read_version}\""),
        })
    }
}

/// Why a row is read. `Read`: to show it, to a caller who can see it (404 otherwise).
/// `Manage`: to change it — the role-level policy first (403 for a role that may never, whatever
/// the id), then the row (404), then the object-level policy (403); a row whose writes depend
/// on an evaluation's status is read under that evaluation's lock
/// (`evaluations::find_for_update`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Manage,
}

/// A row this transaction has just written, read back (MultiConnection has no typed
/// RETURNING): a row that is not there is a bug.
pub fn written<T>(row: Option<T>, table: &str, id: i64) -> Result<T> {
    row.ok_or_else(|| Error::Internal(format!("{table} {id} vanished")))
}

/// A unique value is free when no row holds it, or only the row being changed (`own_id`);
/// otherwise a 409 naming `field`.
pub fn ensure_unique(
    holder: Option<i64>,
    own_id: Option<i64>,
    field: &str,
    message: impl FnOnce() -> String,
) -> Result<()> {
    match holder {
        Some(id) if Some(id) != own_id => Err(Error::duplicate(field, message())),
        _ => Ok(()),
    }
}

/// Codes (of organizations, components, indicators) are unique ignoring case: `code` is free
/// when `holder`, given the code's `code_key` to compare with `lower(code)`, finds no row, or
/// only the row being changed (`own_id`); otherwise a 409 naming `code`. `taken_by` says by
/// what ("another component of this evaluation"), never by whom.
pub fn ensure_code_free(
    code: &str,
    own_id: Option<i64>,
    taken_by: &str,
    holder: impl FnOnce(String) -> QueryResult<Option<i64>>,
) -> Result<()> {
    let holder = holder(code_key(code))?;
    ensure_unique(holder, own_id, "code", || {
        format!(
            "the code {code} is already taken by {taken_by} (codes are compared ignoring case); \
             choose another"
        )
    })
}

/// `$1`, `$2`… as the engine spells bind parameters (SQLite: `?1`, `?2`…).
pub fn engine_sql<'a>(conn: &DbConnection, sql: &'a str) -> std::borrow::Cow<'a, str> {
    match conn {
        DbConnection::Postgres(_) => sql.into(),
        DbConnection::Sqlite(_) => sql.replace('$', "?").into(),
    }
}

/// SQL `LIKE` pattern for a case-insensitive substring: the needle lower-cased like
/// `search_text` columns are, with `\`, `%` and `_` escaped (used with `ESCAPE '\'`).
pub fn contains_pattern(needle: &str) -> String {
    let mut pattern = String::with_capacity(needle.len() + 2);
    pattern.push('%');
    for ch in needle.to_lowercase().chars() {
        if matches!(ch, '\\' | '%' | '_') {
            pattern.push('\\');
        }
        pattern.push(ch);
    }
    pattern.push('%');
    pattern
}

/// The text `q` searches: lower-cased in Rust, so both engines compare the same bytes
/// (SQLite's `lower` knows only ASCII; PostgreSQL's depends on the collation).
pub fn search_text(parts: &[Option<&str>]) -> String {
    parts
        .iter()
        .flatten()
        .map(|part| part.to_lowercase())
        .collect::<Vec<_>>()
        .join("\n")
}

/// A stored value the domain cannot read (an unknown enumeration text, corrupt JSON): written
/// around the service's rules, so an internal error logged with the row, never a guess.
pub fn unreadable(table: &str, id: i64, column: &str, value: &str) -> Error {
    tracing::error!(
        table,
        id,
        column,
        value,
        "a stored value cannot be read; the row needs repair"
    );
    Error::Internal(format!("{table} {id} holds an unreadable {column}"))
}

/// A stored text read back as the domain's value (an enumeration with its `parse`, a period, a
/// JSON document): one that does not read is `unreadable`, never a default.
pub fn decode<T>(
    table: &str,
    id: i64,
    column: &str,
    text: &str,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Result<T> {
    parse(text).ok_or_else(|| unreadable(table, id, column, text))
}

/// `decode` for a JSON column.
pub fn decode_json<T: serde::de::DeserializeOwned>(
    table: &str,
    id: i64,
    column: &str,
    text: &str,
) -> Result<T> {
    decode(table, id, column, text, |text| {
        serde_json::from_str(text).ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_pattern_escapes_wildcards_and_lowercases() {
        assert_eq!(contains_pattern("Ab%_\\"), "%ab\\%\\_\\\\%");
        assert_eq!(contains_pattern("ยโสธร"), "%ยโสธร%");
    }
}
