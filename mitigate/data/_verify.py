"""sha256 checks of a registered dataset's files against the recorded checksums."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from mitigate.data._checksums_table import SHA256
from mitigate.data._paths import resolve_data_dir
from mitigate.data._registry import get_spec


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks.

    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "x")
    >>> _ = open(path, "wb").write(b"abc")
    >>> sha256_file(path)[:16]
    'ba7816bf8f01cfea'
    """
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class FileCheck:
    """The outcome for one file: ``status`` is ``"ok"``, ``"missing"`` or ``"mismatch"``."""

    path: Path
    expected: str
    actual: str | None
    status: str


def verify_dataset(name: str, *, data_dir: str | Path | None = None) -> list[FileCheck]:
    """Check every file of dataset ``name`` against its recorded sha256.

    >>> [check.status for check in verify_dataset("tpos", data_dir="/nonexistent")]
    ['missing']
    """
    root = resolve_data_dir(data_dir)
    checks = []
    for relative in get_spec(name).files:
        path = root / relative
        expected = SHA256[relative]
        if not path.is_file():
            checks.append(FileCheck(path, expected, None, "missing"))
            continue
        actual = sha256_file(path)
        checks.append(FileCheck(path, expected, actual, "ok" if actual == expected else "mismatch"))
    return checks
