"""``mitigate data`` through a subprocess, as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mitigate", "data", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


@pytest.mark.realdata
def test_list_and_verify_with_the_env_var(shared_data: Path) -> None:
    listing = run("list", env={"MITIGATE_DATA": str(shared_data)})
    assert listing.returncode == 0, listing.stderr
    assert f"data folder: {shared_data}" in listing.stdout
    row = next(line for line in listing.stdout.splitlines() if line.startswith("tpos "))
    assert row.split() == ["tpos", "pos", "tweets", "47", "551/118/118", "yes"]
    verify = run("verify", "tweebank", "--data-dir", str(shared_data))
    assert verify.returncode == 0 and verify.stdout.strip() == "tweebank: 3/3 files ok"


def test_list_missing_and_verify_failures(tmp_path: Path) -> None:
    listing = run("list", "--data-dir", str(tmp_path))
    assert listing.returncode == 0
    assert "wsj-pos" in listing.stdout and "no (199 missing)" in listing.stdout
    (tmp_path / "ritter-twitter").mkdir()
    (tmp_path / "ritter-twitter" / "pos.txt").write_text("a DT\n", encoding="utf-8")
    verify = run("verify", "tpos", "--data-dir", str(tmp_path))
    assert verify.returncode == 1
    assert "tpos: 0/1 files ok" in verify.stdout and "mismatch:" in verify.stdout


def test_unknown_name_and_offline_download(tmp_path: Path) -> None:
    unknown = run("verify", "tpoz")
    assert unknown.returncode == 2 and "Unknown dataset 'tpoz'. Did you mean 'tpos'" in unknown.stderr
    offline = run("download", "tpos", "--data-dir", str(tmp_path), "--mirror", "http://127.0.0.1:9", "--quiet")
    assert offline.returncode == 1
    assert "could not reach http://127.0.0.1:9/ritter-twitter/pos.txt" in offline.stderr
    assert f"copy the files to {tmp_path / 'ritter-twitter'}" in offline.stderr
    no_download = run("download", "ewt-pos", "--data-dir", str(tmp_path))
    assert no_download.returncode == 2 and "cannot be downloaded" in no_download.stderr
