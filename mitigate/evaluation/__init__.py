"""Transfer evaluation: PT / NT / gain of a transferred model against one trained from scratch.

Depends only on numpy and scipy, so predictions from any framework can be evaluated.
"""

from mitigate.evaluation._counts import TransferCounts, transfer_counts
from mitigate.evaluation._readers import LabelFile, read_label_file
from mitigate.evaluation._report import TransferEvaluator, transfer_report
from mitigate.evaluation._result import (
    ClassResult,
    Confusion,
    Interval,
    PairResult,
    SeedNoiseResult,
    SliceResult,
    SpanResult,
    TokenCount,
    TransferReport,
)
from mitigate.evaluation._slices import builtin_slices

__all__ = [
    "transfer_report",
    "transfer_counts",
    "TransferCounts",
    "TransferEvaluator",
    "TransferReport",
    "PairResult",
    "ClassResult",
    "Confusion",
    "SliceResult",
    "SpanResult",
    "SeedNoiseResult",
    "TokenCount",
    "Interval",
    "builtin_slices",
    "read_label_file",
    "LabelFile",
]
