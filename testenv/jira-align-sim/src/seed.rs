//! The initial state of a simulated site: users, the reference lists their defaults point
//! at, system roles and API tokens. Read from a JSON file or built by the generator.

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::SimError;
use crate::user::User;

/// Everything a simulated site starts with. Every list may be left out of a seed file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Seed {
    #[serde(default)]
    pub users: Vec<User>,
    #[serde(default)]
    pub regions: Vec<RefRecord>,
    #[serde(default)]
    pub cities: Vec<RefRecord>,
    #[serde(default)]
    pub cost_centers: Vec<RefRecord>,
    #[serde(default)]
    pub divisions: Vec<RefRecord>,
    #[serde(default)]
    pub roles: Vec<Role>,
    #[serde(default)]
    pub tokens: Vec<ApiToken>,
}

/// One entry of a reference list (`/Regions`, `/Cities`, `/CostCenters`, `/Divisions`):
/// an `id` plus whatever fields the seed gives it, served as written.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RefRecord {
    pub id: i64,
    #[serde(flatten)]
    pub fields: Map<String, Value>,
}

impl RefRecord {
    /// A record with an id and a `name`.
    pub fn named(id: i64, name: &str) -> Self {
        let mut fields = Map::new();
        fields.insert("name".to_owned(), Value::from(name));
        RefRecord { id, fields }
    }
}

/// A system role. Only roles with `canManageUsers` may create or change users.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Role {
    pub id: i64,
    pub name: String,
    #[serde(default)]
    pub can_manage_users: bool,
}

/// An API 2.0 token: its header value is `user:<userId>|<secret>`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApiToken {
    pub user_id: i64,
    pub secret: String,
}

impl ApiToken {
    /// The token as a client sends it after `bearer `.
    pub fn token(&self) -> String {
        format!("user:{}|{}", self.user_id, self.secret)
    }
}

impl Seed {
    /// Reads and checks a seed written as JSON (see the crate README for the format).
    pub fn from_json_file(path: &Path) -> Result<Self, SimError> {
        let text = std::fs::read_to_string(path).map_err(|source| SimError::ReadFile {
            path: path.to_path_buf(),
            source,
        })?;
        let seed: Seed = serde_json::from_str(&text).map_err(|source| SimError::ParseJson {
            path: path.to_path_buf(),
            source,
        })?;
        seed.validate()?;
        Ok(seed)
    }

    /// The token of `user_id`, as a client would send it, if the seed has one.
    pub fn token_for(&self, user_id: i64) -> Option<String> {
        self.tokens
            .iter()
            .find(|t| t.user_id == user_id)
            .map(ApiToken::token)
    }

    /// Refuses repeated ids and tokens of unknown users. Repeated emails are allowed: real
    /// sites hold such legacy duplicates, and clients must cope with them.
    pub fn validate(&self) -> Result<(), SimError> {
        unique_ids("users", self.users.iter().map(|u| u.id))?;
        unique_ids("regions", self.regions.iter().map(|r| r.id))?;
        unique_ids("cities", self.cities.iter().map(|r| r.id))?;
        unique_ids("costCenters", self.cost_centers.iter().map(|r| r.id))?;
        unique_ids("divisions", self.divisions.iter().map(|r| r.id))?;
        unique_ids("roles", self.roles.iter().map(|r| r.id))?;

        let user_ids: BTreeSet<i64> = self.users.iter().map(|u| u.id).collect();
        if let Some(token) = self.tokens.iter().find(|t| !user_ids.contains(&t.user_id)) {
            let reason = format!("token of user {} who is not in the seed", token.user_id);
            return Err(SimError::InvalidSeed { reason });
        }
        Ok(())
    }
}

fn unique_ids(list: &str, ids: impl Iterator<Item = i64>) -> Result<(), SimError> {
    let mut seen = BTreeSet::new();
    for id in ids {
        if !seen.insert(id) {
            return Err(SimError::InvalidSeed {
                reason: format!("{list} repeat id {id}"),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minimal_seed_parses_with_defaults() {
        let text = r#"{
            "users": [{"id": 1, "firstName": "Sync", "lastName": "Bot", "roleId": 9}],
            "regions": [{"id": 1, "name": "EMEA", "code": "EU"}],
            "roles": [{"id": 9, "name": "Super Admin", "canManageUsers": true}],
            "tokens": [{"userId": 1, "secret": "s3cret"}]
        }"#;
        let seed: Seed = serde_json::from_str(text).expect("literal is a valid seed");
        assert_eq!(seed.validate().ok(), Some(()));
        assert_eq!(seed.token_for(1).as_deref(), Some("user:1|s3cret"));
        assert_eq!(seed.regions[0].fields.get("code"), Some(&Value::from("EU")));
        assert!(seed.users[0].is_active());
    }

    #[test]
    fn tokens_of_unknown_users_are_refused() {
        let seed = Seed {
            tokens: vec![ApiToken {
                user_id: 4,
                secret: "x".into(),
            }],
            ..Default::default()
        };
        let error = seed.validate().expect_err("user 4 is missing");
        assert_eq!(
            error.to_string(),
            "invalid seed: token of user 4 who is not in the seed"
        );
    }
}
