//! The human message inside an error answer. The envelope is undocumented, so this accepts
//! `{"message": ...}`, RFC 9457 problem details (`title`, `detail`, `errors`), a JSON string
//! and plain text, and removes the API token should a server ever echo it.

use serde_json::Value;

/// Longest message kept; longer ones (HTML error pages, stack traces) are cut.
const MAX_MESSAGE_CHARS: usize = 400;

/// The message of an error body, or `None` when the body says nothing.
pub fn server_message(body: &[u8], secrets: &[&str]) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let message = match serde_json::from_str::<Value>(text) {
        Ok(value) => from_json(&value)?,
        Err(_) => collapse_whitespace(text),
    };
    let message = redact(&message, secrets);
    Some(truncate(&message))
}

fn from_json(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => non_empty(text),
        Value::Object(fields) => {
            let field = |name: &str| {
                let found = fields
                    .iter()
                    .find(|(key, _)| key.eq_ignore_ascii_case(name));
                found
                    .and_then(|(_, value)| value.as_str())
                    .and_then(non_empty)
            };
            if let Some(message) = field("message") {
                return Some(message);
            }
            let mut parts: Vec<String> = [field("title"), field("detail")]
                .into_iter()
                .flatten()
                .collect();
            if let Some((_, errors)) = fields
                .iter()
                .find(|(key, _)| key.eq_ignore_ascii_case("errors"))
            {
                parts.extend(validation_errors(errors));
            }
            if parts.is_empty() {
                return field("error");
            }
            Some(parts.join("; "))
        }
        _ => None,
    }
}

/// `{"Email": ["is required"]}`, `["text"]` or `[{"message": "text"}]`, one part each.
fn validation_errors(errors: &Value) -> Vec<String> {
    match errors {
        Value::Object(by_field) => by_field
            .iter()
            .map(|(name, problems)| format!("{name}: {}", flatten(problems)))
            .collect(),
        Value::Array(items) => items.iter().filter_map(from_json).collect(),
        other => from_json(other).into_iter().collect(),
    }
}

fn flatten(problems: &Value) -> String {
    match problems {
        Value::Array(items) => {
            let texts: Vec<String> = items.iter().map(flatten).collect();
            texts.join(", ")
        }
        Value::String(text) => text.clone(),
        other => from_json(other).unwrap_or_else(|| other.to_string()),
    }
}

fn non_empty(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Replaces every secret (the token, and its secret part) with a marker.
pub fn redact(text: &str, secrets: &[&str]) -> String {
    let mut clean = text.to_owned();
    for secret in secrets.iter().filter(|s| s.len() >= 4) {
        clean = clean.replace(secret, "<redacted>");
    }
    clean
}

fn truncate(text: &str) -> String {
    match text.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(body: &str) -> Option<String> {
        server_message(body.as_bytes(), &["user:1|s3cret", "s3cret"])
    }

    #[test]
    fn a_message_envelope_gives_its_message() {
        let body = r#"{"message": "A user with the email 'a@x.io' already exists."}"#;
        assert_eq!(
            message(body).as_deref(),
            Some("A user with the email 'a@x.io' already exists.")
        );
        assert_eq!(
            message(r#"{"Message": "Bad id."}"#).as_deref(),
            Some("Bad id.")
        );
    }

    #[test]
    fn problem_details_join_title_detail_and_field_errors() {
        let body = r#"{"type":"about:blank","title":"Bad Request","status":400,
            "detail":"roleId 99 does not exist."}"#;
        assert_eq!(
            message(body).as_deref(),
            Some("Bad Request; roleId 99 does not exist.")
        );

        let body = r#"{"title":"One or more validation errors occurred.",
            "errors":{"Email":["The Email field is required.","Too short."]}}"#;
        assert_eq!(
            message(body).as_deref(),
            Some(
                "One or more validation errors occurred.; Email: The Email field is required., Too short."
            )
        );
    }

    #[test]
    fn plain_text_and_json_strings_are_kept_and_empty_bodies_say_nothing() {
        assert_eq!(
            message("  Invalid   request\n").as_deref(),
            Some("Invalid request")
        );
        assert_eq!(message(r#""Nope""#).as_deref(), Some("Nope"));
        assert_eq!(message(""), None);
        assert_eq!(message("{}"), None);
        assert_eq!(message("[1,2]"), None);
    }

    #[test]
    fn an_echoed_token_is_redacted() {
        let body = r#"{"message": "token user:1|s3cret is not valid"}"#;
        assert_eq!(
            message(body).as_deref(),
            Some("token <redacted> is not valid")
        );
    }

    #[test]
    fn long_messages_are_cut() {
        let long = "x".repeat(1000);
        let cut = message(&long).unwrap_or_default();
        assert_eq!(cut.len(), MAX_MESSAGE_CHARS + 3);
        assert!(cut.ends_with("..."));
    }
}
