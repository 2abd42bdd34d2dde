//! The dialect's JSON, exactly as Unimicro writes it: PascalCase names, `ID` suffixes,
//! nested `Info` business relation, status and phone-type codes as integers.
//!
//! Every object type keeps what it does not model in a flattened `extra` map, and every
//! modelled property is a [`Patch`] so that "absent" and `null` stay apart: parsing the
//! seed's Appendix A and writing it again gives the same JSON, and a `PUT` that leaves a
//! property out leaves it unchanged.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;
use std::sync::{LazyLock, OnceLock};

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
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

/// How a wire object matches its property names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Casing {
    /// As `#[derive(Deserialize)]` would: the model's spelling only, every other name kept
    /// in `extra` as given, a modelled property given twice refused.
    Exact,
    /// As the vendor does: the model's spelling first, then ignoring ASCII case, down
    /// through every modelled level; unknown names the model knows are kept under its
    /// spelling. Two spellings of one property in one object are refused; the same
    /// spelling twice keeps the last (as reading into a `Value` does).
    AnyCase,
    /// [`Casing::AnyCase`], for an import ([`customers_for_import`]): the customer's and its
    /// `Info`'s unmodelled properties whose value is the empty template's are left out of
    /// `extra` (an import drops them), without a name or an entry made for them.
    Import,
}

/// How deep a reading is: the nesting of the objects and arrays being read, and the
/// deepest reached (as [`custgate_core::json::nesting_depth`] counts it: each object and
/// array one level), so that a caller can tell how deep its input nests without a pass of
/// its own ([`reading_depth`]). Kept per thread: a reading does not leave its thread.
mod depth {
    use std::cell::Cell;

    thread_local! {
        /// The nesting being read and the deepest reached.
        static DEPTH: Cell<(usize, usize)> = const { Cell::new((0, 0)) };
    }

    /// One object or array being read: a level deeper until dropped.
    pub(super) struct Level;

    pub(super) fn enter() -> Level {
        DEPTH.with(|d| {
            let (at, deepest) = d.get();
            d.set((at + 1, deepest.max(at + 1)));
        });
        Level
    }

    impl Drop for Level {
        fn drop(&mut self) {
            DEPTH.with(|d| {
                let (at, deepest) = d.get();
                d.set((at.saturating_sub(1), deepest));
            });
        }
    }

    pub(super) fn reset() {
        DEPTH.with(|d| d.set((0, 0)));
    }

    pub(super) fn deepest() -> usize {
        DEPTH.with(|d| d.get().1)
    }
}

/// Reads a JSON value as `Value` reads it, each object and array in it counted in the
/// reading's depth (a `Value` keeps the last of a name given twice, so the depth of what
/// it holds is not always the depth of what was read).
#[derive(Clone, Copy)]
struct ValueSeed;

impl<'de> DeserializeSeed<'de> for ValueSeed {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any valid JSON value")
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Value, E> {
        Ok(Value::from(n))
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Value, E> {
        Ok(Value::from(n))
    }

    fn visit_f64<E: de::Error>(self, n: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_owned()))
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        self.deserialize(d)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let _level = depth::enter();
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(self)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Value, A::Error> {
        MapSeed.visit_map(map).map(Value::Object)
    }
}

/// Reads a JSON object as `Map` reads it, counted as [`ValueSeed`] counts.
#[derive(Clone, Copy)]
struct MapSeed;

impl<'de> DeserializeSeed<'de> for MapSeed {
    type Value = JsonMap;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<JsonMap, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for MapSeed {
    type Value = JsonMap;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a map")
    }

    fn visit_unit<E: de::Error>(self) -> Result<JsonMap, E> {
        Ok(JsonMap::new())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JsonMap, A::Error> {
        let _level = depth::enter();
        let mut out = JsonMap::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(ValueSeed)?;
            out.insert(key, value);
        }
        Ok(out)
    }
}

