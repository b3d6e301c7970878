//! What the governor's meeting reads: `/api/v1/rounds/{id}/summary` (a round's scores,
//! percents, completeness and timeliness at `as_of`) and `/api/v1/rounds/{id}/indicators/
//! {indicator_id}` (one indicator per reporting organization); docs/DOMAIN.md, "Round
//! summaries".

use std::collections::HashMap;

use actix_web::http::header;
use actix_web::web::{Data, Path};
use actix_web::{get, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{ObjectBuilder, SchemaFormat, SchemaType, Type};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{IntoParams, PartialSchema, ToSchema};

use super::rounds::Round;
use crate::domain::component::weight_total;
use crate::domain::period::Period;
use crate::domain::scoring::{
    present_percent, present_score, AcrossOrgs, IndicatorStatus, OverTime, ScoreBasis,
    SubmissionFacts, SubmissionStatus, Tally,
};
use crate::domain::summary::{is_received, IndicatorInput, IndicatorResult, RoundFacts};
use crate::error::{Error, FieldError, Result};
use crate::http::as_of::AsOf;
use crate::http::extract::{Authenticated, QueryParams};
use crate::http::openapi::NotFound;
use crate::http::render::{self, SummaryPart};
use crate::http::AppState;
use crate::storage::evaluations::EvaluationStatus;
use crate::storage::summary::{self, RoundContext, WindowReport};

/// How a summary is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SummaryFormat {
    Json,
    /// One table (`part`) as CSV: UTF-8 with a byte order mark, Thai headers, CRLF.
    Csv,
    /// One Excel workbook, a sheet per part.
    Xlsx,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SummaryQuery {
    /// The instant to compute at, RFC 3339 (write `+` as `%2B`; no leap second); default now.
    /// What was due by then is expected; what had been first submitted by then and counts now
    /// is received.
    #[param(example = "2022-03-10T00:00:00Z")]
    #[param(inline)]
    pub as_of: Option<AsOf>,
    /// `json` (the default), `csv` (one table, chosen by `part`) or `xlsx` (a workbook with a
    /// sheet per part).
    #[param(inline)]
    pub format: Option<SummaryFormat>,
    /// Only with `format=csv` or `format=xlsx`: the table to write, `indicators` (the default
    /// for CSV), `organizations` (completeness and timeliness) or `missing` (the reports
    /// expected and not received); for XLSX the workbook then has that sheet only.
    #[param(inline)]
    pub part: Option<SummaryPart>,
}

/// How a drill-down is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DrillDownFormat {
    Json,
    /// One row per reporting organization: UTF-8 with a byte order mark, Thai headers, CRLF.
    Csv,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DrillDownQuery {
    /// The instant to compute at, RFC 3339 (write `+` as `%2B`; no leap second); default now.
    /// What was due by then is expected; what had been first submitted by then and counts now
    /// is received.
    #[param(example = "2022-03-10T00:00:00Z")]
    #[param(inline)]
    pub as_of: Option<AsOf>,
    /// `json` (the default) or `csv` (one row per reporting organization; its reports are in
    /// the JSON only).
    #[param(inline)]
    pub format: Option<DrillDownFormat>,
}

/// An XLSX workbook.
pub struct XlsxFile;

impl PartialSchema for XlsxFile {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::String))
            .format(Some(SchemaFormat::Custom("binary".into())))
            .description(Some(
                "An Excel workbook (Office Open XML): sheets indicators, organizations and \
                 missing, each with a title row (province, fiscal year, round, as of in Bangkok \
                 time), Thai headers, figures as numbers, status cells coloured. Values only.",
            ))
            .into()
    }
}

impl ToSchema for XlsxFile {}

/// A summary table as CSV.
pub struct SummaryCsv;

