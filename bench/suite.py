"""`pelg bench`'s measurements (issue 14): training tokens/s of every PE at three model sizes beside a plain
eager decoder (bench/plain_decoder.py) and, when it is importable, x-transformers; the speedup of K batched
tiny models over one-by-one training; the speedup of teacher-forced exact match over greedy generation,
with their verdicts compared example by example; MFU against the device's bf16 peak.

Workload: decoder language modelling on random tokens (vocabulary 64), no padding, one AdamW step per
batch, bf16 autocast on CUDA and fp32 on the CPU. FLOPs per token: 6 N + 12 L d T (Chowdhery et al. 2022,
PaLM, appendix B; N = parameters outside the embedding). Speeds are measured here, never asserted.
"""
from __future__ import annotations

import importlib.util
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from empirics.accel import autocast, make_optimizer
from empirics.attention_backends import choose_backend
from empirics.batched import train_batched
from empirics.checkpoint import load
from empirics.evaluate import batch_scores, greedy_decode
from empirics.model import ModelConfig, Transformer
from empirics.pe_registry import PES
from empirics.runconfig import TrainConfig
from empirics.tasks import collate, get_task
from empirics.train import environment, train

SIZES = {"2x64": (2, 64, 2), "6x256": (6, 256, 4), "12x768": (12, 768, 12)}  # layers, d_model, heads
VOCAB = 64
# dense bf16 tensor-core peaks, FLOP/s (NVIDIA datasheets); the first name contained in the device's wins
PEAK_BF16 = (("H200", 989.4e12), ("H100 PCIe", 756.0e12), ("H100 NVL", 835.5e12), ("H100", 989.4e12),
             ("A100", 312.0e12))
MODES = {"quick": dict(sizes=["2x64"], batch=16, length=64, steps=10, warmup=2, batched_steps=20, eval_steps=200),
         "full": dict(sizes=list(SIZES), batch=32, length=256, steps=20, warmup=3, batched_steps=100, eval_steps=400)}
