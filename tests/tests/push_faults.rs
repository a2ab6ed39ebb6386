//! Push delivery under faults, end to end: a campaign to hundreds of devices meets dead tokens,
//! a 429 storm, an outage, a second worker, a worker killed with `kill -9` — and every device
//! ends with one outcome, none lost, none sent twice but those a crash made possible, which are
//! counted.

use std::time::Duration;

use mock_platform::fcm::Fault;
use serde_json::json;
use zhelikit_e2e::policy::*;
use zhelikit_e2e::{private_stack, Backend};

/// A fifth of the tokens are dead: each is deleted after its one 404, never tried again, and
/// every live one gets its push once.
#[tokio::test]
async fn a_campaign_with_a_fifth_of_its_tokens_dead_deletes_them_all_and_retries_none() {
    let stack = private_stack(Backend::Sqlite, |_| {}).await;
    let audience = audience(&stack, 240, 60).await;
    let (token, id) = campaign(&stack, &audience, "稳岗返还").await;
    let d = settled(&stack, &token, &id, Duration::from_secs(30)).await;
    assert_eq!(d["targeted_devices"], 300, "{d}");
    assert_eq!(d["pushes_accepted"], 240, "{d}");
    assert_eq!(d["pushes_failed"]["unregistered"], 60, "{d}");
    assert_eq!(answered(&stack, 404), 60, "one answer per dead token");
    let got = received_by_token(&stack, &id);
    assert!(audience.live.iter().all(|t| got.get(t) == Some(&1)));
    let left = store_of(&stack)
        .await
        .devices_of(std::slice::from_ref(&audience.uscc))
        .await
        .expect("devices");
    assert_eq!(
        left.len(),
        240,
        "every dead token deleted, every live one kept"
    );
    assert!(left.iter().all(|d| !audience.dead.contains(&d.token)));
}

/// FCM answers every send with 429 and `Retry-After: 1` for three seconds: the project's sends
/// pause and slow (a sender that retried at once would meet thousands of 429s at this rate),
/// and every push is delivered once the storm is over.
#[tokio::test]
async fn a_429_storm_pauses_and_slows_every_send_and_loses_nothing() {
    // 1,000 sends a second: the storm would be 3,000 429s to a sender that ignored them.
    let stack = private_stack(Backend::Sqlite, |c| c.push.quota_per_minute = 60_000).await;
    let audience = audience(&stack, 1_500, 0).await;
    stack.mock.state.fcm.set_fault(Fault {
        status: 429,
        retry_after_secs: Some(1),
        count: 0,
        for_ms: Some(3_000),
    });
    let (token, id) = campaign(&stack, &audience, "外贸企业出口奖励").await;
    let d = settled(&stack, &token, &id, Duration::from_secs(60)).await;
    assert_eq!(d["pushes_accepted"], 1_500, "nothing lost: {d}");
    assert_eq!(d["pushes_failed"], json!({}), "{d}");
    let storm = answered(&stack, 429);
    assert!(storm >= 1, "the storm was met");
    // At most the sends already on their way when each pause began: a few per second of storm.
    assert!(storm <= 600, "{storm} answers of 429");
    eprintln!("429 storm of 3 s at 1,000 sends/s: {storm} answers of 429");
    let got = received_by_token(&stack, &id);
    assert_eq!(got.len(), 1_500);
    assert!(got.values().all(|n| *n == 1), "each device once");
}

/// FCM is down (503, no `Retry-After`) for a second and a half: retries back off and stay
/// within the budget — a fifth of the first sends and a tenth of the quota a second — where
/// retrying every push at each backoff would have sent several times as many.
#[tokio::test]
async fn an_outage_is_retried_with_backoff_within_the_retry_budget() {
    let stack = private_stack(Backend::Sqlite, |c| {
        c.push.quota_per_minute = 60_000;
        c.jobs.backoff_base = Duration::from_millis(100);
        c.jobs.backoff_cap = Duration::from_secs(1);
    })
    .await;
    let audience = audience(&stack, 300, 0).await;
    stack.mock.state.fcm.set_fault(Fault {
        status: 503,
        retry_after_secs: None,
        count: 0,
        for_ms: Some(1_500),
    });
    let (token, id) = campaign(&stack, &audience, "中小企业数字化改造补助").await;
    let d = settled(&stack, &token, &id, Duration::from_secs(60)).await;
    assert_eq!(d["pushes_accepted"], 300, "nothing lost: {d}");
    let outage = answered(&stack, 503);
    // 300 first sends, 60 retries they earn, the floor's 100 a second over the outage, and the
    // two seconds of floor kept beforehand.
    let budget = 300 + 60 + 150 + 200;
    assert!(outage <= budget, "{outage} answers of 503, budget {budget}");
    assert!(outage >= 300, "every first send met the outage: {outage}");
    eprintln!("1.5 s outage, 300 pushes: {outage} answers of 503 (budget {budget})");
    assert!(received_by_token(&stack, &id).values().all(|n| *n == 1));
}

