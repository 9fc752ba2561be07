"""IOB1 -> IOB2 conversion of span tags."""

from __future__ import annotations

from collections.abc import Sequence


def iob1_to_iob2(tags: Sequence[str]) -> tuple[str, ...]:
    """Convert one sentence's IOB1 tags to IOB2: every span starts with ``B-``.

    In IOB1 a span starts with ``I-`` unless it directly follows a span of the same type,
    so an ``I-X`` tag opens a span when the previous tag is ``O`` or of another type.

    >>> iob1_to_iob2(["I-PER", "I-PER", "O", "I-LOC", "B-LOC", "I-ORG"])
    ('B-PER', 'I-PER', 'O', 'B-LOC', 'B-LOC', 'B-ORG')
    """
    out: list[str] = []
    previous = "O"
    for tag in tags:
        if not isinstance(tag, str):
            raise TypeError(f"Expected argument `tags` to hold strings, but got {type(tag).__name__}.")
        if tag.startswith("I-"):
            kind = tag[2:]
            if previous == "O" or previous[2:] != kind:
                tag = "B-" + kind
        out.append(tag)
        previous = tag
    return tuple(out)
