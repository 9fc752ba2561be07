"""Typed, frozen results of the transfer evaluator, with ``to_dict()`` / ``to_json()`` / ``to_markdown()``."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Interval",
    "PairResult",
    "ClassResult",
    "Confusion",
    "SliceResult",
    "SpanResult",
    "TokenCount",
    "SeedNoiseResult",
    "TransferReport",
]

Label = int | str


class _Serialisable:
    """``to_dict`` / ``to_json`` shared by every result type."""

    def to_dict(self) -> dict[str, Any]:
        """A plain ``dict`` of built-in types (nested results become dicts, tuples become lists)."""
        return _plain(dataclasses.asdict(self))  # type: ignore[call-overload]

    def to_json(self, *, indent: int | None = 2) -> str:
        """The result as a JSON string (``NaN`` never appears: undefined values are ``null``)."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        return value.item()
    return value


@dataclass(frozen=True)
class Interval(_Serialisable):
    """A two-sided bootstrap confidence interval.

    >>> Interval(low=0.01, high=0.03, level=0.95).to_dict()
    {'low': 0.01, 'high': 0.03, 'level': 0.95}
    """

    low: float
    high: float
    level: float


@dataclass(frozen=True)
class PairResult(_Serialisable):
    """PT / NT / gain of one (scratch seed, transfer seed) pair, with exact counts and McNemar's exact p-value.

    >>> PairResult(scratch_seed=0, transfer_seed=0, n=4, scratch_accuracy=0.5, transfer_accuracy=0.75,
    ...            pt_count=2, nt_count=1, pt=0.5, nt=0.25, gain=0.25, ntg=-0.25, mcnemar_p=1.0).gain
    0.25
    """

    scratch_seed: int
    transfer_seed: int
    n: int
    scratch_accuracy: float
    transfer_accuracy: float
    pt_count: int
    nt_count: int
    pt: float
    nt: float
    gain: float
    ntg: float
    mcnemar_p: float


@dataclass(frozen=True)
class ClassResult(_Serialisable):
    """PT / NT restricted to items of one gold class (counts are means over seed pairs).

    >>> ClassResult(label="NN", support=10, pt_count=1.0, nt_count=0.0, pt=0.1, nt=0.0).pt
    0.1
    """

    label: Label
    support: int
    pt_count: float
    nt_count: float
    pt: float
    nt: float


@dataclass(frozen=True)
class Confusion(_Serialisable):
    """A falsified confusion: gold label → transfer prediction on items scratch got right.

    ``count`` is summed over all seed pairs; ``examples`` are the most frequent tokens (when tokens were given).

    >>> Confusion(gold="NN", predicted="NNP", count=3, examples=("Apple",)).predicted
    'NNP'
    """

    gold: Label
    predicted: Label
    count: int
    examples: tuple[str, ...]


@dataclass(frozen=True)
class SliceResult(_Serialisable):
    """PT / NT on the items of one slice (e.g. capitalised tokens); fractions are relative to the slice size.

    >>> SliceResult(name="hashtag", n=2, scratch_accuracy=0.5, transfer_accuracy=1.0, pt=0.5, nt=0.0, gain=0.5,
    ...             reliably_falsified=None).gain
    0.5
    """

    name: str
    n: int
    scratch_accuracy: float
    transfer_accuracy: float
    pt: float
    nt: float
    gain: float
    reliably_falsified: int | None


@dataclass(frozen=True)
class SpanResult(_Serialisable):
    """Span-level (BIO / IOB) F1 and span PT / NT: gold spans found exactly by one model and not the other.

    >>> SpanResult(n_gold_spans=2, scratch_f1=0.5, transfer_f1=1.0, scratch_f1_std=None, transfer_f1_std=None,
    ...            pt_count=1.0, nt_count=0.0, pt=0.5, nt=0.0).transfer_f1
    1.0
    """

    n_gold_spans: int
    scratch_f1: float
    transfer_f1: float
    scratch_f1_std: float | None
    transfer_f1_std: float | None
    pt_count: float
    nt_count: float
    pt: float
    nt: float


@dataclass(frozen=True)
class TokenCount(_Serialisable):
    """A token with how often it was (reliably) falsified and its gold → transfer labels.

    >>> TokenCount(token="im", count=3, gold="PRP", predicted="NN").count
    3
    """

    token: str
    count: int
    gold: Label
    predicted: Label


