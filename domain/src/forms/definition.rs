//! A form as its department writes it (versioned JSON) and the check of what a person
//! answered: every error at once, each with the field's path and a message in zh-CN and
//! English. The same code runs in the SDK, as the person types, and in the BFF, which has the
//! final word. A form is loaded once ([`Form::load`]): names, choice lists and every
//! expression are checked then, so a broken form never reaches a citizen.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use super::expr::{self, Env, Expr, Scalar, Schema, Type, Value};
use super::prefill::{Origin, Prefill, SourceState, Sources, Spec, Unfilled};
use crate::lang::Text;

/// One choice of a choice list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChoiceItem {
    /// The code stored.
    pub value: String,
    /// What the person reads.
    pub label: String,
    /// Further columns a choice filter reads (`city` of a county …).
    #[serde(flatten)]
    pub extra: BTreeMap<String, String>,
}

/// What kind of answer a field takes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FieldKind {
    /// Free text.
    Text,
    /// A whole number (JSON integer).
    Integer,
    /// A decimal number.
    Decimal,
    /// Money, in fen (JSON integer).
    Money,
    /// A day, `YYYY-MM-DD`.
    Date,
    /// A time of day, `HH:MM` (24-hour, zero-padded, so text comparison orders it).
    Time,
    /// Yes or no.
    Boolean,
    /// One code of choice list `choices`.
    SelectOne {
        /// The list's name.
        choices: String,
    },
    /// Codes of choice list `choices`.
    SelectMany {
        /// The list's name.
        choices: String,
    },
    /// A resident ID number (GB 11643).
    ResidentId,
    /// A unified social credit code (GB 32100).
    Uscc,
    /// A mainland mobile number.
    Phone,
    /// An e-mail address.
    Email,
    /// A file the person attaches (a photo, a scan): the answer is an [`AttachmentRef`] to
    /// content uploaded apart, named by its SM3 digest.
    Attachment {
        /// Largest file taken, in bytes ([`DEFAULT_MAX_ATTACHMENT`] when not said).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_bytes: Option<u64>,
        /// Media types taken (`image/*`, `application/pdf`); any when empty.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        accept: Vec<String>,
    },
    /// Fields shown together (their answers sit beside the others').
    Group {
        /// Its fields.
        fields: Vec<Field>,
    },
    /// Fields answered once per instance (家庭成员 …): an array of objects.
    Repeat {
        /// Its fields.
        fields: Vec<Field>,
        /// Fewest instances.
        #[serde(default)]
        min: u32,
        /// Most instances.
        #[serde(default)]
        max: Option<u32>,
    },
}

impl FieldKind {
    fn scalar(&self) -> Option<Scalar> {
        Some(match self {
            Self::Integer => Scalar::Int,
            Self::Decimal => Scalar::Decimal,
            Self::Money => Scalar::Money,
            Self::Date => Scalar::Date,
            Self::Boolean => Scalar::Bool,
            Self::SelectMany { .. } => Scalar::Choices,
            // A time as zero-padded text; an attachment as its digest.
            Self::Text
            | Self::Time
            | Self::Attachment { .. }
            | Self::SelectOne { .. }
            | Self::ResidentId
            | Self::Uscc
            | Self::Phone
            | Self::Email => Scalar::Text,
            Self::Group { .. } | Self::Repeat { .. } => return None,
        })
    }
}

/// One field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    /// Its name: letters, digits and `_`, unique in the form (`${name}` refers to it).
    pub name: String,
    /// What the person reads.
    pub label: String,
    /// Its kind.
    #[serde(flatten)]
    pub kind: FieldKind,
    /// An answer is needed (when the field is relevant).
    #[serde(default)]
    pub required: bool,
    /// Shown (and checked) only when this holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relevant: Option<String>,
    /// An answer must make this hold (`.` is the answer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub constraint: Option<String>,
    /// What to say when the constraint does not hold, zh-CN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub constraint_message: Option<String>,
    /// Computed from other answers (the person does not type it): an expression of the
    /// field's type; a calculation sees the answers and the calculations above it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calculate: Option<String>,
    /// A new draft starts with this answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Json>,
    /// The person cannot change it: it keeps its default (or its calculation).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub read_only: bool,
    /// Where a new draft's answer comes from (一表通): `source.key` of a government source
    /// (`registration.name`: see [`super::prefill::Source`]), read-only while the source
    /// gives it; or `last`, the person's last submission of this form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefill: Option<String>,
    /// Of a select's choices, only those for which this holds may be chosen; a choice's
    /// columns are bare names (`city = ${city}`: the cascade province → city → county).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub choice_filter: Option<String>,
}

/// A form's definition.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FormDefinition {
    /// Its id.
    pub id: String,
    /// Its version; a submission names the version it was filled on.
    pub version: u32,
    /// Its title, zh-CN.
    pub title: String,
    /// Its fields, in order.
    pub fields: Vec<Field>,
    /// Its choice lists, by name.
    #[serde(default)]
    pub choices: BTreeMap<String, Vec<ChoiceItem>>,
    /// 一件事: the part each department handles (none: the form goes to one place whole).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub routing: Vec<super::routing::Part>,
}

/// What is wrong, and where: a definition's field (`members.age`) or an answer's path
/// (`members[1].age`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where.
    pub path: String,
    /// A stable code: `name`, `choices`, `expression` (a definition's); `required`, `type`,
    /// `format`, `choice`, `constraint`, `count` (an answer's).
    pub code: &'static str,
    /// What, in words.
    pub message: Text,
}

fn problem(
    path: impl Into<String>,
    code: &'static str,
    zh: impl Into<String>,
    en: impl Into<String>,
) -> Problem {
    Problem {
        path: path.into(),
        code,
        message: Text::new(zh, en),
    }
}

/// A field as loaded: where it sits and its expressions, parsed and checked.
struct Loaded {
    field: Field,
    /// The repeat it is in, if any.
    repeat: Option<String>,
    relevant: Option<Expr>,
    constraint: Option<Expr>,
    calculate: Option<Expr>,
    choice_filter: Option<Expr>,
    /// Where a new draft's answer comes from.
    prefill: Option<Spec>,
}

/// A form loaded: every expression checked, ready to check answers.
pub struct Form {
    definition: FormDefinition,
    /// Every field and repeat, in order (groups unfolded).
    fields: Vec<Loaded>,
    /// Where each is in `fields`, by name: expressions look fields up on every check.
    index: HashMap<String, usize>,
    /// For each field (by place in `fields`), the fields whose expressions read it.
    readers: Vec<Vec<usize>>,
    /// Whether some expression reads a field laid out after its own (outside one repeat):
    /// then an answer's effect cannot be followed forward only, and a re-check is a full one.
    reads_forward: bool,
}

/// Answers as submitted and their problems: what [`Form::revalidate`] updates as one answer
/// changes.
#[derive(Debug, Clone, PartialEq)]
pub struct Validation {
    /// The answers as they would be submitted ([`Form::submitted`]).
    pub submitted: Json,
    /// Their problems ([`Form::check`] of them).
    pub problems: Vec<Problem>,
}

/// The form's fields as the expression of a field in `from` (a repeat, or none) sees them.
#[derive(Clone, Copy)]
struct View<'a> {
    fields: &'a HashMap<String, (Option<Scalar>, Option<String>)>,
    from: Option<&'a str>,
    /// The columns of the choice list being filtered, in a choice filter.
    columns: Option<&'a [ChoiceItem]>,
}

impl Schema for View<'_> {
    fn is_column(&self, name: &str) -> bool {
        self.columns.is_some_and(|list| {
            list.iter()
                .any(|c| name == "name" || c.extra.contains_key(name))
        })
    }

    fn type_of(&self, name: &str) -> Option<Type> {
        let (scalar, repeat) = self.fields.get(name)?;
        match (scalar, repeat.as_deref()) {
            (None, _) => Some(Type::Repeat),
            (Some(s), Some(r)) if Some(r) != self.from => Some(Type::Many(*s)),
            (Some(s), _) => Some(Type::One(*s)),
        }
    }
}

