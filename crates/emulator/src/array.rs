//! Host arrays: a kernel's operands and results as flat data with a shape and element type.

use crate::exec::{round_f32, Data};
use crate::types::Elem;

#[derive(Clone, Debug, PartialEq)]
pub struct HostArray {
    pub elem: Elem,
    pub shape: Vec<usize>,
    /// f32 for every float type (bf16 values exactly), i32 for every integer type.
    pub data: Data,
}

impl HostArray {
    /// A float array of `elem` (values are rounded to it).
    pub fn floats(elem: Elem, shape: Vec<usize>, mut data: Vec<f32>) -> Self {
        data.iter_mut().for_each(|v| *v = round_f32(elem, *v));
        HostArray {
            elem,
            shape,
            data: Data::F(data),
        }
    }

    pub fn ints(elem: Elem, shape: Vec<usize>, data: Vec<i32>) -> Self {
        HostArray {
            elem,
            shape,
            data: Data::I(data),
        }
    }

    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The values as f64 (for comparisons).
    pub fn to_f64(&self) -> Vec<f64> {
        match &self.data {
            Data::F(v) => v.iter().map(|x| f64::from(*x)).collect(),
            Data::I(v) => v.iter().map(|x| f64::from(*x)).collect(),
        }
    }

    /// This array as `elem`, if the conversion is exact or a float rounding: floats of
    /// any width to bf16/f16/f32, integers to a wider integer type.
    pub fn converted(&self, elem: Elem) -> Option<HostArray> {
        if self.elem == elem {
            return Some(self.clone());
        }
        match (&self.data, elem.is_float()) {
            (Data::F(v), true) => Some(HostArray::floats(elem, self.shape.clone(), v.clone())),
            (Data::I(v), false) => match (self.elem, elem) {
                (Elem::Int(a), Elem::Int(b)) if a <= b => {
                    Some(HostArray::ints(elem, self.shape.clone(), v.clone()))
                }
                _ => None,
            },
            _ => None,
        }
    }
}