impl PartialSchema for SummaryCsv {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::String))
            .description(Some(
                "UTF-8 with a byte order mark, CRLF, RFC 4180 quoting: a header row of Thai \
                 column names, then one row per line of the table. Figures unformatted as in the \
                 JSON (blank when null), a month beside its Thai label, a status in Thai; text a \
                 spreadsheet would run as a formula is prefixed with `'`.",
            ))
            .examples([serde_json::json!(
                "\u{feff}รหัสหน่วยงาน,หน่วยงาน,รายงานที่ต้องส่ง,ได้รับแล้ว,ส่งตรงเวลา,ส่งล่าช้า,ค้างส่ง,ร้อยละความครบถ้วน,ร้อยละความตรงเวลา\r\nYST-PEO,สำนักงานพลังงานจังหวัดยโสธร,6,5,4,1,1,83.33,66.67\r\n"
            )])
            .into()
    }
}

impl ToSchema for SummaryCsv {}

/// The `part` parameter makes sense only for a table format: with JSON it is a 400 naming it.
pub(crate) fn check_part(format: SummaryFormat, part: Option<SummaryPart>) -> Result<()> {
    if format == SummaryFormat::Json && part.is_some() {
        return Err(Error::bad_request(
            "a query parameter is not valid",
            vec![FieldError::new(
                "part",
                "only with format=csv or format=xlsx (the JSON has every part)",
            )],
        ));
    }
    Ok(())
}

/// Completeness and timeliness counts.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "expected": 13, "received": 11, "on_time": 8, "late": 3, "missing": 2,
    "completeness_percent": 84.62, "timeliness_percent": 61.54
}))]
pub struct RoundCompleteness {
    /// Reports due by `as_of` in the window (reporting assignment × reporting month).
    pub expected: usize,
    /// Expected reports that count now and were first submitted by `as_of`.
    pub received: usize,
    /// Received before their due instant.
    pub on_time: usize,
    pub late: usize,
    pub missing: usize,
    /// received / expected × 100, 2 decimals; null when nothing is expected.
    pub completeness_percent: Option<f64>,
    /// on time / expected × 100, 2 decimals; null when nothing is expected.
    pub timeliness_percent: Option<f64>,
}

impl From<Tally> for RoundCompleteness {
    fn from(tally: Tally) -> Self {
        Self {
            expected: tally.expected,
            received: tally.received,
            on_time: tally.on_time,
            late: tally.late(),
            missing: tally.missing(),
            completeness_percent: tally.completeness_percent().map(present_percent),
            timeliness_percent: tally.timeliness_percent().map(present_percent),
        }
    }
}

/// A component's percent in the round.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "code": "1", "name": "การประเมินประสิทธิผลการดำเนินงาน (Performance Base)", "weight": 70.0,
    "percent": 80.42
}))]
pub struct RoundComponent {
    pub code: String,
    pub name: String,
    /// Percent of the overall.
    pub weight: f64,
    /// Σ(weight × indicator percent) / Σ weight over its indicators that are due, 2 decimals;
    /// null when none is due (then it is left out of the overall).
    pub percent: Option<f64>,
}

/// An indicator's result in the round.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "indicator_id": 7, "indicator_code": "E.1", "component_code": "1",
    "name": "ร้อยละการลดใช้พลังงานไฟฟ้าของส่วนราชการ", "unit": "kWh",
    "score_basis": "reduction_from_baseline", "weight": 2.0, "value": 16.25,
    "target": 20.0, "score": 81.25, "max_score": 100.0, "percent": 81.25,
    "status": "below_target", "expected": 6, "received": 5, "on_time": 4, "late": 1
}))]
pub struct RoundIndicator {
    pub indicator_id: i64,
    pub indicator_code: String,
    pub component_code: String,
    pub name: String,
    /// The unit of the reported figures (for `reduction_from_baseline` the value below is a
    /// percent reduction of them).
    pub unit: Option<String>,
    /// What `value` is: the aggregated value, or the percent reduction from the baseline.
    pub score_basis: ScoreBasis,
    /// Relative within its component.
    pub weight: f64,
    /// The scored value, 4 decimals: the aggregated value, or for `reduction_from_baseline`
    /// the reduction percent; null when nothing is due or received.
    pub value: Option<f64>,
    /// The indicator's target (scoring compares the value with it).
    pub target: Option<f64>,
    /// 4 decimals; 0 when `no_data`; null when `not_due`.
    pub score: Option<f64>,
    /// The last breakpoint's score.
    pub max_score: f64,
    /// score / max_score × 100, 2 decimals; null when `not_due`.
    pub percent: Option<f64>,
    pub status: IndicatorStatus,
    pub expected: usize,
    pub received: usize,
    pub on_time: usize,
    pub late: usize,
}

