//! 一表通 · 一件事 end to end: a finalized submission from a device's outbox taken exactly once,
//! split into each department's part and delivered to the mock departments through the job
//! mechanism, the departments' signed statuses making one joint status; a department sending
//! its part back and the applicant's correction; every refusal on the way; a department down
//! and back.

use std::time::Duration;

use mock_platform::fixtures::Citizen;
use platform_api::departments::Department;
use serde_json::{json, Value};
use zhelikit_domain::paths;
use zhelikit_e2e::policy::{poll, poll_for};
use zhelikit_e2e::{assert_problem, both_backends, http, private_stack, Backend, Stack};

both_backends!(
    an_enterprise_setup_is_taken_once_and_reaches_every_department_with_its_part,
    a_part_sent_back_is_corrected_and_only_it_goes_again,
    bad_submissions_are_refused_with_what_was_wrong,
    the_sdk_drafts_and_finalizes_offline_and_submits_once_when_back_online,
    a_page_fills_and_submits_a_form_through_the_bridge,
    a_form_fills_itself_from_the_records_and_the_last_submission
);

const SETUP: &str = "enterprise-setup";
/// The sample forms' current version.
const VERSION: u32 = 2;

fn submissions_path(form: &str) -> String {
    paths::FORM_SUBMISSIONS.replace("{form_id}", form)
}

fn submission_path(instance: &str) -> String {
    paths::SUBMISSION.replace("{instance_id}", instance)
}

fn uuid() -> String {
    format!("uuid:{}", uuid::Uuid::new_v4())
}

/// Answers to 企业开办一件事 for `who` as legal representative and sole shareholder.
fn setup_answers(who: &Citizen) -> Value {
    json!({
        "enterprise_name": "温州云帆信息科技有限公司",
        "enterprise_type": "limited",
        "registered_capital": 100_000_000,
        "business_scope": "软件开发；信息技术咨询服务",
        "province": "330000", "city": "330300", "county": "330302",
        "address": "温州市鹿城区车站大道 1 号",
        "legal_name": who.name, "legal_id": who.id_number, "legal_phone": "13812345678",
        "shareholders": [{"shareholder_name": who.name, "shareholder_id": who.id_number, "contribution": 100_000_000}],
        "taxpayer_type": "small", "invoice_needed": true, "invoice_kinds": ["vat_normal"],
        "seal_kinds": ["official", "finance"],
        "employee_count": 3, "social_start": "2026-12-01",
        "contact_phone": "13812345678"
    })
}

fn request(client: &str, seq: u64, instance: &str, answers: &Value) -> Value {
    json!({"client_id": client, "seq": seq, "instance_id": instance, "version": VERSION, "answers": answers})
}

async fn citizen_session(stack: &Stack, index: usize) -> (String, &Citizen) {
    let who = &stack.fixtures.citizens[index];
    let session = stack.login_citizen(&who.userid, "zk-demo-services").await;
    (
        session["access_token"].as_str().expect("token").to_string(),
        who,
    )
}

/// The submission once every part has left `pending` (each department has it).
async fn delivered(stack: &Stack, token: &str, instance: &str) -> Value {
    poll(|| async {
        let (status, s) = stack.get_authed(&submission_path(instance), token).await;
        assert_eq!(status, 200, "{s}");
        s["parts"]
            .as_array()?
            .iter()
            .all(|p| p["status"] != "pending")
            .then_some(s)
    })
    .await
}

/// The department's status of part `reference`, as a clerk would give it.
async fn department_says(
    stack: &Stack,
    reference: &str,
    status: &str,
    reason: Option<&str>,
) -> Value {
    let url = format!(
        "{}{}",
        stack.platform,
        mock_platform::admin::intake::INTAKE_STATUS_PATH.replace("{reference}", reference)
    );
    let answer = http()
        .post(url)
        .json(&json!({"status": status, "reason": reason}))
        .send()
        .await
        .expect("mock");
    assert!(answer.status().is_success(), "{:?}", answer.text().await);
    let sent: Value = answer.json().await.expect("json");
    assert_eq!(sent["deliveryError"], Value::Null, "{sent}");
    sent
}

fn part<'a>(submission: &'a Value, department: &str) -> &'a Value {
    submission["parts"]
        .as_array()
        .and_then(|parts| parts.iter().find(|p| p["department"] == department))
        .unwrap_or(&Value::Null)
}

