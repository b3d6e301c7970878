//! `/api/v1/indicators`: indicators with their scoring criteria.

use actix_web::web::{Data, Path};
use actix_web::{delete, get, patch, post, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{timestamp, with_etag, Page};
use crate::domain::criteria::Breakpoint;
use crate::domain::framework::{
    default_across_orgs, default_frequency, default_over_time, default_score_basis, default_weight,
};
use crate::domain::indicator::IndicatorSpec;
use crate::domain::period::Frequency;
use crate::domain::scoring::{AcrossOrgs, Category, OverTime, ScoreBasis};
use crate::error::{Error, Result};
use crate::http::extract::{Authenticated, IdempotencyKey, IfMatch, JsonBody, QueryParams};
use crate::http::idempotent::{self, Created};
use crate::http::merge_patch;
use crate::http::openapi::{
    Duplicate, InvalidState, NotFound, PreconditionFailed, PreconditionRequired, Unprocessable,
};
use crate::http::AppState;
use crate::policy::Caller;
use crate::storage::audit::Actor;
use crate::storage::evaluations;
use crate::storage::indicators::{self, IndicatorFilter, StoredIndicator};
use crate::storage::pagination::PageRequest;
use crate::storage::{Access, DbConnection};

/// An indicator (ตัวชี้วัด) with its scoring criteria.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 5, "evaluation_id": 1, "component_id": 1, "code": "1.2",
    "name": "อัตราป่วยตายจากโรคติดเชื้อไวรัสโคโรนา (COVID-19) ของจังหวัด ปีงบประมาณ พ.ศ.2565",
    "description": null, "unit": "ร้อยละ", "category": null, "frequency": "monthly",
    "over_time": "latest", "across_orgs": "average", "score_basis": "value",
    "baseline": null, "target": 1.0, "weight": 1.0,
    "criteria": [{"value": 1.5, "score": 50.0}, {"value": 1.0, "score": 75.0}, {"value": 0.5, "score": 100.0}],
    "max_score": 100.0, "version": 1,
    "created_at": "2021-10-01T02:00:00.000000Z", "updated_at": "2021-10-01T02:00:00.000000Z"
}))]
pub struct Indicator {
    pub id: i64,
    pub evaluation_id: i64,
    pub component_id: i64,
    pub code: String,
    pub name: String,
    pub description: Option<String>,
    pub unit: Option<String>,
    pub category: Option<Category>,
    pub frequency: Frequency,
    pub over_time: OverTime,
    pub across_orgs: AcrossOrgs,
    pub score_basis: ScoreBasis,
    /// Per-period baseline (> 0) the reduction basis measures against, where a reporting
    /// assignment has none of its own.
    pub baseline: Option<f64>,
    pub target: Option<f64>,
    /// Relative within the component.
    pub weight: f64,
    /// 2–10 breakpoints; increasing values: higher is better, decreasing: lower is better.
    pub criteria: Vec<Breakpoint>,
    /// The last breakpoint's score.
    pub max_score: f64,
    pub version: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// The fields of `Indicator` the server makes: a patch cannot name them.
const COMPUTED: &[&str] = &["id", "max_score", "version", "created_at", "updated_at"];
/// An indicator stays in its evaluation.
const FIXED: &[&str] = &["evaluation_id"];

impl From<StoredIndicator> for Indicator {
    fn from(stored: StoredIndicator) -> Self {
        let spec = stored.spec;
        Self {
            max_score: spec.max_score(),
            id: stored.id,
            evaluation_id: stored.evaluation_id,
            component_id: stored.component_id,
            code: spec.code,
            name: spec.name,
            description: spec.description,
            unit: spec.unit,
            category: spec.category,
            frequency: spec.frequency,
            over_time: spec.over_time,
            across_orgs: spec.across_orgs,
            score_basis: spec.score_basis,
            baseline: spec.baseline,
            target: spec.target,
            weight: spec.weight,
            criteria: spec.criteria,
            version: stored.version,
            created_at: timestamp(stored.created_at),
            updated_at: timestamp(stored.updated_at),
        }
    }
}

/// A new indicator. Settings left out take their defaults: monthly, latest, average, value,
/// weight 1. A patch is merged into the indicator and read as this, too.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "evaluation_id": 1, "component_id": 1, "code": "E.1",
    "name": "ร้อยละการลดใช้พลังงานไฟฟ้าของส่วนราชการ", "unit": "kWh", "category": "energy_reduction",
    "frequency": "monthly", "score_basis": "reduction_from_baseline", "baseline": 1200.0, "target": 20.0,
    "weight": 1.0, "criteria": [{"value": 10.0, "score": 50.0}, {"value": 15.0, "score": 75.0}, {"value": 20.0, "score": 100.0}]
}))]
pub struct NewIndicator {
    pub evaluation_id: i64,
    pub component_id: i64,
    /// Unique within the evaluation, ignoring case.
    #[schema(pattern = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")]
    pub code: String,
    #[schema(min_length = 1, max_length = 500)]
    pub name: String,
    #[serde(default)]
    #[schema(max_length = 5000)]
    pub description: Option<String>,
    #[serde(default)]
    #[schema(max_length = 50)]
    pub unit: Option<String>,
    #[serde(default)]
    pub category: Option<Category>,
    #[serde(default = "default_frequency")]
    pub frequency: Frequency,
    #[serde(default = "default_over_time")]
    pub over_time: OverTime,
    #[serde(default = "default_across_orgs")]
    pub across_orgs: AcrossOrgs,
    #[serde(default = "default_score_basis")]
    pub score_basis: ScoreBasis,
    /// A per-period figure greater than 0. A `reduction_from_baseline` indicator needs one
    /// here, or on each reporting assignment, before activation.
    #[serde(default)]
    #[schema(exclusive_minimum = 0.0)]
    pub baseline: Option<f64>,
    #[serde(default)]
    pub target: Option<f64>,
    /// Relative within the component; default 1.
    #[serde(default = "default_weight")]
    #[schema(exclusive_minimum = 0.0)]
    pub weight: f64,
    /// 2–10 breakpoints: values strictly monotonic, scores strictly increasing.
    #[schema(min_items = 2, max_items = 10)]
    pub criteria: Vec<Breakpoint>,
}

