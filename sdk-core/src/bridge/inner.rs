//! The bridge's inner type: one JSON request in, one JSON answer out, every decision here. A
//! request is checked in order — size, form, method (and its platform), parameters, the
//! manifest's scopes, the login, the user's consent — before anything runs, so a malformed or
//! unpermitted call never reaches the network or the host.

mod forms;
mod inbox;
mod policy;
mod supervision;
mod vault;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{json, Map, Value};
use zhelikit_domain::analytics::event_from_trace;
use zhelikit_domain::api::{Me, UserKind};
use zhelikit_domain::bridge::{
    family_available, method_spec_on, BridgeError, BridgeEvent, BridgeFailure as F, BridgeRequest,
    BridgeResponse, Family, MethodSpec, BRIDGE_VERSION, MAX_REQUEST_BYTES, METHODS,
};
use zhelikit_domain::lang::Lang;
use zhelikit_domain::manifest::{Manifest, Platform};
use zhelikit_domain::paths;
use zhelikit_domain::problem_code::ProblemCode;
use zhelikit_domain::scope::Scope;

use crate::analytics::Analytics;
use crate::bridge::host::{BridgeHost, HostAction, HostError, HostReply};
use crate::context::Context;
use crate::error::Error;
use crate::identity::{Credential, Identity};
use crate::screens::Screens;
use crate::task::TaskHandle;
use crate::vault::Vault;

type Params = Map<String, Value>;

/// The id of a request that is not a valid call (too large, no method …), if it has one, so
/// the page can match the refusal to its call.
fn id_of(request: &str) -> Value {
    #[derive(serde::Deserialize)]
    struct IdOnly {
        #[serde(default)]
        id: Value,
    }
    // Bounded: a request many times the limit is not worth reading for its id.
    if request.len() > 4 * MAX_REQUEST_BYTES {
        return Value::Null;
    }
    serde_json::from_str::<IdOnly>(request)
        .map(|r| r.id)
        .unwrap_or(Value::Null)
}
type Outcome = Result<Value, BridgeError>;

/// A call checked and waiting for what needs waiting (a consent, the network, the host).
pub(crate) struct PendingCall {
    id: Value,
    spec: &'static MethodSpec,
    params: Params,
}

/// Where [`Bridge::prepare`] left a call.
pub(crate) enum Step {
    /// Answered already.
    Answered(BridgeResponse),
    /// To be finished by [`Bridge::finish`].
    Continue(PendingCall),
}

/// The bridge of one mini-app on one client.
pub(crate) struct Bridge {
    ctx: Arc<Context>,
    identity: Identity,
    screens: Screens,
    analytics: Analytics,
    vault: Vault,
    inbox: crate::inbox::Inbox,
    forms: crate::forms::Forms,
    policies: crate::policies::Policies,
    supervision: crate::supervision::Supervision,
    /// The 亮证 code being shown and refreshed, if any (stopped when replaced, hidden, or the
    /// bridge goes).
    shown_code: Mutex<Option<TaskHandle>>,
    manifest: Manifest,
    host: Arc<dyn BridgeHost>,
    elder: AtomicBool,
    /// The device uuid, read or made once (it never changes).
    uuid: Mutex<Option<String>>,
    /// Held while a consent is checked and asked: two calls needing the same consent at once
    /// ask the user once.
    consent_lock: tokio::sync::Mutex<()>,
}

fn invalid(zh: impl Into<String>, en: impl Into<String>) -> BridgeError {
    BridgeError::new(F::InvalidParams, zh, en)
}

/// Parameter `name`, read as `T`; the error names the parameter and what in it is wrong.
fn typed_param<T: serde::de::DeserializeOwned>(
    params: &Params,
    name: &str,
) -> Result<T, BridgeError> {
    let value = params.get(name).ok_or_else(|| {
        invalid(
            format!("缺少参数 {name}"),
            format!("parameter {name} is missing"),
        )
    })?;
    T::deserialize(value).map_err(|e| {
        invalid(
            format!("参数 {name} 格式不正确：{e}"),
            format!("parameter {name}: {e}"),
        )
    })
}

