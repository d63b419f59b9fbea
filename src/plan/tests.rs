//! Table-driven tests of the planner: each case is two snapshots, a policy and the exact
//! plan expected, written as one line per user.

use super::*;
use crate::crd::{OverrideFields, OverrideRule};
use crate::snapshot::{ExcludedMember, ExclusionReason};

fn member(key: &str) -> DirectoryUser {
    DirectoryUser {
        dn: format!("CN={key},OU=People,DC=example,DC=test").into(),
        key: key.into(),
        email: Some(format!("{}@example.test", key.to_lowercase()).into()),
        first_name: Some(format!("First-{key}").into()),
        last_name: Some(format!("Last-{key}").into()),
        title: Some("Engineer".into()),
        ..DirectoryUser::default()
    }
}

/// A Jira Align user in step with `member(key)`, active, with division and city.
fn ja(id: u64, key: &str) -> JiraUser {
    JiraUser {
        id,
        external_id: Some(key.into()),
        email: Some(format!("{}@example.test", key.to_lowercase()).into()),
        first_name: Some(format!("First-{key}").into()),
        last_name: Some(format!("Last-{key}").into()),
        title: Some("Engineer".into()),
        is_locked: 0,
        role_id: Some(4),
        division_id: Some(5),
        city_id: Some(3),
    }
}

fn deactivated(mut user: JiraUser) -> JiraUser {
    user.is_locked = -1;
    user
}

fn connector_created(mut user: JiraUser) -> JiraUser {
    user.division_id = None;
    user.city_id = None;
    user
}

fn defaults() -> UserDefaults {
    UserDefaults {
        role_id: 4,
        cost_center_id: 2,
        division_id: 5,
        region_id: 1,
        city_id: 3,
        is_external: false,
    }
}

struct Case {
    members: Vec<DirectoryUser>,
    users: Vec<JiraUser>,
    policy: Policy,
    overrides: Vec<OverrideRule>,
    match_on: MatchOn,
    token_user_id: Option<u64>,
    approved: Option<String>,
}

impl Case {
    fn new(members: Vec<DirectoryUser>, users: Vec<JiraUser>) -> Self {
        Case {
            members,
            users,
            policy: Policy::default(),
            overrides: Vec::new(),
            match_on: MatchOn::ExternalId,
            token_user_id: Some(1),
            approved: None,
        }
    }

    fn plan(&self) -> Plan {
        let directory = DirectorySnapshot {
            users: self.members.clone(),
            excluded: Vec::new(),
        };
        let jira = JiraAlignSnapshot {
            users: self.users.clone(),
        };
        let defaults = defaults();
        plan(&PlanInput {
            directory: &directory,
            jira: &jira,
            match_on: self.match_on,
            defaults: &defaults,
            overrides: &self.overrides,
            policy: &self.policy,
            token_user_id: self.token_user_id,
            approved_hash: self.approved.as_deref(),
        })
    }
}

/// One line per action and skip: `key: step+step` or `key: skip <reason>`.
fn lines(plan: &Plan) -> Vec<String> {
    let mut out: Vec<String> = plan
        .actions
        .iter()
        .map(|a| {
            let steps: Vec<String> = a
                .steps
                .iter()
                .map(|s| match s {
                    Step::Create { .. } => "create".to_string(),
                    Step::Repair {
                        division_id,
                        city_id,
                    } => {
                        format!("repair({division_id:?},{city_id:?})")
                    }
                    Step::Update { changes } => {
                        let f: Vec<_> = changes.iter().map(|c| c.field).collect();
                        format!("update({})", f.join(","))
                    }
                    Step::Reactivate => "reactivate".to_string(),
                    Step::Deactivate => "deactivate".to_string(),
                })
                .collect();
            format!("{}: {}", a.key, steps.join("+"))
        })
        .collect();
    out.extend(
        plan.skipped
            .iter()
            .map(|s| format!("{}: skip {:?}", s.key, s.reason)),
    );
    out.extend(
        plan.conflicts
            .iter()
            .map(|c| format!("{}: conflict {:?}", c.key, c.jira_ids)),
    );
    out
}

