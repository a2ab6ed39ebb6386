use std::fmt::Debug;

use chrono::Utc;
use platform_api::departments::{
    CertificateKind, CertificateQuery, Department, IssuedCertificate, IssuerKeySet, StatusListToken,
};
use platform_api::departments::{
    Contributions, DeptResponse, DrivingLicence, EducationRecord, EnterpriseCredit,
    EnterpriseQualifications, EnterpriseRegister, EnterpriseRegistration, EnterpriseSocialSecurity,
    EnterpriseTax, HealthCard, HouseholdRegister, Operation, ResidentIdCard, SocialSecurityCard,
    Vehicles, CODE_NOT_FOUND, CODE_OK,
};
use platform_api::irs::GatewayError;
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use serde_json::Value;
use zhelikit_domain::gm::{Sm2PrivateKey, Sm2PublicKey};
use zhelikit_domain::vault::catalogue::status_list_uri;
use zhelikit_domain::vault::sd_jwt::{
    present, verify, Expectation, PresentationRequest, StatusCheck, VerifyError,
};
use zhelikit_domain::vault::status_list::{self, VerifiedStatusList};
use zhelikit_domain::{ResidentId, Uscc};

use crate::common::{start, Mock};

/// Parses an answer as the envelope of `T`: fails when a field of the payload is missing or has
/// the wrong type.
fn typed<T: DeserializeOwned + Debug>(answer: &Value) -> DeptResponse<T> {
    serde_json::from_value(answer.clone()).unwrap_or_else(|e| {
        panic!(
            "not the envelope of {}: {e}\n{answer:#}",
            std::any::type_name::<T>()
        )
    })
}

/// Checks the payload of `operation` has its contract's shape.
fn has_the_shape_of_its_operation(operation: Operation, answer: &Value) {
    match operation {
        Operation::HouseholdRegister => drop(typed::<HouseholdRegister>(answer)),
        Operation::ResidentIdCard => drop(typed::<ResidentIdCard>(answer)),
        Operation::SocialSecurityCard => drop(typed::<SocialSecurityCard>(answer)),
        Operation::Contributions => drop(typed::<Contributions>(answer)),
        Operation::EnterpriseSocialSecurity => drop(typed::<EnterpriseSocialSecurity>(answer)),
        Operation::DrivingLicence => drop(typed::<DrivingLicence>(answer)),
        Operation::Vehicles => drop(typed::<Vehicles>(answer)),
        Operation::EnterpriseRegistration => drop(typed::<EnterpriseRegistration>(answer)),
        Operation::EnterpriseCredit => drop(typed::<EnterpriseCredit>(answer)),
        Operation::HealthCard => drop(typed::<HealthCard>(answer)),
        Operation::BirthRecord => drop(typed::<platform_api::departments::BirthRecord>(answer)),
        Operation::EducationRecord => drop(typed::<EducationRecord>(answer)),
        Operation::EnterpriseTax => drop(typed::<EnterpriseTax>(answer)),
        Operation::EnterpriseQualifications => drop(typed::<EnterpriseQualifications>(answer)),
        // Its own test below: its body is a page, not a subject.
        Operation::EnterpriseRegister => {}
        // Covered by the certificate tests below: their bodies and answers differ.
        Operation::Certificate(_)
        | Operation::IssuerKeys(_)
        | Operation::StatusList(_)
        | Operation::Correction(_) => {}
        // Covered by the forms tests: a filing, not a record.
        Operation::Intake(_) => {}
    }
}

/// The first fixture record (of the first 50) that has a record for `operation`.
async fn a_record_with(mock: &Mock, operation: Operation) -> (usize, Value) {
    for index in 0..50 {
        let answer = mock.department_call(operation, index).await;
        if answer["code"] == CODE_OK {
            return (index, answer);
        }
        assert_eq!(answer["code"], CODE_NOT_FOUND, "{answer}");
    }
    panic!("none of the first 50 records has a {}", operation.as_str());
}

#[tokio::test]
async fn every_operation_answers_its_payload_for_a_fixture_record_and_the_same_one_twice() {
    let mock = start().await;
    for operation in Operation::ALL
        .into_iter()
        .filter(|op| op.asks_about_a_subject())
    {
        let (index, first) = a_record_with(&mock, operation).await;
        has_the_shape_of_its_operation(operation, &first);
        let again = mock.department_call(operation, index).await;
        assert_eq!(first, again, "{}", operation.as_str());
    }
}

