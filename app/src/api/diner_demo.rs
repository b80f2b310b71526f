//! The diner demo page's server functions, so the whole flow can be tried in a browser: sign
//! in as a demo diner (with the DEV login code, so only where DEV logins are on), see the
//! wallet and cards at the demo restaurant with each card's QR code, make a payment code.
//! The real diner app is the WeChat mini program; these call the same edge and services.

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::domain::{Balance, Money};
use crate::error::Problem;

/// A card as the diner sees it, with its QR code (SVG) for the cashier's scanner.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DinerCard {
    pub uuid: String,
    pub name: String,
    /// ACTIVE or USED.
    pub status: String,
    pub expiry: DateTime<Utc>,
    pub qr_svg: String,
    /// Its card type's art (a thumbnail), if the Artist gave it one.
    pub art: Option<String>,
}

/// What a demo diner has at the demo restaurant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DinerView {
    pub uid: String,
    pub merchant_id: String,
    pub balance: Balance,
    /// The member code the cashier scans to recharge, and its QR code.
    pub member: MemberQr,
    pub cards: Vec<DinerCard>,
    /// A fresh Idempotency-Key for the page's next payment code.
    pub next_key: String,
    /// The shop's offset from UTC now, in seconds: dates are shown on the shop's calendar.
    pub shop_utc_offset: i32,
    /// Silver (碎银), held across shops.
    pub silver: i64,
    /// The fragments held at the shop: (code, name, count).
    pub fragments: Vec<(String, String, i64)>,
    /// The story inbox, newest first.
    pub stories: Vec<crate::api::rules::InboxStory>,
    /// The cards the shop makes from fragments, with today's stock left.
    pub card_types: Vec<crate::api::catalog::CardTypeOnOffer>,
    /// The shop's market: fragments bought and sold for silver.
    pub market: Vec<MarketLine>,
    /// Today's steps (shop's calendar) and all steps counted.
    pub steps_today: u32,
    pub total_steps: u64,
    /// The diner's last live event when this was read: the page's socket starts after it.
    pub seen: u64,
    /// The shop's recharge tiers (an online recharge buys one).
    pub tiers: Vec<crate::model::catalog::Tier>,
}

/// A fragment on the shop's market, with its name, in silver.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketLine {
    pub fragment: String,
    pub name: String,
    pub buy_price: u32,
    /// None: the shop does not buy it back.
    pub sell_price: Option<u32>,
}

/// The diner's member code (valid for a few minutes: proof that the diner is at the counter)
/// and its QR code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberQr {
    pub code: String,
    pub qr_svg: String,
}

/// A payment code to show the cashier, with its QR code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentQr {
    pub code: String,
    pub amount: Money,
    pub expires_at: DateTime<Utc>,
    pub qr_svg: String,
    pub next_key: String,
}

/// Signs in as a demo diner (`dev:<uid>`: refused wherever diners log in through WeChat).
#[server(prefix = "/console", endpoint = "diner/sign_in")]
pub async fn diner_sign_in(uid: String) -> Result<(), Problem> {
    let state = crate::state::app_state()?;
    let code = format!("dev:{}", uid.trim());
    let session = crate::service::auth::login_diner(
        &state,
        &code,
        crate::api::edge::client_addr(),
        Utc::now(),
    )
    .await?;
    crate::api::console::start_session(&state, &session)?;
    leptos_axum::redirect("/diner");
    Ok(())
}

