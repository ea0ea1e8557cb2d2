"""K23's attention analysis (Kazemnejad et al. 2023, Sec. 5.2, Fig. 4 and Fig. 7): attention maps that
reproduce the model's own attention output for every PE hook, the JSD head distance, the H x H head
matching (and the official analyzer's i<j bug), the model distance on SCAN, the Fig. 7 distances, the
figures and `pelg attention`."""
from __future__ import annotations

import argparse
from dataclasses import fields

import numpy as np
import pytest
import torch
from scipy.spatial.distance import jensenshannon

from empirics import checkpoint
from empirics.analysis.attention import (LN2, attended_distance_histogram, attention_maps, distance_histogram,
                                         head_distance, layer_distance, model_distance, row_jsd)
from empirics.cli_attention import add_parser, cmd_attention
from empirics.errors import PelgError
from empirics.evaluate import forward, make_batch
from empirics.model import ModelConfig, Transformer
from empirics.plots.kazemnejad2023_attention import (plot_attended_distance, plot_attention_maps,
                                                     plot_distance_to_nope)
from empirics.tasks import get_task
from empirics.tasks.base import IGNORE
from empirics.train import TrainConfig, train

COPY = get_task("copy")
PE_CASES = [("nope", {}), ("t5", {}), ("alibi", {}), ("rope", {"layout": "interleaved", "fraction": 0.25}),
            ("sinusoidal", {}), ("rope+random", {})]
HAS = {f.name for f in fields(ModelConfig)}


def sharp_model(pe: str, opts: dict, scaling: bool, seed: int = 0, **kw) -> Transformer:
    """A random tiny copy model whose attention is far from uniform (q/k weights scaled up)."""
    torch.manual_seed(seed)
    model = Transformer(ModelConfig(vocab_size=len(COPY.vocab), n_layer=2, n_head=4, d_model=32, d_ff=64, pe=pe,
                                    pe_options=opts, score_scaling=scaling, **kw))
    with torch.no_grad():
        for block in model.blocks:
            block.attn.qkv.weight.mul_(15.0 if scaling else 6.0)
        if pe == "t5":
            model.pe.table.weight.mul_(100.0)
    return model.eval()


def padded_batch(seed: int = 0):
    batch = make_batch(COPY, np.random.default_rng(seed), 2, 8, 5)
    assert batch.pad_mask is not None and batch.pad_mask.any()  # the padding path is exercised
    return batch


def attention_outputs(model, batch, seed):
    """Each block's attention input and output from the model's own forward (SDPA)."""
    seen = []
    hooks = [b.attn.register_forward_hook(lambda m, a, o: seen.append((a[0], o))) for b in model.blocks]
    with torch.no_grad():
        forward(model, batch, np.random.default_rng(seed))
    for h in hooks:
        h.remove()
    return seen


def reproduction_error(model, maps, seen) -> float:
    """max |attn.out(P @ v) - the block's attention output| over layers."""
    err = 0.0
    for block, P, (x, y) in zip(model.blocks, maps, seen):
        a = block.attn
        B, T, D = x.shape
        v = a.qkv(x).view(B, T, 3, a.n_head, a.d_head)[:, :, 2].transpose(1, 2)  # (B, H, T, dh)
        with torch.no_grad():
            mine = a.out((P @ v).transpose(1, 2).reshape(B, T, D))
        err = max(err, float((mine - y).abs().max()))
    return err


# ----------------------------------------------------------------------------- attention maps
@pytest.mark.parametrize("scaling", [True, False], ids=["scaled", "unscaled"])
@pytest.mark.parametrize("pe,opts", PE_CASES, ids=[c[0] for c in PE_CASES])
def test_maps_reproduce_the_blocks_attention_output(pe, opts, scaling):
    kw = {"linear_bias": False} if not scaling and "linear_bias" in HAS else {}
    model = sharp_model(pe, opts, scaling, **kw)
    batch = padded_batch()
    maps = attention_maps(model, batch, np.random.default_rng(7))
    assert len(maps) == 2 and maps[0].shape == (5, 4, batch.inputs.shape[1], batch.inputs.shape[1])
    assert reproduction_error(model, maps, attention_outputs(model, batch, 7)) < 1e-5
    P = maps[1]
    T = P.shape[-1]
    torch.testing.assert_close(P.sum(-1), torch.ones(P.shape[:-1]), rtol=0, atol=1e-5)
    assert float(P.masked_select(torch.ones(T, T, dtype=torch.bool).triu(1)).abs().max()) == 0.0  # causal
    padded_keys = batch.pad_mask[:, None, None, :].expand_as(P)  # (B, H, T, T)
    assert float(P.masked_select(padded_keys).abs().max()) == 0.0  # padded keys get nothing
    assert float(P[:, :, 1:].max(-1).values.mean()) > 0.3  # far from uniform: the check has teeth


