//! PostgreSQL storage, for production.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::Row;
use uuid::Uuid;

use super::*;

/// [`Store`] on PostgreSQL.
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// Connects and runs the PostgreSQL migrations.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            // Readiness and requests must fail fast when the database is down, not hang.
            .acquire_timeout(std::time::Duration::from_secs(3))
            .connect(url)
            .await?;
        sqlx::migrate!("migrations/postgres")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Other(e.to_string()))?;
        Ok(Self { pool })
    }
}

const USER_COLUMNS: &str = "id, kind, subject, display_name, real_name_level, id_number_masked, id_number_sealed, phone_masked, \
     enterprise_name, enterprise_uscc, legal_representative, organisation_code, organisation_name, employee_code";

fn user_from_row(row: &sqlx::postgres::PgRow) -> StoreResult<User> {
    UserColumns {
        id: row.try_get("id")?,
        kind: row.try_get("kind")?,
        subject: row.try_get("subject")?,
        display_name: row.try_get("display_name")?,
        real_name_level: row.try_get("real_name_level")?,
        id_number_masked: row.try_get("id_number_masked")?,
        id_number_sealed: row.try_get("id_number_sealed")?,
        phone_masked: row.try_get("phone_masked")?,
        enterprise_name: row.try_get("enterprise_name")?,
        enterprise_uscc: row.try_get("enterprise_uscc")?,
        legal_representative: row.try_get("legal_representative")?,
        organisation_code: row.try_get("organisation_code")?,
        organisation_name: row.try_get("organisation_name")?,
        employee_code: row.try_get("employee_code")?,
    }
    .into_user()
}

fn refresh_from_row(row: &sqlx::postgres::PgRow) -> StoreResult<RefreshToken> {
    Ok(RefreshToken {
        token_hash: row.try_get("token_hash")?,
        family_id: row.try_get("family_id")?,
        user_id: row.try_get("user_id")?,
        mini_app_id: row.try_get("mini_app_id")?,
        scopes: split_words(row.try_get::<&str, _>("scopes")?),
        expires_at: row.try_get("expires_at")?,
        auth_time: row.try_get("auth_time")?,
    })
}

/// The columns [`refresh_from_row`] reads, from `refresh_tokens t JOIN session_families f`.
const TOKEN_COLUMNS: &str =
    "t.token_hash, t.family_id, t.user_id, t.mini_app_id, t.scopes, t.expires_at, f.auth_time";

#[async_trait]
impl Store for PostgresStore {
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn upsert_user(&self, u: &NewUser) -> StoreResult<User> {
        let now = Utc::now();
        let row = sqlx::query(&format!(
            "INSERT INTO users ({USER_COLUMNS}, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15)
             ON CONFLICT (kind, subject) DO UPDATE SET
               display_name = EXCLUDED.display_name, real_name_level = EXCLUDED.real_name_level,
               id_number_masked = EXCLUDED.id_number_masked, id_number_sealed = EXCLUDED.id_number_sealed,
               phone_masked = EXCLUDED.phone_masked,
               enterprise_name = EXCLUDED.enterprise_name, enterprise_uscc = EXCLUDED.enterprise_uscc,
               legal_representative = EXCLUDED.legal_representative,
               organisation_code = EXCLUDED.organisation_code, organisation_name = EXCLUDED.organisation_name,
               employee_code = EXCLUDED.employee_code, updated_at = EXCLUDED.updated_at
             RETURNING {USER_COLUMNS}"
        ))
        .bind(Uuid::new_v4())
        .bind(u.kind.as_str())
        .bind(&u.subject)
        .bind(&u.display_name)
        .bind(i32::from(u.real_name_level))
        .bind(&u.id_number_masked)
        .bind(&u.id_number_sealed)
        .bind(&u.phone_masked)
        .bind(u.enterprise.as_ref().map(|e| &e.name))
        .bind(u.enterprise.as_ref().map(|e| &e.uscc))
        .bind(u.enterprise.as_ref().map(|e| &e.legal_representative))
        .bind(u.official.as_ref().map(|o| &o.organisation_code))
        .bind(u.official.as_ref().map(|o| &o.organisation_name))
        .bind(u.official.as_ref().map(|o| &o.employee_code))
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        user_from_row(&row)
    }

