//! Runtime misconfiguration through the one-shot CLI: hosts that do not resolve, ports that
//! refuse, a wrong bind password, a wrong or revoked token, secrets that are missing, a group
//! that does not exist, a CA that does not match, and plain LDAP to a server that demands
//! TLS. Each stops the run with its own exit code, reason and message, and Jira Align
//! receives no write, although a correct run would deactivate two departed users.

#[path = "common/harness.rs"]
mod common;

use std::path::PathBuf;

use common::checks::writes;
use common::cli::{CliRun, Invocation, Secret, run_cli};
use common::company::{Company, SERVICE_USER_ID, TOKEN, TOKEN_SECRET};
use common::world::World;
use jira_align_sim::SimConfig;
use serde_json::{Value, json};
use test_directories::{LdifFixture, LoadMode, OpenLdap};

const BAD_CONFIGURATION: i32 = 3;
const SYNC_FAILED: i32 = 4;

/// One misconfiguration and what it must produce.
struct Case {
    name: &'static str,
    invocation: Invocation,
    code: i32,
    /// The reason of a failed run; `None` for a configuration error found before any read.
    reason: Option<&'static str>,
    /// A fragment the error line must hold.
    says: &'static str,
}

/// The manifest with the field at `pointer` set (added if missing) to `value`.
fn set(manifest: &Value, pointer: &str, value: Value) -> Value {
    let mut changed = manifest.clone();
    let (parent, field) = pointer.rsplit_once('/').expect("a pointer names a field");
    let object = changed
        .pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .unwrap_or_else(|| panic!("the manifest has an object at {parent}"));
    object.insert(field.to_string(), value);
    changed
}

/// A loopback port nobody listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port is free");
    listener.local_addr().expect("bound").port()
}

fn good(world: &World) -> Invocation {
    Invocation {
        manifest: world.manifest.clone(),
        token: Secret::File(TOKEN.to_string()),
        bind_password: Secret::File(OpenLdap::BIND_PASSWORD.to_string()),
        ca_file: Some(world.directory.ca_pem_path().to_path_buf()),
        log_filter: None,
        extra_args: vec!["--output".into(), "json".into()],
    }
}

fn cases(world: &World, strict: &OpenLdap, junk_ca: &std::path::Path) -> Vec<Case> {
    let base = good(world);
    let manifest = &world.manifest;
    let with_manifest = |manifest: Value| Invocation {
        manifest,
        ..base.clone()
    };
    let directory_url =
        |url: String| with_manifest(set(manifest, "/spec/directory/url", json!(url)));
    let site_url = |url: String| with_manifest(set(manifest, "/spec/jiraAlign/url", json!(url)));
    let plain_site = manifest
        .pointer("/spec/jiraAlign/url")
        .and_then(Value::as_str)
        .expect("the manifest names the site")
        .to_string();
    let strict_ca: PathBuf = strict.ca_pem_path().to_path_buf();
    let plaintext = set(
        &set(manifest, "/spec/directory/url", json!(strict.url())),
        "/spec/directory/tls",
        json!({"dangerouslyAllowPlaintext": true}),
    );
    let missing_group = set(
        manifest,
        "/spec/directory/groups",
        json!(["cn=no-such-group,ou=groups,dc=example,dc=com"]),
    );

    vec![
        Case {
            name: "directory host does not resolve",
            invocation: directory_url("ldaps://directory.invalid:636".into()),
            code: SYNC_FAILED,
            reason: Some("DirectoryUnreachable"),
            says: "directory ldaps://directory.invalid:636 is unreachable",
        },
        Case {
            name: "jira align host does not resolve",
            invocation: site_url("https://jira-align.invalid".into()),
            code: SYNC_FAILED,
            reason: Some("JiraAlignUnreachable"),
            says: "connection to jira align failed during GET /Users after 5 attempts",
        },
        Case {
            name: "directory port refuses",
            invocation: directory_url(format!("ldaps://127.0.0.1:{}", closed_port())),
            code: SYNC_FAILED,
            reason: Some("DirectoryUnreachable"),
            says: "Connection refused",
        },
        Case {
            name: "jira align port refuses",
            invocation: site_url(format!("http://127.0.0.1:{}", closed_port())),
            code: SYNC_FAILED,
            reason: Some("JiraAlignUnreachable"),
            says: "Connection refused",
        },
        Case {
            name: "https to the site's plain-http port",
            invocation: site_url(plain_site.replacen("http://", "https://", 1)),
            code: SYNC_FAILED,
            reason: Some("JiraAlignTlsFailed"),
            says: "TLS with jira align failed during GET /Users: ",
        },
        Case {
            name: "CA file that holds no certificate",
            invocation: Invocation {
                ca_file: Some(junk_ca.to_path_buf()),
                ..base.clone()
            },
            code: BAD_CONFIGURATION,
            reason: None,
            says: "ca.pem: invalid directory configuration tls.ca: the CA bundle holds no \
                   certificate",
        },
        Case {
            name: "manifest names a CA the command line does not give",
            invocation: Invocation {
                ca_file: None,
                ..with_manifest(set(
                    manifest,
                    "/spec/directory/tls",
                    json!({"ca": {"configMapRef": {"name": "corp-ca", "key": "ca.crt"}}}),
                ))
            },
            code: BAD_CONFIGURATION,
            reason: None,
            says: "the manifest names spec.directory.tls.ca; pass that CA bundle with --ca-file",
        },
        Case {
            name: "wrong bind password",
            invocation: Invocation {
                bind_password: Secret::File("Not-The-Passw0rd".into()),
                ..base.clone()
            },
            code: SYNC_FAILED,
            reason: Some("BindFailed"),
            says: "failed with result code 49: invalid credentials",
        },
        Case {
            name: "wrong token",
            invocation: Invocation {
                token: Secret::File("user:1|not-the-secret".into()),
                ..base.clone()
            },
            code: SYNC_FAILED,
            reason: Some("JiraAlignUnauthorized"),
            says: "jira align rejected the api token on GET /Users",
        },
        Case {
            name: "token secret file missing",
            invocation: Invocation {
                token: Secret::MissingFile,
                ..base.clone()
            },
            code: BAD_CONFIGURATION,
            reason: None,
            says: "cannot read Jira Align token",
        },
        Case {
            name: "token environment variable unset",
            invocation: Invocation {
                token: Secret::MissingEnv("ALIGNSYNC_TEST_NO_TOKEN".into()),
                ..base.clone()
            },
            code: BAD_CONFIGURATION,
            reason: None,
            says: "environment variable ALIGNSYNC_TEST_NO_TOKEN (Jira Align token) is not set",
        },
        Case {
            name: "bind password file missing",
            invocation: Invocation {
                bind_password: Secret::MissingFile,
                ..base.clone()
            },
            code: BAD_CONFIGURATION,
            reason: None,
            says: "cannot read bind password",
        },
        Case {
            name: "group dn does not exist",
            invocation: with_manifest(missing_group),
            code: SYNC_FAILED,
            reason: Some("GroupNotFound"),
            says: "group cn=no-such-group,ou=groups,dc=example,dc=com not found",
        },
        Case {
            name: "CA does not match the server",
            invocation: Invocation {
                ca_file: Some(strict_ca),
                ..base.clone()
            },
            code: SYNC_FAILED,
            reason: Some("TlsFailed"),
            says: "the server certificate is not trusted",
        },
        Case {
            name: "plain ldap:// to a server demanding TLS",
            invocation: Invocation {
                ca_file: None,
                ..with_manifest(plaintext)
            },
            code: SYNC_FAILED,
            reason: Some("TlsRequired"),
            says: "requires transport encryption",
        },
    ]
}

