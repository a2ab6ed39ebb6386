//! The inbox's inner API over the [`Context`]: messages kept sealed on the device (the list
//! works offline), synced by cursor, and read / opened marks that reach ZheliKit now or with
//! the next sync.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use zhelikit_domain::paths;
use zhelikit_domain::policy::inbox::{device_id, MAX_PAGE};
use zhelikit_domain::policy::{self, DeviceRegistration, InboxPage};

use crate::context::Context;
use crate::error::{Error, Result};
use crate::inbox::types::{self, DevicePlatform, InboxMessage, InboxSync, PushChannel};

/// The user's row the inbox is kept in.
const ROW: &str = "inbox";
/// The device's install id, made once (not the user's: it outlives logins).
const DEVICE_ROW: &str = "push.device_id";

/// A mark made on the device: a read, an open (which reads), a claim (which opens).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mark {
    Read,
    Opened,
    Claimed,
}

/// A mark not yet told to ZheliKit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Pending {
    id: String,
    opened: bool,
    /// A claim (kept beside `opened` so marks an older SDK kept still read).
    #[serde(default)]
    claimed: bool,
}

impl Pending {
    fn path(&self) -> String {
        let template = if self.claimed {
            paths::INBOX_CLAIMED
        } else if self.opened {
            paths::INBOX_OPENED
        } else {
            paths::INBOX_READ
        };
        template.replace("{id}", &self.id)
    }
}

/// What the device keeps of the inbox.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Kept {
    cursor: i64,
    /// Oldest first, as synced.
    messages: Vec<policy::InboxMessage>,
    pending: Vec<Pending>,
    /// The messages whose policy was withdrawn, as the last sync said.
    #[serde(default)]
    withdrawn: Vec<String>,
}

/// The inbox of one client.
#[derive(Clone)]
pub(crate) struct Inbox {
    ctx: Arc<Context>,
}

impl Inbox {
    pub(crate) fn new(ctx: Arc<Context>) -> Self {
        Self { ctx }
    }

    pub(crate) fn context(&self) -> &Arc<Context> {
        &self.ctx
    }

    fn kept(&self) -> Result<Kept> {
        Ok(self.ctx.kept_json(ROW)?.unwrap_or_default())
    }

    fn device_id(&self) -> Result<String> {
        if let Some(bytes) = self.ctx.store.get(DEVICE_ROW)? {
            if let Ok(id) = String::from_utf8(bytes) {
                return Ok(id);
            }
        }
        let id = format!("dev-{}", uuid::Uuid::new_v4().simple());
        self.ctx.store.put(DEVICE_ROW, id.as_bytes())?;
        Ok(id)
    }

    /// Registers this device's push token (checked first: a channel serves its platforms only).
    pub(crate) async fn register(
        &self,
        channel: PushChannel,
        platform: DevicePlatform,
        token: String,
    ) -> Result<()> {
        let body = DeviceRegistration {
            channel: channel.into(),
            platform: platform.into(),
            token,
        };
        body.check()?;
        let device = self.device_id()?;
        device_id(&device)?;
        let path = paths::DEVICE.replace("{device_id}", &device);
        self.ctx
            .send(reqwest::Method::PUT, &path, Some(&body))
            .await
    }

    /// Unregisters this device's push token.
    pub(crate) async fn unregister(&self) -> Result<()> {
        let path = paths::DEVICE.replace("{device_id}", &self.device_id()?);
        self.ctx
            .send::<()>(reqwest::Method::DELETE, &path, None)
            .await
    }