#[test]
fn planner_cases() {
    let limited = Policy {
        max_deactivations: 1,
        ..Policy::default()
    };
    let no_repair = Policy {
        repair_missing_fields: false,
        ..Policy::default()
    };
    let no_update = Policy {
        update_attributes: false,
        ..Policy::default()
    };
    let protected = Policy {
        protected_users: vec!["Judy".to_string()],
        protected_role_ids: vec![9],
        ..Policy::default()
    };

    let mut drifted = ja(10, "dave");
    drifted.title = Some("Intern".into());
    drifted.email = Some("DAVE@EXAMPLE.TEST".into());
    let mut admin = ja(12, "root");
    admin.role_id = Some(9);
    let mut unkeyed = ja(13, "ghost");
    unkeyed.external_id = None;
    let mut no_email = member("nomail");
    no_email.email = None;
    let nested = DirectoryUser {
        dn: "CN=carol,OU=Platform,OU=Engineering,DC=example,DC=test".into(),
        ..member("carol")
    };

    let cases: Vec<(&str, Case, Vec<&str>)> = vec![
        (
            "create",
            Case::new(vec![member("bob")], vec![]),
            vec!["bob: create"],
        ),
        (
            "nested member created",
            Case::new(vec![nested], vec![]),
            vec!["carol: create"],
        ),
        (
            "externalId differing only in case is matched",
            Case::new(vec![member("Alice")], vec![ja(10, "ALICE")]),
            vec!["Alice: update(firstName,lastName)"],
        ),
        (
            "in step",
            Case::new(vec![member("alice")], vec![ja(10, "alice")]),
            vec![],
        ),
        (
            "deactivated member reactivated",
            Case::new(vec![member("frank")], vec![deactivated(ja(10, "frank"))]),
            vec!["frank: reactivate"],
        ),
        (
            "leaver deactivated",
            Case::new(vec![], vec![ja(10, "henry")]),
            vec!["henry: deactivate"],
        ),
        (
            "leaver already deactivated",
            Case::new(vec![], vec![deactivated(ja(10, "kate"))]),
            vec![],
        ),
        (
            "connector-created returning user repaired before reactivation",
            Case::new(
                vec![member("grace")],
                vec![connector_created(deactivated(ja(10, "grace")))],
            ),
            vec!["grace: repair(Some(5),Some(3))+reactivate"],
        ),
        (
            "connector-created leaver repaired before deactivation",
            Case::new(vec![], vec![connector_created(ja(10, "ivan"))]),
            vec!["ivan: repair(Some(5),Some(3))+deactivate"],
        ),
        (
            "active member missing only a city is repaired",
            Case::new(
                vec![member("ann")],
                vec![JiraUser {
                    city_id: None,
                    ..ja(10, "ann")
                }],
            ),
            vec!["ann: repair(None,Some(3))"],
        ),
        (
            "repair off: status change skipped",
            Case {
                policy: no_repair,
                ..Case::new(vec![], vec![connector_created(ja(10, "ivan"))])
            },
            vec!["ivan: skip RepairDisabled"],
        ),
        (
            "token owner, protected key and protected role not deactivated",
            Case {
                policy: protected,
                ..Case::new(vec![], vec![ja(1, "svc"), ja(11, "judy"), admin])
            },
            vec![
                "judy: skip Protected { by: \"protectedUsers\" }",
                "root: skip Protected { by: \"protectedRoleIds (9)\" }",
                "svc: skip Protected { by: \"token owner\" }",
            ],
        ),
        (
            "user without a key untouched",
            Case::new(vec![], vec![unkeyed]),
            vec![],
        ),
        (
            "duplicate keys in Jira Align reported, nothing done",
            Case::new(vec![member("eve")], vec![ja(10, "eve"), ja(11, "EVE")]),
            vec!["eve: conflict [10, 11]"],
        ),
        (
            "duplicate keys in the directory reported",
            Case::new(vec![member("Zed"), member("zed")], vec![]),
            vec!["Zed: conflict []"],
        ),
        (
            "limit exceeded: nothing deactivated",
            Case {
                policy: limited,
                ..Case::new(vec![], vec![ja(10, "a"), ja(11, "b")])
            },
            vec![],
        ),
        (
            "attribute drift updated; email case is not drift",
            Case::new(vec![member("dave")], vec![drifted.clone()]),
            vec!["dave: update(title)"],
        ),
        (
            "attribute drift ignored when updates are off",
            Case {
                policy: no_update,
                ..Case::new(vec![member("dave")], vec![drifted])
            },
            vec![],
        ),
        (
            "member without email is not created",
            Case::new(vec![no_email], vec![]),
            vec!["nomail: skip MissingDirectoryField { field: \"email\" }"],
        ),
        (
            "email held by an unmanaged user is reported, not created",
            Case::new(
                vec![member("ghost")],
                vec![JiraUser {
                    external_id: None,
                    ..ja(13, "ghost")
                }],
            ),
            vec!["ghost: skip EmailInUse { jira_id: 13 }"],
        ),
        (
            "unicode compatibility forms match",
            Case::new(vec![member("ｂｏｂ")], vec![ja(10, "bob")]),
            vec!["ｂｏｂ: update(firstName,lastName)"],
        ),
    ];

    for (name, case, want) in cases {
        let got = lines(&case.plan());
        assert_eq!(got, want, "case: {name}");
    }
}

