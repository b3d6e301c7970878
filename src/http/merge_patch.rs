//! JSON Merge Patch (RFC 7396): the patch is merged into the resource's writable fields and
//! the result goes through the same parsing and validation as a create.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::extract::from_json_value;
use crate::error::{Error, Result};

/// For a patch type's member that cannot be cleared (`#[serde(default, deserialize_with =
/// "merge_patch::not_null")]` beside `#[schema(nullable = false)]`): absent is "unchanged",
/// `null` would remove a required member (RFC 7396), so it is refused rather than reset.
pub fn not_null<'de, D, T>(deserializer: D) -> std::result::Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    match Option::<T>::deserialize(deserializer)? {
        Some(value) => Ok(Some(value)),
        None => Err(serde::de::Error::custom(
            "this member cannot be cleared: leave it out to keep it, or send a value",
        )),
    }
}

/// RFC 7396 section 2: objects merge key by key, `null` removes, anything else replaces.
pub fn merge(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(serde_json::Map::new());
    }
    if let Value::Object(target) = target {
        for (key, value) in patch {
            if value.is_null() {
                target.remove(key);
            } else {
                merge(target.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
    }
}

/// Applies `patch` to `current` (the writable fields as JSON) and parses the result as `T`,
/// whose `deny_unknown_fields` refuses read-only and unknown fields.
pub fn apply<T: DeserializeOwned>(mut current: Value, patch: &Value) -> Result<T> {
    if !patch.is_object() {
        return Err(Error::bad_request(
            "a merge patch must be a JSON object",
            vec![crate::error::FieldError::new(
                "body",
                "must be a JSON object",
            )],
        ));
    }
    merge(&mut current, patch);
    from_json_value(current)
}

/// Applies `patch` to the current resource as the API shows it, and parses the result as `T`
/// (the operation's writable fields, `deny_unknown_fields`). The target is the serialized
/// resource itself, so a field added to the resource and to `T` is kept by every patch that
/// does not name it. `computed` are the resource's server-made fields (`id`, `version`, …),
/// left out of the target: `T` refuses them in a patch as unknown (400). `fixed` are fields
/// `T` reads but a patch may not change (an indicator's `evaluation_id`): naming one is a 400.
pub fn apply_to<T: DeserializeOwned>(
    resource: &impl Serialize,
    computed: &[&str],
    fixed: &[&str],
    patch: &Value,
) -> Result<T> {
    if let Some(field) = fixed.iter().find(|field| patch.get(**field).is_some()) {
        return Err(Error::bad_request(
            format!("{field} cannot be changed"),
            vec![crate::error::FieldError::new(*field, "is read-only")],
        ));
    }
    let mut current = serde_json::to_value(resource)
        .map_err(|e| Error::Internal(format!("the resource could not be encoded: {e}")))?;
    if let Value::Object(fields) = &mut current {
        for field in computed {
            fields.remove(*field);
        }
    }
    apply(current, patch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rfc_7396_examples() {
        let cases = [
            (json!({"a": "b"}), json!({"a": "c"}), json!({"a": "c"})),
            (
                json!({"a": "b"}),
                json!({"b": "c"}),
                json!({"a": "b", "b": "c"}),
            ),
            (json!({"a": "b"}), json!({"a": null}), json!({})),
            (
                json!({"a": {"b": "c"}}),
                json!({"a": {"b": "d", "c": null}}),
                json!({"a": {"b": "d"}}),
            ),
            (
                json!({"a": [{"b": "c"}]}),
                json!({"a": [1]}),
                json!({"a": [1]}),
            ),
            (
                json!({"e": null}),
                json!({"a": 1}),
                json!({"e": null, "a": 1}),
            ),
            (
                json!({}),
                json!({"a": {"bb": {"ccc": null}}}),
                json!({"a": {"bb": {}}}),
            ),
        ];
        for (mut target, patch, expected) in cases {
            merge(&mut target, &patch);
            assert_eq!(target, expected);
        }
    }

    #[derive(Debug, serde::Serialize)]
    struct Resource {
        id: i64,
        parent_id: i64,
        name: String,
        note: Option<String>,
        version: i64,
    }

    #[derive(Debug, PartialEq, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Writable {
        parent_id: i64,
        name: String,
        #[serde(default)]
        note: Option<String>,
    }

    #[test]
    fn a_patch_of_the_resource_keeps_what_it_does_not_name() {
        let current = Resource {
            id: 7,
            parent_id: 1,
            name: "ไฟฟ้า".into(),
            note: Some("kWh".into()),
            version: 3,
        };
        let apply = |patch: Value| {
            apply_to::<Writable>(&current, &["id", "version"], &["parent_id"], &patch)
        };
        assert_eq!(
            apply(json!({"name": "น้ำมัน"})).expect("merged"),
            Writable {
                parent_id: 1,
                name: "น้ำมัน".into(),
                note: Some("kWh".into())
            }
        );
        assert_eq!(apply(json!({"note": null})).expect("merged").note, None);
        for refused in [json!({"parent_id": 2}), json!({"version": 4}), json!([1])] {
            assert!(matches!(apply(refused), Err(Error::BadRequest { .. })));
        }
    }
}
