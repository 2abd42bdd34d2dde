//! The planner against backends that can do only part of a query: whatever is pushed down
//! and whatever runs in the gateway, the answer is the embedded store's.
//!
//! Each backend is a [`Restricted`] wrapper around one shared [`MemoryStore`] that refuses
//! exactly what its capability says, as the real upstream clients do; the capabilities
//! are the five clients' own (`custgate_<dialect>::capability`), with small page sizes so
//! that paging shows.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use custgate_core::plan::{self, Fetch, Local};
use custgate_core::{
    Capability, CmpOp, Count, CreateOptions, Customer, CustomerId, CustomerKind, CustomerStore,
    Email, Error, ErrorKind, Field, FieldOps, Filter, FilterCapability, Identification, Key,
    MemoryStore, Operation, Page, Phone, PhoneKind, Query, Result, SortKey, Status, TenantId,
    TextOp, Value, Version,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use rust_decimal::Decimal;

/// A call the wrapper passed on to the store.
#[derive(Clone, Debug, PartialEq)]
enum Call {
    Query(Query),
    Find(Key),
}

/// A backend that can do what its capability says and nothing more. Like an upstream with
/// a page limit, it refuses a larger `limit` and returns at most a page without one.
#[derive(Debug)]
struct Restricted {
    name: &'static str,
    cap: Capability,
    inner: Arc<MemoryStore>,
    calls: Mutex<Vec<Call>>,
    /// A query it refuses although its capability claims it, as a client that cannot say
    /// every value of a filter it takes.
    declines: fn(&Query) -> bool,
}

impl Restricted {
    fn new(name: &'static str, cap: Capability, inner: Arc<MemoryStore>) -> Self {
        Self {
            name,
            cap,
            inner,
            calls: Mutex::new(Vec::new()),
            declines: |_| false,
        }
    }

    fn take_calls(&self) -> Vec<Call> {
        std::mem::take(&mut *self.calls.lock().unwrap())
    }
}

#[async_trait]
impl CustomerStore for Restricted {
    fn capability(&self) -> &Capability {
        &self.cap
    }

    fn name(&self) -> &str {
        self.name
    }

    async fn query(&self, tenant: &TenantId, q: &Query) -> Result<Page> {
        self.cap.check_query(q)?;
        if (self.declines)(q) {
            return Err(Error::unsupported("the backend cannot say this query"));
        }
        let mut q = q.clone();
        if let Some(max) = self.cap.max_limit {
            match q.limit {
                Some(l) if l as usize > max => {
                    return Err(Error::validation_field(
                        "limit",
                        format!("must be at most {max}"),
                    ))
                }
                None if q.count != Count::Only => q.limit = Some(max as u32),
                _ => {}
            }
        }
        self.calls.lock().unwrap().push(Call::Query(q.clone()));
        self.inner.query(tenant, &q).await
    }

    async fn get(&self, tenant: &TenantId, id: &CustomerId) -> Result<Customer> {
        self.cap.check_op(Operation::Get)?;
        self.inner.get(tenant, id).await
    }

    async fn find(&self, tenant: &TenantId, key: &Key) -> Result<Vec<Customer>> {
        self.cap.check_find(key)?;
        self.calls.lock().unwrap().push(Call::Find(key.clone()));
        self.inner.find(tenant, key).await
    }

    async fn create(
        &self,
        tenant: &TenantId,
        customer: Customer,
        options: CreateOptions,
    ) -> Result<Customer> {
        self.cap.check_create(&options)?;
        self.inner.create(tenant, customer, options).await
    }

    async fn update(
        &self,
        tenant: &TenantId,
        customer: Customer,
        expected: Option<Version>,
    ) -> Result<Customer> {
        self.cap.check_write(Operation::Update, expected)?;
        self.inner.update(tenant, customer, expected).await
    }

    async fn delete(
        &self,
        tenant: &TenantId,
        id: &CustomerId,
        expected: Option<Version>,
    ) -> Result<Customer> {
        self.cap.check_write(Operation::Delete, expected)?;
        self.inner.delete(tenant, id, expected).await
    }

    async fn set_status(
        &self,
        tenant: &TenantId,
        id: &CustomerId,
        status: Status,
    ) -> Result<Customer> {
        self.cap.check_op(Operation::SetStatus)?;
        self.inner.set_status(tenant, id, status).await
    }

    async fn health(&self) -> Result<()> {
        Ok(())
    }
}

/// Not a real client: what the planner's remaining rules need, a backend that cannot
/// skip, count, combine filters or sort on more than one key.
fn bare_cap() -> Capability {
    Capability {
        list: true,
        filter: FilterCapability {
            fields: vec![
                (Field::Kind, FieldOps::EQ),
                (Field::Status, FieldOps::EQ),
                (
                    Field::Seq,
                    FieldOps {
                        range: true,
                        ..FieldOps::EQ
                    },
                ),
            ],
            ..FilterCapability::default()
        },
        sort_fields: vec![Field::Seq, Field::DisplayName],
        max_sort_keys: Some(1),
        ..Capability::default()
    }
}

fn at(y: i32, mo: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, 12, 0, 0).single().unwrap()
}

