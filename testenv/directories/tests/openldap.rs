//! Starts real slapd instances and checks that the fixtures are what `StandardLdap` says:
//! memberships, memberOf, lock attributes, TLS with the generated CA, the size limit and
//! the demand-TLS mode. Needs the packages from `testenv/install-packages.sh`.

#[path = "support/client.rs"]
mod client;

use client::{
    bind, bind_rc, paged_search, read_values, result_code, runtime, search, sorted_values,
};
use ldap3::Scope;
use test_directories::{BulkNesting, LdifFixture, OpenLdap, StandardLdap};

fn start_standard() -> OpenLdap {
    OpenLdap::start(&LdifFixture::standard()).unwrap_or_else(|error| panic!("{error}"))
}

/// The sync account's session over LDAPS, trusting the instance's CA.
async fn sync_session(server: &OpenLdap) -> ldap3::Ldap {
    bind(
        &server.ldaps_url(),
        server.ca_pem_path(),
        false,
        server.bind_dn(),
        server.bind_password(),
    )
    .await
    .expect("the sync account binds over LDAPS")
}

/// A one-level search of `ou=people`.
async fn people(ldap: &mut ldap3::Ldap, filter: &str, attrs: &[&str]) -> Vec<client::Found> {
    search(
        ldap,
        StandardLdap::PEOPLE_DN,
        Scope::OneLevel,
        filter,
        attrs,
    )
    .await
    .unwrap_or_else(|error| panic!("search people for {filter}: {error}"))
}

/// The result code of a fixture user's own bind with the fixture password.
async fn user_bind_rc(server: &OpenLdap, uid: &str) -> u32 {
    let dn = StandardLdap::user_dn(uid);
    let password = StandardLdap::USER_PASSWORD;
    bind_rc(
        &server.ldaps_url(),
        server.ca_pem_path(),
        false,
        &dn,
        password,
    )
    .await
}

fn uid_of(dn: &str) -> String {
    dn.strip_prefix("uid=")
        .and_then(|rest| rest.split(',').next())
        .unwrap_or(dn)
        .to_owned()
}

#[test]
fn standard_groups_hold_the_documented_members() {
    let server = start_standard();
    runtime().block_on(async {
        let mut ldap = sync_session(&server).await;

        let members = read_values(&mut ldap, StandardLdap::ENTITLED_GROUP_DN, "member").await;
        let mut users: Vec<String> = members
            .iter()
            .filter(|dn| dn.starts_with("uid="))
            .map(|dn| uid_of(dn))
            .collect();
        users.sort();
        assert_eq!(users, StandardLdap::DIRECT_USER_MEMBERS);
        let groups: Vec<&String> = members.iter().filter(|dn| dn.starts_with("cn=")).collect();
        assert_eq!(groups, [StandardLdap::ENGINEERING_GROUP_DN]);

        // The cycle: platform holds engineering, which holds platform.
        let platform = read_values(&mut ldap, StandardLdap::PLATFORM_GROUP_DN, "member").await;
        assert!(
            platform.contains(&StandardLdap::ENGINEERING_GROUP_DN.to_owned()),
            "{platform:?}"
        );
        let engineering =
            read_values(&mut ldap, StandardLdap::ENGINEERING_GROUP_DN, "member").await;
        assert!(
            engineering.contains(&StandardLdap::PLATFORM_GROUP_DN.to_owned()),
            "{engineering:?}"
        );

        let unique = read_values(&mut ldap, StandardLdap::UNIQUE_GROUP_DN, "uniqueMember").await;
        assert!(
            unique.contains(&"uid=judy,ou=people,dc=example,dc=com#'0101'B".to_owned()),
            "{unique:?}"
        );
        assert_eq!(unique.len(), StandardLdap::UNIQUE_MEMBERS.len());

        let mut posix = read_values(&mut ldap, StandardLdap::POSIX_GROUP_DN, "memberUid").await;
        posix.sort();
        assert_eq!(posix, StandardLdap::POSIX_MEMBER_UIDS);

        let no_mail = people(&mut ldap, "(!(mail=*))", &["uid"]).await;
        assert_eq!(sorted_values(&no_mail, "uid"), StandardLdap::WITHOUT_MAIL);
        let alice = people(&mut ldap, "(uid=alice)", &["*"]).await;
        assert_eq!(alice[0].first("employeeNumber").as_deref(), Some("E1001"));
        assert_eq!(alice[0].first("departmentNumber").as_deref(), Some("100"));
        assert_eq!(alice[0].first("title").as_deref(), Some("Product Manager"));
    });
}

