//! Batch intake (docs/DOMAIN.md, "Batch intake"), set-based: the facts a batch needs are read
//! once (one query per table), the domain classifies every item (`domain::batch::classify`),
//! and the result is written in chunks of multi-row statements, with one history entry per
//! created or changed report and one audit event for the batch.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::assignments as assignment_rows;
use super::audit::{self, Actor, Change};
use super::evaluations::{self, EvaluationRow};
use super::schema::{assignments, indicators, organizations, submission_events, submissions};
use super::submissions::{json_state, StateRecord, SubmissionRow};
use super::{decode, lower, to_utc, DbConnection};
use crate::domain::batch::{
    classify, read_item, BatchFacts, ExistingReport, IndicatorFacts, ItemSpec, Lang,
    OrganizationFacts, Outcome, RawItem, Reason,
};
use crate::domain::framework::AssignmentRole;
use crate::domain::organization::code_key;
use crate::domain::period::{Frequency, Period};
use crate::domain::submission::{
    require_accepting_reports, HistoryAction, ReportState, SubmissionStatus,
};
use crate::error::{ConflictKind, Error, FieldError, Result};
use crate::policy::Caller;

/// Rows per multi-row statement: under SQLite's 32,766 and PostgreSQL's 65,535 bind
/// parameters with every column of a report.
const CHUNK: usize = 1000;

/// A batch as a request or the `import` command sends it (into the evaluation from `target`).
#[derive(Debug)]
pub struct Batch {
    pub atomic: bool,
    pub dry_run: bool,
    pub items: Vec<RawItem>,
}

/// What became of a batch.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BatchReport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub rejected: usize,
    /// One per problem of a rejected item, with its `index` (and `line` from CSV).
    pub errors: Vec<FieldError>,
}

/// The evaluation a batch goes into, for a caller who imports at all (403 first): 404 when
/// out of view, 409 unless active. `in_view` reads without a lock (the check before the body
/// is read); `target` share-locks the row (a batch waits for a closing).
pub fn in_view(
    conn: &mut DbConnection,
    caller: &Caller,
    evaluation_id: i64,
) -> Result<EvaluationRow> {
    caller.imports_batches()?;
    let found = evaluations::find(conn, evaluation_id)?;
    let visible = match &found {
        Some(e) => {
            caller.visibility().includes(Some(e.province_id))
                || match caller.organization_id() {
                    // A national or regional unit reports into a province's evaluation it serves.
                    Some(own) => assignment_rows::organization_assigned_in(conn, own, e.id)?,
                    None => false,
                }
        }
        None => false,
    };
    let evaluation = found
        .filter(|_| visible)
        .ok_or_else(|| Error::not_found(evaluations::ENTITY, evaluation_id))?;
    require_accepting_reports(evaluation.status(), evaluation.id)?;
    Ok(evaluation)
}

/// Batches into one evaluation take turns (PostgreSQL: a transaction-scoped advisory lock keyed
/// by the evaluation; SQLite serializes writers anyway): two e-report pushes of the same
/// figures then give `created` and `unchanged`, not a unique violation. Keys of this family
/// are `BATCH_LOCK | evaluation id` (ids below 2^32).
const BATCH_LOCK: i64 = 0x6b70_695f_0000_0000; // "kpi_" in the high half

/// `in_view`, then the evaluation's row share-locked and read again, and the batch's turn.
pub fn target(
    conn: &mut DbConnection,
    caller: &Caller,
    evaluation_id: i64,
) -> Result<EvaluationRow> {
    in_view(conn, caller, evaluation_id)?;
    if let DbConnection::Postgres(pg) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
            .bind::<diesel::sql_types::BigInt, _>(BATCH_LOCK | (evaluation_id & 0xffff_ffff))
            .execute(pg)?;
    }
    let evaluation = evaluations::find_for_share(conn, evaluation_id)?
        .ok_or_else(|| Error::not_found(evaluations::ENTITY, evaluation_id))?;
    require_accepting_reports(evaluation.status(), evaluation.id)?;
    Ok(evaluation)
}

