"""NCE: negative conditional entropy of target labels given source predictions (Tran, Nguyen, Hassner, ICCV 2019)."""

from __future__ import annotations

import numpy as np

from mitigate.transferability._checks import check_labels, check_probabilities

__all__ = ["nce"]


def nce(*, source_predictions: np.ndarray, labels: np.ndarray) -> float:
    """NCE = -H(Y | Z) of target ``labels`` given the source model's hard predictions (<= 0; higher is better).

    ``source_predictions`` is either the (N,) predicted source labels or the (N, Z) source probabilities (their
    argmax is used). With P the empirical joint distribution of (Y, Z) over the N items,
    NCE = sum_{y, z} P(y, z) log P(y | z).

    >>> nce(source_predictions=np.array([0, 0, 1, 1]), labels=np.array([5, 5, 7, 7]))
    0.0
    >>> round(nce(source_predictions=np.array([0, 0, 0, 0]), labels=np.array([0, 1, 0, 1])), 4)
    -0.6931
    """
    preds = source_predictions
    if isinstance(preds, np.ndarray) and preds.ndim == 2:
        preds = check_probabilities(preds, name="source_predictions").argmax(axis=1)
    if not isinstance(preds, np.ndarray) or preds.ndim != 1 or not np.issubdtype(preds.dtype, np.integer):
        got = f"shape {preds.shape} dtype {preds.dtype}" if isinstance(preds, np.ndarray) else type(preds).__name__
        raise TypeError(
            "Expected argument `source_predictions` to be an integer array (N,) or probabilities (N, Z), "
            f"but got {got}."
        )
    coded, _ = check_labels(labels, n=preds.shape[0])
    _, z = np.unique(preds, return_inverse=True)
    n = coded.size
    joint = np.zeros((int(coded.max()) + 1, int(z.max()) + 1))
    np.add.at(joint, (coded, z), 1.0 / n)
    marginal = joint.sum(axis=0, keepdims=True)
    conditional = np.divide(joint, marginal, out=np.ones_like(joint), where=joint > 0)
    return float((joint * np.log(conditional)).sum())
