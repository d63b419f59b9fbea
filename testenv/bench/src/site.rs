//! The Jira Align site of each scenario, built to agree with a directory group: members hold
//! active users with the directory's attributes; everyone else in the site left long ago
//! (deactivated, some created by the Jira connector without division or city) or has no
//! External ID at all. Churn and a first sync are differences from that agreement, so the
//! plan each site calls for is known exactly.

use std::ops::RangeInclusive;

use chrono::{DateTime, Duration, Utc};
use jira_align_sim::{DEACTIVATED, GENERATED_ID_OFFSET, GeneratorSpec, Seed, User, generate};
use jira_align_user_sync::crd::ActionCounts;

use crate::people::{Population, TITLE};

/// The share of members, in per mille, behind each kind of churn.
const JOINERS_PER_MILLE: usize = 10;
const LEAVERS_PER_MILLE: usize = 10;
const RETURNERS_PER_MILLE: usize = 5;
const ATTRIBUTE_CHANGES_PER_MILLE: usize = 5;
/// One in this many leavers and returners was created by the connector and needs a repair.
const CONNECTOR_CREATED_EVERY: usize = 5;

/// How the site relates to the directory group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SiteState {
    /// Every member has an active user with the directory's attributes.
    InStep,
    /// 1 % joiners, 1 % leavers, 0.5 % returners and 0.5 % attribute changes since the last
    /// sync, as shares of the members.
    Churned,
    /// No member has a user yet.
    BeforeFirstSync,
}

/// What to build.
#[derive(Clone, Debug)]
pub struct SiteSpec {
    pub population: Population,
    /// Directory indices of the group's members.
    pub members: RangeInclusive<usize>,
    /// People in the site besides the three service accounts; members take evenly spread
    /// places among them (none in `BeforeFirstSync`).
    pub people: usize,
    pub state: SiteState,
}

/// The plan a sync of the site must make, in the counts of the one-shot report.
pub type Expected = ActionCounts;

/// A built site.
pub struct Site {
    pub seed: Seed,
    pub expected: Expected,
}

impl SiteSpec {
    pub fn member_count(&self) -> usize {
        self.members.clone().count()
    }

    /// Builds the seed and the plan it calls for. Deterministic.
    pub fn build(&self) -> Site {
        let mut seed = generate(&GeneratorSpec {
            users: 0,
            ..GeneratorSpec::default()
        });
        let mut expected = Expected::default();
        let members = self.member_count();
        let placed = match self.state {
            SiteState::BeforeFirstSync => 0,
            _ => members.min(self.people),
        };
        expected.created = (members - placed) as u64;
        let formers = self.people - placed;
        let leaver_step = match self.state {
            SiteState::Churned => formers / (members * LEAVERS_PER_MILLE / 1000).max(1),
            _ => 0,
        };

        let mut member_ordinal = 0;
        let mut former_ordinal = 0;
        for person in 1..=self.people {
            let id = GENERATED_ID_OFFSET + person as i64;
            let is_member_place = (person * placed) / self.people.max(1)
                > ((person - 1) * placed) / self.people.max(1);
            if is_member_place {
                let index = *self.members.start() + member_ordinal;
                let user = self.member(id, index, member_ordinal, &mut expected);
                seed.users.extend(user);
                member_ordinal += 1;
            } else {
                let leaver = leaver_step > 0 && former_ordinal % leaver_step == 0;
                let number = leaver.then(|| former_ordinal / leaver_step.max(1));
                let user = former(id, former_ordinal, number);
                if leaver {
                    expected.deactivated += 1;
                    expected.repaired += u64::from(user.division_id.is_none());
                }
                seed.users.push(user);
                former_ordinal += 1;
            }
        }
        Site { seed, expected }
    }

    /// The user of member `index` (the `ordinal`-th member placed), changed as churn says;
    /// `None` for a joiner, who has no user yet.
    fn member(
        &self,
        id: i64,
        index: usize,
        ordinal: usize,
        expected: &mut Expected,
    ) -> Option<User> {
        let people = self.population;
        let mut user = User {
            id,
            external_id: Some(people.key(index)),
            email: Some(people.email(index)),
            first_name: Some(people.first_name().to_owned()),
            last_name: Some(people.last_name(index)),
            title: Some(TITLE.to_owned()),
            ..placed_user(id)
        };
        if self.state != SiteState::Churned {
            expected.unchanged += 1;
            return Some(user);
        }
        let joiner = ordinal % (1000 / JOINERS_PER_MILLE) == 1;
        let returner = ordinal % (1000 / RETURNERS_PER_MILLE) == 3;
        let drifted = ordinal % (1000 / ATTRIBUTE_CHANGES_PER_MILLE) == 5;
        if joiner {
            expected.created += 1;
            return None;
        }
        if returner {
            deactivate(&mut user);
            expected.reactivated += 1;
            let nth = ordinal / (1000 / RETURNERS_PER_MILLE);
            if nth.is_multiple_of(CONNECTOR_CREATED_EVERY) {
                connector_created(&mut user);
                expected.repaired += 1;
            }
        } else if drifted {
            user.title = Some("Senior Engineer".to_owned());
            expected.updated += 1;
        } else {
            expected.unchanged += 1;
        }
        Some(user)
    }
}

