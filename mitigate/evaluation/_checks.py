"""Argument checks at the evaluator's boundary: structure (flat vs sentences), label types, lengths, seeds."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__: list[str] = []

_SCALAR_LABEL = (str, int, np.integer, np.str_)


def seed_list(single: Any, many: Any, name: str) -> list[Any]:
    """Resolve ``name=`` (one seed) versus ``name_seeds=`` (a list of seeds) into a list of seed predictions."""
    if single is None and many is None:
        raise TypeError(f"Expected one of `{name}` (one seed) or `{name}_seeds` (a list of seeds), but got neither.")
    if single is not None and many is not None:
        raise TypeError(f"Expected only one of `{name}` (one seed) or `{name}_seeds` (a list of seeds), but got both.")
    if single is not None:
        return [single]
    if isinstance(many, (str, bytes)) or not isinstance(many, (Sequence, np.ndarray)):
        raise TypeError(
            f"Expected argument `{name}_seeds` to be a list of per-seed predictions, but got {type(many).__name__}."
        )
    if len(many) == 0:
        raise ValueError(f"Expected argument `{name}_seeds` to hold at least one seed, but got an empty list.")
    return list(many)


def locate(index: int, lengths: np.ndarray | None) -> str:
    """Human position of flat item ``index``: ``index 7`` or ``sentence 2, position 3`` (0-based)."""
    if lengths is None:
        return f"index {index}"
    ends = np.cumsum(lengths)
    sentence = int(np.searchsorted(ends, index, side="right"))
    start = int(ends[sentence] - lengths[sentence])
    return f"sentence {sentence}, position {index - start}"


def structure(value: Any, name: str) -> tuple[Any, np.ndarray | None]:
    """Split ``value`` into (flat labels, per-sentence lengths or ``None`` for flat input)."""
    if isinstance(value, (str, bytes)) or not isinstance(value, (Sequence, np.ndarray)):
        raise TypeError(
            f"Expected argument `{name}` to be a sequence of labels or a list of sentences of labels, "
            f"but got {type(value).__name__}."
        )
    if len(value) == 0:
        raise ValueError(f"Expected argument `{name}` to be non-empty, but got an empty sequence.")
    if isinstance(value, np.ndarray):
        if value.ndim == 1:
            return value, None
        if value.ndim == 2:
            return value.reshape(-1), np.full(value.shape[0], value.shape[1], dtype=np.int64)
        raise ValueError(f"Expected argument `{name}` to be a 1-D or 2-D array, but got {value.ndim} dimensions.")
    first = value[0]
    if isinstance(first, _SCALAR_LABEL) or not isinstance(first, (Sequence, np.ndarray)):
        return value, None
    if isinstance(first, np.ndarray) and all(
        isinstance(sentence, np.ndarray) and sentence.ndim == 1 for sentence in value
    ):
        # Sentences as 1-D arrays: concatenate in C instead of building one Python object per label.
        return np.concatenate(value), np.fromiter(map(len, value), dtype=np.int64, count=len(value))
    lengths = np.empty(len(value), dtype=np.int64)
    for position, sentence in enumerate(value):
        if isinstance(sentence, (str, bytes)) or not isinstance(sentence, (Sequence, np.ndarray)):
            raise TypeError(
                f"Expected argument `{name}` to be a list of sentences, but sentence {position} is "
                f"{type(sentence).__name__}."
            )
        lengths[position] = len(sentence)
    return list(itertools.chain.from_iterable(value)), lengths


def label_array(flat: Any, name: str, lengths: np.ndarray | None) -> tuple[np.ndarray, str]:
    """Convert flat labels to an array and its kind (``"int"`` or ``"str"``); reject NaN and non-labels."""
    if isinstance(flat, np.ndarray):
        array = flat
    else:
        try:
            array = np.asarray(flat)
        except ValueError:  # ragged nesting
            array = np.empty(len(flat), dtype=object)
            array[:] = list(flat)
    kind = array.dtype.kind
    if kind in "iu":
        return array.astype(np.int64, copy=False), "int"
    if kind == "U" and isinstance(flat, np.ndarray):
        return array, "str"
    if kind == "f":
        bad = np.flatnonzero(np.isnan(array))
        if bad.size:
            raise ValueError(
                f"Expected argument `{name}` to hold labels, but got NaN at {locate(int(bad[0]), lengths)}."
            )
        raise TypeError(
            f"Expected argument `{name}` to hold integer or string labels, but got float values ({array.dtype})."
        )
    if kind == "b":
        raise TypeError(f"Expected argument `{name}` to hold integer or string labels, but got booleans.")
    # Lists: check element types (np.asarray silently turns ['B', 1] into strings).
    items = flat if not isinstance(flat, np.ndarray) else flat.tolist()
    has_str = has_int = False
    for index, item in enumerate(items):
        if isinstance(item, (str, np.str_)):
            has_str = True
        elif isinstance(item, (int, np.integer)) and not isinstance(item, (bool, np.bool_)):
            has_int = True
        elif isinstance(item, float) and math.isnan(item):
            raise ValueError(f"Expected argument `{name}` to hold labels, but got NaN at {locate(index, lengths)}.")
        else:
            raise TypeError(
                f"Expected argument `{name}` to hold integer or string labels, but got {item!r} "
                f"({type(item).__name__}) at {locate(index, lengths)}."
            )
        if has_str and has_int:
            raise TypeError(
                f"Expected argument `{name}` to hold labels of one type (all int or all str), but got both; "
                f"the first mixed one is at {locate(index, lengths)}."
            )
    if has_int:
        return np.asarray(items, dtype=np.int64), "int"
    return np.asarray(items, dtype=str), "str"


def check_same_shape(
    name: str, flat_len: int, lengths: np.ndarray | None, gold_len: int, gold_lengths: np.ndarray | None
) -> None:
    """Raise an exact error when ``name`` does not line up with ``gold`` item by item."""
    if (lengths is None) != (gold_lengths is None):
        got = "a flat sequence of labels" if lengths is None else "a list of sentences"
        want = "a flat sequence of labels" if gold_lengths is None else "a list of sentences"
        raise TypeError(f"Expected argument `{name}` to be {want} like `gold`, but got {got}.")
    if lengths is not None and gold_lengths is not None:
        if lengths.size != gold_lengths.size:
            raise ValueError(
                f"Expected argument `{name}` to have {gold_lengths.size} sentences like `gold`, but got {lengths.size}."
            )
        differ = np.flatnonzero(lengths != gold_lengths)
        if differ.size:
            first = int(differ[0])
            raise ValueError(
                f"Expected sentence {first} of `{name}` to have {int(gold_lengths[first])} labels like `gold`, "
                f"but got {int(lengths[first])}."
            )
    elif flat_len != gold_len:
        raise ValueError(
            f"Expected argument `{name}` to have {gold_len} labels like `gold`, but got {flat_len} "
            f"(they differ from index {min(flat_len, gold_len)} on)."
        )
