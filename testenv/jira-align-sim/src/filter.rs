//! `$filter` expressions: the parsed form, property resolution and evaluation against one
//! record. Date-times compare by day only, as the documentation says the time part is
//! ignored; `hour(p)` and `minute(p)` reach the time.

mod parse;

use std::cmp::Ordering;

use chrono::{DateTime, Timelike, Utc};

pub(crate) use parse::parse;

use crate::config::StringMatch;
use crate::user_fields::parse_date_time;

/// One field value as a filter sees it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Scalar<'a> {
    Null,
    Int(i64),
    Str(&'a str),
    Bool(bool),
    Date(DateTime<Utc>),
    /// A value filters cannot compare (arrays, objects, fractions).
    Unsupported,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CompareOp {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

impl CompareOp {
    fn parse(word: &str) -> Option<Self> {
        match word.to_ascii_lowercase().as_str() {
            "eq" => Some(CompareOp::Eq),
            "ne" => Some(CompareOp::Ne),
            "gt" => Some(CompareOp::Gt),
            "ge" => Some(CompareOp::Ge),
            "lt" => Some(CompareOp::Lt),
            "le" => Some(CompareOp::Le),
            _ => None,
        }
    }

    fn holds(self, ordering: Ordering) -> bool {
        match self {
            CompareOp::Eq => ordering == Ordering::Equal,
            CompareOp::Ne => ordering != Ordering::Equal,
            CompareOp::Gt => ordering == Ordering::Greater,
            CompareOp::Ge => ordering != Ordering::Less,
            CompareOp::Lt => ordering == Ordering::Less,
            CompareOp::Le => ordering != Ordering::Greater,
        }
    }
}

/// The left side of a comparison; `K` names a property.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Operand<K> {
    Field(K),
    Hour(K),
    Minute(K),
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Literal {
    Null,
    Int(i64),
    Text(String),
    Bool(bool),
    Date(DateTime<Utc>),
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Expr<K> {
    And(Box<Expr<K>>, Box<Expr<K>>),
    Or(Box<Expr<K>>, Box<Expr<K>>),
    Compare {
        operand: Operand<K>,
        op: CompareOp,
        literal: Literal,
    },
}

impl Expr<String> {
    /// Replaces property names by keys, refusing names the record type does not have.
    pub(crate) fn resolve<K>(self, lookup: &dyn Fn(&str) -> Option<K>) -> Result<Expr<K>, String> {
        let key = |name: String| {
            lookup(&name).ok_or_else(|| format!("Could not find a property named '{name}'."))
        };
        Ok(match self {
            Expr::And(a, b) => {
                Expr::And(Box::new(a.resolve(lookup)?), Box::new(b.resolve(lookup)?))
            }
            Expr::Or(a, b) => Expr::Or(Box::new(a.resolve(lookup)?), Box::new(b.resolve(lookup)?)),
            Expr::Compare {
                operand,
                op,
                literal,
            } => {
                let operand = match operand {
                    Operand::Field(name) => Operand::Field(key(name)?),
                    Operand::Hour(name) => Operand::Hour(key(name)?),
                    Operand::Minute(name) => Operand::Minute(key(name)?),
                };
                Expr::Compare {
                    operand,
                    op,
                    literal,
                }
            }
        })
    }
}

impl<K> Expr<K> {
    /// Whether the record whose fields `get` reads satisfies the expression.
    pub(crate) fn matches<'r>(
        &self,
        get: &dyn Fn(&K) -> Scalar<'r>,
        strings: StringMatch,
    ) -> Result<bool, String> {
        match self {
            Expr::And(a, b) => Ok(a.matches(get, strings)? && b.matches(get, strings)?),
            Expr::Or(a, b) => Ok(a.matches(get, strings)? || b.matches(get, strings)?),
            Expr::Compare {
                operand,
                op,
                literal,
            } => {
                let value = match operand {
                    Operand::Field(key) => get(key),
                    Operand::Hour(key) => time_part(get(key), |d| d.hour())?,
                    Operand::Minute(key) => time_part(get(key), |d| d.minute())?,
                };
                compare(value, *op, literal, strings)
            }
        }
    }
}

fn time_part<'r>(value: Scalar<'r>, part: fn(&DateTime<Utc>) -> u32) -> Result<Scalar<'r>, String> {
    match value {
        Scalar::Null => Ok(Scalar::Null),
        Scalar::Date(d) => Ok(Scalar::Int(i64::from(part(&d)))),
        _ => Err("hour() and minute() need a date-time property".to_owned()),
    }
}

