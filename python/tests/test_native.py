"""The Rust side as Python sees it: the backend_config is byte-identical to what the
`pallas-flash` command compiles, and Rust errors are ValueErrors with the same text."""

import subprocess

import pytest

import pallas_flash


def mlir_string(text):
    """`text` as the MLIR string literal the program carries."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


@pytest.mark.parametrize(
    "kind,catalog", [("forward", "flash-attention"), ("backward", "flash-attention-backward")]
)
def test_backend_config_is_byte_identical_to_the_cli(tmp_path, cli, kind, catalog):
    flags = ["--heads", "4", "--kv-heads", "2", "--seq", "256", "--head-dim", "128", "--causal"]
    subprocess.run(
        [cli, "compile", catalog, *flags, "--no-profile", "--out", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    program = (tmp_path / "program.stablehlo.mlir").read_text()
    calls = pallas_flash.flash_attention(kind, 1, 4, 2, 256, 256, 128, causal=True)
    assert len(calls) == program.count("@tpu_custom_call(")
    for call in calls:
        assert f'backend_config = "{mlir_string(call.backend_config)}"' in program, call.name


def test_operands_results_and_the_interpret_program():
    (fwd,) = pallas_flash.flash_attention("forward", 2, 4, 2, 256, 256, 64, dtype="float32")
    assert [(o.name, o.shape, o.dtype) for o in fwd.operands] == [
        ("q", [2, 4, 256, 64], "float32"),
        ("k", [2, 2, 256, 64], "float32"),
        ("v", [2, 2, 256, 64], "float32"),
    ]
    assert [(r.name, r.shape, r.dtype) for r in fwd.results] == [
        ("o", [2, 4, 256, 64], "float32"),
        ("lse", [2, 4, 256, 128], "float32"),
    ]
    assert '"needs_layout_passes": true' in fwd.backend_config.replace(":true", ": true")
    assert "func.func public @main" in fwd.interpret_stablehlo
    assert "tensor<6xi32>" in fwd.interpret_stablehlo  # the diagnostic record, last
    dq, dkv = pallas_flash.flash_attention("backward", 1, 2, 2, 256, 256, 128)
    assert [o.name for o in dq.operands] == ["q", "k", "v", "o", "do", "lse"]
    assert [r.name for r in dkv.results] == ["dk", "dv"]


def test_rust_errors_are_value_errors_with_the_rust_text():
    with pytest.raises(ValueError, match=r"block_q"):
        pallas_flash.flash_attention("forward", 1, 2, 2, 256, 256, 128, block_q=100)
    with pytest.raises(ValueError, match="unsupported dtype `float16`"):
        pallas_flash.flash_attention("forward", 1, 2, 2, 256, 256, 128, dtype="float16")
    with pytest.raises(ValueError, match="known targets"):
        pallas_flash.flash_attention("forward", 1, 2, 2, 256, 256, 128, target="v9")
