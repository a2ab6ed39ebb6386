//! Identity end to end: platform logins, sessions, refresh rotation, logout, scopes, real-name
//! levels and the precise error a client sees for each bad input. Every scenario runs on
//! SQLite + in-process and on PostgreSQL + Redis.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use mock_platform::fixtures::AuthLevel;
use serde_json::{json, Value};
use zhelikit_domain::mask;
use zhelikit_domain::paths;
use zhelikit_e2e::{assert_problem, both_backends, http, json_of, Backend, Stack};

both_backends!(
    a_citizen_logs_in_with_a_ticket_and_reads_a_masked_profile,
    a_legal_person_logs_in_and_sees_the_enterprise,
    a_mini_program_ticket_id_logs_in_a_citizen_and_an_enterprise,
    an_official_logs_in_with_a_zzd_auth_code,
    a_refresh_rotates_and_a_reused_refresh_token_revokes_the_family,
    a_token_of_one_mini_app_is_refused_where_another_is_named,
    a_credential_issued_to_one_mini_app_opens_no_session_for_another,
    a_user_lists_renames_and_deletes_passkeys_and_logout_everywhere_can_remove_them,
    passkey_login_is_refused_for_a_mini_app_without_the_passkey_scope,
    logout_ends_one_session_and_logout_all_ends_every_session,
    a_real_name_level_below_the_mini_apps_minimum_gets_403_and_no_session,
    a_citizen_cannot_open_an_enterprise_only_mini_app,
    forged_reused_malformed_and_other_app_tickets_are_refused_precisely,
    a_token_lacking_a_scope_gets_403_and_unknown_scopes_are_refused_at_login,
    alg_none_and_wrong_key_tokens_are_unauthenticated,
    the_jwks_verifies_issued_tokens,
    operations_endpoints_answer_and_errors_carry_the_request_id,
    a_registered_passkey_alone_starts_a_session,
    a_passkey_answer_to_another_challenge_is_refused,
);

fn access(session: &Value) -> String {
    session["access_token"]
        .as_str()
        .expect("access_token")
        .to_string()
}

fn refresh(session: &Value) -> String {
    session["refresh_token"]
        .as_str()
        .expect("refresh_token")
        .to_string()
}

fn citizen_with_level(
    stack: &Stack,
    level: AuthLevel,
    skip: usize,
) -> &mock_platform::fixtures::Citizen {
    stack
        .fixtures
        .citizens
        .iter()
        .filter(|c| c.auth_level == level)
        .nth(skip)
        .expect("fixture citizen")
}

async fn a_citizen_logs_in_with_a_ticket_and_reads_a_masked_profile(stack: &Stack) {
    let citizen = citizen_with_level(stack, AuthLevel::Advanced, 0);
    let session = stack
        .login_citizen(&citizen.userid, "zk-demo-services")
        .await;
    assert_eq!(session["token_type"], "Bearer");
    assert_eq!(session["expires_in"], 900);
    assert!(refresh(&session).starts_with("zkr_"));

    let (status, me) = stack.get_authed(paths::ME, &access(&session)).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["kind"], "citizen");
    assert_eq!(me["display_name"], citizen.name.as_str());
    assert_eq!(me["real_name_level"], 3);
    assert_eq!(
        me["id_number_masked"],
        mask::id_number(&citizen.id_number).as_str()
    );
    assert_eq!(me["phone_masked"], mask::phone(&citizen.mobile).as_str());
    assert_eq!(me["mini_app_id"], "zk-demo-services");
    assert_eq!(me["scopes"], json!(["profile", "passkey", "forms.submit"]));
    assert!(
        !me.to_string().contains(&citizen.id_number),
        "the full ID number never leaves the BFF"
    );

    // The same person logging in again is the same user.
    let again = stack
        .login_citizen(&citizen.userid, "zk-demo-services")
        .await;
    let (_, me_again) = stack.get_authed(paths::ME, &access(&again)).await;
    assert_eq!(me_again["user_id"], me["user_id"]);

    let audit = stack.audit(10_000).await;
    let user_id = me["user_id"].as_str().unwrap();
    assert!(audit.iter().any(|e| e.event == "login"
        && e.user_id.map(|u| u.to_string()).as_deref() == Some(user_id)
        && e.detail == "zlb_ticket"));
}

async fn a_legal_person_logs_in_and_sees_the_enterprise(stack: &Stack) {
    let enterprise = stack
        .fixtures
        .enterprises
        .iter()
        .find(|e| AuthLevel::for_citizen_index(e.attn) != AuthLevel::Unverified)
        .expect("an enterprise whose acting person is real-name verified");
    let ticket = stack.legal_person_ticket(&enterprise.userid).await;
    let (status, session) = stack
        .post(
            paths::ZLB_LEGAL_TICKET,
            json!({"mini_app_id": "zk-demo-policy", "ticket": ticket}),
        )
        .await;
    assert_eq!(status, 200, "{session}");
    let (status, me) = stack.get_authed(paths::ME, &access(&session)).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["kind"], "legal_person");
    assert_eq!(me["enterprise"]["uscc"], enterprise.uscc.as_str());
    assert_eq!(me["enterprise"]["name"], enterprise.name.as_str());
    let representative = &stack.fixtures.citizens[enterprise.legal_representative].name;
    assert_eq!(
        me["enterprise"]["legal_representative"],
        mask::name(representative).as_str()
    );
    assert_eq!(
        me["display_name"],
        stack.fixtures.citizens[enterprise.attn].name.as_str()
    );
}