fn compare(
    value: Scalar<'_>,
    op: CompareOp,
    literal: &Literal,
    strings: StringMatch,
) -> Result<bool, String> {
    let ordering = match (value, literal) {
        (Scalar::Null, _) | (_, Literal::Null) => {
            let both_null = value == Scalar::Null && *literal == Literal::Null;
            return Ok(match op {
                CompareOp::Eq => both_null,
                CompareOp::Ne => !both_null,
                _ => false,
            });
        }
        (Scalar::Int(a), Literal::Int(b)) => a.cmp(b),
        (Scalar::Bool(a), Literal::Bool(b)) => a.cmp(b),
        (Scalar::Bool(a), Literal::Int(b @ (0 | 1))) => i64::from(a).cmp(b),
        (Scalar::Str(a), Literal::Text(b)) => match strings {
            StringMatch::Exact => a.cmp(b.as_str()),
            StringMatch::IgnoreCase => a
                .chars()
                .flat_map(char::to_lowercase)
                .cmp(b.chars().flat_map(char::to_lowercase)),
        },
        (Scalar::Date(a), Literal::Date(b)) => a.date_naive().cmp(&b.date_naive()),
        (Scalar::Date(a), Literal::Text(b)) => match parse_date_time(b) {
            Some(b) => a.date_naive().cmp(&b.date_naive()),
            None => return Err(format!("'{b}' is not a date")),
        },
        (Scalar::Str(a), Literal::Date(b)) => match parse_date_time(a) {
            Some(a) => a.date_naive().cmp(&b.date_naive()),
            None => return Ok(false),
        },
        (value, literal) => {
            return Err(format!(
                "cannot compare {value:?} with {literal:?} in $filter"
            ));
        }
    };
    Ok(op.holds(ordering))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::user::User;
    use crate::user_fields::UserField;

    fn user_filter(text: &str) -> Expr<UserField> {
        let expr = parse(text).expect("test filters are valid");
        expr.resolve(&UserField::parse)
            .expect("test filters name real fields")
    }

    fn sample() -> User {
        User {
            id: 5,
            role_id: Some(3),
            email: Some("Ada@Example.test".into()),
            create_date: parse_date_time("2024-07-01T10:30:00Z"),
            ..Default::default()
        }
    }

    fn holds(text: &str, strings: StringMatch) -> bool {
        let user = sample();
        let get = |field: &UserField| user.scalar(*field);
        user_filter(text)
            .matches(&get, strings)
            .expect("test filters compare like types")
    }

    #[test]
    fn property_names_ignore_case_and_operators_combine() {
        assert!(holds(
            "roleID eq 3 and isLocked eq 0",
            StringMatch::IgnoreCase
        ));
        assert!(!holds(
            "roleId eq 3 and isLocked eq -1",
            StringMatch::IgnoreCase
        ));
        assert!(holds(
            "(roleId eq 9 or roleId ne 9) and id le 5",
            StringMatch::IgnoreCase
        ));
        assert!(holds(
            "userEndDate eq null and email ne null",
            StringMatch::IgnoreCase
        ));
    }

    #[test]
    fn dates_compare_by_day() {
        let ignore = StringMatch::IgnoreCase;
        assert!(holds("createDate eq 2024-07-01T23:59:00Z", ignore));
        assert!(!holds("createDate gt 2024-07-01T00:00:00Z", ignore));
        assert!(holds("createDate ge 2024-07-01", ignore));
        assert!(holds(
            "hour(createDate) eq 10 and minute(createDate) eq 30",
            ignore
        ));
    }

    #[test]
    fn string_case_follows_the_knob() {
        assert!(holds(
            "email eq 'ada@example.test'",
            StringMatch::IgnoreCase
        ));
        assert!(!holds("email eq 'ada@example.test'", StringMatch::Exact));
        assert!(holds("email eq 'Ada@Example.test'", StringMatch::Exact));
    }

    #[test]
    fn unknown_and_unsupported_forms_are_errors() {
        let unknown = parse("nickname eq 'x'")
            .expect("syntax is fine")
            .resolve(&UserField::parse);
        assert_eq!(
            unknown,
            Err("Could not find a property named 'nickname'.".to_owned())
        );
        assert!(parse("teams/any(x: x/teamId eq 1)").is_err());
        assert!(parse("contains(email, 'a')").is_err());
        assert!(parse("roleId eq").is_err());
        assert!(parse("email eq 'open").is_err());
    }

    #[test]
    fn quotes_escape_by_doubling() {
        let expr = parse("lastName eq 'O''Brien'").expect("doubled quote is valid");
        let expected = Expr::Compare {
            operand: Operand::Field("lastName".to_owned()),
            op: CompareOp::Eq,
            literal: Literal::Text("O'Brien".to_owned()),
        };
        assert_eq!(expr, expected);
    }
}
