//! The mini-app bridge's vocabulary, written once: the methods a mini-app may call (with the
//! scope and consent each needs), the request and response a host shuttles as JSON, and the
//! error model that maps every failure to the platform's numeric code (ZWJSBridge for 浙里办,
//! `gdt-jsapi` for 浙政钉) beside a stable ZheliKit code. The SDK's bridge dispatches on it,
//! the simulator and the mini-app CLI read it (`validate` checks that every method a mini-app
//! uses has its scope declared).
//!
//! A request: `{"id": 7, "method": "getUiStyle", "params": {}}`; its answer:
//! `{"id": 7, "ok": true, "result": {"uiStyle": "normal"}}` or
//! `{"id": 7, "ok": false, "error": {"code": 1002, "zkCode": "scope_not_declared",
//! "message": "…"}}`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::lang::{Lang, Text};
use crate::manifest::Platform;
use crate::scope::Scope;

/// The version of the method table, for feature detection (`zhelikit.capabilities`).
pub const BRIDGE_VERSION: &str = "1.0.0";

/// Largest request a page may send, in bytes (local storage values included).
pub const MAX_REQUEST_BYTES: usize = 256 * 1024;

/// Which API family a method belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    /// 浙里办's `ZWJSBridge`.
    Zwjs,
    /// 浙政钉's `gdt-jsapi`.
    Gdt,
    /// ZheliKit's own namespace (`zhelikit.*`): what ZWJSBridge lacks.
    Zhelikit,
}

/// What a method needs before it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MethodSpec {
    /// The name the page calls, e.g. `getUiStyle` or `zhelikit.getCurrentUser`.
    pub name: &'static str,
    /// Its family.
    pub family: Family,
    /// The scope the manifest must declare, if any.
    pub scope: Option<Scope>,
    /// Whether the user must have agreed (once per user and mini-app, revocable): methods that
    /// hand personal data to the page.
    pub consent: bool,
    /// Whether it needs a logged-in user.
    pub login: bool,
    /// What it does, in words a developer reads (zh-CN).
    pub summary: &'static str,
}

const fn method(name: &'static str, family: Family, summary: &'static str) -> MethodSpec {
    MethodSpec {
        name,
        family,
        scope: None,
        consent: false,
        login: false,
        summary,
    }
}

const fn personal(name: &'static str, scope: Scope, summary: &'static str) -> MethodSpec {
    MethodSpec {
        name,
        family: Family::Zhelikit,
        scope: Some(scope),
        consent: true,
        login: true,
        summary,
    }
}

/// A method of an official's own work (scope `supervision`, login, no consent: it hands the
/// page nothing personal of the official's).
const fn official(name: &'static str, summary: &'static str) -> MethodSpec {
    MethodSpec {
        consent: false,
        ..personal(name, Scope::Supervision, summary)
    }
}

