//! Canonical filters and sort keys translated to SQL, with every literal bound.
//!
//! The translation gives exactly the answers of `custgate_core::eval`:
//! - `NOT` is pushed down to the leaves (De Morgan), and each leaf has an explicit
//!   negated form that accounts for absent values, so SQL's three-valued logic never
//!   leaks: `not (x > 5)` is `(x IS NULL OR x <= 5)`, `x ne 'a'` is
//!   `(x IS NULL OR x <> 'a')`. A positive leaf may be NULL on an absent value, which a
//!   `WHERE`, an `AND` and an `OR` all treat as false, as the evaluator does;
//! - a literal that does not compare with the field's type (per `eval::compare`) makes
//!   the leaf a constant;
//! - multi-valued fields are semi-joins on `customer_values` (any value matches);
//! - text compares byte-wise (SQLite's BINARY collation, `COLLATE "C"` columns on
//!   PostgreSQL) and case-insensitive matches use the `_lc` columns, filled with Rust's
//!   `to_lowercase`, against a needle lowercased the same way;
//! - `contains`, `starts_with`, `ends_with` and `like` become one pattern: `GLOB` on SQLite
//!   (case-sensitive, unlike its `LIKE`) and `LIKE … ESCAPE '\'` on PostgreSQL, with every
//!   other special character escaped;
//! - date-times are whole microseconds in the database; a literal with a finer part is
//!   compared exactly by rounding the operator instead of the value.

use custgate_core::{CmpOp, Field, Filter, SortKey, TextOp, Value, ValueType};
use rust_decimal::Decimal;

use crate::db::{Bind, Dialect, Sql};
use crate::schema::{column, micros};

/// Appends ` WHERE c.tenant = ? [AND <filter>]` for the table aliased `c`.
pub(crate) fn push_where(sql: &mut Sql, tenant: &str, filter: Option<&Filter>) {
    sql.push(" WHERE c.tenant = ").bind_text(tenant);
    if let Some(f) = filter {
        sql.push(" AND ");
        push_filter(sql, tenant, f, false);
    }
}

/// Appends ` ORDER BY …`: the sort keys, then `seq`, then `id`, as `eval::order` does.
pub(crate) fn push_order(sql: &mut Sql, sort: &[SortKey]) {
    sql.push(" ORDER BY ");
    for k in sort {
        // `Query::check` refuses multi-valued sort keys before we get here.
        let Some(col) = column(k.field) else { continue };
        let dir = if k.descending {
            " DESC NULLS LAST, "
        } else {
            " ASC NULLS FIRST, "
        };
        if let Some(lc) = col.lc {
            sql.push("c.").push(lc).push(dir);
        }
        sql.push("c.").push(col.name).push(dir);
    }
    sql.push("c.seq ASC, c.id ASC");
}

/// A literal in the field's storage type.
#[derive(Clone, Debug, PartialEq)]
enum Lit {
    Text(String),
    Int(i64),
    Decimal(Decimal),
    Bool(bool),
    /// A date-time in microseconds.
    Micros(i64),
}

/// What a literal is to a field.
enum Coerced {
    Lit(Lit),
    /// A date-time strictly between `n` and `n + 1` microseconds.
    BetweenMicros(i64),
    /// It never compares (`eval::compare` gives `None`).
    Incomparable,
}

fn coerce(ty: ValueType, v: &Value) -> Coerced {
    use ValueType as T;
    match (ty, v) {
        (T::Text, Value::Text(s)) => Coerced::Lit(Lit::Text(s.clone())),
        (T::Int, Value::Int(i)) => Coerced::Lit(Lit::Int(*i)),
        (T::Int | T::Decimal, Value::Decimal(d)) => Coerced::Lit(Lit::Decimal(*d)),
        (T::Decimal, Value::Int(i)) => Coerced::Lit(Lit::Decimal(Decimal::from(*i))),
        (T::Bool, Value::Bool(b)) => Coerced::Lit(Lit::Bool(*b)),
        (T::DateTime, Value::DateTime(t)) => {
            if t.timestamp_subsec_nanos() % 1_000 == 0 {
                Coerced::Lit(Lit::Micros(micros(*t)))
            } else {
                Coerced::BetweenMicros(micros(*t))
            }
        }
        _ => Coerced::Incomparable,
    }
}

