"""`pelg repro kazemnejad2023` (alias k23): the smoke profile end to end, the profiles' structure (17
task-splits x 5 PEs x K23's seeds, the scratchpad study), and the rules of empirics.evidence.k23_results
(MRR with shared ties, orderings over fit runs only, scratchpad and attention verdicts) on hand-made rows."""
import json

import pytest

from empirics.cli import main
from empirics.errors import PelgError
from empirics.evidence import k23_results as K
from empirics.evidence.k23_trained import constructed_distance, constructed_rows
from empirics.repro import get_repro
from empirics.repro import kazemnejad2023 as k
from empirics.repro.common import load_protocol


def test_smoke_end_to_end_and_publish(tmp_path, monkeypatch):
    doc = "# repro\n<!-- kazemnejad2023-table:begin -->\nold\n<!-- kazemnejad2023-table:end -->\ntail\n"
    (tmp_path / "paper_repro.md").write_text(doc)
    monkeypatch.chdir(tmp_path)
    assert main(["repro", "k23", "--profile", "smoke", "--out", "o", "--publish"]) == 0
    record = json.loads((tmp_path / "o" / "summary.json").read_text())
    p = load_protocol("kazemnejad2023", "smoke")
    main_keys = {(r["key"][1], r["key"][3]) for r in record["runs"] if r["key"][0] == "main"}
    assert main_keys == {(t, pe) for t in K.TASKS for pe in K.PES} and len(p["tasks"]) == 17
    assert {r["key"][2] for r in record["runs"] if r["key"][0] == "scratchpad"} == {"full", "minimal"}
    for row in record["runs"]:
        assert row["fit"] == (row["in_distribution"] >= 0.95) and 0 <= row["ood"] <= 1
        assert row["seed"] in k.K23_SEEDS
    assert record["fit_rate"]["runs"] == len(record["runs"])
    # the attention study ran on the saved SCAN models, with the NoPE seed baseline
    d = record["attention"]["distance"]
    assert set(d["by_pe"]) == {"t5", "alibi", "rope", "sinusoidal"} and d["baseline"]
    assert all(v >= 0 for vs in d["by_pe"].values() for x in vs for v in x["layers"])
    table = (tmp_path / "o" / "table.md").read_text()
    assert "too small to decide" in table and "| k23.pcfg" in table and "undecided (0 of 1 fit)" in table
    published = (tmp_path / "paper_repro.md").read_text()
    assert "old" not in published and "**MRR (Fig. 1)**" in published and published.endswith("tail\n")
    for name in ("kazemnejad2023_mrr", "kazemnejad2023_mrr_by_category", "kazemnejad2023_accuracy_by_length",
                 "kazemnejad2023_attention_distance", "kazemnejad2023_attended_distance"):
        assert (tmp_path / "figures" / f"{name}.png").read_bytes()[:4] == b"\x89PNG"
        assert (tmp_path / "figures" / f"{name}.pdf").read_bytes()[:4] == b"%PDF"
    assert not (tmp_path / "empirics").exists()   # only the quick profile writes the recorded summary


def test_profiles_follow_the_protocol():
    full = load_protocol("kazemnejad2023", "full")
    keys = [key for key, _ in k.build_configs(full)]
    main_runs = [key for key in keys if key[0] == "main"]
    assert len(main_runs) == 17 * 5 * 3 and {key[4] for key in main_runs} == set(k.K23_SEEDS)
    cfg = dict(k.build_configs(full))[("main", "k23.copy_cmc", "plain", "rope", 256788)]
    m = cfg["model"]
    assert (m["n_layer"], m["d_model"], m["n_head"], m["d_ff"]) == (12, 768, 12, 3072)
    assert (m["linear_bias"], m["score_scaling"], m["init"], m["output_scale"]) == (False, False, "t5", "rsqrt_d")
    assert m["pe_options"] == {"layout": "interleaved", "fraction": 0.25}
    assert (cfg["steps"], cfg["batch_size"], cfg["lr"], cfg["n_train"]) == (40000, 64, 3e-5, 100000)
    assert cfg["train_lengths"] == [1, 20] and cfg["eval_buckets"][0] == [1, 20]
    pads = {(key[1], key[2]) for key in keys if key[0] == "scratchpad"}
    assert ("k23.sort_single", "no_variable_update") not in pads and ("k23.addition", "no_variable_update") in pads
    assert len({key[1] for key in keys if key[0] == "scratchpad"}) == 6
    quick = load_protocol("kazemnejad2023", "quick")
    qkeys = [key for key, _ in k.build_configs(quick)]
    assert {(key[1], key[3]) for key in qkeys if key[0] == "main"} == {(t, pe) for t in K.TASKS for pe in K.PES}
    assert {key[2] for key in qkeys if key[0] == "scratchpad"} == {"plain", "full", "minimal"}
    assert [key for key, _ in k.build_configs(quick, n_seeds=3) if key[0] == "main"][:3] == [
        ("main", "k23.copy_rsc", "plain", "nope", s) for s in k.K23_SEEDS]
    with pytest.raises(PelgError, match="--seeds 4 is impossible"):
        k.build_configs(quick, n_seeds=4)
    assert get_repro("k23")[0] == "kazemnejad2023"
    with pytest.raises(PelgError, match="valid: .*kazemnejad2023"):
        get_repro("k24")


