//! Full syncs whose directory read fails part-way: slapd's connection cut or frozen in the
//! middle of the member read (through a proxy), a scripted server answering sizeLimit,
//! timeLimit or adminLimit exceeded at a page, closing or going silent at a page, and the
//! bind password rotated between runs. Every Jira Align site here has departed users that
//! a complete read would deactivate, and members that a partial read would make look
//! departed: each failed run must write nothing at all and name its reason.

#[path = "common/harness.rs"]
mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::checks::writes;
use common::company::{Company, TOKEN};
use common::fake_ldap::{FakeLdap, Trouble};
use common::proxy::{Mischief, Proxy};
use common::world::{Tuning, World, client_for, manifest, run_with, spec_of};
use jira_align_sim::SimConfig;
use jira_align_user_sync::directory::read_members;
use jira_align_user_sync::sync::{SyncError, SyncReport};
use test_directories::{ModifyOp, OpenLdap};

/// How long a read waits for an answer before giving up, in these tests.
const READ_TIMEOUT: Duration = Duration::from_millis(500);

/// The reason and message of a run that must have failed.
fn failure(result: Result<SyncReport, SyncError>) -> (String, String) {
    match result {
        Ok(report) => panic!(
            "the run should have failed; it planned {:?}",
            report.counts()
        ),
        Err(error) => (error.reason().to_string(), error.to_string()),
    }
}

fn slapd_ldaps(world: &World) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], world.directory.ldaps_port()))
}

/// Bytes slapd sends for one complete read of the company's members.
async fn bytes_of_one_read(world: &mut World) -> u64 {
    let counting = Proxy::start(slapd_ldaps(world), Mischief::None).await;
    world.directory_url = Some(format!("ldaps://127.0.0.1:{}", counting.port()));
    let snapshot = read_members(&world.directory_config())
        .await
        .expect("a read through a faithful proxy succeeds");
    assert_eq!(snapshot.users.len(), world.company.people.len());
    counting.forwarded()
}

