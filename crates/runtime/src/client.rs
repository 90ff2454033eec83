//! Executing programs on a plugin with devices: upload host arrays, compile, execute,
//! download. Tested here with the CPU plugin; the same code runs on a TPU host with libtpu.

use crate::api::{string_from, Api};
use crate::compile::CompileInput;
use crate::element::{Element, ElementType};
use crate::error::{Error, Result};
use crate::executable::Executable;
use crate::options::CompileOptions;
use crate::plugin::Plugin;
use crate::program::Program;
use crate::sys::{self, args};
use ndarray::{ArrayD, ArrayView, Dimension, IxDyn};
use std::sync::Arc;

/// A PJRT client: the devices of one plugin in this process.
#[derive(Clone)]
pub struct Client {
    inner: Arc<ClientInner>,
}

struct ClientInner {
    plugin: Plugin,
    raw: *mut sys::PJRT_Client,
}

// SAFETY: PJRT clients are thread-safe by contract.
unsafe impl Send for ClientInner {}
unsafe impl Sync for ClientInner {}

impl Drop for ClientInner {
    fn drop(&mut self) {
        let api = self.plugin.api();
        let _ = api.call(
            "PJRT_Client_Destroy",
            api.raw().PJRT_Client_Destroy,
            &mut args!(PJRT_Client_Destroy_Args { client: self.raw }),
        );
    }
}

/// An array on a device. Reusable across executions (inputs are never donated).
pub struct Buffer {
    client: Client,
    raw: *mut sys::PJRT_Buffer,
}

// SAFETY: PJRT buffers may be used from any thread.
unsafe impl Send for Buffer {}
unsafe impl Sync for Buffer {}

/// A program compiled and loaded onto the client's devices.
pub struct LoadedExecutable {
    client: Client,
    raw: *mut sys::PJRT_LoadedExecutable,
    num_outputs: usize,
    optimized_hlo_text: Option<String>,
}

// SAFETY: loaded executables may be executed concurrently by contract.
unsafe impl Send for LoadedExecutable {}
unsafe impl Sync for LoadedExecutable {}

impl Client {
    pub fn new(plugin: &Plugin) -> Result<Client> {
        let api = plugin.api();
        let mut a = args!(PJRT_Client_Create_Args {});
        api.call("PJRT_Client_Create", api.raw().PJRT_Client_Create, &mut a)?;
        Ok(Client {
            inner: Arc::new(ClientInner {
                plugin: plugin.clone(),
                raw: a.client,
            }),
        })
    }

    fn api(&self) -> Api {
        self.inner.plugin.api()
    }

    /// E.g. `cpu` or `tpu`.
    pub fn platform_name(&self) -> Result<String> {
        let api = self.api();
        let mut a = args!(PJRT_Client_PlatformName_Args {
            client: self.inner.raw
        });
        api.call(
            "PJRT_Client_PlatformName",
            api.raw().PJRT_Client_PlatformName,
            &mut a,
        )?;
        // SAFETY: string owned by the client.
        Ok(unsafe { string_from(a.platform_name, a.platform_name_size) })
    }

    fn devices(&self) -> Result<&[*mut sys::PJRT_Device]> {
        let api = self.api();
        let mut a = args!(PJRT_Client_AddressableDevices_Args {
            client: self.inner.raw
        });
        api.call(
            "PJRT_Client_AddressableDevices",
            api.raw().PJRT_Client_AddressableDevices,
            &mut a,
        )?;
        if a.addressable_devices.is_null() {
            return Ok(&[]);
        }
        // SAFETY: the list is owned by the client, which outlives the returned slice.
        Ok(unsafe { std::slice::from_raw_parts(a.addressable_devices, a.num_addressable_devices) })
    }

    /// Number of devices this process can use.
    pub fn device_count(&self) -> Result<usize> {
        Ok(self.devices()?.len())
    }

