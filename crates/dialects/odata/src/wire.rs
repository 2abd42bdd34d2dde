//! The dialect's JSON, exactly as Unimicro writes it: PascalCase names, `ID` suffixes,
//! nested `Info` business relation, status and phone-type codes as integers.
//!
//! Every object type keeps what it does not model in a flattened `extra` map, and every
//! modelled property is a [`Patch`] so that "absent" and `null` stay apart: parsing the
//! seed's Appendix A and writing it again gives the same JSON, and a `PUT` that leaves a
//! property out leaves it unchanged.

use std::sync::LazyLock;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// A JSON object.
pub type JsonMap = serde_json::Map<String, Value>;

/// A property that may be absent, `null` or a value.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Patch<T> {
    #[default]
    Absent,
    Null,
    Value(T),
}

impl<T> Patch<T> {
    pub fn is_absent(&self) -> bool {
        matches!(self, Patch::Absent)
    }

    pub fn is_present(&self) -> bool {
        !self.is_absent()
    }

    /// The value, if there is one.
    pub fn value(&self) -> Option<&T> {
        match self {
            Patch::Value(v) => Some(v),
            _ => None,
        }
    }

    pub fn into_value(self) -> Option<T> {
        match self {
            Patch::Value(v) => Some(v),
            _ => None,
        }
    }

    /// `Some` becomes a value, `None` becomes `null`.
    pub fn from_option(o: Option<T>) -> Self {
        match o {
            Some(v) => Patch::Value(v),
            None => Patch::Null,
        }
    }
}

impl<T: Serialize> Serialize for Patch<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Patch::Value(v) => v.serialize(s),
            Patch::Absent | Patch::Null => s.serialize_none(),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Patch<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Patch::from_option(Option::<T>::deserialize(d)?))
    }
}

/// The customer entity (`api/biz/customers`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Customer {
    #[serde(rename = "ID", default, skip_serializing_if = "Patch::is_absent")]
    pub id: Patch<i64>,
    #[serde(
        rename = "CustomerNumber",
        default,
        skip_serializing_if = "Patch::is_absent"
    )]
    pub customer_number: Patch<i64>,
    #[serde(
        rename = "BusinessRelationID",
        default,
        skip_serializing_if = "Patch::is_absent"
    )]
    pub business_relation_id: Patch<Value>,
    #[serde(
        rename = "OrgNumber",
        default,
        skip_serializing_if = "Patch::is_absent"
    )]
    pub org_number: Patch<String>,
    #[serde(
        rename = "IsPrivate",
        default,
        skip_serializing_if = "Patch::is_absent"
    )]
    pub is_private: Patch<bool>,
    #[serde(
        rename = "StatusCode",
        default,
        skip_serializing_if = "Patch::is_absent"
    )]
    pub status_code: Patch<i64>,
    #[serde(
        rename = "CreditDays",
        default,
        skip_serializing_if = "Patch::is_absent"
    )]
    pub credit_days: Patch<i64>,
    #[serde(
        rename = "CurrencyCode",
        default,
        skip_serializing_if = "Patch::is_absent"
    )]
    pub currency_code: Patch<CurrencyCode>,
    #[serde(
        rename = "CustomValues",
        default,
        skip_serializing_if = "Patch::is_absent"
    )]
    pub custom_values: Patch<JsonMap>,
    #[serde(rename = "Deleted", default, skip_serializing_if = "Patch::is_absent")]
    pub deleted: Patch<bool>,
    #[serde(
        rename = "CreatedAt",
        default,
        skip_serializing_if = "Patch::is_absent"
    )]
    pub created_at: Patch<Value>,
    #[serde(
        rename = "UpdatedAt",
        default,
        skip_serializing_if = "Patch::is_absent"
    )]
    pub updated_at: Patch<Value>,
    #[serde(rename = "Info", default, skip_serializing_if = "Patch::is_absent")]
    pub info: Patch<BusinessRelation>,
    /// Every other property (Appendix A's `Dimensions`, `DefaultSeller`, `GLN`…).
    #[serde(flatten)]
    pub extra: JsonMap,
}

