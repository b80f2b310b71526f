//! The settings page (`/console/settings`): the shop itself (owner), then what it offers —
//! card types with today's stock, fragments, recharge tiers, market listings — each edited
//! through the catalogue's own server functions ([`json_form`]), every fault at its field.

use std::collections::BTreeMap;

use leptos::prelude::*;
use leptos::web_sys::FormData;

use crate::api::catalog::{
    SetDailyCap, save_card_type, save_fragment, save_listing, save_tier, set_daily_cap,
};
use crate::api::console::{ConsoleSaveShop, SettingsView, console_settings, console_upload_logo};
use crate::domain::catalog;
use crate::error::Problem;
use crate::i18n::*;
use crate::model::catalog::{CardType, Catalog, Fragment, Listing, Rarity, Tier};
use crate::model::settings::ShopSettings;
use crate::pages::json_form::{Field, Form, json_form};
use crate::pages::{page_locale, problem_text, signed_in};

const FIELD: &str = "w-full rounded-lg border border-stone-300 px-3 py-2 focus:border-red-600 focus:outline-none focus:ring-2 focus:ring-red-200 aria-[invalid=true]:border-red-600";
const LABEL: &str = "block text-sm font-medium text-stone-700";
const CARD: &str = "space-y-4 rounded-2xl bg-white p-4 shadow-sm ring-1 ring-stone-200";
const HINT: &str = "mt-1 text-sm text-stone-500";
const EMPTY: &str = "rounded-xl bg-amber-50 p-3 text-amber-900 ring-1 ring-amber-200";

#[component]
pub fn SettingsPage() -> impl IntoView {
    let save_shop = ServerAction::<ConsoleSaveShop>::new();
    // Bumped by each catalogue form the server took: the page reads everything again.
    let changed = RwSignal::new(0_u32);
    let data = Resource::new(
        move || (save_shop.version().get(), changed.get()),
        |_| console_settings(),
    );
    let saved = Callback::new(move |()| changed.update(|n| *n = n.wrapping_add(1)));
    let i18n = use_i18n();
    // Said above the forms: they are drawn again with what the server now holds.
    let notice = move || {
        (changed.get() > 0).then(|| view! {
            <p role="status" class="rounded-xl bg-emerald-50 p-3 text-emerald-900 ring-1 ring-emerald-200" data-testid="settings-saved">
                {t!(i18n, settings.done)}
            </p>
        })
    };
    view! {
        <section class="space-y-6">
            <div>
                <h1 class="text-3xl font-bold">{t!(i18n, settings.title)}</h1>
                <p class="text-stone-600">{t!(i18n, settings.intro)}</p>
            </div>
            {notice}
            {signed_in(data, move |view| {
                let SettingsView { shop, catalog, pictures, may_edit_shop } = view;
                view! {
                    <ShopForm shop pictures may_edit_shop save_shop saved />
                    <Cards catalog=catalog.clone() saved />
                    <Fragments catalog=catalog.clone() saved />
                    <Tiers catalog=catalog.clone() saved />
                    <Listings catalog saved />
                }
                .into_any()
            })}
        </section>
    }
}

/// Whether the refusal names `field`.
fn faulted(answer: &Option<Result<ShopSettings, Problem>>, field: &str) -> bool {
    let Some(Err(problem)) = answer else {
        return false;
    };
    problem
        .errors
        .iter()
        .flat_map(|errors| errors.0.iter())
        .any(|fault| fault.field == field)
}

/// The rule the server checks the shop's `field` by, in the page's language.
fn shop_rule(locale: Locale, field: &str) -> &'static str {
    match field {
        "name" => td_string!(locale, settings.rule.name),
        "address" => td_string!(locale, settings.rule.address),
        "timezone" => td_string!(locale, settings.rule.timezone),
        "margin_floor" => td_string!(locale, settings.rule.margin_floor),
        "lat" => td_string!(locale, settings.rule.lat),
        "lon" => td_string!(locale, settings.rule.lon),
        "radius_m" => td_string!(locale, settings.rule.radius_m),
        _ => td_string!(locale, settings.rule.logo),
    }
}

