//! 政务督查 on 浙政钉, the BFF's part: items opened by city leaders or the office (`items`),
//! decomposed into task trees dispatched to units of the organisation tree (`tasks`), the
//! units' progress reports and their leaders' decisions (`reports`), reminders, urging and
//! escalation sent as work notifications and to-dos through the one durable job mechanism
//! (`nudges`), and the leaders' figures with their `.xlsx` export (`dashboard`).
//!
//! Who may do what is the shared crate's rule ([`zhelikit_domain::supervision::access`]) over
//! the role the organisation tree gives the official, read from 浙政钉 (`org`), never from
//! what the client says. Every change is one transaction with its history line, which the
//! item shows (who, when, what).

pub mod dashboard;
pub mod items;
pub mod nudges;
pub mod org;
pub mod reports;
pub mod tasks;
mod view;
pub mod zzd;

use std::sync::Arc;

use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhelikit_domain::api::UserKind;
use zhelikit_domain::lang::Text;
use zhelikit_domain::problem_code::ProblemCode;
use zhelikit_domain::scope::Scope;
use zhelikit_domain::supervision::{allows, refusal, Action, Org, Person, Role};

use crate::app::AppState;
use crate::http::problem::ApiError;
use crate::identity::auth::Authenticated;
use crate::identity::users::user_profile;
use crate::storage::StoredTask;
use view::Model;

pub use org::Directory;

/// The supervision routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(items::me))
        .routes(routes!(items::org_view))
        .routes(routes!(items::create, items::list))
        .routes(routes!(items::one))
        .routes(routes!(tasks::dispatch))
        .routes(routes!(tasks::mine))
        .routes(routes!(tasks::move_task))
        .routes(routes!(tasks::cancel))
        .routes(routes!(reports::report))
        .routes(routes!(reports::decide))
        .routes(routes!(nudges::urge))
        .routes(routes!(dashboard::figures))
        .routes(routes!(dashboard::export))
}

/// The official acting, as the tree has them now.
pub(crate) struct Actor {
    /// Who.
    pub person: Person,
    /// Their role.
    pub role: Role,
    /// The tree read.
    pub org: Arc<Org>,
    /// The mini-app of the session.
    pub mini_app: String,
}

impl Actor {
    /// Refuses unless the role may do `action` (on a task of `unit`).
    pub fn may(&self, action: Action, unit: Option<&str>) -> Result<(), ApiError> {
        if allows(&self.org, &self.role, action, unit) {
            Ok(())
        } else {
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                ProblemCode::SupervisionForbidden,
                refusal(&self.role, action),
            ))
        }
    }

    /// The actions of `candidates` the role may take on a task of `unit`.
    pub fn actions(&self, candidates: &[Action], unit: Option<&str>) -> Vec<Action> {
        candidates
            .iter()
            .copied()
            .filter(|a| allows(&self.org, &self.role, *a, unit))
            .collect()
    }
}

/// The official of the session, with their role from the tree; a citizen or enterprise
/// session, or one without the `supervision` scope, is refused.
pub(crate) async fn actor(state: &AppState, auth: &Authenticated) -> Result<Actor, ApiError> {
    let claims = auth.require(Scope::Supervision)?;
    let user = user_profile(state, auth.user_id()?).await?;
    let official = match (&user.profile.kind, &user.profile.official) {
        (UserKind::Official, Some(o)) => o,
        _ => {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                ProblemCode::UserKindNotAllowed,
                Text::new(
                    "政务督查仅供浙政钉工作人员使用",
                    "supervision is for officials (浙政钉) only",
                ),
            ))
        }
    };
    let org = state.supervision.org(state, &claims.aud).await?;
    let person = org
        .person(&official.employee_code)
        .cloned()
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::FORBIDDEN,
                ProblemCode::SupervisionNotInOrg,
                Text::new(
                    "组织架构中没有您的任职信息，请联系本单位管理员",
                    "the organisation tree has no position of yours",
                ),
            )
        })?;
    let role = org.role(&person);
    Ok(Actor {
        person,
        role,
        org,
        mini_app: claims.aud.clone(),
    })
}

/// The task `id` and its item, if `a` may see the task (a task of another unit reads as
/// absent).
pub(crate) async fn visible_task(
    state: &AppState,
    a: &Actor,
    id: &str,
) -> Result<(StoredTask, Model), ApiError> {
    let t = state
        .store
        .supervision_task(id)
        .await?
        .ok_or_else(|| task_not_found(id))?;
    if a.may(Action::View, Some(&t.unit_code)).is_err() {
        return Err(task_not_found(id));
    }
    let model = Model::load(state, &t.item_id)
        .await?
        .ok_or_else(|| item_not_found(&t.item_id))?;
    Ok((t, model))
}

/// A new id: `prefix` and 16 hex digits.
pub(crate) fn new_id(prefix: &str) -> String {
    format!("{prefix}{:016x}", rand::random::<u64>())
}

fn not_found(code: ProblemCode, what: &str, id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        code,
        Text::new(
            format!("没有编号为 {id} 的{what}"),
            format!("no {what} {id}"),
        ),
    )
}

/// No item `id` (or not one the official sees).
pub(crate) fn item_not_found(id: &str) -> ApiError {
    not_found(ProblemCode::SupervisionItemNotFound, "督查事项", id)
}

/// No task `id` (or not one the official sees).
pub(crate) fn task_not_found(id: &str) -> ApiError {
    not_found(ProblemCode::SupervisionTaskNotFound, "督查任务", id)
}

/// No report `id` (or not one the official sees).
pub(crate) fn report_not_found(id: &str) -> ApiError {
    not_found(ProblemCode::SupervisionReportNotFound, "进展报告", id)
}

/// The task is done or cancelled.
pub(crate) fn task_closed(status: &str) -> ApiError {
    let zh = match status {
        "done" => "任务已办结，不能再报送或调整",
        _ => "任务已撤销，不能再报送或调整",
    };
    ApiError::new(
        StatusCode::CONFLICT,
        ProblemCode::SupervisionTaskClosed,
        Text::new(zh, format!("the task is {status}")),
    )
}