#[test]
fn disabled_and_expired_accounts_are_leavers() {
    // The reader leaves disabled and expired accounts out of `users`; the planner never
    // creates them and deactivates them when active.
    let directory = DirectorySnapshot {
        users: vec![member("alice")],
        excluded: vec![ExcludedMember {
            dn: "CN=erin,DC=example,DC=test".to_string(),
            key: Some("erin".to_string()),
            reason: ExclusionReason::Disabled,
        }],
    };
    let case = Case::new(
        directory.users.clone(),
        vec![ja(10, "alice"), ja(11, "erin")],
    );
    assert_eq!(lines(&case.plan()), vec!["erin: deactivate"]);
    let case = Case::new(directory.users, vec![ja(10, "alice")]);
    assert_eq!(lines(&case.plan()), Vec::<String>::new());
}

#[test]
fn limit_withholds_then_approval_applies_exact_plan() {
    let users: Vec<JiraUser> = (0..10).map(|i| ja(100 + i, &format!("u{i}"))).collect();
    let members: Vec<DirectoryUser> = (0..4).map(|i| member(&format!("u{i}"))).collect();
    let policy = Policy {
        max_deactivations: 5,
        ..Policy::default()
    };
    let case = Case {
        policy,
        ..Case::new(members, users)
    };

    let blocked = case.plan();
    let limit = blocked
        .withheld
        .clone()
        .expect("six of ten is over the limit of five");
    assert_eq!(limit.keys, vec!["u4", "u5", "u6", "u7", "u8", "u9"]);
    assert_eq!(limit.check.deactivations, 6);
    assert_eq!(limit.check.managed_active, 10);
    assert_eq!(blocked.counts().deactivated, 0);
    assert_eq!(
        limit.hash,
        safety::deactivation_hash(&[104, 105, 106, 107, 108, 109])
    );

    let wrong = Case {
        approved: Some("0000000000000000".to_string()),
        ..case
    };
    assert!(wrong.plan().withheld.is_some());
    let approved = Case {
        approved: Some(limit.hash.clone()),
        ..wrong
    };
    let plan = approved.plan();
    assert_eq!(plan.withheld, None);
    assert_eq!(plan.approval_used, Some(limit.hash.clone()));
    assert_eq!(plan.counts().deactivated, 6);
}

#[test]
fn percentage_limit_ignores_small_runs() {
    let check = |deactivations, managed_active| LimitCheck {
        deactivations,
        managed_active,
        max_count: 25,
        max_percent: 10,
    };
    assert!(!check(5, 6).exceeded());
    assert!(check(6, 59).exceeded());
    assert!(!check(6, 60).exceeded());
    assert!(check(26, 10_000).exceeded());
}

