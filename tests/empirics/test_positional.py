"""Every torch PE module (empirics.positional) against its theory function (theory.encodings).

The modules cache theory tables in float32 and evaluate learned formulas in torch; each test feeds
per-batch *different* position ids (as the randomized / Scale Hint schemes do), positions beyond the
module's initial cache (so table growth is exercised), and compares every entry with the numpy
float64 theory value computed row by row.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from empirics.errors import PelgError
from empirics.model import ModelConfig, Transformer
from empirics.positional import build_pe
from theory import encodings as E

ATOL = 1e-5  # float32 tables / float32 formulas against float64 theory


def batch_positions(seed: int, batch: int, length: int, top: int) -> torch.Tensor:
    """(batch, length) sorted distinct random positions in [0, top), different per row."""
    rng = np.random.default_rng(seed)
    rows = [np.sort(rng.choice(top, size=length, replace=False)) for _ in range(batch)]
    pos = torch.as_tensor(np.stack(rows), dtype=torch.long)
    assert not torch.equal(pos[0], pos[1])  # the rows really differ
    return pos


def assert_close(actual: torch.Tensor, expected: np.ndarray, atol=ATOL, rtol=0.0):
    np.testing.assert_allclose(actual.detach().double().numpy(), expected, atol=atol, rtol=rtol)


# ----------------------------------------------------------------------------- embedding hook
@pytest.mark.parametrize("layout", ["half", "interleaved"])
@pytest.mark.parametrize("base", [10000.0, 100.0])
def test_sinusoidal_module_equals_theory(layout, base):
    pe = build_pe("sinusoidal", 16, 2, causal=True, options={"layout": layout, "base": base})
    assert pe.hook == "embedding"
    pos = batch_positions(0, 3, 20, 150)  # beyond the initial 64-row cache
    out = pe.embed(pos)
    assert out.shape == (3, 20, 16)
    for b in range(3):
        assert_close(out[b], pe.scale * E.sinusoidal_table(pos[b].numpy(), 16, base=base, layout=layout))


def test_sinusoidal_layouts_differ():
    """Guards the layout test above: the two layouts are genuinely different tables."""
    pos = torch.arange(1, 6)[None]
    half = build_pe("sinusoidal", 8, 1, True, {"layout": "half", "scale": "none"}).embed(pos)
    inter = build_pe("sinusoidal", 8, 1, True, {"layout": "interleaved", "scale": "none"}).embed(pos)
    assert (half - inter).abs().max() > 0.1


@pytest.mark.parametrize("options", [{"n_max": 32}, {"n_max": 40, "wavelet": "haar", "normalize": "unit"}])
def test_wavelet_module_equals_theory(options):
    pe = build_pe("wavelet", 24, 2, causal=True, options=options)
    pos = batch_positions(1, 2, 30, 100)
    out = pe.embed(pos)
    kw = {"wavelet": options.get("wavelet", "db4"), "normalize": options.get("normalize", "none")}
    for b in range(2):
        expected = E.wavelet_table(pos[b].numpy(), 24, options["n_max"], **kw)
        assert np.abs(expected).max() > 0.1  # non-trivial rows
        assert_close(out[b], pe.scale * expected)


@pytest.mark.parametrize("beyond", ["clamp", "extend"])
@pytest.mark.parametrize("orthonormal", [False, True])
def test_legendre_module_equals_theory(beyond, orthonormal):
    pe = build_pe("legendre", 8, 2, causal=True,
                  options={"n_max": 32, "beyond": beyond, "orthonormal": orthonormal})
    pos = batch_positions(2, 2, 15, 48)  # some positions beyond n_max = 32
    out = pe.embed(pos)
    for b in range(2):
        expected = E.legendre_table(pos[b].numpy(), 8, 32, beyond=beyond, orthonormal=orthonormal)
        # "extend" grows like x^7 beyond n_max: relative tolerance for float32
        assert_close(out[b], pe.scale * expected, atol=ATOL, rtol=1e-6)


def test_learned_module_equals_theory_lookup():
    pe = build_pe("learned", 8, 2, causal=True, options={"max_positions": 40})
    pos = batch_positions(3, 3, 12, 40)
    table = pe.weight.detach().double().numpy()
    out = pe.embed(pos)
    for b in range(3):
        np.testing.assert_array_equal(out[b].detach().double().numpy(),
                                      E.learned_table_lookup(table, pos[b].numpy()))
    # the last row exists
    assert pe.embed(torch.tensor([[39]])).shape == (1, 1, 8)


@pytest.mark.parametrize("bad", [40, 41, 1000, -1])
def test_learned_module_raises_beyond_table(bad):
    """Never a silent clamp: theory raises PositionOutOfRange, the module PelgError."""
    pe = build_pe("learned", 8, 2, causal=True, options={"max_positions": 40})
    pos = torch.tensor([[0, 1, 2], [3, 4, bad]])
    with pytest.raises(PelgError, match=str(bad)):
        pe.embed(pos)
    with pytest.raises(E.PositionOutOfRange):
        E.learned_table_lookup(pe.weight.detach().numpy(), pos[1].numpy())


def test_learned_model_raises_on_long_input():
    model = Transformer(ModelConfig(vocab_size=10, pe="learned", pe_options={"max_positions": 8},
                                    n_head=2, d_model=16, d_ff=32))
    x = torch.zeros(1, 8, dtype=torch.long)
    model(x, torch.arange(8)[None])  # 0..7 fits
    with pytest.raises(PelgError):
        model(torch.zeros(1, 9, dtype=torch.long), torch.arange(9)[None])


# ----------------------------------------------------------------------------- q/k hook
@pytest.mark.parametrize("layout", ["half", "interleaved"])
@pytest.mark.parametrize("fraction", [1.0, 0.5, 0.25])
def test_rope_rotate_equals_theory(layout, fraction):
    H, dh = 2, 16
    pe = build_pe("rope", H * dh, H, causal=True, options={"layout": layout, "fraction": fraction})
    assert pe.hook == "qk"
    pos = batch_positions(4, 3, 10, 100)
    x = torch.randn(3, H, 10, dh, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    for role in ("query", "key"):
        out = pe.rotate(x, pos, role)
        for b in range(3):
            expected = E.rope_rotate(x[b].numpy(), pos[b].numpy(), fraction=fraction, layout=layout)
            assert_close(out[b], expected)
    # the rotation did something, and only on the first d_rot dims
    d_rot = E.rope_rotary_dims(dh, fraction)
    assert (out[..., :d_rot] - x[..., :d_rot]).abs().max() > 0.1
    assert torch.equal(out[..., d_rot:], x[..., d_rot:])


@pytest.mark.parametrize("layout", ["half", "interleaved"])
@pytest.mark.parametrize("fraction", [1.0, 0.5])
def test_xpos_rotate_equals_theory(layout, fraction):
    H, dh = 2, 8
    opts = {"layout": layout, "fraction": fraction, "gamma": 0.3, "scale_base": 32.0, "base": 500.0}
    pe = build_pe("xpos", H * dh, H, causal=True, options=opts)
    pos = batch_positions(5, 2, 9, 90)
    x = torch.randn(2, H, 9, dh, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    kw = {k: opts[k] for k in ("layout", "fraction", "gamma", "scale_base", "base")}
    for role in ("query", "key"):
        out = pe.rotate(x, pos, role)
        for b in range(2):
            expected = E.xpos_rotate(x[b].numpy(), pos[b].numpy(), role, **kw)
            scale = max(1.0, np.abs(expected).max())
            assert_close(out[b], expected, atol=ATOL * scale)
            # xPos genuinely differs from RoPE here (so the scale is tested)
            rope = E.rope_rotate(x[b].numpy(), pos[b].numpy(), base=500.0, fraction=fraction, layout=layout)
            assert np.abs(expected - rope).max() > 0.1


def test_rope_works_in_float32_model_dtype():
    pe = build_pe("rope", 16, 2, causal=True)
    x = torch.randn(1, 2, 5, 8)
    out = pe.rotate(x, torch.arange(5)[None], "query")
    assert out.dtype == torch.float32
    assert_close(out[0], E.rope_rotate(x[0].double().numpy(), np.arange(5)), atol=1e-5)


# ----------------------------------------------------------------------------- bias hook
def test_alibi_symmetric_equals_theory():
    H = 6  # not a power of two
    pe = build_pe("alibi", 12, H, causal=False)
    assert pe.hook == "bias"
    pos = batch_positions(6, 3, 11, 60)
    out = pe.bias(pos, pos)
    assert out.shape == (3, H, 11, 11)
    for b in range(3):
        assert_close(out[b], E.alibi_bias(pos[b].numpy(), pos[b].numpy(), E.alibi_slopes(H), symmetric=True))


def test_alibi_causal_lower_triangle_equals_theory():
    H = 4
    pe = build_pe("alibi", 16, H, causal=True)
    pos = batch_positions(7, 2, 10, 50)
    out = pe.bias(pos, pos)
    for b in range(2):
        expected = E.alibi_bias(pos[b].numpy(), pos[b].numpy(), E.alibi_slopes(H), symmetric=False)
        lower = np.isfinite(expected)
        np.testing.assert_array_equal(lower, np.broadcast_to(np.tril(np.ones((10, 10), bool)), lower.shape))
        assert_close(out[b][torch.as_tensor(lower)], expected[lower])


def test_alibi_model_mask_equals_theory_with_causal_minus_inf():
    """The model's float attention mask (bias + causal -inf) is exactly theory.alibi_bias(causal)."""
    H = 4
    model = Transformer(ModelConfig(vocab_size=10, pe="alibi", n_head=H, d_model=16, d_ff=32))
    pos = batch_positions(8, 2, 7, 30)
    mask = model.attention_mask(pos, None, 7, "cpu")
    for b in range(2):
        expected = E.alibi_bias(pos[b].numpy(), pos[b].numpy(), E.alibi_slopes(H), symmetric=False)
        m = mask[b].double().numpy()
        np.testing.assert_array_equal(np.isinf(m), np.isinf(expected))
        np.testing.assert_allclose(m[np.isfinite(m)], expected[np.isfinite(expected)], atol=ATOL, rtol=0)


