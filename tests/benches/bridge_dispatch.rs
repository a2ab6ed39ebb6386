//! Bridge dispatch in Rust for a trivial method (`getUUID`: the request parsed and checked —
//! size, form, method, platform, params, scope, login —, the method run, the answer
//! serialised), beside the same run's floor: parsing the same request into the same type and
//! serialising an answer of the same shape, with no bridge at all.
//! Issue 10 asks for at least 200,000 calls/s on one core.
//!
//! `cargo bench -p zhelikit-e2e --bench bridge_dispatch` (scripts/bench-sdk runs it).

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use zhelikit_domain::bridge::{BridgeRequest, BridgeResponse};
use zhelikit_sdk::test_doubles::{ScriptedHost, WrappingKeySource};
use zhelikit_sdk::{ClientConfig, ZheliKitClient};

const MANIFEST: &str = r#"{"id": "zk-demo-services", "name": "掌上办事", "version": "1.0.0",
  "platform": "zlb", "entry": "index.html", "scopes": ["profile"], "min_real_name_level": 1,
  "user_kinds": ["citizen"], "min_sdk_version": "0.1.0", "elder_mode": true}"#;

const REQUEST: &str = r#"{"id": 7, "method": "getUUID", "params": {}}"#;

fn dispatch(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("zk-bench-bridge-{}", std::process::id()));
    let client = ZheliKitClient::open(
        ClientConfig {
            // No call here reaches the network.
            bff_url: "http://127.0.0.1:9".into(),
            mini_app_id: "zk-demo-services".into(),
            storage_dir: dir.display().to_string(),
            scopes: None,
            refresh_margin_secs: 60,
            request_timeout_ms: 5000,
        },
        Arc::new(WrappingKeySource::new([3; 32])),
        None,
        None,
    )
    .expect("open");
    let bridge = client
        .bridge(MANIFEST.into(), ScriptedHost::new())
        .expect("bridge");
    // A current-thread runtime: the page's calls are measured on one core.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let first = rt.block_on(bridge.call(REQUEST.into()));
    assert!(first.contains("\"ok\":true"), "{first}");

    let mut group = c.benchmark_group("bridge_dispatch");
    group.throughput(Throughput::Elements(1));
    group.bench_function("getUUID through MiniAppBridge::call", |b| {
        b.iter(|| criterion::black_box(rt.block_on(bridge.call(REQUEST.into()))))
    });
    group.bench_function("floor: parse the request, serialise an answer", |b| {
        b.iter(|| {
            let request: BridgeRequest = serde_json::from_str(REQUEST).expect("json");
            let answer = BridgeResponse::ok(
                request.id,
                serde_json::json!({"uuid": "6f1c0c1e-8d0e-4f5a-9d6b-2f0a7c3e9b11"}),
            );
            criterion::black_box(serde_json::to_string(&answer).expect("json"))
        })
    });
    group.finish();
    drop(bridge);
    drop(client);
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, dispatch);
criterion_main!(benches);
