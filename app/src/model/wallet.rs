//! Stored value: what a recharge and a stored-value refund answer.

use serde::{Deserialize, Serialize};

use crate::domain::{Balance, Clawback, Money};

/// A recharge done.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RechargeReceipt {
    pub txn_id: String,
    pub tier: String,
    pub paid: Money,
    pub bonus: Money,
    pub balance: Balance,
}

/// A stored-value (cash) refund done, with the clawback it applied.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredValueRefundReceipt {
    pub txn_id: String,
    pub clawback: Clawback,
}
