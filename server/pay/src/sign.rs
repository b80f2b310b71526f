//! Signatures as WeChat Pay API v3 writes them: SHA256withRSA (RSASSA-PKCS1-v1_5) over
//! lines that each end in `\n`, base64. A request's lines: method, path with query,
//! timestamp, nonce, body; an answer's or a notification's: timestamp, nonce, body; the
//! mini program's `requestPayment`: appId, timeStamp, nonceStr, package.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::signature::{SignatureEncoding as _, Signer as _, Verifier as _};
use sha2::Sha256;

use crate::PayError;
use crate::keys::{Account, MerchantKey, PlatformKey};

/// The authorisation scheme of every request.
pub const SCHEME: &str = "WECHATPAY2-SHA256-RSA2048";
/// How far a signed answer's or notification's timestamp may be from our clock: older is
/// a replay, newer a forgery (WeChat Pay's own advice: five minutes).
pub const TOLERANCE_SECS: i64 = 300;

/// The lines a signature covers, each ending in `\n`.
pub fn message(lines: &[&str]) -> String {
    lines.iter().map(|line| format!("{line}\n")).collect()
}

/// `message` signed with `key`, base64.
pub fn sign(key: &SigningKey<Sha256>, message: &str) -> String {
    let signature: Signature = key.sign(message.as_bytes());
    STANDARD.encode(signature.to_bytes())
}

/// Whether `signature` (base64) is `key`'s over `message`.
pub fn verify(key: &VerifyingKey<Sha256>, message: &str, signature: &str) -> Result<(), PayError> {
    let bytes = STANDARD
        .decode(signature.trim())
        .map_err(|_| PayError::BadSignature("the signature is not base64".into()))?;
    let signature = Signature::try_from(bytes.as_slice())
        .map_err(|_| PayError::BadSignature("the signature does not read".into()))?;
    key.verify(message.as_bytes(), &signature)
        .map_err(|_| PayError::BadSignature("the signature does not match".into()))
}

/// The `Authorization` header of a request.
pub fn authorization(mchid: &str, key: &MerchantKey, request: &SignedRequest<'_>) -> String {
    let timestamp = request.timestamp.to_string();
    let signature = sign(
        &key.key,
        &message(&[
            request.method,
            request.path,
            &timestamp,
            request.nonce,
            request.body,
        ]),
    );
    format!(
        r#"{SCHEME} mchid="{mchid}",nonce_str="{nonce}",signature="{signature}",timestamp="{timestamp}",serial_no="{serial}""#,
        nonce = request.nonce,
        serial = key.serial_no,
    )
}

/// What a request's signature covers.
#[derive(Debug, Clone, Copy)]
pub struct SignedRequest<'a> {
    pub method: &'a str,
    /// The path with its query, as sent (`/v3/pay/transactions/out-trade-no/X?mchid=1`).
    pub path: &'a str,
    pub timestamp: i64,
    pub nonce: &'a str,
    /// The body as sent; empty for a GET.
    pub body: &'a str,
}

/// The parts of an `Authorization` header (for whoever checks one: the stand-in).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    pub mchid: String,
    pub nonce: String,
    pub signature: String,
    pub timestamp: i64,
    pub serial_no: String,
}

impl Authorization {
    pub fn parse(header: &str) -> Result<Self, PayError> {
        let refused = |why: &str| PayError::BadSignature(format!("the Authorization header {why}"));
        let fields = header
            .strip_prefix(SCHEME)
            .ok_or_else(|| refused("is not WECHATPAY2-SHA256-RSA2048"))?;
        let value = |name: &str| -> Result<String, PayError> {
            fields
                .split(',')
                .filter_map(|pair| pair.trim().split_once('='))
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.trim_matches('"').to_owned())
                .ok_or_else(|| refused(&format!("has no {name}")))
        };
        Ok(Self {
            mchid: value("mchid")?,
            nonce: value("nonce_str")?,
            signature: value("signature")?,
            timestamp: value("timestamp")?
                .parse()
                .map_err(|_| refused("has a timestamp that is not a number"))?,
            serial_no: value("serial_no")?,
        })
    }
}

/// The headers WeChat Pay signs an answer or a notification with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    pub timestamp: String,
    pub nonce: String,
    pub signature: String,
    pub serial: String,
}

pub const TIMESTAMP: &str = "Wechatpay-Timestamp";
pub const NONCE: &str = "Wechatpay-Nonce";
pub const SIGNATURE: &str = "Wechatpay-Signature";
pub const SERIAL: &str = "Wechatpay-Serial";

impl SignedHeaders {
    pub fn from_headers(headers: &http::HeaderMap) -> Result<Self, PayError> {
        let get = |name: &str| {
            headers
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned)
                .ok_or_else(|| PayError::BadSignature(format!("no {name} header")))
        };
        Ok(Self {
            timestamp: get(TIMESTAMP)?,
            nonce: get(NONCE)?,
            signature: get(SIGNATURE)?,
            serial: get(SERIAL)?,
        })
    }

    /// Signs `body` as WeChat Pay does (the stand-in's side).
    pub fn signed(key: &SigningKey<Sha256>, serial: &str, timestamp: i64, body: &str) -> Self {
        let nonce = crate::nonce();
        let timestamp = timestamp.to_string();
        let signature = sign(key, &message(&[&timestamp, &nonce, body]));
        Self {
            timestamp,
            nonce,
            signature,
            serial: serial.to_owned(),
        }
    }

    /// Checks these headers sign `body` with the platform's key, at a time within
    /// [`TOLERANCE_SECS`] of `now` (unix seconds).
    pub fn verify(&self, platform: &PlatformKey, body: &str, now: i64) -> Result<(), PayError> {
        if self.serial != platform.id {
            return Err(PayError::BadSignature(format!(
                "signed by key {}, not the platform key {}",
                self.serial, platform.id
            )));
        }
        let at: i64 = self
            .timestamp
            .parse()
            .map_err(|_| PayError::BadSignature("the timestamp is not a number".into()))?;
        if (now - at).abs() > TOLERANCE_SECS {
            return Err(PayError::Stale { at, now });
        }
        verify(
            &platform.key,
            &message(&[&self.timestamp, &self.nonce, body]),
            &self.signature,
        )
    }
}

/// The fields the mini program's `wx.requestPayment` takes, signed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestPayment {
    pub app_id: String,
    pub time_stamp: String,
    pub nonce_str: String,
    /// `prepay_id=…`
    pub package: String,
    /// Always `RSA`.
    pub sign_type: String,
    pub pay_sign: String,
}

impl RequestPayment {
    pub fn new(account: &Account, prepay_id: &str, timestamp: i64) -> Self {
        let (time_stamp, nonce_str) = (timestamp.to_string(), crate::nonce());
        let package = format!("prepay_id={prepay_id}");
        let pay_sign = sign(
            &account.merchant_key.key,
            &message(&[&account.appid, &time_stamp, &nonce_str, &package]),
        );
        Self {
            app_id: account.appid.clone(),
            time_stamp,
            nonce_str,
            package,
            sign_type: "RSA".into(),
            pay_sign,
        }
    }

    /// The prepay id this pays.
    pub fn prepay_id(&self) -> Option<&str> {
        self.package.strip_prefix("prepay_id=")
    }
}
