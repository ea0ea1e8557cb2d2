"""Dataset export and checking: JSONL per split plus a manifest (task, format, protocol, seed, sizes,
content hash), so that any dataset can be re-created from its manifest and checked byte for byte.

Splits: "train" (training lengths, never a held-out example), "iid_test" (training lengths, held-out
examples only), "test" (every test bucket of the protocol; `n_test` examples per bucket).

A manifest is input like any other: `check` validates every field (types, counts up to MAX_EXAMPLES,
lengths up to MAX_LENGTH, split files inside the dataset directory) before it re-generates anything.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from .errors import PelgError, require_int, require_positive, unknown
from .fileio import atomic_write, write_json
from .tasks import get_task
from .tasks.base import MAX_LENGTH, Example, Task
from .tasks.protocols import task_protocol
from .tasks.splits import draw, keep

SPLITS = ("train", "iid_test", "test")
MANIFEST = "manifest.json"
MAX_EXAMPLES = 10**7     # examples of one split (per bucket for "test")
MAX_SEED = 2**63 - 1


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
    """Write `<out_dir>/<split>.jsonl` and add the split to `<out_dir>/manifest.json`; `n` examples (per
    bucket for "test"), None = the protocol's. If the manifest cannot be written, the split file is put
    back as it was."""
    if n is not None:
        require_positive("n", n, MAX_EXAMPLES)
    require_int("seed", seed, 0, MAX_SEED)
    if split not in SPLITS:
        raise unknown("split", split, SPLITS)
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
    if not examples:
        raise PelgError(f"task {name!r} has no {split} examples under its protocol")
    text = "".join(json.dumps(example_row(e), sort_keys=True) + "\n" for e in examples)
    split_path = out_dir / f"{split}.jsonl"
    before = split_path.read_bytes() if split_path.is_file() else None
    atomic_write(split_path, lambda f: f.write(text.encode()))
    lengths = [e.length for e in examples]
    manifest["splits"][split] = {"file": f"{split}.jsonl", "n": len(examples), "n_requested": n,
                                 "min_length": min(lengths), "max_length": max(lengths), "sha256": _digest(text)}
    try:
        write_json(manifest_path, manifest)
    except BaseException:
        _put_back(split_path, before)
        raise
    return manifest


def _put_back(path: Path, before: bytes | None) -> None:
    """Restore `path` to `before` (None: remove it), best effort: the caller is already failing."""
    try:
        if before is None:
            path.unlink(missing_ok=True)
            if not any(path.parent.iterdir()):
                path.parent.rmdir()
        else:
            atomic_write(path, lambda f: f.write(before))
    except (OSError, PelgError):
        pass


def read_manifest(out_dir: Path) -> dict:
    """The manifest of a dataset directory, its fields checked (`check_manifest`)."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise PelgError(f"{str(out_dir)!r} is a file, not a dataset directory (the --out of `pelg data export`)")
    path = out_dir / MANIFEST
    try:
        manifest = json.loads(path.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        raise PelgError(f"no {MANIFEST} in {str(out_dir)!r}") from None
    except IsADirectoryError:
        raise PelgError(f"{str(path)!r} is a directory, not a manifest file") from None
    except OSError as e:
        raise PelgError(f"cannot read {str(path)!r}: {e.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        raise PelgError(f"{str(path)!r} is corrupt (not JSON)") from None
    if not isinstance(manifest, dict) or manifest.get("pelg_dataset") != 1 or "splits" not in manifest:
        raise PelgError(f"{str(path)!r} is not a pelg dataset manifest")
    check_manifest(manifest, path)
    return manifest


def _count(where: str, value, allow_all: bool = False):
    if allow_all and value == "all":
        return value
    return require_positive(where, value, MAX_EXAMPLES)


def _range(where: str, value) -> tuple[int, int]:
    ok = isinstance(value, list) and len(value) == 2 and all(isinstance(x, int) and not isinstance(x, bool)
                                                            for x in value)
    if not ok or not 0 <= value[0] <= value[1] <= MAX_LENGTH:
        raise PelgError(f"{where} must be [lo, hi] with 0 <= lo <= hi <= {MAX_LENGTH}, got {value!r}")
    return tuple(value)


def check_manifest(manifest: dict, path: Path) -> None:
    """Every field `check` and the training loader read: types, counts, lengths and the split list."""
    where = f"{str(path)!r}:"
    for key in ("task", "format"):
        if not isinstance(manifest.get(key), str):
            raise PelgError(f"{where} {key!r} must be a string, got {manifest.get(key)!r}")
    require_int(f"{where} 'seed'", manifest.get("seed"), 0, MAX_SEED)
    protocol = manifest.get("protocol")
    if not isinstance(protocol, dict):
        raise PelgError(f"{where} 'protocol' must be a table, got {protocol!r}")
    _range(f"{where} protocol 'train_lengths'", protocol.get("train_lengths"))
    buckets = protocol.get("test_buckets")
    if not isinstance(buckets, list) or not buckets:
        raise PelgError(f"{where} protocol 'test_buckets' must be a non-empty list, got {buckets!r}")
    for b in buckets:
        _range(f"{where} protocol 'test_buckets'", b)
    for key in ("n_train", "n_test"):
        _count(f"{where} protocol {key!r}", protocol.get(key), allow_all=True)
    splits = manifest["splits"]
    if not isinstance(splits, dict) or not splits:
        raise PelgError(f"{where} 'splits' must list at least one split (export one with `pelg data export`), "
                        f"got {splits!r}")
    for split, info in splits.items():
        if split not in SPLITS:
            raise unknown(f"split in {str(path)!r}", split, SPLITS)
        if not isinstance(info, dict):
            raise PelgError(f"{where} split {split!r} must be a table, got {info!r}")
        for key in ("file", "sha256"):
            if not isinstance(info.get(key), str):
                raise PelgError(f"{where} split {split!r}: {key!r} must be a string, got {info.get(key)!r}")
        _count(f"{where} split {split!r}: 'n'", info.get("n"))
        if info.get("n_requested") is not None:
            _count(f"{where} split {split!r}: 'n_requested'", info.get("n_requested"))
        expected = expected_count(protocol, split, info.get("n_requested"))
        if expected is not None and expected != info["n"]:
            raise PelgError(f"{where} split {split!r}: 'n' is {info['n']}, but the protocol and n_requested "
                            f"give {expected} examples")


def expected_count(protocol: dict, split: str, n: int | None) -> int | None:
    """The number of examples `generate_split` gives (None for a finite pool's "all")."""
    count = n or protocol["n_train" if split == "train" else "n_test"]
    if count == "all":
        return None
    return count * (len(protocol["test_buckets"]) if split == "test" else 1)


def read_split(out_dir: Path, split: str, info: dict) -> tuple[Path, str]:
    """(path, text) of one split file: inside the dataset directory, UTF-8, and matching its manifest hash."""
    out_dir = Path(out_dir)
    path = out_dir / info["file"]
    if not path.resolve().is_relative_to(out_dir.resolve()):
        raise PelgError(f"split {split!r}: file {info['file']!r} is outside the dataset directory "
                        f"{str(out_dir)!r}; a manifest names files inside it")
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise PelgError(f"split file {str(path)!r} is missing") from None
    except IsADirectoryError:
        raise PelgError(f"split file {str(path)!r} is a directory, not a JSONL file") from None
    except OSError as e:
        raise PelgError(f"cannot read split file {str(path)!r}: {e.strerror}") from None
    except UnicodeDecodeError as e:
        raise PelgError(f"split file {str(path)!r} is not UTF-8 text (byte {e.start}); "
                        f"not a JSONL file of `pelg data export`") from None
    if _digest(text) != info["sha256"]:
        raise PelgError(f"split {split!r}: {str(path)!r} does not match its manifest hash (modified or corrupt)")
    return path, text


def check(out_dir: Path) -> dict[str, str]:
    """Verify every split: the file's hash matches the manifest, and re-generating it from the manifest
    gives the same bytes. Returns {split: "ok"} or raises PelgError naming the first mismatch."""
    manifest = read_manifest(out_dir)
    task = get_task(manifest["task"], format=manifest["format"])
    status = {}
    for split, info in manifest["splits"].items():
        path, text = read_split(out_dir, split, info)
        lines = text.count("\n")
        if lines != info["n"]:
            raise PelgError(f"split {split!r}: the manifest says n = {info['n']}, {str(path)!r} has {lines} rows")
        again = generate_split(task, manifest["protocol"], split, manifest["seed"], info["n_requested"])
        regenerated = "".join(json.dumps(example_row(e), sort_keys=True) + "\n" for e in again)
        if _digest(regenerated) != info["sha256"]:
            raise PelgError(f"split {split!r}: re-generation from the manifest differs (pelg version changed?)")
        status[split] = "ok"
    return status
