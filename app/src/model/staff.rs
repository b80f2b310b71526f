//! The shop's staff as its owner manages them: who they are, their role, whether they may
//! still sign in, and what they did at the counter.

use serde::{Deserialize, Serialize};

use crate::model::figures::StaffDay;
use crate::principal::Role;

/// A member of staff, with what they did today and in the last 30 days.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffMember {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub active: bool,
    pub today: StaffDay,
    pub month: StaffDay,
}

/// An account to add: the role it gets, and the password it signs in with first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewStaff {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub password: String,
}