async fn an_enterprise_setup_is_taken_once_and_reaches_every_department_with_its_part(
    stack: &Stack,
) {
    let (token, who) = citizen_session(stack, 0).await;
    let (status, catalogue) = stack.get_authed(paths::FORMS, &token).await;
    assert_eq!(status, 200, "{catalogue}");
    let setup = catalogue["forms"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["id"] == SETUP))
        .expect("企业开办 is offered");
    assert_eq!(setup["title"], "企业开办一件事");
    assert_eq!(
        setup["departments"],
        json!([
            "market_regulation",
            "taxation",
            "public_security",
            "human_resources"
        ])
    );
    let (status, form) = stack
        .get_authed(&paths::FORM.replace("{form_id}", SETUP), &token)
        .await;
    assert_eq!(status, 200, "{form}");
    assert_eq!(form["status"], "open");
    assert_eq!(form["definition"]["version"], VERSION);

    let client = uuid();
    let instance = uuid();
    let body = request(&client, 1, &instance, &setup_answers(who));
    let (status, taken) = stack
        .post_authed(&submissions_path(SETUP), &token, body.clone())
        .await;
    assert_eq!(status, 201, "{taken}");
    assert_eq!(taken["instance_id"], instance.as_str());
    assert_eq!(taken["title"], "企业开办一件事");
    assert_eq!(taken["parts"].as_array().map(Vec::len), Some(4));
    // Sent again (the answer was lost): the same submission, taken once.
    let (status, again) = stack
        .post_authed(&submissions_path(SETUP), &token, body)
        .await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["digest"], taken["digest"]);
    assert_eq!(again["received_at"], taken["received_at"]);

    let now = delivered(stack, &token, &instance).await;
    assert_eq!(now["status"], "in_progress", "{now}");
    let names: Vec<&str> = now["parts"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| p["department_name"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(names, ["市场监管", "税务", "公安", "人社"]);
    for p in now["parts"].as_array().into_iter().flatten() {
        assert_eq!(p["status"], "received", "{p}");
        assert!(
            p["case_number"].as_str().is_some_and(|c| c.len() > 8),
            "{p}"
        );
    }
    // Each department got its part and nothing else of the application.
    let parts = stack.mock.state.intakes.all();
    let mine: Vec<_> = parts
        .iter()
        .filter(|p| p.reference.starts_with(&instance))
        .collect();
    assert_eq!(
        mine.len(),
        4,
        "one filing per department, whatever the retries"
    );
    let of = |d: Department| {
        mine.iter()
            .find(|p| p.department == d)
            .map(|p| p.answers.clone())
            .unwrap_or_default()
    };
    let market = of(Department::MarketRegulation);
    assert_eq!(market["shareholders"][0]["contribution"], 100_000_000);
    assert_eq!(
        market["total_contribution"], 100_000_000,
        "calculated on intake"
    );
    assert_eq!(market["capital_matches"], true);
    assert!(market.get("seal_kinds").is_none(), "{market}");
    let police = of(Department::PublicSecurity);
    assert_eq!(police["seal_kinds"], json!(["official", "finance"]));
    assert_eq!(police["legal_id"], who.id_number.as_str());
    assert!(police.get("registered_capital").is_none(), "{police}");
    let social = of(Department::HumanResources);
    assert_eq!(social["employee_count"], 3);
    assert!(social.get("legal_id").is_none(), "{social}");
    assert!(mine.iter().all(|p| p.applicant_name == who.name));

    // Each department finishes; the application is done when all have.
    for p in &mine {
        department_says(stack, &p.reference, "accepted", None).await;
        department_says(stack, &p.reference, "completed", None).await;
    }
    let (_, done) = stack.get_authed(&submission_path(&instance), &token).await;
    assert_eq!(done["status"], "completed", "{done}");
    let (_, list) = stack.get_authed(paths::SUBMISSIONS, &token).await;
    assert!(
        list["submissions"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|s| s["instance_id"] == instance.as_str() && s["status"] == "completed"),
        "{list}"
    );
    // Nothing of what was said is kept in the clear, and each opening of it was audited.
    let audit = stack.audit(200).await;
    let opened = audit
        .iter()
        .filter(|e| e.event == "form_part_delivered" && e.detail.starts_with(&instance))
        .count();
    assert_eq!(opened, 4);
}

async fn a_part_sent_back_is_corrected_and_only_it_goes_again(stack: &Stack) {
    let (token, who) = citizen_session(stack, 1).await;
    let client = uuid();
    let first = uuid();
    let mut answers = setup_answers(who);
    let (status, _) = stack
        .post_authed(
            &submissions_path(SETUP),
            &token,
            request(&client, 1, &first, &answers),
        )
        .await;
    assert_eq!(status, 201);
    let before = delivered(stack, &token, &first).await;
    let reference = |instance: &str, d: &str| format!("{instance}.{d}");
    department_says(
        stack,
        &reference(&first, "market_regulation"),
        "accepted",
        None,
    )
    .await;
    department_says(
        stack,
        &reference(&first, "taxation"),
        "rejected",
        Some("一般纳税人须提供会计人员信息，请改选或补充"),
    )
    .await;
    let (_, sent_back) = stack.get_authed(&submission_path(&first), &token).await;
    assert_eq!(sent_back["status"], "action_needed", "{sent_back}");
    assert_eq!(
        part(&sent_back, "taxation")["reason"],
        "一般纳税人须提供会计人员信息，请改选或补充"
    );
    // A clerk cannot accept what was sent back.
    let url = format!(
        "{}{}",
        stack.platform,
        mock_platform::admin::intake::INTAKE_STATUS_PATH
            .replace("{reference}", &reference(&first, "taxation"))
    );
    let refused = http()
        .post(url)
        .json(&json!({"status": "accepted"}))
        .send()
        .await
        .expect("mock");
    assert_eq!(refused.status(), 409);

    // The applicant corrects the tax part only.
    answers["invoice_kinds"] = json!(["vat_normal", "vat_special"]);
    let second = uuid();
    let mut correction = request(&client, 2, &second, &answers);
    correction["supersedes"] = json!(first);
    let (status, corrected) = stack
        .post_authed(&submissions_path(SETUP), &token, correction)
        .await;
    assert_eq!(status, 201, "{corrected}");
    assert_eq!(corrected["supersedes"], first.as_str());
    // Accepted and unchanged: carried over with its case number, not filed again.
    let market = part(&corrected, "market_regulation");
    assert_eq!(market["status"], "accepted");
    assert_eq!(
        market["case_number"],
        part(&before, "market_regulation")["case_number"]
    );
    let after = delivered(stack, &token, &second).await;
    assert_eq!(part(&after, "taxation")["status"], "received");
    assert_ne!(
        part(&after, "taxation")["case_number"],
        part(&before, "taxation")["case_number"],
        "the corrected part is a new filing"
    );
    let filed: Vec<_> = stack
        .mock
        .state
        .intakes
        .all()
        .into_iter()
        .filter(|p| p.reference.starts_with(&second))
        .collect();
    assert_eq!(
        filed.iter().map(|p| p.department).collect::<Vec<_>>(),
        [Department::Taxation],
        "only the part that was sent back goes again"
    );
    assert_eq!(
        filed[0].corrects.as_deref(),
        Some(reference(&first, "taxation").as_str())
    );
    let (_, old) = stack.get_authed(&submission_path(&first), &token).await;
    assert_eq!(old["status"], "superseded");
    assert_eq!(old["superseded_by"], second.as_str());

    // Correcting the first again is a stale edit: the latest comes back with the refusal.
    let mut stale = request(&client, 3, &uuid(), &answers);
    stale["supersedes"] = json!(first);
    let (status, problem) = stack
        .post_authed(&submissions_path(SETUP), &token, stale)
        .await;
    assert_problem(status, &problem, 409, "form_submission_stale");
    assert_eq!(problem["current"]["instance_id"], second.as_str());
    // …and another person cannot correct it at all.
    let (other, other_who) = citizen_session(stack, 2).await;
    let mut foreign = request(&uuid(), 1, &uuid(), &setup_answers(other_who));
    foreign["supersedes"] = json!(second);
    let (status, problem) = stack
        .post_authed(&submissions_path(SETUP), &other, foreign)
        .await;
    assert_problem(status, &problem, 409, "form_submission_stale");
    assert!(problem.get("current").is_none(), "{problem}");
    let (status, problem) = stack.get_authed(&submission_path(&second), &other).await;
    assert_problem(status, &problem, 404, "form_submission_not_found");
}

async fn bad_submissions_are_refused_with_what_was_wrong(stack: &Stack) {
    let (token, who) = citizen_session(stack, 3).await;
    let client = uuid();
    let path = submissions_path(SETUP);
    let mut wrong = setup_answers(who);
    wrong["legal_id"] = json!("110105194912310021");
    wrong["registered_capital"] = json!(50_000_000);
    wrong["seal_kinds"] = json!(["finance"]);
    wrong["shareholders"][0]["note"] = json!("x");
    let (status, problem) = stack
        .post_authed(&path, &token, request(&client, 1, &uuid(), &wrong))
        .await;
    assert_problem(status, &problem, 422, "form_answers_invalid");
    let found: Vec<(&str, &str)> = problem["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            (
                e["path"].as_str().unwrap_or(""),
                e["code"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            ("legal_id", "format"),
            ("shareholders[0].note", "unknown"),
            ("capital_matches", "constraint"),
            ("seal_kinds", "constraint"),
        ],
        "{problem}"
    );
    let messages: Vec<&str> = problem["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["message"].as_str())
        .collect();
    assert!(
        messages.contains(&"股东认缴出资合计须等于注册资本"),
        "{messages:?}"
    );
    assert!(messages.contains(&"公章为必刻印章"), "{messages:?}");
    assert_eq!(
        stack
            .count_rows(&format!("form_submissions WHERE client_id = '{client}'"))
            .await,
        0,
        "nothing of a refused submission is kept"
    );

    // The same instance id with something else: the first stands, and comes back.
    let instance = uuid();
    let good = setup_answers(who);
    let (status, _) = stack
        .post_authed(&path, &token, request(&client, 5, &instance, &good))
        .await;
    assert_eq!(status, 201);
    let mut changed = good.clone();
    changed["employee_count"] = json!(4);
    let (status, problem) = stack
        .post_authed(&path, &token, request(&client, 6, &instance, &changed))
        .await;
    assert_problem(status, &problem, 409, "form_instance_conflict");
    assert_eq!(problem["current"]["instance_id"], instance.as_str());
    // A new submission from an outbox place already passed.
    let (status, problem) = stack
        .post_authed(&path, &token, request(&client, 5, &uuid(), &good))
        .await;
    assert_problem(status, &problem, 409, "form_sequence_stale");
    assert_eq!(problem["field"], "seq");
    // Unknown form and version; malformed ids.
    let (status, problem) = stack
        .post_authed(
            &submissions_path("no-such-form"),
            &token,
            request(&client, 7, &uuid(), &good),
        )
        .await;
    assert_problem(status, &problem, 404, "form_not_found");
    let mut v9 = request(&client, 7, &uuid(), &good);
    v9["version"] = json!(9);
    let (status, problem) = stack.post_authed(&path, &token, v9).await;
    assert_problem(status, &problem, 404, "form_not_found");
    let (status, problem) = stack
        .post_authed(&path, &token, request("bad client!", 7, &uuid(), &good))
        .await;
    assert_problem(status, &problem, 400, "invalid_field");
    assert_eq!(problem["field"], "client_id");
    let (status, problem) = stack
        .post_authed(&path, &token, request(&client, 0, &uuid(), &good))
        .await;
    assert_problem(status, &problem, 400, "invalid_field");
    assert_eq!(problem["field"], "seq");
    let (status, problem) = stack
        .get_authed(
            &paths::FORM_VERSION
                .replace("{form_id}", SETUP)
                .replace("{version}", "one"),
            &token,
        )
        .await;
    assert_problem(status, &problem, 400, "invalid_field");

    // A closed version takes nothing new, and says so; what it took before still replays.
    let claim = "policy-claim";
    assert!(stack
        .app()
        .store
        .set_form_status(claim, VERSION as i32, "closed")
        .await
        .expect("close"));
    let (status, problem) = stack
        .post_authed(
            &submissions_path(claim),
            &token,
            request(&client, 8, &uuid(), &json!({})),
        )
        .await;
    assert_problem(status, &problem, 409, "form_closed");
    let (status, _) = stack
        .post_authed(&path, &token, request(&client, 5, &instance, &good))
        .await;
    assert_eq!(status, 200, "a replay is answered whatever came after");
    let (_, catalogue) = stack.get_authed(paths::FORMS, &token).await;
    assert!(
        catalogue["forms"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|f| f["id"] != claim),
        "{catalogue}"
    );
    stack
        .app()
        .store
        .set_form_status(claim, 1, "open")
        .await
        .expect("reopen");

    // A status not signed by the department that has the part, and a malformed one.
    let reference = format!("{instance}.taxation");
    let forged = zhelikit_domain::forms::submission::sign_intake_status(
        &zhelikit_domain::forms::submission::IntakeStatus {
            iss: zhelikit_domain::vault::catalogue::issuer_id("taxation"),
            reference: reference.clone(),
            status: zhelikit_domain::forms::submission::PartStatus::Completed,
            reason: None,
            case_number: None,
            iat: 0,
        },
        &zhelikit_domain::gm::Sm2PrivateKey::generate(),
        "taxation-1",
    );
    let (status, problem) = stack
        .post(paths::INTAKE_STATUS, json!({"status": forged}))
        .await;
    assert_problem(status, &problem, 401, "intake_status_invalid");
    let (status, problem) = stack
        .post(paths::INTAKE_STATUS, json!({"status": "not.a.jws"}))
        .await;
    assert_problem(status, &problem, 401, "intake_status_invalid");
    let (_, now) = stack.get_authed(&submission_path(&instance), &token).await;
    assert_ne!(part(&now, "taxation")["status"], "completed", "{now}");
}

/// A department down: its part waits in the job mechanism, retried with backoff, and arrives
/// once the department is back; the other departments get theirs meanwhile.
#[tokio::test]
async fn a_department_down_gets_its_part_when_it_is_back() {
    let stack = private_stack(Backend::Sqlite, |c| {
        c.jobs.backoff_base = Duration::from_millis(100);
        c.jobs.backoff_cap = Duration::from_millis(500);
    })
    .await;
    taxation_down(&stack);
    let (token, who) = citizen_session(&stack, 0).await;
    let instance = uuid();
    let (status, _) = stack
        .post_authed(
            &submissions_path(SETUP),
            &token,
            request(&uuid(), 1, &instance, &setup_answers(who)),
        )
        .await;
    assert_eq!(status, 201);
    let waiting = poll(|| async {
        let (_, s) = stack.get_authed(&submission_path(&instance), &token).await;
        let others_in = ["market_regulation", "public_security", "human_resources"]
            .iter()
            .all(|d| part(&s, d)["status"] == "received");
        others_in.then_some(s)
    })
    .await;
    assert_eq!(part(&waiting, "taxation")["status"], "pending");
    // Tried more than once while down.
    poll(|| async {
        (stack.mock.state.department_requests(Department::Taxation) >= 2).then_some(())
    })
    .await;
    stack.mock.state.clear_faults();
    let done = poll_for(Duration::from_secs(60), || async {
        let (_, s) = stack.get_authed(&submission_path(&instance), &token).await;
        (part(&s, "taxation")["status"] == "received").then_some(s)
    })
    .await;
    assert_eq!(done["status"], "in_progress");
    let filed = stack
        .mock
        .state
        .intakes
        .all()
        .into_iter()
        .filter(|p| p.reference.starts_with(&instance))
        .count();
    assert_eq!(filed, 4, "nothing lost, nothing twice");
}

fn prefill_path(form: &str) -> String {
    paths::FORM_PREFILL.replace("{form_id}", form)
}

/// 新生儿出生一件事 as a parent types what was not filled for them.
fn newborn_answers(filled: &Value) -> Value {
    let mut answers = filled.clone();
    for (k, v) in json!({"baby_name": "陈小雨", "baby_sex": "2", "birth_date": "2026-11-28",
        "birth_time": "08:30", "birth_weight": 3200, "hospital": "温州医科大学附属第二医院",
        "birth_city": "330300", "birth_county": "330302",
        "card_bank": "wzbank", "guardian_phone": "13812345678"})
    .as_object()
    .into_iter()
    .flatten()
    {
        if answers.get(k).is_none() {
            answers[k] = v.clone();
        }
    }
    // Against the default: no father's details in this application.
    answers["father_known"] = json!(false);
    answers
}

async fn a_form_fills_itself_from_the_records_and_the_last_submission(stack: &Stack) {
    let (token, who) = citizen_session(stack, 7).await;
    let (status, first) = stack.get_authed(&prefill_path("newborn"), &token).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["version"], VERSION);
    // From the platform's real-name check and 公安's household register: verified.
    assert_eq!(first["answers"]["mother_name"], who.name.as_str());
    assert_eq!(first["answers"]["mother_id"], who.id_number.as_str());
    for (field, source) in [
        ("mother_name", "profile"),
        ("mother_id", "profile"),
        ("household_address", "household"),
    ] {
        assert_eq!(
            first["filled"][field]["kind"], "verified",
            "{field}: {first}"
        );
        assert_eq!(first["filled"][field]["source"], source, "{field}");
    }
    assert_eq!(
        first["filled"]["household_address"]["provider"],
        "公安厅·户籍信息"
    );
    for field in [
        "baby_sex",
        "birth_date",
        "birth_time",
        "birth_weight",
        "hospital",
        "birth_county",
    ] {
        assert_eq!(
            first["filled"][field]["source"], "birth",
            "{field}: {first}"
        );
    }
    assert_eq!(
        first["filled"]["hospital"]["provider"],
        "卫健委·出生医学信息"
    );
    assert!(first["answers"]["household_address"]
        .as_str()
        .is_some_and(|a| !a.is_empty()));
    assert_eq!(
        first["answers"]["household_parent"], "mother",
        "defaults stay"
    );
    // Nothing from last time yet, and the page is told so.
    let last = first["unfilled"]
        .as_array()
        .and_then(|u| u.iter().find(|u| u["source"] == "last"))
        .expect("last is unfilled");
    assert_eq!(last["fields"], json!(["card_bank", "guardian_phone"]));
    assert_eq!(last["reason"], "这是您第一次填写此表");
    assert_eq!(first["typable"], 19, "{first}");

    // Submitted with what was filled; a verified answer changed is refused, naming it.
    let client = uuid();
    let answers = newborn_answers(&first["answers"]);
    let mut forged = answers.clone();
    forged["mother_id"] = json!(stack.fixtures.citizens[8].id_number);
    let (status, problem) = stack
        .post_authed(
            &submissions_path("newborn"),
            &token,
            request(&client, 1, &uuid(), &forged),
        )
        .await;
    assert_problem(status, &problem, 422, "form_answers_invalid");
    assert_eq!(problem["errors"][0]["path"], "mother_id", "{problem}");
    assert_eq!(problem["errors"][0]["code"], "verified", "{problem}");
    assert!(problem["errors"][0]["message"]
        .as_str()
        .is_some_and(|m| m.contains("浙里办实名认证")));
    let instance = uuid();
    let (status, taken) = stack
        .post_authed(
            &submissions_path("newborn"),
            &token,
            request(&client, 2, &instance, &answers),
        )
        .await;
    assert_eq!(status, 201, "{taken}");

    // The next time, what was typed comes back from the last submission, the person's to edit.
    let (_, second) = stack.get_authed(&prefill_path("newborn"), &token).await;
    assert_eq!(second["answers"]["guardian_phone"], "13812345678");
    assert_eq!(second["answers"]["card_bank"], "wzbank");
    assert_eq!(second["filled"]["guardian_phone"]["kind"], "previous");
    assert_eq!(
        second["filled"]["guardian_phone"]["instance_id"],
        instance.as_str()
    );
    assert!(
        second["unfilled"].as_array().is_some_and(|u| u.is_empty()),
        "{second}"
    );
    // This parent's hospital registered the birth: 卫健 fills the baby's eight answers too.
    let filled = second["filled"].as_object().map_or(0, |f| f.len());
    assert_eq!(filled, 3 + 8 + 2);
    // Both fills audited; the second names the submission whose answers it opened.
    let audit = stack.audit(200).await;
    let fills: Vec<&str> = audit
        .iter()
        .filter(|e| e.event == "form_prefilled")
        .map(|e| e.detail.as_str())
        .collect();
    assert!(
        fills.contains(&"newborn v2 from profile,household,birth"),
        "{fills:?}"
    );
    assert!(
        fills.contains(
            &format!("newborn v2 from profile,household,birth; last {instance}").as_str()
        ),
        "{fills:?}"
    );
}

/// A policy claim as the enterprise types it over what was filled.
fn claim_answers(filled: &Value) -> Value {
    let mut answers = filled.clone();
    for (k, v) in json!({"policy_id": "P-2026-001", "revenue_last_year": 123_456_700,
        "claim_amount": 5_000_000, "bank_name": "温州银行", "bank_account": "6222020200112233445",
        "contact_phone": "13812345678", "commitment": true})
    .as_object()
    .into_iter()
    .flatten()
    {
        if answers.get(k).is_none() {
            answers[k] = v.clone();
        }
    }
    answers
}

/// 一表通's measure: of the answers a person would type, how many each sample form gives them
/// — filled from a source, or the form's default — the first time, and once they have
/// submitted it before. Printed (`-- --nocapture`) for docs/benchmarks.md.
///
/// A stack of its own: the refusals' test closes a sample form on the shared one.
#[tokio::test]
async fn how_much_of_each_sample_form_fills_itself() {
    let stack = &private_stack(Backend::Sqlite, |_| {}).await;
    let (citizen, who) = citizen_session(stack, 10).await;
    let enterprise = &stack.fixtures.enterprises[6];
    let session = stack
        .login_legal_person(&enterprise.userid, "zk-demo-services")
        .await;
    let legal = session["access_token"].as_str().expect("token").to_string();
    // A parent whose hospital has registered the birth (卫健 has it), besides one whose has not.
    let mut parent = None;
    for index in 11..60 {
        let (token, _) = citizen_session(stack, index).await;
        let (_, p) = stack.get_authed(&prefill_path("newborn"), &token).await;
        if p["filled"]["birth_date"]["source"] == "birth" {
            parent = Some(token);
            break;
        }
    }
    let parent = parent.expect("a parent with a registered birth among the fixtures");
    let mut rows = Vec::new();
    for (form, token, answers) in [
        (
            SETUP,
            &citizen,
            Box::new(|_: &Value| setup_answers(who)) as Box<dyn Fn(&Value) -> Value>,
        ),
        ("newborn", &citizen, Box::new(newborn_answers)),
        (
            "newborn (birth registered)",
            &parent,
            Box::new(newborn_answers),
        ),
        ("policy-claim", &legal, Box::new(claim_answers)),
    ] {
        let form_id = form.split(' ').next().unwrap_or(form);
        let client = uuid();
        let mut measured = Vec::new();
        for seq in 1..=2 {
            let (status, p) = stack.get_authed(&prefill_path(form_id), token).await;
            assert_eq!(status, 200, "{p}");
            let count = |k: &str| p[k].as_u64().expect("count");
            let filled = p["filled"].as_object().map_or(0, |f| f.len()) as u64;
            measured.push((filled, count("defaulted"), count("typable")));
            let (status, taken) = stack
                .post_authed(
                    &submissions_path(form_id),
                    token,
                    request(&client, seq, &uuid(), &answers(&p["answers"])),
                )
                .await;
            assert_eq!(status, 201, "{form}: {taken}");
        }
        rows.push((form, measured));
    }
    println!("form | first time: filled + defaults / typable | again: filled + defaults / typable");
    for (form, m) in &rows {
        let share = |(f, d, t): (u64, u64, u64)| {
            format!(
                "{f} + {d} / {t} ({:.0}%)",
                100.0 * (f + d) as f64 / t as f64
            )
        };
        println!("{form} | {} | {}", share(m[0]), share(m[1]));
    }
    // The fixtures are seeded: these are the figures in docs/benchmarks.md.
    let get = |form: &str| {
        rows.iter()
            .find(|(f, _)| *f == form)
            .map(|(_, m)| m.clone())
            .expect("row")
    };
    assert_eq!(get(SETUP), [(2, 6, 19), (4, 6, 19)]);
    assert_eq!(get("newborn"), [(3, 4, 19), (5, 4, 19)]);
    assert_eq!(
        get("newborn (birth registered)"),
        [(11, 3, 19), (13, 3, 19)]
    );
    assert_eq!(get("policy-claim"), [(8, 0, 12), (9, 0, 12)]);
}

/// An enterprise's claim fills from its registration; 税务 down leaves its figure to type,
/// says why, and blocks nothing.
#[tokio::test]
async fn a_department_down_costs_its_fields_never_the_form() {
    let stack = private_stack(Backend::Sqlite, |_| {}).await;
    let enterprise = &stack.fixtures.enterprises[3];
    let session = stack
        .login_legal_person(&enterprise.userid, "zk-demo-services")
        .await;
    let token = session["access_token"].as_str().expect("token").to_string();
    taxation_down(&stack);
    let (status, p) = stack
        .get_authed(&prefill_path("policy-claim"), &token)
        .await;
    assert_eq!(status, 200, "{p}");
    assert_eq!(p["answers"]["enterprise_name"], enterprise.name.as_str());
    assert_eq!(p["answers"]["uscc"], enterprise.uscc.as_str());
    for field in ["enterprise_name", "uscc", "legal_name", "county"] {
        assert_eq!(p["filled"][field]["source"], "registration", "{field}: {p}");
    }
    assert_eq!(p["filled"]["employees"]["source"], "social_security", "{p}");
    assert!(p["answers"].get("revenue_last_year").is_none(), "{p}");
    let tax = p["unfilled"]
        .as_array()
        .and_then(|u| u.iter().find(|u| u["source"] == "tax"))
        .expect("tax unfilled");
    assert_eq!(tax["provider"], "税务局·纳税信息");
    assert_eq!(tax["reason"], "部门服务暂时不可用");
    assert_eq!(
        tax["fields"],
        json!(["revenue_last_year", "bank_name", "bank_account"])
    );
    // Typed instead, and taken: a department down blocks nothing.
    let mut answers = p["answers"].clone();
    for (k, v) in json!({"policy_id": "P-2026-001", "revenue_last_year": 123_456_700,
        "claim_amount": 5_000_000, "bank_name": "温州银行", "bank_account": "6222020200112233445",
        "contact_phone": "13812345678", "commitment": true})
    .as_object()
    .into_iter()
    .flatten()
    {
        answers[k] = v.clone();
    }
    let (status, taken) = stack
        .post_authed(
            &submissions_path("policy-claim"),
            &token,
            request(&uuid(), 1, &uuid(), &answers),
        )
        .await;
    assert_eq!(status, 201, "{taken}");
    // A changed registration answer is still refused: 市场监管 is up.
    let mut forged = answers.clone();
    forged["enterprise_name"] = json!("别的公司有限公司");
    let (status, problem) = stack
        .post_authed(
            &submissions_path("policy-claim"),
            &token,
            request(&uuid(), 2, &uuid(), &forged),
        )
        .await;
    assert_problem(status, &problem, 422, "form_answers_invalid");
    assert_eq!(problem["errors"][0]["path"], "enterprise_name");
    stack.mock.state.clear_faults();
}

/// 税务 answers every call with a 503 until the faults are cleared.
fn taxation_down(stack: &Stack) {
    stack
        .mock
        .state
        .set_fault(
            Department::Taxation,
            mock_platform::departments::faults::Fault {
                mode: mock_platform::departments::faults::FaultMode::Status(503),
                ..Default::default()
            },
        )
        .expect("fault");
}

/// A phone with the services mini-app, its store in a fresh folder, behind `network`.
fn phone(
    stack: &Stack,
    dir: &std::path::Path,
    network: std::sync::Arc<dyn zhelikit_sdk::NetworkMonitor>,
) -> std::sync::Arc<zhelikit_sdk::ZheliKitClient> {
    zhelikit_sdk::ZheliKitClient::open(
        zhelikit_sdk::ClientConfig {
            bff_url: stack.bff.clone(),
            mini_app_id: "zk-demo-services".into(),
            storage_dir: dir.display().to_string(),
            scopes: None,
            refresh_margin_secs: 60,
            request_timeout_ms: 5000,
        },
        std::sync::Arc::new(zhelikit_sdk::test_doubles::WrappingKeySource::new([7; 32])),
        None,
        Some(network),
    )
    .expect("client")
}

/// [`phone`] in a fresh folder, online, logged in as `who`.
async fn logged_in_phone(
    stack: &Stack,
    who: &Citizen,
) -> (
    std::sync::Arc<zhelikit_sdk::ZheliKitClient>,
    std::path::PathBuf,
    std::sync::Arc<zhelikit_sdk::test_doubles::SwitchableNetwork>,
) {
    let network = zhelikit_sdk::test_doubles::SwitchableNetwork::new(true);
    let dir = std::env::temp_dir().join(format!("zk-sdk-forms-{}", uuid::Uuid::new_v4().simple()));
    let client = phone(stack, &dir, network.clone());
    let ticket = stack
        .citizen_ticket_for("zk-demo-services", &who.userid)
        .await;
    client
        .identity()
        .login_with_ticket(ticket)
        .await
        .expect("login");
    (client, dir, network)
}

async fn the_sdk_drafts_and_finalizes_offline_and_submits_once_when_back_online(stack: &Stack) {
    use zhelikit_sdk::{OutboxState, SdkError};
    let who = &stack.fixtures.citizens[4];
    let (client, dir, network) = logged_in_phone(stack, who).await;
    let forms = client.forms();
    let catalogue = forms.catalogue().await.expect("catalogue");
    assert!(catalogue
        .iter()
        .any(|f| f.id == SETUP && f.departments.len() == 4));
    let view = forms.open(SETUP.into()).await.expect("open");
    assert!(!view.offline);

    // Offline from here: the form opens from the device, a draft fills and checks itself.
    network.set_online(false);
    let again = forms.open(SETUP.into()).await.expect("open offline");
    assert!(again.offline);
    assert_eq!(again.definition_json, view.definition_json);
    let draft = forms.new_draft(SETUP.into()).expect("draft");
    let blank: Value = serde_json::from_str(&draft.answers_json).expect("json");
    assert_eq!(blank["enterprise_type"], "limited", "defaults filled in");
    assert!(draft
        .problems
        .iter()
        .any(|p| p.path == "enterprise_name" && p.code == "required"));
    let mut answers = setup_answers(who);
    answers["seal_kinds"] = json!(["finance"]);
    let saved = forms
        .save_draft(draft.draft_id.clone(), answers.to_string())
        .await
        .expect("save");
    let found: Vec<(&str, &str)> = saved
        .problems
        .iter()
        .map(|p| (p.path.as_str(), p.message.as_str()))
        .collect();
    assert_eq!(
        found,
        [("seal_kinds", "公章为必刻印章")],
        "the BFF's rule, checked on the phone"
    );
    match forms.finalize(draft.draft_id.clone()).await {
        Err(SdkError::InvalidInput { field, .. }) => assert_eq!(field, "answers"),
        other => panic!("finalized with a problem: {other:?}"),
    }
    answers["seal_kinds"] = json!(["official", "finance"]);
    let saved = forms
        .save_draft(draft.draft_id.clone(), answers.to_string())
        .await
        .expect("save");
    assert_eq!(saved.problems, vec![]);
    let queued = forms
        .finalize(draft.draft_id.clone())
        .await
        .expect("finalize offline");
    assert_eq!(queued.state, OutboxState::Queued);
    assert!(queued.instance_id.starts_with("uuid:"));
    // Finalizing again is the same submission; the draft is no longer a draft.
    let twice = forms.finalize(draft.draft_id.clone()).await.expect("again");
    assert_eq!(twice.instance_id, queued.instance_id);
    assert!(forms.drafts().await.expect("drafts").is_empty());
    let offline = forms.sync().await.expect("sync offline");
    assert!(offline.offline);
    assert_eq!(offline.waiting, 1);

    // Back online: sent once.
    network.set_online(true);
    let synced = forms.sync().await.expect("sync");
    assert_eq!((synced.sent, synced.waiting, synced.offline), (1, 0, false));
    let outbox = forms.outbox().expect("outbox");
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].state, OutboxState::Sent);
    let sent = outbox[0].submission.clone().expect("submission");
    assert_eq!(sent.title, "企业开办一件事");
    assert_eq!(sent.parts.len(), 4);
    assert_eq!(
        stack
            .count_rows(&format!(
                "form_submissions WHERE instance_id = '{}'",
                queued.instance_id
            ))
            .await,
        1
    );
    // The app restarted on the same store: nothing to send, nothing sent twice.
    drop(forms);
    drop(client);
    let client = phone(stack, &dir, network.clone());
    let forms = client.forms();
    let idle = forms.sync().await.expect("sync after restart");
    assert_eq!((idle.sent, idle.waiting), (0, 0));
    let list = forms.submissions().await.expect("submissions");
    assert!(list.iter().any(|s| s.instance_id == queued.instance_id));

    // A department sends its part back; the correction goes from a draft made of it.
    delivered(stack, &client_token(stack, who).await, &queued.instance_id).await;
    department_says(
        stack,
        &format!("{}.human_resources", queued.instance_id),
        "rejected",
        Some("参保起始日期须为本月 1 日之后"),
    )
    .await;
    let fix = forms.correct(queued.instance_id.clone()).expect("correct");
    assert_eq!(fix.supersedes.as_deref(), Some(queued.instance_id.as_str()));
    let mut fixed: Value = serde_json::from_str(&fix.answers_json).expect("json");
    fixed["social_start"] = json!("2026-12-02");
    forms
        .save_draft(fix.draft_id.clone(), fixed.to_string())
        .await
        .expect("save");
    let resent = forms
        .finalize(fix.draft_id.clone())
        .await
        .expect("finalize");
    assert_eq!(resent.state, OutboxState::Sent, "{resent:?}");
    let parts = resent.submission.expect("taken").parts;
    let market = parts
        .iter()
        .find(|p| p.department == "market_regulation")
        .expect("part");
    assert_eq!(market.status, "received", "carried over, not filed again");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A token of `who`'s own, beside the phone's session (to read a submission from the test).
