"""What a run is: `TrainConfig` (every field of a training run, checked on construction), `resolve` (what
the task decides: vocabulary size, valid lengths) and `build_model`. Separate from `empirics.train` so
that checkpoints and the engine can rebuild a model without importing the training loop."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields

import torch

from .errors import PelgError, require_int, require_positive, unknown
from .model import HASH_OMIT_DEFAULT, ModelConfig, Transformer
from .positional import resolve_options
from .positions import parse_pe_name, split_options
from .tasks import get_task
from .tasks.base import LAYOUTS, MAX_LENGTH
from .tasks.splits import lengths_in

# Upper bounds, so that a typo fails at once instead of running for ever or exhausting memory
MAX_STEPS = 10**9
MAX_SEED = 2**63 - 1          # torch.manual_seed takes a signed 64-bit integer
MAX_BATCH = 2**16             # examples per step
MAX_SAMPLES = 10**7           # evaluation / validation examples per bucket
DEVICES = ("auto", "cpu", "cuda")


def _float(name: str, value, low: float | None = None) -> float:
    """`value` as a finite float (ints accepted, so that 1 and 1.0 give the same resolved config)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise PelgError(f"{name} must be a finite number, got {value!r}")
    if low is not None and value < low:
        raise PelgError(f"{name} must be >= {low}, got {value!r}")
    return float(value)


def _bool(name: str, value) -> bool:
    if not isinstance(value, bool):
        raise PelgError(f"{name} must be true or false, got {value!r}")
    return value


