//! `zhelikit-miniapp`: the mini-app developer's command line.
//!
//! - `new <dir> [--id <mini-app id>] [--name <名称>]` writes a template mini-app (manifest, a page
//!   on ZWJSBridge with login, elder mode and ZwLog) that passes `validate`.
//! - `validate <dir>` checks the package against the review rules that can be checked
//!   statically (see `zhelikit_simulator::review`); exits 1 with every finding listed.
//! - `pack <dir> [--out <file.zip>]` validates, then writes a zip of the package with its
//!   manifest and `hashes.json` (SHA-256 of every file).
//! - `serve <dir>` validates, then finds the mini-app in the simulator of a running
//!   `scripts/run` (`SIMULATOR_URL`, default http://127.0.0.1:8090), which serves every mini-app
//!   under `miniapps/dev/` live from its folder and registers it with the platform and the BFF.
//!
//! - `stats <dir> [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--json]` shows the mini-app's page
//!   views and events (ZwLog) over the days asked (default the last seven), as its owner: the
//!   request is signed with the mini-app's registration keys (`ZK_MINIAPP_IRS_ACCESS_KEY` and
//!   `ZK_MINIAPP_IRS_SECRET_KEY`; on the demo stack, derived from `.zhelikit/demo.env`), sent to
//!   `ZHELIKIT_BFF_URL` (default http://127.0.0.1:8080).
//!
//! - `form <file.xlsx|file.json> [--json]` checks a form (an XLSForm spreadsheet, or a form
//!   definition as JSON) the way the SDK and the BFF load it: every problem listed (a
//!   spreadsheet's by sheet, row and column) and exit 1; else an outline of its fields, or with
//!   `--json` the definition as JSON (an XLSForm converted).
//!
//! A package is the folder's `dist/` when it has one (a built app), else the folder; its
//! `miniapp.json` is the folder's.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use sha2::{Digest, Sha256};
use zhelikit_simulator::review::{read_package, review, Finding, PackageFile};

const USAGE: &str = "用法：zhelikit-miniapp new <目录> [--id <小程序编号>] [--name <名称>]
      zhelikit-miniapp validate <目录>
      zhelikit-miniapp pack <目录> [--out <文件.zip>]
      zhelikit-miniapp serve <目录>
      zhelikit-miniapp stats <目录> [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--json]
      zhelikit-miniapp form <表单.xlsx|表单.json> [--json]";

