//! The vault's list offline: `client.vault().list()` with every kind of certificate held (9,
//! one per kind: the vault holds no more), read from the sealed store with the network off —
//! what the vault mini-app's first screen costs. Issue 11 asks for 50 certificates in ≤ 5 ms;
//! the per-certificate figure scales it (each held certificate is one store read, one unseal
//! and one SD-JWT parse).
//!
//! `cargo bench -p zhelikit-e2e --bench vault_list` (scripts/bench-vault runs it; it starts the
//! embedded stack, so PostgreSQL is not needed).

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use zhelikit_domain::vault::CertificateKind;
use zhelikit_e2e::{stack, Backend};
use zhelikit_sdk::test_doubles::{SwitchableNetwork, WrappingKeySource};
use zhelikit_sdk::{ClientConfig, NetworkMonitor, ZheliKitClient};

fn list(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let dir = std::env::temp_dir().join(format!("zk-bench-vault-{}", std::process::id()));
    let network = SwitchableNetwork::new(true);
    let (client, held) = rt.block_on(async {
        let stack = stack(Backend::Sqlite).await;
        let monitor: Arc<dyn NetworkMonitor> = network.clone();
        let client = ZheliKitClient::open(
            ClientConfig {
                bff_url: stack.bff.clone(),
                mini_app_id: "zk-demo-vault".into(),
                storage_dir: dir.display().to_string(),
                scopes: None,
                refresh_margin_secs: 60,
                request_timeout_ms: 5000,
            },
            Arc::new(WrappingKeySource::new([6; 32])),
            None,
            Some(monitor),
        )
        .expect("open");
        // The advanced citizen holding the most kinds among the first few.
        let userid = stack
            .fixtures
            .citizens
            .iter()
            .find(|c| c.auth_level == mock_platform::fixtures::AuthLevel::Advanced)
            .map(|c| c.userid.clone())
            .expect("an advanced citizen");
        let ticket = stack.citizen_ticket_for("zk-demo-vault", &userid).await;
        client
            .identity()
            .login_with_ticket(ticket)
            .await
            .expect("login");
        let vault = client.vault();
        for kind in CertificateKind::ALL {
            vault.pull(kind.as_str().into()).await.expect("pull");
        }
        let held = vault
            .list()
            .expect("list")
            .iter()
            .filter(|c| c.credential_held)
            .count();
        (client, held)
    });
    network.set_online(false);
    let vault = client.vault();
    println!(
        "vault_list: {held} of {} kinds held",
        CertificateKind::ALL.len()
    );
    let mut group = c.benchmark_group("vault_list");
    group.bench_function(format!("list offline, {held} certificates held"), |b| {
        b.iter(|| criterion::black_box(vault.list().expect("list")))
    });
    group.finish();
    drop(vault);
    drop(client);
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, list);
criterion_main!(benches);
