//! `GatewayStore` over an in-memory "upstream": aliases, lookups by alias, planning, and
//! translation losses (reported, or refused in strict mode).

use std::sync::Arc;

use custgate_core::{
    report, CmpOp, CreateOptions, Customer, CustomerId, CustomerStore, Error, ErrorKind, Field,
    Filter, Idempotency, IdempotencyKey, Key, MemoryStore, Query, TenantId, Value,
};
use custgate_gateway::{
    Carry, GatewayParts, GatewayStore, KeyTable, MemoryAliases, MemoryKeys, UpstreamDialect,
};
use custgate_store::KeyClaim;
use custgate_upstream::{Upstream, UpstreamConfig};

fn tenant() -> TenantId {
    TenantId::parse("demo").unwrap()
}

/// An upstream that cannot hold middle names.
fn no_middle(c: &Customer) -> Customer {
    let mut kept = c.clone();
    kept.name.middle = None;
    kept
}

fn gateway(dialect: UpstreamDialect, strict: bool) -> (GatewayStore, Arc<MemoryStore>) {
    gateway_keeping_keys(dialect, strict, Arc::new(MemoryKeys::default()))
}

fn gateway_keeping_keys(
    dialect: UpstreamDialect,
    strict: bool,
    keys: Arc<dyn KeyTable>,
) -> (GatewayStore, Arc<MemoryStore>) {
    gateway_with(dialect, strict, keys, no_middle)
}

fn gateway_with(
    dialect: UpstreamDialect,
    strict: bool,
    keys: Arc<dyn KeyTable>,
    carry: Carry,
) -> (GatewayStore, Arc<MemoryStore>) {
    let inner = Arc::new(MemoryStore::new());
    let handle = Upstream::new(
        dialect.as_str(),
        UpstreamConfig::with_base_url("http://127.0.0.1:9/"),
    )
    .unwrap();
    let g = GatewayStore::new(GatewayParts {
        dialect,
        upstream: dialect.as_str().to_owned(),
        client: inner.clone(),
        handle,
        aliases: Arc::new(MemoryAliases::default()),
        keys,
        carry,
        strict,
        max_scan: 100,
    });
    (g, inner)
}

fn customer(id: &str, display: &str) -> Customer {
    let mut c = Customer {
        id: CustomerId::parse(id).unwrap(),
        ..Customer::default()
    };
    c.name.display = Some(display.to_owned());
    c
}

