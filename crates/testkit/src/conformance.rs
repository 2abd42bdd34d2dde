//! The store conformance suite: plain `async fn(&dyn CustomerStore)` checks that every
//! store implementation must pass, and [`run_all`] running them in turn.
//!
//! The central check is that a store's answer to a query equals the answer of the
//! reference evaluator (`custgate_core::eval::run`) over the same records, for every
//! filter operator on every field, their negations, combinations, sorts and pages.
//!
//! Every check works in a tenant of its own ([`unique_tenant`]), so checks can share one
//! database and run again on a persistent one. A failing check panics with a message
//! saying what differed.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{Duration, TimeZone, Utc};
use custgate_core::eval;
use custgate_core::{
    CmpOp, Count, CreateOptions, Customer, CustomerId, CustomerStore, ErrorKind, Field, Filter,
    Idempotency, IdempotencyKey, Key, Query, SortKey, Status, TenantId, TextOp, Value, ValueType,
    Version,
};
use futures_util::future::join_all;
use rust_decimal::Decimal;

use crate::fixtures::sample_customers;

/// A tenant no other check (in this or an earlier run) uses: `t-<label>-<random>-<n>`.
pub fn unique_tenant(label: &str) -> TenantId {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    // The tail of a UUID v7 is random.
    let random = CustomerId::generate().into_string();
    let random = &random[random.len() - 12..];
    let label: String = label
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
        .take(32)
        .collect();
    TenantId::parse(&format!("t-{label}-{random}-{n}")).expect("generated tenant ids are valid")
}

/// Runs every check, in order, printing each one's name first.
pub async fn run_all(store: &dyn CustomerStore) {
    macro_rules! run {
        ($($check:ident),* $(,)?) => {$(
            eprintln!("conformance [{}]: {}", store.name(), stringify!($check));
            $check(store).await;
        )*};
    }
    run!(
        crud,
        round_trip,
        seq_and_number,
        duplicates,
        validation,
        compare_filters,
        text_filters,
        in_and_null_filters,
        multi_valued,
        search,
        logic,
        sorting,
        paging,
        totals,
        find_keys,
        versions,
        idempotency,
        tenant_isolation,
        concurrent_creates,
        concurrent_updates,
        concurrent_idempotent_creates,
    );
    eprintln!("conformance [{}]: all checks passed", store.name());
}

// ---------------------------------------------------------------------------------------
// Helpers.

fn ids(items: &[Customer]) -> Vec<&str> {
    items.iter().map(|c| c.id.as_str()).collect()
}

fn kind_of<T: std::fmt::Debug>(r: custgate_core::Result<T>) -> ErrorKind {
    match r {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => e.kind(),
    }
}

async fn create(store: &dyn CustomerStore, tenant: &TenantId, c: Customer) -> Customer {
    let id = c.id.clone();
    store
        .create(tenant, c, CreateOptions::default())
        .await
        .unwrap_or_else(|e| panic!("create {id}: {e}"))
}

/// Creates the customers in order; what the store returned.
async fn seed(
    store: &dyn CustomerStore,
    tenant: &TenantId,
    customers: Vec<Customer>,
) -> Vec<Customer> {
    let mut out = Vec::with_capacity(customers.len());
    for c in customers {
        out.push(create(store, tenant, c).await);
    }
    out
}

/// A store's tenant seeded with the sample customers, and the stored records: the data
/// set the reference evaluator runs over.
struct Fixture<'a> {
    store: &'a dyn CustomerStore,
    tenant: TenantId,
    data: Vec<Customer>,
    labels: HashMap<String, String>,
}

impl<'a> Fixture<'a> {
    async fn new(store: &'a dyn CustomerStore, label: &str) -> Fixture<'a> {
        Self::with(store, label, sample_customers()).await
    }

    async fn with(
        store: &'a dyn CustomerStore,
        label: &str,
        customers: Vec<Customer>,
    ) -> Fixture<'a> {
        let tenant = unique_tenant(label);
        let data = seed(store, &tenant, customers).await;
        let labels = data
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let name = c.display_name().unwrap_or_else(|| "-".into());
                (c.id.as_str().to_owned(), format!("#{} {name:?}", i + 1))
            })
            .collect();
        Fixture {
            store,
            tenant,
            data,
            labels,
        }
    }

    fn names(&self, items: &[Customer]) -> Vec<String> {
        items
            .iter()
            .map(|c| {
                self.labels
                    .get(c.id.as_str())
                    .cloned()
                    .unwrap_or_else(|| c.id.to_string())
            })
            .collect()
    }

    /// The store's answer against the evaluator's; a description when they differ.
    async fn diff(&self, query: &Query) -> Option<String> {
        let want = eval::run(query, &self.data);
        match self.store.query(&self.tenant, query).await {
            Err(e) => Some(format!("{}\n  store failed: {e}", describe(query))),
            Ok(got) if ids(&got.items) != ids(&want.items) || got.total != want.total => {
                Some(format!(
                    "{}\n  store:     {:?} total {:?}\n  reference: {:?} total {:?}",
                    describe(query),
                    self.names(&got.items),
                    got.total,
                    self.names(&want.items),
                    want.total
                ))
            }
            Ok(_) => None,
        }
    }

    /// Checks every query, several at a time; panics listing every difference.
    async fn check_all(&self, queries: Vec<Query>) {
        let total = queries.len();
        let mut failures = Vec::new();
        for chunk in queries.chunks(8) {
            let results = join_all(chunk.iter().map(|q| self.diff(q))).await;
            failures.extend(results.into_iter().flatten());
        }
        eprintln!(
            "  {} of {total} queries agree with the reference evaluator",
            total - failures.len()
        );
        if !failures.is_empty() {
            let shown: Vec<&String> = failures.iter().take(25).collect();
            panic!(
                "{} of {total} queries differ from the reference evaluator on store '{}':\n{}",
                failures.len(),
                self.store.name(),
                shown
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join("\n")
            );
        }
    }

    /// Checks each filter and its negation.
    async fn check_filters(&self, filters: Vec<Filter>) {
        let queries = filters
            .into_iter()
            .flat_map(|f| {
                [
                    Query::filtered(Filter::Not(Box::new(f.clone()))),
                    Query::filtered(f),
                ]
            })
            .collect();
        self.check_all(queries).await;
    }

    fn values(&self, field: Field) -> Vec<Value> {
        let mut out: Vec<Value> = Vec::new();
        for c in &self.data {
            for v in field.values(c) {
                if !out.contains(&v) {
                    out.push(v);
                }
            }
        }
        out
    }
}

