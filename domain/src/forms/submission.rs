//! 一表通 · 一件事 on the wire: the forms a person may fill, a finalized submission as the
//! device's outbox sends it, where it stands (one joint status and each department's), and
//! what passes between ZheliKit and the departments (the filing of a part, the department's
//! signed status). Shared by the BFF, the SDK and the mock departments; the rules that decide
//! a status are here too, pure.
//!
//! Exactly once: a submission carries the device's `client_id`, its `seq` in that client's
//! outbox and an `instance_id` made when the person finalized it. The server applies an
//! instance once; the same instance sent again (a retry after a lost answer, a process killed
//! mid-send) gets the first answer back, and a different body under the same instance is a
//! conflict. `seq` only grows per client, so a send from before one already applied is known
//! for what it is.

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use super::definition::FormDefinition;
use crate::gm;
use crate::vault::IssuerKeySet;

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// Whether a form version takes drafts and submissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FormStatus {
    /// Offered and taking submissions.
    Open,
    /// A newer version is open: no new drafts on this one, but drafts begun on it may still
    /// be submitted (a person offline for a week does not lose their work).
    Closing,
    /// Takes nothing more.
    Closed,
}

impl FormStatus {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Closing => "closing",
            Self::Closed => "closed",
        }
    }

    /// Inverse of [`Self::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Open, Self::Closing, Self::Closed]
            .into_iter()
            .find(|f| f.as_str() == s)
    }

    /// Whether a submission on this version is taken.
    pub fn takes_submissions(self) -> bool {
        self != Self::Closed
    }
}

/// A form as the catalogue lists it: its open version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct FormSummary {
    /// Its id.
    pub id: String,
    /// Its open version.
    pub version: u32,
    /// Its title, zh-CN.
    pub title: String,
    /// The departments an application reaches (一件事), by code, in order.
    pub departments: Vec<String>,
}

/// `GET /v1/forms`: the forms the person may fill.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct FormCatalogue {
    /// The forms, by id.
    pub forms: Vec<FormSummary>,
}

/// `GET /v1/forms/{form_id}` (the open version) and `…/versions/{version}`: a version of a
/// form, to fill (and keep for offline use: `digest` says whether a kept copy is current).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct FormDocument {
    /// Where the version stands.
    pub status: FormStatus,
    /// SM3 of the definition as published, hex.
    pub digest: String,
    /// The definition (id, version, title, fields, choices, routing).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub definition: FormDefinition,
}

/// `POST /v1/forms/{form_id}/submissions`: a finalized submission, as the outbox sends it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct SubmissionRequest {
    /// The device's outbox (made once per installation).
    pub client_id: String,
    /// Its place in that outbox: grows by one per finalized submission.
    pub seq: u64,
    /// Made when the person finalized it (`uuid:…`); the submission's id from then on.
    pub instance_id: String,
    /// The form version it was filled on.
    pub version: u32,
    /// The answers.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub answers: Json,
    /// The submission this one corrects (a department sent a part back): it must be the
    /// latest of its line, or the edit is stale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supersedes: Option<String>,
}

impl SubmissionRequest {
    /// SM3 of what the submission says (form, version, answers, what it supersedes — not
    /// which outbox or place carried it), hex: two sends of one instance must agree on it.
    pub fn digest(&self, form_id: &str) -> String {
        let said = serde_json::json!({
            "form_id": form_id,
            "version": self.version,
            "answers": self.answers,
            "supersedes": self.supersedes,
        });
        // serde_json's map is ordered by key: the same answers always print the same.
        hex(&gm::sm3(said.to_string().as_bytes()))
    }
}

/// SM3 of `value`'s JSON, hex (a part's answers, a definition).
pub fn json_digest(value: &impl Serialize) -> String {
    hex(&gm::sm3(
        serde_json::to_string(value).unwrap_or_default().as_bytes(),
    ))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Where one department's part stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PartStatus {
    /// Not yet delivered to the department (queued, or the department is down).
    Pending,
    /// The department has it (受理中).
    Received,
    /// The department accepted it and is handling it (已受理).
    Accepted,
    /// The department sent it back, with its reason (退回补正).
    Rejected,
    /// The department finished it (办结).
    Completed,
}

