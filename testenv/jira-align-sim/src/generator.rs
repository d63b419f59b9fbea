//! A deterministic generator of large sites: fixed reference lists and service accounts,
//! plus `users` generated people with a chosen mix of deactivated, connector-created,
//! externalId-less and duplicate-prone accounts. The same spec always gives the same seed.

use chrono::{DateTime, Duration, Utc};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::error::SimError;
use crate::seed::{ApiToken, RefRecord, Role, Seed};
use crate::user::{DEACTIVATED, User};

/// Id of the active service account whose token may manage users (role 9, Super Admin).
pub const ADMIN_USER_ID: i64 = 1;
/// Secret of the admin token: `user:1|admin-secret`.
pub const ADMIN_SECRET: &str = "admin-secret";
/// Id of an active user whose role may read but not manage users (role 3).
pub const READER_USER_ID: i64 = 2;
pub const READER_SECRET: &str = "reader-secret";
/// Id of a deactivated Super Admin whose token must be refused.
pub const RETIRED_USER_ID: i64 = 3;
pub const RETIRED_SECRET: &str = "retired-secret";
/// Role of new users in tests: may not manage users.
pub const MEMBER_ROLE_ID: i64 = 3;
/// Ids of valid defaults for creating users.
pub const DEFAULT_REGION_ID: i64 = 1;
pub const DEFAULT_CITY_ID: i64 = 11;
pub const DEFAULT_COST_CENTER_ID: i64 = 100;
pub const DEFAULT_DIVISION_ID: i64 = 200;
/// Generated person `n` (1-based) has id `GENERATED_ID_OFFSET + n`.
pub const GENERATED_ID_OFFSET: i64 = 1000;

const FIRST_NAMES: &[&str] = &[
    "Ada", "Grace", "Alan", "Edsger", "Barbara", "Ken", "Radia", "Linus",
];

/// What to generate. Shares are fractions of `users` between 0 and 1.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct GeneratorSpec {
    pub users: u32,
    pub seed: u64,
    /// Deactivated (`isLocked = -1`, `userEndDate` set); drawn independently of the rest.
    pub deactivated: f64,
    /// Created by the Jira connector: `connectorId = 1`, no division, no city.
    pub connector_created: f64,
    /// No externalId at all.
    pub without_external_id: f64,
    /// A second account of the previous person: externalId and email differ only in case.
    pub duplicate_prone: f64,
}

impl Default for GeneratorSpec {
    fn default() -> Self {
        GeneratorSpec {
            users: 1000,
            seed: 7,
            deactivated: 0.10,
            connector_created: 0.02,
            without_external_id: 0.02,
            duplicate_prone: 0.01,
        }
    }
}

impl GeneratorSpec {
    /// Reads `users=100000,seed=7,deactivated=0.1,connectorCreated=0.02,
    /// withoutExternalId=0.02,duplicateProne=0.01`; keys left out keep their default.
    pub fn parse(text: &str) -> Result<Self, SimError> {
        let mut spec = GeneratorSpec::default();
        for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let invalid = |reason: String| SimError::InvalidGeneratorSpec {
                spec: text.to_owned(),
                reason,
            };
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| invalid(format!("'{pair}' lacks '='")))?;
            let bad_value = |_| invalid(format!("'{value}' is not a valid {key}"));
            let bad_float = |_| invalid(format!("'{value}' is not a valid {key}"));
            match key.to_ascii_lowercase().replace(['_', '-'], "").as_str() {
                "users" => spec.users = value.parse().map_err(bad_value)?,
                "seed" => spec.seed = value.parse().map_err(bad_value)?,
                "deactivated" => spec.deactivated = value.parse().map_err(bad_float)?,
                "connectorcreated" => spec.connector_created = value.parse().map_err(bad_float)?,
                "withoutexternalid" => {
                    spec.without_external_id = value.parse().map_err(bad_float)?
                }
                "duplicateprone" => spec.duplicate_prone = value.parse().map_err(bad_float)?,
                _ => return Err(invalid(format!("unknown key '{key}'"))),
            }
        }
        Ok(spec)
    }
}

