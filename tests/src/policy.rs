//! What the policy tests share: sessions of enterprises and officials, a policy's steps, a
//! campaign's audience of many devices and its settled figures, and bounded polling.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bff_server::storage::{PushDevice, Store};
use chrono::Utc;
use mock_platform::fixtures::{AuthLevel, Enterprise, Official};
use serde_json::{json, Value};
use zhelikit_domain::paths;

use crate::{http, json_of, Stack};

/// The officials' console the tests log in to.
pub const CONSOLE: &str = "zk-demo-policy-console";

/// A session's access token.
pub fn access(session: &Value) -> String {
    session["access_token"]
        .as_str()
        .expect("access_token")
        .to_string()
}

/// The county of an enterprise's registration: characters 3–8 of its USCC.
pub fn county(e: &Enterprise) -> &str {
    &e.uscc[2..8]
}

/// The fixture enterprises whose legal person is verified.
pub fn verified_enterprises(stack: &Stack) -> impl Iterator<Item = &Enterprise> {
    stack
        .fixtures
        .enterprises
        .iter()
        .filter(|e| AuthLevel::for_citizen_index(e.attn) != AuthLevel::Unverified)
}

/// A legal person's access token for the enterprise mini-app.
pub async fn enterprise_session(stack: &Stack, e: &Enterprise) -> String {
    access(&stack.login_legal_person(&e.userid, "zk-demo-policy").await)
}

/// An official's access token for the console.
pub async fn official_session(stack: &Stack, o: &Official) -> String {
    access(&stack.login_official(o.account_id, CONSOLE).await)
}

/// Two officials of one organisation and one of another.
pub fn officials(stack: &Stack) -> (&Official, &Official, &Official) {
    let all = &stack.fixtures.officials;
    let first = &all[0];
    let colleague = all[1..]
        .iter()
        .find(|o| o.organisation_code == first.organisation_code)
        .expect("a colleague in the same organisation");
    let outsider = all
        .iter()
        .find(|o| o.organisation_code != first.organisation_code)
        .expect("an official elsewhere");
    (first, colleague, outsider)
}

/// `PUT` with a bearer token.
pub async fn put_authed(stack: &Stack, path: &str, token: &str, body: Value) -> (u16, Value) {
    json_of(
        http()
            .put(format!("{}{path}", stack.bff))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .expect("PUT"),
    )
    .await
}

/// Polls `check` until it gives a value, for at most ten seconds.
pub async fn poll<T, F, Fut>(check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    poll_for(std::time::Duration::from_secs(10), check).await
}

