//! The `jira-align-sim` binary: serves a seeded or generated site until SIGTERM or SIGINT,
//! printing its URL as the first line of stdout so scripts can read it.

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use jira_align_sim::{GeneratorSpec, Seed, SimConfig, SimError, generate, start_at};
use tokio::signal::unix::{SignalKind, signal};

/// A local Jira Align REST API 2.0 simulator.
#[derive(Parser, Debug)]
#[command(name = "jira-align-sim", version)]
struct Args {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Seed file (JSON). Required unless --generate is given.
    #[arg(long, required_unless_present = "generate")]
    seed: Option<PathBuf>,
    /// Configuration file (JSON, or YAML by extension .yaml/.yml).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Generate a site instead of (or, with --seed, in addition to) a seed file, e.g.
    /// `users=100000,seed=7,deactivated=0.1`. With --seed, only the generated people are
    /// added; they point at region 1, city 11, cost center 100, division 200 and role 3,
    /// which the seed file must then define.
    #[arg(long)]
    generate: Option<String>,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    match run(Args::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = %error, category = error.category(), "simulator failed");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), SimError> {
    let seed = load_seed(&args)?;
    let config = match &args.config {
        Some(path) => SimConfig::from_file(path)?,
        None => SimConfig::default(),
    };
    let users = seed.users.len();
    let sim = start_at(args.listen, seed, config).await?;

    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "{}", sim.base_url());
    let _ = stdout.flush();
    tracing::info!(url = %sim.base_url(), users, "serving");

    wait_for_stop_signal().await;
    tracing::info!("stopping");
    sim.shutdown().await;
    Ok(())
}

fn load_seed(args: &Args) -> Result<Seed, SimError> {
    let mut seed = match &args.seed {
        Some(path) => Seed::from_json_file(path)?,
        None => Seed::default(),
    };
    if let Some(spec) = &args.generate {
        let generated = generate(&GeneratorSpec::parse(spec)?);
        if args.seed.is_none() {
            return Ok(generated);
        }
        // Only the generated people join a seed file; its own lists and tokens stay.
        let taken: std::collections::BTreeSet<i64> = seed.users.iter().map(|u| u.id).collect();
        let people = generated
            .users
            .into_iter()
            .filter(|u| u.id > jira_align_sim::GENERATED_ID_OFFSET);
        seed.users.extend(people.filter(|u| !taken.contains(&u.id)));
    }
    seed.validate()?;
    Ok(seed)
}

async fn wait_for_stop_signal() {
    let terminate = signal(SignalKind::terminate());
    let interrupt = signal(SignalKind::interrupt());
    match (terminate, interrupt) {
        (Ok(mut terminate), Ok(mut interrupt)) => {
            tokio::select! {
                _ = terminate.recv() => {}
                _ = interrupt.recv() => {}
            }
        }
        _ => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
