"""LogME: the log maximum evidence of a Bayesian linear model on the features (You et al., ICML 2021)."""

from __future__ import annotations

import numpy as np

from mitigate.transferability._checks import check_features, check_labels

__all__ = ["logme"]


def _logme_per_class(
    features: np.ndarray, coded: np.ndarray, n_classes: int, *, max_iter: int, tol: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-class (evidence / N, alpha, beta) of LogME's fixed-point iteration, all classes at once."""
    n, d = features.shape
    targets = np.zeros((n, n_classes))
    targets[np.arange(n), coded] = 1.0
    # One decomposition serves every class: F = U S V^T, the eigenvalues of F^T F are sigma = S^2, and the
    # targets are needed only through z = U^T y.
    if n > d:
        # The authors' "truncated SVD": eigh of the D x D Gram matrix, several times faster than an SVD of F.
        sigma, v = np.linalg.eigh(features.T @ features)
        keep = sigma > sigma.max(initial=0.0) * d * np.finfo(np.float64).eps
        sigma, v = sigma[keep], v[:, keep]
        z = (v.T @ (features.T @ targets)) / np.sqrt(sigma)[:, None]  # = U^T y with U = F V S^-1
    else:
        u, s, _ = np.linalg.svd(features, full_matrices=False)
        sigma = s**2  # (k,), k = min(N, D); the other D - k eigenvalues are 0
        z = u.T @ targets  # (k, C): targets in the left singular basis
    z2 = z**2
    residual_outside = (targets**2).sum(axis=0) - z2.sum(axis=0)  # part of y orthogonal to range(F)
    residual_outside = np.maximum(residual_outside, 0.0)

    alpha = np.ones(n_classes)
    beta = np.ones(n_classes)
    active = np.ones(n_classes, dtype=bool)

    def moments(alpha: np.ndarray, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        lam = (alpha / beta)[None, :]
        gamma = (sigma[:, None] / (sigma[:, None] + lam)).sum(axis=0)
        m2 = (sigma[:, None] * z2 / (sigma[:, None] + lam) ** 2).sum(axis=0)  # ||m||^2
        res2 = (z2 * (lam / (sigma[:, None] + lam)) ** 2).sum(axis=0) + residual_outside  # ||y - F m||^2
        return gamma, m2, res2

    for _ in range(max_iter):
        gamma, m2, res2 = moments(alpha, beta)
        lam_old = alpha / beta
        new_alpha = gamma / np.maximum(m2, 1e-12)
        new_beta = (n - gamma) / np.maximum(res2, 1e-12)
        alpha = np.where(active, new_alpha, alpha)
        beta = np.where(active, new_beta, beta)
        active &= np.abs(alpha / beta - lam_old) / lam_old > tol
        if not active.any():
            break
    # The evidence is evaluated with m at the final (alpha, beta), so it is exactly log p(y | F, alpha, beta).
    _, m2, res2 = moments(alpha, beta)
    log_det = np.log(alpha[None, :] + beta[None, :] * sigma[:, None]).sum(axis=0) + (d - sigma.size) * np.log(alpha)
    evidence = (
        d / 2.0 * np.log(alpha)
        + n / 2.0 * np.log(beta)
        - 0.5 * log_det
        - beta / 2.0 * res2
        - alpha / 2.0 * m2
        - n / 2.0 * np.log(2.0 * np.pi)
    )
    return evidence / n, alpha, beta


def logme(*, features: np.ndarray, labels: np.ndarray, max_iter: int = 100, tol: float = 1e-3) -> float:
    """LogME score of ``features`` (N, D) for integer ``labels`` (N,); higher means more transferable.

    For each class c, a Bayesian linear regression y_c = F w + noise, with prior w ~ N(0, alpha^-1 I) and noise
    N(0, beta^-1), has its evidence p(y_c | F, alpha, beta) maximised over (alpha, beta) by MacKay's fixed point
    (gamma = sum_i s_i / (s_i + alpha/beta); alpha = gamma / ||m||^2; beta = (N - gamma) / ||y - F m||^2),
    using one SVD of F for every class. The score is the mean over classes of log-evidence / N
    (You, Liu, Wang, Long, "LogME: Practical Assessment of Pre-trained Models for Transfer Learning", ICML 2021).
    The iteration stops when alpha/beta changes by less than ``tol`` (relative) or after ``max_iter`` rounds.

    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 20)
    >>> good = np.c_[y + 0.1 * rng.normal(size=40), rng.normal(size=40)]
    >>> bad = rng.normal(size=(40, 2))
    >>> logme(features=good, labels=y) > logme(features=bad, labels=y)
    True
    """
    if max_iter < 1:
        raise ValueError(f"Expected argument `max_iter` to be a positive integer, but got {max_iter}.")
    if not tol > 0:
        raise ValueError(f"Expected argument `tol` to be > 0, but got {tol}.")
    feats = check_features(features)
    coded, n_classes = check_labels(labels, n=feats.shape[0])
    evidence, _, _ = _logme_per_class(feats, coded, n_classes, max_iter=max_iter, tol=tol)
    return float(evidence.mean())
