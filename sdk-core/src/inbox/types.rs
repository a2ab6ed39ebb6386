//! What the inbox hands the app: messages, why each was sent, where each opens.

use zhelikit_domain::policy;

/// A push channel the app registers a token on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum PushChannel {
    /// Firebase Cloud Messaging.
    Fcm,
    /// Apple Push Notification service.
    Apns,
    /// Huawei Push Kit (HMS): phones without Google services.
    Hms,
}

/// The device's operating system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum DevicePlatform {
    /// Android.
    Android,
    /// iOS.
    Ios,
    /// HarmonyOS.
    Harmony,
}

impl From<PushChannel> for policy::PushChannel {
    fn from(c: PushChannel) -> Self {
        match c {
            PushChannel::Fcm => Self::Fcm,
            PushChannel::Apns => Self::Apns,
            PushChannel::Hms => Self::Hms,
        }
    }
}

impl From<DevicePlatform> for policy::DevicePlatform {
    fn from(p: DevicePlatform) -> Self {
        match p {
            DevicePlatform::Android => Self::Android,
            DevicePlatform::Ios => Self::Ios,
            DevicePlatform::Harmony => Self::Harmony,
        }
    }
}

/// One condition of a policy and how the enterprise meets it (“为什么推送给我”).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PolicyReason {
    /// The condition: `region`, `industry`, `size`, `registered_capital`, `founded`,
    /// `qualification`, `tax_credit`, `keywords`, `excluded_region`, `excluded_industry`,
    /// `abnormal_operations`.
    pub condition: String,
    /// True when the enterprise meets it.
    pub met: bool,
    /// The reason in words, zh-CN.
    pub text: String,
}

/// Where a message opens: a page of a mini-app, with the policy to show.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DeepLink {
    /// The link as sent, `zhelikit://mini-app/{mini_app_id}/{page}?policy={policy_id}`.
    pub url: String,
    /// The mini-app to open.
    pub mini_app_id: String,
    /// Its page.
    pub page: String,
    /// The policy the page shows.
    pub policy_id: String,
}

/// One message in the enterprise's inbox: a policy it matched.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct InboxMessage {
    /// Its id.
    pub id: String,
    /// The policy.
    pub policy_id: String,
    /// Title.
    pub title: String,
    /// Summary.
    pub summary: String,
    /// The benefit, in plain words.
    pub benefit: String,
    /// The issuing department.
    pub department: String,
    /// Why it was sent to this enterprise, condition by condition.
    pub reasons: Vec<PolicyReason>,
    /// Where it opens.
    pub deep_link: DeepLink,
    /// Unix seconds it arrived.
    pub received_at: i64,
    /// Read (on this device or another).
    pub read: bool,
    /// Opened.
    pub opened: bool,
    /// A claim was started from it ([`crate::InboxClient::claim`]).
    pub claimed: bool,
    /// Its policy was withdrawn since it arrived: show it as 已撤回, offer no claim.
    pub withdrawn: bool,
}

/// What a sync did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct InboxSync {
    /// Messages that arrived with this sync.
    pub new_messages: u32,
    /// Unread messages now.
    pub unread: u32,
    /// True when ZheliKit could not be reached: the messages are those kept on the device.
    pub offline: bool,
    /// Every message, newest first.
    pub messages: Vec<InboxMessage>,
}

/// The deep link's parts, if it is a ZheliKit mini-app link.
pub(crate) fn deep_link(url: &str) -> DeepLink {
    let rest = url.strip_prefix("zhelikit://mini-app/").unwrap_or("");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (mini_app_id, page) = path.split_once('/').unwrap_or((path, ""));
    let policy_id = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("policy="))
        .unwrap_or("");
    DeepLink {
        url: url.to_string(),
        mini_app_id: mini_app_id.to_string(),
        page: page.to_string(),
        policy_id: policy_id.to_string(),
    }
}

pub(crate) fn reason(r: &policy::Reason) -> PolicyReason {
    PolicyReason {
        condition: serde_json::to_value(r.condition)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        met: r.met,
        text: r.text.clone(),
    }
}

pub(crate) fn message(m: &policy::InboxMessage, withdrawn: bool) -> InboxMessage {
    InboxMessage {
        id: m.id.clone(),
        policy_id: m.policy_id.clone(),
        title: m.title.clone(),
        summary: m.summary.clone(),
        benefit: m.benefit.clone(),
        department: m.department.clone(),
        reasons: m.reasons.iter().map(reason).collect(),
        deep_link: deep_link(&m.deep_link),
        received_at: m.created_at,
        read: m.read,
        opened: m.opened,
        claimed: m.claimed,
        withdrawn,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deep_link_splits_into_the_mini_app_its_page_and_the_policy() {
        let link = deep_link("zhelikit://mini-app/zk-demo-policy/home?policy=pol-1");
        assert_eq!(
            (
                link.mini_app_id.as_str(),
                link.page.as_str(),
                link.policy_id.as_str()
            ),
            ("zk-demo-policy", "home", "pol-1")
        );
        let odd = deep_link("https://example.test/");
        assert_eq!((odd.mini_app_id.as_str(), odd.policy_id.as_str()), ("", ""));
    }
}