/// How a plain property's value is read: as its type reads itself, and a JSON value or
/// object through [`ValueSeed`], [`MapSeed`] (counted in the reading's depth).
trait Plain: Sized {
    fn read<'de, A: MapAccess<'de>>(map: &mut A) -> Result<Patch<Self>, A::Error>;
}

macro_rules! plain_by_deserialize {
    ($($t:ty),*) => {$(
        impl Plain for $t {
            fn read<'de, A: MapAccess<'de>>(map: &mut A) -> Result<Patch<Self>, A::Error> {
                map.next_value::<Patch<$t>>()
            }
        }
    )*};
}

plain_by_deserialize!(i64, bool, String);

impl Plain for Value {
    fn read<'de, A: MapAccess<'de>>(map: &mut A) -> Result<Patch<Self>, A::Error> {
        map.next_value_seed(PatchSeed(ValueSeed))
    }
}

impl Plain for JsonMap {
    fn read<'de, A: MapAccess<'de>>(map: &mut A) -> Result<Patch<Self>, A::Error> {
        map.next_value_seed(PatchSeed(MapSeed))
    }
}

/// Runs `read` and says how deep what it read nests (objects and arrays, as
/// [`custgate_core::json::nesting_depth`] counts them in the JSON text): the deepest
/// nesting the readers of this module went through, values read whole included.
pub fn reading_depth<T>(read: impl FnOnce() -> T) -> (T, usize) {
    depth::reset();
    let out = read();
    (out, depth::deepest())
}

/// An object type of the model, read property by property from a map.
trait WireObject: Sized + Default {
    /// What a value of the wrong type was expected to be (`struct Customer`).
    const EXPECTING: &'static str;

    /// Reads the object into `out`, a blank one (the objects are large: read where they
    /// are to be kept rather than moved there).
    fn visit_into<'de, A: MapAccess<'de>>(
        map: A,
        casing: Casing,
        out: &mut Self,
    ) -> Result<(), A::Error>;

    fn visit<'de, A: MapAccess<'de>>(map: A, casing: Casing) -> Result<Self, A::Error> {
        let mut out = Self::default();
        Self::visit_into(map, casing, &mut out)?;
        Ok(out)
    }
}

/// Reads one [`WireObject`] into a blank one.
struct ObjectInto<'a, T> {
    out: &'a mut T,
    casing: Casing,
}

impl<'de, T: WireObject> DeserializeSeed<'de> for ObjectInto<'_, T> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, T: WireObject> Visitor<'de> for ObjectInto<'_, T> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        T::visit_into(map, self.casing, self.out)
    }
}

/// Reads a [`Patch`] of a [`WireObject`] into its place: what `PatchSeed(ObjectSeed)`
/// reads, assigned.
struct PatchInto<'a, T> {
    place: &'a mut Patch<T>,
    casing: Casing,
}

impl<'de, T: WireObject> DeserializeSeed<'de> for PatchInto<'_, T> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de, T: WireObject> Visitor<'de> for PatchInto<'_, T> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("option")
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        *self.place = Patch::Null;
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        *self.place = Patch::Null;
        Ok(())
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        *self.place = Patch::Value(T::default());
        match self.place {
            Patch::Value(out) => ObjectInto {
                out,
                casing: self.casing,
            }
            .deserialize(d),
            Patch::Absent | Patch::Null => Ok(()),
        }
    }
}

/// Reads a list of [`WireObject`]s, each where it is kept: what `ListSeed(ObjectSeed)`
/// reads.
struct ListInto<T> {
    casing: Casing,
    _type: PhantomData<T>,
}

impl<'de, T: WireObject> DeserializeSeed<'de> for ListInto<T> {
    type Value = Vec<T>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<T>, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, T: WireObject> Visitor<'de> for ListInto<T> {
    type Value = Vec<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a sequence")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
        let _level = depth::enter();
        let mut out: Vec<T> = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        loop {
            out.push(T::default());
            let last = out.len() - 1;
            let seed = ObjectInto {
                out: &mut out[last],
                casing: self.casing,
            };
            if seq.next_element_seed(seed)?.is_none() {
                out.pop();
                return Ok(out);
            }
        }
    }
}