/// What a department's status does to a part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The part moves on.
    Moved,
    /// The part is there already (the same status twice): nothing to do.
    Same,
    /// The part is further on already (a late or reordered message): nothing to do.
    Behind,
    /// The status contradicts the part's (accepted after rejected …): refused.
    Contradicts,
}

impl PartStatus {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Received => "received",
            Self::Accepted => "accepted",
            Self::Rejected => "rejected",
            Self::Completed => "completed",
        }
    }

    /// Inverse of [`Self::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Pending,
            Self::Received,
            Self::Accepted,
            Self::Rejected,
            Self::Completed,
        ]
        .into_iter()
        .find(|p| p.as_str() == s)
    }

    /// What the person reads.
    pub fn zh(self) -> &'static str {
        match self {
            Self::Pending => "待送达",
            Self::Received => "已送达",
            Self::Accepted => "已受理",
            Self::Rejected => "退回补正",
            Self::Completed => "已办结",
        }
    }

    /// Received, then accepted or rejected, then (accepted) completed. Departments answer
    /// asynchronously and a message may come late, so a status behind the part's is ignored
    /// rather than refused; a rejection and an acceptance of one part contradict.
    pub fn step(self, to: PartStatus) -> Step {
        use PartStatus::*;
        if self == to {
            return Step::Same;
        }
        match (self, to) {
            (Pending, _) if to != Pending => Step::Moved,
            (Received, Accepted | Rejected | Completed) => Step::Moved,
            (Accepted, Completed) => Step::Moved,
            (Rejected, Accepted | Completed) | (Accepted | Completed, Rejected) => {
                Step::Contradicts
            }
            _ => Step::Behind,
        }
    }
}

/// Where a whole application stands, from its parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum JointStatus {
    /// Taken; no department has it yet.
    Submitted,
    /// At least one department has it; none sent it back.
    InProgress,
    /// A department sent its part back: the person corrects it and submits again.
    ActionNeeded,
    /// Every department finished.
    Completed,
    /// A correction of it was submitted: that one is followed now.
    Superseded,
}

impl JointStatus {
    /// What the person reads.
    pub fn zh(self) -> &'static str {
        match self {
            Self::Submitted => "已提交",
            Self::InProgress => "办理中",
            Self::ActionNeeded => "需补正",
            Self::Completed => "已办结",
            Self::Superseded => "已重新提交",
        }
    }

    /// The joint status of an application whose parts stand at `parts` (and that was
    /// `superseded` or not).
    pub fn of(parts: &[PartStatus], superseded: bool) -> Self {
        if superseded {
            Self::Superseded
        } else if parts.contains(&PartStatus::Rejected) {
            Self::ActionNeeded
        } else if !parts.is_empty() && parts.iter().all(|p| *p == PartStatus::Completed) {
            Self::Completed
        } else if parts.iter().any(|p| *p != PartStatus::Pending) {
            Self::InProgress
        } else {
            Self::Submitted
        }
    }
}

/// One department's part of a submission, as the applicant sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PartView {
    /// The department, by code.
    pub department: String,
    /// Its name (市场监管 …).
    pub department_name: String,
    /// What it does with the part (设立登记 …).
    pub title: String,
    /// Where the part stands.
    pub status: PartStatus,
    /// The department's reason (a rejection's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The department's case number (受理编号), once it has the part.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_number: Option<String>,
    /// When the part last changed (seconds since the epoch).
    pub updated_at: i64,
}

