//! The site's current data: users in a `BTreeMap` by id (lists come out ordered by id),
//! reference lists, roles and tokens, with case-folded indexes of emails and externalIds so
//! uniqueness checks stay cheap on 100,000 users.

use std::collections::{BTreeMap, HashMap};

use crate::routes::Resource;
use crate::seed::{ApiToken, RefRecord, Role, Seed};
use crate::user::User;

pub(crate) struct Store {
    pub(crate) site_url: String,
    users: BTreeMap<i64, User>,
    /// User ids in ascending order, so an unfiltered page starts at its offset directly
    /// instead of walking every user before it.
    order: Vec<i64>,
    regions: BTreeMap<i64, RefRecord>,
    cities: BTreeMap<i64, RefRecord>,
    cost_centers: BTreeMap<i64, RefRecord>,
    divisions: BTreeMap<i64, RefRecord>,
    roles: BTreeMap<i64, Role>,
    /// User id to token secret; a newer token of the same user replaces the older one.
    tokens: BTreeMap<i64, String>,
    emails: HashMap<String, usize>,
    external_ids: HashMap<String, usize>,
    next_id: i64,
}

fn by_id(records: &[RefRecord]) -> BTreeMap<i64, RefRecord> {
    records.iter().map(|r| (r.id, r.clone())).collect()
}

impl Store {
    pub(crate) fn from_seed(seed: &Seed, site_url: &str) -> Self {
        let mut store = Store {
            site_url: site_url.to_owned(),
            users: BTreeMap::new(),
            order: Vec::new(),
            regions: by_id(&seed.regions),
            cities: by_id(&seed.cities),
            cost_centers: by_id(&seed.cost_centers),
            divisions: by_id(&seed.divisions),
            roles: seed.roles.iter().map(|r| (r.id, r.clone())).collect(),
            tokens: seed
                .tokens
                .iter()
                .map(|t| (t.user_id, t.secret.clone()))
                .collect(),
            emails: HashMap::new(),
            external_ids: HashMap::new(),
            next_id: 1,
        };
        for user in &seed.users {
            store.put_user(user.clone());
        }
        store
    }

    /// The state as a seed: restarting from it gives the same site.
    pub(crate) fn to_seed(&self) -> Seed {
        Seed {
            users: self.users.values().cloned().collect(),
            regions: self.regions.values().cloned().collect(),
            cities: self.cities.values().cloned().collect(),
            cost_centers: self.cost_centers.values().cloned().collect(),
            divisions: self.divisions.values().cloned().collect(),
            roles: self.roles.values().cloned().collect(),
            tokens: self
                .tokens
                .iter()
                .map(|(user_id, secret)| ApiToken {
                    user_id: *user_id,
                    secret: secret.clone(),
                })
                .collect(),
        }
    }

    pub(crate) fn users(&self) -> &BTreeMap<i64, User> {
        &self.users
    }

    /// Users in id order, starting at position `skip`.
    pub(crate) fn users_from(&self, skip: usize) -> impl Iterator<Item = &User> {
        let start = skip.min(self.order.len());
        self.order[start..]
            .iter()
            .filter_map(|id| self.users.get(id))
    }

    pub(crate) fn user(&self, id: i64) -> Option<&User> {
        self.users.get(&id)
    }

    pub(crate) fn reference(&self, resource: Resource) -> &BTreeMap<i64, RefRecord> {
        match resource {
            Resource::Regions => &self.regions,
            Resource::Cities => &self.cities,
            Resource::CostCenters => &self.cost_centers,
            Resource::Divisions => &self.divisions,
        }
    }

    pub(crate) fn role(&self, id: i64) -> Option<&Role> {
        self.roles.get(&id)
    }

    pub(crate) fn secret_of(&self, user_id: i64) -> Option<&str> {
        self.tokens.get(&user_id).map(String::as_str)
    }

