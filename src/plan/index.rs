//! Both snapshots indexed by the normalised match key, with the keys that several users
//! share set aside as conflicts.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::collections::HashMap;

use unicode_normalization::UnicodeNormalization;

use super::Conflict;
use crate::crd::MatchOn;
use crate::snapshot::{DirectorySnapshot, DirectoryUser, JiraAlignSnapshot, JiraUser};

/// The form in which keys are compared: Unicode NFKC, trimmed, lower-cased. `Bob`, `BOB` and
/// a full-width `Ｂｏｂ` are the same key.
pub fn normalize_key(key: &str) -> String {
    normalized(key).into_owned()
}

/// `normalize_key`, borrowing the key when it already is in that form (trimmed lower-case
/// ASCII, as nearly every key and email is), so indexing a large site allocates little.
pub(super) fn normalized(key: &str) -> Cow<'_, str> {
    let key = key.trim();
    // NFKC leaves ASCII as it is, so ASCII keys skip the Unicode tables.
    if !key.is_ascii() {
        return Cow::Owned(key.nfkc().collect::<String>().to_lowercase());
    }
    if key.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(key.to_ascii_lowercase())
    } else {
        Cow::Borrowed(key)
    }
}

/// Members and Jira Align users by normalised key, in key order.
pub(super) struct Index<'a> {
    /// Every key held by at most one member and one user, in key order.
    pub entries: Vec<Entry<'a>>,
    pub conflicts: Vec<Conflict>,
    pub unmanaged: u64,
    site: &'a JiraAlignSnapshot,
    /// Built on the first look-up: a run that creates nobody never needs it.
    emails: OnceCell<HashMap<Cow<'a, str>, u64>>,
}

/// One normalised key with the member and the Jira Align user holding it, if any.
pub(super) struct Entry<'a> {
    pub key: Cow<'a, str>,
    pub member: Option<&'a DirectoryUser>,
    pub user: Option<&'a JiraUser>,
}

impl<'a> Index<'a> {
    pub fn build(
        directory: &'a DirectorySnapshot,
        jira: &'a JiraAlignSnapshot,
        match_on: MatchOn,
    ) -> Self {
        let mut members_by_key = sorted_by_key(directory.users.iter().map(|member| {
            let key = match match_on {
                MatchOn::ExternalId => Some(&*member.key),
                MatchOn::Email => member.email.as_deref(),
            };
            // A member without an email cannot be matched by email; it is keyed by its
            // directory key so that it is still planned (and skipped for the missing field).
            let key = key.filter(|k| !k.trim().is_empty()).unwrap_or(&member.key);
            (SortKey::new(normalized(key)), member)
        }));

        let mut unmanaged = 0;
        let mut keyed = Vec::with_capacity(jira.users.len());
        for user in &jira.users {
            let key = match match_on {
                MatchOn::ExternalId => user.external_id.as_deref(),
                MatchOn::Email => user.email.as_deref(),
            };
            match key.filter(|k| !k.trim().is_empty()) {
                Some(key) => keyed.push((SortKey::new(normalized(key)), user)),
                None => unmanaged += 1,
            }
        }
        let mut users_by_key = sorted_by_key(keyed.into_iter());

        // Walk both sorted lists together, one key at a time.
        let mut conflicts = Vec::new();
        let mut entries = Vec::with_capacity(users_by_key.len().max(members_by_key.len()));
        let (mut d, mut j) = (0, 0);
        while d < members_by_key.len() || j < users_by_key.len() {
            let key = match (members_by_key.get(d), users_by_key.get(j)) {
                (Some((a, _)), Some((b, _))) => a.min(b).clone(),
                (Some((a, _)), None) => a.clone(),
                (None, Some((b, _))) => b.clone(),
                (None, None) => break,
            };
            let dir = run_of(&mut members_by_key[d..], &key);
            let ja = run_of(&mut users_by_key[j..], &key);
            let (dir_len, ja_len) = (dir.len(), ja.len());
            if dir_len > 1 || ja_len > 1 {
                conflicts.push(Conflict {
                    key: dir
                        .first()
                        .map(|(_, m)| m.key.to_string())
                        .unwrap_or_else(|| key.text.clone().into_owned()),
                    directory_dns: dir.iter().map(|(_, m)| m.dn.to_string()).collect(),
                    jira_ids: ja.iter().map(|(_, u)| u.id).collect(),
                });
            } else {
                let member = dir.first().map(|(_, member)| *member);
                let user = ja.first().map(|(_, user)| *user);
                let key = match dir.first_mut() {
                    Some((key, _)) => std::mem::take(&mut key.text),
                    None => key.text,
                };
                entries.push(Entry { key, member, user });
            }
            d += dir_len;
            j += ja_len;
        }

        Index {
            entries,
            conflicts,
            unmanaged,
            site: jira,
            emails: OnceCell::new(),
        }
    }

