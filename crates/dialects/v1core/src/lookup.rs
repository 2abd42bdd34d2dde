//! The lookup tables ("master lists") behind every coded field of the dialect.
//!
//! A coded field travels as a pair: `xxxId` (a stable integer) and `xxx` (its label in the
//! requested language). Each table maps an id to an Arabic label, an English label and a
//! canonical code (an ISO country code, an ISO 639-1 language, an identification scheme,
//! a customer kind…). The tables ship as data (`data/lookups.json`) and configuration can
//! add entries or replace entries by id ([`LookupOverrides`]).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// The language of labels: the `lang` parameter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Ar,
    En,
}

impl Lang {
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Ar => "ar",
            Lang::En => "en",
        }
    }

    /// `ar` or `en`, ignoring ASCII case and surrounding white space.
    pub fn parse(raw: &str) -> Option<Lang> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "ar" => Some(Lang::Ar),
            "en" => Some(Lang::En),
            _ => None,
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! tables {
    ($( $variant:ident => $name:literal, $free:literal; )*) => {
        /// One lookup table, named like the label field of its pair (`customerType`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Table {
            $( $variant, )*
        }

        impl Table {
            pub const ALL: &'static [Table] = &[ $( Table::$variant, )* ];

            /// The table's name: the label field of its pair (`customerType`).
            pub fn name(self) -> &'static str {
                match self { $( Table::$variant => $name, )* }
            }

            /// Whether a value without an id may travel as free text in the label
            /// (a city that is not in the list, an industry given as text).
            pub fn free_text(self) -> bool {
                match self { $( Table::$variant => $free, )* }
            }
        }
    };
}

tables! {
    CustomerType => "customerType", false;
    CompanyType => "companyType", true;
    IndustryType => "industryType", true;
    PreferredContactType => "preferredContactType", true;
    IdentificationType => "identificationType", true;
    Country => "country", true;
    Region => "region", true;
    City => "city", true;
    Nationality => "nationality", true;
    Gender => "gender", true;
    PhoneCode => "phoneCode", true;
    RelationType => "relationType", true;
    PreferredLanguage => "preferredLanguage", true;
    MonthlyIncome => "monthlyIncome", true;
}

impl Table {
    pub fn from_name(name: &str) -> Option<Table> {
        Table::ALL.iter().copied().find(|t| t.name() == name)
    }

    /// The canonical code an unknown id decodes to: identifications need a scheme, so an
    /// unknown identification type is `OTH`; everything else has none.
    pub fn unknown_code(self) -> Option<&'static str> {
        match self {
            Table::IdentificationType => Some("OTH"),
            _ => None,
        }
    }

    /// Checks a canonical code's form for this table.
    fn check_code(self, code: &str) -> Result<(), String> {
        let ok = match self {
            Table::CustomerType => matches!(code, "person" | "company"),
            Table::Country | Table::Nationality => {
                code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase())
            }
            Table::PreferredLanguage => {
                code.len() == 2 && code.bytes().all(|b| b.is_ascii_lowercase())
            }
            Table::PhoneCode => {
                (1..=4).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_digit())
            }
            Table::IdentificationType => {
                code.len() <= 8
                    && code
                        .bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            }
            _ => true,
        };
        if ok && !code.trim().is_empty() {
            Ok(())
        } else {
            Err(match self {
                Table::CustomerType => "code must be 'person' or 'company'".into(),
                Table::Country | Table::Nationality => {
                    "code must be an ISO 3166-1 alpha-2 code such as 'SA'".into()
                }
                Table::PreferredLanguage => "code must be an ISO 639-1 code such as 'ar'".into(),
                Table::PhoneCode => {
                    "code must be a dialling code of 1 to 4 digits such as '966'".into()
                }
                Table::IdentificationType => {
                    "code must be an upper-case identification scheme such as 'CRN'".into()
                }
                _ => "code must not be empty".into(),
            })
        }
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One entry of a lookup table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub id: i64,
    /// The Arabic label, byte-exact as the vendor sends it.
    pub ar: String,
    pub en: String,
    /// The canonical code.
    pub code: String,
    /// Other spellings accepted when a canonical value is matched to an entry (`KSA`,
    /// `SA-01`, `Jiddah`); never sent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// For cities: the id of the region the city is in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<i64>,
}

impl Entry {
    pub fn label(&self, lang: Lang) -> &str {
        match lang {
            Lang::Ar => &self.ar,
            Lang::En => &self.en,
        }
    }
}

/// Configuration overrides: per table name, entries that replace the shipped entry with
/// the same id or are added to the table.
pub type LookupOverrides = BTreeMap<String, Vec<Entry>>;

/// A problem in lookup data or overrides: the table and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{table}: {message}")]
pub struct LookupError {
    pub table: String,
    pub message: String,
}

/// Every lookup table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lookups {
    /// Per table, its entries ordered by id.
    tables: BTreeMap<Table, Vec<Entry>>,
}

const BUILTIN: &str = include_str!("../data/lookups.json");