def test_k23_style_block_reproduces_too():
    """RMSNorm, ReLU, no score scaling, no biases (and T5's init where the model has it)."""
    kw = {k: v for k, v in dict(norm="rmsnorm", activation="relu", linear_bias=False, init="t5").items() if k in HAS}
    model = sharp_model("t5", {}, False, **kw)
    batch = padded_batch(1)
    if "linear_bias" in HAS:
        assert model.blocks[0].attn.qkv.bias is None
    assert reproduction_error(model, attention_maps(model, batch), attention_outputs(model, batch, 0)) < 1e-5


@pytest.mark.parametrize("break_it", ["scale", "mask"])
def test_reproduction_check_catches_a_wrong_scale_or_a_dropped_mask(break_it, monkeypatch):
    """False variants: maps with the wrong score scale, or without the PE bias and masks, do not reproduce."""
    from empirics.analysis import attention as A

    model = sharp_model("alibi", {}, True)
    batch = padded_batch()
    seen = attention_outputs(model, batch, 0)
    real = A.block_attention
    if break_it == "scale":
        monkeypatch.setattr(A, "block_attention", lambda attn, x, mask, pe, pos: real(
            type("Unscaled", (), {"qkv": attn.qkv, "n_head": attn.n_head, "d_head": attn.d_head, "scale": 1.0})(),
            x, mask, pe, pos))
    else:
        monkeypatch.setattr(A, "block_attention", lambda attn, x, mask, pe, pos: real(attn, x, None, pe, pos))
    assert reproduction_error(model, A.attention_maps(model, batch), seen) > 1e-3


def test_maps_leave_the_training_flag_alone():
    model = sharp_model("nope", {}, True).train()
    attention_maps(model, padded_batch())
    assert model.training


# ----------------------------------------------------------------------------- JSD and D
def random_maps(shape, seed, causal=True) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    T = shape[-1]
    logits = torch.randn(shape, generator=g, dtype=torch.float64) * 3
    if causal:
        logits = logits.masked_fill(torch.ones(T, T, dtype=torch.bool).triu(1), float("-inf"))
    return torch.softmax(logits, -1)


def test_jsd_of_identical_maps_is_zero():
    P = random_maps((3, 9, 9), 0)
    assert head_distance(P, P) == 0.0
    assert float(row_jsd(P, P).abs().max()) == 0.0


def test_jsd_matches_scipy_row_by_row_and_is_bounded_by_ln2():
    P, Q = random_maps((4, 12, 12), 1), random_maps((4, 12, 12), 2)
    mine = row_jsd(P, Q).numpy()  # (4, 12)
    ref = np.array([[jensenshannon(P[b, t, : t + 1].double(), Q[b, t, : t + 1].double()) ** 2
                     for t in range(12)] for b in range(4)])
    np.testing.assert_allclose(mine, ref, rtol=1e-9, atol=1e-12)
    assert mine.max() <= LN2 and mine.min() >= 0.0
    # disjoint supports reach ln 2 on every row but row 0 (one key: both put all weight on it)
    T = 10
    first, last = torch.zeros(T, T), torch.eye(T)
    first[:, 0] = 1.0
    assert head_distance(first, last) == pytest.approx(LN2 * (T - 1) / T, abs=1e-12)


def test_distance_is_symmetric():
    P, Q = random_maps((3, 8, 8), 3), random_maps((3, 8, 8), 4)
    assert head_distance(P, Q) == pytest.approx(head_distance(Q, P), abs=1e-15)
    assert head_distance(P, Q) > 0.01


