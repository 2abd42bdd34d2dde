//! The list query of `GET /api/customer` ↔ the canonical [`Query`], both ways.
//!
//! Parameter names and `SortBy` values match without regard to case. Filters are
//! AND-ed: `CusName` is a case-insensitive contains on the display name, `CusMobile`
//! equality on any phone's number (the local form `05xxxxxxxx` is accepted), `CusType`
//! `B2B`/`B2C` equality on the kind, `Email` equality on the default email, `IdNo`
//! equality on any identification value, `VatNo` equality on the VAT number. Empty values
//! are no filter. A parameter the list does not know is refused (400, naming it), where
//! ASP.NET would ignore it: a misspelt filter (`CusNmae=John`) would otherwise answer
//! every customer of the tenant.

use custgate_core::{
    CmpOp, Count, CustomerKind, Error, Field, FieldError, Filter, Query, SortKey, TextOp, Value,
};

use crate::convert::{canonical_mobile, kind_of, local_mobile};

/// `PageSize` when the request gives none.
pub const DEFAULT_PAGE_SIZE: u32 = 10;

/// Wire field names usable in `SortBy`, with their canonical fields.
pub const SORT_FIELDS: [(&str, Field); 6] = [
    ("cusId", Field::Seq),
    ("cusName", Field::DisplayName),
    ("cusType", Field::Kind),
    ("email", Field::DefaultEmail),
    ("vatNo", Field::Vat),
    ("tinNo", Field::Tin),
];

/// Wire fields that exist but cannot be sorted on: the canonical model holds several
/// values for them (phones, identifications, addresses).
const UNSORTABLE: [&str; 7] = [
    "cusMobile",
    "idType",
    "idNo",
    "bldgNo",
    "street",
    "city",
    "postalCode",
];

/// The canonical field of a `SortBy` value.
pub fn sort_field(name: &str) -> Result<Field, String> {
    let name = name.trim();
    if let Some((_, f)) = SORT_FIELDS
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
    {
        return Ok(*f);
    }
    let sortable = SORT_FIELDS.map(|(n, _)| n).join(", ");
    match UNSORTABLE.iter().find(|n| n.eq_ignore_ascii_case(name)) {
        Some(n) => Err(format!(
            "cannot sort by {n}: a customer may have several; sortable fields are {sortable}"
        )),
        None => Err(format!(
            "'{name}' is not a customer field; sortable fields are {sortable}"
        )),
    }
}

/// The `SortBy` value of a canonical field, if the dialect can sort on it.
pub fn sort_name(field: Field) -> Option<&'static str> {
    SORT_FIELDS
        .iter()
        .find(|(_, f)| *f == field)
        .map(|(n, _)| *n)
}

/// The parameters of `GET /api/customer`, typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListParams {
    pub cus_name: Option<String>,
    pub cus_mobile: Option<String>,
    pub cus_type: Option<CustomerKind>,
    pub email: Option<String>,
    pub id_no: Option<String>,
    pub vat_no: Option<String>,
    pub sort_by: Option<Field>,
    pub is_descending: bool,
    /// 1-based.
    pub page_number: u64,
    pub page_size: u32,
}

impl Default for ListParams {
    fn default() -> Self {
        Self {
            cus_name: None,
            cus_mobile: None,
            cus_type: None,
            email: None,
            id_no: None,
            vat_no: None,
            sort_by: None,
            is_descending: false,
            page_number: 1,
            page_size: DEFAULT_PAGE_SIZE,
        }
    }
}

const PARAMS: [&str; 10] = [
    "CusName",
    "CusMobile",
    "CusType",
    "Email",
    "IdNo",
    "VatNo",
    "SortBy",
    "IsDescending",
    "PageNumber",
    "PageSize",
];