impl Lookups {
    /// The shipped tables.
    pub fn builtin() -> &'static Lookups {
        static CELL: OnceLock<Lookups> = OnceLock::new();
        CELL.get_or_init(|| {
            let raw: LookupOverrides =
                serde_json::from_str(BUILTIN).expect("data/lookups.json is valid JSON");
            Lookups::from_tables(&raw).expect("data/lookups.json passes its checks")
        })
    }

    /// Tables built from raw data, checked.
    pub fn from_tables(raw: &LookupOverrides) -> Result<Lookups, LookupError> {
        let empty = Lookups {
            tables: Table::ALL.iter().map(|t| (*t, Vec::new())).collect(),
        };
        empty.with_overrides(raw)
    }

    /// These tables with configuration overrides applied: an entry replaces the entry
    /// with the same id, or is added.
    pub fn with_overrides(&self, overrides: &LookupOverrides) -> Result<Lookups, LookupError> {
        let mut out = self.clone();
        for (name, entries) in overrides {
            let err = |message: String| LookupError {
                table: name.clone(),
                message,
            };
            let table = Table::from_name(name).ok_or_else(|| {
                err(format!(
                    "unknown lookup table; the tables are {}",
                    Table::ALL
                        .iter()
                        .map(|t| t.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?;
            let mut seen = std::collections::HashSet::new();
            for e in entries {
                if !seen.insert(e.id) {
                    return Err(err(format!("id {} is given twice", e.id)));
                }
                check_entry(table, e).map_err(|m| err(format!("id {}: {m}", e.id)))?;
                let list = out.tables.entry(table).or_default();
                match list.iter_mut().find(|x| x.id == e.id) {
                    Some(slot) => *slot = e.clone(),
                    None => list.push(e.clone()),
                }
            }
            out.tables.entry(table).or_default().sort_by_key(|e| e.id);
        }
        // Cities must point at regions that exist.
        let regions = out.entries(Table::Region);
        for city in out.entries(Table::City) {
            if let Some(r) = city.region {
                if !regions.iter().any(|x| x.id == r) {
                    return Err(LookupError {
                        table: Table::City.name().into(),
                        message: format!("id {}: region {r} does not exist", city.id),
                    });
                }
            }
        }
        Ok(out)
    }

    /// The entries of a table, ordered by id.
    pub fn entries(&self, table: Table) -> &[Entry] {
        self.tables
            .get(&table)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    pub fn by_id(&self, table: Table, id: i64) -> Option<&Entry> {
        self.entries(table).iter().find(|e| e.id == id)
    }

    /// The label of an id in a language; `None` for an unknown id.
    pub fn label(&self, table: Table, id: i64, lang: Lang) -> Option<&str> {
        self.by_id(table, id).map(|e| e.label(lang))
    }

    /// The entry a canonical value stands for: the lowest id whose code is exactly
    /// `value`, else the lowest id whose code, labels or aliases equal it ignoring case
    /// and surrounding white space.
    pub fn by_code(&self, table: Table, value: &str) -> Option<&Entry> {
        let entries = self.entries(table);
        if let Some(e) = entries.iter().find(|e| e.code == value) {
            return Some(e);
        }
        let v = fold(value);
        if v.is_empty() {
            return None;
        }
        entries.iter().find(|e| {
            fold(&e.code) == v
                || fold(&e.en) == v
                || fold(&e.ar) == v
                || e.aliases.iter().any(|a| fold(a) == v)
        })
    }
}

fn fold(s: &str) -> String {
    s.trim().to_lowercase()
}

fn check_entry(table: Table, e: &Entry) -> Result<(), String> {
    if e.ar.trim().is_empty() || e.en.trim().is_empty() {
        return Err("labels must not be empty".into());
    }
    table.check_code(&e.code)?;
    match (table, e.region) {
        (Table::City, _) | (_, None) => Ok(()),
        (_, Some(_)) => Err("only cities have a region".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_tables_load_and_cover_every_table() {
        let l = Lookups::builtin();
        for t in Table::ALL {
            assert!(!l.entries(*t).is_empty(), "{t} is empty");
            let mut ids: Vec<i64> = l.entries(*t).iter().map(|e| e.id).collect();
            ids.dedup();
            assert_eq!(ids.len(), l.entries(*t).len(), "{t} has duplicate ids");
            // Codes are unique, so every code maps back to its own id.
            for e in l.entries(*t) {
                assert_eq!(l.by_code(*t, &e.code).unwrap().id, e.id, "{t} {}", e.code);
            }
        }
    }

    #[test]
    fn the_seed_labels_are_byte_exact() {
        let l = Lookups::builtin();
        for (table, id, ar) in [
            (Table::CustomerType, 2, "شركة"),
            (Table::IndustryType, 4, "إنشاءات"),
            (Table::PreferredContactType, 1, "مكالمة صوتية"),
            (Table::IdentificationType, 5, "رقم السجل التجاري"),
            (Table::Country, 1, "المملكة العربية السعودية"),
            (Table::Region, 1, "الرياض"),
            (Table::City, 1, "الرياض"),
            (Table::RelationType, 3, "صديق"),
            (Table::RelationType, 6, "أخ"),
            (Table::PreferredLanguage, 1, "العربية"),
            (Table::PhoneCode, 1, "00966"),
        ] {
            assert_eq!(l.label(table, id, Lang::Ar), Some(ar), "{table} {id}");
        }
    }

    #[test]
    fn the_common_values_are_there() {
        let l = Lookups::builtin();
        let code = |t, id| l.by_id(t, id).map(|e: &Entry| e.code.as_str());
        assert_eq!(code(Table::CustomerType, 1), Some("person"));
        assert_eq!(code(Table::CustomerType, 2), Some("company"));
        assert_eq!(code(Table::IdentificationType, 5), Some("CRN"));
        assert_eq!(l.entries(Table::Region).len(), 13);
        for scheme in [
            "TIN", "CRN", "MOM", "MLS", "700", "SAG", "NAT", "GCC", "IQA", "PAS", "OTH",
        ] {
            assert!(
                l.by_code(Table::IdentificationType, scheme).is_some(),
                "{scheme}"
            );
        }
        for gcc in ["SA", "AE", "KW", "BH", "QA", "OM"] {
            assert!(l.by_code(Table::Country, gcc).is_some(), "{gcc}");
            assert!(l.by_code(Table::Nationality, gcc).is_some(), "{gcc}");
        }
        for cc in ["966", "971", "965", "973", "974", "968"] {
            assert!(l.by_code(Table::PhoneCode, cc).is_some(), "{cc}");
        }
        assert_eq!(code(Table::PreferredLanguage, 2), Some("en"));
        assert_eq!(code(Table::Gender, 2), Some("female"));
    }

    #[test]
    fn values_match_by_code_label_or_alias() {
        let l = Lookups::builtin();
        assert_eq!(l.by_code(Table::Country, "sa").unwrap().id, 1);
        assert_eq!(l.by_code(Table::Country, "KSA").unwrap().id, 1);
        assert_eq!(l.by_code(Table::Country, " Saudi Arabia ").unwrap().id, 1);
        assert_eq!(l.by_code(Table::Region, "SA-14").unwrap().en, "Asir");
        assert_eq!(l.by_code(Table::City, "جدة").unwrap().id, 2);
        assert!(l.by_code(Table::City, "Springfield").is_none());
        assert!(l.by_code(Table::City, "  ").is_none());
    }

    #[test]
    fn overrides_replace_and_extend() {
        let raw = r#"{
            "city": [ { "id": 26, "ar": "الدرعية", "en": "Diriyah", "code": "Diriyah", "region": 1 } ],
            "relationType": [ { "id": 3, "ar": "صديق", "en": "Friend (close)", "code": "friend" } ]
        }"#;
        let o: LookupOverrides = serde_json::from_str(raw).unwrap();
        let l = Lookups::builtin().with_overrides(&o).unwrap();
        assert_eq!(l.label(Table::City, 26, Lang::En), Some("Diriyah"));
        assert_eq!(
            l.label(Table::RelationType, 3, Lang::En),
            Some("Friend (close)")
        );
        assert_eq!(
            l.entries(Table::City).len(),
            Lookups::builtin().entries(Table::City).len() + 1
        );
        // Unchanged tables stay as shipped.
        assert_eq!(
            l.entries(Table::Country),
            Lookups::builtin().entries(Table::Country)
        );
    }

    #[test]
    fn bad_overrides_are_refused_with_the_table_named() {
        let bad = |raw: &str| {
            let o: LookupOverrides = serde_json::from_str(raw).unwrap();
            Lookups::builtin()
                .with_overrides(&o)
                .unwrap_err()
                .to_string()
        };
        assert!(bad(r#"{"town":[]}"#).starts_with("town: unknown lookup table"));
        assert!(
            bad(r#"{"country":[{"id":99,"ar":"x","en":"x","code":"Saudi"}]}"#)
                .contains("ISO 3166-1")
        );
        assert!(
            bad(r#"{"customerType":[{"id":3,"ar":"x","en":"x","code":"government"}]}"#)
                .contains("'person' or 'company'")
        );
        assert!(
            bad(r#"{"city":[{"id":99,"ar":"x","en":"x","code":"X","region":99}]}"#)
                .contains("region 99 does not exist")
        );
        assert!(
            bad(r#"{"gender":[{"id":9,"ar":"x","en":"x","code":"x","region":1}]}"#)
                .contains("only cities")
        );
        assert!(bad(r#"{"gender":[{"id":9,"ar":"","en":"x","code":"x"}]}"#)
            .contains("labels must not be empty"));
        assert!(bad(r#"{"gender":[{"id":9,"ar":"x","en":"x","code":"x"},{"id":9,"ar":"x","en":"x","code":"y"}]}"#)
            .contains("given twice"));
    }

    #[test]
    fn languages_parse_loosely() {
        assert_eq!(Lang::parse("AR"), Some(Lang::Ar));
        assert_eq!(Lang::parse(" en "), Some(Lang::En));
        assert_eq!(Lang::parse("fr"), None);
    }
}