/// The externalId of generated person `n`: `user000042` for 42.
pub fn generated_external_id(n: u32) -> String {
    format!("user{n:06}")
}

/// The email of generated person `n`: `user000042@example.test` for 42.
pub fn generated_email(n: u32) -> String {
    format!("{}@example.test", generated_external_id(n))
}

/// Builds a seed from `spec`; identical specs give identical seeds.
pub fn generate(spec: &GeneratorSpec) -> Seed {
    let mut seed = reference_lists();
    let mut rng = StdRng::seed_from_u64(spec.seed);
    seed.users.reserve(spec.users as usize);
    for n in 1..=spec.users {
        let user = generated_person(n, spec, &mut rng);
        seed.users.push(user);
    }
    seed
}

fn generated_person(n: u32, spec: &GeneratorSpec, rng: &mut StdRng) -> User {
    let created = base_date() + Duration::minutes(i64::from(n));
    let mut user = User {
        id: GENERATED_ID_OFFSET + i64::from(n),
        first_name: Some(FIRST_NAMES[n as usize % FIRST_NAMES.len()].to_owned()),
        last_name: Some(format!("Person{n:06}")),
        email: Some(generated_email(n)),
        external_id: Some(generated_external_id(n)),
        role_id: Some(MEMBER_ROLE_ID),
        region_id: Some(DEFAULT_REGION_ID),
        city_id: Some(DEFAULT_CITY_ID),
        cost_center_id: Some(DEFAULT_COST_CENTER_ID),
        division_id: Some(DEFAULT_DIVISION_ID),
        user_start_date: Some(created),
        create_date: Some(created),
        last_updated_date: Some(created),
        ..Default::default()
    };

    // One draw picks the exclusive kind, a second one the independent deactivation.
    let kind: f64 = rng.random();
    let deactivated = rng.random_bool(spec.deactivated.clamp(0.0, 1.0));
    let duplicate_cut = spec.duplicate_prone;
    let connector_cut = duplicate_cut + spec.connector_created;
    let no_external_cut = connector_cut + spec.without_external_id;
    if kind < duplicate_cut && n > 1 {
        user.external_id = Some(generated_external_id(n - 1).to_uppercase());
        user.email = Some(format!("User{:06}@Example.TEST", n - 1));
    } else if kind < connector_cut {
        user.connector_id = Some(1);
        user.division_id = None;
        user.city_id = None;
    } else if kind < no_external_cut {
        user.external_id = None;
    }
    if deactivated {
        user.is_locked = DEACTIVATED;
        user.user_end_date = Some(created + Duration::days(30));
    }
    user
}

fn base_date() -> DateTime<Utc> {
    DateTime::from_timestamp(1_672_531_200, 0).unwrap_or_default() // 2023-01-01T00:00:00Z
}

