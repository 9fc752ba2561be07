"""Proxies by name, and scoring several of them on one ``TargetFeatures``."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from mitigate.transferability._features import TargetFeatures
from mitigate.transferability._hscore import h_score
from mitigate.transferability._leep import leep
from mitigate.transferability._logme import logme
from mitigate.transferability._nce import nce
from mitigate.transferability._transrate import transrate

__all__ = ["PROXIES", "score_proxies"]


def _need_probs(name: str, data: TargetFeatures) -> None:
    if data.source_probs is None:
        raise ValueError(
            f"Proxy {name!r} needs the source head's probabilities: pass `head=` (the source classifier's module "
            "name) to extract_features."
        )


def _leep(data: TargetFeatures) -> float:
    _need_probs("leep", data)
    return leep(source_probs=data.source_probs, labels=data.labels)  # type: ignore[arg-type]


def _nce(data: TargetFeatures) -> float:
    _need_probs("nce", data)
    return nce(source_predictions=data.source_probs, labels=data.labels)  # type: ignore[arg-type]


#: Every proxy by name, as a function of ``TargetFeatures`` (higher is better for all of them).
PROXIES: dict[str, Callable[[TargetFeatures], float]] = {
    "logme": lambda data: logme(features=data.features, labels=data.labels),
    "leep": _leep,
    "nce": _nce,
    "h_score": lambda data: h_score(features=data.features, labels=data.labels, shrinkage="ledoit-wolf"),
    "transrate": lambda data: transrate(features=data.features, labels=data.labels),
}


def score_proxies(data: TargetFeatures, *, proxies: Sequence[str] = tuple(PROXIES)) -> dict[str, float]:
    """Each named proxy's score on ``data`` (``h_score`` uses Ledoit-Wolf shrinkage).

    >>> import numpy as np
    >>> y = np.array([0, 0, 1, 1])
    >>> data = TargetFeatures(features=np.c_[y, [0.1, -0.1, 0.2, 0.0]] + 0.0, labels=y)
    >>> sorted(score_proxies(data, proxies=["logme", "transrate"]))
    ['logme', 'transrate']
    """
    unknown = [name for name in proxies if name not in PROXIES]
    if unknown:
        raise ValueError(f"Expected argument `proxies` to hold names among {sorted(PROXIES)}, but got {unknown}.")
    return {name: PROXIES[name](data) for name in proxies}
