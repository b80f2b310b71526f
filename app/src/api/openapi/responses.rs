//! Every status an operation answers, each with the problem codes it can carry, and the links
//! from one operation's answer to the next request of a flow. Both are written into the
//! document here, from one table, so a client (and the fuzzer in `make test`) knows that
//! verify may answer 409 `CARD_ALREADY_USED`, and a new refusal cannot go undocumented for
//! long: the fuzzer checks every answer's status and `code` against this document.

use std::collections::BTreeMap;

use serde_json::json;
use utoipa::Modify;
use utoipa::openapi::link::LinkBuilder;
use utoipa::openapi::path::Operation;
use utoipa::openapi::schema::{AllOfBuilder, ObjectBuilder, Type};
use utoipa::openapi::{Content, OpenApi, Ref, RefOr, Response};

use crate::error::{ErrorCode, Problem};

use ErrorCode::*;

/// What any operation may answer: our fault, or a database that is busy or away.
const ANY: &[ErrorCode] = &[Internal, DatabaseUnavailable, Timeout, Busy];
/// What an operation with a body or query may answer: unreadable, too large, a value at fault.
const READS_INPUT: &[ErrorCode] = &[ValidationFailed];
const READS_BODY: &[ErrorCode] = &[BadRequest, PayloadTooLarge];
/// What an operation that needs a bearer token may answer.
const SIGNED_IN: &[ErrorCode] = &[Unauthorized];
/// What an operation that needs an `Idempotency-Key` may answer.
const IDEMPOTENT: &[ErrorCode] = &[
    IdempotencyKeyRequired,
    IdempotencyKeyReused,
    IdempotencyInFlight,
];

/// The refusals of each operation's own (beyond the groups above).
fn own_refusals(operation: &str) -> &'static [ErrorCode] {
    match operation {
        "staff_login" => &[Unauthorized, RateLimited],
        "diner_login" => &[Unauthorized, RateLimited, UpstreamUnavailable],
        "create_payment" => &[
            Forbidden,
            NotFound,
            TooManyOpenPayments,
            CardAlreadyUsed,
            CardExpired,
        ],
        "verify_payment" => &[
            // A collection whose numbers would pass the largest amount (a wallet's overflow).
            Conflict,
            Forbidden,
            NotFound,
            CardAlreadyUsed,
            CardExpired,
            PaymentExpired,
            PaymentNotPending,
            InsufficientBalance,
        ],
        "refund_payment" => &[Forbidden, NotFound, PaymentNotPending, Conflict],
        "recharge" => &[Forbidden, NotFound, DinerNotFound, Conflict],
        "recharge_online" => &[
            Forbidden,
            NotFound,
            DinerNotFound,
            PaymentProviderUnavailable,
        ],
        "online_order" => &[Forbidden, NotFound],
        "wechat_notify" => &[WebhookRefused, NotFound],
        "refund_online" => &[
            Forbidden,
            NotFound,
            Conflict,
            RefundExceedsPrincipal,
            RefundPreviewChanged,
            RefundExceedsOrder,
            PaymentProviderUnavailable,
        ],
        "refundable_online_orders" => &[Forbidden],
        "preview_stored_value_refund" => &[Forbidden, DinerNotFound, RefundExceedsPrincipal],
        "stored_value_refund" => &[
            Forbidden,
            DinerNotFound,
            RefundExceedsPrincipal,
            RefundPreviewChanged,
        ],
        "wallet_of" | "ledger_of" => &[Forbidden, DinerNotFound],
        "my_wallet" | "my_assets" | "my_ledger" => &[Forbidden, NotFound],
        "synthesize" => &[Forbidden, NotFound, OutOfStock, InsufficientFragments],
        "market_trade" => &[
            Forbidden,
            NotFound,
            Conflict,
            InsufficientSilver,
            InsufficientFragments,
        ],
        "catalog" => &[NotFound],
        "save_fragment" => &[Forbidden],
        "save_card_type" | "save_listing" => &[Forbidden, NotFound],
        "set_daily_cap" => &[Forbidden, NotFound],
        "save_tier" => &[Forbidden],
        "my_member_code" => &[Forbidden],
        "list_campaigns" => &[Forbidden],
        "read_campaign" => &[Forbidden, NotFound],
        "create_campaign" => &[Forbidden, Conflict],
        "update_campaign" | "set_campaign_status" => &[Forbidden, NotFound, Conflict],
        "dry_run_campaign" => &[Forbidden, NotFound, DinerNotFound],
        "backtest_campaign" | "campaign_holdout" => &[Forbidden, NotFound],
        "post_event" => &[Forbidden, NotFound, DinerNotFound, PresenceNotProven],
        "table_code" | "set_shop_place" => &[Forbidden, NotFound],
        "tag_diner" => &[Forbidden, DinerNotFound, Conflict],
        "set_tag_rules" => &[Forbidden],
        "sync_steps" => &[Forbidden, NotFound, StepsUnreadable],
        "werun_stand_in" => &[Forbidden, NotFound],
        "my_stories" => &[Forbidden],
        "read_story" => &[Forbidden, NotFound],
        "agent_command" | "agent_threads" => &[Forbidden],
        "agent_thread" | "agent_history" => &[Forbidden, NotFound],
        "resume_thread" => &[Forbidden, NotFound, Conflict],
        "provider_callback" => &[WebhookRefused, NotFound, Conflict],
        "asset_library" => &[Forbidden],
        "attach_asset" => &[Forbidden, NotFound],
        "media" => &[NotFound],
        _ => &[],
    }
}

