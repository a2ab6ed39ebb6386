//! The vault's BFF end to end: a citizen's device pulls e-certificates bound to its own key,
//! and a verifier checks a presentation with the issuer keys and status lists the BFF relays —
//! on both backends; then what goes wrong: no record, a department down, revocation.

use mock_platform::departments::faults::{Fault, FaultMode};
use mock_platform::fixtures::AuthLevel;
use platform_api::departments::Department;
use serde_json::{json, Value};
use zhelikit_domain::gm::{Sm2Jwk, Sm2PrivateKey, Sm2PublicKey};
use zhelikit_domain::paths;
use zhelikit_domain::vault::catalogue::status_list_uri;
use zhelikit_domain::vault::sd_jwt::{
    present, verify, Expectation, PresentationRequest, StatusCheck, Verified, VerifyError,
};
use zhelikit_domain::vault::status_list;
use zhelikit_domain::vault::wire::{IssuerDirectory, StatusListAnswer};
use zhelikit_domain::vault::CertificateKind;
use zhelikit_e2e::{assert_problem, both_backends, http, json_of, private_stack, Backend, Stack};

both_backends!(a_device_pulls_a_certificate_bound_to_its_key_and_a_verifier_checks_it);

const VAULT: &str = "zk-demo-vault";

fn access(session: &Value) -> String {
    session["access_token"]
        .as_str()
        .expect("access_token")
        .to_string()
}

/// The userids of advanced (real-name level 3) citizens, as the vault requires.
fn advanced(stack: &Stack) -> Vec<String> {
    stack
        .fixtures
        .citizens
        .iter()
        .filter(|c| c.auth_level == AuthLevel::Advanced)
        .map(|c| c.userid.clone())
        .collect()
}

async fn get(stack: &Stack, path: &str) -> (u16, Value) {
    json_of(
        http()
            .get(format!("{}{path}", stack.bff))
            .send()
            .await
            .expect("request"),
    )
    .await
}

/// Pulls `kind` for the session with a fresh device key.
async fn pull(stack: &Stack, token: &str, kind: CertificateKind) -> (u16, Value, Sm2PrivateKey) {
    let device = Sm2PrivateKey::generate();
    let (status, body) = stack
        .post_authed(
            &paths::vault_certificate(kind.as_str()),
            token,
            json!({"holder_key": device.public_key().to_jwk()}),
        )
        .await;
    (status, body, device)
}

/// Verifies `presentation` as a verifier would, with what the BFF publishes.
async fn check(
    stack: &Stack,
    presentation: &str,
    department: &str,
) -> Result<Verified, VerifyError> {
    let (status, directory) = get(stack, paths::VAULT_ISSUERS).await;
    assert_eq!(status, 200, "{directory}");
    let directory: IssuerDirectory = serde_json::from_value(directory).expect("directory");
    let keys: Vec<(String, Sm2Jwk)> = directory
        .issuers
        .iter()
        .flat_map(|set| {
            set.keys
                .iter()
                .map(move |k| (set.issuer.clone(), k.clone()))
        })
        .collect();
    let (status, list) = get(stack, &paths::vault_status(department)).await;
    assert_eq!(status, 200, "{list}");
    let list: StatusListAnswer = serde_json::from_value(list).expect("status list");
    let issuer = directory
        .issuers
        .iter()
        .find(|s| s.department == department)
        .expect("the department's keys");
    let key = Sm2PublicKey::from_jwk(&issuer.keys[0]).unwrap();
    let list = status_list::verify(&list.token, &key, &status_list_uri(department))
        .expect("list verifies");
    verify(
        presentation,
        |iss, kid| {
            keys.iter()
                .find(|(i, k)| i == iss && k.kid.as_deref() == Some(kid))
                .and_then(|(_, k)| Sm2PublicKey::from_jwk(k).ok())
        },
        |r| {
            list.list
                .get(r.idx)
                .map_or(StatusCheck::Unavailable, StatusCheck::Fresh)
        },
        &Expectation {
            audience: "officer",
            nonce: None,
            now: chrono::Utc::now().timestamp(),
        },
    )
}

fn shown(credential: &str, kind: CertificateKind, device: &Sm2PrivateKey) -> String {
    let disclose: Vec<String> = kind
        .default_disclosure()
        .iter()
        .map(|c| c.to_string())
        .collect();
    present(
        credential,
        &PresentationRequest {
            disclose: &disclose,
            audience: "officer",
            nonce: &uuid::Uuid::new_v4().to_string(),
            iat: chrono::Utc::now().timestamp(),
        },
        device,
    )
    .expect("presented")
}

async fn a_device_pulls_a_certificate_bound_to_its_key_and_a_verifier_checks_it(stack: &Stack) {
    let session = stack.login_citizen(&advanced(stack)[0], VAULT).await;
    let token = access(&session);
    let (status, pulled, device) = pull(stack, &token, CertificateKind::ResidentId).await;
    assert_eq!(status, 200, "{pulled}");
    let credential = pulled["credential"].as_str().expect("credential");
    let verified = check(
        stack,
        &shown(credential, CertificateKind::ResidentId, &device),
        "public_security",
    )
    .await
    .expect("the presentation verifies with what the BFF publishes");
    assert_eq!(verified.claims["age_over_18"], true);
    assert!(!verified.claims.contains_key("id_number"));

    // Another device's key cannot present it.
    let thief = shown(
        credential,
        CertificateKind::ResidentId,
        &Sm2PrivateKey::generate(),
    );
    assert!(matches!(
        check(stack, &thief, "public_security").await,
        Err(VerifyError::BadKeyBinding(_))
    ));

    // The audit names the pull and its kind, never the certificate.
    let audit = stack.audit(20).await;
    assert!(audit
        .iter()
        .any(|e| e.event == "certificate_pulled" && e.detail == "resident_id"));

    // Refusals before any department call.
    let (status, body) = stack
        .post_authed(
            &paths::vault_certificate("passport"),
            &token,
            json!({"holder_key": device.public_key().to_jwk()}),
        )
        .await;
    assert_problem(status, &body, 400, "invalid_field");
    assert_eq!(body["field"], "kind");
    let mut p256 = device.public_key().to_jwk();
    p256.crv = "P-256".into();
    let (status, body) = stack
        .post_authed(
            &paths::vault_certificate("resident_id"),
            &token,
            json!({"holder_key": p256}),
        )
        .await;
    assert_problem(status, &body, 400, "invalid_field");
    assert_eq!(body["field"], "holder_key");
    let services = stack
        .login_citizen(&advanced(stack)[0], "zk-demo-services")
        .await;
    let (status, body, _) = pull(stack, &access(&services), CertificateKind::ResidentId).await;
    assert_problem(status, &body, 403, "missing_scope");
}

#[tokio::test]
async fn a_person_without_a_licence_is_told_the_department_has_no_record() {
    let stack = zhelikit_e2e::stack(Backend::Sqlite).await;
    for userid in advanced(stack).into_iter().take(40) {
        let session = stack.login_citizen(&userid, VAULT).await;
        let (status, body, _) =
            pull(stack, &access(&session), CertificateKind::DrivingLicence).await;
        if status == 404 {
            assert_problem(status, &body, 404, "certificate_not_held");
            assert!(
                body["detail"].as_str().unwrap().contains("电子驾驶证"),
                "{body}"
            );
            return;
        }
        assert_eq!(status, 200, "{body}");
    }
    panic!("every one of 40 advanced citizens holds a licence");
}

