//! The simulator's HTTP surface (see the crate's documentation).

use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures::stream::Stream;
use serde::Deserialize;
use serde_json::{json, Value};
use zhelikit_domain::manifest::{load_dir, Manifest, Platform};

use crate::host::{Account, Answer, PlatformLogin};
use crate::phone::{Phone, Phones};

/// Where the simulator finds the stack and its files.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The BFF the phones' cores talk to.
    pub bff_url: String,
    /// The mock platform (credentials, demo accounts, department faults).
    pub platform_url: String,
    /// The demo base of mini-program app ids (`<base>.<mini-app id>`).
    pub miniprogram_app_id: String,
    /// The demo base of 浙政钉 app keys (`<base>.<mini-app id>`).
    pub zzd_app_key: String,
    /// `miniapps/`: the simulator page (`simulator/web`), the bridge shim (`bridge/dist`), the
    /// mini-apps (`samples/<dir>`, each with its `miniapp.json`, served from `dist/` when built).
    pub miniapps_dir: PathBuf,
    /// A folder of mini-apps under development (`ZK_DEV_MINIAPPS`), shown beside the samples
    /// and served live from their folders.
    pub dev_dir: Option<PathBuf>,
    /// Where the mini-apps' pages are served from: another origin than the simulator's page,
    /// so a mini-app's script cannot reach into the simulator (click its consent dialog, call
    /// its API). `None` serves them from the simulator's own origin.
    pub apps_origin: Option<String>,
}

/// The simulator's state.
pub struct Simulator {
    settings: Settings,
    phones: Phones,
    http: reqwest::Client,
    /// The "ticket expired" switch: the next phone opened gets an expired ticket.
    expire_next_ticket: std::sync::atomic::AtomicBool,
}

type Shared = State<Arc<Simulator>>;

/// A refusal, as JSON `{error}` with a status.
fn refused(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({"error": message.into()}))).into_response()
}

impl Simulator {
    /// A simulator over `settings`.
    pub fn new(settings: Settings) -> Arc<Self> {
        Arc::new(Self {
            settings,
            phones: Phones::default(),
            http: reqwest::Client::new(),
            expire_next_ticket: std::sync::atomic::AtomicBool::new(false),
        })
    }

    fn samples(&self) -> PathBuf {
        self.settings.miniapps_dir.join("samples")
    }

    /// Every mini-app in `samples/` and the development folder: where it is served from
    /// (`/apps/<dir>` or `/dev-apps/<dir>`), its folder, its manifest, and the manifest's text.
    /// (A broken manifest is left out; `zhelikit-miniapp validate` says why.)
    fn mini_apps(&self) -> Vec<(String, PathBuf, Manifest, String)> {
        let found = |prefix: &str, root: &FsPath| -> Vec<(String, PathBuf, Manifest, String)> {
            load_dir(root)
                .into_iter()
                .filter_map(Result::ok)
                .map(|(dir, m, json)| (format!("/{prefix}/{dir}"), root.join(&dir), m, json))
                .collect()
        };
        let mut apps = found("apps", &self.samples());
        if let Some(dev) = &self.settings.dev_dir {
            apps.extend(found("dev-apps", dev));
        }
        apps
    }
}

/// What the mini-apps' origin serves: their files and the bridge shim, nothing of the
/// simulator's control API.
pub fn apps_router(simulator: Arc<Simulator>) -> Router {
    Router::new()
        .route("/__zhelikit/zwjsbridge.js", get(shim))
        .route("/assets/ZWJSBridge/{version}/zwjsbridge.js", get(shim))
        .route("/assets/zwlog/{version}/zwlog.js", get(zwlog))
        .route("/apps/{dir}/{*path}", get(app_file))
        .route("/dev-apps/{dir}/{*path}", get(dev_app_file))
        .with_state(simulator)
}

/// The simulator's routes over `simulator`.
pub fn router(simulator: Arc<Simulator>) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/web/{*path}", get(web_file))
        .route("/__zhelikit/zwjsbridge.js", get(shim))
        .route("/assets/ZWJSBridge/{version}/zwjsbridge.js", get(shim))
        .route("/assets/zwlog/{version}/zwlog.js", get(zwlog))
        .route("/apps/{dir}/{*path}", get(app_file))
        .route("/dev-apps/{dir}/{*path}", get(dev_app_file))
        .route("/api/accounts", get(accounts))
        .route("/api/miniapps", get(mini_apps))
        .route("/api/scenario", post(global_scenario))
        .route("/api/phones", post(open_phone))
        .route("/api/phones/{id}", axum::routing::delete(close_phone))
        .route("/api/phones/{id}/call", post(call))
        .route("/api/phones/{id}/socket", get(socket))
        .route("/bff/{id}/{*path}", axum::routing::any(bff_proxy))
        .route("/api/phones/{id}/stream", get(stream))
        .route("/api/phones/{id}/answer", post(answer))
        .route("/api/phones/{id}/scenario", post(scenario))
        .route("/api/phones/{id}/calls", get(calls))
        .route("/api/phones/{id}/codes", get(codes_in_view))
        .with_state(simulator)
}

