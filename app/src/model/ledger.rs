//! Statements: a diner's ledger entries at a merchant as the API shows them.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One ledger entry as a statement shows it. Amounts and balance changes are decimal strings
/// (changes signed: `"-24.00"`); silver and fragment changes are signed counts.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerLine {
    pub txn_id: String,
    /// RECHARGE, PAYMENT, REFUND, STORED_VALUE_REFUND, REDEEM, SYNTHESIZE, MARKET_BUY, …
    pub kind: String,
    pub amount: String,
    pub principal_change: Option<String>,
    pub bonus_change: Option<String>,
    pub silver_change: Option<i64>,
    pub fragments_change: Option<BTreeMap<String, i64>>,
    /// Cards created, used or reactivated: uuid → new status.
    pub cards: Option<BTreeMap<String, String>>,
    /// The member of staff who did it (cashier operations).
    pub staff: Option<String>,
    pub at: DateTime<Utc>,
}

/// The most entries one request returns.
pub const MAX_LINES: u32 = 200;

/// How many lines a statement page holds (newest first; 50 when not said).
pub type Limit = crate::domain::checked::Count<1, MAX_LINES>;