#[tokio::test]
async fn a_department_down_is_a_503_and_a_revocation_shows_in_the_next_status_list() {
    // Status lists fresh on every request, so the revocation is seen at once.
    let stack = private_stack(Backend::Sqlite, |c| {
        c.adapters.cache_ttl = Some(std::time::Duration::from_millis(1));
    })
    .await;
    let session = stack.login_citizen(&advanced(&stack)[1], VAULT).await;
    let token = access(&session);
    let (status, pulled, device) = pull(&stack, &token, CertificateKind::ResidentId).await;
    assert_eq!(status, 200, "{pulled}");
    let credential = pulled["credential"].as_str().unwrap().to_string();
    let presentation = shown(&credential, CertificateKind::ResidentId, &device);
    check(&stack, &presentation, "public_security")
        .await
        .expect("valid at first");

    revoke(&stack, &credential).await;
    assert_eq!(
        check(&stack, &presentation, "public_security").await,
        Err(VerifyError::Revoked)
    );

    public_security_down(&stack);
    let (status, body, _) = pull(&stack, &token, CertificateKind::HouseholdRegister).await;
    assert_problem(status, &body, 503, "department_unavailable");
    // The last list is still had, marked with its age.
    let (status, list) = get(&stack, &paths::vault_status("public_security")).await;
    assert_eq!(status, 200, "{list}");
    assert!(list["stale_secs"].is_u64(), "{list}");
    let (_, directory) = get(&stack, paths::VAULT_ISSUERS).await;
    assert!(
        directory["issuers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["department"] == "public_security"),
        "the keys had before are still published: {directory}"
    );
    let (status, body) = get(&stack, &paths::vault_status("nowhere")).await;
    assert_problem(status, &body, 400, "invalid_field");
}

/// The issuing department revokes `credential` (its status list says `invalid` from now on).
async fn revoke(stack: &Stack, credential: &str) {
    let answer = http()
        .post(format!(
            "{}{}",
            stack.platform,
            mock_platform::admin::CERTIFICATE_STATUS_PATH
        ))
        .json(&json!({"credential": credential, "status": "invalid"}))
        .send()
        .await
        .expect("the mock's admin API");
    assert_eq!(answer.status(), 204);
}

/// 公安 answers every call with HTTP 503.
fn public_security_down(stack: &Stack) {
    stack
        .mock
        .state
        .set_fault(
            Department::PublicSecurity,
            Fault {
                mode: FaultMode::Status(503),
                ..Fault::HEALTHY
            },
        )
        .unwrap();
}

/// A phone: a client of `mini_app` (not logged in) with a switchable network.
type Phone = (
    std::sync::Arc<zhelikit_sdk::ZheliKitClient>,
    std::sync::Arc<zhelikit_sdk::test_doubles::SwitchableNetwork>,
);

fn phone(stack: &Stack, mini_app: &str) -> Phone {
    let network = zhelikit_sdk::test_doubles::SwitchableNetwork::new(true);
    let monitor: std::sync::Arc<dyn zhelikit_sdk::NetworkMonitor> = network.clone();
    let dir = std::env::temp_dir()
        .join(format!("zk-sdk-vault-{}", uuid::Uuid::new_v4().simple()))
        .display()
        .to_string();
    let client = zhelikit_sdk::ZheliKitClient::open(
        zhelikit_sdk::ClientConfig {
            bff_url: stack.bff.clone(),
            mini_app_id: mini_app.into(),
            storage_dir: dir,
            scopes: None,
            refresh_margin_secs: 60,
            request_timeout_ms: 5000,
        },
        std::sync::Arc::new(zhelikit_sdk::test_doubles::WrappingKeySource::new([4; 32])),
        None,
        Some(monitor),
    )
    .expect("client");
    (client, network)
}

/// A client of the vault mini-app logged in as advanced citizen `skip`.
async fn vault_phone(stack: &Stack, skip: usize) -> Phone {
    let (client, network) = phone(stack, VAULT);
    let ticket = stack
        .citizen_ticket_for(VAULT, &advanced(stack)[skip])
        .await;
    client
        .identity()
        .login_with_ticket(ticket)
        .await
        .expect("login");
    (client, network)
}

#[tokio::test]
async fn the_sdk_pulls_lists_offline_and_presents_only_the_chosen_claims() {
    use zhelikit_sdk::{CertificateState, SdkError};
    // Its own stack: a department is made to fail below.
    let stack = &private_stack(Backend::Sqlite, |_| {}).await;
    let (client, network) = vault_phone(stack, 2).await;
    let vault = client.vault();
    let before = vault.list().expect("list");
    assert_eq!(before.len(), CertificateKind::ALL.len());
    assert!(before
        .iter()
        .all(|c| c.state == CertificateState::NotPulled));

    let id = vault.pull("resident_id".into()).await.expect("pull");
    assert_eq!(id.state, CertificateState::Available);
    assert!(id.claims.iter().any(|c| c.name == "id_number_masked"));
    assert!(
        id.claims.iter().all(|c| c.name != "id_number"),
        "no raw value in a list"
    );

    // Offline: the list and a presentation need no network.
    network.set_online(false);
    let offline = vault.list().expect("offline list");
    let held = offline.iter().find(|c| c.kind == "resident_id").unwrap();
    assert_eq!(held.state, CertificateState::Available);
    let p = vault
        .present(
            "resident_id".into(),
            Some(vec!["age_over_18".into()]),
            "officer".into(),
            "n-1".into(),
        )
        .expect("present offline");
    network.set_online(true);
    let verified = check(stack, &p.payload, "public_security")
        .await
        .expect("verifies");
    assert_eq!(
        verified.claims.len(),
        1,
        "only what was chosen: {:?}",
        verified.claims
    );
    assert_eq!(verified.claims["age_over_18"], true);
    assert!(p.valid_until > chrono::Utc::now().timestamp());

    // The default shows masked values and predicates, never a raw one.
    let default = vault
        .present("resident_id".into(), None, "officer".into(), "n-2".into())
        .unwrap();
    let shown = check(stack, &default.payload, "public_security")
        .await
        .unwrap();
    assert!(shown.claims.contains_key("name_masked") && !shown.claims.contains_key("name"));

    // Refusals name what is wrong.
    for (kind, claims) in [
        ("passport", None),
        ("resident_id", Some(vec!["shoe_size".to_string()])),
        ("driving_licence", None),
    ] {
        let refused = vault.present(kind.into(), claims, "officer".into(), "n".into());
        assert!(
            matches!(refused, Err(SdkError::InvalidInput { .. })),
            "{kind}: {refused:?}"
        );
    }

    // A department down: the pull fails with a reason and what was held stays presentable.
    public_security_down(stack);
    let failed = vault
        .pull("resident_id".into())
        .await
        .expect("a failed pull is a state");
    stack.mock.state.clear_faults();
    assert!(
        matches!(failed.state, CertificateState::PullFailed { ref reason } if reason.contains("暂时无法")),
        "{failed:?}"
    );
    assert!(failed.credential_held);
    vault
        .present("resident_id".into(), None, "officer".into(), "n-3".into())
        .expect("still presentable");
    drop(client);
}

/// A client of the verifier mini-app (`zk-demo-verifier`) logged in as official `index`.
async fn officer_phone(stack: &Stack, index: usize) -> Phone {
    let (client, network) = phone(stack, VERIFIER);
    let code = stack
        .auth_code_for(VERIFIER, stack.fixtures.officials[index].account_id)
        .await;
    client
        .identity()
        .login_with_auth_code(code)
        .await
        .expect("official login");
    (client, network)
}

const VERIFIER: &str = "zk-demo-verifier";

both_backends!(a_code_shown_on_a_phone_is_accepted_once_by_an_officers_phone_and_by_the_bff);

async fn a_code_shown_on_a_phone_is_accepted_once_by_an_officers_phone_and_by_the_bff(
    stack: &Stack,
) {
    use zhelikit_sdk::test_doubles::{show_code_every, RecordingCodes};
    let (citizen, _) = vault_phone(stack, 3).await;
    let vault = citizen.vault();
    vault.pull("resident_id".into()).await.expect("pull");
    let codes = std::sync::Arc::new(RecordingCodes::default());
    let shown = show_code_every(
        &vault,
        "resident_id",
        codes.clone(),
        std::time::Duration::from_millis(200),
    )
    .expect("shown");
    let first = codes.codes().remove(0);
    assert!(first.qr_text.starts_with("ZKV1:"), "{}", first.qr_text);
    // The screen refreshes by itself: a new code, a new nonce.
    let mut waited = 0;
    while codes.codes().len() < 2 && waited < 100 {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        waited += 1;
    }
    let second = codes.codes().get(1).cloned().expect("a refreshed code");
    assert_ne!(first.qr_text, second.qr_text);
    shown.cancel();

    let (officer, officer_net) = officer_phone(stack, 2).await;
    let checker = officer.vault();
    let v = checker.verify(first.qr_text.clone()).await.expect("verify");
    assert!(v.accepted, "{v:?}");
    assert_eq!(v.message, "证照有效");
    assert_eq!(v.kind.as_deref(), Some("resident_id"));
    assert_eq!(v.status.as_deref(), Some("valid"));
    assert!(v.claims.iter().any(|c| c.label == "已满 18 周岁"));
    assert!(
        v.claims
            .iter()
            .all(|c| c.name != "id_number" && c.name != "name"),
        "masked and predicates only by default: {:?}",
        v.claims
    );
    let again = checker.verify(first.qr_text.clone()).await.expect("verify");
    assert_eq!(again.refusal.as_deref(), Some("replayed"));

    // Offline, with the keys and list kept on the phone.
    officer_net.set_online(false);
    let offline = checker
        .verify(second.qr_text.clone())
        .await
        .expect("verify offline");
    assert!(offline.accepted, "{offline:?}");
    officer_net.set_online(true);
    // A changed character: refused, with a reason the officer reads.
    let mut tampered = second.payload.clone();
    let at = tampered.len() - 10;
    let c = if tampered.as_bytes()[at] == b'A' {
        "B"
    } else {
        "A"
    };
    tampered.replace_range(at..=at, c);
    let refused = checker.verify(tampered).await.expect("verify");
    assert!(
        !refused.accepted && refused.refusal.is_some(),
        "{refused:?}"
    );
    assert!(!refused.message.is_empty());

    // The BFF's endpoint for online verifiers: once, across instances (the shared cache).
    let official = stack.fixtures.officials[2].account_id;
    let code = stack.auth_code_for(VERIFIER, official).await;
    let (status, session) = stack
        .post(
            paths::ZZD_AUTH_CODE,
            json!({"mini_app_id": VERIFIER, "auth_code": code}),
        )
        .await;
    assert_eq!(status, 200, "{session}");
    let token = access(&session);
    let third = vault
        .present(
            "resident_id".into(),
            Some(vec!["age_over_18".into(), "id_number_masked".into()]),
            zhelikit_domain::vault::verifier::IN_PERSON_AUDIENCE.into(),
            uuid::Uuid::new_v4().to_string(),
        )
        .expect("present");
    let body = json!({"presentation": third.qr_text});
    let (status, answer) = stack
        .post_authed(paths::VAULT_VERIFICATIONS, &token, body.clone())
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["accepted"], true, "{answer}");
    assert_eq!(
        answer["claims"].as_array().map(Vec::len),
        Some(2),
        "{answer}"
    );
    let (_, again) = stack
        .post_authed(paths::VAULT_VERIFICATIONS, &token, body)
        .await;
    assert_eq!(again["refusal"], "replayed", "{again}");
    let audit = stack.audit(50).await;
    assert!(audit
        .iter()
        .any(|e| e.event == "certificate_verified" && e.detail == "resident_id:replayed"));

    // What the endpoint refuses before checking anything.
    let (status, body) = stack
        .post_authed(
            paths::VAULT_VERIFICATIONS,
            &token,
            json!({"presentation": "x", "audience": "zk-demo-services"}),
        )
        .await;
    assert_problem(status, &body, 400, "invalid_field");
    assert_eq!(body["field"], "audience");
    let (status, body) = stack
        .post_authed(
            paths::VAULT_VERIFICATIONS,
            &token,
            json!({"presentation": ""}),
        )
        .await;
    assert_problem(status, &body, 400, "invalid_field");
    let citizen_session = stack.login_citizen(&advanced(stack)[3], VAULT).await;
    let (status, body) = stack
        .post_authed(
            paths::VAULT_VERIFICATIONS,
            &access(&citizen_session),
            json!({"presentation": "x"}),
        )
        .await;
    assert_problem(status, &body, 403, "missing_scope");
    drop(citizen);
    drop(officer);
}

