//! MealQuest's database layer: the SurrealDB connection, the schema (numbered `.surql`
//! migrations) and every query the product runs. Server-side only; nothing here knows HTTP.

pub mod agent;
pub mod artwork;
pub mod assets;
pub mod audit;
mod batch;
pub mod card;
pub mod catalog;
mod connection;
pub mod diner;
mod error;
pub mod events;
pub mod figures;
pub mod health;
pub mod idempotency;
pub mod ledger;
pub mod live;
pub mod memory;
pub mod merchant;
pub mod migrations;
pub mod online;
mod outcome;
pub mod payment;
pub mod queue;
pub mod rules;
pub mod seed;
pub mod session;
pub mod staff;
pub mod steps;
pub mod wallet;

pub use connection::{ConnectOptions, Credentials, Db, Engine, connect};
pub use error::{DbError, DbResult, Rejection};
pub use outcome::Outcome;
pub use surrealdb;

/// This crate's folder as the test runner gives it (a binary built in another checkout that
/// shares the target dir still reads this checkout's files).
#[cfg(test)]
pub(crate) fn manifest_dir() -> std::path::PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| env!("CARGO_MANIFEST_DIR").into(), Into::into)
}
