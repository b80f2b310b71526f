//! The gate in front of every route, run before any body is read: who is calling (a bearer
//! token or the console's session cookie, with its server-side session checked), whether
//! the route needs a caller at all (deny by default: only the routes in [`PUBLIC`] are
//! open), and whether a state-changing request that rides on the cookie really comes from
//! our own pages (its `Origin`). Anonymous callers learn nothing of the API's shapes: they
//! get 401 before their body is looked at.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, Method};

use crate::auth::AuthError;
use crate::auth::throttle::{ClientAddr, GateSettings};
use crate::error::AppError;
use crate::service::auth::Caller;
use crate::state::AppState;

/// Routes under the API's prefixes that answer without a caller.
const PUBLIC: &[&str] = &[
    "/api/auth/staff/login",
    "/api/auth/diner/login",
    // Anonymous callers get the probes only; staff see their own shop.
    "/api/system/status",
    "/api/openapi.json",
    // The JSON Schemas of campaigns and stories (what a model or a mini program writes to).
    "/api/schemas/campaign.json",
    "/api/schemas/story.json",
    "/console/sign_in",
    // Clearing the cookie needs no valid session (an expired one must be able to leave).
    "/console/sign_out",
    // Says who is signed in, or nobody.
    "/console/session",
    "/console/language",
    // The demo diner page's own sign-in (DEV identity only).
    "/console/diner/sign_in",
    // Providers calling back sign their callbacks instead (Standard Webhooks).
    "/api/agent/webhook",
];

/// Prefixes of routes that answer without a caller: WeChat Pay's notifications, signed by
/// the platform key instead (one route per shop).
const PUBLIC_PREFIXES: &[&str] = &["/api/pay/wechat/notify/"];

/// Whether `path` needs an authenticated caller: everything under `/api/` and `/console/`
/// but [`PUBLIC`] and the API's docs. Pages and assets do not (pages ask for themselves).
pub fn needs_caller(path: &str) -> bool {
    let api = path.starts_with("/api/") || path.starts_with("/console/");
    api && !PUBLIC.contains(&path)
        && !path.starts_with("/api/docs")
        && !PUBLIC_PREFIXES
            .iter()
            .any(|prefix| path.starts_with(prefix))
}

/// Where the credential came from: an app's header, or a browser's cookie (which a browser
/// also sends with requests other sites' pages make).
#[derive(Clone, Debug, PartialEq, Eq)]
enum Credential {
    Bearer(String),
    Cookie(String),
}

impl Credential {
    fn of(headers: &HeaderMap) -> Option<Self> {
        bearer_token(headers)
            .map(|token| Self::Bearer(token.to_owned()))
            .or_else(|| crate::auth::session_cookie::token(headers).map(Self::Cookie))
    }

    fn token(&self) -> &str {
        match self {
            Self::Bearer(token) | Self::Cookie(token) => token,
        }
    }
}

/// The token of an `Authorization: Bearer …` header, if any (apps; the socket reads it too).
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(http::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim)
}

/// The middleware (`axum::middleware::from_fn_with_state`).
pub async fn gate(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let settings = state.gate;
    let addr = client_addr(&request, settings);
    request.extensions_mut().insert(addr);
    let path = request.uri().path().to_owned();
    let credential = Credential::of(request.headers());
    if changes_state(request.method())
        && (path.starts_with("/console/") || matches!(credential, Some(Credential::Cookie(_))))
        && !same_origin(request.headers(), settings)
    {
        tracing::warn!(path, address = ?addr.0, "cross-site request refused");
        return AppError::Forbidden("send this from the console's own pages".into())
            .into_response();
    }
    let caller = match &credential {
        // Files need no session read.
        Some(_) if is_file(&path) => None,
        Some(credential) => Some(
            crate::service::auth::authenticate(&state, credential.token(), chrono::Utc::now())
                .await,
        ),
        None => None,
    };
    match caller {
        Some(Ok(caller)) => {
            request.extensions_mut().insert(caller);
        }
        // A page is shown as to someone signed out; an API call is refused below.
        Some(Err(err)) if needs_caller(&path) => return err.into_response(),
        Some(Err(_)) => {}
        None if needs_caller(&path) => {
            return AppError::Auth(AuthError::Missing).into_response();
        }
        None => {}
    }
    next.run(request).await
}

/// The caller the gate found for this request, if any.
pub fn caller_of(extensions: &http::Extensions) -> Option<&Caller> {
    extensions.get::<Caller>()
}

