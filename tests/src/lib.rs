//! The end-to-end harness: the mock platform and the BFF started in process on random ports,
//! once per test binary and backend, driven over real HTTP.
//!
//! Servers run on a background runtime that outlives every test, so each `#[tokio::test]` (with
//! its own short-lived runtime) talks to them only over sockets, as a phone would.

pub mod policy;

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use zhelikit_domain::paths;

use bff_server::storage::AuditEvent;
use bff_server::{AppState, Config, RunningBff};
use mock_platform::fixtures::Fixtures;
use mock_platform::{MockConfig, RegisteredApp, RunningMock};
use platform_api::dingtalk_sign::AppCredentials;
use platform_api::irs::Credentials;
use serde_json::{json, Value};
use tokio::sync::OnceCell;

/// The storage and cache a stack runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The embedded default: SQLite and the in-process cache and rate limiter.
    Sqlite,
    /// Production: PostgreSQL and Redis (started by `scripts/test`).
    Postgres,
}

/// Fixture seed of every test stack: the same people on every machine.
pub const SEED: u64 = 20190415;
/// The relying party the soft authenticator talks to.
pub const PASSKEY_ORIGIN: &str = "https://zhelikit.test";

/// A running mock platform + BFF.
pub struct Stack {
    /// Which storage the BFF uses.
    pub backend: Backend,
    /// `http://127.0.0.1:PORT` of the BFF.
    pub bff: String,
    /// `http://127.0.0.1:PORT` of the mock platform.
    pub platform: String,
    /// The people the mock knows.
    pub fixtures: Arc<Fixtures>,
    /// The BFF's registration at the platform.
    pub app: RegisteredApp,
    /// Another application registered at the platform (for other-app tickets).
    pub other_app: RegisteredApp,
    /// Each demo mini-app's own registration at the platform, by mini-app id.
    pub mini_apps: std::collections::HashMap<String, RegisteredApp>,
    /// The configuration the BFF was started with.
    pub config: Config,
    state: AppState,
    /// The mock platform (its state sets department faults and counts requests).
    pub mock: RunningMock,
    _bff: RunningBff,
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .thread_name("e2e-servers")
            .build()
            .expect("server runtime")
    })
}

fn registered_app(name: &str) -> RegisteredApp {
    // Secrets are random per run: nothing here is a credential anywhere else.
    let secret = || uuid::Uuid::new_v4().simple().to_string();
    RegisteredApp {
        service_code: format!("{name}-service"),
        callback_urls: vec![format!("https://{name}.test/callback/")],
        irs: Credentials {
            access_key: format!("{name}-ak"),
            secret_key: secret(),
        },
        miniprogram_app_id: format!("{name}-miniprogram"),
        zzd: AppCredentials {
            app_key: format!("{name}-zzd"),
            app_secret: secret(),
        },
    }
}

