"""TransRate: coding-rate transferability (Huang, Huang, Rong, Yang, Wei, ICML 2022)."""

from __future__ import annotations

import numpy as np

from mitigate.transferability._checks import check_features, check_labels

__all__ = ["transrate"]


def _coding_rate(z: np.ndarray, eps: float) -> float:
    n, d = z.shape
    _, logdet = np.linalg.slogdet(np.eye(d) + z.T @ z / (n * eps))
    return 0.5 * float(logdet)


def transrate(*, features: np.ndarray, labels: np.ndarray, eps: float = 1e-4) -> float:
    """TransRate R(Z, eps) - R(Z, eps | Y) of ``features`` (N, D) for ``labels`` (N,); higher is better.

    After centring the features, R(Z, eps) = 1/2 logdet(I + Z^T Z / (N eps)) is the coding rate of all features
    and R(Z, eps | Y) = (1/C) sum_y R(Z_y, eps) the mean coding rate of each class's features, as in the
    authors' reference code (Huang et al., "Frustratingly Easy Transferability Estimation", ICML 2022,
    appendix). Class subsets are not re-centred, as in the coding-rate reduction of Ma et al. (2007) the
    paper builds on: the score rewards classes that occupy different directions (subspaces) and each one
    compact. It is not scale-free: compare features of the same dimension and scale.

    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 50)
    >>> noise = rng.normal(size=(100, 2))
    >>> good = noise * np.c_[y == 0, y == 1] + 0.01 * noise[:, ::-1]  # class 0 along axis 0, class 1 along axis 1
    >>> transrate(features=good, labels=y) > transrate(features=noise, labels=y)
    True
    """
    if not (isinstance(eps, (int, float)) and not isinstance(eps, bool) and eps > 0):
        raise ValueError(f"Expected argument `eps` to be a positive number, but got {eps!r}.")
    feats = check_features(features)
    coded, n_classes = check_labels(labels, n=feats.shape[0])
    centred = feats - feats.mean(axis=0, keepdims=True)
    whole = _coding_rate(centred, eps)
    order = np.argsort(coded, kind="stable")
    bounds = np.searchsorted(coded[order], np.arange(n_classes + 1))
    per_class = [_coding_rate(centred[order[lo:hi]], eps) for lo, hi in zip(bounds[:-1], bounds[1:])]
    return whole - float(np.mean(per_class))
