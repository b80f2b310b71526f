//! Start-up: connect and migrate the database, build the router, bind the listener.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use app::api::openapi::ApiDoc;
use app::state::AppState;
use app::{App, shell};
use utoipa_swagger_ui::SwaggerUi;

use app::auth::{IdentityProvider, SigningKey, TokenKeys, TokenSettings, WeChatMiniProgram};
use secrecy::ExposeSecret;

use crate::config::{AppConfig, DinerIdentity, Environment, OnlineProvider, WeatherProvider};
use crate::{health, shutdown, workers};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("database: {0}")]
    Database(#[from] db::DbError),
    #[error("leptos options: {0}")]
    Leptos(String),
    #[error("demo data: {0}")]
    Seed(String),
    #[error("checking the books: {0}")]
    Audit(String),
    #[error("diner identity provider: {0}")]
    Identity(String),
    #[error("model provider: {0}")]
    Model(String),
    #[error("agent workflows: {0}")]
    Agent(String),
    #[error("online payments: {0}")]
    Payments(String),
    #[error("the Artist: {0}")]
    Artist(String),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("server: {0}")]
    Serve(#[source] std::io::Error),
}

/// How long sockets get to send their goodbye (1001) once the server is stopping.
const SOCKETS_CLOSE_WITHIN: Duration = Duration::from_secs(2);

/// A started, not yet serving, application.
pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
    shutdown_grace: Duration,
    expire_payments_every: Duration,
    agent_lease: Duration,
    proposals: workers::Proposals,
    figures: workers::Figures,
}

impl Application {
    /// Connects to and migrates the database, seeds demo data when configured, binds the port.
    pub async fn build(config: &AppConfig) -> Result<Self, StartupError> {
        let addr = config.settings.server.address();
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| StartupError::Bind { addr, source })?;
        let mut state = build_state(config).await?;
        // Now that the port is known, the payment accounts that reach this process (the
        // stand-in in DEV, notifications when no public address is configured).
        let mut bound = listener.local_addr().map_err(StartupError::Serve)?;
        if bound.ip().is_unspecified() {
            bound.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
        }
        state.online = std::sync::Arc::new(online(config, Some(&format!("http://{bound}")))?);
        let server = &config.settings.server;
        let mut router = router(
            state.clone(),
            server.max_body_bytes,
            Duration::from_secs(server.request_timeout_secs),
        );
        let online = &config.settings.payments.online;
        if online.provider == OnlineProvider::Standin {
            for (shop, wechat) in &online.accounts {
                let standin = pay::standin::StandIn::new(&wechat.mchid, &wechat.appid)
                    .map_err(|e| StartupError::Payments(e.to_string()))?;
                router = router.nest(&format!("{STANDIN_PATH}/{shop}"), standin.router());
            }
        }
        Ok(Self {
            listener,
            router,
            state,
            shutdown_grace: Duration::from_secs(server.shutdown_grace_secs),
            expire_payments_every: Duration::from_secs(config.settings.payments.expire_every_secs),
            agent_lease: Duration::from_secs(config.settings.agent.node_lease_secs),
            figures: workers::Figures {
                every: Duration::from_millis(config.settings.figures.every_millis),
                all_every: Duration::from_secs(config.settings.figures.all_every_secs.max(1)),
            },
            proposals: workers::Proposals {
                every_days: config.settings.agent.propose_every_days,
                check: Duration::from_secs(config.settings.agent.propose_check_minutes.max(1) * 60),
            },
        })
    }

    /// The bound address (the real port when the configured one was 0).
    pub fn local_addr(&self) -> Result<SocketAddr, StartupError> {
        self.listener.local_addr().map_err(StartupError::Serve)
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves (with the background workers) until `stop` resolves, then lets in-flight
    /// requests finish for up to the grace period; the workers stop with the server.
    pub async fn run_until(
        self,
        stop: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), StartupError> {
        // Sockets never end by themselves: told to close first, they let the server stop.
        let hub = self.state.realtime.clone();
        let stop = async move {
            stop.await;
            hub.close_all();
        };
        let serve =
            shutdown::serve_gracefully(self.listener, self.router, stop, self.shutdown_grace);
        let hub = self.state.realtime.clone();
        // This process among the others working the same queues.
        let owner = format!("process-{}", uuid::Uuid::new_v4().simple());
        let result = tokio::select! {
            result = serve => {
                hub.closed(SOCKETS_CLOSE_WITHIN).await;
                result
            }
            () = workers::run(
                self.state.clone(),
                owner.clone(),
                self.expire_payments_every,
                self.agent_lease,
                self.proposals,
                self.figures,
            ) => Ok(()),
        };
        // The other processes take this one's partitions at once, not when the leases end.
        workers::leave(&self.state, &owner).await;
        result
    }
}