fn push_lit(sql: &mut Sql, lit: &Lit) {
    match lit {
        Lit::Text(s) => sql.bind_text(s.clone()),
        Lit::Int(i) | Lit::Micros(i) => sql.bind_int(*i),
        Lit::Decimal(d) => sql.bind_decimal(Some(*d)),
        Lit::Bool(b) => sql.bind(Bind::Bool(Some(*b))),
    };
}

/// A test on one value of a field.
enum Pred {
    /// `value <op> literal`, the op one of `= > >= < <=`.
    Cmp(&'static str, Lit),
    /// A `GLOB` (SQLite) or `LIKE` (PostgreSQL) pattern, already escaped.
    Pattern(String),
    In(Vec<Lit>),
}

fn inverse(op: &'static str) -> &'static str {
    match op {
        "=" => "<>",
        ">" => "<=",
        ">=" => "<",
        "<" => ">=",
        "<=" => ">",
        _ => unreachable!("not a comparison operator: {op}"),
    }
}

fn push_const(sql: &mut Sql, value: bool) {
    sql.push(if value { "(1 = 1)" } else { "(1 = 0)" });
}

/// `<expr> <pred>`, or its negation when `negated` (for a non-NULL `expr`).
fn push_pred(sql: &mut Sql, expr: &str, pred: &Pred, negated: bool) {
    sql.push(expr);
    match pred {
        Pred::Cmp(op, lit) => {
            sql.push(" ")
                .push(if negated { inverse(op) } else { op })
                .push(" ");
            push_lit(sql, lit);
        }
        Pred::Pattern(p) => {
            let op = match (sql.dialect(), negated) {
                (Dialect::Sqlite, false) => " GLOB ",
                (Dialect::Sqlite, true) => " NOT GLOB ",
                (Dialect::Postgres, false) => " LIKE ",
                (Dialect::Postgres, true) => " NOT LIKE ",
            };
            sql.push(op).bind_text(p.clone());
            if sql.dialect() == Dialect::Postgres {
                sql.push(" ESCAPE '\\'");
            }
        }
        Pred::In(lits) => {
            sql.push(if negated { " NOT IN (" } else { " IN (" });
            for (i, l) in lits.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                push_lit(sql, l);
            }
            sql.push(")");
        }
    }
}

/// One leaf: `pred` holds for some value of `field` (for `None`: the field has a value);
/// negated, it holds for none.
fn push_atom(
    sql: &mut Sql,
    tenant: &str,
    field: Field,
    lowercase: bool,
    pred: Option<&Pred>,
    negated: bool,
) {
    match column(field) {
        Some(col) => {
            let name = if lowercase {
                col.lc.unwrap_or(col.name)
            } else {
                col.name
            };
            let expr = format!("c.{name}");
            match (pred, negated) {
                (None, false) => {
                    sql.push(&expr).push(" IS NOT NULL");
                }
                (None, true) => {
                    sql.push(&expr).push(" IS NULL");
                }
                (Some(p), false) => push_pred(sql, &expr, p, false),
                (Some(p), true) => {
                    sql.push("(").push(&expr).push(" IS NULL OR ");
                    push_pred(sql, &expr, p, true);
                    sql.push(")");
                }
            }
        }
        None => {
            let value = if lowercase { "v.value_lc" } else { "v.value" };
            match sql.dialect() {
                // A non-correlated IN is evaluated once and drives the primary key.
                Dialect::Sqlite => {
                    sql.push(if negated {
                        "c.id NOT IN ("
                    } else {
                        "c.id IN ("
                    });
                    sql.push("SELECT v.customer_id FROM customer_values v WHERE v.tenant = ")
                        .bind_text(tenant);
                }
                // EXISTS becomes a semi-join or an anti-join.
                Dialect::Postgres => {
                    sql.push(if negated { "NOT EXISTS (" } else { "EXISTS (" });
                    sql.push(
                        "SELECT 1 FROM customer_values v WHERE v.tenant = c.tenant \
                         AND v.customer_id = c.id",
                    );
                }
            }
            sql.push(" AND v.field = ").bind_text(field.path());
            if let Some(p) = pred {
                sql.push(" AND ");
                push_pred(sql, value, p, false);
            }
            sql.push(")");
        }
    }
}

fn cmp_sql(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Eq | CmpOp::Ne => "=",
        CmpOp::Gt => ">",
        CmpOp::Ge => ">=",
        CmpOp::Lt => "<",
        CmpOp::Le => "<=",
    }
}

