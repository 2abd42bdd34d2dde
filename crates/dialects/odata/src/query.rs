//! The dialect's query language ↔ the canonical [`Query`], both ways.
//!
//! `filter` is tokenised ([`tokenize`]) and parsed by recursive descent with one function
//! per precedence level (`or` < `and` < `not` < comparison < atom), under a nesting limit
//! and an input size limit; every error names its position (a 0-based character offset).
//! Dotted paths over the Unimicro model map onto canonical [`Field`]s ([`PATHS`]).
//! `expand` and `select` become trees applied to the rendered entity ([`View`]).
//! [`filter_to_string`] and [`to_params`] go the other way, for the upstream client.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use custgate_core::query::MAX_FILTER_DEPTH;
use custgate_core::{
    CmpOp, Error, Field, FieldError, Filter, Query, SortKey, Status, TextOp, Value, ValueType,
};
use rust_decimal::Decimal;

use crate::validate;
use crate::wire::{self, Level};

// ---------------------------------------------------------------------------------------
// Limits and errors.
// ---------------------------------------------------------------------------------------

/// How much filter a request may send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FilterLimits {
    /// The longest filter, in bytes.
    pub max_bytes: usize,
    /// The deepest nesting of parentheses, `not` and function calls.
    pub max_depth: usize,
}

impl Default for FilterLimits {
    fn default() -> Self {
        Self {
            max_bytes: 4096,
            max_depth: 24,
        }
    }
}

/// The deepest nesting a configuration may allow: the parser's tree plus the few levels
/// a `CustomerNumber` range adds stay within what every store accepts.
pub const MAX_PARSE_DEPTH: usize = MAX_FILTER_DEPTH - 4;

/// A filter the parser refused, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilterError {
    /// 0-based character offset into the filter.
    pub position: usize,
    pub message: String,
}

impl FilterError {
    fn new(position: usize, message: impl Into<String>) -> Self {
        Self {
            position,
            message: message.into(),
        }
    }
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at position {}", self.message, self.position)
    }
}

impl std::error::Error for FilterError {}

impl From<FilterError> for Error {
    fn from(e: FilterError) -> Self {
        Error::validation_field("filter", e.to_string())
            .with_context("position", e.position.to_string())
    }
}

// ---------------------------------------------------------------------------------------
// Tokens.
// ---------------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq)]
pub enum Tok {
    /// A name or a dotted path (`/` separators become `.`); keywords are names too.
    Ident(String),
    Str(String),
    Int(i64),
    Dec(Decimal),
    /// A date or date-time literal, unquoted or `datetime'…'`.
    Date(String),
    LParen,
    RParen,
    Comma,
    Eof,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    pub tok: Tok,
    /// 0-based character offset.
    pub pos: usize,
}

fn ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Splits a filter into tokens, in one pass.
pub fn tokenize(input: &str) -> Result<Vec<Token>, FilterError> {
    let chars: Vec<char> = input.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let tok = match c {
            '(' => {
                i += 1;
                Tok::LParen
            }
            ')' => {
                i += 1;
                Tok::RParen
            }
            ',' => {
                i += 1;
                Tok::Comma
            }
            '\'' => {
                let (s, next) = string_literal(&chars, i)?;
                i = next;
                Tok::Str(s)
            }
            c if c.is_ascii_digit()
                || (c == '-' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) =>
            {
                let (t, next) = number_literal(&chars, i)?;
                i = next;
                t
            }
            c if ident_start(c) => {
                let mut s = String::new();
                loop {
                    while i < chars.len() && ident_char(chars[i]) {
                        s.push(chars[i]);
                        i += 1;
                    }
                    if i + 1 < chars.len()
                        && (chars[i] == '.' || chars[i] == '/')
                        && ident_start(chars[i + 1])
                    {
                        s.push('.');
                        i += 1;
                    } else {
                        break;
                    }
                }
                let lower = s.to_ascii_lowercase();
                if (lower == "datetime" || lower == "datetimeoffset") && chars.get(i) == Some(&'\'')
                {
                    let (d, next) = string_literal(&chars, i)?;
                    i = next;
                    Tok::Date(d)
                } else {
                    Tok::Ident(s)
                }
            }
            other => {
                return Err(FilterError::new(
                    i,
                    format!("unexpected character '{other}'"),
                ))
            }
        };
        out.push(Token { tok, pos: start });
    }
    out.push(Token {
        tok: Tok::Eof,
        pos: chars.len(),
    });
    Ok(out)
}

fn string_literal(chars: &[char], start: usize) -> Result<(String, usize), FilterError> {
    let mut s = String::new();
    let mut i = start + 1;
    loop {
        match chars.get(i) {
            None => return Err(FilterError::new(start, "unterminated string literal")),
            Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                s.push('\'');
                i += 2;
            }
            Some('\'') => return Ok((s, i + 1)),
            Some(c) => {
                s.push(*c);
                i += 1;
            }
        }
    }
}

fn number_literal(chars: &[char], start: usize) -> Result<(Tok, usize), FilterError> {
    let mut i = start;
    if chars[i] == '-' {
        i += 1;
    }
    let digits_from = i;
    while i < chars.len() && chars[i].is_ascii_digit() {
        i += 1;
    }
    // An unquoted date: four digits and a dash.
    if chars[start] != '-'
        && i - digits_from == 4
        && chars.get(i) == Some(&'-')
        && chars.get(i + 1).is_some_and(char::is_ascii_digit)
    {
        while i < chars.len() && (chars[i].is_ascii_digit() || "-:.TZtz+".contains(chars[i])) {
            i += 1;
        }
        let text: String = chars[start..i].iter().collect();
        return Ok((Tok::Date(text), i));
    }
    let mut decimal = false;
    if chars.get(i) == Some(&'.') && chars.get(i + 1).is_some_and(char::is_ascii_digit) {
        decimal = true;
        i += 1;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
    }
    if chars.get(i).copied().is_some_and(ident_start) {
        return Err(FilterError::new(
            i,
            format!("unexpected character '{}'", chars[i]),
        ));
    }
    let text: String = chars[start..i].iter().collect();
    let tok = if decimal {
        Tok::Dec(
            Decimal::from_str(&text)
                .map_err(|_| FilterError::new(start, format!("{text} is not a number")))?,
        )
    } else {
        Tok::Int(
            text.parse()
                .map_err(|_| FilterError::new(start, format!("{text} is too large")))?,
        )
    };
    Ok((tok, i))
}

// ---------------------------------------------------------------------------------------
// Paths.
// ---------------------------------------------------------------------------------------

/// What a filterable path stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// A canonical field, compared as that field's type.
    Field(Field),
    /// `CustomerNumber`: an integer on the wire, text in the canonical model.
    Number,
    /// `StatusCode`: 30001 / 50001 / 90001 / null.
    Status,
    /// `IsPrivate`: the canonical kind is `person`.
    Private,
}

/// Every path a filter or `orderby` may use, and its meaning.
pub const PATHS: &[(&str, Target)] = &[
    ("ID", Target::Field(Field::Seq)),
    ("CustomerNumber", Target::Number),
    ("OrgNumber", Target::Field(Field::OrgNumber)),
    ("StatusCode", Target::Status),
    ("IsPrivate", Target::Private),
    ("Info.Name", Target::Field(Field::DisplayName)),
    (
        "Info.DefaultEmail.EmailAddress",
        Target::Field(Field::DefaultEmail),
    ),
    ("Info.Emails.EmailAddress", Target::Field(Field::Email)),
    (
        "Info.DefaultPhone.Number",
        Target::Field(Field::DefaultPhone),
    ),
    ("Info.Phones.Number", Target::Field(Field::Phone)),
    ("Info.InvoiceAddress.City", Target::Field(Field::City)),
    ("Info.ShippingAddress.City", Target::Field(Field::City)),
    ("Info.Addresses.City", Target::Field(Field::City)),
    (
        "Info.InvoiceAddress.PostalCode",
        Target::Field(Field::PostalCode),
    ),
    (
        "Info.ShippingAddress.PostalCode",
        Target::Field(Field::PostalCode),
    ),
    (
        "Info.Addresses.PostalCode",
        Target::Field(Field::PostalCode),
    ),
    (
        "Info.InvoiceAddress.CountryCode",
        Target::Field(Field::CountryCode),
    ),
    (
        "Info.ShippingAddress.CountryCode",
        Target::Field(Field::CountryCode),
    ),
    (
        "Info.Addresses.CountryCode",
        Target::Field(Field::CountryCode),
    ),
    ("CurrencyCode.Code", Target::Field(Field::Currency)),
    ("CreatedAt", Target::Field(Field::CreatedAt)),
    ("UpdatedAt", Target::Field(Field::UpdatedAt)),
];

