//! `/api/v1/rounds/{id}/snapshots` and `/api/v1/snapshots/{id}`: a round's summary published
//! for a meeting, stored once as the computed figures with the SHA-256 of their canonical JSON
//! (docs/DOMAIN.md, "Published snapshots").

use actix_web::http::header;
use actix_web::web::{Data, Path};
use actix_web::{get, post, HttpResponse};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use utoipa::{IntoParams, ToSchema};

use super::summary::{check_part, summary_file, RoundSummary, SummaryCsv, SummaryFormat, XlsxFile};
use super::{timestamp, Page, PageParams};
use crate::error::{Error, Result};
use crate::http::as_of::AsOf;
use crate::http::extract::{Authenticated, IdempotencyKey, QueryParams};
use crate::http::idempotent::{self, Created};
use crate::http::openapi::{NotFound, Unprocessable};
use crate::http::render::SummaryPart;
use crate::http::AppState;
use crate::policy::Caller;
use crate::storage::snapshots::{self, Publication, SnapshotInfo, SnapshotRow};
use crate::storage::summary as summary_facts;
use crate::storage::{rounds, Access};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PublishQuery {
    /// The instant the summary is computed at, RFC 3339 (write `+` as `%2B`; no leap second),
    /// not later than now (a meeting is shown what was known); default now.
    #[param(example = "2022-08-10T03:00:00Z")]
    #[param(inline)]
    pub as_of: Option<AsOf>,
}

/// Who published a snapshot: the token's subject and name at the time.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"subject": "yasothon.admin", "name": "กลุ่มงานยุทธศาสตร์ สนจ.ยโสธร"}))]
pub struct Publisher {
    pub subject: String,
    pub name: String,
}

/// A published snapshot without its summary (a list item).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 1, "round_id": 1, "evaluation_id": 1, "as_of": "2022-08-10T03:00:00Z",
    "published_at": "2022-08-10T03:05:12.345678Z",
    "published_by": {"subject": "yasothon.admin", "name": "กลุ่มงานยุทธศาสตร์ สนจ.ยโสธร"},
    "sha256": "9f2c4e0d8b1a6f3e5d7c9b0a2e4f6d8c1b3a5e7f9d0c2b4a6e8f0d1c3b5a7e9f"
}))]
pub struct SnapshotListItem {
    pub id: i64,
    pub round_id: i64,
    pub evaluation_id: i64,
    /// The instant the summary was computed at.
    pub as_of: DateTime<Utc>,
    pub published_at: DateTime<Utc>,
    pub published_by: Publisher,
    /// SHA-256 of the summary's canonical JSON (RFC 8785, JCS: any JCS library recomputes it),
    /// 64 lower-case hex digits; also the `ETag`.
    #[schema(pattern = "^[0-9a-f]{64}$", min_length = 64, max_length = 64)]
    pub sha256: String,
}

impl From<SnapshotInfo> for SnapshotListItem {
    fn from(info: SnapshotInfo) -> Self {
        Self {
            id: info.id,
            round_id: info.round_id,
            evaluation_id: info.evaluation_id,
            as_of: timestamp(info.as_of),
            published_at: timestamp(info.published_at),
            published_by: Publisher {
                subject: info.published_by,
                name: info.published_by_name,
            },
            sha256: info.sha256,
        }
    }
}

/// A published snapshot: the round's summary at `as_of` as it was computed when published,
/// never changed since.
#[derive(Debug, Serialize, ToSchema)]
pub struct Snapshot {
    #[schema(example = 1)]
    pub id: i64,
    #[schema(example = 1)]
    pub round_id: i64,
    #[schema(example = 1)]
    pub evaluation_id: i64,
    /// The instant the summary was computed at.
    #[schema(example = "2022-08-10T03:00:00Z")]
    pub as_of: DateTime<Utc>,
    #[schema(example = "2022-08-10T03:05:12.345678Z")]
    pub published_at: DateTime<Utc>,
    pub published_by: Publisher,
    /// SHA-256 of `summary`'s canonical JSON (RFC 8785, JCS: any JCS library recomputes it),
    /// 64 lower-case hex digits; also the `ETag`.
    #[schema(
        pattern = "^[0-9a-f]{64}$",
        min_length = 64,
        max_length = 64,
        example = "9f2c4e0d8b1a6f3e5d7c9b0a2e4f6d8c1b3a5e7f9d0c2b4a6e8f0d1c3b5a7e9f"
    )]
    pub sha256: String,
    /// The summary as published, in its canonical JSON (RFC 8785: members sorted by key,
    /// integral numbers without `.0`).
    #[schema(value_type = RoundSummary)]
    pub summary: Box<RawValue>,
}

