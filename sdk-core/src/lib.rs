//! # ZheliKit SDK
//!
//! The core that Android and iOS apps embed (through uniffi bindings) to give every 浙里办 /
//! 浙政钉 mini-app its identity, and later the personal data vault, the policy inbox and offline
//! forms.
//!
//! Start with [`ZheliKitClient::open`]: it takes a [`ClientConfig`] and the host's capabilities
//! — a [`KeySource`] (Android Keystore / iOS Keychain) that protects the local store's key, an
//! optional [`Logger`] and an optional [`NetworkMonitor`] — and restores the last session.
//! Then use the sub-clients, one per capability: [`ZheliKitClient::identity`] to log a user
//! in, [`ZheliKitClient::screens`] for the home screen. Each is a thin export over an inner
//! Rust type of its capability module (`identity/`, `screens/`), all sharing one context.
//!
//! Every fallible call returns [`SdkError`] (`SdkException` in Kotlin, `SdkError` in Swift),
//! whose variants say what the app should do next.

#![warn(missing_docs)]

uniffi::setup_scaffolding!();

/// This SDK's version, which a mini-app's `min_sdk_version` is compared against.
pub const SDK_VERSION: &str = env!("CARGO_PKG_VERSION");

mod analytics;
mod bff;
mod bridge;
mod client;
mod context;
mod error;
mod forms;
mod host;
mod identity;
mod inbox;
mod jwt;
mod policies;
mod runtime;
mod screens;
mod session;
mod store;
mod supervision;
mod task;
pub mod test_doubles;
mod vault;

pub use analytics::{AnalyticsClient, FlushReport};
pub use bridge::{BridgeHost, HostAction, HostError, HostReply, MiniAppBridge};
pub use client::{reset_storage, ClientConfig, ZheliKitClient};
pub use error::{SdkError, StorageFailure};
pub use forms::{
    Draft, FieldProblem, FilledField, FormInfo, FormPrefill, FormView, FormsClient, OutboxState,
    OutboxSync, Outgoing, PartInfo, SubmissionInfo, UnfilledSource,
};
pub use host::{
    CodeListener, KeySource, KeySourceError, LogLevel, LogRecord, Logger, NetworkMonitor,
    Reauthenticator, SessionListener, SessionState,
};
pub use identity::{
    ios_assertion_response, ios_registration_response, CurrentUser, Enterprise, IdentityClient,
    Official, PasskeyChallenge, PasskeyInfo, UserKind,
};
pub use inbox::{
    DeepLink, DevicePlatform, InboxClient, InboxMessage, InboxSync, PolicyReason, PushChannel,
};
pub use policies::{MatchedPolicies, MatchedPolicy, PoliciesClient, PolicyGrant};
pub use screens::records::*;
pub use screens::{HomeScreen, HomeSection, ScreensClient, SectionStatus};
pub use supervision::{
    IndicatorInput, IndicatorProgress, ItemInput, ReportInput, ReportedValue, SupervisionClient,
    SupervisionEvent, SupervisionFigures, SupervisionItem, SupervisionNotice, SupervisionProfile,
    SupervisionReport, SupervisionTask, TargetInput, TaskInput, UnitFigures,
};
pub use task::TaskHandle;
pub use vault::{
    ActivityItem, Certificate, CertificateClaim, CertificateState, CheckedClaim, ClaimKind,
    ConsentClaim, ConsentItem, ConsentView, CorrectionView, DisputeInput, EvidenceFile, History,
    HistoryItem, MadeRequest, ObjectionView, Presentation, RequestStatus, RequestedClaim,
    ShareApproval, ShareApprover, ShareDecision, ShareOutcome, VaultClient, Verification,
};
