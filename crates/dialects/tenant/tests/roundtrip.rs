//! Round trips: canonical customers of every shape (the testkit's samples) through the
//! dialect's fields and back, and list parameters through the query string and the
//! canonical query (property tests).

use custgate_core::{Count, Customer, CustomerKind, Field, Names, Query, TaxIds};
use custgate_tenant::convert::{apply, canonical_mobile, to_body};
use custgate_tenant::query::{ListParams, DEFAULT_PAGE_SIZE, SORT_FIELDS};
use custgate_testkit::sample_customers;
use proptest::prelude::*;

/// Echoing a record's read shape back in a PUT changes nothing the dialect does not
/// carry, and nothing it shows; a second echo is the identity.
#[test]
fn put_of_the_read_shape_is_a_no_op() {
    /// The record without the fields `apply` writes.
    fn outside(c: &Customer) -> Customer {
        Customer {
            name: Names {
                display: None,
                ..c.name.clone()
            },
            kind: None,
            tax: TaxIds::default(),
            emails: Vec::new(),
            phones: Vec::new(),
            identifications: Vec::new(),
            addresses: Vec::new(),
            extensions: Default::default(),
            ..c.clone()
        }
    }
    for c in sample_customers() {
        let body = to_body(&c);
        let mut merged = c.clone();
        apply(&body, &mut merged);
        let label = format!("{:?}", c.name.display);
        assert_eq!(to_body(&merged), body, "{label}");
        assert_eq!(outside(&merged), outside(&c), "{label}");
        assert_eq!(merged.phones.len(), c.phones.len(), "{label}");
        assert_eq!(merged.emails.len(), c.emails.len(), "{label}");
        assert_eq!(merged.identifications, c.identifications, "{label}");
        assert_eq!(merged.addresses.len(), c.addresses.len(), "{label}");
        let others = |x: &Customer| {
            let mut e = x.extensions.clone();
            e.remove("tenant");
            e
        };
        assert_eq!(others(&merged), others(&c), "{label}");

        let mut again = merged.clone();
        apply(&to_body(&merged), &mut again);
        assert_eq!(again, merged, "{label}");
    }
}

fn text() -> impl Strategy<Value = Option<String>> {
    prop::option::of("[A-Za-z0-9@.+ _-]{1,12}".prop_map(|s| s.trim().to_owned()))
        .prop_map(|s| s.filter(|s| !s.is_empty()))
}

fn mobile() -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop_oneof![
        "05[0-9]{8}",
        "\\+9665[0-9]{8}",
        "\\+47[0-9]{8}",
        "0[1-4][0-9]{8}",
    ])
}

prop_compose! {
    fn params()(
        cus_name in text(),
        cus_mobile in mobile(),
        cus_type in prop::option::of(prop_oneof![Just(CustomerKind::Company), Just(CustomerKind::Person)]),
        email in text(),
        id_no in text(),
        vat_no in text(),
        sort in prop::option::of(0..SORT_FIELDS.len()),
        is_descending in any::<bool>(),
        page_number in 1u64..1000,
        page_size in 1u32..=100,
    ) -> ListParams {
        ListParams {
            cus_name,
            cus_mobile,
            cus_type,
            email,
            id_no,
            vat_no,
            sort_by: sort.map(|i| SORT_FIELDS[i].1),
            is_descending,
            page_number,
            page_size,
        }
    }
}

proptest! {
    #[test]
    fn list_params_survive_the_query_string(p in params()) {
        let pairs: Vec<(String, String)> = p
            .to_pairs()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        prop_assert_eq!(ListParams::parse(&pairs, 100).unwrap(), p);
    }

    #[test]
    fn list_params_survive_the_canonical_query(p in params()) {
        let q = p.to_query();
        q.check().unwrap();
        prop_assert_eq!(q.count, Count::WithTotal);
        prop_assert_eq!(q.limit, Some(p.page_size));
        prop_assert_eq!(q.offset, (p.page_number - 1) * u64::from(p.page_size));
        let back = ListParams::from_query(&Query { offset: 0, limit: None, ..q }).unwrap();
        let mobile = |m: &Option<String>| m.as_deref().map(|m| canonical_mobile(m).0);
        prop_assert_eq!(mobile(&back.cus_mobile), mobile(&p.cus_mobile));
        prop_assert_eq!(
            ListParams { cus_mobile: None, ..back },
            ListParams {
                cus_mobile: None,
                sort_by: Some(p.sort_by.unwrap_or(Field::Seq)),
                page_number: 1,
                page_size: DEFAULT_PAGE_SIZE,
                ..p
            }
        );
    }

    #[test]
    fn any_query_string_is_answered_without_panicking(
        pairs in prop::collection::vec(
            (
                prop_oneof![
                    "(?i)(cusname|cusmobile|custype|email|idno|vatno|sortby|isdescending|pagenumber|pagesize)",
                    "[A-Za-z]{0,12}",
                ],
                ".{0,20}",
            ),
            0..8,
        )
    ) {
        if let Ok(p) = ListParams::parse(&pairs, 100) {
            p.to_query().check().unwrap();
        }
    }
}

/// A tenant record's one phone is its `CusMobile`, so an `eq` on any phone's number is
/// sent as `CusMobile` too (in the local form), and the capability says so.
#[test]
fn a_phone_number_is_sent_as_cus_mobile() {
    use custgate_core::{CmpOp, Filter, Value};
    let q = Query::filtered(Filter::Compare {
        field: Field::Phone,
        op: CmpOp::Eq,
        value: Value::text("+966555555555"),
    });
    let p = ListParams::from_query(&q).unwrap();
    assert_eq!(p.cus_mobile.as_deref(), Some("0555555555"));
    let cap = custgate_tenant::capability();
    assert!(cap.filter.ops(Field::Phone).eq && cap.phones_are_mobiles);
    cap.check_query(&q).unwrap();
}