fn describe(q: &Query) -> String {
    let mut s = match &q.filter {
        Some(f) => format!("filter {f}"),
        None => "no filter".to_owned(),
    };
    if !q.sort.is_empty() {
        let keys: Vec<String> = q
            .sort
            .iter()
            .map(|k| format!("{}{}", k.field, if k.descending { " desc" } else { "" }))
            .collect();
        s.push_str(&format!(", sort {}", keys.join(", ")));
    }
    if q.offset > 0 || q.limit.is_some() {
        s.push_str(&format!(", offset {} limit {:?}", q.offset, q.limit));
    }
    if q.count != Count::None {
        s.push_str(&format!(", count {:?}", q.count));
    }
    s
}

/// Up to `n` items spread evenly over `v`.
fn spread<T: Clone>(v: &[T], n: usize) -> Vec<T> {
    if v.len() <= n {
        return v.to_vec();
    }
    (0..n)
        .map(|i| v[i * (v.len() - 1) / (n - 1).max(1)].clone())
        .collect()
}

const ALL_CMP: [CmpOp; 6] = [
    CmpOp::Eq,
    CmpOp::Ne,
    CmpOp::Gt,
    CmpOp::Ge,
    CmpOp::Lt,
    CmpOp::Le,
];

fn cmp(field: Field, op: CmpOp, value: Value) -> Filter {
    Filter::Compare { field, op, value }
}

fn text(field: Field, op: TextOp, value: &str, ci: bool) -> Filter {
    Filter::Text {
        field,
        op,
        value: value.to_owned(),
        case_insensitive: ci,
    }
}

fn absent_literal(ty: ValueType) -> Value {
    match ty {
        ValueType::Text => Value::text("zz-absent"),
        ValueType::Int => Value::Int(987_654),
        ValueType::Decimal => Value::Decimal(Decimal::new(1_234_567_891, 4)),
        ValueType::Bool => Value::Bool(false),
        ValueType::DateTime => Value::DateTime(
            Utc.with_ymd_and_hms(1999, 1, 1, 0, 0, 0)
                .single()
                .expect("valid date"),
        ),
    }
}

fn chars(s: &str) -> Vec<char> {
    s.chars().collect()
}

// ---------------------------------------------------------------------------------------
// Records.

/// Create, get, update, delete and status changes follow the contract.
pub async fn crud(store: &dyn CustomerStore) {
    let tenant = unique_tenant("crud");
    let mut input = Customer::new();
    input.name.display = Some("Ada Lovelace".into());
    input.emails.push(custgate_core::Email {
        address: "ada@example.com".into(),
        ..Default::default()
    });
    input.version = Version::new(7).unwrap();
    input.seq = Some(99);
    let created = create(store, &tenant, input.clone()).await;
    assert_eq!(created.id, input.id, "create keeps the caller's id");
    assert_eq!(
        created.seq,
        Some(1),
        "the first customer of a tenant has seq 1"
    );
    assert_eq!(created.version, Version::FIRST, "create sets version 1");
    assert_eq!(
        created.number.as_deref(),
        Some("1"),
        "the first assigned number is 1"
    );
    let created_at = created.created_at.expect("create sets created_at");
    assert_eq!(
        created.updated_at,
        Some(created_at),
        "create sets both timestamps alike"
    );
    assert_eq!(created.name, input.name);
    assert_eq!(created.emails, input.emails);

    let got = store
        .get(&tenant, &created.id)
        .await
        .expect("get after create");
    assert_eq!(got, created, "get returns what create returned");

    let mut changed = got.clone();
    changed.name.display = Some("Ada King".into());
    changed.note = Some("countess".into());
    changed.seq = Some(1234);
    changed.created_at = Some(Utc::now() - Duration::days(400));
    let updated = store
        .update(&tenant, changed, None)
        .await
        .expect("update without an expected version");
    assert_eq!(updated.seq, created.seq, "update keeps seq");
    assert_eq!(
        updated.created_at, created.created_at,
        "update keeps created_at"
    );
    assert_eq!(updated.version.get(), 2, "update bumps the version");
    assert!(
        updated.updated_at >= created.updated_at,
        "update moves updated_at"
    );
    assert_eq!(updated.name.display.as_deref(), Some("Ada King"));
    assert_eq!(updated.note.as_deref(), Some("countess"));
    assert_eq!(store.get(&tenant, &created.id).await.unwrap(), updated);

    let blocked = store
        .set_status(&tenant, &created.id, Status::Blocked)
        .await
        .expect("set_status");
    assert_eq!(blocked.status, Status::Blocked);
    assert_eq!(blocked.version.get(), 3, "set_status bumps the version");
    assert_eq!(
        blocked.note, updated.note,
        "set_status changes nothing else"
    );
    assert_eq!(blocked.seq, updated.seq);
    assert_eq!(store.get(&tenant, &created.id).await.unwrap(), blocked);

    let deleted = store
        .delete(&tenant, &created.id, None)
        .await
        .expect("delete");
    assert_eq!(deleted, blocked, "delete returns the record as it was");
    assert_eq!(
        kind_of(store.get(&tenant, &created.id).await),
        ErrorKind::NotFound
    );
    assert_eq!(
        kind_of(store.delete(&tenant, &created.id, None).await),
        ErrorKind::NotFound
    );
    assert_eq!(
        kind_of(store.update(&tenant, blocked.clone(), None).await),
        ErrorKind::NotFound
    );
    assert_eq!(
        kind_of(store.set_status(&tenant, &created.id, Status::Active).await),
        ErrorKind::NotFound
    );
    let everything = Query {
        count: Count::WithTotal,
        ..Query::default()
    };
    let page = store.query(&tenant, &everything).await.unwrap();
    assert!(
        page.items.is_empty(),
        "a deleted customer is gone from queries"
    );
    assert_eq!(page.total, Some(0), "and from totals");

    // The id can be used again after a delete; seq never is.
    let again = create(store, &tenant, input).await;
    assert_eq!(again.seq, Some(2), "seq is never reused");
    let page = store.query(&tenant, &everything).await.unwrap();
    assert_eq!((page.items.len(), page.total), (1, Some(1)));
    store.health().await.expect("health");
}

