//! 一件事 routing: one application, several departments. A form names the part each
//! department handles — the fields it needs — and a submission is split into those parts, each
//! delivered to its department alone (a department sees what it needs, not the whole
//! application: 可用不可见). A part names top-level fields, groups (all they hold) and repeats
//! (every instance); a field inside a repeat is routed with its repeat.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use super::definition::{Field, FieldKind, FormDefinition, Problem};
use crate::lang::Text;

/// The part of a form one department handles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Part {
    /// The department (its stable code, e.g. `market_regulation`).
    pub department: String,
    /// What the department does with it, zh-CN (设立登记, 户口登记 …).
    pub title: String,
    /// The fields, groups and repeats it needs, by name.
    pub fields: Vec<String>,
}

/// The top-level answer keys `field` stands for: itself, or a group's members (groups hold
/// no answer of their own; their fields' answers sit beside the others').
fn answer_keys(field: &Field, out: &mut BTreeSet<String>) {
    match &field.kind {
        FieldKind::Group { fields } => fields.iter().for_each(|f| answer_keys(f, out)),
        _ => {
            out.insert(field.name.clone());
        }
    }
}

/// The field named `name` among the top-level fields and groups of `fields` (not inside a
/// repeat).
fn routable<'a>(fields: &'a [Field], name: &str) -> Option<&'a Field> {
    fields.iter().find_map(|f| {
        if f.name == name {
            return Some(f);
        }
        match &f.kind {
            FieldKind::Group { fields } => routable(fields, name),
            _ => None,
        }
    })
}

/// Everything wrong with `definition`'s routing: a department twice, a part with no fields,
/// a name that is not a routable field.
pub(crate) fn check(definition: &FormDefinition) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for (i, part) in definition.routing.iter().enumerate() {
        let at = format!("routing[{i}]");
        let bad = |what: &str, zh: String, en: String| Problem {
            path: format!("{at}.{what}"),
            code: "routing",
            message: Text::new(zh, en),
        };
        let code_ok = part
            .department
            .chars()
            .all(|c| c.is_ascii_lowercase() || c == '_')
            && !part.department.is_empty();
        if !code_ok {
            problems.push(bad(
                "department",
                format!("部门代码 {:?} 须为小写字母和 _", part.department),
                format!(
                    "department code {:?} must be lower-case letters and _",
                    part.department
                ),
            ));
        }
        if !seen.insert(part.department.as_str()) {
            problems.push(bad(
                "department",
                format!("部门 {} 出现了两次", part.department),
                format!("department {} has two parts", part.department),
            ));
        }
        if part.fields.is_empty() {
            problems.push(bad(
                "fields",
                format!("部门 {} 的部分没有字段", part.department),
                format!("the part of {} names no field", part.department),
            ));
        }
        for name in &part.fields {
            if routable(&definition.fields, name).is_none() {
                problems.push(bad(
                    "fields",
                    format!("{name} 不是表单顶层的字段、分组或重复组"),
                    format!("{name} is not a top-level field, group or repeat of the form"),
                ));
            }
        }
    }
    problems
}

/// `submitted` (answers as [`super::definition::Form::submitted`] gives them) split into the
/// parts of `definition`: each department with the answers of its fields, in the form's part
/// order. A field the person left out is left out of every part.
pub fn split(definition: &FormDefinition, submitted: &Json) -> Vec<(String, Json)> {
    let empty = serde_json::Map::new();
    let answers = submitted.as_object().unwrap_or(&empty);
    definition
        .routing
        .iter()
        .map(|part| {
            let mut keys = BTreeSet::new();
            for name in &part.fields {
                if let Some(f) = routable(&definition.fields, name) {
                    answer_keys(f, &mut keys);
                }
            }
            let mine = keys
                .into_iter()
                .filter_map(|k| answers.get(&k).map(|v| (k, v.clone())))
                .collect();
            (part.department.clone(), Json::Object(mine))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forms::definition::Form;
    use serde_json::json;

    fn definition() -> FormDefinition {
        serde_json::from_value(json!({
            "id": "kaiban", "version": 1, "title": "企业开办",
            "fields": [
                {"name": "enterprise_name", "label": "企业名称", "type": "text", "required": true},
                {"name": "legal", "label": "法定代表人", "type": "group", "fields": [
                    {"name": "legal_name", "label": "姓名", "type": "text"},
                    {"name": "legal_id", "label": "身份证号", "type": "resident_id"}
                ]},
                {"name": "staff", "label": "参保人员", "type": "repeat", "fields": [
                    {"name": "staff_name", "label": "姓名", "type": "text"}
                ]},
                {"name": "seal_count", "label": "印章数量", "type": "integer"}
            ],
            "routing": [
                {"department": "market_regulation", "title": "设立登记", "fields": ["enterprise_name", "legal"]},
                {"department": "human_resources", "title": "社保登记", "fields": ["enterprise_name", "staff"]},
                {"department": "public_security", "title": "印章刻制", "fields": ["enterprise_name", "seal_count"]}
            ]
        }))
        .expect("the fixture reads")
    }

    #[test]
    fn a_submission_splits_into_what_each_department_needs() {
        let d = definition();
        let form = Form::load(d.clone()).expect("the fixture loads");
        let answers = json!({
            "enterprise_name": "温州云帆科技有限公司",
            "legal_name": "孙磊刚", "legal_id": "330302199001011234",
            "staff": [{"staff_name": "陈静"}],
            "seal_count": 2
        });
        let parts = split(form.definition(), &answers);
        assert_eq!(
            parts,
            vec![
                (
                    "market_regulation".to_string(),
                    json!({"enterprise_name": "温州云帆科技有限公司", "legal_id": "330302199001011234", "legal_name": "孙磊刚"})
                ),
                (
                    "human_resources".to_string(),
                    json!({"enterprise_name": "温州云帆科技有限公司", "staff": [{"staff_name": "陈静"}]})
                ),
                (
                    "public_security".to_string(),
                    json!({"enterprise_name": "温州云帆科技有限公司", "seal_count": 2})
                ),
            ]
        );
    }

    #[test]
    fn bad_routing_is_found_at_load() {
        let mut d = definition();
        d.routing[0].department = "Market".into();
        d.routing[1].department = "public_security".into();
        d.routing[2].fields = vec!["staff_name".into(), "nowhere".into()];
        let problems = Form::load(d).err().unwrap_or_default();
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            vec![
                "routing[0].department",
                "routing[2].department",
                "routing[2].fields",
                "routing[2].fields"
            ],
            "{problems:?}"
        );
        assert!(problems.iter().all(|p| p.code == "routing"));
        assert!(problems[2].message.zh.contains("staff_name"));
    }
}
