//! A merchant account's identity and keys at WeChat Pay: its ids, its API private key (our
//! requests are signed with it), its APIv3 key (notifications are sealed with it) and the
//! platform's public key (WeChat Pay's answers and notifications are signed with its
//! private half). Read from PEM; never printed.

use rsa::pkcs1v15::{SigningKey, VerifyingKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::{RsaPrivateKey, RsaPublicKey};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

use crate::PayError;

/// The platform's public key and the id WeChat Pay names it by (`Wechatpay-Serial`:
/// `PUB_KEY_ID_…` in public-key mode, a certificate's serial otherwise).
#[derive(Clone)]
pub struct PlatformKey {
    pub id: String,
    pub(crate) key: VerifyingKey<Sha256>,
}

impl PlatformKey {
    pub fn from_pem(id: impl Into<String>, pem: &str) -> Result<Self, PayError> {
        let key = RsaPublicKey::from_public_key_pem(pem)
            .map_err(|e| PayError::Keys(format!("the platform public key: {e}")))?;
        Ok(Self {
            id: id.into(),
            key: VerifyingKey::new(key),
        })
    }
}

impl std::fmt::Debug for PlatformKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlatformKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// A signing key and the serial number of its certificate (`serial_no`).
#[derive(Clone)]
pub struct MerchantKey {
    pub serial_no: String,
    pub(crate) key: SigningKey<Sha256>,
}

impl MerchantKey {
    pub fn from_pem(serial_no: impl Into<String>, pem: &SecretString) -> Result<Self, PayError> {
        let key = RsaPrivateKey::from_pkcs8_pem(pem.expose_secret()).map_err(|_| {
            PayError::Keys("the merchant private key does not read (PKCS#8 PEM)".into())
        })?;
        Ok(Self {
            serial_no: serial_no.into(),
            key: SigningKey::new(key),
        })
    }
}

impl std::fmt::Debug for MerchantKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MerchantKey")
            .field("serial_no", &self.serial_no)
            .finish_non_exhaustive()
    }
}

/// The APIv3 key: 32 bytes, the AES-256-GCM key of notifications.
#[derive(Clone)]
pub struct ApiV3Key(pub(crate) [u8; 32]);

impl ApiV3Key {
    pub fn new(key: &SecretString) -> Result<Self, PayError> {
        let bytes: [u8; 32] = key
            .expose_secret()
            .as_bytes()
            .try_into()
            .map_err(|_| PayError::Keys("the APIv3 key is not 32 bytes".into()))?;
        Ok(Self(bytes))
    }
}

impl std::fmt::Debug for ApiV3Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiV3Key(..)")
    }
}

/// One merchant account: who it is (`mchid`, the mini program's `appid`) and its keys.
#[derive(Clone, Debug)]
pub struct Account {
    pub mchid: String,
    pub appid: String,
    pub merchant_key: MerchantKey,
    pub api_v3_key: ApiV3Key,
    pub platform: PlatformKey,
}
