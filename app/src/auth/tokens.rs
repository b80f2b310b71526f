//! JWTs (HS256) with issuer, audience, expiry and a key id, so keys can rotate: tokens signed
//! with the previous key stay valid until they expire. Every token names its server-side
//! session (`sid`): a valid signature alone opens nothing (see `service::auth::authenticate`).

use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::principal::Principal;

/// How long a socket ticket is valid: long enough to open the socket right away.
pub const TICKET_TTL: Duration = Duration::seconds(60);

/// How far ahead of our clock a token may say it was issued: app servers' clocks differ a
/// little, never by an hour.
pub const CLOCK_SKEW: Duration = Duration::seconds(60);

/// How long a diner's member code is valid: shown on their phone and scanned at the counter
/// within minutes, so a code copied or photographed is soon worthless.
pub const MEMBER_CODE_TTL: Duration = Duration::minutes(5);

/// Why a token was refused. All are answered 401 with the same public message.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("no bearer token")]
    Missing,
    #[error("token expired")]
    Expired,
    #[error("token invalid: {0}")]
    Invalid(String),
    #[error("unknown key id")]
    UnknownKey,
    #[error("token not valid yet")]
    NotYetValid,
    #[error("session ended")]
    SessionEnded,
}

/// A signing secret and its id (the JWT `kid`).
#[derive(Clone)]
pub struct SigningKey {
    pub id: String,
    pub secret: Vec<u8>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// Token settings from configuration.
#[derive(Clone, Debug)]
pub struct TokenSettings {
    pub issuer: String,
    pub audience: String,
    pub ttl: Duration,
    /// Signs new tokens.
    pub current: SigningKey,
    /// Still verifies tokens it signed (after a rotation).
    pub previous: Option<SigningKey>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    iss: String,
    aud: String,
    iat: i64,
    nbf: i64,
    exp: i64,
    /// The server-side session this token belongs to.
    sid: String,
    #[serde(flatten)]
    principal: Principal,
}

/// What a valid signature vouches for; the session must still be checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    pub principal: Principal,
    /// The server-side session id (`sid`).
    pub session: String,
}

/// Issues and verifies tokens.
#[derive(Clone)]
pub struct TokenKeys {
    settings: TokenSettings,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKeys")
            .field("issuer", &self.settings.issuer)
            .field("audience", &self.settings.audience)
            .field("current", &self.settings.current)
            .finish_non_exhaustive()
    }
}

impl TokenKeys {
    pub fn new(settings: TokenSettings) -> Self {
        Self { settings }
    }

    /// How long a token lasts.
    pub fn ttl(&self) -> Duration {
        self.settings.ttl
    }

    /// A token for `principal` in `session`, valid from `now` for the configured time.
    pub fn issue(
        &self,
        principal: &Principal,
        session: &str,
        now: DateTime<Utc>,
    ) -> Result<String, AuthError> {
        self.sign(
            principal,
            session,
            &self.settings.audience,
            now,
            self.settings.ttl,
        )
    }

    /// A ticket for opening the real-time socket from a browser, which cannot send headers
    /// there: it travels in the URL, so it lasts [`TICKET_TTL`] and opens nothing else (its
    /// own audience).
    pub fn issue_ticket(
        &self,
        principal: &Principal,
        session: &str,
        now: DateTime<Utc>,
    ) -> Result<String, AuthError> {
        self.sign(principal, session, &self.ticket_audience(), now, TICKET_TTL)
    }