async fn a_mini_program_ticket_id_logs_in_a_citizen_and_an_enterprise(stack: &Stack) {
    let citizen = citizen_with_level(stack, AuthLevel::Advanced, 1);
    let ticket_id = stack.ticket_id("zk-demo-services", &citizen.userid).await;
    let (status, session) = stack
        .post(
            paths::ZLB_TICKET_ID,
            json!({"mini_app_id": "zk-demo-services", "ticket_id": ticket_id}),
        )
        .await;
    assert_eq!(status, 200, "{session}");
    let (_, me) = stack.get_authed(paths::ME, &access(&session)).await;
    assert_eq!(me["kind"], "citizen");
    assert_eq!(
        me["id_number_masked"],
        mask::id_number(&citizen.id_number).as_str()
    );

    // The ticketId is single use.
    let (status, problem) = stack
        .post(
            paths::ZLB_TICKET_ID,
            json!({"mini_app_id": "zk-demo-services", "ticket_id": ticket_id}),
        )
        .await;
    assert_problem(status, &problem, 401, "ticket_expired");

    let enterprise = &stack.fixtures.enterprises[3];
    let ticket_id = stack
        .ticket_id("zk-demo-services", &enterprise.userid)
        .await;
    let (status, session) = stack
        .post(
            paths::ZLB_TICKET_ID,
            json!({"mini_app_id": "zk-demo-services", "ticket_id": ticket_id}),
        )
        .await;
    assert_eq!(status, 200, "{session}");
    let (_, me) = stack.get_authed(paths::ME, &access(&session)).await;
    assert_eq!(me["kind"], "legal_person");
    assert_eq!(me["enterprise"]["uscc"], enterprise.uscc.as_str());

    // The same person acting for the same enterprise through the SSO entry is the same user.
    let ticket = stack
        .legal_person_ticket_for("zk-demo-services", &enterprise.userid)
        .await;
    let (status, sso) = stack
        .post(
            paths::ZLB_LEGAL_TICKET,
            json!({"mini_app_id": "zk-demo-services", "ticket": ticket}),
        )
        .await;
    assert_eq!(status, 200, "{sso}");
    let (_, me_sso) = stack.get_authed(paths::ME, &access(&sso)).await;
    assert_eq!(me_sso["user_id"], me["user_id"]);
}

async fn an_official_logs_in_with_a_zzd_auth_code(stack: &Stack) {
    let official = &stack.fixtures.officials[7];
    let code = stack.auth_code(official.account_id).await;
    let (status, session) = stack
        .post(
            paths::ZZD_AUTH_CODE,
            json!({"mini_app_id": "zk-demo-supervision", "auth_code": code}),
        )
        .await;
    assert_eq!(status, 200, "{session}");
    let (status, me) = stack.get_authed(paths::ME, &access(&session)).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["kind"], "official");
    assert_eq!(me["display_name"], official.name.as_str());
    assert_eq!(
        me["official"]["employee_code"],
        official.employee_code.as_str()
    );
    assert_eq!(
        me["official"]["organisation_code"],
        official.organisation_code.as_str()
    );
    let organisation = stack
        .fixtures
        .organisations
        .iter()
        .find(|o| o.code == official.organisation_code)
        .unwrap();
    assert_eq!(
        me["official"]["organisation_name"],
        organisation.name.as_str()
    );

    // Auth codes are single use.
    let (status, problem) = stack
        .post(
            paths::ZZD_AUTH_CODE,
            json!({"mini_app_id": "zk-demo-supervision", "auth_code": code}),
        )
        .await;
    assert_problem(status, &problem, 401, "auth_code_invalid");
}

