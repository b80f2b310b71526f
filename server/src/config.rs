//! One typed configuration, loaded once at start-up:
//! `config/base.toml` → `config/<env>.toml` → `MEALQUEST_<SECTION>__<KEY>` environment variables.
//! Secrets come only from `MEALQUEST_SECRET_<NAME>` variables or `MEALQUEST_SECRET_<NAME>_FILE`
//! files, never from the TOML files, and never print (`SecretString`).

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use config::{Config, Environment as EnvSource, File, FileFormat};
use secrecy::SecretString;
use serde::Deserialize;

/// Where a deployment runs; selects `config/<name>.toml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Dev,
    Staging,
    Prod,
}

impl Environment {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Dev => "dev",
            Self::Staging => "staging",
            Self::Prod => "prod",
        }
    }
}

impl std::str::FromStr for Environment {
    type Err = ConfigError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value.trim().to_ascii_lowercase().as_str() {
            "dev" | "development" => Ok(Self::Dev),
            "staging" => Ok(Self::Staging),
            "prod" | "production" => Ok(Self::Prod),
            other => Err(ConfigError::UnknownEnvironment(other.to_owned())),
        }
    }
}

/// The settings read from files and overrides (no secrets here).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub log: LogSettings,
    pub demo: DemoSettings,
    pub auth: AuthSettings,
    pub realtime: RealtimeSettings,
    pub payments: PaymentSettings,
    pub weather: WeatherSettings,
    pub agent: AgentSettings,
    pub model: ModelSettings,
    pub artist: ArtistSettings,
    pub figures: FiguresSettings,
}

/// The shops' day figures (the boss's dashboard), kept by the housekeeping process.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FiguresSettings {
    /// Milliseconds between rounds computing again the figures of the shops something
    /// happened at: how soon a collection moves the dashboard (0: the figures are not kept).
    pub every_millis: u64,
    /// Seconds between rounds bringing every shop's figures up to date (days close, what
    /// was missed is caught).
    pub all_every_secs: u64,
}

/// The Artist: where its pictures are kept, the font its offline painter sets titles in,
/// and the image model (none: the offline painter draws).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArtistSettings {
    /// A local directory (`data/media`), `memory://` (this process only), or an S3 URL
    /// (`s3://bucket/prefix`; OSS and other S3-compatible stores through AWS_ENDPOINT, with
    /// the standard AWS_* credentials in the environment).
    pub media: String,
    /// A TrueType font (or collection) with CJK glyphs, for the offline painter's titles.
    pub font: std::path::PathBuf,
    /// An images API (its key: IMAGE_API_KEY, else MODEL_API_KEY).
    pub image_base_url: String,
    /// How it is spoken to: `openai` (`/images/generations`, answered at once) or
    /// `dashscope` (a task submitted, then polled).
    pub image_protocol: llm::ImageProtocol,
    /// Its model; empty: the offline painter draws.
    pub image_model: String,
    /// Seconds one call for pictures may take, to the last byte (a task: to its end).
    pub image_timeout_secs: u64,
    /// Milliseconds between two polls of an asynchronous provider's task.
    pub image_poll_millis: u64,
    /// An OpenAI-compatible chat API whose model reads images (its key: VISION_API_KEY,
    /// else MODEL_API_KEY), which looks at each of the provider's pictures for broken or
    /// indecent content.
    pub vision_base_url: String,
    /// Its model; empty: no vision check (the review's own checks stand).
    pub vision_model: String,
    /// Seconds one look may take.
    pub vision_timeout_secs: u64,
}

impl ArtistSettings {
    /// The vision model's endpoint with its key, when a model is named.
    pub fn vision_endpoint(&self, api_key: SecretString) -> Option<llm::VisionEndpoint> {
        let model = self.vision_model.trim();
        (!model.is_empty()).then(|| llm::VisionEndpoint {
            base_url: self.vision_base_url.clone(),
            api_key,
            model: model.to_owned(),
            timeout: std::time::Duration::from_secs(self.vision_timeout_secs),
        })
    }

    /// The image provider's endpoint with its key, when a model is named.
    pub fn image_endpoint(&self, api_key: SecretString) -> Option<llm::ImageEndpoint> {
        let model = self.image_model.trim();
        (!model.is_empty()).then(|| llm::ImageEndpoint {
            base_url: self.image_base_url.clone(),
            api_key,
            model: model.to_owned(),
            timeout: std::time::Duration::from_secs(self.image_timeout_secs),
            protocol: self.image_protocol,
            poll_every: std::time::Duration::from_millis(self.image_poll_millis.max(1)),
        })
    }
}

/// The agent's workflows (docs/agent.md).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentSettings {
    /// Checkpoints a finished thread keeps (its last ones; at least 1).
    pub keep_checkpoints: u32,
    /// Days a finished thread is kept at all.
    pub retention_days: u32,
    /// Seconds a worker holds a node's run before another may take it over (longer than a
    /// model's slowest answer).
    pub node_lease_secs: u64,
    /// The Strategist proposes unasked every so many days of a shop's calendar (0: never)…
    pub propose_every_days: u32,
    /// …and on a rainy or snowy day; every shop is looked at this often.
    pub propose_check_minutes: u64,
}

impl AgentSettings {
    /// How the runtime keeps threads.
    pub fn runtime(&self) -> agent::Settings {
        agent::Settings {
            keep: self.keep_checkpoints.max(1),
            retention: std::time::Duration::from_secs(u64::from(self.retention_days) * 24 * 3600),
        }
    }
}

