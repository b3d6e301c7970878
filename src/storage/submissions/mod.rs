//! Reports (submissions): rows in and out, their history, and the facts the workflow and the
//! policy decide on. The rules are the domain's (`domain::submission`); who may is the
//! policy's (`Caller::report_capacity`).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::audit::{self, Actor};
use super::evaluations::{self, EvaluationRow};
use super::indicators::{self, StoredIndicator};
use super::organizations::{self, OrganizationRow};
use super::pagination::{Page, PageRequest};
use super::schema::{
    assignments, evaluations as evaluation_table, indicators as indicator_table,
    organizations as org_table,
};
use super::schema::{submission_events, submissions};
use super::{decode, to_utc, written, Access, DbConnection};
use crate::domain::framework::AssignmentRole;
use crate::domain::period::Period;
use crate::domain::submission::{
    placement_problems, require_accepting_reports, Capacity, HistoryAction, InitialStatus,
    Placement, ReportContent, ReportState, SubmissionStatus, Transition,
};
use crate::error::{ConflictKind, Error, Result};
use crate::policy::{Caller, ReportFacts, ReportScope, Visibility};

mod history;
mod rows;

use history::record;
pub use history::{history, HistoryEntry};
pub use rows::StoredSubmission;
pub(crate) use rows::SubmissionRow;
pub(crate) use rows::{json_state, StateRecord};

pub const ENTITY: &str = "submission";

/// A report with the codes a person reads it by.
#[derive(Debug, Clone)]
pub struct SubmissionView {
    pub submission: StoredSubmission,
    pub indicator_code: String,
    pub organization_code: String,
}

/// A report as a write reads it: the report, its evaluation (locked), and what the caller is
/// to it.
pub struct Held {
    pub view: SubmissionView,
    pub evaluation: EvaluationRow,
    pub capacity: Capacity,
}

#[derive(Debug, Default, Clone)]
pub struct SubmissionFilter {
    pub evaluation_id: Option<i64>,
    pub indicator_id: Option<i64>,
    pub organization_id: Option<i64>,
    pub period: Option<Period>,
    pub status: Option<SubmissionStatus>,
}

fn view_of(
    (row, indicator_code, organization_code): (SubmissionRow, String, String),
) -> Result<SubmissionView> {
    Ok(SubmissionView {
        submission: row.decode()?,
        indicator_code,
        organization_code,
    })
}

pub fn find(conn: &mut DbConnection, id: i64) -> Result<Option<SubmissionView>> {
    submissions::table
        .inner_join(indicator_table::table)
        .inner_join(org_table::table)
        .filter(submissions::id.eq(id))
        .select((
            SubmissionRow::as_select(),
            indicator_table::code,
            org_table::code,
        ))
        .first::<(SubmissionRow, String, String)>(conn)
        .optional()?
        .map(view_of)
        .transpose()
}

/// Holds the report's row until the transaction ends (PostgreSQL `FOR UPDATE`; SQLite's
/// `BEGIN IMMEDIATE` already serializes writers): parallel changes of one report queue and each
/// reads the last one's result, rather than failing a version check the client never asked
/// for (412 without `If-Match`). None when the report is gone meanwhile (404).
fn lock_report(conn: &mut DbConnection, id: i64) -> Result<Option<i64>> {
    Ok(match conn {
        DbConnection::Postgres(pg) => submissions::table
            .find(id)
            .select(submissions::id)
            .for_update()
            .first(pg)
            .optional()?,
        DbConnection::Sqlite(_) => Some(id),
    })
}

/// Whether the caller's organization supervises `indicator_id`.
fn supervises(conn: &mut DbConnection, caller: &Caller, indicator_id: i64) -> Result<bool> {
    let Some(organization_id) = caller.organization_id() else {
        return Ok(false);
    };
    let found: Option<i64> = assignments::table
        .filter(assignments::indicator_id.eq(indicator_id))
        .filter(assignments::organization_id.eq(organization_id))
        .filter(assignments::role.eq(AssignmentRole::Supervisor.as_str()))
        .select(assignments::id)
        .first(conn)
        .optional()?;
    Ok(found.is_some())
}

