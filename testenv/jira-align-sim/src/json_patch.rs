//! Applying a JSON Patch body to one user, as `PATCH /Users/{id}` does: `replace` and `add`
//! set a field, `remove` clears it; read-only paths and `/status` are skipped without error;
//! `/teams/<index>` and `/teams/-` edit memberships one at a time.

use serde_json::Value;

use crate::answer::Refusal;
use crate::journal::{Breach, ViolationKind};
use crate::user::User;
use crate::user_fields::UserField;

/// What a patch touched, for the checks that follow it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct PatchEffect {
    /// An operation addressed `/isLocked`.
    pub status_touched: bool,
}

/// Applies every operation of `body` to `user`, stopping at the first refused one.
pub(crate) fn apply(
    user: &mut User,
    body: &Value,
    breaches: &mut Vec<Breach>,
) -> Result<PatchEffect, Refusal> {
    let Value::Array(operations) = body else {
        breaches.push(Breach::new(
            ViolationKind::PatchNotArray,
            "PATCH body is not a JSON array",
        ));
        return Err(Refusal::bad_request(
            "The request body must be a JSON Patch array.",
        ));
    };
    let mut effect = PatchEffect::default();
    for operation in operations {
        apply_one(user, operation, &mut effect, breaches)?;
    }
    Ok(effect)
}

fn apply_one(
    user: &mut User,
    operation: &Value,
    effect: &mut PatchEffect,
    breaches: &mut Vec<Breach>,
) -> Result<(), Refusal> {
    let op = operation
        .get("op")
        .and_then(Value::as_str)
        .map(str::to_ascii_lowercase);
    let path = operation.get("path").and_then(Value::as_str);
    let (Some(op), Some(path)) = (op, path) else {
        breaches.push(Breach::new(
            ViolationKind::PatchUnsupported,
            format!("malformed operation {operation}"),
        ));
        return Err(Refusal::bad_request(
            "Each JSON Patch operation needs 'op' and 'path'.",
        ));
    };
    let value = match (op.as_str(), operation.get("value")) {
        ("remove", _) => Value::Null,
        ("replace" | "add", Some(value)) => value.clone(),
        ("replace" | "add", None) => {
            return Err(Refusal::bad_request(format!(
                "The '{op}' operation on '{path}' needs a value."
            )));
        }
        _ => {
            breaches.push(Breach::new(
                ViolationKind::PatchUnsupported,
                format!("operation '{op}' on {path}"),
            ));
            return Err(Refusal::bad_request(format!(
                "The JSON Patch operation '{op}' is not supported."
            )));
        }
    };

    let mut segments = path.trim_start_matches('/').splitn(2, '/');
    let name = segments.next().unwrap_or_default();
    let rest = segments.next();
    let not_found = || {
        Refusal::bad_request(format!(
            "The target location specified by path '{path}' was not found."
        ))
    };
    let Some(field) = UserField::parse(name) else {
        breaches.push(Breach::new(
            ViolationKind::UnknownField,
            format!("PATCH path {path}"),
        ));
        return Err(not_found());
    };
    if field.is_read_only() {
        return Ok(());
    }
    match (field, rest) {
        (UserField::Teams, Some(index)) => {
            edit_team(&mut user.teams, &op, index, value).ok_or_else(not_found)
        }
        (_, Some(_)) => {
            breaches.push(Breach::new(
                ViolationKind::UnknownField,
                format!("PATCH path {path}"),
            ));
            Err(not_found())
        }
        (field, None) => {
            effect.status_touched |= field == UserField::IsLocked;
            user.assign(field, &value)
                .map_err(|e| Refusal::bad_request(e.message()))
        }
    }
}

/// One membership edit; `None` when the index does not fit.
fn edit_team(teams: &mut Vec<Value>, op: &str, index: &str, value: Value) -> Option<()> {
    if index == "-" {
        return (op == "add").then(|| teams.push(value));
    }
    let at: usize = index.parse().ok()?;
    match op {
        "add" if at <= teams.len() => teams.insert(at, value),
        "replace" if at < teams.len() => teams[at] = value,
        "remove" if at < teams.len() => {
            teams.remove(at);
        }
        _ => return None,
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn patched(body: Value) -> (User, Result<PatchEffect, Refusal>, Vec<Breach>) {
        let mut user = User {
            id: 1,
            title: Some("Engineer".into()),
            ..Default::default()
        };
        let mut breaches = Vec::new();
        let result = apply(&mut user, &body, &mut breaches);
        (user, result, breaches)
    }

    #[test]
    fn read_only_fields_and_status_are_skipped() {
        let body = json!([
            {"op": "replace", "path": "/status", "value": "Inactive"},
            {"op": "replace", "path": "/fullName", "value": "X Y"},
            {"op": "replace", "path": "/title", "value": "Lead"},
        ]);
        let (user, result, breaches) = patched(body);
        assert_eq!(
            result,
            Ok(PatchEffect {
                status_touched: false
            })
        );
        assert_eq!(
            (user.status.as_str(), user.title.as_deref()),
            ("", Some("Lead"))
        );
        assert!(breaches.is_empty());
    }

    #[test]
    fn a_body_that_is_not_an_array_is_refused_and_recorded() {
        let (_, result, breaches) =
            patched(json!({"op": "replace", "path": "/title", "value": "x"}));
        assert_eq!(result.map_err(|r| r.status.as_u16()), Err(400));
        assert_eq!(breaches[0].kind, ViolationKind::PatchNotArray);
    }

    #[test]
    fn teams_append_insert_and_remove_by_index() {
        let body = json!([
            {"op": "add", "path": "/teams/-", "value": {"teamId": 1}},
            {"op": "add", "path": "/teams/0", "value": {"teamId": 2}},
            {"op": "remove", "path": "/teams/1"},
        ]);
        let (user, result, _) = patched(body);
        assert_eq!(result, Ok(PatchEffect::default()));
        assert_eq!(user.teams, vec![json!({"teamId": 2})]);
    }

    #[test]
    fn unknown_paths_and_operations_are_refused() {
        let (_, result, breaches) =
            patched(json!([{"op": "replace", "path": "/nickname", "value": "x"}]));
        let expected = "The target location specified by path '/nickname' was not found.";
        assert_eq!(result.map_err(|r| r.message), Err(expected.to_owned()));
        assert_eq!(breaches[0].kind, ViolationKind::UnknownField);
        let (_, result, _) = patched(json!([{"op": "move", "from": "/title", "path": "/notes"}]));
        assert!(result.is_err());
    }
}
