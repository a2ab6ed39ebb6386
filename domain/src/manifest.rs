//! `miniapp.json`, the manifest of a mini-app: who it is, what it may ask for and who may open
//! it. One schema, read by the SDK's bridge (which refuses a method whose scope the manifest
//! does not declare), by the BFF's mini-app registry (which enforces the same rules on the
//! server) and by the mini-app CLI (`validate`).
//!
//! ```json
//! {
//!   "id": "zk-demo-services",
//!   "name": "掌上办事",
//!   "version": "1.0.0",
//!   "platform": "zlb",
//!   "entry": "index.html",
//!   "pages": [{"id": "home", "name": "首页", "path": "index.html"}],
//!   "scopes": ["profile", "passkey"],
//!   "min_real_name_level": 1,
//!   "user_kinds": ["citizen", "legal_person"],
//!   "min_sdk_version": "0.1.0",
//!   "elder_mode": true
//! }
//! ```
//!
//! [`Manifest::parse`] returns every problem at once, each naming the field (`pages[1].path`)
//! in zh-CN and English, so a developer fixes them in one pass.

use serde::{Deserialize, Serialize};

use crate::api::UserKind;
use crate::lang::Text;
use crate::scope::Scope;

/// Which container a mini-app runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    /// 浙里办 (citizens and enterprises): ZWJSBridge.
    Zlb,
    /// 浙政钉 (officials): `gdt-jsapi`.
    Zzd,
}

/// A page of the mini-app, for analytics (`ZwLog.sendPV`'s `pageId`) and the simulator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Page {
    /// Stable id, e.g. `home`.
    pub id: String,
    /// What a person calls it, e.g. `首页`.
    pub name: String,
    /// Path inside the package, e.g. `index.html`.
    pub path: String,
}

/// A parsed, checked manifest (made only by [`Manifest::parse`], so always checked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Manifest {
    /// The registered mini-app id (the session's audience).
    pub id: String,
    /// Its name as people see it.
    pub name: String,
    /// Its version, `major.minor.patch`.
    pub version: String,
    /// 浙里办 or 浙政钉.
    pub platform: Platform,
    /// The page the container opens first.
    pub entry: String,
    /// Its pages.
    pub pages: Vec<Page>,
    /// The scopes it may ask for; a bridge method needing another is refused.
    pub scopes: Vec<Scope>,
    /// Lowest 浙里办 real-name level admitted (1–3).
    pub min_real_name_level: u8,
    /// Which kinds of user may open it.
    pub user_kinds: Vec<UserKind>,
    /// The oldest SDK it runs on, `major.minor.patch`.
    pub min_sdk_version: String,
    /// Whether it has the elder-mode theme the review requires (`getUiStyle` → `elder`).
    pub elder_mode: bool,
}

/// The file as written: everything optional, so every missing field is reported, not the first.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Written {
    id: Option<String>,
    name: Option<String>,
    version: Option<String>,
    platform: Option<String>,
    entry: Option<String>,
    #[serde(default)]
    pages: Vec<Page>,
    #[serde(default)]
    scopes: Vec<String>,
    min_real_name_level: Option<u8>,
    #[serde(default)]
    user_kinds: Vec<String>,
    min_sdk_version: Option<String>,
    #[serde(default)]
    elder_mode: bool,
}

/// One problem of a manifest: the field (a JSON path such as `pages[0].path`) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestProblem {
    /// The field at fault; empty for the file as a whole.
    pub field: String,
    /// Why, in both languages.
    pub reason: Text,
}

impl std::fmt::Display for ManifestProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}", self.reason.en)
        } else {
            write!(f, "{}: {}", self.field, self.reason.en)
        }
    }
}

fn problem(
    field: impl Into<String>,
    zh: impl Into<String>,
    en: impl Into<String>,
) -> ManifestProblem {
    ManifestProblem {
        field: field.into(),
        reason: Text::new(zh, en),
    }
}

/// Whether `text` is `major.minor.patch` (digits only).
pub fn is_version(text: &str) -> bool {
    let parts: Vec<&str> = text.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 9 && p.bytes().all(|b| b.is_ascii_digit()))
}

/// `major.minor.patch` as numbers, for comparing versions; `None` if not a version.
pub fn version_triple(text: &str) -> Option<(u32, u32, u32)> {
    if !is_version(text) {
        return None;
    }
    let mut parts = text.split('.').map(|p| p.parse::<u32>().ok());
    Some((parts.next()??, parts.next()??, parts.next()??))
}

/// Whether a package path is relative, inside the package and of plain characters.
fn is_package_path(path: &str) -> bool {
    !path.is_empty()
        && path.len() <= 200
        && !path.starts_with('/')
        && !path
            .split('/')
            .any(|s| s.is_empty() || s == "." || s == "..")
        && path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./".contains(&b))
}

