"""End-to-end tests of the `pelg` command line: listings, training, the Li 2025 smoke reproduction and
bad input (one line, exit code 2, nothing written)."""
import json
import subprocess
import sys

import pytest

from empirics.cli import main
from empirics.positions import PES, SCHEMES


def run_cli(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_pes_lists_every_catalogue_entry(capsys):
    code, out, _ = run_cli(capsys, "pes")
    names = [line.split()[0] for line in out.strip().splitlines()]
    assert code == 0 and len(names) >= 14 and names == list(PES) + list(SCHEMES)


def test_tasks_lists_the_first_tasks(capsys):
    code, out, _ = run_cli(capsys, "tasks")
    names = {line.split()[0] for line in out.strip().splitlines()}
    assert code == 0 and {"copy", "reverse", "running_mean", "running_sum"} <= names


def test_train_prints_buckets_and_writes_checkpoint(capsys, tmp_path):
    code, out, _ = run_cli(capsys, "train", "--task", "copy", "--pe", "alibi", "--steps", "3",
                           "--eval-samples", "8", "--quiet", "--out", str(tmp_path))
    assert code == 0
    assert "1-10" in out and "11-20" in out
    result = json.loads((tmp_path / "result.json").read_text())
    assert set(result["metrics"]) == {"1-10", "11-20"} and (tmp_path / "model.pt").stat().st_size > 0


@pytest.mark.parametrize("argv, needle", [
    (["train", "--task", "nosuch"], "unknown task 'nosuch'; valid: c25.addition_cot"),
    (["train", "--task", "copy", "--pe", "ropee"], "unknown positional encoding 'ropee'; valid:"),
    (["train", "--task", "copy", "--pe", "rope+foo"], "unknown position scheme 'foo'"),
    (["train", "--task", "copy", "--steps", "0"], "--steps must be a positive integer"),
    (["train", "--task", "copy", "--steps", "-5"], "--steps must be a positive integer"),
    (["train", "--task", "copy", "--train-lengths", "0", "5"], "needs an integer length (source tokens) >= 1, got 0"),
    (["train", "--task", "copy", "--train-lengths", "6", "5"], "length range (6, 5) is impossible"),
    (["train", "--task", "copy", "--pe-opt", "nosuch=1"], "unknown option for PE 'nope' 'nosuch'"),
    (["train", "--task", "copy", "--pe", "rope", "--pe-opt", "layout=diagonal"], "layout"),
    (["train", "--task", "copy", "--device", "tpu"], "unknown device 'tpu'"),
    (["repro", "nosuch"], "unknown reproduction 'nosuch'; valid: "),
    (["repro", "li2025", "--profile", "huge"], "unknown profile 'huge'; valid: full, quick, smoke"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, tmp_path, argv, needle):
    code, out, err = run_cli(capsys, *argv, *(["--out", str(tmp_path / "o")] if argv[0] == "train" else []))
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("pelg: error: ") and needle in err
    assert not (tmp_path / "o").exists()


def test_learned_pe_beyond_its_table_is_an_error_before_training(capsys, tmp_path, monkeypatch):
    """Caught before the first step (no checkpoint written), naming the table size and the size needed."""
    from empirics import train as T

    def no_training(*a, **k):
        raise AssertionError("training started")

    monkeypatch.setattr(T, "train", no_training)
    code, _, err = run_cli(capsys, "train", "--task", "copy", "--pe", "learned", "--pe-opt", "max_positions=16",
                           "--steps", "2", "--quiet", "--out", str(tmp_path / "o"))
    assert code == 2 and "outside its table" in err and "max_positions=16" in err, err
    assert "max_positions=22" in err and not (tmp_path / "o").exists()  # copy 1-10: <bos> 10 <sep> 10 = 22


def test_console_script_has_no_traceback_on_bad_input():
    proc = subprocess.run([sys.executable, "-m", "empirics.cli", "train", "--task", "nosuch"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_repro_li2025_smoke_end_to_end(capsys, tmp_path, monkeypatch):
    doc = "# repro\n<!-- li2025-table:begin -->\nold\n<!-- li2025-table:end -->\ntail\n"
    (tmp_path / "paper_repro.md").write_text(doc)
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli(capsys, "repro", "li2025", "--profile", "smoke", "--out", "o", "--publish")
    assert code == 0
    table = (tmp_path / "o" / "table.md").read_text()
    assert "smoke profile: too small to decide; run --profile quick" in table and "NOT reproduce" not in out
    for pe in ("sinusoidal", "alibi", "wavelet", "legendre", "nope", "learned", "rope"):
        assert f"| {pe}" in table
    assert "0.0108" in table and "0.0423" in table and "zero predictor" in table
    assert (tmp_path / "o" / "li2025_mse_vs_length.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "figures" / "li2025_mse_vs_length.png").exists()
    published = (tmp_path / "paper_repro.md").read_text()
    assert "old" not in published and "| wavelet" in published and published.endswith("tail\n")
    results = json.loads((tmp_path / "o" / "results.json").read_text())
    assert len(results) == 7 * 2  # PEs x masks x 1 seed
    assert all(r["metric_name"] == "mse" and set(r["metrics"]) == {"50", "100", "200"} for r in results)


def test_repro_publish_without_markers_writes_nothing(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(capsys, "repro", "li2025", "--profile", "smoke", "--out", "o", "--publish")
    assert code == 2 and "paper_repro.md" in err and not (tmp_path / "o").exists()


def test_tasks_show_prints_samples(capsys):
    code, out, _ = run_cli(capsys, "tasks", "show", "reverse", "--length", "4", "--n", "3")
    rows = [l for l in out.splitlines() if l.startswith("[4]")]
    assert code == 0 and len(rows) == 3
    src, tgt = rows[0][4:].split("  =>  ")
    assert tgt.split() == src.split()[::-1]


def test_data_export_then_check_then_detect_tampering(capsys, tmp_path):
    out = tmp_path / "d"
    for split in ("train", "iid_test", "test"):
        assert run_cli(capsys, "data", "export", "copy", "--split", split, "--out", str(out), "--n", "20")[0] == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["splits"]) == {"train", "iid_test", "test"}
    assert manifest["splits"]["test"]["n"] == 40 and manifest["splits"]["test"]["max_length"] > 10
    train = {l for l in (out / "train.jsonl").read_text().splitlines()}
    iid = {l for l in (out / "iid_test.jsonl").read_text().splitlines()}
    assert not train & iid
    code, text, _ = run_cli(capsys, "data", "check", str(out))
    assert code == 0 and text.count(": ok") == 3
    lines = (out / "train.jsonl").read_text().splitlines()
    (out / "train.jsonl").write_text("\n".join(lines[1:]) + "\n")
    code, _, err = run_cli(capsys, "data", "check", str(out))
    assert code == 2 and "does not match its manifest hash" in err


@pytest.mark.parametrize("argv, needle", [
    (["tasks", "show", "nosuch"], "unknown task 'nosuch'"),
    (["tasks", "show", "copy", "--length", "0"], "needs an integer length (source tokens) >= 1"),
    (["tasks", "show", "copy", "--format", "fancy"], "unknown format 'fancy'; valid: plain"),
    (["tasks", "--paper", "nosuch"], "unknown paper 'nosuch'"),
    (["data", "export", "copy", "--split", "dev", "--out", "X"], "unknown split 'dev'; valid: iid_test, test, train"),
    (["data", "check", "X"], "no manifest.json"),
])
def test_task_and_data_bad_input(capsys, tmp_path, monkeypatch, argv, needle):
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(capsys, *argv)
    assert code == 2 and err.count("\n") == 1 and needle in err
    assert not (tmp_path / "X").exists() or argv[1] == "check"


def test_data_check_rejects_a_corrupt_manifest(capsys, tmp_path):
    (tmp_path / "manifest.json").write_text("{not json")
    code, _, err = run_cli(capsys, "data", "check", str(tmp_path))
    assert code == 2 and "corrupt" in err


def test_claims_json_has_the_ledger_fields(capsys):
    """--json is JSON Lines, as its help says: one object per claim, one per line."""
    code, out, err = run_cli(capsys, "claims", "--paper", "k23", "--json")  # the alias of kazemnejad2023
    records = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(records) >= 2, err
    assert {r["id"] for r in records} >= {"k23.theorem1", "k23.theorem2"}
    for r in records:
        assert {"id", "paper", "statement", "verdict", "evidence"} <= set(r) and r["evidence"]
        assert r["verdict"] in ("holds", "fails", "ill-posed", "holds with correction", "not checkable", "undecided",
                                "no separation")


@pytest.mark.parametrize("argv, needle", [
    (["claims", "--paper", "nosuch"], "unknown paper 'nosuch'"),
    (["claims", "--id", "nosuch"], "unknown claim id 'nosuch'"),
])
def test_claims_bad_input(capsys, argv, needle):
    code, _, err = run_cli(capsys, *argv)
    assert code == 2 and needle in err and err.count("\n") == 1


def test_predict_covers_every_task_for_the_five_pes(capsys):
    """#5's contract: one record per (task, PE, theory) for APE, RPE, NoPE, IPE and SH in every theory."""
    code, out, _ = run_cli(capsys, "predict", "--json")
    recs = json.loads(out)
    assert code == 0
    for theory in ("crasp", "src", "lrc"):
        mine = [r for r in recs if r["theory"] == theory]
        tasks = {r["task"] for r in mine}
        have = {(r["task"], r["pe"]) for r in mine}
        assert {(t, pe) for t in tasks for pe in ("ape", "rpe", "nope", "ipe", "sh")} <= have, theory
        assert all(r["prediction"] in ("generalizes", "fails") and r["reason"] for r in mine)
    assert len({r["task"] for r in recs if r["theory"] == "crasp"}) == 25
    code, out, _ = run_cli(capsys, "predict", "--theory", "crasp", "--pe", "sh", "--task", "h25.copy_repeat")
    assert code == 0 and len(out.strip().splitlines()) == 1 and "generalizes" in out
    code, out, err = run_cli(capsys, "predict", "--pe", "nosuch")
    assert code == 2 and "nosuch" in err and "ipe" in err and len(err.strip().splitlines()) == 1


def test_predict_names_the_train_pes_of_each_class(capsys):
    code, out, _ = run_cli(capsys, "predict", "--theory", "crasp", "--pe", "ape", "--task", "h25.copy_repeat")
    assert code == 0 and "trains as: learned, sinusoidal, wavelet, legendre" in out
    code, out, _ = run_cli(capsys, "predict", "--theory", "crasp", "--pe", "rpe", "--json")
    recs = json.loads(out)
    assert recs and all(r["trains_as"][0] == "rope" and "t5" in r["trains_as"] for r in recs)


def test_theory_pe_classes_name_trainable_pes_of_the_right_kind():
    """Every name in the table parses as a `pelg train --pe` name; APEs act on the embedding, RPEs on q/k or
    the logits; every class the predictors use is in the table."""
    from empirics.names import THEORY_PE_CLASSES, trains_as
    from empirics.positions import parse_pe_name
    from theory.chen2025 import pola, src
    from theory.huang2025 import predictions

    for cls in {*predictions.PES, *src.PES, *pola.PES}:
        assert cls in THEORY_PE_CLASSES, cls
    for cls, names in THEORY_PE_CLASSES.items():
        for name in trains_as(cls):
            base, scheme = parse_pe_name(name)
            hook = PES[base].hook
            assert {"ape": hook == "embedding", "rpe": hook in ("qk", "bias"), "sh": scheme == "sh",
                    "ape+sh": scheme == "sh" and hook == "embedding"}.get(cls, True), (cls, name)


def test_truncated_notes_end_in_an_ellipsis(capsys):
    """A reason longer than its column is cut with "…"; a short one is printed whole."""
    reasons = [r["reason"] for r in json.loads(run_cli(capsys, "predict", "--theory", "crasp", "--json")[1])]
    code, out, _ = run_cli(capsys, "predict", "--theory", "crasp")
    lines = out.splitlines()
    assert code == 0 and len(lines) == len(reasons) and any(len(r) > 90 for r in reasons)
    for line, reason in zip(lines, reasons):
        assert line.endswith(reason[:89] + "…" if len(reason) > 90 else reason), (line, reason)


# ----------------------------------------------------------------------------- `pelg train` architecture
def train_config(*argv):
    from empirics.cli import build_parser
    from empirics.cli_train import build_config

    return build_config(build_parser().parse_args(["train", "--task", "copy", *argv]))


K23_CHOICES = dict(norm="rmsnorm", activation="relu", score_scaling=False, linear_bias=False, init="t5",
                   output_scale="rsqrt_d", dropout=0.1, tie_embeddings=True)


def test_train_without_new_flags_builds_the_config_of_before():
    """No architecture or data flag: the model of before (d_ff = 4 d_model, GPT-2's choices), so the same
    config hash as before these flags existed."""
    from empirics.engine.confighash import config_hash
    from empirics.model import ModelConfig
    from empirics.train import TrainConfig

    cfg = train_config("--d-model", "32", "--heads", "4", "--eval-samples", "512")
    before = TrainConfig(task="copy", model=ModelConfig(pe="nope", n_layer=2, n_head=4, d_model=32, d_ff=128),
                         train_lengths=cfg.train_lengths, eval_buckets=cfg.eval_buckets, eval_samples=512)
    assert cfg == before and config_hash(cfg) == config_hash(before)


def test_train_defaults_are_the_python_apis():
    """`pelg train --task copy` and TrainConfig(task="copy") are one run: the same config, field by field."""
    from empirics.train import TrainConfig

    api = TrainConfig(task="copy")
    assert train_config() == api and train_config().model.n_head == 1 and train_config().eval_samples == 256


@pytest.mark.parametrize("argv, buckets", [
    (["--train-lengths", "1", "5"], [(1, 5), (6, 10), (11, 20)]),          # no bucket mixes seen and unseen
    (["--train-lengths", "3", "5"], [(3, 5), (1, 2), (6, 10), (11, 20)]),
    (["--train-lengths", "1", "30"], [(1, 30), (31, 60)]),                # beyond every protocol bucket
    ([], [(1, 10), (11, 20)]),                                            # the protocol's, as before
    (["--test-lengths", "9", "16", "--test-lengths", "17", "32"], [(1, 10), (9, 16), (17, 32)]),
    (["--test-lengths", "9-16", "17-32"], [(1, 10), (9, 16), (17, 32)]),
    (["--test-lengths", "9", "16", "17-32"], [(1, 10), (9, 16), (17, 32)]),
    (["--test-lengths", "11", "20"], [(1, 10), (11, 20)]),                 # the old form
])
def test_train_test_buckets(argv, buckets):
    assert train_config(*argv).eval_buckets == buckets


def test_train_preset_k23_sets_every_choice_and_flags_override_it():
    m = train_config("--preset", "k23").model
    assert {k: getattr(m, k) for k in K23_CHOICES} == K23_CHOICES and m.d_ff == 4 * m.d_model
    m = train_config("--preset", "k23", "--norm", "layernorm", "--score-scaling", "--linear-bias", "--dropout", "0",
                     "--init", "gpt2", "--output-scale", "none", "--no-tie-embeddings", "--activation", "gelu",
                     "--d-ff", "100").model
    assert (m.norm, m.score_scaling, m.linear_bias, m.dropout, m.init, m.output_scale, m.tie_embeddings,
            m.activation, m.d_ff) == ("layernorm", True, True, 0.0, "gpt2", "none", False, "gelu", 100)


def test_train_architecture_flags_without_a_preset():
    m = train_config("--no-score-scaling", "--no-linear-bias", "--init", "t5", "--output-scale", "rsqrt_d",
                     "--norm", "rmsnorm", "--activation", "relu", "--dropout", "0.2", "--d-ff", "48").model
    assert (m.score_scaling, m.linear_bias, m.init, m.output_scale, m.norm, m.activation, m.dropout, m.d_ff) == \
        (False, False, "t5", "rsqrt_d", "rmsnorm", "relu", 0.2, 48)
    assert m.tie_embeddings is True  # untouched


def test_train_data_flags_reach_the_config():
    from dataclasses import fields

    from empirics.train import TrainConfig

    if not {"n_train", "dataset"} <= {f.name for f in fields(TrainConfig)}:
        pytest.skip("TrainConfig has no n_train / dataset fields yet")
    assert train_config("--n-train", "32").n_train == 32
    assert train_config("--n-train", "all").n_train == "all"
    assert train_config("--dataset", "some/dir").dataset == "some/dir"
    cfg = train_config()
    assert (cfg.n_train, cfg.dataset) == (0, "")


def test_train_preset_k23_end_to_end(capsys, tmp_path):
    code, out, _ = run_cli(capsys, "train", "--task", "copy", "--preset", "k23", "--layout", "k23", "--pe", "t5",
                           "--steps", "3", "--eval-samples", "8", "--quiet", "--out", str(tmp_path))
    assert code == 0 and "1-10" in out
    model = json.loads((tmp_path / "result.json").read_text())["config"]["model"]
    assert {k: model[k] for k in K23_CHOICES} == K23_CHOICES


def test_train_help_shows_the_defaults(capsys):
    from empirics.cli import build_parser

    with pytest.raises(SystemExit):
        build_parser().parse_args(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for needle in ("--no-linear-bias", "--no-score-scaling", "--no-tie-embeddings", "(default: 1000)",
                   "--d-ff D_FF", "--norm NORM", "--activation ACTIVATION", "--dropout DROPOUT",
                   "(default: 0.0; k23: 0.1)", "(default: on; k23: off)", "--test-lengths LENGTHS",
                   "attention heads (default: 1)", "per length bucket (default: 256)",
                   "(default: layernorm; k23: rmsnorm)", "(default: gpt2; k23: t5)", "(default: 4 x --d-model)",
                   "--n-train N", "--dataset DIR", "(default: none)"):
        assert needle in text, needle


@pytest.mark.parametrize("argv, needle", [
    (["--init", "xavier"], "unknown init 'xavier'; valid: gpt2, t5"),
    (["--output-scale", "sqrt"], "unknown output_scale 'sqrt'; valid: none, rsqrt_d"),
    (["--norm", "batchnorm"], "unknown norm 'batchnorm'"),
    (["--activation", "tanh"], "unknown activation 'tanh'"),
    (["--preset", "t5"], "unknown preset 't5'; valid: k23, none"),
    (["--d-ff", "0"], "d_ff must be a positive integer"),
])
def test_train_bad_architecture_is_one_line_and_exit_2(capsys, tmp_path, argv, needle):
    code, _, err = run_cli(capsys, "train", "--task", "copy", *argv, "--out", str(tmp_path / "o"))
    assert code == 2 and err.count("\n") == 1 and err.startswith("pelg: error: ") and needle in err, err
    assert not (tmp_path / "o").exists()


# ----------------------------------------------------------------------------- a CLI that explains itself
def _parsers(parser, prog="pelg"):
    """Every (prog, parser) of the `pelg` command tree."""
    import argparse

    yield prog, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _parsers(sub, f"{prog} {name}")


def test_every_option_help_shows_its_default():
    """Each option with a default to show says it in --help (argparse's own -h aside)."""
    import argparse

    from empirics.cli import build_parser

    missing = []
    for prog, parser in _parsers(build_parser()):
        formatter = parser._get_formatter()
        for a in parser._actions:
            shown = a.default not in (None, "", False, argparse.SUPPRESS) and a.option_strings and a.dest != "help"
            if shown and "default" not in formatter._expand_help(a):
                missing.append(f"{prog} {a.option_strings[0]}")
    assert not missing, missing


def test_usage_errors_are_one_line_for_every_subcommand(capsys):
    from empirics.cli import build_parser

    progs = [prog for prog, _ in _parsers(build_parser())]
    assert {"pelg train", "pelg tasks show", "pelg data export", "pelg sweep"} <= set(progs)
    for prog in progs:
        code, out, err = run_cli(capsys, *prog.split()[1:], "--no-such-flag")
        assert code == 2 and err.count("\n") == 1 and err.startswith("pelg: error: "), (prog, err)
        assert ("--no-such-flag" in err or "required" in err) and "usage:" not in err and " --help`" in err


def test_repro_help_lists_every_reproduction(capsys):
    from empirics import repro

    code, out, _ = run_cli(capsys, "repro", "--help")
    text = " ".join(out.split())
    assert code == 0 and all(name in text for name in [*repro.REPROS, *repro.ALIASES])
    repro.REPROS["toy2099"] = repro.REPROS["li2025"]  # a reproduction registered later shows up too
    try:
        assert "toy2099" in " ".join(run_cli(capsys, "repro", "--help")[1].split())
    finally:
        del repro.REPROS["toy2099"]


@pytest.mark.parametrize("alias, paper", [("k23", "kazemnejad2023"), ("h25", "huang2025"), ("c25", "chen2025")])
def test_paper_aliases_are_accepted_by_tasks(capsys, alias, paper):
    code, short, _ = run_cli(capsys, "tasks", "--paper", alias)
    code2, full, _ = run_cli(capsys, "tasks", "--paper", paper)
    names = [line.split()[0] for line in short.splitlines()]
    assert code == code2 == 0 and short == full and any(n.startswith(alias + ".") for n in names)


def test_readme_random_positions_example_trains(capsys, tmp_path):
    """README: `--pe rope+random --pe-opt random_max=256` (the option reaches the scheme as an int)."""
    from empirics.model import Transformer

    cfg = train_config("--pe", "rope+random", "--pe-opt", "random_max=256", "--d-model", "16")
    assert Transformer(cfg.model).positions.random_max == 256
    code, out, err = run_cli(capsys, "train", "--task", "copy", "--pe", "rope+random", "--pe-opt", "random_max=256",
                             "--steps", "2", "--d-model", "16", "--eval-samples", "4", "--quiet")
    assert code == 0 and "11-20" in out, err
