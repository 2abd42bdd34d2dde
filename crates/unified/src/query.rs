//! The list request: `filter`, `q`, `sort`, `limit`, `cursor` and `total` → a canonical
//! [`Query`], and the opaque cursors that page through it.

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, URL_SAFE_NO_PAD};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use custgate_core::{Count, Error, Field, FieldError, Filter, Query, Result, SortKey, TenantId};
use sha2::{Digest, Sha256};

use crate::config::PageSizes;
use crate::filter::parse_filter;

/// The most sort keys one request may name.
pub const MAX_SORT_KEYS: usize = 8;
/// The longest free-text search term, in bytes.
pub const MAX_SEARCH_BYTES: usize = 256;

/// A parsed list request.
#[derive(Clone, Debug, PartialEq)]
pub struct ListRequest {
    pub filter: Option<Filter>,
    pub sort: Vec<SortKey>,
    pub offset: u64,
    pub limit: u32,
    pub total: bool,
    /// Identifies the filter and sort, so a cursor cannot be used with another query.
    pub query_hash: String,
}

impl ListRequest {
    /// The store query: one item more than the page, to learn whether another follows.
    pub fn store_query(&self) -> Query {
        Query {
            filter: self.filter.clone(),
            sort: self.sort.clone(),
            offset: self.offset,
            limit: Some(self.limit.saturating_add(1)),
            count: if self.total {
                Count::WithTotal
            } else {
                Count::None
            },
        }
    }

    /// The cursor of the page after this one.
    pub fn next_cursor(&self) -> String {
        encode_cursor(self.offset + u64::from(self.limit), &self.query_hash)
    }
}

fn field_error(field: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.to_owned(),
        message: message.into(),
    }
}

/// Parses the query string of `GET /unified/v1/customers`. Every problem is reported at
/// once, each naming its parameter.
pub fn parse_list(query_string: &str, tenant: &TenantId, pages: PageSizes) -> Result<ListRequest> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query_string).map_err(|e| {
        Error::validation_field("query", format!("is not a valid query string: {e}"))
    })?;
    let mut errors = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    let (mut filter_raw, mut q_raw, mut sort_raw, mut limit_raw, mut cursor_raw, mut total_raw) =
        (None, None, None, None, None, None);
    for (name, value) in &pairs {
        let slot = match name.as_str() {
            "filter" => &mut filter_raw,
            "q" => &mut q_raw,
            "sort" => &mut sort_raw,
            "limit" => &mut limit_raw,
            "cursor" => &mut cursor_raw,
            "total" => &mut total_raw,
            other => {
                errors.push(field_error(
                    other,
                    "is not a parameter of this endpoint (filter, q, sort, limit, cursor, total)",
                ));
                continue;
            }
        };
        if seen.contains(&name.as_str()) {
            errors.push(field_error(name, "is given more than once"));
            continue;
        }
        seen.push(name);
        *slot = Some(value.as_str());
    }

    let mut filters = Vec::new();
    let mut query_ok = true;
    if let Some(raw) = filter_raw.filter(|s| !s.trim().is_empty()) {
        match parse_filter(raw) {
            Ok(f) => filters.push(f),
            Err(e) => {
                query_ok = false;
                errors.extend(e.fields().iter().cloned());
            }
        }
    }
    if let Some(raw) = q_raw.map(str::trim).filter(|s| !s.is_empty()) {
        if raw.len() > MAX_SEARCH_BYTES {
            query_ok = false;
            errors.push(field_error(
                "q",
                format!("must be at most {MAX_SEARCH_BYTES} bytes"),
            ));
        } else {
            filters.push(Filter::Search(raw.to_owned()));
        }
    }
    let filter = Filter::all(filters);

    let sort = match sort_raw.map(parse_sort).unwrap_or(Ok(Vec::new())) {
        Ok(s) => s,
        Err(e) => {
            query_ok = false;
            errors.push(e);
            Vec::new()
        }
    };

    let limit = match limit_raw {
        None => pages.default,
        Some(raw) => match raw.trim().parse::<u32>() {
            Ok(n) if (1..=pages.max).contains(&n) => n,
            _ => {
                errors.push(field_error(
                    "limit",
                    format!("must be an integer between 1 and {}", pages.max),
                ));
                pages.default
            }
        },
    };

    let total = match total_raw.map(str::trim) {
        None => false,
        Some(v) if v.eq_ignore_ascii_case("true") || v == "1" => true,
        Some(v) if v.eq_ignore_ascii_case("false") || v == "0" => false,
        Some(_) => {
            errors.push(field_error("total", "must be true or false"));
            false
        }
    };

    let query_hash = query_hash(tenant, filter.as_ref(), &sort);
    let offset = match cursor_raw.filter(|s| !s.is_empty()) {
        None => 0,
        Some(raw) => match decode_cursor(raw) {
            Err(message) => {
                errors.push(field_error("cursor", message));
                0
            }
            Ok((offset, hash)) => {
                if query_ok && hash != query_hash {
                    errors.push(field_error(
                        "cursor",
                        "belongs to another query: keep filter, q and sort as they were when \
                         the cursor was issued",
                    ));
                }
                offset
            }
        },
    };

    if !errors.is_empty() {
        return Err(Error::validation(errors));
    }
    Ok(ListRequest {
        filter,
        sort,
        offset,
        limit,
        total,
        query_hash,
    })
}

