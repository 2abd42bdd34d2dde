//! NData query parameters ↔ the canonical [`Query`], both ways.
//!
//! ## The filter grammar
//!
//! A filter parameter is `Member=OPERATIONS`, where `OPERATIONS` is one or more
//! operations joined by `;` (AND); repeating the parameter ANDs as well. An operation is
//! `OP:ARG` or a bare `ARG` (equality). `OP` is one of `eq ne neq gt gte ge lt lte le in
//! nin contains startswith endswith` (any case). The first segment is an operator only
//! when it is a known one; a first segment made of letters only that is not a known
//! operator is refused as an unknown operator; anything else (`2022-11-01T10:00:00Z`) is
//! a value. An operator takes the rest of the operation as its argument, colons
//! included. `in:` and `nin:` take a comma-separated list.
//!
//! An argument may be double-quoted, CSV style (`""` inside is one `"`): then `;`, `,`
//! and `:` in it are plain text, and `"null"` is the text `null`. An unquoted `null` (any
//! case) is the null value.
//!
//! The inverse, [`to_params`], is what the client sends upstream; it writes an explicit
//! operator in every operation and quotes text when needed, so that [`parse_list`] reads
//! back exactly what was meant.

use chrono::{DateTime, Utc};
use custgate_core::{CmpOp, Count, Error, Field, Filter, Query, SortKey, TextOp, Value, ValueType};
use rust_decimal::Decimal;

use crate::wire;

/// The members NData filters on (NData syntax).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Member {
    CardSerialNumber,
    ExternalId,
    CreditRate,
    DiscountRate,
    IsActive,
    ExpirationTime,
}

impl Member {
    pub const ALL: &'static [Member] = &[
        Member::CardSerialNumber,
        Member::ExternalId,
        Member::CreditRate,
        Member::DiscountRate,
        Member::IsActive,
        Member::ExpirationTime,
    ];

    /// The parameter name as documented.
    pub fn name(self) -> &'static str {
        match self {
            Member::CardSerialNumber => "CardSerialNumber",
            Member::ExternalId => "ExternalId",
            Member::CreditRate => "CreditRate",
            Member::DiscountRate => "DiscountRate",
            Member::IsActive => "IsActive",
            Member::ExpirationTime => "ExpirationTime",
        }
    }

    /// Looks a member up by name, ignoring ASCII case.
    pub fn parse(name: &str) -> Option<Member> {
        Member::ALL
            .iter()
            .copied()
            .find(|m| m.name().eq_ignore_ascii_case(name))
    }

    /// The canonical field the member reads (`IsActive` reads `status`).
    pub fn field(self) -> Field {
        match self {
            Member::CardSerialNumber => Field::CardSerial,
            Member::ExternalId => Field::ExternalId,
            Member::CreditRate => Field::CreditRate,
            Member::DiscountRate => Field::DiscountRate,
            Member::IsActive => Field::Status,
            Member::ExpirationTime => Field::ExpirationTime,
        }
    }

    /// The member for a canonical field, for the reverse direction.
    pub fn for_field(field: Field) -> Option<Member> {
        Member::ALL.iter().copied().find(|m| m.field() == field)
    }

    fn value_type(self) -> ValueType {
        match self {
            Member::CardSerialNumber | Member::ExternalId => ValueType::Text,
            Member::CreditRate | Member::DiscountRate => ValueType::Decimal,
            Member::IsActive => ValueType::Bool,
            Member::ExpirationTime => ValueType::DateTime,
        }
    }

    /// Whether NData can show the member as null. Rates show a missing value as 0, a
    /// card always has a serial number and `isActive` is a plain boolean.
    fn nullable(self) -> bool {
        matches!(self, Member::ExternalId | Member::ExpirationTime)
    }
}

/// An NData operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    In,
    Nin,
    Contains,
    StartsWith,
    EndsWith,
}

impl Op {
    /// Looks an operator up by any of its spellings, ignoring ASCII case.
    pub fn parse(raw: &str) -> Option<Op> {
        Some(match raw.to_ascii_lowercase().as_str() {
            "eq" => Op::Eq,
            "ne" | "neq" => Op::Ne,
            "gt" => Op::Gt,
            "gte" | "ge" => Op::Ge,
            "lt" => Op::Lt,
            "lte" | "le" => Op::Le,
            "in" => Op::In,
            "nin" => Op::Nin,
            "contains" => Op::Contains,
            "startswith" => Op::StartsWith,
            "endswith" => Op::EndsWith,
            _ => return None,
        })
    }

    /// The spelling this gateway writes.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "eq",
            Op::Ne => "ne",
            Op::Gt => "gt",
            Op::Ge => "ge",
            Op::Lt => "lt",
            Op::Le => "le",
            Op::In => "in",
            Op::Nin => "nin",
            Op::Contains => "contains",
            Op::StartsWith => "startswith",
            Op::EndsWith => "endswith",
        }
    }

    fn cmp(self) -> Option<CmpOp> {
        Some(match self {
            Op::Eq => CmpOp::Eq,
            Op::Ne => CmpOp::Ne,
            Op::Gt => CmpOp::Gt,
            Op::Ge => CmpOp::Ge,
            Op::Lt => CmpOp::Lt,
            Op::Le => CmpOp::Le,
            _ => return None,
        })
    }

    fn from_cmp(op: CmpOp) -> Op {
        match op {
            CmpOp::Eq => Op::Eq,
            CmpOp::Ne => Op::Ne,
            CmpOp::Gt => Op::Gt,
            CmpOp::Ge => Op::Ge,
            CmpOp::Lt => Op::Lt,
            CmpOp::Le => Op::Le,
        }
    }
}

