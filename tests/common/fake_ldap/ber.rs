//! Just enough BER (X.690) for the scripted LDAP server: writing the few answer shapes it
//! sends, framing whole messages out of a byte stream, and reading the fields of a request.

use ldap3::asn1::{PL, StructureTag, parse_tag};

/// Tag bytes of the answers (RFC 4511 §4): constructed APPLICATION n, and `[0]` controls.
pub const BIND_RESPONSE: u8 = 0x61;
pub const SEARCH_RESULT_ENTRY: u8 = 0x64;
pub const SEARCH_RESULT_DONE: u8 = 0x65;
pub const EXTENDED_RESPONSE: u8 = 0x78;
const CONTROLS: u8 = 0xa0;
const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;

/// The simple paged results control (RFC 2696).
pub const PAGED_RESULTS_OID: &str = "1.2.840.113556.1.4.319";

/// One element: the tag byte, a definite length and the content.
pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

pub fn octets(bytes: &[u8]) -> Vec<u8> {
    tlv(0x04, bytes)
}

fn twos_complement(value: i64) -> Vec<u8> {
    let bytes = value.to_be_bytes();
    let mut start = 0;
    while start < 7 {
        let (here, next) = (bytes[start], bytes[start + 1]);
        let redundant = (here == 0 && next & 0x80 == 0) || (here == 0xff && next & 0x80 != 0);
        if !redundant {
            break;
        }
        start += 1;
    }
    bytes[start..].to_vec()
}

pub fn integer(value: i64) -> Vec<u8> {
    tlv(0x02, &twos_complement(value))
}

pub fn enumerated(value: i64) -> Vec<u8> {
    tlv(0x0a, &twos_complement(value))
}

pub fn sequence(parts: &[Vec<u8>]) -> Vec<u8> {
    tlv(SEQUENCE, &parts.concat())
}

pub fn set(parts: &[Vec<u8>]) -> Vec<u8> {
    tlv(SET, &parts.concat())
}

/// An LDAPResult-shaped operation: result code, empty matched DN, diagnostic text.
pub fn result(tag: u8, code: u32, text: &str) -> Vec<u8> {
    let content = [
        enumerated(i64::from(code)),
        octets(b""),
        octets(text.as_bytes()),
    ];
    tlv(tag, &content.concat())
}

/// An LDAPMessage with the given operation and, when `cookie` is set, a paged results
/// control carrying it.
pub fn message(id: i64, op: Vec<u8>, cookie: Option<&[u8]>) -> Vec<u8> {
    let mut parts = vec![integer(id), op];
    if let Some(cookie) = cookie {
        let value = sequence(&[integer(0), octets(cookie)]);
        let control = sequence(&[octets(PAGED_RESULTS_OID.as_bytes()), octets(&value)]);
        parts.push(tlv(CONTROLS, &control));
    }
    sequence(&parts)
}

/// The length of the first whole element in `buffer`, once it has fully arrived.
pub fn frame_len(buffer: &[u8]) -> Option<usize> {
    let first = *buffer.get(1)?;
    let (header, len) = if first < 0x80 {
        (2, usize::from(first))
    } else {
        let count = usize::from(first & 0x7f);
        let bytes = buffer.get(2..2 + count)?;
        let len = bytes
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (2 + count, len)
    };
    let total = header + len;
    (buffer.len() >= total).then_some(total)
}

/// Parses one whole element.
pub fn parse(bytes: &[u8]) -> Option<StructureTag> {
    parse_tag(bytes).ok().map(|(_, tag)| tag)
}

pub fn children(tag: StructureTag) -> Vec<StructureTag> {
    match tag.payload {
        PL::C(inner) => inner,
        PL::P(_) => Vec::new(),
    }
}

pub fn bytes(tag: &StructureTag) -> &[u8] {
    match &tag.payload {
        PL::P(bytes) => bytes,
        PL::C(_) => &[],
    }
}

pub fn number(tag: &StructureTag) -> i64 {
    let raw = bytes(tag);
    let negative = raw.first().is_some_and(|b| b & 0x80 != 0);
    raw.iter().fold(if negative { -1 } else { 0 }, |acc, b| {
        (acc << 8) | i64::from(*b)
    })
}
