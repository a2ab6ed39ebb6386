//! 国密 interoperability with the `openssl` CLI (OpenSSL 3): keys in PKCS#8 and SPKI go both
//! ways, a signature made by either side verifies on the other, SM2 encryption (GB/T 32918.4,
//! GM/T 0009 DER) made by either side decrypts on the other, and SM3 agrees.
//!
//! SM2 hashes a distinguishing ID into every signature. ZheliKit uses the standard's default,
//! `1234567812345678` (GM/T 0009), as most 国密 libraries do; OpenSSL 3.0's `pkeyutl` uses an
//! empty ID unless told, so every openssl call here passes `-pkeyopt distid:1234567812345678`.

use std::path::{Path, PathBuf};
use std::process::Command;

use zhelikit_domain::gm::envelope::{sm2_decrypt, sm2_encrypt};
use zhelikit_domain::gm::{der_to_raw, hex, raw_to_der, sm3, Sm2PrivateKey, Sm2PublicKey};

/// The standard's default ID, as openssl takes it.
const DISTID: &str = "distid:1234567812345678";

fn dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("zk-gm-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Runs openssl; its stdout, or a panic with its stderr.
fn openssl(args: &[&str]) -> Vec<u8> {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl is installed (Debian's openssl package)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// openssl's SM2 signature (DER) of the file `msg` with the PKCS#8 key `key`.
fn openssl_sign(key: &Path, msg: &Path) -> Vec<u8> {
    openssl(&[
        "pkeyutl",
        "-sign",
        "-inkey",
        path(key),
        "-rawin",
        "-digest",
        "sm3",
        "-pkeyopt",
        DISTID,
        "-in",
        path(msg),
    ])
}

/// Asserts openssl verifies the DER signature `sig` of the file `msg` under the SPKI key `public`.
fn assert_openssl_verifies(public: &Path, msg: &Path, sig: &Path) {
    let out = openssl(&[
        "pkeyutl",
        "-verify",
        "-pubin",
        "-inkey",
        path(public),
        "-rawin",
        "-digest",
        "sm3",
        "-pkeyopt",
        DISTID,
        "-in",
        path(msg),
        "-sigfile",
        path(sig),
    ]);
    assert!(String::from_utf8_lossy(&out).contains("Signature Verified Successfully"));
}

/// An SM2 key pair made by openssl in `dir`: the PKCS#8 private key and the SPKI public key.
fn openssl_key_pair(dir: &Path) -> (PathBuf, PathBuf) {
    let (key_pem, pub_pem) = (dir.join("key.pem"), dir.join("pub.pem"));
    openssl(&["genpkey", "-algorithm", "SM2", "-out", path(&key_pem)]);
    openssl(&[
        "pkey",
        "-in",
        path(&key_pem),
        "-pubout",
        "-out",
        path(&pub_pem),
    ]);
    (key_pem, pub_pem)
}

#[test]
fn a_key_made_by_openssl_signs_here_and_openssl_verifies_what_we_sign() {
    let d = dir();
    let (key_pem, pub_pem) = openssl_key_pair(&d);
    let key = Sm2PrivateKey::from_pkcs8_pem(&std::fs::read_to_string(&key_pem).unwrap())
        .expect("openssl's PKCS#8 SM2 key");
    let public = Sm2PublicKey::from_spki_pem(&std::fs::read_to_string(&pub_pem).unwrap())
        .expect("openssl's SPKI SM2 key");
    assert_eq!(key.public_key(), public);

    // Ours → openssl.
    let message = "亮证：温州市 电子驾驶证 C1".as_bytes();
    let (msg, sig) = (d.join("msg"), d.join("sig.der"));
    std::fs::write(&msg, message).unwrap();
    std::fs::write(&sig, raw_to_der(&key.sign(message))).unwrap();
    assert_openssl_verifies(&pub_pem, &msg, &sig);

    // openssl → ours.
    let theirs = openssl_sign(&key_pem, &msg);
    public
        .verify_der(message, &theirs)
        .expect("openssl's signature verifies here");
    assert!(public.verify_der(b"another message", &theirs).is_err());
    assert_eq!(
        raw_to_der(&der_to_raw(&theirs).unwrap()).len() <= theirs.len(),
        true
    );
    std::fs::remove_dir_all(d).ok();
}

#[test]
fn a_key_made_here_is_read_by_openssl_which_signs_what_we_verify() {
    let d = dir();
    let key = Sm2PrivateKey::generate();
    let (key_pem, pub_pem, msg) = (d.join("key.pem"), d.join("pub.pem"), d.join("msg"));
    std::fs::write(&key_pem, key.to_pkcs8_pem()).unwrap();
    std::fs::write(&pub_pem, key.public_key().to_spki_pem()).unwrap();
    let text = openssl(&["pkey", "-in", path(&key_pem), "-noout", "-text"]);
    assert!(
        String::from_utf8_lossy(&text).contains("SM2"),
        "openssl reads it as SM2"
    );

    let message = b"status list 2026-12-02";
    std::fs::write(&msg, message).unwrap();
    let theirs = openssl_sign(&key_pem, &msg);
    key.public_key().verify_der(message, &theirs).unwrap();
    let sig = d.join("sig.der");
    std::fs::write(&sig, raw_to_der(&key.sign(message))).unwrap();
    assert_openssl_verifies(&pub_pem, &msg, &sig);
    std::fs::remove_dir_all(d).ok();
}

#[test]
fn sm3_agrees_with_openssl_dgst() {
    let d = dir();
    let data: Vec<u8> = (0..10_000u32).map(|i| (i * 7 + i / 13) as u8).collect();
    let file = d.join("data");
    std::fs::write(&file, &data).unwrap();
    let out = String::from_utf8(openssl(&["dgst", "-sm3", "-r", path(&file)])).unwrap();
    let theirs = out
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string();
    let ours = hex(&sm3(&data));
    assert_eq!(ours, theirs);
    std::fs::remove_dir_all(d).ok();
}

#[test]
fn sm2_encryption_made_by_either_side_decrypts_on_the_other() {
    let d = dir();
    let (key_pem, pub_pem) = openssl_key_pair(&d);
    let key = Sm2PrivateKey::from_pkcs8_pem(&std::fs::read_to_string(&key_pem).unwrap()).unwrap();
    // The 16-byte SM4 key of a bank fetch's envelope, as the BFF seals it.
    let secret = *b"sm4-key-16-bytes";

    // Ours → openssl.
    let ours = d.join("ours.der");
    std::fs::write(&ours, sm2_encrypt(&key.public_key(), &secret)).unwrap();
    let opened = openssl(&[
        "pkeyutl",
        "-decrypt",
        "-inkey",
        path(&key_pem),
        "-in",
        path(&ours),
    ]);
    assert_eq!(opened, secret);

    // openssl → ours.
    let msg = d.join("msg");
    std::fs::write(&msg, secret).unwrap();
    let theirs = openssl(&[
        "pkeyutl",
        "-encrypt",
        "-pubin",
        "-inkey",
        path(&pub_pem),
        "-in",
        path(&msg),
    ]);
    assert_eq!(sm2_decrypt(&key, &theirs).unwrap(), secret);
    // Another key cannot open it.
    assert!(sm2_decrypt(&Sm2PrivateKey::generate(), &theirs).is_err());
    std::fs::remove_dir_all(d).ok();
}
