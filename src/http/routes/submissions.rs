//! Monthly reports: `/api/v1/submissions`, their workflow (`submit`, `approve`, `return`) and
//! history (docs/DOMAIN.md, "Reports and their workflow").

use actix_web::web::{Data, Path};
use actix_web::{delete, get, patch, post, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{timestamp, with_etag, Page, PageParams};
use crate::domain::period::Period;
use crate::domain::submission::{
    EvidenceUrl, HistoryAction, InitialStatus, ReportContent, ReportState, SubmissionStatus,
    Transition,
};
use crate::error::Result;
use crate::http::extract::{Authenticated, IdempotencyKey, IfMatch, JsonBody, QueryParams};
use crate::http::idempotent::{self, Created};
use crate::http::merge_patch;
use crate::http::openapi::{
    Duplicate, InvalidState, NotFound, PreconditionFailed, PreconditionRequired, Unprocessable,
};
use crate::http::AppState;
use crate::policy::Caller;
use crate::storage::pagination::PageRequest;
use crate::storage::submissions::{
    self, HistoryEntry, NewReport, SubmissionFilter, SubmissionView,
};
use crate::storage::{self, Access};

/// One organization's report of one indicator for one month.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 41, "evaluation_id": 1, "indicator_id": 7, "indicator_code": "E.1", "organization_id": 11,
    "organization_code": "YST-PEO", "period": "2022-01", "period_label_th": "ม.ค. 2565",
    "value": 1180.5, "narrative": "ปิดเครื่องปรับอากาศช่วงพักเที่ยงและหลัง 16.30 น.",
    "obstacles": null, "suggestions": null,
    "evidence_urls": ["https://drive.example.go.th/peo/electricity-2565-01.pdf"],
    "status": "submitted", "review_comment": null,
    "first_submitted_at": "2022-02-01T03:15:00.000000Z", "due_at": "2022-02-02T17:00:00Z",
    "on_time": true, "created_by": "energy.officer", "version": 2,
    "created_at": "2022-01-31T09:00:00.000000Z", "updated_at": "2022-02-01T03:15:00.000000Z"
}))]
pub struct Submission {
    pub id: i64,
    pub evaluation_id: i64,
    pub indicator_id: i64,
    pub indicator_code: String,
    pub organization_id: i64,
    pub organization_code: String,
    pub period: Period,
    /// The period in Thai: `ม.ค. 2565`.
    pub period_label_th: String,
    /// The month's result in the indicator's unit; none only in a draft.
    pub value: Option<f64>,
    pub narrative: Option<String>,
    pub obstacles: Option<String>,
    pub suggestions: Option<String>,
    /// Links to evidence, for people to open; the service never fetches them.
    pub evidence_urls: Vec<String>,
    pub status: SubmissionStatus,
    /// The comment of the last return.
    pub review_comment: Option<String>,
    /// Set by the first submit, never changed.
    pub first_submitted_at: Option<DateTime<Utc>>,
    /// 00:00 Asia/Bangkok on the evaluation's deadline day of the next month.
    pub due_at: DateTime<Utc>,
    /// `first_submitted_at` < `due_at`; none until first submitted.
    pub on_time: Option<bool>,
    /// Who filed it (the token's subject).
    pub created_by: String,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<SubmissionView> for Submission {
    fn from(view: SubmissionView) -> Self {
        let s = view.submission;
        let content = s.state.content;
        Self {
            id: s.id,
            evaluation_id: s.evaluation_id,
            indicator_id: s.indicator_id,
            indicator_code: view.indicator_code,
            organization_id: s.organization_id,
            organization_code: view.organization_code,
            period: s.period,
            period_label_th: s.period.thai_label(),
            value: content.value,
            narrative: content.narrative,
            obstacles: content.obstacles,
            suggestions: content.suggestions,
            evidence_urls: content.evidence_urls,
            status: s.state.status,
            review_comment: s.state.review_comment,
            first_submitted_at: s.state.first_submitted_at,
            due_at: s.due_at,
            on_time: s.on_time,
            created_by: s.created_by,
            version: s.version,
            created_at: timestamp(s.created_at),
            updated_at: timestamp(s.updated_at),
        }
    }
}

/// A new report, saved as a draft (the default) or submitted at once.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "indicator_id": 7, "organization_id": 11, "period": "2022-01", "value": 1180.5,
    "narrative": "ปิดเครื่องปรับอากาศช่วงพักเที่ยงและหลัง 16.30 น.",
    "evidence_urls": ["https://drive.example.go.th/peo/electricity-2565-01.pdf"],
    "status": "submitted"
}))]
pub struct NewSubmission {
    /// An indicator of an active evaluation.
    pub indicator_id: i64,
    /// An organization assigned to report the indicator (host or co-host).
    pub organization_id: i64,
    /// A reporting month of the indicator inside the evaluation's span.
    pub period: Period,
    /// A finite number, at most 1e15 in size; required to submit.
    #[serde(default)]
    #[schema(minimum = -1e15, maximum = 1e15)]
    pub value: Option<f64>,
    #[serde(default)]
    #[schema(max_length = 5000)]
    pub narrative: Option<String>,
    #[serde(default)]
    #[schema(max_length = 5000)]
    pub obstacles: Option<String>,
    #[serde(default)]
    #[schema(max_length = 5000)]
    pub suggestions: Option<String>,
    /// http(s) links, at most 20; the service never fetches them.
    #[serde(default)]
    #[schema(max_items = 20, value_type = Option<Vec<EvidenceUrl>>)]
    pub evidence_urls: Option<Vec<String>>,
    /// `draft` (the default) or `submitted`.
    #[serde(default)]
    pub status: Option<InitialStatus>,
}

