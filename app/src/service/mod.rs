//! The service layer: each product operation once, called by server functions, WebSocket
//! handlers and workers alike. Reads through `db`, decides with `domain`, writes through
//! `db` in one transaction, retrying when a concurrent change got there first.

pub mod assets;
pub mod auth;
mod locks;
pub mod payment;
mod retry;
pub mod wallet;

pub use retry::with_retries;