impl RoundIndicator {
    fn of(input: &IndicatorInput, result: &IndicatorResult, component_code: String) -> Self {
        Self {
            indicator_id: input.id,
            indicator_code: input.code.clone(),
            component_code,
            name: input.name.clone(),
            unit: input.unit.clone(),
            score_basis: input.score_basis,
            weight: input.weight,
            value: result.value.map(present_score),
            target: input.target,
            score: result.outcome.score.map(present_score),
            max_score: result.max_score,
            percent: result.outcome.percent.map(present_percent),
            status: result.outcome.status,
            expected: result.tally.expected,
            received: result.tally.received,
            on_time: result.tally.on_time,
            late: result.tally.late(),
        }
    }
}

/// An expected report not received by `as_of`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"indicator_code": "E.1", "period": "2021-11", "period_label_th": "พ.ย. 2564"}))]
pub struct MissingReport {
    pub indicator_code: String,
    pub period: Period,
    /// The period in Thai: `พ.ย. 2564`.
    pub period_label_th: String,
}

/// An expected period of one organization not received by `as_of`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"period": "2021-11", "period_label_th": "พ.ย. 2564"}))]
pub struct MissingPeriod {
    pub period: Period,
    /// The period in Thai: `พ.ย. 2564`.
    pub period_label_th: String,
}

impl From<Period> for MissingPeriod {
    fn from(period: Period) -> Self {
        Self {
            period,
            period_label_th: period.thai_label(),
        }
    }
}

/// One reporting organization's reporting in the round, over every indicator it reports.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "organization_id": 11, "organization_code": "YST-PEO",
    "name_th": "สำนักงานพลังงานจังหวัดยโสธร", "expected": 6, "received": 5, "on_time": 4,
    "late": 1, "completeness_percent": 83.33, "timeliness_percent": 66.67,
    "missing": [{"indicator_code": "E.1", "period": "2021-11", "period_label_th": "พ.ย. 2564"}]
}))]
pub struct RoundOrganization {
    pub organization_id: i64,
    pub organization_code: String,
    pub name_th: String,
    pub expected: usize,
    pub received: usize,
    pub on_time: usize,
    pub late: usize,
    /// null when nothing is expected of it yet.
    pub completeness_percent: Option<f64>,
    pub timeliness_percent: Option<f64>,
    /// Expected and not received, by indicator (summary order) then period.
    pub missing: Vec<MissingReport>,
}

/// The evaluation a summary is of, named for a title row.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": 1, "title": "การประเมินส่วนราชการ จังหวัดยโสธร ปีงบประมาณ พ.ศ. 2565", "fiscal_year": 2565,
    "status": "active", "province_id": 2, "province_code": "TH-35", "province_name_th": "จังหวัดยโสธร"
}))]
pub struct SummaryEvaluation {
    pub id: i64,
    pub title: String,
    /// Buddhist Era.
    pub fiscal_year: i32,
    pub status: EvaluationStatus,
    pub province_id: i64,
    /// ISO 3166-2:TH.
    pub province_code: String,
    pub province_name_th: String,
}

impl From<&RoundContext> for SummaryEvaluation {
    fn from(context: &RoundContext) -> Self {
        let evaluation = &context.evaluation;
        Self {
            id: evaluation.id,
            title: evaluation.title.clone(),
            fiscal_year: evaluation.fiscal_year,
            status: evaluation.status,
            province_id: evaluation.province_id,
            province_code: context.province.code.clone(),
            province_name_th: context.province.name_th.clone(),
        }
    }
}

