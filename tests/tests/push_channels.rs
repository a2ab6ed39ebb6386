//! The push channels against their mocks, over HTTP: FCM's service-account assertion and Push
//! Kit's client credentials exchanged for access tokens, messages accepted and recorded with
//! the campaign's collapse key, and each failure classed by what the delivery must do about it.

use std::collections::BTreeMap;
use std::time::Duration;

use mock_platform::fcm::{Fault, FCM_BASE, SERVICE_ACCOUNT_PATH};
use platform_api::fcm::ServiceAccount;
use zhelikit_e2e::{private_stack, Backend, Stack};
use zhelikit_push::channels::fcm::Fcm;
use zhelikit_push::channels::{Channel, Push, SendError};

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
    let fcm = Fcm::new(
        account(&stack).await,
        &format!("{}{FCM_BASE}", stack.platform),
        reqwest::Client::new(),
    )
    .expect("channel");

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
    let impostor = Fcm::new(
        forged,
        &format!("{}{FCM_BASE}", stack.platform),
        reqwest::Client::new(),
    )
    .expect("channel");
    assert!(matches!(
        impostor.send(&push("device-token-5")).await,
        Err(SendError::Unauthenticated(_))
    ));
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
