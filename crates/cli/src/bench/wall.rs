//! The memory wall: the longest sequence whose program still compiles within one chip's
//! HBM, found by bisection on libtpu's compile-time HBM OOM (E1000).

use serde::Serialize;

use crate::error::CliError;

/// What one compile at sequence length `seq` said.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Probe {
    pub seq: usize,
    /// `Some(bytes)`: compiled, with this much HBM (arguments + outputs + temporaries).
    /// `None`: HBM OOM.
    pub hbm_bytes: Option<u64>,
    /// For an OOM, the HBM libtpu said it would need, when its message says.
    pub needed_bytes: Option<u64>,
}

impl Probe {
    pub fn fits(&self) -> bool {
        self.hbm_bytes.is_some()
    }
}

/// The bisection's result: every probe, and the wall between the last fit and first OOM.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Wall {
    pub probes: Vec<Probe>,
    pub last_fit: usize,
    /// `None` when even the upper end compiled.
    pub first_oom: Option<usize>,
}

/// Bisects over multiples of `step` in `[low, high]`. `probe(seq)` compiles at `seq`:
/// `Ok` with a fit or an OOM, `Err` for any other failure (which stops the search: a
/// crash is not a wall). `low` must fit.
pub fn find_wall(
    low: usize,
    high: usize,
    step: usize,
    mut probe: impl FnMut(usize) -> Result<Probe, CliError>,
) -> Result<Wall, CliError> {
    if step == 0
        || low == 0
        || low >= high
        || !low.is_multiple_of(step)
        || !high.is_multiple_of(step)
    {
        return Err(CliError::Flag(format!("memory wall: need 0 < low < high, both multiples of step > 0 (got {low}, {high}, {step})")));
    }
    let mut probes = Vec::new();
    let mut run = |seq: usize, probes: &mut Vec<Probe>| -> Result<bool, CliError> {
        let p = probe(seq)?;
        let fits = p.fits();
        probes.push(p);
        Ok(fits)
    };
    if !run(low, &mut probes)? {
        return Err(CliError::Flag(format!(
            "memory wall: even seq {low} runs out of HBM; start lower"
        )));
    }
    if run(high, &mut probes)? {
        return Ok(Wall {
            probes,
            last_fit: high,
            first_oom: None,
        });
    }
    let (mut fit, mut oom) = (low / step, high / step);
    while oom - fit > 1 {
        let mid = fit + (oom - fit) / 2;
        if run(mid * step, &mut probes)? {
            fit = mid;
        } else {
            oom = mid;
        }
    }
    probes.sort_by_key(|p| p.seq);
    Ok(Wall {
        probes,
        last_fit: fit * step,
        first_oom: Some(oom * step),
    })
}

/// The HBM libtpu said an OOM program needs: `HLO temporaries (33.25G)` → bytes.
pub fn needed_bytes(message: &str) -> Option<u64> {
    let start = message.find("temporaries (")? + "temporaries (".len();
    let rest = &message[start..];
    let end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let value: f64 = rest[..end].parse().ok()?;
    let scale = match rest[end..].chars().next()? {
        'G' => (1u64 << 30) as f64,
        'M' => (1u64 << 20) as f64,
        'K' => 1024.0,
        _ => return None,
    };
    Some((value * scale) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fake compiler: quadratic memory, OOM above `capacity` bytes.
    fn quadratic(
        capacity: u64,
        calls: &mut Vec<usize>,
    ) -> impl FnMut(usize) -> Result<Probe, CliError> + '_ {
        move |seq| {
            calls.push(seq);
            let bytes = (seq as u64).pow(2) * 64;
            let fits = bytes <= capacity;
            Ok(Probe {
                seq,
                hbm_bytes: fits.then_some(bytes),
                needed_bytes: (!fits).then_some(bytes),
            })
        }
    }

    #[test]
    fn bisection_lands_on_the_last_multiple_that_fits() {
        let mut calls = Vec::new();
        // 16 GiB / 64 B = 2^28 = 16384²: 16384 fits, 16512 does not.
        let wall = find_wall(1024, 65536, 128, quadratic(16 << 30, &mut calls)).unwrap();
        assert_eq!((wall.last_fit, wall.first_oom), (16384, Some(16512)));
        assert!(calls.len() <= 2 + 9, "log2(504) + 2 probes, got {calls:?}");
        assert!(wall.probes.windows(2).all(|w| w[0].seq < w[1].seq));
    }

    #[test]
    fn no_wall_below_the_top_and_a_bad_start_are_reported() {
        let mut calls = Vec::new();
        let wall = find_wall(1024, 4096, 1024, quadratic(u64::MAX, &mut calls)).unwrap();
        assert_eq!(
            (wall.last_fit, wall.first_oom, calls.len()),
            (4096, None, 2)
        );
        let err = find_wall(1024, 4096, 1024, quadratic(1, &mut calls)).unwrap_err();
        assert!(err.to_string().contains("start lower"));
        assert!(find_wall(1000, 4096, 128, quadratic(1, &mut calls)).is_err());
    }

    #[test]
    fn other_failures_stop_the_search() {
        let failing = |seq: usize| {
            if seq > 2048 {
                Err(CliError::Flag("worker crashed".into()))
            } else {
                Ok(Probe {
                    seq,
                    hbm_bytes: Some(1),
                    needed_bytes: None,
                })
            }
        };
        assert!(find_wall(1024, 8192, 1024, failing)
            .unwrap_err()
            .to_string()
            .contains("crashed"));
    }

    #[test]
    fn reads_the_needed_hbm_from_libtpus_message() {
        let message =
            "E1000: CompileTimeHbmOom: ... HLO temporaries (33.25G) exceeds available HBM (15.75G)";
        assert_eq!(
            needed_bytes(message),
            Some((33.25 * (1u64 << 30) as f64) as u64)
        );
        assert_eq!(needed_bytes("no numbers"), None);
    }
}
