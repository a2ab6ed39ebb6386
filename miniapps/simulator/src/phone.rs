//! One simulated phone: an sdk-core client of one mini-app, its bridge, its host, its network
//! switch and its call log.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::Serialize;
use serde_json::{json, Value};
use zhelikit_domain::mask;
use zhelikit_sdk::test_doubles::{SwitchableNetwork, WrappingKeySource};
use zhelikit_sdk::{ClientConfig, MiniAppBridge, NetworkMonitor, ZheliKitClient};

use crate::host::{PlatformLogin, SimulatorHost};

/// How many calls the inspector keeps (the oldest go first).
pub const CALL_LOG_LIMIT: usize = 1000;

/// One line of the call inspector.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CallRecord {
    /// The method.
    pub method: String,
    /// Its parameters, personal numbers masked.
    pub params: Value,
    /// Whether it succeeded.
    pub ok: bool,
    /// The platform's numeric code, on failure.
    pub code: Option<i64>,
    /// ZheliKit's code, on failure.
    pub zk_code: Option<String>,
    /// How long the core took, in microseconds.
    pub micros: u128,
}

/// A simulated phone.
pub struct Phone {
    /// Its id in the simulator's API.
    pub id: String,
    /// The mini-app it shows.
    pub mini_app_id: String,
    /// The core's client (its store lives in a directory of its own, removed with the phone).
    pub client: Arc<ZheliKitClient>,
    /// The mini-app's bridge.
    pub bridge: Arc<MiniAppBridge>,
    /// Its container.
    pub host: Arc<SimulatorHost>,
    /// Its network switch (the SDK's monitor and so its HTTP).
    pub network: Arc<SwitchableNetwork>,
    /// The call log, the last [`CALL_LOG_LIMIT`] calls.
    pub calls: Mutex<Vec<CallRecord>>,
    /// The "slow network" switch: added to every request the core makes, in milliseconds.
    pub slow_ms: std::sync::atomic::AtomicU64,
    /// The "access token expired" switch: the next authenticated request the core makes is
    /// answered 401, as the BFF answers an expired token.
    pub expire_access_token: std::sync::atomic::AtomicBool,
    /// The FCM token this phone registered once its page logged in, for a mini-app with
    /// scope `policy.read` (as a real container's shell registers its push token).
    push_token: Mutex<Option<String>>,
    /// Whether its mini-app receives policy pushes.
    receives_pushes: bool,
    /// The mock platform, whose FCM this phone's notifications are read from.
    platform_url: String,
    storage_dir: std::path::PathBuf,
}

/// How often a phone looks for new notifications at the mock FCM.
const NOTIFICATION_POLL: std::time::Duration = std::time::Duration::from_millis(500);