/// Parses `sort`: a comma-separated list of field paths, each optionally prefixed with
/// `-` (descending) or `+` (ascending, the default).
pub fn parse_sort(raw: &str) -> std::result::Result<Vec<SortKey>, FieldError> {
    let mut keys: Vec<SortKey> = Vec::new();
    if raw.trim().is_empty() {
        return Ok(keys);
    }
    for part in raw.split(',') {
        let part = part.trim();
        let (descending, path) = match part.strip_prefix('-') {
            Some(p) => (true, p.trim()),
            None => (false, part.strip_prefix('+').unwrap_or(part).trim()),
        };
        if path.is_empty() {
            return Err(field_error("sort", "has an empty key"));
        }
        let Some(field) = Field::from_path(path) else {
            return Err(field_error("sort", format!("unknown field '{path}'")));
        };
        if field.is_multi() {
            return Err(field_error(
                "sort",
                format!("'{field}' holds several values and cannot be sorted on"),
            ));
        }
        if keys.iter().any(|k| k.field == field) {
            return Err(field_error("sort", format!("names '{field}' twice")));
        }
        keys.push(SortKey { field, descending });
        if keys.len() > MAX_SORT_KEYS {
            return Err(field_error(
                "sort",
                format!("names more than {MAX_SORT_KEYS} keys"),
            ));
        }
    }
    Ok(keys)
}

/// The canonical text of sort keys (`-name.display,seq`).
pub fn sort_text(keys: &[SortKey]) -> String {
    keys.iter()
        .map(|k| format!("{}{}", if k.descending { "-" } else { "" }, k.field))
        .collect::<Vec<_>>()
        .join(",")
}

/// A short hash of the tenant, the filter (in its canonical text) and the sort keys.
pub fn query_hash(tenant: &TenantId, filter: Option<&Filter>, sort: &[SortKey]) -> String {
    let filter = filter.map(ToString::to_string).unwrap_or_default();
    let digest = Sha256::digest(format!("{tenant}\n{filter}\n{}", sort_text(sort)).as_bytes());
    hex::encode(&digest[..12])
}

const CURSOR_VERSION: &str = "v1";

/// Encodes a cursor: base64url (no padding) of `v1.<offset>.<query hash>`.
pub fn encode_cursor(offset: u64, query_hash: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{CURSOR_VERSION}.{offset}.{query_hash}"))
}

