//! Black-box tests: the real router on a real port, against SurrealDB on `mem://`
//! (a fresh datastore and database per test).

mod access;
mod agent;
mod catalog_api;
mod console;
mod demo_data;
mod failures;
mod helpers;
mod home_page;
mod money;
mod online;
mod online_refund;
mod openapi;
mod payment_codes;
mod probes;
mod realtime;
mod settings;
mod shutdown;
mod staff;
#[path = "../support/mod.rs"]
mod support;
mod system_status;
mod wechat_login;
mod workers;
