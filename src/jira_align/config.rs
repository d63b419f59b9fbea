//! How to reach one Jira Align site, the checks made before any request is sent, and the
//! normalised site URL that keys the shared request budget.

use std::fmt;
use std::time::Duration;

use reqwest::Url;

use super::budget::BudgetLimits;
use super::error::JiraAlignError;
use super::retry::RetryPolicy;

/// How to reach one Jira Align site.
#[derive(Clone)]
pub struct ClientConfig {
    /// Site base URL, without `/rest/align/api/2`. Example: `https://acme.jiraalign.com`.
    pub base_url: String,
    /// API 2.0 token, `user:<id>|<secret>`. Never logged or shown.
    pub token: String,
    /// Shared by every client of the same site (see `BudgetRegistry`).
    pub requests_per_minute: u32,
    /// Shared by every client of the same site (see `BudgetRegistry`).
    pub max_concurrency: u32,
    /// Who asks for the site's budget (a resource's `namespace/name`); the site follows the
    /// strictest limits of its owners.
    pub budget_owner: String,
    /// Timeout of one attempt, answer body included.
    pub timeout: Duration,
    /// Most attempts of one request (the first included).
    pub max_attempts: u32,
    /// Which user fields list requests ask for.
    pub listing: Listing,
    /// How one user's changes are grouped into requests.
    pub patches: Patches,
}

/// Which user fields list requests (the listing and the look-ups) ask for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Listing {
    /// Only the fields a sync reads, with `$select`.
    #[default]
    Selected,
    /// Whole user objects, without `$select`, as simple scripts ask for them. Slower; kept
    /// as the reference the benchmark measures against.
    FullObjects,
}

/// How one user's changes travel.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Patches {
    /// One JSON Patch with every change of the user.
    #[default]
    Combined,
    /// One JSON Patch per kind of change (missing fields, attributes, status), in the order
    /// given. More requests; kept as the reference the benchmark measures against.
    PerAction,
}

impl ClientConfig {
    /// A configuration with the defaults of the custom resource: 600 requests per minute,
    /// 10 in flight, 30 s timeout, 5 attempts, selected fields, combined patches.
    pub fn new(base_url: impl Into<String>, token: impl Into<String>) -> Self {
        ClientConfig {
            base_url: base_url.into(),
            token: token.into(),
            requests_per_minute: 600,
            max_concurrency: 10,
            budget_owner: String::new(),
            timeout: Duration::from_secs(30),
            max_attempts: RetryPolicy::default().max_attempts,
            listing: Listing::default(),
            patches: Patches::default(),
        }
    }

    /// The default retry policy with this configuration's attempt count.
    pub fn retry_policy(&self) -> RetryPolicy {
        RetryPolicy {
            max_attempts: self.max_attempts,
            ..RetryPolicy::default()
        }
    }

    pub fn budget_limits(&self) -> BudgetLimits {
        BudgetLimits {
            requests_per_minute: self.requests_per_minute,
            max_concurrency: self.max_concurrency,
        }
    }

    /// Checks everything that can be checked without the network; returns the API root
    /// (`<site>/rest/align/api/2/`).
    pub(crate) fn validate(&self) -> Result<Url, JiraAlignError> {
        let invalid = |field, detail: &str| JiraAlignError::InvalidConfig {
            field,
            detail: detail.to_owned(),
        };
        if self.token.trim().is_empty() {
            return Err(invalid("token", "is empty"));
        }
        if self
            .token
            .bytes()
            .any(|b| b.is_ascii_control() || b == b' ')
        {
            return Err(invalid("token", "contains spaces or control characters"));
        }
        if self.requests_per_minute == 0 {
            return Err(invalid("requests_per_minute", "must be at least 1"));
        }
        if self.max_concurrency == 0 {
            return Err(invalid("max_concurrency", "must be at least 1"));
        }
        if self.max_attempts == 0 {
            return Err(invalid("max_attempts", "must be at least 1"));
        }
        if self.timeout.is_zero() {
            return Err(invalid("timeout", "must be positive"));
        }
        let site = site_url(&self.base_url)?;
        site.join("rest/align/api/2/")
            .map_err(|e| invalid("base_url", &format!("cannot hold the API path ({e})")))
    }
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("base_url", &self.base_url)
            .field("token", &"<redacted>")
            .field("requests_per_minute", &self.requests_per_minute)
            .field("max_concurrency", &self.max_concurrency)
            .field("budget_owner", &self.budget_owner)
            .field("timeout", &self.timeout)
            .field("max_attempts", &self.max_attempts)
            .field("listing", &self.listing)
            .field("patches", &self.patches)
            .finish()
    }
}

