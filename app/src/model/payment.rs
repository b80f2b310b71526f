//! Payments and scans: what a diner's payment code is and what a cashier's scan did.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{Balance, Money, PaymentSplit};

/// A pre-pay order as its diner sees it: the code to show the cashier.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentOrder {
    pub payment_id: String,
    /// What the cashier scans (18 digits).
    pub code: String,
    pub amount: Money,
    pub card: Option<String>,
    pub expires_at: DateTime<Utc>,
}

/// What a scan did.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ScanResult {
    /// A card was redeemed on its own.
    CardRedeemed {
        txn_id: String,
        card: String,
        card_name: String,
        benefit: String,
        owner: String,
    },
    /// A payment code was collected from the diner's wallet.
    PaymentCollected {
        txn_id: String,
        payment_id: String,
        owner: String,
        amount: Money,
        /// Taken off by the card, if one was attached.
        deduction: Money,
        /// Taken from the wallet.
        split: PaymentSplit,
        wallet: Balance,
    },
}

/// A collected payment refunded.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRefundReceipt {
    pub txn_id: String,
    pub payment_id: String,
    pub returned: PaymentSplit,
    pub card_reactivated: bool,
    pub wallet: Balance,
}
