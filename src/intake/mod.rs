//! Reading batches (docs/DOMAIN.md, "Batch intake"): a JSON document or a CSV file into
//! `domain::batch::RawItem`s, one pass over a reader, holding only the items read. Shared by
//! `POST /submissions/batch` and the `import` command; the rules are the domain's.

pub mod csv;
pub mod json;

use crate::domain::batch::MAX_ITEMS;
use crate::error::{Error, FieldError};

/// A batch holds at most `MAX_ITEMS` items (422 naming `items`).
pub fn too_many_items() -> Error {
    Error::Validation {
        errors: vec![FieldError::new(
            "items",
            format!("a batch holds at most {MAX_ITEMS} items; split it into several"),
        )],
    }
}