/// The signed-in diner's wallet and cards at the demo restaurant, or nobody.
#[server(prefix = "/console", endpoint = "diner/pocket")]
pub async fn diner_pocket() -> Result<Option<DinerView>, Problem> {
    use crate::error::AppError;
    let Ok(call) = crate::api::edge::authenticated() else {
        return Ok(None);
    };
    let Ok(uid) = call.diner() else {
        return Ok(None);
    };
    let merchant = db::seed::DEMO_MERCHANT_ID;
    let state = &call.state;
    // First, so nothing numbered while the rest is read is missed by the page.
    let seen = crate::service::feed::last_seq(
        state,
        &crate::model::realtime::Recipient::Diner(uid.clone()),
    )
    .await?;
    let balance = crate::service::wallet::balance(state, merchant, &uid).await?;
    let cards = crate::service::assets::cards(state, merchant, &uid)
        .await?
        .into_iter()
        .map(|card| {
            Ok(DinerCard {
                qr_svg: qr_svg(&card.uuid)?,
                uuid: card.uuid,
                name: card.name,
                status: card.status,
                expiry: card.expiry,
                art: card.art,
            })
        })
        .collect::<Result<_, AppError>>()?;
    let held = crate::service::assets::held(state, merchant, &uid).await?;
    let now = Utc::now();
    let catalog = crate::service::catalog::read(state, merchant, false, now).await?;
    let fragments = catalog
        .fragments
        .iter()
        .filter_map(|f| {
            let count = held.fragments.get(f.code.as_str()).copied()?;
            Some((f.code.to_string(), f.name.to_string(), count))
        })
        .collect();
    let stories = crate::service::rules::inbox(state, &uid, Some(merchant)).await?;
    let name_of = |code: &str| {
        catalog
            .fragments
            .iter()
            .find(|f| f.code.as_str() == code)
            .map_or_else(|| code.to_owned(), |f| f.name.to_string())
    };
    let market = catalog
        .listings
        .iter()
        .map(|listing| MarketLine {
            fragment: listing.fragment.to_string(),
            name: name_of(listing.fragment.as_str()),
            buy_price: listing.buy_price.get(),
            sell_price: listing.sell_price.map(|price| price.get()),
        })
        .collect();
    let clock = crate::service::merchant_clock(state, merchant, now).await?;
    let today = crate::service::merchant_today(&state.db, merchant, now).await?;
    let steps_today = db::steps::of_day(&state.db, &uid, today)
        .await
        .map_err(AppError::from)?;
    let total_steps = db::steps::total(&state.db, &uid)
        .await
        .map_err(AppError::from)?;
    Ok(Some(DinerView {
        tiers: catalog.tiers,
        card_types: catalog.card_types,
        market,
        steps_today: u32::try_from(steps_today).unwrap_or_default(),
        total_steps: u64::try_from(total_steps).unwrap_or_default(),
        silver: held.silver,
        fragments,
        stories,
        member: member_qr(&call.state, &uid, &call.session)?,
        uid,
        merchant_id: merchant.to_owned(),
        balance,
        cards,
        next_key: crate::api::console::fresh_key(),
        shop_utc_offset: clock.utc_offset,
        seen,
    }))
}

/// The diner says they are at the demo restaurant, with the code on their table: exactly
/// `POST /api/events` (USER_ENTER_SHOP with a table code as proof).
#[server(prefix = "/console", endpoint = "diner/arrive")]
pub async fn diner_arrive(table_code: String) -> Result<String, Problem> {
    use crate::api::rules::{PostedEvent, Presence};
    let call = crate::api::edge::authenticated()?;
    let event = PostedEvent {
        kind: crate::api::rules::TriggerType::UserEnterShop,
        merchant_id: demo_merchant()?,
        uid: None,
        context: Default::default(),
        proof: Some(Presence::TableCode(table_code.trim().to_owned())),
    };
    let receipt =
        crate::service::rules::post_event(&call.state, &call.principal, event, Utc::now()).await?;
    Ok(receipt.trigger_id)
}

/// A fresh member code of the signed-in diner (the page asks before the last one expires).
#[server(prefix = "/console", endpoint = "diner/member_code")]
pub async fn fresh_member_code() -> Result<MemberQr, Problem> {
    let call = crate::api::edge::authenticated()?;
    let uid = call.diner()?;
    Ok(member_qr(&call.state, &uid, &call.session)?)
}

#[cfg(feature = "ssr")]
fn member_qr(
    state: &crate::state::AppState,
    uid: &str,
    session: &str,
) -> Result<MemberQr, crate::error::AppError> {
    let member = crate::api::member::issue_member_code(state, uid, session, Utc::now())?;
    Ok(MemberQr {
        qr_svg: qr_svg(&member.code)?,
        code: member.code,
    })
}

/// A payment code for `amount` at the demo restaurant: exactly `POST /api/payment/create`,
/// with the form's key.
#[server(prefix = "/console", endpoint = "diner/pay")]
pub async fn diner_pay(amount: Money, key: String) -> Result<PaymentQr, Problem> {
    let call = crate::api::edge::authenticated()?;
    let order = crate::api::payment::create_payment_by_diner(
        &call,
        Some(&key),
        db::seed::DEMO_MERCHANT_ID,
        amount,
        None,
    )
    .await?;
    Ok(PaymentQr {
        qr_svg: qr_svg(&order.code)?,
        code: order.code,
        amount: order.amount,
        expires_at: order.expires_at,
        next_key: crate::api::console::fresh_key(),
    })
}

