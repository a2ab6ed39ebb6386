//! Identity: platform logins turned into ZheliKit sessions, refresh-token rotation, logout,
//! passkeys, and the bearer-token check every other endpoint stands on.

pub mod auth;
pub mod login;
pub mod passkey;
pub mod platform;
pub mod profile;
pub mod session;
pub mod tokens;
