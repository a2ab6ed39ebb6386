//! Sets up the consent benchmark on a running stack: for each of the first N advanced fixture
//! citizens, a login to the vault mini-app, a resident ID pulled to a fresh device key, a
//! consent request by the demo bank (periodic, 1,000 fetches a day: the benchmark is bounded
//! by the BFF, not by the consent) and its approval made as a phone makes it. Prints a Lua
//! table (`consents = {…}`) of the consent ids for wrk, and the vault sessions' access tokens
//! (`tokens = {…}`) for the home screen beside it.
//!
//! `consent-fixtures BFF_URL PLATFORM_URL N` with `ZK_ZLB_SERVICE_CODE` and
//! `ZK_ZLB_CALLBACK_URLS` as the stack was started with (`MOCK_PLATFORM_SEED` if not the
//! default).

use anyhow::{anyhow, bail, Context as _};
use mock_platform::fixtures::{AuthLevel, Fixtures};
use serde_json::{json, Value};
use zhelikit_domain::gm::Sm2PrivateKey;
use zhelikit_domain::paths;
use zhelikit_domain::vault::consent::{PendingConsent, DEMO_BANK_ID, DEMO_BANK_SECRET};
use zhelikit_domain::vault::sd_jwt::{present, PresentationRequest};

const VAULT: &str = "zk-demo-vault";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, bff, platform, n] = args.as_slice() else {
        bail!("usage: consent-fixtures BFF_URL PLATFORM_URL N");
    };
    let n: usize = n.parse().context("N must be a number")?;
    let seed = std::env::var("MOCK_PLATFORM_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_190_415);
    let service = format!("{}.{VAULT}", std::env::var("ZK_ZLB_SERVICE_CODE")?);
    let callback = std::env::var("ZK_ZLB_CALLBACK_URLS")?;
    let goto = format!("{}bench", callback.split(',').next().unwrap_or_default());
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let fixtures = Fixtures::generate(seed);
    let citizens = fixtures
        .citizens
        .iter()
        .filter(|c| c.auth_level == AuthLevel::Advanced)
        .take(n);
    let (mut consents, mut tokens) = (Vec::new(), Vec::new());
    let now = chrono::Utc::now().timestamp();
    for citizen in citizens {
        let login = http
            .post(format!("{platform}/sso/login"))
            .form(&[
                ("servicecode", service.as_str()),
                ("goto", goto.as_str()),
                ("userid", citizen.userid.as_str()),
            ])
            .send()
            .await?;
        let location = login
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| anyhow!("login of {} did not redirect", citizen.userid))?;
        let ticket = url::Url::parse(location)?
            .query_pairs()
            .find(|(k, _)| k == "ticket")
            .map(|(_, v)| v.into_owned())
            .ok_or_else(|| anyhow!("no ticket for {}", citizen.userid))?;
        let session: Value = http
            .post(format!("{bff}{}", paths::ZLB_TICKET))
            .json(&json!({"mini_app_id": VAULT, "ticket": ticket}))
            .send()
            .await?
            .json()
            .await?;
        let token = session["access_token"]
            .as_str()
            .ok_or_else(|| anyhow!("no session for {}: {session}", citizen.userid))?
            .to_string();
        let device = Sm2PrivateKey::generate();
        let pulled = http
            .post(format!("{bff}{}", paths::vault_certificate("resident_id")))
            .bearer_auth(&token)
            .json(&json!({"holder_key": device.public_key().to_jwk()}))
            .send()
            .await?;
        if !pulled.status().is_success() {
            continue; // no resident ID on record: the next citizen
        }
        let pulled: Value = pulled.json().await?;
        let credential = pulled["credential"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let asked = http
            .post(format!("{bff}{}", paths::VAULT_CONSUMER_CONSENT_REQUESTS))
            .basic_auth(DEMO_BANK_ID, Some(DEMO_BANK_SECRET))
            .json(&json!({"purpose": "account_kyc",
                "items": [{"kind": "resident_id", "claims": ["name", "id_number", "age_over_18"]}],
                "expiry": now + 86_400, "fetch_type": "PERIODIC",
                "frequency": {"count": 1000, "period": "DAY"}, "data_life_days": 1}))
            .send()
            .await?;
        let pending: PendingConsent = asked.json().await.context("a consent request")?;
        let approval = present(
            &credential,
            &PresentationRequest {
                disclose: &[],
                audience: DEMO_BANK_ID,
                nonce: &pending.terms.digest(),
                iat: chrono::Utc::now().timestamp(),
            },
            &device,
        )
        .map_err(|e| anyhow!(e))?;
        let decided = http
            .post(format!(
                "{bff}{}",
                paths::vault_consent_decision(&pending.terms.id)
            ))
            .bearer_auth(&token)
            .json(&json!({"approve": true, "approval": approval}))
            .send()
            .await?;
        if !decided.status().is_success() {
            bail!("approval failed: {}", decided.text().await?);
        }
        consents.push(pending.terms.id);
        tokens.push(token);
    }
    if consents.is_empty() {
        bail!("no consent could be set up");
    }
    let lua = |name: &str, items: &[String]| {
        let quoted: Vec<String> = items.iter().map(|i| format!("  \"{i}\",")).collect();
        format!("{name} = {{\n{}\n}}", quoted.join("\n"))
    };
    println!("{}", lua("consents", &consents));
    println!("{}", lua("tokens", &tokens));
    Ok(())
}
