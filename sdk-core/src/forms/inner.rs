//! The forms client's inner API over the [`Context`]: form versions kept for offline use,
//! drafts kept sealed and checked by the form's own engine on every save, and the outbox.
//!
//! The outbox is what makes a submission reach ZheliKit exactly once. Finalizing writes the
//! submission — its instance id and its place (`seq`) in this device's outbox made then — in
//! one write of the outbox row, before anything is sent; the draft goes after. Whatever
//! happens next (no network, the app killed mid-send, the answer lost), the item stays queued
//! until ZheliKit's answer is recorded, and sending it again is safe: ZheliKit applies an
//! instance once and answers a replay with the first answer. A draft whose finalized item is
//! in the outbox is never offered again, so a kill between the two writes cannot make a
//! second submission of it either.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use zhelikit_domain::forms::definition::{Form, Validation};
use zhelikit_domain::forms::prefill::{Origin, Prefill};
use zhelikit_domain::forms::submission::{
    FormCatalogue, FormDocument, Submission, SubmissionList, SubmissionRequest,
};
use zhelikit_domain::paths;

use crate::context::{now_ms, Cached, Context};
use crate::error::{Error, Result};
use crate::forms::types::{
    Draft, FieldProblem, FilledField, FormInfo, FormPrefill, FormView, OutboxState, OutboxSync,
    Outgoing, SubmissionInfo, UnfilledSource,
};

/// The device's outbox id, made once (the device's, not the user's: ZheliKit keys an outbox
/// by it and the user together).
const CLIENT_ROW: &str = "forms.client_id";
const OUTBOX: &str = "forms.outbox";
const DRAFTS: &str = "forms.drafts";
const CATALOGUE: &str = "forms.catalogue";
const SUBMISSIONS: &str = "forms.submissions";

fn draft_row(id: &str) -> String {
    format!("forms.draft.{id}")
}

fn definition_row(form_id: &str, version: u32) -> String {
    format!("forms.def.{form_id}.v{version}")
}

fn open_row(form_id: &str) -> String {
    format!("forms.open.{form_id}")
}

fn prefill_row(form_id: &str) -> String {
    format!("forms.prefill.{form_id}")
}

/// Where each of `prefill`'s answers came from, for those `answers` still hold: one the
/// person changed is theirs now.
fn filled(prefill: &Prefill, answers: &Json) -> Vec<FilledField> {
    let now_s = now_ms() / 1000;
    prefill
        .filled
        .iter()
        .filter(|(name, _)| answers.get(name.as_str()) == prefill.answers.get(name.as_str()))
        .map(|(name, origin)| match origin {
            Origin::Verified {
                source,
                provider,
                age_secs,
            } => FilledField {
                field: name.clone(),
                verified: true,
                source: source.as_str().into(),
                provider: provider.clone(),
                age_secs: *age_secs,
                from_instance: None,
            },
            Origin::Previous {
                instance_id,
                submitted_at_ms,
            } => FilledField {
                field: name.clone(),
                verified: false,
                source: "last".into(),
                provider: "上次提交".into(),
                age_secs: u64::try_from(now_s - submitted_at_ms / 1000).unwrap_or(0),
                from_instance: Some(instance_id.clone()),
            },
        })
        .collect()
}

fn unfilled(prefill: &Prefill) -> Vec<UnfilledSource> {
    prefill
        .unfilled
        .iter()
        .map(|u| UnfilledSource {
            source: u.source.clone(),
            provider: u.provider.clone(),
            reason: u.reason.clone(),
            fields: u.fields.clone(),
        })
        .collect()
}

fn prefill_view(p: &Prefill, offline: bool) -> FormPrefill {
    FormPrefill {
        form_id: p.form_id.clone(),
        version: p.version,
        answers_json: p.answers.to_string(),
        filled: filled(p, &p.answers),
        unfilled: unfilled(p),
        coverage: p.coverage(),
        offline,
    }
}

/// A draft as kept.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct KeptDraft {
    draft_id: String,
    form_id: String,
    version: u32,
    answers: Json,
    #[serde(default)]
    supersedes: Option<String>,
    #[serde(default)]
    dropped: Vec<String>,
    updated_at_ms: i64,
    /// What 一表通 filled it with (none for a correction or a form that fills nothing).
    #[serde(default)]
    prefill: Option<Prefill>,
}