/// A round's summary at an instant: what the governor's meeting reads.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RoundSummary {
    pub evaluation: SummaryEvaluation,
    pub round: Round,
    pub as_of: DateTime<Utc>,
    /// Σ(component weight × component percent) / Σ component weight over the components that
    /// have a percent, 2 decimals; null when nothing is due yet.
    pub overall_percent: Option<f64>,
    /// The sum of the component weights, 4 decimals: 100 unless renegotiated mid-year, so a
    /// front-end can warn. The overall divides by the weights of the components that have a
    /// percent (all of them once each has an indicator due).
    pub component_weight_total: f64,
    /// In id order.
    pub components: Vec<RoundComponent>,
    /// By component, then id.
    pub indicators: Vec<RoundIndicator>,
    /// Every organization with a reporting assignment, by code.
    pub organizations: Vec<RoundOrganization>,
    /// Over every expected report of the round.
    pub completeness: RoundCompleteness,
    /// Codes of the indicators due and not achieved (`no_data`, `not_met`, `below_target`),
    /// the lowest percent first.
    #[schema(example = json!(["2.1", "E.1"]))]
    pub lagging: Vec<String>,
}

fn component_codes(facts: &RoundFacts) -> HashMap<i64, String> {
    facts
        .components
        .iter()
        .map(|c| (c.id, c.code.clone()))
        .collect()
}

impl RoundSummary {
    pub(crate) fn of(context: &RoundContext, facts: &RoundFacts) -> Result<Self> {
        let summary = facts.summarize()?;
        let codes = component_codes(facts);
        let indicator_codes: HashMap<i64, &str> = facts
            .indicators
            .iter()
            .map(|i| (i.id, i.code.as_str()))
            .collect();
        let code_of = |id: i64| indicator_codes.get(&id).copied().unwrap_or_default();
        Ok(Self {
            evaluation: context.into(),
            round: context.round.clone().into(),
            as_of: facts.as_of,
            overall_percent: summary.overall_percent.map(present_percent),
            component_weight_total: weight_total(facts.components.iter().map(|c| c.weight)),
            components: facts
                .components
                .iter()
                .zip(&summary.components)
                .map(|(input, result)| RoundComponent {
                    code: input.code.clone(),
                    name: input.name.clone(),
                    weight: input.weight,
                    percent: result.percent.map(present_percent),
                })
                .collect(),
            indicators: facts
                .indicators
                .iter()
                .zip(&summary.indicators)
                .map(|(input, result)| {
                    let component = codes.get(&input.component_id).cloned();
                    RoundIndicator::of(input, result, component.unwrap_or_default())
                })
                .collect(),
            organizations: facts
                .organizations
                .iter()
                .zip(&summary.organizations)
                .map(|(input, result)| {
                    let tally = RoundCompleteness::from(result.tally);
                    RoundOrganization {
                        organization_id: input.id,
                        organization_code: input.code.clone(),
                        name_th: input.name_th.clone(),
                        expected: tally.expected,
                        received: tally.received,
                        on_time: tally.on_time,
                        late: tally.late,
                        completeness_percent: tally.completeness_percent,
                        timeliness_percent: tally.timeliness_percent,
                        missing: result
                            .missing
                            .iter()
                            .map(|(indicator_id, period)| MissingReport {
                                indicator_code: code_of(*indicator_id).to_owned(),
                                period: *period,
                                period_label_th: period.thai_label(),
                            })
                            .collect(),
                    }
                })
                .collect(),
            completeness: summary.completeness.into(),
            lagging: summary
                .lagging
                .iter()
                .map(|id| code_of(*id).to_owned())
                .collect(),
        })
    }
}

