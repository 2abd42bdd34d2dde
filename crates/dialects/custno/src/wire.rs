//! The ManEx JSON exactly as the vendor writes it: the envelope, the customer record (in
//! the order of the seed's Add example, or of its Get example), the ASP.NET Web API error
//! bodies, and the date format.

use std::fmt;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, Timelike};
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// `Message` of a successful Add.
pub const MSG_ADDED: &str = "Customer added successfully.";
/// `Message` of a successful Edit.
pub const MSG_EDITED: &str = "Customer edited successfully.";
/// `Message` of a successful Get.
pub const MSG_DETAILS: &str = "Customer details:";
/// `Message` of a refused API key.
pub const MSG_INVALID_KEY: &str = "Invalid API Key.";
/// `Message` of a Get that found nothing (the grammar is the vendor's).
pub const MSG_NOT_FOUND: &str = "Customer does not exists.";
/// The reason of an Edit without `Custno` (no trailing period: the vendor's text).
pub const MSG_EDIT_NEEDS_NUMBER: &str = "Customer Number or Customer Name is Required";
/// `Code` of a success.
pub const CODE_OK: i64 = 200;
/// `Code` of every refusal.
pub const CODE_REFUSED: i64 = 403;

/// The envelope around every answer of the ManEx customer API.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Envelope<T> {
    #[serde(rename = "$id", default = "one")]
    pub id: String,
    #[serde(rename = "Code")]
    pub code: i64,
    #[serde(rename = "Message", default)]
    pub message: String,
    #[serde(rename = "SessionId", default)]
    pub session_id: Option<Value>,
    #[serde(rename = "IsValidUser", default)]
    pub is_valid_user: bool,
    #[serde(rename = "ResponseObject", default = "none")]
    pub response_object: Option<T>,
}

fn one() -> String {
    "1".to_owned()
}

fn none<T>() -> Option<T> {
    None
}

impl<T> Envelope<T> {
    /// A `Code: 200` answer.
    pub fn ok(message: impl Into<String>, object: Option<T>) -> Self {
        Self {
            id: one(),
            code: CODE_OK,
            message: message.into(),
            session_id: None,
            is_valid_user: true,
            response_object: object,
        }
    }

    /// A refusal (`Code: 403` unless said otherwise) without a record.
    pub fn refused(code: i64, message: impl Into<String>, is_valid_user: bool) -> Self {
        Self {
            id: one(),
            code,
            message: message.into(),
            session_id: None,
            is_valid_user,
            response_object: None,
        }
    }
}

/// The ASP.NET Web API error body of an unknown route, action or method.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebApiError {
    #[serde(rename = "$id", default = "one")]
    pub id: String,
    #[serde(rename = "Message")]
    pub message: String,
    #[serde(
        rename = "MessageDetail",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub message_detail: Option<String>,
}

impl WebApiError {
    /// No route matches: the controller name is unknown.
    pub fn no_controller(uri: &str, controller: &str) -> Self {
        Self::no_resource(
            uri,
            format!("No type was found that matches the controller named '{controller}'."),
        )
    }

    /// The controller exists but no action matches (unknown action, or Get without
    /// `CustNumOrName`).
    pub fn no_action(uri: &str) -> Self {
        Self::no_resource(
            uri,
            "No action was found on the controller 'Customer' that matches the request.".into(),
        )
    }

    fn no_resource(uri: &str, detail: String) -> Self {
        Self {
            id: one(),
            message: format!("No HTTP resource was found that matches the request URI '{uri}'."),
            message_detail: Some(detail),
        }
    }

    /// A method other than GET and POST.
    pub fn method_not_allowed(method: &str) -> Self {
        Self {
            id: one(),
            message: format!("The requested resource does not support http method '{method}'."),
            message_detail: None,
        }
    }
}

