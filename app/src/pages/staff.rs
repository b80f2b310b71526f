//! The staff page (`/console/staff`): the shop's accounts with what each did today and this
//! month at the counter, an account added with its role and first password, a password
//! reset, an account disabled (it is signed out everywhere at once) or enabled again. An
//! owner manages anyone; a manager, cashiers.

use leptos::prelude::*;

use crate::api::console::{
    ConsoleAddStaff, ConsoleStaffActive, ConsoleStaffPassword, StaffView, console_staff,
};
use crate::domain::Money;
use crate::i18n::*;
use crate::model::staff::StaffMember;
use crate::pages::{page_locale, problem_text, signed_in};
use crate::principal::Role;

const FIELD: &str = "w-full rounded-lg border border-stone-300 px-3 py-2 focus:border-red-600 focus:outline-none focus:ring-2 focus:ring-red-200";
const LABEL: &str = "block text-sm font-medium text-stone-700";
const BUTTON: &str = "rounded-lg bg-red-700 px-4 py-2 font-semibold text-white hover:bg-red-800";
const QUIET: &str = "rounded-lg bg-white px-3 py-1 text-sm font-medium text-stone-800 ring-1 ring-stone-300 hover:bg-stone-100";

#[component]
pub fn StaffPage() -> impl IntoView {
    let add = ServerAction::<ConsoleAddStaff>::new();
    let active = ServerAction::<ConsoleStaffActive>::new();
    let password = ServerAction::<ConsoleStaffPassword>::new();
    // Read again after every change.
    let data = Resource::new(
        move || {
            (
                add.version().get(),
                active.version().get(),
                password.version().get(),
            )
        },
        |_| console_staff(),
    );
    let i18n = use_i18n();
    view! {
        <section class="space-y-6">
            <div>
                <h1 class="text-3xl font-bold">{t!(i18n, staff.title)}</h1>
                <p class="text-stone-600">{t!(i18n, staff.intro)}</p>
            </div>
            <Outcomes add active password />
            {signed_in(data, move |view| {
                let role = view.role;
                view! { <Team view active password /> <AddForm role add /> }.into_any()
            })}
        </section>
    }
}

