//! Test doubles of the host capabilities, for Rust tests and samples. (Kotlin and Swift tests
//! write their own in their language.)

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::host::{
    KeySource, KeySourceError, LogRecord, Logger, NetworkMonitor, SessionListener, SessionState,
};
use zhelikit_domain::sealing::SealingKey;

/// A key source that wraps with a fixed 32-byte key, as a keystore entry would.
/// Two instances with different keys behave like a reset keystore.
pub struct WrappingKeySource {
    key: SealingKey,
}

impl WrappingKeySource {
    /// A key source wrapping under `key`.
    pub fn new(key: [u8; 32]) -> Self {
        Self {
            key: SealingKey::new(&key).unwrap_or_else(|| unreachable!("32 bytes is a valid key")),
        }
    }
}

impl KeySource for WrappingKeySource {
    fn wrap_key(&self, key: Vec<u8>) -> Result<Vec<u8>, KeySourceError> {
        Ok(self.key.seal("zhelikit-data-key", &key))
    }

    fn unwrap_key(&self, wrapped: Vec<u8>) -> Result<Vec<u8>, KeySourceError> {
        self.key
            .open("zhelikit-data-key", &wrapped)
            .map_err(|_| KeySourceError::WrongKey {
                detail: "the wrapped key was made by another keystore entry".into(),
            })
    }
}

/// A key source that hands back whatever it is given, unprotected, and returns `unwrap_as`
/// instead when set: stands in for a keystore that yields the wrong key without noticing.
#[derive(Default)]
pub struct PlainKeySource {
    /// When set, `unwrap_key` returns this instead of the stored key.
    pub unwrap_as: Option<Vec<u8>>,
}

impl KeySource for PlainKeySource {
    fn wrap_key(&self, key: Vec<u8>) -> Result<Vec<u8>, KeySourceError> {
        Ok(key)
    }

    fn unwrap_key(&self, wrapped: Vec<u8>) -> Result<Vec<u8>, KeySourceError> {
        Ok(self.unwrap_as.clone().unwrap_or(wrapped))
    }
}

/// A logger that keeps every record.
#[derive(Default)]
pub struct MemoryLogger {
    records: Mutex<Vec<LogRecord>>,
}

