//! Building LDAP search filters safely: every value placed in a filter is escaped (RFC 4515),
//! and the user-supplied extra filter is checked before any connection is made.

use super::error::DirectoryError;

/// The AD matching rule that follows `member` links to any depth (LDAP_MATCHING_RULE_IN_CHAIN).
pub(crate) const IN_CHAIN: &str = "1.2.840.113556.1.4.1941";

/// Escapes a text value for use inside a filter assertion (RFC 4515 §3).
///
/// `*`, `(`, `)`, `\` and NUL are written as `\hh`, as the RFC requires. Every byte outside
/// printable ASCII is escaped as well: the RFC allows raw UTF-8, but escaped bytes survive
/// every parser and log line unchanged.
pub fn escape_filter_value(value: &str) -> String {
    escape_filter_bytes(value.as_bytes())
}

/// Escapes arbitrary bytes (a binary attribute value, or text) for use inside a filter.
pub fn escape_filter_bytes(value: &[u8]) -> String {
    let mut out = String::with_capacity(value.len());
    for &byte in value {
        let plain = byte.is_ascii_graphic() || byte == b' ';
        if plain && !matches!(byte, b'*' | b'(' | b')' | b'\\') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("\\{byte:02x}"));
        }
    }
    out
}

/// `(attr=value)` with the value escaped.
pub(crate) fn equals(attribute: &str, value: &str) -> String {
    format!("({attribute}={})", escape_filter_value(value))
}

/// The conjunction of several filters; a single filter is returned as it is.
pub(crate) fn and(parts: &[String]) -> String {
    match parts {
        [one] => one.clone(),
        _ => format!("(&{})", parts.concat()),
    }
}

/// The disjunction of several filters; a single filter is returned as it is.
pub(crate) fn or(parts: &[String]) -> String {
    match parts {
        [one] => one.clone(),
        _ => format!("(|{})", parts.concat()),
    }
}

/// Checks the extra user filter the way the client will parse it, so that a typo is reported
/// as a configuration error before the directory is contacted.
pub(crate) fn check_user_filter(filter: &str) -> Result<(), DirectoryError> {
    let trimmed = filter.trim();
    if !(trimmed.starts_with('(') && trimmed.ends_with(')')) {
        return Err(DirectoryError::invalid_config(
            "userFilter",
            "the filter must be enclosed in parentheses, e.g. (department=Engineering)",
        ));
    }
    ldap3::parse_filter(trimmed).map_err(|_| {
        DirectoryError::invalid_config(
            "userFilter",
            "not a valid LDAP filter (check parentheses, no spaces between parts, \
             and escape *, (, ) and \\ in values as \\2a, \\28, \\29 and \\5c)",
        )
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_4515_specials_are_escaped() {
        assert_eq!(escape_filter_value("a*b"), "a\\2ab");
        assert_eq!(escape_filter_value("(x)"), "\\28x\\29");
        assert_eq!(escape_filter_value("C:\\dir"), "C:\\5cdir");
        assert_eq!(escape_filter_value("nul\0end"), "nul\\00end");
    }

    #[test]
    fn non_ascii_text_is_escaped_byte_by_byte() {
        assert_eq!(escape_filter_value("Jürgen"), "J\\c3\\bcrgen");
        assert_eq!(escape_filter_value("tab\there"), "tab\\09here");
    }

    #[test]
    fn plain_values_and_dns_keep_their_shape() {
        assert_eq!(
            escape_filter_value("CN=Doe\\, John,OU=Staff,DC=example,DC=test"),
            "CN=Doe\\5c, John,OU=Staff,DC=example,DC=test"
        );
        assert_eq!(
            escape_filter_value("jdoe@example.test"),
            "jdoe@example.test"
        );
    }

    #[test]
    fn binary_values_are_fully_escapable() {
        assert_eq!(
            escape_filter_bytes(&[0x06, 0xe8, 0x5c, 0x2a]),
            "\\06\\e8\\5c\\2a"
        );
    }

    #[test]
    fn escaped_values_parse_as_filters() {
        let filter = equals("cn", "a*(b)\\c\0é");
        assert_eq!(filter, "(cn=a\\2a\\28b\\29\\5cc\\00\\c3\\a9)");
        assert!(ldap3::parse_filter(&filter).is_ok());
    }

    #[test]
    fn conjunctions_collapse_single_parts() {
        assert_eq!(and(&["(a=1)".to_string()]), "(a=1)");
        assert_eq!(
            and(&["(a=1)".to_string(), "(b=2)".to_string()]),
            "(&(a=1)(b=2))"
        );
        assert_eq!(
            or(&["(a=1)".to_string(), "(b=2)".to_string()]),
            "(|(a=1)(b=2))"
        );
    }

    #[test]
    fn user_filters_are_checked() {
        assert!(check_user_filter("(department=Engineering)").is_ok());
        assert!(check_user_filter("(&(a=b)(c=d))").is_ok());
        let err = check_user_filter("department=Engineering").unwrap_err();
        assert_eq!(err.reason(), "InvalidConfig");
        assert!(check_user_filter("(&(a=b) (c=d))").is_err());
        assert!(check_user_filter("(a=b))").is_err());
    }
}