/// Every method the bridge serves.
pub const METHODS: &[MethodSpec] = &[
    // ZWJSBridge: what an SDK can honestly serve.
    method("ssoTicket", Family::Zwjs, "取得小程序统一登录的 ticketId"),
    MethodSpec {
        login: true,
        ..method(
            "getUserType",
            Family::Zwjs,
            "当前用户类型：0 政务人员、1 个人、2 法人",
        )
    },
    method(
        "getUiStyle",
        Family::Zwjs,
        "界面风格：normal 或 elder（长辈版）",
    ),
    method("setTitle", Family::Zwjs, "设置页面标题"),
    method("setMenu", Family::Zwjs, "设置右上角菜单"),
    method("openLink", Family::Zwjs, "打开链接或重新加载页面"),
    method("close", Family::Zwjs, "关闭小程序"),
    method("getUUID", Family::Zwjs, "设备上本小程序的唯一编号"),
    method("getNetworkType", Family::Zwjs, "网络状态"),
    method(
        "setLocalStorage",
        Family::Zwjs,
        "本地存储：写入（加密保存，按小程序隔离）",
    ),
    method("getLocalStorage", Family::Zwjs, "本地存储：读取"),
    method("removeLocalStorage", Family::Zwjs, "本地存储：删除"),
    method("confirm", Family::Zwjs, "确认对话框"),
    method("alert", Family::Zwjs, "提示对话框"),
    method("toast", Family::Zwjs, "轻提示"),
    method("showPreloader", Family::Zwjs, "显示加载中"),
    method("hidePreloader", Family::Zwjs, "隐藏加载中"),
    method("phoneCall", Family::Zwjs, "拨打电话（号码放在 corpId）"),
    method("scan", Family::Zwjs, "扫一扫"),
    method("chooseImage", Family::Zwjs, "选择图片"),
    method("monitorTrace", Family::Zwjs, "埋点上报"),
    // gdt-jsapi: what an official's app needs.
    method("ready", Family::Gdt, "等待容器就绪"),
    method("getAuthCode", Family::Gdt, "取得浙政钉免登授权码"),
    method("scan", Family::Gdt, "扫一扫（返回 text）"),
    method(
        "authConfig",
        Family::Gdt,
        "以服务端签发的 ticket 申请 JS API 权限",
    ),
    // ZheliKit's own.
    method("zhelikit.canIUse", Family::Zhelikit, "能否调用某个方法"),
    method(
        "zhelikit.capabilities",
        Family::Zhelikit,
        "支持的全部方法及版本",
    ),
    method(
        "zhelikit.loginWithTicketId",
        Family::Zhelikit,
        "以 ticketId 登录 ZheliKit",
    ),
    method(
        "zhelikit.loginWithAuthCode",
        Family::Zhelikit,
        "以浙政钉授权码登录 ZheliKit",
    ),
    MethodSpec {
        login: true,
        ..method("zhelikit.logout", Family::Zhelikit, "退出登录")
    },
    personal(
        "zhelikit.getCurrentUser",
        Scope::Profile,
        "当前用户（证件号码、手机号已脱敏）",
    ),
    personal(
        "zhelikit.getHomeScreen",
        Scope::Profile,
        "首页：各部门的数据及其新鲜程度",
    ),
    // 个人数据宝 (the vault).
    personal(
        "zhelikit.vault.list",
        Scope::VaultRead,
        "我的电子证照：状态及脱敏、判断类信息（离线可用）",
    ),
    personal(
        "zhelikit.vault.pull",
        Scope::VaultRead,
        "从签发部门领取或更新一类电子证照",
    ),
    personal(
        "zhelikit.vault.reveal",
        Scope::VaultRead,
        "查看证照的一项信息；完整信息须本人验证",
    ),
    personal(
        "zhelikit.vault.showCode",
        Scope::VaultRead,
        "亮证：显示证照码（每分钟自动刷新，事件 vaultCode）",
    ),
    MethodSpec {
        consent: false,
        ..personal("zhelikit.vault.hideCode", Scope::VaultRead, "停止亮证")
    },
    personal(
        "zhelikit.vault.history",
        Scope::VaultRead,
        "证照使用记录：时间、对象、用途、出示了哪些信息项（不含内容），附 SM3 链校验",
    ),
    personal(
        "zhelikit.vault.exportHistory",
        Scope::VaultRead,
        "导出证照使用记录（JSON，含 SM3 链，任何人可校验），用于留存或投诉",
    ),
    personal(
        "zhelikit.vault.answerRequest",
        Scope::VaultRead,
        "答复核验方的线上请求（须本人同意；超出登记范围的请求一律拒绝）",
    ),
    personal(
        "zhelikit.vault.consentRequest",
        Scope::VaultRead,
        "读取数据使用方（如银行）的授权请求：谁、用途、哪些信息项、期限、频率、保存期",
    ),
    personal(
        "zhelikit.vault.answerConsent",
        Scope::VaultRead,
        "同意（须本人验证）或拒绝数据使用方的授权请求",
    ),
    personal(
        "zhelikit.vault.consents",
        Scope::VaultRead,
        "已授权列表：状态、已使用次数",
    ),
    personal(
        "zhelikit.vault.changeConsent",
        Scope::VaultRead,
        "暂停、恢复或撤销一项授权（立即生效并通知数据使用方）",
    ),
    personal(
        "zhelikit.vault.dispute",
        Scope::VaultRead,
        "对证照中的一项信息申请纠错：更正值、理由、证明材料，交签发部门处理",
    ),
    personal(
        "zhelikit.vault.raiseObjection",
        Scope::VaultRead,
        "对一条使用记录投诉，或要求数据使用方删除依授权取得的数据",
    ),
    personal(
        "zhelikit.vault.objections",
        Scope::VaultRead,
        "我的投诉与删除申请及处理进度",
    ),
    personal(
        "zhelikit.vault.serverActivity",
        Scope::VaultRead,
        "平台侧记录：银行依授权调取、部门处理纠错等（不含数据内容）",
    ),
    personal(
        "zhelikit.vault.corrections",
        Scope::VaultRead,
        "我的纠错申请及处理进度（部门通过后自动领取更正后的证照）",
    ),
    // 惠企政策直通车 (the enterprise's inbox).
    personal(
        "zhelikit.inbox.sync",
        Scope::PolicyRead,
        "同步企业消息中心：新推送的惠企政策（事件 inboxMessage；离线时返回本机保存的消息）",
    ),
    personal(
        "zhelikit.inbox.list",
        Scope::PolicyRead,
        "本机保存的企业消息（离线可用）",
    ),
    personal(
        "zhelikit.inbox.markRead",
        Scope::PolicyRead,
        "将一条消息标为已读",
    ),
    personal(
        "zhelikit.inbox.open",
        Scope::PolicyRead,
        "打开一条消息：标为已读并返回跳转的小程序页面",
    ),
    personal(
        "zhelikit.inbox.claim",
        Scope::PolicyRead,
        "从消息发起申报（打开申报入口前调用，计入部门的投放统计；已撤回的政策不能申报）",
    ),
    personal(
        "zhelikit.inbox.why",
        Scope::PolicyRead,
        "为什么推送给我：政策的每项条件及本企业的符合情况",
    ),
    personal(
        "zhelikit.policy.matched",
        Scope::PolicyRead,
        "与本企业匹配的惠企政策（全文、兑现方式及每项条件的符合情况；离线时返回本机保存的）",
    ),
    // 一表通 · 一件事 (forms for citizens and enterprises).
    personal(
        "zhelikit.forms.catalogue",
        Scope::FormsSubmit,
        "可办理的表单（含一件事联办的部门；离线时返回本机保存的）",
    ),
    personal(
        "zhelikit.forms.open",
        Scope::FormsSubmit,
        "打开表单当前版本并保存在本机，此后离线也能填写",
    ),
    personal(
        "zhelikit.forms.prefill",
        Scope::FormsSubmit,
        "一表通自动填写：从部门记录（政府核验，只读）和上次提交中带出的内容及来源，未能带出的说明原因；保存在本机供离线新建草稿",
    ),
    personal(
        "zhelikit.forms.newDraft",
        Scope::FormsSubmit,
        "新建草稿（带默认值和本机保存的自动填写内容及来源；离线可用）",
    ),
    personal(
        "zhelikit.forms.saveDraft",
        Scope::FormsSubmit,
        "保存草稿（每次修改都调用）并返回与服务端相同规则的逐项校验结果",
    ),
    personal(
        "zhelikit.forms.updateDraft",
        Scope::FormsSubmit,
        "只保存改动的字段（null 表示清空），返回整份草稿及逐项校验结果",
    ),
    personal(
        "zhelikit.forms.draft",
        Scope::FormsSubmit,
        "读取一份草稿（表单有新版本时按字段名迁移，并列出不再需要的项）",
    ),
    personal(
        "zhelikit.forms.drafts",
        Scope::FormsSubmit,
        "本机的全部草稿，最近修改的在前",
    ),
    personal(
        "zhelikit.forms.discardDraft",
        Scope::FormsSubmit,
        "删除一份草稿",
    ),
    personal(
        "zhelikit.forms.finalize",
        Scope::FormsSubmit,
        "定稿并提交：生成提交编号放入待发送队列，有网络即发送（同一份只受理一次）",
    ),
    personal(
        "zhelikit.forms.sync",
        Scope::FormsSubmit,
        "发送待发送队列中的提交（网络恢复时调用）",
    ),
    personal(
        "zhelikit.forms.outbox",
        Scope::FormsSubmit,
        "本机定稿的提交及发送状态",
    ),
    personal(
        "zhelikit.forms.submissions",
        Scope::FormsSubmit,
        "我的办件及各部门办理进度（离线时返回本机保存的）",
    ),
    personal(
        "zhelikit.forms.correct",
        Scope::FormsSubmit,
        "部门退回补正后，以原提交的内容新建更正草稿（只有改动的部分重新送部门）",
    ),
    // The policy console (officials on 浙政钉).
    MethodSpec {
        consent: false,
        login: false,
        ..personal(
            "zhelikit.policy.console.vocabulary",
            Scope::PolicyManage,
            "政策条件可选的地区、行业门类与大类、企业规模、资质、纳税信用等级、经营范围关键词",
        )
    },
    personal(
        "zhelikit.policy.console.list",
        Scope::PolicyManage,
        "本单位的政策，最近修改的在前",
    ),
    personal(
        "zhelikit.policy.console.read",
        Scope::PolicyManage,
        "一项政策：内容、流程记录、投放统计",
    ),
    personal(
        "zhelikit.policy.console.create",
        Scope::PolicyManage,
        "起草一项政策",
    ),
    personal(
        "zhelikit.policy.console.edit",
        Scope::PolicyManage,
        "修改草稿（须带上所看到的版本号）",
    ),
    personal(
        "zhelikit.policy.console.step",
        Scope::PolicyManage,
        "流程操作：提交审核、审核通过（须另一名工作人员）、退回、发布、撤回",
    ),
    personal(
        "zhelikit.policy.console.preview",
        Scope::PolicyManage,
        "预览条件匹配的企业数：按县（市、区）、按行业，附示例及匹配理由",
    ),
    // 政务督查 (officials on 浙政钉): their own work, no personal data of theirs to agree to.
    official(
        "zhelikit.supervision.me",
        "我在督查中的身份（市领导、督查室、单位负责人、督查联络员）及可做的操作",
    ),
    official(
        "zhelikit.supervision.org",
        "可交办的单位（组织架构）和可任责任领导的市领导",
    ),
    official(
        "zhelikit.supervision.items",
        "我能看到的督查事项，截止日期近的在前",
    ),
    official(
        "zhelikit.supervision.item",
        "一项督查事项：指标、任务分解树、进展报告、全过程记录、提醒催办记录",
    ),
    official(
        "zhelikit.supervision.createItem",
        "立项（市领导、督查室）",
    ),
    official(
        "zhelikit.supervision.dispatch",
        "交办任务给单位（督查室），或把本单位任务分解给下级单位（单位负责人）",
    ),
    official(
        "zhelikit.supervision.tasks",
        "我的待办任务，截止日期近的在前",
    ),
    official(
        "zhelikit.supervision.report",
        "报送进展：情况、指标数值（按指标单位）、是否申请办结（督查联络员）",
    ),
    official(
        "zhelikit.supervision.decide",
        "审核进展报告：通过，或写明原因退回（单位负责人）",
    ),
    official(
        "zhelikit.supervision.urge",
        "催办：以浙政钉工作通知和待办提醒任务单位（督查室、市领导）",
    ),
    official(
        "zhelikit.supervision.moveTask",
        "调整任务所属的上级任务（督查室；不能形成循环）",
    ),
    official(
        "zhelikit.supervision.cancelTask",
        "撤销任务及其下级任务（督查室）",
    ),
    official(
        "zhelikit.supervision.dashboard",
        "统计：各单位进度、按期办结率、指标完成、逾期任务（市领导、督查室）",
    ),
    official(
        "zhelikit.supervision.export",
        "导出统计报表（.xlsx，与统计页同一组数字）",
    ),
    MethodSpec {
        consent: false,
        ..personal(
            "zhelikit.vault.requestShare",
            Scope::VaultVerify,
            "核验方：向持证人发起线上核验请求",
        )
    },
    MethodSpec {
        consent: false,
        ..personal(
            "zhelikit.vault.requestStatus",
            Scope::VaultVerify,
            "核验方：线上核验请求的结果",
        )
    },
    MethodSpec {
        consent: false,
        ..personal(
            "zhelikit.vault.verify",
            Scope::VaultVerify,
            "核验扫到的证照码：签名、有效期、持证人、是否注销",
        )
    },
];