fn text_param<'a>(params: &'a Params, name: &str) -> Result<&'a str, BridgeError> {
    match params.get(name) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(invalid(
            format!("参数 {name} 须为字符串"),
            format!("parameter {name} must be a string"),
        )),
        None => Err(invalid(
            format!("缺少参数 {name}"),
            format!("parameter {name} is missing"),
        )),
    }
}

fn optional_text<'a>(params: &'a Params, name: &str) -> Result<Option<&'a str>, BridgeError> {
    match params.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(_) => text_param(params, name).map(Some),
    }
}

/// The row a mini-app's local storage entry lives in: per mini-app, sealed like every row.
fn storage_row(mini_app: &str, key: &str) -> String {
    format!("bridge:{mini_app}:storage:{key}")
}

/// Longest local storage key, in bytes.
const MAX_KEY_BYTES: usize = 128;

/// What a user is asked to agree to for `scope`, in their words.
fn purpose(scope: Scope) -> &'static str {
    match scope {
        Scope::Profile => {
            "读取您的姓名、用户类型、实名等级和脱敏后的证件号码、手机号，以及首页上各部门的数据"
        }
        Scope::Passkey => "为您登记和管理通行密钥",
        Scope::VaultRead => "读取您的电子证照",
        Scope::VaultShare => "在您授权后向第三方出示您的电子证照",
        Scope::VaultVerify => "核验他人向您出示的电子证照",
        Scope::PolicyRead => "读取与您的企业匹配的惠企政策",
        Scope::PolicyManage => "起草、审核、发布和撤回惠企政策",
        Scope::FormsSubmit => "用各部门为您核验的信息自动填写表单，保存草稿，并代您提交",
        Scope::OrgRead => "读取您所在的组织机构",
        Scope::Supervision => "参与政务督查：查看和办理督查任务",
    }
}

/// What the SDK's error means to the page. The BFF's problem `detail` is already in zh-CN.
fn from_sdk_error(e: Error) -> BridgeError {
    match e {
        Error::NotLoggedIn => not_logged_in(),
        Error::SessionEnded(detail) => BridgeError::new(
            F::SessionExpired,
            format!("登录已失效，请重新登录（{detail}）"),
            format!("the session ended; log in again ({detail})"),
        ),
        Error::Offline(detail) => BridgeError::new(
            F::Offline,
            "网络不可用，请检查网络后重试",
            format!("offline: {detail}"),
        ),
        Error::Input { field, reason } => invalid(
            format!("参数 {field}：{reason}"),
            format!("parameter {field}: {reason}"),
        ),
        Error::Cancelled => BridgeError::new(F::Cancelled, "已取消", "cancelled"),
        Error::Problem {
            status, problem, ..
        } => {
            let failure = match ProblemCode::parse(&problem.code) {
                Some(ProblemCode::UserKindNotAllowed) => F::UserKindNotAllowed,
                Some(ProblemCode::RealNameLevelTooLow) => F::RealNameLevelTooLow,
                Some(code) if code.is_login_refusal() => F::LoginRejected,
                Some(ProblemCode::MissingScope) => F::ScopeNotDeclared,
                Some(ProblemCode::InvalidField | ProblemCode::MalformedBody) => F::InvalidParams,
                // A rule of the BFF's (a conflict, the four-eyes rule, not found), not a failure.
                _ if matches!(status, 403 | 404 | 409 | 422) => F::Refused,
                _ => F::ServerError,
            };
            BridgeError::new(failure, problem.detail.clone(), problem.detail.clone())
                .with_problem(problem.code)
        }
        other => BridgeError::new(
            F::ServerError,
            "服务暂时不可用，请稍后再试",
            other.to_string(),
        ),
    }
}

fn not_logged_in() -> BridgeError {
    BridgeError::new(F::NotLoggedIn, "请先登录", "log in first")
}

/// A failure of the device's store, for the page.
fn store_failed(e: crate::store::StoreError) -> BridgeError {
    from_sdk_error(e.into())
}

