//! 浙政钉 (government DingTalk) server APIs: app token, 免登 user-by-code, organisation, work
//! notifications (工作通知) and to-dos (待办). Every call is signed with
//! [`crate::dingtalk_sign`] and answers in [`Response`].

use serde::{Deserialize, Serialize};

/// `GET ?appkey=&appsecret=` → [`AppToken`].
pub const GET_TOKEN_PATH: &str = "/gettoken.json";
/// `POST access_token=&auth_code=` (form) → [`AppUser`].
pub const USER_BY_CODE_PATH: &str = "/rpc/oauth2/dingtalk_app_user.json";
/// `POST tenantId=` → [`Organisation`].
pub const ROOT_ORGANIZATION_PATH: &str = "/mozi/organization/getRootOrganization";
/// `POST tenantId=&organizationCode=` → [`Organisation`].
pub const ORGANIZATION_BY_CODE_PATH: &str = "/mozi/organization/getOrganizationByCode";
/// `POST tenantId=&organizationCode=&pageNo=&pageSize=` → [`Page`] of codes.
pub const SUB_ORGANIZATION_CODES_PATH: &str = "/mozi/organization/pageSubOrganizationCodes";
/// `POST tenantId=&organizationCode=&pageNo=&pageSize=` → [`Page`] of employee codes.
pub const ORGANIZATION_EMPLOYEE_CODES_PATH: &str =
    "/mozi/organization/pageOrganizationEmployeeCodes";
/// `POST tenantId=&employeeCode=` → [`Employee`].
pub const EMPLOYEE_BY_CODE_PATH: &str = "/mozi/employee/getEmployeeByCode";
/// `POST tenantId=&employeeCodes=a,b` → list of [`EmployeeAccount`].
pub const EMPLOYEE_ACCOUNT_IDS_PATH: &str = "/mozi/employee/listEmployeeAccountIds";
/// `POST tenantId=&organizationCodes=a,b` → list of [`Organisation`] (unknown codes left out).
pub const ORGANIZATIONS_BY_CODES_PATH: &str = "/mozi/organization/listOrganizationsByCodes";
/// `POST tenantId=&employeeCodes=a,b` → list of [`Employee`] (unknown codes left out).
pub const EMPLOYEES_BY_CODES_PATH: &str = "/mozi/employee/listEmployeesByCodes";
/// `POST tenantId=&receiverIds=1,2&bizMsgId=&msg=` ([`WorkMessage`] as JSON) → [`MessageSent`].
/// `bizMsgId` is the caller's id of the message: sent again, the message is not delivered
/// twice (the answer is the first sending's).
pub const WORK_NOTIFICATION_PATH: &str = "/message/workNotification";
/// `POST tenantId=&bizMsgId=` → `true`: the message disappears from its receivers.
pub const REVOKE_MESSAGE_PATH: &str = "/message/revoke";
/// `POST tenantId=&subject=&creatorId=&assigneeId=&bizTaskId=&url=&mobileUrl=&dueDate=` →
/// [`TodoCreated`]. `bizTaskId` is the caller's id of the to-do: created again, the first one
/// is answered.
pub const TODO_CREATE_PATH: &str = "/tc/v2/openapi/task/create.json";
/// `POST tenantId=&taskUuid=&userId=` → `true`: the assignee did it.
pub const TODO_FINISH_PATH: &str = "/tc/v2/openapi/task/finish.json";
/// `POST tenantId=&taskUuid=` → `true`: no longer asked of anyone.
pub const TODO_CANCEL_PATH: &str = "/tc/v2/openapi/task/cancel.json";
/// Most receivers of one work notification.
pub const MAX_RECEIVERS: usize = 100;
/// Browser-facing page standing in for `getAuthCode` in the container: `?appkey=&redirect=`.
pub const AUTH_CODE_PAGE_PATH: &str = "/zzd/auth";
/// An app access token's lifetime, in seconds.
pub const APP_TOKEN_TTL_SECS: i64 = 7200;
/// An auth code's lifetime, in seconds.
pub const AUTH_CODE_TTL_SECS: i64 = 300;

/// The outer and inner envelope: `{success, content: {success, data, responseCode, responseMessage}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Response<T> {
    /// Gateway-level success.
    pub success: bool,
    /// The API's own answer.
    pub content: Content<T>,
}

/// The API's answer inside [`Response`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Content<T> {
    /// API-level success.
    pub success: bool,
    /// The payload on success.
    #[serde(default = "Option::default")]
    pub data: Option<T>,
    /// `"0"` on success, else an error code such as `"AUTH_CODE_EXPIRED"`.
    #[serde(default)]
    pub response_code: String,
    /// Human-readable message.
    #[serde(default)]
    pub response_message: String,
}