impl Manifest {
    /// Parses and checks a manifest; every problem found, or the manifest.
    pub fn parse(json: &str) -> Result<Manifest, Vec<ManifestProblem>> {
        let written: Written = serde_json::from_str(json).map_err(|e| {
            vec![problem(
                "",
                format!("不是有效的 miniapp.json：{e}"),
                format!("not a valid miniapp.json: {e}"),
            )]
        })?;
        let mut problems = Vec::new();
        let mut required = |field: &str, value: Option<String>| -> String {
            match value.filter(|v| !v.trim().is_empty()) {
                Some(v) => v,
                None => {
                    problems.push(problem(field, "必填", "is required"));
                    String::new()
                }
            }
        };
        let id = required("id", written.id);
        let name = required("name", written.name);
        let version = required("version", written.version);
        let platform_text = required("platform", written.platform);
        let entry = required("entry", written.entry);
        let min_sdk_version = required("min_sdk_version", written.min_sdk_version);

        if !id.is_empty() {
            if let Err(invalid) = crate::input::mini_app_id(&id) {
                problems.push(ManifestProblem {
                    field: "id".into(),
                    reason: invalid.reason,
                });
            } else if !id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            {
                problems.push(problem(
                    "id",
                    "只能包含小写字母、数字和连字符",
                    "may contain only lower-case letters, digits and hyphens",
                ));
            }
        }
        if name.chars().count() > 32 {
            problems.push(problem(
                "name",
                "最多 32 个字符",
                "must be at most 32 characters",
            ));
        }
        for (field, value) in [("version", &version), ("min_sdk_version", &min_sdk_version)] {
            if !value.is_empty() && !is_version(value) {
                problems.push(problem(
                    field,
                    "须为“主版本.次版本.修订号”，例如 1.0.0",
                    "must be major.minor.patch, e.g. 1.0.0",
                ));
            }
        }
        let platform = match platform_text.as_str() {
            "zlb" => Platform::Zlb,
            "zzd" => Platform::Zzd,
            "" => Platform::Zlb,
            _ => {
                problems.push(problem(
                    "platform",
                    "须为 zlb（浙里办）或 zzd（浙政钉）",
                    "must be zlb (浙里办) or zzd (浙政钉)",
                ));
                Platform::Zlb
            }
        };
        if !entry.is_empty() && !is_package_path(&entry) {
            problems.push(problem(
                "entry",
                "须为包内的相对路径",
                "must be a relative path inside the package",
            ));
        }
        let mut page_ids = std::collections::HashSet::new();
        for (i, page) in written.pages.iter().enumerate() {
            if page.id.is_empty() || !page_ids.insert(page.id.as_str()) {
                problems.push(problem(
                    format!("pages[{i}].id"),
                    "须为非空且不重复的页面编号",
                    "must be a page id, not empty and not used twice",
                ));
            }
            if !is_package_path(&page.path) {
                problems.push(problem(
                    format!("pages[{i}].path"),
                    "须为包内的相对路径",
                    "must be a relative path inside the package",
                ));
            }
        }
        let mut scopes = Vec::new();
        for (i, text) in written.scopes.iter().enumerate() {
            match Scope::parse(text) {
                Some(scope) if !scopes.contains(&scope) => scopes.push(scope),
                Some(_) => {}
                None => problems.push(problem(
                    format!("scopes[{i}]"),
                    format!(
                        "{text:?} 不是 ZheliKit 权限（可用：{}）",
                        Scope::ALL.map(Scope::as_str).join("、")
                    ),
                    format!(
                        "{text:?} is not a ZheliKit scope (known: {})",
                        Scope::ALL.map(Scope::as_str).join(", ")
                    ),
                )),
            }
        }
        let min_real_name_level = match written.min_real_name_level {
            Some(level @ 1..=3) => level,
            Some(other) => {
                problems.push(problem(
                    "min_real_name_level",
                    format!("{other} 不是 1、2 或 3"),
                    format!("{other} is not 1, 2 or 3"),
                ));
                1
            }
            None => {
                problems.push(problem("min_real_name_level", "必填", "is required"));
                1
            }
        };
        let mut user_kinds = Vec::new();
        for (i, text) in written.user_kinds.iter().enumerate() {
            match UserKind::parse(text) {
                Some(kind) if !user_kinds.contains(&kind) => user_kinds.push(kind),
                Some(_) => {}
                None => problems.push(problem(
                    format!("user_kinds[{i}]"),
                    format!("{text:?} 不是用户类型（citizen、legal_person、official）"),
                    format!("{text:?} is not a user kind (citizen, legal_person, official)"),
                )),
            }
        }
        if written.user_kinds.is_empty() {
            problems.push(problem(
                "user_kinds",
                "至少列出一种用户类型",
                "must name at least one kind of user",
            ));
        }
        let officials_only = user_kinds.iter().all(|k| *k == UserKind::Official);
        match platform {
            Platform::Zzd if !user_kinds.is_empty() && !officials_only => problems.push(problem(
                "user_kinds",
                "浙政钉小程序只对政务人员（official）开放",
                "a 浙政钉 mini-app is for officials only",
            )),
            Platform::Zlb if user_kinds.contains(&UserKind::Official) => problems.push(problem(
                "user_kinds",
                "政务人员（official）通过浙政钉进入，浙里办小程序不能列出",
                "officials arrive through 浙政钉; a 浙里办 mini-app cannot list them",
            )),
            _ => {}
        }
        if problems.is_empty() {
            Ok(Manifest {
                id,
                name,
                version,
                platform,
                entry,
                pages: written.pages,
                scopes,
                min_real_name_level,
                user_kinds,
                min_sdk_version,
                elder_mode: written.elder_mode,
            })
        } else {
            Err(problems)
        }
    }

