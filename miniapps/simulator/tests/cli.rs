//! `zhelikit-miniapp` as a developer runs it: a new mini-app passes `validate` and packs with
//! its hashes; a broken one is refused with every finding; the sample mini-apps pass.

use std::path::{Path, PathBuf};
use std::process::Command;

fn cli() -> Command {
    Command::new(env!("CARGO_BIN_EXE_zhelikit-miniapp"))
}

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("zk-cli-{name}-{}", uuid::Uuid::new_v4().simple()))
}

#[test]
fn a_new_mini_app_validates_and_packs_with_the_hash_of_every_file() {
    let dir = temp("new");
    let out = cli()
        .args([
            "new",
            dir.to_str().unwrap(),
            "--id",
            "my-first-app",
            "--name",
            "我的第一个小程序",
        ])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let manifest = std::fs::read_to_string(dir.join("miniapp.json")).unwrap();
    assert!(manifest.contains("\"my-first-app\""));

    let zip_path = dir.with_extension("zip");
    let out = cli()
        .args([
            "pack",
            dir.to_str().unwrap(),
            "--out",
            zip_path.to_str().unwrap(),
        ])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&zip_path).unwrap()).unwrap();
    let names: Vec<String> = (0..zip.len())
        .map(|i| zip.by_index(i).unwrap().name().to_string())
        .collect();
    for name in ["miniapp.json", "index.html", "hashes.json"] {
        assert!(names.contains(&name.to_string()), "{name} in {names:?}");
    }
    let mut hashes = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("hashes.json").unwrap(), &mut hashes).unwrap();
    let hashes: serde_json::Value = serde_json::from_str(&hashes).unwrap();
    assert_eq!(
        hashes["index.html"].as_str().map(str::len),
        Some(64),
        "SHA-256 hex"
    );
}

#[test]
fn a_mini_app_breaking_the_rules_is_refused_naming_each_rule() {
    let dir = temp("bad");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("miniapp.json"),
        r#"{"id": "bad-app", "name": "坏例子", "version": "1.0.0", "platform": "zlb",
            "entry": "index.html", "scopes": [], "min_real_name_level": 1,
            "user_kinds": ["citizen"], "min_sdk_version": "0.1.0", "elder_mode": false}"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("index.html"),
        r#"<html><body><a href="https://example.com">外链</a>
           <script>zhelikit.call("zhelikit.getHomeScreen")</script></body></html>"#,
    )
    .unwrap();
    let out = cli()
        .args(["validate", dir.to_str().unwrap()])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let said = String::from_utf8_lossy(&out.stderr);
    for rule in [
        "[viewport]",
        "[elder-mode]",
        "[scope]",
        "[zwlog]",
        "[external-link]",
    ] {
        assert!(said.contains(rule), "{rule} in {said}");
    }
}

#[test]
fn the_sample_mini_apps_pass_validate() {
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../samples");
    let mut checked = 0;
    for entry in std::fs::read_dir(&samples).unwrap() {
        let dir = entry.unwrap().path();
        // A sample with a page (the others are manifests whose pages come with their issue),
        // validated as it ships: built (scripts/test builds the mini-apps before cargo test).
        if !dir.join("index.html").is_file() {
            continue;
        }
        assert!(
            dir.join("dist").is_dir(),
            "{} is not built: cd miniapps && npm ci && npm run build",
            dir.display()
        );
        let out = cli()
            .args(["validate", dir.to_str().unwrap()])
            .output()
            .expect("run");
        assert!(
            out.status.success(),
            "{}: {}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        checked += 1;
    }
    assert!(
        checked >= 1,
        "no sample with a page in {}",
        samples.display()
    );
}

#[test]
fn a_form_is_checked_as_the_sdk_and_the_bff_load_it() {
    let dir = temp("form");
    std::fs::create_dir_all(&dir).expect("dir");
    let good = dir.join("good.json");
    std::fs::write(
        &good,
        r#"{"id": "newborn", "version": 1, "title": "新生儿出生一件事",
            "choices": {"gender": [{"value": "m", "label": "男"}, {"value": "f", "label": "女"}]},
            "fields": [
              {"name": "baby_name", "label": "婴儿姓名", "type": "text", "required": true},
              {"name": "gender", "label": "性别", "type": "select_one", "choices": "gender"},
              {"name": "born", "label": "出生日期", "type": "date", "constraint": ". <= today()"}
            ]}"#,
    )
    .expect("write");
    let shown = cli().arg("form").arg(&good).output().expect("run");
    assert!(
        shown.status.success(),
        "{}",
        String::from_utf8_lossy(&shown.stderr)
    );
    let text = String::from_utf8_lossy(&shown.stdout);
    assert!(
        text.contains("新生儿出生一件事（newborn 第 1 版）"),
        "{text}"
    );
    assert!(text.contains("gender 性别：单选 gender"), "{text}");
    assert!(text.contains("校验 . <= today()"), "{text}");

    let bad = dir.join("bad.json");
    std::fs::write(
        &bad,
        r#"{"id": "newborn", "version": 1, "title": "新生儿出生一件事", "fields": [
              {"name": "gender", "label": "性别", "type": "select_one", "choices": "nowhere"},
              {"name": "born", "label": "出生日期", "type": "date", "constraint": ". <= today() +"}
            ]}"#,
    )
    .expect("write");
    let refused = cli().arg("form").arg(&bad).output().expect("run");
    assert_eq!(refused.status.code(), Some(1));
    let text = String::from_utf8_lossy(&refused.stderr);
    assert!(text.contains("gender：没有选项列表 nowhere"), "{text}");
    assert!(
        text.contains("born.constraint：constraint 第 15 个字符处：表达式不完整"),
        "{text}"
    );
    assert!(text.contains("共 2 处问题"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_sample_forms_import_from_their_spreadsheets_with_every_department_part() {
    let forms = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bff-server/forms");
    for (file, title, prefilled, parts) in [
        (
            "enterprise-setup.xlsx",
            "企业开办一件事（enterprise-setup 第 2 版）",
            "legal_id 公民身份号码：公民身份号码  [必填；预填 profile.id_number]",
            &[
                "market_regulation 设立登记",
                "taxation 涉税事项",
                "public_security 印章刻制备案",
                "human_resources 社保登记",
            ][..],
        ),
        (
            "newborn.xlsx",
            "新生儿出生一件事（newborn 第 2 版）",
            "household_address 落户地址：文本  [必填；预填 household.address]",
            &[
                "health 出生医学证明",
                "public_security 出生户口登记",
                "human_resources 社会保障卡申领",
            ][..],
        ),
        (
            "policy-claim.xlsx",
            "惠企政策兑现申报（policy-claim 第 2 版）",
            "uscc 统一社会信用代码：统一社会信用代码  [必填；预填 registration.uscc]",
            &["economy 惠企政策兑现"][..],
        ),
    ] {
        let shown = cli()
            .arg("form")
            .arg(forms.join(file))
            .output()
            .expect("run");
        let text = String::from_utf8_lossy(&shown.stdout);
        assert!(
            shown.status.success(),
            "{file}: {}",
            String::from_utf8_lossy(&shown.stderr)
        );
        assert!(text.starts_with(title), "{text}");
        assert!(
            text.contains(&format!("一件事联办（{} 个部门）", parts.len())),
            "{text}"
        );
        assert!(text.contains(prefilled), "{file} lacks {prefilled}: {text}");
        for part in parts {
            assert!(text.contains(part), "{file} lacks {part}: {text}");
        }
    }
}
