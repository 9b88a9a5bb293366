//! Reading the members of a server's JSON object without building a value tree.
//!
//! A parser names the members it uses; each is read into a [`Member`] (its text borrowed from
//! the body when it has no escapes) and every other member is skipped. `serde_json::Value`
//! would allocate every key and value of the body only for the parser to copy a few out.

use std::borrow::Cow;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// The value of one member, as the parsers tell values apart. No `Debug`: it may be a token.
#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) enum Member<'a> {
    /// Absent or `null` (servers send either for "no value").
    #[default]
    Absent,
    /// A string.
    Text(Cow<'a, str>),
    /// A non-negative integer that fits in 64 bits.
    Unsigned(u64),
    /// Anything else: a negative or fractional number, a boolean, an array, an object.
    Other,
}

/// Why a body could not be read as an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NotAnObject {
    /// Well-formed JSON, but not an object.
    OtherJson,
    /// Not JSON at all (HTML, text, a truncated body).
    NotJson,
}

/// Reads the members `names` of the JSON object `body`, in the order of `names`. A member that
/// appears twice counts with its last value, as in any JSON object model (`serde_json::Map`,
/// JavaScript's `JSON.parse`).
pub(crate) fn members<'a, const N: usize>(body: &'a [u8], names: [&str; N]) -> Result<[Member<'a>; N], NotAnObject> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let read = deserializer
        .deserialize_map(Members { names })
        .and_then(|members| deserializer.end().map(|()| members));
    read.map_err(|_| {
        // Refused before the end: see whether the whole body is JSON (an error path only).
        if serde_json::from_slice::<IgnoredAny>(body).is_ok() {
            NotAnObject::OtherJson
        } else {
            NotAnObject::NotJson
        }
    })
}

struct Members<'n, const N: usize> {
    names: [&'n str; N],
}

impl<'de, const N: usize> Visitor<'de> for Members<'_, N> {
    type Value = [Member<'de>; N];

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut values = std::array::from_fn(|_| Member::Absent);
        while let Some(key) = map.next_key::<Key<'de>>()? {
            match self.names.iter().position(|name| *name == key.0) {
                Some(i) => values[i] = map.next_value_seed(MemberSeed)?,
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(values)
    }
}

/// A member name, borrowed unless it has escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(TextVisitor).map(Key)
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }

    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

/// Reads any value into a [`Member`], skipping what it does not keep.
struct MemberSeed;

impl<'de> DeserializeSeed<'de> for MemberSeed {
    type Value = Member<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(MemberVisitor)
    }
}

struct MemberVisitor;

impl<'de> Visitor<'de> for MemberVisitor {
    type Value = Member<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(Member::Absent)
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(Member::Absent)
    }

    fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Member::Text(Cow::Borrowed(v)))
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Member::Text(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Member::Text(Cow::Owned(v)))
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Member::Unsigned(v))
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(u64::try_from(v).map_or(Member::Other, Member::Unsigned))
    }

    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Member::Other)
    }

    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Member::Other)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Member::Other)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Member::Other)
    }

    fn visit_bytes<E: serde::de::Error>(self, _: &[u8]) -> Result<Self::Value, E> {
        Err(E::custom("JSON has no byte strings"))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::Value;

    use super::*;
    use crate::server_input::{body, config};

    const NAMES: [&str; 4] = ["a", "b", "access_token", "exp"];

    /// What a `serde_json::Value` tree says of the same member: the reference.
    fn from_value(value: Option<&Value>) -> Member<'static> {
        match value {
            None | Some(Value::Null) => Member::Absent,
            Some(Value::String(s)) => Member::Text(Cow::Owned(s.clone())),
            Some(v) => v.as_u64().map_or(Member::Other, Member::Unsigned),
        }
    }

    #[test]
    fn members_are_read_borrowed_and_the_rest_skipped() {
        let body = br#"{"z":[1,{"a":2}],"a":"x","b":null,"access_token":"t\u0041","exp":7,"c":{"exp":1}}"#;
        let [a, b, token, exp] = members(body, NAMES).unwrap();
        assert!(matches!(a, Member::Text(Cow::Borrowed("x"))));
        assert!(b == Member::Absent);
        assert!(matches!(token, Member::Text(Cow::Owned(ref t)) if t == "tA"));
        assert!(exp == Member::Unsigned(7));
        let [a, ..] = members(br#"{"a":"first","a":-1}"#, NAMES).unwrap();
        assert!(a == Member::Other, "the last of a repeated member counts");
        assert_eq!(members(b"[1]", NAMES).err(), Some(NotAnObject::OtherJson));
        assert_eq!(members(b"\"text\"", NAMES).err(), Some(NotAnObject::OtherJson));
        for not_json in [&b"<html>"[..], b"{\"a\":", b"{} {}", b"", b"{\"a\":1,}"] {
            assert_eq!(
                members(not_json, NAMES).err(),
                Some(NotAnObject::NotJson),
                "{not_json:?}"
            );
        }
    }

    proptest! {
        #![proptest_config(config())]

        /// Whatever the body, the members read are those of a `serde_json::Value` tree, and a
        /// body is refused exactly when it is not a JSON object.
        #[test]
        fn prop_members_read_what_a_value_tree_holds(body in body()) {
            let tree = serde_json::from_slice::<Value>(&body);
            match (members(&body, NAMES), tree) {
                (Ok(read), Ok(Value::Object(map))) => {
                    for (name, member) in NAMES.iter().zip(read) {
                        prop_assert!(member == from_value(map.get(*name)), "{}", name);
                    }
                }
                (Err(NotAnObject::OtherJson), Ok(other)) => prop_assert!(!other.is_object()),
                (Err(NotAnObject::NotJson), Err(_)) => {}
                (read, tree) => prop_assert!(false, "read {:?}, tree {:?}", read.err(), tree.map(|_| ())),
            }
        }
    }
}
