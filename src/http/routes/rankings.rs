//! What OPDC compares: `/api/v1/fiscal-years/{fiscal_year}/rankings` (every province's
//! evaluation of a fiscal year ranked by the overall percent of its round of a name);
//! docs/DOMAIN.md, "Rankings".

use actix_web::http::header;
use actix_web::web::{Data, Path};
use actix_web::{get, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::domain::period::FiscalYear;
use crate::domain::ranking::rank;
use crate::domain::scoring::present_percent;
use crate::error::{Error, FieldError, Result};
use crate::http::as_of::AsOf;
use crate::http::extract::{Authenticated, QueryParams};
use crate::http::openapi::Unprocessable;
use crate::http::render;
use crate::http::routes::summary::{SummaryCsv, SummaryFormat, XlsxFile};
use crate::http::AppState;
use crate::policy::Visibility;
use crate::storage::rankings::{self, Contender};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RankingQuery {
    /// The round's name, as each province named its round (compared trimmed and ignoring
    /// case, like round names are kept unique): every evaluation with a round of that name is
    /// ranked.
    #[param(example = "รอบ 6 เดือน", min_length = 1, max_length = 200)]
    pub round_name: String,
    /// The instant to compute at, RFC 3339 (write `+` as `%2B`; no leap second); default now.
    #[param(example = "2022-03-10T00:00:00Z")]
    #[param(inline)]
    pub as_of: Option<AsOf>,
    /// `json` (the default), `csv` (UTF-8 with a byte order mark, Thai headers) or `xlsx` (one
    /// sheet, `rankings`, with a title row).
    #[param(inline)]
    pub format: Option<SummaryFormat>,
}

/// One province's evaluation in the ranking.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "rank": 2, "province_id": 2, "province_code": "TH-35", "name_th": "จังหวัดยโสธร",
    "evaluation_id": 1, "round_id": 3, "overall_percent": 81.5,
    "completeness_percent": 91.67, "timeliness_percent": 75.0
}))]
pub struct RankingItem {
    /// 1 + the number of evaluations with a strictly higher overall percent (as shown, 2
    /// decimals): ties share a rank and the next rank skips (1, 2, 2, 4). Null when the overall
    /// is null (nothing due yet): such rows come last.
    #[schema(minimum = 1)]
    pub rank: Option<usize>,
    pub province_id: i64,
    /// ISO 3166-2:TH.
    pub province_code: String,
    /// The province's Thai name.
    pub name_th: String,
    pub evaluation_id: i64,
    /// The evaluation's round of that name.
    pub round_id: i64,
    /// The round summary's overall percent, 2 decimals; null when nothing is due yet.
    pub overall_percent: Option<f64>,
    /// The round summary's completeness percent, 2 decimals; null when nothing is expected.
    pub completeness_percent: Option<f64>,
    /// The round summary's timeliness percent, 2 decimals; null when nothing is expected.
    pub timeliness_percent: Option<f64>,
}

/// A fiscal year's ranking for a round name at an instant.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "fiscal_year": 2565, "round_name": "รอบ 6 เดือน", "as_of": "2022-03-10T00:00:00Z",
    "items": [
        {"rank": 1, "province_id": 22, "province_code": "TH-11", "name_th": "จังหวัดสมุทรปราการ",
         "evaluation_id": 2, "round_id": 4, "overall_percent": 88.75,
         "completeness_percent": 100.0, "timeliness_percent": 91.67},
        {"rank": 2, "province_id": 2, "province_code": "TH-35", "name_th": "จังหวัดยโสธร",
         "evaluation_id": 1, "round_id": 3, "overall_percent": 81.5,
         "completeness_percent": 91.67, "timeliness_percent": 75.0}
    ]
}))]
pub struct Rankings {
    /// Buddhist Era.
    pub fiscal_year: i32,
    /// As asked for, trimmed.
    pub round_name: String,
    pub as_of: DateTime<Utc>,
    /// By rank (ties by province code, then evaluation id), the unranked last; only the rows
    /// the caller may see, each with its rank among all.
    pub items: Vec<RankingItem>,
}

impl Rankings {
    /// Every contender's summary (`RoundFacts::summarize`), ranked among all
    /// (`domain::ranking::rank`), then only the rows in `visibility`.
    fn of(
        fiscal_year: FiscalYear,
        round_name: String,
        as_of: DateTime<Utc>,
        contenders: Vec<Contender>,
        visibility: Visibility,
    ) -> Result<Self> {
        let mut rows = Vec::with_capacity(contenders.len());
        for contender in contenders {
            let summary = contender.facts.summarize()?;
            rows.push((contender, summary));
        }
        let standings = rank(
            rows,
            |(_, summary)| summary.overall_percent,
            |(contender, _)| (contender.province_code.clone(), contender.evaluation.id),
        );
        let items = standings
            .into_iter()
            .filter(|standing| visibility.includes(Some(standing.entry.0.evaluation.province_id)))
            .map(|standing| {
                let (contender, summary) = standing.entry;
                RankingItem {
                    rank: standing.rank,
                    province_id: contender.evaluation.province_id,
                    province_code: contender.province_code,
                    name_th: contender.province_name_th,
                    evaluation_id: contender.evaluation.id,
                    round_id: contender.round.id,
                    overall_percent: summary.overall_percent.map(present_percent),
                    completeness_percent: summary
                        .completeness
                        .completeness_percent()
                        .map(present_percent),
                    timeliness_percent: summary
                        .completeness
                        .timeliness_percent()
                        .map(present_percent),
                }
            })
            .collect();
        Ok(Self {
            fiscal_year: fiscal_year.0,
            round_name,
            as_of,
            items,
        })
    }
}