fn flag(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

/// The package of the mini-app in `dir`: its built `dist/` (or the folder) plus its manifest.
fn package(dir: &Path) -> std::io::Result<Vec<PackageFile>> {
    let built = dir.join("dist");
    let root = if built.is_dir() {
        built
    } else {
        dir.to_path_buf()
    };
    let mut files = read_package(&root)?;
    if !files.iter().any(|f| f.path == "miniapp.json") {
        if let Ok(text) = std::fs::read_to_string(dir.join("miniapp.json")) {
            files.push(PackageFile {
                path: "miniapp.json".into(),
                size: text.len() as u64,
                text: Some(text),
            });
        }
    }
    Ok(files)
}

fn print_findings(findings: &[Finding]) {
    for f in findings {
        if f.file.is_empty() {
            eprintln!("  ✗ [{}] {}", f.rule, f.message);
        } else {
            eprintln!("  ✗ [{}] {}：{}", f.rule, f.file, f.message);
        }
    }
}

fn validate(dir: &Path) -> Result<Vec<PackageFile>, ExitCode> {
    let files = package(dir).map_err(|e| {
        eprintln!("读不了 {}：{e}", dir.display());
        ExitCode::from(2)
    })?;
    let findings = review(&files);
    if findings.is_empty() {
        println!("✓ {} 通过静态审核（{} 个文件）", dir.display(), files.len());
        Ok(files)
    } else {
        eprintln!("{} 有 {} 处不符合审核要求：", dir.display(), findings.len());
        print_findings(&findings);
        Err(ExitCode::from(1))
    }
}

fn pack(dir: &Path, out: PathBuf) -> Result<(), ExitCode> {
    let files = validate(dir)?;
    let built = dir.join("dist");
    let root = if built.is_dir() {
        built
    } else {
        dir.to_path_buf()
    };
    let fail = |e: &dyn std::fmt::Display| {
        eprintln!("打包失败：{e}");
        ExitCode::from(2)
    };
    let file = std::fs::File::create(&out).map_err(|e| fail(&e))?;
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default();
    let mut hashes = serde_json::Map::new();
    for f in &files {
        let bytes = if f.path == "miniapp.json" && !root.join("miniapp.json").exists() {
            std::fs::read(dir.join("miniapp.json"))
        } else {
            std::fs::read(root.join(&f.path))
        }
        .map_err(|e| fail(&e))?;
        hashes.insert(
            f.path.clone(),
            serde_json::Value::String(hex::encode(Sha256::digest(&bytes))),
        );
        zip.start_file(f.path.as_str(), options)
            .map_err(|e| fail(&e))?;
        zip.write_all(&bytes).map_err(|e| fail(&e))?;
    }
    zip.start_file("hashes.json", options)
        .map_err(|e| fail(&e))?;
    let hashes = serde_json::to_vec_pretty(&hashes).map_err(|e| fail(&e))?;
    zip.write_all(&hashes).map_err(|e| fail(&e))?;
    zip.finish().map_err(|e| fail(&e))?;
    println!("✓ 已打包 {}", out.display());
    Ok(())
}

const TEMPLATE_PAGE: &str = r#"<!doctype html>
<html lang="zh-CN">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1, maximum-scale=1, user-scalable=no">
  <title>{{NAME}}</title>
  <script src="//assets.zjzwfw.gov.cn/assets/ZWJSBridge/1.1.0/zwjsbridge.js"></script>
  <script src="//assets.zjzwfw.gov.cn/assets/zwlog/1.0.0/zwlog.js"></script>
  <style>
    body { font-family: -apple-system, "PingFang SC", sans-serif; margin: 16px; }
    body.elder { font-size: 20px; }
    button { font: inherit; padding: 8px 16px; }
  </style>
</head>
<body>
  <h1>{{NAME}}</h1>
  <p id="who">尚未登录</p>
  <button id="login">登录</button>
  <script>
    ZWJSBridge.onReady(async () => {
      try {
        const { uiStyle } = await ZWJSBridge.getUiStyle({});
        document.body.classList.toggle("elder", uiStyle === "elder");
      } catch (e) { /* older containers: normal style */ }
      zhelikit.on("uiStyleChanged", (d) => document.body.classList.toggle("elder", d.uiStyle === "elder"));
      const log = new ZwLog({});
      log.onReady(() => log.sendPV({ miniAppId: "{{ID}}", pageId: "home", pageName: "首页" }));
      document.getElementById("login").onclick = async () => {
        try {
          const { ticketId } = await ZWJSBridge.ssoTicket({});
          await zhelikit.call("zhelikit.loginWithTicketId", { ticketId });
          const me = await zhelikit.call("zhelikit.getCurrentUser");
          document.getElementById("who").textContent = me.display_name + "，您好";
        } catch (e) {
          ZWJSBridge.toast({ message: e.message });
        }
      };
    });
  </script>
</body>
</html>
"#;

fn new_app(dir: &Path, id: &str, name: &str) -> Result<(), ExitCode> {
    if dir.exists()
        && std::fs::read_dir(dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        eprintln!("{} 已存在且不为空", dir.display());
        return Err(ExitCode::from(2));
    }
    let manifest = serde_json::json!({
        "id": id, "name": name, "version": "0.1.0", "platform": "zlb", "entry": "index.html",
        "pages": [{"id": "home", "name": "首页", "path": "index.html"}],
        "scopes": ["profile"], "min_real_name_level": 1, "user_kinds": ["citizen"],
        "min_sdk_version": zhelikit_sdk::SDK_VERSION, "elder_mode": true
    });
    let written = std::fs::create_dir_all(dir)
        .and_then(|_| {
            std::fs::write(
                dir.join("miniapp.json"),
                serde_json::to_string_pretty(&manifest).unwrap_or_default() + "\n",
            )
        })
        .and_then(|_| {
            std::fs::write(
                dir.join("index.html"),
                TEMPLATE_PAGE
                    .replace("{{ID}}", id)
                    .replace("{{NAME}}", name),
            )
        });
    if let Err(e) = written {
        eprintln!("写不了 {}：{e}", dir.display());
        return Err(ExitCode::from(2));
    }
    println!("✓ 已创建 {}（{id}）", dir.display());
    validate(dir).map(|_| ())
}

/// Validates the mini-app, then finds it in the running simulator (`scripts/run` serves every
/// mini-app under `miniapps/dev/`, `ZK_DEV_MINIAPPS`, live from its folder: edit, reload).
fn serve(dir: &Path) -> Result<(), ExitCode> {
    let files = validate(dir)?;
    let id = files
        .iter()
        .find(|f| f.path == "miniapp.json")
        .and_then(|f| f.text.as_deref())
        .and_then(|json| zhelikit_domain::manifest::Manifest::parse(json).ok())
        .map(|m| m.id)
        .ok_or(ExitCode::from(2))?;
    let simulator =
        std::env::var("SIMULATOR_URL").unwrap_or_else(|_| "http://127.0.0.1:8090".into());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|_| ExitCode::from(2))?;
    let listed = runtime.block_on(async {
        let answer = reqwest::get(format!("{simulator}/api/miniapps"))
            .await
            .ok()?;
        let value: serde_json::Value = answer.json().await.ok()?;
        let apps = value["miniApps"].as_array()?.clone();
        Some(apps.iter().any(|a| a["id"] == id.as_str()))
    });
    match listed {
        Some(true) => {
            println!("✓ {id} 已在模拟器中：{simulator}/?miniApp={id}（改文件后刷新即可）");
            Ok(())
        }
        Some(false) => {
            eprintln!(
                "模拟器里还没有 {id}：把它放在 miniapps/dev/ 下（zhelikit-miniapp new miniapps/dev/<名称>），再重新运行 scripts/run，平台和 BFF 才会登记它"
            );
            Err(ExitCode::from(1))
        }
        None => {
            eprintln!("连不上模拟器 {simulator}：先运行 scripts/run（或设置 SIMULATOR_URL）");
            Err(ExitCode::from(1))
        }
    }
}