def test_padded_rows_do_not_count_and_each_example_is_averaged_over_its_own_rows():
    P, Q = random_maps((2, 6, 6), 5), random_maps((2, 6, 6), 6)
    pad = torch.zeros(2, 6, dtype=torch.bool)
    pad[1, 4:] = True  # example 1 has 4 real tokens
    garbage_P, garbage_Q = P.clone(), Q.clone()
    garbage_P[1, 4:], garbage_Q[1, 4:] = Q[1, 4:], torch.eye(6)[4:]  # padded query rows: must not count
    expected = 0.5 * (head_distance(P[0], Q[0]) + head_distance(P[1, :4, :4], Q[1, :4, :4]))
    assert head_distance(garbage_P, garbage_Q, pad) == pytest.approx(expected, abs=1e-12)
    assert head_distance(garbage_P, garbage_Q) != pytest.approx(expected, abs=1e-6)  # the pad mask matters


# ----------------------------------------------------------------------------- head matching
def permute_heads(model: Transformer, perms: list[list[int]]) -> Transformer:
    """A copy of a NoPE model whose layer l has head h = the original's head perms[l][h]."""
    other = Transformer(model.cfg)
    other.load_state_dict(model.state_dict())
    with torch.no_grad():
        for block, perm in zip(other.blocks, perms):
            a = block.attn
            H, dh, D = a.n_head, a.d_head, a.n_head * a.d_head
            idx = torch.as_tensor(perm)
            a.qkv.weight.copy_(a.qkv.weight.view(3, H, dh, D)[:, idx].reshape(3 * D, D))
            if a.qkv.bias is not None:
                a.qkv.bias.copy_(a.qkv.bias.view(3, H, dh)[:, idx].reshape(3 * D))
            a.out.weight.copy_(a.out.weight.view(D, H, dh)[:, idx].reshape(D, D))
    return other.eval()


def test_full_product_matches_permuted_heads_and_the_official_subset_misses_the_diagonal():
    model = sharp_model("nope", {}, True)
    perms = [[2, 0, 3, 1], [3, 2, 1, 0]]
    other = permute_heads(model, perms)
    batch = padded_batch()
    with torch.no_grad():  # the permutation is a symmetry: the logits do not change
        torch.testing.assert_close(forward(other, batch), forward(model, batch), rtol=0, atol=1e-5)
    maps_a, maps_b = attention_maps(model, batch), attention_maps(other, batch)
    full = layer_distance(maps_a, maps_b, batch.pad_mask)
    assert max(full.values) < 1e-9
    for m, perm, (i, j) in zip(full.matrices, perms, full.pairs):
        assert perm[j] == i  # the argmin pair is a true match
        for jj, ii in enumerate(perm):
            assert m[ii, jj] < 1e-9
        off = m[~np.eye(4, dtype=bool)[perm].T]  # every non-matching pair is clearly apart
        assert off.min() > 1e-3
    # the diagonal case (a model against itself): the full product finds 0, i<j never compares a head
    # with its own index and reports a distance although the two models are identical
    same = layer_distance(maps_a, maps_a, batch.pad_mask)
    official = layer_distance(maps_a, maps_a, batch.pad_mask, pairs="i<j")
    assert max(same.values) == 0.0 and all(i == j for i, j in same.pairs)
    assert min(official.values) > 1e-3 and all(i < j for i, j in official.pairs)


def test_layer_distance_rejects_mismatched_inputs():
    maps = attention_maps(sharp_model("nope", {}, True), padded_batch())
    with pytest.raises(PelgError):
        layer_distance(maps, maps[:1])
    with pytest.raises(PelgError, match="head pairs"):
        layer_distance(maps, maps, pairs="upper")


# ----------------------------------------------------------------------------- trained SCAN models
@pytest.fixture(scope="module")
def scan_runs(tmp_path_factory):
    """Two tiny NoPE decoders on K23's SCAN (layout k23, "Solve:" prefix), seeds 0 and 1 (~1 s each)."""
    runs = {}
    for seed in (0, 1):
        out = tmp_path_factory.mktemp(f"scan_nope_{seed}")
        cfg = TrainConfig(task="k23.scan", task_format="solve", layout="k23",
                          model=ModelConfig(n_layer=2, n_head=2, d_model=32, d_ff=64), train_lengths=(1, 12),
                          eval_buckets=[(1, 12)], eval_samples=16, steps=150, batch_size=16, lr=3e-3, seed=seed,
                          device="cpu")
        train(cfg, out, progress=False)
        runs[seed] = out
    return runs


