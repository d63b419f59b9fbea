//! A small LDIF (RFC 2849) writer for the fixtures: entries to add and modifications,
//! with values that are not safe as plain text written in base64.

use base64::Engine as _;

/// One entry to add.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    dn: String,
    attributes: Vec<(&'static str, Vec<u8>)>,
}

impl Entry {
    pub(crate) fn new(dn: impl Into<String>) -> Self {
        Self {
            dn: dn.into(),
            attributes: Vec::new(),
        }
    }

    /// Adds one value of `name`.
    pub(crate) fn attr(mut self, name: &'static str, value: impl AsRef<[u8]>) -> Self {
        self.attributes.push((name, value.as_ref().to_vec()));
        self
    }

    /// Adds one value of `name` when `value` is present.
    pub(crate) fn attr_opt(self, name: &'static str, value: Option<impl AsRef<[u8]>>) -> Self {
        match value {
            Some(value) => self.attr(name, value),
            None => self,
        }
    }

    /// Adds every value in `values` to `name`.
    pub(crate) fn attrs<I, V>(mut self, name: &'static str, values: I) -> Self
    where
        I: IntoIterator<Item = V>,
        V: AsRef<[u8]>,
    {
        for value in values {
            self = self.attr(name, value);
        }
        self
    }

    /// Appends the entry as an add record, followed by a blank line.
    pub(crate) fn write_to(&self, out: &mut String) {
        write_line(out, "dn", self.dn.as_bytes());
        for (name, value) in &self.attributes {
            write_line(out, name, value);
        }
        out.push('\n');
    }
}

/// What an attribute change does to the values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModifyOp {
    Add,
    Delete,
    Replace,
}

/// One attribute change on one entry.
#[derive(Debug, Clone)]
pub(crate) struct Modification {
    pub(crate) dn: String,
    pub(crate) op: ModifyOp,
    pub(crate) attribute: String,
    pub(crate) values: Vec<String>,
}

impl Modification {
    /// Appends the change as a `changetype: modify` record, followed by a blank line.
    pub(crate) fn write_to(&self, out: &mut String) {
        let op = match self.op {
            ModifyOp::Add => "add",
            ModifyOp::Delete => "delete",
            ModifyOp::Replace => "replace",
        };
        write_line(out, "dn", self.dn.as_bytes());
        out.push_str("changetype: modify\n");
        write_line(out, op, self.attribute.as_bytes());
        for value in &self.values {
            write_line(out, &self.attribute, value.as_bytes());
        }
        out.push_str("-\n\n");
    }

    /// The change as LDIF text.
    pub(crate) fn to_ldif(&self) -> String {
        let mut out = String::new();
        self.write_to(&mut out);
        out
    }
}

/// Writes `name: value`, or `name:: base64` when RFC 2849 does not allow the value as a
/// SAFE-STRING.
fn write_line(out: &mut String, name: &str, value: &[u8]) {
    out.push_str(name);
    if is_safe_string(value) {
        out.push_str(": ");
        // Safe strings are ASCII, so this conversion cannot fail.
        out.push_str(std::str::from_utf8(value).unwrap_or_default());
    } else {
        out.push_str(":: ");
        out.push_str(&base64::engine::general_purpose::STANDARD.encode(value));
    }
    out.push('\n');
}

fn is_safe_string(value: &[u8]) -> bool {
    let safe_char = |byte: &u8| byte.is_ascii() && !matches!(byte, b'\0' | b'\n' | b'\r');
    let bad_start = matches!(value.first(), Some(b' ' | b':' | b'<'));
    let bad_end = value.last() == Some(&b' ');
    !bad_start && !bad_end && value.iter().all(safe_char)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_writes_plain_and_base64_values() {
        let mut out = String::new();
        Entry::new("cn=Doe\\, John,dc=example,dc=com")
            .attr("objectClass", "person")
            .attr("sn", "Müller")
            .attr("description", " leading space")
            .attr_opt("mail", None::<&str>)
            .write_to(&mut out);
        assert_eq!(
            out,
            "dn: cn=Doe\\, John,dc=example,dc=com\n\
             objectClass: person\n\
             sn:: TcO8bGxlcg==\n\
             description:: IGxlYWRpbmcgc3BhY2U=\n\n"
        );
    }

    #[test]
    fn modification_writes_a_modify_record() {
        let change = Modification {
            dn: "cn=g,dc=example,dc=com".into(),
            op: ModifyOp::Add,
            attribute: "member".into(),
            values: vec!["uid=a,dc=example,dc=com".into()],
        };
        assert_eq!(
            change.to_ldif(),
            "dn: cn=g,dc=example,dc=com\nchangetype: modify\nadd: member\n\
             member: uid=a,dc=example,dc=com\n-\n\n"
        );
    }
}