/// Reads one [`WireObject`].
struct ObjectSeed<T> {
    casing: Casing,
    _type: PhantomData<T>,
}

impl<T> ObjectSeed<T> {
    fn new(casing: Casing) -> Self {
        ObjectSeed {
            casing,
            _type: PhantomData,
        }
    }
}

impl<'de, T: WireObject> DeserializeSeed<'de> for ObjectSeed<T> {
    type Value = T;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, T: WireObject> Visitor<'de> for ObjectSeed<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::visit(map, self.casing)
    }
}

/// Reads a [`Patch`] of what `S` reads.
struct PatchSeed<S>(S);

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for PatchSeed<S> {
    type Value = Patch<S::Value>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de, S: DeserializeSeed<'de>> Visitor<'de> for PatchSeed<S> {
    type Value = Patch<S::Value>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("option")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Patch::Null)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Patch::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        self.0.deserialize(d).map(Patch::Value)
    }
}

/// Reads a list of what `S` reads.
struct ListSeed<S>(S);

impl<'de, S: DeserializeSeed<'de> + Copy> DeserializeSeed<'de> for ListSeed<S> {
    type Value = Vec<S::Value>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, S: DeserializeSeed<'de> + Copy> Visitor<'de> for ListSeed<S> {
    type Value = Vec<S::Value>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a sequence")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let _level = depth::enter();
        // As serde's own `Vec` does: trust the hint only so far.
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(item) = seq.next_element_seed(self.0)? {
            out.push(item);
        }
        Ok(out)
    }
}

impl<T> Clone for ObjectSeed<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for ObjectSeed<T> {}

/// Reads a property name, borrowed from the input when it can be.
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

/// What one object has given so far: the names, for telling a repeated name from a
/// second spelling of it, and the properties kept in `extra`.
#[derive(Default)]
struct Seen {
    /// The modelled properties given, by their place in the type.
    fields: u64,
    /// The level's other names given, by their place in the level.
    names: u64,
    /// The names given in another spelling than the model's, by the model's spelling.
    respelt: Vec<(&'static str, String)>,
    /// The properties for `extra`, in the order given (a map is built once, at the end).
    extra: Vec<(String, Value)>,
}

impl Seen {
    /// How the property `canonical` was spelt when first given.
    fn spelling(&self, canonical: &'static str) -> &str {
        self.respelt
            .iter()
            .find(|(c, _)| *c == canonical)
            .map_or(canonical, |(_, given)| given.as_str())
    }

    /// Records that `canonical` is given as `key`; `again`: it was given before.
    fn given<E: de::Error>(
        &mut self,
        canonical: &'static str,
        key: &str,
        again: bool,
        casing: Casing,
    ) -> Result<(), E> {
        if !again {
            if key != canonical {
                self.respelt.push((canonical, key.to_owned()));
            }
            return Ok(());
        }
        match casing {
            Casing::Exact => Err(E::duplicate_field(canonical)),
            Casing::AnyCase | Casing::Import if self.spelling(canonical) == key => Ok(()),
            Casing::AnyCase | Casing::Import => Err(E::custom(format_args!(
                "`{canonical}` is given twice with different casing"
            ))),
        }
    }

