//! A stand-in for the platforms ZheliKit talks to, close enough that pointing the BFF at the real
//! ones is configuration:
//!
//! - 浙里办 personal SSO ([`zlb_personal`]) and legal-person SSO ([`zlb_legal`]): a login page
//!   that sends the browser back with a `ticket`, and the servlet that validates it;
//! - the 浙里办 unified mini-program login ([`zlb_miniprogram`]): `ticketId` → access token → user;
//! - 浙政钉 ([`zzd`]): app token, 免登 auth code → user, organisation queries; work
//!   notifications and to-dos, kept for tests to read ([`zzd_work`]);
//! - the IRS gateway and 浙政钉's signing gateway ([`gateway`]) in front of those server APIs;
//! - the department APIs behind the IRS gateway ([`departments`]), with fault injection per
//!   department ([`departments::faults`]);
//! - time travel, health and fault switches ([`admin`]), and deterministic people and
//!   organisations ([`fixtures`]).
//!
//! Tests start it in-process with [`spawn`] on a random port; the `mock-platform` binary runs it
//! for local development.

pub mod admin;
pub mod apns;
pub mod apps;
pub mod bank;
pub mod clock;
pub mod departments;
pub mod fcm;
pub mod fixtures;
pub mod gateway;
pub mod grants;
pub mod hms;
pub mod pages;
pub mod params;
pub mod provider_faults;
pub mod sso;
pub mod zlb_legal;
pub mod zlb_miniprogram;
pub mod zlb_personal;
pub mod zzd;
pub mod zzd_work;

use std::net::SocketAddr;
use std::ops::Deref;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context as _;
use axum::extract::Request;
use axum::middleware::{from_fn_with_state, Next};
use axum::response::Response;
use axum::Router;
use platform_api::departments::Department;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use apps::{MockConfig, RegisteredApp};
pub use clock::MockClock;
pub use fixtures::Fixtures;

/// Everything the platform knows and has handed out.
#[derive(Debug)]
pub struct PlatformState {
    /// The generated people and organisations.
    pub fixtures: Arc<Fixtures>,
    /// The registered applications.
    pub apps: Vec<RegisteredApp>,
    /// The time-travel clock that tickets, codes and tokens expire by.
    pub clock: MockClock,
    /// Each department's fault and request count.
    pub faults: departments::faults::FaultBoard,
    /// Each department's e-certificate issuer: key and status list.
    pub issuers: departments::certificates::Issuers,
    directory: departments::Directory,
    personal: sso::Entry,
    legal: sso::Entry,
    miniprogram: zlb_miniprogram::Ledgers,
    zzd: zzd::Ledgers,
    nonces: gateway::NonceBook,
    /// 温州银行, a data consumer under consent.
    pub bank: bank::Bank,
    /// The departments' correction requests (数据纠错).
    pub corrections: departments::corrections::Corrections,
    /// The departments' parts of applications (一件事).
    pub intakes: departments::intake::Intakes,
    /// Where ZheliKit's BFF is, for what calls it back (the bank, correction decisions).
    pub bff: BffLink,
    /// Firebase Cloud Messaging and its token endpoint.
    pub fcm: fcm::Fcm,
    /// Huawei Push Kit and its OAuth endpoint.
    pub hms: hms::Hms,
    /// Apple's push service.
    pub apns: apns::Apns,
    /// 浙政钉's work notifications and to-dos as sent.
    pub work: zzd_work::Work,
}

/// The address of ZheliKit's BFF. Tests start the BFF after the mock and set it then.
#[derive(Debug, Default)]
pub struct BffLink(std::sync::RwLock<Option<String>>);

impl BffLink {
    /// Points the platform at the BFF at `url`.
    pub fn set(&self, url: &str) {
        *self.0.write().unwrap_or_else(|p| p.into_inner()) =
            Some(url.trim_end_matches('/').to_string());
    }