fn internal(error: impl std::fmt::Display) -> Error {
    tracing::error!(%error, "a stored snapshot does not read back");
    Error::Internal(format!("a stored snapshot does not read back: {error}"))
}

impl Snapshot {
    fn of(row: SnapshotRow) -> Result<Self> {
        let summary = RawValue::from_string(row.summary).map_err(internal)?;
        let item = SnapshotListItem::from(row.info);
        Ok(Self {
            id: item.id,
            round_id: item.round_id,
            evaluation_id: item.evaluation_id,
            as_of: item.as_of,
            published_at: item.published_at,
            published_by: item.published_by,
            sha256: item.sha256,
            summary,
        })
    }
}

/// The one way from a stored snapshot to the `RoundSummary` every format renders from: its
/// stored figures read back (never recomputed), so CSV, XLSX, SVG and HTML show what was
/// published.
pub(crate) fn summary_of(row: &SnapshotRow) -> Result<RoundSummary> {
    serde_json::from_str(&row.summary).map_err(internal)
}

fn with_sha256_etag<T: Serialize>(body: &T, sha256: &str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::ETAG, format!("\"{sha256}\"")))
        .json(body)
}

/// Publish a round's summary.
///
/// Computes the round's summary at `as_of` (default now) exactly as
/// `GET /rounds/{id}/summary` does and stores it once: the computed figures as the summary's
/// canonical JSON (RFC 8785, the JSON Canonicalization Scheme), the SHA-256 of that text, who
/// published it and when. A snapshot
/// never changes: there is no PATCH or DELETE, and later reports, target, criteria and weight
/// changes or code upgrades leave its figures and hash as they were. For the province's
/// administrator and national administrators, whatever the evaluation's status; another role
/// is a 403, a round out of view a 404. `as_of` later than now is a 422 naming `as_of`: a
/// meeting is shown what was known. Audited (entity `snapshot`, action `publish`). The same
/// `Idempotency-Key` with the same `as_of` returns the first snapshot.
#[utoipa::path(
    tag = "rounds",
    params(
        ("id" = i64, Path, description = "Round id", example = 1),
        PublishQuery,
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")
    ),
    responses(
        (status = 201, description = "Published", body = Snapshot, headers(("Location" = String, description = "URL of the snapshot"))),
        (status = 404, response = NotFound),
        (status = 422, response = Unprocessable),
    ),
    security(("bearer" = []))
)]
#[post("/rounds/{id}/snapshots")]
pub async fn publish_snapshot(
    state: Data<AppState>,
    auth: Authenticated,
    key: IdempotencyKey,
    id: Path<i64>,
    QueryParams(query): QueryParams<PublishQuery>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    let as_of = query.as_of.map(|at| AsOf::or_now(Some(at)));
    // What a repeat with the same key must match: the instant asked for (no body is read).
    let request = match as_of {
        Some(at) => format!("as_of={}", at.to_rfc3339_opts(SecondsFormat::Micros, true)),
        None => "as_of=now".to_owned(),
    };
    idempotent::create(
        &state,
        auth,
        &format!("/api/v1/rounds/{id}/snapshots"),
        key,
        request.as_bytes(),
        Caller::manages_evaluations,
        move |conn, caller, actor| {
            let (round, evaluation) = rounds::get(conn, caller, id, Access::Manage)?;
            let publication = Publication::at(as_of)?;
            let (context, facts) =
                summary_facts::of_round(conn, caller, round.id, publication.as_of)?;
            let summary = RoundSummary::of(&context, &facts)?;
            let value = serde_json::to_value(&summary)
                .map_err(|e| Error::Internal(format!("serializing a summary: {e}")))?;
            let row = snapshots::create(
                conn,
                caller,
                actor,
                &evaluation,
                &round,
                publication,
                &value,
            )?;
            Ok(Created {
                location: format!("/api/v1/snapshots/{}", row.info.id),
                version: 1,
                body: Snapshot::of(row)?,
            })
        },
    )
    .await
}