/// A submission and where it stands: the answer to a submission (and to each replay of it)
/// and to `GET /v1/forms/submissions/{instance_id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Submission {
    /// Its id.
    pub instance_id: String,
    /// The form.
    pub form_id: String,
    /// The version it was filled on.
    pub version: u32,
    /// The form's title.
    pub title: String,
    /// SM3 of what it says ([`SubmissionRequest::digest`]).
    pub digest: String,
    /// Where the whole application stands.
    pub status: JointStatus,
    /// Each department's part.
    pub parts: Vec<PartView>,
    /// When it was taken (seconds since the epoch).
    pub received_at: i64,
    /// The submission it corrects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supersedes: Option<String>,
    /// The submission that corrects it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub superseded_by: Option<String>,
}

/// `GET /v1/forms/submissions`: the person's submissions, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct SubmissionList {
    /// The submissions.
    pub submissions: Vec<Submission>,
}

/// The reference of a part as filed with its department: the submission and the department.
pub fn part_reference(instance_id: &str, department: &str) -> String {
    format!("{instance_id}.{department}")
}

/// Who applies, as a department needs to know.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Applicant {
    /// `citizen` or `legal_person`.
    pub kind: String,
    /// The person's name.
    pub name: String,
    /// The person's resident ID number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_number: Option<String>,
    /// The enterprise a legal person acts for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uscc: Option<String>,
}

/// A part filed with its department's intake (the department operation's body).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IntakeFiling {
    /// The part's reference ([`part_reference`]); the department files each once.
    pub reference: String,
    /// The form.
    pub form_id: String,
    /// Its version.
    pub version: u32,
    /// The form's title.
    pub form_title: String,
    /// The part's title.
    pub part_title: String,
    /// Who applies.
    pub applicant: Applicant,
    /// The part's answers: only the fields this department needs.
    pub answers: Json,
    /// The reference of the part this one corrects, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrects: Option<String>,
}

/// The department's receipt of a filing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IntakeReceipt {
    /// The filing's reference.
    pub reference: String,
    /// The department's case number (受理编号).
    pub case_number: String,
}

/// The `typ` of a department's signed status of a part.
pub const INTAKE_STATUS_TYP: &str = "zhelikit-intake-status+jwt";

/// A department's status of a part, signed with its issuer key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntakeStatus {
    /// The issuer (the department's `iss`).
    pub iss: String,
    /// The part's reference.
    pub reference: String,
    /// Received, accepted, rejected or completed.
    pub status: PartStatus,
    /// Why (a rejection must say).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The department's case number (受理编号).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_number: Option<String>,
    /// When the department said it (seconds since the epoch).
    pub iat: i64,
}

/// `POST /v1/forms/intake-status`: a department's status of a part.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct IntakeCallback {
    /// The status, a compact JWS ([`INTAKE_STATUS_TYP`]) signed with the department's issuer
    /// key.
    pub status: String,
}

/// Signs `status` as the department whose issuer key is `key` (`kid`).
pub fn sign_intake_status(status: &IntakeStatus, key: &gm::Sm2PrivateKey, kid: &str) -> String {
    let header = serde_json::json!({"alg": gm::JWS_ALG, "typ": INTAKE_STATUS_TYP, "kid": kid});
    gm::sign_jws(
        key,
        &header,
        &serde_json::to_vec(status).unwrap_or_default(),
    )
}