async fn a_refresh_rotates_and_a_reused_refresh_token_revokes_the_family(stack: &Stack) {
    let citizen = citizen_with_level(stack, AuthLevel::Advanced, 2);
    let first = stack
        .login_citizen(&citizen.userid, "zk-demo-services")
        .await;
    let (status, second) = stack
        .post(paths::REFRESH, json!({"refresh_token": refresh(&first)}))
        .await;
    assert_eq!(status, 200, "{second}");
    assert_ne!(
        refresh(&second),
        refresh(&first),
        "the refresh token rotates"
    );
    assert_eq!(second["scopes"], first["scopes"]);
    let (status, _) = stack.get_authed(paths::ME, &access(&second)).await;
    assert_eq!(status, 200);

    // Hardening #9: the answer was lost and the device presents the spent token again within
    // the grace window: it gets the same successor, and the session lives on.
    let (status, replayed) = stack
        .post(paths::REFRESH, json!({"refresh_token": refresh(&first)}))
        .await;
    assert_eq!(status, 200, "{replayed}");
    assert_eq!(refresh(&replayed), refresh(&second), "the same successor");
    let (status, third) = stack
        .post(paths::REFRESH, json!({"refresh_token": refresh(&second)}))
        .await;
    assert_eq!(status, 200, "{third}");

    // A token older than the live one's predecessor comes back: a thief or a replay. The whole
    // family dies.
    let (status, problem) = stack
        .post(paths::REFRESH, json!({"refresh_token": refresh(&first)}))
        .await;
    assert_problem(status, &problem, 401, "refresh_token_reused");
    let (status, problem) = stack
        .post(paths::REFRESH, json!({"refresh_token": refresh(&third)}))
        .await;
    assert_problem(status, &problem, 401, "refresh_token_invalid");
    let (status, problem) = stack.get_authed(paths::ME, &access(&third)).await;
    assert_problem(status, &problem, 401, "unauthenticated");

    let (status, problem) = stack
        .post(paths::REFRESH, json!({"refresh_token": "zkr_never-issued"}))
        .await;
    assert_problem(status, &problem, 401, "refresh_token_invalid");
    assert!(stack
        .audit(200)
        .await
        .iter()
        .any(|e| e.event == "refresh_reuse"));
}

async fn logout_ends_one_session_and_logout_all_ends_every_session(stack: &Stack) {
    let citizen = citizen_with_level(stack, AuthLevel::Advanced, 3);
    let phone = stack
        .login_citizen(&citizen.userid, "zk-demo-services")
        .await;
    let tablet = stack
        .login_citizen(&citizen.userid, "zk-demo-services")
        .await;

    let (status, _) = stack
        .post_authed(paths::LOGOUT, &access(&phone), json!({}))
        .await;
    assert_eq!(status, 204);
    let (status, _) = stack.get_authed(paths::ME, &access(&phone)).await;
    assert_eq!(status, 401, "a logged-out access token is refused at once");
    let (status, _) = stack
        .post(paths::REFRESH, json!({"refresh_token": refresh(&phone)}))
        .await;
    assert_eq!(status, 401);
    let (status, _) = stack.get_authed(paths::ME, &access(&tablet)).await;
    assert_eq!(status, 200, "the other session lives on");

    let laptop = stack.login_citizen(&citizen.userid, "zk-demo-vault").await;
    let (status, _) = stack
        .post_authed(paths::LOGOUT_ALL, &access(&tablet), json!({}))
        .await;
    assert_eq!(status, 204);
    for session in [&tablet, &laptop] {
        let (status, _) = stack.get_authed(paths::ME, &access(session)).await;
        assert_eq!(status, 401);
        let (status, problem) = stack
            .post(paths::REFRESH, json!({"refresh_token": refresh(session)}))
            .await;
        assert_problem(status, &problem, 401, "refresh_token_invalid");
    }
    // A new login after logging out everywhere works again.
    let fresh = stack
        .login_citizen(&citizen.userid, "zk-demo-services")
        .await;
    let (status, _) = stack.get_authed(paths::ME, &access(&fresh)).await;
    assert_eq!(status, 200);
    let events: Vec<String> = stack
        .audit(300)
        .await
        .into_iter()
        .map(|e| e.event)
        .collect();
    assert!(events.contains(&"logout".to_string()) && events.contains(&"logout_all".to_string()));
}

async fn a_real_name_level_below_the_mini_apps_minimum_gets_403_and_no_session(stack: &Stack) {
    let basic = citizen_with_level(stack, AuthLevel::Basic, 0);
    let ticket = stack
        .citizen_ticket_for("zk-demo-vault", &basic.userid)
        .await;
    let (status, problem) = stack
        .post(
            paths::ZLB_TICKET,
            json!({"mini_app_id": "zk-demo-vault", "ticket": ticket}),
        )
        .await;
    assert_eq!(status, 403, "{problem}");
    assert_eq!(problem["code"], "real_name_level_too_low");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("要求实名认证等级 3"),
        "the detail is in Simplified Chinese by default: {problem}"
    );
    assert!(problem.get("access_token").is_none());
    assert!(stack
        .audit(300)
        .await
        .iter()
        .any(|e| e.event == "login_failed" && e.detail == "real_name_level_too_low"));

    // Level 1 is enough for a mini-app that asks for no more.
    let unverified = citizen_with_level(stack, AuthLevel::Unverified, 0);
    stack
        .login_citizen(&unverified.userid, "zk-demo-services")
        .await;
}

async fn a_citizen_cannot_open_an_enterprise_only_mini_app(stack: &Stack) {
    let citizen = citizen_with_level(stack, AuthLevel::Advanced, 4);
    let ticket = stack
        .citizen_ticket_for("zk-demo-policy", &citizen.userid)
        .await;
    let (status, problem) = stack
        .post(
            paths::ZLB_TICKET,
            json!({"mini_app_id": "zk-demo-policy", "ticket": ticket}),
        )
        .await;
    assert_problem(status, &problem, 403, "user_kind_not_allowed");
}

