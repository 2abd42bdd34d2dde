//! The rules of Add and Edit parameters: required ones, the documented enumerations
//! (compared ignoring case, kept in the documented spelling), numbers ≥ 0, dates and
//! booleans. Every problem is reported at once, each as a sentence that names the
//! parameter and what it accepts.

use custgate_core::{FieldError, Status};
use rust_decimal::Decimal;

use crate::convert::canonical_number;
use crate::query::{self, Params};
use crate::wire::ManexDate;

/// `Territory` values, in the documented spelling.
pub const TERRITORIES: &[&str] = &[
    "SOUTHERN CA",
    "NORTHERN CA",
    "EAST",
    "WEST",
    "MIDWEST",
    "NEW ENGLAND",
    "SOUTH",
    "GREAT LAKES",
    "MEXICO",
    "CANADA",
    "UNITED KINGDOM",
];

/// `Terms` values, in the documented spelling.
pub const TERMS: &[&str] = &[
    "NET 10",
    "NET 15",
    "NET 30",
    "NET 30/2% 10",
    "NET 45",
    "COD",
    "NONE",
];

/// `Creditok` values.
pub const CREDIT_STATUSES: &[&str] = &["OK", "HOLD", "REJECT"];

/// `Status` values, in the documented (camel-cased) spelling.
pub const STATUSES: &[&str] = &["Active", "Inactive", "Quote"];

/// The longest text value accepted (our limit: the vendor documents none).
pub const MAX_TEXT: usize = 255;

/// The largest amount accepted for `Credlimit` and `Ar_highBal` (a `numeric(14,2)`
/// column; our limit, the vendor documents only the lower bound).
pub const MAX_AMOUNT: &str = "999999999999.99";

/// The action a request is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    Add,
    Edit,
    Get,
}

impl Action {
    /// The action named in the path, ignoring case.
    pub fn parse(raw: &str) -> Option<Action> {
        match raw.to_ascii_lowercase().as_str() {
            "add" => Some(Action::Add),
            "edit" => Some(Action::Edit),
            "get" => Some(Action::Get),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Add => "add",
            Action::Edit => "edit",
            Action::Get => "get",
        }
    }
}

/// What an Add or Edit asks to change. The outer `Option` is "given or not"; for optional
/// fields the inner one is the value or "cleared" (an empty value).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Changes {
    /// The canonical customer number (Add: the number to give; Edit: the customer to edit).
    pub custno: Option<String>,
    pub custname: Option<String>,
    pub status: Option<Status>,
    pub phone: Option<Option<String>>,
    pub fax: Option<Option<String>>,
    pub territory: Option<Option<&'static str>>,
    pub terms: Option<Option<&'static str>>,
    pub credlimit: Option<Option<Decimal>>,
    pub creditok: Option<Option<&'static str>>,
    pub resl_no: Option<Option<String>>,
    pub ar_highbal: Option<Option<Decimal>>,
    pub acct_date: Option<Option<ManexDate>>,
    pub saledsctid: Option<Option<String>>,
    pub acctaxable: Option<Option<bool>>,
    pub inactdt: Option<Option<ManexDate>>,
    pub inactinit: Option<Option<String>>,
    pub modifieddate: Option<Option<ManexDate>>,
}

struct Checker<'a> {
    params: &'a Params,
    errors: Vec<FieldError>,
}

impl<'a> Checker<'a> {
    fn fail(&mut self, field: &str, message: String) {
        self.errors.push(FieldError {
            field: field.into(),
            message,
        });
    }