@dataclass
class TrainConfig:
    """One run: task, model (with its PE), data lengths, optimisation, evaluation and protocol options."""

    task: str = "copy"
    task_format: str = "plain"       # "plain" or a scratchpad format of the task
    layout: str = "default"          # "default" (<bos> src <sep> tgt <eos>) | "k23"
    model: ModelConfig = field(default_factory=ModelConfig)
    train_lengths: tuple[int, int] = (1, 10)
    eval_buckets: list[tuple[int, int]] = field(default_factory=lambda: [(1, 10), (11, 20)])
    eval_samples: int = 256
    steps: int = 1000
    batch_size: int = 64
    lr: float = 1e-3
    weight_decay: float = 0.0
    warmup: float = 0.05             # fraction of steps
    schedule: str = "linear"         # "linear" | "poly" | "constant"
    poly_power: float = 2.0
    grad_clip: float = 1.0
    seed: int = 0
    device: str = "auto"             # "auto" | "cpu" | "cuda"
    # resumable checkpoints (only with an output directory; they never change results)
    checkpoint_every: int = 500      # steps between writes of out_dir/checkpoint.pt
    # K23: validation on held-out in-distribution examples; final metrics from the best checkpoint
    eval_every: int = 0              # steps between validations; 0 = none (final weights are reported)
    val_samples: int = 256           # validation examples (lengths in train_lengths, held out)
    select_best: bool = True         # with eval_every: report the best validation checkpoint
    # H25
    early_stop: bool = False         # stop at 100% validation accuracy (needs eval_every)
    early_stop_at: float = field(default=1.0, metadata=HASH_OMIT_DEFAULT)  # early stop's validation bar
    # consecutive validations at or above the bar before the stop (1 = the first; more = a margin, so that
    # a model that reaches the bar once, at the edge, trains on instead of stopping there)
    early_stop_patience: int = field(default=1, metadata=HASH_OMIT_DEFAULT)
    position_offset_max: int = 0     # > 0: training position ids offset + (0..T-1), all < this; 0 = off
    rpos_lambda: float = 0.0         # loss += rpos_lambda * R_pos (learned APE only)
    # K23: a fixed training set drawn once and reused across epochs (empirics.trainsets)
    # (fields added after results were recorded stay out of the config hash at their defaults)
    n_train: int | str = field(default=0, metadata=HASH_OMIT_DEFAULT)   # 0 = a fresh stream; "all" = a pool
    data_seed: int = field(default=0, metadata=HASH_OMIT_DEFAULT)       # the set's seed (K23: one for all seeds)
    dataset: str = field(default="", metadata=HASH_OMIT_DEFAULT)        # an exported dataset directory
    # task parameters (e.g. a K23 copy task's symbol inventory `n_symbols`); {} = the task's defaults
    task_params: dict = field(default_factory=dict, metadata=HASH_OMIT_DEFAULT)
    precision: str = field(default="fp32", metadata=HASH_OMIT_DEFAULT)  # "fp32" | "bf16" autocast (empirics.accel)

    def __post_init__(self):
        if isinstance(self.model, dict):
            self.model = ModelConfig.from_dict(self.model)
        self.train_lengths = tuple(int(x) for x in self.train_lengths)
        self.eval_buckets = [tuple(int(x) for x in b) for b in self.eval_buckets]
        require_positive("steps", self.steps, MAX_STEPS)
        require_positive("batch_size", self.batch_size, MAX_BATCH)
        require_positive("eval_samples", self.eval_samples, MAX_SAMPLES)
        require_int("seed", self.seed, 0, MAX_SEED)
        for lo, hi in [self.train_lengths, *self.eval_buckets]:
            if lo < 0 or hi < lo:
                raise PelgError(f"length range ({lo}, {hi}) is impossible: need 0 <= lo <= hi")
            if hi > MAX_LENGTH:
                raise PelgError(f"length range ({lo}, {hi}) is too long: pelg's maximum length is {MAX_LENGTH} "
                                f"(empirics.tasks.base.MAX_LENGTH)")
        if self.schedule not in ("linear", "poly", "constant"):
            raise unknown("schedule", self.schedule, ["linear", "poly", "constant"])
        if self.layout not in LAYOUTS:
            raise unknown("layout", self.layout, LAYOUTS)
        if self.device not in DEVICES:
            raise unknown("device", self.device, DEVICES)
        for name in ("lr", "weight_decay", "warmup", "poly_power", "grad_clip"):
            setattr(self, name, _float(name, getattr(self, name)))
        self.rpos_lambda = _float("rpos_lambda", self.rpos_lambda, low=0.0)
        require_positive("checkpoint_every", self.checkpoint_every)
        require_positive("val_samples", self.val_samples, MAX_SAMPLES)
        for name in ("eval_every", "position_offset_max"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise PelgError(f"{name} must be an integer >= 0 (0 = off), got {value!r}")
        if self.n_train != "all" and (isinstance(self.n_train, bool) or not isinstance(self.n_train, int)
                                      or not 0 <= self.n_train <= MAX_SAMPLES):
            raise PelgError(f"n_train must be an integer >= 0 and <= {MAX_SAMPLES} (0 = a fresh stream) or 'all', "
                            f"got {self.n_train!r}")
        require_int("data_seed", self.data_seed, 0, MAX_SEED)
        if not isinstance(self.dataset, str):
            raise PelgError(f"dataset must be a directory path, got {self.dataset!r}")
        if not isinstance(self.task_params, dict):
            raise PelgError(f"task_params must be a table of task parameters, got {self.task_params!r}")
        if self.dataset and self.n_train:
            raise PelgError("give either dataset (an exported directory) or n_train (a generated fixed set), not both")
        if self.precision not in ("fp32", "bf16"):
            raise unknown("precision", self.precision, ("fp32", "bf16"))
        self.select_best = _bool("select_best", self.select_best)
        self.early_stop = _bool("early_stop", self.early_stop)
        self.early_stop_at = _float("early_stop_at", self.early_stop_at, 0.0)
        if not 0.0 < self.early_stop_at <= 1.0:
            raise PelgError(f"early_stop_at must be in (0, 1], got {self.early_stop_at!r}")
        require_int("early_stop_patience", self.early_stop_patience, 1, MAX_STEPS)
        if self.early_stop and not self.eval_every:
            raise PelgError("early_stop needs eval_every > 0 (validation decides when to stop)")
        base, scheme = parse_pe_name(self.model.pe)
        if self.position_offset_max:
            if scheme != "abs":
                raise PelgError(f"position_offset_max needs the default position scheme; PE {self.model.pe!r} "
                                f"re-indexes positions itself")
            if base == "learned":
                rows = resolve_options("learned", _base_options(self.model.pe_options))["max_positions"]
                if self.position_offset_max > rows:
                    raise PelgError(f"position_offset_max {self.position_offset_max} exceeds the learned PE table "
                                    f"({rows} positions); raise pe_options max_positions")
        if self.rpos_lambda and base != "learned":
            raise PelgError(f"rpos_lambda needs the learned absolute PE ('learned'), got PE {self.model.pe!r}")

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        names = {f.name for f in fields(cls)}
        bad = set(d) - names
        if bad:
            raise unknown("train config field", sorted(bad)[0], names)
        return cls(**d)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["train_lengths"], d["eval_buckets"] = list(self.train_lengths), [list(b) for b in self.eval_buckets]
        return d


def _base_options(pe_options: dict) -> dict:
    return split_options(pe_options)[0]


def task_of(cfg: TrainConfig):
    """The run's task: its name, format and parameters (the one place a config becomes a Task)."""
    return get_task(cfg.task, format=cfg.task_format, **cfg.task_params)


def resolve_device(name: str) -> torch.device:
    """The torch device of a config's `device`; an unknown name, or cuda without a GPU, is a PelgError
    (the CLI calls it before any run starts)."""
    if name not in DEVICES:
        raise unknown("device", name, DEVICES)
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise PelgError("device 'cuda' requested but torch sees no GPU; valid here: auto, cpu")
    return torch.device(name)


def resolve(cfg: TrainConfig) -> TrainConfig:
    """Fill in what the task decides (the vocabulary size of token tasks) and check that task and model
    fit; in place, returns `cfg`. Its `to_dict()` is then the config that checkpoints and result.json
    record (and what a results store should hash)."""
    task = task_of(cfg)
    mc = cfg.model
    if task.kind == "regression" and mc.vocab_size != 0:
        raise PelgError(f"task {cfg.task!r} is a regression task: model.vocab_size must be 0")
    if task.kind in ("tokens", "sets"):
        if mc.arch != "decoder":
            raise PelgError(f"task {cfg.task!r} is a {task.kind} task and needs arch 'decoder', got {mc.arch!r}")
        cfg.model = ModelConfig.from_dict({**mc.to_dict(), "vocab_size": len(task.vocab)})
    for lo, hi in [cfg.train_lengths, *cfg.eval_buckets]:  # the task decides which lengths exist
        if lo < task.min_length:
            task.check_length(lo)  # raises, naming the task's valid lengths
        lengths_in(task, lo, hi)  # raises if no length in the range has an example
    return cfg


def default_buckets(train: tuple[int, int], protocol_buckets, max_length: int | None = None) -> list[tuple[int, int]]:
    """Evaluation buckets for training lengths `train`: the in-distribution bucket `train` first, then
    the protocol's buckets with the trained lengths cut out, so that no bucket mixes seen and unseen
    lengths ((1, 5) with buckets (1, 10), (11, 20) -> (1, 5), (6, 10), (11, 20)). If no protocol length
    lies above the training lengths, one bucket (hi + 1, 2 hi) is added, within the task's `max_length`."""
    lo, hi = train
    out = []
    for a, b in (tuple(x) for x in protocol_buckets):
        for part in ((a, min(b, lo - 1)), (max(a, hi + 1), b)):  # below and above the trained lengths
            if part[0] <= part[1] and part not in out:
                out.append(part)
    top = min(MAX_LENGTH, MAX_LENGTH if max_length is None else max_length)
    if not any(a > hi for a, _ in out) and hi < top:
        out.append((hi + 1, min(max(2 * hi, hi + 1), top)))
    return [(lo, hi)] + sorted(out)


def build_model(cfg: TrainConfig) -> Transformer:
    return Transformer(resolve(cfg).model)


