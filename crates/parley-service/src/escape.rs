//! Free text made safe to show as plain text.

use std::borrow::Cow;

use parley_core::display::escape_controls;
use parley_core::model::Negotiation;

/// The record with every string in it escaped (see [`escape_controls`]), for plain-text output.
/// The same escape applies to a name wherever it appears (an option, an id, a red line's
/// expression), so references between them still match. A record without control characters is
/// returned as it is.
pub fn escaped(negotiation: Negotiation) -> Negotiation {
    let Ok(mut json) = serde_json::to_value(&negotiation) else { return negotiation };
    if !escape_strings(&mut json) {
        return negotiation;
    }
    match serde_json::from_value::<Negotiation>(json) {
        Ok(mut escaped) => {
            // A JSON object keeps no key order: the declaration order is the record's.
            escaped.order_by_declaration();
            escaped
        }
        Err(_) => negotiation,
    }
}

/// Escapes every string (and object key) in place; whether any changed.
fn escape_strings(value: &mut serde_json::Value) -> bool {
    match value {
        serde_json::Value::String(text) => match escape_controls(text) {
            Cow::Borrowed(_) => false,
            Cow::Owned(escaped) => {
                *text = escaped;
                true
            }
        },
        serde_json::Value::Array(values) => values.iter_mut().fold(false, |changed, value| escape_strings(value) | changed),
        serde_json::Value::Object(map) => {
            let mut changed = false;
            let entries: Vec<(String, serde_json::Value)> = std::mem::take(map).into_iter().collect();
            for (key, mut value) in entries {
                changed |= escape_strings(&mut value);
                let key = match escape_controls(&key) {
                    Cow::Borrowed(_) => key,
                    Cow::Owned(escaped) => {
                        changed = true;
                        escaped
                    }
                };
                map.insert(key, value);
            }
            changed
        }
        _ => false,
    }
}
