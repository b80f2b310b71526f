//! The OpenAPI 3.1 document of the JSON API, generated from the same types the server
//! functions use. Request bodies are described by the `*Request` types below; a test checks
//! each one deserialises into its server function's arguments, so they cannot drift apart.

// The empty path functions exist only to carry `#[utoipa::path]` for the derive.
#![allow(dead_code)]

use serde::{Deserialize, Serialize};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi, ToSchema};

use crate::api::assets::{
    AssetSummary, MyCard, Quantity, SynthesisReceipt, TradeReceipt, TradeSide,
};
use crate::api::catalog::{
    CardType, CardTypeOnOffer, Catalog, DailyCap, Fragment, Listing, Rarity, RecipeLine, Tier,
};
use crate::api::codec::{DinerQuery, MerchantQuery};
use crate::api::ledger::{LedgerLine, LedgerOfQuery, MyLedgerQuery};
use crate::api::member::MemberCode;
use crate::api::payment::{PaymentOrder, PaymentRefundReceipt, ScanResult};
use crate::api::realtime::{Control, Event, Frame, SocketTicket};
use crate::api::rules::{
    Backtest, Campaign, CampaignQuery, CampaignSpec, CampaignStatus, Days, DinerTags, DryRun,
    EventReceipt, HoldoutQuery, InboxQuery, InboxStory, Lift, NewCampaign, PostedEvent, ShopPlace,
    TableCodeToday, TableQuery, TagThresholds, TrialTrigger,
};
use crate::api::steps::{StepsSynced, StepsUpload, WeRunData};
use crate::api::system::SystemStatus;
use crate::api::wallet::{RechargeReceipt, StoredValueRefundReceipt};
use crate::auth_types::Session;
use crate::domain::checked::{
    CardId, Code, DinerId, IdempotencyKey, MerchantId, Name, PaymentId, ScanCode, StoryId, Tag,
};
use crate::domain::rules::story::Reward;
use crate::domain::rules::{Condition, presence::Presence};
use crate::domain::{Amount, Balance, Clawback, Money, PaymentSplit};
use crate::error::{ErrorCode, FieldErrors, Problem};

mod responses;

