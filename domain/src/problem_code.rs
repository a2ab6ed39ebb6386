//! The stable `code` of every problem the BFF answers, defined once: the BFF raises them, the
//! SDK matches them, and neither writes a code as a string of its own. On the wire a code stays
//! a string ([`crate::api::Problem::code`]), so a code newer than the SDK still arrives (as
//! `None` from [`ProblemCode::parse`]).

macro_rules! problem_codes {
    ($($(#[$doc:meta])* $variant:ident = $text:literal, $zh:literal, $en:literal,)*) => {
        /// A problem's stable code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ProblemCode {
            $($(#[$doc])* $variant,)*
        }

        impl ProblemCode {
            /// Every code, for documentation and tests.
            pub const ALL: &'static [ProblemCode] = &[$(ProblemCode::$variant,)*];

            /// The code as it travels (`snake_case`).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ProblemCode::$variant => $text,)*
                }
            }

            /// The problem type's short title, in `lang` (the RFC 9457 `title`).
            pub fn title(self, lang: crate::lang::Lang) -> &'static str {
                match (self, lang) {
                    $((ProblemCode::$variant, crate::lang::Lang::ZhCn) => $zh,
                      (ProblemCode::$variant, crate::lang::Lang::En) => $en,)*
                }
            }

            /// The code named `text`; `None` for a code this version does not know.
            pub fn parse(text: &str) -> Option<Self> {
                match text {
                    $($text => Some(ProblemCode::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

problem_codes! {
    /// The body is not the JSON the endpoint takes.
    MalformedBody = "malformed_body", "请求格式有误", "Malformed request body",
    /// The body is larger than the limit.
    BodyTooLarge = "body_too_large", "请求内容过大", "Request body too large",
    /// A field holds an unacceptable value; `field` names it.
    InvalidField = "invalid_field", "字段值无效", "Invalid field",
    /// The mini-app id is not registered.
    UnknownMiniApp = "unknown_mini_app", "未登记的小程序", "Unknown mini-app",
    /// The mini-app may not ask for these scopes.
    ScopeNotAllowed = "scope_not_allowed", "权限范围不允许", "Scope not allowed",
    /// The ticket expired or was already used.
    TicketExpired = "ticket_expired", "登录票据已失效", "Ticket expired",
    /// The platform did not issue this ticket.
    TicketInvalid = "ticket_invalid", "登录票据无效", "Ticket invalid",
    /// The ticket was issued to another mini-app.
    TicketOtherApp = "ticket_other_app", "票据属于其他应用", "Ticket issued to another application",
    /// The platform refused the ticket for another reason.
    TicketRejected = "ticket_rejected", "登录票据被拒绝", "Ticket rejected",
    /// The auth code expired, was used or was never issued.
    AuthCodeInvalid = "auth_code_invalid", "免登授权码无效", "Auth code invalid",
    /// The auth code was issued to another mini-app.
    AuthCodeOtherApp = "auth_code_other_app", "授权码属于其他应用", "Auth code issued to another application",
    /// The user's real-name level is below the mini-app's minimum.
    RealNameLevelTooLow = "real_name_level_too_low", "实名认证等级不足", "Real-name level too low",
    /// This kind of user may not use the mini-app.
    UserKindNotAllowed = "user_kind_not_allowed", "用户类型不可使用", "User kind not allowed",
    /// No valid access token (or a token of another mini-app).
    Unauthenticated = "unauthenticated", "未登录或登录已失效", "Unauthenticated",
    /// The token lacks the scope the endpoint needs; `scope` names it.
    MissingScope = "missing_scope", "缺少所需权限", "Missing scope",
    /// The refresh token is unknown, expired or revoked.
    RefreshTokenInvalid = "refresh_token_invalid", "刷新令牌无效", "Refresh token invalid",
    /// A spent refresh token came back: the session is revoked.
    RefreshTokenReused = "refresh_token_reused", "刷新令牌被重复使用", "Refresh token reused",
    /// The call needs a more recent login (registering a passkey).
    ReauthenticationRequired = "reauthentication_required", "需要重新登录", "Reauthentication required",
    /// No such passkey ceremony (expired, finished, never started).
    PasskeyCeremonyUnknown = "passkey_ceremony_unknown", "通行密钥流程已失效", "Passkey ceremony unknown",
    /// The authenticator's answer did not verify.
    PasskeyVerificationFailed = "passkey_verification_failed", "通行密钥验证失败", "Passkey verification failed",
    /// This passkey is already registered.
    PasskeyAlreadyRegistered = "passkey_already_registered", "通行密钥已登记", "Passkey already registered",
    /// The mini-app does not offer passkey login.
    PasskeyNotAllowed = "passkey_not_allowed", "不支持通行密钥登录", "Passkey not allowed",
    /// The user has no passkey with this credential id.
    PasskeyNotFound = "passkey_not_found", "未找到通行密钥", "Passkey not found",
    /// A mini-app owner's request is not signed with a registration's IRS keys (missing,
    /// stale or wrong signature).
    OwnerUnauthenticated = "owner_unauthenticated", "小程序所有者签名无效", "Mini-app owner signature invalid",
    /// The request is signed with another mini-app's registration.
    NotMiniAppOwner = "not_mini_app_owner", "非该小程序的所有者", "Not the mini-app's owner",
    /// The department holds no certificate of this kind for the person.
    CertificateNotHeld = "certificate_not_held", "部门无此证照记录", "No such certificate",
    /// The share request does not exist, expired, or was answered.
    ShareRequestNotFound = "share_request_not_found", "核验请求不存在或已失效", "Share request not found",
    /// The mini-app is not registered as a verifier.
    VerifierNotRegistered = "verifier_not_registered", "未登记为核验方", "Not a registered verifier",
    /// The data consumer's credentials are missing or wrong.
    ConsumerUnauthenticated = "consumer_unauthenticated", "数据使用方身份验证失败", "Consumer not authenticated",
    /// The consumer asked for claims it is not registered for.
    ConsentOverAsked = "consent_over_asked", "超出登记范围的数据申请", "Consent asks beyond the registration",
    /// The consent request does not exist, expired, or was answered.
    ConsentRequestNotFound = "consent_request_not_found", "授权请求不存在或已失效", "Consent request not found",
    /// No such consent.
    ConsentNotFound = "consent_not_found", "授权不存在", "Consent not found",
    /// The consent belongs to another consumer or citizen.
    ConsentNotYours = "consent_not_yours", "无权使用该授权", "Not your consent",
    /// The citizen's approval does not verify (a presentation for other terms, a revoked certificate).
    ConsentApprovalInvalid = "consent_approval_invalid", "授权确认无效", "Consent approval invalid",
    /// The consent cannot change so (a revoked or expired consent is final).
    ConsentStatusConflict = "consent_status_conflict", "授权状态不允许该操作", "Consent status conflict",
    /// A fetch before the consent's window.
    ConsentNotStarted = "consent_not_started", "授权尚未开始", "Consent not started",
    /// A fetch under a consent the citizen paused.
    ConsentPaused = "consent_paused", "授权已暂停", "Consent paused",
    /// A fetch under a consent the citizen revoked.
    ConsentRevoked = "consent_revoked", "授权已撤销", "Consent revoked",
    /// A fetch under an expired consent.
    ConsentExpired = "consent_expired", "授权已过期", "Consent expired",
    /// A second fetch under a one-time consent.
    ConsentUsed = "consent_used", "一次性授权已使用", "Consent used",
    /// More fetches than the consent's frequency allows; `Retry-After` says when.
    ConsentTooOften = "consent_too_often", "超出授权频率", "Consent frequency exceeded",
    /// No such correction.
    CorrectionNotFound = "correction_not_found", "纠错申请不存在", "Correction not found",
    /// A department's decision does not verify under its issuer key, or is malformed.
    CorrectionDecisionInvalid = "correction_decision_invalid", "部门处理结果验证失败", "Correction decision invalid",
    /// The correction was decided otherwise already.
    CorrectionStatusConflict = "correction_status_conflict", "纠错申请状态不允许该操作", "Correction status conflict",
    /// No such form (or no such version of it).
    FormNotFound = "form_not_found", "表单不存在", "Form not found",
    /// The form version takes no more submissions.
    FormClosed = "form_closed", "表单已停止受理", "Form closed",
    /// The answers break the form's rules; `errors` lists each, by path.
    FormAnswersInvalid = "form_answers_invalid", "表单填写有误", "Form answers invalid",
    /// A different submission was sent before under this instance id; `current` is it.
    FormInstanceConflict = "form_instance_conflict", "提交编号已用于另一份提交", "Instance id used for another submission",
    /// The outbox sent a new submission with a sequence number at or below one applied already.
    FormSequenceStale = "form_sequence_stale", "提交序号已过时", "Outbox sequence number stale",
    /// The submission corrected is not the latest of its line any more; `current` is the latest.
    FormSubmissionStale = "form_submission_stale", "所更正的提交已不是最新版本", "Corrected submission is stale",
    /// No such submission of the caller's.
    FormSubmissionNotFound = "form_submission_not_found", "提交记录不存在", "Submission not found",
    /// A department's status of a part does not verify under its issuer key, or is malformed.
    IntakeStatusInvalid = "intake_status_invalid", "部门办理状态验证失败", "Intake status invalid",
    /// A department's status contradicts what it said of the part before.
    IntakeStatusConflict = "intake_status_conflict", "部门办理状态与此前矛盾", "Intake status conflict",
    /// No such policy (or not one the caller may see).
    PolicyNotFound = "policy_not_found", "政策不存在", "Policy not found",
    /// The policy's status does not allow the step (e.g. publishing a draft).
    PolicyStatusConflict = "policy_status_conflict", "政策状态不允许该操作", "Policy status conflict",
    /// The official who drafted a policy may not approve it: a second official must (四眼原则).
    PolicySelfApproval = "policy_self_approval", "起草人不能审核自己的政策", "A drafter cannot approve their own policy",
    /// No such inbox message for this enterprise.
    InboxMessageNotFound = "inbox_message_not_found", "消息不存在", "Inbox message not found",
    /// The enterprise is not in the market regulator's register.
    EnterpriseNotRegistered = "enterprise_not_registered", "未查询到企业登记信息", "Enterprise not registered",
    /// The official's role does not allow the action (on this unit's task).
    SupervisionForbidden = "supervision_forbidden", "无权进行该督查操作", "Not allowed in supervision",
    /// The official holds no position in the organisation tree 政务督查 reads.
    SupervisionNotInOrg = "supervision_not_in_org", "组织架构中没有您的任职信息", "Not in the organisation tree",
    /// No such supervision item (or not one the official may see).
    SupervisionItemNotFound = "supervision_item_not_found", "督查事项不存在", "Supervision item not found",
    /// No such task (or not one the official may see).
    SupervisionTaskNotFound = "supervision_task_not_found", "督查任务不存在", "Supervision task not found",
    /// No such report (or not one the official may see).
    SupervisionReportNotFound = "supervision_report_not_found", "进展报告不存在", "Progress report not found",
    /// The task is done or cancelled, or its item closed: it takes no report or change.
    SupervisionTaskClosed = "supervision_task_closed", "任务已办结或已撤销", "Task closed",
    /// An earlier report of the task waits for the unit's leader.
    SupervisionReportPending = "supervision_report_pending", "上一份进展报告尚待审核", "A report is pending",
    /// The report was decided already.
    SupervisionReportDecided = "supervision_report_decided", "该报告已审核", "Report decided",
    /// The calendar clock of this deployment cannot be moved (not a development deployment).
    DevClockOff = "dev_clock_off", "当前部署不支持调整时钟", "The clock cannot be moved",
    /// A department did not answer (down, slow, failing); try again later.
    DepartmentUnavailable = "department_unavailable", "部门系统暂不可用", "Department unavailable",
    /// Too many requests; `Retry-After` says when to try again.
    RateLimited = "rate_limited", "请求过于频繁", "Too many requests",
    /// No such route.
    NotFound = "not_found", "未找到", "Not found",
    /// The government platform did not answer.
    PlatformUnavailable = "platform_unavailable", "政务平台暂不可用", "Platform unavailable",
    /// The platform refused the BFF's own credentials.
    PlatformCredentialsRejected = "platform_credentials_rejected", "政务平台拒绝了本服务", "Platform refused the BFF",
    /// Storage is unreachable.
    StorageUnavailable = "storage_unavailable", "服务暂不可用", "Storage unavailable",
    /// Anything else; quote the request id.
    Internal = "internal", "内部错误", "Internal error",
}

impl ProblemCode {
    /// Whether the code ends a login attempt (restart the login).
    pub fn is_login_refusal(self) -> bool {
        matches!(
            self,
            Self::TicketExpired
                | Self::TicketInvalid
                | Self::TicketOtherApp
                | Self::TicketRejected
                | Self::AuthCodeInvalid
                | Self::AuthCodeOtherApp
                | Self::UserKindNotAllowed
                | Self::PasskeyCeremonyUnknown
                | Self::PasskeyVerificationFailed
                | Self::PasskeyAlreadyRegistered
                | Self::PasskeyNotAllowed
        )
    }
}

impl std::fmt::Display for ProblemCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_reads_back_as_itself_and_is_snake_case() {
        for code in ProblemCode::ALL {
            assert_eq!(ProblemCode::parse(code.as_str()), Some(*code));
            assert!(code
                .as_str()
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'_'));
        }
        assert_eq!(ProblemCode::parse("a_code_from_a_newer_server"), None);
    }
}
