//! Logs never carry a token, an ID number or a phone number in clear. This binary installs a
//! capturing subscriber at TRACE level for the whole process, runs logins (good and bad), and
//! reads everything that was logged.

use std::io::Write;
use std::sync::{Arc, Mutex};
use zhelikit_domain::paths;

use mock_platform::departments::faults::{Fault, FaultMode};
use platform_api::departments::Department;
use serde_json::json;
use zhelikit_e2e::{private_stack, Backend};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn no_token_id_number_or_phone_number_is_logged_in_clear() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();

    let stack = private_stack(Backend::Sqlite, |_| {}).await;
    let citizen = &stack.fixtures.citizens[0];
    let ticket = stack.citizen_ticket(&citizen.userid).await;
    let (status, session) = stack
        .post(
            paths::ZLB_TICKET,
            json!({"mini_app_id": "zk-demo-services", "ticket": ticket}),
        )
        .await;
    assert_eq!(status, 200);
    let access = session["access_token"].as_str().unwrap().to_string();
    let refresh = session["refresh_token"].as_str().unwrap().to_string();
    let (status, _) = stack.get_authed(paths::ME, &access).await;
    assert_eq!(status, 200);
    let (status, _) = stack
        .post(
            paths::ZLB_TICKET,
            json!({"mini_app_id": "zk-demo-services", "ticket": ticket}),
        )
        .await;
    assert_eq!(
        status, 401,
        "the reused ticket is refused (and that refusal is logged)"
    );
    let (status, _) = stack
        .post(paths::REFRESH, json!({"refresh_token": refresh}))
        .await;
    assert_eq!(status, 200);
    let (status, _) = stack.get_authed(paths::ME, "not-a-token").await;
    assert_eq!(status, 401);

    // Department faults are logged by what went wrong, never with the record's values.
    for (department, mode) in [
        (Department::Transport, FaultMode::Malformed),
        (Department::Health, FaultMode::WrongShape),
        (Department::Education, FaultMode::Status(503)),
    ] {
        stack
            .mock
            .state
            .set_fault(
                department,
                Fault {
                    mode,
                    ..Fault::HEALTHY
                },
            )
            .unwrap();
    }
    let (status, home) = stack.get_authed(paths::HOME, &access).await;
    assert_eq!(status, 200, "{home}");
    assert!(!home.to_string().contains(&citizen.id_number));

    let logs = String::from_utf8_lossy(&captured.0.lock().unwrap()).to_string();
    assert!(
        logs.contains("request refused"),
        "the capture works: {}",
        &logs[..logs.len().min(2000)]
    );
    for (what, secret) in [
        ("ID number", citizen.id_number.as_str()),
        ("phone number", citizen.mobile.as_str()),
        ("ticket", ticket.as_str()),
        ("access token", access.as_str()),
        ("refresh token", refresh.as_str()),
    ] {
        assert!(!logs.contains(secret), "the {what} appears in the logs");
    }
}