/// A refusal as kept.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Refusal {
    code: String,
    detail: String,
    #[serde(default)]
    problems: Vec<(String, String, String)>,
}

/// A finalized submission as kept.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Item {
    instance_id: String,
    draft_id: String,
    form_id: String,
    version: u32,
    seq: u64,
    answers: Json,
    #[serde(default)]
    supersedes: Option<String>,
    finalized_at_ms: i64,
    #[serde(default)]
    refusal: Option<Refusal>,
    /// ZheliKit's answer, once sent.
    #[serde(default)]
    submission: Option<Submission>,
}

impl Item {
    fn state(&self) -> OutboxState {
        if self.submission.is_some() {
            OutboxState::Sent
        } else if self.refusal.is_some() {
            OutboxState::Refused
        } else {
            OutboxState::Queued
        }
    }

    fn view(&self) -> Outgoing {
        Outgoing {
            instance_id: self.instance_id.clone(),
            form_id: self.form_id.clone(),
            version: self.version,
            seq: self.seq,
            state: self.state(),
            refusal_code: self.refusal.as_ref().map(|r| r.code.clone()),
            refusal: self.refusal.as_ref().map(|r| r.detail.clone()),
            problems: self
                .refusal
                .iter()
                .flat_map(|r| r.problems.iter())
                .map(|(path, code, message)| FieldProblem {
                    path: path.clone(),
                    code: code.clone(),
                    message: message.clone(),
                })
                .collect(),
            submission: self.submission.clone().map(SubmissionInfo::from),
            finalized_at_ms: self.finalized_at_ms,
        }
    }
}

/// The outbox as kept: its items in `seq` order and the next place.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Outbox {
    next_seq: u64,
    items: Vec<Item>,
}

/// Today in China, days since 1970-01-01 (what a form's `today()` is).
fn today() -> i64 {
    zhelikit_domain::policy::china_day(now_ms() / 1000)
}

fn load(definition: &zhelikit_domain::forms::definition::FormDefinition) -> Result<Form> {
    Form::load(definition.clone()).map_err(|p| {
        Error::Internal(format!(
            "form {} v{} does not load: {p:?}",
            definition.id, definition.version
        ))
    })
}

/// The problems of `answers` as the BFF will check them (calculated, irrelevant dropped, and
/// a government-verified answer changed), with the answers as they would be submitted.
fn problems(form: &Form, answers: &Json, prefill: Option<&Prefill>) -> (Vec<FieldProblem>, Json) {
    let Validation {
        submitted,
        mut problems,
    } = form.validate(answers, today());
    if let Some(p) = prefill {
        problems.extend(form.check_verified(&submitted, p));
    }
    (
        problems.into_iter().map(FieldProblem::from).collect(),
        submitted,
    )
}

fn answers_of(json: &str) -> Result<Json> {
    let answers: Json = serde_json::from_str(json).map_err(|e| Error::Input {
        field: "answers_json",
        reason: format!("不是 JSON：{e}"),
    })?;
    if !answers.is_object() {
        return Err(Error::Input {
            field: "answers_json",
            reason: "须为 JSON 对象（字段名 → 回答）".into(),
        });
    }
    Ok(answers)
}

/// The forms of one client.
#[derive(Clone)]
pub(crate) struct Forms {
    ctx: Arc<Context>,
}

impl Forms {
    pub(crate) fn new(ctx: Arc<Context>) -> Self {
        Self { ctx }
    }

    pub(crate) fn context(&self) -> &Arc<Context> {
        &self.ctx
    }

    fn client_id(&self) -> Result<String> {
        if let Some(bytes) = self.ctx.store.get(CLIENT_ROW)? {
            if let Ok(id) = String::from_utf8(bytes) {
                return Ok(id);
            }
        }
        let id = format!("outbox-{}", uuid::Uuid::new_v4().simple());
        self.ctx.store.put(CLIENT_ROW, id.as_bytes())?;
        Ok(id)
    }

