//! Stored value: what the API returns about wallets, recharges and refunds.

use serde::{Deserialize, Serialize};

use crate::domain::{Balance, Clawback, Money};

/// A recharge done.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RechargeReceipt {
    pub txn_id: String,
    pub tier: String,
    pub paid: Money,
    pub bonus: Money,
    pub balance: Balance,
}

/// A stored-value (cash) refund done, with the clawback it applied.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredValueRefundReceipt {
    pub txn_id: String,
    pub clawback: Clawback,
}
