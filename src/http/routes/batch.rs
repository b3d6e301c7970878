//! `POST /api/v1/submissions/batch`: monthly figures in bulk by codes, as JSON or CSV
//! (docs/DOMAIN.md, "Batch intake").

use actix_web::http::header;
use actix_web::web::{Data, Payload};
use actix_web::{post, HttpMessage, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::openapi::schema::{ObjectBuilder, SchemaFormat, SchemaType, Type};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{IntoParams, PartialSchema, ToSchema};

use crate::domain::batch::Lang;
use crate::domain::period::Period;
use crate::domain::submission::InitialStatus;
use crate::error::{Error, FieldError, Result};
use crate::http::extract::{is_json, Authenticated, IdempotencyKey, QueryParams};
use crate::http::idempotent;
use crate::http::openapi::{InvalidState, NotFound, PayloadTooLarge, Unavailable, Unprocessable};
use crate::http::stream::parse_streaming;
use crate::http::AppState;
use crate::intake;
use crate::policy::Caller;
use crate::storage::batch::{self, Batch, BatchReport};
use crate::storage::idempotency::StoredResponse;
use crate::storage::now;

/// A JSON batch.
#[allow(dead_code)] // Documents the body; the reader (`intake::json`) reads it item by item.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "evaluation_id": 1, "atomic": false, "dry_run": false,
    "items": [
        {"indicator_code": "E.1", "organization_code": "YST-PEO", "period": "2022-08", "value": 2310, "narrative": "ปิดเครื่องปรับอากาศช่วงพักเที่ยง"},
        {"indicator_code": "E.2", "organization_code": "YST-PEO", "period": "2022-08", "value": 410.5, "submitted_at": "2022-09-01T09:30:00+07:00"}
    ]
}))]
pub struct BatchRequest {
    /// An active evaluation in the caller's scope.
    pub evaluation_id: i64,
    /// Apply nothing when any item is rejected (422 listing them).
    #[serde(default)]
    pub atomic: bool,
    /// Classify and report without writing.
    #[serde(default)]
    pub dry_run: bool,
    /// At most 100,000 items.
    #[schema(max_items = 100_000)]
    pub items: Vec<BatchItem>,
}

/// One monthly figure, by codes. A field of the wrong type rejects this item only.
#[allow(dead_code)]
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchItem {
    #[schema(max_length = 40)]
    pub indicator_code: String,
    #[schema(max_length = 40)]
    pub organization_code: String,
    pub period: Period,
    /// A finite number, at most 1e15 in size; required unless `status` is `draft`.
    #[schema(minimum = -1e15, maximum = 1e15)]
    pub value: Option<f64>,
    #[schema(max_length = 5000)]
    pub narrative: Option<String>,
    /// `submitted` (the default) or `draft`.
    pub status: Option<InitialStatus>,
    /// Backfill (admin and integration accounts only): when it was first submitted; sets
    /// `first_submitted_at` where it is not yet set.
    pub submitted_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// A CSV batch: a header row of item field names, then one item per row.
pub struct BatchCsv;

impl PartialSchema for BatchCsv {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::String))
            .format(Some(SchemaFormat::Custom("binary".into())))
            .description(Some(
                "UTF-8 CSV (a byte order mark is fine, CRLF or LF, RFC 4180 quoting): a header row \
                 naming the item fields (indicator_code, organization_code and period required; \
                 value, narrative, status, submitted_at optional; any order), then one item per row. \
                 An empty cell is an absent field. A column named error is ignored: it holds the \
                 reasons in the rejected-rows file of the import command, which is sent again \
                 as it is once its rows are fixed.",
            ))
            .examples([serde_json::json!(
                "indicator_code,organization_code,period,value,narrative\r\nE.1,YST-PEO,2022-08,2310,ปิดเครื่องปรับอากาศช่วงพักเที่ยง\r\n"
            )])
            .into()
    }
}

impl ToSchema for BatchCsv {}

