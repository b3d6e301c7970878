//! The OpenAPI document: collected from the handlers' annotations by utoipa-actix-web, then
//! completed here with the security scheme and the problem responses every operation shares.

use std::collections::BTreeSet;

use utoipa::openapi::example::Example;
use utoipa::openapi::path::Parameter;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{OpenApi, PathItem, Ref, RefOr, Response, Schema};
use utoipa::{Modify, ToResponse};

use super::extract::IDEMPOTENCY_KEY_PATTERN;
use super::problem::{problem_response, PROBLEM_JSON};
use super::routes::CURSOR_PATTERN;
use crate::domain::text::TEXT_PATTERN;
use crate::error::FieldError;
use crate::storage::pagination::{DEFAULT_LIMIT, MAX_LIMIT};

mod links;

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
        license(name = "MIT"),
        contact(name = "provincial-kpi maintainers")
    ),
    // Relative: the document describes the server that serves it (Swagger UI, generated
    // clients and schemathesis all resolve it against where they read the document).
    servers((url = "/", description = "The server this document is served from")),
    modifiers(&BearerScheme),
    tags(
        (name = "auth", description = "Tokens and the caller's identity"),
        (name = "users", description = "Local accounts"),
        (name = "organizations", description = "The country, provinces, agencies, districts and local governments"),
        (name = "evaluations", description = "A province's yearly evaluation, its weighted components and the framework document"),
        (name = "indicators", description = "Indicators with scoring criteria, and the organizations assigned to them"),
        (name = "submissions", description = "Monthly reports (ผลการดำเนินงานรายเดือน): filing, review (submit, approve, return) and history"),
        (name = "rounds", description = "Rounds (รอบการประเมิน): named windows of months of an evaluation, such as the 6-month and 12-month rounds, that summaries cover"),
        (name = "rankings", description = "Provinces compared: a fiscal year's evaluations ranked by a round's overall percent"),
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
    BadRequest => ("bad-request", "Malformed request: unparsable JSON, a wrong type, an unknown field or a bad parameter", "the request body is not valid for this operation", "name_th": "invalid type: integer `5`, expected a string"),
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

/// The parameters many operations share, defined once (`#/components/parameters/NAME`) with
/// the exact constraints the service checks. `finish` replaces every parameter of that name and
/// location, whatever a handler wrote, by a reference to the shared one: a handler needs only
/// `("Idempotency-Key" = Option<String>, Header)` or a `limit`/`cursor` field in its query.
fn shared_parameters() -> Vec<(&'static str, Parameter)> {
    let parameter = |value: serde_json::Value| -> Parameter {
        serde_json::from_value(value).unwrap_or_else(|error| {
            // A typo here is caught by the contract tests on the first run.
            tracing::error!(%error, "a shared parameter does not deserialize");
            Parameter::new("invalid")
        })
    };
    vec![
        (
            "IdempotencyKey",
            parameter(serde_json::json!({
                "name": "Idempotency-Key",
                "in": "header",
                "required": false,
                "description": "Makes a retry safe: the same key and body from the same caller on \
            the same path return the first response (status and body) for 24 hours; the same key with another \
            body is a 422 (`idempotency-key-reused`); a repeat while the first is still running is a 409 \
            (`idempotency-in-progress`). 1–255 visible ASCII characters, e.g. a UUID.",
                "schema": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": 255,
                    "pattern": IDEMPOTENCY_KEY_PATTERN,
                    "example": "7d0f3c1e-2b9a-4c55-9e1d-0a1b2c3d4e5f"
                }
            })),
        ),
        (
            "Limit",
            parameter(serde_json::json!({
                "name": "limit",
                "in": "query",
                "required": false,
                "description": format!("Page size, 1–{MAX_LIMIT} (default {DEFAULT_LIMIT})."),
                "schema": {
                    "type": "integer",
                    "format": "int64",
                    "minimum": 1,
                    "maximum": MAX_LIMIT,
                    "default": DEFAULT_LIMIT
                }
            })),
        ),
        (
            "Cursor",
            parameter(serde_json::json!({
                "name": "cursor",
                "in": "query",
                "required": false,
                "description": "The `next_cursor` of the previous page, as given (opaque: do not \
            build one). Absent for the first page.",
                "schema": {
                    "type": "string",
                    "pattern": CURSOR_PATTERN,
                    "example": crate::storage::pagination::encode_cursor(50)
                }
            })),
        ),
    ]
}

fn parameter_key(parameter: &Parameter) -> (String, serde_json::Value) {
    (
        parameter.name.to_ascii_lowercase(),
        serde_json::to_value(&parameter.parameter_in).unwrap_or_default(),
    )
}

/// Swaps each parameter that has a shared definition for a reference to it.
fn use_shared_parameters(api: &mut OpenApi) {
    let shared = shared_parameters();
    for item in api.paths.paths.values_mut() {
        for operation in operations(item) {
            for parameter in operation.parameters.iter_mut().flatten() {
                let RefOr::T(inline) = parameter else {
                    continue;
                };
                let key = parameter_key(inline);
                if let Some((name, _)) = shared.iter().find(|(_, p)| parameter_key(p) == key) {
                    *parameter = RefOr::Ref(Ref::new(format!("#/components/parameters/{name}")));
                }
            }
        }
    }
    let components = api.components.get_or_insert_with(Default::default);
    for (name, parameter) in shared {
        components
            .parameters
            .insert(name.to_owned(), RefOr::T(parameter));
    }
}

