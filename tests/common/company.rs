//! The company the fault tests sync: who is in the directory group, and a Jira Align site
//! that is out of step with it in every way a sync repairs (missing, drifted, deactivated
//! and departed users), plus the users a sync must never touch.

use std::collections::BTreeSet;

use jira_align_sim::{ApiToken, RefRecord, Role, Seed, User};

use super::fake_ldap::{FakeDirectory, FakeEntry};

/// The token's user: a Super Admin the sync must never deactivate.
pub const SERVICE_USER_ID: i64 = 1;
/// A connector-created user without an externalId: unmanaged, never touched.
pub const UNMANAGED_USER_ID: i64 = 2;
pub const TOKEN_SECRET: &str = "faults-token-secret";
pub const TOKEN: &str = "user:1|faults-token-secret";
pub const ADMIN_ROLE_ID: i64 = 9;
pub const MEMBER_ROLE_ID: i64 = 3;
pub const REGION_ID: i64 = 1;
pub const CITY_ID: i64 = 11;
pub const COST_CENTER_ID: i64 = 100;
pub const DIVISION_ID: i64 = 200;

pub const PEOPLE_DN: &str = "ou=people,dc=example,dc=com";
pub const GROUP_DN: &str = "cn=jira-align-users,ou=groups,dc=example,dc=com";

/// One member of the directory group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    /// The first RDN of the entry, `uid=<uid>` unless a test needs another.
    pub rdn: String,
    pub uid: String,
    pub given_name: String,
    pub surname: String,
    pub mail: String,
    pub title: String,
}

impl Person {
    /// Person `n`: `p07`, Given07 Person07, `p07@example.test`, Engineer.
    pub fn numbered(n: usize) -> Person {
        Person {
            rdn: format!("uid=p{n:02}"),
            uid: format!("p{n:02}"),
            given_name: format!("Given{n:02}"),
            surname: format!("Person{n:02}"),
            mail: format!("p{n:02}@example.test"),
            title: "Engineer".to_string(),
        }
    }

    pub fn dn(&self) -> String {
        format!("{},{PEOPLE_DN}", self.rdn)
    }

    /// The Jira Align user this person becomes, active and in step.
    pub fn as_user(&self, id: i64) -> User {
        User {
            id,
            first_name: Some(self.given_name.clone()),
            last_name: Some(self.surname.clone()),
            email: Some(self.mail.clone()),
            external_id: Some(self.uid.clone()),
            title: Some(self.title.clone()),
            ..base_user(id)
        }
    }
}

/// The group's members and the site the sync starts from.
#[derive(Clone, Debug)]
pub struct Company {
    pub people: Vec<Person>,
    /// Keys of Jira Align users who left the group: active at the start, to be deactivated.
    pub leavers: Vec<String>,
    pub site: Seed,
}

impl Company {
    /// 30 members. On the site: p01–p12 active (p01–p03 with an old title), p13–p16
    /// deactivated, p17–p30 missing; leavers l01–l04 active. A sync creates 14, reactivates 4,
    /// updates 3 and deactivates 4.
    pub fn out_of_step() -> Company {
        let people: Vec<Person> = (1..=30).map(Person::numbered).collect();
        let leavers: Vec<String> = (1..=4).map(|n| format!("l{n:02}")).collect();
        let mut users = service_users();
        for (index, person) in people.iter().take(16).enumerate() {
            let n = index + 1;
            let mut user = person.as_user(100 + n as i64);
            if n <= 3 {
                user.title = Some("Old Title".to_string());
            }
            if n >= 13 {
                user.is_locked = -1;
            }
            users.push(user);
        }
        users.extend(leaver_users(&leavers, 200));
        Company {
            people,
            leavers,
            site: site_seed(users),
        }
    }

    /// `members` people, all active and in step on the site, and `leavers` departed users
    /// still active there. A complete read deactivates exactly the leavers; a read that
    /// lost members would deactivate them too.
    pub fn in_step(members: usize, leavers: usize) -> Company {
        let people: Vec<Person> = (1..=members).map(Person::numbered).collect();
        Company::in_step_with(people, leavers)
    }

    /// Like [`Company::in_step`] with the given people.
    pub fn in_step_with(people: Vec<Person>, leavers: usize) -> Company {
        let leavers: Vec<String> = (1..=leavers).map(|n| format!("l{n:02}")).collect();
        let mut users = service_users();
        for (index, person) in people.iter().enumerate() {
            users.push(person.as_user(1000 + index as i64));
        }
        users.extend(leaver_users(&leavers, 100_000));
        Company {
            people,
            leavers,
            site: site_seed(users),
        }
    }

    /// The company's people and group, as slapd would hold them, three entries a page.
    pub fn fake_directory(&self) -> FakeDirectory {
        let mut entries = vec![
            FakeEntry::new(PEOPLE_DN, &[("objectClass", &["organizationalUnit"])]),
            FakeEntry::new(
                "ou=groups,dc=example,dc=com",
                &[("objectClass", &["organizationalUnit"])],
            ),
        ];
        for person in &self.people {
            let name = format!("{} {}", person.given_name, person.surname);
            entries.push(FakeEntry::new(
                &person.dn(),
                &[
                    ("objectClass", &["inetOrgPerson"]),
                    ("uid", &[person.uid.as_str()]),
                    ("cn", &[name.as_str()]),
                    ("givenName", &[person.given_name.as_str()]),
                    ("sn", &[person.surname.as_str()]),
                    ("mail", &[person.mail.as_str()]),
                    ("title", &[person.title.as_str()]),
                ],
            ));
        }
        let members: Vec<String> = self.people.iter().map(|p| p.dn()).collect();
        let members: Vec<&str> = members.iter().map(String::as_str).collect();
        entries.push(FakeEntry::new(
            GROUP_DN,
            &[
                ("objectClass", &["groupOfNames"]),
                ("cn", &["jira-align-users"]),
                ("member", &members),
            ],
        ));
        FakeDirectory::new(entries)
    }

