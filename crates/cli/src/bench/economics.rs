//! What a kernel call costs at public on-demand chip prices, and where our kernel breaks even
//! with plain XLA on the same chip.
//!
//! Costs use the *projected* time of a call, `max(static estimate, HBM bytes / spec rate)`
//! (docs/design.md §8): the static model streams HBM faster than the chip, so a memory-bound
//! kernel's estimate alone would understate its cost. They cover the kernel call alone.

use serde::Serialize;

use crate::error::CliError;

/// A chip's public on-demand price.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChipPrice {
    pub chip: String,
    pub usd_per_chip_hour: f64,
    /// Where the price comes from, and as of when.
    pub source: String,
}

/// Google Cloud's on-demand list prices per chip-hour (us-central1), as the project knows
/// them. Not fetched: this machine has no network. `--price CHIP=USD` overrides them.
pub const LIST_PRICES: &[(&str, f64)] = &[("v5e", 1.20), ("v6e", 2.70)];
pub const LIST_PRICE_SOURCE: &str =
    "Google Cloud TPU pricing, on-demand, us-central1; list price as of 2026-12-02 (not re-checked online from here)";

/// The price of every chip the bench reports: the list prices, with `overrides` (from
/// `--price`) replacing or adding chips.
pub fn prices(overrides: &[(String, f64)]) -> Result<Vec<ChipPrice>, CliError> {
    let mut list: Vec<ChipPrice> = LIST_PRICES
        .iter()
        .map(|&(chip, usd)| ChipPrice {
            chip: chip.into(),
            usd_per_chip_hour: usd,
            source: LIST_PRICE_SOURCE.into(),
        })
        .collect();
    for (chip, usd) in overrides {
        if !(usd.is_finite() && *usd > 0.0) {
            return Err(CliError::Flag(format!(
                "--price {chip}={usd}: the price must be a positive number of USD per chip-hour"
            )));
        }
        let given = ChipPrice {
            chip: chip.clone(),
            usd_per_chip_hour: *usd,
            source: "--price (given on the command line)".into(),
        };
        match list.iter_mut().find(|p| &p.chip == chip) {
            Some(p) => *p = given,
            None => list.push(given),
        }
    }
    Ok(list)
}

/// Parses `CHIP=USD` (e.g. `v5e=1.20`).
pub fn parse_price(text: &str) -> Result<(String, f64), String> {
    let (chip, usd) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}`: expected CHIP=USD, e.g. v5e=1.20"))?;
    let usd: f64 = usd
        .trim()
        .parse()
        .map_err(|_| format!("`{text}`: `{usd}` is not a number of USD"))?;
    Ok((chip.trim().to_string(), usd))
}

/// USD per million units (tokens, queries) for a call of `seconds` on `units`, at
/// `usd_per_chip_hour`.
pub fn usd_per_million(usd_per_chip_hour: f64, seconds: f64, units: f64) -> f64 {
    usd_per_chip_hour / 3600.0 * seconds / units * 1e6
}

/// Our kernel against plain XLA on one chip and workload.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BreakEven {
    pub chip: String,
    pub workload: String,
    pub unit: &'static str,
    pub ours_usd_per_million: f64,
    pub xla_usd_per_million: f64,
    /// XLA's projected time over ours: above 1, ours is cheaper at the same price.
    pub xla_over_ours: f64,
    /// The chip-hour price at which our kernel costs per unit what plain XLA costs at the
    /// list price: what a chip could cost and still pay off against XLA.
    pub break_even_usd_per_chip_hour: f64,
}

impl BreakEven {
    pub fn new(
        price: &ChipPrice,
        workload: &str,
        unit: &'static str,
        units: f64,
        ours_seconds: f64,
        xla_seconds: f64,
    ) -> BreakEven {
        let ratio = xla_seconds / ours_seconds;
        BreakEven {
            chip: price.chip.clone(),
            workload: workload.into(),
            unit,
            ours_usd_per_million: usd_per_million(price.usd_per_chip_hour, ours_seconds, units),
            xla_usd_per_million: usd_per_million(price.usd_per_chip_hour, xla_seconds, units),
            xla_over_ours: ratio,
            break_even_usd_per_chip_hour: price.usd_per_chip_hour * ratio,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dollars_per_million_units() {
        // One second per call on 1e6 tokens at $3600/h costs $1 per million tokens.
        assert!((usd_per_million(3600.0, 1.0, 1e6) - 1.0).abs() < 1e-12);
        assert!(
            (usd_per_million(1.2, 1e-3, 2048.0) - 1.2 / 3600.0 * 1e-3 / 2048.0 * 1e6).abs() < 1e-15
        );
    }

    #[test]
    fn list_prices_carry_their_source_and_overrides_replace_them() {
        let list = prices(&[]).unwrap();
        assert_eq!(
            list.iter()
                .map(|p| (p.chip.as_str(), p.usd_per_chip_hour))
                .collect::<Vec<_>>(),
            [("v5e", 1.20), ("v6e", 2.70)]
        );
        assert!(list[0].source.contains("on-demand") && list[0].source.contains("2026-12-02"));
        let given = prices(&[
            parse_price("v6e=2.0").unwrap(),
            parse_price("v5p=4.2").unwrap(),
        ])
        .unwrap();
        assert_eq!(given[1].usd_per_chip_hour, 2.0);
        assert!(given[1].source.contains("--price"));
        assert_eq!(given[2].chip, "v5p");
        assert!(prices(&[("v5e".into(), -1.0)])
            .unwrap_err()
            .to_string()
            .contains("positive number"));
        assert!(parse_price("v5e").unwrap_err().contains("CHIP=USD"));
        assert!(parse_price("v5e=cheap")
            .unwrap_err()
            .contains("not a number"));
    }

    #[test]
    fn break_even_is_the_price_at_which_ours_costs_what_xla_costs() {
        let v5e = &prices(&[]).unwrap()[0];
        // XLA takes 4× our time: our kernel pays off up to 4× the list price.
        let b = BreakEven::new(v5e, "w", "tokens", 2048.0, 1e-4, 4e-4);
        assert!((b.xla_over_ours - 4.0).abs() < 1e-12);
        assert!((b.break_even_usd_per_chip_hour - 4.8).abs() < 1e-12);
        assert!(
            (usd_per_million(b.break_even_usd_per_chip_hour, 1e-4, 2048.0) - b.xla_usd_per_million)
                .abs()
                < 1e-15
        );
    }
}
