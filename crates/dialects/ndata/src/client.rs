//! A [`CustomerStore`] over a real NData system.
//!
//! The client logs in with `POST /api/auth`, keeps the `tokenId` and `refreshToken`, and
//! on a 401 renews them once (refresh, else a new login) before retrying the call. The
//! tokens live behind one async mutex with a generation counter: when many calls get a
//! 401 at once, the first renews and the others, seeing a newer generation, use its
//! tokens, so a single refresh is ever in flight.

use std::fmt;

use async_trait::async_trait;
use bytes::Bytes;
use chrono::Utc;
use custgate_core::{
    Capability, Count, CreateOptions, Customer, CustomerId, CustomerStore, Error, ErrorKind, Key,
    Operation, Page, Query, Status, TenantId, Version,
};
use custgate_upstream::{parse_json, Upstream};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION, IF_MATCH};
use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Mutex;

use crate::config::ClientConfig;
use crate::{convert, error, query, wire};

const UPSTREAM: &str = "ndata";

const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

struct Tokens {
    access: SecretString,
    refresh: SecretString,
}

#[derive(Default)]
struct TokenState {
    /// Bumped on every login or refresh.
    generation: u64,
    tokens: Option<Tokens>,
}

/// The NData upstream client.
pub struct Client {
    config: ClientConfig,
    upstream: Upstream,
    capability: Capability,
    auth: Mutex<TokenState>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("upstream", &self.upstream)
            .field("user_name", &self.config.user_name)
            .finish_non_exhaustive()
    }
}

fn upstream_error(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::UpstreamUnavailable, message).with_context("upstream", UPSTREAM)
}

impl Client {
    /// A client for the NData system at `config.upstream.base_url`. It logs in on first
    /// use.
    pub fn new(config: ClientConfig) -> Result<Self, Error> {
        let upstream = Upstream::new(UPSTREAM, config.upstream.clone())?;
        if config.max_take == 0 {
            return Err(Error::validation_field("max_take", "must be at least 1"));
        }
        if config.user_name.trim().is_empty() {
            return Err(Error::validation_field("user_name", "must not be empty"));
        }
        Ok(Self {
            capability: crate::capability(config.max_take),
            config,
            upstream,
            auth: Mutex::new(TokenState::default()),
        })
    }

    /// The upstream handle: its breaker state, and where to attach metrics.
    pub fn upstream(&self) -> &Upstream {
        &self.upstream
    }

    /// Logs in with the configured user.
    async fn login(&self) -> Result<Tokens, Error> {
        let body = serde_json::json!({
            "UserName": self.config.user_name,
            "Password": self.config.password.expose_secret(),
            "DeviceName": self.config.device_name,
        });
        let url = self.upstream.url("api/auth")?;
        let (status, _, bytes) = self
            .upstream
            .send_session("login", self.upstream.http().post(url).json(&body))
            .await?;
        match status {
            200..=299 => self.tokens(&bytes),
            401 | 403 => Err(Error::new(
                ErrorKind::UpstreamAuth,
                "upstream ndata refused the configured user name or password",
            )
            .with_context("upstream", UPSTREAM)),
            _ => Err(error::from_problem(UPSTREAM, status, &bytes)),
        }
    }

    /// Trades a refresh token for new tokens.
    async fn refresh(&self, refresh: &SecretString) -> Result<Tokens, Error> {
        let body = serde_json::json!({ "refreshToken": refresh.expose_secret() });
        let url = self.upstream.url("api/auth/refresh")?;
        let (status, _, bytes) = self
            .upstream
            .send_session("refresh", self.upstream.http().post(url).json(&body))
            .await?;
        if (200..300).contains(&status) {
            self.tokens(&bytes)
        } else {
            Err(error::from_problem(UPSTREAM, status, &bytes))
        }
    }

