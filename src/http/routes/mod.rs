//! Route handlers, one module per resource. `register` is the one list of routes: the router
//! and the OpenAPI document are both built from it.

pub mod assignments;
pub mod audit;
pub mod auth;
pub mod batch;
pub mod components;
pub mod evaluations;
pub mod framework;
pub mod health;
pub mod indicators;
pub mod organizations;
pub mod pages;
pub mod rankings;
pub mod rounds;
pub mod snapshots;
pub mod submissions;
pub mod summary;
pub mod users;
pub mod worklist;

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
                .service(assignments::list_organization_assignments)
                .service(worklist::organization_work_list)
                .service(evaluations::list_evaluations)
                .service(evaluations::create_evaluation)
                .service(evaluations::get_evaluation)
                .service(evaluations::patch_evaluation)
                .service(framework::get_framework)
                .service(framework::put_framework)
                .service(components::list_components)
                .service(components::create_component)
                .service(components::get_component)
                .service(components::patch_component)
                .service(components::delete_component)
                .service(indicators::list_indicators)
                .service(indicators::create_indicator)
                .service(indicators::get_indicator)
                .service(indicators::patch_indicator)
                .service(indicators::delete_indicator)
                .service(assignments::list_indicator_assignments)
                .service(assignments::create_assignment)
                .service(assignments::get_assignment)
                .service(assignments::patch_assignment)
                .service(assignments::delete_assignment)
                .service(submissions::list_submissions)
                .service(submissions::create_submission)
                .service(batch::import_batch)
                .service(submissions::get_submission)
                .service(submissions::patch_submission)
                .service(submissions::delete_submission)
                .service(submissions::submit_submission)
                .service(submissions::approve_submission)
                .service(submissions::return_submission)
                .service(submissions::submission_history)
                .service(worklist::evaluation_overdue_list)
                .service(rounds::list_rounds)
                .service(rounds::create_round)
                .service(rounds::get_round)
                .service(rounds::patch_round)
                .service(rounds::delete_round)
                .service(summary::round_summary)
                .service(pages::round_summary_svg)
                .service(pages::round_summary_html)
                .service(summary::round_indicator)
                .service(rankings::fiscal_year_rankings)
                .service(snapshots::publish_snapshot)
                .service(snapshots::list_snapshots)
                .service(snapshots::get_snapshot)
                .service(pages::snapshot_summary_svg)
                .service(pages::snapshot_summary_html)
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

    /// Like `from_storage`, for rows whose stored values may fail to read back.
    pub fn try_from_storage<R>(
        page: pagination::Page<R>,
        f: impl FnMut(R) -> Result<T>,
    ) -> Result<Self> {
        Ok(Self {
            items: page.items.into_iter().map(f).collect::<Result<_>>()?,
            next_cursor: page.next_cursor,
        })
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
    /// The page asked for; a cursor outside [`CURSOR_PATTERN`] is refused (400) where it is
    /// decoded (`storage::pagination::decode_cursor`), so the service takes exactly what the
    /// contract allows.
    pub fn page(&self) -> Result<PageRequest> {
        PageRequest::parse(self.limit, self.cursor.as_deref())
    }
}

/// Every cursor the service gives out and accepts (`storage::pagination`): unpadded base64url
/// of `id:` and 1–18 decimal digits (so it always fits an i64). Published in the contract
/// (`#/components/parameters/Cursor`) so that a generated client never sends a cursor the
/// service refuses; `pagination::decode_cursor` accepts the same set (a unit test holds them
/// together).
pub const CURSOR_PATTERN: &str = concat!(
    "^aWQ6(?:",
    // three digits are four characters
    "(?:(?:[MN][DTjz]|O[DT])[AEIMQUYcgk][w-z0-5]){1,6}",
    "|(?:(?:[MN][DTjz]|O[DT])[AEIMQUYcgk][w-z0-5]){0,5}",
    // then one digit (two characters) or two digits (three characters)
    "(?:[MN][AQgw]|O[AQ]|(?:[MN][DTjz]|O[DT])[AEIMQUYcgk])",
    ")$"
);

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

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use proptest::prelude::*;

    fn pattern() -> regex::Regex {
        regex::Regex::new(CURSOR_PATTERN).expect("CURSOR_PATTERN compiles")
    }

    #[test]
    fn every_cursor_given_out_matches_the_pattern() {
        let pattern = pattern();
        for id in [
            0,
            1,
            9,
            10,
            49,
            50,
            99,
            100,
            12_345,
            i64::from(u32::MAX),
            999_999_999_999_999_999,
        ] {
            let cursor = pagination::encode_cursor(id);
            assert!(pattern.is_match(&cursor), "{id}: {cursor}");
            assert!(pagination::decode_cursor(&cursor).is_ok(), "{id}: {cursor}");
        }
        for refused in [
            "", "aWQ6", "nope", "aWQ6LTA", "aWQ6KzU", "aWQ6MQ==", "aWQ6MR",
        ] {
            assert!(pagination::decode_cursor(refused).is_err(), "{refused}");
            assert!(!pattern.is_match(refused), "{refused}");
        }
    }

    proptest! {
        /// What the pattern generates, the service accepts and decodes.
        #[test]
        fn what_the_pattern_allows_is_accepted(
            cursor in proptest::string::string_regex(
                CURSOR_PATTERN.trim_start_matches('^').trim_end_matches('$'),
            )
            .expect("regex"),
        ) {
            prop_assert!(pagination::decode_cursor(&cursor).is_ok(), "{cursor}");
            prop_assert!(pagination::decode_cursor(&cursor).is_ok(), "{cursor}");
        }

        /// And nothing else: any byte string behind `id:`, encoded, is accepted iff it matches.
        #[test]
        fn what_the_service_accepts_is_the_pattern(tail in proptest::collection::vec(any::<u8>(), 0..24), digits in "[0-9+-]{0,20}") {
            let pattern = pattern();
            for bytes in [[b"id:".as_slice(), &tail].concat(), format!("id:{digits}").into_bytes(), tail.clone()] {
                let cursor = URL_SAFE_NO_PAD.encode(&bytes);
                prop_assert_eq!(pagination::decode_cursor(&cursor).is_ok(), pattern.is_match(&cursor), "{}", cursor);
            }
        }

        #[test]
        fn arbitrary_text_is_accepted_iff_it_matches(text in "[A-Za-z0-9_=+/-]{0,30}") {
            prop_assert_eq!(pagination::decode_cursor(&text).is_ok(), pattern().is_match(&text), "{}", text);
        }
    }
}