/// What a reporter writes: the target a merge patch is read as.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ContentFields {
    #[serde(default)]
    pub value: Option<f64>,
    #[serde(default)]
    pub narrative: Option<String>,
    #[serde(default)]
    pub obstacles: Option<String>,
    #[serde(default)]
    pub suggestions: Option<String>,
    #[serde(default)]
    pub evidence_urls: Option<Vec<String>>,
}

impl From<ContentFields> for ReportContent {
    fn from(fields: ContentFields) -> Self {
        Self {
            value: fields.value,
            narrative: fields.narrative,
            obstacles: fields.obstacles,
            suggestions: fields.suggestions,
            evidence_urls: fields.evidence_urls.unwrap_or_default(),
        }
    }
}

impl From<NewSubmission> for NewReport {
    fn from(new: NewSubmission) -> Self {
        Self {
            indicator_id: new.indicator_id,
            organization_id: new.organization_id,
            period: new.period,
            content: ReportContent {
                value: new.value,
                narrative: new.narrative,
                obstacles: new.obstacles,
                suggestions: new.suggestions,
                evidence_urls: new.evidence_urls.unwrap_or_default(),
            },
            status: new.status.unwrap_or(InitialStatus::Draft),
        }
    }
}

/// A JSON Merge Patch of a report's content; the workflow moves its status.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"value": 1175.5, "narrative": "แก้ไขตามใบแจ้งหนี้ค่าไฟฟ้าเดือนมกราคม"}))]
pub struct SubmissionPatch {
    #[schema(minimum = -1e15, maximum = 1e15)]
    pub value: Option<f64>,
    #[schema(max_length = 5000)]
    pub narrative: Option<String>,
    #[schema(max_length = 5000)]
    pub obstacles: Option<String>,
    #[schema(max_length = 5000)]
    pub suggestions: Option<String>,
    #[schema(max_items = 20, value_type = Option<Vec<EvidenceUrl>>)]
    pub evidence_urls: Option<Vec<String>>,
}

/// A return's reason.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"comment": "โปรดแนบใบแจ้งหนี้ค่าไฟฟ้าเดือนมกราคม 2565"}))]
pub struct ReturnRequest {
    /// What to fix, 1–2000 characters.
    #[schema(min_length = 1, max_length = 2000)]
    pub comment: String,
}

/// One edit or transition of a report.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryItem {
    pub id: i64,
    pub occurred_at: DateTime<Utc>,
    /// The token subject that made it.
    pub actor: String,
    pub actor_role: String,
    pub action: HistoryAction,
    /// A return's comment.
    pub comment: Option<String>,
    /// The report before; none for its creation.
    pub before: Option<ReportSnapshot>,
    pub after: ReportSnapshot,
}

/// A report's content and status at one point of its history.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportSnapshot {
    pub value: Option<f64>,
    pub narrative: Option<String>,
    pub obstacles: Option<String>,
    pub suggestions: Option<String>,
    pub evidence_urls: Vec<String>,
    pub status: SubmissionStatus,
    pub review_comment: Option<String>,
    pub first_submitted_at: Option<DateTime<Utc>>,
}