    fn tokens(&self, bytes: &[u8]) -> Result<Tokens, Error> {
        let r: wire::AuthResponse =
            parse_json(UPSTREAM, bytes, self.upstream.config().max_json_depth)?;
        if r.token_id.is_empty() {
            return Err(upstream_error(
                "upstream ndata answered the login without a tokenId",
            ));
        }
        Ok(Tokens {
            access: SecretString::from(r.token_id),
            refresh: SecretString::from(r.refresh_token),
        })
    }

    /// The current token and its generation, logging in first when there is none.
    async fn token(&self) -> Result<(u64, String), Error> {
        let mut st = self.auth.lock().await;
        if let Some(t) = &st.tokens {
            return Ok((st.generation, t.access.expose_secret().to_owned()));
        }
        let t = self.login().await?;
        let access = t.access.expose_secret().to_owned();
        st.generation += 1;
        st.tokens = Some(t);
        Ok((st.generation, access))
    }

    /// New tokens after the token of generation `seen` was refused. Whoever gets the
    /// lock first renews; later callers find a newer generation and use it.
    async fn renew(&self, seen: u64) -> Result<(u64, String), Error> {
        let mut st = self.auth.lock().await;
        if st.generation != seen {
            if let Some(t) = &st.tokens {
                return Ok((st.generation, t.access.expose_secret().to_owned()));
            }
        }
        let refreshed = match st.tokens.take() {
            Some(old) if !old.refresh.expose_secret().is_empty() => {
                match self.refresh(&old.refresh).await {
                    Ok(t) => Some(t),
                    Err(e) => {
                        tracing::info!(error = %e, "Refreshing the ndata token failed; logging in again");
                        None
                    }
                }
            }
            _ => None,
        };
        let t = match refreshed {
            Some(t) => t,
            None => self.login().await?,
        };
        let access = t.access.expose_secret().to_owned();
        st.generation += 1;
        st.tokens = Some(t);
        Ok((st.generation, access))
    }

    fn request(
        &self,
        method: &Method,
        path: &str,
        params: &[(String, String)],
        body: Option<&serde_json::Value>,
        headers: &HeaderMap,
        token: &str,
    ) -> Result<reqwest::RequestBuilder, Error> {
        let url = self.upstream.url(path)?;
        let mut rb = self
            .upstream
            .http()
            .request(method.clone(), url)
            .headers(headers.clone())
            .header(AUTHORIZATION, format!("Bearer {token}"));
        if !params.is_empty() {
            rb = rb.query(params);
        }
        if let Some(b) = body {
            rb = rb.json(b);
        }
        Ok(rb)
    }

    /// One authenticated call, renewing the token once on a 401: the body of a 2xx
    /// answer, else the upstream's problem as a canonical error.
    async fn call(
        &self,
        operation: &'static str,
        method: Method,
        path: &str,
        params: &[(String, String)],
        body: Option<&serde_json::Value>,
        headers: HeaderMap,
    ) -> Result<Bytes, Error> {
        let (generation, token) = self.token().await?;
        let rb = self.request(&method, path, params, body, &headers, &token)?;
        let (mut status, _, mut bytes) = self.upstream.send(operation, rb).await?;
        if status == 401 {
            let (_, token) = self.renew(generation).await?;
            let rb = self.request(&method, path, params, body, &headers, &token)?;
            (status, _, bytes) = self.upstream.send(operation, rb).await?;
            if status == 401 {
                return Err(Error::new(
                    ErrorKind::UpstreamAuth,
                    "upstream ndata refused the gateway's token even after logging in again",
                )
                .with_context("upstream", UPSTREAM));
            }
        }
        if !(200..300).contains(&status) {
            return Err(error::from_problem(UPSTREAM, status, &bytes));
        }
        Ok(bytes)
    }

    fn customer(&self, bytes: &[u8]) -> Result<Customer, Error> {
        let w: wire::Customer = parse_json(UPSTREAM, bytes, self.upstream.config().max_json_depth)?;
        from_upstream(&w)
    }

