"""Find the line of a key in TOML text, so config errors can point at it (``tomllib`` keeps no positions)."""

from __future__ import annotations

import re

__all__ = ["key_lines"]

_ARRAY_HEADER = re.compile(r"^\s*\[\[\s*([^\]]+?)\s*\]\]")
_TABLE_HEADER = re.compile(r"^\s*\[\s*([^\]]+?)\s*\]")
_KEY = re.compile(r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_\-]+)\s*=""")

Path = tuple[str | int, ...]


def key_lines(text: str) -> dict[Path, int]:
    """Map each table / key path to the 1-based line where it first appears.

    Arrays of tables are indexed (``("pairs", 1, "source")`` is ``source`` in the second ``[[pairs]]``).

    >>> lines = key_lines('seeds = [0]\\n[[pairs]]\\nsource = "a"\\n[[pairs]]\\nsource = "b"\\n')
    >>> lines[("seeds",)], lines[("pairs", 1)], lines[("pairs", 1, "source")]
    (1, 4, 5)
    """
    found: dict[Path, int] = {}
    counts: dict[str, int] = {}
    current: Path = ()
    in_multiline = False
    for number, line in enumerate(text.splitlines(), start=1):
        if line.count('"""') % 2 == 1 or line.count("'''") % 2 == 1:
            in_multiline = not in_multiline
            if not in_multiline:
                continue
        if in_multiline and not _KEY.match(line):
            continue
        match = _ARRAY_HEADER.match(line)
        if match:
            name = match.group(1)
            counts[name] = counts.get(name, -1) + 1
            current = (name, counts[name])
            found.setdefault(current, number)
            continue
        match = _TABLE_HEADER.match(line)
        if match:
            current = tuple(part.strip() for part in match.group(1).split("."))
            found.setdefault(current, number)
            continue
        match = _KEY.match(line)
        if match:
            found.setdefault((*current, match.group(1).strip("\"'")), number)
    return found
