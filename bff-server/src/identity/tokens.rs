//! Access tokens: Ed25519-signed JWTs (`EdDSA`), 15 minutes, `aud` = the mini-app, keys named
//! by `kid` and published as JWKS so any service can verify them without calling the BFF.
//!
//! Verifying needs no storage: that is what lets `GET /v1/me` stay fast.

use std::collections::HashMap;
use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use ring::signature::KeyPair as _;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use zhelikit_domain::api::UserKind;
use zhelikit_domain::scope::Scope;

use crate::infra::local_ttl::LocalTtlMap;
use crate::storage::{SigningKey, Store, StoreError};

/// What an access token says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessClaims {
    /// Issuer: the BFF's public URL.
    pub iss: String,
    /// Pseudonymous user id.
    pub sub: String,
    /// The mini-app the session is for.
    pub aud: String,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// Issue time, seconds since the epoch.
    pub iat: i64,
    /// Token id.
    pub jti: String,
    /// Session (refresh-token family) id, for revocation.
    pub sid: String,
    /// Citizen, legal person or official.
    pub kind: UserKind,
    /// Granted scopes, space-separated.
    pub scope: String,
    /// 浙里办 real-name level at login.
    pub rnl: u8,
    /// When the user last authenticated for this session (the platform login or a passkey),
    /// seconds since the epoch; kept across refreshes (OIDC's `auth_time`). Step-up checks,
    /// such as registering a passkey, ask that it be recent.
    #[serde(default)]
    pub auth_time: i64,
}

impl AccessClaims {
    /// True when `scope` was granted.
    pub fn has_scope(&self, scope: Scope) -> bool {
        scope.granted_by(&self.scope)
    }
}

/// Why a presented token was refused. The variants stay internal: clients get one code,
/// `unauthenticated`, so probing learns nothing.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// Not a JWT, or a header we do not accept (including `alg: none`).
    #[error("malformed token: {0}")]
    Malformed(String),
    /// Signed with a key we never issued.
    #[error("unknown signing key {0:?}")]
    UnknownKey(String),
    /// Bad signature, expired, wrong issuer.
    #[error("invalid token: {0}")]
    Invalid(String),
}

/// Key id of the first signing key of a deployment.
pub const FIRST_KID: &str = "zk-1";

/// The signing key in use and every key whose tokens are still accepted.
pub struct Keyring {
    issuer: String,
    active_kid: String,
    active: EncodingKey,
    verifying: HashMap<String, DecodingKey>,
    jwks: serde_json::Value,
    /// Tokens already verified, keyed by the whole token text, until they expire: a client
    /// sends the same token for 15 minutes, and an Ed25519 check per request would dominate
    /// the cost of an authenticated call. A forged token never matches a stored one.
    verified: LocalTtlMap<String, Arc<AccessClaims>>,
}

impl Keyring {
    /// Loads the keys from storage, creating the first one on a fresh database. Generated at
    /// first run, so no key ever ships with the code.
    pub async fn load_or_create(store: &dyn Store, issuer: &str) -> Result<Self, StoreError> {
        let mut keys = store.signing_keys().await?;
        if keys.is_empty() {
            let mut key = generate_key().map_err(StoreError::Other)?;
            // The first key has a fixed id, so instances starting together on an empty
            // database collide on it and all end up with the one that was stored.
            key.kid = FIRST_KID.to_string();
            match store.insert_signing_key(&key).await {
                Ok(()) => {}
                // Another instance created it at the same moment: use what is stored.
                Err(StoreError::Conflict(_)) => {}
                Err(e) => return Err(e),
            }
            keys = store.signing_keys().await?;
        }
        Self::from_keys(issuer, &keys).map_err(StoreError::Corrupt)
    }

    fn from_keys(issuer: &str, keys: &[SigningKey]) -> Result<Self, String> {
        let newest = keys.first().ok_or("no signing key")?;
        let mut verifying = HashMap::new();
        let mut jwks = Vec::new();
        for key in keys {
            if key.public_key.len() != 32 {
                return Err(format!(
                    "signing key {} has a malformed public key",
                    key.kid
                ));
            }
            let x = URL_SAFE_NO_PAD.encode(&key.public_key);
            verifying.insert(key.kid.clone(), DecodingKey::from_ed_der(&key.public_key));
            jwks.push(serde_json::json!({"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig", "kid": key.kid, "x": x}));
        }
        // Validate the private key once here rather than failing at the first login.
        ring::signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(&newest.private_pkcs8)
            .map_err(|e| format!("signing key {} is unreadable: {e}", newest.kid))?;
        Ok(Self {
            issuer: issuer.to_string(),
            active_kid: newest.kid.clone(),
            active: EncodingKey::from_ed_der(&newest.private_pkcs8),
            verifying,
            jwks: serde_json::json!({ "keys": jwks }),
            verified: LocalTtlMap::new(100_000),
        })
    }

    /// The JWKS document for `/.well-known/jwks.json`.
    pub fn jwks(&self) -> &serde_json::Value {
        &self.jwks
    }

