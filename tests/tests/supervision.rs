//! 政务督查 end to end on the real BFF and the mock 浙政钉: a leader's item decomposed by the
//! office to units and by a unit to its division, reported and approved up the tree, the
//! figures and their `.xlsx` report agreeing; every role kept to its part; bad input refused
//! with what was wrong; reminders, urging and escalation reaching the right officials' work
//! notifications and to-dos once each — while 浙政钉's messaging is down (later, none lost)
//! and with two BFF instances sweeping the same jobs.

use std::collections::HashMap;
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use mock_platform::fixtures::{Fixtures, Official, CONTACT_TITLE, SUPERVISION_OFFICE_NAME};
use serde_json::{json, Value};
use zhelikit_domain::paths;
use zhelikit_domain::policy::format_day;
use zhelikit_e2e::policy::{access, poll, poll_for};
use zhelikit_e2e::{assert_problem, both_backends, http, json_of, private_stack, Backend, Stack};

both_backends!(
    an_item_goes_down_the_tree_and_its_reports_come_back_up_into_the_figures,
    each_role_does_only_its_part,
    bad_input_is_refused_with_what_was_wrong,
);

const APP: &str = "zk-demo-supervision";

/// A unit tasks go to, with its leader and contact.
#[derive(Clone)]
struct UnitPeople {
    code: String,
    name: String,
    leader: Official,
    contact: Official,
}

/// The people of a supervision day, from the fixtures.
struct People {
    mayor: Official,
    office: Official,
    /// A department, and one of its divisions.
    a: UnitPeople,
    a1: UnitPeople,
    /// Another department.
    b: UnitPeople,
    /// A county government.
    c: UnitPeople,
}

fn unit_people(f: &Fixtures, code: &str) -> UnitPeople {
    let org = f.organisation(code).expect("a unit");
    let leader = f
        .officials_in(code)
        .find(|o| o.leader)
        .expect("a leader")
        .clone();
    let contact = f
        .officials_in(code)
        .find(|o| o.job_title == CONTACT_TITLE)
        .expect("a contact")
        .clone();
    UnitPeople {
        code: code.to_string(),
        name: org.name.clone(),
        leader,
        contact,
    }
}

fn people(stack: &Stack) -> People {
    let f = &stack.fixtures;
    let root = f.root_organisation().expect("root").code.clone();
    let office = f
        .organisations
        .iter()
        .find(|o| o.name == SUPERVISION_OFFICE_NAME)
        .expect("office");
    let departments: Vec<_> = f
        .organisations
        .iter()
        .filter(|o| o.parent_code.as_deref() == Some(root.as_str()) && o.name.ends_with('局'))
        .collect();
    let a = departments[0];
    let a1 = f
        .organisations
        .iter()
        .find(|o| o.parent_code.as_deref() == Some(a.code.as_str()))
        .expect("a division");
    let c = f
        .organisations
        .iter()
        .find(|o| o.name.ends_with("县人民政府"))
        .expect("a county");
    // Bound before the struct: a tail expression's temporaries outlive the locals.
    let mayor = f
        .officials_in(&root)
        .find(|o| o.leader)
        .expect("mayor")
        .clone();
    let staff = f
        .officials_in(&office.code)
        .find(|o| !o.leader)
        .expect("office staff")
        .clone();
    People {
        mayor,
        office: staff,
        a: unit_people(f, &a.code),
        a1: unit_people(f, &a1.code),
        b: unit_people(f, &departments[1].code),
        c: unit_people(f, &c.code),
    }
}

async fn session(stack: &Stack, o: &Official) -> String {
    access(&stack.login_official(o.account_id, APP).await)
}

fn request_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Today as the stack's BFF counts it.
async fn today(stack: &Stack) -> i64 {
    let (status, clock) = json_of(
        http()
            .get(format!("{}{}", stack.bff, paths::DEV_CLOCK))
            .send()
            .await
            .expect("clock"),
    )
    .await;
    assert_eq!(status, 200, "{clock}");
    zhelikit_domain::policy::parse_day(clock["today"].as_str().expect("today")).expect("a day")
}

fn day(d: i64) -> String {
    format_day(d)
}

/// An item owned by the mayor, due in `days`, with two indicators.
fn item(p: &People, title: &str, due: i64) -> Value {
    json!({
        "title": title,
        "source_kind": "meeting",
        "source": "市政府第 12 次常务会议",
        "description": "确保年底前完成投资目标",
        "owner": p.mayor.employee_code,
        "due": day(due),
        "priority": "high",
        "indicators": [
            {"key": "investment", "name": "投资完成额", "unit": "亿元", "kind": "decimal", "target": 5.0},
            {"key": "projects", "name": "开工项目", "unit": "个", "kind": "integer", "target": 12}
        ]
    })
}

