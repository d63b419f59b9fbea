//! Checks the shared Samba AD DC against `AdFixture`: in-chain membership, the primary
//! group, disabled and expired accounts, range retrieval on the 1,600-member group, and
//! the strong-auth rule for simple binds. Needs `testenv/install-packages.sh`; the first
//! run provisions the domain into `.cache/samba/` (about a minute on two busy cores).

#[path = "support/client.rs"]
mod client;

use client::{Found, bind, bind_rc, paged_search, read_values, runtime, search, sorted_values};
use ldap3::{Ldap, Scope, ldap_escape};
use test_directories::{AdFixture, SambaAd};

const IN_CHAIN: &str = "1.2.840.113556.1.4.1941";
const USERS_ONLY: &str = "(objectCategory=person)(objectClass=user)";

fn dc() -> SambaAd {
    SambaAd::ensure().unwrap_or_else(|error| panic!("{error}"))
}

async fn sync_session(dc: &SambaAd) -> Ldap {
    bind(
        &dc.ldaps_url(),
        &dc.ca_pem_path(),
        false,
        dc.bind_dn(),
        dc.bind_password(),
    )
    .await
    .expect("svc-sync binds over LDAPS")
}

/// sAMAccountNames of the entries under `OU=JiraAlign` matching `filter`, sorted.
async fn sams(ldap: &mut Ldap, filter: &str) -> Vec<String> {
    let found = paged_search(ldap, AdFixture::OU_DN, filter, &["sAMAccountName"])
        .await
        .unwrap_or_else(|error| panic!("search {filter}: {error}"));
    sorted_values(&found, "sAMAccountName")
}

/// The relative id of a group: the last sub-authority of its objectSid.
async fn rid_of(ldap: &mut Ldap, group_dn: &str) -> u32 {
    let (entries, _) = ldap
        .search(
            group_dn,
            Scope::Base,
            "(objectClass=group)",
            vec!["objectSid"],
        )
        .await
        .and_then(|result| result.success())
        .expect("read objectSid");
    let entry =
        ldap3::SearchEntry::construct(entries.into_iter().next().expect("the group exists"));
    let sid = entry
        .bin_attrs
        .get("objectSid")
        .and_then(|values| values.first())
        .expect("objectSid is binary");
    let last = &sid[sid.len() - 4..];
    u32::from_le_bytes([last[0], last[1], last[2], last[3]])
}

#[test]
fn in_chain_search_finds_nested_members_but_not_the_primary_group() {
    let dc = dc();
    runtime().block_on(async {
        let mut ldap = sync_session(&dc).await;
        let group = ldap_escape(AdFixture::ENTITLED_GROUP_DN);
        let users = sams(
            &mut ldap,
            &format!("(&{USERS_ONLY}(memberOf:{IN_CHAIN}:={group}))"),
        )
        .await;
        assert_eq!(users, AdFixture::IN_CHAIN_USERS);

        let everything = sams(&mut ldap, &format!("(memberOf:{IN_CHAIN}:={group})")).await;
        let mut expected: Vec<&str> =
            [AdFixture::IN_CHAIN_USERS, AdFixture::IN_CHAIN_GROUPS].concat();
        expected.sort_unstable();
        assert_eq!(everything, expected);

        let direct = sams(&mut ldap, &format!("(&{USERS_ONLY}(memberOf={group}))")).await;
        assert_eq!(direct, AdFixture::DIRECT_USER_MEMBERS);
        let contractors = ldap_escape(AdFixture::CONTRACTORS_GROUP_DN);
        assert_eq!(
            sams(&mut ldap, &format!("(memberOf={contractors})")).await,
            AdFixture::CONTRACTORS
        );
    });
}