async fn forged_reused_malformed_and_other_app_tickets_are_refused_precisely(stack: &Stack) {
    let citizen = citizen_with_level(stack, AuthLevel::Advanced, 5);
    let login = |ticket: String| async move {
        stack
            .post(
                paths::ZLB_TICKET,
                json!({"mini_app_id": "zk-demo-services", "ticket": ticket}),
            )
            .await
    };

    let forged = format!("ST-{}", uuid::Uuid::new_v4().simple());
    let (status, problem) = login(forged).await;
    assert_problem(status, &problem, 401, "ticket_invalid");

    let ticket = stack.citizen_ticket(&citizen.userid).await;
    let (status, _) = login(ticket.clone()).await;
    assert_eq!(status, 200);
    let (status, problem) = login(ticket).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (401, Some("ticket_expired")),
        "a used ticket: {problem}"
    );

    let (status, problem) = login("not a ticket".into()).await;
    assert_eq!(
        (status, problem["code"].as_str(), problem["field"].as_str()),
        (400, Some("invalid_field"), Some("ticket")),
        "{problem}"
    );
    let (status, problem) = login("ST-short".into()).await;
    assert_eq!(
        (status, problem["code"].as_str(), problem["field"].as_str()),
        (400, Some("invalid_field"), Some("ticket")),
        "{problem}"
    );

    let other = stack.ticket_for(&stack.other_app, &citizen.userid).await;
    let (status, problem) = login(other).await;
    assert_problem(status, &problem, 401, "ticket_other_app");

    // A legal-person ticket is no personal ticket.
    let legal = stack
        .legal_person_ticket(&stack.fixtures.enterprises[0].userid)
        .await;
    let (status, problem) = login(legal).await;
    assert_problem(status, &problem, 401, "ticket_invalid");

    let (status, problem) = stack
        .post(
            paths::ZLB_TICKET,
            json!({"mini_app_id": "no-such-app", "ticket": "ST-x"}),
        )
        .await;
    assert_eq!(
        (status, problem["code"].as_str(), problem["field"].as_str()),
        (400, Some("unknown_mini_app"), Some("mini_app_id"))
    );
}

async fn a_token_lacking_a_scope_gets_403_and_unknown_scopes_are_refused_at_login(stack: &Stack) {
    // zk-demo-policy has no `passkey` scope; zk-demo-services has.
    let enterprise = stack
        .fixtures
        .enterprises
        .iter()
        .rev()
        .find(|e| AuthLevel::for_citizen_index(e.attn) == AuthLevel::Advanced)
        .unwrap();
    let ticket = stack.legal_person_ticket(&enterprise.userid).await;
    let (status, session) = stack
        .post(
            paths::ZLB_LEGAL_TICKET,
            json!({"mini_app_id": "zk-demo-policy", "ticket": ticket}),
        )
        .await;
    assert_eq!(status, 200, "{session}");
    let (status, problem) = stack
        .post_authed(
            paths::PASSKEY_REGISTRATION_START,
            &access(&session),
            json!({}),
        )
        .await;
    assert_problem(status, &problem, 403, "missing_scope");
    assert!(problem["detail"].as_str().unwrap().contains("passkey"));

    let citizen = citizen_with_level(stack, AuthLevel::Advanced, 6);
    let ticket = stack.citizen_ticket(&citizen.userid).await;
    let (status, problem) = stack
        .post(paths::ZLB_TICKET, json!({"mini_app_id": "zk-demo-services", "ticket": ticket, "scopes": ["profile", "org.read"]}))
        .await;
    assert_eq!(
        (status, problem["code"].as_str(), problem["field"].as_str()),
        (400, Some("scope_not_allowed"), Some("scopes")),
        "{problem}"
    );
    // The ticket was not spent by the refused request: the user can agree to fewer scopes.
    let (status, session) = stack.post(paths::ZLB_TICKET, json!({"mini_app_id": "zk-demo-services", "ticket": ticket, "scopes": ["forms.submit"]})).await;
    assert_eq!(status, 200, "{session}");
    let (status, problem) = stack.get_authed(paths::ME, &access(&session)).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (403, Some("missing_scope")),
        "no profile scope granted: {problem}"
    );
}

async fn alg_none_and_wrong_key_tokens_are_unauthenticated(stack: &Stack) {
    let citizen = citizen_with_level(stack, AuthLevel::Advanced, 7);
    let session = stack
        .login_citizen(&citizen.userid, "zk-demo-services")
        .await;
    let token = access(&session);
    let mut parts = token.split('.');
    let (header, payload) = (parts.next().unwrap(), parts.next().unwrap());

    let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let unsigned = format!("{none_header}.{payload}.");
    let (status, problem) = stack.get_authed(paths::ME, &unsigned).await;
    assert_problem(status, &problem, 401, "unauthenticated");

    // Same header (same kid), payload re-signed with a key the BFF never issued.
    let impostor = bff_server::identity::tokens::generate_key().unwrap();
    let signing_input = format!("{header}.{payload}");
    let pair = ring::signature::Ed25519KeyPair::from_pkcs8(&impostor.private_pkcs8).unwrap();
    let forged = format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(pair.sign(signing_input.as_bytes()).as_ref())
    );
    let (status, _) = stack.get_authed(paths::ME, &forged).await;
    assert_eq!(status, 401);

    // A payload edited to claim more scopes breaks the real signature.
    let mut claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    claims["scope"] = json!("profile passkey vault.read org.read");
    let edited = format!(
        "{header}.{}.{}",
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        token.rsplit('.').next().unwrap()
    );
    let (status, _) = stack.get_authed(paths::ME, &edited).await;
    assert_eq!(status, 401);

    let (status, problem) = json_of(
        http()
            .get(format!("{}{}", stack.bff, paths::ME))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_problem(status, &problem, 401, "unauthenticated");
}

