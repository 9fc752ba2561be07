"""The fast path: PT / NT / gain / McNemar of one scratch-transfer pair, nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from mitigate.evaluation._result import _Serialisable
from mitigate.evaluation._state import EvalState, update_state
from mitigate.evaluation._stats import mcnemar_exact

__all__ = ["TransferCounts", "transfer_counts"]


@dataclass(frozen=True)
class TransferCounts(_Serialisable):
    """The 2 x 2 table of one pair: PT / NT / gain as counts and fractions, NTG and McNemar's exact p-value.

    >>> TransferCounts(n=4, scratch_correct=2, transfer_correct=3, pt_count=2, nt_count=1, gain_count=1,
    ...                pt=0.5, nt=0.25, gain=0.25, ntg=-0.25, mcnemar_p=1.0).gain_count
    1
    """

    n: int
    scratch_correct: int
    transfer_correct: int
    pt_count: int
    nt_count: int
    gain_count: int
    pt: float
    nt: float
    gain: float
    ntg: float
    mcnemar_p: float


def pair_counts(gold: np.ndarray, scratch: np.ndarray, transfer: np.ndarray) -> tuple[int, int, int]:
    """(scratch correct, transfer correct, NT count) in two comparisons and three counts."""
    scratch_right = np.equal(scratch, gold)
    transfer_right = np.equal(transfer, gold)
    scratch_correct = int(np.count_nonzero(scratch_right))
    falsified = np.greater(scratch_right, transfer_right, out=scratch_right)
    return scratch_correct, int(np.count_nonzero(transfer_right)), int(np.count_nonzero(falsified))


def transfer_counts(
    *, gold: Any, scratch: Any, transfer: Any, mask: Any = None, ignore_label: int | str | None = None
) -> TransferCounts:
    """PT, NT, gain and McNemar's p for one scratch seed against one transfer seed, as fast as numpy allows.

    Same inputs and checks as :func:`transfer_report` (one seed per side); use it inside training loops or on very
    large arrays when the full report is not needed.

    >>> counts = transfer_counts(gold=[1, 1, 0, 0], scratch=[1, 0, 0, 1], transfer=[1, 1, 0, 1])
    >>> counts.pt_count, counts.nt_count, counts.gain
    (1, 0, 0.25)
    """
    state = EvalState()
    update_state(
        state,
        gold=gold,
        scratch=scratch,
        scratch_seeds=None,
        transfer=transfer,
        transfer_seeds=None,
        tokens=None,
        mask=mask,
        ignore_label=ignore_label,
    )
    gold_codes, scratch_codes, transfer_codes = state.gold[0], state.scratch[0][0], state.transfer[0][0]
    n_items = int(gold_codes.size)
    if n_items == 0:
        raise ValueError("Expected at least one item to evaluate after `mask` / `ignore_label`, but got 0.")
    scratch_correct, transfer_correct, nt_count = pair_counts(gold_codes, scratch_codes, transfer_codes)
    gain_count = transfer_correct - scratch_correct
    pt_count = nt_count + gain_count
    scratch_accuracy, transfer_accuracy = scratch_correct / n_items, transfer_correct / n_items
    return TransferCounts(
        n=n_items,
        scratch_correct=scratch_correct,
        transfer_correct=transfer_correct,
        pt_count=pt_count,
        nt_count=nt_count,
        gain_count=gain_count,
        pt=pt_count / n_items,
        nt=nt_count / n_items,
        gain=transfer_accuracy - scratch_accuracy,
        ntg=(1.0 - transfer_accuracy) - (1.0 - scratch_accuracy),
        mcnemar_p=mcnemar_exact(pt_count, nt_count),
    )
