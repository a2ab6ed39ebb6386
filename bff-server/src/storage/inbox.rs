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
    /// When a claim was first started from it.
    pub claimed_at: Option<DateTime<Utc>>,
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
    /// Of them, a claim started from.
    pub claimed: i64,
    /// When it finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// Every enterprise up to this USCC has its message and its pushes.
    pub expanded_through: Option<String>,
}

/// The pushes one job sends, written with the campaign page that made them.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPushBatch {
    /// The job (its id names the batch).
    pub job: super::NewJob,
    /// `(user_id, device_id, channel)` of each device.
    pub devices: Vec<(String, String, String)>,
}

/// A push of a batch, claimed for an attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimedPush {
    /// The device's user.
    pub user_id: String,
    /// The device.
    pub device_id: String,
    /// The device's channel and token now (none: unregistered since the batch was made).
    pub target: Option<(String, String)>,
    /// Why the previous attempt did not succeed (none: the first).
    pub last_reason: Option<String>,
}

/// One push's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryOutcome {
    /// The device's user.
    pub user_id: String,
    /// The device.
    pub device_id: String,
    /// `accepted`, `retrying` or `failed`.
    pub status: &'static str,
    /// Why not accepted (`unregistered`, `quota_exceeded` …).
    pub reason: Option<String>,
    /// The provider's id of an accepted push.
    pub provider_id: Option<String>,
    /// Whether it was handed to the provider in this attempt (a retry the budget held back
    /// was not).
    pub sent: bool,
    /// The token to delete with it (the provider said it is no longer registered); deleted
    /// only if the device still has it.
    pub remove_token: Option<String>,
}

/// A policy's pushes counted.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeliveryCounts {
    /// `(status, reason, count)`.
    pub by_status: Vec<(String, Option<String>, i64)>,
    /// Pushes handed to the provider again after an attempt died mid-send.
    pub possibly_doubled: i64,
}

/// `($1, $2, …), (…)`: the placeholders of a multi-row `VALUES` of `rows` rows of `cols`.
pub(crate) fn values_placeholders(rows: usize, cols: usize) -> String {
    let mut sql = String::with_capacity(rows * cols * 5);
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 0..cols {
            if c > 0 {
                sql.push_str(", ");
            }
            sql.push('$');
            sql.push_str(&(r * cols + c + 1).to_string());
        }
        sql.push(')');
    }
    sql
}

/// Rows per multi-row statement: under SQLite's and PostgreSQL's bind limits at any width here.
pub(crate) const ROWS_PER_STATEMENT: usize = 200;

