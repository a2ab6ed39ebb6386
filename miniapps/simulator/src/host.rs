//! The simulated phone's container: what `BridgeHost` asks of a real WebView host, done for a
//! web page. Dialogs, consent prompts, the scanner and the image picker are shown in the
//! simulator's page and answered there (the bridge waits); titles, toasts, links and the like
//! are shown and answered at once; platform credentials (the `ticketId` of 浙里办's container,
//! 浙政钉's auth code) are obtained from the mock platform for the account the phone was opened
//! with, as the real container obtains them from the real one.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::broadcast;
use zhelikit_sdk::{BridgeHost, HostAction, HostError, HostReply};

/// How long an interactive action waits for the person at the simulator.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(300);

/// Who is using the simulated phone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Account {
    /// A 浙里办 user (citizen or enterprise) by platform user id.
    Zlb {
        /// `zlb-u-…` or `zlb-e-…`.
        userid: String,
    },
    /// A 浙政钉 official by account id.
    Zzd {
        /// The official's account id.
        account_id: i64,
    },
}

/// Where the phone's container gets platform credentials.
#[derive(Debug, Clone)]
pub struct PlatformLogin {
    /// The mock platform.
    pub platform_url: String,
    /// This mini-app's mini-program app id at 浙里办.
    pub miniprogram_app_id: String,
    /// This mini-app's 浙政钉 app key.
    pub zzd_app_key: String,
    /// Who is logged in to the container.
    pub account: Account,
}

/// An answer from the person at the simulator to an interactive action.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Answer {
    /// Yes or no (confirm, consent).
    #[serde(default)]
    pub ok: Option<bool>,
    /// A text (a scanned code).
    #[serde(default)]
    pub text: Option<String>,
    /// Images as `data:` URLs.
    #[serde(default)]
    pub images: Option<Vec<String>>,
    /// They cancelled.
    #[serde(default)]
    pub cancel: bool,
}

/// The simulated phone's host.
pub struct SimulatorHost {
    /// What the page is told: host actions, bridge events, call records (JSON lines).
    pub stream: broadcast::Sender<String>,
    pending: Mutex<HashMap<u64, mpsc::Sender<Answer>>>,
    next: AtomicU64,
    login: PlatformLogin,
    http: reqwest::Client,
    runtime: tokio::runtime::Handle,
    /// The "ticket expired" scenario: the next credential handed over is already past its
    /// five minutes by the platform's clock.
    expire_next: AtomicBool,
    /// The 亮证 code on this phone's screen (the last `vaultCode` event), until it is hidden:
    /// what another simulated phone's camera can scan.
    shown_code: Mutex<Option<Value>>,
}

/// The JSON the page shows for an action.
pub fn action_json(action: &HostAction) -> Value {
    use HostAction as A;
    match action {
        A::Confirm {
            title,
            message,
            ok_label,
            cancel_label,
        } => {
            json!({"kind": "confirm", "title": title, "message": message, "ok": ok_label, "cancel": cancel_label})
        }
        A::Alert {
            title,
            message,
            button_label,
        } => json!({"kind": "alert", "title": title, "message": message, "button": button_label}),
        A::Toast { message } => json!({"kind": "toast", "message": message}),
        A::ShowPreloader { text } => json!({"kind": "showPreloader", "text": text}),
        A::HidePreloader => json!({"kind": "hidePreloader"}),
        A::SetTitle { title } => json!({"kind": "setTitle", "title": title}),
        A::SetMenu { items_json } => {
            json!({"kind": "setMenu", "items": serde_json::from_str::<Value>(items_json).unwrap_or(Value::Null)})
        }
        A::OpenLink { url } => json!({"kind": "openLink", "url": url}),
        A::Reload => json!({"kind": "reload"}),
        A::Close => json!({"kind": "close"}),
        A::PhoneCall { number } => json!({"kind": "phoneCall", "number": number}),
        A::Scan => json!({"kind": "scan"}),
        A::ChooseImage { count } => json!({"kind": "chooseImage", "count": count}),
        A::AskConsent {
            mini_app_name,
            scope,
            purpose,
        } => {
            json!({"kind": "consent", "miniAppName": mini_app_name, "scope": scope, "purpose": purpose})
        }
        A::Reauthenticate { reason } => json!({"kind": "reauthenticate", "reason": reason}),
        A::ApproveShare {
            verifier_name,
            purpose,
            certificate_name,
            claims,
            over_asked,
        } => json!({"kind": "approveShare", "verifierName": verifier_name, "purpose": purpose,
            "certificateName": certificate_name, "claims": claims, "overAsked": over_asked}),
        A::SsoTicket { mini_app_id } => json!({"kind": "ssoTicket", "miniAppId": mini_app_id}),
        A::AuthCode { corp_id } => json!({"kind": "authCode", "corpId": corp_id}),
    }
}

impl SimulatorHost {
    /// A host whose credentials come from `login`; `runtime` runs its platform calls.
    pub fn new(login: PlatformLogin, runtime: tokio::runtime::Handle) -> Self {
        let (stream, _) = broadcast::channel(256);
        Self {
            stream,
            pending: Mutex::new(HashMap::new()),
            next: AtomicU64::new(1),
            login,
            http: reqwest::Client::new(),
            runtime,
            expire_next: AtomicBool::new(false),
            shown_code: Mutex::new(None),
        }
    }