/// One argument as written: the null value, or text (quoted or not).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Arg {
    Null,
    Text(String),
}

/// One parsed operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operation {
    pub op: Op,
    pub args: Vec<Arg>,
}

/// Parses the syntax of one filter parameter's value into its operations.
pub fn parse_operations(raw: &str) -> Result<Vec<Operation>, String> {
    if raw.is_empty() {
        return Err("a value is required".into());
    }
    let mut ops = Vec::new();
    let mut rest = raw;
    loop {
        let (op, after) = parse_operation(rest)?;
        ops.push(op);
        match after.strip_prefix(';') {
            None => return Ok(ops),
            Some("") => return Err("an operation is missing after ';'".into()),
            Some(next) => rest = next,
        }
    }
}

/// One operation from the start of `s`; returns it and the rest (empty, or starting
/// with the `;` that ended it).
fn parse_operation(s: &str) -> Result<(Operation, &str), String> {
    if s.is_empty() || s.starts_with(';') {
        return Err("an operation is empty".into());
    }
    let (op, body) = if s.starts_with('"') {
        (Op::Eq, s)
    } else {
        match s.find([':', ';']) {
            Some(i) if s.as_bytes()[i] == b':' => {
                let head = &s[..i];
                if let Some(op) = Op::parse(head) {
                    (op, &s[i + 1..])
                } else if head.bytes().all(|b| b.is_ascii_alphabetic()) && !head.is_empty() {
                    return Err(format!(
                        "unknown operator '{head}' (known: eq, ne, neq, gt, gte, ge, lt, lte, \
                         le, in, nin, contains, startswith, endswith); quote a value that \
                         contains ':'"
                    ));
                } else {
                    (Op::Eq, s)
                }
            }
            _ => (Op::Eq, s),
        }
    };
    let list = matches!(op, Op::In | Op::Nin);
    let mut args = Vec::new();
    let mut rest = body;
    loop {
        let (arg, after) = parse_arg(rest, list)?;
        if arg == Arg::Text(String::new()) && !rest.starts_with('"') {
            return Err(if list {
                format!("'{}' has an empty value in its list", op.as_str())
            } else {
                format!("'{}' needs a value", op.as_str())
            });
        }
        args.push(arg);
        match after.strip_prefix(',') {
            Some(next) if list => rest = next,
            _ => return Ok((Operation { op, args }, after)),
        }
    }
}

/// One argument from the start of `s`: quoted (CSV style) or up to the next `;` (or `,`
/// in a list). Returns it and the rest, starting at the delimiter.
fn parse_arg(s: &str, list: bool) -> Result<(Arg, &str), String> {
    if let Some(quoted) = s.strip_prefix('"') {
        return parse_quoted(quoted, list);
    }
    let end = s
        .find(|c| c == ';' || (list && c == ','))
        .unwrap_or(s.len());
    let v = &s[..end];
    let arg = if v.eq_ignore_ascii_case("null") {
        Arg::Null
    } else {
        Arg::Text(v.to_owned())
    };
    Ok((arg, &s[end..]))
}

/// The rest of a quoted value, after its opening quote.
fn parse_quoted(s: &str, list: bool) -> Result<(Arg, &str), String> {
    let mut out = String::new();
    let mut rest = s;
    loop {
        match rest.find('"') {
            None => return Err("a quoted value is not closed".into()),
            Some(i) => {
                out.push_str(&rest[..i]);
                let after = &rest[i + 1..];
                if let Some(more) = after.strip_prefix('"') {
                    out.push('"');
                    rest = more;
                } else {
                    return finish_quoted(after, out, list);
                }
            }
        }
    }
}

fn finish_quoted(after: &str, out: String, list: bool) -> Result<(Arg, &str), String> {
    if after.is_empty() || after.starts_with(';') || (list && after.starts_with(',')) {
        Ok((Arg::Text(out), after))
    } else {
        Err("unexpected text after a quoted value".into())
    }
}

/// The canonical filter for one filter parameter (`member`=`raw`).
pub fn member_filter(member: Member, raw: &str) -> Result<Filter, Error> {
    let fail = |m: String| Error::validation_field(member.name(), m);
    let ops = parse_operations(raw).map_err(fail)?;
    let filters = ops
        .iter()
        .map(|o| operation_filter(member, o).map_err(fail))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Filter::all(filters).expect("at least one operation"))
}