/// A new empty database on the test PostgreSQL (`ZK_TEST_POSTGRES_URL`).
pub async fn fresh_postgres_url() -> String {
    use sqlx::Connection as _;
    let admin = std::env::var("ZK_TEST_POSTGRES_URL")
        .expect("ZK_TEST_POSTGRES_URL is not set: run the tests with scripts/test, which starts PostgreSQL and Redis");
    let name = format!("zk_e2e_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .expect("connect to test PostgreSQL");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("create database");
    let base = admin
        .rsplit_once('/')
        .map(|(b, _)| b.to_string())
        .unwrap_or(admin);
    format!("{base}/{name}")
}

/// A BFF configuration pointing at `platform` for `app`, on `backend`.
pub async fn bff_config(backend: Backend, platform: &str, app: &RegisteredApp) -> Config {
    let env = |name: &str| -> Option<String> {
        Some(match name {
            "BFF_ADDR" => "127.0.0.1:0".into(),
            "ZK_PLATFORM_URL" => platform.into(),
            "ZK_ZLB_SERVICE_CODE" => app.service_code.clone(),
            "ZK_IRS_ACCESS_KEY" => app.irs.access_key.clone(),
            "ZK_IRS_SECRET_KEY" => app.irs.secret_key.clone(),
            "ZK_MINIPROGRAM_APP_ID" => app.miniprogram_app_id.clone(),
            "ZK_ZZD_APP_KEY" => app.zzd.app_key.clone(),
            "ZK_ZZD_APP_SECRET" => app.zzd.app_secret.clone(),
            "ZK_ISSUER" => "https://bff.zhelikit.test".into(),
            "ZK_PASSKEY_RP_ID" => "zhelikit.test".into(),
            "ZK_PASSKEY_ORIGINS" => {
                format!("{PASSKEY_ORIGIN},android:apk-key-hash:zhelikit-test-apk-hash")
            }
            _ => return None,
        })
    };
    let mut config = Config::load(env).expect("test configuration");
    match backend {
        Backend::Sqlite => {
            let path =
                std::env::temp_dir().join(format!("zk-e2e-{}.db", uuid::Uuid::new_v4().simple()));
            config.database_url = format!("sqlite:{}", path.display());
        }
        Backend::Postgres => {
            config.database_url = fresh_postgres_url().await;
            config.redis_url = Some(
                std::env::var("ZK_TEST_REDIS_URL")
                    .expect("ZK_TEST_REDIS_URL is not set: run the tests with scripts/test"),
            );
            config.redis_prefix = format!("zk-e2e-{}:", uuid::Uuid::new_v4().simple());
        }
    }
    // A development deployment: supervision's tests move the calendar clock of their own stacks.
    config.dev_clock = true;
    // Many tests log in from 127.0.0.1 at once; the limits themselves are tested separately.
    config.rate_limits.login_per_client = 10_000;
    config.rate_limits.refresh_per_client = 10_000;
    config.rate_limits.login_per_user = 10_000;
    config.rate_limits.refresh_per_user = 10_000;
    config
}

impl Stack {
    async fn start(backend: Backend) -> Stack {
        Self::start_with(backend, |_| {}).await
    }

    async fn start_with(
        backend: Backend,
        tweak: impl FnOnce(&mut Config) + Send + 'static,
    ) -> Stack {
        let app = registered_app("zhelikit");
        let other_app = registered_app("other");
        let loopback: SocketAddr = "127.0.0.1:0".parse().expect("address");
        // The demo mini-apps' registrations, as the BFF derives them (they depend on neither
        // the platform's URL, not known yet, nor the backend).
        let registrations = bff_config(Backend::Sqlite, "http://127.0.0.1:1", &app)
            .await
            .platform
            .registrations;
        let mut apps = vec![app.clone(), other_app.clone()];
        let mut mini_apps = std::collections::HashMap::new();
        for (id, registration) in registrations {
            let registered = RegisteredApp::new(registration, app.callback_urls.clone());
            mini_apps.insert(id, registered.clone());
            apps.push(registered);
        }
        let mock = mock_platform::spawn(MockConfig { seed: SEED, apps }, loopback)
            .await
            .expect("mock platform");
        let mut config = bff_config(backend, &mock.base_url, &app).await;
        // Pushes go to the mock FCM, with its demo service account.
        config.push.fcm_account = Some(mock.state.fcm.service_account(&mock.base_url));
        config.push.fcm_url = format!("{}{}", mock.base_url, mock_platform::fcm::FCM_BASE);
        let hms = mock.state.hms.credentials();
        config.push.hms = Some(zhelikit_push::channels::hms::HmsAccount {
            app_id: hms.client_id,
            client_secret: hms.client_secret,
            token_url: format!("{}{}", mock.base_url, mock_platform::hms::TOKEN_PATH),
            push_url: format!("{}{}", mock.base_url, mock_platform::hms::PUSH_BASE),
        });
        config.push.apns = Some(mock.state.apns.team_key());
        config.push.apns_url = format!("{}{}", mock.base_url, mock_platform::apns::APNS_BASE);
        tweak(&mut config);
        let bff = bff_server::spawn(config.clone()).await.expect("BFF");
        // The mock bank calls the BFF, which started after it.
        mock.state.bff.set(&bff.base_url);
        Stack {
            backend,
            bff: bff.base_url.clone(),
            platform: mock.base_url.clone(),
            fixtures: mock.fixtures.clone(),
            app,
            other_app,
            mini_apps,
            config,
            state: bff.state.clone(),
            mock,
            _bff: bff,
        }
    }

    /// The BFF's state (its store, its jobs), for what a test sets up behind the API (closing
    /// a form version, as an operator would).
    pub fn app(&self) -> &AppState {
        &self.state
    }

    /// How many rows `table` of the BFF's database holds (PostgreSQL or SQLite).
    pub async fn count_rows(&self, table: &str) -> i64 {
        use sqlx::Connection as _;
        let sql = format!("SELECT COUNT(*) FROM {table}");
        let url = &self.config.database_url;
        let (rows,): (i64,) = if url.starts_with("sqlite:") {
            let mut db = sqlx::SqliteConnection::connect(url).await.expect("sqlite");
            sqlx::query_as(&sql)
                .fetch_one(&mut db)
                .await
                .expect("count")
        } else {
            let mut db = sqlx::PgConnection::connect(url).await.expect("postgres");
            sqlx::query_as(&sql)
                .fetch_one(&mut db)
                .await
                .expect("count")
        };
        rows
    }

    /// The newest recorded department calls, newest first.
    pub async fn upstream_calls(&self, limit: i64) -> Vec<bff_server::storage::UpstreamCall> {
        let store = self.state.store.clone();
        runtime()
            .spawn(async move {
                store
                    .recent_upstream_calls(limit)
                    .await
                    .expect("upstream calls")
            })
            .await
            .expect("task")
    }

    /// Since when the BFF's push channel `channel` has had its credential refused (the alert
    /// `push_credential_refused` shows), if it has.
    pub fn push_credential_refused_since(&self, channel: &str) -> Option<std::time::SystemTime> {
        self.state
            .channels
            .all()
            .find(|o| o.name() == channel)
            .and_then(|o| o.credential_refused_since())
    }

    /// The newest audit events, newest first.
    pub async fn audit(&self, limit: i64) -> Vec<AuditEvent> {
        let store = self.state.store.clone();
        runtime()
            .spawn(async move { store.recent_audit(limit).await.expect("audit") })
            .await
            .expect("audit task")
    }
}

/// The shared stack of this test binary for `backend`.
pub async fn stack(backend: Backend) -> &'static Stack {
    static SQLITE: OnceCell<Stack> = OnceCell::const_new();
    static POSTGRES: OnceCell<Stack> = OnceCell::const_new();
    let cell = match backend {
        Backend::Sqlite => &SQLITE,
        Backend::Postgres => &POSTGRES,
    };
    cell.get_or_init(|| async move {
        runtime()
            .spawn(Stack::start(backend))
            .await
            .expect("stack start")
    })
    .await
}

