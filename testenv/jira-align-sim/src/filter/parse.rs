//! Parsing the documented `$filter` subset: comparisons (`eq ne gt ge lt le`) of a property,
//! or of `hour(p)`/`minute(p)`, with a literal, joined by `and`/`or` and parentheses.
//! Literals: integers, 'quoted strings' ('' escapes a quote), null, true, false, and unquoted
//! dates or date-times such as 2024-07-01T10:30:00Z.

use chrono::{DateTime, Utc};

use super::{CompareOp, Expr, Literal, Operand};
use crate::user_fields::parse_date_time;

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Open,
    Close,
    Word(String),
    Text(String),
    Int(i64),
    Date(DateTime<Utc>),
}

/// Parses a `$filter` value into an expression over property names as written.
pub(crate) fn parse(input: &str) -> Result<Expr<String>, String> {
    let tokens = tokenize(input)?;
    let mut parser = Parser { tokens, at: 0 };
    let expr = parser.or_expr()?;
    match parser.tokens.get(parser.at) {
        None => Ok(expr),
        Some(token) => Err(format!("unexpected {token:?} in $filter")),
    }
}

fn tokenize(input: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = input.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let starts_number = c.is_ascii_digit()
            || (c == '-' && chars.get(i + 1).is_some_and(|next| next.is_ascii_digit()));
        if c.is_whitespace() {
            i += 1;
        } else if c == '(' || c == ')' {
            tokens.push(if c == '(' { Token::Open } else { Token::Close });
            i += 1;
        } else if c == '\'' {
            let (text, next) = quoted(&chars, i + 1)?;
            tokens.push(Token::Text(text));
            i = next;
        } else if starts_number {
            let end = run_end(&chars, i, |ch| {
                ch.is_ascii_alphanumeric() || ":.+-".contains(ch)
            });
            let word: String = chars[i..end].iter().collect();
            tokens.push(number_or_date(&word)?);
            i = end;
        } else if c.is_ascii_alphabetic() || c == '_' {
            let end = run_end(&chars, i, |ch| {
                ch.is_ascii_alphanumeric() || ch == '_' || ch == '/'
            });
            tokens.push(Token::Word(chars[i..end].iter().collect()));
            i = end;
        } else {
            return Err(format!("unexpected character '{c}' in $filter"));
        }
    }
    Ok(tokens)
}

fn run_end(chars: &[char], start: usize, keep: impl Fn(char) -> bool) -> usize {
    let mut end = start + 1;
    while end < chars.len() && keep(chars[end]) {
        end += 1;
    }
    end
}

fn quoted(chars: &[char], mut i: usize) -> Result<(String, usize), String> {
    let mut text = String::new();
    while i < chars.len() {
        if chars[i] == '\'' {
            if chars.get(i + 1) == Some(&'\'') {
                text.push('\'');
                i += 2;
                continue;
            }
            return Ok((text, i + 1));
        }
        text.push(chars[i]);
        i += 1;
    }
    Err("unterminated string literal in $filter".to_owned())
}

fn number_or_date(word: &str) -> Result<Token, String> {
    if let Ok(n) = word.parse::<i64>() {
        return Ok(Token::Int(n));
    }
    parse_date_time(word)
        .map(Token::Date)
        .ok_or_else(|| format!("'{word}' is not a valid literal in $filter"))
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn peek_keyword(&self, keyword: &str) -> bool {
        matches!(self.tokens.get(self.at), Some(Token::Word(w)) if w.eq_ignore_ascii_case(keyword))
    }

    fn or_expr(&mut self) -> Result<Expr<String>, String> {
        let mut left = self.and_expr()?;
        while self.peek_keyword("or") {
            self.at += 1;
            left = Expr::Or(Box::new(left), Box::new(self.and_expr()?));
        }
        Ok(left)
    }

    fn and_expr(&mut self) -> Result<Expr<String>, String> {
        let mut left = self.primary()?;
        while self.peek_keyword("and") {
            self.at += 1;
            left = Expr::And(Box::new(left), Box::new(self.primary()?));
        }
        Ok(left)
    }

    fn primary(&mut self) -> Result<Expr<String>, String> {
        if self.tokens.get(self.at) == Some(&Token::Open) {
            self.at += 1;
            let inner = self.or_expr()?;
            return match self.next() {
                Some(Token::Close) => Ok(inner),
                _ => Err("missing ')' in $filter".to_owned()),
            };
        }
        let operand = self.operand()?;
        let op = match self.next() {
            Some(Token::Word(word)) => CompareOp::parse(&word)
                .ok_or_else(|| format!("unsupported operator '{word}' in $filter"))?,
            other => return Err(format!("expected an operator in $filter, found {other:?}")),
        };
        let literal = self.literal()?;
        Ok(Expr::Compare {
            operand,
            op,
            literal,
        })
    }

    fn operand(&mut self) -> Result<Operand<String>, String> {
        let word = match self.next() {
            Some(Token::Word(word)) => word,
            other => return Err(format!("expected a property in $filter, found {other:?}")),
        };
        if word.contains('/')
            || ["not", "contains", "startswith", "endswith", "any"]
                .iter()
                .any(|k| word.eq_ignore_ascii_case(k))
        {
            return Err(format!("'{word}' is not supported in $filter"));
        }
        let is_function = self.tokens.get(self.at) == Some(&Token::Open);
        if !is_function {
            return Ok(Operand::Field(word));
        }
        self.at += 1;
        let inner = match (self.next(), self.next()) {
            (Some(Token::Word(inner)), Some(Token::Close)) => inner,
            _ => return Err(format!("malformed call of '{word}' in $filter")),
        };
        match word.to_ascii_lowercase().as_str() {
            "hour" => Ok(Operand::Hour(inner)),
            "minute" => Ok(Operand::Minute(inner)),
            _ => Err(format!("function '{word}' is not supported in $filter")),
        }
    }

    fn literal(&mut self) -> Result<Literal, String> {
        match self.next() {
            Some(Token::Int(n)) => Ok(Literal::Int(n)),
            Some(Token::Text(s)) => Ok(Literal::Text(s)),
            Some(Token::Date(d)) => Ok(Literal::Date(d)),
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("null") => Ok(Literal::Null),
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("true") => Ok(Literal::Bool(true)),
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("false") => Ok(Literal::Bool(false)),
            other => Err(format!("expected a literal in $filter, found {other:?}")),
        }
    }
}
