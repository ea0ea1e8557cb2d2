"""Resumable training: a run killed at any point and resumed ends bitwise-identical (metrics, loss curve,
validation history, weights) to an uninterrupted run on CPU; NaN/Inf fail fast and keep the last good
checkpoint; bad checkpoints are one-line errors that leave the file alone.

The kill tests are real: training runs in a child process that is SIGKILLed, at chosen points (in the
middle of a step, right after a checkpoint, in the middle of writing one, after result.json but before the
checkpoint is removed) and at random times, then resumed by another process. To save the seconds of
importing torch per run, the children are forked from a "zygote" interpreter that imported everything
but never trained; the last resume of the chosen-points chain runs in a brand-new interpreter. The
uninterrupted reference runs in the pytest process (one torch thread everywhere)."""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

import empirics.train as T
from empirics import checkpoint
from empirics.errors import PelgError
from empirics.model import ModelConfig
from empirics.train import RunFailed, TrainConfig, train

# rope+random draws positions from the numpy stream inside the forward pass; dropout draws from torch's;
# validation every 10 steps keeps a best state that differs from the final one. The model learns enough
# in 120 steps that validation certainly moves on any CPU's floating-point path (measured on Intel: 0 ->
# 0.31 with 9 distinct values, best at step 70; a 32-wide model at batch 16 moved too little on AMD EPYC)
KILL_CFG = dict(task="copy", model=ModelConfig(pe="rope+random", pe_options={"random_max": 12}, n_layer=1,
                                               n_head=2, d_model=64, d_ff=128, dropout=0.1).to_dict(),
                train_lengths=[1, 3], eval_buckets=[[1, 3], [4, 5]], eval_samples=64, steps=120, batch_size=32,
                lr=1e-2, device="cpu", checkpoint_every=7, eval_every=10, val_samples=64, seed=3)

