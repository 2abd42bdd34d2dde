//! `GatewayStore` over an in-memory "upstream": aliases, lookups by alias, planning, and
//! translation losses (reported, or refused in strict mode).

use std::sync::Arc;

use custgate_core::{
    report, CmpOp, CreateOptions, Customer, CustomerId, CustomerStore, ErrorKind, Field, Filter,
    Key, MemoryStore, Query, TenantId, Value,
};
use custgate_gateway::{GatewayParts, GatewayStore, MemoryAliases, MemoryKeys, UpstreamDialect};
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
        keys: Arc::new(MemoryKeys::default()),
        carry: no_middle,
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