    /// Keeps a property the type does not model, under the model's spelling when the
    /// level knows the name (and the casing allows it).
    ///
    /// `known` is what [`Level::lookup`] gave for `key` (looked up once, by the caller),
    /// `None` when the casing is exact.
    fn keep<'de, A: MapAccess<'de>>(
        &mut self,
        map: &mut A,
        known: Option<(u32, &'static str)>,
        level_names: usize,
        key: Cow<'de, str>,
        casing: Casing,
        template: Option<&[Option<&Value>]>,
    ) -> Result<(), A::Error> {
        let name = match known {
            Some((place, canonical)) => {
                let bit = 1u64 << place;
                let again = self.names & bit != 0;
                self.given(canonical, &key, again, casing)?;
                self.names |= bit;
                if let Some(empty) = template.and_then(|t| t.get(place as usize).copied().flatten())
                {
                    let value = map.next_value_seed(ValueSeed)?;
                    if value == *empty {
                        // Left out; the last value given is the one kept, so an earlier
                        // one goes too.
                        if again {
                            self.extra.retain(|(k, _)| k != canonical);
                        }
                        return Ok(());
                    }
                    self.push(canonical.to_owned(), value, level_names);
                    return Ok(());
                }
                canonical.to_owned()
            }
            None => key.into_owned(),
        };
        let value = map.next_value_seed(ValueSeed)?;
        self.push(name, value, level_names);
        Ok(())
    }

    /// Keeps a property for `extra`.
    fn push(&mut self, name: String, value: Value, level_names: usize) {
        if self.extra.capacity() == 0 {
            // Room for every name the level knows, at once rather than doubling up to it.
            self.extra.reserve(level_names);
        }
        self.extra.push((name, value));
    }

    /// The properties kept, as a map; a name given twice keeps its last value (as a
    /// `Value` read from the same JSON does).
    fn into_extra(self) -> JsonMap {
        if self.extra.is_empty() {
            return JsonMap::new();
        }
        // Collecting sorts the pairs once (stably: one name's values stay in the order
        // given) and keeps the last of equal names; a test with names given twice says so.
        self.extra.into_iter().collect()
    }
}

/// The type of a property of each kind.
macro_rules! wire_type {
    (plain, $t:ty) => { Patch<$t> };
    (one, $t:ty) => { Patch<$t> };
    (untagged, $t:ty) => { Patch<$t> };
    (many, $t:ty) => { Patch<Vec<$t>> };
}

/// Reads the value of a property of each kind into its place: a plain value, one
/// object of the model (read where it is kept), a value of an untagged type, a list of
/// objects.
macro_rules! wire_value {
    ($map:ident, $casing:ident, $place:expr, plain, $t:ty) => {
        $place = <$t as Plain>::read(&mut $map)?
    };
    ($map:ident, $casing:ident, $place:expr, one, $t:ty) => {
        $map.next_value_seed(PatchInto::<$t> {
            place: &mut $place,
            casing: $casing,
        })?
    };
    ($map:ident, $casing:ident, $place:expr, untagged, $t:ty) => {
        $place = $map.next_value_seed(PatchSeed(<$t>::seed($casing)))?
    };
    ($map:ident, $casing:ident, $place:expr, many, $t:ty) => {
        $place = $map.next_value_seed(PatchSeed(ListSeed(<$t>::seed($casing))))?
    };
}

/// An object type of the model: the struct (serialised by derive, `extra` flattened),
/// and its reader, which matches names as its [`Casing`] says and keeps every other
/// property in `extra` without buffering the object.
macro_rules! wire_object {
    (
        $(#[$attr:meta])*
        pub struct $name:ident at $level:path {
            $(
                $(#[$fattr:meta])*
                $key:literal $field:ident: $kind:ident($t:ty),
            )*
        }
    ) => {
        $(#[$attr])*
        #[derive(Clone, Debug, Default, PartialEq, Serialize)]
        pub struct $name {
            $(
                $(#[$fattr])*
                #[serde(rename = $key, skip_serializing_if = "Patch::is_absent")]
                pub $field: wire_type!($kind, $t),
            )*
            /// Every other property.
            #[serde(flatten)]
            pub extra: JsonMap,
        }

        impl $name {
            #[allow(dead_code)]
            fn seed(casing: Casing) -> ObjectSeed<$name> {
                ObjectSeed::new(casing)
            }
        }

        impl WireObject for $name {
            const EXPECTING: &'static str = concat!("struct ", stringify!($name));

            fn visit_into<'de, A: MapAccess<'de>>(
                mut map: A,
                casing: Casing,
                out: &mut Self,
            ) -> Result<(), A::Error> {
                let _level = depth::enter();
                #[allow(non_camel_case_types, clippy::enum_variant_names)]
                #[derive(Clone, Copy)]
                enum Field {
                    $($field,)*
                }
                let level: &Level = &$level;
                let mut seen = Seen::default();
                let template = match casing {
                    Casing::Import => level.template(),
                    _ => None,
                };
                while let Some(key) = map.next_key_seed(KeySeed)? {
                    // The level's entry for another spelling, looked up once.
                    let mut known = None;
                    let field = match &*key {
                        $($key => Some(($key, Field::$field)),)*
                        _ if casing == Casing::Exact => None,
                        // Another spelling: a modelled property only if the model's
                        // spelling of it is.
                        other => {
                            known = level.lookup(other);
                            match known.map(|(_, k)| k) {
                                $(Some($key) => Some(($key, Field::$field)),)*
                                _ => None,
                            }
                        }
                    };
                    let Some((canonical, field)) = field else {
                        seen.keep(
                            &mut map,
                            known,
                            level.keys.len() + level.relations.len(),
                            key,
                            casing,
                            template,
                        )?;
                        continue;
                    };
                    let bit = 1u64 << (field as u32);
                    seen.given(canonical, &key, seen.fields & bit != 0, casing)?;
                    seen.fields |= bit;
                    match field {
                        $(Field::$field => wire_value!(map, casing, out.$field, $kind, $t),)*
                    }
                }
                out.extra = seen.into_extra();
                Ok(())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                $name::seed(Casing::Exact).deserialize(d)
            }
        }
    };
}

wire_object! {
    /// The customer entity (`api/biz/customers`). Every other property (Appendix A's
    /// `Dimensions`, `DefaultSeller`, `GLN`…) is kept in `extra`.
    pub struct Customer at CUSTOMER {
        "ID" id: plain(i64),
        "CustomerNumber" customer_number: plain(i64),
        "BusinessRelationID" business_relation_id: plain(Value),
        "OrgNumber" org_number: plain(String),
        "IsPrivate" is_private: plain(bool),
        "StatusCode" status_code: plain(i64),
        "CreditDays" credit_days: plain(i64),
        "CurrencyCode" currency_code: untagged(CurrencyCode),
        "CustomValues" custom_values: plain(JsonMap),
        "Deleted" deleted: plain(bool),
        "CreatedAt" created_at: plain(Value),
        "UpdatedAt" updated_at: plain(Value),
        "Info" info: one(BusinessRelation),
    }
}

/// `CurrencyCode`: Unimicro's currency entity; a bare code string is accepted too.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum CurrencyCode {
    Code(String),
    Entity(CurrencyEntity),
}

wire_object! {
    pub struct CurrencyEntity at CURRENCY {
        "Code" code: plain(String),
    }
}

impl CurrencyCode {
    pub fn code(&self) -> Option<&str> {
        match self {
            CurrencyCode::Code(c) => Some(c),
            CurrencyCode::Entity(e) => e.code.value().map(String::as_str),
        }
    }

    fn seed(casing: Casing) -> CurrencySeed {
        CurrencySeed(casing)
    }
}

/// Reads a [`CurrencyCode`] as `#[serde(untagged)]` would (a string, else an entity),
/// without buffering it.
#[derive(Clone, Copy)]
struct CurrencySeed(Casing);

/// The one message of a currency that is neither.
fn no_currency<E: de::Error>() -> E {
    E::custom("data did not match any variant of untagged enum CurrencyCode")
}

impl<'de> DeserializeSeed<'de> for CurrencySeed {
    type Value = CurrencyCode;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<CurrencyCode, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for CurrencySeed {
    type Value = CurrencyCode;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("untagged enum CurrencyCode")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<CurrencyCode, E> {
        Ok(CurrencyCode::Code(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<CurrencyCode, E> {
        Ok(CurrencyCode::Code(v))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<CurrencyCode, A::Error> {
        CurrencyEntity::visit(map, self.0)
            .map(CurrencyCode::Entity)
            .map_err(|_| no_currency())
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<CurrencyCode, E> {
        Err(no_currency())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<CurrencyCode, E> {
        Err(no_currency())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<CurrencyCode, E> {
        Err(no_currency())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<CurrencyCode, E> {
        Err(no_currency())
    }

    fn visit_unit<E: de::Error>(self) -> Result<CurrencyCode, E> {
        Err(no_currency())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<CurrencyCode, A::Error> {
        Err(no_currency())
    }
}

impl<'de> Deserialize<'de> for CurrencyCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        CurrencyCode::seed(Casing::Exact).deserialize(d)
    }
}

wire_object! {
    /// `Info`: the business relation holding the name and the contact details.
    pub struct BusinessRelation at INFO {
        "ID" id: plain(Value),
        "Name" name: plain(String),
        "InvoiceAddressID" invoice_address_id: plain(i64),
        "ShippingAddressID" shipping_address_id: plain(i64),
        "DefaultPhoneID" default_phone_id: plain(i64),
        "DefaultEmailID" default_email_id: plain(i64),
        "DefaultContactID" default_contact_id: plain(i64),
        "InvoiceAddress" invoice_address: one(Address),
        "ShippingAddress" shipping_address: one(Address),
        "DefaultPhone" default_phone: one(Phone),
        "DefaultEmail" default_email: one(Email),
        "DefaultContact" default_contact: one(Contact),
        "Addresses" addresses: many(Address),
        "Phones" phones: many(Phone),
        "Emails" emails: many(Email),
        "Contacts" contacts: many(Contact),
    }
}

wire_object! {
    pub struct Address at ADDRESS {
        "ID" id: plain(i64),
        "AddressLine1" address_line1: plain(String),
        "AddressLine2" address_line2: plain(String),
        "AddressLine3" address_line3: plain(String),
        "PostalCode" postal_code: plain(String),
        "City" city: plain(String),
        "Region" region: plain(String),
        "Country" country: plain(String),
        "CountryCode" country_code: plain(String),
        "Deleted" deleted: plain(bool),
    }
}

wire_object! {
    pub struct Phone at PHONE {
        "ID" id: plain(i64),
        /// 150101 phone, 150102 mobile, 150103 fax.
        "Type" kind: plain(i64),
        "Number" number: plain(String),
        "CountryCode" country_code: plain(String),
        "Description" description: plain(String),
        "Deleted" deleted: plain(bool),
    }
}

wire_object! {
    pub struct Email at EMAIL {
        "ID" id: plain(i64),
        "EmailAddress" email_address: plain(String),
        "Description" description: plain(String),
        "Deleted" deleted: plain(bool),
    }
}

wire_object! {
    /// A contact person of the customer (`Info.Contacts`), with their own business
    /// relation.
    pub struct Contact at CONTACT {
        "ID" id: plain(i64),
        "Role" role: plain(String),
        "Comment" comment: plain(String),
        "Info" info: one(ContactInfo),
        "Deleted" deleted: plain(bool),
    }
}

wire_object! {
    /// A contact's `Info`: name, default e-mail and default phone.
    pub struct ContactInfo at CONTACT_INFO {
        "Name" name: plain(String),
        "DefaultEmail" default_email: one(Email),
        "DefaultPhone" default_phone: one(Phone),
    }
}

/// Reads a customer as the vendor does: property names matched ignoring ASCII case
/// (kept under the model's spelling), in one pass over `d`.
pub fn customer_any_case<'de, D: Deserializer<'de>>(d: D) -> Result<Customer, D::Error> {
    Customer::seed(Casing::AnyCase).deserialize(d)
}

/// [`customer_any_case`] for a list of customers.
pub fn customers_any_case<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Customer>, D::Error> {
    ListInto {
        casing: Casing::AnyCase,
        _type: PhantomData::<Customer>,
    }
    .deserialize(d)
}

/// [`customer_any_case`] for an import (`apply` in `Mode::Import`): the customer's and its
/// `Info`'s unmodelled properties equal to their empty value ([`customer_template`],
/// [`info_template`]) are left out of `extra`, as the import would drop them.
pub fn customer_for_import<'de, D: Deserializer<'de>>(d: D) -> Result<Customer, D::Error> {
    Customer::seed(Casing::Import).deserialize(d)
}

/// [`customer_for_import`] for a list of customers.
pub fn customers_for_import<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Customer>, D::Error> {
    ListInto {
        casing: Casing::Import,
        _type: PhantomData::<Customer>,
    }
    .deserialize(d)
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
    /// Every name (properties, then relations) with its place among them, by its length;
    /// built when first needed.
    by_len: OnceLock<Vec<Vec<(u32, &'static str)>>>,
}

impl Level {
    /// The property's canonical spelling, matched ignoring ASCII case.
    pub fn key(&self, name: &str) -> Option<&'static str> {
        self.lookup(name).map(|(_, k)| k)
    }

    /// The empty values of the level's unmodelled properties an import drops: the
    /// customer's ([`customer_template`]) and its `Info`'s ([`info_template`]).
    /// By the name's place among the level's names (as [`Level::lookup`] gives it).
    fn template(&'static self) -> Option<&'static [Option<&'static Value>]> {
        static CUSTOMER_EMPTY: LazyLock<Vec<Option<&'static Value>>> =
            LazyLock::new(|| CUSTOMER.by_place(customer_template()));
        static INFO_EMPTY: LazyLock<Vec<Option<&'static Value>>> =
            LazyLock::new(|| INFO.by_place(info_template()));
        if std::ptr::eq(self, &CUSTOMER) {
            Some(&CUSTOMER_EMPTY)
        } else if std::ptr::eq(self, &INFO) {
            Some(&INFO_EMPTY)
        } else {
            None
        }
    }

    /// Each of the level's names' value in `values`, by the name's place.
    fn by_place(&self, values: &'static JsonMap) -> Vec<Option<&'static Value>> {
        self.keys
            .iter()
            .copied()
            .chain(self.relations.iter().map(|(k, _)| *k))
            .take(64)
            .map(|k| values.get(k))
            .collect()
    }

    /// [`Level::key`], with the name's place among the level's names (below 64).
    fn lookup(&self, name: &str) -> Option<(u32, &'static str)> {
        // No two names of a level are equal ignoring case (a test says so): the exact
        // name, when given, is the only match.
        let same_length = self.by_len().get(name.len())?;
        same_length
            .iter()
            .find(|(_, k)| *k == name)
            .or_else(|| {
                same_length
                    .iter()
                    .find(|(_, k)| k.eq_ignore_ascii_case(name))
            })
            .copied()
    }

    fn by_len(&self) -> &[Vec<(u32, &'static str)>] {
        self.by_len.get_or_init(|| {
            let names = self
                .keys
                .iter()
                .copied()
                .chain(self.relations.iter().map(|(k, _)| *k));
            let mut by_len: Vec<Vec<(u32, &'static str)>> = Vec::new();
            for (place, k) in (0u32..64).zip(names) {
                if by_len.len() <= k.len() {
                    by_len.resize_with(k.len() + 1, Vec::new);
                }
                by_len[k.len()].push((place, k));
            }
            by_len
        })
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
    by_len: OnceLock::new(),
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
    by_len: OnceLock::new(),
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
    by_len: OnceLock::new(),
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
    by_len: OnceLock::new(),
};

pub static EMAIL: Level = Level {
    name: "Email",
    keys: &["ID", "EmailAddress", "Description", "Deleted"],
    relations: &[],
    by_len: OnceLock::new(),
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
    by_len: OnceLock::new(),
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
    by_len: OnceLock::new(),
};

pub static CURRENCY: Level = Level {
    name: "CurrencyCode",
    keys: &["ID", "Code", "Name", "ShortCode", "Description"],
    relations: &[],
    by_len: OnceLock::new(),
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