/// The customer record: every field of the seed, except `$id` and `LinkAddList`, in the
/// seed's order. [`AddView`] and [`GetView`] put those two where each example has them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RecordBody {
    #[serde(rename = "CUSTNO")]
    pub custno: Option<String>,
    #[serde(rename = "CUSTNAME")]
    pub custname: Option<String>,
    #[serde(rename = "PHONE")]
    pub phone: Option<String>,
    #[serde(rename = "FAX")]
    pub fax: Option<String>,
    #[serde(rename = "BLINKADD")]
    pub blinkadd: Option<String>,
    #[serde(rename = "SLINKADD")]
    pub slinkadd: Option<String>,
    #[serde(rename = "TERRITORY")]
    pub territory: Option<String>,
    #[serde(rename = "TERMS")]
    pub terms: Option<String>,
    #[serde(rename = "CREDLIMIT", with = "num")]
    pub credlimit: Option<Decimal>,
    #[serde(rename = "PROFILE")]
    pub profile: Option<String>,
    #[serde(rename = "CUSTNOTE")]
    pub custnote: Option<String>,
    #[serde(rename = "ACCTSTATUS")]
    pub acctstatus: Option<String>,
    #[serde(rename = "DIVISION")]
    pub division: Option<String>,
    #[serde(rename = "SREPS")]
    pub sreps: Option<String>,
    #[serde(rename = "CREDITOK")]
    pub creditok: Option<String>,
    #[serde(rename = "RESL_NO")]
    pub resl_no: Option<String>,
    #[serde(rename = "AR_CALDATE")]
    pub ar_caldate: Option<String>,
    #[serde(rename = "AR_CALTIME")]
    pub ar_caltime: Option<String>,
    #[serde(rename = "AR_CALBY")]
    pub ar_calby: Option<String>,
    #[serde(rename = "AR_CALNOTE")]
    pub ar_calnote: Option<String>,
    #[serde(rename = "AR_HIGHBAL", with = "num")]
    pub ar_highbal: Option<Decimal>,
    #[serde(rename = "CREDITNOTE")]
    pub creditnote: Option<String>,
    #[serde(rename = "ACCT_DATE")]
    pub acct_date: Option<String>,
    #[serde(rename = "SAVEINIT")]
    pub saveinit: Option<String>,
    #[serde(rename = "OUT_MARGIN", with = "num")]
    pub out_margin: Option<Decimal>,
    #[serde(rename = "TL_MARGIN", with = "num")]
    pub tl_margin: Option<Decimal>,
    #[serde(rename = "MAT_MARGIN", with = "num")]
    pub mat_margin: Option<Decimal>,
    #[serde(rename = "LAB_MARGIN", with = "num")]
    pub lab_margin: Option<Decimal>,
    #[serde(rename = "MIN_ORDAMT", with = "num")]
    pub min_ordamt: Option<Decimal>,
    #[serde(rename = "SCRAP_FACT", with = "num")]
    pub scrap_fact: Option<Decimal>,
    #[serde(rename = "COMMITEM", with = "num")]
    pub commitem: Option<Decimal>,
    #[serde(rename = "CUSTSPEC", with = "num")]
    pub custspec: Option<Decimal>,
    #[serde(rename = "LABOR")]
    pub labor: Option<bool>,
    #[serde(rename = "MATERIAL")]
    pub material: Option<bool>,
    #[serde(rename = "SPLIT1", with = "num")]
    pub split1: Option<Decimal>,
    #[serde(rename = "SPLIT2", with = "num")]
    pub split2: Option<Decimal>,
    #[serde(rename = "SPLITAMT", with = "num")]
    pub splitamt: Option<Decimal>,
    #[serde(rename = "SPLITPERC", with = "num")]
    pub splitperc: Option<Decimal>,
    #[serde(rename = "TOOLING")]
    pub tooling: Option<bool>,
    #[serde(rename = "SIC_CODE")]
    pub sic_code: Option<String>,
    #[serde(rename = "SIC_DESC")]
    pub sic_desc: Option<String>,
    #[serde(rename = "DELIVTIME")]
    pub delivtime: Option<String>,
    #[serde(rename = "STATUS")]
    pub status: Option<String>,
    #[serde(rename = "SERIFLAG")]
    pub seriflag: Option<bool>,
    #[serde(rename = "OVERHEAD", with = "num")]
    pub overhead: Option<Decimal>,
    #[serde(rename = "IS_EDITED")]
    pub is_edited: Option<String>,
    #[serde(rename = "SALEDSCTID")]
    pub saledsctid: Option<String>,
    #[serde(rename = "CUSTPFX")]
    pub custpfx: Option<String>,
    #[serde(rename = "ACTTAXABLE")]
    pub acttaxable: Option<bool>,
    #[serde(rename = "INACTDT")]
    pub inactdt: Option<String>,
    #[serde(rename = "INACTINIT")]
    pub inactinit: Option<String>,
    #[serde(rename = "modifiedDate")]
    pub modified_date: Option<String>,
    #[serde(rename = "UserId")]
    pub user_id: Option<Value>,
}

