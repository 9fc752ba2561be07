"""H-score (Bao et al., ICIP 2019), with the shrinkage estimator of Ibrahim, Ponomareva, Mazumder (2022)."""

from __future__ import annotations

from typing import Literal

import numpy as np

from mitigate.transferability._checks import check_features, check_labels

__all__ = ["h_score"]


def _ledoit_wolf_amount(feats: np.ndarray) -> float:
    """The Ledoit-Wolf (2004) shrinkage coefficient toward a scaled identity (scikit-learn's formula, O(N D^2))."""
    n, d = feats.shape
    x = feats - feats.mean(axis=0, keepdims=True)
    var = (x**2).sum(axis=0) / n  # diagonal of the empirical covariance
    mu = var.sum() / d
    beta_ = float(((x**2).sum(axis=1) ** 2).sum())  # sum of (x^2)^T (x^2), via row norms
    delta_ = float(((x.T @ x) ** 2).sum()) / n**2
    beta = (beta_ / n - delta_) / (d * n)
    delta = (delta_ - 2.0 * mu * var.sum() + d * mu**2) / d
    beta = min(beta, delta)
    return 0.0 if beta == 0 else float(beta / delta)


def h_score(
    *, features: np.ndarray, labels: np.ndarray, shrinkage: float | Literal["ledoit-wolf"] | None = None
) -> float:
    """H-score tr(cov(f)^-1 cov(E[f | y])) of ``features`` (N, D) for ``labels`` (N,); higher is better.

    cov(f) is the feature covariance and cov(E[f | y]) the covariance of the features after replacing each row by
    its class mean (both with 1/(N-1)). ``shrinkage=None`` is the original score (Bao, Li, Huang, Liu, Li,
    "An Information-Theoretic Approach to Transferability in Task Transfer Learning", ICIP 2019), with a
    pseudo-inverse. A number a in [0, 1] or ``"ledoit-wolf"`` (a chosen by the Ledoit-Wolf formula) gives the
    shrunk score of Ibrahim et al. ("Newer is not always better: Rethinking transferability metrics, their
    peculiarities, stability and performance", ECML-PKDD 2022):
    tr(((1 - a) cov(f) + a (tr cov(f) / D) I)^-1 (1 - a) cov(E[f | y])), stable when D is large against N.

    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 50)
    >>> good = np.c_[2.0 * y + rng.normal(size=100), rng.normal(size=100)]
    >>> h_score(features=good, labels=y) > h_score(features=rng.normal(size=(100, 2)), labels=y)
    True
    """
    feats = check_features(features)
    coded, n_classes = check_labels(labels, n=feats.shape[0])
    n, d = feats.shape
    if n < 2:
        raise ValueError(f"Expected argument `features` to have at least 2 rows, but got {n}.")
    centred = feats - feats.mean(axis=0, keepdims=True)
    cov_f = centred.T @ centred / (n - 1)
    counts = np.bincount(coded, minlength=n_classes).astype(np.float64)
    means = np.zeros((n_classes, d))
    np.add.at(means, coded, centred)
    means /= counts[:, None]
    # cov of the class-mean features: sum_c n_c mu_c mu_c^T / (N - 1), with mu_c already centred.
    cov_g = (means * counts[:, None]).T @ means / (n - 1)
    if shrinkage is None:
        return float(np.trace(np.linalg.pinv(cov_f, rcond=1e-15) @ cov_g))
    if isinstance(shrinkage, str):
        if shrinkage != "ledoit-wolf":
            raise ValueError(f"Expected argument `shrinkage` to be None, a float in [0, 1] or 'ledoit-wolf', but got {shrinkage!r}.")
        amount = _ledoit_wolf_amount(feats)
    elif isinstance(shrinkage, (int, float)) and not isinstance(shrinkage, bool) and 0.0 <= shrinkage <= 1.0:
        amount = float(shrinkage)
    else:
        raise ValueError(f"Expected argument `shrinkage` to be None, a float in [0, 1] or 'ledoit-wolf', but got {shrinkage!r}.")
    target = np.trace(cov_f) / d * np.eye(d)
    shrunk = (1.0 - amount) * cov_f + amount * target
    return float(np.trace(np.linalg.pinv(shrunk, rcond=1e-15) @ ((1.0 - amount) * cov_g)))
