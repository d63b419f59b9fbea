//! One whole sync through the one-shot CLI, on real servers: the demo company's OpenLDAP
//! directory (slapd, TLS with its own CA) and the Jira Align simulator seeded with the demo
//! site. Asserts the exact counts, the exact final state, and that a second run writes
//! nothing.

use std::path::{Path, PathBuf};
use std::process::Command;

use jira_align_sim::{RouteKind, Seed, SimConfig, User};
use serde_json::Value;
use test_directories::{LdifFixture, LoadMode, OpenLdap};

const TOKEN: &str = "user:1|demo-token-secret";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The demo manifest with the servers' real addresses.
fn manifest(dir: &Path, site: &str, ldaps: &str) -> PathBuf {
    let text = std::fs::read_to_string(repo().join("examples/demo/sync.yaml")).expect("demo");
    let text = text
        .replace("http://127.0.0.1:18080", site)
        .replace("ldaps://127.0.0.1:16636", ldaps);
    let path = dir.join("sync.yaml");
    std::fs::write(&path, text).expect("manifest written");
    path
}

fn run_cli(dir: &Path, manifest: &Path, ca: &Path, extra: &[&str]) -> (i32, Value) {
    std::fs::write(dir.join("token"), TOKEN).expect("token file");
    std::fs::write(dir.join("password"), OpenLdap::BIND_PASSWORD).expect("password file");
    let output = Command::new(env!("CARGO_BIN_EXE_jira-align-user-sync"))
        .arg("sync")
        .arg("--manifest")
        .arg(manifest)
        .arg("--token-file")
        .arg(dir.join("token"))
        .arg("--bind-password-file")
        .arg(dir.join("password"))
        .arg("--ca-file")
        .arg(ca)
        .args(["--output", "json"])
        .args(extra)
        .output()
        .expect("the operator binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stdout.contains("demo-token-secret") && !stderr.contains("demo-token-secret"));
    let report = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("report is JSON ({e}); stdout: {stdout}; stderr: {stderr}"));
    (output.status.code().unwrap_or(-1), report)
}

fn by_external_id<'a>(users: &'a [User], key: &str) -> &'a User {
    users
        .iter()
        .find(|u| u.external_id.as_deref() == Some(key))
        .unwrap_or_else(|| panic!("user {key} exists"))
}

#[tokio::test(flavor = "multi_thread")]
async fn demo_company_sync_end_to_end() {
    let fixture = LdifFixture::from_file(
        &repo().join("examples/demo/directory.ldif"),
        LoadMode::Online,
    )
    .expect("demo LDIF loads");
    let directory = OpenLdap::start(&fixture).expect("slapd starts");
    let seed = Seed::from_json_file(&repo().join("examples/demo/jira-align-seed.json"))
        .expect("demo seed loads");
    let site = jira_align_sim::start(seed, SimConfig::default())
        .await
        .expect("simulator");
    let dir = tempfile::tempdir().expect("temp dir");
    let manifest = manifest(dir.path(), site.base_url(), &directory.ldaps_url());

    // Dry run first: the plan, and no write at all.
    let (code, report) = run_cli(
        dir.path(),
        &manifest,
        directory.ca_pem_path(),
        &["--dry-run"],
    );
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["dryRun"], true);
    assert_eq!(report["pendingPlan"]["reason"], "DryRun");
    let writes = |kind| {
        site.admin()
            .request_log()
            .iter()
            .filter(|r| r.route == kind)
            .count()
    };
    assert_eq!(
        writes(RouteKind::CreateUser) + writes(RouteKind::PatchUser),
        0
    );

    let (code, report) = run_cli(dir.path(), &manifest, directory.ca_pem_path(), &[]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["directoryMembers"], 6, "{report}");
    assert_eq!(report["directoryExcluded"], 1, "erin is locked");
    assert_eq!(report["jiraAlignUsers"], 11);
    assert_eq!(
        report["counts"],
        serde_json::json!({
            "created": 2, "reactivated": 2, "deactivated": 3, "repaired": 2,
            "updated": 1, "unchanged": 1, "skipped": 2, "failed": 0
        }),
        "{report}"
    );

    let users = site.admin().users();
    let carol = by_external_id(&users, "carol");
    assert_eq!(
        (carol.role_id, carol.is_external, carol.city_id),
        (Some(5), true, Some(3))
    );
    let bob = by_external_id(&users, "bob");
    assert_eq!((bob.role_id, bob.is_external), (Some(4), false));
    assert_eq!(bob.email.as_deref(), Some("bob@example.com"));
    for leaver in ["erin", "henry", "ivan"] {
        assert_eq!(
            by_external_id(&users, leaver).is_locked,
            -1,
            "{leaver} deactivated"
        );
    }
    let ivan = by_external_id(&users, "ivan");
    assert_eq!((ivan.division_id, ivan.city_id), (Some(5), Some(3)));
    let grace = by_external_id(&users, "grace");
    assert_eq!(
        (grace.is_locked, grace.division_id, grace.user_end_date),
        (0, Some(5), None)
    );
    assert_eq!(by_external_id(&users, "frank").is_locked, 0);
    assert_eq!(
        by_external_id(&users, "judy").is_locked,
        0,
        "protected by role"
    );
    assert_eq!(
        by_external_id(&users, "svc-jira-sync").is_locked,
        0,
        "token owner"
    );
    let dave = by_external_id(&users, "dave");
    assert_eq!(dave.title.as_deref(), Some("Staff Engineer"));
    let unmanaged = users.iter().find(|u| u.id == 110).expect("connector user");
    assert_eq!(
        (unmanaged.is_locked, unmanaged.division_id),
        (0, None),
        "never touched"
    );

    // Second run: everything in step, nothing written.
    let before = writes(RouteKind::CreateUser) + writes(RouteKind::PatchUser);
    let (code, report) = run_cli(dir.path(), &manifest, directory.ca_pem_path(), &[]);
    assert_eq!(code, 0);
    assert_eq!(
        report["counts"],
        serde_json::json!({
            "created": 0, "reactivated": 0, "deactivated": 0, "repaired": 0,
            "updated": 0, "unchanged": 6, "skipped": 2, "failed": 0
        }),
        "{report}"
    );
    assert_eq!(
        writes(RouteKind::CreateUser) + writes(RouteKind::PatchUser),
        before
    );
    site.admin().assert_no_violations();
}