    async fn user(&self, id: Uuid) -> StoreResult<Option<User>> {
        let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn users_after(&self, after: Option<Uuid>, limit: i64) -> StoreResult<Vec<User>> {
        // The nil UUID sorts before every other, as a UUID and as hyphenated text.
        let rows = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE id > $1 ORDER BY id LIMIT $2"
        ))
        .bind(after.unwrap_or(Uuid::nil()))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(user_from_row).collect()
    }

    async fn replace_sealed_id_number(
        &self,
        id: Uuid,
        old: &[u8],
        new: &[u8],
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE users SET id_number_sealed = $3 WHERE id = $1 AND id_number_sealed = $2",
        )
        .bind(id)
        .bind(old)
        .bind(new)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn upsert_mini_app(&self, app: &MiniApp) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO mini_apps (id, name, callback_urls, allowed_scopes, min_real_name_level, allowed_user_kinds)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, callback_urls = EXCLUDED.callback_urls,
               allowed_scopes = EXCLUDED.allowed_scopes, min_real_name_level = EXCLUDED.min_real_name_level,
               allowed_user_kinds = EXCLUDED.allowed_user_kinds",
        )
        .bind(&app.id)
        .bind(&app.name)
        .bind(app.callback_urls.join(" "))
        .bind(join_scopes(&app.allowed_scopes))
        .bind(i32::from(app.min_real_name_level))
        .bind(kinds_to_text(&app.allowed_user_kinds))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn mini_app(&self, id: &str) -> StoreResult<Option<MiniApp>> {
        let row = sqlx::query(
            "SELECT id, name, callback_urls, allowed_scopes, min_real_name_level, allowed_user_kinds FROM mini_apps WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(MiniApp {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            callback_urls: split_words(row.try_get::<&str, _>("callback_urls")?),
            allowed_scopes: split_words(row.try_get::<&str, _>("allowed_scopes")?),
            min_real_name_level: u8::try_from(row.try_get::<i32, _>("min_real_name_level")?)
                .map_err(|_| StoreError::Corrupt("min_real_name_level".into()))?,
            allowed_user_kinds: kinds_from_text(row.try_get::<&str, _>("allowed_user_kinds")?)?,
        }))
    }

    async fn insert_refresh_token(&self, t: &RefreshToken) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        let now = Utc::now();
        sqlx::query(
            "INSERT INTO session_families (family_id, user_id, created_at, auth_time) VALUES ($1, $2, $3, $4)
             ON CONFLICT (family_id) DO NOTHING",
        )
        .bind(t.family_id)
        .bind(t.user_id)
        .bind(now)
        .bind(t.auth_time)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO refresh_tokens (token_hash, family_id, user_id, mini_app_id, scopes, issued_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&t.token_hash)
        .bind(t.family_id)
        .bind(t.user_id)
        .bind(&t.mini_app_id)
        .bind(join_scopes(&t.scopes))
        .bind(now)
        .bind(t.expires_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn rotate_refresh_token(
        &self,
        presented_hash: &str,
        next: &NextRefreshToken,
        now: DateTime<Utc>,
        grace: std::time::Duration,
    ) -> StoreResult<Rotation> {
        let mut tx = self.pool.begin().await?;
        let family: Option<Uuid> =
            sqlx::query_scalar("SELECT family_id FROM refresh_tokens WHERE token_hash = $1")
                .bind(presented_hash)
                .fetch_optional(&mut *tx)
                .await?;
        let Some(family) = family else {
            return Ok(Rotation::Rejected(super::RefreshRefusal::Unknown));
        };
        // The family's row is the lock a revocation takes too: whichever comes second sees
        // what the first committed (READ COMMITTED re-reads per statement).
        let family_revoked: Option<Option<DateTime<Utc>>> = sqlx::query_scalar(
            "SELECT revoked_at FROM session_families WHERE family_id = $1 FOR UPDATE",
        )
        .bind(family)
        .fetch_optional(&mut *tx)
        .await?;
        let row = sqlx::query(&format!(
            "SELECT {TOKEN_COLUMNS}, t.used_at, t.revoked_at, t.successor_hash, t.successor_sealed
             FROM refresh_tokens t JOIN session_families f ON f.family_id = t.family_id WHERE t.token_hash = $1"
        ))
        .bind(presented_hash)
        .fetch_optional(&mut *tx)
        .await?;
        let state = match row {
            None => None,
            Some(row) => {
                let successor_hash: Option<String> = row.try_get("successor_hash")?;
                let successor_sealed: Option<Vec<u8>> = row.try_get("successor_sealed")?;
                let live_successor = match (successor_hash, successor_sealed) {
                    (Some(hash), Some(sealed)) => sqlx::query(
                        "SELECT scopes FROM refresh_tokens WHERE token_hash = $1 AND used_at IS NULL AND revoked_at IS NULL",
                    )
                    .bind(hash)
                    .fetch_optional(&mut *tx)
                    .await?
                    .map(|r| -> StoreResult<_> {
                        Ok((sealed, split_words(r.try_get::<&str, _>("scopes")?)))
                    })
                    .transpose()?,
                    _ => None,
                };
                Some(TokenState {
                    token: refresh_from_row(&row)?,
                    used_at: row.try_get("used_at")?,
                    revoked_at: row.try_get("revoked_at")?,
                    family_revoked: matches!(family_revoked, Some(Some(_))),
                    live_successor,
                })
            }
        };
        let step = decide_rotation(state.as_ref(), now, grace);
        match (&step, &state) {
            (RotationStep::Spend, Some(t)) => {
                sqlx::query(
                    "UPDATE refresh_tokens SET used_at = $2, successor_hash = $3, successor_sealed = $4 WHERE token_hash = $1",
                )
                .bind(presented_hash)
                .bind(now)
                .bind(&next.token_hash)
                .bind(&next.sealed)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO refresh_tokens (token_hash, family_id, user_id, mini_app_id, scopes, issued_at, expires_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(&next.token_hash)
                .bind(t.token.family_id)
                .bind(t.token.user_id)
                .bind(&t.token.mini_app_id)
                .bind(join_scopes(&next.scopes))
                .bind(now)
                .bind(next.expires_at)
                .execute(&mut *tx)
                .await?;
            }
            (RotationStep::Revoke, Some(t)) => {
                revoke_family_in(&mut tx, t.token.family_id, now).await?;
            }
            _ => {}
        }
        tx.commit().await?;
        Ok(rotation_outcome(step, state))
    }

    async fn live_refresh_token(
        &self,
        hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<RefreshToken>> {
        let row = sqlx::query(&format!(
            "SELECT {TOKEN_COLUMNS} FROM refresh_tokens t JOIN session_families f ON f.family_id = t.family_id
             WHERE t.token_hash = $1 AND t.used_at IS NULL AND t.revoked_at IS NULL AND t.expires_at > $2
               AND f.revoked_at IS NULL"
        ))
        .bind(hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(refresh_from_row).transpose()
    }

    async fn revoke_family(&self, family_id: Uuid, now: DateTime<Utc>) -> StoreResult<u64> {
        let mut tx = self.pool.begin().await?;
        let live = revoke_family_in(&mut tx, family_id, now).await?;
        tx.commit().await?;
        Ok(live)
    }

    async fn revoke_user(&self, user_id: Uuid, now: DateTime<Utc>) -> StoreResult<Vec<Uuid>> {
        let mut tx = self.pool.begin().await?;
        // Locks every live family of the user, as a rotation would; ended ones are untouched.
        let mut families: Vec<Uuid> = sqlx::query_scalar(
            "UPDATE session_families SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL RETURNING family_id",
        )
        .bind(user_id)
        .bind(now)
        .fetch_all(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = $2
             WHERE family_id = ANY($1) AND used_at IS NULL AND revoked_at IS NULL",
        )
        .bind(&families)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        families.sort();
        Ok(families)
    }

    async fn revoked_since(&self, since: DateTime<Utc>) -> StoreResult<Vec<(Uuid, DateTime<Utc>)>> {
        let rows = sqlx::query(
            "SELECT family_id, revoked_at FROM session_families WHERE revoked_at >= $1",
        )
        .bind(since)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("family_id")?, r.try_get("revoked_at")?)))
            .collect()
    }

    async fn insert_passkey(&self, p: &StoredPasskey) -> StoreResult<()> {
        sqlx::query("INSERT INTO passkeys (credential_id, user_id, passkey_json, name, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)")
            .bind(&p.credential_id)
            .bind(p.user_id)
            .bind(&p.passkey_json)
            .bind(&p.name)
            .bind(p.created_at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn passkeys(&self, user_id: Uuid) -> StoreResult<Vec<StoredPasskey>> {
        let rows = sqlx::query("SELECT credential_id, user_id, passkey_json, name, created_at, last_used_at FROM passkeys WHERE user_id = $1 ORDER BY created_at")
            .bind(user_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(StoredPasskey {
                    credential_id: r.try_get("credential_id")?,
                    user_id: r.try_get("user_id")?,
                    passkey_json: r.try_get("passkey_json")?,
                    name: r.try_get("name")?,
                    created_at: r.try_get("created_at")?,
                    last_used_at: r.try_get("last_used_at")?,
                })
            })
            .collect()
    }

    async fn update_passkey(&self, p: &StoredPasskey) -> StoreResult<()> {
        sqlx::query(
            "UPDATE passkeys SET passkey_json = $2, last_used_at = $3, updated_at = $4 WHERE credential_id = $1",
        )
        .bind(&p.credential_id)
        .bind(&p.passkey_json)
        .bind(p.last_used_at)
        .bind(Utc::now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn rename_passkey(
        &self,
        user_id: Uuid,
        credential_id: &str,
        name: &str,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE passkeys SET name = $3, updated_at = $4 WHERE user_id = $1 AND credential_id = $2",
        )
        .bind(user_id)
        .bind(credential_id)
        .bind(name)
        .bind(Utc::now())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn delete_passkey(&self, user_id: Uuid, credential_id: &str) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM passkeys WHERE user_id = $1 AND credential_id = $2")
            .bind(user_id)
            .bind(credential_id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn delete_passkeys(&self, user_id: Uuid) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM passkeys WHERE user_id = $1")
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    async fn record_audit(&self, e: &AuditEvent) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO audit_events (at, event, user_id, mini_app_id, client, request_id, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(Utc::now())
        .bind(&e.event)
        .bind(e.user_id)
        .bind(&e.mini_app_id)
        .bind(&e.client)
        .bind(&e.request_id)
        .bind(&e.detail)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn recent_audit(&self, limit: i64) -> StoreResult<Vec<AuditEvent>> {
        let rows = sqlx::query(
            "SELECT event, user_id, mini_app_id, client, request_id, detail FROM audit_events ORDER BY id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditEvent {
                    event: r.try_get("event")?,
                    user_id: r.try_get("user_id")?,
                    mini_app_id: r.try_get("mini_app_id")?,
                    client: r.try_get("client")?,
                    request_id: r.try_get("request_id")?,
                    detail: r.try_get("detail")?,
                })
            })
            .collect()
    }

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
        let found: Option<i32> = sqlx::query_scalar("SELECT 1 FROM server_secrets WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        Ok(found.is_some())
    }

    async fn record_upstream_calls(&self, calls: &[UpstreamCall]) -> StoreResult<()> {
        if calls.is_empty() {
            return Ok(());
        }
        sqlx::query("INSERT INTO upstream_call_batches (at, calls) VALUES ($1, $2::jsonb)")
            .bind(Utc::now())
            .bind(calls_to_json(calls)?)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn recent_upstream_calls(&self, limit: i64) -> StoreResult<Vec<UpstreamCall>> {
        // A batch holds at most a few thousand calls; the newest batches cover `limit`.
        let batches = limit.max(1);
        let rows = sqlx::query(
            "SELECT calls::text AS calls FROM upstream_call_batches ORDER BY id DESC LIMIT $1",
        )
        .bind(batches)
        .fetch_all(&self.pool)
        .await?;
        let batches = rows
            .iter()
            .map(|r| r.try_get::<String, _>("calls"))
            .collect::<Result<Vec<String>, _>>()?;
        calls_from_batches(batches, limit)
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

    async fn prune(&self, what: Retained, before: DateTime<Utc>, limit: i64) -> StoreResult<u64> {
        let done = sqlx::query(prune_sql(what))
            .bind(before)
            .bind(limit)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
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

/// Ends one session inside `tx`: its family's row first (the lock rotations take), then its
/// live tokens. Returns how many tokens were live.
async fn revoke_family_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    family_id: Uuid,
    now: DateTime<Utc>,
) -> StoreResult<u64> {
    sqlx::query(
        "UPDATE session_families SET revoked_at = COALESCE(revoked_at, $2) WHERE family_id = $1",
    )
    .bind(family_id)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    let done = sqlx::query(
        "UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND used_at IS NULL AND revoked_at IS NULL",
    )
    .bind(family_id)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}