#[component]
fn ShopForm(
    shop: ShopSettings,
    pictures: Vec<crate::model::artwork::Asset>,
    may_edit_shop: bool,
    save_shop: ServerAction<ConsoleSaveShop>,
    saved: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let locale = page_locale();
    let place = shop.place;
    let text_field = move |name: &'static str,
                           label: String,
                           value: String,
                           hint: Option<String>| {
        let id = format!("shop-{name}");
        let fault_id = format!("{id}-fault");
        let fault = move || {
            save_shop
                .value()
                .with(|answer| faulted(answer, name))
                .then(|| shop_rule(locale, name))
        };
        view! {
            <div>
                <label for=id.clone() class=LABEL>{label}</label>
                <input id=id name=format!("shop[{name}]") value=value class=FIELD disabled=!may_edit_shop
                    aria-invalid=move || fault().is_some().to_string() aria-describedby=fault_id.clone() />
                {hint.map(|hint| view! { <p class=HINT>{hint}</p> })}
                <p id=fault_id class="mt-1 text-sm text-red-700" data-testid="field-fault">{fault}</p>
            </div>
        }
    };
    let logo = shop
        .logo
        .as_ref()
        .map(|asset| asset.asset_id.clone())
        .unwrap_or_default();
    let no_pictures = pictures.is_empty();
    view! {
        <section class=CARD aria-labelledby="shop-heading">
            <div class="flex items-center gap-3">
                {shop.logo.as_ref().map(|asset| view! {
                    <img src=asset.thumbnail.clone() alt="" class="h-12 w-12 rounded-xl object-cover ring-1 ring-stone-200" data-testid="shop-logo" />
                })}
                <h2 id="shop-heading" class="text-xl font-semibold">{t!(i18n, settings.shop)}</h2>
            </div>
            {(!may_edit_shop).then(|| view! { <p class=EMPTY>{t!(i18n, settings.only_owner)}</p> })}
            <ActionForm action=save_shop attr:class="grid gap-4 sm:grid-cols-2" attr:data-testid="shop-form">
                {text_field("name", td_string!(locale, settings.name).to_owned(), shop.name.clone(), None)}
                {text_field("address", td_string!(locale, settings.address).to_owned(), shop.address.clone(), None)}
                {text_field("timezone", td_string!(locale, settings.timezone).to_owned(), shop.timezone.clone(),
                    Some(td_string!(locale, settings.timezone_hint).to_owned()))}
                {text_field("margin_floor", td_string!(locale, settings.margin_floor).to_owned(), shop.margin_floor.to_string(),
                    Some(td_string!(locale, settings.margin_hint).to_owned()))}
                <fieldset class="sm:col-span-2">
                    <legend class=LABEL>{t!(i18n, settings.place)}</legend>
                    <div class="mt-1 grid gap-3 sm:grid-cols-3">
                        {text_field("lat", td_string!(locale, settings.lat).to_owned(), place.map(|p| p.lat.to_string()).unwrap_or_default(), None)}
                        {text_field("lon", td_string!(locale, settings.lon).to_owned(), place.map(|p| p.lon.to_string()).unwrap_or_default(), None)}
                        {text_field("radius_m", td_string!(locale, settings.radius).to_owned(), place.map(|p| p.radius_m.to_string()).unwrap_or_default(), None)}
                    </div>
                    <p class=HINT>{t!(i18n, settings.place_hint)}</p>
                </fieldset>
                <fieldset class="sm:col-span-2">
                    <legend class=LABEL>{t!(i18n, settings.logo)}</legend>
                    <div class="mt-1 flex flex-wrap gap-3">
                        <label class="flex items-center gap-2 rounded-xl p-2 ring-1 ring-stone-200">
                            <input type="radio" name="shop[logo]" value="" checked=logo.is_empty() disabled=!may_edit_shop class="accent-red-700" />
                            {t!(i18n, settings.no_logo)}
                        </label>
                        {pictures.into_iter().map(|picture| {
                            let checked = picture.asset_id == logo;
                            view! {
                                <label class="flex items-center gap-2 rounded-xl p-2 ring-1 ring-stone-200">
                                    <input type="radio" name="shop[logo]" value=picture.asset_id.clone() checked=checked disabled=!may_edit_shop class="accent-red-700" />
                                    <img src=picture.thumbnail.clone() alt=picture.title.clone() class="h-12 w-12 rounded-lg object-cover" />
                                </label>
                            }
                        }).collect_view()}
                    </div>
                    {no_pictures.then(|| view! { <p class=HINT>{t!(i18n, settings.no_pictures)}" "<a href="/artist" class="text-red-700 underline">{t!(i18n, nav.artist)}</a></p> })}
                </fieldset>
                <div class="flex items-center gap-2 sm:col-span-2">
                    <input id="shop-auto-print" type="checkbox" name="shop[auto_print]" checked=shop.auto_print disabled=!may_edit_shop class="h-5 w-5 accent-red-700" data-testid="shop-auto-print" />
                    <label for="shop-auto-print" class="text-stone-800">{t!(i18n, settings.auto_print)}</label>
                </div>
                {may_edit_shop.then(|| view! {
                    <div class="flex items-center gap-3 sm:col-span-2">
                        <button type="submit" class="rounded-lg bg-red-700 px-5 py-2 font-semibold text-white hover:bg-red-800" data-testid="shop-save">{t!(i18n, settings.save)}</button>
                        {move || save_shop.value().get().map(|answer| match answer {
                            Ok(_) => view! { <p role="status" class="text-emerald-800" data-testid="shop-saved">{t!(i18n, settings.saved)}</p> }.into_any(),
                            Err(problem) => {
                                let text = if problem.errors.is_some() {
                                    td_string!(locale, settings.fix_fields).to_owned()
                                } else {
                                    problem_text(locale, &problem)
                                };
                                view! { <p role="alert" class="text-red-800" data-testid="shop-refused">{text}</p> }.into_any()
                            }
                        })}
                    </div>
                })}
            </ActionForm>
            {may_edit_shop.then(|| view! { <LogoUpload saved /> })}
        </section>
    }
}