use responses::{Flows, Refusals};

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
    pub merchant_id: MerchantId,
    pub amount: Amount,
    /// One of the diner's ACTIVE cards at this merchant, applied first.
    pub card: Option<CardId>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VerifyRequest {
    /// What the scanner read: a card uuid or an 18-digit payment code.
    pub code: ScanCode,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PaymentRefundRequest {
    pub payment_id: PaymentId,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RechargeRequest {
    pub uid: DinerId,
    /// The tier's code, e.g. `T100`.
    #[schema(example = "T100")]
    pub tier: Code,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OnlineRechargeRequest {
    pub merchant_id: crate::domain::checked::MerchantId,
    /// The tier's code, e.g. `T100`.
    #[schema(example = "T100")]
    pub tier: Code,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OnlineOrderRequest {
    pub merchant_id: crate::domain::checked::MerchantId,
    /// The order's number, as its recharge answered it.
    pub order: Code,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StoredValueRefundRequest {
    pub uid: DinerId,
    /// Principal to pay back.
    pub amount: Amount,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StoredValueRefundConfirmation {
    pub uid: DinerId,
    /// Principal to pay back.
    pub amount: Amount,
    /// The payout the preview showed. If the refund would now pay out anything else (the
    /// wallet changed since), it is refused: 409 `REFUND_PREVIEW_CHANGED`, with the new
    /// preview in the problem's `preview`; confirm that one (with a new Idempotency-Key).
    pub expected_payout: Money,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OnlineRefundRequest {
    /// The online recharge to pay back, as its recharge answered it.
    pub order: Code,
    /// Principal to pay back.
    pub amount: Amount,
    /// The payout the preview showed (`POST /api/wallet/refund/preview`); anything else
    /// now: 409 `REFUND_PREVIEW_CHANGED` with the new preview.
    pub expected_payout: Money,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SynthesizeRequest {
    pub merchant_id: MerchantId,
    pub card_type: Code,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TradeRequest {
    pub merchant_id: MerchantId,
    #[schema(example = "CHILI")]
    pub fragment: Code,
    pub side: TradeSide,
    #[schema(inline)]
    pub quantity: Quantity,
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
    pub card_type: Code,
    #[schema(inline)]
    pub daily_cap: DailyCap,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SaveTierRequest {
    pub tier: Tier,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SaveListingRequest {
    pub listing: Listing,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CreateCampaignRequest {
    pub campaign: NewCampaign,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UpdateCampaignRequest {
    pub code: Code,
    /// The version the edit started from: if someone saved a newer one since, 409.
    pub version: u32,
    pub spec: CampaignSpec,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CampaignStatusRequest {
    pub code: Code,
    /// DRAFT → ACTIVE, ACTIVE ⇄ PAUSED, any → ENDED (for good).
    pub status: CampaignStatus,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PostEventRequest {
    pub event: PostedEvent,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WeRunStandInRequest {
    /// Today's steps in the made-up data.
    #[schema(inline)]
    pub steps: crate::api::steps::StepCount,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DryRunRequest {
    pub code: Code,
    pub trigger: TrialTrigger,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BacktestRequest {
    pub code: Code,
    #[schema(inline)]
    pub days: Days,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SetShopPlaceRequest {
    pub place: ShopPlace,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TagDinerRequest {
    pub uid: DinerId,
    /// Tags to add (at most 16).
    #[serde(default)]
    #[schema(max_items = 16)]
    pub add: Vec<Tag>,
    /// Tags to remove (at most 16).
    #[serde(default)]
    #[schema(max_items = 16)]
    pub remove: Vec<Tag>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SetTagRulesRequest {
    pub rules: TagThresholds,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReadStoryRequest {
    pub id: StoryId,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CommandRequest {
    pub command: crate::api::agent::Command,
}

/// The answer to a thread's question: the Strategist's proposal, or the Artist's pictures.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum ResumeRequest {
    Proposal(crate::api::agent::Answer),
    Pictures(crate::api::artwork::Choice),
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AttachRequest {
    pub attach: crate::api::artwork::Attach,
}

/// `Idempotency-Key`: required on money and asset mutations.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IdempotencyHeader {
    /// A UUID made per user action; a retry of the same action sends the same one.
    #[serde(rename = "Idempotency-Key")]
    #[param(rename = "Idempotency-Key")]
    pub idempotency_key: IdempotencyKey,
}

#[utoipa::path(post, path = "/api/auth/staff/login", tag = "auth", request_body = StaffLoginRequest,
    responses((status = 200, body = Session)))]
fn staff_login() {}

#[utoipa::path(post, path = "/api/auth/diner/login", tag = "auth", request_body = DinerLoginRequest,
    responses((status = 200, body = Session)))]
fn diner_login() {}

/// Ends the caller's session: the token, and any copy of it, is refused from now on, and the
/// session's sockets close with 4001.
#[utoipa::path(post, path = "/api/auth/sign_out", tag = "auth", security(("bearer" = [])),
    responses((status = 200, description = "Signed out")))]
fn sign_out() {}

#[utoipa::path(post, path = "/api/payment/create", tag = "payment", request_body = CreatePaymentRequest,
    params(IdempotencyHeader), security(("bearer" = [])),
    responses((status = 200, body = PaymentOrder)))]
fn create_payment() {}

#[utoipa::path(post, path = "/api/payment/verify", tag = "payment", request_body = VerifyRequest,
    params(IdempotencyHeader), security(("bearer" = [])),
    responses((status = 200, body = ScanResult)))]
fn verify_payment() {}

#[utoipa::path(post, path = "/api/payment/refund", tag = "payment", request_body = PaymentRefundRequest,
    params(IdempotencyHeader), security(("bearer" = [])),
    responses((status = 200, body = PaymentRefundReceipt)))]
fn refund_payment() {}

#[utoipa::path(post, path = "/api/wallet/recharge", tag = "wallet", request_body = RechargeRequest,
    params(IdempotencyHeader), security(("bearer" = [])),
    responses((status = 200, body = RechargeReceipt)))]
fn recharge() {}

/// Opens an online recharge of a tier (diner) and answers `wx.requestPayment`'s fields,
/// signed; the wallet is credited once WeChat Pay confirms the payment. The same
/// Idempotency-Key again is the same order. 503 PAYMENT_PROVIDER_UNAVAILABLE (with
/// Retry-After) when the shop takes no online payment or its provider is failing.
#[utoipa::path(post, path = "/api/wallet/recharge/online", tag = "wallet", request_body = OnlineRechargeRequest,
    params(IdempotencyHeader), security(("bearer" = [])),
    responses((status = 200, body = crate::model::online::OnlineRecharge)))]
fn recharge_online() {}

/// Where one of the diner's online recharges is: PENDING, PAID (with its ledger entry) or
/// CLOSED.
#[utoipa::path(post, path = "/api/wallet/recharge/online/order", tag = "wallet", request_body = OnlineOrderRequest,
    security(("bearer" = [])),
    responses((status = 200, body = crate::model::online::OnlineOrder)))]
fn online_order() {}

/// WeChat Pay's payment and refund notifications for a shop (no session): verified against
/// the platform public key (`Wechatpay-Signature` over timestamp, nonce and body; refused
/// more than five minutes from `Wechatpay-Timestamp`), the resource opened with
/// AEAD_AES_256_GCM under the APIv3 key. A paid order is credited once; the same
/// notification again changes nothing. 204, or a problem (WeChat Pay tries again later).
#[utoipa::path(post, path = "/api/pay/wechat/notify/{merchant}", tag = "wallet",
    params(
        ("merchant" = String, Path, description = "The shop the payment is for"),
        ("Wechatpay-Timestamp" = i64, Header, description = "When it was signed, in Unix seconds"),
        ("Wechatpay-Nonce" = String, Header, description = "The signature's nonce"),
        ("Wechatpay-Signature" = String, Header, description = "SHA256withRSA, base64"),
        ("Wechatpay-Serial" = String, Header, description = "The platform key's id"),
    ),
    request_body = serde_json::Value,
    responses((status = 204, description = "Settled (or nothing to do)")))]
fn wechat_notify() {}

#[utoipa::path(post, path = "/api/wallet/refund/preview", tag = "wallet", request_body = StoredValueRefundRequest,
    security(("bearer" = [])),
    responses((status = 200, body = Clawback)))]
