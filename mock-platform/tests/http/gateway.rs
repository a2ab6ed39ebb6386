use chrono::{Duration, Utc};
use platform_api::irs::GatewayError;
use platform_api::zlb::{TicketValidation, PERSONAL_SSO_PATH};
use reqwest::StatusCode;

use crate::common::{app, start};

fn validation_query(service_code: &str) -> Vec<(&str, String)> {
    vec![
        ("method", "ticketValidation".to_string()),
        ("servicecode", service_code.to_string()),
        ("st", format!("ST-{}", "0".repeat(32))),
    ]
}

async fn refusal(response: reqwest::Response) -> (StatusCode, GatewayError) {
    let status = response.status();
    (status, response.json().await.expect("gateway error JSON"))
}

#[tokio::test]
async fn a_request_signed_with_the_wrong_secret_is_refused_as_a_bad_signature() {
    let mock = start().await;
    let mut forger = mock.a.clone();
    forger.irs.secret_key = "not-the-secret".into();
    let q = validation_query(&mock.a.service_code);
    let pairs: Vec<(&str, &str)> = q.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, error) = refusal(
        mock.irs_get_at(&forger, PERSONAL_SSO_PATH, &pairs, Utc::now())
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error.code, "IRS-401-SIGNATURE");
    assert_eq!(error.request_id.len(), 32);
}

#[tokio::test]
async fn a_request_signed_six_minutes_ago_is_refused_as_stale() {
    let mock = start().await;
    let q = validation_query(&mock.a.service_code);
    let pairs: Vec<(&str, &str)> = q.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let then = Utc::now() - Duration::minutes(6);
    let (status, error) = refusal(
        mock.irs_get_at(&mock.a, PERSONAL_SSO_PATH, &pairs, then)
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error.code, "IRS-401-DATE");
}

#[tokio::test]
async fn an_unregistered_access_key_is_refused() {
    let mock = start().await;
    let stranger = app("stranger", "https://x.example/cb");
    let q = validation_query(&mock.a.service_code);
    let pairs: Vec<(&str, &str)> = q.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, error) = refusal(
        mock.irs_get_at(&stranger, PERSONAL_SSO_PATH, &pairs, Utc::now())
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error.code, "IRS-401-UNKNOWN-KEY");
}

#[tokio::test]
async fn an_unsigned_request_is_refused_for_missing_headers() {
    let mock = start().await;
    let response = mock
        .http
        .get(mock.url(&format!("{PERSONAL_SSO_PATH}?method=ticketValidation")))
        .send()
        .await
        .expect("sent");
    let (status, error) = refusal(response).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error.code, "IRS-400-BAD-AUTH-HEADER");
    assert!(error.message.contains("X-BG-HMAC-ACCESS-KEY"));
}

#[tokio::test]
async fn signatures_are_checked_against_real_time_even_after_time_travel() {
    let mock = start().await;
    mock.advance_clock(3600).await;
    let answer: TicketValidation = mock
        .irs_get(
            &mock.a,
            PERSONAL_SSO_PATH,
            &[
                ("method", "ticketValidation"),
                ("servicecode", &mock.a.service_code),
                ("st", &format!("ST-{}", "0".repeat(32))),
            ],
        )
        .await;
    assert_eq!(answer.result, 6002);
}