    /// Lower-cased keys of everyone entitled to an active account.
    pub fn entitled(&self) -> BTreeSet<String> {
        self.people.iter().map(|p| p.uid.to_lowercase()).collect()
    }

    /// The directory: the people, the group listing them all, and nothing else.
    pub fn ldif(&self) -> String {
        let mut out = format!(
            "dn: {PEOPLE_DN}\nobjectClass: organizationalUnit\nou: people\n\n\
             dn: ou=groups,dc=example,dc=com\nobjectClass: organizationalUnit\nou: groups\n\n"
        );
        for person in &self.people {
            out.push_str(&person_ldif(person));
        }
        out.push_str(&format!(
            "dn: {GROUP_DN}\nobjectClass: groupOfNames\ncn: jira-align-users\n"
        ));
        for person in &self.people {
            out.push_str(&ldif_line("member", person.dn().as_bytes()));
        }
        out.push('\n');
        out
    }
}

/// One inetOrgPerson record.
pub fn person_ldif(person: &Person) -> String {
    let cn = format!("{} {}", person.given_name, person.surname);
    let lines = [
        ("dn", person.dn()),
        ("objectClass", "inetOrgPerson".to_string()),
        ("uid", person.uid.clone()),
        ("cn", cn),
        ("givenName", person.given_name.clone()),
        ("sn", person.surname.clone()),
        ("mail", person.mail.clone()),
        ("title", person.title.clone()),
    ];
    let mut out: String = lines
        .iter()
        .map(|(name, value)| ldif_line(name, value.as_bytes()))
        .collect();
    out.push('\n');
    out
}

/// `name: value`, or `name:: base64` when the value is not a safe LDIF string (RFC 2849).
pub fn ldif_line(name: &str, value: &[u8]) -> String {
    let safe_start = value
        .first()
        .is_none_or(|b| !matches!(b, b' ' | b':' | b'<'));
    let safe = safe_start
        && value.last() != Some(&b' ')
        && value
            .iter()
            .all(|b| matches!(b, 1..=9 | 11 | 12 | 14..=127));
    if safe {
        format!("{name}: {}\n", String::from_utf8_lossy(value))
    } else {
        let mut encoded = super::leaks::base64(value);
        while !encoded.len().is_multiple_of(4) {
            encoded.push('=');
        }
        format!("{name}:: {encoded}\n")
    }
}

/// A user with every field a status change needs, active.
fn base_user(id: i64) -> User {
    User {
        id,
        role_id: Some(MEMBER_ROLE_ID),
        region_id: Some(REGION_ID),
        city_id: Some(CITY_ID),
        cost_center_id: Some(COST_CENTER_ID),
        division_id: Some(DIVISION_ID),
        ..User::default()
    }
}

/// The token's user and a connector-created user without a key.
fn service_users() -> Vec<User> {
    vec![
        User {
            first_name: Some("Sync".into()),
            last_name: Some("Service".into()),
            email: Some("svc-sync@example.test".into()),
            external_id: Some("svc-sync".into()),
            role_id: Some(ADMIN_ROLE_ID),
            ..base_user(SERVICE_USER_ID)
        },
        User {
            first_name: Some("Jira".into()),
            last_name: Some("Connector".into()),
            email: Some("connector@example.test".into()),
            ..base_user(UNMANAGED_USER_ID)
        },
    ]
}

fn leaver_users(keys: &[String], first_id: i64) -> Vec<User> {
    keys.iter()
        .enumerate()
        .map(|(index, key)| User {
            first_name: Some("Former".into()),
            last_name: Some(key.to_uppercase()),
            email: Some(format!("{key}@example.test")),
            external_id: Some(key.clone()),
            ..base_user(first_id + index as i64)
        })
        .collect()
}

fn site_seed(users: Vec<User>) -> Seed {
    Seed {
        users,
        regions: vec![RefRecord::named(REGION_ID, "North America")],
        cities: vec![city()],
        cost_centers: vec![RefRecord::named(COST_CENTER_ID, "Engineering")],
        divisions: vec![RefRecord::named(DIVISION_ID, "Enterprise")],
        roles: vec![
            Role {
                id: ADMIN_ROLE_ID,
                name: "Super Admin".into(),
                can_manage_users: true,
            },
            Role {
                id: MEMBER_ROLE_ID,
                name: "Team Member".into(),
                can_manage_users: false,
            },
        ],
        tokens: vec![ApiToken {
            user_id: SERVICE_USER_ID,
            secret: TOKEN_SECRET.into(),
        }],
    }
}

fn city() -> RefRecord {
    let mut city = RefRecord::named(CITY_ID, "New York");
    city.fields.insert("regionId".into(), REGION_ID.into());
    city
}