/// A read or an open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboxMark {
    /// Read.
    Read,
    /// Opened.
    Opened,
    /// A claim started from it.
    Claimed,
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
    /// The enterprise's messages whose policy is withdrawn.
    async fn withdrawn_messages(&self, uscc: &str) -> StoreResult<Vec<String>>;
    /// Marks a message of the enterprise read, opened or claimed from (the first time counts;
    /// opening reads it, claiming opens it); false when the enterprise has no such message.
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
    /// The devices of the users of these enterprises, by enterprise, user and device.
    async fn devices_of(&self, usccs: &[String]) -> StoreResult<Vec<PushDevice>>;
    /// Records a campaign's figures (started, or finished when `finished_at` is set).
    async fn record_campaign(
        &self,
        policy_id: &str,
        matched: i64,
        inboxed: i64,
        started_at: DateTime<Utc>,
        finished_at: Option<DateTime<Utc>>,
    ) -> StoreResult<()>;
    /// One page of a campaign, in one transaction: the messages (one already there is left),
    /// the push batches (their jobs and a pending delivery per device; a device that already
    /// has one for the policy is left), and the page's last enterprise as how far the campaign
    /// got (none: one enterprise's rematch, not a campaign's page). Returns the messages added.
    async fn add_campaign_page(
        &self,
        policy_id: &str,
        through: Option<&str>,
        messages: &[NewInboxMessage],
        pushes: &[NewPushBatch],
    ) -> StoreResult<u64>;
    /// The unfinished pushes of batch `job_id`, each with its device's token now. When the
    /// previous attempt died (`previous_died`), they may have been sent already: each is
    /// counted as resent (in one write; the usual claim writes nothing).
    async fn claim_pushes(
        &self,
        job_id: &str,
        previous_died: bool,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<ClaimedPush>>;
    /// Records an attempt's outcomes of batch `job_id` of policy `policy_id` in one
    /// transaction, deleting the tokens the provider no longer knows.
    async fn record_pushes(
        &self,
        policy_id: &str,
        job_id: &str,
        outcomes: &[DeliveryOutcome],
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// A policy's pushes counted by status and reason.
    async fn delivery_counts(&self, policy_id: &str) -> StoreResult<DeliveryCounts>;
    /// A policy's campaign figures, with messages, reads and opens counted now.
    async fn campaign(&self, policy_id: &str) -> StoreResult<Option<StoredCampaign>>;
}

/// Implements [`InboxStore`] for a backend; the SQL is the same on both.
macro_rules! inbox_sql {
    ($store:ty, $db:ty) => {
        const _: () = {
            use $crate::storage::inbox::{
                values_placeholders, ClaimedPush, DeliveryCounts, DeliveryOutcome, InboxMark,
                InboxStore, NewInboxMessage, NewPushBatch, PushDevice, StoredCampaign,
                StoredInboxMessage, ROWS_PER_STATEMENT,
            };
            use $crate::storage::StoreResult;
            use sqlx::Row;

            /// Messages put in inboxes within `tx`, several to a statement; how many were new.
            async fn insert_messages(
                tx: &mut sqlx::Transaction<'_, $db>,
                messages: &[NewInboxMessage],
            ) -> StoreResult<u64> {
                let mut added = 0;
                for chunk in messages.chunks(ROWS_PER_STATEMENT) {
                    let sql = format!("INSERT INTO inbox_messages (id, uscc, policy_id, message, created_at) VALUES {} ON CONFLICT (uscc, policy_id) DO NOTHING", values_placeholders(chunk.len(), 5));
                    let mut q = sqlx::query(&sql);
                    for m in chunk {
                        q = q.bind(&m.id).bind(&m.uscc).bind(&m.policy_id).bind(&m.message).bind(m.created_at);
                    }
                    added += q.execute(&mut **tx).await?.rows_affected();
                }
                Ok(added)
            }

            #[async_trait::async_trait]
            impl InboxStore for $store {
                async fn insert_inbox_messages(&self, messages: &[NewInboxMessage]) -> StoreResult<u64> {
                    let _gate = self.write_gate().await;
                    let mut tx = self.pool.begin().await?;
                    let added = insert_messages(&mut tx, messages).await?;
                    tx.commit().await?;
                    Ok(added)
                }

                async fn inbox_of(&self, uscc: &str, after: i64, limit: i64) -> StoreResult<Vec<StoredInboxMessage>> {
                    let rows = sqlx::query("SELECT cursor, id, policy_id, message, created_at, read_at, opened_at, claimed_at FROM inbox_messages WHERE uscc = $1 AND cursor > $2 ORDER BY cursor LIMIT $3")
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
                                claimed_at: r.try_get("claimed_at")?,
                            })
                        })
                        .collect()
                }

                async fn withdrawn_messages(&self, uscc: &str) -> StoreResult<Vec<String>> {
                    let rows = sqlx::query("SELECT m.id FROM inbox_messages m JOIN policies p ON p.id = m.policy_id WHERE m.uscc = $1 AND p.status = 'withdrawn' ORDER BY m.cursor")
                        .bind(uscc)
                        .fetch_all(&self.pool)
                        .await?;
                    rows.iter().map(|r| Ok(r.try_get("id")?)).collect()
                }

                async fn mark_inbox(&self, uscc: &str, id: &str, mark: InboxMark, at: chrono::DateTime<chrono::Utc>) -> StoreResult<bool> {
                    let _gate = self.write_gate().await;
                    // Opening a message reads it too.
                    let sql = match mark {
                        InboxMark::Read => "UPDATE inbox_messages SET read_at = COALESCE(read_at, $1) WHERE uscc = $2 AND id = $3",
                        InboxMark::Opened => "UPDATE inbox_messages SET opened_at = COALESCE(opened_at, $1), read_at = COALESCE(read_at, $1) WHERE uscc = $2 AND id = $3",
                        InboxMark::Claimed => "UPDATE inbox_messages SET claimed_at = COALESCE(claimed_at, $1), opened_at = COALESCE(opened_at, $1), read_at = COALESCE(read_at, $1) WHERE uscc = $2 AND id = $3",
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

                async fn devices_of(&self, usccs: &[String]) -> StoreResult<Vec<PushDevice>> {
                    let mut devices = Vec::new();
                    for chunk in usccs.chunks(ROWS_PER_STATEMENT) {
                        let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
                        let sql = format!("SELECT user_id, device_id, uscc, channel, platform, token, updated_at FROM push_devices WHERE uscc IN ({}) ORDER BY uscc, user_id, device_id", marks.join(", "));
                        let mut q = sqlx::query(&sql);
                        for u in chunk {
                            q = q.bind(u);
                        }
                        for r in q.fetch_all(&self.pool).await? {
                            devices.push(PushDevice {
                                user_id: r.try_get("user_id")?,
                                device_id: r.try_get("device_id")?,
                                uscc: r.try_get("uscc")?,
                                channel: r.try_get("channel")?,
                                platform: r.try_get("platform")?,
                                token: r.try_get("token")?,
                                updated_at: r.try_get("updated_at")?,
                            });
                        }
                    }
                    Ok(devices)
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

                async fn add_campaign_page(
                    &self,
                    policy_id: &str,
                    through: Option<&str>,
                    messages: &[NewInboxMessage],
                    pushes: &[NewPushBatch],
                ) -> StoreResult<u64> {
                    let _gate = self.write_gate().await;
                    let now = chrono::Utc::now();
                    let mut tx = self.pool.begin().await?;
                    let added = insert_messages(&mut tx, messages).await?;
                    for batch in pushes {
                        $crate::storage::jobs::insert_job!(&mut *tx, &batch.job)?;
                        for chunk in batch.devices.chunks(ROWS_PER_STATEMENT) {
                            let sql = format!("INSERT INTO push_deliveries (policy_id, user_id, device_id, channel, status, updated_at, job_id) VALUES {} ON CONFLICT (policy_id, user_id, device_id) DO NOTHING", values_placeholders(chunk.len(), 7));
                            let mut q = sqlx::query(&sql);
                            for (user, device, channel) in chunk {
                                q = q.bind(policy_id).bind(user).bind(device).bind(channel).bind("pending").bind(now).bind(&batch.job.id);
                            }
                            q.execute(&mut *tx).await?;
                        }
                    }
                    if let Some(through) = through {
                        sqlx::query("UPDATE policy_campaigns SET expanded_through = $1 WHERE policy_id = $2")
                            .bind(through)
                            .bind(policy_id)
                            .execute(&mut *tx)
                            .await?;
                    }
                    tx.commit().await?;
                    Ok(added)
                }

                async fn claim_pushes(&self, job_id: &str, previous_died: bool, now: chrono::DateTime<chrono::Utc>) -> StoreResult<Vec<ClaimedPush>> {
                    // A row is unfinished until its outcome is recorded; `sending` is what
                    // batches claimed before a batch was claimed as a whole left behind.
                    const UNFINISHED: &str = "d.status IN ('pending', 'retrying', 'sending')";
                    if previous_died {
                        let _gate = self.write_gate().await;
                        sqlx::query("UPDATE push_deliveries SET resent = resent + 1, updated_at = $1 WHERE job_id = $2 AND status IN ('pending', 'retrying', 'sending')")
                            .bind(now)
                            .bind(job_id)
                            .execute(&self.pool)
                            .await?;
                    }
                    let rows = sqlx::query(&format!("SELECT d.user_id, d.device_id, d.reason, p.channel, p.token FROM push_deliveries d LEFT JOIN push_devices p ON p.user_id = d.user_id AND p.device_id = d.device_id WHERE d.job_id = $1 AND {UNFINISHED} ORDER BY d.user_id, d.device_id"))
                        .bind(job_id)
                        .fetch_all(&self.pool)
                        .await?;
                    rows.iter()
                        .map(|r| {
                            let channel: Option<String> = r.try_get("channel")?;
                            let token: Option<String> = r.try_get("token")?;
                            Ok(ClaimedPush {
                                user_id: r.try_get("user_id")?,
                                device_id: r.try_get("device_id")?,
                                target: channel.zip(token),
                                last_reason: r.try_get("reason")?,
                            })
                        })
                        .collect()
                }

                async fn record_pushes(&self, policy_id: &str, job_id: &str, outcomes: &[DeliveryOutcome], now: chrono::DateTime<chrono::Utc>) -> StoreResult<()> {
                    let _gate = self.write_gate().await;
                    let mut tx = self.pool.begin().await?;
                    // One statement per chunk: a row each in VALUES, matched on the device among
                    // the batch's rows (the job's index finds them; a planner left to join the
                    // VALUES with the whole table may scan it).
                    for chunk in outcomes.chunks(ROWS_PER_STATEMENT) {
                        let n = chunk.len() * 6;
                        let sql = format!(
                            "UPDATE push_deliveries AS d SET status = v.column3, reason = v.column4, provider_id = v.column5, sends = d.sends + CAST(v.column6 AS INTEGER), updated_at = ${} FROM (VALUES {}) AS v WHERE d.job_id = ${} AND d.policy_id = ${} AND d.user_id = v.column1 AND d.device_id = v.column2",
                            n + 1,
                            values_placeholders(chunk.len(), 6),
                            n + 2,
                            n + 3
                        );
                        let mut q = sqlx::query(&sql);
                        for o in chunk {
                            q = q
                                .bind(&o.user_id)
                                .bind(&o.device_id)
                                .bind(o.status)
                                .bind(&o.reason)
                                .bind(&o.provider_id)
                                .bind(i32::from(o.sent));
                        }
                        q.bind(now).bind(job_id).bind(policy_id).execute(&mut *tx).await?;
                    }
                    for o in outcomes {
                        if let Some(token) = &o.remove_token {
                            sqlx::query("DELETE FROM push_devices WHERE user_id = $1 AND device_id = $2 AND token = $3")
                                .bind(&o.user_id)
                                .bind(&o.device_id)
                                .bind(token)
                                .execute(&mut *tx)
                                .await?;
                        }
                    }
                    tx.commit().await?;
                    Ok(())
                }

                async fn delivery_counts(&self, policy_id: &str) -> StoreResult<DeliveryCounts> {
                    let rows = sqlx::query("SELECT status, reason, COUNT(*) AS n FROM push_deliveries WHERE policy_id = $1 GROUP BY status, reason ORDER BY status, reason")
                        .bind(policy_id)
                        .fetch_all(&self.pool)
                        .await?;
                    let by_status = rows
                        .iter()
                        .map(|r| Ok((r.try_get("status")?, r.try_get("reason")?, r.try_get("n")?)))
                        .collect::<StoreResult<Vec<_>>>()?;
                    let possibly_doubled: i64 = sqlx::query("SELECT COUNT(*) AS n FROM push_deliveries WHERE policy_id = $1 AND resent > 0")
                        .bind(policy_id)
                        .fetch_one(&self.pool)
                        .await?
                        .try_get("n")?;
                    Ok(DeliveryCounts { by_status, possibly_doubled })
                }

                async fn campaign(&self, policy_id: &str) -> StoreResult<Option<StoredCampaign>> {
                    let row = sqlx::query("SELECT c.matched, c.finished_at, c.expanded_through, (SELECT COUNT(*) FROM inbox_messages m WHERE m.policy_id = c.policy_id) AS inboxed_count, (SELECT COUNT(*) FROM inbox_messages m WHERE m.policy_id = c.policy_id AND m.read_at IS NOT NULL) AS read_count, (SELECT COUNT(*) FROM inbox_messages m WHERE m.policy_id = c.policy_id AND m.opened_at IS NOT NULL) AS opened_count, (SELECT COUNT(*) FROM inbox_messages m WHERE m.policy_id = c.policy_id AND m.claimed_at IS NOT NULL) AS claimed_count FROM policy_campaigns c WHERE c.policy_id = $1")
                        .bind(policy_id)
                        .fetch_optional(&self.pool)
                        .await?;
                    row.map(|r| {
                        Ok(StoredCampaign {
                            matched: r.try_get("matched")?,
                            inboxed: r.try_get("inboxed_count")?,
                            read: r.try_get("read_count")?,
                            opened: r.try_get("opened_count")?,
                            claimed: r.try_get("claimed_count")?,
                            finished_at: r.try_get("finished_at")?,
                            expanded_through: r.try_get("expanded_through")?,
                        })
                    })
                    .transpose()
                }
            }
        };
    };
}
pub(crate) use inbox_sql;
