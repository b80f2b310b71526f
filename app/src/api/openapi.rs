//! The OpenAPI 3.1 document of the JSON API, generated from the same types the server
//! functions use. Request bodies are described by the `*Request` types below; a test checks
//! each one deserialises into its server function's arguments, so they cannot drift apart.

// The empty path functions exist only to carry `#[utoipa::path]` for the derive.
#![allow(dead_code)]

use serde::{Deserialize, Serialize};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi, ToSchema};

use crate::api::assets::{AssetSummary, MyCard, SynthesisReceipt, TradeReceipt, TradeSide};
use crate::api::catalog::{
    CardType, CardTypeOnOffer, Catalog, Fragment, Listing, Rarity, RecipeLine, Tier,
};
use crate::api::ledger::LedgerLine;
use crate::api::member::MemberCode;
use crate::api::payment::{PaymentOrder, PaymentRefundReceipt, ScanResult};
use crate::api::realtime::{Control, Event, Frame, SocketTicket};
use crate::api::system::SystemStatus;
use crate::api::wallet::{RechargeReceipt, StoredValueRefundReceipt};
use crate::auth_types::Session;
use crate::domain::{Balance, Clawback, Money, PaymentSplit};
use crate::error::{ErrorCode, Problem};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StaffLoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DinerLoginRequest {
    /// The identity provider's login code (`dev:<uid>` in DEV).
    pub code: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CreatePaymentRequest {
    pub merchant_id: String,
    pub amount: Money,
    /// One of the diner's ACTIVE cards at this merchant, applied first.
    pub card: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VerifyRequest {
    /// What the scanner read: a card uuid or an 18-digit payment code.
    pub code: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PaymentRefundRequest {
    pub payment_id: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RechargeRequest {
    pub uid: String,
    /// The tier's code, e.g. `T100`.
    pub tier: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StoredValueRefundRequest {
    pub uid: String,
    /// Principal to pay back.
    pub amount: Money,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StoredValueRefundConfirmation {
    pub uid: String,
    /// Principal to pay back.
    pub amount: Money,
    /// The payout the preview showed. If the refund would now pay out anything else (the
    /// wallet changed since), it is refused: 409 `REFUND_PREVIEW_CHANGED`, with the new
    /// preview in the problem's `preview`; confirm that one (with a new Idempotency-Key).
    pub expected_payout: Money,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SynthesizeRequest {
    pub merchant_id: String,
    pub card_type: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TradeRequest {
    pub merchant_id: String,
    pub fragment: String,
    pub side: TradeSide,
    pub quantity: u32,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SaveFragmentRequest {
    pub fragment: Fragment,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SaveCardTypeRequest {
    pub card_type: CardType,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SetDailyCapRequest {
    /// The card type's code.
    pub card_type: String,
    pub daily_cap: u32,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SaveTierRequest {
    pub tier: Tier,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SaveListingRequest {
    pub listing: Listing,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct MerchantQuery {
    pub merchant_id: String,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct DinerQuery {
    pub uid: String,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct MyLedgerQuery {
    pub merchant_id: String,
    /// 1–200, default 50 (newest first).
    pub limit: Option<u32>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct LedgerOfQuery {
    pub uid: String,
    /// 1–200, default 50 (newest first).
    pub limit: Option<u32>,
}

/// `Idempotency-Key`: required on money and asset mutations.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IdempotencyHeader {
    /// A unique key per user action (e.g. a UUID); retries reuse it.
    #[serde(rename = "Idempotency-Key")]
    #[param(rename = "Idempotency-Key")]
    pub idempotency_key: String,
}

#[utoipa::path(post, path = "/api/auth/staff/login", tag = "auth", request_body = StaffLoginRequest,
    responses((status = 200, body = Session), (status = "4XX", description = "Refused: see `code`", body = Problem, content_type = "application/problem+json"),
        (status = "5XX", description = "Our fault, or busy: see `code`", body = Problem, content_type = "application/problem+json")))]
fn staff_login() {}

#[utoipa::path(post, path = "/api/auth/diner/login", tag = "auth", request_body = DinerLoginRequest,
    responses((status = 200, body = Session), (status = "4XX", description = "Refused: see `code`", body = Problem, content_type = "application/problem+json"),
        (status = "5XX", description = "Our fault, or busy: see `code`", body = Problem, content_type = "application/problem+json")))]
fn diner_login() {}

/// Ends the caller's session: the token, and any copy of it, is refused from now on, and the
/// session's sockets close with 4001.
#[utoipa::path(post, path = "/api/auth/sign_out", tag = "auth", security(("bearer" = [])),
    responses((status = 200, description = "Signed out"), (status = "4XX", description = "Refused: see `code`", body = Problem, content_type = "application/problem+json"),
        (status = "5XX", description = "Our fault, or busy: see `code`", body = Problem, content_type = "application/problem+json")))]
fn sign_out() {}

#[utoipa::path(post, path = "/api/payment/create", tag = "payment", request_body = CreatePaymentRequest,
    params(IdempotencyHeader), security(("bearer" = [])),
    responses((status = 200, body = PaymentOrder), (status = "4XX", description = "Refused: see `code`", body = Problem, content_type = "application/problem+json"),
        (status = "5XX", description = "Our fault, or busy: see `code`", body = Problem, content_type = "application/problem+json")))]
fn create_payment() {}

#[utoipa::path(post, path = "/api/payment/verify", tag = "payment", request_body = VerifyRequest,
    params(IdempotencyHeader), security(("bearer" = [])),
    responses((status = 200, body = ScanResult), (status = "4XX", description = "Refused: see `code`", body = Problem, content_type = "application/problem+json"),
        (status = "5XX", description = "Our fault, or busy: see `code`", body = Problem, content_type = "application/problem+json")))]
fn verify_payment() {}

#[utoipa::path(post, path = "/api/payment/refund", tag = "payment", request_body = PaymentRefundRequest,
    params(IdempotencyHeader), security(("bearer" = [])),
    responses((status = 200, body = PaymentRefundReceipt), (status = "4XX", description = "Refused: see `code`", body = Problem, content_type = "application/problem+json"),
        (status = "5XX", description = "Our fault, or busy: see `code`", body = Problem, content_type = "application/problem+json")))]
fn refund_payment() {}

#[utoipa::path(post, path = "/api/wallet/recharge", tag = "wallet", request_body = RechargeRequest,
    params(IdempotencyHeader), security(("bearer" = [])),
    responses((status = 200, body = RechargeReceipt), (status = "4XX", description = "Refused: see `code`", body = Problem, content_type = "application/problem+json"),
        (status = "5XX", description = "Our fault, or busy: see `code`", body = Problem, content_type = "application/problem+json")))]
fn recharge() {}

#[utoipa::path(post, path = "/api/wallet/refund/preview", tag = "wallet", request_body = StoredValueRefundRequest,
    security(("bearer" = [])),
    responses((status = 200, body = Clawback), (status = "4XX", description = "Refused: see `code`", body = Problem, content_type = "application/problem+json"),
        (status = "5XX", description = "Our fault, or busy: see `code`", body = Problem, content_type = "application/problem+json")))]