/// Every sample customer reads back exactly as created.
pub async fn round_trip(store: &dyn CustomerStore) {
    let inputs = sample_customers();
    let fx = Fixture::with(store, "roundtrip", inputs.clone()).await;
    for (input, stored) in inputs.iter().zip(&fx.data) {
        let mut expected = input.clone();
        expected.seq = stored.seq;
        expected.version = stored.version;
        expected.created_at = stored.created_at;
        expected.updated_at = stored.updated_at;
        if expected.number.is_none() {
            expected.number = stored.number.clone();
        }
        assert_eq!(stored, &expected, "create returns the record as given");
        let got = store.get(&fx.tenant, &stored.id).await.unwrap();
        assert_eq!(&got, stored, "get returns the record as created");
    }
    let all = store.query(&fx.tenant, &Query::default()).await.unwrap();
    assert_eq!(
        all.items, fx.data,
        "a query returns whole records, in seq order"
    );
    assert_eq!(all.total, None);
}

/// `seq` counts 1, 2, 3… per tenant, without gaps after failed creates; absent numbers
/// are the next free integer.
pub async fn seq_and_number(store: &dyn CustomerStore) {
    let tenant = unique_tenant("seq");
    let other = unique_tenant("seq_other");
    let a = create(store, &tenant, Customer::new()).await;
    assert_eq!((a.seq, a.number.as_deref()), (Some(1), Some("1")));
    let mut b = Customer::new();
    b.number = Some("1001".into());
    let b = create(store, &tenant, b).await;
    assert_eq!((b.seq, b.number.as_deref()), (Some(2), Some("1001")));
    let mut c = Customer::new();
    c.number = Some("X-5000".into());
    let c = create(store, &tenant, c).await;
    assert_eq!(c.seq, Some(3));
    let d = create(store, &tenant, Customer::new()).await;
    assert_eq!(
        (d.seq, d.number.as_deref()),
        (Some(4), Some("1002")),
        "numbers that are not all digits do not count"
    );
    // A failed create takes no seq.
    let mut dup = Customer::new();
    dup.number = Some("1001".into());
    assert_eq!(
        kind_of(store.create(&tenant, dup, CreateOptions::default()).await),
        ErrorKind::AlreadyExists
    );
    let e = create(store, &tenant, Customer::new()).await;
    assert_eq!((e.seq, e.number.as_deref()), (Some(5), Some("1003")));
    // Deleting the newest does not give its seq back.
    store.delete(&tenant, &e.id, None).await.unwrap();
    let f = create(store, &tenant, Customer::new()).await;
    assert_eq!(f.seq, Some(6));
    // Each tenant counts on its own.
    let g = create(store, &other, Customer::new()).await;
    assert_eq!((g.seq, g.number.as_deref()), (Some(1), Some("1")));
    // Only numbers of ASCII digits that fit an i64 count (`Customer::number_value`).
    for number in ["+7000", "99999999999999999999"] {
        let mut c = Customer::new();
        c.number = Some(number.into());
        create(store, &other, c).await;
    }
    let next = create(store, &other, Customer::new()).await;
    assert_eq!(
        next.number.as_deref(),
        Some("2"),
        "a sign or an overflowing number does not count"
    );
    let mut last = Customer::new();
    last.number = Some(i64::MAX.to_string());
    create(store, &other, last).await;
    assert_eq!(
        kind_of(
            store
                .create(&other, Customer::new(), CreateOptions::default())
                .await
        ),
        ErrorKind::Unexpected,
        "no number after the largest"
    );
    // An update may change the number, and assigned numbers follow it.
    let mut moved = a.clone();
    moved.number = Some("5000".into());
    store.update(&tenant, moved, None).await.unwrap();
    let h = create(store, &tenant, Customer::new()).await;
    assert_eq!(h.number.as_deref(), Some("5001"));
}

