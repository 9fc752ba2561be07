"""LEEP: log expected empirical prediction (Nguyen, Hassner, Seeger, Archambeau, ICML 2020)."""

from __future__ import annotations

import numpy as np

from mitigate.transferability._checks import check_labels, check_probabilities

__all__ = ["leep"]


def leep(*, source_probs: np.ndarray, labels: np.ndarray) -> float:
    """LEEP score of the source head's probabilities ``source_probs`` (N, Z) for target ``labels`` (N,).

    With theta_i the source distribution over source labels z for item i, the empirical joint is
    P(y, z) = (1/N) sum_{i: y_i = y} theta_iz, the conditional P(y | z) = P(y, z) / P(z), and
    LEEP = (1/N) sum_i log sum_z P(y_i | z) theta_iz (a log-likelihood, <= 0; higher is better).

    >>> probs = np.array([[0.9, 0.1], [0.8, 0.2], [0.1, 0.9], [0.2, 0.8]])
    >>> round(leep(source_probs=probs, labels=np.array([0, 0, 1, 1])), 4)
    -0.2955
    """
    theta = check_probabilities(source_probs, name="source_probs")
    coded, n_classes = check_labels(labels, n=theta.shape[0])
    n = theta.shape[0]
    onehot = np.zeros((n, n_classes))
    onehot[np.arange(n), coded] = 1.0
    joint = onehot.T @ theta / n  # (C, Z)
    marginal = joint.sum(axis=0, keepdims=True)
    conditional = np.divide(joint, marginal, out=np.zeros_like(joint), where=marginal > 0)
    expected = (theta * conditional[coded]).sum(axis=1)  # sum_z P(y_i | z) theta_iz
    return float(np.log(np.maximum(expected, np.finfo(np.float64).tiny)).mean())
