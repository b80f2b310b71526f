//! The campaign form's condition editor, built from the campaign JSON Schema: the checks it
//! offers and the inputs of each come from [`CheckForm`]s the server reads off the schema.
//! The boss lists checks that must all (or any) hold, each of which may be negated; the
//! editor writes the condition's JSON into the form, and the server checks it like any
//! other campaign (every fault at its field).

use std::collections::BTreeMap;

use leptos::prelude::*;
use serde_json::{Value, json};

use crate::api::rules::{CheckForm, FieldKind};
use crate::i18n::*;
use crate::pages::page_locale;

const FIELD: &str = "rounded-lg border border-stone-300 px-2 py-1 focus:border-red-600 focus:outline-none focus:ring-2 focus:ring-red-200";

/// One check as the boss set it: which, negated or not, and each field's text.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Chosen {
    pub check: String,
    pub negate: bool,
    pub values: BTreeMap<String, String>,
}

/// The condition's JSON: `all` (or `any`) of the checks, each as its form says its fields
/// are written; an empty optional field is left out.
pub fn condition_json(any: bool, sets: &[Chosen], forms: &[CheckForm]) -> Value {
    let of: Vec<Value> = sets
        .iter()
        .filter_map(|set| {
            let form = forms.iter().find(|f| f.check == set.check)?;
            let mut node = serde_json::Map::new();
            node.insert("check".into(), json!(form.check));
            for field in &form.fields {
                let text = set.values.get(&field.name).map_or("", |t| t.trim());
                let words = || {
                    text.split([',', '，', ' '])
                        .filter(|w| !w.is_empty())
                        .map(|w| json!(w))
                        .collect::<Vec<_>>()
                };
                let value = match &field.kind {
                    FieldKind::Choices { .. } | FieldKind::Words { .. } => Some(json!(words())),
                    _ if text.is_empty() => None,
                    FieldKind::Count => Some(text.parse::<u64>().map_or(json!(text), |n| json!(n))),
                    FieldKind::Time if text.len() == 5 => Some(json!(format!("{text}:00"))),
                    FieldKind::Money { .. } | FieldKind::Time | FieldKind::Code { .. } => {
                        Some(json!(text))
                    }
                };
                if let Some(value) = value {
                    node.insert(field.name.clone(), value);
                }
            }
            let node = Value::Object(node);
            Some(if set.negate {
                json!({"check": "not", "of": node})
            } else {
                node
            })
        })
        .collect();
    json!({"check": if any { "any" } else { "all" }, "of": of})
}

/// A check's name for the boss (the schema's description for one the page has no words for).
fn check_label(locale: Locale, form: &CheckForm) -> String {
    let known = match form.check.as_str() {
        "tag_in" => td_string!(locale, campaigns.check_tag_in),
        "tag_not_in" => td_string!(locale, campaigns.check_tag_not_in),
        "weather_in" => td_string!(locale, campaigns.check_weather_in),
        "local_time" => td_string!(locale, campaigns.check_local_time),
        "weekdays" => td_string!(locale, campaigns.check_weekdays),
        "visit_count" => td_string!(locale, campaigns.check_visit_count),
        "days_since_last_visit" => td_string!(locale, campaigns.check_days_since_last_visit),
        "balance" => td_string!(locale, campaigns.check_balance),
        "payment_amount" => td_string!(locale, campaigns.check_payment_amount),
        "holds_fragment" => td_string!(locale, campaigns.check_holds_fragment),
        "holds_card" => td_string!(locale, campaigns.check_holds_card),
        "steps" => td_string!(locale, campaigns.check_steps),
        _ => return form.description.clone(),
    };
    known.to_owned()
}

