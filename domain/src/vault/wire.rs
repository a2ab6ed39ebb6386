//! The vault's wire types on the ZheliKit API (`/v1/vault/...`), shared by the BFF and the SDK.

use serde::{Deserialize, Serialize};

use crate::gm::Sm2Jwk;
use crate::vault::{CertificateKind, IssuerKeySet};

/// `POST /v1/vault/certificates/{kind}`: pull a certificate bound to a device key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PullCertificate {
    /// The public half of the key the device made for this credential (SM2, JWK).
    pub holder_key: Sm2Jwk,
}

/// A pulled certificate. The BFF keeps none of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PulledCertificate {
    /// Its kind.
    pub kind: CertificateKind,
    /// The SD-JWT VC, every claim disclosed, for the holder's device only.
    pub credential: String,
    /// When it expires (seconds since the epoch).
    pub expires_at: i64,
    /// When the device should pull it again.
    pub refresh_after: i64,
}

/// `GET /v1/vault/issuers`: every department's issuer keys, for verifiers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IssuerDirectory {
    /// The key sets that could be had.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub issuers: Vec<IssuerKeySet>,
    /// Departments whose keys could not be had now (try again later).
    pub unavailable: Vec<String>,
}

/// `GET /v1/vault/status/{department}`: the department's signed status list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatusListAnswer {
    /// The `statuslist+jwt`, verify it with the department's key.
    pub token: String,
    /// Seconds since the BFF fetched it from the department, when it could not fetch a newer
    /// one (the department is down): a verifier shows such a status as not confirmed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stale_secs: Option<u64>,
}

/// `POST /v1/vault/verifications`: check a presentation someone showed an online verifier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VerifyPresentation {
    /// The presentation: the SD-JWT with its key binding, or a 亮证 QR text (`ZKV1:…`).
    pub presentation: String,
    /// Whom it must have been made for: `zhelikit:in-person` (the default, a QR shown at a
    /// counter) or the calling mini-app's own id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    /// The nonce the verifier gave the holder, if it gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
}
