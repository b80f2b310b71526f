//! The campaign form's checks, read from the campaign JSON Schema: each variant of
//! `Condition` but the combinators (`all`, `any`, `not`, which the form's own structure
//! writes), with its fields and what kind of value each takes. Pure: schema in, forms out.

use serde_json::Value;

use crate::model::rules::{CheckForm, FieldForm, FieldKind};

/// The checks of `schema` (as `campaign_schema()` makes it), in the schema's order.
pub fn check_forms(schema: &Value) -> Vec<CheckForm> {
    let defs = schema.get("$defs");
    let resolve = |value: &Value| -> Value {
        // A field's schema, with `$ref` followed and `anyOf [x, null]` read as x.
        let mut value = value.clone();
        if let Some(first) = value
            .get("anyOf")
            .and_then(Value::as_array)
            .and_then(|options| {
                options
                    .iter()
                    .find(|o| o.get("type").and_then(Value::as_str) != Some("null"))
            })
        {
            value = first.clone();
        }
        let named = value
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix("#/$defs/"))
            .and_then(|name| defs?.get(name));
        named.cloned().unwrap_or(value)
    };
    let variants = defs
        .and_then(|d| d.get("Condition"))
        .and_then(|c| c.get("oneOf"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    variants
        .iter()
        .filter_map(|variant| {
            let properties = variant.get("properties")?.as_object()?;
            let check = properties.get("check")?.get("const")?.as_str()?.to_owned();
            let required: Vec<&str> = variant
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let mut fields = Vec::new();
            for (name, field) in properties.iter().filter(|(name, _)| *name != "check") {
                let kind = field_kind(field, &resolve)?;
                fields.push(FieldForm {
                    name: name.clone(),
                    kind,
                    required: required.contains(&name.as_str()),
                });
            }
            Some(CheckForm {
                check,
                description: variant
                    .get("description")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .replace('\n', " "),
                fields,
            })
        })
        .collect()
}

/// What kind of value a field takes; `None` for a nested condition (a combinator).
fn field_kind(field: &Value, resolve: &impl Fn(&Value) -> Value) -> Option<FieldKind> {
    let field = resolve(field);
    let pattern = |value: &Value| {
        value
            .get("pattern")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let types: Vec<&str> = match field.get("type") {
        Some(Value::String(one)) => vec![one.as_str()],
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    if types.contains(&"array") {
        let items = resolve(field.get("items")?);
        if let Some(values) = items.get("enum").and_then(Value::as_array) {
            return Some(FieldKind::Choices {
                values: values
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect(),
            });
        }
        if items.get("oneOf").is_some() {
            return None;
        }
        return Some(FieldKind::Words {
            pattern: pattern(&items),
        });
    }
    if types.contains(&"integer") {
        return Some(FieldKind::Count);
    }
    if field.get("format").and_then(Value::as_str) == Some("partial-time") {
        return Some(FieldKind::Time);
    }
    if field.get("oneOf").is_some() {
        return None;
    }
    let described = field
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if described.contains("yuan") {
        return Some(FieldKind::Money {
            pattern: pattern(&field),
        });
    }
    if types.contains(&"string") {
        return Some(FieldKind::Code {
            pattern: pattern(&field),
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::rules::schema::campaign_schema;

    fn form<'a>(forms: &'a [CheckForm], check: &str) -> &'a CheckForm {
        forms
            .iter()
            .find(|f| f.check == check)
            .unwrap_or_else(|| panic!("{check} is offered"))
    }

    #[test]
    fn every_check_but_the_combinators_is_offered_with_its_fields() {
        let forms = check_forms(&campaign_schema());
        let names: Vec<&str> = forms.iter().map(|f| f.check.as_str()).collect();
        assert_eq!(
            names,
            [
                "tag_in",
                "tag_not_in",
                "weather_in",
                "local_time",
                "weekdays",
                "visit_count",
                "days_since_last_visit",
                "balance",
                "payment_amount",
                "holds_fragment",
                "holds_card",
                "steps"
            ]
        );
        let weather = form(&forms, "weather_in");
        assert_eq!(
            weather.fields.first().map(|f| &f.kind),
            Some(&FieldKind::Choices {
                values: ["SUNNY", "CLOUDY", "RAINY", "SNOWY", "WINDY", "HOT", "COLD"]
                    .map(String::from)
                    .to_vec()
            })
        );
        assert!(weather.description.contains("weather"));
        let kinds = |check: &str| -> Vec<(String, FieldKind, bool)> {
            form(&forms, check)
                .fields
                .iter()
                .map(|f| (f.name.clone(), f.kind.clone(), f.required))
                .collect()
        };
        assert_eq!(
            kinds("steps"),
            [
                ("at_least".into(), FieldKind::Count, false),
                ("at_most".into(), FieldKind::Count, false)
            ]
        );
        assert!(matches!(
            kinds("balance").first(),
            Some((_, FieldKind::Money { pattern }, false)) if !pattern.is_empty()
        ));
        assert!(matches!(
            kinds("tag_in").first(),
            Some((_, FieldKind::Words { pattern }, true)) if pattern.contains("a-z")
        ));
        assert_eq!(
            kinds("local_time")
                .iter()
                .map(|(_, kind, _)| kind.clone())
                .collect::<Vec<_>>(),
            [FieldKind::Time, FieldKind::Time]
        );
        assert!(matches!(
            kinds("holds_fragment").as_slice(),
            [
                (_, FieldKind::Count, true),
                (_, FieldKind::Code { .. }, true)
            ]
        ));
        assert!(matches!(
            kinds("weekdays").first(),
            Some((_, FieldKind::Choices { values }, true)) if values.len() == 7
        ));
    }
}