/// The fixed part of every generated seed: reference lists, roles and three service users.
fn reference_lists() -> Seed {
    let city = |id: i64, name: &str, region: i64| {
        let mut record = RefRecord::named(id, name);
        record.fields.insert("regionId".to_owned(), region.into());
        record
    };
    let service_user = |id: i64, name: &str, role: i64| User {
        id,
        first_name: Some(name.to_owned()),
        last_name: Some("Service".to_owned()),
        email: Some(format!("{}@example.test", name.to_ascii_lowercase())),
        external_id: Some(format!("svc-{}", name.to_ascii_lowercase())),
        role_id: Some(role),
        region_id: Some(DEFAULT_REGION_ID),
        city_id: Some(DEFAULT_CITY_ID),
        cost_center_id: Some(DEFAULT_COST_CENTER_ID),
        division_id: Some(DEFAULT_DIVISION_ID),
        create_date: Some(base_date()),
        user_start_date: Some(base_date()),
        ..Default::default()
    };
    let mut retired = service_user(RETIRED_USER_ID, "Retired", 9);
    retired.is_locked = DEACTIVATED;
    retired.user_end_date = Some(base_date());
    Seed {
        users: vec![
            service_user(ADMIN_USER_ID, "Sync", 9),
            service_user(READER_USER_ID, "Reader", 3),
            retired,
        ],
        regions: vec![
            RefRecord::named(1, "North America"),
            RefRecord::named(2, "EMEA"),
            RefRecord::named(3, "APAC"),
        ],
        cities: vec![
            city(11, "New York", 1),
            city(12, "Austin", 1),
            city(21, "Berlin", 2),
            city(31, "Singapore", 3),
        ],
        cost_centers: vec![
            RefRecord::named(100, "Engineering"),
            RefRecord::named(101, "Sales"),
        ],
        divisions: vec![
            RefRecord::named(200, "Enterprise"),
            RefRecord::named(201, "Platform"),
        ],
        roles: vec![
            Role {
                id: 9,
                name: "Super Admin".to_owned(),
                can_manage_users: true,
            },
            Role {
                id: 3,
                name: "Team Member".to_owned(),
                can_manage_users: false,
            },
        ],
        tokens: vec![
            ApiToken {
                user_id: ADMIN_USER_ID,
                secret: ADMIN_SECRET.to_owned(),
            },
            ApiToken {
                user_id: READER_USER_ID,
                secret: READER_SECRET.to_owned(),
            },
            ApiToken {
                user_id: RETIRED_USER_ID,
                secret: RETIRED_SECRET.to_owned(),
            },
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_is_deterministic_and_follows_the_patterns() {
        let spec = GeneratorSpec {
            users: 500,
            ..Default::default()
        };
        let seed = generate(&spec);
        assert_eq!(seed, generate(&spec));
        assert_eq!(seed.users.len(), 503);
        assert_eq!(seed.validate().ok(), Some(()));
        let person = seed
            .users
            .iter()
            .find(|u| u.id == 1042)
            .expect("person 42 exists");
        assert_eq!(person.last_name.as_deref(), Some("Person000042"));
        assert_eq!(generated_external_id(42), "user000042");
    }

    #[test]
    fn the_mix_follows_the_shares() {
        let spec = GeneratorSpec {
            users: 10_000,
            deactivated: 0.2,
            connector_created: 0.05,
            without_external_id: 0.05,
            duplicate_prone: 0.05,
            ..Default::default()
        };
        let seed = generate(&spec);
        let people = || seed.users.iter().filter(|u| u.id > GENERATED_ID_OFFSET);
        let share = |count: usize| count as f64 / 10_000.0;
        let deactivated = share(people().filter(|u| !u.is_active()).count());
        let connector = share(people().filter(|u| u.connector_id.is_some()).count());
        let no_external = share(people().filter(|u| u.external_id.is_none()).count());
        let upper = share(
            people()
                .filter(|u| {
                    u.external_id
                        .as_deref()
                        .is_some_and(|e| e.starts_with("USER"))
                })
                .count(),
        );
        assert!(
            (0.18..0.22).contains(&deactivated),
            "deactivated share {deactivated}"
        );
        assert!(
            (0.04..0.06).contains(&connector),
            "connector share {connector}"
        );
        assert!(
            (0.04..0.06).contains(&no_external),
            "no externalId share {no_external}"
        );
        assert!((0.04..0.06).contains(&upper), "duplicate share {upper}");
    }

    #[test]
    fn spec_parses_from_text() {
        let spec =
            GeneratorSpec::parse("users=100000,seed=9,duplicate_prone=0.5").expect("valid spec");
        assert_eq!(
            (spec.users, spec.seed, spec.duplicate_prone),
            (100_000, 9, 0.5)
        );
        assert!(GeneratorSpec::parse("users=lots").is_err());
        assert!(GeneratorSpec::parse("colour=red").is_err());
    }
}
