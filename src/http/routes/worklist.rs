//! What to do and who is late: `/api/v1/organizations/{id}/due` (an organization's work list)
//! and `/api/v1/evaluations/{id}/overdue` (the pairs to chase, also as CSV for a mail merge);
//! docs/DOMAIN.md, "Work lists and the overdue list".

use actix_web::web::{Data, Path};
use actix_web::{get, HttpResponse};
use chrono::{DateTime, Utc};
use chrono_tz::Asia::Bangkok;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::domain::period::Period;
use crate::domain::scoring::SubmissionStatus;
use crate::domain::worklist::{NextAction, WorkState};
use crate::error::Result;
use crate::http::as_of::AsOf;
use crate::http::csv::CsvWriter;
use crate::http::extract::{Authenticated, QueryParams};
use crate::http::openapi::{NotFound, Unprocessable};
use crate::http::AppState;
use crate::storage::worklist::{self, OverdueEntry, WorkEntry};

/// One (indicator, period) the organization must act on.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "evaluation_id": 1, "indicator_id": 7, "indicator_code": "E.1",
    "indicator_name": "ร้อยละของการลดใช้พลังงานไฟฟ้า", "period": "2022-01",
    "period_label_th": "ม.ค. 2565", "due_at": "2022-02-02T17:00:00Z", "state": "returned",
    "days_left": null, "days_late": 4, "submission_id": 41, "submission_status": "returned",
    "next_action": "fix", "review_comment": "โปรดแนบใบแจ้งหนี้ค่าไฟฟ้าเดือนมกราคม"
}))]
pub struct WorkListItem {
    pub evaluation_id: i64,
    pub indicator_id: i64,
    pub indicator_code: String,
    pub indicator_name: String,
    pub period: Period,
    /// The period in Thai: `ม.ค. 2565`.
    pub period_label_th: String,
    /// 00:00 Asia/Bangkok on the evaluation's deadline day of the next month.
    pub due_at: DateTime<Utc>,
    pub state: WorkState,
    /// When due: whole days until the due instant, rounded up (1: today is the last day).
    pub days_left: Option<i64>,
    /// When overdue, or returned after its due instant: days late, the deadline day itself
    /// being day 1 (Bangkok calendar days).
    pub days_late: Option<i64>,
    /// The report, when one exists.
    pub submission_id: Option<i64>,
    /// `draft` or `returned`; `submitted` or `approved` only when `as_of` is before its first
    /// submission.
    pub submission_status: Option<SubmissionStatus>,
    /// `create` (no report), `submit` (a draft), `fix` (returned); none when the report
    /// counts now but was first submitted after `as_of`.
    pub next_action: Option<NextAction>,
    /// Why a returned report was returned (when it was returned by `as_of`).
    pub review_comment: Option<String>,
}

impl From<WorkEntry> for WorkListItem {
    fn from(entry: WorkEntry) -> Self {
        let item = entry.item;
        Self {
            evaluation_id: entry.indicator.evaluation_id,
            indicator_id: entry.indicator.id,
            indicator_code: entry.indicator.code,
            indicator_name: entry.indicator.name,
            period: item.period,
            period_label_th: item.period.thai_label(),
            due_at: item.due_at,
            state: item.state,
            days_left: item.days_left,
            days_late: item.days_late,
            submission_id: item.report.map(|r| r.id),
            submission_status: item.report.map(|r| r.status),
            next_action: item.next_action,
            review_comment: entry.review_comment,
        }
    }
}

/// An organization's work list at an instant.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkList {
    pub organization_id: i64,
    pub organization_code: String,
    pub as_of: DateTime<Utc>,
    /// Overdue (most days late first), then returned, then due (fewest days left first); ties
    /// by indicator code, then period.
    pub items: Vec<WorkListItem>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WorkListQuery {
    /// The instant to compute at, RFC 3339 (write `+` as `%2B`; no leap second); default now.
    #[param(example = "2022-03-01T17:00:00Z")]
    #[param(inline)]
    pub as_of: Option<AsOf>,
    /// Only this evaluation.
    pub evaluation_id: Option<i64>,
}

