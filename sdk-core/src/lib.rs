//! # ZheliKit SDK
//!
//! The core that Android and iOS apps embed (through uniffi bindings) to give every 浙里办 /
//! 浙政钉 mini-app its identity, and later the personal data vault, the policy inbox and offline
//! forms.
//!
//! Start with [`ZheliKitClient::open`]: it takes a [`ClientConfig`] and the host's capabilities
//! — a [`KeySource`] (Android Keystore / iOS Keychain) that protects the local store's key, an
//! optional [`Logger`] and an optional [`NetworkMonitor`] — and restores the last session.
//! Then use the sub-clients, e.g. [`ZheliKitClient::identity`] to log a user in.
//!
//! Every fallible call returns [`SdkError`] (`SdkException` in Kotlin, `SdkError` in Swift),
//! whose variants say what the app should do next.

#![warn(missing_docs)]

uniffi::setup_scaffolding!();

mod bff;
mod client;
mod error;
mod host;
mod identity;
mod jwt;
mod passkey;
mod records;
mod runtime;
mod screens;
mod session;
mod store;
mod task;
pub mod test_doubles;

pub use client::{reset_storage, ClientConfig, ZheliKitClient};
pub use error::{SdkError, StorageFailure};
pub use host::{
    KeySource, KeySourceError, LogLevel, LogRecord, Logger, NetworkMonitor, SessionListener,
    SessionState,
};
pub use identity::{CurrentUser, Enterprise, IdentityClient, Official, PasskeyChallenge, UserKind};
pub use passkey::{ios_assertion_response, ios_registration_response};
pub use records::*;
pub use screens::{HomeScreen, HomeSection, SectionStatus};
pub use task::TaskHandle;
