//! `{evaluation_id, atomic, dry_run, items: [{indicator_code, …}]}` read in one pass: each item
//! straight into a `RawItem` (no JSON tree of the whole batch), an item's field of the wrong
//! type kept for the rules to reject that item alone.

use std::fmt;
use std::io::Read;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::too_many_items;
use crate::domain::batch::{Raw, RawItem, MAX_ITEMS};
use crate::error::{Error, Result};
use crate::http::extract::field_error;

/// A JSON batch as sent.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonBatch {
    pub evaluation_id: i64,
    #[serde(default)]
    pub atomic: bool,
    #[serde(default)]
    pub dry_run: bool,
    pub items: Items,
}

/// The items, numbered as they come.
#[derive(Debug)]
pub struct Items(pub Vec<RawItem>);

const TOO_MANY: &str = "too many items";

/// Reads a JSON batch: a syntax error, a wrong top-level field or a non-object item is a 400
/// naming where; more than `MAX_ITEMS` items a 422.
pub fn read(reader: impl Read) -> Result<JsonBatch> {
    let mut deserializer = serde_json::Deserializer::from_reader(reader);
    let batch: JsonBatch =
        serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
            let path = error.path().clone();
            let message = error.into_inner().to_string();
            if message.starts_with(TOO_MANY) {
                return too_many_items();
            }
            Error::bad_request(
                "the batch is not a valid JSON document for this operation",
                vec![field_error(&path, message, "body")],
            )
        })?;
    deserializer.end().map_err(|e| {
        Error::bad_request(
            "the batch is not a valid JSON document for this operation",
            vec![crate::error::FieldError::new("body", e.to_string())],
        )
    })?;
    Ok(batch)
}

impl<'de> Deserialize<'de> for Items {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ItemsVisitor;
        impl<'de> Visitor<'de> for ItemsVisitor {
            type Value = Items;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an array of items")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Items, A::Error> {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(MAX_ITEMS));
                while let Some(item) = seq.next_element_seed(ItemSeed(items.len()))? {
                    if items.len() == MAX_ITEMS {
                        return Err(de::Error::custom(TOO_MANY));
                    }
                    items.push(item);
                }
                Ok(Items(items))
            }
        }
        deserializer.deserialize_seq(ItemsVisitor)
    }
}

/// One item at `index`, its fields read as `Raw`.
struct ItemSeed(usize);

impl<'de> DeserializeSeed<'de> for ItemSeed {
    type Value = RawItem;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<RawItem, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ItemSeed {
    type Value = RawItem;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an item object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawItem, A::Error> {
        let mut item = RawItem::new(self.0, None);
        while let Some(name) = map.next_key::<String>()? {
            let value = map.next_value::<JsonRaw>()?.0;
            item.set(&name, value);
        }
        Ok(item)
    }
}

/// A field's value as JSON gives it.
struct JsonRaw(Raw);

impl<'de> Deserialize<'de> for JsonRaw {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RawVisitor;
        impl<'de> Visitor<'de> for RawVisitor {
            type Value = JsonRaw;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<JsonRaw, E> {
                Ok(JsonRaw(Raw::Text(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<JsonRaw, E> {
                Ok(JsonRaw(Raw::Text(v)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<JsonRaw, E> {
                Ok(JsonRaw(Raw::Number(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<JsonRaw, E> {
                Ok(JsonRaw(Raw::Number(v as f64)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<JsonRaw, E> {
                Ok(JsonRaw(Raw::Number(v as f64)))
            }
            fn visit_unit<E: de::Error>(self) -> Result<JsonRaw, E> {
                Ok(JsonRaw(Raw::Null))
            }
            fn visit_none<E: de::Error>(self) -> Result<JsonRaw, E> {
                Ok(JsonRaw(Raw::Null))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<JsonRaw, E> {
                Ok(JsonRaw(Raw::Other))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<JsonRaw, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(JsonRaw(Raw::Other))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JsonRaw, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(JsonRaw(Raw::Other))
            }
        }
        deserializer.deserialize_any(RawVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_are_read_as_sent() {
        let body = r#"{"evaluation_id": 1, "atomic": true, "items": [
            {"indicator_code": "E.1", "organization_code": "YST-PEO", "period": "2022-01", "value": 1180.5, "narrative": "ไฟฟ้า"},
            {"indicator_code": 7, "value": "12", "status": null, "colour": [1, {"a": 2}], "submitted_at": true}
        ]}"#;
        let batch = read(body.as_bytes()).expect("batch");
        assert!(batch.atomic && !batch.dry_run);
        let items = batch.items.0;
        assert_eq!(items[0].value, Raw::Number(1180.5));
        assert_eq!(items[0].narrative, Raw::Text("ไฟฟ้า".into()));
        assert_eq!(items[1].index, 1);
        assert_eq!(items[1].indicator_code, Raw::Number(7.0));
        assert_eq!(items[1].value, Raw::Text("12".into()));
        assert_eq!(items[1].status, Raw::Null);
        assert_eq!(items[1].submitted_at, Raw::Other);
        assert_eq!(items[1].unknown, ["colour"]);
        assert_eq!(items[1].organization_code, Raw::Absent);
    }

    #[test]
    fn the_document_itself_must_be_right() {
        for (body, field) in [
            (r#"{"items": []}"#, "evaluation_id"),
            (r#"{"evaluation_id": 1, "items": [], "extra": 1}"#, "extra"),
            (r#"{"evaluation_id": 1, "items": [5]}"#, "items[0]"),
            (r#"{"evaluation_id": 1, "items": []} x"#, "body"),
            (
                r#"{"evaluation_id": 1, "items": [{"a": 1e400}]}"#,
                "items[0].a",
            ),
        ] {
            match read(body.as_bytes()) {
                Err(Error::BadRequest { errors, .. }) => {
                    assert_eq!(errors[0].field, field, "{body}")
                }
                other => panic!("{body}: {other:?}"),
            }
        }
    }
}
