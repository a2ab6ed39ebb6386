use reqwest::StatusCode;

use crate::common::start;

#[tokio::test]
async fn health_answers_200() {
    let mock = start().await;
    let response = mock
        .http
        .get(mock.url("/__admin/health"))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_clock_moves_forward_and_refuses_a_negative_step() {
    let mock = start().await;
    mock.advance_clock(90).await;
    assert_eq!(mock.running.state.clock.offset_secs(), 90);
    let backwards = mock
        .http
        .post(mock.url("/__admin/clock/advance"))
        .json(&serde_json::json!({ "seconds": -5 }))
        .send()
        .await
        .expect("sent");
    assert_eq!(backwards.status(), StatusCode::BAD_REQUEST);
    assert_eq!(mock.running.state.clock.offset_secs(), 90);
}

#[tokio::test]
async fn shutting_down_stops_the_server() {
    let mock = start().await;
    let health = mock.url("/__admin/health");
    let http = reqwest::Client::new();
    assert!(http.get(&health).send().await.is_ok());
    mock.running.shutdown().await.expect("clean shutdown");
    assert!(http.get(&health).send().await.is_err());
}