/// Runs a batch into `evaluation` (from `target`) at `at`: classifies every item and, unless
/// it is a dry run or an atomic batch with a rejected item, writes the result.
pub fn intake(
    conn: &mut DbConnection,
    caller: &Caller,
    actor: &Actor,
    evaluation: &EvaluationRow,
    batch: Batch,
    lang: Lang,
    at: NaiveDateTime,
) -> Result<BatchReport> {
    let may_backfill = caller.may_backfill();
    let positions: Vec<(usize, Option<u64>)> = batch
        .items
        .iter()
        .map(|item| (item.index, item.line))
        .collect();
    let specs: Vec<Result<ItemSpec, Vec<Reason>>> = batch
        .items
        .into_iter()
        .map(|item| read_item(item, may_backfill))
        .collect();
    let (facts, dues) = facts(conn, caller, evaluation, &specs)?;
    let outcomes = classify(&specs, &facts, to_utc(at));
    drop(facts);
    let report = tally(&positions, &outcomes, lang);
    if batch.dry_run || (batch.atomic && report.rejected > 0) {
        return Ok(report);
    }
    write(conn, actor, evaluation, &outcomes, &dues, at)?;
    let details = serde_json::json!({
        "created": report.created, "updated": report.updated, "unchanged": report.unchanged,
        "rejected": report.rejected, "items": positions.len(), "atomic": batch.atomic,
    });
    audit::record(
        conn,
        actor,
        Change::new(
            "batch",
            evaluations::ENTITY,
            evaluation.id,
            Some(evaluation.province_id),
            details,
        ),
    )?;
    Ok(report)
}

fn tally(positions: &[(usize, Option<u64>)], outcomes: &[Outcome], lang: Lang) -> BatchReport {
    let mut report = BatchReport::default();
    for ((index, line), outcome) in positions.iter().zip(outcomes) {
        match outcome {
            Outcome::Created { .. } => report.created += 1,
            Outcome::Updated { .. } => report.updated += 1,
            Outcome::Unchanged { .. } => report.unchanged += 1,
            Outcome::Rejected(reasons) => {
                report.rejected += 1;
                report
                    .errors
                    .extend(reasons.iter().map(|reason| FieldError {
                        index: Some(*index),
                        line: *line,
                        ..reason.to_field_error(lang)
                    }));
            }
        }
    }
    report
}

/// Due instants of stored reports, by id (an update rewrites `on_time` from it).
type Dues = HashMap<i64, NaiveDateTime>;

/// Everything the classification reads, in one query per table.
fn facts(
    conn: &mut DbConnection,
    caller: &Caller,
    evaluation: &EvaluationRow,
    specs: &[Result<ItemSpec, Vec<Reason>>],
) -> Result<(BatchFacts, Dues)> {
    let named: Vec<&ItemSpec> = specs.iter().filter_map(|s| s.as_ref().ok()).collect();
    let indicator_rows: Vec<(i64, String, String)> = indicators::table
        .filter(indicators::evaluation_id.eq(evaluation.id))
        .select((indicators::id, indicators::code, indicators::frequency))
        .load(conn)?;
    let mut indicator_facts = HashMap::new();
    for (id, code, frequency) in indicator_rows {
        let frequency = decode("indicator", id, "frequency", &frequency, Frequency::parse)?;
        indicator_facts.insert(
            code_key(&code),
            IndicatorFacts {
                id,
                code,
                frequency,
            },
        );
    }
    let codes: BTreeSet<String> = named
        .iter()
        .map(|s| code_key(&s.organization_code))
        .collect();
    let mut organization_facts = HashMap::new();
    for chunk in codes.into_iter().collect::<Vec<_>>().chunks(CHUNK) {
        let rows: Vec<(i64, String, Option<i64>)> = organizations::table
            .filter(lower(organizations::code).eq_any(chunk))
            .select((
                organizations::id,
                organizations::code,
                organizations::province_id,
            ))
            .load(conn)?;
        for (id, code, province_id) in rows {
            // An organization the caller cannot see is an unknown code to it (404 rather than
            // 403: it must not learn another province's codes from a batch report).
            if !caller.visibility().includes(province_id) && caller.organization_id() != Some(id) {
                continue;
            }
            let in_scope = caller.imports_for(evaluation.province_id, id);
            organization_facts.insert(code_key(&code), OrganizationFacts { id, code, in_scope });
        }
    }
    let role_rows: Vec<(i64, i64, i64, String)> = assignments::table
        .inner_join(indicators::table)
        .filter(indicators::evaluation_id.eq(evaluation.id))
        .select((
            assignments::id,
            assignments::indicator_id,
            assignments::organization_id,
            assignments::role,
        ))
        .load(conn)?;
    let mut roles = HashMap::new();
    for (id, indicator_id, organization_id, role) in role_rows {
        let role = decode("assignment", id, "role", &role, AssignmentRole::parse)?;
        roles.insert((indicator_id, organization_id), role);
    }
    let periods: BTreeSet<String> = named.iter().map(|s| s.period.to_string()).collect();
    let mut existing = HashMap::new();
    let mut dues = HashMap::new();
    for chunk in periods.into_iter().collect::<Vec<_>>().chunks(CHUNK) {
        let rows: Vec<SubmissionRow> = submissions::table
            .filter(submissions::evaluation_id.eq(evaluation.id))
            .filter(submissions::period.eq_any(chunk))
            .select(SubmissionRow::as_select())
            .load(conn)?;
        for row in rows {
            let report = row.decode()?;
            dues.insert(report.id, report.due_at.naive_utc());
            existing.insert(
                (report.indicator_id, report.organization_id, report.period),
                ExistingReport {
                    id: report.id,
                    version: report.version,
                    state: report.state,
                },
            );
        }
    }
    let facts = BatchFacts {
        fiscal_year: evaluation.fiscal_year(),
        span: evaluation.span(),
        indicators: indicator_facts,
        organizations: organization_facts,
        roles,
        existing,
        corrects_submitted: caller.corrects_submitted_reports(),
    };
    Ok((facts, dues))
}

