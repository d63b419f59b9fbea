//! The API token and the bind password never leave the process: full syncs through the CLI
//! at trace level (successful, and failing on the directory, on Jira Align, and on a site
//! that echoes the token back in its error bodies) are searched, stdout and stderr, for
//! both secrets as they are, percent-encoded and base64-encoded. The `Debug` forms of the
//! configuration types and the error texts are searched too.

#[path = "common/harness.rs"]
mod common;

use std::sync::Arc;

use common::cli::{CliRun, Invocation, Secret, run_cli};
use common::company::{Company, SERVICE_USER_ID};
use common::fake_jira::{FakeJira, Reply, SeenRequest};
use common::leaks::{base64, leaks};
use common::world::{Tuning, World, client_for};
use jira_align_sim::SimConfig;
use jira_align_user_sync::jira_align::ClientConfig;
use serde_json::json;
use test_directories::{ModifyOp, OpenLdap};

const TOKEN_PART: &str = "Tk-7f3e9a2c-Distinctive-Q81z";
const TOKEN: &str = "user:1|Tk-7f3e9a2c-Distinctive-Q81z";
const PASSWORD: &str = "Bp-d41c88e0-Distinctive-W27k";
const SECRETS: [&str; 3] = [TOKEN, TOKEN_PART, PASSWORD];

/// The company with the distinctive token and bind password in force.
async fn world() -> World {
    let mut world = World::start(Company::out_of_step(), SimConfig::default()).await;
    world.site.admin().set_token(SERVICE_USER_ID, TOKEN_PART);
    world
        .directory
        .admin()
        .modify(
            OpenLdap::BIND_DN,
            ModifyOp::Replace,
            "userPassword",
            &[PASSWORD],
        )
        .expect("the bind password is set");
    world.bind_password = PASSWORD.to_string();
    world
}

fn traced(world: &World, output: &str) -> Invocation {
    Invocation {
        manifest: world.manifest.clone(),
        token: Secret::File(TOKEN.to_string()),
        bind_password: Secret::Env("ALIGNSYNC_TEST_BIND".into(), PASSWORD.into()),
        ca_file: Some(world.directory.ca_pem_path().to_path_buf()),
        log_filter: Some("trace".into()),
        extra_args: vec!["--output".into(), output.into()],
    }
}

/// Runs, prints the outcome line, and returns the run and the leaks found in it.
fn run_and_search(name: &str, invocation: &Invocation) -> (CliRun, Vec<String>) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let run = run_cli(dir.path(), invocation);
    let found = leaks(&format!("{}\n{}", run.stdout, run.stderr), &SECRETS);
    eprintln!(
        "OUTCOME secrets {name}: exit {} output {} bytes, leaks {}",
        run.code,
        run.stdout.len() + run.stderr.len(),
        found.len()
    );
    (run, found)
}

#[test]
fn the_searched_forms_catch_encoded_secrets() {
    for prefix in ["", "a", "ab", "abc"] {
        let text = base64(format!("{prefix}{PASSWORD}!").as_bytes());
        assert!(!leaks(&text, &SECRETS).is_empty(), "{prefix}");
    }
    assert_eq!(
        leaks("user%3A1%7CTk-7f3e9a2c-Distinctive-Q81z", &[TOKEN]).len(),
        1
    );
    assert!(leaks("nothing here", &SECRETS).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_traced_full_sync_prints_no_secret() {
    let world = world().await;

    let (run, found) = run_and_search("successful sync, json", &traced(&world, "json"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("TRACE"), "trace logging is on");
    assert!(run.stderr.lines().count() > 100, "a trace run says a lot");
    assert!(found.is_empty(), "{found:?}");
    let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("a JSON report");
    assert_eq!(report["counts"]["created"], 14);

    let (run, found) = run_and_search("second sync, table", &traced(&world, "table"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(found.is_empty(), "{found:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn traced_failures_print_no_secret() {
    let world = world().await;

    let wrong_password = Invocation {
        bind_password: Secret::File("Wrong-Distinctive-Passw0rd-88".into()),
        ..traced(&world, "json")
    };
    let (run, found) = run_and_search("wrong bind password", &wrong_password);
    assert_eq!(run.failure_reason(), Some("BindFailed"));
    assert!(found.is_empty(), "{found:?}");
    assert!(!run.stderr.contains("Wrong-Distinctive-Passw0rd-88"));

    world
        .site
        .admin()
        .set_token(SERVICE_USER_ID, "another-secret");
    let (run, found) = run_and_search("revoked token", &traced(&world, "json"));
    assert_eq!(run.failure_reason(), Some("JiraAlignUnauthorized"));
    assert!(found.is_empty(), "{found:?}");
}

/// A site that answers every request with an error quoting the Authorization header.
fn echoing(status: u16) -> Arc<dyn Fn(&SeenRequest) -> Reply + Send + Sync> {
    Arc::new(move |request: &SeenRequest| {
        let header = request.authorization.clone().unwrap_or_default();
        let body = json!({
            "message": format!("token {header} refused"),
            "detail": format!("secret was {}", header.rsplit('|').next().unwrap_or("")),
        });
        Reply::json(status, body.to_string())
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn a_site_echoing_the_token_gets_it_redacted() {
    let world = world().await;
    for status in [400, 401, 403] {
        let site = FakeJira::start(echoing(status)).await;
        let mut invocation = traced(&world, "json");
        invocation.manifest["spec"]["jiraAlign"]["url"] = json!(site.url());

        let (run, found) = run_and_search(
            &format!("site echoing the token in a {status}"),
            &invocation,
        );
        assert_eq!(run.code, 4, "{}", run.stderr);
        assert!(found.is_empty(), "{status}: {found:?}");
        assert!(
            run.error_line().contains("<redacted>"),
            "{}",
            run.error_line()
        );
        let sent = site.seen();
        assert_eq!(
            sent[0].authorization.as_deref(),
            Some(format!("Bearer {TOKEN}").as_str()),
            "the token did reach the site"
        );
    }

    // In process too: the retried 500s end in an error without the token.
    let site = FakeJira::start(echoing(500)).await;
    let client = client_for(
        &site.url(),
        TOKEN,
        Tuning {
            max_attempts: 2,
            ..Tuning::default()
        },
    );
    let error = client.list_users().await.expect_err("the site only fails");
    let text = format!("{error} {error:?}");
    assert!(leaks(&text, &SECRETS).is_empty(), "{text}");
    assert!(text.contains("<redacted>"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn debug_forms_of_configurations_hide_the_secrets() {
    let world = world().await;
    let directory = world.directory_config();
    let client_config = ClientConfig::new(world.site.base_url(), TOKEN);
    let client = world.client(Tuning::default());
    let text = format!("{directory:?} {client_config:?} {client:?}");
    assert!(leaks(&text, &SECRETS).is_empty(), "{text}");
    assert!(text.contains("<redacted>"));
}
