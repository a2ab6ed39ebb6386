//! Turns what the platform says about a person into what the BFF stores: minimised, masked,
//! typed. Pure functions, tested without I/O.

use platform_api::{zlb, zzd};
use zhelikit_domain::api::{EnterpriseSummary, OfficialSummary, UserKind};
use zhelikit_domain::mask;

use crate::identity::platform::{PlatformError, PlatformUser};
use crate::personal_data::{id_number_owner, PersonalDataKeys};
use crate::storage::NewUser;

fn level(text: &str) -> Result<u8, PlatformError> {
    match text.trim() {
        "1" => Ok(1),
        "2" => Ok(2),
        "3" => Ok(3),
        other => Err(PlatformError::Malformed(format!(
            "authlevel {other:?} is not 1, 2 or 3"
        ))),
    }
}

fn masked(value: &str, f: fn(&str) -> String) -> Option<String> {
    (!value.is_empty()).then(|| f(value))
}

/// The user to store for what the platform said about them.
pub fn compose(keys: &PersonalDataKeys, user: &PlatformUser) -> Result<NewUser, PlatformError> {
    match user {
        PlatformUser::Personal(info) => from_personal(keys, info),
        PlatformUser::LegalPerson(info) => from_legal_person(keys, info),
        PlatformUser::MiniProgram(user) => from_miniprogram(keys, user),
        PlatformUser::Official { user, organisation } => Ok(from_official(user, organisation)),
    }
}

/// The subject of a legal-person user: the enterprise (by its USCC, the same whichever SSO entry
/// the user came through) and the acting person, so two employees acting for one company are two
/// users. The acting person's ID number enters only as a keyed pseudonym.
fn acting_subject(key: &PersonalDataKeys, uscc: &str, acting_id_number: &str) -> String {
    format!("{uscc}:{}", key.subject_pseudonym(acting_id_number))
}

/// A 浙里办 personal user.
pub fn from_personal(
    keys: &PersonalDataKeys,
    info: &zlb::PersonalUserInfo,
) -> Result<NewUser, PlatformError> {
    if info.userid.is_empty() {
        return Err(PlatformError::Malformed(
            "getUserInfo returned no userid".into(),
        ));
    }
    Ok(NewUser {
        kind: UserKind::Citizen,
        subject: info.userid.clone(),
        display_name: info.username.clone(),
        real_name_level: level(&info.authlevel)?,
        id_number_masked: masked(&info.idnum, mask::id_number),
        id_number_sealed: (!info.idnum.is_empty()).then(|| {
            keys.seal_id_number(
                &id_number_owner(UserKind::Citizen, &info.userid),
                &info.idnum,
            )
        }),
        phone_masked: masked(&info.mobile, mask::phone),
        enterprise: None,
        official: None,
    })
}

/// A 浙里办 legal-person user: the enterprise and who acts for it.
pub fn from_legal_person(
    key: &PersonalDataKeys,
    info: &zlb::LegalPersonUserInfo,
) -> Result<NewUser, PlatformError> {
    if info.userid.is_empty() || info.creditcode.is_empty() {
        return Err(PlatformError::Malformed(
            "legal-person getUserInfo returned no userid or credit code".into(),
        ));
    }
    let subject = acting_subject(key, &info.creditcode, &info.attnidnum);
    Ok(NewUser {
        kind: UserKind::LegalPerson,
        display_name: info.attnname.clone(),
        real_name_level: level(&info.authlevel)?,
        id_number_masked: masked(&info.attnidnum, mask::id_number),
        id_number_sealed: (!info.attnidnum.is_empty()).then(|| {
            key.seal_id_number(
                &id_number_owner(UserKind::LegalPerson, &subject),
                &info.attnidnum,
            )
        }),
        subject,
        phone_masked: masked(&info.attnmobile, mask::phone),
        enterprise: Some(EnterpriseSummary {
            name: info.companyname.clone(),
            uscc: info.creditcode.clone(),
            legal_representative: mask::name(&info.legalperson),
        }),
        official: None,
    })
}