/// A round's summary.
///
/// For the governor's meeting: each indicator's scored value, score, percent and status, each
/// component's and the overall percent, and who reported on time, late or not at all, at
/// `as_of` (default now). Expected = every (host or co-host assignment, reporting month of its
/// indicator in the round's window) due by `as_of`; received = expected reports whose status
/// counts now (`submitted`, `approved`) and that were first submitted by `as_of` (a report
/// returned since does not count). Computed unrounded; scores and values are shown to 4
/// decimals, percents to 2, half away from zero. Everyone who may read the evaluation reads its
/// summaries (an agency officer too: the meeting shows every agency).
///
/// For the meeting's spreadsheets: `format=csv` writes one table (`part`: `indicators`, the
/// default, `organizations` or `missing`) as an attachment
/// `summary-<round>-<part>-<as_of date in Bangkok>.csv` (UTF-8 with BOM, Thai headers, CRLF,
/// figures unformatted, a month beside its Thai label, formula-like text prefixed with `'`);
/// `format=xlsx` writes one workbook `summary-<round>-<date>.xlsx` with a sheet per part (a title
/// row naming the province, fiscal year, round and `as_of` in Bangkok time; figures as numbers
/// shown with 2 decimals; status cells coloured; values only, never formulas). An unknown
/// `format`, or a `part` without `format=csv|xlsx`, is a 400 naming it.
#[utoipa::path(
    tag = "rounds",
    params(("id" = i64, Path, description = "Round id"), SummaryQuery),
    responses(
        (status = 200, description = "The summary, as JSON, one table as CSV, or a workbook",
            content(
                (RoundSummary = "application/json"),
                (SummaryCsv = "text/csv"),
                (XlsxFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            ),
            headers(("Content-Disposition" = String, description = "With CSV or XLSX: `attachment; filename=\"summary-<round>-<part>-<date>.csv\"` or `attachment; filename=\"summary-<round>-<date>.xlsx\"`"))),
        (status = 404, response = NotFound),
    ),
    security(("bearer" = []))
)]
#[get("/rounds/{id}/summary")]
pub async fn round_summary(
    state: Data<AppState>,
    auth: Authenticated,
    id: Path<i64>,
    QueryParams(query): QueryParams<SummaryQuery>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    let as_of = AsOf::or_now(query.as_of);
    let format = query.format.unwrap_or(SummaryFormat::Json);
    check_part(format, query.part)?;
    let (context, facts) = state
        .read(auth, move |conn, caller| {
            summary::of_round(conn, caller, id, as_of)
        })
        .await?;
    let summary = RoundSummary::of(&context, &facts)?;
    match format {
        SummaryFormat::Json => Ok(HttpResponse::Ok().json(summary)),
        format => summary_file(&summary, format, query.part),
    }
}

/// A summary as a file: one table as CSV (`part`, default indicators) or a workbook (every
/// part, or only `part`). For the live summary and a published snapshot alike.
pub(crate) fn summary_file(
    summary: &RoundSummary,
    format: SummaryFormat,
    part: Option<SummaryPart>,
) -> Result<HttpResponse> {
    let date = render::file_date(summary.as_of);
    match format {
        SummaryFormat::Json => Ok(HttpResponse::Ok().json(summary)),
        SummaryFormat::Csv => {
            let part = part.unwrap_or(SummaryPart::Indicators);
            Ok(render::csv::summary(summary, part).attachment(&format!(
                "summary-{}-{}-{date}.csv",
                summary.round.id,
                part.name()
            )))
        }
        SummaryFormat::Xlsx => {
            let parts = part.map_or(SummaryPart::ALL.to_vec(), |part| vec![part]);
            let bytes = render::xlsx::summary(summary, &parts)?;
            Ok(HttpResponse::Ok()
                .insert_header((header::CONTENT_TYPE, render::xlsx::CONTENT_TYPE))
                .insert_header((
                    header::CONTENT_DISPOSITION,
                    format!(
                        "attachment; filename=\"summary-{}{}-{date}.xlsx\"",
                        summary.round.id,
                        part.map_or(String::new(), |part| format!("-{}", part.name()))
                    ),
                ))
                .body(bytes))
        }
    }
}

