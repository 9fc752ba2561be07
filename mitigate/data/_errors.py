"""The error raised when a tagged file does not parse."""

from __future__ import annotations

from pathlib import Path


class DataFormatError(ValueError):
    """A tagged file is malformed; the message names the file and the 1-based line number.

    >>> str(DataFormatError("missing tag", path="x.txt", line=3))
    'x.txt:3: missing tag'
    """

    def __init__(self, message: str, *, path: str | Path, line: int) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path = str(path)
        self.line = line
