//! Who a caller is and what their role lets them do: wire types the browser shares (the
//! console shows what a role may do); `auth` checks them on the server.

use serde::{Deserialize, Serialize};

/// A member of staff's role at their merchant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[derive(strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    Owner,
    Manager,
    Cashier,
}

impl Role {
    /// The stored and shown name, e.g. `CASHIER` (what [`Role::parse`] reads).
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(text: &str) -> Option<Self> {
        text.parse().ok()
    }

    /// What the role may do.
    pub fn permissions(self) -> &'static [Permission] {
        use Permission::*;
        match self {
            Self::Owner => &[
                Scan,
                Recharge,
                Refund,
                ViewLedger,
                ManageCatalog,
                ManageCampaigns,
                ManageStaff,
                ViewFigures,
                ManageShop,
            ],
            Self::Manager => &[
                Scan,
                Recharge,
                Refund,
                ViewLedger,
                ManageCatalog,
                ManageCampaigns,
                ViewFigures,
                // Cashiers' accounts only (service::staff).
                ManageStaff,
            ],
            Self::Cashier => &[Scan, Recharge, Refund, ViewLedger],
        }
    }
}

/// One thing staff may be allowed to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Permission {
    /// Verify: redeem cards, collect payment codes.
    Scan,
    Recharge,
    /// Refund payments and stored value.
    Refund,
    ViewLedger,
    /// Card types, fragments, tiers, stock caps, listings.
    ManageCatalog,
    /// Campaigns (write, activate, pause, end, dry-run) and shop-wide events (weather).
    ManageCampaigns,
    ManageStaff,
    /// The shop's numbers (the dashboard): what it sold, owes and gave.
    ViewFigures,
    /// The shop itself: its name, address, time zone, margin floor, receipts, logo, place.
    ManageShop,
}

/// An authenticated caller.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Principal {
    Staff {
        staff_id: String,
        merchant_id: String,
        role: Role,
    },
    Diner {
        uid: String,
    },
}

impl Principal {
    /// The subject of the token (`staff:<id>` or `diner:<uid>`).
    pub fn subject(&self) -> String {
        match self {
            Self::Staff { staff_id, .. } => format!("staff:{staff_id}"),
            Self::Diner { uid } => format!("diner:{uid}"),
        }
    }

    /// The merchant of a member of staff (diners belong to none).
    pub fn merchant(&self) -> Option<&str> {
        match self {
            Self::Staff { merchant_id, .. } => Some(merchant_id),
            Self::Diner { .. } => None,
        }
    }

    /// Staff with this permission at their merchant.
    pub fn can(&self, permission: Permission) -> bool {
        matches!(self, Self::Staff { role, .. } if role.permissions().contains(&permission))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_role_reads_back_from_its_name() {
        for role in [Role::Owner, Role::Manager, Role::Cashier] {
            assert_eq!(Role::parse(role.as_str()), Some(role));
            let json = serde_json::to_string(&role).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", role.as_str()));
        }
        assert_eq!(Role::Cashier.as_str(), "CASHIER");
        assert_eq!(Role::parse("cashier"), None);
    }

    #[test]
    fn cashiers_scan_but_do_not_manage_the_catalogue() {
        let cashier = Principal::Staff {
            staff_id: "s".into(),
            merchant_id: "m".into(),
            role: Role::Cashier,
        };
        assert!(cashier.can(Permission::Scan));
        assert!(!cashier.can(Permission::ManageCatalog));
        let diner = Principal::Diner { uid: "u".into() };
        assert!(!diner.can(Permission::Scan));
        // Owners manage every account, managers cashiers' (service::staff), cashiers none.
        assert!(Role::Owner.permissions().contains(&Permission::ManageStaff));
        assert!(
            Role::Manager
                .permissions()
                .contains(&Permission::ManageStaff)
        );
        assert!(!cashier.can(Permission::ManageStaff));
        assert!(!cashier.can(Permission::ViewFigures));
    }
}