/// The method named `name` (the first, when two families share a name).
pub fn method_spec(name: &str) -> Option<&'static MethodSpec> {
    METHODS.iter().find(|m| m.name == name)
}

/// The method named `name` as a mini-app on `platform` reaches it: two families may name a
/// method alike (`scan` is ZWJSBridge's on 浙里办 and gdt-jsapi's on 浙政钉).
pub fn method_spec_on(name: &str, platform: Platform) -> Option<&'static MethodSpec> {
    METHODS
        .iter()
        .find(|m| m.name == name && family_available(m.family, platform))
}

/// Whether a mini-app on `platform` may call methods of `family` (gdt-jsapi only on 浙政钉,
/// ZWJSBridge only on 浙里办; ZheliKit's own everywhere).
pub fn family_available(family: Family, platform: Platform) -> bool {
    matches!(
        (family, platform),
        (Family::Zhelikit, _) | (Family::Zwjs, Platform::Zlb) | (Family::Gdt, Platform::Zzd)
    )
}

/// A call from the page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BridgeRequest {
    /// The page's correlation id (a number or a string), echoed in the answer.
    #[serde(default)]
    pub id: Value,
    /// The method, e.g. `getUiStyle`.
    pub method: String,
    /// Its parameters (an object; absent means `{}`).
    #[serde(default)]
    pub params: Value,
}

