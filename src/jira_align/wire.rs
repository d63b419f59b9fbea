//! Reading users and create answers from JSON, leniently: field names in any case, unknown
//! fields ignored, nulls accepted, ids and numbers also as strings. Only a user without a
//! usable id is refused, because nothing can be done with it.

use serde_json::{Map, Value};

use crate::snapshot::JiraUser;

mod page;

pub use page::parse_page;

/// One user object.
pub fn parse_user(value: &Value) -> Result<JiraUser, String> {
    let Value::Object(fields) = value else {
        return Err(format!("expected a user object, got {}", kind(value)));
    };
    user_from(|name| field(fields, name))
}

/// A user from its fields, `lookup` giving the value of each field a sync reads (`None`
/// when absent or null).
fn user_from<'v>(lookup: impl Fn(&'static str) -> Option<&'v Value>) -> Result<JiraUser, String> {
    let id = lookup("id").ok_or("the user has no id")?;
    let id = as_u64(id).ok_or_else(|| format!("the user id {id} is not a positive integer"))?;
    let text = |name| lookup(name).and_then(as_text);
    let number = |name| lookup(name).and_then(as_u64);
    Ok(JiraUser {
        id,
        external_id: text("externalId"),
        email: text("email"),
        first_name: text("firstName"),
        last_name: text("lastName"),
        title: text("title"),
        is_locked: lookup("isLocked").map_or(0, lock_state),
        role_id: number("roleId"),
        division_id: number("divisionId"),
        city_id: number("cityId"),
    })
}

/// The id in the body of a create answer: the created object, a bare number or a numeric
/// string. `None` for an empty body or one without an id, when the caller must look it up.
pub fn created_id(body: &[u8]) -> Option<u64> {
    let value: Value = serde_json::from_slice(body).ok()?;
    match &value {
        Value::Object(fields) => field(fields, "id").and_then(as_u64),
        other => as_u64(other),
    }
}

/// The id at the end of a `Location` header such as `.../rest/align/api/2/Users/123`.
pub fn id_from_location(location: &str) -> Option<u64> {
    let path = location.split(['?', '#']).next()?;
    path.trim_end_matches('/')
        .rsplit('/')
        .next()?
        .parse()
        .ok()
        .filter(|id| *id > 0)
}

fn field<'a>(fields: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    if let Some(value) = fields.get(name) {
        return Some(value).filter(|v| !v.is_null());
    }
    let found = fields
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name));
    found.map(|(_, value)| value).filter(|v| !v.is_null())
}

fn as_u64(value: &Value) -> Option<u64> {
    let id = match value {
        Value::Number(number) => number.as_u64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    };
    id.filter(|id| *id > 0)
}

fn as_text(value: &Value) -> Option<Box<str>> {
    match value {
        Value::String(text) if !text.trim().is_empty() => Some(text.as_str().into()),
        Value::Number(number) => Some(number.to_string().into()),
        _ => None,
    }
}

/// `isLocked` as 0 (active) or another value (deactivated); booleans and numeric strings are
/// read too. A missing or null value counts as active (the list asks for the field, so only a
/// server that drops it gets here); an unreadable one counts as deactivated.
fn lock_state(value: &Value) -> i64 {
    match value {
        Value::Number(number) => number.as_i64().unwrap_or(-1),
        Value::Bool(locked) => -i64::from(*locked),
        Value::String(text) => text.trim().parse().unwrap_or(-1),
        _ => -1,
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_full_user_is_read_and_unknown_fields_are_ignored() {
        let value = json!({
            "id": 12, "externalId": "E-1", "email": "ada@example.com", "firstName": "Ada",
            "lastName": "Lovelace", "title": "Engineer", "isLocked": 0, "roleId": 4,
            "divisionId": 5, "cityId": 3, "userEndDate": null, "teams": [], "fullName": "x"
        });
        let expected = JiraUser {
            id: 12,
            external_id: Some("E-1".into()),
            email: Some("ada@example.com".into()),
            first_name: Some("Ada".into()),
            last_name: Some("Lovelace".into()),
            title: Some("Engineer".into()),
            is_locked: 0,
            role_id: Some(4),
            division_id: Some(5),
            city_id: Some(3),
        };
        assert_eq!(parse_user(&value), Ok(expected));
    }

    #[test]
    fn ids_as_strings_other_casing_and_nulls_are_accepted() {
        let value = json!({"ID": "77", "RoleID": "3", "email": null, "IsLocked": "-1",
            "externalId": 1234, "userEndDate": "2024-07-01T00:00:00Z"});
        let user = parse_user(&value).expect("lenient fields parse");
        assert_eq!(
            (user.id, user.role_id, user.email, user.is_locked),
            (77, Some(3), None, -1)
        );
        assert_eq!(user.external_id.as_deref(), Some("1234"));
    }

    #[test]
    fn lock_states_from_other_types() {
        assert_eq!(lock_state(&json!(true)), -1);
        assert_eq!(lock_state(&json!(false)), 0);
        assert_eq!(lock_state(&json!("x")), -1);
        let user = parse_user(&json!({"id": 1})).expect("id only");
        assert_eq!(user.is_locked, 0);
    }

    #[test]
    fn a_user_without_a_usable_id_is_refused() {
        assert_eq!(
            parse_user(&json!({"email": "a@x.io"})),
            Err("the user has no id".into())
        );
        assert_eq!(
            parse_user(&json!({"id": "abc"})),
            Err("the user id \"abc\" is not a positive integer".into())
        );
        assert_eq!(
            parse_user(&json!(5)),
            Err("expected a user object, got a number".into())
        );
    }

    #[test]
    fn a_page_must_be_an_array() {
        assert_eq!(parse_page(b"[]"), Ok(vec![]));
        assert_eq!(
            parse_page(br#"{"value": []}"#),
            Err("expected a JSON array of users, got an object".into())
        );
        assert_eq!(
            parse_page(br#"[{"id": 1}, {}]"#),
            Err("item 1: the user has no id".into())
        );
        assert!(parse_page(b"<html>").is_err_and(|e| e.starts_with("body is not JSON")));
    }

    #[test]
    fn create_answers_in_every_shape() {
        assert_eq!(created_id(br#"{"id": 501, "email": "a@x.io"}"#), Some(501));
        assert_eq!(created_id(br#"{"Id": "502"}"#), Some(502));
        assert_eq!(created_id(b"503"), Some(503));
        assert_eq!(created_id(br#""504""#), Some(504));
        assert_eq!(created_id(b""), None);
        assert_eq!(created_id(b"null"), None);
        assert_eq!(created_id(br#"{"email": "a@x.io"}"#), None);
        assert_eq!(created_id(b"0"), None);
    }

    #[test]
    fn location_headers_name_the_new_id() {
        assert_eq!(
            id_from_location("https://x.io/rest/align/api/2/Users/88"),
            Some(88)
        );
        assert_eq!(id_from_location("/rest/align/api/2/users/89/"), Some(89));
        assert_eq!(id_from_location("/rest/align/api/2/users"), None);
    }
}
