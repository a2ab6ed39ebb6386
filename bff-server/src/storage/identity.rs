//! Identity's storage: users, mini-apps, sessions (refresh-token families) and passkeys. The
//! trait, its row types, the pure rotation rule and the SQL, written once for both databases
//! ([`identity_sql`], expanded by each backend).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;
use zhelikit_domain::api::{EnterpriseSummary, OfficialSummary, UserKind};

use super::{StoreError, StoreResult};

/// A person as the platform identified them, minimised for storage.
#[derive(Debug, Clone, PartialEq)]
pub struct NewUser {
    /// Citizen, legal person or official.
    pub kind: UserKind,
    /// The platform's stable id for this person (浙里办 userid, enterprise userid + acting
    /// person, or 浙政钉 accountId), unique per kind.
    pub subject: String,
    /// Name for greeting.
    pub display_name: String,
    /// 1–3.
    pub real_name_level: u8,
    /// Masked resident ID number.
    pub id_number_masked: Option<String>,
    /// The full resident ID number sealed under the server's data key (see
    /// `personal_data::PersonalDataKeys`), for asking departments on the user's behalf.
    pub id_number_sealed: Option<Vec<u8>>,
    /// Masked mobile number.
    pub phone_masked: Option<String>,
    /// For legal persons.
    pub enterprise: Option<EnterpriseSummary>,
    /// For officials.
    pub official: Option<OfficialSummary>,
}

/// A stored user: [`NewUser`] plus the ZheliKit id.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    /// Pseudonymous ZheliKit user id.
    pub id: Uuid,
    /// What the platform said at the last login.
    pub profile: NewUser,
}

/// A registered mini-app and what it may do.
#[derive(Debug, Clone, PartialEq)]
pub struct MiniApp {
    /// Id used as the token audience.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Where the platform may send the user back after SSO.
    pub callback_urls: Vec<String>,
    /// Scopes a session for this mini-app may carry.
    pub allowed_scopes: Vec<String>,
    /// Lowest 浙里办 real-name level admitted (1–3).
    pub min_real_name_level: u8,
    /// Which kinds of user may log in.
    pub allowed_user_kinds: Vec<UserKind>,
}

/// A refresh token as stored: only its hash.
#[derive(Debug, Clone, PartialEq)]
pub struct RefreshToken {
    /// SHA-256 of the token, hex.
    pub token_hash: String,
    /// The session (token family) it belongs to; also the access tokens' `sid`.
    pub family_id: Uuid,
    /// Owner.
    pub user_id: Uuid,
    /// Audience of the session.
    pub mini_app_id: String,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// Expiry if unused.
    pub expires_at: DateTime<Utc>,
    /// When the platform login this session began with happened (kept across rotations).
    pub auth_time: DateTime<Utc>,
}

/// The successor of a spent refresh token: same family, owner and mini-app.
#[derive(Debug, Clone, PartialEq)]
pub struct NextRefreshToken {
    /// SHA-256 of the new token, hex.
    pub token_hash: String,
    /// The new token itself, sealed under a server key with the *spent* token's hash as
    /// associated data: returned again if the spent token is presented within the grace window
    /// (its response was lost), unreadable without the key.
    pub sealed: Vec<u8>,
    /// Its expiry.
    pub expires_at: DateTime<Utc>,
    /// Its scopes (the old ones, narrowed if the mini-app may no longer have some).
    pub scopes: Vec<String>,
}

/// What presenting a refresh token did.
#[derive(Debug, Clone, PartialEq)]
pub enum Rotation {
    /// It was valid: it is now spent and the new one stored. Carries the spent token's row.
    Rotated(RefreshToken),
    /// It was spent within the grace window and its successor is still unused: the same
    /// successor again (idempotent rotation — the first response was lost, or two clients of
    /// one device raced). Carries the spent token's row and the successor as sealed.
    Replayed {
        /// The presented (spent) token's row.
        spent: RefreshToken,
        /// The successor, as [`NextRefreshToken::sealed`] stored it.
        successor_sealed: Vec<u8>,
        /// The successor's scopes.
        successor_scopes: Vec<String>,
    },
    /// It had been used before: its family is now revoked.
    Reused { family_id: Uuid, user_id: Uuid },
    /// Unknown, expired or its session ended.
    Rejected(RefreshRefusal),
}

