//! Generators of hostile input for the property tests: any JSON value,
//! strings weighted towards the characters parsers split on, and
//! name/value lists.

use proptest::prelude::*;

/// Text that often holds the separators and escapes parsers care about
/// (`&`, `=`, `%`, `+`, quotes, commas, semicolons), and sometimes anything.
pub fn tricky_text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-zA-Z0-9&=%+\"\\\\,; <>._~:/?#-]{0,24}",
        1 => any::<String>(),
    ]
}

/// Name/value pairs, duplicates and empty names possible.
pub fn pairs() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec((tricky_text(), tricky_text()), 0..8)
}

/// Any JSON value, a few levels deep.
pub fn json() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        tricky_text().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(tricky_text(), inner, 0..6)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// A JSON object whose keys are drawn from `names` (plus a few others) and
/// whose values are anything: hostile input that still reaches the code
/// behind the field lookups.
pub fn object_with(
    names: &'static [&'static str],
) -> impl Strategy<Value = serde_json::Map<String, serde_json::Value>> {
    let name = prop_oneof![
        4 => prop::sample::select(names).prop_map(str::to_owned),
        1 => tricky_text(),
    ];
    prop::collection::btree_map(name, json(), 0..10).prop_map(|map| map.into_iter().collect())
}
