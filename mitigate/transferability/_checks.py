"""Argument checks shared by every transferability proxy."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["check_features", "check_labels", "check_probabilities"]


def check_features(features: Any, *, name: str = "features") -> np.ndarray:
    """Return ``features`` as a finite float64 array of shape (N, D), or raise with the argument's name."""
    if not isinstance(features, np.ndarray):
        raise TypeError(f"Expected argument `{name}` to be a numpy array of shape (N, D), but got {type(features).__name__}.")
    if features.ndim != 2:
        raise ValueError(f"Expected argument `{name}` to have 2 dimensions (N, D), but got shape {features.shape}.")
    if not np.issubdtype(features.dtype, np.number) or np.issubdtype(features.dtype, np.complexfloating):
        raise TypeError(f"Expected argument `{name}` to hold real numbers, but got dtype {features.dtype}.")
    out = features.astype(np.float64, copy=False)
    if not np.isfinite(out).all():
        raise ValueError(f"Expected argument `{name}` to be finite, but it holds {int((~np.isfinite(out)).sum())} NaN/inf values.")
    return out


def check_labels(labels: Any, *, n: int, name: str = "labels") -> tuple[np.ndarray, int]:
    """Return ``labels`` re-coded as 0..C-1 and the number C of classes; C must be at least 2."""
    if not isinstance(labels, np.ndarray):
        raise TypeError(f"Expected argument `{name}` to be a numpy array of shape (N,), but got {type(labels).__name__}.")
    if labels.ndim != 1:
        raise ValueError(f"Expected argument `{name}` to have shape (N,), but got shape {labels.shape}.")
    if not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(f"Expected argument `{name}` to hold integers, but got dtype {labels.dtype}.")
    if labels.shape[0] != n:
        raise ValueError(f"Expected argument `{name}` to have {n} items (one per row of the features), but got {labels.shape[0]}.")
    classes, coded = np.unique(labels, return_inverse=True)
    if classes.size < 2:
        raise ValueError(
            f"Expected argument `{name}` to hold at least 2 classes, but got {classes.size}: "
            "transferability proxies are undefined for a single class."
        )
    return coded.astype(np.int64), int(classes.size)


def check_probabilities(probs: Any, *, name: str, atol: float = 1e-4) -> np.ndarray:
    """Return ``probs`` as float64 (N, Z) rows of a probability distribution, or raise."""
    out = check_features(probs, name=name)
    if (out < 0).any():
        raise ValueError(f"Expected argument `{name}` to hold probabilities (>= 0), but got a minimum of {out.min():.6g}.")
    sums = out.sum(axis=1)
    worst = int(np.argmax(np.abs(sums - 1.0))) if sums.size else 0
    if sums.size and abs(sums[worst] - 1.0) > atol:
        raise ValueError(
            f"Expected argument `{name}` to have rows summing to 1 (apply a softmax to logits), "
            f"but row {worst} sums to {sums[worst]:.6g}."
        )
    return out
