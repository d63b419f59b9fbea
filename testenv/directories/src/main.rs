//! `test-directories`: starts and stops the test directory servers from scripts and the
//! demo, printing connection details as `KEY=VALUE` lines on stdout.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand, ValueEnum};
use test_directories::{
    BulkNesting, FixtureError, LdifFixture, LoadMode, OpenLdap, OpenLdapOptions, SambaAd,
    SambaStatus,
};

#[derive(Debug, Parser)]
#[command(about = "Throwaway OpenLDAP and Samba AD servers for tests and demos")]
struct Cli {
    #[command(subcommand)]
    command: Commands,
}

#[derive(Debug, Subcommand)]
enum Commands {
    /// Start a slapd in the background and print its connection details.
    Openldap(OpenldapArgs),
    /// Stop a slapd started with `openldap --state-dir DIR`.
    Stop {
        #[arg(long)]
        state_dir: PathBuf,
    },
    /// Manage the shared Samba AD DC (ports 389/636/3268/3269).
    Samba {
        #[arg(value_enum)]
        action: SambaAction,
    },
}

#[derive(Debug, clap::Args)]
struct OpenldapArgs {
    /// Directory for config, database, certificates, log and pid file; must be empty.
    #[arg(long)]
    state_dir: PathBuf,
    /// LDIF to load instead of the standard fixture (skeleton entries are skipped).
    #[arg(long, conflicts_with = "bulk")]
    ldif: Option<PathBuf>,
    /// Load --ldif with slapadd before start (fast; no memberOf computed) instead of
    /// ldapmodify after start.
    #[arg(long, requires = "ldif")]
    offline: bool,
    /// Generate this many users in nested groups instead of the standard fixture.
    #[arg(long)]
    bulk: Option<usize>,
    /// Nested groups below jira-align-users for --bulk.
    #[arg(long, default_value_t = 2, requires = "bulk")]
    depth: usize,
    /// Port for ldap:// (StartTLS); free one if omitted.
    #[arg(long)]
    port: Option<u16>,
    /// Port for ldaps://; free one if omitted.
    #[arg(long)]
    ldaps_port: Option<u16>,
    /// Refuse operations without TLS (olcSecurity tls=1).
    #[arg(long)]
    demand_tls: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum SambaAction {
    /// Provision if needed, start if not running, print connection details.
    Up,
    /// Stop the DC if it runs.
    Down,
    /// Print STATUS=running|stopped|not-provisioned.
    Status,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            let mut source = std::error::Error::source(&error);
            while let Some(cause) = source {
                eprintln!("  caused by: {cause}");
                source = cause.source();
            }
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), FixtureError> {
    match cli.command {
        Commands::Openldap(args) => start_openldap(args),
        Commands::Stop { state_dir } => {
            let stopped = OpenLdap::stop_state_dir(&state_dir)?;
            println!("STOPPED={stopped}");
            Ok(())
        }
        Commands::Samba { action } => samba(action),
    }
}

fn start_openldap(args: OpenldapArgs) -> Result<(), FixtureError> {
    let fixture = match (&args.ldif, args.bulk) {
        (Some(path), _) => {
            let mode = if args.offline {
                LoadMode::Offline
            } else {
                LoadMode::Online
            };
            LdifFixture::from_file(path, mode)?
        }
        (None, Some(users)) => LdifFixture::bulk(users, BulkNesting::chain(args.depth)),
        (None, None) => LdifFixture::standard(),
    };
    let options = OpenLdapOptions {
        demand_tls: args.demand_tls,
        state_dir: Some(args.state_dir),
        port: args.port,
        ldaps_port: args.ldaps_port,
        own_process_group: true,
    };
    let started = Instant::now();
    let server = OpenLdap::start_with(&fixture, &options)?;
    let elapsed = started.elapsed();
    print_pairs(&[
        ("LDAP_URL", server.url()),
        ("LDAPS_URL", server.ldaps_url()),
        ("CA_PEM", server.ca_pem_path().display().to_string()),
        ("BIND_DN", server.bind_dn().to_owned()),
        ("BIND_PASSWORD", server.bind_password().to_owned()),
        ("BASE_DN", server.base_dn().to_owned()),
        ("ADMIN_DN", OpenLdap::ADMIN_DN.to_owned()),
        ("ADMIN_PASSWORD", OpenLdap::ADMIN_PASSWORD.to_owned()),
        ("STATE_DIR", server.state_dir().display().to_string()),
        (
            "PID_FILE",
            server.state_dir().join("slapd.pid").display().to_string(),
        ),
        ("STARTUP_MS", elapsed.as_millis().to_string()),
    ]);
    let pid = server.detach();
    print_pairs(&[("PID", pid.to_string())]);
    Ok(())
}

fn samba(action: SambaAction) -> Result<(), FixtureError> {
    match action {
        SambaAction::Up => {
            let started = Instant::now();
            let dc = SambaAd::ensure()?;
            print_pairs(&[
                ("LDAP_URL", dc.url()),
                ("LDAPS_URL", dc.ldaps_url()),
                ("GC_LDAPS_URL", dc.gc_ldaps_url()),
                ("CA_PEM", dc.ca_pem_path().display().to_string()),
                ("BIND_DN", dc.bind_dn().to_owned()),
                ("BIND_PASSWORD", dc.bind_password().to_owned()),
                ("BASE_DN", dc.base_dn().to_owned()),
                ("ADMIN_DN", SambaAd::ADMIN_DN.to_owned()),
                ("ADMIN_PASSWORD", SambaAd::ADMIN_PASSWORD.to_owned()),
                ("STATE_DIR", dc.state_dir().display().to_string()),
                ("PID", dc.pid().to_string()),
                ("STARTUP_MS", started.elapsed().as_millis().to_string()),
            ]);
        }
        SambaAction::Down => {
            let stopped = SambaAd::stop_all()?;
            print_pairs(&[("STOPPED", stopped.to_string())]);
        }
        SambaAction::Status => match SambaAd::status()? {
            SambaStatus::Running { pid } => {
                print_pairs(&[("STATUS", "running".to_owned()), ("PID", pid.to_string())]);
            }
            SambaStatus::Stopped => print_pairs(&[("STATUS", "stopped".to_owned())]),
            SambaStatus::NotProvisioned => {
                print_pairs(&[("STATUS", "not-provisioned".to_owned())]);
            }
        },
    }
    Ok(())
}

fn print_pairs(pairs: &[(&str, String)]) {
    for (key, value) in pairs {
        println!("{key}={value}");
    }
}
