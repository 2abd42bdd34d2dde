//! The canonical query: a filter tree, sort keys, offset/limit and a count mode.
//!
//! Dialects parse their own query languages into this; stores run it (the SQL store
//! translates it to SQL, upstream clients translate it back into their dialect's query
//! string); [`crate::eval`] defines what it means.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::field::{Field, Value, ValueType};
use crate::model::Customer;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CmpOp {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

impl CmpOp {
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "eq",
            CmpOp::Ne => "ne",
            CmpOp::Gt => "gt",
            CmpOp::Ge => "ge",
            CmpOp::Lt => "lt",
            CmpOp::Le => "le",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextOp {
    Contains,
    StartsWith,
    EndsWith,
    /// A pattern where `%` matches any run of characters and `_` any one character.
    Like,
}

impl TextOp {
    pub fn as_str(self) -> &'static str {
        match self {
            TextOp::Contains => "contains",
            TextOp::StartsWith => "starts_with",
            TextOp::EndsWith => "ends_with",
            TextOp::Like => "like",
        }
    }
}

/// A filter over canonical fields.
///
/// Semantics (implemented by [`crate::eval::matches`], the reference):
/// - on a multi-valued field a comparison, text match or `In` is true when *any* value
///   satisfies it;
/// - `Ne` is exactly `Not(Eq)`: true when no value equals the literal, absent included;
/// - `Gt`, `Ge`, `Lt`, `Le`, text matches and `In` are false on an absent value;
/// - text compares byte-wise; `case_insensitive` lowercases both sides (Unicode);
/// - `IsNull` is true when the field has no value;
/// - `Search` is a case-insensitive contains over [`Field::SEARCH`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Filter {
    And(Vec<Filter>),
    Or(Vec<Filter>),
    Not(Box<Filter>),
    Compare {
        field: Field,
        op: CmpOp,
        value: Value,
    },
    Text {
        field: Field,
        op: TextOp,
        value: String,
        case_insensitive: bool,
    },
    In {
        field: Field,
        values: Vec<Value>,
    },
    IsNull {
        field: Field,
    },
    Search(String),
}

impl Filter {
    /// A comparison, with the literal coerced to the field's type. `Eq`/`Ne` with a null
    /// literal become `IsNull` / `Not(IsNull)`.
    pub fn compare(field: Field, op: CmpOp, value: Value) -> Result<Filter> {
        if value.is_null() {
            return match op {
                CmpOp::Eq => Ok(Filter::IsNull { field }),
                CmpOp::Ne => Ok(Filter::not(Filter::IsNull { field })),
                _ => Err(Error::validation_field(
                    field.path(),
                    format!("'{}' cannot compare with null", op.as_str()),
                )),
            };
        }
        let value = value
            .coerce(field.value_type())
            .map_err(|m| Error::validation_field(field.path(), m))?;
        if matches!(op, CmpOp::Gt | CmpOp::Ge | CmpOp::Lt | CmpOp::Le)
            && field.value_type() == ValueType::Bool
        {
            return Err(Error::validation_field(
                field.path(),
                "booleans only compare with eq and ne",
            ));
        }
        Ok(Filter::Compare { field, op, value })
    }

    pub fn eq(field: Field, value: Value) -> Result<Filter> {
        Filter::compare(field, CmpOp::Eq, value)
    }

    /// A text match; only text fields take one.
    pub fn text(
        field: Field,
        op: TextOp,
        value: impl Into<String>,
        case_insensitive: bool,
    ) -> Result<Filter> {
        if field.value_type() != ValueType::Text {
            return Err(Error::validation_field(
                field.path(),
                format!("'{}' applies to text fields only", op.as_str()),
            ));
        }
        Ok(Filter::Text {
            field,
            op,
            value: value.into(),
            case_insensitive,
        })
    }

