//! TLS verification is on by default: a sync refuses a directory whose certificate is not
//! signed by the CA it was given, or by the system roots when it was given none, over
//! LDAPS and over StartTLS, on slapd and on the Samba AD DC; with the right CA the same
//! sync reads the directory and plans. A refused run writes nothing.

#[path = "common/harness.rs"]
mod common;

use common::checks::writes;
use common::company::Company;
use common::world::{Tuning, World, client_for, run_with, spec_of};
use jira_align_sim::SimConfig;
use jira_align_user_sync::crd::JiraAlignUserSyncSpec;
use jira_align_user_sync::directory::DirectoryConfig;
use jira_align_user_sync::sync::{SyncError, SyncReport};
use serde_json::{Value, json};
use test_directories::{AdFixture, SambaAd, TlsFiles};

/// A CA that signed nothing the servers present.
fn stranger_ca() -> (tempfile::TempDir, Vec<u8>) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let files = TlsFiles::generate(dir.path(), &[]).expect("openssl makes a CA");
    let pem = std::fs::read(&files.ca_pem).expect("the CA file is readable");
    (dir, pem)
}

/// The three trust settings of one run, and what each must give.
async fn check_trust(
    name: &str,
    spec: &JiraAlignUserSyncSpec,
    password: &str,
    right_ca: Vec<u8>,
    site: &jira_align_sim::RunningSimulator,
) -> SyncReport {
    let client = client_for(site.base_url(), common::company::TOKEN, Tuning::default());
    let config = |ca: Option<Vec<u8>>| {
        DirectoryConfig::from_spec(&spec.directory, &spec.overrides, password.to_string(), ca)
    };
    let refused = |result: Result<SyncReport, SyncError>| match result {
        Ok(_) => panic!("{name}: the run trusted a certificate it should not"),
        Err(error) => (error.reason(), error.to_string()),
    };

    let (_dir, stranger) = stranger_ca();
    let (reason, message) = refused(run_with(spec, config(Some(stranger)), &client).await);
    eprintln!("OUTCOME tls {name}, another CA: {reason}: {message}");
    assert_eq!(reason, "TlsFailed", "{message}");
    assert!(message.contains("is not trusted"), "{message}");
    assert!(message.contains("the CA bundle in tls.ca"), "{message}");

    let (reason, message) = refused(run_with(spec, config(None), &client).await);
    eprintln!("OUTCOME tls {name}, no CA (system roots): {reason}: {message}");
    assert_eq!(reason, "TlsFailed", "{message}");
    assert!(message.contains("the system CA roots"), "{message}");
    assert_eq!(writes(site).len(), 0, "{name}: refused runs write nothing");

    let report = run_with(spec, config(Some(right_ca)), &client)
        .await
        .unwrap_or_else(|e| panic!("{name}: the right CA is trusted: {e}"));
    eprintln!(
        "OUTCOME tls {name}, right CA: read {} members",
        report.directory_members
    );
    report
}

fn dry_run(mut manifest: Value) -> Value {
    manifest["spec"]["policy"]["dryRun"] = json!(true);
    manifest
}

#[tokio::test(flavor = "multi_thread")]
async fn slapd_is_trusted_only_through_its_own_ca() {
    let world = World::start(Company::in_step(5, 2), SimConfig::default()).await;
    let ldaps = dry_run(world.manifest.clone());
    let mut starttls = ldaps.clone();
    starttls["spec"]["directory"]["url"] = json!(world.directory.url());

    for (name, manifest) in [("slapd ldaps://", ldaps), ("slapd StartTLS", starttls)] {
        let spec = spec_of(&manifest);
        let report = check_trust(
            name,
            &spec,
            &world.bind_password,
            world.ca_pem.clone(),
            &world.site,
        )
        .await;
        assert_eq!(report.directory_members, 5);
        assert_eq!(
            report.plan.counts().deactivated,
            2,
            "{name}: planned, not done"
        );
    }
    assert_eq!(writes(&world.site).len(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_samba_dc_is_trusted_only_through_its_own_ca() {
    let dc = SambaAd::ensure().unwrap_or_else(|error| panic!("{error}"));
    let company = Company::in_step(1, 0);
    let site = jira_align_sim::start(company.site.clone(), SimConfig::default())
        .await
        .expect("the simulator binds a local port");
    let mut manifest = dry_run(common::world::manifest(site.base_url(), &dc.ldaps_url()));
    manifest["spec"]["directory"] = json!({
        "url": dc.ldaps_url(),
        "mode": "ActiveDirectory",
        "bindDn": dc.bind_dn(),
        "bindPasswordSecretRef": {"name": "directory-bind", "key": "password"},
        "baseDn": dc.base_dn(),
        "groups": [AdFixture::ENTITLED_GROUP_DN],
        "timeoutSeconds": 10
    });
    let ca = std::fs::read(dc.ca_pem_path()).expect("the DC's CA file is readable");

    let report = check_trust(
        "samba ldaps://",
        &spec_of(&manifest),
        dc.bind_password(),
        ca,
        &site,
    )
    .await;
    assert_eq!(
        report.directory_members as usize,
        AdFixture::EXPECTED_ENTITLED.len()
    );
    assert_eq!(writes(&site).len(), 0);
}
