//! Items (督查事项): who the official is here, the tree's units and leaders for the pickers,
//! opening an item (立项), the items an official sees, and one item whole — its task tree,
//! reports, history and notices.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use zhelikit_domain::api::Problem;
use zhelikit_domain::input;
use zhelikit_domain::paths;
use zhelikit_domain::supervision::wire::{
    ItemList, ItemView, NewItem, OrgView, PersonView, SupervisionMe, UnitView,
};
use zhelikit_domain::supervision::{Action, ItemDraft};

use super::view::{event_view, notice_view, pending_by_task, report_view, Model};
use super::{actor, item_not_found, new_id, Actor};
use crate::app::AppState;
use crate::http::json::ApiJson;
use crate::http::problem::ApiError;
use crate::identity::auth::Authenticated;
use crate::storage::{StoredEvent, StoredItem, StoredTask};

/// Who the official is in supervision, and what they may do.
#[utoipa::path(get, path = paths::SUPERVISION_ME, tag = "supervision", security(("bearer" = [])),
    responses((status = 200, body = SupervisionMe),
        (status = 403, description = "missing_scope, user_kind_not_allowed, supervision_not_in_org", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "platform_unavailable", body = Problem, content_type = "application/problem+json")))]
pub async fn me(
    State(state): State<AppState>,
    auth: Authenticated,
) -> Result<Json<SupervisionMe>, ApiError> {
    let a = actor(&state, &auth).await?;
    let unit = a.person.unit.clone();
    let may = Action::ALL
        .into_iter()
        .filter(|action| {
            zhelikit_domain::supervision::allows(&a.org, &a.role, *action, Some(&unit))
        })
        .collect();
    Ok(Json(SupervisionMe {
        role_name: a.role.zh().to_string(),
        role: a.role.clone(),
        name: a.person.name.clone(),
        unit_name: a.org.unit_name(&unit).to_string(),
        unit,
        may,
    }))
}

/// The units of the tree (parents first) and the city's leaders: what the pickers offer.
#[utoipa::path(get, path = paths::SUPERVISION_ORG, tag = "supervision", security(("bearer" = [])),
    responses((status = 200, body = OrgView),
        (status = 403, description = "missing_scope, user_kind_not_allowed, supervision_not_in_org", body = Problem, content_type = "application/problem+json")))]
pub async fn org_view(
    State(state): State<AppState>,
    auth: Authenticated,
) -> Result<Json<OrgView>, ApiError> {
    let a = actor(&state, &auth).await?;
    let mut units: Vec<UnitView> = a
        .org
        .units()
        .map(|u| UnitView {
            code: u.code.clone(),
            name: u.name.clone(),
            parent: u.parent.clone(),
            depth: a
                .org
                .depth(&u.code)
                .and_then(|d| u32::try_from(d).ok())
                .unwrap_or(0),
        })
        .collect();
    units.sort_by(|x, y| x.depth.cmp(&y.depth).then(x.name.cmp(&y.name)));
    let leaders = a
        .org
        .city_leaders()
        .into_iter()
        .map(|p| PersonView {
            employee_code: p.employee_code.clone(),
            name: p.name.clone(),
            title: p.title.clone(),
        })
        .collect();
    Ok(Json(OrgView {
        units,
        leaders,
        office: a.org.office().to_string(),
    }))
}