    /// A membership test, with every literal coerced to the field's type.
    pub fn in_list(field: Field, values: Vec<Value>) -> Result<Filter> {
        let values = values
            .into_iter()
            .map(|v| {
                v.coerce(field.value_type())
                    .map_err(|m| Error::validation_field(field.path(), m))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Filter::In { field, values })
    }

    #[allow(clippy::should_implement_trait)]
    pub fn not(inner: Filter) -> Filter {
        match inner {
            Filter::Not(f) => *f,
            other => Filter::Not(Box::new(other)),
        }
    }

    /// Joins filters with AND, flattening nested ANDs; `None` when there are none.
    pub fn all(filters: impl IntoIterator<Item = Filter>) -> Option<Filter> {
        let mut out = Vec::new();
        for f in filters {
            match f {
                Filter::And(v) => out.extend(v),
                f => out.push(f),
            }
        }
        match out.len() {
            0 => None,
            1 => out.pop(),
            _ => Some(Filter::And(out)),
        }
    }

    /// Re-checks every literal against its field's type (for filters that arrive as JSON).
    pub fn normalize(self) -> Result<Filter> {
        Ok(match self {
            Filter::And(v) => Filter::And(
                v.into_iter()
                    .map(Filter::normalize)
                    .collect::<Result<_>>()?,
            ),
            Filter::Or(v) => Filter::Or(
                v.into_iter()
                    .map(Filter::normalize)
                    .collect::<Result<_>>()?,
            ),
            Filter::Not(f) => Filter::not(f.normalize()?),
            Filter::Compare { field, op, value } => Filter::compare(field, op, value)?,
            Filter::Text {
                field,
                op,
                value,
                case_insensitive,
            } => Filter::text(field, op, value, case_insensitive)?,
            Filter::In { field, values } => Filter::in_list(field, values)?,
            f @ (Filter::IsNull { .. } | Filter::Search(_)) => f,
        })
    }

    /// How deep the tree is (a leaf is 1).
    pub fn depth(&self) -> usize {
        match self {
            Filter::And(v) | Filter::Or(v) => 1 + v.iter().map(Filter::depth).max().unwrap_or(0),
            Filter::Not(f) => 1 + f.depth(),
            _ => 1,
        }
    }
}

impl fmt::Display for Filter {
    /// A readable form, used in error messages and the planner's explanation.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn join(f: &mut fmt::Formatter<'_>, v: &[Filter], sep: &str) -> fmt::Result {
            f.write_str("(")?;
            for (i, x) in v.iter().enumerate() {
                if i > 0 {
                    write!(f, " {sep} ")?;
                }
                write!(f, "{x}")?;
            }
            f.write_str(")")
        }
        match self {
            Filter::And(v) => join(f, v, "and"),
            Filter::Or(v) => join(f, v, "or"),
            Filter::Not(x) => write!(f, "not {x}"),
            Filter::Compare { field, op, value } => {
                write!(f, "{field} {} {value}", op.as_str())
            }
            Filter::Text {
                field,
                op,
                value,
                case_insensitive,
            } => write!(
                f,
                "{field} {}{} {}",
                op.as_str(),
                if *case_insensitive { "_ci" } else { "" },
                Value::text(value.clone())
            ),
            Filter::In { field, values } => {
                write!(f, "{field} in [")?;
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str("]")
            }
            Filter::IsNull { field } => write!(f, "{field} is null"),
            Filter::Search(s) => write!(f, "search {}", Value::text(s.clone())),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SortKey {
    pub field: Field,
    pub descending: bool,
}

impl SortKey {
    pub fn asc(field: Field) -> Self {
        Self {
            field,
            descending: false,
        }
    }

    pub fn desc(field: Field) -> Self {
        Self {
            field,
            descending: true,
        }
    }
}

/// Whether the caller wants the items, the total, or both.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Count {
    /// Items only.
    #[default]
    None,
    /// Items and the number of matches before paging.
    WithTotal,
    /// The number of matches only.
    Only,
}

/// A canonical query.
///
/// Results are ordered by the sort keys, then by `seq`, then by `id`, so paging is
/// stable. Text sorts by its lowercase form, then byte-wise; absent values sort first
/// ascending and last descending. Multi-valued fields cannot be sort keys.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Query {
    pub filter: Option<Filter>,
    pub sort: Vec<SortKey>,
    pub offset: u64,
    pub limit: Option<u32>,
    pub count: Count,
}

impl Query {
    pub fn filtered(filter: Filter) -> Self {
        Self {
            filter: Some(filter),
            ..Self::default()
        }
    }

    /// Checks what every store needs: sortable keys and a sane filter depth.
    pub fn check(&self) -> Result<()> {
        for k in &self.sort {
            if k.field.is_multi() {
                return Err(Error::validation_field(
                    "sort",
                    format!("'{}' holds several values and cannot be sorted on", k.field),
                ));
            }
        }
        if let Some(f) = &self.filter {
            if f.depth() > MAX_FILTER_DEPTH {
                return Err(Error::validation_field(
                    "filter",
                    format!("is nested deeper than {MAX_FILTER_DEPTH} levels"),
                ));
            }
        }
        Ok(())
    }
}

/// The deepest filter tree any store accepts.
pub const MAX_FILTER_DEPTH: usize = 32;

/// One page of results.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Page {
    pub items: Vec<Customer>,
    /// Matches before paging, when asked for.
    pub total: Option<u64>,
}

/// A key a customer can be looked up by. Lookups are exact; names and numbers compare
/// after trimming surrounding white space.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "key", content = "value")]
pub enum Key {
    /// The display name, exact and case-sensitive.
    Name(String),
    Number(String),
    ExternalId(String),
    ReferenceNo(String),
    Email(String),
    /// A mobile number in canonical (E.164-style) form.
    Mobile(String),
    /// The value of any identification.
    Identification(String),
    Seq(i64),
}

