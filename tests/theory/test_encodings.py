"""Tests for theory/encodings.py: each PE against an independent computation (closed forms, scipy,
pywavelets, explicit python loops) or an invariance property that could fail."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
import pywt
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import eval_legendre

from theory import encodings as E

FAST = settings(max_examples=60, deadline=None)


# --------------------------------------------------------------------------------------------------
# sinusoidal
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("d", [2, 4, 8, 64, 768])
@pytest.mark.parametrize("layout", ["half", "interleaved"])
def test_sinusoidal_row_norm_is_sqrt_half_d(d, layout):
    pos = np.concatenate([np.arange(0, 2000), [10**6, 123456789]])
    norms = np.linalg.norm(E.sinusoidal_table(pos, d, layout=layout), axis=1)
    np.testing.assert_allclose(norms, math.sqrt(d / 2), rtol=0, atol=1e-9)


@FAST
@given(
    pos=st.lists(st.integers(0, 10**7), min_size=1, max_size=20),
    half_d=st.integers(1, 64),
    base=st.floats(2.0, 1e6),
    layout=st.sampled_from(["half", "interleaved"]),
)
def test_sinusoidal_norm_property(pos, half_d, base, layout):
    t = E.sinusoidal_table(pos, 2 * half_d, base=base, layout=layout)
    assert t.shape == (len(pos), 2 * half_d)
    np.testing.assert_allclose(np.sum(t**2, axis=1), half_d, rtol=1e-12)


def test_sinusoidal_layouts_are_permutations():
    d = 10
    pos = np.arange(50)
    half = E.sinusoidal_table(pos, d, layout="half")
    inter = E.sinusoidal_table(pos, d, layout="interleaved")
    perm = [c for k in range(d // 2) for c in (k, d // 2 + k)]  # interleaved column -> half column
    np.testing.assert_array_equal(inter, half[:, perm])


def test_sinusoidal_known_values():
    # d = 4, base 10000: w = (1, 10000^(-1/2) = 0.01). Numbers computed by hand / to 16 digits.
    got = E.sinusoidal_table([0, 1, 100], 4, layout="half")
    expected = [
        [0.0, 0.0, 1.0, 1.0],
        [0.8414709848078965, 0.009999833334166664, 0.5403023058681398, 0.9999500004166653],
        [-0.5063656411097588, 0.8414709848078965, 0.8623188722876839, 0.5403023058681398],
    ]
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-15)
    inter = E.sinusoidal_table([1], 4, layout="interleaved")[0]
    np.testing.assert_allclose(inter, [0.8414709848078965, 0.5403023058681398, 0.009999833334166664,
                                       0.9999500004166653], atol=1e-15)


# --------------------------------------------------------------------------------------------------
# learned
# --------------------------------------------------------------------------------------------------


def test_learned_lookup_rows_and_out_of_range():
    table = np.arange(12.0).reshape(4, 3)
    np.testing.assert_array_equal(E.learned_table_lookup(table, [3, 0, 0]), [[9, 10, 11], [0, 1, 2], [0, 1, 2]])
    with pytest.raises(E.PositionOutOfRange, match="position 4 .*0..3"):
        E.learned_table_lookup(table, [0, 4])
    with pytest.raises(E.PositionOutOfRange, match="-1"):
        E.learned_table_lookup(table, [-1])
    assert issubclass(E.PositionOutOfRange, ValueError)
    with pytest.raises(ValueError, match="integers"):
        E.learned_table_lookup(table, [0.5])


# --------------------------------------------------------------------------------------------------
# T5 buckets and bias
# --------------------------------------------------------------------------------------------------


def hf_t5_bucket(rel: int, bidirectional: bool, num_buckets: int, max_distance: int) -> int:
    """Independent scalar reimplementation from the HF T5 description (python ints, math.log)."""
    bucket = 0
    n = num_buckets
    if bidirectional:
        n //= 2
        if rel > 0:
            bucket += n
        dist = abs(rel)
    else:
        dist = -min(rel, 0)
    max_exact = n // 2
    if dist < max_exact:
        return bucket + dist
    large = max_exact + int(math.log(dist / max_exact) / math.log(max_distance / max_exact) * (n - max_exact))
    return bucket + min(large, n - 1)


@pytest.mark.parametrize("bidirectional", [True, False])
@pytest.mark.parametrize("num_buckets,max_distance", [(32, 128), (64, 256), (16, 50)])
def test_t5_bucket_matches_independent_reimplementation(bidirectional, num_buckets, max_distance):
    rel = np.arange(-600, 601)
    got = E.t5_relative_bucket(rel, bidirectional, num_buckets, max_distance)
    expected = [hf_t5_bucket(int(r), bidirectional, num_buckets, max_distance) for r in rel]
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, expected)


def test_t5_bucket_unidirectional_boundaries():
    b = lambda r: int(E.t5_relative_bucket(np.array([r]), bidirectional=False)[0])  # noqa: E731
    assert [b(-d) for d in range(16)] == list(range(16))  # exact region 0..15 (Kazemnejad et al.)
    assert b(-16) == 16  # first log bucket
    assert b(-17) == 16  # log(17/16)/log(8)*16 = 0.47
    # bucket 16 + m starts at d = 16 * 8^(m/16): 18.2 (m=1), 20.8 (m=2)
    assert [b(-d) for d in (18, 19, 20, 21)] == [16, 17, 17, 18]
    assert b(-112) == 30 and b(-113) == 31  # last bucket starts at 16 * 8^(15/16) = 112.2
    assert b(-128) == 31 and b(-10**6) == 31
    assert all(b(r) == 0 for r in (1, 5, 10**6))  # future keys -> bucket 0


def test_t5_bucket_bidirectional_boundaries():
    b = lambda r: int(E.t5_relative_bucket(np.array([r]), bidirectional=True)[0])  # noqa: E731
    assert [b(-d) for d in range(8)] == list(range(8))  # exact region 0..7 for past keys
    assert [b(d) for d in range(1, 8)] == list(range(17, 24))  # future keys shifted by 16
    assert b(0) == 0
    assert b(-8) == 8 and b(8) == 24  # first log bucket per sign
    assert b(-90) == 14 and b(-91) == 15  # 8 * 16^(7/8) = 90.5
    assert b(-128) == 15 and b(-10**6) == 15 and b(128) == 31 and b(10**6) == 31
    got = E.t5_relative_bucket(np.arange(-300, 301), bidirectional=True)
    assert set(got[:300]) <= set(range(16)) and set(got[301:]) <= set(range(16, 32))


def test_t5_bias_against_loops():
    rng = np.random.default_rng(0)
    table = rng.normal(size=(32, 3))
    q, k = np.array([0, 5, 40, 200]), np.arange(0, 210, 7)
    for bidir in (True, False):
        got = E.t5_bias(q, k, table, bidirectional=bidir)
        assert got.shape == (3, 4, k.size)
        for h in range(3):
            for a, i in enumerate(q):
                for c, j in enumerate(k):
                    assert got[h, a, c] == table[hf_t5_bucket(int(j - i), bidir, 32, 128), h]


# --------------------------------------------------------------------------------------------------
# ALiBi
# --------------------------------------------------------------------------------------------------


def press_slopes(n: int) -> list[float]:
    """Press et al.'s rule in its geometric form: start = ratio = 2^(-8/n) for a power of two n."""
    if n & (n - 1) == 0:
        start = 2 ** (-(2 ** -(math.log2(n) - 3)))
        return [start * start**i for i in range(n)]
    p = 2 ** math.floor(math.log2(n))
    return press_slopes(p) + press_slopes(2 * p)[0::2][: n - p]


