"""End to end on the fake scenario: sharing, resume, crashes, full disk, config versions, misaligned pairs, report."""

from __future__ import annotations

import errno
import json
import warnings
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mitigate.bench import ResultsFile, evaluate_cell, parse_config, read_results, run_benchmark, write_report
from mitigate.bench import _results

FAKE = "mitigate.bench._fakes:FakeTaggingScenario"


def grid(tmp_path: Path, *, extra: str = "", seeds: str = "[0, 1]") -> str:
    log = tmp_path / "calls.log"
    return f"""name = "fake"
seeds = {seeds}

[[pairs]]
label = "tweets"
factory = "{FAKE}"
params = {{ n_sentences = 12, call_log = "{log}"{extra} }}

[[pairs]]
label = "chunk"
factory = "{FAKE}"
params = {{ n_sentences = 12, task = "chunk", call_log = "{log}"{extra} }}

[[strategies]]
strategy = "none"
label = "fine-tune"

[[strategies]]
strategy = "mitigate.bench._fakes:FakeShield"
label = "shield"
params = {{ strength = 0.8 }}

[[strategies]]
label = "harm"
compose = [{{ strategy = "mitigate.bench._fakes:FakeHarm", params = {{ rate = 0.05 }} }}]
"""


def calls(tmp_path: Path) -> list[str]:
    return [line.rsplit(" ", 1)[0] for line in (tmp_path / "calls.log").read_text().splitlines()]


def metrics_by_cell(path: Path) -> dict[str, dict]:
    return {record["cell"]: {**record["metrics"], "slices": record["slices"]} for record in read_results(path)}


def test_full_run_shares_scratch_and_pretraining_and_reports(tmp_path: Path) -> None:
    config = parse_config(grid(tmp_path))
    run = run_benchmark(config=config, out_dir=tmp_path / "out", progress=False)
    assert (run.ran, run.skipped, run.total, run.complete) == (12, 0, 12, True)
    log = calls(tmp_path)
    assert sum(line.startswith("scratch") for line in log) == 4  # 2 pairs × 2 seeds, shared by 3 strategies
    assert sum(line.startswith("pretrain") for line in log) == 4
    assert sum(line.startswith("transfer") for line in log) == 12
    records = read_results(run.results)
    assert {r["config_hash"] for r in records} == {config.config_hash}
    for record in records:
        m = record["metrics"]
        assert m["gain"] == pytest.approx(m["pt"] - m["nt"]) == pytest.approx(m["acc_transfer"] - m["acc_scratch"])
        assert m["churn"] >= 0 and m["f1_transfer"] is not None or record["pair"] == "tweets"
    shield = [r["metrics"]["nt"] for r in records if r["strategy"] == "shield"]
    plain = [r["metrics"]["nt"] for r in records if r["strategy"] == "fine-tune"]
    assert sum(shield) < sum(plain)
    summary = run.report.read_text()
    assert "## tweets" in summary and "Winner (highest mean gain, ties to lower NT): **shield**" in summary
    assert "| 1 | shield |" in summary
    for name in ("summary.csv", "cells.csv", "pt_nt_bars.png", "nt_vs_gain.png", "slice_nt_heatmap.png"):
        assert (run.report.parent / name).stat().st_size > 0
    assert len((run.report.parent / "cells.csv").read_text().splitlines()) == 13


def test_interrupted_run_resumes_to_identical_results(tmp_path: Path) -> None:
    config = parse_config(grid(tmp_path))
    reference = run_benchmark(config=config, out_dir=tmp_path / "a", progress=False, report=False)
    first = run_benchmark(config=config, out_dir=tmp_path / "b", max_cells=5, progress=False, report=False)
    assert (first.ran, first.complete, first.report) == (5, False, None)
    with open(first.results, "ab") as handle:  # a worker killed in the middle of a write
        handle.write(b'{"cell": "tweets|harm|seed=1", "metr')
    with pytest.warns(UserWarning, match="dropped a torn last line"):
        second = run_benchmark(config=config, out_dir=tmp_path / "b", progress=False, report=False)
    assert (second.ran, second.skipped) == (7, 5)
    assert second.counts["scratch"] == 2  # the first pair's scratch came from the disk cache, the second's is new
    assert metrics_by_cell(second.results) == metrics_by_cell(reference.results)
    lines = second.results.read_text().splitlines()
    assert len(lines) == 12 and all(json.loads(line) for line in lines)
    third = run_benchmark(config=config, out_dir=tmp_path / "b", progress=False, report=False)
    assert (third.ran, third.skipped) == (0, 12)