const NAMES: [Option<&str>; 12] = [
    Some("Ann Lee"),
    Some("ann lee"),
    Some("Émile Zola"),
    Some("Bob"),
    Some("O'Brien"),
    Some("Zoë Åberg"),
    Some("bob"),
    Some("Carl_%"),
    None,
    Some("Ann Lee"),
    Some("İstanbul AS"),
    Some("Acme"),
];

/// Customers with every field the capabilities filter or sort on, absent values,
/// duplicates, case variants and non-ASCII text.
fn customers() -> Vec<Customer> {
    (0..24usize)
        .map(|i| {
            let n = i as i64;
            let mut c = Customer::new();
            c.name.display = NAMES[i % NAMES.len()].map(str::to_owned);
            if c.name.display.is_none() {
                c.name.first = Some(format!("First{i}"));
                c.name.last = Some("Berg".into());
            }
            c.kind = [
                Some(CustomerKind::Person),
                Some(CustomerKind::Company),
                None,
            ][i % 3];
            c.emails = match i % 4 {
                0 => vec![],
                1 => vec![email(&format!("e{}@ex.com", i % 5), false)],
                2 => vec![
                    email("shared@ex.com", false),
                    email(&format!("e{i}@ex.com"), true),
                ],
                _ => vec![email(&format!("E{}@EX.com", i % 5), false)],
            };
            c.phones = match i % 3 {
                0 => vec![],
                1 => vec![phone(
                    PhoneKind::Mobile,
                    &format!("+4790000{}", i % 6),
                    false,
                )],
                _ => vec![
                    phone(PhoneKind::Phone, "+4722000000", false),
                    phone(PhoneKind::Mobile, &format!("+4790000{}", i % 4), true),
                ],
            };
            c.identifications = match i % 4 {
                0 => vec![ident("ORG", &format!("9{}", i % 3))],
                1 => vec![ident("NID", &format!("id{}", i % 5))],
                _ => vec![],
            };
            c.tax.vat = (i % 3 == 0).then(|| format!("NO{}MVA", i % 4));
            c.tax.tin = (i % 5 == 0).then(|| format!("T{}", i % 2));
            c.external_id = (i % 2 == 0).then(|| format!("ext-{}", i % 7));
            c.reference_no = (i % 3 == 1).then(|| format!("R{}", i % 4));
            if i % 4 == 2 {
                c.cards.push(custgate_core::Card {
                    serial_number: format!("C{}", i % 3),
                    ..Default::default()
                });
            }
            c.status = [
                Status::Active,
                Status::Inactive,
                Status::Quote,
                Status::Blocked,
            ][(i * 7) % 4];
            c.finance.credit_rate = (i % 3 != 2).then(|| Decimal::new((n * 37) % 50, 1));
            c.finance.discount_rate = (i % 4 != 3).then(|| Decimal::new((n * 13) % 20, 0));
            c.finance.currency =
                [Some("NOK"), Some("SEK"), None, Some("nok")][i % 4].map(Into::into);
            c.finance.taxable = [Some(true), Some(false), None][i % 3];
            c.activation_time = (i % 5 != 4).then(|| at(2020, 1 + (i % 12) as u32, 1));
            c.expiration_time = (i % 2 == 1).then(|| at(2025, 1, 1 + (i % 5) as u32));
            c.note = [
                Some("vip"),
                Some("VIP customer"),
                None,
                Some("o'brien's"),
                Some("%"),
            ][i % 5]
                .map(Into::into);
            c.number = (i % 6 == 0).then(|| format!("N{i}"));
            c
        })
        .collect()
}

fn email(address: &str, default: bool) -> Email {
    Email {
        address: address.into(),
        default,
        ..Email::default()
    }
}