/// The shared state: database connected, schema current, demo data in place if asked for.
/// The books of the configured database checked against its ledger (read only: nothing is
/// migrated or seeded).
pub async fn check_books(config: &AppConfig) -> Result<app::service::audit::Audit, StartupError> {
    let options = config.connect_options();
    let engine = db::Engine::from_url(&options.url)?;
    let state = state_over(config, db::connect(&options).await?, engine)?;
    app::service::audit::check_books(&state)
        .await
        .map_err(|err| StartupError::Audit(err.to_string()))
}

pub async fn build_state(config: &AppConfig) -> Result<AppState, StartupError> {
    let options = config.connect_options();
    let engine = db::Engine::from_url(&options.url)?;
    let database = db::connect(&options).await?;
    let report = db::migrations::migrate(&database).await?;
    tracing::info!(
        engine = engine.label(),
        schema_version = report.schema_version,
        applied_now = ?report.applied_now,
        "database ready"
    );
    let state = state_over(config, database, engine)?;
    if config.settings.demo.seed {
        db::seed::demo_data(&state.db).await?;
        app::service::auth::seed_demo_staff(&state)
            .await
            .map_err(|err| StartupError::Seed(err.to_string()))?;
        app::service::demo::seed_demo_cards(&state, chrono::Utc::now())
            .await
            .map_err(|err| StartupError::Seed(err.to_string()))?;
        app::service::demo::seed_demo_campaign(&state)
            .await
            .map_err(|err| StartupError::Seed(err.to_string()))?;
        // The demo cards' news is numbered before anyone can listen, so a socket opened once
        // the server serves starts after it rather than hearing it as new (else the
        // sequencer numbers it as soon as it runs).
        app::service::rules::decide_all(&state).await;
        app::realtime::sequencer::number_all(&state).await;
        tracing::info!("demo data seeded");
    }
    Ok(state)
}

/// The shared state over a connected `database`, as the configuration describes it (nothing
/// is migrated or seeded here).
pub fn state_over(
    config: &AppConfig,
    database: db::Db,
    engine: db::Engine,
) -> Result<AppState, StartupError> {
    let agent = app::service::agent::runtime(&database, config.settings.agent.runtime())
        .map_err(|err| StartupError::Agent(err.to_string()))?;
    Ok(AppState {
        leptos_options: leptos_options(config)?,
        db: database,
        engine,
        tokens: token_keys(config),
        identity: identity_provider(config)?,
        in_flight: Default::default(),
        realtime: app::realtime::Hub::new(app::realtime::hub::Settings {
            heartbeat: Duration::from_secs(config.settings.realtime.heartbeat_secs),
            queue_frames: config.settings.realtime.queue_frames,
            session_check: Duration::from_secs(config.settings.realtime.session_check_secs),
        }),
        sessions: std::sync::Arc::new(app::service::auth::SessionCache::new(
            Duration::from_millis(config.settings.auth.session_cache_ms),
        )),
        logins: app::auth::throttle::LoginGuard::new(&config.settings.auth.login.limits()),
        gate: app::auth::throttle::GateSettings {
            trust_forwarded_for: config.settings.server.trust_forwarded_for,
        },
        payments: config.settings.payments.rules(),
        campaigns: Default::default(),
        catalogs: Default::default(),
        shops: Default::default(),
        weather: weather_feed(config),
        agent,
        models: models(config)?,
        studio: studio(config)?,
        online: std::sync::Arc::new(online(config, None)?),
        webhooks: config
            .secrets
            .agent_webhook_secret
            .as_ref()
            .map(|secret| app::service::callbacks::Webhooks::new(secret.expose_secret()))
            .transpose()
            .map_err(StartupError::Agent)?,
    })
}