#[tokio::test]
async fn records_of_an_upstream_without_integer_ids_get_stable_aliases() {
    let (g, _) = gateway(UpstreamDialect::Ndata, false);
    let t = tenant();
    let a = g
        .create(&t, customer("nd-a", "Alpha"), CreateOptions::default())
        .await
        .unwrap();
    let b = g
        .create(&t, customer("nd-b", "Beta"), CreateOptions::default())
        .await
        .unwrap();
    assert_eq!((a.seq, a.number.as_deref()), (Some(1), Some("1")));
    assert_eq!((b.seq, b.number.as_deref()), (Some(2), Some("2")));
    // Reading again gives the same aliases.
    let again = g.get(&t, &b.id).await.unwrap();
    assert_eq!(again.seq, Some(2));
    // Lookups by alias and by the number derived from it.
    let by_seq = g.find(&t, &Key::Seq(2)).await.unwrap();
    assert_eq!(by_seq.len(), 1);
    assert_eq!(by_seq[0].id.as_str(), "nd-b");
    let by_number = g.find(&t, &Key::Number("1".into())).await.unwrap();
    assert_eq!(by_number[0].id.as_str(), "nd-a");
    assert!(g.find(&t, &Key::Seq(9)).await.unwrap().is_empty());
    assert!(g
        .find(&t, &Key::Number("x".into()))
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn filters_on_aliases_run_in_the_gateway_and_say_so() {
    let (g, _) = gateway(UpstreamDialect::Ndata, false);
    let t = tenant();
    for (id, name) in [("a", "Alpha"), ("b", "Beta"), ("c", "Gamma")] {
        g.create(&t, customer(id, name), CreateOptions::default())
            .await
            .unwrap();
    }
    let q = Query::filtered(Filter::compare(Field::Seq, CmpOp::Ge, Value::Int(2)).unwrap());
    let (page, report) = report::scope(g.query(&t, &q)).await;
    let ids: Vec<_> = page.unwrap().items.into_iter().map(|c| c.id).collect();
    assert_eq!(ids, ["b", "c"].map(|s| CustomerId::parse(s).unwrap()));
    assert_eq!(report.plans.len(), 1);
    assert!(
        report.plans[0].contains("local: filter(seq ge 2)"),
        "{}",
        report.plans[0]
    );
}

#[tokio::test]
async fn an_upstream_with_its_own_ids_keeps_them() {
    let (g, _) = gateway(UpstreamDialect::Odata, false);
    let t = tenant();
    let mut c = customer("o1", "Own");
    c.number = Some("77".into());
    let created = g.create(&t, c, CreateOptions::default()).await.unwrap();
    assert_eq!(created.number.as_deref(), Some("77"));
    assert_eq!(created.seq, Some(1));
    let by_seq = g.find(&t, &Key::Seq(1)).await.unwrap();
    assert_eq!(by_seq[0].id.as_str(), "o1");
}

#[tokio::test]
async fn fields_the_upstream_cannot_hold_are_dropped_and_reported() {
    let (g, inner) = gateway(UpstreamDialect::Odata, false);
    let t = tenant();
    let mut c = customer("m1", "Mid");
    c.name.middle = Some("Q".into());
    let (created, report) = report::scope(g.create(&t, c, CreateOptions::default())).await;
    let created = created.unwrap();
    assert_eq!(created.name.middle, None);
    assert_eq!(report.dropped, ["name.middle"]);
    assert_eq!(inner.get(&t, &created.id).await.unwrap().name.middle, None);
    // An update that loses nothing reports nothing.
    let (updated, report) = report::scope(g.update(&t, created, None)).await;
    updated.unwrap();
    assert!(report.dropped.is_empty());
}

#[tokio::test]
async fn strict_mode_refuses_what_the_upstream_would_drop_and_writes_nothing() {
    let (g, inner) = gateway(UpstreamDialect::Odata, true);
    let t = tenant();
    let mut c = customer("s1", "Strict");
    c.name.middle = Some("Q".into());
    let e = g
        .create(&t, c.clone(), CreateOptions::default())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation);
    assert_eq!(e.fields()[0].field, "name.middle");
    assert!(e.fields()[0].message.contains("odata"), "{e:?}");
    // The message names the field too: ManEx's envelope shows a message and nothing else.
    assert!(e.fields()[0].message.contains("name.middle"), "{e:?}");
    assert!(inner.get(&t, &c.id).await.is_err(), "nothing was written");
    c.name.middle = None;
    g.create(&t, c, CreateOptions::default()).await.unwrap();
}

#[tokio::test]
async fn an_alias_the_front_echoes_back_is_not_a_loss() {
    let (g, _) = gateway(UpstreamDialect::Ndata, true);
    let t = tenant();
    let created = g
        .create(&t, customer("e1", "Echo"), CreateOptions::default())
        .await
        .unwrap();
    assert_eq!(created.number.as_deref(), Some("1"));
    // The front read seq 1 / number "1" and sends them back with its update.
    let updated = g.update(&t, created, None).await.unwrap();
    assert_eq!(updated.seq, Some(1));
}

/// An upstream without customer numbers, as the tenant API and NData are (their
/// `carried` drops `number`).
fn no_number(c: &Customer) -> Customer {
    let mut kept = c.clone();
    kept.number = None;
    kept
}

/// The facade's replace leaves `seq` out (a server field) and sends the number it showed,
/// which over an upstream without numbers is the gateway's `seq`: echoed back, it is the
/// gateway's own and no loss, for an alias (NData) and for the upstream's integer id (the
/// tenant API, whose record ids are their `cusId`). A number that is not this record's
/// `seq` (another record's, or none at all) is still the front's and still refused.
#[tokio::test]
async fn a_derived_number_sent_back_without_its_seq_is_not_a_loss() {
    let t = tenant();
    for dialect in [UpstreamDialect::Ndata, UpstreamDialect::Tenant] {
        let (g, _) = gateway_with(dialect, true, Arc::new(MemoryKeys::default()), no_number);
        // The memory "upstream" numbers records 1, 2…; the tenant client's ids are that
        // number in decimal.
        let a = g
            .create(&t, customer("1", "One"), CreateOptions::default())
            .await
            .unwrap();
        g.create(&t, customer("2", "Two"), CreateOptions::default())
            .await
            .unwrap();
        assert_eq!(
            (a.seq, a.number.as_deref()),
            (Some(1), Some("1")),
            "{dialect}"
        );
        let mut shown = a.clone();
        shown.seq = None;
        let (updated, report) = report::scope(g.update(&t, shown.clone(), None)).await;
        assert_eq!(updated.unwrap().seq, Some(1), "{dialect}");
        assert!(report.dropped.is_empty(), "{dialect}: {:?}", report.dropped);
        for other in ["2", "3"] {
            shown.number = Some(other.into());
            let e = g.update(&t, shown.clone(), None).await.unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Validation, "{dialect} {other}: {e:?}");
            assert_eq!(e.fields()[0].field, "number", "{dialect} {other}");
        }
    }
}

