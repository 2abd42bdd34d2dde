//! The facade's filter language: a tokenizer and a recursive-descent parser that turn
//! `name.display contains_ci 'jo' and status eq 'active'` into a canonical [`Filter`].
//!
//! The grammar (documented with examples in the crate README):
//!
//! ```text
//! filter     = or_expr EOF
//! or_expr    = and_expr { "or" and_expr }
//! and_expr   = unary { "and" unary }
//! unary      = "not" unary | primary
//! primary    = "(" or_expr ")" | "search" text | condition
//! condition  = field ( cmp_op literal | text_op text | "in" list | "is" [ "not" ] "null" )
//! cmp_op     = "eq" | "ne" | "gt" | "ge" | "lt" | "le"
//! text_op    = ( "contains" | "starts_with" | "ends_with" | "like" ) [ "_ci" ]
//! list       = "(" [ literal { "," literal } ] ")" | "[" [ literal { "," literal } ] "]"
//! literal    = string | bare | "true" | "false" | "null"
//! text       = string | bare
//! string     = "'" { any character except "'" | "''" } "'"
//! bare       = [ "-" | "+" ] digit { letter | digit | "." | ":" | "+" | "-" }
//! field      = a canonical field path such as name.display or finance.credit_limit
//! ```
//!
//! Keywords, operators and field paths ignore ASCII case. A bare literal (a number or an
//! unquoted date-time) is kept as written and converted to the field's type, so
//! `addresses.postal_code eq 01234` keeps its leading zero. The [`Filter`] `Display`
//! output of custgate-core is accepted, so `parse_filter(&f.to_string())` gives `f` back
//! for every filter built by this parser.

use custgate_core::query::MAX_FILTER_DEPTH;
use custgate_core::{CmpOp, Error, Field, Filter, Result, TextOp, Value};

/// The longest filter accepted, in bytes.
pub const MAX_FILTER_BYTES: usize = 8192;
/// How deeply parentheses and `not` may nest.
pub const MAX_NESTING: usize = MAX_FILTER_DEPTH;
/// The most conditions (comparisons, text matches, lists, null tests, searches) in one
/// filter.
pub const MAX_CONDITIONS: usize = 128;
/// The most values in one `in` list.
pub const MAX_LIST_VALUES: usize = 500;

/// Parses a filter of the facade's query language. Errors are validation errors on the
/// field `filter` whose message says what is wrong and at which character position.
pub fn parse_filter(input: &str) -> Result<Filter> {
    parse(input).map_err(|e| {
        let position = input
            .get(..e.at)
            .map_or(e.at, |prefix| prefix.chars().count())
            + 1;
        Error::validation_field("filter", format!("{} (at position {position})", e.message))
    })
}

#[derive(Debug)]
struct ParseError {
    /// Byte offset into the input.
    at: usize,
    message: String,
}

type PResult<T> = std::result::Result<T, ParseError>;

fn fail<T>(at: usize, message: impl Into<String>) -> PResult<T> {
    Err(ParseError {
        at,
        message: message.into(),
    })
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    /// A keyword, an operator or a field path.
    Word(String),
    /// A quoted string, unescaped.
    Str(String),
    /// An unquoted number or date-time, as written.
    Bare(String),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::Word(w) => format!("'{w}'"),
            Tok::Str(s) => format!("the string '{}'", s.replace('\'', "''")),
            Tok::Bare(b) => format!("'{b}'"),
            Tok::LParen => "'('".into(),
            Tok::RParen => "')'".into(),
            Tok::LBracket => "'['".into(),
            Tok::RBracket => "']'".into(),
            Tok::Comma => "','".into(),
        }
    }

    fn is_word(&self, keyword: &str) -> bool {
        matches!(self, Tok::Word(w) if w.eq_ignore_ascii_case(keyword))
    }
}

#[derive(Clone, Debug)]
struct Token {
    tok: Tok,
    at: usize,
}

