//! `GET /v1/vault/issuers` and `GET /v1/vault/status/{department}`: what a verifier needs to
//! check a presentation — the departments' keys and their status lists — public, signed by the
//! departments themselves (the BFF relays; it cannot forge either).

use std::sync::Arc;

use axum::extract::{Path, State};
use futures::future::join_all;
use platform_api::departments::{Department, Operation};
use zhelikit_domain::api::Problem;
use zhelikit_domain::paths;
use zhelikit_domain::records::Record;
use zhelikit_domain::vault::wire::{IssuerDirectory, StatusListAnswer};
use zhelikit_domain::vault::VaultRecord;

use crate::app::AppState;
use crate::departments::{Freshness, RecordLookup};
use crate::http::problem::ApiError;
use crate::vault::VaultError;

/// On whose behalf the BFF reads public issuer data.
const ON_BEHALF: &str = "zhelikit-vault";

async fn lookup(state: &AppState, op: Operation) -> RecordLookup {
    let on_behalf: Arc<str> = Arc::from(ON_BEHALF);
    state
        .departments
        .fetch_vault(
            op,
            bytes::Bytes::from_static(b"{}"),
            op.as_str().to_string(),
            &on_behalf,
        )
        .await
}

/// Fetches department `d`'s status list now, past the cached one: it revoked credentials (a
/// correction was accepted), and verifiers asking here should see that at once.
pub(crate) async fn refetch_status_list(state: &AppState, d: Department) {
    let op = Operation::StatusList(d);
    let on_behalf: Arc<str> = Arc::from(ON_BEHALF);
    if let Err(reason) = state
        .departments
        .refetch_vault(
            op,
            bytes::Bytes::from_static(b"{}"),
            op.as_str().to_string(),
            &on_behalf,
        )
        .await
    {
        // The cached list ages out within its minute anyway.
        tracing::warn!(department = d.as_str(), reason = %reason.en, "status list not refetched");
    }
}

/// Every issuing department's SM2 keys (JWK and SPKI PEM). A department that cannot be reached
/// is listed as unavailable; the others still answer.
#[utoipa::path(get, path = paths::VAULT_ISSUERS, tag = "vault",
    responses((status = 200, body = IssuerDirectory)))]
pub async fn issuers(State(state): State<AppState>) -> axum::Json<IssuerDirectory> {
    axum::Json(directory(&state).await)
}

/// Every issuing department's keys that can be had now (through the adapter layer's cache).
pub(crate) async fn directory(state: &AppState) -> IssuerDirectory {
    let answers = join_all(
        Department::ALL
            .into_iter()
            .map(|d| async move { (d, lookup(state, Operation::IssuerKeys(d)).await) }),
    )
    .await;
    let mut directory = IssuerDirectory {
        issuers: Vec::new(),
        unavailable: Vec::new(),
    };
    for (department, answer) in answers {
        match answer {
            RecordLookup::Found { data, .. } => match &*data {
                Record::Vault(VaultRecord::IssuerKeys(keys)) => {
                    directory.issuers.push(keys.clone())
                }
                _ => directory.unavailable.push(department.as_str().into()),
            },
            // A department that issues nothing publishes no keys.
            RecordLookup::NotFound { .. } => {}
            RecordLookup::Unavailable { .. } => {
                directory.unavailable.push(department.as_str().into())
            }
        }
    }
    directory
}

/// A department's signed status list (`statuslist+jwt`), at most a minute old, or the last one
/// had with its age when the department is down.
#[utoipa::path(get, path = paths::VAULT_STATUS, tag = "vault",
    params(("department" = String, Path, description = "public_security, transport, …")),
    responses((status = 200, body = StatusListAnswer),
        (status = 400, description = "invalid_field (department)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "department_unavailable", body = Problem, content_type = "application/problem+json")))]
pub async fn status_list(
    State(state): State<AppState>,
    Path(department): Path<String>,
) -> Result<axum::Json<StatusListAnswer>, ApiError> {
    let d = Department::parse(&department).ok_or(VaultError::UnknownDepartment(department))?;
    status_answer(&state, d).await.map(axum::Json)
}

/// Department `d`'s status list, at most a minute old, or the last one had with its age.
pub(crate) async fn status_answer(
    state: &AppState,
    d: Department,
) -> Result<StatusListAnswer, ApiError> {
    match lookup(state, Operation::StatusList(d)).await {
        RecordLookup::Found { data, freshness } => match &*data {
            Record::Vault(VaultRecord::StatusList(list)) => Ok(StatusListAnswer {
                token: list.token.clone(),
                stale_secs: match freshness {
                    Freshness::Fresh => None,
                    Freshness::Stale { age_secs } => Some(age_secs),
                },
            }),
            _ => Err(ApiError::internal(
                "the department answered its status list with another record",
            )),
        },
        RecordLookup::NotFound { .. } => Err(ApiError::not_found(&paths::vault_status(d.as_str()))),
        RecordLookup::Unavailable { reason } => Err(VaultError::Unavailable(reason).into()),
    }
}
