//! Wire ↔ canonical, as pure functions.
//!
//! [`to_wire`] renders a canonical customer as the full Unimicro entity (every relation
//! expanded); [`apply`] applies a wire customer onto a canonical one: a create starts from a
//! blank record, an update merges onto the stored record (absent properties stay, a child
//! addressed by `ID` is updated, `"Deleted": true` removes it, children left out stay), an
//! import keeps the ids, numbers, status and timestamps an upstream Unimicro assigned.
//!
//! What has no canonical home goes into `extensions["odata"]` ([`Ext`]): the unmodelled
//! properties verbatim, and for every child (address, phone, e-mail, contact) its stable
//! `ID`, a fingerprint of its canonical content and the wire properties its canonical form
//! cannot reproduce. A child whose canonical content changed elsewhere (another dialect)
//! no longer matches its fingerprint and is shown with a fresh `ID`.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, SecondsFormat, Utc};
use custgate_core::diff::keep_assigned;
use custgate_core::field::parse_datetime;
use custgate_core::model::{e164, normalize_country_code, split_e164};
use custgate_core::{
    Address, AddressKind, Contact, Customer, CustomerId, CustomerKind, Email, Error,
    Identification, Phone, Status,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::validate::{self, Errors};
use crate::wire::{self, JsonMap, Patch};

/// The dialect slug, also the key of its extension object.
pub const DIALECT: &str = "odata";

/// The identification scheme of `OrgNumber`.
pub const ORG: &str = "ORG";

/// How [`apply`] treats a wire customer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// A new customer: ids, number (when 0), status (when null) and timestamps are the
    /// store's to assign.
    Create,
    /// A change to the stored customer: only what is present and differs from what the
    /// customer shows is applied.
    Update,
    /// A record read from an upstream Unimicro: its ids, number, status and timestamps are
    /// kept as they are, and the rules are relaxed to what any stored record may hold.
    Import,
}

// ---------------------------------------------------------------------------------------
// The extension object.
// ---------------------------------------------------------------------------------------

/// `extensions["odata"]`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Ext {
    /// Unmodelled customer properties that differ from their empty value.
    #[serde(skip_serializing_if = "JsonMap::is_empty")]
    pub fields: JsonMap,
    /// Unmodelled `Info` properties that differ from their empty value.
    #[serde(skip_serializing_if = "JsonMap::is_empty")]
    pub info: JsonMap,
    /// Per child group (`Addresses`, `Phones`, `Emails`, `Contacts`), one entry per child.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub children: BTreeMap<String, Vec<ChildEntry>>,
    /// The next child id to hand out.
    #[serde(skip_serializing_if = "is_zero")]
    pub next_id: i64,
    /// The `CurrencyCode` entity as last written, shown while its code is the customer's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<JsonMap>,
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

/// One child's bookkeeping.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ChildEntry {
    #[serde(rename = "ID")]
    pub id: i64,
    /// A hash of the child's canonical content, role left out.
    pub fp: String,
    /// Wire properties the canonical form does not reproduce (`_createguid`, a number as
    /// typed…).
    #[serde(default, skip_serializing_if = "JsonMap::is_empty")]
    pub over: JsonMap,
}

impl Ext {
    /// The customer's extension; a malformed one (edited elsewhere) counts as empty.
    pub fn of(c: &Customer) -> Ext {
        c.extension(DIALECT)
            .and_then(|m| serde_json::from_value(Value::Object(m.clone())).ok())
            .unwrap_or_default()
    }

    /// Puts the extension into the customer (an empty one: none).
    fn store_into(self, c: &mut Customer) {
        let m = self.into_map();
        if m.is_empty() {
            c.extensions.remove(DIALECT);
        } else {
            c.extensions.insert(DIALECT.to_owned(), m);
        }
    }

    /// The extension as JSON: what serialising it gives.
    fn into_map(self) -> JsonMap {
        let mut m = JsonMap::new();
        if !self.fields.is_empty() {
            m.insert("fields".into(), Value::Object(self.fields));
        }
        if !self.info.is_empty() {
            m.insert("info".into(), Value::Object(self.info));
        }
        if !self.children.is_empty() {
            m.insert("children".into(), children_value(self.children));
        }
        if !is_zero(&self.next_id) {
            m.insert("next_id".into(), json!(self.next_id));
        }
        if let Some(currency) = self.currency {
            m.insert("currency".into(), Value::Object(currency));
        }
        m
    }
}

/// The children's bookkeeping as JSON: what serialising it gives, built by moving its
/// parts rather than serialising them.
fn children_value(children: BTreeMap<String, Vec<ChildEntry>>) -> Value {
    let entry = |e: ChildEntry| {
        let mut m = JsonMap::new();
        m.insert("ID".into(), Value::from(e.id));
        m.insert("fp".into(), Value::String(e.fp));
        if !e.over.is_empty() {
            m.insert("over".into(), Value::Object(e.over));
        }
        Value::Object(m)
    };
    Value::Object(
        children
            .into_iter()
            .map(|(group, entries)| (group, entries.into_iter().map(entry).collect()))
            .collect(),
    )
}

/// Whether the customer is referenced by quotes, orders or invoices (Appendix A's
/// `CustomerQuotes`, `CustomerOrders`, `CustomerInvoices` hold entries).
pub fn has_references(c: &Customer) -> bool {
    let ext = Ext::of(c);
    wire::REFERENCES.iter().any(|k| {
        ext.fields
            .get(*k)
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty())
    })
}

/// The customer's `CustomerNumberKidAlias`, if any.
pub fn kid_alias(c: &Customer) -> Option<String> {
    Ext::of(c)
        .fields
        .get("CustomerNumberKidAlias")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

// ---------------------------------------------------------------------------------------
// JSON helpers.
// ---------------------------------------------------------------------------------------

/// Overlays `over` onto `base`, object by object.
pub fn deep_merge(base: &mut Value, over: &Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(k) {
                    Some(slot) if slot.is_object() && v.is_object() => deep_merge(slot, v),
                    _ => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (b, o) => *b = o.clone(),
    }
}

/// What to overlay on `b` to get `a` (deletions cannot be expressed: keys only in `b`
/// stay).
pub fn diff(a: &Value, b: &Value) -> Option<Value> {
    if a == b {
        return None;
    }
    match (a, b) {
        (Value::Object(am), Value::Object(bm)) => {
            let mut out = JsonMap::new();
            for (k, av) in am {
                match bm.get(k) {
                    None => {
                        out.insert(k.clone(), av.clone());
                    }
                    Some(bv) => {
                        if let Some(d) = diff(av, bv) {
                            out.insert(k.clone(), d);
                        }
                    }
                }
            }
            (!out.is_empty()).then_some(Value::Object(out))
        }
        _ => Some(a.clone()),
    }
}

/// [`diff`], taking `a` (which it is made of) rather than copying from it.
fn diff_owned(a: Value, b: &Value) -> Option<Value> {
    match (a, b) {
        // Equal objects give no property, as [`diff`]'s early return does.
        (Value::Object(am), Value::Object(bm)) => {
            let mut out = JsonMap::new();
            for (k, av) in am {
                match bm.get(&k) {
                    None => {
                        out.insert(k, av);
                    }
                    Some(bv) => {
                        if let Some(d) = diff_owned(av, bv) {
                            out.insert(k, d);
                        }
                    }
                }
            }
            (!out.is_empty()).then_some(Value::Object(out))
        }
        (a, b) => (a != *b).then_some(a),
    }
}

fn to_value<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

fn changed<T: PartialEq>(new: &Patch<T>, shown: &Patch<T>) -> bool {
    new.is_present() && new != shown
}

/// Records the outcome of a check of the property `name` of the object at `path`; the
/// path is only spelt out when the check failed.
fn check_at<T>(
    errs: &mut Errors,
    path: &dyn fmt::Display,
    name: &str,
    r: Result<T, String>,
) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(m) => {
            errs.push(format!("{path}.{name}"), m);
            None
        }
    }
}

/// A child's fingerprint: a hash of its canonical JSON with the role left out. Each child
/// type writes that JSON itself ([`Child::fingerprint`]); this is the definition they are
/// tested against.
#[cfg(test)]
fn fingerprint<T: Serialize>(v: &T, role_key: &str) -> String {
    let mut value = to_value(v);
    if let Value::Object(m) = &mut value {
        m.remove(role_key);
    }
    // The bytes `value.to_string()` gives (compact JSON), without the formatter between.
    let digest = Sha256::digest(serde_json::to_vec(&value).unwrap_or_default());
    hex::encode(&digest[..8])
}

/// The fingerprint of a child's canonical JSON text.
fn fingerprint_of(json: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(json);
    // What `hex::encode` gives for the first eight bytes.
    let mut out = String::with_capacity(16);
    for b in &digest[..8] {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 15)]));
    }
    out
}

/// Writes canonical JSON by hand, byte for byte what `serde_json` writes for a `Value`
/// (compact, names in order): `{`, then each name and value.
struct JsonWriter(Vec<u8>);

impl JsonWriter {
    fn new() -> Self {
        JsonWriter(Vec::with_capacity(160))
    }

    /// The name of the next property (`first`: no comma before it).
    fn name(&mut self, name: &str, first: bool) {
        self.0.push(if first { b'{' } else { b',' });
        self.0.push(b'"');
        self.0.extend_from_slice(name.as_bytes());
        self.0.extend_from_slice(b"\":");
    }

    fn str(&mut self, s: &str) {
        // Escaped as serde_json escapes every string it writes.
        serde_json::to_writer(&mut self.0, s).expect("writing to a Vec does not fail");
    }

    fn opt_str(&mut self, s: &Option<String>) {
        match s {
            Some(s) => self.str(s),
            None => self.0.extend_from_slice(b"null"),
        }
    }

    fn bool(&mut self, b: bool) {
        self.0.extend_from_slice(if b { b"true" } else { b"false" });
    }

    fn value<T: Serialize>(&mut self, v: &T) {
        serde_json::to_writer(&mut self.0, v).expect("writing to a Vec does not fail");
    }

    /// The fingerprint of what was written, the object closed.
    fn fingerprint(mut self) -> String {
        self.0.push(b'}');
        fingerprint_of(&self.0)
    }
}

/// Trims; an empty string becomes `None`.
fn non_empty(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// A date-time as Unimicro writes it (`2017-10-10T09:53:38.477Z`).
pub fn format_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The `CustomerNumber` of a canonical number: its integer value when it is all digits.
pub fn number_to_int(number: Option<&str>) -> Option<i64> {
    let n = number?.trim();
    if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    n.parse().ok()
}

// ---------------------------------------------------------------------------------------
// Children: addresses, phones, e-mails, contacts.
// ---------------------------------------------------------------------------------------

/// The place a child holds among its siblings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Plain,
    /// The default phone or e-mail, the default (primary) contact.
    Default,
    Billing,
    Shipping,
}

impl Role {
    /// Whether a new child in role `self` may be merged into an equal one in role `other`.
    fn compatible(self, other: Role) -> bool {
        self == Role::Plain || other == Role::Plain || self == other
    }
}

struct Ctx<'a> {
    mode: Mode,
    next_id: &'a mut i64,
    errs: &'a mut Errors,
}

impl Ctx<'_> {
    fn alloc(&mut self) -> i64 {
        let id = *self.next_id;
        *self.next_id += 1;
        id
    }
}

trait Child {
    type Canon: Clone + Serialize;
    type Wire: Clone + Default + Serialize + DeserializeOwned;
    /// The group's name in the extension (and its array's name on the wire).
    const GROUP: &'static str;
    /// What it is called in messages.
    const WHAT: &'static str;
    /// The canonical property holding the role, which a fingerprint leaves out.
    #[cfg_attr(not(test), allow(dead_code))]
    const ROLE_KEY: &'static str;

    fn blank() -> Self::Canon;
    fn render(c: &Self::Canon) -> Self::Wire;
    /// Applies what `w` holds and `shown` does not onto `base`.
    fn read(
        w: &Self::Wire,
        base: &Self::Canon,
        shown: &Self::Wire,
        new: bool,
        path: &dyn fmt::Display,
        ctx: &mut Ctx<'_>,
    ) -> Self::Canon;
    fn id(w: &Self::Wire) -> &Patch<i64>;
    fn deleted(w: &Self::Wire) -> bool;
    fn role(c: &Self::Canon) -> Role;
    fn set_role(c: &mut Self::Canon, role: Role);
    /// The child's fingerprint: what [`fingerprint`] gives for it with `ROLE_KEY` left
    /// out, its JSON written by hand.
    fn fingerprint(c: &Self::Canon) -> String;
    /// What a new child's wire form adds to its canonical rendering, `ID` and `Deleted`
    /// left out: [`overrides`] of the wire form's JSON.
    fn added(w: &Self::Wire, canon: &Self::Canon) -> JsonMap
    where
        Self: Sized,
    {
        overrides::<Self>(to_value(w), canon)
    }
}

#[derive(Clone, Debug)]
struct Slot<C> {
    id: i64,
    canon: C,
    over: JsonMap,
}

fn slot_value<K: Child>(slot: &Slot<K::Canon>) -> Value {
    let mut v = to_value(&K::render(&slot.canon));
    if !slot.over.is_empty() {
        deep_merge(&mut v, &Value::Object(slot.over.clone()));
    }
    if let Value::Object(m) = &mut v {
        m.insert("ID".into(), json!(slot.id));
    }
    v
}

fn slot_wire<K: Child>(slot: &Slot<K::Canon>) -> K::Wire {
    let v = slot_value::<K>(slot);
    serde_json::from_value(v).unwrap_or_else(|_| K::render(&slot.canon))
}

/// What a wire child adds to its canonical rendering, `ID` and `Deleted` left out.
fn overrides<K: Child>(wire: Value, canon: &K::Canon) -> JsonMap {
    let rendered = to_value(&K::render(canon));
    let mut over = match diff_owned(wire, &rendered) {
        Some(Value::Object(m)) => m,
        _ => JsonMap::new(),
    };
    over.remove("ID");
    over.remove("Deleted");
    over
}

/// [`overrides`] for one modelled property of a new child: its wire value when the wire
/// form has it and the rendering does not, or has another.
fn added_property<T: PartialEq + Serialize>(
    over: &mut JsonMap,
    name: &str,
    wire: &Patch<T>,
    rendered: &Patch<T>,
) {
    if wire.is_present() && (rendered.is_absent() || wire != rendered) {
        over.insert(name.to_owned(), to_value(wire));
    }
}

/// [`added_property`] for a text the rendering has (`None`: `null`), given by reference.
fn added_text(over: &mut JsonMap, name: &str, wire: &Patch<String>, rendered: Option<&str>) {
    let same = match (wire, rendered) {
        (Patch::Absent, _) => return,
        (Patch::Null, None) => true,
        (Patch::Value(w), Some(r)) => w == r,
        _ => false,
    };
    if !same {
        over.insert(name.to_owned(), to_value(wire));
    }
}

