//! The enterprises' inboxes, their devices' push tokens, and each policy's campaign figures.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreResult;

/// A message to put in an inbox.
#[derive(Debug, Clone, PartialEq)]
pub struct NewInboxMessage {
    /// Its id.
    pub id: String,
    /// The enterprise.
    pub uscc: String,
    /// The policy.
    pub policy_id: String,
    /// What it says, JSON (title, summary, benefit, department, reasons, deep link).
    pub message: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// A message as kept.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredInboxMessage {
    /// Its order in the inbox.
    pub cursor: i64,
    /// Its id.
    pub id: String,
    /// The policy.
    pub policy_id: String,
    /// What it says, JSON.
    pub message: String,
    /// When it arrived.
    pub created_at: DateTime<Utc>,
    /// When it was first read.
    pub read_at: Option<DateTime<Utc>>,
    /// When it was first opened.
    pub opened_at: Option<DateTime<Utc>>,
}

/// A device's push registration.
#[derive(Debug, Clone, PartialEq)]
pub struct PushDevice {
    /// The user (a legal-person account).
    pub user_id: String,
    /// The SDK's id of the install.
    pub device_id: String,
    /// The enterprise the user acts for.
    pub uscc: Option<String>,
    /// `fcm`, `apns`, `hms`.
    pub channel: String,
    /// `android`, `ios`, `harmony`.
    pub platform: String,
    /// The channel's token.
    pub token: String,
    /// Last registered.
    pub updated_at: DateTime<Utc>,
}

/// A policy's campaign figures.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredCampaign {
    /// Matched enterprises.
    pub matched: i64,
    /// Messages put in inboxes.
    pub inboxed: i64,
    /// Of them read.
    pub read: i64,
    /// Of them opened.
    pub opened: i64,
    /// When it finished.
    pub finished_at: Option<DateTime<Utc>>,
}

/// One push's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryOutcome {
    /// The policy.
    pub policy_id: String,
    /// The device's user.
    pub user_id: String,
    /// The device.
    pub device_id: String,
    /// `fcm`, `apns`, `hms`.
    pub channel: String,
    /// `accepted`, `retrying` or `failed`.
    pub status: String,
    /// Why not accepted (`unregistered`, `quota_exceeded` …).
    pub reason: Option<String>,
    /// The provider's id of an accepted push.
    pub provider_id: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
}

/// A read or an open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboxMark {
    /// Read.
    Read,
    /// Opened.
    Opened,
}