    /// Copies a host array to the first device.
    pub fn upload<T: Element, D: Dimension>(&self, array: ArrayView<'_, T, D>) -> Result<Buffer> {
        let device = *self.devices()?.first().ok_or_else(|| Error::HostData {
            message: "the client has no addressable device".into(),
        })?;
        let contiguous = array.as_standard_layout();
        let dims: Vec<i64> = contiguous.shape().iter().map(|&d| d as i64).collect();
        let api = self.api();
        let mut a = args!(PJRT_Client_BufferFromHostBuffer_Args {
            client: self.inner.raw,
            data: contiguous.as_ptr().cast(),
            type_: T::TYPE.to_raw(),
            dims: dims.as_ptr(),
            num_dims: dims.len(),
            host_buffer_semantics: sys::PJRT_HostBufferSemantics_kImmutableUntilTransferCompletes,
            device: device,
        });
        api.call(
            "PJRT_Client_BufferFromHostBuffer",
            api.raw().PJRT_Client_BufferFromHostBuffer,
            &mut a,
        )?;
        let buffer = Buffer {
            client: self.clone(),
            raw: a.buffer,
        };
        // The host array must stay alive until the copy is done.
        await_event(
            api,
            a.done_with_host_buffer,
            "PJRT_Client_BufferFromHostBuffer",
        )?;
        Ok(buffer)
    }

    /// Compiles `program` for this client's devices.
    pub fn compile(&self, program: &Program, options: &CompileOptions) -> Result<LoadedExecutable> {
        let mut input = CompileInput::new(program, options)?;
        let pjrt_program = input.program();
        let api = self.api();
        let mut a = args!(PJRT_Client_Compile_Args {
            client: self.inner.raw,
            program: &pjrt_program,
            compile_options: input.options.as_ptr().cast(),
            compile_options_size: input.options.len(),
        });
        api.call("PJRT_Client_Compile", api.raw().PJRT_Client_Compile, &mut a)?;
        let mut loaded = LoadedExecutable {
            client: self.clone(),
            raw: a.executable,
            num_outputs: 0,
            optimized_hlo_text: input.optimized_hlo()?,
        };
        loaded.num_outputs = loaded.executable()?.num_outputs()?;
        Ok(loaded)
    }
}

/// Waits for an event (if any) and frees it.
fn await_event(api: Api, event: *mut sys::PJRT_Event, operation: &str) -> Result<()> {
    if event.is_null() {
        return Ok(());
    }
    let waited = api.call(
        operation,
        api.raw().PJRT_Event_Await,
        &mut args!(PJRT_Event_Await_Args { event: event }),
    );
    let _ = api.call(
        "PJRT_Event_Destroy",
        api.raw().PJRT_Event_Destroy,
        &mut args!(PJRT_Event_Destroy_Args { event: event }),
    );
    waited
}

impl Buffer {
    pub fn dims(&self) -> Result<Vec<usize>> {
        let api = self.client.api();
        let mut a = args!(PJRT_Buffer_Dimensions_Args { buffer: self.raw });
        api.call(
            "PJRT_Buffer_Dimensions",
            api.raw().PJRT_Buffer_Dimensions,
            &mut a,
        )?;
        if a.dims.is_null() {
            return Ok(vec![]);
        }
        // SAFETY: owned by the buffer.
        Ok(unsafe { std::slice::from_raw_parts(a.dims, a.num_dims) }
            .iter()
            .map(|&d| d as usize)
            .collect())
    }

    pub fn element_type(&self) -> Result<ElementType> {
        let api = self.client.api();
        let mut a = args!(PJRT_Buffer_ElementType_Args { buffer: self.raw });
        api.call(
            "PJRT_Buffer_ElementType",
            api.raw().PJRT_Buffer_ElementType,
            &mut a,
        )?;
        Ok(ElementType::from_raw(a.type_))
    }

