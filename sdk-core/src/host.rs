//! What the host app provides (foreign traits, implemented in Kotlin or Swift) and what the SDK
//! tells it back.

use std::sync::Arc;

/// Why a [`KeySource`] could not wrap or unwrap the storage key.
#[derive(Debug, Clone, PartialEq, thiserror::Error, uniffi::Error)]
pub enum KeySourceError {
    /// The keystore is unavailable (locked device, user not authenticated, entry missing).
    #[error("key source unavailable: {detail}")]
    Unavailable {
        /// What the keystore said.
        detail: String,
    },
    /// The wrapped key does not belong to this keystore entry (it was reset or replaced).
    #[error("the wrapped key does not match this key source: {detail}")]
    WrongKey {
        /// What the keystore said.
        detail: String,
    },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for KeySourceError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        Self::Unavailable { detail: e.reason }
    }
}

/// The host's keystore, protecting the key that encrypts the SDK's local data.
///
/// The SDK generates a random 32-byte data key once, asks the host to wrap it, and stores only
/// the wrapped form. On Android, wrap with an AES-GCM key kept in the Android Keystore
/// (`KeyGenParameterSpec` with `PURPOSE_ENCRYPT | PURPOSE_DECRYPT`, non-exportable); on iOS,
/// wrap with a Secure Enclave key or store the key in the Keychain and return a reference.
/// Methods are called on a background thread and may block briefly.
#[uniffi::export(foreign)]
pub trait KeySource: Send + Sync {
    /// Wraps (encrypts) the data key. Called once, when the store is created.
    fn wrap_key(&self, key: Vec<u8>) -> Result<Vec<u8>, KeySourceError>;
    /// Unwraps what [`KeySource::wrap_key`] returned. Called each time a client opens.
    fn unwrap_key(&self, wrapped: Vec<u8>) -> Result<Vec<u8>, KeySourceError>;
}

/// Severity of a log record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, uniffi::Enum)]
pub enum LogLevel {
    /// Something failed and the user will notice.
    Error,
    /// Something unexpected that the SDK handled.
    Warn,
    /// A normal, significant event (login, logout, refresh).
    Info,
    /// Detail for debugging.
    Debug,
}

/// One log record. Never carries a token, an ID number or a phone number in clear.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct LogRecord {
    /// Severity.
    pub level: LogLevel,
    /// The SDK module that logged, e.g. `zhelikit::session`.
    pub target: String,
    /// The message, already masked.
    pub message: String,
}

/// Receives the SDK's log records; forward them to Logcat, `os_log` or your crash reporter.
/// Called from background threads; must not block.
#[uniffi::export(foreign)]
pub trait Logger: Send + Sync {
    /// One record.
    fn log(&self, record: LogRecord);
}

/// Tells the SDK whether the device has a network, so calls fail fast with
/// [`crate::SdkError::Offline`] instead of waiting for a timeout.
#[uniffi::export(foreign)]
pub trait NetworkMonitor: Send + Sync {
    /// True when a network is available (e.g. from `ConnectivityManager` / `NWPathMonitor`).
    fn is_online(&self) -> bool;
}

/// Asks the person holding the phone to prove again that they are its owner, before the SDK
/// shows something sensitive (a raw claim of a certificate). On Android use `BiometricPrompt`
/// with `BIOMETRIC_STRONG | DEVICE_CREDENTIAL`; on iOS `LAContext.evaluatePolicy`
/// (`.deviceOwnerAuthentication`). Called on a background thread; may block until the person
/// answers.
#[uniffi::export(foreign)]
pub trait Reauthenticator: Send + Sync {
    /// Shows `reason` (zh-CN, e.g. "查看电子驾驶证的驾驶证号") and answers whether the person
    /// proved it is them (`false`: cancelled or failed).
    fn reauthenticate(&self, reason: String) -> bool;
}

/// Receives the 亮证 codes of a certificate shown on screen, a new one before each expires
/// (see [`crate::VaultClient::show_code`]). Called from a background thread.
#[uniffi::export(foreign)]
pub trait CodeListener: Send + Sync {
    /// The code to draw now (replacing the one before).
    fn on_code(&self, code: crate::vault::Presentation);
    /// No further code will come (`reason` in zh-CN: the certificate expired, the person logged
    /// out …); take the code off the screen.
    fn on_stopped(&self, reason: String);
}

/// The state of the session of one client.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum SessionState {
    /// Someone is logged in.
    LoggedIn {
        /// Pseudonymous ZheliKit user id.
        user_id: String,
    },
    /// The user logged out (on this device, or everywhere from this device).
    LoggedOut,
    /// The session ended without the user asking (revoked, reused refresh token, expired):
    /// show the login again.
    Expired {
        /// Why, for logs.
        reason: String,
    },
}

/// Told whenever the session state changes. Called from background threads.
#[uniffi::export(foreign)]
pub trait SessionListener: Send + Sync {
    /// The new state.
    fn on_session_state(&self, state: SessionState);
}

/// The SDK's log sink: forwards to the host's [`Logger`] after scrubbing anything that looks
/// like a token, an ID number or a phone number, as a second line of defence behind masking
/// at each call site.
#[derive(Clone, Default)]
pub(crate) struct Log(Option<Arc<dyn Logger>>);

impl Log {
    pub(crate) fn new(logger: Option<Arc<dyn Logger>>) -> Self {
        Self(logger)
    }

    pub(crate) fn write(&self, level: LogLevel, target: &str, message: &str) {
        if let Some(logger) = &self.0 {
            logger.log(LogRecord {
                level,
                target: target.to_string(),
                message: zhelikit_domain::mask::scrub(message),
            });
        }
    }

    pub(crate) fn info(&self, target: &str, message: &str) {
        self.write(LogLevel::Info, target, message);
    }

    pub(crate) fn warn(&self, target: &str, message: &str) {
        self.write(LogLevel::Warn, target, message);
    }

    pub(crate) fn debug(&self, target: &str, message: &str) {
        self.write(LogLevel::Debug, target, message);
    }
}
