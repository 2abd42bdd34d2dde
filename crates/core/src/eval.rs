//! The in-memory evaluator: the reference semantics of [`Query`].
//!
//! The SQL store must give the same answers (the store conformance suite checks it), and
//! the gateway uses this to run the part of a query an upstream cannot run.

use std::cmp::Ordering;

use crate::field::{Field, Value};
use crate::model::Customer;
use crate::query::{CmpOp, Count, Filter, Page, Query, SortKey, TextOp};

/// Whether `c` passes `filter`.
pub fn matches(filter: &Filter, c: &Customer) -> bool {
    match filter {
        Filter::And(v) => v.iter().all(|f| matches(f, c)),
        Filter::Or(v) => v.iter().any(|f| matches(f, c)),
        Filter::Not(f) => !matches(f, c),
        Filter::Compare { field, op, value } => {
            let vals = field.values(c);
            match op {
                CmpOp::Eq => vals
                    .iter()
                    .any(|v| compare(v, value) == Some(Ordering::Equal)),
                CmpOp::Ne => !vals
                    .iter()
                    .any(|v| compare(v, value) == Some(Ordering::Equal)),
                CmpOp::Gt => vals
                    .iter()
                    .any(|v| compare(v, value) == Some(Ordering::Greater)),
                CmpOp::Ge => vals.iter().any(|v| {
                    matches!(compare(v, value), Some(Ordering::Greater | Ordering::Equal))
                }),
                CmpOp::Lt => vals
                    .iter()
                    .any(|v| compare(v, value) == Some(Ordering::Less)),
                CmpOp::Le => vals
                    .iter()
                    .any(|v| matches!(compare(v, value), Some(Ordering::Less | Ordering::Equal))),
            }
        }
        Filter::Text {
            field,
            op,
            value,
            case_insensitive,
        } => {
            let needle = if *case_insensitive {
                value.to_lowercase()
            } else {
                value.clone()
            };
            field.values(c).iter().any(|v| match v {
                Value::Text(s) => {
                    let hay = if *case_insensitive {
                        s.to_lowercase()
                    } else {
                        s.clone()
                    };
                    text_match(*op, &hay, &needle)
                }
                _ => false,
            })
        }
        Filter::In { field, values } => field.values(c).iter().any(|v| {
            values
                .iter()
                .any(|w| compare(v, w) == Some(Ordering::Equal))
        }),
        Filter::IsNull { field } => field.values(c).is_empty(),
        Filter::Search(term) => {
            let needle = term.to_lowercase();
            Field::SEARCH.iter().any(|f| {
                f.values(c).iter().any(|v| match v {
                    Value::Text(s) => s.to_lowercase().contains(&needle),
                    _ => false,
                })
            })
        }
    }
}

fn text_match(op: TextOp, hay: &str, needle: &str) -> bool {
    match op {
        TextOp::Contains => hay.contains(needle),
        TextOp::StartsWith => hay.starts_with(needle),
        TextOp::EndsWith => hay.ends_with(needle),
        TextOp::Like => like(hay, needle),
    }
}

/// SQL `LIKE` over characters: `%` any run, `_` any one character.
pub fn like(hay: &str, pattern: &str) -> bool {
    let h: Vec<char> = hay.chars().collect();
    let p: Vec<char> = pattern.chars().collect();
    // Iterative matcher with backtracking to the last '%': linear in practice, no recursion.
    let (mut i, mut j) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while i < h.len() {
        if j < p.len() && (p[j] == '_' || (p[j] != '%' && p[j] == h[i])) {
            i += 1;
            j += 1;
        } else if j < p.len() && p[j] == '%' {
            star = Some((j, i));
            j += 1;
        } else if let Some((sj, si)) = star {
            j = sj + 1;
            i = si + 1;
            star = Some((sj, si + 1));
        } else {
            return false;
        }
    }
    while j < p.len() && p[j] == '%' {
        j += 1;
    }
    j == p.len()
}

