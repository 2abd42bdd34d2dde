//! What the server and client tests share: a setup equivalent to config/default.toml's
//! odata sections for the demo and acme tenants, on in-memory stores.

#![allow(dead_code, unused_imports)]

use custgate_testkit::fixtures::seed_json;
use serde_json::{json, Value};
#[cfg(feature = "server")]
pub use server_setup::*;

pub const DEMO_KEY: &str = "11111111-1111-4111-8111-111111111111";
pub const ACME_KEY: &str = "22222222-2222-4222-8222-222222222222";
pub const DEMO_TOKEN: &str = "dev-odata-demo";
pub const ACME_TOKEN: &str = "dev-odata-acme";

/// The seed's list request, as written in the seed (path and query).
pub const SEED_EXPAND: &str = "Info,Info.Phones,Info.DefaultPhone,Info.Addresses,Info.Emails,Info.DefaultEmail,Info.ShippingAddress,Info.InvoiceAddress,Dimensions,Info.DefaultBankAccount,Info.Contacts.Info,Info.Contacts.Info.DefaultEmail,Info.Contacts.Info.DefaultPhone";

/// Every relation of the model.
pub const ALL_EXPAND: &str = "Info,Info.InvoiceAddress,Info.ShippingAddress,Info.Addresses,Info.DefaultPhone,Info.Phones,Info.DefaultEmail,Info.Emails,Info.DefaultContact.Info.DefaultEmail,Info.DefaultContact.Info.DefaultPhone,Info.Contacts.Info.DefaultEmail,Info.Contacts.Info.DefaultPhone,Info.DefaultBankAccount,Info.BankAccounts,Distributions,PaymentTerms,DeliveryTerms,Dimensions,CustomerInvoiceReminderSettings,CustomerQuotes,CustomerOrders,CustomerInvoices,CurrencyCode,AcceptableDelta4CustomerPaymentAccount,SubAccountNumberSeries,DefaultSeller,Sellers,Companies,Account,Localization";

pub fn appendix_a() -> Value {
    seed_json(env!("CARGO_MANIFEST_DIR"), "appendix_a.json")
}

/// Appendix A as the gateway stores it when it is the tenant's first customer: the ids,
/// number, status and timestamps the server assigns, everything else as sent.
pub fn appendix_a_saved(created_at: &Value, updated_at: &Value) -> Value {
    let mut e = appendix_a();
    e["ID"] = json!(1);
    e["CustomerNumber"] = json!(1);
    e["BusinessRelationID"] = json!(1);
    e["StatusCode"] = json!(30001);
    e["CreatedAt"] = created_at.clone();
    e["UpdatedAt"] = updated_at.clone();
    e["Info"]["ID"] = json!(1);
    for (i, (obj, link)) in [
        ("InvoiceAddress", "InvoiceAddressID"),
        ("ShippingAddress", "ShippingAddressID"),
        ("DefaultPhone", "DefaultPhoneID"),
        ("DefaultEmail", "DefaultEmailID"),
    ]
    .into_iter()
    .enumerate()
    {
        e["Info"][obj]["ID"] = json!(i + 1);
        e["Info"][link] = json!(i + 1);
    }
    e["Dimensions"]["ID"] = json!(5);
    e["DimensionsID"] = json!(5);
    e["Distributions"]["ID"] = json!(6);
    e["DefaultDistributionsID"] = json!(6);
    e
}

/// `value` without the relations the seed's expand list leaves out.
pub fn only_seed_expand(mut value: Value) -> Value {
    let m = value.as_object_mut().unwrap();
    for k in [
        "Distributions",
        "PaymentTerms",
        "DeliveryTerms",
        "CustomerInvoiceReminderSettings",
        "CustomerQuotes",
        "CustomerOrders",
        "CustomerInvoices",
        "CurrencyCode",
        "AcceptableDelta4CustomerPaymentAccount",
        "SubAccountNumberSeries",
        "DefaultSeller",
        "Sellers",
        "Companies",
        "Account",
        "Localization",
    ] {
        m.remove(k);
    }
    let info = m.get_mut("Info").unwrap().as_object_mut().unwrap();
    info.remove("DefaultContact");
    info.remove("BankAccounts");
    value
}

#[cfg(feature = "server")]
mod server_setup {
    use std::sync::Arc;

    use custgate_core::{DynStore, MemoryStore, TenantId};
    use custgate_http::{DialectSetup, Limits, TenantSetup};
    use serde_json::{json, Value};

    use super::*;

    pub fn demo() -> TenantId {
        TenantId::parse("demo").unwrap()
    }

    pub fn acme() -> TenantId {
        TenantId::parse("acme").unwrap()
    }

    pub fn global() -> Value {
        json!({"enabled": true, "max_top": 1000})
    }

    /// demo and acme, each on its own store, with default.toml's odata sections.
    pub fn setup_with(demo_store: DynStore, acme_store: DynStore) -> DialectSetup {
        DialectSetup {
            global: global(),
            tenants: vec![
                TenantSetup {
                    id: demo(),
                    store: demo_store,
                    config: Some(json!({"company_key": DEMO_KEY, "tokens": [DEMO_TOKEN]})),
                },
                TenantSetup {
                    id: acme(),
                    store: acme_store,
                    config: Some(json!({"company_key": ACME_KEY, "tokens": [ACME_TOKEN]})),
                },
            ],
            limits: Limits::default(),
        }
    }

    /// Both tenants on one shared store (as in the application), plus the store.
    pub fn setup() -> (DialectSetup, Arc<MemoryStore>) {
        let store = Arc::new(MemoryStore::new());
        (setup_with(store.clone(), store.clone()), store)
    }
}
