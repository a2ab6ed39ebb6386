//! A mock with two registered apps, and signed-request helpers built on platform-api.

use chrono::{DateTime, Utc};
use mock_platform::{MockConfig, RegisteredApp, RunningMock};
use platform_api::departments::{Department, EnterpriseQuery, Operation, PersonQuery};
use platform_api::{dingtalk_sign, irs};
use reqwest::header::LOCATION;
use reqwest::StatusCode;
use serde::de::DeserializeOwned;

pub const SEED: u64 = 20_190_415;
pub const CALLBACK_A: &str = "https://app-a.example/auth/zlb/callback";
pub const CALLBACK_B: &str = "https://app-b.example/auth/callback";

pub fn app(name: &str, callback: &str) -> RegisteredApp {
    RegisteredApp {
        service_code: format!("{name}-service"),
        callback_urls: vec![callback.to_string()],
        irs: irs::Credentials {
            access_key: format!("{name}-ak"),
            secret_key: format!("{name}-sk"),
        },
        miniprogram_app_id: format!("{name}-miniapp"),
        zzd: dingtalk_sign::AppCredentials {
            app_key: format!("{name}-zzd-key"),
            app_secret: format!("{name}-zzd-secret"),
        },
    }
}

pub struct Mock {
    pub running: RunningMock,
    pub http: reqwest::Client,
    /// The app most tests act as.
    pub a: RegisteredApp,
    /// A second app, for "belongs to another app" cases.
    pub b: RegisteredApp,
}

