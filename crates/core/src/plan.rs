//! The query planner: which part of a canonical [`Query`] the backend runs, and which part
//! the gateway runs with [`crate::eval`] over the records it fetched.
//!
//! [`plan`] is pure: it reads the backend's [`Capability`] and the query, nothing else.
//! [`execute`] runs a plan against a [`CustomerStore`].
//!
//! # How a query is split
//!
//! 1. The query is checked ([`Query::check`]). A `count only` query keeps just its filter:
//!    sort and paging do not change a count.
//! 2. The filter is split. A top-level `and` (nested `and`s flattened) is split into its
//!    conjuncts: those the backend supports are pushed (only the first of them when the
//!    backend cannot combine filters with `and`), the others stay local. Any other filter
//!    is pushed whole or kept whole.
//! 3. A lookup-only backend (`list == false`) answers a query only through a lookup: of
//!    the conjuncts that are an `eq` on a key it can find by ([`Key::to_filter`]'s form;
//!    an `eq` on `phones.number` is a mobile's when every phone the backend holds is a
//!    mobile, [`Capability::phones_are_mobiles`]), the most selective (seq, then number,
//!    external id, reference number, identification, email, mobile, name; the first of
//!    equals) is sent as [`Fetch::Find`] and the whole query runs locally over the
//!    customers found.
//!    Without such a conjunct the query is refused: "the backend does not support listing
//!    customers".
//! 4. With a local filter part, a lookup is used the same way when a local conjunct is an
//!    `eq` on a findable key (a key is more selective than anything left pushed).
//!    Otherwise the pushed filter fetches every match (a *scan*) and the local filter,
//!    sort, offset, limit and count run in the gateway: the backend cannot sort, page or
//!    count what it did not filter. A local conjunct with a weaker form the backend can
//!    run (an `eq` or a case-sensitive match on text → a case-insensitive `contains`, or
//!    a search; see `relaxed`) has that form pushed too, so the scan fetches fewer
//!    records; the conjunct itself still runs locally.
//! 5. With the whole filter pushed, a sort the backend does not support (a field it cannot sort on,
//!    or more keys than it takes) or a total it cannot report makes a scan too, with only
//!    the sort, paging and count local.
//! 6. Otherwise filter, sort and count are pushed. An offset the backend cannot skip is
//!    replaced by fetching the first `offset + limit` matches (a *window*) and dropping
//!    `offset` of them locally. Everything else is pushed as it is: a *pass-through*.
//!
//! A backend with a `max_limit` is read in pages of at most that many records: each next
//! page asks for the next offset, and only the first asks for the total. A backend that
//! cannot skip can only be read while the answer fits its first page.
//!
//! Whatever the gateway evaluates itself (a scan, a window or a lookup) is bounded:
//! [`execute`] stops with an `Unsupported` error as soon as more than `max_scan` records
//! would have to be fetched (a scan or a window asks for at most `max_scan + 1`, so the
//! backend never sends much more than the limit; a lookup is checked once it answered).
//! A pass-through is returned as the backend answered it, in one
//! call unless the backend's page size makes several.
//!
//! A capability says what a backend takes in general; a client may still find, once it
//! writes the request, that it cannot say a particular filter (the tenant API's one
//! `CusName` holds one `contains`, not a `starts_with` or two filters on the name). When
//! the backend refuses what was pushed with `Unsupported` before any call, [`execute`]
//! runs the whole query in the gateway over a plain listing, bounded like any scan, and
//! the explanation ends with `declined first: <why>`.

use std::fmt::{self, Write as _};

use crate::capability::{Capability, FilterCapability, Operation};
use crate::error::{Error, Result};
use crate::eval;
use crate::field::{Field, Value};
use crate::ids::TenantId;
use crate::query::{CmpOp, Count, Filter, Key, Page, Query, SortKey, TextOp};
use crate::store::CustomerStore;

/// What the gateway asks the backend for.
#[derive(Clone, Debug, PartialEq)]
pub enum Fetch {
    /// A listing. With `page_size`, it is read in pages of at most that many records
    /// (each next page asks for the next offset, which needs `offset_paging`, and no count).
    Query {
        query: Query,
        page_size: Option<usize>,
        offset_paging: bool,
    },
    /// Every customer with this key, through the backend's lookup.
    Find(Key),
}

/// What the gateway does with what it fetched.
#[derive(Clone, Debug, PartialEq)]
pub enum Local {
    /// Nothing: the backend's answer is the page.
    None,
    /// Drops the first this many records (the backend cannot skip); the backend's total
    /// stands.
    Skip(u64),
    /// Runs this query with [`eval::run`] over every fetched record.
    Run(Query),
}

/// A query split into what the backend runs and what the gateway runs.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub fetch: Fetch,
    pub local: Local,
    pub explain: Explain,
}

impl Plan {
    fn new(fetch: Fetch, local: Local, scan: bool) -> Plan {
        let explain = Explain {
            pushed: pushed_steps(&fetch, scan),
            local: local_steps(&local),
            ..Explain::default()
        };
        Plan {
            fetch,
            local,
            explain,
        }
    }