    /// The forms the person may fill; offline, the list kept.
    pub(crate) async fn catalogue(&self) -> Result<Vec<FormInfo>> {
        let ctx = &self.ctx;
        let list = match ctx
            .cached(CATALOGUE, || ctx.get::<FormCatalogue>(paths::FORMS))
            .await?
        {
            Cached::Fresh(l) | Cached::Offline(l) => l,
        };
        Ok(list.forms.into_iter().map(FormInfo::from).collect())
    }

    fn view(doc: &FormDocument, offline: bool) -> FormView {
        FormView {
            id: doc.definition.id.clone(),
            version: doc.definition.version,
            title: doc.definition.title.clone(),
            status: doc.status.as_str().into(),
            definition_json: serde_json::to_string(&doc.definition).unwrap_or_default(),
            offline,
        }
    }

    fn keep_document(&self, doc: &FormDocument) -> Result<()> {
        let d = &doc.definition;
        self.ctx.keep_json(&definition_row(&d.id, d.version), doc)
    }

    /// The form's open version, kept for offline use; offline, the one kept.
    pub(crate) async fn open(&self, form_id: &str) -> Result<FormView> {
        let path = paths::FORM.replace("{form_id}", form_id);
        match self.ctx.get::<FormDocument>(&path).await {
            Ok(doc) => {
                self.keep_document(&doc)?;
                self.ctx
                    .keep_json(&open_row(form_id), &doc.definition.version)?;
                Ok(Self::view(&doc, false))
            }
            Err(Error::Offline(detail)) => {
                let doc = self.kept_open(form_id)?.ok_or(Error::Offline(detail))?;
                Ok(Self::view(&doc, true))
            }
            Err(e) => Err(e),
        }
    }

    fn kept_open(&self, form_id: &str) -> Result<Option<FormDocument>> {
        let Some(version) = self.ctx.kept_json::<u32>(&open_row(form_id))? else {
            return Ok(None);
        };
        self.ctx.kept_json(&definition_row(form_id, version))
    }

    /// Version `version` of the form: kept, or fetched (and kept) when online.
    async fn document(&self, form_id: &str, version: u32) -> Result<FormDocument> {
        if let Some(doc) = self.ctx.kept_json(&definition_row(form_id, version))? {
            return Ok(doc);
        }
        let path = paths::FORM_VERSION
            .replace("{form_id}", form_id)
            .replace("{version}", &version.to_string());
        let doc: FormDocument = self.ctx.get(&path).await?;
        self.keep_document(&doc)?;
        Ok(doc)
    }

