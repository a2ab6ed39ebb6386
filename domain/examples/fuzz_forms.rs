//! A mutation fuzzer for what a department controls in the form engine: expressions, form
//! definitions (JSON) and XLSForm spreadsheets.
//!
//! Not coverage-guided — cargo-fuzz needs a nightly toolchain, and this project builds on
//! stable — but seeded random mutations of a corpus (the sample forms' own definitions and
//! expressions, and expressions using every function and operator) with a dictionary of the
//! language's tokens. Every input goes as far as it can: parsed, loaded, and when it loads,
//! run — answers of every kind checked, submitted, filled from sources, laid out. A panic is a
//! crash: the input is printed and the run fails. The same seed makes the same run.
//!
//! `cargo run --release -p zhelikit-domain --features xlsform --example fuzz_forms -- [executions] [seed]`

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use zhelikit_domain::forms::definition::{Form, FormDefinition};
use zhelikit_domain::forms::expr;
use zhelikit_domain::forms::prefill::{Previous, Source, SourceState, Sources};
use zhelikit_domain::forms::xlsform;

const SAMPLES: [&[u8]; 3] = [
    include_bytes!("../../bff-server/forms/enterprise-setup.xlsx"),
    include_bytes!("../../bff-server/forms/newborn.xlsx"),
    include_bytes!("../../bff-server/forms/policy-claim.xlsx"),
];

/// Pieces of the language a mutation inserts.
const DICTIONARY: &[&str] = &[
    "${",
    "}",
    "(",
    ")",
    ".",
    ",",
    "'",
    "\"",
    " and ",
    " or ",
    " div ",
    " mod ",
    "=",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "+",
    "-",
    "*",
    "/",
    "if(",
    "coalesce(",
    "not(",
    "today()",
    "date(",
    "age(",
    "count(",
    "count-selected(",
    "sum(",
    "selected(",
    "string-length(",
    "concat(",
    "yuan(",
    "regex(",
    "true()",
    "false()",
    "0",
    "1",
    "-1",
    "9223372036854775807",
    "1e308",
    "0.5",
    "${registered_capital}",
    "${shareholders}",
    "${contribution}",
    "${birth_date}",
    "${city}",
    "'2026-12-07'",
    "'[0-9]+'",
    "'('",
    "中文",
    "\u{0}",
    "\u{202e}",
    "𝒳",
];

/// Expressions using every function and operator, beside the samples' own.
const EXPRESSIONS: &[&str] = &[
    "if(${invoice_needed}, count-selected(${invoice_kinds}) >= 1, true())",
    "coalesce(${employee_count}, 0) * 2 + 1 > 0 and not(${invoice_needed} = false)",
    "age(${birth_date}) >= 18 or today() - date('2020-01-01') > 30",
    "sum(${contribution}) = ${registered_capital} div 1",
    "string-length(concat(${enterprise_name}, '有限公司')) mod 7 != 3",
    "regex(., '^[0-9]{10,25}$') and selected(${seal_kinds}, 'official')",
    "count(${shareholders}) <= 50 and yuan(1) < ${registered_capital}",
    "-(-(1)) / 2 >= 0.5",
];

/// One mutation of `input`, as text.
fn mutate(rng: &mut StdRng, input: &str) -> String {
    let mut chars: Vec<char> = input.chars().collect();
    for _ in 0..rng.gen_range(1..=2) {
        let at = if chars.is_empty() {
            0
        } else {
            rng.gen_range(0..=chars.len())
        };
        match rng.gen_range(0..6) {
            // Insert a piece of the language.
            0 | 1 => {
                let piece = DICTIONARY[rng.gen_range(0..DICTIONARY.len())];
                chars.splice(at..at, piece.chars());
            }
            // Delete a run.
            2 if !chars.is_empty() => {
                let end = (at + rng.gen_range(1..8)).min(chars.len());
                chars.drain(at.min(end)..end);
            }
            // Replace a character by any.
            3 if at < chars.len() => {
                chars[at] = char::from_u32(rng.gen_range(0..0x3_0000)).unwrap_or('?');
            }
            // Duplicate a run (nesting, long chains).
            4 if !chars.is_empty() => {
                let end = (at + rng.gen_range(1..32)).min(chars.len());
                let run: Vec<char> = chars[at.min(end)..end].to_vec();
                for _ in 0..rng.gen_range(1..20) {
                    chars.splice(at..at, run.iter().copied());
                }
            }
            // Truncate.
            _ => chars.truncate(at),
        }
    }
    chars.into_iter().collect()
}