#[tokio::test]
async fn person_records_carry_the_fixture_s_name_id_and_birth_date() {
    let mock = start().await;
    let citizen = &mock.running.fixtures.citizens[0];
    let card = typed::<ResidentIdCard>(&mock.department_call(Operation::ResidentIdCard, 0).await)
        .data
        .expect("everyone has an ID card");
    assert_eq!(card.id_number, citizen.id_number);
    assert_eq!(card.name, citizen.name);
    assert_eq!(
        card.birth_date,
        citizen.birth_date.format("%Y-%m-%d").to_string()
    );
    assert!(card.address.starts_with("浙江省温州市"), "{}", card.address);
    let register =
        typed::<HouseholdRegister>(&mock.department_call(Operation::HouseholdRegister, 0).await)
            .data
            .expect("everyone has a household register entry");
    assert_eq!(
        register.address, card.address,
        "the register and the card agree"
    );
    assert!(register.members.iter().any(|m| m.name == citizen.name));
    let (index, answer) = a_record_with(&mock, Operation::DrivingLicence).await;
    let licence = typed::<DrivingLicence>(&answer).data.expect("a licence");
    assert_eq!(
        licence.licence_number,
        mock.running.fixtures.citizens[index].id_number
    );
}

#[tokio::test]
async fn enterprise_registration_carries_the_fixture_s_name_code_and_representative() {
    let mock = start().await;
    let fixtures = &mock.running.fixtures;
    let enterprise = &fixtures.enterprises[3];
    let registration = typed::<EnterpriseRegistration>(
        &mock
            .department_call(Operation::EnterpriseRegistration, 3)
            .await,
    )
    .data
    .expect("every enterprise is registered");
    assert_eq!(registration.name, enterprise.name);
    assert_eq!(registration.uscc, enterprise.uscc);
    assert_eq!(
        registration.legal_representative,
        fixtures.citizens[enterprise.legal_representative].name
    );
}

#[tokio::test]
async fn roughly_a_third_of_people_have_no_licence_or_education_record() {
    let mock = start().await;
    for operation in [Operation::DrivingLicence, Operation::EducationRecord] {
        let mut missing = 0;
        for index in 0..60 {
            let answer = mock.department_call(operation, index).await;
            if answer["code"] == CODE_NOT_FOUND {
                assert_eq!(answer["data"], Value::Null);
                missing += 1;
            }
        }
        assert!(
            (6..=36).contains(&missing),
            "{}: {missing} of 60",
            operation.as_str()
        );
    }
}

/// A well-formed ID number that no fixture citizen has.
fn stranger_id(mock: &Mock) -> String {
    (0..1000)
        .map(|sequence| {
            let first17 = format!("33030219900101{sequence:03}");
            let check = ResidentId::check_character(&first17).expect("digits");
            format!("{first17}{check}")
        })
        .find(|id| {
            mock.running
                .fixtures
                .citizens
                .iter()
                .all(|c| &c.id_number != id)
        })
        .expect("a free ID number")
}

/// A well-formed USCC that no fixture enterprise has.
fn stranger_uscc(mock: &Mock) -> String {
    (0..1000)
        .find_map(|n| {
            let body = format!("{n:08}");
            let org_check = Uscc::organisation_check_character(&body).ok()?;
            let first17 = format!("91330302{body}{org_check}");
            let check = Uscc::check_character(&first17).ok()?;
            let code = format!("{first17}{check}");
            mock.running
                .fixtures
                .enterprises
                .iter()
                .all(|e| e.uscc != code)
                .then_some(code)
        })
        .expect("a free USCC")
}

#[tokio::test]
async fn a_valid_but_unknown_person_or_enterprise_is_answered_no_record() {
    let mock = start().await;
    let person = serde_json::json!({ "idNumber": stranger_id(&mock) }).to_string();
    let answer = mock.department_raw(Operation::HealthCard, person).await;
    assert_eq!(answer["code"], CODE_NOT_FOUND);
    assert_eq!(answer["data"], Value::Null);
    let enterprise = serde_json::json!({ "uscc": stranger_uscc(&mock) }).to_string();
    let answer = mock
        .department_raw(Operation::EnterpriseCredit, enterprise)
        .await;
    assert_eq!(answer["code"], CODE_NOT_FOUND);
}

#[tokio::test]
async fn a_malformed_body_or_identifier_is_answered_40_naming_the_problem() {
    let mock = start().await;
    let cases = [
        (Operation::Contributions, "not json", "idNumber"),
        (
            Operation::Contributions,
            r#"{"uscc": "x"}"#,
            "missing field `idNumber`",
        ),
        (
            Operation::Contributions,
            r#"{"idNumber": "330302199001011234"}"#,
            "check character",
        ),
        (
            Operation::Vehicles,
            r#"{"idNumber": "12345"}"#,
            "18 characters",
        ),
        (
            Operation::EnterpriseRegistration,
            "{}",
            "missing field `uscc`",
        ),
        (
            Operation::EnterpriseRegistration,
            r#"{"uscc": "91330302ABCDEFGHIJ"}"#,
            "not a valid unified social credit code",
        ),
    ];
    for (operation, body, named) in cases {
        let answer = mock.department_raw(operation, body.to_string()).await;
        assert_eq!(answer["code"], "40", "{body}: {answer}");
        assert_eq!(answer["data"], Value::Null);
        let msg = answer["msg"].as_str().unwrap_or_default();
        assert!(msg.contains(named), "{body}: {msg}");
    }
}

