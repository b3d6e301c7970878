//! The one error type of the service. Storage and domain code return it; the HTTP layer
//! (`http::problem`) maps each kind to an RFC 9457 problem with a stable `type`.

use serde::Serialize;
use utoipa::ToSchema;

/// A problem with one input field, so a front-end can put the message next to the field.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FieldError {
    /// Path of the field in the request, e.g. `name_th`, `criteria[1].value`, `query.limit`.
    #[schema(example = "name_th")]
    pub field: String,
    /// What is wrong, in words a person can act on.
    #[schema(example = "must not be empty")]
    pub message: String,
    /// Batch intake only: the 0-based item the problem is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, minimum = 0)]
    pub index: Option<usize>,
    /// Batch intake from CSV only: the line the item starts on (the header is line 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, minimum = 2)]
    pub line: Option<u64>,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
            index: None,
            line: None,
        }
    }
}

/// Every way a request can fail. The variant decides the status and the problem `type`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request is malformed: unparsable JSON, a wrong type, an unknown field, a bad query value.
    #[error("{detail}")]
    BadRequest {
        detail: String,
        errors: Vec<FieldError>,
    },
    /// Well-formed but breaks a rule of the domain.
    #[error("the request breaks {} rule(s)", errors.len())]
    Validation { errors: Vec<FieldError> },
    /// An atomic batch with rejected items: nothing was applied; `errors` name each item.
    #[error("{rejected} of {items} items are rejected, so nothing was applied (atomic batch); fix them or send atomic=false to apply the rest")]
    BatchRejected {
        rejected: usize,
        items: usize,
        errors: Vec<FieldError>,
    },
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// The request conflicts with the stored state (a duplicate code, a referenced row, a frozen field).
    #[error("{detail}")]
    Conflict {
        kind: ConflictKind,
        detail: String,
        errors: Vec<FieldError>,
    },
    #[error("this request needs an If-Match header with the resource's current ETag")]
    PreconditionRequired,
    #[error("the resource has changed since it was read (current ETag {current})")]
    PreconditionFailed { current: String },
    #[error("the request body is larger than the limit of {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("this Idempotency-Key was used with a different request body; use a new key for a new request")]
    IdempotencyKeyReused,
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("too many failed attempts; try again in {retry_after_seconds} s")]
    TooManyRequests { retry_after_seconds: u64 },
    /// The database cannot be reached or the pool is exhausted: worth retrying.
    #[error("{0}")]
    Unavailable(String),
    /// A bug or an unexpected storage failure. Logged in full, shown without internals.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Kinds of conflict, each its own problem `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConflictKind {
    /// A unique value (a code, a username) is taken.
    Duplicate,
    /// The row is still referenced by others and cannot be deleted.
    Referenced,
    /// The resource's state does not allow the change (frozen fields, closed evaluation).
    State,
    /// The same `Idempotency-Key` is still being processed.
    IdempotencyInProgress,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn bad_request(detail: impl Into<String>, errors: Vec<FieldError>) -> Self {
        Self::BadRequest {
            detail: detail.into(),
            errors,
        }
    }

    pub fn invalid_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation {
            errors: vec![FieldError::new(field, message)],
        }
    }

    /// `Ok(())` when nothing was collected, else one 422 listing every problem at once.
    pub fn check(errors: Vec<FieldError>) -> Result<()> {
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Self::Validation { errors })
        }
    }

    pub fn not_found(what: &str, id: impl std::fmt::Display) -> Self {
        Self::NotFound(format!(
            "{what} {id} does not exist or is not visible to you"
        ))
    }

    pub fn conflict(kind: ConflictKind, detail: impl Into<String>) -> Self {
        Self::Conflict {
            kind,
            detail: detail.into(),
            errors: Vec::new(),
        }
    }

    pub fn duplicate(field: &str, detail: impl Into<String>) -> Self {
        let detail = detail.into();
        Self::Conflict {
            kind: ConflictKind::Duplicate,
            errors: vec![FieldError::new(field, detail.clone())],
            detail,
        }
    }
}

impl From<diesel::result::Error> for Error {
    fn from(error: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error as D};
        match error {
            D::NotFound => Self::NotFound("the resource does not exist".into()),
            // Constraint violations that validation should have caught first; still a 409,
            // never a 500, when two requests race past the check.
            D::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                // Name the field, as the friendly checks do, from the index the request lost
                // its race on (PostgreSQL names it; SQLite's message names the columns).
                let index = info.constraint_name().unwrap_or_default();
                let text = format!("{index} {}", info.message());
                let field = [
                    ("code", "code"),
                    ("username", "username"),
                    ("organization", "organization_id"),
                ]
                .into_iter()
                .find(|(needle, _)| text.contains(needle))
                .map_or("body", |(_, field)| field);
                Self::duplicate(
                    field,
                    format!("this {field} is already taken (a concurrent request took it first)"),
                )
            }
            D::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, info) => Self::conflict(
                ConflictKind::Referenced,
                format!("the change would break a reference ({})", info.message()),
            ),
            // A CHECK or NOT NULL the validation did not foresee: still the client's input.
            D::DatabaseError(
                DatabaseErrorKind::CheckViolation | DatabaseErrorKind::NotNullViolation,
                info,
            ) => Self::Validation {
                errors: vec![FieldError::new(
                    info.column_name().unwrap_or("body"),
                    format!("the value breaks a storage rule ({})", info.message()),
                )],
            },
            D::DatabaseError(DatabaseErrorKind::ClosedConnection, info) => Self::Unavailable(
                format!("the database connection closed: {}", info.message()),
            ),
            D::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => {
                Self::Unavailable("a concurrent change interfered; retry the request".into())
            }
            D::DatabaseError(_, info) if is_busy(info.message()) => {
                Self::Unavailable("the database is busy; retry the request".into())
            }
            other => Self::Internal(format!("database error: {other}")),
        }
    }
}

fn is_busy(message: &str) -> bool {
    message.contains("database is locked") || message.contains("database is busy")
}

/// A reduction value without a baseline is stored data the rules did not write (activation
/// refuses such a framework): logged, an internal error, never a quiet figure.
impl From<crate::domain::scoring::MissingBaseline> for Error {
    fn from(error: crate::domain::scoring::MissingBaseline) -> Self {
        tracing::error!(%error, "stored data the rules did not write");
        Self::Internal(error.to_string())
    }
}

impl From<r2d2::Error> for Error {
    fn from(error: r2d2::Error) -> Self {
        Self::Unavailable(format!("no database connection available: {error}"))
    }
}
