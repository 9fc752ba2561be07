"""The numbers a tuning trial is judged by: PT / NT / gain against cached scratch predictions, churn and excess NT.

A compact, vectorised twin of the evaluator's core (``mitigate.evaluation``), kept here so that a trial only pays for
what the objective needs. Definitions follow ``docs/tuning.md``:

- PT, NT, gain of one transfer run are averaged over the scratch seeds (gain = acc(transfer) − acc(scratch));
- churn = NT of one scratch seed measured against another, averaged over ordered pairs (needs >= 2 scratch seeds);
- excess NT, leave-one-seed-out: for each scratch seed ``s``, the consensus set is the items right under every *other*
  scratch seed; matched churn is the share of items in it that ``s`` gets wrong, consensus NT the share that the
  transferred model gets wrong; excess NT is the mean over ``s`` of (consensus NT − matched churn).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["flatten_labels", "transfer_metrics"]


def flatten_labels(labels: Sequence[Any], *, name: str = "labels") -> np.ndarray:
    """Flatten one label per item, or a list of sentences of labels, into a 1-D array of strings.

    >>> flatten_labels([["N", "V"], ["D"]]).tolist()
    ['N', 'V', 'D']
    >>> flatten_labels([1, 0, 1]).tolist()
    ['1', '0', '1']
    """
    if isinstance(labels, (str, bytes)) or not isinstance(labels, Sequence):
        raise TypeError(f"Expected argument `{name}` to be a sequence of labels or of sentences, but got {type(labels).__name__}.")
    if len(labels) == 0:
        raise ValueError(f"Expected argument `{name}` to hold at least one item, but got an empty sequence.")
    if isinstance(labels[0], (list, tuple)):
        flat = [str(label) for sentence in labels for label in sentence]
    else:
        flat = [str(label) for label in labels]
    return np.asarray(flat, dtype=object)


def _check_same_length(gold: np.ndarray, other: np.ndarray, name: str) -> None:
    if other.shape != gold.shape:
        raise ValueError(f"Expected argument `{name}` to have {gold.shape[0]} labels like `gold`, but got {other.shape[0]}.")


def transfer_metrics(*, gold: Sequence[Any], scratch: Sequence[Sequence[Any]], transfer: Sequence[Any]) -> dict[str, float]:
    """PT, NT, gain, accuracies, churn and excess NT of one transfer run against one or more scratch seeds.

    ``churn`` and ``excess_nt`` are NaN with a single scratch seed.

    >>> m = transfer_metrics(gold=list("aaaa"), scratch=[list("aabb")], transfer=list("abab"))
    >>> m["pt"], m["nt"], m["gain"]
    (0.25, 0.25, 0.0)
    """
    gold_arr = flatten_labels(gold, name="gold")
    if isinstance(scratch, (str, bytes)) or not isinstance(scratch, Sequence) or len(scratch) == 0:
        raise ValueError("Expected argument `scratch` to be a non-empty list of per-seed predictions, but got none.")
    scratch_arrs = [flatten_labels(s, name="scratch") for s in scratch]
    transfer_arr = flatten_labels(transfer, name="transfer")
    for arr in scratch_arrs:
        _check_same_length(gold_arr, arr, "scratch")
    _check_same_length(gold_arr, transfer_arr, "transfer")

    right_s = np.stack([arr == gold_arr for arr in scratch_arrs]).astype(bool)  # (seeds, items)
    right_t = transfer_arr == gold_arr
    n = right_s.shape[1]
    # From integer counts, so that two runs with the same counts get bit-identical values (a gain computed as the
    # float difference pt - nt can differ in its last bit and split one Pareto point into two).
    pt_counts = (~right_s & right_t).sum(axis=1)
    nt_counts = (right_s & ~right_t).sum(axis=1)
    out = {"pt": float(pt_counts.mean() / n), "nt": float(nt_counts.mean() / n),
           "gain": float((pt_counts - nt_counts).mean() / n), "acc_scratch": float(right_s.mean()),
           "acc_transfer": float(right_t.mean()), "churn": float("nan"), "excess_nt": float("nan"), "n_items": float(n)}
    k = right_s.shape[0]
    if k >= 2:
        # churn over ordered pairs (a, b): right under a, wrong under b
        counts = right_s.astype(np.int64) @ (~right_s).astype(np.int64).T
        out["churn"] = float(counts[~np.eye(k, dtype=bool)].mean() / n)
        excess = []
        for left_out in range(k):
            others = np.delete(right_s, left_out, axis=0).all(axis=0)
            matched_churn = np.mean(others & ~right_s[left_out])
            consensus_nt = np.mean(others & ~right_t)
            excess.append(consensus_nt - matched_churn)
        out["excess_nt"] = float(np.mean(excess))
    return out