fn phone(kind: PhoneKind, number: &str, default: bool) -> Phone {
    Phone {
        kind,
        number: number.into(),
        default,
        ..Phone::default()
    }
}

fn ident(scheme: &str, value: &str) -> Identification {
    Identification {
        scheme: scheme.into(),
        value: value.into(),
    }
}

/// One embedded store with the customers, and every restricted backend over it.
struct Fixture {
    tenant: TenantId,
    embedded: Arc<MemoryStore>,
    backends: Vec<Restricted>,
}

impl Fixture {
    async fn new() -> Fixture {
        let tenant = TenantId::parse("acme").unwrap();
        let embedded = Arc::new(MemoryStore::new());
        for c in customers() {
            embedded
                .create(&tenant, c, CreateOptions::default())
                .await
                .unwrap();
        }
        let backends = [
            ("upstream:tenant", custgate_tenant::capability()),
            ("upstream:ndata", custgate_ndata::capability(4)),
            ("upstream:odata", custgate_odata::capability(3)),
            ("upstream:custno", custgate_custno::capability()),
            ("upstream:v1core", custgate_v1core::capability()),
            ("bare", bare_cap()),
            ("full", Capability::full()),
        ]
        .into_iter()
        .map(|(name, cap)| Restricted::new(name, cap, embedded.clone()))
        .collect();
        Fixture {
            tenant,
            embedded,
            backends,
        }
    }

    fn backend(&self, name: &str) -> &Restricted {
        self.backends.iter().find(|b| b.name == name).unwrap()
    }

    async fn expected(&self, q: &Query) -> Page {
        self.embedded.query(&self.tenant, q).await.unwrap()
    }