/// What the last change did, or why not: the latest change alone (an older notice goes
/// when another change is made).
#[component]
fn Outcomes(
    add: ServerAction<ConsoleAddStaff>,
    active: ServerAction<ConsoleStaffActive>,
    password: ServerAction<ConsoleStaffPassword>,
) -> impl IntoView {
    let locale = page_locale();
    // Which change answered last: each action's answer arriving names it.
    let last = RwSignal::new(None::<Change>);
    let heard = move |which: Change, answered: bool| {
        if answered {
            last.set(Some(which));
        }
    };
    Effect::new(move |_| heard(Change::Add, add.value().with(Option::is_some)));
    Effect::new(move |_| heard(Change::Active, active.value().with(Option::is_some)));
    Effect::new(move |_| heard(Change::Password, password.value().with(Option::is_some)));
    move || {
        let (answer, ok) = match last.get()? {
            Change::Add => (add.value().get()?, td_string!(locale, staff.added)),
            Change::Active => (active.value().get()?, td_string!(locale, staff.changed)),
            Change::Password => (
                password.value().get()?,
                td_string!(locale, staff.password_set),
            ),
        };
        Some(match answer {
            Ok(_) => view! { <p role="status" class="rounded-xl bg-emerald-50 p-3 text-emerald-900 ring-1 ring-emerald-200" data-testid="staff-ok">{ok}</p> }.into_any(),
            Err(problem) => view! { <p role="alert" class="rounded-xl bg-red-50 p-3 text-red-900 ring-1 ring-red-200" data-testid="staff-refused">{problem_text(locale, &problem)}</p> }.into_any(),
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Change {
    Add,
    Active,
    Password,
}

fn role_name(locale: Locale, role: Role) -> &'static str {
    match role {
        Role::Owner => td_string!(locale, staff.owner),
        Role::Manager => td_string!(locale, staff.manager),
        Role::Cashier => td_string!(locale, staff.cashier),
    }
}

fn yuan(money: Money) -> String {
    format!("¥{money}")
}

#[component]
fn Team(
    view: StaffView,
    active: ServerAction<ConsoleStaffActive>,
    password: ServerAction<ConsoleStaffPassword>,
) -> impl IntoView {
    let i18n = use_i18n();
    let locale = page_locale();
    let StaffView { members, me, role } = view;
    view! {
        <div class="overflow-x-auto rounded-2xl bg-white p-4 shadow-sm ring-1 ring-stone-200">
            <table class="w-full text-sm" data-testid="staff-table">
                <caption class="pb-2 text-left text-lg font-semibold">{t!(i18n, staff.team)}</caption>
                <thead class="text-left text-stone-500">
                    <tr>
                        <th scope="col" class="py-2 pr-3">{t!(i18n, staff.name)}</th>
                        <th scope="col" class="py-2 pr-3">{t!(i18n, staff.role)}</th>
                        <th scope="col" class="py-2 pr-3">{t!(i18n, staff.today)}</th>
                        <th scope="col" class="py-2 pr-3">{t!(i18n, staff.month)}</th>
                        <th scope="col" class="py-2 pr-3">{t!(i18n, staff.actions)}</th>
                    </tr>
                </thead>
                <tbody>
                    {members.into_iter().map(|member| {
                        let manageable = member.id != me && (role == Role::Owner || member.role == Role::Cashier);
                        view! { <Member member manageable active password locale /> }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn Member(
    member: StaffMember,
    manageable: bool,
    active: ServerAction<ConsoleStaffActive>,
    password: ServerAction<ConsoleStaffPassword>,
    locale: Locale,
) -> impl IntoView {
    let i18n = use_i18n();
    let did = |day: &crate::model::figures::StaffDay| {
        td_string!(
            locale,
            staff.did,
            entries = day.entries,
            collected = yuan(day.collected),
            sold = yuan(day.sold)
        )
        .to_string()
    };
    let password_id = format!("password-{}", member.id);
    let (toggle_id, reset_id) = (member.id.clone(), member.id.clone());
    let is_active = member.active;
    view! {
        <tr class="border-t border-stone-100 align-top" data-testid="staff-member" data-username=member.username.clone() data-active=member.active.to_string()>
            <th scope="row" class="py-2 pr-3 text-left font-normal">
                <span class="font-medium">{member.display_name.clone()}</span>
                <span class="block text-stone-500">{member.username.clone()}</span>
                {(!member.active).then(|| view! { <span class="mt-1 inline-block rounded-full bg-stone-200 px-2 text-xs text-stone-700">{t!(i18n, staff.disabled)}</span> })}
            </th>
            <td class="py-2 pr-3">{role_name(locale, member.role)}</td>
            <td class="py-2 pr-3">{did(&member.today)}</td>
            <td class="py-2 pr-3">{did(&member.month)}</td>
            <td class="py-2 pr-3">
                {manageable.then(|| view! {
                    <div class="flex flex-col gap-2">
                        <ActionForm action=active>
                            <input type="hidden" name="id" value=toggle_id />
                            <input type="hidden" name="active" value=(!is_active).to_string() />
                            <button type="submit" class=QUIET data-testid="staff-toggle">
                                {if is_active { td_string!(locale, staff.disable) } else { td_string!(locale, staff.enable) }}
                            </button>
                        </ActionForm>
                        <ActionForm action=password attr:class="flex gap-2">
                            <input type="hidden" name="id" value=reset_id />
                            <label for=password_id.clone() class="sr-only">{t!(i18n, staff.new_password)}</label>
                            <input id=password_id type="password" name="password" required minlength="8" maxlength="128"
                                autocomplete="new-password" class="w-36 rounded-lg border border-stone-300 px-2 py-1"
                                placeholder=td_string!(locale, staff.new_password) data-testid="staff-password" />
                            <button type="submit" class=QUIET data-testid="staff-password-set">{t!(i18n, staff.set_password)}</button>
                        </ActionForm>
                    </div>
                })}
            </td>
        </tr>
    }
}

#[component]
fn AddForm(role: Role, add: ServerAction<ConsoleAddStaff>) -> impl IntoView {
    let i18n = use_i18n();
    let locale = page_locale();
    // An owner adds any role; a manager, cashiers.
    let roles: Vec<Role> = match role {
        Role::Owner => vec![Role::Cashier, Role::Manager, Role::Owner],
        _ => vec![Role::Cashier],
    };
    view! {
        <section class="rounded-2xl bg-white p-4 shadow-sm ring-1 ring-stone-200" aria-labelledby="add-staff-heading">
            <h2 id="add-staff-heading" class="text-lg font-semibold">{t!(i18n, staff.add)}</h2>
            <ActionForm action=add attr:class="mt-3 grid gap-3 sm:grid-cols-2 lg:grid-cols-5 lg:items-end">
                <div>
                    <label for="staff-username" class=LABEL>{t!(i18n, staff.username)}</label>
                    <input id="staff-username" name="username" required minlength="3" maxlength="32" pattern=r"[A-Za-z0-9._\-]+"
                        autocomplete="off" class=FIELD data-testid="staff-username" />
                </div>
                <div>
                    <label for="staff-display" class=LABEL>{t!(i18n, staff.name)}</label>
                    <input id="staff-display" name="display_name" required maxlength="40" class=FIELD data-testid="staff-display" />
                </div>
                <div>
                    <label for="staff-role" class=LABEL>{t!(i18n, staff.role)}</label>
                    <select id="staff-role" name="role" class=FIELD data-testid="staff-role">
                        {roles.into_iter().map(|role| view! { <option value=role.as_str()>{role_name(locale, role)}</option> }).collect_view()}
                    </select>
                </div>
                <div>
                    <label for="staff-first-password" class=LABEL>{t!(i18n, staff.first_password)}</label>
                    <input id="staff-first-password" type="password" name="password" required minlength="8" maxlength="128"
                        autocomplete="new-password" class=FIELD data-testid="staff-first-password" />
                </div>
                <button type="submit" class=BUTTON data-testid="staff-add">{t!(i18n, staff.add_button)}</button>
            </ActionForm>
        </section>
    }
}