impl<T> Response<T> {
    /// A successful answer.
    pub fn ok(data: T) -> Self {
        Self {
            success: true,
            content: Content {
                success: true,
                data: Some(data),
                response_code: "0".into(),
                response_message: "success".into(),
            },
        }
    }

    /// A failed answer with a code and message.
    pub fn error(code: &str, message: &str) -> Self {
        Self {
            success: true,
            content: Content {
                success: false,
                data: None,
                response_code: code.into(),
                response_message: message.into(),
            },
        }
    }
}

/// Error codes the mock answers with (real ones are not all public).
pub mod codes {
    /// The auth code is unknown, used or expired.
    pub const AUTH_CODE_INVALID: &str = "AUTH_CODE_INVALID";
    /// The auth code belongs to another app.
    pub const AUTH_CODE_OTHER_APP: &str = "AUTH_CODE_OTHER_APP";
    /// The access token is unknown or expired.
    pub const ACCESS_TOKEN_INVALID: &str = "ACCESS_TOKEN_INVALID";
    /// App key and secret do not match.
    pub const APP_SECRET_INVALID: &str = "APP_SECRET_INVALID";
    /// A required parameter is missing or malformed.
    pub const PARAM_INVALID: &str = "PARAM_INVALID";
    /// The organisation or employee does not exist.
    pub const NOT_FOUND: &str = "NOT_FOUND";
    /// The to-do is finished or cancelled already.
    pub const TODO_CLOSED: &str = "TODO_CLOSED";
}

/// `data` of [`GET_TOKEN_PATH`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppToken {
    /// The app access token.
    pub access_token: String,
    /// Seconds until it expires.
    pub expires_in: i64,
}

/// `data` of [`USER_BY_CODE_PATH`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppUser {
    /// Account id, stable per person.
    pub account_id: i64,
    /// Login account.
    pub account: String,
    /// Employee code within the tenant.
    pub employee_code: String,
    /// Family name.
    pub last_name: String,
    /// Display name.
    pub nick_name_cn: String,
    /// Tenant id.
    pub realm_id: i64,
    /// Tenant name.
    pub realm_name: String,
    /// Tenant-scoped user id.
    pub tenant_user_id: String,
    /// App-scoped open id.
    pub openid: String,
    /// Account namespace.
    pub namespace: String,
}

/// An organisation node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Organisation {
    /// Organisation code.
    pub organization_code: String,
    /// Name.
    pub organization_name: String,
    /// Parent's code; empty for the root.
    pub parent_code: String,
    /// Unified social credit code of the organ, if it has one.
    #[serde(default)]
    pub credit_code: String,
}

/// One page of codes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Page {
    /// Codes on this page.
    pub data: Vec<String>,
    /// Total across pages.
    pub total_size: u64,
    /// 1-based page number.
    pub current_page: u64,
}

/// An employee.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Employee {
    /// Employee code.
    pub employee_code: String,
    /// Name.
    pub employee_name: String,
    /// Positions held.
    pub positions: Vec<Position>,
}

/// A position an employee holds in an organisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Position {
    /// Organisation code.
    pub organization_code: String,
    /// Job title.
    pub job_title: String,
    /// True for the main position.
    pub main_job: bool,
    /// True when the position is one of the unit's leaders (主要或分管负责人).
    #[serde(default)]
    pub leader: bool,
}

/// An employee's account id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmployeeAccount {
    /// Employee code.
    pub employee_code: String,
    /// Account id.
    pub account_id: i64,
}

/// The `msg` of a work notification: an OA card (title, text, and the page it opens).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkMessage {
    /// Always `"oa"`.
    pub msgtype: String,
    /// The card.
    pub oa: OaCard,
}

/// An OA card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OaCard {
    /// The page opened on a tap (a mini-app page).
    pub message_url: String,
    /// The card's head.
    pub head: OaHead,
    /// Its body.
    pub body: OaBody,
}

/// The head of an OA card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OaHead {
    /// The head's text (the app's name).
    pub text: String,
}

/// The body of an OA card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OaBody {
    /// The title.
    pub title: String,
    /// The text.
    pub content: String,
}

impl WorkMessage {
    /// An OA card from `app` titled `title` saying `content`, opening `url`.
    pub fn oa(app: &str, title: &str, content: &str, url: &str) -> Self {
        Self {
            msgtype: "oa".into(),
            oa: OaCard {
                message_url: url.into(),
                head: OaHead { text: app.into() },
                body: OaBody {
                    title: title.into(),
                    content: content.into(),
                },
            },
        }
    }
}

/// `data` of [`WORK_NOTIFICATION_PATH`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageSent {
    /// The platform's id of the message.
    pub msg_id: String,
}

/// `data` of [`TODO_CREATE_PATH`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TodoCreated {
    /// The platform's id of the to-do, for finish and cancel.
    pub task_uuid: String,
}