@pytest.mark.parametrize("h", range(1, 17))
def test_alibi_slopes_rule(h):
    got = E.alibi_slopes(h)
    assert got.shape == (h,)
    np.testing.assert_allclose(got, press_slopes(h), rtol=1e-13)
    assert len(set(got.tolist())) == h and np.all((got > 0) & (got < 1))


def test_alibi_slopes_known_lists():
    assert E.alibi_slopes(1).tolist() == [2.0**-8]
    assert E.alibi_slopes(8).tolist() == [2.0**-e for e in range(1, 9)]
    k23 = [2.0**-e for e in (1, 2, 3, 4, 5, 6, 7, 8, 0.5, 1.5, 2.5, 3.5)]  # Kazemnejad et al. 2023, 12 heads
    np.testing.assert_allclose(E.alibi_slopes(12), k23, rtol=1e-15)


def test_alibi_bias_against_loops():
    slopes = E.alibi_slopes(4)
    q, k = np.array([0, 3, 7]), np.arange(9)
    causal = E.alibi_bias(q, k, slopes)
    sym = E.alibi_bias(q, k, slopes, symmetric=True)
    for h in range(4):
        for a, i in enumerate(q):
            for c, j in enumerate(k):
                assert sym[h, a, c] == -slopes[h] * abs(i - j)
                if j <= i:
                    assert causal[h, a, c] == -slopes[h] * (i - j)
                else:
                    assert causal[h, a, c] == -np.inf


