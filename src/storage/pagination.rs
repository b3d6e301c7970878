//! Keyset pagination by id with opaque cursors: `?limit=` (1–500, default 50) and `?cursor=`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use diesel::dsl::{Asc, Gt};
use diesel::query_dsl::methods::{FilterDsl, LimitDsl, OrderDsl};
use diesel::sql_types::BigInt;
use diesel::ExpressionMethods;

use crate::error::{Error, FieldError, Result};

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 500;

/// A validated page request: at most `limit` rows with an id greater than `after`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: i64,
    pub after: Option<i64>,
}

impl PageRequest {
    pub fn parse(limit: Option<i64>, cursor: Option<&str>) -> Result<Self> {
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(Error::bad_request(
                "invalid query parameter",
                vec![FieldError::new(
                    "limit",
                    format!("must be between 1 and {MAX_LIMIT}"),
                )],
            ));
        }
        let after = cursor.map(decode_cursor).transpose()?;
        Ok(Self { limit, after })
    }

    /// Rows to fetch: one more than the page, to know whether another page follows.
    pub fn fetch_limit(self) -> i64 {
        self.limit + 1
    }

    /// A list query (boxed) cut to this page: ordered by `id`, after the cursor, one row more
    /// than the page (`finish` cuts it off).
    pub fn keyset<Q, C>(self, query: Q, id: C) -> Q
    where
        C: ExpressionMethods + diesel::Expression<SqlType = BigInt> + Copy,
        Q: OrderDsl<Asc<C>, Output = Q> + LimitDsl<Output = Q> + FilterDsl<Gt<C, i64>, Output = Q>,
    {
        let query = LimitDsl::limit(OrderDsl::order(query, id.asc()), self.fetch_limit());
        match self.after {
            Some(after) => FilterDsl::filter(query, id.gt(after)),
            None => query,
        }
    }

    /// Cuts the extra row off and makes the cursor of the next page.
    pub fn finish<T>(self, mut rows: Vec<T>, id_of: impl Fn(&T) -> i64) -> Page<T> {
        let has_more = rows.len() as i64 > self.limit;
        rows.truncate(self.limit as usize);
        let next_cursor = if has_more {
            rows.last().map(|row| encode_cursor(id_of(row)))
        } else {
            None
        };
        Page {
            items: rows,
            next_cursor,
        }
    }
}

#[derive(Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

pub fn encode_cursor(last_id: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("id:{last_id}"))
}

/// The id a cursor names. A cursor is canonical unpadded base64url of `id:` and 1–18 ASCII
/// digits — exactly the set the contract publishes (`http::routes::CURSOR_PATTERN`), so every
/// way a page is asked for (`PageRequest::parse`) takes what the contract allows and no more.
pub fn decode_cursor(cursor: &str) -> Result<i64> {
    let digits =
        |text: &str| (1..=18).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit());
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| {
            text.strip_prefix("id:")
                .filter(|id| digits(id))
                .and_then(|id| id.parse().ok())
        })
        .ok_or_else(|| {
            Error::bad_request(
                "invalid query parameter",
                vec![FieldError::new(
                    "cursor",
                    "is not a cursor this service gave out; use next_cursor from the previous page",
                )],
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_and_rejects_garbage() {
        assert_eq!(decode_cursor(&encode_cursor(42)).ok(), Some(42));
        assert!(decode_cursor("nope").is_err());
        assert!(decode_cursor(&URL_SAFE_NO_PAD.encode("id:-3")).is_err());
        // What the contract's pattern refuses, this refuses too: a sign, no digits, 19 digits.
        assert!(decode_cursor(&URL_SAFE_NO_PAD.encode("id:+3")).is_err());
        assert!(decode_cursor(&URL_SAFE_NO_PAD.encode("id:")).is_err());
        assert!(decode_cursor(&URL_SAFE_NO_PAD.encode("id:1000000000000000000")).is_err());
        assert_eq!(
            decode_cursor(&URL_SAFE_NO_PAD.encode("id:999999999999999999")).ok(),
            Some(999_999_999_999_999_999)
        );
    }

    #[test]
    fn limits_are_checked() {
        assert!(PageRequest::parse(Some(0), None).is_err());
        assert!(PageRequest::parse(Some(501), None).is_err());
        assert_eq!(
            PageRequest::parse(None, None).map(|p| p.limit).ok(),
            Some(50)
        );
    }

    #[test]
    fn finish_gives_a_cursor_only_when_more_follow() {
        let page = PageRequest::parse(Some(2), None).expect("valid");
        let full = page.finish(vec![1, 2, 3], |id| *id);
        assert_eq!(full.items, vec![1, 2]);
        assert_eq!(full.next_cursor, Some(encode_cursor(2)));
        assert!(page.finish(vec![1, 2], |id| *id).next_cursor.is_none());
    }
}
