//! Serving list requests: filter, skip, take and select over records kept in id order,
//! touching only the records a page needs and serializing only the page.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::answer::Refusal;
use crate::config::StringMatch;
use crate::filter::{Expr, Scalar};
use crate::query::ListOptions;
use crate::seed::RefRecord;
use crate::store::Store;
use crate::user::User;
use crate::user_fields::UserField;

/// One page of users as JSON bytes.
pub(crate) fn users_page(
    store: &Store,
    options: &ListOptions,
    strings: StringMatch,
) -> Result<Vec<u8>, Refusal> {
    let filter = resolved(options, &UserField::parse)?;
    let select = match &options.select {
        Some(names) => Some(
            names
                .iter()
                .map(|n| select_user_field(n))
                .collect::<Result<Vec<_>, _>>()?,
        ),
        None => None,
    };
    let keep = |user: &User| match &filter {
        Some(expr) => expr.matches(&|field: &UserField| user.scalar(*field), strings),
        None => Ok(true),
    };
    let page = match &filter {
        None => store.users_from(options.skip).take(options.top).collect(),
        Some(_) => page(store.users().values(), keep, options)?,
    };
    render(&page, select.as_deref())
}

/// One page of a reference list as JSON bytes. Properties match without regard to case;
/// a property a record lacks reads as null.
pub(crate) fn reference_page(
    records: &BTreeMap<i64, RefRecord>,
    options: &ListOptions,
    strings: StringMatch,
) -> Result<Vec<u8>, Refusal> {
    let filter = resolved(options, &|name| Some(name.to_owned()))?;
    let keep = |record: &RefRecord| match &filter {
        Some(expr) => expr.matches(&|name: &String| record_scalar(record, name), strings),
        None => Ok(true),
    };
    let page = page(records.values(), keep, options)?;
    let select: Option<Vec<&str>> = options
        .select
        .as_ref()
        .map(|n| n.iter().map(String::as_str).collect());
    render(&page, select.as_deref())
}

/// The request's filter with property names resolved, if it has one.
fn resolved<K>(
    options: &ListOptions,
    lookup: &dyn Fn(&str) -> Option<K>,
) -> Result<Option<Expr<K>>, Refusal> {
    let resolve = |expr: &Expr<String>| expr.clone().resolve(lookup);
    options
        .filter
        .as_ref()
        .map(resolve)
        .transpose()
        .map_err(Refusal::bad_request)
}

/// Filters first, then skips, then takes, as the documentation orders `$skip` before `$top`.
fn page<'a, T>(
    items: impl Iterator<Item = &'a T>,
    keep: impl Fn(&T) -> Result<bool, String>,
    options: &ListOptions,
) -> Result<Vec<&'a T>, Refusal> {
    let mut page = Vec::with_capacity(options.top);
    let mut skipped = 0;
    for item in items {
        if page.len() == options.top {
            break;
        }
        if !keep(item).map_err(Refusal::bad_request)? {
            continue;
        }
        if skipped < options.skip {
            skipped += 1;
            continue;
        }
        page.push(item);
    }
    Ok(page)
}

fn select_user_field(name: &str) -> Result<&'static str, Refusal> {
    UserField::parse(name)
        .map(UserField::name)
        .ok_or_else(|| Refusal::bad_request(format!("Could not find a property named '{name}'.")))
}

/// Serializes a page; with a selection, each item keeps only the named properties (matched
/// without regard to case).
fn render<T: Serialize>(page: &[&T], select: Option<&[&str]>) -> Result<Vec<u8>, Refusal> {
    let internal = |e: serde_json::Error| {
        Refusal::new(axum::http::StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
    };
    let Some(select) = select else {
        return serde_json::to_vec(page).map_err(internal);
    };
    let mut items = Vec::with_capacity(page.len());
    for item in page {
        let Value::Object(fields) = serde_json::to_value(item).map_err(internal)? else {
            continue;
        };
        let kept: Map<String, Value> = fields
            .into_iter()
            .filter(|(key, _)| select.iter().any(|name| name.eq_ignore_ascii_case(key)))
            .collect();
        items.push(Value::Object(kept));
    }
    serde_json::to_vec(&items).map_err(internal)
}

fn record_scalar<'r>(record: &'r RefRecord, name: &str) -> Scalar<'r> {
    if name.eq_ignore_ascii_case("id") {
        return Scalar::Int(record.id);
    }
    let value = record
        .fields
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, v)| v);
    match value {
        None | Some(Value::Null) => Scalar::Null,
        Some(Value::Bool(flag)) => Scalar::Bool(*flag),
        Some(Value::String(text)) => Scalar::Str(text),
        Some(Value::Number(n)) => n.as_i64().map_or(Scalar::Unsupported, Scalar::Int),
        Some(_) => Scalar::Unsupported,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::Seed;

    fn users(n: i64) -> Store {
        let user = |id| User {
            id,
            is_locked: -(id % 2),
            ..Default::default()
        };
        Store::from_seed(
            &Seed {
                users: (1..=n).map(user).collect(),
                ..Default::default()
            },
            "",
        )
    }

    fn ids(bytes: &[u8]) -> Vec<i64> {
        let items: Vec<Value> = serde_json::from_slice(bytes).expect("pages are JSON arrays");
        items
            .iter()
            .filter_map(|item| item["id"].as_i64())
            .collect()
    }

    fn options(top: usize, skip: usize, filter: Option<&str>) -> ListOptions {
        let filter = filter.map(|f| crate::filter::parse(f).expect("test filters are valid"));
        ListOptions {
            top,
            skip,
            select: None,
            filter,
        }
    }

    #[test]
    fn skip_applies_after_filter_and_before_top() {
        let page = users_page(
            &users(20),
            &options(3, 2, Some("isLocked eq 0")),
            StringMatch::IgnoreCase,
        );
        assert_eq!(page.map(|b| ids(&b)), Ok(vec![6, 8, 10]));
    }

    #[test]
    fn a_page_past_the_end_is_empty() {
        let page = users_page(&users(5), &options(100, 5, None), StringMatch::IgnoreCase);
        assert_eq!(page, Ok(b"[]".to_vec()));
    }

    #[test]
    fn select_keeps_named_fields_only() {
        let mut opts = options(1, 0, None);
        opts.select = Some(vec!["ID".to_owned(), "isLocked".to_owned()]);
        let page = users_page(&users(3), &opts, StringMatch::IgnoreCase).expect("valid select");
        assert_eq!(
            String::from_utf8_lossy(&page),
            r#"[{"id":1,"isLocked":-1}]"#
        );
        opts.select = Some(vec!["nickname".to_owned()]);
        assert!(users_page(&users(3), &opts, StringMatch::IgnoreCase).is_err());
    }
}
