//! ManEx record ↔ canonical customer, as pure functions.
//!
//! Fields with a canonical home go there (see the table in `docs.md`); every other field
//! of the record is kept in `extensions["custno"]` under its ManEx name, only when it
//! differs from the value a fresh ManEx record has, so that a record read from ManEx and
//! written back loses nothing.

use chrono::{DateTime, Utc};
use custgate_core::diff::{dropped_fields, keep_assigned};
use custgate_core::{Customer, CustomerId, JsonMap, Phone, PhoneKind, Status};
use rust_decimal::Decimal;
use serde_json::Value;

use crate::validate::Changes;
use crate::wire::{format_utc, ManexDate, Record, RecordBody};
use crate::NAME;

/// Extension key of `ACCT_DATE` when it was given (or read) rather than taken from
/// `created_at`.
pub const EXT_ACCT_DATE: &str = "ACCT_DATE";
/// Extension key of a `modifiedDate` given explicitly with Edit's `modifieddate`.
pub const EXT_MODIFIED_DATE: &str = "modifiedDate";
/// Extension key of the fields ManEx keeps but no Add or Edit parameter sets
/// ([`UNSETTABLE`]), as the client read them from the upstream, those that are not empty:
/// what the upstream keeps whatever a write sends, which [`carried`] says.
pub const EXT_AS_READ: &str = "asRead";
/// The fields with a canonical home (`note`, `sales.division`, `sales.reps`) that no Add
/// or Edit parameter sets.
const UNSETTABLE: [&str; 3] = ["CUSTNOTE", "DIVISION", "SREPS"];

/// The customer number in canonical form: a ManEx number (all digits, at most ten) without
/// its leading zeros (`0000000010` → `10`, `0000000000` → `0`); anything else trimmed and
/// kept as it is.
pub fn canonical_number(raw: &str) -> String {
    let raw = raw.trim();
    if !raw.is_empty() && raw.len() <= 10 && raw.bytes().all(|b| b.is_ascii_digit()) {
        let stripped = raw.trim_start_matches('0');
        if stripped.is_empty() {
            "0".to_owned()
        } else {
            stripped.to_owned()
        }
    } else {
        raw.to_owned()
    }
}

/// The customer number as ManEx writes it: digits left-padded with zeros to ten; a number
/// that is not all digits, or longer than ten, as it is.
pub fn manex_number(number: &str) -> String {
    let n = number.trim();
    if !n.is_empty() && n.len() <= 10 && n.bytes().all(|b| b.is_ascii_digit()) {
        format!("{n:0>10}")
    } else {
        n.to_owned()
    }
}

/// The `STATUS` of a canonical status. ManEx has no "blocked": such a customer shows as
/// `Inactive` (the canonical record keeps `blocked`).
pub fn manex_status(s: Status) -> &'static str {
    match s {
        Status::Active => "Active",
        Status::Inactive | Status::Blocked => "Inactive",
        Status::Quote => "Quote",
    }
}

/// The canonical status of a `STATUS` (any case, padded or not); an empty or unknown
/// value is `Inactive`, the safe reading of a status we cannot interpret.
pub fn canonical_status(raw: &str) -> Status {
    match Status::parse(raw.trim()) {
        Some(Status::Blocked) | None => Status::Inactive,
        Some(s) => s,
    }
}

/// A ManEx field kept in the extension: its name and the value of a fresh record.
struct ExtField {
    name: &'static str,
    default: fn() -> Value,
}

fn empty() -> Value {
    Value::String(String::new())
}
fn zero() -> Value {
    Value::from(0)
}
fn no() -> Value {
    Value::Bool(false)
}
fn null() -> Value {
    Value::Null
}

macro_rules! ext_fields {
    ($( $name:literal => $default:ident ),* $(,)?) => {
        const EXT_FIELDS: &[ExtField] = &[ $( ExtField { name: $name, default: $default } ),* ];
    };
}