impl NewIndicator {
    /// Its evaluation, its component and its spec.
    fn into_parts(self) -> (i64, i64, IndicatorSpec) {
        let spec = IndicatorSpec {
            code: self.code,
            name: self.name,
            description: self.description,
            unit: self.unit,
            category: self.category,
            frequency: self.frequency,
            over_time: self.over_time,
            across_orgs: self.across_orgs,
            score_basis: self.score_basis,
            baseline: self.baseline,
            target: self.target,
            weight: self.weight,
            criteria: self.criteria,
        };
        (self.evaluation_id, self.component_id, spec)
    }
}

/// A JSON Merge Patch of an indicator. While the evaluation is active its component,
/// frequency, score basis and aggregation are frozen; targets, criteria, weights and baselines
/// may change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"target": 18.0, "criteria": [{"value": 8.0, "score": 50.0}, {"value": 13.0, "score": 75.0}, {"value": 18.0, "score": 100.0}]}))]
pub struct IndicatorPatch {
    #[schema(nullable = false)]
    #[serde(default, deserialize_with = "merge_patch::not_null")]
    pub component_id: Option<i64>,
    #[schema(nullable = false, pattern = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")]
    #[serde(default, deserialize_with = "merge_patch::not_null")]
    pub code: Option<String>,
    #[schema(nullable = false, min_length = 1, max_length = 500)]
    #[serde(default, deserialize_with = "merge_patch::not_null")]
    pub name: Option<String>,
    #[schema(max_length = 5000)]
    pub description: Option<String>,
    #[schema(max_length = 50)]
    pub unit: Option<String>,
    pub category: Option<Category>,
    #[schema(nullable = false)]
    #[serde(default, deserialize_with = "merge_patch::not_null")]
    pub frequency: Option<Frequency>,
    #[schema(nullable = false)]
    #[serde(default, deserialize_with = "merge_patch::not_null")]
    pub over_time: Option<OverTime>,
    #[schema(nullable = false)]
    #[serde(default, deserialize_with = "merge_patch::not_null")]
    pub across_orgs: Option<AcrossOrgs>,
    #[schema(nullable = false)]
    #[serde(default, deserialize_with = "merge_patch::not_null")]
    pub score_basis: Option<ScoreBasis>,
    #[schema(exclusive_minimum = 0.0)]
    pub baseline: Option<f64>,
    pub target: Option<f64>,
    #[schema(exclusive_minimum = 0.0, nullable = false)]
    #[serde(default, deserialize_with = "merge_patch::not_null")]
    pub weight: Option<f64>,
    #[schema(nullable = false, min_items = 2, max_items = 10)]
    #[serde(default, deserialize_with = "merge_patch::not_null")]
    pub criteria: Option<Vec<Breakpoint>>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IndicatorListQuery {
    pub evaluation_id: Option<i64>,
    pub component_id: Option<i64>,
    pub category: Option<Category>,
    /// Substring of the code or name (Latin letters case-insensitive).
    #[param(example = "พลังงาน")]
    pub q: Option<String>,
    #[param(minimum = 1, maximum = 500, default = 50)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// List indicators.
///
/// Indicators of the evaluations in the caller's scope, by id, filtered by evaluation,
/// component, category and a search of code and name.
#[utoipa::path(
    tag = "indicators",
    params(IndicatorListQuery),
    responses((status = 200, description = "One page of indicators", body = Page<Indicator>)),
    security(("bearer" = []))
)]
#[get("/indicators")]
pub async fn list_indicators(
    state: Data<AppState>,
    auth: Authenticated,
    QueryParams(query): QueryParams<IndicatorListQuery>,
) -> Result<HttpResponse> {
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let filter = IndicatorFilter {
        evaluation_id: query.evaluation_id,
        component_id: query.component_id,
        category: query.category,
        q: query.q,
    };
    let rows = state
        .read(auth, move |conn, caller| {
            indicators::list(conn, caller.visibility(), &filter, page)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_storage(rows, Indicator::from)))
}

