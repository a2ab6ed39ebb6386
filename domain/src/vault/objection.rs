//! What the citizen can do about their vault's history (EUDI dashboard rules): **complain**
//! about an entry (a presentation they did not make, a bank fetch they did not expect) and ask a
//! data consumer to **delete** what it received under a consent. A complaint is kept for the
//! platform's service desk; a deletion request is sent to the consumer's webhook as a signed
//! notice ([`crate::vault::consent::NoticeEvent::DeletionRequested`]).
//!
//! A complaint about a device's history entry carries the entry as the device holds it (its
//! body and SM3 hash): the server checks the hash, so what the desk reads is the entry the
//! citizen's chain holds, values never included.

use serde::{Deserialize, Serialize};

use crate::input::{invalid as refuse, Invalid};
use crate::vault::history::{hash_of, HistoryEntry};

/// Longest message, in characters.
pub const MAX_MESSAGE_CHARS: usize = 500;

/// What the citizen raises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ObjectionKind {
    /// 投诉: something in the history should not have happened.
    Complaint,
    /// 删除申请: the consumer must delete what it received under a consent.
    Deletion,
}

/// Body of `POST /v1/vault/objections`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RaiseObjection {
    /// Made once on the device; a retry with it is the same objection. 8–64 letters, digits or `-`.
    pub request_id: String,
    /// A complaint or a deletion request.
    pub kind: ObjectionKind,
    /// The consent it is about (a deletion request needs one).
    pub consent_id: Option<String>,
    /// The device's history entry it is about (a complaint needs this or a consent).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub entry: Option<HistoryEntry>,
    /// What the citizen says (2–500 characters).
    pub message: String,
}

impl RaiseObjection {
    /// Checks every field; the first wrong one is named. Pure.
    pub fn check(&self) -> Result<(), Invalid> {
        crate::input::request_id(&self.request_id)?;
        let message = self.message.trim().chars().count();
        if !(2..=MAX_MESSAGE_CHARS).contains(&message) {
            return Err(refuse(
                "message",
                format!("请写明情况（2–{MAX_MESSAGE_CHARS} 个字）"),
                format!("say what happened (2–{MAX_MESSAGE_CHARS} characters)"),
            ));
        }
        match (self.kind, &self.consent_id, &self.entry) {
            (ObjectionKind::Deletion, None, _) => Err(refuse(
                "consent_id",
                "删除申请须指明是哪一项授权下取得的数据",
                "a deletion request names the consent the data was had under",
            )),
            (ObjectionKind::Complaint, None, None) => Err(refuse(
                "entry",
                "投诉须指明是哪一条使用记录或哪一项授权",
                "a complaint names a history entry or a consent",
            )),
            (_, _, Some(entry)) if hash_of(&entry.body) != entry.hash => Err(refuse(
                "entry",
                "该使用记录与其校验值不符",
                "the history entry does not match its hash",
            )),
            _ => Ok(()),
        }
    }
}

/// The id of an objection: the same for the same person's same `request_id`. 32 hex digits.
pub fn objection_id(user_id: &str, request_id: &str) -> String {
    super::request_key("zhelikit-objection", user_id, request_id)
}

/// Where an objection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ObjectionStatus {
    /// A complaint kept for the service desk.
    Received,
    /// A deletion request on its way to the consumer.
    Forwarding,
    /// The consumer acknowledged the deletion request.
    Forwarded,
    /// The consumer could not be reached after every attempt.
    ForwardFailed,
}

impl ObjectionStatus {
    /// What the citizen reads.
    pub fn zh(self) -> &'static str {
        match self {
            Self::Received => "已受理，平台将在 15 个工作日内答复",
            Self::Forwarding => "正在转交数据使用方",
            Self::Forwarded => "数据使用方已收到删除要求",
            Self::ForwardFailed => "暂未送达数据使用方，平台将人工跟进",
        }
    }

    /// A deletion request's status from its job's (`pending`, `running`, `done`, `dead`).
    pub fn of_job(job_status: &str) -> Self {
        match job_status {
            "done" => Self::Forwarded,
            "dead" => Self::ForwardFailed,
            _ => Self::Forwarding,
        }
    }
}