/// Two workers (the BFF's and one of its own) share a campaign through Redis Streams: no
/// device is sent twice, and none is counted as possibly doubled.
#[tokio::test]
async fn two_workers_share_a_campaign_and_send_no_device_twice() {
    let stack = private_stack(Backend::Postgres, |_| {}).await;
    let worker = zhelikit_e2e::start_worker(stack.config.clone())
        .await
        .expect("a second worker");
    let audience = audience(&stack, 1_000, 0).await;
    let (token, id) = campaign(&stack, &audience, "专精特新企业奖励").await;
    let d = settled(&stack, &token, &id, Duration::from_secs(60)).await;
    worker.jobs.stop().await;
    assert_eq!(d["pushes_accepted"], 1_000, "{d}");
    assert_eq!(d["pushes_possibly_doubled"], 0, "{d}");
    let got = received_by_token(&stack, &id);
    assert_eq!(got.len(), 1_000);
    assert!(got.values().all(|n| *n == 1), "each device once");
}

/// The only worker is killed with `kill -9` mid-campaign; another finishes it after the dead
/// one's leases run out. Every device gets its push; the only ones that may have had two are
/// those the dead worker was sending, and they are counted.
#[tokio::test]
async fn a_worker_killed_mid_campaign_leaves_it_for_another_to_finish() {
    let stack = private_stack(Backend::Postgres, |c| {
        c.run_jobs = false;
        c.jobs.lease = Duration::from_secs(2);
        // 200 a second: the campaign lasts long enough to be cut.
        c.push.quota_per_minute = 12_000;
    })
    .await;
    let audience = audience(&stack, 800, 0).await;
    let spec = serde_json::to_string(&zhelikit_e2e::WorkerSpec::of(&stack)).expect("spec");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_e2e-worker"))
        .env("ZK_E2E_WORKER_SPEC", spec)
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("a worker process");
    let (token, id) = campaign(&stack, &audience, "首台套装备奖励").await;
    // Killed once it has sent a fair part, well before the end.
    poll_for(Duration::from_secs(30), || async {
        (received_by_token(&stack, &id).len() >= 150).then_some(())
    })
    .await;
    // SIGKILL: no shutdown, no attempt finished, leases left to run out.
    child.kill().expect("kill -9");
    child.wait().expect("reaped");
    let sent_by_the_dead = received_by_token(&stack, &id).len();
    assert!(
        sent_by_the_dead < 800,
        "killed mid-campaign: {sent_by_the_dead}"
    );
    let mut config = stack.config.clone();
    config.run_jobs = true;
    let successor = zhelikit_e2e::start_worker(config).await.expect("a worker");
    let d = settled(&stack, &token, &id, Duration::from_secs(90)).await;
    successor.jobs.stop().await;
    assert_eq!(d["pushes_accepted"], 800, "nothing lost: {d}");
    let got = received_by_token(&stack, &id);
    assert_eq!(got.len(), 800, "every device");
    let doubled: usize = got.values().map(|n| n - 1).sum();
    let counted = d["pushes_possibly_doubled"].as_u64().expect("counted") as usize;
    assert!(
        doubled <= counted,
        "{doubled} devices had two pushes, {counted} were counted as possibly doubled"
    );
    // At most the batches the dead worker had claimed.
    assert!(counted <= 8 * 100, "{counted}");
    eprintln!("kill -9 mid-campaign: {doubled} pushes doubled, {counted} counted as possible");
}

/// The service account's key is revoked: every push is refused after the channel's one
/// renewal, kept to be retried (not failed), and the alert stays up; once the key is
/// restored every push goes and the alert clears.
#[tokio::test]
async fn a_revoked_service_account_raises_the_alert_and_the_pushes_wait_for_its_return() {
    let stack = private_stack(Backend::Sqlite, |c| {
        c.jobs.backoff_base = Duration::from_millis(200);
        c.jobs.backoff_cap = Duration::from_secs(1);
    })
    .await;
    let audience = audience(&stack, 50, 0).await;
    stack.mock.state.fcm.set_revoked(true);
    let (token, id) = campaign(&stack, &audience, "企业上云补助").await;
    let waiting = poll_for(Duration::from_secs(30), || async {
        let (_, p) = stack
            .get_authed(&policy_path(zhelikit_domain::paths::POLICY, &id), &token)
            .await;
        let d = p["delivery"].clone();
        (d["pushes_retrying"] == 50).then_some(d)
    })
    .await;
    assert_eq!(waiting["pushes_accepted"], 0, "{waiting}");
    assert!(
        stack.push_credential_refused_since("fcm").is_some(),
        "the alert is up"
    );
    stack.mock.state.fcm.set_revoked(false);
    let d = settled(&stack, &token, &id, Duration::from_secs(30)).await;
    assert_eq!(d["pushes_accepted"], 50, "{d}");
    assert_eq!(
        stack.push_credential_refused_since("fcm"),
        None,
        "the alert cleared"
    );
}
