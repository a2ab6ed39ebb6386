//! Every path of the ZheliKit HTTP API, written once: the BFF routes and documents them, the
//! SDK and the tests call them, so a renamed endpoint cannot leave a caller behind. Paths with a
//! parameter are OpenAPI/axum templates (`{credential_id}`) with a function that fills them in.

/// `POST`: log in with a 浙里办 personal SSO ticket (个人用户单点登录).
pub const ZLB_TICKET: &str = "/v1/auth/zlb/ticket";
/// `POST`: log in with a 浙里办 legal-person SSO ticket (法人用户单点登录).
pub const ZLB_LEGAL_TICKET: &str = "/v1/auth/zlb/legal-ticket";
/// `POST`: log in with the `ticketId` of the 浙里办 mini-program container.
pub const ZLB_TICKET_ID: &str = "/v1/auth/zlb/ticket-id";
/// `POST`: log in an official with a 浙政钉 免登 auth code.
pub const ZZD_AUTH_CODE: &str = "/v1/auth/zzd/auth-code";
/// `POST`: rotate a refresh token.
pub const REFRESH: &str = "/v1/auth/refresh";
/// `POST`: end this session.
pub const LOGOUT: &str = "/v1/auth/logout";
/// `POST`: end every session of the user.
pub const LOGOUT_ALL: &str = "/v1/auth/logout-all";
/// `POST`: begin a passkey login.
pub const PASSKEY_LOGIN_START: &str = "/v1/auth/passkey/start";
/// `POST`: finish a passkey login.
pub const PASSKEY_LOGIN_FINISH: &str = "/v1/auth/passkey/finish";
/// `GET`: the current user.
pub const ME: &str = "/v1/me";
/// `GET`: the user's passkeys.
pub const PASSKEYS: &str = "/v1/passkeys";
/// `POST`: begin registering a passkey.
pub const PASSKEY_REGISTRATION_START: &str = "/v1/passkeys/registration/start";
/// `POST`: finish registering a passkey.
pub const PASSKEY_REGISTRATION_FINISH: &str = "/v1/passkeys/registration/finish";
/// `PATCH` renames, `DELETE` removes one passkey; see [`passkey`].
pub const PASSKEY: &str = "/v1/passkeys/{credential_id}";
/// `GET`: the home screen (首页), aggregated from the departments.
pub const HOME: &str = "/v1/home";
/// `POST`: a batch of the mini-app's `ZwLog` events (埋点), from its session's phone.
pub const ANALYTICS_EVENTS: &str = "/v1/analytics/events";
/// `GET`: a mini-app's page views and events, for its owner (IRS-signed with the mini-app's
/// registration); see [`analytics_report`].
pub const ANALYTICS_REPORT: &str = "/v1/analytics/mini-apps/{mini_app_id}/report";
/// `POST`: pull the e-certificate of a kind, bound to the device's key; see [`vault_certificate`].
pub const VAULT_CERTIFICATE: &str = "/v1/vault/certificates/{kind}";
/// `GET`: every department's issuer keys (public: for verifiers).
pub const VAULT_ISSUERS: &str = "/v1/vault/issuers";
/// `POST`: an online verifier checks a presentation.
pub const VAULT_VERIFICATIONS: &str = "/v1/vault/verifications";
/// `POST`: a registered verifier asks a holder for claims.
pub const VAULT_SHARE_REQUESTS: &str = "/v1/vault/share-requests";
/// `GET`: a share request, for the holder; see [`vault_share_request`].
pub const VAULT_SHARE_REQUEST: &str = "/v1/vault/share-requests/{id}";
/// `POST`: the holder's answer to a share request; see [`vault_share_response`].
pub const VAULT_SHARE_RESPONSE: &str = "/v1/vault/share-requests/{id}/response";
/// `GET`: where a share request stands, for its verifier; see [`vault_share_result`].
pub const VAULT_SHARE_RESULT: &str = "/v1/vault/share-requests/{id}/result";
/// `GET`: a department's signed status list (public); see [`vault_status`].
pub const VAULT_STATUS: &str = "/v1/vault/status/{department}";
/// The platform's consent-signing key (GET, public): artefacts, notices and the platform's key
/// binding of fetched data verify under it.
pub const VAULT_CONSENT_KEY: &str = "/v1/vault/consent-key";
/// A data consumer asks a citizen for consent (POST, consumer credentials).
pub const VAULT_CONSUMER_CONSENT_REQUESTS: &str = "/v1/vault/consumers/consent-requests";
/// A consent as its consumer sees it (GET, consumer credentials).
pub const VAULT_CONSUMER_CONSENT: &str = "/v1/vault/consumers/consents/{id}";
/// A fetch under a consent (POST, consumer credentials): the data sealed to the consumer.
pub const VAULT_CONSUMER_CONSENT_FETCHES: &str = "/v1/vault/consumers/consents/{id}/fetches";
/// A consent request as the citizen sees it (GET, citizen session).
pub const VAULT_CONSENT_REQUEST: &str = "/v1/vault/consent-requests/{id}";
/// The citizen's decision on a consent request (POST, citizen session).
pub const VAULT_CONSENT_DECISION: &str = "/v1/vault/consent-requests/{id}/decision";
/// The citizen's consents (GET, citizen session).
pub const VAULT_CONSENTS: &str = "/v1/vault/consents";
/// Pause, resume or revoke a consent (POST, citizen session).
pub const VAULT_CONSENT_STATUS: &str = "/v1/vault/consents/{id}/status";
/// The citizen's corrections (数据纠错): `POST` files one, `GET` lists them (citizen session).
pub const VAULT_CORRECTIONS: &str = "/v1/vault/corrections";
/// A department's signed decision on a correction (`POST`, signed with its issuer key).
pub const VAULT_CORRECTION_DECISIONS: &str = "/v1/vault/corrections/decisions";
/// The citizen's complaints and deletion requests: `POST` raises one, `GET` lists them.
pub const VAULT_OBJECTIONS: &str = "/v1/vault/objections";
/// `GET`: what happened at the platform about the citizen with no device involved.
pub const VAULT_ACTIVITY: &str = "/v1/vault/activity";
/// `GET`: who the official is in 政务督查 (role, unit) and what they may do.
pub const SUPERVISION_ME: &str = "/v1/supervision/me";
/// `GET`: the units tasks may go to and the leaders who may own an item.
pub const SUPERVISION_ORG: &str = "/v1/supervision/org";
/// `POST`: open a supervision item (立项); `GET`: the items the official sees.
pub const SUPERVISION_ITEMS: &str = "/v1/supervision/items";
/// `GET`: an item with its task tree, reports and history.
pub const SUPERVISION_ITEM: &str = "/v1/supervision/items/{item_id}";
/// `POST`: dispatch an item's tasks (交办) or decompose a task (分解).
pub const SUPERVISION_ITEM_TASKS: &str = "/v1/supervision/items/{item_id}/tasks";
/// `GET`: the official's open tasks, due soonest first.
pub const SUPERVISION_TASKS: &str = "/v1/supervision/tasks";
/// `POST`: move a task under another (调整).
pub const SUPERVISION_TASK_MOVE: &str = "/v1/supervision/tasks/{task_id}/move";
/// `POST`: cancel a task (撤销).
pub const SUPERVISION_TASK_CANCEL: &str = "/v1/supervision/tasks/{task_id}/cancel";
/// `POST`: report a task's progress (反馈).
pub const SUPERVISION_TASK_REPORTS: &str = "/v1/supervision/tasks/{task_id}/reports";
/// `POST`: urge a task's unit (催办).
pub const SUPERVISION_TASK_URGE: &str = "/v1/supervision/tasks/{task_id}/urge";
/// `POST`: approve or send back a report (审核).
pub const SUPERVISION_REPORT_DECISION: &str = "/v1/supervision/reports/{report_id}/decision";
/// `GET`: the city-wide figures.
pub const SUPERVISION_DASHBOARD: &str = "/v1/supervision/dashboard";
/// `GET`: the same figures as an `.xlsx` report.
pub const SUPERVISION_EXPORT: &str = "/v1/supervision/dashboard/export";
/// `GET`: the calendar clock; `POST {"seconds": N}`: move it forward (development only).
pub const DEV_CLOCK: &str = "/v1/dev/clock";
/// `GET`: the forms the person may fill (一表通).
pub const FORMS: &str = "/v1/forms";
/// `GET`: a form's open version.
pub const FORM: &str = "/v1/forms/{form_id}";
/// `GET`: one version of a form (a draft begun on it opens on it).
pub const FORM_VERSION: &str = "/v1/forms/{form_id}/versions/{version}";
/// `GET`: a new draft of the form's open version, filled from the government's records and
/// the person's last submission (一表通), with where each answer came from.
pub const FORM_PREFILL: &str = "/v1/forms/{form_id}/prefill";
/// `POST`: a finalized submission of the form, from the device's outbox.
pub const FORM_SUBMISSIONS: &str = "/v1/forms/{form_id}/submissions";
/// `GET`: the person's submissions, newest first.
pub const SUBMISSIONS: &str = "/v1/submissions";
/// `GET`: one submission and where each department's part stands.
pub const SUBMISSION: &str = "/v1/submissions/{instance_id}";
/// `POST`: a department's signed status of a part of a submission (一件事).
pub const INTAKE_STATUS: &str = "/v1/intake/status";
/// `GET`: liveness.
pub const HEALTHZ: &str = "/healthz";
/// `GET`: the enterprise's profile (企业画像) and where each part came from.
pub const ENTERPRISE_PROFILE: &str = "/v1/enterprise/profile";
/// `GET`: the published policies that match the enterprise, each with why.
pub const ENTERPRISE_POLICIES: &str = "/v1/enterprise/policies";
/// `POST`: an official drafts a policy; `GET`: the policies of the official's organisation.
pub const POLICIES: &str = "/v1/policies";
/// `GET`: one policy with its history; `PUT`: edit a draft.
pub const POLICY: &str = "/v1/policies/{id}";
/// `POST`: a lifecycle step (submit, approve, return, publish, withdraw).
pub const POLICY_STEPS: &str = "/v1/policies/{id}/steps";
/// `GET ?after={cursor}&limit={n}`: the enterprise's inbox after a cursor.
pub const INBOX: &str = "/v1/inbox";
/// `POST`: the enterprise read a message.
pub const INBOX_READ: &str = "/v1/inbox/{id}/read";
/// `POST`: the enterprise opened a message (from a notification or the list).
pub const INBOX_OPENED: &str = "/v1/inbox/{id}/opened";
/// `POST`: the enterprise started a claim from a message (followed the claim link).
pub const INBOX_CLAIMED: &str = "/v1/inbox/{id}/claimed";
/// `PUT`: register (or replace) the device's push token; `DELETE`: unregister it.
pub const DEVICE: &str = "/v1/devices/{device_id}";
/// `POST`: how many enterprises criteria match, by county and industry, with examples.
pub const POLICY_PREVIEW: &str = "/v1/policies/preview";
/// `GET`: readiness (storage reachable).
pub const READYZ: &str = "/readyz";
/// `GET`: Prometheus metrics.
pub const METRICS: &str = "/metrics";
/// `GET`: the public keys access tokens are signed with.
pub const JWKS: &str = "/.well-known/jwks.json";
/// `GET`: the OpenAPI document of all of the above.
pub const OPENAPI: &str = "/openapi.json";

