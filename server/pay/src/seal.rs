//! A notification's `resource`: AEAD_AES_256_GCM under the APIv3 key, its 12-character
//! nonce and its associated data; the ciphertext (with the 16-byte tag at its end) base64.

use aes_gcm::aead::{Aead as _, Payload};
use aes_gcm::{Aes256Gcm, KeyInit as _, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use crate::PayError;
use crate::keys::ApiV3Key;

pub const ALGORITHM: &str = "AEAD_AES_256_GCM";

/// A sealed resource as a notification carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resource {
    pub algorithm: String,
    pub ciphertext: String,
    #[serde(default)]
    pub associated_data: String,
    pub nonce: String,
    /// `transaction` or `refund`.
    #[serde(default)]
    pub original_type: String,
}

impl Resource {
    /// The plaintext, if `key` opens it (a tampered ciphertext, nonce or associated data
    /// does not open).
    pub fn open(&self, key: &ApiV3Key) -> Result<Vec<u8>, PayError> {
        if self.algorithm != ALGORITHM {
            return Err(PayError::Undecryptable(format!(
                "the algorithm {} is not {ALGORITHM}",
                self.algorithm
            )));
        }
        let nonce = nonce_of(&self.nonce)?;
        let sealed = STANDARD
            .decode(&self.ciphertext)
            .map_err(|_| PayError::Undecryptable("the ciphertext is not base64".into()))?;
        cipher(key)
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: &sealed,
                    aad: self.associated_data.as_bytes(),
                },
            )
            .map_err(|_| {
                PayError::Undecryptable("the resource does not open with the APIv3 key".into())
            })
    }

    /// `plaintext` sealed as WeChat Pay seals it (the stand-in's side).
    pub fn seal(
        key: &ApiV3Key,
        original_type: &str,
        associated_data: &str,
        plaintext: &[u8],
    ) -> Result<Self, PayError> {
        let nonce: String = crate::nonce().chars().take(12).collect();
        let sealed = cipher(key)
            .encrypt(
                Nonce::from_slice(nonce_of(&nonce)?),
                Payload {
                    msg: plaintext,
                    aad: associated_data.as_bytes(),
                },
            )
            .map_err(|_| PayError::Undecryptable("sealing failed".into()))?;
        Ok(Self {
            algorithm: ALGORITHM.into(),
            ciphertext: STANDARD.encode(sealed),
            associated_data: associated_data.into(),
            nonce,
            original_type: original_type.into(),
        })
    }
}

fn cipher(key: &ApiV3Key) -> Aes256Gcm {
    Aes256Gcm::new(&key.0.into())
}

fn nonce_of(nonce: &str) -> Result<&[u8], PayError> {
    let bytes = nonce.as_bytes();
    if bytes.len() == 12 {
        Ok(bytes)
    } else {
        Err(PayError::Undecryptable("the nonce is not 12 bytes".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::SecretString;

    fn key(text: &str) -> ApiV3Key {
        ApiV3Key::new(&SecretString::from(text)).expect("32 bytes")
    }

    #[test]
    fn what_is_sealed_opens_with_the_key_and_only_with_it() {
        let ours = key("0123456789abcdef0123456789abcdef");
        let sealed =
            Resource::seal(&ours, "transaction", "transaction", br#"{"a":1}"#).expect("sealed");
        assert_eq!(sealed.open(&ours).expect("opens"), br#"{"a":1}"#);
        let theirs = key("fedcba9876543210fedcba9876543210");
        assert!(matches!(
            sealed.open(&theirs),
            Err(PayError::Undecryptable(_))
        ));
    }

    #[test]
    fn a_tampered_ciphertext_nonce_or_associated_data_does_not_open() {
        let ours = key("0123456789abcdef0123456789abcdef");
        let sealed = Resource::seal(&ours, "transaction", "transaction", b"{}").expect("sealed");
        let mut bytes = STANDARD.decode(&sealed.ciphertext).expect("base64");
        if let Some(first) = bytes.first_mut() {
            *first ^= 1;
        }
        let tampered = [
            Resource {
                ciphertext: STANDARD.encode(&bytes),
                ..sealed.clone()
            },
            Resource {
                associated_data: "refund".into(),
                ..sealed.clone()
            },
            Resource {
                nonce: "AAAAAAAAAAAA".into(),
                ..sealed.clone()
            },
            Resource {
                nonce: "short".into(),
                ..sealed.clone()
            },
            Resource {
                algorithm: "AEAD_AES_128_GCM".into(),
                ..sealed
            },
        ];
        for resource in tampered {
            assert!(resource.open(&ours).is_err(), "{resource:?} opened");
        }
    }

    #[test]
    fn a_key_that_is_not_32_bytes_is_refused() {
        assert!(ApiV3Key::new(&SecretString::from("short")).is_err());
    }
}
