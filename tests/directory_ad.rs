//! The directory reader against the shared Samba AD DC (Active Directory mode): in-chain
//! nesting, primary groups, disabled and expired accounts, the 1,600-member group read in
//! ranges, TLS with the right and a wrong CA, and the server's demand for encryption.
//! The DC is shared by every test binary, so these tests only read.
//! Needs the packages from `testenv/install-packages.sh`.

#[path = "directory_support.rs"]
mod support;

use jira_align_user_sync::crd::{DirectoryMode, DirectorySpec, OverrideRule};
use jira_align_user_sync::directory::{DirectoryConfig, DirectoryError, read_members_measured};
use jira_align_user_sync::snapshot::ExclusionReason;
use support::{excluded, keys, now, plaintext, read, read_at, read_err, rule, user};
use test_directories::{AdFixture, SambaAd, TlsFiles};

fn dc() -> SambaAd {
    SambaAd::ensure().unwrap_or_else(|error| panic!("{error}"))
}

fn spec(dc: &SambaAd, url: String, group: &str) -> DirectorySpec {
    let (bind_dn, base_dn) = (dc.bind_dn(), dc.base_dn());
    support::spec(DirectoryMode::ActiveDirectory, url, bind_dn, base_dn, group)
}

fn ca(dc: &SambaAd) -> Vec<u8> {
    std::fs::read(dc.ca_pem_path()).expect("the DC's CA file is readable")
}

/// LDAPS, trusting the DC's CA.
fn config_with(dc: &SambaAd, group: &str, overrides: &[OverrideRule]) -> DirectoryConfig {
    let spec = spec(dc, dc.ldaps_url(), group);
    DirectoryConfig::from_spec(
        &spec,
        overrides,
        dc.bind_password().to_string(),
        Some(ca(dc)),
    )
}

fn config(dc: &SambaAd, group: &str) -> DirectoryConfig {
    config_with(dc, group, &[])
}

#[tokio::test]
async fn nesting_primary_group_disabled_and_expired_over_ldaps() {
    let dc = dc();
    let snapshot = read(&config(&dc, AdFixture::ENTITLED_GROUP_DN)).await;

    assert_eq!(keys(&snapshot), AdFixture::EXPECTED_ENTITLED);
    assert_eq!(
        excluded(&snapshot),
        [
            ("grace.green", ExclusionReason::Disabled),
            ("heidi.hall", ExclusionReason::Expired),
        ]
    );
    let pat = user(&snapshot, "pat.nguyen");
    assert_eq!(&*pat.dn, "CN=Nguyen\\, Pat,OU=JiraAlign,DC=example,DC=test");
    assert_eq!(pat.email.as_deref(), Some("pat.nguyen@example.test"));
    assert_eq!(pat.first_name.as_deref(), Some("Pat"));
    assert_eq!(pat.last_name.as_deref(), Some("Nguyen"));
    assert_eq!(pat.title.as_deref(), Some("Data Engineer"));
    let ivan = user(&snapshot, "ivan.ito");
    assert_eq!(ivan.email, None);
}

#[tokio::test]
async fn expiry_is_judged_at_the_given_time() {
    let dc = dc();
    let before_expiry = "2019-12-31T23:59:59Z".parse().expect("valid timestamp");
    let snapshot = read_at(&config(&dc, AdFixture::ENTITLED_GROUP_DN), before_expiry).await;
    let mut expected = AdFixture::EXPECTED_ENTITLED.to_vec();
    expected.push("heidi.hall");
    expected.sort_unstable();
    assert_eq!(keys(&snapshot), expected);
    assert_eq!(
        excluded(&snapshot),
        [("grace.green", ExclusionReason::Disabled)]
    );
}

#[tokio::test]
async fn starttls_with_the_right_ca_and_refusal_with_a_wrong_one() {
    let dc = dc();
    let mut config = config(&dc, AdFixture::ENTITLED_GROUP_DN);
    config.url = dc.url();
    assert_eq!(keys(&read(&config).await), AdFixture::EXPECTED_ENTITLED);

    let scratch =
        std::env::temp_dir().join(format!("directory-ad-wrong-ca-{}", std::process::id()));
    let other = TlsFiles::generate(&scratch, &[]).unwrap_or_else(|error| panic!("{error}"));
    config.ca_pem = Some(std::fs::read(&other.ca_pem).expect("generated CA is readable"));
    let _ = std::fs::remove_dir_all(&scratch);
    for url in [dc.url(), dc.ldaps_url()] {
        config.url = url;
        let error = read_err(&config).await;
        assert_eq!(error.reason(), "TlsFailed", "{error}");
        assert!(error.to_string().contains("tls.ca"), "{error}");
    }
}