/// What became of a batch.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "created": 1, "updated": 0, "unchanged": 0, "rejected": 1,
    "errors": [{"index": 1, "line": 3, "field": "period", "message": "2022-10 is outside the evaluation's span 2021-09 … 2022-09"}]
}))]
pub struct BatchResult {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub rejected: usize,
    /// One per problem of a rejected item: its `index` (0-based), its `line` (CSV), the field
    /// and what is wrong (in Thai with `Accept-Language: th`).
    pub errors: Vec<FieldError>,
}

impl From<BatchReport> for BatchResult {
    fn from(report: BatchReport) -> Self {
        Self {
            created: report.created,
            updated: report.updated,
            unchanged: report.unchanged,
            rejected: report.rejected,
            errors: report.errors,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct BatchQuery {
    /// CSV only (JSON sends it in the body): the evaluation.
    pub evaluation_id: Option<i64>,
    /// CSV only: apply nothing when any item is rejected.
    pub atomic: Option<bool>,
    /// CSV only: classify and report without writing.
    pub dry_run: Option<bool>,
}

enum Format {
    Json,
    Csv,
}

/// What the body said, with the CSV's settings from the query.
struct Parsed {
    evaluation_id: i64,
    atomic: bool,
    dry_run: bool,
    items: Vec<crate::domain::batch::RawItem>,
}

/// Import monthly figures in bulk.
///
/// For integrations (the e-report system), scripts and spreadsheets: up to 100,000 items
/// naming the indicator and the organization by code, as JSON (`application/json`) or CSV
/// (`text/csv`, with `evaluation_id`, `atomic` and `dry_run` as query parameters). Each item
/// is created, updated (a draft, returned or submitted report whose value, narrative or status
/// differs), unchanged, or rejected by the rules of a single report (unknown codes, a period
/// that is not a reporting month of the indicator, no reporting assignment, a value that is
/// not finite or over 1e15, a second item for the same indicator, organization and month, an
/// approved report with other figures, an organization outside the caller's scope). Admins and
/// integrations may backfill `submitted_at`; province admins import for their province, agency
/// officers for their own organization. `atomic=true` with a rejected item applies nothing and
/// answers 422 listing them; `dry_run=true` writes nothing. Messages in Thai with
/// `Accept-Language: th`. The body is limited to `KPI_MAX_BATCH_BYTES` (413).
#[utoipa::path(
    tag = "submissions",
    params(BatchQuery, ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe"), ("Accept-Language" = Option<String>, Header, description = "`th` for messages in Thai")),
    request_body(content((BatchRequest = "application/json"), (BatchCsv = "text/csv"))),
    responses(
        (status = 200, description = "What became of each item", body = BatchResult),
        (status = 404, response = NotFound),
        (status = 409, response = InvalidState),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = Unprocessable),
        (status = 503, response = Unavailable),
    ),
    security(("bearer" = []))
)]
#[post("/submissions/batch")]
pub async fn import_batch(
    state: Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    key: IdempotencyKey,
    QueryParams(query): QueryParams<BatchQuery>,
    payload: Payload,
) -> Result<HttpResponse> {
    let format = format_of(&req)?;
    let csv_evaluation = check_query(&format, &query)?;
    let limit = state.max_batch_bytes;
    if declared_length(&req).is_some_and(|length| length > limit) {
        return Err(Error::PayloadTooLarge { limit });
    }
    let lang = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map_or(Lang::English, Lang::from_preference);
    // Policy first: a role that never imports, or (CSV) an evaluation out of view or closed,
    // is refused before a byte of the body is read.
    state
        .read(auth.clone(), move |conn, caller| {
            caller.imports_batches()?;
            if let Some(id) = csv_evaluation {
                batch::in_view(conn, caller, id)?;
            }
            Ok(())
        })
        .await?;
    // A bounded number of bodies parse at once (each holds a blocking thread while it
    // arrives): others wait their turn a while, then 503, never the database's threads.
    let slot = actix_web::rt::time::timeout(
        std::time::Duration::from_secs(10),
        state.batch_slots.clone().acquire_owned(),
    )
    .await
    .ok()
    .and_then(|acquired| acquired.ok())
    .ok_or_else(|| {
        Error::Unavailable("this server is reading other batches; retry shortly".into())
    })?;
    // The key's request is the body and, for CSV, the settings in the query: a dry run and a
    // real run of the same file are two requests.
    let settings = format!(
        "evaluation_id={:?}&atomic={:?}&dry_run={:?}",
        query.evaluation_id, query.atomic, query.dry_run
    );
    let (parsed, body_hash) = parse_streaming(payload, limit, move |reader| match format {
        Format::Json => {
            let document = intake::json::read(reader)?;
            Ok(Parsed {
                evaluation_id: document.evaluation_id,
                atomic: document.atomic,
                dry_run: document.dry_run,
                items: document.items.0,
            })
        }
        Format::Csv => Ok(Parsed {
            evaluation_id: csv_evaluation.unwrap_or_default(),
            atomic: query.atomic.unwrap_or(false),
            dry_run: query.dry_run.unwrap_or(false),
            items: intake::csv::read(reader, |_| {})?,
        }),
    })
    .await?;
    drop(slot);
    let request_hash = idempotent::hex(&Sha256::digest(format!("{settings}\n{body_hash}")));
    idempotent::keyed(
        &state,
        auth,
        "/api/v1/submissions/batch",
        key,
        request_hash,
        Caller::imports_batches,
        move |conn, caller, actor| {
            let evaluation = batch::target(conn, caller, parsed.evaluation_id)?;
            let items = parsed.items.len();
            let atomic = parsed.atomic;
            let request = Batch {
                atomic,
                dry_run: parsed.dry_run,
                items: parsed.items,
            };
            let report = batch::intake(conn, caller, actor, &evaluation, request, lang, now())?;
            if atomic && report.rejected > 0 {
                return Err(Error::BatchRejected {
                    rejected: report.rejected,
                    items,
                    errors: report.errors,
                });
            }
            let body = serde_json::to_string(&BatchResult::from(report))
                .map_err(|e| Error::Internal(format!("serializing a batch report: {e}")))?;
            Ok(StoredResponse {
                status: 200,
                body,
                location: None,
            })
        },
    )
    .await
}

fn format_of(req: &HttpRequest) -> Result<Format> {
    if is_json(req) {
        return Ok(Format::Json);
    }
    let is_csv = req
        .mime_type()
        .ok()
        .flatten()
        .is_some_and(|mime| mime.type_() == "text" && mime.subtype() == "csv");
    if is_csv {
        Ok(Format::Csv)
    } else {
        Err(Error::UnsupportedMediaType(
            "send the batch as JSON (Content-Type: application/json) or CSV (Content-Type: text/csv)"
                .into(),
        ))
    }
}

/// CSV takes its settings from the query (`evaluation_id` required); JSON from its body, and
/// refuses them in the query rather than guess which one counts.
fn check_query(format: &Format, query: &BatchQuery) -> Result<Option<i64>> {
    let named = [
        ("evaluation_id", query.evaluation_id.is_some()),
        ("atomic", query.atomic.is_some()),
        ("dry_run", query.dry_run.is_some()),
    ];
    match format {
        Format::Json => match named.iter().find(|(_, given)| *given) {
            Some((name, _)) => Err(Error::bad_request(
                "invalid query parameter",
                vec![FieldError::new(
                    *name,
                    "a JSON batch carries it in its body; the query parameters are for CSV",
                )],
            )),
            None => Ok(None),
        },
        Format::Csv => match query.evaluation_id {
            Some(id) => Ok(Some(id)),
            None => Err(Error::bad_request(
                "invalid query parameter",
                vec![FieldError::new(
                    "evaluation_id",
                    "a CSV batch names its evaluation here: ?evaluation_id=…",
                )],
            )),
        },
    }
}

fn declared_length(req: &HttpRequest) -> Option<usize> {
    req.headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}
