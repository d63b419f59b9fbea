//! Which resource may deactivate users on a Jira Align site. Two resources that both
//! deactivate on one site would each deactivate the other's members; the one created first
//! keeps deactivating and every later one runs with deactivation off until the clash ends.

use chrono::{DateTime, Utc};

use super::schedule::ResourceKey;
use crate::crd::JiraAlignUserSync;

/// What one resource claims of a site.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SiteClaim {
    pub resource: ResourceKey,
    /// The normalised site URL.
    pub site: String,
    pub created: Option<DateTime<Utc>>,
    /// True when the resource would deactivate users: policy on, not a dry run, not
    /// suspended.
    pub deactivates: bool,
}

/// The resource that holds the site's deactivations instead of the one asking.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conflict {
    pub holder: ResourceKey,
    pub site: String,
}

impl Conflict {
    pub fn message(&self) -> String {
        format!(
            "deactivation is off: {} also deactivates users of {} and was created first; \
             turn off spec.policy.deactivate on one of them",
            self.holder, self.site
        )
    }
}

/// The claim a resource makes, given the normalised form of its site URL.
pub fn claim_of(resource: &JiraAlignUserSync, site: String) -> Option<SiteClaim> {
    let policy = &resource.spec.policy;
    Some(SiteClaim {
        resource: ResourceKey::of(resource)?,
        site,
        created: resource
            .metadata
            .creation_timestamp
            .as_ref()
            .and_then(|time| DateTime::from_timestamp(time.0.as_second(), 0)),
        deactivates: policy.deactivate && !policy.dry_run && !resource.spec.suspend,
    })
}

/// The conflict `mine` is in, if another claim on its site deactivates and came first
/// (by creation time, then namespace and name).
pub fn find(mine: &SiteClaim, claims: &[SiteClaim]) -> Option<Conflict> {
    if !mine.deactivates {
        return None;
    }
    let first = claims
        .iter()
        .chain(std::iter::once(mine))
        .filter(|claim| claim.deactivates && claim.site == mine.site)
        .min_by(|a, b| order(a).cmp(&order(b)))?;
    (first.resource != mine.resource).then(|| Conflict {
        holder: first.resource.clone(),
        site: mine.site.clone(),
    })
}

/// Creation time first; a claim without one sorts last.
fn order(claim: &SiteClaim) -> (bool, Option<DateTime<Utc>>, &ResourceKey) {
    (claim.created.is_none(), claim.created, &claim.resource)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn claim(
        namespace: &str,
        name: &str,
        site: &str,
        created: i64,
        deactivates: bool,
    ) -> SiteClaim {
        SiteClaim {
            resource: ResourceKey {
                namespace: namespace.into(),
                name: name.into(),
            },
            site: site.into(),
            created: Utc.timestamp_opt(1_800_000_000 + created, 0).single(),
            deactivates,
        }
    }

    const SITE: &str = "https://acme.jiraalign.com/";

    #[test]
    fn the_later_of_two_deactivating_resources_conflicts_with_the_first() {
        let first = claim("team-a", "eng", SITE, 0, true);
        let later = claim("team-b", "sales", SITE, 60, true);
        let all = vec![first.clone(), later.clone()];
        assert_eq!(find(&first, &all), None);
        let conflict = find(&later, &all).expect("the later one conflicts");
        assert_eq!(conflict.holder, first.resource);
        assert_eq!(
            conflict.message(),
            "deactivation is off: team-a/eng also deactivates users of \
             https://acme.jiraalign.com/ and was created first; turn off \
             spec.policy.deactivate on one of them"
        );
    }

    #[test]
    fn equal_creation_times_fall_back_to_namespace_and_name() {
        let a = claim("team-a", "zeta", SITE, 0, true);
        let b = claim("team-b", "alpha", SITE, 0, true);
        let all = vec![b.clone(), a.clone()];
        assert_eq!(find(&a, &all), None);
        assert_eq!(find(&b, &all).map(|c| c.holder), Some(a.resource));
    }

    #[test]
    fn other_sites_and_non_deactivating_resources_never_conflict() {
        let mine = claim("team-a", "eng", SITE, 60, true);
        let elsewhere = claim("team-b", "eng", "https://other.jiraalign.com/", 0, true);
        let dry = claim("team-c", "eng", SITE, 0, false);
        let all = vec![mine.clone(), elsewhere, dry];
        assert_eq!(find(&mine, &all), None);
    }

    #[test]
    fn a_resource_that_does_not_deactivate_is_never_in_conflict() {
        let first = claim("team-a", "eng", SITE, 0, true);
        let creator_only = claim("team-b", "eng", SITE, 60, false);
        assert_eq!(find(&creator_only, &[first, creator_only.clone()]), None);
    }
}