    fn customer_path(id: &CustomerId) -> String {
        format!("customers/{}", utf8_percent_encode(id.as_str(), SEGMENT))
    }

    /// One page as NData answers it.
    async fn page(&self, q: &Query) -> Result<wire::QueryResult<wire::Customer>, Error> {
        let params = query::to_params(q)?;
        let bytes = self
            .call(
                "query",
                Method::GET,
                "customers",
                &params,
                None,
                HeaderMap::new(),
            )
            .await?;
        parse_json(UPSTREAM, &bytes, self.upstream.config().max_json_depth)
    }

    async fn put(
        &self,
        operation: &'static str,
        c: &Customer,
        version: Option<Version>,
    ) -> Result<Customer, Error> {
        let bytes = self
            .call(
                operation,
                Method::PUT,
                &Self::customer_path(&c.id),
                &[],
                Some(&body(c, version)?),
                if_match(version),
            )
            .await?;
        self.customer(&bytes)
    }
}

/// The body of a write: the customer as NData shows it, without the derived `status`,
/// with `_v` when the write is conditional.
fn body(c: &Customer, version: Option<Version>) -> Result<serde_json::Value, Error> {
    let mut w = convert::to_wire(c, Utc::now());
    w.status = None;
    w.version = version.map(Version::get);
    serde_json::to_value(&w)
        .map_err(|e| Error::unexpected(format!("cannot write the customer as JSON: {e}")))
}

fn if_match(version: Option<Version>) -> HeaderMap {
    let mut h = HeaderMap::new();
    if let Some(v) = version {
        if let Ok(value) = HeaderValue::from_str(&format!("\"{v}\"")) {
            h.insert(IF_MATCH, value);
        }
    }
    h
}

/// A canonical record from an upstream NData body: its id and `_v` are the upstream's.
pub fn from_upstream(w: &wire::Customer) -> Result<Customer, Error> {
    if w.id.is_none() {
        return Err(upstream_error(
            "upstream ndata answered a customer without an id",
        ));
    }
    let mut c = convert::to_canonical(w).map_err(|e| {
        upstream_error(format!("upstream ndata answered an unusable customer: {e}"))
    })?;
    if let Some(v) = w.version {
        c.version = Version::new(v)
            .map_err(|_| upstream_error("upstream ndata answered a customer with _v 0"))?;
    }
    Ok(c)
}

#[async_trait]
impl CustomerStore for Client {
    fn capability(&self) -> &Capability {
        &self.capability
    }

    fn name(&self) -> &str {
        "upstream:ndata"
    }

    #[tracing::instrument(name = "ndata.client.query", skip_all)]
    async fn query(&self, _tenant: &TenantId, q: &Query) -> Result<Page, Error> {
        q.check()?;
        self.capability.check_query(q)?;
        let max = self.config.max_take;
        if q.count == Count::Only {
            let r = self.page(q).await?;
            return Ok(Page {
                items: Vec::new(),
                total: Some(r.total_count),
            });
        }
        // Page through the upstream in pages of at most `max_take`.
        let mut items = Vec::new();
        let mut total = None;
        let mut offset = q.offset;
        let mut remaining = q.limit.map(u64::from);
        loop {
            let ask = remaining.map_or(max, |r| r.min(u64::from(max)) as u32);
            if ask == 0 && total.is_some() {
                break;
            }
            let sub = Query {
                offset,
                limit: Some(ask),
                count: Count::WithTotal,
                ..q.clone()
            };
            let r = self.page(&sub).await?;
            total.get_or_insert(r.total_count);
            let got = r.items.unwrap_or_default();
            let n = got.len() as u64;
            for w in &got {
                items.push(from_upstream(w)?);
            }
            offset += n;
            if let Some(r) = remaining.as_mut() {
                *r = r.saturating_sub(n);
            }
            let done = n < u64::from(ask)
                || n == 0
                || remaining == Some(0)
                || total.is_some_and(|t| offset >= t);
            if done {
                break;
            }
        }
        Ok(Page {
            items,
            total: (q.count == Count::WithTotal).then_some(total.unwrap_or(0)),
        })
    }

