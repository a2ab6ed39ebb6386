use mock_platform::zlb_miniprogram::{TicketAnswer, TICKET_PATH};
use platform_api::zlb::{
    AccessTokenData, Envelope, MiniProgramUser, MINIPROGRAM_ACCESS_TOKEN_PATH,
    MINIPROGRAM_USER_INFO_PATH,
};
use reqwest::StatusCode;
use serde_json::json;

use crate::common::{start, Mock};

async fn ticket_id(mock: &Mock, app_id: &str, userid: &str) -> String {
    let response = mock
        .http
        .post(mock.url(TICKET_PATH))
        .json(&json!({ "appId": app_id, "userid": userid }))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    response
        .json::<TicketAnswer>()
        .await
        .expect("ticket answer")
        .ticket_id
}

async fn exchange(mock: &Mock, ticket_id: &str) -> Envelope<AccessTokenData> {
    mock.irs_post(
        &mock.a,
        MINIPROGRAM_ACCESS_TOKEN_PATH,
        &json!({ "ticketId": ticket_id, "appId": mock.a.miniprogram_app_id }),
    )
    .await
}

async fn user(mock: &Mock, token: &str) -> Envelope<MiniProgramUser> {
    mock.irs_post(
        &mock.a,
        MINIPROGRAM_USER_INFO_PATH,
        &json!({ "token": token }),
    )
    .await
}

fn error_code<T>(e: &Envelope<T>) -> Option<&str> {
    assert!(!e.success);
    e.error_code.as_deref()
}

#[tokio::test]
async fn a_citizen_ticket_id_becomes_a_token_then_a_person() {
    let mock = start().await;
    let id = ticket_id(&mock, &mock.a.miniprogram_app_id, "zlb-u-000001").await;
    let token = exchange(&mock, &id).await;
    assert!(token.success, "{:?}", token.error_msg);
    let data = token.data.expect("token data");
    assert!(data.expires_time > chrono::Utc::now().timestamp_millis());

    let answer = user(&mock, &data.access_token).await;
    let u = answer.data.expect("user");
    assert_eq!(u.user_type, "PERSON");
    let person = u.person_info.expect("person info");
    let citizen = &mock.running.fixtures.citizens[0];
    assert_eq!(person.user_id, citizen.userid);
    assert_eq!(person.id_no, citizen.id_number);
    assert_eq!(person.phone, citizen.mobile);
    assert_eq!(person.id_type, "ID_CARD");
    assert_eq!(person.auth_level, 3);
    assert!(u.legal_person_info.is_none());

    assert_eq!(error_code(&exchange(&mock, &id).await), Some("6001"));
}

#[tokio::test]
async fn an_enterprise_ticket_id_becomes_a_legal_person() {
    let mock = start().await;
    let id = ticket_id(&mock, &mock.a.miniprogram_app_id, "zlb-e-000003").await;
    let token = exchange(&mock, &id).await.data.expect("token");
    let u = user(&mock, &token.access_token).await.data.expect("user");
    assert_eq!(u.user_type, "LEGAL_PERSON");
    let legal = u.legal_person_info.expect("legal person info");
    let enterprise = &mock.running.fixtures.enterprises[2];
    assert_eq!(legal.unified_social_id, enterprise.uscc);
    assert_eq!(legal.corp_id, enterprise.corp_id);
    assert_eq!(
        legal.attn_id_no,
        mock.running.fixtures.citizens[enterprise.attn].id_number
    );
}

#[tokio::test]
async fn ticket_id_errors_use_the_servlet_codes() {
    let mock = start().await;
    assert_eq!(
        error_code(&exchange(&mock, &"0".repeat(32)).await),
        Some("6002")
    );
    assert_eq!(error_code(&exchange(&mock, "short").await), Some("6004"));
    let malformed: Envelope<AccessTokenData> = mock
        .irs_post(
            &mock.a,
            MINIPROGRAM_ACCESS_TOKEN_PATH,
            &json!({ "ticket": 1 }),
        )
        .await;
    assert_eq!(error_code(&malformed), Some("6004"));

    // Issued to app B's mini-program: app A cannot redeem it, and B still can.
    let for_b = ticket_id(&mock, &mock.b.miniprogram_app_id, "zlb-u-000001").await;
    assert_eq!(error_code(&exchange(&mock, &for_b).await), Some("6003"));
    let by_b: Envelope<AccessTokenData> = mock
        .irs_post(
            &mock.b,
            MINIPROGRAM_ACCESS_TOKEN_PATH,
            &json!({ "ticketId": for_b, "appId": mock.b.miniprogram_app_id }),
        )
        .await;
    assert!(by_b.success);

    let late = ticket_id(&mock, &mock.a.miniprogram_app_id, "zlb-u-000001").await;
    mock.advance_clock(301).await;
    assert_eq!(error_code(&exchange(&mock, &late).await), Some("6001"));

    assert_eq!(error_code(&user(&mock, "nope").await), Some("6002"));
}

#[tokio::test]
async fn the_ticket_stand_in_refuses_unknown_users_and_apps() {
    let mock = start().await;
    for body in [
        json!({ "appId": mock.a.miniprogram_app_id, "userid": "zlb-u-999999" }),
        json!({ "appId": "unknown", "userid": "zlb-u-000001" }),
        json!({ "appId": mock.a.miniprogram_app_id }),
    ] {
        let response = mock
            .http
            .post(mock.url(TICKET_PATH))
            .json(&body)
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body}");
    }
}
