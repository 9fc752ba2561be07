"""``mitigate demo`` through the console script, as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from mitigate.cli.main import main


def _demo(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mitigate", "demo", *args], cwd=cwd, capture_output=True, text=True, timeout=300,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )


def test_demo_quick_writes_the_report_folder(tmp_path):
    done = _demo("--quick", "--seeds", "0", "1", "--out", str(tmp_path / "report"), "--no-progress", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "| seeds (scratch, transfer) | scratch acc | transfer acc | PT | NT | gain | McNemar p |" in done.stdout
    assert "churn floor" in done.stdout
    report = tmp_path / "report"
    assert {p.name for p in report.iterdir()} == {"report.md", "report.json", "pt_nt.png"}
    assert (report / "pt_nt.png").read_bytes()[:4] == b"\x89PNG"
    data = json.loads((report / "report.json").read_text())
    assert data["n_scratch_seeds"] == 2 and data["gain"] == pytest.approx(data["pt"] - data["nt"])
    assert data["gain"] == pytest.approx(data["transfer_accuracy"] - data["scratch_accuracy"])
    assert "## Transfer report" in (report / "report.md").read_text()


def test_demo_pair_without_data_dir_is_a_clear_error(tmp_path, capsys):
    assert main(["demo", "--pair", "wsj-pos:tpos", "--quick", "--no-progress", "--out", str(tmp_path)]) == 2
    assert "Expected argument `data_dir` when `pair` is given" in capsys.readouterr().err


def test_demo_needs_two_seeds(tmp_path, capsys):
    assert main(["demo", "--quick", "--seeds", "0", "--no-progress", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "Expected argument `seeds` to hold >= 2 distinct seeds (for the churn floor), but got [0]." in err


def test_demo_bad_pair_format(tmp_path, capsys):
    assert main(["demo", "--data-dir", str(tmp_path), "--pair", "wsj-pos", "--no-progress", "--out", str(tmp_path)]) == 2
    assert "Expected argument `pair` as 'source:target' (e.g. 'wsj-pos:tpos'), but got 'wsj-pos'." in capsys.readouterr().err