fn preview_stored_value_refund() {}

#[utoipa::path(post, path = "/api/wallet/refund", tag = "wallet", request_body = StoredValueRefundConfirmation,
    params(IdempotencyHeader), security(("bearer" = [])),
    responses((status = 200, body = StoredValueRefundReceipt), (status = "4XX", description = "Refused: see `code`", body = Problem, content_type = "application/problem+json"),
        (status = "5XX", description = "Our fault, or busy: see `code`", body = Problem, content_type = "application/problem+json")))]
fn stored_value_refund() {}

#[utoipa::path(get, path = "/api/wallets/mine", tag = "wallet", params(MerchantQuery),
    security(("bearer" = [])), responses((status = 200, body = Balance), (status = "4XX", description = "Refused: see `code`", body = Problem, content_type = "application/problem+json"),
        (status = "5XX", description = "Our fault, or busy: see `code`", body = Problem, content_type = "application/problem+json")))]
fn my_wallet() {}

#[utoipa::path(get, path = "/api/wallets/of", tag = "wallet", params(DinerQuery),
    security(("bearer" = [])), responses((status = 200, body = Balance), (status = "4XX", description = "Refused: see `code`", body = Problem, content_type = "application/problem+json"),
        (status = "5XX", description = "Our fault, or busy: see `code`", body = Problem, content_type = "application/problem+json")))]