fn field_label(locale: Locale, name: &str) -> String {
    match name {
        "at_least" => td_string!(locale, campaigns.f_at_least),
        "at_most" => td_string!(locale, campaigns.f_at_most),
        "tags" => td_string!(locale, campaigns.f_tags),
        "weather" => td_string!(locale, campaigns.weather),
        "from" => td_string!(locale, campaigns.f_from),
        "to" => td_string!(locale, campaigns.f_to),
        "days" => td_string!(locale, campaigns.f_days),
        "fragment" => td_string!(locale, campaigns.fragment),
        "count" => td_string!(locale, campaigns.count),
        "card_type" => td_string!(locale, campaigns.f_card_type),
        _ => return name.to_owned(),
    }
    .to_owned()
}

fn choice_label(locale: Locale, value: &str) -> String {
    match value {
        "Mon" => td_string!(locale, campaigns.mon),
        "Tue" => td_string!(locale, campaigns.tue),
        "Wed" => td_string!(locale, campaigns.wed),
        "Thu" => td_string!(locale, campaigns.thu),
        "Fri" => td_string!(locale, campaigns.fri),
        "Sat" => td_string!(locale, campaigns.sat),
        "Sun" => td_string!(locale, campaigns.sun),
        other => return super::campaigns::weather_name(locale, other),
    }
    .to_owned()
}

/// The editor; its JSON goes to the form as `form[condition]`. `codes` are the shop's
/// fragments and card types, offered for code fields.
#[component]
pub fn ConditionEditor(forms: Vec<CheckForm>, codes: Vec<(String, String)>) -> impl IntoView {
    let i18n = use_i18n();
    let locale = page_locale();
    let any = RwSignal::new(false);
    let next_id = StoredValue::new(0_usize);
    let rows: RwSignal<Vec<(usize, RwSignal<Chosen>)>> = RwSignal::new(Vec::new());
    let forms = StoredValue::new(forms);
    let json = move || {
        let sets: Vec<Chosen> = rows.with(|rows| rows.iter().map(|(_, set)| set.get()).collect());
        forms.with_value(|forms| condition_json(any.get(), &sets, forms).to_string())
    };
    let add = move |_| {
        let first = forms.with_value(|f| f.first().map(|f| f.check.clone()).unwrap_or_default());
        let id = next_id.get_value();
        next_id.set_value(id + 1);
        rows.update(|rows| {
            rows.push((
                id,
                RwSignal::new(Chosen {
                    check: first,
                    ..Chosen::default()
                }),
            ))
        });
    };
    view! {
        <fieldset class="col-span-2 rounded-xl border border-stone-200 p-3" data-testid="condition-editor">
            <legend class="px-1 text-sm font-medium text-stone-700">{t!(i18n, campaigns.conditions)}</legend>
            <input type="hidden" name="form[condition]" prop:value=json data-testid="condition-json" />
            <datalist id="catalogue-codes">
                {codes.into_iter().map(|(code, name)| view! { <option value=code>{name}</option> }).collect_view()}
            </datalist>
            <div class="flex flex-wrap items-center gap-2 text-sm">
                <label for="c-mode">{t!(i18n, campaigns.mode)}</label>
                <select id="c-mode" class=FIELD data-testid="c-mode"
                    on:change=move |ev| any.set(event_target_value(&ev) == "any")>
                    <option value="all">{t!(i18n, campaigns.mode_all)}</option>
                    <option value="any">{t!(i18n, campaigns.mode_any)}</option>
                </select>
            </div>
            <Show when=move || rows.with(Vec::is_empty)>
                <p class="mt-2 text-sm text-stone-500">{t!(i18n, campaigns.no_conditions)}</p>
            </Show>
            <ul class="mt-2 space-y-2">
                <For each=move || rows.get() key=|(id, _)| *id let:row>
                    {
                        let (id, set) = row;
                        let remove = move |_| rows.update(|rows| rows.retain(|(other, _)| *other != id));
                        let form = move || forms.with_value(|forms| {
                            let check = set.with(|s| s.check.clone());
                            forms.iter().find(|f| f.check == check).cloned()
                        });
                        let select_id = format!("check-{id}");
                        let negate_id = format!("negate-{id}");
                        view! {
                            <li class="rounded-lg bg-stone-50 p-2 ring-1 ring-stone-200" data-testid="condition-row">
                                <div class="flex flex-wrap items-center gap-2">
                                    <label for=select_id.clone() class="sr-only">{t!(i18n, campaigns.check)}</label>
                                    <select id=select_id class=FIELD data-testid="check-kind"
                                        on:change=move |ev| set.set(Chosen { check: event_target_value(&ev), ..Chosen::default() })>
                                        {forms.with_value(|forms| forms.iter().map(|f| {
                                            let selected = set.with_untracked(|s| s.check == f.check);
                                            view! { <option value=f.check.clone() selected=selected>{check_label(locale, f)}</option> }
                                        }).collect_view())}
                                    </select>
                                    <input id=negate_id.clone() type="checkbox" data-testid="check-negate"
                                        on:change=move |ev| set.update(|s| s.negate = event_target_checked(&ev)) />
                                    <label for=negate_id class="text-sm">{t!(i18n, campaigns.negate)}</label>
                                    <button type="button" class="ml-auto text-sm text-red-800 underline" data-testid="check-remove" on:click=remove>
                                        {t!(i18n, campaigns.remove)}
                                    </button>
                                </div>
                                {move || form().map(|form| view! {
                                    <div class="mt-2 flex flex-wrap gap-3">
                                        {form.fields.into_iter().map(|field| view! { <FieldInput id field set /> }).collect_view()}
                                    </div>
                                })}
                            </li>
                        }
                    }
                </For>
            </ul>
            <button type="button" on:click=add data-testid="add-check"
                class="mt-2 rounded-lg px-3 py-1 text-sm font-semibold text-red-800 ring-1 ring-red-200 hover:bg-red-50">
                {t!(i18n, campaigns.add_check)}
            </button>
        </fieldset>
    }
}

