//! [`GatewayStore`]: an upstream client made to look like a full store to every front.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use custgate_core::{
    diff, plan, report, Capability, CreateOptions, Customer, CustomerId, CustomerStore, DynStore,
    Error, ErrorKind, Field, FieldError, FindCapability, Key, Page, Query, Result, Status,
    TenantId, Version,
};
use custgate_store::KeyClaim;
use custgate_upstream::Upstream;

use crate::crosswalk::AliasTable;
use crate::keys::KeyTable;
use crate::settings::UpstreamDialect;

/// Where a record's integer id (`seq`) comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeqSource {
    /// The upstream has integer ids of its own, and a record's id is that integer in
    /// decimal (`cusId`, `customerId`, `ID`).
    Native,
    /// The crosswalk assigns one per upstream record.
    Alias,
}

/// How identifiers are made for one upstream dialect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IdPolicy {
    pub seq: SeqSource,
    /// Whether the upstream has customer numbers; without them the number shown is the
    /// record's `seq`.
    pub native_number: bool,
}

impl IdPolicy {
    pub fn of(dialect: UpstreamDialect) -> IdPolicy {
        match dialect {
            // `cusId`, `customerId`: integers, but no customer numbers.
            UpstreamDialect::Tenant | UpstreamDialect::V1core => IdPolicy {
                seq: SeqSource::Native,
                native_number: false,
            },
            // String ids, no numbers.
            UpstreamDialect::Ndata => IdPolicy {
                seq: SeqSource::Alias,
                native_number: false,
            },
            // `CUSTNO` is the id; no integer id besides it.
            UpstreamDialect::Custno => IdPolicy {
                seq: SeqSource::Alias,
                native_number: true,
            },
            // `ID` and `CustomerNumber`.
            UpstreamDialect::Odata => IdPolicy {
                seq: SeqSource::Native,
                native_number: true,
            },
        }
    }
}

/// The upstream client with the crosswalk applied: every record it returns has a `seq`
/// and a `number`, and it can be asked for records by them. The planner runs queries
/// against this view; its capability leaves alias fields to the gateway.
struct Aliased {
    inner: DynStore,
    aliases: Arc<dyn AliasTable>,
    upstream: String,
    ids: IdPolicy,
    capability: Capability,
}

impl fmt::Debug for Aliased {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Aliased")
            .field("inner", &self.inner)
            .field("upstream", &self.upstream)
            .finish_non_exhaustive()
    }
}

impl Aliased {
    fn new(inner: DynStore, aliases: Arc<dyn AliasTable>, upstream: String, ids: IdPolicy) -> Self {
        let mut capability = inner.capability().clone();
        // Alias fields exist only in the gateway: filters and sorts on them run here.
        let local: &[Field] = match (ids.seq, ids.native_number) {
            (SeqSource::Alias, false) => &[Field::Seq, Field::Number],
            (SeqSource::Alias, true) => &[Field::Seq],
            (SeqSource::Native, false) => &[Field::Number],
            (SeqSource::Native, true) => &[],
        };
        capability.filter.fields.retain(|(f, _)| !local.contains(f));
        capability.sort_fields.retain(|f| !local.contains(f));
        capability.find.seq |= ids.seq == SeqSource::Alias;
        capability.find.number |= !ids.native_number;
        Aliased {
            inner,
            aliases,
            upstream,
            ids,
            capability,
        }
    }

    /// Gives an upstream record its alias `seq` and derived `number`.
    async fn label(&self, tenant: &TenantId, mut c: Customer) -> Result<Customer> {
        if self.ids.seq == SeqSource::Alias {
            c.seq = Some(
                self.aliases
                    .alias_for(tenant, &self.upstream, c.id.as_str())
                    .await?,
            );
        }
        self.number_from_seq(&mut c);
        Ok(c)
    }

    /// An upstream without customer numbers shows the integer id as the number.
    fn number_from_seq(&self, c: &mut Customer) {
        if !self.ids.native_number {
            c.number = c.seq.map(|s| s.to_string());
        }
    }