/// [`overrides`] for a new child's unmodelled properties (which its rendering never has):
/// all of them, `ID` and `Deleted` left out.
fn added_extra(over: &mut JsonMap, extra: &JsonMap) {
    for (k, v) in extra {
        if k != "ID" && k != "Deleted" {
            over.insert(k.clone(), v.clone());
        }
    }
}

/// The children's slots: each canonical child with the entry whose fingerprint it has
/// (its `ID` and `over`). A child changed elsewhere matches none; it keeps the `ID` of the
/// entry at its own place when that entry matched no child (an edit in place: a `PUT`
/// naming the id reaches it, and an upstream updates the child where it is instead of
/// removing it and adding one at the end), without that entry's `over`, which was typed
/// for the old content. Any other child gets a fresh id from `next_id`.
fn load<K: Child>(
    items: &[K::Canon],
    entries: &[ChildEntry],
    next_id: &mut i64,
) -> Vec<Slot<K::Canon>> {
    let mut used = vec![false; entries.len()];
    let found: Vec<Option<usize>> = items
        .iter()
        .map(|c| {
            let fp = K::fingerprint(c);
            let i = (0..entries.len()).find(|&i| !used[i] && entries[i].fp == fp)?;
            used[i] = true;
            Some(i)
        })
        .collect();
    items
        .iter()
        .zip(found)
        .enumerate()
        .map(|(place, (c, found))| match found {
            Some(i) => Slot {
                id: entries[i].id,
                canon: c.clone(),
                over: entries[i].over.clone(),
            },
            None => {
                let id = match used.get(place) {
                    Some(false) => {
                        used[place] = true;
                        entries[place].id
                    }
                    _ => {
                        let id = *next_id;
                        *next_id += 1;
                        id
                    }
                };
                Slot {
                    id,
                    canon: c.clone(),
                    over: JsonMap::new(),
                }
            }
        })
        .collect()
}

/// The children's bookkeeping and the children.
fn entries<K: Child>(slots: Vec<Slot<K::Canon>>) -> (Vec<ChildEntry>, Vec<K::Canon>) {
    slots
        .into_iter()
        .map(|s| {
            let entry = ChildEntry {
                id: s.id,
                fp: K::fingerprint(&s.canon),
                over: s.over,
            };
            (entry, s.canon)
        })
        .unzip()
}

/// Gives the child at `index` the role it was sent in (`Info.DefaultPhone`…), unless it is
/// already the one shown in that role: then the role is as the client read it, and the
/// other children keep theirs, such as a default fax beside the default mobile (the
/// entity shows one default phone) or a second invoice address.
fn keep_or_assign_role<K: Child>(slots: &mut [Slot<K::Canon>], index: usize, role: Role) {
    let shown = first_with::<K>(slots, role).is_some_and(|s| s.id == slots[index].id);
    if !shown {
        assign_role::<K>(slots, index, role);
    }
}

fn assign_role<K: Child>(slots: &mut [Slot<K::Canon>], index: usize, role: Role) {
    if role == Role::Plain {
        return;
    }
    for (i, s) in slots.iter_mut().enumerate() {
        if i == index {
            K::set_role(&mut s.canon, role);
        } else if K::role(&s.canon) == role {
            K::set_role(&mut s.canon, Role::Plain);
        }
    }
}

/// Applies one wire child: update by `ID`, removal with `"Deleted": true`, else a new
/// child (merged into an equal existing one rather than duplicated).
fn upsert<K: Child>(
    slots: &mut Vec<Slot<K::Canon>>,
    item: &K::Wire,
    role: Role,
    path: &str,
    ctx: &mut Ctx<'_>,
) {
    let id = match K::id(item) {
        Patch::Value(n) if *n < 0 => {
            ctx.errs.push(format!("{path}.ID"), "must not be negative");
            return;
        }
        Patch::Value(n) if *n > 0 => Some(*n),
        _ => None,
    };
    let pos = id.and_then(|id| slots.iter().position(|s| s.id == id));
    if K::deleted(item) {
        match (pos, id) {
            (Some(p), _) => {
                slots.remove(p);
            }
            (None, Some(id)) if ctx.mode != Mode::Import => ctx.errs.push(
                format!("{path}.ID"),
                format!("there is no {} with ID {id}", K::WHAT),
            ),
            _ => {}
        }
        return;
    }
    let mut raw = to_value(item);
    if let Value::Object(m) = &mut raw {
        m.remove("ID");
        m.remove("Deleted");
    }
    if let Some(p) = pos {
        let shown_value = slot_value::<K>(&slots[p]);
        let shown = slot_wire::<K>(&slots[p]);
        let mut merged = shown_value;
        deep_merge(&mut merged, &raw);
        let keep = K::role(&slots[p].canon);
        let mut canon = K::read(item, &slots[p].canon, &shown, false, &path, ctx);
        K::set_role(&mut canon, keep);
        slots[p].over = overrides::<K>(merged, &canon);
        slots[p].canon = canon;
        keep_or_assign_role::<K>(slots, p, role);
        return;
    }
    if let (Some(id), false) = (id, ctx.mode == Mode::Import) {
        ctx.errs.push(
            format!("{path}.ID"),
            format!("there is no {} with ID {id}", K::WHAT),
        );
        return;
    }
    let mut canon = K::read(item, &K::blank(), &K::Wire::default(), true, &path, ctx);
    K::set_role(&mut canon, Role::Plain);
    if ctx.mode != Mode::Import {
        let fp = K::fingerprint(&canon);
        let twin = slots
            .iter()
            .position(|s| K::fingerprint(&s.canon) == fp && role.compatible(K::role(&s.canon)));
        if let Some(p) = twin {
            let mut merged = slot_value::<K>(&slots[p]);
            deep_merge(&mut merged, &raw);
            slots[p].over = overrides::<K>(merged, &slots[p].canon);
            keep_or_assign_role::<K>(slots, p, role);
            return;
        }
    }
    let over = overrides::<K>(raw, &canon);
    push_new::<K>(slots, id, canon, over, role, ctx);
}

/// Adds a child not seen before: under its own `ID` when it has one (later ids go past
/// it), else under the next free one; then gives it its role.
fn push_new<K: Child>(
    slots: &mut Vec<Slot<K::Canon>>,
    id: Option<i64>,
    canon: K::Canon,
    over: JsonMap,
    role: Role,
    ctx: &mut Ctx<'_>,
) {
    let id = match id {
        Some(id) => {
            *ctx.next_id = (*ctx.next_id).max(id + 1);
            id
        }
        None => ctx.alloc(),
    };
    slots.push(Slot { id, canon, over });
    let last = slots.len() - 1;
    assign_role::<K>(slots, last, role);
}

/// Makes the child with `id` hold `role` (`Info.DefaultPhoneID` and the like).
fn link<K: Child>(
    slots: &mut [Slot<K::Canon>],
    id: i64,
    role: Role,
    path: &str,
    ctx: &mut Ctx<'_>,
) {
    match slots.iter().position(|s| s.id == id) {
        Some(p) => assign_role::<K>(slots, p, role),
        None if ctx.mode == Mode::Import => {}
        None => ctx
            .errs
            .push(path, format!("there is no {} with ID {id}", K::WHAT)),
    }
}

struct AddressChild;
struct PhoneChild;
struct EmailChild;
struct ContactChild;

impl Child for AddressChild {
    type Canon = Address;
    type Wire = wire::Address;
    const GROUP: &'static str = "Addresses";
    const WHAT: &'static str = "address";
    const ROLE_KEY: &'static str = "kind";

    fn blank() -> Address {
        Address::default()
    }

    fn render(a: &Address) -> wire::Address {
        let (l1, l2, l3) = if a.lines.iter().any(|l| !l.trim().is_empty()) {
            let l1 = a.lines.first().cloned();
            let l2 = a.lines.get(1).cloned();
            let l3 = (a.lines.len() > 2).then(|| {
                a.lines[2..]
                    .iter()
                    .filter(|l| !l.trim().is_empty())
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            });
            (l1, l2, l3)
        } else {
            // Structured addresses from other dialects (building number, street, district).
            let street = [a.building_no.as_deref(), a.street.as_deref()]
                .into_iter()
                .flatten()
                .filter(|s| !s.trim().is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            (Some(street), a.district.clone(), a.unit_no.clone())
        };
        let line = |l: Option<String>| Patch::from_option(l.filter(|s| !s.trim().is_empty()));
        wire::Address {
            address_line1: line(l1),
            address_line2: line(l2),
            address_line3: line(l3),
            postal_code: Patch::from_option(a.postal_code.clone()),
            city: Patch::from_option(a.city.clone()),
            region: a.region.clone().map_or(Patch::Absent, Patch::Value),
            country: Patch::from_option(a.country.clone()),
            country_code: Patch::from_option(a.country_code.clone()),
            ..wire::Address::default()
        }
    }

    fn read(
        w: &wire::Address,
        base: &Address,
        shown: &wire::Address,
        _new: bool,
        path: &dyn fmt::Display,
        ctx: &mut Ctx<'_>,
    ) -> Address {
        let mut a = base.clone();
        let lines = [
            (&w.address_line1, &shown.address_line1, "AddressLine1"),
            (&w.address_line2, &shown.address_line2, "AddressLine2"),
            (&w.address_line3, &shown.address_line3, "AddressLine3"),
        ];
        if lines.iter().any(|(n, s, _)| changed(n, s)) {
            let mut out: Vec<String> = Vec::new();
            for (n, s, name) in lines {
                let v = if n.is_present() { n } else { s };
                let v = v.value().cloned().unwrap_or_default();
                check_at(ctx.errs, path, name, validate::text(&v));
                out.push(v.trim().to_owned());
            }
            while out.last().is_some_and(String::is_empty) {
                out.pop();
            }
            a.lines = out;
        }
        let texts = [
            (
                &w.postal_code,
                &shown.postal_code,
                "PostalCode",
                &mut a.postal_code,
            ),
            (&w.city, &shown.city, "City", &mut a.city),
            (&w.region, &shown.region, "Region", &mut a.region),
            (&w.country, &shown.country, "Country", &mut a.country),
        ];
        for (n, s, name, target) in texts {
            if changed(n, s) {
                let v = n.value().cloned().unwrap_or_default();
                check_at(ctx.errs, path, name, validate::text(&v));
                *target = non_empty(&v);
            }
        }
        if changed(&w.country_code, &shown.country_code) {
            a.country_code = match &w.country_code {
                Patch::Value(s) if !s.trim().is_empty() => match validate::country_code(s) {
                    Ok(cc) => Some(cc),
                    Err(_) if ctx.mode == Mode::Import => None,
                    Err(m) => {
                        ctx.errs.push(format!("{path}.CountryCode"), m);
                        None
                    }
                },
                _ => None,
            };
        }
        a
    }

    fn id(w: &wire::Address) -> &Patch<i64> {
        &w.id
    }

    fn deleted(w: &wire::Address) -> bool {
        w.deleted == Patch::Value(true)
    }

    fn role(a: &Address) -> Role {
        match a.kind {
            AddressKind::Billing => Role::Billing,
            AddressKind::Shipping => Role::Shipping,
            AddressKind::Other => Role::Plain,
        }
    }

    fn set_role(a: &mut Address, role: Role) {
        a.kind = match role {
            Role::Billing => AddressKind::Billing,
            Role::Shipping => AddressKind::Shipping,
            Role::Plain | Role::Default => AddressKind::Other,
        };
    }

    fn fingerprint(a: &Address) -> String {
        let mut w = JsonWriter::new();
        w.name("building_no", true);
        w.opt_str(&a.building_no);
        w.name("city", false);
        w.opt_str(&a.city);
        w.name("country", false);
        w.opt_str(&a.country);
        w.name("country_code", false);
        w.opt_str(&a.country_code);
        w.name("district", false);
        w.opt_str(&a.district);
        w.name("lines", false);
        w.0.push(b'[');
        for (i, l) in a.lines.iter().enumerate() {
            if i > 0 {
                w.0.push(b',');
            }
            w.str(l);
        }
        w.0.push(b']');
        w.name("postal_code", false);
        w.opt_str(&a.postal_code);
        w.name("region", false);
        w.opt_str(&a.region);
        w.name("street", false);
        w.opt_str(&a.street);
        w.name("unit_no", false);
        w.opt_str(&a.unit_no);
        w.fingerprint()
    }

    fn added(w: &wire::Address, canon: &Address) -> JsonMap {
        if w.extra
            .keys()
            .any(|k| wire::ADDRESS.keys.contains(&k.as_str()))
        {
            return overrides::<Self>(to_value(w), canon);
        }
        let r = Self::render(canon);
        let mut over = JsonMap::new();
        added_property(
            &mut over,
            "AddressLine1",
            &w.address_line1,
            &r.address_line1,
        );
        added_property(
            &mut over,
            "AddressLine2",
            &w.address_line2,
            &r.address_line2,
        );
        added_property(
            &mut over,
            "AddressLine3",
            &w.address_line3,
            &r.address_line3,
        );
        added_property(&mut over, "PostalCode", &w.postal_code, &r.postal_code);
        added_property(&mut over, "City", &w.city, &r.city);
        added_property(&mut over, "Region", &w.region, &r.region);
        added_property(&mut over, "Country", &w.country, &r.country);
        added_property(&mut over, "CountryCode", &w.country_code, &r.country_code);
        added_extra(&mut over, &w.extra);
        over
    }
}

/// The number and dialling code a wire phone stands for, in canonical form.
fn canonical_phone(
    number: &str,
    cc: Option<&str>,
    path: &dyn fmt::Display,
    ctx: &mut Ctx<'_>,
) -> (String, Option<String>) {
    if ctx.mode != Mode::Import {
        check_at(ctx.errs, path, "Number", validate::phone_number(number));
        if let Some(cc) = cc {
            check_at(ctx.errs, path, "CountryCode", validate::dialling_code(cc));
        }
    }
    let cc = cc.map(normalize_country_code).filter(|c| !c.is_empty());
    match &cc {
        Some(code) => {
            let compact: String = number
                .trim()
                .chars()
                .filter(|c| c.is_ascii_digit() || *c == '+')
                .collect();
            (e164(Some(code), &compact), cc)
        }
        None => (number.trim().to_owned(), None),
    }
}

impl Child for PhoneChild {
    type Canon = Phone;
    type Wire = wire::Phone;
    const GROUP: &'static str = "Phones";
    const WHAT: &'static str = "phone";
    const ROLE_KEY: &'static str = "default";

    fn blank() -> Phone {
        Phone::default()
    }

    fn render(p: &Phone) -> wire::Phone {
        let number = match &p.country_code {
            Some(cc) => split_e164(&p.number, cc).unwrap_or(&p.number).to_owned(),
            None => p.number.clone(),
        };
        wire::Phone {
            kind: Patch::Value(validate::phone_type_code(p.kind)),
            number: Patch::Value(number),
            country_code: Patch::from_option(p.country_code.clone()),
            description: Patch::from_option(p.description.clone()),
            ..wire::Phone::default()
        }
    }

