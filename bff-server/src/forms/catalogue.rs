//! The forms a person may fill, and each version's definition (what the SDK keeps for
//! offline use, and opens a draft begun on an older version with).

use axum::extract::{Path, State};
use zhelikit_domain::api::Problem;
use zhelikit_domain::forms::submission::{FormCatalogue, FormDocument, FormStatus, FormSummary};
use zhelikit_domain::paths;
use zhelikit_domain::scope::Scope;

use crate::app::AppState;
use crate::http::problem::ApiError;
use crate::identity::auth::Authenticated;
use crate::storage::StoredFormVersion;

use super::form_not_found;

fn status(v: &StoredFormVersion) -> Result<FormStatus, ApiError> {
    FormStatus::parse(&v.status).ok_or_else(|| {
        ApiError::internal(format!(
            "form {} v{} has status {:?}",
            v.form_id, v.version, v.status
        ))
    })
}

fn document(state: &AppState, v: &StoredFormVersion) -> Result<FormDocument, ApiError> {
    Ok(FormDocument {
        status: status(v)?,
        digest: v.digest.clone(),
        definition: state.forms.form(v)?.definition().clone(),
    })
}

/// The forms open for new drafts, by id.
#[utoipa::path(get, path = paths::FORMS, tag = "forms", security(("bearer" = [])),
    responses((status = 200, body = FormCatalogue),
        (status = 403, description = "missing_scope", body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    State(state): State<AppState>,
    auth: Authenticated,
) -> Result<axum::Json<FormCatalogue>, ApiError> {
    auth.require(Scope::FormsSubmit)?;
    let mut forms = Vec::new();
    for v in state.store.form_versions().await? {
        if status(&v)? != FormStatus::Open {
            continue;
        }
        let form = state.forms.form(&v)?;
        forms.push(FormSummary {
            id: v.form_id.clone(),
            version: u32::try_from(v.version).unwrap_or(0),
            title: v.title.clone(),
            departments: form
                .definition()
                .routing
                .iter()
                .map(|p| p.department.clone())
                .collect(),
        });
    }
    Ok(axum::Json(FormCatalogue { forms }))
}

/// The form's open version.
#[utoipa::path(get, path = paths::FORM, tag = "forms", security(("bearer" = [])),
    params(("form_id" = String, Path, description = "the form")),
    responses((status = 200, body = FormDocument),
        (status = 404, description = "form_not_found (none open)", body = Problem, content_type = "application/problem+json")))]
pub async fn open_version(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(form_id): Path<String>,
) -> Result<axum::Json<FormDocument>, ApiError> {
    auth.require(Scope::FormsSubmit)?;
    let open = open_of(&state, &form_id).await?;
    Ok(axum::Json(document(&state, &open)?))
}

/// The newest open version of form `form_id`.
pub(crate) async fn open_of(
    state: &AppState,
    form_id: &str,
) -> Result<StoredFormVersion, ApiError> {
    state
        .store
        .form_versions()
        .await?
        .into_iter()
        .filter(|v| v.form_id == form_id && v.status == FormStatus::Open.as_str())
        .max_by_key(|v| v.version)
        .ok_or_else(|| form_not_found(form_id, None))
}

/// One version of the form, whatever its status (a draft begun on it opens on it; a closed
/// one says so).
#[utoipa::path(get, path = paths::FORM_VERSION, tag = "forms", security(("bearer" = [])),
    params(("form_id" = String, Path, description = "the form"), ("version" = u32, Path, description = "the version")),
    responses((status = 200, body = FormDocument),
        (status = 404, description = "form_not_found", body = Problem, content_type = "application/problem+json")))]
pub async fn version(
    State(state): State<AppState>,
    auth: Authenticated,
    Path((form_id, version)): Path<(String, String)>,
) -> Result<axum::Json<FormDocument>, ApiError> {
    auth.require(Scope::FormsSubmit)?;
    let version: u32 = version.parse().map_err(|_| {
        ApiError::invalid_field(
            "version",
            zhelikit_domain::lang::Text::new(
                format!("版本号须为正整数，而不是 {version}"),
                format!("must be a whole number, not {version}"),
            ),
        )
    })?;
    let v = state
        .store
        .form_version(&form_id, i32::try_from(version).unwrap_or(i32::MAX))
        .await?
        .ok_or_else(|| form_not_found(&form_id, Some(version)))?;
    Ok(axum::Json(document(&state, &v)?))
}