/// The mini-app's page views and events, read from the BFF as its owner.
fn stats(dir: &Path, from: Option<String>, to: Option<String>, json: bool) -> Result<(), ExitCode> {
    use zhelikit_domain::analytics::day_of;
    use zhelikit_simulator::stats::{demo_keys, fetch_report, render};
    let manifest = std::fs::read_to_string(dir.join("miniapp.json"))
        .ok()
        .and_then(|json| zhelikit_domain::manifest::Manifest::parse(&json).ok())
        .ok_or_else(|| {
            eprintln!(
                "{} 没有有效的 miniapp.json（先运行 validate）",
                dir.display()
            );
            ExitCode::from(2)
        })?;
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let keys = match (
        env("ZK_MINIAPP_IRS_ACCESS_KEY"),
        env("ZK_MINIAPP_IRS_SECRET_KEY"),
    ) {
        (Some(access_key), Some(secret_key)) => Some(platform_api::irs::Credentials {
            access_key,
            secret_key,
        }),
        _ => {
            let state = env("ZK_STATE_DIR").unwrap_or_else(|| ".zhelikit".into());
            let file = std::fs::read_to_string(Path::new(&state).join("demo.env")).ok();
            demo_keys(&manifest.id, env, file.as_deref())
        }
    }
    .ok_or_else(|| {
        eprintln!("缺少小程序的 IRS 密钥：设置 ZK_MINIAPP_IRS_ACCESS_KEY 和 ZK_MINIAPP_IRS_SECRET_KEY（演示环境下先运行 scripts/run）");
        ExitCode::from(2)
    })?;
    let now = chrono::Utc::now().timestamp_millis();
    let to = to.unwrap_or_else(|| day_of(now));
    let from = from.unwrap_or_else(|| day_of(now - 6 * 86_400_000));
    let bff = env("ZHELIKIT_BFF_URL").unwrap_or_else(|| "http://127.0.0.1:8080".into());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|_| ExitCode::from(2))?;
    match runtime.block_on(fetch_report(&bff, &manifest.id, &keys, &from, &to)) {
        Ok(report) if json => {
            println!(
                "{}",
                serde_json::to_string_pretty(&report).unwrap_or_default()
            );
            Ok(())
        }
        Ok(report) => {
            print!("{}", render(&report));
            Ok(())
        }
        Err(e) => {
            eprintln!("{e}");
            Err(ExitCode::from(1))
        }
    }
}

/// `form`: loads the form at `path` and shows it, or every problem with it.
fn form(path: &Path, as_json: bool) -> Result<(), ExitCode> {
    use zhelikit_domain::forms::definition::{Form, FormDefinition};
    let bytes = std::fs::read(path).map_err(|e| {
        eprintln!("无法读取 {}：{e}", path.display());
        ExitCode::from(2)
    })?;
    let xlsx = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
    let definition = if xlsx {
        zhelikit_domain::forms::xlsform::import(&bytes).map_err(|problems| {
            for p in &problems {
                eprintln!(
                    "{} 第 {} 行 {} 列：{}",
                    p.sheet, p.row, p.column, p.message.zh
                );
            }
            eprintln!("共 {} 处问题", problems.len());
            ExitCode::from(1)
        })?
    } else {
        let definition: FormDefinition = serde_json::from_slice(&bytes).map_err(|e| {
            eprintln!("表单定义不是有效的 JSON（{e}）");
            ExitCode::from(1)
        })?;
        if let Err(problems) = Form::load(definition.clone()) {
            for p in &problems {
                eprintln!("{}：{}", p.path, p.message.zh);
            }
            eprintln!("共 {} 处问题", problems.len());
            return Err(ExitCode::from(1));
        }
        definition
    };
    if as_json {
        let text = serde_json::to_string_pretty(&definition).map_err(|_| ExitCode::from(1))?;
        println!("{text}");
    } else {
        println!(
            "{}（{} 第 {} 版）",
            definition.title, definition.id, definition.version
        );
        outline(&definition.fields, 1);
        if !definition.routing.is_empty() {
            println!("一件事联办（{} 个部门）：", definition.routing.len());
            for part in &definition.routing {
                println!(
                    "  {} {}：{}",
                    part.department,
                    part.title,
                    part.fields.join("、")
                );
            }
        }
    }
    Ok(())
}