/// Ids and numbers are unique per tenant.
pub async fn duplicates(store: &dyn CustomerStore) {
    let tenant = unique_tenant("dup");
    let mut a = Customer::new();
    a.number = Some("A-1".into());
    let a = create(store, &tenant, a).await;
    let b = create(store, &tenant, Customer::new()).await;

    let mut same_id = Customer::new();
    same_id.id = a.id.clone();
    let e = store
        .create(&tenant, same_id, CreateOptions::default())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists, "duplicate id: {e}");

    let mut same_number = Customer::new();
    same_number.number = Some("A-1".into());
    let e = store
        .create(&tenant, same_number, CreateOptions::default())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists, "duplicate number: {e}");

    let mut taken = b.clone();
    taken.number = Some("A-1".into());
    let e = store.update(&tenant, taken, None).await.unwrap_err();
    assert_eq!(
        e.kind(),
        ErrorKind::AlreadyExists,
        "update to a taken number: {e}"
    );
    // Keeping one's own number is fine.
    store.update(&tenant, a.clone(), None).await.unwrap();

    let page = store
        .query(
            &tenant,
            &Query {
                count: Count::Only,
                ..Query::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(page.total, Some(2), "failed creates left nothing behind");
    assert_eq!(store.get(&tenant, &b.id).await.unwrap().number, b.number);
}

/// Records that break the model's invariants are refused before anything is written.
pub async fn validation(store: &dyn CustomerStore) {
    let tenant = unique_tenant("validation");
    let mut bad = Customer::new();
    bad.emails.push(custgate_core::Email::default());
    assert_eq!(
        kind_of(
            store
                .create(&tenant, bad.clone(), CreateOptions::default())
                .await
        ),
        ErrorKind::Validation
    );
    let ok = create(store, &tenant, Customer::new()).await;
    let mut bad_update = ok.clone();
    bad_update.number = Some(" ".into());
    assert_eq!(
        kind_of(store.update(&tenant, bad_update, None).await),
        ErrorKind::Validation
    );
    let multi_sort = Query {
        sort: vec![SortKey::asc(Field::Email)],
        ..Query::default()
    };
    assert_eq!(
        kind_of(store.query(&tenant, &multi_sort).await),
        ErrorKind::Validation
    );
    assert_eq!(ok.seq, Some(1), "the refused create took no seq");
}

// ---------------------------------------------------------------------------------------
// Filters: the store against the reference evaluator.

/// `eq ne gt ge lt le` on every field, with values present, absent, of a wider type, not
/// comparable at all, and date-times finer than a microsecond; each also negated.
pub async fn compare_filters(store: &dyn CustomerStore) {
    let fx = Fixture::new(store, "compare").await;
    let mut filters = Vec::new();
    for field in Field::ALL.iter().copied() {
        let ty = field.value_type();
        let present = fx.values(field);
        let mut literals = spread(&present, 4);
        literals.push(absent_literal(ty));
        match ty {
            ValueType::Text => {
                if let Some(Value::Text(s)) = present.first() {
                    literals.push(Value::text(s.to_uppercase()));
                    literals.push(Value::text(s.to_lowercase()));
                }
                literals.push(Value::text(""));
            }
            ValueType::Int => {
                literals.push(Value::Decimal(Decimal::new(25, 1)));
                literals.push(Value::Decimal(Decimal::new(30, 1)));
            }
            ValueType::Decimal => {
                literals.push(Value::Int(1000));
                literals.push(Value::Int(5));
                literals.push(Value::Decimal(Decimal::new(-15, 1)));
            }
            ValueType::DateTime => {
                if let Some(Value::DateTime(t)) = present.first() {
                    literals.push(Value::DateTime(*t + Duration::microseconds(1)));
                    literals.push(Value::DateTime(*t - Duration::microseconds(1)));
                    literals.push(Value::DateTime(*t + Duration::nanoseconds(500)));
                    literals.push(Value::DateTime(*t - Duration::nanoseconds(1)));
                }
            }
            ValueType::Bool => literals.push(Value::Bool(true)),
        }
        // Literals that compare with nothing.
        literals.push(Value::Null);
        literals.push(match ty {
            ValueType::Text => Value::Int(1001),
            _ => Value::text("1001"),
        });
        for lit in literals {
            for op in ALL_CMP {
                filters.push(cmp(field, op, lit.clone()));
            }
        }
    }
    fx.check_filters(filters).await;
}

/// `contains`, `starts_with`, `ends_with` and `like`, case-sensitive and not, on every
/// text field, including non-ASCII case folding and pattern special characters.
pub async fn text_filters(store: &dyn CustomerStore) {
    let fx = Fixture::new(store, "text").await;
    let mut filters = Vec::new();
    for field in Field::ALL.iter().copied() {
        if field.value_type() != ValueType::Text {
            // The evaluator never matches text on other types; neither may a store.
            filters.push(text(field, TextOp::Contains, "1", false));
            continue;
        }
        let present = fx.values(field);
        for v in spread(&present, 3) {
            let Value::Text(s) = v else { continue };
            let cs = chars(&s);
            let n = cs.len();
            let prefix: String = cs.iter().take(2.min(n)).collect();
            let suffix: String = cs.iter().skip(n.saturating_sub(2)).collect();
            let middle: String = cs.iter().skip(n / 3).take((n / 3).max(1)).collect();
            for (op, needle) in [
                (TextOp::Contains, middle.clone()),
                (TextOp::StartsWith, prefix.clone()),
                (TextOp::EndsWith, suffix.clone()),
                (TextOp::Contains, s.clone()),
            ] {
                for ci in [false, true] {
                    filters.push(text(field, op, &needle, ci));
                    filters.push(text(field, op, &needle.to_uppercase(), ci));
                }
            }
            let first: String = cs.iter().take(1).collect();
            let rest: String = cs.iter().skip(1).collect();
            for pattern in [
                format!("{first}%"),
                format!("%{suffix}"),
                format!("_{rest}"),
                format!("%{middle}%"),
                s.clone(),
                s.to_uppercase(),
            ] {
                filters.push(text(field, TextOp::Like, &pattern, false));
                filters.push(text(field, TextOp::Like, &pattern, true));
            }
        }
        for op in [
            TextOp::Contains,
            TextOp::StartsWith,
            TextOp::EndsWith,
            TextOp::Like,
        ] {
            filters.push(text(field, op, "", false));
            filters.push(text(field, op, "zz-absent", true));
        }
        filters.push(text(field, TextOp::Like, "%", false));
        filters.push(text(field, TextOp::Like, "_", false));
    }
    // Hand-picked: case folding beyond ASCII, and escaping.
    let name = Field::DisplayName;
    for (op, needle) in [
        (TextOp::Contains, "émile"),
        (TextOp::Contains, "Émile"),
        (TextOp::Contains, "ÉMILE"),
        (TextOp::StartsWith, "émile z"),
        (TextOp::Contains, "ölaf"),
        (TextOp::Contains, "100%"),
        (TextOp::Contains, "0% P"),
        (TextOp::Contains, "_"),
        (TextOp::Contains, "%"),
        (TextOp::Contains, "*"),
        (TextOp::Contains, "?"),
        (TextOp::Contains, "[ltd]"),
        (TextOp::EndsWith, "*?"),
        (TextOp::Like, "100% Pure_Water%"),
        (TextOp::Like, "%[Ltd]%"),
        (TextOp::Like, "%*?"),
        (TextOp::Like, "b_b"),
        (TextOp::Like, "___"),
        (TextOp::Like, "%o%o%"),
        (TextOp::Like, "É%"),
        (TextOp::Like, "é%"),
    ] {
        for ci in [false, true] {
            filters.push(text(name, op, needle, ci));
        }
    }
    for (field, op, needle) in [
        (Field::Note, TextOp::Contains, "\\"),
        (Field::Note, TextOp::Contains, "back\\slash"),
        (Field::Note, TextOp::Like, "back\\%"),
        (Field::Note, TextOp::Like, "%\\ 50%"),
        (Field::Note, TextOp::Contains, "STRASSE"),
        (Field::Note, TextOp::Contains, "straße"),
        (Field::Note, TextOp::StartsWith, "écrivain"),
        (Field::ExternalId, TextOp::Like, "a_b%c"),
        (Field::ExternalId, TextOp::Like, "a\\_b%"),
        (Field::ExternalId, TextOp::Contains, "_b%"),
        (Field::ReferenceNo, TextOp::Contains, "*"),
        (Field::ReferenceNo, TextOp::Like, "*%*"),
        (Field::City, TextOp::StartsWith, "i̇st"),
        (Field::City, TextOp::StartsWith, "İst"),
        (Field::City, TextOp::Like, "_stanbul"),
        (Field::City, TextOp::Like, "__stanbul"),
        (Field::Vat, TextOp::Contains, "i̇"),
    ] {
        for ci in [false, true] {
            filters.push(text(field, op, needle, ci));
        }
    }
    fx.check_filters(filters).await;
}

/// `in` (with present, absent, duplicate, wider and incomparable values, and empty) and
/// `is null` on every field.
pub async fn in_and_null_filters(store: &dyn CustomerStore) {
    let fx = Fixture::new(store, "in").await;
    let mut filters = Vec::new();
    for field in Field::ALL.iter().copied() {
        let ty = field.value_type();
        let present = fx.values(field);
        let some = spread(&present, 3);
        filters.push(Filter::IsNull { field });
        filters.push(Filter::In {
            field,
            values: Vec::new(),
        });
        filters.push(Filter::In {
            field,
            values: some.clone(),
        });
        filters.push(Filter::In {
            field,
            values: vec![absent_literal(ty)],
        });
        if let Some(first) = present.first() {
            filters.push(Filter::In {
                field,
                values: vec![
                    first.clone(),
                    absent_literal(ty),
                    first.clone(),
                    Value::Null,
                ],
            });
        }
        let odd = match ty {
            ValueType::Text => Value::Int(1001),
            ValueType::Int => Value::Decimal(Decimal::new(20, 1)),
            ValueType::Decimal => Value::Int(1000),
            _ => Value::text("x"),
        };
        filters.push(Filter::In {
            field,
            values: vec![odd],
        });
    }
    fx.check_filters(filters).await;
}

/// Multi-valued fields: a test is true when any value passes; `ne` when none equals.
pub async fn multi_valued(store: &dyn CustomerStore) {
    let fx = Fixture::new(store, "multi").await;
    let t = Value::text;
    let filters = vec![
        cmp(Field::Email, CmpOp::Eq, t("sales@acme.com")),
        cmp(Field::Email, CmpOp::Ne, t("sales@acme.com")),
        cmp(Field::Email, CmpOp::Ne, t("info@acme.com")),
        cmp(Field::Email, CmpOp::Gt, t("m")),
        cmp(Field::Email, CmpOp::Lt, t("j")),
        cmp(Field::DefaultEmail, CmpOp::Eq, t("sales@acme.com")),
        cmp(Field::DefaultEmail, CmpOp::Eq, t("info@acme.com")),
        text(Field::Email, TextOp::EndsWith, "@acme.com", false),
        text(Field::Email, TextOp::Contains, "example", true),
        text(Field::Email, TextOp::Contains, "EXAMPLE", false),
        cmp(Field::Mobile, CmpOp::Eq, t("+15550001")),
        cmp(Field::Mobile, CmpOp::Eq, t("+4722000000")),
        cmp(Field::Phone, CmpOp::Eq, t("+4722000000")),
        cmp(Field::DefaultPhone, CmpOp::Eq, t("+15550002")),
        text(Field::Mobile, TextOp::StartsWith, "+1555", false),
        cmp(Field::Identification, CmpOp::Eq, t("X1234567")),
        cmp(Field::IdentificationScheme, CmpOp::Eq, t("ORG")),
        cmp(Field::IdentificationScheme, CmpOp::Ne, t("NAT")),
        cmp(Field::OrgNumber, CmpOp::Eq, t("999888777")),
        cmp(Field::City, CmpOp::Eq, t("Oslo")),
        cmp(Field::City, CmpOp::Ne, t("Oslo")),
        text(Field::City, TextOp::Contains, "OSLO", true),
        cmp(Field::PostalCode, CmpOp::Ge, t("5")),
        cmp(Field::CountryCode, CmpOp::Eq, t("NO")),
        cmp(Field::CardSerial, CmpOp::Eq, t("card-0003")),
        text(Field::CardSerial, TextOp::StartsWith, "card", true),
        Filter::IsNull {
            field: Field::Email,
        },
        Filter::IsNull { field: Field::City },
        Filter::In {
            field: Field::City,
            values: vec![t("Bergen"), t("Paris")],
        },
        Filter::And(vec![
            cmp(Field::Email, CmpOp::Eq, t("info@acme.com")),
            cmp(Field::Email, CmpOp::Eq, t("sales@acme.com")),
        ]),
    ];
    fx.check_filters(filters).await;
}

/// Free-text search: case-insensitive contains over the search fields.
pub async fn search(store: &dyn CustomerStore) {
    let fx = Fixture::new(store, "search").await;
    let filters = [
        "zola",
        "ZOLA",
        "émile",
        "ÉMILE",
        "Emile",
        "acme",
        "doe",
        "vip",
        "",
        "%",
        "_",
        "*",
        "\\",
        "builder",
        "i̇",
        "straße",
        "300000",
        "tin-1",
        "no999",
        "nothing-like-this",
    ]
    .into_iter()
    .map(|s| Filter::Search(s.to_owned()))
    .collect();
    fx.check_filters(filters).await;
}

/// `and`, `or` and `not`, nested, empty, and pushed down over absent values.
pub async fn logic(store: &dyn CustomerStore) {
    let fx = Fixture::new(store, "logic").await;
    let leaves = vec![
        cmp(Field::DiscountRate, CmpOp::Gt, Value::Int(5)),
        cmp(Field::Status, CmpOp::Eq, Value::text("active")),
        cmp(Field::Email, CmpOp::Ne, Value::text("info@acme.com")),
        text(Field::DisplayName, TextOp::Contains, "o", true),
        Filter::IsNull { field: Field::Note },
        Filter::In {
            field: Field::City,
            values: vec![Value::text("Oslo"), Value::text("paris")],
        },
        cmp(Field::Taxable, CmpOp::Eq, Value::Bool(true)),
        cmp(Field::CreditLimit, CmpOp::Le, Value::Int(1000)),
        Filter::Search("zola".into()),
        cmp(Field::Seq, CmpOp::Ge, Value::Int(7)),
    ];
    let mut filters = vec![
        Filter::And(Vec::new()),
        Filter::Or(Vec::new()),
        Filter::Not(Box::new(Filter::Not(Box::new(leaves[0].clone())))),
        Filter::And(vec![Filter::Or(Vec::new()), leaves[1].clone()]),
        Filter::Or(vec![Filter::And(Vec::new()), leaves[1].clone()]),
    ];
    // Every pair under and / or, and a deterministic mix of deeper trees.
    for a in &leaves {
        for b in &leaves {
            filters.push(Filter::And(vec![a.clone(), b.clone()]));
            filters.push(Filter::Or(vec![
                a.clone(),
                Filter::Not(Box::new(b.clone())),
            ]));
        }
    }
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    for _ in 0..60 {
        let mut tree = leaves[next(leaves.len())].clone();
        for _ in 0..4 {
            let other = leaves[next(leaves.len())].clone();
            tree = match next(4) {
                0 => Filter::And(vec![tree, other]),
                1 => Filter::Or(vec![tree, other]),
                2 => Filter::Not(Box::new(Filter::Or(vec![tree, other]))),
                _ => Filter::Not(Box::new(Filter::And(vec![
                    Filter::Not(Box::new(tree)),
                    other,
                ]))),
            };
        }
        filters.push(tree);
    }
    fx.check_filters(filters).await;
}

// ---------------------------------------------------------------------------------------
// Sorting, paging, totals.

/// Every sortable field ascending and descending (text by lowercase, then byte-wise;
/// absent values first ascending, last descending), and several keys at once.
pub async fn sorting(store: &dyn CustomerStore) {
    let fx = Fixture::new(store, "sort").await;
    let mut queries = Vec::new();
    for field in Field::ALL.iter().copied().filter(|f| !f.is_multi()) {
        for key in [SortKey::asc(field), SortKey::desc(field)] {
            queries.push(Query {
                sort: vec![key],
                ..Query::default()
            });
        }
    }
    for keys in [
        vec![
            SortKey::asc(Field::Status),
            SortKey::desc(Field::DisplayName),
        ],
        vec![
            SortKey::asc(Field::CreditLimit),
            SortKey::desc(Field::PaymentTerms),
            SortKey::asc(Field::Territory),
        ],
        vec![
            SortKey::desc(Field::Taxable),
            SortKey::asc(Field::DiscountRate),
        ],
        vec![
            SortKey::asc(Field::LastName),
            SortKey::asc(Field::DisplayName),
        ],
        vec![SortKey::desc(Field::Kind), SortKey::desc(Field::Note)],
        vec![
            SortKey::asc(Field::ActivationTime),
            SortKey::desc(Field::Seq),
        ],
    ] {
        queries.push(Query {
            sort: keys.clone(),
            ..Query::default()
        });
        queries.push(Query {
            filter: Some(cmp(Field::Status, CmpOp::Ne, Value::text("blocked"))),
            sort: keys,
            offset: 1,
            limit: Some(6),
            count: Count::WithTotal,
        });
    }
    fx.check_all(queries).await;
}

/// `offset` and `limit`, past the end and zero included, under several sorts.
pub async fn paging(store: &dyn CustomerStore) {
    let fx = Fixture::new(store, "paging").await;
    let n = fx.data.len() as u64;
    let mut queries = Vec::new();
    for sort in [
        vec![],
        vec![SortKey::desc(Field::DisplayName)],
        vec![SortKey::asc(Field::CreditLimit)],
    ] {
        for offset in (0..=n + 1).step_by(2).chain([u64::MAX]) {
            for limit in [None, Some(0), Some(1), Some(5), Some(u32::MAX)] {
                queries.push(Query {
                    sort: sort.clone(),
                    offset,
                    limit,
                    ..Query::default()
                });
            }
        }
    }
    fx.check_all(queries).await;

    // Walking the pages visits every record once, in order.
    let sort = vec![SortKey::asc(Field::DisplayName)];
    let mut seen = Vec::new();
    let mut offset = 0;
    loop {
        let page = store
            .query(
                &fx.tenant,
                &Query {
                    sort: sort.clone(),
                    offset,
                    limit: Some(4),
                    ..Query::default()
                },
            )
            .await
            .unwrap();
        if page.items.is_empty() {
            break;
        }
        offset += page.items.len() as u64;
        seen.extend(page.items.into_iter().map(|c| c.id));
    }
    let all = eval::run(
        &Query {
            sort,
            ..Query::default()
        },
        &fx.data,
    );
    assert_eq!(
        seen,
        all.items.into_iter().map(|c| c.id).collect::<Vec<_>>()
    );
}

/// `Count::WithTotal` counts before paging; `Count::Only` returns no items.
pub async fn totals(store: &dyn CustomerStore) {
    let fx = Fixture::new(store, "totals").await;
    let filters = [
        None,
        Some(cmp(Field::Status, CmpOp::Eq, Value::text("active"))),
        Some(Filter::Search("acme".into())),
        Some(Filter::Or(Vec::new())),
    ];
    let mut queries = Vec::new();
    for filter in filters {
        for count in [Count::None, Count::WithTotal, Count::Only] {
            for (offset, limit) in [(0, None), (2, Some(3)), (100, Some(10))] {
                queries.push(Query {
                    filter: filter.clone(),
                    sort: vec![SortKey::desc(Field::Seq)],
                    offset,
                    limit,
                    count,
                });
            }
        }
    }
    fx.check_all(queries).await;
    let only = store
        .query(
            &fx.tenant,
            &Query {
                count: Count::Only,
                ..Query::default()
            },
        )
        .await
        .unwrap();
    assert!(only.items.is_empty(), "Count::Only returns no items");
    assert_eq!(only.total, Some(fx.data.len() as u64));
}

/// `find` by every key, exact, in seq order.
pub async fn find_keys(store: &dyn CustomerStore) {
    let fx = Fixture::new(store, "find").await;
    let keys = [
        Key::Name("John Doe".into()),
        Key::Name("  John Doe ".into()),
        Key::Name("john doe".into()),
        Key::Name("Acme Corp".into()),
        Key::Number("1001".into()),
        Key::Number(" 0042 ".into()),
        Key::Number("42".into()),
        Key::ExternalId("ext-001".into()),
        Key::ReferenceNo("REF-1".into()),
        Key::Email("sales@acme.com".into()),
        Key::Email("SALES@acme.com".into()),
        Key::Mobile("+15550002".into()),
        Key::Mobile("+4722000000".into()),
        Key::Identification("X1234567".into()),
        Key::Seq(3),
        Key::Seq(1000),
    ];
    for key in keys {
        let got = store.find(&fx.tenant, &key).await.unwrap();
        let want = eval::run(&Query::filtered(key.to_filter()), &fx.data);
        assert_eq!(ids(&got), ids(&want.items), "find {key:?}");
    }
    let acme = custgate_core::find_one(store, &fx.tenant, &Key::Email("info@acme.com".into()))
        .await
        .unwrap();
    assert_eq!(acme.name.company.as_deref(), Some("Acme Corp"));
    assert_eq!(
        custgate_core::find_one(store, &fx.tenant, &Key::Email("nobody@x".into()))
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );
}

// ---------------------------------------------------------------------------------------
// Versions and idempotency.

/// Writes with an expected version fail with `VersionMismatch` naming the stored one.
pub async fn versions(store: &dyn CustomerStore) {
    let tenant = unique_tenant("versions");
    let v1 = create(store, &tenant, Customer::new()).await;
    let first = Version::FIRST;
    let v2 = store
        .update(&tenant, v1.clone(), Some(first))
        .await
        .expect("update with the right version");
    assert_eq!(v2.version.get(), 2);

    let stale = store
        .update(&tenant, v1.clone(), Some(first))
        .await
        .unwrap_err();
    assert_eq!(stale.kind(), ErrorKind::VersionMismatch, "{stale}");
    assert_eq!(stale.context_value("stored_version"), Some("2"));
    let stale = store
        .delete(&tenant, &v1.id, Some(first))
        .await
        .unwrap_err();
    assert_eq!(stale.kind(), ErrorKind::VersionMismatch, "{stale}");
    assert_eq!(stale.context_value("stored_version"), Some("2"));
    let future = Version::new(9).unwrap();
    let e = store
        .update(&tenant, v1.clone(), Some(future))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::VersionMismatch);

    // Nothing changed by the refused writes.
    assert_eq!(store.get(&tenant, &v1.id).await.unwrap(), v2);

    let v3 = store
        .set_status(&tenant, &v1.id, Status::Inactive)
        .await
        .unwrap();
    assert_eq!(v3.version.get(), 3);
    let v4 = store.update(&tenant, v3.clone(), None).await.unwrap();
    assert_eq!(v4.version.get(), 4, "no expected version: last writer wins");
    let e = store
        .update(&tenant, v4.clone(), Some(v3.version))
        .await
        .unwrap_err();
    assert_eq!(e.context_value("stored_version"), Some("4"));
    let gone = store
        .delete(&tenant, &v1.id, Some(v4.version))
        .await
        .expect("delete with the right version");
    assert_eq!(gone.version, v4.version);
    assert_eq!(
        kind_of(
            store
                .update(&tenant, v4, Some(Version::new(4).unwrap()))
                .await
        ),
        ErrorKind::NotFound
    );
}

