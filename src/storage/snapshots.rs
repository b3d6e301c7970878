//! Published snapshots: a round's summary stored once, as the canonical JSON of the computed
//! figures with its SHA-256 (`domain::snapshot`), who published it and when. Rows are inserted
//! and read, never updated nor deleted.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use super::audit::{self, Actor};
use super::evaluations::{self, EvaluationRow};
use super::pagination::{Page, PageRequest};
use super::rounds::RoundRow;
use super::schema::snapshots;
use super::{now, to_utc, unreadable, written, Access, DbConnection};
use crate::domain::snapshot::{canonical_json, check_as_of, sha256_hex};
use crate::error::{Error, Result};
use crate::policy::Caller;

pub const ENTITY: &str = "snapshot";

/// What a snapshot is, without its summary: a list item, and the audit trail's details.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize)]
#[diesel(table_name = snapshots)]
pub struct SnapshotInfo {
    pub id: i64,
    pub round_id: i64,
    pub evaluation_id: i64,
    pub as_of: NaiveDateTime,
    pub published_at: NaiveDateTime,
    /// The publisher's token subject.
    pub published_by: String,
    /// The publisher's name (the token's `name`) when it published.
    pub published_by_name: String,
    pub sha256: String,
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = snapshots)]
struct StoredSnapshot {
    #[diesel(embed)]
    info: SnapshotInfo,
    summary: String,
}

/// A snapshot read back whole: its summary's canonical JSON, checked against its SHA-256 (a
/// row whose text does not hash to it was changed around the service: an internal error,
/// logged, never served as if it were the published figures).
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotRow {
    pub info: SnapshotInfo,
    /// The canonical JSON of the round summary, exactly as published and hashed.
    pub summary: String,
}

impl SnapshotRow {
    fn read(stored: StoredSnapshot) -> Result<Self> {
        if sha256_hex(&stored.summary) != stored.info.sha256 {
            return Err(unreadable(
                ENTITY,
                stored.info.id,
                "summary",
                "text that does not hash to its sha256",
            ));
        }
        Ok(Self {
            info: stored.info,
            summary: stored.summary,
        })
    }
}

/// The instants of a publication: what it is computed at and when it is published (now).
#[derive(Debug, Clone, Copy)]
pub struct Publication {
    pub as_of: DateTime<Utc>,
    published_at: NaiveDateTime,
}

impl Publication {
    /// A publication now, of the summary at `as_of` (default: now, the same instant): 422
    /// naming `as_of` when it is later than now (`domain::snapshot::check_as_of`).
    pub fn at(as_of: Option<DateTime<Utc>>) -> Result<Self> {
        let published_at = now();
        let as_of = as_of.unwrap_or_else(|| to_utc(published_at));
        check_as_of(as_of, to_utc(published_at)).map_err(|error| Error::Validation {
            errors: vec![error],
        })?;
        Ok(Self {
            as_of,
            published_at,
        })
    }
}

fn find(conn: &mut DbConnection, id: i64) -> Result<Option<SnapshotRow>> {
    snapshots::table
        .find(id)
        .select(StoredSnapshot::as_select())
        .first(conn)
        .optional()?
        .map(SnapshotRow::read)
        .transpose()
}

/// A snapshot, to anyone who may read its round's evaluation (404 otherwise).
pub fn get(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<SnapshotRow> {
    let evaluation_of = snapshots::table.find(id).select(snapshots::evaluation_id);
    let (row, _) = evaluations::child(
        conn,
        caller,
        Access::Read,
        (ENTITY, id),
        evaluation_of,
        |conn| find(conn, id),
    )?;
    Ok(row)
}

/// One page of a round's snapshots, in id order (the order they were published in), without
/// their summaries.
pub fn list(
    conn: &mut DbConnection,
    round_id: i64,
    page: PageRequest,
) -> Result<Page<SnapshotInfo>> {
    let query = page.keyset(
        snapshots::table
            .filter(snapshots::round_id.eq(round_id))
            .select(SnapshotInfo::as_select())
            .into_boxed(),
        snapshots::id,
    );
    Ok(page.finish(query.load(conn)?, |row| row.id))
}

/// How many snapshots a round has (a round with any is not deleted).
pub fn count_of_round(conn: &mut DbConnection, round_id: i64) -> Result<i64> {
    Ok(snapshots::table
        .filter(snapshots::round_id.eq(round_id))
        .count()
        .get_result(conn)?)
}

/// Stores `summary` (the round's summary at `publication.as_of`, as computed for
/// `GET /rounds/{id}/summary`) once: its canonical JSON and that text's SHA-256, the caller as
/// publisher; audited. `evaluation` and `round` are read to manage (`rounds::get`), so the
/// caller may publish for the province, whatever the evaluation's status (a closed year's
/// figures are still shown at meetings).
pub fn create(
    conn: &mut DbConnection,
    caller: &Caller,
    actor: &Actor,
    evaluation: &EvaluationRow,
    round: &RoundRow,
    publication: Publication,
    summary: &serde_json::Value,
) -> Result<SnapshotRow> {
    caller.may_manage_evaluations(evaluation.province_id)?;
    let text = canonical_json(summary);
    let sha256 = sha256_hex(&text);
    let id = diesel::insert_into(snapshots::table)
        .values((
            snapshots::round_id.eq(round.id),
            snapshots::evaluation_id.eq(evaluation.id),
            snapshots::as_of.eq(publication.as_of.naive_utc()),
            snapshots::published_at.eq(publication.published_at),
            snapshots::published_by.eq(&caller.subject),
            snapshots::published_by_name.eq(&caller.name),
            snapshots::sha256.eq(&sha256),
            snapshots::summary.eq(&text),
        ))
        .returning(snapshots::id)
        .get_result::<i64>(conn)?;
    let row = written(find(conn, id)?, ENTITY, id)?;
    let change = evaluation.change("publish", ENTITY, id, audit::fields(&row.info)?);
    audit::record(conn, actor, change)?;
    Ok(row)
}
