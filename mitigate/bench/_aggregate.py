"""Aggregate cell records over seeds: means with 95% confidence intervals, pooled McNemar, winners and ranking."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats

__all__ = ["Aggregate", "aggregate", "rank_strategies", "winners"]

_MEASURES = ("acc_scratch", "acc_transfer", "f1_scratch", "f1_transfer", "pt", "nt", "gain", "churn", "excess_nt")


def _mean_ci(values: Sequence[float]) -> tuple[float, float]:
    """Mean and half-width of the 95% Student-t interval (NaN with fewer than two values)."""
    data = np.asarray([v for v in values if v is not None and not math.isnan(v)], dtype=float)
    if data.size == 0:
        return float("nan"), float("nan")
    if data.size == 1:
        return float(data[0]), float("nan")
    half = stats.t.ppf(0.975, data.size - 1) * data.std(ddof=1) / math.sqrt(data.size)
    return float(data.mean()), float(half)


@dataclass
class Aggregate:
    """One (pair, strategy) over its seeds: ``mean[m]`` and ``ci[m]`` per measure, pooled McNemar p, slices."""

    pair: str
    strategy: str
    seeds: list[int]
    mean: dict[str, float]
    ci: dict[str, float]
    mcnemar_p: float
    slices: dict[str, list[int]] = field(default_factory=dict)

    def row(self) -> dict[str, Any]:
        """Flat form for CSV."""
        row: dict[str, Any] = {"pair": self.pair, "strategy": self.strategy, "n_seeds": len(self.seeds)}
        for measure in _MEASURES:
            row[measure] = self.mean[measure]
            row[f"{measure}_ci95"] = self.ci[measure]
        row["mcnemar_p_pooled"] = self.mcnemar_p
        return row


def aggregate(records: Sequence[dict[str, Any]]) -> list[Aggregate]:
    """Group cell records by (pair, strategy), in the order they first appear.

    >>> rows = aggregate([
    ...     {"pair": "p", "strategy": "s", "seed": 0, "metrics": {"pt": 0.1, "nt": 0.05, "gain": 0.05, "pt_count": 10, "nt_count": 5}},
    ...     {"pair": "p", "strategy": "s", "seed": 1, "metrics": {"pt": 0.2, "nt": 0.05, "gain": 0.15, "pt_count": 20, "nt_count": 5}}])
    >>> round(rows[0].mean["gain"], 3), rows[0].seeds
    (0.1, [0, 1])
    """
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for record in records:
        groups.setdefault((record["pair"], record["strategy"]), []).append(record)
    result = []
    for (pair, strategy), group in groups.items():
        group = sorted(group, key=lambda record: record["seed"])
        mean, ci = {}, {}
        for measure in _MEASURES:
            mean[measure], ci[measure] = _mean_ci([r["metrics"].get(measure) for r in group])
        pt = sum(int(r["metrics"].get("pt_count", 0)) for r in group)
        nt = sum(int(r["metrics"].get("nt_count", 0)) for r in group)
        p_value = float(stats.binomtest(nt, pt + nt, 0.5).pvalue) if pt + nt else 1.0
        slices: dict[str, list[int]] = {}
        for record in group:
            for kind, counts in record.get("slices", {}).items():
                total = slices.setdefault(kind, [0, 0, 0])
                for index in range(3):
                    total[index] += int(counts[index])
        result.append(Aggregate(pair, strategy, [r["seed"] for r in group], mean, ci, p_value, slices))
    return result


def winners(rows: Sequence[Aggregate]) -> dict[str, str]:
    """Per pair, the strategy with the highest mean gain (ties: lower NT).

    >>> a = Aggregate("p", "a", [0], {"gain": 0.1, "nt": 0.02}, {}, 1.0)
    >>> b = Aggregate("p", "b", [0], {"gain": 0.1, "nt": 0.01}, {}, 1.0)
    >>> winners([a, b])
    {'p': 'b'}
    """
    best: dict[str, Aggregate] = {}
    for row in rows:
        current = best.get(row.pair)
        if current is None or (row.mean["gain"], -row.mean["nt"]) > (current.mean["gain"], -current.mean["nt"]):
            best[row.pair] = row
    return {pair: row.strategy for pair, row in best.items()}


def rank_strategies(rows: Sequence[Aggregate]) -> list[tuple[str, float, int, int]]:
    """Strategies by mean rank of gain across pairs (1 = best): ``(strategy, mean rank, wins, pairs)``, best first.

    >>> a = Aggregate("p", "a", [0], {"gain": 0.2, "nt": 0.0}, {}, 1.0)
    >>> b = Aggregate("p", "b", [0], {"gain": 0.1, "nt": 0.0}, {}, 1.0)
    >>> rank_strategies([a, b])
    [('a', 1.0, 1, 1), ('b', 2.0, 0, 1)]
    """
    by_pair: dict[str, list[Aggregate]] = {}
    for row in rows:
        by_pair.setdefault(row.pair, []).append(row)
    ranks: dict[str, list[float]] = {}
    for group in by_pair.values():
        order = stats.rankdata([-row.mean["gain"] for row in group], method="average")
        for row, rank in zip(group, order):
            ranks.setdefault(row.strategy, []).append(float(rank))
    won = winners(rows)
    table = [
        (strategy, float(np.mean(values)), sum(1 for winner in won.values() if winner == strategy), len(values))
        for strategy, values in ranks.items()
    ]
    return sorted(table, key=lambda item: (item[1], -item[2], item[0]))