fn idem(key: &str, fingerprint: &str) -> CreateOptions {
    CreateOptions {
        idempotency: Some(Idempotency {
            key: IdempotencyKey::parse(key).expect("valid key"),
            fingerprint: fingerprint.to_owned(),
        }),
    }
}

async fn count(store: &dyn CustomerStore, tenant: &TenantId) -> u64 {
    store
        .query(
            tenant,
            &Query {
                count: Count::Only,
                ..Query::default()
            },
        )
        .await
        .unwrap()
        .total
        .expect("Count::Only gives a total")
}

/// A replay returns the first answer; another request with the key is refused; keys are
/// per tenant; a failed create does not use its key up.
pub async fn idempotency(store: &dyn CustomerStore) {
    let tenant = unique_tenant("idem");
    let other = unique_tenant("idem_other");
    let mut body = Customer::new();
    body.name.display = Some("First".into());
    let first = store
        .create(&tenant, body.clone(), idem("key-1", "fp-a"))
        .await
        .expect("first idempotent create");

    // The replay answers as the first time, whatever it carries, and creates nothing.
    let mut replay = Customer::new();
    replay.name.display = Some("Second".into());
    let again = store
        .create(&tenant, replay, idem("key-1", "fp-a"))
        .await
        .expect("replay");
    assert_eq!(again, first, "a replay returns the first answer");
    assert_eq!(count(store, &tenant).await, 1);

    // The answer stays the first one after the record changes.
    let mut changed = first.clone();
    changed.note = Some("changed".into());
    store.update(&tenant, changed, None).await.unwrap();
    let later = store
        .create(&tenant, body.clone(), idem("key-1", "fp-a"))
        .await
        .unwrap();
    assert_eq!(later, first);

    let e = store
        .create(&tenant, body.clone(), idem("key-1", "fp-b"))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::IdempotencyMismatch, "{e}");
    assert_eq!(count(store, &tenant).await, 1);

    // Another tenant's key of the same name is another key.
    let theirs = store
        .create(&other, Customer::new(), idem("key-1", "fp-b"))
        .await
        .expect("the same key in another tenant");
    assert_eq!(theirs.seq, Some(1));

    // A failed create leaves the key unused.
    let mut clash = Customer::new();
    clash.id = first.id.clone();
    let e = store
        .create(&tenant, clash, idem("key-2", "fp-c"))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists, "{e}");
    let fixed = store
        .create(&tenant, Customer::new(), idem("key-2", "fp-d"))
        .await
        .expect("the key of a failed create is free again");
    assert_eq!(fixed.seq, Some(2));
    let replayed = store
        .create(&tenant, Customer::new(), idem("key-2", "fp-d"))
        .await
        .unwrap();
    assert_eq!(replayed, fixed);
    assert_eq!(count(store, &tenant).await, 2);
}

