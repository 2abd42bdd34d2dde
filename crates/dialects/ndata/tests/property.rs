//! Property: a random canonical query within NData's reach, written as NData query
//! parameters (what the client sends upstream), sent through URL encoding and parsed
//! back by the server side, selects, orders and pages exactly like the original under
//! the reference evaluator.
//!
//! The sample records are NData-shaped (converted from NData bodies): an NData system
//! always has rates (a missing one shows as 0.0) and knows active and inactive only.

use chrono::{DateTime, TimeZone, Utc};
use custgate_core::{
    eval, CmpOp, Count, Customer, Field, Filter, Query, SortKey, Status, TextOp, Value,
};
use custgate_ndata::{capability, convert, query, wire};
use proptest::prelude::*;
use proptest::sample::select;
use rust_decimal::Decimal;
use serde_json::json;

const TEXTS: &[&str] = &[
    "A-1", "a-1", "shop:42", "x;y", "c,d", "null", "\"q\"", "", "Ünï", "b", "B-10", " sp ", "+1",
];
const SERIALS: &[&str] = &["S1", "S2", "s1", "x,y", "a;b", "NULL", "K:9", " sp "];
const RATES: &[i64] = &[0, 500, 1050, 5000, 10000, 25];
const NAMES: &[&str] = &["John", "jane", "Émile", "O'Neil", "Zoë", "Bob"];
const SEARCH: &[&str] = &["jo", "ZO", "é", "vip", "sk20", "", "o'n", "acme"];

