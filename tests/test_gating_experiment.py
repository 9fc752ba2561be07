"""experiments/gating/run.py: the --quick configuration runs end to end on real data and resumes."""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from pathlib import Path

import pytest

RUN = Path(__file__).resolve().parents[1] / "experiments" / "gating" / "run.py"


def _module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("gating_run", RUN)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules["gating_run"] = module
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def test_permuted_labels_keep_tokens_and_tag_counts() -> None:
    from mitigate.data import DatasetSplits, Sentence

    run = _module()
    train = [Sentence(("a", "b"), ("X", "Y")), Sentence(("c",), ("Z",))] * 10
    splits = DatasetSplits("src", "pos", train, train[:2], train[:2])
    permuted = run.permuted_labels(splits, seed=0)
    assert permuted.name == "src-permuted"
    assert [s.tokens for s in permuted.train] == [s.tokens for s in train]
    assert Counter(t for s in permuted.train for t in s.tags) == Counter(t for s in train for t in s.tags)
    assert [s.tags for s in permuted.train] != [s.tags for s in train]


def _smallest_quick(monkeypatch):  # type: ignore[no-untyped-def]
    """The run module with the --quick configuration cut to one source, one seed and 20 sentences."""
    run = _module()
    for key, value in (("sources", ["wsj-pos"]), ("seeds", [0]), ("limit", 20), ("rank_sentences", 10)):
        monkeypatch.setitem(run.QUICK, key, value)
    return run


@pytest.mark.realdata
@pytest.mark.filterwarnings("ignore:Only one source")
def test_quick_run_writes_results_summary_and_resumes(shared_data: Path, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    run = _smallest_quick(monkeypatch)
    argv = ["--data-dir", str(shared_data), "--quick", "--out", str(tmp_path)]
    assert run.main(argv) == 0
    stages = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.glob("tpos/*/seed0.json"))
    assert stages == ["tpos/gated+permuted/seed0.json", "tpos/gated-frozen+permuted/seed0.json", "tpos/gated/seed0.json",
                      "tpos/joint+permuted/seed0.json", "tpos/joint-gate+permuted/seed0.json", "tpos/joint-gate/seed0.json",
                      "tpos/joint/seed0.json",
                      "tpos/scratch/seed0.json", "tpos/single_wsj-pos-permuted/seed0.json", "tpos/single_wsj-pos/seed0.json"]
    summary = (tmp_path / "summary.md").read_text()
    assert "| single:wsj-pos | 1 |" in summary and "| wsj-pos | wsj-pos-permuted | scratch |" in summary
    assert "| rank | source | score |" in summary
    assert "## All targets" in summary and "| tpos | 1 | " in summary and "| tpos | wsj-pos | " in summary
    assert "`gated+permuted` against `gated` (the same sources without the permuted one): PT " in summary
    assert "![mean gate weight per source and slice, tpos](summary_tpos.png)" in summary
    assert "`joint-gate+permuted` against `joint+permuted` (ω = 1, same source data): PT " in summary
    assert "sentences with shuffled tags " in summary and "Most down-weighted source sentences (seed 0):" in summary
    assert (tmp_path / "summary_tpos.png").stat().st_size > 1000
    stamps = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*.json")}
    assert run.main(argv) == 0  # resumes: nothing recomputed
    assert {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*.json")} == stamps


@pytest.mark.realdata
@pytest.mark.filterwarnings("ignore:Only one source")
def test_a_stage_another_worker_holds_is_skipped_not_repeated(shared_data: Path, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from mitigate.bench._lock import exclusive

    run = _smallest_quick(monkeypatch)
    argv = ["--data-dir", str(shared_data), "--quick", "--out", str(tmp_path), "--methods", "scratch", "single:wsj-pos"]
    with exclusive(tmp_path / "locks" / "tpos-scratch-seed0.lock"):  # as if another worker were training it
        assert run.main(argv) == 0
        assert not (tmp_path / "tpos" / "scratch" / "seed0.json").exists()
        assert (tmp_path / "tpos" / "single_wsj-pos" / "seed0.json").is_file()
    assert run.main(argv) == 0  # the other worker died without finishing it: the next run takes it
    assert (tmp_path / "tpos" / "scratch" / "seed0.json").is_file()