/// One report of an organization in the window, as it is now.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "submission_id": 41, "period": "2021-12", "period_label_th": "ธ.ค. 2564", "value": 850.0,
    "status": "approved", "first_submitted_at": "2022-01-05T03:00:00Z", "on_time": false,
    "counted": true
}))]
pub struct IndicatorReport {
    pub submission_id: i64,
    pub period: Period,
    pub period_label_th: String,
    pub value: Option<f64>,
    pub status: SubmissionStatus,
    pub first_submitted_at: Option<DateTime<Utc>>,
    /// First submitted before its due instant; null when never submitted.
    pub on_time: Option<bool>,
    /// Whether it is received at `as_of`: due by then, first submitted by then, and of a
    /// status that counts now.
    pub counted: bool,
}

/// One reporting organization's part in an indicator.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "organization_id": 11, "organization_code": "YST-PEO",
    "name_th": "สำนักงานพลังงานจังหวัดยโสธร", "value": 15.0, "baseline": 1000.0,
    "target": 20.0, "expected": 3, "received": 3, "on_time": 2, "late": 1,
    "completeness_percent": 100.0, "timeliness_percent": 66.67, "missing": [],
    "reports": [{
        "submission_id": 41, "period": "2021-12", "period_label_th": "ธ.ค. 2564", "value": 850.0,
        "status": "approved", "first_submitted_at": "2022-01-05T03:00:00Z", "on_time": false,
        "counted": true
    }]
}))]
pub struct IndicatorOrganization {
    pub organization_id: i64,
    pub organization_code: String,
    pub name_th: String,
    /// Its own value, 4 decimals: its `over_time` result over its received reports, or for
    /// `reduction_from_baseline` its own reduction percent from its baseline; null when
    /// nothing of it is received.
    pub value: Option<f64>,
    /// Its per-period baseline: its assignment's, else the indicator's.
    pub baseline: Option<f64>,
    /// Its own target (its assignment's); scoring uses the indicator's.
    pub target: Option<f64>,
    pub expected: usize,
    pub received: usize,
    pub on_time: usize,
    pub late: usize,
    /// received / expected × 100, 2 decimals; null when nothing is expected of it yet.
    pub completeness_percent: Option<f64>,
    /// on time / expected × 100, 2 decimals; null when nothing is expected of it yet.
    pub timeliness_percent: Option<f64>,
    /// Expected periods not received, in order.
    pub missing: Vec<MissingPeriod>,
    /// Its reports in the window whatever their status, by period; null when the caller may
    /// not read this organization's reports (an agency officer reads only its own).
    pub reports: Option<Vec<IndicatorReport>>,
}

/// One indicator of a round, per reporting organization.
#[derive(Debug, Serialize, ToSchema)]
pub struct IndicatorDrillDown {
    pub evaluation: SummaryEvaluation,
    pub round: Round,
    pub as_of: DateTime<Utc>,
    /// The indicator's line of the summary.
    pub indicator: RoundIndicator,
    /// How each organization's values combine over time (for the `value` basis).
    pub over_time: OverTime,
    /// How the organizations' results combine (for the `value` basis).
    pub across_orgs: AcrossOrgs,
    /// Every organization reporting it (host, co-host), by code.
    pub organizations: Vec<IndicatorOrganization>,
}

