//! Request extractors that answer in problem+json with field-level messages: JSON bodies,
//! query strings, bearer tokens, `If-Match`, `Idempotency-Key`, and the request id.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::web::{Bytes, BytesMut, Data};
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use super::AppState;
use crate::auth::Claims;
use crate::error::{Error, FieldError, Result};

/// Default limit of a JSON request body (docs/API-DESIGN.md: 1 MiB).
pub const JSON_BODY_LIMIT: usize = 1024 * 1024;

/// A body limit for a scope that takes larger bodies (batch intake).
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// Turns a serde error at `path` into a field error a person can act on.
pub(crate) fn field_error(
    path: &serde_path_to_error::Path,
    message: String,
    root: &str,
) -> FieldError {
    let mut field = path.to_string();
    // serde reports a missing or unknown field on its container: name the field itself.
    for marker in ["missing field `", "unknown field `"] {
        if let Some(rest) = message.strip_prefix(marker) {
            if let Some(name) = rest.split('`').next() {
                if !field.ends_with(name) {
                    field = if field == "." || field == "?" || field.is_empty() {
                        name.to_owned()
                    } else {
                        format!("{field}.{name}")
                    };
                }
            }
        }
    }
    if field == "." || field == "?" || field.is_empty() {
        field = root.to_owned();
    }
    // serde_json appends " at line L column C": keep it, it locates syntax errors.
    FieldError::new(field, message)
}

/// Parses JSON into `T`, naming the field that is wrong: [`parse_json_value`], then
/// [`from_json_value`].
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    from_json_value(parse_json_value(bytes)?)
}

/// Most problems listed for one body (a body of a million NULs is refused in one line).
const MAX_TEXT_ERRORS: usize = 50;

/// Parses a whole JSON document, the one gate of every JSON body:
/// - one value and nothing after it but whitespace (else 400 naming `body`);
/// - no control character other than tab and line feed in any string or key
///   (`domain::text`; else 422 naming each field, e.g. `items[0].narrative`);
/// - a number with an integral value written as a fraction (`14.0`) is that integer, as
///   JSON Schema's `integer` says; its value is unchanged for number fields.
pub fn parse_json_value(bytes: &[u8]) -> Result<serde_json::Value> {
    let deserializer = &mut serde_json::Deserializer::from_slice(bytes);
    let mut value: serde_json::Value = serde_path_to_error::deserialize(&mut *deserializer)
        .map_err(|error| {
            let path = error.path().clone();
            let message = error.into_inner().to_string();
            Error::bad_request(
                "the request body is not valid for this operation",
                vec![field_error(&path, message, "body")],
            )
        })?;
    deserializer.end().map_err(|error| {
        Error::bad_request(
            "the request body is not valid for this operation",
            vec![FieldError::new(
                "body",
                format!("{error}: send one JSON value and nothing after it"),
            )],
        )
    })?;
    let mut errors = Vec::new();
    check_text(&value, &mut String::new(), &mut errors);
    Error::check(errors)?;
    integral_numbers_as_integers(&mut value);
    Ok(value)
}