pub fn query(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

pub async fn start() -> Mock {
    let a = app("a", CALLBACK_A);
    let b = app("b", CALLBACK_B);
    let running = mock_platform::spawn(
        MockConfig {
            seed: SEED,
            apps: vec![a.clone(), b.clone()],
        },
        "127.0.0.1:0".parse().expect("address"),
    )
    .await
    .expect("mock starts");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    Mock {
        running,
        http,
        a,
        b,
    }
}

impl Mock {
    pub fn url(&self, path_and_query: &str) -> String {
        format!("{}{path_and_query}", self.running.base_url)
    }

    /// A GET through the IRS gateway, signed by `app` as if at `now`.
    pub async fn irs_get_at(
        &self,
        app: &RegisteredApp,
        path: &str,
        pairs: &[(&str, &str)],
        now: DateTime<Utc>,
    ) -> reqwest::Response {
        let q = query(pairs);
        let mut request = self.http.get(self.url(&format!("{path}?{q}")));
        for (name, value) in irs::sign(&app.irs, "GET", path, &q, now) {
            request = request.header(name, value);
        }
        request.send().await.expect("request sent")
    }

    pub async fn irs_get<T: DeserializeOwned>(
        &self,
        app: &RegisteredApp,
        path: &str,
        pairs: &[(&str, &str)],
    ) -> T {
        let response = self.irs_get_at(app, path, pairs, Utc::now()).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.expect("JSON answer")
    }

    /// A JSON POST through the IRS gateway, signed by `app` (empty query).
    pub async fn irs_post<T: DeserializeOwned>(
        &self,
        app: &RegisteredApp,
        path: &str,
        body: &serde_json::Value,
    ) -> T {
        let mut request = self.http.post(self.url(path)).json(body);
        for (name, value) in irs::sign(&app.irs, "POST", path, "", Utc::now()) {
            request = request.header(name, value);
        }
        let response = request.send().await.expect("request sent");
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.expect("JSON answer")
    }

    /// A 浙政钉 call signed by `app` with `nonce`: GET with a query, POST with a form body.
    pub async fn zzd_call(
        &self,
        app: &RegisteredApp,
        method: &str,
        path: &str,
        pairs: &[(&str, &str)],
        nonce: &str,
    ) -> reqwest::Response {
        let params = query(pairs);
        let mut request = if method == "GET" {
            self.http.get(self.url(&format!("{path}?{params}")))
        } else {
            self.http
                .post(self.url(path))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(params.clone())
        };
        for (name, value) in dingtalk_sign::sign(&app.zzd, method, path, &params, nonce, Utc::now())
        {
            request = request.header(name, value);
        }
        request.send().await.expect("request sent")
    }

    /// A 浙政钉 call with a fresh nonce that must pass the gateway.
    pub async fn zzd<T: DeserializeOwned>(
        &self,
        app: &RegisteredApp,
        method: &str,
        path: &str,
        pairs: &[(&str, &str)],
    ) -> platform_api::zzd::Response<T> {
        let nonce = mock_platform::grants::random_hex();
        let response = self.zzd_call(app, method, path, pairs, &nonce).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.expect("JSON answer")
    }

    pub async fn zzd_token(&self, app: &RegisteredApp) -> String {
        let answer: platform_api::zzd::Response<platform_api::zzd::AppToken> = self
            .zzd(
                app,
                "GET",
                platform_api::zzd::GET_TOKEN_PATH,
                &[
                    ("appkey", &app.zzd.app_key),
                    ("appsecret", &app.zzd.app_secret),
                ],
            )
            .await;
        answer.content.data.expect("a token").access_token
    }

    /// Submits a login form and returns the redirect's `Location`.
    pub async fn log_in(&self, page: &str, form: &[(&str, &str)]) -> String {
        let response = self
            .http
            .post(self.url(page))
            .form(form)
            .send()
            .await
            .expect("login posted");
        assert_eq!(response.status(), StatusCode::FOUND);
        response
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .expect("a Location")
            .to_string()
    }

    /// The value of `name` in a redirect's query.
    pub fn param_of(location: &str, name: &str) -> String {
        let url = url::Url::parse(location).expect("absolute Location");
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .expect("parameter present")
    }

    /// A personal-SSO ticket for `userid`, issued for app A.
    pub async fn personal_ticket(&self, userid: &str) -> String {
        let location = self
            .log_in(
                platform_api::zlb::PERSONAL_LOGIN_PAGE_PATH,
                &[
                    ("servicecode", &self.a.service_code),
                    ("goto", CALLBACK_A),
                    ("userid", userid),
                ],
            )
            .await;
        Self::param_of(&location, "ticket")
    }

    /// A legal-person-SSO ticket for `userid`, issued for app A.
    pub async fn legal_ticket(&self, userid: &str) -> String {
        let location = self
            .log_in(
                platform_api::zlb::LEGAL_PERSON_LOGIN_PAGE_PATH,
                &[
                    ("servicecode", &self.a.service_code),
                    ("goto", CALLBACK_A),
                    ("userid", userid),
                ],
            )
            .await;
        Self::param_of(&location, "ticket")
    }

    pub async fn advance_clock(&self, seconds: u32) {
        let response = self
            .http
            .post(self.url("/__admin/clock/advance"))
            .json(&serde_json::json!({ "seconds": seconds }))
            .send()
            .await
            .expect("advance sent");
        assert_eq!(response.status(), StatusCode::OK);
    }
}

/// What a department is asked about: the body of an operation.
pub fn question_for(mock: &Mock, operation: Operation, index: usize) -> String {
    let body = if operation.is_about_an_enterprise() {
        serde_json::to_string(&EnterpriseQuery {
            uscc: mock.running.fixtures.enterprises[index].uscc.clone(),
        })
    } else {
        serde_json::to_string(&PersonQuery {
            id_number: mock.running.fixtures.citizens[index].id_number.clone(),
        })
    };
    body.expect("a query serialises")
}

impl Mock {
    /// A department request signed by app A, sent with `client` (tests of hangs use one with a
    /// short timeout); the transport error, if any, is the caller's to inspect.
    pub async fn department_call_with(
        &self,
        client: &reqwest::Client,
        operation: Operation,
        body: String,
    ) -> reqwest::Result<reqwest::Response> {
        let path = operation.path();
        let mut request = client
            .post(self.url(path))
            .header("content-type", "application/json")
            .body(body);
        for (name, value) in irs::sign(&self.a.irs, "POST", path, "", Utc::now()) {
            request = request.header(name, value);
        }
        request.send().await
    }

    /// A department request about fixture record `index` that must answer 200 JSON.
    pub async fn department_call(&self, operation: Operation, index: usize) -> serde_json::Value {
        let body = question_for(self, operation, index);
        self.department_raw(operation, body).await
    }

    /// A department request with this exact body that must answer 200 JSON.
    pub async fn department_raw(&self, operation: Operation, body: String) -> serde_json::Value {
        let response = self
            .department_call_with(&self.http, operation, body)
            .await
            .expect("request sent");
        assert_eq!(response.status(), StatusCode::OK, "{}", operation.path());
        response.json().await.expect("JSON answer")
    }

    /// Sets a department's fault through the admin API.
    pub async fn put_fault(&self, department: Department, fault: &serde_json::Value) {
        let response = self
            .http
            .put(self.url(&mock_platform::admin::fault_path(department)))
            .json(fault)
            .send()
            .await
            .expect("fault sent");
        assert_eq!(response.status(), StatusCode::OK, "{fault}");
    }
}
