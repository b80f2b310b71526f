//! One form for every JSON server function of the console (the catalogue's): its fields
//! are read on submit, built into the request's JSON by their paths (`recipe.0.count`),
//! checked in the browser by the same types the server reads (so a bad value is named at
//! its field before anything is sent), then sent; the server's refusal is shown at the
//! field it names too.

use std::collections::BTreeMap;
use std::future::Future;

use leptos::prelude::*;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::Problem;
use crate::i18n::*;
use crate::pages::{page_locale, problem_text};

const FIELD: &str = "w-full rounded-lg border border-stone-300 px-3 py-2 focus:border-red-600 focus:outline-none focus:ring-2 focus:ring-red-200 aria-[invalid=true]:border-red-600";
const LABEL: &str = "block text-sm font-medium text-stone-700";

/// How a field's text becomes JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A string (names, codes, money: money travels as text).
    Text,
    /// A whole number.
    Whole,
    /// A checkbox: true when ticked.
    Check,
}

/// One field of a form.
#[derive(Clone, Debug)]
pub struct Field {
    /// Where its value goes in the request, e.g. `recipe.0.count`; also its form name.
    pub path: &'static str,
    pub label: String,
    pub kind: Kind,
    /// A select's choices (value, label); none: a text box.
    pub choices: Option<Vec<(String, String)>>,
    pub required: bool,
    /// The rule the server checks this value by, in the page's language: said at the field
    /// when the server refuses it (the server's own words are the API's English).
    pub rule: Option<String>,
}

impl Field {
    pub fn text(path: &'static str, label: String) -> Self {
        Self {
            path,
            label,
            kind: Kind::Text,
            choices: None,
            required: true,
            rule: None,
        }
    }

    pub fn whole(path: &'static str, label: String) -> Self {
        Self {
            kind: Kind::Whole,
            ..Self::text(path, label)
        }
    }

    pub fn check(path: &'static str, label: String) -> Self {
        Self {
            kind: Kind::Check,
            required: false,
            ..Self::text(path, label)
        }
    }

    pub fn choice(path: &'static str, label: String, choices: Vec<(String, String)>) -> Self {
        Self {
            choices: Some(choices),
            ..Self::text(path, label)
        }
    }

    pub fn optional(self) -> Self {
        Self {
            required: false,
            ..self
        }
    }

    pub fn rule(self, rule: String) -> Self {
        Self {
            rule: Some(rule),
            ..self
        }
    }
}

/// Where the server's fault at `named` shows: that field, else the first field under it
/// (`recipe` → `recipe.0.fragment`); none: no field shows it.
pub fn shown_at<'a>(named: &str, paths: &[&'a str]) -> Option<&'a str> {
    let under = format!("{named}.");
    paths
        .iter()
        .find(|path| **path == named)
        .or_else(|| paths.iter().find(|path| path.starts_with(&under)))
        .copied()
}

/// The request a form's values make: each value at its path, an empty one left out (an
/// optional value is absent), array items left wholly empty dropped.
pub fn request_of(values: &[(&'static str, Kind, Option<String>)]) -> Value {
    let mut root = Value::Object(Map::new());
    for (path, kind, text) in values {
        let value = match (kind, text.as_deref().map(str::trim)) {
            (Kind::Check, text) => Value::Bool(text.is_some()),
            (_, None | Some("")) => continue,
            (Kind::Whole, Some(text)) => text
                .parse::<u64>()
                .map_or_else(|_| Value::String(text.to_owned()), Value::from),
            (Kind::Text, Some(text)) => Value::String(text.to_owned()),
        };
        put(&mut root, &path.split('.').collect::<Vec<_>>(), value);
    }
    dropped_empty(root)
}

fn put(node: &mut Value, path: &[&str], value: Value) {
    let Some((first, rest)) = path.split_first() else {
        *node = value;
        return;
    };
    let child = match first.parse::<usize>() {
        Ok(index) => {
            if !node.is_array() {
                *node = Value::Array(Vec::new());
            }
            let Some(items) = node.as_array_mut() else {
                return;
            };
            while items.len() <= index {
                items.push(Value::Object(Map::new()));
            }
            items.get_mut(index)
        }
        Err(_) => {
            if !node.is_object() {
                *node = Value::Object(Map::new());
            }
            node.as_object_mut()
                .map(|map| map.entry(*first).or_insert(Value::Null))
        }
    };
    if let Some(child) = child {
        put(child, rest, value);
    }
}

fn dropped_empty(value: Value) -> Value {
    match value {
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(dropped_empty)
                .filter(|item| item.as_object().is_none_or(|map| !map.is_empty()))
                .collect(),
        ),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(key, value)| (key, dropped_empty(value)))
                .collect(),
        ),
        other => other,
    }
}

/// A field path as the form names it, from how serde or the server named it:
/// `card_type.recipe[0].count` → `recipe.0.count` (the argument's name dropped).
pub fn field_path(named: &str, argument: &str) -> String {
    let named = named
        .strip_prefix(argument)
        .and_then(|rest| rest.strip_prefix('.'))
        .unwrap_or(named);
    named.replace('[', ".").replace(']', "")
}

