//! The console's pages and the frame around them.

mod home;
mod layout;
mod not_found;

pub use home::HomePage;
pub use layout::Layout;
pub use not_found::NotFound;