fn operation_filter(m: Member, o: &Operation) -> Result<Filter, String> {
    match o.op {
        Op::Contains | Op::StartsWith | Op::EndsWith => {
            if m.value_type() != ValueType::Text {
                return Err(format!("'{}' applies to text members only", o.op.as_str()));
            }
            let value = match &o.args[0] {
                Arg::Null => return Err(format!("'{}' cannot take null", o.op.as_str())),
                Arg::Text(s) => s.clone(),
            };
            let op = match o.op {
                Op::Contains => TextOp::Contains,
                Op::StartsWith => TextOp::StartsWith,
                _ => TextOp::EndsWith,
            };
            Ok(Filter::Text {
                field: m.field(),
                op,
                value,
                case_insensitive: true,
            })
        }
        Op::In => in_filter(m, &o.args),
        Op::Nin => Ok(Filter::not(in_filter(m, &o.args)?)),
        other => {
            let op = other.cmp().expect("comparison operators remain");
            let value = typed(m, &o.args[0])?;
            compare_filter(m, op, value)
        }
    }
}

/// An argument as a value of the member's type.
fn typed(m: Member, arg: &Arg) -> Result<Value, String> {
    let s = match arg {
        Arg::Null => return Ok(Value::Null),
        Arg::Text(s) => s,
    };
    match m.value_type() {
        ValueType::Text => Ok(Value::Text(s.clone())),
        ValueType::Decimal => parse_decimal(s).map(Value::Decimal),
        ValueType::Bool => parse_bool(s).map(Value::Bool),
        ValueType::DateTime => wire::parse_time(s).map(Value::DateTime),
        ValueType::Int => s
            .trim()
            .parse()
            .map(Value::Int)
            .map_err(|_| format!("'{s}' is not an integer")),
    }
}

fn parse_decimal(s: &str) -> Result<Decimal, String> {
    let t = s.trim();
    t.parse::<Decimal>()
        .or_else(|_| Decimal::from_scientific(t))
        .map_err(|_| format!("'{s}' is not a number"))
}

fn parse_bool(s: &str) -> Result<bool, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(format!("'{s}' is not a boolean (true or false)")),
    }
}

fn never_null(m: Member) -> String {
    format!("{} is never null", m.name())
}

fn compare_filter(m: Member, op: CmpOp, value: Value) -> Result<Filter, String> {
    if value.is_null() {
        if !m.nullable() {
            return Err(never_null(m));
        }
        return match op {
            CmpOp::Eq => Ok(Filter::IsNull { field: m.field() }),
            CmpOp::Ne => Ok(Filter::not(Filter::IsNull { field: m.field() })),
            _ => Err(format!("'{}' cannot compare with null", op.as_str())),
        };
    }
    match m {
        Member::IsActive => {
            let Value::Bool(b) = value else {
                unreachable!("IsActive values are booleans")
            };
            match op {
                CmpOp::Eq => Ok(is_active(b)),
                CmpOp::Ne => Ok(is_active(!b)),
                _ => Err(format!(
                    "'{}' does not apply to IsActive, a boolean (use eq or ne)",
                    op.as_str()
                )),
            }
        }
        Member::CreditRate | Member::DiscountRate => {
            let Value::Decimal(d) = value else {
                unreachable!("rates are decimals")
            };
            Ok(rate_compare(m.field(), op, d))
        }
        _ => Filter::compare(m.field(), op, value).map_err(|e| e.message().to_owned()),
    }
}

/// `IsActive=b`: the canonical status is (not) `active`.
fn is_active(b: bool) -> Filter {
    Filter::Compare {
        field: Field::Status,
        op: if b { CmpOp::Eq } else { CmpOp::Ne },
        value: Value::text("active"),
    }
}

/// A rate comparison where a missing rate counts as 0, as NData shows it.
fn rate_compare(field: Field, op: CmpOp, d: Decimal) -> Filter {
    let base = Filter::Compare {
        field,
        op,
        value: Value::Decimal(d),
    };
    let zero = Decimal::ZERO;
    let zero_passes = match op {
        CmpOp::Eq => zero == d,
        CmpOp::Ne => zero != d,
        CmpOp::Gt => zero > d,
        CmpOp::Ge => zero >= d,
        CmpOp::Lt => zero < d,
        CmpOp::Le => zero <= d,
    };
    // The canonical comparison is true on a missing value for `ne` only.
    let absent_passes = op == CmpOp::Ne;
    match (zero_passes, absent_passes) {
        (true, false) => Filter::Or(vec![base, Filter::IsNull { field }]),
        (false, true) => Filter::And(vec![base, Filter::not(Filter::IsNull { field })]),
        _ => base,
    }
}

fn in_filter(m: Member, args: &[Arg]) -> Result<Filter, String> {
    let has_null = args.contains(&Arg::Null);
    if has_null && !m.nullable() {
        return Err(never_null(m));
    }
    let values = args
        .iter()
        .filter(|a| **a != Arg::Null)
        .map(|a| typed(m, a))
        .collect::<Result<Vec<_>, _>>()?;
    let field = m.field();
    let mut alternatives = Vec::new();
    match m {
        Member::IsActive => {
            for b in [true, false] {
                if values.contains(&Value::Bool(b)) {
                    alternatives.push(is_active(b));
                }
            }
        }
        _ if !values.is_empty() => {
            let zero_listed = matches!(m, Member::CreditRate | Member::DiscountRate)
                && values.contains(&Value::Decimal(Decimal::ZERO));
            alternatives.push(Filter::In { field, values });
            if zero_listed {
                alternatives.push(Filter::IsNull { field });
            }
        }
        _ => {}
    }
    if has_null {
        alternatives.push(Filter::IsNull { field });
    }
    Ok(match alternatives.len() {
        1 => alternatives.pop().expect("one"),
        _ => Filter::Or(alternatives),
    })
}

