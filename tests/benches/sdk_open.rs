//! SDK cold start: opening a client on an existing encrypted store and restoring its session
//! (the work an app does at launch before it can show who is logged in). Beside it, in the same
//! run, the floor: opening the same SQLite file and reading one row with no SDK at all.
//!
//! `cargo bench -p zhelikit-e2e --bench sdk_open` (starts PostgreSQL-free in-process servers
//! on SQLite to make the session once).

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use zhelikit_e2e::{stack, Backend};
use zhelikit_sdk::test_doubles::WrappingKeySource;
use zhelikit_sdk::{ClientConfig, ZheliKitClient};

fn open_and_restore(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let dir = std::env::temp_dir().join(format!("zk-bench-{}", std::process::id()));
    let config = rt.block_on(async {
        let stack = stack(Backend::Sqlite).await;
        let config = ClientConfig {
            bff_url: stack.bff.clone(),
            mini_app_id: "zk-demo-services".into(),
            storage_dir: dir.display().to_string(),
            scopes: None,
            refresh_margin_secs: 60,
            request_timeout_ms: 5000,
        };
        let client = ZheliKitClient::open(
            config.clone(),
            Arc::new(WrappingKeySource::new([5; 32])),
            None,
            None,
        )
        .expect("open");
        let ticket = stack
            .citizen_ticket(&stack.fixtures.citizens[0].userid)
            .await;
        client
            .identity()
            .login_with_ticket(ticket)
            .await
            .expect("login");
        config
    });

    let mut group = c.benchmark_group("sdk_cold_start");
    group.bench_function("open client + restore session", |b| {
        b.iter(|| {
            let client = ZheliKitClient::open(
                config.clone(),
                Arc::new(WrappingKeySource::new([5; 32])),
                None,
                None,
            )
            .expect("open");
            let user = client.identity().cached_user().expect("restored");
            criterion::black_box(user);
        })
    });
    group.bench_function("floor: open the SQLite file and read one row", |b| {
        b.iter(|| {
            let conn = rusqlite::Connection::open(dir.join("zhelikit.db")).expect("sqlite");
            let value: Vec<u8> = conn
                .query_row("SELECT value FROM sealed LIMIT 1", [], |r| r.get(0))
                .expect("row");
            criterion::black_box(value);
        })
    });
    group.finish();
}

criterion_group!(benches, open_and_restore);
criterion_main!(benches);
