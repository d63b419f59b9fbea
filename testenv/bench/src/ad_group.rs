//! The Active Directory group of the benchmark on the shared Samba DC: 5,000 people in
//! `OU=AlignSyncBench`, in a top group that holds 40 % of them directly (more values than one
//! range window of 1,500) and two nested groups with the rest.
//!
//! Adding 5,000 accounts over LDAP takes minutes, so the OU stays on the DC after a run and
//! the next run only adds what is missing. `alignsync-bench remove-ad-group` removes it.

use std::collections::HashSet;
use std::path::Path;
use std::process::Command;

use test_directories::{AdFixture, SambaAd};

use crate::error::BenchError;
use crate::manifest::DirectoryTarget;
use crate::people::{Population, TITLE};

/// The OU holding every benchmark object.
pub const OU_DN: &str = "OU=AlignSyncBench,DC=example,DC=test";
/// Accounts added per `ldapmodify` call, so progress shows in the log.
const BATCH: usize = 1_000;
/// userAccountControl: a normal account that needs no password.
const NORMAL_WITHOUT_PASSWORD: u32 = 0x200 | 0x20;

/// The three groups, innermost first: (name, first person, last person).
fn groups(size: usize) -> [(&'static str, usize, usize); 3] {
    let top = size * 2 / 5;
    let middle = top + size * 3 / 10;
    [
        ("ja-bench-nested-2", middle + 1, size),
        ("ja-bench-nested-1", top + 1, middle),
        ("ja-bench-users", 1, top),
    ]
}

fn group_dn(name: &str) -> String {
    format!("CN={name},{OU_DN}")
}

fn person_dn(index: usize) -> String {
    format!("CN={},{OU_DN}", Population::AdBench.key(index))
}

/// Makes sure the DC runs and holds the benchmark group of `size` people; returns how to
/// read it. `scratch` receives the bind password file for `ldapsearch`.
pub fn ensure(size: usize, scratch: &Path) -> Result<DirectoryTarget, BenchError> {
    let dc = SambaAd::ensure()?;
    let existing = existing_names(&dc, scratch)?;

    let mut ldif = String::new();
    if existing.is_none() {
        ldif.push_str(&format!("dn: {OU_DN}\nobjectClass: organizationalUnit\n\n"));
    }
    let existing = existing.unwrap_or_default();
    let missing: Vec<usize> = (1..=size)
        .filter(|index| !existing.contains(&Population::AdBench.key(*index)))
        .collect();
    if !missing.is_empty() {
        tracing::info!(
            missing = missing.len(),
            "adding the Active Directory benchmark accounts (about 60 ms each)"
        );
    }
    for batch in missing.chunks(BATCH) {
        for index in batch {
            ldif.push_str(&person_ldif(*index));
        }
        dc.admin().apply(&ldif)?;
        ldif.clear();
        tracing::info!(last = batch.last().copied().unwrap_or(0), "accounts added");
    }
    let mut inner: Option<String> = None;
    for (name, first, last) in groups(size) {
        if !existing.contains(name) {
            ldif.push_str(&group_ldif(name, first..=last, inner.as_deref()));
        }
        inner = Some(group_dn(name));
    }
    if !ldif.is_empty() {
        dc.admin().apply(&ldif)?;
    }

    Ok(DirectoryTarget {
        ldaps_url: dc.ldaps_url(),
        ca_pem: dc.ca_pem_path(),
        bind_dn: AdFixture::BIND_DN.to_owned(),
        bind_password: AdFixture::BIND_PASSWORD.to_owned(),
        base_dn: OU_DN.to_owned(),
        group_dn: group_dn("ja-bench-users"),
        active_directory: true,
    })
}

/// Deletes every object of the OU and the OU itself; returns how many objects went.
pub fn remove(scratch: &Path) -> Result<usize, BenchError> {
    let dc = SambaAd::ensure()?;
    let Some(existing) = existing_names(&dc, scratch)? else {
        return Ok(0);
    };
    // Groups first, so no account is removed while a group still names it.
    let mut names: Vec<&String> = existing.iter().collect();
    names.sort_by_key(|name| (!name.starts_with("ja-bench-"), name.to_string()));
    let mut ldif = String::new();
    for name in &names {
        ldif.push_str(&format!("dn: CN={name},{OU_DN}\nchangetype: delete\n\n"));
    }
    ldif.push_str(&format!("dn: {OU_DN}\nchangetype: delete\n\n"));
    dc.admin().apply(&ldif)?;
    Ok(names.len())
}

fn person_ldif(index: usize) -> String {
    let people = Population::AdBench;
    let sam = people.key(index);
    format!(
        "dn: {dn}\nobjectClass: user\nsAMAccountName: {sam}\nuserPrincipalName: \
         {sam}@example.test\nmail: {mail}\ngivenName: {first}\nsn: {last}\ntitle: {TITLE}\n\
         userAccountControl: {NORMAL_WITHOUT_PASSWORD}\n\n",
        dn = person_dn(index),
        mail = people.email(index),
        first = people.first_name(),
        last = people.last_name(index),
    )
}

fn group_ldif(name: &str, people: std::ops::RangeInclusive<usize>, inner: Option<&str>) -> String {
    let mut ldif = format!(
        "dn: {}\nobjectClass: group\nsAMAccountName: {name}\n",
        group_dn(name)
    );
    for index in people {
        ldif.push_str(&format!("member: {}\n", person_dn(index)));
    }
    if let Some(inner) = inner {
        ldif.push_str(&format!("member: {inner}\n"));
    }
    ldif.push('\n');
    ldif
}

/// The sAMAccountNames directly in the OU; `None` when the OU does not exist.
fn existing_names(dc: &SambaAd, scratch: &Path) -> Result<Option<HashSet<String>>, BenchError> {
    let password = scratch.join("ad-bind.pw");
    std::fs::write(&password, AdFixture::BIND_PASSWORD)
        .map_err(BenchError::io("write", &password))?;
    let output = Command::new("ldapsearch")
        .env("LDAPTLS_CACERT", dc.ca_pem_path())
        .env("LDAPTLS_REQCERT", "demand")
        .args(["-LLL", "-x", "-o", "ldif-wrap=no", "-H", &dc.ldaps_url()])
        .args(["-D", AdFixture::BIND_DN, "-y"])
        .arg(&password)
        .args([
            "-b",
            OU_DN,
            "-s",
            "one",
            "(objectClass=*)",
            "sAMAccountName",
        ])
        .output()
        .map_err(|source| BenchError::Spawn {
            program: "ldapsearch".into(),
            source,
        })?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    match output.status.code() {
        Some(0) => Ok(Some(
            stdout
                .lines()
                .filter_map(|line| line.strip_prefix("sAMAccountName: "))
                .map(str::to_owned)
                .collect(),
        )),
        // 32: noSuchObject, the OU is not there yet.
        Some(32) => Ok(None),
        code => Err(BenchError::Group {
            group: OU_DN.to_owned(),
            detail: format!(
                "ldapsearch exited with {code:?}: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_groups_split_five_thousand_people_two_to_three_to_three() {
        assert_eq!(
            groups(5_000),
            [
                ("ja-bench-nested-2", 3_501, 5_000),
                ("ja-bench-nested-1", 2_001, 3_500),
                ("ja-bench-users", 1, 2_000),
            ]
        );
    }

    #[test]
    fn a_group_names_its_people_and_the_group_inside_it() {
        let ldif = group_ldif("ja-bench-nested-1", 3..=4, Some("CN=inner,OU=x"));
        assert_eq!(
            ldif,
            "dn: CN=ja-bench-nested-1,OU=AlignSyncBench,DC=example,DC=test\n\
             objectClass: group\nsAMAccountName: ja-bench-nested-1\n\
             member: CN=bench00003,OU=AlignSyncBench,DC=example,DC=test\n\
             member: CN=bench00004,OU=AlignSyncBench,DC=example,DC=test\n\
             member: CN=inner,OU=x\n\n"
        );
    }
}
