"""Every registered task-split: its protocol exists, each split generates, every example passes the
task's oracle, and lengths fall in the protocol's ranges (issue #3's "done when")."""
import pytest

from empirics.datasets import SPLITS, example_row, generate_split
from empirics.tasks import TASKS, get_task
from empirics.tasks.protocols import all_protocols, task_protocol


def test_at_least_45_task_splits_with_protocols():
    assert len(TASKS) >= 45
    assert set(TASKS) == set(all_protocols())


@pytest.mark.parametrize("name", sorted(TASKS))
def test_every_split_generates_and_passes_the_oracle(name):
    task, protocol = get_task(name), task_protocol(name)
    lo, hi = protocol["train_lengths"]
    for split in SPLITS:
        examples = generate_split(task, protocol, split, seed=0, n=4)
        assert examples
        for e in examples:
            assert task.verify(e), (split, example_row(e))
            if split == "test":
                assert any(a <= e.length <= b for a, b in protocol["test_buckets"])
            else:
                assert lo <= e.length <= hi
