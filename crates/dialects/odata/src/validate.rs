//! The dialect's input rules, as pure functions over single values, and a collector that
//! gathers every failure of one request before answering.

use custgate_core::{Error, FieldError, PhoneKind, Status};

use crate::wire::{
    PHONE_TYPE_FAX, PHONE_TYPE_MOBILE, PHONE_TYPE_PHONE, STATUS_ACTIVE, STATUS_DELETED,
    STATUS_INACTIVE,
};

/// The longest name, description, address line… accepted.
pub const MAX_TEXT: usize = 250;

/// Every failure of one request, by wire path (`Info.Phones[1].Type`).
#[derive(Debug, Default)]
pub struct Errors(Vec<FieldError>);

impl Errors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }

    /// Records the outcome of a check; gives the value back when it passed.
    pub fn check<T>(&mut self, field: &str, r: Result<T, String>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(m) => {
                self.push(field, m);
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok` when nothing failed, else one validation error listing everything.
    pub fn finish(self) -> Result<(), Error> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Error::validation(self.0))
        }
    }

    /// Prefixes every path (for the elements of a bulk save).
    pub fn prefixed(self, prefix: &str) -> Vec<FieldError> {
        self.0
            .into_iter()
            .map(|f| FieldError {
                field: if f.field.is_empty() {
                    prefix.to_owned()
                } else {
                    format!("{prefix}.{}", f.field)
                },
                message: f.message,
            })
            .collect()
    }
}

/// A free text: at most [`MAX_TEXT`] characters, no control characters.
pub fn text(s: &str) -> Result<(), String> {
    if s.chars().count() > MAX_TEXT {
        return Err(format!("must be at most {MAX_TEXT} characters"));
    }
    if s.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err("must not contain control characters".into());
    }
    Ok(())
}

/// An e-mail address: one `@` with something on both sides, no white space.
pub fn email(s: &str) -> Result<(), String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("is required".into());
    }
    if s.len() > 254 {
        return Err("must be at most 254 characters".into());
    }
    match s.split_once('@') {
        Some((local, domain))
            if !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !s.chars().any(char::is_whitespace) =>
        {
            Ok(())
        }
        _ => Err(format!("'{s}' is not an e-mail address")),
    }
}

/// A phone number: digits with the usual separators, at least one digit.
pub fn phone_number(s: &str) -> Result<(), String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("is required".into());
    }
    if s.len() > 40 {
        return Err("must be at most 40 characters".into());
    }
    let ok = s
        .chars()
        .all(|c| c.is_ascii_digit() || " +-()./".contains(c))
        && s.chars().any(|c| c.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(format!("'{s}' is not a phone number"))
    }
}

/// A dialling code (`47`, `+47`, `0047`): up to 4 digits once normalised.
pub fn dialling_code(s: &str) -> Result<(), String> {
    let n = custgate_core::model::normalize_country_code(s);
    if n.is_empty() || (n.len() <= 4 && n.bytes().all(|b| b.is_ascii_digit())) {
        Ok(())
    } else {
        Err(format!("'{s}' is not a dialling code"))
    }
}

/// An ISO 3166-1 alpha-2 country code, returned in upper case.
pub fn country_code(s: &str) -> Result<String, String> {
    let t = s.trim();
    if t.len() == 2 && t.bytes().all(|b| b.is_ascii_alphabetic()) {
        Ok(t.to_ascii_uppercase())
    } else {
        Err(format!("'{s}' is not a two-letter country code"))
    }
}

/// An ISO 4217 currency code, returned in upper case.
pub fn currency(s: &str) -> Result<String, String> {
    let t = s.trim();
    if t.len() == 3 && t.bytes().all(|b| b.is_ascii_alphabetic()) {
        Ok(t.to_ascii_uppercase())
    } else {
        Err(format!("'{s}' is not a three-letter currency code"))
    }
}

/// A KID alias: 2 to 25 digits (a Norwegian KID reference is at most 25 digits).
pub fn kid_alias(s: &str) -> Result<(), String> {
    if (2..=25).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(format!("'{s}' is not a KID alias (2 to 25 digits)"))
    }
}

/// The phone kind of a `Type` code.
pub fn phone_type(code: i64) -> Result<PhoneKind, String> {
    match code {
        PHONE_TYPE_PHONE => Ok(PhoneKind::Phone),
        PHONE_TYPE_MOBILE => Ok(PhoneKind::Mobile),
        PHONE_TYPE_FAX => Ok(PhoneKind::Fax),
        _ => Err(format!(
            "{code} is not a phone type ({PHONE_TYPE_PHONE} phone, {PHONE_TYPE_MOBILE} mobile, {PHONE_TYPE_FAX} fax)"
        )),
    }
}

/// The `Type` code of a phone kind.
pub fn phone_type_code(kind: PhoneKind) -> i64 {
    match kind {
        PhoneKind::Phone => PHONE_TYPE_PHONE,
        PhoneKind::Mobile => PHONE_TYPE_MOBILE,
        PhoneKind::Fax => PHONE_TYPE_FAX,
    }
}

/// The status of a `StatusCode`.
pub fn status(code: i64) -> Result<Status, String> {
    match code {
        STATUS_ACTIVE => Ok(Status::Active),
        STATUS_INACTIVE => Ok(Status::Inactive),
        STATUS_DELETED => Ok(Status::Blocked),
        _ => Err(format!(
            "{code} is not a customer status ({STATUS_ACTIVE} active, {STATUS_INACTIVE} inactive, {STATUS_DELETED} deleted)"
        )),
    }
}

/// The `StatusCode` of a status; a quote has none (`null`).
pub fn status_code(status: Status) -> Option<i64> {
    match status {
        Status::Active => Some(STATUS_ACTIVE),
        Status::Inactive => Some(STATUS_INACTIVE),
        Status::Blocked => Some(STATUS_DELETED),
        Status::Quote => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_accept_and_refuse() {
        assert!(email("user@softrig.com").is_ok());
        for bad in ["", "a", "a@", "@b", "a b@c", "a@b@c"] {
            assert!(email(bad).is_err(), "{bad}");
        }
        assert!(phone_number("9834834678").is_ok());
        assert!(phone_number("+47 (0) 22-33").is_ok());
        assert!(phone_number("call me").is_err());
        assert!(dialling_code("97").is_ok());
        assert!(dialling_code("+0047").is_ok());
        assert!(dialling_code("NO").is_err());
        assert_eq!(country_code("no").unwrap(), "NO");
        assert!(country_code("NOR").is_err());
        assert_eq!(currency("nok").unwrap(), "NOK");
        assert!(kid_alias("12345").is_ok());
        assert!(kid_alias("12a").is_err());
        assert_eq!(phone_type(150102).unwrap(), PhoneKind::Mobile);
        assert!(phone_type(150104).is_err());
        for s in [Status::Active, Status::Inactive, Status::Blocked] {
            assert_eq!(status(status_code(s).unwrap()).unwrap(), s);
        }
        assert_eq!(status_code(Status::Quote), None);
        assert!(status(1).is_err());
        assert!(text(&"x".repeat(251)).is_err());
        assert!(text("a\u{0}").is_err());
    }

    #[test]
    fn errors_collect_and_prefix() {
        let mut e = Errors::new();
        assert_eq!(e.check("a", Ok::<_, String>(1)), Some(1));
        e.check::<()>("Info.Name", Err("bad".into()));
        assert!(!e.is_empty());
        let p = e.prefixed("[2]");
        assert_eq!(p[0].field, "[2].Info.Name");
    }
}
