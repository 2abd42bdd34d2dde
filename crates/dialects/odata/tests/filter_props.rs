//! Property test: random canonical filters → the upstream filter string → the server's
//! parser → the same answers as the reference evaluator, on sample data.

use chrono::{DateTime, TimeZone, Utc};
use custgate_core::eval;
use custgate_core::{CmpOp, Customer, Email, Field, Filter, Phone, Status, TextOp, Value};
use custgate_odata::query::{filter_to_string, parse_filter, FilterLimits};
use proptest::prelude::*;

const NAMES: &[Option<&str>] = &[
    Some("John Doe"),
    Some("john doe"),
    Some("O'Brien & Sons"),
    Some("Ærlig Ølbrygg AS"),
    Some("100% Kaffe_Bar"),
    Some("and or not"),
    Some(""),
    None,
];
const NUMBERS: &[Option<&str>] = &[
    Some("1"),
    Some("2"),
    Some("10"),
    Some("99"),
    Some("100"),
    Some("C-7"),
    Some("007"),
    None,
];
const STATUSES: &[Status] = &[
    Status::Active,
    Status::Inactive,
    Status::Blocked,
    Status::Quote,
];
const ORGS: &[Option<&str>] = &[Some("914012708"), Some("999 888 777"), None];
const EMAILS: &[Option<&str>] = &[Some("user@softrig.com"), Some("POST@Fjord.no"), None];
const CURRENCIES: &[Option<&str>] = &[Some("NOK"), Some("EUR"), None];

fn time(i: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_600_000_000 + i * 86_400, i as u32 * 1_000_000)
        .unwrap()
}

/// Every combination that matters, spread over 24 customers.
fn sample() -> Vec<Customer> {
    (0..24usize)
        .map(|i| {
            let mut c = Customer::new();
            c.seq = Some(i as i64 + 1);
            c.name.display = NAMES[i % NAMES.len()].map(str::to_owned);
            c.number = NUMBERS[i % NUMBERS.len()].map(str::to_owned);
            c.status = STATUSES[i % STATUSES.len()];
            if let Some(o) = ORGS[i % ORGS.len()] {
                c.identifications.push(custgate_core::Identification {
                    scheme: "ORG".into(),
                    value: o.into(),
                });
            }
            if let Some(e) = EMAILS[i % EMAILS.len()] {
                c.emails.push(Email {
                    address: e.into(),
                    default: i % 2 == 0,
                    ..Email::default()
                });
            }
            if i % 3 != 0 {
                c.phones.push(Phone {
                    number: format!("+47{}", 90_000_000 + i),
                    ..Phone::default()
                });
            }
            c.finance.currency = CURRENCIES[i % CURRENCIES.len()].map(str::to_owned);
            c.created_at = (i % 5 != 0).then(|| time(i as i64));
            c
        })
        .collect()
}

fn text_value() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec![
            "a", "J", "o", "'", "%", "_", " ", "ø", "Æ", "AS", "doe", "and", "(", ")",
        ]),
        0..4,
    )
    .prop_map(|v| v.concat())
}

fn cmp_op() -> impl Strategy<Value = CmpOp> {
    prop::sample::select(vec![
        CmpOp::Eq,
        CmpOp::Ne,
        CmpOp::Gt,
        CmpOp::Ge,
        CmpOp::Lt,
        CmpOp::Le,
    ])
}

fn eq_ne() -> impl Strategy<Value = CmpOp> {
    prop::sample::select(vec![CmpOp::Eq, CmpOp::Ne])
}

fn text_op() -> impl Strategy<Value = TextOp> {
    prop::sample::select(vec![
        TextOp::Contains,
        TextOp::StartsWith,
        TextOp::EndsWith,
        TextOp::Like,
    ])
}

fn text_field() -> impl Strategy<Value = Field> {
    prop::sample::select(vec![
        Field::DisplayName,
        Field::OrgNumber,
        Field::DefaultEmail,
        Field::DefaultPhone,
    ])
}

fn status_name() -> impl Strategy<Value = Value> {
    prop::sample::select(STATUSES.to_vec()).prop_map(|s| Value::text(s.as_str()))
}

