"""Per-class PT / NT and the top falsified confusions, from the (class x pattern) histogram."""

from __future__ import annotations

import numpy as np

from mitigate.evaluation._result import ClassResult, Confusion

__all__: list[str] = []


class LabelNames:
    """Code -> user label (string labels are coded; integer labels are their own codes)."""

    def __init__(self, names: list[int | str] | None) -> None:
        self.names = names

    def __call__(self, code: int) -> int | str:
        return self.names[code] if self.names is not None else int(code)

    def rank(self, codes: np.ndarray) -> np.ndarray:
        """Sort keys that follow the labels themselves, so ties break the same way however the data was chunked."""
        if self.names is None:
            return codes
        order = np.argsort(np.array(self.names, dtype=object).astype(str), kind="stable")
        ranks = np.empty(order.size, dtype=np.int64)
        ranks[order] = np.arange(order.size)
        return ranks[codes]


def std_or_none(values: np.ndarray) -> float | None:
    return float(np.std(values, ddof=1)) if values.size >= 2 else None


def per_class_histogram(
    gold: np.ndarray, subset: np.ndarray, sub_gold: np.ndarray, sub_pattern: np.ndarray, coded: bool, n_patterns: int
) -> tuple[np.ndarray, np.ndarray]:
    """(class codes, classes x patterns histogram).

    ``subset`` holds the items not every model got right, with their gold codes and patterns. The other items (the
    bulk) only enter through the class support, so the (class, pattern) key is built for the subset alone.
    """
    support = None
    if coded or int(gold.max()) < (1 << 16):
        try:
            support = np.bincount(gold)  # also the check for negative labels: one pass fewer than gold.min()
        except ValueError:
            support = None
    if support is not None:
        classes, sub_index = np.arange(support.size), sub_gold
    else:
        classes, index = np.unique(gold, return_inverse=True)
        index = index.reshape(-1)
        support = np.bincount(index, minlength=classes.size)
        sub_index = index[subset]
    key = np.multiply(sub_index, n_patterns, dtype=np.int64)
    np.add(key, sub_pattern, out=key)
    table = np.bincount(key, minlength=classes.size * n_patterns).reshape(classes.size, n_patterns)
    table[:, n_patterns - 1] = support - table.sum(axis=1)
    return classes, table


def per_class(
    classes: np.ndarray, table: np.ndarray, pt_features: np.ndarray, nt_features: np.ndarray, label: LabelNames
) -> tuple[ClassResult, ...]:
    support = table.sum(axis=1)
    pt_counts = (table @ pt_features).mean(axis=1)
    nt_counts = (table @ nt_features).mean(axis=1)
    present = np.flatnonzero(support)
    order = present[np.lexsort((label.rank(classes[present]), -support[present], -nt_counts[present]))]
    return tuple(
        ClassResult(
            label=label(int(classes[c])),
            support=int(support[c]),
            pt_count=float(pt_counts[c]),
            nt_count=float(nt_counts[c]),
            pt=float(pt_counts[c] / support[c]),
            nt=float(nt_counts[c] / support[c]),
        )
        for c in order
    )


def _top_tokens(tokens: np.ndarray, limit: int = 3) -> tuple[str, ...]:
    uniques, counts = np.unique(tokens, return_counts=True)
    order = np.lexsort((uniques, -counts))[:limit]
    return tuple(str(token) for token in uniques[order])