def test_model_distance_to_another_seed_is_positive_and_to_itself_zero(scan_runs):
    a, _ = checkpoint.load(scan_runs[0] / "model.pt")
    b, _ = checkpoint.load(scan_runs[1] / "model.pt")
    task = get_task("k23.scan", format="solve")
    buckets = [(1, 6), (7, 12), (13, 20)]
    ab = model_distance(a, b, task, buckets, 10, "k23", seed=0)
    ba = model_distance(b, a, task, buckets, 10, "k23", seed=0)
    aa = model_distance(a, a, task, buckets, 10, "k23", seed=0)
    assert len(ab.values) == 2 and min(ab.values) > 1e-3, ab.values
    assert aa.values == [0.0, 0.0]
    for m, n in zip(ab.matrices, ba.matrices):  # identical batches for both models: D(a, b) = D(b, a)^T
        np.testing.assert_allclose(m, n.T, rtol=0, atol=1e-12)
    assert model_distance(a, b, task, buckets, 10, "k23", seed=0).values == ab.values  # deterministic
    with pytest.raises(PelgError, match="vocabulary"):
        model_distance(a, b, COPY, [3], 2)


# ----------------------------------------------------------------------------- Fig. 7
def test_attended_distances_on_constructed_maps():
    batch = padded_batch()
    B, T = batch.inputs.shape
    eye = torch.eye(T).expand(B, 2, T, T)
    first = torch.zeros(B, 2, T, T)
    first[..., 0] = 1.0
    uniform = torch.ones(T, T).tril().expand(B, 2, T, T) / torch.arange(1, T + 1).view(T, 1)
    rows = int((~batch.pad_mask)[:, 1:].sum())
    d = attended_distance_histogram(None, batch, maps=[eye, first])
    assert d.shape == (2 * 2 * rows,)
    np.testing.assert_array_equal(np.sort(d), np.r_[np.zeros(2 * rows), np.ones(2 * rows)])
    assert (attended_distance_histogram(None, batch, maps=[uniform]) == 1.0).all()  # ties: the first key
    half = torch.zeros(B, 1, T, T)  # query t attends to key t // 2: distance (t - t // 2) / t
    half[:, 0, torch.arange(T), torch.arange(T) // 2] = 1.0
    want = [(t - t // 2) / t for b in range(B) for t in range(1, T) if not batch.pad_mask[b, t]]
    np.testing.assert_allclose(attended_distance_histogram(None, batch, maps=[half]), want)
    targets = int(((batch.labels != IGNORE) & ~batch.pad_mask)[:, 1:].sum())
    assert attended_distance_histogram(None, batch, "target", maps=[eye]).shape == (2 * targets,)


def test_attended_distances_of_a_model_and_the_histogram():
    d = attended_distance_histogram(sharp_model("alibi", {}, True), padded_batch())
    assert d.min() >= 0.0 and d.max() <= 1.0 and len(d) > 0
    density, edges = distance_histogram(d, bins=5)
    assert density.sum() == pytest.approx(1.0) and edges[0] == 0.0 and edges[-1] == 1.0
    assert distance_histogram(np.array([0.0, 0.05, 1.0]), 10)[0].tolist() == [2 / 3] + [0.0] * 8 + [1 / 3]


# ----------------------------------------------------------------------------- figures
@pytest.mark.parametrize("suffix", ["png", "pdf", "svg"])
def test_figures_are_written(tmp_path, suffix):
    magic = {"png": b"\x89PNG", "pdf": b"%PDF", "svg": b"<?xml"}[suffix]
    plot_distance_to_nope({"t5": [0.2, 0.25], "rope": [0.6, 1.2]}, [0.22, 0.24], tmp_path / f"f4.{suffix}")
    plot_attended_distance({"nope": np.array([0.0, 0.9, 1.0]), "alibi": np.array([0.0, 0.1])},
                           tmp_path / f"f7.{suffix}")
    maps = attention_maps(sharp_model("nope", {}, True), make_batch(COPY, np.random.default_rng(0), 3, 3, 1))
    tokens = ["a"] * maps[0].shape[-1]
    plot_attention_maps([m[0] for m in maps], tokens, tmp_path / f"maps.{suffix}", "title")
    for name in ("f4", "f7", "maps"):
        assert (tmp_path / f"{name}.{suffix}").read_bytes().startswith(magic)


def test_figures_reject_bad_input(tmp_path):
    with pytest.raises(PelgError, match="format"):
        plot_distance_to_nope({"t5": [0.1]}, None, tmp_path / "f.jpg")
    with pytest.raises(PelgError):
        plot_distance_to_nope({}, None, tmp_path / "f.png")
    with pytest.raises(PelgError):
        plot_attended_distance({}, tmp_path / "f.png")
    with pytest.raises(PelgError, match="tokens"):
        plot_attention_maps([np.ones((1, 3, 3))], ["a", "b"], tmp_path / "f.png")


# ----------------------------------------------------------------------------- pelg attention
def cli(argv: list[str]):
    parser = argparse.ArgumentParser(prog="pelg")
    add_parser(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


def test_cli_writes_the_figure(scan_runs, tmp_path, capsys):
    d = scan_runs[0]
    args = cli(["attention", "--model", str(d), "--task", "k23.scan", "--length", "8"])
    assert args.fn is cmd_attention
    args.fn(args)
    assert capsys.readouterr().out.strip() == str(d / "attention_L8.png")
    assert (d / "attention_L8.png").read_bytes().startswith(b"\x89PNG")
    out = tmp_path / "maps.pdf"
    cmd_attention(cli(["attention", "--model", str(d), "--task", "k23.scan", "--length", "12", "--n", "3",
                       "--seed", "4", "--out", str(out)]))
    assert out.read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize("argv,message", [
    (["--model", "{missing}", "--task", "k23.scan", "--length", "8"], "does not exist"),
    (["--model", "{empty}", "--task", "k23.scan", "--length", "8"], "no model.pt"),
    (["--model", "{run}", "--task", "no_such_task", "--length", "8"], "unknown task"),
    (["--model", "{run}", "--task", "copy", "--length", "8"], "trained on task 'k23.scan'"),
    (["--model", "{run}", "--task", "k23.scan", "--length", "23"], "length"),
    (["--model", "{run}", "--task", "k23.scan", "--length", "0"], "length"),
    (["--model", "{run}", "--task", "k23.scan", "--length", "8", "--n", "0"], "--n"),
    (["--model", "{run}", "--task", "k23.scan", "--length", "8", "--out", "{tmp}/x.jpg"], "format"),
])
def test_cli_bad_input_is_a_one_line_error(scan_runs, tmp_path, argv, message):
    (tmp_path / "empty").mkdir()
    paths = {"missing": tmp_path / "nope", "empty": tmp_path / "empty", "run": scan_runs[0], "tmp": tmp_path}
    args = cli(["attention", *[a.format(**paths) for a in argv]])
    with pytest.raises(PelgError, match=message) as e:
        cmd_attention(args)
    assert "\n" not in str(e.value)


def test_attention_maps_do_not_depend_on_the_attention_backend():
    """On CUDA the model hands its blocks a flex / fused plan, not a float mask; the maps rebuild the mask."""
    import numpy as np
    import torch

    from empirics.analysis.attention import attention_maps
    from empirics.model import ModelConfig, Transformer
    from empirics.tasks import get_task
    from empirics.tasks.base import collate

    task = get_task("copy")
    rng = np.random.default_rng(0)
    batch = collate(task, [task.sample(rng, n) for n in (3, 5)])
    torch.manual_seed(0)
    ref = Transformer(ModelConfig(vocab_size=len(task.vocab), pe="alibi", n_head=2, d_model=32, d_ff=64))
    other = Transformer(ModelConfig(vocab_size=len(task.vocab), pe="alibi", n_head=2, d_model=32, d_ff=64,
                                    attention="flex"))
    other.load_state_dict(ref.state_dict())
    for a, b in zip(attention_maps(ref, batch), attention_maps(other, batch)):
        torch.testing.assert_close(a, b)