/// `CurrencyCode`: Unimicro's currency entity; a bare code string is accepted too.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CurrencyCode {
    Code(String),
    Entity(CurrencyEntity),
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CurrencyEntity {
    #[serde(rename = "Code", default, skip_serializing_if = "Patch::is_absent")]
    pub code: Patch<String>,
    #[serde(flatten)]
    pub extra: JsonMap,
}

impl CurrencyCode {
    pub fn code(&self) -> Option<&str> {
        match self {
            CurrencyCode::Code(c) => Some(c),
            CurrencyCode::Entity(e) => e.code.value().map(String::as_str),
        }
    }
}

/// `Info`: the business relation holding the name and the contact details.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BusinessRelation {
    #[serde(rename = "ID", default, skip_serializing_if = "Patch::is_absent")]
    pub id: Patch<Value>,
    #[serde(rename = "Name", default, skip_serializing_if = "Patch::is_absent")]
    pub name: Patch<String>,
    #[serde(
        rename = "InvoiceAddressID",
        default,
        skip_serializing_if = "Patch::is_absent"
    )]
    pub invoice_address_id: Patch<i64>,
    #[serde(
        rename = "ShippingAddressID",
        default,
        skip_serializing_if = "Patch::is_absent"
    )]
    pub shipping_address_id: Patch<i64>,
    #[serde(
        rename = "DefaultPhoneID",
        default,
        skip_serializing_if = "Patch::is_absent"
    )]
    pub default_phone_id: Patch<i64>,
    #[serde(
        rename = "DefaultEmailID",
        default,
        skip_serializing_if = "Patch::is_absent"
    )]
    pub default_email_id: Patch<i64>,
    #[serde(
        rename = "DefaultContactID",
        default,
        skip_serializing_if = "Patch::is_absent"
    )]
    pub default_contact_id: Patch<i64>,
    #[serde(
        rename = "InvoiceAddress",
        default,
        skip_serializing_if = "Patch::is_absent"
    )]
    pub invoice_address: Patch<Address>,
    #[serde(
        rename = "ShippingAddress",
        default,
        skip_serializing_if = "Patch::is_absent"
    )]
    pub shipping_address: Patch<Address>,
    #[serde(
        rename = "DefaultPhone",
        default,
        skip_serializing_if = "Patch::is_absent"
    )]
    pub default_phone: Patch<Phone>,
    #[serde(
        rename = "DefaultEmail",
        default,
        skip_serializing_if = "Patch::is_absent"
    )]
    pub default_email: Patch<Email>,
    #[serde(
        rename = "DefaultContact",
        default,
        skip_serializing_if = "Patch::is_absent"
    )]
    pub default_contact: Patch<Contact>,
    #[serde(
        rename = "Addresses",
        default,
        skip_serializing_if = "Patch::is_absent"
    )]
    pub addresses: Patch<Vec<Address>>,
    #[serde(rename = "Phones", default, skip_serializing_if = "Patch::is_absent")]
    pub phones: Patch<Vec<Phone>>,
    #[serde(rename = "Emails", default, skip_serializing_if = "Patch::is_absent")]
    pub emails: Patch<Vec<Email>>,
    #[serde(rename = "Contacts", default, skip_serializing_if = "Patch::is_absent")]
    pub contacts: Patch<Vec<Contact>>,
    #[serde(flatten)]
    pub extra: JsonMap,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Address {
    #[serde(rename = "ID", default, skip_serializing_if = "Patch::is_absent")]
    pub id: Patch<i64>,
    #[serde(
        rename = "AddressLine1",
        default,
        skip_serializing_if = "Patch::is_absent"
    )]
    pub address_line1: Patch<String>,
    #[serde(
        rename = "AddressLine2",
        default,
        skip_serializing_if = "Patch::is_absent"
    )]
    pub address_line2: Patch<String>,
    #[serde(
        rename = "AddressLine3",
        default,
        skip_serializing_if = "Patch::is_absent"
    )]
    pub address_line3: Patch<String>,
    #[serde(
        rename = "PostalCode",
        default,
        skip_serializing_if = "Patch::is_absent"
    )]
    pub postal_code: Patch<String>,
    #[serde(rename = "City", default, skip_serializing_if = "Patch::is_absent")]
    pub city: Patch<String>,
    #[serde(rename = "Region", default, skip_serializing_if = "Patch::is_absent")]
    pub region: Patch<String>,
    #[serde(rename = "Country", default, skip_serializing_if = "Patch::is_absent")]
    pub country: Patch<String>,
    #[serde(
        rename = "CountryCode",
        default,
        skip_serializing_if = "Patch::is_absent"
    )]
    pub country_code: Patch<String>,
    #[serde(rename = "Deleted", default, skip_serializing_if = "Patch::is_absent")]
    pub deleted: Patch<bool>,
    #[serde(flatten)]
    pub extra: JsonMap,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Phone {
    #[serde(rename = "ID", default, skip_serializing_if = "Patch::is_absent")]
    pub id: Patch<i64>,
    /// 150101 phone, 150102 mobile, 150103 fax.
    #[serde(rename = "Type", default, skip_serializing_if = "Patch::is_absent")]
    pub kind: Patch<i64>,
    #[serde(rename = "Number", default, skip_serializing_if = "Patch::is_absent")]
    pub number: Patch<String>,
    #[serde(
        rename = "CountryCode",
        default,
        skip_serializing_if = "Patch::is_absent"
    )]
    pub country_code: Patch<String>,
    #[serde(
        rename = "Description",
        default,
        skip_serializing_if = "Patch::is_absent"
    )]
    pub description: Patch<String>,
    #[serde(rename = "Deleted", default, skip_serializing_if = "Patch::is_absent")]
    pub deleted: Patch<bool>,
    #[serde(flatten)]
    pub extra: JsonMap,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Email {
    #[serde(rename = "ID", default, skip_serializing_if = "Patch::is_absent")]
    pub id: Patch<i64>,
    #[serde(
        rename = "EmailAddress",
        default,
        skip_serializing_if = "Patch::is_absent"
    )]
    pub email_address: Patch<String>,
    #[serde(
        rename = "Description",
        default,
        skip_serializing_if = "Patch::is_absent"
    )]
    pub description: Patch<String>,
    #[serde(rename = "Deleted", default, skip_serializing_if = "Patch::is_absent")]
    pub deleted: Patch<bool>,
    #[serde(flatten)]
    pub extra: JsonMap,
}