/// Decodes a cursor into its offset and query hash.
pub fn decode_cursor(raw: &str) -> std::result::Result<(u64, String), String> {
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::URL_SAFE,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    let invalid = || "is not a cursor issued by this API".to_owned();
    if raw.len() > 128 {
        return Err(invalid());
    }
    let bytes = LENIENT.decode(raw.trim()).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let mut parts = text.splitn(3, '.');
    let (Some(version), Some(offset), Some(hash)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid());
    };
    if version != CURSOR_VERSION || hash.len() != 24 {
        return Err(invalid());
    }
    let offset = offset.parse::<u64>().map_err(|_| invalid())?;
    Ok((offset, hash.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGES: PageSizes = PageSizes {
        default: 50,
        max: 1000,
    };

    fn demo() -> TenantId {
        TenantId::parse("demo").unwrap()
    }

    fn check(query: &str, expected: std::result::Result<(&str, &str, u32, bool), &[&str]>) {
        let got = parse_list(query, &demo(), PAGES);
        match (got, expected) {
            (Ok(r), Ok((filter, sort, limit, total))) => {
                let shown = r
                    .filter
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default();
                assert_eq!(shown, filter, "{query}");
                assert_eq!(sort_text(&r.sort), sort, "{query}");
                assert_eq!(r.limit, limit, "{query}");
                assert_eq!(r.total, total, "{query}");
            }
            (Err(e), Err(fields)) => {
                let got: Vec<&str> = e.fields().iter().map(|f| f.field.as_str()).collect();
                assert_eq!(got, fields, "{query}: {e}");
            }
            (got, want) => panic!("{query}: got {got:?}, wanted {want:?}"),
        }
    }

    #[test]
    fn list_parameters() {
        check("", Ok(("", "", 50, false)));
        check(
            "filter=status%20eq%20%27active%27&sort=-name.display,seq&limit=10&total=true",
            Ok(("status eq 'active'", "-name.display,seq", 10, true)),
        );
        check(
            "q=zola&filter=seq+gt+1",
            Ok(("(seq gt 1 and search 'zola')", "", 50, false)),
        );
        check("sort=%2Bseq", Ok(("", "seq", 50, false)));
        check("sort=+seq", Ok(("", "seq", 50, false)));
        check("filter=&q=+", Ok(("", "", 50, false)));
        check("total=false&limit=1000", Ok(("", "", 1000, false)));
        check("limit=0", Err(&["limit"]));
        check("limit=1001", Err(&["limit"]));
        check("limit=x&total=maybe", Err(&["limit", "total"]));
        check("sort=emails.address", Err(&["sort"]));
        check("sort=nope", Err(&["sort"]));
        check("sort=seq,,status", Err(&["sort"]));
        check("sort=seq,-seq", Err(&["sort"]));
        check("filter=seq+gt", Err(&["filter"]));
        check("limit=5&limit=6", Err(&["limit"]));
        check("page=2&filter=nope+eq+1", Err(&["page", "filter"]));
        check("cursor=garbage!", Err(&["cursor"]));
        check(&format!("q={}", "x".repeat(300)), Err(&["q"]));
    }

    #[test]
    fn cursors_round_trip_and_are_bound_to_their_query() {
        let first = parse_list("filter=seq+gt+1&sort=-seq&limit=2", &demo(), PAGES).unwrap();
        let cursor = first.next_cursor();
        assert!(cursor
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        let second = parse_list(
            &format!("filter=seq%20gt%201&sort=-seq&limit=5&cursor={cursor}"),
            &demo(),
            PAGES,
        )
        .unwrap();
        assert_eq!(second.offset, 2);
        assert_eq!(second.next_cursor(), encode_cursor(7, &first.query_hash));

        for other in [
            "filter=seq+gt+2&sort=-seq",
            "filter=seq+gt+1&sort=seq",
            "filter=seq+gt+1",
            "sort=-seq",
            "filter=seq+gt+1&sort=-seq&q=x",
        ] {
            let e = parse_list(&format!("{other}&cursor={cursor}"), &demo(), PAGES).unwrap_err();
            assert_eq!(e.fields()[0].field, "cursor", "{other}");
            assert!(e.fields()[0].message.contains("another query"), "{other}");
        }
        let acme = TenantId::parse("acme").unwrap();
        assert!(parse_list(
            &format!("filter=seq+gt+1&sort=-seq&cursor={cursor}"),
            &acme,
            PAGES
        )
        .is_err());
        // Padding is optional.
        let padded =
            base64::engine::general_purpose::URL_SAFE.encode(format!("v1.2.{}", first.query_hash));
        assert!(padded.ends_with('='));
        assert_eq!(decode_cursor(&padded), Ok((2, first.query_hash.clone())));
        for bad in [
            "",
            "x",
            "djEuMS54",
            &URL_SAFE_NO_PAD.encode("v2.1.aaaaaaaaaaaaaaaaaaaaaaaa"),
        ] {
            assert!(decode_cursor(bad).is_err(), "{bad}");
        }
    }
}
