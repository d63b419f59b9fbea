//! Turning member entries into the snapshot: each entry is judged (entitled, or excluded with
//! a reason), members reached through several groups are kept once, override data is attached,
//! and the result is sorted by key so that two reads of the same directory compare equal.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::DirectoryConfig;
use super::account;
use super::dn::normalize_dn;
use super::entry::{BadValue, RawEntry};
use super::error::DirectoryError;
use crate::crd::DirectoryMode;
use crate::snapshot::{DirectorySnapshot, DirectoryUser, ExcludedMember, ExclusionReason};

/// The attributes to request for member entries: the configured ones, the account-state
/// attributes of the mode, and those named by override rules.
pub(crate) fn wanted_attributes(config: &DirectoryConfig) -> Vec<String> {
    let names = &config.attributes;
    let state: &[&str] = match config.mode {
        DirectoryMode::ActiveDirectory => &account::AD_STATE_ATTRIBUTES,
        DirectoryMode::Ldap => &account::LDAP_STATE_ATTRIBUTES,
    };
    let mut wanted: Vec<String> = [
        &names.key,
        &names.email,
        &names.first_name,
        &names.last_name,
        &names.title,
    ]
    .into_iter()
    .cloned()
    .chain(state.iter().map(|name| name.to_string()))
    .chain(config.override_attributes.iter().cloned())
    .collect();
    let mut seen = BTreeSet::new();
    wanted.retain(|name| seen.insert(name.to_ascii_lowercase()));
    wanted
}

/// What became of one member entry. Shared rather than copied: the walk's cache, its result
/// and the roster all hold the same verdicts, and a group of 50,000 members would otherwise
/// be held three times over.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    Entitled(Arc<DirectoryUser>),
    Excluded(Arc<ExcludedMember>),
}

impl Verdict {
    pub fn excluded(member: ExcludedMember) -> Verdict {
        Verdict::Excluded(Arc::new(member))
    }
}

/// How a group's members were judged, as far as the group's own check needs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Tally {
    pub entitled: usize,
    /// Left out because the entry has no value for the key attribute.
    pub missing_key: usize,
}

impl Tally {
    pub fn of<'a>(verdicts: impl IntoIterator<Item = &'a Verdict>) -> Tally {
        let mut tally = Tally::default();
        for verdict in verdicts {
            match verdict {
                Verdict::Entitled(_) => tally.entitled += 1,
                Verdict::Excluded(member) if member.reason == ExclusionReason::MissingKey => {
                    tally.missing_key += 1;
                }
                Verdict::Excluded(_) => {}
            }
        }
        tally
    }
}

/// Judges one member entry at `now`. An unusable value of a wanted attribute fails the read:
/// excluding the user instead would deactivate them over a data glitch.
pub(crate) fn judge(
    entry: &RawEntry,
    config: &DirectoryConfig,
    now: DateTime<Utc>,
) -> Result<Verdict, DirectoryError> {
    judge_entry(entry, config, now).map_err(|bad| DirectoryError::InvalidAttribute {
        url: config.url.clone(),
        dn: entry.dn.clone(),
        attribute: bad.attribute,
        problem: bad.problem.to_string(),
    })
}

fn judge_entry(
    entry: &RawEntry,
    config: &DirectoryConfig,
    now: DateTime<Utc>,
) -> Result<Verdict, BadValue> {
    let names = &config.attributes;
    let key = entry.text(&names.key)?;
    let excluded = |reason, key| {
        Verdict::excluded(ExcludedMember {
            dn: entry.dn.clone(),
            key,
            reason,
        })
    };
    let Some(key) = key else {
        return Ok(excluded(ExclusionReason::MissingKey, None));
    };
    if let Some(reason) = account::exclusion(entry, now)? {
        return Ok(excluded(reason, Some(key)));
    }

    let mut attributes = BTreeMap::new();
    for name in &config.override_attributes {
        let values = entry.texts(name)?;
        if !values.is_empty() {
            attributes.insert(name.to_ascii_lowercase(), values);
        }
    }
    let text = |name: &str| Ok(entry.text(name)?.map(String::into_boxed_str));
    Ok(Verdict::Entitled(Arc::new(DirectoryUser {
        dn: entry.dn.as_str().into(),
        key: key.into(),
        email: text(&names.email)?,
        first_name: text(&names.first_name)?,
        last_name: text(&names.last_name)?,
        title: text(&names.title)?,
        groups: BTreeSet::new(),
        attributes,
    })))
}