    /// Active Jira Align users the sync manages.
    pub fn managed_active(&self) -> u64 {
        let active = |entry: &&Entry<'_>| entry.user.is_some_and(JiraUser::is_active);
        self.entries.iter().filter(active).count() as u64
    }

    /// The id of a Jira Align user holding this email, ignoring case.
    pub fn email_holder(&self, email: &str) -> Option<u64> {
        let emails = self.emails.get_or_init(|| {
            let mut emails = HashMap::with_capacity(self.site.users.len());
            for user in &self.site.users {
                if let Some(email) = user.email.as_deref().filter(|e| !e.trim().is_empty()) {
                    emails.entry(normalized(email)).or_insert(user.id);
                }
            }
            emails
        });
        emails.get(normalized(email).as_ref()).copied()
    }
}

/// A normalised key that orders like its text. The first 16 bytes are also kept as one
/// integer and compared first: keys nearly always differ there, so sorting and walking a
/// large site seldom compares strings.
#[derive(Clone, Debug, Default)]
struct SortKey<'a> {
    /// Two big-endian words rather than one `u128`, whose 16-byte alignment would pad every
    /// pair of a 100,000-user index by another 16 bytes.
    prefix: [u64; 2],
    text: Cow<'a, str>,
}

impl<'a> SortKey<'a> {
    fn new(text: Cow<'a, str>) -> Self {
        let mut bytes = [0u8; 16];
        let len = text.len().min(16);
        bytes[..len].copy_from_slice(&text.as_bytes()[..len]);
        let prefix = u128::from_be_bytes(bytes);
        SortKey {
            // The high word, then the low one: truncation keeps each half.
            prefix: [(prefix >> 64) as u64, prefix as u64],
            text,
        }
    }
}

impl PartialEq for SortKey<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.prefix == other.prefix && self.text == other.text
    }
}

impl Eq for SortKey<'_> {}

impl PartialOrd for SortKey<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SortKey<'_> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        // Zero padding sorts before every byte, so the prefixes order like the texts and
        // only equal prefixes need the texts.
        self.prefix
            .cmp(&other.prefix)
            .then_with(|| self.text.cmp(&other.text))
    }
}

/// The pairs in key order; pairs with equal keys keep their snapshot order.
/// Sorted in place, without the buffer of a stable sort: equal keys are ordered by their
/// position in the snapshot instead.
fn sorted_by_key<K: Ord, T: Position>(pairs: impl Iterator<Item = (K, T)>) -> Vec<(K, T)> {
    let mut pairs: Vec<(K, T)> = pairs.collect();
    pairs.sort_unstable_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| a.1.position().cmp(&b.1.position()))
    });
    pairs
}

/// Where a pair's value stands in its snapshot.
trait Position {
    fn position(&self) -> usize;
}

/// A reference into a snapshot's vector: its address grows with its index.
impl<T> Position for &T {
    fn position(&self) -> usize {
        std::ptr::from_ref::<T>(*self).addr()
    }
}

/// The leading pairs of `pairs` whose key is `key`.
fn run_of<'p, K: PartialEq, T>(pairs: &'p mut [(K, T)], key: &K) -> &'p mut [(K, T)] {
    let len = pairs.iter().take_while(|(k, _)| k == key).count();
    &mut pairs[..len]
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Position for usize {
        fn position(&self) -> usize {
            *self
        }
    }

    #[test]
    fn keys_already_in_normal_form_are_borrowed_and_the_rest_normalised() {
        assert!(matches!(
            normalized(" user000042 "),
            Cow::Borrowed("user000042")
        ));
        assert_eq!(normalized("Bob@Example.COM"), "bob@example.com");
        assert!(matches!(normalized("BOB"), Cow::Owned(_)));
        assert_eq!(normalized("Ｂｏｂ"), "bob");
        assert_eq!(normalize_key("\u{3000}Ｂｏｂ "), "bob");
    }

    #[test]
    fn keys_sort_as_strings_and_equal_keys_keep_their_order() {
        let keys = [
            "b",
            "a-very-long-key-of-more-than-16",
            "a",
            "a-very-long-key-of-more-than-1",
            "b",
        ];
        let pairs = keys
            .iter()
            .enumerate()
            .map(|(i, k)| (SortKey::new(Cow::Borrowed(*k)), i));
        let sorted: Vec<(String, usize)> = sorted_by_key(pairs)
            .into_iter()
            .map(|(key, i)| (key.text.into_owned(), i))
            .collect();
        let expected = [
            ("a", 2),
            ("a-very-long-key-of-more-than-1", 3),
            ("a-very-long-key-of-more-than-16", 1),
            ("b", 0),
            ("b", 4),
        ];
        let expected: Vec<(String, usize)> =
            expected.iter().map(|(k, i)| (k.to_string(), *i)).collect();
        assert_eq!(sorted, expected);
    }
}
