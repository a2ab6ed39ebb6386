//! The push channels against their mocks, over HTTP: FCM's service-account assertion and Push
//! Kit's client credentials exchanged for access tokens, APNs' ES256 provider token, messages
//! accepted and recorded with the campaign's collapse key (FCM and APNs over HTTP/2), and each
//! failure classed by what the delivery must do about it.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use mock_platform::fcm::{Fault, FCM_BASE, SERVICE_ACCOUNT_PATH};
use platform_api::fcm::ServiceAccount;
use zhelikit_e2e::{private_stack, Backend, Stack};
use zhelikit_push::channels::fcm::Fcm;
use zhelikit_push::channels::h2::H2Pool;
use zhelikit_push::channels::{Channel, Push, SendError};

fn pool(url: &str) -> Arc<H2Pool> {
    Arc::new(H2Pool::new(url, 2, 100, Duration::from_secs(5)).expect("pool"))
}

fn fcm_of(stack: &Stack, account: ServiceAccount) -> Fcm {
    let url = format!("{}{FCM_BASE}", stack.platform);
    Fcm::new(account, &url, pool(&url), reqwest::Client::new()).expect("channel")
}

async fn account(stack: &Stack) -> ServiceAccount {
    reqwest::get(format!("{}{SERVICE_ACCOUNT_PATH}", stack.platform))
        .await
        .expect("key file")
        .json()
        .await
        .expect("a service account")
}

fn push(token: &str) -> Push {
    Push {
        token: token.into(),
        title: "惠企政策".into(),
        body: "有一项政策与贵企业匹配".into(),
        data: BTreeMap::from([("policy_id".to_string(), "pol-1".to_string())]),
        collapse_key: "policy-pol-1".into(),
    }
}

#[tokio::test]
async fn the_fcm_channel_sends_through_the_token_endpoint_and_classes_every_failure() {
    let stack = private_stack(Backend::Sqlite, |_| {}).await;
    let fcm = fcm_of(&stack, account(&stack).await);

    let name = fcm.send(&push("device-token-1")).await.expect("accepted");
    let received = stack.mock.state.fcm.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].name, name);
    assert_eq!(received[0].token, "device-token-1");
    let android = received[0]
        .message
        .android
        .as_ref()
        .expect("android options");
    assert_eq!(android.collapse_key, "policy-pol-1");
    // The token is cached: a second send needs no second exchange, and is accepted too.
    fcm.send(&push("device-token-2")).await.expect("accepted");

    assert_eq!(
        fcm.send(&push("unregistered-abc")).await,
        Err(SendError::Unregistered)
    );
    assert!(matches!(
        fcm.send(&push("invalid-abc")).await,
        Err(SendError::InvalidArgument(_))
    ));
    let mut big = push("device-token-3");
    big.body = "政".repeat(2_000);
    assert!(
        matches!(fcm.send(&big).await, Err(SendError::InvalidArgument(m)) if m.contains("4096"))
    );

    stack.mock.state.fcm.set_fault(Fault {
        status: 429,
        retry_after_secs: Some(7),
        count: 1,
        for_ms: None,
    });
    assert_eq!(
        fcm.send(&push("device-token-4")).await,
        Err(SendError::QuotaExceeded {
            retry_after: Some(Duration::from_secs(7))
        })
    );
    stack.mock.state.fcm.set_fault(Fault {
        status: 503,
        retry_after_secs: None,
        count: 1,
        for_ms: None,
    });
    assert!(matches!(
        fcm.send(&push("device-token-4")).await,
        Err(SendError::Unavailable { .. })
    ));
    fcm.send(&push("device-token-4"))
        .await
        .expect("accepted once the faults are spent");
    // Only what was accepted was recorded: the big message never left.
    assert_eq!(stack.mock.state.fcm.received().len(), 3);

    // Another key under the same account name: its assertion does not verify.
    let mut forged = account(&stack).await;
    forged.private_key = {
        use rsa::pkcs8::{EncodePrivateKey, LineEnding};
        let key = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).expect("key");
        key.to_pkcs8_pem(LineEnding::LF).expect("pem").to_string()
    };
    let impostor = fcm_of(&stack, forged);
    assert!(matches!(
        impostor.send(&push("device-token-5")).await,
        Err(SendError::Unauthenticated(_))
    ));
}