/// Appends `filter` (negated when `negated`) as a condition that is true exactly when
/// `eval::matches` is (and false or NULL otherwise).
pub(crate) fn push_filter(sql: &mut Sql, tenant: &str, filter: &Filter, negated: bool) {
    match filter {
        Filter::And(v) | Filter::Or(v) => {
            let is_and = matches!(filter, Filter::And(_));
            if v.is_empty() {
                // An empty AND is true, an empty OR false.
                push_const(sql, is_and != negated);
                return;
            }
            let joiner = if is_and != negated { " AND " } else { " OR " };
            sql.push("(");
            for (i, f) in v.iter().enumerate() {
                if i > 0 {
                    sql.push(joiner);
                }
                push_filter(sql, tenant, f, negated);
            }
            sql.push(")");
        }
        Filter::Not(f) => push_filter(sql, tenant, f, !negated),
        Filter::Compare { field, op, value } => {
            // `ne` is exactly `not eq`.
            let negated = negated != (*op == CmpOp::Ne);
            let sql_op = cmp_sql(*op);
            match coerce(field.value_type(), value) {
                Coerced::Incomparable => push_const(sql, negated),
                Coerced::Lit(lit) => push_atom(
                    sql,
                    tenant,
                    *field,
                    false,
                    Some(&Pred::Cmp(sql_op, lit)),
                    negated,
                ),
                Coerced::BetweenMicros(n) => {
                    // n < t < n + 1: no whole microsecond equals t; x > t iff x > n;
                    // x < t iff x <= n.
                    let pred = match op {
                        CmpOp::Eq | CmpOp::Ne => return push_const(sql, negated),
                        CmpOp::Gt | CmpOp::Ge => Pred::Cmp(">", Lit::Micros(n)),
                        CmpOp::Lt | CmpOp::Le => Pred::Cmp("<=", Lit::Micros(n)),
                    };
                    push_atom(sql, tenant, *field, false, Some(&pred), negated)
                }
            }
        }
        Filter::Text {
            field,
            op,
            value,
            case_insensitive,
        } => {
            if field.value_type() != ValueType::Text {
                // The evaluator only matches text values.
                return push_const(sql, negated);
            }
            let needle = if *case_insensitive {
                value.to_lowercase()
            } else {
                value.clone()
            };
            let pattern = match sql.dialect() {
                Dialect::Sqlite => glob_pattern(*op, &needle),
                Dialect::Postgres => like_pattern(*op, &needle),
            };
            push_atom(
                sql,
                tenant,
                *field,
                *case_insensitive,
                Some(&Pred::Pattern(pattern)),
                negated,
            )
        }
        Filter::In { field, values } => {
            let mut lits: Vec<Lit> = Vec::new();
            for v in values {
                // A date-time between two microseconds equals no stored one.
                if let Coerced::Lit(l) = coerce(field.value_type(), v) {
                    lits.push(l);
                }
            }
            if lits.is_empty() {
                push_const(sql, negated);
            } else {
                push_atom(sql, tenant, *field, false, Some(&Pred::In(lits)), negated);
            }
        }
        Filter::IsNull { field } => push_atom(sql, tenant, *field, false, None, !negated),
        Filter::Search(term) => {
            let any = Filter::Or(
                Field::SEARCH
                    .iter()
                    .map(|f| Filter::Text {
                        field: *f,
                        op: TextOp::Contains,
                        value: term.clone(),
                        case_insensitive: true,
                    })
                    .collect(),
            );
            push_filter(sql, tenant, &any, negated);
        }
    }
}

/// A SQLite `GLOB` pattern: `*` any run, `?` one character, `[x]` a literal x.
fn glob_pattern(op: TextOp, needle: &str) -> String {
    let mut out = String::with_capacity(needle.len() + 4);
    let literal = |out: &mut String, ch: char| match ch {
        '*' => out.push_str("[*]"),
        '?' => out.push_str("[?]"),
        '[' => out.push_str("[[]"),
        c => out.push(c),
    };
    match op {
        TextOp::Like => {
            for ch in needle.chars() {
                match ch {
                    '%' => out.push('*'),
                    '_' => out.push('?'),
                    c => literal(&mut out, c),
                }
            }
        }
        _ => {
            if matches!(op, TextOp::Contains | TextOp::EndsWith) {
                out.push('*');
            }
            for ch in needle.chars() {
                literal(&mut out, ch);
            }
            if matches!(op, TextOp::Contains | TextOp::StartsWith) {
                out.push('*');
            }
        }
    }
    out
}