CHILD = r"""
import io, json, os, signal, sys, traceback
import torch
import torch._dynamo  # the first optimizer imports it lazily (seconds): once, before forking
torch.set_num_threads(1)
import empirics.train as T
from empirics import checkpoint


def die():
    os.kill(os.getpid(), signal.SIGKILL)


def run(cfg_dict, out, plan):
    # Train with the kill points of `plan` patched in (this process only).
    count = {"step": 0, "save": 0}
    clip = torch.nn.utils.clip_grad_norm_
    def clip_and_maybe_die(*a, **k):  # called once per step, after backward, before the update
        count["step"] += 1
        if count["step"] == plan.get("kill_in_step"):
            die()
        return clip(*a, **k)
    torch.nn.utils.clip_grad_norm_ = clip_and_maybe_die

    save_state, torch_save = checkpoint.save_state, torch.save
    def save_and_maybe_die(path, state):
        count["save"] += 1
        if count["save"] == plan.get("kill_mid_save"):
            def half(obj, f):  # write half of the real bytes, then die inside the atomic write
                buf = io.BytesIO(); torch_save(obj, buf); data = buf.getvalue()
                f.write(data[: len(data) // 2]); f.flush(); os.fsync(f.fileno()); die()
            torch.save = half
        save_state(path, state)
        if count["save"] == plan.get("kill_after_save"):
            die()
    checkpoint.save_state = save_and_maybe_die

    write_json = T.write_json
    def write_and_maybe_die(path, obj):
        write_json(path, obj)
        if plan.get("kill_after_result"):
            die()
    T.write_json = write_and_maybe_die
    T.train(T.TrainConfig.from_dict(cfg_dict), out, progress=False)


if len(sys.argv) > 1:  # one run in this fresh interpreter: child.py CFG_JSON OUT PLAN_JSON
    run(json.loads(open(sys.argv[1]).read()), sys.argv[2], json.loads(sys.argv[3]))
    sys.exit(0)

# zygote: imports done once; each request (a JSON line) is run in a forked process that never saw a
# training run before; replies "<pid>" at once and "exit <code>" when it ends
for line in sys.stdin:
    req = json.loads(line)
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            run(req["cfg"], req["out"], req["plan"])
        except BaseException:
            traceback.print_exc()
            code = 1
        sys.stdout.flush(); sys.stderr.flush()
        os._exit(code)
    print(pid, flush=True)
    _, status = os.waitpid(pid, 0)
    print("exit", os.waitstatus_to_exitcode(status), flush=True)
"""


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The uninterrupted run (in this process): (result, weights of model.pt)."""
    out = tmp_path_factory.mktemp("reference")
    result = train(TrainConfig.from_dict(KILL_CFG), out, progress=False)
    return result, torch.load(out / "model.pt", weights_only=True)["state_dict"]


class Zygote:
    """A fresh interpreter with torch and pelg imported that forks one training process per run."""

    def __init__(self, script: Path, env: dict):
        self.proc = subprocess.Popen([sys.executable, str(script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, env=env)

    def run(self, out: Path, plan: dict, kill_after: float | None = None) -> int:
        """Train in a new process; SIGKILL it after `kill_after` seconds if given. -> its exit code
        (-9 when killed)."""
        self.proc.stdin.write(json.dumps({"cfg": KILL_CFG, "out": str(out), "plan": plan}) + "\n")
        self.proc.stdin.flush()
        pid = int(self.proc.stdout.readline())
        if kill_after is not None:
            time.sleep(kill_after)
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:  # it already finished (not yet reaped: still a zombie, so no error)
                pass
        word, code = self.proc.stdout.readline().split()
        assert word == "exit"
        return int(code)

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


@pytest.fixture(scope="module")
def child(tmp_path_factory):
    d = tmp_path_factory.mktemp("child")
    script = d / "child.py"
    script.write_text(CHILD)
    (d / "cfg.json").write_text(json.dumps(KILL_CFG))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    zygote = Zygote(script, env)

    def fresh(out: Path, plan: dict) -> subprocess.CompletedProcess:
        """One run in a brand-new interpreter."""
        return subprocess.run([sys.executable, str(script), str(d / "cfg.json"), str(out), json.dumps(plan)],
                              capture_output=True, text=True, env=env, timeout=300)
    yield zygote, fresh
    zygote.close()


def same_as_reference(out: Path, reference) -> dict:
    ref, ref_weights = reference
    result = json.loads((out / "result.json").read_text())
    for key in ("metrics", "train_loss", "validation", "steps_done", "stopped_early", "config", "n_params"):
        assert result[key] == ref[key], key
    weights = torch.load(out / "model.pt", weights_only=True)["state_dict"]
    assert weights.keys() == ref_weights.keys()
    assert all(torch.equal(weights[k], ref_weights[k]) for k in weights)
    # nothing left behind: no checkpoint, no temporary file of an interrupted atomic write
    assert sorted(p.name for p in out.iterdir()) == ["model.pt", "result.json"]
    return result


def saved_step(out: Path) -> int:
    return int(checkpoint.load_state(out / "checkpoint.pt")["step"])


def test_reference_selects_a_best_state_that_is_not_the_last(reference):
    """Otherwise the kill tests would not check that the best-so-far weights survive a resume."""
    result, _ = reference
    v = result["validation"]
    assert v["selected"] and v["best_step"] < result["steps_done"] == 120
    assert len({m for _, m in v["curve"]}) > 3  # the validation metric moves


needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="the kill tests fork training processes")


@needs_fork
def test_sigkill_at_chosen_points_then_resume_is_bitwise_identical(tmp_path, child, reference):
    zygote, fresh = child
    out = tmp_path / "run"
    # (plan for this process, steps in checkpoint.pt after it was killed); checkpoints every 7 steps
    chain = [({"kill_in_step": 10}, 7),          # mid-step 10 (after backward, before the update)
             ({"kill_after_save": 2}, 21),       # resumed at 7; killed right after the checkpoint at 21
             ({"kill_mid_save": 3}, 35),         # resumed at 21; killed while writing the one at 42
             ({"kill_after_result": True}, 120)]  # finished, wrote result.json, killed before cleanup
    for plan, step in chain:
        assert zygote.run(out, plan) == -signal.SIGKILL, plan
        assert saved_step(out) == step, plan
        if "kill_mid_save" in plan:  # the half-written temporary is there; checkpoint.pt is intact
            assert any(p.name.startswith(".checkpoint.pt.") for p in out.iterdir())
    done = fresh(out, {})  # the last resume in a brand-new interpreter
    assert done.returncode == 0, done.stderr[-3000:]
    result = same_as_reference(out, reference)
    assert result["resumed_at"] == [7, 21, 35, 120]


@needs_fork
def test_sigkill_at_random_times_then_resume_is_bitwise_identical(tmp_path, child, reference):
    zygote, _ = child
    seed = int.from_bytes(os.urandom(4), "little")
    rnd = random.Random(seed)
    out, kills, code = tmp_path / "run", 0, None
    for attempt in range(8):
        # a run takes about 1.5 s on an idle core; kill somewhere in it (or let it finish)
        code = zygote.run(out, {}, kill_after=rnd.uniform(0.0, 1.5) if attempt < 5 else None)
        if code == 0:
            break
        assert code == -signal.SIGKILL, f"exit code {code} (random seed {seed})"
        kills += 1
    assert code == 0, f"did not finish (random seed {seed})"
    result = same_as_reference(out, reference)
    assert kills >= 1 or result["resumed_at"] == [], seed


# ----------------------------------------------------------------------------- in-process interruptions
class Interrupt(Exception):
    pass


def interrupt_at(monkeypatch, steps: set[int]):
    """Raise inside the training step with these (0-based) indices of this call, after backward."""
    clip, count = torch.nn.utils.clip_grad_norm_, [0]

    def patched(*a, **k):
        count[0] += 1
        if count[0] - 1 in steps:
            raise Interrupt
        return clip(*a, **k)
    monkeypatch.setattr(torch.nn.utils, "clip_grad_norm_", patched)


CONFIGS = {
    # H25 options: learned APE with the position-offset trick, R_pos, early stop
    "h25": dict(task="h25.binary_majority", model=ModelConfig(pe="learned", n_layer=1, n_head=2, d_model=32, d_ff=64,
                                                              pe_options={"max_positions": 40}).to_dict(),
                train_lengths=[1, 12], eval_buckets=[[1, 12], [13, 20]], eval_samples=64, steps=150, batch_size=32,
                lr=3e-3, checkpoint_every=9, eval_every=15, val_samples=64, early_stop=True,
                position_offset_max=40, rpos_lambda=1e-3),
    # regression with validation (lowest MSE is best) and weight decay
    "regression": dict(task="running_mean", model=ModelConfig(arch="encoder", pe="alibi", n_layer=1, d_model=16,
                                                              d_ff=32).to_dict(),
                       train_lengths=[1, 8], eval_buckets=[[4, 4], [12, 12]], eval_samples=64, steps=40,
                       batch_size=16, lr=3e-3, weight_decay=0.1, checkpoint_every=6, eval_every=5, val_samples=32),
    # plain training, poly schedule, no validation
    "plain": dict(task="copy", model=ModelConfig(pe="t5", n_layer=1, n_head=2, d_model=16, d_ff=32).to_dict(),
                  train_lengths=[1, 4], eval_buckets=[[1, 4], [5, 6]], eval_samples=64, steps=30, batch_size=16,
                  lr=3e-3, schedule="poly", checkpoint_every=4),
}


@pytest.mark.parametrize("name", CONFIGS)
def test_interrupted_anywhere_in_process_resumes_identically(name, tmp_path, monkeypatch):
    cfg = {**CONFIGS[name], "device": "cpu"}
    plain = train(TrainConfig.from_dict(cfg), None, progress=False)  # no out_dir: checkpoints change nothing
    ref = train(TrainConfig.from_dict(cfg), tmp_path / "ref", progress=False)
    for key in ("metrics", "train_loss", "validation", "steps_done"):
        assert plain[key] == ref[key], key
    every, done = cfg["checkpoint_every"], ref["steps_done"]
    # interrupt right after a checkpoint, just before one, and in between; several times in one run
    points = sorted({every, every + 1, 2 * every - 1, done // 2, done - 1})
    out, resumes = tmp_path / "run", []
    for p in points:
        before = saved_step(out) if (out / "checkpoint.pt").exists() else 0
        interrupt_at(monkeypatch, {p - before})
        with pytest.raises(Interrupt):
            train(TrainConfig.from_dict(cfg), out, progress=False)
        monkeypatch.undo()
        resumes.append(saved_step(out) if (out / "checkpoint.pt").exists() else None)
    result = train(TrainConfig.from_dict(cfg), out, progress=False)
    for key in ("metrics", "train_loss", "validation", "steps_done", "stopped_early", "config"):
        assert result[key] == ref[key], key
    if name == "h25":
        assert result["rpos"] == ref["rpos"]
    a = torch.load(out / "model.pt", weights_only=True)["state_dict"]
    b = torch.load(tmp_path / "ref" / "model.pt", weights_only=True)["state_dict"]
    assert all(torch.equal(a[k], b[k]) for k in a)
    # each resume that reached a checkpoint of its own is recorded
    assert result["resumed_at"] and set(result["resumed_at"]) <= {s for s in resumes if s}


# ----------------------------------------------------------------------------- failures
FAIL_CFG = dict(task="copy", model=ModelConfig(pe="rope", n_layer=1, n_head=2, d_model=16, d_ff=32).to_dict(),
                train_lengths=[1, 4], eval_buckets=[[1, 4]], eval_samples=32, steps=24, batch_size=16, lr=3e-3,
                checkpoint_every=5, device="cpu")


def inject(monkeypatch, at: int, kind: str):
    """At training step `at` (0-based) make the loss NaN, or keep it finite with a NaN gradient."""
    scores, count = T.batch_scores, [0]

    def patched(model, batch, rng=None):
        s, losses = scores(model, batch, rng)
        count[0] += 1
        if count[0] - 1 == at:
            if kind == "loss":
                losses = losses * float("nan")
            else:  # sqrt at 0: value 0, gradient inf * 0 = nan
                losses = losses + torch.sqrt(model.head.weight.abs().sum() * 0.0)
        return s, losses
    monkeypatch.setattr(T, "batch_scores", patched)


@pytest.mark.parametrize("kind", ["loss", "gradient"])
def test_nan_fails_at_that_step_keeps_last_good_checkpoint_and_resumes(kind, tmp_path, monkeypatch):
    ref = train(TrainConfig.from_dict(FAIL_CFG), None, progress=False)
    out = tmp_path / "run"
    inject(monkeypatch, 13, kind)
    with pytest.raises(RunFailed) as err:
        train(TrainConfig.from_dict(FAIL_CFG), out, progress=False)
    e = err.value
    assert isinstance(e, PelgError) and e.step == 13 and e.checkpoint_step == 10
    assert "\n" not in str(e) and "step 13" in str(e) and ("gradient" in str(e)) == (kind == "gradient")
    state = checkpoint.load_state(out / "checkpoint.pt")
    assert state["step"] == 10 and all(torch.isfinite(v).all() for v in state["model"].values())
    assert not (out / "model.pt").exists() and not (out / "result.json").exists()
    monkeypatch.undo()  # the fault was transient: resuming gives the uninterrupted result
    result = train(TrainConfig.from_dict(FAIL_CFG), out, progress=False)
    assert result["metrics"] == ref["metrics"] and result["train_loss"] == ref["train_loss"]


def test_failure_before_any_checkpoint_writes_nothing(tmp_path, monkeypatch):
    inject(monkeypatch, 2, "loss")
    with pytest.raises(RunFailed) as err:
        train(TrainConfig.from_dict(FAIL_CFG), tmp_path / "run", progress=False)
    assert err.value.checkpoint_step is None and not (tmp_path / "run").exists()


def test_real_divergence_is_caught(tmp_path):
    """No injection: an absurd learning rate without clipping drives the weights to Inf/NaN."""
    cfg = {**FAIL_CFG, "lr": 1e30, "grad_clip": 1e30, "warmup": 0.0}
    with pytest.raises(RunFailed, match="non-finite"):
        train(TrainConfig.from_dict(cfg), tmp_path / "run", progress=False)


# ----------------------------------------------------------------------------- bad checkpoints
def test_bad_checkpoints_are_one_line_errors_and_left_alone(tmp_path, monkeypatch):
    out = tmp_path / "run"
    interrupt_at(monkeypatch, {7})
    with pytest.raises(Interrupt):
        train(TrainConfig.from_dict(FAIL_CFG), out, progress=False)
    monkeypatch.undo()
    good = (out / "checkpoint.pt").read_bytes()
    # another config in the same directory
    with pytest.raises(PelgError, match="another config .*'lr'"):
        train(TrainConfig.from_dict({**FAIL_CFG, "lr": 1e-2}), out, progress=False)
    assert checkpoint.load_state(out / "checkpoint.pt")["step"] == 5
    cases = {"truncated": good[: len(good) // 2], "garbage": b"not a checkpoint" * 40, "empty": b""}
    for name, data in cases.items():
        (out / "checkpoint.pt").write_bytes(data)
        with pytest.raises(PelgError, match="corrupt or not a pelg") as err:
            train(TrainConfig.from_dict(FAIL_CFG), out, progress=False)
        assert "\n" not in str(err.value) and (out / "checkpoint.pt").read_bytes() == data, name
    torch.save({"format": checkpoint.FORMAT, "config": "{}", "state_dict": {}}, out / "checkpoint.pt")
    with pytest.raises(PelgError, match="not a pelg-train-state-v1"):
        train(TrainConfig.from_dict(FAIL_CFG), out, progress=False)
    # resume=False starts afresh and gives the uninterrupted result
    ref = train(TrainConfig.from_dict(FAIL_CFG), None, progress=False)
    result = train(TrainConfig.from_dict(FAIL_CFG), out, progress=False, resume=False)
    assert result["metrics"] == ref["metrics"] and result["resumed_at"] == []


def test_training_state_loads_as_a_model(tmp_path, monkeypatch):
    """`checkpoint.load` (pelg predict, analysis) reads an unfinished run's checkpoint.pt too."""
    out = tmp_path / "run"
    interrupt_at(monkeypatch, {6})
    with pytest.raises(Interrupt):
        train(TrainConfig.from_dict(FAIL_CFG), out, progress=False)
    model, cfg = checkpoint.load(out / "checkpoint.pt")
    state = checkpoint.load_state(out / "checkpoint.pt")
    assert cfg.to_dict() == json.loads(state["config"])
    assert all(torch.equal(v, state["model"][k]) for k, v in model.state_dict().items())