    /// [`Aliased::label`] for a page of records, with one alias lookup for the page.
    async fn label_all(
        &self,
        tenant: &TenantId,
        mut items: Vec<Customer>,
    ) -> Result<Vec<Customer>> {
        if self.ids.seq == SeqSource::Alias && !items.is_empty() {
            let ids: Vec<&str> = items.iter().map(|c| c.id.as_str()).collect();
            let aliases = self
                .aliases
                .aliases_for(tenant, &self.upstream, &ids)
                .await?;
            for (c, alias) in items.iter_mut().zip(aliases) {
                c.seq = Some(alias);
            }
        }
        for c in &mut items {
            self.number_from_seq(c);
        }
        Ok(items)
    }

    /// The `seq` the gateway shows for the record `c` names, to tell the number it
    /// derived from it (an upstream without customer numbers shows the `seq` as the
    /// number) from a number the front means: `c`'s own `seq`, else the number's value
    /// when that is this record's `seq`. A front may send the shown number back without
    /// the `seq` (the facade's replace leaves server fields out), so the number alone
    /// must be recognised. Nothing is allocated: an alias is only resolved.
    async fn shown_seq(&self, tenant: &TenantId, c: &Customer) -> Result<Option<i64>> {
        if c.seq.is_some() || self.ids.native_number {
            return Ok(c.seq);
        }
        let Some(n) = c.number.as_deref().and_then(|n| n.parse::<i64>().ok()) else {
            return Ok(None);
        };
        let names_this_record = match self.ids.seq {
            SeqSource::Native => c.id.as_str().parse::<i64>().ok() == Some(n),
            SeqSource::Alias => {
                let resolved = self.aliases.resolve(tenant, &self.upstream, n).await?;
                resolved.as_deref() == Some(c.id.as_str())
            }
        };
        Ok(names_this_record.then_some(n))
    }

    /// The record with this integer id.
    async fn by_seq(&self, tenant: &TenantId, seq: i64) -> Result<Vec<Customer>> {
        match self.ids.seq {
            SeqSource::Native => {
                let found = self.inner.find(tenant, &Key::Seq(seq)).await?;
                self.label_all(tenant, found).await
            }
            SeqSource::Alias => {
                let Some(id) = self.aliases.resolve(tenant, &self.upstream, seq).await? else {
                    return Ok(Vec::new());
                };
                let id = CustomerId::parse(&id)?;
                match self.inner.get(tenant, &id).await {
                    Ok(c) => Ok(vec![self.label(tenant, c).await?]),
                    Err(e) if e.kind() == ErrorKind::NotFound => Ok(Vec::new()),
                    Err(e) => Err(e),
                }
            }
        }
    }
}

#[async_trait]
impl CustomerStore for Aliased {
    fn capability(&self) -> &Capability {
        &self.capability
    }

    fn name(&self) -> &str {
        self.inner.name()
    }

    async fn query(&self, tenant: &TenantId, query: &Query) -> Result<Page> {
        let page = self.inner.query(tenant, query).await?;
        Ok(Page {
            items: self.label_all(tenant, page.items).await?,
            total: page.total,
        })
    }

    async fn get(&self, tenant: &TenantId, id: &CustomerId) -> Result<Customer> {
        let c = self.inner.get(tenant, id).await?;
        self.label(tenant, c).await
    }

    async fn find(&self, tenant: &TenantId, key: &Key) -> Result<Vec<Customer>> {
        match key {
            Key::Seq(n) => self.by_seq(tenant, *n).await,
            Key::Number(n) if !self.ids.native_number => match n.trim().parse::<i64>() {
                Ok(seq) if seq > 0 => self.by_seq(tenant, seq).await,
                _ => Ok(Vec::new()),
            },
            _ => {
                let found = self.inner.find(tenant, key).await?;
                self.label_all(tenant, found).await
            }
        }
    }