/// Replaces each operation's error responses with one per status it really answers.
pub struct Refusals;

impl Modify for Refusals {
    fn modify(&self, openapi: &mut OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let methods = [
                (&mut item.get, false),
                (&mut item.post, true),
                (&mut item.put, true),
                (&mut item.delete, false),
            ];
            for (operation, has_body) in methods {
                if let Some(operation) = operation.as_mut() {
                    document_refusals(operation, has_body);
                }
            }
        }
    }
}

fn document_refusals(operation: &mut Operation, has_body: bool) {
    let id = operation.operation_id.clone().unwrap_or_default();
    let parameters = operation.parameters.as_deref().unwrap_or_default();
    let has_query = parameters
        .iter()
        .any(|p| matches!(p.parameter_in, utoipa::openapi::path::ParameterIn::Query));
    let idempotent = parameters.iter().any(|p| p.name == "Idempotency-Key");
    let secured = operation
        .security
        .as_ref()
        .is_some_and(|requirements| !requirements.is_empty());
    let reads_body = has_body && operation.request_body.is_some();

    let mut codes: Vec<ErrorCode> = ANY.to_vec();
    if has_body {
        // Any POST reads its body, even one with no arguments.
        codes.extend_from_slice(READS_BODY);
    }
    if has_query {
        // A query string that cannot be read (a key given twice).
        codes.push(BadRequest);
    }
    if reads_body || has_query || idempotent {
        codes.extend_from_slice(READS_INPUT);
    }
    if secured {
        codes.extend_from_slice(SIGNED_IN);
    }
    if idempotent {
        codes.extend_from_slice(IDEMPOTENT);
    }
    codes.extend_from_slice(own_refusals(&id));

    let mut by_status: BTreeMap<u16, Vec<ErrorCode>> = BTreeMap::new();
    for code in codes {
        let list = by_status.entry(code.status()).or_default();
        if !list.contains(&code) {
            list.push(code);
        }
    }
    let responses = &mut operation.responses.responses;
    responses.retain(|status, _| status.starts_with('1') || status.starts_with('2'));
    for (status, codes) in by_status {
        responses.insert(status.to_string(), RefOr::T(problem_response(&codes)));
    }
}

/// A problem+json response whose `code` is one of `codes`.
fn problem_response(codes: &[ErrorCode]) -> Response {
    let names: Vec<&str> = codes.iter().map(|code| code.as_str()).collect();
    let schema = AllOfBuilder::new()
        .item(Ref::from_schema_name("Problem"))
        .item(
            ObjectBuilder::new().property(
                "code",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(names.clone())),
            ),
        );
    let description = codes
        .iter()
        .map(|code| format!("`{}`: {}", code.as_str(), code.title()))
        .collect::<Vec<_>>()
        .join("; ");
    let mut response = Response::new(description);
    response
        .content
        .insert(Problem::CONTENT_TYPE.to_owned(), Content::new(Some(schema)));
    response
}

/// The flows of the product, as OpenAPI links from an answer to the next request: a payment
/// created is scanned and refunded, a card synthesized is redeemed, a recharge is previewed
/// for refund and refunded, a catalogue entry saved is used.
pub struct Flows;

