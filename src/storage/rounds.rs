//! Rounds: named windows of months of an evaluation that summaries cover. Rows in and out; the
//! rules are the domain's (`domain::round`, and the evaluation's status from
//! `domain::evaluation`).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::audit::{self, Actor};
use super::evaluations::{self, EvaluationRow};
use super::pagination::{Page, PageRequest};
use super::schema::rounds;
use super::{decode, ensure_unique, now, written, Access, DbConnection};
use crate::domain::period::Period;
use crate::domain::round::{name_key, RoundFields};
use crate::error::{ConflictKind, Error, Result};
use crate::policy::Caller;

pub const ENTITY: &str = "round";

/// A round as stored; only `RoundRow::read` turns it into a row the service uses.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = rounds)]
pub(super) struct StoredRound {
    id: i64,
    evaluation_id: i64,
    name: String,
    start_period: String,
    end_period: String,
    version: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// A round read back, its window parsed (an unreadable month is an internal error, never a
/// guess). Serialized as the audit trail's details.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoundRow {
    pub id: i64,
    pub evaluation_id: i64,
    pub name: String,
    pub start_period: Period,
    pub end_period: Period,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl RoundRow {
    pub(super) fn read(stored: StoredRound) -> Result<Self> {
        let id = stored.id;
        let period =
            |column: &str, text: &str| decode(ENTITY, id, column, text, |t| t.parse().ok());
        Ok(Self {
            start_period: period("start_period", &stored.start_period)?,
            end_period: period("end_period", &stored.end_period)?,
            id,
            evaluation_id: stored.evaluation_id,
            name: stored.name,
            version: stored.version,
            created_at: stored.created_at,
            updated_at: stored.updated_at,
        })
    }

    /// The window, both months included.
    pub fn window(&self) -> (Period, Period) {
        (self.start_period, self.end_period)
    }

    /// The writable fields as they are now: the target a merge patch applies to.
    pub fn fields(&self) -> RoundFields {
        RoundFields {
            name: self.name.clone(),
            start_period: self.start_period,
            end_period: self.end_period,
        }
    }
}

/// The columns a create or an update writes.
#[derive(Debug, Insertable, AsChangeset)]
#[diesel(table_name = rounds)]
struct RoundValues {
    name: String,
    name_key: String,
    start_period: String,
    end_period: String,
    updated_at: NaiveDateTime,
}

impl RoundValues {
    fn of(fields: &RoundFields, updated_at: NaiveDateTime) -> Self {
        Self {
            name: fields.name.trim().to_owned(),
            name_key: name_key(&fields.name),
            start_period: fields.start_period.to_string(),
            end_period: fields.end_period.to_string(),
            updated_at,
        }
    }
}

pub fn find(conn: &mut DbConnection, id: i64) -> Result<Option<RoundRow>> {
    rounds::table
        .find(id)
        .select(StoredRound::as_select())
        .first(conn)
        .optional()?
        .map(RoundRow::read)
        .transpose()
}

/// The round and its evaluation, read for `access` (`evaluations::child`): to read, anyone who
/// may read the evaluation (404 otherwise); to manage, the role first (403), then the
/// evaluation in view (404), then its province (403), the evaluation locked.
pub fn get(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    access: Access,
) -> Result<(RoundRow, EvaluationRow)> {
    let evaluation_of = rounds::table.find(id).select(rounds::evaluation_id);
    evaluations::child(conn, caller, access, (ENTITY, id), evaluation_of, |conn| {
        find(conn, id)
    })
}

/// Every round of an evaluation, in id order.
pub fn all_of(conn: &mut DbConnection, evaluation_id: i64) -> Result<Vec<RoundRow>> {
    rounds::table
        .filter(rounds::evaluation_id.eq(evaluation_id))
        .order(rounds::id.asc())
        .select(StoredRound::as_select())
        .load(conn)?
        .into_iter()
        .map(RoundRow::read)
        .collect()
}

/// One page of an evaluation's rounds, in id order.
pub fn list(
    conn: &mut DbConnection,
    evaluation_id: i64,
    page: PageRequest,
) -> Result<Page<RoundRow>> {
    let query = page.keyset(
        rounds::table
            .filter(rounds::evaluation_id.eq(evaluation_id))
            .select(StoredRound::as_select())
            .into_boxed(),
        rounds::id,
    );
    let rows = query
        .load(conn)?
        .into_iter()
        .map(RoundRow::read)
        .collect::<Result<Vec<_>>>()?;
    Ok(page.finish(rows, |row| row.id))
}

fn name_taken_message(name: &str) -> String {
    format!(
        "the name {} is already taken by another round of this evaluation (names are compared \
         ignoring case); choose another",
        name.trim()
    )
}

/// 409 naming `name` when another round of the evaluation has the name, ignoring case.
fn ensure_name_free(
    conn: &mut DbConnection,
    evaluation_id: i64,
    name: &str,
    own_id: Option<i64>,
) -> Result<()> {
    let holder = rounds::table
        .filter(rounds::evaluation_id.eq(evaluation_id))
        .filter(rounds::name_key.eq(name_key(name)))
        .select(rounds::id)
        .first(conn)
        .optional()?;
    ensure_unique(holder, own_id, "name", || name_taken_message(name))
}

/// A write that lost a race for a name on the unique index (the only unique value of a round)
/// answers like the check before it: 409 naming `name`.
fn or_name_taken<T>(result: Result<T>, name: &str) -> Result<T> {
    match result {
        Err(Error::Conflict {
            kind: ConflictKind::Duplicate,
            ..
        }) => Err(Error::duplicate("name", name_taken_message(name))),
        other => other,
    }
}

/// Opens a round of an evaluation (`evaluation` read with `evaluations::get` to manage, so
/// locked) while it is draft or active: opening rounds is a mid-year job. Closed: 409.
pub fn create(
    conn: &mut DbConnection,
    caller: &Caller,
    actor: &Actor,
    evaluation: &EvaluationRow,
    fields: RoundFields,
) -> Result<RoundRow> {
    caller.may_manage_evaluations(evaluation.province_id)?;
    evaluation.require_open()?;
    Error::check(fields.check(evaluation.span()))?;
    ensure_name_free(conn, evaluation.id, &fields.name, None)?;
    let timestamp = now();
    let inserted = diesel::insert_into(rounds::table)
        .values((
            RoundValues::of(&fields, timestamp),
            rounds::evaluation_id.eq(evaluation.id),
            rounds::created_at.eq(timestamp),
        ))
        .returning(rounds::id)
        .get_result::<i64>(conn)
        .map_err(Error::from);
    let id = or_name_taken(inserted, &fields.name)?;
    let row = written(find(conn, id)?, ENTITY, id)?;
    let change = evaluation.change("create", ENTITY, row.id, audit::fields(&row)?);
    audit::record(conn, actor, change)?;
    Ok(row)
}

/// Changes a round's name or window under the rules of a new one, while the evaluation is
/// draft or active (closed: 409).
pub fn update(
    conn: &mut DbConnection,
    caller: &Caller,
    actor: &Actor,
    evaluation: &EvaluationRow,
    current: &RoundRow,
    fields: RoundFields,
) -> Result<RoundRow> {
    caller.may_manage_evaluations(evaluation.province_id)?;
    evaluation.require_open()?;
    Error::check(fields.check(evaluation.span()))?;
    ensure_name_free(conn, evaluation.id, &fields.name, Some(current.id))?;
    let values = RoundValues::of(&fields, now());
    or_name_taken(write(conn, current, values), &fields.name)?;
    let row = written(find(conn, current.id)?, ENTITY, current.id)?;
    let details = audit::before_after(current, &row)?;
    let change = evaluation.change("update", ENTITY, row.id, details);
    audit::record(conn, actor, change)?;
    Ok(row)
}

/// `UPDATE … WHERE version = read` (412 when another request changed the round meanwhile).
fn write(conn: &mut DbConnection, current: &RoundRow, values: RoundValues) -> Result<()> {
    update_versioned!(conn, rounds, current.id, current.version, values)
}

/// Deletes a round while the evaluation is draft or active (closed: 409) and nothing was
/// published of it: a round with snapshots is what meetings were shown, kept with them (409
/// `referenced`).
pub fn delete(
    conn: &mut DbConnection,
    caller: &Caller,
    actor: &Actor,
    evaluation: &EvaluationRow,
    current: &RoundRow,
) -> Result<()> {
    caller.may_manage_evaluations(evaluation.province_id)?;
    evaluation.require_open()?;
    let published = super::snapshots::count_of_round(conn, current.id)?;
    if published > 0 {
        return Err(Error::conflict(
            ConflictKind::Referenced,
            format!(
                "round {} has {published} published snapshot(s), which stay as they were shown; \
                 a round with snapshots is not deleted (rename it or leave it)",
                current.id
            ),
        ));
    }
    diesel::delete(rounds::table.find(current.id)).execute(conn)?;
    let details = audit::fields(current)?;
    let change = evaluation.change("delete", ENTITY, current.id, details);
    audit::record(conn, actor, change)
}
