//! Search result entries decoded without panicking. `ldap3`'s own `SearchEntry::construct`
//! panics on a continuation reference or a DN that is not UTF-8 and guesses which attributes
//! are binary; here every value stays bytes until a caller asks for text by name.

use ldap3::asn1::{PL, StructureTag};

/// Protocol tag of a SearchResultEntry (RFC 4511 §4.5.2).
const SEARCH_RESULT_ENTRY: u64 = 4;

/// One entry: its DN and every returned attribute with raw values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RawEntry {
    pub dn: String,
    attrs: Vec<(String, Vec<Vec<u8>>)>,
}

/// A wanted attribute held a value that cannot be used (not UTF-8, not a number...).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct BadValue {
    pub attribute: String,
    pub problem: &'static str,
}

impl BadValue {
    pub fn new(attribute: &str, problem: &'static str) -> BadValue {
        BadValue {
            attribute: attribute.to_string(),
            problem,
        }
    }
}

impl RawEntry {
    /// Builds an entry from parts, for tests that do not start from BER.
    #[cfg(test)]
    pub fn new(dn: &str, attrs: Vec<(&str, Vec<&[u8]>)>) -> RawEntry {
        let attrs = attrs
            .into_iter()
            .map(|(name, values)| {
                let values = values.into_iter().map(<[u8]>::to_vec).collect();
                (name.to_string(), values)
            })
            .collect();
        RawEntry {
            dn: dn.to_string(),
            attrs,
        }
    }

    /// Decodes a SearchResultEntry. Anything else, or a malformed entry, gives an error text.
    pub fn parse(tag: StructureTag) -> Result<RawEntry, &'static str> {
        if tag.id != SEARCH_RESULT_ENTRY {
            return Err("not a search result entry");
        }
        let mut parts = constructed(tag)?.into_iter();
        let dn = parts.next().ok_or("entry without a dn")?;
        let dn = String::from_utf8(primitive(dn)?).map_err(|_| "dn is not utf-8")?;
        let list = parts.next().ok_or("entry without an attribute list")?;
        let mut attrs = Vec::new();
        for attribute in constructed(list)? {
            let mut pieces = constructed(attribute)?.into_iter();
            let name = pieces.next().ok_or("attribute without a name")?;
            let name =
                String::from_utf8(primitive(name)?).map_err(|_| "attribute name is not utf-8")?;
            let values = match pieces.next() {
                Some(set) => constructed(set)?
                    .into_iter()
                    .map(primitive)
                    .collect::<Result<Vec<_>, _>>()?,
                None => Vec::new(),
            };
            attrs.push((name, values));
        }
        Ok(RawEntry { dn, attrs })
    }

    /// The values of an attribute, looked up without regard to case; empty when absent.
    pub fn values(&self, name: &str) -> &[Vec<u8>] {
        self.attrs
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, values)| values.as_slice())
            .unwrap_or(&[])
    }

    /// Every attribute as returned, including options such as `member;range=0-1499`.
    pub fn attributes(&self) -> impl Iterator<Item = (&str, &[Vec<u8>])> {
        self.attrs
            .iter()
            .map(|(name, values)| (name.as_str(), values.as_slice()))
    }

    /// The values of a text attribute.
    pub fn texts(&self, name: &str) -> Result<Vec<String>, BadValue> {
        self.values(name)
            .iter()
            .map(|value| {
                String::from_utf8(value.clone()).map_err(|_| BadValue::new(name, "not utf-8 text"))
            })
            .collect()
    }

    /// The first value of a text attribute; empty values count as absent.
    pub fn text(&self, name: &str) -> Result<Option<String>, BadValue> {
        let first = self.texts(name)?.into_iter().next();
        Ok(first.filter(|value| !value.is_empty()))
    }

    /// Whether `objectClass` holds `class` (compared without regard to case).
    pub fn has_class(&self, class: &str) -> bool {
        self.values("objectClass")
            .iter()
            .any(|value| value.eq_ignore_ascii_case(class.as_bytes()))
    }
}

fn constructed(tag: StructureTag) -> Result<Vec<StructureTag>, &'static str> {
    match tag.payload {
        PL::C(inner) => Ok(inner),
        PL::P(_) => Err("expected a constructed element"),
    }
}

fn primitive(tag: StructureTag) -> Result<Vec<u8>, &'static str> {
    match tag.payload {
        PL::P(bytes) => Ok(bytes),
        PL::C(_) => Err("expected an octet string"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ldap3::asn1::TagClass;

    fn octets(bytes: &[u8]) -> StructureTag {
        StructureTag {
            class: TagClass::Universal,
            id: 4,
            payload: PL::P(bytes.to_vec()),
        }
    }

    fn seq(id: u64, inner: Vec<StructureTag>) -> StructureTag {
        let class = if id == 4 {
            TagClass::Application
        } else {
            TagClass::Universal
        };
        StructureTag {
            class,
            id,
            payload: PL::C(inner),
        }
    }

    fn entry(dn: &[u8], attrs: Vec<(&[u8], Vec<&[u8]>)>) -> StructureTag {
        let list = attrs
            .into_iter()
            .map(|(name, values)| {
                let values = values.into_iter().map(octets).collect();
                seq(16, vec![octets(name), seq(17, values)])
            })
            .collect();
        seq(4, vec![octets(dn), seq(16, list)])
    }

    #[test]
    fn binary_values_do_not_break_parsing() {
        let guid: &[u8] = &[0x06, 0xe8, 0xff, 0x00, 0x9c];
        let tag = entry(
            b"CN=alice,DC=example,DC=test",
            vec![
                (b"objectGUID", vec![guid]),
                (b"sAMAccountName", vec![b"alice"]),
            ],
        );
        let parsed = RawEntry::parse(tag).expect("well-formed entry");
        assert_eq!(parsed.dn, "CN=alice,DC=example,DC=test");
        assert_eq!(parsed.values("objectguid"), &[guid.to_vec()]);
        assert_eq!(parsed.text("SAMACCOUNTNAME"), Ok(Some("alice".to_string())));
        assert_eq!(
            parsed.text("objectGUID"),
            Err(BadValue::new("objectGUID", "not utf-8 text"))
        );
        assert_eq!(parsed.text("mail"), Ok(None));
    }

    #[test]
    fn references_and_malformed_entries_are_errors_not_panics() {
        let reference = seq(19, vec![octets(b"ldaps://example.test/CN=Configuration")]);
        assert_eq!(RawEntry::parse(reference), Err("not a search result entry"));
        let bad_dn = entry(&[0xff, 0xfe], vec![]);
        assert_eq!(RawEntry::parse(bad_dn), Err("dn is not utf-8"));
        let truncated = seq(4, vec![octets(b"cn=x")]);
        assert_eq!(
            RawEntry::parse(truncated),
            Err("entry without an attribute list")
        );
    }

    #[test]
    fn object_classes_compare_without_case() {
        let parsed = RawEntry::new("cn=g", vec![("objectClass", vec![b"top", b"GroupOfNames"])]);
        assert!(parsed.has_class("groupOfNames"));
        assert!(!parsed.has_class("posixGroup"));
    }
}
