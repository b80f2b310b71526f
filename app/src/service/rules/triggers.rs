//! Where triggers come from: the server's own changes (a payment collected, a card
//! redeemed, a recharge) make theirs from their fact, in their own transaction
//! ([`trigger_of`]); staff post theirs (`POST /api/events`, [`post_event`]).

use chrono::{DateTime, Utc};
use db::rules::NewTrigger;

use crate::auth::{Permission, Principal};
use crate::domain::events::DomainEvent;
use crate::domain::rules::{Trigger, TriggerType};
use crate::error::AppError;
use crate::model::rules::{EventReceipt, PostedEvent};
use crate::state::AppState;

/// The trigger a committed change makes, if the rule engine answers it, with its id; the
/// change's transaction queues it if something may answer it ([`super::heard`]).
pub fn trigger_of(fact: &DomainEvent, at: DateTime<Utc>) -> Option<Trigger> {
    Trigger::of_fact(fact, uuid::Uuid::now_v7().to_string(), at)
}

pub(crate) fn publication(trigger: &Trigger) -> Result<NewTrigger, AppError> {
    Ok(NewTrigger {
        merchant: trigger.merchant_id.clone(),
        trigger: serde_json::to_value(trigger)
            .map_err(|e| AppError::Internal(format!("cannot serialise a trigger: {e}")))?,
    })
}

/// A diner posts their own arrival, believed only with proof they are at the shop; the
/// context is the shop's to state (its weather), not the diner's, so theirs is dropped.
async fn diner_arrives(
    state: &AppState,
    principal: &Principal,
    posted: PostedEvent,
    now: DateTime<Utc>,
) -> Result<EventReceipt, AppError> {
    let Principal::Diner { uid } = principal else {
        return Err(AppError::Forbidden("post this event".into()));
    };
    if posted.kind != TriggerType::UserEnterShop {
        return Err(AppError::Forbidden(format!(
            "post {:?} events (a diner posts their own arrival only)",
            posted.kind
        )));
    }
    if posted
        .uid
        .as_ref()
        .is_some_and(|named| named.as_str() != uid)
    {
        return Err(AppError::Forbidden("post another diner's arrival".into()));
    }
    crate::service::known_merchant(state, &posted.merchant_id).await?;
    let proof = posted.proof.as_ref().ok_or_else(|| {
        AppError::PresenceNotProven(
            "show that you are at the shop: scan the table code or share your location".into(),
        )
    })?;
    super::presence::check(state, &posted.merchant_id, proof, now).await?;
    enqueue(
        state,
        Trigger {
            id: uuid::Uuid::now_v7().to_string(),
            kind: TriggerType::UserEnterShop,
            merchant_id: posted.merchant_id.to_string(),
            uid: Some(uid.clone()),
            context: Default::default(),
            occurred_at: now,
        },
    )
    .await
}

async fn enqueue(state: &AppState, trigger: Trigger) -> Result<EventReceipt, AppError> {
    db::queue::enqueue(&state.db, &[publication(&trigger)?.item()]).await?;
    Ok(EventReceipt {
        trigger_id: trigger.id,
    })
}

/// Accepts an event posted by staff at their shop: OWNER and MANAGER may post any the
/// server does not make itself (a diner's arrival, the weather, a tick); a CASHIER checks a
/// diner in (`USER_ENTER_SHOP`). Payments, redemptions and recharges are triggered by the
/// server when they happen and cannot be posted. The trigger is durable once this returns:
/// it is decided once, by whichever process holds the shop's partition.
pub async fn post_event(
    state: &AppState,
    principal: &Principal,
    posted: PostedEvent,
    now: DateTime<Utc>,
) -> Result<EventReceipt, AppError> {
    let Principal::Staff { merchant_id, .. } = principal else {
        return diner_arrives(state, principal, posted, now).await;
    };
    if merchant_id != posted.merchant_id.as_str() {
        return Err(AppError::NotFound(format!(
            "merchant {}",
            posted.merchant_id
        )));
    }
    let allowed = match posted.kind {
        TriggerType::UserEnterShop => {
            principal.can(Permission::Scan) || principal.can(Permission::ManageCampaigns)
        }
        TriggerType::WeatherChange | TriggerType::TimeTick | TriggerType::StepsSynced => {
            principal.can(Permission::ManageCampaigns)
        }
        TriggerType::PaymentDone | TriggerType::CardRedeemed | TriggerType::RechargeDone => {
            return Err(AppError::Invalid(
                "type: payments, redemptions and recharges trigger by themselves when they \
                 happen"
                    .into(),
            ));
        }
    };
    if !allowed {
        return Err(AppError::Forbidden(format!(
            "post {:?} events",
            posted.kind
        )));
    }
    let needs_diner = matches!(
        posted.kind,
        TriggerType::UserEnterShop | TriggerType::StepsSynced
    );
    match (&posted.uid, needs_diner) {
        (None, true) => return Err(AppError::Invalid("uid: name the diner".into())),
        (Some(_), false) => {
            return Err(AppError::Invalid(
                "uid: this event is about the shop, not a diner".into(),
            ));
        }
        _ => {}
    }
    if posted.kind == TriggerType::WeatherChange && posted.context.weather.is_none() {
        return Err(AppError::Invalid(
            "context.weather: say what the weather is".into(),
        ));
    }
    if let Some(uid) = &posted.uid
        && db::diner::get(&state.db, uid).await?.is_none()
    {
        return Err(AppError::DinerNotFound(uid.to_string()));
    }
    enqueue(
        state,
        Trigger {
            id: uuid::Uuid::now_v7().to_string(),
            kind: posted.kind,
            merchant_id: posted.merchant_id.to_string(),
            uid: posted.uid.map(|uid| uid.into_string()),
            context: posted.context,
            occurred_at: now,
        },
    )
    .await
}
