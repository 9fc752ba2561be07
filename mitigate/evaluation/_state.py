"""The evaluator's state and its ``update`` step, shared by :func:`transfer_report` and :class:`TransferEvaluator`.

Labels are converted once to integer codes (strings through a growing dictionary, so chunks stay consistent);
everything downstream is integer arithmetic on numpy arrays.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mitigate.evaluation._checks import check_same_shape, label_array, seed_list, structure

__all__: list[str] = []

MAX_SEEDS = 16


@dataclass
class EvalState:
    """Everything seen so far: per-chunk code arrays, concatenated only at compute time."""

    kind: str | None = None
    coder: dict[str, int] = field(default_factory=dict)
    sequences: bool | None = None
    has_tokens: bool | None = None
    n_scratch: int | None = None
    n_transfer: int | None = None
    gold: list[np.ndarray] = field(default_factory=list)
    scratch: list[list[np.ndarray]] = field(default_factory=list)
    transfer: list[list[np.ndarray]] = field(default_factory=list)
    lengths: list[np.ndarray] = field(default_factory=list)
    tokens: list[np.ndarray] = field(default_factory=list)

    def names(self) -> list[int | str] | None:
        """Label names by code for string labels (``None`` for integer labels, whose codes are the labels)."""
        if self.kind != "str":
            return None
        names: list[int | str] = [""] * len(self.coder)
        for label, code in self.coder.items():
            names[code] = label
        return names


def _encode(array: np.ndarray, kind: str, coder: dict[str, int]) -> np.ndarray:
    if kind == "int":
        return array
    uniques, inverse = np.unique(array, return_inverse=True)
    codes = np.fromiter(
        (coder.setdefault(label, len(coder)) for label in uniques.tolist()), dtype=np.int64, count=uniques.size
    )
    return codes[inverse.reshape(-1)]


def update_state(
    state: EvalState,
    *,
    gold: Any,
    scratch: Any,
    scratch_seeds: Any,
    transfer: Any,
    transfer_seeds: Any,
    tokens: Any,
    mask: Any,
    ignore_label: int | str | None,
) -> None:
    """Validate one chunk, convert it to codes and append it to ``state`` (which is left untouched on error)."""
    scratch_list = seed_list(scratch, scratch_seeds, "scratch")
    transfer_list = seed_list(transfer, transfer_seeds, "transfer")
    total = len(scratch_list) + len(transfer_list)
    if total > MAX_SEEDS:
        raise ValueError(
            f"Expected at most {MAX_SEEDS} scratch and transfer seeds in total, but got {total} "
            f"({len(scratch_list)} scratch, {len(transfer_list)} transfer)."
        )
    for name, count, known in (
        ("scratch", len(scratch_list), state.n_scratch),
        ("transfer", len(transfer_list), state.n_transfer),
    ):
        if known is not None and count != known:
            raise ValueError(f"Expected {known} `{name}` seeds like the first update, but got {count}.")

    gold_flat, gold_lengths = structure(gold, "gold")
    gold_array, kind = label_array(gold_flat, "gold", gold_lengths)
    if state.kind is not None and kind != state.kind:
        raise TypeError(f"Expected `gold` labels of type {state.kind} like the first update, but got {kind}.")
    sequences = gold_lengths is not None
    if state.sequences is not None and sequences != state.sequences:
        want = "a list of sentences" if state.sequences else "a flat sequence of labels"
        raise TypeError(f"Expected `gold` to be {want} like the first update, but got the other form.")
    n_items = gold_array.size
    if ignore_label is not None:
        ignore_kind = (
            "str" if isinstance(ignore_label, str) else "int" if isinstance(ignore_label, (int, np.integer)) else None
        )
        if ignore_kind != kind or isinstance(ignore_label, bool):
            raise TypeError(
                f"Expected argument `ignore_label` to be {'an int' if kind == 'int' else 'a str'} label like `gold`, "
                f"but got {ignore_label!r}."
            )

    def predictions(values: list[Any], name: str, single: bool) -> list[np.ndarray]:
        arrays = []
        for seed, value in enumerate(values):
            label = name if single else f"{name}_seeds[{seed}]"
            flat, lengths = structure(value, label)
            check_same_shape(label, len(flat), lengths, n_items, gold_lengths)
            array, pred_kind = label_array(flat, label, lengths)
            if pred_kind != kind:
                raise TypeError(f"Expected `{label}` to hold {kind} labels like `gold`, but got {pred_kind} labels.")
            arrays.append(array)
        return arrays

    scratch_arrays = predictions(scratch_list, "scratch", scratch is not None)
    transfer_arrays = predictions(transfer_list, "transfer", transfer is not None)

    token_array = None
    if tokens is not None:
        flat, lengths = structure(tokens, "tokens")
        check_same_shape("tokens", len(flat), lengths, n_items, gold_lengths)
        token_array = np.asarray(flat)
        if token_array.dtype.kind != "U":
            raise TypeError(f"Expected argument `tokens` to hold strings, but got {token_array.dtype} values.")
    if state.has_tokens is not None and (token_array is not None) != state.has_tokens:
        raise ValueError(
            "Expected `tokens` in every update or in none, but the first update "
            f"{'had' if state.has_tokens else 'had no'} tokens and this one "
            f"{'has none' if token_array is None else 'has'}."
        )

    keep = None
    if mask is not None:
        flat, lengths = structure(mask, "mask")
        check_same_shape("mask", len(flat), lengths, n_items, gold_lengths)
        keep = np.asarray(flat)
        if keep.dtype.kind != "b":
            raise TypeError(
                f"Expected argument `mask` to hold booleans (True = evaluate), but got {keep.dtype} values."
            )
    if ignore_label is not None:
        ignored = gold_array == ignore_label
        keep = ~ignored if keep is None else keep & ~ignored

    coder = dict(state.coder)
    gold_codes = _encode(gold_array, kind, coder)
    scratch_codes = [_encode(array, kind, coder) for array in scratch_arrays]
    transfer_codes = [_encode(array, kind, coder) for array in transfer_arrays]
    lengths = gold_lengths if gold_lengths is not None else np.zeros(0, dtype=np.int64)
    if keep is not None and not keep.all():
        if gold_lengths is not None:
            cumulative = np.concatenate([[0], np.cumsum(keep, dtype=np.int64)])
            ends = np.cumsum(gold_lengths)
            lengths = cumulative[ends] - cumulative[ends - gold_lengths]
        gold_codes = gold_codes[keep]
        scratch_codes = [codes[keep] for codes in scratch_codes]
        transfer_codes = [codes[keep] for codes in transfer_codes]
        token_array = token_array[keep] if token_array is not None else None

    # Commit only once everything validated.
    state.kind, state.coder, state.sequences = kind, coder, sequences
    state.has_tokens = token_array is not None
    if state.n_scratch is None:
        state.n_scratch, state.n_transfer = len(scratch_codes), len(transfer_codes)
        state.scratch = [[] for _ in scratch_codes]
        state.transfer = [[] for _ in transfer_codes]
    state.gold.append(gold_codes)
    for chunks, codes in zip(state.scratch, scratch_codes):
        chunks.append(codes)
    for chunks, codes in zip(state.transfer, transfer_codes):
        chunks.append(codes)
    state.lengths.append(lengths)
    if token_array is not None:
        state.tokens.append(token_array)
