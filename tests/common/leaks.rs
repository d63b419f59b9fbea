//! Looking for a secret in output in every form it could take there: as it is, percent-
//! encoded (a token in a URL or form body) and base64-encoded at any alignment (a header
//! such as HTTP Basic, or a logged byte dump).

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 without padding.
pub fn base64(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(char::from(BASE64[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

/// The part of the base64 text of `secret` that does not depend on the bytes around it,
/// for each of the three alignments it can have.
fn base64_fragments(secret: &[u8]) -> Vec<String> {
    (0..3)
        .map(|offset| {
            let mut bytes = vec![0u8; offset];
            bytes.extend_from_slice(secret);
            let encoded = base64(&bytes);
            let start = (offset * 4).div_ceil(3);
            let end = bytes.len() * 4 / 3;
            encoded[start..end].to_string()
        })
        .collect()
}

fn percent_encoded(secret: &str) -> String {
    secret
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Every form of `secret` worth searching for.
pub fn forms(secret: &str) -> Vec<String> {
    let mut forms = vec![secret.to_string(), percent_encoded(secret)];
    forms.push(percent_encoded(secret).to_lowercase());
    forms.extend(base64_fragments(secret.as_bytes()));
    forms.sort();
    forms.dedup();
    forms
}

/// The forms of any of `secrets` that appear in `text`.
pub fn leaks(text: &str, secrets: &[&str]) -> Vec<String> {
    secrets
        .iter()
        .flat_map(|secret| forms(secret))
        .filter(|form| text.contains(form.as_str()))
        .collect()
}