    /// Whether this manifest declares `scope`.
    pub fn declares(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope)
    }

    /// Whether an SDK of `sdk_version` is new enough to run it.
    pub fn runs_on(&self, sdk_version: &str) -> bool {
        match (
            version_triple(&self.min_sdk_version),
            version_triple(sdk_version),
        ) {
            (Some(min), Some(have)) => have >= min,
            _ => false,
        }
    }
}

/// A mini-app folder found by [`load_dir`]: its folder name, its manifest and the manifest's
/// text, or why its `miniapp.json` could not be used.
pub type FoundMiniApp = Result<(String, Manifest, String), String>;

/// The mini-apps in the folders directly under `dir` (each with a `miniapp.json`), in folder
/// order. The BFF's development registry, the mock platform and the simulator read a folder of
/// mini-apps under development with it, so they agree on what is there.
pub fn load_dir(dir: &std::path::Path) -> Vec<FoundMiniApp> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut folders: Vec<std::path::PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("miniapp.json").is_file())
        .collect();
    folders.sort();
    folders
        .into_iter()
        .map(|folder| {
            let name = folder
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let path = folder.join("miniapp.json");
            let json =
                std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let manifest = Manifest::parse(&json).map_err(|problems| {
                let listed: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
                format!("{}: {}", path.display(), listed.join("; "))
            })?;
            Ok((name, manifest, json))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{
        "id": "zk-demo-services", "name": "掌上办事", "version": "1.0.0", "platform": "zlb",
        "entry": "index.html", "pages": [{"id": "home", "name": "首页", "path": "index.html"}],
        "scopes": ["profile", "passkey"], "min_real_name_level": 1,
        "user_kinds": ["citizen", "legal_person"], "min_sdk_version": "0.1.0", "elder_mode": true
    }"#;

    #[test]
    fn a_good_manifest_parses_with_typed_scopes_and_kinds() {
        let m = Manifest::parse(GOOD).unwrap();
        assert_eq!(m.id, "zk-demo-services");
        assert_eq!(m.scopes, vec![Scope::Profile, Scope::Passkey]);
        assert_eq!(m.user_kinds, vec![UserKind::Citizen, UserKind::LegalPerson]);
        assert!(m.declares(Scope::Profile) && !m.declares(Scope::VaultRead));
        assert!(m.runs_on("0.1.0") && m.runs_on("0.10.0") && !m.runs_on("0.0.9"));
    }

    #[test]
    fn every_problem_is_reported_at_once_naming_its_field() {
        let bad = r#"{"id": "Bad App", "version": "1.0", "platform": "wechat", "entry": "../x.html",
            "pages": [{"id": "a", "name": "A", "path": "/abs"}, {"id": "a", "name": "B", "path": "b.html"}],
            "scopes": ["profile", "vault.reed"], "min_real_name_level": 4, "user_kinds": [],
            "min_sdk_version": "0.1.0"}"#;
        let problems = Manifest::parse(bad).unwrap_err();
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        for expected in [
            "id",
            "name",
            "version",
            "platform",
            "entry",
            "pages[0].path",
            "pages[1].id",
            "scopes[1]",
            "min_real_name_level",
            "user_kinds",
        ] {
            assert!(fields.contains(&expected), "{expected} in {fields:?}");
        }
        let scope = problems.iter().find(|p| p.field == "scopes[1]").unwrap();
        assert!(scope.reason.zh.contains("vault.reed") && scope.reason.zh.contains("权限"));
    }

    #[test]
    fn officials_belong_to_zzd_mini_apps_and_only_there() {
        let zzd_for_citizens = GOOD.replace("\"zlb\"", "\"zzd\"");
        assert!(Manifest::parse(&zzd_for_citizens).is_err());
        let zlb_for_officials = GOOD.replace("\"citizen\", \"legal_person\"", "\"official\"");
        assert!(Manifest::parse(&zlb_for_officials).is_err());
        let official_app =
            zzd_for_citizens.replace("\"citizen\", \"legal_person\"", "\"official\"");
        assert_eq!(
            Manifest::parse(&official_app).unwrap().platform,
            Platform::Zzd
        );
    }

    #[test]
    fn an_unknown_key_or_broken_json_is_one_clear_problem() {
        let unknown = GOOD.replace("\"elder_mode\"", "\"elder_mood\"");
        let problems = Manifest::parse(&unknown).unwrap_err();
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].reason.en.contains("elder_mood"),
            "{}",
            problems[0]
        );
        assert_eq!(Manifest::parse("{").unwrap_err().len(), 1);
    }
}