    /// Whether the gateway evaluates the fetched records itself, so that their number is
    /// bounded by the scan limit.
    pub fn is_local(&self) -> bool {
        self.local != Local::None
    }
}

/// What was pushed down and what ran locally, `EXPLAIN`-style.
///
/// `Display` gives the whole text, for logs and debug output:
/// `pushed: filter(status eq 'active'), sort(seq desc), limit 10; local: none`, followed by
/// `; backend: <name>, <calls> call(s), <n> record(s) fetched` once [`execute`] ran it.
/// [`Explain::header`] gives the same text in ASCII and at most [`Explain::HEADER_MAX`]
/// bytes, fit for an HTTP header.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Explain {
    /// The steps the backend runs, in order.
    pub pushed: Vec<String>,
    /// The steps the gateway runs, in order.
    pub local: Vec<String>,
    /// The backend's name, once executed.
    pub backend: Option<String>,
    /// How many backend calls the execution made.
    pub calls: usize,
    /// How many records the backend sent.
    pub fetched: usize,
    /// Why the backend declined the query first planned, when [`execute`] ran it in the
    /// gateway instead.
    pub declined: Option<String>,
}

impl Explain {
    /// The longest header form, in bytes.
    pub const HEADER_MAX: usize = 1024;
    /// The longest form of one step in the header, in bytes, so that a long filter does
    /// not hide the steps after it.
    const STEP_MAX: usize = 320;

    /// The one-line form for an HTTP header: printable ASCII only (`\` and anything else
    /// escaped as `\\` and `\u{hex}`), each step cut at 320 bytes and the whole at
    /// [`Explain::HEADER_MAX`], a cut marked with `...`.
    pub fn header(&self) -> String {
        let mut header = Header::default();
        self.render(&mut header);
        header.out
    }

    fn render(&self, out: &mut impl Sink) {
        out.text("pushed: ");
        steps(out, &self.pushed);
        out.text("; local: ");
        steps(out, &self.local);
        if let Some(name) = &self.backend {
            out.text("; backend: ");
            out.text(name);
            out.text(&format!(
                ", {} call{}, {} record{} fetched",
                self.calls,
                plural(self.calls),
                self.fetched,
                plural(self.fetched)
            ));
        }
        if let Some(why) = &self.declined {
            out.text("; declined first: ");
            steps(out, std::slice::from_ref(why));
        }
    }
}

impl fmt::Display for Explain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        self.render(&mut out);
        f.write_str(&out)
    }
}

