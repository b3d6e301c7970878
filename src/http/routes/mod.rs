//! Route handlers, one module per resource. `register` is the one list of routes: the router
//! and the OpenAPI document are both built from it.

pub mod audit;
pub mod auth;
pub mod evaluations;
pub mod health;
pub mod indicators;
pub mod organizations;
pub mod users;

use actix_web::http::header;
use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::extract::etag;
use crate::error::Result;
use crate::storage::pagination::{self, PageRequest};

pub fn register(cfg: &mut ServiceConfig) {
    cfg.service(health::healthz)
        .service(health::readyz)
        .service(health::metrics)
        .service(
            utoipa_actix_web::scope("/api/v1")
                .service(auth::issue_token)
                .service(auth::me)
                .service(users::list_users)
                .service(users::create_user)
                .service(users::get_user)
                .service(users::patch_user)
                .service(organizations::list_organizations)
                .service(organizations::create_organization)
                .service(organizations::get_organization)
                .service(organizations::patch_organization)
                .service(organizations::delete_organization)
                .service(indicators::list_organization_assignments)
                .service(evaluations::list_evaluations)
                .service(evaluations::create_evaluation)
                .service(evaluations::get_evaluation)
                .service(evaluations::patch_evaluation)
                .service(evaluations::get_framework)
                .service(evaluations::put_framework)
                .service(evaluations::list_components)
                .service(evaluations::create_component)
                .service(evaluations::get_component)
                .service(evaluations::patch_component)
                .service(evaluations::delete_component)
                .service(indicators::list_indicators)
                .service(indicators::create_indicator)
                .service(indicators::get_indicator)
                .service(indicators::patch_indicator)
                .service(indicators::delete_indicator)
                .service(indicators::list_indicator_assignments)
                .service(indicators::create_assignment)
                .service(indicators::get_assignment)
                .service(indicators::patch_assignment)
                .service(indicators::delete_assignment)
                .service(audit::list_audit_events),
        );
}

/// One page of a list, ordered by id. Pass `next_cursor` as `cursor` for the next page.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T: ToSchema> {
    pub items: Vec<T>,
    /// Absent on the last page.
    #[schema(example = "aWQ6NTA")]
    pub next_cursor: Option<String>,
}

impl<T: ToSchema> Page<T> {
    pub fn from_storage<R>(page: pagination::Page<R>, f: impl FnMut(R) -> T) -> Self {
        let page = page.map(f);
        Self {
            items: page.items,
            next_cursor: page.next_cursor,
        }
    }
}

/// `limit` and `cursor`, shared by every list. Query parameters: without `parameter_in`,
/// utoipa-actix-web declares them `in: path` on a path with a `{segment}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Page size, 1–500.
    #[param(minimum = 1, maximum = 500, default = 50)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl PageParams {
    pub fn page(&self) -> Result<PageRequest> {
        PageRequest::parse(self.limit, self.cursor.as_deref())
    }
}

/// 200 with the representation and its strong ETag.
pub fn with_etag<T: Serialize>(body: &T, version: i64) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::ETAG, etag(version)))
        .json(body)
}

/// Instants as the API shows them: UTC, RFC 3339, microseconds.
pub fn timestamp(stored: chrono::NaiveDateTime) -> chrono::DateTime<chrono::Utc> {
    crate::storage::to_utc(stored)
}