fn has_idempotency_key(operation: &utoipa::openapi::path::Operation) -> bool {
    operation.parameters.iter().flatten().any(|parameter| {
        matches!(parameter, RefOr::Ref(r) if r.ref_location == "#/components/parameters/IdempotencyKey")
    })
}

/// The problem+json examples of a reusable response, by problem kind.
fn problem_examples(response: &Response) -> Vec<(String, serde_json::Value)> {
    let Some(RefOr::T(content)) = response.content.get(PROBLEM_JSON) else {
        return Vec::new();
    };
    let mut examples: Vec<(String, serde_json::Value)> = content
        .examples
        .iter()
        .filter_map(|(name, example)| match example {
            RefOr::T(example) => example.value.clone().map(|value| (name.clone(), value)),
            RefOr::Ref(_) => None,
        })
        .collect();
    if let Some(value) = &content.example {
        let kind = value["type"]
            .as_str()
            .and_then(|t| t.rsplit(':').next())
            .unwrap_or("problem")
            .to_owned();
        examples.push((kind, value.clone()));
    }
    examples
}

/// Makes `status` of an operation also document the problem response `extra`: a plain
/// reference when the operation declares nothing there, else a response that names both
/// (`#/components/responses/{First}Or{Extra}`, one example per kind).
fn also_answers(
    components: &mut utoipa::openapi::Components,
    responses: &mut std::collections::BTreeMap<String, RefOr<Response>>,
    status: &str,
    extra: &str,
) {
    let current = match responses.get(status) {
        None => {
            responses.insert(status.to_owned(), reference(extra));
            return;
        }
        Some(RefOr::Ref(r)) => r.ref_location.clone(),
        // An inline response is the handler's own wording: leave it.
        Some(RefOr::T(_)) => return,
    };
    let Some(first) = current.strip_prefix("#/components/responses/") else {
        return;
    };
    if first == extra || first.ends_with(&format!("Or{extra}")) {
        return;
    }
    let combined = format!("{first}Or{extra}");
    if !components.responses.contains_key(&combined) {
        let (Some(RefOr::T(a)), Some(RefOr::T(b))) = (
            components.responses.get(first).cloned(),
            components.responses.get(extra).cloned(),
        ) else {
            return;
        };
        let mut content = utoipa::openapi::ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("Problem")))
            .build();
        for (kind, value) in problem_examples(&a).into_iter().chain(problem_examples(&b)) {
            let mut example = Example::new();
            example.value = Some(value);
            content.examples.insert(kind, RefOr::T(example));
        }
        let description = format!(
            "{}; or: {}",
            a.description.trim_end_matches('.'),
            b.description.trim_end_matches('.').to_lowercase_first()
        );
        let response = utoipa::openapi::ResponseBuilder::new()
            .description(description)
            .content(PROBLEM_JSON, content)
            .build();
        components
            .responses
            .insert(combined.clone(), RefOr::T(response));
    }
    responses.insert(status.to_owned(), reference(&combined));
}

trait LowercaseFirst {
    fn to_lowercase_first(&self) -> String;
}

impl LowercaseFirst for str {
    fn to_lowercase_first(&self) -> String {
        let mut chars = self.chars();
        match chars.next() {
            Some(first) => first.to_lowercase().chain(chars).collect(),
            None => String::new(),
        }
    }
}

/// utoipa inlines a generic argument: `Page<Organization>` repeats `Organization` inside
/// `Page_Organization`. Where the inlined copy is exactly a named schema, refer to it instead,
/// so a generated client has one `Organization` type.
fn refer_to_page_items(api: &mut OpenApi) {
    let Some(components) = api.components.as_mut() else {
        return;
    };
    let named: Vec<(String, serde_json::Value)> = components
        .schemas
        .iter()
        .filter_map(|(name, schema)| Some((name.clone(), serde_json::to_value(schema).ok()?)))
        .collect();
    for (name, schema) in components.schemas.iter_mut() {
        let Some(item) = name.strip_prefix("Page_") else {
            continue;
        };
        let Some((_, item_schema)) = named.iter().find(|(n, _)| n == item) else {
            continue;
        };
        let RefOr::T(Schema::Object(page)) = schema else {
            continue;
        };
        let Some(RefOr::T(Schema::Array(items))) = page.properties.get_mut("items") else {
            continue;
        };
        let utoipa::openapi::schema::ArrayItems::RefOrSchema(inner) = &mut items.items else {
            continue;
        };
        if serde_json::to_value(&**inner).ok().as_ref() == Some(item_schema) {
            **inner = RefOr::Ref(Ref::from_schema_name(item));
        }
    }
}

