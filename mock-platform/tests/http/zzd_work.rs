use mock_platform::fixtures::{Official, CONTACT_TITLE, SUPERVISION_OFFICE_NAME, TENANT_ID};
use mock_platform::zzd_work::{MESSAGING_PATH, SENT_PATH};
use platform_api::zzd::{
    codes, Employee, MessageSent, Response, TodoCreated, WorkMessage, EMPLOYEES_BY_CODES_PATH,
    REVOKE_MESSAGE_PATH, TODO_CANCEL_PATH, TODO_CREATE_PATH, TODO_FINISH_PATH,
    WORK_NOTIFICATION_PATH,
};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::{start, Mock};

fn code_of<T>(r: &Response<T>) -> &str {
    &r.content.response_code
}

fn card(title: &str) -> String {
    serde_json::to_string(&WorkMessage::oa(
        "政务督查",
        title,
        "请及时报送进展。",
        "https://miniapp.example/supervision",
    ))
    .expect("json")
}

fn contact(mock: &Mock) -> Official {
    mock.running
        .fixtures
        .officials
        .iter()
        .find(|o| o.job_title == CONTACT_TITLE)
        .cloned()
        .expect("a contact")
}

async fn received(mock: &Mock, account_id: i64) -> Value {
    mock.http
        .get(mock.url(&format!("/__admin/zzd/received/{account_id}")))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json")
}

async fn notify(
    mock: &Mock,
    token: &str,
    to: &str,
    biz: &str,
    title: &str,
) -> Response<MessageSent> {
    let tenant = TENANT_ID.to_string();
    let msg = card(title);
    mock.zzd(
        &mock.a,
        "POST",
        WORK_NOTIFICATION_PATH,
        &[
            ("access_token", token),
            ("tenantId", &tenant),
            ("receiverIds", to),
            ("bizMsgId", biz),
            ("msg", &msg),
        ],
    )
    .await
}

#[tokio::test]
async fn a_work_notification_reaches_its_receivers_once_per_biz_msg_id() {
    let mock = start().await;
    let token = mock.zzd_token(&mock.a).await;
    let to = contact(&mock);
    let id = to.account_id.to_string();
    let first = notify(&mock, &token, &id, "remind-1", "督查到期提醒").await;
    let msg_id = first.content.data.expect("sent").msg_id;
    let again = notify(&mock, &token, &id, "remind-1", "督查到期提醒").await;
    assert_eq!(again.content.data.expect("answered").msg_id, msg_id);
    let other = notify(&mock, &token, &id, "remind-1", "另一条").await;
    assert_eq!(code_of(&other), codes::PARAM_INVALID);

    let got = received(&mock, to.account_id).await;
    let list = got["notifications"].as_array().expect("a list");
    assert_eq!(list.len(), 1, "{got}");
    assert_eq!(list[0]["title"], "督查到期提醒");
    assert_eq!(list[0]["bizMsgId"], "remind-1");
    assert_eq!(list[0]["asked"], 3, "asked thrice, delivered once");

    let tenant = TENANT_ID.to_string();
    let revoked: Response<bool> = mock
        .zzd(
            &mock.a,
            "POST",
            REVOKE_MESSAGE_PATH,
            &[
                ("access_token", &token),
                ("tenantId", &tenant),
                ("bizMsgId", "remind-1"),
            ],
        )
        .await;
    assert_eq!(revoked.content.data, Some(true));
    assert_eq!(
        received(&mock, to.account_id).await["notifications"],
        json!([])
    );
}

#[tokio::test]
async fn a_notification_to_an_unknown_account_or_without_a_card_is_refused() {
    let mock = start().await;
    let token = mock.zzd_token(&mock.a).await;
    let unknown = notify(&mock, &token, "1", "x-1", "标题").await;
    assert_eq!(code_of(&unknown), codes::NOT_FOUND);
    let tenant = TENANT_ID.to_string();
    let id = contact(&mock).account_id.to_string();
    let no_card: Response<MessageSent> = mock
        .zzd(
            &mock.a,
            "POST",
            WORK_NOTIFICATION_PATH,
            &[
                ("access_token", &token),
                ("tenantId", &tenant),
                ("receiverIds", &id),
                ("bizMsgId", "x-2"),
                ("msg", "{\"msgtype\":\"text\"}"),
            ],
        )
        .await;
    assert_eq!(code_of(&no_card), codes::PARAM_INVALID);
}

