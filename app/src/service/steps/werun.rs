//! WeChat Run data as `wx.getWeRunData` hands it to the mini program: `encryptedData` and
//! `iv`, both Base64, AES-128-CBC with PKCS#7 padding under the session key of the diner's
//! latest `wx.login` (WeChat's "开放数据校验与解密"). The plain text is JSON: the last 31
//! days' steps, each stamped at its day's midnight, and a watermark naming the mini program
//! and when the data was read. Pure: no I/O, so it is tested on its own.

use aes::cipher::block_padding::Pkcs7;
use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

type Decryptor = cbc::Decryptor<aes::Aes128>;
type Encryptor = cbc::Encryptor<aes::Aes128>;

/// How old a watermark may be: data read longer ago is a replay of an old sync.
pub const MAX_AGE: TimeDelta = TimeDelta::minutes(10);
/// How far ahead of our clock a watermark may be (the phone's clock, WeChat's).
const MAX_SKEW: TimeDelta = TimeDelta::minutes(2);
/// The largest `encryptedData` read (31 days of steps is about 2 KB).
const MAX_ENCRYPTED: usize = 16 * 1024;

/// Why WeChat Run data is not believed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WeRunError {
    #[error("the data is not Base64")]
    NotBase64,
    #[error("the iv is not 16 bytes")]
    BadIv,
    #[error("the data is larger than WeChat Run data is")]
    TooLarge,
    #[error("the data does not decrypt with your session key: log in again, then sync")]
    Undecryptable,
    #[error("the data is not WeChat Run data")]
    NotWeRun,
    #[error("the data is from another mini program")]
    OtherApp,
    #[error("the data was read {minutes} minutes ago: sync again")]
    Stale { minutes: i64 },
    #[error("the data is stamped in the future")]
    FromTheFuture,
}

/// The session key WeChat gave a diner's login (16 bytes; Base64 on the wire and at rest).
#[derive(Clone, PartialEq, Eq)]
pub struct SessionKey([u8; 16]);

impl std::fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionKey(..)")
    }
}

impl SessionKey {
    pub fn from_base64(text: &str) -> Option<Self> {
        STANDARD.decode(text).ok()?.try_into().ok().map(Self)
    }

    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }

    /// The DEV stand-in's key for a diner (DEV logins have no WeChat session).
    pub fn dev(uid: &str) -> Self {
        let digest = Sha256::new()
            .chain_update(b"mealquest dev WeRun session key\0")
            .chain_update(uid.as_bytes())
            .finalize();
        let mut key = [0_u8; 16];
        key.copy_from_slice(digest.get(..16).unwrap_or(&[0; 16]));
        Self(key)
    }
}

/// One day's steps as WeChat Run lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DaySteps {
    /// The day's midnight on the phone, in seconds since the epoch.
    pub timestamp: i64,
    pub step: u32,
}

/// Which mini program read the data, and when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Watermark {
    pub appid: String,
    pub timestamp: i64,
}

/// The decrypted data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WeRun {
    pub step_info_list: Vec<DaySteps>,
    pub watermark: Watermark,
}

impl WeRun {
    /// The data the mini program's `app_id` read at `now`: refused when it is another
    /// program's, a replay older than [`MAX_AGE`], or from the future.
    pub fn check(&self, app_id: &str, now: DateTime<Utc>) -> Result<(), WeRunError> {
        if self.watermark.appid != app_id {
            return Err(WeRunError::OtherApp);
        }
        let read_at =
            DateTime::from_timestamp(self.watermark.timestamp, 0).ok_or(WeRunError::NotWeRun)?;
        if read_at > now + MAX_SKEW {
            return Err(WeRunError::FromTheFuture);
        }
        let age = now - read_at;
        if age > MAX_AGE {
            return Err(WeRunError::Stale {
                minutes: age.num_minutes(),
            });
        }
        Ok(())
    }

    /// The steps of `day` on the shop's calendar (0 when the list has no such day). Each
    /// entry is stamped at its midnight on the phone; its noon falls on the same date in
    /// any zone within 12 hours of the phone's, so the shop's calendar reads it right.
    pub fn steps_on(&self, day: NaiveDate, zone: Tz) -> u32 {
        self.step_info_list
            .iter()
            .filter(|entry| {
                DateTime::from_timestamp(entry.timestamp, 0)
                    .map(|midnight| (midnight + TimeDelta::hours(12)).with_timezone(&zone))
                    .is_some_and(|noon| noon.date_naive() == day)
            })
            .map(|entry| entry.step)
            .max()
            .unwrap_or_default()
    }
}

/// Decrypts `encrypted_data` with `key` and `iv` (Base64, as the mini program sends them)
/// and reads it as WeChat Run data.
pub fn open(key: &SessionKey, encrypted_data: &str, iv: &str) -> Result<WeRun, WeRunError> {
    if encrypted_data.len() > MAX_ENCRYPTED {
        return Err(WeRunError::TooLarge);
    }
    let data = STANDARD
        .decode(encrypted_data)
        .map_err(|_| WeRunError::NotBase64)?;
    let iv: [u8; 16] = STANDARD
        .decode(iv)
        .map_err(|_| WeRunError::NotBase64)?
        .try_into()
        .map_err(|_| WeRunError::BadIv)?;
    let plain = Decryptor::new(&key.0.into(), &iv.into())
        .decrypt_padded_vec_mut::<Pkcs7>(&data)
        .map_err(|_| WeRunError::Undecryptable)?;
    serde_json::from_slice(&plain).map_err(|_| WeRunError::NotWeRun)
}