/// A static file (the wasm bundle, styles, images): its last segment has an extension.
/// The cookie rides along with every one of them; none needs the caller.
fn is_file(path: &str) -> bool {
    !path.starts_with("/api/")
        && !path.starts_with("/console/")
        && path
            .rsplit('/')
            .next()
            .is_some_and(|last| last.contains('.'))
}

fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Whether the request's `Origin` is this server's own (the host the browser asked for).
/// Browsers send `Origin` with every POST; a request without one is not from our pages.
fn same_origin(headers: &HeaderMap, settings: GateSettings) -> bool {
    let text = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    let host = settings
        .trust_forwarded_for
        .then(|| text("x-forwarded-host"))
        .flatten()
        .or_else(|| text("host"));
    let origin_host = text("origin")
        .and_then(|origin| origin.split_once("://"))
        .map(|(_, authority)| authority.trim_end_matches('/'));
    matches!((origin_host, host), (Some(origin), Some(host)) if origin.eq_ignore_ascii_case(host))
}

/// The client's address: the socket's peer, or behind a trusted proxy the last hop it
/// appended to `X-Forwarded-For`.
fn client_addr(request: &Request, settings: GateSettings) -> ClientAddr {
    let forwarded = settings
        .trust_forwarded_for
        .then(|| {
            request
                .headers()
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|value| value.to_str().ok())
                .flat_map(|value| value.split(','))
                .next_back()
                .and_then(|hop| hop.trim().parse::<IpAddr>().ok())
        })
        .flatten();
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip());
    ClientAddr(forwarded.or(peer))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, http::HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn everything_under_the_api_needs_a_caller_but_the_public_few() {
        for open in [
            "/api/auth/staff/login",
            "/api/system/status",
            "/api/docs/",
            "/console/sign_in",
            "/console/session",
            "/api/pay/wechat/notify/demo",
            "/cashier",
            "/",
            "/pkg/mealquest.js",
            "/ws",
        ] {
            assert!(!needs_caller(open), "{open}");
        }
        for closed in [
            "/api/payment/verify",
            "/api/wallet/recharge",
            "/api/wallet/recharge/online",
            "/api/pay/wechat/notify",
            "/api/assets/mine",
            "/console/scan",
            "/console/feed",
            "/api/some/new/endpoint",
        ] {
            assert!(needs_caller(closed), "{closed}");
        }
    }

    #[test]
    fn files_are_told_from_pages_and_the_api() {
        for file in ["/pkg/mealquest.wasm", "/pkg/mealquest.css", "/favicon.ico"] {
            assert!(is_file(file), "{file}");
        }
        for other in [
            "/cashier",
            "/",
            "/api/openapi.json",
            "/console/sign_in",
            "/diner",
        ] {
            assert!(!is_file(other), "{other}");
        }
    }

    #[test]
    fn only_our_own_origin_passes() {
        let direct = GateSettings::default();
        let ours = headers(&[
            ("host", "shop.example:3000"),
            ("origin", "http://shop.example:3000"),
        ]);
        assert!(same_origin(&ours, direct));
        let theirs = headers(&[
            ("host", "shop.example:3000"),
            ("origin", "https://evil.example"),
        ]);
        assert!(!same_origin(&theirs, direct));
        let missing = headers(&[("host", "shop.example:3000")]);
        assert!(!same_origin(&missing, direct));
        let null = headers(&[("host", "shop.example:3000"), ("origin", "null")]);
        assert!(!same_origin(&null, direct));
        // A proxy's host is believed only when configured.
        let proxied = headers(&[
            ("host", "10.0.0.5:3000"),
            ("x-forwarded-host", "shop.example"),
            ("origin", "https://shop.example"),
        ]);
        assert!(!same_origin(&proxied, direct));
        let behind_proxy = GateSettings {
            trust_forwarded_for: true,
        };
        assert!(same_origin(&proxied, behind_proxy));
    }

    #[test]
    fn a_bearer_header_wins_over_the_cookie() {
        let both = headers(&[
            ("authorization", "Bearer abc"),
            ("cookie", "mq_session=def"),
        ]);
        assert_eq!(
            Credential::of(&both),
            Some(Credential::Bearer("abc".into()))
        );
        let cookie = headers(&[("cookie", "mq_session=def")]);
        assert_eq!(
            Credential::of(&cookie),
            Some(Credential::Cookie("def".into()))
        );
        assert_eq!(Credential::of(&HeaderMap::new()), None);
    }
}