async fn the_jwks_verifies_issued_tokens(stack: &Stack) {
    let citizen = citizen_with_level(stack, AuthLevel::Advanced, 8);
    let session = stack.login_citizen(&citizen.userid, "zk-demo-vault").await;
    let jwks: Value = http()
        .get(format!("{}{}", stack.bff, paths::JWKS))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let header = jsonwebtoken::decode_header(&access(&session)).unwrap();
    let kid = header.kid.expect("kid");
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .expect("the kid is published");
    let key = jsonwebtoken::DecodingKey::from_ed_components(jwk["x"].as_str().unwrap()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
    validation.set_audience(&["zk-demo-vault"]);
    validation.set_issuer(&["https://bff.zhelikit.test"]);
    let data = jsonwebtoken::decode::<Value>(&access(&session), &key, &validation)
        .expect("verifies with the published key");
    assert_eq!(data.claims["kind"], "citizen");
    assert_eq!(data.claims["rnl"], 3);
    let lifetime = data.claims["exp"].as_i64().unwrap() - data.claims["iat"].as_i64().unwrap();
    assert_eq!(lifetime, 900, "access tokens live 15 minutes");
}

async fn operations_endpoints_answer_and_errors_carry_the_request_id(stack: &Stack) {
    for path in [
        paths::HEALTHZ,
        paths::READYZ,
        paths::OPENAPI,
        paths::METRICS,
    ] {
        let response = http()
            .get(format!("{}{path}", stack.bff))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200, "{path}");
    }
    let openapi: Value = http()
        .get(format!("{}{}", stack.bff, paths::OPENAPI))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(openapi["openapi"], "3.1.0");
    let metrics = http()
        .get(format!("{}{}", stack.bff, paths::METRICS))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("http_request_duration_seconds_bucket"),
        "{metrics}"
    );

    // An id the client plants is not believed (only trusted proxies' are): the BFF makes its
    // own, echoes it and quotes it in the problem.
    let response = http()
        .get(format!("{}/v1/nowhere", stack.bff))
        .header("x-request-id", "trace-me-123")
        .send()
        .await
        .unwrap();
    let id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    assert_ne!(id, "trace-me-123");
    let (status, problem) = json_of(response).await;
    assert_eq!(
        (
            status,
            problem["code"].as_str(),
            problem["request_id"].as_str()
        ),
        (404, Some("not_found"), Some(id.as_str()))
    );
}

mod passkeys {
    use serde_json::Value;
    use webauthn_authenticator_rs::softpasskey::SoftPasskey;
    use webauthn_authenticator_rs::WebauthnAuthenticator;
    use webauthn_rs::prelude::{CreationChallengeResponse, RequestChallengeResponse, Url};

    /// A software authenticator standing in for the phone's platform authenticator.
    pub struct Device(WebauthnAuthenticator<SoftPasskey>);

    impl Device {
        pub fn new() -> Self {
            Self(WebauthnAuthenticator::new(SoftPasskey::new(true)))
        }

        fn origin() -> Url {
            Url::parse(zhelikit_e2e::PASSKEY_ORIGIN).unwrap()
        }

        pub fn register(&mut self, options: &Value) -> Value {
            let options: CreationChallengeResponse =
                serde_json::from_value(options.clone()).expect("creation options");
            serde_json::to_value(
                self.0
                    .do_registration(Self::origin(), options)
                    .expect("registration"),
            )
            .unwrap()
        }

        pub fn sign_in(&mut self, options: &Value) -> Value {
            let options: RequestChallengeResponse =
                serde_json::from_value(options.clone()).expect("request options");
            serde_json::to_value(
                self.0
                    .do_authentication(Self::origin(), options)
                    .expect("assertion"),
            )
            .unwrap()
        }
    }
}

