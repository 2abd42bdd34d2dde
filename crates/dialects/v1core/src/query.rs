//! The dialect's query (four AND-ed lookup criteria) ↔ the canonical [`Query`], both
//! ways: the server turns a request into a canonical filter; the client turns a canonical
//! key or filter back into the parameters it sends upstream.

use custgate_core::{
    eval, Capability, CmpOp, Customer, CustomerStore, Error, Field, Filter, Key, Query, TenantId,
    Value,
};

use crate::convert::DEFAULT_PHONE_CODE;

/// The search criteria of one lookup; all given ones must match.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Criteria {
    /// `customerId`: the canonical `seq`.
    pub customer_id: Option<i64>,
    /// `identificationNo`: any identification's value.
    pub identification_no: Option<String>,
    /// `mobileNumber`: a Saudi national mobile number (`568617084`).
    pub mobile_number: Option<String>,
    /// `referenceNo`: the canonical `reference_no`.
    pub reference_no: Option<String>,
}

/// `568617084` → `+966568617084`.
pub fn mobile_to_e164(national: &str) -> String {
    custgate_core::model::e164(Some(DEFAULT_PHONE_CODE), national)
}

/// `+966568617084` → `568617084`, for Saudi mobile numbers (starting with 5) only: the
/// only numbers the API can search.
pub fn e164_to_mobile(number: &str) -> Option<&str> {
    custgate_core::model::split_e164(number.trim(), DEFAULT_PHONE_CODE)
        .filter(|n| n.starts_with('5') && n.bytes().all(|b| b.is_ascii_digit()))
}

impl Criteria {
    pub fn is_empty(&self) -> bool {
        self.customer_id.is_none()
            && self.identification_no.is_none()
            && self.mobile_number.is_none()
            && self.reference_no.is_none()
    }

    /// The canonical keys, in parameter order.
    pub fn keys(&self) -> Vec<Key> {
        let mut out = Vec::new();
        if let Some(id) = self.customer_id {
            out.push(Key::Seq(id));
        }
        if let Some(v) = &self.identification_no {
            out.push(Key::Identification(v.clone()));
        }
        if let Some(m) = &self.mobile_number {
            out.push(Key::Mobile(mobile_to_e164(m)));
        }
        if let Some(r) = &self.reference_no {
            out.push(Key::ReferenceNo(r.clone()));
        }
        out
    }

    /// The AND of every criterion; `None` without any.
    ///
    /// `mobileNumber` matches any phone of that number (`phones.number`), not only the
    /// phones of kind mobile: a row shows a plain phone too (as `additionalMobileNumber`),
    /// and a number the API can search (`+966 5…`) is a mobile by the Saudi numbering
    /// plan, whatever kind the system that wrote it gave it (NData's one `phone` has none).
    /// Its key ([`Criteria::keys`]) stays [`Key::Mobile`]: a lookup-only backend is a
    /// v1core system, whose phones are all mobiles.
    pub fn to_filter(&self) -> Option<Filter> {
        Filter::all(self.keys().into_iter().map(|key| match key {
            Key::Mobile(number) => Filter::Compare {
                field: Field::Phone,
                op: CmpOp::Eq,
                value: Value::text(number.trim()),
            },
            key => key.to_filter(),
        }))
    }

    /// The canonical query: the filter, ordered by `seq`, at most `limit` rows.
    pub fn to_query(&self, limit: usize) -> Query {
        Query {
            filter: self.to_filter(),
            limit: Some(u32::try_from(limit).unwrap_or(u32::MAX)),
            ..Query::default()
        }
    }

    /// The criteria that find a canonical key, for a call upstream.
    pub fn from_key(key: &Key) -> Result<Criteria, Error> {
        let mut c = Criteria::default();
        match key {
            Key::Seq(n) => c.customer_id = Some(*n),
            Key::Identification(v) => c.identification_no = Some(v.trim().to_owned()),
            Key::ReferenceNo(v) => c.reference_no = Some(v.trim().to_owned()),
            Key::Mobile(m) => {
                let national = e164_to_mobile(m).ok_or_else(|| {
                    Capability::unsupported(format_args!(
                        "looking up mobile number '{m}': v1core only searches Saudi mobile \
                         numbers (+966 5…)"
                    ))
                })?;
                c.mobile_number = Some(national.to_owned());
            }
            other => {
                return Err(Capability::unsupported(format_args!(
                    "looking customers up by {}",
                    other.name()
                )))
            }
        }
        Ok(c)
    }

    /// The criteria of a canonical filter that is an AND of equalities on `seq`,
    /// `identifications.value`, `phones.mobile` (or `phones.number`: every phone a v1core
    /// row holds is a mobile) and `reference_no` (each at most once).
    pub fn from_filter(filter: &Filter) -> Result<Criteria, Error> {
        let parts: &[Filter] = match filter {
            Filter::And(v) => v,
            f => std::slice::from_ref(f),
        };
        let mut out = Criteria::default();
        for f in parts {
            let Filter::Compare {
                field,
                op: CmpOp::Eq,
                value,
            } = f
            else {
                return Err(Capability::unsupported(format_args!("filtering on {f}")));
            };
            let key = match (field, value) {
                (Field::Seq, Value::Int(n)) => Key::Seq(*n),
                (Field::Identification, Value::Text(s)) => Key::Identification(s.clone()),
                (Field::Mobile | Field::Phone, Value::Text(s)) => Key::Mobile(s.clone()),
                (Field::ReferenceNo, Value::Text(s)) => Key::ReferenceNo(s.clone()),
                _ => return Err(Capability::unsupported(format_args!("filtering on {f}"))),
            };
            let c = Criteria::from_key(&key)?;
            out = out.merge(c).ok_or_else(|| {
                Capability::unsupported(format_args!("two conditions on {field} at once"))
            })?;
        }
        Ok(out)
    }