async fn create_item(stack: &Stack, token: &str, body: Value) -> Value {
    let (status, view) = stack
        .post_authed(
            paths::SUPERVISION_ITEMS,
            token,
            json!({"request_id": request_id(), "item": body}),
        )
        .await;
    assert_eq!(status, 201, "{view}");
    view
}

async fn dispatch(
    stack: &Stack,
    token: &str,
    item: &str,
    parent: Option<&str>,
    tasks: Value,
) -> (u16, Value) {
    stack
        .post_authed(
            &paths::supervision_item_tasks(item),
            token,
            json!({"parent": parent, "tasks": tasks}),
        )
        .await
}

fn task_of<'v>(list: &'v Value, unit: &str) -> &'v Value {
    list["tasks"]
        .as_array()
        .and_then(|l| l.iter().find(|t| t["unit"] == unit))
        .unwrap_or_else(|| panic!("no task of {unit} in {list}"))
}

async fn report(stack: &Stack, token: &str, task: &str, body: Value) -> (u16, Value) {
    stack
        .post_authed(
            &paths::supervision_task_reports(task),
            token,
            json!({"request_id": request_id(), "report": body}),
        )
        .await
}

async fn decide(stack: &Stack, token: &str, report: &str, body: Value) -> (u16, Value) {
    stack
        .post_authed(&paths::supervision_report_decision(report), token, body)
        .await
}

/// The item, its three top-level tasks (A and B with targets, C without) and A's share
/// decomposed to its division.
struct Scenario {
    item: String,
    a: String,
    a1: String,
    b: String,
    c: String,
}

async fn scenario(stack: &Stack, p: &People, title: &str, due_in: i64) -> Scenario {
    let today = today(stack).await;
    let mayor = session(stack, &p.mayor).await;
    let office = session(stack, &p.office).await;
    let view = create_item(stack, &mayor, item(p, title, today + due_in)).await;
    let item = view["summary"]["id"].as_str().expect("id").to_string();
    let (status, made) = dispatch(
        stack,
        &office,
        &item,
        None,
        json!([
            {"unit": p.a.code, "content": "推进交通项目", "due": day(today + due_in - 2),
             "targets": [{"key": "investment", "target": 3.0}, {"key": "projects", "target": 8}]},
            {"unit": p.b.code, "content": "推进产业项目", "due": day(today + due_in - 2),
             "targets": [{"key": "investment", "target": 2.0}, {"key": "projects", "target": 4}]},
            {"unit": p.c.code, "content": "做好要素保障", "due": day(today + due_in - 1)}
        ]),
    )
    .await;
    assert_eq!(status, 201, "{made}");
    let a = task_of(&made, &p.a.code)["id"]
        .as_str()
        .expect("a")
        .to_string();
    let leader_a = session(stack, &p.a.leader).await;
    let (status, sub) = dispatch(
        stack,
        &leader_a,
        &item,
        Some(&a),
        json!([{"unit": p.a1.code, "content": "完成建设管理", "due": day(today + due_in - 3),
                "targets": [{"key": "investment", "target": 1.5}]}]),
    )
    .await;
    assert_eq!(status, 201, "{sub}");
    Scenario {
        a1: task_of(&sub, &p.a1.code)["id"]
            .as_str()
            .expect("a1")
            .to_string(),
        b: task_of(&made, &p.b.code)["id"]
            .as_str()
            .expect("b")
            .to_string(),
        c: task_of(&made, &p.c.code)["id"]
            .as_str()
            .expect("c")
            .to_string(),
        item,
        a,
    }
}