#[tokio::test]
async fn an_unsigned_or_forged_department_request_is_refused_by_the_gateway_and_not_counted() {
    let mock = start().await;
    let operation = Operation::HealthCard;
    let unsigned = mock
        .http
        .post(mock.url(operation.path()))
        .json(&serde_json::json!({ "idNumber": mock.running.fixtures.citizens[0].id_number }))
        .send()
        .await
        .expect("sent");
    assert_eq!(unsigned.status(), StatusCode::BAD_REQUEST);
    let error: GatewayError = unsigned.json().await.expect("gateway error");
    assert_eq!(error.code, "IRS-400-BAD-AUTH-HEADER");

    let mut forger = mock.a.irs.clone();
    forger.secret_key = "not-the-secret".into();
    let mut forged = mock.http.post(mock.url(operation.path())).body("{}");
    for (name, value) in platform_api::irs::sign(&forger, "POST", operation.path(), "", Utc::now())
    {
        forged = forged.header(name, value);
    }
    let forged = forged.send().await.expect("sent");
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
    let error: GatewayError = forged.json().await.expect("gateway error");
    assert_eq!(error.code, "IRS-401-SIGNATURE");

    assert_eq!(
        mock.running
            .state
            .department_requests(operation.department()),
        0
    );
}

#[tokio::test]
async fn each_department_counts_its_own_requests() {
    let mock = start().await;
    for _ in 0..3 {
        mock.department_call(Operation::HealthCard, 0).await;
    }
    mock.department_call(Operation::Vehicles, 0).await;
    mock.department_raw(Operation::DrivingLicence, "garbage".into())
        .await;
    let state = &mock.running.state;
    use platform_api::departments::Department;
    assert_eq!(state.department_requests(Department::Health), 3);
    assert_eq!(state.department_requests(Department::Transport), 2);
    assert_eq!(state.department_requests(Department::Education), 0);
    let stats: Value = mock
        .http
        .get(mock.url(mock_platform::admin::DEPARTMENT_STATS_PATH))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("JSON");
    assert_eq!(stats["health"]["requests"], 3);
    assert_eq!(stats["transport"]["requests"], 2);
    assert_eq!(stats["public_security"]["requests"], 0);
    assert_eq!(
        stats.as_object().map(|o| o.len()),
        Some(Department::ALL.len())
    );
}

#[tokio::test]
async fn a_restarted_mock_with_the_same_seed_gives_the_same_records() {
    let (first, second) = (start().await, start().await);
    for operation in [
        Operation::HouseholdRegister,
        Operation::Contributions,
        Operation::EnterpriseRegistration,
    ] {
        assert_eq!(
            first.department_call(operation, 7).await,
            second.department_call(operation, 7).await,
            "{}",
            operation.as_str()
        );
    }
}

/// An issuance request for fixture citizen `index`, bound to `holder`.
fn certificate_request(mock: &Mock, index: usize, holder: &Sm2PrivateKey) -> String {
    serde_json::to_string(&CertificateQuery {
        id_number: mock.running.fixtures.citizens[index].id_number.clone(),
        holder_jwk: holder.public_key().to_jwk(),
    })
    .unwrap()
}

/// The issuer key set and verified status list of `department`.
async fn issuer_of(mock: &Mock, department: Department) -> (IssuerKeySet, VerifiedStatusList) {
    let keys = typed::<IssuerKeySet>(
        &mock
            .department_raw(Operation::IssuerKeys(department), "{}".into())
            .await,
    )
    .data
    .expect("keys");
    let key = Sm2PublicKey::from_jwk(&keys.keys[0]).expect("an SM2 JWK");
    assert_eq!(
        Sm2PublicKey::from_spki_pem(&keys.spki_pem[keys.keys[0].kid.as_deref().unwrap()]).unwrap(),
        key,
        "the PEM is the same key"
    );
    let token = typed::<StatusListToken>(
        &mock
            .department_raw(Operation::StatusList(department), "{}".into())
            .await,
    )
    .data
    .expect("status list")
    .token;
    let list = status_list::verify(&token, &key, &status_list_uri(department.as_str()))
        .expect("the list verifies under the published key");
    (keys, list)
}

