//! Building a [`DirectoryConfig`] from the resource spec, with the mode's attribute defaults,
//! and checking it before the directory is contacted.

use std::time::Duration;

use super::connect::Transport;
use super::error::DirectoryError;
use super::filter::check_user_filter;
use super::{DirectoryConfig, ResolvedAttributes};
use crate::crd::{DirectoryMode, DirectorySpec, OverrideRule};

impl ResolvedAttributes {
    /// The attribute names a mode uses when the spec names none: the key is `sAMAccountName`
    /// in Active Directory and `uid` elsewhere; both use `mail`, `givenName`, `sn`, `title`.
    pub fn defaults(mode: DirectoryMode) -> ResolvedAttributes {
        let key = match mode {
            DirectoryMode::ActiveDirectory => "sAMAccountName",
            DirectoryMode::Ldap => "uid",
        };
        ResolvedAttributes {
            key: key.to_string(),
            email: "mail".to_string(),
            first_name: "givenName".to_string(),
            last_name: "sn".to_string(),
            title: "title".to_string(),
        }
    }
}

impl DirectoryConfig {
    /// Resolves a spec into a read configuration. Secrets are passed in already fetched:
    /// `bind_password` from the Secret, `ca_pem` from the Secret or ConfigMap of `tls.ca`.
    pub fn from_spec(
        spec: &DirectorySpec,
        overrides: &[OverrideRule],
        bind_password: String,
        ca_pem: Option<Vec<u8>>,
    ) -> DirectoryConfig {
        let defaults = ResolvedAttributes::defaults(spec.mode);
        let names = &spec.attributes;
        let pick = |value: &Option<String>, default: String| value.clone().unwrap_or(default);
        let attributes = ResolvedAttributes {
            key: pick(&names.key, defaults.key),
            email: pick(&names.email, defaults.email),
            first_name: pick(&names.first_name, defaults.first_name),
            last_name: pick(&names.last_name, defaults.last_name),
            title: pick(&names.title, defaults.title),
        };
        let tls = spec.tls.clone().unwrap_or_default();

        let groups = overrides.iter().filter_map(|rule| rule.member_of.as_ref());
        let attrs = overrides.iter().filter_map(|rule| rule.attribute.as_ref());
        let override_groups = unique_ignoring_case(groups);
        let override_attributes = unique_ignoring_case(attrs);

        DirectoryConfig {
            url: spec.url.trim_end_matches('/').to_string(),
            mode: spec.mode,
            bind_dn: spec.bind_dn.clone(),
            bind_password,
            base_dn: spec.base_dn.clone(),
            groups: spec.groups.clone(),
            user_filter: spec
                .user_filter
                .clone()
                .filter(|filter| !filter.trim().is_empty()),
            attributes,
            ca_pem,
            dangerously_skip_verify: tls.dangerously_skip_verify.unwrap_or(false),
            dangerously_allow_plaintext: tls.dangerously_allow_plaintext.unwrap_or(false),
            allow_empty_groups: spec.allow_empty_groups,
            max_nesting_depth: spec.max_nesting_depth,
            timeout: Duration::from_secs(u64::from(spec.timeout_seconds.max(1))),
            override_groups,
            override_attributes,
        }
    }

    /// The field that names `group`: the entitled groups, else an override rule.
    pub(crate) fn field_naming(&self, group: &str) -> &'static str {
        if self
            .groups
            .iter()
            .any(|known| known.eq_ignore_ascii_case(group))
        {
            "spec.directory.groups"
        } else {
            "spec.overrides[].memberOf"
        }
    }

    /// Checks what can be checked without a server: the URL scheme, a non-empty password
    /// (an empty one makes an anonymous bind that many servers accept), the user filter, the
    /// TLS options not contradicting each other, and a CA bundle holding a certificate.
    pub fn validate(&self) -> Result<(), DirectoryError> {
        if Transport::of(self).is_none() {
            return Err(DirectoryError::invalid_config(
                "url",
                format!("{} is not an ldap:// or ldaps:// url", self.url),
            ));
        }
        if self.bind_password.is_empty() {
            return Err(DirectoryError::invalid_config(
                "bindPasswordSecretRef",
                "the bind password is empty; an empty password would bind anonymously",
            ));
        }
        if self.bind_dn.trim().is_empty() || self.base_dn.trim().is_empty() {
            return Err(DirectoryError::invalid_config(
                "bindDn",
                "bind dn and base dn must be set",
            ));
        }
        if self.groups.is_empty() || self.groups.iter().any(|group| group.trim().is_empty()) {
            return Err(DirectoryError::invalid_config(
                "groups",
                "at least one group dn is needed",
            ));
        }
        if let Some(filter) = &self.user_filter {
            check_user_filter(filter)?;
        }
        if self.dangerously_skip_verify && self.ca_pem.is_some() {
            return Err(DirectoryError::invalid_config(
                "tls",
                "tls.ca and tls.dangerouslySkipVerify contradict each other",
            ));
        }
        if self.max_nesting_depth == 0 {
            return Err(DirectoryError::invalid_config(
                "maxNestingDepth",
                "must be at least 1",
            ));
        }
        if let Some(pem) = &self.ca_pem {
            super::tls::roots_from_pem(pem)?;
        }
        Ok(())
    }
}

