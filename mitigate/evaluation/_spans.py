"""BIO / IOB1 / IOB2 / IOBES spans, vectorised: a span is (start, end, type) and matches only exactly."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

__all__ = ["is_span_scheme", "span_keys"]

_TAG = re.compile(r"^([BIES])[-_](.+)$")


def is_span_scheme(names: Sequence[object]) -> bool:
    """Whether every label looks like ``O`` or ``B-X`` / ``I-X`` / ``E-X`` / ``S-X`` (at least one non-``O``).

    >>> is_span_scheme(["O", "B-PER", "I-PER"]), is_span_scheme(["NN", "VB"])
    (True, False)
    """
    tags = [name for name in names if isinstance(name, str)]
    if len(tags) != len(names) or not tags:
        return False
    return all(tag == "O" or _TAG.match(tag) for tag in tags) and any(tag != "O" for tag in tags)


def _tables(names: Sequence[object]) -> tuple[np.ndarray, np.ndarray]:
    """Per label code: prefix (0 = O / unknown, 1 = B, 2 = I, 3 = E, 4 = S) and entity type id."""
    prefixes = np.zeros(len(names), dtype=np.int8)
    types = np.full(len(names), -1, dtype=np.int64)
    type_ids: dict[str, int] = {}
    for code, name in enumerate(names):
        match = _TAG.match(name) if isinstance(name, str) else None
        if match:
            prefixes[code] = "BIES".index(match.group(1)) + 1
            types[code] = type_ids.setdefault(match.group(2), len(type_ids))
    return prefixes, types


def span_keys(codes: np.ndarray, lengths: np.ndarray, names: Sequence[object]) -> np.ndarray:
    """Sorted unique integer keys of the spans in ``codes`` (sentences given by ``lengths``).

    ``I-X`` after ``O``, after another type or at a sentence start opens a span (the conlleval convention), so IOB1
    and IOB2 both work.

    >>> names = ["O", "B-PER", "I-PER", "B-LOC"]
    >>> span_keys(__import__("numpy").array([1, 2, 0, 3]), __import__("numpy").array([4]), names).size
    2
    """
    prefixes, types = _tables(names)
    prefix, kind = prefixes[codes], types[codes]
    n_items = codes.size
    first = np.zeros(n_items, dtype=bool)
    starts_of_sentences = (np.cumsum(lengths) - lengths)[lengths > 0]
    first[starts_of_sentences] = True
    inside = prefix != 0
    previous_prefix = np.concatenate([[0], prefix[:-1]])
    previous_kind = np.concatenate([[-1], kind[:-1]])
    opens = inside & (
        (prefix == 1)
        | (prefix == 4)
        | first
        | (previous_prefix == 0)
        | (previous_prefix == 3)
        | (previous_prefix == 4)
        | (previous_kind != kind)
    )
    continues = inside & ~opens
    next_continues = np.concatenate([continues[1:], [False]])
    closes = inside & ~next_continues
    start = np.flatnonzero(opens).astype(np.int64)
    end = np.flatnonzero(closes).astype(np.int64)
    n_types = int(types.max()) + 2
    return np.unique((start * (n_items + 1) + end) * n_types + kind[start])


def span_f1(gold: np.ndarray, predicted: np.ndarray) -> float:
    """Micro F1 between two sets of span keys (1.0 when both are empty).

    >>> span_f1(np.array([1, 2]), np.array([2, 3]))
    0.5
    """
    if gold.size == 0 and predicted.size == 0:
        return 1.0
    true_positives = np.intersect1d(gold, predicted, assume_unique=True).size
    return 2.0 * true_positives / (gold.size + predicted.size)