#[tokio::test]
async fn plaintext_against_a_dc_requiring_strong_auth() {
    let dc = dc();
    let mut spec = spec(&dc, dc.url(), AdFixture::ENTITLED_GROUP_DN);
    spec.tls = plaintext();
    let config = DirectoryConfig::from_spec(&spec, &[], dc.bind_password().to_string(), None);
    let error = read_err(&config).await;
    assert_eq!(error.reason(), "TlsRequired", "{error}");
}

#[tokio::test]
async fn wrong_password_and_missing_group_fail_the_read() {
    let dc = dc();
    let mut config = config(&dc, AdFixture::ENTITLED_GROUP_DN);
    config.bind_password = "Wrong-Passw0rd!".to_string();
    let error = read_err(&config).await;
    assert!(
        matches!(error, DirectoryError::BindFailed { code: 49, .. }),
        "{error}"
    );
    assert!(!error.to_string().contains("Wrong-Passw0rd!"));

    let missing = "CN=no-such-group,OU=JiraAlign,DC=example,DC=test";
    let error = read_err(&self::config(&dc, missing)).await;
    assert_eq!(error.reason(), "GroupNotFound");
    assert!(error.to_string().contains(missing), "{error}");

    let not_a_group = AdFixture::OU_DN;
    let error = read_err(&self::config(&dc, not_a_group)).await;
    assert_eq!(error.reason(), "GroupNotFound", "{error}");
}

#[tokio::test]
async fn overrides_and_a_user_filter() {
    let dc = dc();
    let rules = [
        rule(Some(AdFixture::CONTRACTORS_GROUP_DN), None, "x"),
        rule(None, Some("department"), "Consulting"),
    ];
    let mut config = config_with(&dc, AdFixture::ENTITLED_GROUP_DN, &rules);
    config.user_filter = Some("(|(department=Engineering)(department=Consulting))".to_string());
    let snapshot = read(&config).await;

    assert_eq!(keys(&snapshot), ["carol.chen", "judy.jones", "pat.nguyen"]);
    let judy = &snapshot.users[1];
    let contractors = AdFixture::CONTRACTORS_GROUP_DN.to_lowercase();
    assert_eq!(judy.groups.iter().collect::<Vec<_>>(), [&contractors]);
    assert_eq!(judy.attributes["department"], ["Consulting"]);
    assert!(snapshot.users[0].groups.is_empty());
    assert_eq!(
        excluded(&snapshot),
        [
            ("alice.adams", ExclusionReason::FilteredOut),
            ("bob.baker", ExclusionReason::FilteredOut),
            ("dan.dawson", ExclusionReason::FilteredOut),
            ("erin.evans", ExclusionReason::FilteredOut),
            ("frank.fischer", ExclusionReason::FilteredOut),
            ("grace.green", ExclusionReason::Disabled),
            ("heidi.hall", ExclusionReason::Expired),
            ("ivan.ito", ExclusionReason::FilteredOut),
        ]
    );
}

#[tokio::test]
async fn the_large_group_is_read_completely() {
    let dc = dc();
    let config = config(&dc, AdFixture::LARGE_GROUP_DN);
    let (snapshot, stats) = read_members_measured(&config, now())
        .await
        .unwrap_or_else(|error| panic!("read failed: {error}"));
    assert_eq!(keys(&snapshot), AdFixture::large_group_members());
    assert!(snapshot.excluded.is_empty());
    // Over LDAPS: bind, base DN, group, nested groups, 4 pages of 500 members,
    // primary-group members, and 2 range windows (0-1499, 1500-*) of the direct members.
    assert_eq!(stats.round_trips, 11);
    eprintln!(
        "samba ad {} members: {} ms, {} round trips",
        AdFixture::LARGE_GROUP_SIZE,
        stats.elapsed.as_millis(),
        stats.round_trips
    );
}
