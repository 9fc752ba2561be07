"""Where the gate sends each item: mean gate weight per encoder, overall and per token slice."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from mitigate.gating._mixture import SCRATCH
from mitigate.gating._tagger import GatedTagger
from mitigate.models._tagger_loop import length_batches

__all__ = ["GateReport", "summarise_gate", "gate_report"]


@dataclass(frozen=True)
class GateReport:
    """Mean gate weight of each encoder (``names``, scratch included) over ``n_items`` items, overall and per
    slice (``slices``: slice name → (item count, mean weights; NaN for an empty slice)). ``note`` says when the
    gate only chose between one source and scratch.

    >>> r = summarise_gate(np.array([[0.9, 0.1], [0.5, 0.5]]), names=["wsj", "scratch"], tokens=["The", "lol"])
    >>> r.overall, r.slices["capitalised"]
    ({'wsj': 0.7, 'scratch': 0.3}, (1, {'wsj': 0.9, 'scratch': 0.1}))
    """

    names: list[str]
    n_items: int
    overall: dict[str, float]
    slices: dict[str, tuple[int, dict[str, float]]] = field(default_factory=dict)
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form (JSON)."""
        return {
            "names": self.names,
            "n_items": self.n_items,
            "overall": self.overall,
            "slices": {k: {"n": n, "weights": w} for k, (n, w) in self.slices.items()},
            "note": self.note,
        }

    def to_markdown(self) -> str:
        """A table: one row for all items and one per slice, one column per encoder."""
        header = "| items | n | " + " | ".join(self.names) + " |"
        lines = [header, "|" + "---|" * (len(self.names) + 2)]
        rows = [("all", self.n_items, self.overall), *((k, n, w) for k, (n, w) in self.slices.items())]
        for label, n, weights in rows:
            lines.append(f"| {label} | {n} | " + " | ".join(f"{weights[name]:.3f}" for name in self.names) + " |")
        if self.note:
            lines += ["", self.note]
        return "\n".join(lines)


def _mean(weights: np.ndarray, names: Sequence[str]) -> dict[str, float]:
    if weights.shape[0] == 0:
        return {name: float("nan") for name in names}
    return {name: round(float(v), 6) for name, v in zip(names, weights.mean(axis=0))}


def summarise_gate(
    weights: np.ndarray,
    *,
    names: Sequence[str],
    tokens: Sequence[str] | None = None,
    slices: Mapping[str, Callable[[str], bool]] | None = None,
) -> GateReport:
    """A ``GateReport`` from per-item gate weights ``(N, K+1)`` (columns in ``names`` order). With ``tokens`` (one
    per item), per-slice means use ``slices`` (name → predicate on a token), by default the evaluator's
    ``builtin_slices()`` (capitalised, all_caps, contraction, hashtag_mention_url, digits)."""
    weights = np.asarray(weights, dtype=np.float64)
    names = list(names)
    if weights.ndim != 2 or weights.shape[1] != len(names):
        raise ValueError(
            f"Expected argument `weights` to have shape (N, {len(names)}) (one column per name), but got {weights.shape}."
        )
    per_slice: dict[str, tuple[int, dict[str, float]]] = {}
    if tokens is not None:
        if len(tokens) != weights.shape[0]:
            raise ValueError(
                f"Expected argument `tokens` to hold one token per row of `weights` ({weights.shape[0]}), but got {len(tokens)}."
            )
        if slices is None:
            from mitigate.evaluation import builtin_slices

            slices = builtin_slices()
        uniques, inverse = np.unique(np.asarray(list(tokens), dtype=object).astype(str), return_inverse=True)
        for name, predicate in slices.items():
            on_unique = np.fromiter((bool(predicate(t)) for t in uniques.tolist()), dtype=bool, count=len(uniques))
            mask = on_unique[inverse.reshape(-1)]
            per_slice[name] = (int(mask.sum()), _mean(weights[mask], names))
    sources = [n for n in names if n != SCRATCH]
    note = (
        f"Only one source ({sources[0]!r}): the gate only chose between it and {SCRATCH!r}."
        if len(sources) == 1 and SCRATCH in names
        else None
    )
    return GateReport(names=names, n_items=int(weights.shape[0]), overall=_mean(weights, names), slices=per_slice, note=note)


def gate_report(
    model: GatedTagger,
    tokens: Sequence[Sequence[str]],
    *,
    slices: Mapping[str, Callable[[str], bool]] | None = None,
    batch_size: int = 64,
) -> GateReport:
    """Run ``model`` (eval mode, no gradients, mode restored) over sentences ``tokens`` and summarise the gate's
    per-token weights overall and per slice (see ``summarise_gate``)."""
    if not isinstance(model, GatedTagger):
        raise TypeError(f"Expected argument `model` to be a GatedTagger, but got {type(model).__name__}.")
    was_training = model.training
    model.eval()
    per_sentence: list[np.ndarray | None] = [None] * len(tokens)
    device = model.mixture.gate.weight.device
    try:
        with torch.no_grad():
            for index in length_batches([len(t) for t in tokens], batch_size=batch_size):
                words, chars = model.vocab.encode_tokens([tokens[i] for i in index])
                model.features(words.to(device), chars.to(device))
                weights = model.mixture.last_weights.double().cpu().numpy()  # type: ignore[union-attr]
                for row, i in enumerate(index):
                    per_sentence[i] = weights[row, : len(tokens[i])]
    finally:
        model.train(was_training)
    names = model.mixture.names
    flat = np.concatenate(per_sentence) if per_sentence else np.zeros((0, len(names)))  # type: ignore[arg-type]
    return summarise_gate(flat, names=names, tokens=[t for s in tokens for t in s], slices=slices)