#[test]
fn overrides_by_group_and_by_attribute() {
    let rule = |name: &str, member_of: Option<&str>, attribute: Option<&str>, set| OverrideRule {
        name: Some(name.to_string()),
        member_of: member_of.map(str::to_string),
        attribute: attribute.map(str::to_string),
        values: attribute
            .map(|_| vec!["Finance".to_string()])
            .unwrap_or_default(),
        set,
    };
    let overrides = vec![
        rule(
            "contractors",
            Some("CN=Contractors,DC=example,DC=test"),
            None,
            OverrideFields {
                role_id: Some(7),
                is_external: Some(true),
                ..Default::default()
            },
        ),
        rule(
            "finance",
            None,
            Some("department"),
            OverrideFields {
                cost_center_id: Some(8),
                role_id: Some(6),
                ..Default::default()
            },
        ),
    ];
    let mut contractor = member("cora");
    contractor
        .groups
        .insert("cn=contractors,dc=example,dc=test".to_string());
    contractor
        .attributes
        .insert("department".to_string(), vec!["FINANCE".to_string()]);
    let mut accountant = member("fred");
    accountant
        .attributes
        .insert("department".to_string(), vec!["finance".to_string()]);

    let case = Case {
        overrides,
        ..Case::new(vec![contractor, accountant, member("plain")], vec![])
    };
    let plan = case.plan();
    let created: Vec<(String, u64, u64, bool, String)> = plan
        .actions
        .iter()
        .map(|a| match &a.steps[0] {
            Step::Create { user } => (
                a.key.clone(),
                user.role_id,
                user.cost_center_id,
                user.is_external,
                a.reason.clone(),
            ),
            other => panic!("expected a create, got {other:?}"),
        })
        .collect();
    assert_eq!(
        created,
        vec![
            (
                "cora".into(),
                7,
                8,
                true,
                "member without a Jira Align user; overrides: contractors, finance".into()
            ),
            (
                "fred".into(),
                6,
                8,
                false,
                "member without a Jira Align user; overrides: finance".into()
            ),
            (
                "plain".into(),
                4,
                2,
                false,
                "member without a Jira Align user".into()
            ),
        ]
    );
}

#[test]
fn create_carries_defaults_and_external_id() {
    let plan = Case::new(vec![member("bob")], vec![]).plan();
    let Step::Create { user } = &plan.actions[0].steps[0] else {
        panic!("expected a create");
    };
    assert_eq!(
        user,
        &NewUser {
            first_name: "First-bob".into(),
            last_name: "Last-bob".into(),
            email: "bob@example.test".into(),
            external_id: Some("bob".into()),
            title: Some("Engineer".into()),
            role_id: 4,
            cost_center_id: 2,
            division_id: 5,
            region_id: 1,
            city_id: 3,
            is_external: false,
        }
    );
}

#[test]
fn match_on_email_ignores_external_ids() {
    let mut user = ja(10, "legacy-id");
    user.email = Some("Alice@Example.test".into());
    user.first_name = Some("First-alice".into());
    user.last_name = Some("Last-alice".into());
    let case = Case {
        match_on: MatchOn::Email,
        ..Case::new(vec![member("alice")], vec![user])
    };
    let plan = case.plan();
    assert_eq!(lines(&plan), Vec::<String>::new());
    assert_eq!(plan.unchanged, 1);
}

#[test]
fn counts_add_up() {
    let case = Case::new(
        vec![member("bob"), member("frank"), member("alice")],
        vec![
            ja(10, "alice"),
            deactivated(ja(11, "frank")),
            connector_created(ja(12, "ivan")),
        ],
    );
    let counts = case.plan().counts();
    assert_eq!(
        counts,
        ActionCounts {
            created: 1,
            reactivated: 1,
            deactivated: 1,
            repaired: 1,
            updated: 0,
            unchanged: 1,
            skipped: 0,
            failed: 0,
        }
    );
}
