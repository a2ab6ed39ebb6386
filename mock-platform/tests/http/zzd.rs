use mock_platform::fixtures::TENANT_ID;
use mock_platform::zzd::{AuthCodeAnswer, AUTH_CODE_API_PATH};
use platform_api::zzd::{
    codes, AppToken, AppUser, Employee, EmployeeAccount, Organisation, Page, Response,
    AUTH_CODE_PAGE_PATH, EMPLOYEE_ACCOUNT_IDS_PATH, EMPLOYEE_BY_CODE_PATH, GET_TOKEN_PATH,
    ORGANIZATION_BY_CODE_PATH, ORGANIZATION_EMPLOYEE_CODES_PATH, ROOT_ORGANIZATION_PATH,
    SUB_ORGANIZATION_CODES_PATH, USER_BY_CODE_PATH,
};
use reqwest::StatusCode;
use serde_json::json;

use crate::common::{query, start, Mock, CALLBACK_A};

async fn auth_code(mock: &Mock, appkey: &str, account_id: i64) -> String {
    let response = mock
        .http
        .post(mock.url(AUTH_CODE_API_PATH))
        .json(&json!({ "appkey": appkey, "accountId": account_id }))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    response.json::<AuthCodeAnswer>().await.expect("code").code
}

async fn user_by_code(mock: &Mock, token: &str, code: &str) -> Response<AppUser> {
    mock.zzd(
        &mock.a,
        "POST",
        USER_BY_CODE_PATH,
        &[("access_token", token), ("auth_code", code)],
    )
    .await
}

fn code_of<T>(r: &Response<T>) -> &str {
    &r.content.response_code
}

#[tokio::test]
async fn an_app_token_and_an_auth_code_identify_the_official_once() {
    let mock = start().await;
    let official = mock.running.fixtures.officials[0].clone();
    let token = mock.zzd_token(&mock.a).await;
    let code = auth_code(&mock, &mock.a.zzd.app_key, official.account_id).await;

    let answer = user_by_code(&mock, &token, &code).await;
    assert!(answer.success && answer.content.success, "{answer:?}");
    let user = answer.content.data.expect("user");
    assert_eq!(user.account_id, official.account_id);
    assert_eq!(user.employee_code, official.employee_code);
    assert_eq!(user.nick_name_cn, official.name);
    assert_eq!(user.realm_id, TENANT_ID);

    let again = user_by_code(&mock, &token, &code).await;
    assert!(!again.content.success);
    assert_eq!(code_of(&again), codes::AUTH_CODE_INVALID);
}

#[tokio::test]
async fn a_wrong_app_secret_gets_no_token() {
    let mock = start().await;
    let answer: Response<AppToken> = mock
        .zzd(
            &mock.a,
            "GET",
            GET_TOKEN_PATH,
            &[("appkey", &mock.a.zzd.app_key), ("appsecret", "guess")],
        )
        .await;
    assert!(!answer.content.success);
    assert_eq!(code_of(&answer), codes::APP_SECRET_INVALID);
    assert!(answer.content.data.is_none());
}

#[tokio::test]
async fn the_auth_page_redirects_with_a_code_the_server_can_exchange() {
    let mock = start().await;
    let q = query(&[("appkey", &mock.a.zzd.app_key), ("redirect", CALLBACK_A)]);
    let page = mock
        .http
        .get(mock.url(&format!("{AUTH_CODE_PAGE_PATH}?{q}")))
        .send()
        .await
        .expect("sent");
    assert_eq!(page.status(), StatusCode::OK);
    let elsewhere = query(&[
        ("appkey", &mock.a.zzd.app_key),
        ("redirect", "https://evil.example/steal"),
    ]);
    let refused = mock
        .http
        .get(mock.url(&format!("{AUTH_CODE_PAGE_PATH}?{elsewhere}")))
        .send()
        .await
        .expect("sent");
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);

    let official = &mock.running.fixtures.officials[3];
    let location = mock
        .log_in(
            AUTH_CODE_PAGE_PATH,
            &[
                ("appkey", mock.a.zzd.app_key.as_str()),
                ("redirect", CALLBACK_A),
                ("accountId", &official.account_id.to_string()),
            ],
        )
        .await;
    assert!(
        location.starts_with(&format!("{CALLBACK_A}?code=")),
        "{location}"
    );
    let code = Mock::param_of(&location, "code");
    let token = mock.zzd_token(&mock.a).await;
    let user = user_by_code(&mock, &token, &code).await.content.data;
    assert_eq!(user.map(|u| u.account_id), Some(official.account_id));
}

