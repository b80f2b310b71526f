use std::process::ExitCode;
use std::time::Instant;

use server::config::AppConfig;
use server::startup::Application;
use server::{shutdown, telemetry};

#[tokio::main]
async fn main() -> ExitCode {
    let started = Instant::now();
    let config = match AppConfig::load() {
        Ok(config) => config,
        Err(err) => {
            // Logging is configured by this very config, so report on stderr directly.
            eprintln!("mealquest: {err}");
            return ExitCode::FAILURE;
        }
    };
    match std::env::args().nth(1).as_deref() {
        None | Some("serve") => {}
        // A report on stdout, not a service's log: the database's own shutdown chatter
        // (background tasks cancelled as the process ends) is left unlogged.
        Some("check-ledger") => return check_ledger(&config).await,
        Some(other) => {
            eprintln!("mealquest: unknown command `{other}` (commands: serve, check-ledger)");
            return ExitCode::FAILURE;
        }
    }
    telemetry::init(&config.settings.log);
    match serve(&config, started).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = %err, "mealquest stopped with an error");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: &AppConfig, started: Instant) -> Result<(), server::startup::StartupError> {
    let app = Application::build(config).await?;
    let addr = app.local_addr()?;
    tracing::info!(
        env = config.environment.as_str(),
        %addr,
        ready_in_ms = started.elapsed().as_millis(),
        "mealquest is serving on http://{addr}"
    );
    app.run_until(shutdown::signal()).await
}

/// `mealquest check-ledger`: every wallet, holding and purse of silver in the configured
/// database against the sum of its ledger. Exit 0 when all add up; 1, listing each, when not.
async fn check_ledger(config: &AppConfig) -> ExitCode {
    match server::startup::check_books(config).await {
        Ok(audit) if audit.mismatches.is_empty() => {
            println!(
                "ledger ok: {} accounts add up to their {} ledger entries",
                audit.accounts, audit.entries
            );
            ExitCode::SUCCESS
        }
        Ok(audit) => {
            for mismatch in &audit.mismatches {
                println!("MISMATCH {mismatch}");
            }
            println!(
                "ledger WRONG: {} of {} accounts do not add up",
                audit.mismatches.len(),
                audit.accounts
            );
            ExitCode::FAILURE
        }
        Err(err) => {
            eprintln!("mealquest check-ledger: {err}");
            ExitCode::FAILURE
        }
    }
}
