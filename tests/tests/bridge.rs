//! The mini-app bridge against the live stack, as a container drives it: JSON in, JSON out,
//! events out, every decision in the core. The host is a scripted double that records what the
//! page made it do.

use std::sync::Arc;

use mock_platform::fixtures::AuthLevel;
use serde_json::{json, Value};
use zhelikit_e2e::{stack, Backend, Stack};
use zhelikit_sdk::test_doubles::{ScriptedHost, SwitchableNetwork, WrappingKeySource};
use zhelikit_sdk::{
    ClientConfig, HostAction, MiniAppBridge, NetworkMonitor, SdkError, ZheliKitClient,
};

fn temp_dir() -> String {
    std::env::temp_dir()
        .join(format!("zk-sdk-bridge-{}", uuid::Uuid::new_v4().simple()))
        .display()
        .to_string()
}

fn manifest(id: &str, platform: &str, scopes: &[&str], kinds: &[&str]) -> String {
    json!({
        "id": id, "name": "掌上办事", "version": "1.0.0", "platform": platform,
        "entry": "index.html", "pages": [{"id": "home", "name": "首页", "path": "index.html"}],
        "scopes": scopes, "min_real_name_level": 1, "user_kinds": kinds,
        "min_sdk_version": "0.1.0", "elder_mode": true
    })
    .to_string()
}

fn citizens_manifest(scopes: &[&str]) -> String {
    manifest(
        "zk-demo-services",
        "zlb",
        scopes,
        &["citizen", "legal_person"],
    )
}

struct Phone {
    client: Arc<ZheliKitClient>,
    bridge: Arc<MiniAppBridge>,
    host: Arc<ScriptedHost>,
    network: Arc<SwitchableNetwork>,
}

fn phone_on(stack: &Stack, dir: &str, mini_app: &str, manifest_json: String) -> Phone {
    let network = SwitchableNetwork::new(true);
    let monitor: Arc<dyn NetworkMonitor> = network.clone();
    let client = ZheliKitClient::open(
        ClientConfig {
            bff_url: stack.bff.clone(),
            mini_app_id: mini_app.into(),
            storage_dir: dir.into(),
            scopes: None,
            refresh_margin_secs: 60,
            request_timeout_ms: 5000,
        },
        Arc::new(WrappingKeySource::new([9; 32])),
        None,
        Some(monitor),
    )
    .expect("client");
    let host = ScriptedHost::new();
    let bridge = client.bridge(manifest_json, host.clone()).expect("bridge");
    Phone {
        client,
        bridge,
        host,
        network,
    }
}

fn phone(stack: &Stack, scopes: &[&str]) -> Phone {
    phone_on(
        stack,
        &temp_dir(),
        "zk-demo-services",
        citizens_manifest(scopes),
    )
}

async fn call(bridge: &MiniAppBridge, method: &str, params: Value) -> Value {
    let request = json!({"id": method, "method": method, "params": params}).to_string();
    let answer: Value = serde_json::from_str(&bridge.call(request).await).expect("JSON answer");
    assert_eq!(answer["id"], method, "the id is echoed: {answer}");
    answer
}

fn result(answer: &Value) -> &Value {
    assert_eq!(answer["ok"], true, "{answer}");
    &answer["result"]
}

fn error_of(answer: &Value) -> (i64, &str) {
    assert_eq!(answer["ok"], false, "{answer}");
    (
        answer["error"]["code"].as_i64().unwrap_or(0),
        answer["error"]["zkCode"].as_str().unwrap_or(""),
    )
}

fn consent_prompts(host: &ScriptedHost) -> usize {
    host.actions()
        .iter()
        .filter(|a| matches!(a, HostAction::AskConsent { .. }))
        .count()
}

fn advanced_citizen(stack: &Stack, skip: usize) -> String {
    stack
        .fixtures
        .citizens
        .iter()
        .filter(|c| c.auth_level == AuthLevel::Advanced)
        .nth(skip)
        .expect("an advanced citizen")
        .userid
        .clone()
}

