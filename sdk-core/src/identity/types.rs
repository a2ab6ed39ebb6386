//! What identity hands the app: the user, their enterprise or post, passkeys and WebAuthn
//! challenges, as uniffi records converted from the wire types.

use zhelikit_domain::api::{self, Me, PasskeyChallenge as WireChallenge};

use crate::error::Result;
use crate::identity::passkey;

/// One of the user's passkeys, as [`super::IdentityClient::list_passkeys`] shows them (no key
/// material): for a "your passkeys" screen where the user renames or deletes them.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct PasskeyInfo {
    /// The credential id (base64url): what rename and delete take.
    pub credential_id: String,
    /// The name the user gave it (or the default, 通行密钥 N and its date).
    pub name: String,
    /// When it was registered, milliseconds since the epoch.
    pub created_at_ms: i64,
    /// When it last started a session, milliseconds since the epoch; `None` if never.
    pub last_used_at_ms: Option<i64>,
}

impl From<api::PasskeyInfo> for PasskeyInfo {
    fn from(p: api::PasskeyInfo) -> Self {
        Self {
            credential_id: p.credential_id,
            name: p.name,
            created_at_ms: p.created_at_ms,
            last_used_at_ms: p.last_used_at_ms,
        }
    }
}

/// Who a user is to ZheliKit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum UserKind {
    /// A natural person (个人), from 浙里办.
    Citizen,
    /// Someone acting for an enterprise (法人), from 浙里办.
    LegalPerson,
    /// A civil servant (公务员), from 浙政钉.
    Official,
}

/// The enterprise a legal-person user acts for.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Enterprise {
    /// Registered name.
    pub name: String,
    /// Unified social credit code (统一社会信用代码).
    pub uscc: String,
    /// Legal representative, name masked.
    pub legal_representative: String,
}

/// Where an official works.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Official {
    /// 浙政钉 organisation code.
    pub organisation_code: String,
    /// Organisation name.
    pub organisation_name: String,
    /// Employee code.
    pub employee_code: String,
}

/// The logged-in user. Personal numbers come masked; the SDK never holds them in full.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct CurrentUser {
    /// Pseudonymous ZheliKit user id: stable per person, safe to store and to log.
    pub user_id: String,
    /// Citizen, legal person or official.
    pub kind: UserKind,
    /// Name for greeting.
    pub display_name: String,
    /// 浙里办 real-name level: 1 not verified, 2 basic, 3 advanced (officials: 3).
    pub real_name_level: u8,
    /// Masked resident ID number, e.g. `330302********1234`.
    pub id_number_masked: Option<String>,
    /// Masked mobile number, e.g. `138****5678`.
    pub phone_masked: Option<String>,
    /// Set for legal persons.
    pub enterprise: Option<Enterprise>,
    /// Set for officials.
    pub official: Option<Official>,
    /// Scopes granted to this mini-app.
    pub scopes: Vec<String>,
}

impl From<Me> for CurrentUser {
    fn from(me: Me) -> Self {
        Self {
            user_id: me.user_id,
            kind: match me.kind {
                api::UserKind::Citizen => UserKind::Citizen,
                api::UserKind::LegalPerson => UserKind::LegalPerson,
                api::UserKind::Official => UserKind::Official,
            },
            display_name: me.display_name,
            real_name_level: me.real_name_level,
            id_number_masked: me.id_number_masked,
            phone_masked: me.phone_masked,
            enterprise: me.enterprise.map(|e| Enterprise {
                name: e.name,
                uscc: e.uscc,
                legal_representative: e.legal_representative,
            }),
            official: me.official.map(|o| Official {
                organisation_code: o.organisation_code,
                organisation_name: o.organisation_name,
                employee_code: o.employee_code,
            }),
            scopes: me.scopes,
        }
    }
}

/// A WebAuthn challenge to hand to the platform authenticator.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct PasskeyChallenge {
    /// Pass back to the matching `finish_…` call.
    pub ceremony_id: String,
    /// The whole options document `{"publicKey": …}`: for browsers, WebViews and iOS.
    pub options_json: String,
    /// The inner `publicKey` object: for Android's `CreatePublicKeyCredentialRequest` /
    /// `GetPublicKeyCredentialOption`.
    pub android_request_json: String,
}

impl PasskeyChallenge {
    pub(crate) fn from_wire(wire: WireChallenge) -> Result<Self> {
        Ok(Self {
            ceremony_id: wire.ceremony_id,
            android_request_json: passkey::android_request(&wire.options)?,
            options_json: wire.options.to_string(),
        })
    }
}