/// List a round's published snapshots.
///
/// The snapshots of one round, in the order they were published (by id), without their
/// summaries (read one for its figures). Everyone who may read the round.
#[utoipa::path(
    tag = "rounds",
    params(("id" = i64, Path, description = "Round id", example = 1), PageParams),
    responses(
        (status = 200, description = "One page of snapshots", body = Page<SnapshotListItem>),
        (status = 404, response = NotFound),
    ),
    security(("bearer" = []))
)]
#[get("/rounds/{id}/snapshots")]
pub async fn list_snapshots(
    state: Data<AppState>,
    auth: Authenticated,
    id: Path<i64>,
    QueryParams(query): QueryParams<PageParams>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    let page = query.page()?;
    let rows = state
        .read(auth, move |conn, caller| {
            let (round, _) = rounds::get(conn, caller, id, Access::Read)?;
            snapshots::list(conn, round.id, page)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_storage(rows, SnapshotListItem::from)))
}

/// Read a published snapshot.
///
/// The round's summary as it was published, with who published it, when, and the SHA-256 of
/// the summary's canonical JSON (also the strong `ETag`: a snapshot never changes). Its
/// figures are the stored ones, never recomputed. Everyone who may read the round.
#[utoipa::path(
    tag = "rounds",
    params(("id" = i64, Path, description = "Snapshot id", example = 1), SnapshotQuery),
    responses(
        (status = 200, description = "The snapshot as JSON; its summary as one table in CSV, or a workbook",
            content(
                (Snapshot = "application/json"),
                (SummaryCsv = "text/csv"),
                (XlsxFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            ),
            headers(
                ("ETag" = String, description = "The summary's SHA-256, quoted"),
                ("Content-Disposition" = String, description = "With CSV or XLSX: the file name, as for the live summary")
            )),
        (status = 404, response = NotFound),
    ),
    security(("bearer" = []))
)]
#[get("/snapshots/{id}")]
pub async fn get_snapshot(
    state: Data<AppState>,
    auth: Authenticated,
    id: Path<i64>,
    QueryParams(query): QueryParams<SnapshotQuery>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    let format = query.format.unwrap_or(SummaryFormat::Json);
    check_part(format, query.part)?;
    let row = state
        .read(auth, move |conn, caller| snapshots::get(conn, caller, id))
        .await?;
    if format != SummaryFormat::Json {
        let sha256 = row.info.sha256.clone();
        let mut response = summary_file(&summary_of(&row)?, format, query.part)?;
        response.headers_mut().insert(
            header::ETAG,
            header::HeaderValue::from_str(&format!("\"{sha256}\"")).map_err(internal)?,
        );
        return Ok(response);
    }
    let snapshot = Snapshot::of(row)?;
    let sha256 = snapshot.sha256.clone();
    Ok(with_sha256_etag(&snapshot, &sha256))
}