impl Key {
    pub fn name(&self) -> &'static str {
        match self {
            Key::Name(_) => "name",
            Key::Number(_) => "number",
            Key::ExternalId(_) => "external_id",
            Key::ReferenceNo(_) => "reference_no",
            Key::Email(_) => "email",
            Key::Mobile(_) => "mobile",
            Key::Identification(_) => "identification",
            Key::Seq(_) => "seq",
        }
    }

    /// The filter that finds this key. Every text key is looked up trimmed, as the
    /// dialects trim what they store and as an upstream's lookup (v1core's) trims too, so
    /// every backend finds the same records for the same key.
    pub fn to_filter(&self) -> Filter {
        let (field, value) = match self {
            Key::Name(s) => (Field::DisplayName, Value::text(s.trim())),
            Key::Number(s) => (Field::Number, Value::text(s.trim())),
            Key::ExternalId(s) => (Field::ExternalId, Value::text(s.trim())),
            Key::ReferenceNo(s) => (Field::ReferenceNo, Value::text(s.trim())),
            Key::Email(s) => (Field::Email, Value::text(s.trim())),
            Key::Mobile(s) => (Field::Mobile, Value::text(s.trim())),
            Key::Identification(s) => (Field::Identification, Value::text(s.trim())),
            Key::Seq(n) => (Field::Seq, Value::Int(*n)),
        };
        Filter::Compare {
            field,
            op: CmpOp::Eq,
            value,
        }
    }
}

impl fmt::Display for Key {
    /// The key's name and value, the value quoted as in a filter: `number '42'`, `seq 7`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Key::Seq(n) => write!(f, "seq {n}"),
            Key::Name(s)
            | Key::Number(s)
            | Key::ExternalId(s)
            | Key::ReferenceNo(s)
            | Key::Email(s)
            | Key::Mobile(s)
            | Key::Identification(s) => write!(f, "{} {}", self.name(), Value::text(s.as_str())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_key_is_looked_up_trimmed() {
        for key in [
            Key::Name(" Ann ".into()),
            Key::Number(" 42 ".into()),
            Key::ExternalId(" x-1 ".into()),
            Key::ReferenceNo(" R1 ".into()),
            Key::Email(" a@b.c ".into()),
            Key::Mobile(" +966500000000 ".into()),
            Key::Identification(" 1000000001 ".into()),
        ] {
            let Filter::Compare {
                value: Value::Text(v),
                ..
            } = key.to_filter()
            else {
                panic!("{key}: not an equality on text");
            };
            assert_eq!(v, v.trim(), "{key}");
        }
    }

    #[test]
    fn constructors_coerce_and_check() {
        let f = Filter::compare(Field::Seq, CmpOp::Gt, Value::text("7")).unwrap();
        assert_eq!(f.to_string(), "seq gt 7");
        assert!(Filter::compare(Field::Seq, CmpOp::Gt, Value::text("x")).is_err());
        assert!(Filter::text(Field::Seq, TextOp::Contains, "1", false).is_err());
        assert_eq!(
            Filter::eq(Field::Note, Value::Null).unwrap(),
            Filter::IsNull { field: Field::Note }
        );
        assert!(Filter::compare(Field::Note, CmpOp::Lt, Value::Null).is_err());
        assert!(Filter::compare(Field::Taxable, CmpOp::Lt, Value::Bool(true)).is_err());
    }

    #[test]
    fn all_flattens_and_not_cancels() {
        let a = Filter::IsNull { field: Field::Note };
        let both = Filter::all([a.clone(), Filter::And(vec![a.clone(), a.clone()])]).unwrap();
        assert_eq!(both, Filter::And(vec![a.clone(), a.clone(), a.clone()]));
        assert_eq!(Filter::not(Filter::not(a.clone())), a);
        assert_eq!(Filter::all([]), None);
    }

    #[test]
    fn filters_round_trip_as_json() {
        let f = Filter::Or(vec![
            Filter::text(Field::DisplayName, TextOp::Contains, "jo", true).unwrap(),
            Filter::in_list(Field::Seq, vec![Value::Int(1), Value::text("2")]).unwrap(),
        ]);
        let json = serde_json::to_string(&f).unwrap();
        let back: Filter = serde_json::from_str(&json).unwrap();
        assert_eq!(back.normalize().unwrap(), f);
    }

    #[test]
    fn keys_show_as_in_a_filter() {
        assert_eq!(Key::Number("42".into()).to_string(), "number '42'");
        assert_eq!(Key::Name("O'Hara".into()).to_string(), "name 'O''Hara'");
        assert_eq!(Key::Seq(7).to_string(), "seq 7");
    }

    #[test]
    fn query_check_refuses_multi_sorts_and_deep_trees() {
        let mut q = Query {
            sort: vec![SortKey::asc(Field::Email)],
            ..Query::default()
        };
        assert!(q.check().is_err());
        q.sort.clear();
        let mut f = Filter::IsNull { field: Field::Note };
        for _ in 0..40 {
            f = Filter::Not(Box::new(f));
        }
        q.filter = Some(f);
        assert!(q.check().is_err());
    }
}
