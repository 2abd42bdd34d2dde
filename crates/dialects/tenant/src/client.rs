//! A [`CustomerStore`] over a real system speaking this dialect (feature `client`).
//!
//! The upstream's own tenant is the one its license token names, so the `tenant` passed
//! to each call (the gateway's tenant this client is configured for) is not sent.
//! Canonical ids of records read through the client are their decimal `cusId`.
//!
//! The API has no read or delete by id, so:
//! - `get` finds a `cusId` by binary search over the list sorted by `cusId` (a record's
//!   position is never above its `cusId`): one request when ids are dense, about
//!   log2(n / page size) otherwise;
//! - `delete` finds the record that way, checks that the upstream's delete-by-name would
//!   hit exactly that record (the lowest `cusId` with its name), then deletes by name.

use std::fmt;
use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use custgate_core::{
    Capability, Count, CreateOptions, Customer, CustomerId, CustomerStore, Error, ErrorKind, Field,
    Filter, Key, Operation, Page, Query, SortKey, Status, TenantId, TextOp, Version,
};
use custgate_upstream::{parse_json, status_error, Upstream};
use reqwest::header::{HeaderMap, LOCATION};
use reqwest::Method;
use secrecy::ExposeSecret;

use crate::config::{ClientAuth, ClientConfig};
use crate::convert::{from_record, to_body};
use crate::query::ListParams;
use crate::wire::{CustomerBody, CustomerRecord, LoginRequest, LoginResponse, ProblemDetails};

/// The upstream's name in errors and logs.
pub const UPSTREAM: &str = "tenant";

/// The most requests one binary search may take.
const MAX_SEARCH_STEPS: usize = 64;

/// A client of one upstream Pristine Invoice system (one upstream tenant).
pub struct Client {
    config: ClientConfig,
    upstream: Upstream,
    capability: Capability,
    token: RwLock<Option<Arc<str>>>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("upstream", &self.upstream)
            .finish_non_exhaustive()
    }
}

struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Client {
    /// A client with a pooled connection; nothing is sent until the first call.
    pub fn new(config: ClientConfig) -> Result<Self, Error> {
        let upstream = Upstream::new(UPSTREAM, config.upstream.clone())?;
        if config.page_size == 0 {
            return Err(Error::validation_field("page_size", "must be at least 1"));
        }
        Ok(Self {
            config,
            upstream,
            capability: crate::capability(),
            token: RwLock::new(None),
        })
    }

    /// The upstream handle: its breaker state, and where to attach metrics.
    pub fn upstream(&self) -> &Upstream {
        &self.upstream
    }

    fn is_login(&self) -> bool {
        matches!(self.config.auth, ClientAuth::Login { .. })
    }

    /// The token to send; with login credentials a cached one unless `renew`.
    async fn bearer(&self, renew: bool) -> Result<Arc<str>, Error> {
        let (tenant_id, user_id, password) = match &self.config.auth {
            ClientAuth::Token { token } => return Ok(Arc::from(token.expose_secret())),
            ClientAuth::Login {
                tenant_id,
                user_id,
                password,
            } => (tenant_id, user_id, password),
        };
        if !renew {
            if let Some(t) = self.token.read().ok().and_then(|t| t.clone()) {
                return Ok(t);
            }
        }
        let body = LoginRequest {
            tenant_id: tenant_id.clone(),
            user_id: user_id.clone(),
            password: password.expose_secret().to_owned(),
        };
        let url = self.upstream.url("api/account/login")?;
        let (status, _, bytes) = self
            .upstream
            .send_session("login", self.upstream.http().post(url).json(&body))
            .await?;
        if status != 200 {
            return Err(if status >= 500 {
                self.failure(status, &bytes)
            } else {
                Error::new(
                    ErrorKind::UpstreamAuth,
                    format!("upstream {UPSTREAM} refused the gateway's login ({status})"),
                )
            });
        }
        let answer: LoginResponse =
            parse_json(UPSTREAM, &bytes, self.upstream.config().max_json_depth)?;
        let token: Arc<str> = Arc::from(answer.token);
        if let Ok(mut slot) = self.token.write() {
            *slot = Some(token.clone());
        }
        Ok(token)
    }

    /// Sends one request with the token, logging in again once on a 401 when the
    /// client has credentials.
    async fn call(
        &self,
        operation: &'static str,
        method: Method,
        url: reqwest::Url,
        query: &[(&str, String)],
        body: Option<&CustomerBody>,
    ) -> Result<Answer, Error> {
        let mut renew = false;
        loop {
            let token = self.bearer(renew).await?;
            let mut rb = self
                .upstream
                .http()
                .request(method.clone(), url.clone())
                .bearer_auth(&*token)
                .query(query);
            if let Some(b) = body {
                rb = rb.json(b);
            }
            let (status, headers, bytes) = self.upstream.send(operation, rb).await?;
            if status == 401 && !renew && self.is_login() {
                renew = true;
                continue;
            }
            return Ok(Answer {
                status,
                headers,
                body: bytes.to_vec(),
            });
        }
    }

    /// A canonical error for an unsuccessful answer, with the upstream's field messages.
    fn failure(&self, status: u16, body: &[u8]) -> Error {
        let problem: Option<ProblemDetails> = serde_json::from_slice(body).ok();
        let mut message = problem
            .as_ref()
            .and_then(|p| p.detail.clone().or_else(|| p.title.clone()))
            .unwrap_or_else(|| format!("upstream {UPSTREAM} answered {status}"));
        if message.len() > 500 {
            let mut cut = 500;
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            message.truncate(cut);
        }
        let fields = problem.map(|p| p.field_errors()).unwrap_or_default();
        let err = status_error(UPSTREAM, status, message);
        if fields.is_empty() {
            err
        } else {
            err.with_fields(fields)
        }
    }

    fn record(&self, body: &[u8]) -> Result<CustomerRecord, Error> {
        parse_json(UPSTREAM, body, self.upstream.config().max_json_depth)
    }

    fn customer_url(&self, segment: Option<&str>) -> Result<reqwest::Url, Error> {
        match segment {
            None => self.upstream.url("api/customer"),
            Some(s) => {
                if s.is_empty() || s == "." || s == ".." {
                    return Err(Error::unsupported(format!(
                        "the tenant API cannot address the customer '{s}' in a URL"
                    )));
                }
                self.upstream
                    .url(&format!("api/customer/{}", crate::wire::encode_segment(s)))
            }
        }
    }

    /// One page of the list; the total when the upstream sent `X-Total-Count`.
    async fn fetch_page(
        &self,
        params: &ListParams,
        page_number: u64,
        page_size: u32,
    ) -> Result<(Vec<CustomerRecord>, Option<u64>), Error> {
        let params = ListParams {
            page_number,
            page_size,
            ..params.clone()
        };
        let a = self
            .call(
                "query",
                Method::GET,
                self.customer_url(None)?,
                &params.to_pairs(),
                None,
            )
            .await?;
        if a.status != 200 {
            return Err(self.failure(a.status, &a.body));
        }
        let total = match a.headers.get("x-total-count") {
            None => None,
            Some(v) => Some(
                v.to_str()
                    .ok()
                    .and_then(|s| s.trim().parse::<u64>().ok())
                    .ok_or_else(|| {
                        Error::new(
                            ErrorKind::UpstreamUnavailable,
                            format!("upstream {UPSTREAM} sent a malformed X-Total-Count"),
                        )
                    })?,
            ),
        };
        let records: Vec<CustomerRecord> =
            parse_json(UPSTREAM, &a.body, self.upstream.config().max_json_depth)?;
        Ok((records, total))
    }

    /// The record with this `cusId`, by binary search over the pages sorted by `cusId`.
    async fn locate(&self, cus_id: i64) -> Result<Option<CustomerRecord>, Error> {
        let Ok(position) = u64::try_from(cus_id) else {
            return Ok(None);
        };
        if position == 0 {
            return Ok(None);
        }
        let params = ListParams {
            sort_by: Some(Field::Seq),
            ..ListParams::default()
        };
        let size = self.config.page_size;
        let per_page = u64::from(size);
        // Ids are distinct positive integers, so the record's position is at most its id.
        let (mut lo, mut hi) = (1u64, (position - 1) / per_page + 1);
        let mut guess = hi;
        for _ in 0..MAX_SEARCH_STEPS {
            if lo > hi {
                return Ok(None);
            }
            let (records, total) = self.fetch_page(&params, guess, size).await?;
            if let Some(t) = total {
                hi = hi.min(t.div_ceil(per_page));
            }
            match (records.first(), records.last()) {
                (Some(first), Some(last)) => {
                    if cus_id < first.cus_id {
                        hi = guess - 1;
                    } else if cus_id > last.cus_id {
                        lo = guess + 1;
                    } else {
                        return Ok(records.into_iter().find(|r| r.cus_id == cus_id));
                    }
                }
                _ => hi = hi.min(guess - 1),
            }
            if lo > hi {
                return Ok(None);
            }
            guess = lo + (hi - lo) / 2;
        }
        Err(Error::new(
            ErrorKind::UpstreamUnavailable,
            format!(
                "upstream {UPSTREAM}: customer {cus_id} not located in {MAX_SEARCH_STEPS} pages"
            ),
        ))
    }

    fn cus_id(id: &CustomerId) -> Option<i64> {
        id.as_str().trim().parse().ok()
    }

    fn not_found(id: impl fmt::Display) -> Error {
        Error::not_found(format!("customer '{id}' does not exist upstream"))
    }

    /// The record of a write's answer: its body, or else what `fallback` reads.
    async fn written(
        &self,
        a: &Answer,
        request_url: &reqwest::Url,
        fallback_id: Option<i64>,
    ) -> Result<Customer, Error> {
        if !a.body.iter().all(u8::is_ascii_whitespace) {
            return from_record(&self.record(&a.body)?);
        }
        if let Some(id) = fallback_id {
            let r = self.locate(id).await?.ok_or_else(|| Self::not_found(id))?;
            return from_record(&r);
        }
        let location = a
            .headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::UpstreamUnavailable,
                    format!("upstream {UPSTREAM} created a customer but sent neither it nor its Location"),
                )
            })?;
        let url = request_url.join(location).map_err(|e| {
            Error::new(
                ErrorKind::UpstreamUnavailable,
                format!("upstream {UPSTREAM} sent a bad Location: {e}"),
            )
        })?;
        let got = self.call("get", Method::GET, url, &[], None).await?;
        if got.status != 200 {
            return Err(self.failure(got.status, &got.body));
        }
        from_record(&self.record(&got.body)?)
    }
}