async fn register_passkey(stack: &Stack, device: &mut passkeys::Device, session: &Value) {
    let (status, challenge) = stack
        .post_authed(
            paths::PASSKEY_REGISTRATION_START,
            &access(session),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{challenge}");
    assert!(
        challenge["options"]["publicKey"]["challenge"].is_string(),
        "{challenge}"
    );
    let credential = device.register(&challenge["options"]);
    let (status, registered) = stack
        .post_authed(
            paths::PASSKEY_REGISTRATION_FINISH,
            &access(session),
            json!({"ceremony_id": challenge["ceremony_id"], "credential": credential}),
        )
        .await;
    assert_eq!(status, 201, "{registered}");
    assert!(registered["credential_id"]
        .as_str()
        .is_some_and(|c| !c.is_empty()));
}

/// The structure of a JSON value (keys and value kinds, not values), for comparing answers.
fn shape(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| k.as_str() != "ceremony_id")
                .map(|(k, v)| (k.clone(), shape(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(shape).collect()),
        Value::String(s) => json!(format!("string of {}", s.len())),
        Value::Number(n) => json!(n),
        other => json!(format!("{other}")),
    }
}

async fn a_registered_passkey_alone_starts_a_session(stack: &Stack) {
    let citizen = citizen_with_level(stack, AuthLevel::Advanced, 9);
    let session = stack
        .login_citizen(&citizen.userid, "zk-demo-services")
        .await;
    let (_, me) = stack.get_authed(paths::ME, &access(&session)).await;
    let user_id = me["user_id"].as_str().unwrap().to_string();
    let mut device = passkeys::Device::new();
    register_passkey(stack, &mut device, &session).await;

    // Later, with no platform ticket at all:
    let (status, challenge) = stack
        .post(
            paths::PASSKEY_LOGIN_START,
            json!({"mini_app_id": "zk-demo-services", "user_id": user_id}),
        )
        .await;
    assert_eq!(status, 200, "{challenge}");
    let assertion = device.sign_in(&challenge["options"]);
    let (status, new_session) = stack
        .post(
            paths::PASSKEY_LOGIN_FINISH,
            json!({"ceremony_id": challenge["ceremony_id"], "credential": assertion}),
        )
        .await;
    assert_eq!(status, 200, "{new_session}");
    let (status, me_again) = stack.get_authed(paths::ME, &access(&new_session)).await;
    assert_eq!(status, 200);
    assert_eq!(me_again["user_id"], user_id.as_str());

    // A finished ceremony cannot be finished again.
    let (status, problem) = stack
        .post(
            paths::PASSKEY_LOGIN_FINISH,
            json!({"ceremony_id": challenge["ceremony_id"], "credential": assertion}),
        )
        .await;
    assert_problem(status, &problem, 400, "passkey_ceremony_unknown");

    let audit = stack.audit(10_000).await;
    assert!(audit.iter().any(|e| e.event == "passkey_registered"
        && e.user_id.map(|u| u.to_string()) == Some(user_id.clone())));
    assert!(audit
        .iter()
        .any(|e| e.event == "login" && e.detail == "passkey"));

    // Hardening #2: a user id without passkeys (or unknown) is answered as one with passkeys
    // is — same shape, a credential id stable across calls — so start tells nobody who has
    // one; only finishing fails.
    let stranger = uuid::Uuid::new_v4().to_string();
    let decoy_start = || {
        stack.post(
            paths::PASSKEY_LOGIN_START,
            json!({"mini_app_id": "zk-demo-services", "user_id": stranger}),
        )
    };
    let (status, decoy) = decoy_start().await;
    assert_eq!(status, 200, "{decoy}");
    assert_eq!(shape(&decoy), shape(&challenge), "{decoy} vs {challenge}");
    let ids = |c: &Value| c["options"]["publicKey"]["allowCredentials"].to_string();
    assert_eq!(
        ids(&decoy_start().await.1),
        ids(&decoy),
        "stable per user id"
    );
    assert_ne!(
        decoy["options"]["publicKey"]["challenge"],
        challenge["options"]["publicKey"]["challenge"]
    );
    let (status, problem) = stack
        .post(
            paths::PASSKEY_LOGIN_FINISH,
            json!({"ceremony_id": decoy["ceremony_id"], "credential": device.sign_in(&challenge["options"])}),
        )
        .await;
    assert_problem(status, &problem, 401, "passkey_verification_failed");
    let (status, problem) = stack
        .post(
            paths::PASSKEY_LOGIN_START,
            json!({"mini_app_id": "zk-demo-services", "user_id": "someone"}),
        )
        .await;
    assert_eq!((status, problem["field"].as_str()), (400, Some("user_id")));
}

async fn a_passkey_answer_to_another_challenge_is_refused(stack: &Stack) {
    let citizen = citizen_with_level(stack, AuthLevel::Advanced, 10);
    let session = stack
        .login_citizen(&citizen.userid, "zk-demo-services")
        .await;
    let (_, me) = stack.get_authed(paths::ME, &access(&session)).await;
    let mut device = passkeys::Device::new();
    register_passkey(stack, &mut device, &session).await;

    let start = || {
        stack.post(
            paths::PASSKEY_LOGIN_START,
            json!({"mini_app_id": "zk-demo-services", "user_id": me["user_id"]}),
        )
    };
    let (_, first) = start().await;
    let (_, second) = start().await;
    let answer_to_first = device.sign_in(&first["options"]);
    let (status, problem) = stack
        .post(
            paths::PASSKEY_LOGIN_FINISH,
            json!({"ceremony_id": second["ceremony_id"], "credential": answer_to_first}),
        )
        .await;
    assert_problem(status, &problem, 401, "passkey_verification_failed");
    assert!(problem.get("access_token").is_none());

    let (status, problem) = stack
        .post(
            paths::PASSKEY_LOGIN_FINISH,
            json!({"ceremony_id": first["ceremony_id"], "credential": {"id": 1}}),
        )
        .await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (400, Some("credential")),
        "{problem}"
    );
}