#[tokio::test(flavor = "multi_thread")]
async fn slapd_cut_off_mid_read_deactivates_nobody() {
    let mut world = World::start(Company::in_step(300, 3), SimConfig::default()).await;
    let total = bytes_of_one_read(&mut world).await;

    let cutting = Proxy::start(slapd_ldaps(&world), Mischief::CutAfter(total / 2)).await;
    world.directory_url = Some(format!("ldaps://127.0.0.1:{}", cutting.port()));
    let client = world.client(Tuning::default());
    let (reason, message) = failure(world.run(&client).await);

    eprintln!(
        "OUTCOME slapd cut after {} of {total} bytes: {reason}: {message}",
        total / 2
    );
    assert_eq!(reason, "IncompleteRead", "{message}");
    assert!(
        message.contains("closed before the read finished"),
        "{message}"
    );
    assert_eq!(writes(&world.site).len(), 0);

    // The same site with a complete read: exactly the three leavers go.
    world.directory_url = None;
    let report = world.run(&client).await.expect("a complete read succeeds");
    assert_eq!(report.counts().deactivated, 3);
    assert_eq!(writes(&world.site).len(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn slapd_frozen_mid_read_times_out_and_deactivates_nobody() {
    let mut world = World::start(Company::in_step(300, 3), SimConfig::default()).await;
    let total = bytes_of_one_read(&mut world).await;

    let freezing = Proxy::start(slapd_ldaps(&world), Mischief::StallAfter(total / 2)).await;
    world.directory_url = Some(format!("ldaps://127.0.0.1:{}", freezing.port()));
    world.directory_timeout = Some(READ_TIMEOUT);
    let client = world.client(Tuning::default());
    let started = Instant::now();
    let (reason, message) = failure(world.run(&client).await);

    eprintln!(
        "OUTCOME slapd frozen after {} bytes: {reason}: {message}",
        total / 2
    );
    assert_eq!(reason, "IncompleteRead", "{message}");
    assert!(
        message.contains("no answer within the timeout"),
        "{message}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(writes(&world.site).len(), 0);
}

/// A run against the scripted directory holding `company`, misbehaving as `trouble` says.
async fn run_against_fake(
    company: &Company,
    trouble: Trouble,
) -> (
    Result<SyncReport, SyncError>,
    jira_align_sim::RunningSimulator,
    u32,
) {
    let mut directory = company.fake_directory();
    directory.trouble = trouble;
    let server = FakeLdap::start(directory).await;
    let site = jira_align_sim::start(company.site.clone(), SimConfig::default())
        .await
        .expect("the simulator binds a local port");
    let spec = spec_of(&manifest(site.base_url(), &server.url()));
    let mut config = server.config_for(&spec, OpenLdap::BIND_PASSWORD);
    config.timeout = READ_TIMEOUT;
    let client = client_for(site.base_url(), TOKEN, Tuning::default());
    let result = run_with(&spec, config, &client).await;
    (result, site, server.pages_asked())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_directory_failing_at_a_page_deactivates_nobody() {
    let company = Company::in_step(20, 3);

    // Page 1 is the group's entry; pages 2 to 8 hold the 20 people, three a page.
    let (complete, site, pages) = run_against_fake(&company, Trouble::None).await;
    let report = complete.expect("the scripted directory serves a complete read");
    assert_eq!((report.counts().deactivated, pages), (3, 8));
    assert_eq!(writes(&site).len(), 3);

    let limit = |code: u32, text: &str| Trouble::ResultCode {
        page: 3,
        code,
        text: text.to_string(),
    };
    let cases = [
        (
            "sizeLimitExceeded at page 3",
            limit(4, "Size limit exceeded"),
            "the server's size limit was exceeded (result code 4: Size limit exceeded)",
        ),
        (
            "timeLimitExceeded at page 3",
            limit(3, "Time limit exceeded"),
            "the server's time limit was exceeded (result code 3: Time limit exceeded)",
        ),
        (
            "adminLimitExceeded at page 3",
            limit(11, ""),
            "an administrative limit was exceeded (result code 11)",
        ),
        (
            "connection closed at page 3",
            Trouble::Close { page: 3 },
            "the connection was closed before the read finished",
        ),
        (
            "page 3 never arrives",
            Trouble::Stall { page: 3 },
            "no answer within the timeout",
        ),
    ];
    for (name, trouble, expected) in cases {
        let (result, site, pages) = run_against_fake(&company, trouble).await;
        let (reason, message) = failure(result);
        eprintln!("OUTCOME directory {name}: {reason}: {message}");
        assert_eq!(reason, "IncompleteRead", "{name}: {message}");
        assert!(message.contains(expected), "{name}: {message}");
        assert!(
            message.contains("members below ou=people"),
            "{name}: {message}"
        );
        assert_eq!(pages, 3, "{name}: the read stopped at the failing page");
        assert_eq!(writes(&site).len(), 0, "{name}: nothing written");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rotated_bind_password_fails_the_run_until_the_secret_follows() {
    let mut world = World::start(Company::in_step(10, 2), SimConfig::default()).await;
    let client = world.client(Tuning::default());
    let first = world.run(&client).await.expect("the first run succeeds");
    assert_eq!(first.counts().deactivated, 2);

    let rotated = "Rotated-Passw0rd-7731";
    world
        .directory
        .admin()
        .modify(
            OpenLdap::BIND_DN,
            ModifyOp::Replace,
            "userPassword",
            &[rotated],
        )
        .expect("the administrator rotates the bind password");
    let (reason, message) = failure(world.run(&client).await);
    eprintln!("OUTCOME bind password rotated between runs: {reason}: {message}");
    assert_eq!(reason, "BindFailed");
    assert!(message.contains("invalid credentials"), "{message}");
    assert!(!message.contains(OpenLdap::BIND_PASSWORD) && !message.contains(rotated));
    assert_eq!(writes(&world.site).len(), 2, "only the first run wrote");

    world.bind_password = rotated.to_string();
    let third = world.run(&client).await.expect("the updated secret binds");
    assert!(third.plan.actions.is_empty(), "{:?}", third.plan.actions);
    assert_eq!(writes(&world.site).len(), 2);
}