/// One field's input, by its kind.
#[component]
fn FieldInput(
    id: usize,
    field: crate::api::rules::FieldForm,
    set: RwSignal<Chosen>,
) -> impl IntoView {
    let locale = page_locale();
    let name = field.name.clone();
    let input_id = format!("f-{id}-{name}");
    let label = field_label(locale, &name);
    let write = {
        let name = name.clone();
        move |text: String| {
            set.update(|s| {
                s.values.insert(name.clone(), text);
            })
        }
    };
    let testid = format!("field-{name}");
    match field.kind {
        FieldKind::Choices { values } => {
            let chosen = {
                let name = name.clone();
                move |value: &str| {
                    set.with(|s| {
                        s.values
                            .get(&name)
                            .is_some_and(|t| t.split(',').any(|v| v == value))
                    })
                }
            };
            view! {
                <fieldset class="flex flex-wrap items-center gap-2 text-sm" data-testid=testid>
                    <legend class="sr-only">{label}</legend>
                    {values.into_iter().map(|value| {
                        let box_id = format!("{input_id}-{value}");
                        let chosen = chosen.clone();
                        let name = name.clone();
                        let this = value.clone();
                        let toggle = move |ev| {
                            let on = event_target_checked(&ev);
                            set.update(|s| {
                                let mut all: Vec<String> = s.values.get(&name).map(|t| t.split(',').filter(|v| !v.is_empty() && *v != this).map(str::to_owned).collect()).unwrap_or_default();
                                if on {
                                    all.push(this.clone());
                                }
                                s.values.insert(name.clone(), all.join(","));
                            });
                        };
                        let checked = { let value = value.clone(); move || chosen(&value) };
                        view! {
                            <span class="inline-flex items-center gap-1">
                                <input id=box_id.clone() type="checkbox" data-value=value.clone() prop:checked=checked on:change=toggle />
                                <label for=box_id>{choice_label(locale, &value)}</label>
                            </span>
                        }
                    }).collect_view()}
                </fieldset>
            }.into_any()
        }
        kind => {
            let (kind_attr, mode, list, placeholder) = match &kind {
                FieldKind::Count => ("number", "numeric", None, String::new()),
                FieldKind::Money { .. } => ("text", "decimal", None, "0.00".to_owned()),
                FieldKind::Time => ("time", "text", None, String::new()),
                FieldKind::Code { .. } => {
                    ("text", "text", Some("catalogue-codes"), "CHILI".to_owned())
                }
                _ => ("text", "text", None, "spicy, regular".to_owned()),
            };
            let value = {
                let name = name.clone();
                move || set.with(|s| s.values.get(&name).cloned().unwrap_or_default())
            };
            view! {
                <span class="inline-flex items-center gap-1 text-sm">
                    <label for=input_id.clone()>{label}</label>
                    <input id=input_id type=kind_attr inputmode=mode list=list placeholder=placeholder min="0"
                        class=format!("{FIELD} w-32") data-testid=testid prop:value=value
                        on:input=move |ev| write(event_target_value(&ev)) />
                </span>
            }.into_any()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::rules::FieldForm;

    fn forms() -> Vec<CheckForm> {
        let field = |name: &str, kind: FieldKind, required| FieldForm {
            name: name.into(),
            kind,
            required,
        };
        vec![
            CheckForm {
                check: "weather_in".into(),
                description: String::new(),
                fields: vec![field(
                    "weather",
                    FieldKind::Choices {
                        values: vec!["RAINY".into(), "SUNNY".into()],
                    },
                    true,
                )],
            },
            CheckForm {
                check: "steps".into(),
                description: String::new(),
                fields: vec![
                    field("at_least", FieldKind::Count, false),
                    field("at_most", FieldKind::Count, false),
                ],
            },
            CheckForm {
                check: "local_time".into(),
                description: String::new(),
                fields: vec![
                    field("from", FieldKind::Time, true),
                    field("to", FieldKind::Time, true),
                ],
            },
            CheckForm {
                check: "tag_in".into(),
                description: String::new(),
                fields: vec![field(
                    "tags",
                    FieldKind::Words {
                        pattern: String::new(),
                    },
                    true,
                )],
            },
        ]
    }

    fn set(check: &str, negate: bool, values: &[(&str, &str)]) -> Chosen {
        Chosen {
            check: check.into(),
            negate,
            values: values
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    #[test]
    fn the_rows_become_the_condition_the_schema_describes() {
        let sets = [
            set("weather_in", false, &[("weather", "RAINY,SUNNY")]),
            set("steps", false, &[("at_least", "8000"), ("at_most", "")]),
            set("local_time", false, &[("from", "11:00"), ("to", "14:00")]),
            set("tag_in", true, &[("tags", "vegan， diet")]),
        ];
        assert_eq!(
            condition_json(false, &sets, &forms()),
            json!({"check": "all", "of": [
                {"check": "weather_in", "weather": ["RAINY", "SUNNY"]},
                {"check": "steps", "at_least": 8000},
                {"check": "local_time", "from": "11:00:00", "to": "14:00:00"},
                {"check": "not", "of": {"check": "tag_in", "tags": ["vegan", "diet"]}}
            ]})
        );
        assert_eq!(
            condition_json(true, &[], &forms()),
            json!({"check": "any", "of": []})
        );
        // What the page does not know is left for the server to refuse, not guessed.
        let odd = [set("steps", false, &[("at_least", "lots")])];
        assert_eq!(
            condition_json(false, &odd, &forms()),
            json!({"check": "all", "of": [{"check": "steps", "at_least": "lots"}]})
        );
        let gone = [set("vanished", false, &[])];
        assert_eq!(
            condition_json(false, &gone, &forms()),
            json!({"check": "all", "of": []})
        );
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn every_check_of_the_schema_has_words() {
        let locale = Locale::zh;
        let forms = crate::service::rules::check_form::check_forms(
            &crate::service::rules::schema::campaign_schema(),
        );
        for form in &forms {
            assert_ne!(
                check_label(locale, form),
                form.description,
                "{}",
                form.check
            );
            for field in &form.fields {
                assert_ne!(
                    field_label(locale, &field.name),
                    field.name,
                    "{}",
                    field.name
                );
            }
        }
    }
}
