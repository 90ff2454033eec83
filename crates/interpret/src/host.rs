//! Host arrays: what the interpreter takes and returns, one variant per dtype an
//! operand may have on the host.

use half::bf16;
use ndarray::{Array, ArrayD, Dimension};
use pallas_flash_ir::DType;
use pallas_flash_runtime::{Buffer, Client, Element};

use crate::Error;

/// An ndarray of one of the operand dtypes (`f32`, `bf16` via [`half::bf16`], `i32`,
/// `i8`). Build one with `HostArray::from(array)`; read one with [`HostArray::get`].
#[derive(Clone, Debug, PartialEq)]
pub enum HostArray {
    F32(ArrayD<f32>),
    Bf16(ArrayD<bf16>),
    I32(ArrayD<i32>),
    I8(ArrayD<i8>),
}

/// Element types a [`HostArray`] can hold.
pub trait HostElement: Element {
    const DTYPE: DType;
    fn wrap(array: ArrayD<Self>) -> HostArray;
    fn unwrap(array: &HostArray) -> Option<&ArrayD<Self>>;
}

macro_rules! host_elements {
    ($($rust:ty => $variant:ident),* $(,)?) => {$(
        impl HostElement for $rust {
            const DTYPE: DType = DType::$variant;
            fn wrap(array: ArrayD<Self>) -> HostArray {
                HostArray::$variant(array)
            }
            fn unwrap(array: &HostArray) -> Option<&ArrayD<Self>> {
                match array {
                    HostArray::$variant(a) => Some(a),
                    _ => None,
                }
            }
        }
    )*};
}
host_elements!(f32 => F32, bf16 => Bf16, i32 => I32, i8 => I8);

impl<T: HostElement, D: Dimension> From<Array<T, D>> for HostArray {
    fn from(array: Array<T, D>) -> Self {
        T::wrap(array.into_dyn())
    }
}

/// Applies `$f` to the array inside whichever variant `$a` is.
macro_rules! each {
    ($a:expr, $x:ident => $f:expr) => {
        match $a {
            HostArray::F32($x) => $f,
            HostArray::Bf16($x) => $f,
            HostArray::I32($x) => $f,
            HostArray::I8($x) => $f,
        }
    };
}

impl HostArray {
    pub fn dtype(&self) -> DType {
        match self {
            HostArray::F32(_) => DType::F32,
            HostArray::Bf16(_) => DType::Bf16,
            HostArray::I32(_) => DType::I32,
            HostArray::I8(_) => DType::I8,
        }
    }

    pub fn shape(&self) -> &[usize] {
        each!(self, a => a.shape())
    }

    /// The array if it holds `T`.
    pub fn get<T: HostElement>(&self) -> Option<&ArrayD<T>> {
        T::unwrap(self)
    }

    /// Every element as `f64` (exact for all four dtypes), for comparing with
    /// [`crate::reference`].
    pub fn to_f64(&self) -> ArrayD<f64> {
        match self {
            HostArray::F32(a) => a.mapv(f64::from),
            HostArray::Bf16(a) => a.mapv(f64::from),
            HostArray::I32(a) => a.mapv(f64::from),
            HostArray::I8(a) => a.mapv(f64::from),
        }
    }

    pub(crate) fn upload(&self, client: &Client) -> Result<Buffer, Error> {
        Ok(each!(self, a => client.upload(a.view()))?)
    }

    pub(crate) fn download(buffer: &Buffer, dtype: DType) -> Result<HostArray, Error> {
        Ok(match dtype {
            DType::F32 => HostArray::F32(buffer.download()?),
            DType::Bf16 => HostArray::Bf16(buffer.download()?),
            DType::I32 => HostArray::I32(buffer.download()?),
            _ => HostArray::I8(buffer.download()?),
        })
    }
}
