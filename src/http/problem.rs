//! RFC 9457 problem details: the one error body of the API, with a stable `type` per kind.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::openapi::{ContentBuilder, RefOr, Response, ResponseBuilder};
use utoipa::ToSchema;

use crate::error::{ConflictKind, Error, FieldError};

pub const PROBLEM_JSON: &str = "application/problem+json";
const TYPE_PREFIX: &str = "urn:provincial-kpi:problem:";

/// A problem (RFC 9457). Front-ends switch on `type`; `errors` lists each bad field.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "urn:provincial-kpi:problem:validation",
    "title": "The request breaks the rules",
    "status": 422,
    "detail": "the request breaks 1 rule(s)",
    "errors": [{"field": "name_th", "message": "must not be empty"}]
}))]
pub struct Problem {
    /// Stable identifier of the kind of problem, e.g. `urn:provincial-kpi:problem:not-found`.
    #[serde(rename = "type")]
    #[schema(rename = "type")]
    pub problem_type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// One entry per bad field; empty when the problem is not about a field.
    pub errors: Vec<FieldError>,
}

/// Every kind of problem, its status and its title: the table front-ends switch on.
pub const KINDS: &[(&str, u16, &str)] = &[
    ("bad-request", 400, "The request is malformed"),
    ("unauthorized", 401, "Authentication is required"),
    ("forbidden", 403, "You may not do this"),
    ("not-found", 404, "Not found"),
    ("method-not-allowed", 405, "Method not allowed"),
    ("duplicate", 409, "Already exists"),
    ("referenced", 409, "Still in use"),
    ("invalid-state", 409, "Not allowed in the current state"),
    (
        "idempotency-in-progress",
        409,
        "The first request with this Idempotency-Key is still running",
    ),
    ("precondition-failed", 412, "The resource has changed"),
    ("payload-too-large", 413, "The request body is too large"),
    ("unsupported-media-type", 415, "Unsupported content type"),
    ("validation", 422, "The request breaks the rules"),
    (
        "idempotency-key-reused",
        422,
        "Idempotency-Key reused with another body",
    ),
    ("precondition-required", 428, "If-Match is required"),
    ("too-many-requests", 429, "Too many attempts"),
    ("internal", 500, "Internal error"),
    ("unavailable", 503, "Service unavailable"),
];

impl Error {
    /// The problem `type` slug of this error.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::BadRequest { .. } => "bad-request",
            Error::Validation { .. } | Error::BatchRejected { .. } => "validation",
            Error::Unauthorized(_) => "unauthorized",
            Error::Forbidden(_) => "forbidden",
            Error::NotFound(_) => "not-found",
            Error::MethodNotAllowed(_) => "method-not-allowed",
            Error::Conflict { kind, .. } => match kind {
                ConflictKind::Duplicate => "duplicate",
                ConflictKind::Referenced => "referenced",
                ConflictKind::State => "invalid-state",
                ConflictKind::IdempotencyInProgress => "idempotency-in-progress",
            },
            Error::PreconditionRequired => "precondition-required",
            Error::PreconditionFailed { .. } => "precondition-failed",
            Error::PayloadTooLarge { .. } => "payload-too-large",
            Error::UnsupportedMediaType(_) => "unsupported-media-type",
            Error::IdempotencyKeyReused => "idempotency-key-reused",
            Error::TooManyRequests { .. } => "too-many-requests",
            Error::Unavailable(_) => "unavailable",
            Error::Internal(_) => "internal",
        }
    }

    pub fn to_problem(&self) -> Problem {
        let kind = self.kind();
        let (status, title) = KINDS
            .iter()
            .find(|(slug, _, _)| *slug == kind)
            .map(|(_, status, title)| (*status, *title))
            .unwrap_or((500, "Internal error"));
        let detail = match self {
            // Internals stay in the log.
            Error::Internal(_) => "an unexpected error occurred; it has been logged".to_owned(),
            other => other.to_string(),
        };
        let errors = match self {
            Error::BadRequest { errors, .. }
            | Error::Validation { errors }
            | Error::BatchRejected { errors, .. }
            | Error::Conflict { errors, .. } => errors.clone(),
            _ => Vec::new(),
        };
        Problem {
            problem_type: format!("{TYPE_PREFIX}{kind}"),
            title: title.to_owned(),
            status,
            detail,
            errors,
        }
    }
}

