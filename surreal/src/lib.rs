//! MealQuest's database layer: the SurrealDB connection, the schema (numbered `.surql`
//! migrations) and every query the product runs. Server-side only; nothing here knows HTTP.

pub mod catalog;
mod connection;
mod error;
pub mod health;
pub mod ledger;
pub mod merchant;
pub mod migrations;
pub mod seed;
pub mod wallet;

pub use connection::{ConnectOptions, Credentials, Db, Engine, connect};
pub use error::{DbError, DbResult, STALE};
pub use surrealdb;