/// A PostgreSQL `LIKE` pattern for `ESCAPE '\'`.
fn like_pattern(op: TextOp, needle: &str) -> String {
    let mut out = String::with_capacity(needle.len() + 4);
    match op {
        TextOp::Like => {
            for ch in needle.chars() {
                if ch == '\\' {
                    out.push('\\');
                }
                out.push(ch);
            }
        }
        _ => {
            if matches!(op, TextOp::Contains | TextOp::EndsWith) {
                out.push('%');
            }
            for ch in needle.chars() {
                if matches!(ch, '\\' | '%' | '_') {
                    out.push('\\');
                }
                out.push(ch);
            }
            if matches!(op, TextOp::Contains | TextOp::StartsWith) {
                out.push('%');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(dialect: Dialect, f: &Filter) -> (String, Vec<Bind>) {
        let mut sql = Sql::new(dialect);
        push_where(&mut sql, "t", Some(f));
        (sql.text().to_owned(), sql.binds().to_vec())
    }

    #[test]
    fn patterns_escape_everything_but_the_wildcards() {
        assert_eq!(
            glob_pattern(TextOp::Like, "a%b_c*d?e[f]\\"),
            "a*b?c[*]d[?]e[[]f]\\"
        );
        assert_eq!(glob_pattern(TextOp::Contains, "50%*"), "*50%[*]*");
        assert_eq!(glob_pattern(TextOp::StartsWith, "a?"), "a[?]*");
        assert_eq!(glob_pattern(TextOp::EndsWith, "[x"), "*[[]x");
        assert_eq!(like_pattern(TextOp::Like, "a%b_c\\d"), "a%b_c\\\\d");
        assert_eq!(like_pattern(TextOp::Contains, "50%_\\"), "%50\\%\\_\\\\%");
        assert_eq!(like_pattern(TextOp::StartsWith, "ab"), "ab%");
        assert_eq!(like_pattern(TextOp::EndsWith, "ab"), "%ab");
    }

    #[test]
    fn values_are_always_bound() {
        let f = Filter::Or(vec![
            Filter::eq(Field::DisplayName, Value::text("x' OR 1=1 --")).unwrap(),
            Filter::text(Field::Email, TextOp::Contains, "';drop", true).unwrap(),
        ]);
        for d in [Dialect::Sqlite, Dialect::Postgres] {
            let (text, binds) = render(d, &f);
            assert!(!text.contains("OR 1=1"), "{text}");
            assert!(!text.contains("drop"), "{text}");
            assert!(binds.contains(&Bind::Text(Some("x' OR 1=1 --".into()))));
        }
        let (text, _) = render(Dialect::Postgres, &f);
        assert!(text.contains("$1") && text.contains("$4"), "{text}");
    }

    #[test]
    fn not_is_pushed_to_the_leaves() {
        let f = Filter::not(Filter::And(vec![
            Filter::compare(Field::Seq, CmpOp::Gt, Value::Int(5)).unwrap(),
            Filter::IsNull { field: Field::Note },
        ]));
        let (text, _) = render(Dialect::Sqlite, &f);
        assert_eq!(
            text,
            " WHERE c.tenant = ? AND ((c.seq IS NULL OR c.seq <= ?) OR c.note IS NOT NULL)"
        );
        let ne = Filter::compare(Field::Email, CmpOp::Ne, Value::text("a@b")).unwrap();
        let (text, _) = render(Dialect::Postgres, &ne);
        assert!(
            text.contains("NOT EXISTS (SELECT 1 FROM customer_values v"),
            "{text}"
        );
    }

    #[test]
    fn incomparable_literals_are_constants() {
        let f = Filter::Compare {
            field: Field::Seq,
            op: CmpOp::Ne,
            value: Value::text("x"),
        };
        let (text, binds) = render(Dialect::Sqlite, &f);
        assert_eq!(text, " WHERE c.tenant = ? AND (1 = 1)");
        assert_eq!(binds.len(), 1);
    }

    #[test]
    fn order_matches_the_evaluator() {
        let mut sql = Sql::new(Dialect::Postgres);
        push_order(
            &mut sql,
            &[
                SortKey::desc(Field::DisplayName),
                SortKey::asc(Field::CreditLimit),
            ],
        );
        assert_eq!(
            sql.text(),
            " ORDER BY c.display_name_lc DESC NULLS LAST, c.display_name DESC NULLS LAST, \
             c.credit_limit ASC NULLS FIRST, c.seq ASC, c.id ASC"
        );
    }
}
