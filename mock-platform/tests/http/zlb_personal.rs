use platform_api::zlb::{
    PersonalUserInfo, TicketValidation, PERSONAL_LOGIN_PAGE_PATH, PERSONAL_SSO_PATH,
};
use reqwest::StatusCode;

use crate::common::{query, start, Mock, CALLBACK_A};

async fn validate(
    mock: &Mock,
    app_signing: &mock_platform::RegisteredApp,
    service_code: &str,
    st: &str,
) -> TicketValidation {
    mock.irs_get(
        app_signing,
        PERSONAL_SSO_PATH,
        &[
            ("method", "ticketValidation"),
            ("servicecode", service_code),
            ("st", st),
            ("datatype", "json"),
        ],
    )
    .await
}

async fn user_info(mock: &Mock, token: &str) -> PersonalUserInfo {
    mock.irs_get(
        &mock.a,
        PERSONAL_SSO_PATH,
        &[
            ("method", "getUserInfo"),
            ("servicecode", &mock.a.service_code),
            ("token", token),
            ("datatype", "json"),
        ],
    )
    .await
}

#[tokio::test]
async fn the_login_page_lists_demo_citizens_for_a_registered_app() {
    let mock = start().await;
    let q = query(&[("servicecode", &mock.a.service_code), ("goto", CALLBACK_A)]);
    let response = mock
        .http
        .get(mock.url(&format!("{PERSONAL_LOGIN_PAGE_PATH}?{q}")))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.expect("body");
    assert!(html.contains("zlb-u-000001"));
    assert!(html.contains("zlb-u-000020"));
    assert!(html.contains(&mock.running.fixtures.citizens[0].name));
}

#[tokio::test]
async fn the_login_page_says_which_parameter_is_wrong() {
    let mock = start().await;
    let unknown = query(&[("servicecode", "nobody"), ("goto", CALLBACK_A)]);
    let response = mock
        .http
        .get(mock.url(&format!("{PERSONAL_LOGIN_PAGE_PATH}?{unknown}")))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.text().await.expect("body").contains("servicecode"));

    let foreign = query(&[
        ("servicecode", &mock.a.service_code),
        ("goto", "https://app-a.example.evil.io/auth/zlb/callback"),
    ]);
    let response = mock
        .http
        .get(mock.url(&format!("{PERSONAL_LOGIN_PAGE_PATH}?{foreign}")))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response
        .text()
        .await
        .expect("body")
        .contains("is not under any URL registered"));
}

#[tokio::test]
async fn logging_in_redirects_to_goto_with_the_ticket_after_its_query() {
    let mock = start().await;
    let goto = format!("{CALLBACK_A}?next=%2Fhome");
    let location = mock
        .log_in(
            PERSONAL_LOGIN_PAGE_PATH,
            &[
                ("servicecode", &mock.a.service_code),
                ("goto", &goto),
                ("userid", "zlb-u-000001"),
            ],
        )
        .await;
    assert!(
        location.starts_with(&format!("{goto}&ticket=ST-")),
        "{location}"
    );
    assert_eq!(location.len(), goto.len() + "&ticket=ST-".len() + 32);
}