    fn merge(self, other: Criteria) -> Option<Criteria> {
        fn one<T>(a: Option<T>, b: Option<T>) -> Option<Option<T>> {
            match (a, b) {
                (Some(_), Some(_)) => None,
                (a, b) => Some(a.or(b)),
            }
        }
        Some(Criteria {
            customer_id: one(self.customer_id, other.customer_id)?,
            identification_no: one(self.identification_no, other.identification_no)?,
            mobile_number: one(self.mobile_number, other.mobile_number)?,
            reference_no: one(self.reference_no, other.reference_no)?,
        })
    }

    /// The query parameters that carry these criteria (without `companyCode`, `lang`).
    pub fn to_params(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Some(id) = self.customer_id {
            out.push(("customerId", id.to_string()));
        }
        if let Some(v) = &self.identification_no {
            out.push(("identificationNo", v.clone()));
        }
        if let Some(v) = &self.mobile_number {
            out.push(("mobileNumber", v.clone()));
        }
        if let Some(v) = &self.reference_no {
            out.push(("referenceNo", v.clone()));
        }
        out
    }
}

/// Runs a lookup against any store: as one canonical query when the store can list with
/// this filter, else by the first criterion the store can look up directly, with the
/// other criteria checked here (by [`eval::matches`], the reference semantics). Results
/// are ordered by `seq`, at most `limit`.
pub async fn lookup(
    store: &dyn CustomerStore,
    tenant: &TenantId,
    criteria: &Criteria,
    limit: usize,
) -> Result<Vec<Customer>, Error> {
    let query = criteria.to_query(limit);
    let Some(filter) = &query.filter else {
        return Ok(Vec::new());
    };
    let cap = store.capability();
    let refused = match cap.check_query(&query) {
        Ok(()) => return Ok(store.query(tenant, &query).await?.items),
        Err(e) => e,
    };
    // The reference number first: a v1core answer does not show it, so when the backend is
    // itself a v1core system, looking up by it is the only way to check it.
    let mut keys = criteria.keys();
    keys.sort_by_key(|k| !matches!(k, Key::ReferenceNo(_)));
    let Some(key) = keys.into_iter().find(|k| cap.check_find(k).is_ok()) else {
        return Err(refused);
    };
    let mut found: Vec<Customer> = store
        .find(tenant, &key)
        .await?
        .into_iter()
        .filter(|c| eval::matches(filter, c))
        .collect();
    found.sort_by(|a, b| eval::order(a, b, &[]));
    found.truncate(limit);
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed() -> Criteria {
        Criteria {
            customer_id: Some(54218),
            identification_no: Some("2103232123".into()),
            mobile_number: Some("568617084".into()),
            reference_no: Some("333215".into()),
        }
    }

    #[test]
    fn criteria_become_an_and_of_keys() {
        let f = seed().to_filter().unwrap();
        assert_eq!(
            f.to_string(),
            "(seq eq 54218 and identifications.value eq '2103232123' and phones.number eq \
             '+966568617084' and reference_no eq '333215')"
        );
        let one = Criteria {
            mobile_number: Some("568617084".into()),
            ..Criteria::default()
        };
        assert_eq!(
            one.to_filter().unwrap().to_string(),
            "phones.number eq '+966568617084'"
        );
        assert_eq!(one.keys(), vec![Key::Mobile("+966568617084".into())]);
        assert_eq!(Criteria::default().to_filter(), None);
    }

    #[test]
    fn filters_and_keys_come_back_as_criteria() {
        let c = seed();
        assert_eq!(Criteria::from_filter(&c.to_filter().unwrap()).unwrap(), c);
        for key in c.keys() {
            let back = Criteria::from_key(&key).unwrap();
            assert_eq!(back.keys(), vec![key]);
        }
        assert_eq!(
            c.to_params(),
            vec![
                ("customerId", "54218".to_owned()),
                ("identificationNo", "2103232123".to_owned()),
                ("mobileNumber", "568617084".to_owned()),
                ("referenceNo", "333215".to_owned()),
            ]
        );
    }

    #[test]
    fn what_v1core_cannot_search_is_unsupported() {
        use custgate_core::ErrorKind;
        let e = Criteria::from_key(&Key::Email("a@b".into())).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unsupported);
        assert!(e.message().contains("by email"));
        let e = Criteria::from_key(&Key::Mobile("+4712345678".into())).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unsupported);
        let e = Criteria::from_key(&Key::Mobile("+966112345678".into())).unwrap_err();
        assert!(e.message().contains("Saudi mobile"));
        let or = Filter::Or(vec![Key::Seq(1).to_filter(), Key::Seq(2).to_filter()]);
        assert!(Criteria::from_filter(&or).is_err());
        let twice = Filter::And(vec![Key::Seq(1).to_filter(), Key::Seq(2).to_filter()]);
        assert!(Criteria::from_filter(&twice)
            .unwrap_err()
            .message()
            .contains("two conditions on seq"));
    }

    #[test]
    fn mobiles_convert_both_ways() {
        assert_eq!(mobile_to_e164("568617084"), "+966568617084");
        assert_eq!(e164_to_mobile("+966568617084"), Some("568617084"));
        assert_eq!(e164_to_mobile("+971501234567"), None);
        assert_eq!(e164_to_mobile("0568617084"), None);
    }
}
