//! Reading the entitled members of directory groups over LDAP (Active Directory or generic).
//! A read returns every entitled member or fails as a whole: a partial read must never reach
//! the planner, because missing members would look like leavers.

mod account;
mod ad;
mod config;
mod connect;
mod dn;
mod entry;
mod error;
mod filter;
mod generic;
mod range;
mod session;
mod tls;
mod users;
mod walker;

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::crd::DirectoryMode;
use crate::snapshot::DirectorySnapshot;

pub use dn::{is_within, normalize_dn};
pub use error::DirectoryError;
pub use filter::{escape_filter_bytes, escape_filter_value};

use session::{BaseRead, Session};

/// Everything needed to read the directory, with secrets resolved. Build it with
/// [`DirectoryConfig::from_spec`], which fills in the mode's attribute defaults.
#[derive(Clone)]
pub struct DirectoryConfig {
    /// `ldaps://host[:port]`, or `ldap://host[:port]` upgraded with StartTLS.
    pub url: String,
    pub mode: DirectoryMode,
    pub bind_dn: String,
    pub bind_password: String,
    /// Users are only taken from below this DN.
    pub base_dn: String,
    /// The groups whose members (nested at any depth) are entitled; their union.
    pub groups: Vec<String>,
    /// An extra filter the users must match, e.g. `(department=Engineering)`.
    pub user_filter: Option<String>,
    pub attributes: ResolvedAttributes,
    /// PEM bundle of CAs to trust instead of the system roots.
    pub ca_pem: Option<Vec<u8>>,
    pub dangerously_skip_verify: bool,
    /// With an `ldap://` URL: no StartTLS, the password travels in clear text.
    pub dangerously_allow_plaintext: bool,
    /// Accept a group that yields no entitled member.
    pub allow_empty_groups: bool,
    /// Most levels of nesting walked in `Ldap` mode; deeper nesting fails the read.
    pub max_nesting_depth: u32,
    /// Connect timeout, and idle timeout of each operation (also sent as the server time limit).
    pub timeout: Duration,
    /// Group DNs named by override rules; membership is reported per user.
    pub override_groups: Vec<String>,
    /// Attribute names named by override rules; values are reported per user.
    pub override_attributes: Vec<String>,
}

/// Attribute names with the mode's defaults filled in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedAttributes {
    pub key: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub title: String,
}

impl std::fmt::Debug for DirectoryConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirectoryConfig")
            .field("url", &self.url)
            .field("mode", &self.mode)
            .field("bind_dn", &self.bind_dn)
            .field("bind_password", &"<redacted>")
            .field("groups", &self.groups)
            .finish_non_exhaustive()
    }
}

/// What a successful read cost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadStats {
    /// LDAP requests sent: StartTLS, bind, every search page and every base read.
    pub round_trips: u64,
    pub elapsed: Duration,
}

/// Reads every entitled member of the configured groups, judging account expiry at the
/// current time.
pub async fn read_members(config: &DirectoryConfig) -> Result<DirectorySnapshot, DirectoryError> {
    read_members_at(config, Utc::now()).await
}

/// Reads every entitled member, judging account expiry at `now`.
pub async fn read_members_at(
    config: &DirectoryConfig,
    now: DateTime<Utc>,
) -> Result<DirectorySnapshot, DirectoryError> {
    read_members_measured(config, now)
        .await
        .map(|(snapshot, _)| snapshot)
}

/// Like [`read_members_at`], and says how many requests the read took.
///
/// Connects, binds and resolves every configured and override group before reading any
/// member (the preflight); any failure on the way voids the whole read.
pub async fn read_members_measured(
    config: &DirectoryConfig,
    now: DateTime<Utc>,
) -> Result<(DirectorySnapshot, ReadStats), DirectoryError> {
    let started = Instant::now();
    config.validate()?;
    let session = connect::open(config).await?;
    let outcome = read_with(&session, config, now).await;
    let round_trips = session.round_trips();
    session.close().await;

    let snapshot = outcome?;
    let stats = ReadStats {
        round_trips,
        elapsed: started.elapsed(),
    };
    tracing::debug!(
        instance = %config.url,
        members = snapshot.users.len(),
        excluded = snapshot.excluded.len(),
        round_trips,
        elapsed_ms = u64::try_from(stats.elapsed.as_millis()).unwrap_or(u64::MAX),
        "read directory members"
    );
    Ok((snapshot, stats))
}

/// Connects, binds, and checks that the base DN and every group exist, without reading
/// members. Suitable for a readiness check or for validating a new resource.
pub async fn preflight(config: &DirectoryConfig) -> Result<(), DirectoryError> {
    config.validate()?;
    let session = connect::open(config).await?;
    let outcome = check_base(&session, config).await;
    let outcome = match (outcome, config.mode) {
        (Err(err), _) => Err(err),
        (Ok(()), DirectoryMode::ActiveDirectory) => {
            ad::resolve_groups(&session, config).await.map(|_| ())
        }
        (Ok(()), DirectoryMode::Ldap) => generic::resolve_groups(&session, config).await,
    };
    session.close().await;
    outcome
}

async fn read_with(
    session: &Session,
    config: &DirectoryConfig,
    now: DateTime<Utc>,
) -> Result<DirectorySnapshot, DirectoryError> {
    check_base(session, config).await?;
    let roster = match config.mode {
        DirectoryMode::ActiveDirectory => {
            let (groups, overrides) = ad::resolve_groups(session, config).await?;
            ad::read(session, config, &groups, &overrides, now).await?
        }
        DirectoryMode::Ldap => {
            generic::resolve_groups(session, config).await?;
            generic::read(session, config, now).await?
        }
    };
    Ok(roster.into_snapshot())
}

async fn check_base(session: &Session, config: &DirectoryConfig) -> Result<(), DirectoryError> {
    let reading = format!("base dn {}", config.base_dn);
    let only_dn = ["1.1".to_string()];
    match session
        .read_entry(&config.base_dn, "(objectClass=*)", &only_dn, &reading)
        .await?
    {
        BaseRead::Found(_) | BaseRead::NotMatched => Ok(()),
        BaseRead::NoSuchObject => Err(DirectoryError::invalid_config(
            "baseDn",
            format!("{} does not exist on {}", config.base_dn, session.url()),
        )),
    }
}
