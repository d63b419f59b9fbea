//! Leader election with a `coordination.k8s.io` Lease, so that of several replicas exactly one
//! syncs. The holder renews the Lease well before it expires; a candidate takes it over only
//! once it has expired, with the Lease's resourceVersion as a guard against a race. A leader
//! that cannot renew in time gives up before any other replica may take over.

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use kube::Api;
use kube::api::PostParams;

use super::http::Health;

/// Where the Lease lives and who is asking for it.
#[derive(Clone, Debug)]
pub struct LeaseSettings {
    pub namespace: String,
    pub name: String,
    pub identity: String,
    /// How long a Lease stays valid without renewal.
    pub duration: Duration,
}

impl LeaseSettings {
    /// A holder renews this often.
    pub fn renew_period(&self) -> Duration {
        self.duration / 3
    }

    /// A holder that has not renewed for this long stops leading; a third of the Lease is
    /// left as margin before another replica may take over.
    pub fn renew_deadline(&self) -> Duration {
        self.duration * 2 / 3
    }

    /// A candidate looks at the Lease this often.
    pub fn retry_period(&self) -> Duration {
        self.duration / 5
    }
}

/// What a Lease says to one replica at one moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Observation {
    /// Nobody holds it, or the holder let it expire.
    Free,
    HeldByMe,
    HeldByOther {
        holder: String,
    },
}

/// Reads `spec` as seen by `identity` at `now`.
pub fn observe(spec: Option<&LeaseSpec>, identity: &str, now: Timestamp) -> Observation {
    let Some(spec) = spec else {
        return Observation::Free;
    };
    let holder = spec.holder_identity.as_deref().unwrap_or_default();
    if holder.is_empty() {
        return Observation::Free;
    }
    if holder == identity {
        return Observation::HeldByMe;
    }
    let seconds = i64::from(spec.lease_duration_seconds.unwrap_or(0));
    let renewed = spec
        .renew_time
        .as_ref()
        .or(spec.acquire_time.as_ref())
        .map(|t| t.0);
    let expires = renewed.and_then(|t| t.checked_add(SignedDuration::from_secs(seconds)).ok());
    match expires {
        Some(expires) if expires > now => Observation::HeldByOther {
            holder: holder.to_owned(),
        },
        _ => Observation::Free,
    }
}

/// The Lease spec after `identity` takes or renews it at `now`.
pub fn claimed(
    previous: Option<&LeaseSpec>,
    settings: &LeaseSettings,
    now: Timestamp,
) -> LeaseSpec {
    let previous = previous.cloned().unwrap_or_default();
    let renewing = previous.holder_identity.as_deref() == Some(settings.identity.as_str());
    let transitions = previous.lease_transitions.unwrap_or(0);
    LeaseSpec {
        holder_identity: Some(settings.identity.clone()),
        lease_duration_seconds: Some(
            i32::try_from(settings.duration.as_secs()).unwrap_or(i32::MAX),
        ),
        acquire_time: if renewing {
            previous.acquire_time
        } else {
            Some(MicroTime(now))
        },
        renew_time: Some(MicroTime(now)),
        lease_transitions: Some(if renewing {
            transitions
        } else {
            transitions + 1
        }),
        ..previous
    }
}

/// Takes, keeps and releases the Lease.
pub struct Elector {
    api: Api<Lease>,
    settings: LeaseSettings,
    health: Arc<Health>,
}

impl Elector {
    pub fn new(client: kube::Client, settings: LeaseSettings, health: Arc<Health>) -> Self {
        let api = Api::namespaced(client, &settings.namespace);
        Elector {
            api,
            settings,
            health,
        }
    }

    /// Returns once this replica holds the Lease.
    pub async fn acquire(&self) {
        loop {
            match self.try_claim().await {
                Ok(true) => {
                    let (lease, identity) = (&self.settings.name, &self.settings.identity);
                    tracing::info!(%lease, %identity, "acquired the lease");
                    return;
                }
                Ok(false) => {}
                Err(error) => {
                    let lease = &self.settings.name;
                    tracing::warn!(%error, %lease, "failed to read or claim the lease")
                }
            }
            tokio::time::sleep(self.settings.retry_period()).await;
        }
    }

    /// Renews the Lease until it is lost; returns when this replica must stop leading.
    pub async fn hold(&self) {
        let mut renewed = tokio::time::Instant::now();
        loop {
            tokio::time::sleep(self.settings.renew_period()).await;
            match self.try_claim().await {
                Ok(true) => renewed = tokio::time::Instant::now(),
                Ok(false) => {
                    tracing::warn!(lease = %self.settings.name, "another replica holds the lease");
                    return;
                }
                Err(error) => {
                    tracing::warn!(%error, lease = %self.settings.name, "failed to renew the lease")
                }
            }
            if renewed.elapsed() >= self.settings.renew_deadline() {
                tracing::warn!(lease = %self.settings.name, "lease not renewed in time");
                return;
            }
        }
    }

    /// Gives the Lease up so another replica can take over at once.
    pub async fn release(&self) {
        let Ok(Some(mut lease)) = self.api.get_opt(&self.settings.name).await else {
            return;
        };
        let now = Timestamp::now();
        if observe(lease.spec.as_ref(), &self.settings.identity, now) != Observation::HeldByMe {
            return;
        }
        if let Some(spec) = lease.spec.as_mut() {
            spec.holder_identity = None;
            spec.lease_duration_seconds = Some(1);
            spec.renew_time = Some(MicroTime(now));
        }
        match self
            .api
            .replace(&self.settings.name, &PostParams::default(), &lease)
            .await
        {
            Ok(_) => tracing::info!(lease = %self.settings.name, "released the lease"),
            Err(error) => {
                tracing::warn!(%error, lease = %self.settings.name, "failed to release the lease")
            }
        }
    }

    /// One attempt to take or renew the Lease; Ok(false) when another replica holds it or
    /// won a race for it.
    async fn try_claim(&self) -> Result<bool, kube::Error> {
        let now = Timestamp::now();
        let current = self.api.get_opt(&self.settings.name).await?;
        self.health.set_api_reached();
        let result = match current {
            None => {
                let lease = Lease {
                    metadata: ObjectMeta {
                        name: Some(self.settings.name.clone()),
                        namespace: Some(self.settings.namespace.clone()),
                        ..ObjectMeta::default()
                    },
                    spec: Some(claimed(None, &self.settings, now)),
                };
                self.api
                    .create(&PostParams::default(), &lease)
                    .await
                    .map(|_| true)
            }
            Some(mut lease) => match observe(lease.spec.as_ref(), &self.settings.identity, now) {
                Observation::HeldByOther { .. } => return Ok(false),
                Observation::Free | Observation::HeldByMe => {
                    lease.spec = Some(claimed(lease.spec.as_ref(), &self.settings, now));
                    self.api
                        .replace(&self.settings.name, &PostParams::default(), &lease)
                        .await
                        .map(|_| true)
                }
            },
        };
        match result {
            Err(kube::Error::Api(status)) if status.code == 409 => Ok(false),
            other => other,
        }
    }
}

#[cfg(test)]
mod tests;
