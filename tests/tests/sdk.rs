//! The SDK core against the live stack (mock platform + BFF), as an app would use it: the same
//! flows as the Kotlin tests, plus what only Rust can set up (wrong key, tampered row, an
//! unreachable BFF, a refused refresh).

use std::sync::Arc;

use serde_json::Value;
use zhelikit_e2e::{private_stack, stack, Backend, Stack};
use zhelikit_sdk::test_doubles::{
    MemoryLogger, PlainKeySource, RecordingListener, SwitchableNetwork, WrappingKeySource,
};
use zhelikit_sdk::{
    ClientConfig, KeySource, SdkError, SessionState, StorageFailure, UserKind, ZheliKitClient,
};

fn temp_dir() -> String {
    std::env::temp_dir()
        .join(format!("zk-sdk-{}", uuid::Uuid::new_v4().simple()))
        .display()
        .to_string()
}

fn config(bff: &str, mini_app: &str, dir: &str) -> ClientConfig {
    ClientConfig {
        bff_url: bff.to_string(),
        mini_app_id: mini_app.to_string(),
        storage_dir: dir.to_string(),
        scopes: None,
        refresh_margin_secs: 60,
        request_timeout_ms: 5000,
    }
}

fn keys(n: u8) -> Arc<dyn KeySource> {
    Arc::new(WrappingKeySource::new([n; 32]))
}

fn open(stack: &Stack, dir: &str) -> Arc<ZheliKitClient> {
    ZheliKitClient::open(
        config(&stack.bff, "zk-demo-services", dir),
        keys(1),
        None,
        None,
    )
    .expect("client opens")
}

async fn logged_in_citizen(stack: &Stack, index: usize, dir: &str) -> Arc<ZheliKitClient> {
    let client = open(stack, dir);
    let ticket = stack
        .citizen_ticket(&stack.fixtures.citizens[index].userid)
        .await;
    client
        .identity()
        .login_with_ticket(ticket)
        .await
        .expect("login");
    client
}

#[tokio::test]
async fn a_citizen_logs_in_with_a_ticket_and_the_session_survives_reopening() {
    let stack = stack(Backend::Sqlite).await;
    let dir = temp_dir();
    let citizen = &stack.fixtures.citizens[20];
    let client = open(stack, &dir);
    assert!(!client.identity().is_logged_in());
    let ticket = stack.citizen_ticket(&citizen.userid).await;
    let user = client
        .identity()
        .login_with_ticket(ticket)
        .await
        .expect("login");
    assert_eq!(user.kind, UserKind::Citizen);
    assert_eq!(user.display_name, citizen.name);
    assert_eq!(
        user.id_number_masked.as_deref(),
        Some(zhelikit_domain::mask::id_number(&citizen.id_number).as_str())
    );
    drop(client);

    let reopened = open(stack, &dir);
    assert!(
        reopened.identity().is_logged_in(),
        "the session was restored from the encrypted store"
    );
    assert_eq!(
        reopened.identity().cached_user().map(|u| u.user_id),
        Some(user.user_id.clone())
    );
    let again = reopened
        .identity()
        .current_user()
        .await
        .expect("current user after reopening");
    assert_eq!(again.user_id, user.user_id);
}

#[tokio::test]
async fn an_official_logs_in_with_an_auth_code() {
    let stack = stack(Backend::Sqlite).await;
    let official = &stack.fixtures.officials[12];
    let client = ZheliKitClient::open(
        config(&stack.bff, "zk-demo-supervision", &temp_dir()),
        keys(1),
        None,
        None,
    )
    .unwrap();
    let code = stack.auth_code(official.account_id).await;
    let user = client
        .identity()
        .login_with_auth_code(code)
        .await
        .expect("login");
    assert_eq!(user.kind, UserKind::Official);
    assert_eq!(
        user.official.map(|o| o.employee_code),
        Some(official.employee_code.clone())
    );
}