/// Polls `check` every 50 ms until it gives a value, for at most `limit`.
pub async fn poll_for<T, F, Fut>(limit: std::time::Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = std::time::Instant::now() + limit;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(std::time::Instant::now() < deadline, "not within {limit:?}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// A policy path with its id.
pub fn policy_path(template: &str, id: &str) -> String {
    template.replace("{id}", id)
}

/// A policy draft of `title` with `criteria`.
pub fn draft(title: &str, criteria: Value) -> Value {
    json!({
        "title": title,
        "summary": "符合条件的企业可获一次性补助。",
        "text": "为支持本市企业发展，特制定本政策。",
        "benefit": "一次性补助 10 万元",
        "grant": {"mode": "claim", "link": "/policies/claim"},
        "valid_from": "2020-01-01",
        "valid_until": "2099-12-31",
        "criteria": criteria,
    })
}

/// One step of a policy's lifecycle.
pub async fn step(stack: &Stack, token: &str, id: &str, body: Value) -> (u16, Value) {
    stack
        .post_authed(&policy_path(paths::POLICY_STEPS, id), token, body)
        .await
}

/// A policy of `title` for `criteria`, drafted and published by `drafter` after `colleague`
/// approved it; its id.
pub async fn publish(
    stack: &Stack,
    drafter: &str,
    colleague: &str,
    title: &str,
    criteria: Value,
) -> String {
    let (status, policy) = stack
        .post_authed(paths::POLICIES, drafter, draft(title, criteria))
        .await;
    assert_eq!(status, 201, "{policy}");
    let id = policy["id"].as_str().expect("id").to_string();
    for (who, body) in [
        (drafter, json!({"step": "submit"})),
        (colleague, json!({"step": "approve"})),
        (drafter, json!({"step": "publish"})),
    ] {
        let (status, answer) = step(stack, who, &id, body).await;
        assert_eq!(status, 200, "{answer}");
    }
    id
}

/// A campaign's audience: one enterprise with `live` FCM devices and `dead` ones whose tokens
/// FCM no longer knows; its USCC, and the tokens.
pub struct Audience {
    /// The enterprise.
    pub uscc: String,
    /// Its county.
    pub county: String,
    /// The live tokens.
    pub live: Vec<String>,
    /// The dead ones.
    pub dead: Vec<String>,
}

/// The stack's store, opened anew.
pub async fn store_of(stack: &Stack) -> Arc<dyn Store> {
    bff_server::storage::connect(&stack.config.database_url)
        .await
        .expect("the stack's database")
}

/// Profiles the stack's first verified enterprise and registers its devices: one through the
/// API (to learn the user), the rest straight into the table.
pub async fn audience(stack: &Stack, live: usize, dead: usize) -> Audience {
    let e = verified_enterprises(stack).next().expect("an enterprise");
    let token = enterprise_session(stack, e).await;
    let (status, _) = stack.get_authed(paths::ENTERPRISE_PROFILE, &token).await;
    assert_eq!(status, 200);
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    let live: Vec<String> = (0..live).map(|i| format!("fcm-{nonce}-{i:05}")).collect();
    let dead: Vec<String> = (0..dead)
        .map(|i| format!("unregistered-{nonce}-{i:05}"))
        .collect();
    let (status, answer) = put_authed(
        stack,
        &paths::DEVICE.replace("{device_id}", "install-00000"),
        &token,
        json!({"channel": "fcm", "platform": "android", "token": live[0]}),
    )
    .await;
    assert_eq!(status, 204, "{answer}");
    let store = store_of(stack).await;
    let first = store
        .devices_of(std::slice::from_ref(&e.uscc))
        .await
        .expect("devices")
        .into_iter()
        .next()
        .expect("the device registered");
    for (i, token) in live.iter().chain(&dead).enumerate().skip(1) {
        store
            .upsert_device(&PushDevice {
                device_id: format!("install-{i:05}"),
                token: token.clone(),
                updated_at: Utc::now(),
                ..first.clone()
            })
            .await
            .expect("device");
    }
    Audience {
        uscc: e.uscc.clone(),
        county: county(e).to_string(),
        live,
        dead,
    }
}

/// Publishes a policy for the audience's county; the drafter's token and the policy's id.
pub async fn campaign(stack: &Stack, audience: &Audience, title: &str) -> (String, String) {
    let (drafter, colleague, _) = officials(stack);
    let (d, c) = (
        official_session(stack, drafter).await,
        official_session(stack, colleague).await,
    );
    let id = publish(stack, &d, &c, title, json!({"regions": [audience.county]})).await;
    (d, id)
}

/// The policy's delivery figures once no push is pending or being retried.
pub async fn settled(stack: &Stack, token: &str, id: &str, within: Duration) -> Value {
    poll_for(within, || async {
        let (_, p) = stack
            .get_authed(&policy_path(paths::POLICY, id), token)
            .await;
        let d = p["delivery"].clone();
        let done = d["targeted_devices"].as_u64() > Some(0)
            && d["pushes_pending"] == 0
            && d["pushes_retrying"] == 0;
        done.then_some(d)
    })
    .await
}

/// How many pushes of policy `id` each token got.
pub fn received_by_token(stack: &Stack, id: &str) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for r in stack.mock.state.fcm.received() {
        if r.message.data.get("policy_id").map(String::as_str) == Some(id) {
            *counts.entry(r.token).or_default() += 1;
        }
    }
    counts
}

/// How many sends the mock FCM answered with `status`.
pub fn answered(stack: &Stack, status: u16) -> u64 {
    stack
        .mock
        .state
        .fcm
        .faults
        .answers()
        .get(&status)
        .copied()
        .unwrap_or(0)
}