/// The chat models the workflows ask, at an OpenAI-compatible endpoint (DeepSeek by
/// default). Its API key is the secret MODEL_API_KEY: without it (the default) the offline
/// rulebook answers, so every workflow runs without a network.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSettings {
    /// The API base (`https://api.deepseek.com`).
    pub base_url: String,
    /// For wording and intent (DeepSeek-V3).
    pub wording_model: String,
    /// For strategy (DeepSeek-R1).
    pub strategy_model: String,
    /// Seconds one call may take, to the last byte.
    pub timeout_secs: u64,
    /// Answers asked for until one passes its schema and checks.
    pub attempts: u32,
    /// Retries of a call that met a 429, a 5xx or a timeout (backoff with jitter).
    pub retries: usize,
    pub per_merchant_per_minute: u32,
    pub global_per_minute: u32,
    /// The breaker opens above this share of failed calls (percent)…
    pub breaker_error_percent: u8,
    /// …among at least this many in its window…
    pub breaker_min_calls: u32,
    pub breaker_window_secs: u64,
    /// …and stays open this long before one call may try again.
    pub breaker_open_secs: u64,
    /// The embedding provider's API base (its key: EMBEDDING_API_KEY, else MODEL_API_KEY).
    pub embedding_base_url: String,
    /// Its model, asked for 256 dimensions; empty: the offline lexical embedder.
    pub embedding_model: String,
}

impl ModelSettings {
    /// The calls' limits, retries and breaker.
    pub fn limits(&self) -> llm::Limits {
        let per_minute = |n: u32| std::num::NonZeroU32::new(n).unwrap_or(std::num::NonZeroU32::MIN);
        llm::Limits {
            per_merchant_per_minute: per_minute(self.per_merchant_per_minute),
            global_per_minute: per_minute(self.global_per_minute),
            retries: self.retries,
            max_error_rate: f64::from(self.breaker_error_percent.min(100)) / 100.0,
            min_calls: self.breaker_min_calls,
            window: std::time::Duration::from_secs(self.breaker_window_secs),
            open_for: std::time::Duration::from_secs(self.breaker_open_secs),
            ..llm::Limits::default()
        }
    }

    /// The embedding provider's endpoint with its key, when a model is named.
    pub fn embedding_endpoint(&self, api_key: SecretString) -> Option<llm::EmbeddingEndpoint> {
        let model = self.embedding_model.trim();
        (!model.is_empty()).then(|| llm::EmbeddingEndpoint {
            base_url: self.embedding_base_url.clone(),
            api_key,
            model: model.to_owned(),
            timeout: std::time::Duration::from_secs(self.timeout_secs),
        })
    }

    /// The provider's endpoint, with its key.
    pub fn endpoint(&self, api_key: SecretString) -> llm::Endpoint {
        llm::Endpoint {
            base_url: self.base_url.clone(),
            api_key,
            wording_model: self.wording_model.clone(),
            strategy_model: self.strategy_model.clone(),
            timeout: std::time::Duration::from_secs(self.timeout_secs),
        }
    }
}

/// Where the shops' weather comes from (its API key is the secret WEATHER_API_KEY).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeatherSettings {
    pub provider: WeatherProvider,
    /// The provider's API host.
    pub base_url: String,
    /// Minutes between readings of every shop's weather.
    pub every_minutes: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WeatherProvider {
    /// No feed: the weather comes only from `POST /api/events`.
    None,
    /// QWeather (和风天气) v7.
    Qweather,
}

/// Payment codes (`POST /api/payment/create`) and online recharges.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentSettings {
    /// Seconds a payment code can be collected after it was made.
    pub code_ttl_secs: u32,
    /// Open (PENDING, unexpired) payment codes one diner may hold at once.
    pub max_open_per_diner: u32,
    /// Seconds between rounds of the worker that marks expired codes EXPIRED.
    pub expire_every_secs: u64,
    pub online: OnlineSettings,
}

/// Online recharges through a payment provider (`POST /api/wallet/recharge/online`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OnlineSettings {
    pub provider: OnlineProvider,
    /// This server's public address as the provider reaches it: notifications go to
    /// `{notify_base_url}/api/pay/wechat/notify/{merchant}`.
    pub notify_base_url: String,
    /// WeChat Pay's API address, for every account (the stand-in's own in DEV).
    pub base_url: String,
    /// Seconds an order can be paid.
    pub order_ttl_secs: u32,
    /// Seconds an order stays pending before the worker asks the provider after it.
    pub query_after_secs: u32,
    /// Seconds between the worker's rounds.
    pub sweep_every_secs: u64,
    /// Seconds a call to the provider may take.
    pub timeout_secs: u64,
    /// Transient failures in a row that open the breaker, and seconds it stays open.
    pub failures_to_open: u32,
    pub open_secs: u64,
    /// Each shop's own WeChat Pay merchant account, by the shop's id (its keys are the
    /// secrets named by `WeChatPayKeys::names`); a shop without one takes no online payment.
    #[serde(default)]
    pub accounts: BTreeMap<String, WeChatPayAccount>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnlineProvider {
    /// No online recharge (503 PAYMENT_PROVIDER_UNAVAILABLE); the counter still sells.
    Off,
    /// DEV: the stand-in WeChat Pay this process serves at `/dev/wechatpay/<shop>`, with the test
    /// keys (the diner demo page pays against it).
    Standin,
    /// WeChat Pay API v3.
    Wechat,
}

/// One shop's WeChat Pay merchant account (the stand-in reads `mchid` and `appid` only).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeChatPayAccount {
    /// WeChat Pay's address for this account, when not `payments.online.base_url` (its
    /// backup domain, or a gateway of the shop's own).
    #[serde(default)]
    pub base_url: Option<String>,
    pub mchid: String,
    /// The mini program's AppID.
    pub appid: String,
    /// The serial number of the merchant's API certificate.
    #[serde(default)]
    pub merchant_serial: String,
    /// The platform public key's id (`PUB_KEY_ID_…`) and the file holding it (PEM).
    #[serde(default)]
    pub platform_key_id: String,
    #[serde(default)]
    pub platform_public_key_file: String,
}