// ---------------------------------------------------------------------------------------
// Tenants and concurrency.

/// A record of one tenant is invisible and untouchable from another, on every call.
pub async fn tenant_isolation(store: &dyn CustomerStore) {
    let a = unique_tenant("iso_a");
    let b = unique_tenant("iso_b");
    let mut input = Customer::new();
    input.name.display = Some("Only In A".into());
    input.number = Some("777".into());
    input.emails.push(custgate_core::Email {
        address: "only@a.example".into(),
        ..Default::default()
    });
    let mine = create(store, &a, input.clone()).await;

    assert_eq!(kind_of(store.get(&b, &mine.id).await), ErrorKind::NotFound);
    assert_eq!(
        kind_of(store.update(&b, mine.clone(), None).await),
        ErrorKind::NotFound
    );
    assert_eq!(
        kind_of(store.update(&b, mine.clone(), Some(mine.version)).await),
        ErrorKind::NotFound
    );
    assert_eq!(
        kind_of(store.delete(&b, &mine.id, None).await),
        ErrorKind::NotFound
    );
    assert_eq!(
        kind_of(store.set_status(&b, &mine.id, Status::Blocked).await),
        ErrorKind::NotFound
    );
    let everything = Query {
        count: Count::WithTotal,
        ..Query::default()
    };
    let page = store.query(&b, &everything).await.unwrap();
    assert!(page.items.is_empty());
    assert_eq!(page.total, Some(0));
    for key in [
        Key::Name("Only In A".into()),
        Key::Number("777".into()),
        Key::Email("only@a.example".into()),
        Key::Seq(1),
    ] {
        assert!(store.find(&b, &key).await.unwrap().is_empty(), "{key:?}");
    }
    let search = Query::filtered(Filter::Search("only in".into()));
    assert!(store.query(&b, &search).await.unwrap().items.is_empty());

    // The same id and number are free in the other tenant, with its own seq.
    let theirs = create(store, &b, input).await;
    assert_eq!(theirs.id, mine.id);
    assert_eq!(theirs.seq, Some(1));
    store.delete(&b, &theirs.id, None).await.unwrap();
    assert_eq!(
        store.get(&a, &mine.id).await.unwrap(),
        mine,
        "A's record is untouched"
    );
    assert_eq!(store.query(&a, &everything).await.unwrap().total, Some(1));
}

