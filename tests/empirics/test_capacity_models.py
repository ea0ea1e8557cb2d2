"""The capacity adapter and ledger entries on torch models: the numpy forward of theory.li2025.numpy_transformer equals
the torch forward on the same weights (every supported PE); the Lipschitz bounds hold against measured
Jacobians (autograd power iteration and numpy finite differences) with random and trained weights; the
Li 2025 model-ledger entries return valid verdicts with evidence; the figures render.

Tolerances: float32 torch vs float64 numpy 2e-5 (relative to the output scale); float64 torch vs numpy
1e-6 (float32-rounded PE tables and biases); a measured Jacobian norm may exceed a bound only by the
finite-difference error (1e-4 relative). torch uses one thread (conftest)."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from empirics.evidence import li2025_alibi as LA
from empirics.evidence import li2025_capacity as LC
from empirics.evidence import li2025_figures as LF
from empirics.evidence import li2025_trained as T
from empirics.evidence import weights as W
from empirics.errors import PelgError
from empirics.model import ModelConfig, Transformer
from theory.li2025 import capacity as C
from theory.li2025 import lipschitz as LIP
from theory.li2025 import numpy_transformer as NT
from empirics.analysis.fit import FitBar, default_bar
from theory.claims import VERDICTS, load, run_claims, run_falsifications

FD_REL = 1e-4
MODEL_IDS = ["li2025.capacity.bound", "li2025.capacity.ranking", "li2025.alibi.lipschitz_bound",
             "li2025.alibi.mass_bound"]


def _model(pe, arch="encoder", causal=False, vocab=0, seed=0, **kw):
    torch.manual_seed(seed)
    opts = {"n_max": 10} if pe in ("wavelet", "legendre") else {}
    m = Transformer(ModelConfig(vocab_size=vocab, arch=arch, causal=causal, n_layer=2, n_head=2, d_model=16,
                                d_ff=32, pe=pe, pe_options=opts, **kw))
    with torch.no_grad():  # move away from the tiny init so every path matters
        for p in m.parameters():
            p.add_(0.3 * torch.randn_like(p))
    return m.eval()


@pytest.mark.parametrize("pe", W.SUPPORTED_PES)
@pytest.mark.parametrize("arch,causal,vocab,extra", [
    ("encoder", False, 0, {}), ("encoder", True, 0, {"norm": "rmsnorm", "activation": "relu"}),
    ("decoder", True, 11, {"score_scaling": False})])
def test_numpy_forward_equals_torch_forward(pe, arch, causal, vocab, extra):
    m = _model(pe, arch, causal, vocab, **extra)
    n = 12
    pos = np.arange(n)
    g = torch.Generator().manual_seed(1)
    x = torch.rand(3, n, generator=g) * 2 - 1 if vocab == 0 else torch.randint(0, vocab, (3, n), generator=g)
    with torch.no_grad():
        ref = m(x, torch.arange(n).expand(3, n)).numpy()
    net, bias = W.network_weights(m), W.attention_bias(m, pos)
    z0 = W.input_embedding(m, x.numpy(), pos)
    out = NT.network_forward(net, z0, bias, pos)
    out = out[..., 0] if vocab == 0 else out
    np.testing.assert_allclose(out, ref, rtol=0, atol=2e-5 * max(1.0, np.abs(ref).max()))
    with torch.no_grad():  # the same blocks in float64 (the path the ledger differentiates)
        ref64 = W.torch_network_fn(m, pos)(torch.as_tensor(z0)).numpy()
    np.testing.assert_allclose(out, ref64, rtol=0, atol=1e-6 * max(1.0, np.abs(ref).max()))


def test_adapter_rejects_unsupported_pes():
    with pytest.raises(PelgError, match="xpos"):
        W.network_weights(_model("xpos"))
    with pytest.raises(PelgError, match="default positions"):
        W.network_weights(_model("rope+random"))


def _check_bounds(model, raw, n):
    """Global (on the model's input domain) and pointwise bounds vs autograd and FD measurements."""
    pos = np.arange(n)
    net, bias = W.network_weights(model), W.attention_bias(model, pos)
    emb, rows = W.embedding_parameters(model), W.pe_rows(model, pos)
    dom = (C.affine_domain(emb["w"], emb["b"], rows) if model.regression else C.hull_domain(emb["E"], rows))
    glob = LIP.network_lipschitz_bound(net, n, dom["c0"], bias)["L_trans"]
    z = W.input_embedding(model, raw, pos)
    fn_np = lambda x: NT.network_forward(net, x, bias, pos)
    fn_t = W.torch_network_fn(model, pos)
    for zi in z[:2]:
        fd = LIP.jacobian_spectral_norm(fn_np, zi)
        pi = LC.jacobian_norm(fn_t, zi, iters=60)
        assert pi <= fd * (1 + FD_REL) and pi >= 0.98 * fd  # power iteration approaches from below
        local = LIP.jacobian_bound_at(net, zi, bias, pos)["bound"]
        assert fd <= local * (1 + FD_REL) and fd <= glob * (1 + FD_REL)
    assert LIP.pair_lipschitz(fn_np, z[:2], z[2:4]) <= glob


@pytest.mark.parametrize("pe", ["alibi", "sinusoidal", "rope"])
def test_bounds_hold_with_random_weights(pe):
    m = _model(pe)
    raw = np.random.default_rng(0).uniform(-1, 1, size=(4, 7))
    _check_bounds(m, raw, 7)


@pytest.fixture(scope="module")
def small_protocol(tmp_path_factory):
    """A scaled-down ledger protocol (seconds), with the module caches cleared before and after. Its
    models are far too small to fit, so the fit bar is relaxed to accept any model: these tests check the
    machinery, `test_unfit_models_make_the_entries_undecided` checks the gate."""
    mp = pytest.MonkeyPatch()
    mp.setenv("PELG_LEDGER_CACHE", str(tmp_path_factory.mktemp("ledger-cache")))
    mp.setattr(T, "RECORDED", tmp_path_factory.mktemp("recorded"))
    mp.setattr(T, "default_bar", lambda kind: FitBar("exact_match", 0.0, "test: accept any model")
               if kind != "regression" else FitBar("mse_ratio", 1e9, "test: accept any model"))
    mp.setattr(T, "RUNNING_MEAN", {**T.RUNNING_MEAN, "train_length": 12, "test_lengths": (24,),
                                    "pes": ("sinusoidal", "alibi", "nope"),
                                    "model": {**T.RUNNING_MEAN["model"], "d_model": 16, "d_ff": 32},
                                    "steps": 40, "batch_size": 8, "eval_samples": 16})
    mp.setattr(T, "COPY", {**T.COPY, "train_lengths": (1, 3), "test_lengths": (4, 6),
                           "pes": ("nope", "alibi", "rope"), "model": {**T.COPY["model"], "d_model": 16, "d_ff": 32},
                           "steps": 40, "batch_size": 8, "eval_samples": 16})
    mp.setattr(LA, "ALIBI_LENGTHS", {"running_mean": (24,), "copy": (14,)})
    mp.setattr(LA, "ALIBI_QUERIES", 4)
    mp.setattr(LC, "MIN_FIT_PES", 3)
    mp.setattr(LF, "FIGURE_LENGTHS", (("running_mean", 18), ("running_mean", 24), ("copy", 14)))
    for f in (T.trained, LC.capacity_results, LA.alibi_results):
        f.cache_clear()
    yield
    for f in (T.trained, LC.capacity_results, LA.alibi_results):
        f.cache_clear()
    mp.undo()


def test_bounds_hold_with_trained_weights(small_protocol):
    model, _ = T.trained("running_mean", "alibi")
    raw = np.random.default_rng(1).uniform(-1, 1, size=(4, 12))
    _check_bounds(model, raw, 12)
    model, _ = T.trained("copy", "rope")
    raw = T.sample_inputs(model, "copy", 8, 4, np.random.default_rng(2))
    _check_bounds(model, raw, 8)


def test_model_ledger_entries_return_valid_verdicts(small_protocol):
    load(("empirics.evidence.li2025_capacity", "empirics.evidence.li2025_alibi"))
    records = {r["id"]: r for r in run_claims(ids=MODEL_IDS)}
    assert set(records) == set(MODEL_IDS)
    for r in records.values():
        assert r["verdict"] in VERDICTS and r["evidence"] and r["note"], r
        assert "error" not in r["evidence"], r["evidence"]
        json.dumps(r["evidence"])  # JSON-able
    # forced by mathematics: certified bounds hold, the mass bound is valid
    assert records["li2025.capacity.bound"]["verdict"] == "holds with correction"
    assert records["li2025.alibi.mass_bound"]["verdict"] in ("holds", "holds with correction")
    assert records["li2025.alibi.mass_bound"]["evidence"]["delta_bound_valid"] is True
    # the Lipschitz bound uses L_A from the training length: a prediction that may fail, so only counted
    assert records["li2025.alibi.lipschitz_bound"]["evidence"]["violations"] >= 0
    sp = records["li2025.capacity.ranking"]["evidence"]["spearman"]
    assert set(sp) == {"running_mean", "copy"} and -1 <= sp["copy"]["proxy_local_test"]["rho"] <= 1


def test_model_entries_catch_their_false_variants(small_protocol):
    load(("empirics.evidence.li2025_capacity", "empirics.evidence.li2025_alibi"))
    records = run_falsifications(ids=MODEL_IDS)
    assert {r["id"] for r in records} == set(MODEL_IDS)
    assert all(r["caught"] for r in records), [(r["id"], r["variant"], r["verdict"]) for r in records]


def test_unfit_models_make_the_entries_undecided(small_protocol, monkeypatch):
    """With the real bars, 40-step models fit nothing: no entry may claim anything from them."""
    monkeypatch.setattr(T, "default_bar", default_bar)
    for f in (T.trained, LC.capacity_results, LA.alibi_results):
        f.cache_clear()
    try:
        load(("empirics.evidence.li2025_capacity", "empirics.evidence.li2025_alibi"))
        records = {r["id"]: r for r in run_claims(ids=MODEL_IDS)}
        unfit = {task: [pe for pe, f in T.fit_models(task)[1].items() if not f["fit"]]
                 for task in ("running_mean", "copy")}
        assert unfit["copy"] == ["nope", "alibi", "rope"]  # 40 steps of copy fit nothing
        assert records["li2025.capacity.ranking"]["verdict"] == "undecided"
        assert records["li2025.alibi.lipschitz_bound"]["verdict"] == "undecided"
        assert records["li2025.alibi.mass_bound"]["verdict"] == "undecided"
        bound = records["li2025.capacity.bound"]
        assert bound["verdict"] == "undecided" or bound["evidence"]["unfit_models_left_out"] == unfit
    finally:
        for f in (T.trained, LC.capacity_results, LA.alibi_results):
            f.cache_clear()


def test_a_stale_recording_is_retrained(small_protocol, monkeypatch, tmp_path):
    """A stored model that no longer reproduces its recorded metrics (the code changed) is never used."""
    model, result = T.trained("running_mean", "nope")
    cfg = T._config(T.RUNNING_MEAN, "nope")
    stored, _ = T._stored(cfg)
    tampered = json.loads((stored / "result.json").read_text())
    tampered["metrics"]["12"]["metric"] *= 3
    (stored / "result.json").write_text(json.dumps(tampered))
    assert T._load(stored, "cache") is None
    T.trained.cache_clear()
    _, again = T.trained("running_mean", "nope")
    assert again["source"] == "trained now" and again["metrics"]["12"]["metric"] == pytest.approx(
        result["metrics"]["12"]["metric"], rel=1e-3)


def test_spearman_exact_p_value():
    out = LC.spearman([1, 2, 3, 4, 5], [2, 4, 6, 8, 10])
    assert out["rho"] == pytest.approx(1.0) and out["p_exact"] == pytest.approx(2 / 120)
    assert LC.spearman([1, 1, 1], [1, 2, 3])["rho"] is None


def test_figures_render(small_protocol, tmp_path):
    paths = LF.render_figures(tmp_path)
    assert [p.name for p in paths] == ["li2025_alibi_bound.png", "capacity_vs_gap.png"]
    for p in paths:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