/// `$sort` keys: the Customer model's property names.
pub const SORT_KEYS: &[(&str, Field)] = &[
    ("id", Field::Id),
    ("externalId", Field::ExternalId),
    ("firstName", Field::FirstName),
    ("lastName", Field::LastName),
    ("fullName", Field::DisplayName),
    ("email", Field::DefaultEmail),
    ("phone", Field::DefaultPhone),
    ("creditRate", Field::CreditRate),
    ("discountRate", Field::DiscountRate),
    ("activationTime", Field::ActivationTime),
    ("expirationTime", Field::ExpirationTime),
    ("note", Field::Note),
    ("_v", Field::Version),
];

/// Parses one `$sort` value: comma-separated `key`, `key:asc`, `key:desc` or `-key`.
pub fn parse_sort(raw: &str) -> Result<Vec<SortKey>, Error> {
    let fail = |m: String| Error::validation_field("$sort", m);
    raw.split(',')
        .map(|item| {
            let item = item.trim();
            if item.is_empty() {
                return Err(fail("a sort key is empty".into()));
            }
            let (name, descending) = if let Some(name) = item.strip_prefix('-') {
                (name, true)
            } else if let Some((name, dir)) = item.split_once(':') {
                match dir.trim().to_ascii_lowercase().as_str() {
                    "asc" => (name, false),
                    "desc" => (name, true),
                    _ => {
                        return Err(fail(format!(
                            "unknown sort direction '{dir}' (use asc or desc)"
                        )))
                    }
                }
            } else {
                (item, false)
            };
            let name = name.trim();
            let field = SORT_KEYS
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, f)| *f)
                .ok_or_else(|| {
                    fail(format!(
                        "unknown sort key '{name}' (known: {})",
                        SORT_KEYS
                            .iter()
                            .map(|(k, _)| *k)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                })?;
            Ok(SortKey { field, descending })
        })
        .collect()
}

/// Parses the query parameters of `GET /customers` (already percent-decoded, in order)
/// into a canonical query. Parameter names are matched ignoring ASCII case. `$take`
/// defaults to `max_take` and may not exceed it; `totalCount` is always asked for.
pub fn parse_list(
    pairs: &[(String, String)],
    now: DateTime<Utc>,
    max_take: u32,
) -> Result<Query, Error> {
    let mut filters = Vec::new();
    let mut sort = Vec::new();
    let (mut skip, mut take, mut count, mut expired) = (None, None, None, None);
    fn once<T>(slot: &mut Option<T>, name: &str, v: T) -> Result<(), Error> {
        if slot.is_some() {
            return Err(Error::validation_field(name, "is given more than once"));
        }
        *slot = Some(v);
        Ok(())
    }
    for (key, value) in pairs {
        match key.to_ascii_lowercase().as_str() {
            "$skip" => {
                let v = value.trim().parse::<u64>().map_err(|_| {
                    Error::validation_field(
                        "$skip",
                        format!("'{value}' is not a whole number of 0 or more"),
                    )
                })?;
                once(&mut skip, "$skip", v)?;
            }
            "$take" => {
                let v = value
                    .trim()
                    .parse::<u32>()
                    .ok()
                    .filter(|v| *v <= max_take)
                    .ok_or_else(|| {
                        Error::validation_field(
                            "$take",
                            format!("'{value}' is not a whole number from 0 to {max_take}"),
                        )
                    })?;
                once(&mut take, "$take", v)?;
            }
            "$sort" => sort.extend(parse_sort(value)?),
            "$count" => {
                let v = parse_bool(value).map_err(|m| Error::validation_field("$count", m))?;
                once(&mut count, "$count", v)?;
            }
            "search" => {
                if !value.is_empty() {
                    filters.push(Filter::Search(value.clone()));
                }
            }
            "isexpired" => {
                let v = parse_bool(value).map_err(|m| Error::validation_field("IsExpired", m))?;
                once(&mut expired, "IsExpired", v)?;
            }
            _ => match Member::parse(key) {
                Some(m) => filters.push(member_filter(m, value)?),
                None => {
                    return Err(Error::validation_field(
                        key.as_str(),
                        format!(
                            "unknown query parameter '{key}' (known: CardSerialNumber, \
                             ExternalId, CreditRate, DiscountRate, IsActive, ExpirationTime, \
                             IsExpired, Search, $skip, $take, $sort, $count)"
                        ),
                    ))
                }
            },
        }
    }
    if let Some(e) = expired {
        filters.push(is_expired(e, now));
    }
    Ok(Query {
        filter: Filter::all(filters),
        sort,
        offset: skip.unwrap_or(0),
        limit: Some(take.unwrap_or(max_take)),
        count: if count == Some(true) {
            Count::Only
        } else {
            Count::WithTotal
        },
    })
}