async fn client_token(stack: &Stack, who: &Citizen) -> String {
    let session = stack.login_citizen(&who.userid, "zk-demo-services").await;
    session["access_token"].as_str().expect("token").to_string()
}

/// The outbox under `kill -9`: a phone's app process is killed at random moments 100 times
/// while it finalizes and sends submissions, and started again each time on the same store.
/// Every finalized submission reaches ZheliKit exactly once: 0 lost, 0 duplicated.
#[tokio::test]
async fn the_outbox_survives_kill_9_a_hundred_times_losing_and_duplicating_nothing() {
    use rand::{Rng, SeedableRng};
    const SUBMISSIONS: usize = 150;
    const KILLS: usize = 100;
    let stack = zhelikit_e2e::stack(Backend::Sqlite).await;
    let who = &stack.fixtures.citizens[5];
    let dir = std::env::temp_dir().join(format!("zk-sdk-kill-{}", uuid::Uuid::new_v4().simple()));
    {
        let client = phone(
            stack,
            &dir,
            zhelikit_sdk::test_doubles::SwitchableNetwork::new(true),
        );
        let ticket = stack
            .citizen_ticket_for("zk-demo-services", &who.userid)
            .await;
        client
            .identity()
            .login_with_ticket(ticket)
            .await
            .expect("login");
        client.forms().open(SETUP.into()).await.expect("open");
    }
    let answers = dir.join("answers.json");
    std::fs::write(&answers, setup_answers(who).to_string()).expect("answers");
    let child = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_forms-outbox-child"))
            .args([
                stack.bff.as_str(),
                &dir.display().to_string(),
                SETUP,
                &answers.display().to_string(),
                &SUBMISSIONS.to_string(),
            ])
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("child")
    };
    let mut rng = rand::rngs::StdRng::seed_from_u64(20_261_206);
    let mut finished_early = 0;
    for _ in 0..KILLS {
        let mut running = child();
        tokio::time::sleep(Duration::from_millis(rng.gen_range(20..250))).await;
        if running.try_wait().expect("wait").is_some() {
            finished_early += 1;
        }
        running.kill().ok(); // SIGKILL: no destructor, no flush, nothing runs.
        running.wait().expect("reaped");
    }
    let last = child().wait_with_output().expect("last run");
    assert!(
        last.status.success(),
        "{}",
        String::from_utf8_lossy(&last.stderr)
    );
    assert!(
        finished_early < KILLS / 2,
        "most runs were killed mid-work ({finished_early} finished)"
    );

    let client = phone(
        stack,
        &dir,
        zhelikit_sdk::test_doubles::SwitchableNetwork::new(true),
    );
    let outbox = client.forms().outbox().expect("outbox");
    assert_eq!(outbox.len(), SUBMISSIONS, "0 lost on the phone");
    assert!(
        outbox
            .iter()
            .all(|o| o.state == zhelikit_sdk::OutboxState::Sent),
        "all sent"
    );
    let seqs: Vec<u64> = outbox.iter().map(|o| o.seq).collect();
    assert_eq!(
        seqs,
        (1..=SUBMISSIONS as u64).collect::<Vec<_>>(),
        "one place each, in order"
    );
    let user = outbox[0]
        .submission
        .as_ref()
        .map(|s| s.instance_id.clone())
        .expect("one");
    let (_, first) = stack
        .get_authed(&submission_path(&user), &client_token(stack, who).await)
        .await;
    assert_eq!(first["instance_id"], user.as_str());
    let mut ids: Vec<String> = outbox.iter().map(|o| o.instance_id.clone()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), SUBMISSIONS);
    let on_server = stack
        .count_rows(&format!(
            "form_submissions WHERE instance_id IN ({})",
            ids.iter()
                .map(|i| format!("'{i}'"))
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .await;
    assert_eq!(
        on_server, SUBMISSIONS as i64,
        "0 lost, 0 duplicated at ZheliKit"
    );
    let of_this_phone = stack
        .count_rows(&format!(
            "form_submissions WHERE client_id = (SELECT client_id FROM form_submissions WHERE instance_id = '{}')",
            ids[0]
        ))
        .await;
    assert_eq!(
        of_this_phone, SUBMISSIONS as i64,
        "nothing else came from this outbox"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A mini-app page filling 新生儿出生一件事 through the bridge, as the 一表通 page does.
async fn a_page_fills_and_submits_a_form_through_the_bridge(stack: &Stack) {
    let who = &stack.fixtures.citizens[6];
    let (client, dir, _network) = logged_in_phone(stack, who).await;
    let manifest = include_str!("../../miniapps/samples/services/miniapp.json");
    let page = Page(
        client
            .bridge(
                manifest.to_string(),
                zhelikit_sdk::test_doubles::ScriptedHost::new(),
            )
            .expect("bridge"),
    );
    let call = |method: &'static str, params: Value| {
        let page = &page;
        async move {
            let answer: Value = serde_json::from_str(
                &page
                    .0
                    .call(json!({"id": 1, "method": method, "params": params}).to_string())
                    .await,
            )
            .expect("JSON");
            answer
        }
    };
    let catalogue = call("zhelikit.forms.catalogue", json!({})).await;
    assert_eq!(catalogue["ok"], true, "{catalogue}");
    let opened = call("zhelikit.forms.open", json!({"formId": "newborn"})).await;
    assert_eq!(
        opened["result"]["definition"]["title"], "新生儿出生一件事",
        "{opened}"
    );
    let prefill = call("zhelikit.forms.prefill", json!({"formId": "newborn"})).await;
    assert_eq!(prefill["result"]["offline"], false, "{prefill}");
    let verified: Vec<&str> = prefill["result"]["filled"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["verified"] == true)
        .filter_map(|f| f["field"].as_str())
        .collect();
    assert_eq!(verified, ["household_address", "mother_id", "mother_name"]);
    let draft = call("zhelikit.forms.newDraft", json!({"formId": "newborn"})).await;
    let draft_id = draft["result"]["draftId"]
        .as_str()
        .expect("draft")
        .to_string();
    assert_eq!(
        draft["result"]["answers"]["household_parent"], "mother",
        "defaults"
    );
    assert_eq!(
        draft["result"]["answers"]["mother_id"],
        who.id_number.as_str(),
        "filled: {draft}"
    );
    assert_eq!(draft["result"]["filled"], prefill["result"]["filled"]);
    // A verified answer changed is a problem at once, as the BFF would say; put back, none.
    let address = draft["result"]["answers"]["household_address"].clone();
    let changed = call(
        "zhelikit.forms.updateDraft",
        json!({"draftId": draft_id, "answers": {"household_address": "温州市鹿城区五马街 8 号"}}),
    )
    .await;
    assert!(
        changed["result"]["problems"].as_array().is_some_and(|p| p
            .iter()
            .any(|p| p["path"] == "household_address" && p["code"] == "verified")),
        "{changed}"
    );
    assert!(
        changed["result"]["filled"]
            .as_array()
            .is_some_and(|f| f.iter().all(|f| f["field"] != "household_address")),
        "a changed answer is not shown as filled: {changed}"
    );
    let back = call(
        "zhelikit.forms.updateDraft",
        json!({"draftId": draft_id, "answers": {"household_address": address}}),
    )
    .await;
    assert!(
        back["result"]["problems"]
            .as_array()
            .is_some_and(|p| p.iter().all(|p| p["code"] != "verified")),
        "{back}"
    );
    let mut answers = newborn_answers(&back["result"]["answers"]);
    answers["baby_name"] = json!("雨");
    let saved = call(
        "zhelikit.forms.saveDraft",
        json!({"draftId": draft_id, "answers": answers}),
    )
    .await;
    assert_eq!(
        saved["result"]["problems"],
        json!([{"path": "baby_name", "code": "constraint", "message": "姓名至少 2 个字"}]),
        "{saved}"
    );
    let early = call("zhelikit.forms.finalize", json!({"draftId": draft_id})).await;
    assert_eq!(early["ok"], false, "{early}");
    let not_an_object = call(
        "zhelikit.forms.saveDraft",
        json!({"draftId": draft_id, "answers": "x"}),
    )
    .await;
    assert_eq!(not_an_object["ok"], false, "{not_an_object}");
    let mut fixed = answers.clone();
    fixed["baby_name"] = json!("陈小雨");
    let saved = call(
        "zhelikit.forms.saveDraft",
        json!({"draftId": draft_id, "answers": fixed}),
    )
    .await;
    assert_eq!(saved["result"]["problems"], json!([]), "{saved}");
    let sent = call("zhelikit.forms.finalize", json!({"draftId": draft_id})).await;
    assert_eq!(sent["result"]["state"], "sent", "{sent}");
    let instance = sent["result"]["instanceId"]
        .as_str()
        .expect("instance")
        .to_string();
    let parts: Vec<&str> = sent["result"]["submission"]["parts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["departmentName"].as_str())
        .collect();
    assert_eq!(parts, ["卫健", "公安", "人社"]);
    let outbox = call("zhelikit.forms.outbox", json!({})).await;
    assert_eq!(
        outbox["result"]["items"][0]["instanceId"],
        instance.as_str()
    );
    let mine = poll(|| async {
        let list = call("zhelikit.forms.submissions", json!({})).await;
        list["result"]["submissions"]
            .as_array()?
            .iter()
            .find(|s| s["instanceId"] == instance.as_str() && s["status"] == "in_progress")
            .cloned()
    })
    .await;
    assert_eq!(mine["statusText"], "办理中");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A mini-app page on a phone: its bridge.
struct Page(std::sync::Arc<zhelikit_sdk::MiniAppBridge>);
