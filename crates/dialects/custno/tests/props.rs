//! Properties: what goes in through the parameters comes out of the record, the record
//! survives the canonical customer, dates and single-quoted bodies read back as written.

use custgate_core::{Customer, Phone, PhoneKind, Status};
use custgate_custno::query::{relaxed_json, Params};
use custgate_custno::validate::{changes, Action, CREDIT_STATUSES, STATUSES, TERMS, TERRITORIES};
use custgate_custno::{convert, from_record, to_record, ManexDate};
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::{Map, Value};

/// Text ManEx would store: no control characters, no surrounding blanks, not empty.
fn text() -> impl Strategy<Value = String> {
    "[A-Za-z0-9][A-Za-z0-9 .,'&/#-]{0,30}[A-Za-z0-9]".prop_map(|s| s.trim().to_owned())
}

/// A value in any ASCII case.
fn any_case(s: &'static str) -> impl Strategy<Value = String> {
    proptest::collection::vec(any::<bool>(), s.len()).prop_map(move |upper| {
        s.chars()
            .zip(upper)
            .map(|(c, u)| {
                if u {
                    c.to_ascii_uppercase()
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect()
    })
}

fn one_of(list: &'static [&'static str]) -> impl Strategy<Value = &'static str> {
    proptest::sample::select(list)
}

fn amount() -> impl Strategy<Value = Decimal> {
    (0i64..100_000_000_000_000).prop_map(|cents| Decimal::new(cents, 2).normalize())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn parameters_come_out_of_the_record(
        name in text(),
        phone in proptest::option::of(text()),
        territory in one_of(TERRITORIES).prop_flat_map(any_case),
        terms in one_of(TERMS).prop_flat_map(any_case),
        creditok in one_of(CREDIT_STATUSES).prop_flat_map(any_case),
        status in one_of(STATUSES).prop_flat_map(any_case),
        credlimit in amount(),
        taxable in any::<bool>(),
        number in proptest::option::of(0u64..10_000_000_000),
    ) {
        let mut body = Map::new();
        let mut put = |k: &str, v: String| { body.insert(k.into(), Value::String(v)); };
        put("CUSTNAME", name.clone());
        put("status", status.clone());
        put("Territory", territory.clone());
        put("TERMS", terms.clone());
        put("creditok", creditok.clone());
        put("Credlimit", credlimit.to_string());
        put("Acctaxable", if taxable { "Y".into() } else { "n".into() });
        if let Some(p) = &phone { put("Phone", p.clone()); }
        if let Some(n) = number { put("Custno", n.to_string()); }
        let mut params = Params::default();
        params.extend_json(&body);
        let ch = changes(&params, Action::Add).map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        let mut c = Customer::new();
        convert::apply(&ch, &mut c);
        let r = to_record(&c).body;
        prop_assert_eq!(r.custname.as_deref(), Some(name.as_str()));
        prop_assert_eq!(r.territory.unwrap(), territory.to_uppercase());
        prop_assert_eq!(r.terms.unwrap(), terms.to_uppercase());
        prop_assert_eq!(r.creditok.unwrap(), creditok.to_uppercase());
        let st = r.status.unwrap();
        prop_assert!(STATUSES.contains(&st.as_str()) && st.eq_ignore_ascii_case(&status));
        prop_assert_eq!(r.credlimit, Some(credlimit));
        prop_assert_eq!(r.acttaxable, Some(taxable));
        prop_assert_eq!(r.phone.unwrap(), phone.unwrap_or_default());
        if let Some(n) = number {
            prop_assert_eq!(r.custno.unwrap(), format!("{n:010}"));
        }
    }

    #[test]
    fn records_survive_the_canonical_customer(
        name in text(),
        phone in proptest::option::of(text()),
        fax in proptest::option::of(text()),
        territory in proptest::option::of(one_of(TERRITORIES)),
        status in prop_oneof![Just(Status::Active), Just(Status::Inactive), Just(Status::Quote)],
        credit in amount(),
        high in amount(),
        reseller in proptest::option::of(text()),
        number in 0u64..10_000_000_000,
        profile in proptest::option::of(text()),
        margin in proptest::option::of(amount()),
    ) {
        let mut c = Customer {
            number: Some(number.to_string()),
            ..Customer::default()
        };
        c.name.display = Some(name);
        for (kind, n) in [(PhoneKind::Phone, phone), (PhoneKind::Fax, fax)] {
            if let Some(n) = n {
                c.phones.push(Phone { kind, number: n, default: true, ..Phone::default() });
            }
        }
        c.sales.territory = territory.map(str::to_owned);
        c.status = status;
        c.finance.credit_limit = Some(credit);
        c.finance.receivable_high_balance = Some(high);
        c.finance.taxable = Some(false);
        c.sales.reseller_no = reseller;
        if let Some(p) = profile {
            c.extension_mut("custno").insert("PROFILE".into(), Value::String(p));
        }
        if let Some(m) = margin.filter(|m| !m.is_zero()) {
            // A number as ManEx writes it: an integer when whole.
            let v = if m.fract().is_zero() {
                Value::from(i64::try_from(m).unwrap())
            } else {
                Value::from(m.to_string().parse::<f64>().unwrap())
            };
            c.extension_mut("custno").insert("OUT_MARGIN".into(), v);
        }
        let record = to_record(&c);
        let back = from_record(&record);
        let mut expected = c.clone();
        expected.id = back.id.clone();
        prop_assert_eq!(&back, &expected);
        prop_assert_eq!(serde_json::to_value(to_record(&back).add_view()).unwrap(),
            serde_json::to_value(record.add_view()).unwrap());
    }

    #[test]
    fn dates_read_back_as_written(secs in -6_000_000_000i64..250_000_000_000, nanos in 0u32..1_000_000_000, offset in proptest::option::of(-50_400i32..50_400)) {
        let naive = chrono::DateTime::from_timestamp(secs, nanos).unwrap().naive_utc();
        prop_assume!((1753..=9999).contains(&chrono::Datelike::year(&naive)));
        let d = match offset {
            None => ManexDate::Naive(naive),
            Some(o) => {
                let o = chrono::FixedOffset::east_opt(o / 60 * 60).unwrap();
                ManexDate::Offset(chrono::TimeZone::from_utc_datetime(&o, &naive))
            }
        };
        let text = d.to_string();
        let again = ManexDate::parse(&text).unwrap();
        prop_assert_eq!(again.to_string(), text);
    }

    #[test]
    fn single_quoted_bodies_read_as_their_json(map in proptest::collection::btree_map("[A-Za-z_]{1,8}", "[ -~]{0,12}", 0..6)) {
        let single = format!(
            "{{{}}}",
            map.iter()
                .map(|(k, v)| format!("'{}':'{}'", k, v.replace('\\', "\\\\").replace('\'', "\\'")))
                .collect::<Vec<_>>()
                .join(",")
        );
        let parsed: Value = serde_json::from_slice(&relaxed_json(single.as_bytes()))
            .map_err(|e| TestCaseError::fail(format!("{single}: {e}")))?;
        let expected: Value = serde_json::to_value(&map).unwrap();
        prop_assert_eq!(parsed, expected);
    }
}