impl Modify for Flows {
    fn modify(&self, openapi: &mut OpenApi) {
        let links: &[(&str, &str, &str, serde_json::Value)] = &[
            (
                "create_payment",
                "ScanThePaymentCode",
                "verify_payment",
                json!({ "code": "$response.body#/code" }),
            ),
            (
                "verify_payment",
                "RefundThePayment",
                "refund_payment",
                json!({ "payment_id": "$response.body#/payment_id" }),
            ),
            (
                "synthesize",
                "RedeemTheCard",
                "verify_payment",
                json!({ "code": "$response.body#/card_uuid" }),
            ),
            (
                "recharge",
                "PreviewARefund",
                "preview_stored_value_refund",
                json!({ "uid": "$request.body#/uid", "amount": "$response.body#/paid" }),
            ),
            (
                "preview_stored_value_refund",
                "ConfirmTheRefund",
                "stored_value_refund",
                json!({
                    "uid": "$request.body#/uid",
                    "amount": "$request.body#/amount",
                    "expected_payout": "$response.body#/payout",
                }),
            ),
            (
                "save_tier",
                "RechargeTheTier",
                "recharge",
                json!({ "uid": "wx-demo-001", "tier": "$response.body#/code" }),
            ),
            (
                "save_fragment",
                "ListTheFragment",
                "save_listing",
                json!({ "listing": {
                    "fragment": "$response.body#/code", "buy_price": 10, "sell_price": 5,
                    "active": true,
                } }),
            ),
            (
                "save_card_type",
                "SynthesizeTheCardType",
                "synthesize",
                json!({ "merchant_id": "demo", "card_type": "$response.body#/code" }),
            ),
        ];
        for item in openapi.paths.paths.values_mut() {
            for operation in [&mut item.get, &mut item.post].into_iter().flatten() {
                let id = operation.operation_id.clone().unwrap_or_default();
                let Some(RefOr::T(ok)) = operation.responses.responses.get_mut("200") else {
                    continue;
                };
                for (from, name, to, body) in links {
                    if *from == id {
                        let link = LinkBuilder::new()
                            .operation_id(*to)
                            .request_body(Some(body.clone()))
                            .build();
                        ok.links.insert((*name).to_owned(), RefOr::T(link));
                    }
                }
            }
        }
    }
}

/// utoipa 5.5 writes a link's `operationId` and `requestBody` in snake case, which no
/// OpenAPI reader understands; renamed here until it does.
pub fn camel_case_links(document: &mut serde_json::Value) {
    let Some(paths) = document.get_mut("paths").and_then(|p| p.as_object_mut()) else {
        return;
    };
    let links = paths
        .values_mut()
        .filter_map(|item| item.as_object_mut())
        .flat_map(|item| item.values_mut())
        .filter_map(|operation| operation.get_mut("responses")?.as_object_mut())
        .flat_map(|responses| responses.values_mut())
        .filter_map(|response| response.get_mut("links")?.as_object_mut())
        .flat_map(|links| links.values_mut())
        .filter_map(|link| link.as_object_mut());
    for link in links {
        for (snake, camel) in [
            ("operation_id", "operationId"),
            ("request_body", "requestBody"),
        ] {
            if let Some(value) = link.remove(snake) {
                link.insert(camel.to_owned(), value);
            }
        }
    }
}

/// utoipa writes the variants of an internally tagged enum as open objects even when serde
/// refuses unknown fields (`deny_unknown_fields` is read for structs only); the schemas of
/// those enums are closed here, so the document forbids what the server refuses.
pub fn close_variants(document: &mut serde_json::Value, enums: &[&str]) {
    let Some(schemas) = document
        .pointer_mut("/components/schemas")
        .and_then(|s| s.as_object_mut())
    else {
        return;
    };
    for name in enums {
        let variants = schemas
            .get_mut(*name)
            .and_then(|schema| schema.get_mut("oneOf"))
            .and_then(|variants| variants.as_array_mut());
        for variant in variants.into_iter().flatten() {
            if let Some(object) = variant.as_object_mut()
                && object.get("type").and_then(|t| t.as_str()) == Some("object")
            {
                object.insert(
                    "additionalProperties".into(),
                    serde_json::Value::Bool(false),
                );
            }
        }
    }
}