/// What WeChat does: encrypts `data` with `key` and `iv`, Base64 (`encryptedData`, `iv`).
/// For the DEV stand-in and for tests.
pub fn seal(key: &SessionKey, data: &WeRun, iv: [u8; 16]) -> (String, String) {
    let plain = serde_json::to_vec(data).unwrap_or_default();
    let encrypted =
        Encryptor::new(&key.0.into(), &iv.into()).encrypt_padded_vec_mut::<Pkcs7>(&plain);
    (STANDARD.encode(encrypted), STANDARD.encode(iv))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A session key and iv, and WeRun JSON encrypted with them by OpenSSL
    /// (`openssl enc -aes-128-cbc -K <key> -iv <iv> | base64`): an implementation other than
    /// ours, so this is a known answer, not a round trip.
    const KEY: &str = "tiihtNczf5v6AKRyjwEUhQ==";
    const IV: &str = "r7BXXKkLb8qrSNn05n0qiA==";
    const OPENSSL: &str = include_str!("werun_known_answer.txt");
    const SHANGHAI: Tz = chrono_tz::Asia::Shanghai;

    fn key() -> SessionKey {
        SessionKey::from_base64(KEY).expect("a key")
    }

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().expect("a time")
    }

    #[test]
    fn data_encrypted_by_openssl_opens_with_our_code() {
        let data = open(&key(), OPENSSL.trim(), IV).expect("opens");
        assert_eq!(data.watermark.appid, "wx4f4bc4dec97d474b");
        assert_eq!(
            data.step_info_list,
            [
                DaySteps {
                    timestamp: 1_764_432_000,
                    step: 4_210
                },
                DaySteps {
                    timestamp: 1_764_518_400,
                    step: 9_034
                },
            ]
        );
        // 2025-11-30 and 2025-12-01, midnights in Shanghai.
        let day = |text: &str| text.parse::<NaiveDate>().expect("a day");
        assert_eq!(data.steps_on(day("2025-11-30"), SHANGHAI), 4_210);
        assert_eq!(data.steps_on(day("2025-12-01"), SHANGHAI), 9_034);
        assert_eq!(data.steps_on(day("2025-12-02"), SHANGHAI), 0);
        // A shop in Tokyo (an hour ahead) reads the same days.
        assert_eq!(
            data.steps_on(day("2025-12-01"), chrono_tz::Asia::Tokyo),
            9_034
        );
    }

    #[test]
    fn what_we_seal_opens_and_what_is_tampered_with_does_not() {
        let data = WeRun {
            step_info_list: vec![DaySteps {
                timestamp: 1_764_518_400,
                step: 12_000,
            }],
            watermark: Watermark {
                appid: "wx-app".into(),
                timestamp: 1_764_550_000,
            },
        };
        let (encrypted, iv) = seal(&key(), &data, [7; 16]);
        assert_eq!(open(&key(), &encrypted, &iv), Ok(data));
        let other = SessionKey::dev("someone");
        assert!(matches!(
            open(&other, &encrypted, &iv),
            Err(WeRunError::Undecryptable | WeRunError::NotWeRun)
        ));
        assert_eq!(open(&key(), "not base64!", &iv), Err(WeRunError::NotBase64));
        assert_eq!(
            open(&key(), &encrypted, &STANDARD.encode([1; 8])),
            Err(WeRunError::BadIv)
        );
        // Not a whole number of blocks.
        let cut = STANDARD.encode(&STANDARD.decode(&encrypted).expect("b64")[..20]);
        assert_eq!(open(&key(), &cut, &iv), Err(WeRunError::Undecryptable));
        assert_eq!(
            open(&key(), &"A".repeat(MAX_ENCRYPTED + 4), &iv),
            Err(WeRunError::TooLarge)
        );
    }

    #[test]
    fn another_programs_old_or_future_data_is_refused() {
        let now = at("2025-12-01T10:00:00Z");
        let data = |appid: &str, read_at: &str| WeRun {
            step_info_list: vec![],
            watermark: Watermark {
                appid: appid.into(),
                timestamp: at(read_at).timestamp(),
            },
        };
        assert_eq!(
            data("wx-app", "2025-12-01T09:55:00Z").check("wx-app", now),
            Ok(())
        );
        assert_eq!(
            data("wx-other", "2025-12-01T09:55:00Z").check("wx-app", now),
            Err(WeRunError::OtherApp)
        );
        assert_eq!(
            data("wx-app", "2025-12-01T09:40:00Z").check("wx-app", now),
            Err(WeRunError::Stale { minutes: 20 })
        );
        assert_eq!(
            data("wx-app", "2025-12-01T10:05:00Z").check("wx-app", now),
            Err(WeRunError::FromTheFuture)
        );
    }

    #[test]
    fn session_keys_read_only_sixteen_bytes_and_never_print() {
        assert!(SessionKey::from_base64(KEY).is_some());
        assert!(SessionKey::from_base64("c2hvcnQ=").is_none());
        assert!(SessionKey::from_base64("%%%").is_none());
        assert_eq!(key().to_base64(), KEY);
        assert_eq!(format!("{:?}", key()), "SessionKey(..)");
        assert_ne!(SessionKey::dev("a"), SessionKey::dev("b"));
    }
}