fn check(case: &Case, run: &CliRun) {
    let name = case.name;
    eprintln!(
        "OUTCOME misconfig {name}: exit {} reason {:?}: {}",
        run.code,
        run.failure_reason(),
        run.error_line()
    );
    assert_eq!(run.code, case.code, "{name}: {}", run.stderr);
    assert_eq!(run.failure_reason(), case.reason, "{name}: {}", run.stderr);
    assert!(
        run.error_line().contains(case.says),
        "{name}: {}",
        run.stderr
    );
    if case.code == SYNC_FAILED {
        assert!(
            run.stderr.contains("nothing was written to Jira Align"),
            "{name}"
        );
    }
    assert!(!run.stderr.contains(TOKEN_SECRET) && !run.stdout.contains(TOKEN_SECRET));
    assert!(!run.stderr.contains(OpenLdap::BIND_PASSWORD), "{name}");
}

#[tokio::test(flavor = "multi_thread")]
async fn each_misconfiguration_has_its_own_reason_and_writes_nothing() {
    let company = Company::in_step(5, 2);
    let world = World::start(company.clone(), SimConfig::default()).await;
    let fixture = LdifFixture::from_ldif(&company.ldif(), LoadMode::Offline);
    let strict = OpenLdap::start_demanding_tls(&fixture).expect("a TLS-only slapd starts");
    let junk = tempfile::tempdir().expect("a temp dir");
    let junk_ca = junk.path().join("ca.pem");
    std::fs::write(&junk_ca, "this is not a certificate\n").expect("the file is written");
    let cases = cases(&world, &strict, &junk_ca);

    // Each case in its own process and directory, all at once: the slow ones retry.
    let runs: Vec<CliRun> = std::thread::scope(|scope| {
        let handles: Vec<_> = cases
            .iter()
            .map(|case| {
                scope.spawn(|| {
                    let dir = tempfile::tempdir().expect("a temp dir");
                    run_cli(dir.path(), &case.invocation)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("the case thread does not panic"))
            .collect()
    });
    for (case, run) in cases.iter().zip(&runs) {
        check(case, run);
    }

    // The token regenerated on the site: the old one is revoked.
    world
        .site
        .admin()
        .set_token(SERVICE_USER_ID, "regenerated-secret");
    let dir = tempfile::tempdir().expect("a temp dir");
    let revoked = Case {
        name: "revoked token",
        invocation: good(&world),
        code: SYNC_FAILED,
        reason: Some("JiraAlignUnauthorized"),
        says: "jira align rejected the api token on GET /Users",
    };
    check(&revoked, &run_cli(dir.path(), &revoked.invocation));

    // A suspended resource does not run from the CLI either, even with a revoked token.
    let suspended = Invocation {
        manifest: set(&world.manifest, "/spec/suspend", json!(true)),
        ..good(&world)
    };
    let run = run_cli(dir.path(), &suspended);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stderr.trim(),
        "spec.suspend is true: nothing was read or written"
    );

    assert_eq!(writes(&world.site).len(), 0, "no case wrote to Jira Align");
    let messages: std::collections::BTreeSet<&str> = runs.iter().map(CliRun::error_line).collect();
    assert_eq!(messages.len(), runs.len(), "every message is its own");

    // With everything right, the same run deactivates exactly the two leavers.
    world.site.admin().set_token(SERVICE_USER_ID, TOKEN_SECRET);
    let run = run_cli(dir.path(), &good(&world));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(writes(&world.site).len(), 2);
}