/// The site URL in one spelling: lower-case scheme and host, no default port, a path that
/// ends in exactly one `/`. Two URLs naming the same site give the same key.
pub fn site_key(base_url: &str) -> Result<String, JiraAlignError> {
    Ok(site_url(base_url)?.to_string())
}

fn site_url(base_url: &str) -> Result<Url, JiraAlignError> {
    let invalid = |detail: String| JiraAlignError::InvalidConfig {
        field: "base_url",
        detail,
    };
    let mut url =
        Url::parse(base_url.trim()).map_err(|e| invalid(format!("is not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid(format!(
            "has scheme {}, not http or https",
            url.scheme()
        )));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("has no host".to_owned()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("must not carry credentials".to_owned()));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("must not have a query or fragment".to_owned()));
    }
    let path = format!("{}/", url.path().trim_end_matches('/'));
    url.set_path(&path);
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_one_site_share_a_key() {
        let expected = "https://acme.jiraalign.com/";
        for spelling in [
            "https://acme.jiraalign.com",
            "HTTPS://Acme.JiraAlign.com/",
            "https://acme.jiraalign.com:443//",
        ] {
            assert_eq!(
                site_key(spelling).ok().as_deref(),
                Some(expected),
                "{spelling}"
            );
        }
        assert_eq!(
            site_key("http://127.0.0.1:8080/align/").ok().as_deref(),
            Some("http://127.0.0.1:8080/align/")
        );
    }

    #[test]
    fn the_api_root_sits_under_the_site_path() {
        let config = ClientConfig::new("http://127.0.0.1:9/align", "user:1|x");
        let root = config.validate().map(|u| u.to_string()).ok();
        assert_eq!(
            root.as_deref(),
            Some("http://127.0.0.1:9/align/rest/align/api/2/")
        );
    }

    #[test]
    fn unusable_settings_are_refused_with_their_field() {
        let field = |config: ClientConfig| match config.validate() {
            Err(JiraAlignError::InvalidConfig { field, .. }) => field,
            other => panic!("expected InvalidConfig, got {other:?}"),
        };
        let good = ClientConfig::new("https://a.io", "user:1|x");
        assert_eq!(
            field(ClientConfig {
                token: " ".into(),
                ..good.clone()
            }),
            "token"
        );
        assert_eq!(
            field(ClientConfig {
                token: "a\nb".into(),
                ..good.clone()
            }),
            "token"
        );
        assert_eq!(
            field(ClientConfig {
                max_attempts: 0,
                ..good.clone()
            }),
            "max_attempts"
        );
        assert_eq!(
            field(ClientConfig {
                max_concurrency: 0,
                ..good.clone()
            }),
            "max_concurrency"
        );
        assert_eq!(
            field(ClientConfig {
                requests_per_minute: 0,
                ..good.clone()
            }),
            "requests_per_minute"
        );
        assert_eq!(
            field(ClientConfig {
                base_url: "ftp://a.io".into(),
                ..good.clone()
            }),
            "base_url"
        );
        assert_eq!(
            field(ClientConfig {
                base_url: "https://u:p@a.io".into(),
                ..good.clone()
            }),
            "base_url"
        );
        assert_eq!(
            field(ClientConfig {
                base_url: "https://a.io/?x=1".into(),
                ..good
            }),
            "base_url"
        );
    }
}
