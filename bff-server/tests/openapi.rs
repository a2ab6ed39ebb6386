//! The OpenAPI document is generated from the handlers; this snapshot makes every change to
//! the public API visible in review. `UPDATE_SNAPSHOTS=1 cargo test -p bff-server --test openapi`
//! rewrites it.

use std::path::Path;

#[test]
fn the_openapi_document_matches_the_committed_snapshot() {
    let doc = serde_json::to_value(bff_server::openapi()).expect("serialise");
    assert_eq!(doc["openapi"], "3.1.0");
    let rendered = serde_json::to_string_pretty(&doc).expect("render") + "\n";
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi.json");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &rendered).expect("write snapshot");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == rendered,
        "the OpenAPI document changed; review it and run UPDATE_SNAPSHOTS=1 cargo test -p bff-server --test openapi"
    );
}

#[test]
fn every_error_response_is_documented_as_a_problem() {
    let doc = serde_json::to_value(bff_server::openapi()).expect("serialise");
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("operation") {
            for (status, response) in op["responses"].as_object().expect("responses") {
                let is_error = status.starts_with('4') || status.starts_with('5');
                let has_content = response.get("content").is_some();
                if is_error && has_content {
                    assert!(
                        response["content"]["application/problem+json"]["schema"]["$ref"]
                            .as_str()
                            .is_some_and(|r| r.ends_with("/Problem")),
                        "{method} {path} {status} is not a Problem"
                    );
                }
            }
        }
    }
}