/// A logo from the boss's own file: it becomes one of the shop's pictures and its logo.
#[component]
fn LogoUpload(saved: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let locale = page_locale();
    let upload = Action::new_local(|data: &FormData| console_upload_logo(data.clone().into()));
    let form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |_| {
        if upload.value().with(|answer| matches!(answer, Some(Ok(_)))) {
            // The file chosen is the logo now: the box empties for the next one.
            if let Some(form) = form.get_untracked() {
                form.reset();
            }
            saved.run(());
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Some(data) = form
            .get()
            .and_then(|form| FormData::new_with_form(&form).ok())
        {
            upload.dispatch_local(data);
        }
    };
    let fault = move || {
        upload.value().with(|answer| match answer {
            Some(Err(problem)) if problem.errors.is_some() => {
                Some(td_string!(locale, settings.rule.upload).to_owned())
            }
            Some(Err(problem)) => Some(problem_text(locale, problem)),
            _ => None,
        })
    };
    view! {
        <form node_ref=form on:submit=on_submit class="flex flex-wrap items-end gap-3 border-t border-stone-100 pt-4" data-testid="logo-upload">
            <div>
                <label for="logo-file" class=LABEL>{t!(i18n, settings.upload_logo)}</label>
                <input id="logo-file" type="file" name="logo" accept="image/png,image/jpeg,image/webp" required
                    class="mt-1 block text-sm" aria-describedby="logo-file-fault" data-testid="logo-file" />
            </div>
            <button type="submit" class="rounded-lg bg-white px-4 py-2 font-semibold text-stone-800 ring-1 ring-stone-300 hover:bg-stone-100"
                disabled=move || upload.pending().get() data-testid="logo-send">{t!(i18n, settings.upload)}</button>
            <p id="logo-file-fault" class="w-full text-sm text-red-700" role="alert" data-testid="logo-fault">{fault}</p>
        </form>
    }
}

fn yes_no(locale: Locale, active: bool) -> &'static str {
    if active {
        td_string!(locale, settings.active)
    } else {
        td_string!(locale, settings.inactive)
    }
}

fn fragment_choices(catalog: &Catalog, locale: Locale, optional: bool) -> Vec<(String, String)> {
    let first = optional.then(|| {
        (
            String::new(),
            td_string!(locale, settings.choose).to_owned(),
        )
    });
    first
        .into_iter()
        .chain(catalog.fragments.iter().map(|fragment| {
            (
                fragment.code.to_string(),
                format!("{} ({})", fragment.name, fragment.code),
            )
        }))
        .collect()
}

