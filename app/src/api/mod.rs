//! Server functions: the API of the console and of the C-end clients (JSON in and out at
//! the spec's paths). Each is a thin front door: authenticate, check permission and
//! Idempotency-Key (`edge`), then call the service layer.

pub mod agent;
pub mod artwork;
pub mod assets;
pub mod auth;
pub mod catalog;
pub mod codec;
pub mod console;
pub mod diner_demo;
#[cfg(feature = "ssr")]
pub mod edge;
#[cfg(feature = "ssr")]
pub mod gate;
pub mod language;
pub mod ledger;
pub mod member;
#[cfg(feature = "ssr")]
pub mod openapi;
pub mod payment;
pub mod realtime;
pub mod rules;
pub mod steps;
pub mod system;
pub mod wallet;