/// A new report's row. `treat_none_as_default_value = false` here and on the embedded
/// `StateRecord`: a `None` is NULL (what the column would default to anyway), so diesel sends a
/// chunk as one multi-row INSERT on SQLite too, instead of one INSERT per row in a savepoint
/// (measured by `scripts/bench-intake`: 23,000 → 46,000 items/s).
#[derive(Insertable)]
#[diesel(table_name = submissions, treat_none_as_default_value = false)]
struct NewRow<'a> {
    #[diesel(embed)]
    state: StateRecord<'a>,
    evaluation_id: i64,
    indicator_id: i64,
    organization_id: i64,
    period: String,
    due_at: NaiveDateTime,
    created_by: &'a str,
    created_at: NaiveDateTime,
}

/// A history entry's row (one multi-row INSERT per chunk, as for `NewRow`).
#[derive(Insertable)]
#[diesel(table_name = submission_events, treat_none_as_default_value = false)]
struct EventRow<'a> {
    submission_id: i64,
    occurred_at: NaiveDateTime,
    actor: &'a str,
    actor_role: &'a str,
    action: &'static str,
    before: Option<String>,
    after: String,
}

/// Writes what the classification decided: new reports in multi-row inserts, changed ones
/// each conditional on the version read, and their history entries in multi-row inserts.
fn write(
    conn: &mut DbConnection,
    actor: &Actor,
    evaluation: &EvaluationRow,
    outcomes: &[Outcome],
    dues: &Dues,
    at: NaiveDateTime,
) -> Result<()> {
    let deadline_day = evaluation.deadline_day as u32;
    let created: Vec<(i64, i64, Period, &ReportState)> = outcomes
        .iter()
        .filter_map(|outcome| match outcome {
            Outcome::Created {
                indicator_id,
                organization_id,
                period,
                state,
            } => Some((*indicator_id, *organization_id, *period, &**state)),
            _ => None,
        })
        .collect();
    for chunk in created.chunks(CHUNK) {
        let rows = chunk
            .iter()
            .map(|(indicator_id, organization_id, period, state)| {
                let due = period.due_at(deadline_day);
                Ok(NewRow {
                    state: StateRecord::new(state, due, at)?,
                    evaluation_id: evaluation.id,
                    indicator_id: *indicator_id,
                    organization_id: *organization_id,
                    period: period.to_string(),
                    due_at: due.naive_utc(),
                    created_by: &actor.subject,
                    created_at: at,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let keys: Vec<(i64, i64, i64, String)> = insert_reports(conn, &rows)?;
        let ids: HashMap<(i64, i64, String), i64> = keys
            .into_iter()
            .map(|(id, indicator, organization, period)| ((indicator, organization, period), id))
            .collect();
        let events = chunk
            .iter()
            .map(|(indicator_id, organization_id, period, state)| {
                let id = ids
                    .get(&(*indicator_id, *organization_id, period.to_string()))
                    .copied()
                    .ok_or_else(|| Error::Internal("a batch insert lost a row".into()))?;
                Ok(EventRow {
                    submission_id: id,
                    occurred_at: at,
                    actor: &actor.subject,
                    actor_role: &actor.role,
                    action: HistoryAction::Create.as_str(),
                    before: None,
                    after: json_state(state)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        insert_events(conn, &events)?;
    }
    let mut updated: Vec<Update<'_>> = outcomes
        .iter()
        .filter_map(|outcome| match outcome {
            Outcome::Updated {
                id,
                version,
                before,
                after,
            } => Some((*id, *version, &**before, &**after)),
            _ => None,
        })
        .collect();
    // In id order, so two transactions updating overlapping reports lock them in one order.
    updated.sort_by_key(|(id, ..)| *id);
    for chunk in updated.chunks(CHUNK) {
        update_reports(conn, chunk, dues, at)?;
        let events = chunk
            .iter()
            .map(|(id, _, before, after)| {
                let action = if after.status == SubmissionStatus::Submitted
                    && before.status != SubmissionStatus::Submitted
                {
                    HistoryAction::Submit
                } else {
                    HistoryAction::Update
                };
                Ok(EventRow {
                    submission_id: *id,
                    occurred_at: at,
                    actor: &actor.subject,
                    actor_role: &actor.role,
                    action: action.as_str(),
                    before: Some(json_state(before)?),
                    after: json_state(after)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        insert_events(conn, &events)?;
    }
    Ok(())
}

/// A changed report: (id, version read, before, after).
type Update<'a> = (i64, i64, &'a ReportState, &'a ReportState);

/// Writes changed reports, each conditional on the version read. PostgreSQL: one
/// `UPDATE … FROM UNNEST(…)` per chunk; SQLite (in-process, no round trips): one prepared
/// statement per report. A report changed meanwhile by a single edit is a 409: send the batch
/// again, it reads the new state.
fn update_reports(
    conn: &mut DbConnection,
    chunk: &[Update<'_>],
    dues: &Dues,
    at: NaiveDateTime,
) -> Result<()> {
    let due_of = |id: i64| {
        dues.get(&id)
            .map(|due| to_utc(*due))
            .ok_or_else(|| Error::Internal(format!("submission {id}: no due instant read")))
    };
    let changed_meanwhile = || {
        Error::conflict(
            ConflictKind::State,
            "a report of this batch changed while the batch ran; send the batch again",
        )
    };
    match conn {
        DbConnection::Sqlite(_) => {
            for (id, version, _, after) in chunk {
                let values = StateRecord::new(after, due_of(*id)?, at)?;
                update_versioned!(conn, submissions, *id, *version, values)
                    .map_err(|_| changed_meanwhile())?;
            }
        }
        DbConnection::Postgres(pg) => {
            use diesel::sql_types::{Array, BigInt, Bool, Double, Nullable, Text, Timestamp};
            let mut columns = UpdateColumns::default();
            for (id, version, _, after) in chunk {
                columns.ids.push(*id);
                columns.versions.push(*version);
                columns.values.push(after.content.value);
                columns.narratives.push(after.content.narrative.clone());
                columns.statuses.push(after.status.as_str().to_owned());
                columns
                    .first_submitted
                    .push(after.first_submitted_at.map(|t| t.naive_utc()));
                columns.on_time.push(after.on_time(due_of(*id)?));
            }
            let updated = diesel::sql_query(
                "UPDATE submissions AS s SET value = v.value, narrative = v.narrative, \
                 status = v.status, first_submitted_at = v.first_submitted_at, \
                 on_time = v.on_time, updated_at = $8, version = s.version + 1 \
                 FROM UNNEST($1, $2, $3, $4, $5, $6, $7) \
                 AS v(id, version, value, narrative, status, first_submitted_at, on_time) \
                 WHERE s.id = v.id AND s.version = v.version",
            )
            .bind::<Array<BigInt>, _>(columns.ids)
            .bind::<Array<BigInt>, _>(columns.versions)
            .bind::<Array<Nullable<Double>>, _>(columns.values)
            .bind::<Array<Nullable<Text>>, _>(columns.narratives)
            .bind::<Array<Text>, _>(columns.statuses)
            .bind::<Array<Nullable<Timestamp>>, _>(columns.first_submitted)
            .bind::<Array<Nullable<Bool>>, _>(columns.on_time)
            .bind::<Timestamp, _>(at)
            .execute(pg)?;
            if updated != chunk.len() {
                return Err(changed_meanwhile());
            }
        }
    }
    Ok(())
}

/// The columns of a chunk of changed reports, one array each (PostgreSQL `UNNEST`).
#[derive(Default)]
struct UpdateColumns {
    ids: Vec<i64>,
    versions: Vec<i64>,
    values: Vec<Option<f64>>,
    narratives: Vec<Option<String>>,
    statuses: Vec<String>,
    first_submitted: Vec<Option<NaiveDateTime>>,
    on_time: Vec<Option<bool>>,
}

/// One multi-row INSERT … RETURNING per engine (`MultiConnection` has no batch insert).
fn insert_reports(
    conn: &mut DbConnection,
    rows: &[NewRow<'_>],
) -> Result<Vec<(i64, i64, i64, String)>> {
    let returning = (
        submissions::id,
        submissions::indicator_id,
        submissions::organization_id,
        submissions::period,
    );
    Ok(match conn {
        DbConnection::Sqlite(c) => diesel::insert_into(submissions::table)
            .values(rows)
            .returning(returning)
            .get_results(c)?,
        DbConnection::Postgres(c) => diesel::insert_into(submissions::table)
            .values(rows)
            .returning(returning)
            .get_results(c)?,
    })
}

fn insert_events(conn: &mut DbConnection, rows: &[EventRow<'_>]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    match conn {
        DbConnection::Sqlite(c) => diesel::insert_into(submission_events::table)
            .values(rows)
            .execute(c)?,
        DbConnection::Postgres(c) => diesel::insert_into(submission_events::table)
            .values(rows)
            .execute(c)?,
    };
    Ok(())
}