    fn read(
        w: &wire::Phone,
        base: &Phone,
        shown: &wire::Phone,
        new: bool,
        path: &dyn fmt::Display,
        ctx: &mut Ctx<'_>,
    ) -> Phone {
        let mut p = base.clone();
        let strict = ctx.mode != Mode::Import;
        match &w.kind {
            Patch::Value(t) if changed(&w.kind, &shown.kind) => match validate::phone_type(*t) {
                Ok(k) => p.kind = k,
                Err(m) if strict => ctx.errs.push(format!("{path}.Type"), m),
                Err(_) => {}
            },
            Patch::Null if strict => ctx.errs.push(
                format!("{path}.Type"),
                "is required (150101 phone, 150102 mobile, 150103 fax)",
            ),
            Patch::Absent if new && strict => ctx.errs.push(
                format!("{path}.Type"),
                "is required (150101 phone, 150102 mobile, 150103 fax)",
            ),
            _ => {}
        }
        if changed(&w.number, &shown.number) || changed(&w.country_code, &shown.country_code) {
            let number = match &w.number {
                Patch::Value(n) => Some(n.clone()),
                Patch::Null => None,
                Patch::Absent => shown.number.value().cloned(),
            };
            let cc = match &w.country_code {
                Patch::Value(c) => Some(c.clone()),
                Patch::Null => None,
                Patch::Absent => shown.country_code.value().cloned(),
            };
            match number {
                Some(n) => {
                    let (number, cc) = canonical_phone(&n, cc.as_deref(), path, ctx);
                    p.number = number;
                    p.country_code = cc;
                }
                None => ctx.errs.push(format!("{path}.Number"), "is required"),
            }
        } else if new {
            ctx.errs.push(format!("{path}.Number"), "is required");
        }
        if changed(&w.description, &shown.description) {
            let d = w.description.value().cloned().unwrap_or_default();
            check_at(ctx.errs, path, "Description", validate::text(&d));
            p.description = non_empty(&d);
        }
        p
    }

    fn id(w: &wire::Phone) -> &Patch<i64> {
        &w.id
    }

    fn deleted(w: &wire::Phone) -> bool {
        w.deleted == Patch::Value(true)
    }

    fn role(p: &Phone) -> Role {
        if p.default {
            Role::Default
        } else {
            Role::Plain
        }
    }

    fn set_role(p: &mut Phone, role: Role) {
        p.default = role == Role::Default;
    }

    fn fingerprint(p: &Phone) -> String {
        let mut w = JsonWriter::new();
        w.name("country_code", true);
        w.opt_str(&p.country_code);
        w.name("description", false);
        w.opt_str(&p.description);
        w.name("kind", false);
        w.value(&p.kind);
        w.name("number", false);
        w.str(&p.number);
        w.fingerprint()
    }

    fn added(w: &wire::Phone, canon: &Phone) -> JsonMap {
        if w.extra
            .keys()
            .any(|k| wire::PHONE.keys.contains(&k.as_str()))
        {
            return overrides::<Self>(to_value(w), canon);
        }
        // What `render` gives, borrowed.
        let number = match &canon.country_code {
            Some(cc) => split_e164(&canon.number, cc).unwrap_or(&canon.number),
            None => &canon.number,
        };
        let mut over = JsonMap::new();
        let kind = Patch::Value(validate::phone_type_code(canon.kind));
        added_property(&mut over, "Type", &w.kind, &kind);
        added_text(&mut over, "Number", &w.number, Some(number));
        added_text(
            &mut over,
            "CountryCode",
            &w.country_code,
            canon.country_code.as_deref(),
        );
        added_text(
            &mut over,
            "Description",
            &w.description,
            canon.description.as_deref(),
        );
        added_extra(&mut over, &w.extra);
        over
    }
}

impl Child for EmailChild {
    type Canon = Email;
    type Wire = wire::Email;
    const GROUP: &'static str = "Emails";
    const WHAT: &'static str = "e-mail";
    const ROLE_KEY: &'static str = "default";

    fn blank() -> Email {
        Email::default()
    }

    fn render(e: &Email) -> wire::Email {
        wire::Email {
            email_address: Patch::Value(e.address.clone()),
            description: Patch::from_option(e.description.clone()),
            ..wire::Email::default()
        }
    }

    fn read(
        w: &wire::Email,
        base: &Email,
        shown: &wire::Email,
        new: bool,
        path: &dyn fmt::Display,
        ctx: &mut Ctx<'_>,
    ) -> Email {
        let mut e = base.clone();
        if changed(&w.email_address, &shown.email_address) {
            match &w.email_address {
                Patch::Value(a) => {
                    if ctx.mode != Mode::Import {
                        check_at(ctx.errs, path, "EmailAddress", validate::email(a));
                    }
                    e.address = a.trim().to_owned();
                }
                _ => ctx.errs.push(format!("{path}.EmailAddress"), "is required"),
            }
        } else if new {
            ctx.errs.push(format!("{path}.EmailAddress"), "is required");
        }
        if changed(&w.description, &shown.description) {
            let d = w.description.value().cloned().unwrap_or_default();
            check_at(ctx.errs, path, "Description", validate::text(&d));
            e.description = non_empty(&d);
        }
        e
    }

    fn id(w: &wire::Email) -> &Patch<i64> {
        &w.id
    }

    fn deleted(w: &wire::Email) -> bool {
        w.deleted == Patch::Value(true)
    }

    fn role(e: &Email) -> Role {
        if e.default {
            Role::Default
        } else {
            Role::Plain
        }
    }

    fn set_role(e: &mut Email, role: Role) {
        e.default = role == Role::Default;
    }

    fn fingerprint(e: &Email) -> String {
        let mut w = JsonWriter::new();
        w.name("address", true);
        w.str(&e.address);
        w.name("description", false);
        w.opt_str(&e.description);
        w.fingerprint()
    }

    fn added(w: &wire::Email, canon: &Email) -> JsonMap {
        if w.extra
            .keys()
            .any(|k| wire::EMAIL.keys.contains(&k.as_str()))
        {
            return overrides::<Self>(to_value(w), canon);
        }
        // What `render` gives, borrowed.
        let mut over = JsonMap::new();
        added_text(
            &mut over,
            "EmailAddress",
            &w.email_address,
            Some(&canon.address),
        );
        added_text(
            &mut over,
            "Description",
            &w.description,
            canon.description.as_deref(),
        );
        added_extra(&mut over, &w.extra);
        over
    }
}

impl Child for ContactChild {
    type Canon = Contact;
    type Wire = wire::Contact;
    const GROUP: &'static str = "Contacts";
    const WHAT: &'static str = "contact";
    const ROLE_KEY: &'static str = "primary";

    fn blank() -> Contact {
        Contact {
            active: true,
            ..Contact::default()
        }
    }

    fn render(c: &Contact) -> wire::Contact {
        wire::Contact {
            role: Patch::from_option(c.relation.clone()),
            comment: Patch::from_option(c.remarks.clone()),
            info: Patch::Value(wire::ContactInfo {
                name: Patch::from_option(c.name.clone()),
                default_email: Patch::from_option(c.email.as_ref().map(|e| wire::Email {
                    email_address: Patch::Value(e.clone()),
                    ..wire::Email::default()
                })),
                default_phone: Patch::from_option(c.phone.as_ref().map(|p| wire::Phone {
                    number: Patch::Value(p.clone()),
                    ..wire::Phone::default()
                })),
                extra: JsonMap::new(),
            }),
            ..wire::Contact::default()
        }
    }

    fn read(
        w: &wire::Contact,
        base: &Contact,
        shown: &wire::Contact,
        new: bool,
        path: &dyn fmt::Display,
        ctx: &mut Ctx<'_>,
    ) -> Contact {
        let mut c = base.clone();
        for (n, s, name, target) in [
            (&w.role, &shown.role, "Role", &mut c.relation),
            (&w.comment, &shown.comment, "Comment", &mut c.remarks),
        ] {
            if changed(n, s) {
                let v = n.value().cloned().unwrap_or_default();
                check_at(ctx.errs, path, name, validate::text(&v));
                *target = non_empty(&v);
            }
        }
        if let (Patch::Value(info), true) = (&w.info, changed(&w.info, &shown.info)) {
            let shown_info = shown.info.value().cloned().unwrap_or_default();
            if changed(&info.name, &shown_info.name) {
                let v = info.name.value().cloned().unwrap_or_default();
                check_at(ctx.errs, path, "Info.Name", validate::text(&v));
                c.name = non_empty(&v);
            }
            if changed(&info.default_email, &shown_info.default_email) {
                c.email = match &info.default_email {
                    Patch::Value(e) => match e.email_address.value() {
                        Some(a) => {
                            if ctx.mode != Mode::Import {
                                check_at(
                                    ctx.errs,
                                    path,
                                    "Info.DefaultEmail.EmailAddress",
                                    validate::email(a),
                                );
                            }
                            non_empty(a)
                        }
                        None => None,
                    },
                    _ => None,
                };
            }
            if changed(&info.default_phone, &shown_info.default_phone) {
                c.phone = match &info.default_phone {
                    Patch::Value(p) => match p.number.value() {
                        Some(n) => {
                            let (n, _) = canonical_phone(
                                n,
                                p.country_code.value().map(String::as_str),
                                &format_args!("{path}.Info.DefaultPhone"),
                                ctx,
                            );
                            non_empty(&n)
                        }
                        None => None,
                    },
                    _ => None,
                };
            }
        }
        if new
            && ctx.mode != Mode::Import
            && c.name.is_none()
            && c.email.is_none()
            && c.phone.is_none()
        {
            ctx.errs.push(
                format!("{path}.Info"),
                "a contact needs a name, an e-mail or a phone",
            );
        }
        c
    }

    fn id(w: &wire::Contact) -> &Patch<i64> {
        &w.id
    }

    fn deleted(w: &wire::Contact) -> bool {
        w.deleted == Patch::Value(true)
    }

    fn role(c: &Contact) -> Role {
        if c.primary {
            Role::Default
        } else {
            Role::Plain
        }
    }

    fn set_role(c: &mut Contact, role: Role) {
        c.primary = role == Role::Default;
    }

    fn fingerprint(c: &Contact) -> String {
        let mut w = JsonWriter::new();
        w.name("active", true);
        w.bool(c.active);
        w.name("email", false);
        w.opt_str(&c.email);
        w.name("end_date", false);
        w.value(&c.end_date);
        w.name("name", false);
        w.opt_str(&c.name);
        w.name("phone", false);
        w.opt_str(&c.phone);
        w.name("profession", false);
        w.opt_str(&c.profession);
        w.name("relation", false);
        w.opt_str(&c.relation);
        w.name("remarks", false);
        w.opt_str(&c.remarks);
        w.name("start_date", false);
        w.value(&c.start_date);
        w.fingerprint()
    }
}

/// Every child of a customer, with its id.
struct Kids {
    addresses: Vec<Slot<Address>>,
    phones: Vec<Slot<Phone>>,
    emails: Vec<Slot<Email>>,
    contacts: Vec<Slot<Contact>>,
    next_id: i64,
}

impl Kids {
    fn load(c: &Customer, ext: &Ext) -> Kids {
        let group = |name: &str| ext.children.get(name).map(Vec::as_slice).unwrap_or(&[]);
        let max_known = ext
            .children
            .values()
            .flatten()
            .map(|e| e.id)
            .max()
            .unwrap_or(0);
        let mut next_id = ext.next_id.max(max_known + 1).max(1);
        let addresses =
            load::<AddressChild>(&c.addresses, group(AddressChild::GROUP), &mut next_id);
        let phones = load::<PhoneChild>(&c.phones, group(PhoneChild::GROUP), &mut next_id);
        let emails = load::<EmailChild>(&c.emails, group(EmailChild::GROUP), &mut next_id);
        let contacts = load::<ContactChild>(&c.contacts, group(ContactChild::GROUP), &mut next_id);
        Kids {
            addresses,
            phones,
            emails,
            contacts,
            next_id,
        }
    }