impl Phone {
    /// Opens a phone for `manifest_json`'s mini-app against the BFF at `bff_url`.
    pub fn open(
        id: String,
        bff_url: &str,
        manifest_json: &str,
        mini_app_id: &str,
        login: PlatformLogin,
        runtime: tokio::runtime::Handle,
    ) -> anyhow::Result<Self> {
        let receives_pushes =
            zhelikit_domain::manifest::Manifest::parse(manifest_json).is_ok_and(|m| {
                m.scopes
                    .contains(&zhelikit_domain::scope::Scope::PolicyRead)
            });
        let platform_url = login.platform_url.clone();
        let storage_dir = std::env::temp_dir().join(format!("zk-simulator-{id}"));
        std::fs::create_dir_all(&storage_dir)?;
        let network = SwitchableNetwork::new(true);
        let monitor: Arc<dyn NetworkMonitor> = network.clone();
        // A simulated phone's keystore: a fixed key per phone, as a test keystore would be.
        let key = *uuid::Uuid::new_v4().as_bytes();
        let mut wrapping = [0u8; 32];
        wrapping[..16].copy_from_slice(&key);
        wrapping[16..].copy_from_slice(&key);
        let opened = ZheliKitClient::open(
            ClientConfig {
                bff_url: bff_url.to_string(),
                mini_app_id: mini_app_id.to_string(),
                storage_dir: storage_dir.display().to_string(),
                scopes: None,
                refresh_margin_secs: 60,
                request_timeout_ms: 10_000,
            },
            Arc::new(WrappingKeySource::new(wrapping)),
            None,
            Some(monitor),
        );
        let client = match opened {
            Ok(client) => client,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&storage_dir);
                return Err(e.into());
            }
        };
        let host = Arc::new(SimulatorHost::new(login, runtime));
        let bridge = match client.bridge(manifest_json.to_string(), host.clone()) {
            Ok(bridge) => bridge,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&storage_dir);
                return Err(e.into());
            }
        };
        Ok(Self {
            id,
            mini_app_id: mini_app_id.to_string(),
            client,
            bridge,
            host,
            network,
            calls: Mutex::new(Vec::new()),
            slow_ms: std::sync::atomic::AtomicU64::new(0),
            expire_access_token: std::sync::atomic::AtomicBool::new(false),
            push_token: Mutex::new(None),
            receives_pushes,
            platform_url,
            storage_dir,
        })
    }

    /// One bridge call, logged (masked) and shown in the inspector. The first login of a
    /// mini-app that receives policy pushes registers the phone's FCM token, as the
    /// container's shell would.
    pub async fn call(self: &Arc<Self>, request: String) -> String {
        let started = Instant::now();
        let parsed: Value = serde_json::from_str(&request).unwrap_or(Value::Null);
        let answer = self.bridge.call(request).await;
        let micros = started.elapsed().as_micros();
        let reply: Value = serde_json::from_str(&answer).unwrap_or(Value::Null);
        let record = CallRecord {
            method: parsed["method"].as_str().unwrap_or("?").to_string(),
            params: mask_value(&parsed["params"]),
            ok: reply["ok"] == true,
            code: reply["error"]["code"].as_i64(),
            zk_code: reply["error"]["zkCode"].as_str().map(str::to_string),
            micros,
        };
        let logged_in = record.ok && record.method.starts_with("zhelikit.loginWith");
        self.log(record);
        if logged_in && self.receives_pushes {
            self.receive_pushes();
        }
        answer
    }

    fn log(&self, record: CallRecord) {
        self.host.tell(json!({"type": "call", "record": record}));
        let mut calls = self.calls.lock().unwrap_or_else(|e| e.into_inner());
        if calls.len() == CALL_LOG_LIMIT {
            calls.remove(0);
        }
        calls.push(record);
    }

    /// Registers the phone's FCM token (once) and, while the phone is open, shows each push
    /// the mock FCM accepted for it as a notification and syncs the inbox on it: the push is
    /// a nudge, the sync brings the message (and the page its `inboxMessage` event).
    fn receive_pushes(self: &Arc<Self>) {
        let token = {
            let mut held = self.push_token.lock().unwrap_or_else(|e| e.into_inner());
            if held.is_some() {
                return;
            }
            let token = format!("sim-fcm-{}", self.id);
            *held = Some(token.clone());
            token
        };
        let phone = Arc::downgrade(self);
        tokio::spawn(async move {
            let Some(p) = phone.upgrade() else { return };
            let started = Instant::now();
            let registered = p
                .client
                .inbox()
                .register_push_token(
                    zhelikit_sdk::PushChannel::Fcm,
                    zhelikit_sdk::DevicePlatform::Android,
                    token.clone(),
                )
                .await;
            p.log(CallRecord {
                method: "容器：注册推送（FCM）".into(),
                params: json!({"token": mask::scrub(&token)}),
                ok: registered.is_ok(),
                code: None,
                zk_code: registered.err().map(|e| e.to_string()),
                micros: started.elapsed().as_micros(),
            });
            let url = format!("{}/__admin/fcm/messages", p.platform_url);
            drop(p);
            let http = reqwest::Client::new();
            let mut seen = 0usize;
            loop {
                tokio::time::sleep(NOTIFICATION_POLL).await;
                let Some(p) = phone.upgrade() else { return };
                // An offline phone gets its notifications when it is back, as FCM holds them.
                if !p.network.is_online() {
                    continue;
                }
                let received: Vec<Value> =
                    match http.get(&url).query(&[("token", &token)]).send().await {
                        Ok(r) => r.json().await.unwrap_or_default(),
                        // The mock away for a moment: the next poll tries again.
                        Err(_) => continue,
                    };
                for r in received.iter().skip(seen) {
                    let n = &r["message"]["notification"];
                    p.host.tell(json!({
                        "type": "notification",
                        "title": n["title"], "body": n["body"],
                        "policyId": r["message"]["data"]["policy_id"],
                    }));
                }
                if received.len() > seen {
                    seen = received.len();
                    let sync = json!({"id": "push", "method": "zhelikit.inbox.sync", "params": {}});
                    p.call(sync.to_string()).await;
                }
            }
        });
    }

    /// The call log.
    pub fn call_log(&self) -> Vec<CallRecord> {
        self.calls.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl Drop for Phone {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.storage_dir);
    }
}