/// A contact person of the customer (`Info.Contacts`), with their own business relation.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    #[serde(rename = "ID", default, skip_serializing_if = "Patch::is_absent")]
    pub id: Patch<i64>,
    #[serde(rename = "Role", default, skip_serializing_if = "Patch::is_absent")]
    pub role: Patch<String>,
    #[serde(rename = "Comment", default, skip_serializing_if = "Patch::is_absent")]
    pub comment: Patch<String>,
    #[serde(rename = "Info", default, skip_serializing_if = "Patch::is_absent")]
    pub info: Patch<ContactInfo>,
    #[serde(rename = "Deleted", default, skip_serializing_if = "Patch::is_absent")]
    pub deleted: Patch<bool>,
    #[serde(flatten)]
    pub extra: JsonMap,
}

/// A contact's `Info`: name, default e-mail and default phone.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ContactInfo {
    #[serde(rename = "Name", default, skip_serializing_if = "Patch::is_absent")]
    pub name: Patch<String>,
    #[serde(
        rename = "DefaultEmail",
        default,
        skip_serializing_if = "Patch::is_absent"
    )]
    pub default_email: Patch<Email>,
    #[serde(
        rename = "DefaultPhone",
        default,
        skip_serializing_if = "Patch::is_absent"
    )]
    pub default_phone: Patch<Phone>,
    #[serde(flatten)]
    pub extra: JsonMap,
}