/// Keys in memory whose `complete` fails the first `failures` times, with a temporary
/// error (a store that lost its connection) or not.
#[derive(Debug)]
struct FlakyKeys {
    inner: MemoryKeys,
    failures: std::sync::atomic::AtomicU32,
    temporary: bool,
    calls: std::sync::atomic::AtomicU32,
}

#[async_trait::async_trait]
impl KeyTable for FlakyKeys {
    async fn claim(&self, scope: &str, idem: &Idempotency) -> custgate_core::Result<KeyClaim> {
        self.inner.claim(scope, idem).await
    }

    async fn complete(
        &self,
        scope: &str,
        key: &str,
        token: i64,
        answer: &Customer,
    ) -> custgate_core::Result<()> {
        use std::sync::atomic::Ordering::SeqCst;
        self.calls.fetch_add(1, SeqCst);
        if self
            .failures
            .fetch_update(SeqCst, SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            return Err(Error::unexpected("database unavailable").set_temporary(self.temporary));
        }
        self.inner.complete(scope, key, token, answer).await
    }

    async fn release(&self, scope: &str, key: &str, token: i64) -> custgate_core::Result<()> {
        self.inner.release(scope, key, token).await
    }
}

#[tokio::test]
async fn a_keyed_creates_answer_is_recorded_again_when_the_store_fails_for_a_moment() {
    use std::sync::atomic::Ordering::SeqCst;
    for (failures, temporary, replayed, calls) in [
        // Two passing failures: the third offer records the answer.
        (2, true, true, 3),
        // A failure that does not pass is not offered again: a repeat is refused.
        (1, false, false, 1),
    ] {
        let keys = Arc::new(FlakyKeys {
            inner: MemoryKeys::default(),
            failures: failures.into(),
            temporary,
            calls: 0.into(),
        });
        let (g, inner) = gateway_keeping_keys(UpstreamDialect::Odata, false, keys.clone());
        let t = tenant();
        let options = || CreateOptions {
            idempotency: Some(Idempotency {
                key: IdempotencyKey::parse("k1").unwrap(),
                fingerprint: "f1".into(),
            }),
        };
        let first = g
            .create(&t, customer("o1", "Once"), options())
            .await
            .unwrap();
        assert_eq!(keys.calls.load(SeqCst), calls);
        let repeat = g.create(&t, customer("o1", "Once"), options()).await;
        if replayed {
            assert_eq!(repeat.unwrap(), first);
        } else {
            assert_eq!(repeat.unwrap_err().kind(), ErrorKind::Conflict);
        }
        let all = inner.query(&t, &Query::default()).await.unwrap();
        assert_eq!(all.items.len(), 1, "created once");
    }
}
