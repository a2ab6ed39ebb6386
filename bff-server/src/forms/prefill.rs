//! 一表通's auto-fill, the BFF's part: the records a form fills from, asked of the departments
//! through the adapter layer (its cache, breakers and recording — no second path to them), in
//! parallel under one deadline, and handed to the engine's pure
//! [`Form::prefill`](zhelikit_domain::forms::definition::Form::prefill). A department that is
//! down costs the fields it would have filled, never the draft.
//!
//! The same sources are asked again when a submission arrives, so a government-verified
//! answer the page showed read-only cannot be changed by a client that skips the page.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Path, State};
use futures::future::join_all;
use platform_api::departments::Operation;
use zhelikit_domain::api::{Problem, UserKind};
use zhelikit_domain::forms::definition::Form;
use zhelikit_domain::forms::prefill::{Prefill, Previous, Source, SourceState, Sources};
use zhelikit_domain::lang::Text;
use zhelikit_domain::paths;
use zhelikit_domain::scope::Scope;

use crate::app::AppState;
use crate::audit::{self, Event};
use crate::departments::{Freshness, RecordLookup, Subject};
use crate::http::client::ClientAddr;
use crate::http::problem::ApiError;
use crate::identity::auth::Authenticated;
use crate::identity::users::{citizen_id_number, user_profile};

use super::{catalogue, today};

/// The department operation behind a government source; none for the platform's own profile.
fn operation(source: Source) -> Option<Operation> {
    match source {
        Source::Profile => None,
        Source::ResidentId => Some(Operation::ResidentIdCard),
        Source::Household => Some(Operation::HouseholdRegister),
        Source::Birth => Some(Operation::BirthRecord),
        Source::Registration => Some(Operation::EnterpriseRegistration),
        Source::Tax => Some(Operation::EnterpriseTax),
        Source::SocialSecurity => Some(Operation::EnterpriseSocialSecurity),
    }
}

/// What one lookup gives a source.
fn state_of(source: Source, lookup: RecordLookup) -> SourceState {
    match lookup {
        RecordLookup::Found { data, freshness } => match source.values(&data) {
            Some(values) => SourceState::Found {
                values,
                age_secs: match freshness {
                    Freshness::Fresh => 0,
                    Freshness::Stale { age_secs } => age_secs,
                },
            },
            None => SourceState::Unavailable {
                reason: Text::new(
                    "部门返回的记录无法识别",
                    "the department's record was not understood",
                ),
            },
        },
        RecordLookup::NotFound { .. } => SourceState::NotFound,
        RecordLookup::Unavailable { reason } => SourceState::Unavailable { reason },
    }
}

/// The government sources `form` fills from, asked for user `user_id`: the ones that apply to
/// the kind of user asked (a person's records for a citizen, an enterprise's for a legal
/// person), the others left out (the engine says they do not apply).
pub(crate) async fn government(
    state: &AppState,
    form: &Form,
    user_id: uuid::Uuid,
) -> Result<BTreeMap<Source, SourceState>, ApiError> {
    let wanted = form.sources();
    let mut out = BTreeMap::new();
    if wanted.is_empty() {
        return Ok(out);
    }
    let user = user_profile(state, user_id).await?;
    let subject = match user.profile.kind {
        UserKind::Citizen => {
            let id_number = citizen_id_number(state, &user)?;
            if wanted.contains(&Source::Profile) {
                out.insert(
                    Source::Profile,
                    SourceState::Found {
                        values: Source::profile(&user.profile.display_name, Some(&id_number)),
                        age_secs: 0,
                    },
                );
            }
            Some(Subject::Person(id_number))
        }
        UserKind::LegalPerson => user
            .profile
            .enterprise
            .as_ref()
            .map(|e| Subject::Enterprise(e.uscc.clone())),
        UserKind::Official => None,
    };
    let Some(subject) = subject else {
        return Ok(out);
    };
    let for_enterprise = matches!(subject, Subject::Enterprise(_));
    let asked: Vec<(Source, Operation)> = wanted
        .iter()
        .filter(|s| s.of_enterprise() == for_enterprise)
        .filter_map(|s| operation(*s).map(|op| (*s, op)))
        .collect();
    let deadline = tokio::time::Instant::from_std(Instant::now() + state.config.screen_deadline);
    let on_behalf: Arc<str> = Arc::from(user_id.to_string());
    let query = state.departments.query_for(&subject);
    drop(subject); // The ID number now lives only in the request body.
    let lookups = join_all(asked.iter().map(|(_, op)| {
        let (departments, query, on_behalf) = (state.departments.clone(), &query, &on_behalf);
        async move { departments.fetch_by(deadline, *op, query, on_behalf).await }
    }))
    .await;
    for ((source, _), lookup) in asked.into_iter().zip(lookups) {
        out.insert(source, state_of(source, lookup));
    }
    Ok(out)
}

/// The person's latest submission of `form_id` (not superseded), its answers opened; the
/// instance id opened, for the audit.
async fn previous(
    state: &AppState,
    form_id: &str,
    user_id: uuid::Uuid,
) -> Result<Option<Previous>, ApiError> {
    let latest = state
        .store
        .submissions_of(user_id, 200)
        .await?
        .into_iter()
        .find(|s| s.form_id == form_id && s.superseded_by.is_none());
    let Some(s) = latest else {
        return Ok(None);
    };
    let answers = state
        .personal_data
        .open_answers(&s.instance_id, &s.sealed_answers)
        .and_then(|plain| serde_json::from_slice(&plain).ok())
        .ok_or_else(|| ApiError::internal(format!("answers of {} do not open", s.instance_id)))?;
    Ok(Some(Previous {
        instance_id: s.instance_id,
        submitted_at_ms: s.received_at.timestamp_millis(),
        answers,
    }))
}

/// A new draft of the form's open version filled for the person: from the government's
/// records (read-only while the source gives them) and their last submission of it, with
/// where each answer came from and, for each source that gave nothing, why.
#[utoipa::path(get, path = paths::FORM_PREFILL, tag = "forms", security(("bearer" = [])),
    params(("form_id" = String, Path, description = "the form")),
    responses((status = 200, body = Prefill),
        (status = 403, description = "missing_scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "form_not_found (none open)", body = Problem, content_type = "application/problem+json")))]
pub async fn prefill(
    State(state): State<AppState>,
    auth: Authenticated,
    ClientAddr(client): ClientAddr,
    Path(form_id): Path<String>,
) -> Result<axum::Json<Prefill>, ApiError> {
    auth.require(Scope::FormsSubmit)?;
    let user_id = auth.user_id()?;
    let stored = catalogue::open_of(&state, &form_id).await?;
    let form = state.forms.form(&stored)?;
    let government = government(&state, &form, user_id).await?;
    let previous = if form.fills_from_last() {
        previous(&state, &form_id, user_id).await?
    } else {
        None
    };
    let asked: Vec<&str> = government.keys().map(|s| s.as_str()).collect();
    audit::record(
        &state,
        Event::FormPrefilled,
        Some(user_id),
        Some(&auth.0.aud),
        &client,
        &format!(
            "{form_id} v{} from {}{}",
            stored.version,
            if asked.is_empty() {
                "-".to_string()
            } else {
                asked.join(",")
            },
            previous
                .as_ref()
                .map(|p| format!("; last {}", p.instance_id))
                .unwrap_or_default()
        ),
    )
    .await;
    let sources = Sources {
        government,
        previous,
    };
    Ok(axum::Json(form.prefill(&sources, today())))
}