#[tokio::test]
async fn a_raw_claim_is_shown_only_after_the_person_confirms() {
    use zhelikit_sdk::test_doubles::FixedReauthenticator;
    use zhelikit_sdk::SdkError;
    let stack = stack_sqlite().await;
    let (client, network) = vault_phone(stack, 4).await;
    let vault = client.vault();
    vault.pull("resident_id".into()).await.expect("pull");
    network.set_online(false);
    let no = FixedReauthenticator::new(false);
    let refused = vault
        .reveal("resident_id".into(), "id_number".into(), no.clone())
        .await;
    assert!(matches!(refused, Err(SdkError::Cancelled)), "{refused:?}");
    assert_eq!(no.asked(), ["查看电子居民身份证的公民身份号码"]);
    let yes = FixedReauthenticator::new(true);
    let shown = vault
        .reveal("resident_id".into(), "id_number".into(), yes.clone())
        .await
        .expect("revealed");
    let number: String = serde_json::from_str(shown.value_json.as_deref().unwrap()).unwrap();
    assert_eq!(number.len(), 18);
    // A masked claim needs no confirmation.
    let masked = vault
        .reveal("resident_id".into(), "id_number_masked".into(), no.clone())
        .await
        .expect("masked");
    assert!(masked.value_json.unwrap().contains('*'));
    assert_eq!(no.asked().len(), 1, "not asked for a masked claim");
    let unknown = vault
        .reveal("resident_id".into(), "shoe_size".into(), yes)
        .await;
    assert!(matches!(unknown, Err(SdkError::InvalidInput { .. })));
    vault
        .present("resident_id".into(), None, "officer".into(), "n-h".into())
        .expect("present");

    // The history: what happened, names not values, an SM3 chain anyone can check.
    let history = vault.history().expect("history");
    assert!(history.intact);
    let seen: Vec<(&str, &str)> = history
        .entries
        .iter()
        .map(|e| (e.event.as_str(), e.outcome.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            ("pulled", "ok"),
            ("revealed", "cancelled"),
            ("revealed", "ok"),
            ("presented", "ok")
        ]
    );
    assert_eq!(history.entries[0].counterpart, "public_security");
    assert_eq!(history.entries[2].disclosed, ["id_number"]);
    assert_eq!(history.entries[3].counterpart, "officer");
    let exported = vault.export_history().expect("export");
    assert!(!exported.contains(&number), "names, never values");
    let parsed: Value = serde_json::from_str(&exported).unwrap();
    let mut entries: Vec<zhelikit_domain::vault::history::HistoryEntry> =
        serde_json::from_value(parsed["entries"].clone()).unwrap();
    assert_eq!(
        zhelikit_domain::vault::history::verify_chain(&entries),
        Ok(())
    );
    entries[1].body.what.outcome = "ok".into();
    assert!(
        zhelikit_domain::vault::history::verify_chain(&entries).is_err(),
        "an altered entry shows"
    );
}

