//! Running child commands with a visible command line and a readable failure.

use std::process::Command;

/// Runs `cargo <args>` with extra environment, inheriting stdio.
pub fn cargo(args: &[&str], env: &[(String, String)]) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command.args(args).current_dir(crate::plugins::repo_root());
    for (key, value) in env {
        command.env(key, value);
    }
    run(&mut command)
}

/// Runs a command to completion; a non-zero exit is an error naming the command.
pub fn run(command: &mut Command) -> Result<(), String> {
    let shown = format!("{command:?}");
    println!("+ {shown}");
    let status = command
        .status()
        .map_err(|e| format!("could not start {shown}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{shown} failed with {status}"))
    }
}

/// Whether `program` can be started at all (e.g. `python3 --version`).
pub fn available(program: &str, probe_args: &[&str]) -> bool {
    Command::new(program)
        .args(probe_args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}
