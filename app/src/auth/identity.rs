//! Identity providers: turn the login code a diner's app sends into the diner's uid.
//!
//! - `Dev`: the code `dev:<uid>` is that diner (DEV only; the server refuses to start with it
//!   elsewhere).
//! - `WeChat`: a mini program's `wx.login()` code, exchanged with WeChat's `jscode2session`
//!   for the user's OpenID, which becomes the uid.
//!
//! Both give the login's WeChat session key, which WeChat Run data is encrypted with (DEV:
//! a key derived from the uid, for the DEV stand-in of `wx.getWeRunData`).

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::error::AppError;
use crate::service::steps::werun::SessionKey;

/// The app id the DEV stand-in stamps on WeChat Run data.
pub const DEV_APP_ID: &str = "mealquest-dev";

/// Who logged in, and the session key of their login.
#[derive(Clone, Debug)]
pub struct Login {
    pub uid: String,
    /// None when WeChat's answer had no readable key: the login stands, but steps cannot
    /// be read until the next one.
    pub session_key: Option<SessionKey>,
}

/// How long WeChat may take before the login is answered "try again".
const WECHAT_TIMEOUT: Duration = Duration::from_secs(5);

/// Which provider resolves diner login codes.
#[derive(Clone, Debug)]
pub enum IdentityProvider {
    Dev,
    WeChat(WeChatMiniProgram),
}

/// A WeChat mini program's credentials and the API that checks its login codes.
#[derive(Clone, Debug)]
pub struct WeChatMiniProgram {
    app_id: String,
    app_secret: SecretString,
    /// `https://api.weixin.qq.com` in production.
    base_url: String,
    http: reqwest::Client,
}

impl WeChatMiniProgram {
    pub fn new(app_id: String, app_secret: SecretString, base_url: String) -> Self {
        let http = reqwest::Client::builder()
            .timeout(WECHAT_TIMEOUT)
            .build()
            .unwrap_or_default();
        Self {
            app_id,
            app_secret,
            base_url: base_url.trim_end_matches('/').to_owned(),
            http,
        }
    }

    /// The OpenID and session key of the user whose `wx.login()` produced `code`.
    async fn login(&self, code: &str) -> Result<Login, AppError> {
        let answer: Code2Session = self
            .http
            .get(format!("{}/sns/jscode2session", self.base_url))
            .query(&[
                ("appid", self.app_id.as_str()),
                ("secret", self.app_secret.expose_secret()),
                ("js_code", code),
                ("grant_type", "authorization_code"),
            ])
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| unavailable(&e.without_url().to_string()))?
            .json()
            .await
            .map_err(|e| unavailable(&e.without_url().to_string()))?;
        let session_key = answer
            .session_key
            .as_deref()
            .and_then(SessionKey::from_base64);
        match (answer.errcode.unwrap_or(0), answer.openid) {
            (0, Some(uid)) if valid_uid(&uid) => Ok(Login { uid, session_key }),
            // 40029 invalid code, 40163 code already used, 40226 user blocked.
            (40029 | 40163 | 40226, _) => Err(AppError::BadCredentials),
            (code, _) => Err(unavailable(&format!(
                "jscode2session errcode {code}: {}",
                answer.errmsg.unwrap_or_default()
            ))),
        }
    }
}

/// What `jscode2session` answers.
#[derive(Deserialize)]
struct Code2Session {
    openid: Option<String>,
    session_key: Option<String>,
    errcode: Option<i64>,
    errmsg: Option<String>,
}

fn unavailable(detail: &str) -> AppError {
    AppError::Upstream(format!("WeChat login: {detail}"))
}

impl IdentityProvider {
    /// The diner who sent `code`; 401 for a code that is not theirs to use.
    pub async fn resolve(&self, code: &str) -> Result<Login, AppError> {
        let code = code.trim();
        match self {
            Self::Dev => code
                .strip_prefix("dev:")
                .filter(|uid| valid_uid(uid))
                .map(|uid| Login {
                    uid: uid.to_owned(),
                    session_key: Some(SessionKey::dev(uid)),
                })
                .ok_or(AppError::BadCredentials),
            Self::WeChat(program) => {
                if code.is_empty() || code.len() > 128 {
                    return Err(AppError::BadCredentials);
                }
                program.login(code).await
            }
        }
    }

    /// The mini program whose WeChat Run data diners send (its watermark must name it).
    pub fn app_id(&self) -> &str {
        match self {
            Self::Dev => DEV_APP_ID,
            Self::WeChat(program) => &program.app_id,
        }
    }
}

/// Uids are short and URL-safe (OpenIDs are 28 characters of this alphabet).
fn valid_uid(uid: &str) -> bool {
    (1..=64).contains(&uid.len())
        && uid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_dev_provider_reads_the_uid_from_the_code() {
        let dev = IdentityProvider::Dev;
        assert_eq!(
            dev.resolve("dev:wx-demo-001")
                .await
                .ok()
                .map(|login| login.uid)
                .as_deref(),
            Some("wx-demo-001")
        );
        for bad in ["wx-demo-001", "dev:", "dev:a b", "dev:😀"] {
            assert!(dev.resolve(bad).await.is_err(), "{bad}");
        }
    }
}