/// Hardening #12: a request that names its mini-app must carry a token issued for it.
async fn a_token_of_one_mini_app_is_refused_where_another_is_named(stack: &Stack) {
    let citizen = citizen_with_level(stack, AuthLevel::Advanced, 4);
    let session = stack
        .login_citizen(&citizen.userid, "zk-demo-services")
        .await;
    let me = |mini_app: &'static str| {
        http()
            .get(format!("{}{}", stack.bff, paths::ME))
            .bearer_auth(access(&session))
            .header(zhelikit_domain::api::MINI_APP_HEADER, mini_app)
            .send()
    };
    let (status, _) = json_of(me("zk-demo-services").await.unwrap()).await;
    assert_eq!(status, 200);
    let (status, problem) = json_of(me("zk-demo-vault").await.unwrap()).await;
    assert_problem(status, &problem, 401, "unauthenticated");
    assert!(problem["detail"].as_str().unwrap().contains("其他小程序"));
}

async fn passkey_user(stack: &Stack, skip: usize) -> (Value, String, passkeys::Device) {
    let citizen = citizen_with_level(stack, AuthLevel::Advanced, skip);
    let session = stack
        .login_citizen(&citizen.userid, "zk-demo-services")
        .await;
    let (_, me) = stack.get_authed(paths::ME, &access(&session)).await;
    let mut device = passkeys::Device::new();
    register_passkey(stack, &mut device, &session).await;
    (session, me["user_id"].as_str().unwrap().to_string(), device)
}

/// Hardening #2: passkeys can be seen and removed by their owner, and "log out everywhere" can
/// remove them all; every registration and removal is audited.
async fn a_user_lists_renames_and_deletes_passkeys_and_logout_everywhere_can_remove_them(
    stack: &Stack,
) {
    let (session, user_id, mut device) = passkey_user(stack, 11).await;
    register_passkey(stack, &mut passkeys::Device::new(), &session).await;
    let (status, list) = stack.get_authed(paths::PASSKEYS, &access(&session)).await;
    assert_eq!(status, 200, "{list}");
    let keys = list["passkeys"].as_array().unwrap().clone();
    assert_eq!(keys.len(), 2, "{list}");
    assert!(
        keys[0]["name"].as_str().unwrap().starts_with("通行密钥"),
        "{list}"
    );
    assert!(keys[0]["created_at_ms"].as_i64().unwrap() > 0);
    let first = keys[0]["credential_id"].as_str().unwrap().to_string();
    let second = keys[1]["credential_id"].as_str().unwrap().to_string();

    let token = access(&session);
    let rename = |id: &str, name: &str| {
        let url = format!("{}{}", stack.bff, paths::passkey(&id));
        let (body, token) = (json!({"name": name}), token.clone());
        async move {
            json_of(
                http()
                    .patch(url)
                    .bearer_auth(token)
                    .json(&body)
                    .send()
                    .await
                    .unwrap(),
            )
            .await
        }
    };
    assert_eq!(rename(&first, "我的手机").await.0, 204);
    let (status, problem) = rename(&first, "").await;
    assert_eq!((status, problem["field"].as_str()), (400, Some("name")));
    let (status, problem) = rename("not-mine", "x").await;
    assert_problem(status, &problem, 404, "passkey_not_found");
    let (_, list) = stack.get_authed(paths::PASSKEYS, &access(&session)).await;
    assert_eq!(list["passkeys"][0]["name"], "我的手机");

    let delete = |id: String| {
        let url = format!("{}{}", stack.bff, paths::passkey(&id));
        let token = token.clone();
        async move { json_of(http().delete(url).bearer_auth(token).send().await.unwrap()).await }
    };
    assert_eq!(delete(second.clone()).await.0, 204);
    assert_eq!(delete(second.clone()).await.0, 404);

    // The remaining passkey still logs in, until "log out everywhere" removes it.
    let start = || {
        stack.post(
            paths::PASSKEY_LOGIN_START,
            json!({"mini_app_id": "zk-demo-services", "user_id": user_id}),
        )
    };
    let (_, challenge) = start().await;
    let (status, fresh) = stack
        .post(
            paths::PASSKEY_LOGIN_FINISH,
            json!({"ceremony_id": challenge["ceremony_id"], "credential": device.sign_in(&challenge["options"])}),
        )
        .await;
    assert_eq!(status, 200, "{fresh}");
    let (_, list) = stack.get_authed(paths::PASSKEYS, &access(&fresh)).await;
    assert!(
        list["passkeys"][0]["last_used_at_ms"].as_i64().is_some(),
        "{list}"
    );

    // A login already under way when the phone is reported lost.
    let (_, pending) = start().await;
    let (status, _) = stack
        .post_authed(
            paths::LOGOUT_ALL,
            &access(&fresh),
            json!({"remove_passkeys": true}),
        )
        .await;
    assert_eq!(status, 204);
    let (status, problem) = stack
        .post(
            paths::PASSKEY_LOGIN_FINISH,
            json!({"ceremony_id": pending["ceremony_id"], "credential": device.sign_in(&pending["options"])}),
        )
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (401, Some("passkey_verification_failed")),
        "a passkey removed during its ceremony no longer logs in: {problem}"
    );
    // The challenge no longer names the device's passkey: its authenticator has nothing to
    // answer with (what remains is a decoy, as for any user without passkeys).
    let (status, challenge) = start().await;
    assert_eq!(status, 200, "{challenge}");
    let named = challenge["options"]["publicKey"]["allowCredentials"].to_string();
    assert!(
        !named.contains(&first),
        "the removed passkey is not offered: {named}"
    );

    let audit = stack.audit(10_000).await;
    let mine = |event: &str| {
        audit
            .iter()
            .filter(|e| {
                e.event == event && e.user_id.map(|u| u.to_string()) == Some(user_id.clone())
            })
            .count()
    };
    assert_eq!(mine("passkey_registered"), 2);
    assert_eq!(
        mine("passkey_removed"),
        2,
        "one deleted, then all at logout everywhere"
    );
}