/// Reads a department's status of a part, checked against the issuer keys in `issuers`. A
/// rejection must give its reason; `pending` is ZheliKit's, never a department's.
pub fn verify_intake_status(token: &str, issuers: &[IssuerKeySet]) -> Result<IntakeStatus, String> {
    let jws = gm::Jws::parse(token)?;
    if jws.header.get("typ").and_then(|t| t.as_str()) != Some(INTAKE_STATUS_TYP) {
        return Err(format!("not a {INTAKE_STATUS_TYP}"));
    }
    let status: IntakeStatus =
        serde_json::from_slice(&jws.payload).map_err(|e| format!("the status's body: {e}"))?;
    crate::vault::verify_issued_by(&jws, &status.iss, issuers)?;
    if status.status == PartStatus::Pending {
        return Err("a department does not send pending".into());
    }
    if status.status == PartStatus::Rejected
        && status.reason.as_deref().is_none_or(|r| r.trim().is_empty())
    {
        return Err("a rejection must give its reason".into());
    }
    Ok(status)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gm::Sm2PrivateKey;
    use PartStatus::*;

    #[test]
    fn a_part_moves_forward_only_and_contradictions_are_refused() {
        assert_eq!(Pending.step(Received), Step::Moved);
        assert_eq!(
            Pending.step(Accepted),
            Step::Moved,
            "received may come late"
        );
        assert_eq!(Received.step(Rejected), Step::Moved);
        assert_eq!(Accepted.step(Completed), Step::Moved);
        assert_eq!(Accepted.step(Accepted), Step::Same);
        assert_eq!(Accepted.step(Received), Step::Behind);
        assert_eq!(Completed.step(Accepted), Step::Behind);
        assert_eq!(Rejected.step(Accepted), Step::Contradicts);
        assert_eq!(Completed.step(Rejected), Step::Contradicts);
        assert_eq!(Received.step(Pending), Step::Behind);
    }

    #[test]
    fn the_joint_status_follows_the_parts() {
        assert_eq!(
            JointStatus::of(&[Pending, Pending], false),
            JointStatus::Submitted
        );
        assert_eq!(
            JointStatus::of(&[Received, Pending], false),
            JointStatus::InProgress
        );
        assert_eq!(
            JointStatus::of(&[Completed, Rejected], false),
            JointStatus::ActionNeeded
        );
        assert_eq!(
            JointStatus::of(&[Completed, Completed], false),
            JointStatus::Completed
        );
        assert_eq!(
            JointStatus::of(&[Completed, Accepted], false),
            JointStatus::InProgress
        );
        assert_eq!(JointStatus::of(&[Rejected], true), JointStatus::Superseded);
    }

    #[test]
    fn the_digest_covers_what_is_said_not_who_carried_it() {
        let request = |client: &str, seq: u64, answers: Json| SubmissionRequest {
            client_id: client.into(),
            seq,
            instance_id: "uuid:1".into(),
            version: 2,
            answers,
            supersedes: None,
        };
        let a = request("c1", 1, serde_json::json!({"a": 1, "b": "x"}));
        let b = request("c2", 9, serde_json::json!({"b": "x", "a": 1}));
        assert_eq!(a.digest("f"), b.digest("f"));
        assert_ne!(a.digest("f"), a.digest("g"));
        let c = request("c1", 1, serde_json::json!({"a": 2, "b": "x"}));
        assert_ne!(a.digest("f"), c.digest("f"));
    }

    #[test]
    fn a_status_verifies_only_under_its_departments_key() {
        let key = Sm2PrivateKey::generate();
        let mut jwk = key.public_key().to_jwk();
        jwk.kid = Some("k1".into());
        let issuers = vec![IssuerKeySet {
            issuer: "https://tax.example".into(),
            department: "taxation".into(),
            keys: vec![jwk],
            spki_pem: Default::default(),
        }];
        let status = IntakeStatus {
            iss: "https://tax.example".into(),
            reference: "uuid:1.taxation".into(),
            status: Accepted,
            reason: None,
            case_number: Some("SW20261206000001".into()),
            iat: 1,
        };
        let token = sign_intake_status(&status, &key, "k1");
        assert_eq!(verify_intake_status(&token, &issuers), Ok(status.clone()));
        let other = sign_intake_status(&status, &Sm2PrivateKey::generate(), "k1");
        assert!(verify_intake_status(&other, &issuers).is_err());
        let claims_other_issuer = IntakeStatus {
            iss: "https://police.example".into(),
            ..status.clone()
        };
        assert!(verify_intake_status(
            &sign_intake_status(&claims_other_issuer, &key, "k1"),
            &issuers
        )
        .is_err());
        let bare_rejection = IntakeStatus {
            status: Rejected,
            reason: Some(" ".into()),
            ..status
        };
        assert_eq!(
            verify_intake_status(&sign_intake_status(&bare_rejection, &key, "k1"), &issuers),
            Err("a rejection must give its reason".into())
        );
    }
}
