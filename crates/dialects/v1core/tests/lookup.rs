//! Property: a lookup answers what the reference semantics (`eval::run`) say, whether the
//! backend runs the AND-ed filter itself or can only look customers up by one key.

mod common;

use std::sync::Arc;

use common::*;
use custgate_core::{
    eval, CreateOptions, Customer, CustomerStore, DynStore, FindCapability, Identification,
    MemoryStore, Phone, PhoneKind,
};
use custgate_v1core::query::lookup;
use custgate_v1core::Criteria;
use proptest::prelude::*;

const IDS: &[&str] = &["100", "200", "300"];
const MOBILES: &[&str] = &["+966500000001", "+966500000002", "+971500000001"];
const REFS: &[&str] = &["r1", "r2"];

fn customer(id: u8, mobile: u8, reference: u8, second_mobile: bool) -> Customer {
    let mut c = Customer::new();
    c.identifications.push(Identification {
        scheme: "NAT".into(),
        value: IDS[id as usize % IDS.len()].into(),
    });
    let phone = |n: &str, default| Phone {
        kind: PhoneKind::Mobile,
        number: n.into(),
        default,
        ..Phone::default()
    };
    c.phones
        .push(phone(MOBILES[mobile as usize % MOBILES.len()], true));
    if second_mobile {
        c.phones
            .push(phone(MOBILES[(mobile as usize + 1) % MOBILES.len()], false));
    }
    if reference < 2 {
        c.reference_no = Some(REFS[reference as usize].into());
    }
    c
}

fn criteria(pick: [u8; 4]) -> Criteria {
    let opt = |b: u8, n: usize| (b as usize % (n + 1)).checked_sub(1);
    Criteria {
        customer_id: opt(pick[0], 4).map(|i| i as i64 + 1),
        identification_no: opt(pick[1], IDS.len()).map(|i| IDS[i].to_owned()),
        mobile_number: opt(pick[2], 2).map(|i| MOBILES[i].trim_start_matches("+966").to_owned()),
        reference_no: opt(pick[3], REFS.len()).map(|i| REFS[i].to_owned()),
    }
}

fn seqs(v: &[Customer]) -> Vec<i64> {
    v.iter().map(|c| c.seq.unwrap()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn lookups_follow_the_reference_semantics(
        people in prop::collection::vec((any::<u8>(), any::<u8>(), 0u8..3, any::<bool>()), 0..6),
        pick in any::<[u8; 4]>(),
        limit in 1usize..5,
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        rt.block_on(async {
            let memory = Arc::new(MemoryStore::new());
            let demo = tenant("demo");
            for (i, m, r, two) in &people {
                memory.create(&demo, customer(*i, *m, *r, *two), CreateOptions::default()).await.unwrap();
                // Another tenant's twin must never show up.
                memory.create(&tenant("acme"), customer(*i, *m, *r, *two), CreateOptions::default()).await.unwrap();
            }
            let c = criteria(pick);
            let all = memory.query(&demo, &Default::default()).await.unwrap().items;
            let mut query = c.to_query(limit);
            query.limit = Some(limit as u32);
            let expected = match &query.filter {
                Some(_) => seqs(&eval::run(&query, all.iter()).items),
                None => Vec::new(),
            };
            let direct = lookup(memory.as_ref(), &demo, &c, limit).await.unwrap();
            prop_assert_eq!(seqs(&direct), expected.clone());

            // Backends that can only look up by one key each.
            for find in [
                FindCapability { seq: true, ..FindCapability::default() },
                FindCapability { identification: true, ..FindCapability::default() },
                FindCapability { mobile: true, ..FindCapability::default() },
                FindCapability { reference_no: true, ..FindCapability::default() },
                FindCapability::ALL,
            ] {
                let store: DynStore = FindOnlyStore::new(memory.clone(), find);
                let usable = c.keys().iter().any(|k| store.capability().check_find(k).is_ok());
                match lookup(store.as_ref(), &demo, &c, limit).await {
                    Ok(found) => prop_assert_eq!(seqs(&found), expected.clone()),
                    Err(e) => {
                        prop_assert!(!usable, "{e}");
                        prop_assert_eq!(e.kind(), custgate_core::ErrorKind::Unsupported);
                    }
                }
            }
            Ok(())
        })?;
    }
}
