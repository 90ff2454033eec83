//! `PJRT_NamedValue`: the key/value lists PJRT uses for options and attributes.

use crate::api::string_from;
use crate::sys::{self, args};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::ffi::CString;

/// One attribute or option value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Value {
    Str(String),
    Int(i64),
    IntList(Vec<i64>),
    Float(f32),
    Bool(bool),
}

impl Value {
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(v) => Some(*v),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(v) => Some(*v as f64),
            Value::Float(v) => Some(f64::from(*v)),
            _ => None,
        }
    }
}

/// Reads a plugin-owned array of named values.
///
/// # Safety
/// `values` must be null or point to `count` valid `PJRT_NamedValue`s.
pub(crate) unsafe fn read_all(
    values: *const sys::PJRT_NamedValue,
    count: usize,
) -> BTreeMap<String, Value> {
    if values.is_null() {
        return BTreeMap::new();
    }
    std::slice::from_raw_parts(values, count)
        .iter()
        .filter_map(|nv| {
            let name = string_from(nv.name, nv.name_size);
            let v = &nv.__bindgen_anon_1;
            let value = match nv.type_ {
                sys::PJRT_NamedValue_kString => {
                    Value::Str(string_from(v.string_value, nv.value_size))
                }
                sys::PJRT_NamedValue_kInt64 => Value::Int(v.int64_value),
                sys::PJRT_NamedValue_kInt64List if v.int64_array_value.is_null() => {
                    Value::IntList(vec![])
                }
                sys::PJRT_NamedValue_kInt64List => Value::IntList(
                    std::slice::from_raw_parts(v.int64_array_value, nv.value_size).to_vec(),
                ),
                sys::PJRT_NamedValue_kFloat => Value::Float(v.float_value),
                sys::PJRT_NamedValue_kBool => Value::Bool(v.bool_value),
                _ => return None,
            };
            Some((name, value))
        })
        .collect()
}

/// Named values built from Rust, keeping the strings they point into alive.
pub(crate) struct OwnedNamedValues {
    _storage: Vec<(CString, Option<CString>, Vec<i64>)>,
    values: Vec<sys::PJRT_NamedValue>,
}

impl OwnedNamedValues {
    pub(crate) fn new(options: &[(String, Value)]) -> Self {
        let mut storage = Vec::with_capacity(options.len());
        let mut values = Vec::with_capacity(options.len());
        for (name, value) in options {
            let name = CString::new(name.as_str()).unwrap_or_default();
            let text = match value {
                Value::Str(s) => Some(CString::new(s.as_str()).unwrap_or_default()),
                _ => None,
            };
            let list = match value {
                Value::IntList(l) => l.clone(),
                _ => vec![],
            };
            let mut nv = args!(PJRT_NamedValue {
                name: name.as_ptr(),
                name_size: name.as_bytes().len()
            });
            match value {
                Value::Str(_) => {
                    let text = text.as_ref().expect("string value stored above");
                    nv.type_ = sys::PJRT_NamedValue_kString;
                    nv.__bindgen_anon_1.string_value = text.as_ptr();
                    nv.value_size = text.as_bytes().len();
                }
                Value::Int(i) => {
                    nv.type_ = sys::PJRT_NamedValue_kInt64;
                    nv.__bindgen_anon_1.int64_value = *i;
                    nv.value_size = 1;
                }
                Value::IntList(_) => {
                    nv.type_ = sys::PJRT_NamedValue_kInt64List;
                    nv.__bindgen_anon_1.int64_array_value = list.as_ptr();
                    nv.value_size = list.len();
                }
                Value::Float(f) => {
                    nv.type_ = sys::PJRT_NamedValue_kFloat;
                    nv.__bindgen_anon_1.float_value = *f;
                    nv.value_size = 1;
                }
                Value::Bool(b) => {
                    nv.type_ = sys::PJRT_NamedValue_kBool;
                    nv.__bindgen_anon_1.bool_value = *b;
                    nv.value_size = 1;
                }
            }
            // Moving a CString or Vec does not move its heap data, so the pointers stay valid.
            storage.push((name, text, list));
            values.push(nv);
        }
        OwnedNamedValues {
            _storage: storage,
            values,
        }
    }

    pub(crate) fn as_ptr(&self) -> *const sys::PJRT_NamedValue {
        self.values.as_ptr()
    }

    pub(crate) fn len(&self) -> usize {
        self.values.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owned_values_round_trip_through_the_c_layout() {
        let input = vec![
            ("a".to_string(), Value::Str("hello".into())),
            ("b".to_string(), Value::Int(-7)),
            ("c".to_string(), Value::IntList(vec![1, 2, 3])),
            ("d".to_string(), Value::Float(1.5)),
            ("e".to_string(), Value::Bool(true)),
        ];
        let owned = OwnedNamedValues::new(&input);
        let back = unsafe { read_all(owned.as_ptr(), owned.len()) };
        assert_eq!(back, input.into_iter().collect());
    }
}