/// Why a call failed: the stable ZheliKit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BridgeFailure {
    /// The request is not JSON of the form `{id, method, params}`.
    InvalidRequest,
    /// The request is larger than [`MAX_REQUEST_BYTES`].
    TooLarge,
    /// No such method (or not on this platform).
    UnknownMethod,
    /// A parameter is missing or of the wrong type.
    InvalidParams,
    /// The manifest does not declare the scope the method needs.
    ScopeNotDeclared,
    /// The user did not agree to share what the method returns.
    ConsentRefused,
    /// The method needs a logged-in user.
    NotLoggedIn,
    /// The session ended; log in again.
    SessionExpired,
    /// The login credential was refused by the platform.
    LoginRejected,
    /// This kind of user (个人, 法人, 政务人员) may not open this mini-app.
    UserKindNotAllowed,
    /// The user's real-name level is below the mini-app's minimum.
    RealNameLevelTooLow,
    /// The user cancelled (a dialog, the scanner, the image picker).
    Cancelled,
    /// The device is offline.
    Offline,
    /// The host could not do what was asked (no camera, no dialer).
    HostUnavailable,
    /// The server refused the request by one of its rules (a step out of order, the
    /// four-eyes rule, an edit of a stale version, something not found); the error's
    /// `problemCode` names the rule, its message says it in words.
    Refused,
    /// The server refused or failed (rate limited, unavailable).
    ServerError,
}