/// Concurrent creates get distinct seqs and numbers, 1 to n; of concurrent creates with
/// one number exactly one wins.
pub async fn concurrent_creates(store: &dyn CustomerStore) {
    const N: usize = 20;
    let tenant = unique_tenant("conc_create");
    let results =
        join_all((0..N).map(|_| store.create(&tenant, Customer::new(), CreateOptions::default())))
            .await;
    let created: Vec<Customer> = results
        .into_iter()
        .map(|r| r.expect("concurrent create"))
        .collect();
    let seqs: BTreeSet<i64> = created.iter().filter_map(|c| c.seq).collect();
    assert_eq!(seqs, (1..=N as i64).collect(), "distinct seqs 1..={N}");
    let numbers: BTreeSet<String> = created.iter().filter_map(|c| c.number.clone()).collect();
    assert_eq!(
        numbers,
        (1..=N).map(|n| n.to_string()).collect(),
        "distinct numbers 1..={N}"
    );
    assert_eq!(count(store, &tenant).await, N as u64);

    let results = join_all((0..8).map(|_| {
        let mut c = Customer::new();
        c.number = Some("SAME".into());
        store.create(&tenant, c, CreateOptions::default())
    }))
    .await;
    let won = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(won, 1, "exactly one create with a number wins");
    for r in results.into_iter().filter_map(|r| r.err()) {
        assert_eq!(r.kind(), ErrorKind::AlreadyExists, "{r}");
    }
}

