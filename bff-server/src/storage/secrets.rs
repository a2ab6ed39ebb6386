//! The server's secrets: the personal-data keys and one-time markers (`server_secrets`) and
//! the access-token signing keys (`signing_keys`), each created once per deployment and the
//! same on every instance.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreResult;

/// A JWT signing key. The private half stays in the database (a production deployment would
/// keep it in a KMS; the trait is the seam for that).
#[derive(Clone, PartialEq)]
pub struct SigningKey {
    /// Key id, the JWT `kid`.
    pub kid: String,
    /// Ed25519 private key, PKCS#8 DER.
    pub private_pkcs8: Vec<u8>,
    /// Ed25519 public key, 32 bytes.
    pub public_key: Vec<u8>,
    /// When it was made; the newest signs.
    pub created_at: DateTime<Utc>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// What the server's secrets are kept in.
#[async_trait]
pub trait SecretStore: Send + Sync {
    /// The server secret `name`, storing `candidate` first if there is none yet; every
    /// instance gets the same value.
    async fn server_secret(&self, name: &str, candidate: &[u8]) -> StoreResult<Vec<u8>>;
    /// Whether the server secret (or one-time marker) `name` exists, without creating it.
    async fn has_server_secret(&self, name: &str) -> StoreResult<bool>;
    /// All signing keys, newest first.
    async fn signing_keys(&self) -> StoreResult<Vec<SigningKey>>;
    /// Adds a signing key.
    async fn insert_signing_key(&self, key: &SigningKey) -> StoreResult<()>;
}

/// Implements [`SecretStore`] for a backend; the SQL is the same on both.
macro_rules! secrets_sql {
    ($store:ty) => {
        const _: () = {
            use sqlx::Row as _;
            use $crate::storage::secrets::{SecretStore, SigningKey};
            use $crate::storage::StoreResult;

            #[async_trait::async_trait]
            impl SecretStore for $store {
                async fn server_secret(&self, name: &str, candidate: &[u8]) -> StoreResult<Vec<u8>> {
                    sqlx::query("INSERT INTO server_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
                        .bind(name)
                        .bind(candidate)
                        .execute(&self.pool)
                        .await?;
                    let row = sqlx::query("SELECT value FROM server_secrets WHERE name = $1")
                        .bind(name)
                        .fetch_one(&self.pool)
                        .await?;
                    Ok(row.try_get("value")?)
                }

                async fn has_server_secret(&self, name: &str) -> StoreResult<bool> {
                    let found = sqlx::query("SELECT name FROM server_secrets WHERE name = $1")
                        .bind(name)
                        .fetch_optional(&self.pool)
                        .await?;
                    Ok(found.is_some())
                }

                async fn signing_keys(&self) -> StoreResult<Vec<SigningKey>> {
                    let rows = sqlx::query("SELECT kid, private_pkcs8, public_key, created_at FROM signing_keys ORDER BY created_at DESC")
                        .fetch_all(&self.pool)
                        .await?;
                    rows.iter()
                        .map(|r| {
                            Ok(SigningKey {
                                kid: r.try_get("kid")?,
                                private_pkcs8: r.try_get("private_pkcs8")?,
                                public_key: r.try_get("public_key")?,
                                created_at: r.try_get("created_at")?,
                            })
                        })
                        .collect()
                }

                async fn insert_signing_key(&self, k: &SigningKey) -> StoreResult<()> {
                    sqlx::query("INSERT INTO signing_keys (kid, private_pkcs8, public_key, created_at) VALUES ($1, $2, $3, $4)")
                        .bind(&k.kid)
                        .bind(&k.private_pkcs8)
                        .bind(&k.public_key)
                        .bind(k.created_at)
                        .execute(&self.pool)
                        .await?;
                    Ok(())
                }
            }
        };
    };
}
pub(crate) use secrets_sql;