/// A stack of its own, for tests that move the mock platform's clock or change the BFF's
/// configuration (`tweak`).
pub async fn private_stack(
    backend: Backend,
    tweak: impl FnOnce(&mut Config) + Send + 'static,
) -> Stack {
    runtime()
        .spawn(Stack::start_with(backend, tweak))
        .await
        .expect("stack start")
}

impl Stack {
    /// The BFF's configuration as this stack's BFF had it, before any tweak: for starting a
    /// second BFF (e.g. with wrong credentials) against the same platform.
    pub async fn bff_config(&self) -> Config {
        bff_config(self.backend, &self.platform, &self.app).await
    }
}

/// Starts a BFF with `config` on the server runtime.
pub async fn start_bff(config: Config) -> Result<RunningBff, String> {
    runtime()
        .spawn(async move { bff_server::spawn(config).await.map_err(|e| e.to_string()) })
        .await
        .expect("BFF task")
}

/// Starts a job worker of its own (`zhelikit-worker`'s code) with `config`, on the server
/// runtime; stop it with `state.jobs.stop()`.
pub async fn start_worker(config: Config) -> Result<AppState, String> {
    runtime()
        .spawn(async move {
            bff_server::server::spawn_worker(config)
                .await
                .map_err(|e| e.to_string())
        })
        .await
        .expect("worker task")
}

/// Runs a scenario on both backends: `both_backends!(name)` defines `name::sqlite` and
/// `name::postgres` tests calling `async fn name(stack: &Stack)`.
#[macro_export]
macro_rules! both_backends {
    ($($scenario:ident),* $(,)?) => {$(
        mod $scenario {
            #[tokio::test]
            async fn sqlite() {
                super::$scenario($crate::stack($crate::Backend::Sqlite).await).await;
            }
            #[tokio::test]
            async fn postgres() {
                super::$scenario($crate::stack($crate::Backend::Postgres).await).await;
            }
        }
    )*};
}

/// An HTTP client that does not follow redirects (the SSO pages answer 302 with the ticket).
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// Asserts that an answer is the problem `code` with HTTP `expected_status`; on failure the
/// message shows the whole body, so a wrong answer explains itself.
#[track_caller]
pub fn assert_problem(status: u16, problem: &Value, expected_status: u16, code: &str) {
    assert_eq!(
        (status, problem["code"].as_str()),
        (expected_status, Some(code)),
        "{problem}"
    );
}