@dataclass(frozen=True)
class SeedNoiseResult(_Serialisable):
    """Negative transfer read against seed noise (needs >= 2 scratch seeds).

    - ``consensus_nt``: items right under at least ``consensus`` of all scratch seeds and wrong after transfer
      (mean over transfer seeds); ``consensus_pt`` the mirror.
    - ``matched_nt`` / ``matched_churn_nt``: the same statistic with one scratch seed left out of the consensus,
      compared once with the transferred model and once with the left-out scratch seed (averaged over which seed is
      left out), so both use the same number of seeds and are comparable by construction.
    - ``excess_nt = matched_nt - matched_churn_nt``: negative transfer beyond seed noise, with a bootstrap CI over
      sentences and seeds and the one-sided bootstrap p-value of ``excess_nt <= 0``.
    - reliably falsified items: right under every scratch seed and wrong under every transfer seed.

    >>> r = SeedNoiseResult(n_scratch_seeds=3, n_transfer_seeds=3, consensus=1.0, consensus_nt=0.01,
    ...     consensus_pt=0.04, matched_nt=0.012, matched_pt=0.05, matched_churn_nt=0.008, matched_churn_pt=0.02,
    ...     excess_nt=0.004, excess_pt=0.03, excess_nt_ci=None, excess_pt_ci=None, excess_nt_p=None,
    ...     excess_pt_p=None, reliably_falsified_count=5, reliably_falsified=0.005, reliably_corrected_count=30,
    ...     reliably_corrected=0.03, top_reliably_falsified=(), reliably_falsified_by_slice={}, verdict="")
    >>> round(r.excess_nt, 3)
    0.004
    """

    n_scratch_seeds: int
    n_transfer_seeds: int
    consensus: float
    consensus_nt: float
    consensus_pt: float
    matched_nt: float
    matched_pt: float
    matched_churn_nt: float
    matched_churn_pt: float
    excess_nt: float
    excess_pt: float
    excess_nt_ci: Interval | None
    excess_pt_ci: Interval | None
    excess_nt_p: float | None
    excess_pt_p: float | None
    reliably_falsified_count: int
    reliably_falsified: float
    reliably_corrected_count: int
    reliably_corrected: float
    top_reliably_falsified: tuple[TokenCount, ...]
    reliably_falsified_by_slice: dict[str, int]
    verdict: str


@dataclass(frozen=True)
class TransferReport(_Serialisable):
    """Everything the evaluator measures for one scratch-vs-transfer comparison.

    Headline values (``pt``, ``nt``, ``gain``, accuracies, counts) are means over the seed pairs in ``pairs``;
    ``*_std`` are standard deviations across pairs (``None`` with a single pair). ``mcnemar_p`` is the largest
    (least significant) p-value over the pairs. Build it with :func:`transfer_report` or :class:`TransferEvaluator`.

    >>> from mitigate.evaluation import transfer_report
    >>> report = transfer_report(gold=[1, 1, 0, 0], scratch=[1, 0, 0, 1], transfer=[1, 1, 0, 0], n_bootstrap=0)
    >>> report.pt, report.nt, report.gain
    (0.5, 0.0, 0.5)
    """

    n: int
    n_sentences: int | None
    n_scratch_seeds: int
    n_transfer_seeds: int
    pairing: str
    scratch_accuracy: float
    transfer_accuracy: float
    scratch_accuracy_std: float | None
    transfer_accuracy_std: float | None
    pt_count: float
    nt_count: float
    gain_count: float
    pt: float
    nt: float
    gain: float
    ntg: float
    pt_std: float | None
    nt_std: float | None
    gain_std: float | None
    mcnemar_p: float
    pt_ci: Interval | None
    nt_ci: Interval | None
    gain_ci: Interval | None
    n_bootstrap: int
    bootstrap_unit: str
    pairs: tuple[PairResult, ...]
    churn_floor: float | None
    churn_floor_std: float | None
    per_class: tuple[ClassResult, ...]
    top_confusions: tuple[Confusion, ...]
    slices: tuple[SliceResult, ...]
    spans: SpanResult | None
    seed_noise: SeedNoiseResult | None
    notes: tuple[str, ...]

    def to_markdown(self) -> str:
        """A markdown rendering: headline table, seed noise verdict, per-class, confusions, slices, spans."""
        from mitigate.evaluation._markdown import render_markdown

        return render_markdown(self)
