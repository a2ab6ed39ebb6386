//! A phone's app process for the kill -9 test of the forms outbox: opens the client on a store
//! a test logged in on, finalizes drafts until the outbox holds `count` submissions, and syncs
//! until none waits. The test kills it (SIGKILL) at random moments and starts it again; every
//! run picks up where the store says the last one was.
//!
//! Usage: `forms-outbox-child <bff-url> <storage-dir> <form-id> <answers.json> <count>`

use std::sync::Arc;

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let [_, bff, dir, form, answers, count] = args.as_slice() else {
        eprintln!(
            "usage: forms-outbox-child <bff-url> <storage-dir> <form-id> <answers.json> <count>"
        );
        return std::process::ExitCode::from(2);
    };
    let Ok(count) = count.parse::<usize>() else {
        eprintln!("count must be a number");
        return std::process::ExitCode::from(2);
    };
    let answers = match std::fs::read_to_string(answers) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{answers}: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("runtime: {e}");
            return std::process::ExitCode::from(1);
        }
    };
    match runtime.block_on(run(bff, dir, form, &answers, count)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            std::process::ExitCode::from(1)
        }
    }
}

async fn run(
    bff: &str,
    dir: &str,
    form: &str,
    answers: &str,
    count: usize,
) -> Result<(), zhelikit_sdk::SdkError> {
    let client = zhelikit_sdk::ZheliKitClient::open(
        zhelikit_sdk::ClientConfig {
            bff_url: bff.into(),
            mini_app_id: "zk-demo-services".into(),
            storage_dir: dir.into(),
            scopes: None,
            refresh_margin_secs: 60,
            request_timeout_ms: 5000,
        },
        Arc::new(zhelikit_sdk::test_doubles::WrappingKeySource::new([7; 32])),
        None,
        None,
    )?;
    let forms = client.forms();
    // A draft begun by a run that was killed is finished, not begun again.
    loop {
        let outbox = forms.outbox()?.len();
        if outbox >= count {
            break;
        }
        let draft = match forms.drafts().await?.into_iter().next() {
            Some(d) => d,
            None => forms.new_draft(form.into())?,
        };
        forms
            .save_draft(draft.draft_id.clone(), answers.into())
            .await?;
        forms.finalize(draft.draft_id).await?;
    }
    loop {
        let sync = forms.sync().await?;
        if sync.waiting == 0 {
            return Ok(());
        }
    }
}
