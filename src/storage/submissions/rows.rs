//! A report's rows as the database holds them, and the column sets its writes fill (shared by
//! single reports and the batch intake).

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use super::ENTITY;
use crate::domain::period::Period;
use crate::domain::submission::{ReportContent, ReportState, SubmissionStatus};
use crate::error::{Error, Result};
use crate::storage::schema::submissions;
use crate::storage::{decode, decode_json, to_utc};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = submissions)]
pub(crate) struct SubmissionRow {
    id: i64,
    evaluation_id: i64,
    indicator_id: i64,
    pub(super) organization_id: i64,
    period: String,
    value: Option<f64>,
    narrative: Option<String>,
    obstacles: Option<String>,
    suggestions: Option<String>,
    evidence_urls: String,
    status: String,
    review_comment: Option<String>,
    first_submitted_at: Option<NaiveDateTime>,
    due_at: NaiveDateTime,
    on_time: Option<bool>,
    created_by: String,
    version: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// A stored report. Serialized, it is the audit trail's record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredSubmission {
    pub id: i64,
    pub evaluation_id: i64,
    pub indicator_id: i64,
    pub organization_id: i64,
    pub period: Period,
    #[serde(flatten)]
    pub state: ReportState,
    pub due_at: DateTime<Utc>,
    pub on_time: Option<bool>,
    pub created_by: String,
    pub version: i64,
    #[serde(skip)]
    pub created_at: NaiveDateTime,
    #[serde(skip)]
    pub updated_at: NaiveDateTime,
}

impl SubmissionRow {
    pub(crate) fn decode(self) -> Result<StoredSubmission> {
        let id = self.id;
        Ok(StoredSubmission {
            period: decode(ENTITY, id, "period", &self.period, |t| t.parse().ok())?,
            state: ReportState {
                content: ReportContent {
                    value: self.value,
                    narrative: self.narrative,
                    obstacles: self.obstacles,
                    suggestions: self.suggestions,
                    evidence_urls: decode_json(ENTITY, id, "evidence_urls", &self.evidence_urls)?,
                },
                status: decode(ENTITY, id, "status", &self.status, SubmissionStatus::parse)?,
                review_comment: self.review_comment,
                first_submitted_at: self.first_submitted_at.map(to_utc),
            },
            id,
            evaluation_id: self.evaluation_id,
            indicator_id: self.indicator_id,
            organization_id: self.organization_id,
            due_at: to_utc(self.due_at),
            on_time: self.on_time,
            created_by: self.created_by,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// The columns a report's state fills: one type for inserts and updates.
#[derive(Insertable, AsChangeset)]
#[diesel(
    table_name = submissions,
    treat_none_as_null = true,
    treat_none_as_default_value = false
)]
pub(crate) struct StateRecord<'a> {
    value: Option<f64>,
    narrative: Option<&'a str>,
    obstacles: Option<&'a str>,
    suggestions: Option<&'a str>,
    evidence_urls: String,
    status: &'a str,
    review_comment: Option<&'a str>,
    first_submitted_at: Option<NaiveDateTime>,
    on_time: Option<bool>,
    updated_at: NaiveDateTime,
}

impl<'a> StateRecord<'a> {
    pub(crate) fn new(
        state: &'a ReportState,
        due: DateTime<Utc>,
        at: NaiveDateTime,
    ) -> Result<Self> {
        let content = &state.content;
        Ok(Self {
            value: content.value,
            narrative: content.narrative.as_deref(),
            obstacles: content.obstacles.as_deref(),
            suggestions: content.suggestions.as_deref(),
            evidence_urls: serde_json::to_string(&content.evidence_urls)
                .map_err(|e| Error::Internal(format!("evidence_urls: {e}")))?,
            status: state.status.as_str(),
            review_comment: state.review_comment.as_deref(),
            first_submitted_at: state.first_submitted_at.map(|t| t.naive_utc()),
            on_time: state.on_time(due),
            updated_at: at,
        })
    }
}

/// A report's state as its history stores it (JSON).
pub(crate) fn json_state(state: &ReportState) -> Result<String> {
    serde_json::to_string(state).map_err(|e| Error::Internal(format!("history: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `create` reads `RETURNING all_columns` into `SubmissionRow` by position (MultiConnection
    /// has no `as_returning`): the struct's fields must stay in the table's column order.
    #[test]
    fn the_row_reads_the_columns_in_the_table_s_order() {
        let by_struct = diesel::debug_query::<diesel::pg::Pg, _>(
            &submissions::table.select(SubmissionRow::as_select()),
        )
        .to_string();
        let by_table = diesel::debug_query::<diesel::pg::Pg, _>(
            &submissions::table.select(submissions::all_columns),
        )
        .to_string();
        assert_eq!(by_struct, by_table);
    }
}
