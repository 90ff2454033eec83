//! Resident set size of this process, from `/proc/self/status` (shared by the leak test and
//! the runtime bench).

/// `VmRSS` in bytes; 0 when the kernel does not report it.
pub fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0);
    kb * 1024
}