/// Text the service accepts (`domain::text`): every free-text string a client sends carries
/// [`TEXT_PATTERN`], so a generated client never sends a control character the service
/// refuses. Strings with a `pattern`, `format` or `enum` of their own are left as they are.
fn state_the_text_rule(api: &mut OpenApi) {
    let mut names = BTreeSet::new();
    for item in api.paths.paths.values_mut() {
        for operation in operations(item) {
            // Query values (header values cannot carry controls; paths take ids).
            for parameter in operation.parameters.iter_mut().flatten() {
                if let RefOr::T(parameter) = parameter {
                    if parameter.parameter_in == utoipa::openapi::path::ParameterIn::Query {
                        if let Some(schema) = parameter.schema.as_mut() {
                            add_text_pattern(schema, &mut names);
                        }
                    }
                }
            }
            if let Some(RefOr::T(body)) = operation.request_body.as_mut() {
                for content in body.content.values_mut() {
                    if let RefOr::T(content) = content {
                        if let Some(schema) = content.schema.as_mut() {
                            add_text_pattern(schema, &mut names);
                        }
                    }
                }
            }
        }
    }
    let Some(components) = api.components.as_mut() else {
        return;
    };
    let mut done = BTreeSet::new();
    while let Some(name) = names.iter().find(|n| !done.contains(*n)).cloned() {
        done.insert(name.clone());
        if let Some(schema) = components.schemas.get_mut(&name) {
            add_text_pattern(schema, &mut names);
        }
    }
}

/// Adds [`TEXT_PATTERN`] to the free-text strings of `schema`; collects the names it refers to.
fn add_text_pattern(schema: &mut RefOr<Schema>, refs: &mut BTreeSet<String>) {
    use utoipa::openapi::schema::{AdditionalProperties, ArrayItems, SchemaType, Type};
    let schema = match schema {
        RefOr::Ref(reference) => {
            if let Some(name) = reference.ref_location.strip_prefix("#/components/schemas/") {
                refs.insert(name.to_owned());
            }
            return;
        }
        RefOr::T(schema) => schema,
    };
    match schema {
        Schema::Object(object) => {
            let is_string = match &object.schema_type {
                SchemaType::Type(t) => *t == Type::String,
                SchemaType::Array(types) => types.contains(&Type::String),
                SchemaType::AnyValue => false,
            };
            // A password is text too (`format: password` only tells a UI to hide it).
            let free_format = object.format.as_ref().is_none_or(|format| {
                serde_json::to_value(format).ok() == Some(serde_json::json!("password"))
            });
            if is_string && object.pattern.is_none() && free_format && object.enum_values.is_none()
            {
                object.pattern = Some(TEXT_PATTERN.to_owned());
            }
            for property in object.properties.values_mut() {
                add_text_pattern(property, refs);
            }
            if let Some(AdditionalProperties::RefOr(inner)) =
                object.additional_properties.as_deref_mut()
            {
                add_text_pattern(inner, refs);
            }
        }
        Schema::Array(array) => {
            if let ArrayItems::RefOrSchema(items) = &mut array.items {
                add_text_pattern(items, refs);
            }
        }
        Schema::OneOf(one_of) => one_of
            .items
            .iter_mut()
            .for_each(|item| add_text_pattern(item, refs)),
        Schema::AllOf(all_of) => all_of
            .items
            .iter_mut()
            .for_each(|item| add_text_pattern(item, refs)),
        Schema::AnyOf(any_of) => any_of
            .items
            .iter_mut()
            .for_each(|item| add_text_pattern(item, refs)),
        _ => {}
    }
}

/// Drops reusable problem responses that no operation refers to (the catalogue above is
/// larger than what the routes answer).
fn drop_unused_responses(api: &mut OpenApi) {
    let paths = serde_json::to_string(&api.paths).unwrap_or_default();
    let used: BTreeSet<String> = api
        .components
        .iter()
        .flat_map(|c| c.responses.keys())
        .filter(|name| paths.contains(&format!("\"#/components/responses/{name}\"")))
        .cloned()
        .collect();
    if let Some(components) = api.components.as_mut() {
        components.responses.retain(|name, _| used.contains(name));
    }
}

/// Adds what every operation of `/api/v1` can answer, so no one repeats it by hand: 401/403
/// where a token is required, 400 where there is input, 413/415/422 where there is a body, 503
/// when the database is unreachable, 409/422 where an `Idempotency-Key` is taken. Shared
/// parameters (`Idempotency-Key`, `limit`, `cursor`) become references to one definition.
pub fn finish(mut api: OpenApi) -> OpenApi {
    use_shared_parameters(&mut api);
    refer_to_page_items(&mut api);
    state_the_text_rule(&mut api);
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
                // Every body is checked for control characters (`extract::parse_json_value`).
                add("422", "Unprocessable");
            }
            if operation.security.as_ref().is_some_and(|s| !s.is_empty()) {
                add("401", "Unauthorized");
                add("403", "Forbidden");
            }
            add("503", "Unavailable");
            if has_idempotency_key(operation) {
                let responses = &mut operation.responses.responses;
                also_answers(components, responses, "409", "IdempotencyInProgress");
                also_answers(components, responses, "422", "IdempotencyKeyReused");
            }
        }
    }
    drop_unused_responses(&mut api);
    links::add(&mut api);
    api
}