fn tokenize(input: &str) -> PResult<Vec<Token>> {
    let mut out = Vec::new();
    let mut chars = input.char_indices().peekable();
    while let Some(&(at, c)) = chars.peek() {
        let simple = match c {
            '(' => Some(Tok::LParen),
            ')' => Some(Tok::RParen),
            '[' => Some(Tok::LBracket),
            ']' => Some(Tok::RBracket),
            ',' => Some(Tok::Comma),
            _ => None,
        };
        if let Some(tok) = simple {
            chars.next();
            out.push(Token { tok, at });
            continue;
        }
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        if c == '\'' {
            chars.next();
            let mut s = String::new();
            loop {
                match chars.next() {
                    None => return fail(at, "unterminated string: a closing ' is missing"),
                    Some((_, '\'')) => {
                        if matches!(chars.peek(), Some((_, '\''))) {
                            chars.next();
                            s.push('\'');
                        } else {
                            break;
                        }
                    }
                    Some((_, ch)) => s.push(ch),
                }
            }
            out.push(Token {
                tok: Tok::Str(s),
                at,
            });
            continue;
        }
        if c == '"' {
            return fail(at, "strings are quoted with single quotes ('...')");
        }
        if c.is_ascii_alphabetic() || c == '_' {
            let mut w = String::new();
            while let Some(&(_, ch)) = chars.peek() {
                if ch.is_ascii_alphanumeric() || ch == '_' || ch == '.' {
                    w.push(ch);
                    chars.next();
                } else {
                    break;
                }
            }
            out.push(Token {
                tok: Tok::Word(w),
                at,
            });
            continue;
        }
        let signed_number = (c == '-' || c == '+')
            && input[at + 1..]
                .chars()
                .next()
                .is_some_and(|n| n.is_ascii_digit());
        if c.is_ascii_digit() || signed_number {
            let mut b = String::new();
            b.push(c);
            chars.next();
            while let Some(&(_, ch)) = chars.peek() {
                if ch.is_ascii_alphanumeric() || matches!(ch, '.' | ':' | '+' | '-') {
                    b.push(ch);
                    chars.next();
                } else {
                    break;
                }
            }
            out.push(Token {
                tok: Tok::Bare(b),
                at,
            });
            continue;
        }
        return fail(at, format!("unexpected character '{c}'"));
    }
    Ok(out)
}

fn parse(input: &str) -> PResult<Filter> {
    if input.len() > MAX_FILTER_BYTES {
        return fail(
            0,
            format!("the filter is longer than {MAX_FILTER_BYTES} bytes"),
        );
    }
    let tokens = tokenize(input)?;
    if tokens.is_empty() {
        return fail(0, "the filter is empty");
    }
    let mut p = Parser {
        input,
        tokens,
        pos: 0,
        end: input.len(),
        nesting: 0,
        conditions: 0,
    };
    let filter = p.or_expr()?;
    if let Some(t) = p.peek() {
        return fail(
            t.at,
            format!(
                "expected 'and', 'or' or the end of the filter, found {}",
                t.tok.describe()
            ),
        );
    }
    if filter.depth() > MAX_FILTER_DEPTH {
        return fail(
            0,
            format!("the filter nests deeper than {MAX_FILTER_DEPTH} levels"),
        );
    }
    Ok(filter)
}

struct Parser<'a> {
    input: &'a str,
    tokens: Vec<Token>,
    pos: usize,
    /// The byte length of the input, for errors at its end.
    end: usize,
    nesting: usize,
    conditions: usize,
}

const CMP_OPS: [(&str, CmpOp); 6] = [
    ("eq", CmpOp::Eq),
    ("ne", CmpOp::Ne),
    ("gt", CmpOp::Gt),
    ("ge", CmpOp::Ge),
    ("lt", CmpOp::Lt),
    ("le", CmpOp::Le),
];