/// The chat model the configuration names: the provider when its key is set (guarded,
/// falling back to the offline rulebook), else the rulebook alone; and the embedding model
/// when one is named and has a key, else the lexical embedder.
fn models(config: &AppConfig) -> Result<app::service::models::Models, StartupError> {
    let settings = &config.settings.model;
    let secrets = &config.secrets;
    let refused = |err: llm::CallError| StartupError::Model(err.to_string());
    let models = match secrets.model_api_key.clone() {
        None => app::service::models::Models::default(),
        Some(key) => {
            let provider = llm::OpenAiCompatible::new(settings.endpoint(key)).map_err(refused)?;
            app::service::models::Models::remote(
                std::sync::Arc::new(llm::Guarded::new(provider, settings.limits())),
                settings.attempts,
            )
        }
    };
    let embedding = secrets
        .embedding_api_key
        .clone()
        .or_else(|| secrets.model_api_key.clone())
        .and_then(|key| settings.embedding_endpoint(key));
    Ok(match embedding {
        None => models,
        Some(endpoint) => {
            let provider = llm::OpenAiEmbeddings::new(endpoint).map_err(refused)?;
            models.with_embedder(std::sync::Arc::new(llm::Guarded::new(
                provider,
                settings.limits(),
            )))
        }
    })
}

/// Where DEV serves the stand-in WeChat Pay.
pub const STANDIN_PATH: &str = "/dev/wechatpay";

/// The shops' online payment accounts as configured (`payments.online`), each behind its
/// retries and breaker. `self_url` is this process's address once bound: the stand-in is
/// served there, and notifications come there when no public address is configured.
fn online(
    config: &AppConfig,
    self_url: Option<&str>,
) -> Result<app::service::online::Online, StartupError> {
    let settings = &config.settings.payments.online;
    let notify_base = match (settings.notify_base_url.trim(), self_url) {
        ("", Some(url)) => url,
        (configured, _) => configured,
    };
    let seconds = |secs: u32| chrono::Duration::seconds(i64::from(secs));
    let online = app::service::online::Online::new(
        notify_base,
        seconds(settings.order_ttl_secs),
        seconds(settings.query_after_secs),
        Duration::from_secs(settings.sweep_every_secs.max(1)),
    );
    let failed = |e: pay::PayError| StartupError::Payments(e.to_string());
    let (base_url, mut online) = match (settings.provider, self_url) {
        (OnlineProvider::Off, _) | (OnlineProvider::Standin, None) => return Ok(online),
        (OnlineProvider::Standin, Some(url)) => {
            let base = format!("{url}{STANDIN_PATH}");
            let sandbox = online.with_sandbox(&base);
            (base, sandbox)
        }
        (OnlineProvider::Wechat, _) => (settings.base_url.clone(), online),
    };
    for (shop, wechat) in &settings.accounts {
        let (base_url, account) = match settings.provider {
            // Each shop's stand-in at a path of its own, as each merchant has its own keys.
            OnlineProvider::Standin => (
                format!("{base_url}/{shop}"),
                pay::standin::test_account(&wechat.mchid, &wechat.appid).map_err(failed)?,
            ),
            _ => (
                wechat.base_url.clone().unwrap_or_else(|| base_url.clone()),
                wechat_account(config, shop, wechat)?,
            ),
        };
        let client = pay::WeChatPay::new(
            &base_url,
            account,
            Duration::from_secs(settings.timeout_secs.max(1)),
        )
        .map_err(failed)?;
        let guarded = pay::Guarded::new(
            client,
            pay::Limits {
                failures_to_open: settings.failures_to_open.max(1),
                open_for: Duration::from_secs(settings.open_secs.max(1)),
                ..pay::Limits::default()
            },
        );
        online = online.with_account(shop, std::sync::Arc::new(guarded));
    }
    Ok(online)
}