/// What a form is: its id (naming its fields `<id>-<path>` and its heading), the server
/// function's argument (its name prefixes the server's field names), heading, fields, and
/// the values to start with by path (an entry to change).
pub struct Form {
    pub id: &'static str,
    pub argument: &'static str,
    pub title: String,
    pub fields: Vec<Field>,
    pub start: BTreeMap<&'static str, String>,
}

/// Where serde's fault is, and what: a missing field is named by its message
/// ("missing field `code`"), not its path (the object that lacks it).
pub fn fault_of(path: &str, message: &str) -> (String, String) {
    let missing = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next());
    match missing {
        Some(name) if path == "." => (name.to_owned(), message.to_owned()),
        Some(name) => (format!("{path}.{name}"), message.to_owned()),
        None => (path.to_owned(), message.to_owned()),
    }
}

/// The form, whose fields build a `T` sent by `save`; `saved` runs after the server took it.
pub fn json_form<T, R, F, Fut>(form: Form, save: F, saved: Callback<()>) -> impl IntoView
where
    T: DeserializeOwned + Clone + Send + Sync + 'static,
    R: Clone + Send + Sync + 'static,
    F: Fn(T) -> Fut + Copy + 'static,
    Fut: Future<Output = Result<R, Problem>> + 'static,
{
    let Form {
        id,
        argument,
        title,
        fields,
        start,
    } = form;
    let i18n = use_i18n();
    let locale = page_locale();
    let action = Action::new_unsync(move |value: &T| save(value.clone()));
    let field_paths: Vec<&'static str> = fields.iter().map(|field| field.path).collect();
    let rules: BTreeMap<&'static str, String> = fields
        .iter()
        .filter_map(|field| Some((field.path, field.rule.clone()?)))
        .collect();
    // Each fault at its field; a fault no field shows goes above the button.
    let faults = RwSignal::new(BTreeMap::<String, String>::new());
    let refusal = RwSignal::new(None::<String>);
    Effect::new(move |_| match action.value().get() {
        Some(Ok(_)) => {
            faults.set(BTreeMap::new());
            refusal.set(None);
            saved.run(());
        }
        Some(Err(problem)) => {
            let named = problem
                .errors
                .iter()
                .flat_map(|errors| errors.0.iter())
                .map(|fault| (fault.field.as_str(), fault.message.as_str()))
                .chain(
                    problem
                        .field
                        .as_deref()
                        .map(|f| (f, problem.detail.as_str())),
                );
            // Each at its field in the field's own words; one no field shows, above.
            let (mut at, mut loose) = (BTreeMap::new(), Vec::new());
            for (field, message) in named {
                match shown_at(&field_path(field, argument), &field_paths) {
                    Some(path) => {
                        let said = rules
                            .get(path)
                            .cloned()
                            .unwrap_or_else(|| message.to_owned());
                        at.entry(path.to_owned()).or_insert(said);
                    }
                    None => loose.push(message.to_owned()),
                }
            }
            refusal.set(Some(match (at.is_empty(), loose.is_empty()) {
                (true, true) => problem_text(locale, &problem),
                (_, false) => loose.join(" "),
                (false, true) => td_string!(locale, settings.fix_fields).to_owned(),
            }));
            faults.set(at);
        }
        None => {}
    });
    let paths: Vec<(&'static str, Kind)> = fields.iter().map(|f| (f.path, f.kind)).collect();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(data) = leptos::form::form_data_from_event(&ev) else {
            return;
        };
        let values: Vec<_> = paths
            .iter()
            .map(|(path, kind)| (*path, *kind, data.get(path).as_string()))
            .collect();
        let request = request_of(&values);
        match serde_path_to_error::deserialize::<_, T>(request) {
            Ok(value) => {
                refusal.set(None);
                action.dispatch(value);
            }
            Err(err) => {
                let (path, message) =
                    fault_of(&err.path().to_string(), &err.into_inner().to_string());
                let path = field_path(&path, argument);
                // Said in the page's language where the field's kind says what is wanted.
                let kind = paths
                    .iter()
                    .find(|(p, _)| *p == path)
                    .map(|(_, kind)| *kind);
                let message = if message.starts_with("missing field") {
                    td_string!(locale, settings.required).to_owned()
                } else if kind == Some(Kind::Whole) {
                    td_string!(locale, settings.whole_number, detail = message).to_string()
                } else {
                    message
                };
                refusal.set(Some(td_string!(locale, settings.fix_fields).to_owned()));
                faults.set(BTreeMap::from([(path, message)]));
            }
        }
    };
    let (heading, labelled_by) = (format!("{id}-heading"), format!("{id}-heading"));
    let shown_fields = fields
        .into_iter()
        .map(|field| {
            let start = start.get(field.path).cloned().unwrap_or_default();
            view! { <FormField id field start faults /> }
        })
        .collect_view();
    view! {
        <section class="rounded-2xl bg-stone-50 p-4 ring-1 ring-stone-200" aria-labelledby=labelled_by>
            <h3 id=heading class="font-semibold">{title}</h3>
            <form on:submit=on_submit novalidate class="mt-3 grid gap-3 sm:grid-cols-2 lg:grid-cols-4 lg:items-start" data-testid=id>
                {shown_fields}
                <div class="flex flex-col gap-2 sm:col-span-2 lg:col-span-4">
                    {move || refusal.get().map(|text| view! { <p role="alert" class="text-red-800" data-testid="form-refused">{text}</p> })}
                    {move || matches!(action.value().get(), Some(Ok(_))).then(|| view! {
                        <p role="status" class="text-emerald-800" data-testid="form-saved">{t!(i18n, settings.done)}</p>
                    })}
                    <button type="submit" class="self-start rounded-lg bg-red-700 px-4 py-2 font-semibold text-white hover:bg-red-800"
                        disabled=move || action.pending().get()>{t!(i18n, settings.save)}</button>
                </div>
            </form>
        </section>
    }
}