#[tokio::test]
async fn an_expired_access_token_is_renewed_once_and_a_revoked_key_is_refused() {
    let stack = private_stack(Backend::Sqlite, |_| {}).await;
    let fcm = fcm_of(&stack, account(&stack).await);
    fcm.send(&push("device-token-1")).await.expect("accepted");
    // FCM expires the cached access token early: one 401, a new token, the send goes.
    stack.mock.state.fcm.expire_tokens();
    fcm.send(&push("device-token-2"))
        .await
        .expect("accepted with a renewed token");
    let answers = stack.mock.state.fcm.faults.answers();
    assert_eq!(answers.get(&401), Some(&1), "{answers:?}");
    assert_eq!(answers.get(&200), Some(&2), "{answers:?}");
    // The key is revoked (deleted in the console): the renewal is refused, and so is the send.
    stack.mock.state.fcm.set_revoked(true);
    assert!(matches!(
        fcm.send(&push("device-token-3")).await,
        Err(SendError::Unauthenticated(m)) if m.contains("invalid_grant")
    ));
    // Sends meanwhile are refused without presenting the key again, for a few seconds.
    assert!(matches!(
        fcm.send(&push("device-token-3")).await,
        Err(SendError::Unauthenticated(_))
    ));
    stack.mock.state.fcm.set_revoked(false);
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while fcm.send(&push("device-token-3")).await.is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "accepted once the key is restored"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test]
async fn the_apns_channel_signs_a_provider_token_sends_over_http2_and_classes_every_failure() {
    use mock_platform::apns::{APNS_BASE, BUNDLE_ID};
    use platform_api::apns::{reason, COLLAPSE_ID, PRIORITY, PUSH_TYPE, TOPIC};
    use zhelikit_push::channels::apns::Apns;
    let stack = private_stack(Backend::Sqlite, |_| {}).await;
    let url = format!("{}{APNS_BASE}", stack.platform);
    let key = stack.mock.state.apns.team_key();
    let apns = Apns::new(key.clone(), &url, pool(&url)).expect("channel");
    let device = "a1".repeat(32);

    let id = apns.send(&push(&device)).await.expect("accepted");
    let received = stack.mock.state.apns.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].apns_id, id);
    assert_eq!(received[0].device_token, device);
    let header = |name: &str| received[0].headers.get(name).map(String::as_str);
    assert_eq!(header(TOPIC), Some(BUNDLE_ID));
    assert_eq!(header(PUSH_TYPE), Some("alert"));
    assert_eq!(header(PRIORITY), Some("5"));
    assert_eq!(header(COLLAPSE_ID), Some("policy-pol-1"));
    assert_eq!(received[0].payload.aps.alert.title, "惠企政策");
    assert_eq!(received[0].payload.data["policy_id"], "pol-1");
    // One provider token for every send: a second one within twenty minutes would be refused.
    apns.send(&push(&"b2".repeat(32))).await.expect("accepted");

    assert_eq!(
        apns.send(&push(&format!("dead{}", "0".repeat(60)))).await,
        Err(SendError::Unregistered),
        "410 Unregistered"
    );
    assert_eq!(
        apns.send(&push("not-a-device-token")).await,
        Err(SendError::Unregistered),
        "400 BadDeviceToken"
    );
    let mut big = push(&device);
    big.body = "政".repeat(2_000);
    assert!(
        matches!(apns.send(&big).await, Err(SendError::InvalidArgument(m)) if m.contains("4096"))
    );
    stack.mock.state.apns.set_fault(Fault {
        status: 429,
        retry_after_secs: Some(2),
        count: 1,
        for_ms: None,
    });
    assert_eq!(
        apns.send(&push(&device)).await,
        Err(SendError::QuotaExceeded {
            retry_after: Some(Duration::from_secs(2))
        })
    );
    assert_eq!(
        stack.mock.state.apns.received().len(),
        2,
        "only what was accepted"
    );

    // Another channel with the same key renews the token too soon: APNs refuses it.
    let second = Apns::new(key.clone(), &url, pool(&url)).expect("channel");
    assert!(matches!(
        second.send(&push(&device)).await,
        Err(SendError::Unavailable { reason: r, .. }) if r == reason::TOO_MANY_PROVIDER_TOKEN_UPDATES
    ));
    // A revoked key: every token is refused, and the channel says the credential is at fault.
    stack.mock.state.apns.set_revoked(true);
    assert!(matches!(
        apns.send(&push(&device)).await,
        Err(SendError::Unauthenticated(r)) if r == reason::INVALID_PROVIDER_TOKEN
    ));
    stack.mock.state.apns.set_revoked(false);

    // APNs speaks HTTP/2 only; and a provider token over an hour old is refused as expired.
    let http1 = reqwest::Client::new()
        .post(format!("{url}/3/device/{device}"))
        .body("{}")
        .send()
        .await
        .expect("answer");
    assert_eq!(http1.status(), 505);
    let old = {
        use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(key.key_id.clone());
        let claims =
            serde_json::json!({"iss": key.team_id, "iat": chrono::Utc::now().timestamp() - 3_700});
        encode(
            &header,
            &claims,
            &EncodingKey::from_ec_pem(key.private_key.as_bytes()).expect("key"),
        )
        .expect("token")
    };
    let h2 = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .expect("client");
    let expired = h2
        .post(format!("{url}/3/device/{device}"))
        .header("authorization", format!("bearer {old}"))
        .header(TOPIC, BUNDLE_ID)
        .header(PUSH_TYPE, "alert")
        .body(r#"{"aps":{"alert":{"title":"t","body":"b"}}}"#)
        .send()
        .await
        .expect("answer");
    assert_eq!(expired.status(), 403);
    let body: serde_json::Value = expired.json().await.expect("json");
    assert_eq!(body["reason"], reason::EXPIRED_PROVIDER_TOKEN);
}

