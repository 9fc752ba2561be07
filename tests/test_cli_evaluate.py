"""``mitigate evaluate`` through a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mitigate", "evaluate", *args], capture_output=True, text=True, timeout=120
    )


@pytest.fixture()
def files(tmp_path: Path) -> dict[str, Path]:
    contents = {
        "gold": "Apple B-ORG\nrocks O\n\nim O\nin O\nNYC B-LOC\n",
        "s0": "Apple B-ORG\nrocks O\n\nim O\nin O\nNYC O\n",
        "s1": "Apple B-ORG\nrocks O\n\nim O\nin O\nNYC B-LOC\n",
        "t0": "Apple O\nrocks O\n\nim O\nin O\nNYC B-LOC\n",
        "t1": "Apple O\nrocks O\n\nim O\nin O\nNYC B-LOC\n",
        "short": "Apple B-ORG\nrocks O\n\nim O\n",
    }
    paths = {}
    for name, text in contents.items():
        paths[name] = tmp_path / f"{name}.conll"
        paths[name].write_text(text, encoding="utf-8")
    lines = tmp_path / "gold.lines"
    lines.write_text("B-ORG\nO\n\nO\nO\nB-LOC\n", encoding="utf-8")
    paths["lines"] = lines
    return paths


def test_json_output(files: dict[str, Path]) -> None:
    result = run(
        "--gold", str(files["gold"]), "--scratch", str(files["s0"]), str(files["s1"]),
        "--transfer", str(files["t0"]), str(files["t1"]), "--format", "conll", "--json", "--n-bootstrap", "50",
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["n"] == 5 and data["pairs"][0]["pt_count"] == 1 and data["pairs"][0]["nt_count"] == 1
    assert data["pairs"][1]["nt_count"] == 1 and data["pairs"][1]["pt_count"] == 0
    assert data["pt_ci"]["level"] == 0.95 and 0.0 <= data["mcnemar_p"] <= 1.0
    assert data["seed_noise"]["reliably_falsified_count"] == 1
    assert data["seed_noise"]["top_reliably_falsified"][0]["token"] == "Apple"
    assert data["spans"]["n_gold_spans"] == 2


def test_markdown_output_and_mixed_formats(files: dict[str, Path]) -> None:
    result = run("--gold", str(files["lines"]), "--scratch", str(files["lines"]), "--transfer", str(files["lines"]))
    assert result.returncode == 0, result.stderr
    assert "## Transfer report" in result.stdout and "need >= 2 scratch seeds" in result.stdout


def test_errors_name_the_file(files: dict[str, Path]) -> None:
    result = run(
        "--gold", str(files["gold"]), "--scratch", str(files["s0"]), str(files["short"]),
        "--transfer", str(files["t0"]), "--format", "conll",
    )
    assert result.returncode == 2
    assert f"Expected sentence 1 of `{files['short']}` (--scratch file 1) to have 3 labels" in result.stderr
    result = run("--gold", str(files["gold"]), "--scratch", str(files["s0"]), "--transfer", str(files["t0"]))
    assert result.returncode == 2 and "line 1: expected one label per line, but got 2 fields" in result.stderr
