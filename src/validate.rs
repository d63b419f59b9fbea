//! Checks of a spec that the CRD schema cannot make, and the same checks the schema makes, for
//! manifests that never pass through the API server (the one-shot CLI). Each finding names the
//! field, so a person knows what to fix.

use std::time::Duration;

use crate::crd::JiraAlignUserSyncSpec;

/// One problem with one field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    /// The field's path, e.g. `spec.directory.url`.
    pub field: String,
    pub message: String,
}

fn problem(field: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.to_string(),
        message: message.into(),
    }
}

/// Every problem found in the spec; empty when it is usable.
pub fn validate(spec: &JiraAlignUserSyncSpec) -> Vec<FieldError> {
    let mut problems = Vec::new();

    let url = &spec.jira_align.url;
    if !(url.starts_with("https://") || url.starts_with("http://")) || url.len() < 9 {
        problems.push(problem(
            "spec.jiraAlign.url",
            "must be an http:// or https:// URL",
        ));
    }
    if url.starts_with("http://") && !is_loopback_url(url) {
        let message = "must use https:// (plain http:// only to a loopback address)";
        problems.push(problem("spec.jiraAlign.url", message));
    }
    if url.contains("/rest/align/api") {
        let message = "must be the site URL without the /rest/align/api/2 path";
        problems.push(problem("spec.jiraAlign.url", message));
    }

    let directory = &spec.directory;
    let dir_url = &directory.url;
    if !(dir_url.starts_with("ldaps://") || dir_url.starts_with("ldap://")) {
        problems.push(problem(
            "spec.directory.url",
            "must be an ldap:// or ldaps:// URL",
        ));
    }
    if directory.groups.is_empty() {
        problems.push(problem(
            "spec.directory.groups",
            "must name at least one group",
        ));
    }
    let dns = [
        ("spec.directory.bindDn".to_string(), &directory.bind_dn),
        ("spec.directory.baseDn".to_string(), &directory.base_dn),
    ];
    let groups = directory.groups.iter().enumerate();
    let groups = groups.map(|(i, group)| (format!("spec.directory.groups[{i}]"), group));
    let member_of = spec.overrides.iter().enumerate().filter_map(|(i, rule)| {
        let dn = rule.member_of.as_ref()?;
        Some((format!("spec.overrides[{i}].memberOf"), dn))
    });
    for (field, dn) in dns.into_iter().chain(groups).chain(member_of) {
        if !looks_like_dn(dn) {
            problems.push(problem(
                &field,
                format!("{dn:?} is not a distinguished name"),
            ));
        }
    }
    if let Some(filter) = &directory.user_filter
        && !balanced_filter(filter)
    {
        let message = "must be an LDAP filter in parentheses, e.g. (department=Sales)";
        problems.push(problem("spec.directory.userFilter", message));
    }
    if let Some(tls) = &directory.tls {
        let skip = tls.dangerously_skip_verify.unwrap_or(false);
        let plaintext = tls.dangerously_allow_plaintext.unwrap_or(false);
        if skip && tls.ca.is_some() {
            let message = "tls.ca and tls.dangerouslySkipVerify contradict each other";
            problems.push(problem("spec.directory.tls", message));
        }
        if skip && plaintext {
            let message = "tls.dangerouslySkipVerify and tls.dangerouslyAllowPlaintext \
                           contradict each other: plaintext has no certificate to verify";
            problems.push(problem("spec.directory.tls", message));
        }
        if plaintext && dir_url.starts_with("ldaps://") {
            let message = "tls.dangerouslyAllowPlaintext applies only to ldap:// URLs";
            problems.push(problem("spec.directory.tls", message));
        }
    }

    for (i, rule) in spec.overrides.iter().enumerate() {
        let field = format!("spec.overrides[{i}]");
        if rule.member_of.is_some() == rule.attribute.is_some() {
            let message = "an override rule needs exactly one of memberOf or attribute";
            problems.push(problem(&field, message));
        }
        if rule.attribute.is_some() && rule.values.is_empty() {
            problems.push(problem(
                &field,
                "an override rule on an attribute needs values",
            ));
        }
        if rule.member_of.is_some() && !rule.values.is_empty() {
            let message = "values apply only to an attribute rule, not to memberOf";
            problems.push(problem(&field, message));
        }
    }

    if spec.policy.max_deactivation_percent > 100 {
        let field = "spec.policy.maxDeactivationPercent";
        problems.push(problem(field, "must be between 0 and 100"));
    }
    match parse_interval(&spec.sync_interval) {
        Some(interval) if interval < Duration::from_secs(60) => {
            problems.push(problem("spec.syncInterval", "must be at least 1m"));
        }
        Some(_) => {}
        None => problems.push(problem(
            "spec.syncInterval",
            "must be a duration like 30m or 1h",
        )),
    }
    problems
}

