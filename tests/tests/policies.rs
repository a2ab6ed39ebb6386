//! 惠企政策直通车 end to end: an enterprise's profile from five departments, a policy drafted by
//! one official and approved by another of the same organisation, its preview, and the
//! enterprises it reaches — and the refusals on the way.

use serde_json::{json, Value};
use zhelikit_domain::paths;
use zhelikit_e2e::policy::*;
use zhelikit_e2e::{assert_problem, both_backends, http, Stack};

both_backends!(
    an_enterprise_profile_is_built_from_five_departments,
    the_inbox_syncs_by_cursor_and_devices_register_per_channel,
    an_enterprise_profiled_after_publishing_gets_the_policies_it_now_matches,
    the_sdk_inbox_syncs_lists_offline_and_sends_reads_made_offline_with_the_next_sync,
    a_policy_approved_by_a_second_official_reaches_the_enterprises_it_matches_and_no_others,
    policy_input_and_steps_out_of_order_are_refused_with_what_was_wrong
);

/// An enterprise app's SDK client of the policy mini-app, its store in a fresh folder.
fn enterprise_client(
    stack: &Stack,
    key: u8,
    network: Option<std::sync::Arc<dyn zhelikit_sdk::NetworkMonitor>>,
) -> std::sync::Arc<zhelikit_sdk::ZheliKitClient> {
    let dir = std::env::temp_dir().join(format!("zk-sdk-inbox-{}", uuid::Uuid::new_v4().simple()));
    zhelikit_sdk::ZheliKitClient::open(
        zhelikit_sdk::ClientConfig {
            bff_url: stack.bff.clone(),
            mini_app_id: "zk-demo-policy".into(),
            storage_dir: dir.display().to_string(),
            scopes: None,
            refresh_margin_secs: 60,
            request_timeout_ms: 5000,
        },
        std::sync::Arc::new(zhelikit_sdk::test_doubles::WrappingKeySource::new(
            [key; 32],
        )),
        None,
        network,
    )
    .expect("client")
}

/// [`enterprise_client`] logged in as enterprise `e`'s legal person.
async fn enterprise_phone(
    stack: &Stack,
    key: u8,
    e: &mock_platform::fixtures::Enterprise,
    network: Option<std::sync::Arc<dyn zhelikit_sdk::NetworkMonitor>>,
) -> std::sync::Arc<zhelikit_sdk::ZheliKitClient> {
    let client = enterprise_client(stack, key, network);
    let ticket = stack.legal_person_ticket(&e.userid).await;
    client
        .identity()
        .login_with_legal_person_ticket(ticket)
        .await
        .expect("login");
    client
}