    fn draft_view(&self, kept: &KeptDraft, form: &Form) -> Draft {
        let (problems, submitted) = problems(form, &kept.answers, kept.prefill.as_ref());
        let layout = form.layout_with(&kept.answers, &submitted, today());
        Draft {
            hidden: layout.hidden,
            options: layout.options.into_iter().collect(),
            computed_json: layout.computed.to_string(),
            draft_id: kept.draft_id.clone(),
            form_id: kept.form_id.clone(),
            version: kept.version,
            answers_json: kept.answers.to_string(),
            problems,
            dropped_fields: kept.dropped.clone(),
            supersedes: kept.supersedes.clone(),
            updated_at_ms: kept.updated_at_ms,
            filled: kept
                .prefill
                .as_ref()
                .map(|p| filled(p, &kept.answers))
                .unwrap_or_default(),
            unfilled: kept.prefill.as_ref().map(unfilled).unwrap_or_default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ()> {
        self.ctx.forms.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn outbox(&self) -> Result<Outbox> {
        Ok(self.ctx.kept_json(OUTBOX)?.unwrap_or_default())
    }

    fn draft_ids(&self) -> Result<Vec<String>> {
        Ok(self.ctx.kept_json(DRAFTS)?.unwrap_or_default())
    }

    fn keep_draft(&self, kept: &KeptDraft) -> Result<()> {
        let _held = self.lock();
        self.ctx.keep_json(&draft_row(&kept.draft_id), kept)?;
        let mut ids = self.draft_ids()?;
        if !ids.contains(&kept.draft_id) {
            ids.push(kept.draft_id.clone());
            self.ctx.keep_json(DRAFTS, &ids)?;
        }
        Ok(())
    }

    /// What 一表通 fills of the form for the person, kept for drafts begun offline; offline,
    /// the one kept.
    pub(crate) async fn prefill(&self, form_id: &str) -> Result<FormPrefill> {
        let path = paths::FORM_PREFILL.replace("{form_id}", form_id);
        match self.ctx.get::<Prefill>(&path).await {
            Ok(p) => {
                self.ctx.keep_json(&prefill_row(form_id), &p)?;
                Ok(prefill_view(&p, false))
            }
            Err(Error::Offline(detail)) => {
                let kept: Prefill = self
                    .ctx
                    .kept_json(&prefill_row(form_id))?
                    .ok_or(Error::Offline(detail))?;
                Ok(prefill_view(&kept, true))
            }
            Err(e) => Err(e),
        }
    }

    /// A new draft of the form's open version (opened before: kept for offline use), with
    /// its defaults, and filled by 一表通 when a fill of that version is kept.
    pub(crate) fn new_draft(
        &self,
        form_id: &str,
        supersedes: Option<String>,
        answers: Option<Json>,
    ) -> Result<Draft> {
        let doc = self.kept_open(form_id)?.ok_or_else(|| Error::Input {
            field: "form_id",
            reason: format!("表单 {form_id} 尚未打开过：先在有网络时 open 一次"),
        })?;
        let form = load(&doc.definition)?;
        let mut prefill = None;
        let (answers, dropped) = match answers {
            Some(a) => form.carry_over(&a),
            None => match self
                .ctx
                .kept_json::<Prefill>(&prefill_row(form_id))?
                .filter(|p| p.version == doc.definition.version)
            {
                Some(p) => {
                    let answers = p.answers.clone();
                    prefill = Some(p);
                    (answers, Vec::new())
                }
                None => (form.blank(today()), Vec::new()),
            },
        };
        let kept = KeptDraft {
            draft_id: format!("draft-{}", uuid::Uuid::new_v4().simple()),
            form_id: form_id.into(),
            version: doc.definition.version,
            answers,
            supersedes,
            dropped,
            updated_at_ms: now_ms(),
            prefill,
        };
        self.keep_draft(&kept)?;
        Ok(self.draft_view(&kept, &form))
    }

    fn kept_draft(&self, draft_id: &str) -> Result<KeptDraft> {
        let finalized = self.outbox()?.items.iter().any(|i| i.draft_id == draft_id);
        match self.ctx.kept_json::<KeptDraft>(&draft_row(draft_id))? {
            Some(k) if !finalized => Ok(k),
            _ => Err(Error::Input {
                field: "draft_id",
                reason: format!("没有草稿 {draft_id}（可能已提交）"),
            }),
        }
    }

    /// Saves the draft's answers (on every change) and checks them.
    pub(crate) async fn save(&self, draft_id: &str, answers_json: &str) -> Result<Draft> {
        let answers = answers_of(answers_json)?;
        let mut kept = self.kept_draft(draft_id)?;
        let doc = self.document(&kept.form_id, kept.version).await?;
        let form = load(&doc.definition)?;
        kept.answers = answers;
        kept.updated_at_ms = now_ms();
        self.keep_draft(&kept)?;
        Ok(self.draft_view(&kept, &form))
    }

    /// Saves the answers `changes_json` names over the draft's (`null` clears one): what a
    /// page sends as the person changes one field.
    pub(crate) async fn update(&self, draft_id: &str, changes_json: &str) -> Result<Draft> {
        let changes = answers_of(changes_json)?;
        let mut kept = self.kept_draft(draft_id)?;
        let doc = self.document(&kept.form_id, kept.version).await?;
        let form = load(&doc.definition)?;
        if let (Some(answers), Some(changes)) = (kept.answers.as_object_mut(), changes.as_object())
        {
            for (name, value) in changes {
                if value.is_null() {
                    answers.remove(name);
                } else {
                    answers.insert(name.clone(), value.clone());
                }
            }
        }
        kept.updated_at_ms = now_ms();
        self.keep_draft(&kept)?;
        Ok(self.draft_view(&kept, &form))
    }

    /// The draft, moved to the form's open version first when a newer one is kept (answers
    /// kept by name, the ones it no longer asks reported).
    pub(crate) async fn draft(&self, draft_id: &str) -> Result<Draft> {
        let mut kept = self.kept_draft(draft_id)?;
        let newer = self
            .kept_open(&kept.form_id)?
            .filter(|d| d.definition.version > kept.version);
        let doc = match newer {
            Some(doc) => {
                let form = load(&doc.definition)?;
                let (answers, dropped) = form.carry_over(&kept.answers);
                kept.answers = answers;
                kept.dropped.extend(dropped);
                kept.version = doc.definition.version;
                self.keep_draft(&kept)?;
                doc
            }
            None => self.document(&kept.form_id, kept.version).await?,
        };
        let form = load(&doc.definition)?;
        Ok(self.draft_view(&kept, &form))
    }

    /// Every draft on the device, newest first (finalized ones are not drafts any more).
    pub(crate) async fn drafts(&self) -> Result<Vec<Draft>> {
        let finalized: Vec<String> = self
            .outbox()?
            .items
            .into_iter()
            .map(|i| i.draft_id)
            .collect();
        let mut all = Vec::new();
        for id in self.draft_ids()? {
            if finalized.contains(&id) {
                // Finalized, and killed before the draft was cleared: clear it now.
                self.discard(&id)?;
                continue;
            }
            match self.draft(&id).await {
                Ok(d) => all.push(d),
                Err(Error::Input { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        all.sort_by_key(|d| std::cmp::Reverse(d.updated_at_ms));
        Ok(all)
    }

    /// Deletes a draft.
    pub(crate) fn discard(&self, draft_id: &str) -> Result<()> {
        let _held = self.lock();
        let mut ids = self.draft_ids()?;
        ids.retain(|i| i != draft_id);
        self.ctx.keep_json(DRAFTS, &ids)?;
        if let Some(row) = self.ctx.session.user_row(&draft_row(draft_id)) {
            self.ctx.store.delete(&row)?;
        }
        Ok(())
    }

    /// Finalizes the draft: checked, made immutable with an instance id and the outbox's next
    /// place, in one write. Finalizing the same draft again gives the same item.
    pub(crate) async fn finalize(&self, draft_id: &str) -> Result<Outgoing> {
        if let Some(item) = self
            .outbox()?
            .items
            .into_iter()
            .find(|i| i.draft_id == draft_id)
        {
            return Ok(item.view());
        }
        let kept = self.kept_draft(draft_id)?;
        let doc = self.document(&kept.form_id, kept.version).await?;
        let form = load(&doc.definition)?;
        let (found, _) = problems(&form, &kept.answers, kept.prefill.as_ref());
        if let Some(first) = found.first() {
            return Err(Error::Input {
                field: "answers",
                reason: format!(
                    "还有 {} 处需要修改，首先是 {}：{}",
                    found.len(),
                    first.path,
                    first.message
                ),
            });
        }
        let item = {
            let _held = self.lock();
            let mut outbox = self.outbox()?;
            let seq = outbox
                .next_seq
                .max(outbox.items.last().map_or(0, |i| i.seq))
                + 1;
            let item = Item {
                instance_id: format!("uuid:{}", uuid::Uuid::new_v4()),
                draft_id: draft_id.into(),
                form_id: kept.form_id.clone(),
                version: kept.version,
                seq,
                answers: kept.answers.clone(),
                supersedes: kept.supersedes.clone(),
                finalized_at_ms: now_ms(),
                refusal: None,
                submission: None,
            };
            outbox.next_seq = seq;
            outbox.items.push(item.clone());
            self.ctx.keep_json(OUTBOX, &outbox)?;
            item
        };
        self.discard(draft_id)?;
        Ok(item.view())
    }

    /// [`Self::finalize`], then a try at sending it now (offline it waits, queued: not an
    /// error); the item as it stands after.
    pub(crate) async fn finalize_and_send(&self, draft_id: &str) -> Result<Outgoing> {
        let item = self.finalize(draft_id).await?;
        match self.sync().await {
            Ok(_) | Err(Error::Offline(_)) => {}
            Err(e) => return Err(e),
        }
        Ok(self
            .items()?
            .into_iter()
            .find(|i| i.instance_id == item.instance_id)
            .unwrap_or(item))
    }

    /// The outbox, in order.
    pub(crate) fn items(&self) -> Result<Vec<Outgoing>> {
        Ok(self.outbox()?.items.iter().map(Item::view).collect())
    }

    fn record(&self, instance_id: &str, change: impl FnOnce(&mut Item)) -> Result<()> {
        let _held = self.lock();
        let mut outbox = self.outbox()?;
        if let Some(item) = outbox
            .items
            .iter_mut()
            .find(|i| i.instance_id == instance_id)
        {
            change(item);
            self.ctx.keep_json(OUTBOX, &outbox)?;
        }
        Ok(())
    }

    /// Sends every queued submission, in order, until one cannot be sent now.
    pub(crate) async fn sync(&self) -> Result<OutboxSync> {
        let _one_sync = self.ctx.forms_sync.lock().await;
        let client_id = self.client_id()?;
        let mut report = OutboxSync {
            sent: 0,
            refused: 0,
            waiting: 0,
            offline: false,
        };
        while let Some(item) = self
            .outbox()?
            .items
            .into_iter()
            .find(|i| i.state() == OutboxState::Queued)
        {
            let body = SubmissionRequest {
                client_id: client_id.clone(),
                seq: item.seq,
                instance_id: item.instance_id.clone(),
                version: item.version,
                answers: item.answers.clone(),
                supersedes: item.supersedes.clone(),
            };
            let path = paths::FORM_SUBMISSIONS.replace("{form_id}", &item.form_id);
            match self.ctx.post::<_, Submission>(&path, &body).await {
                Ok(taken) => {
                    self.record(&item.instance_id, |i| i.submission = Some(taken))?;
                    report.sent += 1;
                }
                Err(Error::Offline(_)) => {
                    report.offline = true;
                    break;
                }
                // ZheliKit failing or busy: the item waits for the next sync.
                Err(Error::Problem { status, .. })
                    if status >= 500 || status == 429 || status == 408 =>
                {
                    break
                }
                Err(Error::Problem {
                    status, problem, ..
                }) if (400..500).contains(&status) && status != 401 => {
                    let refusal = Refusal {
                        code: problem.code.clone(),
                        detail: problem.detail.clone(),
                        problems: problem
                            .errors
                            .unwrap_or_default()
                            .into_iter()
                            .map(|e| (e.path, e.code, e.message))
                            .collect(),
                    };
                    self.record(&item.instance_id, |i| i.refusal = Some(refusal))?;
                    report.refused += 1;
                }
                Err(e) => return Err(e),
            }
        }
        report.waiting = self
            .outbox()?
            .items
            .iter()
            .filter(|i| i.state() == OutboxState::Queued)
            .count() as u32;
        Ok(report)
    }

    /// The person's submissions and where each stands; offline, the list kept.
    pub(crate) async fn submissions(&self) -> Result<Vec<SubmissionInfo>> {
        let ctx = &self.ctx;
        let list = match ctx
            .cached(SUBMISSIONS, || {
                ctx.get::<SubmissionList>(paths::SUBMISSIONS)
            })
            .await?
        {
            Cached::Fresh(l) | Cached::Offline(l) => l,
        };
        Ok(list
            .submissions
            .into_iter()
            .map(SubmissionInfo::from)
            .collect())
    }

    /// A new draft correcting submission `instance_id` (sent from this device): its answers,
    /// on the form's open version, superseding it.
    pub(crate) fn correct(&self, instance_id: &str) -> Result<Draft> {
        let item = self
            .outbox()?
            .items
            .into_iter()
            .find(|i| i.instance_id == instance_id && i.state() != OutboxState::Queued)
            .ok_or_else(|| Error::Input {
                field: "instance_id",
                reason: format!("本机没有已提交的 {instance_id}"),
            })?;
        let supersedes = (item.state() == OutboxState::Sent).then(|| item.instance_id.clone());
        self.new_draft(&item.form_id, supersedes, Some(item.answers))
    }
}
