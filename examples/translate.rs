//! Translation as a library, without a server: an NData (PORTOS) customer as the other
//! dialects show it, and what each of them could not carry.
//!
//! Only the dialect crates' pure translation libraries are used: a dialect crate without
//! features has no web framework and no HTTP client in it.
//!
//! ```toml
//! [dependencies]
//! custgate-core = { path = "crates/core" }
//! custgate-ndata = { path = "crates/dialects/ndata" }   # no features: wire + convert only
//! custgate-odata = { path = "crates/dialects/odata" }
//! custgate-tenant = { path = "crates/dialects/tenant" }
//! custgate-custno = { path = "crates/dialects/custno" }
//! custgate-v1core = { path = "crates/dialects/v1core" }
//! ```
//!
//! ```text
//! cargo run --example translate                      # the NData seed's example customer
//! cargo run --example translate -- my-customer.json  # an NData customer of yours
//! ```

use std::process::ExitCode;

use custgate_core::diff::dropped_fields;
use custgate_core::Customer;
use serde_json::{json, Value};

/// What a dialect's `convert::carried` is: what a system of that dialect would keep of a
/// customer written to it.
type Carry = fn(&Customer) -> Customer;

/// The customer of the NData seed's create example.
const SEED_CUSTOMER: &str =
    include_str!("../crates/dialects/ndata/tests/fixtures/create_request.json");

/// The NData customer read from `json`, as the other dialects show it and as each would
/// keep it once written to a system of that dialect (the paths of what it would lose).
fn translate(json: &str) -> Result<Value, String> {
    let wire: custgate_ndata::wire::Customer =
        serde_json::from_str(json).map_err(|e| format!("not an NData customer: {e}"))?;
    // Wire → canonical: the one model every dialect converts to and from.
    let mut customer = custgate_ndata::convert::to_canonical(&wire).map_err(|e| e.to_string())?;
    // A store numbers the customers it keeps (the tenant API's `cusId` is that number);
    // this one was never stored, so it gets one here.
    customer.seq = Some(1);
    // Canonical → each dialect's wire form.
    let tenant = custgate_tenant::convert::to_record(&customer).map_err(|e| e.to_string())?;
    let custno = custgate_custno::convert::to_record(&customer);
    let shown = json!({
        "canonical": customer,
        "odata": custgate_odata::convert::to_json(&customer),
        "tenant": tenant,
        // As ManEx's Get answers it.
        "custno": custno.get_view(),
    });
    // What a system of each dialect would keep of the customer: nothing is silently lost,
    // so the gateway names these paths (or refuses the write in strict mode).
    let carried: [(&str, Carry); 5] = [
        ("tenant", custgate_tenant::convert::carried),
        ("v1core", custgate_v1core::convert::carried),
        ("ndata", custgate_ndata::convert::carried),
        ("custno", custgate_custno::convert::carried),
        ("odata", custgate_odata::convert::carried),
    ];
    let lost: serde_json::Map<String, Value> = carried
        .iter()
        .map(|(dialect, carry)| {
            let dropped = dropped_fields(&customer, &carry(&customer));
            ((*dialect).to_owned(), json!(dropped))
        })
        .collect();
    Ok(json!({ "shown": shown, "lost": lost }))
}

fn main() -> ExitCode {
    let input = match std::env::args().nth(1) {
        Some(path) => match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) => {
                eprintln!("cannot read {path}: {e}");
                return ExitCode::FAILURE;
            }
        },
        None => SEED_CUSTOMER.to_owned(),
    };
    match translate(&input) {
        Ok(out) => {
            let text = serde_json::to_string_pretty(&out).expect("a JSON value serialises");
            println!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_customer_is_shown_in_every_dialect() {
        let out = translate(SEED_CUSTOMER).unwrap();
        let shown = &out["shown"];
        assert_eq!(shown["canonical"]["name"]["first"], "John");
        assert_eq!(shown["odata"]["Info"]["Name"], "John Doe");
        assert_eq!(shown["tenant"]["cusName"], "John Doe");
        assert_eq!(shown["custno"]["CUSTNAME"], "John Doe");
        // NData carries its own customer whole; the card is NData's alone.
        assert_eq!(out["lost"]["ndata"], json!([]));
        let to_odata = out["lost"]["odata"].as_array().unwrap();
        assert!(
            to_odata
                .iter()
                .any(|p| p.as_str().unwrap().starts_with("cards")),
            "{to_odata:?}"
        );
    }

    #[test]
    fn what_is_not_an_ndata_customer_is_refused() {
        let e = translate(r#"{"firstName": 7}"#).unwrap_err();
        assert!(e.starts_with("not an NData customer"), "{e}");
    }
}