/// Why a presented refresh token opens nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshRefusal {
    /// No such token.
    Unknown,
    /// Past its expiry, never used.
    Expired,
    /// Its session was revoked (logout, reuse, the mini-app's rules).
    SessionEnded,
}

/// A registered passkey, serialised by webauthn-rs.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPasskey {
    /// Credential id, base64url.
    pub credential_id: String,
    /// Owner.
    pub user_id: Uuid,
    /// `webauthn_rs::prelude::Passkey` as JSON (public key and counter; no secret).
    pub passkey_json: String,
    /// What the user calls it.
    pub name: String,
    /// When it was registered.
    pub created_at: DateTime<Utc>,
    /// When it last started a session.
    pub last_used_at: Option<DateTime<Utc>>,
}

/// What identity keeps.
#[async_trait]
pub trait IdentityStore: Send + Sync {
    /// Inserts or refreshes a user by (kind, subject) and returns it with its id.
    async fn upsert_user(&self, user: &NewUser) -> StoreResult<User>;
    /// A user by id.
    async fn user(&self, id: Uuid) -> StoreResult<Option<User>>;
    /// Users in id order after `after` (all from the start when `None`), at most `limit`: for
    /// walking every user in batches (re-sealing ID numbers after a key change).
    async fn users_after(&self, after: Option<Uuid>, limit: i64) -> StoreResult<Vec<User>>;
    /// Replaces a user's sealed ID number if it still is `old` (a login in between wins).
    async fn replace_sealed_id_number(&self, id: Uuid, old: &[u8], new: &[u8])
        -> StoreResult<bool>;
    /// Inserts or replaces a mini-app registration.
    async fn upsert_mini_app(&self, app: &MiniApp) -> StoreResult<()>;
    /// A mini-app by id.
    async fn mini_app(&self, id: &str) -> StoreResult<Option<MiniApp>>;
    /// Stores the first refresh token of a new session.
    async fn insert_refresh_token(&self, token: &RefreshToken) -> StoreResult<()>;
    /// Spends `presented_hash` and stores `next` in the same family, atomically; or detects
    /// reuse and revokes the family.
    ///
    /// Serialised with revocation through the family's row: a logout running at the same
    /// moment either sees the successor (and revokes it) or makes the rotation fail. A token
    /// spent less than `grace` ago whose successor is unused is [`Rotation::Replayed`].
    async fn rotate_refresh_token(
        &self,
        presented_hash: &str,
        next: &NextRefreshToken,
        now: DateTime<Utc>,
        grace: std::time::Duration,
    ) -> StoreResult<Rotation>;
    /// The live token with this hash, if any (for logout).
    async fn live_refresh_token(
        &self,
        hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<RefreshToken>>;
    /// Revokes every token of one session. Returns how many were live.
    async fn revoke_family(&self, family_id: Uuid, now: DateTime<Utc>) -> StoreResult<u64>;
    /// Revokes every live session of a user (older, ended ones are left as they are). Returns
    /// the sessions (families) that were live.
    async fn revoke_user(&self, user_id: Uuid, now: DateTime<Utc>) -> StoreResult<Vec<Uuid>>;
    /// Sessions (families) revoked at or after `since`, with when.
    async fn revoked_since(&self, since: DateTime<Utc>) -> StoreResult<Vec<(Uuid, DateTime<Utc>)>>;
    /// Registers a passkey; a credential id already registered is a [`StoreError::Conflict`].
    async fn insert_passkey(&self, passkey: &StoredPasskey) -> StoreResult<()>;
    /// A user's passkeys.
    async fn passkeys(&self, user_id: Uuid) -> StoreResult<Vec<StoredPasskey>>;
    /// Replaces a passkey's serialised state (its counter moves on each use) and when it was
    /// last used.
    async fn update_passkey(&self, passkey: &StoredPasskey) -> StoreResult<()>;
    /// Renames one of `user_id`'s passkeys; `false` when they have none with that id.
    async fn rename_passkey(
        &self,
        user_id: Uuid,
        credential_id: &str,
        name: &str,
    ) -> StoreResult<bool>;
    /// Deletes one of `user_id`'s passkeys; `false` when they have none with that id.
    async fn delete_passkey(&self, user_id: Uuid, credential_id: &str) -> StoreResult<bool>;
    /// Deletes every passkey of `user_id`; returns how many.
    async fn delete_passkeys(&self, user_id: Uuid) -> StoreResult<u64>;
}

/// Scopes are stored as one space-separated string, as in OAuth's `scope`.
pub(crate) fn join_scopes(scopes: &[String]) -> String {
    scopes.join(" ")
}

pub(crate) fn split_words(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_string).collect()
}