fn steps(out: &mut impl Sink, steps: &[String]) {
    if steps.is_empty() {
        out.text("none");
    }
    for (i, s) in steps.iter().enumerate() {
        if i > 0 {
            out.text(", ");
        }
        out.step(s);
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Where an explanation is written: fixed text and steps.
trait Sink {
    fn text(&mut self, s: &str);
    fn step(&mut self, s: &str);
}

impl Sink for String {
    fn text(&mut self, s: &str) {
        self.push_str(s);
    }

    fn step(&mut self, s: &str) {
        self.push_str(s);
    }
}

/// The header form: escaped, each step and the whole bounded.
#[derive(Default)]
struct Header {
    out: String,
    full: bool,
}

impl Header {
    /// Appends `s` escaped, at most `max` bytes of it and never past the header's bound;
    /// a cut is marked with `...`, and a cut at the header's bound ends the header.
    fn push(&mut self, s: &str, max: usize) {
        if self.full {
            return;
        }
        // Room is always left for the cut mark.
        let room = Explain::HEADER_MAX.saturating_sub(self.out.len() + 3);
        let escaped = ascii(s);
        if escaped.len() <= max.min(room) {
            self.out.push_str(&escaped);
            return;
        }
        let keep = if max < room { max - 3 } else { room };
        let mut used = 0;
        let mut unit = String::new();
        for ch in s.chars() {
            unit.clear();
            escape(ch, &mut unit);
            if used + unit.len() > keep {
                break;
            }
            self.out.push_str(&unit);
            used += unit.len();
        }
        self.out.push_str("...");
        self.full = max >= room;
    }
}

impl Sink for Header {
    fn text(&mut self, s: &str) {
        self.push(s, usize::MAX);
    }

    fn step(&mut self, s: &str) {
        self.push(s, Explain::STEP_MAX);
    }
}

/// Escapes everything but printable ASCII.
fn ascii(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        escape(ch, &mut out);
    }
    out
}

fn escape(ch: char, out: &mut String) {
    match ch {
        '\\' => out.push_str("\\\\"),
        ' '..='~' => out.push(ch),
        c => {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        }
    }
}

/// Splits `q` into what a backend with capability `cap` runs and what the gateway runs;
/// see the module documentation for the rules.
pub fn plan(cap: &Capability, q: &Query) -> Result<Plan> {
    q.check()?;
    let q = effective(q);
    let conjuncts = q.filter.as_ref().map(conjuncts).unwrap_or_default();
    if !cap.list {
        return lookup(cap, &q, conjuncts.iter().copied())
            .ok_or_else(|| Capability::unsupported(Operation::List.describe()));
    }
    let (mut pushed, local) = split(&cap.filter, &conjuncts);
    if !local.is_empty() {
        if let Some(plan) = lookup(cap, &q, &local) {
            return Ok(plan);
        }
        // Narrows the scan: a weaker form of a local conjunct that the backend can run.
        for c in &local {
            let combinable = cap.filter.and || pushed.is_empty();
            if let Some(r) = relaxed(&cap.filter, c).filter(|r| combinable && !pushed.contains(r)) {
                pushed.push(r);
            }
        }
        return Ok(scan(cap, &q, Filter::all(pushed), Filter::all(local)));
    }
    if !sort_supported(cap, &q.sort) || (q.count != Count::None && !cap.total) {
        return Ok(scan(cap, &q, q.filter.clone(), None));
    }
    if q.offset > 0 && !cap.offset {
        return Ok(window(cap, &q));
    }
    Ok(pass_through(cap, q))
}

/// The query as planned: a count keeps only its filter.
fn effective(q: &Query) -> Query {
    if q.count == Count::Only {
        Query {
            filter: q.filter.clone(),
            count: Count::Only,
            ..Query::default()
        }
    } else {
        q.clone()
    }
}

/// The conjuncts of a filter: the members of a top-level `and` (nested ones flattened),
/// else the filter itself.
fn conjuncts(f: &Filter) -> Vec<&Filter> {
    match f {
        Filter::And(v) => v.iter().flat_map(conjuncts).collect(),
        other => vec![other],
    }
}

/// A filter the backend can run that every match of `f` matches too, for a conjunct it
/// cannot run: pushed with `f` kept local, it narrows a scan without changing the answer.
///
/// An `eq` on text, or a case-sensitive `contains`, `starts_with` or `ends_with`, becomes
/// a case-insensitive `contains`; a case-insensitive text match becomes that `contains`
/// or a free-text search, when the field is one search covers. Only ASCII values relax
/// from case-sensitive to case-insensitive: lowercasing keeps an ASCII run whole inside
/// any text, while other characters may lowercase to more characters or by context (a
/// final sigma). `like` never relaxes, its `_` counting characters.
fn relaxed(cap: &FilterCapability, f: &Filter) -> Option<Filter> {
    let (field, value, case_insensitive) = match f {
        Filter::Compare {
            field,
            op: CmpOp::Eq,
            value: Value::Text(v),
        } => (*field, v, false),
        Filter::Text {
            field,
            op: TextOp::Contains | TextOp::StartsWith | TextOp::EndsWith,
            value,
            case_insensitive,
        } => (*field, value, *case_insensitive),
        _ => return None,
    };
    if value.is_empty() || (!case_insensitive && !value.is_ascii()) {
        return None;
    }
    let contains = Filter::Text {
        field,
        op: TextOp::Contains,
        value: value.clone(),
        case_insensitive: true,
    };
    let search = Field::SEARCH
        .contains(&field)
        .then(|| Filter::Search(value.clone()));
    [Some(contains), search]
        .into_iter()
        .flatten()
        .find(|r| r != f && cap.supports(r).is_ok())
}

/// Conjuncts the backend runs, and those left to the gateway, each in their order.
fn split(cap: &FilterCapability, conjuncts: &[&Filter]) -> (Vec<Filter>, Vec<Filter>) {
    let mut pushed = Vec::new();
    let mut local = Vec::new();
    for c in conjuncts {
        let combinable = cap.and || pushed.is_empty();
        if combinable && cap.supports(c).is_ok() {
            pushed.push((*c).clone());
        } else {
            local.push((*c).clone());
        }
    }
    (pushed, local)
}

fn sort_supported(cap: &Capability, sort: &[SortKey]) -> bool {
    cap.max_sort_keys.is_none_or(|max| sort.len() <= max)
        && sort.iter().all(|k| cap.sort_fields.contains(&k.field))
}

/// The key a conjunct looks up, when it is exactly [`Key::to_filter`] of one, or an `eq`
/// on `phones.number` on a backend whose phones are all mobiles (a lookup by mobile).
fn key_of(cap: &Capability, f: &Filter) -> Option<Key> {
    let Filter::Compare {
        field,
        op: CmpOp::Eq,
        value,
    } = f
    else {
        return None;
    };
    if let (Field::Seq, Value::Int(n)) = (field, value) {
        return Some(Key::Seq(*n));
    }
    let Value::Text(s) = value else {
        return None;
    };
    let key = match field {
        Field::DisplayName => Key::Name(s.clone()),
        Field::Number => Key::Number(s.clone()),
        Field::ExternalId => Key::ExternalId(s.clone()),
        Field::ReferenceNo => Key::ReferenceNo(s.clone()),
        Field::Email => Key::Email(s.clone()),
        Field::Mobile => Key::Mobile(s.clone()),
        Field::Identification => Key::Identification(s.clone()),
        // Keys are looked up trimmed, as below.
        Field::Phone if cap.phones_are_mobiles => {
            return (s.trim() == s).then(|| Key::Mobile(s.clone()))
        }
        _ => return None,
    };
    // Keys are looked up trimmed: only a trimmed literal finds exactly what the conjunct
    // matches.
    (key.to_filter() == *f).then_some(key)
}

/// A lookup by the most selective of `candidates` the backend can find by (the first of
/// equals), with the whole query run locally over what it finds.
fn lookup<'a>(
    cap: &Capability,
    q: &Query,
    candidates: impl IntoIterator<Item = &'a Filter>,
) -> Option<Plan> {
    let key = candidates
        .into_iter()
        .filter_map(|f| key_of(cap, f))
        .filter(|k| cap.find.supports(k))
        .min_by_key(selectivity)?;
    Some(Plan::new(Fetch::Find(key), Local::Run(q.clone()), false))
}