def confusions(
    subset: np.ndarray,
    sub_gold: np.ndarray,
    sub_pattern: np.ndarray,
    transfer: list[np.ndarray],
    tokens: np.ndarray | None,
    pairs: list[tuple[int, int]],
    n_scratch: int,
    label: LabelNames,
    top_k: int,
) -> tuple[Confusion, ...]:
    """The ``top_k`` most frequent falsified confusions (gold -> transfer), summed over the seed pairs."""
    if top_k == 0:
        return ()
    gold_parts, predicted_parts, item_parts = [], [], []
    for i, j in pairs:
        # Falsified in pair (i, j): scratch bit i set, transfer bit K + j clear (bit tests beat a table lookup).
        scratch_bit, transfer_bit = 1 << i, 1 << (n_scratch + j)
        positions = np.flatnonzero(np.bitwise_and(sub_pattern, scratch_bit | transfer_bit) == scratch_bit)
        # Indices from flatnonzero are in range: mode="clip" skips numpy's bounds checks (~30% faster gathers).
        items = np.take(subset, positions, mode="clip")
        gold_parts.append(np.take(sub_gold, positions, mode="clip"))
        predicted_parts.append(np.take(transfer[j], items, mode="clip"))
        item_parts.append(items)
    if sum(part.size for part in gold_parts) == 0:
        return ()
    if tokens is None:
        keys, key_gold, key_predicted, counts = _joint_counts_of_parts(gold_parts, predicted_parts)
    else:
        golds, predicted = np.concatenate(gold_parts), np.concatenate(predicted_parts)
        keys, key_gold, key_predicted, counts = _joint_counts(golds, predicted, groups=True)
    order = np.lexsort((label.rank(key_predicted), label.rank(key_gold), -counts))[:top_k]
    items = np.concatenate(item_parts) if tokens is not None else None
    return tuple(
        Confusion(
            gold=label(int(key_gold[k])),
            predicted=label(int(key_predicted[k])),
            count=int(counts[k]),
            examples=_top_tokens(tokens[items[keys == k]]) if tokens is not None and items is not None else (),
        )
        for k in order
    )


def _joint_counts_of_parts(
    first_parts: list[np.ndarray], second_parts: list[np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_joint_counts` (without groups) of the concatenated parts, without concatenating them when the value
    ranges are small: one ``bincount`` per part over a shared combined key, summed."""
    firsts = [part for part in first_parts if part.size]
    seconds = [part for part in second_parts if part.size]
    low_first, low_second = min(int(part.min()) for part in firsts), min(int(part.min()) for part in seconds)
    span_first = max(int(part.max()) for part in firsts) - low_first + 1
    span_second = max(int(part.max()) for part in seconds) - low_second + 1
    if span_first * span_second > (1 << 22):
        return _joint_counts(np.concatenate(first_parts), np.concatenate(second_parts), groups=False)
    counts = np.zeros(span_first * span_second, dtype=np.int64)
    for first, second in zip(firsts, seconds):
        key = np.multiply(first - low_first if low_first else first, span_second, dtype=np.int64)
        np.add(key, second - low_second if low_second else second, out=key)
        counts += np.bincount(key, minlength=counts.size)
    present = np.flatnonzero(counts)
    return (
        np.empty(0, dtype=np.int64),
        present // span_second + low_first,
        present % span_second + low_second,
        counts[present],
    )


def _joint_counts(
    first: np.ndarray, second: np.ndarray, *, groups: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Group items by (first, second) value: (group per item or empty, first value, second value, count) per group.

    A ``bincount`` over a combined key when the value ranges are small, one 1-D ``unique`` otherwise.
    """
    low_first, low_second = int(first.min()), int(second.min())
    span_first, span_second = int(first.max()) - low_first + 1, int(second.max()) - low_second + 1
    if span_first * span_second <= (1 << 22):
        key = np.multiply(first - low_first if low_first else first, span_second, dtype=np.int64)
        np.add(key, second - low_second if low_second else second, out=key)
        counts = np.bincount(key, minlength=span_first * span_second)
        present = np.flatnonzero(counts)
        group = np.empty(0, dtype=np.int64)
        if groups:
            lookup = np.empty(counts.size, dtype=np.int64)
            lookup[present] = np.arange(present.size)
            group = lookup[key]
        return group, present // span_second + low_first, present % span_second + low_second, counts[present]
    values_first, index_first = np.unique(first, return_inverse=True)
    values_second, index_second = np.unique(second, return_inverse=True)
    combined = index_first.reshape(-1) * values_second.size + index_second.reshape(-1)
    distinct, group, counts = np.unique(combined, return_inverse=True, return_counts=True)
    return (
        group.reshape(-1),
        values_first[distinct // values_second.size],
        values_second[distinct % values_second.size],
        counts,
    )