#[test]
fn primary_group_members_are_found_by_rid_only() {
    let dc = dc();
    runtime().block_on(async {
        let mut ldap = sync_session(&dc).await;
        let rid = rid_of(&mut ldap, AdFixture::ENTITLED_GROUP_DN).await;
        let primary = sams(&mut ldap, &format!("(&{USERS_ONLY}(primaryGroupID={rid}))")).await;
        assert_eq!(primary, AdFixture::PRIMARY_GROUP_USERS);

        let members = read_values(&mut ldap, AdFixture::ENTITLED_GROUP_DN, "member").await;
        assert!(
            !members.iter().any(|dn| dn.starts_with("CN=Frank Fischer,")),
            "{members:?}"
        );
        assert_eq!(members.len(), AdFixture::DIRECT_USER_MEMBERS.len() + 1);
        assert!(members.contains(&AdFixture::ENGINEERING_GROUP_DN.to_owned()));
    });
}

#[test]
fn disabled_expired_and_mailless_accounts_are_marked() {
    let dc = dc();
    runtime().block_on(async {
        let mut ldap = sync_session(&dc).await;
        let disabled = sams(
            &mut ldap,
            "(&(objectClass=user)(userAccountControl:1.2.840.113556.1.4.803:=2))",
        )
        .await;
        assert_eq!(disabled, AdFixture::DISABLED);
        let expired = sams(
            &mut ldap,
            &format!(
                "(&{USERS_ONLY}(accountExpires={}))",
                AdFixture::PAST_ACCOUNT_EXPIRES
            ),
        )
        .await;
        assert_eq!(expired, AdFixture::EXPIRED);
        let mailless = sams(&mut ldap, &format!("(&{USERS_ONLY}(!(mail=*)))")).await;
        assert_eq!(mailless, AdFixture::WITHOUT_MAIL);

        let attrs = [
            "userPrincipalName",
            "mail",
            "givenName",
            "sn",
            "title",
            "department",
            "employeeID",
            "accountExpires",
        ];
        let pat = search(
            &mut ldap,
            AdFixture::OU_DN,
            Scope::Subtree,
            "(sAMAccountName=pat.nguyen)",
            &attrs,
        )
        .await
        .expect("read pat");
        let pat: &Found = &pat[0];
        assert_eq!(pat.dn, "CN=Nguyen\\, Pat,OU=JiraAlign,DC=example,DC=test");
        assert_eq!(
            pat.first("userPrincipalName").as_deref(),
            Some("pat.nguyen@example.test")
        );
        assert_eq!(
            pat.first("mail").as_deref(),
            Some("pat.nguyen@example.test")
        );
        assert_eq!(pat.first("employeeID").as_deref(), Some("E1012"));
        assert_eq!(pat.first("department").as_deref(), Some("Engineering"));
        assert_eq!(
            pat.first("accountExpires").as_deref(),
            Some("9223372036854775807")
        );
    });
}

#[test]
fn large_group_needs_and_supports_range_retrieval() {
    let dc = dc();
    runtime().block_on(async {
        let mut ldap = sync_session(&dc).await;
        let group = AdFixture::LARGE_GROUP_DN;
        // Samba never truncates on its own: a plain read returns all 1,600 values.
        assert_eq!(read_values(&mut ldap, group, "member").await.len(), 1600);
        let all = ranged(&mut ldap, group, "member;range=0-*").await;
        assert_eq!(all, [("member;range=0-*".to_owned(), 1600)]);
        let first = ranged(&mut ldap, group, "member;range=0-1499").await;
        assert_eq!(first, [("member;range=0-1499".to_owned(), 1500)]);
        let rest = ranged(&mut ldap, group, "member;range=1500-*").await;
        assert_eq!(rest, [("member;range=1500-*".to_owned(), 100)]);
        // Past the end: the range attribute comes back with no values.
        let past_end = ranged(&mut ldap, group, "member;range=1600-*").await;
        assert_eq!(past_end, [("member;range=1600-*".to_owned(), 0)]);

        // A client walking 1,000-value windows collects exactly the documented members.
        let mut collected = Vec::new();
        let mut low = 0;
        loop {
            let request = format!("member;range={low}-{}", low + 999);
            let returned = ranged_values(&mut ldap, group, &request).await;
            let (name, values) = returned.into_iter().next().expect("a range attribute");
            low += values.len();
            collected.extend(values.iter().map(|dn| cn_of(dn)));
            if name.ends_with("-*") {
                break;
            }
        }
        collected.sort();
        assert_eq!(collected, AdFixture::large_group_members());
    });
}