fn wallet_of() {}

#[utoipa::path(post, path = "/api/assets/synthesize", tag = "assets", request_body = SynthesizeRequest,
    params(IdempotencyHeader), security(("bearer" = [])),
    responses((status = 200, body = SynthesisReceipt), (status = "4XX", description = "Refused: see `code`", body = Problem, content_type = "application/problem+json"),
        (status = "5XX", description = "Our fault, or busy: see `code`", body = Problem, content_type = "application/problem+json")))]
fn synthesize() {}

#[utoipa::path(post, path = "/api/market/trade", tag = "assets", request_body = TradeRequest,
    params(IdempotencyHeader), security(("bearer" = [])),
    responses((status = 200, body = TradeReceipt), (status = "4XX", description = "Refused: see `code`", body = Problem, content_type = "application/problem+json"),
        (status = "5XX", description = "Our fault, or busy: see `code`", body = Problem, content_type = "application/problem+json")))]
fn market_trade() {}

#[utoipa::path(get, path = "/api/assets/mine", tag = "assets", params(MerchantQuery),
    security(("bearer" = [])), responses((status = 200, body = AssetSummary), (status = "4XX", description = "Refused: see `code`", body = Problem, content_type = "application/problem+json"),
        (status = "5XX", description = "Our fault, or busy: see `code`", body = Problem, content_type = "application/problem+json")))]
fn my_assets() {}

#[utoipa::path(get, path = "/api/ledger/mine", tag = "ledger", params(MyLedgerQuery),
    security(("bearer" = [])), responses((status = 200, body = Vec<LedgerLine>), (status = "4XX", description = "Refused: see `code`", body = Problem, content_type = "application/problem+json"),
        (status = "5XX", description = "Our fault, or busy: see `code`", body = Problem, content_type = "application/problem+json")))]
fn my_ledger() {}

#[utoipa::path(get, path = "/api/ledger/of", tag = "ledger", params(LedgerOfQuery),
    security(("bearer" = [])), responses((status = 200, body = Vec<LedgerLine>), (status = "4XX", description = "Refused: see `code`", body = Problem, content_type = "application/problem+json"),
        (status = "5XX", description = "Our fault, or busy: see `code`", body = Problem, content_type = "application/problem+json")))]
fn ledger_of() {}

#[utoipa::path(get, path = "/api/catalog", tag = "catalog", params(MerchantQuery),
    security(("bearer" = [])), responses((status = 200, body = Catalog), (status = "4XX", description = "Refused: see `code`", body = Problem, content_type = "application/problem+json"),
        (status = "5XX", description = "Our fault, or busy: see `code`", body = Problem, content_type = "application/problem+json")))]
fn catalog() {}

#[utoipa::path(post, path = "/api/catalog/fragments", tag = "catalog", request_body = SaveFragmentRequest,
    security(("bearer" = [])), responses((status = 200, body = Fragment), (status = "4XX", description = "Refused: see `code`", body = Problem, content_type = "application/problem+json"),
        (status = "5XX", description = "Our fault, or busy: see `code`", body = Problem, content_type = "application/problem+json")))]
fn save_fragment() {}

#[utoipa::path(post, path = "/api/catalog/card_types", tag = "catalog", request_body = SaveCardTypeRequest,
    security(("bearer" = [])), responses((status = 200, body = CardTypeOnOffer), (status = "4XX", description = "Refused: see `code`", body = Problem, content_type = "application/problem+json"),
        (status = "5XX", description = "Our fault, or busy: see `code`", body = Problem, content_type = "application/problem+json")))]