/// `text` as a QR code, an SVG the page can inline (cards, codes, table codes).
#[cfg(feature = "ssr")]
pub(crate) fn qr_svg(text: &str) -> Result<String, crate::error::AppError> {
    use qrcode::render::svg;
    let code = qrcode::QrCode::new(text.as_bytes())
        .map_err(|e| crate::error::AppError::Internal(format!("QR code: {e}")))?;
    Ok(code
        .render::<svg::Color<'_>>()
        .min_dimensions(160, 160)
        .quiet_zone(true)
        .build())
}

/// What the demo page's game forms answer: the receipt or the refusal, and the key for the
/// next one.
pub type GameAnswer<R> = crate::api::console::FormAnswer<crate::api::console::Receipt<R>>;

/// Makes a card at the demo restaurant from its recipe: exactly `POST
/// /api/assets/synthesize`, with the form's key.
#[server(prefix = "/console", endpoint = "diner/synthesize")]
pub async fn diner_synthesize(
    card_type: crate::domain::checked::Code,
    key: String,
) -> Result<GameAnswer<crate::api::assets::SynthesisReceipt>, Problem> {
    let call = crate::api::edge::authenticated()?;
    let merchant = demo_merchant()?;
    let answer = crate::api::assets::synthesize_as(&call, Some(&key), &merchant, &card_type).await;
    crate::api::console::form_answer(&call, answer, |receipt| crate::api::console::Receipt {
        receipt,
    })
}

/// Buys or sells fragments at the demo restaurant's market: exactly `POST
/// /api/market/trade`, with the form's key.
#[server(prefix = "/console", endpoint = "diner/trade")]
pub async fn diner_trade(
    fragment: crate::domain::checked::Code,
    side: crate::api::assets::TradeSide,
    quantity: crate::api::assets::Quantity,
    key: String,
) -> Result<GameAnswer<crate::api::assets::TradeReceipt>, Problem> {
    let call = crate::api::edge::authenticated()?;
    let trade = crate::api::assets::Trade {
        merchant_id: demo_merchant()?,
        fragment,
        side,
        quantity,
    };
    let answer = crate::api::assets::trade_as(&call, Some(&key), &trade).await;
    crate::api::console::form_answer(&call, answer, |receipt| crate::api::console::Receipt {
        receipt,
    })
}

/// Syncs today's steps at the demo restaurant as the mini program would: the DEV stand-in
/// of `wx.getWeRunData` (`POST /api/dev/werun`) makes the encrypted data, then exactly
/// `POST /api/steps` reads it.
#[server(prefix = "/console", endpoint = "diner/steps")]
pub async fn diner_walk(
    steps: crate::api::steps::StepCount,
) -> Result<crate::api::steps::StepsSynced, Problem> {
    let call = crate::api::edge::authenticated()?;
    let now = Utc::now();
    let data = crate::service::steps::stand_in(&call.state, &call.principal, steps.get(), now)?;
    let upload = crate::api::steps::StepsUpload {
        merchant_id: demo_merchant()?,
        encrypted_data: data.encrypted_data,
        iv: data.iv,
    };
    Ok(crate::service::steps::sync(&call.state, &call.principal, &upload, now).await?)
}

#[cfg(feature = "ssr")]
fn demo_merchant() -> Result<crate::domain::checked::MerchantId, crate::error::AppError> {
    db::seed::DEMO_MERCHANT_ID
        .parse()
        .map_err(|_| crate::error::AppError::Internal("the demo merchant's id".into()))
}

/// Opens an online recharge at the demo restaurant: exactly `POST
/// /api/wallet/recharge/online`, with the form's key.
#[server(prefix = "/console", endpoint = "diner/recharge_online")]
pub async fn diner_recharge_online(
    tier: crate::domain::checked::Code,
    key: String,
) -> Result<GameAnswer<crate::model::online::OnlineRecharge>, Problem> {
    let call = crate::api::edge::authenticated()?;
    let merchant = demo_merchant()?;
    let answer =
        crate::api::wallet::recharge_online_by_diner(&call, Some(&key), &merchant, &tier).await;
    crate::api::console::form_answer(&call, answer, |receipt| crate::api::console::Receipt {
        receipt,
    })
}

/// DEV: the diner pays an online order in "WeChat" — the stand-in WeChat Pay's sandbox
/// plays the WeChat app's part; its notification then credits the wallet as WeChat Pay's
/// would. No stand-in (not DEV): not found.
#[server(prefix = "/console", endpoint = "diner/pay_online")]
pub async fn diner_pay_online(order: crate::domain::checked::Code) -> Result<(), Problem> {
    let call = crate::api::edge::authenticated()?;
    let uid = call.diner()?;
    let merchant = demo_merchant()?;
    crate::service::online::pay_in_sandbox(&call.state, &merchant, &uid, &order).await?;
    Ok(())
}