fn content_type(path: &FsPath) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") | Some("mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("woff2") => "font/woff2",
        _ => "application/octet-stream",
    }
}

/// A file under `root`, never outside it.
fn file_under(root: &FsPath, relative: &str) -> Option<PathBuf> {
    if relative
        .split('/')
        .any(|part| part.is_empty() || part == "." || part == "..")
    {
        return None;
    }
    let path = root.join(relative);
    path.is_file().then_some(path)
}

fn serve(path: Option<PathBuf>) -> Response {
    match path.and_then(|p| std::fs::read(&p).ok().map(|bytes| (p, bytes))) {
        Some((path, bytes)) => (
            [(header::CONTENT_TYPE, content_type(&path))],
            Body::from(bytes),
        )
            .into_response(),
        None => refused(StatusCode::NOT_FOUND, "没有这个文件"),
    }
}

async fn page(State(sim): Shared) -> Response {
    serve(file_under(
        &sim.settings.miniapps_dir.join("simulator/web"),
        "index.html",
    ))
}

async fn web_file(State(sim): Shared, Path(path): Path<String>) -> Response {
    serve(file_under(
        &sim.settings.miniapps_dir.join("simulator/web/dist"),
        &path,
    ))
}

async fn shim(State(sim): Shared) -> Response {
    serve(file_under(
        &sim.settings.miniapps_dir.join("bridge/dist"),
        "zwjsbridge.js",
    ))
}

/// ZwLog is installed by the bridge shim; the CDN's separate script only has to load.
async fn zwlog() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        "/* ZwLog is provided by ZheliKit's bridge shim. */",
    )
        .into_response()
}

/// Rewrites a mini-app page so it runs in the simulated container unmodified: the shim first
/// in `<head>`, and the platform's CDN script URLs pointed at this server.
fn injected(html: &str) -> String {
    let html = html
        .replace("//assets.zjzwfw.gov.cn/assets/", "/assets/")
        .replace("https:/assets/", "/assets/")
        .replace("http:/assets/", "/assets/");
    let shim = r#"<script src="/__zhelikit/zwjsbridge.js"></script>"#;
    match html.find("<head>") {
        Some(at) => format!("{}{shim}{}", &html[..at + 6], &html[at + 6..]),
        None => format!("{shim}{html}"),
    }
}

async fn app_file(State(sim): Shared, Path((dir, path)): Path<(String, String)>) -> Response {
    mini_app_file(&sim.samples(), &dir, &path)
}

async fn dev_app_file(State(sim): Shared, Path((dir, path)): Path<(String, String)>) -> Response {
    match &sim.settings.dev_dir {
        Some(root) => mini_app_file(root, &dir, &path),
        None => refused(StatusCode::NOT_FOUND, "没有开发中的小程序"),
    }
}

