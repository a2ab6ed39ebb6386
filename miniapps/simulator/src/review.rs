//! The 浙里办 review rules a mini-app package can be checked against before it is submitted,
//! as far as they can be checked statically: its `miniapp.json` (the schema in
//! `zhelikit_domain::manifest`), size (≤ 20 MB), a viewport without pinch zoom, elder-mode
//! styles and `ZwLog` wired (浙里办's rules), no direct external links or downloads outside
//! the bridge, and a declared scope for every bridge method the code calls. Pure: files in,
//! findings out.

use std::path::{Path, PathBuf};

use zhelikit_domain::bridge::METHODS;
use zhelikit_domain::manifest::{Manifest, Platform};

/// The largest package the platform accepts.
pub const MAX_PACKAGE_BYTES: u64 = 20 * 1024 * 1024;

/// One finding: the rule, where, and what to do (zh-CN, as developers here read it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// A stable name of the rule, e.g. `viewport`.
    pub rule: &'static str,
    /// The file (relative to the package), or empty for the package.
    pub file: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

/// A file of the package: its path inside the package and its text (binary files: empty).
#[derive(Debug, Clone)]
pub struct PackageFile {
    /// Path relative to the package root, with `/`.
    pub path: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its text, if it is a text file (html, js, css, json, vue, ts).
    pub text: Option<String>,
}

fn finding(rule: &'static str, file: &str, message: impl Into<String>) -> Finding {
    Finding {
        rule,
        file: file.to_string(),
        message: message.into(),
    }
}

fn is_code(path: &str) -> bool {
    [".js", ".mjs", ".ts", ".vue", ".html"]
        .iter()
        .any(|ext| path.ends_with(ext))
}

