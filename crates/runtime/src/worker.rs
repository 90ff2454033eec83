//! Isolated compilation: a worker process compiles and sends back a [`CompileReport`], so
//! that a libtpu abort (a `Check failed`, SIGABRT) becomes [`Error::CompileCrashed`] instead
//! of killing the caller. The worker is also the only place the static profile can be taken,
//! because libtpu reads `LIBTPU_INIT_ARGS` once per process.
//!
//! Protocol: the parent writes one JSON [`CompileRequest`] to the worker's stdin; the worker
//! writes one line `RESULT_PREFIX` + JSON `Result<WorkerOutput, Error>` to stdout. Everything
//! else the plugin prints goes to stderr, whose tail is kept for crash reports.

use crate::error::{Error, Result};
use crate::executable::CompileReport;
use crate::options::CompileOptions;
use crate::plugin::Plugin;
use crate::profile::StaticProfile;
use crate::program::Program;
use crate::topology::Topology;
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Marks the worker's answer on stdout.
const RESULT_PREFIX: &str = "PALLAS_FLASH_WORKER_RESULT ";
/// Lines of worker stderr kept in errors.
const STDERR_TAIL_LINES: usize = 40;
/// Name of the worker binary built from this crate.
pub const WORKER_BINARY: &str = "pallas-flash-worker";

/// What to compile, for which topology, and whether to take the static profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompileRequest {
    /// A TPU topology name such as `v5e:1x1`.
    pub topology: String,
    /// StableHLO text or bytecode.
    #[serde(with = "base64_bytes")]
    pub program: Vec<u8>,
    pub options: CompileOptions,
    /// Run libtpu's static LLO profiler (slower; docs/design.md §8 lists its caveats).
    pub static_profile: bool,
    /// The libtpu to use; the pinned one (or `$PALLAS_FLASH_LIBTPU`) when `None`.
    pub plugin: Option<PathBuf>,
}

impl CompileRequest {
    pub fn new(topology: &str, program: &Program, options: CompileOptions) -> Self {
        CompileRequest {
            topology: topology.to_string(),
            program: program.code().to_vec(),
            options,
            static_profile: false,
            plugin: None,
        }
    }

    /// Also take libtpu's static cycle estimate.
    pub fn with_static_profile(mut self) -> Self {
        self.static_profile = true;
        self
    }
}

/// What a worker sends back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkerOutput {
    pub report: CompileReport,
    pub profile: Option<StaticProfile>,
}

/// Runs compiles in worker processes. Cheap to clone; each compile is one process.
#[derive(Debug, Clone)]
pub struct IsolatedCompiler {
    program: PathBuf,
    args: Vec<String>,
    timeout: Option<Duration>,
}

impl IsolatedCompiler {
    /// Finds `pallas-flash-worker`: `$PALLAS_FLASH_WORKER`, else next to the running
    /// executable or one directory up (where cargo puts binaries for test executables).
    pub fn new() -> Result<Self> {
        if let Some(path) = std::env::var_os("PALLAS_FLASH_WORKER") {
            return Ok(Self::with_worker(PathBuf::from(path), &[]));
        }
        let exe =
            std::env::current_exe().map_err(|e| Error::io("locating the running executable", e))?;
        let candidates: Vec<PathBuf> = exe
            .ancestors()
            .skip(1)
            .take(2)
            .map(|dir| dir.join(WORKER_BINARY))
            .collect();
        candidates
            .iter()
            .find(|p| p.is_file())
            .map(|p| Self::with_worker(p.clone(), &[]))
            .ok_or_else(|| Error::Worker {
                message: format!(
                    "{WORKER_BINARY} not found (looked in {}): build it with \
                     `cargo build -p pallas-flash-runtime --bin {WORKER_BINARY}` or set PALLAS_FLASH_WORKER",
                    candidates.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
                ),
            })
    }

    /// Uses `program args…` as the worker; it must call [`serve`] (e.g. a hidden CLI
    /// subcommand).
    pub fn with_worker(program: impl Into<PathBuf>, args: &[&str]) -> Self {
        IsolatedCompiler {
            program: program.into(),
            args: args.iter().map(|s| s.to_string()).collect(),
            timeout: None,
        }
    }