# x-transformers' switches for the PEs both implement (TransformerWrapper / Decoder keyword arguments)
XT_PES = {"nope": ({"use_abs_pos_emb": False}, {}), "learned": ({}, {}),
          "sinusoidal": ({"scaled_sinu_pos_emb": True}, {}),
          "rope": ({"use_abs_pos_emb": False}, {"rotary_pos_emb": True}),
          "xpos": ({"use_abs_pos_emb": False}, {"rotary_xpos": True}),
          "alibi": ({"use_abs_pos_emb": False}, {"alibi_pos_bias": True}),
          "t5": ({"use_abs_pos_emb": False}, {"rel_pos_bias": True})}


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"pelg_bench_{name}", Path(__file__).with_name(f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def device_info(device: torch.device) -> dict:
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    peak = next((p for key, p in PEAK_BF16 if key in name), None) if device.type == "cuda" else None
    return {"type": device.type, "name": name, "bf16_peak_flops": peak, "torch_threads": torch.get_num_threads()}


def flops_per_token(model: torch.nn.Module, n_layer: int, d_model: int, length: int) -> float:
    embed = sum(p.numel() for n, p in model.named_parameters() if "embed" in n or "emb" in n.split(".")[0])
    n = sum(p.numel() for p in model.parameters()) - embed
    return 6.0 * n + 12.0 * n_layer * d_model * length


def seconds_per_step(step, steps: int, warmup: int, device, blocks: int = 3) -> float:
    """The median over `blocks` timed blocks of `steps` steps, after `warmup` steps (compilation, table
    growth, allocator): robust to a busy machine's spikes."""
    for _ in range(warmup):
        step()
    times = []
    for _ in range(blocks):
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        for _ in range(steps):
            step()
        if device.type == "cuda":
            torch.cuda.synchronize()
        times.append((time.perf_counter() - start) / steps)
    return float(np.median(times))


def _lm_step(model, call, tokens, precision, device):
    opt = make_optimizer(model.parameters(), 1e-4, 0.0, device)

    def step():
        with autocast(device, precision):
            logits = call(model, tokens[:, :-1])  # (B, T, V)
            loss = F.cross_entropy(logits.reshape(-1, VOCAB).float(), tokens[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return step


def _pelg(size: str, pe: str, length: int, batch: int, device, compile: bool):
    L, d, H = SIZES[size]
    model = Transformer(ModelConfig(vocab_size=VOCAB, pe=pe, n_layer=L, n_head=H, d_model=d, d_ff=4 * d)).to(device)
    if compile:
        model.compile_core()
    positions = model.positions(batch, length)  # CPU ids, as in training
    scale = torch.full((batch,), length // 2)   # the instance scale of LBPE / IPE: half the sequence
    return model, lambda m, x: m(x, positions, None, scale)


def _plain(size: str, device):
    L, d, H = SIZES[size]
    return _load("plain_decoder").PlainDecoder(VOCAB, L, d, H, 4 * d).to(device), lambda m, x: m(x)


def _xtransformers(size: str, pe: str, length: int, device):
    from x_transformers import Decoder, TransformerWrapper

    L, d, H = SIZES[size]
    wrapper, layers = XT_PES[pe]
    model = TransformerWrapper(num_tokens=VOCAB, max_seq_len=length, **wrapper,
                               attn_layers=Decoder(dim=d, depth=L, heads=H, attn_flash=True, **layers))
    return model.to(device), lambda m, x: m(x)


def _backend(model, device) -> str | None:
    """The attention kernel a pelg model runs on `device` (None for the other implementations)."""
    if not isinstance(model, Transformer):
        return None
    return choose_backend(model.cfg.attention, model.pe.hook, device.type, model.cfg.dropout > 0)


def train_rows(sizes, pes, batch: int, length: int, steps: int, warmup: int, device, precision: str,
               compile: bool) -> tuple[list[dict], list[str]]:
    """Tokens/s of one training step per (size, implementation, PE)."""
    rows, notes = [], []
    has_xt = importlib.util.find_spec("x_transformers") is not None
    if not has_xt:
        notes.append("x-transformers is not importable here: its rows are skipped (pip install x-transformers "
                     "in the benchmark's environment to add them)")
    peak = device_info(device)["bf16_peak_flops"] if precision == "bf16" else None
    tokens = torch.randint(0, VOCAB, (batch, length + 1), generator=torch.Generator().manual_seed(0)).to(device)
    for size in sizes:
        jobs = [("plain", "nope", lambda: _plain(size, device))]
        jobs += [("pelg", pe, lambda pe=pe: _pelg(size, pe, length, batch, device, compile)) for pe in pes]
        jobs += [("x-transformers", pe, lambda pe=pe: _xtransformers(size, pe, length, device))
                 for pe in pes if has_xt and pe in XT_PES]
        for impl, pe, make in jobs:
            torch.manual_seed(0)
            try:
                model, call = make()
                sec = seconds_per_step(_lm_step(model, call, tokens, precision, device), steps, warmup, device)
            except Exception as e:  # a foreign library's missing switch, out of memory: recorded, not fatal
                notes.append(f"{impl} {pe} {size}: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
                continue
            tps = batch * length / sec
            L, d, _ = SIZES[size]
            fpt = flops_per_token(model, L, d, length)
            rows.append({"size": size, "impl": impl, "pe": pe, "tokens_per_s": round(tps, 1),
                         "step_ms": round(1e3 * sec, 3), "mfu": None if peak is None else round(tps * fpt / peak, 4),
                         "attention": _backend(model, device)})
            del model
            if device.type == "cuda":
                torch.cuda.empty_cache()
    return rows, notes


def ratios(rows: list[dict]) -> dict:
    """pelg / plain (NoPE) and pelg / x-transformers (same PE) per size, tokens/s over tokens/s."""
    speed = {(r["size"], r["impl"], r["pe"]): r["tokens_per_s"] for r in rows}
    out = {"pelg_nope_over_plain": {}, "pelg_over_xtransformers": {}}
    for (size, impl, pe), tps in speed.items():
        if impl == "pelg" and pe == "nope" and (size, "plain", "nope") in speed:
            out["pelg_nope_over_plain"][size] = round(tps / speed[(size, "plain", "nope")], 3)
        if impl == "pelg" and (size, "x-transformers", pe) in speed:
            out["pelg_over_xtransformers"][f"{size}/{pe}"] = round(tps / speed[(size, "x-transformers", pe)], 3)
    return out


def batched_speedup(device, models: int, steps: int) -> dict:
    """K = `models` 2 x 64 copy models: one batched run (empirics.batched) against K `train` runs."""
    def cfg(seed):
        return TrainConfig(task="copy", steps=steps, batch_size=32, seed=seed, train_lengths=(1, 10),
                           eval_buckets=[(1, 10)], eval_samples=8, device=device.type,
                           model=ModelConfig(pe="rope", n_layer=2, n_head=2, d_model=64, d_ff=256))
    start = time.perf_counter()
    train_batched([cfg(s) for s in range(models)])
    together = time.perf_counter() - start
    start = time.perf_counter()
    for s in range(models):
        train(cfg(s), progress=False)
    apart = time.perf_counter() - start
    return {"models": models, "steps": steps, "batched_s": round(together, 3), "one_by_one_s": round(apart, 3),
            "speedup": round(apart / together, 3)}


def evaluation_speedup(device, steps: int, n: int = 64) -> dict:
    """Teacher-forced whole-target exact match (one forward pass per batch) against greedy generation (one
    pass per generated token) on a briefly trained K23 copy model, in and out of its training lengths."""
    task_name, train_lengths, ood = "k23.copy_cmc", (1, 5), (6, 8)
    cfg = TrainConfig(task=task_name, layout="k23", train_lengths=train_lengths, eval_buckets=[train_lengths],
                      eval_samples=16, steps=steps, lr=3e-3, batch_size=64, seed=0, device=device.type,
                      model=ModelConfig(pe="nope", n_layer=2, n_head=2, d_model=32, d_ff=128))
    with tempfile.TemporaryDirectory() as tmp:
        train(cfg, tmp, progress=False)
        model = load(Path(tmp) / "model.pt", device=device)[0].eval()
    task, rng = get_task(task_name), np.random.default_rng(11)
    examples = [task.sample(rng, int(k)) for lo, hi in (train_lengths, ood) for k in rng.integers(lo, hi + 1, n)]
    start = time.perf_counter()
    with torch.no_grad():
        forced = batch_scores(model, collate(task, examples, layout="k23").to(device))[0].bool().tolist()
    forced_s = time.perf_counter() - start
    start = time.perf_counter()
    greedy = []
    with torch.no_grad():
        for ex in examples:
            out = greedy_decode(model, task, ex.source, max_new=len(ex.target) + 1, device=device, layout="k23")
            greedy.append(out == list(ex.target))  # equal => it stopped with <eos> within the budget
    greedy_s = time.perf_counter() - start
    return {"examples": len(examples), "exact_match": round(float(np.mean(forced)), 4),
            "verdicts_match": forced == greedy, "teacher_forced_s": round(forced_s, 4),
            "greedy_s": round(greedy_s, 4), "speedup": round(greedy_s / forced_s, 1)}


PARTS = ("train", "batched", "eval")


def run(mode: str, sizes=None, pes=None, device=None, steps=None, compile: bool = False, parts=PARTS) -> dict:
    """Every measurement of one `pelg bench` run (the `parts` asked for), as a JSON-able dict."""
    m = dict(MODES[mode])
    sizes, pes = sizes or m["sizes"], pes or list(PES)
    steps = steps or m["steps"]
    precision = "bf16" if device.type == "cuda" else "fp32"
    rows, notes = [], []
    if "train" in parts:
        rows, notes = train_rows(sizes, pes, m["batch"], m["length"], steps, m["warmup"], device, precision, compile)
    return {"benchmark": "pelg bench", "mode": mode, "device": device_info(device), "env": environment(),
            "settings": {"sizes": sizes, "pes": pes, "batch": m["batch"], "length": m["length"], "steps": steps,
                         "warmup": m["warmup"], "timed_blocks": 3, "precision": precision, "compile": compile,
                         "vocab": VOCAB, "parts": list(parts)},
            "train": rows, "ratios": ratios(rows), "notes": notes,
            "batched": batched_speedup(device, 8, m["batched_steps"]) if "batched" in parts else None,
            "evaluation": evaluation_speedup(device, m["eval_steps"]) if "eval" in parts else None}


def table(result: dict) -> str:
    """The run as a terminal table."""
    lines = [f"pelg bench ({result['mode']}) on {result['device']['name']}, {result['settings']['precision']}, "
             f"batch {result['settings']['batch']} x length {result['settings']['length']}",
             f"{'size':<7} {'impl':<15} {'pe':<13} {'tokens/s':>11} {'ms/step':>9} {'MFU':>7}  attention"]
    for r in result["train"]:
        mfu = "-" if r["mfu"] is None else f"{100 * r['mfu']:.1f}%"
        lines.append(f"{r['size']:<7} {r['impl']:<15} {r['pe']:<13} {r['tokens_per_s']:>11.0f} {r['step_ms']:>9.2f} "
                     f"{mfu:>7}  {r['attention'] or '-'}")
    for name, values in result["ratios"].items():
        if values:
            lines.append(f"{name}: " + ", ".join(f"{k} {v:.3f}x" for k, v in values.items()))
    b, e = result["batched"], result["evaluation"]
    if b:
        lines.append(f"batched: {b['models']} models x {b['steps']} steps, {b['speedup']:.2f}x one-by-one "
                     f"({b['batched_s']:.2f} s vs {b['one_by_one_s']:.2f} s)")
    if e:
        lines.append(f"evaluation: teacher-forced {e['speedup']:.1f}x faster than greedy on {e['examples']} "
                     f"examples, verdicts match: {e['verdicts_match']} (exact match {e['exact_match']:.3f})")
    lines += [f"note: {n}" for n in result["notes"]]
    return "\n".join(lines)
