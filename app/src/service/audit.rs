//! The books checked against the ledger: every wallet, holding of fragments and purse of
//! silver must equal the sum of its ledger entries. Run after the API fuzzer
//! (`mealquest check-ledger`), and by an operator after a restore.

use std::collections::BTreeMap;

use db::audit::Account;
use db::wallet::WalletRow;

use crate::error::AppError;
use crate::state::AppState;

/// One balance that is not the sum of its ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mismatch {
    Wallet {
        account: Account,
        stored: WalletRow,
        ledger: WalletRow,
    },
    Fragments {
        account: Account,
        stored: BTreeMap<String, i64>,
        ledger: BTreeMap<String, i64>,
    },
    Silver {
        uid: String,
        stored: i64,
        ledger: i64,
    },
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Wallet {
                account,
                stored,
                ledger,
            } => write!(
                f,
                "wallet {}/{}: stored {stored:?}, ledger {ledger:?}",
                account.merchant, account.uid
            ),
            Self::Fragments {
                account,
                stored,
                ledger,
            } => write!(
                f,
                "fragments {}/{}: held {stored:?}, ledger {ledger:?}",
                account.merchant, account.uid
            ),
            Self::Silver {
                uid,
                stored,
                ledger,
            } => write!(f, "silver {uid}: held {stored}, ledger {ledger}"),
        }
    }
}

/// What was checked, and what did not add up.
#[derive(Debug, Default)]
pub struct Audit {
    pub accounts: usize,
    pub entries: u64,
    pub mismatches: Vec<Mismatch>,
}

/// Checks every account the database knows.
pub async fn check_books(state: &AppState) -> Result<Audit, AppError> {
    let db = &state.db;
    let accounts = db::audit::accounts(db).await?;
    let mut audit = Audit {
        accounts: accounts.len(),
        entries: db::audit::entries(db).await?,
        ..Audit::default()
    };
    let mut silver_owners: Vec<String> = db::audit::silver_holders(db).await?;
    for account in accounts {
        let stored = db::wallet::get(db, &account.merchant, &account.uid).await?;
        let ledger = db::ledger::wallet_sum(db, &account.merchant, &account.uid).await?;
        if stored != ledger {
            audit.mismatches.push(Mismatch::Wallet {
                account: account.clone(),
                stored,
                ledger,
            });
        }
        let held = db::assets::holdings(db, &account.merchant, &account.uid).await?;
        let summed = db::audit::fragment_sum(db, &account.merchant, &account.uid).await?;
        if held != summed {
            audit.mismatches.push(Mismatch::Fragments {
                account: account.clone(),
                stored: held,
                ledger: summed,
            });
        }
        silver_owners.push(account.uid);
    }
    silver_owners.sort();
    silver_owners.dedup();
    for uid in silver_owners {
        let stored = db::assets::silver(db, &uid).await?;
        let ledger = db::audit::silver_sum(db, &uid).await?;
        if stored != ledger {
            audit.mismatches.push(Mismatch::Silver {
                uid,
                stored,
                ledger,
            });
        }
    }
    Ok(audit)
}