/// An objection as its citizen sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Objection {
    /// Its id.
    pub id: String,
    /// A complaint or a deletion request.
    pub kind: ObjectionKind,
    /// The consent it is about.
    pub consent_id: Option<String>,
    /// The history entry it is about: its place and hash.
    pub entry_seq: Option<u64>,
    /// The entry's SM3 hash.
    pub entry_hash: Option<String>,
    /// Who it is about (a consumer, a verifier, a department).
    pub counterpart: Option<String>,
    /// What the citizen said.
    pub message: String,
    /// Where it stands.
    pub status: ObjectionStatus,
    /// The status as the citizen reads it.
    pub status_text: String,
    /// When raised (seconds since the epoch).
    pub raised_at: i64,
}

/// Something the platform did for the citizen with no device involved (a bank's fetch under a
/// consent, a department's decision), as the citizen's history shows it: names, never values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServerActivity {
    /// When (seconds since the epoch).
    pub at: i64,
    /// `consent_fetched`, `consent_changed`, `correction_decided` …
    pub event: String,
    /// Who (the consumer's id, the department), when known.
    pub counterpart: Option<String>,
    /// What (the certificate kinds fetched, the new status, the outcome).
    pub detail: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::history::{next, Happened, HistoryEvent};

    fn entry() -> HistoryEntry {
        next(
            None,
            Happened {
                at: 1,
                event: HistoryEvent::Shared,
                kind: "resident_id".into(),
                counterpart: "zk-demo-verifier".into(),
                purpose: None,
                requested: vec!["age_over_18".into()],
                disclosed: vec!["age_over_18".into()],
                outcome: "ok".into(),
            },
        )
    }

    fn complaint() -> RaiseObjection {
        RaiseObjection {
            request_id: "obj-12345678".into(),
            kind: ObjectionKind::Complaint,
            consent_id: None,
            entry: Some(entry()),
            message: "这次核验不是我本人发起的".into(),
        }
    }

    #[test]
    fn an_objection_names_what_it_is_about_and_its_entry_must_be_unaltered() {
        assert_eq!(complaint().check(), Ok(()));
        let field = |o: RaiseObjection| o.check().unwrap_err().field;
        let mut altered = complaint();
        if let Some(e) = altered.entry.as_mut() {
            e.body.what.disclosed.push("id_number".into());
        }
        assert_eq!(field(altered), "entry");
        assert_eq!(
            field(RaiseObjection {
                entry: None,
                ..complaint()
            }),
            "entry"
        );
        assert_eq!(
            field(RaiseObjection {
                kind: ObjectionKind::Deletion,
                ..complaint()
            }),
            "consent_id"
        );
        assert_eq!(
            RaiseObjection {
                kind: ObjectionKind::Deletion,
                consent_id: Some("c1".into()),
                entry: None,
                ..complaint()
            }
            .check(),
            Ok(())
        );
        assert_eq!(
            field(RaiseObjection {
                message: "x".into(),
                ..complaint()
            }),
            "message"
        );
        assert_eq!(
            field(RaiseObjection {
                request_id: "no".into(),
                ..complaint()
            }),
            "request_id"
        );
    }

    #[test]
    fn a_deletion_request_stands_as_its_delivery_does() {
        assert_eq!(
            ObjectionStatus::of_job("pending"),
            ObjectionStatus::Forwarding
        );
        assert_eq!(
            ObjectionStatus::of_job("running"),
            ObjectionStatus::Forwarding
        );
        assert_eq!(ObjectionStatus::of_job("done"), ObjectionStatus::Forwarded);
        assert_eq!(
            ObjectionStatus::of_job("dead"),
            ObjectionStatus::ForwardFailed
        );
    }
}