/// Hardening #2: a mini-app without the `passkey` scope cannot be entered with a passkey.
async fn passkey_login_is_refused_for_a_mini_app_without_the_passkey_scope(stack: &Stack) {
    let (_, user_id, _) = passkey_user(stack, 12).await;
    let (status, problem) = stack
        .post(
            paths::PASSKEY_LOGIN_START,
            json!({"mini_app_id": "zk-demo-policy", "user_id": user_id}),
        )
        .await;
    assert_problem(status, &problem, 403, "passkey_not_allowed");
}

/// Hardening #2: a token alone (its platform login not recent) cannot register a passkey.
#[tokio::test]
async fn registering_a_passkey_needs_a_recent_platform_login() {
    let stack = zhelikit_e2e::private_stack(Backend::Sqlite, |config| {
        // Every login is "too old" at once, as a stolen token hours later would be.
        config.passkeys.reauthentication_window_secs = 0;
    })
    .await;
    let citizen = citizen_with_level(&stack, AuthLevel::Advanced, 13);
    let session = stack
        .login_citizen(&citizen.userid, "zk-demo-services")
        .await;
    let (status, problem) = stack
        .post_authed(
            paths::PASSKEY_REGISTRATION_START,
            &access(&session),
            json!({}),
        )
        .await;
    assert_problem(status, &problem, 403, "reauthentication_required");
}

/// Hardening #5: every login credential belongs to the mini-app it was issued to. Redeemed for
/// another mini-app (a ticket delivered to app A's callback, or captured by a malicious
/// mini-app, presented for app B with B's scopes) it is refused by the platform, and stays
/// usable by its own mini-app.
async fn a_credential_issued_to_one_mini_app_opens_no_session_for_another(stack: &Stack) {
    let citizen = citizen_with_level(stack, AuthLevel::Advanced, 14);
    let enterprise = stack
        .fixtures
        .enterprises
        .iter()
        .find(|e| AuthLevel::for_citizen_index(e.attn) != AuthLevel::Unverified)
        .unwrap();
    let official = &stack.fixtures.officials[5];
    let cases = [
        (
            paths::ZLB_TICKET,
            "ticket",
            stack
                .citizen_ticket_for("zk-demo-services", &citizen.userid)
                .await,
            "zk-demo-vault",
            "zk-demo-services",
            "ticket_other_app",
        ),
        (
            paths::ZLB_LEGAL_TICKET,
            "ticket",
            stack
                .legal_person_ticket_for("zk-demo-policy", &enterprise.userid)
                .await,
            "zk-demo-services",
            "zk-demo-policy",
            "ticket_other_app",
        ),
        (
            paths::ZLB_TICKET_ID,
            "ticket_id",
            stack.ticket_id("zk-demo-services", &citizen.userid).await,
            "zk-demo-vault",
            "zk-demo-services",
            "ticket_other_app",
        ),
        (
            paths::ZZD_AUTH_CODE,
            "auth_code",
            stack
                .auth_code_for("zk-demo-supervision", official.account_id)
                .await,
            "zk-demo-services",
            "zk-demo-supervision",
            "auth_code_other_app",
        ),
    ];
    for (path, field, credential, other, own, code) in cases {
        let (status, problem) = stack
            .post(path, json!({"mini_app_id": other, field: credential}))
            .await;
        assert_eq!(
            (status, problem["code"].as_str()),
            (401, Some(code)),
            "{path} for {other}: {problem}"
        );
        let (status, session) = stack
            .post(path, json!({"mini_app_id": own, field: credential}))
            .await;
        assert_eq!(status, 200, "{path} for {own}, its own mini-app: {session}");
    }
}