/// Compares two values of the same type; `None` when they do not compare.
pub fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    use Value as V;
    match (a, b) {
        (V::Text(x), V::Text(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        (V::Int(x), V::Int(y)) => Some(x.cmp(y)),
        (V::Decimal(x), V::Decimal(y)) => Some(x.cmp(y)),
        (V::Int(x), V::Decimal(y)) => Some(rust_decimal::Decimal::from(*x).cmp(y)),
        (V::Decimal(x), V::Int(y)) => Some(x.cmp(&rust_decimal::Decimal::from(*y))),
        (V::Bool(x), V::Bool(y)) => Some(x.cmp(y)),
        (V::DateTime(x), V::DateTime(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// The order of two customers under `keys`, then `seq`, then `id`.
pub fn order(a: &Customer, b: &Customer, keys: &[SortKey]) -> Ordering {
    for k in keys {
        let o = sort_value_cmp(k.field, a, b);
        let o = if k.descending { o.reverse() } else { o };
        if o != Ordering::Equal {
            return o;
        }
    }
    a.seq
        .cmp(&b.seq)
        .then_with(|| a.id.as_str().cmp(b.id.as_str()))
}

fn sort_value_cmp(field: Field, a: &Customer, b: &Customer) -> Ordering {
    let va = field.values(a).into_iter().next();
    let vb = field.values(b).into_iter().next();
    match (va, vb) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(Value::Text(x)), Some(Value::Text(y))) => x
            .to_lowercase()
            .as_bytes()
            .cmp(y.to_lowercase().as_bytes())
            .then_with(|| x.as_bytes().cmp(y.as_bytes())),
        (Some(x), Some(y)) => compare(&x, &y).unwrap_or(Ordering::Equal),
    }
}

/// Runs a whole query over a set of customers.
pub fn run<'a>(query: &Query, customers: impl IntoIterator<Item = &'a Customer>) -> Page {
    let mut hits: Vec<&Customer> = customers
        .into_iter()
        .filter(|c| query.filter.as_ref().is_none_or(|f| matches(f, c)))
        .collect();
    let total = hits.len() as u64;
    if query.count == Count::Only {
        return Page {
            items: Vec::new(),
            total: Some(total),
        };
    }
    hits.sort_by(|a, b| order(a, b, &query.sort));
    let offset = usize::try_from(query.offset).unwrap_or(usize::MAX);
    let items = hits
        .into_iter()
        .skip(offset)
        .take(query.limit.map_or(usize::MAX, |l| l as usize))
        .cloned()
        .collect();
    Page {
        items,
        total: (query.count == Count::WithTotal).then_some(total),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Email, Phone, PhoneKind};
    use rust_decimal::Decimal;

    fn customer(seq: i64, name: &str) -> Customer {
        let mut c = Customer::new();
        c.seq = Some(seq);
        c.name.display = Some(name.into());
        c
    }

    fn check(filter: Filter, people: &[Customer], expected: &[i64]) {
        let got: Vec<i64> = people
            .iter()
            .filter(|c| matches(&filter, c))
            .map(|c| c.seq.unwrap())
            .collect();
        assert_eq!(got, expected, "filter {filter}");
    }

    #[test]
    fn like_handles_wildcards() {
        assert!(like("freeland", "free%"));
        assert!(like("freeland", "%land"));
        assert!(like("freeland", "f%e%d"));
        assert!(like("freeland", "f_eeland"));
        assert!(!like("freeland", "f_land"));
        assert!(like("", "%"));
        assert!(!like("a", ""));
        assert!(like("aaaaaaaaaaaaaaaaaaaaab", "%a%a%a%a%b"));
    }

    #[test]
    fn filters_follow_the_reference_semantics() {
        let mut a = customer(1, "John Doe");
        a.emails.push(Email {
            address: "john@example.com".into(),
            ..Email::default()
        });
        a.finance.discount_rate = Some(Decimal::new(105, 1));
        let mut b = customer(2, "ÉMILE Zola");
        b.phones.push(Phone {
            kind: PhoneKind::Mobile,
            number: "+966555".into(),
            ..Phone::default()
        });
        let c = customer(3, "Acme");
        let people = [a, b, c];

        check(
            Filter::text(Field::DisplayName, TextOp::Contains, "émile", true).unwrap(),
            &people,
            &[2],
        );
        check(
            Filter::text(Field::DisplayName, TextOp::Contains, "émile", false).unwrap(),
            &people,
            &[],
        );
        check(
            Filter::eq(Field::Email, Value::text("john@example.com")).unwrap(),
            &people,
            &[1],
        );
        check(
            Filter::compare(Field::Email, CmpOp::Ne, Value::text("john@example.com")).unwrap(),
            &people,
            &[2, 3],
        );
        check(
            Filter::compare(Field::DiscountRate, CmpOp::Gt, Value::Int(10)).unwrap(),
            &people,
            &[1],
        );
        check(
            Filter::compare(Field::DiscountRate, CmpOp::Le, Value::Int(10)).unwrap(),
            &people,
            &[],
        );
        check(
            Filter::IsNull {
                field: Field::DiscountRate,
            },
            &people,
            &[2, 3],
        );
        check(
            Filter::in_list(Field::Seq, vec![Value::Int(3), Value::Int(1)]).unwrap(),
            &people,
            &[1, 3],
        );
        check(
            Filter::Or(vec![
                Filter::eq(Field::Seq, Value::Int(1)).unwrap(),
                Filter::not(Filter::IsNull {
                    field: Field::Mobile,
                }),
            ]),
            &people,
            &[1, 2],
        );
        check(Filter::Search("ZOLA".into()), &people, &[2]);
        check(
            Filter::In {
                field: Field::Seq,
                values: vec![],
            },
            &people,
            &[],
        );
    }

    #[test]
    fn run_sorts_pages_and_counts() {
        let people: Vec<Customer> = ["b", "A", "c", "a"]
            .iter()
            .enumerate()
            .map(|(i, n)| customer(i as i64 + 1, n))
            .collect();
        let q = Query {
            sort: vec![SortKey::asc(Field::DisplayName)],
            offset: 1,
            limit: Some(2),
            count: Count::WithTotal,
            ..Query::default()
        };
        let page = run(&q, &people);
        let names: Vec<_> = page
            .items
            .iter()
            .map(|c| c.name.display.clone().unwrap())
            .collect();
        // "A" < "a" byte-wise once lowercase ties; then "b".
        assert_eq!(names, ["a", "b"]);
        assert_eq!(page.total, Some(4));

        let only = run(
            &Query {
                count: Count::Only,
                ..Query::default()
            },
            &people,
        );
        assert!(only.items.is_empty());
        assert_eq!(only.total, Some(4));

        let desc = run(
            &Query {
                sort: vec![SortKey::desc(Field::Seq)],
                ..Query::default()
            },
            &people,
        );
        assert_eq!(desc.items[0].seq, Some(4));
        assert_eq!(desc.total, None);
    }

    #[test]
    fn absent_values_sort_first_ascending() {
        let mut a = customer(1, "x");
        a.note = Some("n".into());
        let b = customer(2, "y");
        let page = run(
            &Query {
                sort: vec![SortKey::asc(Field::Note)],
                ..Query::default()
            },
            &[a, b],
        );
        assert_eq!(page.items[0].seq, Some(2));
    }
}