/// The members found so far, keyed by canonical DN so each appears once.
#[derive(Debug, Default)]
pub(crate) struct Roster {
    members: BTreeMap<String, Verdict>,
    /// The override groups of entitled members, by canonical DN; set on the users at the end.
    groups: HashMap<String, BTreeSet<String>>,
}

impl Roster {
    /// Adds a verdict unless the same DN is already present.
    pub fn add(&mut self, verdict: Verdict) {
        let dn: &str = match &verdict {
            Verdict::Entitled(user) => &user.dn,
            Verdict::Excluded(member) => &member.dn,
        };
        self.members.entry(normalize_dn(dn)).or_insert(verdict);
    }

    /// Marks a member as filtered out by the user filter, keeping its key.
    pub fn filter_out(&mut self, canonical_dn: &str) {
        if let Some(verdict) = self.members.get_mut(canonical_dn)
            && let Verdict::Entitled(user) = verdict
        {
            *verdict = Verdict::excluded(ExcludedMember {
                dn: user.dn.to_string(),
                key: Some(user.key.to_string()),
                reason: ExclusionReason::FilteredOut,
            });
        }
    }

    /// Records that the members with these canonical DNs belong to an override group.
    pub fn add_group(&mut self, group: &str, canonical_dns: &BTreeSet<String>) {
        let group = group.to_lowercase();
        for dn in canonical_dns {
            if let Some(Verdict::Entitled(_)) = self.members.get(dn) {
                let groups = self.groups.entry(dn.clone()).or_default();
                groups.insert(group.clone());
            }
        }
    }

    /// The tally of the members with these canonical DNs.
    pub fn tally_among<'a>(&self, canonical_dns: impl IntoIterator<Item = &'a String>) -> Tally {
        Tally::of(
            canonical_dns
                .into_iter()
                .filter_map(|dn| self.members.get(dn)),
        )
    }

    /// The snapshot, sorted by key (ignoring case) and then by DN. Call it once the walk's
    /// cache is gone, so that each verdict is moved out rather than copied.
    pub fn into_snapshot(mut self) -> DirectorySnapshot {
        let entitled = self
            .members
            .values()
            .filter(|verdict| matches!(verdict, Verdict::Entitled(_)))
            .count();
        let mut snapshot = DirectorySnapshot {
            users: Vec::with_capacity(entitled),
            excluded: Vec::with_capacity(self.members.len() - entitled),
        };
        for (dn, verdict) in self.members {
            match verdict {
                Verdict::Entitled(user) => {
                    let mut user = Arc::unwrap_or_clone(user);
                    if let Some(groups) = self.groups.remove(&dn) {
                        user.groups = groups;
                    }
                    snapshot.users.push(user);
                }
                Verdict::Excluded(member) => snapshot.excluded.push(Arc::unwrap_or_clone(member)),
            }
        }
        // Members come out in canonical DN order, which the stable sorts keep for equal keys.
        snapshot
            .users
            .sort_by(|a, b| cmp_ignoring_case(&a.key, &b.key));
        snapshot.excluded.sort_by(|a, b| match (&a.key, &b.key) {
            (Some(a), Some(b)) => cmp_ignoring_case(a, b),
            (a, b) => a.is_some().cmp(&b.is_some()),
        });
        snapshot
    }
}

/// Orders two keys as their lower-case forms would order, without building those forms for
/// ASCII keys (nearly all), so sorting a large group allocates nothing.
fn cmp_ignoring_case(a: &str, b: &str) -> std::cmp::Ordering {
    if a.is_ascii() && b.is_ascii() {
        let a = a.bytes().map(|byte| byte.to_ascii_lowercase());
        a.cmp(b.bytes().map(|byte| byte.to_ascii_lowercase()))
    } else {
        a.to_lowercase().cmp(&b.to_lowercase())
    }
}

