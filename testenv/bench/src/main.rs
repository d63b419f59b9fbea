//! `alignsync-bench`: the enterprise-scale benchmark of the one-shot sync. `run` starts the
//! directories and the Jira Align simulator, runs every scenario with our client and with the
//! baseline configuration, and writes `docs/benchmarks.md`; `planner` times the planner
//! alone; `remove-ad-group` takes the benchmark's accounts off the shared Samba DC.

mod ad_group;
mod error;
mod floor;
mod ldap;
mod machine;
mod manifest;
mod measure;
mod people;
mod planner;
mod report;
mod scenario;
mod site;
mod suite;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use error::BenchError;
use suite::{Options, Sizes};

#[derive(Debug, Parser)]
#[command(about = "Enterprise-scale benchmark of the one-shot Jira Align user sync")]
struct Cli {
    #[command(subcommand)]
    command: Commands,
}

#[derive(Debug, Subcommand)]
enum Commands {
    /// Run every scenario and write the report.
    Run(RunArgs),
    /// Time the planner alone on the steady-state and churn inputs and print the table.
    Planner {
        #[arg(long, default_value_t = 25)]
        runs: usize,
    },
    /// Delete the benchmark's OU and accounts from the shared Samba AD DC.
    RemoveAdGroup {
        #[arg(long, default_value = ".cache/bench")]
        work: PathBuf,
    },
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// The release build of the operator to measure.
    #[arg(long, default_value = "target/release/jira-align-user-sync")]
    operator: PathBuf,
    /// Where the report goes (default: docs/benchmarks.md, or under --work with --quick).
    #[arg(long)]
    out: Option<PathBuf>,
    /// The command line recorded in the report.
    #[arg(long, default_value = "alignsync-bench run")]
    command: String,
    /// Scratch directory for manifests, secrets, counters and reports of each run.
    #[arg(long, default_value = ".cache/bench")]
    work: PathBuf,
    /// A tenth of every size, to try the suite in a few minutes.
    #[arg(long)]
    quick: bool,
    /// Leave out the Active Directory scenarios (no Samba needed).
    #[arg(long)]
    skip_ad: bool,
    /// Runs of the planner alone; the median is reported.
    #[arg(long, default_value_t = 25)]
    planner_runs: usize,
    /// Run only these scenarios (steady, churn, first-sync, throttled, ad-steady, ad-churn,
    /// sweep-small, sweep-medium, sweep-large); the report then covers only them.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Before each run, print its command line and wait for Ctrl-C, to repeat it by hand
    /// against the same servers (best with --only steady or a sweep scenario).
    #[arg(long)]
    hold: bool,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,jira_align_sim=warn".into()),
        )
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(Cli::parse())) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<ExitCode, BenchError> {
    match cli.command {
        Commands::Run(args) => run_suite(args).await,
        Commands::Planner { runs } => {
            for timing in suite::planner_only(runs)? {
                println!("{timing:?}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Commands::RemoveAdGroup { work } => {
            std::fs::create_dir_all(&work).map_err(BenchError::io("create", &work))?;
            let removed = ad_group::remove(&work)?;
            println!("removed {removed} objects and {}", ad_group::OU_DN);
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn run_suite(args: RunArgs) -> Result<ExitCode, BenchError> {
    let options = Options {
        operator: args.operator,
        work: args.work.clone(),
        sizes: if args.quick {
            Sizes::QUICK
        } else {
            Sizes::FULL
        },
        with_ad: !args.skip_ad,
        planner_runs: args.planner_runs,
        only: args.only,
        hold: args.hold,
    };
    let out = args.out.unwrap_or_else(|| match args.quick {
        true => args.work.join("benchmarks-quick.md"),
        false => PathBuf::from("docs/benchmarks.md"),
    });
    let facts = report::RunFacts {
        command: args.command,
        date: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
        machine: machine::Machine::describe(),
    };

    let results = suite::run(&options).await?;
    let text = report::render(&results, &facts)?;
    report::write(&out, &text)?;
    tracing::info!(report = %out.display(), "report written");

    let problems = results
        .scenarios
        .iter()
        .chain(&results.sweep)
        .flat_map(|o| o.ours.problems.iter().chain(&o.baseline.problems))
        .count();
    if problems > 0 {
        eprintln!("{problems} runs did not do what their site calls for; see the report");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}