/// The 400 body (seed: "Validation Response").
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ValidationObject {
    #[serde(rename = "ID")]
    pub id: i64,
    #[serde(rename = "EntityID")]
    pub entity_id: i64,
    #[serde(rename = "PropertyName")]
    pub property_name: String,
    #[serde(rename = "EntityType")]
    pub entity_type: String,
    #[serde(rename = "Message")]
    pub message: String,
    #[serde(rename = "Level")]
    pub level: i64,
    #[serde(rename = "EntityValidationRule")]
    pub entity_validation_rule: Option<Value>,
    #[serde(rename = "ComplexValidationRule")]
    pub complex_validation_rule: Option<ComplexValidationRule>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ComplexValidationRule {
    #[serde(rename = "EntityType")]
    pub entity_type: String,
    #[serde(rename = "ValidationCode")]
    pub validation_code: i64,
    #[serde(rename = "Message")]
    pub message: String,
    #[serde(rename = "System")]
    pub system: bool,
    #[serde(rename = "Operation")]
    pub operation: i64,
    #[serde(rename = "Level")]
    pub level: i64,
    #[serde(rename = "SyncKey")]
    pub sync_key: Option<Value>,
    #[serde(rename = "ChangedByCompany")]
    pub changed_by_company: bool,
    #[serde(rename = "OnConflict")]
    pub on_conflict: i64,
    #[serde(rename = "ID")]
    pub id: i64,
    #[serde(rename = "Deleted")]
    pub deleted: bool,
    #[serde(rename = "CreatedAt")]
    pub created_at: Option<Value>,
    #[serde(rename = "UpdatedAt")]
    pub updated_at: Option<Value>,
    #[serde(rename = "CreatedBy")]
    pub created_by: Option<Value>,
    #[serde(rename = "UpdatedBy")]
    pub updated_by: Option<Value>,
}

/// The body of every other error (seed: "Internal Server Error Response").
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServerError {
    #[serde(rename = "Message")]
    pub message: String,
    #[serde(rename = "StackTrace")]
    pub stack_trace: String,
    #[serde(rename = "Source")]
    pub source: String,
    #[serde(rename = "InnerException")]
    pub inner_exception: Option<Value>,
    #[serde(rename = "ErrorReference")]
    pub error_reference: String,
}

// ---------------------------------------------------------------------------------------
// Status and phone-type codes.
// ---------------------------------------------------------------------------------------

pub const STATUS_ACTIVE: i64 = 30001;
pub const STATUS_INACTIVE: i64 = 50001;
pub const STATUS_DELETED: i64 = 90001;

pub const PHONE_TYPE_PHONE: i64 = 150101;
pub const PHONE_TYPE_MOBILE: i64 = 150102;
pub const PHONE_TYPE_FAX: i64 = 150103;

// ---------------------------------------------------------------------------------------
// The shape of the model: which properties exist at each level, which of them are
// relations (navigation properties, absent unless expanded) and what type they lead to.
// ---------------------------------------------------------------------------------------

/// One object type of the model.
#[derive(Debug)]
pub struct Level {
    pub name: &'static str,
    /// Plain properties.
    pub keys: &'static [&'static str],
    /// Relations and the level they lead to (`None`: kept as stored, not modelled).
    pub relations: &'static [(&'static str, Option<&'static Level>)],
}

impl Level {
    /// The property's canonical spelling, matched ignoring ASCII case.
    pub fn key(&self, name: &str) -> Option<&'static str> {
        self.keys
            .iter()
            .copied()
            .chain(self.relations.iter().map(|(k, _)| *k))
            .find(|k| k.eq_ignore_ascii_case(name))
    }

    /// The relation's canonical spelling and target, matched ignoring ASCII case.
    pub fn relation(&self, name: &str) -> Option<(&'static str, Option<&'static Level>)> {
        self.relations
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .copied()
    }

    pub fn is_relation(&self, name: &str) -> bool {
        self.relations.iter().any(|(k, _)| *k == name)
    }
}

