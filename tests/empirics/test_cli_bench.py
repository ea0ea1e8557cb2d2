"""`pelg bench` (empirics/cli_bench.py, bench/suite.py): bad input is a one-line error that writes
nothing; a minimal run records device, versions, settings and one row per implementation and PE, with
no MFU where the device's bf16 peak is unknown (the CPU). Speeds are recorded, never asserted."""
from __future__ import annotations

import json

import pytest
import torch

from empirics.cli import main
from empirics.cli_bench import _suite


@pytest.mark.parametrize("argv,match", [
    (["--sizes", "3x3"], "unknown model size '3x3'; valid: 12x768, 2x64, 6x256"),
    (["--pes", "rope,zz"], "unknown positional encoding 'zz'"),
    (["--parts", "train,x"], "unknown bench part 'x'; valid: batched, eval, train"),
    (["--steps", "0"], "--steps must be a positive integer, got 0"),
    (["--device", "tpu"], "unknown device 'tpu'"),
    (["--sizes", ","], "--sizes is empty"),
])
def test_bad_bench_options_are_one_line_errors(argv, match, tmp_path, capsys):
    out = tmp_path / "b.json"
    assert main(["bench", "--quick", *argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("pelg: error: ") and match in err and "\n" not in err
    assert not out.exists()


def test_a_minimal_bench_run_records_rows_device_and_versions(tmp_path, capsys):
    out = tmp_path / "b.json"
    assert main(["bench", "--quick", "--json", "--pes", "nope,alibi", "--steps", "1", "--parts", "train",
                 "--threads", "1", "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert json.loads(capsys.readouterr().out) == result  # --json prints what it writes
    assert result["device"]["type"] == "cpu" and result["device"]["bf16_peak_flops"] is None
    assert result["env"]["torch"] == torch.__version__
    assert result["settings"]["precision"] == "fp32" and result["settings"]["sizes"] == ["2x64"]
    rows = {(r["impl"], r["pe"]): r for r in result["train"]}
    assert set(rows) >= {("plain", "nope"), ("pelg", "nope"), ("pelg", "alibi")}
    assert all(r["tokens_per_s"] > 0 and r["mfu"] is None for r in rows.values())
    assert set(result["ratios"]["pelg_nope_over_plain"]) == {"2x64"}
    assert result["batched"] is None and result["evaluation"] is None  # parts not asked for
    text = _suite().table(result)
    assert "pelg_nope_over_plain: 2x64" in text and "alibi" in text


def test_ratios_divide_tokens_per_second_of_the_same_size_and_pe():
    rows = [{"size": "2x64", "impl": "plain", "pe": "nope", "tokens_per_s": 200.0},
            {"size": "2x64", "impl": "pelg", "pe": "nope", "tokens_per_s": 100.0},
            {"size": "2x64", "impl": "pelg", "pe": "rope", "tokens_per_s": 90.0},
            {"size": "2x64", "impl": "x-transformers", "pe": "rope", "tokens_per_s": 60.0}]
    assert _suite().ratios(rows) == {"pelg_nope_over_plain": {"2x64": 0.5},
                                     "pelg_over_xtransformers": {"2x64/rope": 1.5}}


def test_mfu_uses_the_datasheet_peak_of_the_named_device():
    suite = _suite()
    peaks = dict(suite.PEAK_BF16)
    assert next(p for k, p in suite.PEAK_BF16 if k in "NVIDIA H200") == peaks["H200"] == 989.4e12
    assert next(p for k, p in suite.PEAK_BF16 if k in "NVIDIA H100 PCIe") == 756.0e12
    model = suite._plain("2x64", torch.device("cpu"))[0]
    n = sum(p.numel() for p in model.parameters()) - model.embed.weight.numel()
    assert suite.flops_per_token(model, 2, 64, 256) == 6 * n + 12 * 2 * 64 * 256