fn valid_name(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Every field and repeat of `fields`, groups unfolded, with the repeat each is in.
fn unfold(fields: &[Field], repeat: Option<&str>, out: &mut Vec<(Field, Option<String>)>) {
    for f in fields {
        match &f.kind {
            FieldKind::Group { fields } => unfold(fields, repeat, out),
            FieldKind::Repeat { fields, .. } => {
                out.push((f.clone(), repeat.map(str::to_string)));
                unfold(fields, Some(&f.name), out);
            }
            _ => out.push((f.clone(), repeat.map(str::to_string))),
        }
    }
}

/// Expression `what` of field `field` — `src`, parsed and checked in `view` with `.` of type
/// `itself` — if its type `fits`; else none, and what is wrong (`unfit` says it for a type
/// that does not fit) goes to `problems` as `{field}.{what}`.
#[allow(clippy::too_many_arguments)]
fn checked(
    src: &str,
    view: &View<'_>,
    itself: Option<Type>,
    field: &str,
    what: &str,
    fits: impl Fn(Type) -> bool,
    unfit: impl Fn(Type) -> Text,
    problems: &mut Vec<Problem>,
) -> Option<Expr> {
    let at = format!("{field}.{what}");
    match expr::parse(src).and_then(|e| e.check(view, itself).map(|t| (e, t))) {
        Ok((e, t)) if fits(t) => Some(e),
        Ok((_, t)) => {
            let message = unfit(t);
            problems.push(Problem {
                path: at,
                code: "expression",
                message,
            });
            None
        }
        Err(e) => {
            problems.push(problem(
                at,
                "expression",
                format!("{what} 第 {} 个字符处：{}", e.at + 1, e.message.zh),
                format!("{what} at character {}: {}", e.at + 1, e.message.en),
            ));
            None
        }
    }
}

/// The `prefill` `src` of field `f` (in repeat `repeat`, if any), or none and what is wrong.
fn prefill_of(
    f: &Field,
    repeat: Option<&str>,
    src: &str,
    problems: &mut Vec<Problem>,
) -> Option<Spec> {
    let at = format!("{}.prefill", f.name);
    let mut wrong = |zh: String, en: String| {
        problems.push(problem(&at, "prefill", zh, en));
        None
    };
    let spec = match Spec::parse(src) {
        Ok(s) => s,
        Err(e) => return wrong(e.zh, e.en),
    };
    if repeat.is_some() {
        return wrong(
            "重复组内的字段随重复组整体预填：请在重复组上填写 prefill = last".into(),
            "a field inside a repeat is filled with its repeat: put prefill = last on the repeat"
                .into(),
        );
    }
    if f.calculate.is_some() {
        return wrong(
            "计算字段由公式得出，不能预填".into(),
            "a calculated field is computed, never filled".into(),
        );
    }
    if let Some(given) = spec.scalar() {
        if f.kind.scalar() != Some(given) {
            return wrong(
                format!(
                    "{src} 是{}，而字段是{}",
                    expr::scalar_zh(given),
                    f.kind.scalar().map_or("重复组", expr::scalar_zh)
                ),
                format!("{src} gives {given:?}, the field is {:?}", f.kind.scalar()),
            );
        }
    }
    Some(spec)
}

/// A group is shown, never answered: a `prefill` or a `relevant` on one is a mistake to say,
/// not to ignore.
fn plain_groups(fields: &[Field], problems: &mut Vec<Problem>) {
    for f in fields {
        match &f.kind {
            FieldKind::Group { fields } => {
                if f.prefill.is_some() {
                    problems.push(problem(
                        format!("{}.prefill", f.name),
                        "prefill",
                        "分组没有回答，不能预填：请在其中的字段上填写 prefill",
                        "a group takes no answer: put prefill on its fields",
                    ));
                }
                // Unfolded for the check, a group's own relevance would go unheard: refused
                // rather than ignored.
                if f.relevant.is_some() {
                    problems.push(problem(
                        format!("{}.relevant", f.name),
                        "expression",
                        "分组不能设置显示条件：请写在其中的字段上",
                        "a group takes no relevant: put it on its fields",
                    ));
                }
                plain_groups(fields, problems);
            }
            FieldKind::Repeat { fields, .. } => plain_groups(fields, problems),
            _ => {}
        }
    }
}

impl Form {
    /// Loads `definition`, or says everything wrong with it.
    pub fn load(definition: FormDefinition) -> Result<Form, Vec<Problem>> {
        let mut all = Vec::new();
        unfold(&definition.fields, None, &mut all);
        let mut problems = Vec::new();
        let mut types = HashMap::new();
        for (f, repeat) in &all {
            if !valid_name(&f.name) {
                problems.push(problem(&f.name, "name", format!("字段名 {:?} 须以字母开头，只含字母、数字和 _", f.name), format!("field name {:?} must start with a letter and hold letters, digits and _ only", f.name)));
            }
            if types
                .insert(f.name.clone(), (f.kind.scalar(), repeat.clone()))
                .is_some()
            {
                problems.push(problem(
                    &f.name,
                    "name",
                    format!("字段名 {} 重复", f.name),
                    format!("field name {} is used twice", f.name),
                ));
            }
            if let FieldKind::SelectOne { choices } | FieldKind::SelectMany { choices } = &f.kind {
                if !definition.choices.contains_key(choices) {
                    problems.push(problem(
                        &f.name,
                        "choices",
                        format!("没有选项列表 {choices}"),
                        format!("there is no choice list {choices}"),
                    ));
                }
            }
        }
        problems.extend(super::routing::check(&definition));
        let mut fields = Vec::new();
        for (f, repeat) in all {
            let view = View {
                fields: &types,
                from: repeat.as_deref(),
                columns: None,
            };
            let itself = f.kind.scalar().map(Type::One);
            let condition = |t: Type| t == Type::One(Scalar::Bool);
            let not_condition = |what: &'static str| {
                move |_: Type| {
                    Text::new(
                        format!("{what} 须为条件（结果为真或假）"),
                        format!("{what} must be a condition (true or false)"),
                    )
                }
            };
            let relevant = f.relevant.as_deref().and_then(|src| {
                checked(
                    src,
                    &view,
                    itself,
                    &f.name,
                    "relevant",
                    condition,
                    not_condition("relevant"),
                    &mut problems,
                )
            });
            let constraint = f.constraint.as_deref().and_then(|src| {
                checked(
                    src,
                    &view,
                    itself,
                    &f.name,
                    "constraint",
                    condition,
                    not_condition("constraint"),
                    &mut problems,
                )
            });
            let scalar = f.kind.scalar();
            let calculate = f.calculate.as_deref().and_then(|src| {
                // A whole number fits a decimal field.
                let fits = |t: Type| match (t, scalar) {
                    (Type::One(t), Some(s)) => t == s || (s == Scalar::Decimal && t == Scalar::Int),
                    _ => false,
                };
                let unfit = |t: Type| {
                    Text::new(
                        format!(
                            "calculate 的结果是{}，而字段是{}",
                            t.zh(),
                            scalar.map_or("分组", expr::scalar_zh)
                        ),
                        format!("calculate gives {t:?}, the field is {scalar:?}"),
                    )
                };
                checked(
                    src,
                    &view,
                    None,
                    &f.name,
                    "calculate",
                    fits,
                    unfit,
                    &mut problems,
                )
            });
            let choice_filter = f.choice_filter.as_deref().and_then(|src| {
                let list = match &f.kind {
                    FieldKind::SelectOne { choices } | FieldKind::SelectMany { choices } => {
                        definition.choices.get(choices)
                    }
                    _ => None,
                };
                let Some(list) = list else {
                    problems.push(problem(
                        format!("{}.choice_filter", f.name),
                        "expression",
                        "只有选择题可以设置 choice_filter",
                        "only a select field takes a choice_filter",
                    ));
                    return None;
                };
                let columns = View {
                    columns: Some(list),
                    ..view
                };
                checked(
                    src,
                    &columns,
                    None,
                    &f.name,
                    "choice_filter",
                    condition,
                    not_condition("choice_filter"),
                    &mut problems,
                )
            });
            let prefill = f
                .prefill
                .as_deref()
                .and_then(|src| prefill_of(&f, repeat.as_deref(), src, &mut problems));
            if let Some(default) = &f.default {
                if let Err(p) = typed(&definition.choices, &f, default) {
                    problems.push(problem(
                        format!("{}.default", f.name),
                        "default",
                        p.message.zh,
                        p.message.en,
                    ));
                }
            }
            fields.push(Loaded {
                field: f,
                repeat,
                relevant,
                constraint,
                calculate,
                choice_filter,
                prefill,
            });
        }
        plain_groups(&definition.fields, &mut problems);
        if problems.is_empty() {
            let index: HashMap<String, usize> = fields
                .iter()
                .enumerate()
                .map(|(i, l)| (l.field.name.clone(), i))
                .collect();
            let mut form = Form {
                readers: vec![Vec::new(); fields.len()],
                reads_forward: false,
                definition,
                fields,
                index,
            };
            form.link_readers();
            Ok(form)
        } else {
            Err(problems)
        }
    }

    /// Records, for every field, the fields whose expressions read it, and whether any reads
    /// one laid out after its own: what [`Self::revalidate`] follows.
    fn link_readers(&mut self) {
        for i in 0..self.fields.len() {
            let l = &self.fields[i];
            let exprs = [&l.relevant, &l.constraint, &l.calculate, &l.choice_filter];
            let read: Vec<usize> = exprs
                .into_iter()
                .flatten()
                .flat_map(|e| e.fields())
                .filter_map(|name| self.index.get(name).copied())
                .collect();
            for j in read {
                if !self.readers[j].contains(&i) {
                    self.readers[j].push(i);
                }
                self.reads_forward |= self.owner(j) > self.owner(i);
            }
        }
    }

    fn field(&self, name: &str) -> Option<&Loaded> {
        self.fields.get(*self.index.get(name)?)
    }

    /// The definition.
    pub fn definition(&self) -> &FormDefinition {
        &self.definition
    }

    /// `answers` given on another version of this form, carried over to this one: every
    /// answer kept by its field's name, and the names this version no longer has (in the
    /// order met, `members[0].note` for one inside a repeat) reported rather than kept.
    pub fn carry_over(&self, answers: &Json) -> (Json, Vec<String>) {
        let mut dropped = Vec::new();
        let mut kept = serde_json::Map::new();
        for (key, value) in answers.as_object().into_iter().flatten() {
            let Some(loaded) = self.field(key).filter(|l| l.repeat.is_none()) else {
                dropped.push(key.clone());
                continue;
            };
            let value = match (&loaded.field.kind, value) {
                (FieldKind::Repeat { .. }, Json::Array(instances)) => Json::Array(
                    instances
                        .iter()
                        .enumerate()
                        .map(|(i, instance)| {
                            let mut inner = serde_json::Map::new();
                            for (k, v) in instance.as_object().into_iter().flatten() {
                                if self
                                    .field(k)
                                    .is_some_and(|l| l.repeat.as_deref() == Some(key.as_str()))
                                {
                                    inner.insert(k.clone(), v.clone());
                                } else {
                                    dropped.push(format!("{key}[{i}].{k}"));
                                }
                            }
                            Json::Object(inner)
                        })
                        .collect(),
                ),
                _ => value.clone(),
            };
            kept.insert(key.clone(), value);
        }
        (Json::Object(kept), dropped)
    }

    /// A new draft: every default, and the calculations they give.
    pub fn blank(&self, today: i64) -> Json {
        let mut answers = serde_json::Map::new();
        for l in self.fields.iter().filter(|l| l.repeat.is_none()) {
            if let Some(d) = &l.field.default {
                answers.insert(l.field.name.clone(), d.clone());
            }
        }
        self.submitted(&Json::Object(answers), today)
    }

    /// A new draft filled from `sources` (一表通): defaults first, then each field's
    /// `prefill` where its source gave a value that fits the field, and the calculations
    /// that makes. Says where every filled answer came from and, per source that gave
    /// nothing, why and which fields are left to type. A source that is down costs its
    /// fields, never the draft.
    pub fn prefill(&self, sources: &Sources, today: i64) -> Prefill {
        let mut answers = serde_json::Map::new();
        let mut filled = BTreeMap::new();
        let mut unfilled: Vec<Unfilled> = Vec::new();
        let mut typable = 0;
        let mut defaulted = Vec::new();
        // The last submission as this version has it (fields since removed dropped).
        let previous = sources
            .previous
            .as_ref()
            .map(|p| (p, self.carry_over(&p.answers).0));
        let mut leave = |source: String, provider: &str, reason: Text, field: &str| match unfilled
            .iter_mut()
            .find(|u| u.source == source && u.reason == reason.zh)
        {
            Some(u) => u.fields.push(field.to_string()),
            None => unfilled.push(Unfilled {
                source,
                provider: provider.to_string(),
                reason: reason.zh,
                reason_en: reason.en,
                fields: vec![field.to_string()],
            }),
        };
        for l in self.fields.iter().filter(|l| l.repeat.is_none()) {
            let name = &l.field.name;
            if let Some(d) = &l.field.default {
                answers.insert(name.clone(), d.clone());
            }
            if l.calculate.is_none() && !l.field.read_only {
                typable += 1;
                if l.field.default.is_some() {
                    defaulted.push(name.clone());
                }
            }
            let fits = |v: &Json| match l.field.kind {
                FieldKind::Repeat { .. } => v.is_array(),
                _ => typed(&self.definition.choices, &l.field, v).is_ok(),
            };
            match l.prefill {
                None => {}
                Some(Spec::Verified(source, key)) => {
                    let provider = source.provider_zh();
                    let source_name = source.as_str().to_string();
                    match sources.government.get(&source) {
                        Some(SourceState::Found { values, age_secs }) => {
                            match values.get(key).filter(|v| !v.is_null()) {
                                Some(v) if fits(v) => {
                                    answers.insert(name.clone(), v.clone());
                                    filled.insert(
                                        name.clone(),
                                        Origin::Verified {
                                            source,
                                            provider: provider.to_string(),
                                            age_secs: *age_secs,
                                        },
                                    );
                                }
                                Some(_) => leave(
                                    source_name,
                                    provider,
                                    Text::new(
                                        "部门记录中的值不适用于此项，请自行填写",
                                        "the department's value does not fit this field: type it",
                                    ),
                                    name,
                                ),
                                None => leave(
                                    source_name,
                                    provider,
                                    Text::new(
                                        "部门记录中没有此项",
                                        "the department's record does not have it",
                                    ),
                                    name,
                                ),
                            }
                        }
                        Some(SourceState::NotFound) => leave(
                            source_name,
                            provider,
                            Text::new("部门没有您的记录", "the department has no record of you"),
                            name,
                        ),
                        Some(SourceState::Unavailable { reason }) => {
                            leave(source_name, provider, reason.clone(), name)
                        }
                        None => leave(
                            source_name,
                            provider,
                            Text::new(
                                if source.of_enterprise() {
                                    "仅以企业身份登录时可自动填写"
                                } else {
                                    "仅以个人身份登录时可自动填写"
                                },
                                if source.of_enterprise() {
                                    "filled only for an enterprise's login"
                                } else {
                                    "filled only for a person's login"
                                },
                            ),
                            name,
                        ),
                    }
                }
                Some(Spec::Last) => match &previous {
                    Some((p, carried)) => match carried.get(name).filter(|v| !v.is_null()) {
                        Some(v) if fits(v) => {
                            answers.insert(name.clone(), v.clone());
                            filled.insert(
                                name.clone(),
                                Origin::Previous {
                                    instance_id: p.instance_id.clone(),
                                    submitted_at_ms: p.submitted_at_ms,
                                },
                            );
                        }
                        _ => leave(
                            "last".into(),
                            "上次提交",
                            Text::new("上次提交中没有此项", "your last submission did not have it"),
                            name,
                        ),
                    },
                    None => leave(
                        "last".into(),
                        "上次提交",
                        Text::new(
                            "这是您第一次填写此表",
                            "this is the first time you fill this form",
                        ),
                        name,
                    ),
                },
            }
        }
        // Calculations made; an answer filled for a field not shown yet is kept for when it is.
        let mut made = self.submitted(&Json::Object(answers.clone()), today);
        if let Some(object) = made.as_object_mut() {
            for (name, value) in answers {
                object.entry(name).or_insert(value);
            }
        }
        let defaulted = defaulted
            .iter()
            .filter(|n| !filled.contains_key(*n))
            .count() as u32;
        Prefill {
            form_id: self.definition.id.clone(),
            version: self.definition.version,
            answers: made,
            filled,
            unfilled,
            typable,
            defaulted,
        }
    }

    /// The government sources the form fills from.
    pub fn sources(&self) -> std::collections::BTreeSet<super::prefill::Source> {
        self.fields
            .iter()
            .filter_map(|l| match l.prefill {
                Some(Spec::Verified(s, _)) => Some(s),
                _ => None,
            })
            .collect()
    }

    /// Whether the form fills anything from the person's last submission.
    pub fn fills_from_last(&self) -> bool {
        self.fields.iter().any(|l| l.prefill == Some(Spec::Last))
    }

    /// Problems of `submitted` answers with the government-verified values of `prefill`: a
    /// verified answer changed (the page shows it read-only; only a client that skips the
    /// page can change it). An answer left out is not one changed.
    pub fn check_verified(&self, submitted: &Json, prefill: &Prefill) -> Vec<Problem> {
        let mut problems = Vec::new();
        for name in prefill.verified() {
            let given = submitted.get(name);
            if given.is_some_and(|g| Some(g) != prefill.answers.get(name)) {
                let label = self.field(name).map_or(name, |l| l.field.label.as_str());
                let provider = match prefill.filled.get(name) {
                    Some(Origin::Verified { provider, .. }) => provider.as_str(),
                    _ => "政府部门",
                };
                problems.push(problem(
                    name,
                    "verified",
                    format!("{label}与{provider}的记录不一致：此项由部门核验，不能修改"),
                    format!("{label} differs from the record of {provider}: it is verified and cannot be changed"),
                ));
            }
        }
        problems
    }

    /// How the page lays `answers` out now: the fields outside repeats that are not shown
    /// (their relevance does not hold), the choices each select
    /// with a choice filter offers, and the calculations' values — so a page shows what the
    /// engine decides without evaluating an expression itself.
    pub fn layout(&self, answers: &Json, today: i64) -> Layout {
        self.layout_with(answers, &self.submitted(answers, today), today)
    }

    /// [`Self::layout`] of `answers`, whose [`Self::submitted`] form the caller has already
    /// made (as a check of them does): the calculations are read from it, not made again.
    pub fn layout_with(&self, answers: &Json, submitted: &Json, today: i64) -> Layout {
        let empty = serde_json::Map::new();
        let top = answers.as_object().unwrap_or(&empty);
        let env = Answers {
            form: self,
            top,
            instance: None,
            today,
        };
        let mut hidden = Vec::new();
        let mut options = BTreeMap::new();
        for l in self.fields.iter().filter(|l| l.repeat.is_none()) {
            if l.relevant
                .as_ref()
                .is_some_and(|r| !r.eval(&env, &Value::Null).truthy())
            {
                hidden.push(l.field.name.clone());
            }
            if l.choice_filter.is_some() {
                options.insert(
                    l.field.name.clone(),
                    self.choices_for(&l.field.name, answers, today)
                        .into_iter()
                        .map(|c| c.value.clone())
                        .collect(),
                );
            }
        }
        let computed = self
            .fields
            .iter()
            .filter(|l| l.repeat.is_none() && l.calculate.is_some())
            .filter_map(|l| {
                submitted
                    .get(&l.field.name)
                    .map(|v| (l.field.name.clone(), v.clone()))
            })
            .collect();
        Layout {
            hidden,
            options,
            computed: Json::Object(computed),
        }
    }

    /// The choices of top-level select field `name` that may be chosen with `answers` (its
    /// choice filter applied): what the page offers.
    pub fn choices_for(&self, name: &str, answers: &Json, today: i64) -> Vec<&ChoiceItem> {
        let Some(loaded) = self.field(name) else {
            return Vec::new();
        };
        let (FieldKind::SelectOne { choices } | FieldKind::SelectMany { choices }) =
            &loaded.field.kind
        else {
            return Vec::new();
        };
        let empty = serde_json::Map::new();
        let env = Answers {
            form: self,
            top: answers.as_object().unwrap_or(&empty),
            instance: None,
            today,
        };
        self.definition
            .choices
            .get(choices)
            .map(|list| {
                list.iter()
                    .filter(|item| {
                        loaded.choice_filter.as_ref().is_none_or(|f| {
                            f.eval(&Filtering { inner: &env, item }, &Value::Null)
                                .truthy()
                        })
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// What is submitted of `answers`: irrelevant fields dropped (an answer given before the
    /// person changed their mind does not travel), calculations made, in the order of the
    /// form. Check it with [`Self::check`].
    pub fn submitted(&self, answers: &Json, today: i64) -> Json {
        let mut top = answers.as_object().cloned().unwrap_or_default();
        for i in 0..self.fields.len() {
            if self.fields[i].repeat.is_none() {
                self.settle_top(i, &mut top, today);
            }
        }
        Json::Object(top)
    }

    /// Settles top-level field `i` (a repeat: each of its instances) in `top`, which holds the
    /// fields before it settled.
    fn settle_top(&self, i: usize, top: &mut serde_json::Map<String, Json>, today: i64) {
        let loaded = &self.fields[i];
        let name = loaded.field.name.as_str();
        if let FieldKind::Repeat { .. } = loaded.field.kind {
            let instances: Vec<Json> = top
                .get(name)
                .and_then(Json::as_array)
                .cloned()
                .unwrap_or_default();
            let mut done = Vec::new();
            for mut instance in instances {
                for child in self
                    .fields
                    .iter()
                    .filter(|l| l.repeat.as_deref() == Some(name))
                {
                    let inner = instance.as_object().cloned().unwrap_or_default();
                    let env = Answers {
                        form: self,
                        top,
                        instance: Some((name, &inner)),
                        today,
                    };
                    let outcome = self.settle(child, &env);
                    if let Some(object) = instance.as_object_mut() {
                        apply(object, &child.field.name, outcome);
                    }
                }
                done.push(instance);
            }
            top.insert(name.to_string(), Json::Array(done));
            return;
        }
        let env = Answers {
            form: self,
            top,
            instance: None,
            today,
        };
        let outcome = self.settle(loaded, &env);
        apply(top, name, outcome);
    }

    /// `answers` as submitted, and their problems: a first validation, which
    /// [`Self::revalidate`] then keeps up to date.
    pub fn validate(&self, answers: &Json, today: i64) -> Validation {
        let submitted = self.submitted(answers, today);
        let problems = self.check(&submitted, today);
        Validation {
            submitted,
            problems,
        }
    }

    /// `last` (a validation of answers that differ from `answers` only in field `changed`)
    /// brought up to date with `answers`: only the fields the change can reach — the field,
    /// and every field whose relevance, constraint, calculation or choice filter reads one
    /// that changed, transitively — are settled and checked again; the others keep what
    /// `last` said of them. The same as [`Self::validate`] of `answers`, in less time. A form
    /// with a rule reading a field laid out after its own, or a change to a name the form
    /// does not have, is validated whole.
    pub fn revalidate(&self, answers: &Json, changed: &str, last: &mut Validation, today: i64) {
        let Some(&start) = self.index.get(changed) else {
            *last = self.validate(answers, today);
            return;
        };
        if self.reads_forward || !last.submitted.is_object() {
            *last = self.validate(answers, today);
            return;
        }
        // The fields the change reaches: its readers, theirs, and so on; a repeat reached
        // reaches its own fields (its instances are settled again). Each is settled and
        // checked with the top-level field it is laid out in.
        let mut reached = vec![false; self.fields.len()];
        let mut visited = vec![false; self.fields.len()];
        visited[start] = true;
        let mut queue = vec![start];
        while let Some(i) = queue.pop() {
            reached[self.owner(i)] = true;
            let children = match &self.fields[i].field.kind {
                FieldKind::Repeat { .. } => self
                    .fields
                    .iter()
                    .enumerate()
                    .filter(|(_, l)| {
                        l.repeat.as_deref() == Some(self.fields[i].field.name.as_str())
                    })
                    .map(|(j, _)| j)
                    .collect(),
                _ => Vec::new(),
            };
            for r in self.readers[i].iter().copied().chain(children) {
                if !visited[r] {
                    visited[r] = true;
                    queue.push(r);
                }
            }
        }
        let empty = serde_json::Map::new();
        let raw = answers.as_object().unwrap_or(&empty);
        if let Some(top) = last.submitted.as_object_mut() {
            for i in (0..self.fields.len()).filter(|&i| reached[i]) {
                let name = &self.fields[i].field.name;
                match raw.get(name) {
                    Some(v) => {
                        top.insert(name.clone(), v.clone());
                    }
                    None => {
                        top.remove(name);
                    }
                }
                self.settle_top(i, top, today);
            }
        }
        // Problems: the reached fields' anew, the others' as they were, in layout order.
        let top = last.submitted.as_object().unwrap_or(&empty);
        let mut kept: Vec<Vec<Problem>> = vec![Vec::new(); self.fields.len()];
        let mut unknown = Vec::new();
        for p in last.problems.drain(..) {
            let head = p.path.split(['[', '.']).next().unwrap_or("");
            match self.index.get(head) {
                Some(&i) if self.fields[i].repeat.is_none() => kept[i].push(p),
                _ => unknown.push(p),
            }
        }
        let mut problems = Vec::new();
        for (i, loaded) in self.fields.iter().enumerate() {
            if loaded.repeat.is_some() {
                continue;
            }
            if reached[i] {
                let env = Answers {
                    form: self,
                    top,
                    instance: None,
                    today,
                };
                self.check_field(loaded, &env, &loaded.field.name, &mut problems);
            } else {
                problems.append(&mut kept[i]);
            }
        }
        problems.extend(unknown);
        last.problems = problems;
    }

    /// The top-level field a field is laid out in: itself, or its repeat.
    fn owner(&self, i: usize) -> usize {
        self.fields[i]
            .repeat
            .as_ref()
            .and_then(|r| self.index.get(r).copied())
            .unwrap_or(i)
    }

    /// What becomes of a field's answer on submit: dropped, computed, or kept.
    fn settle(&self, loaded: &Loaded, env: &Answers<'_>) -> Settled {
        if let Some(relevant) = &loaded.relevant {
            if !relevant.eval(env, &Value::Null).truthy() {
                return Settled::Dropped;
            }
        }
        match &loaded.calculate {
            Some(c) => Settled::Computed(to_json(&c.eval(env, &Value::Null))),
            None => Settled::Kept,
        }
    }

    /// Every problem with `answers` (a JSON object: a field's answer under its name, a
    /// repeat's as an array of such objects) on day `today`. Irrelevant fields are not
    /// checked; empty means the answers may be submitted.
    pub fn check(&self, answers: &Json, today: i64) -> Vec<Problem> {
        let mut problems = Vec::new();
        let empty = serde_json::Map::new();
        let top = answers.as_object().unwrap_or(&empty);
        for loaded in self.fields.iter().filter(|l| l.repeat.is_none()) {
            let env = Answers {
                form: self,
                top,
                instance: None,
                today,
            };
            self.check_field(loaded, &env, &loaded.field.name, &mut problems);
        }
        self.unknown(top, None, "", &mut problems);
        problems
    }

    /// An answer under a name the form (or repeat `repeat`'s instance) does not have: a
    /// client of another version, or one trying to slip data in. Refused, not dropped, so
    /// nothing a person typed vanishes without a word.
    fn unknown(
        &self,
        answers: &serde_json::Map<String, Json>,
        repeat: Option<&str>,
        prefix: &str,
        problems: &mut Vec<Problem>,
    ) {
        for key in answers.keys() {
            let known = self
                .field(key)
                .is_some_and(|l| l.repeat.as_deref() == repeat);
            if !known {
                problems.push(problem(
                    format!("{prefix}{key}"),
                    "unknown",
                    format!("表单中没有字段 {key}"),
                    format!("the form has no field {key}"),
                ));
            }
        }
    }

    fn check_field(
        &self,
        loaded: &Loaded,
        env: &Answers<'_>,
        path: &str,
        problems: &mut Vec<Problem>,
    ) {
        let f = &loaded.field;
        if let Some(relevant) = &loaded.relevant {
            if !relevant.eval(env, &Value::Null).truthy() {
                return;
            }
        }
        let raw = env.raw(&f.name);
        if let FieldKind::Repeat { min, max, .. } = &f.kind {
            if raw.is_some_and(|r| !r.is_array() && !r.is_null()) {
                problems.push(problem(
                    path,
                    "type",
                    format!("{}须为若干项（JSON 数组）", f.label),
                    format!("{} must be a list of entries (a JSON array)", f.label),
                ));
                return;
            }
            let instances = raw.and_then(Json::as_array).map_or(&[][..], Vec::as_slice);
            let n = instances.len() as u32;
            if n < *min || max.is_some_and(|m| n > m) {
                problems.push(problem(
                    path,
                    "count",
                    format!(
                        "{}须填写 {}–{} 项，现有 {n} 项",
                        f.label,
                        min,
                        max.map_or("不限".to_string(), |m| m.to_string())
                    ),
                    format!(
                        "{} takes {min}–{} entries, not {n}",
                        f.label,
                        max.map_or("any".to_string(), |m| m.to_string())
                    ),
                ));
            }
            for (i, instance) in instances.iter().enumerate() {
                let Some(object) = instance.as_object() else {
                    problems.push(problem(
                        format!("{path}[{i}]"),
                        "type",
                        format!("{}的每一项须为一组回答（JSON 对象）", f.label),
                        format!("each entry of {} must be a JSON object", f.label),
                    ));
                    continue;
                };
                self.unknown(object, Some(&f.name), &format!("{path}[{i}]."), problems);
                let inner = Answers {
                    form: self,
                    top: env.top,
                    instance: Some((&f.name, object)),
                    today: env.today,
                };
                for child in self
                    .fields
                    .iter()
                    .filter(|l| l.repeat.as_deref() == Some(&f.name))
                {
                    self.check_field(
                        child,
                        &inner,
                        &format!("{path}[{i}].{}", child.field.name),
                        problems,
                    );
                }
            }
            return;
        }
        let value = match raw {
            None | Some(Json::Null) => Value::Null,
            Some(Json::String(s)) if s.trim().is_empty() => Value::Null,
            Some(json) => match typed(&self.definition.choices, f, json) {
                Ok(v) => v,
                Err(p) => {
                    problems.push(Problem {
                        path: path.to_string(),
                        ..p
                    });
                    return;
                }
            },
        };
        if let (
            Some(filter),
            FieldKind::SelectOne { choices } | FieldKind::SelectMany { choices },
        ) = (&loaded.choice_filter, &f.kind)
        {
            let chosen: Vec<&String> = match &value {
                Value::Text(code) => vec![code],
                Value::Choices(codes) => codes.iter().collect(),
                _ => Vec::new(),
            };
            for code in chosen {
                let item = self
                    .definition
                    .choices
                    .get(choices)
                    .and_then(|l| l.iter().find(|c| &c.value == code));
                let allowed = item.is_some_and(|item| {
                    filter
                        .eval(&Filtering { inner: env, item }, &Value::Null)
                        .truthy()
                });
                if !allowed {
                    problems.push(problem(
                        path,
                        "choice",
                        format!("{}的选项 {code} 不在当前可选范围内", f.label),
                        format!("{} cannot be {code} with the answers given", f.label),
                    ));
                }
            }
        }
        if f.read_only
            && loaded.calculate.is_none()
            && !matches!(loaded.prefill, Some(Spec::Verified(..)))
            && value != Value::Null
            && raw != f.default.as_ref()
        {
            problems.push(problem(
                path,
                "read_only",
                format!("{}不可修改", f.label),
                format!("{} cannot be changed", f.label),
            ));
            return;
        }
        if value == Value::Null {
            if f.required {
                problems.push(problem(
                    path,
                    "required",
                    format!("请填写{}", f.label),
                    format!("{} is required", f.label),
                ));
            }
            return;
        }
        if let Some(constraint) = &loaded.constraint {
            if !constraint.eval(env, &value).truthy() {
                let zh = f
                    .constraint_message
                    .clone()
                    .unwrap_or_else(|| format!("{}不符合要求", f.label));
                problems.push(problem(
                    path,
                    "constraint",
                    zh,
                    format!("{} does not meet its constraint", f.label),
                ));
            }
        }
    }
}

/// Largest attachment a field takes when it does not say: 20 MiB.
pub const DEFAULT_MAX_ATTACHMENT: u64 = 20 * 1024 * 1024;

/// An attachment's answer: a reference to content uploaded apart (the answers stay small and
/// the upload can resume), which the content's SM3 digest names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AttachmentRef {
    /// SM3 of the content, 64 lowercase hex digits.
    pub sm3: String,
    /// Its size in bytes.
    pub size: u64,
    /// The file's name as the person chose it.
    pub name: String,
    /// Its media type (`image/jpeg` …).
    pub media_type: String,
}

/// A size as a person reads it: `25.0 MB`, `300 KB`, `12 字节`.
fn human_size(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if bytes >= MIB {
        format!("{:.1} MB", bytes as f64 / MIB as f64)
    } else if bytes >= 1024 {
        format!("{} KB", bytes / 1024)
    } else {
        format!("{bytes} 字节")
    }
}

/// Whether media type `media_type` is one of `accept` (`image/*` takes any image).
fn accepted(accept: &[String], media_type: &str) -> bool {
    accept.is_empty()
        || accept.iter().any(|a| match a.strip_suffix("/*") {
            Some(family) => media_type
                .split_once('/')
                .is_some_and(|(f, _)| f.eq_ignore_ascii_case(family)),
            None => a.eq_ignore_ascii_case(media_type),
        })
}

/// How a page lays a draft out now ([`Form::layout`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Layout {
    /// Fields (and groups) not shown, by name.
    pub hidden: Vec<String>,
    /// The codes each select with a choice filter offers now, by field name.
    pub options: BTreeMap<String, Vec<String>>,
    /// The calculations' values now, by field name.
    pub computed: Json,
}

/// The choice lists of a form, by name.
type Choices = BTreeMap<String, Vec<ChoiceItem>>;

/// An answer of field `f` as a value, or why it is not one.
fn typed(lists: &Choices, f: &Field, json: &Json) -> Result<Value, Problem> {
    let wrong = |zh: String, en: String| problem("", "type", zh, en);
    let text = || {
        json.as_str().map(str::to_string).ok_or_else(|| {
            wrong(
                format!("{}须为文本", f.label),
                format!("{} must be text", f.label),
            )
        })
    };
    let format_error = |zh: String, en: String| problem("", "format", zh, en);
    Ok(match &f.kind {
        FieldKind::Text => Value::Text(text()?),
        FieldKind::Integer => Value::Int(json.as_i64().ok_or_else(|| {
            wrong(
                format!("{}须为整数", f.label),
                format!("{} must be a whole number", f.label),
            )
        })?),
        FieldKind::Decimal => Value::Decimal(json.as_f64().ok_or_else(|| {
            wrong(
                format!("{}须为数字", f.label),
                format!("{} must be a number", f.label),
            )
        })?),
        FieldKind::Money => Value::Money(json.as_i64().ok_or_else(|| {
            wrong(
                format!("{}须为以分计的整数金额", f.label),
                format!("{} must be a whole number of fen", f.label),
            )
        })?),
        FieldKind::Boolean => Value::Bool(json.as_bool().ok_or_else(|| {
            wrong(
                format!("{}须为是或否", f.label),
                format!("{} must be true or false", f.label),
            )
        })?),
        FieldKind::Date => {
            let t = text()?;
            Value::Date(crate::analytics::parse_day(&t).ok_or_else(|| {
                format_error(
                    format!("{}须为日期（YYYY-MM-DD）", f.label),
                    format!("{} must be a date (YYYY-MM-DD)", f.label),
                )
            })?)
        }
        FieldKind::Time => {
            let t = text()?;
            let b = t.as_bytes();
            let ok = b.len() == 5
                && b[2] == b':'
                && [0, 1, 3, 4].iter().all(|&i| b[i].is_ascii_digit())
                && (b[0] - b'0') * 10 + (b[1] - b'0') < 24
                && b[3] < b'6';
            if !ok {
                return Err(format_error(
                    format!("{}须为时间（HH:MM，24 小时制）", f.label),
                    format!("{} must be a time of day (HH:MM, 24-hour)", f.label),
                ));
            }
            Value::Text(t)
        }
        FieldKind::Attachment { max_bytes, accept } => {
            let a: AttachmentRef = serde_json::from_value(json.clone()).map_err(|_| {
                wrong(
                    format!("{}须为已上传的附件（sm3、size、name、media_type）", f.label),
                    format!(
                        "{} must be an uploaded attachment (sm3, size, name, media_type)",
                        f.label
                    ),
                )
            })?;
            let digest_ok = a.sm3.len() == 64
                && a.sm3
                    .bytes()
                    .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
            if !digest_ok {
                return Err(format_error(
                    format!("{}的 sm3 须为 64 位小写十六进制摘要", f.label),
                    format!("{}'s sm3 must be 64 lowercase hex digits", f.label),
                ));
            }
            let limit = max_bytes.unwrap_or(DEFAULT_MAX_ATTACHMENT);
            if a.size > limit {
                return Err(problem(
                    "",
                    "too_large",
                    format!(
                        "{}过大：{}，上限 {}",
                        f.label,
                        human_size(a.size),
                        human_size(limit)
                    ),
                    format!(
                        "{} is too large: {} bytes, at most {limit}",
                        f.label, a.size
                    ),
                ));
            }
            if !accepted(accept, &a.media_type) {
                return Err(format_error(
                    format!(
                        "{}不接受 {} 类型的文件（可用：{}）",
                        f.label,
                        a.media_type,
                        accept.join("、")
                    ),
                    format!(
                        "{} takes no {} (it takes {})",
                        f.label,
                        a.media_type,
                        accept.join(", ")
                    ),
                ));
            }
            Value::Text(a.sm3)
        }
        FieldKind::SelectOne { choices } => {
            let t = text()?;
            in_list(lists, f, choices, &t)?;
            Value::Text(t)
        }
        FieldKind::SelectMany { choices } => {
            let codes: Vec<String> = json
                .as_array()
                .and_then(|a| a.iter().map(|c| c.as_str().map(str::to_string)).collect())
                .ok_or_else(|| {
                    wrong(
                        format!("{}须为选项代码的列表", f.label),
                        format!("{} must be a list of choice codes", f.label),
                    )
                })?;
            for c in &codes {
                in_list(lists, f, choices, c)?;
            }
            Value::Choices(codes)
        }
        FieldKind::ResidentId => {
            let t = text()?;
            crate::identity_code::ResidentId::validate(&t).map_err(|e| {
                format_error(
                    format!("{}不是有效的公民身份号码（{e}）", f.label),
                    format!("{} is not a valid resident ID number ({e})", f.label),
                )
            })?;
            Value::Text(t)
        }
        FieldKind::Uscc => {
            let t = text()?;
            crate::identity_code::Uscc::validate(&t).map_err(|e| {
                format_error(
                    format!("{}不是有效的统一社会信用代码（{e}）", f.label),
                    format!(
                        "{} is not a valid unified social credit code ({e})",
                        f.label
                    ),
                )
            })?;
            Value::Text(t)
        }
        FieldKind::Phone => {
            let t = text()?;
            let ok = t.len() == 11
                && t.starts_with('1')
                && t.bytes().all(|b| b.is_ascii_digit())
                && matches!(t.as_bytes()[1], b'3'..=b'9');
            if !ok {
                return Err(format_error(
                    format!("{}须为 11 位手机号码", f.label),
                    format!("{} must be an 11-digit mobile number", f.label),
                ));
            }
            Value::Text(t)
        }
        FieldKind::Email => {
            let t = text()?;
            let ok = t.split_once('@').is_some_and(|(user, host)| {
                !user.is_empty()
                    && host.contains('.')
                    && !host.starts_with('.')
                    && !host.ends_with('.')
            }) && !t.contains(char::is_whitespace);
            if !ok {
                return Err(format_error(
                    format!("{}不是有效的电子邮箱", f.label),
                    format!("{} is not a valid e-mail address", f.label),
                ));
            }
            Value::Text(t)
        }
        FieldKind::Group { .. } | FieldKind::Repeat { .. } => Value::Null,
    })
}

fn in_list(lists: &Choices, f: &Field, list: &str, code: &str) -> Result<(), Problem> {
    let known = lists
        .get(list)
        .is_some_and(|l| l.iter().any(|c| c.value == code));
    if known {
        Ok(())
    } else {
        Err(problem(
            "",
            "choice",
            format!("{}没有选项 {code}", f.label),
            format!("{} has no choice {code}", f.label),
        ))
    }
}

enum Settled {
    Dropped,
    Computed(Json),
    Kept,
}

fn apply(object: &mut serde_json::Map<String, Json>, name: &str, outcome: Settled) {
    match outcome {
        Settled::Dropped => {
            object.remove(name);
        }
        Settled::Computed(value) => {
            object.insert(name.to_string(), value);
        }
        Settled::Kept => {}
    }
}

/// A value as an answer is written.
fn to_json(v: &Value) -> Json {
    match v {
        Value::Null | Value::Repeat(_) => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) | Value::Money(i) => Json::from(*i),
        Value::Decimal(d) => serde_json::Number::from_f64(*d).map_or(Json::Null, Json::Number),
        Value::Text(t) => Json::String(t.clone()),
        Value::Date(d) => Json::String(crate::analytics::format_day(*d)),
        Value::Choices(c) => Json::from(c.clone()),
        Value::Many(values) => Json::Array(values.iter().map(to_json).collect()),
    }
}

/// Answers, and the choice a choice filter is deciding on.
struct Filtering<'a, 'b> {
    inner: &'a Answers<'b>,
    item: &'a ChoiceItem,
}

impl Env for Filtering<'_, '_> {
    fn value(&self, name: &str) -> Value {
        self.inner.value(name)
    }

    fn today(&self) -> i64 {
        self.inner.today
    }

    fn column(&self, name: &str) -> Value {
        if name == "name" {
            return Value::Text(self.item.value.clone());
        }
        self.item
            .extra
            .get(name)
            .map_or(Value::Null, |v| Value::Text(v.clone()))
    }
}

/// Answers as an expression reads them: the form's top level, and the instance of a repeat
/// the expression's field is in.
struct Answers<'a> {
    form: &'a Form,
    top: &'a serde_json::Map<String, Json>,
    instance: Option<(&'a str, &'a serde_json::Map<String, Json>)>,
    today: i64,
}

impl Answers<'_> {
    fn raw(&self, name: &str) -> Option<&Json> {
        match self.instance {
            Some((repeat, instance)) if self.repeat_of(name) == Some(repeat) => instance.get(name),
            _ => self.top.get(name),
        }
    }

    fn repeat_of(&self, name: &str) -> Option<&str> {
        self.form.field(name)?.repeat.as_deref()
    }

    fn value_of(&self, f: &Field, json: Option<&Json>) -> Value {
        match json {
            None | Some(Json::Null) => Value::Null,
            Some(j) => typed(&self.form.definition.choices, f, j).unwrap_or(Value::Null),
        }
    }
}