ext_fields! {
    "BLINKADD" => empty, "SLINKADD" => empty, "PROFILE" => empty, "ACCTSTATUS" => empty,
    "AR_CALDATE" => null, "AR_CALTIME" => empty, "AR_CALBY" => empty, "AR_CALNOTE" => empty,
    "CREDITNOTE" => empty, "SAVEINIT" => empty, "OUT_MARGIN" => zero, "TL_MARGIN" => zero,
    "MAT_MARGIN" => zero, "LAB_MARGIN" => zero, "MIN_ORDAMT" => zero, "SCRAP_FACT" => zero,
    "COMMITEM" => zero, "CUSTSPEC" => zero, "LABOR" => no, "MATERIAL" => no, "SPLIT1" => zero,
    "SPLIT2" => zero, "SPLITAMT" => zero, "SPLITPERC" => zero, "TOOLING" => no,
    "SIC_CODE" => empty, "SIC_DESC" => empty, "DELIVTIME" => empty, "SERIFLAG" => no,
    "OVERHEAD" => zero, "IS_EDITED" => empty, "CUSTPFX" => empty, "INACTDT" => null,
    "INACTINIT" => empty, "UserId" => null, "LinkAddList" => null,
}

/// The record of a canonical customer.
pub fn to_record(c: &Customer) -> Record {
    let ext = c.extension(NAME);
    // The record as JSON: start from a fresh record's values, overlay the extension, then
    // the canonical fields.
    let mut m = JsonMap::new();
    for f in EXT_FIELDS {
        let v = ext
            .and_then(|e| e.get(f.name))
            .cloned()
            .unwrap_or_else(f.default);
        m.insert(f.name.to_owned(), v);
    }
    let text = |s: &Option<String>| Value::String(s.clone().unwrap_or_default());
    let phone = |kind| {
        Value::String(
            c.voice_index(kind)
                .map(|i| c.phones[i].number.clone())
                .unwrap_or_default(),
        )
    };
    let amount = |d: Option<Decimal>| amount_value(d.unwrap_or(Decimal::ZERO));
    m.insert(
        "CUSTNO".into(),
        Value::String(c.number.as_deref().map(manex_number).unwrap_or_default()),
    );
    m.insert(
        "CUSTNAME".into(),
        Value::String(c.display_name().unwrap_or_default()),
    );
    m.insert("PHONE".into(), phone(PhoneKind::Phone));
    m.insert("FAX".into(), phone(PhoneKind::Fax));
    m.insert("TERRITORY".into(), text(&c.sales.territory));
    m.insert("TERMS".into(), text(&c.finance.payment_terms));
    m.insert("CREDLIMIT".into(), amount(c.finance.credit_limit));
    m.insert("CUSTNOTE".into(), text(&c.note));
    m.insert("DIVISION".into(), text(&c.sales.division));
    m.insert("SREPS".into(), Value::String(c.sales.reps.join(",")));
    m.insert("CREDITOK".into(), text(&c.finance.credit_status));
    m.insert("RESL_NO".into(), text(&c.sales.reseller_no));
    m.insert(
        "AR_HIGHBAL".into(),
        amount(c.finance.receivable_high_balance),
    );
    let acct_date = ext
        .and_then(|e| e.get(EXT_ACCT_DATE))
        .cloned()
        .filter(|v| !v.is_null())
        .or_else(|| c.created_at.map(|t| Value::String(format_utc(t))))
        .unwrap_or(Value::Null);
    m.insert("ACCT_DATE".into(), acct_date);
    m.insert(
        "STATUS".into(),
        Value::String(manex_status(c.status).into()),
    );
    m.insert("SALEDSCTID".into(), text(&c.sales.discount_id));
    m.insert(
        "ACTTAXABLE".into(),
        Value::Bool(c.finance.taxable.unwrap_or(false)),
    );
    m.insert("modifiedDate".into(), modified_date(c, ext));
    let link_add_list = m.remove("LinkAddList").filter(|v| !v.is_null());
    let body: RecordBody = serde_json::from_value(Value::Object(m)).unwrap_or_else(|e| {
        // Only a foreign value in the extension (a string where ManEx has a number) can
        // get here; drop the extension rather than fail a read.
        tracing::warn!(error = %e, "Ignoring a malformed custno extension");
        let mut clean = c.clone();
        clean.extensions.remove(NAME);
        to_record(&clean).body
    });
    Record {
        link_add_list,
        body,
    }
}