impl From<ReportState> for ReportSnapshot {
    fn from(state: ReportState) -> Self {
        Self {
            value: state.content.value,
            narrative: state.content.narrative,
            obstacles: state.content.obstacles,
            suggestions: state.content.suggestions,
            evidence_urls: state.content.evidence_urls,
            status: state.status,
            review_comment: state.review_comment,
            first_submitted_at: state.first_submitted_at,
        }
    }
}

impl From<HistoryEntry> for HistoryItem {
    fn from(entry: HistoryEntry) -> Self {
        Self {
            id: entry.id,
            occurred_at: timestamp(entry.occurred_at),
            actor: entry.actor,
            actor_role: entry.actor_role,
            action: entry.action,
            comment: entry.comment,
            before: entry.before.map(ReportSnapshot::from),
            after: ReportSnapshot::from(entry.after),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SubmissionListQuery {
    pub evaluation_id: Option<i64>,
    pub indicator_id: Option<i64>,
    pub organization_id: Option<i64>,
    pub period: Option<Period>,
    pub status: Option<SubmissionStatus>,
    #[param(minimum = 1, maximum = 500, default = 50)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// List reports.
///
/// The reports the caller may read, by id: an agency officer its own organization's, everyone
/// else those of the evaluations in its scope; filtered by evaluation, indicator, organization,
/// period and status.
#[utoipa::path(
    tag = "submissions",
    params(SubmissionListQuery),
    responses((status = 200, description = "One page of reports", body = Page<Submission>)),
    security(("bearer" = []))
)]
#[get("/submissions")]
pub async fn list_submissions(
    state: Data<AppState>,
    auth: Authenticated,
    QueryParams(query): QueryParams<SubmissionListQuery>,
) -> Result<HttpResponse> {
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let filter = SubmissionFilter {
        evaluation_id: query.evaluation_id,
        indicator_id: query.indicator_id,
        organization_id: query.organization_id,
        period: query.period,
        status: query.status,
    };
    let rows = state
        .read_one(auth, move |conn, caller| {
            submissions::list(conn, caller.report_scope(), &filter, page)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_storage(rows, Submission::from)))
}

/// File a report.
///
/// An agency officer files its own organization's report of one indicator for one month (a
/// province admin or an admin files for any organization in scope), as a draft or submitted
/// at once, while the evaluation is active (409). Refused with every problem named (422): a
/// period outside the span or not a reporting month of the indicator's frequency, an
/// organization that is not the indicator's host or co-host, a value that is not finite or
/// larger than 1e15, evidence links that are not http(s). One report per indicator,
/// organization and month (409 naming `period`).
#[utoipa::path(
    tag = "submissions",
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    request_body = NewSubmission,
    responses(
        (status = 201, description = "Filed", body = Submission, headers(("Location" = String, description = "URL of the report"), ("ETag" = String, description = "Its version"))),
        (status = 409, response = Duplicate),
        (status = 422, response = Unprocessable),
    ),
    security(("bearer" = []))
)]
#[post("/submissions")]
pub async fn create_submission(
    state: Data<AppState>,
    auth: Authenticated,
    key: IdempotencyKey,
    body: JsonBody<NewSubmission>,
) -> Result<HttpResponse> {
    let bytes = body.bytes().clone();
    idempotent::create(
        &state,
        auth,
        "/api/v1/submissions",
        key,
        &bytes,
        Caller::files_reports,
        move |conn, caller, actor| {
            let report = NewReport::from(body.parse()?);
            let created = submissions::create(conn, caller, actor, report, storage::now())?;
            Ok(Created {
                location: format!("/api/v1/submissions/{}", created.submission.id),
                version: created.submission.version,
                body: Submission::from(created),
            })
        },
    )
    .await
}

/// Read a report.
///
/// One report with its due instant, timeliness and version as the `ETag`. An agency officer
/// reads its own organization's reports only.
#[utoipa::path(
    tag = "submissions",
    params(("id" = i64, Path, description = "Report id")),
    responses((status = 200, description = "The report", body = Submission, headers(("ETag" = String, description = "Its version"))), (status = 404, response = NotFound)),
    security(("bearer" = []))
)]
#[get("/submissions/{id}")]
pub async fn get_submission(
    state: Data<AppState>,
    auth: Authenticated,
    id: Path<i64>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    let view = state
        .read_one(auth, move |conn, caller| {
            submissions::read(conn, caller, id)
        })
        .await?;
    let version = view.submission.version;
    Ok(with_etag(&Submission::from(view), version))
}

