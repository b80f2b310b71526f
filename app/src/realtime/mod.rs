//! The real-time channel's machinery (server side): the sequencer numbers published events,
//! the hub fans the numbered ones out to this process's sockets, and `socket` speaks the
//! protocol of `GET /ws`. Event types and the frame format live in `api::realtime`.

pub mod hub;
pub mod sequencer;
pub mod socket;

pub use hub::Hub;
