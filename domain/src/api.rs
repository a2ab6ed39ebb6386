//! Wire types of the ZheliKit HTTP API, shared by the BFF (which serves them) and the SDK (which
//! sends and reads them). Field names are the JSON names: `snake_case` throughout.

use crate::records::Record;
use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// Who a session belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum UserKind {
    /// A natural person logged in through 浙里办 personal SSO (个人).
    Citizen,
    /// Someone acting for an enterprise through 浙里办 legal-person SSO (法人).
    LegalPerson,
    /// A civil servant logged in through 浙政钉 (公务员).
    Official,
}

impl UserKind {
    /// The stable lower-case name used in tokens and storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Citizen => "citizen",
            Self::LegalPerson => "legal_person",
            Self::Official => "official",
        }
    }

    /// Inverse of [`UserKind::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "citizen" => Some(Self::Citizen),
            "legal_person" => Some(Self::LegalPerson),
            "official" => Some(Self::Official),
            _ => None,
        }
    }
}

/// Log in with a 浙里办 SSO `ticket` (personal or legal person, by endpoint).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct TicketLogin {
    /// The registered mini-app the session is for (the token's `aud`).
    pub mini_app_id: String,
    /// The one-time ticket the platform appended to the callback URL.
    pub ticket: String,
    /// Scopes the user agreed to grant; omitted means all the mini-app may ask for.
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
}

/// Log in with the `ticketId` that `ZWJSBridge.ssoTicket()` gives a mini-program.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct TicketIdLogin {
    /// The registered mini-app the session is for.
    pub mini_app_id: String,
    /// The ticket id from the container.
    pub ticket_id: String,
    /// Scopes the user agreed to grant; omitted means all the mini-app may ask for.
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
}

/// Log in with a 浙政钉 免登 auth code from `getAuthCode`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AuthCodeLogin {
    /// The registered mini-app the session is for.
    pub mini_app_id: String,
    /// The one-time code.
    pub auth_code: String,
    /// Scopes the user agreed to grant; omitted means all the mini-app may ask for.
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
}

/// Exchange (and thereby rotate) a refresh token, or end the session it belongs to.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct RefreshRequest {
    /// The refresh token from the last [`Session`]; it is spent by this call.
    pub refresh_token: String,
}

/// A ZheliKit session: what every successful login and refresh returns.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Session {
    /// Signed JWT for `Authorization: Bearer …`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// Opaque, single-use refresh token; a new one comes with every refresh.
    pub refresh_token: String,
    /// Seconds until the refresh token expires if unused.
    pub refresh_expires_in: u64,
    /// Scopes granted to this mini-app in this session.
    pub scopes: Vec<String>,
}

/// The enterprise a legal-person session acts for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct EnterpriseSummary {
    /// Registered name.
    pub name: String,
    /// Unified social credit code; public registration data, shown whole.
    pub uscc: String,
    /// Legal representative (法定代表人), name masked.
    pub legal_representative: String,
}

/// Where an official works.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct OfficialSummary {
    /// 浙政钉 organisation code.
    pub organisation_code: String,
    /// Organisation name.
    pub organisation_name: String,
    /// Employee code within the tenant.
    pub employee_code: String,
}

/// `GET /v1/me`: the user of the presented access token, with personal data masked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Me {
    /// Pseudonymous ZheliKit user id: stable per person, carries no personal data.
    pub user_id: String,
    /// Citizen, legal person or official.
    pub kind: UserKind,
    /// Name for greeting the user.
    pub display_name: String,
    /// 浙里办 real-name level: 1 not verified, 2 basic, 3 advanced. Officials are 3.
    pub real_name_level: u8,
    /// Masked resident ID number, e.g. `330302********1234`.
    pub id_number_masked: Option<String>,
    /// Masked mobile number, e.g. `138****5678`.
    pub phone_masked: Option<String>,
    /// Set for legal-person sessions.
    pub enterprise: Option<EnterpriseSummary>,
    /// Set for official sessions.
    pub official: Option<OfficialSummary>,
    /// The mini-app this session is for.
    pub mini_app_id: String,
    /// Scopes granted in this session.
    pub scopes: Vec<String>,
}

/// An RFC 9457 problem document: every error of the ZheliKit API.
///
/// Clients branch on [`Problem::code`], which never changes once published; `title` and
/// `detail` are for people.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Problem {
    /// A URI naming the problem type; resolves to its documentation.
    #[serde(rename = "type")]
    pub type_uri: String,
    /// Short summary of the problem type.
    pub title: String,
    /// HTTP status code.
    pub status: u16,
    /// What went wrong with this request, in words a developer can act on.
    pub detail: String,
    /// Stable machine-readable code, e.g. `ticket_expired`.
    pub code: String,
    /// The request id, to quote when reporting a problem.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The input field at fault, for input errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The scope the call needed, for `missing_scope`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The real-name level the mini-app requires, for `real_name_level_too_low`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_real_name_level: Option<u8>,
    /// The user's real-name level, for `real_name_level_too_low`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub real_name_level: Option<u8>,
    /// Every error of the input, for `form_answers_invalid`: a form's answers are checked
    /// whole, so the person sees all that is wrong at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
    /// The resource as it stands now, for a conflict (`form_instance_conflict`,
    /// `form_submission_stale`): what the client must reconcile with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub current: Option<serde_json::Value>,
}

/// One error of an input checked whole (a form's answers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct FieldError {
    /// Where: the field's path (`members[1].member_income`).
    pub path: String,
    /// What kind of error, stable: `required`, `type`, `format`, `choice`, `constraint`,
    /// `count`, `unknown`.
    pub code: String,
    /// What is wrong, in words for the person.
    pub message: String,
}

