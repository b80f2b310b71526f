//! The product's data as it travels: what the services answer (receipts, catalogue entries,
//! statements) and what the real-time channel carries. Wasm-safe and free of I/O, below the
//! services that return it, so the API, the services, the workers and the pages share one
//! definition; `api::*` re-exports each next to its endpoints.

pub mod agent;
pub mod artwork;
pub mod assets;
pub mod catalog;
pub mod figures;
pub mod ledger;
pub mod online;
pub mod payment;
pub mod realtime;
pub mod rules;
pub mod settings;
pub mod staff;
pub mod steps;
pub mod system;
pub mod wallet;