/// Attribute names and values returned for one ranged attribute request.
async fn ranged_values(ldap: &mut Ldap, dn: &str, attribute: &str) -> Vec<(String, Vec<String>)> {
    let entries = search(ldap, dn, Scope::Base, "(objectClass=*)", &[attribute])
        .await
        .expect("range read");
    entries[0].attrs.clone().into_iter().collect()
}

/// Attribute names and value counts returned for one ranged attribute request.
async fn ranged(ldap: &mut Ldap, dn: &str, attribute: &str) -> Vec<(String, usize)> {
    let returned = ranged_values(ldap, dn, attribute).await;
    returned
        .into_iter()
        .map(|(name, values)| (name, values.len()))
        .collect()
}

/// The RDN value of a DN without escapes (`CN=ja-large-0001,...` -> `ja-large-0001`).
fn cn_of(dn: &str) -> String {
    let rdn = dn.split(',').next().unwrap_or_default();
    rdn.trim_start_matches("CN=").to_owned()
}

#[test]
fn simple_binds_need_tls() {
    let dc = dc();
    runtime().block_on(async {
        let ca = dc.ca_pem_path();
        let (dn, password) = (dc.bind_dn(), dc.bind_password());
        assert_eq!(
            bind_rc(&dc.url(), &ca, false, dn, password).await,
            8,
            "strongerAuthRequired"
        );
        assert_eq!(bind_rc(&dc.url(), &ca, true, dn, password).await, 0);
        assert_eq!(
            bind_rc(&dc.ldaps_url(), &ca, false, AdFixture::BIND_UPN, password).await,
            0
        );
        assert_eq!(bind_rc(&dc.ldaps_url(), &ca, false, dn, "wrong").await, 49);

        let mut gc = bind(&dc.gc_ldaps_url(), &ca, false, dn, password)
            .await
            .expect("GC bind");
        let found = search(
            &mut gc,
            "",
            Scope::Subtree,
            "(sAMAccountName=alice.adams)",
            &["sAMAccountName"],
        )
        .await
        .expect("GC search");
        assert_eq!(sorted_values(&found, "sAMAccountName"), ["alice.adams"]);
    });
}

#[test]
fn ensure_reuses_the_running_dc() {
    let first = dc();
    let second = dc();
    assert_eq!(first.pid(), second.pid());
    assert!(first.ca_pem_path().is_file());
}

#[test]
fn admin_changes_apply_at_runtime() {
    let dc = dc();
    let admin = dc.admin();
    // A group of this test's own, so tests sharing the DC never see the change.
    let sam = format!("ja-scratch-{}", std::process::id());
    let group_dn = format!("CN={sam},{}", AdFixture::OU_DN);
    let mallory = AdFixture::user_dn(AdFixture::user("mallory.moore").expect("fixture user"));
    admin
        .apply(&format!(
            "dn: {group_dn}\nobjectClass: group\nsAMAccountName: {sam}\n\n"
        ))
        .expect("create scratch group");
    admin.add_member(&group_dn, &mallory).expect("add mallory");

    runtime().block_on(async {
        let mut ldap = sync_session(&dc).await;
        let members = sams(&mut ldap, &format!("(memberOf={})", ldap_escape(&group_dn))).await;
        assert_eq!(members, ["mallory.moore"]);
    });

    admin
        .remove_member(&group_dn, &mallory)
        .expect("remove mallory");
    admin
        .apply(&format!("dn: {group_dn}\nchangetype: delete\n\n"))
        .expect("delete scratch group");
}