/// A customer record as read: the body and `LinkAddList`, wherever they are (`$id` is
/// ignored).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct Record {
    #[serde(rename = "LinkAddList", default)]
    pub link_add_list: Option<Value>,
    #[serde(flatten)]
    pub body: RecordBody,
}

impl Record {
    /// The record as the Add example orders it (`LinkAddList` last).
    pub fn add_view(&self) -> AddView<'_> {
        AddView {
            id: "2",
            body: &self.body,
            link_add_list: &self.link_add_list,
        }
    }

    /// The record as the Get example orders it (`LinkAddList` first).
    pub fn get_view(&self) -> GetView<'_> {
        GetView {
            id: "2",
            link_add_list: &self.link_add_list,
            body: &self.body,
        }
    }
}

/// The record in the order of the seed's Add answer.
#[derive(Clone, Debug, Serialize)]
pub struct AddView<'a> {
    #[serde(rename = "$id")]
    id: &'static str,
    #[serde(flatten)]
    body: &'a RecordBody,
    #[serde(rename = "LinkAddList")]
    link_add_list: &'a Option<Value>,
}

/// The record in the order of the seed's Get answer.
#[derive(Clone, Debug, Serialize)]
pub struct GetView<'a> {
    #[serde(rename = "$id")]
    id: &'static str,
    #[serde(rename = "LinkAddList")]
    link_add_list: &'a Option<Value>,
    #[serde(flatten)]
    body: &'a RecordBody,
}

/// ManEx numbers: written as JSON integers when whole (`0`, like the seed) and as
/// decimals otherwise; read from JSON numbers or numeric strings without going through
/// binary floating point.
pub mod num {
    use super::*;

    pub fn serialize<S: Serializer>(v: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            None => s.serialize_none(),
            Some(d) => serialize_decimal(d, s),
        }
    }

    /// One decimal as a JSON number.
    pub fn serialize_decimal<S: Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        let d = d.normalize();
        if d.fract().is_zero() {
            if let Ok(i) = i64::try_from(d) {
                return s.serialize_i64(i);
            }
        }
        let f: f64 = d.to_string().parse().map_err(serde::ser::Error::custom)?;
        s.serialize_f64(f)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
        match Option::<Value>::deserialize(d)? {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => parse(&n.to_string()).map(Some),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => parse(&s).map(Some),
            Some(other) => Err(format!("expected a number, found {other}")),
        }
        .map_err(serde::de::Error::custom)
    }

    fn parse(s: &str) -> Result<Decimal, String> {
        let s = s.trim();
        s.parse::<Decimal>()
            .or_else(|_| Decimal::from_scientific(s))
            .map_err(|_| format!("'{s}' is not a number"))
    }
}

/// A ManEx date: SQL `datetime` values come back without an offset
/// (`2014-11-19T13:28:00`), values made in .NET memory with one
/// (`2014-11-19T10:09:57.041868-05:00`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ManexDate {
    Naive(NaiveDateTime),
    Offset(DateTime<FixedOffset>),
}

/// The earliest date SQL Server's `datetime` holds.
const MIN_YEAR: i32 = 1753;

impl ManexDate {
    /// Parses `MM/DD/YYYY` (optionally with a time), ISO `YYYY-MM-DD`,
    /// `YYYY-MM-DDTHH:MM:SS[.f]`, `YYYY-MM-DD HH:MM:SS`, the seed's run-together
    /// `YYYY-MM-DDHH:MM:SS`, and RFC 3339 with an offset.
    pub fn parse(raw: &str) -> Option<ManexDate> {
        let s = raw.trim();
        if s.is_empty() || s.len() > 40 {
            return None;
        }
        let d = Self::parse_any(s)?;
        (MIN_YEAR..=9999).contains(&d.naive().year()).then_some(d)
    }

