//! The enterprise's inbox (消息中心): every policy pushed to it, kept on the server as the source
//! of truth and synced by cursor; a push notification is only a nudge to sync. Also the device
//! registration a push channel needs.

use serde::{Deserialize, Serialize};

use super::Reason;
use crate::input::{invalid, Invalid};

/// Most messages one sync returns.
pub const MAX_PAGE: u32 = 200;

/// One message: a policy the enterprise matched when it was published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InboxMessage {
    /// Its id.
    pub id: String,
    /// Its place in the inbox: a sync after it returns only later messages.
    pub cursor: i64,
    /// The policy.
    pub policy_id: String,
    /// Title.
    pub title: String,
    /// Summary.
    pub summary: String,
    /// The benefit.
    pub benefit: String,
    /// The issuing department.
    pub department: String,
    /// Why it was sent to this enterprise (“为什么推送给我”), condition by condition.
    pub reasons: Vec<Reason>,
    /// Where it opens: `zhelikit://mini-app/{mini_app_id}/{page}?policy={id}`.
    pub deep_link: String,
    /// Unix seconds it arrived.
    pub created_at: i64,
    /// Read by the enterprise.
    pub read: bool,
    /// Opened from a notification or the list.
    pub opened: bool,
    /// A claim was started from it (the claim link followed).
    #[serde(default)]
    pub claimed: bool,
}

/// `GET /v1/inbox?after={cursor}&limit={n}`: the messages after a cursor, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InboxPage {
    /// The messages.
    pub messages: Vec<InboxMessage>,
    /// The cursor to sync after next time (the last message's, or the one given).
    pub next_cursor: i64,
    /// True when more messages follow: sync again at once.
    pub more: bool,
    /// Every message of the enterprise whose policy was withdrawn since it arrived — not
    /// only those after the cursor, so a device marks the ones it already has.
    #[serde(default)]
    pub withdrawn: Vec<String>,
}

/// The deep link of a policy in the enterprise mini-app.
pub fn policy_deep_link(mini_app_id: &str, policy_id: &str) -> String {
    format!("zhelikit://mini-app/{mini_app_id}/home?policy={policy_id}")
}

/// A push channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PushChannel {
    /// Firebase Cloud Messaging (HTTP v1).
    Fcm,
    /// Apple Push Notification service.
    Apns,
    /// Huawei Push Kit (HMS): most Chinese Android phones have no Google services.
    Hms,
}

impl PushChannel {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fcm => "fcm",
            Self::Apns => "apns",
            Self::Hms => "hms",
        }
    }
}

/// The device's operating system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DevicePlatform {
    /// Android.
    Android,
    /// iOS.
    Ios,
    /// HarmonyOS.
    Harmony,
}

impl DevicePlatform {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Android => "android",
            Self::Ios => "ios",
            Self::Harmony => "harmony",
        }
    }
}

/// `PUT /v1/devices/{device_id}`: the device's push token on a channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceRegistration {
    /// The channel the token is for.
    pub channel: PushChannel,
    /// The device's system.
    pub platform: DevicePlatform,
    /// The token the channel's SDK gave the app (1–4096 printable ASCII characters).
    pub token: String,
}

/// A device id the SDK makes once per install: 8–64 letters, digits or `-`.
pub fn device_id(value: &str) -> Result<&str, Invalid> {
    crate::input::request_id(value).map_err(|_| {
        invalid(
            "device_id",
            "须为 8–64 位字母、数字或“-”",
            "must be 8–64 letters, digits or '-'",
        )
    })
}

impl DeviceRegistration {
    /// Checks the token and that the channel serves the platform.
    pub fn check(&self) -> Result<(), Invalid> {
        if self.token.is_empty()
            || self.token.len() > 4096
            || !self.token.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(invalid(
                "token",
                "须为推送通道签发的 1–4096 个可打印字符",
                "must be the 1–4096 printable characters the channel issued",
            ));
        }
        let served = match self.channel {
            PushChannel::Apns => self.platform == DevicePlatform::Ios,
            PushChannel::Fcm => self.platform != DevicePlatform::Harmony,
            PushChannel::Hms => self.platform != DevicePlatform::Ios,
        };
        if !served {
            return Err(invalid(
                "channel",
                format!(
                    "{} 通道不支持 {} 设备",
                    self.channel.as_str(),
                    self.platform.as_str()
                ),
                format!(
                    "{} does not serve {} devices",
                    self.channel.as_str(),
                    self.platform.as_str()
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reg(channel: PushChannel, platform: DevicePlatform, token: &str) -> DeviceRegistration {
        DeviceRegistration {
            channel,
            platform,
            token: token.into(),
        }
    }

    #[test]
    fn a_channel_serves_only_the_systems_it_runs_on() {
        use DevicePlatform::*;
        use PushChannel::*;
        assert!(reg(Apns, Ios, "t0k3n").check().is_ok());
        assert!(reg(Hms, Harmony, "t0k3n").check().is_ok());
        assert!(reg(Fcm, Android, "t0k3n").check().is_ok());
        for (c, p) in [(Apns, Android), (Hms, Ios), (Fcm, Harmony)] {
            assert_eq!(
                reg(c, p, "t0k3n").check().map_err(|e| e.field),
                Err("channel")
            );
        }
        assert_eq!(
            reg(Fcm, Android, "with space").check().map_err(|e| e.field),
            Err("token")
        );
        assert_eq!(
            reg(Fcm, Android, "").check().map_err(|e| e.field),
            Err("token")
        );
    }

    #[test]
    fn a_deep_link_names_the_mini_app_and_the_policy() {
        assert_eq!(
            policy_deep_link("zk-demo-policy", "pol-1"),
            "zhelikit://mini-app/zk-demo-policy/home?policy=pol-1"
        );
        assert!(device_id("dev-12345678").is_ok());
        assert_eq!(device_id("short").map_err(|e| e.field), Err("device_id"));
    }
}
