//! The vault's verification cost: one bare SM2 verification (RustCrypto `sm2`), and a whole
//! presentation (issuer signature, 10 disclosures, KB-JWT, status lookup) with the shared
//! verifier. `scripts/bench-vault` runs this beside `openssl speed sm2` in the same run.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use serde_json::json;
use zhelikit_domain::gm::Sm2PrivateKey;
use zhelikit_domain::vault::sd_jwt::{
    issue, present, verify, Expectation, Issuance, PresentationRequest, StatusCheck,
};
use zhelikit_domain::vault::status_list::{StatusReference, TokenStatus};

fn bench(c: &mut Criterion) {
    let issuer = Sm2PrivateKey::generate();
    let holder = Sm2PrivateKey::generate();
    let message = b"a 120-byte message, about the size of a JWS signing input of a small header and payload.....";
    let signature = issuer.sign(message);
    let public = issuer.public_key();
    let mut group = c.benchmark_group("vault_verify");
    group.throughput(Throughput::Elements(1));
    group.bench_function("sm2_verify", |b| {
        b.iter(|| public.verify(message, &signature).expect("verifies"))
    });

    let now = 1_796_176_800;
    let claims: Vec<(String, serde_json::Value)> = (0..12)
        .map(|i| (format!("claim_{i}"), json!(format!("value {i}"))))
        .collect();
    let credential = issue(
        &Issuance {
            issuer: "urn:zhelikit:issuer:transport".into(),
            kid: "k".into(),
            vct: "urn:zhelikit:cert:driving_licence".into(),
            iat: now,
            exp: now + 86_400,
            holder: holder.public_key(),
            status: StatusReference {
                idx: 7,
                uri: "urn:zhelikit:status:transport".into(),
            },
            claims,
            raw_claims: Vec::new(),
        },
        &issuer,
    )
    .expect("issued");
    let disclose: Vec<String> = (0..10).map(|i| format!("claim_{i}")).collect();
    let presentation = present(
        &credential,
        &PresentationRequest {
            disclose: &disclose,
            audience: "officer",
            nonce: "n",
            iat: now,
        },
        &holder,
    )
    .expect("presented");
    group.bench_function("presentation_10_disclosures", |b| {
        b.iter(|| {
            verify(
                &presentation,
                |_, _| Some(public.clone()),
                |_| StatusCheck::Fresh(TokenStatus::Valid),
                &Expectation {
                    audience: "officer",
                    nonce: Some("n"),
                    now,
                },
            )
            .expect("verifies")
        })
    });
    // What a consented fetch adds per certificate: a presentation (with its KB-JWT, one SM2
    // signature) and the envelope to the bank (SM2 encryption of an SM4-GCM key).
    group.bench_function("sm2_sign", |b| b.iter(|| issuer.sign(message)));
    group.bench_function("present_10_disclosures", |b| {
        b.iter(|| {
            present(
                &credential,
                &PresentationRequest {
                    disclose: &disclose,
                    audience: "bank",
                    nonce: "f",
                    iat: now,
                },
                &holder,
            )
            .expect("presented")
        })
    });
    let bank = Sm2PrivateKey::generate().public_key();
    let data = vec![b'x'; 2048];
    group.bench_function("envelope_seal_2k", |b| {
        b.iter(|| zhelikit_domain::gm::envelope::Envelope::seal(&bank, &data, b"c\0f"))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