    fn store(self, c: &mut Customer, ext: &mut Ext) {
        ext.children.clear();
        let mut put = |name: &str, e: Vec<ChildEntry>| {
            if !e.is_empty() {
                ext.children.insert(name.to_owned(), e);
            }
        };
        let (e, addresses) = entries::<AddressChild>(self.addresses);
        put(AddressChild::GROUP, e);
        let (e, phones) = entries::<PhoneChild>(self.phones);
        put(PhoneChild::GROUP, e);
        let (e, emails) = entries::<EmailChild>(self.emails);
        put(EmailChild::GROUP, e);
        let (e, contacts) = entries::<ContactChild>(self.contacts);
        put(ContactChild::GROUP, e);
        ext.next_id = self.next_id;
        c.addresses = addresses;
        c.phones = phones;
        c.emails = emails;
        c.contacts = contacts;
    }
}

/// The first child holding `role`.
fn first_with<K: Child>(slots: &[Slot<K::Canon>], role: Role) -> Option<&Slot<K::Canon>> {
    slots.iter().find(|s| K::role(&s.canon) == role)
}

// ---------------------------------------------------------------------------------------
// Canonical → wire.
// ---------------------------------------------------------------------------------------

/// The full Unimicro entity of a canonical customer, every relation expanded.
pub fn to_wire(c: &Customer) -> wire::Customer {
    let ext = Ext::of(c);
    let kids = Kids::load(c, &ext);
    render(c, &ext, &kids)
}

/// [`to_wire`] as JSON.
pub fn to_json(c: &Customer) -> Value {
    to_value(&to_wire(c))
}

fn render(c: &Customer, ext: &Ext, kids: &Kids) -> wire::Customer {
    let seq = c.seq.unwrap_or(0);
    let mut extra = wire::customer_template().clone();
    for (k, v) in &ext.fields {
        extra.insert(k.clone(), v.clone());
    }
    let business_relation_id = extra.remove("BusinessRelationID").unwrap_or(json!(seq));
    let currency = match (&c.finance.currency, &ext.currency) {
        (Some(code), stored) => {
            let mut entity = wire::CurrencyEntity::default();
            if let Some(s) = stored
                .as_ref()
                .filter(|s| s.get("Code").and_then(Value::as_str) == Some(code.as_str()))
            {
                entity.extra = s.clone();
                entity.extra.remove("Code");
            }
            entity.code = Patch::Value(code.clone());
            Patch::Value(wire::CurrencyCode::Entity(entity))
        }
        (None, Some(stored)) if stored.get("Code").is_none_or(Value::is_null) => {
            Patch::Value(wire::CurrencyCode::Entity(wire::CurrencyEntity {
                code: Patch::Null,
                extra: stored
                    .iter()
                    .filter(|(k, _)| *k != "Code")
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            }))
        }
        (None, _) => Patch::Null,
    };
    wire::Customer {
        id: Patch::Value(seq),
        customer_number: Patch::from_option(number_to_int(c.number.as_deref())),
        business_relation_id: Patch::Value(business_relation_id),
        org_number: Patch::from_option(c.identification(ORG).map(str::to_owned)),
        is_private: Patch::Value(c.kind == Some(CustomerKind::Person)),
        status_code: Patch::from_option(validate::status_code(c.status)),
        credit_days: Patch::from_option(c.finance.credit_days),
        currency_code: currency,
        custom_values: if c.custom.is_empty() {
            Patch::Null
        } else {
            Patch::Value(c.custom.clone())
        },
        deleted: Patch::Value(false),
        created_at: Patch::from_option(c.created_at.map(|t| json!(format_time(t)))),
        updated_at: Patch::from_option(c.updated_at.map(|t| json!(format_time(t)))),
        info: Patch::Value(render_info(c, ext, kids)),
        extra,
    }
}

fn render_info(c: &Customer, ext: &Ext, kids: &Kids) -> wire::BusinessRelation {
    let mut extra = wire::info_template().clone();
    for (k, v) in &ext.info {
        extra.insert(k.clone(), v.clone());
    }
    let id = extra.remove("ID").unwrap_or(json!(c.seq.unwrap_or(0)));
    let billing = first_with::<AddressChild>(&kids.addresses, Role::Billing);
    let shipping = first_with::<AddressChild>(&kids.addresses, Role::Shipping);
    let others: Vec<_> = kids
        .addresses
        .iter()
        .filter(|s| billing.is_none_or(|b| b.id != s.id) && shipping.is_none_or(|b| b.id != s.id))
        .map(slot_wire::<AddressChild>)
        .collect();
    let default_phone = first_with::<PhoneChild>(&kids.phones, Role::Default);
    let default_email = first_with::<EmailChild>(&kids.emails, Role::Default);
    let default_contact = first_with::<ContactChild>(&kids.contacts, Role::Default);
    let default_phone_id = default_phone.map(|s| s.id);
    let default_email_id = default_email.map(|s| s.id);
    let phones: Vec<&Slot<Phone>> = kids
        .phones
        .iter()
        .filter(|s| Some(s.id) != default_phone_id)
        .collect();
    let emails: Vec<&Slot<Email>> = kids
        .emails
        .iter()
        .filter(|s| Some(s.id) != default_email_id)
        .collect();
    wire::BusinessRelation {
        id: Patch::Value(id),
        name: Patch::from_option(c.display_name()),
        invoice_address_id: Patch::from_option(billing.map(|s| s.id)),
        shipping_address_id: Patch::from_option(shipping.map(|s| s.id)),
        default_phone_id: Patch::from_option(default_phone.map(|s| s.id)),
        default_email_id: Patch::from_option(default_email.map(|s| s.id)),
        default_contact_id: Patch::from_option(default_contact.map(|s| s.id)),
        invoice_address: Patch::from_option(billing.map(slot_wire::<AddressChild>)),
        shipping_address: Patch::from_option(shipping.map(slot_wire::<AddressChild>)),
        default_phone: Patch::from_option(default_phone.map(slot_wire::<PhoneChild>)),
        default_email: Patch::from_option(default_email.map(slot_wire::<EmailChild>)),
        default_contact: Patch::from_option(default_contact.map(slot_wire::<ContactChild>)),
        addresses: Patch::Value(others),
        phones: Patch::Value(phones.into_iter().map(slot_wire::<PhoneChild>).collect()),
        emails: Patch::Value(emails.into_iter().map(slot_wire::<EmailChild>).collect()),
        contacts: Patch::Value(
            kids.contacts
                .iter()
                .map(slot_wire::<ContactChild>)
                .collect(),
        ),
        extra,
    }
}

// ---------------------------------------------------------------------------------------
// Wire → canonical.
// ---------------------------------------------------------------------------------------

/// Applies a wire customer: onto a blank record ([`Mode::Create`], [`Mode::Import`]) or
/// onto `base`, the stored record ([`Mode::Update`]). Every rule broken is reported at
/// once, by wire path.
pub fn apply(
    base: Option<&Customer>,
    input: &wire::Customer,
    mode: Mode,
) -> Result<Customer, Error> {
    let mut c = match (mode, base) {
        (Mode::Update, Some(b)) => b.clone(),
        (Mode::Update, None) => return Err(Error::unexpected("an update needs the stored record")),
        _ => Customer::new(),
    };
    let mut ext = Ext::of(&c);
    let mut kids = Kids::load(&c, &ext);
    let shown = match mode {
        Mode::Update => render(&c, &ext, &kids),
        _ => wire::Customer::default(),
    };
    let mut next_id = kids.next_id;
    let mut errs = Errors::new();
    {
        let mut ctx = Ctx {
            mode,
            next_id: &mut next_id,
            errs: &mut errs,
        };
        apply_scalars(&mut c, &mut ext, input, &shown, &mut ctx);
        apply_extra(
            &mut ext.fields,
            &input.extra,
            None,
            wire::customer_template(),
            &wire::CUSTOMER,
            &mut ctx,
        );
        if let Patch::Value(info) = &input.info {
            let shown_info = shown.info.value().cloned().unwrap_or_default();
            apply_info(&mut c, &mut ext, &mut kids, info, &shown_info, &mut ctx);
        }
        if mode != Mode::Import {
            apply_owned(&mut ext.fields, &input.extra, &mut ctx);
        }
    }
    kids.next_id = next_id;
    kids.store(&mut c, &mut ext);
    if mode == Mode::Create && c.display_name().is_none() && c.identification(ORG).is_none() {
        errs.push("Info.Name", "a customer needs Info.Name or OrgNumber");
    }
    errs.finish()?;
    ext.store_into(&mut c);
    Ok(c)
}

fn apply_scalars(
    c: &mut Customer,
    ext: &mut Ext,
    w: &wire::Customer,
    shown: &wire::Customer,
    ctx: &mut Ctx<'_>,
) {
    let mode = ctx.mode;
    match (mode, &w.id) {
        (Mode::Import, Patch::Value(id)) => {
            c.seq = Some(*id);
            if let Ok(cid) = CustomerId::parse(&id.to_string()) {
                c.id = cid;
            }
        }
        (Mode::Create, Patch::Value(id)) if *id != 0 => ctx
            .errs
            .push("ID", "must be 0 or left out when creating a customer"),
        (Mode::Update, Patch::Value(id)) if *id != 0 && Some(*id) != c.seq => ctx.errs.push(
            "ID",
            format!("{id} is not the ID of the customer being updated"),
        ),
        _ => {}
    }
    if mode == Mode::Import {
        if let Patch::Value(v) = &w.business_relation_id {
            ext.fields.insert("BusinessRelationID".into(), v.clone());
        }
    }

    match &w.customer_number {
        Patch::Value(n) if *n < 0 => ctx.errs.push("CustomerNumber", "must not be negative"),
        Patch::Value(n)
            if *n > 0 && (mode != Mode::Update || w.customer_number != shown.customer_number) =>
        {
            c.number = Some(n.to_string());
        }
        Patch::Value(n) if *n > 0 => {}
        // 0 or null: the store assigns the next number on create; an update keeps it.
        _ if mode != Mode::Update => c.number = None,
        _ => {}
    }

    if changed(&w.org_number, &shown.org_number) {
        let org = w.org_number.value().and_then(|s| non_empty(s));
        if let Some(o) = &org {
            if o.chars().count() > 64 {
                ctx.errs.push("OrgNumber", "must be at most 64 characters");
            }
        }
        c.identifications
            .retain(|i| !i.scheme.eq_ignore_ascii_case(ORG));
        if let Some(value) = org {
            c.identifications.insert(
                0,
                Identification {
                    scheme: ORG.into(),
                    value,
                },
            );
        }
    }

    if let (Patch::Value(p), true) = (&w.is_private, changed(&w.is_private, &shown.is_private)) {
        c.kind = Some(if *p {
            CustomerKind::Person
        } else {
            CustomerKind::Company
        });
    }

    match (&w.status_code, mode) {
        (Patch::Value(code), Mode::Import) => {
            c.status = validate::status(*code).unwrap_or(Status::Active);
        }
        (Patch::Null, Mode::Import) => c.status = Status::Quote,
        (Patch::Value(code), Mode::Create) => {
            if let Some(s) = ctx.errs.check("StatusCode", validate::status(*code)) {
                c.status = s;
            }
        }
        (Patch::Value(code), Mode::Update) => {
            if let Some(s) = ctx.errs.check("StatusCode", validate::status(*code)) {
                if s != c.status {
                    ctx.errs.push(
                        "StatusCode",
                        "change the status with the activate, deactivate or block action",
                    );
                }
            }
        }
        (_, Mode::Create) => c.status = Status::Active,
        _ => {}
    }

    if changed(&w.credit_days, &shown.credit_days) {
        match &w.credit_days {
            Patch::Value(d) if !(0..=3650).contains(d) && mode != Mode::Import => {
                ctx.errs.push("CreditDays", "must be 0 to 3650")
            }
            p => c.finance.credit_days = p.value().copied(),
        }
    }

    match &w.currency_code {
        Patch::Value(cur) if changed(&w.currency_code, &shown.currency_code) => {
            let code = cur.code().and_then(non_empty);
            c.finance.currency = match code {
                Some(code) => match validate::currency(&code) {
                    Ok(code) => Some(code),
                    Err(_) if mode == Mode::Import => None,
                    Err(m) => {
                        ctx.errs.push("CurrencyCode", m);
                        None
                    }
                },
                None => None,
            };
            ext.currency = match cur {
                wire::CurrencyCode::Entity(e) if !e.extra.is_empty() => {
                    let mut m = e.extra.clone();
                    m.insert(
                        "Code".into(),
                        Patch::from_option(c.finance.currency.clone())
                            .value()
                            .map_or(Value::Null, |s| json!(s)),
                    );
                    Some(m)
                }
                _ => None,
            };
        }
        Patch::Null if mode != Mode::Update => {
            c.finance.currency = None;
            ext.currency = None;
        }
        _ => {}
    }

    if let Patch::Value(m) = &w.custom_values {
        c.custom = m.clone();
    }

    if w.deleted == Patch::Value(true) && mode != Mode::Import {
        ctx.errs.push("Deleted", "delete a customer with DELETE");
    }

    if mode == Mode::Import {
        let time = |v: &Patch<Value>| {
            v.value()
                .and_then(Value::as_str)
                .and_then(|s| parse_datetime(s).ok())
        };
        c.created_at = time(&w.created_at);
        c.updated_at = time(&w.updated_at);
    }
}

/// Stores unmodelled properties: present ones replace (objects merge on update), values
/// equal to the empty template are dropped, a `null` relation on update changes nothing.
/// The property `skip` (if any) of `input` is left out.
fn apply_extra(
    store: &mut JsonMap,
    input: &JsonMap,
    skip: Option<&str>,
    template: &JsonMap,
    level: &wire::Level,
    ctx: &mut Ctx<'_>,
) {
    let input = input.iter().filter(|(k, _)| Some(k.as_str()) != skip);
    if ctx.mode == Mode::Import {
        // What follows, with nothing to skip, check or merge. Both maps are in name order:
        // each name's template value is found by walking the template alongside (and
        // looked up when the walk does not find it, whatever the order).
        let mut walk = template.iter().peekable();
        for (k, v) in input {
            let mut empty = None;
            while let Some((t, tv)) = walk.peek() {
                match t.as_str().cmp(k.as_str()) {
                    std::cmp::Ordering::Less => {
                        walk.next();
                    }
                    std::cmp::Ordering::Equal => {
                        empty = Some(*tv);
                        break;
                    }
                    std::cmp::Ordering::Greater => break,
                }
            }
            if empty.or_else(|| template.get(k)) == Some(v) {
                store.remove(k);
            } else {
                store.insert(k.clone(), v.clone());
            }
        }
        return;
    }
    for (k, v) in input {
        if wire::OWNED.iter().any(|(o, _)| o == k)
            && ctx.mode != Mode::Import
            && level.name == "Customer"
        {
            continue;
        }
        if ctx.mode == Mode::Update && v.is_null() && level.is_relation(k) {
            continue;
        }
        if ctx.mode != Mode::Import {
            check_known(k, v, ctx);
        }
        let current = store.get(k).or_else(|| template.get(k)).cloned();
        let value = match (ctx.mode, current) {
            (Mode::Update, Some(mut cur)) if cur.is_object() && v.is_object() => {
                deep_merge(&mut cur, v);
                cur
            }
            _ => v.clone(),
        };
        if template.get(k) == Some(&value) {
            store.remove(k);
        } else {
            store.insert(k.clone(), value);
        }
    }
}

/// The rules for unmodelled properties that still have one.
fn check_known(key: &str, v: &Value, ctx: &mut Ctx<'_>) {
    match (key, v) {
        (_, Value::Null) => {}
        ("CustomerNumberKidAlias", Value::String(s)) => {
            ctx.errs.check(key, validate::kid_alias(s));
        }
        ("ReminderEmailAddress", Value::String(s)) => {
            ctx.errs.check(key, validate::email(s));
        }
        ("CustomerNumberKidAlias" | "ReminderEmailAddress", _) => {
            ctx.errs.push(key, "must be a string or null")
        }
        _ => {}
    }
}

/// The one-to-one objects the customer owns (`Dimensions`…): merged on update, given an
/// `ID` when new, and their `…ID` property kept in step.
fn apply_owned(store: &mut JsonMap, input: &JsonMap, ctx: &mut Ctx<'_>) {
    for (key, id_key) in wire::OWNED {
        let Some(v) = input.get(*key) else { continue };
        let current = store.get(*key).cloned();
        match v {
            Value::Object(_) => {
                let mut value = match (ctx.mode, current.clone()) {
                    (Mode::Update, Some(mut cur)) if cur.is_object() => {
                        deep_merge(&mut cur, v);
                        cur
                    }
                    _ => v.clone(),
                };
                let given = value.get("ID").and_then(Value::as_i64).filter(|n| *n > 0);
                let kept = current
                    .as_ref()
                    .and_then(|c| c.get("ID"))
                    .and_then(Value::as_i64)
                    .filter(|n| *n > 0);
                let id = given.or(kept).unwrap_or_else(|| ctx.alloc());
                if let Value::Object(m) = &mut value {
                    m.insert("ID".into(), json!(id));
                }
                store.insert((*key).to_owned(), value);
                store.insert((*id_key).to_owned(), json!(id));
            }
            Value::Null if ctx.mode == Mode::Update => {}
            Value::Null => {
                store.remove(*key);
            }
            _ => ctx.errs.push(*key, "must be an object or null"),
        }
    }
}

fn apply_info(
    c: &mut Customer,
    ext: &mut Ext,
    kids: &mut Kids,
    info: &wire::BusinessRelation,
    shown: &wire::BusinessRelation,
    ctx: &mut Ctx<'_>,
) {
    if changed(&info.name, &shown.name) {
        let name = info.name.value().cloned().unwrap_or_default();
        ctx.errs.check("Info.Name", validate::text(&name));
        c.name.display = non_empty(&name);
    }
    if ctx.mode == Mode::Import {
        if let Patch::Value(v) = &info.id {
            ext.info.insert("ID".into(), v.clone());
        }
    }

    let links = |ctx: &mut Ctx<'_>, kids: &mut Kids| {
        let pairs = [
            (
                &info.invoice_address_id,
                &shown.invoice_address_id,
                "Info.InvoiceAddressID",
            ),
            (
                &info.shipping_address_id,
                &shown.shipping_address_id,
                "Info.ShippingAddressID",
            ),
            (
                &info.default_phone_id,
                &shown.default_phone_id,
                "Info.DefaultPhoneID",
            ),
            (
                &info.default_email_id,
                &shown.default_email_id,
                "Info.DefaultEmailID",
            ),
            (
                &info.default_contact_id,
                &shown.default_contact_id,
                "Info.DefaultContactID",
            ),
        ];
        for (i, (n, s, path)) in pairs.into_iter().enumerate() {
            let Patch::Value(id) = n else { continue };
            if *id <= 0 || !changed(n, s) {
                continue;
            }
            match i {
                0 => link::<AddressChild>(&mut kids.addresses, *id, Role::Billing, path, ctx),
                1 => link::<AddressChild>(&mut kids.addresses, *id, Role::Shipping, path, ctx),
                2 => link::<PhoneChild>(&mut kids.phones, *id, Role::Default, path, ctx),
                3 => link::<EmailChild>(&mut kids.emails, *id, Role::Default, path, ctx),
                _ => link::<ContactChild>(&mut kids.contacts, *id, Role::Default, path, ctx),
            }
        }
    };
    let singles = |ctx: &mut Ctx<'_>, kids: &mut Kids| {
        if let Patch::Value(a) = &info.invoice_address {
            upsert::<AddressChild>(
                &mut kids.addresses,
                a,
                Role::Billing,
                "Info.InvoiceAddress",
                ctx,
            );
        }
        if let Patch::Value(a) = &info.shipping_address {
            upsert::<AddressChild>(
                &mut kids.addresses,
                a,
                Role::Shipping,
                "Info.ShippingAddress",
                ctx,
            );
        }
        if let Patch::Value(p) = &info.default_phone {
            upsert::<PhoneChild>(&mut kids.phones, p, Role::Default, "Info.DefaultPhone", ctx);
        }
        if let Patch::Value(e) = &info.default_email {
            upsert::<EmailChild>(&mut kids.emails, e, Role::Default, "Info.DefaultEmail", ctx);
        }
        if let Patch::Value(k) = &info.default_contact {
            upsert::<ContactChild>(
                &mut kids.contacts,
                k,
                Role::Default,
                "Info.DefaultContact",
                ctx,
            );
        }
    };
    let arrays = |ctx: &mut Ctx<'_>, kids: &mut Kids| {
        if let Patch::Value(items) = &info.addresses {
            for (i, a) in items.iter().enumerate() {
                upsert::<AddressChild>(
                    &mut kids.addresses,
                    a,
                    Role::Plain,
                    &format!("Info.Addresses[{i}]"),
                    ctx,
                );
            }
        }
        if let Patch::Value(items) = &info.phones {
            for (i, p) in items.iter().enumerate() {
                upsert::<PhoneChild>(
                    &mut kids.phones,
                    p,
                    Role::Plain,
                    &format!("Info.Phones[{i}]"),
                    ctx,
                );
            }
        }
        if let Patch::Value(items) = &info.emails {
            for (i, e) in items.iter().enumerate() {
                upsert::<EmailChild>(
                    &mut kids.emails,
                    e,
                    Role::Plain,
                    &format!("Info.Emails[{i}]"),
                    ctx,
                );
            }
        }
        if let Patch::Value(items) = &info.contacts {
            for (i, k) in items.iter().enumerate() {
                upsert::<ContactChild>(
                    &mut kids.contacts,
                    k,
                    Role::Plain,
                    &format!("Info.Contacts[{i}]"),
                    ctx,
                );
            }
        }
    };
    if ctx.mode == Mode::Import {
        // An upstream may list the default children in the arrays too: the same ID is the
        // same child. The links come last, naming children read above.
        singles(ctx, kids);
        arrays(ctx, kids);
        links(ctx, kids);
    } else {
        links(ctx, kids);
        singles(ctx, kids);
        arrays(ctx, kids);
    }

    apply_extra(
        &mut ext.info,
        &info.extra,
        Some("ID"),
        wire::info_template(),
        &wire::INFO,
        ctx,
    );
}