/// [`PASSKEY`] for one credential id. The id is base64url (what WebAuthn produces), which needs
/// no escaping in a path; anything else is percent-encoded so it cannot reach another route.
pub fn passkey(credential_id: &str) -> String {
    PASSKEY.replace("{credential_id}", &segment(credential_id))
}

/// `value` as one path segment: letters, digits, `-` and `_` as they are, every other byte
/// percent-encoded, so an id cannot climb out of its template.
fn segment(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
            escaped.push(char::from(b));
        } else {
            escaped.push_str(&format!("%{b:02X}"));
        }
    }
    escaped
}

/// [`VAULT_CERTIFICATE`] for one kind (`driving_licence` …).
pub fn vault_certificate(kind: &str) -> String {
    VAULT_CERTIFICATE.replace("{kind}", kind)
}

/// [`VAULT_SHARE_REQUEST`] for request `id`.
pub fn vault_share_request(id: &str) -> String {
    VAULT_SHARE_REQUEST.replace("{id}", id)
}

/// [`VAULT_SHARE_RESPONSE`] for request `id`.
pub fn vault_share_response(id: &str) -> String {
    VAULT_SHARE_RESPONSE.replace("{id}", id)
}

/// [`VAULT_SHARE_RESULT`] for request `id`.
pub fn vault_share_result(id: &str) -> String {
    VAULT_SHARE_RESULT.replace("{id}", id)
}