    /// Runs `q` through the planner on `backend`; `Ok(None)` when the backend cannot
    /// answer it at all (a lookup-only backend without a key to look up).
    async fn check(
        &self,
        backend: &Restricted,
        q: &Query,
        max_scan: usize,
    ) -> Result<Option<plan::Explain>, TestCaseError> {
        let expected = self.expected(q).await;
        backend.take_calls();
        let got = plan::execute(backend, &self.tenant, q, max_scan).await;
        let calls = backend.take_calls();
        match got {
            Ok((page, explain)) => {
                prop_assert_eq!(
                    &page,
                    &expected,
                    "{} answered {:?} differently; plan {}",
                    backend.name,
                    q,
                    explain
                );
                prop_assert_eq!(explain.calls, calls.len());
                Ok(Some(explain))
            }
            Err(e) => {
                prop_assert_eq!(
                    e.kind(),
                    ErrorKind::Unsupported,
                    "{}: {:?}",
                    backend.name,
                    e
                );
                prop_assert!(!backend.cap.list, "{} refused {:?}: {}", backend.name, q, e);
                prop_assert_eq!(
                    e.message(),
                    "the backend does not support listing customers"
                );
                prop_assert!(calls.is_empty());
                Ok(None)
            }
        }
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

fn text(f: Field, op: TextOp, v: &str, ci: bool) -> Filter {
    Filter::text(f, op, v, ci).unwrap()
}

fn cmp(f: Field, op: CmpOp, v: Value) -> Filter {
    Filter::compare(f, op, v).unwrap()
}

fn eq(f: Field, v: &str) -> Filter {
    Filter::eq(f, Value::text(v)).unwrap()
}

/// Filters over every operator, and/or/not and search, each on fields that some backends
/// support and others do not.
fn filters() -> Vec<Filter> {
    use CmpOp::*;
    vec![
        text(Field::DisplayName, TextOp::Contains, "ann", true),
        text(Field::DisplayName, TextOp::Contains, "Ann", false),
        text(Field::DisplayName, TextOp::StartsWith, "é", true),
        text(Field::DisplayName, TextOp::EndsWith, "B", true),
        text(Field::DisplayName, TextOp::Like, "%_\\%", false),
        text(Field::DisplayName, TextOp::Like, "a%e", true),
        text(Field::Note, TextOp::Contains, "o'b", false),
        text(Field::ExternalId, TextOp::StartsWith, "EXT-1", true),
        eq(Field::DisplayName, "Ann Lee"),
        eq(Field::Email, "shared@ex.com"),
        eq(Field::DefaultEmail, "e2@ex.com"),
        eq(Field::Mobile, "+479000001"),
        eq(Field::Kind, "company"),
        eq(Field::Vat, "NO0MVA"),
        eq(Field::Identification, "id1"),
        eq(Field::OrgNumber, "90"),
        eq(Field::Status, "inactive"),
        eq(Field::Currency, "NOK"),
        eq(Field::CardSerial, "C2"),
        eq(Field::Number, "N6"),
        eq(Field::ReferenceNo, "R1"),
        cmp(Field::Status, Ne, Value::text("active")),
        cmp(Field::Email, Ne, Value::text("shared@ex.com")),
        cmp(Field::Seq, Gt, Value::Int(5)),
        cmp(Field::Seq, Le, Value::Int(10)),
        cmp(Field::CreditRate, Ge, Value::text("2.2")),
        cmp(Field::DiscountRate, Lt, Value::Int(9)),
        cmp(Field::ExpirationTime, Ge, Value::text("2025-01-03")),
        cmp(Field::CreatedAt, Gt, Value::text("2020-01-01")),
        cmp(Field::Taxable, Eq, Value::Bool(true)),
        Filter::in_list(
            Field::Seq,
            vec![Value::Int(2), Value::Int(3), Value::Int(20)],
        )
        .unwrap(),
        Filter::in_list(
            Field::CreditRate,
            vec![Value::text("0"), Value::text("3.7")],
        )
        .unwrap(),
        Filter::in_list(Field::Currency, vec![]).unwrap(),
        Filter::IsNull {
            field: Field::ExternalId,
        },
        Filter::IsNull {
            field: Field::ExpirationTime,
        },
        Filter::not(Filter::IsNull { field: Field::Vat }),
        Filter::not(eq(Field::Kind, "person")),
        Filter::not(text(Field::DisplayName, TextOp::Contains, "b", true)),
        Filter::Search("LEE".into()),
        Filter::Search("o'b".into()),
        Filter::And(vec![
            eq(Field::Kind, "person"),
            text(Field::DisplayName, TextOp::Contains, "a", true),
        ]),
        Filter::And(vec![
            Filter::Search("a".into()),
            cmp(Field::Status, Ne, Value::text("blocked")),
            Filter::And(vec![cmp(Field::DiscountRate, Gt, Value::Int(2))]),
        ]),
        Filter::Or(vec![
            eq(Field::Kind, "company"),
            cmp(Field::Seq, Lt, Value::Int(4)),
        ]),
        Filter::Or(vec![eq(Field::Number, "N0"), eq(Field::Number, "N12")]),
        Filter::And(vec![
            eq(Field::Kind, "company"),
            cmp(Field::Seq, Ge, Value::Int(3)),
            eq(Field::Status, "quote"),
        ]),
        Filter::not(Filter::Or(vec![
            eq(Field::Status, "active"),
            Filter::IsNull {
                field: Field::Currency,
            },
        ])),
        // Conjuncts a lookup-only backend can find by.
        Filter::And(vec![
            eq(Field::DisplayName, "Ann Lee"),
            cmp(Field::Seq, Gt, Value::Int(1)),
        ]),
        Filter::And(vec![Filter::Search("e".into()), eq(Field::Number, "N12")]),
        Filter::And(vec![
            eq(Field::Mobile, "+479000001"),
            Filter::not(eq(Field::Kind, "person")),
        ]),
        Filter::And(vec![
            eq(Field::ReferenceNo, "R3"),
            eq(Field::Identification, "id2"),
        ]),
        Filter::eq(Field::Seq, Value::Int(7)).unwrap(),
        eq(Field::ExternalId, "ext-2"),
    ]
}

/// Sorts, paging and counts, each pushed by some backends and not others.
fn shapes() -> Vec<Query> {
    let asc = SortKey::asc;
    let desc = SortKey::desc;
    let shape = |sort: Vec<SortKey>, offset: u64, limit: Option<u32>, count: Count| Query {
        filter: None,
        sort,
        offset,
        limit,
        count,
    };
    vec![
        shape(vec![], 0, None, Count::None),
        shape(vec![], 0, Some(5), Count::WithTotal),
        shape(vec![], 2, Some(4), Count::None),
        shape(vec![], 0, None, Count::Only),
        shape(vec![asc(Field::Seq)], 1, Some(2), Count::None),
        shape(vec![desc(Field::DisplayName)], 0, Some(7), Count::WithTotal),
        shape(
            vec![asc(Field::DisplayName), desc(Field::Seq)],
            3,
            Some(3),
            Count::None,
        ),
        shape(vec![desc(Field::CreditRate)], 0, Some(0), Count::WithTotal),
        shape(vec![asc(Field::Note)], 5, None, Count::None),
        shape(vec![desc(Field::CreatedAt)], 30, Some(3), Count::WithTotal),
        shape(vec![asc(Field::Kind)], 0, Some(10), Count::Only),
    ]
}

#[test]
fn every_backend_answers_like_the_embedded_store() {
    let rt = runtime();
    rt.block_on(async {
        let fx = Fixture::new().await;
        let all_filters = std::iter::once(None).chain(filters().into_iter().map(Some));
        let mut answered = vec![(0usize, 0usize); fx.backends.len()];
        for filter in all_filters {
            for shape in shapes() {
                let q = Query {
                    filter: filter.clone(),
                    ..shape
                };
                for (i, b) in fx.backends.iter().enumerate() {
                    if let Some(explain) = fx.check(b, &q, 1000).await.unwrap() {
                        let local = usize::from(!explain.local.is_empty());
                        answered[i].0 += 1 - local;
                        answered[i].1 += local;
                    }
                }
            }
        }
        let count = |name: &str| {
            let i = fx.backends.iter().position(|b| b.name == name).unwrap();
            answered[i]
        };
        let queries = (filters().len() + 1) * shapes().len();
        // Every listing backend answers every query, some wholly pushed down, some not.
        for name in [
            "upstream:tenant",
            "upstream:ndata",
            "upstream:odata",
            "bare",
        ] {
            let (pushed, local) = count(name);
            assert_eq!(pushed + local, queries, "{name}");
            assert!(local >= 300, "{name}: {local} local");
            let least = if name == "bare" { 5 } else { 50 };
            assert!(pushed >= least, "{name}: {pushed} pushed");
        }
        assert_eq!(count("full"), (queries, 0));
        // Lookup-only backends answer the queries with a key they can find by.
        for name in ["upstream:custno", "upstream:v1core"] {
            let (pushed, local) = count(name);
            assert_eq!(pushed, 0, "{name}");
            assert!(local >= 3 * shapes().len(), "{name}: {local}");
        }
    });
}

/// Leaf filters over the fixture's values and some that match nothing.
fn leaf() -> impl Strategy<Value = Filter> {
    let fields = prop::sample::select(vec![
        Field::Seq,
        Field::Number,
        Field::DisplayName,
        Field::Email,
        Field::DefaultEmail,
        Field::Mobile,
        Field::Kind,
        Field::Status,
        Field::ExternalId,
        Field::ReferenceNo,
        Field::Identification,
        Field::OrgNumber,
        Field::Vat,
        Field::CardSerial,
        Field::Currency,
        Field::CreditRate,
        Field::DiscountRate,
        Field::ExpirationTime,
        Field::CreatedAt,
        Field::Note,
        Field::Taxable,
    ]);
    let literals = prop::sample::select(vec![
        "1",
        "5",
        "12",
        "N6",
        "Ann Lee",
        "bob",
        "e1@ex.com",
        "shared@ex.com",
        "+479000001",
        "person",
        "company",
        "active",
        "quote",
        "ext-2",
        "R1",
        "id3",
        "91",
        "NO1MVA",
        "C0",
        "NOK",
        "nok",
        "2.2",
        "3.7",
        "0",
        "2025-01-02",
        "2020-06-01",
        "true",
        "vip",
        "%",
    ]);
    let fragments = prop::sample::select(vec![
        "a", "A", "lee", "é", "É", "o'", "%", "_", "b%", "%e", "_o%", "+47", "@ex", "1", "", "i̇",
        "ext",
    ]);
    let ops = prop::sample::select(vec![
        CmpOp::Eq,
        CmpOp::Ne,
        CmpOp::Gt,
        CmpOp::Ge,
        CmpOp::Lt,
        CmpOp::Le,
    ]);
    let text_ops = prop::sample::select(vec![
        TextOp::Contains,
        TextOp::StartsWith,
        TextOp::EndsWith,
        TextOp::Like,
    ]);
    prop_oneof![
        (fields.clone(), ops, literals.clone())
            .prop_filter_map("literal of another type", |(f, op, v)| {
                Filter::compare(f, op, Value::text(v)).ok()
            }),
        (fields.clone(), text_ops, fragments.clone(), any::<bool>())
            .prop_filter_map("not a text field", |(f, op, v, ci)| {
                Filter::text(f, op, v, ci).ok()
            }),
        (fields.clone(), prop::collection::vec(literals, 0..3)).prop_filter_map(
            "literal of another type",
            |(f, vs)| Filter::in_list(f, vs.into_iter().map(Value::text).collect()).ok()
        ),
        fields.prop_map(|field| Filter::IsNull { field }),
        fragments.prop_map(|s| Filter::Search(s.to_owned())),
    ]
}

fn filter() -> impl Strategy<Value = Filter> {
    leaf().prop_recursive(3, 12, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Filter::And),
            prop::collection::vec(inner.clone(), 0..3).prop_map(Filter::Or),
            inner.prop_map(|f| Filter::Not(Box::new(f))),
        ]
    })
}

