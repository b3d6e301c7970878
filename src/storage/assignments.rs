//! Assignments of organizations to indicators: their rows, read back whole or refused, and the
//! writes the domain's rules allow (`domain::assignment`).

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::audit::{self, Actor};
use super::evaluations::{self, EvaluationRow};
use super::indicators::{self, StoredIndicator};
use super::organizations::{self, OrganizationRow};
use super::pagination::{Page, PageRequest};
use super::schema::{assignments, indicators as indicator_table, organizations as org_table};
use super::{decode, ensure_unique, now, submissions, written, Access, DbConnection};
use crate::domain::assignment::{
    check_baselines_kept, check_province, check_reported_change, check_reported_delete,
    check_write, AssignmentSpec, Reported, Reporter,
};
use crate::domain::framework::AssignmentRole;
use crate::error::{Error, FieldError, Result};
use crate::policy::Caller;

pub const ENTITY: &str = "assignment";

/// An assignment row as the database holds it; `decode` reads it into domain values.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = assignments)]
pub struct AssignmentRow {
    pub id: i64,
    pub indicator_id: i64,
    pub organization_id: i64,
    pub role: String,
    pub contact_name: Option<String>,
    pub contact_position: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
    pub baseline: Option<f64>,
    pub target: Option<f64>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A stored assignment. Serialized, it is the audit trail's record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredAssignment {
    pub id: i64,
    pub indicator_id: i64,
    #[serde(flatten)]
    pub spec: AssignmentSpec,
    pub version: i64,
    #[serde(skip)]
    pub created_at: NaiveDateTime,
    #[serde(skip)]
    pub updated_at: NaiveDateTime,
}