    /// Tells ZheliKit the marks made offline, then fetches every message after the cursor.
    pub(crate) async fn sync(&self) -> Result<InboxSync> {
        let mut kept = self.kept()?;
        match self.flush(&mut kept).await {
            Ok(()) => {}
            Err(Error::Offline(_)) => return self.answer(&kept, 0, true),
            Err(e) => return Err(e),
        }
        let mut new_messages = 0u32;
        loop {
            let path = format!("{}?after={}&limit={MAX_PAGE}", paths::INBOX, kept.cursor);
            let page: InboxPage = match self.ctx.get(&path).await {
                Ok(page) => page,
                Err(Error::Offline(_)) => {
                    self.ctx.keep_json(ROW, &kept)?;
                    return self.answer(&kept, new_messages, true);
                }
                Err(e) => return Err(e),
            };
            for m in page.messages {
                match kept.messages.iter_mut().find(|k| k.id == m.id) {
                    Some(k) => {
                        k.read |= m.read;
                        k.opened |= m.opened;
                    }
                    None => {
                        new_messages += 1;
                        kept.messages.push(m);
                    }
                }
            }
            kept.cursor = page.next_cursor;
            kept.withdrawn = page.withdrawn;
            if !page.more {
                break;
            }
        }
        self.ctx.keep_json(ROW, &kept)?;
        self.answer(&kept, new_messages, false)
    }

    /// Sends the pending marks; those sent (or about messages gone) leave the list.
    async fn flush(&self, kept: &mut Kept) -> Result<()> {
        while let Some(p) = kept.pending.first().cloned() {
            let path = p.path();
            match self
                .ctx
                .send(reqwest::Method::POST, &path, Some(&serde_json::json!({})))
                .await
            {
                // Gone, or (a claim) its policy withdrawn meanwhile: nothing left to tell.
                Ok(())
                | Err(Error::Problem {
                    status: 404 | 409, ..
                }) => {
                    kept.pending.remove(0);
                    self.ctx.keep_json(ROW, kept)?;
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    fn answer(&self, kept: &Kept, new_messages: u32, offline: bool) -> Result<InboxSync> {
        let messages = self.listed(kept);
        Ok(InboxSync {
            new_messages,
            unread: messages.iter().filter(|m| !m.read).count() as u32,
            offline,
            messages,
        })
    }

    fn listed(&self, kept: &Kept) -> Vec<InboxMessage> {
        kept.messages
            .iter()
            .rev()
            .map(|m| types::message(m, kept.withdrawn.contains(&m.id)))
            .collect()
    }

    /// The messages kept on the device, newest first; no network.
    pub(crate) fn messages(&self) -> Result<Vec<InboxMessage>> {
        Ok(self.listed(&self.kept()?))
    }

    /// Marks a message read (or opened, which reads it too, or claimed from, which opens it)
    /// here at once, and tells ZheliKit now or, offline, with the next sync. A message of a
    /// withdrawn policy cannot be claimed from.
    pub(crate) async fn mark(&self, message_id: &str, mark: Mark) -> Result<InboxMessage> {
        let mut kept = self.kept()?;
        let withdrawn = kept.withdrawn.iter().any(|w| w == message_id);
        let Some(m) = kept.messages.iter_mut().find(|m| m.id == message_id) else {
            return Err(Error::Input {
                field: "message_id",
                reason: format!("本机没有消息 {message_id}，请先同步"),
            });
        };
        if mark == Mark::Claimed && withdrawn {
            return Err(Error::Input {
                field: "message_id",
                reason: "该政策已撤回，不能再申报".into(),
            });
        }
        let (opened, claimed) = (mark != Mark::Read, mark == Mark::Claimed);
        m.read = true;
        m.opened |= opened;
        m.claimed |= claimed;
        let shown = types::message(m, withdrawn);
        kept.pending.push(Pending {
            id: message_id.to_string(),
            opened,
            claimed,
        });
        self.ctx.keep_json(ROW, &kept)?;
        match self.flush(&mut kept).await {
            Ok(()) | Err(Error::Offline(_)) => Ok(shown),
            Err(e) => Err(e),
        }
    }

    /// Why a message was sent, from the device's copy.
    pub(crate) fn why(&self, message_id: &str) -> Result<Vec<types::PolicyReason>> {
        self.kept()?
            .messages
            .iter()
            .find(|m| m.id == message_id)
            .map(|m| m.reasons.iter().map(types::reason).collect())
            .ok_or(Error::Input {
                field: "message_id",
                reason: format!("本机没有消息 {message_id}，请先同步"),
            })
    }
}