// ---------------------------------------------------------------------------------------
// Import: a record read from an upstream, in one go.
// ---------------------------------------------------------------------------------------

/// A record read from an upstream Unimicro → canonical: what [`apply`]`(None, w,
/// Mode::Import)` gives, made without what an import never needs (a stored record to load
/// and render, JSON values of each child to compare). The client's read path; the tests
/// hold it to [`apply`] for every reading of every answer they make.
///
/// A record without an `ID` gets a generated id, as from [`apply`] (another one, as from
/// every call).
pub fn import(w: &wire::Customer) -> Result<Customer, Error> {
    let mut c = Customer {
        id: match &w.id {
            Patch::Value(n) => id_of(*n).unwrap_or_else(CustomerId::generate),
            _ => CustomerId::generate(),
        },
        ..Customer::default()
    };
    let mut ext = Ext::default();
    let mut kids = Kids {
        addresses: Vec::new(),
        phones: Vec::new(),
        emails: Vec::new(),
        contacts: Vec::new(),
        next_id: 1,
    };
    let mut next_id = kids.next_id;
    let mut errs = Errors::new();
    {
        let mut ctx = Ctx {
            mode: Mode::Import,
            next_id: &mut next_id,
            errs: &mut errs,
        };
        import_scalars(&mut c, &mut ext, w, &mut ctx);
        apply_extra(
            &mut ext.fields,
            &w.extra,
            None,
            wire::customer_template(),
            &wire::CUSTOMER,
            &mut ctx,
        );
        if let Patch::Value(info) = &w.info {
            import_info(&mut c, &mut ext, &mut kids, info, &mut ctx);
        }
    }
    kids.next_id = next_id;
    kids.store(&mut c, &mut ext);
    errs.finish()?;
    ext.store_into(&mut c);
    Ok(c)
}

/// The customer id of an upstream's `ID` (`"42"`), spelt without an allocation between.
fn id_of(n: i64) -> Option<CustomerId> {
    use std::io::Write;
    let mut buf = [0u8; 24];
    let mut cursor = std::io::Cursor::new(&mut buf[..]);
    write!(cursor, "{n}").ok()?;
    let len = usize::try_from(cursor.position()).ok()?;
    CustomerId::parse(std::str::from_utf8(&buf[..len]).ok()?).ok()
}

/// [`apply_scalars`] in [`Mode::Import`] onto a blank record (nothing is shown, so every
/// property given counts as changed).
fn import_scalars(c: &mut Customer, ext: &mut Ext, w: &wire::Customer, ctx: &mut Ctx<'_>) {
    if let Patch::Value(id) = &w.id {
        c.seq = Some(*id);
    }
    if let Patch::Value(v) = &w.business_relation_id {
        ext.fields.insert("BusinessRelationID".into(), v.clone());
    }
    match &w.customer_number {
        Patch::Value(n) if *n < 0 => ctx.errs.push("CustomerNumber", "must not be negative"),
        Patch::Value(n) if *n > 0 => c.number = Some(n.to_string()),
        _ => c.number = None,
    }
    if w.org_number.is_present() {
        let org = w.org_number.value().and_then(|s| non_empty(s));
        if let Some(o) = &org {
            if o.chars().count() > 64 {
                ctx.errs.push("OrgNumber", "must be at most 64 characters");
            }
        }
        c.identifications
            .retain(|i| !i.scheme.eq_ignore_ascii_case(ORG));
        if let Some(value) = org {
            c.identifications.insert(
                0,
                Identification {
                    scheme: ORG.into(),
                    value,
                },
            );
        }
    }
    if let Patch::Value(p) = &w.is_private {
        c.kind = Some(if *p {
            CustomerKind::Person
        } else {
            CustomerKind::Company
        });
    }
    match &w.status_code {
        Patch::Value(code) => c.status = validate::status(*code).unwrap_or(Status::Active),
        Patch::Null => c.status = Status::Quote,
        Patch::Absent => {}
    }
    if w.credit_days.is_present() {
        c.finance.credit_days = w.credit_days.value().copied();
    }
    match &w.currency_code {
        Patch::Value(cur) => {
            c.finance.currency = cur
                .code()
                .and_then(non_empty)
                .and_then(|code| validate::currency(&code).ok());
            ext.currency = match cur {
                wire::CurrencyCode::Entity(e) if !e.extra.is_empty() => {
                    let mut m = e.extra.clone();
                    m.insert(
                        "Code".into(),
                        c.finance
                            .currency
                            .clone()
                            .map_or(Value::Null, Value::String),
                    );
                    Some(m)
                }
                _ => None,
            };
        }
        Patch::Null => {
            c.finance.currency = None;
            ext.currency = None;
        }
        Patch::Absent => {}
    }
    if let Patch::Value(m) = &w.custom_values {
        c.custom = m.clone();
    }
    let time = |s: Option<&str>| s.and_then(|s| parse_datetime(s).ok());
    let created = w.created_at.value().and_then(Value::as_str);
    let updated = w.updated_at.value().and_then(Value::as_str);
    c.created_at = time(created);
    // Usually the same text: read once.
    c.updated_at = if updated.is_some() && updated == created {
        c.created_at
    } else {
        time(updated)
    };
}

/// [`apply_info`] in [`Mode::Import`] onto a blank record.
fn import_info(
    c: &mut Customer,
    ext: &mut Ext,
    kids: &mut Kids,
    info: &wire::BusinessRelation,
    ctx: &mut Ctx<'_>,
) {
    if info.name.is_present() {
        let name = info.name.value().map_or("", String::as_str);
        ctx.errs.check("Info.Name", validate::text(name));
        c.name.display = non_empty(name);
    }
    if let Patch::Value(v) = &info.id {
        ext.info.insert("ID".into(), v.clone());
    }
    // The default children, then the arrays (an upstream may list a default child there
    // too: the same ID is the same child), then the links naming children read above.
    if let Patch::Value(a) = &info.invoice_address {
        upsert_import::<AddressChild>(
            &mut kids.addresses,
            a,
            Role::Billing,
            &"Info.InvoiceAddress",
            ctx,
        );
    }
    if let Patch::Value(a) = &info.shipping_address {
        upsert_import::<AddressChild>(
            &mut kids.addresses,
            a,
            Role::Shipping,
            &"Info.ShippingAddress",
            ctx,
        );
    }
    if let Patch::Value(p) = &info.default_phone {
        upsert_import::<PhoneChild>(
            &mut kids.phones,
            p,
            Role::Default,
            &"Info.DefaultPhone",
            ctx,
        );
    }
    if let Patch::Value(e) = &info.default_email {
        upsert_import::<EmailChild>(
            &mut kids.emails,
            e,
            Role::Default,
            &"Info.DefaultEmail",
            ctx,
        );
    }
    if let Patch::Value(k) = &info.default_contact {
        upsert_import::<ContactChild>(
            &mut kids.contacts,
            k,
            Role::Default,
            &"Info.DefaultContact",
            ctx,
        );
    }
    if let Patch::Value(items) = &info.addresses {
        for (i, a) in items.iter().enumerate() {
            upsert_import::<AddressChild>(
                &mut kids.addresses,
                a,
                Role::Plain,
                &format_args!("Info.Addresses[{i}]"),
                ctx,
            );
        }
    }
    if let Patch::Value(items) = &info.phones {
        for (i, p) in items.iter().enumerate() {
            upsert_import::<PhoneChild>(
                &mut kids.phones,
                p,
                Role::Plain,
                &format_args!("Info.Phones[{i}]"),
                ctx,
            );
        }
    }
    if let Patch::Value(items) = &info.emails {
        for (i, e) in items.iter().enumerate() {
            upsert_import::<EmailChild>(
                &mut kids.emails,
                e,
                Role::Plain,
                &format_args!("Info.Emails[{i}]"),
                ctx,
            );
        }
    }
    if let Patch::Value(items) = &info.contacts {
        for (i, k) in items.iter().enumerate() {
            upsert_import::<ContactChild>(
                &mut kids.contacts,
                k,
                Role::Plain,
                &format_args!("Info.Contacts[{i}]"),
                ctx,
            );
        }
    }
    // A link naming no child read is ignored on import.
    let link_id = |p: &Patch<i64>| p.value().copied().filter(|id| *id > 0);
    if let Some(id) = link_id(&info.invoice_address_id) {
        link::<AddressChild>(&mut kids.addresses, id, Role::Billing, "", ctx);
    }
    if let Some(id) = link_id(&info.shipping_address_id) {
        link::<AddressChild>(&mut kids.addresses, id, Role::Shipping, "", ctx);
    }
    if let Some(id) = link_id(&info.default_phone_id) {
        link::<PhoneChild>(&mut kids.phones, id, Role::Default, "", ctx);
    }
    if let Some(id) = link_id(&info.default_email_id) {
        link::<EmailChild>(&mut kids.emails, id, Role::Default, "", ctx);
    }
    if let Some(id) = link_id(&info.default_contact_id) {
        link::<ContactChild>(&mut kids.contacts, id, Role::Default, "", ctx);
    }
    apply_extra(
        &mut ext.info,
        &info.extra,
        Some("ID"),
        wire::info_template(),
        &wire::INFO,
        ctx,
    );
}

/// [`upsert`] in [`Mode::Import`]: a child not read before (each child once, the usual
/// case) is read onto a blank one and its bookkeeping made from its wire form
/// ([`Child::added`]); any other (given again by `ID`, deleted, a negative `ID`) goes
/// through [`upsert`].
fn upsert_import<K: Child>(
    slots: &mut Vec<Slot<K::Canon>>,
    item: &K::Wire,
    role: Role,
    path: &dyn fmt::Display,
    ctx: &mut Ctx<'_>,
) {
    let id = match K::id(item) {
        Patch::Value(n) if *n > 0 => Some(*n),
        Patch::Value(n) if *n < 0 => {
            upsert::<K>(slots, item, role, &path.to_string(), ctx);
            return;
        }
        _ => None,
    };
    if K::deleted(item) || id.is_some_and(|id| slots.iter().any(|s| s.id == id)) {
        upsert::<K>(slots, item, role, &path.to_string(), ctx);
        return;
    }
    let mut canon = K::read(item, &K::blank(), &K::Wire::default(), true, path, ctx);
    K::set_role(&mut canon, Role::Plain);
    let over = K::added(item, &canon);
    push_new::<K>(slots, id, canon, over, role, ctx);
}

