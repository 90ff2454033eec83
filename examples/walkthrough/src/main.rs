//! The walkthrough's command line: `pallas-flash`'s commands over this crate's kernels.
//!
//! ```text
//! cargo run -p pallas-flash-walkthrough -- kernels
//! cargo run -p pallas-flash-walkthrough -- compile fused-rmsnorm
//! cargo run -p pallas-flash-walkthrough -- tune cosine-retrieval --top 2
//! ```

use pallas_flash::cli::{main_with, Catalog};
use pallas_flash_walkthrough::{CosineRetrieval, FusedRmsNorm};

fn main() -> std::process::ExitCode {
    main_with(
        Catalog::empty()
            .with_kernel(
                "fused-rmsnorm",
                FusedRmsNorm {
                    tokens: 4096,
                    d: 2048,
                    eps: 1e-6,
                },
            )
            .with_kernel("cosine-retrieval", CosineRetrieval::default()),
    )
}
