"""The append-only results file: one JSON object per line, each line written whole or not at all.

An append takes an exclusive lock, writes the whole line with a single ``write`` call and ``fsync``s it. If the
write fails (disk full, quota) the file is truncated back to its last complete line before the error is raised.
A process killed mid-write can still leave a torn last line (no trailing newline): readers drop it, and the next
append cuts it off first.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = ["ResultsFile", "read_results"]

# Indirection so tests can simulate a full disk without touching ``os`` for everyone.
_write = os.write


def _parse(path: Path) -> tuple[list[dict[str, Any]], int]:
    """Records of ``path`` and the byte length of its complete lines (a torn last line is left out)."""
    if not path.exists():
        return [], 0
    data = path.read_bytes()
    complete = data.rfind(b"\n") + 1
    if complete < len(data):
        warnings.warn(
            f"{path}: dropped a torn last line ({len(data) - complete} bytes without a newline; an interrupted write).",
            stacklevel=3,
        )
    records = []
    for number, line in enumerate(data[:complete].splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise ValueError(f"{path}:{number}: not a JSON line ({error}); this file was not written by `mitigate bench`.") from error
        if not isinstance(record, dict):
            raise ValueError(f"{path}:{number}: expected a JSON object per line, but got {type(record).__name__}.")
        records.append(record)
    return records, complete


def read_results(path: str | Path) -> list[dict[str, Any]]:
    """All complete records of a results file (a torn last line is dropped with a warning).

    >>> import tempfile, pathlib
    >>> file = pathlib.Path(tempfile.mkdtemp()) / "results.jsonl"
    >>> _ = file.write_text('{"cell": "a"}\\n{"cell": "b"')
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     [record["cell"] for record in read_results(file)]
    ['a']
    """
    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(f"Expected argument `path` to be an existing results file, but got {str(path)!r}.")
    return _parse(file)[0]


class ResultsFile:
    """The results of one config version, appended atomically; refuses lines written by another config.

    >>> import tempfile, pathlib
    >>> results = ResultsFile(pathlib.Path(tempfile.mkdtemp()) / "r.jsonl", config_hash="abc")
    >>> results.append({"cell": "x|y|seed=0", "gain": 0.5})
    >>> sorted(results.finished())
    ['x|y|seed=0']
    """

    def __init__(self, path: str | Path, *, config_hash: str) -> None:
        self.path = Path(path)
        self.config_hash = config_hash
        self._check_version(_parse(self.path)[0])

    def _check_version(self, records: Iterable[dict[str, Any]]) -> None:
        for number, record in enumerate(records, start=1):
            found = record.get("config_hash")
            if found != self.config_hash:
                raise ValueError(
                    f"{self.path}: record {number} (cell {record.get('cell')!r}) was written by config version"
                    f" {found!r}, but this config's hash is {self.config_hash!r}. The config changed since those"
                    " results were computed, so mixing them would compare different settings. Write to a new"
                    " output directory, or restore the old config to resume it."
                )

    def records(self) -> list[dict[str, Any]]:
        """Complete records, first occurrence per cell (a cell run twice by racing workers counts once)."""
        seen: dict[str, dict[str, Any]] = {}
        for record in _parse(self.path)[0]:
            seen.setdefault(str(record.get("cell")), record)
        return list(seen.values())

    def finished(self) -> set[str]:
        """Ids of the cells with a complete record."""
        return {str(record.get("cell")) for record in _parse(self.path)[0]}

    def append(self, record: dict[str, Any]) -> None:
        """Append one record as one line: all of it is on disk when this returns, or none of it."""
        line = (json.dumps({**record, "config_hash": self.config_hash}, sort_keys=True, allow_nan=True) + "\n").encode()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            _, complete = _parse(self.path)
            if os.fstat(fd).st_size != complete:  # a torn line left by a killed writer: cut it off first
                os.ftruncate(fd, complete)
            try:
                written = _write(fd, line)
                if written != len(line):
                    raise OSError(errno.ENOSPC, f"short write ({written} of {len(line)} bytes)")
                os.fsync(fd)
            except OSError as error:
                os.ftruncate(fd, complete)
                os.fsync(fd)
                raise OSError(
                    error.errno,
                    f"could not append the result of cell {record.get('cell')!r} to {self.path}:"
                    f" {error.strerror or error}. The file was restored to its last complete line;"
                    " free some space and rerun the same command to resume.",
                ) from error
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