#[tokio::test]
async fn codes_and_tokens_are_refused_for_the_wrong_app_bad_token_or_expiry() {
    let mock = start().await;
    let account = mock.running.fixtures.officials[1].account_id;
    let token = mock.zzd_token(&mock.a).await;

    let for_b = auth_code(&mock, &mock.b.zzd.app_key, account).await;
    assert_eq!(
        code_of(&user_by_code(&mock, &token, &for_b).await),
        codes::AUTH_CODE_OTHER_APP
    );

    let code = auth_code(&mock, &mock.a.zzd.app_key, account).await;
    assert_eq!(
        code_of(&user_by_code(&mock, "bad-token", &code).await),
        codes::ACCESS_TOKEN_INVALID
    );
    let token_b = mock.zzd_token(&mock.b).await;
    assert_eq!(
        code_of(&user_by_code(&mock, &token_b, &code).await),
        codes::ACCESS_TOKEN_INVALID
    );
    assert_eq!(
        code_of(&user_by_code(&mock, &token, &"0".repeat(32)).await),
        codes::AUTH_CODE_INVALID
    );

    mock.advance_clock(301).await;
    assert_eq!(
        code_of(&user_by_code(&mock, &token, &code).await),
        codes::AUTH_CODE_INVALID
    );
    mock.advance_clock(7200).await;
    let fresh = auth_code(&mock, &mock.a.zzd.app_key, account).await;
    assert_eq!(
        code_of(&user_by_code(&mock, &token, &fresh).await),
        codes::ACCESS_TOKEN_INVALID
    );
}

#[tokio::test]
async fn the_organisation_tree_can_be_walked_from_the_root_to_account_ids() {
    let mock = start().await;
    let token = mock.zzd_token(&mock.a).await;
    let tenant = TENANT_ID.to_string();
    let base = [
        ("access_token", token.as_str()),
        ("tenantId", tenant.as_str()),
    ];

    let root: Response<Organisation> = mock
        .zzd(&mock.a, "POST", ROOT_ORGANIZATION_PATH, &base)
        .await;
    let root = root.content.data.expect("root");
    assert_eq!(root.organization_name, "温州市人民政府");
    assert_eq!(root.parent_code, "");

    let mut params = base.to_vec();
    params.extend([
        ("organizationCode", root.organization_code.as_str()),
        ("pageNo", "1"),
        ("pageSize", "5"),
    ]);
    let first: Response<Page> = mock
        .zzd(&mock.a, "POST", SUB_ORGANIZATION_CODES_PATH, &params)
        .await;
    let first = first.content.data.expect("page");
    assert_eq!(first.data.len(), 5);
    assert!(first.total_size >= 8);
    assert_eq!(first.current_page, 1);

    let department_code = first.data[0].clone();
    let mut by_code = base.to_vec();
    by_code.push(("organizationCode", &department_code));
    let department: Response<Organisation> = mock
        .zzd(&mock.a, "POST", ORGANIZATION_BY_CODE_PATH, &by_code)
        .await;
    let department = department.content.data.expect("department");
    assert_eq!(department.parent_code, root.organization_code);

    let staff: Response<Page> = mock
        .zzd(&mock.a, "POST", ORGANIZATION_EMPLOYEE_CODES_PATH, &by_code)
        .await;
    let staff = staff.content.data.expect("staff");
    assert!(staff.data.len() >= 5);

    let mut employee_params = base.to_vec();
    employee_params.push(("employeeCode", &staff.data[0]));
    let employee: Response<Employee> = mock
        .zzd(&mock.a, "POST", EMPLOYEE_BY_CODE_PATH, &employee_params)
        .await;
    let employee = employee.content.data.expect("employee");
    assert_eq!(employee.positions[0].organization_code, department_code);
    assert!(employee.positions[0].main_job);

    let list = staff.data[..2].join(",");
    let mut ids_params = base.to_vec();
    ids_params.push(("employeeCodes", &list));
    let ids: Response<Vec<EmployeeAccount>> = mock
        .zzd(&mock.a, "POST", EMPLOYEE_ACCOUNT_IDS_PATH, &ids_params)
        .await;
    let ids = ids.content.data.expect("ids");
    assert_eq!(ids.len(), 2);
    assert_eq!(ids[0].employee_code, staff.data[0]);
}