fn preview_stored_value_refund() {}

#[utoipa::path(post, path = "/api/wallet/refund", tag = "wallet", request_body = StoredValueRefundConfirmation,
    params(IdempotencyHeader), security(("bearer" = [])),
    responses((status = 200, body = StoredValueRefundReceipt)))]
fn stored_value_refund() {}

/// Pays principal of the diner who paid an online recharge back to their WeChat Pay (staff
/// with the Refund permission), with the clawback of the preview. The wallet is debited at
/// once; `status` says where the refund is: PROCESSING (WeChat Pay's notification confirms
/// it), SUCCESS, or FAILED — refused or failed at WeChat Pay, the wallet as it was (a
/// REFUND_REVERSAL entry). 409 REFUND_EXCEEDS_ORDER past what the order paid; 503
/// PAYMENT_PROVIDER_UNAVAILABLE when the provider is failing (nothing written).
#[utoipa::path(post, path = "/api/wallet/refund/online", tag = "wallet", request_body = OnlineRefundRequest,
    params(IdempotencyHeader), security(("bearer" = [])),
    responses((status = 200, body = crate::model::online::OnlineRefund)))]
fn refund_online() {}

/// A diner's online recharges that can still be refunded to WeChat Pay, and how much of
/// each (staff with the Refund permission).
#[utoipa::path(get, path = "/api/wallet/refund/online/orders", tag = "wallet", params(DinerQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Vec<crate::model::online::RefundableOrder>)))]
fn refundable_online_orders() {}

#[utoipa::path(get, path = "/api/wallets/mine", tag = "wallet", params(MerchantQuery),
    security(("bearer" = [])), responses((status = 200, body = Balance)))]
fn my_wallet() {}

#[utoipa::path(get, path = "/api/wallets/of", tag = "wallet", params(DinerQuery),
    security(("bearer" = [])), responses((status = 200, body = Balance)))]
fn wallet_of() {}

#[utoipa::path(post, path = "/api/assets/synthesize", tag = "assets", request_body = SynthesizeRequest,
    params(IdempotencyHeader), security(("bearer" = [])),
    responses((status = 200, body = SynthesisReceipt)))]
fn synthesize() {}

#[utoipa::path(post, path = "/api/market/trade", tag = "assets", request_body = TradeRequest,
    params(IdempotencyHeader), security(("bearer" = [])),
    responses((status = 200, body = TradeReceipt)))]
fn market_trade() {}

#[utoipa::path(get, path = "/api/assets/mine", tag = "assets", params(MerchantQuery),
    security(("bearer" = [])), responses((status = 200, body = AssetSummary)))]
fn my_assets() {}

#[utoipa::path(get, path = "/api/ledger/mine", tag = "ledger", params(MyLedgerQuery),
    security(("bearer" = [])), responses((status = 200, body = Vec<LedgerLine>)))]
fn my_ledger() {}

#[utoipa::path(get, path = "/api/ledger/of", tag = "ledger", params(LedgerOfQuery),
    security(("bearer" = [])), responses((status = 200, body = Vec<LedgerLine>)))]
fn ledger_of() {}

#[utoipa::path(get, path = "/api/catalog", tag = "catalog", params(MerchantQuery),
    security(("bearer" = [])), responses((status = 200, body = Catalog)))]
fn catalog() {}

#[utoipa::path(post, path = "/api/catalog/fragments", tag = "catalog", request_body = SaveFragmentRequest,
    security(("bearer" = [])), responses((status = 200, body = Fragment)))]
fn save_fragment() {}

#[utoipa::path(post, path = "/api/catalog/card_types", tag = "catalog", request_body = SaveCardTypeRequest,
    security(("bearer" = [])), responses((status = 200, body = CardTypeOnOffer)))]
fn save_card_type() {}

#[utoipa::path(post, path = "/api/catalog/stock", tag = "catalog", request_body = SetDailyCapRequest,
    security(("bearer" = [])), responses((status = 200, body = CardTypeOnOffer)))]
fn set_daily_cap() {}

#[utoipa::path(post, path = "/api/catalog/tiers", tag = "catalog", request_body = SaveTierRequest,
    security(("bearer" = [])), responses((status = 200, body = Tier)))]
fn save_tier() {}

#[utoipa::path(post, path = "/api/catalog/listings", tag = "catalog", request_body = SaveListingRequest,
    security(("bearer" = [])), responses((status = 200, body = Listing)))]
fn save_listing() {}

