//! `POST /v1/vault/certificates/{kind}`: the citizen's e-certificate of a kind, from the
//! department that issues it, bound to the device key in the request.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use platform_api::departments::{CertificateQuery, Operation};
use zhelikit_domain::api::{Problem, UserKind};
use zhelikit_domain::gm::Sm2PublicKey;
use zhelikit_domain::paths;
use zhelikit_domain::records::Record;
use zhelikit_domain::scope::Scope;
use zhelikit_domain::vault::wire::{PullCertificate, PulledCertificate};
use zhelikit_domain::vault::{CertificateKind, IssuedCertificate, VaultRecord};

use crate::app::AppState;
use crate::audit::{self, Event};
use crate::departments::RecordLookup;
use crate::http::client::ClientAddr;
use crate::http::json::ApiJson;
use crate::http::problem::ApiError;
use crate::identity::auth::Authenticated;
use crate::identity::users::{citizen_id_number, user_profile};
use crate::vault::VaultError;

/// Pulls a certificate for the citizen of the session, bound to `holder_key` (made on the
/// device for this credential). Needs scope `vault.read`. Nothing of it is kept here.
#[utoipa::path(post, path = paths::VAULT_CERTIFICATE, tag = "vault", security(("bearer" = [])),
    params(("kind" = String, Path, description = "resident_id, driving_licence, …")),
    request_body = PullCertificate,
    responses((status = 200, body = PulledCertificate),
        (status = 400, description = "invalid_field (kind, holder_key)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "missing_scope, user_kind_not_allowed", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "certificate_not_held", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "department_unavailable", body = Problem, content_type = "application/problem+json")))]
pub async fn pull(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    auth: Authenticated,
    Path(kind): Path<String>,
    ApiJson(body): ApiJson<PullCertificate>,
) -> Result<axum::Json<PulledCertificate>, ApiError> {
    auth.require(Scope::VaultRead)?;
    let kind = CertificateKind::parse(&kind).ok_or(VaultError::UnknownKind(kind))?;
    let holder = Sm2PublicKey::from_jwk(&body.holder_key)
        .map_err(|e| VaultError::BadHolderKey(e.to_string()))?;
    let user_id = auth.user_id()?;
    let user = user_profile(&state, user_id).await?;
    if user.profile.kind != UserKind::Citizen {
        return Err(VaultError::NotACitizen.into());
    }
    let id_number = citizen_id_number(&state, &user)?;
    let on_behalf: Arc<str> = Arc::from(user_id.to_string());
    let issued = issue(&state, kind, id_number, &holder, &on_behalf, None).await?;
    audit::record(
        &state,
        Event::CertificatePulled,
        Some(user_id),
        Some(&auth.0.aud),
        &client,
        kind.as_str(),
    )
    .await;
    // The corrected certificate is on the device now.
    crate::vault::corrections::reissued(&state, user_id, &client, kind).await;
    Ok(axum::Json(PulledCertificate {
        kind,
        credential: issued.credential,
        expires_at: issued.expires_at,
        refresh_after: issued.refresh_after,
    }))
}

/// The department's certificate of `kind` for the person with `id_number`, bound to
/// `holder`, through the department layer. Never cached unless `keep` is given — only for a
/// holder that is the same on every call (the platform's consent key), never a device's.
pub(crate) async fn issue(
    state: &AppState,
    kind: CertificateKind,
    id_number: String,
    holder: &Sm2PublicKey,
    on_behalf: &Arc<str>,
    keep: Option<Duration>,
) -> Result<IssuedCertificate, ApiError> {
    let op = Operation::Certificate(kind);
    // The call key names the subject's pseudonym and the holder key: two holders never share
    // one credential.
    let key = format!(
        "{}:{}:{}",
        op.as_str(),
        state.departments.pseudonym(&id_number),
        holder.thumbprint()
    );
    let request = serde_json::to_vec(&CertificateQuery {
        id_number,
        holder_jwk: holder.to_jwk(),
    })
    .map_err(|e| ApiError::internal(e.to_string()))?;
    let departments = &state.departments;
    let answer = match keep {
        Some(keep) => {
            departments
                .fetch_brokered(op, request.into(), key, on_behalf, keep)
                .await
        }
        None => {
            departments
                .fetch_vault(op, request.into(), key, on_behalf)
                .await
        }
    };
    match answer {
        RecordLookup::Found { data, .. } => match &*data {
            Record::Vault(VaultRecord::Certificate(c)) if c.kind == kind => Ok(c.clone()),
            _ => Err(ApiError::internal(format!(
                "the department answered {kind:?} with another record"
            ))),
        },
        RecordLookup::NotFound { .. } => Err(VaultError::NotHeld(kind).into()),
        RecordLookup::Unavailable { reason } => Err(VaultError::Unavailable(reason).into()),
    }
}