/// The values in order, each kept once regardless of case (the first spelling wins).
fn unique_ignoring_case<'a>(values: impl Iterator<Item = &'a String>) -> Vec<String> {
    let mut unique: Vec<String> = Vec::new();
    for value in values {
        if !unique.iter().any(|known| known.eq_ignore_ascii_case(value)) {
            unique.push(value.clone());
        }
    }
    unique
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::{AttributeNames, OverrideFields, SecretKeyRef, TlsSpec};

    fn spec(mode: DirectoryMode) -> DirectorySpec {
        DirectorySpec {
            url: "ldaps://dc1.example.test/".to_string(),
            mode,
            tls: None,
            bind_dn: "CN=svc-sync,CN=Users,DC=example,DC=test".to_string(),
            bind_password_secret_ref: SecretKeyRef {
                name: "directory".to_string(),
                key: "password".to_string(),
            },
            base_dn: "DC=example,DC=test".to_string(),
            groups: vec!["CN=jira,DC=example,DC=test".to_string()],
            user_filter: None,
            attributes: AttributeNames::default(),
            allow_empty_groups: false,
            max_nesting_depth: 10,
            timeout_seconds: 30,
        }
    }

    fn rule(member_of: Option<&str>, attribute: Option<&str>) -> OverrideRule {
        OverrideRule {
            name: None,
            member_of: member_of.map(str::to_string),
            attribute: attribute.map(str::to_string),
            values: vec!["x".to_string()],
            set: OverrideFields::default(),
        }
    }

    #[test]
    fn mode_defaults_fill_missing_attribute_names() {
        let ad = DirectoryConfig::from_spec(
            &spec(DirectoryMode::ActiveDirectory),
            &[],
            "pw".into(),
            None,
        );
        assert_eq!(
            ad.attributes,
            ResolvedAttributes::defaults(DirectoryMode::ActiveDirectory)
        );
        assert_eq!(ad.attributes.key, "sAMAccountName");
        let ldap = DirectoryConfig::from_spec(&spec(DirectoryMode::Ldap), &[], "pw".into(), None);
        assert_eq!(ldap.attributes.key, "uid");
        assert_eq!(ldap.attributes.email, "mail");
        assert_eq!(ldap.attributes.first_name, "givenName");
        assert_eq!(ldap.attributes.last_name, "sn");
        assert_eq!(ldap.attributes.title, "title");
        assert_eq!(ldap.url, "ldaps://dc1.example.test");
        assert_eq!(ldap.timeout, Duration::from_secs(30));
    }

    #[test]
    fn configured_names_and_tls_flags_are_kept() {
        let mut spec = spec(DirectoryMode::ActiveDirectory);
        spec.attributes.key = Some("userPrincipalName".to_string());
        spec.attributes.title = Some("jobTitle".to_string());
        spec.url = "ldap://dc1:389".to_string();
        spec.tls = Some(TlsSpec {
            ca: None,
            dangerously_skip_verify: None,
            dangerously_allow_plaintext: Some(true),
        });
        let config = DirectoryConfig::from_spec(&spec, &[], "pw".into(), None);
        assert_eq!(config.attributes.key, "userPrincipalName");
        assert_eq!(config.attributes.title, "jobTitle");
        assert_eq!(config.attributes.email, "mail");
        assert!(config.dangerously_allow_plaintext);
        assert!(!config.dangerously_skip_verify);
    }

    #[test]
    fn override_groups_and_attributes_are_collected_once() {
        let rules = [
            rule(Some("CN=Contractors,DC=x"), None),
            rule(None, Some("department")),
            rule(Some("cn=contractors,dc=x"), None),
            rule(None, Some("Department")),
        ];
        let config =
            DirectoryConfig::from_spec(&spec(DirectoryMode::Ldap), &rules, "pw".into(), None);
        assert_eq!(
            config.override_groups,
            vec!["CN=Contractors,DC=x".to_string()]
        );
        assert_eq!(config.override_attributes, vec!["department".to_string()]);
    }

    #[test]
    fn validation_refuses_what_cannot_work() {
        let good = DirectoryConfig::from_spec(&spec(DirectoryMode::Ldap), &[], "pw".into(), None);
        assert!(good.validate().is_ok());

        let empty_password =
            DirectoryConfig::from_spec(&spec(DirectoryMode::Ldap), &[], String::new(), None);
        let err = empty_password.validate().unwrap_err();
        assert_eq!(err.reason(), "InvalidConfig");
        assert!(!err.to_string().contains("pw"));

        let mut bad_filter = spec(DirectoryMode::Ldap);
        bad_filter.user_filter = Some("(department=Eng".to_string());
        let config = DirectoryConfig::from_spec(&bad_filter, &[], "pw".into(), None);
        assert_eq!(config.validate().unwrap_err().reason(), "InvalidConfig");

        let mut bad_url = spec(DirectoryMode::Ldap);
        bad_url.url = "https://dc1".to_string();
        let config = DirectoryConfig::from_spec(&bad_url, &[], "pw".into(), None);
        assert_eq!(config.validate().unwrap_err().reason(), "InvalidConfig");
    }
}