impl ListParams {
    /// Reads the query string's pairs; `max_page_size` bounds `PageSize`. Every bad
    /// parameter is reported at once, named as documented (`PageSize`, `SortBy`…); an
    /// unknown one is named as given.
    pub fn parse(pairs: &[(String, String)], max_page_size: u32) -> Result<Self, Error> {
        let mut seen: [Option<&str>; PARAMS.len()] = [None; PARAMS.len()];
        let mut errors = Vec::new();
        let mut fail = |field: &str, message: String| {
            errors.push(FieldError {
                field: field.to_owned(),
                message,
            })
        };
        let mut unknown: Vec<&str> = Vec::new();
        for (name, value) in pairs {
            let Some(i) = PARAMS.iter().position(|p| p.eq_ignore_ascii_case(name)) else {
                if !unknown.contains(&name.as_str()) {
                    unknown.push(name);
                }
                continue;
            };
            if seen[i].is_some() {
                fail(PARAMS[i], format!("{} is given more than once", PARAMS[i]));
            }
            seen[i] = Some(value.as_str());
        }
        for name in unknown {
            fail(
                name,
                format!(
                    "'{name}' is not a list parameter; the parameters are {}",
                    PARAMS.join(", ")
                ),
            );
        }
        let text = |i: usize| {
            seen[i]
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let mut p = ListParams {
            cus_name: text(0),
            cus_mobile: text(1),
            email: text(3),
            id_no: text(4),
            vat_no: text(5),
            ..ListParams::default()
        };
        if let Some(t) = text(2) {
            match kind_of(&t) {
                Some(k) => p.cus_type = Some(k),
                None => fail(
                    "CusType",
                    format!("'{t}' cannot be filtered on; CusType filters take B2B or B2C"),
                ),
            }
        }
        if let Some(s) = text(6) {
            match sort_field(&s) {
                Ok(f) => p.sort_by = Some(f),
                Err(m) => fail("SortBy", m),
            }
        }
        if let Some(d) = text(7) {
            match d.to_ascii_lowercase().as_str() {
                "true" => p.is_descending = true,
                "false" => p.is_descending = false,
                _ => fail("IsDescending", format!("'{d}' is not a valid boolean")),
            }
        }
        if let Some(n) = text(8) {
            match n.parse::<u64>() {
                Ok(n) if n >= 1 => p.page_number = n,
                _ => fail(
                    "PageNumber",
                    format!("'{n}' is not valid; PageNumber is an integer from 1"),
                ),
            }
        }
        if let Some(n) = text(9) {
            match n.parse::<u32>() {
                Ok(n) if (1..=max_page_size).contains(&n) => p.page_size = n,
                _ => fail(
                    "PageSize",
                    format!("'{n}' is not valid; PageSize is an integer from 1 to {max_page_size}"),
                ),
            }
        }
        if p.offset().is_none() {
            fail("PageNumber", "PageNumber is too large".into());
        }
        if errors.is_empty() {
            Ok(p)
        } else {
            Err(Error::validation(errors))
        }
    }

    /// The number of records before the page.
    pub fn offset(&self) -> Option<u64> {
        (self.page_number.checked_sub(1)?).checked_mul(u64::from(self.page_size))
    }

    /// The canonical filter of the parameters, if any.
    pub fn filter(&self) -> Option<Filter> {
        let eq = |field, value: &str| Filter::Compare {
            field,
            op: CmpOp::Eq,
            value: Value::text(value),
        };
        let mut filters = Vec::new();
        if let Some(n) = &self.cus_name {
            filters.push(Filter::Text {
                field: Field::DisplayName,
                op: TextOp::Contains,
                value: n.clone(),
                case_insensitive: true,
            });
        }
        if let Some(m) = &self.cus_mobile {
            // Any phone's number: a record shows a plain phone as `cusMobile` when the
            // customer has no mobile (NData's one phone has no kind).
            filters.push(eq(Field::Phone, &canonical_mobile(m).0));
        }
        if let Some(k) = self.cus_type {
            filters.push(eq(Field::Kind, k.as_str()));
        }
        if let Some(e) = &self.email {
            filters.push(eq(Field::DefaultEmail, e));
        }
        if let Some(i) = &self.id_no {
            filters.push(eq(Field::Identification, i));
        }
        if let Some(v) = &self.vat_no {
            filters.push(eq(Field::Vat, v));
        }
        Filter::all(filters)
    }

    /// The canonical sort: `SortBy` (by default `cusId`) in the `IsDescending` direction.
    pub fn sort(&self) -> Vec<SortKey> {
        let field = self.sort_by.unwrap_or(Field::Seq);
        vec![SortKey {
            field,
            descending: self.is_descending,
        }]
    }

    /// The canonical query of one page, with the total (`X-Total-Count`).
    pub fn to_query(&self) -> Query {
        Query {
            filter: self.filter(),
            sort: self.sort(),
            offset: self.offset().unwrap_or(u64::MAX),
            limit: Some(self.page_size),
            count: Count::WithTotal,
        }
    }

    /// The parameters expressing a canonical query's filter and sort (paging is left at
    /// its defaults: the caller pages). `Unsupported` names what the dialect cannot say.
    pub fn from_query(q: &Query) -> Result<Self, Error> {
        let mut p = ListParams::default();
        let leaves: &[Filter] = match &q.filter {
            None => &[],
            Some(Filter::And(v)) => v,
            Some(f) => std::slice::from_ref(f),
        };
        for leaf in leaves {
            p.push_filter(leaf)?;
        }
        match q.sort.as_slice() {
            [] => {}
            [k] => {
                if sort_name(k.field).is_none() {
                    return Err(unsupported(format!("sorting on {}", k.field)));
                }
                p.sort_by = Some(k.field);
                p.is_descending = k.descending;
            }
            _ => return Err(unsupported("sorting on more than one key")),
        }
        Ok(p)
    }

    fn push_filter(&mut self, f: &Filter) -> Result<(), Error> {
        fn set(slot: &mut Option<String>, value: String, field: Field) -> Result<(), Error> {
            if slot.is_some() {
                return Err(unsupported(format!("two filters on {field}")));
            }
            *slot = Some(value);
            Ok(())
        }
        let text = |v: &Value| match v {
            Value::Text(s) => Ok(s.clone()),
            other => Err(unsupported(format!("comparing with {other}"))),
        };
        match f {
            Filter::Text {
                field: Field::DisplayName,
                op: TextOp::Contains,
                value,
                case_insensitive: true,
            } => set(&mut self.cus_name, value.clone(), Field::DisplayName),
            Filter::Compare {
                field,
                op: CmpOp::Eq,
                value,
            } => match field {
                // A record's one phone is its `CusMobile`, so any phone's number is it.
                Field::Mobile | Field::Phone => {
                    let v = local_mobile(&text(value)?).into_owned();
                    set(&mut self.cus_mobile, v, *field)
                }
                Field::Kind => {
                    let kind = match text(value)?.as_str() {
                        "company" => CustomerKind::Company,
                        "person" => CustomerKind::Person,
                        other => return Err(unsupported(format!("kind '{other}'"))),
                    };
                    if self.cus_type.replace(kind).is_some() {
                        return Err(unsupported("two filters on kind"));
                    }
                    Ok(())
                }
                Field::Email | Field::DefaultEmail => set(&mut self.email, text(value)?, *field),
                Field::Identification => set(&mut self.id_no, text(value)?, *field),
                Field::Vat => set(&mut self.vat_no, text(value)?, *field),
                _ => Err(unsupported(format!("'eq' on {field}"))),
            },
            other => Err(unsupported(format!("the filter {other}"))),
        }
    }

    /// The query string pairs, parameter names as documented; defaults are left out.
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        let mut push = |name: &'static str, v: Option<String>| {
            if let Some(v) = v {
                out.push((name, v));
            }
        };
        push("CusName", self.cus_name.clone());
        push("CusMobile", self.cus_mobile.clone());
        push(
            "CusType",
            self.cus_type
                .map(|k| crate::convert::cus_type_of(k).to_owned()),
        );
        push("Email", self.email.clone());
        push("IdNo", self.id_no.clone());
        push("VatNo", self.vat_no.clone());
        push(
            "SortBy",
            self.sort_by.and_then(sort_name).map(str::to_owned),
        );
        push(
            "IsDescending",
            self.is_descending.then(|| "true".to_owned()),
        );
        push(
            "PageNumber",
            (self.page_number != 1).then(|| self.page_number.to_string()),
        );
        push(
            "PageSize",
            (self.page_size != DEFAULT_PAGE_SIZE).then(|| self.page_size.to_string()),
        );
        out
    }
}

fn unsupported(what: impl std::fmt::Display) -> Error {
    Error::unsupported(format!("the tenant API does not support {what}"))
}