/// The meaning of a path, matched ignoring ASCII case (`/` works as a separator too).
pub fn resolve(path: &str) -> Option<Target> {
    let path = path.replace('/', ".");
    PATHS
        .iter()
        .find(|(p, _)| p.eq_ignore_ascii_case(&path))
        .map(|(_, t)| *t)
}

/// The wire path a canonical field is written as (for the upstream client).
fn path_of(field: Field) -> Option<&'static str> {
    Some(match field {
        Field::Seq => "ID",
        Field::Number => "CustomerNumber",
        Field::OrgNumber => "OrgNumber",
        Field::Status => "StatusCode",
        Field::DisplayName => "Info.Name",
        Field::DefaultEmail => "Info.DefaultEmail.EmailAddress",
        Field::Email => "Info.Emails.EmailAddress",
        Field::DefaultPhone => "Info.DefaultPhone.Number",
        Field::Phone => "Info.Phones.Number",
        Field::City => "Info.Addresses.City",
        Field::PostalCode => "Info.Addresses.PostalCode",
        Field::CountryCode => "Info.Addresses.CountryCode",
        Field::Currency => "CurrencyCode.Code",
        Field::CreatedAt => "CreatedAt",
        Field::UpdatedAt => "UpdatedAt",
        Field::Kind => "IsPrivate",
        _ => return None,
    })
}

/// Whether a dotted path names a property of the model (filterable or not).
fn is_model_path(path: &str) -> bool {
    let mut level: Option<&Level> = Some(&wire::CUSTOMER);
    let segs: Vec<&str> = path.split(['.', '/']).collect();
    for (i, seg) in segs.iter().enumerate() {
        let Some(l) = level else { return true };
        match l.relation(seg) {
            Some((_, next)) => level = next,
            None if l.key(seg).is_some() => return i + 1 == segs.len(),
            None => return false,
        }
    }
    true
}

fn unknown_path(path: &str, pos: usize) -> FilterError {
    if is_model_path(path) {
        FilterError::new(pos, format!("'{path}' cannot be used in a filter"))
    } else {
        FilterError::new(pos, format!("unknown field '{path}'"))
    }
}

// ---------------------------------------------------------------------------------------
// The parser.
// ---------------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq)]
enum Lit {
    Null,
    Bool(bool),
    Int(i64),
    Dec(Decimal),
    Str(String),
    Date(String),
}

impl fmt::Display for Lit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Lit::Null => f.write_str("null"),
            Lit::Bool(b) => write!(f, "{b}"),
            Lit::Int(i) => write!(f, "{i}"),
            Lit::Dec(d) => write!(f, "{d}"),
            Lit::Str(s) | Lit::Date(s) => write!(f, "'{}'", s.replace('\'', "''")),
        }
    }
}

enum Node {
    Cond(Filter),
    Path(String, usize),
    Lit(Lit, usize),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Cmp(CmpOp),
    Like,
    NotLike,
}

struct Parser {
    toks: Vec<Token>,
    i: usize,
    depth: usize,
    max_depth: usize,
}

/// Parses a `filter`; an empty one is no filter.
pub fn parse_filter(input: &str, limits: &FilterLimits) -> Result<Option<Filter>, FilterError> {
    if input.len() > limits.max_bytes {
        let pos = input
            .char_indices()
            .take_while(|(b, _)| *b < limits.max_bytes)
            .count();
        return Err(FilterError::new(
            pos,
            format!("the filter is longer than {} bytes", limits.max_bytes),
        ));
    }
    if input.trim().is_empty() {
        return Ok(None);
    }
    let mut p = Parser {
        toks: tokenize(input)?,
        i: 0,
        depth: 0,
        max_depth: limits.max_depth,
    };
    let node = p.or()?;
    let f = p.cond(node)?;
    let end = p.peek();
    if end.tok != Tok::Eof {
        return Err(FilterError::new(
            end.pos,
            format!("unexpected {}", describe(&end.tok)),
        ));
    }
    if f.depth() > MAX_FILTER_DEPTH {
        return Err(FilterError::new(
            0,
            format!("the filter nests deeper than {MAX_FILTER_DEPTH} levels"),
        ));
    }
    Ok(Some(f))
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Ident(s) => format!("'{s}'"),
        Tok::Str(s) => format!("string '{s}'"),
        Tok::Int(i) => format!("number {i}"),
        Tok::Dec(d) => format!("number {d}"),
        Tok::Date(d) => format!("date {d}"),
        Tok::LParen => "'('".into(),
        Tok::RParen => "')'".into(),
        Tok::Comma => "','".into(),
        Tok::Eof => "end of the filter".into(),
    }
}

const KEYWORDS: &[&str] = &[
    "and", "or", "not", "eq", "ne", "gt", "ge", "lt", "le", "like", "notlike",
];

impl Parser {
    fn peek(&self) -> &Token {
        &self.toks[self.i.min(self.toks.len() - 1)]
    }

    fn advance(&mut self) -> Token {
        let t = self.peek().clone();
        if self.i < self.toks.len() - 1 {
            self.i += 1;
        }
        t
    }

    fn keyword(&self) -> Option<String> {
        match &self.peek().tok {
            Tok::Ident(s) => Some(s.to_ascii_lowercase()),
            _ => None,
        }
    }

