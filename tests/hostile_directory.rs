//! Hostile directory data in full syncs on slapd: keys and values full of LDAP filter and
//! OData metacharacters, 64 KiB values, a value that is not UTF-8, and keys that are equal
//! once case and Unicode normalisation are ignored. The metacharacters and long values
//! arrive in Jira Align exactly; the bad value voids the run before any write; equal keys
//! are conflicts, left alone on both sides, while everyone else is synced.

#[path = "common/harness.rs"]
mod common;

use std::collections::BTreeSet;

use common::checks::{assert_in_step, writes};
use common::company::{Company, PEOPLE_DN, Person, ldif_line};
use common::world::{Tuning, World};
use jira_align_sim::{SimConfig, User};
use jira_align_user_sync::plan::normalize_key;
use serde_json::json;

/// A person whose key, names and title are exactly these.
fn person(rdn: &str, uid: &str, given_name: &str, title: &str) -> Person {
    Person {
        rdn: rdn.to_string(),
        uid: uid.to_string(),
        given_name: given_name.to_string(),
        surname: "Hostile".to_string(),
        mail: format!("{}@example.test", mail_part(uid)),
        title: title.to_string(),
    }
}

/// An email local part made of the key's letters and digits.
fn mail_part(uid: &str) -> String {
    let hex: String = uid.bytes().map(|b| format!("{b:02x}")).collect();
    format!("k{hex}")
}

#[tokio::test(flavor = "multi_thread")]
async fn metacharacters_and_long_values_arrive_exactly() {
    let long = "L".repeat(64 * 1024);
    let hostile = vec![
        person("uid=star*", "star*", "Star", "Lead (*)"),
        person("uid=o(brien)", "o(brien)", "Paren", "x)(uid=*"),
        person(r"uid=back\5cslash", r"back\slash", "Back", r"C:\share\*"),
        person("uid=o'neil", "o'neil", "Quote", "it''s 'quoted'"),
        person("uid=amp&pipe|bang!", "amp&pipe|bang!", "Amp", "R&D | QA!"),
        person("uid=nul-title", "nul-title", "Nul", "before\0after"),
        person("uid=long", "long", &long, &long),
    ];
    let mut people = vec![Person::numbered(1)];
    people.extend(hostile.clone());
    let mut company = Company::in_step_with(vec![Person::numbered(1)], 1);
    company.people = people;
    let world = World::start(company, SimConfig::default()).await;
    let client = world.client(Tuning::default());

    let report = world
        .run(&client)
        .await
        .expect("hostile values do not fail the run");

    let counts = report.counts();
    assert_eq!(report.directory_members, 8);
    assert_eq!(
        (
            counts.created,
            counts.deactivated,
            counts.unchanged,
            counts.failed
        ),
        (7, 1, 1, 0),
        "{:?}",
        report.plan
    );
    assert!(report.plan.conflicts.is_empty());
    assert_in_step(&world.site, &world.company);
    eprintln!(
        "OUTCOME hostile directory values: {} members with metacharacters, NUL and 64 KiB \
         values created exactly; failed {}",
        hostile.len(),
        counts.failed
    );

    let again = world.run(&client).await.expect("the second run succeeds");
    assert!(again.plan.actions.is_empty(), "{:?}", again.plan.actions);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_value_that_is_not_utf8_voids_the_run() {
    let mut world = World::start(Company::in_step(3, 1), SimConfig::default()).await;
    // slapd refuses bytes that are not UTF-8 in text attributes, so the title is read from
    // an octet-string attribute, as from a directory that stores raw bytes.
    world.manifest["spec"]["directory"]["attributes"] = json!({"title": "audio"});
    let dn = format!("uid=p02,{PEOPLE_DN}");
    let change = format!(
        "dn: {dn}\nchangetype: modify\nadd: audio\n{}-\n",
        ldif_line("audio", &[0x45, 0x6e, 0x67, 0xff, 0xfe, 0x72])
    );
    world
        .directory
        .admin()
        .apply(&change)
        .expect("slapd stores the bytes");
    let client = world.client(Tuning::default());

    let error = world.run(&client).await.expect_err("the run must fail");

    eprintln!(
        "OUTCOME hostile directory non-UTF-8 title: {}: {error}",
        error.reason()
    );
    assert_eq!(error.reason(), "InvalidDirectoryData");
    assert!(error.to_string().contains(&dn), "{error}");
    assert!(
        error.to_string().contains("audio: not utf-8 text"),
        "{error}"
    );
    assert_eq!(
        writes(&world.site).len(),
        0,
        "the leaver is not deactivated either"
    );
}

fn site_user(id: i64, key: &str) -> User {
    Person {
        rdn: String::new(),
        uid: key.to_string(),
        given_name: "Site".into(),
        surname: "User".into(),
        mail: format!("{}@site.example.test", mail_part(key)),
        title: "Engineer".into(),
    }
    .as_user(id)
}

#[tokio::test(flavor = "multi_thread")]
async fn keys_equal_but_for_case_or_normalisation_are_left_alone() {
    let composed = "ren\u{e9}";
    let decomposed = "rene\u{301}";
    let in_directory = vec![
        person("cn=Dup One", "Dup", "Dup", "Engineer"),
        person("cn=Dup Two", "DUP", "Dup", "Engineer"),
        person("cn=Rene Composed", composed, "Rene", "Engineer"),
        person("cn=Rene Decomposed", decomposed, "Rene", "Engineer"),
        person("cn=Kim", "kim", "Kim", "Engineer"),
        person(
            "cn=Wide",
            "\u{ff37}\u{ff49}\u{ff44}\u{ff45}",
            "Wide",
            "Engineer",
        ),
        person("cn=Narrow", "wide", "Narrow", "Engineer"),
    ];
    let mut company = Company::in_step_with(vec![Person::numbered(1)], 1);
    company.people.extend(in_directory);
    // On the site: one "dup", and two users each for "kim" and for the departed "gone".
    let on_site = [
        (5001, "dup"),
        (5002, "kim"),
        (5003, "Kim"),
        (5004, "gone"),
        (5005, "GONE"),
    ];
    company
        .site
        .users
        .extend(on_site.iter().map(|(id, key)| site_user(*id, key)));
    let world = World::start(company, SimConfig::default()).await;
    let client = world.client(Tuning::default());

    let report = world
        .run(&client)
        .await
        .expect("conflicts do not fail the run");

    let conflicts: BTreeSet<String> = report
        .plan
        .conflicts
        .iter()
        .map(|c| normalize_key(&c.key))
        .collect();
    let expected: BTreeSet<String> = [
        "dup",
        "gone",
        "kim",
        composed,
        "\u{ff57}\u{ff49}\u{ff44}\u{ff45}",
    ]
    .iter()
    .map(|k| normalize_key(k))
    .collect();
    eprintln!("OUTCOME hostile directory equal keys: conflicts {conflicts:?}");
    assert_eq!(conflicts, expected, "{:?}", report.plan.conflicts);
    // Only the one real leaver is written to; no conflicting key is created or touched.
    let written: Vec<_> = writes(&world.site);
    assert_eq!(written.len(), 1, "{written:?}");
    assert_eq!(written[0].path, "/rest/align/api/2/Users/100000");
    for (id, _) in on_site {
        assert_eq!(world.site.admin().user(id).map(|u| u.is_locked), Some(0));
    }
}