def test_seeds_option_only_where_it_exists(capsys):
    assert main(["repro", "li2025", "--profile", "smoke", "--seeds", "2"]) != 0
    assert "--seeds is not an option of reproduction 'li2025'" in capsys.readouterr().err


# ----------------------------------------------------------------------------- the rules on hand-made rows
def _row(task, pe, seed, ood, fit=True, study="main", fmt="plain"):
    return {"key": [study, task, fmt, pe, seed], "seed": seed, "fit": fit, "in_distribution": 1.0 if fit else 0.5,
            "ood": ood, "metrics": {}}


def test_mrr_ranking_rule_and_its_false_variant():
    rows = [_row(t, pe, s, 0.9 - 0.1 * i + 0.01 * s) for t in K.TASKS for s in (0, 1) for i, pe in enumerate(K.PES)]
    r = K.ranking_verdict(K.mrr_summary(rows))
    assert r["verdict"] == "holds" and r["rival"] == "t5" and r["kendall_tau"] == pytest.approx(1.0)
    assert K.ranking_verdict(K.mrr_summary(constructed_rows("nope_last")))["verdict"] == "fails"
    # all five at 0: K23's tie order alone reproduces the published ranking; shared ties give 1/5 + ... each
    zeros = [_row(t, pe, 0, 0.0) for t in K.TASKS for pe in K.PES]
    s = K.mrr_summary(zeros)
    assert s["all"]["order"]["mrr"]["nope"] == 1.0 and s["all"]["all_tied"] == 17
    shared = s["all"]["average"]["mrr"]
    assert len(set(shared.values())) == 1 and K.ranking_verdict(s)["verdict"] == "no separation"
    # a unit where one PE did not fit leaves the fit scope
    rows[0]["fit"] = False
    assert K.mrr_summary(rows)["fit"]["units"] == 17 * 2 - 1


def test_orderings_count_fit_runs_only_and_need_two_a_side():
    rows = [_row(t, pe, s, 0.9 if pe == "nope" else 0.1) for t in K.COPY_TASKS for s in (0, 1) for pe in K.PES]
    cells = K.cells(rows)
    assert K.beats(cells, K.COPY_TASKS, "nope", "rope")["verdict"] == "holds"
    assert K.beats(cells, K.COPY_TASKS, "rope", "nope")["verdict"] == "fails"
    unfit = [dict(r, fit=False) if r["key"][3] == "nope" else r for r in rows]
    assert K.beats(K.cells(unfit), K.COPY_TASKS, "nope", "rope")["verdict"] == "undecided"
    assert K.cells(unfit)["k23.copy_rsc"]["nope"]["label"] == "undecided (0 of 2 fit)"


def test_scratchpad_and_attention_verdicts():
    assert K.scratchpad_verdict(K.scratchpad_cells(constructed_rows("scratchpad_helps")))["verdict"] == "fails"
    mixed = constructed_rows("scratchpad_helps")
    mixed = [dict(r, ood=0.0) if r["key"][0] == "scratchpad" and r["key"][3] == "rope" else r for r in mixed]
    v = K.scratchpad_verdict(K.scratchpad_cells(mixed))
    assert v["verdict"] == "holds" and any("rope" in x for x in v["does_not_help"])
    assert K.scratchpad_verdict(K.scratchpad_cells([]))["verdict"] == "undecided"
    assert K.attention_verdict(constructed_distance())["verdict"] == "fails"
    near = constructed_distance()
    near["by_pe"]["t5"] = [dict(x, layers=[0.1 + 0.01 * i, 0.1]) for i, x in enumerate(near["by_pe"]["t5"])]
    assert K.attention_verdict(near)["verdict"] == "holds"
    for x in near["by_pe"]["t5"]:
        x["fit"] = False
    assert K.attention_verdict(near)["verdict"] == "undecided"