    #[tracing::instrument(name = "ndata.client.get", skip_all, fields(id = %id))]
    async fn get(&self, _tenant: &TenantId, id: &CustomerId) -> Result<Customer, Error> {
        self.capability.check_op(Operation::Get)?;
        let bytes = self
            .call(
                "get",
                Method::GET,
                &Self::customer_path(id),
                &[],
                None,
                HeaderMap::new(),
            )
            .await?;
        self.customer(&bytes)
    }

    async fn find(&self, tenant: &TenantId, key: &Key) -> Result<Vec<Customer>, Error> {
        self.capability.check_find(key)?;
        Ok(self
            .query(tenant, &Query::filtered(key.to_filter()))
            .await?
            .items)
    }

    #[tracing::instrument(name = "ndata.client.create", skip_all, fields(id = %customer.id))]
    async fn create(
        &self,
        _tenant: &TenantId,
        customer: Customer,
        options: CreateOptions,
    ) -> Result<Customer, Error> {
        self.capability.check_create(&options)?;
        customer.check()?;
        let bytes = self
            .call(
                "create",
                Method::POST,
                "customers",
                &[],
                Some(&body(&customer, None)?),
                HeaderMap::new(),
            )
            .await?;
        self.customer(&bytes)
    }

    /// NData's PUT creates a missing customer, so the record is read first: a missing
    /// one is `NotFound`, and `expected` is checked (and sent as `_v` and `If-Match`).
    #[tracing::instrument(name = "ndata.client.update", skip_all, fields(id = %customer.id))]
    async fn update(
        &self,
        tenant: &TenantId,
        customer: Customer,
        expected: Option<Version>,
    ) -> Result<Customer, Error> {
        self.capability.check_op(Operation::Update)?;
        customer.check()?;
        let stored = self.get(tenant, &customer.id).await?;
        if let Some(e) = expected {
            if e != stored.version {
                return Err(Error::version_mismatch(stored.version));
            }
        }
        self.put("update", &customer, expected).await
    }

    #[tracing::instrument(name = "ndata.client.delete", skip_all, fields(id = %id))]
    async fn delete(
        &self,
        tenant: &TenantId,
        id: &CustomerId,
        expected: Option<Version>,
    ) -> Result<Customer, Error> {
        self.capability.check_op(Operation::Delete)?;
        if let Some(e) = expected {
            let stored = self.get(tenant, id).await?;
            if e != stored.version {
                return Err(Error::version_mismatch(stored.version));
            }
        }
        let bytes = self
            .call(
                "delete",
                Method::DELETE,
                &Self::customer_path(id),
                &[],
                None,
                if_match(expected),
            )
            .await?;
        self.customer(&bytes)
    }

    /// NData knows active and inactive only (`isActive`); other statuses are
    /// `Unsupported`.
    #[tracing::instrument(name = "ndata.client.set_status", skip_all, fields(id = %id))]
    async fn set_status(
        &self,
        tenant: &TenantId,
        id: &CustomerId,
        status: Status,
    ) -> Result<Customer, Error> {
        self.capability.check_op(Operation::SetStatus)?;
        if !matches!(status, Status::Active | Status::Inactive) {
            return Err(Capability::unsupported(format_args!(
                "status '{}' (NData only knows active and inactive)",
                status.as_str()
            )));
        }
        let mut c = self.get(tenant, id).await?;
        c.status = status;
        let version = c.version;
        self.put("set_status", &c, Some(version)).await
    }

    async fn health(&self) -> Result<(), Error> {
        let probe = Query {
            limit: Some(0),
            count: Count::Only,
            ..Query::default()
        };
        self.page(&probe).await.map(|_| ())
    }
}
