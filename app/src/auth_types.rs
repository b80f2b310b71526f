//! Types of authentication that the browser needs too.

use serde::{Deserialize, Serialize};

/// A bearer token and who it stands for.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub token: String,
    /// `staff:<id>` or `diner:<uid>`.
    pub subject: String,
    /// For staff: their merchant.
    pub merchant_id: Option<String>,
    /// For staff: OWNER, MANAGER or CASHIER.
    pub role: Option<String>,
    pub display_name: String,
}