    /// The raw value: `None` absent, `Some("")` given empty.
    fn raw(&mut self, name: &str) -> Option<&'a str> {
        match self.params.get(name) {
            Ok(v) => v,
            Err(e) => {
                self.errors.push(e);
                None
            }
        }
    }

    fn text(&mut self, name: &str) -> Option<Option<String>> {
        let v = self.raw(name)?;
        if v.chars().count() > MAX_TEXT {
            self.fail(
                name,
                format!("{name} must be at most {MAX_TEXT} characters."),
            );
            return None;
        }
        if v.chars().any(char::is_control) {
            self.fail(name, format!("{name} must not contain control characters."));
            return None;
        }
        Some((!v.is_empty()).then(|| v.to_owned()))
    }

    fn one_of(
        &mut self,
        name: &str,
        allowed: &'static [&'static str],
    ) -> Option<Option<&'static str>> {
        let v = self.raw(name)?;
        if v.is_empty() {
            return Some(None);
        }
        // Inner runs of blanks count as one ("NET  30" is "NET 30").
        let squeezed = v.split_whitespace().collect::<Vec<_>>().join(" ");
        match allowed.iter().find(|a| a.eq_ignore_ascii_case(&squeezed)) {
            Some(a) => Some(Some(*a)),
            None => {
                self.fail(
                    name,
                    format!("{name} must be one of: {}.", allowed.join(", ")),
                );
                None
            }
        }
    }

    fn amount(&mut self, name: &str) -> Option<Option<Decimal>> {
        let v = self.raw(name)?;
        if v.is_empty() {
            return Some(None);
        }
        let max: Decimal = MAX_AMOUNT.parse().expect("static amount");
        let parsed = v
            .parse::<Decimal>()
            .ok()
            .or_else(|| Decimal::from_scientific(v).ok());
        match parsed {
            None => {
                self.fail(
                    name,
                    format!("{name} must be a number greater than or equal to 0."),
                );
                None
            }
            Some(d) if d.is_sign_negative() && !d.is_zero() => {
                self.fail(name, format!("{name} must be greater than or equal to 0."));
                None
            }
            Some(d) if d > max => {
                self.fail(name, format!("{name} must be at most {MAX_AMOUNT}."));
                None
            }
            Some(d) if d.scale() > 2 && d.normalize().scale() > 2 => {
                self.fail(name, format!("{name} must have at most two decimals."));
                None
            }
            Some(d) => Some(Some(d.abs().normalize())),
        }
    }

    fn date(&mut self, name: &str) -> Option<Option<ManexDate>> {
        let v = self.raw(name)?;
        if v.is_empty() {
            return Some(None);
        }
        match ManexDate::parse(v) {
            Some(d) => Some(Some(d)),
            None => {
                self.fail(
                    name,
                    format!(
                        "{name} must be a date in MM/DD/YYYY format (or YYYY-MM-DD, optionally with a time), from 1753 to 9999."
                    ),
                );
                None
            }
        }
    }

    fn boolean(&mut self, name: &str) -> Option<Option<bool>> {
        let v = self.raw(name)?;
        match v.to_ascii_lowercase().as_str() {
            "" => Some(None),
            "true" | "1" | "y" | "yes" | "t" => Some(Some(true)),
            "false" | "0" | "n" | "no" | "f" => Some(Some(false)),
            _ => {
                self.fail(name, format!("{name} must be true or false (or 1/0, Y/N)."));
                None
            }
        }
    }

    fn status(&mut self, required: bool) -> Option<Status> {
        let name = query::STATUS;
        let allowed = STATUSES.join(", ");
        match self.raw(name) {
            // Present but unreadable: already reported.
            None if self.params.has(name) => None,
            None | Some("") if required => {
                self.fail(
                    name,
                    format!("{name} is required and must be one of: {allowed}."),
                );
                None
            }
            None => None,
            Some(v) => match Status::parse(v) {
                Some(s) if s != Status::Blocked => Some(s),
                _ => {
                    self.fail(name, format!("{name} must be one of: {allowed}."));
                    None
                }
            },
        }
    }
}

/// Checks the parameters of an Add or Edit (`action` must be one of those two).
pub fn changes(params: &Params, action: Action) -> Result<Changes, Vec<FieldError>> {
    let mut c = Checker {
        params,
        errors: Vec::new(),
    };
    let edit = action == Action::Edit;
    let mut out = Changes::default();

    match (c.raw(query::CUSTNO), edit) {
        (None | Some(""), true) => {
            // The vendor's own words for a missing number, and nothing else: without the
            // customer, checking the other parameters says little.
            return Err(vec![FieldError {
                field: query::CUSTNO.into(),
                message: crate::wire::MSG_EDIT_NEEDS_NUMBER.into(),
            }]);
        }
        (None | Some(""), false) => {}
        (Some(v), _) => out.custno = custno(&mut c, v, edit),
    }

    out.custname = match c.text(query::CUSTNAME) {
        Some(Some(name)) => Some(name),
        Some(None) if edit => {
            c.fail(
                query::CUSTNAME,
                format!("{} must not be empty.", query::CUSTNAME),
            );
            None
        }
        None if !edit && c.params.has(query::CUSTNAME) => None,
        _ if !edit => {
            c.fail(query::CUSTNAME, format!("{} is required.", query::CUSTNAME));
            None
        }
        _ => None,
    };
    out.status = c.status(!edit);
    out.phone = c.text(query::PHONE);
    out.fax = c.text(query::FAX);
    out.territory = c.one_of(query::TERRITORY, TERRITORIES);
    out.terms = c.one_of(query::TERMS, TERMS);
    out.credlimit = c.amount(query::CREDLIMIT);
    out.creditok = c.one_of(query::CREDITOK, CREDIT_STATUSES);
    out.resl_no = c.text(query::RESL_NO);
    out.ar_highbal = c.amount(query::AR_HIGHBAL);
    out.acct_date = c.date(query::ACCT_DATE);
    out.saledsctid = c.text(query::SALEDSCTID);
    out.acctaxable = c.boolean(query::ACCTAXABLE);
    out.inactdt = c.date(query::INACTDT);
    out.inactinit = c.text(query::INACTINIT);
    out.modifieddate = c.date(query::MODIFIEDDATE);

    if c.errors.is_empty() {
        Ok(out)
    } else {
        Err(c.errors)
    }
}