    fn enter(&mut self, pos: usize) -> Result<(), FilterError> {
        self.depth += 1;
        if self.depth > self.max_depth {
            return Err(FilterError::new(
                pos,
                format!("the filter nests deeper than {} levels", self.max_depth),
            ));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    fn cond(&self, node: Node) -> Result<Filter, FilterError> {
        match node {
            Node::Cond(f) => Ok(f),
            Node::Path(p, pos) => match resolve(&p) {
                Some(Target::Private) => private_filter(CmpOp::Eq, &Lit::Bool(true), pos),
                Some(_) => Err(FilterError::new(
                    pos,
                    format!("'{p}' is not a condition; compare it with a value"),
                )),
                None => Err(unknown_path(&p, pos)),
            },
            Node::Lit(l, pos) => Err(FilterError::new(pos, format!("{l} is not a condition"))),
        }
    }

    fn or(&mut self) -> Result<Node, FilterError> {
        let first = self.and()?;
        if self.keyword().as_deref() != Some("or") {
            return Ok(first);
        }
        let mut items = vec![self.cond(first)?];
        while self.keyword().as_deref() == Some("or") {
            self.advance();
            let next = self.and()?;
            match self.cond(next)? {
                Filter::Or(v) => items.extend(v),
                f => items.push(f),
            }
        }
        Ok(Node::Cond(Filter::Or(items)))
    }

    fn and(&mut self) -> Result<Node, FilterError> {
        let first = self.not()?;
        if self.keyword().as_deref() != Some("and") {
            return Ok(first);
        }
        let mut items = vec![self.cond(first)?];
        while self.keyword().as_deref() == Some("and") {
            self.advance();
            let next = self.not()?;
            items.push(self.cond(next)?);
        }
        Ok(Node::Cond(Filter::all(items).expect("at least two items")))
    }

    fn not(&mut self) -> Result<Node, FilterError> {
        if self.keyword().as_deref() == Some("not") {
            let t = self.advance();
            self.enter(t.pos)?;
            let inner = self.not()?;
            let f = self.cond(inner)?;
            self.leave();
            return Ok(Node::Cond(Filter::not(f)));
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Node, FilterError> {
        let left = self.atom()?;
        let op = match self.keyword().as_deref() {
            Some("eq") => Op::Cmp(CmpOp::Eq),
            Some("ne") => Op::Cmp(CmpOp::Ne),
            Some("gt") => Op::Cmp(CmpOp::Gt),
            Some("ge") => Op::Cmp(CmpOp::Ge),
            Some("lt") => Op::Cmp(CmpOp::Lt),
            Some("le") => Op::Cmp(CmpOp::Le),
            Some("like") => Op::Like,
            Some("notlike") => Op::NotLike,
            _ => return Ok(left),
        };
        let op_pos = self.advance().pos;
        let right = self.atom()?;
        compare(left, op, right, op_pos).map(Node::Cond)
    }

    fn atom(&mut self) -> Result<Node, FilterError> {
        let t = self.advance();
        match t.tok {
            Tok::LParen => {
                self.enter(t.pos)?;
                let inner = self.or()?;
                let close = self.advance();
                if close.tok != Tok::RParen {
                    return Err(FilterError::new(
                        close.pos,
                        format!(
                            "expected ')' to close the '(' at position {}, found {}",
                            t.pos,
                            describe(&close.tok)
                        ),
                    ));
                }
                self.leave();
                Ok(inner)
            }
            Tok::Str(s) => Ok(Node::Lit(Lit::Str(s), t.pos)),
            Tok::Int(i) => Ok(Node::Lit(Lit::Int(i), t.pos)),
            Tok::Dec(d) => Ok(Node::Lit(Lit::Dec(d), t.pos)),
            Tok::Date(d) => Ok(Node::Lit(Lit::Date(d), t.pos)),
            Tok::Ident(name) => {
                let lower = name.to_ascii_lowercase();
                match lower.as_str() {
                    "true" => return Ok(Node::Lit(Lit::Bool(true), t.pos)),
                    "false" => return Ok(Node::Lit(Lit::Bool(false), t.pos)),
                    "null" => return Ok(Node::Lit(Lit::Null, t.pos)),
                    k if KEYWORDS.contains(&k) => {
                        return Err(FilterError::new(
                            t.pos,
                            format!("unexpected '{name}'; expected a field, a value or '('"),
                        ))
                    }
                    _ => {}
                }
                if self.peek().tok == Tok::LParen {
                    return self.function(&name, t.pos).map(Node::Cond);
                }
                Ok(Node::Path(name, t.pos))
            }
            other => Err(FilterError::new(
                t.pos,
                format!(
                    "unexpected {}; expected a field, a value or '('",
                    describe(&other)
                ),
            )),
        }
    }

    fn function(&mut self, name: &str, pos: usize) -> Result<Filter, FilterError> {
        let lower = name.to_ascii_lowercase();
        let op = match lower.as_str() {
            "contains" | "substringof" => TextOp::Contains,
            "startswith" => TextOp::StartsWith,
            "endswith" => TextOp::EndsWith,
            _ => return Err(FilterError::new(pos, format!("unknown function '{name}'"))),
        };
        self.enter(pos)?;
        self.advance(); // '('
        let a = self.atom()?;
        let comma = self.advance();
        if comma.tok != Tok::Comma {
            return Err(FilterError::new(
                comma.pos,
                format!("expected ',' in {name}(…), found {}", describe(&comma.tok)),
            ));
        }
        let b = self.atom()?;
        let close = self.advance();
        if close.tok != Tok::RParen {
            return Err(FilterError::new(
                close.pos,
                format!(
                    "expected ')' to close {name}(…), found {}",
                    describe(&close.tok)
                ),
            ));
        }
        self.leave();
        // `substringof('v', Field)` is OData v2's spelling of `contains(Field, 'v')`.
        let (field, value) = if lower == "substringof" {
            (b, a)
        } else {
            (a, b)
        };
        let (path, ppos) = match field {
            Node::Path(p, ppos) => (p, ppos),
            Node::Lit(_, lp) => {
                return Err(FilterError::new(lp, format!("{name}(…) needs a field")))
            }
            Node::Cond(_) => return Err(FilterError::new(pos, format!("{name}(…) needs a field"))),
        };
        let text = match value {
            Node::Lit(Lit::Str(s), _) => s,
            Node::Lit(l, lp) => {
                return Err(FilterError::new(
                    lp,
                    format!("{name}(…) needs a string, not {l}"),
                ))
            }
            Node::Path(_, lp) => {
                return Err(FilterError::new(
                    lp,
                    format!("{name}(…) needs a string value"),
                ))
            }
            Node::Cond(_) => {
                return Err(FilterError::new(
                    pos,
                    format!("{name}(…) needs a string value"),
                ))
            }
        };
        text_filter(&path, ppos, op, text)
    }
}

fn text_field(path: &str, pos: usize, what: &str) -> Result<Field, FilterError> {
    match resolve(path) {
        Some(Target::Field(f)) if f.value_type() == ValueType::Text => Ok(f),
        Some(Target::Number) => Ok(Field::Number),
        Some(_) => Err(FilterError::new(
            pos,
            format!("{what} needs a text field; '{path}' is not one"),
        )),
        None => Err(unknown_path(path, pos)),
    }
}

fn text_filter(path: &str, pos: usize, op: TextOp, value: String) -> Result<Filter, FilterError> {
    let field = text_field(path, pos, op.as_str())?;
    Ok(Filter::Text {
        field,
        op,
        value,
        case_insensitive: true,
    })
}

fn compare(left: Node, op: Op, right: Node, op_pos: usize) -> Result<Filter, FilterError> {
    match (left, right) {
        (Node::Path(p, ppos), Node::Lit(l, lpos)) => lower(&p, ppos, op, &l, lpos),
        (Node::Lit(l, lpos), Node::Path(p, ppos)) => {
            let flipped = match op {
                Op::Cmp(CmpOp::Gt) => Op::Cmp(CmpOp::Lt),
                Op::Cmp(CmpOp::Ge) => Op::Cmp(CmpOp::Le),
                Op::Cmp(CmpOp::Lt) => Op::Cmp(CmpOp::Gt),
                Op::Cmp(CmpOp::Le) => Op::Cmp(CmpOp::Ge),
                Op::Cmp(o) => Op::Cmp(o),
                Op::Like | Op::NotLike => {
                    return Err(FilterError::new(
                        op_pos,
                        "the field goes on the left of 'like'",
                    ))
                }
            };
            lower(&p, ppos, flipped, &l, lpos)
        }
        (Node::Cond(f), Node::Lit(Lit::Bool(b), _))
        | (Node::Lit(Lit::Bool(b), _), Node::Cond(f)) => match op {
            Op::Cmp(CmpOp::Eq) => Ok(if b { f } else { Filter::not(f) }),
            Op::Cmp(CmpOp::Ne) => Ok(if b { Filter::not(f) } else { f }),
            _ => Err(FilterError::new(
                op_pos,
                "a condition compares with true or false using eq or ne only",
            )),
        },
        (Node::Path(_, _), Node::Path(p, ppos)) => Err(FilterError::new(
            ppos,
            format!("comparing two fields is not supported ('{p}')"),
        )),
        (Node::Lit(_, pos), Node::Lit(_, _)) => {
            Err(FilterError::new(pos, "a comparison needs a field"))
        }
        (Node::Cond(_), _) | (_, Node::Cond(_)) => Err(FilterError::new(
            op_pos,
            "a condition compares with true or false only",
        )),
    }
}

fn lit_value(l: &Lit) -> Value {
    match l {
        Lit::Null => Value::Null,
        Lit::Bool(b) => Value::Bool(*b),
        Lit::Int(i) => Value::Int(*i),
        Lit::Dec(d) => Value::Decimal(*d),
        Lit::Str(s) | Lit::Date(s) => Value::Text(s.clone()),
    }
}

fn lower(path: &str, ppos: usize, op: Op, lit: &Lit, lpos: usize) -> Result<Filter, FilterError> {
    let target = resolve(path).ok_or_else(|| unknown_path(path, ppos))?;
    let cmp = match op {
        Op::Like | Op::NotLike => {
            let field = text_field(path, ppos, "like")?;
            let Lit::Str(pattern) = lit else {
                return Err(FilterError::new(
                    lpos,
                    format!("'like' needs a string pattern, not {lit}"),
                ));
            };
            let f = Filter::Text {
                field,
                op: TextOp::Like,
                value: pattern.clone(),
                case_insensitive: true,
            };
            return Ok(if op == Op::NotLike { Filter::not(f) } else { f });
        }
        Op::Cmp(c) => c,
    };
    match target {
        Target::Field(field) => Filter::compare(field, cmp, lit_value(lit)).map_err(|e| {
            let why = e
                .fields()
                .first()
                .map_or(e.message(), |f| f.message.as_str())
                .to_owned();
            FilterError::new(lpos, format!("'{path} {} {lit}': {why}", cmp.as_str()))
        }),
        Target::Number => number_filter(cmp, lit, lpos),
        Target::Status => status_filter(cmp, lit, lpos),
        Target::Private => private_filter(cmp, lit, lpos),
    }
}

/// A pattern matching exactly `n` characters, or at least `n` with `at_least`.
fn length_like(n: usize, at_least: bool) -> Filter {
    let mut pattern = "_".repeat(n);
    if at_least {
        pattern.push('%');
    }
    Filter::Text {
        field: Field::Number,
        op: TextOp::Like,
        value: pattern,
        case_insensitive: false,
    }
}

/// `CustomerNumber op n`. The canonical number is text; equality compares the digits,
/// and an order compares digit strings as numbers: a longer number is larger, one of the
/// same length compares character by character.
fn number_filter(op: CmpOp, lit: &Lit, pos: usize) -> Result<Filter, FilterError> {
    let n: i64 = match lit {
        Lit::Int(n) => *n,
        Lit::Str(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => s
            .parse()
            .map_err(|_| FilterError::new(pos, format!("{lit} is too large")))?,
        Lit::Null => {
            return match op {
                CmpOp::Eq => Ok(Filter::IsNull {
                    field: Field::Number,
                }),
                CmpOp::Ne => Ok(Filter::not(Filter::IsNull {
                    field: Field::Number,
                })),
                _ => Err(FilterError::new(pos, "null compares with eq or ne only")),
            }
        }
        other => {
            return Err(FilterError::new(
                pos,
                format!("CustomerNumber compares with whole numbers, not {other}"),
            ))
        }
    };
    let present = || {
        Filter::not(Filter::IsNull {
            field: Field::Number,
        })
    };
    let text = n.to_string();
    let cmp = |op| Filter::Compare {
        field: Field::Number,
        op,
        value: Value::Text(text.clone()),
    };
    Ok(match op {
        CmpOp::Eq | CmpOp::Ne => cmp(op),
        CmpOp::Gt | CmpOp::Ge if n < 0 => present(),
        CmpOp::Lt | CmpOp::Le if n < 0 => Filter::In {
            field: Field::Number,
            values: Vec::new(),
        },
        CmpOp::Gt | CmpOp::Ge => Filter::Or(vec![
            length_like(text.len() + 1, true),
            Filter::And(vec![length_like(text.len(), false), cmp(op)]),
        ]),
        CmpOp::Lt | CmpOp::Le => Filter::And(vec![
            present(),
            Filter::Or(vec![
                Filter::not(length_like(text.len(), true)),
                Filter::And(vec![length_like(text.len(), false), cmp(op)]),
            ]),
        ]),
    })
}

const STATUSES: &[Status] = &[Status::Active, Status::Inactive, Status::Blocked];

fn status_eq(s: Status) -> Filter {
    Filter::Compare {
        field: Field::Status,
        op: CmpOp::Eq,
        value: Value::text(s.as_str()),
    }
}

/// `StatusCode op code`; a quote has no code (`StatusCode eq null`).
fn status_filter(op: CmpOp, lit: &Lit, pos: usize) -> Result<Filter, FilterError> {
    let code = match lit {
        Lit::Null => {
            return match op {
                CmpOp::Eq => Ok(status_eq(Status::Quote)),
                CmpOp::Ne => Ok(Filter::not(status_eq(Status::Quote))),
                _ => Err(FilterError::new(pos, "null compares with eq or ne only")),
            }
        }
        Lit::Int(c) => *c,
        other => {
            return Err(FilterError::new(
                pos,
                format!(
                    "StatusCode compares with a status code (30001, 50001, 90001), not {other}"
                ),
            ))
        }
    };
    let known = || validate::status(code).map_err(|m| FilterError::new(pos, m));
    Ok(match op {
        CmpOp::Eq => status_eq(known()?),
        CmpOp::Ne => Filter::not(status_eq(known()?)),
        range => {
            let hits: Vec<Value> = STATUSES
                .iter()
                .filter(|s| {
                    let c = validate::status_code(**s).unwrap_or_default();
                    match range {
                        CmpOp::Gt => c > code,
                        CmpOp::Ge => c >= code,
                        CmpOp::Lt => c < code,
                        _ => c <= code,
                    }
                })
                .map(|s| Value::text(s.as_str()))
                .collect();
            Filter::In {
                field: Field::Status,
                values: hits,
            }
        }
    })
}

/// `IsPrivate eq true|false`: private means the canonical kind is `person`.
fn private_filter(op: CmpOp, lit: &Lit, pos: usize) -> Result<Filter, FilterError> {
    let Lit::Bool(b) = lit else {
        return Err(FilterError::new(
            pos,
            format!("IsPrivate compares with true or false, not {lit}"),
        ));
    };
    let person = Filter::Compare {
        field: Field::Kind,
        op: CmpOp::Eq,
        value: Value::text("person"),
    };
    match op {
        CmpOp::Eq if *b => Ok(person),
        CmpOp::Ne if !*b => Ok(person),
        CmpOp::Eq | CmpOp::Ne => Ok(Filter::not(person)),
        _ => Err(FilterError::new(
            pos,
            "IsPrivate compares with eq or ne only",
        )),
    }
}

// ---------------------------------------------------------------------------------------
// orderby.
// ---------------------------------------------------------------------------------------

/// The most sort keys one `orderby` may give.
pub const MAX_SORT_KEYS: usize = 8;

/// Parses `orderby=Path [asc|desc], …`.
pub fn parse_orderby(input: &str) -> Result<Vec<SortKey>, Error> {
    let bad = |m: String| Error::validation_field("orderby", m);
    let mut out = Vec::new();
    for item in input.split(',') {
        let parts: Vec<&str> = item.split_whitespace().collect();
        let (path, descending) = match parts.as_slice() {
            [p] => (*p, false),
            [p, d] if d.eq_ignore_ascii_case("asc") => (*p, false),
            [p, d] if d.eq_ignore_ascii_case("desc") => (*p, true),
            [] => return Err(bad("has an empty item".into())),
            _ => return Err(bad(format!("'{}' is not 'Field [asc|desc]'", item.trim()))),
        };
        let field = match resolve(path) {
            Some(Target::Field(f)) if f.is_multi() => {
                return Err(bad(format!(
                    "'{path}' holds several values and cannot be sorted on"
                )))
            }
            Some(Target::Field(f)) => f,
            Some(Target::Number) => Field::Number,
            Some(Target::Private) => Field::Kind,
            Some(Target::Status) => return Err(bad(format!("'{path}' cannot be sorted on"))),
            None if is_model_path(path) => {
                return Err(bad(format!("'{path}' cannot be sorted on")))
            }
            None => return Err(bad(format!("unknown field '{path}'"))),
        };
        out.push(SortKey { field, descending });
    }
    if out.len() > MAX_SORT_KEYS {
        return Err(bad(format!("has more than {MAX_SORT_KEYS} keys")));
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// expand and select.
// ---------------------------------------------------------------------------------------

/// A set of paths as a tree of canonical property names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tree(pub BTreeMap<String, Tree>);

impl Tree {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn child(&mut self, name: &str) -> &mut Tree {
        self.0.entry(name.to_owned()).or_default()
    }

    pub fn get(&self, name: &str) -> Option<&Tree> {
        self.0.get(name)
    }

    /// Every relation of the model, expanded (what a write answers with).
    pub fn everything() -> Tree {
        fn walk(level: &Level, depth: usize) -> Tree {
            let mut t = Tree::default();
            for (name, next) in level.relations {
                let sub = match next {
                    Some(l) if depth < 4 => walk(l, depth + 1),
                    _ => Tree::default(),
                };
                t.0.insert((*name).to_owned(), sub);
            }
            t
        }
        walk(&wire::CUSTOMER, 0)
    }
}

/// The longest `expand` or `select` accepted, in bytes.
pub const MAX_LIST_BYTES: usize = 4096;

fn split_items<'a>(input: &'a str, what: &str) -> Result<Vec<Vec<&'a str>>, Error> {
    if input.len() > MAX_LIST_BYTES {
        return Err(Error::validation_field(
            what,
            format!("is longer than {MAX_LIST_BYTES} bytes"),
        ));
    }
    input
        .split(',')
        .map(|item| {
            let item = item.trim();
            let segs: Vec<&str> = item.split(['.', '/']).map(str::trim).collect();
            if item.is_empty() || segs.iter().any(|s| s.is_empty()) {
                Err(Error::validation_field(
                    what,
                    format!("'{item}' is not a path"),
                ))
            } else {
                Ok(segs)
            }
        })
        .collect()
}

/// Parses `expand=Info,Info.Phones,…`: every segment must be a relation of its level
/// (below an unmodelled relation, anything goes).
pub fn parse_expand(input: &str) -> Result<Tree, Error> {
    let mut tree = Tree::default();
    for segs in split_items(input, "expand")? {
        let mut level: Option<&Level> = Some(&wire::CUSTOMER);
        let mut node = &mut tree;
        for seg in segs {
            match level {
                Some(l) => match l.relation(seg) {
                    Some((name, next)) => {
                        node = node.child(name);
                        level = next;
                    }
                    None if l.key(seg).is_some() => {
                        return Err(Error::validation_field(
                            "expand",
                            format!("'{seg}' is a property of {}, not a relation", l.name),
                        ))
                    }
                    None => {
                        return Err(Error::validation_field(
                            "expand",
                            format!("'{seg}' is not a relation of {}", l.name),
                        ))
                    }
                },
                None => node = node.child(seg),
            }
        }
    }
    Ok(tree)
}

/// Parses `select=ID,Info.Name,…` into the projection and the relations it implies.
pub fn parse_select(input: &str) -> Result<(Tree, Tree), Error> {
    let mut select = Tree::default();
    let mut implied = Tree::default();
    for segs in split_items(input, "select")? {
        let mut level: Option<&Level> = Some(&wire::CUSTOMER);
        let mut sel = &mut select;
        let mut exp = Some(&mut implied);
        let last = segs.len() - 1;
        for (i, seg) in segs.into_iter().enumerate() {
            let Some(l) = level else {
                sel = sel.child(seg);
                continue;
            };
            if let Some((name, next)) = l.relation(seg) {
                sel = sel.child(name);
                exp = exp.map(|e| e.child(name));
                level = next;
                continue;
            }
            match l.key(seg) {
                Some(name) if i == last => {
                    sel = sel.child(name);
                }
                Some(name) => {
                    return Err(Error::validation_field(
                        "select",
                        format!("'{name}' of {} has no properties", l.name),
                    ))
                }
                None => {
                    return Err(Error::validation_field(
                        "select",
                        format!("'{seg}' is not a property of {}", l.name),
                    ))
                }
            }
            exp = None;
        }
    }
    Ok((select, implied))
}

fn merge_trees(into: &mut Tree, from: &Tree) {
    for (k, v) in &from.0 {
        merge_trees(into.child(k), v);
    }
}

/// What a response shows: the relations expanded and the properties selected.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct View {
    pub expand: Tree,
    /// Empty: every property.
    pub select: Tree,
}

impl View {
    pub fn new(expand: Option<&str>, select: Option<&str>) -> Result<View, Error> {
        let mut view = View {
            expand: expand.map(parse_expand).transpose()?.unwrap_or_default(),
            select: Tree::default(),
        };
        if let Some(s) = select {
            let (sel, implied) = parse_select(s)?;
            merge_trees(&mut view.expand, &implied);
            view.select = sel;
        }
        Ok(view)
    }

    /// Everything expanded, nothing projected away.
    pub fn full() -> View {
        View {
            expand: Tree::everything(),
            select: Tree::default(),
        }
    }

    /// Applies the view to a rendered customer.
    pub fn apply(&self, mut v: serde_json::Value) -> serde_json::Value {
        prune(&mut v, &wire::CUSTOMER, &self.expand);
        if !self.select.is_empty() {
            project(&mut v, &self.select);
        }
        v
    }
}

/// Removes the relations of `level` that `expand` does not name.
fn prune(v: &mut serde_json::Value, level: &Level, expand: &Tree) {
    match v {
        serde_json::Value::Array(items) => items.iter_mut().for_each(|i| prune(i, level, expand)),
        serde_json::Value::Object(m) => {
            for (name, next) in level.relations {
                match expand.get(name) {
                    None => {
                        m.remove(*name);
                    }
                    Some(sub) => {
                        if let (Some(next), Some(child)) = (next, m.get_mut(*name)) {
                            prune(child, next, sub);
                        }
                    }
                }
            }
        }
        _ => {}
    }
}

/// Keeps only the selected properties.
fn project(v: &mut serde_json::Value, select: &Tree) {
    match v {
        serde_json::Value::Array(items) => items.iter_mut().for_each(|i| project(i, select)),
        serde_json::Value::Object(m) => {
            m.retain(|k, _| select.get(k).is_some());
            for (k, child) in m.iter_mut() {
                if let Some(sub) = select.get(k).filter(|s| !s.is_empty()) {
                    project(child, sub);
                }
            }
        }
        _ => {}
    }
}

// ---------------------------------------------------------------------------------------
// Query-string parameters.
// ---------------------------------------------------------------------------------------

/// The names of the parameters [`Params`] reads, in the order of its fields.
pub const NAMES: [&str; 9] = [
    "filter",
    "select",
    "expand",
    "orderby",
    "top",
    "skip",
    "action",
    "id",
    "customerKidAlias",
];

/// The query-string parameters the dialect reads (names without `$`, any case; `$`
/// accepted). An unknown name is refused, so that a misspelt `filter` cannot return every
/// customer; only `hateoas`, which switches the vendor's links that this API never shows,
/// is accepted and ignored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Params {
    pub filter: Option<String>,
    pub select: Option<String>,
    pub expand: Option<String>,
    pub orderby: Option<String>,
    pub top: Option<String>,
    pub skip: Option<String>,
    pub action: Option<String>,
    pub id: Option<String>,
    pub customer_kid_alias: Option<String>,
}

impl Params {
    pub fn parse(pairs: Vec<(String, String)>) -> Result<Params, Error> {
        let mut p = Params::default();
        for (name, value) in pairs {
            let key = name.trim().trim_start_matches('$').to_ascii_lowercase();
            let slot = match key.as_str() {
                "filter" => &mut p.filter,
                "select" => &mut p.select,
                "expand" => &mut p.expand,
                "orderby" => &mut p.orderby,
                "top" => &mut p.top,
                "skip" => &mut p.skip,
                "action" => &mut p.action,
                "id" => &mut p.id,
                "customerkidalias" => &mut p.customer_kid_alias,
                "hateoas" => continue,
                _ => {
                    return Err(Error::validation_field(
                        name.trim().trim_start_matches('$'),
                        format!(
                            "is not a query parameter of this API ({})",
                            NAMES.join(", ")
                        ),
                    ))
                }
            };
            if slot.is_some() {
                return Err(Error::validation_field(
                    name.trim_start_matches('$'),
                    "is given more than once",
                ));
            }
            *slot = Some(value);
        }
        Ok(p)
    }

    /// Refuses every parameter given that `request` does not read (`names`, spelt as in
    /// [`NAMES`]): a parameter a request ignores would be a silent loss, such as a `filter`
    /// sent along with `action=validate-customer-KID-Alias`.
    pub fn only(&self, request: fmt::Arguments<'_>, names: &[&str]) -> Result<(), Error> {
        let given = [
            &self.filter,
            &self.select,
            &self.expand,
            &self.orderby,
            &self.top,
            &self.skip,
            &self.action,
            &self.id,
            &self.customer_kid_alias,
        ];
        let unread: Vec<FieldError> = NAMES
            .iter()
            .zip(given)
            .filter(|(name, value)| value.is_some() && !names.contains(name))
            .map(|(name, _)| FieldError {
                field: (*name).to_owned(),
                message: format!("is not a parameter of {request}"),
            })
            .collect();
        if unread.is_empty() {
            Ok(())
        } else {
            Err(Error::validation(unread))
        }
    }

    pub fn view(&self) -> Result<View, Error> {
        View::new(self.expand.as_deref(), self.select.as_deref())
    }

    /// The canonical query of a list request. Without `top` at most `max_top` rows come
    /// back; a larger `top` is refused.
    pub fn query(&self, limits: &FilterLimits, max_top: usize) -> Result<Query, Error> {
        let whole = |name: &str, v: &Option<String>| -> Result<Option<u64>, Error> {
            v.as_deref()
                .map(|s| {
                    s.trim().parse::<u64>().map_err(|_| {
                        Error::validation_field(name, format!("'{s}' is not a whole number"))
                    })
                })
                .transpose()
        };
        let top = whole("top", &self.top)?;
        if let Some(t) = top {
            if t > max_top as u64 {
                return Err(Error::validation_field(
                    "top",
                    format!("must be at most {max_top}"),
                ));
            }
        }
        let filter = match &self.filter {
            Some(f) => parse_filter(f, limits)?,
            None => None,
        };
        let sort = self
            .orderby
            .as_deref()
            .map(parse_orderby)
            .transpose()?
            .unwrap_or_default();
        let q = Query {
            filter,
            sort,
            offset: whole("skip", &self.skip)?.unwrap_or(0),
            limit: Some(top.unwrap_or(max_top as u64) as u32),
            ..Query::default()
        };
        q.check()?;
        Ok(q)
    }
}

// ---------------------------------------------------------------------------------------
// Canonical → query string (the upstream client's direction).
// ---------------------------------------------------------------------------------------

fn cannot(what: impl fmt::Display) -> Error {
    Error::unsupported(format!("the odata upstream cannot filter on {what}"))
}

fn write_literal(out: &mut String, v: &Value) {
    use std::fmt::Write;
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Decimal(d) => {
            let _ = write!(out, "{}", d.normalize());
        }
        Value::DateTime(t) => {
            out.push('\'');
            out.push_str(&t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true));
            out.push('\'');
        }
        Value::Text(s) => write_text_literal(out, s),
    }
}

/// A text literal: quoted, a quote inside doubled.
fn write_text_literal(out: &mut String, s: &str) {
    out.push('\'');
    for (i, part) in s.split('\'').enumerate() {
        if i > 0 {
            out.push_str("''");
        }
        out.push_str(part);
    }
    out.push('\'');
}

/// The integer a canonical number is written as, when it is one exactly.
fn wire_number(v: &Value) -> Option<i64> {
    let Value::Text(s) = v else { return None };
    let n: i64 = s.parse().ok()?;
    (n >= 0 && n.to_string() == *s).then_some(n)
}

fn status_literal(v: &Value) -> Option<String> {
    let Value::Text(s) = v else { return None };
    let status = [
        Status::Active,
        Status::Inactive,
        Status::Blocked,
        Status::Quote,
    ]
    .into_iter()
    .find(|st| st.as_str() == s)?;
    Some(validate::status_code(status).map_or("null".into(), |c| c.to_string()))
}

fn write_eq(out: &mut String, field: Field, op: CmpOp, value: &Value) -> Result<(), Error> {
    let path = path_of(field)
        .filter(|_| field != Field::Kind)
        .ok_or_else(|| cannot(field))?;
    // Numbers and statuses have wire literals of their own; any other value is written
    // as it is.
    let own = match field {
        Field::Number => match op {
            CmpOp::Eq | CmpOp::Ne => {
                Some(wire_number(value).map(|n| n.to_string()).ok_or_else(|| {
                    cannot(format!("customer number {value} (not a whole number)"))
                })?)
            }
            _ => {
                return Err(cannot(
                    "the order of customer numbers (text in the canonical model)",
                ))
            }
        },
        Field::Status => match op {
            CmpOp::Eq | CmpOp::Ne => {
                Some(status_literal(value).ok_or_else(|| cannot(format!("status {value}")))?)
            }
            _ => return Err(cannot("the order of statuses")),
        },
        _ => None,
    };
    out.push_str(path);
    out.push(' ');
    out.push_str(op.as_str());
    out.push(' ');
    match own {
        Some(lit) => out.push_str(&lit),
        None => write_literal(out, value),
    }
    Ok(())
}

fn write_filter(out: &mut String, f: &Filter) -> Result<(), Error> {
    let group = |out: &mut String, items: &[Filter], sep: &str| -> Result<(), Error> {
        if items.is_empty() {
            return Err(cannot("an empty group"));
        }
        if items.len() == 1 {
            return write_filter(out, &items[0]);
        }
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                out.push_str(sep);
            }
            out.push('(');
            write_filter(out, item)?;
            out.push(')');
        }
        Ok(())
    };
    match f {
        Filter::And(v) => group(out, v, " and "),
        Filter::Or(v) => group(out, v, " or "),
        Filter::Not(inner) => {
            out.push_str("not (");
            write_filter(out, inner)?;
            out.push(')');
            Ok(())
        }
        Filter::Compare { field, op, value } => write_eq(out, *field, *op, value),
        Filter::Text {
            field,
            op,
            value,
            case_insensitive,
        } => {
            if !case_insensitive {
                return Err(cannot(format!("case-sensitive '{}'", op.as_str())));
            }
            let path = match field {
                Field::Status | Field::Kind => None,
                f => path_of(*f),
            }
            .ok_or_else(|| cannot(field))?;
            let function = match op {
                TextOp::Contains => Some("contains("),
                TextOp::StartsWith => Some("startswith("),
                TextOp::EndsWith => Some("endswith("),
                TextOp::Like => None,
            };
            match function {
                Some(function) => {
                    out.push_str(function);
                    out.push_str(path);
                    out.push(',');
                    write_text_literal(out, value);
                    out.push(')');
                }
                None => {
                    out.push_str(path);
                    out.push_str(" like ");
                    write_text_literal(out, value);
                }
            }
            Ok(())
        }
        Filter::In { field, values } => {
            if values.is_empty() {
                return Err(cannot("'in' with no values"));
            }
            let eqs: Vec<Filter> = values
                .iter()
                .map(|v| Filter::Compare {
                    field: *field,
                    op: CmpOp::Eq,
                    value: v.clone(),
                })
                .collect();
            out.push('(');
            group(out, &eqs, " or ")?;
            out.push(')');
            Ok(())
        }
        Filter::IsNull { field } => match field {
            Field::Status | Field::Kind => Err(cannot(format!("'is null' on {field}"))),
            f => {
                let path = path_of(*f).ok_or_else(|| cannot(f))?;
                out.push_str(path);
                out.push_str(" eq null");
                Ok(())
            }
        },
        Filter::Search(_) => Err(cannot("free-text search")),
    }
}

