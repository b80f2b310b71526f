//! Who is calling: JWTs for staff and diners, staff passwords, and the identity providers
//! that turn a diner's login code into a uid. Permissions are checked here and by the
//! service layer's callers, never only in a page.

#[cfg(feature = "ssr")]
mod identity;
mod password;
mod tokens;

#[cfg(feature = "ssr")]
pub mod session_cookie;
#[cfg(feature = "ssr")]
pub mod throttle;

pub use crate::principal::{Permission, Principal, Role};
pub use identity::{DEV_APP_ID, IdentityProvider, Login, WeChatMiniProgram};
pub use password::{hash_password, verify_password};
pub use tokens::{
    AuthError, CLOCK_SKEW, MEMBER_CODE_TTL, SigningKey, TICKET_TTL, TokenKeys, TokenSettings,
    Verified,
};
