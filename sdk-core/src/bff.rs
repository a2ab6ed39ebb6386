//! The BFF over HTTP: JSON in, JSON or a problem document out.

use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;
use zhelikit_domain::api::{Problem, MINI_APP_HEADER};

use crate::error::{Error, Result};
use crate::host::NetworkMonitor;

/// A client of one BFF.
pub(crate) struct Bff {
    http: reqwest::Client,
    base: String,
    network: Option<Arc<dyn NetworkMonitor>>,
}

impl Bff {
    pub(crate) fn new(
        base: &str,
        mini_app_id: &str,
        timeout: Duration,
        network: Option<Arc<dyn NetworkMonitor>>,
    ) -> Result<Self> {
        let mut headers = reqwest::header::HeaderMap::new();
        // Every call names its mini-app, so the BFF can refuse a token of another one.
        headers.insert(
            MINI_APP_HEADER,
            reqwest::header::HeaderValue::from_str(mini_app_id).map_err(|_| Error::Input {
                field: "mini_app_id",
                reason: "must be printable ASCII".into(),
            })?,
        );
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(5).min(timeout))
            .user_agent(concat!("zhelikit-sdk/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Internal(format!("HTTP client: {e}")))?;
        Ok(Self {
            http,
            base: base.trim_end_matches('/').to_string(),
            network,
        })
    }

    /// Whether the host's network monitor says the device is online (true without one).
    pub(crate) fn is_online(&self) -> bool {
        self.network.as_ref().is_none_or(|n| n.is_online())
    }

    fn ensure_online(&self) -> Result<()> {
        match &self.network {
            Some(monitor) if !monitor.is_online() => {
                Err(Error::Offline("the device has no network".into()))
            }
            _ => Ok(()),
        }
    }

    /// `POST path` with a JSON body; `T` from a 2xx JSON answer.
    pub(crate) async fn post<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
        bearer: Option<&str>,
    ) -> Result<T> {
        self.request(reqwest::Method::POST, path, body, bearer)
            .await
    }

    /// `method path` with a JSON body; `T` from a 2xx JSON answer.
    pub(crate) async fn request<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &B,
        bearer: Option<&str>,
    ) -> Result<T> {
        self.ensure_online()?;
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .json(body);
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        read(request.send().await).await
    }

    /// `method path` with an optional JSON body, expecting a 2xx without content.
    pub(crate) async fn send_no_content<B: Serialize + ?Sized>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&B>,
        bearer: &str,
    ) -> Result<()> {
        self.ensure_online()?;
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(bearer);
        if let Some(body) = body {
            request = request.json(body);
        }
        read_status(request.send().await).await.map(|_| ())
    }

    /// `GET path`; the body of a 2xx answer, as it came (a workbook, a file).
    pub(crate) async fn get_bytes(&self, path: &str, bearer: &str) -> Result<Vec<u8>> {
        self.ensure_online()?;
        let response = read_status(
            self.http
                .get(format!("{}{path}", self.base))
                .bearer_auth(bearer)
                .send()
                .await,
        )
        .await?;
        let body = response
            .bytes()
            .await
            .map_err(|e| Error::Offline(without_url(&e)))?;
        Ok(body.to_vec())
    }

    /// `GET path`; `T` from a 2xx JSON answer.
    pub(crate) async fn get<T: DeserializeOwned>(&self, path: &str, bearer: &str) -> Result<T> {
        self.ensure_online()?;
        read(
            self.http
                .get(format!("{}{path}", self.base))
                .bearer_auth(bearer)
                .send()
                .await,
        )
        .await
    }
}

async fn read_status(sent: reqwest::Result<reqwest::Response>) -> Result<reqwest::Response> {
    let response =
        sent.map_err(|e| Error::Offline(format!("ZheliKit did not answer: {}", without_url(&e))))?;
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok()?.parse().ok());
    let body = response
        .bytes()
        .await
        .map_err(|e| Error::Offline(without_url(&e)))?;
    match serde_json::from_slice::<Problem>(&body) {
        Ok(problem) => Err(Error::Problem {
            status: status.as_u16(),
            problem: Box::new(problem),
            retry_after,
        }),
        // A proxy or load balancer answered, not the BFF.
        Err(_) if status.is_server_error() => Err(Error::Offline(format!(
            "ZheliKit is unavailable (HTTP {status})"
        ))),
        Err(_) => Err(Error::Decode(format!(
            "HTTP {status} without a problem document"
        ))),
    }
}

async fn read<T: DeserializeOwned>(sent: reqwest::Result<reqwest::Response>) -> Result<T> {
    let response = read_status(sent).await?;
    let body = response
        .bytes()
        .await
        .map_err(|e| Error::Offline(without_url(&e)))?;
    serde_json::from_slice(&body).map_err(|e| Error::Decode(e.to_string()))
}

/// reqwest errors quote the URL, which may carry identifiers; the host is enough.
fn without_url(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    match e.url().and_then(|u| u.host_str().map(str::to_string)) {
        Some(host) => format!("{kind} ({host})"),
        None => kind.to_string(),
    }
}