/// The `filter` string of a canonical filter; `Unsupported` naming what cannot be said.
pub fn filter_to_string(f: &Filter) -> Result<String, Error> {
    let mut out = String::new();
    write_filter(&mut out, f)?;
    Ok(out)
}

/// The `orderby` string of canonical sort keys.
pub fn orderby_to_string(sort: &[SortKey]) -> Result<Option<String>, Error> {
    if sort.is_empty() {
        return Ok(None);
    }
    let items = sort
        .iter()
        .map(|k| {
            let path = match k.field {
                Field::Status => None,
                f if f.is_multi() => None,
                f => path_of(f),
            }
            .ok_or_else(|| {
                Error::unsupported(format!("the odata upstream cannot sort on {}", k.field))
            })?;
            Ok(if k.descending {
                format!("{path} desc")
            } else {
                path.to_owned()
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    Ok(Some(items.join(",")))
}

/// The query-string parameters of a canonical query (filter, orderby, top, skip).
pub fn to_params(q: &Query) -> Result<Vec<(String, String)>, Error> {
    let mut out = Vec::new();
    if let Some(f) = &q.filter {
        out.push(("filter".to_owned(), filter_to_string(f)?));
    }
    if let Some(o) = orderby_to_string(&q.sort)? {
        out.push(("orderby".to_owned(), o));
    }
    if let Some(l) = q.limit {
        out.push(("top".to_owned(), l.to_string()));
    }
    if q.offset > 0 {
        out.push(("skip".to_owned(), q.offset.to_string()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Filter, FilterError> {
        parse_filter(s, &FilterLimits::default()).map(|f| f.expect("a filter"))
    }

    fn text(field: Field, op: TextOp, v: &str) -> Filter {
        Filter::Text {
            field,
            op,
            value: v.into(),
            case_insensitive: true,
        }
    }

    fn cmp(field: Field, op: CmpOp, value: Value) -> Filter {
        Filter::Compare { field, op, value }
    }

    /// One row of the table: a filter and what it parses to.
    fn check(input: &str, expected: Filter) {
        assert_eq!(parse(input).unwrap(), expected, "{input}");
    }

    /// One row of the error table: a filter, the position and a piece of the message.
    fn check_err(input: &str, position: usize, message: &str) {
        let e = parse(input).unwrap_err();
        assert_eq!(e.position, position, "{input}: {e}");
        assert!(e.message.contains(message), "{input}: {e}");
    }

    #[test]
    fn valid_filters() {
        let name = |v: &str| cmp(Field::DisplayName, CmpOp::Eq, Value::text(v));
        check("StatusCode eq 30001", status_eq(Status::Active));
        check("statuscode EQ 90001", status_eq(Status::Blocked));
        check("StatusCode eq null", status_eq(Status::Quote));
        check(
            "StatusCode ne 50001",
            Filter::not(status_eq(Status::Inactive)),
        );
        check(
            "StatusCode gt 30001",
            Filter::In {
                field: Field::Status,
                values: vec![Value::text("inactive"), Value::text("blocked")],
            },
        );
        check("Info.Name eq 'John Doe'", name("John Doe"));
        check("Info/Name eq 'O''Brien'", name("O'Brien"));
        check("'freeland' eq Info.Name", name("freeland"));
        check("Info.Name eq ''''", name("'"));
        check("ID gt 5", cmp(Field::Seq, CmpOp::Gt, Value::Int(5)));
        check("5 lt ID", cmp(Field::Seq, CmpOp::Gt, Value::Int(5)));
        check("ID eq null", Filter::IsNull { field: Field::Seq });
        check(
            "OrgNumber eq '914012708'",
            cmp(Field::OrgNumber, CmpOp::Eq, Value::text("914012708")),
        );
        check(
            "OrgNumber eq 914012708",
            cmp(Field::OrgNumber, CmpOp::Eq, Value::text("914012708")),
        );
        check(
            "CustomerNumber eq 10",
            cmp(Field::Number, CmpOp::Eq, Value::text("10")),
        );
        check(
            "CustomerNumber eq null",
            Filter::IsNull {
                field: Field::Number,
            },
        );
        check(
            "Info.Name like 'jo%'",
            text(Field::DisplayName, TextOp::Like, "jo%"),
        );
        check(
            "Info.Name NotLike '%x'",
            Filter::not(text(Field::DisplayName, TextOp::Like, "%x")),
        );
        check(
            "contains(Info.Name,'oe')",
            text(Field::DisplayName, TextOp::Contains, "oe"),
        );
        check(
            "StartsWith(Info.Name, 'J')",
            text(Field::DisplayName, TextOp::StartsWith, "J"),
        );
        check(
            "endswith(Info.DefaultEmail.EmailAddress,'.com')",
            text(Field::DefaultEmail, TextOp::EndsWith, ".com"),
        );
        check(
            "substringof('oe', Info.Name)",
            text(Field::DisplayName, TextOp::Contains, "oe"),
        );
        check(
            "contains(Info.Name,'oe') eq false",
            Filter::not(text(Field::DisplayName, TextOp::Contains, "oe")),
        );
        check(
            "IsPrivate",
            cmp(Field::Kind, CmpOp::Eq, Value::text("person")),
        );
        check(
            "IsPrivate eq false",
            Filter::not(cmp(Field::Kind, CmpOp::Eq, Value::text("person"))),
        );
        check(
            "Info.Phones.Number eq '+4799'",
            cmp(Field::Phone, CmpOp::Eq, Value::text("+4799")),
        );
        check(
            "Info.InvoiceAddress.City eq 'Oslo'",
            cmp(Field::City, CmpOp::Eq, Value::text("Oslo")),
        );
        check(
            "CurrencyCode.Code eq 'NOK'",
            cmp(Field::Currency, CmpOp::Eq, Value::text("NOK")),
        );
        let t = custgate_core::field::parse_datetime("2020-01-01T00:00:00Z").unwrap();
        check(
            "CreatedAt ge 2020-01-01T00:00:00Z",
            cmp(Field::CreatedAt, CmpOp::Ge, Value::DateTime(t)),
        );
        check(
            "CreatedAt ge '2020-01-01'",
            cmp(Field::CreatedAt, CmpOp::Ge, Value::DateTime(t)),
        );
        check(
            "CreatedAt ge datetime'2020-01-01'",
            cmp(Field::CreatedAt, CmpOp::Ge, Value::DateTime(t)),
        );
    }

    #[test]
    fn precedence_and_grouping() {
        let a = || cmp(Field::Seq, CmpOp::Eq, Value::Int(1));
        let b = || cmp(Field::Seq, CmpOp::Eq, Value::Int(2));
        let c = || cmp(Field::Seq, CmpOp::Eq, Value::Int(3));
        check(
            "ID eq 1 or ID eq 2 and ID eq 3",
            Filter::Or(vec![a(), Filter::And(vec![b(), c()])]),
        );
        check(
            "(ID eq 1 or ID eq 2) and ID eq 3",
            Filter::And(vec![Filter::Or(vec![a(), b()]), c()]),
        );
        check(
            "not ID eq 1 and ID eq 2",
            Filter::And(vec![Filter::not(a()), b()]),
        );
        check(
            "NOT (ID eq 1 OR ID eq 2)",
            Filter::not(Filter::Or(vec![a(), b()])),
        );
        check("not not ID eq 1", a());
        check(
            "ID eq 1 And ID eq 2 AND ID eq 3",
            Filter::And(vec![a(), b(), c()]),
        );
        check(
            "ID eq 1 or (ID eq 2 or ID eq 3)",
            Filter::Or(vec![a(), b(), c()]),
        );
        check("((((ID eq 1))))", a());
        // 'freeland' is a string, not 'and'; 'Orland' is not 'or'.
        check(
            "Info.Name eq 'freeland' and contains(Info.Name,'or')",
            Filter::And(vec![
                cmp(Field::DisplayName, CmpOp::Eq, Value::text("freeland")),
                text(Field::DisplayName, TextOp::Contains, "or"),
            ]),
        );
    }

    #[test]
    fn invalid_filters_name_their_position() {
        check_err("Foo eq 1", 0, "unknown field 'Foo'");
        check_err(
            "ID eq 1 and Info.Nme eq 'x'",
            12,
            "unknown field 'Info.Nme'",
        );
        check_err("WebUrl eq 'x'", 0, "'WebUrl' cannot be used in a filter");
        check_err("Info.Name eq 'abc", 13, "unterminated string");
        check_err("ID eq", 5, "end of the filter");
        check_err("ID eq 1 ID eq 2", 8, "unexpected 'ID'");
        check_err("(ID eq 1", 8, "expected ')'");
        check_err("ID eq 1)", 7, "unexpected ')'");
        check_err("ID eq 'x'", 6, "is not an integer");
        check_err("ID # 1", 3, "unexpected character '#'");
        check_err("StatusCode eq 12", 14, "not a customer status");
        check_err("StatusCode eq 'active'", 14, "status code");
        check_err("IsPrivate eq 1", 13, "true or false");
        check_err("ID like '1%'", 0, "text field");
        check_err("Info.Name like 5", 15, "string pattern");
        check_err("frobnicate(Info.Name,'x')", 0, "unknown function");
        check_err("contains(Info.Name 'x')", 19, "expected ','");
        check_err("Info.Name", 0, "not a condition");
        check_err("ID eq Info.Name", 6, "two fields");
        check_err("and ID eq 1", 0, "unexpected 'and'");
        check_err("123abc eq 1", 3, "unexpected character 'a'");
        check_err("ID eq 99999999999999999999", 6, "too large");
        check_err(
            "Info.Phones.Number gt 'a' or ID gt 'b'",
            35,
            "is not an integer",
        );
    }

    #[test]
    fn depth_and_size_are_limited() {
        let limits = FilterLimits::default();
        let deep = format!("{}ID eq 1{}", "(".repeat(100), ")".repeat(100));
        let e = parse_filter(&deep, &limits).unwrap_err();
        assert_eq!(e.position, limits.max_depth);
        assert!(e.message.contains("nests deeper"));
        let nots = format!("{}ID eq 1", "not ".repeat(1000));
        assert!(parse_filter(&nots, &limits)
            .unwrap_err()
            .message
            .contains("nests deeper"));
        let ok = format!(
            "{}ID eq 1{}",
            "(".repeat(limits.max_depth),
            ")".repeat(limits.max_depth)
        );
        assert!(parse_filter(&ok, &limits).is_ok());
        let huge = "ID eq 1 or ".repeat(100_000);
        let e = parse_filter(&huge, &limits).unwrap_err();
        assert!(e.message.contains("longer than 4096 bytes"));
        assert_eq!(e.position, 4096);
        // A long flat chain within the size limit is fine (no recursion per term).
        let flat = vec!["ID eq 1"; 300].join(" or ");
        assert!(flat.len() < 4096);
        assert!(parse_filter(&flat, &limits).is_ok());
        assert_eq!(parse_filter("   ", &limits).unwrap(), None);
    }

    #[test]
    fn customer_numbers_compare_as_numbers() {
        let mut people = Vec::new();
        for (seq, n) in [(1, "9"), (2, "10"), (3, "11"), (4, "100"), (5, "99")] {
            let mut c = custgate_core::Customer::new();
            c.seq = Some(seq);
            c.number = Some(n.into());
            people.push(c);
        }
        people.push(custgate_core::Customer {
            seq: Some(6),
            ..custgate_core::Customer::new()
        });
        let hits = |f: &str| -> Vec<i64> {
            let f = parse(f).unwrap();
            people
                .iter()
                .filter(|c| custgate_core::eval::matches(&f, c))
                .map(|c| c.seq.unwrap())
                .collect()
        };
        assert_eq!(hits("CustomerNumber gt 10"), [3, 4, 5]);
        assert_eq!(hits("CustomerNumber ge 10"), [2, 3, 4, 5]);
        assert_eq!(hits("CustomerNumber lt 11"), [1, 2]);
        assert_eq!(hits("CustomerNumber le 99"), [1, 2, 3, 5]);
        assert_eq!(hits("CustomerNumber gt -1"), [1, 2, 3, 4, 5]);
        assert_eq!(hits("CustomerNumber lt 0"), Vec::<i64>::new());
        assert_eq!(hits("CustomerNumber eq 100"), [4]);
        assert_eq!(hits("CustomerNumber ne 100"), [1, 2, 3, 5, 6]);
    }

    #[test]
    fn orderby_maps_and_refuses() {
        assert_eq!(
            parse_orderby("Info.Name desc, ID").unwrap(),
            vec![SortKey::desc(Field::DisplayName), SortKey::asc(Field::Seq)]
        );
        assert_eq!(
            parse_orderby("customernumber ASC").unwrap(),
            vec![SortKey::asc(Field::Number)]
        );
        for bad in [
            "Foo",
            "StatusCode",
            "Info.Phones.Number",
            "ID up",
            "",
            "WebUrl",
        ] {
            assert!(parse_orderby(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn expand_and_select_trees() {
        let seed = "Info,Info.Phones,Info.DefaultPhone,Info.Addresses,Info.Emails,Info.DefaultEmail,Info.ShippingAddress,Info.InvoiceAddress,Dimensions,Info.DefaultBankAccount,Info.Contacts.Info,Info.Contacts.Info.DefaultEmail,Info.Contacts.Info.DefaultPhone";
        let t = parse_expand(seed).unwrap();
        assert!(t
            .get("Info")
            .unwrap()
            .get("Contacts")
            .unwrap()
            .get("Info")
            .unwrap()
            .get("DefaultPhone")
            .is_some());
        assert!(t.get("Dimensions").is_some());
        assert!(parse_expand("info/phones")
            .unwrap()
            .get("Info")
            .unwrap()
            .get("Phones")
            .is_some());
        assert!(parse_expand("Info.Name").is_err());
        assert!(parse_expand("Nope").is_err());
        assert!(parse_expand("Info,,Dimensions").is_err());
        assert!(parse_expand("Dimensions.Project").is_ok());
        let (sel, implied) = parse_select("ID,Info.Name,Info.DefaultEmail.EmailAddress").unwrap();
        assert!(sel.get("Info").unwrap().get("Name").is_some());
        assert!(implied.get("Info").unwrap().get("DefaultEmail").is_some());
        assert!(parse_select("ID.Foo").is_err());
        assert!(parse_select("Nope").is_err());
    }

    #[test]
    fn params_accept_dollar_names_once() {
        let p = Params::parse(vec![
            ("$filter".into(), "ID eq 1".into()),
            ("Top".into(), "5".into()),
            ("hateoas".into(), "false".into()),
        ])
        .unwrap();
        assert_eq!(p.filter.as_deref(), Some("ID eq 1"));
        let q = p.query(&FilterLimits::default(), 100).unwrap();
        assert_eq!(q.limit, Some(5));
        assert!(Params::parse(vec![
            ("filter".into(), "a".into()),
            ("$filter".into(), "b".into())
        ])
        .is_err());
        let too_many = Params {
            top: Some("101".into()),
            ..Params::default()
        };
        assert!(too_many.query(&FilterLimits::default(), 100).is_err());
        let bad = Params {
            skip: Some("-1".into()),
            ..Params::default()
        };
        assert!(bad.query(&FilterLimits::default(), 100).is_err());
    }

    #[test]
    fn params_refuse_names_no_request_reads() {
        for name in ["fliter", "$filtr", "tpo", "expands"] {
            let e = Params::parse(vec![(name.into(), "x".into())]).unwrap_err();
            assert_eq!(e.fields()[0].field, name.trim_start_matches('$'));
        }
        let p = Params::parse(vec![
            ("filter".into(), "ID eq 1".into()),
            ("$ID".into(), "1".into()),
            ("hateoas".into(), "false".into()),
        ])
        .unwrap();
        assert!(p.only(format_args!("a list"), &["filter", "id"]).is_ok());
        let e = p.only(format_args!("a read"), &["select"]).unwrap_err();
        let fields: Vec<&str> = e.fields().iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["filter", "id"]);
        assert_eq!(e.fields()[0].message, "is not a parameter of a read");
    }

    /// The literals written as they were made before they were written in place.
    #[test]
    fn literals_are_written_as_before() {
        fn before(v: &Value) -> String {
            match v {
                Value::Null => "null".into(),
                Value::Bool(b) => b.to_string(),
                Value::Int(i) => i.to_string(),
                Value::Decimal(d) => d.normalize().to_string(),
                Value::DateTime(t) => format!(
                    "'{}'",
                    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
                ),
                Value::Text(s) => format!("'{}'", s.replace('\'', "''")),
            }
        }
        let t = chrono::DateTime::parse_from_rfc3339("2024-01-31T10:00:00.120Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        for v in [
            Value::Null,
            Value::Bool(true),
            Value::Bool(false),
            Value::Int(-9223372036854775808),
            Value::Int(42),
            Value::Decimal("12.3400".parse().unwrap()),
            Value::Decimal("-0.0".parse().unwrap()),
            Value::DateTime(t),
            Value::text(""),
            Value::text("'"),
            Value::text("''a'b'"),
            Value::text("O'Brien & Sønner 😀"),
        ] {
            let mut out = String::from("x");
            write_literal(&mut out, &v);
            assert_eq!(out, format!("x{}", before(&v)), "{v:?}");
        }
    }

    #[test]
    fn canonical_filters_become_strings() {
        let f = Filter::And(vec![
            status_eq(Status::Active),
            Filter::Or(vec![
                text(Field::DisplayName, TextOp::Contains, "O'B"),
                cmp(Field::Number, CmpOp::Eq, Value::text("42")),
            ]),
            Filter::IsNull {
                field: Field::OrgNumber,
            },
        ]);
        assert_eq!(
            filter_to_string(&f).unwrap(),
            "(StatusCode eq 30001) and ((contains(Info.Name,'O''B')) or (CustomerNumber eq 42)) and (OrgNumber eq null)"
        );
        assert_eq!(parse(&filter_to_string(&f).unwrap()).unwrap(), f);
        for bad in [
            Filter::Search("x".into()),
            cmp(Field::Number, CmpOp::Eq, Value::text("007")),
            cmp(Field::Number, CmpOp::Gt, Value::text("7")),
            Filter::Text {
                field: Field::DisplayName,
                op: TextOp::Contains,
                value: "x".into(),
                case_insensitive: false,
            },
            cmp(Field::Vat, CmpOp::Eq, Value::text("1")),
        ] {
            let e = filter_to_string(&bad).unwrap_err();
            assert_eq!(e.kind(), custgate_core::ErrorKind::Unsupported, "{bad}");
        }
        assert_eq!(
            orderby_to_string(&[SortKey::desc(Field::Seq), SortKey::asc(Field::DisplayName)])
                .unwrap(),
            Some("ID desc,Info.Name".into())
        );
        assert!(orderby_to_string(&[SortKey::asc(Field::Status)]).is_err());
    }
}
