//! What the vault hands the app.

/// Where a certificate stands on this device.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum CertificateState {
    /// On the device, current.
    Available,
    /// On the device, past the time to pull it again (the department's data may have changed);
    /// still presentable until it expires.
    Stale,
    /// On the device but expired: pull it again before presenting.
    Expired,
    /// Revoked by its issuer (per the issuer's status list last fetched): it cannot be
    /// presented; pull it again (a corrected certificate replaces a revoked one).
    Revoked,
    /// Suspended by its issuer for now: it cannot be presented until the issuer lifts it.
    Suspended,
    /// Never pulled to this device.
    NotPulled,
    /// The last pull failed; `reason` says why in words to show (e.g. "签发部门没有您的…记录").
    /// A certificate pulled before stays available beside it (see [`Certificate::credential_held`]).
    PullFailed {
        /// Why, in zh-CN.
        reason: String,
    },
}

/// How a claim shows the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ClaimKind {
    /// The value itself; shown only when the person chooses.
    Raw,
    /// The value masked by the issuer.
    Masked,
    /// A yes/no fact the issuer vouches for.
    Predicate,
}

impl From<zhelikit_domain::vault::ClaimClass> for ClaimKind {
    fn from(class: zhelikit_domain::vault::ClaimClass) -> Self {
        use zhelikit_domain::vault::ClaimClass;
        match class {
            ClaimClass::Raw => Self::Raw,
            ClaimClass::Masked => Self::Masked,
            ClaimClass::Predicate => Self::Predicate,
        }
    }
}

/// One claim of a certificate.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct CertificateClaim {
    /// Its name in the credential, e.g. `id_number_masked`.
    pub name: String,
    /// What a person reads, e.g. `公民身份号码（脱敏）`.
    pub label: String,
    /// Raw, masked or predicate.
    pub kind: ClaimKind,
    /// The value as JSON (`"330302********1234"`, `true`); `None` for raw claims, which
    /// [`crate::VaultClient::list`] never returns.
    pub value_json: Option<String>,
}

/// A certificate of the vault (电子证照).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Certificate {
    /// The kind, e.g. `driving_licence`.
    pub kind: String,
    /// Its name, e.g. `电子驾驶证`.
    pub name: String,
    /// The issuing department, e.g. `transport`.
    pub department: String,
    /// Where it stands on this device.
    pub state: CertificateState,
    /// Whether a credential is held (it can be presented unless expired).
    pub credential_held: bool,
    /// When it expires, seconds since the epoch (0 when none is held).
    pub expires_at: i64,
    /// When to pull it again.
    pub refresh_after: i64,
    /// Its masked and predicate claims (raw values stay out of lists).
    pub claims: Vec<CertificateClaim>,
}

/// A presentation to show (亮证) or send.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Presentation {
    /// The SD-JWT with the chosen disclosures and the key binding, to send online.
    pub payload: String,
    /// The same presentation as QR text (`ZKV1:…`, base45): draw it in alphanumeric mode, error
    /// correction M. A verifier reads either form.
    pub qr_text: String,
    /// When a verifier stops accepting it (seconds since the epoch): show a new one before.
    pub valid_until: i64,
    /// The claims it discloses.
    pub disclosed: Vec<String>,
}

/// One claim a verification found disclosed.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct CheckedClaim {
    /// Its name, e.g. `age_over_18`.
    pub name: String,
    /// What a person reads, e.g. `已满 18 周岁`.
    pub label: String,
    /// Its value as JSON (`true`, `"330302********1234"`).
    pub value_json: String,
}

/// What checking a presented certificate found, as the officer reads it.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Verification {
    /// Whether the certificate is accepted.
    pub accepted: bool,
    /// Why not: a stable code (`revoked`, `replayed`, `presentation_too_old`,
    /// `unknown_issuer`, `bad_issuer_signature`, `tampered_disclosure`, `expired`,
    /// `bad_key_binding`, `malformed` …); `None` when accepted.
    pub refusal: Option<String>,
    /// What to show, in zh-CN: `证照有效`, or why not, or that its revocation could not be
    /// confirmed.
    pub message: String,
    /// The certificate's kind, e.g. `driving_licence` (accepted only).
    pub kind: Option<String>,
    /// Its name, e.g. `电子驾驶证` (accepted only).
    pub name: Option<String>,
    /// The issuing department (accepted only).
    pub department: Option<String>,
    /// `valid`, or `stale` / `unknown` when the issuer's status list could not be had fresh:
    /// show those as "not confirmed" (accepted only).
    pub status: Option<String>,
    /// When the credential expires, seconds since the epoch (accepted only).
    pub expires_at: Option<i64>,
    /// The disclosed claims, and nothing else about the person.
    pub claims: Vec<CheckedClaim>,
}

impl From<zhelikit_domain::vault::verifier::Verification> for Verification {
    fn from(v: zhelikit_domain::vault::verifier::Verification) -> Self {
        Self {
            accepted: v.accepted,
            refusal: v.refusal,
            message: v.message,
            kind: v.kind,
            name: v.name,
            department: v.department,
            status: v.status.map(|s| {
                serde_json::to_value(s)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default()
            }),
            expires_at: v.expires_at,
            claims: v
                .claims
                .into_iter()
                .map(|c| CheckedClaim {
                    name: c.name,
                    label: c.label,
                    value_json: c.value.to_string(),
                })
                .collect(),
        }
    }
}