    /// Copies the buffer back into a host array of `T`, which must match its element type.
    pub fn download<T: Element>(&self) -> Result<ArrayD<T>> {
        let element_type = self.element_type()?;
        if element_type != T::TYPE {
            return Err(Error::HostData {
                message: format!(
                    "the buffer holds {element_type:?}, not {:?}: download it as its own type",
                    T::TYPE
                ),
            });
        }
        let dims = self.dims()?;
        let len: usize = dims.iter().product();
        let mut host = vec![T::default(); len];
        let api = self.client.api();
        let mut a = args!(PJRT_Buffer_ToHostBuffer_Args {
            src: self.raw,
            dst: host.as_mut_ptr().cast(),
            dst_size: std::mem::size_of_val(host.as_slice()),
        });
        api.call(
            "PJRT_Buffer_ToHostBuffer",
            api.raw().PJRT_Buffer_ToHostBuffer,
            &mut a,
        )?;
        await_event(api, a.event, "PJRT_Buffer_ToHostBuffer")?;
        ArrayD::from_shape_vec(IxDyn(&dims), host).map_err(|e| Error::HostData {
            message: e.to_string(),
        })
    }
}

impl Drop for Buffer {
    fn drop(&mut self) {
        let api = self.client.api();
        let _ = api.call(
            "PJRT_Buffer_Destroy",
            api.raw().PJRT_Buffer_Destroy,
            &mut args!(PJRT_Buffer_Destroy_Args { buffer: self.raw }),
        );
    }
}

impl LoadedExecutable {
    /// The compiled program behind this loaded executable (memory stats, optimized program…).
    pub fn executable(&self) -> Result<Executable> {
        let api = self.client.api();
        let mut a = args!(PJRT_LoadedExecutable_GetExecutable_Args {
            loaded_executable: self.raw
        });
        api.call(
            "PJRT_LoadedExecutable_GetExecutable",
            api.raw().PJRT_LoadedExecutable_GetExecutable,
            &mut a,
        )?;
        Ok(Executable::new(
            self.client.inner.plugin.clone(),
            a.executable,
            self.optimized_hlo_text.clone(),
        ))
    }

    pub fn optimized_hlo_text(&self) -> Option<&str> {
        self.optimized_hlo_text.as_deref()
    }

    /// Runs on the first device; returns one buffer per output. Inputs stay valid.
    pub fn execute(&self, inputs: &[&Buffer]) -> Result<Vec<Buffer>> {
        let api = self.client.api();
        let arguments: Vec<*mut sys::PJRT_Buffer> = inputs.iter().map(|b| b.raw).collect();
        let argument_lists = [arguments.as_ptr()];
        let mut outputs = vec![std::ptr::null_mut::<sys::PJRT_Buffer>(); self.num_outputs];
        let output_lists = [outputs.as_mut_ptr()];
        let mut complete = [std::ptr::null_mut::<sys::PJRT_Event>()];
        // Never donate inputs: callers reuse them across executions.
        let keep: Vec<i64> = (0..inputs.len() as i64).collect();
        let mut options = args!(PJRT_ExecuteOptions {
            non_donatable_input_indices: keep.as_ptr(),
            num_non_donatable_input_indices: keep.len(),
        });
        let mut a = args!(PJRT_LoadedExecutable_Execute_Args {
            executable: self.raw,
            options: &mut options,
            argument_lists: argument_lists.as_ptr(),
            num_devices: 1,
            num_args: inputs.len(),
            output_lists: output_lists.as_ptr(),
            device_complete_events: complete.as_mut_ptr(),
        });
        api.call(
            "PJRT_LoadedExecutable_Execute",
            api.raw().PJRT_LoadedExecutable_Execute,
            &mut a,
        )?;
        let buffers: Vec<Buffer> = outputs
            .into_iter()
            .map(|raw| Buffer {
                client: self.client.clone(),
                raw,
            })
            .collect();
        await_event(api, complete[0], "PJRT_LoadedExecutable_Execute")?;
        Ok(buffers)
    }
}

impl Drop for LoadedExecutable {
    fn drop(&mut self) {
        let api = self.client.api();
        let _ = api.call(
            "PJRT_LoadedExecutable_Destroy",
            api.raw().PJRT_LoadedExecutable_Destroy,
            &mut args!(PJRT_LoadedExecutable_Destroy_Args {
                executable: self.raw
            }),
        );
    }
}
