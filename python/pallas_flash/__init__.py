"""Pallas-Flash: TPU kernels compiled by Rust, callable from JAX (`pallas_flash.jax`).

`pallas_flash._native` is the Rust extension: for a kernel configuration it returns the
`tpu_custom_call` backend_config, the operand and result types, and the interpret
StableHLO of the CPU path (`KernelCall`).
"""

from pallas_flash._native import KernelCall, Operand, flash_attention, flash_decoding

__all__ = ["KernelCall", "Operand", "flash_attention", "flash_decoding"]