const TEXT_OPS: [(&str, TextOp); 4] = [
    ("contains", TextOp::Contains),
    ("starts_with", TextOp::StartsWith),
    ("ends_with", TextOp::EndsWith),
    ("like", TextOp::Like),
];

/// Words that are never a field.
const RESERVED: [&str; 7] = ["and", "or", "not", "in", "is", "true", "false"];

const OPERATORS: &str = "eq, ne, gt, ge, lt, le, contains, starts_with, ends_with, like \
     (each text operator also with _ci), in, is null, is not null";

impl Parser<'_> {
    /// The 1-based character position of a byte offset.
    fn col(&self, at: usize) -> usize {
        self.input.get(..at).map_or(at, |p| p.chars().count()) + 1
    }

    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.pos).cloned();
        if t.is_some() {
            self.pos += 1;
        }
        t
    }

    fn eat_word(&mut self, keyword: &str) -> bool {
        if self.peek().is_some_and(|t| t.tok.is_word(keyword)) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// The next token, or an error naming what was `expected` at the end of the input.
    fn expect_token(&mut self, expected: &str) -> PResult<Token> {
        match self.next() {
            Some(t) => Ok(t),
            None => fail(
                self.end,
                format!("expected {expected} at the end of the filter"),
            ),
        }
    }

    fn enter(&mut self, at: usize) -> PResult<()> {
        self.nesting += 1;
        if self.nesting > MAX_NESTING {
            return fail(
                at,
                format!("parentheses and 'not' nest deeper than {MAX_NESTING} levels"),
            );
        }
        Ok(())
    }

    fn count_condition(&mut self, at: usize) -> PResult<()> {
        self.conditions += 1;
        if self.conditions > MAX_CONDITIONS {
            return fail(
                at,
                format!("the filter has more than {MAX_CONDITIONS} conditions"),
            );
        }
        Ok(())
    }

    fn or_expr(&mut self) -> PResult<Filter> {
        let mut items = vec![self.and_expr()?];
        while self.eat_word("or") {
            items.push(self.and_expr()?);
        }
        Ok(if items.len() == 1 {
            items.pop().expect("one item")
        } else {
            Filter::Or(items)
        })
    }

    fn and_expr(&mut self) -> PResult<Filter> {
        let mut items = vec![self.unary()?];
        while self.eat_word("and") {
            items.push(self.unary()?);
        }
        Ok(if items.len() == 1 {
            items.pop().expect("one item")
        } else {
            Filter::And(items)
        })
    }

    fn unary(&mut self) -> PResult<Filter> {
        if let Some(t) = self.peek().filter(|t| t.tok.is_word("not")) {
            let at = t.at;
            self.pos += 1;
            self.enter(at)?;
            let inner = self.unary()?;
            self.nesting -= 1;
            return Ok(Filter::not(inner));
        }
        self.primary()
    }

    fn primary(&mut self) -> PResult<Filter> {
        let t = self.expect_token("a condition")?;
        match &t.tok {
            Tok::LParen => {
                self.enter(t.at)?;
                let inner = self.or_expr()?;
                match self.next() {
                    Some(Token {
                        tok: Tok::RParen, ..
                    }) => {}
                    Some(other) => {
                        return fail(
                            other.at,
                            format!(
                                "expected ')' to close the '(' at position {}, found {}",
                                self.col(t.at),
                                other.tok.describe()
                            ),
                        )
                    }
                    None => {
                        return fail(
                            self.end,
                            format!(
                                "expected ')' to close the '(' at position {}",
                                self.col(t.at)
                            ),
                        )
                    }
                }
                self.nesting -= 1;
                Ok(inner)
            }
            Tok::Word(w) if w.eq_ignore_ascii_case("search") => {
                self.count_condition(t.at)?;
                let term = self.text("search")?;
                Ok(Filter::Search(term))
            }
            Tok::Word(w) if RESERVED.iter().any(|r| w.eq_ignore_ascii_case(r)) => {
                fail(t.at, format!("expected a condition, found '{w}'"))
            }
            Tok::Word(w) => {
                let Some(field) = Field::from_path(w) else {
                    return fail(t.at, format!("unknown field '{w}'"));
                };
                self.count_condition(t.at)?;
                self.condition(field, t.at)
            }
            other => fail(
                t.at,
                format!("expected a condition, found {}", other.describe()),
            ),
        }
    }

    fn condition(&mut self, field: Field, field_at: usize) -> PResult<Filter> {
        let op = self.expect_token(&format!("an operator after '{field}'"))?;
        let Tok::Word(name) = &op.tok else {
            return fail(
                op.at,
                format!(
                    "expected an operator after '{field}', found {} (operators: {OPERATORS})",
                    op.tok.describe()
                ),
            );
        };
        let lower = name.to_ascii_lowercase();
        let core = |r: Result<Filter>| {
            r.map_err(|e| ParseError {
                at: field_at,
                message: e
                    .fields()
                    .first()
                    .map(|f| format!("{}: {}", f.field, f.message))
                    .unwrap_or_else(|| e.message().to_owned()),
            })
        };
        if let Some((_, cmp)) = CMP_OPS.iter().find(|(n, _)| *n == lower) {
            let value = self.literal(&lower)?;
            return core(Filter::compare(field, *cmp, value));
        }
        let (base, ci) = match lower.strip_suffix("_ci") {
            Some(base) => (base, true),
            None => (lower.as_str(), false),
        };
        if let Some((_, text_op)) = TEXT_OPS.iter().find(|(n, _)| *n == base) {
            let value = self.text(&lower)?;
            return core(Filter::text(field, *text_op, value, ci));
        }
        match lower.as_str() {
            "in" => {
                let values = self.list()?;
                core(Filter::in_list(field, values))
            }
            "is" => {
                let negated = self.eat_word("not");
                let t = self.expect_token("'null'")?;
                if !t.tok.is_word("null") {
                    return fail(
                        t.at,
                        format!("expected 'null' after 'is', found {}", t.tok.describe()),
                    );
                }
                let f = Filter::IsNull { field };
                Ok(if negated { Filter::not(f) } else { f })
            }
            _ => fail(
                op.at,
                format!("unknown operator '{name}' (operators: {OPERATORS})"),
            ),
        }
    }

    /// A literal after a comparison operator or in a list.
    fn literal(&mut self, after: &str) -> PResult<Value> {
        let t = self.expect_token(&format!("a value after '{after}'"))?;
        match t.tok {
            Tok::Str(s) | Tok::Bare(s) => Ok(Value::Text(s)),
            Tok::Word(w) if w.eq_ignore_ascii_case("true") => Ok(Value::Bool(true)),
            Tok::Word(w) if w.eq_ignore_ascii_case("false") => Ok(Value::Bool(false)),
            Tok::Word(w) if w.eq_ignore_ascii_case("null") => Ok(Value::Null),
            Tok::Word(w) => fail(
                t.at,
                format!(
                    "expected a value after '{after}', found '{w}' (quote text with single \
                     quotes: '{w}')"
                ),
            ),
            other => fail(
                t.at,
                format!(
                    "expected a value after '{after}' (a 'quoted string', a number, true, \
                     false or null), found {}",
                    other.describe()
                ),
            ),
        }
    }

    /// The text operand of a text operator or of `search`.
    fn text(&mut self, after: &str) -> PResult<String> {
        let t = self.expect_token(&format!("a 'quoted string' after '{after}'"))?;
        match t.tok {
            Tok::Str(s) | Tok::Bare(s) => Ok(s),
            other => fail(
                t.at,
                format!(
                    "expected a 'quoted string' after '{after}', found {}",
                    other.describe()
                ),
            ),
        }
    }

    fn list(&mut self) -> PResult<Vec<Value>> {
        let open = self.expect_token("a list such as ('a', 'b') after 'in'")?;
        let close = match open.tok {
            Tok::LParen => Tok::RParen,
            Tok::LBracket => Tok::RBracket,
            other => {
                return fail(
                    open.at,
                    format!(
                        "expected a list such as ('a', 'b') after 'in', found {}",
                        other.describe()
                    ),
                )
            }
        };
        let mut values = Vec::new();
        if self.peek().is_some_and(|t| t.tok == close) {
            self.pos += 1;
            return Ok(values);
        }
        loop {
            let at = self.peek().map_or(self.end, |t| t.at);
            let v = self.literal("in")?;
            if v.is_null() {
                return fail(at, "null cannot be in a list; use 'is null'");
            }
            values.push(v);
            if values.len() > MAX_LIST_VALUES {
                return fail(at, format!("a list holds at most {MAX_LIST_VALUES} values"));
            }
            let t = self.expect_token(&format!("',' or {}", close.describe()))?;
            if t.tok == close {
                return Ok(values);
            }
            if t.tok != Tok::Comma {
                return fail(
                    t.at,
                    format!(
                        "expected ',' or {} in the list, found {}",
                        close.describe(),
                        t.tok.describe()
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use custgate_core::Value;
    use proptest::prelude::*;

    fn cmp(path: &str, op: CmpOp, v: Value) -> Filter {
        Filter::compare(Field::from_path(path).unwrap(), op, v).unwrap()
    }

    fn text(path: &str, op: TextOp, v: &str, ci: bool) -> Filter {
        Filter::text(Field::from_path(path).unwrap(), op, v, ci).unwrap()
    }

    fn null(path: &str) -> Filter {
        Filter::IsNull {
            field: Field::from_path(path).unwrap(),
        }
    }

    /// Parses `input` and compares with `expected`: `Ok(filter)` or `Err(substring of the
    /// error message)`.
    fn check(input: &str, expected: std::result::Result<Filter, &str>) {
        let got = parse_filter(input);
        match (got, expected) {
            (Ok(f), Ok(e)) => assert_eq!(f, e, "input: {input}"),
            (Err(err), Err(needle)) => {
                assert_eq!(err.kind(), custgate_core::ErrorKind::Validation);
                assert_eq!(err.fields()[0].field, "filter");
                let msg = &err.fields()[0].message;
                assert!(
                    msg.contains(needle),
                    "input: {input}\nmessage: {msg}\nwanted: {needle}"
                );
            }
            (Ok(f), Err(needle)) => panic!("input: {input} parsed as {f}, wanted error {needle}"),
            (Err(err), Ok(e)) => panic!("input: {input} failed with {err}, wanted {e}"),
        }
    }

    #[test]
    fn valid_filters() {
        use CmpOp::*;
        let t = Value::text;
        check("status eq 'active'", Ok(cmp("status", Eq, t("active"))));
        check("STATUS EQ 'active'", Ok(cmp("status", Eq, t("active"))));
        check("seq ne 3", Ok(cmp("seq", Ne, Value::Int(3))));
        check("seq gt 3", Ok(cmp("seq", Gt, Value::Int(3))));
        check("seq ge -3", Ok(cmp("seq", Ge, Value::Int(-3))));
        check("seq lt +3", Ok(cmp("seq", Lt, Value::Int(3))));
        check("seq le '3'", Ok(cmp("seq", Le, Value::Int(3))));
        check(
            "finance.credit_limit gt 1000.50",
            Ok(cmp(
                "finance.credit_limit",
                Gt,
                Value::Decimal(rust_decimal::Decimal::new(100050, 2)),
            )),
        );
        check(
            "created_at ge 2024-01-02T03:04:05Z",
            Ok(cmp("created_at", Ge, t("2024-01-02T03:04:05Z"))),
        );
        check(
            "created_at lt 2024-01-02",
            Ok(cmp("created_at", Lt, t("2024-01-02"))),
        );
        check(
            "finance.taxable eq true",
            Ok(cmp("finance.taxable", Eq, Value::Bool(true))),
        );
        check(
            "finance.taxable ne FALSE",
            Ok(cmp("finance.taxable", Ne, Value::Bool(false))),
        );
        check(
            "addresses.postal_code eq 01234",
            Ok(cmp("addresses.postal_code", Eq, t("01234"))),
        );
        check("note eq null", Ok(null("note")));
        check("note ne null", Ok(Filter::not(null("note"))));
        check("note is null", Ok(null("note")));
        check("note is not null", Ok(Filter::not(null("note"))));
        check(
            "name.display contains 'jo'",
            Ok(text("name.display", TextOp::Contains, "jo", false)),
        );
        check(
            "name.display contains_ci 'JO'",
            Ok(text("name.display", TextOp::Contains, "JO", true)),
        );
        check(
            "name.display starts_with 'J'",
            Ok(text("name.display", TextOp::StartsWith, "J", false)),
        );
        check(
            "name.display starts_with_ci 'j'",
            Ok(text("name.display", TextOp::StartsWith, "j", true)),
        );
        check(
            "emails.address ends_with '@example.com'",
            Ok(text(
                "emails.address",
                TextOp::EndsWith,
                "@example.com",
                false,
            )),
        );
        check(
            "emails.address ends_with_ci '@EXAMPLE.com'",
            Ok(text(
                "emails.address",
                TextOp::EndsWith,
                "@EXAMPLE.com",
                true,
            )),
        );
        check(
            "name.display like 'J_hn%'",
            Ok(text("name.display", TextOp::Like, "J_hn%", false)),
        );
        check(
            "name.display like_ci 'j%'",
            Ok(text("name.display", TextOp::Like, "j%", true)),
        );
        check(
            "phones.number contains 966",
            Ok(text("phones.number", TextOp::Contains, "966", false)),
        );
        check("note eq 'O''Brien'", Ok(cmp("note", Eq, t("O'Brien"))));
        check("note eq ''", Ok(cmp("note", Eq, t(""))));
        check("note eq 'ünïcödé ✓'", Ok(cmp("note", Eq, t("ünïcödé ✓"))));
        check(
            "status in ('active', 'quote')",
            Ok(Filter::in_list(Field::Status, vec![t("active"), t("quote")]).unwrap()),
        );
        check(
            "seq in [1, 2,3]",
            Ok(Filter::in_list(
                Field::Seq,
                vec![Value::Int(1), Value::Int(2), Value::Int(3)],
            )
            .unwrap()),
        );
        check(
            "seq in ()",
            Ok(Filter::In {
                field: Field::Seq,
                values: vec![],
            }),
        );
        check("search 'zola'", Ok(Filter::Search("zola".into())));
        let a = cmp("seq", Gt, Value::Int(1));
        let b = cmp("seq", Lt, Value::Int(9));
        let c = null("note");
        check(
            "seq gt 1 and seq lt 9",
            Ok(Filter::And(vec![a.clone(), b.clone()])),
        );
        check(
            "seq gt 1 and seq lt 9 and note is null",
            Ok(Filter::And(vec![a.clone(), b.clone(), c.clone()])),
        );
        // `and` binds tighter than `or`.
        check(
            "seq gt 1 or seq lt 9 and note is null",
            Ok(Filter::Or(vec![
                a.clone(),
                Filter::And(vec![b.clone(), c.clone()]),
            ])),
        );
        check(
            "(seq gt 1 or seq lt 9) and note is null",
            Ok(Filter::And(vec![
                Filter::Or(vec![a.clone(), b.clone()]),
                c.clone(),
            ])),
        );
        // `not` binds tighter than `and`.
        check(
            "not seq gt 1 and note is null",
            Ok(Filter::And(vec![Filter::not(a.clone()), c.clone()])),
        );
        check(
            "not (seq gt 1 and note is null)",
            Ok(Filter::not(Filter::And(vec![a.clone(), c.clone()]))),
        );
        check("not not seq gt 1", Ok(a.clone()));
        check("((seq gt 1))", Ok(a.clone()));
        check("  seq   gt\t1  ", Ok(a.clone()));
    }

    #[test]
    fn invalid_filters() {
        check("", Err("the filter is empty"));
        check("   ", Err("the filter is empty"));
        check(
            "nme.display eq 'x'",
            Err("unknown field 'nme.display' (at position 1)"),
        );
        check(
            "status",
            Err("expected an operator after 'status' at the end"),
        );
        check("status equals 'x'", Err("unknown operator 'equals'"));
        check("status eq", Err("expected a value after 'eq' at the end"));
        check("status eq active", Err("quote text with single quotes"));
        check("status eq \"active\"", Err("single quotes"));
        check(
            "status eq 'active",
            Err("unterminated string: a closing ' is missing (at position 11)"),
        );
        check("status eq 'a' and", Err("expected a condition at the end"));
        check(
            "status eq 'a' or or",
            Err("expected a condition, found 'or'"),
        );
        check(
            "status eq 'a' status eq 'b'",
            Err("expected 'and', 'or' or the end"),
        );
        check(
            "(status eq 'a'",
            Err("expected ')' to close the '(' at position 1"),
        );
        check("status eq 'a')", Err("found ')'"));
        check("()", Err("expected a condition, found ')'"));
        check(
            "seq gt 'x'",
            Err("seq: 'x' is not an integer (at position 1)"),
        );
        check("seq gt 12abc", Err("'12abc' is not an integer"));
        check("finance.credit_limit gt 1.2.3", Err("is not a number"));
        check("created_at gt 'yesterday'", Err("is not a date-time"));
        check(
            "finance.taxable gt true",
            Err("booleans only compare with eq and ne"),
        );
        check("seq contains '1'", Err("applies to text fields only"));
        check(
            "note contains null",
            Err("expected a 'quoted string' after 'contains'"),
        );
        check("note gt null", Err("cannot compare with null"));
        check("note eq true", Err("cannot be compared with a Text field"));
        check("seq in 1", Err("expected a list"));
        check("seq in (1 2)", Err("expected ',' or ')'"));
        check("seq in (1, 2]", Err("expected ',' or ')'"));
        check("seq in (1,", Err("at the end"));
        check("seq in (null)", Err("null cannot be in a list"));
        check("seq in ('x')", Err("'x' is not an integer"));
        check("note is 'x'", Err("expected 'null' after 'is'"));
        check("note is", Err("expected 'null'"));
        check(
            "seq eq 1 & seq eq 2",
            Err("unexpected character '&' (at position 10)"),
        );
        check(
            "note eq 'é' and @",
            Err("unexpected character '@' (at position 17)"),
        );
        check(
            "search",
            Err("expected a 'quoted string' after 'search' at the end"),
        );
        check(
            "search eq 'x'",
            Err("expected a 'quoted string' after 'search', found 'eq'"),
        );
        check("not", Err("expected a condition at the end"));
        let deep = format!("{}seq eq 1{}", "(".repeat(40), ")".repeat(40));
        check(&deep, Err("nest deeper than 32 levels"));
        let nots = format!("{}seq eq 1", "not ".repeat(40));
        check(&nots, Err("nest deeper than 32 levels"));
        let many = vec!["seq eq 1"; MAX_CONDITIONS + 1].join(" or ");
        check(&many, Err("more than 128 conditions"));
        let list = format!("seq in ({})", vec!["1"; MAX_LIST_VALUES + 1].join(","));
        check(&list, Err("at most 500 values"));
        let long = format!("note eq '{}'", "x".repeat(MAX_FILTER_BYTES));
        check(&long, Err("longer than 8192 bytes"));
    }

    #[test]
    fn core_display_output_parses_back() {
        let samples = [
            "(name.display contains_ci 'jo' and status eq 'active')",
            "not (seq gt 7 or note is null)",
            "created_at ge 2022-11-01T10:00:00+00:00",
            "seq in [1, 2, 3]",
            "search 'O''Brien'",
            "finance.credit_limit le -12.50",
            "not phones.mobile is null",
        ];
        for s in samples {
            let f = parse_filter(s).unwrap();
            assert_eq!(f.to_string(), s, "display of {s}");
            assert_eq!(parse_filter(&f.to_string()).unwrap(), f);
        }
    }

    fn leaf() -> impl Strategy<Value = Filter> {
        let text_fields: Vec<Field> = Field::ALL
            .iter()
            .copied()
            .filter(|f| f.value_type() == custgate_core::ValueType::Text)
            .collect();
        let text_field = proptest::sample::select(text_fields);
        let word = "[a-zA-Z0-9 '%_.@+-]{0,12}";
        let cmp_op = proptest::sample::select(vec![
            CmpOp::Eq,
            CmpOp::Ne,
            CmpOp::Gt,
            CmpOp::Ge,
            CmpOp::Lt,
            CmpOp::Le,
        ]);
        let text_op = proptest::sample::select(vec![
            TextOp::Contains,
            TextOp::StartsWith,
            TextOp::EndsWith,
            TextOp::Like,
        ]);
        prop_oneof![
            (text_field.clone(), cmp_op.clone(), word).prop_map(|(f, op, s)| Filter::compare(
                f,
                op,
                Value::text(s)
            )
            .unwrap()),
            (cmp_op.clone(), any::<i64>()).prop_map(|(op, n)| Filter::compare(
                Field::Seq,
                op,
                Value::Int(n)
            )
            .unwrap()),
            (cmp_op, any::<i64>(), 0u32..6).prop_map(|(op, m, s)| {
                let d = rust_decimal::Decimal::new(m, s);
                Filter::compare(Field::CreditLimit, op, Value::Decimal(d)).unwrap()
            }),
            (0i64..4_000_000_000).prop_map(|secs| {
                let t = chrono::DateTime::from_timestamp(secs, 0).unwrap();
                Filter::compare(Field::CreatedAt, CmpOp::Gt, Value::DateTime(t)).unwrap()
            }),
            any::<bool>().prop_map(|b| Filter::eq(Field::Taxable, Value::Bool(b)).unwrap()),
            (text_field.clone(), text_op, word, any::<bool>())
                .prop_map(|(f, op, s, ci)| Filter::text(f, op, s, ci).unwrap()),
            (text_field.clone(), proptest::collection::vec(word, 0..4)).prop_map(|(f, v)| {
                Filter::in_list(f, v.into_iter().map(Value::text).collect()).unwrap()
            }),
            proptest::sample::select(Field::ALL.to_vec())
                .prop_map(|field| Filter::IsNull { field }),
            word.prop_map(Filter::Search),
        ]
    }

    fn tree() -> impl Strategy<Value = Filter> {
        leaf().prop_recursive(4, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 2..4).prop_map(Filter::And),
                proptest::collection::vec(inner.clone(), 2..4).prop_map(Filter::Or),
                inner.prop_map(Filter::not),
            ]
        })
    }

    proptest! {
        #[test]
        fn display_round_trips(f in tree()) {
            let shown = f.to_string();
            let back = parse_filter(&shown);
            prop_assert_eq!(back.as_ref().ok(), Some(&f), "{} -> {:?}", shown, back);
        }

        #[test]
        fn arbitrary_input_never_panics(s in "\\PC{0,64}") {
            let _ = parse_filter(&s);
        }

        #[test]
        fn filter_like_input_never_panics(s in "[a-z._ ()\\[\\],'0-9-]{0,80}") {
            let _ = parse_filter(&s);
        }
    }
}