impl MemoryLogger {
    /// Everything logged so far.
    pub fn records(&self) -> Vec<LogRecord> {
        self.records
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

impl Logger for MemoryLogger {
    fn log(&self, record: LogRecord) {
        self.records
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(record);
    }
}

/// A network monitor switched by the test.
pub struct SwitchableNetwork(AtomicBool);

impl SwitchableNetwork {
    /// Starts online or offline.
    pub fn new(online: bool) -> Arc<Self> {
        Arc::new(Self(AtomicBool::new(online)))
    }

    /// Switches the network on or off.
    pub fn set_online(&self, online: bool) {
        self.0.store(online, Ordering::SeqCst);
    }
}

impl NetworkMonitor for SwitchableNetwork {
    fn is_online(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// A re-authentication that always answers the same.
pub struct FixedReauthenticator {
    answer: bool,
    asked: Mutex<Vec<String>>,
}

impl FixedReauthenticator {
    /// One that answers `answer` every time.
    pub fn new(answer: bool) -> Arc<Self> {
        Arc::new(Self {
            answer,
            asked: Mutex::new(Vec::new()),
        })
    }

    /// The reasons it was asked with, in order.
    pub fn asked(&self) -> Vec<String> {
        self.asked.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl crate::Reauthenticator for FixedReauthenticator {
    fn reauthenticate(&self, reason: String) -> bool {
        self.asked
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(reason);
        self.answer
    }
}

/// [`crate::VaultClient::show_code`] with a new code every `every` instead of every minute, so
/// a test sees the refresh without waiting.
pub fn show_code_every(
    vault: &crate::VaultClient,
    kind: &str,
    listener: Arc<dyn crate::CodeListener>,
    every: std::time::Duration,
) -> Result<Arc<crate::TaskHandle>, crate::SdkError> {
    vault.show_code_every(kind.to_string(), None, listener, every)
}

/// A share approver that decides the same every time and keeps what it was shown.
pub struct ScriptedApprover {
    decision: crate::ShareDecision,
    shown: Mutex<Vec<crate::ShareApproval>>,
}

impl ScriptedApprover {
    /// One that decides `decision` every time.
    pub fn new(decision: crate::ShareDecision) -> Arc<Self> {
        Arc::new(Self {
            decision,
            shown: Mutex::new(Vec::new()),
        })
    }

    /// Every request it was shown, in order.
    pub fn shown(&self) -> Vec<crate::ShareApproval> {
        self.shown.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl crate::ShareApprover for ScriptedApprover {
    fn decide(&self, approval: crate::ShareApproval) -> crate::ShareDecision {
        self.shown
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(approval);
        self.decision
    }
}

/// A code listener that keeps every code and stop it was given.
#[derive(Default)]
pub struct RecordingCodes {
    codes: Mutex<Vec<crate::Presentation>>,
    stopped: Mutex<Vec<String>>,
}

impl RecordingCodes {
    /// Every code so far, in order.
    pub fn codes(&self) -> Vec<crate::Presentation> {
        self.codes.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Every reason it was stopped with.
    pub fn stopped(&self) -> Vec<String> {
        self.stopped
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

impl crate::CodeListener for RecordingCodes {
    fn on_code(&self, code: crate::Presentation) {
        self.codes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(code);
    }

    fn on_stopped(&self, reason: String) {
        self.stopped
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(reason);
    }
}

/// A session listener that keeps every state it was told.
#[derive(Default)]
pub struct RecordingListener {
    states: Mutex<Vec<SessionState>>,
}

impl RecordingListener {
    /// Every state so far, in order.
    pub fn states(&self) -> Vec<SessionState> {
        self.states
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

impl SessionListener for RecordingListener {
    fn on_session_state(&self, state: SessionState) {
        self.states
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(state);
    }
}

/// A [`crate::BridgeHost`] that answers from a script and records what it was asked and what it
/// was told, as a container would for a test: consent and confirms answer `yes` unless set
/// otherwise, a ticket or auth code is what was set (none: `Unavailable`), a scan answers the
/// set text, an image pick answers one tiny PNG.
#[derive(Default)]
pub struct ScriptedHost {
    consent: std::sync::Mutex<Option<bool>>,
    confirm: std::sync::Mutex<Option<bool>>,
    ticket: std::sync::Mutex<Option<String>>,
    scanned: std::sync::Mutex<Option<String>>,
    actions: std::sync::Mutex<Vec<crate::HostAction>>,
    events: std::sync::Mutex<Vec<String>>,
}

impl ScriptedHost {
    /// A host that agrees to everything.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// How the user answers consent prompts from now on.
    pub fn answer_consent(&self, yes: bool) {
        *self.consent.lock().unwrap_or_else(|e| e.into_inner()) = Some(yes);
    }

    /// How the user answers confirm dialogs and re-authentication from now on.
    pub fn answer_confirm(&self, yes: bool) {
        *self.confirm.lock().unwrap_or_else(|e| e.into_inner()) = Some(yes);
    }

    /// The ticketId (or 浙政钉 auth code) the platform hands the container next.
    pub fn give_ticket(&self, ticket: &str) {
        *self.ticket.lock().unwrap_or_else(|e| e.into_inner()) = Some(ticket.to_string());
    }

    /// What the scanner reads next.
    pub fn give_scan(&self, text: &str) {
        *self.scanned.lock().unwrap_or_else(|e| e.into_inner()) = Some(text.to_string());
    }

    /// Every action asked for, in order.
    pub fn actions(&self) -> Vec<crate::HostAction> {
        self.actions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Every event emitted, as JSON, in order.
    pub fn events(&self) -> Vec<String> {
        self.events
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

impl crate::BridgeHost for ScriptedHost {
    fn perform(&self, action: crate::HostAction) -> Result<crate::HostReply, crate::HostError> {
        use crate::{HostAction as A, HostError, HostReply as R};
        self.actions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(action.clone());
        let yes = |answer: &std::sync::Mutex<Option<bool>>| {
            answer
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .unwrap_or(true)
        };
        match action {
            A::AskConsent { .. } => Ok(R::Confirmed {
                ok: yes(&self.consent),
            }),
            A::Confirm { .. } | A::Reauthenticate { .. } | A::ApproveShare { .. } => {
                Ok(R::Confirmed {
                    ok: yes(&self.confirm),
                })
            }
            A::SsoTicket { .. } | A::AuthCode { .. } => self
                .ticket
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take()
                .map(|value| R::Text { value })
                .ok_or(HostError::Unavailable {
                    reason: "no platform login in this test".into(),
                }),
            A::Scan => self
                .scanned
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take()
                .map(|value| R::Text { value })
                .ok_or(HostError::Cancelled),
            A::ChooseImage { .. } => Ok(R::Images {
                data_urls: vec!["data:image/png;base64,iVBORw0KGgo=".into()],
            }),
            _ => Ok(R::Done),
        }
    }

    fn emit(&self, event_json: String) {
        self.events
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(event_json);
    }
}