/// The media type of [`Problem`] responses.
pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

/// The header naming the mini-app a request comes from. The SDK (and so every host and the
/// mini-app bridge built on it) sends it on every call, and the BFF refuses an access token
/// whose audience is another mini-app: a token captured from one mini-app cannot be used through
/// another's SDK. A caller that omits the header is checked by scopes alone (defence in depth,
/// not the only line: scopes are per mini-app too).
pub const MINI_APP_HEADER: &str = "x-zhelikit-mini-app";

/// `POST /v1/passkeys/registration/start` answer, and `POST /v1/auth/passkey/start` answer:
/// a WebAuthn challenge for the platform authenticator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PasskeyChallenge {
    /// Quote this id when finishing; the ceremony state stays on the server.
    pub ceremony_id: String,
    /// WebAuthn options as JSON: `{"publicKey": {...}}` (browsers and iOS take it whole,
    /// Android's Credential Manager takes the inner `publicKey` object).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub options: serde_json::Value,
}

/// Finishes a passkey ceremony with the authenticator's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PasskeyFinish {
    /// The id from [`PasskeyChallenge`].
    pub ceremony_id: String,
    /// The `PublicKeyCredential` as WebAuthn JSON.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub credential: serde_json::Value,
    /// For a registration: what to call the passkey in the list (e.g. the device's name);
    /// omitted, it is named by its number and date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// One of the user's passkeys, as `GET /v1/passkeys` lists them (no key material).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PasskeyInfo {
    /// The credential id, base64url: what rename and delete take.
    pub credential_id: String,
    /// The name the user gave it.
    pub name: String,
    /// When it was registered, milliseconds since the epoch.
    pub created_at_ms: i64,
    /// When it last started a session, milliseconds since the epoch; `None` if never.
    pub last_used_at_ms: Option<i64>,
}

/// `GET /v1/passkeys`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PasskeyList {
    /// Oldest first.
    pub passkeys: Vec<PasskeyInfo>,
}

/// `PATCH /v1/passkeys/{credential_id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PasskeyRename {
    /// The new name (1–64 characters).
    pub name: String,
}

/// `POST /v1/auth/logout-all` body (optional).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct LogoutAll {
    /// Also delete every passkey of the user, so that no device can start a session without a
    /// new platform login (for a lost or stolen phone).
    #[serde(default)]
    pub remove_passkeys: bool,
}

/// Starts a passkey login: the passkey alone, no platform ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PasskeyLoginStart {
    /// The mini-app the session is for.
    pub mini_app_id: String,
    /// The ZheliKit user id remembered on the device from an earlier session.
    pub user_id: String,
    /// Scopes the user agreed to grant; omitted means all the mini-app may ask for.
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
}

/// A passkey was registered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PasskeyRegistered {
    /// The credential id, base64url.
    pub credential_id: String,
}

/// `GET /v1/home`: the user's home screen, one section per department record, fetched in
/// parallel. A section that could not be fetched says so; the screen itself always arrives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct HomeScreen {
    /// Whose screen: citizen or legal person.
    pub kind: UserKind,
    /// When the BFF assembled it, milliseconds since the epoch.
    pub generated_at_ms: i64,
    /// The sections, in display order.
    pub sections: Vec<HomeSection>,
}

impl HomeScreen {
    /// The screen shown offline `age_secs` after it was kept: every section stale by that much
    /// more (an unavailable one stays unavailable). The SDK and the mini-app bridge show a kept
    /// screen this way.
    pub fn aged(mut self, age_secs: u64) -> Self {
        for section in &mut self.sections {
            section.status = match std::mem::replace(&mut section.status, SectionStatus::Fresh) {
                SectionStatus::Fresh => SectionStatus::Stale { age_secs },
                SectionStatus::Stale { age_secs: before } => SectionStatus::Stale {
                    age_secs: before + age_secs,
                },
                unavailable @ SectionStatus::Unavailable { .. } => unavailable,
            };
        }
        self
    }
}

/// One section of a home screen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "UntypedHomeSection")]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct HomeSection {
    /// Stable id, e.g. `household_register`.
    pub id: String,
    /// The department that holds the record, e.g. `public_security`.
    pub department: String,
    /// Title for the screen, e.g. `户籍`.
    pub title: String,
    /// Fresh, stale (with its age) or unavailable (with a reason).
    pub status: SectionStatus,
    /// The record (personal numbers masked unless the session may see them), its shape given
    /// by `id` (see [`Record`]); `null` when the department has no record or the section is
    /// unavailable.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub data: Option<Record>,
}

/// A section as it arrives, before its record is typed by its id.
#[derive(Deserialize)]
struct UntypedHomeSection {
    id: String,
    department: String,
    title: String,
    status: SectionStatus,
    data: Option<serde_json::Value>,
}

impl From<UntypedHomeSection> for HomeSection {
    fn from(s: UntypedHomeSection) -> Self {
        let data = s.data.map(|value| {
            // A record that cannot be typed (a newer server) is kept as JSON, not an error: one
            // unknown section must not cost the screen.
            Record::from_section(&s.id, &value).unwrap_or(Record::Other(value))
        });
        Self {
            id: s.id,
            department: s.department,
            title: s.title,
            status: s.status,
            data,
        }
    }
}

/// How current a section is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SectionStatus {
    /// Fetched just now or within its freshness window.
    Fresh,
    /// From the cache, older than its freshness window.
    Stale {
        /// Seconds since the department answered.
        age_secs: u64,
    },
    /// Neither the department nor the cache could answer.
    Unavailable {
        /// Why, in words a person can read.
        reason: String,
    },
}
