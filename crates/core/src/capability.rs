//! What a [`crate::CustomerStore`] can do, as plain data.
//!
//! Every backend declares one; the gateway checks a request against it before calling
//! (an unsupported ask is one clear [`ErrorKind::Unsupported`] error, decided here) and
//! the planner uses it to split a query into the part pushed to the backend and the part
//! run in the gateway.

use crate::error::{Error, ErrorKind, Result};
use crate::field::{Field, ValueType};
use crate::ids::Version;
use crate::query::{CmpOp, Filter, Key, Query, TextOp};
use crate::store::CreateOptions;

/// The operations one field supports in filters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FieldOps {
    pub eq: bool,
    pub ne: bool,
    /// `gt ge lt le`.
    pub range: bool,
    /// `contains`, `starts_with`, `ends_with`, case-sensitive.
    pub text: bool,
    /// The same, case-insensitive.
    pub text_ci: bool,
    /// `like`, case-sensitive.
    pub like: bool,
    /// `like`, case-insensitive.
    pub like_ci: bool,
    pub in_list: bool,
    pub is_null: bool,
}

impl FieldOps {
    pub const ALL: FieldOps = FieldOps {
        eq: true,
        ne: true,
        range: true,
        text: true,
        text_ci: true,
        like: true,
        like_ci: true,
        in_list: true,
        is_null: true,
    };

    pub const EQ: FieldOps = FieldOps {
        eq: true,
        ne: false,
        range: false,
        text: false,
        text_ci: false,
        like: false,
        like_ci: false,
        in_list: false,
        is_null: false,
    };

    /// Everything a field of type `ty` can take.
    pub fn all_for(ty: ValueType) -> FieldOps {
        let text = ty == ValueType::Text;
        FieldOps {
            range: ty != ValueType::Bool,
            text,
            text_ci: text,
            like: text,
            like_ci: text,
            ..FieldOps::ALL
        }
    }
}

/// The filters a backend can run itself.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FilterCapability {
    pub and: bool,
    pub or: bool,
    pub not: bool,
    pub search: bool,
    pub fields: Vec<(Field, FieldOps)>,
}

impl FilterCapability {
    pub fn ops(&self, field: Field) -> FieldOps {
        self.fields
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, o)| *o)
            .unwrap_or_default()
    }

    /// `Ok` when the backend can run the whole filter, else what it cannot run.
    pub fn supports(&self, filter: &Filter) -> std::result::Result<(), String> {
        match filter {
            Filter::And(v) => {
                if !self.and && v.len() > 1 {
                    return Err("combining filters with 'and'".into());
                }
                v.iter().try_for_each(|f| self.supports(f))
            }
            Filter::Or(v) => {
                if !self.or && v.len() > 1 {
                    return Err("combining filters with 'or'".into());
                }
                v.iter().try_for_each(|f| self.supports(f))
            }
            Filter::Not(inner) => {
                // `not (x eq v)` is `x ne v`, `not (x is null)` a presence test.
                let ok = self.not
                    || match &**inner {
                        Filter::Compare {
                            field,
                            op: CmpOp::Eq,
                            ..
                        } => self.ops(*field).ne,
                        Filter::IsNull { field } => self.ops(*field).is_null,
                        _ => false,
                    };
                if ok {
                    if self.not {
                        self.supports(inner)
                    } else {
                        Ok(())
                    }
                } else {
                    Err(format!("negating {inner}"))
                }
            }
            Filter::Compare { field, op, .. } => {
                let ops = self.ops(*field);
                let ok = match op {
                    CmpOp::Eq => ops.eq,
                    CmpOp::Ne => ops.ne,
                    CmpOp::Gt | CmpOp::Ge | CmpOp::Lt | CmpOp::Le => ops.range,
                };
                ok.then_some(())
                    .ok_or_else(|| format!("'{}' on {field}", op.as_str()))
            }
            Filter::Text {
                field,
                op,
                case_insensitive,
                ..
            } => {
                let ops = self.ops(*field);
                let ok = match (op, case_insensitive) {
                    (TextOp::Like, true) => ops.like_ci,
                    (TextOp::Like, false) => ops.like,
                    (_, true) => ops.text_ci,
                    (_, false) => ops.text,
                };
                ok.then_some(()).ok_or_else(|| {
                    format!(
                        "'{}'{} on {field}",
                        op.as_str(),
                        if *case_insensitive {
                            " (case-insensitive)"
                        } else {
                            ""
                        }
                    )
                })
            }
            Filter::In { field, .. } => self
                .ops(*field)
                .in_list
                .then_some(())
                .ok_or_else(|| format!("'in' on {field}")),
            Filter::IsNull { field } => self
                .ops(*field)
                .is_null
                .then_some(())
                .ok_or_else(|| format!("'is null' on {field}")),
            Filter::Search(_) => self
                .search
                .then_some(())
                .ok_or_else(|| "free-text search".to_owned()),
        }
    }
}

/// The keys a backend can look customers up by directly.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FindCapability {
    pub name: bool,
    pub number: bool,
    pub external_id: bool,
    pub reference_no: bool,
    pub email: bool,
    pub mobile: bool,
    pub identification: bool,
    pub seq: bool,
}

