"""Dev-set scores for early stopping: token accuracy, and exact-match span F1 for BIO tagging (NER)."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["span_f1", "bio_spans"]


def bio_spans(tags: Sequence[str]) -> set[tuple[int, int, str]]:
    """``(start, end, type)`` spans of a BIO / IOB2 sequence, conlleval-style (an ``I-X`` that does not continue an
    ``X`` span opens one).

    >>> sorted(bio_spans(["B-PER", "I-PER", "O", "I-LOC", "B-LOC"]))
    [(0, 2, 'PER'), (3, 4, 'LOC'), (4, 5, 'LOC')]
    """
    spans, start, kind = set(), None, None
    for i, tag in enumerate([*tags, "O"]):
        prefix, _, label = tag.partition("-")
        continues = prefix == "I" and label == kind and start is not None
        if start is not None and not continues:
            spans.add((start, i, kind))
            start, kind = None, None
        if prefix in ("B", "I") and label and not continues:
            start, kind = i, label
    return spans


def span_f1(predicted: Sequence[Sequence[str]], gold: Sequence[Sequence[str]]) -> float:
    """Micro F1 of exactly matching spans over sentences (0.0 when neither side has a span).

    >>> span_f1([["B-PER", "O"], ["O"]], [["B-PER", "O"], ["B-LOC"]])
    0.6666666666666666
    """
    if len(predicted) != len(gold):
        raise ValueError(f"Expected as many predicted as gold sentences, but got {len(predicted)} and {len(gold)}.")
    found = correct = expected = 0
    for p, g in zip(predicted, gold):
        p_spans, g_spans = bio_spans(p), bio_spans(g)
        found, expected, correct = found + len(p_spans), expected + len(g_spans), correct + len(p_spans & g_spans)
    return 2 * correct / (found + expected) if found + expected else 0.0