/// Of concurrent updates expecting the same version exactly one wins.
pub async fn concurrent_updates(store: &dyn CustomerStore) {
    const N: usize = 10;
    let tenant = unique_tenant("conc_update");
    let base = create(store, &tenant, Customer::new()).await;
    let results = join_all((0..N).map(|i| {
        let mut c = base.clone();
        c.note = Some(format!("writer {i}"));
        store.update(&tenant, c, Some(base.version))
    }))
    .await;
    let mut winners = Vec::new();
    for r in results {
        match r {
            Ok(c) => winners.push(c),
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::VersionMismatch, "{e}");
                assert_eq!(e.context_value("stored_version"), Some("2"));
            }
        }
    }
    assert_eq!(winners.len(), 1, "exactly one update wins");
    let stored = store.get(&tenant, &base.id).await.unwrap();
    assert_eq!(stored, winners[0]);
    assert_eq!(stored.version.get(), 2);
}

/// Concurrent creates with one idempotency key create one record; every other request
/// gets its answer or `Conflict` while it is in flight.
pub async fn concurrent_idempotent_creates(store: &dyn CustomerStore) {
    const N: usize = 10;
    let tenant = unique_tenant("conc_idem");
    let results =
        join_all((0..N).map(|_| store.create(&tenant, Customer::new(), idem("same-key", "fp"))))
            .await;
    let mut answers = Vec::new();
    for r in results {
        match r {
            Ok(c) => answers.push(c),
            Err(e) => assert_eq!(e.kind(), ErrorKind::Conflict, "{e}"),
        }
    }
    assert!(!answers.is_empty(), "at least the first request succeeds");
    assert!(
        answers.iter().all(|c| *c == answers[0]),
        "every success is the same answer"
    );
    assert_eq!(count(store, &tenant).await, 1, "exactly one record");
    let replay = store
        .create(&tenant, Customer::new(), idem("same-key", "fp"))
        .await
        .expect("replay after the race");
    assert_eq!(replay, answers[0]);
}
