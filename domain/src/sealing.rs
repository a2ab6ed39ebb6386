//! Sealing of values with AES-256-GCM (RustCrypto): the SDK's local store on the device and the
//! BFF's sealed personal data use the same rule. Every value is bound to its name as associated
//! data, so a ciphertext moved to another row or field fails to open just like a modified one.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use rand::RngCore;

/// Length of a storage key in bytes.
pub const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 12;

/// A key that seals and opens values.
#[derive(Clone)]
pub struct SealingKey(Aes256Gcm);

/// Opening failed: wrong key, modified ciphertext, or a value sealed under another name.
#[derive(Debug, PartialEq, Eq)]
pub struct OpenError;

impl SealingKey {
    /// A key from 32 bytes; `None` for any other length.
    pub fn new(bytes: &[u8]) -> Option<Self> {
        if bytes.len() != KEY_LEN {
            return None;
        }
        Aes256Gcm::new_from_slice(bytes).ok().map(Self)
    }

    /// Seals `plain` under `name`; the result is nonce ‖ ciphertext.
    pub fn seal(&self, name: &str, plain: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::thread_rng().fill_bytes(&mut nonce);
        // Encryption only fails for plaintexts beyond GCM's 64 GiB limit.
        let ciphertext = self
            .0
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: name.as_bytes(),
                },
            )
            .unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend(ciphertext);
        out
    }

    /// Opens a value sealed under `name`.
    pub fn open(&self, name: &str, sealed: &[u8]) -> Result<Vec<u8>, OpenError> {
        if sealed.len() < NONCE_LEN + 16 {
            return Err(OpenError);
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        self.0
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: name.as_bytes(),
                },
            )
            .map_err(|_| OpenError)
    }
}

/// 32 random bytes from the OS generator.
pub fn random_key() -> Vec<u8> {
    let mut key = vec![0u8; KEY_LEN];
    rand::rngs::OsRng.fill_bytes(&mut key);
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_only_with_its_key_and_name_and_unmodified() {
        let key = SealingKey::new(&random_key()).unwrap();
        let sealed = key.seal("session", b"secret");
        assert_eq!(key.open("session", &sealed).unwrap(), b"secret");
        assert_eq!(key.open("other-row", &sealed), Err(OpenError));
        let mut modified = sealed.clone();
        *modified.last_mut().unwrap() ^= 1;
        assert_eq!(key.open("session", &modified), Err(OpenError));
        let other = SealingKey::new(&random_key()).unwrap();
        assert_eq!(other.open("session", &sealed), Err(OpenError));
        assert_eq!(key.open("session", b"short"), Err(OpenError));
    }

    #[test]
    fn keys_must_be_32_bytes() {
        assert!(SealingKey::new(&[0u8; 16]).is_none());
        assert!(SealingKey::new(&[0u8; 32]).is_some());
    }
}