    /// The principal and session of a validly signed token at `now`.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<Verified, AuthError> {
        self.check(token, &self.settings.audience, now)
    }

    /// The same for a socket ticket (a token is not a ticket, nor the reverse).
    pub fn verify_ticket(&self, ticket: &str, now: DateTime<Utc>) -> Result<Verified, AuthError> {
        self.check(ticket, &self.ticket_audience(), now)
    }

    fn ticket_audience(&self) -> String {
        format!("{}#realtime", self.settings.audience)
    }

    /// A diner's member code: proof, for [`MEMBER_CODE_TTL`], that the diner is at the counter
    /// (only their signed-in phone can show one; it names that phone's session). It opens
    /// nothing (its own audience): a cashier's scan of it finds the diner, and that is all.
    pub fn issue_member_code(
        &self,
        uid: &str,
        session: &str,
        now: DateTime<Utc>,
    ) -> Result<String, AuthError> {
        let diner = Principal::Diner {
            uid: uid.to_owned(),
        };
        self.sign(
            &diner,
            session,
            &self.member_code_audience(),
            now,
            MEMBER_CODE_TTL,
        )
    }

    /// The uid of a valid member code at `now` (a token or a ticket is not one).
    pub fn verify_member_code(&self, code: &str, now: DateTime<Utc>) -> Result<String, AuthError> {
        match self
            .check(code, &self.member_code_audience(), now)?
            .principal
        {
            Principal::Diner { uid } => Ok(uid),
            Principal::Staff { .. } => Err(AuthError::Invalid("not a diner's code".into())),
        }
    }

    fn member_code_audience(&self) -> String {
        format!("{}#member", self.settings.audience)
    }

    fn sign(
        &self,
        principal: &Principal,
        session: &str,
        audience: &str,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> Result<String, AuthError> {
        let claims = Claims {
            sub: principal.subject(),
            iss: self.settings.issuer.clone(),
            aud: audience.to_owned(),
            iat: now.timestamp(),
            nbf: now.timestamp(),
            exp: (now + ttl).timestamp(),
            sid: session.to_owned(),
            principal: principal.clone(),
        };
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.settings.current.id.clone());
        let key = EncodingKey::from_secret(&self.settings.current.secret);
        jsonwebtoken::encode(&header, &claims, &key).map_err(|e| AuthError::Invalid(e.to_string()))
    }

    /// The principal of a valid token for `audience` at `now`: right signature and key id,
    /// issuer, audience, not expired and not before its `nbf` (no leeway; RFC 7519 §4.1.4–5),
    /// issued no later than `now` plus [`CLOCK_SKEW`].
    fn check(
        &self,
        token: &str,
        audience: &str,
        now: DateTime<Utc>,
    ) -> Result<Verified, AuthError> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|e| AuthError::Invalid(e.to_string()))?;
        let key = [
            Some(&self.settings.current),
            self.settings.previous.as_ref(),
        ]
        .into_iter()
        .flatten()
        .find(|key| header.kid.as_deref() == Some(key.id.as_str()))
        .ok_or(AuthError::UnknownKey)?;
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        // Time is checked below against the caller's `now`, not the library's clock.
        validation.validate_exp = false;
        validation.set_issuer(&[&self.settings.issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        let data = jsonwebtoken::decode::<Claims>(
            token,
            &DecodingKey::from_secret(&key.secret),
            &validation,
        )
        .map_err(|e| AuthError::Invalid(e.to_string()))?;
        let claims = data.claims;
        let now = now.timestamp();
        if now >= claims.exp {
            return Err(AuthError::Expired);
        }
        if now < claims.nbf {
            return Err(AuthError::NotYetValid);
        }
        if claims.iat > now + CLOCK_SKEW.num_seconds() || claims.iat > claims.exp {
            return Err(AuthError::Invalid("issued in the future".into()));
        }
        if claims.sub != claims.principal.subject() {
            return Err(AuthError::Invalid(
                "subject does not match the principal".into(),
            ));
        }
        if claims.sid.is_empty() {
            return Err(AuthError::Invalid("no session".into()));
        }
        Ok(Verified {
            principal: claims.principal,
            session: claims.sid,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: &str, secret: &str) -> SigningKey {
        SigningKey {
            id: id.into(),
            secret: secret.as_bytes().to_vec(),
        }
    }

    fn keys(current: SigningKey, previous: Option<SigningKey>, audience: &str) -> TokenKeys {
        TokenKeys::new(TokenSettings {
            issuer: "mealquest".into(),
            audience: audience.into(),
            ttl: Duration::hours(8),
            current,
            previous,
        })
    }

    use crate::auth::Role;

    fn cashier() -> Principal {
        Principal::Staff {
            staff_id: "s1".into(),
            merchant_id: "demo".into(),
            role: Role::Cashier,
        }
    }

    fn verified() -> Verified {
        Verified {
            principal: cashier(),
            session: "s1".into(),
        }
    }

    /// A token signed with the right key whose times are set by hand.
    fn signed_with_times(keys: &TokenKeys, iat: i64, nbf: Option<i64>, exp: i64) -> String {
        let mut claims = serde_json::json!({
            "sub": "staff:s1", "iss": "mealquest", "aud": "api", "iat": iat, "exp": exp,
            "sid": "s1", "kind": "staff", "staff_id": "s1", "merchant_id": "demo",
            "role": "CASHIER",
        });
        if let Some(nbf) = nbf {
            claims["nbf"] = serde_json::json!(nbf);
        }
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(keys.settings.current.id.clone());
        let key = EncodingKey::from_secret(&keys.settings.current.secret);
        jsonwebtoken::encode(&header, &claims, &key).expect("sign")
    }

    /// RFC 7519 §4.1.5: a token must not be accepted before its `nbf`; one that claims to be
    /// issued in the future is forged or from a broken clock.
    #[test]
    fn tokens_not_valid_yet_or_issued_in_the_future_are_refused() {
        let keys = keys(key("k1", "secret-one-that-is-long-enough"), None, "api");
        let now = Utc::now().timestamp();
        let hour = 3600;
        let later = signed_with_times(&keys, now, Some(now + hour), now + 8 * hour);
        assert_eq!(keys.verify(&later, Utc::now()), Err(AuthError::NotYetValid));
        let future = signed_with_times(&keys, now + hour, Some(now), now + 8 * hour);
        assert!(matches!(
            keys.verify(&future, Utc::now()),
            Err(AuthError::Invalid(_))
        ));
        let no_nbf = signed_with_times(&keys, now, None, now + 8 * hour);
        assert!(matches!(
            keys.verify(&no_nbf, Utc::now()),
            Err(AuthError::Invalid(_))
        ));
        let fine = signed_with_times(&keys, now + 30, Some(now), now + 8 * hour);
        assert_eq!(keys.verify(&fine, Utc::now()), Ok(verified()));
    }

    #[test]
    fn a_token_round_trips() {
        let keys = keys(key("k1", "secret-one-that-is-long-enough"), None, "api");
        let token = keys.issue(&cashier(), "s1", Utc::now()).expect("issue");
        assert_eq!(keys.verify(&token, Utc::now()), Ok(verified()));
    }

    #[test]
    fn a_ticket_opens_the_socket_only_and_a_token_is_no_ticket() {
        let keys = keys(key("k1", "secret-one-that-is-long-enough"), None, "api");
        let now = Utc::now();
        let ticket = keys.issue_ticket(&cashier(), "s1", now).expect("ticket");
        assert_eq!(keys.verify_ticket(&ticket, now), Ok(verified()));
        assert!(matches!(
            keys.verify(&ticket, now),
            Err(AuthError::Invalid(_))
        ));
        let token = keys.issue(&cashier(), "s1", now).expect("token");
        assert!(matches!(
            keys.verify_ticket(&token, now),
            Err(AuthError::Invalid(_))
        ));
        let stale = keys
            .issue_ticket(&cashier(), "s1", now - TICKET_TTL - Duration::seconds(1))
            .expect("old ticket");
        assert_eq!(keys.verify_ticket(&stale, now), Err(AuthError::Expired));
    }

    #[test]
    fn a_member_code_names_its_diner_for_a_few_minutes_and_opens_nothing() {
        let keys = keys(key("k1", "secret-one-that-is-long-enough"), None, "api");
        let now = Utc::now();
        let code = keys.issue_member_code("wx-1", "s1", now).expect("code");
        assert_eq!(keys.verify_member_code(&code, now), Ok("wx-1".to_owned()));
        // Not a token, not a ticket; and neither of those is a member code.
        assert!(matches!(
            keys.verify(&code, now),
            Err(AuthError::Invalid(_))
        ));
        assert!(matches!(
            keys.verify_ticket(&code, now),
            Err(AuthError::Invalid(_))
        ));
        let token = keys
            .issue(&Principal::Diner { uid: "wx-1".into() }, "s1", now)
            .expect("token");
        assert!(matches!(
            keys.verify_member_code(&token, now),
            Err(AuthError::Invalid(_))
        ));
        let old = keys
            .issue_member_code("wx-1", "s1", now - MEMBER_CODE_TTL - Duration::seconds(1))
            .expect("old code");
        assert_eq!(keys.verify_member_code(&old, now), Err(AuthError::Expired));
    }

    #[test]
    fn expired_forged_and_foreign_tokens_are_refused() {
        let keys_one = keys(key("k1", "secret-one-that-is-long-enough"), None, "api");
        let expired = keys_one
            .issue(&cashier(), "s1", Utc::now() - Duration::hours(9))
            .expect("issue");
        assert_eq!(
            keys_one.verify(&expired, Utc::now()),
            Err(AuthError::Expired)
        );

        let forger = keys(key("k1", "another-secret-entirely-000000"), None, "api");
        let forged = forger.issue(&cashier(), "s1", Utc::now()).expect("issue");
        assert!(matches!(
            keys_one.verify(&forged, Utc::now()),
            Err(AuthError::Invalid(_))
        ));

        let other_audience = keys(key("k1", "secret-one-that-is-long-enough"), None, "console");
        let foreign = other_audience
            .issue(&cashier(), "s1", Utc::now())
            .expect("issue");
        assert!(matches!(
            keys_one.verify(&foreign, Utc::now()),
            Err(AuthError::Invalid(_))
        ));

        assert!(matches!(
            keys_one.verify("not.a.token", Utc::now()),
            Err(AuthError::Invalid(_))
        ));
    }

    #[test]
    fn tokens_of_the_previous_key_survive_a_rotation_and_unknown_keys_do_not() {
        let old = keys(key("k1", "secret-one-that-is-long-enough"), None, "api");
        let token = old.issue(&cashier(), "s1", Utc::now()).expect("issue");
        let rotated = keys(
            key("k2", "secret-two-that-is-long-enough"),
            Some(key("k1", "secret-one-that-is-long-enough")),
            "api",
        );
        assert_eq!(rotated.verify(&token, Utc::now()), Ok(verified()));
        let forgotten = keys(key("k3", "secret-three-that-is-long-enough"), None, "api");
        assert_eq!(
            forgotten.verify(&token, Utc::now()),
            Err(AuthError::UnknownKey)
        );
    }
}
