//! The query options of a list request: `$top` (at most 100), `$skip`, `$select` and
//! `$filter`. Options written without `$`, or not documented, are ignored and, in strict
//! mode, recorded as violations.

use crate::answer::Refusal;
use crate::config::{SimConfig, TopOverLimit};
use crate::filter::{self, Expr};
use crate::journal::{Breach, ViolationKind};

/// The documented maximum and default page size.
pub const MAX_TOP: usize = 100;

/// Parsed list options.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ListOptions {
    pub top: usize,
    pub skip: usize,
    /// Field names as written.
    pub select: Option<Vec<String>>,
    pub filter: Option<Expr<String>>,
}

/// Reads the options of a list request from its raw query string.
pub(crate) fn parse_list_options(
    raw_query: Option<&str>,
    config: &SimConfig,
    breaches: &mut Vec<Breach>,
) -> Result<ListOptions, Refusal> {
    let mut options = ListOptions {
        top: MAX_TOP,
        skip: 0,
        select: None,
        filter: None,
    };
    let pairs = form_urlencoded::parse(raw_query.unwrap_or_default().as_bytes());
    for (key, value) in pairs {
        match key.to_ascii_lowercase().as_str() {
            "$top" => options.top = top(&value, config, breaches)?,
            "$skip" => options.skip = count(&value, "$skip")?,
            "$select" => {
                let names = value.split(',').map(str::trim).filter(|n| !n.is_empty());
                options.select = Some(names.map(str::to_owned).collect());
            }
            "$filter" => {
                options.filter = Some(filter::parse(&value).map_err(Refusal::bad_request)?)
            }
            "expand" | "$expand" => {}
            "top" | "skip" | "select" | "filter" | "orderby" | "count" => {
                let detail = format!("query option '{key}' lacks its '$' and was ignored");
                breaches.push(Breach::new(ViolationKind::MissingDollar, detail));
            }
            _ => {
                let detail = format!("query option '{key}' is not documented and was ignored");
                breaches.push(Breach::new(ViolationKind::UndocumentedQueryOption, detail));
            }
        }
    }
    Ok(options)
}

fn top(value: &str, config: &SimConfig, breaches: &mut Vec<Breach>) -> Result<usize, Refusal> {
    let requested = count(value, "$top")?;
    if requested <= MAX_TOP {
        return Ok(requested);
    }
    breaches.push(Breach::new(
        ViolationKind::TopOverLimit,
        format!("$top={requested}"),
    ));
    match config.top_over_limit {
        TopOverLimit::Clamp => Ok(MAX_TOP),
        TopOverLimit::Reject => Err(Refusal::bad_request(format!(
            "The limit of '{MAX_TOP}' for Top query has been exceeded. \
             The value from the incoming request is '{requested}'."
        ))),
    }
}

fn count(value: &str, option: &str) -> Result<usize, Refusal> {
    value.trim().parse().map_err(|_| {
        Refusal::bad_request(format!("The value '{value}' is not valid for {option}."))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(
        query: &str,
        config: &SimConfig,
    ) -> (Result<ListOptions, Refusal>, Vec<ViolationKind>) {
        let mut breaches = Vec::new();
        let result = parse_list_options(Some(query), config, &mut breaches);
        (result, breaches.into_iter().map(|b| b.kind).collect())
    }

    #[test]
    fn options_are_read_with_their_dollar() {
        let (options, breaches) = parse(
            "$top=20&$skip=40&$select=id,%20email",
            &SimConfig::default(),
        );
        let options = options.expect("valid options");
        assert_eq!((options.top, options.skip), (20, 40));
        assert_eq!(
            options.select,
            Some(vec!["id".to_owned(), "email".to_owned()])
        );
        assert!(breaches.is_empty());
    }

    #[test]
    fn top_over_limit_clamps_or_rejects() {
        let (options, breaches) = parse("$top=500", &SimConfig::default());
        assert_eq!(options.map(|o| o.top), Ok(100));
        assert_eq!(breaches, vec![ViolationKind::TopOverLimit]);
        let reject = SimConfig {
            top_over_limit: TopOverLimit::Reject,
            ..Default::default()
        };
        let (options, _) = parse("$top=101", &reject);
        assert_eq!(options.map_err(|r| r.status.as_u16()), Err(400));
    }

    #[test]
    fn missing_dollar_is_ignored_and_recorded() {
        let (options, breaches) = parse("top=5&skip=10&$orderby=id", &SimConfig::default());
        assert_eq!(options.map(|o| (o.top, o.skip)), Ok((100, 0)));
        let expected = vec![
            ViolationKind::MissingDollar,
            ViolationKind::MissingDollar,
            ViolationKind::UndocumentedQueryOption,
        ];
        assert_eq!(breaches, expected);
    }

    #[test]
    fn malformed_numbers_are_refused() {
        let (options, _) = parse("$skip=-1", &SimConfig::default());
        let expected = "The value '-1' is not valid for $skip.";
        assert_eq!(options.map_err(|r| r.message), Err(expected.to_owned()));
    }
}