fn query() -> impl Strategy<Value = Query> {
    let key = prop::sample::select(vec![
        Field::Seq,
        Field::Number,
        Field::DisplayName,
        Field::DefaultEmail,
        Field::Kind,
        Field::Status,
        Field::CreditRate,
        Field::ExpirationTime,
        Field::CreatedAt,
        Field::Note,
        Field::Id,
        Field::Vat,
    ]);
    let sort = prop::collection::vec(
        (key, any::<bool>()).prop_map(|(field, descending)| SortKey { field, descending }),
        0..3,
    );
    let count = prop::sample::select(vec![Count::None, Count::WithTotal, Count::Only]);
    (
        prop::option::weighted(0.9, filter()),
        sort,
        prop_oneof![Just(0u64), 0u64..30],
        prop::option::of(0u32..12),
        count,
    )
        .prop_map(|(filter, sort, offset, limit, count)| Query {
            filter,
            sort,
            offset,
            limit,
            count,
        })
}

#[test]
fn random_queries_answer_like_the_embedded_store() {
    let rt = runtime();
    let fx = rt.block_on(Fixture::new());
    let mut runner = TestRunner::new(Config {
        cases: 256,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&query(), |q| {
            rt.block_on(async {
                for b in &fx.backends {
                    fx.check(b, &q, 1000).await?;
                }
                Ok(())
            })
        })
        .unwrap();
}

#[test]
fn a_key_conjunct_answers_through_a_lookup_only_backend() {
    let rt = runtime();
    rt.block_on(async {
        let fx = Fixture::new().await;
        let custno = fx.backend("upstream:custno");
        let q = Query {
            filter: Filter::all([
                cmp(Field::Status, CmpOp::Ne, Value::text("blocked")),
                eq(Field::DisplayName, "Ann Lee"),
            ]),
            sort: vec![SortKey::desc(Field::Seq)],
            count: Count::WithTotal,
            ..Query::default()
        };
        let (page, explain) = plan::execute(custno, &fx.tenant, &q, 10).await.unwrap();
        assert_eq!(page, fx.expected(&q).await);
        assert_eq!(page.total, Some(2));
        assert_eq!(
            custno.take_calls(),
            [Call::Find(Key::Name("Ann Lee".into()))]
        );
        assert_eq!(
            explain.to_string(),
            "pushed: find(name 'Ann Lee'); \
             local: filter((status ne 'blocked' and name.display eq 'Ann Lee')), \
             sort(seq desc), total; backend: upstream:custno, 1 call, 4 records fetched"
        );
        let e = plan::execute(custno, &fx.tenant, &Query::default(), 10)
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unsupported);
        assert_eq!(
            e.message(),
            "the backend does not support listing customers"
        );
        // A key the backend cannot find by is no way in either.
        let by_email = Query::filtered(eq(Field::Email, "shared@ex.com"));
        let e = plan::execute(custno, &fx.tenant, &by_email, 10)
            .await
            .unwrap_err();
        assert_eq!(
            e.message(),
            "the backend does not support listing customers"
        );
        assert!(custno.take_calls().is_empty());
    });
}