/// A shop's WeChat Pay account: its ids from the settings, its keys from its secrets, the
/// platform's public key from its file.
fn wechat_account(
    config: &AppConfig,
    shop: &str,
    wechat: &crate::config::WeChatPayAccount,
) -> Result<pay::Account, StartupError> {
    let failed = |e: pay::PayError| StartupError::Payments(format!("{shop}: {e}"));
    // The configuration refused to load without them, naming the secrets.
    let (private_key, api_v3_key) = config
        .secrets
        .wechatpay
        .get(shop)
        .and_then(|keys| Some((keys.private_key.as_ref()?, keys.api_v3_key.as_ref()?)))
        .ok_or_else(|| {
            StartupError::Payments(format!("{shop}: its WeChat Pay keys are missing"))
        })?;
    let platform = std::fs::read_to_string(&wechat.platform_public_key_file).map_err(|e| {
        StartupError::Payments(format!(
            "the platform public key of {shop}, {}: {e}",
            wechat.platform_public_key_file
        ))
    })?;
    Ok(pay::Account {
        mchid: wechat.mchid.clone(),
        appid: wechat.appid.clone(),
        merchant_key: pay::MerchantKey::from_pem(&wechat.merchant_serial, private_key)
            .map_err(failed)?,
        api_v3_key: pay::ApiV3Key::new(api_v3_key).map_err(failed)?,
        platform: pay::PlatformKey::from_pem(&wechat.platform_key_id, &platform).map_err(failed)?,
    })
}

/// The Artist's studio: the store the configuration names, the offline painter with its
/// font, and the image provider when a model is named and has a key (guarded like the chat
/// model).
fn studio(config: &AppConfig) -> Result<app::service::artist::Studio, StartupError> {
    let settings = &config.settings.artist;
    let refused = |err: String| StartupError::Artist(err);
    let renderer = artist::Renderer::from_file(&settings.font).map_err(|err| {
        refused(format!(
            "{err} ({}: install fonts-wqy-microhei with `make setup`, or set MEALQUEST_ARTIST__FONT)",
            settings.font.display()
        ))
    })?;
    let store = app::service::artist::Studio::store_at(&settings.media)
        .map_err(|err| refused(err.to_string()))?;
    let studio = app::service::artist::Studio::new(std::sync::Arc::new(renderer), store);
    let secrets = &config.secrets;
    let endpoint = secrets
        .image_api_key
        .clone()
        .or_else(|| secrets.model_api_key.clone())
        .and_then(|key| settings.image_endpoint(key));
    let studio = match endpoint {
        None => studio,
        Some(endpoint) => {
            let provider = endpoint.model().map_err(|err| refused(err.to_string()))?;
            studio.with_remote(std::sync::Arc::new(llm::Guarded::new(
                provider,
                config.settings.model.limits(),
            )))
        }
    };
    let vision = secrets
        .vision_api_key
        .clone()
        .or_else(|| secrets.model_api_key.clone())
        .and_then(|key| settings.vision_endpoint(key));
    Ok(match vision {
        None => studio,
        Some(endpoint) => {
            let model = llm::OpenAiVision::new(endpoint).map_err(|err| refused(err.to_string()))?;
            studio.with_vision(std::sync::Arc::new(llm::Guarded::new(
                model,
                config.settings.model.limits(),
            )))
        }
    })
}