#[component]
fn Cards(catalog: Catalog, saved: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let locale = page_locale();
    let name_of = |code: &str| {
        catalog
            .fragments
            .iter()
            .find(|fragment| fragment.code.as_str() == code)
            .map_or_else(|| code.to_owned(), |fragment| fragment.name.to_string())
    };
    let rows = catalog
        .card_types
        .iter()
        .map(|offer| {
            let kind = &offer.card_type;
            let recipe = kind
                .recipe
                .iter()
                .map(|line| format!("{} ×{}", name_of(line.fragment.as_str()), line.count))
                .collect::<Vec<_>>()
                .join("、");
            view! {
                <tr class="border-t border-stone-100" data-testid="card-row" data-code=kind.code.to_string()>
                    <th scope="row" class="py-2 pr-3 text-left font-normal">
                        <span class="font-medium">{kind.name.to_string()}</span>
                        <span class="block text-xs text-stone-500">{kind.code.to_string()}</span>
                    </th>
                    <td class="py-2 pr-3">{recipe}</td>
                    <td class="py-2 pr-3">{format!("¥{}", kind.benefit)}<span class="block text-xs text-stone-500">{kind.benefit_description.to_string()}</span></td>
                    <td class="py-2 pr-3">{kind.validity_days.to_string()}</td>
                    <td class="py-2 pr-3">{format!("¥{}", kind.cost_basis)}</td>
                    <td class="py-2 pr-3" data-testid="card-cap">{kind.daily_cap.to_string()}</td>
                    <td class="py-2 pr-3" data-testid="card-left">{offer.left_today}</td>
                    <td class="py-2 pr-3">{yes_no(locale, kind.active)}</td>
                </tr>
            }
        })
        .collect_view();
    let empty = catalog.card_types.is_empty();
    let codes: Vec<(String, String)> = catalog
        .card_types
        .iter()
        .map(|offer| {
            (
                offer.card_type.code.to_string(),
                offer.card_type.name.to_string(),
            )
        })
        .collect();
    let cap_rule = td_string!(
        locale,
        settings.rule.daily_cap,
        max = catalog::MAX_DAILY_CAP
    )
    .to_string();
    let cap_fields = vec![
        Field::choice(
            "card_type",
            td_string!(locale, settings.cards).to_owned(),
            codes,
        ),
        Field::whole(
            "daily_cap",
            td_string!(locale, settings.daily_cap).to_owned(),
        )
        .rule(cap_rule.clone()),
    ];
    let line = |n: u32| td_string!(locale, settings.line, n = n).to_string();
    let count = td_string!(locale, settings.count).to_owned();
    let card_fields = vec![
        Field::text("code", td_string!(locale, settings.code).to_owned()),
        Field::text("name", td_string!(locale, settings.name).to_owned()),
        Field::choice(
            "recipe.0.fragment",
            line(1),
            fragment_choices(&catalog, locale, false),
        )
        .rule(
            td_string!(
                locale,
                settings.rule.recipe,
                max = catalog::MAX_RECIPE_COUNT
            )
            .to_string(),
        ),
        Field::whole("recipe.0.count", count.clone()),
        Field::choice(
            "recipe.1.fragment",
            line(2),
            fragment_choices(&catalog, locale, true),
        )
        .optional(),
        Field::whole("recipe.1.count", count).optional(),
        Field::text("benefit", td_string!(locale, settings.benefit).to_owned())
            .rule(td_string!(locale, settings.rule.benefit).to_owned()),
        Field::text(
            "benefit_description",
            td_string!(locale, settings.benefit_description).to_owned(),
        ),
        Field::whole(
            "validity_days",
            td_string!(locale, settings.validity).to_owned(),
        )
        .rule(
            td_string!(
                locale,
                settings.rule.validity_days,
                max = catalog::MAX_VALIDITY_DAYS
            )
            .to_string(),
        ),
        Field::text(
            "cost_basis",
            td_string!(locale, settings.cost_basis).to_owned(),
        ),
        Field::whole(
            "daily_cap",
            td_string!(locale, settings.daily_cap).to_owned(),
        )
        .rule(cap_rule),
        Field::check("active", td_string!(locale, settings.active).to_owned()),
    ];
    let card_start = BTreeMap::from([
        ("active", "true".to_owned()),
        ("validity_days", "30".to_owned()),
    ]);
    view! {
        <section class=CARD aria-labelledby="cards-heading">
            <h2 id="cards-heading" class="text-xl font-semibold">{t!(i18n, settings.cards)}</h2>
            {if empty {
                view! { <p class=EMPTY data-testid="cards-empty">{t!(i18n, settings.cards_empty)}</p> }.into_any()
            } else {
                view! {
                    <div class="overflow-x-auto">
                        <table class="w-full text-sm" data-testid="cards-table">
                            <thead class="text-left text-stone-500">
                                <tr>
                                    <th scope="col" class="py-2 pr-3">{t!(i18n, settings.name)}</th>
                                    <th scope="col" class="py-2 pr-3">{t!(i18n, settings.recipe)}</th>
                                    <th scope="col" class="py-2 pr-3">{t!(i18n, settings.benefit)}</th>
                                    <th scope="col" class="py-2 pr-3">{t!(i18n, settings.validity)}</th>
                                    <th scope="col" class="py-2 pr-3">{t!(i18n, settings.cost_basis)}</th>
                                    <th scope="col" class="py-2 pr-3">{t!(i18n, settings.daily_cap)}</th>
                                    <th scope="col" class="py-2 pr-3">{t!(i18n, settings.left_today)}</th>
                                    <th scope="col" class="py-2 pr-3">{t!(i18n, settings.state)}</th>
                                </tr>
                            </thead>
                            <tbody>{rows}</tbody>
                        </table>
                    </div>
                    {json_form(
                        Form { id: "cap-form", argument: "", title: td_string!(locale, settings.set_cap).to_owned(), fields: cap_fields, start: BTreeMap::new() },
                        |cap: SetDailyCap| set_daily_cap(cap.card_type, cap.daily_cap),
                        saved,
                    )}
                }.into_any()
            }}
            {(!catalog.fragments.is_empty()).then(|| view! {
                {json_form(
                    Form { id: "card-form", argument: "card_type", title: td_string!(locale, settings.card_form).to_owned(), fields: card_fields, start: card_start },
                    |card: CardType| save_card_type(card),
                    saved,
                )}
            })}
        </section>
    }
}