/// Reads every file under `root` (skipping `node_modules`, dot-folders and source maps).
pub fn read_package(root: &Path) -> std::io::Result<Vec<PackageFile>> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<PackageFile>) -> std::io::Result<()> {
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || name == "node_modules" || name.ends_with(".map") {
                continue;
            }
            let path = entry.path();
            // Links are not followed: a link back up would walk forever.
            if entry.file_type()?.is_symlink() {
                continue;
            }
            if path.is_dir() {
                walk(root, &path, out)?;
                continue;
            }
            let relative: PathBuf = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
            let relative = relative.to_string_lossy().replace('\\', "/");
            let size = entry.metadata()?.len();
            let texty = [".html", ".js", ".mjs", ".css", ".json", ".vue", ".ts"]
                .iter()
                .any(|ext| relative.ends_with(ext));
            let text = if texty && size <= 8 * 1024 * 1024 {
                std::fs::read_to_string(&path).ok()
            } else {
                None
            };
            out.push(PackageFile {
                path: relative,
                size,
                text,
            });
        }
        Ok(())
    }
    let mut files = Vec::new();
    walk(root, root, &mut files)?;
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// Every finding for a package of `files` (its `miniapp.json` among them).
pub fn review(files: &[PackageFile]) -> Vec<Finding> {
    let mut findings = Vec::new();
    let text = |path: &str| {
        files
            .iter()
            .find(|f| f.path == path)
            .and_then(|f| f.text.clone())
    };

    let manifest = match text("miniapp.json") {
        None => {
            findings.push(finding("manifest", "miniapp.json", "缺少 miniapp.json"));
            None
        }
        Some(json) => match Manifest::parse(&json) {
            Ok(m) => Some(m),
            Err(problems) => {
                for p in problems {
                    findings.push(finding(
                        "manifest",
                        "miniapp.json",
                        if p.field.is_empty() {
                            p.reason.zh
                        } else {
                            format!("{}：{}", p.field, p.reason.zh)
                        },
                    ));
                }
                None
            }
        },
    };

    let total: u64 = files.iter().map(|f| f.size).sum();
    if total > MAX_PACKAGE_BYTES {
        findings.push(finding(
            "size",
            "",
            format!("小程序包 {total} 字节，超过 20 MB 上限"),
        ));
    }

    let code: Vec<&PackageFile> = files
        .iter()
        .filter(|f| is_code(&f.path) && f.text.is_some())
        .collect();
    let all_code = |needle: &str| {
        code.iter()
            .any(|f| f.text.as_deref().is_some_and(|t| t.contains(needle)))
    };

    if let Some(manifest) = &manifest {
        match text(&manifest.entry) {
            None => findings.push(finding(
                "entry",
                &manifest.entry,
                "入口页面不存在（manifest 的 entry）",
            )),
            Some(html) => {
                let no_zoom = html.contains("user-scalable=no") || html.contains("maximum-scale=1");
                if !html.contains("name=\"viewport\"") || !no_zoom {
                    findings.push(finding(
                        "viewport",
                        &manifest.entry,
                        "须有 <meta name=\"viewport\">，并禁止双指缩放（user-scalable=no 或 maximum-scale=1）",
                    ));
                }
            }
        }
        let styles_elder = all_code("getUiStyle")
            && files.iter().any(|f| {
                (f.path.ends_with(".css") || f.path.ends_with(".vue") || f.path.ends_with(".html"))
                    && f.text.as_deref().is_some_and(|t| t.contains("elder"))
            });
        // Elder mode and ZwLog are 浙里办's review rules; 浙政钉 has its own.
        if manifest.platform == Platform::Zlb && (!manifest.elder_mode || !styles_elder) {
            findings.push(finding(
                "elder-mode",
                "",
                "须支持长辈版：manifest 的 elder_mode 为 true，调用 getUiStyle，并有 elder 样式",
            ));
        }
        for method in METHODS.iter().filter(|m| m.scope.is_some()) {
            let Some(scope) = method.scope else { continue };
            if all_code(method.name) && !manifest.declares(scope) {
                findings.push(finding(
                    "scope",
                    "miniapp.json",
                    format!(
                        "代码调用了 {}，须在 scopes 中声明 {}",
                        method.name,
                        scope.as_str()
                    ),
                ));
            }
        }
    }

    let zlb = manifest
        .as_ref()
        .is_none_or(|m| m.platform == Platform::Zlb);
    if zlb && !all_code("sendPV") {
        findings.push(finding(
            "zwlog",
            "",
            "须接入 ZwLog：每个页面调用 sendPV 上报访问",
        ));
    }

    for f in &code {
        let Some(t) = f.text.as_deref() else { continue };
        let external_link = t.contains("href=\"http://") || t.contains("href=\"https://");
        let opens = t.contains("window.open(") || t.contains("location.href = \"http");
        let downloads = t.contains(" download=") || t.contains(" download ");
        if external_link || opens || downloads {
            findings.push(finding(
                "external-link",
                &f.path,
                "外部链接和下载须通过 ZWJSBridge.openLink，不能直接打开",
            ));
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, text: &str) -> PackageFile {
        PackageFile {
            path: path.into(),
            size: text.len() as u64,
            text: Some(text.into()),
        }
    }

    const MANIFEST: &str = r#"{"id": "zk-demo-services", "name": "掌上办事", "version": "1.0.0",
        "platform": "zlb", "entry": "index.html", "scopes": [], "min_real_name_level": 1,
        "user_kinds": ["citizen"], "min_sdk_version": "0.1.0", "elder_mode": true}"#;

    const GOOD_PAGE: &str = r#"<meta name="viewport" content="width=device-width, user-scalable=no">
        <style>.elder { font-size: 20px }</style>
        <script>ZWJSBridge.getUiStyle(); new ZwLog({}).sendPV({pageId: "home"});</script>"#;

    #[test]
    fn a_package_that_keeps_the_rules_has_no_findings() {
        let findings = review(&[
            file("miniapp.json", MANIFEST),
            file("index.html", GOOD_PAGE),
        ]);
        assert!(findings.is_empty(), "{findings:?}");
    }

    #[test]
    fn each_broken_rule_is_named_with_its_file() {
        let page = r#"<meta name="viewport" content="width=device-width">
            <a href="https://example.com/x.pdf" download>下载</a>
            <script>zhelikit.call("zhelikit.getCurrentUser")</script>"#;
        let manifest = MANIFEST.replace("\"elder_mode\": true", "\"elder_mode\": false");
        let findings = review(&[file("miniapp.json", &manifest), file("index.html", page)]);
        let rules: Vec<&str> = findings.iter().map(|f| f.rule).collect();
        for rule in ["viewport", "elder-mode", "scope", "zwlog", "external-link"] {
            assert!(rules.contains(&rule), "{rule} in {rules:?}");
        }
        let scope = findings.iter().find(|f| f.rule == "scope").unwrap();
        assert!(scope.message.contains("profile"), "{scope:?}");
    }

    #[test]
    fn a_missing_or_broken_manifest_and_an_oversized_package_are_findings() {
        assert_eq!(review(&[file("index.html", GOOD_PAGE)])[0].rule, "manifest");
        let huge = PackageFile {
            path: "video.mp4".into(),
            size: MAX_PACKAGE_BYTES + 1,
            text: None,
        };
        let findings = review(&[
            file("miniapp.json", MANIFEST),
            file("index.html", GOOD_PAGE),
            huge,
        ]);
        assert!(findings.iter().any(|f| f.rule == "size"), "{findings:?}");
    }
}