#[test]
fn a_query_the_backend_declines_after_all_runs_in_the_gateway_and_says_so() {
    let rt = runtime();
    rt.block_on(async {
        let fx = Fixture::new().await;
        // The tenant API's capability claims case-insensitive text matches on the name,
        // its client says only `contains`.
        let mut tenant = Restricted::new(
            "upstream:tenant",
            custgate_tenant::capability(),
            fx.embedded.clone(),
        );
        tenant.declines = |q| {
            q.filter.as_ref().is_some_and(|f| {
                matches!(
                    f,
                    Filter::Text {
                        op: TextOp::StartsWith,
                        ..
                    }
                )
            })
        };
        let q = Query {
            filter: Some(text(Field::DisplayName, TextOp::StartsWith, "a", true)),
            sort: vec![SortKey {
                field: Field::Seq,
                descending: true,
            }],
            ..Query::default()
        };
        let (page, explain) = plan::execute(&tenant, &fx.tenant, &q, 100).await.unwrap();
        let expected = fx.expected(&q).await;
        assert!(!expected.items.is_empty());
        assert_eq!(page, expected);
        assert_eq!(
            explain.declined.as_deref(),
            Some("the backend cannot say this query")
        );
        assert!(
            explain
                .to_string()
                .contains("local: filter(name.display starts_with_ci 'a'), sort(seq desc)"),
            "{explain}"
        );
        assert!(
            explain
                .header()
                .ends_with("; declined first: the backend cannot say this query"),
            "{}",
            explain.header()
        );
        // Only the plain listing reached the store, within the scan limit.
        let calls = tenant.take_calls();
        assert!(!calls.is_empty());
        assert!(calls
            .iter()
            .all(|c| matches!(c, Call::Query(q) if q.filter.is_none())));
        let e = plan::execute(&tenant, &fx.tenant, &q, 2).await.unwrap_err();
        assert!(e.message().contains("scan limit"), "{e}");

        // A refusal the backend's capability foresaw is not retried: it is planned
        // locally from the start.
        let q = Query::filtered(text(Field::DisplayName, TextOp::Contains, "a", false));
        let (_, explain) = plan::execute(&tenant, &fx.tenant, &q, 100).await.unwrap();
        assert_eq!(explain.declined, None);
    });
}