#[async_trait]
impl CustomerStore for Client {
    fn capability(&self) -> &Capability {
        &self.capability
    }

    fn name(&self) -> &str {
        "upstream:tenant"
    }

    async fn query(&self, _tenant: &TenantId, q: &Query) -> Result<Page, Error> {
        self.capability.check_query(q)?;
        q.check()?;
        let mut params = ListParams::from_query(q)?;
        // The canonical order ends with `seq`: ask for it explicitly so pages are stable.
        params.sort_by.get_or_insert(Field::Seq);
        let want_total = q.count != Count::None;
        if q.count == Count::Only || q.limit == Some(0) {
            let total = if want_total {
                Some(self.total(&params).await?)
            } else {
                None
            };
            return Ok(Page {
                items: Vec::new(),
                total,
            });
        }
        let limit = q.limit.map(u64::from);
        let size = q
            .limit
            .map_or(self.config.page_size, |l| l.min(self.config.page_size));
        let per_page = u64::from(size);
        let mut page = q.offset / per_page + 1;
        let mut skip = usize::try_from(q.offset % per_page).unwrap_or(usize::MAX);
        let mut items = Vec::new();
        let mut total = None;
        loop {
            let (records, t) = self.fetch_page(&params, page, size).await?;
            total = total.or(t);
            let n = records.len() as u64;
            for r in records.into_iter().skip(skip) {
                if limit.is_some_and(|l| items.len() as u64 >= l) {
                    break;
                }
                items.push(from_record(&r)?);
            }
            skip = 0;
            let full = limit.is_some_and(|l| items.len() as u64 >= l);
            let last = n < per_page || total.is_some_and(|t| page.saturating_mul(per_page) >= t);
            if full || last {
                break;
            }
            page += 1;
        }
        if want_total && total.is_none() {
            return Err(Error::new(
                ErrorKind::UpstreamUnavailable,
                format!("upstream {UPSTREAM} sent no X-Total-Count"),
            ));
        }
        Ok(Page {
            items,
            total: if want_total { total } else { None },
        })
    }

    async fn get(&self, _tenant: &TenantId, id: &CustomerId) -> Result<Customer, Error> {
        self.capability.check_op(Operation::Get)?;
        let cus_id = Self::cus_id(id).ok_or_else(|| Self::not_found(id))?;
        let r = self
            .locate(cus_id)
            .await?
            .ok_or_else(|| Self::not_found(id))?;
        from_record(&r)
    }

