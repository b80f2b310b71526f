//! The product's rules as pure functions: no I/O, no clock, no randomness. They compile for
//! the browser too, so the cashier's preview and the server's truth are the same code.

pub mod artwork;
pub mod callbacks;
pub mod card;
pub mod catalog;
pub mod checked;
pub mod copilot;
pub mod diner;
pub mod events;
pub mod market;
pub mod money;
pub mod online;
pub mod payment;
pub mod rules;
pub mod stock;
pub mod strategy;
pub mod wallet;

pub use card::{CardError, CardStatus};
pub use catalog::CatalogError;
pub use diner::{is_member_code, is_phone_number};
pub use market::MarketError;
pub use money::{Amount, Money, MoneyError};
pub use payment::PaymentStatus;
pub use stock::{DailyStock, OutOfStock};
pub use wallet::{Balance, Clawback, PaymentSplit, RechargeTier, WalletError};