/// A file of the mini-app in `root/<dir>`: from its built `dist/` when there is one, its HTML
/// with the shim injected.
fn mini_app_file(root: &FsPath, dir: &str, path: &str) -> Response {
    if dir.is_empty() || dir.contains('/') || dir == "." || dir == ".." {
        return refused(StatusCode::NOT_FOUND, "没有这个文件");
    }
    let root = root.join(dir);
    let built = root.join("dist");
    let found = file_under(&built, path).or_else(|| file_under(&root, path));
    match found {
        Some(file) if file.extension().is_some_and(|e| e == "html") => {
            match std::fs::read_to_string(&file) {
                Ok(html) => (
                    [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                    injected(&html),
                )
                    .into_response(),
                Err(_) => refused(StatusCode::NOT_FOUND, "没有这个文件"),
            }
        }
        other => serve(other),
    }
}

async fn accounts(State(sim): Shared) -> Response {
    let url = format!("{}/__admin/demo-accounts", sim.settings.platform_url);
    match sim.http.get(url).send().await {
        Ok(r) => match r.json::<Value>().await {
            Ok(v) => Json(v).into_response(),
            Err(e) => refused(StatusCode::BAD_GATEWAY, e.to_string()),
        },
        Err(e) => refused(StatusCode::BAD_GATEWAY, e.without_url().to_string()),
    }
}

/// The mini-apps that have a page to open (a sample whose page comes with a later issue is
/// left out).
async fn mini_apps(State(sim): Shared) -> Json<Value> {
    let apps: Vec<Value> = sim
        .mini_apps()
        .into_iter()
        .filter(|(_, folder, m, _)| {
            folder.join("dist").join(&m.entry).is_file() || folder.join(&m.entry).is_file()
        })
        .map(|(served, folder, m, _)| {
            json!({
                "id": m.id, "name": m.name, "platform": m.platform,
                "entry": format!("{served}/{}", m.entry), "userKinds": m.user_kinds,
                "built": folder.join("dist").is_dir(),
            })
        })
        .collect();
    Json(json!({"miniApps": apps}))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OpenPhone {
    mini_app: String,
    /// `zlb-u-…` / `zlb-e-…` for 浙里办, or an official's account id for 浙政钉.
    account: Value,
}

async fn open_phone(
    State(sim): Shared,
    headers: axum::http::HeaderMap,
    Json(body): Json<OpenPhone>,
) -> Response {
    let Some((served, _, manifest, json)) = sim
        .mini_apps()
        .into_iter()
        .find(|(_, _, m, _)| m.id == body.mini_app)
    else {
        return refused(
            StatusCode::BAD_REQUEST,
            format!("没有小程序 {}", body.mini_app),
        );
    };
    let account =
        match (manifest.platform, &body.account) {
            (Platform::Zlb, Value::String(userid)) if userid.starts_with("zlb-") => Account::Zlb {
                userid: userid.clone(),
            },
            (Platform::Zzd, v) if v.as_i64().is_some() => Account::Zzd {
                account_id: v.as_i64().unwrap_or_default(),
            },
            _ => return refused(
                StatusCode::BAD_REQUEST,
                "浙里办小程序请选个人或法人账号（zlb-…），浙政钉小程序请选政务人员（accountId）",
            ),
        };
    let settings = &sim.settings;
    let login = PlatformLogin {
        platform_url: settings.platform_url.clone(),
        miniprogram_app_id: format!("{}.{}", settings.miniprogram_app_id, manifest.id),
        zzd_app_key: format!("{}.{}", settings.zzd_app_key, manifest.id),
        account,
    };
    let id = uuid::Uuid::new_v4().simple().to_string();
    // The phone's core reaches the BFF through this server, where the network switches act.
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    let via = format!("http://{host}/bff/{id}");
    let opened = Phone::open(
        id.clone(),
        &via,
        &json,
        &manifest.id,
        login,
        tokio::runtime::Handle::current(),
    );
    match opened {
        Ok(phone) => {
            if sim
                .expire_next_ticket
                .swap(false, std::sync::atomic::Ordering::SeqCst)
            {
                phone.host.expire_next_credential();
            }
            sim.phones.insert(phone);
            let origin = sim.settings.apps_origin.clone().unwrap_or_default();
            Json(json!({"phoneId": id, "url": format!("{origin}{served}/{}", manifest.entry), "platform": manifest.platform}))
                .into_response()
        }
        Err(e) => refused(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

async fn close_phone(State(sim): Shared, Path(id): Path<String>) -> StatusCode {
    match sim.phones.remove(&id) {
        Some(_) => StatusCode::NO_CONTENT,
        None => StatusCode::NOT_FOUND,
    }
}

fn phone_of(sim: &Simulator, id: &str) -> Result<Arc<Phone>, Response> {
    sim.phones
        .get(id)
        .ok_or_else(|| refused(StatusCode::NOT_FOUND, "这台模拟手机已关闭"))
}

async fn call(State(sim): Shared, Path(id): Path<String>, body: String) -> Response {
    match phone_of(&sim, &id) {
        Ok(phone) => (
            [(header::CONTENT_TYPE, "application/json")],
            phone.call(body).await,
        )
            .into_response(),
        Err(r) => r,
    }
}

/// The page's channel for bridge calls: a WebSocket carrying the page's JSON requests and the
/// core's answers (each with its id, so answers may come back in any order). One HTTP request
/// per call costs the page more than the call itself.
async fn socket(
    State(sim): Shared,
    Path(id): Path<String>,
    upgrade: axum::extract::ws::WebSocketUpgrade,
) -> Response {
    use axum::extract::ws::Message;
    use futures::{SinkExt as _, StreamExt as _};
    let phone = match phone_of(&sim, &id) {
        Ok(p) => p,
        Err(r) => return r,
    };
    upgrade.on_upgrade(move |socket| async move {
        let (mut sender, mut receiver) = socket.split();
        // Bounded: a page sending faster than answers go out waits, it does not fill memory.
        let (answers, mut outbox) = tokio::sync::mpsc::channel::<String>(256);
        let writer = tokio::spawn(async move {
            while let Some(answer) = outbox.recv().await {
                if sender.send(Message::Text(answer.into())).await.is_err() {
                    break;
                }
            }
        });
        while let Some(Ok(message)) = receiver.next().await {
            let Message::Text(request) = message else {
                continue;
            };
            let (phone, answers) = (phone.clone(), answers.clone());
            // Waits for room first, so at most 256 calls are in flight per socket.
            let Ok(permit) = answers.reserve_owned().await else {
                break;
            };
            tokio::spawn(async move {
                permit.send(phone.call(request.to_string()).await);
            });
        }
        drop(answers);
        let _ = writer.await;
    })
}

async fn stream(
    State(sim): Shared,
    Path(id): Path<String>,
) -> Result<Sse<impl Stream<Item = Result<Event, std::convert::Infallible>>>, Response> {
    let phone = phone_of(&sim, &id)?;
    let receiver = phone.host.stream.subscribe();
    let events = futures::stream::unfold(receiver, |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(line) => return Some((Ok(Event::default().data(line)), rx)),
                // A slow page missed some lines: go on with the next.
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}

#[derive(Deserialize)]
struct Answered {
    id: u64,
    #[serde(flatten)]
    answer: Answer,
}

async fn answer(
    State(sim): Shared,
    Path(id): Path<String>,
    Json(body): Json<Answered>,
) -> Response {
    match phone_of(&sim, &id) {
        Ok(phone) if phone.host.answer(body.id, body.answer) => {
            StatusCode::NO_CONTENT.into_response()
        }
        Ok(_) => refused(StatusCode::CONFLICT, "没有等待回答的对话框"),
        Err(r) => r,
    }
}

/// What a phone's switches change: its network (off, slow) and its style, and whether its
/// next authenticated request finds the access token expired.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PhoneScenario {
    offline: Option<bool>,
    elder: Option<bool>,
    /// Milliseconds added to each of the core's requests (0: off).
    slow_ms: Option<u64>,
    #[serde(default)]
    expire_access_token: bool,
}

async fn scenario(
    State(sim): Shared,
    Path(id): Path<String>,
    Json(body): Json<PhoneScenario>,
) -> Response {
    let phone = match phone_of(&sim, &id) {
        Ok(p) => p,
        Err(r) => return r,
    };
    if let Some(offline) = body.offline {
        phone.network.set_online(!offline);
        phone.bridge.network_changed(!offline);
    }
    if let Some(elder) = body.elder {
        phone.bridge.set_elder_mode(elder);
    }
    if let Some(ms) = body.slow_ms {
        phone
            .slow_ms
            .store(ms.min(10_000), std::sync::atomic::Ordering::SeqCst);
    }
    if body.expire_access_token {
        phone
            .expire_access_token
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }
    StatusCode::NO_CONTENT.into_response()
}

/// The headers passed between a phone's core and the BFF.
const FORWARDED: [&str; 5] = [
    "authorization",
    "content-type",
    "accept-language",
    "x-zhelikit-mini-app",
    "retry-after",
];

/// Shows one of the core's requests in the page's action list.
fn shown(phone: &Phone, method: &axum::http::Method, path: &str, status: u16, note: Option<&str>) {
    phone.host.tell(json!({"type": "host", "action": {
        "kind": "network", "method": method.as_str(), "path": path, "status": status, "note": note,
    }}));
}

/// The phone's network: its core's requests to the BFF, slowed or answered 401 when the
/// switches say so, otherwise passed on as they are. Each is shown in the page's action list.
async fn bff_proxy(
    State(sim): Shared,
    Path((id, path)): Path<(String, String)>,
    method: axum::http::Method,
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    use std::sync::atomic::Ordering;
    let phone = match phone_of(&sim, &id) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let slow = phone.slow_ms.load(Ordering::SeqCst);
    if slow > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(slow)).await;
    }
    let path = format!("/{path}");
    let authenticated = headers.contains_key(header::AUTHORIZATION);
    if authenticated && phone.expire_access_token.swap(false, Ordering::SeqCst) {
        shown(&phone, &method, &path, 401, Some("访问令牌已过期（模拟）"));
        let problem = json!({"type": "https://zhelikit.dev/problems/unauthenticated", "title": "未登录或登录已失效",
            "status": 401, "detail": "访问令牌无效或已过期", "code": "unauthenticated"});
        return (
            StatusCode::UNAUTHORIZED,
            [(header::CONTENT_TYPE, "application/problem+json")],
            problem.to_string(),
        )
            .into_response();
    }
    let query = uri.query().map(|q| format!("?{q}")).unwrap_or_default();
    let mut request = sim
        .http
        .request(
            method.clone(),
            format!("{}{path}{query}", sim.settings.bff_url),
        )
        .body(body);
    for name in FORWARDED {
        if let Some(value) = headers.get(name) {
            request = request.header(name, value);
        }
    }
    match request.send().await {
        Ok(answer) => {
            let status = answer.status();
            shown(&phone, &method, &path, status.as_u16(), None);
            let mut out = axum::http::HeaderMap::new();
            for name in FORWARDED {
                if let Some(value) = answer.headers().get(name) {
                    out.insert(name, value.clone());
                }
            }
            match answer.bytes().await {
                Ok(bytes) => (status, out, bytes).into_response(),
                Err(e) => refused(StatusCode::BAD_GATEWAY, e.to_string()),
            }
        }
        Err(e) => refused(StatusCode::BAD_GATEWAY, e.without_url().to_string()),
    }
}

/// What the platform's switches change, for every phone: a department's outage, and whether
/// the next phone's ticket arrives expired.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PlatformScenario {
    /// A department to take down (`transport`, `public_security` …), or `null` to heal all.
    #[serde(default, with = "double_option")]
    department_down: Option<Option<String>>,
    #[serde(default)]
    expire_next_ticket: bool,
}

mod double_option {
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Option<String>>, D::Error> {
        Ok(Some(Option::deserialize(d)?))
    }
}

async fn global_scenario(State(sim): Shared, Json(body): Json<PlatformScenario>) -> Response {
    if body.expire_next_ticket {
        sim.expire_next_ticket
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }
    if let Some(down) = body.department_down {
        if let Some(name) = &down {
            if !name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') || name.is_empty() {
                return refused(StatusCode::BAD_REQUEST, format!("没有部门 {name:?}"));
            }
        }
        let faults = format!("{}/__admin/faults", sim.settings.platform_url);
        let sent = match down {
            Some(department) => {
                sim.http
                    .put(format!("{faults}/{department}"))
                    .json(&json!({"mode": {"status": 503}}))
                    .send()
                    .await
            }
            None => sim.http.delete(faults).send().await,
        };
        match sent {
            Ok(r) if r.status().is_success() => {}
            Ok(r) => {
                return refused(
                    StatusCode::BAD_GATEWAY,
                    format!("mock platform answered {}", r.status()),
                )
            }
            Err(e) => return refused(StatusCode::BAD_GATEWAY, e.without_url().to_string()),
        }
    }
    StatusCode::NO_CONTENT.into_response()
}

async fn calls(State(sim): Shared, Path(id): Path<String>) -> Response {
    match phone_of(&sim, &id) {
        Ok(phone) => Json(json!({"calls": phone.call_log()})).into_response(),
        Err(r) => r,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mini_apps_page_gets_the_shim_first_and_the_cdn_pointed_here() {
        let page = r#"<html><head><script src="//assets.zjzwfw.gov.cn/assets/ZWJSBridge/1.1.0/zwjsbridge.js"></script></head></html>"#;
        let out = injected(page);
        assert!(out.starts_with(r#"<html><head><script src="/__zhelikit/zwjsbridge.js"></script>"#));
        assert!(out.contains(r#"src="/assets/ZWJSBridge/1.1.0/zwjsbridge.js""#));
    }

    #[test]
    fn no_file_outside_its_folder_is_served() {
        let root = std::env::temp_dir();
        assert!(file_under(&root, "../etc/passwd").is_none());
        assert!(file_under(&root, "a//b").is_none());
    }
}

/// The 亮证 codes on the screens of the other open phones: what phone `id`'s camera can scan
/// (the simulator's stand-in for holding two phones face to face).
async fn codes_in_view(State(sim): Shared, Path(id): Path<String>) -> Response {
    if let Err(refusal) = phone_of(&sim, &id) {
        return refusal;
    }
    let mut codes: Vec<Value> = sim
        .phones
        .all()
        .into_iter()
        .filter(|p| p.id != id)
        .filter_map(|p| {
            let code = p.host.shown_code()?;
            Some(json!({"phoneId": p.id, "miniApp": p.mini_app_id, "code": code}))
        })
        .collect();
    codes.sort_by(|a, b| a["phoneId"].as_str().cmp(&b["phoneId"].as_str()));
    Json(json!({"codes": codes})).into_response()
}