/// An organization's work list.
///
/// What the organization must do now, across the active evaluations it reports in (as host or
/// co-host): every (indicator, reporting month) whose month has ended and whose due instant
/// is still ahead (`due`), whose due instant has passed with no counted report received by
/// `as_of` (`overdue`), or whose report had been returned by `as_of` (`returned`, whatever its
/// due date; a return after `as_of` counts as not yet made), with the report's status and
/// what to do next. Not paginated: the list is bounded by the organization's assignments
/// times at most 15 reporting months. An agency officer reads only its own organization's
/// (403 for another it can see); the other roles any organization in scope, over the
/// evaluations in scope.
#[utoipa::path(
    tag = "submissions",
    params(("id" = i64, Path, description = "Organization id"), WorkListQuery),
    responses(
        (status = 200, description = "The work list", body = WorkList),
        (status = 404, response = NotFound),
    ),
    security(("bearer" = []))
)]
#[get("/organizations/{id}/due")]
pub async fn organization_work_list(
    state: Data<AppState>,
    auth: Authenticated,
    id: Path<i64>,
    QueryParams(query): QueryParams<WorkListQuery>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    let as_of = AsOf::or_now(query.as_of);
    let evaluation_id = query.evaluation_id;
    let (organization, entries) = state
        .read(auth, move |conn, caller| {
            worklist::work_list(conn, caller, id, evaluation_id, as_of)
        })
        .await?;
    Ok(HttpResponse::Ok().json(WorkList {
        organization_id: organization.id,
        organization_code: organization.code,
        as_of,
        items: entries.into_iter().map(WorkListItem::from).collect(),
    }))
}

/// One reporting pair past due with no counted report, and whom to chase.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "organization_id": 11, "organization_code": "YST-PEO",
    "organization_name_th": "สำนักงานพลังงานจังหวัดยโสธร", "indicator_id": 7,
    "indicator_code": "E.1", "indicator_name": "ร้อยละของการลดใช้พลังงานไฟฟ้า",
    "period": "2022-01", "period_label_th": "ม.ค. 2565", "due_at": "2022-02-02T17:00:00Z",
    "days_late": 28, "submission_id": null, "submission_status": null,
    "contact_name": "นายสมชาย ใจดี", "contact_position": "นักวิเคราะห์นโยบายและแผน",
    "contact_phone": "045-712233", "contact_email": "energy.yasothon@example.go.th"
}))]
pub struct OverdueListItem {
    pub organization_id: i64,
    pub organization_code: String,
    pub organization_name_th: String,
    pub indicator_id: i64,
    pub indicator_code: String,
    pub indicator_name: String,
    pub period: Period,
    /// The period in Thai: `ม.ค. 2565`.
    pub period_label_th: String,
    pub due_at: DateTime<Utc>,
    /// Days late at `as_of`, the deadline day itself being day 1 (Bangkok calendar days).
    pub days_late: i64,
    /// The report, when one exists: a draft, a returned one, or one first submitted after
    /// `as_of`.
    pub submission_id: Option<i64>,
    pub submission_status: Option<SubmissionStatus>,
    /// The assignment's contact.
    pub contact_name: Option<String>,
    pub contact_position: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
}

impl From<OverdueEntry> for OverdueListItem {
    fn from(entry: OverdueEntry) -> Self {
        let item = entry.item;
        Self {
            organization_id: entry.organization_id,
            organization_code: entry.organization_code,
            organization_name_th: entry.organization_name_th,
            indicator_id: entry.indicator.id,
            indicator_code: entry.indicator.code,
            indicator_name: entry.indicator.name,
            period: item.period,
            period_label_th: item.period.thai_label(),
            due_at: item.due_at,
            days_late: item.days_late,
            submission_id: item.report.map(|r| r.id),
            submission_status: item.report.map(|r| r.status),
            contact_name: entry.contact_name,
            contact_position: entry.contact_position,
            contact_phone: entry.contact_phone,
            contact_email: entry.contact_email,
        }
    }
}

/// An evaluation's overdue pairs at an instant.
#[derive(Debug, Serialize, ToSchema)]
pub struct OverdueList {
    pub evaluation_id: i64,
    pub as_of: DateTime<Utc>,
    /// The one month asked for; none for every month.
    pub period: Option<Period>,
    /// By organization code, then indicator code, then period.
    pub items: Vec<OverdueListItem>,
}

/// How the overdue list is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ListFormat {
    Json,
    /// UTF-8 with a byte order mark, Thai headers, CRLF: opens in Excel for a mail merge.
    Csv,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OverdueQuery {
    /// Only this month (inside the evaluation's span).
    pub period: Option<Period>,
    /// The instant to compute at, RFC 3339 (write `+` as `%2B`; no leap second); default now.
    #[param(example = "2022-03-01T17:00:00Z")]
    #[param(inline)]
    pub as_of: Option<AsOf>,
    /// `json` (the default) or `csv`.
    #[param(inline)]
    pub format: Option<ListFormat>,
}