#[tokio::test]
async fn the_push_kit_channel_sends_with_client_credentials_and_classes_every_failure() {
    use mock_platform::hms::{Fault as HmsFault, PUSH_BASE, TOKEN_PATH};
    use zhelikit_push::channels::hms::{collapse_key, Hms, HmsAccount};
    let stack = private_stack(Backend::Sqlite, |_| {}).await;
    let credentials = stack.mock.state.hms.credentials();
    let account = |secret: &str| HmsAccount {
        app_id: credentials.client_id.clone(),
        client_secret: secret.to_string(),
        token_url: format!("{}{TOKEN_PATH}", stack.platform),
        push_url: format!("{}{PUSH_BASE}", stack.platform),
    };
    let hms = Hms::new(account(&credentials.client_secret), reqwest::Client::new());

    let mut nudge = push("hms-device-1");
    nudge.data.insert(
        "deep_link".into(),
        "zhelikit://mini-app/zk-demo-policy/home?policy=pol-1".into(),
    );
    hms.send(&nudge).await.expect("accepted");
    let received = stack.mock.state.hms.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].token, "hms-device-1");
    assert_eq!(
        received[0].message.android.collapse_key,
        collapse_key("policy-pol-1")
    );
    let tap = &received[0].message.android.notification.click_action;
    assert_eq!(
        tap.intent.as_deref(),
        Some("zhelikit://mini-app/zk-demo-policy/home?policy=pol-1")
    );

    assert_eq!(
        hms.send(&push("invalid-hms")).await,
        Err(SendError::Unregistered)
    );
    let mut big = push("hms-device-2");
    big.body = "政".repeat(2_000);
    assert!(matches!(
        hms.send(&big).await,
        Err(SendError::InvalidArgument(_))
    ));
    stack.mock.state.hms.set_fault(HmsFault {
        retry_after_secs: 3,
        count: 1,
    });
    assert_eq!(
        hms.send(&push("hms-device-2")).await,
        Err(SendError::QuotaExceeded {
            retry_after: Some(Duration::from_secs(3))
        })
    );
    hms.send(&push("hms-device-2"))
        .await
        .expect("accepted after the flow control");
    assert_eq!(stack.mock.state.hms.received().len(), 2);

    let wrong = Hms::new(account("not-the-secret"), reqwest::Client::new());
    assert!(matches!(
        wrong.send(&push("hms-device-3")).await,
        Err(SendError::Unauthenticated(_))
    ));
}
