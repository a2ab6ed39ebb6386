//! The audit log (审计): every login, failed login, refresh-token reuse, passkey registration
//! and logout, with who, for which mini-app, from where, and the request id. Never personal
//! data: the detail is a method or an error code.

use uuid::Uuid;

use crate::app::App;
use crate::storage::AuditEvent;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// A session was started.
    Login,
    /// A login attempt was refused.
    LoginFailed,
    /// An already-used refresh token was presented; its family was revoked.
    RefreshReuse,
    /// A passkey was registered.
    PasskeyRegistered,
    /// A passkey (or all of them) was deleted.
    PasskeyRemoved,
    /// One session was ended.
    Logout,
    /// Every session of a user was ended.
    LogoutAll,
    /// An e-certificate was pulled to a device (the detail is its kind, never its content).
    CertificatePulled,
    /// An online verifier checked a presentation (the detail is the kind and the outcome).
    CertificateVerified,
    /// A holder answered a verifier's share request (the detail: verifier, kind, outcome).
    CertificateShared,
    /// A consumer asked for consent (the detail: consumer, purpose).
    ConsentRequested,
    /// A citizen approved, declined, paused, resumed or revoked a consent (consumer, status).
    ConsentChanged,
    /// A consumer fetched under a consent, or was refused (consumer, kinds or refusal).
    ConsentFetched,
    /// A citizen filed a correction (the detail: id, kind, claim — never the value).
    CorrectionFiled,
    /// A department decided a correction (id, outcome).
    CorrectionDecided,
    /// The corrected certificate was pulled (id).
    CorrectionReissued,
    /// A form submission was taken (instance, form, version, how many parts).
    FormSubmitted,
    /// A submission's answers were opened to deliver a part to its department (reference,
    /// department): the only reading of sealed answers.
    FormPartDelivered,
    /// A department said where its part stands (reference, status).
    FormPartStatus,
    /// A draft was filled for the person (form, version, sources; the last submission whose
    /// answers were opened to fill it, if any).
    FormPrefilled,
}

impl Event {
    /// The event's name as stored (`consent_fetched` …).
    pub fn name(self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::LoginFailed => "login_failed",
            Self::RefreshReuse => "refresh_reuse",
            Self::PasskeyRegistered => "passkey_registered",
            Self::PasskeyRemoved => "passkey_removed",
            Self::Logout => "logout",
            Self::LogoutAll => "logout_all",
            Self::CertificatePulled => "certificate_pulled",
            Self::CertificateVerified => "certificate_verified",
            Self::CertificateShared => "certificate_shared",
            Self::ConsentRequested => "consent_requested",
            Self::ConsentChanged => "consent_changed",
            Self::ConsentFetched => "consent_fetched",
            Self::CorrectionFiled => "correction_filed",
            Self::CorrectionDecided => "correction_decided",
            Self::CorrectionReissued => "correction_reissued",
            Self::FormSubmitted => "form_submitted",
            Self::FormPartDelivered => "form_part_delivered",
            Self::FormPartStatus => "form_part_status",
            Self::FormPrefilled => "form_prefilled",
        }
    }
}

/// Appends an event. A failure to audit is logged loudly but does not fail the user's request:
/// the action already happened, and refusing it now would not undo it.
pub async fn record(
    app: &App,
    event: Event,
    user_id: Option<Uuid>,
    mini_app_id: Option<&str>,
    client: &str,
    detail: &str,
) {
    let row = AuditEvent {
        event: event.name().to_string(),
        user_id,
        mini_app_id: mini_app_id.map(str::to_string),
        client: Some(client.to_string()),
        request_id: crate::http::request_id::current(),
        detail: detail.to_string(),
    };
    if let Err(e) = app.store.record_audit(&row).await {
        tracing::error!(error = %e, event = event.name(), "could not write audit event");
        metrics::counter!("audit_write_failures_total").increment(1);
    }
}