impl PaymentSettings {
    /// The rules the payment service applies.
    pub fn rules(&self) -> app::service::payment::PaymentRules {
        app::service::payment::PaymentRules {
            code_ttl: chrono::Duration::seconds(i64::from(self.code_ttl_secs)),
            max_open_per_diner: self.max_open_per_diner,
        }
    }
}

/// The real-time sockets (`GET /ws`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RealtimeSettings {
    /// Seconds between pings; a client silent for two of them is closed.
    pub heartbeat_secs: u64,
    /// Frames that may wait for one socket before the client is dropped as too slow.
    pub queue_frames: usize,
    /// Seconds between a socket's checks that its session still holds.
    pub session_check_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    pub issuer: String,
    pub audience: String,
    pub token_ttl_minutes: i64,
    pub key_id: String,
    #[serde(default)]
    pub previous_key_id: Option<String>,
    /// How diners log in: `dev` (`dev:<uid>` codes, DEV only) or `wechat`.
    pub diner_identity: DinerIdentity,
    pub wechat: WeChatSettings,
    pub login: LoginSettings,
    /// How long a checked session is taken on trust by this process (0: every request reads
    /// it). Sign-out and disabling in this process apply at once regardless.
    pub session_cache_ms: u64,
}

/// Limits on logins (`[auth.login]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginSettings {
    /// Password checks (argon2, 19 MiB each) running at once.
    pub max_concurrent_checks: usize,
    /// How long a login waits for a check slot before 503 BUSY.
    pub check_wait_ms: u64,
    /// Failed logins in a row per username before it is locked out.
    pub failures_per_username: u32,
    /// Failed logins (staff or diner) in a row per client address before it is locked out.
    pub failures_per_address: u32,
    /// After the allowance, one more attempt per this many seconds.
    pub lockout_secs: u64,
}