impl FindCapability {
    pub const ALL: FindCapability = FindCapability {
        name: true,
        number: true,
        external_id: true,
        reference_no: true,
        email: true,
        mobile: true,
        identification: true,
        seq: true,
    };

    pub fn supports(&self, key: &Key) -> bool {
        match key {
            Key::Name(_) => self.name,
            Key::Number(_) => self.number,
            Key::ExternalId(_) => self.external_id,
            Key::ReferenceNo(_) => self.reference_no,
            Key::Email(_) => self.email,
            Key::Mobile(_) => self.mobile,
            Key::Identification(_) => self.identification,
            Key::Seq(_) => self.seq,
        }
    }
}

/// What a backend can do.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Capability {
    /// Listing with [`Query`] (subject to `filter`, `sort_fields`, `offset`, `total`).
    pub list: bool,
    pub get: bool,
    pub create: bool,
    pub update: bool,
    pub delete: bool,
    pub set_status: bool,
    pub find: FindCapability,
    /// Every phone the backend holds is a mobile (the tenant API's one `CusMobile`, a
    /// v1core row's two mobile numbers), so its lookup by mobile ([`Key::Mobile`]) finds
    /// every customer with a phone of that number: the planner looks an `eq` on
    /// `phones.number` up that way too.
    pub phones_are_mobiles: bool,
    pub filter: FilterCapability,
    /// Fields the backend can sort on; empty means it cannot sort.
    pub sort_fields: Vec<Field>,
    pub max_sort_keys: Option<usize>,
    /// Whether `offset` can be pushed down (page-number paging counts when the offset is
    /// a multiple of the limit).
    pub offset: bool,
    /// The largest page the backend returns.
    pub max_limit: Option<usize>,
    /// Whether the backend reports the total number of matches.
    pub total: bool,
    pub idempotency: bool,
    /// Whether writes can be conditional on an expected version.
    pub expected_version: bool,
    /// Whether a create keeps the caller's id.
    pub client_ids: bool,
}

impl Capability {
    /// Everything: the embedded store and the in-memory reference store.
    pub fn full() -> Self {
        Capability {
            list: true,
            get: true,
            create: true,
            update: true,
            delete: true,
            set_status: true,
            find: FindCapability::ALL,
            phones_are_mobiles: false,
            filter: FilterCapability {
                and: true,
                or: true,
                not: true,
                search: true,
                fields: Field::ALL
                    .iter()
                    .map(|f| (*f, FieldOps::all_for(f.value_type())))
                    .collect(),
            },
            sort_fields: Field::ALL
                .iter()
                .copied()
                .filter(|f| !f.is_multi())
                .collect(),
            max_sort_keys: None,
            offset: true,
            max_limit: None,
            total: true,
            idempotency: true,
            expected_version: true,
            client_ids: true,
        }
    }

    /// The `Unsupported` error naming what the backend does not support; every such
    /// refusal (the planner's, [`Capability`]'s checks, a client's) reads the same.
    pub fn unsupported(what: impl std::fmt::Display) -> Error {
        Error::new(
            ErrorKind::Unsupported,
            format!("the backend does not support {what}"),
        )
    }

    /// `Ok` when the backend can run the whole query itself, else an `Unsupported` error
    /// naming the first thing it cannot do.
    pub fn check_query(&self, q: &Query) -> Result<()> {
        if !self.list {
            return Err(Self::unsupported("listing customers"));
        }
        if let Some(f) = &q.filter {
            self.filter.supports(f).map_err(Self::unsupported)?;
        }
        if let Some(max) = self.max_sort_keys {
            if q.sort.len() > max {
                return Err(Self::unsupported(format!(
                    "sorting on more than {max} key(s)"
                )));
            }
        }
        for k in &q.sort {
            if !self.sort_fields.contains(&k.field) {
                return Err(Self::unsupported(format!("sorting on {}", k.field)));
            }
        }
        if q.offset > 0 && !self.offset {
            return Err(Self::unsupported("skipping results (offset)"));
        }
        if q.count != crate::query::Count::None && !self.total {
            return Err(Self::unsupported("counting matches (total)"));
        }
        Ok(())
    }

    /// `Ok` when the backend can look customers up by this key directly.
    pub fn check_find(&self, key: &Key) -> Result<()> {
        if self.find.supports(key) {
            Ok(())
        } else {
            Err(Self::unsupported(format!(
                "looking customers up by {}",
                key.name()
            )))
        }
    }

    /// `Ok` when the backend can do a write operation (`create`, `update`, `delete`,
    /// `set_status`) or `get`.
    pub fn check_op(&self, op: Operation) -> Result<()> {
        let ok = match op {
            Operation::Get => self.get,
            Operation::List => self.list,
            Operation::Create => self.create,
            Operation::Update => self.update,
            Operation::Delete => self.delete,
            Operation::SetStatus => self.set_status,
        };
        if ok {
            Ok(())
        } else {
            Err(Self::unsupported(op.describe()))
        }
    }
}

