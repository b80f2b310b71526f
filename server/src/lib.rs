//! The MealQuest process: configuration, telemetry, router, start-up and shutdown.

pub mod config;
pub mod health;
pub mod shutdown;
pub mod startup;
pub mod telemetry;