/// The shop's campaigns with today's spend (OWNER, MANAGER). Each campaign's JSON Schema is
/// served at `/api/schemas/campaign.json`.
#[utoipa::path(get, path = "/api/campaigns", tag = "campaigns", security(("bearer" = [])),
    responses((status = 200, body = Vec<Campaign>)))]
fn list_campaigns() {}

#[utoipa::path(get, path = "/api/campaigns/one", tag = "campaigns", params(CampaignQuery),
    security(("bearer" = [])), responses((status = 200, body = Campaign)))]
fn read_campaign() {}

/// A new campaign, saved as a DRAFT (version 1). Every fault is listed in the problem's
/// `errors`, each at its field.
#[utoipa::path(post, path = "/api/campaigns/create", tag = "campaigns", request_body = CreateCampaignRequest,
    security(("bearer" = [])), responses((status = 200, body = Campaign)))]
fn create_campaign() {}

#[utoipa::path(post, path = "/api/campaigns/update", tag = "campaigns", request_body = UpdateCampaignRequest,
    security(("bearer" = [])), responses((status = 200, body = Campaign)))]
fn update_campaign() {}

#[utoipa::path(post, path = "/api/campaigns/status", tag = "campaigns", request_body = CampaignStatusRequest,
    security(("bearer" = [])), responses((status = 200, body = Campaign)))]
fn set_campaign_status() {}

/// One trigger decided now with the campaign (any status) beside the active ones: the trace
/// of every campaign considered and the story the diner would get. Nothing is given.
#[utoipa::path(post, path = "/api/campaigns/dry_run", tag = "campaigns", request_body = DryRunRequest,
    security(("bearer" = [])), responses((status = 200, body = DryRun)))]
fn dry_run_campaign() {}

/// The shop's recorded triggers of the last `days` days replayed with the campaign beside
/// the active ones: reach, rewards, cost, when each day's budget ran out, and traces.
/// Nothing is given; the same answer every run.
#[utoipa::path(post, path = "/api/campaigns/backtest", tag = "campaigns", request_body = BacktestRequest,
    security(("bearer" = [])), responses((status = 200, body = Backtest)))]
fn backtest_campaign() {}

/// The campaign's lift over its holdout, or `INCONCLUSIVE` while a group is too small.
#[utoipa::path(get, path = "/api/campaigns/holdout", tag = "campaigns", params(HoldoutQuery),
    security(("bearer" = [])), responses((status = 200, body = Lift)))]
fn campaign_holdout() {}

/// A trigger for the rule engine, decided once: a diner checked in at the counter (CASHIER
/// and up), the weather or a tick (OWNER, MANAGER).
#[utoipa::path(post, path = "/api/events", tag = "campaigns", request_body = PostEventRequest,
    security(("bearer" = [])), responses((status = 200, body = EventReceipt)))]
fn post_event() {}

/// Today's steps from the mini program's `wx.getWeRunData` result (diner), decrypted with
/// the session key of their WeChat login; counted once however often synced. A rise is a
/// `STEPS_SYNCED` trigger for the shop's campaigns.
#[utoipa::path(post, path = "/api/steps", tag = "campaigns", request_body = StepsUpload,
    security(("bearer" = [])), responses((status = 200, body = StepsSynced)))]
fn sync_steps() {}

/// DEV only (404 elsewhere): what `wx.getWeRunData` would give the diner's mini program,
/// encrypted with their DEV session key — for the demo diner page and tests.
#[utoipa::path(post, path = "/api/dev/werun", tag = "campaigns", request_body = WeRunStandInRequest,
    security(("bearer" = [])), responses((status = 200, body = WeRunData)))]
fn werun_stand_in() {}

/// My stories (diner), newest first; each is also pushed live as a `STORY` frame.
#[utoipa::path(get, path = "/api/stories/mine", tag = "campaigns", params(InboxQuery),
    security(("bearer" = [])), responses((status = 200, body = Vec<InboxStory>)))]
fn my_stories() {}

#[utoipa::path(get, path = "/api/presence/table_code", tag = "campaigns", params(TableQuery),
    security(("bearer" = [])), responses((status = 200, body = TableCodeToday)))]
fn table_code() {}

#[utoipa::path(post, path = "/api/presence/location", tag = "campaigns", request_body = SetShopPlaceRequest,
    security(("bearer" = [])), responses((status = 200, body = ShopPlace)))]
fn set_shop_place() {}

/// A diner's tags at the shop, added and removed by staff; 409 past 32 tags.
#[utoipa::path(post, path = "/api/diners/tags", tag = "campaigns", request_body = TagDinerRequest,
    security(("bearer" = [])), responses((status = 200, body = DinerTags)))]
fn tag_diner() {}

/// When the shop's diners earn `regular` and `lapsed` from their visits.
#[utoipa::path(post, path = "/api/diners/tag_rules", tag = "campaigns", request_body = SetTagRulesRequest,
    security(("bearer" = [])), responses((status = 200, body = TagThresholds)))]
fn set_tag_rules() {}

#[utoipa::path(post, path = "/api/stories/read", tag = "campaigns", request_body = ReadStoryRequest,
    security(("bearer" = [])), responses((status = 200, description = "Marked read")))]