/// [`VAULT_CONSUMER_CONSENT`] for consent `id`.
pub fn vault_consumer_consent(id: &str) -> String {
    VAULT_CONSUMER_CONSENT.replace("{id}", id)
}

/// [`VAULT_CONSUMER_CONSENT_FETCHES`] for consent `id`.
pub fn vault_consumer_consent_fetches(id: &str) -> String {
    VAULT_CONSUMER_CONSENT_FETCHES.replace("{id}", id)
}

/// [`VAULT_CONSENT_REQUEST`] for request `id`.
pub fn vault_consent_request(id: &str) -> String {
    VAULT_CONSENT_REQUEST.replace("{id}", id)
}

/// [`VAULT_CONSENT_DECISION`] for request `id`.
pub fn vault_consent_decision(id: &str) -> String {
    VAULT_CONSENT_DECISION.replace("{id}", id)
}

/// [`VAULT_CONSENT_STATUS`] for consent `id`.
pub fn vault_consent_status(id: &str) -> String {
    VAULT_CONSENT_STATUS.replace("{id}", id)
}

/// [`VAULT_STATUS`] for one department (`transport` …).
pub fn vault_status(department: &str) -> String {
    VAULT_STATUS.replace("{department}", department)
}

/// [`ANALYTICS_REPORT`] for one mini-app (ids are checked `[a-z0-9-]`, which needs no escaping).
pub fn analytics_report(mini_app_id: &str) -> String {
    ANALYTICS_REPORT.replace("{mini_app_id}", mini_app_id)
}