#[test]
fn member_of_is_maintained_by_the_overlay() {
    let server = start_standard();
    runtime().block_on(async {
        let mut ldap = bind(
            &server.url(),
            server.ca_pem_path(),
            true,
            server.bind_dn(),
            server.bind_password(),
        )
        .await
        .expect("sync account binds with StartTLS");
        let filter = format!("(memberOf={})", StandardLdap::ENTITLED_GROUP_DN);
        let direct = people(&mut ldap, &filter, &["uid"]).await;
        assert_eq!(
            sorted_values(&direct, "uid"),
            StandardLdap::DIRECT_USER_MEMBERS
        );

        server
            .add_member(
                StandardLdap::ENTITLED_GROUP_DN,
                &StandardLdap::user_dn("mallory"),
            )
            .expect("add mallory");
        let memberships =
            read_values(&mut ldap, &StandardLdap::user_dn("mallory"), "memberOf").await;
        assert_eq!(memberships, [StandardLdap::ENTITLED_GROUP_DN]);

        server
            .remove_member(
                StandardLdap::ENTITLED_GROUP_DN,
                &StandardLdap::user_dn("mallory"),
            )
            .expect("remove mallory");
        let memberships =
            read_values(&mut ldap, &StandardLdap::user_dn("mallory"), "memberOf").await;
        assert!(memberships.is_empty(), "{memberships:?}");
    });
}

#[test]
fn lock_attributes_are_real_and_enforced() {
    let server = start_standard();
    runtime().block_on(async {
        let mut ldap = sync_session(&server).await;
        let attrs = ["uid", "pwdAccountLockedTime", "nsAccountLock"];
        let locked = people(&mut ldap, "(pwdAccountLockedTime=*)", &attrs).await;
        assert_eq!(sorted_values(&locked, "uid"), StandardLdap::PPOLICY_LOCKED);
        let lock_time = locked[0].first("pwdAccountLockedTime");
        assert_eq!(lock_time.as_deref(), Some("000001010000Z"));
        let flagged = people(&mut ldap, "(nsAccountLock=true)", &attrs).await;
        assert_eq!(
            sorted_values(&flagged, "uid"),
            StandardLdap::NS_ACCOUNT_LOCKED
        );

        // pwdAccountLockedTime is operational: absent unless asked for by name.
        let plain = people(&mut ldap, "(uid=grace)", &["*"]).await;
        assert!(plain[0].values("pwdAccountLockedTime").is_empty());

        assert_eq!(user_bind_rc(&server, "alice").await, 0);
        assert_eq!(user_bind_rc(&server, "grace").await, 49);

        let alice = StandardLdap::user_dn("alice");
        server.lock_account(&alice).expect("lock alice");
        assert_eq!(user_bind_rc(&server, "alice").await, 49);
        let locked = people(&mut ldap, "(pwdAccountLockedTime=*)", &attrs).await;
        assert_eq!(sorted_values(&locked, "uid"), ["alice", "grace"]);

        server.unlock_account(&alice).expect("unlock alice");
        assert_eq!(user_bind_rc(&server, "alice").await, 0);
    });
}

#[test]
fn tls_needs_the_generated_ca() {
    let server = start_standard();
    let other = OpenLdap::start(&LdifFixture::empty()).unwrap_or_else(|error| panic!("{error}"));
    runtime().block_on(async {
        // Another instance's CA did not sign this server's certificate.
        let wrong_ca = bind(
            &server.ldaps_url(),
            other.ca_pem_path(),
            false,
            server.bind_dn(),
            server.bind_password(),
        )
        .await;
        assert!(wrong_ca.is_err(), "LDAPS with a foreign CA must fail");
        let wrong_ca = bind(
            &server.url(),
            other.ca_pem_path(),
            true,
            server.bind_dn(),
            server.bind_password(),
        )
        .await;
        assert!(wrong_ca.is_err(), "StartTLS with a foreign CA must fail");

        let mut anonymous = client::connect(&server.ldaps_url(), server.ca_pem_path(), false)
            .await
            .expect("connect");
        let hidden = search(
            &mut anonymous,
            server.base_dn(),
            Scope::Subtree,
            "(uid=*)",
            &["uid"],
        )
        .await;
        assert_eq!(
            hidden.err().as_ref().and_then(result_code),
            Some(32),
            "anonymous reads see nothing"
        );
    });
}

