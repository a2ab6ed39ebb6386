//! The registry of forms: each version published once and never changed (a change is a new
//! version), kept in the database so every instance serves the same forms, and loaded into the
//! engine once per version here. The sample forms ship in the binary as the spreadsheets their
//! departments wrote (`bff-server/forms/*.xlsx`); a deployment adds its own from a directory
//! (`ZK_FORMS_DIR`, `.xlsx` or `.json`).

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, RwLock};

use chrono::Utc;
use platform_api::departments::Department;
use zhelikit_domain::forms::definition::{Form, FormDefinition};
use zhelikit_domain::forms::submission::json_digest;

use crate::http::problem::ApiError;
use crate::storage::{Published, Store, StoreResult, StoredFormVersion};

/// The sample forms, as authored: 企业开办一件事, 新生儿出生一件事, 惠企政策兑现申报.
pub const SAMPLES: [(&str, &[u8]); 3] = [
    (
        "enterprise-setup.xlsx",
        include_bytes!("../../forms/enterprise-setup.xlsx"),
    ),
    ("newborn.xlsx", include_bytes!("../../forms/newborn.xlsx")),
    (
        "policy-claim.xlsx",
        include_bytes!("../../forms/policy-claim.xlsx"),
    ),
];

/// Each published version loaded into the engine, by digest.
#[derive(Default)]
pub struct Registry {
    loaded: RwLock<HashMap<String, Arc<Form>>>,
}

impl Registry {
    /// The engine's form of a stored version, loaded once.
    pub fn form(&self, version: &StoredFormVersion) -> Result<Arc<Form>, ApiError> {
        if let Some(form) = self
            .loaded
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&version.digest)
        {
            return Ok(form.clone());
        }
        let broken = |why: String| {
            ApiError::internal(format!(
                "published form {} v{} no longer loads: {why}",
                version.form_id, version.version
            ))
        };
        let definition: FormDefinition =
            serde_json::from_str(&version.definition).map_err(|e| broken(e.to_string()))?;
        let form = Arc::new(Form::load(definition).map_err(|p| broken(format!("{p:?}")))?);
        self.loaded
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(version.digest.clone(), form.clone());
        Ok(form)
    }
}

/// Reads a form file (`.xlsx` spreadsheet or `.json` definition) into a definition that loads
/// and whose parts go to departments ZheliKit knows; what is wrong, in words, if not.
pub fn read(name: &str, bytes: &[u8]) -> Result<FormDefinition, String> {
    let definition = if name.ends_with(".xlsx") {
        zhelikit_domain::forms::xlsform::import(bytes).map_err(|problems| {
            problems
                .iter()
                .map(|p| {
                    format!(
                        "{} 第 {} 行 {} 列：{}",
                        p.sheet, p.row, p.column, p.message.zh
                    )
                })
                .collect::<Vec<_>>()
                .join("；")
        })?
    } else {
        let definition: FormDefinition =
            serde_json::from_slice(bytes).map_err(|e| format!("不是表单定义 JSON：{e}"))?;
        Form::load(definition.clone()).map_err(|problems| {
            problems
                .iter()
                .map(|p| format!("{}：{}", p.path, p.message.zh))
                .collect::<Vec<_>>()
                .join("；")
        })?;
        definition
    };
    if let Some(part) = definition
        .routing
        .iter()
        .find(|p| Department::parse(&p.department).is_none())
    {
        return Err(format!("没有部门 {}", part.department));
    }
    Ok(definition)
}

/// Publishes `definition` (a new version opens and closes the older open ones); a version
/// published before with other contents is left as it was and reported.
pub async fn publish(store: &dyn Store, definition: &FormDefinition) -> StoreResult<Published> {
    let json = serde_json::to_string(definition).unwrap_or_default();
    store
        .publish_form_version(&StoredFormVersion {
            form_id: definition.id.clone(),
            version: i32::try_from(definition.version).unwrap_or(i32::MAX),
            status: "open".into(),
            title: definition.title.clone(),
            digest: json_digest(definition),
            definition: json,
            published_at: Utc::now(),
        })
        .await
}

/// Publishes the sample forms and those in `dir`, at start-up. A file that does not read is
/// logged and skipped (one broken form does not keep the others away), as is a version
/// published before with other contents: published versions never change.
pub async fn publish_all(store: &dyn Store, dir: Option<&Path>) -> StoreResult<()> {
    let mut files: Vec<(String, Vec<u8>)> = SAMPLES
        .iter()
        .map(|(name, bytes)| (name.to_string(), bytes.to_vec()))
        .collect();
    if let Some(dir) = dir {
        match std::fs::read_dir(dir) {
            Ok(entries) => {
                let mut paths: Vec<_> = entries
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == "xlsx" || x == "json"))
                    .collect();
                paths.sort();
                for path in paths {
                    match std::fs::read(&path) {
                        Ok(bytes) => files.push((path.display().to_string(), bytes)),
                        Err(e) => {
                            tracing::error!(path = %path.display(), error = %e, "form file unreadable")
                        }
                    }
                }
            }
            Err(e) => {
                tracing::error!(dir = %dir.display(), error = %e, "forms directory unreadable")
            }
        }
    }
    for (name, bytes) in files {
        let definition = match read(&name, &bytes) {
            Ok(d) => d,
            Err(why) => {
                tracing::error!(file = name, problems = why, "form not published");
                continue;
            }
        };
        match publish(store, &definition).await? {
            Published::New => {
                tracing::info!(
                    form = definition.id,
                    version = definition.version,
                    "form published"
                )
            }
            Published::Unchanged => {}
            Published::Differs(digest) => tracing::error!(
                form = definition.id,
                version = definition.version,
                published = digest,
                "a published form version cannot change: give the new one a new version"
            ),
        }
    }
    Ok(())
}
