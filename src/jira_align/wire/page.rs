//! Reading a list page without building a JSON tree of it. Only the fields a sync reads are
//! kept, matched as `field` matches them in a whole object (the exact name, otherwise the
//! first spelling in any case in key order); every other field is skipped unread. The
//! answers and messages are those of reading the page whole, for far less work per page.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::user_from;
use crate::snapshot::JiraUser;

/// The fields `user_from` reads.
const FIELDS: [&str; 10] = [
    "id",
    "externalId",
    "email",
    "firstName",
    "lastName",
    "title",
    "isLocked",
    "roleId",
    "divisionId",
    "cityId",
];

/// A list page: a bare JSON array of users.
pub fn parse_page(body: &[u8]) -> Result<Vec<JiraUser>, String> {
    let not_json = |e: serde_json::Error| format!("body is not JSON ({e})");
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let page = deserializer
        .deserialize_any(PageVisitor)
        .map_err(not_json)?;
    deserializer.end().map_err(not_json)?;
    match page {
        Page::Users(users) => users,
        Page::Not(kind) => Err(format!("expected a JSON array of users, got {kind}")),
    }
}

/// What the body held: the users (or the first item's problem), or another JSON kind.
enum Page {
    Users(Result<Vec<JiraUser>, String>),
    Not(&'static str),
}

/// One item of the array as a user, or why it is not one.
type Item = Result<JiraUser, String>;

fn not_a_user(kind: &str) -> Item {
    Err(format!("expected a user object, got {kind}"))
}

/// The values of `FIELDS` in one user object.
#[derive(Default)]
struct Fields {
    slots: [Option<Slot>; FIELDS.len()],
}

struct Slot {
    value: Value,
    /// The key as written when it differs from the field name only in case.
    other_case: Option<String>,
}

impl Fields {
    /// Keeps `value` under `field` if `key` wins over what is kept: the exact name beats any
    /// other spelling, and among other spellings the first in key order wins.
    fn offer(&mut self, field: usize, key: Option<String>, value: Value) {
        let slot = &mut self.slots[field];
        let wins = match (&*slot, &key) {
            (None, _) | (Some(_), None) => true,
            (Some(kept), Some(key)) => kept.other_case.as_ref().is_some_and(|k| key <= k),
        };
        if wins {
            *slot = Some(Slot {
                value,
                other_case: key,
            });
        }
    }

    fn user(&self) -> Result<JiraUser, String> {
        user_from(|name| {
            let index = FIELDS.iter().position(|field| *field == name)?;
            let slot = self.slots[index].as_ref()?;
            Some(&slot.value).filter(|value| !value.is_null())
        })
    }
}

/// Visits whatever the body is, recording its kind unless it is an array.
macro_rules! kinds {
    ($out:expr) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok($out("a boolean"))
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok($out("a number"))
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok($out("a number"))
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok($out("a number"))
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok($out("a string"))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($out("null"))
        }
    };
}

struct PageVisitor;

impl<'de> Visitor<'de> for PageVisitor {
    type Value = Page;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON array of users")
    }

    kinds!(Page::Not);

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Page, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Page::Not("an object"))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Page, A::Error> {
        let mut users = Vec::with_capacity(seq.size_hint().unwrap_or(100));
        let mut problem = None;
        let mut index = 0;
        // After a bad item the rest is still read, so that broken JSON further on is
        // reported as such, as it is when the page is read whole.
        while let Some(item) = seq.next_element_seed(ItemSeed)? {
            if problem.is_none() {
                match item {
                    Ok(user) => users.push(user),
                    Err(error) => problem = Some(format!("item {index}: {error}")),
                }
            }
            index += 1;
        }
        Ok(Page::Users(match problem {
            Some(problem) => Err(problem),
            None => Ok(users),
        }))
    }
}

struct ItemSeed;

impl<'de> DeserializeSeed<'de> for ItemSeed {
    type Value = Item;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Item, D::Error> {
        deserializer.deserialize_any(ItemVisitor)
    }
}

struct ItemVisitor;

impl<'de> Visitor<'de> for ItemVisitor {
    type Value = Item;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a user object")
    }

    kinds!(not_a_user);

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Item, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(not_a_user("an array"))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Item, A::Error> {
        let mut fields = Fields::default();
        while let Some(known) = map.next_key_seed(KeySeed)? {
            match known {
                Some((field, other_case)) => fields.offer(field, other_case, map.next_value()?),
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(fields.user())
    }
}

/// Reads a key as the field it names, if any: its index, and the key as written when only
/// its case matches.
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Option<(usize, Option<String>)>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Option<(usize, Option<String>)>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Self::Value, E> {
        if let Some(field) = FIELDS.iter().position(|name| *name == key) {
            return Ok(Some((field, None)));
        }
        let field = FIELDS
            .iter()
            .position(|name| name.eq_ignore_ascii_case(key));
        Ok(field.map(|field| (field, Some(key.to_owned()))))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::jira_align::wire::parse_user;

    /// The page as `parse_user` reads each item of it whole.
    fn whole(body: &str) -> Result<Vec<JiraUser>, String> {
        let value: Value = serde_json::from_str(body).map_err(|e| e.to_string())?;
        let items = value.as_array().cloned().unwrap_or_default();
        items.iter().map(parse_user).collect()
    }

    #[test]
    fn a_page_reads_as_its_items_read_whole() {
        let body = json!([
            {"id": 1, "externalId": "E-1", "email": "a@x.io", "isLocked": 0, "teams": [1, 2],
             "fullName": "A", "roleId": 4, "divisionId": null, "cityId": "3"},
            {"ID": "2", "EMAIL": "b@x.io", "Email": "c@x.io", "eMail": "d@x.io",
             "IsLocked": true, "userEndDate": "2024-07-01", "title": 7},
            {"id": 3, "email": null, "Email": "shadowed@x.io", "extra": {"email": "no"}}
        ])
        .to_string();
        let page = parse_page(body.as_bytes());
        assert_eq!(page, whole(&body));
        let emails: Vec<Option<Box<str>>> = page
            .unwrap_or_default()
            .into_iter()
            .map(|u| u.email)
            .collect();
        assert_eq!(emails, [Some("a@x.io".into()), Some("b@x.io".into()), None]);
    }

    #[test]
    fn problems_are_named_as_before() {
        assert_eq!(
            parse_page(br#"[{"id": 1}, 5, {"email": "x"}]"#),
            Err("item 1: expected a user object, got a number".into())
        );
        assert_eq!(
            parse_page(br#"[{"id": 1}, [], {}]"#),
            Err("item 1: expected a user object, got an array".into())
        );
        assert_eq!(
            parse_page(br#"[{"id": 0}]"#),
            Err("item 0: the user id 0 is not a positive integer".into())
        );
        assert_eq!(
            parse_page(b"null"),
            Err("expected a JSON array of users, got null".into())
        );
        assert!(
            parse_page(br#"[{"id": 1}, 5, {"#).is_err_and(|e| e.starts_with("body is not JSON"))
        );
        assert!(parse_page(b"[] x").is_err_and(|e| e.starts_with("body is not JSON")));
    }
}
