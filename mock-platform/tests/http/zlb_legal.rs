use platform_api::zlb::{
    LegalPersonUserInfo, TicketValidation, LEGAL_PERSON_LOGIN_PAGE_PATH, LEGAL_PERSON_SSO_PATH,
    PERSONAL_SSO_PATH,
};
use reqwest::StatusCode;

use crate::common::{query, start, Mock, CALLBACK_A};

async fn validate_at(mock: &Mock, path: &str, st: &str) -> TicketValidation {
    mock.irs_get(
        &mock.a,
        path,
        &[
            ("method", "ticketValidation"),
            ("servicecode", &mock.a.service_code),
            ("st", st),
            ("datatype", "json"),
        ],
    )
    .await
}

async fn user_info_at<T: serde::de::DeserializeOwned>(mock: &Mock, path: &str, token: &str) -> T {
    mock.irs_get(
        &mock.a,
        path,
        &[
            ("method", "getUserInfo"),
            ("servicecode", &mock.a.service_code),
            ("token", token),
        ],
    )
    .await
}

#[tokio::test]
async fn the_legal_login_page_lists_enterprises() {
    let mock = start().await;
    let q = query(&[("servicecode", &mock.a.service_code), ("goto", CALLBACK_A)]);
    let response = mock
        .http
        .get(mock.url(&format!("{LEGAL_PERSON_LOGIN_PAGE_PATH}?{q}")))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.expect("body");
    assert!(html.contains("zlb-e-000001"));
    assert!(html.contains(&mock.running.fixtures.enterprises[0].uscc));
}

#[tokio::test]
async fn a_legal_ticket_yields_the_enterprise_and_its_acting_person() {
    let mock = start().await;
    let ticket = mock.legal_ticket("zlb-e-000001").await;
    let fixtures = &mock.running.fixtures;
    let enterprise = &fixtures.enterprises[0];
    let attn = &fixtures.citizens[enterprise.attn];

    let ok = validate_at(&mock, LEGAL_PERSON_SSO_PATH, &ticket).await;
    assert_eq!(ok.result, 0, "{}", ok.errmsg);
    assert_eq!(ok.userid, "zlb-e-000001");
    assert_eq!(ok.orgcoding, enterprise.uscc);

    let info: LegalPersonUserInfo = user_info_at(&mock, LEGAL_PERSON_SSO_PATH, &ok.token).await;
    assert_eq!(info.result, 0);
    assert_eq!(info.companyname, enterprise.name);
    assert_eq!(info.creditcode, enterprise.uscc);
    assert_eq!(
        info.legalperson,
        fixtures.citizens[enterprise.legal_representative].name
    );
    assert_eq!(info.attnname, attn.name);
    assert_eq!(info.attnidnum, attn.id_number);
    assert_eq!(info.attnmobile, attn.mobile);
    assert_eq!(info.authlevel, attn.auth_level.code().to_string());
    assert!(zhelikit_domain::Uscc::parse(&info.creditcode).is_ok());
}

#[tokio::test]
async fn personal_and_legal_tickets_are_unknown_to_each_other() {
    let mock = start().await;
    let personal = mock.personal_ticket("zlb-u-000001").await;
    let legal = mock.legal_ticket("zlb-e-000002").await;
    assert_eq!(
        validate_at(&mock, LEGAL_PERSON_SSO_PATH, &personal)
            .await
            .result,
        6002
    );
    assert_eq!(
        validate_at(&mock, PERSONAL_SSO_PATH, &legal).await.result,
        6002
    );
    // Neither was consumed by the wrong entry.
    assert_eq!(
        validate_at(&mock, PERSONAL_SSO_PATH, &personal)
            .await
            .result,
        0
    );
    assert_eq!(
        validate_at(&mock, LEGAL_PERSON_SSO_PATH, &legal)
            .await
            .result,
        0
    );
}

#[tokio::test]
async fn a_personal_token_is_unknown_to_the_legal_user_query() {
    let mock = start().await;
    let personal = mock.personal_ticket("zlb-u-000001").await;
    let ok = validate_at(&mock, PERSONAL_SSO_PATH, &personal).await;
    let info: LegalPersonUserInfo = user_info_at(&mock, LEGAL_PERSON_SSO_PATH, &ok.token).await;
    assert_eq!(info.result, 6002);
    assert!(info.creditcode.is_empty());
}