fn save_card_type() {}

#[utoipa::path(post, path = "/api/catalog/stock", tag = "catalog", request_body = SetDailyCapRequest,
    security(("bearer" = [])), responses((status = 200, body = CardTypeOnOffer), (status = "4XX", description = "Refused: see `code`", body = Problem, content_type = "application/problem+json"),
        (status = "5XX", description = "Our fault, or busy: see `code`", body = Problem, content_type = "application/problem+json")))]
fn set_daily_cap() {}

#[utoipa::path(post, path = "/api/catalog/tiers", tag = "catalog", request_body = SaveTierRequest,
    security(("bearer" = [])), responses((status = 200, body = Tier), (status = "4XX", description = "Refused: see `code`", body = Problem, content_type = "application/problem+json"),
        (status = "5XX", description = "Our fault, or busy: see `code`", body = Problem, content_type = "application/problem+json")))]
fn save_tier() {}

#[utoipa::path(post, path = "/api/catalog/listings", tag = "catalog", request_body = SaveListingRequest,
    security(("bearer" = [])), responses((status = 200, body = Listing), (status = "4XX", description = "Refused: see `code`", body = Problem, content_type = "application/problem+json"),
        (status = "5XX", description = "Our fault, or busy: see `code`", body = Problem, content_type = "application/problem+json")))]
fn save_listing() {}

#[utoipa::path(get, path = "/api/system/status", tag = "system",
    responses((status = 200, body = SystemStatus), (status = "4XX", description = "Refused: see `code`", body = Problem, content_type = "application/problem+json"),
        (status = "5XX", description = "Our fault, or busy: see `code`", body = Problem, content_type = "application/problem+json")))]
fn system_status() {}

#[utoipa::path(post, path = "/api/diner/member_code", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = MemberCode), (status = "4XX", description = "Refused: see `code`", body = Problem, content_type = "application/problem+json"),
        (status = "5XX", description = "Our fault, or busy: see `code`", body = Problem, content_type = "application/problem+json")))]
fn my_member_code() {}

#[utoipa::path(post, path = "/api/realtime/ticket", tag = "realtime", security(("bearer" = [])),
    responses((status = 200, body = SocketTicket), (status = "4XX", description = "Refused: see `code`", body = Problem, content_type = "application/problem+json"),
        (status = "5XX", description = "Our fault, or busy: see `code`", body = Problem, content_type = "application/problem+json")))]
fn realtime_ticket() {}

/// The query of `GET /ws`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct SocketQuery {
    /// The last `seq` seen: the events after it are replayed first. Absent: live only.
    pub after: Option<u64>,
    /// A ticket from `/api/realtime/ticket` (browsers); otherwise the bearer header.
    pub ticket: Option<String>,
}

/// The real-time WebSocket (docs/realtime.md). Each text frame is one `Frame` (an event with
/// the recipient's `seq`) or one `Control` (`READY` after the replay, `RESET` when the log
/// no longer holds what was missed). Close codes: 1001 server stopping, 4008 too slow,
/// 4009 no pong — reconnect with `after` = the last `seq` seen; 4001 session ended (signed
/// out, account disabled, expired) — sign in again.
#[utoipa::path(get, path = "/ws", tag = "realtime", params(SocketQuery), security(("bearer" = [])),
    responses((status = 101, description = "Upgraded: `Frame` and `Control` text frames follow"),
        (status = "4XX", description = "Refused: see `code`", body = Problem, content_type = "application/problem+json")))]
fn socket() {}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The document served at `/api/openapi.json`.
#[derive(OpenApi)]
#[openapi(
    info(title = "MealQuest API", description = "餐餐有戏: stored value, cards, market, payments, catalogue, statements and real-time events (`GET /ws`, docs/realtime.md). Money is a decimal string; errors are RFC 9457 problem+json with a stable `code`."),
    paths(staff_login, diner_login, sign_out, create_payment, verify_payment, refund_payment, recharge,
        preview_stored_value_refund, stored_value_refund, my_wallet, wallet_of, synthesize,
        market_trade, my_assets, my_ledger, ledger_of, catalog, save_fragment, save_card_type, set_daily_cap, save_tier,
        save_listing, system_status, realtime_ticket, my_member_code, socket),
    components(schemas(Money, Balance, PaymentSplit, Clawback, Problem, ErrorCode, MyCard, Rarity,
        RecipeLine, Frame, Event, Control)),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

