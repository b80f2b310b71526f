//! Numbered schema migrations, applied at start-up, idempotently, each in one transaction
//! together with its row in `_migration`. Two processes starting at once are safe: the loser's
//! transaction fails on the `_migration` record the winner created, and it re-reads and moves on.

use sha2::{Digest, Sha256};
use surrealdb::types::SurrealValue;

use crate::error::checked;
use crate::{Db, DbError, DbResult};

/// One migration file compiled into the binary.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    pub version: u32,
    pub name: &'static str,
    pub sql: &'static str,
}

impl Migration {
    /// SHA-256 of the text, recorded when applied so an edited migration is detected.
    pub fn checksum(&self) -> String {
        hex::encode(Sha256::digest(self.sql.as_bytes()))
    }
}

/// Every migration, in order. A file must never be edited once released: add a new one.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "foundation",
        sql: include_str!("../migrations/0001_foundation.surql"),
    },
    Migration {
        version: 2,
        name: "money_and_assets",
        sql: include_str!("../migrations/0002_money_and_assets.surql"),
    },
    Migration {
        version: 3,
        name: "answers_with_effects",
        sql: include_str!("../migrations/0003_answers_with_effects.surql"),
    },
    Migration {
        version: 4,
        name: "events",
        sql: include_str!("../migrations/0004_events.surql"),
    },
    Migration {
        version: 5,
        name: "card_stock_by_merchant",
        sql: include_str!("../migrations/0005_card_stock_by_merchant.surql"),
    },
    Migration {
        version: 6,
        name: "sequenced_events",
        sql: include_str!("../migrations/0006_sequenced_events.surql"),
    },
    Migration {
        version: 7,
        name: "sessions",
        sql: include_str!("../migrations/0007_sessions.surql"),
    },
    Migration {
        version: 8,
        name: "payment_expiry",
        sql: include_str!("../migrations/0008_payment_expiry.surql"),
    },
    Migration {
        version: 9,
        name: "card_value",
        sql: include_str!("../migrations/0009_card_value.surql"),
    },
    Migration {
        version: 10,
        name: "wallet_made_good",
        sql: include_str!("../migrations/0010_wallet_made_good.surql"),
    },
    Migration {
        version: 11,
        name: "work_queue",
        sql: include_str!("../migrations/0011_work_queue.surql"),
    },
    Migration {
        version: 12,
        name: "rule_engine",
        sql: include_str!("../migrations/0012_rule_engine.surql"),
    },
    Migration {
        version: 13,
        name: "steps",
        sql: include_str!("../migrations/0013_steps.surql"),
    },
    Migration {
        version: 14,
        name: "agent",
        sql: include_str!("../migrations/0014_agent.surql"),
    },
    Migration {
        version: 15,
        name: "model_usage",
        sql: include_str!("../migrations/0015_model_usage.surql"),
    },
    Migration {
        version: 16,
        name: "memory",
        sql: include_str!("../migrations/0016_memory.surql"),
    },
    Migration {
        version: 17,
        name: "webhook_deliveries",
        sql: include_str!("../migrations/0017_webhook_deliveries.surql"),
    },
    Migration {
        version: 18,
        name: "artwork",
        sql: include_str!("../migrations/0018_artwork.surql"),
    },
    Migration {
        version: 19,
        name: "figures",
        sql: include_str!("../migrations/0019_figures.surql"),
    },
    Migration {
        version: 20,
        name: "shop_settings",
        sql: include_str!("../migrations/0020_shop_settings.surql"),
    },
    Migration {
        version: 21,
        name: "uploaded_logo",
        sql: include_str!("../migrations/0021_uploaded_logo.surql"),
    },
    Migration {
        version: 22,
        name: "online_orders",
        sql: include_str!("../migrations/0022_online_orders.surql"),
    },
    Migration {
        version: 23,
        name: "online_refunds",
        sql: include_str!("../migrations/0023_online_refunds.surql"),
    },
];

/// The schema version this binary expects (the last migration's number).
pub fn latest_version() -> u32 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// What `migrate` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationReport {
    /// Versions applied by this call (empty when the schema was already current).
    pub applied_now: Vec<u32>,
    /// The schema version after the call.
    pub schema_version: u32,
}

const BOOTSTRAP: &str = "
DEFINE TABLE IF NOT EXISTS _migration SCHEMAFULL
    COMMENT 'Schema migrations applied to this database (see surreal/migrations/).';