impl Env for Answers<'_> {
    fn value(&self, name: &str) -> Value {
        let Some(loaded) = self.form.field(name) else {
            return Value::Null;
        };
        if let FieldKind::Repeat { .. } = loaded.field.kind {
            return Value::Repeat(
                self.top
                    .get(name)
                    .and_then(Json::as_array)
                    .map_or(0, Vec::len),
            );
        }
        match (&loaded.repeat, self.instance) {
            (Some(r), Some((here, instance))) if r == here => {
                self.value_of(&loaded.field, instance.get(name))
            }
            (Some(r), _) => Value::Many(
                self.top
                    .get(r)
                    .and_then(Json::as_array)
                    .map_or(&[][..], Vec::as_slice)
                    .iter()
                    .map(|i| self.value_of(&loaded.field, i.get(name)))
                    .collect(),
            ),
            (None, _) => self.value_of(&loaded.field, self.top.get(name)),
        }
    }

    fn today(&self) -> i64 {
        self.today
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// 困难家庭补助申请: an applicant, their household, and a reason that shows for some.
    fn definition() -> FormDefinition {
        serde_json::from_value(json!({
            "id": "hardship-subsidy", "version": 2, "title": "困难家庭补助申请",
            "choices": {"needs": [{"value": "housing", "label": "住房"}, {"value": "medical", "label": "医疗"}]},
            "fields": [
                {"name": "applicant", "label": "申请人", "type": "group", "fields": [
                    {"name": "name", "label": "姓名", "type": "text", "required": true},
                    {"name": "id_number", "label": "公民身份号码", "type": "resident_id", "required": true},
                    {"name": "phone", "label": "手机号码", "type": "phone"},
                    {"name": "birth", "label": "出生日期", "type": "date", "required": true,
                     "constraint": "age(.) >= 18", "constraint_message": "申请人须年满 18 周岁"}
                ]},
                {"name": "needs", "label": "困难类型", "type": "select_many", "choices": "needs", "required": true},
                {"name": "medical_detail", "label": "病情说明", "type": "text", "required": true,
                 "relevant": "selected(${needs}, 'medical')"},
                {"name": "members", "label": "家庭成员", "type": "repeat", "min": 1, "max": 6, "fields": [
                    {"name": "member_name", "label": "成员姓名", "type": "text", "required": true},
                    {"name": "member_income", "label": "月收入", "type": "money", "required": true,
                     "constraint": ". >= 0 * ${member_income}"}
                ]},
                {"name": "total_ok", "label": "家庭月收入确认", "type": "boolean",
                 "constraint": "sum(${member_income}) < yuan(3000)", "constraint_message": "家庭月收入须低于 3000 元"}
            ]
        }))
        .expect("definition")
    }

    fn today() -> i64 {
        crate::analytics::parse_day("2026-12-04").expect("day")
    }

    #[test]
    fn good_answers_pass_and_every_problem_is_named_by_its_path() {
        let form = Form::load(definition()).expect("loads");
        let good = json!({
            "name": "张三", "id_number": "11010519491231002X", "phone": "13812345678",
            "birth": "1990-01-01", "needs": ["housing"],
            "members": [{"member_name": "张三", "member_income": 150000}],
            "total_ok": true
        });
        assert_eq!(form.check(&good, today()), vec![]);

        let bad = json!({
            "id_number": "110105194912310021", "phone": "12345", "birth": "2015-06-01",
            "needs": ["medical", "travel"],
            "members": [{"member_income": "很多"}, {"member_name": "李四", "member_income": 400000}],
            "total_ok": true
        });
        let problems = form.check(&bad, today());
        let found: Vec<(&str, &str)> = problems.iter().map(|p| (p.path.as_str(), p.code)).collect();
        assert_eq!(
            found,
            vec![
                ("name", "required"),
                ("id_number", "format"),
                ("phone", "format"),
                ("birth", "constraint"),
                ("needs", "choice"),
                ("members[0].member_name", "required"),
                ("members[0].member_income", "type"),
                ("total_ok", "constraint"),
            ],
            "{problems:#?}"
        );
        assert_eq!(problems[3].message.zh, "申请人须年满 18 周岁");
        assert!(problems[4].message.zh.contains("没有选项 travel"));
        // The medical detail is asked only when medical is chosen; the total is checked
        // over every member's income.
        let medical = json!({
            "name": "张三", "id_number": "11010519491231002X", "birth": "1990-01-01",
            "needs": ["medical"], "members": [{"member_name": "张三", "member_income": 200000},
                                              {"member_name": "李四", "member_income": 150000}],
            "total_ok": true
        });
        let found: Vec<(String, &str)> = form
            .check(&medical, today())
            .into_iter()
            .map(|p| (p.path, p.code))
            .collect();
        assert_eq!(
            found,
            vec![
                ("medical_detail".to_string(), "required"),
                ("total_ok".to_string(), "constraint")
            ]
        );
        let none = json!({"name": "张三", "id_number": "11010519491231002X", "birth": "1990-01-01", "needs": ["housing"], "members": []});
        let found: Vec<(String, &str)> = form
            .check(&none, today())
            .into_iter()
            .map(|p| (p.path, p.code))
            .collect();
        assert_eq!(found, vec![("members".to_string(), "count")]);
        // A name the form does not have is refused where it was sent, as is a repeat that is
        // not a list of entries.
        let smuggled = json!({"name": "张三", "id_number": "11010519491231002X", "birth": "1990-01-01",
            "needs": ["housing"], "salary": 1, "members": [{"member_name": "张三", "member_income": 1, "note": "x"}, 7]});
        let found: Vec<(String, &str)> = form
            .check(&smuggled, today())
            .into_iter()
            .map(|p| (p.path, p.code))
            .collect();
        assert_eq!(
            found,
            vec![
                ("members[0].note".to_string(), "unknown"),
                ("members[1]".to_string(), "type"),
                ("salary".to_string(), "unknown")
            ]
        );
        let not_a_list = json!({"name": "张三", "id_number": "11010519491231002X", "birth": "1990-01-01",
            "needs": ["housing"], "members": {"member_name": "张三"}});
        let found: Vec<(String, &str)> = form
            .check(&not_a_list, today())
            .into_iter()
            .map(|p| (p.path, p.code))
            .collect();
        assert_eq!(found, vec![("members".to_string(), "type")]);
    }

    #[test]
    fn a_draft_of_another_version_keeps_what_this_one_still_asks() {
        let form = Form::load(definition()).expect("loads");
        let older = json!({
            "name": "张三", "fax": "0577-1234567",
            "members": [{"member_name": "张三", "member_income": 1, "member_job": "教师"}]
        });
        let (kept, dropped) = form.carry_over(&older);
        assert_eq!(
            kept,
            json!({"name": "张三", "members": [{"member_name": "张三", "member_income": 1}]})
        );
        assert_eq!(
            dropped,
            vec!["fax".to_string(), "members[0].member_job".to_string()]
        );
    }

    #[test]
    fn on_submit_irrelevant_answers_are_dropped_and_calculations_made() {
        let mut d = definition();
        d.fields.push(serde_json::from_value(json!({"name": "household", "label": "家庭人数", "type": "integer", "calculate": "count(${members})"})).expect("field"));
        d.fields.push(serde_json::from_value(json!({"name": "per_head", "label": "人均月收入", "type": "money", "calculate": "sum(${member_income}) div count(${members})"})).expect("field"));
        d.fields.push(serde_json::from_value(json!({"name": "applied_on", "label": "申请日期", "type": "date", "calculate": "today()"})).expect("field"));
        d.fields.push(
            serde_json::from_value(
                json!({"name": "consent", "label": "承诺属实", "type": "boolean", "default": true}),
            )
            .expect("field"),
        );
        let form = Form::load(d).expect("loads");
        assert_eq!(
            form.blank(today()),
            json!({"consent": true, "household": 0, "per_head": null, "applied_on": "2026-12-04", "members": []})
        );
        let answers = json!({
            "name": "张三", "needs": ["housing"], "medical_detail": "（改选前填写）",
            "members": [{"member_name": "张三", "member_income": 100000}, {"member_name": "李四", "member_income": 50001}],
            "household": 99
        });
        let sent = form.submitted(&answers, today());
        assert_eq!(
            sent.get("medical_detail"),
            None,
            "dropped: medical was not chosen"
        );
        assert_eq!(sent["household"], 2, "computed, whatever was typed");
        assert_eq!(sent["per_head"], 75001, "money divided, rounded to the fen");
        assert_eq!(sent["applied_on"], "2026-12-04");
        assert_eq!(sent["members"][1]["member_income"], 50001);
    }

    #[test]
    fn a_choice_filter_cascades_city_to_county() {
        let form = Form::load(serde_json::from_value(json!({
            "id": "address", "version": 1, "title": "住址",
            "choices": {
                "city": [{"value": "3301", "label": "杭州市"}, {"value": "3303", "label": "温州市"}],
                "county": [{"value": "330302", "label": "鹿城区", "city": "3303"},
                           {"value": "330106", "label": "西湖区", "city": "3301"},
                           {"value": "330324", "label": "永嘉县", "city": "3303"}]
            },
            "fields": [
                {"name": "city", "label": "市", "type": "select_one", "choices": "city", "required": true},
                {"name": "county", "label": "县（市、区）", "type": "select_one", "choices": "county",
                 "required": true, "choice_filter": "city = ${city}"}
            ]
        })).expect("definition"))
        .expect("loads");
        let offered: Vec<&str> = form
            .choices_for("county", &json!({"city": "3303"}), today())
            .iter()
            .map(|c| c.label.as_str())
            .collect();
        assert_eq!(offered, vec!["鹿城区", "永嘉县"]);
        // What a page is told to offer: the engine's filter, not the page's.
        let layout = form.layout(&json!({"city": "3301"}), today());
        assert_eq!(layout.options["county"], ["330106"]);
        assert!(!layout.options.contains_key("city"), "no filter, no list");
        assert_eq!(
            form.check(&json!({"city": "3303", "county": "330324"}), today()),
            vec![]
        );
        let wrong = form.check(&json!({"city": "3303", "county": "330106"}), today());
        assert_eq!(
            (wrong[0].path.as_str(), wrong[0].code),
            ("county", "choice"),
            "{wrong:?}"
        );
        assert!(wrong[0].message.zh.contains("不在当前可选范围内"));
        // A filter reading a column the list does not have, or a bare name elsewhere.
        let broken = Form::load(serde_json::from_value(json!({
            "id": "address", "version": 1, "title": "住址",
            "choices": {"city": [{"value": "3303", "label": "温州市"}]},
            "fields": [
                {"name": "city", "label": "市", "type": "select_one", "choices": "city", "choice_filter": "province = '33'"},
                {"name": "note", "label": "备注", "type": "text", "relevant": "city = '3303'"}
            ]
        })).expect("definition"))
        .err()
        .expect("refused");
        let found: Vec<&str> = broken.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            found,
            vec!["city.choice_filter", "note.relevant"],
            "{broken:#?}"
        );
        assert!(
            broken[1].message.zh.contains("${city}"),
            "{:?}",
            broken[1].message
        );
    }

    #[test]
    fn a_broken_definition_is_refused_with_everything_wrong() {
        let mut d = definition();
        d.fields.push(
            serde_json::from_value(json!({"name": "name", "label": "重名", "type": "text"}))
                .expect("field"),
        );
        d.fields.push(serde_json::from_value(json!({"name": "9lives", "label": "坏名", "type": "select_one", "choices": "nowhere"})).expect("field"));
        d.fields.push(serde_json::from_value(json!({"name": "late", "label": "迟到", "type": "integer", "relevant": "${birth} + 'x'"})).expect("field"));
        d.fields.push(
            serde_json::from_value(
                json!({"name": "odd", "label": "奇怪", "type": "integer", "constraint": ". + 1"}),
            )
            .expect("field"),
        );
        let more = [
            json!({"name": "sum_text", "label": "合计", "type": "text", "calculate": "1 + 2"}),
            json!({"name": "when", "label": "日期", "type": "date", "default": "明天"}),
        ];
        for f in more {
            d.fields.push(serde_json::from_value(f).expect("field"));
        }
        let problems = Form::load(d).err().expect("refused");
        let found: Vec<(&str, &str)> = problems.iter().map(|p| (p.path.as_str(), p.code)).collect();
        assert_eq!(
            found,
            vec![
                ("name", "name"),
                ("9lives", "name"),
                ("9lives", "choices"),
                ("late.relevant", "expression"),
                ("odd.constraint", "expression"),
                ("sum_text.calculate", "expression"),
                ("when.default", "default"),
            ],
            "{problems:#?}"
        );
        assert!(
            problems[3].message.zh.contains("第 10 个字符处"),
            "{:?}",
            problems[3].message
        );
    }

    /// 惠企政策兑现 in small: the enterprise's fields from its records, the payee from last time.
    fn claim() -> Form {
        Form::load(
            serde_json::from_value(json!({
                "id": "claim", "version": 1, "title": "兑现申报",
                "fields": [
                    {"name": "enterprise_name", "label": "企业名称", "type": "text", "required": true,
                     "prefill": "registration.name"},
                    {"name": "uscc", "label": "统一社会信用代码", "type": "uscc", "required": true,
                     "prefill": "registration.uscc"},
                    {"name": "revenue", "label": "上年度营业收入", "type": "money", "prefill": "tax.revenue"},
                    {"name": "employees", "label": "参保人数", "type": "integer",
                     "prefill": "social_security.insured_employees"},
                    {"name": "bank_account", "label": "银行账号", "type": "text", "prefill": "last"},
                    {"name": "claim_amount", "label": "申请金额", "type": "money", "required": true},
                    {"name": "channel", "label": "申报渠道", "type": "text", "read_only": true, "default": "浙里办"},
                    {"name": "twice", "label": "两倍", "type": "money", "calculate": "${claim_amount} * 2"}
                ]
            }))
            .expect("definition"),
        )
        .expect("loads")
    }

    /// A valid USCC of a Wenzhou enterprise.
    fn good_uscc() -> String {
        use crate::identity_code::Uscc;
        let body = "MA2AYCMQ";
        let org = format!(
            "{body}{}",
            Uscc::organisation_check_character(body).expect("body")
        );
        let first17 = format!("91330302{org}");
        format!(
            "{first17}{}",
            Uscc::check_character(&first17).expect("first17")
        )
    }

    /// A registration whose USCC is deliberately not a valid one (its check characters are
    /// placeholders): a department value that does not fit its field is not filled.
    fn registration() -> serde_json::Map<String, Json> {
        json!({"name": "温州瓯江智造有限公司", "uscc": "91330300MA2CXXXX0T"})
            .as_object()
            .cloned()
            .expect("object")
    }

    #[test]
    fn a_prefill_says_where_each_answer_came_from_and_why_a_source_gave_nothing() {
        let form = claim();
        let uscc = good_uscc();
        let mut reg = registration();
        reg.insert("uscc".into(), uscc.clone().into());
        let sources = Sources {
            government: BTreeMap::from([
                (
                    super::super::prefill::Source::Registration,
                    SourceState::Found {
                        values: reg,
                        age_secs: 30,
                    },
                ),
                (
                    super::super::prefill::Source::Tax,
                    SourceState::Unavailable {
                        reason: Text::new("税务局暂时无法访问", "the tax bureau is unreachable"),
                    },
                ),
                (
                    super::super::prefill::Source::SocialSecurity,
                    SourceState::NotFound,
                ),
            ]),
            previous: Some(super::super::prefill::Previous {
                instance_id: "i-1".into(),
                submitted_at_ms: 1_700_000_000_000,
                answers: json!({"bank_account": "6222020200112233445", "gone_field": "x"}),
            }),
        };
        let p = form.prefill(&sources, today());
        assert_eq!(p.answers["enterprise_name"], "温州瓯江智造有限公司");
        assert_eq!(p.answers["uscc"], uscc);
        assert_eq!(p.answers["bank_account"], "6222020200112233445");
        assert_eq!(p.answers["channel"], "浙里办", "defaults stay");
        assert!(
            p.answers.get("revenue").is_none(),
            "a source down leaves it empty"
        );
        assert!(matches!(
            p.filled["uscc"],
            Origin::Verified { age_secs: 30, ref provider, .. } if provider == "市场监管局·营业执照"
        ));
        assert!(
            matches!(p.filled["bank_account"], Origin::Previous { ref instance_id, .. } if instance_id == "i-1")
        );
        let reasons: Vec<(&str, &str, &[String])> = p
            .unfilled
            .iter()
            .map(|u| (u.source.as_str(), u.reason.as_str(), u.fields.as_slice()))
            .collect();
        assert_eq!(
            reasons,
            vec![
                ("tax", "税务局暂时无法访问", &["revenue".to_string()][..]),
                (
                    "social_security",
                    "部门没有您的记录",
                    &["employees".to_string()][..]
                ),
            ]
        );
        let verified: Vec<&str> = p.verified().collect();
        assert_eq!(verified, ["enterprise_name", "uscc"]);
        // 7 typable (the read-only channel and the calculation are not); 3 filled.
        assert_eq!(p.typable, 6);
        assert_eq!(
            p.defaulted, 0,
            "the read-only channel's default is not typable"
        );
        assert!((p.coverage() - 0.5).abs() < 1e-9, "{}", p.coverage());

        // A verified answer changed is refused; others are the person's to change.
        let mut submitted = p.answers.clone();
        // Another enterprise's code, changed on a page that shows it read-only.
        submitted["uscc"] = json!("91330300MA2CXXXX0T");
        submitted["bank_account"] = json!("6222000000000000000");
        let problems = form.check_verified(&submitted, &p);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(
            (problems[0].path.as_str(), problems[0].code),
            ("uscc", "verified")
        );
        assert!(
            problems[0].message.zh.contains("市场监管局"),
            "{}",
            problems[0].message.zh
        );
        // A value from the department that does not fit the field (a bad USCC) is not filled.
        let bad = Sources {
            government: BTreeMap::from([(
                super::super::prefill::Source::Registration,
                SourceState::Found {
                    values: registration(),
                    age_secs: 0,
                },
            )]),
            previous: None,
        };
        let p = form.prefill(&bad, today());
        assert!(p.answers.get("uscc").is_none());
        assert!(p
            .unfilled
            .iter()
            .any(|u| u.fields == ["uscc"] && u.reason.contains("不适用")));
        assert!(p
            .unfilled
            .iter()
            .any(|u| u.source == "last" && u.reason.contains("第一次")));
        assert!(p
            .unfilled
            .iter()
            .any(|u| u.source == "tax" && u.reason.contains("企业身份")));
    }

    #[test]
    fn a_layout_says_what_is_hidden_and_what_is_calculated() {
        let form = Form::load(definition()).expect("loads");
        let layout = form.layout(&json!({"needs": ["housing"]}), today());
        assert_eq!(layout.hidden, ["medical_detail"]);
        let layout = form.layout(&json!({"needs": ["medical"]}), today());
        assert!(layout.hidden.is_empty());
        let claim = claim();
        let layout = claim.layout(&json!({"claim_amount": 150}), today());
        assert_eq!(layout.computed, json!({"twice": 300}));
        // A group's own relevance would be ignored by the check: refused at load instead.
        let grouped: FormDefinition = serde_json::from_value(json!({
            "id": "x", "version": 1, "title": "x",
            "fields": [{"name": "g", "label": "G", "type": "group", "relevant": "true()", "fields": []}]
        }))
        .expect("definition");
        let problems = Form::load(grouped).err().expect("refused");
        assert_eq!(
            (problems[0].path.as_str(), problems[0].code),
            ("g.relevant", "expression")
        );
    }

    #[test]
    fn revalidating_one_change_says_what_validating_everything_says() {
        use rand::{Rng, SeedableRng};
        let form = Form::load(definition()).expect("loads");
        assert!(!form.reads_forward);
        let pool = |name: &str| -> Vec<Json> {
            match name {
                "name" => vec![json!("陈立"), json!(""), json!(5)],
                "id_number" => vec![json!("11010519491231002X"), json!("110105194912310021")],
                "phone" => vec![json!("13812345678"), json!("123")],
                "birth" => vec![json!("1990-01-01"), json!("2020-01-01"), json!("x")],
                "needs" => vec![
                    json!(["medical"]),
                    json!(["housing"]),
                    json!([]),
                    json!(["nope"]),
                ],
                "medical_detail" => vec![json!("慢性病"), Json::Null],
                "members" => vec![
                    json!([{"member_name": "甲", "member_income": 100_000}]),
                    json!([{"member_name": "甲", "member_income": 400_000}, {"member_name": "乙"}]),
                    json!([]),
                    json!("x"),
                ],
                _ => vec![json!(true), json!(false), Json::Null],
            }
        };
        let names = [
            "name",
            "id_number",
            "phone",
            "birth",
            "needs",
            "medical_detail",
            "members",
            "total_ok",
        ];
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let mut answers = json!({});
        let mut state = form.validate(&answers, today());
        for step in 0..2_000 {
            let name = names[rng.gen_range(0..names.len())];
            let choices = pool(name);
            let value = choices[rng.gen_range(0..choices.len())].clone();
            if value.is_null() {
                answers.as_object_mut().expect("object").remove(name);
            } else {
                answers[name] = value;
            }
            form.revalidate(&answers, name, &mut state, today());
            let whole = form.validate(&answers, today());
            assert_eq!(state, whole, "step {step}: {name} in {answers}");
        }
        // A rule reading a later field: a re-check is a whole one, and still right.
        let forward = Form::load(
            serde_json::from_value(json!({"id": "f", "version": 1, "title": "f", "fields": [
                {"name": "a", "label": "A", "type": "integer", "relevant": "${b} > 0"},
                {"name": "b", "label": "B", "type": "integer"}
            ]}))
            .expect("definition"),
        )
        .expect("loads");
        assert!(forward.reads_forward);
        let mut state = forward.validate(&json!({"a": 1}), today());
        forward.revalidate(&json!({"a": 1, "b": 2}), "b", &mut state, today());
        assert_eq!(state, forward.validate(&json!({"a": 1, "b": 2}), today()));
    }

    #[test]
    fn a_read_only_field_keeps_its_default() {
        let form = claim();
        let mut answers = json!({"enterprise_name": "温州瓯江智造有限公司", "uscc": good_uscc(),
            "claim_amount": 100, "channel": "浙里办"});
        assert!(form
            .check(&form.submitted(&answers, today()), today())
            .is_empty());
        answers["channel"] = json!("别处");
        let problems = form.check(&answers, today());
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(
            (problems[0].path.as_str(), problems[0].code),
            ("channel", "read_only")
        );
    }

    #[test]
    fn a_prefill_that_cannot_work_is_refused_at_load() {
        let broken: FormDefinition = serde_json::from_value(json!({
            "id": "x", "version": 1, "title": "x",
            "fields": [
                {"name": "a", "label": "A", "type": "integer", "prefill": "registration.name"},
                {"name": "b", "label": "B", "type": "text", "prefill": "bank.account"},
                {"name": "g", "label": "G", "type": "group", "prefill": "last", "fields": [
                    {"name": "c", "label": "C", "type": "money", "calculate": "yuan(1)", "prefill": "tax.revenue"}
                ]},
                {"name": "r", "label": "R", "type": "repeat", "prefill": "last", "fields": [
                    {"name": "d", "label": "D", "type": "text", "prefill": "profile.name"}
                ]}
            ]
        }))
        .expect("definition");
        let problems = Form::load(broken).err().expect("refused");
        let at: Vec<(&str, &str)> = problems.iter().map(|p| (p.path.as_str(), p.code)).collect();
        assert_eq!(
            at,
            vec![
                ("a.prefill", "prefill"),
                ("b.prefill", "prefill"),
                ("c.prefill", "prefill"),
                ("d.prefill", "prefill"),
                ("g.prefill", "prefill"),
            ],
            "{problems:?}"
        );
        assert!(
            problems[0].message.zh.contains("文本"),
            "{}",
            problems[0].message.zh
        );
    }

    #[test]
    fn times_and_attachments_are_checked_for_what_they_are() {
        let form = Form::load(
            serde_json::from_value(json!({
                "id": "x", "version": 1, "title": "x",
                "fields": [
                    {"name": "at", "label": "预约时间", "type": "time", "constraint": ". >= '08:30'"},
                    {"name": "photo", "label": "现场照片", "type": "attachment",
                     "max_bytes": 1048576, "accept": ["image/*"]},
                    {"name": "scan", "label": "扫描件", "type": "attachment"}
                ]
            }))
            .expect("definition"),
        )
        .expect("loads");
        let sm3 = "a".repeat(64);
        let photo = |size: u64, media: &str, digest: &str| json!({"sm3": digest, "size": size, "name": "a.jpg", "media_type": media});
        let codes = |answers: Json| -> Vec<(String, &'static str)> {
            form.check(&answers, today())
                .into_iter()
                .map(|p| (p.path, p.code))
                .collect()
        };
        assert!(codes(
            json!({"at": "09:15", "photo": photo(1000, "image/jpeg", &sm3),
            "scan": photo(20 * 1024 * 1024, "application/pdf", &sm3)})
        )
        .is_empty());
        assert_eq!(codes(json!({"at": "08:00"})), [("at".into(), "constraint")]);
        for bad in ["24:00", "9:15", "09:60", "0915", "09:15:00"] {
            assert_eq!(
                codes(json!({"at": bad})),
                [("at".into(), "format")],
                "{bad}"
            );
        }
        assert_eq!(
            codes(json!({"photo": photo(1048577, "image/png", &sm3)})),
            [("photo".into(), "too_large")]
        );
        assert_eq!(
            codes(json!({"scan": photo(20 * 1024 * 1024 + 1, "application/pdf", &sm3)})),
            [("scan".into(), "too_large")]
        );
        assert_eq!(
            codes(json!({"photo": photo(10, "application/pdf", &sm3)})),
            [("photo".into(), "format")]
        );
        assert_eq!(
            codes(json!({"photo": photo(10, "image/png", "ABC")})),
            [("photo".into(), "format")]
        );
        assert_eq!(codes(json!({"photo": "a.jpg"})), [("photo".into(), "type")]);
        assert_eq!(
            codes(
                json!({"photo": {"sm3": sm3, "size": 1, "name": "a", "media_type": "image/png", "url": "x"}})
            ),
            [("photo".into(), "type")]
        );
        let message = form.check(
            &json!({"photo": photo(5 * 1024 * 1024, "image/png", &sm3)}),
            today(),
        );
        assert!(
            message[0].message.zh.contains("5.0 MB") && message[0].message.zh.contains("1.0 MB"),
            "{}",
            message[0].message.zh
        );
    }
}
