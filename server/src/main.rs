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