/// The fiscal year of the path: 400 when it is not a whole number, 422 outside the supported
/// Buddhist-Era years.
fn fiscal_year(text: &str) -> Result<FiscalYear> {
    let range = format!(
        "must be a Buddhist-Era year between {} and {}, such as 2565",
        FiscalYear::MIN,
        FiscalYear::MAX
    );
    let Ok(year) = text.parse::<i64>() else {
        return Err(Error::bad_request(
            "a path parameter is not valid",
            vec![FieldError::new(
                "fiscal_year",
                format!("`{}` is not a year: {range}", text.escape_debug()),
            )],
        ));
    };
    i32::try_from(year)
        .ok()
        .map(FiscalYear)
        .filter(|year| year.is_supported())
        .ok_or_else(|| Error::invalid_field("fiscal_year", range))
}

/// Provinces ranked by a round's overall percent.
///
/// For OPDC's comparison of provinces: every province's evaluation of the fiscal year (active
/// or closed; drafts are not ranked) that has a round named `round_name` (compared trimmed and
/// ignoring case), with its round summary's overall, completeness and timeliness percents at
/// `as_of` (default now), computed exactly as the summary computes them. Ranked by the overall
/// percent as shown (2 decimals), highest first: equal figures share a rank and the next rank
/// skips (1, 2, 2, 4); an evaluation with nothing due yet (overall null) comes last without a
/// rank; ties by province code. National callers (admin; viewer or integration without an
/// organization) see every row; a caller of a province sees only its own province's rows,
/// each with its rank among all; a caller of an organization under no province (a regional
/// unit) sees none. An unknown round name gives no rows.
#[utoipa::path(
    tag = "rankings",
    params(
        ("fiscal_year" = i32, Path, description = "Buddhist-Era fiscal year (2500–2700)", example = 2565, minimum = 2500, maximum = 2700),
        RankingQuery
    ),
    responses(
        (status = 200, description = "The ranking, as JSON, CSV or a workbook",
            content(
                (Rankings = "application/json"),
                (SummaryCsv = "text/csv"),
                (XlsxFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            ),
            headers(("Content-Disposition" = String, description = "With CSV or XLSX: `attachment; filename=\"rankings-<fiscal year>-<date>.csv\"` (or `.xlsx`)"))),
        (status = 422, response = Unprocessable),
    ),
    security(("bearer" = []))
)]
#[get("/fiscal-years/{fiscal_year}/rankings")]
pub async fn fiscal_year_rankings(
    state: Data<AppState>,
    auth: Authenticated,
    path: Path<String>,
    QueryParams(query): QueryParams<RankingQuery>,
) -> Result<HttpResponse> {
    let fiscal_year = fiscal_year(&path.into_inner())?;
    let round_name = query.round_name.trim().to_owned();
    if round_name.is_empty() || round_name.chars().count() > crate::domain::round::NAME_MAX {
        return Err(Error::bad_request(
            "a query parameter is not valid",
            vec![FieldError::new(
                "round_name",
                format!(
                    "must name a round: 1–{} characters",
                    crate::domain::round::NAME_MAX
                ),
            )],
        ));
    }
    let as_of = AsOf::or_now(query.as_of);
    let format = query.format.unwrap_or(SummaryFormat::Json);
    let rankings = state
        .read(auth, move |conn, caller| {
            let contenders = rankings::of_fiscal_year(conn, fiscal_year, &round_name, as_of)?;
            Rankings::of(
                fiscal_year,
                round_name,
                as_of,
                contenders,
                caller.visibility(),
            )
        })
        .await?;
    let name = format!("rankings-{}-{}", fiscal_year.0, render::file_date(as_of));
    match format {
        SummaryFormat::Json => Ok(HttpResponse::Ok().json(rankings)),
        SummaryFormat::Csv => {
            Ok(render::csv::rankings(&rankings).attachment(&format!("{name}.csv")))
        }
        SummaryFormat::Xlsx => Ok(HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, render::xlsx::CONTENT_TYPE))
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.xlsx\""),
            ))
            .body(render::xlsx::rankings(&rankings)?)),
    }
}
