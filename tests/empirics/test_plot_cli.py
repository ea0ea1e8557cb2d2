"""`pelg plot` and figure formats: what is drawn (one line per --by value through the mean over seeds, 95%
intervals, buckets in numeric order; the training loss against step), files in the format their suffix
names (PNG, PDF, SVG), and the reproductions' figures written as both PNG and PDF."""
from __future__ import annotations

from pathlib import Path

import pytest

from empirics import cli
from empirics.errors import PelgError
from results_store import BUCKETS, copy_store

MAGIC = {".png": b"\x89PNG\r\n\x1a\n", ".pdf": b"%PDF-"}


def pelg(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def is_format(path: Path, suffix: str) -> bool:
    data = path.read_bytes()
    return b"<svg" in data[:500] if suffix == ".svg" else data.startswith(MAGIC[suffix])


@pytest.fixture
def drawn(monkeypatch):
    """What `pelg plot` hands the renderers (the figure is still written)."""
    from empirics.plots import results as renderers

    calls = {}
    for name in ("metric_by_bucket", "loss_by_step"):
        real = getattr(renderers, name)

        def spy(*args, _real=real, _name=name, **kwargs):
            calls[_name] = (args, kwargs)
            return _real(*args, **kwargs)

        monkeypatch.setattr(renderers, name, spy)
    return calls


def test_plot_by_length_draws_means_intervals_and_seeds(tmp_path, capsys, drawn):
    store = copy_store(tmp_path / "s.sqlite")
    out = tmp_path / "acc.png"
    code, text, err = pelg(capsys, "plot", "--store", store, "--x", "length", "--by", "pe", "--out", out)
    assert code == 0 and f"wrote {out} (2 line(s) from 6 finished run(s))" in text, err
    assert is_format(out, ".png")
    (lines, buckets, path), kwargs = drawn["metric_by_bucket"]
    assert buckets == BUCKETS and set(lines) == {"rope", "nope"} and kwargs["ylabel"] == "exact match"
    rope = lines["rope"]
    assert rope["mean"] == pytest.approx([1.0, 0.5, 0.25, 0.0])
    assert rope["lo"][1] == pytest.approx(0.5 - 0.2484138) and rope["hi"][2] == pytest.approx(0.25 + 0.1242069)
    assert sorted(rope["values"][1]) == pytest.approx([0.4, 0.5, 0.6])   # every seed drawn as a dot
    assert kwargs["bounded"] is True and kwargs["legend_title"] == "pe"


@pytest.mark.parametrize("suffix", [".png", ".pdf", ".svg"])
def test_plot_writes_the_format_its_suffix_names(tmp_path, capsys, suffix):
    store = copy_store(tmp_path / "s.sqlite")
    out = tmp_path / f"fig{suffix}"
    code, _, err = pelg(capsys, "plot", "--store", store, "--where", "pe=rope", "--out", out)
    assert code == 0, err
    assert is_format(out, suffix)


def test_plot_training_loss_by_step(tmp_path, capsys, drawn):
    store = copy_store(tmp_path / "s.sqlite")
    code, text, err = pelg(capsys, "plot", "--store", store, "--x", "step", "--by", "pe",
                           "--out", tmp_path / "loss.pdf")
    assert code == 0 and is_format(tmp_path / "loss.pdf", ".pdf"), err
    (lines, _), _ = drawn["loss_by_step"]
    rope = lines["rope"]
    assert rope["steps"] == [1, 5, 10] and rope["mean"] == pytest.approx([3.0, 2.0, 1.1])   # seeds 1.0, 1.1, 1.2
    assert rope["hi"][2] - rope["mean"][2] == pytest.approx(0.2484138)


def test_plot_several_by_keys_label_each_line(tmp_path, capsys, drawn):
    store = copy_store(tmp_path / "s.sqlite")
    code, _, err = pelg(capsys, "plot", "--store", store, "--by", "task,pe", "--out", tmp_path / "f.svg")
    (lines, _, _), kwargs = drawn["metric_by_bucket"]
    assert code == 0 and set(lines) == {"task=copy, pe=rope", "task=copy, pe=nope"}, err
    assert kwargs["legend_title"] is None


# ------------------------------------------------------------------------------------------ save_figure
def test_save_figure_writes_the_format_its_suffix_names(tmp_path):
    from empirics.plots.common import plt, save_figure

    for suffix in (".png", ".pdf", ".svg"):
        fig, ax = plt.subplots()
        ax.plot([0, 1], [1, 0])
        save_figure(fig, tmp_path / f"x{suffix}")
        assert is_format(tmp_path / f"x{suffix}", suffix)
    fig, _ = plt.subplots()
    save_figure(fig, tmp_path / "both.png", also=("pdf",))
    assert is_format(tmp_path / "both.png", ".png") and is_format(tmp_path / "both.pdf", ".pdf")
    fig, _ = plt.subplots()
    with pytest.raises(PelgError, match="unknown figure format 'jpg'.*valid: png, pdf, svg"):
        save_figure(fig, tmp_path / "x.jpg")
    assert not (tmp_path / "x.jpg").exists()


def test_reproduction_writes_its_figure_as_png_and_pdf(tmp_path, monkeypatch, capsys):
    """li2025 smoke (a few seconds): the figure in the output directory and, published, in ./figures."""
    from empirics.repro import li2025

    monkeypatch.chdir(tmp_path)
    (tmp_path / "paper_repro.md").write_text("<!-- li2025-table:begin -->\n<!-- li2025-table:end -->\n")
    code, _, err = pelg(capsys, "repro", "li2025", "--profile", "smoke", "--out", "o", "--publish")
    assert code == 0, err
    for where in (tmp_path / "o", tmp_path / "figures"):
        png = where / li2025.FIGURE
        assert is_format(png, ".png") and is_format(png.with_suffix(".pdf"), ".pdf")


def test_theory_figures_are_written_as_png_and_pdf(tmp_path):
    from empirics.plots import li2025_theory

    paths = li2025_theory.render(tmp_path)
    assert [p.name for p in paths] == ["li2025_pe_norms.png", "li2025_decay.png"]
    for p in paths:
        assert is_format(p, ".png") and is_format(p.with_suffix(".pdf"), ".pdf")
