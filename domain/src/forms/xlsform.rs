//! Forms authored as XLSForm spreadsheets (ODK's format, which departments already write):
//! a `survey` sheet, a row per field (`type`, `name`, `label`, `required`, `relevant`,
//! `constraint`, `constraint_message`, `calculate`, `default`, `choice_filter`,
//! `read_only`, and ours: `repeat_min`, `repeat_max`; `prefill`, where 一表通 fills the
//! answer from (`registration.name`, `last`); `max_size` and `accept` of an attachment;
//! `department`, the departments of an 一件事 that need the field, with an optional
//! `departments` sheet titling each part), a `choices` sheet (`list_name`, `name`, `label`,
//! and any columns choice filters read) and a `settings` sheet (`form_id`, `version`,
//! `form_title`), read into a [`FormDefinition`] and loaded; every problem names the sheet,
//! the row and the column, as the author sees them in the spreadsheet.
//!
//! Types: XLSForm's `text`, `integer`, `decimal`, `date`, `time`, `image`, `file`,
//! `select_one <list>`, `select_multiple <list>`, `begin group` / `end group`,
//! `begin repeat` / `end repeat`, `acknowledge` (a yes/no), and ours: `money` (fen),
//! `boolean`, `resident_id`, `uscc`, `phone`, `email`, `attachment` (a file of any type).

use std::collections::{BTreeMap, HashMap};
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use serde_json::Value as Json;

use super::definition::{ChoiceItem, Field, FieldKind, Form, FormDefinition};
use super::routing::Part;
use crate::lang::Text;

/// A problem in the spreadsheet: where, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetProblem {
    /// The sheet (`survey`, `choices`, `settings`).
    pub sheet: String,
    /// The row as the spreadsheet numbers it (1 is the header); 0 for the sheet itself.
    pub row: u32,
    /// The column's header (`type`, `relevant` …); empty for a whole row or sheet.
    pub column: String,
    /// What is wrong.
    pub message: Text,
}

fn at(
    sheet: &str,
    row: u32,
    column: &str,
    zh: impl Into<String>,
    en: impl Into<String>,
) -> SheetProblem {
    SheetProblem {
        sheet: sheet.to_string(),
        row,
        column: column.to_string(),
        message: Text::new(zh, en),
    }
}

/// A sheet's rows under its header: the row's number and its cells by column.
struct Rows(Vec<(u32, HashMap<String, String>)>);

fn cell(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        other => other.to_string(),
    }
}

fn sheet(workbook: &mut Xlsx<Cursor<&[u8]>>, name: &str) -> Option<Rows> {
    let range = workbook.worksheet_range(name).ok()?;
    let first = range.start().map_or(0, |(r, _)| r);
    let mut rows = range.rows();
    let header: Vec<String> = rows
        .next()?
        .iter()
        .map(|c| cell(c).to_lowercase())
        .collect();
    Some(Rows(
        rows.enumerate()
            .map(|(i, row)| {
                let cells = header
                    .iter()
                    .zip(row)
                    .filter(|(h, _)| !h.is_empty())
                    .map(|(h, c)| (h.clone(), cell(c)))
                    .collect();
                // Header is row `first + 1`; this one comes `i + 1` after it.
                (first + i as u32 + 2, cells)
            })
            .collect(),
    ))
}

fn get<'a>(cells: &'a HashMap<String, String>, column: &str) -> Option<&'a str> {
    cells
        .get(column)
        .map(String::as_str)
        .filter(|s| !s.is_empty())
}

/// A field being read, with the row it started on.
struct Open {
    field: Field,
    row: u32,
    children: Vec<Field>,
}

