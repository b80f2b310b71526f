//! The state every handler and server function shares (server side only).

use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;

use crate::error::AppError;

/// Built once at start-up by the server and handed to the router; server functions reach it
/// through [`app_state`]. Cloning is cheap (handles only).
#[derive(Clone, Debug, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: db::Db,
    /// Which database engine the URL selected, for status pages and logs.
    pub engine: db::Engine,
    /// Issues and verifies the bearer tokens.
    pub tokens: crate::auth::TokenKeys,
    /// Turns a diner's login code into their uid (WeChat; `dev:<uid>` codes in DEV).
    pub identity: crate::auth::IdentityProvider,
    /// Requests with an Idempotency-Key running in this process (duplicates get 409).
    pub in_flight: crate::service::in_flight::InFlight,
    /// This process's real-time sockets and the fan-out to them.
    pub realtime: crate::realtime::Hub,
    /// Sessions checked a moment ago (see `service::auth::SessionCache`).
    pub sessions: std::sync::Arc<crate::service::auth::SessionCache>,
    /// Bounds password checks and locks out repeated failed logins.
    pub logins: crate::auth::throttle::LoginGuard,
    /// How the gate in front of every route reads addresses and origins.
    pub gate: crate::auth::throttle::GateSettings,
    /// How long payment codes live and how many one diner may hold open.
    pub payments: crate::service::payment::PaymentRules,
    /// The shops' active campaigns, kept while a LIVE query says nothing changed.
    pub campaigns: crate::service::rules::cache::ActiveCampaigns,
    /// The shops' names and time zones, kept while a LIVE query says nothing changed.
    pub shops: crate::service::shops::Shops,
    /// The shops' catalogues but their stocks, kept while a LIVE query says nothing changed.
    pub catalogs: crate::service::catalog::Catalogs,
    /// The agent's workflows and their threads.
    pub agent: crate::service::agent::Agent,
    /// The chat model the workflows ask (offline unless a provider is configured).
    pub models: crate::service::models::Models,
    /// The Artist's image models and the store its pictures are kept in.
    pub studio: crate::service::artist::Studio,
    /// The shops' online payment accounts (none: no online recharge).
    pub online: std::sync::Arc<crate::service::online::Online>,
    /// The weather feed, when one is configured (none: the weather comes only from events).
    pub weather: Option<crate::service::weather::Feed>,
    /// Verifies provider callbacks, when a secret is shared with the providers.
    pub webhooks: Option<crate::service::callbacks::Webhooks>,
}

/// The shared state inside a server function (provided by `leptos_routes_with_context`).
pub fn app_state() -> Result<AppState, AppError> {
    leptos::prelude::use_context::<AppState>()
        .ok_or_else(|| AppError::Internal("AppState is not provided to this request".into()))
}