impl Capability {
    /// `check_op(Create)`, and the idempotency key when one is asked for.
    pub fn check_create(&self, options: &CreateOptions) -> Result<()> {
        self.check_op(Operation::Create)?;
        if options.idempotency.is_some() && !self.idempotency {
            return Err(Self::unsupported("idempotent creates (idempotency keys)"));
        }
        Ok(())
    }

    /// `check_op(op)`, and the expected version when the write is conditional.
    pub fn check_write(&self, op: Operation, expected: Option<Version>) -> Result<()> {
        self.check_op(op)?;
        if expected.is_some() && !self.expected_version {
            return Err(Self::unsupported(
                "conditional writes (an expected version)",
            ));
        }
        Ok(())
    }
}

impl Capability {
    /// The version a front should make a write conditional on: `stored` when the backend
    /// can check one, else none (the front read the record just before, and a backend
    /// without versions cannot do better).
    pub fn expected(&self, stored: Version) -> Option<Version> {
        self.expected_version.then_some(stored)
    }
}

/// A store operation, for capability checks and messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operation {
    Get,
    List,
    Create,
    Update,
    Delete,
    SetStatus,
}

impl Operation {
    pub fn describe(self) -> &'static str {
        match self {
            Operation::Get => "reading a customer by id",
            Operation::List => "listing customers",
            Operation::Create => "creating customers",
            Operation::Update => "updating customers",
            Operation::Delete => "deleting customers",
            Operation::SetStatus => "changing a customer's status",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::Value;
    use crate::query::SortKey;

    #[test]
    fn full_supports_everything() {
        let cap = Capability::full();
        let q = Query {
            filter: Some(Filter::Not(Box::new(Filter::Or(vec![
                Filter::Search("x".into()),
                Filter::text(Field::Note, TextOp::Like, "%a", false).unwrap(),
            ])))),
            sort: vec![SortKey::desc(Field::DisplayName)],
            offset: 10,
            count: crate::query::Count::WithTotal,
            ..Query::default()
        };
        cap.check_query(&q).unwrap();
    }

    #[test]
    fn lookup_only_backends_say_what_is_missing() {
        let cap = Capability {
            get: true,
            find: FindCapability {
                number: true,
                ..FindCapability::default()
            },
            ..Capability::default()
        };
        let e = cap.check_query(&Query::default()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unsupported);
        assert_eq!(
            e.message(),
            "the backend does not support listing customers"
        );
        assert!(cap.check_find(&Key::Number("1".into())).is_ok());
        let e = cap.check_find(&Key::Email("a@b".into())).unwrap_err();
        assert!(e.message().contains("by email"));
        assert!(cap.check_op(Operation::Delete).is_err());
    }

    #[test]
    fn write_options_need_their_capability() {
        let cap = Capability {
            create: true,
            update: true,
            ..Capability::default()
        };
        assert!(cap.check_create(&CreateOptions::default()).is_ok());
        let keyed = CreateOptions {
            idempotency: Some(crate::Idempotency {
                key: crate::IdempotencyKey::parse("k").unwrap(),
                fingerprint: "f".into(),
            }),
        };
        assert_eq!(
            cap.check_create(&keyed).unwrap_err().kind(),
            ErrorKind::Unsupported
        );
        assert!(cap.check_write(Operation::Update, None).is_ok());
        assert!(cap
            .check_write(Operation::Update, Some(Version::FIRST))
            .is_err());
        assert!(cap.check_write(Operation::Delete, None).is_err());
        assert!(Capability::full()
            .check_write(Operation::Update, Some(Version::FIRST))
            .is_ok());
    }

    #[test]
    fn filter_support_is_per_field_and_op() {
        let f = FilterCapability {
            and: true,
            fields: vec![
                (
                    Field::DisplayName,
                    FieldOps {
                        text_ci: true,
                        ..FieldOps::default()
                    },
                ),
                (Field::Email, FieldOps::EQ),
            ],
            ..FilterCapability::default()
        };
        let ok = Filter::And(vec![
            Filter::text(Field::DisplayName, TextOp::Contains, "j", true).unwrap(),
            Filter::eq(Field::Email, Value::text("a@b")).unwrap(),
        ]);
        assert!(f.supports(&ok).is_ok());
        let bad = Filter::text(Field::DisplayName, TextOp::Contains, "j", false).unwrap();
        assert_eq!(f.supports(&bad).unwrap_err(), "'contains' on name.display");
        // `like` too is case-sensitive or not, each supported on its own.
        let like = |ci| Filter::text(Field::DisplayName, TextOp::Like, "j%", ci).unwrap();
        assert!(f.supports(&like(true)).is_err());
        let ci_like = FilterCapability {
            fields: vec![(
                Field::DisplayName,
                FieldOps {
                    like_ci: true,
                    ..FieldOps::default()
                },
            )],
            ..FilterCapability::default()
        };
        assert!(ci_like.supports(&like(true)).is_ok());
        assert_eq!(
            ci_like.supports(&like(false)).unwrap_err(),
            "'like' on name.display"
        );
        let or = Filter::Or(vec![ok.clone(), ok]);
        assert_eq!(f.supports(&or).unwrap_err(), "combining filters with 'or'");
    }
}
