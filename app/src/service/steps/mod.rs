//! WeChat Run steps, the game's way to earn silver: the mini program sends its
//! `wx.getWeRunData` result; the server decrypts it with the session key of the diner's
//! login ([`werun`]), counts today's steps once however often they are synced, and when
//! they rose, gives the rule engine a `STEPS_SYNCED` trigger (with the day's steps) in the
//! same transaction — so a campaign like "8,000 steps today: 20 silver" can answer it.

pub mod werun;

use chrono::{DateTime, TimeDelta, Utc};

use self::werun::{DaySteps, SessionKey, Watermark, WeRun, WeRunError};
use super::rules::publication;
use super::{local_day, merchant_zone, with_retries};
use crate::auth::{DEV_APP_ID, IdentityProvider, Principal};
use crate::domain::rules::{Context, Trigger, TriggerType};
use crate::error::AppError;
use crate::model::steps::{StepsSynced, StepsUpload, WeRunData};
use crate::state::AppState;

/// Counts the signed-in diner's steps of today from their WeChat Run data.
pub async fn sync(
    state: &AppState,
    principal: &Principal,
    upload: &StepsUpload,
    now: DateTime<Utc>,
) -> Result<StepsSynced, AppError> {
    let Principal::Diner { uid } = principal else {
        return Err(AppError::Forbidden(
            "sync steps (a diner syncs their own)".into(),
        ));
    };
    let merchant = upload.merchant_id.as_str();
    let zone = merchant_zone(&state.db, merchant).await?;
    let key = db::steps::key(&state.db, uid)
        .await?
        .and_then(|key| SessionKey::from_base64(&key))
        .ok_or_else(|| unreadable(WeRunError::Undecryptable))?;
    let data = werun::open(&key, &upload.encrypted_data, &upload.iv).map_err(unreadable)?;
    data.check(state.identity.app_id(), now)
        .map_err(unreadable)?;
    let day = local_day(zone, now);
    let steps = data.steps_on(day, zone);
    let trigger = Trigger {
        id: uuid::Uuid::now_v7().to_string(),
        kind: TriggerType::StepsSynced,
        merchant_id: merchant.to_owned(),
        uid: Some(uid.clone()),
        context: Context {
            steps: Some(steps),
            ..Context::default()
        },
        occurred_at: now,
    };
    let sync = db::steps::StepsSync {
        uid: uid.clone(),
        day,
        steps: i64::from(steps),
        trigger: publication(&trigger)?,
    };
    let synced = with_retries(|| async { Ok(db::steps::record(&state.db, &sync).await?) }).await?;
    let rose = synced.steps > synced.before;
    if rose {
        tracing::info!(merchant, steps, "steps synced");
    }
    Ok(StepsSynced {
        day,
        steps_today: u32::try_from(synced.steps).unwrap_or(u32::MAX),
        counted: u32::try_from(synced.steps - synced.before).unwrap_or_default(),
        total_steps: u64::try_from(synced.total).unwrap_or_default(),
        trigger_id: rose.then_some(trigger.id),
    })
}

fn unreadable(error: WeRunError) -> AppError {
    AppError::StepsUnreadable(error.to_string())
}

/// The DEV stand-in of `wx.getWeRunData`: `steps` today (and a plausible week before it),
/// encrypted with the diner's DEV session key as WeChat would, read at `now`. Only where
/// diners log in with DEV codes; with WeChat logins the data comes from WeChat.
pub fn stand_in(
    state: &AppState,
    principal: &Principal,
    steps: u32,
    now: DateTime<Utc>,
) -> Result<WeRunData, AppError> {
    let Principal::Diner { uid } = principal else {
        return Err(AppError::Forbidden("use the WeChat Run stand-in".into()));
    };
    if !matches!(state.identity, IdentityProvider::Dev) {
        return Err(AppError::NotFound(
            "the WeChat Run stand-in (diners log in through WeChat here)".into(),
        ));
    }
    // The phone's midnights (WeChat's users are on China time).
    let phone = chrono_tz::Asia::Shanghai;
    let today = local_day(phone, now);
    let step_info_list = (0..7_u32)
        .rev()
        .filter_map(|back| {
            let day = today - TimeDelta::days(i64::from(back));
            let midnight = day
                .and_hms_opt(0, 0, 0)?
                .and_local_timezone(phone)
                .earliest()?;
            Some(DaySteps {
                timestamp: midnight.timestamp(),
                step: if back == 0 {
                    steps
                } else {
                    3_000 + 1_111 * back
                },
            })
        })
        .collect();
    let data = WeRun {
        step_info_list,
        watermark: Watermark {
            appid: DEV_APP_ID.to_owned(),
            timestamp: now.timestamp(),
        },
    };
    let mut iv = [0_u8; 16];
    getrandom::fill(&mut iv).map_err(|e| AppError::Internal(format!("no randomness: {e}")))?;
    let (encrypted_data, iv) = werun::seal(&SessionKey::dev(uid), &data, iv);
    Ok(WeRunData { encrypted_data, iv })
}