    /// Gives `user_id` a new token secret; the previous one stops working.
    pub(crate) fn set_token(&mut self, user_id: i64, secret: &str) {
        self.tokens.insert(user_id, secret.to_owned());
    }

    /// The id the next created user gets.
    pub(crate) fn allocate_id(&mut self) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// Inserts or replaces a user, normalizing derived fields and keeping indexes in step.
    pub(crate) fn put_user(&mut self, mut user: User) {
        user.normalize(&self.site_url);
        if let Some(old) = self.users.remove(&user.id) {
            unindex(&mut self.emails, old.email.as_deref());
            unindex(&mut self.external_ids, old.external_id.as_deref());
        } else if self.order.last().is_none_or(|last| *last < user.id) {
            self.order.push(user.id);
        } else if let Err(at) = self.order.binary_search(&user.id) {
            self.order.insert(at, user.id);
        }
        index(&mut self.emails, user.email.as_deref());
        index(&mut self.external_ids, user.external_id.as_deref());
        self.next_id = self.next_id.max(user.id + 1);
        self.users.insert(user.id, user);
    }

    /// Whether a user other than `except` has this email, ignoring case.
    pub(crate) fn email_taken(&self, email: &str, except: Option<i64>) -> bool {
        taken(&self.emails, &self.users, email, except, |u| {
            u.email.as_deref()
        })
    }

    /// Whether a user other than `except` has this externalId, ignoring case.
    pub(crate) fn external_id_taken(&self, external_id: &str, except: Option<i64>) -> bool {
        taken(&self.external_ids, &self.users, external_id, except, |u| {
            u.external_id.as_deref()
        })
    }
}

fn fold(value: &str) -> String {
    value.to_lowercase()
}

fn index(counts: &mut HashMap<String, usize>, value: Option<&str>) {
    if let Some(value) = value {
        *counts.entry(fold(value)).or_default() += 1;
    }
}

fn unindex(counts: &mut HashMap<String, usize>, value: Option<&str>) {
    let Some(key) = value.map(fold) else { return };
    if let Some(count) = counts.get_mut(&key) {
        *count -= 1;
        if *count == 0 {
            counts.remove(&key);
        }
    }
}

fn taken(
    counts: &HashMap<String, usize>,
    users: &BTreeMap<i64, User>,
    value: &str,
    except: Option<i64>,
    field: fn(&User) -> Option<&str>,
) -> bool {
    let key = fold(value);
    let count = counts.get(&key).copied().unwrap_or(0);
    let own = except
        .and_then(|id| users.get(&id))
        .and_then(field)
        .is_some_and(|mine| fold(mine) == key);
    count > usize::from(own)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(id: i64, email: &str) -> User {
        User {
            id,
            email: Some(email.to_owned()),
            ..Default::default()
        }
    }

    #[test]
    fn email_index_ignores_case_and_follows_changes() {
        let seed = Seed {
            users: vec![person(5, "Ada@Example.test")],
            ..Default::default()
        };
        let mut store = Store::from_seed(&seed, "http://sim");
        assert!(store.email_taken("ada@example.TEST", None));
        assert!(!store.email_taken("ada@example.test", Some(5)));

        store.put_user(person(5, "grace@example.test"));
        assert!(!store.email_taken("ada@example.test", None));
        assert!(store.email_taken("Grace@example.test", None));
        assert_eq!(store.allocate_id(), 6);
    }

    #[test]
    fn users_from_skips_by_position_in_id_order() {
        let users = [9, 2, 5].map(|id| person(id, &format!("u{id}@example.test")));
        let mut store = Store::from_seed(
            &Seed {
                users: users.to_vec(),
                ..Default::default()
            },
            "",
        );
        store.put_user(person(7, "u7@example.test"));
        let ids: Vec<i64> = store.users_from(1).map(|u| u.id).collect();
        assert_eq!(ids, vec![5, 7, 9]);
        assert_eq!(store.users_from(10).count(), 0);
    }
}