/// Collects a field error for every string or key under `value` with a forbidden character;
/// `path` is named like serde_path_to_error does (`items[0].narrative`).
fn check_text(value: &serde_json::Value, path: &mut String, errors: &mut Vec<FieldError>) {
    use crate::domain::text::forbidden_character_message;
    use serde_json::Value;
    if errors.len() >= MAX_TEXT_ERRORS {
        return;
    }
    match value {
        Value::String(text) => {
            if let Some(message) = forbidden_character_message(text) {
                let field = if path.is_empty() {
                    "body"
                } else {
                    path.as_str()
                };
                errors.push(FieldError::new(field, message));
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                let length = path.len();
                path.push_str(&format!("[{index}]"));
                check_text(item, path, errors);
                path.truncate(length);
            }
        }
        Value::Object(fields) => {
            for (key, item) in fields {
                let length = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                match forbidden_character_message(key) {
                    Some(message) => {
                        // Name the key readably: its controls escaped.
                        path.push_str(&key.escape_debug().to_string());
                        errors.push(FieldError::new(
                            path.clone(),
                            format!("this field name {message}"),
                        ));
                    }
                    None => {
                        path.push_str(key);
                        check_text(item, path, errors);
                    }
                }
                path.truncate(length);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// `14.0` becomes `14`: serde refuses a fraction for an integer field, JSON Schema does not.
fn integral_numbers_as_integers(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Number(number) => {
            if let Some(float) = number.as_f64().filter(|_| number.is_f64()) {
                // i64's range is [-2^63, 2^63): inside it `as` converts an integral value exactly.
                const TWO_TO_63: f64 = 9_223_372_036_854_775_808.0;
                if float.fract() == 0.0 && (-TWO_TO_63..TWO_TO_63).contains(&float) {
                    *number = (float as i64).into();
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_numbers_as_integers),
        Value::Object(fields) => fields.values_mut().for_each(integral_numbers_as_integers),
        Value::Null | Value::Bool(_) | Value::String(_) => {}
    }
}

/// Deserializes an already-parsed JSON value into `T` (merge patches), naming the field.
pub fn from_json_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T> {
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().clone();
        let message = error.into_inner().to_string();
        Error::bad_request(
            "the request body is not valid for this operation",
            vec![field_error(&path, message, "body")],
        )
    })
}

pub(crate) fn is_json(req: &HttpRequest) -> bool {
    req.mime_type().ok().flatten().is_some_and(|mime| {
        mime.type_() == "application"
            && (mime.subtype() == "json" || mime.suffix().is_some_and(|s| s == "json"))
    })
}

/// Reads the whole body, refusing more than `limit` bytes with a 413.
pub async fn read_body(req: &HttpRequest, payload: &mut Payload, limit: usize) -> Result<Bytes> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit) {
        return Err(Error::PayloadTooLarge { limit });
    }
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            Error::bad_request(format!("the request body could not be read: {e}"), vec![])
        })?;
        if body.len() + chunk.len() > limit {
            return Err(Error::PayloadTooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// A JSON request body: `application/json` (or any `+json` type), at most 1 MiB unless the
/// scope sets a `BodyLimit`. The extractor only reads the bytes (413 past the limit): the
/// handler parses them with `parse` after the policy and precondition checks (policy first,
/// then preconditions, then the body), which is also where a body that is not JSON is refused
/// (415; such a body is not even read). The bytes are kept for `Idempotency-Key` comparison.
pub struct JsonBody<T> {
    bytes: Bytes,
    is_json: bool,
    target: PhantomData<fn() -> T>,
}

impl<T: DeserializeOwned> JsonBody<T> {
    /// The body as `T`; unknown fields are refused by the target type. Every body of the API
    /// is a JSON object: an array is refused here, since serde would read a struct from its
    /// elements by position, past the field names the contract and `deny_unknown_fields` check.
    pub fn parse(&self) -> Result<T> {
        self.require_json()?;
        let value = parse_json_value(&self.bytes)?;
        if !value.is_object() {
            return Err(Error::bad_request(
                "the request body must be a JSON object",
                vec![FieldError::new(
                    "body",
                    "must be a JSON object with named fields",
                )],
            ));
        }
        from_json_value(value)
    }

    fn require_json(&self) -> Result<()> {
        if self.is_json {
            Ok(())
        } else {
            Err(Error::UnsupportedMediaType(
                "send the body as JSON: Content-Type application/json (application/merge-patch+json for a PATCH)".into(),
            ))
        }
    }

    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// A JSON Merge Patch body checked against the operation's patch type `T` (unknown and
    /// read-only members, types, and `null` for a member that cannot be cleared are refused,
    /// as the contract states), returned as the document to merge.
    pub fn merge_patch(&self) -> Result<serde_json::Value> {
        self.require_json()?;
        let document = parse_json_value(&self.bytes)?;
        let _checked: T = from_json_value(document.clone())?;
        Ok(document)
    }
}

impl<T: 'static> FromRequest for JsonBody<T> {
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            let is_json = is_json(&req);
            let bytes = if is_json {
                let limit = req
                    .app_data::<BodyLimit>()
                    .map_or(JSON_BODY_LIMIT, |limit| limit.0);
                read_body(&req, &mut payload, limit).await?
            } else {
                Bytes::new()
            };
            Ok(Self {
                bytes,
                is_json,
                target: PhantomData,
            })
        })
    }
}

/// A query string parsed into `T`, with the parameter named in errors.
pub struct QueryParams<T>(pub T);