#[tokio::test]
async fn each_department_issues_its_certificates_signed_sm2_bound_to_the_holder_and_revocable() {
    let mock = start().await;
    let holder = Sm2PrivateKey::generate();
    let mut issued_kinds = 0;
    for kind in CertificateKind::ALL {
        // The first of 30 citizens who have one (some have none of a kind).
        let mut found = None;
        for index in 0..30 {
            let answer = mock
                .department_raw(
                    Operation::Certificate(kind),
                    certificate_request(&mock, index, &holder),
                )
                .await;
            if answer["code"] == CODE_OK {
                found = Some(typed::<IssuedCertificate>(&answer).data.expect("data"));
                break;
            }
            assert_eq!(answer["code"], CODE_NOT_FOUND, "{kind:?}: {answer}");
        }
        let issued = found.unwrap_or_else(|| panic!("no citizen of 30 holds a {kind:?}"));
        issued_kinds += 1;
        let department = Operation::Certificate(kind).department();
        let (keys, list) = issuer_of(&mock, department).await;
        let key = Sm2PublicKey::from_jwk(&keys.keys[0]).unwrap();
        let disclose: Vec<String> = kind
            .default_disclosure()
            .iter()
            .map(|c| c.to_string())
            .collect();
        let now = Utc::now().timestamp();
        let shown = present(
            &issued.credential,
            &PresentationRequest {
                disclose: &disclose,
                audience: "test",
                nonce: "n",
                iat: now,
            },
            &holder,
        )
        .unwrap();
        let verified = verify(
            &shown,
            |iss, _| (iss == keys.issuer).then(|| key.clone()),
            |r| StatusCheck::Fresh(list.list.get(r.idx).expect("in the list")),
            &Expectation {
                audience: "test",
                nonce: Some("n"),
                now,
            },
        )
        .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
        assert_eq!(verified.vct, kind.vct());
        assert!(
            !verified.claims.contains_key("id_number"),
            "raw claims stay hidden by default"
        );
        assert!(verified.claims.contains_key("id_number_masked"));

        if kind == CertificateKind::DrivingLicence {
            // Revoked by the department: its next list says so.
            let response = mock
                .http
                .post(mock.url(mock_platform::admin::CERTIFICATE_STATUS_PATH))
                .json(&serde_json::json!({"credential": issued.credential, "status": "invalid"}))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::NO_CONTENT);
            let (_, after) = issuer_of(&mock, department).await;
            let revoked = verify(
                &shown,
                |_, _| Some(key.clone()),
                |r| StatusCheck::Fresh(after.list.get(r.idx).unwrap()),
                &Expectation {
                    audience: "test",
                    nonce: Some("n"),
                    now,
                },
            );
            assert_eq!(revoked, Err(VerifyError::Revoked));
        }
    }
    assert_eq!(issued_kinds, CertificateKind::ALL.len());
}

#[tokio::test]
async fn an_issuance_with_a_bad_holder_key_or_id_number_is_refused_and_a_stranger_has_no_record() {
    let mock = start().await;
    let op = Operation::Certificate(CertificateKind::ResidentId);
    let bad_key = serde_json::json!({"idNumber": mock.running.fixtures.citizens[0].id_number,
        "holderJwk": {"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}});
    let answer = mock.department_raw(op, bad_key.to_string()).await;
    assert_eq!(answer["code"], "40", "{answer}");
    let holder = Sm2PrivateKey::generate().public_key().to_jwk();
    let bad_id = serde_json::json!({"idNumber": "123", "holderJwk": holder});
    assert_eq!(
        mock.department_raw(op, bad_id.to_string()).await["code"],
        "40"
    );
    let stranger = serde_json::json!({"idNumber": "11010519491231002X", "holderJwk": holder});
    assert_eq!(
        mock.department_raw(op, stranger.to_string()).await["code"],
        CODE_NOT_FOUND
    );
}

#[tokio::test]
async fn the_register_lists_every_enterprise_once_a_page_at_a_time_in_uscc_order() {
    let mock = start().await;
    let mut seen: Vec<String> = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let body = serde_json::json!({"after": after, "limit": 70}).to_string();
        let page = typed::<EnterpriseRegister>(
            &mock
                .department_raw(Operation::EnterpriseRegister, body)
                .await,
        )
        .data
        .expect("a page");
        assert!(page.entries.len() <= 70);
        seen.extend(page.entries.iter().map(|e| e.uscc.clone()));
        match page.next_after {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(seen, sorted, "in order, each once");
    assert_eq!(seen.len(), mock.running.fixtures.enterprises.len());
    let refused = mock
        .department_raw(Operation::EnterpriseRegister, r#"{"limit": 0}"#.to_string())
        .await;
    assert_eq!(refused["code"], "40", "{refused}");
}