/// A JSON value of some kind, for an answer.
fn any_value(rng: &mut StdRng, depth: u32) -> Value {
    match rng.gen_range(0..if depth > 2 { 7 } else { 9 }) {
        0 => Value::Null,
        1 => json!(rng.gen::<bool>()),
        2 => json!(rng.gen_range(-1_000_000_000i64..1_000_000_000)),
        3 => json!(rng.gen::<f64>() * 1e6),
        4 => {
            json!(["330302", "2026-11-28", "13812345678", "", "08:30", "male"][rng.gen_range(0..6)])
        }
        5 => json!(i64::MAX),
        6 => json!("x".repeat(rng.gen_range(0..300))),
        7 => Value::Array(
            (0..rng.gen_range(0..4))
                .map(|_| any_value(rng, depth + 1))
                .collect(),
        ),
        _ => {
            let mut o = serde_json::Map::new();
            for k in [
                "sm3",
                "size",
                "name",
                "media_type",
                "shareholder_name",
                "contribution",
            ] {
                if rng.gen_bool(0.5) {
                    o.insert(k.into(), any_value(rng, depth + 1));
                }
            }
            Value::Object(o)
        }
    }
}

/// Answers for `form`: some of its own, some of them of the wrong kind.
fn answers_for(rng: &mut StdRng, form: &Form, good: &Value) -> Value {
    let mut answers = good.as_object().cloned().unwrap_or_default();
    let names: Vec<String> = form
        .definition()
        .fields
        .iter()
        .map(|f| f.name.clone())
        .collect();
    for _ in 0..rng.gen_range(0..6) {
        let name = if names.is_empty() || rng.gen_bool(0.1) {
            "unknown_field".to_string()
        } else {
            names[rng.gen_range(0..names.len())].clone()
        };
        answers.insert(name, any_value(rng, 0));
    }
    Value::Object(answers)
}

/// Everything the engine does with a loaded form, on `answers`.
fn exercise(form: &Form, answers: &Value, today: i64) {
    let submitted = form.submitted(answers, today);
    let _ = form.check(&submitted, today);
    let _ = form.check(answers, today);
    let _ = form.layout(answers, today);
    let _ = form.carry_over(answers);
    let mut government = BTreeMap::new();
    for s in Source::ALL {
        let values = answers.as_object().cloned().unwrap_or_default();
        government.insert(
            s,
            SourceState::Found {
                values,
                age_secs: 1,
            },
        );
    }
    let prefill = form.prefill(
        &Sources {
            government,
            previous: Some(Previous {
                instance_id: "i".into(),
                submitted_at_ms: 0,
                answers: answers.clone(),
            }),
        },
        today,
    );
    let _ = form.check_verified(&submitted, &prefill);
    for field in &form.definition().fields {
        let _ = form.choices_for(&field.name, answers, today);
    }
    // Revalidating one change must say what validating everything says.
    let mut state = form.validate(answers, today);
    let mut changed = answers.clone();
    if let (Some(first), Some(object)) = (form.definition().fields.first(), changed.as_object_mut())
    {
        let name = first.name.clone();
        match object.remove(&name) {
            Some(_) => {}
            None => {
                object.insert(name.clone(), json!("1"));
            }
        }
        form.revalidate(&changed, &name, &mut state, today);
        assert_eq!(
            state,
            form.validate(&changed, today),
            "revalidate differs from validate"
        );
    }
}

/// Answers a sample form takes, to mutate around.
fn good_answers() -> Value {
    json!({"enterprise_name": "温州云帆信息科技有限公司", "registered_capital": 100_000_000,
        "shareholders": [{"shareholder_name": "陈立", "contribution": 100_000_000}],
        "employee_count": 3, "invoice_needed": true, "invoice_kinds": ["vat_normal"],
        "seal_kinds": ["official"], "baby_name": "陈小雨", "birth_date": "2026-11-28",
        "birth_weight": 3200, "father_known": false, "city": "330300", "county": "330302"})
}

/// Calls `visit` with every expression of `fields` (groups and repeats within), in order.
fn each_expression(
    fields: &mut [zhelikit_domain::forms::definition::Field],
    visit: &mut dyn FnMut(&mut String),
) {
    use zhelikit_domain::forms::definition::FieldKind;
    for f in fields {
        for e in [
            &mut f.relevant,
            &mut f.constraint,
            &mut f.calculate,
            &mut f.choice_filter,
        ]
        .into_iter()
        .flatten()
        {
            visit(e);
        }
        if let FieldKind::Group { fields } | FieldKind::Repeat { fields, .. } = &mut f.kind {
            each_expression(fields, visit);
        }
    }
}

/// How many expressions `fields` have.
fn expression_slots(fields: &mut [zhelikit_domain::forms::definition::Field]) -> usize {
    let mut n = 0;
    each_expression(fields, &mut |_| n += 1);
    n
}