/// What `c` looks like once the upstream client (`Client`, feature `client`) has created
/// it in an upstream Unimicro and read it back: [`create_body`] (the body the client
/// posts) read the way the client reads the upstream's answer ([`parse_customer`], then
/// [`import`]), assuming the upstream stores what it is sent. An update
/// sends the same rendering ([`to_json`]), so it carries the same fields. The fields the
/// upstream assigns (`id`, `seq`, `version`, timestamps) are `c`'s own (see
/// [`keep_assigned`]); so are the child and relation `ID`s the extension keeps, which an
/// upstream assigns afresh.
pub fn carried(c: &Customer) -> Customer {
    let read = parse_customer(create_body(c), "").and_then(|w| import(&w));
    // The client's own reader failing on the client's own body would be a bug; nothing is
    // carried then.
    let mut kept = read.unwrap_or_default();
    keep_assigned(c, &mut kept);
    keep_assigned_ids(c, &mut kept);
    kept
}

/// Gives `kept` the ids `sent`'s extension holds that an upstream assigns afresh: each
/// child's `ID` as `sent` shows it (matched by the child's fingerprint; a child edited in
/// place elsewhere keeps its id, see [`load`]), the `ID`s of the owned relation objects and
/// their links (`Dimensions.ID`, `DimensionsID`…), `BusinessRelationID`, `Info.ID` (or its
/// absence), and a `next_id` past all of them.
fn keep_assigned_ids(sent: &Customer, kept: &mut Customer) {
    let mut from = Ext::of(sent);
    Kids::load(sent, &from).store(&mut sent.clone(), &mut from);
    let mut to = Ext::of(kept);
    for (group, entries) in &mut to.children {
        let Some(given) = from.children.get(group) else {
            continue;
        };
        let mut used = vec![false; given.len()];
        for e in entries.iter_mut() {
            if let Some(i) = (0..given.len()).find(|&i| !used[i] && given[i].fp == e.fp) {
                used[i] = true;
                e.id = given[i].id;
            }
        }
    }
    for (key, id_key) in wire::OWNED {
        let id = from.fields.get(*key).and_then(|o| o.get("ID")).cloned();
        if let (Some(id), Some(Value::Object(o))) = (id, to.fields.get_mut(*key)) {
            o.insert("ID".into(), id);
            if let Some(link) = from.fields.get(*id_key) {
                to.fields.insert((*id_key).to_owned(), link.clone());
            }
        }
    }
    if let Some(v) = from.fields.get("BusinessRelationID") {
        to.fields.insert("BusinessRelationID".into(), v.clone());
    }
    match from.info.get("ID") {
        Some(v) => {
            to.info.insert("ID".into(), v.clone());
        }
        None => {
            to.info.remove("ID");
        }
    }
    to.next_id = to.next_id.max(from.next_id);
    to.store_into(kept);
}

/// `c` without what the odata front assigns rather than its client sends, for naming what
/// an upstream lost ([`custgate_core::diff::dropped_fields`]): in its extension, each
/// child's `ID` and fingerprint, the `ID`s of the owned relation objects and their links,
/// `BusinessRelationID`, `Info.ID` and `next_id` (what [`carried`] gives back as
/// [`keep_assigned_ids`] says). An upstream of another dialect keeps none of them, and the
/// odata front hands children ids out afresh when it reads the record back. What is left
/// of a child's entry (properties as typed, `over`) is the client's and still counts; the
/// entries left empty are taken out, so such a path names the child by its place among
/// the ones left. An extension that does not read as the odata front writes it is left
/// whole: all of it counts.
pub fn without_assigned_ids(c: &Customer) -> Customer {
    let mut c = c.clone();
    let Some(ext) = c.extensions.get_mut(DIALECT) else {
        return c;
    };
    if serde_json::from_value::<Ext>(Value::Object(ext.clone())).is_err() {
        return c;
    }
    ext.remove("next_id");
    if let Some(Value::Object(groups)) = ext.get_mut("children") {
        for entries in groups.values_mut() {
            if let Value::Array(items) = entries {
                for item in items.iter_mut() {
                    if let Value::Object(m) = item {
                        m.remove("ID");
                        m.remove("fp");
                    }
                }
                items.retain(|item| item.as_object().is_none_or(|m| !m.is_empty()));
            }
        }
        groups.retain(|_, entries| entries.as_array().is_none_or(|a| !a.is_empty()));
    }
    if let Some(Value::Object(fields)) = ext.get_mut("fields") {
        fields.remove("BusinessRelationID");
        for (key, link) in wire::OWNED {
            fields.remove(*link);
            if let Some(Value::Object(owned)) = fields.get_mut(*key) {
                owned.remove("ID");
                if owned.is_empty() {
                    fields.remove(*key);
                }
            }
        }
    }
    if let Some(Value::Object(info)) = ext.get_mut("info") {
        info.remove("ID");
    }
    for key in ["children", "fields", "info"] {
        if ext
            .get(key)
            .is_some_and(|v| v.as_object().is_some_and(|m| m.is_empty()))
        {
            ext.remove(key);
        }
    }
    if ext.is_empty() {
        c.extensions.remove(DIALECT);
    }
    c
}

/// Parses a request body (any property-name casing) into the wire type.
///
/// One pass over the body reads it ([`wire::customer_any_case`]). A body that does not
/// read is looked at again to say why, as it always has been: names given twice with
/// different casing first (the first one found, in name order, down through the model),
/// then the first property (in the order of the model's names) whose value does not
/// parse.
pub fn parse_customer(mut value: Value, path: &str) -> Result<wire::Customer, Error> {
    if !value.is_object() {
        return Err(Error::validation_field(path, "must be a customer object"));
    }
    if let Ok(w) = wire::customer_any_case(&value) {
        return Ok(w);
    }
    wire::normalize_keys(&mut value, &wire::CUSTOMER, "").map_err(|clash| {
        Error::validation_field(
            join_path(path, &clash.path),
            "is given twice with different casing",
        )
    })?;
    match wire::Customer::deserialize(&value) {
        Ok(w) => Ok(w),
        Err(e) => {
            // The error does not say where it is: find the property.
            let at = locate::<wire::Customer>(&value, &CUSTOMER_PARTS).unwrap_or_default();
            Err(Error::validation_field(
                join_path(path, &at),
                format!("{e}"),
            ))
        }
    }
}

/// Reads JSON `bytes` with `$read` (a reader of the `wire` module), to their end: through
/// a `&str` when they are UTF-8 (checked at once rather than string by string), else
/// through the bytes (which says where they are not, as it always has).
macro_rules! read_json {
    ($bytes:expr, $read:path) => {
        match std::str::from_utf8($bytes) {
            Ok(text) => {
                let mut de = serde_json::Deserializer::from_str(text);
                let read = $read(&mut de)?;
                de.end()?;
                Ok(read)
            }
            Err(_) => {
                let mut de = serde_json::Deserializer::from_slice($bytes);
                let read = $read(&mut de)?;
                de.end()?;
                Ok(read)
            }
        }
    };
}

/// Reads one customer of an upstream's answer straight from its bytes, in one pass:
/// what [`parse_customer`] reads from the same JSON when it reads it. An answer that does
/// not read is read again through [`parse_customer`] for the error (the caller's to do:
/// it knows how the answer's JSON errors are told).
pub fn read_customer(bytes: &[u8]) -> Result<wire::Customer, serde_json::Error> {
    read_json!(bytes, wire::customer_any_case)
}

/// [`read_customer`] for a list answer (a JSON array of customers).
pub fn read_customers(bytes: &[u8]) -> Result<Vec<wire::Customer>, serde_json::Error> {
    read_json!(bytes, wire::customers_any_case)
}

/// [`read_customer`] for an import ([`apply`] in [`Mode::Import`]): the unmodelled
/// properties the import drops (equal to their empty value) are left out while reading.
/// `apply(None, &w, Mode::Import)` gives what it gives on [`read_customer`]'s reading.
pub fn read_customer_for_import(bytes: &[u8]) -> Result<wire::Customer, serde_json::Error> {
    read_json!(bytes, wire::customer_for_import)
}

/// [`read_customer_for_import`] for a list answer.
pub fn read_customers_for_import(bytes: &[u8]) -> Result<Vec<wire::Customer>, serde_json::Error> {
    read_json!(bytes, wire::customers_for_import)
}

/// [`read_customer_for_import`] of an answer nested at most `max_depth` deep (objects
/// and arrays, as [`custgate_core::json::nesting_depth`] counts them): `None` for one
/// that does not read or nests deeper. The depth is found while reading rather than by a
/// pass of its own (the reader of an answer that nests deeper is stopped by serde_json's
/// own limit, or reads it, and the answer is refused then).
pub fn read_customer_for_import_within(bytes: &[u8], max_depth: usize) -> Option<wire::Customer> {
    let (read, depth) = wire::reading_depth(|| read_customer_for_import(bytes));
    read.ok().filter(|_| depth <= max_depth)
}

/// [`read_customer_for_import_within`] for a list answer.
pub fn read_customers_for_import_within(
    bytes: &[u8],
    max_depth: usize,
) -> Option<Vec<wire::Customer>> {
    let (read, depth) = wire::reading_depth(|| read_customers_for_import(bytes));
    read.ok().filter(|_| depth <= max_depth)
}

/// How to look inside a property when searching for the one that does not parse.
enum Part {
    Info,
    Address,
    Phone,
    Email,
    Contact,
    ContactInfo,
}

const CUSTOMER_PARTS: [(&str, Part); 1] = [("Info", Part::Info)];
const INFO_PARTS: [(&str, Part); 9] = [
    ("InvoiceAddress", Part::Address),
    ("ShippingAddress", Part::Address),
    ("Addresses", Part::Address),
    ("DefaultPhone", Part::Phone),
    ("Phones", Part::Phone),
    ("DefaultEmail", Part::Email),
    ("Emails", Part::Email),
    ("DefaultContact", Part::Contact),
    ("Contacts", Part::Contact),
];
const CONTACT_PARTS: [(&str, Part); 1] = [("Info", Part::ContactInfo)];
const CONTACT_INFO_PARTS: [(&str, Part); 2] =
    [("DefaultEmail", Part::Email), ("DefaultPhone", Part::Phone)];

/// The path of the first property of `value` that does not parse as part of `T`.
fn locate<T: DeserializeOwned>(value: &Value, parts: &[(&str, Part)]) -> Option<String> {
    let Value::Object(m) = value else { return None };
    for (k, v) in m {
        let single = Value::Object(std::iter::once((k.clone(), v.clone())).collect());
        if serde_json::from_value::<T>(single).is_ok() {
            continue;
        }
        let inner = parts
            .iter()
            .find(|(name, _)| name == k)
            .and_then(|(_, part)| match v {
                Value::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
                    locate_part(part, item).map(|p| {
                        if p.is_empty() {
                            format!("[{i}]")
                        } else {
                            format!("[{i}].{p}")
                        }
                    })
                }),
                other => locate_part(part, other),
            });
        return Some(match inner.as_deref() {
            None | Some("") => k.clone(),
            Some(p) if p.starts_with('[') => format!("{k}{p}"),
            Some(p) => format!("{k}.{p}"),
        });
    }
    None
}

/// Where inside one value of a modelled type parsing fails (`""`: the value itself).
fn locate_part(part: &Part, v: &Value) -> Option<String> {
    let found = match part {
        Part::Info => locate::<wire::BusinessRelation>(v, &INFO_PARTS),
        Part::Address => locate::<wire::Address>(v, &[]),
        Part::Phone => locate::<wire::Phone>(v, &[]),
        Part::Email => locate::<wire::Email>(v, &[]),
        Part::Contact => locate::<wire::Contact>(v, &CONTACT_PARTS),
        Part::ContactInfo => locate::<wire::ContactInfo>(v, &CONTACT_INFO_PARTS),
    };
    found.or_else(|| (!v.is_object()).then(String::new))
}

pub(crate) fn join_path(prefix: &str, path: &str) -> String {
    match (prefix.is_empty(), path.is_empty()) {
        (true, _) => path.to_owned(),
        (_, true) => prefix.to_owned(),
        _ => format!("{prefix}.{path}"),
    }
}

/// The default contact is also one of the contacts (`Info.Contacts`): an upstream is sent
/// it once, as the default.
pub(crate) fn send_default_contact_once(info: &mut JsonMap) {
    if let Some(default_id) = info.get("DefaultContactID").and_then(Value::as_i64) {
        if let Some(Value::Array(contacts)) = info.get_mut("Contacts") {
            contacts.retain(|k| k.get("ID").and_then(Value::as_i64) != Some(default_id));
        }
    }
}