    async fn find(&self, tenant: &TenantId, key: &Key) -> Result<Vec<Customer>, Error> {
        self.capability.check_find(key)?;
        let (filter, exact_name) = match key {
            Key::Seq(n) => {
                return match self.locate(*n).await? {
                    Some(r) => Ok(vec![from_record(&r)?]),
                    None => Ok(Vec::new()),
                }
            }
            // The API's name filter is a case-insensitive contains: narrow it here.
            Key::Name(n) => (
                Filter::Text {
                    field: Field::DisplayName,
                    op: TextOp::Contains,
                    value: n.trim().to_owned(),
                    case_insensitive: true,
                },
                Some(n.trim()),
            ),
            other => (other.to_filter(), None),
        };
        let q = Query {
            filter: Some(filter),
            sort: vec![SortKey::asc(Field::Seq)],
            ..Query::default()
        };
        let mut items = self.query(tenant, &q).await?.items;
        if let Some(name) = exact_name {
            items.retain(|c| c.name.display.as_deref() == Some(name));
        }
        Ok(items)
    }

    async fn create(
        &self,
        _tenant: &TenantId,
        customer: Customer,
        options: CreateOptions,
    ) -> Result<Customer, Error> {
        self.capability.check_create(&options)?;
        let url = self.customer_url(None)?;
        let a = self
            .call(
                "create",
                Method::POST,
                url.clone(),
                &[],
                Some(&to_body(&customer)),
            )
            .await?;
        if !matches!(a.status, 200 | 201) {
            return Err(self.failure(a.status, &a.body));
        }
        self.written(&a, &url, None).await
    }

    async fn update(
        &self,
        _tenant: &TenantId,
        customer: Customer,
        expected: Option<Version>,
    ) -> Result<Customer, Error> {
        self.capability.check_write(Operation::Update, expected)?;
        let cus_id = customer
            .seq
            .or_else(|| Self::cus_id(&customer.id))
            .ok_or_else(|| Self::not_found(&customer.id))?;
        let url = self.customer_url(Some(&cus_id.to_string()))?;
        let a = self
            .call(
                "update",
                Method::PUT,
                url.clone(),
                &[],
                Some(&to_body(&customer)),
            )
            .await?;
        if a.status != 200 && a.status != 204 {
            return Err(self.failure(a.status, &a.body));
        }
        self.written(&a, &url, Some(cus_id)).await
    }

    async fn delete(
        &self,
        _tenant: &TenantId,
        id: &CustomerId,
        expected: Option<Version>,
    ) -> Result<Customer, Error> {
        self.capability.check_write(Operation::Delete, expected)?;
        let cus_id = Self::cus_id(id).ok_or_else(|| Self::not_found(id))?;
        let record = self
            .locate(cus_id)
            .await?
            .ok_or_else(|| Self::not_found(id))?;
        let name = record.cus_name.clone().ok_or_else(|| {
            Error::unsupported(format!(
                "the tenant API deletes by name and customer {cus_id} has none"
            ))
        })?;
        let url = self.customer_url(Some(&name))?;
        // The upstream deletes the first customer with the name: make sure it is this one.
        let first = self
            .call("get", Method::GET, url.clone(), &[], None)
            .await?;
        if first.status != 200 {
            return Err(self.failure(first.status, &first.body));
        }
        let first = self.record(&first.body)?;
        if first.cus_id != cus_id {
            return Err(Error::unsupported(format!(
                "the tenant API deletes by name and customer {} comes before {cus_id} under the name '{name}'",
                first.cus_id
            )));
        }
        let a = self.call("delete", Method::DELETE, url, &[], None).await?;
        if !matches!(a.status, 200 | 204) {
            return Err(self.failure(a.status, &a.body));
        }
        from_record(&record)
    }

    async fn set_status(
        &self,
        _tenant: &TenantId,
        _id: &CustomerId,
        _status: Status,
    ) -> Result<Customer, Error> {
        self.capability.check_op(Operation::SetStatus)?;
        Err(Error::unsupported("the tenant API has no customer status"))
    }

    async fn health(&self) -> Result<(), Error> {
        let params = ListParams {
            page_size: 1,
            ..ListParams::default()
        };
        let a = self
            .call(
                "health",
                Method::GET,
                self.customer_url(None)?,
                &params.to_pairs(),
                None,
            )
            .await?;
        if a.status == 200 {
            Ok(())
        } else {
            Err(self.failure(a.status, &a.body))
        }
    }
}

impl Client {
    async fn total(&self, params: &ListParams) -> Result<u64, Error> {
        let (_, total) = self.fetch_page(params, 1, 1).await?;
        total.ok_or_else(|| {
            Error::new(
                ErrorKind::UpstreamUnavailable,
                format!("upstream {UPSTREAM} sent no X-Total-Count"),
            )
        })
    }
}