impl BridgeFailure {
    /// The stable code mini-apps branch on.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::TooLarge => "request_too_large",
            Self::UnknownMethod => "unknown_method",
            Self::InvalidParams => "invalid_params",
            Self::ScopeNotDeclared => "scope_not_declared",
            Self::ConsentRefused => "consent_refused",
            Self::NotLoggedIn => "not_logged_in",
            Self::SessionExpired => "session_expired",
            Self::LoginRejected => "login_rejected",
            Self::UserKindNotAllowed => "user_kind_not_allowed",
            Self::RealNameLevelTooLow => "real_name_level_too_low",
            Self::Cancelled => "cancelled",
            Self::Offline => "offline",
            Self::HostUnavailable => "host_unavailable",
            Self::Refused => "refused",
            Self::ServerError => "server_error",
        }
    }

    /// The platform's numeric code for this failure. ZWJSBridge: `1001` the capability is
    /// missing (also used where it has no code of its own: bad parameters, offline, server
    /// failures — the ZheliKit code tells them apart), `1002` not permitted by the
    /// registration, `1003` not permitted by the user, `5` not initialised (no session), `-1`
    /// cancelled. `gdt-jsapi`: `1` API undefined, `2` invalid parameters, `4` unauthorised call,
    /// `7` unauthorised API, `9` server error, `25` network error, `-1` cancelled.
    pub fn platform_code(self, family: Family) -> i32 {
        let gdt = matches!(family, Family::Gdt);
        match self {
            Self::UnknownMethod => {
                if gdt {
                    1
                } else {
                    1001
                }
            }
            Self::InvalidRequest | Self::TooLarge | Self::InvalidParams => {
                if gdt {
                    2
                } else {
                    1001
                }
            }
            Self::ScopeNotDeclared => {
                if gdt {
                    7
                } else {
                    1002
                }
            }
            Self::ConsentRefused
            | Self::LoginRejected
            | Self::UserKindNotAllowed
            | Self::RealNameLevelTooLow => {
                if gdt {
                    4
                } else {
                    1003
                }
            }
            Self::NotLoggedIn | Self::SessionExpired => {
                if gdt {
                    4
                } else {
                    5
                }
            }
            Self::Cancelled => -1,
            Self::Offline => {
                if gdt {
                    25
                } else {
                    1001
                }
            }
            Self::HostUnavailable | Self::Refused | Self::ServerError => {
                if gdt {
                    9
                } else {
                    1001
                }
            }
        }
    }
}