#[tokio::test]
async fn organisation_queries_need_a_tenant_and_a_valid_token() {
    let mock = start().await;
    let token = mock.zzd_token(&mock.a).await;
    let no_tenant: Response<Organisation> = mock
        .zzd(
            &mock.a,
            "POST",
            ROOT_ORGANIZATION_PATH,
            &[("access_token", &token)],
        )
        .await;
    assert_eq!(code_of(&no_tenant), codes::PARAM_INVALID);
    let bad_token: Response<Organisation> = mock
        .zzd(
            &mock.a,
            "POST",
            ROOT_ORGANIZATION_PATH,
            &[("access_token", "x"), ("tenantId", &TENANT_ID.to_string())],
        )
        .await;
    assert_eq!(code_of(&bad_token), codes::ACCESS_TOKEN_INVALID);
    let other_tenant: Response<Organisation> = mock
        .zzd(
            &mock.a,
            "POST",
            ROOT_ORGANIZATION_PATH,
            &[("access_token", &token), ("tenantId", "1")],
        )
        .await;
    assert_eq!(code_of(&other_tenant), codes::NOT_FOUND);
}

#[tokio::test]
async fn a_replayed_nonce_is_refused_with_401() {
    let mock = start().await;
    let token = mock.zzd_token(&mock.a).await;
    let params = [("access_token", token.as_str()), ("tenantId", "196729")];
    let first = mock
        .zzd_call(&mock.a, "POST", ROOT_ORGANIZATION_PATH, &params, "nonce-1")
        .await;
    assert_eq!(first.status(), StatusCode::OK);
    let replay = mock
        .zzd_call(&mock.a, "POST", ROOT_ORGANIZATION_PATH, &params, "nonce-1")
        .await;
    assert_eq!(replay.status(), StatusCode::UNAUTHORIZED);
    let body: Response<Organisation> = replay.json().await.expect("JSON");
    assert!(!body.success);
    assert_eq!(body.content.response_code, "SIGNATURE_INVALID");
    assert!(body.content.response_message.contains("nonce"));
}

#[tokio::test]
async fn a_tampered_or_unsigned_zzd_request_is_refused_with_401() {
    let mock = start().await;
    let headers = platform_api::dingtalk_sign::sign(
        &mock.a.zzd,
        "POST",
        ROOT_ORGANIZATION_PATH,
        "tenantId=196729",
        "n-tampered",
        chrono::Utc::now(),
    );
    let mut request = mock
        .http
        .post(mock.url(ROOT_ORGANIZATION_PATH))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("tenantId=1");
    for (name, value) in headers {
        request = request.header(name, value);
    }
    let tampered = request.send().await.expect("sent");
    assert_eq!(tampered.status(), StatusCode::UNAUTHORIZED);

    let unsigned = mock
        .http
        .get(mock.url(&format!("{GET_TOKEN_PATH}?appkey=a&appsecret=b")))
        .send()
        .await
        .expect("sent");
    assert_eq!(unsigned.status(), StatusCode::UNAUTHORIZED);
    let body: Response<AppToken> = unsigned.json().await.expect("JSON");
    assert!(body.content.response_message.contains("missing header"));
}