def test_crash_keeps_finished_cells_and_rerun_completes(tmp_path: Path) -> None:
    switch = tmp_path / "crash"
    config = parse_config(grid(tmp_path, extra=f', fail_if_exists = "{switch}"'))
    run_benchmark(config=config, out_dir=tmp_path / "out", max_cells=2, progress=False, report=False)
    switch.touch()
    with pytest.raises(RuntimeError, match="simulated crash"):
        run_benchmark(config=config, out_dir=tmp_path / "out", progress=False)
    assert len(read_results(tmp_path / "out" / "results.jsonl")) == 2
    switch.unlink()
    assert run_benchmark(config=config, out_dir=tmp_path / "out", progress=False).ran == 10


@pytest.mark.parametrize("partial", [False, True])
def test_disk_full_leaves_no_corrupted_results(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, partial: bool) -> None:
    config = parse_config(grid(tmp_path))
    real_write = _results._write
    count = {"n": 0}

    def full_disk(fd: int, data: bytes) -> int:
        count["n"] += 1
        if count["n"] < 4:
            return real_write(fd, data)
        if partial:
            real_write(fd, data[: len(data) // 2])
            return len(data) // 2
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(_results, "_write", full_disk)
    with pytest.raises(OSError, match=r"could not append the result of cell .*restored to its last complete line") as info:
        run_benchmark(config=config, out_dir=tmp_path / "out", progress=False)
    assert info.value.errno == errno.ENOSPC
    path = tmp_path / "out" / "results.jsonl"
    assert path.read_bytes().endswith(b"\n")
    assert len(read_results(path)) == 3
    monkeypatch.setattr(_results, "_write", real_write)
    assert run_benchmark(config=config, out_dir=tmp_path / "out", progress=False).ran == 9


def test_results_of_another_config_version_are_refused(tmp_path: Path) -> None:
    run_benchmark(config=parse_config(grid(tmp_path)), out_dir=tmp_path / "out", max_cells=1, progress=False)
    changed = parse_config(grid(tmp_path).replace("strength = 0.8", "strength = 0.9"))
    with pytest.raises(ValueError, match=r"record 1 \(cell 'tweets\|fine-tune\|seed=0'\) was written by config version '[0-9a-f]{16}', but this config's hash is"):
        run_benchmark(config=changed, out_dir=tmp_path / "out", progress=False)
    other = tmp_path / "other.jsonl"
    ResultsFile(other, config_hash="0123456789abcdef").append(read_results(tmp_path / "out" / "results.jsonl")[0] | {"cell": "x"})
    with pytest.raises(ValueError, match="Refusing to report results of different config versions together"):
        write_report(results=[tmp_path / "out" / "results.jsonl", other], out_dir=tmp_path / "report")


def test_misaligned_pair_is_refused(tmp_path: Path) -> None:
    config = parse_config(grid(tmp_path, extra=", misaligned = true"))
    with pytest.raises(ValueError, match=r"Pair 'tweets': cannot align the label sets of the scratch model's predictions \['XD'"):
        run_benchmark(config=config, out_dir=tmp_path / "out", progress=False)


def test_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"Expected argument `max_cells` to be an int >= 1 or None, but got 0"):
        run_benchmark(config=parse_config(grid(tmp_path)), out_dir=tmp_path, max_cells=0)
    with pytest.raises(TypeError, match="Expected argument `config` to be a BenchConfig or a path, but got dict"):
        run_benchmark(config={}, out_dir=tmp_path)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Expected argument `storage` to be a URL"):
        run_benchmark(config=parse_config(grid(tmp_path)), out_dir=tmp_path, storage="grid.db", progress=False)
    with pytest.raises(FileNotFoundError, match="Expected argument `path` to be an existing results file"):
        read_results(tmp_path / "nothing.jsonl")


def test_a_corrupt_middle_line_is_an_error_not_silently_dropped(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text('{"cell": "a"}\nnot json\n{"cell": "b"}\n')
    with pytest.raises(ValueError, match=r"r.jsonl:2: not a JSON line"):
        read_results(path)


labels = st.lists(st.sampled_from("abc"), min_size=1, max_size=40)


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_gain_identity_and_swap_symmetry(data: st.DataObject) -> None:
    gold = data.draw(labels)
    n = len(gold)
    scratch = data.draw(st.lists(st.sampled_from("abc"), min_size=n, max_size=n))
    transfer = data.draw(st.lists(st.sampled_from("abc"), min_size=n, max_size=n))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        forward = evaluate_cell(gold=gold, scratch={0: scratch}, transfer=transfer, seed=0)
        backward = evaluate_cell(gold=gold, scratch={0: transfer}, transfer=scratch, seed=0)
    assert forward["gain"] == pytest.approx(forward["acc_transfer"] - forward["acc_scratch"])
    assert (forward["pt_count"], forward["nt_count"]) == (backward["nt_count"], backward["pt_count"])
    assert forward["slices"]["all"] == [n, forward["pt_count"], forward["nt_count"]]