/// How few records a key is expected to find, lowest first: the backend's own integer id
/// and number name one record, the external ids and identifications usually one, an email
/// or a mobile a few, a display name any number.
fn selectivity(key: &Key) -> u8 {
    match key {
        Key::Seq(_) => 0,
        Key::Number(_) => 1,
        Key::ExternalId(_) => 2,
        Key::ReferenceNo(_) => 3,
        Key::Identification(_) => 4,
        Key::Email(_) => 5,
        Key::Mobile(_) => 6,
        Key::Name(_) => 7,
    }
}

/// Every match of `pushed`, with the rest of the query run locally.
fn scan(cap: &Capability, q: &Query, pushed: Option<Filter>, local: Option<Filter>) -> Plan {
    let fetch = Fetch::Query {
        query: Query {
            filter: pushed,
            ..Query::default()
        },
        page_size: cap.max_limit,
        offset_paging: cap.offset,
    };
    let local = Local::Run(Query {
        filter: local,
        ..q.clone()
    });
    Plan::new(fetch, local, true)
}

/// The first `offset + limit` matches, with `offset` of them dropped locally.
fn window(cap: &Capability, q: &Query) -> Plan {
    let limit = q.limit.and_then(|l| match l {
        0 => Some(0),
        l => u32::try_from(q.offset.saturating_add(u64::from(l))).ok(),
    });
    let fetch = Fetch::Query {
        query: Query {
            offset: 0,
            limit,
            ..q.clone()
        },
        page_size: cap.max_limit,
        offset_paging: cap.offset,
    };
    Plan::new(fetch, Local::Skip(q.offset), false)
}

fn pass_through(cap: &Capability, q: Query) -> Plan {
    let fetch = Fetch::Query {
        query: q,
        page_size: cap.max_limit,
        offset_paging: cap.offset,
    };
    Plan::new(fetch, Local::None, false)
}

fn pushed_steps(fetch: &Fetch, scan: bool) -> Vec<String> {
    match fetch {
        Fetch::Find(key) => vec![format!("find({key})")],
        Fetch::Query {
            query, page_size, ..
        } => {
            let mut steps = query_steps(query);
            if scan {
                steps.push("all matches".to_owned());
            }
            if let Some(size) = page_size.filter(|size| pages(query, *size)) {
                steps.push(format!("in pages of {size}"));
            }
            if steps.is_empty() {
                steps.push("list".to_owned());
            }
            steps
        }
    }
}

/// Whether a fetch of `q` may take more than one page of `size`.
fn pages(q: &Query, size: usize) -> bool {
    q.count != Count::Only && q.limit.is_none_or(|l| l as usize > size)
}

fn local_steps(local: &Local) -> Vec<String> {
    match local {
        Local::None => Vec::new(),
        Local::Skip(n) => vec![format!("offset {n}")],
        Local::Run(q) => query_steps(q),
    }
}

/// The steps of a query, in the order they apply.
fn query_steps(q: &Query) -> Vec<String> {
    let mut steps = Vec::new();
    if let Some(f) = &q.filter {
        steps.push(format!("filter({f})"));
    }
    if !q.sort.is_empty() {
        let keys: Vec<String> = q
            .sort
            .iter()
            .map(|k| format!("{} {}", k.field, if k.descending { "desc" } else { "asc" }))
            .collect();
        steps.push(format!("sort({})", keys.join(", ")));
    }
    if q.offset > 0 {
        steps.push(format!("offset {}", q.offset));
    }
    if let Some(l) = q.limit {
        steps.push(format!("limit {l}"));
    }
    match q.count {
        Count::None => {}
        Count::WithTotal => steps.push("total".to_owned()),
        Count::Only => steps.push("count only".to_owned()),
    }
    steps
}