/// `Custno`: digits only. Add takes up to ten and pads them; Edit wants the ten-digit
/// form. A number that is not all digits (one given to the customer through another
/// dialect) is taken as it is, so that what Get shows can be edited.
fn custno(c: &mut Checker<'_>, v: &str, edit: bool) -> Option<String> {
    let name = query::CUSTNO;
    let digits = v.bytes().all(|b| b.is_ascii_digit());
    if edit {
        if digits && v.len() != 10 {
            c.fail(
                name,
                format!("{name} must be ten digits (for example 0000000010)."),
            );
            return None;
        }
        if v.len() > 64 || v.chars().any(char::is_control) {
            c.fail(
                name,
                format!("{name} must be ten digits (for example 0000000010)."),
            );
            return None;
        }
        return Some(canonical_number(v));
    }
    if !digits || v.len() > 10 {
        c.fail(name, format!("{name} must be at most ten digits."));
        return None;
    }
    Some(canonical_number(v))
}

/// The `CustNumOrName` of a Get: `None` when the parameter is missing (no action
/// matches, as the vendor answers), the trimmed value otherwise.
pub fn cust_num_or_name(params: &Params) -> Result<Option<&str>, FieldError> {
    params.get(query::CUSTNUMORNAME)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn add(q: &str) -> Result<Changes, Vec<String>> {
        changes(&Params::from_query(q), Action::Add)
            .map_err(|e| e.into_iter().map(|f| f.message).collect())
    }

    fn edit(q: &str) -> Result<Changes, Vec<String>> {
        changes(&Params::from_query(q), Action::Edit)
            .map_err(|e| e.into_iter().map(|f| f.message).collect())
    }

    #[test]
    fn add_needs_a_name_and_a_status() {
        assert_eq!(
            add("").unwrap_err(),
            vec![
                "Custname is required.",
                "Status is required and must be one of: Active, Inactive, Quote."
            ]
        );
        let c = add("custname=A&STATUS=quote").unwrap();
        assert_eq!(c.custname.as_deref(), Some("A"));
        assert_eq!(c.status, Some(Status::Quote));
        assert_eq!(c.custno, None);
        assert_eq!(add("Custname=A&Status=Blocked").unwrap_err().len(), 1);
    }

    #[test]
    fn enumerations_ignore_case_and_keep_the_documented_spelling() {
        for t in TERRITORIES {
            let c = add(&format!(
                "Custname=A&Status=Active&Territory={}",
                t.to_lowercase().replace(' ', "+")
            ))
            .unwrap();
            assert_eq!(c.territory, Some(Some(*t)));
        }
        for t in TERMS {
            let q = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("Custname", "A")
                .append_pair("Status", "Active")
                .append_pair("TERMS", &t.to_lowercase())
                .finish();
            assert_eq!(add(&q).unwrap().terms, Some(Some(*t)));
        }
        for t in CREDIT_STATUSES {
            let c = add(&format!(
                "Custname=A&Status=Active&creditok={}",
                t.to_lowercase()
            ))
            .unwrap();
            assert_eq!(c.creditok, Some(Some(*t)));
        }
        assert_eq!(
            add("Custname=A&Status=Active&Territory=MARS").unwrap_err(),
            vec!["Territory must be one of: SOUTHERN CA, NORTHERN CA, EAST, WEST, MIDWEST, NEW ENGLAND, SOUTH, GREAT LAKES, MEXICO, CANADA, UNITED KINGDOM."]
        );
        assert_eq!(
            add("Custname=A&Status=Active&Terms=NET+60").unwrap_err(),
            vec!["Terms must be one of: NET 10, NET 15, NET 30, NET 30/2% 10, NET 45, COD, NONE."]
        );
        assert_eq!(
            add("Custname=A&Status=Active&Creditok=MAYBE").unwrap_err(),
            vec!["Creditok must be one of: OK, HOLD, REJECT."]
        );
        assert_eq!(
            add("Custname=A&Status=Closed").unwrap_err(),
            vec!["Status must be one of: Active, Inactive, Quote."]
        );
    }

    #[test]
    fn amounts_are_not_negative() {
        let c = add("Custname=A&Status=Active&Credlimit=0&Ar_highBal=12.50").unwrap();
        assert_eq!(c.credlimit, Some(Some(Decimal::ZERO)));
        assert_eq!(c.ar_highbal, Some(Some("12.5".parse().unwrap())));
        assert_eq!(
            add("Custname=A&Status=Active&Credlimit=-1").unwrap_err(),
            vec!["Credlimit must be greater than or equal to 0."]
        );
        assert_eq!(
            add("Custname=A&Status=Active&AR_HIGHBAL=lots").unwrap_err(),
            vec!["Ar_highBal must be a number greater than or equal to 0."]
        );
        assert_eq!(
            add("Custname=A&Status=Active&Credlimit=1000000000000").unwrap_err(),
            vec!["Credlimit must be at most 999999999999.99."]
        );
        assert_eq!(
            add("Custname=A&Status=Active&Credlimit=1.001").unwrap_err(),
            vec!["Credlimit must have at most two decimals."]
        );
        assert_eq!(
            add("Custname=A&Status=Active&Credlimit=-0")
                .unwrap()
                .credlimit,
            Some(Some(Decimal::ZERO))
        );
    }

    #[test]
    fn booleans_take_several_spellings() {
        for (raw, b) in [
            ("true", true),
            ("1", true),
            ("Y", true),
            ("FALSE", false),
            ("0", false),
            ("n", false),
        ] {
            let c = add(&format!("Custname=A&Status=Active&Acctaxable={raw}")).unwrap();
            assert_eq!(c.acctaxable, Some(Some(b)), "{raw}");
        }
        assert_eq!(
            add("Custname=A&Status=Active&Acctaxable=perhaps").unwrap_err(),
            vec!["Acctaxable must be true or false (or 1/0, Y/N)."]
        );
    }

    #[test]
    fn numbers_are_padded_digits() {
        assert_eq!(
            add("Custname=A&Status=Active&Custno=0000000010")
                .unwrap()
                .custno
                .as_deref(),
            Some("10")
        );
        assert_eq!(
            add("Custname=A&Status=Active&Custno=42")
                .unwrap()
                .custno
                .as_deref(),
            Some("42")
        );
        assert_eq!(
            add("Custname=A&Status=Active&Custno=12345678901").unwrap_err(),
            vec!["Custno must be at most ten digits."]
        );
        assert_eq!(
            add("Custname=A&Status=Active&Custno=A1").unwrap_err(),
            vec!["Custno must be at most ten digits."]
        );
        assert_eq!(
            edit("Custno=0000000010").unwrap().custno.as_deref(),
            Some("10")
        );
        assert_eq!(
            edit("Custno=10").unwrap_err(),
            vec!["Custno must be ten digits (for example 0000000010)."]
        );
        assert_eq!(
            edit("Custname=A").unwrap_err(),
            vec![crate::wire::MSG_EDIT_NEEDS_NUMBER]
        );
        assert_eq!(
            edit("Custno=").unwrap_err(),
            vec![crate::wire::MSG_EDIT_NEEDS_NUMBER]
        );
        assert_eq!(
            edit("Custno=C-100").unwrap().custno.as_deref(),
            Some("C-100")
        );
    }

    #[test]
    fn edit_takes_only_what_is_given() {
        let c = edit("CUSTNO=0000000010&Phone=&INACTDT=01/31/2020&inactinit=JS").unwrap();
        assert_eq!(c.custname, None);
        assert_eq!(c.status, None);
        assert_eq!(c.phone, Some(None));
        assert_eq!(c.fax, None);
        assert_eq!(
            c.inactdt.unwrap().unwrap().to_string(),
            "2020-01-31T00:00:00"
        );
        assert_eq!(c.inactinit, Some(Some("JS".into())));
        assert_eq!(
            edit("CUSTNO=0000000010&Custname=").unwrap_err(),
            vec!["Custname must not be empty."]
        );
        assert_eq!(
            edit("CUSTNO=0000000010&modifieddate=31/01/2020").unwrap_err(),
            vec!["modifieddate must be a date in MM/DD/YYYY format (or YYYY-MM-DD, optionally with a time), from 1753 to 9999."]
        );
    }

    #[test]
    fn a_problem_is_reported_once() {
        assert_eq!(
            add("Custname=A&Status=Active&STATUS=Quote").unwrap_err(),
            vec!["Status is given more than once with different values."]
        );
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let e = add("Territory=X&Credlimit=-2").unwrap_err();
        assert_eq!(e.len(), 4, "{e:?}");
    }
}
