"""The fixed split rules of the registry, as small pure functions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


def split_by_fraction(
    items: Sequence[T], *, train: float = 0.70, dev: float = 0.15
) -> tuple[list[T], list[T], list[T]]:
    """Split in file order: the first ``round(train·n)`` items, the next ``round(dev·n)``, then the rest.

    >>> [len(part) for part in split_by_fraction(range(787))]
    [551, 118, 118]
    """
    for name, value in (("train", train), ("dev", dev)):
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"Expected argument `{name}` to be in [0, 1], but got {value}.")
    if train + dev > 1.0:
        raise ValueError(f"Expected arguments `train` + `dev` to be at most 1, but got {train + dev}.")
    n = len(items)
    n_train = round(train * n)
    n_dev = min(round(dev * n), n - n_train)
    return list(items[:n_train]), list(items[n_train : n_train + n_dev]), list(items[n_train + n_dev :])


def hold_out_tail(items: Sequence[T], *, fraction: float = 0.10) -> tuple[list[T], list[T]]:
    """Keep the first items and hold out the last ``round(fraction·n)`` (CoNLL-2000's dev set).

    >>> [len(part) for part in hold_out_tail(range(8936))]
    [8042, 894]
    """
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"Expected argument `fraction` to be in [0, 1], but got {fraction}.")
    n_held = round(fraction * len(items))
    cut = len(items) - n_held
    return list(items[:cut]), list(items[cut:])
