//! The bridge's method table, as the JS bridge package reads it: `miniapps/bridge/src/methods.json`
//! is generated from `zhelikit_domain::bridge::METHODS` and committed, so the shim defines
//! exactly the functions the core serves (an app guarding `if (ZWJSBridge.pay)` sees `pay` is
//! not there). `UPDATE_SNAPSHOTS=1 cargo test -p zhelikit-e2e --test bridge_methods` rewrites it.

use std::path::Path;

use serde_json::json;
use zhelikit_domain::bridge::{Family, BRIDGE_VERSION, METHODS};

#[test]
fn the_js_method_table_is_the_cores() {
    let methods: Vec<_> = METHODS
        .iter()
        .map(|m| {
            json!({
                "name": m.name,
                "family": match m.family {
                    Family::Zwjs => "zwjs",
                    Family::Gdt => "gdt",
                    Family::Zhelikit => "zhelikit",
                },
                "scope": m.scope.map(|s| s.as_str()),
                "consent": m.consent,
                "login": m.login,
                "summary": m.summary,
            })
        })
        .collect();
    let table = json!({"version": BRIDGE_VERSION, "methods": methods});
    let rendered = serde_json::to_string_pretty(&table).expect("render") + "\n";
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../miniapps/bridge/src/methods.json");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &rendered).expect("write");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == rendered,
        "the bridge's method table changed; run UPDATE_SNAPSHOTS=1 cargo test -p zhelikit-e2e --test bridge_methods"
    );
}