/// `modifiedDate`: the date given with Edit's `modifieddate`, else the store's
/// `updated_at` once the record changed after its creation, else `null` (as the vendor
/// answers an Add).
fn modified_date(c: &Customer, ext: Option<&JsonMap>) -> Value {
    if let Some(v) = ext
        .and_then(|e| e.get(EXT_MODIFIED_DATE))
        .filter(|v| !v.is_null())
    {
        return v.clone();
    }
    match (c.updated_at, c.created_at) {
        (Some(u), Some(cr)) if u == cr => Value::Null,
        (Some(u), _) => Value::String(format_utc(u)),
        (None, _) => Value::Null,
    }
}

fn amount_value(d: Decimal) -> Value {
    serde_json::to_value(AmountJson(d)).unwrap_or(Value::Null)
}

struct AmountJson(Decimal);

impl serde::Serialize for AmountJson {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        crate::wire::num::serialize_decimal(&self.0, s)
    }
}

fn trimmed(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn parse_time(raw: &Option<String>) -> Option<DateTime<Utc>> {
    raw.as_deref()
        .and_then(ManexDate::parse)
        .map(|d| d.to_utc())
}

/// The canonical customer of a record read from ManEx (the client's side). The id is the
/// ten-digit `CUSTNO`; string values are trimmed (SQL `char` columns come back padded).
pub fn from_record(r: &Record) -> Customer {
    let b = &r.body;
    let mut c = Customer::default();
    let number = trimmed(&b.custno).map(|n| canonical_number(&n));
    if let Some(id) = number
        .as_deref()
        .and_then(|n| CustomerId::parse(&manex_number(n)).ok())
    {
        c.id = id;
    }
    c.number = number;
    c.name.display = trimmed(&b.custname);
    for (kind, v) in [(PhoneKind::Phone, &b.phone), (PhoneKind::Fax, &b.fax)] {
        if let Some(n) = trimmed(v) {
            c.phones.push(Phone {
                kind,
                number: n,
                default: true,
                ..Phone::default()
            });
        }
    }
    c.status = canonical_status(b.status.as_deref().unwrap_or(""));
    c.sales.territory = trimmed(&b.territory);
    c.finance.payment_terms = trimmed(&b.terms);
    c.finance.credit_limit = Some(b.credlimit.unwrap_or_default().normalize());
    c.note = trimmed(&b.custnote);
    c.sales.division = trimmed(&b.division);
    c.sales.reps = b
        .sreps
        .as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    c.finance.credit_status = trimmed(&b.creditok);
    c.sales.reseller_no = trimmed(&b.resl_no);
    c.finance.receivable_high_balance = Some(b.ar_highbal.unwrap_or_default().normalize());
    c.sales.discount_id = trimmed(&b.saledsctid);
    c.finance.taxable = Some(b.acttaxable.unwrap_or(false));
    c.created_at = parse_time(&b.acct_date);
    c.updated_at = parse_time(&b.modified_date);

    // Everything else, as JSON, into the extension when it differs from a fresh record.
    let mut ext = JsonMap::new();
    let mut json = serde_json::to_value(r.add_view()).unwrap_or(Value::Null);
    if let Some(obj) = json.as_object_mut() {
        for f in EXT_FIELDS {
            let v = match obj.remove(f.name) {
                Some(Value::String(s)) => Value::String(s.trim().to_owned()),
                Some(v) => v,
                None => continue,
            };
            if !crate::query::same_value(&v, &(f.default)()) {
                ext.insert(f.name.to_owned(), v);
            }
        }
    }
    if let Some(raw) = trimmed(&b.acct_date) {
        ext.insert(EXT_ACCT_DATE.into(), Value::String(raw));
    }
    if c.updated_at.is_none() {
        if let Some(raw) = trimmed(&b.modified_date) {
            // Not a date we can read: keep it as it came.
            ext.insert(EXT_MODIFIED_DATE.into(), Value::String(raw));
        }
    }
    let as_read: JsonMap = UNSETTABLE
        .iter()
        .zip([&b.custnote, &b.division, &b.sreps])
        .filter_map(|(k, v)| trimmed(v).map(|v| ((*k).to_owned(), Value::String(v))))
        .collect();
    if !as_read.is_empty() {
        ext.insert(EXT_AS_READ.into(), Value::Object(as_read));
    }
    if !ext.is_empty() {
        c.extensions.insert(NAME.into(), ext);
    }
    c
}

/// What `c` looks like once the upstream client (`Client`, feature `client`) has written
/// it to ManEx and read it back: [`to_record`] (the record whose fields the client sends
/// as parameters), as ManEx answers a Get for it, read with [`from_record`] (what the
/// client makes of the answer), assuming ManEx stores what it is sent but for what no
/// parameter sets ([`UNSETTABLE`]: the note, division and reps), which stays as the client
/// last read it (`extensions.custno.asRead`; empty for a record never read from ManEx,
/// such as a new one). The fields the upstream assigns (`id`, `seq`, `version`,
/// timestamps) are `c`'s own (see [`keep_assigned`]).
///
/// What `dropped_fields(c, &carried(c))` reports is what the client refuses to write (see
/// [`unrepresentable`]).
pub fn carried(c: &Customer) -> Customer {
    let sent = to_record(c);
    let mut answer = serde_json::to_value(sent.get_view())
        .and_then(serde_json::from_value::<Record>)
        .unwrap_or(sent);
    let as_read = c
        .extension(NAME)
        .and_then(|e| e.get(EXT_AS_READ))
        .and_then(Value::as_object);
    let was = |field: &str| {
        let v = as_read.and_then(|r| r.get(field)).and_then(Value::as_str);
        Some(v.unwrap_or_default().to_owned())
    };
    answer.body.custnote = was("CUSTNOTE");
    answer.body.division = was("DIVISION");
    answer.body.sreps = was("SREPS");
    let mut kept = from_record(&answer);
    keep_assigned(c, &mut kept);
    kept
}

/// Applies the parameters of an Add or Edit to a customer. Only given parameters change
/// anything; an empty value clears an optional field.
pub fn apply(changes: &Changes, c: &mut Customer) {
    if let Some(n) = &changes.custno {
        c.number = Some(n.clone());
    }
    if let Some(name) = &changes.custname {
        c.name.display = Some(name.clone());
    }
    if let Some(s) = changes.status {
        c.status = s;
    }
    if let Some(v) = &changes.phone {
        set_phone(c, PhoneKind::Phone, v.as_deref());
    }
    if let Some(v) = &changes.fax {
        set_phone(c, PhoneKind::Fax, v.as_deref());
    }
    if let Some(v) = changes.territory {
        c.sales.territory = v.map(str::to_owned);
    }
    if let Some(v) = changes.terms {
        c.finance.payment_terms = v.map(str::to_owned);
    }
    if let Some(v) = changes.credlimit {
        c.finance.credit_limit = v;
    }
    if let Some(v) = changes.creditok {
        c.finance.credit_status = v.map(str::to_owned);
    }
    if let Some(v) = &changes.resl_no {
        c.sales.reseller_no = v.clone();
    }
    if let Some(v) = changes.ar_highbal {
        c.finance.receivable_high_balance = v;
    }
    if let Some(v) = &changes.saledsctid {
        c.sales.discount_id = v.clone();
    }
    if let Some(v) = changes.acctaxable {
        c.finance.taxable = v;
    }
    let dates = [
        (EXT_ACCT_DATE, changes.acct_date),
        ("INACTDT", changes.inactdt),
        (EXT_MODIFIED_DATE, changes.modifieddate),
    ];
    for (key, v) in dates {
        if let Some(v) = v {
            set_ext(c, key, v.map(|d| Value::String(d.to_string())));
        }
    }
    if let Some(v) = &changes.inactinit {
        set_ext(c, "INACTINIT", v.clone().map(Value::String));
    }
}

/// An Edit's changes without the parameters equal to what Get shows for `c`: those
/// change nothing, so a client that sends back the record it read keeps what ManEx shows
/// in its own way: `0` for an absent `CREDLIMIT` or `AR_HIGHBAL`, `false` for an absent
/// `ACTTAXABLE`, `Inactive` for a blocked customer, the name made of the name's parts for
/// a customer without a display name, and `created_at`/`updated_at` as `ACCT_DATE` and
/// `modifiedDate` (which, given, would stop following the record). A value that differs
/// from what Get shows is a change, as before.
pub fn without_echoes(changes: &Changes, c: &Customer) -> Changes {
    let shown = to_record(c).body;
    let mut out = changes.clone();
    let date = |d: &Option<ManexDate>| d.as_ref().map(ToString::to_string);
    if out.custname.is_some() && out.custname == shown.custname {
        out.custname = None;
    }
    if out
        .status
        .is_some_and(|s| Some(manex_status(s)) == shown.status.as_deref())
    {
        out.status = None;
    }
    if out.credlimit.is_some_and(|v| v == shown.credlimit) {
        out.credlimit = None;
    }
    if out.ar_highbal.is_some_and(|v| v == shown.ar_highbal) {
        out.ar_highbal = None;
    }
    if out.acctaxable.is_some_and(|v| v == shown.acttaxable) {
        out.acctaxable = None;
    }
    if out
        .acct_date
        .as_ref()
        .is_some_and(|d| date(d) == shown.acct_date)
    {
        out.acct_date = None;
    }
    if out
        .modifieddate
        .as_ref()
        .is_some_and(|d| date(d) == shown.modified_date)
    {
        out.modifieddate = None;
    }
    out
}

fn set_ext(c: &mut Customer, key: &str, value: Option<Value>) {
    match value {
        Some(v) => {
            c.extension_mut(NAME).insert(key.to_owned(), v);
        }
        None => {
            if let Some(e) = c.extensions.get_mut(NAME) {
                e.remove(key);
                if e.is_empty() {
                    c.extensions.remove(NAME);
                }
            }
        }
    }
}

/// Sets (or with `None` removes) the phone that `PHONE`/`FAX` show
/// ([`Customer::voice_index`]: `PHONE` is the default or first plain phone, else mobile):
/// it keeps its place, kind and flags; the other phones are untouched.
fn set_phone(c: &mut Customer, kind: PhoneKind, number: Option<&str>) {
    let shown = c.voice_index(kind);
    c.set_shown_phone(shown, kind, number.map(str::to_owned), None);
}

/// What of `c` ManEx cannot keep, by canonical path: `dropped_fields(c, &carried(c))`,
/// the same rule (and the same names) the gateway's loss check applies. The client
/// refuses a write that this names anything in rather than drop it silently.
pub fn unrepresentable(c: &Customer) -> Vec<String> {
    dropped_fields(c, &carried(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_pad_and_unpad() {
        for (raw, canon, manex) in [
            ("0000000010", "10", "0000000010"),
            ("10", "10", "0000000010"),
            ("0000000000", "0", "0000000000"),
            (" 42 ", "42", "0000000042"),
            ("C-100", "C-100", "C-100"),
            ("12345678901", "12345678901", "12345678901"),
        ] {
            assert_eq!(canonical_number(raw), canon, "{raw}");
            assert_eq!(manex_number(canon), manex, "{raw}");
        }
    }

    #[test]
    fn statuses_map_both_ways() {
        assert_eq!(manex_status(Status::Blocked), "Inactive");
        assert_eq!(canonical_status("Active "), Status::Active);
        assert_eq!(canonical_status("QUOTE"), Status::Quote);
        assert_eq!(canonical_status(""), Status::Inactive);
        assert_eq!(canonical_status("Blocked"), Status::Inactive);
    }

    #[test]
    fn a_blank_customer_is_a_fresh_record() {
        let r = to_record(&Customer::default());
        assert_eq!(r.body.custno.as_deref(), Some(""));
        assert_eq!(r.body.credlimit, Some(Decimal::ZERO));
        assert_eq!(r.body.labor, Some(false));
        assert_eq!(r.body.inactdt, None);
        assert_eq!(r.body.acct_date, None);
        assert_eq!(r.body.status.as_deref(), Some("Active"));
        assert_eq!(from_record(&r).extensions.get(NAME), None);
    }

    #[test]
    fn an_edit_sending_back_what_get_shows_changes_nothing() {
        use crate::query::Params;
        use crate::validate::{changes, Action};

        let mut c = Customer::new();
        c.number = Some("7".into());
        c.name.first = Some("Sara".into());
        c.name.last = Some("Ali".into());
        c.status = Status::Blocked;
        c.created_at = Some(Utc::now());
        c.updated_at = c.created_at.map(|t| t + chrono::Duration::seconds(5));
        let shown = to_record(&c).body;
        let query = [
            ("custno", "0000000007".to_owned()),
            ("custname", shown.custname.clone().unwrap_or_default()),
            ("status", shown.status.clone().unwrap_or_default()),
            ("credlimit", "0".to_owned()),
            ("ar_highbal", "0".to_owned()),
            ("acctaxable", "false".to_owned()),
            ("acct_date", shown.acct_date.clone().unwrap_or_default()),
            (
                "modifieddate",
                shown.modified_date.clone().unwrap_or_default(),
            ),
        ]
        .iter()
        .map(|(k, v)| format!("{k}={}", v.replace(' ', "+")))
        .collect::<Vec<_>>()
        .join("&");
        let given = changes(&Params::from_query(&query), Action::Edit).unwrap();
        let mut edited = c.clone();
        apply(&without_echoes(&given, &c), &mut edited);
        assert_eq!(edited, c);

        // A value other than the one shown is a change, 0 and false included.
        let query = "custno=0000000007&custname=Sara+A.&status=Active&credlimit=5&acctaxable=true";
        let given = changes(&Params::from_query(query), Action::Edit).unwrap();
        apply(&without_echoes(&given, &c), &mut edited);
        assert_eq!(edited.name.display.as_deref(), Some("Sara A."));
        assert_eq!(edited.status, Status::Active);
        assert_eq!(edited.finance.credit_limit, Some(Decimal::from(5)));
        assert_eq!(edited.finance.taxable, Some(true));
        let given = changes(
            &Params::from_query("custno=0000000007&credlimit=0&acctaxable=false"),
            Action::Edit,
        )
        .unwrap();
        apply(&without_echoes(&given, &edited), &mut edited);
        assert_eq!(edited.finance.credit_limit, Some(Decimal::ZERO));
        assert_eq!(edited.finance.taxable, Some(false));
    }

    #[test]
    fn phones_keep_their_kind() {
        let mut c = Customer::default();
        c.phones.push(Phone {
            kind: PhoneKind::Mobile,
            number: "+4711".into(),
            ..Phone::default()
        });
        // A customer whose only number is a mobile shows it as PHONE, and an edit of
        // PHONE changes that mobile's number.
        assert_eq!(to_record(&c).body.phone.as_deref(), Some("+4711"));
        set_phone(&mut c, PhoneKind::Phone, Some("+4712"));
        assert_eq!(c.phones.len(), 1);
        assert_eq!(
            (c.phones[0].kind, c.phones[0].number.as_str()),
            (PhoneKind::Mobile, "+4712")
        );
        set_phone(&mut c, PhoneKind::Fax, Some("556"));
        let r = to_record(&c);
        assert_eq!(r.body.phone.as_deref(), Some("+4712"));
        assert_eq!(r.body.fax.as_deref(), Some("556"));
        // A plain phone comes first.
        c.phones.push(Phone {
            kind: PhoneKind::Phone,
            number: "555".into(),
            ..Phone::default()
        });
        assert_eq!(to_record(&c).body.phone.as_deref(), Some("555"));
        // Clearing PHONE removes the phone it showed; the next voice number shows.
        set_phone(&mut c, PhoneKind::Phone, None);
        assert_eq!(c.phones.len(), 2);
        assert_eq!(to_record(&c).body.phone.as_deref(), Some("+4712"));
        set_phone(&mut c, PhoneKind::Phone, None);
        assert_eq!(to_record(&c).body.phone.as_deref(), Some(""));
        assert_eq!(to_record(&c).body.fax.as_deref(), Some("556"));
    }

    #[test]
    fn foreign_extension_values_do_not_break_reads() {
        let mut c = Customer::default();
        c.extension_mut(NAME)
            .insert("OUT_MARGIN".into(), Value::String("lots".into()));
        assert_eq!(to_record(&c).body.out_margin, Some(Decimal::ZERO));
    }

    #[test]
    fn unrepresentable_parts_are_named() {
        let mut c = Customer::default();
        assert!(unrepresentable(&c).is_empty());
        c.emails.push(custgate_core::Email {
            address: "a@b".into(),
            ..Default::default()
        });
        c.status = Status::Blocked;
        assert_eq!(unrepresentable(&c), vec!["emails[0]", "status"]);
    }
}