/// Whether `text` has the shape the schema asks of a DN: `type=value`, then anything.
fn looks_like_dn(text: &str) -> bool {
    text.split_once('=')
        .is_some_and(|(kind, value)| !kind.is_empty() && !kind.contains(',') && !value.is_empty())
}

/// Whether an http:// URL points at this machine (127.0.0.0/8, localhost or [::1]).
fn is_loopback_url(url: &str) -> bool {
    let rest = url.trim_start_matches("http://");
    let host = match rest.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => rest.split([':', '/']).next().unwrap_or_default(),
    };
    host == "localhost" || host == "::1" || host.starts_with("127.")
}

/// Parses `1h30m`, `45m`, `90s`; None when malformed.
pub fn parse_interval(text: &str) -> Option<Duration> {
    let mut total = 0u64;
    let mut number = String::new();
    let mut seen_unit = false;
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            'h' => 3600,
            'm' => 60,
            's' => 1,
            _ => return None,
        };
        let value: u64 = number.parse().ok()?;
        total = total.checked_add(value.checked_mul(unit)?)?;
        number.clear();
        seen_unit = true;
    }
    (seen_unit && number.is_empty()).then(|| Duration::from_secs(total))
}

fn balanced_filter(filter: &str) -> bool {
    let mut depth = 0i32;
    for c in filter.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ => {}
        }
        if depth < 0 {
            return false;
        }
    }
    depth == 0 && filter.starts_with('(') && filter.ends_with(')')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals() {
        assert_eq!(parse_interval("1h30m"), Some(Duration::from_secs(5400)));
        assert_eq!(parse_interval("45m"), Some(Duration::from_secs(2700)));
        assert_eq!(parse_interval("90s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_interval("90"), None);
        assert_eq!(parse_interval("h"), None);
        assert_eq!(parse_interval("1d"), None);
        assert_eq!(parse_interval(""), None);
    }

    #[test]
    fn loopback_urls() {
        assert!(is_loopback_url("http://127.0.0.1:18080"));
        assert!(is_loopback_url("http://localhost/"));
        assert!(is_loopback_url("http://[::1]:80"));
        assert!(!is_loopback_url("http://acme.jiraalign.com"));
        assert!(!is_loopback_url("http://127example.com"));
    }

    #[test]
    fn distinguished_names_need_a_type_and_a_value() {
        assert!(looks_like_dn("CN=x,DC=corp"));
        assert!(looks_like_dn("uid=a=b,dc=x"));
        assert!(!looks_like_dn("contractors"));
        assert!(!looks_like_dn("=x"));
        assert!(!looks_like_dn("a,b=c"));
        assert!(!looks_like_dn("cn="));
    }

    #[test]
    fn the_checks_the_schema_also_makes_name_their_field() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/overrides.yaml"
        ))
        .expect("the example exists");
        let resource: crate::crd::JiraAlignUserSync =
            serde_yaml::from_str(&text).expect("the example is a resource");
        let mut spec = resource.spec;
        assert_eq!(validate(&spec), []);

        spec.directory.base_dn = "not a dn".into();
        spec.overrides[0].values = vec!["x".into()];
        spec.directory.tls = Some(crate::crd::TlsSpec {
            dangerously_skip_verify: Some(true),
            dangerously_allow_plaintext: Some(true),
            ..Default::default()
        });
        let fields: Vec<String> = validate(&spec).into_iter().map(|p| p.to_string()).collect();
        assert_eq!(
            fields,
            [
                "spec.directory.baseDn: \"not a dn\" is not a distinguished name",
                "spec.directory.tls: tls.dangerouslySkipVerify and tls.dangerouslyAllowPlaintext \
                 contradict each other: plaintext has no certificate to verify",
                "spec.directory.tls: tls.dangerouslyAllowPlaintext applies only to ldap:// URLs",
                "spec.overrides[0]: values apply only to an attribute rule, not to memberOf",
            ]
        );
    }

    #[test]
    fn filters() {
        assert!(balanced_filter("(department=Sales)"));
        assert!(balanced_filter("(&(a=b)(|(c=d)(e=f)))"));
        assert!(!balanced_filter("department=Sales"));
        assert!(!balanced_filter("(a=b))("));
    }
}