#[cfg(test)]
mod tests {
    use super::*;

    /// Each documented request body is accepted by its server function's arguments.
    #[test]
    fn documented_requests_are_what_the_server_functions_read() {
        fn fits<Doc: Serialize, Args: serde::de::DeserializeOwned>(example: Doc) {
            let json = serde_json::to_value(&example).unwrap_or_default();
            assert!(
                serde_json::from_value::<Args>(json.clone()).is_ok(),
                "{json}"
            );
        }
        let money: Money = "12.30".parse().unwrap_or_default();
        fits::<_, crate::api::auth::StaffLogin>(StaffLoginRequest {
            username: "u".into(),
            password: "p".into(),
        });
        fits::<_, crate::api::auth::DinerLogin>(DinerLoginRequest {
            code: "dev:u".into(),
        });
        fits::<_, crate::api::payment::CreatePayment>(CreatePaymentRequest {
            merchant_id: "m".into(),
            amount: money,
            card: None,
        });
        fits::<_, crate::api::payment::VerifyPayment>(VerifyRequest { code: "c".into() });
        fits::<_, crate::api::payment::RefundPayment>(PaymentRefundRequest {
            payment_id: "p".into(),
        });
        fits::<_, crate::api::wallet::Recharge>(RechargeRequest {
            uid: "u".into(),
            tier: "T100".into(),
        });
        fits::<_, crate::api::wallet::PreviewStoredValueRefund>(StoredValueRefundRequest {
            uid: "u".into(),
            amount: money,
        });
        fits::<_, crate::api::wallet::StoredValueRefund>(StoredValueRefundConfirmation {
            uid: "u".into(),
            amount: money,
            expected_payout: money,
        });
        // A confirmation that does not say what its preview paid out is not read at all.
        let unbound = serde_json::json!({ "uid": "u", "amount": "12.30" });
        assert!(serde_json::from_value::<crate::api::wallet::StoredValueRefund>(unbound).is_err());
        fits::<_, crate::api::assets::Synthesize>(SynthesizeRequest {
            merchant_id: "m".into(),
            card_type: "c".into(),
        });
        let card_type = CardType {
            code: "C".into(),
            name: "n".into(),
            recipe: vec![RecipeLine {
                fragment: "F".into(),
                count: 1,
            }],
            benefit: money,
            benefit_description: "d".into(),
            validity_days: 1,
            cost_basis: money,
            daily_cap: 1,
            active: true,
        };
        fits::<_, crate::api::catalog::SaveCardType>(SaveCardTypeRequest { card_type });
        fits::<_, crate::api::catalog::SaveFragment>(SaveFragmentRequest {
            fragment: Fragment {
                code: "F".into(),
                name: "n".into(),
                rarity: Rarity::Rare,
            },
        });
        fits::<_, crate::api::catalog::SetDailyCap>(SetDailyCapRequest {
            card_type: "C".into(),
            daily_cap: 3,
        });
        fits::<_, crate::api::catalog::SaveTier>(SaveTierRequest {
            tier: Tier {
                code: "T".into(),
                label: "l".into(),
                pay: money,
                bonus: money,
                active: true,
            },
        });
        fits::<_, crate::api::catalog::SaveListing>(SaveListingRequest {
            listing: Listing {
                fragment: "F".into(),
                buy_price: 2,
                sell_price: Some(1),
                active: true,
            },
        });
        fits::<_, crate::api::assets::MarketTrade>(TradeRequest {
            merchant_id: "m".into(),
            fragment: "f".into(),
            side: TradeSide::Buy,
            quantity: 1,
        });
    }
}