    fn parse_any(s: &str) -> Option<ManexDate> {
        if let Ok(t) = DateTime::parse_from_rfc3339(s) {
            return Some(ManexDate::Offset(t));
        }
        for fmt in ["%Y-%m-%dT%H:%M:%S%.f%:z", "%Y-%m-%d %H:%M:%S%.f%:z"] {
            if let Ok(t) = DateTime::parse_from_str(s, fmt) {
                return Some(ManexDate::Offset(t));
            }
        }
        for fmt in [
            "%Y-%m-%dT%H:%M:%S%.f",
            "%Y-%m-%d %H:%M:%S%.f",
            "%Y-%m-%d%H:%M:%S%.f",
            "%Y-%m-%dT%H:%M",
            "%m/%d/%Y %H:%M:%S%.f",
            "%m/%d/%Y %H:%M",
            "%m/%d/%Y %I:%M:%S %p",
            "%m/%d/%Y %I:%M %p",
        ] {
            if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
                return Some(ManexDate::Naive(t));
            }
        }
        for fmt in ["%Y-%m-%d", "%m/%d/%Y"] {
            if let Ok(d) = NaiveDate::parse_from_str(s, fmt) {
                return Some(ManexDate::Naive(d.and_hms_opt(0, 0, 0)?));
            }
        }
        None
    }

    /// The wall-clock part.
    pub fn naive(&self) -> NaiveDateTime {
        match self {
            ManexDate::Naive(t) => *t,
            ManexDate::Offset(t) => t.naive_local(),
        }
    }

    /// The instant, taking a value without offset as UTC.
    pub fn to_utc(&self) -> DateTime<chrono::Utc> {
        match self {
            ManexDate::Naive(t) => t.and_utc(),
            ManexDate::Offset(t) => t.with_timezone(&chrono::Utc),
        }
    }
}

impl fmt::Display for ManexDate {
    /// JSON.NET's ISO form: seconds, then up to seven fraction digits without trailing
    /// zeros, then the offset when there is one.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.naive();
        write!(f, "{}", t.format("%Y-%m-%dT%H:%M:%S"))?;
        let frac = format!("{:09}", t.nanosecond() % 1_000_000_000);
        let frac = frac[..7].trim_end_matches('0');
        if !frac.is_empty() {
            write!(f, ".{frac}")?;
        }
        if let ManexDate::Offset(o) = self {
            write!(f, "{}", o.format("%:z"))?;
        }
        Ok(())
    }
}

/// A UTC instant in the form the Get example uses (no offset).
pub fn format_utc(t: DateTime<chrono::Utc>) -> String {
    ManexDate::Naive(t.naive_utc()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_in_every_documented_form() {
        for (raw, out) in [
            ("11/19/2014", "2014-11-19T00:00:00"),
            ("1/2/2014", "2014-01-02T00:00:00"),
            ("11/19/2014 13:28:00", "2014-11-19T13:28:00"),
            ("11/19/2014 1:28:00 PM", "2014-11-19T13:28:00"),
            ("2014-11-19", "2014-11-19T00:00:00"),
            ("2014-11-19T13:28:00", "2014-11-19T13:28:00"),
            ("2014-11-19 13:28:00", "2014-11-19T13:28:00"),
            ("2014-11-1900:00:00", "2014-11-19T00:00:00"),
            ("2014-11-19T13:27:49.25", "2014-11-19T13:27:49.25"),
            (
                "2014-11-19T10:09:57.041868-05:00",
                "2014-11-19T10:09:57.041868-05:00",
            ),
            ("2014-11-19T10:09:57Z", "2014-11-19T10:09:57+00:00"),
        ] {
            let d = ManexDate::parse(raw).unwrap_or_else(|| panic!("{raw} refused"));
            assert_eq!(d.to_string(), out, "{raw}");
        }
    }

    #[test]
    fn impossible_dates_are_refused() {
        for raw in [
            "",
            "YYYY-MM-DD00:00:00",
            "13/01/2014",
            "02/30/2014",
            "2014-11-19T25:00:00",
            "19.11.2014",
            "01/01/1752",
            "tomorrow",
        ] {
            assert!(ManexDate::parse(raw).is_none(), "{raw} accepted");
        }
    }

    #[test]
    fn numbers_are_integers_when_whole() {
        #[derive(Serialize)]
        struct N(#[serde(with = "num")] Option<Decimal>);
        let s = |d: &str| serde_json::to_string(&N(Some(d.parse().unwrap()))).unwrap();
        assert_eq!(s("0"), "0");
        assert_eq!(s("1500.00"), "1500");
        assert_eq!(s("1500.50"), "1500.5");
        assert_eq!(serde_json::to_string(&N(None)).unwrap(), "null");
    }

    #[test]
    fn fractions_keep_at_most_seven_digits() {
        let t = NaiveDate::from_ymd_opt(2020, 1, 2)
            .unwrap()
            .and_hms_nano_opt(3, 4, 5, 123_456_789)
            .unwrap();
        assert_eq!(
            ManexDate::Naive(t).to_string(),
            "2020-01-02T03:04:05.1234567"
        );
    }
}