/// A person who is not a member: deactivated long ago (one in twenty created by the
/// connector), one in twenty without an External ID and active. The `n`-th leaver
/// (`Some(n)`) is still active, and one in five leavers lacks division and city.
fn former(id: i64, ordinal: usize, leaver: Option<usize>) -> User {
    let mut user = User {
        id,
        external_id: Some(format!("former{ordinal:06}")),
        email: Some(format!("former{ordinal:06}@example.com")),
        first_name: Some("Former".to_owned()),
        last_name: Some(format!("Person{ordinal}")),
        title: Some("Analyst".to_owned()),
        ..placed_user(id)
    };
    if let Some(nth) = leaver {
        if nth.is_multiple_of(CONNECTOR_CREATED_EVERY) {
            connector_created(&mut user);
        }
        return user;
    }
    match ordinal % 20 {
        19 => user.external_id = None,
        7 => {
            connector_created(&mut user);
            deactivate(&mut user);
        }
        _ => deactivate(&mut user),
    }
    user
}

/// The fields every site user shares: the simulator's default role, region, city, cost
/// center and division, and a creation date.
fn placed_user(id: i64) -> User {
    let created = base_date() + Duration::minutes(id);
    User {
        id,
        role_id: Some(jira_align_sim::MEMBER_ROLE_ID),
        region_id: Some(jira_align_sim::DEFAULT_REGION_ID),
        city_id: Some(jira_align_sim::DEFAULT_CITY_ID),
        cost_center_id: Some(jira_align_sim::DEFAULT_COST_CENTER_ID),
        division_id: Some(jira_align_sim::DEFAULT_DIVISION_ID),
        user_start_date: Some(created),
        create_date: Some(created),
        last_updated_date: Some(created),
        ..User::default()
    }
}

fn deactivate(user: &mut User) {
    user.is_locked = DEACTIVATED;
    user.user_end_date = user.create_date.map(|date| date + Duration::days(365));
}

fn connector_created(user: &mut User) {
    user.connector_id = Some(1);
    user.division_id = None;
    user.city_id = None;
}

fn base_date() -> DateTime<Utc> {
    // 2020-01-01T00:00:00Z; a valid timestamp, so the fallback is never used.
    DateTime::from_timestamp(1_577_836_800, 0).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(state: SiteState) -> SiteSpec {
        SiteSpec {
            population: Population::LdapBulk,
            members: 1..=1_000,
            people: 2_000,
            state,
        }
    }

    #[test]
    fn a_site_in_step_holds_every_member_once_among_the_former_staff() {
        let site = spec(SiteState::InStep).build();
        assert_eq!(site.seed.users.len(), 2_003);
        assert_eq!(
            site.expected,
            Expected {
                unchanged: 1_000,
                ..Expected::default()
            }
        );
        let first = site.seed.users.iter().find(|u| u.id == 1_002);
        let key = first.and_then(|u| u.external_id.as_deref());
        assert_eq!(key, Some("user000001"));
        let active_formers = site
            .seed
            .users
            .iter()
            .filter(|u| {
                u.is_locked == 0
                    && u.last_name
                        .as_deref()
                        .is_some_and(|n| n.starts_with("Person"))
            })
            .count();
        assert_eq!(
            active_formers, 50,
            "one in twenty formers has no External ID"
        );
    }

    #[test]
    fn churn_is_one_percent_in_and_out_and_half_a_percent_back_and_drifted() {
        let site = spec(SiteState::Churned).build();
        assert_eq!(site.seed.users.len(), 1_993);
        assert_eq!(
            site.expected,
            Expected {
                created: 10,
                reactivated: 5,
                deactivated: 10,
                repaired: 3,
                updated: 5,
                unchanged: 980,
                ..Expected::default()
            }
        );
    }

    #[test]
    fn before_the_first_sync_every_member_is_created() {
        let site = SiteSpec {
            people: 1_000,
            ..spec(SiteState::BeforeFirstSync)
        }
        .build();
        assert_eq!(site.seed.users.len(), 1_003);
        assert_eq!(
            site.expected,
            Expected {
                created: 1_000,
                ..Expected::default()
            }
        );
    }
}