#[tokio::test]
async fn a_to_do_is_created_once_and_finished_or_cancelled_once() {
    let mock = start().await;
    let token = mock.zzd_token(&mock.a).await;
    let tenant = TENANT_ID.to_string();
    let to = contact(&mock);
    let assignee = to.account_id.to_string();
    let creator = mock.running.fixtures.officials[0].account_id.to_string();
    let create = |biz: &'static str| {
        let (token, tenant, assignee, creator) = (
            token.clone(),
            tenant.clone(),
            assignee.clone(),
            creator.clone(),
        );
        let mock = &mock;
        async move {
            mock.zzd::<TodoCreated>(
                &mock.a,
                "POST",
                TODO_CREATE_PATH,
                &[
                    ("access_token", &token),
                    ("tenantId", &tenant),
                    ("subject", "报送进展：推进重大项目"),
                    ("creatorId", &creator),
                    ("assigneeId", &assignee),
                    ("bizTaskId", biz),
                    ("mobileUrl", "https://miniapp.example/task/1"),
                    ("dueDate", "1765000000000"),
                ],
            )
            .await
        }
    };
    let uuid = create("todo-1")
        .await
        .content
        .data
        .expect("created")
        .task_uuid;
    assert_eq!(
        create("todo-1")
            .await
            .content
            .data
            .expect("again")
            .task_uuid,
        uuid
    );
    let todos = received(&mock, to.account_id).await["todos"].clone();
    assert_eq!(todos.as_array().map(Vec::len), Some(1));
    assert_eq!(todos[0]["status"], "open");

    let close = |path: &'static str| {
        let (token, tenant, uuid, assignee) = (
            token.clone(),
            tenant.clone(),
            uuid.clone(),
            assignee.clone(),
        );
        let mock = &mock;
        async move {
            mock.zzd::<bool>(
                &mock.a,
                "POST",
                path,
                &[
                    ("access_token", &token),
                    ("tenantId", &tenant),
                    ("taskUuid", &uuid),
                    ("userId", &assignee),
                ],
            )
            .await
        }
    };
    assert_eq!(close(TODO_FINISH_PATH).await.content.data, Some(true));
    assert_eq!(
        close(TODO_FINISH_PATH).await.content.data,
        Some(true),
        "finishing twice is harmless"
    );
    assert_eq!(code_of(&close(TODO_CANCEL_PATH).await), codes::TODO_CLOSED);
    assert_eq!(
        received(&mock, to.account_id).await["todos"][0]["status"],
        "finished"
    );
}

#[tokio::test]
async fn while_messaging_is_down_calls_get_503_and_nothing_is_delivered() {
    let mock = start().await;
    let token = mock.zzd_token(&mock.a).await;
    let to = contact(&mock);
    let down = mock
        .http
        .put(mock.url(MESSAGING_PATH))
        .json(&json!({"down": true}))
        .send()
        .await
        .expect("sent");
    assert_eq!(down.status(), StatusCode::OK);
    let tenant = TENANT_ID.to_string();
    let id = to.account_id.to_string();
    let msg = card("督查催办");
    let refused = mock
        .zzd_call(
            &mock.a,
            "POST",
            WORK_NOTIFICATION_PATH,
            &[
                ("access_token", &token),
                ("tenantId", &tenant),
                ("receiverIds", &id),
                ("bizMsgId", "urge-1"),
                ("msg", &msg),
            ],
            &mock_platform::grants::random_hex(),
        )
        .await;
    assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
    let sent: Value = mock
        .http
        .get(mock.url(SENT_PATH))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(sent["refusedWhileDown"], 1);
    assert_eq!(sent["notifications"], json!([]));

    mock.http
        .put(mock.url(MESSAGING_PATH))
        .json(&json!({"down": false}))
        .send()
        .await
        .expect("sent");
    let later = notify(&mock, &token, &id, "urge-1", "督查催办").await;
    assert!(later.content.success);
    assert_eq!(
        received(&mock, to.account_id).await["notifications"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}

#[tokio::test]
async fn employees_come_in_batches_with_their_leader_positions() {
    let mock = start().await;
    let token = mock.zzd_token(&mock.a).await;
    let tenant = TENANT_ID.to_string();
    let f = &mock.running.fixtures;
    let office = f
        .organisations
        .iter()
        .find(|o| o.name == SUPERVISION_OFFICE_NAME)
        .expect("the office");
    let staff: Vec<&Official> = f
        .officials
        .iter()
        .filter(|o| o.organisation_code == office.code)
        .collect();
    let codes_asked = staff
        .iter()
        .map(|o| o.employee_code.as_str())
        .chain(["GE_nobody"])
        .collect::<Vec<_>>()
        .join(",");
    let answer: Response<Vec<Employee>> = mock
        .zzd(
            &mock.a,
            "POST",
            EMPLOYEES_BY_CODES_PATH,
            &[
                ("access_token", &token),
                ("tenantId", &tenant),
                ("employeeCodes", &codes_asked),
            ],
        )
        .await;
    let employees = answer.content.data.expect("employees");
    assert_eq!(employees.len(), staff.len(), "the unknown code is left out");
    assert!(
        employees[0].positions[0].leader,
        "the office's head leads it"
    );
    assert!(employees.iter().skip(1).all(|e| !e.positions[0].leader));
}