/// A spreadsheet from rows of cells, as a department might save it.
fn workbook(sheets: &[(&str, Vec<Vec<String>>)]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    for (name, rows) in sheets {
        let sheet = book.add_worksheet();
        let _ = sheet.set_name(*name);
        for (r, row) in rows.iter().enumerate() {
            for (c, value) in row.iter().enumerate() {
                let _ = sheet.write_string(r as u32, c as u16, value);
            }
        }
    }
    book.save_to_buffer().unwrap_or_default()
}

/// The survey of a definition as rows, as its spreadsheet had them.
fn survey_rows(definition: &FormDefinition) -> Vec<Vec<String>> {
    use zhelikit_domain::forms::definition::{Field, FieldKind};
    fn rows_of(fields: &[Field], out: &mut Vec<Vec<String>>) {
        for f in fields {
            let t = match &f.kind {
                FieldKind::SelectOne { choices } => format!("select_one {choices}"),
                FieldKind::SelectMany { choices } => format!("select_multiple {choices}"),
                FieldKind::Group { .. } => "begin group".into(),
                FieldKind::Repeat { .. } => "begin repeat".into(),
                other => serde_json::to_value(other)
                    .ok()
                    .and_then(|k| k["type"].as_str().map(str::to_string))
                    .unwrap_or_else(|| "text".into()),
            };
            let cell = |v: &Option<String>| v.clone().unwrap_or_default();
            out.push(vec![
                t,
                f.name.clone(),
                f.label.clone(),
                if f.required {
                    "yes".into()
                } else {
                    String::new()
                },
                cell(&f.relevant),
                cell(&f.constraint),
                cell(&f.calculate),
                cell(&f.choice_filter),
                f.default
                    .as_ref()
                    .map(|d| match d {
                        Value::String(t) => t.clone(),
                        Value::Array(codes) => codes
                            .iter()
                            .filter_map(Value::as_str)
                            .collect::<Vec<_>>()
                            .join(" "),
                        other => other.to_string(),
                    })
                    .unwrap_or_default(),
                cell(&f.prefill),
            ]);
            match &f.kind {
                FieldKind::Group { fields } => {
                    rows_of(fields, out);
                    out.push(vec!["end group".into()]);
                }
                FieldKind::Repeat { fields, .. } => {
                    rows_of(fields, out);
                    out.push(vec!["end repeat".into()]);
                }
                _ => {}
            }
        }
    }
    let mut rows = vec![[
        "type",
        "name",
        "label",
        "required",
        "relevant",
        "constraint",
        "calculate",
        "choice_filter",
        "default",
        "prefill",
    ]
    .map(String::from)
    .to_vec()];
    rows_of(&definition.fields, &mut rows);
    rows
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let executions: u64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(200_000);
    let seed: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(20261207);
    let mut rng = StdRng::seed_from_u64(seed);
    // 2026-12-07 in China, as a form's today() counts days.
    let today = zhelikit_domain::policy::china_day(1_796_601_600);

    // The corpus: the samples' definitions (as JSON) and every expression in them.
    let definitions: Vec<FormDefinition> = SAMPLES
        .iter()
        .filter_map(|b| xlsform::import(b).ok())
        .collect();
    assert_eq!(definitions.len(), SAMPLES.len(), "the samples import");
    let texts: Vec<String> = definitions
        .iter()
        .filter_map(|d| serde_json::to_string(d).ok())
        .collect();
    let mut expressions: Vec<String> = EXPRESSIONS.iter().map(|e| e.to_string()).collect();
    fn collect(fields: &[zhelikit_domain::forms::definition::Field], out: &mut Vec<String>) {
        for f in fields {
            out.extend(
                [&f.relevant, &f.constraint, &f.calculate, &f.choice_filter]
                    .into_iter()
                    .flatten()
                    .cloned(),
            );
            if let zhelikit_domain::forms::definition::FieldKind::Group { fields }
            | zhelikit_domain::forms::definition::FieldKind::Repeat { fields, .. } = &f.kind
            {
                collect(fields, out);
            }
        }
    }
    for d in &definitions {
        collect(&d.fields, &mut expressions);
    }
    let good = good_answers();

    // Panics are what is looked for: keep the default hook from printing each one caught.
    std::panic::set_hook(Box::new(|_| {}));
    let started = Instant::now();
    let mut counts = BTreeMap::<&str, (u64, u64)>::new(); // target → (executions, accepted)
    for n in 0..executions {
        let target = match n % 10 {
            0..=4 => "expression",
            5..=8 => "definition",
            _ => "spreadsheet",
        };
        let (input, outcome) = match target {
            "expression" => {
                // One of a sample form's own expressions mutated where it stands, so it is
                // type-checked against the fields it speaks of and, when it loads, evaluated.
                let mut d = definitions[rng.gen_range(0..definitions.len())].clone();
                let slots = expression_slots(&mut d.fields);
                let pick = rng.gen_range(0..slots.max(1));
                let mut src = String::new();
                let mut k = 0;
                each_expression(&mut d.fields, &mut |e| {
                    if k == pick {
                        *e = mutate(&mut rng, e);
                        src = e.clone();
                    }
                    k += 1;
                });
                // And, a tenth of the time, one of the all-functions expressions in its place.
                if rng.gen_bool(0.1) {
                    let pick = rng.gen_range(0..EXPRESSIONS.len());
                    let extra = mutate(&mut rng, EXPRESSIONS[pick]);
                    src = extra.clone();
                    if let Some(f) = d.fields.last_mut() {
                        f.constraint = Some(extra);
                    }
                }
                let answers = good.clone();
                let outcome = catch_unwind(AssertUnwindSafe(|| {
                    let _ = expr::parse(&src);
                    match Form::load(d) {
                        Ok(form) => {
                            exercise(&form, &answers, today);
                            true
                        }
                        Err(_) => false,
                    }
                }));
                (src, outcome)
            }
            "definition" => {
                let pick = rng.gen_range(0..texts.len());
                let text = mutate(&mut rng, &texts[pick]);
                let answers = {
                    let d = definitions[rng.gen_range(0..definitions.len())].clone();
                    match Form::load(d) {
                        Ok(f) => answers_for(&mut rng, &f, &good),
                        Err(_) => good.clone(),
                    }
                };
                let outcome = catch_unwind(AssertUnwindSafe(|| {
                    match serde_json::from_str::<FormDefinition>(&text).map(Form::load) {
                        Ok(Ok(form)) => {
                            exercise(&form, &answers, today);
                            true
                        }
                        _ => false,
                    }
                }));
                (text, outcome)
            }
            _ => {
                // Cells mutated, written as a real .xlsx, imported as the BFF imports one.
                let d = &definitions[rng.gen_range(0..definitions.len())];
                let mut rows = survey_rows(d);
                for _ in 0..rng.gen_range(1..4) {
                    let r = rng.gen_range(0..rows.len());
                    let c = rng.gen_range(0..rows[r].len());
                    rows[r][c] = mutate(&mut rng, &rows[r][c]);
                }
                let settings = vec![
                    vec!["form_id".into(), "version".into(), "form_title".into()],
                    vec![d.id.clone(), mutate(&mut rng, "2"), d.title.clone()],
                ];
                let mut choices = vec![vec![
                    "list_name".to_string(),
                    "name".into(),
                    "label".into(),
                    "province".into(),
                    "city".into(),
                ]];
                for (list, items) in &d.choices {
                    for c in items {
                        choices.push(vec![
                            list.clone(),
                            c.value.clone(),
                            c.label.clone(),
                            c.extra.get("province").cloned().unwrap_or_default(),
                            c.extra.get("city").cloned().unwrap_or_default(),
                        ]);
                    }
                }
                if rng.gen_bool(0.3) {
                    let r = rng.gen_range(0..choices.len());
                    let c = rng.gen_range(0..choices[r].len());
                    choices[r][c] = mutate(&mut rng, &choices[r][c]);
                }
                let bytes = workbook(&[
                    ("survey", rows.clone()),
                    ("choices", choices),
                    ("settings", settings),
                ]);
                let outcome = catch_unwind(AssertUnwindSafe(|| match xlsform::import(&bytes) {
                    Ok(definition) => match Form::load(definition) {
                        Ok(form) => {
                            exercise(&form, &good, today);
                            true
                        }
                        Err(_) => false,
                    },
                    Err(problems) => {
                        // Every problem names its place.
                        assert!(problems.iter().all(|p| !p.sheet.is_empty()));
                        false
                    }
                }));
                (format!("{rows:?}"), outcome)
            }
        };
        let entry = counts.entry(target).or_default();
        entry.0 += 1;
        match outcome {
            Ok(accepted) => entry.1 += u64::from(accepted),
            Err(_) => {
                let _ = std::panic::take_hook();
                eprintln!("CRASH after {n} executions (seed {seed}), {target}:\n{input}");
                std::process::exit(1);
            }
        }
    }
    let took = started.elapsed();
    println!(
        "{executions} executions in {:.1} s ({:.0}/s), seed {seed}, no crash",
        took.as_secs_f64(),
        executions as f64 / took.as_secs_f64()
    );
    for (target, (n, accepted)) in counts {
        println!("  {target}: {n} executions, {accepted} loaded and run, the rest refused with their problems");
    }
}