@pytest.mark.parametrize("causal", [False, True])
def test_t5_bias_equals_theory(causal):
    H, nb, md = 3, 16, 40
    pe = build_pe("t5", 12, H, causal=causal, options={"num_buckets": nb, "max_distance": md})
    with torch.no_grad():
        pe.table.weight.copy_(torch.randn(nb, H, generator=torch.Generator().manual_seed(2)))
    table = pe.table.weight.detach().double().numpy()
    # small positions first (bucket cache of span 64), then far ones (cache must grow)
    for seed, top in ((9, 30), (10, 400)):
        pos = batch_positions(seed, 2, 12, top)
        out = pe.bias(pos, pos)
        assert out.shape == (2, H, 12, 12)
        for b in range(2):
            expected = E.t5_bias(pos[b].numpy(), pos[b].numpy(), table, bidirectional=not causal,
                                 num_buckets=nb, max_distance=md)
            assert_close(out[b], expected)
    # different query and key positions
    q, k = batch_positions(11, 2, 5, 100), batch_positions(12, 2, 7, 100)
    out = pe.bias(q, k)
    for b in range(2):
        expected = E.t5_bias(q[b].numpy(), k[b].numpy(), table, bidirectional=not causal,
                             num_buckets=nb, max_distance=md)
        assert_close(out[b], expected)