/// The fields of `Submission` a patch cannot name.
const COMPUTED: &[&str] = &[
    "id",
    "evaluation_id",
    "indicator_id",
    "indicator_code",
    "organization_id",
    "organization_code",
    "period",
    "period_label_th",
    "status",
    "review_comment",
    "first_submitted_at",
    "due_at",
    "on_time",
    "created_by",
    "version",
    "created_at",
    "updated_at",
];

/// Edit a report.
///
/// A JSON Merge Patch of the value, narrative, obstacles, suggestions and evidence links, with
/// `If-Match`. Its organization edits a draft or a returned report; a province admin or an
/// admin also corrects a submitted one; an approved report is locked (409) until a province
/// admin or an admin returns it. Every edit is kept in the report's history.
#[utoipa::path(
    tag = "submissions",
    params(("id" = i64, Path, description = "Report id"), ("If-Match" = String, Header, description = "The ETag from the last read")),
    request_body(content = SubmissionPatch, content_type = "application/merge-patch+json"),
    responses(
        (status = 200, description = "The edited report", body = Submission, headers(("ETag" = String, description = "Its new version"))),
        (status = 404, response = NotFound),
        (status = 409, response = InvalidState),
        (status = 412, response = PreconditionFailed),
        (status = 422, response = Unprocessable),
        (status = 428, response = PreconditionRequired),
    ),
    security(("bearer" = []))
)]
#[patch("/submissions/{id}")]
pub async fn patch_submission(
    state: Data<AppState>,
    auth: Authenticated,
    id: Path<i64>,
    if_match: IfMatch,
    patch: JsonBody<SubmissionPatch>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    let view = state
        .write(auth, move |conn, caller, actor| {
            caller.files_reports()?;
            let held = submissions::get(conn, caller, id, Access::Manage)?;
            held.capacity.require_reports()?;
            if_match.require(held.view.submission.version)?;
            let resource = Submission::from(held.view.clone());
            let merged: ContentFields =
                merge_patch::apply_to(&resource, COMPUTED, &[], &patch.merge_patch()?)?;
            submissions::update(conn, actor, &held, merged.into(), storage::now())
        })
        .await?;
    let version = view.submission.version;
    Ok(with_etag(&Submission::from(view), version))
}