fn user_type(kind: UserKind) -> i32 {
    // ZWJSBridge.getUserType: 0 civil servant, 1 individual, 2 legal person.
    match kind {
        UserKind::Official => 0,
        UserKind::Citizen => 1,
        UserKind::LegalPerson => 2,
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> Outcome {
    serde_json::to_value(value)
        .map_err(|e| BridgeError::new(F::ServerError, "内部错误", e.to_string()))
}

impl Bridge {
    pub(crate) fn new(ctx: Arc<Context>, manifest: Manifest, host: Arc<dyn BridgeHost>) -> Self {
        Self {
            identity: Identity::new(ctx.clone()),
            screens: Screens::new(ctx.clone()),
            analytics: Analytics::new(ctx.clone()),
            vault: Vault::new(ctx.clone()),
            inbox: crate::inbox::Inbox::new(ctx.clone()),
            forms: crate::forms::Forms::new(ctx.clone()),
            policies: crate::policies::Policies::new(ctx.clone()),
            supervision: crate::supervision::Supervision::new(ctx.clone()),
            shown_code: Mutex::new(None),
            ctx,
            manifest,
            host,
            elder: AtomicBool::new(false),
            uuid: Mutex::new(None),
            consent_lock: tokio::sync::Mutex::new(()),
        }
    }

    pub(crate) fn context(&self) -> &Arc<Context> {
        &self.ctx
    }

    /// The family whose codes an answer carries when the method is unknown.
    fn platform_family(&self) -> Family {
        match self.manifest.platform {
            Platform::Zlb => Family::Zwjs,
            Platform::Zzd => Family::Gdt,
        }
    }

    /// The answer as JSON.
    pub(crate) fn to_json(answer: &BridgeResponse) -> String {
        serde_json::to_string(answer).unwrap_or_else(|_| {
            r#"{"id":null,"ok":false,"error":{"code":1001,"zkCode":"server_error","message":"内部错误"}}"#.into()
        })
    }

    /// Everything that needs no waiting: the checks in order (size, form, method and its
    /// platform, parameters, the manifest's scope, the login) and the methods that need neither
    /// the network nor the host nor a consent (the style, the uuid, local storage, the method
    /// table …), answered at once; what remains continues in [`Bridge::finish`].
    pub(crate) fn prepare(&self, request: &str) -> Step {
        let family = self.platform_family();
        let fail = |id: Value, e: BridgeError, family| {
            Step::Answered(BridgeResponse::failed(id, &e, family, Lang::ZhCn))
        };
        if request.len() > MAX_REQUEST_BYTES {
            let e = BridgeError::new(
                F::TooLarge,
                format!("请求超过 {MAX_REQUEST_BYTES} 字节上限"),
                format!("the request is larger than {MAX_REQUEST_BYTES} bytes"),
            );
            return fail(id_of(request), e, family);
        }
        let request: BridgeRequest = match serde_json::from_str(request) {
            Ok(r) => r,
            Err(e) => {
                let e = BridgeError::new(
                    F::InvalidRequest,
                    format!("请求须为 JSON {{id, method, params}}：{e}"),
                    format!("the request must be JSON {{id, method, params}}: {e}"),
                );
                return fail(id_of(request), e, family);
            }
        };
        let id = request.id;
        let Some(spec) = method_spec_on(&request.method, self.manifest.platform) else {
            let e = BridgeError::new(
                F::UnknownMethod,
                format!("本容器不支持方法 {}", request.method),
                format!("this container has no method {}", request.method),
            );
            return fail(id, e, family);
        };
        let params = match request.params {
            Value::Null => Params::new(),
            Value::Object(map) => map,
            _ => {
                let e = invalid("params 须为对象", "params must be an object");
                return fail(id, e, self.codes_of(spec));
            }
        };
        if let Err(e) = self.declared_and_logged_in(spec) {
            return fail(id, e, self.codes_of(spec));
        }
        if !spec.consent {
            if let Some(outcome) = self.run_local(spec, &params) {
                return Step::Answered(self.answered(id, spec, outcome));
            }
        }
        Step::Continue(PendingCall { id, spec, params })
    }

    /// The answer for `call` if the client was closed before it could run: "not initialised".
    pub(crate) fn closed_answer(&self, call: &PendingCall) -> BridgeResponse {
        let e = BridgeError::new(F::NotLoggedIn, "客户端已关闭", "the client was closed");
        BridgeResponse::failed(call.id.clone(), &e, self.codes_of(call.spec), Lang::ZhCn)
    }

    /// The rest of a call [`Bridge::prepare`] could not answer: the consent, then the method.
    pub(crate) async fn finish(&self, call: PendingCall) -> BridgeResponse {
        let PendingCall { id, spec, params } = call;
        let consented = match spec.scope {
            Some(scope) if spec.consent => self.consented(scope).await,
            _ => Ok(()),
        };
        let outcome = match consented {
            Ok(()) => self.run(spec, &params).await,
            Err(e) => Err(e),
        };
        self.answered(id, spec, outcome)
    }

    /// The family whose codes a method's failures carry: its own, or, for ZheliKit's methods,
    /// the platform's (a 浙政钉 page gets gdt-jsapi's numbers throughout).
    fn codes_of(&self, spec: &MethodSpec) -> Family {
        match spec.family {
            Family::Zhelikit => self.platform_family(),
            family => family,
        }
    }

    fn answered(&self, id: Value, spec: &MethodSpec, outcome: Outcome) -> BridgeResponse {
        match outcome {
            Ok(result) => BridgeResponse::ok(id, result),
            Err(e) => {
                if e.failure == F::SessionExpired {
                    self.emit("sessionExpired", json!({"reason": e.message.zh}));
                }
                BridgeResponse::failed(id, &e, self.codes_of(spec), Lang::ZhCn)
            }
        }
    }

    /// The manifest's scope and the login (the consent is asked in [`Bridge::finish`]).
    fn declared_and_logged_in(&self, spec: &MethodSpec) -> Result<(), BridgeError> {
        if let Some(scope) = spec.scope {
            if !self.manifest.declares(scope) {
                return Err(BridgeError::new(
                    F::ScopeNotDeclared,
                    format!(
                        "小程序的 miniapp.json 未声明权限 {}，不能调用 {}",
                        scope.as_str(),
                        spec.name
                    ),
                    format!(
                        "miniapp.json does not declare scope {}, which {} needs",
                        scope.as_str(),
                        spec.name
                    ),
                ));
            }
        }
        if spec.login && !self.ctx.session.is_logged_in() {
            return Err(BridgeError::new(
                F::NotLoggedIn,
                format!("{} 需要先登录", spec.name),
                format!("{} needs a logged-in user", spec.name),
            ));
        }
        Ok(())
    }

    fn consent_row(&self, scope: Scope) -> Option<String> {
        let user = self.ctx.session.last_user_id().ok().flatten()?;
        Some(format!(
            "bridge:{}:consent:{user}:{}",
            self.manifest.id,
            scope.as_str()
        ))
    }

    /// Whether the user agreed to `scope` for this mini-app: remembered, or asked now.
    async fn consented(&self, scope: Scope) -> Result<(), BridgeError> {
        let _one_prompt_at_a_time = self.consent_lock.lock().await;
        let row = self.consent_row(scope).ok_or_else(not_logged_in)?;
        if self.ctx.store.get(&row).map_err(store_failed)?.is_some() {
            return Ok(());
        }
        let asked = self
            .host(HostAction::AskConsent {
                mini_app_name: self.manifest.name.clone(),
                scope: scope.as_str().to_string(),
                purpose: purpose(scope).to_string(),
            })
            .await;
        match asked {
            Ok(HostReply::Confirmed { ok: true }) => {
                self.ctx
                    .store
                    .put(&row, crate::context::now_ms().to_string().as_bytes())
                    .map_err(store_failed)?;
                Ok(())
            }
            Ok(_)
            | Err(BridgeError {
                failure: F::Cancelled,
                ..
            }) => Err(BridgeError::new(
                F::ConsentRefused,
                format!("用户未同意「{}」{}", self.manifest.name, purpose(scope)),
                format!("the user did not agree to share {}", scope.as_str()),
            )),
            Err(e) => Err(e),
        }
    }

    /// Forgets every consent the current user gave this mini-app: the next call that needs one
    /// asks again.
    pub(crate) fn revoke_consent(&self) -> crate::error::Result<()> {
        let Some(user) = self.ctx.session.last_user_id()? else {
            return Ok(());
        };
        self.ctx
            .store
            .delete_prefix(&format!("bridge:{}:consent:{user}:", self.manifest.id))?;
        Ok(())
    }

    /// Runs a host action off the async threads (a dialog may block until the user answers).
    async fn host(&self, action: HostAction) -> Result<HostReply, BridgeError> {
        let host = self.host.clone();
        let done = tokio::task::spawn_blocking(move || host.perform(action)).await;
        match done {
            Ok(Ok(reply)) => Ok(reply),
            Ok(Err(HostError::Cancelled)) => Err(BridgeError::new(
                F::Cancelled,
                "用户已取消",
                "cancelled by the user",
            )),
            Ok(Err(HostError::Unavailable { reason })) => Err(BridgeError::new(
                F::HostUnavailable,
                format!("容器无法完成：{reason}"),
                format!("the container cannot do it: {reason}"),
            )),
            Err(e) => Err(BridgeError::new(
                F::HostUnavailable,
                "容器无法完成",
                format!("host call failed: {e}"),
            )),
        }
    }

    async fn host_done(&self, action: HostAction) -> Outcome {
        self.host(action).await.map(|_| json!({}))
    }

    async fn host_text(&self, action: HostAction) -> Result<String, BridgeError> {
        match self.host(action).await? {
            HostReply::Text { value } => Ok(value),
            other => Err(BridgeError::new(
                F::HostUnavailable,
                "容器的回答不符合预期",
                format!("the host answered {other:?}"),
            )),
        }
    }

    /// Pushes an event to the page.
    pub(crate) fn emit(&self, event: &str, data: Value) {
        let event = BridgeEvent {
            event: event.to_string(),
            data,
        };
        if let Ok(json) = serde_json::to_string(&event) {
            self.host.emit(json);
        }
    }

    /// Switches elder mode (长辈版) and tells the page.
    pub(crate) fn set_elder_mode(&self, elder: bool) {
        if self.elder.swap(elder, Ordering::SeqCst) != elder {
            self.emit("uiStyleChanged", json!({"uiStyle": ui_style(elder)}));
        }
    }

    /// Tells the page the network came or went; back online, waiting analytics go.
    pub(crate) fn network_changed(&self, online: bool) {
        if online {
            self.analytics.flush_in_background();
        }
        self.emit("networkChanged", json!({"result": network_type(online)}));
    }

    /// `monitorTrace` (what `ZwLog.sendPV` and `ZwLog.record` call): the event masked and
    /// queued on the device; a flush starts in the background when one is due.
    fn trace(&self, params: &Params) -> Outcome {
        let event = event_from_trace(params, crate::context::now_ms()).map_err(|e| {
            invalid(
                format!("参数 {}：{}", e.field, e.reason.zh),
                format!("parameter {}: {}", e.field, e.reason.en),
            )
        })?;
        if self.analytics.record(event).map_err(from_sdk_error)? {
            self.analytics.flush_in_background();
        }
        Ok(json!({}))
    }

    /// The methods answered without waiting; `None` for the others.
    fn run_local(&self, spec: &MethodSpec, params: &Params) -> Option<Outcome> {
        let outcome = match spec.name {
            "getUserType" => self
                .ctx
                .session
                .cached_user()
                .map(|me| json!({"userType": user_type(me.kind)}))
                .ok_or_else(not_logged_in),
            "getUiStyle" => Ok(json!({"uiStyle": ui_style(self.elder.load(Ordering::SeqCst))})),
            "getUUID" => self.uuid().map(|uuid| json!({"uuid": uuid})),
            "getNetworkType" => Ok(json!({"result": network_type(self.ctx.bff.is_online())})),
            "setLocalStorage" => self.set_local(params),
            "getLocalStorage" => self.get_local(params),
            "removeLocalStorage" => self.remove_local(params),
            "monitorTrace" => self.trace(params),
            "ready" => Ok(json!({})),
            "authConfig" => {
                text_param(params, "ticket").and_then(|_| match params.get("jsApiList") {
                    // ZheliKit grants JS APIs by the manifest's scopes, checked on every call.
                    Some(Value::Array(_)) => Ok(json!({})),
                    _ => Err(invalid("jsApiList 须为数组", "jsApiList must be an array")),
                })
            }
            "zhelikit.canIUse" => {
                text_param(params, "method").map(|name| json!({"result": self.can_use(name)}))
            }
            "zhelikit.capabilities" => Ok(self.capabilities()),
            _ => return None,
        };
        Some(outcome)
    }

    async fn run(&self, spec: &MethodSpec, params: &Params) -> Outcome {
        if let Some(outcome) = self.run_local(spec, params) {
            return outcome;
        }
        match spec.name {
            "ssoTicket" => {
                let ticket_id = self
                    .host_text(HostAction::SsoTicket {
                        mini_app_id: self.manifest.id.clone(),
                    })
                    .await?;
                Ok(json!({"result": true, "ticketId": ticket_id}))
            }
            "setTitle" => {
                let title = text_param(params, "title")?.to_string();
                self.host_done(HostAction::SetTitle { title }).await
            }
            "setMenu" => {
                let items = params.get("items").cloned().unwrap_or(Value::Array(vec![]));
                if !items.is_array() {
                    return Err(invalid("items 须为数组", "items must be an array"));
                }
                self.host_done(HostAction::SetMenu {
                    items_json: items.to_string(),
                })
                .await
            }
            "openLink" => self.open_link(params).await,
            "close" => self.host_done(HostAction::Close).await,
            "confirm" => {
                let (ok_label, cancel_label) = match params.get("buttonLabels") {
                    Some(Value::Array(labels)) => (
                        labels.first().and_then(Value::as_str).unwrap_or("确定"),
                        labels.get(1).and_then(Value::as_str).unwrap_or("取消"),
                    ),
                    _ => ("确定", "取消"),
                };
                let reply = self
                    .host(HostAction::Confirm {
                        title: optional_text(params, "title")?.unwrap_or("").to_string(),
                        message: text_param(params, "message")?.to_string(),
                        ok_label: ok_label.to_string(),
                        cancel_label: cancel_label.to_string(),
                    })
                    .await?;
                let ok = matches!(reply, HostReply::Confirmed { ok: true });
                Ok(json!({"result": ok, "buttonIndex": if ok { 0 } else { 1 }}))
            }
            "alert" => {
                self.host_done(HostAction::Alert {
                    title: optional_text(params, "title")?.unwrap_or("").to_string(),
                    message: text_param(params, "message")?.to_string(),
                    button_label: optional_text(params, "buttonName")?
                        .unwrap_or("确定")
                        .to_string(),
                })
                .await
            }
            "toast" => {
                let message = text_param(params, "message")?.to_string();
                self.host_done(HostAction::Toast { message }).await
            }
            "showPreloader" => {
                let text = optional_text(params, "text")?
                    .unwrap_or("加载中")
                    .to_string();
                self.host_done(HostAction::ShowPreloader { text }).await
            }
            "hidePreloader" => self.host_done(HostAction::HidePreloader).await,
            "phoneCall" => {
                // ZWJSBridge puts the number in `corpId`.
                let number = text_param(params, "corpId")?;
                let dialable = !number.is_empty()
                    && number.len() <= 20
                    && number
                        .bytes()
                        .all(|b| b.is_ascii_digit() || b == b'-' || b == b'+');
                if !dialable {
                    return Err(invalid(
                        "corpId 须为电话号码（数字、+、-）",
                        "corpId must be a phone number (digits, +, -)",
                    ));
                }
                let number = number.to_string();
                self.host_done(HostAction::PhoneCall { number }).await
            }
            "scan" => {
                let text = self.host_text(HostAction::Scan).await?;
                Ok(json!({"text": text}))
            }
            "chooseImage" => {
                let count = match params.get("count") {
                    None | Some(Value::Null) => 1,
                    Some(v) => v
                        .as_u64()
                        .filter(|c| (1..=9).contains(c))
                        .ok_or_else(|| invalid("count 须为 1–9", "count must be 1–9"))?,
                };
                match self
                    .host(HostAction::ChooseImage {
                        count: u32::try_from(count).unwrap_or(1),
                    })
                    .await?
                {
                    HostReply::Images { data_urls } => {
                        Ok(json!({"result": true, "picSrc": data_urls}))
                    }
                    _ => Ok(json!({"result": false, "picSrc": []})),
                }
            }
            "getAuthCode" => {
                let corp_id = optional_text(params, "corpId")?.unwrap_or("").to_string();
                let code = self.host_text(HostAction::AuthCode { corp_id }).await?;
                Ok(json!({"code": code, "auth_code": code}))
            }
            "zhelikit.loginWithTicketId" => {
                let ticket_id = text_param(params, "ticketId")?.to_string();
                self.login(Credential::ZlbTicketId(ticket_id)).await
            }
            "zhelikit.loginWithAuthCode" => {
                let code = text_param(params, "authCode")?.to_string();
                self.login(Credential::ZzdAuthCode(code)).await
            }
            "zhelikit.logout" => {
                self.identity.logout().await.map_err(from_sdk_error)?;
                Ok(json!({}))
            }
            "zhelikit.getCurrentUser" => {
                let me: Me = self.ctx.get(paths::ME).await.map_err(from_sdk_error)?;
                self.ctx
                    .session
                    .remember_user(&me)
                    .map_err(from_sdk_error)?;
                to_json(&me)
            }
            "zhelikit.getHomeScreen" => {
                let (wire, offline_age) = self.screens.home_wire().await.map_err(from_sdk_error)?;
                let screen = match offline_age {
                    Some(age) => wire.aged(age),
                    None => wire,
                };
                let mut value = to_json(&screen)?;
                value["offline"] = Value::Bool(offline_age.is_some());
                Ok(value)
            }
            vault if vault.starts_with("zhelikit.vault.") => self.vault_call(vault, params).await,
            inbox if inbox.starts_with("zhelikit.inbox.") => self.inbox_call(inbox, params).await,
            forms if forms.starts_with("zhelikit.forms.") => self.forms_call(forms, params).await,
            supervision if supervision.starts_with("zhelikit.supervision.") => {
                self.supervision_call(supervision, params).await
            }
            policy if policy.starts_with("zhelikit.policy.") => {
                self.policy_call(policy, params).await
            }
            other => Err(BridgeError::new(
                F::UnknownMethod,
                format!("方法 {other} 尚未实现"),
                format!("method {other} is not implemented"),
            )),
        }
    }

    async fn login(&self, credential: Credential) -> Outcome {
        self.identity
            .login(credential)
            .await
            .map_err(from_sdk_error)?;
        let me = self.ctx.session.cached_user().ok_or_else(|| {
            BridgeError::new(F::ServerError, "登录后未取得用户", "no user after login")
        })?;
        Ok(json!({"userId": me.user_id, "userType": user_type(me.kind)}))
    }

    async fn open_link(&self, params: &Params) -> Outcome {
        if optional_text(params, "type")? == Some("reload") {
            self.host(HostAction::Reload).await?;
            // The container reloads with a fresh ticketId for the page.
            let ticket_id = self
                .host_text(HostAction::SsoTicket {
                    mini_app_id: self.manifest.id.clone(),
                })
                .await?;
            return Ok(json!({"ticketId": ticket_id}));
        }
        let url = text_param(params, "url")?;
        let parsed = url::Url::parse(url)
            .ok()
            .filter(|u| u.scheme() == "https" || u.scheme() == "http");
        match parsed {
            Some(u) => {
                self.host_done(HostAction::OpenLink { url: u.to_string() })
                    .await
            }
            None => Err(invalid(
                "url 须为 http(s) 链接",
                "url must be an http(s) link",
            )),
        }
    }

    fn uuid(&self) -> Result<String, BridgeError> {
        // Held across the read-or-make: two first calls at once must not make two.
        let mut known = self.uuid.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(uuid) = known.as_ref() {
            return Ok(uuid.clone());
        }
        let uuid = self.stored_uuid()?;
        *known = Some(uuid.clone());
        Ok(uuid)
    }

    fn stored_uuid(&self) -> Result<String, BridgeError> {
        let row = format!("bridge:{}:uuid", self.manifest.id);
        let store = &self.ctx.store;
        if let Some(bytes) = store.get(&row).map_err(store_failed)? {
            return Ok(String::from_utf8_lossy(&bytes).into_owned());
        }
        let uuid = uuid::Uuid::new_v4().to_string();
        store.put(&row, uuid.as_bytes()).map_err(store_failed)?;
        Ok(uuid)
    }

    fn storage_key<'a>(&self, params: &'a Params) -> Result<&'a str, BridgeError> {
        let key = text_param(params, "key")?;
        if key.is_empty() || key.len() > MAX_KEY_BYTES {
            return Err(invalid(
                format!("key 须为 1–{MAX_KEY_BYTES} 字节"),
                format!("key must be 1–{MAX_KEY_BYTES} bytes"),
            ));
        }
        Ok(key)
    }

    fn set_local(&self, params: &Params) -> Outcome {
        let key = self.storage_key(params)?;
        let value = match params.get("value") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => {
                return Err(invalid("缺少参数 value", "parameter value is missing"))
            }
            // The platform stores strings; anything else is kept as its JSON text.
            Some(other) => other.to_string(),
        };
        self.ctx
            .store
            .put(&storage_row(&self.manifest.id, key), value.as_bytes())
            .map_err(store_failed)?;
        Ok(json!({"result": true}))
    }

    fn get_local(&self, params: &Params) -> Outcome {
        let key = self.storage_key(params)?;
        let value = self
            .ctx
            .store
            .get(&storage_row(&self.manifest.id, key))
            .map_err(store_failed)?;
        Ok(json!({"result": value.map(|b| String::from_utf8_lossy(&b).into_owned())}))
    }

    fn remove_local(&self, params: &Params) -> Outcome {
        let key = self.storage_key(params)?;
        self.ctx
            .store
            .delete(&storage_row(&self.manifest.id, key))
            .map_err(store_failed)?;
        Ok(json!({"result": true}))
    }

    /// Whether this mini-app can call `name` here: the method exists on its platform and its
    /// scope is declared (consent is asked at the call).
    pub(crate) fn can_use(&self, name: &str) -> bool {
        method_spec_on(name, self.manifest.platform)
            .is_some_and(|m| m.scope.is_none_or(|s| self.manifest.declares(s)))
    }

    /// The versioned list of methods, each with whether this mini-app can call it.
    pub(crate) fn capabilities(&self) -> Value {
        let methods: Vec<Value> = METHODS
            .iter()
            .filter(|m| family_available(m.family, self.manifest.platform))
            .map(|m| {
                json!({
                    "name": m.name,
                    "scope": m.scope.map(Scope::as_str),
                    "consent": m.consent,
                    "available": self.can_use(m.name),
                    "summary": m.summary,
                })
            })
            .collect();
        json!({
            "version": BRIDGE_VERSION,
            "sdkVersion": env!("CARGO_PKG_VERSION"),
            "miniAppId": self.manifest.id,
            "methods": methods,
        })
    }
}

fn ui_style(elder: bool) -> &'static str {
    if elder {
        "elder"
    } else {
        "normal"
    }
}

fn network_type(online: bool) -> &'static str {
    if online {
        "online"
    } else {
        "none"
    }
}