/// The report for `access`, with its evaluation and what the caller is to it: 404 when the
/// caller cannot see it (an agency officer sees its own organization's reports only). To
/// change it (`Access::Manage`), the evaluation's row is share-locked
/// (`evaluations::find_for_share`: a change of its status waits, and is waited for) and the
/// report read again under the lock. The role-level check (`files_reports`, `reviews_reports`) is the caller's,
/// before this.
pub fn get(conn: &mut DbConnection, caller: &Caller, id: i64, access: Access) -> Result<Held> {
    let located: Option<(i64, i64)> = submissions::table
        .find(id)
        .select((submissions::evaluation_id, submissions::organization_id))
        .first(conn)
        .optional()?;
    let not_found = || Error::not_found(ENTITY, id);
    let (evaluation_id, organization_id) = located.ok_or_else(not_found)?;
    let evaluation = evaluations::find(conn, evaluation_id)?.ok_or_else(not_found)?;
    if !caller
        .report_scope()
        .includes(evaluation.province_id, organization_id)
    {
        return Err(not_found());
    }
    let evaluation = match access {
        Access::Read => evaluation,
        Access::Manage => {
            let evaluation =
                evaluations::find_for_share(conn, evaluation_id)?.ok_or_else(not_found)?;
            lock_report(conn, id)?.ok_or_else(not_found)?;
            evaluation
        }
    };
    let view = find(conn, id)?.ok_or_else(not_found)?;
    let facts = ReportFacts {
        province_id: evaluation.province_id,
        organization_id,
        caller_supervises: supervises(conn, caller, view.submission.indicator_id)?,
    };
    Ok(Held {
        capacity: caller.report_capacity(&facts),
        view,
        evaluation,
    })
}