fn times() -> Vec<DateTime<Utc>> {
    vec![
        Utc.with_ymd_and_hms(2022, 11, 1, 10, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(2022, 11, 1, 10, 0, 0).unwrap()
            + chrono::Duration::nanoseconds(123_456_789),
        Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(1999, 12, 31, 23, 59, 59).unwrap(),
    ]
}

fn rate(i: usize) -> Decimal {
    Decimal::new(RATES[i % RATES.len()], 2)
}

/// Twenty NData-shaped customers.
fn sample() -> Vec<Customer> {
    let ts = times();
    (0..20)
        .map(|i| {
            let ext = if i % 7 == 3 { None } else { Some(TEXTS[i % TEXTS.len()]) };
            let cards: Vec<_> = (0..i % 3)
                .map(|k| json!({"serialNumber": SERIALS[(i + k * 3) % SERIALS.len()]}))
                .collect();
            let body = json!({
                "id": format!("c{i:02}"),
                "externalId": ext,
                "isActive": i % 3 != 0,
                "firstName": NAMES[i % NAMES.len()],
                "lastName": NAMES[(i * 5 + 1) % NAMES.len()],
                "email": if i % 4 == 0 { None } else { Some(format!("u{i}@x.sk")) },
                "phone": if i % 5 == 0 { Some(format!("+42190{i}")) } else { None },
                "isCompany": i % 4 == 1,
                "company": if i % 4 == 1 { Some(json!({"name": "Acme", "vatId": format!("SK20{i}")})) } else { None },
                "note": if i % 6 == 0 { Some("VIP") } else { None },
                "activationTime": if i % 2 == 0 { Some(wire::format_time(&ts[i % ts.len()])) } else { None },
                "expirationTime": if i % 3 == 1 { None } else { Some(wire::format_time(&ts[(i + 1) % ts.len()])) },
                "creditRate": rate(i),
                "discountRate": rate(i * 7 + 2),
                "cards": cards,
            });
            let w: wire::Customer = serde_json::from_value(body).unwrap();
            let mut c = convert::to_canonical(&w).unwrap();
            c.seq = Some(i as i64 + 1);
            c
        })
        .collect()
}

fn cmp_op() -> impl Strategy<Value = CmpOp> {
    select(vec![
        CmpOp::Eq,
        CmpOp::Ne,
        CmpOp::Gt,
        CmpOp::Ge,
        CmpOp::Lt,
        CmpOp::Le,
    ])
}

/// A literal for one of the NData members.
fn member_value() -> impl Strategy<Value = (Field, Value)> {
    prop_oneof![
        select(TEXTS).prop_map(|s| (Field::ExternalId, Value::text(s))),
        select(SERIALS).prop_map(|s| (Field::CardSerial, Value::text(s))),
        (0..RATES.len()).prop_map(|i| (Field::CreditRate, Value::Decimal(rate(i)))),
        (0..RATES.len()).prop_map(|i| (Field::DiscountRate, Value::Decimal(rate(i)))),
        (0..4usize).prop_map(|i| (Field::ExpirationTime, Value::DateTime(times()[i]))),
    ]
}

fn leaf() -> impl Strategy<Value = Filter> {
    let text_field = select(vec![Field::ExternalId, Field::CardSerial]);
    let text_op = select(vec![TextOp::Contains, TextOp::StartsWith, TextOp::EndsWith]);
    let needle = select(vec!["a", "A-", "1", ";", ",", ":", "\"", "ü", "S", " "]);
    prop_oneof![
        (member_value(), cmp_op()).prop_map(|((field, value), op)| Filter::Compare {
            field,
            op,
            value
        }),
        member_value().prop_map(|(field, value)| Filter::not(Filter::Compare {
            field,
            op: CmpOp::Eq,
            value
        })),
        (any::<bool>(), any::<bool>(), any::<bool>()).prop_map(|(active, eq, negate)| {
            let f = Filter::Compare {
                field: Field::Status,
                op: if eq { CmpOp::Eq } else { CmpOp::Ne },
                value: Value::text(if active { "active" } else { "inactive" }),
            };
            if negate && eq {
                Filter::not(f)
            } else {
                f
            }
        }),
        (
            select(vec![Field::ExternalId, Field::ExpirationTime]),
            any::<bool>()
        )
            .prop_map(|(field, negate)| {
                let f = Filter::IsNull { field };
                if negate {
                    Filter::not(f)
                } else {
                    f
                }
            }),
        (prop::collection::vec(member_value(), 1..4), any::<bool>()).prop_map(
            |(values, negate)| {
                // One field per list: the first value's.
                let field = values[0].0;
                let values: Vec<Value> = values
                    .into_iter()
                    .filter(|(f, _)| *f == field)
                    .map(|(_, v)| v)
                    .collect();
                let f = Filter::In { field, values };
                if negate {
                    Filter::not(f)
                } else {
                    f
                }
            }
        ),
        (text_field, text_op, needle).prop_map(|(field, op, value)| Filter::Text {
            field,
            op,
            value: value.to_owned(),
            case_insensitive: true,
        }),
        select(SEARCH).prop_map(|s| Filter::Search(s.to_owned())),
    ]
}

fn sort_keys() -> impl Strategy<Value = Vec<SortKey>> {
    let fields: Vec<Field> = query::SORT_KEYS.iter().map(|(_, f)| *f).collect();
    prop::collection::vec((select(fields), any::<bool>()), 0..3).prop_map(|keys| {
        keys.into_iter()
            .map(|(field, descending)| SortKey { field, descending })
            .collect()
    })
}

fn canonical_query() -> impl Strategy<Value = Query> {
    (
        prop::collection::vec(leaf(), 0..4),
        sort_keys(),
        0u64..6,
        0u32..25,
    )
        .prop_map(|(leaves, sort, offset, limit)| Query {
            filter: Filter::all(leaves),
            sort,
            offset,
            limit: Some(limit),
            count: Count::WithTotal,
        })
}

fn ids(page: &custgate_core::Page) -> Vec<&str> {
    page.items.iter().map(|c| c.id.as_str()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn ndata_strings_mean_what_the_canonical_query_means(q in canonical_query()) {
        let data = sample();
        let cap = capability(1000);
        let params = match query::to_params(&q) {
            Ok(p) => p,
            Err(e) => {
                // Whatever the capability claims, the translation can write.
                prop_assert!(cap.check_query(&q).is_err(), "capability claims {q:?} but: {e}");
                return Ok(());
            }
        };
        let url = serde_urlencoded::to_string(&params).unwrap();
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&url).unwrap();
        let now = Utc::now();
        let back = query::parse_list(&pairs, now, 1000)
            .map_err(|e| TestCaseError::fail(format!("{url}: {e}")))?;
        prop_assert_eq!(&back.sort, &q.sort);
        prop_assert_eq!(back.offset, q.offset);
        prop_assert_eq!(back.limit, q.limit);
        let want = eval::run(&q, &data);
        let got = eval::run(&back, &data);
        prop_assert_eq!(ids(&got), ids(&want), "{}", url);
        prop_assert_eq!(got.total, want.total, "{}", url);
    }
}

#[test]
fn the_sample_is_ndata_shaped_and_the_filters_hit() {
    let data = sample();
    assert!(data
        .iter()
        .all(|c| c.finance.discount_rate.is_some() && c.finance.credit_rate.is_some()));
    assert!(data
        .iter()
        .all(|c| matches!(c.status, Status::Active | Status::Inactive)));
    // Some leaves select something and some do not: the property is not vacuous.
    let f = Filter::Compare {
        field: Field::CardSerial,
        op: CmpOp::Eq,
        value: Value::text("x,y"),
    };
    let hits = data.iter().filter(|c| eval::matches(&f, c)).count();
    assert!(hits > 0 && hits < data.len());
    let f = Filter::IsNull {
        field: Field::ExternalId,
    };
    let hits = data.iter().filter(|c| eval::matches(&f, c)).count();
    assert!(hits > 0 && hits < data.len());
}
