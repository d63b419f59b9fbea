//! What must hold after any fault: the site matches the company's intent exactly, nobody
//! exists twice, and no one entitled (nor the token's user, nor an unmanaged user) was ever
//! sent a deactivation. Each check reads the simulator's state or request log.

use std::collections::{BTreeMap, BTreeSet};

use jira_align_sim::{LoggedRequest, RouteKind, RunningSimulator, User};

use super::company::{Company, SERVICE_USER_ID, UNMANAGED_USER_ID};

/// Keys (externalId or email, ignoring case) held by more than one user.
pub fn duplicate_keys(users: &[User]) -> Vec<String> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for user in users {
        let keys = [
            user.external_id
                .as_deref()
                .map(|k| format!("externalId {}", k.to_lowercase())),
            user.email
                .as_deref()
                .map(|e| format!("email {}", e.to_lowercase())),
        ];
        for key in keys.into_iter().flatten() {
            *seen.entry(key).or_default() += 1;
        }
    }
    seen.into_iter()
        .filter(|(_, count)| *count > 1)
        .map(|(key, _)| key)
        .collect()
}

/// Whether a logged request is a PATCH setting `/isLocked` to -1.
pub fn is_deactivation(request: &LoggedRequest) -> bool {
    if request.route != RouteKind::PatchUser {
        return false;
    }
    let Some(ops) = request.body.as_ref().and_then(|b| b.as_array()) else {
        return false;
    };
    ops.iter().any(|op| {
        op["path"]
            .as_str()
            .is_some_and(|p| p.eq_ignore_ascii_case("/isLocked"))
            && op["value"].as_i64().is_some_and(|v| v != 0)
    })
}

/// The user id a logged request addresses (`.../Users/{id}`).
pub fn target_id(request: &LoggedRequest) -> Option<i64> {
    request.path.rsplit('/').next()?.parse().ok()
}

/// Deactivations ever sent (answered or not) to users who must stay active: the entitled,
/// the token's user and the unmanaged user. Keys are read from the final state, so users
/// created during the runs are covered too.
pub fn wrong_deactivations(site: &RunningSimulator, entitled: &BTreeSet<String>) -> Vec<String> {
    let users = site.admin().users();
    let key_of: BTreeMap<i64, String> = users
        .iter()
        .filter_map(|u| Some((u.id, u.external_id.as_deref()?.to_lowercase())))
        .collect();
    site.admin()
        .request_log()
        .iter()
        .filter(|r| is_deactivation(r))
        .filter_map(target_id)
        .filter(|id| {
            let protected = *id == SERVICE_USER_ID || *id == UNMANAGED_USER_ID;
            protected || key_of.get(id).is_some_and(|key| entitled.contains(key))
        })
        .map(|id| {
            format!(
                "user {id} ({})",
                key_of.get(&id).map_or("-", String::as_str)
            )
        })
        .collect()
}

/// Writes the site received: creates, patches and puts, answered or not.
pub fn writes(site: &RunningSimulator) -> Vec<LoggedRequest> {
    site.admin()
        .request_log()
        .into_iter()
        .filter(|r| {
            matches!(
                r.route,
                RouteKind::CreateUser | RouteKind::PatchUser | RouteKind::PutUser
            )
        })
        .collect()
}

