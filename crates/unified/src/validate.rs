//! Semantic checks of a customer written through the facade: the store's invariants
//! ([`Customer::check`]) plus the canonical code formats the model documents.

use custgate_core::{Customer, FieldError};
use rust_decimal::Decimal;

/// Every problem with `c`, each naming its field path; empty when `c` is fine.
pub fn check(c: &Customer) -> Vec<FieldError> {
    let mut out = c
        .check()
        .err()
        .map(|e| e.fields().to_vec())
        .unwrap_or_default();
    let mut push = |field: String, message: &str| {
        out.push(FieldError {
            field,
            message: message.to_owned(),
        })
    };
    for (i, e) in c.emails.iter().enumerate() {
        let a = e.address.trim();
        if !a.is_empty() && !is_email(a) {
            push(format!("emails[{i}].address"), "is not an email address");
        }
    }
    for (i, p) in c.phones.iter().enumerate() {
        if let Some(cc) = &p.country_code {
            if !(1..=4).contains(&cc.len()) || !cc.bytes().all(|b| b.is_ascii_digit()) {
                push(
                    format!("phones[{i}].country_code"),
                    "must be a dialling code of 1 to 4 digits, without + or 00 (966)",
                );
            }
        }
    }
    for (i, a) in c.addresses.iter().enumerate() {
        if let Some(cc) = &a.country_code {
            if !is_code(cc, 2, true) {
                push(
                    format!("addresses[{i}].country_code"),
                    "must be an ISO 3166-1 alpha-2 code in upper case (SA)",
                );
            }
        }
    }
    for (i, id) in c.identifications.iter().enumerate() {
        let s = id.scheme.trim();
        if !s.is_empty()
            && !s
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        {
            push(
                format!("identifications[{i}].scheme"),
                "must be an upper-case scheme code (NAT, CRN, TIN, ORG…)",
            );
        }
    }
    if let Some(n) = &c.locale.nationality {
        if !is_code(n, 2, true) {
            push(
                "locale.nationality".into(),
                "must be an ISO 3166-1 alpha-2 code in upper case (SA)",
            );
        }
    }
    if let Some(l) = &c.locale.preferred_language {
        if !is_code(l, 2, false) {
            push(
                "locale.preferred_language".into(),
                "must be an ISO 639-1 code in lower case (ar)",
            );
        }
    }
    if let Some(cur) = &c.finance.currency {
        if !is_code(cur, 3, true) {
            push(
                "finance.currency".into(),
                "must be an ISO 4217 code in upper case (SAR)",
            );
        }
    }
    if let Some(cur) = c
        .finance
        .credit_balance
        .as_ref()
        .and_then(|m| m.currency.as_ref())
    {
        if !is_code(cur, 3, true) {
            push(
                "finance.credit_balance.currency".into(),
                "must be an ISO 4217 code in upper case (SAR)",
            );
        }
    }
    if c.finance.discount_rate.is_some_and(|r| !is_rate(r)) {
        push(
            "finance.discount_rate".into(),
            "must be a percentage between 0 and 100",
        );
    }
    if c.finance.credit_rate.is_some_and(|r| !is_rate(r)) {
        push(
            "finance.credit_rate".into(),
            "must be a percentage between 0 and 100",
        );
    }
    out
}

fn is_code(s: &str, len: usize, upper: bool) -> bool {
    s.len() == len
        && s.bytes().all(|b| {
            if upper {
                b.is_ascii_uppercase()
            } else {
                b.is_ascii_lowercase()
            }
        })
}

/// A plausible address: one `@` with something on both sides, a dot-free domain allowed
/// (`root@localhost`), no white space.
fn is_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !s.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

fn is_rate(d: Decimal) -> bool {
    (Decimal::ZERO..=Decimal::ONE_HUNDRED).contains(&d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use custgate_core::{Address, Email, Identification, Money, Phone};

    fn check_fields(c: &Customer, expected: &[&str]) {
        let got: Vec<String> = check(c).into_iter().map(|e| e.field).collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn canonical_codes_are_checked() {
        let mut c = Customer::new();
        check_fields(&c, &[]);
        c.emails.push(Email {
            address: "nope".into(),
            ..Default::default()
        });
        c.emails.push(Email::default());
        c.phones.push(Phone {
            number: "+966500000000".into(),
            country_code: Some("+966".into()),
            ..Default::default()
        });
        c.addresses.push(Address {
            country_code: Some("sa".into()),
            ..Default::default()
        });
        c.identifications.push(Identification {
            scheme: "nat".into(),
            value: "1".into(),
        });
        c.locale.nationality = Some("SAU".into());
        c.locale.preferred_language = Some("AR".into());
        c.finance.currency = Some("sar".into());
        c.finance.credit_balance = Some(Money {
            amount: Default::default(),
            currency: Some("SR".into()),
        });
        c.finance.discount_rate = Some("101".parse().unwrap());
        c.finance.credit_rate = Some("-1".parse().unwrap());
        check_fields(
            &c,
            &[
                "emails[1].address",
                "emails[0].address",
                "phones[0].country_code",
                "addresses[0].country_code",
                "identifications[0].scheme",
                "locale.nationality",
                "locale.preferred_language",
                "finance.currency",
                "finance.credit_balance.currency",
                "finance.discount_rate",
                "finance.credit_rate",
            ],
        );

        let mut ok = Customer::new();
        ok.emails.push(Email {
            address: "root@localhost".into(),
            ..Default::default()
        });
        ok.identifications.push(Identification {
            scheme: "700".into(),
            value: "1".into(),
        });
        ok.finance.discount_rate = Some("12.5".parse().unwrap());
        ok.locale.preferred_language = Some("ar".into());
        check_fields(&ok, &[]);
    }
}