    async fn create(&self, tenant: &TenantId, c: Customer, o: CreateOptions) -> Result<Customer> {
        let c = self.inner.create(tenant, c, o).await?;
        self.label(tenant, c).await
    }

    async fn update(&self, tenant: &TenantId, c: Customer, e: Option<Version>) -> Result<Customer> {
        let c = self.inner.update(tenant, c, e).await?;
        self.label(tenant, c).await
    }

    async fn delete(
        &self,
        tenant: &TenantId,
        id: &CustomerId,
        e: Option<Version>,
    ) -> Result<Customer> {
        let c = self.inner.delete(tenant, id, e).await?;
        self.label(tenant, c).await
    }

    async fn set_status(&self, tenant: &TenantId, id: &CustomerId, s: Status) -> Result<Customer> {
        let c = self.inner.set_status(tenant, id, s).await?;
        self.label(tenant, c).await
    }

    async fn health(&self) -> Result<()> {
        self.inner.health().await
    }
}

/// What the upstream would keep of a customer: `convert::carried` of its dialect, which
/// keeps the fields a backend assigns (`core::diff::keep_assigned`), so what it returns
/// can be sent as the record itself.
pub type Carry = fn(&Customer) -> Customer;

/// How often the answer of a keyed create is offered to the key table, and the wait
/// before the second offer (four times longer before each next one).
const RECORD_ATTEMPTS: u32 = 3;
const RECORD_BACKOFF: Duration = Duration::from_millis(25);

/// A tenant's backend when it is an upstream system: the dialect's client behind the
/// crosswalk, the planner and the translation-loss check.
pub struct GatewayStore {
    name: String,
    dialect: UpstreamDialect,
    view: Aliased,
    keys: Arc<dyn KeyTable>,
    handle: Upstream,
    carry: Carry,
    strict: bool,
    max_scan: usize,
    capability: Capability,
}

impl fmt::Debug for GatewayStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GatewayStore")
            .field("name", &self.name)
            .field("strict", &self.strict)
            .field("max_scan", &self.max_scan)
            .finish_non_exhaustive()
    }
}

/// How a [`GatewayStore`] is put together.
pub struct GatewayParts {
    pub dialect: UpstreamDialect,
    /// The name of the upstream in the crosswalk and in logs.
    pub upstream: String,
    pub client: DynStore,
    /// The client's HTTP plumbing, for its circuit breaker's state and metrics.
    pub handle: Upstream,
    pub aliases: Arc<dyn AliasTable>,
    /// Where the idempotency keys of creates are kept.
    pub keys: Arc<dyn KeyTable>,
    pub carry: Carry,
    pub strict: bool,
    pub max_scan: usize,
}

impl GatewayStore {
    pub fn new(parts: GatewayParts) -> GatewayStore {
        let ids = IdPolicy::of(parts.dialect);
        let view = Aliased::new(parts.client, parts.aliases, parts.upstream.clone(), ids);
        let capability = offered(view.capability());
        GatewayStore {
            name: format!("upstream:{}", parts.upstream),
            dialect: parts.dialect,
            view,
            keys: parts.keys,
            handle: parts.handle,
            carry: parts.carry,
            strict: parts.strict,
            max_scan: parts.max_scan,
            capability,
        }
    }

    pub fn dialect(&self) -> UpstreamDialect {
        self.dialect
    }

    /// The upstream's HTTP plumbing: its circuit breaker's state, its metrics.
    pub fn upstream(&self) -> &Upstream {
        &self.handle
    }

