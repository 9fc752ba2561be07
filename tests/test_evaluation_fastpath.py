"""The optimised internals of the evaluator against straightforward reference computations on random data."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mitigate.evaluation import _stats, transfer_report
from mitigate.evaluation._stats import correctness_patterns


def reference_patterns(gold: np.ndarray, predictions: list[np.ndarray]) -> np.ndarray:
    """Bit ``m`` of item ``k`` is ``predictions[m][k] == gold[k]``, one full-length pass per model."""
    pattern = np.zeros(gold.size, dtype=np.int64)
    for bit, prediction in enumerate(predictions):
        pattern |= (prediction == gold).astype(np.int64) << bit
    return pattern


@settings(max_examples=40, deadline=None)
@given(
    n_items=st.integers(min_value=1, max_value=300),
    n_models=st.integers(min_value=1, max_value=16),
    n_classes=st.integers(min_value=1, max_value=4),
    block=st.sampled_from([1, 7, 64, 1 << 17]),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_blocked_patterns_match_reference(n_items: int, n_models: int, n_classes: int, block: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    gold = rng.integers(0, n_classes, size=n_items)
    predictions = [rng.integers(0, n_classes, size=n_items) for _ in range(n_models)]
    default = _stats._PATTERN_BLOCK
    _stats._PATTERN_BLOCK = block  # block edges inside the data, not only at its end
    try:
        pattern = correctness_patterns(gold, predictions)
    finally:
        _stats._PATTERN_BLOCK = default
    assert pattern.dtype == (np.uint8 if n_models <= 8 else np.uint16)
    np.testing.assert_array_equal(pattern, reference_patterns(gold, predictions))


def test_report_matches_reference_counts_on_random_data(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(3)
    n_items = 5_000
    gold = rng.integers(0, 6, size=n_items)
    scratch = [np.where(rng.random(n_items) < 0.3, rng.integers(0, 6, size=n_items), gold) for _ in range(3)]
    transfer = [np.where(rng.random(n_items) < 0.25, rng.integers(0, 6, size=n_items), gold) for _ in range(3)]
    monkeypatch.setattr(_stats, "_PATTERN_BLOCK", 999)
    report = transfer_report(gold=gold, scratch_seeds=scratch, transfer_seeds=transfer, n_bootstrap=0, top_k=50)
    right_s = [s == gold for s in scratch]
    right_t = [t == gold for t in transfer]
    for pair, s, t in zip(report.pairs, right_s, right_t):
        assert pair.pt_count == int(np.count_nonzero(t & ~s))
        assert pair.nt_count == int(np.count_nonzero(s & ~t))
        assert pair.scratch_accuracy == np.count_nonzero(s) / n_items
    churn = [np.count_nonzero(right_s[a] & ~right_s[b]) / n_items for a in range(3) for b in range(3) if a != b]
    assert report.churn_floor == pytest.approx(float(np.mean(churn)), abs=1e-15)
    for result in report.per_class:
        members = gold == result.label
        assert result.support == int(np.count_nonzero(members))
        nt = np.mean([np.count_nonzero(members & s & ~t) for s, t in zip(right_s, right_t)])
        assert result.nt_count == pytest.approx(float(nt), abs=1e-12)
    expected: dict[tuple[int, int], int] = {}
    for s, t, prediction in zip(right_s, right_t, transfer):
        for item in np.flatnonzero(s & ~t):
            key = (int(gold[item]), int(prediction[item]))
            expected[key] = expected.get(key, 0) + 1
    # 6 classes give at most 30 (gold, predicted) confusions, so top_k=50 lists every one of them.
    assert {(c.gold, c.predicted): c.count for c in report.top_confusions} == expected


@pytest.mark.parametrize("scale", [1, 10**12], ids=["small-codes", "huge-codes"])
def test_confusions_without_tokens_match_reference(scale: int) -> None:
    # Huge label values take the sort-based fallback instead of one bincount per seed pair.
    rng = np.random.default_rng(11)
    n_items = 2_000
    gold = rng.integers(0, 5, size=n_items) * scale
    scratch = [np.where(rng.random(n_items) < 0.3, rng.integers(0, 5, size=n_items) * scale, gold) for _ in range(2)]
    transfer = [np.where(rng.random(n_items) < 0.3, rng.integers(0, 5, size=n_items) * scale, gold) for _ in range(3)]
    report = transfer_report(gold=gold, scratch_seeds=scratch, transfer_seeds=transfer, n_bootstrap=0, top_k=50)
    expected: dict[tuple[int, int], int] = {}
    for s in scratch:  # 2 scratch x 3 transfer seeds: every combination is a pair
        for t in transfer:
            for item in np.flatnonzero((s == gold) & (t != gold)):
                key = (int(gold[item]), int(t[item]))
                expected[key] = expected.get(key, 0) + 1
    assert {(c.gold, c.predicted): c.count for c in report.top_confusions} == expected
    counts = [c.count for c in report.top_confusions]
    assert counts == sorted(counts, reverse=True)