impl<T: DeserializeOwned> FromRequest for QueryParams<T> {
    type Error = Error;
    type Future = std::future::Ready<Result<Self>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // The text rule of bodies holds for query values too (`q` reaches the database).
        let refused: Vec<FieldError> = form_urlencoded::parse(req.query_string().as_bytes())
            .filter_map(|(name, value)| {
                crate::domain::text::forbidden_character_message(&value)
                    .or_else(|| crate::domain::text::forbidden_character_message(&name))
                    .map(|message| FieldError::new(name.escape_debug().to_string(), message))
            })
            .take(MAX_TEXT_ERRORS)
            .collect();
        if !refused.is_empty() {
            return std::future::ready(Err(Error::bad_request(
                "a query parameter is not valid",
                refused,
            )));
        }
        let parsed = serde_urlencoded::Deserializer::new(form_urlencoded::parse(
            req.query_string().as_bytes(),
        ));
        std::future::ready(
            serde_path_to_error::deserialize(parsed)
                .map(QueryParams)
                .map_err(|error| {
                    let path = error.path().clone();
                    let message = error.into_inner().to_string();
                    Error::bad_request(
                        "a query parameter is not valid",
                        vec![field_error(&path, message, "query")],
                    )
                }),
        )
    }
}

/// The verified bearer token of the request (401 when missing or invalid), with the request's
/// id for the audit trail. Handlers pass it to `AppState::read`/`write`, which resolve it to
/// the caller inside the request's transaction.
#[derive(Clone)]
pub struct Authenticated {
    pub claims: Claims,
    pub request_id: RequestId,
}

impl FromRequest for Authenticated {
    type Error = Error;
    type Future = std::future::Ready<Result<Self>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(authenticate(req).map(|claims| Authenticated {
            claims,
            request_id: request_id_of(req),
        }))
    }
}

fn authenticate(req: &HttpRequest) -> Result<Claims> {
    let state = req
        .app_data::<Data<AppState>>()
        .ok_or_else(|| Error::Internal("application state is missing".into()))?;
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(|| {
            Error::Unauthorized(
                "send `Authorization: Bearer <token>`; get a token from POST /api/v1/auth/token"
                    .into(),
            )
        })?
        .to_str()
        .map_err(|_| Error::Unauthorized("the Authorization header is not readable".into()))?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|token| !token.is_empty())
        .ok_or_else(|| {
            Error::Unauthorized("the Authorization header must be `Bearer <token>`".into())
        })?;
    state.tokens.verify(token)
}

/// The `If-Match` header, checked against a resource's current version.
/// Read leniently and judged in `require`, after the caller's policy checks: an unreadable
/// header is a 400 only for a caller who may make the change at all.
#[derive(Clone)]
pub struct IfMatch(Option<std::result::Result<String, ()>>);

impl IfMatch {
    /// 428 when absent; 400 when unreadable; 412 when no listed tag is the current strong ETag.
    pub fn require(&self, current_version: i64) -> Result<()> {
        let current = etag(current_version);
        let raw = match &self.0 {
            None => return Err(Error::PreconditionRequired),
            Some(Err(())) => {
                return Err(Error::bad_request(
                    "the If-Match header is not readable",
                    vec![FieldError::new("If-Match", "must be an ETag such as \"3\"")],
                ))
            }
            Some(Ok(raw)) => raw,
        };
        let matches = raw
            .split(',')
            .map(str::trim)
            .any(|tag| tag == "*" || tag == current);
        if matches {
            Ok(())
        } else {
            Err(Error::PreconditionFailed { current })
        }
    }

    /// For DELETE: checked when given, not required.
    pub fn check_if_present(&self, current_version: i64) -> Result<()> {
        match self.0 {
            None => Ok(()),
            Some(_) => self.require(current_version),
        }
    }
}

impl FromRequest for IfMatch {
    type Error = Error;
    type Future = std::future::Ready<Result<Self>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let value = req
            .headers()
            .get(header::IF_MATCH)
            .map(|v| v.to_str().map(str::to_owned).map_err(|_| ()));
        std::future::ready(Ok(IfMatch(value)))
    }
}

/// The strong ETag of a resource at `version`.
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// The optional `Idempotency-Key` header: 1–255 visible ASCII characters. Read leniently and
/// checked by `idempotent::create` after the caller's policy check, so a caller who may not
/// create learns that first.
pub struct IdempotencyKey(Option<std::result::Result<String, ()>>);

impl IdempotencyKey {
    pub fn is_present(&self) -> bool {
        self.0.is_some()
    }

