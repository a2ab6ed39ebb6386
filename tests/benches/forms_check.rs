//! The form engine's speed, as the SDK runs it on every save and the BFF on every intake:
//! full validation of a 200-field form with a repeat of 5 instances (issue 13 asks ≤ 1 ms),
//! beside the same run's floor — a deep copy of the same answers, which touches every value
//! once and checks nothing; and resident-ID and USCC checks (≥ 10M/s on one core asked),
//! beside reading the same strings' bytes.
//!
//! `cargo bench -p zhelikit-e2e --bench forms_check`

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use serde_json::{json, Value};
use zhelikit_domain::forms::definition::{Form, FormDefinition};
use zhelikit_domain::{ResidentId, Uscc};

/// 195 top-level fields (five kinds in turn, each with a rule, every fifth shown only when
/// a number field before it is above zero) and a repeat of five fields: 200.
fn form() -> (Form, Value) {
    let mut fields = Vec::new();
    let mut answers = serde_json::Map::new();
    for i in 0..195 {
        let name = format!("f{i}");
        let (field, answer) = match i % 5 {
            0 => (
                json!({"name": name, "label": "姓名", "type": "text", "required": true,
                         "constraint": "string-length(.) >= 2"}),
                json!("张三丰"),
            ),
            1 => (
                json!({"name": name, "label": "人数", "type": "integer", "required": true,
                         "constraint": ". >= 0 and . <= 1000"}),
                json!(12),
            ),
            2 => (
                json!({"name": name, "label": "公民身份号码", "type": "resident_id"}),
                json!("11010519491231002X"),
            ),
            3 => (
                json!({"name": name, "label": "日期", "type": "date",
                         "constraint": ". <= today()"}),
                json!("2020-05-01"),
            ),
            _ => (
                json!({"name": name, "label": "选项", "type": "select_one", "choices": "yn",
                         "relevant": format!("${{f{}}} > 0", i - 3)}),
                json!("y"),
            ),
        };
        fields.push(field);
        answers.insert(name, answer);
    }
    fields.push(json!({"name": "members", "label": "成员", "type": "repeat", "min": 1, "max": 10, "fields": [
        {"name": "m_name", "label": "姓名", "type": "text", "required": true},
        {"name": "m_id", "label": "身份号码", "type": "resident_id", "required": true},
        {"name": "m_phone", "label": "手机", "type": "phone"},
        {"name": "m_income", "label": "收入", "type": "money", "constraint": ". >= yuan(0)"},
        {"name": "m_born", "label": "出生日期", "type": "date", "constraint": ". <= today()"}
    ]}));
    let member = json!({"m_name": "李四", "m_id": "11010519491231002X", "m_phone": "13812345678",
                        "m_income": 1_200_000, "m_born": "1990-01-01"});
    answers.insert(
        "members".into(),
        json!([member, member, member, member, member]),
    );
    let definition: FormDefinition = serde_json::from_value(json!({
        "id": "bench", "version": 1, "title": "基准表单", "fields": fields,
        "choices": {"yn": [{"value": "y", "label": "是"}, {"value": "n", "label": "否"}]}
    }))
    .expect("definition");
    (
        Form::load(definition).expect("loads"),
        Value::Object(answers),
    )
}

fn check(c: &mut Criterion) {
    let (form, answers) = form();
    let today = zhelikit_domain::policy::china_day(1_765_000_000);
    assert!(
        form.check(&answers, today).is_empty(),
        "the answers are valid"
    );
    let mut group = c.benchmark_group("form_check_200_fields");
    group.bench_function("floor_deep_copy", |b| b.iter(|| black_box(answers.clone())));
    group.bench_function("check", |b| {
        b.iter(|| black_box(form.check(&answers, today)))
    });
    group.bench_function("submitted_then_check", |b| {
        b.iter(|| {
            let submitted = form.submitted(&answers, today);
            black_box(form.check(&submitted, today))
        })
    });
    // As the person types: one answer changes and only what reads it is settled and checked
    // again. f1 is read by f4's relevance, so each change reaches two fields; the repeat's
    // change reaches the repeat (five instances).
    for (field, values) in [
        ("f1", [json!(12), json!(0)]),
        (
            "members",
            [answers["members"].clone(), json!([answers["members"][0]])],
        ),
    ] {
        let mut answers = answers.clone();
        let mut state = form.validate(&answers, today);
        for v in &values {
            answers[field] = v.clone();
            form.revalidate(&answers, field, &mut state, today);
            assert_eq!(
                state,
                form.validate(&answers, today),
                "revalidate = validate"
            );
        }
        let mut turn = 0;
        group.bench_function(format!("revalidate_one_change_{field}"), |b| {
            b.iter(|| {
                turn ^= 1;
                answers[field] = values[turn].clone();
                form.revalidate(&answers, field, &mut state, today);
                black_box(state.problems.len())
            })
        });
    }
    group.finish();
}

/// `n` valid codes: a body of 17 characters and the check character that makes it parse,
/// for the first bodies that have one (a USCC's body holds a check of its own).
fn valid(
    n: usize,
    alphabet: &str,
    parse: impl Fn(&str) -> bool,
    base: impl Fn(usize) -> String,
) -> Vec<String> {
    (0..n * 100)
        .filter_map(|i| {
            let body = base(i);
            alphabet
                .chars()
                .map(|c| format!("{body}{c}"))
                .find(|code| parse(code))
        })
        .take(n)
        .collect()
}

fn codes(c: &mut Criterion) {
    let ids = valid(
        1000,
        "0123456789X",
        |s| ResidentId::parse(s).is_ok(),
        |i| {
            format!(
                "33030219{:02}{:02}{:02}{:03}",
                70 + i % 30,
                1 + i % 12,
                1 + i % 28,
                i % 1000
            )
        },
    );
    let usccs = valid(
        1000,
        "0123456789ABCDEFGHJKLMNPQRTUWXY",
        |s| Uscc::parse(s).is_ok(),
        |i| format!("91330302MA{:07}", i * 7919 % 10_000_000),
    );
    assert_eq!((ids.len(), usccs.len()), (1000, 1000));
    let mut group = c.benchmark_group("identity_codes_1000");
    group.throughput(Throughput::Elements(1000));
    group.bench_function("floor_read_bytes", |b| {
        b.iter(|| {
            ids.iter()
                .map(|s| s.bytes().map(u32::from).sum::<u32>())
                .sum::<u32>()
        })
    });
    group.bench_function("resident_id", |b| {
        b.iter(|| {
            ids.iter()
                .filter(|s| ResidentId::validate(s).is_ok())
                .count()
        })
    });
    group.bench_function("uscc", |b| {
        b.iter(|| usccs.iter().filter(|s| Uscc::validate(s).is_ok()).count())
    });
    group.finish();
}

criterion_group!(benches, check, codes);
criterion_main!(benches);