pub static CUSTOMER: Level = Level {
    name: "Customer",
    keys: &[
        "ID",
        "CustomerNumber",
        "CustomerNumberKidAlias",
        "BusinessRelationID",
        "OrgNumber",
        "IsPrivate",
        "CreditDays",
        "DefaultDistributionsID",
        "PaymentTermsID",
        "DeliveryTermsID",
        "WebUrl",
        "DimensionsID",
        "GLN",
        "PeppolAddress",
        "EfakturaIdentifier",
        "EInvoiceAgreementReference",
        "CustomerInvoiceReminderSettingsID",
        "DontSendReminders",
        "CurrencyCodeID",
        "AcceptableDelta4CustomerPaymentAccountID",
        "AcceptableDelta4CustomerPayment",
        "SubAccountNumberSeriesID",
        "DefaultSellerID",
        "ReminderEmailAddress",
        "DefaultCustomerInvoiceReportID",
        "DefaultCustomerOrderReportID",
        "DefaultCustomerQuoteReportID",
        "FactoringNumber",
        "AvtaleGiro",
        "AvtaleGiroNotification",
        "StatusCode",
        "CustomValues",
        "Deleted",
        "CreatedAt",
        "UpdatedAt",
        "CreatedBy",
        "UpdatedBy",
    ],
    relations: &[
        ("Info", Some(&INFO)),
        ("Distributions", None),
        ("PaymentTerms", None),
        ("DeliveryTerms", None),
        ("Dimensions", None),
        ("CustomerInvoiceReminderSettings", None),
        ("CustomerQuotes", None),
        ("CustomerOrders", None),
        ("CustomerInvoices", None),
        ("CurrencyCode", Some(&CURRENCY)),
        ("AcceptableDelta4CustomerPaymentAccount", None),
        ("SubAccountNumberSeries", None),
        ("DefaultSeller", None),
        ("Sellers", None),
        ("Companies", None),
        ("Account", None),
        ("Localization", None),
    ],
};

const INFO_KEYS: &[&str] = &[
    "ID",
    "Name",
    "CustomValues",
    "Deleted",
    "DefaultBankAccountID",
    "ShippingAddressID",
    "StatusCode",
    "UpdatedBy",
    "UpdatedAt",
    "DefaultEmailID",
    "CreatedBy",
    "InvoiceAddressID",
    "DefaultPhoneID",
    "DefaultContactID",
    "CreatedAt",
];

pub static INFO: Level = Level {
    name: "BusinessRelation",
    keys: INFO_KEYS,
    relations: &[
        ("InvoiceAddress", Some(&ADDRESS)),
        ("ShippingAddress", Some(&ADDRESS)),
        ("Addresses", Some(&ADDRESS)),
        ("DefaultPhone", Some(&PHONE)),
        ("Phones", Some(&PHONE)),
        ("DefaultEmail", Some(&EMAIL)),
        ("Emails", Some(&EMAIL)),
        ("DefaultContact", Some(&CONTACT)),
        ("Contacts", Some(&CONTACT)),
        ("DefaultBankAccount", None),
        ("BankAccounts", None),
    ],
};

pub static ADDRESS: Level = Level {
    name: "Address",
    keys: &[
        "ID",
        "AddressLine1",
        "AddressLine2",
        "AddressLine3",
        "PostalCode",
        "City",
        "Region",
        "Country",
        "CountryCode",
        "Deleted",
    ],
    relations: &[],
};

pub static PHONE: Level = Level {
    name: "Phone",
    keys: &[
        "ID",
        "Type",
        "Number",
        "CountryCode",
        "Description",
        "Deleted",
    ],
    relations: &[],
};

pub static EMAIL: Level = Level {
    name: "Email",
    keys: &["ID", "EmailAddress", "Description", "Deleted"],
    relations: &[],
};

pub static CONTACT: Level = Level {
    name: "Contact",
    keys: &[
        "ID",
        "Role",
        "Comment",
        "Deleted",
        "InfoID",
        "ParentBusinessRelationID",
    ],
    relations: &[("Info", Some(&CONTACT_INFO))],
};

pub static CONTACT_INFO: Level = Level {
    name: "BusinessRelation",
    keys: INFO_KEYS,
    relations: &[
        ("DefaultEmail", Some(&EMAIL)),
        ("DefaultPhone", Some(&PHONE)),
        ("InvoiceAddress", None),
        ("ShippingAddress", None),
        ("Addresses", None),
        ("Phones", None),
        ("Emails", None),
        ("DefaultContact", None),
        ("Contacts", None),
        ("DefaultBankAccount", None),
        ("BankAccounts", None),
    ],
};

pub static CURRENCY: Level = Level {
    name: "CurrencyCode",
    keys: &["ID", "Code", "Name", "ShortCode", "Description"],
    relations: &[],
};

/// Why a request body's property names could not be normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyClash {
    pub path: String,
}

