"""Distribution distances between source and target features: MMD (linear / RBF) and the proxy A-distance.

Both answer "how different do the two domains look to this encoder?" before any training. Lower means closer.

- MMD (Gretton et al., JMLR 2012). Linear kernel: ‖mean(X) − mean(Y)‖². RBF kernel exp(−‖a − b‖² / (2σ²)) with
  σ² from the median heuristic (half the median squared distance over the pooled sample), the biased V-statistic
  estimate (always >= 0, exactly 0 for identical samples).
- Proxy A-distance (Ben-David et al., NIPS 2007 / Ganin et al., JMLR 2016): train a domain classifier (here a
  logistic regression) to tell source from target, take its cross-validated error ε, PAD = 2(1 − 2ε), clipped to
  [0, 2]. 0 when the domains can't be told apart, 2 when they separate perfectly.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mitigate.transferability._checks import check_features

__all__ = ["mmd", "proxy_a_distance"]

_KERNELS = ("linear", "rbf")


def _subsample(x: np.ndarray, max_items: int | None, rng: np.random.Generator) -> np.ndarray:
    if max_items is None or x.shape[0] <= max_items:
        return x
    return x[rng.choice(x.shape[0], size=max_items, replace=False)]


def _pair(source: Any, target: Any) -> tuple[np.ndarray, np.ndarray]:
    x = check_features(source, name="source")
    y = check_features(target, name="target")
    if x.shape[1] != y.shape[1]:
        raise ValueError(
            f"Expected arguments `source` and `target` to have the same feature size, but got {x.shape[1]} and {y.shape[1]}."
        )
    for name, a in (("source", x), ("target", y)):
        if a.shape[0] < 2:
            raise ValueError(f"Expected argument `{name}` to hold at least 2 rows, but got {a.shape[0]}.")
    return x, y


def _check_max_items(max_items: Any) -> None:
    if max_items is not None and (isinstance(max_items, bool) or not isinstance(max_items, int) or max_items < 2):
        raise ValueError(f"Expected argument `max_items` to be an int >= 2 or None, but got {max_items!r}.")


def _squared_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    sq = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
    return np.maximum(sq, 0.0)


def mmd(
    *,
    source: np.ndarray,
    target: np.ndarray,
    kernel: str = "rbf",
    bandwidth: float | None = None,
    max_items: int | None = 2000,
    seed: int = 0,
) -> float:
    """Squared maximum mean discrepancy between ``source`` (N, D) and ``target`` (M, D) features.

    ``kernel="linear"`` is ‖mean(source) − mean(target)‖²; ``kernel="rbf"`` uses σ² = ``bandwidth`` or, by
    default, the median heuristic (half the median pairwise squared distance of the pooled sample). At most
    ``max_items`` rows of each side are used (a seeded random subset) to keep the RBF kernel matrices small.

    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(200, 3))
    >>> mmd(source=x, target=x), mmd(source=x, target=x, kernel="linear")
    (0.0, 0.0)
    >>> mmd(source=x, target=x + 2.0) > 0.5
    True
    """
    if kernel not in _KERNELS:
        raise ValueError(f"Expected argument `kernel` to be one of {list(_KERNELS)}, but got {kernel!r}.")
    if bandwidth is not None and (isinstance(bandwidth, bool) or not isinstance(bandwidth, (int, float)) or not bandwidth > 0):
        raise ValueError(f"Expected argument `bandwidth` to be a float > 0 or None, but got {bandwidth!r}.")
    _check_max_items(max_items)
    x, y = _pair(source, target)
    if kernel == "linear":
        diff = x.mean(axis=0) - y.mean(axis=0)
        return float(diff @ diff)
    rng = np.random.default_rng(seed)
    x, y = _subsample(x, max_items, rng), _subsample(y, max_items, rng)
    dxx, dyy, dxy = _squared_distances(x, x), _squared_distances(y, y), _squared_distances(x, y)
    if bandwidth is None:
        pooled = np.concatenate([dxx[np.triu_indices_from(dxx, 1)], dyy[np.triu_indices_from(dyy, 1)], dxy.ravel()])
        positive = pooled[pooled > 0]
        sigma2 = 0.5 * float(np.median(positive)) if positive.size else 1.0
    else:
        sigma2 = float(bandwidth) ** 2
    gamma = 1.0 / (2.0 * sigma2)
    value = np.exp(-gamma * dxx).mean() + np.exp(-gamma * dyy).mean() - 2.0 * np.exp(-gamma * dxy).mean()
    return float(max(value, 0.0))


def proxy_a_distance(
    *,
    source: np.ndarray,
    target: np.ndarray,
    folds: int = 5,
    max_items: int | None = 2000,
    C: float = 1.0,
    seed: int = 0,
) -> float:
    """Proxy A-distance 2(1 − 2ε) from the ``folds``-fold cross-validated error ε of a logistic-regression domain
    classifier (source vs target, standardised features, balanced class weights), clipped to [0, 2].

    Each side is subsampled to at most ``max_items`` rows (seeded). ``C`` is the inverse L2 strength.

    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(300, 4))
    >>> proxy_a_distance(source=x, target=x + 5.0)
    2.0
    >>> proxy_a_distance(source=x[:150], target=x[150:]) < 0.4
    True
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if isinstance(folds, bool) or not isinstance(folds, int) or folds < 2:
        raise ValueError(f"Expected argument `folds` to be an int >= 2, but got {folds!r}.")
    if isinstance(C, bool) or not isinstance(C, (int, float)) or not C > 0:
        raise ValueError(f"Expected argument `C` to be a float > 0, but got {C!r}.")
    _check_max_items(max_items)
    x, y = _pair(source, target)
    rng = np.random.default_rng(seed)
    x, y = _subsample(x, max_items, rng), _subsample(y, max_items, rng)
    if min(x.shape[0], y.shape[0]) < folds:
        raise ValueError(
            f"Expected at least `folds`={folds} rows on each side, but got {x.shape[0]} source and {y.shape[0]} target rows."
        )
    data = np.concatenate([x, y])
    domain = np.r_[np.zeros(x.shape[0], dtype=np.int64), np.ones(y.shape[0], dtype=np.int64)]
    classifier = make_pipeline(StandardScaler(), LogisticRegression(C=C, class_weight="balanced", max_iter=1000))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    accuracy = cross_val_score(classifier, data, domain, cv=splitter, scoring="balanced_accuracy").mean()
    error = 1.0 - float(accuracy)
    return float(np.clip(2.0 * (1.0 - 2.0 * error), 0.0, 2.0))