pub(crate) fn kinds_to_text(kinds: &[UserKind]) -> String {
    kinds
        .iter()
        .map(|k| k.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

pub(crate) fn kinds_from_text(s: &str) -> StoreResult<Vec<UserKind>> {
    s.split_whitespace()
        .map(|k| {
            UserKind::parse(k)
                .ok_or_else(|| StoreError::Corrupt(format!("unknown user kind {k:?}")))
        })
        .collect()
}

/// The columns of a user row, shared by both databases' decoding.
pub(crate) struct UserColumns {
    pub(crate) id: Uuid,
    pub(crate) kind: String,
    pub(crate) subject: String,
    pub(crate) display_name: String,
    pub(crate) real_name_level: i32,
    pub(crate) id_number_masked: Option<String>,
    pub(crate) id_number_sealed: Option<Vec<u8>>,
    pub(crate) phone_masked: Option<String>,
    pub(crate) enterprise_name: Option<String>,
    pub(crate) enterprise_uscc: Option<String>,
    pub(crate) legal_representative: Option<String>,
    pub(crate) organisation_code: Option<String>,
    pub(crate) organisation_name: Option<String>,
    pub(crate) employee_code: Option<String>,
}

impl UserColumns {
    pub(crate) fn into_user(self) -> StoreResult<User> {
        let kind = UserKind::parse(&self.kind)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown user kind {:?}", self.kind)))?;
        let enterprise = match (
            self.enterprise_name,
            self.enterprise_uscc,
            self.legal_representative,
        ) {
            (Some(name), Some(uscc), Some(legal_representative)) => Some(EnterpriseSummary {
                name,
                uscc,
                legal_representative,
            }),
            _ => None,
        };
        let official = match (
            self.organisation_code,
            self.organisation_name,
            self.employee_code,
        ) {
            (Some(organisation_code), Some(organisation_name), Some(employee_code)) => {
                Some(OfficialSummary {
                    organisation_code,
                    organisation_name,
                    employee_code,
                })
            }
            _ => None,
        };
        Ok(User {
            id: self.id,
            profile: NewUser {
                kind,
                subject: self.subject,
                display_name: self.display_name,
                real_name_level: u8::try_from(self.real_name_level)
                    .map_err(|_| StoreError::Corrupt("real_name_level".into()))?,
                id_number_masked: self.id_number_masked,
                id_number_sealed: self.id_number_sealed,
                phone_masked: self.phone_masked,
                enterprise,
                official,
            },
        })
    }
}

/// What storage knows of a presented refresh token, read while its family's row is locked.
#[derive(Debug, Clone)]
pub(crate) struct TokenState {
    /// The token's row.
    pub(crate) token: RefreshToken,
    pub(crate) used_at: Option<DateTime<Utc>>,
    pub(crate) revoked_at: Option<DateTime<Utc>>,
    /// Whether the session as a whole was ended.
    pub(crate) family_revoked: bool,
    /// The successor it was spent for, if it is still unused and not revoked: its sealed
    /// value and scopes.
    pub(crate) live_successor: Option<(Vec<u8>, Vec<String>)>,
}

/// What to do with a presented refresh token.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RotationStep {
    /// Spend it and store the successor.
    Spend,
    /// Return its successor again.
    Replay,
    /// Reuse: revoke the family.
    Revoke,
    /// Refuse, revoking nothing.
    Reject(RefreshRefusal),
}

/// Decides what presenting a refresh token means, from its row. Pure, so both databases share
/// it.
pub(crate) fn decide_rotation(
    state: Option<&TokenState>,
    now: DateTime<Utc>,
    grace: std::time::Duration,
) -> RotationStep {
    let Some(t) = state else {
        return RotationStep::Reject(RefreshRefusal::Unknown);
    };
    if t.family_revoked || t.revoked_at.is_some() {
        return RotationStep::Reject(RefreshRefusal::SessionEnded);
    }
    match t.used_at {
        None if t.token.expires_at <= now => RotationStep::Reject(RefreshRefusal::Expired),
        None => RotationStep::Spend,
        Some(used_at) => {
            let since = (now - used_at)
                .to_std()
                .unwrap_or(std::time::Duration::ZERO);
            if since < grace && t.live_successor.is_some() {
                RotationStep::Replay
            } else {
                // Only a thief or a replay presents a spent token after the window.
                RotationStep::Revoke
            }
        }
    }
}

/// The outcome of a decided step (the database work done).
pub(crate) fn rotation_outcome(step: RotationStep, state: Option<TokenState>) -> Rotation {
    match (step, state) {
        (RotationStep::Spend, Some(t)) => Rotation::Rotated(t.token),
        (RotationStep::Replay, Some(t)) => match t.live_successor {
            Some((successor_sealed, successor_scopes)) => Rotation::Replayed {
                spent: t.token,
                successor_sealed,
                successor_scopes,
            },
            None => Rotation::Rejected(RefreshRefusal::SessionEnded),
        },
        (RotationStep::Revoke, Some(t)) => Rotation::Reused {
            family_id: t.token.family_id,
            user_id: t.token.user_id,
        },
        (RotationStep::Reject(why), _) => Rotation::Rejected(why),
        (_, None) => Rotation::Rejected(RefreshRefusal::Unknown),
    }
}

/// The columns of a user row, in the order [`identity_sql`] reads and writes them.
pub(crate) const USER_COLUMNS: &str = "id, kind, subject, display_name, real_name_level, id_number_masked, id_number_sealed, phone_masked, \
     enterprise_name, enterprise_uscc, legal_representative, organisation_code, organisation_name, employee_code";

/// The columns a refresh token row is read from, from `refresh_tokens t JOIN session_families f`.
pub(crate) const TOKEN_COLUMNS: &str =
    "t.token_hash, t.family_id, t.user_id, t.mini_app_id, t.scopes, t.expires_at, f.auth_time";

/// Implements [`IdentityStore`] for a backend: the SQL written once for both databases (`$n`
/// placeholders). `$id` is how the backend stores a UUID (`uuid::Uuid` natively on PostgreSQL,
/// `uuid::fmt::Hyphenated` text on SQLite); `lock_family` is the one statement that differs:
/// how a rotation locks the presented token's session row (`$1` the token hash) so that a
/// revocation running at the same moment comes strictly before or after it.
macro_rules! identity_sql {
    ($store:ty, $db:ty, $id:ty, lock_family = $lock_family:literal) => {
        const _: () = {
            use chrono::{DateTime, Utc};
            use sqlx::Row as _;
            use uuid::Uuid;
            use $crate::storage::identity::*;
            use $crate::storage::{StoreError, StoreResult};

            type DbRow = <$db as sqlx::Database>::Row;

            fn uuid(row: &DbRow, column: &str) -> StoreResult<Uuid> {
                Ok(Uuid::from(row.try_get::<$id, _>(column)?))
            }

            fn user_from_row(row: &DbRow) -> StoreResult<User> {
                UserColumns {
                    id: uuid(row, "id")?,
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

            fn refresh_from_row(row: &DbRow) -> StoreResult<RefreshToken> {
                Ok(RefreshToken {
                    token_hash: row.try_get("token_hash")?,
                    family_id: uuid(row, "family_id")?,
                    user_id: uuid(row, "user_id")?,
                    mini_app_id: row.try_get("mini_app_id")?,
                    scopes: split_words(row.try_get::<&str, _>("scopes")?),
                    expires_at: row.try_get("expires_at")?,
                    auth_time: row.try_get("auth_time")?,
                })
            }

            /// Ends one session inside `tx`: its family's row first (the lock rotations take),
            /// then its live tokens. Returns how many tokens were live.
            async fn revoke_family_in(
                tx: &mut sqlx::Transaction<'_, $db>,
                family_id: Uuid,
                now: DateTime<Utc>,
            ) -> StoreResult<u64> {
                sqlx::query(
                    "UPDATE session_families SET revoked_at = COALESCE(revoked_at, $2) WHERE family_id = $1",
                )
                .bind(<$id>::from(family_id))
                .bind(now)
                .execute(&mut **tx)
                .await?;
                let done = sqlx::query(
                    "UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND used_at IS NULL AND revoked_at IS NULL",
                )
                .bind(<$id>::from(family_id))
                .bind(now)
                .execute(&mut **tx)
                .await?;
                Ok(done.rows_affected())
            }

            #[async_trait::async_trait]
            impl IdentityStore for $store {
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
                    .bind(<$id>::from(Uuid::new_v4()))
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
                        .bind(<$id>::from(id))
                        .fetch_optional(&self.pool)
                        .await?;
                    row.as_ref().map(user_from_row).transpose()
                }

                async fn users_after(&self, after: Option<Uuid>, limit: i64) -> StoreResult<Vec<User>> {
                    // The nil UUID sorts before every other, as a UUID and as hyphenated text.
                    let rows = sqlx::query(&format!(
                        "SELECT {USER_COLUMNS} FROM users WHERE id > $1 ORDER BY id LIMIT $2"
                    ))
                    .bind(<$id>::from(after.unwrap_or(Uuid::nil())))
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
                    .bind(<$id>::from(id))
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
                    .bind(<$id>::from(t.family_id))
                    .bind(<$id>::from(t.user_id))
                    .bind(now)
                    .bind(t.auth_time)
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query(
                        "INSERT INTO refresh_tokens (token_hash, family_id, user_id, mini_app_id, scopes, issued_at, expires_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(&t.token_hash)
                    .bind(<$id>::from(t.family_id))
                    .bind(<$id>::from(t.user_id))
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
                    // First, the session's row is locked (the lock a revocation takes too):
                    // whichever comes second sees what the first committed.
                    sqlx::query($lock_family)
                        .bind(presented_hash)
                        .execute(&mut *tx)
                        .await?;
                    let row = sqlx::query(&format!(
                        "SELECT {TOKEN_COLUMNS}, t.used_at, t.revoked_at, t.successor_hash, t.successor_sealed,
                                f.revoked_at AS family_revoked_at
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
                            let family_revoked: Option<DateTime<Utc>> = row.try_get("family_revoked_at")?;
                            Some(TokenState {
                                token: refresh_from_row(&row)?,
                                used_at: row.try_get("used_at")?,
                                revoked_at: row.try_get("revoked_at")?,
                                family_revoked: family_revoked.is_some(),
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
                            .bind(<$id>::from(t.token.family_id))
                            .bind(<$id>::from(t.token.user_id))
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
                    // Locks every live family of the user, as a rotation would; ended ones are
                    // untouched. Their tokens are then the ones revoked at exactly `now`.
                    let rows = sqlx::query(
                        "UPDATE session_families SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL RETURNING family_id",
                    )
                    .bind(<$id>::from(user_id))
                    .bind(now)
                    .fetch_all(&mut *tx)
                    .await?;
                    let mut families = rows
                        .iter()
                        .map(|r| uuid(r, "family_id"))
                        .collect::<StoreResult<Vec<Uuid>>>()?;
                    sqlx::query(
                        "UPDATE refresh_tokens SET revoked_at = $2
                         WHERE used_at IS NULL AND revoked_at IS NULL
                           AND family_id IN (SELECT family_id FROM session_families WHERE user_id = $1 AND revoked_at = $2)",
                    )
                    .bind(<$id>::from(user_id))
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
                        .map(|r| Ok((uuid(r, "family_id")?, r.try_get("revoked_at")?)))
                        .collect()
                }

                async fn insert_passkey(&self, p: &StoredPasskey) -> StoreResult<()> {
                    sqlx::query("INSERT INTO passkeys (credential_id, user_id, passkey_json, name, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)")
                        .bind(&p.credential_id)
                        .bind(<$id>::from(p.user_id))
                        .bind(&p.passkey_json)
                        .bind(&p.name)
                        .bind(p.created_at)
                        .execute(&self.pool)
                        .await?;
                    Ok(())
                }

                async fn passkeys(&self, user_id: Uuid) -> StoreResult<Vec<StoredPasskey>> {
                    let rows = sqlx::query("SELECT credential_id, user_id, passkey_json, name, created_at, last_used_at FROM passkeys WHERE user_id = $1 ORDER BY created_at")
                        .bind(<$id>::from(user_id))
                        .fetch_all(&self.pool)
                        .await?;
                    rows.iter()
                        .map(|r| {
                            Ok(StoredPasskey {
                                credential_id: r.try_get("credential_id")?,
                                user_id: uuid(r, "user_id")?,
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
                    .bind(<$id>::from(user_id))
                    .bind(credential_id)
                    .bind(name)
                    .bind(Utc::now())
                    .execute(&self.pool)
                    .await?;
                    Ok(done.rows_affected() == 1)
                }

                async fn delete_passkey(&self, user_id: Uuid, credential_id: &str) -> StoreResult<bool> {
                    let done = sqlx::query("DELETE FROM passkeys WHERE user_id = $1 AND credential_id = $2")
                        .bind(<$id>::from(user_id))
                        .bind(credential_id)
                        .execute(&self.pool)
                        .await?;
                    Ok(done.rows_affected() == 1)
                }

                async fn delete_passkeys(&self, user_id: Uuid) -> StoreResult<u64> {
                    let done = sqlx::query("DELETE FROM passkeys WHERE user_id = $1")
                        .bind(<$id>::from(user_id))
                        .execute(&self.pool)
                        .await?;
                    Ok(done.rows_affected())
                }
            }
        };
    };
}
pub(crate) use identity_sql;

#[cfg(test)]
mod tests {
    use super::*;

    const GRACE: std::time::Duration = std::time::Duration::from_secs(10);

    fn state(now: DateTime<Utc>) -> TokenState {
        TokenState {
            token: RefreshToken {
                token_hash: "h".into(),
                family_id: Uuid::new_v4(),
                user_id: Uuid::new_v4(),
                mini_app_id: "app".into(),
                scopes: vec![],
                expires_at: now + chrono::Duration::days(1),
                auth_time: now,
            },
            used_at: None,
            revoked_at: None,
            family_revoked: false,
            live_successor: None,
        }
    }

    #[test]
    fn a_live_token_is_spent_and_an_unknown_or_expired_one_rejected() {
        let now = Utc::now();
        assert_eq!(
            decide_rotation(None, now, GRACE),
            RotationStep::Reject(RefreshRefusal::Unknown)
        );
        assert_eq!(
            decide_rotation(Some(&state(now)), now, GRACE),
            RotationStep::Spend
        );
        let mut expired = state(now);
        expired.token.expires_at = now - chrono::Duration::seconds(1);
        assert_eq!(
            decide_rotation(Some(&expired), now, GRACE),
            RotationStep::Reject(RefreshRefusal::Expired)
        );
    }

    #[test]
    fn a_spent_token_within_the_grace_window_replays_its_unused_successor() {
        let now = Utc::now();
        let mut spent = state(now);
        spent.used_at = Some(now - chrono::Duration::seconds(3));
        spent.live_successor = Some((vec![1], vec![]));
        assert_eq!(
            decide_rotation(Some(&spent), now, GRACE),
            RotationStep::Replay
        );
    }

    #[test]
    fn a_spent_token_after_the_window_or_whose_successor_was_used_is_reuse() {
        let now = Utc::now();
        let mut late = state(now);
        late.used_at = Some(now - chrono::Duration::seconds(11));
        late.live_successor = Some((vec![1], vec![]));
        assert_eq!(
            decide_rotation(Some(&late), now, GRACE),
            RotationStep::Revoke
        );
        // An older token: its successor was itself spent, so nothing is live to replay.
        let mut older = state(now);
        older.used_at = Some(now - chrono::Duration::seconds(1));
        assert_eq!(
            decide_rotation(Some(&older), now, GRACE),
            RotationStep::Revoke
        );
    }

    #[test]
    fn a_revoked_token_or_session_is_rejected_without_revoking_again() {
        let now = Utc::now();
        let mut revoked = state(now);
        revoked.revoked_at = Some(now);
        assert_eq!(
            decide_rotation(Some(&revoked), now, GRACE),
            RotationStep::Reject(RefreshRefusal::SessionEnded)
        );
        let mut ended = state(now);
        ended.family_revoked = true;
        ended.used_at = Some(now);
        assert_eq!(
            decide_rotation(Some(&ended), now, GRACE),
            RotationStep::Reject(RefreshRefusal::SessionEnded)
        );
    }
}
