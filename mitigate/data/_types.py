"""The data types every reader returns and every model consumes."""

from __future__ import annotations

from collections.abc import Iterable
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


class SentenceList(list[Sentence]):
    """The sentences read from one source, with a count of the empty ones that were skipped.

    A sentence is empty when nothing is left of it after clean-up (for example a tweet made only of
    zero-width characters); readers skip it rather than fail, and count it here.

    >>> sentences = SentenceList([Sentence(("a",), ("DT",))], skipped_empty=2, source="x.txt")
    >>> len(sentences), sentences.skipped_empty, sentences.source
    (1, 2, 'x.txt')
    """

    def __init__(self, sentences: Iterable[Sentence] = (), *, skipped_empty: int = 0, source: str = "") -> None:
        super().__init__(sentences)
        self.skipped_empty = skipped_empty
        self.source = source