#[tokio::test]
async fn a_forged_ticket_is_a_typed_login_rejection() {
    let stack = stack(Backend::Sqlite).await;
    let client = open(stack, &temp_dir());
    let err = client
        .identity()
        .login_with_ticket(format!("ST-{}", "c".repeat(32)))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, SdkError::LoginRejected { code, .. } if code == "ticket_invalid"),
        "{err:?}"
    );
    let err = client
        .identity()
        .login_with_ticket(String::new())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, SdkError::InvalidInput { field, .. } if field == "ticket"),
        "{err:?}"
    );
    assert!(!client.identity().is_logged_in());
    let err = client.identity().current_user().await.unwrap_err();
    assert_eq!(err, SdkError::NotLoggedIn);
}

#[tokio::test]
async fn a_user_below_the_real_name_level_gets_a_typed_error_with_both_levels() {
    let stack = stack(Backend::Sqlite).await;
    let client = ZheliKitClient::open(
        config(&stack.bff, "zk-demo-vault", &temp_dir()),
        keys(1),
        None,
        None,
    )
    .unwrap();
    let ticket = stack
        .citizen_ticket_for("zk-demo-vault", &stack.fixtures.citizens[2].userid)
        .await; // level 2
    let err = client
        .identity()
        .login_with_ticket(ticket)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        SdkError::RealNameLevelTooLow {
            required: 3,
            actual: 2
        }
    );
}

