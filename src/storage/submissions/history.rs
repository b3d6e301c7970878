//! A report's history: one entry per create, edit and transition, written in the transaction
//! of the change beside its audit event.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::rows::json_state;
use super::{StoredSubmission, ENTITY};
use crate::domain::submission::{HistoryAction, ReportState};
use crate::error::Result;
use crate::storage::audit::{self, Actor};
use crate::storage::evaluations::EvaluationRow;
use crate::storage::pagination::{Page, PageRequest};
use crate::storage::schema::submission_events;
use crate::storage::{decode, decode_json, DbConnection};

/// One history entry and one audit event, in the transaction of the change.
#[allow(clippy::too_many_arguments)]
pub(super) fn record(
    conn: &mut DbConnection,
    actor: &Actor,
    evaluation: &EvaluationRow,
    action: HistoryAction,
    comment: Option<&str>,
    before: Option<&StoredSubmission>,
    after: &StoredSubmission,
    at: NaiveDateTime,
) -> Result<()> {
    let json = json_state;
    diesel::insert_into(submission_events::table)
        .values((
            submission_events::submission_id.eq(after.id),
            submission_events::occurred_at.eq(at),
            submission_events::actor.eq(&actor.subject),
            submission_events::actor_role.eq(&actor.role),
            submission_events::action.eq(action.as_str()),
            submission_events::comment.eq(comment),
            submission_events::before.eq(before.map(|b| json(&b.state)).transpose()?),
            submission_events::after.eq(json(&after.state)?),
        ))
        .execute(conn)?;
    let details = match before {
        Some(before) => audit::before_after(before, after)?,
        None => audit::fields(after)?,
    };
    let change = evaluation.change(action.as_str(), ENTITY, after.id, details);
    audit::record(conn, actor, change)
}

/// One entry of a report's history.
#[derive(Debug, Clone)]
pub struct HistoryEntry {
    pub id: i64,
    pub occurred_at: NaiveDateTime,
    pub actor: String,
    pub actor_role: String,
    pub action: HistoryAction,
    pub comment: Option<String>,
    pub before: Option<ReportState>,
    pub after: ReportState,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = submission_events)]
struct EventRow {
    id: i64,
    occurred_at: NaiveDateTime,
    actor: String,
    actor_role: String,
    action: String,
    comment: Option<String>,
    before: Option<String>,
    after: String,
}

const HISTORY: &str = "submission_event";

/// A report's history, oldest first.
pub fn history(
    conn: &mut DbConnection,
    submission_id: i64,
    page: PageRequest,
) -> Result<Page<HistoryEntry>> {
    let rows: Vec<EventRow> = page
        .keyset(
            submission_events::table
                .filter(submission_events::submission_id.eq(submission_id))
                .select(EventRow::as_select())
                .into_boxed(),
            submission_events::id,
        )
        .load(conn)?;
    let entries = rows
        .into_iter()
        .map(|row| {
            Ok(HistoryEntry {
                action: decode(HISTORY, row.id, "action", &row.action, HistoryAction::parse)?,
                before: row
                    .before
                    .as_deref()
                    .map(|text| decode_json(HISTORY, row.id, "before", text))
                    .transpose()?,
                after: decode_json(HISTORY, row.id, "after", &row.after)?,
                id: row.id,
                occurred_at: row.occurred_at,
                actor: row.actor,
                actor_role: row.actor_role,
                comment: row.comment,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(page.finish(entries, |entry| entry.id))
}
