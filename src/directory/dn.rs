//! Distinguished names compared the way the directory compares them: attribute types and
//! values without regard to case, escapes decoded (`\,` and `\2C` are the same), spaces around
//! separators ignored, and the parts of a multi-valued RDN in any order.

/// The canonical form of a DN, for comparing and deduplicating; never sent to a server.
pub fn normalize_dn(dn: &str) -> String {
    rdns(dn).join(",")
}

/// Whether `dn` is `base` or lies below it. Both are compared in canonical form.
pub fn is_within(dn: &str, base: &str) -> bool {
    is_within_canonical(&normalize_dn(dn), &normalize_dn(base))
}

/// [`is_within`] for DNs already in canonical form, where a comma inside a value is escaped.
pub fn is_within_canonical(dn: &str, base: &str) -> bool {
    if dn == base {
        return true;
    }
    let Some(head) = dn
        .strip_suffix(base)
        .and_then(|head| head.strip_suffix(','))
    else {
        return false;
    };
    let backslashes = head.bytes().rev().take_while(|&byte| byte == b'\\').count();
    backslashes % 2 == 0
}

/// The DN of a `uniqueMember` value, without the optional `#'0101'B` unique identifier.
pub fn strip_unique_id(value: &str) -> &str {
    if let Some(hash) = value.rfind("#'") {
        let tail = &value[hash + 2..];
        let bits = tail.strip_suffix("'B").unwrap_or("x");
        let escaped = value[..hash].ends_with('\\');
        if !escaped && bits.chars().all(|c| c == '0' || c == '1') {
            return &value[..hash];
        }
    }
    value
}

/// The first RDN as attribute type and decoded value, and the parent DN as written.
/// `None` for a multi-valued or BER-encoded first RDN, or a DN of a single RDN.
pub fn split_first_rdn(dn: &str) -> Option<(String, String, &str)> {
    let first = split_unescaped(dn, &[',', ';']).into_iter().next()?;
    let parent = dn.get(first.len() + 1..)?.trim();
    if parent.is_empty() || split_unescaped(first, &['+']).len() > 1 {
        return None;
    }
    let (kind, value) = first.split_once('=')?;
    let value = value.trim_start();
    if value.starts_with('#') {
        return None;
    }
    Some((kind.trim().to_string(), unescape_value(value), parent))
}

/// The RDNs of a DN as written, most specific first, split at unescaped commas.
pub fn split_rdns(dn: &str) -> Vec<&str> {
    split_unescaped(dn, &[',', ';'])
}

/// The canonical RDNs of a DN, most specific first.
fn rdns(dn: &str) -> Vec<String> {
    if is_plain(dn) {
        return plain_rdns(dn);
    }
    split_unescaped(dn, &[',', ';'])
        .into_iter()
        .filter(|rdn| !rdn.trim().is_empty())
        .map(|rdn| {
            let mut avas: Vec<String> = split_unescaped(rdn, &['+'])
                .into_iter()
                .map(canonical_ava)
                .collect();
            avas.sort();
            avas.join("+")
        })
        .collect()
}

/// Whether a DN has nothing to decode: printable ASCII without escapes, quotes,
/// multi-valued RDNs, BER values or `;` separators. Most DNs are, and take the fast path.
fn is_plain(dn: &str) -> bool {
    dn.bytes().all(|b| {
        (b' '..=b'~').contains(&b) && !matches!(b, b'\\' | b'+' | b'"' | b'#' | b';' | b'<' | b'>')
    })
}

/// [`rdns`] of a plain DN: spaces around separators dropped, everything lower-cased.
fn plain_rdns(dn: &str) -> Vec<String> {
    dn.split(',')
        .filter(|rdn| !rdn.trim().is_empty())
        .map(|rdn| {
            let (kind, value) = rdn.split_once('=').unwrap_or((rdn, ""));
            let value = value.trim().to_ascii_lowercase();
            // An `=` inside a value is escaped in canonical form, as on the slow path.
            let value = value.replace('=', "\\=");
            format!("{}={value}", kind.trim().to_ascii_lowercase())
        })
        .collect()
}

/// Splits at separators that are not escaped with a backslash.
fn split_unescaped<'a>(text: &'a str, separators: &[char]) -> Vec<&'a str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut escaped = false;
    for (index, c) in text.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if separators.contains(&c) {
            parts.push(&text[start..index]);
            start = index + c.len_utf8();
        }
    }
    parts.push(&text[start..]);
    parts
}

/// `type=value` with the type lower-cased and the value decoded, case-folded and re-escaped.
fn canonical_ava(ava: &str) -> String {
    let (kind, value) = ava.split_once('=').unwrap_or((ava, ""));
    let kind = kind.trim().to_ascii_lowercase();
    let value = value.trim_start();
    if value.starts_with('#') {
        // A BER-encoded value: compared as its hex text.
        return format!("{kind}={}", value.trim_end().to_ascii_lowercase());
    }
    let decoded = unescape_value(value);
    format!("{kind}={}", escape_canonical(&decoded.to_lowercase()))
}