#[test]
fn demanding_tls_refuses_plain_binds() {
    let server = OpenLdap::start_demanding_tls(&LdifFixture::standard())
        .unwrap_or_else(|error| panic!("{error}"));
    runtime().block_on(async {
        let ca = server.ca_pem_path();
        assert_eq!(
            bind_rc(
                &server.url(),
                ca,
                false,
                server.bind_dn(),
                server.bind_password()
            )
            .await,
            13
        );
        assert_eq!(
            bind_rc(
                &server.url(),
                ca,
                true,
                server.bind_dn(),
                server.bind_password()
            )
            .await,
            0
        );
        assert_eq!(
            bind_rc(
                &server.ldaps_url(),
                ca,
                false,
                server.bind_dn(),
                server.bind_password()
            )
            .await,
            0
        );
    });
}

#[test]
fn bulk_fixture_hits_the_size_limit_unless_paged() {
    let fixture = LdifFixture::bulk(1500, BulkNesting::chain(2));
    let server = OpenLdap::start(&fixture).unwrap_or_else(|error| panic!("{error}"));
    let expected = fixture
        .expected()
        .expect("bulk fixtures carry an expectation");
    runtime().block_on(async {
        let mut ldap = sync_session(&server).await;
        let unpaged = search(
            &mut ldap,
            "ou=people,dc=example,dc=com",
            Scope::OneLevel,
            "(uid=*)",
            &["uid"],
        )
        .await;
        assert_eq!(
            unpaged.err().as_ref().and_then(result_code),
            Some(4),
            "sizeLimitExceeded"
        );

        let paged = paged_search(
            &mut ldap,
            "ou=people,dc=example,dc=com",
            "(uid=*)",
            &["uid"],
        )
        .await
        .expect("paged");
        assert_eq!(sorted_values(&paged, "uid"), expected.entitled_uids);

        // slapadd wrote memberOf for the users of the deepest level (users 1001-1500).
        let filter = "(memberOf=cn=bulk-level-2,ou=groups,dc=example,dc=com)";
        let deepest = paged_search(&mut ldap, "ou=people,dc=example,dc=com", filter, &["uid"])
            .await
            .expect("paged");
        assert_eq!(deepest.len(), 500);
        assert_eq!(sorted_values(&deepest, "uid")[0], "user001001");
        let top = read_values(&mut ldap, &expected.group_dn, "member").await;
        assert_eq!(top.len(), 501);
        assert!(top.contains(&"cn=bulk-level-1,ou=groups,dc=example,dc=com".to_owned()));
    });
}

#[test]
fn stop_removes_the_temporary_state() {
    let server = OpenLdap::start(&LdifFixture::empty()).unwrap_or_else(|error| panic!("{error}"));
    let dir = server.state_dir().to_owned();
    let port = server.port();
    assert!(dir.join("tls/ca.pem").is_file());
    server.stop().expect("stop");
    assert!(!dir.exists(), "{dir:?} removed");
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
}

#[test]
fn fifty_thousand_users_load_offline() {
    let fixture = LdifFixture::bulk(50_000, BulkNesting::chain(2));
    let started = std::time::Instant::now();
    let server = OpenLdap::start(&fixture).unwrap_or_else(|error| panic!("{error}"));
    eprintln!("50,000 users: slapd ready after {:?}", started.elapsed());
    let expected = fixture
        .expected()
        .expect("bulk fixtures carry an expectation");
    assert_eq!(expected.entitled_uids.len(), 50_000);
    runtime().block_on(async {
        let mut ldap = sync_session(&server).await;
        // 16,667 users per level for the first two levels, the rest in the last.
        let top = read_values(&mut ldap, &expected.group_dn, "member").await;
        assert_eq!(top.len(), 16_668);
        let filter = "(memberOf=cn=bulk-level-2,ou=groups,dc=example,dc=com)";
        let deepest = paged_search(&mut ldap, "ou=people,dc=example,dc=com", filter, &["uid"])
            .await
            .expect("paged");
        assert_eq!(deepest.len(), 16_666);
    });
}