# --------------------------------------------------------------------------------------------------
# RoPE and xPos
# --------------------------------------------------------------------------------------------------


def rope_complex(x: np.ndarray, positions, base: float, d_rot: int) -> np.ndarray:
    """Independent RoPE (half layout) as complex multiplication z_k e^{i p theta_k}."""
    h = d_rot // 2
    theta = np.array([base ** (-(2 * k) / d_rot) for k in range(h)])
    z = x[..., :h] + 1j * x[..., h:d_rot]
    z = z * np.exp(1j * np.asarray(positions, dtype=float)[:, None] * theta)
    return np.concatenate([z.real, z.imag, x[..., d_rot:]], axis=-1)


def test_rope_frequencies_and_partial_dims():
    np.testing.assert_allclose(E.rope_inverse_frequencies(8), [1.0, 0.1, 0.01, 0.001], rtol=1e-15)
    inv = E.rope_inverse_frequencies(64, fraction=0.25)  # Kazemnejad et al.: 16 of 64 dims rotated
    np.testing.assert_allclose(inv, [10000.0 ** (-k / 8) for k in range(8)], rtol=1e-14)
    assert E.rope_rotary_dims(100, 0.58) == 58 and E.rope_rotary_dims(10, 0.35) == 2
    np.testing.assert_allclose(E.rope_angles([0, 2], 8), [[0, 0, 0, 0], [2.0, 0.2, 0.02, 0.002]], rtol=1e-15)