    /// The customer as it goes upstream, and what the upstream would lose of it (to be
    /// reported once the write succeeded). `seq` is the one the gateway shows for the
    /// record (`Aliased::shown_seq`; `None` for a new one).
    fn prepare(&self, c: Customer, seq: Option<i64>) -> Result<(Customer, Vec<String>)> {
        let mut probe = c.clone();
        // Identifiers the gateway made up itself are not the front's data.
        if self.view.ids.seq == SeqSource::Alias {
            probe.seq = None;
        }
        if !self.view.ids.native_number && probe.number == seq.map(|s| s.to_string()) {
            probe.number = None;
        }
        let kept = (self.carry)(&probe);
        if diff::dropped_fields(&probe, &kept).is_empty() {
            return Ok((probe, Vec::new()));
        }
        // Something is lost: what the upstream keeps goes. The ids the odata front hands
        // out to a record's parts are not the client's data, so losing them is no loss.
        let sent = custgate_odata::convert::without_assigned_ids(&probe);
        let dropped = diff::dropped_fields(&sent, &kept);
        if dropped.is_empty() {
            return Ok((kept, dropped));
        }
        if self.strict {
            // The message names the field as well: a front whose error has room for a
            // message only (ManEx's envelope) shows nothing else.
            let fields = dropped
                .iter()
                .map(|f| FieldError {
                    field: f.clone(),
                    message: format!("the upstream ({}) cannot hold {f}", self.dialect),
                })
                .collect();
            return Err(Error::validation(fields).with_context("upstream", self.dialect.as_str()));
        }
        Ok((kept, dropped))
    }

    /// Records the answer of a keyed create that succeeded upstream. Until it is
    /// recorded, a repeat is refused, and once the claim counts as abandoned (60 s) a
    /// repeat would create a second customer; so a store failure that may pass (a lost
    /// connection, a busy database) is retried, [`RECORD_ATTEMPTS`] times in all. When it
    /// still fails, the customer was created all the same and is answered.
    async fn record_answer(&self, scope: &str, key: &str, token: i64, created: &Customer) {
        let mut wait = RECORD_BACKOFF;
        for attempt in 1..=RECORD_ATTEMPTS {
            match self.keys.complete(scope, key, token, created).await {
                Ok(()) => return,
                Err(e) if e.is_temporary() && attempt < RECORD_ATTEMPTS => {
                    tracing::info!(error = %e, attempt, "Could not record the answer of an idempotent create; trying again");
                    tokio::time::sleep(wait).await;
                    wait *= 4;
                }
                Err(e) => {
                    tracing::warn!(error = %e, attempt, "Could not record the answer of an idempotent create; a repeat is refused until its claim counts as abandoned");
                    return;
                }
            }
        }
    }

    /// Reports fields a successful write could not carry.
    fn dropped(&self, dropped: &[String]) {
        if !dropped.is_empty() {
            tracing::info!(upstream = %self.dialect, dropped = ?dropped, "Fields the upstream cannot carry were dropped");
            report::record_dropped(dropped);
        }
    }
}

/// What the gateway offers over a view: everything the planner can complete locally.
fn offered(view: &Capability) -> Capability {
    let full = Capability::full();
    let findable = view.find != FindCapability::default();
    let list = view.list || findable;
    Capability {
        list,
        get: view.get,
        create: view.create,
        update: view.update,
        delete: view.delete,
        set_status: view.set_status,
        find: if view.list {
            FindCapability::ALL
        } else {
            view.find
        },
        phones_are_mobiles: view.phones_are_mobiles,
        filter: if list {
            full.filter
        } else {
            view.filter.clone()
        },
        sort_fields: full.sort_fields,
        max_sort_keys: None,
        offset: true,
        max_limit: None,
        total: true,
        // Kept by the gateway ([`crate::keys`]): no upstream dialect takes a key.
        idempotency: true,
        expected_version: view.expected_version,
        client_ids: view.client_ids,
    }
}

#[async_trait]
impl CustomerStore for GatewayStore {
    fn capability(&self) -> &Capability {
        &self.capability
    }

    fn name(&self) -> &str {
        &self.name
    }

    #[tracing::instrument(name = "gateway.query", skip_all, fields(upstream = %self.dialect))]
    async fn query(&self, tenant: &TenantId, query: &Query) -> Result<Page> {
        let (page, explain) = plan::execute(&self.view, tenant, query, self.max_scan).await?;
        report::record_plan(explain.header());
        Ok(page)
    }