/// Reads the `.xlsx` in `bytes` into a form definition that loads, or says everything wrong.
pub fn import(bytes: &[u8]) -> Result<FormDefinition, Vec<SheetProblem>> {
    let mut workbook: Xlsx<_> =
        calamine::open_workbook_from_rs(Cursor::new(bytes)).map_err(|e| {
            vec![at(
                "",
                0,
                "",
                format!("不是有效的 .xlsx 文件（{e}）"),
                format!("not a valid .xlsx file ({e})"),
            )]
        })?;
    let mut problems = Vec::new();
    let Some(survey) = sheet(&mut workbook, "survey") else {
        return Err(vec![at(
            "survey",
            0,
            "",
            "缺少 survey 工作表",
            "the survey sheet is missing",
        )]);
    };
    let choices = read_choices(sheet(&mut workbook, "choices"), &mut problems);
    let settings = sheet(&mut workbook, "settings");
    let setting = |name: &str| {
        settings
            .as_ref()
            .and_then(|s| s.0.first())
            .and_then(|(_, c)| get(c, name))
            .map(str::to_string)
    };
    let settings_row = settings
        .as_ref()
        .and_then(|s| s.0.first())
        .map_or(0, |(r, _)| *r);
    let id = setting("form_id").unwrap_or_else(|| {
        problems.push(at(
            "settings",
            settings_row,
            "form_id",
            "缺少表单编号 form_id",
            "form_id is missing",
        ));
        String::new()
    });
    let version = match setting("version") {
        None => 1,
        Some(v) => v.parse().unwrap_or_else(|_| {
            problems.push(at(
                "settings",
                settings_row,
                "version",
                format!("版本号须为整数，而不是 {v}"),
                format!("version must be a whole number, not {v}"),
            ));
            1
        }),
    };
    let title = setting("form_title").unwrap_or_else(|| id.clone());

    // Groups and repeats nest: the stack holds the ones open, the root at the bottom.
    let mut stack: Vec<Open> = Vec::new();
    let mut root: Vec<Field> = Vec::new();
    let mut rows_of: HashMap<String, u32> = HashMap::new();
    // 一件事: each department and the fields it is named on, in order of appearance.
    let mut routed: Vec<(String, Vec<String>)> = Vec::new();
    for (row, cells) in &survey.0 {
        let Some(kind) = get(cells, "type") else {
            continue;
        };
        let words: Vec<&str> = kind.split_whitespace().collect();
        let word = |i: usize| words.get(i).copied().unwrap_or("");
        let name = get(cells, "name").unwrap_or("").to_string();
        let close = |wanted: &str,
                     stack: &mut Vec<Open>,
                     root: &mut Vec<Field>,
                     problems: &mut Vec<SheetProblem>| {
            match stack.pop() {
                Some(mut open)
                    if matches!(
                        (&open.field.kind, wanted),
                        (FieldKind::Group { .. }, "group") | (FieldKind::Repeat { .. }, "repeat")
                    ) =>
                {
                    match &mut open.field.kind {
                        FieldKind::Group { fields } | FieldKind::Repeat { fields, .. } => {
                            *fields = std::mem::take(&mut open.children)
                        }
                        _ => {}
                    }
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(open.field),
                        None => root.push(open.field),
                    }
                }
                other => {
                    problems.push(at(
                        "survey",
                        *row,
                        "type",
                        format!("end {wanted} 没有对应的 begin {wanted}"),
                        format!("end {wanted} has no begin {wanted}"),
                    ));
                    if let Some(o) = other {
                        stack.push(o);
                    }
                }
            }
        };
        let kind = match (word(0), word(1)) {
            ("end", w @ ("group" | "repeat")) | (w @ ("end_group" | "end_repeat"), _) => {
                close(
                    w.trim_start_matches("end_"),
                    &mut stack,
                    &mut root,
                    &mut problems,
                );
                continue;
            }
            ("begin", "group") | ("begin_group", _) => FieldKind::Group { fields: Vec::new() },
            ("begin", "repeat") | ("begin_repeat", _) => {
                let mut count = |column: &str| -> Option<u32> {
                    let v = get(cells, column)?;
                    v.parse().ok().or_else(|| {
                        problems.push(at(
                            "survey",
                            *row,
                            column,
                            format!("{column} 须为整数"),
                            format!("{column} must be a whole number"),
                        ));
                        None
                    })
                };
                let min = count("repeat_min").unwrap_or(0);
                let max = count("repeat_max");
                FieldKind::Repeat {
                    fields: Vec::new(),
                    min,
                    max,
                }
            }
            ("text", _) => FieldKind::Text,
            ("integer", _) => FieldKind::Integer,
            ("decimal", _) => FieldKind::Decimal,
            ("money", _) => FieldKind::Money,
            ("date", _) => FieldKind::Date,
            ("time", _) => FieldKind::Time,
            ("image" | "file" | "attachment", _) => {
                let max_bytes = get(cells, "max_size").and_then(|v| {
                    size_of(v).or_else(|| {
                        problems.push(at(
                            "survey",
                            *row,
                            "max_size",
                            format!("max_size 须为字节数或带 KB/MB 的大小（如 5MB），而不是 {v}"),
                            format!("max_size must be bytes or a size in KB/MB (5MB), not {v}"),
                        ));
                        None
                    })
                });
                let mut accept: Vec<String> = get(cells, "accept")
                    .map(|a| {
                        a.split([',', '，', ' '])
                            .filter(|t| !t.is_empty())
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default();
                if kind == "image" && accept.is_empty() {
                    accept.push("image/*".into());
                }
                FieldKind::Attachment { max_bytes, accept }
            }
            ("boolean" | "acknowledge", _) => FieldKind::Boolean,
            ("resident_id", _) => FieldKind::ResidentId,
            ("uscc", _) => FieldKind::Uscc,
            ("phone", _) => FieldKind::Phone,
            ("email", _) => FieldKind::Email,
            ("select_one", list) if !list.is_empty() => FieldKind::SelectOne {
                choices: list.to_string(),
            },
            ("select_multiple", list) if !list.is_empty() => FieldKind::SelectMany {
                choices: list.to_string(),
            },
            _ => {
                problems.push(at(
                    "survey",
                    *row,
                    "type",
                    format!("不支持的题型 {kind}"),
                    format!("unsupported type {kind}"),
                ));
                continue;
            }
        };
        let mut yes_no = |column: &str| match get(cells, column).map(str::to_lowercase).as_deref() {
            None | Some("no" | "false" | "0") => false,
            Some("yes" | "true" | "1") => true,
            Some(other) => {
                problems.push(at(
                    "survey",
                    *row,
                    column,
                    format!("{column} 须为 yes 或 no，而不是 {other}"),
                    format!("{column} must be yes or no, not {other}"),
                ));
                false
            }
        };
        let required = yes_no("required");
        let read_only = yes_no("read_only");
        let default = get(cells, "default").and_then(|d| match default_of(&kind, d) {
            Some(v) => Some(v),
            None => {
                problems.push(at(
                    "survey",
                    *row,
                    "default",
                    format!("默认值 {d} 与题型不符"),
                    format!("default {d} does not fit the type"),
                ));
                None
            }
        });
        rows_of.insert(name.clone(), *row);
        if let Some(departments) = get(cells, "department") {
            if stack
                .iter()
                .any(|o| matches!(o.field.kind, FieldKind::Repeat { .. }))
            {
                problems.push(at(
                    "survey",
                    *row,
                    "department",
                    "重复组内的字段随重复组整体流转：请在 begin repeat 一行填写部门",
                    "a field inside a repeat is routed with its repeat: name the department on the begin repeat row",
                ));
            } else {
                for d in departments
                    .split([',', '，', ' '])
                    .filter(|d| !d.is_empty())
                {
                    match routed.iter_mut().find(|(code, _)| code == d) {
                        Some((_, names)) => names.push(name.clone()),
                        None => routed.push((d.to_string(), vec![name.clone()])),
                    }
                }
            }
        }
        let text = |column: &str| get(cells, column).map(str::to_string);
        let field = Field {
            name,
            label: text("label").unwrap_or_default(),
            kind,
            required,
            relevant: text("relevant"),
            constraint: text("constraint"),
            constraint_message: text("constraint_message"),
            calculate: text("calculate"),
            default,
            choice_filter: text("choice_filter"),
            read_only,
            prefill: text("prefill"),
        };
        match field.kind {
            FieldKind::Group { .. } | FieldKind::Repeat { .. } => stack.push(Open {
                field,
                row: *row,
                children: Vec::new(),
            }),
            _ => match stack.last_mut() {
                Some(parent) => parent.children.push(field),
                None => root.push(field),
            },
        }
    }
    for open in stack {
        problems.push(at(
            "survey",
            open.row,
            "type",
            format!("{} 没有结束（缺少 end）", open.field.name),
            format!("{} is never ended", open.field.name),
        ));
    }
    let routing = read_routing(sheet(&mut workbook, "departments"), routed, &mut problems);
    if !problems.is_empty() {
        return Err(problems);
    }
    let definition = FormDefinition {
        id,
        version,
        title,
        fields: root,
        choices,
        routing,
    };
    // A part's problem is placed on the first row that names its department.
    let routing_row = |path: &str| {
        let i: usize = path
            .strip_prefix("routing[")
            .and_then(|r| r.split(']').next())
            .and_then(|i| i.parse().ok())?;
        let first = definition.routing.get(i)?.fields.first()?;
        rows_of.get(first).copied()
    };
    match Form::load(definition.clone()) {
        Ok(_) => Ok(definition),
        Err(found) if found.iter().all(|p| p.code == "routing") => Err(found
            .into_iter()
            .map(|p| SheetProblem {
                sheet: "survey".into(),
                row: routing_row(&p.path).unwrap_or(0),
                column: "department".into(),
                message: p.message,
            })
            .collect()),
        // The form's own check, placed where the author wrote the field: `name.relevant` is
        // the `relevant` cell of `name`'s row.
        Err(found) => Err(found
            .into_iter()
            .map(|p| {
                let (name, column) = p.path.split_once('.').unwrap_or((p.path.as_str(), "name"));
                let column = if p.code == "choices" { "type" } else { column };
                SheetProblem {
                    sheet: "survey".into(),
                    row: rows_of.get(name).copied().unwrap_or(0),
                    column: column.to_string(),
                    message: p.message,
                }
            })
            .collect()),
    }
}

/// The parts of an 一件事 form: the departments the survey's `department` column names, each
/// titled (and ordered) by the optional `departments` sheet (`department`, `title`); a
/// department that sheet lists but no field names is a mistake.
fn read_routing(
    rows: Option<Rows>,
    mut routed: Vec<(String, Vec<String>)>,
    problems: &mut Vec<SheetProblem>,
) -> Vec<Part> {
    let mut parts = Vec::new();
    for (row, cells) in rows.map(|r| r.0).unwrap_or_default() {
        let Some(department) = get(&cells, "department") else {
            continue;
        };
        let Some(i) = routed.iter().position(|(d, _)| d == department) else {
            problems.push(at(
                "departments",
                row,
                "department",
                format!("survey 中没有字段交给部门 {department}"),
                format!("no survey row names department {department}"),
            ));
            continue;
        };
        let (department, fields) = routed.remove(i);
        parts.push(Part {
            title: get(&cells, "title").unwrap_or(&department).to_string(),
            department,
            fields,
        });
    }
    parts.extend(routed.into_iter().map(|(department, fields)| Part {
        title: department.clone(),
        department,
        fields,
    }));
    parts
}

fn read_choices(
    rows: Option<Rows>,
    problems: &mut Vec<SheetProblem>,
) -> BTreeMap<String, Vec<ChoiceItem>> {
    let mut lists: BTreeMap<String, Vec<ChoiceItem>> = BTreeMap::new();
    for (row, cells) in rows.map(|r| r.0).unwrap_or_default() {
        let (Some(list), Some(name)) = (get(&cells, "list_name"), get(&cells, "name")) else {
            if !cells.values().all(String::is_empty) {
                problems.push(at(
                    "choices",
                    row,
                    "list_name",
                    "选项须有 list_name 和 name",
                    "a choice needs list_name and name",
                ));
            }
            continue;
        };
        let items = lists.entry(list.to_string()).or_default();
        if items.iter().any(|c| c.value == name) {
            problems.push(at(
                "choices",
                row,
                "name",
                format!("选项列表 {list} 中 {name} 重复"),
                format!("{name} appears twice in list {list}"),
            ));
        }
        // Columns beyond these are what choice filters read (a county's `city`).
        let extra = cells
            .iter()
            .filter(|(k, v)| !matches!(k.as_str(), "list_name" | "name" | "label") && !v.is_empty())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        items.push(ChoiceItem {
            value: name.to_string(),
            label: get(&cells, "label").unwrap_or(name).to_string(),
            extra,
        });
    }
    lists
}

/// A size as an author writes it: bytes, or with `KB` / `MB` (1024-based).
fn size_of(text: &str) -> Option<u64> {
    let t = text.trim().to_ascii_uppercase();
    let (digits, unit) = match t.strip_suffix("MB") {
        Some(d) => (d, 1024 * 1024),
        None => match t.strip_suffix("KB") {
            Some(d) => (d, 1024),
            None => (t.strip_suffix('B').unwrap_or(&t), 1),
        },
    };
    digits.trim().parse::<u64>().ok()?.checked_mul(unit)
}

/// A default as the field's answer would be written.
fn default_of(kind: &FieldKind, text: &str) -> Option<Json> {
    Some(match kind {
        FieldKind::Integer | FieldKind::Money => Json::from(text.parse::<i64>().ok()?),
        FieldKind::Decimal => serde_json::Number::from_f64(text.parse().ok()?).map(Json::Number)?,
        FieldKind::Boolean => Json::Bool(match text.to_lowercase().as_str() {
            "yes" | "true" | "1" => true,
            "no" | "false" | "0" => false,
            _ => return None,
        }),
        FieldKind::SelectMany { .. } => Json::from(text.split_whitespace().collect::<Vec<_>>()),
        FieldKind::Group { .. } | FieldKind::Repeat { .. } => return None,
        _ => Json::String(text.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_xlsxwriter::Workbook;

    fn workbook(sheets: &[(&str, &[&[&str]])]) -> Vec<u8> {
        let mut book = Workbook::new();
        for (name, rows) in sheets {
            let sheet = book.add_worksheet();
            sheet.set_name(*name).expect("name");
            for (r, row) in rows.iter().enumerate() {
                for (c, value) in row.iter().enumerate() {
                    if !value.is_empty() {
                        sheet
                            .write_string(r as u32, c as u16, *value)
                            .expect("cell");
                    }
                }
            }
        }
        book.save_to_buffer().expect("xlsx")
    }

    const SURVEY: &[&[&str]] = &[
        &[
            "type",
            "name",
            "label",
            "required",
            "relevant",
            "constraint",
            "constraint_message",
            "calculate",
            "default",
            "repeat_min",
            "repeat_max",
        ],
        &[
            "begin group",
            "applicant",
            "申请人",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
        ],
        &["text", "name", "姓名", "yes", "", "", "", "", "", "", ""],
        &[
            "resident_id",
            "id_number",
            "公民身份号码",
            "yes",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
        ],
        &[
            "date",
            "birth",
            "出生日期",
            "yes",
            "",
            "age(.) >= 18",
            "申请人须年满 18 周岁",
            "",
            "",
            "",
            "",
        ],
        &["end group", "", "", "", "", "", "", "", "", "", ""],
        &[
            "select_multiple needs",
            "needs",
            "困难类型",
            "yes",
            "",
            "",
            "",
            "",
            "housing",
            "",
            "",
        ],
        &[
            "text",
            "medical_detail",
            "病情说明",
            "yes",
            "selected(${needs}, 'medical')",
            "",
            "",
            "",
            "",
            "",
            "",
        ],
        &[
            "begin repeat",
            "members",
            "家庭成员",
            "",
            "",
            "",
            "",
            "",
            "",
            "1",
            "6",
        ],
        &[
            "text",
            "member_name",
            "成员姓名",
            "yes",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
        ],
        &[
            "money",
            "member_income",
            "月收入（分）",
            "yes",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
        ],
        &["end repeat", "", "", "", "", "", "", "", "", "", ""],
        &[
            "integer",
            "household",
            "家庭人数",
            "",
            "",
            "",
            "",
            "count(${members})",
            "",
            "",
            "",
        ],
    ];

    const CHOICES: &[&[&str]] = &[
        &["list_name", "name", "label"],
        &["needs", "housing", "住房"],
        &["needs", "medical", "医疗"],
    ];

    const SETTINGS: &[&[&str]] = &[
        &["form_id", "version", "form_title"],
        &["hardship-subsidy", "3", "困难家庭补助申请"],
    ];

    #[test]
    fn an_xlsform_reads_into_a_form_that_checks_answers() {
        let bytes = workbook(&[
            ("survey", SURVEY),
            ("choices", CHOICES),
            ("settings", SETTINGS),
        ]);
        let definition = import(&bytes).expect("imports");
        assert_eq!(
            (
                definition.id.as_str(),
                definition.version,
                definition.title.as_str()
            ),
            ("hardship-subsidy", 3, "困难家庭补助申请")
        );
        assert_eq!(
            definition.fields.len(),
            5,
            "the group, needs, medical_detail, members, household"
        );
        let FieldKind::Repeat { fields, min, max } = &definition.fields[3].kind else {
            panic!("a repeat: {:?}", definition.fields[3]);
        };
        assert_eq!((fields.len(), *min, *max), (2, 1, Some(6)));
        assert_eq!(definition.choices["needs"][1].label, "医疗");
        let form = Form::load(definition).expect("loads");
        let today = crate::analytics::parse_day("2026-12-04").expect("day");
        assert_eq!(form.blank(today)["needs"], serde_json::json!(["housing"]));
        let answers = serde_json::json!({
            "name": "张三", "id_number": "11010519491231002X", "birth": "2010-01-01", "needs": ["medical"],
            "members": [{"member_name": "张三", "member_income": 100000}]
        });
        let found: Vec<(String, &str)> = form
            .check(&form.submitted(&answers, today), today)
            .into_iter()
            .map(|p| (p.path, p.code))
            .collect();
        assert_eq!(
            found,
            vec![
                ("birth".to_string(), "constraint"),
                ("medical_detail".to_string(), "required")
            ]
        );
    }

    #[test]
    fn the_department_column_splits_an_application_into_parts() {
        let survey: &[&[&str]] = &[
            &["type", "name", "label", "department"],
            &[
                "text",
                "enterprise_name",
                "企业名称",
                "market_regulation, taxation",
            ],
            &["begin group", "legal", "法定代表人", "market_regulation"],
            &["text", "legal_name", "姓名", ""],
            &["end group", "", "", ""],
            &["begin repeat", "staff", "参保人员", "human_resources"],
            &["text", "staff_name", "姓名", ""],
            &["end repeat", "", "", ""],
            &["integer", "seal_count", "印章数量", "public_security"],
        ];
        let departments: &[&[&str]] = &[
            &["department", "title"],
            &["market_regulation", "设立登记"],
            &["public_security", "印章刻制"],
        ];
        let settings: &[&[&str]] = &[
            &["form_id", "version", "form_title"],
            &["kaiban", "1", "企业开办"],
        ];
        let bytes = workbook(&[
            ("survey", survey),
            ("departments", departments),
            ("settings", settings),
        ]);
        let definition = import(&bytes).expect("imports");
        let parts: Vec<(&str, &str, Vec<&str>)> = definition
            .routing
            .iter()
            .map(|p| {
                (
                    p.department.as_str(),
                    p.title.as_str(),
                    p.fields.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        assert_eq!(
            parts,
            vec![
                (
                    "market_regulation",
                    "设立登记",
                    vec!["enterprise_name", "legal"]
                ),
                ("public_security", "印章刻制", vec!["seal_count"]),
                ("taxation", "taxation", vec!["enterprise_name"]),
                ("human_resources", "human_resources", vec!["staff"]),
            ]
        );

        // Inside a repeat, a bad code, a titled department no row names: each placed.
        let survey: &[&[&str]] = &[
            &["type", "name", "label", "department"],
            &["text", "enterprise_name", "企业名称", "Market"],
            &["begin repeat", "staff", "参保人员", ""],
            &["text", "staff_name", "姓名", "human_resources"],
            &["end repeat", "", "", ""],
        ];
        let bytes = workbook(&[
            ("survey", survey),
            ("departments", departments),
            ("settings", settings),
        ]);
        let found: Vec<(String, u32, String)> = import(&bytes)
            .expect_err("refused")
            .into_iter()
            .map(|p| (p.sheet, p.row, p.column))
            .collect();
        assert_eq!(
            found,
            vec![
                ("survey".to_string(), 4, "department".to_string()),
                ("departments".to_string(), 2, "department".to_string()),
                ("departments".to_string(), 3, "department".to_string()),
            ]
        );
        let survey: &[&[&str]] = &[
            &["type", "name", "label", "department"],
            &["text", "enterprise_name", "企业名称", "Market"],
        ];
        let bytes = workbook(&[("survey", survey), ("settings", settings)]);
        let found: Vec<(String, u32, String)> = import(&bytes)
            .expect_err("refused")
            .into_iter()
            .map(|p| (p.sheet, p.row, p.column))
            .collect();
        assert_eq!(
            found,
            vec![("survey".to_string(), 2, "department".to_string())]
        );
    }

    #[test]
    fn every_problem_names_its_sheet_row_and_column() {
        let mut survey: Vec<&[&str]> = SURVEY.to_vec();
        survey[3] = &[
            "resident_id",
            "id_number",
            "公民身份号码",
            "maybe",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
        ];
        survey[6] = &[
            "select_one nowhere",
            "needs",
            "困难类型",
            "yes",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
        ];
        survey[7] = &[
            "text",
            "medical_detail",
            "病情说明",
            "yes",
            "selected(${needs}, 'medical') and",
            "",
            "",
            "",
            "",
            "",
            "",
        ];
        survey[12] = &[
            "counter",
            "household",
            "家庭人数",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
        ];
        let bytes = workbook(&[
            ("survey", &survey),
            ("choices", CHOICES),
            ("settings", &[&["version"], &["v3"]]),
        ]);
        let problems = import(&bytes).expect_err("refused");
        let found: Vec<(&str, u32, &str)> = problems
            .iter()
            .map(|p| (p.sheet.as_str(), p.row, p.column.as_str()))
            .collect();
        assert_eq!(
            found,
            vec![
                ("settings", 2, "form_id"),
                ("settings", 2, "version"),
                ("survey", 4, "required"),
                ("survey", 13, "type")
            ],
            "{problems:#?}"
        );
        // With those mended, the form's own check, placed on the author's cells.
        survey[3] = SURVEY[3];
        survey[12] = SURVEY[12];
        let bytes = workbook(&[
            ("survey", &survey),
            ("choices", CHOICES),
            ("settings", SETTINGS),
        ]);
        let problems = import(&bytes).expect_err("refused");
        let found: Vec<(&str, u32, &str)> = problems
            .iter()
            .map(|p| (p.sheet.as_str(), p.row, p.column.as_str()))
            .collect();
        assert_eq!(
            found,
            vec![("survey", 7, "type"), ("survey", 8, "relevant")],
            "{problems:#?}"
        );
        assert!(
            problems[1].message.zh.contains("表达式不完整"),
            "{:?}",
            problems[1].message
        );
        assert!(import(b"not a spreadsheet").expect_err("refused")[0]
            .message
            .zh
            .contains(".xlsx"));
    }
}
