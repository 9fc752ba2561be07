"""Rank candidate sources before any training: transferability proxies on the target plus source↔target
feature distances (MMD, proxy A-distance), combined by mean rank into one table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mitigate.transferability._distances import mmd, proxy_a_distance
from mitigate.transferability._features import TargetFeatures
from mitigate.transferability._registry import PROXIES

__all__ = ["SourceRanking", "rank_sources", "DISTANCES"]

#: Distance columns: lower means the source's features look more like the target's.
DISTANCES = {
    "mmd_linear": lambda s, t, seed: mmd(source=s, target=t, kernel="linear"),
    "mmd_rbf": lambda s, t, seed: mmd(source=s, target=t, kernel="rbf", seed=seed),
    "pad": lambda s, t, seed: proxy_a_distance(source=s, target=t, seed=seed),
}


@dataclass(frozen=True)
class SourceRanking:
    """Sources sorted best first. ``values[name][column]`` holds each proxy (higher is better) and distance
    (lower is better); ``score[name]`` in [0, 1] is the mean over columns of the source's rank position scaled so
    the best source of a column gets 1 and the worst 0 (ties share the mean rank).

    >>> r = SourceRanking(order=["a", "b"], columns=["logme", "pad"], higher_is_better={"logme": True, "pad": False},
    ...                   values={"a": {"logme": 1.0, "pad": 0.2}, "b": {"logme": 0.5, "pad": 1.0}}, score={"a": 1.0, "b": 0.0})
    >>> print(r.to_markdown())
    | rank | source | score | logme ↑ | pad ↓ |
    |---|---|---|---|---|
    | 1 | a | 1.000 | 1 | 0.2 |
    | 2 | b | 0.000 | 0.5 | 1 |
    >>> round(r.rank_correlation({"a": 0.03, "b": -0.01}), 6)
    1.0
    """

    order: list[str]
    columns: list[str]
    higher_is_better: dict[str, bool]
    values: dict[str, dict[str, float]]
    score: dict[str, float]

    def to_markdown(self) -> str:
        """One row per source, best first."""
        head = ["rank", "source", "score", *(f"{c} {'↑' if self.higher_is_better[c] else '↓'}" for c in self.columns)]
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for i, name in enumerate(self.order, start=1):
            cells = [str(i), name, f"{self.score[name]:.3f}", *(f"{self.values[name][c]:.4g}" for c in self.columns)]
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form (JSON)."""
        return {"order": self.order, "columns": self.columns, "higher_is_better": self.higher_is_better,
                "values": self.values, "score": self.score}

    def rank_correlation(self, measured: Mapping[str, float], *, column: str | None = None) -> float:
        """Spearman correlation between the ranking's ``score`` (or one ``column``, sign-adjusted so higher means
        better) and ``measured`` outcomes per source (e.g. gain, higher is better); NaN with fewer than 3 sources
        in common unless exactly 2 (then ±1)."""
        from scipy.stats import spearmanr

        names = [n for n in self.order if n in measured]
        if column is None:
            predicted = [self.score[n] for n in names]
        else:
            if column not in self.columns:
                raise ValueError(f"Expected argument `column` to be one of {self.columns}, but got {column!r}.")
            sign = 1.0 if self.higher_is_better[column] else -1.0
            predicted = [sign * self.values[n][column] for n in names]
        if len(names) < 2:
            return float("nan")
        return float(spearmanr(predicted, [measured[n] for n in names]).statistic)


def _positions(values: np.ndarray, higher_is_better: bool) -> np.ndarray:
    from scipy.stats import rankdata

    if len(values) == 1:
        return np.ones(1)
    ranks = rankdata(values if higher_is_better else -values)  # 1 = worst
    return (ranks - 1) / (len(values) - 1)


def rank_sources(
    *,
    target_features: Mapping[str, TargetFeatures],
    source_features: Mapping[str, np.ndarray] | None = None,
    proxies: Sequence[str] = ("logme", "h_score", "transrate"),
    distances: Sequence[str] = ("mmd_rbf", "pad"),
    seed: int = 0,
) -> SourceRanking:
    """Score every source and rank them.

    ``target_features[name]`` is what that source's encoder gives on the *target* training items
    (``mitigate.transferability.extract_features`` or ``tagger_features``): the proxies read it. ``source_features[name]``
    (N, D) is the same encoder on the source's own items: the distances compare it with ``target_features[name].features``.
    Without ``source_features`` only proxies are used. Proxies needing the source head (``leep``, ``nce``) need
    ``source_probs``.

    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 200)
    >>> good = TargetFeatures(features=np.c_[y + 0.1 * rng.normal(size=200), rng.normal(size=200)], labels=y)
    >>> bad = TargetFeatures(features=rng.normal(size=(200, 2)), labels=y)
    >>> src = {"good": good.features + 0.05, "bad": rng.normal(size=(200, 2)) + 3}
    >>> rank_sources(target_features={"good": good, "bad": bad}, source_features=src).order
    ['good', 'bad']
    """
    if not isinstance(target_features, Mapping) or not target_features:
        raise ValueError(f"Expected argument `target_features` to be a non-empty mapping of source name to TargetFeatures, but got {target_features!r}.")
    unknown = [p for p in proxies if p not in PROXIES]
    if unknown:
        raise ValueError(f"Expected argument `proxies` to hold names among {sorted(PROXIES)}, but got {unknown}.")
    unknown = [d for d in distances if d not in DISTANCES]
    if unknown:
        raise ValueError(f"Expected argument `distances` to hold names among {sorted(DISTANCES)}, but got {unknown}.")
    if source_features is None:
        distances = ()
    else:
        missing = sorted(set(target_features) - set(source_features))
        if missing:
            raise ValueError(f"Expected argument `source_features` to have an entry for every source, but {missing} are missing.")
    columns = [*proxies, *distances]
    if not columns:
        raise ValueError("Expected at least one proxy or distance to rank by, but got none.")
    higher = {**dict.fromkeys(proxies, True), **dict.fromkeys(distances, False)}
    names = list(target_features)
    values: dict[str, dict[str, float]] = {}
    for name in names:
        data = target_features[name]
        if not isinstance(data, TargetFeatures):
            raise TypeError(f"Expected argument `target_features` to map names to TargetFeatures, but {name!r} is {type(data).__name__}.")
        row = {p: float(PROXIES[p](data)) for p in proxies}
        for d in distances:
            row[d] = float(DISTANCES[d](source_features[name], data.features, seed))  # type: ignore[index]
        values[name] = row
    table = np.array([[values[n][c] for c in columns] for n in names], dtype=np.float64)
    positions = np.column_stack([_positions(table[:, j], higher[c]) for j, c in enumerate(columns)])
    score = {n: round(float(s), 6) for n, s in zip(names, positions.mean(axis=1))}
    order = sorted(names, key=lambda n: (-score[n], names.index(n)))
    return SourceRanking(order=order, columns=columns, higher_is_better=higher, values=values, score=score)
