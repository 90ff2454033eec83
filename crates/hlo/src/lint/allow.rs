//! Allowlists: the findings a project accepts, so CI fails only on new ones.
//!
//! One rule per line, `KERNEL KIND MAX`, where KERNEL is a kernel label with `*`
//! wildcards, KIND a finding kind (`copy`, `async-copy`, `pad`, ...), a cause
//! (`relayout`, `pad`, `slice`, `convert`) or `*`, and MAX how many such findings are
//! tolerated across everything checked. A name that is both a kind and a cause matches
//! findings of either. `#` starts a comment.
//!
//! ```text
//! # flash attention at head_dim 96 is known to relayout q, k, v and the output
//! flash_attention  copy  4
//! # a scanned model slices each layer's q, k, v out of the stacked residuals
//! flash_mha_bwd_*  slice 6
//! legacy_*         *     100
//! ```

use super::{Cause, Finding, FindingKind, KernelReport, Report};
use std::str::FromStr;
use thiserror::Error;

/// One allowlist line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub kernel: String,
    /// A finding kind or cause name; `None` matches every finding.
    pub kind: Option<&'static str>,
    pub max: usize,
}

impl Rule {
    fn matches(&self, kernel: &KernelReport, finding: &Finding) -> bool {
        glob(&self.kernel, &kernel.kernel)
            && self
                .kind
                .is_none_or(|k| k == finding.kind.name() || k == finding.cause.name())
    }
}

/// Every name a rule's KIND may take: the finding kinds, then the causes not yet listed.
fn kind_names() -> Vec<&'static str> {
    let mut names: Vec<&str> = FindingKind::ALL.iter().map(|k| k.name()).collect();
    for cause in Cause::ALL {
        if !names.contains(&cause.name()) {
            names.push(cause.name());
        }
    }
    names
}

/// A parsed allowlist; the empty list allows nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Allowlist {
    pub rules: Vec<Rule>,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("allowlist line {line}: {message}")]
pub struct AllowlistError {
    pub line: usize,
    pub message: String,
}

/// A finding no rule had room for.
#[derive(Debug, Clone, Copy)]
pub struct Excess<'r> {
    /// Index of the report in the slice given to [`Allowlist::excess`].
    pub report: usize,
    pub kernel: &'r KernelReport,
    pub finding: &'r Finding,
}

impl FromStr for Allowlist {
    type Err = AllowlistError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut rules = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let line = raw.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let err = |message: String| AllowlistError {
                line: index + 1,
                message,
            };
            let fields: Vec<&str> = line.split_whitespace().collect();
            let [kernel, kind, max] = fields[..] else {
                return Err(err(format!("expected `KERNEL KIND MAX`, found {line:?}")));
            };
            let known = kind_names();
            let kind = match kind {
                "*" => None,
                name => Some(*known.iter().find(|k| **k == name).ok_or_else(|| {
                    err(format!(
                        "unknown kind {name:?} (known: {}, or *)",
                        known.join(", ")
                    ))
                })?),
            };
            let max = max
                .parse()
                .map_err(|_| err(format!("MAX must be a count, found {max:?}")))?;
            rules.push(Rule {
                kernel: kernel.to_string(),
                kind,
                max,
            });
        }
        Ok(Self { rules })
    }
}

impl Allowlist {
    /// Charges each finding to the first matching rule with room left, across all
    /// reports, and returns those that found none. Empty means CI passes.
    pub fn excess<'r>(&self, reports: &'r [Report]) -> Vec<Excess<'r>> {
        let mut used = vec![0usize; self.rules.len()];
        let mut out = Vec::new();
        for (index, report) in reports.iter().enumerate() {
            for (kernel, finding) in report.findings() {
                let room = self
                    .rules
                    .iter()
                    .enumerate()
                    .find(|(i, r)| used[*i] < r.max && r.matches(kernel, finding));
                match room {
                    Some((i, _)) => used[i] += 1,
                    None => out.push(Excess {
                        report: index,
                        kernel,
                        finding,
                    }),
                }
            }
        }
        out
    }
}

/// `*` matches any run of characters; everything else matches itself.
fn glob(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let middle: Vec<&str> = parts.collect();
    let Some((last, middle)) = middle.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::Side;

    fn report(kinds: &[FindingKind]) -> Report {
        let finding = |kind| Finding {
            kind,
            cause: match kind {
                FindingKind::Pad => Cause::Pad,
                FindingKind::RelayoutFusion => Cause::Slice,
                _ => Cause::Relayout,
            },
            cure: String::new(),
            side: Side::Feed,
            operand: Some(0),
            instruction: "copy".into(),
            computation: "main".into(),
            line: 1,
            bytes: Some(4),
            from: "f32[]".into(),
            to: "f32[]".into(),
        };
        Report {
            module: "m".into(),
            kernels: vec![KernelReport {
                kernel: "flash_attention".into(),
                instruction: "flash_attention.1".into(),
                computation: "main".into(),
                target: "tpu_custom_call".into(),
                findings: kinds.iter().copied().map(finding).collect(),
            }],
        }
    }

    #[test]
    fn counts_per_rule_across_reports() {
        let allow: Allowlist = "flash_*  copy 3  # known\n* pad 1".parse().unwrap();
        let reports = [
            report(&[FindingKind::Copy; 2]),
            report(&[FindingKind::Copy, FindingKind::Pad]),
        ];
        assert!(allow.excess(&reports).is_empty());
        let reports = [report(&[FindingKind::Copy; 4])];
        assert_eq!(allow.excess(&reports).len(), 1);
        assert_eq!(Allowlist::default().excess(&reports).len(), 4);
    }

    #[test]
    fn rules_match_kinds_or_causes() {
        let reports = [report(&[FindingKind::RelayoutFusion, FindingKind::Copy])];
        let slices: Allowlist = "* slice 1".parse().unwrap();
        assert_eq!(slices.excess(&reports).len(), 1);
        let relayouts: Allowlist = "* relayout 1\n* relayout-fusion 1".parse().unwrap();
        assert!(relayouts.excess(&reports).is_empty());
        assert!("* convert 1".parse::<Allowlist>().is_ok());
    }

    #[test]
    fn bad_lines_say_where() {
        assert_eq!("\n\nx copy".parse::<Allowlist>().unwrap_err().line, 3);
        assert!("x copies 1"
            .parse::<Allowlist>()
            .unwrap_err()
            .message
            .contains("async-copy"));
        assert!("x * -1".parse::<Allowlist>().is_err());
    }

    #[test]
    fn globs() {
        assert!(glob("*", ""));
        assert!(glob("flash*", "flash_attention"));
        assert!(glob("*attention", "flash_attention"));
        assert!(glob("f*a*n", "flash_attention"));
        assert!(!glob("f*x*n", "flash_attention"));
        assert!(!glob("ab*ba", "aba"));
        assert!(glob("exact", "exact") && !glob("exact", "exactly"));
    }
}
