//! Command-line entry point: the operator, the one-shot sync and the CRD generator.

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    version,
    about = "Keeps Jira Align users in step with directory groups"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the CustomResourceDefinition as YAML.
    Crd,
    /// Run one sync from a manifest file, without a cluster.
    Sync(jira_align_user_sync::cli::SyncArgs),
    /// Run the operator: watch JiraAlignUserSync resources and keep each site in step.
    Run(jira_align_user_sync::controller::RunArgs),
}

fn main() -> std::process::ExitCode {
    // Usage errors exit with 3 (bad configuration), not clap's 2, which the one-shot sync
    // uses for "deactivations withheld".
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) if error.use_stderr() => {
            let _ = error.print();
            return std::process::ExitCode::from(3);
        }
        Err(error) => {
            let _ = error.print();
            return std::process::ExitCode::SUCCESS;
        }
    };
    match cli.command {
        Command::Crd => {
            let crd = jira_align_user_sync::crd::definition();
            // Serializing a CRD built from static types cannot fail.
            print!("{}", serde_yaml::to_string(&crd).expect("CRD serializes"));
            std::process::ExitCode::SUCCESS
        }
        Command::Sync(args) => {
            jira_align_user_sync::logging::init(false);
            let runtime = tokio::runtime::Runtime::new();
            // Without a runtime nothing can run; the process cannot go on.
            let runtime = runtime.expect("tokio runtime starts");
            runtime.block_on(jira_align_user_sync::cli::sync(args))
        }
        Command::Run(args) => jira_align_user_sync::controller::main(args),
    }
}
