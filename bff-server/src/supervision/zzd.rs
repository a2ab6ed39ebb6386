//! 浙政钉 as supervision uses it: the organisation tree (walked from the root, in batches),
//! work notifications and to-dos. Every call is signed as the mini-app the item belongs to,
//! with that app's cached app token (renewed once if the platform ended it early).

use async_trait::async_trait;
use platform_api::registration::AppRegistration;
use platform_api::zzd::{
    self, codes, Employee, EmployeeAccount, MessageSent, Page, TodoCreated, WorkMessage,
};
use zhelikit_domain::supervision::{Person, Unit};

use crate::identity::platform::{HttpPlatformClient, PlatformError};

/// Codes asked for per batch call (the platform's page limit).
const BATCH: usize = 100;

/// The tree as 浙政钉 has it.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Every unit, parents before children.
    pub units: Vec<Unit>,
    /// Everyone at their main position.
    pub people: Vec<Person>,
}

/// A to-do to create.
#[derive(Debug, Clone)]
pub struct NewTodo<'a> {
    /// Our id of it, which makes creating it again harmless.
    pub biz_task_id: &'a str,
    /// What is asked.
    pub subject: &'a str,
    /// Who asks (account id).
    pub creator: i64,
    /// Who must do it (account id).
    pub assignee: i64,
    /// The page it opens.
    pub url: &'a str,
    /// Its due time, Unix milliseconds.
    pub due_ms: Option<i64>,
}

/// 浙政钉's organisation and messaging APIs.
#[async_trait]
pub trait ZzdWork: Send + Sync + 'static {
    /// The whole tree of `tenant`.
    async fn org_tree(&self, app: &AppRegistration, tenant: i64)
        -> Result<Snapshot, PlatformError>;
    /// Sends a work notification once per `biz_msg_id`; 浙政钉's id of it.
    async fn notify(
        &self,
        app: &AppRegistration,
        tenant: i64,
        biz_msg_id: &str,
        receivers: &[i64],
        msg: &WorkMessage,
    ) -> Result<String, PlatformError>;
    /// Creates a to-do once per `biz_task_id`; 浙政钉's id of it.
    async fn create_todo(
        &self,
        app: &AppRegistration,
        tenant: i64,
        todo: &NewTodo<'_>,
    ) -> Result<String, PlatformError>;
    /// Finishes (`finish`) or cancels a to-do; closing a closed one is harmless.
    async fn close_todo(
        &self,
        app: &AppRegistration,
        tenant: i64,
        task_uuid: &str,
        assignee: i64,
        finish: bool,
    ) -> Result<(), PlatformError>;
}

impl HttpPlatformClient {
    /// A call made with the app token, renewed once when the platform says it ended.
    async fn with_token<T: serde::de::DeserializeOwned>(
        &self,
        app: &AppRegistration,
        path: &str,
        params: &[(&str, &str)],
    ) -> Result<T, PlatformError> {
        let call = |token: String| async move {
            let mut all: Vec<(&str, &str)> = Vec::with_capacity(params.len() + 1);
            all.push(("access_token", token.as_str()));
            all.extend_from_slice(params);
            self.zzd_call::<T>(app, "POST", path, &all).await
        };
        let token = self.zzd_token(app).await?;
        match call(token).await {
            Err(PlatformError::AuthCodeRejected { code, .. })
                if code == codes::ACCESS_TOKEN_INVALID =>
            {
                self.forget_zzd_token(app).await;
                let token = self.zzd_token(app).await?;
                call(token).await
            }
            other => other,
        }
    }

    /// Every code of a paged listing.
    async fn all_pages(
        &self,
        app: &AppRegistration,
        path: &str,
        tenant: &str,
        organisation: &str,
    ) -> Result<Vec<String>, PlatformError> {
        let mut codes = Vec::new();
        for page_no in 1u64.. {
            let page_no = page_no.to_string();
            let size = BATCH.to_string();
            let page: Page = self
                .with_token(
                    app,
                    path,
                    &[
                        ("tenantId", tenant),
                        ("organizationCode", organisation),
                        ("pageNo", &page_no),
                        ("pageSize", &size),
                    ],
                )
                .await?;
            let got = page.data.len();
            codes.extend(page.data);
            if got == 0 || codes.len() as u64 >= page.total_size {
                break;
            }
        }
        Ok(codes)
    }
}