#[tokio::test]
async fn an_unknown_user_id_redisplays_the_form_with_an_error() {
    let mock = start().await;
    let response = mock
        .http
        .post(mock.url(PERSONAL_LOGIN_PAGE_PATH))
        .form(&[
            ("servicecode", mock.a.service_code.as_str()),
            ("goto", CALLBACK_A),
            ("userid", "zlb-u-000001"),
            ("userid_text", "zlb-u-999999"),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.text().await.expect("body").contains("no citizen"));
}

#[tokio::test]
async fn a_fresh_ticket_validates_once_and_its_token_reads_every_user_field() {
    let mock = start().await;
    let ticket = mock.personal_ticket("zlb-u-000001").await;
    let citizen = &mock.running.fixtures.citizens[0];

    let ok = validate(&mock, &mock.a, &mock.a.service_code, &ticket).await;
    assert_eq!(ok.result, 0, "{}", ok.errmsg);
    assert_eq!(ok.userid, citizen.userid);
    assert_eq!(ok.username, citizen.name);
    assert!(!ok.token.is_empty());

    let info = user_info(&mock, &ok.token).await;
    assert_eq!(info.result, 0);
    assert_eq!(info.userid, citizen.userid);
    assert_eq!(info.username, citizen.name);
    assert_eq!(info.idnum, citizen.id_number);
    assert_eq!(info.mobile, citizen.mobile);
    assert_eq!(info.idtype, "1");
    assert_eq!(info.authlevel, "3");
    assert_eq!(info.sex, citizen.sex.code());
    assert_eq!(info.useable, "1");
    assert!(zhelikit_domain::ResidentId::parse(&info.idnum).is_ok());

    let again = validate(&mock, &mock.a, &mock.a.service_code, &ticket).await;
    assert_eq!(again.result, 6001);
    assert!(again.token.is_empty());
}

#[tokio::test]
async fn auth_levels_one_and_two_are_reported_for_the_documented_citizens() {
    let mock = start().await;
    for (userid, level) in [("zlb-u-000002", "1"), ("zlb-u-000003", "2")] {
        let ticket = mock.personal_ticket(userid).await;
        let ok = validate(&mock, &mock.a, &mock.a.service_code, &ticket).await;
        assert_eq!(user_info(&mock, &ok.token).await.authlevel, level);
    }
}

#[tokio::test]
async fn a_ticket_expires_after_five_minutes_of_mock_time() {
    let mock = start().await;
    let ticket = mock.personal_ticket("zlb-u-000004").await;
    mock.advance_clock(301).await;
    let expired = validate(&mock, &mock.a, &mock.a.service_code, &ticket).await;
    assert_eq!(expired.result, 6001);
    assert!(expired.errmsg.contains("expired"));
}

#[tokio::test]
async fn an_unissued_but_well_formed_ticket_is_not_a_ticket() {
    let mock = start().await;
    let fake = format!("ST-{}", "0".repeat(32));
    assert_eq!(
        validate(&mock, &mock.a, &mock.a.service_code, &fake)
            .await
            .result,
        6002
    );
}

#[tokio::test]
async fn malformed_or_missing_parameters_are_a_format_error() {
    let mock = start().await;
    assert_eq!(
        validate(&mock, &mock.a, &mock.a.service_code, "ST-123")
            .await
            .result,
        6004
    );
    assert_eq!(
        validate(&mock, &mock.a, &mock.a.service_code, "")
            .await
            .result,
        6004
    );
    assert_eq!(
        validate(&mock, &mock.a, "", &format!("ST-{}", "a".repeat(32)))
            .await
            .result,
        6004
    );
    let unknown_method: TicketValidation = mock
        .irs_get(
            &mock.a,
            PERSONAL_SSO_PATH,
            &[("method", "logout"), ("servicecode", &mock.a.service_code)],
        )
        .await;
    assert_eq!(unknown_method.result, 6004);
    assert!(unknown_method.errmsg.contains("logout"));
}

#[tokio::test]
async fn a_ticket_for_another_service_code_is_6003_and_stays_usable_by_its_own_app() {
    let mock = start().await;
    let ticket = mock.personal_ticket("zlb-u-000005").await;
    let wrong = validate(&mock, &mock.b, &mock.b.service_code, &ticket).await;
    assert_eq!(wrong.result, 6003);
    let right = validate(&mock, &mock.a, &mock.a.service_code, &ticket).await;
    assert_eq!(right.result, 0);
}

#[tokio::test]
async fn a_service_code_of_another_app_than_the_signer_is_6003() {
    let mock = start().await;
    let ticket = mock.personal_ticket("zlb-u-000006").await;
    let answer = validate(&mock, &mock.b, &mock.a.service_code, &ticket).await;
    assert_eq!(answer.result, 6003);
    assert_eq!(
        validate(&mock, &mock.a, &mock.a.service_code, &ticket)
            .await
            .result,
        0
    );
}

#[tokio::test]
async fn an_unknown_token_gets_6002_with_a_message() {
    let mock = start().await;
    let info = user_info(&mock, "not-a-token").await;
    assert_eq!(info.result, 6002);
    assert!(!info.errmsg.is_empty());
    assert!(info.idnum.is_empty());
}