/// One indicator of a round, per organization.
///
/// The drill-down a meeting asks for next: per reporting organization its own value (its
/// `over_time` result, or its reduction percent from its own baseline), its baseline and its
/// own target, expected / received / on time at `as_of`, its missing periods and its reports in
/// the window. An agency officer sees every organization's figures and only its own
/// organization's reports (`reports` is null for the others). 404 when the indicator is not of
/// the round's evaluation. `format=csv` writes one row per reporting organization (its figures
/// and its missing months, each month beside its Thai label; the reports are in the JSON only)
/// as an attachment `indicator-<round>-<indicator>-<as_of date in Bangkok>.csv`, like the
/// summary's CSV.
#[utoipa::path(
    tag = "rounds",
    params(
        ("id" = i64, Path, description = "Round id"),
        ("indicator_id" = i64, Path, description = "Indicator id (of the round's evaluation)"),
        DrillDownQuery
    ),
    responses(
        (status = 200, description = "The indicator per organization, as JSON or CSV",
            content((IndicatorDrillDown = "application/json"), (SummaryCsv = "text/csv")),
            headers(("Content-Disposition" = String, description = "With CSV: `attachment; filename=\"indicator-<round>-<indicator>-<date>.csv\"`"))),
        (status = 404, response = NotFound),
    ),
    security(("bearer" = []))
)]
#[get("/rounds/{id}/indicators/{indicator_id}")]
pub async fn round_indicator(
    state: Data<AppState>,
    auth: Authenticated,
    path: Path<(i64, i64)>,
    QueryParams(query): QueryParams<DrillDownQuery>,
) -> Result<HttpResponse> {
    let (id, indicator_id) = path.into_inner();
    let as_of = AsOf::or_now(query.as_of);
    let drill = state
        .read(auth, move |conn, caller| {
            summary::indicator_of_round(conn, caller, id, indicator_id, as_of)
        })
        .await?;
    let drill = drill_down(drill)?;
    match query.format.unwrap_or(DrillDownFormat::Json) {
        DrillDownFormat::Json => Ok(HttpResponse::Ok().json(drill)),
        DrillDownFormat::Csv => Ok(render::csv::drill_down(&drill).attachment(&format!(
            "indicator-{}-{}-{}.csv",
            drill.round.id,
            drill.indicator.indicator_id,
            render::file_date(drill.as_of)
        ))),
    }
}

fn drill_down(drill: summary::DrillDown) -> Result<IndicatorDrillDown> {
    let facts = &drill.facts;
    let input = facts
        .indicators
        .first()
        .ok_or_else(|| Error::Internal("a drill-down without its indicator".into()))?;
    let result = facts
        .indicator(input.id)?
        .ok_or_else(|| Error::Internal("a drill-down without its indicator".into()))?;
    let component = component_codes(facts).remove(&input.component_id);
    let mut reports: HashMap<i64, Vec<IndicatorReport>> = HashMap::new();
    for report in &drill.reports {
        reports
            .entry(report.organization_id)
            .or_default()
            .push(report_item(report, facts));
    }
    let organizations = facts
        .organizations
        .iter()
        .filter_map(|organization| {
            let part = result
                .organizations
                .iter()
                .find(|part| part.organization_id == organization.id)?;
            Some(IndicatorOrganization {
                organization_id: organization.id,
                organization_code: organization.code.clone(),
                name_th: organization.name_th.clone(),
                value: part.value.map(present_score),
                baseline: part.baseline,
                target: part.target,
                expected: part.tally.expected,
                received: part.tally.received,
                on_time: part.tally.on_time,
                late: part.tally.late(),
                completeness_percent: part.tally.completeness_percent().map(present_percent),
                timeliness_percent: part.tally.timeliness_percent().map(present_percent),
                missing: part
                    .missing
                    .iter()
                    .copied()
                    .map(MissingPeriod::from)
                    .collect(),
                reports: drill
                    .readable
                    .contains(&organization.id)
                    .then(|| reports.remove(&organization.id).unwrap_or_default()),
            })
        })
        .collect();
    Ok(IndicatorDrillDown {
        indicator: RoundIndicator::of(input, &result, component.unwrap_or_default()),
        over_time: input.over_time,
        across_orgs: input.across_orgs,
        evaluation: (&drill.context).into(),
        round: drill.context.round.clone().into(),
        as_of: facts.as_of,
        organizations,
    })
}

fn report_item(report: &WindowReport, facts: &RoundFacts) -> IndicatorReport {
    let counted = is_received(
        report.period,
        SubmissionFacts {
            status: report.status,
            first_submitted_at: report.first_submitted_at,
        },
        facts.calendar.deadline_day,
        facts.as_of,
    );
    IndicatorReport {
        submission_id: report.id,
        period: report.period,
        period_label_th: report.period.thai_label(),
        value: report.value,
        status: report.status,
        first_submitted_at: report.first_submitted_at,
        on_time: report.on_time,
        counted,
    }
}