#[test]
fn the_scan_limit_stops_fetching_and_says_to_narrow_the_filter() {
    let rt = runtime();
    rt.block_on(async {
        let fx = Fixture::new().await;
        let odata = fx.backend("upstream:odata");
        // Search is not pushed to odata: every record is fetched, three at a time.
        let q = Query {
            filter: Some(Filter::Search("a".into())),
            limit: Some(2),
            ..Query::default()
        };
        let e = plan::execute(odata, &fx.tenant, &q, 7).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unsupported);
        assert_eq!(
            e.message(),
            "the backend cannot run this query itself and more than 7 records would have to \
             be fetched to run it in the gateway (the scan limit); narrow the filter"
        );
        assert_eq!(e.context_value("max_scan"), Some("7"));
        // Pages of 3, 3 and then 2 (one past the limit): no more is read.
        let asked: Vec<Option<u32>> = odata
            .take_calls()
            .into_iter()
            .map(|c| match c {
                Call::Query(q) => q.limit,
                Call::Find(k) => panic!("unexpected lookup {k:?}"),
            })
            .collect();
        assert_eq!(asked, [Some(3), Some(3), Some(2)]);

        // Exactly the limit is fine, and so is a narrower filter under a small one.
        let (page, explain) = plan::execute(odata, &fx.tenant, &q, 24).await.unwrap();
        assert_eq!(page, fx.expected(&q).await);
        assert_eq!(
            explain.to_string(),
            "pushed: all matches, in pages of 3; local: filter(search 'a'), limit 2; \
             backend: upstream:odata, 9 calls, 24 records fetched"
        );
        let narrow = Query {
            filter: Filter::all([Filter::Search("a".into()), eq(Field::Status, "quote")]),
            ..q.clone()
        };
        let (page, explain) = plan::execute(odata, &fx.tenant, &narrow, 7).await.unwrap();
        assert_eq!(page, fx.expected(&narrow).await);
        assert_eq!(
            explain.to_string(),
            "pushed: filter(status eq 'quote'), all matches, in pages of 3; \
             local: filter(search 'a'), limit 2; \
             backend: upstream:odata, 3 calls, 6 records fetched"
        );

        // A lookup that finds more than the limit fails the same way.
        let custno = fx.backend("upstream:custno");
        let ann = Query::filtered(eq(Field::DisplayName, "Ann Lee"));
        let e = plan::execute(custno, &fx.tenant, &ann, 3)
            .await
            .unwrap_err();
        assert_eq!(e.context_value("max_scan"), Some("3"));

        // A pass-through is not bounded: nothing is evaluated in the gateway.
        let all = Query::default();
        let (page, explain) = plan::execute(odata, &fx.tenant, &all, 1).await.unwrap();
        assert_eq!(page.items.len(), 24);
        assert_eq!(
            explain.to_string(),
            "pushed: in pages of 3; local: none; \
             backend: upstream:odata, 9 calls, 24 records fetched"
        );
    });
}