async fn logged_in(stack: &Stack, phone: &Phone, skip: usize) {
    let userid = advanced_citizen(stack, skip);
    phone
        .host
        .give_ticket(&stack.ticket_id("zk-demo-services", &userid).await);
    let ticket = call(&phone.bridge, "ssoTicket", json!({})).await;
    let ticket_id = result(&ticket)["ticketId"]
        .as_str()
        .expect("ticketId")
        .to_string();
    assert_eq!(result(&ticket)["result"], true);
    let login = call(
        &phone.bridge,
        "zhelikit.loginWithTicketId",
        json!({"ticketId": ticket_id}),
    )
    .await;
    assert_eq!(result(&login)["userType"], 1);
}

#[tokio::test]
async fn a_page_logs_in_with_its_ticket_id_and_reads_the_user_once_the_user_agrees() {
    let stack = stack(Backend::Sqlite).await;
    let phone = phone(stack, &["profile"]);
    let before = call(&phone.bridge, "getUserType", json!({})).await;
    assert_eq!(error_of(&before), (5, "not_logged_in"), "not initialised");

    logged_in(stack, &phone, 0).await;
    assert_eq!(
        result(&call(&phone.bridge, "getUserType", json!({})).await)["userType"],
        1
    );

    let me = call(&phone.bridge, "zhelikit.getCurrentUser", json!({})).await;
    let me = result(&me);
    assert_eq!(me["kind"], "citizen");
    assert!(me["id_number_masked"].as_str().unwrap().contains("****"));
    assert_eq!(consent_prompts(&phone.host), 1);
    let Some(HostAction::AskConsent {
        mini_app_name,
        scope,
        purpose,
    }) = phone
        .host
        .actions()
        .into_iter()
        .find(|a| matches!(a, HostAction::AskConsent { .. }))
    else {
        unreachable!()
    };
    assert_eq!(
        (mini_app_name.as_str(), scope.as_str()),
        ("掌上办事", "profile")
    );
    assert!(purpose.contains("脱敏"), "{purpose}");

    result(&call(&phone.bridge, "zhelikit.getCurrentUser", json!({})).await);
    assert_eq!(consent_prompts(&phone.host), 1, "the answer is remembered");
    phone.bridge.revoke_consent().expect("revoke");
    result(&call(&phone.bridge, "zhelikit.getCurrentUser", json!({})).await);
    assert_eq!(
        consent_prompts(&phone.host),
        2,
        "asked again after a revocation"
    );
}

#[tokio::test]
async fn a_refused_consent_is_1003_and_an_undeclared_scope_is_1002() {
    let stack = stack(Backend::Sqlite).await;
    let phone = phone(stack, &["profile"]);
    logged_in(stack, &phone, 1).await;
    phone.host.answer_consent(false);
    let refused = call(&phone.bridge, "zhelikit.getHomeScreen", json!({})).await;
    assert_eq!(error_of(&refused), (1003, "consent_refused"));
    assert!(refused["error"]["message"]
        .as_str()
        .unwrap()
        .contains("未同意"));

    let undeclared = phone_on(
        stack,
        &temp_dir(),
        "zk-demo-services",
        citizens_manifest(&[]),
    );
    let answer = call(&undeclared.bridge, "zhelikit.getCurrentUser", json!({})).await;
    assert_eq!(error_of(&answer), (1002, "scope_not_declared"));
    assert!(answer["error"]["message"]
        .as_str()
        .unwrap()
        .contains("profile"));
    assert!(!undeclared
        .bridge
        .can_i_use("zhelikit.getCurrentUser".into()));
    assert!(undeclared.bridge.can_i_use("getUiStyle".into()));
    assert_eq!(
        consent_prompts(&undeclared.host),
        0,
        "refused before anyone is asked"
    );
}

