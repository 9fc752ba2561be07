"""Shared by the pruning experiments: batches of tagged sentences in the form ``PruneBiasedUnits`` reads."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from mitigate.models import length_batches

TaggedPairs = Sequence[tuple[Sequence[str], Sequence[str]]]


def tagger_batches(data: TaggedPairs, *, batch_size: int = 16) -> Callable[[Any], list]:
    """``f(model) -> [((words, chars), tags), ...]`` encoded with ``model.vocab`` (length-grouped batches)."""

    def make(model: Any) -> list:
        out = []
        for index in length_batches([len(tokens) for tokens, _ in data], batch_size=batch_size):
            words, chars = model.vocab.encode_tokens([data[i][0] for i in index])
            out.append(((words, chars), model.vocab.encode_tags([data[i][1] for i in index])))
        return out

    return make