fn read_story() {}

/// The boss's sentence (OWNER, MANAGER), understood by the model (or offline) and done: a
/// campaign asked of the Strategist (its `thread_id` returned), a preference kept, or what
/// the Copilot can do.
#[utoipa::path(post, path = "/api/agent/command", tag = "agent", request_body = CommandRequest,
    security(("bearer" = [])), responses((status = 200, body = crate::api::agent::CommandReply)))]
fn agent_command() {}

/// The shop's workflow threads, the latest changed first (WAITING: proposals for the boss).
#[utoipa::path(get, path = "/api/agent/threads", tag = "agent", params(crate::api::agent::ThreadsQuery),
    security(("bearer" = [])), responses((status = 200, body = Vec<crate::api::agent::Thread>)))]
fn agent_threads() {}

/// Where a thread stands: its status, the node next, what it asks while WAITING (the
/// proposal card), its error, its tokens.
#[utoipa::path(get, path = "/api/agent/thread", tag = "agent", params(crate::api::agent::ThreadQuery),
    security(("bearer" = [])), responses((status = 200, body = crate::api::agent::Thread)))]
fn agent_thread() {}

/// A thread's kept checkpoints, oldest first (who answered what, when).
#[utoipa::path(get, path = "/api/agent/thread/history", tag = "agent", params(crate::api::agent::ThreadQuery),
    security(("bearer" = [])), responses((status = 200, body = Vec<crate::api::agent::Checkpoint>)))]
fn agent_history() {}

/// The answer to the question a WAITING thread asks, once (a second answer is 409). For a
/// proposal: `{"verdict": "approve"}`, with an edited `campaign` if any (checked as the
/// proposal was), or `{"verdict": "reject", "reason": …}` (remembered). For the Artist's
/// pictures: `{"choice": "pick", "number": 3}` (minted as the shop's asset) or
/// `{"choice": "again"}` (four more).
#[utoipa::path(post, path = "/api/agent/resume/{thread_id}", tag = "agent",
    params(("thread_id" = crate::domain::checked::ThreadId, Path, description = "The thread")),
    request_body = ResumeRequest,
    security(("bearer" = [])), responses((status = 200, body = crate::api::agent::Thread)))]
fn resume_thread() {}

/// A provider's callback: the job a thread waits for ended (`job.succeeded` with its
/// `output`, or `job.failed` with its `error`). No session: signed as Standard Webhooks
/// specify with the secret shared with the provider — `webhook-signature: v1,<base64
/// HMAC-SHA256 of "webhook-id.webhook-timestamp.body">` — and refused more than five
/// minutes from `webhook-timestamp`. The thread goes on once, however often the job's
/// callback is delivered. 404 when no secret is configured.
#[utoipa::path(post, path = "/api/agent/webhook", tag = "agent",
    params(
        ("webhook-id" = String, Header, description = "The delivery's id (the same on a retry)"),
        ("webhook-timestamp" = i64, Header, description = "When it was signed, in Unix seconds"),
        ("webhook-signature" = String, Header, description = "`v1,` and the base64 HMAC-SHA256 (several, space-separated, while a secret rotates)"),
    ),
    request_body = crate::domain::callbacks::Callback,
    responses((status = 200, body = crate::model::agent::Receipt)))]
fn provider_callback() {}

/// The shop's pictures (OWNER, MANAGER), the newest first: those the boss picked from the
/// Artist's offers, with the card types that show them.
#[utoipa::path(get, path = "/api/assets/library", tag = "artist", params(crate::api::artwork::LibraryQuery),
    security(("bearer" = [])), responses((status = 200, body = Vec<crate::api::artwork::Asset>)))]
fn asset_library() {}

/// Gives one of the shop's assets to one of its card types as its art, or (no `asset_id`)
/// takes the art away (OWNER, MANAGER). Another shop's asset is 404, as if it did not exist.
#[utoipa::path(post, path = "/api/assets/attach", tag = "artist", request_body = AttachRequest,
    security(("bearer" = [])), responses((status = 200, body = crate::api::artwork::CardArt)))]
fn attach_asset() {}

/// A picture (`<hash>.png`, 1024 px) or its thumbnail (`<hash>.thumb.png`), named by the
/// SHA-256 of its bytes; cached for a year. Only pictures the shops' Artist drew are served.
#[utoipa::path(get, path = "/media/art/{name}", tag = "artist",
    params(("name" = String, Path, description = "`<sha256 hex>.png` or `<sha256 hex>.thumb.png`")),
    responses((status = 200, content_type = "image/png", body = Vec<u8>)))]
fn media() {}

#[utoipa::path(get, path = "/api/system/status", tag = "system",
    responses((status = 200, body = SystemStatus)))]
fn system_status() {}

#[utoipa::path(post, path = "/api/diner/member_code", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = MemberCode)))]
fn my_member_code() {}

