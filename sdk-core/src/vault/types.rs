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
    /// The SD-JWT with the chosen disclosures and the key binding: the QR payload.
    pub payload: String,
    /// When a verifier stops accepting it (seconds since the epoch): show a new one before.
    pub valid_until: i64,
    /// The claims it discloses.
    pub disclosed: Vec<String>,
}