    /// The key, if one was sent; 400 when it is not a valid key.
    pub fn validated(self) -> Result<Option<String>> {
        match self.0 {
            None => Ok(None),
            Some(Ok(key)) => Ok(Some(key)),
            Some(Err(())) => Err(Error::bad_request(
                "the Idempotency-Key header is not valid",
                vec![FieldError::new(
                    "Idempotency-Key",
                    "must be 1–255 visible ASCII characters, e.g. a UUID",
                )],
            )),
        }
    }
}

/// The keys [`IdempotencyKey`] accepts, as the contract states them
/// (`#/components/parameters/IdempotencyKey`): 1–255 visible ASCII characters (`!` to `~`).
pub const IDEMPOTENCY_KEY_PATTERN: &str = "^[!-~]{1,255}$";

/// Whether `key` matches [`IDEMPOTENCY_KEY_PATTERN`].
pub fn is_idempotency_key(key: &str) -> bool {
    (1..=255).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic())
}

impl FromRequest for IdempotencyKey {
    type Error = Error;
    type Future = std::future::Ready<Result<Self>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let key = req.headers().get("Idempotency-Key").map(|value| {
            value
                .to_str()
                .ok()
                .filter(|key| is_idempotency_key(key))
                .map(str::to_owned)
                .ok_or(())
        });
        std::future::ready(Ok(IdempotencyKey(key)))
    }
}

/// The id the `observe` middleware gave this request (also in the `X-Request-Id` header).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

impl FromRequest for RequestId {
    type Error = Error;
    type Future = std::future::Ready<Result<Self>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Ok(request_id_of(req)))
    }
}

fn request_id_of(req: &HttpRequest) -> RequestId {
    req.extensions()
        .get::<RequestId>()
        .cloned()
        .unwrap_or_else(|| RequestId(uuid::Uuid::new_v4().to_string()))
}