/// The body to send an upstream Unimicro to create `c`: the full entity with every id
/// zeroed (the upstream assigns them) and the server-managed properties left out.
pub fn create_body(c: &Customer) -> Value {
    let mut v = to_json(c);
    if let Value::Object(m) = &mut v {
        for k in [
            "ID",
            "BusinessRelationID",
            "CreatedAt",
            "UpdatedAt",
            "Deleted",
        ] {
            m.remove(k);
        }
        if m.get("CustomerNumber").is_some_and(Value::is_null) {
            m.insert("CustomerNumber".into(), json!(0));
        }
        if let Some(Value::Object(info)) = m.get_mut("Info") {
            info.insert("ID".into(), json!(0));
            send_default_contact_once(info);
            for (obj, link) in wire::LINKS {
                info.insert((*link).to_owned(), Value::Null);
                if let Some(Value::Object(child)) = info.get_mut(*obj) {
                    child.insert("ID".into(), json!(0));
                }
            }
            for k in ["Addresses", "Phones", "Emails", "Contacts"] {
                if let Some(Value::Array(items)) = info.get_mut(k) {
                    for item in items {
                        if let Value::Object(child) = item {
                            child.insert("ID".into(), json!(0));
                        }
                    }
                }
            }
        }
        for (key, id_key) in wire::OWNED {
            if let Some(Value::Object(o)) = m.get_mut(*key) {
                o.insert("ID".into(), json!(0));
                m.insert((*id_key).to_owned(), Value::Null);
            }
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use custgate_core::PhoneKind;

    fn parse(v: Value) -> wire::Customer {
        parse_customer(v, "").unwrap()
    }

    #[test]
    fn reading_for_import_imports_the_same() {
        let import = |w: &wire::Customer| apply(None, w, Mode::Import).ok();
        let check = |text: &str| {
            let full = read_customer(text.as_bytes()).map_err(|e| e.to_string());
            let lean = read_customer_for_import(text.as_bytes()).map_err(|e| e.to_string());
            assert_eq!(
                full.as_ref().map(import).ok(),
                lean.as_ref().map(import).ok(),
                "{text}"
            );
            assert_eq!(full.err(), lean.err(), "{text}");
            let list = format!("[{text},{text}]");
            let full = read_customers(list.as_bytes()).ok();
            let lean = read_customers_for_import(list.as_bytes()).ok();
            let all = |l: Option<Vec<wire::Customer>>| {
                l.map(|l| l.iter().map(import).collect::<Vec<_>>())
            };
            assert_eq!(all(full), all(lean), "{list}");
        };
        let answer = custgate_testkit::fixtures::seed_text(
            env!("CARGO_MANIFEST_DIR"),
            "upstream_answer.json",
        );
        let one = answer.trim().trim_start_matches('[').trim_end_matches(']');
        check(one);
        for text in [
            r#"{"ID":1,"AvtaleGiro":true,"AvtaleGiro":false}"#,
            r#"{"ID":1,"AvtaleGiro":false,"AvtaleGiro":true}"#,
            r#"{"ID":1,"AvtaleGiro":true,"AvtaleGiro":false,"AvtaleGiro":true}"#,
            r#"{"ID":1,"AvtaleGiro":false,"avtalegiro":true}"#,
            r#"{"ID":1,"avtalegiro":false,"Sellers":[],"sellers":[]}"#,
            r#"{"ID":1,"CustomerQuotes":[],"Sellers":[1],"AcceptableDelta4CustomerPayment":0.0}"#,
            r#"{"ID":1,"Unknown":null,"GLN":"","WebUrl":null,"webUrl":null}"#,
            r#"{"ID":1,"Info":{"Deleted":false,"Deleted":true,"CreatedBy":null,"StatusCode":0}}"#,
            r#"{"ID":1,"Info":{"ID":5,"deleted":false,"DefaultBankAccountID":null,"BankAccounts":[]}}"#,
            r#"{"ID":1,"Info":{"Contacts":[{"Info":{"Name":"x","CreatedBy":null}}]}}"#,
            r#"{"ID":1,"AvtaleGiro":nul}"#,
        ] {
            check(text);
        }
    }

    #[test]
    fn without_assigned_ids_keeps_the_clients_data_only() {
        use custgate_core::diff::dropped_fields;
        let dir = env!("CARGO_MANIFEST_DIR");
        let seed = custgate_testkit::fixtures::seed_json(dir, "appendix_a.json");
        let mut c = apply(None, &parse(seed), Mode::Create).unwrap();
        c.seq = Some(42);
        let ext = c.extension(DIALECT).unwrap().clone();
        assert!(
            ext.contains_key("next_id") && ext.contains_key("children"),
            "{ext:?}"
        );

        let sent = without_assigned_ids(&c);
        let left = sent.extension(DIALECT).cloned().unwrap_or_default();
        assert!(!left.contains_key("next_id"), "{left:?}");
        for entries in left["children"].as_object().unwrap().values() {
            for e in entries.as_array().unwrap() {
                assert!(e.get("ID").is_none() && e.get("fp").is_none(), "{e}");
            }
        }
        assert!(left["fields"].get("BusinessRelationID").is_none());
        assert!(left.get("info").is_none_or(|i| i.get("ID").is_none()));
        for (owned, link) in wire::OWNED {
            assert!(left["fields"].get(*link).is_none(), "{link}");
            assert!(left["fields"][*owned].get("ID").is_none(), "{owned}.ID");
        }
        // The unmodelled properties the client sent are all still there, references to
        // other entities (`DefaultSeller.ID`) included.
        let fields = ext["fields"].as_object().unwrap();
        let assigned = |key: &str| {
            key == "BusinessRelationID" || wire::OWNED.iter().any(|(_, link)| *link == key)
        };
        for (key, value) in fields {
            if assigned(key) {
                continue;
            }
            let owned = wire::OWNED.iter().any(|(o, _)| *o == key);
            match value {
                Value::Object(o) => {
                    for (k, v) in o.iter().filter(|(k, _)| !owned || k.as_str() != "ID") {
                        assert_eq!(left["fields"][key][k], *v, "fields.{key}.{k}");
                    }
                }
                v => assert_eq!(left["fields"][key], *v, "fields.{key}"),
            }
        }
        // The rest of the record is untouched.
        let mut without_ext = c.clone();
        without_ext.extensions.remove(DIALECT);
        let mut sent_without_ext = sent.clone();
        sent_without_ext.extensions.remove(DIALECT);
        assert_eq!(sent_without_ext, without_ext);

        // An odata upstream keeps those ids: what it loses is what it lost before.
        assert!(dropped_fields(&c, &carried(&c)).is_empty());
        assert!(dropped_fields(&sent, &carried(&c)).is_empty());
        // An upstream keeping no odata extension loses the client's data only.
        let mut elsewhere = c.clone();
        elsewhere.extensions.remove(DIALECT);
        let lost = dropped_fields(&sent, &elsewhere);
        assert!(!lost.is_empty());
        assert!(
            lost.iter().all(|p| [
                "next_id",
                ".fp",
                "BusinessRelationID",
                "DimensionsID",
                "info.ID"
            ]
            .iter()
            .all(|assigned| !p.contains(assigned))),
            "{lost:?}"
        );

        // A record the odata front never wrote, and an extension it would not write.
        let plain = Customer::new();
        assert_eq!(without_assigned_ids(&plain), plain);
        let mut odd = Customer::new();
        odd.extensions.insert(
            DIALECT.into(),
            json!({"next_id": "seven", "children": 1})
                .as_object()
                .unwrap()
                .clone(),
        );
        assert_eq!(without_assigned_ids(&odd), odd);
        // Ids alone leave nothing behind.
        let mut ids_only = Customer::new();
        ids_only.extensions.insert(
            DIALECT.into(),
            json!({"next_id": 3, "children": {"Emails": [{"ID": 1, "fp": "ab"}]}, "info": {"ID": 4}})
                .as_object()
                .unwrap()
                .clone(),
        );
        assert!(without_assigned_ids(&ids_only).extensions.is_empty());
        // A child's properties as typed stay, with the entry's ids gone.
        let mut over = ids_only.clone();
        over.extensions.get_mut(DIALECT).unwrap()["children"]["Emails"][0]["over"] =
            json!({"_createguid": "g"});
        assert_eq!(
            Value::Object(
                without_assigned_ids(&over)
                    .extension(DIALECT)
                    .unwrap()
                    .clone()
            ),
            json!({"children": {"Emails": [{"over": {"_createguid": "g"}}]}})
        );
    }

    /// `import` gives what `apply` gives in `Mode::Import` (the generated id of a record
    /// without an `ID` aside).
    fn check_import(v: &Value) {
        let Ok(w) = parse_customer(v.clone(), "") else {
            return;
        };
        let old = apply(None, &w, Mode::Import);
        let mut new = import(&w);
        if let (Ok(o), Ok(n)) = (&old, &mut new) {
            if !matches!(w.id, Patch::Value(_)) {
                n.id = o.id.clone();
            }
        }
        assert_eq!(new, old, "{v}");
    }

    #[test]
    fn import_is_apply_in_import_mode() {
        let dir = env!("CARGO_MANIFEST_DIR");
        let seed = custgate_testkit::fixtures::seed_json(dir, "appendix_a.json");
        let answer = custgate_testkit::fixtures::seed_json(dir, "upstream_answer.json");
        let mut saved = apply(None, &parse(seed.clone()), Mode::Create).unwrap();
        saved.seq = Some(42);
        saved.number = Some("42".into());
        for v in [seed, answer[0].clone(), to_json(&saved)] {
            check_import(&v);
        }
        let phone = |id: i64| json!({"ID": id, "Type": 150101, "Number": "1", "CountryCode": "47"});
        for v in [
            json!({}),
            json!({"ID": 0}),
            json!({"ID": -4, "CustomerNumber": -1, "OrgNumber": "x".repeat(65)}),
            json!({"ID": 9223372036854775807i64, "CustomerNumber": 0, "OrgNumber": "  "}),
            json!({"ID": 1, "CustomerNumber": null, "StatusCode": null, "CreditDays": null}),
            json!({"ID": 1, "StatusCode": 12, "CreditDays": 9999, "IsPrivate": true}),
            json!({"ID": 1, "CurrencyCode": "nok"}),
            json!({"ID": 1, "CurrencyCode": "XX"}),
            json!({"ID": 1, "CurrencyCode": null}),
            json!({"ID": 1, "CurrencyCode": {"Code": "NOK", "ShortCode": "kr", "ID": 3}}),
            json!({"ID": 1, "CurrencyCode": {"Code": null, "ShortCode": "kr"}}),
            json!({"ID": 1, "CurrencyCode": {"Code": "NOK"}}),
            json!({"ID": 1, "CreatedAt": "2020-01-02T03:04:05.6Z", "UpdatedAt": "2020-01-02T03:04:05.6Z"}),
            json!({"ID": 1, "CreatedAt": "2020-01-02", "UpdatedAt": "x"}),
            json!({"ID": 1, "CreatedAt": "x", "UpdatedAt": "x"}),
            json!({"ID": 1, "CreatedAt": 5, "UpdatedAt": null}),
            json!({"ID": 1, "BusinessRelationID": "7", "CustomValues": {"a": 1}, "GLN": "1", "DontSendReminders": false}),
            json!({"ID": 1, "Info": {"ID": 7, "Name": "\u{1}", "BankAccounts": [], "StatusCode": 3}}),
            json!({"ID": 1, "Info": {"Name": "a", "Phones": [phone(5), phone(5), phone(-1), {"ID": 6, "Deleted": true}]}}),
            json!({"ID": 1, "Info": {"DefaultPhone": phone(5), "Phones": [phone(5), phone(6)], "DefaultPhoneID": 6}}),
            json!({"ID": 1, "Info": {"DefaultPhone": phone(5), "Phones": [{"ID": 5, "Deleted": true}, phone(0), phone(0)]}}),
            json!({"ID": 1, "Info": {"DefaultPhoneID": 9, "InvoiceAddressID": 0, "DefaultContactID": -1}}),
            json!({"ID": 1, "Info": {"Phones": [{"Type": 1, "Number": " 12 ", "CountryCode": "+47", "Description": "", "_g": 1}]}}),
            json!({"ID": 1, "Info": {"Phones": [{"Type": null}, {"Number": null, "CountryCode": null}, {}]}}),
            json!({"ID": 1, "Info": {"Phones": [{"Number": "1", "Description": "x".repeat(251)}]}}),
            json!({"ID": 1, "Info": {"Emails": [{"EmailAddress": " a@x.io ", "Description": null, "_c": [1]}, {"EmailAddress": null}, {}]}}),
            json!({"ID": 1, "Info": {"DefaultEmail": {"ID": 3, "EmailAddress": "nope"}, "Emails": [{"ID": 3, "EmailAddress": "other"}]}}),
            json!({"ID": 1, "Info": {
                "InvoiceAddress": {"ID": 2, "AddressLine1": "a", "AddressLine3": "c", "City": "Oslo", "CountryCode": "no", "Region": null},
                "ShippingAddress": {"ID": 2, "City": "Bergen"},
                "Addresses": [{"AddressLine2": "b", "CountryCode": "Norway", "PostalCode": "", "_x": {"y": 1}}, {"ID": 4, "Region": "r"}, {"Country": "\u{7}"}],
                "InvoiceAddressID": 4, "ShippingAddressID": 4
            }}),
            json!({"ID": 1, "Info": {
                "DefaultContact": {"ID": 8, "Role": "boss", "Info": {"Name": "K", "DefaultEmail": {"EmailAddress": "k@x.io"}, "DefaultPhone": {"Number": "9", "CountryCode": "47"}}, "InfoID": 3},
                "Contacts": [{"ID": 8, "Comment": "c"}, {"Info": null}, {"Info": {"DefaultEmail": null, "DefaultPhone": {"Number": null}}}, {"ID": 9, "Deleted": true}],
                "DefaultContactID": 8
            }}),
        ] {
            check_import(&v);
        }
    }

    /// Every child type's hand-written fingerprint is the JSON one.
    #[test]
    fn fingerprints_are_the_json_ones() {
        let texts: [Option<&str>; 5] = [
            None,
            Some(""),
            Some("a \"q\" \\ \u{1} \u{7f} æ 😀"),
            Some("+4791234567"),
            Some("x\ny\tz"),
        ];
        let text = |i: usize| texts[i % texts.len()].map(str::to_owned);
        for i in 0..texts.len() * 3 {
            let a = Address {
                kind: [
                    AddressKind::Billing,
                    AddressKind::Shipping,
                    AddressKind::Other,
                ][i % 3],
                lines: (0..i % 4)
                    .map(|j| text(i + j).unwrap_or_default())
                    .collect(),
                building_no: text(i),
                unit_no: text(i + 1),
                street: text(i + 2),
                district: text(i + 3),
                city: text(i + 4),
                region: text(i + 1),
                postal_code: text(i + 2),
                country: text(i + 3),
                country_code: text(i),
            };
            assert_eq!(
                AddressChild::fingerprint(&a),
                fingerprint(&a, AddressChild::ROLE_KEY)
            );
            let p = Phone {
                kind: [PhoneKind::Phone, PhoneKind::Mobile, PhoneKind::Fax][i % 3],
                number: text(i + 3).unwrap_or_default(),
                country_code: text(i),
                description: text(i + 1),
                default: i % 2 == 0,
            };
            assert_eq!(
                PhoneChild::fingerprint(&p),
                fingerprint(&p, PhoneChild::ROLE_KEY)
            );
            let e = Email {
                address: text(i + 2).unwrap_or_default(),
                description: text(i),
                default: i % 2 == 1,
            };
            assert_eq!(
                EmailChild::fingerprint(&e),
                fingerprint(&e, EmailChild::ROLE_KEY)
            );
            let date = |n: usize| {
                (!n.is_multiple_of(3)).then(|| {
                    [
                        chrono::NaiveDate::from_ymd_opt(2024, 2, 29),
                        chrono::NaiveDate::from_ymd_opt(-5, 1, 1),
                        chrono::NaiveDate::from_ymd_opt(12345, 12, 31),
                    ][n % 3]
                        .unwrap()
                })
            };
            let k = Contact {
                name: text(i),
                phone: text(i + 1),
                email: text(i + 2),
                relation: text(i + 3),
                profession: text(i + 4),
                remarks: text(i + 2),
                primary: i % 2 == 0,
                active: i % 3 == 0,
                start_date: date(i),
                end_date: date(i + 1),
            };
            assert_eq!(
                ContactChild::fingerprint(&k),
                fingerprint(&k, ContactChild::ROLE_KEY)
            );
        }
    }

    /// The readers read UTF-8 through a `&str`, anything else through the bytes: both
    /// give what reading the bytes gives, errors included.
    #[test]
    fn readers_read_text_and_bytes_alike() {
        fn bytes_reading(bytes: &[u8]) -> Result<Vec<wire::Customer>, String> {
            let mut de = serde_json::Deserializer::from_slice(bytes);
            let list = wire::customers_for_import(&mut de).map_err(|e| e.to_string())?;
            de.end().map_err(|e| e.to_string())?;
            Ok(list)
        }
        for body in [
            &b"[{\"ID\": 1, \"Info\": {\"Name\": \"a\xff\"}}]"[..],
            b"[{\"ID\": 1, \"N\xc3\": 2}]",
            b"[{\"ID\": 1}] \xff",
            b"[{\"ID\": 1, \"Info\": {\"Name\": \"\xc3\xa6\\u00e6\"}}]",
            b"[{\"ID\": 1, \"Info\": {\"Name\": \"\\ud800\"}}]",
            b"[{\"ID\": 1,}]",
            b"[{\"ID\": 1}] x",
        ] {
            let text = String::from_utf8_lossy(body);
            let read = read_customers_for_import(body).map_err(|e| e.to_string());
            assert_eq!(read, bytes_reading(body), "{text}");
        }
    }

    fn created(v: Value) -> Customer {
        let mut c = apply(None, &parse(v), Mode::Create).unwrap();
        c.seq = Some(1);
        c
    }

    fn fields(e: Error) -> Vec<String> {
        e.fields().iter().map(|f| f.field.clone()).collect()
    }

    #[test]
    fn the_extension_map_is_its_serialisation() {
        let c = apply(
            None,
            &parse(json!({
                "ID": 4, "GLN": "x", "CurrencyCode": {"Code": "NOK", "ShortCode": "kr"},
                "Info": {"Name": "A", "DefaultBankAccountID": 3,
                         "Phones": [{"Type": 150101, "Number": "1", "_g": 1}]}
            })),
            Mode::Import,
        )
        .unwrap();
        for ext in [Ext::of(&c), Ext::default()] {
            assert_eq!(
                Value::Object(ext.clone().into_map()),
                serde_json::to_value(&ext).unwrap()
            );
        }
        assert!(!Ext::of(&c).into_map().is_empty());
    }

    #[test]
    fn shape_errors_name_the_property() {
        let at = |v: Value| parse_customer(v, "").unwrap_err().fields()[0].field.clone();
        assert_eq!(at(json!({"CustomerNumber": "abc"})), "CustomerNumber");
        assert_eq!(
            at(json!({"Info": {"Phones": [{"Type": 1}, {"Type": "x"}]}})),
            "Info.Phones[1].Type"
        );
        assert_eq!(
            at(json!({"Info": {"DefaultEmail": {"EmailAddress": 5}}})),
            "Info.DefaultEmail.EmailAddress"
        );
        assert_eq!(
            at(json!({"Info": {"Contacts": [{"Info": {"DefaultPhone": {"Number": []}}}]}})),
            "Info.Contacts[0].Info.DefaultPhone.Number"
        );
        assert_eq!(at(json!({"Info": {"Emails": 3}})), "Info.Emails");
        assert_eq!(at(json!({"Info": "x"})), "Info");
        let e = parse_customer(json!({"IsPrivate": "no"}), "[3]").unwrap_err();
        assert_eq!(e.fields()[0].field, "[3].IsPrivate");
    }

    #[test]
    fn phones_become_e164_and_render_back() {
        let c = created(json!({
            "Info": {"Name": "A", "DefaultPhone": {"Type": 150102, "Number": "98 34 83", "CountryCode": "+47"},
                     "Phones": [{"Type": 150103, "Number": "0123", "CountryCode": null}]}
        }));
        assert_eq!(c.phones.len(), 2);
        assert_eq!(c.phones[0].number, "+47983483");
        assert_eq!(c.phones[0].kind, PhoneKind::Mobile);
        assert!(c.phones[0].default);
        assert_eq!(c.phones[1].number, "0123");
        let w = to_json(&c);
        assert_eq!(w["Info"]["DefaultPhone"]["Number"], "98 34 83");
        assert_eq!(w["Info"]["DefaultPhone"]["CountryCode"], "+47");
        assert_eq!(w["Info"]["Phones"][0]["Number"], "0123");
        assert_eq!(w["Info"]["DefaultPhoneID"], w["Info"]["DefaultPhone"]["ID"]);
    }

    #[test]
    fn duplicates_of_the_default_are_merged() {
        let c = created(json!({
            "Info": {"Name": "A",
                     "DefaultEmail": {"EmailAddress": "a@x.io"},
                     "Emails": [{"EmailAddress": "a@x.io"}, {"EmailAddress": "b@x.io"}]}
        }));
        assert_eq!(c.emails.len(), 2);
        let w = to_json(&c);
        assert_eq!(w["Info"]["Emails"].as_array().unwrap().len(), 1);
        assert_eq!(w["Info"]["Emails"][0]["EmailAddress"], "b@x.io");
    }

    #[test]
    fn updates_address_children_by_id() {
        let c = created(json!({
            "Info": {"Name": "A", "Phones": [
                {"Type": 150101, "Number": "1"}, {"Type": 150101, "Number": "2"}, {"Type": 150101, "Number": "3"}
            ]}
        }));
        let w = to_json(&c);
        let ids: Vec<i64> = w["Info"]["Phones"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["ID"].as_i64().unwrap())
            .collect();
        let put = parse(json!({"Info": {"Phones": [
            {"ID": ids[0], "Number": "10"},
            {"ID": ids[1], "Deleted": true},
            {"ID": 0, "Type": 150102, "Number": "4"}
        ]}}));
        let u = apply(Some(&c), &put, Mode::Update).unwrap();
        let numbers: Vec<&str> = u.phones.iter().map(|p| p.number.as_str()).collect();
        assert_eq!(numbers, ["10", "3", "4"]);
        let w2 = to_json(&u);
        let ids2: Vec<i64> = w2["Info"]["Phones"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["ID"].as_i64().unwrap())
            .collect();
        assert_eq!(ids2[0], ids[0]);
        assert_eq!(ids2[1], ids[2]);
        assert!(ids2[2] > ids[2]);

        let bad = parse(json!({"Info": {"Phones": [{"ID": 999, "Number": "1"}]}}));
        let e = apply(Some(&c), &bad, Mode::Update).unwrap_err();
        assert_eq!(fields(e), ["Info.Phones[0].ID"]);
    }

    #[test]
    fn rules_are_reported_together() {
        let e = apply(
            None,
            &parse(json!({
                "ID": 4, "CustomerNumber": -1, "StatusCode": 1,
                "Info": {"Phones": [{"Number": "x"}], "Emails": [{"EmailAddress": "nope"}]}
            })),
            Mode::Create,
        )
        .unwrap_err();
        let f = fields(e);
        for want in [
            "ID",
            "CustomerNumber",
            "StatusCode",
            "Info.Phones[0].Type",
            "Info.Phones[0].Number",
            "Info.Emails[0].EmailAddress",
            "Info.Name",
        ] {
            assert!(f.contains(&want.to_owned()), "{want} missing in {f:?}");
        }
    }

    #[test]
    fn update_keeps_what_the_dialect_cannot_show() {
        let mut c = Customer::new();
        c.seq = Some(3);
        c.name.first = Some("Ali".into());
        c.name.last = Some("Saleh".into());
        c.addresses.push(Address {
            kind: AddressKind::Billing,
            building_no: Some("12".into()),
            street: Some("King Fahd".into()),
            city: Some("Riyadh".into()),
            ..Address::default()
        });
        c.tax.vat = Some("300000000000003".into());
        let w = to_json(&c);
        assert_eq!(w["Info"]["Name"], "Ali Saleh");
        assert_eq!(w["Info"]["InvoiceAddress"]["AddressLine1"], "12 King Fahd");
        // What a client sends back after changing the city only.
        let mut back = w.clone();
        back["Info"]["InvoiceAddress"]["City"] = json!("Jeddah");
        let u = apply(Some(&c), &parse(back), Mode::Update).unwrap();
        assert_eq!(u.addresses[0].city.as_deref(), Some("Jeddah"));
        assert_eq!(u.addresses[0].street.as_deref(), Some("King Fahd"));
        assert!(u.addresses[0].lines.is_empty());
        assert_eq!(u.name.display, None);
        assert_eq!(u.tax.vat, c.tax.vat);
        assert_eq!(u.status, Status::Active);
    }

    #[test]
    fn a_write_back_keeps_the_roles_the_entity_cannot_show() {
        // A default mobile and a default fax, two invoice addresses: the entity shows one
        // default phone and one invoice address, the others as plain children.
        let mut c = Customer::new();
        c.seq = Some(5);
        c.name.display = Some("A".into());
        let phone = |kind, number: &str| Phone {
            kind,
            number: number.into(),
            default: true,
            ..Phone::default()
        };
        c.phones = vec![
            phone(PhoneKind::Mobile, "+4791234567"),
            phone(PhoneKind::Fax, "+4722334455"),
        ];
        let billing = |city: &str| Address {
            kind: AddressKind::Billing,
            city: Some(city.into()),
            ..Address::default()
        };
        c.addresses = vec![billing("Oslo"), billing("Bergen")];
        let w = to_json(&c);
        assert_eq!(w["Info"]["DefaultPhone"]["Number"], "+4791234567");
        assert_eq!(w["Info"]["Phones"][0]["Number"], "+4722334455");
        assert_eq!(w["Info"]["InvoiceAddress"]["City"], "Oslo");
        assert_eq!(w["Info"]["Addresses"][0]["City"], "Bergen");

        // Sent back as read, nothing changes: the fax stays a default, Bergen an invoice
        // address.
        let u = apply(Some(&c), &parse(w.clone()), Mode::Update).unwrap();
        assert_eq!(u.phones, c.phones);
        assert_eq!(u.addresses, c.addresses);

        // Naming the fax as the default phone makes it the one shown.
        let mut back = w.clone();
        back["Info"]["DefaultPhone"] = w["Info"]["Phones"][0].clone();
        let u = apply(Some(&c), &parse(back), Mode::Update).unwrap();
        let defaults: Vec<bool> = u.phones.iter().map(|p| p.default).collect();
        assert_eq!(defaults, [false, true]);
        assert_eq!(to_json(&u)["Info"]["DefaultPhone"]["Number"], "+4722334455");
    }

    #[test]
    fn status_changes_only_through_actions() {
        let c = created(json!({"Info": {"Name": "A"}, "StatusCode": 50001}));
        assert_eq!(c.status, Status::Inactive);
        let e = apply(Some(&c), &parse(json!({"StatusCode": 30001})), Mode::Update).unwrap_err();
        assert_eq!(fields(e), ["StatusCode"]);
        assert!(apply(Some(&c), &parse(json!({"StatusCode": 50001})), Mode::Update).is_ok());
        assert!(apply(Some(&c), &parse(json!({"StatusCode": null})), Mode::Update).is_ok());
    }

    #[test]
    fn owned_objects_get_ids_and_merge() {
        let c = created(json!({"Info": {"Name": "A"}, "Dimensions": {"ID": 0, "ProjectID": 1}}));
        let w = to_json(&c);
        let id = w["Dimensions"]["ID"].as_i64().unwrap();
        assert!(id > 0);
        assert_eq!(w["DimensionsID"], json!(id));
        let u = apply(
            Some(&c),
            &parse(json!({"Dimensions": {"DepartmentID": 2}})),
            Mode::Update,
        )
        .unwrap();
        let w = to_json(&u);
        assert_eq!(
            w["Dimensions"],
            json!({"ID": id, "ProjectID": 1, "DepartmentID": 2})
        );
        assert_eq!(w["DimensionsID"], json!(id));
    }

    #[test]
    fn a_child_edited_in_place_elsewhere_keeps_its_id_and_loses_its_typing() {
        let c = created(json!({"Info": {"Name": "A", "Emails": [
            {"EmailAddress": "a@x.io", "_guid": "g"},
            {"EmailAddress": "b@x.io"},
            {"EmailAddress": "c@x.io"}
        ]}}));
        let before = to_json(&c);
        let ids = |w: &Value| -> Vec<Value> {
            w["Info"]["Emails"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["ID"].clone())
                .collect()
        };
        assert_eq!(before["Info"]["Emails"][0]["_guid"], "g");

        // Edited in place (another dialect changed the address): the same id, so a client
        // or an upstream updates that child where it is; the `_guid` typed for the old
        // content is gone.
        let mut other = c.clone();
        other.emails[0].address = "changed@x.io".into();
        let after = to_json(&other);
        assert_eq!(ids(&after), ids(&before));
        assert_eq!(after["Info"]["Emails"][0]["EmailAddress"], "changed@x.io");
        assert!(after["Info"]["Emails"][0].get("_guid").is_none());

        // Removed and added elsewhere: the children that stayed keep their ids, the new
        // one takes a fresh id rather than the removed one's.
        let mut other = c.clone();
        other.emails.remove(0);
        other.emails.push(Email {
            address: "d@x.io".into(),
            ..Email::default()
        });
        let after = to_json(&other);
        let (was, now) = (ids(&before), ids(&after));
        assert_eq!(now[..2], was[1..]);
        assert!(!was.contains(&now[2]), "{now:?} against {was:?}");
    }

    #[test]
    fn what_an_upstream_keeps_of_a_child_edited_in_place_has_its_id() {
        // Read from an upstream (its ids), then the default e-mail edited by another
        // front: what the gateway sends when it must leave something out (`carried`)
        // names the upstream's child, so the upstream updates it where it is.
        let mut c = apply(
            None,
            &parse(json!({"ID": 42, "Info": {"ID": 7, "Name": "Up", "DefaultEmailID": 12,
                "DefaultEmail": {"ID": 12, "EmailAddress": "a@x.io"},
                "Emails": [{"ID": 11, "EmailAddress": "b@x.io"}, {"ID": 13, "EmailAddress": "c@x.io"}]}})),
            Mode::Import,
        )
        .unwrap();
        let i = c.email_index().unwrap();
        c.emails[i].address = "changed@x.io".into();
        let w = to_json(&carried(&c));
        assert_eq!(w["Info"]["DefaultEmail"]["ID"], 12);
        assert_eq!(w["Info"]["DefaultEmail"]["EmailAddress"], "changed@x.io");
        let others: Vec<&Value> = w["Info"]["Emails"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| &e["ID"])
            .collect();
        assert_eq!(others, [11, 13]);
    }

    #[test]
    fn import_keeps_upstream_ids() {
        let c = apply(
            None,
            &parse(json!({
                "ID": 42, "CustomerNumber": 100042, "StatusCode": 90001, "BusinessRelationID": 7,
                "CreatedAt": "2020-01-02T03:04:05.6Z",
                "Info": {"ID": 7, "Name": "Up", "DefaultPhoneID": 9,
                         "DefaultPhone": {"ID": 9, "Type": 150101, "Number": "1"},
                         "Phones": [{"ID": 9, "Type": 150101, "Number": "1"}, {"ID": 11, "Type": 150102, "Number": "2"}]}
            })),
            Mode::Import,
        )
        .unwrap();
        assert_eq!(c.id.as_str(), "42");
        assert_eq!(c.seq, Some(42));
        assert_eq!(c.number.as_deref(), Some("100042"));
        assert_eq!(c.status, Status::Blocked);
        assert_eq!(c.phones.len(), 2);
        assert!(c.phones[0].default);
        let w = to_json(&c);
        assert_eq!(w["BusinessRelationID"], 7);
        assert_eq!(w["Info"]["ID"], 7);
        assert_eq!(w["Info"]["DefaultPhone"]["ID"], 9);
        assert_eq!(w["Info"]["Phones"][0]["ID"], 11);
        assert_eq!(w["CreatedAt"], "2020-01-02T03:04:05.600Z");
    }
}
