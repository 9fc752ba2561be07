"""The data types every reader returns and every model consumes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple


class Sentence(NamedTuple):
    """One tagged sequence: a token and a tag per position (equal lengths)."""

    tokens: tuple[str, ...]
    tags: tuple[str, ...]


@dataclass(frozen=True)
class DatasetSplits:
    """The fixed train / dev / test splits of one tagged dataset.

    ``task`` is one of ``"pos"``, ``"chunk"``, ``"ner"`` (span tasks use IOB2 tags), or any user string.
    """

    name: str
    task: str
    train: list[Sentence]
    dev: list[Sentence]
    test: list[Sentence]

    def tagset(self) -> list[str]:
        """Sorted tags seen in the training split."""
        return sorted({tag for sentence in self.train for tag in sentence.tags})