#[tokio::test]
async fn fifty_calls_on_an_expiring_token_make_exactly_one_refresh() {
    // Access tokens of two seconds, so the test can let one expire.
    let stack = private_stack(Backend::Sqlite, |config| config.access_ttl_secs = 2).await;
    let dir = temp_dir();
    let mut cfg = config(&stack.bff, "zk-demo-services", &dir);
    cfg.refresh_margin_secs = 0;
    let client = ZheliKitClient::open(cfg, keys(1), None, None).unwrap();
    let ticket = stack
        .citizen_ticket(&stack.fixtures.citizens[0].userid)
        .await;
    let user = client.identity().login_with_ticket(ticket).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;

    let identity = client.identity();
    let calls: Vec<_> = (0..50)
        .map(|_| {
            let identity = identity.clone();
            tokio::spawn(async move { identity.current_user().await })
        })
        .collect();
    for call in calls {
        assert_eq!(
            call.await.unwrap().expect("every call succeeds").user_id,
            user.user_id
        );
    }
    use sqlx::Connection as _;
    let mut db = sqlx::SqliteConnection::connect(&stack.config.database_url)
        .await
        .unwrap();
    let (tokens,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM refresh_tokens")
        .fetch_one(&mut db)
        .await
        .unwrap();
    assert_eq!(tokens, 2, "the login's token and exactly one rotation");
    let (revoked,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM refresh_tokens WHERE revoked_at IS NOT NULL")
            .fetch_one(&mut db)
            .await
            .unwrap();
    assert_eq!(revoked, 0, "no refresh token was presented twice");
}

#[tokio::test]
async fn a_refused_refresh_ends_the_session_and_tells_the_listener() {
    let stack = stack(Backend::Sqlite).await;
    let dir = temp_dir();
    let mut cfg = config(&stack.bff, "zk-demo-services", &dir);
    cfg.refresh_margin_secs = 3600;
    let phone = ZheliKitClient::open(cfg, keys(1), None, None).unwrap();
    let listener = Arc::new(RecordingListener::default());
    phone
        .identity()
        .set_session_listener(Some(listener.clone()));
    let citizen = &stack.fixtures.citizens[30];
    phone
        .identity()
        .login_with_ticket(stack.citizen_ticket(&citizen.userid).await)
        .await
        .unwrap();

    // The same person logs out everywhere from another device.
    let tablet = logged_in_citizen(stack, 30, &temp_dir()).await;
    tablet.identity().logout_everywhere(false).await.unwrap();

    let err = phone.identity().current_user().await.unwrap_err();
    assert!(matches!(err, SdkError::SessionExpired { .. }), "{err:?}");
    assert!(
        !phone.identity().is_logged_in(),
        "the ended session is forgotten"
    );
    let states = listener.states();
    assert!(
        matches!(states.first(), Some(SessionState::LoggedIn { .. })),
        "{states:?}"
    );
    assert!(
        matches!(states.last(), Some(SessionState::Expired { reason }) if reason == "refresh_token_invalid"),
        "{states:?}"
    );
}

#[tokio::test]
async fn a_revoked_session_is_a_typed_error_even_before_its_token_expires() {
    let stack = stack(Backend::Sqlite).await;
    let phone = logged_in_citizen(stack, 40, &temp_dir()).await;
    let tablet = logged_in_citizen(stack, 40, &temp_dir()).await;
    tablet.identity().logout_everywhere(false).await.unwrap();
    assert!(!tablet.identity().is_logged_in());
    // The phone's access token is fresh but revoked: the BFF refuses it, the refresh is refused.
    let err = phone.identity().current_user().await.unwrap_err();
    assert!(matches!(err, SdkError::SessionExpired { .. }), "{err:?}");
}

#[tokio::test]
async fn the_logger_receives_records_without_secrets() {
    let stack = stack(Backend::Sqlite).await;
    let logger = Arc::new(MemoryLogger::default());
    let client = ZheliKitClient::open(
        config(&stack.bff, "zk-demo-services", &temp_dir()),
        keys(1),
        Some(logger.clone()),
        None,
    )
    .unwrap();
    let citizen = &stack.fixtures.citizens[50];
    client
        .identity()
        .login_with_ticket(stack.citizen_ticket(&citizen.userid).await)
        .await
        .unwrap();
    client.identity().logout().await.unwrap();
    let records = logger.records();
    assert!(
        records
            .iter()
            .any(|r| r.message.starts_with("logged in as user")),
        "{records:?}"
    );
    assert!(
        records.iter().any(|r| r.message == "logged out"),
        "{records:?}"
    );
    let all = format!("{records:?}");
    assert!(
        !all.contains(&citizen.id_number)
            && !all.contains(&citizen.mobile)
            && !all.contains("eyJ")
            && !all.contains("zkr_")
    );
}

#[tokio::test]
async fn a_wrong_storage_key_is_reported_and_reset_storage_starts_over() {
    let stack = stack(Backend::Sqlite).await;
    let dir = temp_dir();
    drop(logged_in_citizen(stack, 60, &dir).await);
    let err = ZheliKitClient::open(
        config(&stack.bff, "zk-demo-services", &dir),
        keys(2),
        None,
        None,
    )
    .err()
    .unwrap();
    assert!(
        matches!(
            err,
            SdkError::Storage {
                failure: StorageFailure::WrongKey,
                ..
            }
        ),
        "{err:?}"
    );

    // A keystore that silently yields other bytes is caught by the store's key check.
    let plain_dir = temp_dir();
    drop(
        ZheliKitClient::open(
            config(&stack.bff, "zk-demo-services", &plain_dir),
            Arc::new(PlainKeySource::default()),
            None,
            None,
        )
        .unwrap(),
    );
    let liar = Arc::new(PlainKeySource {
        unwrap_as: Some(vec![9; 32]),
    });
    let err = ZheliKitClient::open(
        config(&stack.bff, "zk-demo-services", &plain_dir),
        liar,
        None,
        None,
    )
    .err()
    .unwrap();
    assert!(
        matches!(
            err,
            SdkError::Storage {
                failure: StorageFailure::WrongKey,
                ..
            }
        ),
        "{err:?}"
    );

    zhelikit_sdk::reset_storage(dir.clone()).unwrap();
    let fresh = ZheliKitClient::open(
        config(&stack.bff, "zk-demo-services", &dir),
        keys(2),
        None,
        None,
    )
    .unwrap();
    assert!(!fresh.identity().is_logged_in());
}

#[tokio::test]
async fn a_tampered_session_row_is_detected_not_returned() {
    let stack = stack(Backend::Sqlite).await;
    let dir = temp_dir();
    drop(logged_in_citizen(stack, 70, &dir).await);
    let db = std::path::Path::new(&dir).join("zhelikit.db");
    {
        use sqlx::Connection as _;
        let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite:{}", db.display()))
            .await
            .unwrap();
        // Change one byte of the sealed session (to another value: writing FF over an FF
        // would change nothing, and the test would pass one run in 256 for the wrong reason).
        sqlx::query("UPDATE sealed SET value = CAST(substr(value, 1, 20) || CASE WHEN substr(value, 21, 1) = X'FF' THEN X'00' ELSE X'FF' END || substr(value, 22) AS BLOB) WHERE name LIKE 'session:%'")
            .execute(&mut conn)
            .await
            .unwrap();
    }
    let err = ZheliKitClient::open(
        config(&stack.bff, "zk-demo-services", &dir),
        keys(1),
        None,
        None,
    )
    .err()
    .unwrap();
    assert!(
        matches!(
            err,
            SdkError::Storage {
                failure: StorageFailure::Tampered,
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_unreachable_bff_is_a_typed_offline_error_and_nothing_is_lost() {
    let stack = stack(Backend::Sqlite).await;
    let dir = temp_dir();
    let user = logged_in_citizen(stack, 80, &dir)
        .await
        .identity()
        .cached_user()
        .unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let cut_off = ZheliKitClient::open(
        config(&format!("http://{closed}"), "zk-demo-services", &dir),
        keys(1),
        None,
        None,
    )
    .unwrap();
    let err = cut_off.identity().current_user().await.unwrap_err();
    assert!(matches!(err, SdkError::Offline { .. }), "{err:?}");
    assert!(cut_off.identity().is_logged_in(), "the session is kept");
    assert_eq!(
        cut_off.identity().cached_user().map(|u| u.user_id),
        Some(user.user_id.clone())
    );

    // The device says it is offline: no request is even tried.
    let network = SwitchableNetwork::new(false);
    let offline = ZheliKitClient::open(
        config(&stack.bff, "zk-demo-services", &dir),
        keys(1),
        None,
        Some(network.clone()),
    )
    .unwrap();
    assert!(matches!(
        offline.identity().current_user().await,
        Err(SdkError::Offline { .. })
    ));
    network.set_online(true);
    assert_eq!(
        offline.identity().current_user().await.unwrap().user_id,
        user.user_id
    );
}

#[tokio::test]
async fn a_passkey_registered_through_the_sdk_logs_in_after_logout() {
    use webauthn_authenticator_rs::softpasskey::SoftPasskey;
    use webauthn_authenticator_rs::WebauthnAuthenticator;
    use webauthn_rs::prelude::{CreationChallengeResponse, RequestChallengeResponse, Url};

    let stack = stack(Backend::Sqlite).await;
    let dir = temp_dir();
    let client = logged_in_citizen(stack, 90, &dir).await;
    let user = client.identity().cached_user().unwrap();
    let mut device = WebauthnAuthenticator::new(SoftPasskey::new(true));
    let origin = Url::parse(zhelikit_e2e::PASSKEY_ORIGIN).unwrap();

    let challenge = client
        .identity()
        .begin_passkey_registration()
        .await
        .unwrap();
    let inner: Value = serde_json::from_str(&challenge.android_request_json).unwrap();
    assert!(
        inner.get("challenge").is_some() && inner.get("publicKey").is_none(),
        "Android gets the inner object"
    );
    let options: CreationChallengeResponse = serde_json::from_str(&challenge.options_json).unwrap();
    let answer =
        serde_json::to_string(&device.do_registration(origin.clone(), options).unwrap()).unwrap();
    client
        .identity()
        .finish_passkey_registration(challenge.ceremony_id, answer, Some("测试手机".into()))
        .await
        .unwrap();

    client.identity().logout().await.unwrap();
    assert!(!client.identity().is_logged_in());
    let challenge = client.identity().begin_passkey_login().await.unwrap();
    let options: RequestChallengeResponse = serde_json::from_str(&challenge.options_json).unwrap();
    let answer =
        serde_json::to_string(&device.do_authentication(origin, options).unwrap()).unwrap();
    let again = client
        .identity()
        .finish_passkey_login(challenge.ceremony_id, answer)
        .await
        .unwrap();
    assert_eq!(again.user_id, user.user_id);
    assert!(client.identity().is_logged_in());

    // Hardening #2: the user sees, renames and deletes their passkeys through the SDK.
    let listed = client.identity().list_passkeys().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].name, "测试手机");
    assert!(listed[0].last_used_at_ms.is_some(), "{listed:?}");
    let id = listed[0].credential_id.clone();
    client
        .identity()
        .rename_passkey(id.clone(), "旧手机".into())
        .await
        .unwrap();
    assert_eq!(
        client.identity().list_passkeys().await.unwrap()[0].name,
        "旧手机"
    );
    assert!(matches!(
        client.identity().rename_passkey(id.clone(), " ".into()).await,
        Err(SdkError::InvalidInput { field, .. }) if field == "name"
    ));
    client.identity().delete_passkey(id.clone()).await.unwrap();
    assert!(matches!(
        client.identity().delete_passkey(id).await,
        Err(SdkError::InvalidInput { field, .. }) if field == "credential_id"
    ));
    assert!(client.identity().list_passkeys().await.unwrap().is_empty());

    let err = client
        .identity()
        .finish_passkey_login("nope".into(), "{}".into())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, SdkError::InvalidInput { field, .. } if field == "response_json"),
        "{err:?}"
    );
}

#[tokio::test]
async fn keep_session_fresh_stops_when_its_handle_is_cancelled() {
    let stack = stack(Backend::Sqlite).await;
    let client = logged_in_citizen(stack, 100, &temp_dir()).await;
    let handle = client.identity().keep_session_fresh().unwrap();
    assert!(!handle.is_finished());
    handle.cancel();
    // Abort is asynchronous; poll with a bound.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !handle.is_finished() {
        assert!(std::time::Instant::now() < deadline);
        tokio::task::yield_now().await;
    }
}

#[tokio::test]
async fn home_returns_typed_sections_and_offline_the_last_screen_marked_stale() {
    use zhelikit_sdk::SectionStatus;
    let stack = stack(Backend::Sqlite).await;
    let dir = temp_dir();
    let client = logged_in_citizen(stack, 120, &dir).await;
    let home = client.screens().home().await.expect("home online");
    assert!(!home.offline);
    assert_eq!(home.kind, UserKind::Citizen);
    assert_eq!(home.sections.len(), 5);
    assert!(
        home.sections
            .iter()
            .all(|s| s.status == SectionStatus::Fresh),
        "{home:?}"
    );
    // Typed records, personal numbers masked (the demo mini-app has no `vault.read`).
    let Some(zhelikit_sdk::SectionRecord::HouseholdRegister { record: household }) =
        &home.sections[0].record
    else {
        panic!("the first section is the household register: {home:?}");
    };
    assert!(household.household_number.contains('*'), "{household:?}");
    assert!(!household.members.is_empty());
    assert!(
        matches!(
            &home.sections[2].record,
            Some(zhelikit_sdk::SectionRecord::DrivingLicence { record }) if record.licence_number.contains('*')
        ) || home.sections[2].record.is_none(),
        "{home:?}"
    );

    // The BFF is out of reach: the last screen comes from the device, marked stale.
    let network = SwitchableNetwork::new(false);
    let offline_client = ZheliKitClient::open(
        config(&stack.bff, "zk-demo-services", &dir),
        keys(1),
        None,
        Some(network),
    )
    .unwrap();
    drop(client);
    let offline = offline_client.screens().home().await.expect("home offline");
    assert!(offline.offline);
    assert_eq!(offline.fetched_at_ms, home.fetched_at_ms);
    assert!(
        offline
            .sections
            .iter()
            .all(|s| matches!(s.status, SectionStatus::Stale { .. })),
        "{offline:?}"
    );
    assert_eq!(offline.sections[0].record, home.sections[0].record);

    // Offline with no screen kept yet: a typed offline error.
    let never = ZheliKitClient::open(
        config(&stack.bff, "zk-demo-services", &temp_dir()),
        keys(1),
        None,
        Some(SwitchableNetwork::new(false)),
    )
    .unwrap();
    assert!(matches!(
        never.screens().home().await,
        Err(SdkError::NotLoggedIn | SdkError::Offline { .. })
    ));
}

#[tokio::test]
async fn home_with_one_department_down_has_that_section_unavailable() {
    use mock_platform::departments::faults::{Fault, FaultMode};
    use platform_api::departments::Department;
    use zhelikit_sdk::SectionStatus;
    let stack = private_stack(Backend::Sqlite, |_| {}).await;
    stack
        .mock
        .state
        .set_fault(
            Department::Health,
            Fault {
                mode: FaultMode::Status(503),
                ..Fault::HEALTHY
            },
        )
        .unwrap();
    let client = logged_in_citizen(&stack, 0, &temp_dir()).await;
    let home = client
        .screens()
        .home()
        .await
        .expect("a partial screen, not an error");
    for section in &home.sections {
        if section.department == "health" {
            assert!(
                matches!(&section.status, SectionStatus::Unavailable { reason } if !reason.is_empty()),
                "{section:?}"
            );
        } else {
            assert_eq!(section.status, SectionStatus::Fresh, "{section:?}");
        }
    }
}

/// Hardening #8: what the SDK keeps for a user (the offline home screen) is keyed by that user
/// and removed at logout, so the next user of the device, offline, never sees it.
#[tokio::test]
async fn the_next_user_of_a_device_never_sees_the_last_ones_screen_offline() {
    let stack = stack(Backend::Sqlite).await;
    let dir = temp_dir();
    let network = SwitchableNetwork::new(true);
    let client = ZheliKitClient::open(
        config(&stack.bff, "zk-demo-services", &dir),
        keys(1),
        None,
        Some(network.clone()),
    )
    .unwrap();
    let login = |index: usize| {
        let client = client.clone();
        async move {
            let ticket = stack
                .citizen_ticket(&stack.fixtures.citizens[index].userid)
                .await;
            client
                .identity()
                .login_with_ticket(ticket)
                .await
                .expect("login")
        }
    };
    let first = login(130).await;
    let screen = client
        .screens()
        .home()
        .await
        .expect("home of the first user");
    assert!(!screen.offline);
    client.identity().logout().await.expect("logout");

    let second = login(131).await;
    assert_ne!(first.user_id, second.user_id);
    network.set_online(false);
    assert!(
        matches!(client.screens().home().await, Err(SdkError::Offline { .. })),
        "offline, the second user has no screen of their own yet, and never the first's"
    );
    network.set_online(true);
    let own = client
        .screens()
        .home()
        .await
        .expect("home of the second user");
    network.set_online(false);
    let kept = client
        .screens()
        .home()
        .await
        .expect("their own screen, offline");
    assert!(kept.offline);
    assert_eq!(kept.fetched_at_ms, own.fetched_at_ms);
}

/// Hardening #9: two clients of one mini-app on one store refresh without presenting the same
/// refresh token twice (they share one refresh lock and see each other's tokens).
#[tokio::test]
async fn two_clients_of_one_store_refresh_without_ending_the_session() {
    let stack = private_stack(Backend::Sqlite, |config| {
        config.access_ttl_secs = 2;
        // Idempotent rotation off: only the shared lock can keep this session alive.
        config.refresh_grace = std::time::Duration::ZERO;
    })
    .await;
    let dir = temp_dir();
    let first = logged_in_citizen(&stack, 132, &dir).await;
    let second = open(&stack, &dir);
    assert!(second.identity().is_logged_in());
    // Both tokens are expiring (margin 60 s > life 2 s): each call refreshes, from two clients.
    let (one, two) = (first.identity(), second.identity());
    for _ in 0..3 {
        let (a, b) = tokio::join!(one.current_user(), two.current_user());
        a.expect("first client");
        b.expect("second client");
    }
    first
        .identity()
        .current_user()
        .await
        .expect("still logged in");
}
