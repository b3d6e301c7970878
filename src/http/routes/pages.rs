//! A round's summary for people: `/api/v1/rounds/{id}/summary.svg` (the chart for slides) and
//! `/api/v1/rounds/{id}/summary.html` (the printable page for the governor's meeting). Same
//! policy, same figures as the JSON summary: each renders `RoundSummary` (`http::render`).

use actix_web::web::{Data, Path};
use actix_web::{get, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::summary::RoundSummary;
use crate::error::Result;
use crate::http::as_of::AsOf;
use crate::http::extract::{Authenticated, QueryParams};
use crate::http::openapi::NotFound;
use crate::http::render;
use crate::http::AppState;
use crate::storage::{snapshots, summary};

pub const SVG: &str = "image/svg+xml";
pub const HTML: &str = "text/html; charset=utf-8";

/// The instant a chart or page is computed at.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AsOfQuery {
    /// The instant to compute at, RFC 3339 (write `+` as `%2B`; no leap second); default now.
    /// What was due by then is expected; what had been first submitted by then and counts now
    /// is received.
    #[param(example = "2022-08-10T03:00:00Z")]
    #[param(inline)]
    pub as_of: Option<AsOf>,
}

/// The summary as the JSON route computes it.
async fn summary_of(
    state: &AppState,
    auth: Authenticated,
    id: i64,
    query: AsOfQuery,
) -> Result<RoundSummary> {
    let as_of = AsOf::or_now(query.as_of);
    let (context, facts) = state
        .read(auth, move |conn, caller| {
            summary::of_round(conn, caller, id, as_of)
        })
        .await?;
    RoundSummary::of(&context, &facts)
}

/// A round's summary as a bar chart.
///
/// For meeting slides (1200 px wide, the height grows with the indicators): the overall
/// percent, each component's percent followed by its indicators' percents (score ÷ maximum
/// score × 100) on a 0–100 % axis with 100 % marked, coloured by status (achieved green, below
/// target amber, not met red, no data brown; not due greyed without a bar), each indicator's
/// value, target and reports received beside its bar, lagging indicators marked and listed
/// lowest first, a legend, and a title with the province, fiscal year (BE), round and `as_of`
/// in Bangkok time. Text is text, in a font stack with common Thai fonts. Same figures and
/// access as `GET /rounds/{id}/summary`.
#[utoipa::path(
    tag = "rounds",
    params(("id" = i64, Path, description = "Round id"), AsOfQuery),
    responses(
        (status = 200, description = "The chart", content_type = "image/svg+xml", body = String),
        (status = 404, response = NotFound),
    ),
    security(("bearer" = []))
)]
#[get("/rounds/{id}/summary.svg")]
pub async fn round_summary_svg(
    state: Data<AppState>,
    auth: Authenticated,
    id: Path<i64>,
    QueryParams(query): QueryParams<AsOfQuery>,
) -> Result<HttpResponse> {
    let summary = summary_of(&state, auth, id.into_inner(), query).await?;
    Ok(HttpResponse::Ok()
        .content_type(SVG)
        .body(render::svg::render(&summary, None)))
}

/// A round's summary as one printable page.
///
/// For the governor's meeting, printed from the browser (A4): the title with the province,
/// fiscal year (BE), round and `as_of` in Bangkok time; the overall, component and reporting
/// percents; the chart of `summary.svg` inline; the lagging indicators, lowest percent first;
/// and each reporting organization's expected, received, on-time and late reports with what
/// it has not sent (indicator and month). Thai, no script, no external resource (inline CSS,
/// the reader's fonts). Same figures and access as `GET /rounds/{id}/summary`.
#[utoipa::path(
    tag = "rounds",
    params(("id" = i64, Path, description = "Round id"), AsOfQuery),
    responses(
        (status = 200, description = "The page", content_type = "text/html", body = String),
        (status = 404, response = NotFound),
    ),
    security(("bearer" = []))
)]
#[get("/rounds/{id}/summary.html")]
pub async fn round_summary_html(
    state: Data<AppState>,
    auth: Authenticated,
    id: Path<i64>,
    QueryParams(query): QueryParams<AsOfQuery>,
) -> Result<HttpResponse> {
    let summary = summary_of(&state, auth, id.into_inner(), query).await?;
    Ok(HttpResponse::Ok()
        .content_type(HTML)
        .body(render::html::render(&summary, None)))
}

/// A published snapshot's stored summary, drawn with `draw` and the publication named, with
/// the snapshot's strong ETag (its SHA-256: the same figures give the same bytes).
async fn snapshot_file(
    state: &AppState,
    auth: Authenticated,
    id: i64,
    content_type: &str,
    draw: fn(&RoundSummary, Option<&render::PublicationMark>) -> String,
) -> Result<HttpResponse> {
    let row = state
        .read(auth, move |conn, caller| snapshots::get(conn, caller, id))
        .await?;
    let summary = super::snapshots::summary_of(&row)?;
    let info = &row.info;
    let publication = render::PublicationMark {
        id: info.id,
        sha256: &info.sha256,
        published_at: crate::storage::to_utc(info.published_at),
        published_by: &info.published_by_name,
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            actix_web::http::header::ETAG,
            format!("\"{}\"", info.sha256),
        ))
        .body(draw(&summary, Some(&publication))))
}

/// A published snapshot's summary as a bar chart.
///
/// The chart of `GET /rounds/{id}/summary.svg`, drawn from the figures the snapshot stored
/// (never recomputed). Everyone who may read the round.
#[utoipa::path(
    tag = "rounds",
    params(("id" = i64, Path, description = "Snapshot id")),
    responses(
        (status = 200, description = "The chart", content_type = "image/svg+xml", body = String),
        (status = 404, response = NotFound),
    ),
    security(("bearer" = []))
)]
#[get("/snapshots/{id}/summary.svg")]
pub async fn snapshot_summary_svg(
    state: Data<AppState>,
    auth: Authenticated,
    id: Path<i64>,
) -> Result<HttpResponse> {
    snapshot_file(&state, auth, id.into_inner(), SVG, render::svg::render).await
}

/// A published snapshot's summary as one printable page.
///
/// The page of `GET /rounds/{id}/summary.html`, from the figures the snapshot stored (never
/// recomputed). Everyone who may read the round.
#[utoipa::path(
    tag = "rounds",
    params(("id" = i64, Path, description = "Snapshot id")),
    responses(
        (status = 200, description = "The page", content_type = "text/html", body = String),
        (status = 404, response = NotFound),
    ),
    security(("bearer" = []))
)]
#[get("/snapshots/{id}/summary.html")]
pub async fn snapshot_summary_html(
    state: Data<AppState>,
    auth: Authenticated,
    id: Path<i64>,
) -> Result<HttpResponse> {
    snapshot_file(&state, auth, id.into_inner(), HTML, render::html::render).await
}