/// A city leader or the office opens an item. Sent again with the same `request_id`, the
/// item made the first time is answered (200).
#[utoipa::path(post, path = paths::SUPERVISION_ITEMS, tag = "supervision", security(("bearer" = [])),
    request_body = NewItem,
    responses((status = 201, body = ItemView), (status = 200, description = "made before under this request_id", body = ItemView),
        (status = 400, description = "invalid_field (request_id, title, source, description, owner, due, indicators.*, attachments)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "supervision_forbidden, missing_scope, user_kind_not_allowed", body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    State(state): State<AppState>,
    auth: Authenticated,
    ApiJson(body): ApiJson<NewItem>,
) -> Result<(StatusCode, Json<ItemView>), ApiError> {
    let a = actor(&state, &auth).await?;
    a.may(Action::CreateItem, None)?;
    let request_id = input::request_id(&body.request_id)?;
    let today = state.clock.today();
    let draft: ItemDraft = body.item;
    let checked = draft.check(&a.org, today)?;
    let owner = a
        .org
        .person(&draft.owner)
        .map(|p| p.name.clone())
        .unwrap_or_default();
    let now = state.clock.now();
    let item = StoredItem {
        id: new_id("i"),
        request_key: format!("{}:{request_id}", a.person.employee_code),
        mini_app_id: a.mini_app.clone(),
        title: draft.title.trim().to_string(),
        draft: serde_json::to_string(&draft).map_err(|e| ApiError::internal(e.to_string()))?,
        owner: draft.owner.clone(),
        owner_name: owner.clone(),
        due_day: checked.due,
        priority: draft.priority.as_str().to_string(),
        status: "active".into(),
        created_by: a.person.employee_code.clone(),
        created_at: now,
    };
    let event = StoredEvent {
        item_id: item.id.clone(),
        task_id: None,
        actor: a.person.employee_code.clone(),
        actor_name: a.person.name.clone(),
        action: "create".into(),
        detail: format!("立项“{}”，责任领导{owner}，截止 {}", item.title, draft.due),
        at: now,
    };
    let (status, id) = match state.store.insert_item(&item, &event).await? {
        None => (StatusCode::CREATED, item.id),
        Some(before) => (StatusCode::OK, before.id),
    };
    let model = Model::load(&state, &id)
        .await?
        .ok_or_else(|| ApiError::internal(format!("item {id} vanished")))?;
    Ok((status, Json(item_view(&state, &a, model).await?)))
}

/// The units an official of a unit role sees tasks of: theirs and those below it.
pub(crate) fn visible_units(a: &Actor) -> Vec<String> {
    match a.role.unit() {
        None => a.org.units().map(|u| u.code.clone()).collect(),
        Some(mine) => a
            .org
            .units()
            .filter(|u| a.org.within(&u.code, mine))
            .map(|u| u.code.clone())
            .collect(),
    }
}

/// The items the official sees: every item for the city's leaders and the office; for a
/// unit, those with a task of the unit or below it. Due soonest first.
#[utoipa::path(get, path = paths::SUPERVISION_ITEMS, tag = "supervision", security(("bearer" = [])),
    responses((status = 200, body = ItemList),
        (status = 403, description = "missing_scope, user_kind_not_allowed, supervision_not_in_org", body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    State(state): State<AppState>,
    auth: Authenticated,
) -> Result<Json<ItemList>, ApiError> {
    let a = actor(&state, &auth).await?;
    let today = state.clock.today();
    let mut items = state.store.supervision_items().await?;
    if !a.role.sees_all() {
        let ids = state.store.items_with_tasks_in(&visible_units(&a)).await?;
        items.retain(|i| ids.contains(&i.id));
    }
    // The active items' tasks in one read (a query per item is a thousand at a city's scale).
    let mut by_item: HashMap<String, Vec<StoredTask>> = HashMap::new();
    for t in state.store.tasks_of_items_in("active").await? {
        by_item.entry(t.item_id.clone()).or_default().push(t);
    }
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let tasks = match by_item.remove(&item.id) {
            Some(tasks) => tasks,
            None if item.status == "active" => Vec::new(),
            None => state.store.tasks_of_item(&item.id).await?,
        };
        out.push(Model::new(item, tasks)?.summary(today));
    }
    Ok(Json(ItemList { items: out }))
}

/// One item with what the official sees of it: the whole tree for the city's leaders and the
/// office, a unit's own tasks and those below them for a unit.
#[utoipa::path(get, path = paths::SUPERVISION_ITEM, tag = "supervision", security(("bearer" = [])),
    params(("item_id" = String, Path, description = "the item")),
    responses((status = 200, body = ItemView),
        (status = 404, description = "supervision_item_not_found", body = Problem, content_type = "application/problem+json")))]
pub async fn one(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(item_id): Path<String>,
) -> Result<Json<ItemView>, ApiError> {
    let a = actor(&state, &auth).await?;
    let model = Model::load(&state, &item_id)
        .await?
        .ok_or_else(|| item_not_found(&item_id))?;
    let view = item_view(&state, &a, model).await?;
    if view.tasks.is_empty() && !a.role.sees_all() {
        return Err(item_not_found(&item_id));
    }
    Ok(Json(view))
}

/// The item as `a` sees it.
pub(crate) async fn item_view(
    state: &AppState,
    a: &Actor,
    model: Model,
) -> Result<ItemView, ApiError> {
    let today = state.clock.today();
    let reports = state.store.reports_of_item(&model.item.id).await?;
    let pending = pending_by_task(&reports);
    let seen = |unit: &str| a.may(Action::View, Some(unit)).is_ok();
    let tasks: Vec<_> = model
        .tasks
        .iter()
        .filter(|t| seen(&t.unit_code))
        .map(|t| model.task_view(t, a, today, pending.get(&t.id).map(String::as_str)))
        .collect();
    let visible = |task: Option<&str>| task.is_none_or(|id| tasks.iter().any(|t| t.id == id));
    let reports = reports
        .iter()
        .filter(|r| visible(Some(&r.task_id)))
        .map(report_view)
        .collect::<Result<Vec<_>, _>>()?;
    let events = state
        .store
        .events_of_item(&model.item.id)
        .await?
        .iter()
        .filter(|e| visible(e.task_id.as_deref()))
        .map(event_view)
        .collect();
    let notices = state
        .store
        .notices_of_item(&model.item.id)
        .await?
        .iter()
        .filter(|n| visible(Some(&n.task_id)))
        .map(notice_view)
        .collect::<Result<Vec<_>, _>>()?;
    let may = a.actions(&[Action::Dispatch, Action::Manage, Action::Urge], None);
    Ok(ItemView {
        summary: model.summary(today),
        indicators: model.indicators(),
        item: model.draft.clone(),
        tasks,
        reports,
        events,
        notices,
        may,
    })
}