/// A response's status and JSON body (problem documents included).
pub async fn json_of(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let text = response.text().await.expect("body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    if status >= 400 {
        assert_eq!(
            content_type, "application/problem+json",
            "error {status} must be problem JSON: {body}"
        );
    }
    (status, body)
}

impl Stack {
    fn ticket_from_location(response: &reqwest::Response) -> String {
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .expect("302 with Location");
        let url = url::Url::parse(location).expect("Location is a URL");
        url.query_pairs()
            .find(|(k, _)| k == "ticket")
            .map(|(_, v)| v.into_owned())
            .expect("ticket in the callback")
    }

    /// A 浙里办 personal ticket for `userid`, issued to `app` through the login page.
    pub async fn ticket_for(&self, app: &RegisteredApp, userid: &str) -> String {
        let goto = format!("{}zk-demo", app.callback_urls[0]);
        let response = http()
            .post(format!("{}/sso/login", self.platform))
            .form(&[
                ("servicecode", app.service_code.as_str()),
                ("goto", goto.as_str()),
                ("userid", userid),
            ])
            .send()
            .await
            .expect("login page");
        assert_eq!(
            response.status().as_u16(),
            302,
            "the login page redirects with a ticket"
        );
        Self::ticket_from_location(&response)
    }

    /// The platform registration of demo mini-app `mini_app`.
    pub fn registration(&self, mini_app: &str) -> &RegisteredApp {
        self.mini_apps
            .get(mini_app)
            .unwrap_or_else(|| panic!("{mini_app} is not a demo mini-app"))
    }

    /// A personal ticket issued to 掌上办事 (`zk-demo-services`).
    pub async fn citizen_ticket(&self, userid: &str) -> String {
        self.citizen_ticket_for("zk-demo-services", userid).await
    }

    /// A personal ticket issued to `mini_app`.
    pub async fn citizen_ticket_for(&self, mini_app: &str, userid: &str) -> String {
        self.ticket_for(self.registration(mini_app), userid).await
    }

    /// A legal-person ticket for enterprise `userid`, issued to 惠企政策 (`zk-demo-policy`).
    pub async fn legal_person_ticket(&self, userid: &str) -> String {
        self.legal_person_ticket_for("zk-demo-policy", userid).await
    }

    /// A legal-person ticket for enterprise `userid`, issued to `mini_app`.
    pub async fn legal_person_ticket_for(&self, mini_app: &str, userid: &str) -> String {
        let app = self.registration(mini_app);
        let goto = format!("{}zk-demo", app.callback_urls[0]);
        let response = http()
            .post(format!("{}/sso/legal/login", self.platform))
            .form(&[
                ("servicecode", app.service_code.as_str()),
                ("goto", goto.as_str()),
                ("userid", userid),
            ])
            .send()
            .await
            .expect("legal login page");
        assert_eq!(response.status().as_u16(), 302);
        Self::ticket_from_location(&response)
    }

    /// A mini-program `ticketId` for `userid` (citizen or enterprise), issued to `mini_app`.
    pub async fn ticket_id(&self, mini_app: &str, userid: &str) -> String {
        let response = http()
            .post(format!("{}/sso/miniprogram/ticket", self.platform))
            .json(
                &json!({"appId": self.registration(mini_app).miniprogram_app_id, "userid": userid}),
            )
            .send()
            .await
            .expect("ticketId");
        let (status, body) = json_of(response).await;
        assert_eq!(status, 200, "{body}");
        body["ticketId"].as_str().expect("ticketId").to_string()
    }

    /// A 浙政钉 auth code for the official with `account_id`, issued to 政务督查
    /// (`zk-demo-supervision`).
    pub async fn auth_code(&self, account_id: i64) -> String {
        self.auth_code_for("zk-demo-supervision", account_id).await
    }

    /// A 浙政钉 auth code for the official with `account_id`, issued to `mini_app`.
    pub async fn auth_code_for(&self, mini_app: &str, account_id: i64) -> String {
        let response = http()
            .post(format!("{}/zzd/auth/code", self.platform))
            .json(&json!({"appkey": self.registration(mini_app).zzd.app_key, "accountId": account_id}))
            .send()
            .await
            .expect("auth code");
        let (status, body) = json_of(response).await;
        assert_eq!(status, 200, "{body}");
        body["code"].as_str().expect("code").to_string()
    }

