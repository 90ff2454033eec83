//! # pallas-flash-runtime
//!
//! Thin, safe bindings to the PJRT C API: load a plugin, describe a TPU topology, compile a
//! StableHLO program for it **without a TPU** (libtpu's deviceless compile), read what the
//! compiler produced (optimized HLO, memory stats, static cycle estimate, serialized
//! executable), and execute programs on any plugin with a device (here: the CPU plugin).
//!
//! ```no_run
//! use pallas_flash_runtime::{compile, CompileOptions, Plugin, Program, Topology};
//! let libtpu = Plugin::libtpu()?;
//! let v5e = Topology::tpu(&libtpu, "v5e:1x1")?;
//! let program = Program::mlir_text(std::fs::read_to_string("matmul.mlir").unwrap());
//! let executable = compile(&v5e, &program, &CompileOptions::default())?;
//! println!("{}", executable.optimized_hlo_text().unwrap_or_default());
//! # Ok::<(), pallas_flash_runtime::Error>(())
//! ```
//!
//! ## Thread safety
//! [`Plugin`], [`Topology`], [`Executable`], [`Client`], [`Buffer`] and [`LoadedExecutable`]
//! are `Send + Sync`: the PJRT C API requires plugins to be thread-safe. Plugin loading is
//! serialized internally, and each plugin is initialized once per process.
//!
//! ## Isolation
//! libtpu aborts the process on some inputs. [`IsolatedCompiler`] compiles in a worker
//! process (`pallas-flash-worker`) and turns an abort into [`Error::CompileCrashed`]; the
//! static cycle estimate is only available there, because libtpu reads its profile flag once
//! per process.

mod api;
mod client;
mod compile;
mod element;
mod error;
mod executable;
mod named_value;
mod options;
pub mod pinned;
mod plugin;
mod profile;
mod program;
mod proto;
mod sys;
mod topology;
pub mod worker;

pub use client::{Buffer, Client, LoadedExecutable};
pub use compile::compile;
pub use element::{Element, ElementType};
pub use error::{Error, ErrorCode, Result};
pub use executable::{CompileReport, Executable, MemoryStats};
pub use named_value::Value;
pub use options::{CompileOptions, FlagValue};
pub use plugin::{Plugin, DEVICELESS_ENV, MIN_API_VERSION};
pub use profile::{OpEstimate, StaticProfile};
pub use program::Program;
pub use topology::{DeviceDescription, Topology};
pub use worker::{CompileRequest, IsolatedCompiler, WorkerOutput};
