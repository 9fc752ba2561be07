"""The Figure 2 / selector experiment runs end to end on the tiny digits scenario, and resumes from its files."""

from __future__ import annotations

import importlib.util
import json
import time
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "experiments" / "pretraining_states" / "run.py"


def _load():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("pretraining_states_run", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def test_quick_run_writes_tables_and_figure_then_resumes(tmp_path: Path) -> None:
    run = _load()
    out, docs = tmp_path / "out", tmp_path / "docs"
    assert run.main(["--quick", "--out", str(out), "--docs", str(docs)]) == 0
    text = (docs / "selection_results.md").read_text()
    assert (docs / "selection_figure2.png").stat().st_size > 1000
    for needle in ("| pretraining epochs | source dev | dev PT | dev NT |", "| logme |", "| halving:logme |",
                   "| oracle | ", "Does NT grow with pretraining epochs here?"):
        assert needle in text
    summary = json.loads(next(out.rglob("summary.json")).read_text())
    assert [s["pretrain_epochs"] for s in summary["states"]] == [1, 2, 4]
    for state in summary["states"]:
        for split in ("dev", "test"):
            scores = state[split]
            assert scores["gain"] == pytest.approx(scores["pt"] - scores["nt"])
    assert summary["selections"]["oracle"]["epochs"] > summary["selections"]["halving:logme"]["epochs"] > 0
    # everything is cached: a second run does no training and writes the same tables
    (next(out.rglob("summary.json"))).unlink()  # recompute the summary from the per-unit files only
    start = time.perf_counter()
    assert run.main(["--quick", "--out", str(out), "--docs", str(docs)]) == 0
    assert time.perf_counter() - start < 5.0
    assert (docs / "selection_results.md").read_text() == text


def test_summary_only_tabulates_finished_runs_and_trains_nothing(tmp_path: Path) -> None:
    run = _load()
    assert run.main(["--quick", "--summary-only", "--out", str(tmp_path / "none"), "--docs", str(tmp_path)]) == 1
    assert not (tmp_path / "selection_results.md").exists()