/// A failed call: what failed and why, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BridgeError {
    /// The failure.
    pub failure: BridgeFailure,
    /// What a developer reads (both languages).
    pub message: Text,
    /// The ZheliKit BFF's problem code behind it, when the BFF answered with one
    /// (`policy_self_approval`, `invalid_field` …).
    pub problem: Option<String>,
}

impl BridgeError {
    /// A failure with its message.
    pub fn new(failure: BridgeFailure, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            failure,
            message: Text::new(zh, en),
            problem: None,
        }
    }

    /// The same, naming the BFF's problem code behind it.
    pub fn with_problem(self, code: impl Into<String>) -> Self {
        Self {
            problem: Some(code.into()),
            ..self
        }
    }
}

/// The error object of an answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireError {
    /// The platform's numeric code.
    pub code: i32,
    /// The stable ZheliKit code.
    pub zk_code: String,
    /// The message.
    pub message: String,
    /// The ZheliKit BFF's problem code behind the failure, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem_code: Option<String>,
}

/// The answer to a call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BridgeResponse {
    /// The request's id.
    pub id: Value,
    /// Whether it succeeded.
    pub ok: bool,
    /// The result, on success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    /// The error, on failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<WireError>,
}

impl BridgeResponse {
    /// A success.
    pub fn ok(id: Value, result: Value) -> Self {
        Self {
            id,
            ok: true,
            result: Some(result),
            error: None,
        }
    }