#[component]
fn FormField(
    id: &'static str,
    field: Field,
    start: String,
    faults: RwSignal<BTreeMap<String, String>>,
) -> impl IntoView {
    let input_id = format!("{id}-{}", field.path.replace('.', "-"));
    let fault_id = format!("{input_id}-fault");
    let path = field.path;
    let fault = move || faults.with(|all| all.get(path).cloned());
    let invalid = move || fault().is_some().to_string();
    let described = fault_id.clone();
    let control = match (field.kind, field.choices) {
        (Kind::Check, _) => view! {
            <input id=input_id.clone() type="checkbox" name=path checked=!start.is_empty() && start != "false"
                class="h-5 w-5 accent-red-700" />
        }
        .into_any(),
        (_, Some(choices)) => view! {
            <select id=input_id.clone() name=path class=FIELD aria-invalid=invalid aria-describedby=described>
                {choices.into_iter().map(|(value, label)| {
                    let selected = value == start;
                    view! { <option value=value selected=selected>{label}</option> }
                }).collect_view()}
            </select>
        }
        .into_any(),
        (kind, None) => view! {
            <input id=input_id.clone() name=path value=start required=field.required
                inputmode=if kind == Kind::Whole { "numeric" } else { "text" }
                class=FIELD aria-invalid=invalid aria-describedby=described />
        }
        .into_any(),
    };
    view! {
        <div class=if field.kind == Kind::Check { "flex items-center gap-2 self-end pb-2" } else { "" }>
            {(field.kind != Kind::Check).then(|| view! { <label for=input_id.clone() class=LABEL>{field.label.clone()}</label> })}
            {control}
            {(field.kind == Kind::Check).then(|| view! { <label for=input_id.clone() class="text-sm text-stone-700">{field.label.clone()}</label> })}
            <p id=fault_id class="mt-1 text-sm text-red-700" data-testid="field-fault">{fault}</p>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_are_built_by_their_paths_and_empty_ones_left_out() {
        let request = request_of(&[
            ("code", Kind::Text, Some(" HOT ".into())),
            ("recipe.0.fragment", Kind::Text, Some("CHILI".into())),
            ("recipe.0.count", Kind::Whole, Some("3".into())),
            ("recipe.1.fragment", Kind::Text, Some(String::new())),
            ("recipe.1.count", Kind::Whole, None),
            ("daily_cap", Kind::Whole, Some("x".into())),
            ("sell_price", Kind::Whole, Some(String::new())),
            ("active", Kind::Check, Some("on".into())),
            ("hidden", Kind::Check, None),
        ]);
        assert_eq!(
            request,
            json!({
                "code": "HOT",
                "recipe": [{"fragment": "CHILI", "count": 3}],
                "daily_cap": "x",
                "active": true,
                "hidden": false,
            })
        );
    }

    #[test]
    fn a_missing_value_is_named_by_its_field() {
        let missing = "missing field `code`";
        assert_eq!(fault_of(".", missing).0, "code");
        assert_eq!(
            fault_of("recipe[0]", "missing field `count`").0,
            "recipe[0].count"
        );
        assert_eq!(fault_of("daily_cap", "invalid type").0, "daily_cap");
    }

    #[test]
    fn the_servers_and_serdes_names_become_the_forms() {
        assert_eq!(
            field_path("card_type.recipe[0].count", "card_type"),
            "recipe.0.count"
        );
        assert_eq!(field_path("daily_cap", "card_type"), "daily_cap");
        assert_eq!(field_path("tier.bonus", "tier"), "bonus");
    }

    #[test]
    fn a_fault_shows_at_its_field_or_the_first_under_it() {
        let paths = ["code", "recipe.0.fragment", "recipe.0.count", "recipe_note"];
        assert_eq!(shown_at("code", &paths), Some("code"));
        assert_eq!(shown_at("recipe", &paths), Some("recipe.0.fragment"));
        assert_eq!(shown_at("recipe.0.count", &paths), Some("recipe.0.count"));
        assert_eq!(shown_at("benefit", &paths), None);
        assert_eq!(shown_at("recipe_", &paths), None);
    }
}