#[utoipa::path(post, path = "/api/realtime/ticket", tag = "realtime", security(("bearer" = [])),
    responses((status = 200, body = SocketTicket)))]
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
    responses((status = 101, description = "Upgraded: `Frame` and `Control` text frames follow")))]
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
        recharge_online, online_order, wechat_notify, refund_online, refundable_online_orders,
        preview_stored_value_refund, stored_value_refund, my_wallet, wallet_of, synthesize,
        market_trade, my_assets, my_ledger, ledger_of, catalog, save_fragment, save_card_type, set_daily_cap, save_tier,
        save_listing, list_campaigns, read_campaign, create_campaign, update_campaign,
        set_campaign_status, dry_run_campaign, backtest_campaign, campaign_holdout, post_event,
        my_stories, read_story, sync_steps, werun_stand_in, table_code, set_shop_place, tag_diner, set_tag_rules, system_status, realtime_ticket,
        my_member_code, socket, agent_command, agent_threads, agent_thread, agent_history,
        resume_thread, provider_callback, asset_library, attach_asset, media),
    components(schemas(Money, Amount, Balance, PaymentSplit, Clawback, Problem, ErrorCode, MyCard,
        Rarity, RecipeLine, Frame, Event, Control, MerchantId, DinerId, PaymentId, CardId, ScanCode,
        Code, Name, IdempotencyKey, FieldErrors, Condition, Reward, Presence,
        crate::domain::checked::ThreadId, crate::api::agent::ThreadStatus)),
    modifiers(&BearerAuth, &Refusals, &Flows)
)]
pub struct ApiDoc;

impl ApiDoc {
    /// The document as served at `/api/openapi.json`.
    pub fn document() -> serde_json::Value {
        let mut document = serde_json::to_value(Self::openapi()).unwrap_or_default();
        responses::camel_case_links(&mut document);
        responses::close_variants(&mut document, &["Condition", "Reward", "Presence"]);
        document
    }
}

#[cfg(test)]
mod tests {
    use serde::de::DeserializeOwned;
    use serde_json::{Value, json};

    use super::*;

    /// `body` is read alike by the documented request and the server function's arguments:
    /// both accept it, or both refuse it.
    fn same_reading<Doc: DeserializeOwned, Args: DeserializeOwned>(body: &Value) -> bool {
        let doc = serde_json::from_value::<Doc>(body.clone()).is_ok();
        let args = serde_json::from_value::<Args>(body.clone()).is_ok();
        assert_eq!(doc, args, "document and server read {body} differently");
        doc
    }