async fn stack_sqlite() -> &'static Stack {
    zhelikit_e2e::stack(Backend::Sqlite).await
}

both_backends!(a_verifier_asks_online_the_holder_approves_and_an_over_ask_is_refused_by_default);

async fn a_verifier_asks_online_the_holder_approves_and_an_over_ask_is_refused_by_default(
    stack: &Stack,
) {
    use zhelikit_sdk::test_doubles::ScriptedApprover;
    use zhelikit_sdk::{ShareDecision, ShareOutcome};
    let (citizen, _) = vault_phone(stack, 5).await;
    let holder = citizen.vault();
    holder.pull("resident_id".into()).await.expect("pull");
    let (officer, _) = officer_phone(stack, 6).await;
    let verifier = officer.vault();
    let ask = |claims: &[&str]| {
        let claims: Vec<String> = claims.iter().map(|c| c.to_string()).collect();
        let verifier = verifier.clone();
        async move {
            verifier
                .request_share("resident_id".into(), claims, "核验身份".into())
                .await
                .expect("request")
        }
    };

    // Asked for what it is registered for: shown, approved, shared, checked.
    let made = ask(&["age_over_18", "resident_of_wenzhou"]).await;
    let yes = ScriptedApprover::new(ShareDecision::Share);
    let outcome = holder
        .answer_request(made.id.clone(), yes.clone())
        .await
        .expect("answer");
    let ShareOutcome::Shared { verification } = outcome else {
        panic!("{outcome:?}");
    };
    assert!(verification.accepted, "{verification:?}");
    assert_eq!(verification.claims.len(), 2);
    let shown = &yes.shown()[0];
    assert_eq!(shown.verifier_name, "温州市公安局交通警察支队");
    assert_eq!(shown.purpose, "核验身份");
    assert!(shown.over_asked.is_empty() && shown.held);
    let status = verifier
        .request_status(made.id.clone())
        .await
        .expect("status");
    assert_eq!(status.state, "answered");
    assert!(status.verification.expect("checked").accepted);
    assert!(
        holder.answer_request(made.id, yes.clone()).await.is_err(),
        "a request is answered once"
    );

    // Over-asking (the raw ID number): shown as such and refused, though the person said yes.
    let made = ask(&["age_over_18", "id_number"]).await;
    let outcome = holder
        .answer_request(made.id.clone(), yes.clone())
        .await
        .expect("answer");
    assert_eq!(
        outcome,
        ShareOutcome::RefusedOverAsk {
            claims: vec!["id_number".into()]
        }
    );
    let shown = yes.shown().pop().unwrap();
    assert!(shown
        .claims
        .iter()
        .any(|c| c.name == "id_number" && c.over_asked));
    let status = verifier.request_status(made.id).await.expect("status");
    assert_eq!(
        (status.state.as_str(), status.declined.as_deref()),
        ("declined", Some("over_asked"))
    );

    // Unless the person, warned, allows it.
    let made = ask(&["id_number"]).await;
    let anyway = ScriptedApprover::new(ShareDecision::ShareIncludingOverAsked);
    let outcome = holder
        .answer_request(made.id, anyway)
        .await
        .expect("answer");
    assert!(
        matches!(&outcome, ShareOutcome::Shared { verification } if verification.accepted && verification.claims[0].name == "id_number"),
        "{outcome:?}"
    );

    // Declined.
    let made = ask(&["age_over_18"]).await;
    let no = ScriptedApprover::new(ShareDecision::Decline);
    assert_eq!(
        holder
            .answer_request(made.id.clone(), no)
            .await
            .expect("answer"),
        ShareOutcome::Declined
    );
    let status = verifier.request_status(made.id).await.expect("status");
    assert_eq!(status.declined.as_deref(), Some("declined"));
    let history = holder.history().expect("history");
    assert!(history.intact);
    let shares: Vec<&str> = history
        .entries
        .iter()
        .filter(|e| e.event == "shared")
        .map(|e| e.outcome.as_str())
        .collect();
    assert_eq!(shares, ["ok", "over_asked", "ok", "declined"]);
    let over = history
        .entries
        .iter()
        .find(|e| e.outcome == "over_asked")
        .unwrap();
    assert_eq!(over.purpose.as_deref(), Some("核验身份"));
    assert!(over.disclosed.is_empty() && over.requested.contains(&"id_number".to_string()));
    let audit = stack.audit(100).await;
    assert!(audit.iter().any(|e| e.event == "certificate_shared"
        && e.detail == "zk-demo-verifier:resident_id:over_asked"));

    // What the BFF refuses: an unregistered purpose, an unknown claim, a session without
    // vault.verify.
    let official = stack.fixtures.officials[6].account_id;
    let code = stack.auth_code_for(VERIFIER, official).await;
    let (_, session) = stack
        .post(
            paths::ZZD_AUTH_CODE,
            json!({"mini_app_id": VERIFIER, "auth_code": code}),
        )
        .await;
    let token = access(&session);
    let (status, body) = stack
        .post_authed(
            paths::VAULT_SHARE_REQUESTS,
            &token,
            json!({"kind": "resident_id", "claims": ["age_over_18"], "purpose": "放贷"}),
        )
        .await;
    assert_problem(status, &body, 400, "invalid_field");
    assert_eq!(body["field"], "purpose");
    let (status, body) = stack
        .post_authed(
            paths::VAULT_SHARE_REQUESTS,
            &token,
            json!({"kind": "resident_id", "claims": ["shoe_size"], "purpose": "核验身份"}),
        )
        .await;
    assert_problem(status, &body, 400, "invalid_field");
    assert_eq!(body["field"], "claims");
    let citizen_session = stack.login_citizen(&advanced(stack)[5], VAULT).await;
    let (status, body) = stack
        .post_authed(
            paths::VAULT_SHARE_REQUESTS,
            &access(&citizen_session),
            json!({"kind": "resident_id", "claims": ["age_over_18"], "purpose": "核验身份"}),
        )
        .await;
    assert_problem(status, &body, 403, "missing_scope");
    let (status, body) = stack
        .get_authed(
            &paths::vault_share_request("nope"),
            &access(&citizen_session),
        )
        .await;
    assert_problem(status, &body, 404, "share_request_not_found");
    drop(citizen);
    drop(officer);
}

#[tokio::test]
async fn a_certificate_its_issuer_revoked_shows_revoked_on_the_device_offline_too() {
    use zhelikit_sdk::{CertificateState, SdkError};
    // Status lists fresh on every request, so the revocation is seen at once.
    let stack = &private_stack(Backend::Sqlite, |c| {
        c.adapters.cache_ttl = Some(std::time::Duration::from_millis(1));
    })
    .await;
    let (client, network) = vault_phone(stack, 7).await;
    let vault = client.vault();
    vault.pull("resident_id".into()).await.expect("pull");
    let listed = vault.refresh_status().await.expect("refresh");
    let id = listed.iter().find(|c| c.kind == "resident_id").unwrap();
    assert_eq!(id.state, CertificateState::Available);

    // The department revokes this very credential (the one the device holds).
    let held = vault
        .present("resident_id".into(), None, "officer".into(), "n".into())
        .expect("presentable");
    let credential = format!("{}~", held.payload.split('~').next().unwrap());
    revoke(stack, &credential).await;

    let listed = vault.refresh_status().await.expect("refresh");
    let id = listed.iter().find(|c| c.kind == "resident_id").unwrap();
    assert_eq!(id.state, CertificateState::Revoked);
    network.set_online(false);
    let offline = vault.list().expect("offline list");
    assert_eq!(
        offline
            .iter()
            .find(|c| c.kind == "resident_id")
            .unwrap()
            .state,
        CertificateState::Revoked
    );
    let refused = vault.present("resident_id".into(), None, "officer".into(), "n2".into());
    assert!(
        matches!(&refused, Err(SdkError::InvalidInput { reason, .. }) if reason.contains("revoked")),
        "{refused:?}"
    );
    // Offline, a refresh keeps what was kept.
    let kept = vault.refresh_status().await.expect("refresh offline");
    assert_eq!(
        kept.iter().find(|c| c.kind == "resident_id").unwrap().state,
        CertificateState::Revoked
    );
    network.set_online(true);
    // A new pull is a new credential, at a new index: available again.
    vault.pull("resident_id".into()).await.expect("pull again");
    let again = vault.refresh_status().await.expect("refresh");
    assert_eq!(
        again
            .iter()
            .find(|c| c.kind == "resident_id")
            .unwrap()
            .state,
        CertificateState::Available
    );
}