#[async_trait]
impl ZzdWork for HttpPlatformClient {
    async fn org_tree(
        &self,
        app: &AppRegistration,
        tenant: i64,
    ) -> Result<Snapshot, PlatformError> {
        let tenant = tenant.to_string();
        let root: zzd::Organisation = self
            .with_token(app, zzd::ROOT_ORGANIZATION_PATH, &[("tenantId", &tenant)])
            .await?;
        let mut units = vec![Unit {
            code: root.organization_code.clone(),
            name: root.organization_name.clone(),
            parent: None,
        }];
        // Breadth first: a unit's children are listed, then fetched in batches.
        let mut at = 0;
        while at < units.len() {
            let parent = units[at].code.clone();
            at += 1;
            let children = self
                .all_pages(app, zzd::SUB_ORGANIZATION_CODES_PATH, &tenant, &parent)
                .await?;
            for chunk in children.chunks(BATCH) {
                let list = chunk.join(",");
                let found: Vec<zzd::Organisation> = self
                    .with_token(
                        app,
                        zzd::ORGANIZATIONS_BY_CODES_PATH,
                        &[("tenantId", &tenant), ("organizationCodes", &list)],
                    )
                    .await?;
                units.extend(found.into_iter().map(|o| Unit {
                    code: o.organization_code,
                    name: o.organization_name,
                    parent: Some(parent.clone()),
                }));
            }
            if units.len() > 100_000 {
                return Err(PlatformError::Malformed(
                    "the organisation tree does not end".into(),
                ));
            }
        }
        let mut employee_codes = Vec::new();
        for unit in &units {
            employee_codes.extend(
                self.all_pages(
                    app,
                    zzd::ORGANIZATION_EMPLOYEE_CODES_PATH,
                    &tenant,
                    &unit.code,
                )
                .await?,
            );
        }
        // Once each, in the order the platform lists them (a unit's head first).
        let mut seen = std::collections::HashSet::new();
        employee_codes.retain(|c| seen.insert(c.clone()));
        let mut people = Vec::with_capacity(employee_codes.len());
        for chunk in employee_codes.chunks(BATCH) {
            let list = chunk.join(",");
            let employees: Vec<Employee> = self
                .with_token(
                    app,
                    zzd::EMPLOYEES_BY_CODES_PATH,
                    &[("tenantId", &tenant), ("employeeCodes", &list)],
                )
                .await?;
            let accounts: Vec<EmployeeAccount> = self
                .with_token(
                    app,
                    zzd::EMPLOYEE_ACCOUNT_IDS_PATH,
                    &[("tenantId", &tenant), ("employeeCodes", &list)],
                )
                .await?;
            for e in employees {
                let Some(account) = accounts.iter().find(|a| a.employee_code == e.employee_code)
                else {
                    continue;
                };
                let Some(position) = e
                    .positions
                    .iter()
                    .find(|p| p.main_job)
                    .or_else(|| e.positions.first())
                else {
                    continue;
                };
                people.push(Person {
                    employee_code: e.employee_code.clone(),
                    account_id: account.account_id,
                    name: e.employee_name.clone(),
                    unit: position.organization_code.clone(),
                    title: position.job_title.clone(),
                    leader: position.leader,
                });
            }
        }
        Ok(Snapshot { units, people })
    }

    async fn notify(
        &self,
        app: &AppRegistration,
        tenant: i64,
        biz_msg_id: &str,
        receivers: &[i64],
        msg: &WorkMessage,
    ) -> Result<String, PlatformError> {
        let tenant = tenant.to_string();
        let receivers = receivers
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let msg =
            serde_json::to_string(msg).map_err(|e| PlatformError::Malformed(e.to_string()))?;
        let sent: MessageSent = self
            .with_token(
                app,
                zzd::WORK_NOTIFICATION_PATH,
                &[
                    ("tenantId", &tenant),
                    ("receiverIds", &receivers),
                    ("bizMsgId", biz_msg_id),
                    ("msg", &msg),
                ],
            )
            .await?;
        Ok(sent.msg_id)
    }

    async fn create_todo(
        &self,
        app: &AppRegistration,
        tenant: i64,
        todo: &NewTodo<'_>,
    ) -> Result<String, PlatformError> {
        let tenant = tenant.to_string();
        let creator = todo.creator.to_string();
        let assignee = todo.assignee.to_string();
        let due = todo.due_ms.map(|d| d.to_string());
        let mut params = vec![
            ("tenantId", tenant.as_str()),
            ("subject", todo.subject),
            ("creatorId", &creator),
            ("assigneeId", &assignee),
            ("bizTaskId", todo.biz_task_id),
            ("url", todo.url),
            ("mobileUrl", todo.url),
        ];
        if let Some(due) = &due {
            params.push(("dueDate", due));
        }
        let created: TodoCreated = self.with_token(app, zzd::TODO_CREATE_PATH, &params).await?;
        Ok(created.task_uuid)
    }

    async fn close_todo(
        &self,
        app: &AppRegistration,
        tenant: i64,
        task_uuid: &str,
        assignee: i64,
        finish: bool,
    ) -> Result<(), PlatformError> {
        let tenant = tenant.to_string();
        let assignee = assignee.to_string();
        let path = if finish {
            zzd::TODO_FINISH_PATH
        } else {
            zzd::TODO_CANCEL_PATH
        };
        let closed: Result<bool, PlatformError> = self
            .with_token(
                app,
                path,
                &[
                    ("tenantId", &tenant),
                    ("taskUuid", task_uuid),
                    ("userId", &assignee),
                ],
            )
            .await;
        match closed {
            Ok(_) => Ok(()),
            // Closed the other way already (finished before it was cancelled): nothing to do.
            Err(PlatformError::AuthCodeRejected { code, .. }) if code == codes::TODO_CLOSED => {
                Ok(())
            }
            Err(e) => Err(e),
        }
    }
}