    /// Moves the mock platform's clock forward (ticket and code expiry only).
    pub async fn advance_platform_clock(&self, seconds: i64) {
        let response = http()
            .post(format!("{}/__admin/clock/advance", self.platform))
            .json(&json!({"seconds": seconds}))
            .send()
            .await
            .expect("clock");
        assert!(response.status().is_success());
    }

    /// POSTs JSON to the BFF.
    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        json_of(
            http()
                .post(format!("{}{path}", self.bff))
                .json(&body)
                .send()
                .await
                .expect("request"),
        )
        .await
    }

    /// POSTs JSON to the BFF with a bearer token.
    pub async fn post_authed(&self, path: &str, token: &str, body: Value) -> (u16, Value) {
        json_of(
            http()
                .post(format!("{}{path}", self.bff))
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .expect("request"),
        )
        .await
    }

    /// GETs from the BFF with a bearer token.
    pub async fn get_authed(&self, path: &str, token: &str) -> (u16, Value) {
        json_of(
            http()
                .get(format!("{}{path}", self.bff))
                .bearer_auth(token)
                .send()
                .await
                .expect("request"),
        )
        .await
    }

    /// Logs citizen `userid` in to `mini_app`; returns the session JSON.
    pub async fn login_citizen(&self, userid: &str, mini_app: &str) -> Value {
        let ticket = self.citizen_ticket_for(mini_app, userid).await;
        let (status, body) = self
            .post(
                paths::ZLB_TICKET,
                json!({"mini_app_id": mini_app, "ticket": ticket}),
            )
            .await;
        assert_eq!(status, 200, "login of {userid} to {mini_app}: {body}");
        body
    }

    /// Logs enterprise account `userid` in to `mini_app` with a legal-person ticket; the session.
    pub async fn login_legal_person(&self, userid: &str, mini_app: &str) -> Value {
        let ticket = self.legal_person_ticket_for(mini_app, userid).await;
        let (status, body) = self
            .post(
                paths::ZLB_LEGAL_TICKET,
                json!({"mini_app_id": mini_app, "ticket": ticket}),
            )
            .await;
        assert_eq!(status, 200, "login of {userid} to {mini_app}: {body}");
        body
    }

    /// Logs official `account_id` in to `mini_app` with a 浙政钉 auth code; the session.
    pub async fn login_official(&self, account_id: i64, mini_app: &str) -> Value {
        let code = self.auth_code_for(mini_app, account_id).await;
        let (status, body) = self
            .post(
                paths::ZZD_AUTH_CODE,
                json!({"mini_app_id": mini_app, "auth_code": code}),
            )
            .await;
        assert_eq!(status, 200, "login of {account_id} to {mini_app}: {body}");
        body
    }
}

/// What a job worker started as a process of its own (`e2e-worker`) is told of the stack it
/// works for: passed as JSON in `ZK_E2E_WORKER_SPEC`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct WorkerSpec {
    /// The mock platform.
    pub platform: String,
    /// The stack's database.
    pub database_url: String,
    /// The stack's Redis.
    pub redis_url: Option<String>,
    /// The stack's key prefix there.
    pub redis_prefix: String,
    /// The job lease, milliseconds.
    pub lease_ms: u64,
    /// The push channels' settings, as the stack has them.
    pub push: bff_server::config::PushSettings,
}

impl WorkerSpec {
    /// The spec of a worker for `stack`.
    pub fn of(stack: &Stack) -> Self {
        let c = &stack.config;
        WorkerSpec {
            platform: stack.platform.clone(),
            database_url: c.database_url.clone(),
            redis_url: c.redis_url.clone(),
            redis_prefix: c.redis_prefix.clone(),
            lease_ms: c.jobs.lease.as_millis() as u64,
            push: c.push.clone(),
        }
    }

    /// The worker's configuration: the stack's, as the test harness makes it.
    pub async fn config(&self) -> Config {
        let mut config =
            bff_config(Backend::Sqlite, &self.platform, &registered_app("zhelikit")).await;
        config.database_url = self.database_url.clone();
        config.redis_url = self.redis_url.clone();
        config.redis_prefix = self.redis_prefix.clone();
        config.jobs.lease = std::time::Duration::from_millis(self.lease_ms);
        config.push = self.push.clone();
        config
    }
}