/// Add an indicator.
///
/// Adds an indicator to a component of a draft evaluation (409 once it is active or closed).
/// Its code is unique within the evaluation, ignoring case (409 naming `code`).
#[utoipa::path(
    tag = "indicators",
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    request_body = NewIndicator,
    responses(
        (status = 201, description = "Created", body = Indicator, headers(("Location" = String, description = "URL of the indicator"), ("ETag" = String, description = "Its version"))),
        (status = 409, response = Duplicate),
        (status = 422, response = Unprocessable),
    ),
    security(("bearer" = []))
)]
#[post("/indicators")]
pub async fn create_indicator(
    state: Data<AppState>,
    auth: Authenticated,
    key: IdempotencyKey,
    body: JsonBody<NewIndicator>,
) -> Result<HttpResponse> {
    let bytes = body.bytes().clone();
    idempotent::create(
        &state,
        auth,
        "/api/v1/indicators",
        key,
        &bytes,
        Caller::manages_evaluations,
        move |conn, caller, actor| {
            // The evaluation is named in the body: it is read before the object-level check.
            let stored = create(conn, caller, actor, body.parse()?)?;
            Ok(Created {
                location: format!("/api/v1/indicators/{}", stored.id),
                version: stored.version,
                body: Indicator::from(stored),
            })
        },
    )
    .await
}

fn create(
    conn: &mut DbConnection,
    caller: &Caller,
    actor: &Actor,
    new: NewIndicator,
) -> Result<StoredIndicator> {
    let (evaluation_id, component_id, spec) = new.into_parts();
    // An evaluation the caller cannot see is a field of the body that names nothing (422).
    let evaluation = match evaluations::get(conn, caller, evaluation_id, Access::Manage) {
        Err(Error::NotFound(_)) => Err(Error::invalid_field(
            "evaluation_id",
            format!("evaluation {evaluation_id} does not exist"),
        )),
        found => found,
    }?;
    indicators::create(conn, actor, &evaluation, component_id, spec)
}

/// Read an indicator.
///
/// One indicator with its criteria and maximum score, and its version as the `ETag`.
#[utoipa::path(
    tag = "indicators",
    params(("id" = i64, Path, description = "Indicator id")),
    responses((status = 200, description = "The indicator", body = Indicator, headers(("ETag" = String, description = "Its version"))), (status = 404, response = NotFound)),
    security(("bearer" = []))
)]
#[get("/indicators/{id}")]
pub async fn get_indicator(
    state: Data<AppState>,
    auth: Authenticated,
    id: Path<i64>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    let (stored, _) = state
        .read(auth, move |conn, caller| {
            indicators::get(conn, caller, id, Access::Read)
        })
        .await?;
    let version = stored.version;
    Ok(with_etag(&Indicator::from(stored), version))
}