def test_t5_direction_matters():
    """Guards the T5 test: bidirectional and causal bucketing give different biases."""
    pos = torch.arange(10)[None]
    a = build_pe("t5", 8, 2, causal=False)
    c = build_pe("t5", 8, 2, causal=True)
    c.load_state_dict(a.state_dict())
    assert (a.bias(pos, pos) - c.bias(pos, pos)).abs().max() > 0


@pytest.mark.parametrize("kind", ["log", "power"])
@pytest.mark.parametrize("causal", [False, True])
def test_kerple_bias_equals_theory(kind, causal):
    H = 3
    pe = build_pe(f"kerple_{kind}", 12, H, causal=causal)
    with torch.no_grad():
        g = torch.Generator().manual_seed(3)
        pe.raw_r1.copy_(torch.randn(H, generator=g))
        pe.raw_r2.copy_(torch.randn(H, generator=g))
    r1, r2 = (c.detach().double().numpy() for c in pe.coefficients())
    # the coefficients are the documented reparametrisation, independently computed
    raw1, raw2 = pe.raw_r1.detach().double().numpy(), pe.raw_r2.detach().double().numpy()
    np.testing.assert_allclose(r1, np.log1p(np.exp(raw1)), rtol=1e-6)
    np.testing.assert_allclose(r2, np.log1p(np.exp(raw2)) if kind == "log" else 2 / (1 + np.exp(-raw2)),
                               rtol=1e-6)
    pos = batch_positions(13, 2, 10, 80)
    out = pe.bias(pos, pos)
    for b in range(2):
        expected = E.kerple_bias(pos[b].numpy(), pos[b].numpy(), r1, r2, kind=kind, symmetric=not causal)
        assert_close(out[b], expected, atol=ATOL * max(1.0, np.abs(expected).max()))
        assert np.abs(expected).max() > 0.1


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("c, L", [(1.0, 1.0), (0.5, 6.0)])
def test_fire_bias_equals_theory(causal, c, L):
    H = 3
    pe = build_pe("fire", 12, H, causal=causal, options={"hidden": 8, "c": c, "L": L})
    W1, b1 = pe.mlp[0].weight.detach().double().numpy(), pe.mlp[0].bias.detach().double().numpy()
    W2, b2 = pe.mlp[2].weight.detach().double().numpy(), pe.mlp[2].bias.detach().double().numpy()
    pos = batch_positions(14, 2, 9, 70)
    out = pe.bias(pos, pos)
    assert out.shape == (2, H, 9, 9)
    for b in range(2):
        expected = E.fire_bias(pos[b].numpy(), pos[b].numpy(), W1, b1, W2, b2, c=c, L=L, symmetric=not causal)
        assert_close(out[b], expected)
    # position-dependent (not a constant bias), so the comparison above is informative
    assert out.std() > 1e-3


def test_nope_has_no_hook_and_unknown_options_rejected():
    assert build_pe("nope", 8, 2, causal=True).hook == "none"
    with pytest.raises(PelgError, match="fraction"):
        build_pe("rope", 8, 2, causal=True, options={"fractoin": 0.5})
    with pytest.raises(PelgError, match="half"):
        build_pe("rope", 8, 2, causal=True, options={"layout": "diagonal"})