    /// Each documented request body is what its server function reads: the same examples
    /// pass, and the same wrong values are refused.
    #[test]
    fn documented_requests_are_what_the_server_functions_read() {
        use crate::api::{agent, assets, auth, catalog, payment, rules, steps, wallet};
        let uuid = "6f1c2a9e-8b1d-4c3e-9f00-1a2b3c4d5e6f";
        macro_rules! check {
            ($doc:ty, $args:ty, good: [$($good:expr),* $(,)?], bad: [$($bad:expr),* $(,)?]) => {
                $(assert!(same_reading::<$doc, $args>(&$good), "{}", $good);)*
                $(assert!(!same_reading::<$doc, $args>(&$bad), "{}", $bad);)*
            };
        }
        check!(StaffLoginRequest, auth::StaffLogin,
            good: [json!({"username": "u", "password": "p"})], bad: [json!({"username": "u"})]);
        check!(DinerLoginRequest, auth::DinerLogin, good: [json!({"code": "dev:u"})], bad: [json!({})]);
        check!(CreatePaymentRequest, payment::CreatePayment,
            good: [json!({"merchant_id": "demo", "amount": "12.30", "card": null}),
                   json!({"merchant_id": "demo", "amount": "0.01", "card": uuid})],
            bad: [json!({"merchant_id": "", "amount": "12.30", "card": null}),
                  json!({"merchant_id": "demo", "amount": "0", "card": null}),
                  json!({"merchant_id": "demo", "amount": "12.30", "card": "x"})]);
        check!(VerifyRequest, payment::VerifyPayment,
            good: [json!({"code": uuid}), json!({"code": "663456789012345678"})],
            bad: [json!({"code": ""}), json!({"code": "12345"})]);
        check!(PaymentRefundRequest, payment::RefundPayment,
            good: [json!({"payment_id": "0193a0c4e5f07c3e9d2b6a1f4e8c7b20"})],
            bad: [json!({"payment_id": ""})]);
        check!(RechargeRequest, wallet::Recharge,
            good: [json!({"uid": "wx-demo-001", "tier": "T100"})],
            bad: [json!({"uid": "", "tier": "T100"}), json!({"uid": "u", "tier": "t100"})]);
        check!(StoredValueRefundRequest, wallet::PreviewStoredValueRefund,
            good: [json!({"uid": "u", "amount": "5"})], bad: [json!({"uid": "u", "amount": "0.00"})]);
        check!(StoredValueRefundConfirmation, wallet::StoredValueRefund,
            good: [json!({"uid": "u", "amount": "5", "expected_payout": "0"})],
            // A confirmation that does not say what its preview paid out is not read at all.
            bad: [json!({"uid": "u", "amount": "5"})]);
        check!(SynthesizeRequest, assets::Synthesize,
            good: [json!({"merchant_id": "demo", "card_type": "FREE_APPETIZER"})],
            bad: [json!({"merchant_id": "demo", "card_type": ""})]);
        check!(TradeRequest, assets::MarketTrade,
            good: [json!({"merchant_id": "demo", "fragment": "CHILI", "side": "BUY", "quantity": 2}),
                   json!({"merchant_id": "demo", "fragment": "CHILI", "side": "SELL", "quantity": 2.0})],
            bad: [json!({"merchant_id": "demo", "fragment": "CHILI", "side": "BUY", "quantity": 0}),
                  json!({"merchant_id": "demo", "fragment": "CHILI", "side": "HOLD", "quantity": 1})]);
        let card_type = json!({"code": "C", "name": "凉菜", "recipe": [{"fragment": "F", "count": 1}],
            "benefit": "18", "benefit_description": "免费凉菜", "validity_days": 30, "cost_basis": "6",
            "daily_cap": 10, "active": true});
        let mut no_recipe_count = card_type.clone();
        no_recipe_count["recipe"][0]["count"] = json!(0);
        check!(SaveCardTypeRequest, catalog::SaveCardType,
            good: [json!({"card_type": card_type})], bad: [json!({"card_type": no_recipe_count})]);
        check!(AttachRequest, crate::api::artwork::AttachAsset,
            good: [json!({"attach": {"card_type": "FREE_APPETIZER", "asset_id": uuid}}),
                   json!({"attach": {"card_type": "FREE_APPETIZER", "asset_id": null}})],
            bad: [json!({"attach": {"card_type": "free", "asset_id": uuid}}),
                  json!({"attach": {"card_type": "FREE_APPETIZER", "asset_id": "../x"}})]);
        check!(SaveFragmentRequest, catalog::SaveFragment,
            good: [json!({"fragment": {"code": "F", "name": "辣椒", "rarity": "RARE"}})],
            bad: [json!({"fragment": {"code": "F", "name": " ", "rarity": "RARE"}})]);
        check!(SetDailyCapRequest, catalog::SetDailyCap,
            good: [json!({"card_type": "C", "daily_cap": 0})],
            bad: [json!({"card_type": "C", "daily_cap": 100001})]);
        check!(SaveTierRequest, catalog::SaveTier,
            good: [json!({"tier": {"code": "T", "label": "充100", "pay": "100", "bonus": "20", "active": true}})],
            bad: [json!({"tier": {"code": "T", "label": "充100", "pay": "-1", "bonus": "20", "active": true}})]);
        check!(SaveListingRequest, catalog::SaveListing,
            good: [json!({"listing": {"fragment": "F", "buy_price": 2, "sell_price": null, "active": true}})],
            bad: [json!({"listing": {"fragment": "F", "buy_price": 0, "sell_price": null, "active": true}})]);
        let spec = json!({"name": "雨天", "triggers": ["USER_ENTER_SHOP"],
            "condition": {"check": "weather_in", "weather": ["RAINY"]}, "priority": 10,
            "action": {"story": {"title": "下雨了", "scenes": [{"text": "来碗汤"}]}},
            "daily_budget_cap": "50"});
        let mut scripted = spec.clone();
        scripted["condition"] = json!({"check": "script", "code": "1 == 1"});
        check!(CreateCampaignRequest, rules::CreateCampaign,
            good: [json!({"campaign": {"code": "RAIN", "spec": spec}})],
            bad: [json!({"campaign": {"code": "RAIN", "spec": scripted}})]);
        check!(UpdateCampaignRequest, rules::UpdateCampaign,
            good: [json!({"code": "RAIN", "version": 1, "spec": spec})],
            bad: [json!({"code": "RAIN", "version": -1, "spec": spec})]);
        check!(CampaignStatusRequest, rules::SetCampaignStatus,
            good: [json!({"code": "RAIN", "status": "ACTIVE"})],
            bad: [json!({"code": "RAIN", "status": "LIVE"})]);
        check!(PostEventRequest, rules::PostEvent,
            good: [json!({"event": {"type": "USER_ENTER_SHOP", "merchant_id": "demo", "uid": "u"}}),
                   json!({"event": {"type": "WEATHER_CHANGE", "merchant_id": "demo",
                       "context": {"weather": "RAINY"}}})],
            bad: [json!({"event": {"type": "DINNER", "merchant_id": "demo"}}),
                  json!({"event": {"type": "TIME_TICK", "merchant_id": "demo",
                      "context": {"mood": "x"}}})]);
        check!(SetShopPlaceRequest, rules::SetShopPlace,
            good: [json!({"place": {"lat": 30.65, "lon": 104.06, "radius_m": 200}})],
            bad: [json!({"place": {"lat": 30.65, "lon": 104.06}})]);
        check!(PostEventRequest, rules::PostEvent,
            good: [json!({"event": {"type": "USER_ENTER_SHOP", "merchant_id": "demo",
                "proof": {"table_code": "MQT1.demo.T1.20261130.00"}}}),
                   json!({"event": {"type": "USER_ENTER_SHOP", "merchant_id": "demo",
                "proof": {"location": {"lat": 30.6, "lon": 104.0}}}})],
            bad: [json!({"event": {"type": "USER_ENTER_SHOP", "merchant_id": "demo",
                "proof": {"photo": "x"}}})]);
        check!(StepsUpload, steps::SyncSteps,
            good: [json!({"merchant_id": "demo", "encrypted_data": "AAAA", "iv": "AAAA"})],
            bad: [json!({"merchant_id": "demo", "encrypted_data": "AAAA"}),
                  json!({"merchant_id": "", "encrypted_data": "AAAA", "iv": "AAAA"})]);
        check!(WeRunStandInRequest, steps::WerunStandIn,
            good: [json!({"steps": 8000}), json!({"steps": 729.0})],
            bad: [json!({"steps": -1}), json!({"steps": 200_001}), json!({})]);
        check!(DryRunRequest, rules::DryRunCampaign,
            good: [json!({"code": "RAIN", "trigger": {"type": "USER_ENTER_SHOP", "uid": "u",
                "context": {"weather": "RAINY"}}})],
            bad: [json!({"code": "RAIN", "trigger": {"type": "USER_ENTER_SHOP"}})]);
        check!(BacktestRequest, rules::BacktestCampaign,
            good: [json!({"code": "RAIN", "days": 7})],
            bad: [json!({"code": "RAIN", "days": 0}), json!({"code": "RAIN", "days": 91})]);
        check!(TagDinerRequest, rules::TagDiner,
            good: [json!({"uid": "u", "add": ["spicy"]}), json!({"uid": "u", "remove": ["vip"]})],
            bad: [json!({"uid": "u", "add": ["Spicy!"]})]);
        check!(SetTagRulesRequest, rules::SetTagRules,
            good: [json!({"rules": {"regular_visits": 3, "lapsed_days": 14}})],
            bad: [json!({"rules": {"regular_visits": 0, "lapsed_days": 14}})]);
        check!(CommandRequest, agent::AgentCommand,
            good: [json!({"command": {"text": "鸭脖积压了500份"}})],
            bad: [json!({"command": {"text": "x", "extra": 1}}), json!({"command": {}})]);
        check!(ReadStoryRequest, rules::ReadStory,
            good: [json!({"id": uuid})], bad: [json!({"id": "x"})]);
    }