    /// A failure, coded for `family` and worded in `lang`.
    pub fn failed(id: Value, error: &BridgeError, family: Family, lang: Lang) -> Self {
        Self {
            id,
            ok: false,
            result: None,
            error: Some(WireError {
                code: error.failure.platform_code(family),
                zk_code: error.failure.as_str().to_string(),
                message: error.message.get(lang).to_string(),
                problem_code: error.problem.clone(),
            }),
        }
    }
}

/// An event pushed to the page (`{"event": "networkChanged", "data": {…}}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BridgeEvent {
    /// Its name: `networkChanged`, `sessionExpired`, `uiStyleChanged` (later `inboxMessage`).
    pub event: String,
    /// What happened.
    pub data: Value,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_method_is_listed_once_and_personal_data_needs_a_scope_and_consent() {
        let mut names: Vec<(&str, Family)> = METHODS.iter().map(|m| (m.name, m.family)).collect();
        names.sort_by_key(|(n, f)| (*n, *f as u8));
        names.dedup();
        assert_eq!(names.len(), METHODS.len());
        for platform in [Platform::Zlb, Platform::Zzd] {
            let mut reachable: Vec<&str> = METHODS
                .iter()
                .filter(|m| family_available(m.family, platform))
                .map(|m| m.name)
                .collect();
            let all = reachable.len();
            reachable.sort();
            reachable.dedup();
            assert_eq!(reachable.len(), all, "one method per name on {platform:?}");
        }
        assert_eq!(
            method_spec_on("scan", Platform::Zzd).map(|m| m.family),
            Some(Family::Gdt)
        );
        for m in METHODS.iter().filter(|m| m.consent) {
            assert!(m.scope.is_some() && m.login, "{}", m.name);
        }
        assert_eq!(
            method_spec("getUiStyle").map(|m| m.family),
            Some(Family::Zwjs)
        );
        assert!(
            method_spec("pay").is_none(),
            "not served: the SDK cannot honestly pay"
        );
    }

    #[test]
    fn failures_carry_the_platforms_numbers() {
        use BridgeFailure as F;
        assert_eq!(F::UnknownMethod.platform_code(Family::Zwjs), 1001);
        assert_eq!(F::ScopeNotDeclared.platform_code(Family::Zwjs), 1002);
        assert_eq!(F::ConsentRefused.platform_code(Family::Zwjs), 1003);
        assert_eq!(F::NotLoggedIn.platform_code(Family::Zwjs), 5);
        assert_eq!(F::Cancelled.platform_code(Family::Zwjs), -1);
        assert_eq!(F::UnknownMethod.platform_code(Family::Gdt), 1);
        assert_eq!(F::InvalidParams.platform_code(Family::Gdt), 2);
        assert_eq!(F::ScopeNotDeclared.platform_code(Family::Gdt), 7);
        assert_eq!(F::Offline.platform_code(Family::Gdt), 25);
    }

    #[test]
    fn gdt_is_for_zzd_and_zwjsbridge_for_zlb() {
        assert!(family_available(Family::Gdt, Platform::Zzd));
        assert!(!family_available(Family::Gdt, Platform::Zlb));
        assert!(!family_available(Family::Zwjs, Platform::Zzd));
        assert!(family_available(Family::Zhelikit, Platform::Zzd));
    }

    #[test]
    fn an_answer_serialises_as_the_page_expects() {
        let ok = BridgeResponse::ok(
            serde_json::json!(7),
            serde_json::json!({"uiStyle": "normal"}),
        );
        assert_eq!(
            serde_json::to_value(&ok).unwrap(),
            serde_json::json!({"id": 7, "ok": true, "result": {"uiStyle": "normal"}})
        );
        let err = BridgeError::new(BridgeFailure::ScopeNotDeclared, "未声明", "not declared");
        let failed = BridgeResponse::failed(serde_json::json!("a"), &err, Family::Zwjs, Lang::ZhCn);
        assert_eq!(
            serde_json::to_value(&failed).unwrap(),
            serde_json::json!({"id": "a", "ok": false,
                "error": {"code": 1002, "zkCode": "scope_not_declared", "message": "未声明"}})
        );
    }
}