/// Decodes RFC 4514 escapes (`\,` and `\2c`); unescaped trailing spaces, tabs and line
/// breaks are dropped.
fn unescape_value(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut significant = 0;
    let mut index = 0;
    while index < bytes.len() {
        let byte = bytes[index];
        if byte == b'\\' && index + 1 < bytes.len() {
            let pair = value
                .get(index + 1..index + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            match pair {
                Some(decoded) => {
                    out.push(decoded);
                    index += 3;
                }
                None => {
                    out.push(bytes[index + 1]);
                    index += 2;
                }
            }
            significant = out.len();
            continue;
        }
        out.push(byte);
        if !byte.is_ascii_whitespace() {
            significant = out.len();
        }
        index += 1;
    }
    out.truncate(significant);
    String::from_utf8_lossy(&out).into_owned()
}

/// Escapes the characters that would make the canonical form ambiguous. Control characters,
/// and whitespace other than a space at either end, are written as hex escapes (`\0a`): a
/// raw one would be trimmed when the canonical form is read again, so the form would not be
/// its own canonical form.
fn escape_canonical(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let count = value.chars().count();
    for (index, c) in value.chars().enumerate() {
        let edge = index == 0 || index + 1 == count;
        if c.is_control() || (edge && c.is_whitespace() && c != ' ') {
            let mut utf8 = [0; 4];
            for byte in c.encode_utf8(&mut utf8).bytes() {
                out.push_str(&format!("\\{byte:02x}"));
            }
            continue;
        }
        if matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';' | '=') || (edge && c == ' ') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_and_spacing_do_not_matter() {
        assert_eq!(
            normalize_dn("CN=Alice Smith, OU=Staff ,DC=Example,DC=Test"),
            "cn=alice smith,ou=staff,dc=example,dc=test"
        );
        assert_eq!(normalize_dn("cn=A,dc=x"), normalize_dn("CN=a, DC=X"));
    }

    #[test]
    fn escapes_are_decoded_before_comparing() {
        let hex = normalize_dn("CN=Doe\\2C John,DC=example,DC=test");
        let backslash = normalize_dn("cn=doe\\, john,dc=example,dc=test");
        assert_eq!(hex, backslash);
        assert_eq!(hex, "cn=doe\\, john,dc=example,dc=test");
        assert_eq!(normalize_dn("CN=J\\C3\\BCRGEN,DC=x"), "cn=jürgen,dc=x");
    }

    #[test]
    fn the_fast_path_agrees_with_the_full_parse() {
        for dn in [
            "CN=Alice Smith, OU=Staff ,DC=Example,DC=Test",
            "uid=a=b,dc=x",
            " cn = x ,dc=y",
        ] {
            assert!(is_plain(dn));
            let full: Vec<String> = split_unescaped(dn, &[',', ';'])
                .into_iter()
                .map(canonical_ava)
                .collect();
            assert_eq!(plain_rdns(dn), full, "{dn}");
        }
        assert!(!is_plain("cn=a\\,b,dc=x"));
        assert!(!is_plain("cn=jürgen,dc=x"));
    }

    #[test]
    fn raw_edge_whitespace_is_dropped_and_control_characters_are_escaped() {
        assert_eq!(normalize_dn("cn=X\n,dc=y\t"), "cn=x,dc=y");
        assert_eq!(normalize_dn("cn=a\u{19}B,dc=y"), "cn=a\\19b,dc=y");
        assert_eq!(normalize_dn("cn=\\0aX\\09,dc=y"), "cn=\\0ax\\09,dc=y");
    }

    #[test]
    fn multi_valued_rdns_are_order_free() {
        assert_eq!(
            normalize_dn("uid=jdoe+CN=John,dc=x"),
            normalize_dn("cn=john+uid=jdoe,dc=x")
        );
    }

    #[test]
    fn containment_follows_rdn_boundaries() {
        assert!(is_within("CN=a,OU=Staff,DC=x", "ou=staff,dc=x"));
        assert!(is_within("OU=Staff,DC=x", "ou=staff,dc=x"));
        assert!(!is_within("CN=a,OU=Other,DC=x", "ou=staff,dc=x"));
        assert!(!is_within("cn=b\\,ou=staff,dc=x", "ou=staff,dc=x,dc=y"));
        assert!(!is_within("dc=x", "ou=staff,dc=x"));
        assert!(!is_within("cn=a\\,ou=staff,dc=x", "ou=staff,dc=x"));
        assert!(is_within("cn=a\\\\,ou=staff,dc=x", "ou=staff,dc=x"));
        assert!(!is_within("cn=a,xou=staff,dc=x", "ou=staff,dc=x"));
    }

    #[test]
    fn the_first_rdn_is_split_from_its_parent() {
        assert_eq!(
            split_first_rdn("uid=jdoe,ou=people,dc=x"),
            Some(("uid".to_string(), "jdoe".to_string(), "ou=people,dc=x"))
        );
        assert_eq!(
            split_first_rdn("CN=Doe\\, John , OU=Staff,DC=x"),
            Some(("CN".to_string(), "Doe, John".to_string(), "OU=Staff,DC=x"))
        );
        assert_eq!(split_first_rdn("cn=a+uid=b,dc=x"), None);
        assert_eq!(split_first_rdn("dc=x"), None);
        assert_eq!(split_first_rdn("cn=#04024869,dc=x"), None);
    }

    #[test]
    fn unique_member_identifiers_are_stripped() {
        assert_eq!(strip_unique_id("cn=a,dc=x#'0101'B"), "cn=a,dc=x");
        assert_eq!(strip_unique_id("cn=a,dc=x"), "cn=a,dc=x");
        assert_eq!(strip_unique_id("cn=a\\#'01'B"), "cn=a\\#'01'B");
    }
}