/// The fields as a tree: name, label, kind, and what governs them.
fn outline(fields: &[zhelikit_domain::forms::definition::Field], depth: usize) {
    use zhelikit_domain::forms::definition::FieldKind as K;
    for f in fields {
        let kind = match &f.kind {
            K::Text => "文本".to_string(),
            K::Integer => "整数".into(),
            K::Decimal => "小数".into(),
            K::Money => "金额（分）".into(),
            K::Date => "日期".into(),
            K::Time => "时间".into(),
            K::Attachment { max_bytes, accept } => format!(
                "附件（≤ {} MB{}）",
                max_bytes.unwrap_or(zhelikit_domain::forms::definition::DEFAULT_MAX_ATTACHMENT)
                    / (1024 * 1024),
                if accept.is_empty() {
                    String::new()
                } else {
                    format!("，{}", accept.join("、"))
                }
            ),
            K::Boolean => "是/否".into(),
            K::SelectOne { choices } => format!("单选 {choices}"),
            K::SelectMany { choices } => format!("多选 {choices}"),
            K::ResidentId => "公民身份号码".into(),
            K::Uscc => "统一社会信用代码".into(),
            K::Phone => "手机号码".into(),
            K::Email => "电子邮箱".into(),
            K::Group { .. } => "分组".into(),
            K::Repeat { min, max, .. } => format!(
                "重复 {min}–{}",
                max.map_or("不限".to_string(), |m| m.to_string())
            ),
        };
        let mut notes = Vec::new();
        if f.required {
            notes.push("必填".to_string());
        }
        if let Some(r) = &f.relevant {
            notes.push(format!("显示条件 {r}"));
        }
        if let Some(c) = &f.constraint {
            notes.push(format!("校验 {c}"));
        }
        if let Some(c) = &f.calculate {
            notes.push(format!("计算 {c}"));
        }
        if f.read_only {
            notes.push("只读".to_string());
        }
        if let Some(p) = &f.prefill {
            notes.push(format!("预填 {p}"));
        }
        let notes = if notes.is_empty() {
            String::new()
        } else {
            format!("  [{}]", notes.join("；"))
        };
        println!(
            "{}{} {}：{}{notes}",
            "  ".repeat(depth),
            f.name,
            f.label,
            kind
        );
        if let K::Group { fields } | K::Repeat { fields, .. } = &f.kind {
            outline(fields, depth + 1);
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(command), Some(dir)) = (args.first(), args.get(1)) else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let dir = PathBuf::from(dir);
    let outcome = match command.as_str() {
        "new" => {
            let id = flag(&args, "--id").unwrap_or_else(|| {
                dir.file_name()
                    .map(|n| n.to_string_lossy().to_lowercase())
                    .unwrap_or_else(|| "my-mini-app".into())
            });
            let name = flag(&args, "--name").unwrap_or_else(|| "我的小程序".into());
            new_app(&dir, &id, &name)
        }
        "validate" => validate(&dir).map(|_| ()),
        "pack" => {
            let out = flag(&args, "--out").map(PathBuf::from).unwrap_or_else(|| {
                PathBuf::from(format!(
                    "{}.zip",
                    dir.file_name()
                        .map(|n| n.to_string_lossy())
                        .unwrap_or_default()
                ))
            });
            pack(&dir, out)
        }
        "serve" => serve(&dir),
        "form" => form(&dir, args.iter().any(|a| a == "--json")),
        "stats" => stats(
            &dir,
            flag(&args, "--from"),
            flag(&args, "--to"),
            args.iter().any(|a| a == "--json"),
        ),
        _ => {
            eprintln!("{USAGE}");
            Err(ExitCode::from(2))
        }
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(code) => code,
    }
}
