"""Correctness patterns, McNemar's exact test and the vectorised paired bootstrap.

Every item gets one integer *pattern*: bit ``i`` says scratch seed ``i`` is right, bit ``K + j`` says transfer seed
``j`` is right. Every statistic the evaluator reports (PT, NT, churn, consensus, ...) is a sum of a per-pattern
feature over items, so one histogram of patterns gives them all, and a bootstrap only needs per-unit feature sums.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import binomtest

__all__: list[str] = []

_BLOCK = 50
# Items per block of the pattern pass: gold's block stays in cache while every prediction is compared against it, so
# gold is read from memory once instead of once per model (measured best between 2**16 and 2**19 items).
_PATTERN_BLOCK = 1 << 17


def correctness_patterns(gold: np.ndarray, predictions: list[np.ndarray]) -> np.ndarray:
    """Pack per-model correctness (``prediction == gold``) into one small unsigned integer per item.

    Bit ``m`` is model ``m``'s correctness. Built Horner-style from the last model down (``pattern = 2 * pattern +
    correct``), with additions rather than shifts (numpy vectorises small-integer additions, not shifts), block by
    block.

    >>> correctness_patterns(np.array([1, 2, 3]), [np.array([1, 0, 3]), np.array([0, 2, 3])]).tolist()
    [1, 2, 3]
    """
    dtype = np.uint8 if len(predictions) <= 8 else np.uint16
    n_items = gold.size
    pattern = np.empty(n_items, dtype=dtype)
    flags = np.empty(min(n_items, _PATTERN_BLOCK), dtype=bool)
    # uint8: add the comparison's bytes as they are (bool and uint8 share their layout); uint16: let numpy cast.
    addend = flags.view(np.uint8) if dtype == np.uint8 else flags
    for start in range(0, n_items, _PATTERN_BLOCK):
        stop = min(start + _PATTERN_BLOCK, n_items)
        gold_block, block = gold[start:stop], pattern[start:stop]
        block_flags, block_addend = flags[: stop - start], addend[: stop - start]
        np.equal(predictions[-1][start:stop], gold_block, out=block_flags)
        block[:] = block_addend
        for prediction in predictions[-2::-1]:
            np.equal(prediction[start:stop], gold_block, out=block_flags)
            np.add(block, block, out=block)
            np.add(block, block_addend, out=block)
    return pattern


def pattern_bits(n_scratch: int, n_transfer: int) -> tuple[np.ndarray, np.ndarray]:
    """Boolean tables (patterns x seeds): is scratch seed ``i`` / transfer seed ``j`` right under each pattern."""
    codes = np.arange(1 << (n_scratch + n_transfer))
    bits = (codes[:, None] >> np.arange(n_scratch + n_transfer)[None, :]) & 1
    return bits[:, :n_scratch].astype(bool), bits[:, n_scratch:].astype(bool)


def mcnemar_exact(pt_count: int, nt_count: int) -> float:
    """Two-sided exact McNemar p-value on the discordant counts (1.0 when there are none).

    >>> mcnemar_exact(0, 0)
    1.0
    >>> round(mcnemar_exact(10, 0), 4)
    0.002
    """
    total = int(pt_count) + int(nt_count)
    if total == 0:
        return 1.0
    return float(min(1.0, binomtest(int(pt_count), total, 0.5).pvalue))


def unit_sums(
    pattern: np.ndarray, lengths: np.ndarray | None, features: np.ndarray
) -> tuple[np.ndarray, np.ndarray | None]:
    """Per-unit sums of ``features`` (patterns x k) and the units' multiplicities.

    Flat items: units with the same pattern are interchangeable, so rows are the distinct patterns with their counts
    as multiplicities. Sentences: one row per sentence, multiplicity ``None`` (each drawn with probability 1/S).
    """
    n_patterns = features.shape[0]
    if lengths is None:
        histogram = np.bincount(pattern, minlength=n_patterns)
        present = np.flatnonzero(histogram)
        return features[present].astype(np.float64), histogram[present]
    n_sentences = lengths.size
    sentence = np.repeat(np.arange(n_sentences, dtype=np.int64), lengths)
    keys, counts = np.unique(sentence * n_patterns + pattern, return_counts=True)
    rows, cols = keys // n_patterns, keys % n_patterns
    sums = np.empty((n_sentences, features.shape[1]), dtype=np.float64)
    for column in range(features.shape[1]):
        sums[:, column] = np.bincount(rows, weights=counts * features[cols, column], minlength=n_sentences)
    return sums, None


def bootstrap_sums(
    sums: np.ndarray, multiplicity: np.ndarray | None, *, n_resamples: int, rng: np.random.Generator
) -> np.ndarray:
    """Feature sums over ``n_resamples`` paired bootstrap resamples of the units (resamples x k)."""
    n_rows = sums.shape[0]
    if multiplicity is not None:
        total = int(multiplicity.sum())
        weights = rng.multinomial(total, multiplicity / total, size=n_resamples)
        return weights.astype(np.float64) @ sums
    out = np.empty((n_resamples, sums.shape[1]), dtype=np.float64)
    for start in range(0, n_resamples, _BLOCK):
        block = min(_BLOCK, n_resamples - start)
        draws = rng.integers(0, n_rows, size=(block, n_rows))
        draws += (np.arange(block) * n_rows)[:, None]
        weights = np.bincount(draws.ravel(), minlength=block * n_rows).reshape(block, n_rows)
        out[start : start + block] = weights.astype(np.float64) @ sums
    return out


def percentile_interval(samples: np.ndarray, level: float) -> tuple[float, float]:
    """Two-sided percentile interval of bootstrap ``samples`` at confidence ``level``."""
    alpha = (1.0 - level) / 2.0
    low, high = np.quantile(samples, [alpha, 1.0 - alpha])
    return float(low), float(high)