/// A part of what the shop offers: its heading, its entries (none: what to do first) and
/// its form.
fn offer_section(
    id: &'static str,
    title: String,
    entries: Option<AnyView>,
    empty: String,
    form: impl IntoView,
) -> impl IntoView {
    let (heading, labelled_by) = (format!("{id}-heading"), format!("{id}-heading"));
    view! {
        <section class=CARD aria-labelledby=labelled_by>
            <h2 id=heading class="text-xl font-semibold">{title}</h2>
            {entries.unwrap_or_else(|| view! { <p class=EMPTY>{empty}</p> }.into_any())}
            {form}
        </section>
    }
}

#[component]
fn Fragments(catalog: Catalog, saved: Callback<()>) -> impl IntoView {
    let locale = page_locale();
    let rarity = |rarity: Rarity| match rarity {
        Rarity::Common => td_string!(locale, settings.common),
        Rarity::Rare => td_string!(locale, settings.rare),
        Rarity::Epic => td_string!(locale, settings.epic),
    };
    let fields = vec![
        Field::text("code", td_string!(locale, settings.code).to_owned()),
        Field::text("name", td_string!(locale, settings.name).to_owned()),
        Field::choice(
            "rarity",
            td_string!(locale, settings.rarity).to_owned(),
            [Rarity::Common, Rarity::Rare, Rarity::Epic]
                .map(|r| (r.as_str().to_owned(), rarity(r).to_owned()))
                .to_vec(),
        ),
    ];
    let entries = (!catalog.fragments.is_empty()).then(|| {
        view! {
            <ul class="flex flex-wrap gap-2" data-testid="fragments">
                {catalog.fragments.iter().map(|fragment| view! {
                    <li class="rounded-full bg-stone-100 px-3 py-1 text-sm">
                        {format!("{} · {} · {}", fragment.name, fragment.code, rarity(fragment.rarity))}
                    </li>
                }).collect_view()}
            </ul>
        }
        .into_any()
    });
    offer_section(
        "fragments",
        td_string!(locale, settings.fragments).to_owned(),
        entries,
        td_string!(locale, settings.fragments_empty).to_owned(),
        json_form(
            Form {
                id: "fragment-form",
                argument: "fragment",
                title: td_string!(locale, settings.fragment_form).to_owned(),
                fields,
                start: BTreeMap::new(),
            },
            |fragment: Fragment| save_fragment(fragment),
            saved,
        ),
    )
}

