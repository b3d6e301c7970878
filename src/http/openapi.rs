//! The OpenAPI document: collected from the handlers' annotations by utoipa-actix-web, then
//! completed here with the security scheme and the problem responses every operation shares.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{OpenApi, PathItem, Ref, RefOr, Response};
use utoipa::{Modify, ToResponse};

use super::problem::problem_response;
use crate::error::FieldError;

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "provincial-kpi",
        description = "Yearly evaluation of government agencies in Thai provinces \
(การประเมินส่วนราชการตามมาตรการปรับปรุงประสิทธิภาพในการปฏิบัติราชการของจังหวัด): weighted indicators, \
monthly reports, round summaries.\n\nAuthenticate with `POST /api/v1/auth/token`, then press \
**Authorize** and paste the `access_token`. Errors are `application/problem+json` (RFC 9457) with \
a stable `type`. Lists take `limit` (1–500, default 50) and an opaque `cursor`. `PATCH` is a JSON \
Merge Patch and needs `If-Match` with the resource's `ETag`. Creating `POST`s accept an \
`Idempotency-Key` header.",
        license(name = "MIT")
    ),
    modifiers(&BearerScheme),
    tags(
        (name = "auth", description = "Tokens and the caller's identity"),
        (name = "users", description = "Local accounts"),
        (name = "organizations", description = "The country, provinces, agencies, districts and local governments"),
        (name = "evaluations", description = "A province's yearly evaluation, its weighted components and the framework document"),
        (name = "indicators", description = "Indicators with scoring criteria, and the organizations assigned to them"),
        (name = "audit", description = "Who changed what, when"),
        (name = "operations", description = "Health, readiness and metrics for operators"),
    )
)]
pub struct ApiDoc;

struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("A token from POST /api/v1/auth/token (or from the configured identity provider)"))
                    .build(),
            ),
        );
    }
}

/// Declares a reusable problem response (`#/components/responses/NAME`).
macro_rules! problem_responses {
    ($($name:ident => ($kind:literal, $description:literal, $detail:literal $(, $field:literal : $message:literal)*)),* $(,)?) => {
        $(
            pub struct $name;
            impl<'r> ToResponse<'r> for $name {
                fn response() -> (&'r str, RefOr<Response>) {
                    (
                        stringify!($name),
                        problem_response($kind, $description, $detail, vec![$(FieldError::new($field, $message)),*]),
                    )
                }
            }
        )*
        fn all_problem_responses() -> Vec<(&'static str, RefOr<Response>)> {
            vec![$(<$name as ToResponse>::response()),*]
        }
    };
}

problem_responses! {
    BadRequest => ("bad-request", "Malformed request: unparsable JSON, a wrong type, an unknown field or a bad parameter", "the request body is not valid for this operation", "name_th": "invalid type: integer `5`, expected a string at line 1 column 14"),
    Unauthorized => ("unauthorized", "Missing, expired or invalid bearer token", "the token has expired"),
    Forbidden => ("forbidden", "The caller's role or scope does not allow this", "a province administrator manages only the organizations under its own province"),
    NotFound => ("not-found", "No such resource, or not visible to the caller", "organization 9999 does not exist or is not visible to you"),
    Duplicate => ("duplicate", "A unique value is already taken", "the code YST-PEO is already taken; choose another", "code": "the code YST-PEO is already taken; choose another"),
    Referenced => ("referenced", "Still referenced by other records", "organization TH-35 is still referenced by 29 organization(s) under it and 4 account(s); move or delete those first"),
    InvalidState => ("invalid-state", "Not allowed in the resource's current state", "the evaluation is closed and read-only"),
    IdempotencyInProgress => ("idempotency-in-progress", "The first request with this Idempotency-Key is still running", "the first request with this Idempotency-Key is still running; retry shortly"),
    PreconditionFailed => ("precondition-failed", "If-Match does not match the current ETag", "the resource has changed since it was read (current ETag \"4\")"),
    PayloadTooLarge => ("payload-too-large", "The body is over the size limit", "the request body is larger than the limit of 1048576 bytes"),
    UnsupportedMediaType => ("unsupported-media-type", "The body is not JSON", "send the body as JSON with Content-Type: application/json"),
    Unprocessable => ("validation", "The request breaks a rule; every problem is listed", "the request breaks 1 rule(s)", "parent_id": "a province's parent must be the country or none"),
    IdempotencyKeyReused => ("idempotency-key-reused", "The Idempotency-Key was used with another body", "this Idempotency-Key was used with a different request body; use a new key for a new request"),
    PreconditionRequired => ("precondition-required", "PATCH needs If-Match", "this request needs an If-Match header with the resource's current ETag"),
    TooManyRequests => ("too-many-requests", "Too many failed attempts; see Retry-After", "too many failed attempts; try again in 900 s"),
    Unavailable => ("unavailable", "The database is unreachable or busy; retry", "no database connection available"),
}

fn reference(name: &str) -> RefOr<Response> {
    RefOr::Ref(Ref::new(format!("#/components/responses/{name}")))
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut utoipa::openapi::path::Operation> {
    [
        item.get.as_mut(),
        item.put.as_mut(),
        item.post.as_mut(),
        item.delete.as_mut(),
        item.patch.as_mut(),
    ]
    .into_iter()
    .flatten()
}

/// Adds what every operation of `/api/v1` can answer, so no one repeats it by hand: 401/403
/// where a token is required, 400 where there is input, 413/415 where there is a body, 503
/// when the database is unreachable.
pub fn finish(mut api: OpenApi) -> OpenApi {
    let components = api.components.get_or_insert_with(Default::default);
    let mut schemas = vec![(
        "Problem".to_owned(),
        <super::problem::Problem as utoipa::PartialSchema>::schema(),
    )];
    <super::problem::Problem as utoipa::ToSchema>::schemas(&mut schemas);
    components.schemas.extend(schemas);
    for (name, response) in all_problem_responses() {
        components.responses.insert(name.to_owned(), response);
    }
    for (path, item) in api.paths.paths.iter_mut() {
        if !path.starts_with("/api/") {
            continue;
        }
        for operation in operations(item) {
            let responses = &mut operation.responses.responses;
            let mut add = |status: &str, name: &str| {
                responses
                    .entry(status.to_owned())
                    .or_insert_with(|| reference(name));
            };
            let has_input = operation
                .parameters
                .as_ref()
                .is_some_and(|params| !params.is_empty())
                || operation.request_body.is_some();
            if has_input {
                add("400", "BadRequest");
            }
            if operation.request_body.is_some() {
                add("413", "PayloadTooLarge");
                add("415", "UnsupportedMediaType");
            }
            if operation.security.as_ref().is_some_and(|s| !s.is_empty()) {
                add("401", "Unauthorized");
                add("403", "Forbidden");
            }
            add("503", "Unavailable");
        }
    }
    api
}