    /// The issuer tokens carry.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Signs an access token.
    pub fn sign(&self, claims: &AccessClaims) -> Result<String, String> {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.active_kid.clone());
        jsonwebtoken::encode(&header, claims, &self.active).map_err(|e| e.to_string())
    }

    /// Verifies signature, `kid`, algorithm, issuer and expiry, remembering the result until
    /// the token expires.
    pub fn verify(&self, token: &str) -> Result<Arc<AccessClaims>, TokenError> {
        if let Some(claims) = self.verified.get(token) {
            return Ok(claims);
        }
        let claims = Arc::new(self.verify_signature(token)?);
        let remaining = u64::try_from(claims.exp - Utc::now().timestamp()).unwrap_or(0);
        if remaining > 0 {
            self.verified.insert(
                token.to_string(),
                claims.clone(),
                std::time::Duration::from_secs(remaining),
            );
        }
        Ok(claims)
    }

    fn verify_signature(&self, token: &str) -> Result<AccessClaims, TokenError> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|e| TokenError::Malformed(e.to_string()))?;
        if header.alg != Algorithm::EdDSA {
            return Err(TokenError::Malformed(format!(
                "algorithm {:?} is not accepted",
                header.alg
            )));
        }
        let kid = header
            .kid
            .ok_or_else(|| TokenError::Malformed("no kid".into()))?;
        let key = self
            .verifying
            .get(&kid)
            .ok_or(TokenError::UnknownKey(kid))?;
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[&self.issuer]);
        // The audience is any registered mini-app; endpoints check scopes, which are per app.
        validation.validate_aud = false;
        validation.set_required_spec_claims(&["exp", "iss", "sub", "aud"]);
        validation.leeway = 30;
        jsonwebtoken::decode::<AccessClaims>(token, key, &validation)
            .map(|data| data.claims)
            .map_err(|e| TokenError::Invalid(e.to_string()))
    }
}

/// A fresh Ed25519 key with a random `kid`.
pub fn generate_key() -> Result<SigningKey, String> {
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = ring::signature::Ed25519KeyPair::generate_pkcs8(&rng).map_err(|e| e.to_string())?;
    let pair =
        ring::signature::Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).map_err(|e| e.to_string())?;
    Ok(SigningKey {
        kid: format!("zk-{}", &Uuid::new_v4().simple().to_string()[..12]),
        private_pkcs8: pkcs8.as_ref().to_vec(),
        public_key: pair.public_key().as_ref().to_vec(),
        created_at: Utc::now(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keyring(keys: &[SigningKey]) -> Keyring {
        Keyring::from_keys("https://bff.test", keys).unwrap()
    }

    fn claims(exp_in: i64) -> AccessClaims {
        let now = Utc::now().timestamp();
        AccessClaims {
            iss: "https://bff.test".into(),
            sub: "u1".into(),
            aud: "app".into(),
            exp: now + exp_in,
            iat: now,
            jti: "j".into(),
            sid: "s".into(),
            kind: UserKind::Citizen,
            scope: "profile passkey".into(),
            rnl: 3,
            auth_time: now,
        }
    }

    #[test]
    fn a_signed_token_verifies_and_carries_its_claims() {
        let ring = keyring(&[generate_key().unwrap()]);
        let token = ring.sign(&claims(900)).unwrap();
        let verified = ring.verify(&token).unwrap();
        assert_eq!(*verified, claims(900).clone_with_times(&verified));
        assert!(verified.has_scope(Scope::Passkey));
        assert!(!verified.has_scope(Scope::VaultRead));
    }

    #[test]
    fn expired_alg_none_and_foreign_key_tokens_are_refused() {
        let ring = keyring(&[generate_key().unwrap()]);
        assert!(matches!(
            ring.verify(&ring.sign(&claims(-120)).unwrap()),
            Err(TokenError::Invalid(_))
        ));

        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims(900)).unwrap());
        let none = format!(
            "{}.{payload}.",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#)
        );
        assert!(matches!(ring.verify(&none), Err(TokenError::Malformed(_))));

        // Same kid, other key: the signature does not verify.
        let mut impostor = generate_key().unwrap();
        impostor.kid = ring.active_kid.clone();
        let forged = keyring(&[impostor]).sign(&claims(900)).unwrap();
        assert!(matches!(ring.verify(&forged), Err(TokenError::Invalid(_))));

        let stranger = keyring(&[generate_key().unwrap()])
            .sign(&claims(900))
            .unwrap();
        assert!(matches!(
            ring.verify(&stranger),
            Err(TokenError::UnknownKey(_))
        ));
    }

    #[test]
    fn jwks_publishes_every_key() {
        let ring = keyring(&[generate_key().unwrap(), generate_key().unwrap()]);
        let keys = ring.jwks()["keys"].as_array().unwrap();
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[0]["kty"], "OKP");
        assert_eq!(keys[0]["x"].as_str().unwrap().len(), 43);
    }

    impl AccessClaims {
        fn clone_with_times(mut self, other: &AccessClaims) -> AccessClaims {
            self.exp = other.exp;
            self.iat = other.iat;
            self
        }
    }
}
