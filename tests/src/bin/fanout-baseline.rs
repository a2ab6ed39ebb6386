//! The baseline of the department benchmark: the same five department calls a citizen's home
//! screen makes, as a bare fan-out — one `join_all` of signed requests, no cache, no breaker, no
//! retries, no recording, no auth, no masking. `GET /fanout?i=N` fans out for fixture citizen N;
//! `GET /id-number?i=N` tells the benchmark that citizen's ID number (fixtures are public test data).
//!
//! `fanout-baseline ADDR` with the platform's env (`ZK_PLATFORM_URL`, `ZK_IRS_ACCESS_KEY`,
//! `ZK_IRS_SECRET_KEY`, `MOCK_PLATFORM_SEED`).

use std::sync::Arc;

// The same allocator as the BFF, so the comparison measures the layers and not the allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use platform_api::departments::{Operation, PersonQuery};
use platform_api::irs;
use serde::Deserialize;

struct Baseline {
    http: reqwest::Client,
    /// The URL of each of [`OPERATIONS`], parsed once as the BFF does.
    urls: Vec<reqwest::Url>,
    creds: irs::Credentials,
    id_numbers: Vec<String>,
}

#[derive(Deserialize)]
struct Which {
    i: usize,
}

const OPERATIONS: [Operation; 5] = [
    Operation::HouseholdRegister,
    Operation::Contributions,
    Operation::DrivingLicence,
    Operation::HealthCard,
    Operation::EducationRecord,
];

async fn fanout(
    State(b): State<Arc<Baseline>>,
    Query(which): Query<Which>,
) -> Json<Vec<serde_json::Value>> {
    let id_number = b.id_numbers[which.i % b.id_numbers.len()].clone();
    let calls = OPERATIONS.into_iter().zip(b.urls.clone()).map(|(op, url)| {
        let (b, body) = (
            b.clone(),
            serde_json::to_vec(&PersonQuery {
                id_number: id_number.clone(),
            })
            .unwrap_or_default(),
        );
        async move {
            let mut request = b
                .http
                .post(url)
                .header("content-type", "application/json")
                .body(body);
            for (name, value) in irs::sign(&b.creds, "POST", op.path(), "", chrono::Utc::now()) {
                request = request.header(name, value);
            }
            match request.send().await {
                Ok(r) => r
                    .json::<serde_json::Value>()
                    .await
                    .unwrap_or(serde_json::Value::Null),
                Err(_) => serde_json::Value::Null,
            }
        }
    });
    Json(futures::future::join_all(calls).await)
}

/// The fixture ID number of citizen N, for the benchmark's direct department run.
async fn id_number(State(b): State<Arc<Baseline>>, Query(which): Query<Which>) -> String {
    b.id_numbers[which.i % b.id_numbers.len()].clone()
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let env = |name: &str| std::env::var(name).unwrap_or_default();
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8091".into());
    let seed = env("MOCK_PLATFORM_SEED").parse().unwrap_or(20190415);
    let fixtures = mock_platform::fixtures::Fixtures::generate(seed);
    let baseline = Arc::new(Baseline {
        // Configured as the BFF's department client is: no redirects followed.
        http: match reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
        {
            Ok(http) => http,
            Err(e) => {
                eprintln!("fanout-baseline: {e}");
                return std::process::ExitCode::FAILURE;
            }
        },
        urls: match OPERATIONS
            .iter()
            .map(|op| reqwest::Url::parse(&format!("{}{}", env("ZK_PLATFORM_URL"), op.path())))
            .collect()
        {
            Ok(urls) => urls,
            Err(e) => {
                eprintln!("fanout-baseline: bad ZK_PLATFORM_URL: {e}");
                return std::process::ExitCode::from(2);
            }
        },
        creds: irs::Credentials {
            access_key: env("ZK_IRS_ACCESS_KEY"),
            secret_key: env("ZK_IRS_SECRET_KEY"),
        },
        id_numbers: fixtures
            .citizens
            .iter()
            .map(|c| c.id_number.clone())
            .collect(),
    });
    let app = Router::new()
        .route("/fanout", get(fanout))
        .route("/id-number", get(id_number))
        .with_state(baseline);
    let listener = match tokio::net::TcpListener::bind(&addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("fanout-baseline: cannot bind {addr}: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match axum::serve(listener, app).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fanout-baseline: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
