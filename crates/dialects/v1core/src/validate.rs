//! The request rules: the query string's parameters, read and checked.
//!
//! Parameter names match ignoring ASCII case (ASP.NET model binding does), an empty value
//! counts as absent (ASP.NET binds it to null), a parameter given twice is refused. A
//! parameter the API does not know is refused too, where ASP.NET would ignore it: a
//! misspelt criterion would otherwise widen the lookup. Every problem is reported at once.

use custgate_core::{Error, FieldError};

use crate::lookup::Lang;
use crate::query::Criteria;

/// The longest `identificationNo` / `referenceNo` accepted.
pub const MAX_TEXT_LEN: usize = 64;
/// The longest `mobileNumber` accepted (E.164 allows 15 digits in all).
pub const MAX_MOBILE_LEN: usize = 15;

/// The parameters of one request, as given (trimmed; empty ones are `None`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Params {
    pub company_code: Option<String>,
    pub lang: Option<String>,
    pub customer_id: Option<String>,
    pub identification_no: Option<String>,
    pub mobile_number: Option<String>,
    pub reference_no: Option<String>,
    /// Names the API does not know, as given (each once); [`check`] refuses them.
    pub unknown: Vec<String>,
}

/// The parameters of the API, as documented.
pub const PARAMS: [&str; 6] = [
    "companyCode",
    "lang",
    "customerId",
    "identificationNo",
    "mobileNumber",
    "referenceNo",
];

/// A checked request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub company_code: String,
    pub lang: Lang,
    pub criteria: Criteria,
}

fn field_error(field: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.into(),
        message: message.into(),
    }
}

/// Reads the parameters of a query string.
pub fn parse_params(query_string: &str) -> Result<Params, Error> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query_string).map_err(|e| {
        Error::validation_field("query", format!("is not a valid query string: {e}"))
    })?;
    let mut p = Params::default();
    let mut errors = Vec::new();
    for (name, value) in pairs {
        let (canonical, slot) = match name.to_ascii_lowercase().as_str() {
            "companycode" => ("companyCode", &mut p.company_code),
            "lang" => ("lang", &mut p.lang),
            "customerid" => ("customerId", &mut p.customer_id),
            "identificationno" => ("identificationNo", &mut p.identification_no),
            "mobilenumber" => ("mobileNumber", &mut p.mobile_number),
            "referenceno" => ("referenceNo", &mut p.reference_no),
            _ => {
                if !p.unknown.contains(&name) {
                    p.unknown.push(name);
                }
                continue;
            }
        };
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        if slot.is_some() {
            errors.push(field_error(canonical, "must be given only once"));
            continue;
        }
        *slot = Some(value.to_owned());
    }
    if errors.is_empty() {
        Ok(p)
    } else {
        Err(Error::validation(errors))
    }
}

