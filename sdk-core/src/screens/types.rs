//! What the screens hand the app: the home screen and its sections, converted from the wire.

use zhelikit_domain::api;

use crate::identity::UserKind;
use crate::screens::records::SectionRecord;

/// How current a section is.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum SectionStatus {
    /// Fetched just now (or within its freshness window) by ZheliKit.
    Fresh,
    /// Older than its freshness window: from ZheliKit's cache, or from this device while
    /// offline.
    Stale {
        /// Seconds since the department answered.
        age_secs: u64,
    },
    /// The department could not answer and nothing was cached.
    Unavailable {
        /// Why, in words to show the user.
        reason: String,
    },
}

/// One section of the home screen.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct HomeSection {
    /// Stable id, e.g. `household_register`, `driving_licence`, `enterprise_registration`.
    pub id: String,
    /// The department holding the record, e.g. `public_security`.
    pub department: String,
    /// Title to show, e.g. `户籍`.
    pub title: String,
    /// Fresh, stale (with its age) or unavailable (with a reason).
    pub status: SectionStatus,
    /// The record, typed (personal numbers masked unless the mini-app has `vault.read`);
    /// `None` when the department has no record or the section is unavailable.
    pub record: Option<SectionRecord>,
}

/// The home screen.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct HomeScreen {
    /// Citizen or legal person.
    pub kind: UserKind,
    /// When ZheliKit assembled it, milliseconds since the epoch.
    pub fetched_at_ms: i64,
    /// True when this is the last screen kept on the device, shown because ZheliKit could not
    /// be reached; every section is then marked stale.
    pub offline: bool,
    /// The sections, in display order.
    pub sections: Vec<HomeSection>,
}

fn kind(kind: api::UserKind) -> UserKind {
    match kind {
        api::UserKind::Citizen => UserKind::Citizen,
        api::UserKind::LegalPerson => UserKind::LegalPerson,
        api::UserKind::Official => UserKind::Official,
    }
}

/// The SDK's view of a screen from the BFF; `offline_age_secs` marks every section stale.
pub(crate) fn from_wire(wire: api::HomeScreen, offline_age_secs: Option<u64>) -> HomeScreen {
    let wire = match offline_age_secs {
        Some(age) => wire.aged(age),
        None => wire,
    };
    let sections = wire
        .sections
        .into_iter()
        .map(|s| HomeSection {
            status: match s.status {
                api::SectionStatus::Fresh => SectionStatus::Fresh,
                api::SectionStatus::Stale { age_secs } => SectionStatus::Stale { age_secs },
                api::SectionStatus::Unavailable { reason } => SectionStatus::Unavailable { reason },
            },
            record: s.data.map(SectionRecord::from),
            id: s.id,
            department: s.department,
            title: s.title,
        })
        .collect();
    HomeScreen {
        kind: kind(wire.kind),
        fetched_at_ms: wire.generated_at_ms,
        offline: offline_age_secs.is_some(),
        sections,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zhelikit_domain::records::{EnterpriseCredit, Record};

    #[test]
    fn offline_marks_every_section_stale_by_the_screens_age() {
        let wire = api::HomeScreen {
            kind: api::UserKind::Citizen,
            generated_at_ms: 0,
            sections: vec![
                api::HomeSection {
                    id: "a".into(),
                    department: "d".into(),
                    title: "t".into(),
                    status: api::SectionStatus::Fresh,
                    data: Some(Record::EnterpriseCredit(EnterpriseCredit {
                        rating: "A".into(),
                        abnormal_operations: false,
                        penalties: 0,
                    })),
                },
                api::HomeSection {
                    id: "b".into(),
                    department: "d".into(),
                    title: "t".into(),
                    status: api::SectionStatus::Stale { age_secs: 5 },
                    data: None,
                },
                api::HomeSection {
                    id: "c".into(),
                    department: "d".into(),
                    title: "t".into(),
                    status: api::SectionStatus::Unavailable { reason: "r".into() },
                    data: None,
                },
            ],
        };
        let screen = from_wire(wire, Some(60));
        assert!(screen.offline);
        assert_eq!(
            screen.sections[0].status,
            SectionStatus::Stale { age_secs: 60 }
        );
        assert_eq!(
            screen.sections[1].status,
            SectionStatus::Stale { age_secs: 65 }
        );
        assert_eq!(
            screen.sections[2].status,
            SectionStatus::Unavailable { reason: "r".into() }
        );
        assert!(matches!(
            &screen.sections[0].record,
            Some(SectionRecord::EnterpriseCredit { record }) if record.rating == "A"
        ));
    }
}
