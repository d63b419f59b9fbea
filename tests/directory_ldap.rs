//! The directory reader against real OpenLDAP servers (generic LDAP mode): nested
//! groupOfNames with a cycle, groupOfUniqueNames, posixGroup, locked accounts, TLS, and
//! every way a read must fail rather than return part of the members.
//! Needs the packages from `testenv/install-packages.sh`.

#[path = "directory_support.rs"]
mod support;

use std::time::{Duration, Instant};

use jira_align_user_sync::crd::{DirectoryMode, DirectorySpec};
use jira_align_user_sync::directory::{
    DirectoryConfig, DirectoryError, ReadStats, read_members_at, read_members_measured,
};
use jira_align_user_sync::snapshot::ExclusionReason;
use support::{excluded, keys, now, plaintext, read, read_err, rule, user};
use test_directories::{
    BulkNesting, LdapExpectation, LdifFixture, OpenLdap, OpenLdapOptions, StandardLdap, TlsFiles,
};

fn start(fixture: &LdifFixture) -> OpenLdap {
    OpenLdap::start(fixture).unwrap_or_else(|error| panic!("{error}"))
}

fn spec(server: &OpenLdap, url: String, group: &str) -> DirectorySpec {
    let (bind_dn, base_dn) = (server.bind_dn(), server.base_dn());
    support::spec(DirectoryMode::Ldap, url, bind_dn, base_dn, group)
}

fn ca(server: &OpenLdap) -> Vec<u8> {
    std::fs::read(server.ca_pem_path()).expect("the instance's CA file is readable")
}

/// StartTLS on the plain port, trusting the instance's CA.
fn config(server: &OpenLdap, group: &str) -> DirectoryConfig {
    let spec = spec(server, server.url(), group);
    DirectoryConfig::from_spec(
        &spec,
        &[],
        server.bind_password().to_string(),
        Some(ca(server)),
    )
}

#[tokio::test]
async fn nested_groups_with_a_cycle_over_starttls() {
    let server = start(&LdifFixture::standard());
    let snapshot = read(&config(&server, StandardLdap::ENTITLED_GROUP_DN)).await;

    assert_eq!(keys(&snapshot), StandardLdap::EXPECTED_ENTITLED);
    assert_eq!(
        excluded(&snapshot),
        [
            ("grace", ExclusionReason::Locked),
            ("heidi", ExclusionReason::Disabled)
        ]
    );
    let alice = &snapshot.users[0];
    assert_eq!(&*alice.dn, StandardLdap::user_dn("alice"));
    assert_eq!(alice.email.as_deref(), Some("alice@example.com"));
    assert_eq!(alice.first_name.as_deref(), Some("Alice"));
    assert_eq!(alice.last_name.as_deref(), Some("Adams"));
    assert_eq!(alice.title.as_deref(), Some("Product Manager"));
    let ivan = user(&snapshot, "ivan");
    assert_eq!(ivan.email, None);
}

#[tokio::test]
async fn ldaps_with_the_right_ca_refusal_with_a_wrong_one_and_the_opt_out() {
    let server = start(&LdifFixture::standard());
    let mut config = config(&server, StandardLdap::ENTITLED_GROUP_DN);
    config.url = server.ldaps_url();
    assert_eq!(keys(&read(&config).await), StandardLdap::EXPECTED_ENTITLED);

    let other = TlsFiles::generate(&server.state_dir().join("other-ca"), &[])
        .unwrap_or_else(|error| panic!("{error}"));
    config.ca_pem = Some(std::fs::read(&other.ca_pem).expect("generated CA is readable"));
    let error = read_err(&config).await;
    assert_eq!(error.reason(), "TlsFailed");
    assert!(error.to_string().contains("tls.ca"), "{error}");

    config.url = server.url();
    let error = read_err(&config).await;
    assert_eq!(
        error.reason(),
        "TlsFailed",
        "StartTLS verifies too: {error}"
    );

    // ldaps:// to the plain LDAP port: told as a TLS problem, with the likely fix.
    config.url = server.url().replacen("ldap://", "ldaps://", 1);
    config.ca_pem = Some(ca(&server));
    let error = read_err(&config).await;
    assert_eq!(error.reason(), "TlsFailed", "{error}");
    assert!(
        error.to_string().ends_with(
            "the server closed the connection during the TLS handshake; does this port speak \
             LDAPS (usually 636)? A plain LDAP port (usually 389) takes ldap://, which upgrades \
             with StartTLS"
        ),
        "{error}"
    );

    // The opt-out accepts any certificate, even for a server reached by IP address.
    config.url = server.ldaps_url();
    config.ca_pem = None;
    config.dangerously_skip_verify = true;
    assert_eq!(keys(&read(&config).await), StandardLdap::EXPECTED_ENTITLED);
}

