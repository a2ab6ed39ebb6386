//! Storage behind one trait, with one implementation per database (PostgreSQL in production,
//! SQLite embedded), each with its own migrations run at start-up. Which one is chosen once,
//! from the `DATABASE_URL` scheme.
//!
//! Personal data is minimised here (可用不可见): the BFF keeps only masked ID and phone numbers,
//! and refresh tokens only as SHA-256 hashes.

mod call_batch;
mod postgres;
mod sqlite;

use std::borrow::Cow;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;
use zhelikit_domain::api::{EnterpriseSummary, OfficialSummary, UserKind};

pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

/// Why a storage call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be reached (connection refused, pool timed out).
    #[error("database unreachable: {0}")]
    Unavailable(String),
    /// A uniqueness rule was broken (e.g. a passkey credential registered twice).
    #[error("conflict: {0}")]
    Conflict(String),
    /// A stored value could not be decoded into its type.
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// Any other database error.
    #[error("database error: {0}")]
    Other(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::PoolTimedOut
            | sqlx::Error::Io(_)
            | sqlx::Error::PoolClosed
            | sqlx::Error::Tls(_) => Self::Unavailable(e.to_string()),
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                Self::Conflict(db.message().to_string())
            }
            sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => {
                Self::Corrupt(e.to_string())
            }
            _ => Self::Other(e.to_string()),
        }
    }
}

/// Result of storage calls.
pub type StoreResult<T> = Result<T, StoreError>;

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

/// Tables whose rows are pruned after a retention period (see `crate::retention`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retained {
    /// Refresh tokens spent, revoked or expired before the cut-off.
    RefreshTokens,
    /// Sessions created before the cut-off that have no refresh token left.
    SessionFamilies,
    /// Sealed successors of tokens spent before the cut-off (the grace window is over).
    GraceSuccessors,
    /// Department call batches written before the cut-off.
    UpstreamCallBatches,
    /// Audit events older than the cut-off.
    AuditEvents,
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

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    /// e.g. `login`, `login_failed`, `refresh_reuse`, `passkey_registered`, `logout`.
    pub event: String,
    /// Whose action, when known.
    pub user_id: Option<Uuid>,
    /// For which mini-app, when known.
    pub mini_app_id: Option<String>,
    /// Client address.
    pub client: Option<String>,
    /// Request id, to join with logs.
    pub request_id: Option<String>,
    /// Short detail (an error code, a login method); never personal data.
    pub detail: String,
}

/// One recorded department call.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct UpstreamCall {
    /// When it started.
    pub at: DateTime<Utc>,
    /// e.g. `public_security`. (Labels are `Cow`: the recorder fills them with static names,
    /// without an allocation for each of tens of thousands of calls a second.)
    pub department: Cow<'static, str>,
    /// e.g. `household_register`.
    pub operation: Cow<'static, str>,
    /// How long it took.
    pub latency_ms: i64,
    /// `found`, `not_found`, `timeout`, `status`, `malformed`, `unreachable`, `refused`.
    pub outcome: Cow<'static, str>,
    /// Pseudonymous user id.
    pub on_behalf: String,
}

/// A batch of calls as stored (see [`call_batch`]).
fn calls_to_json(calls: &[UpstreamCall]) -> StoreResult<String> {
    call_batch::encode(calls).map_err(|e| StoreError::Other(e.to_string()))
}

/// The newest `limit` calls of stored batches (given newest batch first), newest first.
fn calls_from_batches(batches: Vec<String>, limit: i64) -> StoreResult<Vec<UpstreamCall>> {
    let mut calls = Vec::new();
    for batch in batches {
        let mut parsed = call_batch::decode(&batch).map_err(StoreError::Corrupt)?;
        parsed.reverse();
        calls.extend(parsed);
        if calls.len() as i64 >= limit {
            break;
        }
    }
    calls.truncate(usize::try_from(limit).unwrap_or(0));
    Ok(calls)
}

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

/// Everything the BFF keeps.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Cheap round trip, for readiness.
    async fn ping(&self) -> StoreResult<()>;
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
    /// Appends to the audit log.
    async fn record_audit(&self, event: &AuditEvent) -> StoreResult<()>;
    /// The newest audit events, newest first.
    async fn recent_audit(&self, limit: i64) -> StoreResult<Vec<AuditEvent>>;
    /// The server secret `name`, storing `candidate` first if there is none yet; every
    /// instance gets the same value.
    async fn server_secret(&self, name: &str, candidate: &[u8]) -> StoreResult<Vec<u8>>;
    /// Whether the server secret (or one-time marker) `name` exists, without creating it.
    async fn has_server_secret(&self, name: &str) -> StoreResult<bool>;
    /// Appends department calls, as one batch.
    async fn record_upstream_calls(&self, calls: &[UpstreamCall]) -> StoreResult<()>;
    /// The newest department calls, newest first.
    async fn recent_upstream_calls(&self, limit: i64) -> StoreResult<Vec<UpstreamCall>>;
    /// All signing keys, newest first.
    async fn signing_keys(&self) -> StoreResult<Vec<SigningKey>>;
    /// Adds a signing key.
    async fn insert_signing_key(&self, key: &SigningKey) -> StoreResult<()>;
    /// Deletes (or, for [`Retained::GraceSuccessors`], clears) at most `limit` rows of `what`
    /// older than `before`. Returns how many.
    async fn prune(&self, what: Retained, before: DateTime<Utc>, limit: i64) -> StoreResult<u64>;
}