/// Plans `q` for `store`, fetches what the plan asks for and runs the local steps.
///
/// The page is what `store` itself would answer (items, and the total per [`Count`]); when
/// everything is pushed down, it is the backend's answer unchanged. Fails with
/// `Unsupported` when the backend cannot answer the query at all, and as soon as more
/// than `max_scan` records would have to be fetched for the gateway to evaluate.
pub async fn execute(
    store: &dyn CustomerStore,
    tenant: &TenantId,
    q: &Query,
    max_scan: usize,
) -> Result<(Page, Explain)> {
    let plan = plan(store.capability(), q)?;
    let (result, explain) = run(store, tenant, &plan, max_scan).await;
    match result {
        Err(e) if declined(&plan, &explain, &e) => {
            // The backend refused, before calling anyone, a query its capability claims
            // (a filter it cannot say after all, e.g. a value it has no syntax for): the
            // gateway runs the whole query itself over every record, as bounded as any
            // scan, and the explanation says why.
            let q = effective(q);
            let fallback = scan(store.capability(), &q, None, q.filter.clone());
            let (result, mut explain) = run(store, tenant, &fallback, max_scan).await;
            explain.declined = Some(e.message().to_owned());
            result.map(|page| (page, explain))
        }
        result => result.map(|page| (page, explain)),
    }
}

/// Whether `e` is the backend declining the listing `plan` pushed to it: `Unsupported`
/// from its first call, which made no call upstream ([`execute`]'s own `Unsupported`
/// errors, the scan limit and paging, come after one), for a plan that pushed more than a
/// plain listing.
fn declined(plan: &Plan, explain: &Explain, e: &Error) -> bool {
    let pushed_more = match &plan.fetch {
        Fetch::Query { query, .. } => {
            query.filter.is_some() || !query.sort.is_empty() || query.count != Count::None
        }
        Fetch::Find(_) => false,
    };
    pushed_more && explain.calls == 0 && e.kind() == crate::ErrorKind::Unsupported
}

/// Runs a plan: its result, and its explanation with the calls made.
async fn run(
    store: &dyn CustomerStore,
    tenant: &TenantId,
    plan: &Plan,
    max_scan: usize,
) -> (Result<Page>, Explain) {
    let mut explain = plan.explain.clone();
    explain.backend = Some(store.name().to_owned());
    let result = fetch(store, tenant, plan, max_scan, &mut explain).await;
    (result.map(|page| apply(&plan.local, page)), explain)
}

/// What `plan` fetches from the backend.
async fn fetch(
    store: &dyn CustomerStore,
    tenant: &TenantId,
    plan: &Plan,
    max_scan: usize,
    explain: &mut Explain,
) -> Result<Page> {
    let bound = plan.is_local().then_some(max_scan);
    match &plan.fetch {
        Fetch::Query {
            query,
            page_size,
            offset_paging,
        } => {
            let paging = Paging {
                page_size: *page_size,
                offset_paging: *offset_paging,
                bound,
            };
            fetch_pages(store, tenant, query, paging, explain).await
        }
        Fetch::Find(key) => {
            let items = store.find(tenant, key).await?;
            explain.calls += 1;
            explain.fetched += items.len();
            check_scan(items.len(), bound)?;
            Ok(Page { items, total: None })
        }
    }
}

/// How a listing is read: page size, whether later pages can be reached, and the scan
/// limit when the records are evaluated locally.
#[derive(Clone, Copy, Debug)]
struct Paging {
    page_size: Option<usize>,
    offset_paging: bool,
    bound: Option<usize>,
}

impl Paging {
    /// How many records to ask for after `got`: no more than the query's limit, a page,
    /// or one past the scan limit (to tell that it is exceeded).
    fn ask(&self, q: &Query, got: u64) -> Option<u64> {
        if q.count == Count::Only {
            return None;
        }
        let caps = [
            q.limit.map(|l| u64::from(l).saturating_sub(got)),
            self.page_size.map(|p| p as u64),
            self.bound.map(|b| (b as u64 + 1).saturating_sub(got)),
        ];
        caps.into_iter().flatten().min()
    }
}

async fn fetch_pages(
    store: &dyn CustomerStore,
    tenant: &TenantId,
    q: &Query,
    paging: Paging,
    explain: &mut Explain,
) -> Result<Page> {
    let mut items = Vec::new();
    let mut total = None;
    loop {
        let got = items.len() as u64;
        let first = explain.calls == 0;
        if !first && !paging.offset_paging {
            return Err(Capability::unsupported(format_args!(
                "paging past its first {got} result{} (no offset)",
                plural(items.len())
            )));
        }
        let ask = paging.ask(q, got);
        let sub = Query {
            offset: q.offset.saturating_add(got),
            limit: ask.map(|a| u32::try_from(a).unwrap_or(u32::MAX)),
            count: if first { q.count } else { Count::None },
            ..q.clone()
        };
        let page = store.query(tenant, &sub).await?;
        explain.calls += 1;
        explain.fetched += page.items.len();
        if first {
            total = page.total;
        }
        let n = page.items.len() as u64;
        items.extend(page.items);
        check_scan(items.len(), paging.bound)?;
        let limit_reached = q.limit.is_some_and(|l| items.len() as u64 >= u64::from(l));
        if ask.is_none_or(|a| n < a) || limit_reached {
            return Ok(Page { items, total });
        }
    }
}