    /// Makes the next ticketId or auth code arrive expired (the "ticket expired" scenario).
    pub fn expire_next_credential(&self) {
        self.expire_next.store(true, Ordering::SeqCst);
    }

    /// The 亮证 code this phone shows now (`{kind, text, validUntil, disclosed}`), if any.
    pub fn shown_code(&self) -> Option<Value> {
        self.shown_code
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Tells the page something (a JSON line).
    pub fn tell(&self, message: Value) {
        // Nobody listening (the page closed) is not an error.
        let _ = self.stream.send(message.to_string());
    }

    /// Hands the person's answer to the action waiting for it; `false` if none is.
    pub fn answer(&self, id: u64, answer: Answer) -> bool {
        let waiting = self
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&id);
        match waiting {
            Some(tx) => tx.send(answer).is_ok(),
            None => false,
        }
    }

    /// Asks the person at the simulator and waits for their answer.
    fn ask(&self, action: &HostAction) -> Result<Answer, HostError> {
        let id = self.next.fetch_add(1, Ordering::SeqCst);
        let (tx, rx) = mpsc::channel();
        self.pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, tx);
        self.tell(json!({"type": "host", "id": id, "action": action_json(action), "waits": true}));
        let answer = rx.recv_timeout(ANSWER_TIMEOUT);
        self.pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&id);
        match answer {
            Ok(a) if a.cancel => Err(HostError::Cancelled),
            Ok(a) => Ok(a),
            Err(_) => Err(HostError::Cancelled),
        }
    }

    /// A credential from the mock platform for this phone's account.
    fn credential(&self, action: &HostAction) -> Result<String, HostError> {
        let login = self.login.clone();
        let http = self.http.clone();
        let (url, body, field) = match (&login.account, action) {
            (Account::Zlb { userid }, HostAction::SsoTicket { .. }) => (
                format!("{}/sso/miniprogram/ticket", login.platform_url),
                json!({"appId": login.miniprogram_app_id, "userid": userid}),
                "ticketId",
            ),
            (Account::Zzd { account_id }, HostAction::AuthCode { .. }) => (
                format!("{}/zzd/auth/code", login.platform_url),
                json!({"appkey": login.zzd_app_key, "accountId": account_id}),
                "code",
            ),
            _ => {
                return Err(HostError::Unavailable {
                    reason: "这台模拟手机登录的账号不属于该平台".into(),
                })
            }
        };
        let expire = self.expire_next.swap(false, Ordering::SeqCst);
        self.runtime.block_on(async move {
            let unavailable = |e: String| HostError::Unavailable { reason: e };
            let response = http
                .post(url)
                .json(&body)
                .send()
                .await
                .map_err(|e| unavailable(e.without_url().to_string()))?;
            let value: Value = response
                .json()
                .await
                .map_err(|e| unavailable(e.to_string()))?;
            let credential = value[field]
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| unavailable(format!("the platform answered {value}")))?;
            if expire {
                // The mock's clock only moves forward: this ticket (and any older) has expired.
                http.post(format!("{}/__admin/clock/advance", login.platform_url))
                    .json(&json!({"seconds": 301}))
                    .send()
                    .await
                    .map_err(|e| unavailable(e.without_url().to_string()))?;
            }
            Ok(credential)
        })
    }
}

impl BridgeHost for SimulatorHost {
    fn perform(&self, action: HostAction) -> Result<HostReply, HostError> {
        use HostAction as A;
        match &action {
            A::SsoTicket { .. } | A::AuthCode { .. } => {
                let value = self.credential(&action)?;
                self.tell(json!({"type": "host", "action": action_json(&action)}));
                Ok(HostReply::Text { value })
            }
            A::Confirm { .. }
            | A::AskConsent { .. }
            | A::Reauthenticate { .. }
            | A::ApproveShare { .. } => Ok(HostReply::Confirmed {
                ok: self.ask(&action)?.ok.unwrap_or(false),
            }),
            A::Alert { .. } => {
                self.ask(&action)?;
                Ok(HostReply::Done)
            }
            A::Scan => match self.ask(&action)?.text {
                Some(value) => Ok(HostReply::Text { value }),
                None => Err(HostError::Cancelled),
            },
            A::ChooseImage { .. } => Ok(HostReply::Images {
                data_urls: self.ask(&action)?.images.unwrap_or_default(),
            }),
            _ => {
                self.tell(json!({"type": "host", "action": action_json(&action)}));
                Ok(HostReply::Done)
            }
        }
    }

    fn emit(&self, event_json: String) {
        if let Ok(event) = serde_json::from_str::<Value>(&event_json) {
            let mut shown = self.shown_code.lock().unwrap_or_else(|e| e.into_inner());
            match event["event"].as_str() {
                Some("vaultCode") => *shown = Some(event["data"].clone()),
                Some("vaultCodeStopped") => *shown = None,
                _ => {}
            }
        }
        self.tell(json!({"type": "event", "json": event_json}));
    }
}