    /// Every `$ref` names a schema the document has (a type used only in a path's params
    /// must still be listed among the components).
    #[test]
    fn every_reference_resolves() {
        fn refs(value: &serde_json::Value, found: &mut Vec<String>) {
            match value {
                serde_json::Value::Object(map) => {
                    if let Some(serde_json::Value::String(target)) = map.get("$ref") {
                        found.push(target.clone());
                    }
                    map.values().for_each(|v| refs(v, found));
                }
                serde_json::Value::Array(items) => items.iter().for_each(|v| refs(v, found)),
                _ => {}
            }
        }
        let doc = ApiDoc::document();
        let mut found = Vec::new();
        refs(&doc, &mut found);
        let missing: Vec<&String> = found
            .iter()
            .filter(|target| {
                let name = target.trim_start_matches("#/components/schemas/");
                doc.pointer(&format!("/components/schemas/{name}"))
                    .is_none()
            })
            .collect();
        assert!(missing.is_empty(), "unresolvable: {missing:?}");
    }

    /// The document lists, for each operation, every status with the codes it carries.
    #[test]
    fn every_operation_lists_its_statuses_and_codes() {
        let doc = ApiDoc::document();
        let verify = &doc["paths"]["/api/payment/verify"]["post"]["responses"];
        let conflict = verify["409"]["content"]["application/problem+json"]["schema"].to_string();
        assert!(conflict.contains("CARD_ALREADY_USED"), "{conflict}");
        for status in [
            "200", "400", "401", "403", "404", "409", "413", "422", "500", "503",
        ] {
            assert!(verify.get(status).is_some(), "verify lists {status}");
        }
        assert!(verify.get("4XX").is_none() && verify.get("5XX").is_none());
        let login = &doc["paths"]["/api/auth/staff/login"]["post"]["responses"];
        assert!(login.get("429").is_some(), "a login can be rate limited");
        let query = &doc["paths"]["/api/assets/mine"]["get"]["parameters"][0];
        assert_eq!(query["in"], "query", "{query}");
        assert_eq!(query["name"], "merchant_id");
        let header = doc["paths"]["/api/payment/create"]["post"]["parameters"]
            .as_array()
            .and_then(|params| params.iter().find(|p| p["name"] == "Idempotency-Key"))
            .cloned()
            .unwrap_or_default();
        assert_eq!(header["in"], "header");
        assert_eq!(header["required"], true);
        let created = &doc["paths"]["/api/payment/create"]["post"]["responses"]["200"];
        assert_eq!(
            created["links"]["ScanThePaymentCode"]["operationId"],
            "verify_payment"
        );
    }
}