/// A report the caller may read (404 otherwise), in ONE statement: a GET's whole database work.
pub fn read(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<SubmissionView> {
    let found: Option<(SubmissionRow, String, String, i64)> = submissions::table
        .inner_join(indicator_table::table)
        .inner_join(org_table::table)
        .inner_join(evaluation_table::table)
        .filter(submissions::id.eq(id))
        .select((
            SubmissionRow::as_select(),
            indicator_table::code,
            org_table::code,
            evaluation_table::province_id,
        ))
        .first(conn)
        .optional()?;
    match found {
        Some((row, indicator_code, organization_code, province_id))
            if caller
                .report_scope()
                .includes(province_id, row.organization_id) =>
        {
            view_of((row, indicator_code, organization_code))
        }
        _ => Err(Error::not_found(ENTITY, id)),
    }
}

/// One page of the reports in `scope` that pass `filter`, in ONE statement.
pub fn list(
    conn: &mut DbConnection,
    scope: ReportScope,
    filter: &SubmissionFilter,
    page: PageRequest,
) -> Result<Page<SubmissionView>> {
    let mut query = page.keyset(
        submissions::table
            .inner_join(indicator_table::table)
            .inner_join(org_table::table)
            .select((
                SubmissionRow::as_select(),
                indicator_table::code,
                org_table::code,
            ))
            .into_boxed(),
        submissions::id,
    );
    match scope {
        ReportScope::Organization(own) => {
            query = query.filter(submissions::organization_id.eq(own));
        }
        ReportScope::Area(Visibility::All) => {}
        ReportScope::Area(Visibility::Province(province)) => {
            let in_province = evaluation_table::table
                .filter(evaluation_table::province_id.eq(province))
                .select(evaluation_table::id);
            query = query.filter(submissions::evaluation_id.eq_any(in_province));
        }
        ReportScope::Area(Visibility::NoProvince) => {
            return Ok(page.finish(Vec::new(), |view: &SubmissionView| view.submission.id));
        }
    }
    if let Some(evaluation_id) = filter.evaluation_id {
        query = query.filter(submissions::evaluation_id.eq(evaluation_id));
    }
    if let Some(indicator_id) = filter.indicator_id {
        query = query.filter(submissions::indicator_id.eq(indicator_id));
    }
    if let Some(organization_id) = filter.organization_id {
        query = query.filter(submissions::organization_id.eq(organization_id));
    }
    if let Some(period) = filter.period {
        query = query.filter(submissions::period.eq(period.to_string()));
    }
    if let Some(status) = filter.status {
        query = query.filter(submissions::status.eq(status.as_str()));
    }
    let rows: Vec<(SubmissionRow, String, String)> = query.load(conn)?;
    let views = rows.into_iter().map(view_of).collect::<Result<Vec<_>>>()?;
    Ok(page.finish(views, |view| view.submission.id))
}

/// A new report as a request names it.
#[derive(Debug, Clone)]
pub struct NewReport {
    pub indicator_id: i64,
    pub organization_id: i64,
    pub period: Period,
    pub content: ReportContent,
    pub status: InitialStatus,
}

/// The indicator a new report names, if the caller can see it or its organization is assigned
/// to it (else a 422 naming `indicator_id`), with its evaluation share-locked (a report waits
/// for a closing evaluation) and the caller organization's role on it.
fn reported_indicator(
    conn: &mut DbConnection,
    caller: &Caller,
    indicator_id: i64,
) -> Result<(StoredIndicator, EvaluationRow, Option<AssignmentRole>)> {
    let missing = || {
        Error::invalid_field(
            "indicator_id",
            format!("indicator {indicator_id} does not exist"),
        )
    };
    let indicator = indicators::find(conn, indicator_id)?.ok_or_else(missing)?;
    // A national or regional unit assigned in a province (seed 002: ศูนย์วิจัยข้าวร้อยเอ็ด hosts
    // Yasothon's 1.1) sees no province's data, yet reports what it is assigned.
    let own_role = match caller.organization_id() {
        Some(own) => role_of(conn, indicator.id, own)?,
        None => None,
    };
    // An assigned organization may report whatever the province: its evaluation is locked in
    // the one read. Any other caller's view is checked on the unlocked row first, so a caller
    // who cannot see the evaluation never holds (or waits for) a lock on it.
    let evaluation = if own_role.is_some() {
        evaluations::find_for_share(conn, indicator.evaluation_id)?
    } else {
        evaluations::find(conn, indicator.evaluation_id)?
            .filter(|e| caller.visibility().includes(Some(e.province_id)))
            .ok_or_else(missing)?;
        evaluations::find_for_share(conn, indicator.evaluation_id)?
    }
    .ok_or_else(missing)?;
    Ok((indicator, evaluation, own_role))
}

/// The reporting organization a new report names, if the caller can see it (else a 422
/// naming `organization_id`).
fn reporting_organization(
    conn: &mut DbConnection,
    caller: &Caller,
    organization_id: i64,
) -> Result<OrganizationRow> {
    organizations::find(conn, organization_id)?
        .filter(|org| {
            caller.visibility().includes(org.province_id)
                || caller.organization_id() == Some(org.id)
        })
        .ok_or_else(|| {
            Error::invalid_field(
                "organization_id",
                format!("organization {organization_id} does not exist"),
            )
        })
}

/// The organization's role on the indicator, if it has an assignment.
pub fn role_of(
    conn: &mut DbConnection,
    indicator_id: i64,
    organization_id: i64,
) -> Result<Option<AssignmentRole>> {
    let role: Option<(i64, String)> = assignments::table
        .filter(assignments::indicator_id.eq(indicator_id))
        .filter(assignments::organization_id.eq(organization_id))
        .select((assignments::id, assignments::role))
        .first(conn)
        .optional()?;
    role.map(|(id, role)| decode("assignment", id, "role", &role, AssignmentRole::parse))
        .transpose()
}

/// The report of (indicator, organization, period), if one exists.
pub fn find_by_place(
    conn: &mut DbConnection,
    indicator_id: i64,
    organization_id: i64,
    period: Period,
) -> Result<Option<i64>> {
    Ok(submissions::table
        .filter(submissions::indicator_id.eq(indicator_id))
        .filter(submissions::organization_id.eq(organization_id))
        .filter(submissions::period.eq(period.to_string()))
        .select(submissions::id)
        .first(conn)
        .optional()?)
}

/// Files a report at `at` (a handler's `storage::now()`; the demo's past instants), in this
/// order: the indicator and the organization in view (422), who may (403), the evaluation
/// accepting reports (409), where it is filed and what it holds (one 422 listing all), one
/// report per (indicator, organization, period) (409 naming `period`).
pub fn create(
    conn: &mut DbConnection,
    caller: &Caller,
    actor: &Actor,
    new: NewReport,
    at: NaiveDateTime,
) -> Result<SubmissionView> {
    let (indicator, evaluation, own_role) = reported_indicator(conn, caller, new.indicator_id)?;
    let organization = reporting_organization(conn, caller, new.organization_id)?;
    // An officer files for its own organization: its role is already read.
    let role = if caller.organization_id() == Some(organization.id) {
        own_role
    } else {
        role_of(conn, indicator.id, organization.id)?
    };
    caller.may_file_report(evaluation.province_id, organization.id)?;
    require_accepting_reports(evaluation.status(), evaluation.id)?;
    let placement = Placement {
        fiscal_year: evaluation.fiscal_year(),
        span: evaluation.span(),
        frequency: indicator.spec.frequency,
        indicator_code: &indicator.spec.code,
        organization_code: &organization.code,
        role,
    };
    let mut errors = placement_problems(&placement, new.period);
    errors.extend(new.content.problems());
    Error::check(errors)?;
    if let Some(existing) = find_by_place(conn, indicator.id, organization.id, new.period)? {
        return Err(Error::duplicate(
            "period",
            format!(
                "{} already has a report for indicator {} in {} (submission {existing}): one \
                 report per indicator, organization and month; edit that one",
                organization.code, indicator.spec.code, new.period
            ),
        ));
    }
    let state = ReportState::filed(new.content, new.status, to_utc(at))?;
    let due = new.period.due_at(evaluation.deadline_day as u32);
    let row: SubmissionRow = diesel::insert_into(submissions::table)
        .values((
            StateRecord::new(&state, due, at)?,
            submissions::evaluation_id.eq(evaluation.id),
            submissions::indicator_id.eq(indicator.id),
            submissions::organization_id.eq(organization.id),
            submissions::period.eq(new.period.to_string()),
            submissions::due_at.eq(due.naive_utc()),
            submissions::created_by.eq(&actor.subject),
            submissions::created_at.eq(at),
        ))
        // Every column, in the order of the table and of `SubmissionRow` (MultiConnection has
        // no `as_returning`): the report as stored, without reading it back.
        .returning(submissions::all_columns)
        .get_result(conn)?;
    let created = view_of((row, indicator.spec.code.clone(), organization.code.clone()))?;
    record(
        conn,
        actor,
        &evaluation,
        HistoryAction::Create,
        None,
        None,
        &created.submission,
        at,
    )?;
    Ok(created)
}

/// Writes `state` over the held report at `at` (conditional on the version read), then its
/// history entry and audit event.
fn write_state(
    conn: &mut DbConnection,
    actor: &Actor,
    held: &Held,
    action: HistoryAction,
    comment: Option<&str>,
    state: &ReportState,
    at: NaiveDateTime,
) -> Result<SubmissionView> {
    let current = &held.view.submission;
    let values = StateRecord::new(state, current.due_at, at)?;
    update_versioned!(conn, submissions, current.id, current.version, values)?;
    let changed = written(find(conn, current.id)?, ENTITY, current.id)?;
    record(
        conn,
        actor,
        &held.evaluation,
        action,
        comment,
        Some(current),
        &changed.submission,
        at,
    )?;
    Ok(changed)
}

/// Edits a held report's content at `at` (`domain::submission::ReportState::edited`).
pub fn update(
    conn: &mut DbConnection,
    actor: &Actor,
    held: &Held,
    content: ReportContent,
    at: NaiveDateTime,
) -> Result<SubmissionView> {
    let current = &held.view.submission.state;
    let next = current.edited(content, held.capacity)?;
    require_accepting_reports(held.evaluation.status(), held.evaluation.id)?;
    if next == *current {
        // Nothing changes: no new version, no history entry, no audit event.
        return Ok(held.view.clone());
    }
    write_state(conn, actor, held, HistoryAction::Update, None, &next, at)
}

/// Moves a held report through the workflow at `at` (`ReportState::transitioned`).
pub fn transition(
    conn: &mut DbConnection,
    actor: &Actor,
    held: &Held,
    transition: Transition,
    comment: Option<&str>,
    at: NaiveDateTime,
) -> Result<SubmissionView> {
    let current = &held.view.submission.state;
    let next = current.transitioned(transition, held.capacity, comment, to_utc(at))?;
    require_accepting_reports(held.evaluation.status(), held.evaluation.id)?;
    let comment = next
        .review_comment
        .as_deref()
        .filter(|_| transition == Transition::Return);
    write_state(conn, actor, held, transition.into(), comment, &next, at)
}

/// Deletes a held draft with its history (the audit trail keeps the deletion): by its
/// reporter, while the evaluation is active.
pub fn delete(conn: &mut DbConnection, actor: &Actor, held: &Held) -> Result<()> {
    let current = &held.view.submission;
    if !held.capacity.reports {
        return Err(Error::Forbidden(
            "only the report's organization, its province's admin or an admin deletes it".into(),
        ));
    }
    if current.state.status != SubmissionStatus::Draft {
        return Err(Error::conflict(
            ConflictKind::State,
            format!(
                "only a draft is deleted; this report is {}",
                current.state.status.as_str()
            ),
        ));
    }
    require_accepting_reports(held.evaluation.status(), held.evaluation.id)?;
    diesel::delete(
        submission_events::table.filter(submission_events::submission_id.eq(current.id)),
    )
    .execute(conn)?;
    diesel::delete(submissions::table.find(current.id)).execute(conn)?;
    let change = held
        .evaluation
        .change("delete", ENTITY, current.id, audit::fields(current)?);
    audit::record(conn, actor, change)
}

/// How many reports (any status, drafts too) exist for (indicator, organization): the facts
/// `domain::assignment::check_reported_change` decides on.
pub fn count_for(conn: &mut DbConnection, indicator_id: i64, organization_id: i64) -> Result<i64> {
    Ok(submissions::table
        .filter(submissions::indicator_id.eq(indicator_id))
        .filter(submissions::organization_id.eq(organization_id))
        .count()
        .get_result(conn)?)
}

/// How many reports (any status) name the indicator: its code is then fixed.
pub fn count_for_indicator(conn: &mut DbConnection, indicator_id: i64) -> Result<i64> {
    Ok(submissions::table
        .filter(submissions::indicator_id.eq(indicator_id))
        .count()
        .get_result(conn)?)
}

/// How many reports (any status, any evaluation) the organization has filed: its code is then
/// fixed and it is not deleted.
pub fn count_for_organization(conn: &mut DbConnection, organization_id: i64) -> Result<i64> {
    Ok(submissions::table
        .filter(submissions::organization_id.eq(organization_id))
        .count()
        .get_result(conn)?)
}