/// Handler for bad path segments (`/organizations/abc`).
pub fn path_error(_: actix_web::error::PathError, req: &HttpRequest) -> actix_web::Error {
    // A literal path under a template (`PATCH /submissions/batch` reached `/submissions/{id}`)
    // is that path with another method: 405, not a bad id.
    let routes = req.app_data::<actix_web::web::Data<super::RouteTable>>();
    if let Some(allowed) = routes.and_then(|routes| routes.methods_for(req.path())) {
        if !allowed.contains(req.method()) {
            let response = super::method_not_allowed(req, &allowed);
            return actix_web::error::InternalError::from_response("method not allowed", response)
                .into();
        }
    }
    // Name the segment that is not an id (`/rounds/1/indicators/abc` → `indicator_id`).
    let (field, value) = req
        .match_info()
        .iter()
        .find(|(_, value)| value.parse::<i64>().is_err())
        .map_or(("id".to_owned(), String::new()), |(name, value)| {
            (name.to_owned(), value.to_owned())
        });
    Error::bad_request(
        "a path parameter is not valid",
        vec![FieldError::new(
            field,
            format!(
                "`{}` is not an id: ids are whole numbers up to 9223372036854775807",
                value.escape_debug()
            ),
        )],
    )
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Sample {
        name: String,
        items: Vec<Item>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Item {
        value: f64,
    }

    fn first_field(result: Result<Sample>) -> (String, String) {
        match result {
            Err(Error::BadRequest { errors, .. }) => {
                (errors[0].field.clone(), errors[0].message.clone())
            }
            other => panic!("expected a bad request, got {other:?}"),
        }
    }

    #[test]
    fn json_errors_name_the_field() {
        let (field, _) = first_field(parse_json(br#"{"name":"a","items":[{"value":"x"}]}"#));
        assert_eq!(field, "items[0].value");
        let (field, message) = first_field(parse_json(br#"{"name":"a","items":[],"extra":1}"#));
        assert_eq!(field, "extra");
        assert!(message.contains("unknown field"));
        let (field, _) = first_field(parse_json(br#"{"items":[]}"#));
        assert_eq!(field, "name");
        let (field, _) = first_field(parse_json(b"{not json"));
        assert_eq!(field, "body");
    }

    #[test]
    fn nothing_but_whitespace_may_follow_the_value() {
        assert!(parse_json::<Sample>(b"{\"name\":\"a\",\"items\":[]} \n\t\r\n").is_ok());
        for trailing in [
            &b"{\"name\":\"a\",\"items\":[]} this is not JSON {{{"[..],
            b"{\"name\":\"a\",\"items\":[]}{}",
            b"{\"name\":\"a\",\"items\":[]}\0",
        ] {
            let (field, message) = first_field(parse_json(trailing));
            assert_eq!(field, "body");
            assert!(message.contains("trailing characters"), "{message}");
        }
    }

    fn text_errors(bytes: &[u8]) -> Vec<(String, String)> {
        match parse_json::<serde_json::Value>(bytes) {
            Err(Error::Validation { errors }) => {
                errors.into_iter().map(|e| (e.field, e.message)).collect()
            }
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn control_characters_are_refused_with_their_path() {
        let errors = text_errors(
            br#"{"name_th":"a\u0000b","items":[{"narrative":"ok\tfine\n"},{"narrative":"\r"}],"ok":"\u0085"}"#,
        );
        let fields: Vec<&str> = errors.iter().map(|(f, _)| f.as_str()).collect();
        // Object keys in sorted order (serde_json's map).
        assert_eq!(fields, vec!["items[1].narrative", "name_th", "ok"]);
        assert!(
            errors[1].1.contains("U+0000 at character 2"),
            "{}",
            errors[1].1
        );
        let key = text_errors(br#"{"nested":{"bad\u0001key":1}}"#);
        assert_eq!(key[0].0, "nested.bad\\u{1}key");
        assert_eq!(text_errors(br#""\u0007""#)[0].0, "body");
        let many = format!("[{}]", vec!["\"\\u0000\""; 500].join(","));
        assert_eq!(text_errors(many.as_bytes()).len(), MAX_TEXT_ERRORS);
        assert!(
            parse_json::<serde_json::Value>("{\"ชื่อ\":\"สำนักงาน\\tพลังงาน\"}".as_bytes()).is_ok()
        );
    }

    #[test]
    fn integral_fractions_are_integers() {
        #[derive(Debug, Deserialize)]
        struct Numbers {
            day: i64,
            weight: f64,
        }
        let numbers: Numbers = parse_json(br#"{"day": 14.0, "weight": 2.0}"#).expect("accepted");
        assert_eq!((numbers.day, numbers.weight), (14, 2.0));
        let (field, _) = match parse_json::<Numbers>(br#"{"day": 14.5, "weight": 1e300}"#) {
            Err(Error::BadRequest { errors, .. }) => (errors[0].field.clone(), ()),
            other => panic!("{other:?}"),
        };
        assert_eq!(field, "day");
        let big: Numbers = parse_json(br#"{"day": -3, "weight": 1e300}"#).expect("accepted");
        assert_eq!(big.weight, 1e300);
    }

    #[test]
    fn idempotency_key_check_is_the_published_pattern() {
        let pattern = regex::Regex::new(IDEMPOTENCY_KEY_PATTERN).expect("pattern");
        let long = "k".repeat(255);
        let too_long = "k".repeat(256);
        for key in [
            "7d0f3c1e-2b9a-4c55-9e1d-0a1b2c3d4e5f",
            "!",
            "~",
            long.as_str(),
            "",
            " ",
            "a b",
            " a",
            "a\t",
            "ก",
            "\u{7f}",
            too_long.as_str(),
        ] {
            assert_eq!(is_idempotency_key(key), pattern.is_match(key), "{key:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn idempotency_keys_match_the_pattern_exactly(key in "\\PC{0,3}[ -~]{0,258}\\PC{0,2}") {
            let pattern = regex::Regex::new(IDEMPOTENCY_KEY_PATTERN).expect("pattern");
            proptest::prop_assert_eq!(is_idempotency_key(&key), pattern.is_match(&key));
        }
    }

    #[test]
    fn if_match_rules() {
        assert!(matches!(
            IfMatch(None).require(3),
            Err(Error::PreconditionRequired)
        ));
        assert!(IfMatch(Some(Ok("\"3\"".into()))).require(3).is_ok());
        assert!(IfMatch(Some(Ok("*".into()))).require(3).is_ok());
        assert!(matches!(
            IfMatch(Some(Ok("\"2\"".into()))).require(3),
            Err(Error::PreconditionFailed { .. })
        ));
        assert!(
            IfMatch(Some(Ok("W/\"3\"".into()))).require(3).is_err(),
            "weak tags never match"
        );
        assert!(IfMatch(None).check_if_present(3).is_ok());
        // Unreadable (not visible ASCII): a 400, raised only when the handler asks, after
        // its policy checks.
        assert!(matches!(
            IfMatch(Some(Err(()))).require(3),
            Err(Error::BadRequest { .. })
        ));
    }
}