/// Parameters that carry a credential: never shown, even spent.
const CREDENTIALS: [&str; 5] = ["ticketId", "ticket", "authCode", "code", "auth_code"];

/// Parameters that carry what a person wrote or attached about themselves (a correction's
/// value and reason, an evidence file): free text no pattern masks, so hidden whole.
const PERSONAL_TEXT: [&str; 3] = ["proposedValue", "reason", "base64"];

/// A call's parameters for the inspector: personal numbers masked, credentials and personal
/// free text hidden.
fn mask_value(value: &Value) -> Value {
    match value {
        Value::String(s) => Value::String(mask::scrub(s)),
        Value::Array(items) => Value::Array(items.iter().map(mask_value).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let shown = if CREDENTIALS.contains(&k.as_str()) {
                        Value::String("****".into())
                    } else if let (true, Value::String(text)) =
                        (PERSONAL_TEXT.contains(&k.as_str()), v)
                    {
                        Value::String(format!("（{} 字，已隐藏）", text.chars().count()))
                    } else {
                        mask_value(v)
                    };
                    (k.clone(), shown)
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_inspector_masks_personal_numbers_and_hides_credentials() {
        let shown = mask_value(&json!({
            "ticketId": "0ab58e50d2d28220",
            "note": "身份证 330302199001011234，电话 13812345678",
            "list": [{"authCode": "c-1"}],
            "proposedValue": "浙江省温州市鹿城区信河街88号",
            "evidence": {"name": "a.png", "base64": "iVBORw0KGgo="},
        }));
        assert_eq!(shown["proposedValue"], "（15 字，已隐藏）");
        assert_eq!(shown["evidence"]["base64"], "（12 字，已隐藏）");
        assert_eq!(shown["evidence"]["name"], "a.png");
        assert_eq!(shown["ticketId"], "****");
        assert_eq!(shown["list"][0]["authCode"], "****");
        let note = shown["note"].as_str().unwrap();
        assert!(
            !note.contains("199001011234") && !note.contains("12345678"),
            "{note}"
        );
    }
}

/// Every open phone, by id.
#[derive(Default)]
pub struct Phones(Mutex<HashMap<String, Arc<Phone>>>);

impl Phones {
    /// Keeps `phone`.
    pub fn insert(&self, phone: Phone) -> Arc<Phone> {
        let phone = Arc::new(phone);
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(phone.id.clone(), phone.clone());
        phone
    }

    /// The phone `id`.
    pub fn get(&self, id: &str) -> Option<Arc<Phone>> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .cloned()
    }

    /// Every open phone.
    pub fn all(&self) -> Vec<Arc<Phone>> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect()
    }

    /// Closes the phone `id`.
    pub fn remove(&self, id: &str) -> Option<Arc<Phone>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).remove(id)
    }
}