impl AssignmentRow {
    /// The row as domain values; an unreadable role is an internal error, logged with the row.
    pub fn decode(self) -> Result<StoredAssignment> {
        let role = decode(ENTITY, self.id, "role", &self.role, AssignmentRole::parse)?;
        Ok(StoredAssignment {
            id: self.id,
            indicator_id: self.indicator_id,
            spec: AssignmentSpec {
                organization_id: self.organization_id,
                role,
                contact_name: self.contact_name,
                contact_position: self.contact_position,
                contact_phone: self.contact_phone,
                contact_email: self.contact_email,
                baseline: self.baseline,
                target: self.target,
            },
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// The columns an assignment's spec fills: one type for inserts and updates.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = assignments, treat_none_as_null = true)]
struct AssignmentRecord<'a> {
    organization_id: i64,
    role: &'static str,
    contact_name: Option<&'a str>,
    contact_position: Option<&'a str>,
    contact_phone: Option<&'a str>,
    contact_email: Option<&'a str>,
    baseline: Option<f64>,
    target: Option<f64>,
    updated_at: NaiveDateTime,
}

impl<'a> AssignmentRecord<'a> {
    fn new(spec: &'a AssignmentSpec, at: NaiveDateTime) -> Self {
        Self {
            organization_id: spec.organization_id,
            role: spec.role.as_str(),
            contact_name: spec.contact_name.as_deref(),
            contact_position: spec.contact_position.as_deref(),
            contact_phone: spec.contact_phone.as_deref(),
            contact_email: spec.contact_email.as_deref(),
            baseline: spec.baseline,
            target: spec.target,
            updated_at: at,
        }
    }
}

/// An assignment with the codes a person reads it by.
#[derive(Debug, Clone)]
pub struct AssignmentView {
    pub assignment: StoredAssignment,
    pub organization_code: String,
    pub indicator_code: String,
    pub evaluation_id: i64,
}

#[derive(Debug, Default, Clone)]
pub struct AssignmentFilter {
    /// Only assignments of these evaluations (the caller's view); None: all.
    pub evaluation_ids: Option<Vec<i64>>,
    pub indicator_id: Option<i64>,
    pub organization_id: Option<i64>,
    pub evaluation_id: Option<i64>,
    pub role: Option<AssignmentRole>,
}

pub fn find(conn: &mut DbConnection, id: i64) -> Result<Option<StoredAssignment>> {
    assignments::table
        .find(id)
        .select(AssignmentRow::as_select())
        .first(conn)
        .optional()?
        .map(AssignmentRow::decode)
        .transpose()
}

/// The assignment with its organization's and indicator's codes.
pub fn view(conn: &mut DbConnection, assignment: StoredAssignment) -> Result<AssignmentView> {
    let organization_code: String = org_table::table
        .find(assignment.spec.organization_id)
        .select(org_table::code)
        .first(conn)?;
    let (indicator_code, evaluation_id): (String, i64) = indicator_table::table
        .find(assignment.indicator_id)
        .select((indicator_table::code, indicator_table::evaluation_id))
        .first(conn)?;
    Ok(AssignmentView {
        assignment,
        organization_code,
        indicator_code,
        evaluation_id,
    })
}

/// The assignment, its indicator and its evaluation, read for `access` (`evaluations::child`).
pub fn get(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    access: Access,
) -> Result<(StoredAssignment, StoredIndicator, EvaluationRow)> {
    let evaluation_of = assignments::table
        .inner_join(indicator_table::table)
        .filter(assignments::id.eq(id))
        .select(indicator_table::evaluation_id);
    let (assignment, evaluation) =
        evaluations::child(conn, caller, access, (ENTITY, id), evaluation_of, |conn| {
            find(conn, id)
        })?;
    let indicator = indicators::find(conn, assignment.indicator_id)?
        .ok_or_else(|| Error::not_found(ENTITY, id))?;
    Ok((assignment, indicator, evaluation))
}

pub fn list(
    conn: &mut DbConnection,
    filter: &AssignmentFilter,
    page: PageRequest,
) -> Result<Page<AssignmentView>> {
    let mut query = page.keyset(
        assignments::table
            .inner_join(indicator_table::table)
            .inner_join(org_table::table)
            .select((
                AssignmentRow::as_select(),
                org_table::code,
                indicator_table::code,
                indicator_table::evaluation_id,
            ))
            .into_boxed(),
        assignments::id,
    );
    if let Some(ids) = &filter.evaluation_ids {
        query = query.filter(indicator_table::evaluation_id.eq_any(ids.clone()));
    }
    if let Some(indicator_id) = filter.indicator_id {
        query = query.filter(assignments::indicator_id.eq(indicator_id));
    }
    if let Some(organization_id) = filter.organization_id {
        query = query.filter(assignments::organization_id.eq(organization_id));
    }
    if let Some(evaluation_id) = filter.evaluation_id {
        query = query.filter(indicator_table::evaluation_id.eq(evaluation_id));
    }
    if let Some(role) = filter.role {
        query = query.filter(assignments::role.eq(role.as_str()));
    }
    let rows: Vec<(AssignmentRow, String, String, i64)> = query.load(conn)?;
    let views = rows
        .into_iter()
        .map(|(row, organization_code, indicator_code, evaluation_id)| {
            Ok(AssignmentView {
                assignment: row.decode()?,
                organization_code,
                indicator_code,
                evaluation_id,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(page.finish(views, |view| view.assignment.id))
}

/// Whether organization `organization_id` has an assignment (any role) in evaluation
/// `evaluation_id`: a national or regional unit (no province above it) serves a province's
/// evaluation this way, and reads its own part of it.
pub fn organization_assigned_in(
    conn: &mut DbConnection,
    organization_id: i64,
    evaluation_id: i64,
) -> Result<bool> {
    let found: Option<i64> = assignments::table
        .inner_join(indicator_table::table)
        .filter(indicator_table::evaluation_id.eq(evaluation_id))
        .filter(assignments::organization_id.eq(organization_id))
        .select(assignments::id)
        .first(conn)
        .optional()?;
    Ok(found.is_some())
}

/// The evaluations whose assignments of organization `organization_id` the caller reads: those
/// in its view (None: all), and every one for a caller of that organization itself (a national
/// unit's officer sees what it must report in a province's evaluation).
pub fn evaluations_readable_for(
    conn: &mut DbConnection,
    caller: &Caller,
    organization_id: i64,
) -> Result<Option<Vec<i64>>> {
    if caller.organization_id() == Some(organization_id) {
        return Ok(None);
    }
    evaluations::visible_ids(conn, caller.visibility())
}

/// Every assignment of these indicators, by id (the framework document).
/// The stored names of the roles that report (host, co-host); a supervisor reviews.
pub fn reporting_roles() -> Vec<&'static str> {
    AssignmentRole::ALL
        .iter()
        .filter(|role| role.reports())
        .map(|role| role.as_str())
        .collect()
}

pub fn of_indicators(
    conn: &mut DbConnection,
    indicator_ids: &[i64],
) -> Result<Vec<StoredAssignment>> {
    assignments::table
        .filter(assignments::indicator_id.eq_any(indicator_ids))
        .order(assignments::id.asc())
        .select(AssignmentRow::as_select())
        .load(conn)?
        .into_iter()
        .map(AssignmentRow::decode)
        .collect()
}

/// The assignments of these indicators as the baseline rules (activation, and what an active
/// evaluation keeps) read them, labelled by organization code, by indicator, in id order.
pub fn reporters_of(
    conn: &mut DbConnection,
    indicator_ids: &[i64],
) -> Result<HashMap<i64, Vec<Reporter<String>>>> {
    let rows: Vec<(AssignmentRow, String)> = assignments::table
        .inner_join(org_table::table)
        .filter(assignments::indicator_id.eq_any(indicator_ids))
        .order(assignments::id.asc())
        .select((AssignmentRow::as_select(), org_table::code))
        .load(conn)?;
    let mut reporters: HashMap<i64, Vec<Reporter<String>>> = HashMap::new();
    for (row, code) in rows {
        let assignment = row.decode()?;
        reporters
            .entry(assignment.indicator_id)
            .or_default()
            .push(Reporter {
                label: code,
                role: assignment.spec.role,
                baseline: assignment.spec.baseline,
            });
    }
    Ok(reporters)
}

/// The organization, if it exists, the caller can see it, and it may be assigned in the
/// evaluation's province (`domain::assignment::check_province`); else the problem at `field`.
pub fn assignable(
    conn: &mut DbConnection,
    caller: &Caller,
    evaluation: &EvaluationRow,
    organization_id: i64,
    field: &str,
) -> Result<Result<OrganizationRow, FieldError>> {
    let organization = organizations::find(conn, organization_id)?
        .filter(|org| caller.visibility().includes(org.province_id));
    Ok(match organization {
        None => Err(FieldError::new(
            field,
            format!("organization {organization_id} does not exist"),
        )),
        Some(org) => match check_province(evaluation.province_id, org.province_id) {
            Ok(()) => Ok(org),
            Err(message) => Err(FieldError::new(
                field,
                format!("organization {} {message}", org.code),
            )),
        },
    })
}

/// 409 naming `organization_id` when the organization already has an assignment (any role)
/// for the indicator: one assignment per (indicator, organization).
fn organization_taken(
    conn: &mut DbConnection,
    indicator: &StoredIndicator,
    organization: &OrganizationRow,
    own_id: Option<i64>,
) -> Result<()> {
    let existing: Option<(i64, String)> = assignments::table
        .filter(assignments::indicator_id.eq(indicator.id))
        .filter(assignments::organization_id.eq(organization.id))
        .select((assignments::id, assignments::role))
        .first(conn)
        .optional()?;
    let holder = existing.as_ref().map(|(id, _)| *id);
    ensure_unique(holder, own_id, "organization_id", || {
        let (id, role) = existing.clone().unwrap_or_default();
        format!(
            "organization {} already has an assignment for indicator {} (assignment {id}, role \
             {role}): one assignment per indicator and organization; change that one's role \
             instead",
            organization.code, indicator.spec.code
        )
    })
}

/// Inserts without checks or audit (the framework import checks the whole document first).
pub(crate) fn insert(
    conn: &mut DbConnection,
    indicator_id: i64,
    spec: &AssignmentSpec,
) -> Result<StoredAssignment> {
    let at = now();
    let id: i64 = diesel::insert_into(assignments::table)
        .values((
            AssignmentRecord::new(spec, at),
            assignments::indicator_id.eq(indicator_id),
            assignments::created_at.eq(at),
        ))
        .returning(assignments::id)
        .get_result(conn)?;
    written(find(conn, id)?, ENTITY, id)
}

/// The checks of a new or changed assignment, in order: the evaluation's status (409), the
/// fields and the organization (one 422 listing all), one per organization (409), and, while
/// active, a baseline for a reporting organization of a reduction indicator (409).
fn check(
    conn: &mut DbConnection,
    caller: &Caller,
    evaluation: &EvaluationRow,
    indicator: &StoredIndicator,
    spec: AssignmentSpec,
    own_id: Option<i64>,
) -> Result<AssignmentSpec> {
    let status = evaluation.status();
    check_write(status)?;
    let mut errors = spec.problems("");
    let organization = assignable(
        conn,
        caller,
        evaluation,
        spec.organization_id,
        "organization_id",
    )?;
    errors.extend(organization.as_ref().err().cloned());
    Error::check(errors)?;
    let organization = organization.map_err(|e| Error::Validation { errors: vec![e] })?;
    organization_taken(conn, indicator, &organization, own_id)?;
    let reporter = Reporter {
        label: organization.code,
        role: spec.role,
        baseline: spec.baseline,
    };
    check_baselines_kept(
        status,
        indicator.spec.score_basis,
        indicator.spec.baseline,
        &[reporter],
        "baseline",
    )?;
    spec.validated()
}

/// Assigns an organization to an indicator whose evaluation the caller has locked.
pub fn create(
    conn: &mut DbConnection,
    caller: &Caller,
    actor: &Actor,
    evaluation: &EvaluationRow,
    indicator: &StoredIndicator,
    spec: AssignmentSpec,
) -> Result<AssignmentView> {
    let spec = check(conn, caller, evaluation, indicator, spec, None)?;
    let created = insert(conn, indicator.id, &spec)?;
    let details = audit::fields(&created)?;
    let change = evaluation.change("create", ENTITY, created.id, details);
    audit::record(conn, actor, change)?;
    view(conn, created)
}

/// The reports filed under an assignment and the organization's code its messages name (the
/// code is read only when there are reports).
fn reports_of(conn: &mut DbConnection, current: &StoredAssignment) -> Result<(i64, String)> {
    let organization_id = current.spec.organization_id;
    let reports = submissions::count_for(conn, current.indicator_id, organization_id)?;
    if reports == 0 {
        return Ok((0, String::new()));
    }
    let code: String = org_table::table
        .find(organization_id)
        .select(org_table::code)
        .first(conn)?;
    Ok((reports, code))
}

/// Changes an assignment under the rules of a new one, after the evaluation's status (409)
/// and what its reports fix (`domain::assignment::check_reported_change`, 409 naming
/// `organization_id` or `role`).
pub fn update(
    conn: &mut DbConnection,
    caller: &Caller,
    actor: &Actor,
    evaluation: &EvaluationRow,
    indicator: &StoredIndicator,
    current: &StoredAssignment,
    spec: AssignmentSpec,
) -> Result<AssignmentView> {
    check_write(evaluation.status())?;
    let (reports, organization_code) = reports_of(conn, current)?;
    let reported = Reported {
        reports,
        organization_code: &organization_code,
        indicator_code: &indicator.spec.code,
    };
    check_reported_change(&reported, &current.spec, &spec)?;
    let spec = check(conn, caller, evaluation, indicator, spec, Some(current.id))?;
    let values = AssignmentRecord::new(&spec, now());
    update_versioned!(conn, assignments, current.id, current.version, values)?;
    let changed = written(find(conn, current.id)?, ENTITY, current.id)?;
    let details = audit::before_after(current, &changed)?;
    let change = evaluation.change("update", ENTITY, current.id, details);
    audit::record(conn, actor, change)?;
    view(conn, changed)
}

fn delete_row(
    conn: &mut DbConnection,
    actor: &Actor,
    evaluation: &EvaluationRow,
    current: &StoredAssignment,
) -> Result<()> {
    diesel::delete(assignments::table.find(current.id)).execute(conn)?;
    let details = audit::fields(current)?;
    let change = evaluation.change("delete", ENTITY, current.id, details);
    audit::record(conn, actor, change)
}

/// Removes an assignment while the evaluation is open (draft or active) and no report was
/// filed under it (`domain::assignment::check_reported_delete`, 409).
pub fn delete(
    conn: &mut DbConnection,
    actor: &Actor,
    evaluation: &EvaluationRow,
    current: &StoredAssignment,
) -> Result<()> {
    check_write(evaluation.status())?;
    let (reports, organization_code) = reports_of(conn, current)?;
    if reports > 0 {
        let indicator_code: String = indicator_table::table
            .find(current.indicator_id)
            .select(indicator_table::code)
            .first(conn)?;
        check_reported_delete(&Reported {
            reports,
            organization_code: &organization_code,
            indicator_code: &indicator_code,
        })?;
    }
    delete_row(conn, actor, evaluation, current)
}

/// An indicator's assignments go with it, each audited (its deletion checked the status: only
/// a draft's indicators are deleted, and a draft has no reports).
pub(crate) fn delete_of_indicator(
    conn: &mut DbConnection,
    actor: &Actor,
    evaluation: &EvaluationRow,
    indicator_id: i64,
) -> Result<()> {
    for assignment in of_indicators(conn, &[indicator_id])? {
        delete_row(conn, actor, evaluation, &assignment)?;
    }
    Ok(())
}