#[tokio::test]
async fn malformed_and_unknown_requests_get_a_coded_answer_and_never_reach_the_host() {
    let stack = stack(Backend::Sqlite).await;
    let phone = phone(stack, &["profile"]);
    let raw = |text: String| {
        let bridge = phone.bridge.clone();
        async move { serde_json::from_str::<Value>(&bridge.call(text).await).unwrap() }
    };
    assert_eq!(
        error_of(&raw("not json".into()).await),
        (1001, "invalid_request")
    );
    assert_eq!(
        error_of(&raw(r#"{"id": 1}"#.into()).await),
        (1001, "invalid_request")
    );
    assert_eq!(
        error_of(&raw("x".repeat(300 * 1024)).await),
        (1001, "request_too_large")
    );
    assert_eq!(
        error_of(&call(&phone.bridge, "pay", json!({})).await),
        (1001, "unknown_method")
    );
    assert_eq!(
        error_of(&call(&phone.bridge, "getAuthCode", json!({})).await),
        (1001, "unknown_method"),
        "gdt-jsapi is not served to a 浙里办 mini-app"
    );
    let not_object = raw(json!({"id": 2, "method": "setTitle", "params": [1]}).to_string()).await;
    assert_eq!(error_of(&not_object), (1001, "invalid_params"));
    let wrong_type = call(&phone.bridge, "setTitle", json!({"title": 5})).await;
    assert_eq!(error_of(&wrong_type), (1001, "invalid_params"));
    assert!(wrong_type["error"]["message"]
        .as_str()
        .unwrap()
        .contains("title"));
    let bad_number = call(&phone.bridge, "phoneCall", json!({"corpId": "call me"})).await;
    assert_eq!(error_of(&bad_number).1, "invalid_params");
    let bad_link = call(
        &phone.bridge,
        "openLink",
        json!({"url": "javascript:alert(1)"}),
    )
    .await;
    assert_eq!(error_of(&bad_link).1, "invalid_params");
    assert!(
        phone.host.actions().is_empty(),
        "{:?}",
        phone.host.actions()
    );
}

#[tokio::test]
async fn container_actions_go_through_the_host_and_answer_in_zwjsbridge_shapes() {
    let stack = stack(Backend::Sqlite).await;
    let phone = phone(stack, &[]);
    result(&call(&phone.bridge, "setTitle", json!({"title": "办事大厅"})).await);
    result(
        &call(
            &phone.bridge,
            "openLink",
            json!({"url": "https://www.zjzwfw.gov.cn/"}),
        )
        .await,
    );
    result(&call(&phone.bridge, "phoneCall", json!({"corpId": "0577-12345"})).await);
    phone.host.answer_confirm(false);
    let confirm = call(&phone.bridge, "confirm", json!({"message": "确定提交？"})).await;
    assert_eq!(result(&confirm)["result"], false);
    let cancelled = call(&phone.bridge, "scan", json!({})).await;
    assert_eq!(error_of(&cancelled), (-1, "cancelled"));
    phone.host.give_scan("330302199001011234");
    assert_eq!(
        result(&call(&phone.bridge, "scan", json!({})).await)["text"],
        "330302199001011234"
    );
    let images = call(&phone.bridge, "chooseImage", json!({"upload": false})).await;
    assert!(result(&images)["picSrc"][0]
        .as_str()
        .unwrap()
        .starts_with("data:image/"));
    let actions = phone.host.actions();
    assert!(actions.contains(&HostAction::SetTitle {
        title: "办事大厅".into()
    }));
    assert!(actions.contains(&HostAction::OpenLink {
        url: "https://www.zjzwfw.gov.cn/".into()
    }));
    assert!(actions.contains(&HostAction::PhoneCall {
        number: "0577-12345".into()
    }));
    let capabilities: Value =
        serde_json::from_str(&phone.bridge.capabilities_json()).expect("JSON");
    assert_eq!(capabilities["version"], "1.0.0");
    assert!(capabilities["methods"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["name"] == "ssoTicket" && m["available"] == true));
}

#[tokio::test]
async fn local_storage_and_the_device_uuid_belong_to_one_mini_app() {
    let stack = stack(Backend::Sqlite).await;
    let dir = temp_dir();
    let services = phone_on(stack, &dir, "zk-demo-services", citizens_manifest(&[]));
    let set = call(
        &services.bridge,
        "setLocalStorage",
        json!({"key": "draft", "value": "第一稿"}),
    )
    .await;
    assert_eq!(result(&set)["result"], true);
    let got = call(&services.bridge, "getLocalStorage", json!({"key": "draft"})).await;
    assert_eq!(result(&got)["result"], "第一稿");
    let uuid = result(&call(&services.bridge, "getUUID", json!({})).await)["uuid"].clone();
    assert_eq!(
        result(&call(&services.bridge, "getUUID", json!({})).await)["uuid"],
        uuid,
        "stable"
    );

    let policy = phone_on(
        stack,
        &dir,
        "zk-demo-policy",
        manifest("zk-demo-policy", "zlb", &[], &["legal_person"]),
    );
    let other = call(&policy.bridge, "getLocalStorage", json!({"key": "draft"})).await;
    assert_eq!(
        result(&other)["result"],
        Value::Null,
        "another mini-app sees nothing"
    );
    assert_ne!(
        result(&call(&policy.bridge, "getUUID", json!({})).await)["uuid"],
        uuid
    );
    result(
        &call(
            &services.bridge,
            "removeLocalStorage",
            json!({"key": "draft"}),
        )
        .await,
    );
    let gone = call(&services.bridge, "getLocalStorage", json!({"key": "draft"})).await;
    assert_eq!(result(&gone)["result"], Value::Null);
    drop(policy);
}

#[tokio::test]
async fn elder_mode_and_the_network_reach_the_page_as_events_and_the_home_screen_is_kept_offline() {
    let stack = stack(Backend::Sqlite).await;
    let phone = phone(stack, &["profile"]);
    assert_eq!(
        result(&call(&phone.bridge, "getUiStyle", json!({})).await)["uiStyle"],
        "normal"
    );
    phone.bridge.set_elder_mode(true);
    assert_eq!(
        result(&call(&phone.bridge, "getUiStyle", json!({})).await)["uiStyle"],
        "elder"
    );

    logged_in(stack, &phone, 2).await;
    let online = call(&phone.bridge, "zhelikit.getHomeScreen", json!({})).await;
    assert_eq!(result(&online)["offline"], false);
    assert!(!result(&online)["sections"].as_array().unwrap().is_empty());

    phone.network.set_online(false);
    phone.bridge.network_changed(false);
    assert_eq!(
        result(&call(&phone.bridge, "getNetworkType", json!({})).await)["result"],
        "none"
    );
    let offline = call(&phone.bridge, "zhelikit.getHomeScreen", json!({})).await;
    assert_eq!(
        result(&offline)["offline"],
        true,
        "the kept screen, marked offline"
    );
    assert_eq!(
        result(&offline)["sections"][0]["status"]["state"],
        "stale",
        "{offline}"
    );
    let events: Vec<Value> = phone
        .host
        .events()
        .iter()
        .map(|e| serde_json::from_str(e).unwrap())
        .collect();
    assert!(events.contains(&json!({"event": "uiStyleChanged", "data": {"uiStyle": "elder"}})));
    assert!(events.contains(&json!({"event": "networkChanged", "data": {"result": "none"}})));
    drop(phone.client);
}

#[tokio::test]
async fn an_official_logs_in_with_get_auth_code_and_gdt_codes_are_used() {
    let stack = stack(Backend::Sqlite).await;
    let official = &stack.fixtures.officials[0];
    let phone = phone_on(
        stack,
        &temp_dir(),
        "zk-demo-supervision",
        manifest("zk-demo-supervision", "zzd", &["profile"], &["official"]),
    );
    result(&call(&phone.bridge, "ready", json!({})).await);
    phone.host.give_ticket(
        &stack
            .auth_code_for("zk-demo-supervision", official.account_id)
            .await,
    );
    let code = call(&phone.bridge, "getAuthCode", json!({"corpId": "zk"})).await;
    let code = result(&code)["code"].as_str().unwrap().to_string();
    let login = call(
        &phone.bridge,
        "zhelikit.loginWithAuthCode",
        json!({"authCode": code}),
    )
    .await;
    assert_eq!(result(&login)["userType"], 0, "0 is a civil servant");
    let me = call(&phone.bridge, "zhelikit.getCurrentUser", json!({})).await;
    assert_eq!(
        result(&me)["official"]["employee_code"],
        official.employee_code.as_str()
    );
    assert_eq!(
        error_of(&call(&phone.bridge, "ssoTicket", json!({})).await),
        (1, "unknown_method"),
        "gdt's 'API undefined' for ZWJSBridge on 浙政钉"
    );
    assert_eq!(
        error_of(&call(&phone.bridge, "authConfig", json!({"ticket": "t"})).await),
        (2, "invalid_params")
    );
}

#[tokio::test]
async fn an_officials_page_works_supervision_through_the_bridge_and_a_citizens_is_refused() {
    let stack = stack(Backend::Sqlite).await;
    let f = &stack.fixtures;
    let office = f
        .organisations
        .iter()
        .find(|o| o.name == mock_platform::fixtures::SUPERVISION_OFFICE_NAME)
        .expect("the office");
    let clerk = f.officials_in(&office.code).last().expect("office staff");
    let page = phone_on(
        stack,
        &temp_dir(),
        "zk-demo-supervision",
        manifest(
            "zk-demo-supervision",
            "zzd",
            &["profile", "supervision"],
            &["official"],
        ),
    );
    page.host.give_ticket(
        &stack
            .auth_code_for("zk-demo-supervision", clerk.account_id)
            .await,
    );
    let code = call(&page.bridge, "getAuthCode", json!({"corpId": "zk"})).await;
    let code = result(&code)["code"].as_str().unwrap().to_string();
    result(
        &call(
            &page.bridge,
            "zhelikit.loginWithAuthCode",
            json!({"authCode": code}),
        )
        .await,
    );

    let me = call(&page.bridge, "zhelikit.supervision.me", json!({})).await;
    assert_eq!(result(&me)["role"]["role"], "office");
    let org = call(&page.bridge, "zhelikit.supervision.org", json!({})).await;
    let leader = result(&org)["leaders"][0]["employee_code"]
        .as_str()
        .unwrap()
        .to_string();
    let unit = f
        .organisations
        .iter()
        .find(|o| o.name.ends_with("县人民政府"))
        .expect("a county");
    let today = zhelikit_domain::policy::china_day(chrono::Utc::now().timestamp());
    let due = zhelikit_domain::policy::format_day(today + 20);
    let item = call(
        &page.bridge,
        "zhelikit.supervision.createItem",
        json!({"item": {"title": "桥接立项", "source_kind": "document", "source": "温政办〔2026〕1号",
                        "owner": leader, "due": due, "priority": "normal"}}),
    )
    .await;
    let item_id = result(&item)["summary"]["id"].as_str().unwrap().to_string();
    let made = call(
        &page.bridge,
        "zhelikit.supervision.dispatch",
        json!({"itemId": item_id, "tasks": [{"unit": unit.code, "content": "落实", "due": due}]}),
    )
    .await;
    assert_eq!(result(&made)["tasks"][0]["unit_name"], unit.name.as_str());
    // No consent prompt: an official's own work hands the page nothing personal of theirs.
    assert_eq!(consent_prompts(&page.host), 0);
    // Bad parameters are the platform's "invalid parameters".
    assert_eq!(
        error_of(
            &call(
                &page.bridge,
                "zhelikit.supervision.decide",
                json!({"reportId": "r1"})
            )
            .await
        ),
        (2, "invalid_params")
    );
    // A rule of the BFF's (a contact's action, not the office's) is refused with its code.
    let task_id = result(&made)["tasks"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let refused = call(
        &page.bridge,
        "zhelikit.supervision.report",
        json!({"taskId": task_id, "report": {"text": "进展"}}),
    )
    .await;
    assert_eq!(error_of(&refused), (9, "refused"));
    assert_eq!(
        refused["error"]["problemCode"], "supervision_forbidden",
        "{refused}"
    );
    let export = call(&page.bridge, "zhelikit.supervision.export", json!({})).await;
    assert!(
        result(&export)["base64"]
            .as_str()
            .unwrap()
            .starts_with("UEsD"),
        "a zip (xlsx)"
    );

    // A citizen's page that declares the scope anyway: the session has no supervision scope.
    let citizen = phone(stack, &["supervision"]);
    logged_in(stack, &citizen, 7).await;
    let answer = call(&citizen.bridge, "zhelikit.supervision.tasks", json!({})).await;
    assert_eq!(
        error_of(&answer).0,
        1002,
        "ZWJSBridge's 'not permitted': {answer}"
    );
}

#[tokio::test]
async fn a_bridge_only_opens_for_its_own_mini_app_and_a_valid_manifest() {
    let stack = stack(Backend::Sqlite).await;
    let client = phone(stack, &[]).client;
    let other = client.bridge(
        manifest("zk-demo-vault", "zlb", &[], &["citizen"]),
        ScriptedHost::new(),
    );
    assert!(
        matches!(&other, Err(SdkError::InvalidInput { field, reason }) if field == "manifest" && reason.contains("zk-demo-vault")),
        "{:?}",
        other.err()
    );
    let broken = client.bridge(r#"{"id": "zk-demo-services"}"#.into(), ScriptedHost::new());
    assert!(
        matches!(&broken, Err(SdkError::InvalidInput { reason, .. }) if reason.contains("version")),
        "every problem named: {:?}",
        broken.err()
    );
}

/// The owner's report of `mini_app` for today, read as `zhelikit-miniapp stats` reads it:
/// signed with the mini-app's registration keys. Also the table the CLI prints.
async fn owner_report(stack: &Stack, mini_app: &str) -> (Value, String) {
    let keys = &stack.config.platform.registrations[mini_app].irs;
    let day = zhelikit_domain::analytics::day_of(chrono::Utc::now().timestamp_millis());
    let report = zhelikit_simulator::stats::fetch_report(&stack.bff, mini_app, keys, &day, &day)
        .await
        .expect("the owner's report");
    let table = zhelikit_simulator::stats::render(&report);
    (serde_json::to_value(&report).expect("JSON"), table)
}

#[tokio::test]
async fn zwlog_events_wait_on_the_device_until_a_session_and_the_network_and_are_counted_once() {
    let stack = stack(Backend::Sqlite).await;
    let phone = phone(stack, &["profile"]);
    let analytics = phone.client.analytics();
    let page = format!(
        "analytics-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    let pv = json!({"type": "PV", "pageId": page, "params": {
        "miniAppId": "zk-demo-services", "pageName": "首页", "t0": 1000, "t2": 1180,
        "log_status": "02", "idNumber": "330302199001011234"}});
    result(&call(&phone.bridge, "monitorTrace", pv.clone()).await);
    let before_login = analytics.flush().await.expect("flush without a session");
    assert_eq!(
        (before_login.counted, before_login.pending),
        (0, 1),
        "kept until someone logs in"
    );

    logged_in(stack, &phone, 3).await;
    phone.network.set_online(false);
    phone.bridge.network_changed(false);
    result(&call(&phone.bridge, "monitorTrace", pv).await);
    let click = json!({"type": "CLK", "eventCode": "apply", "pageId": page,
        "params": {"phone": "13812345678"}});
    result(&call(&phone.bridge, "monitorTrace", click).await);
    let offline = analytics.flush().await.expect("flush offline");
    assert_eq!((offline.counted, offline.pending), (0, 3), "kept offline");

    // Back online, the bridge sends by itself.
    phone.network.set_online(true);
    phone.bridge.network_changed(true);
    let mut waited = 0;
    while analytics.pending().expect("pending") > 0 {
        assert!(waited < 100, "still pending after 10 s");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        waited += 1;
    }
    let (report, table) = owner_report(stack, "zk-demo-services").await;
    assert!(table.contains(&page), "{table}");
    let page_stats = report["pages"]
        .as_array()
        .expect("pages")
        .iter()
        .find(|p| p["page_id"] == page.as_str())
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(page_stats["views"], 2, "{report}");
    assert_eq!(page_stats["visitors"], 1, "one person, one visitor");
    assert_eq!(page_stats["avg_load_ms"], 180);
    assert!(
        report["events"]
            .as_array()
            .expect("events")
            .iter()
            .any(|e| e["code"] == "apply" && e["kind"] == "CLK"),
        "{report}"
    );
    // Nothing waits, and flushing again sends nothing twice.
    let again = analytics.flush().await.expect("flush");
    assert_eq!((again.counted, again.pending), (0, 0));

    // A malformed trace is refused in the page's terms and queues nothing.
    let bad = call(
        &phone.bridge,
        "monitorTrace",
        json!({"type": "CLK", "params": {}}),
    )
    .await;
    assert_eq!(error_of(&bad), (1001, "invalid_params"));
    assert!(
        bad["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("eventCode"),
        "{bad}"
    );
    assert_eq!(analytics.pending().expect("pending"), 0);

    // Another mini-app's keys cannot read this one's figures.
    let day = zhelikit_domain::analytics::day_of(chrono::Utc::now().timestamp_millis());
    let foreign = zhelikit_simulator::stats::fetch_report(
        &stack.bff,
        "zk-demo-services",
        &stack.config.platform.registrations["zk-demo-vault"].irs,
        &day,
        &day,
    )
    .await
    .expect_err("refused");
    assert!(foreign.contains("not_mini_app_owner"), "{foreign}");
    drop(phone.client);
}