/// Checks every rule: `companyCode` and `lang` present, `lang` `ar` or `en`, at least one
/// criterion, `customerId` a positive integer, `mobileNumber` digits starting with 5, no
/// unknown parameter.
pub fn check(p: &Params) -> Result<Request, Error> {
    let mut errors = Vec::new();
    if p.company_code.is_none() {
        errors.push(field_error("companyCode", "is required"));
    }
    let lang = match p.lang.as_deref() {
        None => {
            errors.push(field_error("lang", "is required"));
            None
        }
        Some(raw) => {
            let lang = Lang::parse(raw);
            if lang.is_none() {
                errors.push(field_error("lang", "must be 'ar' or 'en'"));
            }
            lang
        }
    };
    let customer_id = p
        .customer_id
        .as_deref()
        .and_then(|raw| match raw.parse::<i64>() {
            Ok(n) if n > 0 => Some(n),
            _ => {
                errors.push(field_error("customerId", "must be a positive integer"));
                None
            }
        });
    let mut text = |field: &str, value: &Option<String>| {
        value.as_deref().and_then(|v| {
            if v.chars().count() > MAX_TEXT_LEN {
                errors.push(field_error(
                    field,
                    format!("must be at most {MAX_TEXT_LEN} characters"),
                ));
                None
            } else if v.chars().any(char::is_control) {
                errors.push(field_error(field, "must not contain control characters"));
                None
            } else {
                Some(v.to_owned())
            }
        })
    };
    let identification_no = text("identificationNo", &p.identification_no);
    let reference_no = text("referenceNo", &p.reference_no);
    let mobile_number = p.mobile_number.as_deref().and_then(|m| {
        if !m.starts_with('5') {
            errors.push(field_error("mobileNumber", "must start with 5"));
            None
        } else if !m.bytes().all(|b| b.is_ascii_digit()) || m.len() > MAX_MOBILE_LEN {
            errors.push(field_error(
                "mobileNumber",
                format!("must be at most {MAX_MOBILE_LEN} digits"),
            ));
            None
        } else {
            Some(m.to_owned())
        }
    });
    let given = [
        &p.customer_id,
        &p.identification_no,
        &p.mobile_number,
        &p.reference_no,
    ]
    .iter()
    .any(|v| v.is_some());
    if !given {
        errors.push(field_error(
            "criteria",
            "at least one of customerId, identificationNo, mobileNumber or referenceNo is required",
        ));
    }
    for name in &p.unknown {
        errors.push(field_error(
            name,
            format!(
                "is not a parameter of this API; the parameters are {}",
                PARAMS.join(", ")
            ),
        ));
    }
    match (errors.is_empty(), &p.company_code, lang) {
        (true, Some(company_code), Some(lang)) => Ok(Request {
            company_code: company_code.clone(),
            lang,
            criteria: Criteria {
                customer_id,
                identification_no,
                mobile_number,
                reference_no,
            },
        }),
        _ => Err(Error::validation(errors)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One rule per line: the query string and the fields it fails on (none = accepted).
    fn check_qs(qs: &str, failing: &[&str]) {
        let got = parse_params(qs).and_then(|p| check(&p));
        let fields: Vec<String> = match &got {
            Ok(_) => Vec::new(),
            Err(e) => e.fields().iter().map(|f| f.field.clone()).collect(),
        };
        assert_eq!(fields, failing, "{qs}: {got:?}");
    }

    #[test]
    fn the_seed_request_is_accepted() {
        let qs = include_str!("../tests/fixtures/customer_request.query").trim();
        let r = parse_params(qs).and_then(|p| check(&p)).unwrap();
        assert_eq!(r.company_code, "jtc");
        assert_eq!(r.lang, Lang::Ar);
        assert_eq!(
            r.criteria,
            Criteria {
                customer_id: Some(54218),
                identification_no: Some("2103232123".into()),
                mobile_number: Some("568617084".into()),
                reference_no: Some("333215".into()),
            }
        );
    }

    #[test]
    fn every_rule() {
        check_qs("companyCode=jtc&lang=ar&customerId=1", &[]);
        check_qs("lang=ar&customerId=1", &["companyCode"]);
        check_qs("companyCode=jtc&customerId=1", &["lang"]);
        check_qs("companyCode=jtc&lang=fr&customerId=1", &["lang"]);
        check_qs("companyCode=jtc&lang=EN&customerId=1", &[]);
        check_qs("companyCode=jtc&lang=ar", &["criteria"]);
        check_qs(
            "companyCode=jtc&lang=ar&customerId=&referenceNo=",
            &["criteria"],
        );
        check_qs(
            "companyCode=jtc&lang=ar&mobileNumber=0568617084",
            &["mobileNumber"],
        );
        check_qs(
            "companyCode=jtc&lang=ar&mobileNumber=966568617084",
            &["mobileNumber"],
        );
        check_qs(
            "companyCode=jtc&lang=ar&mobileNumber=56861708x",
            &["mobileNumber"],
        );
        check_qs(
            "companyCode=jtc&lang=ar&mobileNumber=5686170841234567",
            &["mobileNumber"],
        );
        check_qs("companyCode=jtc&lang=ar&mobileNumber=568617084", &[]);
        check_qs("companyCode=jtc&lang=ar&customerId=abc", &["customerId"]);
        check_qs("companyCode=jtc&lang=ar&customerId=0", &["customerId"]);
        check_qs(
            "companyCode=jtc&lang=ar&customerId=99999999999999999999",
            &["customerId"],
        );
        check_qs("companyCode=jtc&lang=ar&identificationNo=2103232123", &[]);
        check_qs("companyCode=jtc&lang=ar&referenceNo=333215", &[]);
        check_qs(
            &format!("companyCode=jtc&lang=ar&referenceNo={}", "x".repeat(65)),
            &["referenceNo"],
        );
        check_qs("companyCode=jtc&lang=ar&referenceNo=%01x", &["referenceNo"]);
        // Names ignore case, unknown parameters (each once) and repeats are refused.
        check_qs("COMPANYCODE=jtc&Lang=ar&CustomerID=1", &[]);
        check_qs(
            "COMPANYCODE=jtc&Lang=ar&CustomerID=1&page=2&page=3",
            &["page"],
        );
        check_qs(
            "companyCode=jtc&lang=ar&customer_id=1",
            &["criteria", "customer_id"],
        );
        check_qs(
            "companyCode=jtc&lang=ar&mobileNumber=568617084&identificationNumber=1",
            &["identificationNumber"],
        );
        check_qs(
            "companyCode=jtc&lang=ar&customerId=1&customerId=2",
            &["customerId"],
        );
        // Everything at once.
        check_qs("mobileNumber=4", &["companyCode", "lang", "mobileNumber"]);
        check_qs("", &["companyCode", "lang", "criteria"]);
    }

    #[test]
    fn values_are_decoded_and_trimmed() {
        let p = parse_params("companyCode=%20jtc%20&lang=ar&identificationNo=A%2BB+C").unwrap();
        assert_eq!(p.company_code.as_deref(), Some("jtc"));
        assert_eq!(p.identification_no.as_deref(), Some("A+B C"));
    }
}
