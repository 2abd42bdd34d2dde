//! Customers shared by the load test's seeder and baseline, so both serve the same data.

use custgate_core::{AddressKind, Customer, CustomerId, CustomerKind, Email, Phone, PhoneKind};

/// The `i`-th sample customer: a deterministic id and realistic fields.
pub fn sample_customer(i: usize) -> Customer {
    let mut c = Customer::new();
    c.id = CustomerId::parse(&format!("load-{i:07}")).expect("valid id");
    c.kind = Some(if i.is_multiple_of(3) {
        CustomerKind::Company
    } else {
        CustomerKind::Person
    });
    c.name.display = Some(format!("Customer {i:07}"));
    c.name.first = Some(format!("First{}", i % 997));
    c.name.last = Some(format!("Last{}", i % 991));
    c.emails.push(Email {
        address: format!("customer{i}@example.com"),
        default: true,
        ..Email::default()
    });
    c.phones.push(Phone {
        kind: PhoneKind::Mobile,
        number: format!("+9665{:08}", i),
        country_code: Some("966".into()),
        default: true,
        ..Phone::default()
    });
    c.addresses.push(custgate_core::Address {
        kind: AddressKind::Billing,
        street: Some("Main Street".into()),
        city: Some("Riyadh".into()),
        postal_code: Some("12345".into()),
        country_code: Some("SA".into()),
        ..Default::default()
    });
    c.tax.vat = Some(format!("3{:013}3", i));
    c
}