    /// Kills a worker that takes longer than `timeout`.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    pub fn compile(&self, request: &CompileRequest) -> Result<WorkerOutput> {
        let mut child = Command::new(&self.program)
            .args(&self.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| {
                Error::io(
                    format!("starting compile worker {}", self.program.display()),
                    e,
                )
            })?;
        let input = serde_json::to_vec(request).map_err(|e| Error::Worker {
            message: e.to_string(),
        })?;
        let mut stdin = child.stdin.take().expect("stdin is piped");
        // A worker that dies before reading its request shows up in the exit status below.
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
        let stdout = read_in_background(child.stdout.take().expect("stdout is piped"));
        let stderr = read_in_background(child.stderr.take().expect("stderr is piped"));
        let status = self.wait(&mut child)?;
        let _ = writer.join();
        let stdout = stdout.join().unwrap_or_default();
        let stderr_tail = tail(&stderr.join().unwrap_or_default());
        if let Some(signal) = std::os::unix::process::ExitStatusExt::signal(&status) {
            return Err(Error::CompileCrashed {
                signal,
                signal_name: signal_name(signal),
                stderr_tail,
            });
        }
        let line = stdout
            .lines()
            .find_map(|l| l.strip_prefix(RESULT_PREFIX))
            .ok_or_else(|| Error::Worker {
                message: format!(
                    "worker exited with {status} without a result; stderr:\n{stderr_tail}"
                ),
            })?;
        serde_json::from_str::<Result<WorkerOutput>>(line).map_err(|e| Error::Worker {
            message: format!("unreadable worker result: {e}"),
        })?
    }

    fn wait(&self, child: &mut std::process::Child) -> Result<std::process::ExitStatus> {
        let started = Instant::now();
        loop {
            if let Some(status) = child
                .try_wait()
                .map_err(|e| Error::io("waiting for the compile worker", e))?
            {
                return Ok(status);
            }
            if self.timeout.is_some_and(|t| started.elapsed() > t) {
                let _ = child.kill();
                let _ = child.wait();
                return Err(Error::Worker {
                    message: format!(
                        "compile timed out after {:?}",
                        self.timeout.unwrap_or_default()
                    ),
                });
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

fn read_in_background(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(STDERR_TAIL_LINES)..].join("\n")
}

fn signal_name(signal: i32) -> String {
    match signal {
        libc::SIGABRT => "SIGABRT",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGILL => "SIGILL",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGTERM => "SIGTERM",
        _ => "signal",
    }
    .to_string()
}

/// The worker's main: reads one request from stdin, compiles, prints the result. Returns the
/// process exit code (0 when a result, success or error, was written).
pub fn serve() -> i32 {
    let mut input = String::new();
    let result = std::io::stdin()
        .read_to_string(&mut input)
        .map_err(|e| Error::io("reading the compile request", e))
        .and_then(|_| {
            serde_json::from_str::<CompileRequest>(&input).map_err(|e| Error::Worker {
                message: format!("bad request: {e}"),
            })
        })
        .and_then(|request| run(&request));
    match serde_json::to_string(&result) {
        Ok(json) => {
            println!("{RESULT_PREFIX}{json}");
            0
        }
        Err(e) => {
            eprintln!("cannot encode the worker result: {e}");
            2
        }
    }
}

fn run(request: &CompileRequest) -> Result<WorkerOutput> {
    let profile_dir = if request.static_profile {
        let dir = tempfile::Builder::new()
            .prefix("pallas-flash-profile-")
            .tempdir()
            .map_err(|e| Error::io("creating the profile dir", e))?;
        enable_static_profile(dir.path());
        Some(dir)
    } else {
        None
    };
    let plugin = match &request.plugin {
        Some(path) => Plugin::load(path)?,
        None => Plugin::libtpu()?,
    };
    let topology = Topology::tpu(&plugin, &request.topology)?;
    let started = Instant::now();
    let executable = crate::compile(
        &topology,
        &Program::mlir_bytecode(request.program.clone()),
        &request.options,
    )?;
    let report = executable.report(started.elapsed().as_secs_f64())?;
    let profile = profile_dir
        .as_ref()
        .map(|dir| StaticProfile::read_dir(dir.path()))
        .transpose()?;
    Ok(WorkerOutput { report, profile })
}

/// Adds the profile flag to `LIBTPU_INIT_ARGS`; must run before libtpu initializes.
fn enable_static_profile(dir: &Path) {
    let flag = format!("--xla_jf_dump_static_llo_profile_to={}", dir.display());
    let value = match std::env::var("LIBTPU_INIT_ARGS") {
        Ok(existing) if !existing.trim().is_empty() => format!("{existing} {flag}"),
        _ => flag,
    };
    std::env::set_var("LIBTPU_INIT_ARGS", value);
}

/// Serde adapter: bytes as a base64 string (compact in JSON).
pub(crate) mod base64_bytes {
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(serde::de::Error::custom)
    }
}