impl LoginSettings {
    pub fn limits(&self) -> app::auth::throttle::LoginLimits {
        app::auth::throttle::LoginLimits {
            max_concurrent_checks: self.max_concurrent_checks,
            check_wait: std::time::Duration::from_millis(self.check_wait_ms),
            failures_per_username: self.failures_per_username,
            failures_per_address: self.failures_per_address,
            lockout: std::time::Duration::from_secs(self.lockout_secs),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DinerIdentity {
    Dev,
    Wechat,
}

/// The WeChat mini program diners log in with (its secret is WECHAT_APP_SECRET).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeChatSettings {
    pub app_id: String,
    /// `https://api.weixin.qq.com`; tests point it at a stand-in.
    pub base_url: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub host: IpAddr,
    /// 0 picks a free port (tests).
    pub port: u16,
    pub shutdown_grace_secs: u64,
    pub max_body_bytes: usize,
    /// Behind a proxy we run: client addresses from `X-Forwarded-For`, the page's host from
    /// `X-Forwarded-Host`. Off when clients reach the server directly.
    pub trust_forwarded_for: bool,
    /// Seconds a request may take before it is answered 503 `TIMEOUT` (and its work, with
    /// any lock it holds, dropped). Not applied to WebSocket sessions.
    pub request_timeout_secs: u64,
}

impl ServerSettings {
    pub fn address(&self) -> SocketAddr {
        SocketAddr::new(self.host, self.port)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    pub url: String,
    pub namespace: String,
    pub database: String,
    pub username: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    pub filter: String,
    pub format: LogFormat,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoSettings {
    pub seed: bool,
}

/// Credentials and keys. Each is optional here; the feature that needs one refuses to start
/// without it.
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    /// Root password of a SurrealDB server (`ws://` URLs).
    pub database_password: Option<SecretString>,
    /// Signing key of the JWTs staff and diners receive.
    pub jwt_signing_key: Option<SecretString>,
    /// The key before the last rotation: still verifies, never signs.
    pub jwt_previous_signing_key: Option<SecretString>,
    /// API key of the OpenAI-compatible model provider (DeepSeek by default).
    pub model_api_key: Option<SecretString>,
    /// API key of the embedding provider (MODEL_API_KEY's when absent).
    pub embedding_api_key: Option<SecretString>,
    /// API key of the image provider (MODEL_API_KEY's when absent).
    pub image_api_key: Option<SecretString>,
    /// API key of the vision model (MODEL_API_KEY's when absent).
    pub vision_api_key: Option<SecretString>,
    /// The WeChat mini program's AppSecret (diner logins).
    pub wechat_app_secret: Option<SecretString>,
    /// Each WeChat Pay account's keys, by the shop's id (`payments.online.accounts`).
    pub wechatpay: BTreeMap<String, WeChatPayKeys>,
    /// The weather provider's API key.
    pub weather_api_key: Option<SecretString>,
    /// The secret shared with providers that call back (`POST /api/agent/webhook`, signed
    /// as Standard Webhooks specify: `whsec_` and base64). Without it the endpoint is 404.
    pub agent_webhook_secret: Option<SecretString>,
}

/// Everything the process is configured with.
#[derive(Debug, Clone)]
pub struct AppConfig {
    pub environment: Environment,
    pub settings: Settings,
    pub secrets: Secrets,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("MEALQUEST_ENV must be dev, staging or prod, not `{0}`")]
    UnknownEnvironment(String),
    #[error("configuration: {0}")]
    Load(#[from] config::ConfigError),
    #[error("configuration: {0}")]
    Invalid(String),
    #[error("secret {name}: set MEALQUEST_SECRET_{name} or MEALQUEST_SECRET_{name}_FILE, not both")]
    AmbiguousSecret { name: String },
    #[error("secret {name}: cannot read {path}: {source}")]
    SecretFile {
        name: String,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

const PREFIX: &str = "MEALQUEST_";
const SECRET_PREFIX: &str = "MEALQUEST_SECRET_";

impl AppConfig {
    /// Loads from the process environment and `MEALQUEST_CONFIG_DIR` (default `config`).
    pub fn load() -> Result<Self, ConfigError> {
        let vars: HashMap<String, String> = std::env::vars().collect();
        let dir = vars
            .get("MEALQUEST_CONFIG_DIR")
            .map_or_else(|| PathBuf::from("config"), PathBuf::from);
        Self::load_from(&dir, &vars)
    }

    /// Loads from a config folder and a given set of environment variables.
    pub fn load_from(dir: &Path, vars: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let environment = match vars.get("MEALQUEST_ENV") {
            Some(name) => name.parse()?,
            None => Environment::Dev,
        };
        let settings: Settings = Config::builder()
            .add_source(File::from(dir.join("base.toml")).format(FileFormat::Toml))
            .add_source(
                File::from(dir.join(format!("{}.toml", environment.as_str())))
                    .format(FileFormat::Toml),
            )
            .add_source(
                EnvSource::with_prefix("MEALQUEST")
                    .prefix_separator("_")
                    .separator("__")
                    .try_parsing(true)
                    .source(Some(overrides(vars))),
            )
            .build()?
            .try_deserialize()?;
        let config = Self {
            environment,
            secrets: Secrets::from_vars(vars)?.with_wechatpay(vars, &settings)?,
            settings,
        };
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        use secrecy::ExposeSecret;
        let engine = db::Engine::from_url(&self.settings.database.url)
            .map_err(|err| ConfigError::Invalid(err.to_string()))?;
        if self.environment == Environment::Prod && engine == db::Engine::Memory {
            return Err(ConfigError::Invalid(
                "PROD refuses database.url = mem:// (every restart would lose all data)".into(),
            ));
        }
        if self.environment != Environment::Dev && self.secrets.jwt_signing_key.is_none() {
            return Err(ConfigError::Invalid(
                "set the secret JWT_SIGNING_KEY (MEALQUEST_SECRET_JWT_SIGNING_KEY[_FILE]) outside DEV"
                    .into(),
            ));
        }
        if self
            .secrets
            .jwt_signing_key
            .as_ref()
            .is_some_and(|key| key.expose_secret().len() < 32)
        {
            return Err(ConfigError::Invalid(
                "JWT_SIGNING_KEY must be at least 32 bytes".into(),
            ));
        }
        self.validate_diner_identity()?;
        self.validate_online()?;
        if self.settings.demo.seed && self.environment != Environment::Dev {
            return Err(ConfigError::Invalid(
                "demo.seed is for DEV only: it creates staff with published passwords".into(),
            ));
        }
        let login = &self.settings.auth.login;
        if login.max_concurrent_checks == 0
            || login.failures_per_username == 0
            || login.failures_per_address == 0
            || login.lockout_secs == 0
        {
            return Err(ConfigError::Invalid(
                "auth.login limits must all be positive".into(),
            ));
        }
        let realtime = &self.settings.realtime;
        if realtime.heartbeat_secs == 0
            || realtime.queue_frames == 0
            || realtime.session_check_secs == 0
        {
            return Err(ConfigError::Invalid(
                "realtime.heartbeat_secs, queue_frames and session_check_secs must be positive"
                    .into(),
            ));
        }
        let payments = &self.settings.payments;
        if payments.code_ttl_secs == 0
            || payments.max_open_per_diner == 0
            || payments.expire_every_secs == 0
            || self.settings.server.request_timeout_secs == 0
        {
            return Err(ConfigError::Invalid(
                "payments.code_ttl_secs, payments.max_open_per_diner, payments.expire_every_secs \
                 and server.request_timeout_secs must be positive"
                    .into(),
            ));
        }
        let weather = &self.settings.weather;
        if weather.provider != WeatherProvider::None
            && (weather.every_minutes == 0 || self.secrets.weather_api_key.is_none())
        {
            return Err(ConfigError::Invalid(
                "a weather provider needs weather.every_minutes > 0 and the secret \
                 WEATHER_API_KEY (MEALQUEST_SECRET_WEATHER_API_KEY[_FILE])"
                    .into(),
            ));
        }
        if self.settings.auth.token_ttl_minutes <= 0 {
            return Err(ConfigError::Invalid(
                "auth.token_ttl_minutes must be positive".into(),
            ));
        }
        if self.settings.database.namespace.trim().is_empty()
            || self.settings.database.database.trim().is_empty()
        {
            return Err(ConfigError::Invalid(
                "database.namespace and database.database must not be empty".into(),
            ));
        }
        Ok(())
    }

    /// The stand-in WeChat Pay (public test keys) only in DEV; WeChat Pay needs its account
    /// and, outside DEV, a public HTTPS address for its notifications; every period positive.
    fn validate_online(&self) -> Result<(), ConfigError> {
        let online = &self.settings.payments.online;
        let invalid = |why: &str| Err(ConfigError::Invalid(why.to_owned()));
        match online.provider {
            OnlineProvider::Off => return Ok(()),
            OnlineProvider::Standin if self.environment != Environment::Dev => {
                return invalid(
                    "payments.online.provider = \"standin\" is for DEV only (its keys are \
                     published test keys)",
                );
            }
            OnlineProvider::Standin => {
                if let Some(shop) = online.accounts.iter().find_map(|(shop, a)| {
                    (a.mchid.trim().is_empty() || a.appid.trim().is_empty()).then_some(shop)
                }) {
                    return invalid(&format!(
                        "payments.online.accounts.{shop} needs its mchid and appid"
                    ));
                }
            }
            OnlineProvider::Wechat => {
                if online.accounts.is_empty() || online.base_url.trim().is_empty() {
                    return invalid(
                        "payments.online.provider = \"wechat\" needs base_url and at least one \
                         account in payments.online.accounts.<shop>",
                    );
                }
                let mut names = std::collections::HashSet::new();
                for (shop, account) in &online.accounts {
                    if [
                        &account.mchid,
                        &account.appid,
                        &account.merchant_serial,
                        &account.platform_key_id,
                        &account.platform_public_key_file,
                    ]
                    .iter()
                    .any(|value| value.trim().is_empty())
                    {
                        return invalid(&format!(
                            "payments.online.accounts.{shop} needs every field (mchid, appid, \
                             merchant_serial, platform_key_id, platform_public_key_file)"
                        ));
                    }
                    let keys = self.secrets.wechatpay.get(shop);
                    let [private_key, api_v3_key] = WeChatPayKeys::names(shop);
                    if keys.is_none_or(|k| k.private_key.is_none() || k.api_v3_key.is_none()) {
                        return invalid(&format!(
                            "the WeChat Pay account of {shop} needs the secrets {private_key} and \
                             {api_v3_key} (MEALQUEST_SECRET_<NAME>[_FILE])"
                        ));
                    }
                    // Two shops whose ids differ only by case or punctuation would share keys.
                    if !names.insert(private_key.clone()) {
                        return invalid(&format!(
                            "two WeChat Pay accounts would both read the secret {private_key}"
                        ));
                    }
                }
                if self.environment != Environment::Dev
                    && !online.notify_base_url.trim().starts_with("https://")
                {
                    return invalid(
                        "payments.online.notify_base_url must be this server's public https:// \
                         address outside DEV (WeChat Pay posts its notifications there)",
                    );
                }
            }
        }
        if online.order_ttl_secs == 0
            || online.query_after_secs == 0
            || online.sweep_every_secs == 0
            || online.timeout_secs == 0
            || online.failures_to_open == 0
        {
            return invalid(
                "payments.online.order_ttl_secs, query_after_secs, sweep_every_secs, \
                 timeout_secs and failures_to_open must be positive",
            );
        }
        Ok(())
    }

    /// `dev` logins only in DEV; WeChat needs its app id and secret.
    fn validate_diner_identity(&self) -> Result<(), ConfigError> {
        let auth = &self.settings.auth;
        match auth.diner_identity {
            DinerIdentity::Dev if self.environment != Environment::Dev => {
                Err(ConfigError::Invalid(
                    "auth.diner_identity = \"dev\" is for DEV only (anyone could log in as anyone)"
                        .into(),
                ))
            }
            DinerIdentity::Wechat
                if auth.wechat.app_id.trim().is_empty()
                    || self.secrets.wechat_app_secret.is_none() =>
            {
                Err(ConfigError::Invalid(
                    "auth.diner_identity = \"wechat\" needs auth.wechat.app_id and the secret \
                     WECHAT_APP_SECRET (MEALQUEST_SECRET_WECHAT_APP_SECRET[_FILE])"
                        .into(),
                ))
            }
            _ => Ok(()),
        }
    }

    /// The options the `db` crate connects with (credentials only when a password is set).
    pub fn connect_options(&self) -> db::ConnectOptions {
        use secrecy::ExposeSecret;
        let database = &self.settings.database;
        db::ConnectOptions {
            url: database.url.clone(),
            namespace: database.namespace.clone(),
            database: database.database.clone(),
            credentials: self
                .secrets
                .database_password
                .as_ref()
                .map(|password| db::Credentials {
                    username: database.username.clone(),
                    password: password.expose_secret().to_owned(),
                }),
        }
    }
}

/// The `MEALQUEST_<SECTION>__<KEY>` overrides: every `MEALQUEST_*` variable except the
/// selectors and the secrets, which are not settings.
fn overrides(vars: &HashMap<String, String>) -> HashMap<String, String> {
    vars.iter()
        .filter(|(key, _)| key.starts_with(PREFIX) && key.contains("__"))
        .filter(|(key, _)| !key.starts_with(SECRET_PREFIX))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect()
}

/// One shop's WeChat Pay keys: its API private key (PKCS#8 PEM), which signs our requests
/// and the mini program's `paySign`, and its APIv3 key, which opens WeChat Pay's
/// notifications. Neither is ever sent.
#[derive(Debug, Clone, Default)]
pub struct WeChatPayKeys {
    pub private_key: Option<SecretString>,
    pub api_v3_key: Option<SecretString>,
}

impl WeChatPayKeys {
    /// The secrets' names for `shop`: `WECHATPAY_PRIVATE_KEY_<SHOP>` and
    /// `WECHATPAY_API_V3_KEY_<SHOP>`, the id upper-cased with anything but letters and digits
    /// as `_` (environment variable names).
    pub fn names(shop: &str) -> [String; 2] {
        let suffix: String = shop
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_uppercase()
                } else {
                    '_'
                }
            })
            .collect();
        [
            format!("WECHATPAY_PRIVATE_KEY_{suffix}"),
            format!("WECHATPAY_API_V3_KEY_{suffix}"),
        ]
    }
}

impl Secrets {
    /// With the keys of every configured WeChat Pay account (those present).
    fn with_wechatpay(
        mut self,
        vars: &HashMap<String, String>,
        settings: &Settings,
    ) -> Result<Self, ConfigError> {
        for shop in settings.payments.online.accounts.keys() {
            let [private_key, api_v3_key] = WeChatPayKeys::names(shop);
            let keys = WeChatPayKeys {
                private_key: secret(vars, &private_key)?,
                api_v3_key: secret(vars, &api_v3_key)?,
            };
            self.wechatpay.insert(shop.clone(), keys);
        }
        Ok(self)
    }

    fn from_vars(vars: &HashMap<String, String>) -> Result<Self, ConfigError> {
        Ok(Self {
            database_password: secret(vars, "DATABASE_PASSWORD")?,
            jwt_signing_key: secret(vars, "JWT_SIGNING_KEY")?,
            jwt_previous_signing_key: secret(vars, "JWT_PREVIOUS_SIGNING_KEY")?,
            model_api_key: secret(vars, "MODEL_API_KEY")?,
            embedding_api_key: secret(vars, "EMBEDDING_API_KEY")?,
            image_api_key: secret(vars, "IMAGE_API_KEY")?,
            vision_api_key: secret(vars, "VISION_API_KEY")?,
            wechat_app_secret: secret(vars, "WECHAT_APP_SECRET")?,
            wechatpay: BTreeMap::new(),
            weather_api_key: secret(vars, "WEATHER_API_KEY")?,
            agent_webhook_secret: secret(vars, "AGENT_WEBHOOK_SECRET")?,
        })
    }
}

/// `MEALQUEST_SECRET_<NAME>` or the contents of the file named by `MEALQUEST_SECRET_<NAME>_FILE`
/// (the convention of Docker and Kubernetes secrets; a trailing newline is dropped).
fn secret(vars: &HashMap<String, String>, name: &str) -> Result<Option<SecretString>, ConfigError> {
    let direct = vars.get(&format!("{SECRET_PREFIX}{name}"));
    let file = vars.get(&format!("{SECRET_PREFIX}{name}_FILE"));
    match (direct, file) {
        (Some(_), Some(_)) => Err(ConfigError::AmbiguousSecret {
            name: name.to_owned(),
        }),
        (Some(value), None) => Ok(Some(SecretString::from(value.clone()))),
        (None, Some(path)) => {
            let path = PathBuf::from(path);
            let text =
                std::fs::read_to_string(&path).map_err(|source| ConfigError::SecretFile {
                    name: name.to_owned(),
                    path,
                    source,
                })?;
            Ok(Some(SecretString::from(
                text.trim_end_matches(['\r', '\n']).to_owned(),
            )))
        }
        (None, None) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn config_dir() -> PathBuf {
        // As the test runner gives it, not as compiled: checkouts may share a target dir.
        std::env::var_os("CARGO_MANIFEST_DIR")
            .map_or_else(|| env!("CARGO_MANIFEST_DIR").into(), PathBuf::from)
            .join("../config")
    }

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn dev_is_the_default_and_seeds_demo_data_on_the_embedded_store() {
        let config = AppConfig::load_from(&config_dir(), &vars(&[])).expect("loads");
        assert_eq!(config.environment, Environment::Dev);
        assert!(config.settings.demo.seed);
        assert_eq!(config.settings.log.format, LogFormat::Pretty);
        assert_eq!(config.settings.database.url, "surrealkv://data/db");
        assert_eq!(config.settings.server.port, 3000);
        let rules = config.settings.payments.rules();
        assert_eq!(rules, app::service::payment::PaymentRules::default());
        assert_eq!(config.settings.server.request_timeout_secs, 15);
    }

    #[test]
    fn payment_codes_and_the_request_timeout_are_configurable_and_never_zero() {
        let config = AppConfig::load_from(
            &config_dir(),
            &vars(&[
                ("MEALQUEST_PAYMENTS__CODE_TTL_SECS", "120"),
                ("MEALQUEST_PAYMENTS__MAX_OPEN_PER_DINER", "2"),
                ("MEALQUEST_SERVER__REQUEST_TIMEOUT_SECS", "3"),
            ]),
        )
        .expect("loads");
        let rules = config.settings.payments.rules();
        assert_eq!(rules.code_ttl, chrono::Duration::minutes(2));
        assert_eq!(rules.max_open_per_diner, 2);
        assert_eq!(config.settings.server.request_timeout_secs, 3);
        for zero in [
            "MEALQUEST_PAYMENTS__CODE_TTL_SECS",
            "MEALQUEST_PAYMENTS__MAX_OPEN_PER_DINER",
            "MEALQUEST_PAYMENTS__EXPIRE_EVERY_SECS",
            "MEALQUEST_SERVER__REQUEST_TIMEOUT_SECS",
        ] {
            let err = AppConfig::load_from(&config_dir(), &vars(&[(zero, "0")]));
            assert!(matches!(err, Err(ConfigError::Invalid(_))), "{zero}");
        }
    }

    const KEY: &str = "a-signing-key-of-at-least-32-bytes!!";
    const WECHAT_APP_ID: (&str, &str) = ("MEALQUEST_AUTH__WECHAT__APP_ID", "wx0123456789abcdef");
    const WECHAT_SECRET: (&str, &str) = ("MEALQUEST_SECRET_WECHAT_APP_SECRET", "wechat-secret");

    #[test]
    fn prod_logs_json_and_does_not_seed() {
        let config = AppConfig::load_from(
            &config_dir(),
            &vars(&[
                ("MEALQUEST_ENV", "PROD"),
                ("MEALQUEST_SECRET_JWT_SIGNING_KEY", KEY),
                WECHAT_APP_ID,
                WECHAT_SECRET,
            ]),
        )
        .expect("loads");
        assert_eq!(config.environment, Environment::Prod);
        assert!(!config.settings.demo.seed);
        assert_eq!(config.settings.log.format, LogFormat::Json);
    }

    #[test]
    fn online_payments_outside_dev_need_wechat_pay_and_a_public_https_address() {
        let prod = [
            ("MEALQUEST_ENV", "PROD"),
            ("MEALQUEST_SECRET_JWT_SIGNING_KEY", KEY),
            WECHAT_APP_ID,
            WECHAT_SECRET,
        ];
        let account = [
            ("MEALQUEST_PAYMENTS__ONLINE__PROVIDER", "wechat"),
            (
                "MEALQUEST_PAYMENTS__ONLINE__ACCOUNTS__demo__MCHID",
                "1900000109",
            ),
            (
                "MEALQUEST_PAYMENTS__ONLINE__ACCOUNTS__demo__APPID",
                "wx8888888888888888",
            ),
            (
                "MEALQUEST_PAYMENTS__ONLINE__ACCOUNTS__demo__MERCHANT_SERIAL",
                "SERIAL",
            ),
            (
                "MEALQUEST_PAYMENTS__ONLINE__ACCOUNTS__demo__PLATFORM_KEY_ID",
                "PUB_KEY_ID_1",
            ),
            (
                "MEALQUEST_PAYMENTS__ONLINE__ACCOUNTS__demo__PLATFORM_PUBLIC_KEY_FILE",
                "/etc/mealquest/platform.pem",
            ),
            ("MEALQUEST_SECRET_WECHATPAY_PRIVATE_KEY_DEMO", "a PEM"),
            ("MEALQUEST_SECRET_WECHATPAY_API_V3_KEY_DEMO", "a key"),
        ];
        let load = |extra: &[(&str, &str)]| {
            let all: Vec<(&str, &str)> = prod.iter().chain(extra).copied().collect();
            AppConfig::load_from(&config_dir(), &vars(&all))
        };
        let standin = load(&[("MEALQUEST_PAYMENTS__ONLINE__PROVIDER", "standin")]);
        assert!(matches!(standin, Err(ConfigError::Invalid(_))));
        let no_address = load(&account);
        assert!(matches!(no_address, Err(ConfigError::Invalid(_))));
        let plain = [
            account.as_slice(),
            &[(
                "MEALQUEST_PAYMENTS__ONLINE__NOTIFY_BASE_URL",
                "http://shop.example.com",
            )],
        ]
        .concat();
        assert!(matches!(load(&plain), Err(ConfigError::Invalid(_))));
        let public = [
            account.as_slice(),
            &[(
                "MEALQUEST_PAYMENTS__ONLINE__NOTIFY_BASE_URL",
                "https://shop.example.com",
            )],
        ]
        .concat();
        let config = load(&public).expect("loads");
        assert_eq!(
            config.settings.payments.online.provider,
            OnlineProvider::Wechat
        );
        assert!(
            config.secrets.wechatpay["demo"].api_v3_key.is_some(),
            "the shop's keys read by its name"
        );
        assert!(!format!("{config:?}").contains("a PEM"), "a key printed");
        // An account without its keys, or two shops reading the same keys: refused.
        let keyless: Vec<(&str, &str)> = public
            .iter()
            .filter(|(name, _)| !name.contains("API_V3_KEY"))
            .copied()
            .collect();
        assert!(matches!(load(&keyless), Err(ConfigError::Invalid(_))));
        // Two shops whose ids name the same secrets (`demo-1`, `demo_1`): refused.
        let dir = tempfile::tempdir().expect("a config dir");
        std::fs::copy(config_dir().join("base.toml"), dir.path().join("base.toml"))
            .expect("base.toml");
        let fields = "mchid = \"1\"\nappid = \"wx1\"\nmerchant_serial = \"S\"\n\
             platform_key_id = \"P\"\nplatform_public_key_file = \"/k.pem\"\n";
        std::fs::write(
            dir.path().join("prod.toml"),
            format!(
                "[payments.online.accounts.demo-1]\n{fields}\n\
                 [payments.online.accounts.demo_1]\n{fields}"
            ),
        )
        .expect("prod.toml");
        let twins: Vec<(&str, &str)> = public
            .iter()
            .copied()
            .filter(|(name, _)| !name.contains("__ACCOUNTS__"))
            .chain([
                ("MEALQUEST_SECRET_WECHATPAY_PRIVATE_KEY_DEMO_1", "a PEM"),
                ("MEALQUEST_SECRET_WECHATPAY_API_V3_KEY_DEMO_1", "a key"),
            ])
            .collect();
        let twins: Vec<(&str, &str)> = prod.iter().chain(&twins).copied().collect();
        assert_eq!(
            WeChatPayKeys::names("demo-1"),
            WeChatPayKeys::names("demo_1")
        );
        let refused = AppConfig::load_from(dir.path(), &vars(&twins));
        assert!(
            matches!(&refused, Err(ConfigError::Invalid(why)) if why.contains("both read")),
            "{refused:?}"
        );
        let zero = [
            public.as_slice(),
            &[("MEALQUEST_PAYMENTS__ONLINE__TIMEOUT_SECS", "0")],
        ]
        .concat();
        assert!(matches!(load(&zero), Err(ConfigError::Invalid(_))));
    }

    #[test]
    fn environment_variables_override_files() {
        let config = AppConfig::load_from(
            &config_dir(),
            &vars(&[
                ("MEALQUEST_DATABASE__URL", "mem://"),
                ("MEALQUEST_SERVER__PORT", "8080"),
                ("MEALQUEST_DEMO__SEED", "false"),
            ]),
        )
        .expect("loads");
        assert_eq!(config.settings.database.url, "mem://");
        assert_eq!(config.settings.server.port, 8080);
        assert!(!config.settings.demo.seed);
    }

    #[test]
    fn an_unknown_environment_is_refused() {
        let err = AppConfig::load_from(&config_dir(), &vars(&[("MEALQUEST_ENV", "qa")]));
        assert!(matches!(err, Err(ConfigError::UnknownEnvironment(_))));
    }

    #[test]
    fn a_misspelt_override_is_refused_not_ignored() {
        let err = AppConfig::load_from(&config_dir(), &vars(&[("MEALQUEST_DATABASE__URLL", "x")]));
        assert!(err.is_err());
    }

    #[test]
    fn an_unsupported_database_url_is_refused() {
        let err = AppConfig::load_from(
            &config_dir(),
            &vars(&[("MEALQUEST_DATABASE__URL", "rocksdb://data")]),
        );
        assert!(matches!(err, Err(ConfigError::Invalid(_))));
    }

    /// The demo seed creates staff whose passwords are in the README.
    #[test]
    fn demo_data_is_refused_outside_dev() {
        for environment in ["staging", "prod"] {
            let refused = AppConfig::load_from(
                &config_dir(),
                &vars(&[
                    ("MEALQUEST_ENV", environment),
                    ("MEALQUEST_SECRET_JWT_SIGNING_KEY", KEY),
                    ("MEALQUEST_DATABASE__URL", "surrealkv://data/db"),
                    ("MEALQUEST_DEMO__SEED", "true"),
                    WECHAT_APP_ID,
                    WECHAT_SECRET,
                ]),
            );
            assert!(
                matches!(&refused, Err(ConfigError::Invalid(why)) if why.contains("demo.seed")),
                "{environment}: {refused:?}"
            );
        }
    }

    #[test]
    fn prod_refuses_an_in_memory_database() {
        let err = AppConfig::load_from(
            &config_dir(),
            &vars(&[
                ("MEALQUEST_ENV", "prod"),
                ("MEALQUEST_DATABASE__URL", "mem://"),
                ("MEALQUEST_SECRET_JWT_SIGNING_KEY", KEY),
            ]),
        );
        assert!(matches!(&err, Err(ConfigError::Invalid(why)) if why.contains("mem://")));
    }

    #[test]
    fn outside_dev_a_long_enough_signing_key_is_required() {
        let missing = AppConfig::load_from(&config_dir(), &vars(&[("MEALQUEST_ENV", "staging")]));
        assert!(matches!(missing, Err(ConfigError::Invalid(_))));
        let short = AppConfig::load_from(
            &config_dir(),
            &vars(&[
                ("MEALQUEST_ENV", "staging"),
                ("MEALQUEST_SECRET_JWT_SIGNING_KEY", "short"),
            ]),
        );
        assert!(matches!(short, Err(ConfigError::Invalid(_))));
        let good = AppConfig::load_from(
            &config_dir(),
            &vars(&[
                ("MEALQUEST_ENV", "staging"),
                ("MEALQUEST_SECRET_JWT_SIGNING_KEY", KEY),
                WECHAT_APP_ID,
                WECHAT_SECRET,
            ]),
        );
        assert!(good.is_ok());
    }

    #[test]
    fn outside_dev_diners_log_in_through_wechat_which_needs_its_credentials() {
        let staging = |extra: &[(&str, &str)]| {
            let mut all = vec![
                ("MEALQUEST_ENV", "staging"),
                ("MEALQUEST_SECRET_JWT_SIGNING_KEY", KEY),
            ];
            all.extend_from_slice(extra);
            AppConfig::load_from(&config_dir(), &vars(&all))
        };
        let why = |result: Result<AppConfig, ConfigError>| match result {
            Err(ConfigError::Invalid(why)) => why,
            other => panic!("expected a refusal, got {other:?}"),
        };
        assert!(why(staging(&[WECHAT_APP_ID])).contains("WECHAT_APP_SECRET"));
        assert!(why(staging(&[WECHAT_SECRET])).contains("app_id"));
        let dev_logins = staging(&[
            WECHAT_APP_ID,
            WECHAT_SECRET,
            ("MEALQUEST_AUTH__DINER_IDENTITY", "dev"),
        ]);
        assert!(why(dev_logins).contains("DEV only"));
        let config = staging(&[WECHAT_APP_ID, WECHAT_SECRET]).expect("loads");
        assert_eq!(config.settings.auth.diner_identity, DinerIdentity::Wechat);
        assert!(!format!("{config:?}").contains("wechat-secret"));
    }

    #[test]
    fn secrets_come_from_variables_or_files_and_never_print() {
        let dir = tempfile::tempdir().expect("temp dir");
        let key_file = dir.path().join("jwt");
        std::fs::write(&key_file, "from-a-file-and-at-least-32-bytes\n").expect("write");
        let config = AppConfig::load_from(
            &config_dir(),
            &vars(&[
                ("MEALQUEST_SECRET_MODEL_API_KEY", "sk-live-123"),
                (
                    "MEALQUEST_SECRET_JWT_SIGNING_KEY_FILE",
                    key_file.to_str().expect("utf-8 path"),
                ),
            ]),
        )
        .expect("loads");
        let model_key = config.secrets.model_api_key.as_ref().expect("model key");
        assert_eq!(model_key.expose_secret(), "sk-live-123");
        let jwt_key = config.secrets.jwt_signing_key.as_ref().expect("jwt key");
        assert_eq!(jwt_key.expose_secret(), "from-a-file-and-at-least-32-bytes");
        let printed = format!("{config:?}");
        assert!(!printed.contains("sk-live-123") && !printed.contains("from-a-file"));
    }

    #[test]
    fn the_memory_embeds_offline_unless_an_embedding_model_is_named() {
        let config = AppConfig::load_from(
            &config_dir(),
            &vars(&[("MEALQUEST_SECRET_MODEL_API_KEY", "sk-live-123")]),
        )
        .expect("loads");
        let model = &config.settings.model;
        assert!(model.embedding_endpoint("k".into()).is_none());
        let named = ModelSettings {
            embedding_model: "bge-m3".into(),
            ..model.clone()
        };
        let endpoint = named.embedding_endpoint("k".into()).expect("named");
        assert_eq!(endpoint.model, "bge-m3");
        assert!(endpoint.base_url.starts_with("https://"));
    }

    #[test]
    fn a_secret_set_twice_is_ambiguous() {
        let err = AppConfig::load_from(
            &config_dir(),
            &vars(&[
                ("MEALQUEST_SECRET_MODEL_API_KEY", "a"),
                ("MEALQUEST_SECRET_MODEL_API_KEY_FILE", "/nonexistent"),
            ]),
        );
        assert!(matches!(err, Err(ConfigError::AmbiguousSecret { .. })));
    }

    #[test]
    fn the_database_password_becomes_credentials() {
        let config = AppConfig::load_from(
            &config_dir(),
            &vars(&[("MEALQUEST_SECRET_DATABASE_PASSWORD", "pw")]),
        )
        .expect("loads");
        let credentials = config.connect_options().credentials.expect("credentials");
        assert_eq!(credentials.username, "root");
        assert_eq!(credentials.password, "pw");
    }
}
