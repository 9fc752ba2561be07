"""The evaluator's two faces: the pure function :func:`transfer_report` and the streaming
:class:`TransferEvaluator`. Both run the same ``update_state`` and ``compute_report`` helpers."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from mitigate.evaluation._compute import compute_report
from mitigate.evaluation._options import Options, check_options
from mitigate.evaluation._result import TransferReport
from mitigate.evaluation._slices import TokenPredicate
from mitigate.evaluation._state import EvalState, update_state

__all__ = ["transfer_report", "TransferEvaluator"]


class TransferEvaluator:
    """Streaming transfer evaluator: ``update()`` per batch, ``compute()`` at the end, ``reset()`` to reuse.

    Options are those of :func:`transfer_report`. Every ``update`` must carry the same number of seeds on each side
    and the same input form (flat labels or sentences); ``compute`` gives exactly what one call on all the data gives.

    >>> evaluator = TransferEvaluator(n_bootstrap=0)
    >>> evaluator.update(gold=[1, 1], scratch=[1, 0], transfer=[1, 1])
    >>> evaluator.update(gold=[0, 0], scratch=[0, 1], transfer=[0, 0])
    >>> report = evaluator.compute()
    >>> report.n, report.pt_count, report.nt_count
    (4, 2.0, 0.0)
    """

    def __init__(
        self,
        *,
        ignore_label: int | str | None = None,
        pairing: str = "auto",
        consensus: float = 1.0,
        n_bootstrap: int = 1000,
        confidence: float = 0.95,
        seed: int = 0,
        source_vocab: Collection[str] | None = None,
        slices: Mapping[str, TokenPredicate] | None = None,
        spans: bool | str = "auto",
        top_k: int = 10,
    ) -> None:
        self.options: Options = check_options(
            ignore_label=ignore_label,
            pairing=pairing,
            consensus=consensus,
            n_bootstrap=n_bootstrap,
            confidence=confidence,
            seed=seed,
            source_vocab=source_vocab,
            slices=slices,
            spans=spans,
            top_k=top_k,
        )
        self._state = EvalState()

    def update(
        self,
        *,
        gold: Any,
        scratch: Any = None,
        transfer: Any = None,
        scratch_seeds: Any = None,
        transfer_seeds: Any = None,
        tokens: Any = None,
        mask: Any = None,
    ) -> None:
        """Add one batch (see :func:`transfer_report` for the arguments); a rejected batch leaves the state as is."""
        update_state(
            self._state,
            gold=gold,
            scratch=scratch,
            scratch_seeds=scratch_seeds,
            transfer=transfer,
            transfer_seeds=transfer_seeds,
            tokens=tokens,
            mask=mask,
            ignore_label=self.options.ignore_label,
        )

    def compute(self) -> TransferReport:
        """The report over everything passed to ``update`` since construction or the last ``reset``."""
        return compute_report(self._state, self.options)

    def reset(self) -> None:
        """Forget every batch (options are kept)."""
        self._state = EvalState()


def transfer_report(
    *,
    gold: Any,
    scratch: Any = None,
    transfer: Any = None,
    scratch_seeds: Any = None,
    transfer_seeds: Any = None,
    tokens: Any = None,
    mask: Any = None,
    ignore_label: int | str | None = None,
    pairing: str = "auto",
    consensus: float = 1.0,
    n_bootstrap: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
    source_vocab: Collection[str] | None = None,
    slices: Mapping[str, TokenPredicate] | None = None,
    spans: bool | str = "auto",
    top_k: int = 10,
) -> TransferReport:
    """Compare a model trained from scratch with a transferred one on the same items: PT, NT, gain and more.

    Labels are ints or strings, given flat (one label per item) or as a list of sentences of labels.
    One seed per side goes in ``scratch=`` / ``transfer=``; several seeds go in ``scratch_seeds=`` /
    ``transfer_seeds=`` as a list with one entry per seed (never both forms for one side).

    Args:
        gold: gold labels, flat or as sentences.
        scratch, transfer: predictions of one seed, in the same form and lengths as ``gold``.
        scratch_seeds, transfer_seeds: a list of per-seed predictions (>= 2 scratch seeds enable the churn floor,
            consensus NT, matched churn and excess NT).
        tokens: token strings in the same form (enables slices, examples and reliably falsified tokens).
        mask: booleans in the same form; ``False`` items are left out. ``ignore_label``: gold label to leave out.
        pairing: ``"paired"`` compares scratch seed i with transfer seed i (needs equal counts), ``"all"`` every
            combination, ``"auto"`` paired when the counts match, else all.
        consensus: share of scratch seeds that must agree for consensus NT / PT (1.0 = all).
        n_bootstrap: paired bootstrap resamples (whole sentences for sentence input); 0 skips CIs and tests.
        confidence: level of the two-sided intervals; ``1 - confidence`` is the test level in the verdict.
        seed: seed of the bootstrap generator (same seed, same intervals).
        source_vocab: source-domain vocabulary for the ``oov`` slice. slices: extra ``{name: token -> bool}``.
        spans: span F1 and span PT / NT for BIO / IOB tags (``"auto"``: when the gold tags look like BIO).
        top_k: how many confusions and reliably falsified tokens to list.

    >>> report = transfer_report(
    ...     gold=[["B-PER", "I-PER", "O"], ["O", "B-LOC"]],
    ...     scratch=[["B-PER", "O", "O"], ["O", "B-LOC"]],
    ...     transfer=[["B-PER", "I-PER", "O"], ["O", "O"]],
    ...     n_bootstrap=0,
    ... )
    >>> report.pt_count, report.nt_count, report.spans.pt_count, report.spans.nt_count
    (1.0, 1.0, 1.0, 1.0)
    """
    evaluator = TransferEvaluator(
        ignore_label=ignore_label,
        pairing=pairing,
        consensus=consensus,
        n_bootstrap=n_bootstrap,
        confidence=confidence,
        seed=seed,
        source_vocab=source_vocab,
        slices=slices,
        spans=spans,
        top_k=top_k,
    )
    evaluator.update(
        gold=gold,
        scratch=scratch,
        transfer=transfer,
        scratch_seeds=scratch_seeds,
        transfer_seeds=transfer_seeds,
        tokens=tokens,
        mask=mask,
    )
    return evaluator.compute()