DEFINE FIELD IF NOT EXISTS version ON _migration TYPE int;
DEFINE FIELD IF NOT EXISTS name ON _migration TYPE string;
DEFINE FIELD IF NOT EXISTS checksum ON _migration TYPE string;
DEFINE FIELD IF NOT EXISTS applied_at ON _migration TYPE datetime DEFAULT time::now();
";

/// How often a start-up retries after losing a race with another process.
const MAX_ATTEMPTS: u64 = 5;

#[derive(Debug, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct AppliedMigration {
    version: u32,
    checksum: String,
}

/// Brings the schema up to `latest_version()`.
#[tracing::instrument(skip_all)]
pub async fn migrate(db: &Db) -> DbResult<MigrationReport> {
    let mut attempt: u64 = 0;
    loop {
        attempt += 1;
        match migrate_once(db).await {
            Err(err) if err.is_retryable() && attempt < MAX_ATTEMPTS => {
                tracing::warn!(attempt, error = %err, "migration raced another process; retrying");
                tokio::time::sleep(std::time::Duration::from_millis(20 * attempt)).await;
            }
            other => return other,
        }
    }
}

async fn migrate_once(db: &Db) -> DbResult<MigrationReport> {
    checked(db.query(BOOTSTRAP).await?)?;
    let applied = applied_migrations(db).await?;
    verify_applied(&applied)?;

    let mut applied_now = Vec::new();
    for migration in MIGRATIONS.iter().filter(|m| m.version > last(&applied)) {
        apply(db, migration).await?;
        tracing::info!(
            version = migration.version,
            name = migration.name,
            "migration applied"
        );
        applied_now.push(migration.version);
    }
    Ok(MigrationReport {
        applied_now,
        schema_version: latest_version().max(last(&applied)),
    })
}

/// The schema version recorded in the database (0 for an empty one).
pub async fn schema_version(db: &Db) -> DbResult<u32> {
    let mut response = checked(
        db.query("SELECT VALUE version FROM _migration ORDER BY version DESC LIMIT 1")
            .await?,
    )?;
    let version: Option<u32> = response.take(0)?;
    Ok(version.unwrap_or(0))
}

async fn applied_migrations(db: &Db) -> DbResult<Vec<AppliedMigration>> {
    let mut response = checked(
        db.query("SELECT version, checksum FROM _migration ORDER BY version")
            .await?,
    )?;
    Ok(response.take(0)?)
}

fn last(applied: &[AppliedMigration]) -> u32 {
    applied.last().map_or(0, |m| m.version)
}

/// Refuses to start on a database whose history differs from the binary's.
fn verify_applied(applied: &[AppliedMigration]) -> DbResult<()> {
    for record in applied {
        match MIGRATIONS.iter().find(|m| m.version == record.version) {
            None => {
                return Err(DbError::SchemaTooNew {
                    found: record.version,
                    known: latest_version(),
                });
            }
            Some(known) if known.checksum() != record.checksum => {
                return Err(DbError::MigrationChanged {
                    version: known.version,
                    name: known.name,
                });
            }
            Some(_) => {}
        }
    }
    Ok(())
}

async fn apply(db: &Db, migration: &Migration) -> DbResult<()> {
    let statement = format!(
        "BEGIN TRANSACTION;\n{sql}\n;\nCREATE type::record('_migration', $version) CONTENT {{ \
         version: $version, name: $name, checksum: $checksum }};\nCOMMIT TRANSACTION;",
        sql = migration.sql
    );
    let response = db
        .query(statement)
        .bind(("version", i64::from(migration.version)))
        .bind(("name", migration.name))
        .bind(("checksum", migration.checksum()))
        .await?;
    checked(response)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_start_at_one_and_increase_by_one() {
        for (index, migration) in MIGRATIONS.iter().enumerate() {
            assert_eq!(
                usize::try_from(migration.version).ok(),
                Some(index + 1),
                "{}",
                migration.name
            );
        }
    }

    #[test]
    fn every_file_in_the_migrations_folder_is_listed() {
        let dir = crate::manifest_dir().join("migrations");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".surql"))
            .collect();
        files.sort();
        let listed: Vec<String> = MIGRATIONS
            .iter()
            .map(|m| format!("{:04}_{}.surql", m.version, m.name))
            .collect();
        assert_eq!(files, listed);
    }

    #[test]
    fn migrations_do_not_open_their_own_transactions() {
        for migration in MIGRATIONS {
            let upper = migration.sql.to_uppercase();
            assert!(
                !upper.contains("BEGIN") && !upper.contains("COMMIT"),
                "{} must not contain BEGIN/COMMIT: migrate() wraps it",
                migration.name
            );
        }
    }
}
