"""Dataset export and checking: JSONL per split plus a manifest (task, format, protocol, seed, sizes,
content hash), so that any dataset can be re-created from its manifest and checked byte for byte.

Splits: "train" (training lengths, never a held-out example), "iid_test" (training lengths, held-out
examples only), "test" (every test bucket of the protocol; `n_test` examples per bucket).
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from .errors import PelgError, unknown
from .fileio import atomic_write, write_json
from .tasks import get_task
from .tasks.base import Example, Task
from .tasks.protocols import task_protocol
from .tasks.splits import draw, keep

SPLITS = ("train", "iid_test", "test")
MANIFEST = "manifest.json"


def _jsonable(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (list, tuple)) and value and isinstance(value[0], (list, tuple)):
        return [list(v) for v in value]  # "sets" targets stay lists of lists
    if isinstance(value, (list, tuple)):
        return " ".join(map(str, value))
    return value


def example_row(e: Example) -> dict:
    return {"source": _jsonable(e.source), "target": _jsonable(e.target), "length": int(e.length)}


def generate_split(task: Task, protocol: dict, split: str, seed: int, n: int | None = None) -> list[Example]:
    """The examples of one split; deterministic in (task, format, protocol, split, seed, n)."""
    if split not in SPLITS:
        raise unknown("split", split, SPLITS)
    rng = np.random.default_rng([seed, SPLITS.index(split)])
    train = tuple(protocol["train_lengths"])
    role = "train" if split == "train" else "eval"
    if split == "test":
        count, buckets = n or protocol["n_test"], [tuple(b) for b in protocol["test_buckets"]]
    else:
        count, buckets = n or protocol["n_train" if split == "train" else "n_test"], [train]
    if count == "all":  # finite datasets (SCAN): every example of the split, in a fixed order
        if not hasattr(task, "all_examples"):
            raise PelgError(f"task {task.name!r} has no finite pool; the protocol's n = \"all\" needs --n")
        return [e for lo, hi in buckets for e in task.all_examples(lo, hi) if keep(e, role, train)]
    return [draw(task, rng, lo, hi, role, train) for lo, hi in buckets for _ in range(int(count))]


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def export(name: str, split: str, out_dir: Path, format: str = "plain", seed: int = 0,
           n: int | None = None) -> dict:
    """Write `<out_dir>/<split>.jsonl` and add the split to `<out_dir>/manifest.json`."""
    task = get_task(name, format=format)
    protocol = task_protocol(name)
    out_dir = Path(out_dir)
    manifest_path = out_dir / MANIFEST
    header = {"task": name, "format": format, "seed": seed, "protocol": protocol, "pelg_dataset": 1}
    manifest = {**header, "splits": {}}
    if manifest_path.exists():
        manifest = read_manifest(out_dir)
        if {k: manifest.get(k) for k in header} != header:
            raise PelgError(f"{str(manifest_path)!r} describes another dataset (task/format/seed/protocol); "
                            f"export into a new directory")
    examples = generate_split(task, protocol, split, seed, n)
    text = "".join(json.dumps(example_row(e), sort_keys=True) + "\n" for e in examples)
    atomic_write(out_dir / f"{split}.jsonl", lambda f: f.write(text.encode()))
    lengths = [e.length for e in examples]
    manifest["splits"][split] = {"file": f"{split}.jsonl", "n": len(examples), "n_requested": n,
                                 "min_length": min(lengths), "max_length": max(lengths), "sha256": _digest(text)}
    write_json(manifest_path, manifest)
    return manifest


def read_manifest(out_dir: Path) -> dict:
    path = Path(out_dir) / MANIFEST
    try:
        manifest = json.loads(path.read_text())
    except FileNotFoundError:
        raise PelgError(f"no {MANIFEST} in {str(out_dir)!r}") from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise PelgError(f"{str(path)!r} is corrupt (not JSON)") from None
    if not isinstance(manifest, dict) or manifest.get("pelg_dataset") != 1 or "splits" not in manifest:
        raise PelgError(f"{str(path)!r} is not a pelg dataset manifest")
    return manifest


def check(out_dir: Path) -> dict[str, str]:
    """Verify every split: the file's hash matches the manifest, and re-generating it from the manifest
    gives the same bytes. Returns {split: "ok"} or raises PelgError naming the first mismatch."""
    manifest = read_manifest(out_dir)
    task = get_task(manifest["task"], format=manifest["format"])
    status = {}
    for split, info in manifest["splits"].items():
        path = Path(out_dir) / info["file"]
        try:
            text = path.read_text()
        except FileNotFoundError:
            raise PelgError(f"split file {str(path)!r} is missing") from None
        if _digest(text) != info["sha256"]:
            raise PelgError(f"split {split!r}: {str(path)!r} does not match its manifest hash (modified or corrupt)")
        again = generate_split(task, manifest["protocol"], split, manifest["seed"], info["n_requested"])
        regenerated = "".join(json.dumps(example_row(e), sort_keys=True) + "\n" for e in again)
        if _digest(regenerated) != info["sha256"]:
            raise PelgError(f"split {split!r}: re-generation from the manifest differs (pelg version changed?)")
        status[split] = "ok"
    return status