@pytest.mark.parametrize("fraction", [1.0, 0.5, 0.25])
def test_rope_matches_complex_form_and_layouts(fraction):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 11, 16))
    pos = rng.integers(0, 5000, size=11)
    d_rot = E.rope_rotary_dims(16, fraction)
    half = E.rope_rotate(x, pos, fraction=fraction, layout="half")
    np.testing.assert_allclose(half, rope_complex(x, pos, 10000.0, d_rot), atol=1e-12)
    # interleaved = half conjugated by the permutation pairing (2k, 2k+1) <-> (k, k + d_rot/2)
    perm = np.array([c for k in range(d_rot // 2) for c in (k, d_rot // 2 + k)] + list(range(d_rot, 16)))
    inter = E.rope_rotate(x[..., perm], pos, fraction=fraction, layout="interleaved")
    np.testing.assert_allclose(inter, half[..., perm], atol=1e-12)


@pytest.mark.parametrize("layout", ["half", "interleaved"])
@pytest.mark.parametrize("fraction", [1.0, 0.5, 0.25])
def test_rope_norms_tail_and_identity(layout, fraction):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(3, 20, 32))
    pos = np.arange(20) * 97
    y = E.rope_rotate(x, pos, fraction=fraction, layout=layout)
    np.testing.assert_allclose(np.linalg.norm(y, axis=-1), np.linalg.norm(x, axis=-1), rtol=1e-12)
    d_rot = E.rope_rotary_dims(32, fraction)
    np.testing.assert_array_equal(y[..., d_rot:], x[..., d_rot:])
    assert not np.allclose(y[:, 1:, :d_rot], x[:, 1:, :d_rot])
    np.testing.assert_array_equal(E.rope_rotate(x, np.zeros(20, int), fraction=fraction, layout=layout), x)


@FAST
@given(
    i=st.integers(0, 4096), j=st.integers(0, 4096), shift=st.integers(-2000, 2000),
    layout=st.sampled_from(["half", "interleaved"]), fraction=st.sampled_from([1.0, 0.5, 0.25]),
    seed=st.integers(0, 2**16),
)
def test_rope_dot_depends_only_on_offset(i, j, shift, layout, fraction, seed):
    rng = np.random.default_rng(seed)
    q, k = rng.normal(size=(2, 1, 16))
    dot = lambda a, b: float(  # noqa: E731
        E.rope_rotate(q, [a], fraction=fraction, layout=layout)[0]
        @ E.rope_rotate(k, [b], fraction=fraction, layout=layout)[0]
    )
    assert dot(i, j) == pytest.approx(dot(i + shift, j + shift), abs=1e-8)


def test_xpos_scale_formula():
    s = E.xpos_scale([0, 512, 1024], 8)
    zeta = (np.arange(0, 8, 2) + 0.4 * 8) / (1.4 * 8)  # torchscale's form of zeta
    np.testing.assert_allclose(s, [np.ones(4), zeta, zeta**2], rtol=1e-14)
    assert E.xpos_scale([5], 64, fraction=0.25).shape == (1, 8)


@FAST
@given(
    i=st.integers(0, 3000), j=st.integers(0, 3000), shift=st.integers(-1000, 1000),
    layout=st.sampled_from(["half", "interleaved"]), fraction=st.sampled_from([1.0, 0.5]),
    seed=st.integers(0, 2**16),
)
def test_xpos_dot_depends_only_on_offset(i, j, shift, layout, fraction, seed):
    rng = np.random.default_rng(seed)
    q, k = rng.normal(size=(2, 1, 16))
    kw = dict(fraction=fraction, layout=layout)
    dot = lambda a, b: float(  # noqa: E731
        E.xpos_rotate(q, [a], "query", **kw)[0] @ E.xpos_rotate(k, [b], "key", **kw)[0]
    )
    assert dot(i, j) == pytest.approx(dot(i + shift, j + shift), rel=1e-9, abs=1e-9)


def test_xpos_scales_pairs_and_decays():
    x = np.ones((1, 8))
    q = E.xpos_rotate(x, [512], "query")
    s = E.xpos_scale([512], 8)[0]
    rot = E.rope_rotate(x, [512])
    np.testing.assert_allclose(q[0], rot[0] * np.concatenate([s, s]), rtol=1e-14)
    np.testing.assert_allclose(E.xpos_rotate(x, [512], "key")[0], rot[0] / np.concatenate([s, s]), rtol=1e-14)
    # closed form for q = k = e_0 (pair (0, 4), frequency 1, zeta_0 = 0.4 / 1.4):
    # q_i . k_j = zeta_0^((i - j)/512) cos(i - j)
    v = np.array([[1.0, 0, 0, 0, 0, 0, 0, 0]])
    for i, j in [(0, 0), (700, 3), (3, 700), (2048, 1000)]:
        dot = float(E.xpos_rotate(v, [i], "query")[0] @ E.xpos_rotate(v, [j], "key")[0])
        assert dot == pytest.approx((0.4 / 1.4) ** ((i - j) / 512) * math.cos(i - j), rel=1e-10)


# --------------------------------------------------------------------------------------------------
# KERPLE and FIRE
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("symmetric", [False, True])
def test_kerple_against_loops(symmetric):
    q, k = [0, 4, 9], [0, 2, 4, 6, 8, 10, 12]
    r1, r2 = np.array([0.5, 2.0]), np.array([1.5, 0.3])
    log = E.kerple_bias(q, k, r1, r2, "log", symmetric)
    power = E.kerple_bias(q, k, r1, r2, "power", symmetric)
    for h in range(2):
        for a, i in enumerate(q):
            for c, j in enumerate(k):
                dist = abs(i - j) if symmetric else max(i - j, 0)
                assert log[h, a, c] == pytest.approx(-r1[h] * math.log(1 + r2[h] * dist), abs=1e-14)
                assert power[h, a, c] == pytest.approx(-r1[h] * dist ** r2[h], abs=1e-14)


@pytest.mark.parametrize("symmetric", [False, True])
def test_fire_against_loops(symmetric):
    rng = np.random.default_rng(3)
    hidden, H = 5, 3
    W1, b1 = rng.normal(size=(hidden, 1)), rng.normal(size=hidden)
    W2, b2 = rng.normal(size=(H, hidden)), rng.normal(size=H)
    q, k = [0, 1, 6, 30], [0, 3, 6, 29, 31]
    c, L = 0.7, 4.0
    got = E.fire_bias(q, k, W1, b1, W2, b2, c=c, L=L, symmetric=symmetric)
    assert got.shape == (H, 4, 5)
    for a, i in enumerate(q):
        for e, j in enumerate(k):
            dist = abs(i - j) if symmetric else max(i - j, 0)
            u = math.log(c * dist + 1) / math.log(c * max(L, i) + 1)
            hid = [max(W1[m, 0] * u + b1[m], 0.0) for m in range(hidden)]
            for h in range(H):
                expect = sum(W2[h, m] * hid[m] for m in range(hidden)) + b2[h]
                assert got[h, a, e] == pytest.approx(expect, abs=1e-12)


# --------------------------------------------------------------------------------------------------
# Legendre
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("beyond", ["clamp", "extend"])
def test_legendre_matches_scipy(beyond):
    n_max, d = 50, 12
    pos = np.arange(-10, 91) * 1.0 + 0.25
    got = E.legendre_table(pos, d, n_max, beyond=beyond)
    x = 2 * pos / n_max - 1
    if beyond == "clamp":
        x = np.clip(x, -1, 1)
    expected = np.stack([eval_legendre(k, x) for k in range(d)], axis=1)
    np.testing.assert_allclose(got, expected, rtol=1e-11, atol=1e-12)


def test_legendre_extend_grows_and_clamp_saturates():
    # P_7(2) = (429*2^7 - 693*2^5 + 315*2^3 - 35*2) / 16 = 2199.125 at pos = 1.5 n_max (x = 2)
    assert E.legendre_table([150], 8, 100, beyond="extend")[0, 7] == pytest.approx(2199.125, rel=1e-14)
    rows = E.legendre_table([100, 101, 1000, 10**6], 9, 100, beyond="clamp")
    np.testing.assert_array_equal(rows, np.ones((4, 9)))
    assert np.all(np.abs(E.legendre_table(np.arange(101), 9, 100)) <= 1 + 1e-12)


def test_legendre_orthonormal_gram_is_identity():
    d, n_max = 10, 37.0
    x, w = np.polynomial.legendre.leggauss(d + 2)  # exact for polynomials of degree <= 2d + 3
    pos = (x + 1) * n_max / 2
    t = E.legendre_table(pos, d, n_max, orthonormal=True)
    gram = t.T @ (w[:, None] * t)
    np.testing.assert_allclose(gram, np.eye(d), atol=1e-12)


# --------------------------------------------------------------------------------------------------
# wavelet
# --------------------------------------------------------------------------------------------------


def test_wavelet_feature_index_ordering():
    idx = E.wavelet_feature_index(25)  # db4: support [0, 7] -> 2^j + 6 shifts per scale: 7 + 8 + 10
    expected = [(0, k) for k in range(-6, 1)] + [(1, k) for k in range(-6, 2)] + [(2, k) for k in range(-6, 4)]
    assert idx == expected
    assert E.wavelet_feature_index(26)[-1] == (3, -6)
    assert E.wavelet_feature_index(7, "haar") == [(0, 0), (1, 0), (1, 1), (2, 0), (2, 1), (2, 2), (2, 3)]


def test_wavelet_entries_match_pywt_samples_on_grid():
    level, n_max, d = 8, 64, 40  # 2^j pos / 64 is a multiple of 2^-6, hence an exact grid point
    _, psi, grid = pywt.Wavelet("db4").wavefun(level=level)
    pos = np.arange(-200, 300)
    got = E.wavelet_table(pos, d, n_max, level=level)
    nonzero = 0
    for c, (j, k) in enumerate(E.wavelet_feature_index(d)):
        for r, p in enumerate(pos):
            s = 2**j * p / n_max - k
            if 0 <= s <= 7:
                g = round(s * 2**level)
                assert grid[g] == s
                assert got[r, c] == pytest.approx(2 ** (j / 2) * psi[g], abs=1e-13)
                nonzero += got[r, c] != 0
            else:
                assert got[r, c] == 0.0  # exactly zero outside the support
    assert nonzero > 1000


def test_wavelet_interpolates_linearly_between_samples():
    level = 6
    _, psi, grid = pywt.Wavelet("db4").wavefun(level=level)
    # column (0, 0): psi(t) with t = pos / n_max; pos = 2g + 1 and n_max = 2^(level+1) lies halfway
    # between grid points g and g + 1
    n_max = 2 ** (level + 1)
    g = np.arange(0, 7 * 2**level)
    got = E.wavelet_table(2 * g + 1, 7, n_max, level=level)[:, 6]
    np.testing.assert_allclose(got, (psi[g] + psi[g + 1]) / 2, atol=1e-14)


def test_wavelet_far_positions_are_zero_and_unit_normalization():
    n_max, d = 50, 30
    far = E.wavelet_table([-1000, 8 * n_max, 10**6], d, n_max)
    np.testing.assert_array_equal(far, 0.0)
    unit = E.wavelet_table(np.arange(n_max + 1), d, n_max, normalize="unit")
    assert np.linalg.norm(unit, axis=1).max() == pytest.approx(1.0, abs=1e-12)
    raw = E.wavelet_table(np.arange(n_max + 1), d, n_max)
    ratio = raw[raw != 0] / unit[raw != 0]
    np.testing.assert_allclose(ratio, np.linalg.norm(raw, axis=1).max(), rtol=1e-12)


def test_haar_features_are_nearly_orthonormal():
    # Haar: support [0, 1]; 2^(j/2) psi(2^j t - k), k = 0..2^j - 1, is an orthonormal family on [0, 1].
    n_max = 2**14
    t = E.wavelet_table(np.arange(n_max) + 0.5, 15, n_max, wavelet="haar", level=12)
    gram = t.T @ t / n_max
    np.testing.assert_allclose(gram, np.eye(15), atol=2e-2)


# --------------------------------------------------------------------------------------------------
# position re-indexing
# --------------------------------------------------------------------------------------------------


def test_randomized_positions():
    p = E.randomized_positions(np.random.default_rng(7), 40, 200)
    assert p.dtype == np.int64 and p.shape == (40,)
    assert np.all(np.diff(p) > 0) and p.min() >= 0 and p.max() < 200
    np.testing.assert_array_equal(p, E.randomized_positions(np.random.default_rng(7), 40, 200))
    assert not np.array_equal(p, E.randomized_positions(np.random.default_rng(8), 40, 200))
    np.testing.assert_array_equal(E.randomized_positions(np.random.default_rng(0), 9, 9), np.arange(9))
    assert E.randomized_positions(np.random.default_rng(0), 0, 5).shape == (0,)
    # every position is drawn over many samples (uniform sampling without replacement)
    rng = np.random.default_rng(1)
    seen = np.concatenate([E.randomized_positions(rng, 5, 30) for _ in range(200)])
    assert set(seen.tolist()) == set(range(30))
    with pytest.raises(ValueError, match="length 11 exceeds max_position 10"):
        E.randomized_positions(np.random.default_rng(0), 11, 10)
    with pytest.raises(ValueError, match="length"):
        E.randomized_positions(np.random.default_rng(0), -1, 10)
    with pytest.raises(ValueError, match="Generator"):
        E.randomized_positions(np.random.RandomState(0), 3, 10)


def test_scale_hint_worked_example():
    # [bos] a b c [sep] x y z: source at 1..3, sep at 4, target x y z copies a b c
    np.testing.assert_array_equal(E.scale_hint_positions(8, 4), [0, 1, 2, 3, 4, 1, 2, 3])
    np.testing.assert_array_equal(E.scale_hint_positions(8, 4, mode="offset"), [0, 1, 2, 3, 4, 2, 3, 4])
    # offset mode: target k sits 1 after source k whatever the source length n
    for n in (2, 5, 9):
        pos = E.scale_hint_positions(2 * n + 2, n + 1, mode="offset")
        assert np.all(pos[n + 2:] - pos[1:n + 1] == 1)
        np.testing.assert_array_equal(E.scale_hint_positions(2 * n + 2, n + 1)[n + 2:], pos[1:n + 1])
    np.testing.assert_array_equal(E.scale_hint_positions(6, 2, source_start=0), [0, 1, 2, 0, 1, 2])
    np.testing.assert_array_equal(E.scale_hint_positions(3, 5), [0, 1, 2])  # prefix without target


# --------------------------------------------------------------------------------------------------
# input validation, layering (the PE catalogue is the empirics registry: tests/empirics/test_pe_registry.py)
# --------------------------------------------------------------------------------------------------


BAD_CALLS = {
    "odd d": (lambda: E.sinusoidal_table([0], 5), "even"),
    "layout": (lambda: E.sinusoidal_table([0], 4, layout="split"), "'half', 'interleaved'"),
    "2-D positions": (lambda: E.sinusoidal_table([[0]], 4), "1-D"),
    "table shape": (lambda: E.t5_bias([0], [0], np.zeros((16, 2))), "num_buckets"),
    "n_heads": (lambda: E.alibi_slopes(0), "n_heads"),
    "fraction": (lambda: E.rope_inverse_frequencies(64, fraction=1.5), "fraction"),
    "too few dims": (lambda: E.rope_inverse_frequencies(8, fraction=0.1), "at least 2"),
    "rope layout": (lambda: E.rope_rotate(np.zeros((2, 4)), [0, 1], layout="gptj"), "interleaved"),
    "rope positions": (lambda: E.rope_rotate(np.zeros((2, 4)), [0, 1, 2]), "positions"),
    "role": (lambda: E.xpos_rotate(np.zeros((1, 4)), [0], "value"), "'query', 'key'"),
    "kerple kind": (lambda: E.kerple_bias([0], [0], [1.0], [1.0], kind="exp"), "'log', 'power'"),
    "kerple r2": (lambda: E.kerple_bias([0], [0], [1.0], [2.5], kind="power"), r"\(0, 2\]"),
    "kerple r1": (lambda: E.kerple_bias([0], [0], [-1.0], [1.0]), "r1"),
    "fire L": (lambda: E.fire_bias([0], [0], np.ones((2, 1)), np.ones(2), np.ones((1, 2)), np.ones(1), L=0), "L"),
    "fire W2": (lambda: E.fire_bias([0], [0], np.ones((2, 1)), np.ones(2), np.ones((1, 3)), np.ones(1)), "W2"),
    "wavelet": (lambda: E.wavelet_table([0], 4, 10, wavelet="db99"), "unknown wavelet"),
    "biorthogonal": (lambda: E.wavelet_table([0], 4, 10, wavelet="bior2.2"), "not orthogonal"),
    "normalize": (lambda: E.wavelet_table([0], 4, 10, normalize="max"), "'none', 'unit'"),
    "beyond": (lambda: E.legendre_table([0], 4, 10, beyond="wrap"), "'clamp', 'extend'"),
    "n_max": (lambda: E.legendre_table([0], 4, 0), "n_max"),
    "sh mode": (lambda: E.scale_hint_positions(5, 2, mode="shift"), "'align', 'offset'"),
    "sh sep": (lambda: E.scale_hint_positions(5, 0, source_start=1), "sep_index"),
    "non-integer bucket": (lambda: E.t5_relative_bucket(np.array([0.5])), "integers"),
}


@pytest.mark.parametrize("case", sorted(BAD_CALLS))
def test_bad_arguments_raise_one_line_value_error(case):
    call, pattern = BAD_CALLS[case]
    with pytest.raises(ValueError, match=pattern) as info:
        call()
    assert "\n" not in str(info.value)


def test_theory_never_imports_torch_or_empirics():
    code = "import sys, theory, theory.encodings; assert not {'torch', 'empirics'} & set(sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_lbpe_features_by_hand():
    f = E.lbpe_features([5], [2, 5], 4)
    np.testing.assert_allclose(f[0, 0], [3, 0.75, -1, np.log(4)])
    np.testing.assert_allclose(f[0, 1], [0, 0, -4, 0])
    with pytest.raises(ValueError, match="positive scale"):
        E.lbpe_features([0], [0], 0)