/// Change an indicator.
///
/// A JSON Merge Patch with `If-Match`. While the evaluation is active its component, frequency,
/// score basis and aggregation are frozen (409 naming them); targets, criteria, weights and
/// baselines may change, each change audited. A closed evaluation is read-only (409). Once any
/// report names the indicator, its `code` is fixed (409 naming `code`).
#[utoipa::path(
    tag = "indicators",
    params(("id" = i64, Path, description = "Indicator id"), ("If-Match" = String, Header, description = "The ETag from the last read")),
    request_body(content = IndicatorPatch, content_type = "application/merge-patch+json"),
    responses(
        (status = 200, description = "The changed indicator", body = Indicator, headers(("ETag" = String, description = "Its new version"))),
        (status = 404, response = NotFound),
        (status = 409, response = InvalidState),
        (status = 412, response = PreconditionFailed),
        (status = 422, response = Unprocessable),
        (status = 428, response = PreconditionRequired),
    ),
    security(("bearer" = []))
)]
#[patch("/indicators/{id}")]
pub async fn patch_indicator(
    state: Data<AppState>,
    auth: Authenticated,
    id: Path<i64>,
    if_match: IfMatch,
    patch: JsonBody<IndicatorPatch>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    let stored = state
        .write(auth, move |conn, caller, actor| {
            update(conn, caller, actor, id, &if_match, &patch)
        })
        .await?;
    let version = stored.version;
    Ok(with_etag(&Indicator::from(stored), version))
}

/// Policy, then `If-Match`, then the body, then the rules.
fn update(
    conn: &mut DbConnection,
    caller: &Caller,
    actor: &Actor,
    id: i64,
    if_match: &IfMatch,
    patch: &JsonBody<IndicatorPatch>,
) -> Result<StoredIndicator> {
    let (current, evaluation) = indicators::get(conn, caller, id, Access::Manage)?;
    if_match.require(current.version)?;
    let resource = Indicator::from(current.clone());
    let merged: NewIndicator =
        merge_patch::apply_to(&resource, COMPUTED, FIXED, &patch.merge_patch()?)?;
    let (_, component_id, spec) = merged.into_parts();
    indicators::update(conn, actor, &evaluation, &current, component_id, spec)
}

/// Delete an indicator.
///
/// Deletes an indicator and its assignments from a draft evaluation (409 once it is active or
/// closed). With `If-Match`, only if it is unchanged.
#[utoipa::path(
    tag = "indicators",
    params(("id" = i64, Path, description = "Indicator id"), ("If-Match" = Option<String>, Header, description = "Optional: delete only if unchanged")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, response = NotFound),
        (status = 409, response = InvalidState),
        (status = 412, response = PreconditionFailed),
    ),
    security(("bearer" = []))
)]
#[delete("/indicators/{id}")]
pub async fn delete_indicator(
    state: Data<AppState>,
    auth: Authenticated,
    id: Path<i64>,
    if_match: IfMatch,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    state
        .write(auth, move |conn, caller, actor| {
            let (current, evaluation) = indicators::get(conn, caller, id, Access::Manage)?;
            if_match.check_if_present(current.version)?;
            indicators::delete(conn, actor, &evaluation, &current)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Every field of the resource is computed, fixed or writable, and every writable field is
    /// in the resource: a patch that names nothing changes nothing.
    #[test]
    fn an_empty_patch_reads_back_the_indicator_unchanged() {
        let new: NewIndicator = serde_json::from_value(json!({
            "evaluation_id": 1, "component_id": 2, "code": "E.1", "name": "ไฟฟ้า",
            "description": "ลดใช้ไฟฟ้า", "unit": "kWh", "category": "energy_reduction",
            "frequency": "quarterly", "over_time": "sum", "across_orgs": "sum",
            "score_basis": "reduction_from_baseline", "baseline": 5929.0, "target": 20.0,
            "weight": 2.0, "criteria": [{"value": 10.0, "score": 50.0}, {"value": 20.0, "score": 100.0}]
        }))
        .expect("new");
        let (evaluation_id, component_id, spec) = new.into_parts();
        let stored = StoredIndicator {
            id: 5,
            evaluation_id,
            component_id,
            spec: spec.clone(),
            version: 3,
            created_at: chrono::NaiveDateTime::default(),
            updated_at: chrono::NaiveDateTime::default(),
        };
        let merged: NewIndicator =
            merge_patch::apply_to(&Indicator::from(stored), COMPUTED, FIXED, &json!({}))
                .expect("merged");
        assert_eq!(merged.into_parts(), (1, 2, spec));
    }
}