/// How a snapshot is served: as the live summary is (`GET /rounds/{id}/summary`).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SnapshotQuery {
    /// `json` (the default: the snapshot with its summary), `csv` (one table of its summary,
    /// chosen by `part`) or `xlsx` (a workbook with a sheet per part). Its chart and printable
    /// page are `/snapshots/{id}/summary.svg` and `/snapshots/{id}/summary.html`.
    #[param(inline)]
    pub format: Option<SummaryFormat>,
    /// Only with `format=csv` or `format=xlsx`: `indicators` (the default for CSV),
    /// `organizations` or `missing`.
    #[param(inline)]
    pub part: Option<SummaryPart>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::snapshot::{canonical_json, sha256_hex};
    use crate::storage::snapshots::SnapshotInfo;

    /// A summary as `RoundSummary::of` shapes it: every kind of field (null and present
    /// optionals, integral and fractional floats, Thai text, periods, instants, enums).
    fn summary() -> serde_json::Value {
        serde_json::json!({
            "evaluation": {"id": 1, "title": "การประเมินส่วนราชการ จังหวัดยโสธร ปีงบประมาณ พ.ศ. 2565",
                "fiscal_year": 2565, "status": "active", "province_id": 2, "province_code": "TH-35",
                "province_name_th": "จังหวัดยโสธร"},
            "round": {"id": 1, "evaluation_id": 1, "name": "รอบ 6 เดือน (ก.ย. 2564 – ก.พ. 2565)",
                "start_period": "2021-09", "start_period_label_th": "ก.ย. 2564",
                "end_period": "2022-02", "end_period_label_th": "ก.พ. 2565", "version": 1,
                "created_at": "2022-03-01T02:00:00.123456Z", "updated_at": "2022-03-01T02:00:00Z"},
            "as_of": "2022-08-10T03:00:00Z",
            "overall_percent": 71.43,
            "component_weight_total": 100.0,
            "components": [{"code": "1", "name": "Performance Base", "weight": 70.0, "percent": 80.42},
                {"code": "2", "name": "Potential Base", "weight": 30.0, "percent": null}],
            "indicators": [{"indicator_id": 7, "indicator_code": "E.1", "component_code": "1",
                "name": "ร้อยละการลดใช้พลังงานไฟฟ้า", "unit": "kWh",
                "score_basis": "reduction_from_baseline", "weight": 0.1, "value": 16.2537,
                "target": 20.0, "score": 81.2537, "max_score": 100.0, "percent": 81.25,
                "status": "below_target", "expected": 6, "received": 5, "on_time": 4, "late": 1},
                {"indicator_id": 8, "indicator_code": "2.2", "component_code": "2", "name": "PMQA",
                "unit": null, "score_basis": "value", "weight": 33.333333333333336, "value": null,
                "target": null, "score": null, "max_score": 5.0, "percent": null,
                "status": "not_due", "expected": 0, "received": 0, "on_time": 0, "late": 0}],
            "organizations": [{"organization_id": 11, "organization_code": "YST-PEO",
                "name_th": "สำนักงานพลังงานจังหวัดยโสธร", "expected": 6, "received": 5, "on_time": 4,
                "late": 1, "completeness_percent": 83.33, "timeliness_percent": null,
                "missing": [{"indicator_code": "E.1", "period": "2021-11", "period_label_th": "พ.ย. 2564"}]}],
            "completeness": {"expected": 6, "received": 5, "on_time": 4, "late": 1, "missing": 1,
                "completeness_percent": 83.33, "timeliness_percent": 66.67},
            "lagging": ["E.1"]
        })
    }

    fn row(text: String) -> SnapshotRow {
        let at = chrono::NaiveDate::from_ymd_opt(2022, 8, 10)
            .and_then(|d| d.and_hms_opt(3, 0, 0))
            .expect("instant");
        SnapshotRow {
            info: SnapshotInfo {
                id: 1,
                round_id: 1,
                evaluation_id: 1,
                as_of: at,
                published_at: at,
                published_by: "yasothon.admin".into(),
                published_by_name: "กลุ่มงานยุทธศาสตร์".into(),
                sha256: sha256_hex(&text),
            },
            summary: text,
        }
    }

    #[test]
    fn a_stored_snapshot_reads_back_into_a_round_summary_with_the_same_canonical_bytes() {
        let text = canonical_json(&summary());
        let stored = row(text.clone());
        let read = summary_of(&stored).expect("reads back");
        let again = canonical_json(&serde_json::to_value(&read).expect("serializes"));
        assert_eq!(again, text);
        assert_eq!(sha256_hex(&again), stored.info.sha256);
    }

    #[test]
    fn the_json_served_is_the_stored_text() {
        let text = canonical_json(&summary());
        let served =
            serde_json::to_value(Snapshot::of(row(text.clone())).expect("snapshot")).expect("json");
        assert_eq!(canonical_json(&served["summary"]), text);
        assert_eq!(served["sha256"], sha256_hex(&text));
        assert_eq!(served["published_by"]["subject"], "yasothon.admin");
    }
}