/// Fails a group that yields no entitled member, unless empty groups are allowed: an empty
/// answer is far more often a broken read than a group everybody left. A group whose members
/// all lack the key attribute always fails, naming the attribute: that is a misspelt or
/// unreadable attribute, and accepting it would deactivate everyone.
pub(crate) fn require_members(
    config: &DirectoryConfig,
    group: &str,
    tally: Tally,
) -> Result<(), DirectoryError> {
    if tally.entitled == 0 && tally.missing_key > 0 {
        let detail = format!(
            "none of the {} members of {group} has a value for the key attribute {}; check \
             its name and that the bind user may read it",
            tally.missing_key, config.attributes.key
        );
        return Err(DirectoryError::invalid_config("attributes.key", detail));
    }
    if tally.entitled > 0 || config.allow_empty_groups {
        return Ok(());
    }
    Err(DirectoryError::IncompleteRead {
        url: config.url.clone(),
        reading: format!("members of {group}"),
        detail: "the group has no entitled member; set allowEmptyGroups to accept that".to_string(),
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::directory::ResolvedAttributes;

    fn config() -> DirectoryConfig {
        DirectoryConfig {
            url: "ldaps://dc1.example.test".to_string(),
            mode: DirectoryMode::ActiveDirectory,
            bind_dn: "cn=svc".to_string(),
            bind_password: "secret".to_string(),
            base_dn: "dc=example,dc=test".to_string(),
            groups: vec!["cn=jira,dc=example,dc=test".to_string()],
            user_filter: None,
            attributes: ResolvedAttributes::defaults(DirectoryMode::ActiveDirectory),
            ca_pem: None,
            dangerously_skip_verify: false,
            dangerously_allow_plaintext: false,
            allow_empty_groups: false,
            max_nesting_depth: 10,
            timeout: Duration::from_secs(30),
            override_groups: vec![],
            override_attributes: vec!["Department".to_string()],
        }
    }

    fn now() -> DateTime<Utc> {
        "2026-06-01T00:00:00Z".parse().expect("valid timestamp")
    }

    fn user(dn: &str, key: &[u8]) -> RawEntry {
        RawEntry::new(
            dn,
            vec![
                ("sAMAccountName", vec![key]),
                ("mail", vec![b"a@example.test"]),
                ("department", vec![b"IT", b"Ops"]),
                ("userAccountControl", vec![b"512"]),
            ],
        )
    }

    #[test]
    fn wanted_attributes_include_state_and_override_names_once() {
        let mut config = config();
        config.override_attributes.push("mail".to_string());
        assert_eq!(
            wanted_attributes(&config),
            [
                "sAMAccountName",
                "mail",
                "givenName",
                "sn",
                "title",
                "userAccountControl",
                "accountExpires",
                "Department"
            ]
        );
    }

    #[test]
    fn entitled_users_carry_fields_and_override_attributes() {
        let verdict =
            judge(&user("CN=Ann,DC=example,DC=test", b"ann"), &config(), now()).expect("judged");
        let Verdict::Entitled(found) = verdict else {
            panic!("ann is entitled")
        };
        assert_eq!(&*found.key, "ann");
        assert_eq!(found.email.as_deref(), Some("a@example.test"));
        assert_eq!(found.first_name, None);
        assert_eq!(
            found.attributes,
            BTreeMap::from([(
                "department".to_string(),
                vec!["IT".to_string(), "Ops".to_string()]
            )])
        );
    }

    #[test]
    fn entries_without_key_are_excluded_and_bad_text_fails() {
        let keyless = RawEntry::new(
            "CN=x,DC=example,DC=test",
            vec![("mail", vec![b"x@example.test"])],
        );
        assert_eq!(
            judge(&keyless, &config(), now()).expect("judged"),
            Verdict::excluded(ExcludedMember {
                dn: "CN=x,DC=example,DC=test".to_string(),
                key: None,
                reason: ExclusionReason::MissingKey,
            })
        );
        let garbled = user("CN=y,DC=example,DC=test", &[0xff, 0x00]);
        let err = judge(&garbled, &config(), now()).unwrap_err();
        assert_eq!(err.reason(), "InvalidDirectoryData");
        assert_eq!(
            err.to_string(),
            "entry CN=y,DC=example,DC=test on ldaps://dc1.example.test has an unusable value of \
             sAMAccountName: not utf-8 text"
        );
    }

    #[test]
    fn the_roster_dedupes_filters_and_sorts_by_key() {
        let config = config();
        let mut roster = Roster::default();
        for (dn, key) in [
            ("CN=Bob,DC=x", "bob"),
            ("CN=ann,DC=x", "Ann"),
            ("cn=BOB, dc=X", "bob"),
            ("CN=Cy,DC=x", "cy"),
        ] {
            roster.add(judge(&user(dn, key.as_bytes()), &config, now()).expect("judged"));
        }
        roster.filter_out(&normalize_dn("CN=Cy,DC=x"));
        roster.add_group(
            "CN=Contractors,DC=x",
            &BTreeSet::from([normalize_dn("CN=Bob,DC=x")]),
        );
        let dns = [normalize_dn("CN=ann,DC=x"), normalize_dn("CN=Cy,DC=x")];
        assert_eq!(roster.tally_among(&dns).entitled, 1);

        let snapshot = roster.into_snapshot();
        let keys: Vec<&str> = snapshot.users.iter().map(|u| &*u.key).collect();
        assert_eq!(keys, ["Ann", "bob"]);
        assert_eq!(&*snapshot.users[1].dn, "CN=Bob,DC=x");
        assert_eq!(
            snapshot.users[1].groups,
            BTreeSet::from(["cn=contractors,dc=x".to_string()])
        );
        assert!(snapshot.users[0].groups.is_empty());
        assert_eq!(
            snapshot.excluded,
            vec![ExcludedMember {
                dn: "CN=Cy,DC=x".to_string(),
                key: Some("cy".to_string()),
                reason: ExclusionReason::FilteredOut,
            }]
        );
    }

    #[test]
    fn keys_compare_as_their_lower_case_forms() {
        use std::cmp::Ordering::{Equal, Greater, Less};
        assert_eq!(cmp_ignoring_case("Bob", "bob"), Equal);
        assert_eq!(cmp_ignoring_case("ann", "Bob"), Less);
        assert_eq!(cmp_ignoring_case("ann_z", "ANN-z"), Greater);
        assert_eq!(cmp_ignoring_case("ÉLODIE", "élodie"), Equal);
        assert_eq!(cmp_ignoring_case("Émile", "zoe"), Greater);
    }

    #[test]
    fn excluded_members_without_a_key_sort_first() {
        let mut roster = Roster::default();
        for (dn, key) in [
            ("CN=b,DC=x", Some("Bea")),
            ("CN=n,DC=x", None),
            ("CN=a,DC=x", Some("al")),
        ] {
            roster.add(Verdict::excluded(ExcludedMember {
                dn: dn.to_string(),
                key: key.map(str::to_string),
                reason: ExclusionReason::Disabled,
            }));
        }
        let snapshot = roster.into_snapshot();
        let keys: Vec<Option<&str>> = snapshot.excluded.iter().map(|m| m.key.as_deref()).collect();
        assert_eq!(keys, [None, Some("al"), Some("Bea")]);
    }

    #[test]
    fn an_empty_group_fails_unless_allowed() {
        let mut config = config();
        let tally = |entitled, missing_key| Tally {
            entitled,
            missing_key,
        };
        let err = require_members(&config, "cn=jira", tally(0, 0)).unwrap_err();
        assert_eq!(err.reason(), "IncompleteRead");
        assert!(require_members(&config, "cn=jira", tally(1, 0)).is_ok());
        assert!(require_members(&config, "cn=jira", tally(1, 5)).is_ok());
        config.allow_empty_groups = true;
        assert!(require_members(&config, "cn=jira", tally(0, 0)).is_ok());

        // Members who all lack the key: a wrong attribute, refused even when empty is allowed.
        let err = require_members(&config, "cn=jira", tally(0, 6)).unwrap_err();
        assert_eq!(err.reason(), "InvalidConfig");
        assert_eq!(
            err.to_string(),
            "invalid directory configuration attributes.key: none of the 6 members of cn=jira \
             has a value for the key attribute sAMAccountName; check its name and that the \
             bind user may read it"
        );
    }
}