#[tokio::test]
async fn wrong_password_and_missing_group_fail_the_read() {
    let server = start(&LdifFixture::standard());
    let mut config = config(&server, StandardLdap::ENTITLED_GROUP_DN);
    config.bind_password = "not-the-password".to_string();
    let error = read_err(&config).await;
    assert_eq!(error.reason(), "BindFailed");
    assert!(
        matches!(error, DirectoryError::BindFailed { code: 49, .. }),
        "{error}"
    );
    assert!(!error.to_string().contains("not-the-password"));

    let missing = "cn=no-such-group,ou=groups,dc=example,dc=com";
    let mut config = self::config(&server, missing);
    let error = read_err(&config).await;
    assert_eq!(error.reason(), "GroupNotFound");
    let expected = format!(
        "group {missing} not found on {}: no entry has this dn (spec.directory.groups)",
        server.url()
    );
    assert_eq!(error.to_string(), expected);

    // The same DN named only by an override rule is reported as the rule's.
    config.groups = vec![StandardLdap::ENTITLED_GROUP_DN.to_string()];
    config.override_groups = vec![missing.to_string()];
    let error = read_err(&config).await;
    assert_eq!(error.reason(), "GroupNotFound");
    assert!(
        error
            .to_string()
            .ends_with("no entry has this dn (spec.overrides[].memberOf)"),
        "{error}"
    );
}

#[tokio::test]
async fn unique_member_and_posix_groups() {
    let server = start(&LdifFixture::standard());
    let unique = read(&config(&server, StandardLdap::UNIQUE_GROUP_DN)).await;
    assert_eq!(keys(&unique), StandardLdap::UNIQUE_MEMBERS);

    let posix = read(&config(&server, StandardLdap::POSIX_GROUP_DN)).await;
    assert_eq!(keys(&posix), StandardLdap::POSIX_RESOLVED);
    assert!(posix.excluded.is_empty());
}

#[tokio::test]
async fn union_of_groups_with_overrides_and_a_user_filter() {
    let server = start(&LdifFixture::standard());
    let mut spec = spec(&server, server.url(), StandardLdap::ENTITLED_GROUP_DN);
    spec.groups.push(StandardLdap::UNIQUE_GROUP_DN.to_string());
    spec.user_filter = Some("(!(departmentNumber=100))".to_string());
    let rules = [
        rule(Some(StandardLdap::CONTRACTORS_GROUP_DN), None, "x"),
        rule(None, Some("departmentNumber"), "400"),
    ];
    let password = server.bind_password().to_string();
    let config = DirectoryConfig::from_spec(&spec, &rules, password, Some(ca(&server)));
    let snapshot = read(&config).await;

    assert_eq!(
        keys(&snapshot),
        ["bob", "carol", "dan", "erin", "judy", "ken"]
    );
    assert_eq!(
        excluded(&snapshot),
        [
            ("alice", ExclusionReason::FilteredOut),
            ("grace", ExclusionReason::Locked),
            ("heidi", ExclusionReason::Disabled),
            ("ivan", ExclusionReason::FilteredOut),
        ]
    );
    let contractors = StandardLdap::CONTRACTORS_GROUP_DN.to_lowercase();
    for user in &snapshot.users {
        let in_contractors = user.groups.contains(&contractors);
        assert_eq!(
            in_contractors,
            StandardLdap::CONTRACTORS.contains(&&*user.key)
        );
    }
    let judy = user(&snapshot, "judy");
    assert_eq!(judy.attributes["departmentnumber"], ["400"]);
}

#[tokio::test]
async fn nesting_deeper_than_the_limit_fails() {
    let server = start(&LdifFixture::standard());
    let mut config = config(&server, StandardLdap::ENTITLED_GROUP_DN);
    config.max_nesting_depth = 1;
    let error = read_err(&config).await;
    assert_eq!(error.reason(), "IncompleteRead");
    assert!(
        error.to_string().contains(StandardLdap::PLATFORM_GROUP_DN),
        "{error}"
    );
}