async fn an_item_goes_down_the_tree_and_its_reports_come_back_up_into_the_figures(stack: &Stack) {
    let p = people(stack);
    let s = scenario(stack, &p, "推进重大项目建设（全流程）", 30).await;

    // The division reports 1.2 亿元; its leader approves; the value rolls up to the item.
    let a1_contact = session(stack, &p.a1.contact).await;
    let (status, r) = report(
        stack,
        &a1_contact,
        &s.a1,
        json!({"text": "已完成征迁 80%", "values": [{"key": "investment", "value": 1.2, "unit": "亿元"}]}),
    )
    .await;
    assert_eq!(status, 201, "{r}");
    assert_eq!(r["status"], "pending");
    let a1_leader = session(stack, &p.a1.leader).await;
    let (status, approved) = decide(
        stack,
        &a1_leader,
        r["id"].as_str().expect("id"),
        json!({"approve": true}),
    )
    .await;
    assert_eq!(status, 200, "{approved}");
    assert_eq!(approved["status"], "approved");
    assert_eq!(approved["decided_by_name"], p.a1.leader.name);

    // B reports it is finished with all its targets; approved, its task is done.
    let b_contact = session(stack, &p.b.contact).await;
    let (status, rb) = report(
        stack,
        &b_contact,
        &s.b,
        json!({"text": "全部完成", "completes": true,
               "values": [{"key": "investment", "value": 2.0, "unit": "亿元"}, {"key": "projects", "value": 4, "unit": "个"}],
               "photos": [{"sm3": "a".repeat(64), "size": 2048, "name": "现场.jpg", "media_type": "image/jpeg"}]}),
    )
    .await;
    assert_eq!(status, 201, "{rb}");
    let b_leader = session(stack, &p.b.leader).await;
    let (status, _) = decide(
        stack,
        &b_leader,
        rb["id"].as_str().expect("id"),
        json!({"approve": true}),
    )
    .await;
    assert_eq!(status, 200);

    let mayor = session(stack, &p.mayor).await;
    let (status, view) = stack
        .get_authed(&paths::supervision_item(&s.item), &mayor)
        .await;
    assert_eq!(status, 200, "{view}");
    let indicator = |key: &str| {
        view["indicators"]
            .as_array()
            .and_then(|l| l.iter().find(|i| i["key"] == key))
            .cloned()
            .expect("indicator")
    };
    // 1.2 from A's division (A is decomposed: its values are its division's) + 2.0 from B.
    assert_eq!(indicator("investment")["value"], 3.2, "{view}");
    assert_eq!(indicator("investment")["completion_permille"], 640);
    assert_eq!(indicator("projects")["value"], 4);
    let a = task_of(&view, &p.a.code);
    assert_eq!(a["decomposed"], true);
    assert_eq!(a["targets"][0]["value"], 1.2);
    assert_eq!(task_of(&view, &p.b.code)["status"], "done");
    assert_eq!(view["tasks"].as_array().map(Vec::len), Some(4));
    let actions: Vec<&str> = view["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for expected in [
        "create",
        "dispatch",
        "decompose",
        "report",
        "approve",
        "done",
    ] {
        assert!(actions.contains(&expected), "{expected} in {actions:?}");
    }
    // The report asked the division's leader to review it: a work notification and a to-do,
    // finished once decided.
    poll_for(std::time::Duration::from_secs(20), || async {
        let got = received(stack, p.a1.leader.account_id).await;
        let todo = got["todos"]
            .as_array()?
            .iter()
            .find(|t| {
                t["subject"]
                    .as_str()
                    .is_some_and(|s| s.starts_with("审核进展"))
            })?
            .clone();
        (todo["status"] == "finished").then_some(())
    })
    .await;

    // The division sees its own task and not the others'.
    let (status, theirs) = stack
        .get_authed(&paths::supervision_item(&s.item), &a1_contact)
        .await;
    assert_eq!(status, 200);
    let units: Vec<&str> = theirs["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .filter_map(|t| t["unit"].as_str())
        .collect();
    assert_eq!(units, [p.a1.code.as_str()]);

    // The figures, and the same figures in the exported report: read while nothing changed
    // (the other tests of this binary work on the same stack at the same time).
    let office = session(stack, &p.office).await;
    let (figures, sheets) = poll(|| async {
        let (_, before) = stack
            .get_authed(paths::SUPERVISION_DASHBOARD, &office)
            .await;
        let sheets = export(stack, &office).await;
        let (_, after) = stack
            .get_authed(paths::SUPERVISION_DASHBOARD, &office)
            .await;
        (before == after).then_some((after, sheets))
    })
    .await;
    let row = figures["units"]
        .as_array()
        .and_then(|l| l.iter().find(|u| u["unit"] == p.b.code))
        .cloned()
        .expect("B's row");
    assert_eq!(row["done"], 1);
    assert_eq!(row["done_on_time"], 1);
    assert_eq!(row["on_time_permille"], 1000);
    let units = &sheets["单位进度"];
    let b_row = units
        .iter()
        .find(|r| r[0] == p.b.name)
        .expect("B in the report");
    assert_eq!(b_row[1], row["tasks"].as_f64().expect("tasks").to_string());
    assert_eq!(b_row[3], "1");
    let totals = &sheets["汇总"][5];
    for (column, name) in [(0, "tasks"), (1, "open"), (2, "done"), (4, "overdue")] {
        assert_eq!(
            totals[column],
            figures["totals"][name].as_f64().expect("n").to_string(),
            "{name}"
        );
    }
    let investment = sheets["指标完成"]
        .iter()
        .find(|r| r[0] == "推进重大项目建设（全流程）" && r[1] == "投资完成额")
        .expect("the indicator row");
    assert_eq!(investment[4], "3.2");
    assert_eq!(investment[5], "0.64");

    // Made once however often it is sent.
    let body = json!({"request_id": "same-request-1", "item": item(&p, "重复提交的事项", today(stack).await + 10)});
    let (first, one) = stack
        .post_authed(paths::SUPERVISION_ITEMS, &mayor, body.clone())
        .await;
    let (again, two) = stack
        .post_authed(paths::SUPERVISION_ITEMS, &mayor, body)
        .await;
    assert_eq!((first, again), (201, 200));
    assert_eq!(one["summary"]["id"], two["summary"]["id"]);
}

async fn each_role_does_only_its_part(stack: &Stack) {
    let p = people(stack);
    let s = scenario(stack, &p, "推进重大项目建设（权限）", 30).await;
    let today = today(stack).await;
    let forbidden =
        |(status, body): (u16, Value)| assert_problem(status, &body, 403, "supervision_forbidden");

    // A contact cannot open an item; a city leader cannot dispatch.
    let contact_a = session(stack, &p.a.contact).await;
    forbidden(
        stack
            .post_authed(
                paths::SUPERVISION_ITEMS,
                &contact_a,
                json!({"request_id": request_id(), "item": item(&p, "越权", today + 5)}),
            )
            .await,
    );
    let mayor = session(stack, &p.mayor).await;
    forbidden(
        dispatch(
            stack,
            &mayor,
            &s.item,
            None,
            json!([{"unit": p.a.code, "content": "x", "due": day(today + 1)}]),
        )
        .await,
    );

    // B's leader cannot decompose A's task; A's contact cannot decompose it either.
    let leader_b = session(stack, &p.b.leader).await;
    forbidden(
        dispatch(
            stack,
            &leader_b,
            &s.item,
            Some(&s.a),
            json!([{"unit": p.a1.code, "content": "x", "due": day(today + 1)}]),
        )
        .await,
    );
    forbidden(
        dispatch(
            stack,
            &contact_a,
            &s.item,
            Some(&s.a),
            json!([{"unit": p.a1.code, "content": "x", "due": day(today + 1)}]),
        )
        .await,
    );

    // Only the unit's contact reports: not its leader, not the office; another unit's task
    // reads as absent.
    let leader_a = session(stack, &p.a.leader).await;
    forbidden(report(stack, &leader_a, &s.a, json!({"text": "进展"})).await);
    let (status, body) = report(stack, &leader_a, &s.c, json!({"text": "x"})).await;
    assert_problem(status, &body, 404, "supervision_task_not_found");
    let office = session(stack, &p.office).await;
    forbidden(report(stack, &office, &s.a, json!({"text": "进展"})).await);

    // A report of C goes to C's leader, not A's; a task of another unit reads as absent.
    let contact_c = session(stack, &p.c.contact).await;
    let (status, r) = report(stack, &contact_c, &s.c, json!({"text": "要素保障到位"})).await;
    assert_eq!(status, 201, "{r}");
    let (status, body) = decide(
        stack,
        &leader_a,
        r["id"].as_str().expect("id"),
        json!({"approve": true}),
    )
    .await;
    assert_problem(status, &body, 404, "supervision_report_not_found");
    let (status, body) = stack
        .get_authed(
            &paths::supervision_item(&s.item),
            &session(stack, &p.b.contact).await,
        )
        .await;
    assert_eq!(status, 200);
    assert!(body["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .all(|t| t["unit"] == p.b.code));

    // Only the leaders and the office see the figures; a contact may not urge.
    forbidden(
        stack
            .get_authed(paths::SUPERVISION_DASHBOARD, &contact_a)
            .await,
    );
    forbidden(
        stack
            .post_authed(&paths::supervision_task_urge(&s.b), &contact_a, json!({}))
            .await,
    );

    // What each may do shows on the task.
    let (_, mine) = stack.get_authed(paths::SUPERVISION_TASKS, &contact_c).await;
    let task_c = mine["tasks"]
        .as_array()
        .and_then(|l| l.iter().find(|t| t["id"] == s.c))
        .expect("C's task among the contact's");
    assert_eq!(task_c["pending_report"], r["id"]);
    assert!(
        task_c["may"].as_array().expect("may").is_empty(),
        "{task_c}"
    );
    let (_, me) = stack.get_authed(paths::SUPERVISION_ME, &leader_a).await;
    assert_eq!(me["role"]["role"], "unit_leader");
    assert_eq!(me["role_name"], "单位负责人");

    // A citizen's session is refused, whatever scope it asked for.
    let citizen = access(
        &stack
            .login_citizen(&stack.fixtures.citizens[0].userid, "zk-demo-services")
            .await,
    );
    let (status, body) = stack.get_authed(paths::SUPERVISION_ME, &citizen).await;
    assert_eq!(status, 403, "{body}");
}

async fn bad_input_is_refused_with_what_was_wrong(stack: &Stack) {
    let p = people(stack);
    let s = scenario(stack, &p, "推进重大项目建设（错误输入）", 30).await;
    let today = today(stack).await;
    let office = session(stack, &p.office).await;
    let invalid = |(status, body): (u16, Value), field: &str, words: &str| {
        assert_problem(status, &body, 400, "invalid_field");
        assert_eq!(body["field"], field, "{body}");
        assert!(
            body["detail"].as_str().is_some_and(|d| d.contains(words)),
            "{words} in {body}"
        );
    };

    // A due date after the parent's.
    invalid(
        dispatch(
            stack,
            &office,
            &s.item,
            None,
            json!([{"unit": p.a.code, "content": "x", "due": day(today + 31)}]),
        )
        .await,
        "tasks.due",
        "晚于督查事项的截止日期",
    );
    let leader_a = session(stack, &p.a.leader).await;
    invalid(
        dispatch(
            stack,
            &leader_a,
            &s.item,
            Some(&s.a),
            json!([{"unit": p.a1.code, "content": "x", "due": day(today + 29)}]),
        )
        .await,
        "tasks.due",
        "晚于上级任务",
    );
    // A division of another department.
    let other_division = stack
        .fixtures
        .organisations
        .iter()
        .find(|o| o.parent_code.as_deref() == Some(p.b.code.as_str()))
        .expect("B's division");
    invalid(
        dispatch(
            stack,
            &leader_a,
            &s.item,
            Some(&s.a),
            json!([{"unit": other_division.code, "content": "x", "due": day(today + 5)}]),
        )
        .await,
        "tasks.unit",
        "下级单位",
    );

    // Values of the wrong unit or type.
    let contact_a1 = session(stack, &p.a1.contact).await;
    invalid(
        report(
            stack,
            &contact_a1,
            &s.a1,
            json!({"text": "x", "values": [{"key": "investment", "value": 12000, "unit": "万元"}]}),
        )
        .await,
        "values",
        "单位应为亿元",
    );
    let contact_b = session(stack, &p.b.contact).await;
    invalid(
        report(
            stack,
            &contact_b,
            &s.b,
            json!({"text": "x", "values": [{"key": "projects", "value": 2.5, "unit": "个"}]}),
        )
        .await,
        "values",
        "须为整数",
    );
    let (status, body) = report(
        stack,
        &contact_b,
        &s.b,
        json!({"text": "x", "values": [{"key": "projects", "value": "two", "unit": "个"}]}),
    )
    .await;
    assert_problem(status, &body, 400, "malformed_body");
    // A decomposed task's values come from below.
    let contact_a = session(stack, &p.a.contact).await;
    invalid(
        report(
            stack,
            &contact_a,
            &s.a,
            json!({"text": "x", "values": [{"key": "investment", "value": 1, "unit": "亿元"}]}),
        )
        .await,
        "values",
        "已分解",
    );

    // A cycle: A under its own division's task.
    let (status, body) = stack
        .post_authed(
            &paths::supervision_task_move(&s.a),
            &office,
            json!({"parent": s.a1}),
        )
        .await;
    assert_problem(status, &body, 400, "invalid_field");
    assert!(
        body["detail"].as_str().is_some_and(|d| d.contains("循环")),
        "{body}"
    );

    // One report waits at a time; a finished task takes none.
    let contact_c = session(stack, &p.c.contact).await;
    let (status, first) = report(
        stack,
        &contact_c,
        &s.c,
        json!({"text": "已完成", "completes": true}),
    )
    .await;
    assert_eq!(status, 201, "{first}");
    let (status, body) = report(stack, &contact_c, &s.c, json!({"text": "再报一次"})).await;
    assert_problem(status, &body, 409, "supervision_report_pending");
    let leader_c = session(stack, &p.c.leader).await;
    let (status, body) = decide(
        stack,
        &leader_c,
        first["id"].as_str().expect("id"),
        json!({"approve": false}),
    )
    .await;
    assert_problem(status, &body, 400, "invalid_field");
    let (status, _) = decide(
        stack,
        &leader_c,
        first["id"].as_str().expect("id"),
        json!({"approve": true}),
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = decide(
        stack,
        &leader_c,
        first["id"].as_str().expect("id"),
        json!({"approve": true}),
    )
    .await;
    assert_problem(status, &body, 409, "supervision_report_decided");
    let (status, body) = report(stack, &contact_c, &s.c, json!({"text": "补充"})).await;
    assert_problem(status, &body, 409, "supervision_task_closed");

    // An owner who is not a city leader; an unknown item.
    let mut not_leader = item(&p, "错误的责任领导", today + 5);
    not_leader["owner"] = json!(p.a.leader.employee_code);
    let mayor = session(stack, &p.mayor).await;
    invalid(
        stack
            .post_authed(
                paths::SUPERVISION_ITEMS,
                &mayor,
                json!({"request_id": request_id(), "item": not_leader}),
            )
            .await,
        "owner",
        "不是市领导",
    );
    let (status, body) = stack
        .get_authed(&paths::supervision_item("i0000000000000000"), &mayor)
        .await;
    assert_problem(status, &body, 404, "supervision_item_not_found");
}

/// What official `account_id` received on the mock 浙政钉.
async fn received(stack: &Stack, account_id: i64) -> Value {
    let (status, body) = json_of(
        http()
            .get(format!(
                "{}/__admin/zzd/received/{account_id}",
                stack.platform
            ))
            .send()
            .await
            .expect("received"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

/// The work notifications `account_id` received, by title.
async fn notified(stack: &Stack, account_id: i64) -> HashMap<String, Vec<Value>> {
    let mut by_title: HashMap<String, Vec<Value>> = HashMap::new();
    for n in received(stack, account_id).await["notifications"]
        .as_array()
        .into_iter()
        .flatten()
    {
        by_title
            .entry(n["title"].as_str().unwrap_or_default().to_string())
            .or_default()
            .push(n.clone());
    }
    by_title
}

async fn advance_bff_clock(bff: &str, seconds: i64) {
    let response = http()
        .post(format!("{bff}{}", paths::DEV_CLOCK))
        .json(&json!({"seconds": seconds}))
        .send()
        .await
        .expect("clock");
    assert!(response.status().is_success());
}

/// Seconds from now (the BFF's clock) to 09:30 China time on `day`.
async fn until_morning_of(stack: &Stack, day: i64) -> i64 {
    let (_, clock) = json_of(
        http()
            .get(format!("{}{}", stack.bff, paths::DEV_CLOCK))
            .send()
            .await
            .expect("clock"),
    )
    .await;
    let now =
        chrono::DateTime::parse_from_rfc3339(clock["now"].as_str().expect("now")).expect("rfc3339");
    let target = day * 86_400 + 3_600 + 30 * 60;
    (target - now.timestamp()).max(0)
}

async fn all_sent(stack: &Stack) -> Value {
    let (_, body) = json_of(
        http()
            .get(format!("{}/__admin/zzd/sent", stack.platform))
            .send()
            .await
            .expect("sent"),
    )
    .await;
    body
}

#[tokio::test]
async fn reminders_urging_and_escalation_reach_the_right_officials_once_each() {
    let stack = private_stack(Backend::Sqlite, |_| {}).await;
    let p = people(&stack);
    let s = scenario(&stack, &p, "推进重大项目建设（提醒）", 10).await;
    let due_b = today(&stack).await + 8;

    // A's division finishes early: its reminders are dropped when they fall due.
    let contact_a1 = session(&stack, &p.a1.contact).await;
    let (status, early) = report(
        &stack,
        &contact_a1,
        &s.a1,
        json!({"text": "提前完成", "completes": true}),
    )
    .await;
    assert_eq!(status, 201, "{early}");
    let leader_a1 = session(&stack, &p.a1.leader).await;
    let (status, _) = decide(
        &stack,
        &leader_a1,
        early["id"].as_str().expect("id"),
        json!({"approve": true}),
    )
    .await;
    assert_eq!(status, 200);

    // The office urges B: B's contact gets a work notification and a to-do at once.
    let office = session(&stack, &p.office).await;
    let (status, urged) = stack
        .post_authed(
            &paths::supervision_task_urge(&s.b),
            &office,
            json!({"message": "请本周内报送进展"}),
        )
        .await;
    assert_eq!(status, 202, "{urged}");
    poll(|| async {
        notified(&stack, p.b.contact.account_id)
            .await
            .get("督查催办")
            .map(|_| ())
    })
    .await;
    // The to-do follows the notification in the same job.
    let todos = poll(|| async {
        let todos = received(&stack, p.b.contact.account_id).await["todos"].clone();
        (todos.as_array().map(Vec::len) == Some(1)).then_some(todos)
    })
    .await;
    assert!(todos[0]["subject"]
        .as_str()
        .is_some_and(|s| s.starts_with("催办")));

    // Three days before B's due date its contact is reminded; the reminder's to-do is the
    // same one the urge left (one "report" to-do per round).
    advance_bff_clock(&stack.bff, until_morning_of(&stack, due_b - 3).await).await;
    poll(|| async {
        notified(&stack, p.b.contact.account_id)
            .await
            .get("督查到期提醒")
            .map(|_| ())
    })
    .await;
    assert_eq!(
        received(&stack, p.b.contact.account_id).await["todos"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );

    // The day after, still open: escalated to B's leaders (notification and to-do).
    advance_bff_clock(&stack.bff, until_morning_of(&stack, due_b + 1).await).await;
    poll(|| async {
        notified(&stack, p.b.leader.account_id)
            .await
            .get("督查逾期督办")
            .map(|_| ())
    })
    .await;
    let leader_todos = received(&stack, p.b.leader.account_id).await["todos"].clone();
    assert!(leader_todos
        .as_array()
        .expect("todos")
        .iter()
        .any(|t| t["subject"].as_str().is_some_and(|s| s.starts_with("督办"))));

    // Three days overdue: the owner leader.
    advance_bff_clock(&stack.bff, until_morning_of(&stack, due_b + 3).await).await;
    poll(|| async {
        notified(&stack, p.mayor.account_id)
            .await
            .get("督查逾期督办")
            .map(|_| ())
    })
    .await;

    // Every reminder of B went out; none of A's division, done before they fell due.
    let mayor = session(&stack, &p.mayor).await;
    let (_, view) = stack
        .get_authed(&paths::supervision_item(&s.item), &mayor)
        .await;
    let a1_sent: Vec<&Value> = view["notices"]
        .as_array()
        .expect("notices")
        .iter()
        .filter(|n| n["task_id"] == s.a1 && n["nudge"] != "review" && !n["sent_at"].is_null())
        .collect();
    assert!(a1_sent.is_empty(), "{a1_sent:?}");
    let b_notices: Vec<&Value> = view["notices"]
        .as_array()
        .expect("notices")
        .iter()
        .filter(|n| n["task_id"] == s.b)
        .collect();
    let kinds: Vec<&str> = b_notices
        .iter()
        .filter(|n| !n["sent_at"].is_null())
        .filter_map(|n| n["nudge"].as_str())
        .collect();
    for k in [
        "urge",
        "due_soon",
        "due_tomorrow",
        "overdue",
        "long_overdue",
    ] {
        assert!(kinds.contains(&k), "{k} sent: {kinds:?}");
    }
    // The dashboard counts B as overdue.
    let (_, figures) = stack
        .get_authed(paths::SUPERVISION_DASHBOARD, &office)
        .await;
    assert!(
        figures["overdue"]
            .as_array()
            .expect("overdue")
            .iter()
            .any(|o| o["task"] == s.b),
        "{figures}"
    );

    // Each notification was asked for once: no job ran twice.
    let sent = all_sent(&stack).await;
    for n in sent["notifications"].as_array().expect("sent") {
        assert_eq!(n["asked"], 1, "{n}");
    }
    // B's contact reports: their open "report" to-do is finished.
    let contact_b = session(&stack, &p.b.contact).await;
    let (status, _) = report(&stack, &contact_b, &s.b, json!({"text": "已推进"})).await;
    assert_eq!(status, 201);
    poll(|| async {
        let todos = received(&stack, p.b.contact.account_id).await["todos"].clone();
        todos
            .as_array()?
            .iter()
            .all(|t| t["status"] == "finished")
            .then_some(())
    })
    .await;
}

#[tokio::test]
async fn notifications_wait_while_zzd_messaging_is_down_and_arrive_once_when_it_is_back() {
    let stack = private_stack(Backend::Sqlite, |config| {
        config.jobs.backoff_base = std::time::Duration::from_millis(100);
        config.jobs.backoff_cap = std::time::Duration::from_millis(400);
    })
    .await;
    let p = people(&stack);
    let s = scenario(&stack, &p, "推进重大项目建设（消息中断）", 10).await;
    let switch = |down: bool| {
        let platform = stack.platform.clone();
        async move {
            let r = http()
                .put(format!("{platform}/__admin/zzd/messaging"))
                .json(&json!({"down": down}))
                .send()
                .await
                .expect("switch");
            assert!(r.status().is_success());
        }
    };
    switch(true).await;
    let office = session(&stack, &p.office).await;
    for task in [&s.b, &s.c] {
        let (status, _) = stack
            .post_authed(&paths::supervision_task_urge(task), &office, json!({}))
            .await;
        assert_eq!(status, 202);
    }
    // Refused while down, tried again.
    poll(|| async { (all_sent(&stack).await["refusedWhileDown"].as_u64()? >= 4).then_some(()) })
        .await;
    assert_eq!(all_sent(&stack).await["notifications"], json!([]));
    switch(false).await;
    poll_for(std::time::Duration::from_secs(20), || async {
        let b = notified(&stack, p.b.contact.account_id).await;
        let c = notified(&stack, p.c.contact.account_id).await;
        (b.contains_key("督查催办") && c.contains_key("督查催办")).then_some(())
    })
    .await;
    for who in [p.b.contact.account_id, p.c.contact.account_id] {
        assert_eq!(notified(&stack, who).await["督查催办"].len(), 1);
    }
}

#[tokio::test]
async fn two_bff_instances_send_each_reminder_once() {
    let stack = private_stack(Backend::Postgres, |_| {}).await;
    let second = zhelikit_e2e::start_bff(stack.app().config.clone())
        .await
        .expect("a second BFF");
    let p = people(&stack);
    let today = today(&stack).await;
    let mayor = session(&stack, &p.mayor).await;
    let office = session(&stack, &p.office).await;
    let view = create_item(
        &stack,
        &mayor,
        item(&p, "推进重大项目建设（双实例）", today + 20),
    )
    .await;
    let item_id = view["summary"]["id"].as_str().expect("id").to_string();
    // Twelve county governments and nine departments each get a task due in five days.
    let units: Vec<String> = stack
        .fixtures
        .organisations
        .iter()
        .filter(|o| {
            o.parent_code.as_deref() == stack.fixtures.root_organisation().map(|r| r.code.as_str())
        })
        .filter(|o| {
            o.name.ends_with("人民政府") || o.name.ends_with('局') || o.name.ends_with("委员会")
        })
        .map(|o| o.code.clone())
        .collect();
    let tasks: Vec<Value> = units
        .iter()
        .map(|u| json!({"unit": u, "content": "按期完成", "due": day(today + 5)}))
        .collect();
    let (status, made) = dispatch(&stack, &office, &item_id, None, json!(tasks)).await;
    assert_eq!(status, 201, "{made}");
    // Both instances' clocks move to the morning three days before: every task's reminder
    // falls due at once, and both sweep.
    let shift = until_morning_of(&stack, today + 2).await;
    advance_bff_clock(&stack.bff, shift).await;
    advance_bff_clock(&second.base_url, shift).await;
    // Each job notifies, then leaves the contact's to-do: wait for both.
    poll_for(std::time::Duration::from_secs(30), || async {
        let sent = all_sent(&stack).await;
        let reminders = sent["notifications"]
            .as_array()?
            .iter()
            .filter(|n| n["title"] == "督查到期提醒")
            .count();
        let todos = sent["todos"].as_array()?.len();
        (reminders == units.len() && todos >= units.len()).then_some(())
    })
    .await;
    let sent = all_sent(&stack).await;
    for n in sent["notifications"].as_array().expect("sent") {
        assert_eq!(n["asked"], 1, "asked once: {n}");
    }
    let todos = sent["todos"].as_array().expect("todos");
    let mut ids: Vec<&str> = todos
        .iter()
        .filter_map(|t| t["bizTaskId"].as_str())
        .collect();
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n, "each to-do created once");
    assert_eq!(n, units.len(), "one to-do per unit's contact");
    drop(second);
}

/// The exported report's sheets, each a grid of cell texts.
async fn export(stack: &Stack, token: &str) -> HashMap<String, Vec<Vec<String>>> {
    let response = http()
        .get(format!("{}{}", stack.bff, paths::SUPERVISION_EXPORT))
        .bearer_auth(token)
        .send()
        .await
        .expect("export");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let bytes = response.bytes().await.expect("bytes").to_vec();
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).expect("an xlsx");
    let mut sheets = HashMap::new();
    for name in book.sheet_names() {
        let range = book.worksheet_range(&name).expect("sheet");
        let rows = range
            .rows()
            .map(|r| {
                r.iter()
                    .map(|c| match c {
                        Data::Float(f) => f.to_string(),
                        Data::Int(i) => i.to_string(),
                        other => other.to_string(),
                    })
                    .collect()
            })
            .collect();
        sheets.insert(name, rows);
    }
    sheets
}
