"""The task registry: a task-split registered at run time, with its protocol, in this file only, is listed by
`pelg tasks`, exported and checked by `pelg data`, and trained by `pelg train`."""
from __future__ import annotations

import json

import pytest

from empirics.cli import main
from empirics.errors import PelgError
from empirics.tasks import TASKS, get_task, register_task
from empirics.tasks import protocols as P
from empirics.tasks.base import Example, Task, Vocab


class Doubling(Task):
    """Toy task: the target repeats every source symbol twice."""

    name, paper, min_length = "toy.doubling", "pelg", 1
    description = "each of n random symbols, twice"

    def __init__(self):
        self.symbols = ["a", "b", "c"]
        self.vocab = Vocab(self.symbols)

    def sample(self, rng, length):
        length = self.check_length(length)
        src = [self.symbols[i] for i in rng.integers(0, 3, size=length)]
        return Example(src, [s for s in src for _ in range(2)], length)

    def oracle(self, example):
        out = []
        for s in example.source:
            out += [s, s]
        return out


PROTOCOL = {"train_lengths": [1, 4], "test_buckets": [[1, 4], [5, 8]], "n_train": 200, "n_test": 40,
            "source": "test_task_registry.py"}


@pytest.fixture
def toy_task(monkeypatch):
    monkeypatch.setattr(P, "_REGISTERED", {})
    monkeypatch.setattr("empirics.tasks.TASKS", dict(TASKS))
    import empirics.tasks as tasks

    tasks.register_task("toy.doubling", lambda format="plain": _plain(Doubling(), format), PROTOCOL)
    yield


def _plain(task, format):
    task.set_format(format)
    return task


def test_registered_task_is_listed_exported_checked_and_trained(toy_task, tmp_path, capsys):
    import empirics.tasks as tasks

    assert tasks.get_task("toy.doubling").verify(tasks.get_task("toy.doubling").sample(
        __import__("numpy").random.default_rng(0), 3))
    assert main(["tasks"]) == 0 and "toy.doubling" in capsys.readouterr().out
    out = tmp_path / "data"
    assert main(["data", "export", "toy.doubling", "--split", "train", "--out", str(out)]) == 0
    assert main(["data", "check", str(out)]) == 0
    capsys.readouterr()
    run = tmp_path / "run"
    assert main(["train", "--task", "toy.doubling", "--steps", "5", "--eval-samples", "8", "--quiet",
                 "--out", str(run)]) == 0
    result = json.loads((run / "result.json").read_text())
    assert result["config"]["train_lengths"] == [1, 4] and set(result["metrics"]) == {"1-4", "5-8"}


def test_a_taken_name_or_a_bad_protocol_is_refused(toy_task):
    with pytest.raises(PelgError, match="cannot register task 'copy'"):
        register_task("copy", lambda format="plain": get_task("copy"))
    with pytest.raises(PelgError, match="impossible length range"):
        register_task("toy.bad", lambda format="plain": Doubling(), {**PROTOCOL, "train_lengths": [4, 1]})
