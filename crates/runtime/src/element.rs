//! Element types of device buffers and the Rust types that match them.

use crate::sys;

/// A buffer's element type (`PJRT_Buffer_Type`), for the types this project uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ElementType {
    Pred,
    S8,
    S32,
    S64,
    U8,
    U32,
    F16,
    Bf16,
    F32,
    F64,
    F8E4M3FN,
    F8E5M2,
    /// Any other PJRT type, by its raw value.
    Other(u32),
}

impl ElementType {
    pub(crate) fn from_raw(raw: sys::PJRT_Buffer_Type) -> Self {
        use ElementType::*;
        match raw {
            sys::PJRT_Buffer_Type_PRED => Pred,
            sys::PJRT_Buffer_Type_S8 => S8,
            sys::PJRT_Buffer_Type_S32 => S32,
            sys::PJRT_Buffer_Type_S64 => S64,
            sys::PJRT_Buffer_Type_U8 => U8,
            sys::PJRT_Buffer_Type_U32 => U32,
            sys::PJRT_Buffer_Type_F16 => F16,
            sys::PJRT_Buffer_Type_BF16 => Bf16,
            sys::PJRT_Buffer_Type_F32 => F32,
            sys::PJRT_Buffer_Type_F64 => F64,
            sys::PJRT_Buffer_Type_F8E4M3FN => F8E4M3FN,
            sys::PJRT_Buffer_Type_F8E5M2 => F8E5M2,
            other => Other(other),
        }
    }

    pub(crate) fn to_raw(self) -> sys::PJRT_Buffer_Type {
        use ElementType::*;
        match self {
            Pred => sys::PJRT_Buffer_Type_PRED,
            S8 => sys::PJRT_Buffer_Type_S8,
            S32 => sys::PJRT_Buffer_Type_S32,
            S64 => sys::PJRT_Buffer_Type_S64,
            U8 => sys::PJRT_Buffer_Type_U8,
            U32 => sys::PJRT_Buffer_Type_U32,
            F16 => sys::PJRT_Buffer_Type_F16,
            Bf16 => sys::PJRT_Buffer_Type_BF16,
            F32 => sys::PJRT_Buffer_Type_F32,
            F64 => sys::PJRT_Buffer_Type_F64,
            F8E4M3FN => sys::PJRT_Buffer_Type_F8E4M3FN,
            F8E5M2 => sys::PJRT_Buffer_Type_F8E5M2,
            Other(raw) => raw,
        }
    }
}

/// A Rust scalar that can be copied to and from a device buffer bit for bit.
///
/// # Safety
/// `Self` must have exactly the size and bit layout of `TYPE`'s elements, and every bit
/// pattern the device may produce must be a valid `Self`.
pub unsafe trait Element: Copy + Default + Send + Sync + 'static {
    const TYPE: ElementType;
}

macro_rules! element {
    ($($rust:ty => $pjrt:ident),* $(,)?) => {
        $(
            // SAFETY: same size and IEEE / two's-complement layout as the PJRT type.
            unsafe impl Element for $rust {
                const TYPE: ElementType = ElementType::$pjrt;
            }
        )*
    };
}

element! {
    i8 => S8,
    i32 => S32,
    i64 => S64,
    u8 => U8,
    u32 => U32,
    half::f16 => F16,
    half::bf16 => Bf16,
    f32 => F32,
    f64 => F64,
}