/// Asserts the site holds exactly what the company intends: every member once, active and
/// with the directory's values; every leaver deactivated; the service and unmanaged users
/// active and untouched; nobody else.
pub fn assert_in_step(site: &RunningSimulator, company: &Company) {
    let users = site.admin().users();
    let by_key = |key: &str| -> Vec<&User> {
        users
            .iter()
            .filter(|u| {
                u.external_id
                    .as_deref()
                    .is_some_and(|k| k.eq_ignore_ascii_case(key))
            })
            .collect()
    };
    for person in &company.people {
        let found = by_key(&person.uid);
        assert_eq!(found.len(), 1, "{} exists once", person.uid);
        let user = found[0];
        assert_eq!(user.is_locked, 0, "{} is active", person.uid);
        assert_eq!(user.email.as_deref(), Some(person.mail.as_str()));
        assert_eq!(user.first_name.as_deref(), Some(person.given_name.as_str()));
        assert_eq!(user.last_name.as_deref(), Some(person.surname.as_str()));
        assert_eq!(
            user.title.as_deref(),
            Some(person.title.as_str()),
            "{}",
            person.uid
        );
    }
    for leaver in &company.leavers {
        let found = by_key(leaver);
        assert_eq!(found.len(), 1, "{leaver} exists once");
        assert_eq!(found[0].is_locked, -1, "{leaver} is deactivated");
    }
    for id in [SERVICE_USER_ID, UNMANAGED_USER_ID] {
        let user = users
            .iter()
            .find(|u| u.id == id)
            .expect("service users stay");
        assert_eq!(user.is_locked, 0, "user {id} stays active");
    }
    let expected = 2 + company.people.len() + company.leavers.len();
    assert_eq!(users.len(), expected, "no user beyond the intended ones");
}

/// The faults the simulator injected, by kind (`status 503`, `drop`, `delay 1500ms`...).
pub fn injected_faults(site: &RunningSimulator) -> BTreeMap<String, u64> {
    let mut tally = BTreeMap::new();
    for request in site.admin().request_log() {
        if let Some(fault) = request.fault {
            *tally.entry(fault).or_default() += 1;
        }
    }
    tally
}

/// One line for the suite's log: the fault, what was injected and the three counts the
/// issue asks for.
pub fn summary(name: &str, site: &RunningSimulator, company: &Company, runs: u32) -> Outcome {
    let outcome = Outcome {
        wrong_deactivations: wrong_deactivations(site, &company.entitled()).len(),
        duplicates: duplicate_keys(&site.admin().users()).len(),
    };
    eprintln!(
        "OUTCOME {name}: runs={runs} injected={:?} wrong_deactivations={} duplicates={}",
        injected_faults(site),
        outcome.wrong_deactivations,
        outcome.duplicates
    );
    outcome
}

/// The counts that must be zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub wrong_deactivations: usize,
    pub duplicates: usize,
}

impl Outcome {
    pub const CLEAN: Outcome = Outcome {
        wrong_deactivations: 0,
        duplicates: 0,
    };
}

/// Watches the site's state while runs go on, so that a deactivation is seen even when its
/// request never reaches the request log (the simulator logs a request only when its answer
/// goes out, and a client that gave up may cancel a held-back answer).
pub struct StateWatch {
    task: tokio::task::JoinHandle<BTreeSet<String>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl StateWatch {
    /// Polls every 2 ms for an entitled user seen active and later deactivated, or a
    /// service or unmanaged user deactivated.
    pub fn start(site: &RunningSimulator, entitled: &BTreeSet<String>) -> StateWatch {
        use std::sync::atomic::{AtomicBool, Ordering};
        let admin = site.admin();
        let entitled = entitled.clone();
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let task = tokio::spawn(async move {
            let mut seen_active: BTreeSet<i64> = BTreeSet::new();
            let mut wrong = BTreeSet::new();
            loop {
                let last = stopped.load(Ordering::Relaxed);
                for user in admin.users() {
                    let key = user.external_id.as_deref().map(str::to_lowercase);
                    let watched = key.as_ref().is_some_and(|k| entitled.contains(k))
                        || user.id == SERVICE_USER_ID
                        || user.id == UNMANAGED_USER_ID;
                    if !watched {
                        continue;
                    }
                    let protected = user.id == SERVICE_USER_ID || user.id == UNMANAGED_USER_ID;
                    if user.is_locked == 0 {
                        seen_active.insert(user.id);
                    } else if protected || seen_active.contains(&user.id) {
                        wrong.insert(format!("user {} ({})", user.id, key.unwrap_or_default()));
                    }
                }
                if last {
                    return wrong;
                }
                tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            }
        });
        StateWatch { task, stop }
    }

    /// Stops watching; the users wrongly seen deactivated.
    pub async fn finish(self) -> BTreeSet<String> {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.task.await.expect("the watch task does not panic")
    }
}