#[component]
fn Tiers(catalog: Catalog, saved: Callback<()>) -> impl IntoView {
    let locale = page_locale();
    let fields = vec![
        Field::text("code", td_string!(locale, settings.code).to_owned()),
        Field::text("label", td_string!(locale, settings.label).to_owned()),
        Field::text("pay", td_string!(locale, settings.pay).to_owned())
            .rule(td_string!(locale, settings.rule.tier).to_owned()),
        Field::text("bonus", td_string!(locale, settings.bonus).to_owned())
            .rule(td_string!(locale, settings.rule.tier).to_owned()),
        Field::check("active", td_string!(locale, settings.active).to_owned()),
    ];
    let entries = (!catalog.tiers.is_empty()).then(|| {
        view! {
            <ul class="grid gap-2 sm:grid-cols-3" data-testid="tiers">
                {catalog.tiers.iter().map(|tier| view! {
                    <li class="rounded-xl bg-stone-50 p-3 ring-1 ring-stone-200">
                        <span class="font-medium">{tier.label.to_string()}</span>
                        <span class="block text-sm text-stone-600">{format!("{} · ¥{} + ¥{} · {}", tier.code, tier.pay, tier.bonus, yes_no(locale, tier.active))}</span>
                    </li>
                }).collect_view()}
            </ul>
        }
        .into_any()
    });
    offer_section(
        "tiers",
        td_string!(locale, settings.tiers).to_owned(),
        entries,
        td_string!(locale, settings.tiers_empty).to_owned(),
        json_form(
            Form {
                id: "tier-form",
                argument: "tier",
                title: td_string!(locale, settings.tier_form).to_owned(),
                fields,
                start: BTreeMap::from([("active", "true".to_owned())]),
            },
            |tier: Tier| save_tier(tier),
            saved,
        ),
    )
}

#[component]
fn Listings(catalog: Catalog, saved: Callback<()>) -> impl IntoView {
    let locale = page_locale();
    let fields = vec![
        Field::choice(
            "fragment",
            td_string!(locale, settings.fragment).to_owned(),
            fragment_choices(&catalog, locale, false),
        ),
        Field::whole(
            "buy_price",
            td_string!(locale, settings.buy_price).to_owned(),
        )
        .rule(td_string!(locale, settings.rule.buy_price, max = catalog::MAX_PRICE).to_string()),
        Field::whole(
            "sell_price",
            td_string!(locale, settings.sell_price).to_owned(),
        )
        .optional()
        .rule(td_string!(locale, settings.rule.sell_price).to_owned()),
        Field::check("active", td_string!(locale, settings.active).to_owned()),
    ];
    let entries = (!catalog.listings.is_empty()).then(|| {
        view! {
            <ul class="grid gap-2 sm:grid-cols-3" data-testid="listings">
                {catalog.listings.iter().map(|listing| view! {
                    <li class="rounded-xl bg-stone-50 p-3 ring-1 ring-stone-200 text-sm">
                        {format!("{} · {} / {} · {}", listing.fragment, listing.buy_price,
                            listing.sell_price.map(|p| p.to_string()).unwrap_or_else(|| "—".into()), yes_no(locale, listing.active))}
                    </li>
                }).collect_view()}
            </ul>
        }
        .into_any()
    });
    let form = (!catalog.fragments.is_empty()).then(|| {
        json_form(
            Form {
                id: "listing-form",
                argument: "listing",
                title: td_string!(locale, settings.listing_form).to_owned(),
                fields,
                start: BTreeMap::from([("active", "true".to_owned())]),
            },
            |listing: Listing| save_listing(listing),
            saved,
        )
    });
    offer_section(
        "listings",
        td_string!(locale, settings.listings).to_owned(),
        entries,
        td_string!(locale, settings.listings_empty).to_owned(),
        form,
    )
}