/// The weather feed the configuration names, if any.
fn weather_feed(config: &AppConfig) -> Option<app::service::weather::Feed> {
    let weather = &config.settings.weather;
    let source: std::sync::Arc<dyn app::service::weather::WeatherSource> = match weather.provider {
        WeatherProvider::None => return None,
        WeatherProvider::Qweather => {
            std::sync::Arc::new(app::service::weather::qweather::QWeather::new(
                &weather.base_url,
                config.secrets.weather_api_key.clone()?,
            ))
        }
    };
    Some(app::service::weather::Feed {
        source,
        every: Duration::from_secs(weather.every_minutes.saturating_mul(60)),
    })
}

/// The diner identity provider the configuration names.
fn identity_provider(config: &AppConfig) -> Result<IdentityProvider, StartupError> {
    let auth = &config.settings.auth;
    match auth.diner_identity {
        DinerIdentity::Dev => Ok(IdentityProvider::Dev),
        DinerIdentity::Wechat => {
            let secret = config.secrets.wechat_app_secret.clone().ok_or_else(|| {
                StartupError::Identity("the secret WECHAT_APP_SECRET is missing".into())
            })?;
            Ok(IdentityProvider::WeChat(WeChatMiniProgram::new(
                auth.wechat.app_id.clone(),
                secret,
                auth.wechat.base_url.clone(),
            )))
        }
    }
}

/// The token keys from the secrets; in DEV without a key, a random one for this run only.
fn token_keys(config: &AppConfig) -> TokenKeys {
    let auth = &config.settings.auth;
    let current = match &config.secrets.jwt_signing_key {
        Some(secret) => secret.expose_secret().as_bytes().to_vec(),
        None => {
            tracing::warn!("no JWT_SIGNING_KEY: using a random key; tokens end with this process");
            let mut key = uuid::Uuid::new_v4().as_bytes().to_vec();
            key.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
            key
        }
    };
    let previous = auth
        .previous_key_id
        .clone()
        .zip(config.secrets.jwt_previous_signing_key.as_ref())
        .map(|(id, secret)| SigningKey {
            id,
            secret: secret.expose_secret().as_bytes().to_vec(),
        });
    TokenKeys::new(TokenSettings {
        issuer: auth.issuer.clone(),
        audience: auth.audience.clone(),
        ttl: chrono::Duration::minutes(auth.token_ttl_minutes),
        current: SigningKey {
            id: auth.key_id.clone(),
            secret: current,
        },
        previous,
    })
}

/// Leptos' site options: where the compiled assets live (set by cargo-leptos through
/// `LEPTOS_*` variables, with the workspace's defaults otherwise).
fn leptos_options(config: &AppConfig) -> Result<LeptosOptions, StartupError> {
    let mut options = get_configuration(None)
        .map_err(|err| StartupError::Leptos(err.to_string()))?
        .leptos_options;
    options.site_addr = config.settings.server.address();
    options.env = match config.environment {
        Environment::Dev => leptos::config::Env::DEV,
        _ => leptos::config::Env::PROD,
    };
    Ok(options)
}

/// Every route of the process: probes, server functions and pages, static assets — each
/// request limited to `request_timeout` — and the WebSocket, whose sessions are not.
pub fn router(state: AppState, max_body_bytes: usize, request_timeout: Duration) -> Router {
    let routes = generate_route_list(App);
    let options = state.leptos_options.clone();
    let requests = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route(
            "/api/schemas/campaign.json",
            get(|| async { axum::Json(app::service::rules::schema::campaign_schema()) }),
        )
        .route(
            "/api/agent/resume/{thread_id}",
            axum::routing::post(app::api::agent::resume),
        )
        .route(
            "/api/agent/webhook",
            axum::routing::post(app::api::agent::webhook),
        )
        .route("/media/art/{name}", get(app::api::artwork::media))
        .route(
            "/api/pay/wechat/notify/{merchant}",
            axum::routing::post(app::api::wallet::wechat_notify),
        )
        .route(
            "/api/schemas/story.json",
            get(|| async { axum::Json(app::service::rules::schema::story_schema().clone()) }),
        )
        .merge(
            SwaggerUi::new("/api/docs")
                .external_url_unchecked("/api/openapi.json", ApiDoc::document()),
        )
        .leptos_routes_with_context(&state, routes, || (), move || shell(options.clone()))
        .fallback(site_file)
        // Who is calling, before any body is read (the socket checks its own ticket).
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            app::api::gate::gate,
        ));
    crate::timeout::limited(requests, request_timeout)
        .route("/ws", get(app::realtime::socket::upgrade))
        .layer(axum::middleware::from_fn(move |request, next| {
            limit_body(max_body_bytes, request, next)
        }))
        .layer(axum::middleware::map_response(too_large_as_problem))
        .layer(CatchPanicLayer::new())
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

