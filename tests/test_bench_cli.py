"""``mitigate bench``: run, resume, report, and errors as exit code 2 with the message."""

from __future__ import annotations

from pathlib import Path

import pytest

from mitigate.cli.main import main

CONFIG = """name = "cli"
seeds = [0, 1]

[[pairs]]
factory = "mitigate.bench._fakes:FakeTaggingScenario"
params = { n_sentences = 6 }

[[strategies]]
strategy = "none"

[[strategies]]
strategy = "mitigate.bench._fakes:FakeShield"
label = "shield"
"""


def test_run_resume_and_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "grid.toml"
    config.write_text(CONFIG)
    out = tmp_path / "out"
    assert main(["bench", str(config), "--out", str(out), "--no-progress", "--max-cells", "3"]) == 0
    assert "3 cells run, 0 already done, 4 in the grid" in capsys.readouterr().out
    assert main(["bench", str(config), "--out", str(out), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "1 cells run, 3 already done" in printed and "report written to" in printed
    assert main(["bench", "report", str(out / "results.jsonl"), "--out", str(tmp_path / "again")]) == 0
    assert (tmp_path / "again" / "summary.md").is_file() and (tmp_path / "again" / "pt_nt_bars.png").is_file()


def test_errors_exit_2_with_the_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "grid.toml"
    config.write_text(CONFIG.replace("seeds = [0, 1]", "seeds = [0, 1]\nsedes = [2]"))
    assert main(["bench", str(config), "--out", str(tmp_path / "out")]) == 2
    assert f"{config}:3: unknown key `sedes` at top level" in capsys.readouterr().err
    assert main(["bench", "report"]) == 2
    assert "Expected at least one results file after `mitigate bench report`" in capsys.readouterr().err
    assert main(["bench", "a.toml", "b.toml"]) == 2
    assert "Expected one config file, but got 2" in capsys.readouterr().err
    assert main(["bench", str(config), "--threads", "0"]) == 2
    assert "Expected argument `--threads` to be an int >= 1, but got 0." in capsys.readouterr().err


def test_a_full_disk_exits_2_with_the_message(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    from mitigate.bench import _results

    def full_disk(fd: int, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(_results, "_write", full_disk)
    config = tmp_path / "grid.toml"
    config.write_text(CONFIG)
    assert main(["bench", str(config), "--out", str(tmp_path / "out"), "--no-progress"]) == 2
    assert "No space left on device. The file was restored to its last complete line" in capsys.readouterr().err