/// `IsExpired=b`: whether the expiration time has passed at `now` (NData's `Expired`).
pub fn is_expired(expired: bool, now: DateTime<Utc>) -> Filter {
    let passed = Filter::Compare {
        field: Field::ExpirationTime,
        op: CmpOp::Le,
        value: Value::DateTime(now),
    };
    if expired {
        passed
    } else {
        Filter::Or(vec![
            Filter::IsNull {
                field: Field::ExpirationTime,
            },
            Filter::Compare {
                field: Field::ExpirationTime,
                op: CmpOp::Gt,
                value: Value::DateTime(now),
            },
        ])
    }
}

fn unsupported(what: impl std::fmt::Display) -> Error {
    Error::unsupported(format!("NData does not support {what}"))
}

/// The NData query parameters for a canonical query (what the client sends upstream).
///
/// Only a conjunction of what NData filters on can be written; anything else is an
/// `Unsupported` error naming it. Sort keys must be in [`SORT_KEYS`]. `limit` becomes
/// `$take` as is (the caller keeps it within the upstream's maximum).
pub fn to_params(q: &Query) -> Result<Vec<(String, String)>, Error> {
    let mut out = Vec::new();
    if let Some(f) = &q.filter {
        filter_params(f, &mut out)?;
    }
    if !q.sort.is_empty() {
        let keys = q
            .sort
            .iter()
            .map(|k| {
                let name = SORT_KEYS
                    .iter()
                    .find(|(_, f)| *f == k.field)
                    .map(|(n, _)| *n)
                    .ok_or_else(|| unsupported(format!("sorting on {}", k.field)))?;
                Ok(if k.descending {
                    format!("-{name}")
                } else {
                    name.to_owned()
                })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        out.push(("$sort".to_owned(), keys.join(",")));
    }
    if q.offset > 0 {
        out.push(("$skip".to_owned(), q.offset.to_string()));
    }
    if let Some(l) = q.limit {
        out.push(("$take".to_owned(), l.to_string()));
    }
    if q.count == Count::Only {
        out.push(("$count".to_owned(), "true".to_owned()));
    }
    Ok(out)
}

fn filter_params(f: &Filter, out: &mut Vec<(String, String)>) -> Result<(), Error> {
    match f {
        Filter::And(v) => v.iter().try_for_each(|f| filter_params(f, out)),
        Filter::Or(v) if v.len() == 1 => filter_params(&v[0], out),
        Filter::Or(_) => Err(unsupported("combining filters with 'or'")),
        Filter::Search(s) => {
            out.push(("Search".to_owned(), s.clone()));
            Ok(())
        }
        Filter::Compare { field, op, value } => {
            out.push(compare_param(*field, *op, value)?);
            Ok(())
        }
        Filter::Text {
            field,
            op,
            value,
            case_insensitive,
        } => {
            let m = Member::for_field(*field)
                .filter(|m| m.value_type() == ValueType::Text)
                .ok_or_else(|| unsupported(format!("text matching on {field}")))?;
            let nop = match op {
                TextOp::Contains => Op::Contains,
                TextOp::StartsWith => Op::StartsWith,
                TextOp::EndsWith => Op::EndsWith,
                TextOp::Like => return Err(unsupported(format!("'like' on {field}"))),
            };
            if !case_insensitive {
                return Err(unsupported(format!(
                    "case-sensitive '{}' on {field} (its text operators ignore case)",
                    op.as_str()
                )));
            }
            out.push((
                m.name().to_owned(),
                format!("{}:{}", nop.as_str(), quote(value, false)),
            ));
            Ok(())
        }
        Filter::In { field, values } => {
            out.push(in_param(*field, values, false)?);
            Ok(())
        }
        Filter::IsNull { field } => {
            let m = nullable_member(*field)?;
            out.push((m.name().to_owned(), "eq:null".to_owned()));
            Ok(())
        }
        Filter::Not(inner) => match &**inner {
            Filter::Compare {
                field,
                op: CmpOp::Eq,
                value,
            } => {
                out.push(compare_param(*field, CmpOp::Ne, value)?);
                Ok(())
            }
            Filter::Compare {
                field,
                op: CmpOp::Ne,
                value,
            } => {
                out.push(compare_param(*field, CmpOp::Eq, value)?);
                Ok(())
            }
            Filter::IsNull { field } => {
                let m = nullable_member(*field)?;
                out.push((m.name().to_owned(), "ne:null".to_owned()));
                Ok(())
            }
            Filter::In { field, values } => {
                out.push(in_param(*field, values, true)?);
                Ok(())
            }
            other => Err(unsupported(format!("negating {other}"))),
        },
    }
}

fn nullable_member(field: Field) -> Result<Member, Error> {
    Member::for_field(field)
        .filter(|m| m.nullable())
        .ok_or_else(|| unsupported(format!("testing {field} for null")))
}

fn compare_param(field: Field, op: CmpOp, value: &Value) -> Result<(String, String), Error> {
    if field == Field::Status {
        let Value::Text(s) = value else {
            return Err(unsupported(format!("comparing status with {value}")));
        };
        let active = match (s.as_str(), op) {
            ("active", CmpOp::Eq) | ("inactive", CmpOp::Ne) => true,
            ("active", CmpOp::Ne) | ("inactive", CmpOp::Eq) => false,
            _ => {
                return Err(unsupported(format!(
                    "status {} '{s}' (it only knows active and inactive)",
                    op.as_str()
                )))
            }
        };
        return Ok(("IsActive".to_owned(), format!("eq:{active}")));
    }
    let m = Member::for_field(field).ok_or_else(|| unsupported(format!("filtering on {field}")))?;
    if value.is_null() {
        return Err(unsupported(format!("comparing {field} with null")));
    }
    Ok((
        m.name().to_owned(),
        format!("{}:{}", Op::from_cmp(op).as_str(), arg(value, false)?),
    ))
}

fn in_param(field: Field, values: &[Value], negated: bool) -> Result<(String, String), Error> {
    let m = Member::for_field(field)
        .filter(|m| *m != Member::IsActive)
        .ok_or_else(|| unsupported(format!("'in' on {field}")))?;
    if values.is_empty() {
        return Err(unsupported("an empty 'in' list"));
    }
    let list = values
        .iter()
        .map(|v| arg(v, true))
        .collect::<Result<Vec<_>, _>>()?;
    let op = if negated { Op::Nin } else { Op::In };
    Ok((
        m.name().to_owned(),
        format!("{}:{}", op.as_str(), list.join(",")),
    ))
}

/// A literal as an argument, quoted when needed.
fn arg(v: &Value, list: bool) -> Result<String, Error> {
    Ok(match v {
        Value::Text(s) => quote(s, list),
        Value::Decimal(d) => d.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::DateTime(t) => wire::format_time(t),
        Value::Null => return Err(unsupported("a null in a list")),
    })
}

/// Text as an argument: double-quoted (CSV style) when it could be misread.
pub fn quote(s: &str, list: bool) -> String {
    let risky = s.is_empty()
        || s.starts_with('"')
        || s.contains(';')
        || (list && s.contains(','))
        || s.eq_ignore_ascii_case("null");
    if risky {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 1, 1, 12, 0, 0).unwrap()
    }

    fn text(s: &str) -> Arg {
        Arg::Text(s.into())
    }

    fn op(op: Op, args: Vec<Arg>) -> Operation {
        Operation { op, args }
    }

    /// The syntax table: input → operations, or the error message.
    #[test]
    fn the_grammar_parses_operations() {
        let ok: Vec<(&str, Vec<Operation>)> = vec![
            ("abc", vec![op(Op::Eq, vec![text("abc")])]),
            ("null", vec![op(Op::Eq, vec![Arg::Null])]),
            ("NULL", vec![op(Op::Eq, vec![Arg::Null])]),
            ("\"null\"", vec![op(Op::Eq, vec![text("null")])]),
            (
                "gt:0;lt:50",
                vec![op(Op::Gt, vec![text("0")]), op(Op::Lt, vec![text("50")])],
            ),
            ("GTE:1", vec![op(Op::Ge, vec![text("1")])]),
            ("neq:x", vec![op(Op::Ne, vec![text("x")])]),
            ("lte:1", vec![op(Op::Le, vec![text("1")])]),
            (
                "gt:2022-11-01T10:00:00Z",
                vec![op(Op::Gt, vec![text("2022-11-01T10:00:00Z")])],
            ),
            (
                "2022-11-01T10:00:00Z",
                vec![op(Op::Eq, vec![text("2022-11-01T10:00:00Z")])],
            ),
            (
                "in:a,b,\"c,d\"",
                vec![op(Op::In, vec![text("a"), text("b"), text("c,d")])],
            ),
            (
                "in:\"say \"\"hi\"\"\",x",
                vec![op(Op::In, vec![text("say \"hi\""), text("x")])],
            ),
            ("nin:1,null", vec![op(Op::Nin, vec![text("1"), Arg::Null])]),
            (
                "eq:\"a;b\";ne:c",
                vec![op(Op::Eq, vec![text("a;b")]), op(Op::Ne, vec![text("c")])],
            ),
            ("\"shop:42\"", vec![op(Op::Eq, vec![text("shop:42")])]),
            ("eq:\"\"", vec![op(Op::Eq, vec![text("")])]),
            ("contains:a:b", vec![op(Op::Contains, vec![text("a:b")])]),
            ("ABC-1:x", vec![op(Op::Eq, vec![text("ABC-1:x")])]),
            ("eq:a\"b", vec![op(Op::Eq, vec![text("a\"b")])]),
            ("in:x", vec![op(Op::In, vec![text("x")])]),
        ];
        for (input, expected) in ok {
            assert_eq!(parse_operations(input), Ok(expected), "{input}");
        }
        let bad = [
            ("", "a value is required"),
            ("gt:", "'gt' needs a value"),
            ("gt:1;", "an operation is missing after ';'"),
            (";gt:1", "an operation is empty"),
            ("gt:1;;lt:2", "an operation is empty"),
            ("in:a,,b", "'in' has an empty value in its list"),
            ("in:", "'in' has an empty value in its list"),
            ("\"open", "a quoted value is not closed"),
            ("\"a\"b", "unexpected text after a quoted value"),
            ("eq:\"a\"\"", "a quoted value is not closed"),
        ];
        for (input, message) in bad {
            assert_eq!(parse_operations(input), Err(message.to_owned()), "{input}");
        }
        let e = parse_operations("foo:1").unwrap_err();
        assert!(e.starts_with("unknown operator 'foo'"), "{e}");
        let e = parse_operations("shop:42").unwrap_err();
        assert!(e.starts_with("unknown operator 'shop'"), "{e}");
    }

    fn check(member: &str, raw: &str, expected: Result<&str, &str>) {
        let m = Member::parse(member).unwrap();
        let got = member_filter(m, raw)
            .map(|f| f.to_string())
            .map_err(|e| e.to_string());
        match expected {
            Ok(s) => assert_eq!(got.as_deref(), Ok(s), "{member}={raw}"),
            Err(s) => {
                let e = got.expect_err(&format!("{member}={raw} accepted"));
                assert!(e.contains(s), "{member}={raw}: {e}");
            }
        }
    }

    /// The typing table: member and value → canonical filter, or the error.
    #[test]
    fn members_become_canonical_filters() {
        check("ExternalId", "abc", Ok("external_id eq 'abc'"));
        check("externalid", "null", Ok("external_id is null"));
        check("ExternalId", "ne:null", Ok("not external_id is null"));
        check(
            "ExternalId",
            "contains:AB",
            Ok("external_id contains_ci 'AB'"),
        );
        check(
            "ExternalId",
            "startswith:a;endswith:z",
            Ok("(external_id starts_with_ci 'a' and external_id ends_with_ci 'z')"),
        );
        check(
            "ExternalId",
            "in:a,null",
            Ok("(external_id in ['a'] or external_id is null)"),
        );
        check("ExternalId", "nin:a,b", Ok("not external_id in ['a', 'b']"));
        check(
            "CardSerialNumber",
            "card-serial-number",
            Ok("cards.serial_number eq 'card-serial-number'"),
        );
        check(
            "CardSerialNumber",
            "null",
            Err("CardSerialNumber is never null"),
        );
        check("DiscountRate", "gt:0;lt:50", Ok("(finance.discount_rate gt 0 and (finance.discount_rate lt 50 or finance.discount_rate is null))"));
        check(
            "DiscountRate",
            "0",
            Ok("(finance.discount_rate eq 0 or finance.discount_rate is null)"),
        );
        check(
            "DiscountRate",
            "ne:0",
            Ok("(finance.discount_rate ne 0 and not finance.discount_rate is null)"),
        );
        check("DiscountRate", "ne:5", Ok("finance.discount_rate ne 5"));
        check(
            "CreditRate",
            "in:0,10.5",
            Ok("(finance.credit_rate in [0, 10.5] or finance.credit_rate is null)"),
        );
        check("CreditRate", "ge:1e1", Ok("finance.credit_rate ge 10"));
        check("CreditRate", "abc", Err("'abc' is not a number"));
        check("CreditRate", "null", Err("CreditRate is never null"));
        check(
            "CreditRate",
            "contains:1",
            Err("'contains' applies to text members only"),
        );
        check("IsActive", "true", Ok("status eq 'active'"));
        check("IsActive", "False", Ok("status ne 'active'"));
        check("IsActive", "ne:true", Ok("status ne 'active'"));
        check(
            "IsActive",
            "in:true,false",
            Ok("(status eq 'active' or status ne 'active')"),
        );
        check(
            "IsActive",
            "gt:true",
            Err("'gt' does not apply to IsActive"),
        );
        check("IsActive", "yes", Err("'yes' is not a boolean"));
        check(
            "ExpirationTime",
            "gt:2022-11-01T10:00:00Z",
            Ok("expiration_time gt 2022-11-01T10:00:00+00:00"),
        );
        check(
            "ExpirationTime",
            "2022-11-01",
            Ok("expiration_time eq 2022-11-01T00:00:00+00:00"),
        );
        check(
            "ExpirationTime",
            "lt:2022-11-01T10:00:00 01:00",
            Ok("expiration_time lt 2022-11-01T09:00:00+00:00"),
        );
        check("ExpirationTime", "null", Ok("expiration_time is null"));
        check(
            "ExpirationTime",
            "gt:null",
            Err("'gt' cannot compare with null"),
        );
        check("ExpirationTime", "soon", Err("'soon' is not a date-time"));
        check(
            "ExpirationTime",
            "between:1:2",
            Err("unknown operator 'between'"),
        );
    }

    fn pairs(q: &str) -> Vec<(String, String)> {
        serde_urlencoded::from_str(q).unwrap()
    }

    #[test]
    fn list_parameters_become_a_query() {
        let q = parse_list(
            &pairs("DiscountRate=gt:0&discountrate=lt:50&$SKIP=10&$take=5&$sort=lastName,-firstName,email:desc&Search=doe"),
            now(),
            100,
        )
        .unwrap();
        assert_eq!(q.offset, 10);
        assert_eq!(q.limit, Some(5));
        assert_eq!(q.count, Count::WithTotal);
        assert_eq!(
            q.sort,
            vec![
                SortKey::asc(Field::LastName),
                SortKey::desc(Field::FirstName),
                SortKey::desc(Field::DefaultEmail)
            ]
        );
        assert_eq!(
            q.filter.unwrap().to_string(),
            "(finance.discount_rate gt 0 and (finance.discount_rate lt 50 or finance.discount_rate is null) and search 'doe')"
        );

        let q = parse_list(&pairs("$count=true&IsExpired=true"), now(), 100).unwrap();
        assert_eq!(q.count, Count::Only);
        assert_eq!(q.limit, Some(100));
        assert_eq!(
            q.filter.unwrap().to_string(),
            "expiration_time le 2024-01-01T12:00:00+00:00"
        );
        let q = parse_list(&pairs("IsExpired=false&Search="), now(), 100).unwrap();
        assert_eq!(
            q.filter.unwrap().to_string(),
            "(expiration_time is null or expiration_time gt 2024-01-01T12:00:00+00:00)"
        );

        for (input, member, message) in [
            (
                "$take=101",
                "$take",
                "'101' is not a whole number from 0 to 100",
            ),
            ("$take=-1", "$take", "is not a whole number"),
            ("$skip=x", "$skip", "'x' is not a whole number"),
            ("$skip=1&$skip=2", "$skip", "is given more than once"),
            ("$count=maybe", "$count", "is not a boolean"),
            ("IsExpired=1", "IsExpired", "is not a boolean"),
            ("$sort=nope", "$sort", "unknown sort key 'nope'"),
            ("$sort=lastName:up", "$sort", "unknown sort direction 'up'"),
            ("$sort=id,,note", "$sort", "a sort key is empty"),
            ("Name=John", "Name", "unknown query parameter 'Name'"),
            ("ExternalId=foo:bar", "ExternalId", "unknown operator 'foo'"),
        ] {
            let e = parse_list(&pairs(input), now(), 100).unwrap_err();
            assert_eq!(e.fields()[0].field, member, "{input}");
            assert!(e.fields()[0].message.contains(message), "{input}: {e}");
        }
    }

    #[test]
    fn canonical_queries_become_parameters() {
        let q = Query {
            filter: Some(Filter::And(vec![
                Filter::eq(Field::ExternalId, Value::text("a;b")).unwrap(),
                Filter::not(Filter::eq(Field::Status, Value::text("active")).unwrap()),
                Filter::in_list(
                    Field::CardSerial,
                    vec![Value::text("x,y"), Value::text("null")],
                )
                .unwrap(),
                Filter::text(Field::ExternalId, TextOp::StartsWith, "AB", true).unwrap(),
                Filter::not(Filter::IsNull {
                    field: Field::ExpirationTime,
                }),
                Filter::compare(
                    Field::ExpirationTime,
                    CmpOp::Gt,
                    Value::DateTime(Utc.with_ymd_and_hms(2022, 11, 1, 10, 0, 0).unwrap()),
                )
                .unwrap(),
                Filter::Search("jo".into()),
            ])),
            sort: vec![
                SortKey::desc(Field::DisplayName),
                SortKey::asc(Field::Version),
            ],
            offset: 20,
            limit: Some(10),
            count: Count::Only,
        };
        let params = to_params(&q).unwrap();
        let expected: Vec<(String, String)> = [
            ("ExternalId", "eq:\"a;b\""),
            ("IsActive", "eq:false"),
            ("CardSerialNumber", "in:\"x,y\",\"null\""),
            ("ExternalId", "startswith:AB"),
            ("ExpirationTime", "ne:null"),
            ("ExpirationTime", "gt:2022-11-01T10:00:00.00Z"),
            ("Search", "jo"),
            ("$sort", "-fullName,_v"),
            ("$skip", "20"),
            ("$take", "10"),
            ("$count", "true"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(params, expected);

        for (f, message) in [
            (
                Filter::Or(vec![
                    Filter::IsNull { field: Field::Note },
                    Filter::IsNull { field: Field::Note },
                ]),
                "combining filters with 'or'",
            ),
            (
                Filter::IsNull { field: Field::Note },
                "testing note for null",
            ),
            (
                Filter::eq(Field::Email, Value::text("a@b")).unwrap(),
                "filtering on emails.address",
            ),
            (
                Filter::text(Field::ExternalId, TextOp::Contains, "a", false).unwrap(),
                "case-sensitive 'contains'",
            ),
            (
                Filter::eq(Field::Status, Value::text("quote")).unwrap(),
                "status eq 'quote'",
            ),
            (
                Filter::IsNull {
                    field: Field::DiscountRate,
                },
                "testing finance.discount_rate for null",
            ),
        ] {
            let e = to_params(&Query::filtered(f)).unwrap_err();
            assert_eq!(e.kind(), custgate_core::ErrorKind::Unsupported);
            assert!(e.message().contains(message), "{e}");
        }
    }
}