/// Static files (the wasm bundle, the CSS, icons) straight from the site root, precompressed
/// where a `.br`/`.gz` sits beside them; anything else is the app's "not found" page.
/// leptos_axum's own file handler makes a reactive owner for every file it serves, and under
/// load one of those deadlocked a worker thread (reactive_graph 0.2.16: a parent owner's
/// cleanup waiting on the child it was reached from), which hung the request and, with it,
/// the process's shutdown.
async fn site_file(
    axum::extract::State(state): axum::extract::State<AppState>,
    uri: axum::http::Uri,
    request: axum::extract::Request,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    use tower::ServiceExt;
    let (parts, body) = request.into_parts();
    if matches!(
        parts.method,
        axum::http::Method::GET | axum::http::Method::HEAD
    ) {
        let probe = axum::http::Request::from_parts(parts.clone(), axum::body::Body::empty());
        // A file's `.gz`/`.br` twin (written by `make release`) to a browser that takes it:
        // the wasm is a third of its size gzipped (docs/benchmarks.md).
        let files = tower_http::services::ServeDir::new(state.leptos_options.site_root.as_ref())
            .precompressed_br()
            .precompressed_gzip();
        // A file (or its unchanged or partial answer); a directory or a miss is a page.
        if let Ok(found) = files.oneshot(probe).await
            && (found.status().is_success()
                || found.status() == axum::http::StatusCode::NOT_MODIFIED)
        {
            return found.into_response();
        }
    }
    leptos_axum::file_and_error_handler::<AppState, _>(shell)(
        uri,
        axum::extract::State(state),
        axum::http::Request::from_parts(parts, body),
    )
    .await
}

/// The body limit answers 413 in plain text; clients read problems, so it is said as one.
/// The most the logo upload's body may be: the file and its form around it.
const UPLOAD_BODY_BYTES: usize = app::service::settings::LOGO_MAX_BYTES + 64 * 1024;

/// Bodies are read up to `max_body_bytes` (one declared larger is refused unread, 413), but
/// the one upload route (the shop's logo, owner only) takes a file of a few megabytes.
async fn limit_body(
    max_body_bytes: usize,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    use leptos::server_fn::ServerFn;
    let limit = if request.uri().path() == app::api::console::ConsoleUploadLogo::PATH {
        UPLOAD_BODY_BYTES
    } else {
        max_body_bytes
    };
    let declared = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok()?.parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit) {
        return axum::http::StatusCode::PAYLOAD_TOO_LARGE.into_response();
    }
    next.run(request.map(|body| axum::body::Body::new(http_body_util::Limited::new(body, limit))))
        .await
}

async fn too_large_as_problem(response: axum::response::Response) -> axum::response::Response {
    use axum::response::IntoResponse;
    if response.status() != axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        return response;
    }
    app::error::Problem::new(
        app::error::ErrorCode::PayloadTooLarge,
        "The request's body is larger than the server reads.",
    )
    .into_response()
}

fn request_span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    tracing::info_span!(
        "http",
        method = %request.method(),
        path = %request.uri().path(),
        request_id,
    )
}
