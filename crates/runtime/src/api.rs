//! Calling into a plugin's `PJRT_Api` table: one place that turns a returned `PJRT_Error*`
//! into an [`Error`] (and frees it).

use crate::error::{Error, ErrorCode, Result};
use crate::sys::{self, args};

/// A loaded plugin's function table. The table is static data inside the shared library,
/// which stays loaded for the life of the process (see [`crate::Plugin`]).
#[derive(Clone, Copy)]
pub(crate) struct Api {
    raw: &'static sys::PJRT_Api,
}

// SAFETY: the PJRT C API requires its function table and the calls below to be thread-safe.
unsafe impl Send for Api {}
unsafe impl Sync for Api {}

type PjrtFn<A> = Option<unsafe extern "C" fn(*mut A) -> *mut sys::PJRT_Error>;

impl Api {
    pub(crate) fn new(raw: &'static sys::PJRT_Api) -> Self {
        Api { raw }
    }

    pub(crate) fn raw(&self) -> &'static sys::PJRT_Api {
        self.raw
    }

    pub(crate) fn version(&self) -> (i32, i32) {
        let v = &self.raw.pjrt_api_version;
        (v.major_version, v.minor_version)
    }

    /// Calls one C API entry point; `name` is used in errors.
    pub(crate) fn call<A>(&self, name: &str, function: PjrtFn<A>, args: &mut A) -> Result<()> {
        let function = function.ok_or_else(|| {
            let (api_major, api_minor) = self.version();
            Error::Unsupported {
                function: name.to_string(),
                api_major,
                api_minor,
            }
        })?;
        // SAFETY: `args` is a correctly sized argument struct for `function` (built with `args!`).
        let error = unsafe { function(args) };
        if error.is_null() {
            Ok(())
        } else {
            Err(self.take_error(name, error))
        }
    }

    /// Reads and destroys a `PJRT_Error`.
    pub(crate) fn take_error(&self, operation: &str, error: *mut sys::PJRT_Error) -> Error {
        let mut message = args!(PJRT_Error_Message_Args { error: error });
        let mut code = args!(PJRT_Error_GetCode_Args { error: error });
        // SAFETY: `error` is a live error returned by this plugin; both calls only read it.
        let text = unsafe {
            if let Some(f) = self.raw.PJRT_Error_Message {
                f(&mut message);
            }
            let code_error = self.raw.PJRT_Error_GetCode.map(|f| f(&mut code));
            let text = string_from(message.message, message.message_size);
            if let Some(f) = self.raw.PJRT_Error_Destroy {
                if let Some(code_error) = code_error.filter(|e| !e.is_null()) {
                    f(&mut args!(PJRT_Error_Destroy_Args { error: code_error }));
                }
                f(&mut args!(PJRT_Error_Destroy_Args { error: error }));
            }
            text
        };
        Error::from_pjrt(operation, ErrorCode::from_raw(code.code), text)
    }
}

/// Copies a (pointer, length) string owned by the plugin.
///
/// # Safety
/// `ptr` must be null or point to `len` readable bytes.
pub(crate) unsafe fn string_from(ptr: *const std::os::raw::c_char, len: usize) -> String {
    if ptr.is_null() || len == 0 {
        return String::new();
    }
    String::from_utf8_lossy(std::slice::from_raw_parts(ptr.cast::<u8>(), len)).into_owned()
}