#[test]
fn what_the_backend_can_run_is_one_unchanged_call() {
    let rt = runtime();
    rt.block_on(async {
        let fx = Fixture::new().await;
        let tenant = fx.backend("upstream:tenant");
        let q = Query {
            filter: Filter::all([
                text(Field::DisplayName, TextOp::Contains, "a", true),
                eq(Field::Kind, "person"),
            ]),
            sort: vec![SortKey::desc(Field::DisplayName)],
            offset: 1,
            limit: Some(2),
            count: Count::WithTotal,
        };
        let (page, explain) = plan::execute(tenant, &fx.tenant, &q, 0).await.unwrap();
        assert_eq!(page, fx.expected(&q).await);
        assert_eq!(tenant.take_calls(), [Call::Query(q.clone())]);
        assert_eq!(
            explain.header(),
            "pushed: filter((name.display contains_ci 'a' and kind eq 'person')), \
             sort(name.display desc), offset 1, limit 2, total; local: none; \
             backend: upstream:tenant, 1 call, 2 records fetched"
        );
    });
}

#[test]
fn a_page_size_is_respected_by_paging_with_offsets() {
    let rt = runtime();
    rt.block_on(async {
        let fx = Fixture::new().await;
        let ndata = fx.backend("upstream:ndata");
        let q = Query {
            filter: Some(cmp(Field::CreditRate, CmpOp::Ge, Value::Int(0))),
            sort: vec![SortKey::asc(Field::Note)],
            offset: 2,
            limit: Some(9),
            count: Count::WithTotal,
        };
        let (page, _) = plan::execute(ndata, &fx.tenant, &q, 0).await.unwrap();
        assert_eq!(page, fx.expected(&q).await);
        assert_eq!(page.items.len(), 9);
        let pages: Vec<(u64, Option<u32>, Count)> = ndata
            .take_calls()
            .into_iter()
            .map(|c| match c {
                Call::Query(q) => (q.offset, q.limit, q.count),
                Call::Find(k) => panic!("unexpected lookup {k:?}"),
            })
            .collect();
        assert_eq!(
            pages,
            [
                (2, Some(4), Count::WithTotal),
                (6, Some(4), Count::None),
                (10, Some(1), Count::None)
            ]
        );
    });
}

#[test]
fn an_offset_the_backend_cannot_skip_is_fetched_and_dropped() {
    let rt = runtime();
    rt.block_on(async {
        let fx = Fixture::new().await;
        let bare = fx.backend("bare");
        let q = Query {
            filter: Some(eq(Field::Kind, "person")),
            sort: vec![SortKey::desc(Field::Seq)],
            offset: 3,
            limit: Some(2),
            ..Query::default()
        };
        let plan = plan::plan(&bare.cap, &q).unwrap();
        assert_eq!(plan.local, Local::Skip(3));
        let (page, explain) = plan::execute(bare, &fx.tenant, &q, 5).await.unwrap();
        assert_eq!(page, fx.expected(&q).await);
        assert_eq!(
            explain.to_string(),
            "pushed: filter(kind eq 'person'), sort(seq desc), limit 5; local: offset 3; \
             backend: bare, 1 call, 5 records fetched"
        );
        // The window counts against the scan limit.
        let e = plan::execute(bare, &fx.tenant, &q, 4).await.unwrap_err();
        assert_eq!(e.context_value("max_scan"), Some("4"));
    });
}

#[test]
fn a_backend_that_cannot_skip_is_read_only_while_one_page_holds_the_answer() {
    let rt = runtime();
    rt.block_on(async {
        let fx = Fixture::new().await;
        let mut cap = bare_cap();
        cap.max_limit = Some(5);
        let capped = Restricted::new("capped", cap, fx.embedded.clone());
        let few = Query::filtered(cmp(Field::Seq, CmpOp::Le, Value::Int(4)));
        let (page, _) = plan::execute(&capped, &fx.tenant, &few, 100).await.unwrap();
        assert_eq!(page, fx.expected(&few).await);
        let many = Query::filtered(eq(Field::Kind, "person"));
        let e = plan::execute(&capped, &fx.tenant, &many, 100)
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unsupported);
        assert_eq!(
            e.message(),
            "the backend does not support paging past its first 5 results (no offset)"
        );
        let Fetch::Query { page_size, .. } = plan::plan(&capped.cap, &many).unwrap().fetch else {
            panic!("a listing is expected")
        };
        assert_eq!(page_size, Some(5));
    });
}