async fn an_enterprise_profile_is_built_from_five_departments(stack: &Stack) {
    let e = verified_enterprises(stack).next().expect("an enterprise");
    let token = enterprise_session(stack, e).await;
    let (status, view) = stack.get_authed(paths::ENTERPRISE_PROFILE, &token).await;
    assert_eq!(status, 200, "{view}");
    let profile = &view["profile"];
    assert_eq!(profile["uscc"], e.uscc.as_str());
    assert_eq!(profile["name"], e.name.as_str());
    assert_eq!(profile["region"], county(e));
    // The industry class is the registration's; the size class follows the statistical rule.
    let industry = profile["industry"].as_str().expect("industry");
    assert!(
        zhelikit_domain::policy::Industry::parse(industry).is_ok(),
        "{industry}"
    );
    assert!(["large", "medium", "small", "micro"].contains(&profile["size"].as_str().unwrap_or("")));
    let records: Vec<&str> = view["sources"]
        .as_array()
        .expect("sources")
        .iter()
        .map(|s| s["record"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        records,
        [
            "enterprise_registration",
            "enterprise_credit",
            "enterprise_social_security",
            "enterprise_tax",
            "enterprise_qualifications"
        ]
    );
    assert!(
        view["sources"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|s| s["state"] == "fresh"),
        "{view}"
    );
    // A second read is the same profile (from the adapter layer's cache).
    let (_, again) = stack.get_authed(paths::ENTERPRISE_PROFILE, &token).await;
    assert_eq!(again["profile"], view["profile"]);
}

async fn a_policy_approved_by_a_second_official_reaches_the_enterprises_it_matches_and_no_others(
    stack: &Stack,
) {
    // One enterprise the policy is for, and one in another county it is not for.
    let target = verified_enterprises(stack).nth(1).expect("an enterprise");
    let elsewhere = verified_enterprises(stack)
        .find(|e| county(e) != county(target))
        .expect("an enterprise in another county");
    let target_token = enterprise_session(stack, target).await;
    let elsewhere_token = enterprise_session(stack, elsewhere).await;
    let (_, profile) = stack
        .get_authed(paths::ENTERPRISE_PROFILE, &target_token)
        .await;
    let (_, other_profile) = stack
        .get_authed(paths::ENTERPRISE_PROFILE, &elsewhere_token)
        .await;
    assert_eq!(other_profile["profile"]["region"], county(elsewhere));
    let division = &profile["profile"]["industry"].as_str().expect("industry")[..3];
    let criteria = json!({"regions": [county(target)], "industries": [division]});

    let (drafter, colleague, outsider) = officials(stack);
    let drafter_token = official_session(stack, drafter).await;
    let colleague_token = official_session(stack, colleague).await;
    let (status, policy) = stack
        .post_authed(
            paths::POLICIES,
            &drafter_token,
            draft("企业技术改造补助", criteria.clone()),
        )
        .await;
    assert_eq!(status, 201, "{policy}");
    assert_eq!(policy["status"], "draft");
    assert_eq!(policy["drafted_by"], drafter.name.as_str());
    let id = policy["id"].as_str().expect("id").to_string();

    // The preview counts the profiled enterprises it matches and shows why.
    let (status, preview) = stack
        .post_authed(paths::POLICY_PREVIEW, &drafter_token, criteria)
        .await;
    assert_eq!(status, 200, "{preview}");
    assert!(preview["matched"].as_u64() >= Some(1), "{preview}");
    assert!(preview["profiled"].as_u64() >= Some(2), "{preview}");
    let in_county = preview["by_county"]
        .as_array()
        .expect("by_county")
        .iter()
        .find(|c| c["code"] == county(target))
        .expect("the target's county");
    assert_eq!(in_county["count"], preview["matched"]);
    let example = preview["examples"]
        .as_array()
        .expect("examples")
        .iter()
        .find(|x| x["uscc"] == target.uscc.as_str())
        .unwrap_or_else(|| panic!("the target among the examples: {preview}"));
    assert!(example["reasons"]
        .as_array()
        .into_iter()
        .flatten()
        .all(|r| r["met"] == true));

    // Four eyes: the drafter submits but cannot approve; a colleague approves.
    let (status, submitted) = step(stack, &drafter_token, &id, json!({"step": "submit"})).await;
    assert_eq!(
        (status, submitted["status"].as_str()),
        (200, Some("submitted")),
        "{submitted}"
    );
    let (status, refused) = step(stack, &drafter_token, &id, json!({"step": "approve"})).await;
    assert_problem(status, &refused, 403, "policy_self_approval");
    let (status, approved) = step(stack, &colleague_token, &id, json!({"step": "approve"})).await;
    assert_eq!(status, 200, "{approved}");
    assert_eq!(approved["approved_by"], colleague.name.as_str());
    // Not visible to enterprises before it is published.
    let (_, before) = stack
        .get_authed(paths::ENTERPRISE_POLICIES, &target_token)
        .await;
    assert!(!before["policies"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|p| p["id"] == id.as_str()));
    // Devices to nudge: the target's phone on FCM and a dead token of it, one elsewhere.
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    let (live, dead, other) = (
        format!("fcm-target-{nonce}"),
        format!("unregistered-{nonce}"),
        format!("fcm-elsewhere-{nonce}"),
    );
    let huawei = format!("hms-target-{nonce}");
    // An iPhone's APNs device token is 32 bytes in hex.
    let iphone = format!("{nonce}{nonce}");
    for (token, device, channel, platform, push_token) in [
        (&target_token, "install-target-1", "fcm", "android", &live),
        (&target_token, "install-target-2", "fcm", "android", &dead),
        (&target_token, "install-target-3", "hms", "harmony", &huawei),
        (&target_token, "install-target-4", "apns", "ios", &iphone),
        (
            &elsewhere_token,
            "install-elsewhere",
            "fcm",
            "android",
            &other,
        ),
    ] {
        let path = paths::DEVICE.replace("{device_id}", device);
        let body = json!({"channel": channel, "platform": platform, "token": push_token});
        let (status, answer) = put_authed(stack, &path, token, body).await;
        assert_eq!(status, 204, "{answer}");
    }
    let (status, published) = step(stack, &drafter_token, &id, json!({"step": "publish"})).await;
    assert_eq!(
        (status, published["status"].as_str()),
        (200, Some("published")),
        "{published}"
    );
    let actions: Vec<&str> = published["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|h| h["action"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(actions, ["drafted", "submitted", "approved", "published"]);

    // The matching enterprise sees it, with why; the one elsewhere does not.
    let (status, mine) = stack
        .get_authed(paths::ENTERPRISE_POLICIES, &target_token)
        .await;
    assert_eq!(status, 200, "{mine}");
    let seen = mine["policies"]
        .as_array()
        .expect("policies")
        .iter()
        .find(|p| p["id"] == id.as_str())
        .unwrap_or_else(|| panic!("the policy among {mine}"));
    let reasons = seen["reasons"].as_array().expect("reasons");
    assert_eq!(reasons.len(), 2, "{seen}");
    assert_eq!(reasons[0]["condition"], "region");
    assert!(
        reasons[0]["text"]
            .as_str()
            .unwrap_or("")
            .starts_with("注册地在"),
        "{seen}"
    );
    assert_eq!(reasons[1]["condition"], "industry");
    let (_, theirs) = stack
        .get_authed(paths::ENTERPRISE_POLICIES, &elsewhere_token)
        .await;
    assert!(
        !theirs["policies"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|p| p["id"] == id.as_str()),
        "{theirs}"
    );

    // The campaign (a durable job written with the publishing step) fills the inboxes of the
    // enterprises it matches; the one elsewhere gets nothing.
    let finished = poll(|| async {
        let (_, p) = stack
            .get_authed(&policy_path(paths::POLICY, &id), &drafter_token)
            .await;
        p["delivery"]["finished_at"].is_i64().then_some(p)
    })
    .await;
    assert!(
        finished["delivery"]["matched"].as_u64() >= Some(1),
        "{finished}"
    );
    assert_eq!(
        finished["delivery"]["inboxed"],
        finished["delivery"]["matched"]
    );
    let (status, inbox) = stack.get_authed(paths::INBOX, &target_token).await;
    assert_eq!(status, 200, "{inbox}");
    let message = inbox["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .find(|m| m["policy_id"] == id.as_str())
        .unwrap_or_else(|| panic!("the policy in the inbox: {inbox}"))
        .clone();
    assert_eq!(message["title"], "企业技术改造补助");
    assert_eq!(message["read"], false);
    assert_eq!(
        message["reasons"], seen["reasons"],
        "why am I seeing this: the same reasons"
    );
    assert_eq!(
        message["deep_link"],
        format!("zhelikit://mini-app/zk-demo-policy/home?policy={id}")
    );
    let (_, theirs) = stack.get_authed(paths::INBOX, &elsewhere_token).await;
    assert!(
        !theirs["messages"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|m| m["policy_id"] == id.as_str()),
        "{theirs}"
    );
    // Read and opened show on the next sync and in the official's figures.
    let message_id = message["id"].as_str().expect("id");
    let (status, _) = stack
        .post_authed(
            &paths::INBOX_OPENED.replace("{id}", message_id),
            &target_token,
            json!({}),
        )
        .await;
    assert_eq!(status, 204);
    let since = message["cursor"].as_i64().expect("cursor") - 1;
    let (_, again) = stack
        .get_authed(
            &format!("{}?after={since}&limit=1", paths::INBOX),
            &target_token,
        )
        .await;
    assert_eq!(again["messages"][0]["id"], message_id, "{again}");
    assert_eq!(
        (
            again["messages"][0]["read"].as_bool(),
            again["messages"][0]["opened"].as_bool()
        ),
        (Some(true), Some(true))
    );
    let (_, stats) = stack
        .get_authed(&policy_path(paths::POLICY, &id), &drafter_token)
        .await;
    assert!(stats["delivery"]["opened"].as_u64() >= Some(1), "{stats}");

    // The target's phone was nudged through FCM with the campaign's collapse key; the dead
    // token was deleted and counted, never retried; the phone elsewhere got nothing.
    let pushed = poll(|| async {
        let (_, p) = stack
            .get_authed(&policy_path(paths::POLICY, &id), &drafter_token)
            .await;
        let d = &p["delivery"];
        (d["pushes_accepted"].as_u64() >= Some(3) && d["pushes_failed"]["unregistered"] == 1)
            .then_some(p)
    })
    .await;
    assert_eq!(pushed["delivery"]["pushes_retrying"], 0, "{pushed}");
    assert_eq!(pushed["delivery"]["pushes_pending"], 0, "{pushed}");
    assert_eq!(pushed["delivery"]["pushes_possibly_doubled"], 0, "{pushed}");
    // The iPhone through APNs, with the campaign's collapse id.
    let by_apns = stack.mock.state.apns.received();
    let apns_nudge = by_apns
        .iter()
        .find(|r| r.device_token == iphone)
        .expect("the iPhone's push");
    assert_eq!(
        apns_nudge.headers.get("apns-collapse-id"),
        Some(&format!("policy-{id}"))
    );
    assert_eq!(apns_nudge.payload.data.get("policy_id"), Some(&id));
    // The Huawei phone through Push Kit, a tap opening the policy.
    let by_hms = stack.mock.state.hms.received();
    let hms_nudge = by_hms
        .iter()
        .find(|r| r.token == huawei)
        .expect("the Huawei phone's push");
    assert!(hms_nudge
        .message
        .android
        .notification
        .click_action
        .intent
        .as_deref()
        .is_some_and(|i| i.ends_with(&id)));
    let received = stack.mock.state.fcm.received();
    let nudge = received
        .iter()
        .find(|r| r.token == live)
        .expect("the target's push");
    assert_eq!(nudge.message.data.get("policy_id"), Some(&id));
    assert_eq!(
        nudge
            .message
            .android
            .as_ref()
            .map(|a| a.collapse_key.clone()),
        Some(format!("policy-{id}"))
    );
    // (The phone elsewhere may be nudged for other scenarios' policies, never for this one.)
    assert!(received
        .iter()
        .all(|r| r.token != dead
            && !(r.token == other && r.message.data.get("policy_id") == Some(&id))));
    let (status, _) = put_authed(
        stack,
        &paths::DEVICE.replace("{device_id}", "install-target-2"),
        &target_token,
        json!({"channel": "fcm", "platform": "android", "token": format!("fcm-revived-{nonce}")}),
    )
    .await;
    assert_eq!(
        status, 204,
        "a phone registers a new token after the dead one was deleted"
    );

    // An official of another organisation does not see it.
    let outsider_token = official_session(stack, outsider).await;
    let (status, hidden) = stack
        .get_authed(&policy_path(paths::POLICY, &id), &outsider_token)
        .await;
    assert_problem(status, &hidden, 404, "policy_not_found");

    // Withdrawing needs a reason; once withdrawn, enterprises no longer see it.
    let (status, no_reason) = step(
        stack,
        &drafter_token,
        &id,
        json!({"step": "withdraw", "reason": ""}),
    )
    .await;
    assert_problem(status, &no_reason, 400, "invalid_field");
    assert_eq!(no_reason["field"], "reason");
    let (status, withdrawn) = step(
        stack,
        &colleague_token,
        &id,
        json!({"step": "withdraw", "reason": "资金额度已用完"}),
    )
    .await;
    assert_eq!(
        (status, withdrawn["status"].as_str()),
        (200, Some("withdrawn")),
        "{withdrawn}"
    );
    let (_, after) = stack
        .get_authed(paths::ENTERPRISE_POLICIES, &target_token)
        .await;
    assert!(!after["policies"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|p| p["id"] == id.as_str()));
}

async fn policy_input_and_steps_out_of_order_are_refused_with_what_was_wrong(stack: &Stack) {
    let (drafter, _, _) = officials(stack);
    let token = official_session(stack, drafter).await;
    for (criteria, field) in [
        (json!({"regions": ["110101"]}), "criteria.regions"),
        (json!({"industries": ["C65"]}), "criteria.industries"),
        (
            json!({"registered_capital_wan": {"min": 500, "max": 100}}),
            "criteria.registered_capital_wan",
        ),
        (
            json!({"founded": {"from": "2024-01-01", "to": "2020-01-01"}}),
            "criteria.founded",
        ),
    ] {
        let (status, problem) = stack
            .post_authed(paths::POLICIES, &token, draft("无效条件", criteria.clone()))
            .await;
        assert_problem(status, &problem, 400, "invalid_field");
        assert_eq!(problem["field"], field, "{criteria}: {problem}");
        let (status, problem) = stack
            .post_authed(paths::POLICY_PREVIEW, &token, criteria)
            .await;
        assert_problem(status, &problem, 400, "invalid_field");
        assert_eq!(problem["field"], field);
    }
    // Nothing refused was kept.
    let (_, listed) = stack.get_authed(paths::POLICIES, &token).await;
    assert!(
        !listed
            .as_array()
            .into_iter()
            .flatten()
            .any(|p| p["title"] == "无效条件"),
        "{listed}"
    );

    let (status, policy) = stack
        .post_authed(paths::POLICIES, &token, draft("创新券", json!({})))
        .await;
    assert_eq!(status, 201, "{policy}");
    let id = policy["id"].as_str().expect("id").to_string();
    // A draft cannot be published; an edit on a stale version is a conflict.
    let (status, problem) = step(stack, &token, &id, json!({"step": "publish"})).await;
    assert_problem(status, &problem, 409, "policy_status_conflict");
    let mut edit = draft("创新券（修订）", json!({}));
    edit["version"] = json!(1);
    let (status, edited) = put_authed(
        stack,
        &policy_path(paths::POLICY, &id),
        &token,
        edit.clone(),
    )
    .await;
    assert_eq!(
        (status, edited["version"].as_i64()),
        (200, Some(2)),
        "{edited}"
    );
    let (status, stale) = put_authed(stack, &policy_path(paths::POLICY, &id), &token, edit).await;
    assert_problem(status, &stale, 409, "policy_status_conflict");
    let (_, current) = stack
        .get_authed(&policy_path(paths::POLICY, &id), &token)
        .await;
    assert_eq!(current["title"], "创新券（修订）");

    // Enterprises do not manage policies, and officials have no enterprise profile.
    let e = verified_enterprises(stack).next().expect("an enterprise");
    let enterprise_token = enterprise_session(stack, e).await;
    let (status, problem) = stack
        .post_authed(paths::POLICIES, &enterprise_token, draft("x", json!({})))
        .await;
    assert_problem(status, &problem, 403, "missing_scope");
    let (status, problem) = stack.get_authed(paths::ENTERPRISE_PROFILE, &token).await;
    assert_problem(status, &problem, 403, "missing_scope");
}

/// 税务 down: an enterprise profiled before keeps its profile, saying which source could not
/// be reached; one never profiled is told which department is down, never given a guess.
#[tokio::test]
async fn a_department_down_leaves_the_last_profile_standing_and_says_so() {
    use mock_platform::departments::faults::{Fault, FaultMode};
    use platform_api::departments::Department;
    // No cache: the fault is met on the very next read.
    let stack = zhelikit_e2e::private_stack(zhelikit_e2e::Backend::Sqlite, |c| {
        c.adapters.cache_ttl = Some(std::time::Duration::ZERO);
    })
    .await;
    let mut enterprises = verified_enterprises(&stack);
    let (profiled, never) = (
        enterprises.next().expect("one"),
        enterprises.next().expect("two"),
    );
    let token = enterprise_session(&stack, profiled).await;
    let (status, before) = stack.get_authed(paths::ENTERPRISE_PROFILE, &token).await;
    assert_eq!(status, 200, "{before}");
    let never_token = enterprise_session(&stack, never).await;

    let down = Fault {
        mode: FaultMode::Status(503),
        ..Fault::HEALTHY
    };
    stack
        .mock
        .state
        .set_fault(Department::Taxation, down)
        .expect("fault");
    let (status, after) = stack.get_authed(paths::ENTERPRISE_PROFILE, &token).await;
    assert_eq!(status, 200, "{after}");
    assert_eq!(after["profile"], before["profile"]);
    assert_eq!(after["built_at"], before["built_at"]);
    let tax = after["sources"]
        .as_array()
        .expect("sources")
        .iter()
        .find(|s| s["record"] == "enterprise_tax")
        .expect("the tax source");
    assert_eq!(
        (tax["department"].as_str(), tax["state"].as_str()),
        (Some("税务"), Some("unavailable"))
    );

    let (status, problem) = stack
        .get_authed(paths::ENTERPRISE_PROFILE, &never_token)
        .await;
    assert_problem(status, &problem, 503, "department_unavailable");
    assert!(
        problem["detail"].as_str().unwrap_or("").contains("税务"),
        "{problem}"
    );
}

async fn the_inbox_syncs_by_cursor_and_devices_register_per_channel(stack: &Stack) {
    let e = verified_enterprises(stack).nth(2).expect("an enterprise");
    let token = enterprise_session(stack, e).await;
    let (status, page) = stack
        .get_authed(&format!("{}?after=0&limit=200", paths::INBOX), &token)
        .await;
    assert_eq!(status, 200, "{page}");
    // Syncing after the last cursor returns nothing new and keeps the cursor.
    let cursor = page["next_cursor"].as_i64().expect("next_cursor");
    let (_, empty) = stack
        .get_authed(&format!("{}?after={cursor}", paths::INBOX), &token)
        .await;
    assert_eq!(empty["messages"], json!([]));
    assert_eq!(
        (empty["next_cursor"].as_i64(), empty["more"].as_bool()),
        (Some(cursor), Some(false))
    );
    let (status, problem) = stack
        .get_authed(&format!("{}?limit=0", paths::INBOX), &token)
        .await;
    assert_problem(status, &problem, 400, "invalid_field");
    assert_eq!(problem["field"], "limit");
    let (status, problem) = stack
        .post_authed(
            &paths::INBOX_READ.replace("{id}", "msg-nope"),
            &token,
            json!({}),
        )
        .await;
    assert_problem(status, &problem, 404, "inbox_message_not_found");

    let device = paths::DEVICE.replace("{device_id}", "install-0001");
    let (status, _) = put_authed(
        stack,
        &device,
        &token,
        json!({"channel": "hms", "platform": "harmony", "token": "hms-token-1"}),
    )
    .await;
    assert_eq!(status, 204);
    let (status, _) = put_authed(
        stack,
        &device,
        &token,
        json!({"channel": "fcm", "platform": "android", "token": "fcm-token-2"}),
    )
    .await;
    assert_eq!(status, 204, "a new token replaces the old one");
    let (status, problem) = put_authed(
        stack,
        &device,
        &token,
        json!({"channel": "apns", "platform": "android", "token": "x"}),
    )
    .await;
    assert_problem(status, &problem, 400, "invalid_field");
    assert_eq!(problem["field"], "channel");
    let (status, problem) = put_authed(
        stack,
        &paths::DEVICE.replace("{device_id}", "x"),
        &token,
        json!({"channel": "fcm", "platform": "android", "token": "x"}),
    )
    .await;
    assert_problem(status, &problem, 400, "invalid_field");
    assert_eq!(problem["field"], "device_id");
    let status = http()
        .delete(format!("{}{device}", stack.bff))
        .bearer_auth(&token)
        .send()
        .await
        .expect("DELETE")
        .status();
    assert_eq!(status, 204);
}

async fn an_enterprise_profiled_after_publishing_gets_the_policies_it_now_matches(stack: &Stack) {
    // Never profiled in this stack before (the other scenarios use the first few).
    let late = verified_enterprises(stack).nth(7).expect("an enterprise");
    let (drafter, colleague, _) = officials(stack);
    let drafter_token = official_session(stack, drafter).await;
    let colleague_token = official_session(stack, colleague).await;
    let criteria = json!({"regions": [county(late)]});
    let (_, policy) = stack
        .post_authed(
            paths::POLICIES,
            &drafter_token,
            draft("新设企业开办补贴", criteria),
        )
        .await;
    let id = policy["id"].as_str().expect("id").to_string();
    for (token, body) in [
        (&drafter_token, json!({"step": "submit"})),
        (&colleague_token, json!({"step": "approve"})),
        (&drafter_token, json!({"step": "publish"})),
    ] {
        let (status, answer) = step(stack, token, &id, body).await;
        assert_eq!(status, 200, "{answer}");
    }
    poll(|| async {
        let (_, p) = stack
            .get_authed(&policy_path(paths::POLICY, &id), &drafter_token)
            .await;
        p["delivery"]["finished_at"].is_i64().then_some(())
    })
    .await;
    // Its first profile is a change: the rematch job puts the policy in its inbox.
    let token = enterprise_session(stack, late).await;
    let (status, _) = stack.get_authed(paths::ENTERPRISE_PROFILE, &token).await;
    assert_eq!(status, 200);
    let message = poll(|| async {
        let (_, inbox) = stack
            .get_authed(&format!("{}?limit=200", paths::INBOX), &token)
            .await;
        inbox["messages"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|m| m["policy_id"] == id.as_str())
            .cloned()
    })
    .await;
    assert_eq!(message["title"], "新设企业开办补贴");
    assert_eq!(message["reasons"][0]["condition"], "region");
    // Profiling it again (unchanged) adds nothing twice.
    stack.get_authed(paths::ENTERPRISE_PROFILE, &token).await;
    let (_, inbox) = stack
        .get_authed(&format!("{}?limit=200", paths::INBOX), &token)
        .await;
    let copies = inbox["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["policy_id"] == id.as_str())
        .count();
    assert_eq!(copies, 1);
}

/// With the register sync on, every enterprise in 市场监管's register is profiled without
/// logging in, a page and a profile at a time through the job mechanism.
#[tokio::test]
async fn the_register_sync_profiles_every_registered_enterprise() {
    let stack = zhelikit_e2e::private_stack(zhelikit_e2e::Backend::Sqlite, |c| {
        c.register_sync_every = Some(std::time::Duration::from_secs(3_600));
    })
    .await;
    let (drafter, _, _) = officials(&stack);
    let token = official_session(&stack, drafter).await;
    let everyone = stack.fixtures.enterprises.len() as u64;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let (status, preview) = stack
            .post_authed(paths::POLICY_PREVIEW, &token, json!({}))
            .await;
        assert_eq!(status, 200, "{preview}");
        if preview["profiled"].as_u64() == Some(everyone) {
            assert_eq!(
                preview["matched"].as_u64(),
                Some(everyone),
                "no criteria match everyone"
            );
            let counted: u64 = preview["by_county"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|c| c["count"].as_u64())
                .sum();
            assert_eq!(
                counted, everyone,
                "every fixture enterprise is registered in a Wenzhou county"
            );
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not all profiled within 60 s: {preview}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

async fn the_sdk_inbox_syncs_lists_offline_and_sends_reads_made_offline_with_the_next_sync(
    stack: &Stack,
) {
    use zhelikit_sdk::test_doubles::SwitchableNetwork;
    use zhelikit_sdk::{DevicePlatform, PushChannel, SdkError};
    let e = verified_enterprises(stack).nth(4).expect("an enterprise");
    let network = SwitchableNetwork::new(true);
    let monitor: std::sync::Arc<dyn zhelikit_sdk::NetworkMonitor> = network.clone();
    let client = enterprise_phone(stack, 9, e, Some(monitor)).await;
    let inbox = client.inbox();
    // Its first sync profiles nothing by itself; a push registration is checked first.
    inbox
        .register_push_token(
            PushChannel::Hms,
            DevicePlatform::Android,
            "hms-token-e4".into(),
        )
        .await
        .expect("register");
    let refused = inbox
        .register_push_token(PushChannel::Apns, DevicePlatform::Android, "x".into())
        .await;
    assert!(
        matches!(refused, Err(SdkError::InvalidInput { ref field, .. }) if field == "channel"),
        "{refused:?}"
    );

    // Profiled (through the BFF), then a policy for its county is published.
    let token = enterprise_session(stack, e).await;
    stack.get_authed(paths::ENTERPRISE_PROFILE, &token).await;
    let (drafter, colleague, _) = officials(stack);
    let drafter_token = official_session(stack, drafter).await;
    let colleague_token = official_session(stack, colleague).await;
    let (_, policy) = stack
        .post_authed(
            paths::POLICIES,
            &drafter_token,
            draft("数字化改造补助", json!({"regions": [county(e)]})),
        )
        .await;
    let id = policy["id"].as_str().expect("id").to_string();
    for (who, body) in [
        (&drafter_token, json!({"step": "submit"})),
        (&colleague_token, json!({"step": "approve"})),
        (&drafter_token, json!({"step": "publish"})),
    ] {
        let (status, answer) = step(stack, who, &id, body).await;
        assert_eq!(status, 200, "{answer}");
    }
    let synced = poll(|| async {
        let s = inbox.sync().await.expect("sync");
        s.messages.iter().any(|m| m.policy_id == id).then_some(s)
    })
    .await;
    assert!(!synced.offline && synced.new_messages >= 1);
    let message = synced
        .messages
        .iter()
        .find(|m| m.policy_id == id)
        .expect("the policy")
        .clone();
    assert_eq!(
        (
            message.deep_link.mini_app_id.as_str(),
            message.deep_link.policy_id.as_str()
        ),
        ("zk-demo-policy", id.as_str())
    );
    assert_eq!(
        inbox.why(message.id.clone()).expect("why")[0].condition,
        "region"
    );
    // Syncing again brings nothing new.
    assert_eq!(inbox.sync().await.expect("sync").new_messages, 0);

    // Offline: the list is the device's; a read is kept and marked at once.
    network.set_online(false);
    assert!(inbox
        .messages()
        .expect("offline list")
        .iter()
        .any(|m| m.id == message.id));
    let read = inbox
        .mark_read(message.id.clone())
        .await
        .expect("read offline");
    assert!(read.read);
    let offline = inbox.sync().await.expect("offline sync");
    assert!(offline.offline);
    assert!(offline
        .messages
        .iter()
        .find(|m| m.id == message.id)
        .is_some_and(|m| m.read));
    let (_, server) = stack
        .get_authed(&format!("{}?limit=200", paths::INBOX), &token)
        .await;
    let on_server = |v: &Value| {
        v["messages"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|m| m["id"] == message.id.as_str())
            .cloned()
    };
    assert_eq!(
        on_server(&server).map(|m| m["read"].clone()),
        Some(json!(false)),
        "not told yet"
    );

    // Back online, the next sync tells ZheliKit.
    network.set_online(true);
    let back = inbox.sync().await.expect("sync");
    assert!(!back.offline);
    let (_, server) = stack
        .get_authed(&format!("{}?limit=200", paths::INBOX), &token)
        .await;
    assert_eq!(
        on_server(&server).map(|m| m["read"].clone()),
        Some(json!(true))
    );
    let opened = inbox.open(message.id.clone()).await.expect("open");
    assert!(opened.opened);
    let missing = inbox.mark_read("msg-not-here".into()).await;
    assert!(
        matches!(missing, Err(SdkError::InvalidInput { ref field, .. }) if field == "message_id"),
        "{missing:?}"
    );
    // A second phone's mini-app page, through the bridge: the sync tells the page of each
    // message that arrived (`inboxMessage`), and the page opens and explains it.
    let second = enterprise_phone(stack, 8, e, None).await;
    let host = zhelikit_sdk::test_doubles::ScriptedHost::new();
    let manifest = include_str!("../../miniapps/samples/enterprise/miniapp.json");
    let page = Page(
        second
            .bridge(manifest.to_string(), host.clone())
            .expect("bridge"),
    );
    let synced = page.ok("zhelikit.inbox.sync", json!({})).await;
    assert!(synced["newMessages"].as_u64() >= Some(1), "{synced}");
    let events: Vec<Value> = host
        .events()
        .iter()
        .filter_map(|e| serde_json::from_str(e).ok())
        .collect();
    assert!(
        events
            .iter()
            .any(|e| e["event"] == "inboxMessage" && e["data"]["policyId"] == id.as_str()),
        "{events:?}"
    );
    let why = page
        .ok("zhelikit.inbox.why", json!({"messageId": message.id}))
        .await;
    assert_eq!(why["reasons"][0]["condition"], "region");
    let opened = page
        .ok("zhelikit.inbox.open", json!({"messageId": message.id}))
        .await;
    assert_eq!(opened["deepLink"]["miniAppId"], "zk-demo-policy");
    assert_eq!(opened["opened"], true);
    let listed = page.ok("zhelikit.inbox.list", json!({})).await;
    assert!(listed["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|m| m["id"] == message.id.as_str()));
}

/// FCM over quota (429 with `Retry-After`), then down (503): the push is retried after what FCM
/// asked and delivered once it recovers — nothing lost, and counted once.
#[tokio::test]
async fn a_push_refused_for_quota_and_an_outage_is_retried_and_delivered_once() {
    use mock_platform::fcm::Fault;
    let stack = zhelikit_e2e::private_stack(zhelikit_e2e::Backend::Sqlite, |_| {}).await;
    let e = verified_enterprises(&stack).next().expect("an enterprise");
    let token = enterprise_session(&stack, e).await;
    stack.get_authed(paths::ENTERPRISE_PROFILE, &token).await;
    let push_token = format!("fcm-quota-{}", uuid::Uuid::new_v4().simple());
    let (status, _) = put_authed(
        &stack,
        &paths::DEVICE.replace("{device_id}", "install-quota"),
        &token,
        json!({"channel": "fcm", "platform": "android", "token": push_token}),
    )
    .await;
    assert_eq!(status, 204);
    stack.mock.state.fcm.set_fault(Fault {
        status: 429,
        retry_after_secs: Some(1),
        count: 1,
        for_ms: None,
    });
    let (drafter, colleague, _) = officials(&stack);
    let (d, c) = (
        official_session(&stack, drafter).await,
        official_session(&stack, colleague).await,
    );
    let (_, policy) = stack
        .post_authed(
            paths::POLICIES,
            &d,
            draft("出口信用保险补贴", json!({"regions": [county(e)]})),
        )
        .await;
    let id = policy["id"].as_str().expect("id").to_string();
    for (who, body) in [
        (&d, json!({"step": "submit"})),
        (&c, json!({"step": "approve"})),
        (&d, json!({"step": "publish"})),
    ] {
        let (status, answer) = step(&stack, who, &id, body).await;
        assert_eq!(status, 200, "{answer}");
    }
    let delivered = poll(|| async {
        let (_, p) = stack.get_authed(&policy_path(paths::POLICY, &id), &d).await;
        (p["delivery"]["pushes_accepted"] == 1).then_some(p)
    })
    .await;
    assert_eq!(delivered["delivery"]["pushes_retrying"], 0, "{delivered}");
    let to_it = stack
        .mock
        .state
        .fcm
        .received()
        .into_iter()
        .filter(|r| r.token == push_token)
        .count();
    assert_eq!(to_it, 1, "delivered once, after the quota passed");
}

/// A mini-app page on a phone: its bridge, called as the page calls it.
struct Page(std::sync::Arc<zhelikit_sdk::MiniAppBridge>);

impl Page {
    /// The whole answer to one call.
    async fn answer(&self, method: &str, params: Value) -> Value {
        let request = json!({"id": 1, "method": method, "params": params}).to_string();
        serde_json::from_str(&self.0.call(request).await).expect("JSON")
    }

    /// The result of a call that must succeed.
    async fn ok(&self, method: &str, params: Value) -> Value {
        let answer = self.answer(method, params).await;
        assert_eq!(answer["ok"], true, "{method}: {answer}");
        answer["result"].clone()
    }

    /// The error of a call that must fail.
    async fn refused(&self, method: &str, params: Value) -> Value {
        let answer = self.answer(method, params).await;
        assert_eq!(answer["ok"], false, "{method}: {answer}");
        answer["error"].clone()
    }
}

/// The policy console (`miniapps/samples/policy-console`) on an official's phone, logged in
/// through 浙政钉 免登.
async fn console_page(stack: &Stack, official: &mock_platform::fixtures::Official) -> Page {
    let dir = std::env::temp_dir().join(format!("zk-console-{}", uuid::Uuid::new_v4().simple()));
    let client = zhelikit_sdk::ZheliKitClient::open(
        zhelikit_sdk::ClientConfig {
            bff_url: stack.bff.clone(),
            mini_app_id: CONSOLE.into(),
            storage_dir: dir.display().to_string(),
            scopes: None,
            refresh_margin_secs: 60,
            request_timeout_ms: 5000,
        },
        std::sync::Arc::new(zhelikit_sdk::test_doubles::WrappingKeySource::new([31; 32])),
        None,
        None,
    )
    .expect("client");
    let code = stack.auth_code_for(CONSOLE, official.account_id).await;
    client
        .identity()
        .login_with_auth_code(code)
        .await
        .expect("official login");
    let manifest = include_str!("../../miniapps/samples/policy-console/miniapp.json");
    let host = zhelikit_sdk::test_doubles::ScriptedHost::new();
    Page(client.bridge(manifest.to_string(), host).expect("bridge"))
}

/// The console as a page drives it — the vocabulary, a refused criterion, a preview, a draft,
/// an edit and a stale one, the four-eyes steps (the drafter's own approval refused, with the
/// rule named), the delivery statistics — and the enterprise's page then lists the policy with
/// its full text and why, offline too.
#[tokio::test]
async fn the_policy_console_and_the_enterprise_page_work_through_the_bridge() {
    use zhelikit_sdk::test_doubles::SwitchableNetwork;
    let stack = zhelikit_e2e::stack(zhelikit_e2e::Backend::Sqlite).await;
    let e = verified_enterprises(stack).nth(6).expect("an enterprise");
    let token = enterprise_session(stack, e).await;
    stack.get_authed(paths::ENTERPRISE_PROFILE, &token).await;
    let (drafter, colleague, _) = officials(stack);
    let drafting = console_page(stack, drafter).await;
    let reviewing = console_page(stack, colleague).await;

    let vocabulary = drafting
        .ok("zhelikit.policy.console.vocabulary", json!({}))
        .await;
    assert!(
        vocabulary["regions"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|r| r["code"] == county(e)),
        "{vocabulary}"
    );
    let refused = drafting
        .refused(
            "zhelikit.policy.console.preview",
            json!({"criteria": {"regions": ["999999"]}}),
        )
        .await;
    assert_eq!(refused["zkCode"], "invalid_params", "{refused}");
    assert!(
        refused["message"]
            .as_str()
            .is_some_and(|m| m.contains("criteria.regions")),
        "{refused}"
    );
    let missing = drafting
        .refused("zhelikit.policy.console.create", json!({}))
        .await;
    assert!(
        missing["message"]
            .as_str()
            .is_some_and(|m| m.contains("draft")),
        "{missing}"
    );

    let criteria = json!({"regions": [county(e)]});
    let preview = drafting
        .ok(
            "zhelikit.policy.console.preview",
            json!({"criteria": criteria}),
        )
        .await;
    assert!(preview["matched"].as_u64() >= Some(1), "{preview}");
    assert!(
        preview["by_county"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|c| c["code"] == county(e) && c["count"].as_u64() >= Some(1)),
        "{preview}"
    );

    let created = drafting
        .ok(
            "zhelikit.policy.console.create",
            json!({"draft": draft("小微企业上云补助", criteria.clone())}),
        )
        .await;
    assert_eq!(created["status"], "draft");
    let id = created["id"].as_str().expect("id").to_string();
    let mut text = draft("小微企业上云补助", criteria.clone());
    text["text"] = json!("企业上云的，按实际支出的 30% 给予补助。");
    let edited = drafting
        .ok(
            "zhelikit.policy.console.edit",
            json!({"policyId": id, "version": created["version"], "draft": text}),
        )
        .await;
    assert_eq!(
        edited["version"].as_i64(),
        created["version"].as_i64().map(|v| v + 1)
    );
    let stale = drafting
        .refused(
            "zhelikit.policy.console.edit",
            json!({"policyId": id, "version": created["version"], "draft": text}),
        )
        .await;
    assert_eq!(stale["zkCode"], "refused", "{stale}");
    assert_eq!(stale["problemCode"], "policy_status_conflict", "{stale}");

    let step = |step: &'static str| json!({"policyId": id, "step": {"step": step}});
    drafting
        .ok("zhelikit.policy.console.step", step("submit"))
        .await;
    let own = drafting
        .refused("zhelikit.policy.console.step", step("approve"))
        .await;
    assert_eq!(own["problemCode"], "policy_self_approval", "{own}");
    assert!(
        own["message"]
            .as_str()
            .is_some_and(|m| m.contains("起草人不能审核")),
        "{own}"
    );
    reviewing
        .ok("zhelikit.policy.console.step", step("approve"))
        .await;
    let published = drafting
        .ok("zhelikit.policy.console.step", step("publish"))
        .await;
    assert_eq!(published["status"], "published");
    let listed = reviewing
        .ok("zhelikit.policy.console.list", json!({}))
        .await;
    assert!(
        listed["policies"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|p| p["id"] == id.as_str()),
        "{listed}"
    );
    let delivered = poll(|| async {
        let read = drafting
            .ok("zhelikit.policy.console.read", json!({"policyId": id}))
            .await;
        (read["delivery"]["inboxed"].as_u64() >= Some(1)).then_some(read)
    })
    .await;
    assert!(
        delivered["history"]
            .as_array()
            .is_some_and(|h| h.len() == 5),
        "drafted, edited, submitted, approved, published: {delivered}"
    );
    let bad_id = drafting
        .refused("zhelikit.policy.console.read", json!({"policyId": "../me"}))
        .await;
    assert_eq!(bad_id["zkCode"], "invalid_params", "{bad_id}");

    // The enterprise's page: the policy, its full text, and why; then the same offline.
    let network = SwitchableNetwork::new(true);
    let monitor: std::sync::Arc<dyn zhelikit_sdk::NetworkMonitor> = network.clone();
    let client = enterprise_phone(stack, 12, e, Some(monitor)).await;
    let manifest = include_str!("../../miniapps/samples/enterprise/miniapp.json");
    let page = Page(
        client
            .bridge(
                manifest.to_string(),
                zhelikit_sdk::test_doubles::ScriptedHost::new(),
            )
            .expect("bridge"),
    );
    let ours = |list: &Value| {
        list["policies"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|p| p["id"] == id.as_str())
            .cloned()
    };
    let matched = page.ok("zhelikit.policy.matched", json!({})).await;
    assert_eq!(matched["offline"], false);
    let policy = ours(&matched).expect("the policy is listed");
    assert_eq!(policy["text"], "企业上云的，按实际支出的 30% 给予补助。");
    assert_eq!(policy["grant"]["mode"], "claim");
    assert_eq!(policy["reasons"][0]["condition"], "region");
    assert_eq!(policy["reasons"][0]["met"], true);
    network.set_online(false);
    let offline = page.ok("zhelikit.policy.matched", json!({})).await;
    assert_eq!(offline["offline"], true);
    assert_eq!(ours(&offline), Some(policy));
    // And through the SDK's own export.
    network.set_online(true);
    let exported = client.policies().matched().await.expect("matched");
    assert!(exported
        .policies
        .iter()
        .any(|p| p.id == id && !p.reasons.is_empty()));
    // The console's methods are not the enterprise app's: its manifest does not declare them.
    let undeclared = page
        .refused("zhelikit.policy.console.list", json!({}))
        .await;
    assert_eq!(undeclared["zkCode"], "scope_not_declared", "{undeclared}");

    // A claim started from the message counts for the department; then the policy is
    // withdrawn: the device marks its message, a claim is refused, the list drops it.
    let message = poll(|| async {
        let synced = page.ok("zhelikit.inbox.sync", json!({})).await;
        synced["messages"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|m| m["policyId"] == id.as_str())
            .cloned()
    })
    .await;
    let claimed = page
        .ok("zhelikit.inbox.claim", json!({"messageId": message["id"]}))
        .await;
    assert_eq!(
        (claimed["claimed"].clone(), claimed["opened"].clone()),
        (json!(true), json!(true))
    );
    let counted = poll(|| async {
        let read = drafting
            .ok("zhelikit.policy.console.read", json!({"policyId": id}))
            .await;
        (read["delivery"]["claimed"].as_u64() >= Some(1)).then_some(read)
    })
    .await;
    assert!(
        counted["delivery"]["opened"].as_u64() >= Some(1),
        "{counted}"
    );
    let no_reason = drafting
        .refused(
            "zhelikit.policy.console.step",
            json!({"policyId": id, "step": {"step": "withdraw"}}),
        )
        .await;
    assert_eq!(no_reason["zkCode"], "invalid_params", "{no_reason}");
    let withdrawn = drafting
        .ok(
            "zhelikit.policy.console.step",
            json!({"policyId": id, "step": {"step": "withdraw", "reason": "政策调整，另行发布"}}),
        )
        .await;
    assert_eq!(withdrawn["status"], "withdrawn");
    let synced = page.ok("zhelikit.inbox.sync", json!({})).await;
    let mine = synced["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m["id"] == message["id"])
        .cloned()
        .expect("still in the inbox");
    assert_eq!(mine["withdrawn"], true, "{mine}");
    let refused = page
        .refused("zhelikit.inbox.claim", json!({"messageId": message["id"]}))
        .await;
    assert!(
        refused["message"]
            .as_str()
            .is_some_and(|m| m.contains("已撤回")),
        "{refused}"
    );
    let after = page.ok("zhelikit.policy.matched", json!({})).await;
    assert_eq!(ours(&after), None, "a withdrawn policy is no longer listed");
}
