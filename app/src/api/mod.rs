//! Server functions: the API of the console and of the C-end clients. Each one is a thin
//! front door that checks its input and calls the `db` crate (the one home of every query).

pub mod payment;
pub mod system;
pub mod wallet;