/// Delete a draft.
///
/// Its organization (or a province admin, or an admin) deletes a report that is still a draft,
/// while the evaluation is active; a submitted report is never deleted (409). With
/// `If-Match`, only if it is unchanged.
#[utoipa::path(
    tag = "submissions",
    params(("id" = i64, Path, description = "Report id"), ("If-Match" = Option<String>, Header, description = "Optional: delete only if unchanged")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, response = NotFound),
        (status = 409, response = InvalidState),
        (status = 412, response = PreconditionFailed),
    ),
    security(("bearer" = []))
)]
#[delete("/submissions/{id}")]
pub async fn delete_submission(
    state: Data<AppState>,
    auth: Authenticated,
    id: Path<i64>,
    if_match: IfMatch,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    state
        .write(auth, move |conn, caller, actor| {
            caller.files_reports()?;
            let held = submissions::get(conn, caller, id, Access::Manage)?;
            held.capacity.require_reports()?;
            if_match.check_if_present(held.view.submission.version)?;
            submissions::delete(conn, actor, &held)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Runs a transition on a report as the caller: the role (403), the report in view (404), what
/// the caller is to it (403), `If-Match`, then the body (a return's comment).
async fn run_transition(
    state: Data<AppState>,
    auth: Authenticated,
    id: i64,
    if_match: IfMatch,
    transition: Transition,
    body: Option<JsonBody<ReturnRequest>>,
) -> Result<HttpResponse> {
    let view = state
        .write(auth, move |conn, caller, actor| {
            match transition {
                Transition::Submit => caller.files_reports()?,
                Transition::Approve | Transition::Return => caller.reviews_reports()?,
            }
            let held = submissions::get(conn, caller, id, Access::Manage)?;
            let report = &held.view.submission;
            report.state.require_may(transition, held.capacity)?;
            if_match.check_if_present(report.version)?;
            let comment = body
                .map(|body| body.parse())
                .transpose()?
                .map(|r| r.comment);
            submissions::transition(
                conn,
                actor,
                &held,
                transition,
                comment.as_deref(),
                storage::now(),
            )
        })
        .await?;
    let version = view.submission.version;
    Ok(with_etag(&Submission::from(view), version))
}

/// Submit a report.
///
/// Its organization (or a province admin, or an admin) submits a draft or a returned report;
/// it needs a value (422). The first submit sets `first_submitted_at` and decides `on_time`;
/// a resubmission after a return keeps both. With `If-Match`, only if unchanged.
#[utoipa::path(
    tag = "submissions",
    params(("id" = i64, Path, description = "Report id"), ("If-Match" = Option<String>, Header, description = "Optional: only if unchanged")),
    responses(
        (status = 200, description = "The submitted report", body = Submission, headers(("ETag" = String, description = "Its new version"))),
        (status = 404, response = NotFound),
        (status = 409, response = InvalidState),
        (status = 412, response = PreconditionFailed),
        (status = 422, response = Unprocessable),
    ),
    security(("bearer" = []))
)]
#[post("/submissions/{id}/submit")]
pub async fn submit_submission(
    state: Data<AppState>,
    auth: Authenticated,
    id: Path<i64>,
    if_match: IfMatch,
) -> Result<HttpResponse> {
    run_transition(
        state,
        auth,
        id.into_inner(),
        if_match,
        Transition::Submit,
        None,
    )
    .await
}

/// Approve a report.
///
/// A supervisor of the report's indicator (or a province admin, or an admin) approves a
/// submitted report; an approved report is locked. With `If-Match`, only if unchanged.
#[utoipa::path(
    tag = "submissions",
    params(("id" = i64, Path, description = "Report id"), ("If-Match" = Option<String>, Header, description = "Optional: only if unchanged")),
    responses(
        (status = 200, description = "The approved report", body = Submission, headers(("ETag" = String, description = "Its new version"))),
        (status = 404, response = NotFound),
        (status = 409, response = InvalidState),
        (status = 412, response = PreconditionFailed),
    ),
    security(("bearer" = []))
)]
#[post("/submissions/{id}/approve")]
pub async fn approve_submission(
    state: Data<AppState>,
    auth: Authenticated,
    id: Path<i64>,
    if_match: IfMatch,
) -> Result<HttpResponse> {
    run_transition(
        state,
        auth,
        id.into_inner(),
        if_match,
        Transition::Approve,
        None,
    )
    .await
}

/// Return a report.
///
/// A supervisor of the report's indicator (or a province admin, or an admin) returns a
/// submitted report with a comment saying what to fix; only a province admin or an admin
/// returns an approved one, to reopen it. The organization then edits and submits it again.
#[utoipa::path(
    tag = "submissions",
    params(("id" = i64, Path, description = "Report id"), ("If-Match" = Option<String>, Header, description = "Optional: only if unchanged")),
    request_body = ReturnRequest,
    responses(
        (status = 200, description = "The returned report", body = Submission, headers(("ETag" = String, description = "Its new version"))),
        (status = 404, response = NotFound),
        (status = 409, response = InvalidState),
        (status = 412, response = PreconditionFailed),
        (status = 422, response = Unprocessable),
    ),
    security(("bearer" = []))
)]
#[post("/submissions/{id}/return")]
pub async fn return_submission(
    state: Data<AppState>,
    auth: Authenticated,
    id: Path<i64>,
    if_match: IfMatch,
    body: JsonBody<ReturnRequest>,
) -> Result<HttpResponse> {
    run_transition(
        state,
        auth,
        id.into_inner(),
        if_match,
        Transition::Return,
        Some(body),
    )
    .await
}

/// A report's history.
///
/// Every edit and transition of the report, oldest first: who (token subject and role), when,
/// the return's comment, and the report before and after.
#[utoipa::path(
    tag = "submissions",
    params(("id" = i64, Path, description = "Report id"), PageParams),
    responses((status = 200, description = "One page of the report's history", body = Page<HistoryItem>), (status = 404, response = NotFound)),
    security(("bearer" = []))
)]
#[get("/submissions/{id}/history")]
pub async fn submission_history(
    state: Data<AppState>,
    auth: Authenticated,
    id: Path<i64>,
    QueryParams(query): QueryParams<PageParams>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    let page = query.page()?;
    let entries = state
        .read(auth, move |conn, caller| {
            let held = submissions::get(conn, caller, id, Access::Read)?;
            submissions::history(conn, held.view.submission.id, page)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_storage(entries, HistoryItem::from)))
}