/// Opens the store named by `url` (`postgres://…` or `sqlite:…`) and runs its migrations.
pub async fn connect(url: &str) -> StoreResult<Arc<dyn Store>> {
    match Backend::of(url) {
        Some(Backend::Postgres) => Ok(Arc::new(PostgresStore::connect(url).await?)),
        Some(Backend::Sqlite) => Ok(Arc::new(SqliteStore::connect(url).await?)),
        None => Err(StoreError::Other(format!(
            "DATABASE_URL must start with postgres: or sqlite:, got {:?}",
            url.split(':').next().unwrap_or("")
        ))),
    }
}

/// Which database a `DATABASE_URL` names: the one rule for its scheme, used by the
/// configuration (to refuse a bad URL at start-up) and by [`connect`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// `postgres://…` or `postgresql://…`.
    Postgres,
    /// `sqlite:…`.
    Sqlite,
}

impl Backend {
    /// The backend of `url`; `None` for any other scheme.
    pub fn of(url: &str) -> Option<Self> {
        if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Some(Self::Postgres)
        } else if url.starts_with("sqlite:") {
            Some(Self::Sqlite)
        } else {
            None
        }
    }
}

/// Default SQLite file of the embedded run, relative to the working directory.
pub const DEFAULT_SQLITE_URL: &str = "sqlite:.zhelikit/bff.db";

/// Scopes are stored as one space-separated string, as in OAuth's `scope`.
fn join_scopes(scopes: &[String]) -> String {
    scopes.join(" ")
}

fn split_words(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_string).collect()
}

fn kinds_to_text(kinds: &[UserKind]) -> String {
    kinds
        .iter()
        .map(|k| k.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

fn kinds_from_text(s: &str) -> StoreResult<Vec<UserKind>> {
    s.split_whitespace()
        .map(|k| {
            UserKind::parse(k)
                .ok_or_else(|| StoreError::Corrupt(format!("unknown user kind {k:?}")))
        })
        .collect()
}

/// The columns of a user row, shared by both databases' decoding.
struct UserColumns {
    id: Uuid,
    kind: String,
    subject: String,
    display_name: String,
    real_name_level: i32,
    id_number_masked: Option<String>,
    id_number_sealed: Option<Vec<u8>>,
    phone_masked: Option<String>,
    enterprise_name: Option<String>,
    enterprise_uscc: Option<String>,
    legal_representative: Option<String>,
    organisation_code: Option<String>,
    organisation_name: Option<String>,
    employee_code: Option<String>,
}

impl UserColumns {
    fn into_user(self) -> StoreResult<User> {
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
struct TokenState {
    /// The token's row.
    token: RefreshToken,
    used_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
    /// Whether the session as a whole was ended.
    family_revoked: bool,
    /// The successor it was spent for, if it is still unused and not revoked: its sealed
    /// value and scopes.
    live_successor: Option<(Vec<u8>, Vec<String>)>,
}

/// What to do with a presented refresh token.
#[derive(Debug, Clone, PartialEq)]
enum RotationStep {
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
fn decide_rotation(
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
fn rotation_outcome(step: RotationStep, state: Option<TokenState>) -> Rotation {
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

/// Statements of [`Store::prune`], the same text for both databases (`$n` placeholders; `$1`
/// the cut-off, `$2` the batch size).
fn prune_sql(what: Retained) -> &'static str {
    match what {
        Retained::RefreshTokens => {
            "DELETE FROM refresh_tokens WHERE token_hash IN (SELECT token_hash FROM refresh_tokens \
             WHERE used_at < $1 OR revoked_at < $1 OR expires_at < $1 LIMIT $2)"
        }
        Retained::SessionFamilies => {
            "DELETE FROM session_families WHERE family_id IN (SELECT f.family_id FROM session_families f \
             WHERE f.created_at < $1 AND NOT EXISTS (SELECT 1 FROM refresh_tokens t WHERE t.family_id = f.family_id) LIMIT $2)"
        }
        Retained::GraceSuccessors => {
            "UPDATE refresh_tokens SET successor_sealed = NULL WHERE token_hash IN (SELECT token_hash FROM refresh_tokens \
             WHERE successor_sealed IS NOT NULL AND used_at < $1 LIMIT $2)"
        }
        Retained::UpstreamCallBatches => {
            "DELETE FROM upstream_call_batches WHERE id IN (SELECT id FROM upstream_call_batches WHERE at < $1 ORDER BY id LIMIT $2)"
        }
        Retained::AuditEvents => {
            "DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events WHERE at < $1 ORDER BY id LIMIT $2)"
        }
    }
}

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