/// The scan limit error, when `fetched` records exceed `bound`.
fn check_scan(fetched: usize, bound: Option<usize>) -> Result<()> {
    match bound {
        Some(max) if fetched > max => Err(Error::unsupported(format!(
            "the backend cannot run this query itself and more than {max} records would have \
             to be fetched to run it in the gateway (the scan limit); narrow the filter"
        ))
        .with_context("max_scan", max.to_string())),
        _ => Ok(()),
    }
}

fn apply(local: &Local, mut page: Page) -> Page {
    match local {
        Local::None => page,
        Local::Skip(n) => {
            let n = usize::try_from(*n)
                .unwrap_or(usize::MAX)
                .min(page.items.len());
            page.items.drain(..n);
            page
        }
        Local::Run(q) => eval::run(q, &page.items),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capability::{FieldOps, FindCapability};
    use crate::query::TextOp;

    fn name_contains(s: &str) -> Filter {
        Filter::text(Field::DisplayName, TextOp::Contains, s, true).unwrap()
    }

    fn eq(field: Field, v: Value) -> Filter {
        Filter::eq(field, v).unwrap()
    }

    /// A backend like the tenant dialect's: a few fields, one sort key, no `or`.
    fn narrow() -> Capability {
        Capability {
            list: true,
            find: FindCapability {
                email: true,
                seq: true,
                ..FindCapability::default()
            },
            filter: FilterCapability {
                and: true,
                fields: vec![
                    (
                        Field::DisplayName,
                        FieldOps {
                            text_ci: true,
                            ..FieldOps::default()
                        },
                    ),
                    (Field::Kind, FieldOps::EQ),
                    (Field::Email, FieldOps::EQ),
                ],
                ..FilterCapability::default()
            },
            sort_fields: vec![Field::Seq, Field::DisplayName],
            max_sort_keys: Some(1),
            offset: true,
            max_limit: Some(100),
            total: true,
            ..Capability::default()
        }
    }

    fn check(cap: &Capability, q: &Query, expected: &str) {
        let p = plan(cap, q).unwrap();
        assert_eq!(p.explain.to_string(), expected);
        assert_eq!(p.explain.header(), expected);
    }

    #[test]
    fn everything_supported_is_pushed_unchanged() {
        let q = Query {
            filter: Some(name_contains("jo")),
            sort: vec![SortKey::asc(Field::Seq)],
            limit: Some(10),
            ..Query::default()
        };
        let p = plan(&Capability::full(), &q).unwrap();
        assert_eq!(p.local, Local::None);
        let Fetch::Query { query, .. } = &p.fetch else {
            panic!("a listing is expected, got {:?}", p.fetch)
        };
        assert_eq!(query, &q);
        check(
            &Capability::full(),
            &q,
            "pushed: filter(name.display contains_ci 'jo'), sort(seq asc), limit 10; local: none",
        );
        check(
            &Capability::full(),
            &Query::default(),
            "pushed: list; local: none",
        );
    }

    #[test]
    fn a_top_level_and_is_split_by_conjunct() {
        let q = Query {
            filter: Filter::all([
                name_contains("o'b"),
                Filter::Search("x".into()),
                eq(Field::Kind, Value::text("person")),
            ]),
            limit: Some(5),
            count: Count::WithTotal,
            ..Query::default()
        };
        check(
            &narrow(),
            &q,
            "pushed: filter((name.display contains_ci 'o''b' and kind eq 'person')), \
             all matches, in pages of 100; local: filter(search 'x'), limit 5, total",
        );
        let or = Query::filtered(Filter::Or(vec![
            name_contains("a"),
            eq(Field::Kind, Value::text("person")),
        ]));
        check(
            &narrow(),
            &or,
            "pushed: all matches, in pages of 100; \
             local: filter((name.display contains_ci 'a' or kind eq 'person'))",
        );
    }

    #[test]
    fn without_and_only_the_first_supported_conjunct_is_pushed() {
        let mut cap = narrow();
        cap.filter.and = false;
        let q = Query::filtered(Filter::And(vec![
            Filter::And(vec![eq(Field::Kind, Value::text("company"))]),
            name_contains("a"),
        ]));
        check(
            &cap,
            &q,
            "pushed: filter(kind eq 'company'), all matches, in pages of 100; \
             local: filter(name.display contains_ci 'a')",
        );
    }

    #[test]
    fn unsupported_sort_and_total_run_locally() {
        let two_keys = Query {
            sort: vec![SortKey::desc(Field::DisplayName), SortKey::asc(Field::Seq)],
            offset: 3,
            limit: Some(2),
            ..Query::default()
        };
        check(
            &narrow(),
            &two_keys,
            "pushed: all matches, in pages of 100; \
             local: sort(name.display desc, seq asc), offset 3, limit 2",
        );
        let mut no_total = narrow();
        no_total.total = false;
        let counted = Query {
            filter: Some(name_contains("a")),
            sort: vec![SortKey::asc(Field::Note)],
            limit: Some(2),
            count: Count::Only,
            ..Query::default()
        };
        check(
            &no_total,
            &counted,
            "pushed: filter(name.display contains_ci 'a'), all matches, in pages of 100; \
             local: count only",
        );
        check(
            &narrow(),
            &counted,
            "pushed: filter(name.display contains_ci 'a'), count only; local: none",
        );
    }

    #[test]
    fn a_weaker_form_of_a_local_conjunct_narrows_the_scan() {
        let text = |op, v: &str, ci| Filter::text(Field::DisplayName, op, v, ci).unwrap();
        // `eq` and a case-sensitive match on the name: the backend runs a case-insensitive
        // `contains`, the gateway the exact test.
        check(
            &narrow(),
            &Query::filtered(eq(Field::DisplayName, Value::text("Ann Lee"))),
            "pushed: filter(name.display contains_ci 'Ann Lee'), all matches, in pages of \
             100; local: filter(name.display eq 'Ann Lee')",
        );
        check(
            &narrow(),
            &Query::filtered(text(TextOp::StartsWith, "An", false)),
            "pushed: filter(name.display contains_ci 'An'), all matches, in pages of 100; \
             local: filter(name.display starts_with 'An')",
        );
        // Next to a pushed conjunct, and with `and`.
        check(
            &narrow(),
            &Query::filtered(
                Filter::all([
                    eq(Field::Kind, Value::text("person")),
                    text(TextOp::EndsWith, "ee", false),
                ])
                .unwrap(),
            ),
            "pushed: filter((kind eq 'person' and name.display contains_ci 'ee')), all \
             matches, in pages of 100; local: filter(name.display ends_with 'ee')",
        );
        // Not from case-sensitive non-ASCII text ('Σ' lowercases by context), not `like`,
        // not an empty value: the whole conjunct runs locally over every record.
        for f in [
            eq(Field::DisplayName, Value::text("ΑΣ")),
            text(TextOp::Like, "A_", false),
            text(TextOp::Contains, "", false),
        ] {
            let p = plan(&narrow(), &Query::filtered(f.clone())).unwrap();
            assert_eq!(p.explain.pushed, ["all matches", "in pages of 100"], "{f}");
        }
        // A case-insensitive match on a field search covers becomes a search.
        let search_only = Capability {
            filter: FilterCapability {
                search: true,
                ..FilterCapability::default()
            },
            ..narrow()
        };
        let p = plan(
            &search_only,
            &Query::filtered(text(TextOp::StartsWith, "é", true)),
        )
        .unwrap();
        assert_eq!(
            p.explain.to_string(),
            "pushed: filter(search 'é'), all matches, in pages of 100; \
             local: filter(name.display starts_with_ci 'é')"
        );
    }

    #[test]
    fn an_offset_the_backend_cannot_skip_is_a_window() {
        let mut cap = narrow();
        cap.offset = false;
        cap.max_limit = None;
        let q = Query {
            sort: vec![SortKey::asc(Field::DisplayName)],
            offset: 20,
            limit: Some(10),
            count: Count::WithTotal,
            ..Query::default()
        };
        let p = plan(&cap, &q).unwrap();
        assert_eq!(p.local, Local::Skip(20));
        check(
            &cap,
            &q,
            "pushed: sort(name.display asc), limit 30, total; local: offset 20",
        );
    }

    #[test]
    fn lookup_only_backends_answer_through_a_key() {
        let cap = Capability {
            get: true,
            find: FindCapability {
                number: true,
                name: true,
                ..FindCapability::default()
            },
            ..Capability::default()
        };
        let q = Query {
            filter: Filter::all([name_contains("a"), eq(Field::Number, Value::text("42"))]),
            count: Count::WithTotal,
            ..Query::default()
        };
        let p = plan(&cap, &q).unwrap();
        assert_eq!(p.fetch, Fetch::Find(Key::Number("42".into())));
        assert_eq!(p.local, Local::Run(q.clone()));
        check(
            &cap,
            &q,
            "pushed: find(number '42'); \
             local: filter((name.display contains_ci 'a' and number eq '42')), total",
        );
        // A name that is not trimmed is not what a lookup by name finds.
        let untrimmed = Query::filtered(eq(Field::DisplayName, Value::text(" Jo")));
        let e = plan(&cap, &untrimmed).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Unsupported);
        assert_eq!(
            e.message(),
            "the backend does not support listing customers"
        );
        let or = Query::filtered(Filter::Or(vec![eq(Field::Number, Value::text("1"))]));
        assert!(plan(&cap, &or).is_err());
        // Of two keys, the one naming a single record is looked up, wherever it stands.
        let q = Query::filtered(Filter::And(vec![
            eq(Field::DisplayName, Value::text("Jo")),
            eq(Field::Number, Value::text("42")),
        ]));
        assert_eq!(
            plan(&cap, &q).unwrap().fetch,
            Fetch::Find(Key::Number("42".into()))
        );
        // Of equals, the first.
        let q = Query::filtered(Filter::And(vec![
            eq(Field::DisplayName, Value::text("Jo")),
            eq(Field::DisplayName, Value::text("Al")),
        ]));
        assert_eq!(
            plan(&cap, &q).unwrap().fetch,
            Fetch::Find(Key::Name("Jo".into()))
        );
    }

    #[test]
    fn a_phone_number_is_looked_up_as_a_mobile_only_where_every_phone_is_one() {
        let mut cap = Capability {
            get: true,
            find: FindCapability {
                mobile: true,
                ..FindCapability::default()
            },
            ..Capability::default()
        };
        let q = Query::filtered(eq(Field::Phone, Value::text("+966568617084")));
        // A lookup by mobile would miss a plain phone of the number.
        assert_eq!(
            plan(&cap, &q).unwrap_err().message(),
            "the backend does not support listing customers"
        );
        cap.phones_are_mobiles = true;
        check(
            &cap,
            &q,
            "pushed: find(mobile '+966568617084'); \
             local: filter(phones.number eq '+966568617084')",
        );
        let untrimmed = Query::filtered(eq(Field::Phone, Value::text("+966568617084 ")));
        assert!(plan(&cap, &untrimmed).is_err());
        // A listing backend looks it up too when it cannot filter on it.
        cap.list = true;
        let p = plan(&cap, &q).unwrap();
        assert_eq!(p.fetch, Fetch::Find(Key::Mobile("+966568617084".into())));
    }

    #[test]
    fn keys_rank_by_how_few_records_they_find() {
        let ranked = [
            Key::Seq(1),
            Key::Number("1".into()),
            Key::ExternalId("x".into()),
            Key::ReferenceNo("r".into()),
            Key::Identification("i".into()),
            Key::Email("e@x".into()),
            Key::Mobile("+1".into()),
            Key::Name("n".into()),
        ];
        for pair in ranked.windows(2) {
            assert!(selectivity(&pair[0]) < selectivity(&pair[1]), "{pair:?}");
        }
    }

    #[test]
    fn a_local_key_conjunct_becomes_a_lookup() {
        let q = Query::filtered(Filter::And(vec![
            name_contains("a"),
            eq(Field::Seq, Value::Int(7)),
        ]));
        check(
            &narrow(),
            &q,
            "pushed: find(seq 7); local: filter((name.display contains_ci 'a' and seq eq 7))",
        );
        // A key the backend filters on stays a pushed filter.
        let pushed_key = Query::filtered(Filter::And(vec![
            eq(Field::Email, Value::text("a@b")),
            Filter::Search("x".into()),
        ]));
        check(
            &narrow(),
            &pushed_key,
            "pushed: filter(emails.address eq 'a@b'), all matches, in pages of 100; \
             local: filter(search 'x')",
        );
    }

    #[test]
    fn invalid_queries_are_refused_before_planning() {
        let q = Query {
            sort: vec![SortKey::asc(Field::Email)],
            ..Query::default()
        };
        let e = plan(&Capability::full(), &q).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Validation);
    }

    #[test]
    fn the_header_is_ascii_and_bounded() {
        let q = Query::filtered(name_contains("émile \\ \u{1}"));
        let p = plan(&narrow(), &Query::filtered(Filter::Search("x".into()))).unwrap();
        assert!(p.explain.header().is_ascii());
        let p = plan(&Capability::full(), &q).unwrap();
        assert_eq!(
            p.explain.header(),
            "pushed: filter(name.display contains_ci '\\u{e9}mile \\\\ \\u{1}'); local: none"
        );
        assert_eq!(
            p.explain.to_string(),
            "pushed: filter(name.display contains_ci 'émile \\ \u{1}'); local: none"
        );
        let long = "ü".repeat(2000);
        let q = Query {
            filter: Filter::all([name_contains(&long), Filter::Search(long.clone())]),
            limit: Some(3),
            ..Query::default()
        };
        let mut p = plan(&narrow(), &q).unwrap();
        p.explain.backend = Some("upstream:tenant".into());
        let h = p.explain.header();
        assert!(h.is_ascii());
        assert!(h.len() <= Explain::HEADER_MAX, "{} bytes", h.len());
        assert!(h.starts_with("pushed: filter(name.display contains_ci '\\u{fc}"));
        // Each step is cut on its own, so the local part still shows.
        assert!(
            h.contains("..., all matches, in pages of 100; local: filter(search '\\u{fc}"),
            "{h}"
        );
        assert!(!h.contains("\\u..."), "escapes are not cut: {h}");
        assert!(h.ends_with("limit 3; backend: upstream:tenant, 0 calls, 0 records fetched"));
        let many = Explain {
            pushed: vec!["é".repeat(100); 8],
            local: vec!["x".into()],
            ..Explain::default()
        };
        let h = many.header();
        // The cut falls between escapes, so up to one escape's bytes stay unused.
        assert!(
            (Explain::HEADER_MAX - 8..=Explain::HEADER_MAX).contains(&h.len()),
            "{} bytes",
            h.len()
        );
        assert!(h.ends_with("\\u{e9}..."), "{h}");
        assert!(!h.contains("local"));
        let short = Explain {
            pushed: vec!["list".into()],
            backend: Some("memory".into()),
            calls: 1,
            fetched: 1,
            ..Explain::default()
        };
        assert_eq!(
            short.header(),
            "pushed: list; local: none; backend: memory, 1 call, 1 record fetched"
        );
    }
}