/// The CSV columns, in Thai for the provincial office's mail merge.
const CSV_HEADERS: [&str; 12] = [
    "หน่วยงาน",
    "รหัสหน่วยงาน",
    "ตัวชี้วัด",
    "ชื่อตัวชี้วัด",
    "เดือน",
    "กำหนดส่ง (เวลาไทย)",
    "ล่าช้า (วัน)",
    "สถานะรายงาน",
    "ผู้ประสานงาน",
    "ตำแหน่ง",
    "โทรศัพท์",
    "อีเมล",
];

/// A report's status as the CSV says it; none filed: ยังไม่มีรายงาน.
fn status_th(status: Option<SubmissionStatus>) -> &'static str {
    match status {
        None => "ยังไม่มีรายงาน",
        Some(SubmissionStatus::Draft) => "ร่าง",
        Some(SubmissionStatus::Returned) => "ส่งกลับให้แก้ไข",
        Some(SubmissionStatus::Submitted) => "ส่งแล้ว",
        Some(SubmissionStatus::Approved) => "อนุมัติแล้ว",
    }
}

/// An instant as a Bangkok wall-clock time: `2022-02-03 00:00`.
fn bangkok(instant: DateTime<Utc>) -> String {
    instant
        .with_timezone(&Bangkok)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

fn overdue_csv(items: &[OverdueListItem]) -> CsvWriter {
    let mut csv = CsvWriter::new();
    csv.row(CSV_HEADERS);
    for item in items {
        let text = |value: &Option<String>| value.clone().unwrap_or_default();
        csv.row([
            item.organization_name_th.clone(),
            item.organization_code.clone(),
            item.indicator_code.clone(),
            item.indicator_name.clone(),
            item.period_label_th.clone(),
            bangkok(item.due_at),
            item.days_late.to_string(),
            status_th(item.submission_status).to_owned(),
            text(&item.contact_name),
            text(&item.contact_position),
            text(&item.contact_phone),
            text(&item.contact_email),
        ]);
    }
    csv
}

/// An evaluation's overdue list.
///
/// Every reporting pair (a host or co-host assignment × a reporting month of its indicator in
/// the evaluation's span, or only `period`) whose due instant is at or before `as_of` without
/// a counted report received by `as_of`, with the assignment's contact to chase; by
/// organization code, indicator code, period. Not paginated: bounded by the evaluation's
/// reporting assignments times at most 15 reporting months. `format=csv` gives the same rows
/// as a spreadsheet for a mail merge (UTF-8 with BOM, Thai headers, CRLF, cells that a
/// spreadsheet would run as a formula prefixed with `'`), as an attachment
/// `overdue-<evaluation>-<as_of date in Bangkok>.csv`. A `period` outside the span is a 422.
/// A draft evaluation expects nothing yet: its list is empty. Anyone who can see the
/// evaluation reads it, and so does an organization assigned in it from outside the province
/// (a national or regional unit); an agency officer, or such an organization, gets its own
/// rows only.
#[utoipa::path(
    tag = "submissions",
    params(("id" = i64, Path, description = "Evaluation id"), OverdueQuery),
    responses(
        (status = 200, description = "The overdue pairs, as JSON or as CSV",
            content((OverdueList = "application/json"), (String = "text/csv")),
            headers(("Content-Disposition" = String, description = "With CSV: `attachment; filename=\"overdue-<evaluation>-<date>.csv\"`"))),
        (status = 404, response = NotFound),
        (status = 422, response = Unprocessable),
    ),
    security(("bearer" = []))
)]
#[get("/evaluations/{id}/overdue")]
pub async fn evaluation_overdue_list(
    state: Data<AppState>,
    auth: Authenticated,
    id: Path<i64>,
    QueryParams(query): QueryParams<OverdueQuery>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    let as_of = AsOf::or_now(query.as_of);
    let period = query.period;
    let (evaluation, entries) = state
        .read(auth, move |conn, caller| {
            worklist::overdue_list(conn, caller, id, period, as_of)
        })
        .await?;
    let items: Vec<OverdueListItem> = entries.into_iter().map(OverdueListItem::from).collect();
    match query.format.unwrap_or(ListFormat::Json) {
        ListFormat::Json => Ok(HttpResponse::Ok().json(OverdueList {
            evaluation_id: evaluation.id,
            as_of,
            period,
            items,
        })),
        ListFormat::Csv => {
            let date = as_of.with_timezone(&Bangkok).format("%Y-%m-%d");
            Ok(overdue_csv(&items).attachment(&format!("overdue-{}-{date}.csv", evaluation.id)))
        }
    }
}
