//! The money core through the service layer, against real SurrealDB (`mem://`).

mod artist;
mod assets;
mod audit;
mod callbacks;
mod card_value;
mod figures;
mod helpers;
mod memory;
mod models;
mod payments;
mod provider;
mod rules;
mod steps;
mod stored_value;
mod strategist;
#[path = "../support/mod.rs"]
mod support;
mod weather;
mod workflows;
