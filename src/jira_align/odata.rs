//! Query strings for API 2.0 lists: OData string literals, the `$select` list a sync needs and
//! percent-encoding that keeps the `$` of query options readable.

/// Most records the API returns per list call.
pub const PAGE_SIZE: usize = 100;

/// The user fields a sync reads; nothing else is fetched.
pub const USER_SELECT: &str =
    "id,externalId,email,firstName,lastName,title,isLocked,roleId,divisionId,cityId";

/// An OData string literal: the text in single quotes, each quote doubled.
pub fn string_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// A query string (without the leading `?`) from name/value pairs. Unreserved characters,
/// `$` and `,` stay as they are; everything else, spaces included, is percent-encoded.
pub fn encode_query(pairs: &[(&str, &str)]) -> String {
    let mut query = String::new();
    for (name, value) in pairs {
        if !query.is_empty() {
            query.push('&');
        }
        encode_into(&mut query, name);
        query.push('=');
        encode_into(&mut query, value);
    }
    query
}

fn encode_into(out: &mut String, text: &str) {
    for byte in text.bytes() {
        let keep = byte.is_ascii_alphanumeric() || b"-._~$,".contains(&byte);
        if keep {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_inside_a_literal_are_doubled() {
        assert_eq!(
            string_literal("o'brien@example.com"),
            "'o''brien@example.com'"
        );
        assert_eq!(string_literal("''"), "''''''");
        assert_eq!(string_literal(""), "''");
    }

    #[test]
    fn query_options_keep_their_dollar_and_encode_the_rest() {
        let filter = format!("email eq {}", string_literal("a+b's@x.io"));
        let query = encode_query(&[("$filter", &filter), ("$top", "100")]);
        assert_eq!(
            query,
            "$filter=email%20eq%20%27a%2Bb%27%27s%40x.io%27&$top=100"
        );
    }

    #[test]
    fn the_select_list_keeps_its_commas() {
        let query = encode_query(&[("$select", "id,email")]);
        assert_eq!(query, "$select=id,email");
    }

    #[test]
    fn non_ascii_text_is_encoded_as_utf8_bytes() {
        assert_eq!(encode_query(&[("q", "é")]), "q=%C3%A9");
    }
}