/// [`SUPERVISION_ITEM`] for item `id`.
pub fn supervision_item(id: &str) -> String {
    SUPERVISION_ITEM.replace("{item_id}", &segment(id))
}

/// [`SUPERVISION_ITEM_TASKS`] for item `id`.
pub fn supervision_item_tasks(id: &str) -> String {
    SUPERVISION_ITEM_TASKS.replace("{item_id}", &segment(id))
}

/// [`SUPERVISION_TASK_MOVE`] for task `id`.
pub fn supervision_task_move(id: &str) -> String {
    SUPERVISION_TASK_MOVE.replace("{task_id}", &segment(id))
}

/// [`SUPERVISION_TASK_CANCEL`] for task `id`.
pub fn supervision_task_cancel(id: &str) -> String {
    SUPERVISION_TASK_CANCEL.replace("{task_id}", &segment(id))
}

/// [`SUPERVISION_TASK_REPORTS`] for task `id`.
pub fn supervision_task_reports(id: &str) -> String {
    SUPERVISION_TASK_REPORTS.replace("{task_id}", &segment(id))
}

/// [`SUPERVISION_TASK_URGE`] for task `id`.
pub fn supervision_task_urge(id: &str) -> String {
    SUPERVISION_TASK_URGE.replace("{task_id}", &segment(id))
}

/// [`SUPERVISION_REPORT_DECISION`] for report `id`.
pub fn supervision_report_decision(id: &str) -> String {
    SUPERVISION_REPORT_DECISION.replace("{report_id}", &segment(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_credential_id_fills_the_template_and_cannot_climb_out_of_it() {
        assert_eq!(passkey("AbC-_9"), "/v1/passkeys/AbC-_9");
        assert_eq!(passkey("../me"), "/v1/passkeys/%2E%2E%2Fme");
    }
}