/// What inboxes, devices and campaigns are kept in.
#[async_trait]
pub trait InboxStore: Send + Sync {
    /// Puts messages in inboxes in one transaction; one already there for its enterprise and
    /// policy is left as it is (a campaign run again adds nothing twice). Returns how many
    /// were added.
    async fn insert_inbox_messages(&self, messages: &[NewInboxMessage]) -> StoreResult<u64>;
    /// An enterprise's messages after `after`, oldest first, at most `limit`.
    async fn inbox_of(
        &self,
        uscc: &str,
        after: i64,
        limit: i64,
    ) -> StoreResult<Vec<StoredInboxMessage>>;
    /// Marks a message of the enterprise read or opened (the first time counts); false when
    /// the enterprise has no such message.
    async fn mark_inbox(
        &self,
        uscc: &str,
        id: &str,
        mark: InboxMark,
        at: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Registers (or replaces) a device's token.
    async fn upsert_device(&self, device: &PushDevice) -> StoreResult<()>;
    /// Unregisters a device; false when it was not registered.
    async fn remove_device(&self, user_id: &str, device_id: &str) -> StoreResult<bool>;
    /// The devices of an enterprise's users.
    async fn devices_of(&self, uscc: &str) -> StoreResult<Vec<PushDevice>>;
    /// Records a campaign's figures (started, or finished when `finished_at` is set).
    async fn record_campaign(
        &self,
        policy_id: &str,
        matched: i64,
        inboxed: i64,
        started_at: DateTime<Utc>,
        finished_at: Option<DateTime<Utc>>,
    ) -> StoreResult<()>;
    /// Records a push's outcome (the last attempt's).
    async fn record_delivery(&self, outcome: &DeliveryOutcome) -> StoreResult<()>;
    /// A policy's pushes counted by status and reason.
    async fn delivery_counts(
        &self,
        policy_id: &str,
    ) -> StoreResult<Vec<(String, Option<String>, i64)>>;
    /// A policy's campaign figures, with messages, reads and opens counted now.
    async fn campaign(&self, policy_id: &str) -> StoreResult<Option<StoredCampaign>>;
}

/// Implements [`InboxStore`] for a backend; the SQL is the same on both.
macro_rules! inbox_sql {
    ($store:ty) => {
        const _: () = {
            use $crate::storage::inbox::{
                DeliveryOutcome, InboxMark, InboxStore, NewInboxMessage, PushDevice,
                StoredCampaign, StoredInboxMessage,
            };
            use $crate::storage::StoreResult;
            use sqlx::Row;

            #[async_trait::async_trait]
            impl InboxStore for $store {
                async fn insert_inbox_messages(&self, messages: &[NewInboxMessage]) -> StoreResult<u64> {
                    let _gate = self.write_gate().await;
                    let mut tx = self.pool.begin().await?;
                    let mut added = 0;
                    for m in messages {
                        added += sqlx::query("INSERT INTO inbox_messages (id, uscc, policy_id, message, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (uscc, policy_id) DO NOTHING")
                            .bind(&m.id)
                            .bind(&m.uscc)
                            .bind(&m.policy_id)
                            .bind(&m.message)
                            .bind(m.created_at)
                            .execute(&mut *tx)
                            .await?
                            .rows_affected();
                    }
                    tx.commit().await?;
                    Ok(added)
                }

                async fn inbox_of(&self, uscc: &str, after: i64, limit: i64) -> StoreResult<Vec<StoredInboxMessage>> {
                    let rows = sqlx::query("SELECT cursor, id, policy_id, message, created_at, read_at, opened_at FROM inbox_messages WHERE uscc = $1 AND cursor > $2 ORDER BY cursor LIMIT $3")
                        .bind(uscc)
                        .bind(after)
                        .bind(limit)
                        .fetch_all(&self.pool)
                        .await?;
                    rows.iter()
                        .map(|r| {
                            Ok(StoredInboxMessage {
                                cursor: r.try_get("cursor")?,
                                id: r.try_get("id")?,
                                policy_id: r.try_get("policy_id")?,
                                message: r.try_get("message")?,
                                created_at: r.try_get("created_at")?,
                                read_at: r.try_get("read_at")?,
                                opened_at: r.try_get("opened_at")?,
                            })
                        })
                        .collect()
                }

                async fn mark_inbox(&self, uscc: &str, id: &str, mark: InboxMark, at: chrono::DateTime<chrono::Utc>) -> StoreResult<bool> {
                    let _gate = self.write_gate().await;
                    // Opening a message reads it too.
                    let sql = match mark {
                        InboxMark::Read => "UPDATE inbox_messages SET read_at = COALESCE(read_at, $1) WHERE uscc = $2 AND id = $3",
                        InboxMark::Opened => "UPDATE inbox_messages SET opened_at = COALESCE(opened_at, $1), read_at = COALESCE(read_at, $1) WHERE uscc = $2 AND id = $3",
                    };
                    let done = sqlx::query(sql).bind(at).bind(uscc).bind(id).execute(&self.pool).await?;
                    Ok(done.rows_affected() == 1)
                }

                async fn upsert_device(&self, d: &PushDevice) -> StoreResult<()> {
                    let _gate = self.write_gate().await;
                    sqlx::query("INSERT INTO push_devices (user_id, device_id, uscc, channel, platform, token, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (user_id, device_id) DO UPDATE SET uscc = excluded.uscc, channel = excluded.channel, platform = excluded.platform, token = excluded.token, updated_at = excluded.updated_at")
                        .bind(&d.user_id)
                        .bind(&d.device_id)
                        .bind(&d.uscc)
                        .bind(&d.channel)
                        .bind(&d.platform)
                        .bind(&d.token)
                        .bind(d.updated_at)
                        .execute(&self.pool)
                        .await?;
                    Ok(())
                }

                async fn remove_device(&self, user_id: &str, device_id: &str) -> StoreResult<bool> {
                    let _gate = self.write_gate().await;
                    let done = sqlx::query("DELETE FROM push_devices WHERE user_id = $1 AND device_id = $2")
                        .bind(user_id)
                        .bind(device_id)
                        .execute(&self.pool)
                        .await?;
                    Ok(done.rows_affected() == 1)
                }

                async fn devices_of(&self, uscc: &str) -> StoreResult<Vec<PushDevice>> {
                    let rows = sqlx::query("SELECT user_id, device_id, uscc, channel, platform, token, updated_at FROM push_devices WHERE uscc = $1 ORDER BY user_id, device_id")
                        .bind(uscc)
                        .fetch_all(&self.pool)
                        .await?;
                    rows.iter()
                        .map(|r| {
                            Ok(PushDevice {
                                user_id: r.try_get("user_id")?,
                                device_id: r.try_get("device_id")?,
                                uscc: r.try_get("uscc")?,
                                channel: r.try_get("channel")?,
                                platform: r.try_get("platform")?,
                                token: r.try_get("token")?,
                                updated_at: r.try_get("updated_at")?,
                            })
                        })
                        .collect()
                }

                async fn record_campaign(
                    &self,
                    policy_id: &str,
                    matched: i64,
                    inboxed: i64,
                    started_at: chrono::DateTime<chrono::Utc>,
                    finished_at: Option<chrono::DateTime<chrono::Utc>>,
                ) -> StoreResult<()> {
                    let _gate = self.write_gate().await;
                    sqlx::query("INSERT INTO policy_campaigns (policy_id, matched, inboxed, started_at, finished_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (policy_id) DO UPDATE SET matched = excluded.matched, inboxed = excluded.inboxed, finished_at = excluded.finished_at")
                        .bind(policy_id)
                        .bind(matched)
                        .bind(inboxed)
                        .bind(started_at)
                        .bind(finished_at)
                        .execute(&self.pool)
                        .await?;
                    Ok(())
                }

                async fn record_delivery(&self, o: &DeliveryOutcome) -> StoreResult<()> {
                    let _gate = self.write_gate().await;
                    sqlx::query("INSERT INTO push_deliveries (policy_id, user_id, device_id, channel, status, reason, provider_id, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (policy_id, user_id, device_id) DO UPDATE SET channel = excluded.channel, status = excluded.status, reason = excluded.reason, provider_id = excluded.provider_id, updated_at = excluded.updated_at")
                        .bind(&o.policy_id)
                        .bind(&o.user_id)
                        .bind(&o.device_id)
                        .bind(&o.channel)
                        .bind(&o.status)
                        .bind(&o.reason)
                        .bind(&o.provider_id)
                        .bind(o.at)
                        .execute(&self.pool)
                        .await?;
                    Ok(())
                }

                async fn delivery_counts(&self, policy_id: &str) -> StoreResult<Vec<(String, Option<String>, i64)>> {
                    let rows = sqlx::query("SELECT status, reason, COUNT(*) AS n FROM push_deliveries WHERE policy_id = $1 GROUP BY status, reason ORDER BY status, reason")
                        .bind(policy_id)
                        .fetch_all(&self.pool)
                        .await?;
                    rows.iter()
                        .map(|r| Ok((r.try_get("status")?, r.try_get("reason")?, r.try_get("n")?)))
                        .collect()
                }

                async fn campaign(&self, policy_id: &str) -> StoreResult<Option<StoredCampaign>> {
                    let row = sqlx::query("SELECT c.matched, c.finished_at, (SELECT COUNT(*) FROM inbox_messages m WHERE m.policy_id = c.policy_id) AS inboxed_count, (SELECT COUNT(*) FROM inbox_messages m WHERE m.policy_id = c.policy_id AND m.read_at IS NOT NULL) AS read_count, (SELECT COUNT(*) FROM inbox_messages m WHERE m.policy_id = c.policy_id AND m.opened_at IS NOT NULL) AS opened_count FROM policy_campaigns c WHERE c.policy_id = $1")
                        .bind(policy_id)
                        .fetch_optional(&self.pool)
                        .await?;
                    row.map(|r| {
                        Ok(StoredCampaign {
                            matched: r.try_get("matched")?,
                            inboxed: r.try_get("inboxed_count")?,
                            read: r.try_get("read_count")?,
                            opened: r.try_get("opened_count")?,
                            finished_at: r.try_get("finished_at")?,
                        })
                    })
                    .transpose()
                }
            }
        };
    };
}
pub(crate) use inbox_sql;