    /// The BFF's address, once known.
    pub fn get(&self) -> Option<String> {
        self.0.read().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

impl PlatformState {
    /// The app owning a 浙里办 service code.
    pub fn app_by_service_code(&self, service_code: &str) -> Option<&RegisteredApp> {
        self.apps.iter().find(|a| a.service_code == service_code)
    }

    /// The app owning an IRS access key.
    pub fn app_by_access_key(&self, access_key: &str) -> Option<&RegisteredApp> {
        self.apps.iter().find(|a| a.irs.access_key == access_key)
    }

    /// The app owning a mini-program app id.
    pub fn app_by_miniprogram_id(&self, app_id: &str) -> Option<&RegisteredApp> {
        self.apps.iter().find(|a| a.miniprogram_app_id == app_id)
    }

    /// The app owning a 浙政钉 app key.
    pub fn app_by_zzd_key(&self, app_key: &str) -> Option<&RegisteredApp> {
        self.apps.iter().find(|a| a.zzd.app_key == app_key)
    }
}

/// The shared state of every handler (cheap to clone).
#[derive(Debug, Clone)]
pub struct MockState(Arc<PlatformState>);

impl MockState {
    /// Generates the fixtures for `config.seed` and starts with nothing handed out.
    pub fn new(config: MockConfig) -> Self {
        let fixtures = Fixtures::generate(config.seed);
        Self(Arc::new(PlatformState {
            directory: departments::Directory::new(config.seed, &fixtures),
            fixtures: Arc::new(fixtures),
            apps: config.apps,
            clock: MockClock::new(),
            faults: departments::faults::FaultBoard::default(),
            issuers: departments::certificates::Issuers::new(config.seed),
            personal: sso::Entry::default(),
            legal: sso::Entry::default(),
            miniprogram: zlb_miniprogram::Ledgers::default(),
            zzd: zzd::Ledgers::default(),
            nonces: gateway::NonceBook::default(),
            bank: bank::Bank::default(),
            corrections: departments::corrections::Corrections::default(),
            intakes: departments::intake::Intakes::default(),
            bff: BffLink::default(),
            fcm: fcm::Fcm::default(),
            hms: hms::Hms::default(),
            apns: apns::Apns::default(),
            work: zzd_work::Work::default(),
        }))
    }

    /// Sets a department's fault (what `PUT /__admin/faults/{department}` does); refused, and
    /// the old one kept, when it is out of range.
    pub fn set_fault(
        &self,
        department: Department,
        fault: departments::faults::Fault,
    ) -> Result<(), departments::faults::InvalidFault> {
        self.faults.set(department, fault)
    }

    /// Makes every department healthy (what `DELETE /__admin/faults` does).
    pub fn clear_faults(&self) {
        self.faults.clear();
    }

    /// Requests the department received since start (those the IRS gateway let through).
    pub fn department_requests(&self, department: Department) -> u64 {
        self.faults.requests(department)
    }
}

impl Deref for MockState {
    type Target = PlatformState;

    fn deref(&self) -> &PlatformState {
        &self.0
    }
}

/// Every route of the mock: gateway-protected server APIs, browser pages and admin.
pub fn router(state: MockState) -> Router {
    // Server-to-server APIs of 浙里办 and the departments, each behind the IRS gateway (the
    // gateway is the outer layer: only signed requests reach a department's fault injection).
    let irs_apis = Router::new()
        .merge(zlb_personal::server_routes())
        .merge(zlb_legal::server_routes())
        .merge(zlb_miniprogram::server_routes())
        .merge(departments::routes(&state))
        .route_layer(from_fn_with_state(state.clone(), gateway::irs));
    // 浙政钉's server APIs, behind its own signing gateway.
    let zzd_apis = zzd::server_routes()
        .merge(zzd_work::server_routes())
        .route_layer(from_fn_with_state(state.clone(), gateway::zzd));
    Router::new()
        .merge(irs_apis)
        .merge(zzd_apis)
        // Browser-facing pages and the container stand-ins: not behind a gateway.
        .merge(zlb_personal::pages())
        .merge(zlb_legal::pages())
        .merge(zlb_miniprogram::pages())
        .merge(zzd::pages())
        .merge(admin::routes())
        .merge(bank::routes())
        .merge(admin::corrections::routes())
        .merge(admin::intake::routes())
        .merge(zzd_work::admin_routes())
        .merge(fcm::routes())
        .merge(hms::routes())
        .merge(apns::routes())
        .layer(axum::middleware::from_fn(log_request))
        .with_state(state)
}

/// Middleware: one log line per request. Only the path is logged, never the query: it carries
/// tickets, tokens and codes.
async fn log_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    tracing::info!(
        %method,
        path,
        status = response.status().as_u16(),
        millis = started.elapsed().as_millis() as u64,
        "request"
    );
    response
}

/// A mock platform serving on a local port. Dropping it (or [`RunningMock::shutdown`]) stops
/// the server.
#[derive(Debug)]
pub struct RunningMock {
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub base_url: String,
    /// The address actually bound.
    pub addr: SocketAddr,
    /// The data the mock serves, for tests to pick people from.
    pub fixtures: Arc<Fixtures>,
    /// The live state, for tests that want to reach the clock without HTTP.
    pub state: MockState,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<std::io::Result<()>>>,
}

impl RunningMock {
    /// Stops accepting connections, lets requests in flight finish and waits for the server.
    pub async fn shutdown(mut self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            // The receiver is gone only if the server already stopped, which is the goal.
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server
                .await
                .context("the mock platform task panicked")?
                .context("the mock platform server failed")?;
        }
        Ok(())
    }
}

impl Drop for RunningMock {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Starts the mock on `addr` (`127.0.0.1:0` for a random port) and returns once it accepts
/// connections.
pub async fn spawn(config: MockConfig, addr: SocketAddr) -> anyhow::Result<RunningMock> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding the mock platform to {addr}"))?;
    let addr = listener
        .local_addr()
        .context("reading the mock platform's bound address")?;
    let state = MockState::new(config);
    let fixtures = state.fixtures.clone();
    let app = router(state.clone());
    let (stop, stopped) = oneshot::channel::<()>();
    let stopping = state.clone();
    let server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                // Either a stop signal or the handle being dropped ends the server.
                let _ = stopped.await;
                // Graceful shutdown waits for requests in flight: release the hanging ones.
                stopping.faults.stop();
            })
            .await
    });
    tracing::info!(%addr, "mock platform listening");
    Ok(RunningMock {
        base_url: format!("http://{addr}"),
        addr,
        fixtures,
        state,
        stop: Some(stop),
        server: Some(server),
    })
}