impl ResponseError for Error {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.to_problem().status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let problem = self.to_problem();
        let status = self.status_code();
        if status.is_server_error() {
            tracing::error!(error = %self, kind = self.kind(), "request failed");
        } else {
            tracing::debug!(error = %self, kind = self.kind(), "request refused");
        }
        let mut response = HttpResponse::build(status);
        response.content_type(PROBLEM_JSON);
        match self {
            Error::Unauthorized(_) => {
                response.insert_header((
                    header::WWW_AUTHENTICATE,
                    "Bearer realm=\"provincial-kpi\", error=\"invalid_token\"",
                ));
            }
            Error::TooManyRequests {
                retry_after_seconds,
            } => {
                response.insert_header((header::RETRY_AFTER, retry_after_seconds.to_string()));
            }
            Error::Unavailable(_) => {
                response.insert_header((header::RETRY_AFTER, "1"));
            }
            _ => {}
        }
        response.body(serde_json::to_string(&problem).unwrap_or_default())
    }
}

/// The reusable response of `components.responses` for one problem kind, with an example.
pub fn problem_response(
    kind: &str,
    description: &str,
    detail: &str,
    errors: Vec<FieldError>,
) -> RefOr<Response> {
    let (status, title) = KINDS
        .iter()
        .find(|(slug, _, _)| *slug == kind)
        .map(|(_, status, title)| (*status, *title))
        .unwrap_or((500, "Internal error"));
    let example = serde_json::json!({
        "type": format!("{TYPE_PREFIX}{kind}"),
        "title": title,
        "status": status,
        "detail": detail,
        "errors": errors,
    });
    ResponseBuilder::new()
        .description(description)
        .content(
            PROBLEM_JSON,
            ContentBuilder::new()
                .schema(Some(utoipa::openapi::Ref::from_schema_name("Problem")))
                .example(Some(example))
                .build(),
        )
        .build()
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::to_bytes;

    #[actix_web::test]
    async fn validation_error_is_pinned_problem_json() {
        let error = Error::Validation {
            errors: vec![FieldError::new("name_th", "must not be empty")],
        };
        let response = error.error_response();
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            response
                .headers()
                .get(header::CONTENT_TYPE)
                .map(|v| v.as_bytes()),
            Some(PROBLEM_JSON.as_bytes())
        );
        let body = to_bytes(response.into_body()).await.expect("body");
        let json: serde_json::Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(
            json,
            serde_json::json!({
                "type": "urn:provincial-kpi:problem:validation",
                "title": "The request breaks the rules",
                "status": 422,
                "detail": "the request breaks 1 rule(s)",
                "errors": [{"field": "name_th", "message": "must not be empty"}]
            })
        );
    }

    #[test]
    fn every_error_maps_to_a_listed_kind_and_internal_details_stay_hidden() {
        let samples = [
            Error::bad_request("x", vec![]),
            Error::Unauthorized("x".into()),
            Error::Forbidden("x".into()),
            Error::NotFound("x".into()),
            Error::conflict(ConflictKind::Referenced, "x"),
            Error::PreconditionRequired,
            Error::PreconditionFailed {
                current: "\"1\"".into(),
            },
            Error::PayloadTooLarge { limit: 1 },
            Error::UnsupportedMediaType("x".into()),
            Error::IdempotencyKeyReused,
            Error::TooManyRequests {
                retry_after_seconds: 1,
            },
            Error::Unavailable("x".into()),
            Error::Internal("secret detail".into()),
        ];
        for error in samples {
            let kind = error.kind();
            assert!(KINDS.iter().any(|(slug, _, _)| *slug == kind), "{kind}");
            assert!(!error.to_problem().detail.contains("secret"));
        }
        assert_eq!(
            Error::PreconditionRequired.status_code(),
            StatusCode::PRECONDITION_REQUIRED
        );
        assert!(Error::Unauthorized("x".into())
            .error_response()
            .headers()
            .get(header::WWW_AUTHENTICATE)
            .is_some());
    }
}