/// Renames the properties of `value` to their canonical spelling (the vendor matches
/// names ignoring case), down through every modelled level. Unknown names stay as given.
/// Two spellings of one property in one object are a clash; its path starts with `path`.
pub fn normalize_keys(value: &mut Value, level: &Level, path: &str) -> Result<(), KeyClash> {
    normalize(value, level).map_err(|steps| {
        let mut path = path.to_owned();
        for step in steps.iter().rev() {
            match step {
                Step::Key(k) => {
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(k);
                }
                Step::Index(i) => path.push_str(&format!("[{i}]")),
            }
        }
        KeyClash { path }
    })
}

/// One step of the way to a clash.
enum Step {
    Key(String),
    Index(usize),
}

/// [`normalize_keys`]; on a clash, the steps to it, innermost first (a path is only
/// built when there is one to report).
fn normalize(value: &mut Value, level: &Level) -> Result<(), Vec<Step>> {
    let within = |step: Step| {
        move |mut steps: Vec<Step>| {
            steps.push(step);
            steps
        }
    };
    match value {
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                normalize(item, level).map_err(within(Step::Index(i)))?;
            }
        }
        // Every name already spelt as the model spells it (an upstream's answer): nothing
        // to rename, so nothing can clash at this level.
        Value::Object(map) if map.keys().all(|k| level.key(k).is_none_or(|c| c == k)) => {
            for (k, v) in map.iter_mut() {
                if let Some((_, Some(next))) = level.relation(k) {
                    normalize(v, next).map_err(within(Step::Key(k.clone())))?;
                }
            }
        }
        Value::Object(map) => {
            let old = std::mem::take(map);
            for (k, mut v) in old {
                let canonical = level.key(&k).map(str::to_owned).unwrap_or(k);
                if let Some((_, Some(next))) = level.relation(&canonical) {
                    normalize(&mut v, next).map_err(within(Step::Key(canonical.clone())))?;
                }
                match map.entry(canonical) {
                    serde_json::map::Entry::Vacant(e) => {
                        e.insert(v);
                    }
                    serde_json::map::Entry::Occupied(e) => {
                        return Err(vec![Step::Key(e.key().clone())]);
                    }
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// The customer's unmodelled top-level properties and what a customer that never had them
/// shows (Appendix A's keys with empty values).
pub fn customer_template() -> &'static JsonMap {
    static TEMPLATE: LazyLock<JsonMap> = LazyLock::new(|| {
        object(serde_json::json!({
            "CustomerNumberKidAlias": null,
            "DefaultDistributionsID": null,
            "Distributions": null,
            "PaymentTermsID": null,
            "PaymentTerms": null,
            "DeliveryTermsID": null,
            "DeliveryTerms": null,
            "WebUrl": null,
            "DimensionsID": null,
            "Dimensions": null,
            "GLN": null,
            "PeppolAddress": null,
            "EfakturaIdentifier": null,
            "EInvoiceAgreementReference": null,
            "CustomerInvoiceReminderSettingsID": null,
            "CustomerInvoiceReminderSettings": null,
            "DontSendReminders": false,
            "CustomerQuotes": [],
            "CustomerOrders": [],
            "CustomerInvoices": [],
            "CurrencyCodeID": null,
            "AcceptableDelta4CustomerPaymentAccountID": null,
            "AcceptableDelta4CustomerPaymentAccount": null,
            "AcceptableDelta4CustomerPayment": 0,
            "SubAccountNumberSeriesID": null,
            "SubAccountNumberSeries": null,
            "DefaultSellerID": null,
            "DefaultSeller": null,
            "Sellers": [],
            "ReminderEmailAddress": null,
            "Companies": [],
            "Account": null,
            "Localization": null,
            "DefaultCustomerInvoiceReportID": null,
            "DefaultCustomerOrderReportID": null,
            "DefaultCustomerQuoteReportID": null,
            "FactoringNumber": null,
            "AvtaleGiro": false,
            "AvtaleGiroNotification": false,
            "CreatedBy": null,
            "UpdatedBy": null
        }))
    });
    &TEMPLATE
}

/// The business relation's unmodelled properties and their empty values.
pub fn info_template() -> &'static JsonMap {
    static TEMPLATE: LazyLock<JsonMap> = LazyLock::new(|| {
        object(serde_json::json!({
            "CustomValues": null,
            "Deleted": false,
            "DefaultBankAccountID": null,
            "StatusCode": null,
            "UpdatedBy": null,
            "UpdatedAt": null,
            "CreatedBy": null,
            "CreatedAt": null,
            "BankAccounts": [],
            "DefaultBankAccount": null
        }))
    });
    &TEMPLATE
}

fn object(v: Value) -> JsonMap {
    match v {
        Value::Object(m) => m,
        _ => JsonMap::new(),
    }
}

/// One-to-one objects the customer owns, with the property holding their `ID`: a new one
/// (`ID: 0`) gets an id when saved.
pub const OWNED: &[(&str, &str)] = &[
    ("Dimensions", "DimensionsID"),
    ("Distributions", "DefaultDistributionsID"),
    (
        "CustomerInvoiceReminderSettings",
        "CustomerInvoiceReminderSettingsID",
    ),
];

/// The `Info` relations that hold one child, with the property holding its `ID`.
pub const LINKS: &[(&str, &str)] = &[
    ("InvoiceAddress", "InvoiceAddressID"),
    ("ShippingAddress", "ShippingAddressID"),
    ("DefaultPhone", "DefaultPhoneID"),
    ("DefaultEmail", "DefaultEmailID"),
    ("DefaultContact", "DefaultContactID"),
];

/// The arrays whose entries are references that block a delete (seed: "Customer have
/// references to one or more quote, order, invoice…").
pub const REFERENCES: &[&str] = &["CustomerQuotes", "CustomerOrders", "CustomerInvoices"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patch_keeps_absent_and_null_apart() {
        #[derive(Serialize, Deserialize, PartialEq, Debug)]
        struct T {
            #[serde(default, skip_serializing_if = "Patch::is_absent")]
            a: Patch<i64>,
        }
        let absent: T = serde_json::from_str("{}").unwrap();
        assert_eq!(absent.a, Patch::Absent);
        let null: T = serde_json::from_str(r#"{"a":null}"#).unwrap();
        assert_eq!(null.a, Patch::Null);
        assert_eq!(serde_json::to_string(&null).unwrap(), r#"{"a":null}"#);
        assert_eq!(serde_json::to_string(&absent).unwrap(), "{}");
    }

    #[test]
    fn keys_are_normalised_down_the_model() {
        let mut v = serde_json::json!({
            "orgnumber": "1",
            "info": {"name": "x", "phones": [{"number": "1", "_guid": "g"}]},
            "Custom": 1
        });
        normalize_keys(&mut v, &CUSTOMER, "").unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "OrgNumber": "1",
                "Info": {"Name": "x", "Phones": [{"Number": "1", "_guid": "g"}]},
                "Custom": 1
            })
        );
        let mut clash = serde_json::json!({"OrgNumber": "1", "orgNumber": "2"});
        assert_eq!(
            normalize_keys(&mut clash, &CUSTOMER, "").unwrap_err().path,
            "OrgNumber"
        );
    }

    #[test]
    fn clashes_are_named_where_they_are() {
        let clash = |mut v: Value| normalize_keys(&mut v, &CUSTOMER, "").unwrap_err().path;
        // Under names spelt as the model spells them, and under names that are not.
        assert_eq!(
            clash(serde_json::json!({"Info": {"Phones": [{}, {"number": "1", "Number": "2"}]}})),
            "Info.Phones[1].Number"
        );
        assert_eq!(
            clash(serde_json::json!({"info": {"phones": [{"TYPE": 1, "type": 2}]}})),
            "Info.Phones[0].Type"
        );
        assert_eq!(clash(serde_json::json!([{}, {"ID": 1, "id": 2}])), "[1].ID");
        let mut v = serde_json::json!({"Info": {"Name": "x"}});
        assert_eq!(normalize_keys(&mut v, &CUSTOMER, "[3]"), Ok(()));
        let mut v = serde_json::json!({"Info": {"Name": "x", "name": "y"}});
        assert_eq!(
            normalize_keys(&mut v, &CUSTOMER, "[3]").unwrap_err().path,
            "[3].Info.Name"
        );
    }
}
