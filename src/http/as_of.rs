//! The `as_of` query parameter of every operation that computes at an instant (work lists,
//! the overdue list, summaries): an RFC 3339 instant parsed once, with a message a person can
//! act on, and only instants every client can read back when the response echoes them.

use chrono::{DateTime, Datelike, SubsecRound, Timelike, Utc};
use serde::{Deserialize, Deserializer};
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, SchemaType, Type};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

/// An instant to compute at: RFC 3339 with `Z` or an offset, years 0001–9999, no leap second,
/// kept to the microsecond like every instant the service stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AsOf(DateTime<Utc>);

const HOW: &str = "must be an RFC 3339 instant such as 2022-08-10T03:00:00Z, or with an offset \
                   written %2B07:00 in a URL (a bare + reads as a space)";

impl AsOf {
    /// The given instant, else now.
    pub fn or_now(as_of: Option<AsOf>) -> DateTime<Utc> {
        as_of.map_or_else(|| Utc::now().trunc_subsecs(6), |AsOf(instant)| instant)
    }

    fn parse(text: &str) -> Result<Self, String> {
        let instant = DateTime::parse_from_rfc3339(text)
            .map_err(|_| format!("`{}` {HOW}", text.escape_debug()))?
            .with_timezone(&Utc);
        // chrono reads `:60` as a nanosecond count of 1e9 or more; echoed back, JavaScript and
        // Python could not read it, nor a year outside 0001–9999 (`+10000-…`, `-0001-…`), and
        // SQLite compares instants as text, where `+10000` sorts before `2021`.
        if instant.nanosecond() >= 1_000_000_000 {
            return Err(
                "a leap second (:60) is not accepted; write the instant one second later, :00 \
                 of the next minute"
                    .into(),
            );
        }
        if !(1..=9999).contains(&instant.year()) {
            return Err(format!(
                "must be an instant in the years 0001–9999 (UTC); `{}` is not",
                text.escape_debug()
            ));
        }
        Ok(Self(instant.trunc_subsecs(6)))
    }
}

impl<'de> Deserialize<'de> for AsOf {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl PartialSchema for AsOf {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::String))
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
            .description(Some(
                "An instant, RFC 3339 (write `+` as `%2B`), years 0001–9999, no leap second",
            ))
            .examples([serde_json::json!("2022-08-10T03:00:00Z")])
            .into()
    }
}

impl ToSchema for AsOf {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rfc_3339_to_the_microsecond_and_refuses_what_clients_cannot_read() {
        let read = |text: &str| AsOf::parse(text).map(|AsOf(at)| at.to_rfc3339());
        assert_eq!(
            read("2022-08-10T10:00:00.1234567+07:00"),
            Ok("2022-08-10T03:00:00.123456+00:00".into())
        );
        assert_eq!(
            read("0001-01-01T00:00:00Z"),
            Ok("0001-01-01T00:00:00+00:00".into())
        );
        for bad in [
            "2022-08-10T03:00:00",
            "now",
            "",
            "2022-02-30T00:00:00Z",
            "2022-08-10T03:00:00 07:00",
        ] {
            let message = read(bad).expect_err(bad);
            assert!(message.contains("RFC 3339"), "{bad}: {message}");
        }
        for outside in ["9999-12-31T23:59:59-23:59", "0000-01-01T00:00:00Z"] {
            let message = read(outside).expect_err(outside);
            assert!(message.contains("0001–9999"), "{outside}: {message}");
        }
        assert!(read("2016-12-31T23:59:60Z")
            .expect_err("leap second")
            .contains("leap second"));
    }
}