#[tokio::test]
async fn a_server_demanding_tls_refuses_plaintext() {
    let options = OpenLdapOptions {
        demand_tls: true,
        ..OpenLdapOptions::default()
    };
    let server = OpenLdap::start_with(&LdifFixture::standard(), &options)
        .unwrap_or_else(|error| panic!("{error}"));
    let mut spec = spec(&server, server.url(), StandardLdap::ENTITLED_GROUP_DN);
    spec.tls = plaintext();
    let config = DirectoryConfig::from_spec(&spec, &[], server.bind_password().to_string(), None);
    let error = read_err(&config).await;
    assert_eq!(error.reason(), "TlsRequired", "{error}");

    let secure = self::config(&server, StandardLdap::ENTITLED_GROUP_DN);
    assert_eq!(keys(&read(&secure).await), StandardLdap::EXPECTED_ENTITLED);
}

#[tokio::test]
async fn an_empty_result_fails_unless_allowed() {
    let server = start(&LdifFixture::standard());
    let admin_only = "cn=empty,ou=groups,dc=example,dc=com";
    server
        .admin()
        .apply(&format!(
            "dn: {admin_only}\nobjectClass: groupOfNames\ncn: empty\nmember: {}\n",
            StandardLdap::user_dn("grace")
        ))
        .unwrap_or_else(|error| panic!("{error}"));
    let mut config = config(&server, admin_only);
    let error = read_err(&config).await;
    assert_eq!(error.reason(), "IncompleteRead");
    config.allow_empty_groups = true;
    let snapshot = read(&config).await;
    assert!(snapshot.users.is_empty());
    assert_eq!(excluded(&snapshot), [("grace", ExclusionReason::Locked)]);
}

#[tokio::test]
async fn a_key_attribute_no_member_has_fails_naming_it_even_when_empty_is_allowed() {
    let server = start(&LdifFixture::standard());
    let mut config = config(&server, StandardLdap::ENTITLED_GROUP_DN);
    config.attributes.key = "employeeNumbr".to_string();
    config.allow_empty_groups = true;
    let error = read_err(&config).await;
    assert_eq!(error.reason(), "InvalidConfig");
    let message = error.to_string();
    assert!(
        message.contains(" has a value for the key attribute employeeNumbr; check its name"),
        "{message}"
    );
}

fn expectation(fixture: &LdifFixture) -> LdapExpectation {
    let expected = fixture.expected();
    expected
        .expect("bulk fixtures carry an expectation")
        .clone()
}

/// Starts a server with `users` generated users, reads their group and checks every
/// entitled user came back.
async fn read_bulk(users: usize, nesting: BulkNesting) -> ReadStats {
    let fixture = LdifFixture::bulk(users, nesting);
    let expected = expectation(&fixture);
    let server = start(&fixture);
    let (snapshot, stats) = read_members_measured(&config(&server, &expected.group_dn), now())
        .await
        .unwrap_or_else(|error| panic!("read failed: {error}"));
    assert_eq!(keys(&snapshot), expected.entitled_uids);
    eprintln!(
        "openldap {users} users, {nesting:?}: {} ms, {} round trips",
        stats.elapsed.as_millis(),
        stats.round_trips
    );
    stats
}

/// 10,000 users in a chain of four nested groups, above the server's 1,000-entry size limit.
#[tokio::test]
async fn a_large_nested_group_is_read_completely() {
    let stats = read_bulk(10_000, BulkNesting::chain(3)).await;
    // StartTLS, bind, base DN, group; then per level one search for the nested group and
    // 13 batches of at most 200 users (4 levels of users, 1 root group read).
    assert_eq!(stats.round_trips, 60);
}

/// 50,000 users directly in one group, for measuring: `cargo test --test directory_ldap --
/// --ignored --nocapture`.
#[tokio::test]
#[ignore = "slow: loads 50,000 users"]
async fn fifty_thousand_members_are_read_completely() {
    let stats = read_bulk(50_000, BulkNesting::flat()).await;
    assert_eq!(stats.round_trips, 255);
}

/// The server dies while the members are being read: the read fails as a whole.
#[tokio::test]
async fn a_server_killed_mid_read_fails_the_read() {
    let fixture = LdifFixture::bulk(20_000, BulkNesting::flat());
    let expected = expectation(&fixture);
    let server = start(&fixture);
    let config = config(&server, &expected.group_dn);
    let pid = server.pid();

    let reader = tokio::spawn(async move { read_members_at(&config, now()).await });
    let started = Instant::now();
    tokio::time::sleep(Duration::from_millis(400)).await;
    let killed = std::process::Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let outcome = reader.await.expect("the read task does not panic");
    match outcome {
        Ok(snapshot) => panic!(
            "read finished with {} users in {:?} before the kill",
            snapshot.users.len(),
            started.elapsed()
        ),
        Err(error) => assert!(
            matches!(error.reason(), "IncompleteRead" | "DirectoryUnreachable"),
            "{error}"
        ),
    }
    drop(server);
}
