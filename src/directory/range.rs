//! Range retrieval of large multi-valued attributes (MS-ADTS 3.1.1.3.1.3.3). Active Directory
//! returns at most MaxValRange values of `member` per request, named `member;range=0-1499`;
//! the last chunk ends in `*`. The reader asks for explicit windows and follows them.

use super::entry::RawEntry;

/// Values per requested window: the default MaxValRange of Windows Server 2003 and later.
pub(crate) const RANGE_STEP: u32 = 1500;

/// The upper bound of a returned range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RangeEnd {
    /// More values follow after this index.
    Upto(u32),
    /// `*`: this chunk holds the last values.
    Last,
}

/// One chunk of values and where the next request starts, if any.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Chunk {
    pub values: Vec<Vec<u8>>,
    pub next_low: Option<u32>,
}

/// The attribute description asking for values `low` to `low + step - 1`.
pub(crate) fn window(attribute: &str, low: u32, step: u32) -> String {
    let high = low.saturating_add(step.max(1) - 1);
    format!("{attribute};range={low}-{high}")
}

/// Parses `attribute;range=L-H` or `attribute;range=L-*` (names compare without case).
/// Returns `None` when `name` is not a ranged form of `attribute`.
pub(crate) fn parse_range(name: &str, attribute: &str) -> Option<(u32, RangeEnd)> {
    let mut parts = name.split(';');
    if !parts.next()?.eq_ignore_ascii_case(attribute) {
        return None;
    }
    let option = parts.find(|part| {
        part.get(..6)
            .is_some_and(|head| head.eq_ignore_ascii_case("range="))
    })?;
    let (low, high) = option[6..].split_once('-')?;
    let low = low.parse().ok()?;
    let high = match high {
        "*" => RangeEnd::Last,
        number => RangeEnd::Upto(number.parse().ok()?),
    };
    Some((low, high))
}

/// Takes the values of `attribute` from an entry read with a range window starting at
/// `requested_low`. A plain (unranged) attribute means every value came at once.
pub(crate) fn take_chunk(
    entry: &RawEntry,
    attribute: &str,
    requested_low: u32,
) -> Result<Chunk, String> {
    for (name, values) in entry.attributes() {
        if name.eq_ignore_ascii_case(attribute) {
            return Ok(Chunk {
                values: values.to_vec(),
                next_low: None,
            });
        }
        let Some((low, high)) = parse_range(name, attribute) else {
            continue;
        };
        if low != requested_low {
            return Err(format!(
                "asked for {attribute} from value {requested_low} but got {name}"
            ));
        }
        let next_low = match high {
            RangeEnd::Last => None,
            RangeEnd::Upto(high) if high >= low && !values.is_empty() => Some(high + 1),
            RangeEnd::Upto(_) => return Err(format!("{name} does not advance")),
        };
        return Ok(Chunk {
            values: values.to_vec(),
            next_low,
        });
    }
    Ok(Chunk {
        values: Vec::new(),
        next_low: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_names_are_parsed() {
        assert_eq!(
            parse_range("member;range=0-1499", "member"),
            Some((0, RangeEnd::Upto(1499)))
        );
        assert_eq!(
            parse_range("member;range=1500-*", "member"),
            Some((1500, RangeEnd::Last))
        );
        assert_eq!(
            parse_range("Member;Range=3000-4499", "member"),
            Some((3000, RangeEnd::Upto(4499)))
        );
        assert_eq!(parse_range("member", "member"), None);
        assert_eq!(parse_range("memberOf;range=0-1", "member"), None);
        assert_eq!(parse_range("member;range=x-1", "member"), None);
        assert_eq!(parse_range("member;range=0-", "member"), None);
    }

    #[test]
    fn windows_name_inclusive_bounds() {
        assert_eq!(window("member", 0, 1500), "member;range=0-1499");
        assert_eq!(window("member", 1500, 1500), "member;range=1500-2999");
    }

    #[test]
    fn chunks_say_where_to_continue() {
        let first = RawEntry::new("cn=g", vec![("member;range=0-1", vec![b"cn=a", b"cn=b"])]);
        assert_eq!(
            take_chunk(&first, "member", 0),
            Ok(Chunk {
                values: vec![b"cn=a".to_vec(), b"cn=b".to_vec()],
                next_low: Some(2)
            })
        );
        let last = RawEntry::new("cn=g", vec![("member;range=2-*", vec![b"cn=c"])]);
        assert_eq!(
            take_chunk(&last, "member", 2),
            Ok(Chunk {
                values: vec![b"cn=c".to_vec()],
                next_low: None
            })
        );
    }

    #[test]
    fn plain_and_missing_attributes_end_the_walk() {
        let plain = RawEntry::new("cn=g", vec![("member", vec![b"cn=a"])]);
        assert_eq!(
            take_chunk(&plain, "member", 0).map(|c| c.next_low),
            Ok(None)
        );
        let empty = RawEntry::new("cn=g", vec![("cn", vec![b"g"])]);
        assert_eq!(
            take_chunk(&empty, "member", 0),
            Ok(Chunk {
                values: vec![],
                next_low: None
            })
        );
    }

    #[test]
    fn misplaced_or_stuck_ranges_are_errors() {
        let wrong = RawEntry::new("cn=g", vec![("member;range=5-9", vec![b"cn=a"])]);
        assert_eq!(
            take_chunk(&wrong, "member", 0),
            Err("asked for member from value 0 but got member;range=5-9".to_string())
        );
        let stuck = RawEntry::new("cn=g", vec![("member;range=0-9", vec![])]);
        assert_eq!(
            take_chunk(&stuck, "member", 0),
            Err("member;range=0-9 does not advance".to_string())
        );
    }
}