/// One comparison of the kinds the client declares it can send.
fn leaf() -> impl Strategy<Value = Filter> {
    prop_oneof![
        (cmp_op(), -1i64..26).prop_map(|(op, n)| Filter::Compare {
            field: Field::Seq,
            op,
            value: Value::Int(n)
        }),
        (
            eq_ne(),
            prop::sample::select(vec!["1", "2", "10", "99", "100", "0", "12345"])
        )
            .prop_map(|(op, n)| Filter::Compare {
                field: Field::Number,
                op,
                value: Value::text(n)
            }),
        Just(Filter::IsNull {
            field: Field::Number
        }),
        (eq_ne(), status_name()).prop_map(|(op, value)| Filter::Compare {
            field: Field::Status,
            op,
            value
        }),
        prop::collection::vec(status_name(), 1..3).prop_map(|values| Filter::In {
            field: Field::Status,
            values
        }),
        (
            text_field(),
            eq_ne(),
            prop_oneof![
                prop::sample::select(
                    NAMES
                        .iter()
                        .flatten()
                        .map(|s| s.to_string())
                        .collect::<Vec<_>>()
                ),
                text_value()
            ]
        )
            .prop_map(|(field, op, v)| Filter::Compare {
                field,
                op,
                value: Value::Text(v)
            }),
        (text_field(), text_op(), text_value()).prop_map(|(field, op, value)| Filter::Text {
            field,
            op,
            value,
            case_insensitive: true
        }),
        text_field().prop_map(|field| Filter::IsNull { field }),
        (eq_ne(), prop::sample::select(vec!["NOK", "EUR", "SEK"])).prop_map(|(op, c)| {
            Filter::Compare {
                field: Field::Currency,
                op,
                value: Value::text(c),
            }
        }),
        (cmp_op(), 0i64..26).prop_map(|(op, i)| Filter::Compare {
            field: Field::CreatedAt,
            op,
            value: Value::DateTime(time(i))
        }),
        Just(Filter::IsNull {
            field: Field::CreatedAt
        }),
        prop::collection::vec(0i64..26, 1..4).prop_map(|v| Filter::In {
            field: Field::Seq,
            values: v.into_iter().map(Value::Int).collect()
        }),
    ]
}

fn filter() -> impl Strategy<Value = Filter> {
    combined(leaf())
}

/// `leaf` filters under and, or and not.
fn combined(leaf: impl Strategy<Value = Filter> + 'static) -> impl Strategy<Value = Filter> {
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(Filter::And),
            prop::collection::vec(inner.clone(), 2..4).prop_map(Filter::Or),
            inner.prop_map(|f| Filter::Not(Box::new(f))),
        ]
    })
}

/// Also what the client cannot say: text matches of either case, fields it does not
/// filter on.
#[cfg(feature = "client")]
fn any_leaf() -> impl Strategy<Value = Filter> {
    prop_oneof![
        leaf(),
        (text_field(), text_op(), text_value(), any::<bool>()).prop_map(
            |(field, op, value, case_insensitive)| Filter::Text {
                field,
                op,
                value,
                case_insensitive,
            }
        ),
        (
            prop::sample::select(vec![Field::Email, Field::Kind, Field::Vat]),
            text_value()
        )
            .prop_map(|(field, v)| Filter::Compare {
                field,
                op: CmpOp::Eq,
                value: Value::Text(v)
            }),
        text_value().prop_map(Filter::Search),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn filters_mean_the_same_after_the_round_trip(f in filter()) {
        let people = sample();
        let text = filter_to_string(&f).expect("the client can say every generated filter");
        let limits = FilterLimits { max_bytes: 1 << 20, max_depth: 24 };
        let parsed = parse_filter(&text, &limits)
            .unwrap_or_else(|e| panic!("{text}: {e}"))
            .expect("a filter");
        for c in &people {
            prop_assert_eq!(
                eval::matches(&f, c),
                eval::matches(&parsed, c),
                "customer {:?} ({:?}) with {} → {}",
                c.seq,
                c.display_name(),
                f,
                text
            );
        }
    }
}

/// The planner pushes down what the client's capability claims and runs the rest in the
/// gateway, so a claim the client then refuses would fail a query the gateway could have
/// answered: every filter the capability accepts, the client can say.
#[cfg(feature = "client")]
mod capability_claims {
    use super::*;
    use custgate_odata::client::capability;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn the_capability_claims_only_what_the_client_can_say(f in combined(any_leaf())) {
            let claimed = capability(100).filter.supports(&f);
            let said = filter_to_string(&f);
            prop_assert!(
                claimed.is_err() || said.is_ok(),
                "the capability claims {} but the client refuses it: {:?}",
                f,
                said.err()
            );
        }
    }
}

#[test]
fn the_sample_exercises_both_answers() {
    // Guard against a sample on which every filter is trivially true or false.
    let people = sample();
    let f = Filter::Text {
        field: Field::DisplayName,
        op: TextOp::Like,
        value: "%o%".into(),
        case_insensitive: true,
    };
    let hits = people.iter().filter(|c| eval::matches(&f, c)).count();
    assert!(hits > 0 && hits < people.len());
}