/// A mini-program user, personal or legal person.
pub fn from_miniprogram(
    key: &PersonalDataKeys,
    user: &zlb::MiniProgramUser,
) -> Result<NewUser, PlatformError> {
    match (
        user.user_type.as_str(),
        &user.person_info,
        &user.legal_person_info,
    ) {
        // An empty user id would make every such user one and the same.
        ("PERSON", Some(p), _) if p.user_id.trim().is_empty() => Err(PlatformError::Malformed(
            "mini-program user without a userId".into(),
        )),
        ("PERSON", Some(p), _) => Ok(NewUser {
            kind: UserKind::Citizen,
            subject: p.user_id.clone(),
            display_name: p.user_name.clone(),
            real_name_level: level(&p.auth_level.to_string())?,
            id_number_masked: masked(&p.id_no, mask::id_number),
            id_number_sealed: (!p.id_no.is_empty()).then(|| {
                key.seal_id_number(&id_number_owner(UserKind::Citizen, &p.user_id), &p.id_no)
            }),
            phone_masked: masked(&p.phone, mask::phone),
            enterprise: None,
            official: None,
        }),
        ("LEGAL_PERSON", _, Some(l)) if l.unified_social_id.trim().is_empty() => Err(
            PlatformError::Malformed("mini-program legal person without a credit code".into()),
        ),
        ("LEGAL_PERSON", _, Some(l)) => {
            let subject = acting_subject(key, &l.unified_social_id, &l.attn_id_no);
            Ok(NewUser {
                kind: UserKind::LegalPerson,
                id_number_sealed: (!l.attn_id_no.is_empty()).then(|| {
                    key.seal_id_number(
                        &id_number_owner(UserKind::LegalPerson, &subject),
                        &l.attn_id_no,
                    )
                }),
                subject,
                display_name: l.attn_name.clone(),
                real_name_level: level(&l.auth_level.to_string())?,
                id_number_masked: masked(&l.attn_id_no, mask::id_number),
                phone_masked: masked(&l.attn_phone, mask::phone),
                enterprise: Some(EnterpriseSummary {
                    name: l.name.clone(),
                    uscc: l.unified_social_id.clone(),
                    legal_representative: mask::name(&l.principal),
                }),
                official: None,
            })
        }
        (other, _, _) => Err(PlatformError::Malformed(format!(
            "userType {other:?} without its info"
        ))),
    }
}

/// A 浙政钉 official. Officials are identified by their organisation, which vouches for them,
/// so they count as the highest real-name level.
pub fn from_official(user: &zzd::AppUser, organisation: &zzd::Organisation) -> NewUser {
    NewUser {
        kind: UserKind::Official,
        subject: user.account_id.to_string(),
        display_name: user.nick_name_cn.clone(),
        real_name_level: 3,
        id_number_masked: None,
        id_number_sealed: None,
        phone_masked: None,
        enterprise: None,
        official: Some(OfficialSummary {
            organisation_code: organisation.organization_code.clone(),
            organisation_name: organisation.organization_name.clone(),
            employee_code: user.employee_code.clone(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_personal_user_is_stored_masked() {
        let info = zlb::PersonalUserInfo {
            userid: "u1".into(),
            username: "张三".into(),
            idnum: "330302199001011234".into(),
            mobile: "13812345678".into(),
            authlevel: "2".into(),
            ..Default::default()
        };
        let keys = PersonalDataKeys::for_tests(b"k");
        let user = from_personal(&keys, &info).unwrap();
        let sealed = user.id_number_sealed.clone().expect("sealed");
        assert!(
            !sealed.windows(6).any(|w| w == b"330302"),
            "sealed, not in clear"
        );
        assert_eq!(
            keys.open_id_number("citizen:u1", &sealed).as_deref(),
            Some("330302199001011234")
        );
        assert_eq!(
            keys.open_id_number("citizen:u2", &sealed),
            None,
            "moved to another user's row, it does not open"
        );
        assert_eq!(user.id_number_masked.as_deref(), Some("330302********1234"));
        assert_eq!(user.phone_masked.as_deref(), Some("138****5678"));
        assert_eq!(user.real_name_level, 2);
    }

    #[test]
    fn a_mini_program_user_without_a_user_id_is_refused() {
        let user: zlb::MiniProgramUser = serde_json::from_value(serde_json::json!({
            "userType": "PERSON",
            "personInfo": {"userId": "", "userName": "张三", "idType": "111", "idNo": "330302199001011234",
                           "phone": "", "authLevel": 3}
        }))
        .expect("fixture");
        assert!(matches!(
            from_miniprogram(&PersonalDataKeys::for_tests(b"k"), &user),
            Err(PlatformError::Malformed(_))
        ));
    }

    #[test]
    fn an_unknown_authlevel_is_a_malformed_answer() {
        let info = zlb::PersonalUserInfo {
            userid: "u1".into(),
            authlevel: "9".into(),
            ..Default::default()
        };
        assert!(matches!(
            from_personal(&PersonalDataKeys::for_tests(b"k"), &info),
            Err(PlatformError::Malformed(_))
        ));
    }

    #[test]
    fn two_people_acting_for_one_enterprise_are_two_users_and_no_id_is_in_the_subject() {
        let mut info = zlb::LegalPersonUserInfo {
            userid: "e1".into(),
            creditcode: "91350100M000100Y43".into(),
            attnidnum: "330302199001011234".into(),
            authlevel: "3".into(),
            legalperson: "李四".into(),
            ..Default::default()
        };
        let key = PersonalDataKeys::for_tests(b"k");
        let first = from_legal_person(&key, &info).unwrap();
        info.attnidnum = "330302199001015678".into();
        let second = from_legal_person(&key, &info).unwrap();
        assert_ne!(
            from_legal_person(&PersonalDataKeys::for_tests(b"other"), &info)
                .unwrap()
                .subject,
            second.subject,
            "keyed"
        );
        assert_ne!(first.subject, second.subject);
        assert!(!first.subject.contains("1990"));
        assert_eq!(first.enterprise.unwrap().legal_representative, "李*");
    }
}
