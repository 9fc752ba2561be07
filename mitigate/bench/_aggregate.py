"""Aggregate cell records over seeds: means with 95% confidence intervals, pooled McNemar, winners and ranking."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats

__all__ = ["Aggregate", "Comparison", "aggregate", "compare_to_reference", "rank_strategies", "winners"]

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


@dataclass
class Comparison:
    """One strategy against the pair's reference strategy, paired by seed.

    ``gain`` and ``nt`` are (mean, 95% t half-width) of the per-seed differences strategy − reference, in fractions
    of items; ``verdict`` reads them (see ``compare_to_reference``).
    """

    pair: str
    strategy: str
    reference: str
    seeds: list[int]
    gain: tuple[float, float]
    nt: tuple[float, float]
    verdict: str


def _verdict(gain: tuple[float, float], nt: tuple[float, float]) -> str:
    if math.isnan(gain[1]) or math.isnan(nt[1]):
        return "too few paired seeds"
    gain_low, gain_high = gain[0] - gain[1], gain[0] + gain[1]
    nt_low, nt_high = nt[0] - nt[1], nt[0] + nt[1]
    if nt_high < 0:
        return "lower NT, lower gain" if gain_high < 0 else "lower NT, gain kept"
    if gain_low > 0:
        return "higher gain, higher NT" if nt_low > 0 else "higher gain"
    if gain_high < 0:
        return "lower gain"
    if nt_low > 0:
        return "higher NT"
    return "no difference beyond seed noise"


def compare_to_reference(records: Sequence[dict[str, Any]], *, reference: str) -> list[Comparison]:
    """Every other strategy of each pair that has ``reference`` against it, over the seeds both ran.

    Each seed's transfer shares the scratch model and the pretrained source with the reference's run of the same
    seed, so the differences are paired. The verdict is "lower NT, gain kept" when the 95% interval of ΔNT is below 0
    and that of Δgain is not; "lower NT, lower gain" when both are below 0; "higher gain" (", higher NT") when the
    interval of Δgain is above 0; "lower gain" or "higher NT" when only that interval excludes 0; and "no difference
    beyond seed noise" when both intervals contain 0.

    >>> def cell(strategy, seed, gain, nt):
    ...     return {"pair": "p", "strategy": strategy, "seed": seed, "metrics": {"gain": gain, "nt": nt}}
    >>> records = [cell("fine-tune", s, 0.02, 0.030 + 0.001 * s) for s in range(3)]
    >>> records += [cell("freeze", s, 0.021 + 0.001 * s, 0.020 + 0.001 * s) for s in range(3)]
    >>> [(c.strategy, c.verdict) for c in compare_to_reference(records, reference="fine-tune")]
    [('freeze', 'lower NT, gain kept')]
    """
    by_cell: dict[tuple[str, str], dict[int, dict[str, Any]]] = {}
    for record in records:
        by_cell.setdefault((record["pair"], record["strategy"]), {})[record["seed"]] = record["metrics"]
    result = []
    for (pair, strategy), runs in by_cell.items():
        base = by_cell.get((pair, reference))
        if strategy == reference or base is None:
            continue
        seeds = sorted(set(runs) & set(base))
        differences = {
            measure: _mean_ci([runs[seed][measure] - base[seed][measure] for seed in seeds]) for measure in ("gain", "nt")
        }
        result.append(Comparison(pair, strategy, reference, seeds, differences["gain"], differences["nt"],
                                 _verdict(differences["gain"], differences["nt"])))
    return result