    #[tracing::instrument(name = "gateway.get", skip_all, fields(upstream = %self.dialect))]
    async fn get(&self, tenant: &TenantId, id: &CustomerId) -> Result<Customer> {
        self.view.get(tenant, id).await
    }

    #[tracing::instrument(name = "gateway.find", skip_all, fields(upstream = %self.dialect, key = key.name()))]
    async fn find(&self, tenant: &TenantId, key: &Key) -> Result<Vec<Customer>> {
        if self.view.capability.find.supports(key) {
            return self.view.find(tenant, key).await;
        }
        Ok(self
            .query(tenant, &Query::filtered(key.to_filter()))
            .await?
            .items)
    }

    #[tracing::instrument(name = "gateway.create", skip_all, fields(upstream = %self.dialect))]
    async fn create(
        &self,
        tenant: &TenantId,
        customer: Customer,
        options: CreateOptions,
    ) -> Result<Customer> {
        self.capability.check_create(&options)?;
        let seq = customer.seq;
        let (customer, dropped) = self.prepare(customer, seq)?;
        let Some(idem) = options.idempotency else {
            let created = self.view.create(tenant, customer, options).await?;
            self.dropped(&dropped);
            return Ok(created);
        };
        // Keys are the gateway's, per tenant and upstream; `@` is in no tenant id, so no
        // embedded tenant's keys share the scope.
        let scope = format!("{tenant}@{}", self.view.upstream);
        let key = idem.key.as_str();
        let token = match self.keys.claim(&scope, &idem).await? {
            KeyClaim::Replay(first) => {
                // The same body as the first time (the fingerprints match), so the same
                // fields were dropped: a repeat is told so as the first answer was.
                self.dropped(&dropped);
                return Ok(*first);
            }
            KeyClaim::Owned(token) => token,
        };
        let create = self.view.create(tenant, customer, CreateOptions::default());
        let (created, writes) = custgate_upstream::count_writes(create).await;
        match created {
            Ok(created) => {
                self.record_answer(&scope, key, token, &created).await;
                self.dropped(&dropped);
                Ok(created)
            }
            Err(e) => {
                // Nothing that may have written reached the upstream: nothing was created.
                if writes == 0 {
                    if let Err(release) = self.keys.release(&scope, key, token).await {
                        tracing::warn!(error = %release, "Could not release an idempotency key");
                    }
                } else {
                    tracing::info!(
                        error = %e,
                        "An idempotent create's outcome upstream is unknown; its key stays claimed"
                    );
                }
                Err(e)
            }
        }
    }

    #[tracing::instrument(name = "gateway.update", skip_all, fields(upstream = %self.dialect))]
    async fn update(
        &self,
        tenant: &TenantId,
        customer: Customer,
        expected: Option<Version>,
    ) -> Result<Customer> {
        let seq = self.view.shown_seq(tenant, &customer).await?;
        let (customer, dropped) = self.prepare(customer, seq)?;
        let updated = self.view.update(tenant, customer, expected).await?;
        self.dropped(&dropped);
        Ok(updated)
    }

    #[tracing::instrument(name = "gateway.delete", skip_all, fields(upstream = %self.dialect))]
    async fn delete(
        &self,
        tenant: &TenantId,
        id: &CustomerId,
        expected: Option<Version>,
    ) -> Result<Customer> {
        self.view.delete(tenant, id, expected).await
    }

    #[tracing::instrument(name = "gateway.set_status", skip_all, fields(upstream = %self.dialect))]
    async fn set_status(
        &self,
        tenant: &TenantId,
        id: &CustomerId,
        status: Status,
    ) -> Result<Customer> {
        self.view.set_status(tenant, id, status).await
    }

    async fn health(&self) -> Result<()> {
        self.view.health().await
    }
}