/// The mock bank's page API: `POST` (no body) or `GET` at `path` on the mock platform.
async fn bank(stack: &Stack, post: bool, path: &str) -> (u16, Value) {
    let url = format!("{}{path}", stack.platform);
    let request = if post {
        http().post(url)
    } else {
        http().get(url)
    };
    json_of(request.send().await.expect("the mock bank")).await
}

/// Waits (bounded) until the mock bank has been told status `status` of consent `id`.
async fn bank_told(stack: &Stack, id: &str, status: &str) -> Value {
    let path = format!("/bank/api/consents/{id}");
    // Long enough for a notice retried twice (backoff of up to one, then two seconds).
    for _ in 0..400 {
        // The bank knows a consent it did not ask for itself (404) only once it is told.
        let answer = http()
            .get(format!("{}{path}", stack.platform))
            .send()
            .await
            .expect("the mock bank");
        let seen: Value = if answer.status().is_success() {
            answer.json().await.expect("JSON")
        } else {
            Value::Null
        };
        if seen["status"] == status {
            return seen;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("the bank was not told {status} of {id}");
}

/// A vault phone of an advanced citizen (from `from`) holding both certificates the bank
/// asks for.
async fn borrower_phone(stack: &Stack, from: usize) -> Phone {
    for skip in from..advanced(stack).len() {
        let phone = vault_phone(stack, skip).await;
        let vault = phone.0.vault();
        let held = |c: Result<zhelikit_sdk::Certificate, _>| c.is_ok_and(|c| c.credential_held);
        if held(vault.pull("resident_id".into()).await)
            && held(vault.pull("home_purchase".into()).await)
        {
            return phone;
        }
    }
    panic!("no fixture citizen holds both a resident ID and a home-purchase record");
}

both_backends!(
    a_bank_asks_the_citizen_approves_the_bank_fetches_sealed_data_and_a_revocation_stops_it
);

async fn a_bank_asks_the_citizen_approves_the_bank_fetches_sealed_data_and_a_revocation_stops_it(
    stack: &Stack,
) {
    use zhelikit_domain::vault::consent::DEMO_BANK_ID;
    use zhelikit_sdk::test_doubles::FixedReauthenticator;
    use zhelikit_sdk::SdkError;
    let (citizen, _) = borrower_phone(stack, 8).await;
    let vault = citizen.vault();

    // The bank asks; the citizen reads who, why, what and for how long.
    let (status, pending) = bank(stack, true, "/bank/api/consent-requests").await;
    assert_eq!(status, 200, "{pending}");
    let id = pending["terms"]["id"].as_str().expect("id").to_string();
    let request = vault
        .consent_request(id.clone())
        .await
        .expect("read the request");
    assert_eq!(request.consumer_name, "温州银行");
    assert_eq!(request.purpose, "个人住房贷款审批");
    assert_eq!(request.frequency, "每月最多 2 次");
    assert_eq!(request.data_life_days, 90);
    assert_eq!(request.items[0].claims[1].label, "公民身份号码");
    assert_eq!(
        request.items[0].claims[1].kind,
        zhelikit_sdk::ClaimKind::Raw
    );

    // Not confirmed by the person: nothing is approved.
    let no = FixedReauthenticator::new(false);
    assert!(matches!(
        vault.answer_consent(id.clone(), true, no).await,
        Err(SdkError::Cancelled)
    ));
    let yes = FixedReauthenticator::new(true);
    let consent = vault
        .answer_consent(id.clone(), true, yes.clone())
        .await
        .expect("approve")
        .expect("a consent");
    assert_eq!(consent.status.as_deref(), Some("ACTIVE"));
    assert_eq!(yes.asked()[0], "同意向温州银行授权（个人住房贷款审批）");
    // The artefact is signed by the platform's published consent key over these terms,
    // with the device's approval inside.
    let (_, key) = get(stack, paths::VAULT_CONSENT_KEY).await;
    let key: Sm2Jwk = serde_json::from_value(key["keys"][0].clone()).expect("jwk");
    let body = zhelikit_domain::vault::consent::verify_artefact(
        consent.artefact.as_deref().expect("artefact"),
        &Sm2PublicKey::from_jwk(&key).unwrap(),
    )
    .expect("the artefact verifies");
    assert_eq!(body.terms.id, id);
    assert!(
        body.approval.presentation.ends_with(|c| c != '~'),
        "a key binding"
    );
    bank_told(stack, &id, "ACTIVE").await;

    // The bank fetches twice at once (twice a month is allowed): both are served and counted.
    // Each is sealed to its key, every certificate checked, only what was consented.
    let fetch_path = format!("/bank/api/consents/{id}/fetch");
    let ((status, fetched), (other, second)) = tokio::join!(
        bank(stack, true, &fetch_path),
        bank(stack, true, &fetch_path)
    );
    assert_eq!((status, other), (200, 200), "{fetched} {second}");
    assert!(second["refused"].is_null(), "{second}");
    assert!(fetched["refused"].is_null(), "{fetched}");
    let data = fetched["data"].as_array().expect("data");
    assert_eq!(data.len(), 2, "{fetched}");
    assert!(data.iter().all(|c| c["accepted"] == true), "{fetched}");
    let id_card = &data[0]["claims"];
    assert_eq!(id_card.as_object().unwrap().len(), 3, "{id_card}");
    assert_eq!(id_card["已满 18 周岁"], "是");
    assert!(
        id_card["公民身份号码"]
            .as_str()
            .is_some_and(|n| n.len() == 18),
        "{id_card}"
    );
    assert!(
        id_card.get("住址").is_none(),
        "an unconsented claim stays hidden"
    );

    // The third this month is refused, with when to retry.
    let (_, third) = bank(stack, true, &format!("/bank/api/consents/{id}/fetch")).await;
    assert_eq!(third["refused"]["code"], "consent_too_often", "{third}");
    assert_eq!(third["fetches"], 2);

    // Revoked on the phone while the bank's webhook is down: the notice is retried until the
    // bank takes it, once; the bank's next fetch is refused.
    let down = http()
        .post(format!(
            "{}{}",
            stack.platform,
            mock_platform::bank::WEBHOOK_FAILURES_PATH
        ))
        .json(&json!({"count": 2}))
        .send()
        .await
        .expect("the mock's admin API");
    assert_eq!(down.status(), 204);
    let listed = vault.consents().await.expect("list");
    assert_eq!(listed[0].use_count, 2);
    let revoked = vault
        .change_consent(id.clone(), "revoke".into())
        .await
        .expect("revoke");
    assert_eq!(revoked.status_text.as_deref(), Some("已撤销"));
    let told = bank_told(stack, &id, "REVOKED").await;
    let revocations = (told["notices"].as_array().unwrap().iter())
        .filter(|n| n["status"] == "REVOKED")
        .count();
    assert_eq!(revocations, 1, "told once, after two refusals: {told}");
    let (_, after) = bank(stack, true, &format!("/bank/api/consents/{id}/fetch")).await;
    assert_eq!(after["refused"]["code"], "consent_revoked", "{after}");
    assert_eq!(after["refused"]["detail"], "用户已撤销该授权");
    // Revoked is final.
    match vault.change_consent(id.clone(), "resume".into()).await {
        Err(SdkError::Server { code, .. }) => assert_eq!(code, "consent_status_conflict"),
        other => panic!("{other:?}"),
    }
    // The history records the approval and the revocation, without values.
    let history = vault.history().expect("history");
    let consented: Vec<&str> = history
        .entries
        .iter()
        .filter(|i| i.event == "consented")
        .map(|i| i.outcome.as_str())
        .collect();
    assert!(
        consented.contains(&"approved") && consented.contains(&"revoked"),
        "{consented:?}"
    );

    // The platform's side of the history: the bank's two fetches, with kinds, no values.
    let activity = vault.server_activity().await.expect("activity");
    let fetches: Vec<_> = activity
        .iter()
        .filter(|a| a.event == "consent_fetched")
        .collect();
    assert_eq!(fetches.len(), 2, "{activity:?}");
    assert_eq!(fetches[0].counterpart.as_deref(), Some(DEMO_BANK_ID));
    assert!(fetches[0].detail.contains("resident_id"), "{activity:?}");

    // The citizen asks the bank to delete what it has: told at its webhook, it deletes.
    let asked = vault
        .raise_objection(
            "deletion".into(),
            Some(id.clone()),
            None,
            "贷款已办结，请删除我的资料".into(),
        )
        .await
        .expect("deletion request");
    assert_eq!(asked.kind, "deletion");
    let mut forwarded = asked.status.clone();
    for _ in 0..200 {
        if forwarded == "FORWARDED" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        let all = vault.objections().await.expect("objections");
        forwarded = all
            .iter()
            .find(|o| o.id == asked.id)
            .unwrap()
            .status
            .clone();
    }
    assert_eq!(forwarded, "FORWARDED");
    let (_, seen) = bank(stack, false, &format!("/bank/api/consents/{id}")).await;
    assert!(seen["deleted_at"].is_i64(), "{seen}");
    assert_eq!(seen["data"], json!([]), "{seen}");
    // Sent again: the same request, the bank not told twice.
    let again = vault
        .raise_objection(
            "deletion".into(),
            Some(id.clone()),
            None,
            "贷款已办结，请删除我的资料".into(),
        )
        .await
        .expect("again");
    assert_eq!(again.id, asked.id);

    // A complaint about a history entry, kept for the platform's desk; one not in the history
    // is refused on the device.
    let entry = history
        .entries
        .iter()
        .find(|e| e.event == "consented" && e.outcome == "approved")
        .unwrap();
    let complaint = vault
        .raise_objection(
            "complaint".into(),
            None,
            Some(entry.seq),
            "我没有同意过这项授权".into(),
        )
        .await
        .expect("complaint");
    assert_eq!(complaint.status, "RECEIVED");
    assert_eq!(complaint.counterpart.as_deref(), Some(DEMO_BANK_ID));
    assert!(matches!(
        vault
            .raise_objection("complaint".into(), None, Some(9_999), "不存在的记录".into())
            .await,
        Err(SdkError::InvalidInput { field, .. }) if field == "entry_seq"
    ));
    // Another citizen's consent is not theirs to object to.
    let (other, _) = vault_phone(stack, 23).await;
    assert!(matches!(
        other
            .vault()
            .raise_objection("deletion".into(), Some(id.clone()), None, "删除".into())
            .await,
        Err(SdkError::Server { code, .. }) if code == "consent_not_yours"
    ));
}

#[tokio::test]
async fn consent_requests_and_fetches_refuse_bad_credentials_over_asking_other_banks_and_forged_approvals(
) {
    use zhelikit_domain::vault::consent::{demo_consumers, DEMO_BANK_ID, DEMO_BANK_SECRET};
    let stack = private_stack(Backend::Sqlite, |config| {
        // A second bank, to try the first one's consent with.
        let mut other = demo_consumers(None).remove(0);
        other.id = "zk-other-bank".into();
        other.secret_sm3 = zhelikit_domain::gm::hex(&zhelikit_domain::gm::sm3(b"other-secret"));
        config.vault_consumers.push(other);
    })
    .await;
    let stack = &stack;
    let asks = |who: &'static str, secret: &'static str, body: Value| async move {
        json_of(
            http()
                .post(format!(
                    "{}{}",
                    stack.bff,
                    paths::VAULT_CONSUMER_CONSENT_REQUESTS
                ))
                .basic_auth(who, Some(secret))
                .json(&body)
                .send()
                .await
                .expect("request"),
        )
        .await
    };
    let now = chrono::Utc::now().timestamp();
    let home_loan = |claims: Value| {
        json!({"purpose": "home_loan", "items": [{"kind": "resident_id", "claims": claims}],
               "expiry": now + 86_400, "fetch_type": "ONCE", "data_life_days": 30})
    };
    let (status, body) = asks(DEMO_BANK_ID, "wrong", home_loan(json!(["name"]))).await;
    assert_problem(status, &body, 401, "consumer_unauthenticated");
    let (status, body) = asks(
        DEMO_BANK_ID,
        DEMO_BANK_SECRET,
        home_loan(json!(["name", "address"])),
    )
    .await;
    assert_problem(status, &body, 403, "consent_over_asked");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("resident_id.address"),
        "{body}"
    );
    let (status, body) = asks(
        DEMO_BANK_ID,
        DEMO_BANK_SECRET,
        home_loan(json!(["shoe_size"])),
    )
    .await;
    assert_problem(status, &body, 400, "invalid_field");
    assert_eq!(body["field"], "items[0].claims");
    let (status, body) = asks(
        DEMO_BANK_ID,
        DEMO_BANK_SECRET,
        json!({"purpose": "home_loan"}),
    )
    .await;
    assert_problem(status, &body, 400, "malformed_body");
    assert!(body["detail"].as_str().unwrap().contains("items"), "{body}");

    // A request approved with a presentation made for other terms, or garbage, is refused
    // and stays answerable.
    let (status, pending) = asks(DEMO_BANK_ID, DEMO_BANK_SECRET, home_loan(json!(["name"]))).await;
    assert_eq!(status, 200, "{pending}");
    let id = pending["terms"]["id"].as_str().unwrap().to_string();
    let (citizen, _) = borrower_phone(stack, 2).await;
    let session = stack.login_citizen(&advanced(stack)[0], VAULT).await;
    let token = access(&session);
    let (_, credential, device) = pull(stack, &token, CertificateKind::ResidentId).await;
    let forged = present(
        credential["credential"].as_str().unwrap(),
        &PresentationRequest {
            disclose: &[],
            audience: DEMO_BANK_ID,
            nonce: "not-the-terms-digest",
            iat: now,
        },
        &device,
    )
    .unwrap();
    for approval in [forged.as_str(), "garbage"] {
        let (status, body) = stack
            .post_authed(
                &paths::vault_consent_decision(&id),
                &token,
                json!({"approve": true, "approval": approval}),
            )
            .await;
        assert_problem(status, &body, 400, "consent_approval_invalid");
    }
    let (status, body) = stack
        .post_authed(
            &paths::vault_consent_decision(&id),
            &token,
            json!({"approve": true}),
        )
        .await;
    assert_problem(status, &body, 400, "invalid_field");

    // Approved on a phone; then another bank's credentials cannot read or fetch it.
    let yes = zhelikit_sdk::test_doubles::FixedReauthenticator::new(true);
    citizen
        .vault()
        .answer_consent(id.clone(), true, yes)
        .await
        .expect("approve");
    let other = |path: String| async move {
        json_of(
            http()
                .post(format!("{}{path}", stack.bff))
                .basic_auth("zk-other-bank", Some("other-secret"))
                .send()
                .await
                .expect("request"),
        )
        .await
    };
    let (status, body) = other(paths::vault_consumer_consent_fetches(&id)).await;
    assert_problem(status, &body, 403, "consent_not_yours");
    // Another citizen cannot change it.
    let (status, body) = stack
        .post_authed(
            &paths::vault_consent_status(&id),
            &token,
            json!({"action": "pause"}),
        )
        .await;
    assert_problem(status, &body, 403, "consent_not_yours");
    // Once: the first fetch passes, the second is refused; an answered request is gone.
    let fetch = || async {
        json_of(
            http()
                .post(format!(
                    "{}{}",
                    stack.bff,
                    paths::vault_consumer_consent_fetches(&id)
                ))
                .basic_auth(DEMO_BANK_ID, Some(DEMO_BANK_SECRET))
                .send()
                .await
                .expect("request"),
        )
        .await
    };
    let (status, sealed) = fetch().await;
    assert_eq!(status, 200, "{sealed}");
    let sealed: zhelikit_domain::vault::consent::SealedFetch =
        serde_json::from_value(sealed).unwrap();
    assert!(
        sealed.open(&Sm2PrivateKey::generate()).is_err(),
        "nobody but the bank opens it"
    );
    let data = sealed
        .open(&zhelikit_domain::vault::consent::demo_bank_key())
        .expect("the bank opens it");
    assert_eq!(data.items.len(), 1);
    let (status, body) = fetch().await;
    assert_problem(status, &body, 403, "consent_used");
    let (status, body) = stack
        .post_authed(
            &paths::vault_consent_decision(&id),
            &token,
            json!({"approve": false}),
        )
        .await;
    assert_problem(status, &body, 404, "consent_request_not_found");
}

both_backends!(a_citizen_disputes_a_claim_the_department_accepts_the_old_credential_is_revoked_and_the_new_one_pulled);

/// The departments' corrections, as the mock's admin API lists them.
async fn filed_corrections(stack: &Stack) -> Vec<Value> {
    let answer = http()
        .get(format!(
            "{}{}",
            stack.platform,
            mock_platform::admin::corrections::CORRECTIONS_PATH
        ))
        .send()
        .await
        .expect("the mock's admin API");
    answer.json().await.expect("JSON")
}

/// The department decides correction `reference` (the mock's admin API: plain JSON).
async fn decide(
    stack: &Stack,
    reference: &str,
    outcome: &str,
    reason: Option<&str>,
) -> (u16, Value) {
    let answer = http()
        .post(format!(
            "{}{}",
            stack.platform,
            mock_platform::admin::corrections::CORRECTION_DECISION_PATH
                .replace("{reference}", reference)
        ))
        .json(&json!({"outcome": outcome, "reason": reason}))
        .send()
        .await
        .expect("the mock's admin API");
    let status = answer.status().as_u16();
    (status, answer.json().await.expect("JSON"))
}

async fn a_citizen_disputes_a_claim_the_department_accepts_the_old_credential_is_revoked_and_the_new_one_pulled(
    stack: &Stack,
) {
    use zhelikit_sdk::{DisputeInput, EvidenceFile, SdkError};
    let (client, network) = vault_phone(stack, 20).await;
    let vault = client.vault();
    vault.pull("resident_id".into()).await.expect("pull");
    let old = vault
        .present("resident_id".into(), None, "officer".into(), "n-old".into())
        .expect("present");
    check(stack, &old.payload, "public_security")
        .await
        .expect("valid before the correction");

    let new_address = "浙江省温州市鹿城区松台街道信河街88号";
    let input = DisputeInput {
        kind: "resident_id".into(),
        claim: "address".into(),
        proposed_value: new_address.into(),
        reason: "已迁入新址，户籍地址未更新".into(),
        evidence: Some(EvidenceFile {
            name: "户口本本人页.png".into(),
            media_type: "image/png".into(),
            data: b"\x89PNG\r\n\x1a\n fixture page".to_vec(),
        }),
    };
    // Refused on the device, naming the field: a yes/no claim, an empty value, a kind not held.
    for (bad, field) in [
        (
            DisputeInput {
                claim: "age_over_18".into(),
                ..input.clone()
            },
            "claim",
        ),
        (
            DisputeInput {
                proposed_value: " ".into(),
                ..input.clone()
            },
            "proposed_value",
        ),
        (
            DisputeInput {
                kind: "driving_licence".into(),
                ..input.clone()
            },
            "kind",
        ),
    ] {
        let refused = vault.dispute(bad).await;
        assert!(
            matches!(&refused, Err(SdkError::InvalidInput { field: f, .. }) if f == field),
            "{refused:?}"
        );
    }
    // Offline, nothing is filed; the same dispute again once online is filed once.
    network.set_online(false);
    assert!(matches!(
        vault.dispute(input.clone()).await,
        Err(SdkError::Offline { .. })
    ));
    network.set_online(true);
    let filed = vault.dispute(input.clone()).await.expect("filed");
    assert_eq!(filed.status, "SUBMITTED");
    assert_eq!(filed.proposed_value.as_deref(), Some(new_address));
    assert_eq!(filed.department, "public_security");
    let again = vault.dispute(input.clone()).await.expect("filed again");
    assert_eq!(again.id, filed.id, "the same dispute is one correction");
    let at_department: Vec<Value> = filed_corrections(stack)
        .await
        .into_iter()
        .filter(|c| c["reference"] == filed.id.as_str())
        .collect();
    assert_eq!(at_department.len(), 1, "filed once");
    assert_eq!(at_department[0]["proposedValue"], new_address);
    assert_eq!(at_department[0]["caseNumber"], filed.case_number.as_str());
    assert_eq!(at_department[0]["evidence"][0], "户口本本人页.png");

    // What the server keeps names no value.
    let session = stack.login_citizen(&advanced(stack)[20], VAULT).await;
    let token = access(&session);
    let (status, listed) = stack.get_authed(paths::VAULT_CORRECTIONS, &token).await;
    assert_eq!(status, 200, "{listed}");
    assert!(!listed.to_string().contains("信河街"), "{listed}");
    assert_eq!(listed[0]["status"], "SUBMITTED");
    // The same request id for another dispute is refused.
    let mut reused = json!({
        "request_id": listed[0]["request_id"],
        "kind": "resident_id",
        "claim": "address",
        "proposed_value": "另一个地址",
        "reason": "换一个理由",
        "evidence": null,
        "credential": old.payload.split('~').next().unwrap(),
    });
    let (status, body) = stack
        .post_authed(paths::VAULT_CORRECTIONS, &token, reused.clone())
        .await;
    assert_problem(status, &body, 409, "correction_status_conflict");
    // A credential whose signature is not the department's is refused before filing.
    let forged = {
        let jwt = old.payload.split('~').next().unwrap();
        let (head, _) = jwt.rsplit_once('.').unwrap();
        format!("{head}.AAAA")
    };
    // Another dispute of a claim with an open correction is refused too.
    reused["request_id"] = json!("another-request-1");
    let (status, body) = stack
        .post_authed(paths::VAULT_CORRECTIONS, &token, reused.clone())
        .await;
    assert_problem(status, &body, 409, "correction_status_conflict");
    assert_eq!(body["field"], "claim", "{body}");
    reused["claim"] = json!("nation");
    reused["credential"] = json!(forged);
    let (status, body) = stack
        .post_authed(paths::VAULT_CORRECTIONS, &token, reused)
        .await;
    assert_problem(status, &body, 400, "invalid_field");
    assert_eq!(body["field"], "credential", "{body}");

    // A decision not signed by the department is refused.
    let forged_decision = zhelikit_domain::vault::correction::sign_decision(
        &zhelikit_domain::vault::correction::Decision {
            iss: zhelikit_domain::vault::catalogue::issuer_id("public_security"),
            reference: filed.id.clone(),
            outcome: zhelikit_domain::vault::correction::Outcome::Accepted,
            reason: None,
            iat: chrono::Utc::now().timestamp(),
        },
        &Sm2PrivateKey::generate(),
        stack
            .mock
            .state
            .issuers
            .of(Department::PublicSecurity)
            .kid(),
    );
    let (status, body) = stack
        .post(
            paths::VAULT_CORRECTION_DECISIONS,
            json!({ "decision": forged_decision }),
        )
        .await;
    assert_problem(status, &body, 401, "correction_decision_invalid");

    // The department accepts: the old credential is revoked at once for verifiers asking here.
    let (status, decided) = decide(stack, &filed.id, "accepted", Some("已核实")).await;
    assert_eq!(status, 200, "{decided}");
    assert!(decided["deliveryError"].is_null(), "{decided}");
    assert!(decided["revoked"].as_u64().unwrap() >= 1, "{decided}");
    assert_eq!(
        check(stack, &old.payload, "public_security").await,
        Err(VerifyError::Revoked)
    );
    // Sent twice, it is one decision; deciding otherwise afterwards is refused by the department.
    let (status, twice) = decide(stack, &filed.id, "accepted", Some("已核实")).await;
    assert_eq!(status, 200, "{twice}");
    assert!(twice["deliveryError"].is_null(), "{twice}");
    let (status, _) = decide(stack, &filed.id, "rejected", Some("改判")).await;
    assert_eq!(status, 409);

    // The citizen looks: the corrected certificate is pulled, the correction reissued, and the
    // change is what to tell them.
    let seen = vault.corrections().await.expect("corrections");
    let c = seen.iter().find(|c| c.id == filed.id).unwrap();
    assert_eq!(c.status, "REISSUED", "{c:?}");
    assert!(c.changed);
    assert_eq!(c.decision_reason.as_deref(), Some("已核实"));
    let listed = vault.list().expect("list");
    let id = listed.iter().find(|c| c.kind == "resident_id").unwrap();
    let masked = id
        .claims
        .iter()
        .find(|c| c.name == "address_masked")
        .and_then(|c| c.value_json.clone())
        .unwrap();
    assert_eq!(
        masked,
        serde_json::to_string(&zhelikit_domain::mask::address(new_address)).unwrap()
    );
    let new = vault
        .present("resident_id".into(), None, "officer".into(), "n-new".into())
        .expect("present the new one");
    check(stack, &new.payload, "public_security")
        .await
        .expect("the corrected certificate is valid");
    // Looked at again, nothing changed; offline, the last ones seen.
    let calm = vault.corrections().await.expect("corrections");
    assert!(calm.iter().all(|c| !c.changed), "{calm:?}");
    network.set_online(false);
    let offline = vault.corrections().await.expect("offline corrections");
    assert_eq!(offline[0].status, "REISSUED");
    network.set_online(true);
    let outcomes: Vec<String> = vault
        .history()
        .expect("history")
        .entries
        .iter()
        .filter(|h| h.event == "corrected")
        .map(|h| h.outcome.clone())
        .collect();
    assert_eq!(outcomes, ["submitted", "accepted", "reissued"]);

    // A second dispute, rejected with the department's reason.
    let nation = DisputeInput {
        claim: "nation".into(),
        proposed_value: "回族".into(),
        reason: "民族登记有误".into(),
        evidence: None,
        ..input
    };
    let second = vault.dispute(nation).await.expect("filed");
    let (status, _) = decide(stack, &second.id, "rejected", None).await;
    assert_eq!(status, 400, "a rejection must say why");
    let (status, _) = decide(
        stack,
        &second.id,
        "rejected",
        Some("与户籍档案一致，不予更正"),
    )
    .await;
    assert_eq!(status, 200);
    let seen = vault.corrections().await.expect("corrections");
    let c = seen.iter().find(|c| c.id == second.id).unwrap();
    assert_eq!(c.status, "REJECTED");
    assert_eq!(c.status_text, "部门未予更正");
    assert_eq!(
        c.decision_reason.as_deref(),
        Some("与户籍档案一致，不予更正")
    );
    assert!(c.changed);
}

/// The demo bank asks (through the BFF's consumer API) for a one-time consent to one yes/no
/// claim of the resident ID, until `expiry`; the request's id.
async fn ask_once(stack: &Stack, expiry: i64) -> String {
    use zhelikit_domain::vault::consent::{DEMO_BANK_ID, DEMO_BANK_SECRET};
    let (status, pending) = json_of(
        http()
            .post(format!(
                "{}{}",
                stack.bff,
                paths::VAULT_CONSUMER_CONSENT_REQUESTS
            ))
            .basic_auth(DEMO_BANK_ID, Some(DEMO_BANK_SECRET))
            .json(&json!({"purpose": "account_kyc",
                "items": [{"kind": "resident_id", "claims": ["age_over_18"]}],
                "expiry": expiry, "fetch_type": "ONCE", "data_life_days": 1}))
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(status, 200, "{pending}");
    pending["terms"]["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_consent_expires_on_time_and_its_bank_is_told_without_a_fetch() {
    let stack = stack_sqlite().await;
    let expiry = chrono::Utc::now().timestamp() + 3;
    let id = ask_once(stack, expiry).await;
    let (citizen, _) = vault_phone(stack, 22).await;
    citizen
        .vault()
        .pull("resident_id".into())
        .await
        .expect("pull");
    citizen
        .vault()
        .answer_consent(
            id.clone(),
            true,
            zhelikit_sdk::test_doubles::FixedReauthenticator::new(true),
        )
        .await
        .expect("approve")
        .expect("a consent");
    bank_told(stack, &id, "ACTIVE").await;
    // Nobody fetches: the consent's expiry job expires it and tells the bank.
    let told = bank_told(stack, &id, "EXPIRED").await;
    let at = told["notices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["status"] == "EXPIRED")
        .and_then(|n| n["at"].as_i64())
        .unwrap();
    assert!(at >= expiry, "not before its time: {at} < {expiry}");
    let listed = citizen.vault().consents().await.expect("list");
    let mine = listed.iter().find(|c| c.id == id).unwrap();
    assert_eq!(mine.status.as_deref(), Some("EXPIRED"));
}

#[tokio::test]
async fn a_worker_of_its_own_delivers_what_a_bff_running_no_jobs_wrote() {
    let stack = &private_stack(Backend::Postgres, |c| c.run_jobs = false).await;
    let id = ask_once(stack, chrono::Utc::now().timestamp() + 86_400).await;
    let (citizen, _) = vault_phone(stack, 24).await;
    let declined = citizen
        .vault()
        .answer_consent(
            id.clone(),
            false,
            zhelikit_sdk::test_doubles::FixedReauthenticator::new(true),
        )
        .await
        .expect("decline");
    assert!(declined.is_none());
    // The BFF runs no jobs: the notice waits in the table.
    let store = bff_server::storage::connect(&stack.config.database_url)
        .await
        .expect("the stack's database");
    let waiting = store
        .job_counts(bff_server::vault::notices::QUEUE)
        .await
        .unwrap();
    assert_eq!(waiting, vec![("pending".to_string(), 1)]);
    // A worker process of its own (the same code as zhelikit-worker) delivers it.
    let worker = zhelikit_e2e::start_worker(stack.config.clone())
        .await
        .expect("worker");
    bank_told(stack, &id, "DECLINED").await;
    worker.jobs.stop().await;
}
