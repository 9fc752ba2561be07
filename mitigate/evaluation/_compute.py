"""The evaluator's ``compute`` step: from encoded state to a :class:`TransferReport`."""

from __future__ import annotations

import itertools

import numpy as np

from mitigate.evaluation import _noise
from mitigate.evaluation._classes import LabelNames, confusions, per_class, per_class_histogram, std_or_none
from mitigate.evaluation._options import Options
from mitigate.evaluation._result import Interval, PairResult, TransferReport
from mitigate.evaluation._sections import seed_noise_result, slice_results, span_result
from mitigate.evaluation._state import EvalState
from mitigate.evaluation._stats import (
    bootstrap_sums,
    correctness_patterns,
    mcnemar_exact,
    pattern_bits,
    percentile_interval,
    unit_sums,
)

__all__: list[str] = []


def seed_pairs(n_scratch: int, n_transfer: int, pairing: str) -> list[tuple[int, int]]:
    """The (scratch seed, transfer seed) pairs compared: by index when paired, else every combination.

    >>> seed_pairs(2, 2, "auto"), seed_pairs(1, 2, "auto")
    ([(0, 0), (1, 1)], [(0, 0), (0, 1)])
    """
    if pairing == "paired" and n_scratch != n_transfer:
        raise ValueError(
            f"Expected as many transfer seeds as scratch seeds with pairing='paired', "
            f"but got {n_scratch} scratch and {n_transfer} transfer seeds."
        )
    if pairing == "paired" or (pairing == "auto" and n_scratch == n_transfer):
        return [(index, index) for index in range(n_scratch)]
    return list(itertools.product(range(n_scratch), range(n_transfer)))


def _concat(chunks: list[np.ndarray]) -> np.ndarray:
    return chunks[0] if len(chunks) == 1 else np.concatenate(chunks)


def compute_report(state: EvalState, options: Options) -> TransferReport:
    """Compute every statistic from the accumulated state."""
    if not state.gold:
        raise ValueError("Expected at least one `update()` before `compute()`, but got none.")
    gold = _concat(state.gold)
    if gold.size == 0:
        raise ValueError("Expected at least one item to evaluate after `mask` / `ignore_label`, but got 0.")
    scratch = [_concat(chunks) for chunks in state.scratch]
    transfer = [_concat(chunks) for chunks in state.transfer]
    lengths = _concat(state.lengths) if state.sequences else None
    tokens = _concat(state.tokens) if state.has_tokens else None
    label = LabelNames(state.names())
    n_scratch, n_transfer, n_items = len(scratch), len(transfer), gold.size
    pairs = seed_pairs(n_scratch, n_transfer, options.pairing)
    scratch_index = np.array([i for i, _ in pairs])
    transfer_index = np.array([j for _, j in pairs])
    notes: list[str] = []

    pattern = correctness_patterns(gold, scratch + transfer)
    scratch_bits, transfer_bits = pattern_bits(n_scratch, n_transfer)
    pt_features = transfer_bits[:, transfer_index] & ~scratch_bits[:, scratch_index]
    nt_features = scratch_bits[:, scratch_index] & ~transfer_bits[:, transfer_index]

    n_patterns = 1 << (n_scratch + n_transfer)
    # Items not every model got right: usually a small share, and all that per-class and confusions need to look at.
    subset = np.flatnonzero(pattern != n_patterns - 1)
    sub_pattern, sub_gold = np.take(pattern, subset, mode="clip"), np.take(gold, subset, mode="clip")  # in range
    class_labels, class_patterns = per_class_histogram(
        gold, subset, sub_gold, sub_pattern, state.kind == "str", n_patterns
    )
    histogram = class_patterns.sum(axis=0)

    scratch_correct = histogram @ scratch_bits
    transfer_correct = histogram @ transfer_bits
    pt_counts = histogram @ pt_features
    nt_counts = histogram @ nt_features
    pair_results = tuple(
        PairResult(
            scratch_seed=int(i),
            transfer_seed=int(j),
            n=n_items,
            scratch_accuracy=float(scratch_correct[i] / n_items),
            transfer_accuracy=float(transfer_correct[j] / n_items),
            pt_count=int(pt_counts[p]),
            nt_count=int(nt_counts[p]),
            pt=float(pt_counts[p] / n_items),
            nt=float(nt_counts[p] / n_items),
            gain=float((pt_counts[p] - nt_counts[p]) / n_items),
            ntg=float((1.0 - transfer_correct[j] / n_items) - (1.0 - scratch_correct[i] / n_items)),
            mcnemar_p=mcnemar_exact(int(pt_counts[p]), int(nt_counts[p])),
        )
        for p, (i, j) in enumerate(pairs)
    )
    pair_pt = np.array([pair.pt for pair in pair_results])
    pair_nt = np.array([pair.nt for pair in pair_results])
    pair_gain = np.array([pair.gain for pair in pair_results])
    scratch_accuracy = float(np.mean(scratch_correct[scratch_index]) / n_items)
    transfer_accuracy = float(np.mean(transfer_correct[transfer_index]) / n_items)

    churn, churn_std = None, None
    if n_scratch >= 2:
        ordered = [(a, b) for a in range(n_scratch) for b in range(n_scratch) if a != b]
        churn_counts = histogram @ np.stack([scratch_bits[:, a] & ~scratch_bits[:, b] for a, b in ordered], axis=1)
        churn, churn_std = float(np.mean(churn_counts) / n_items), std_or_none(churn_counts / n_items)
    else:
        notes.append("The churn floor needs >= 2 scratch seeds; got 1.")

    noise = _noise.noise_features(scratch_bits, transfer_bits, options.consensus) if n_scratch >= 2 else None

    rng = np.random.default_rng(options.seed)
    intervals: dict[str, Interval | None] = {"pt": None, "nt": None, "gain": None}
    excess_samples: tuple[np.ndarray, np.ndarray] | None = None
    if options.n_bootstrap > 0:
        columns = [np.ones(n_patterns), pt_features.mean(1), nt_features.mean(1)]
        features = np.column_stack(columns)
        if noise is not None:
            features = np.concatenate([features, _noise.bootstrap_columns(noise)], axis=1)
        sums, multiplicity = unit_sums(pattern, lengths, features)
        resampled = bootstrap_sums(sums, multiplicity, n_resamples=options.n_bootstrap, rng=rng)
        size = resampled[:, :1]
        fractions = resampled[:, 1:] / np.where(size > 0, size, 1.0)
        level = options.confidence
        for name, samples in (
            ("pt", fractions[:, 0]),
            ("nt", fractions[:, 1]),
            ("gain", fractions[:, 0] - fractions[:, 1]),
        ):
            low, high = percentile_interval(samples, level)
            intervals[name] = Interval(low=low, high=high, level=level)
        if noise is not None:
            excess_samples = _noise.bootstrap_excess(fractions[:, 2:], n_scratch, n_transfer, rng)

    class_results = per_class(class_labels, class_patterns, pt_features, nt_features, label)
    confusion_results = confusions(
        subset, sub_gold, sub_pattern, transfer, tokens, pairs, n_scratch, label, options.top_k
    )
    slices, slice_masks_ = slice_results(
        tokens, pattern, options, scratch_bits, transfer_bits, pt_features, nt_features, noise
    )
    if tokens is None and (options.slices or options.source_vocab is not None):
        notes.append("Slices need `tokens`; none were given, so no slice is reported.")
    spans = span_result(state, gold, scratch, transfer, lengths, pairs, options, notes)

    seed_noise = None
    if noise is not None:
        seed_noise = seed_noise_result(
            noise, histogram, n_items, options, excess_samples, tokens, gold, transfer, pattern, slice_masks_, label
        )
    else:
        notes.append(
            "Consensus NT, matched churn and excess NT need >= 2 scratch seeds; got 1, so only plain NT is reported "
            "(plain NT mixes negative transfer with seed noise)."
        )

    gain_count = float(np.mean(pt_counts - nt_counts))
    return TransferReport(
        n=n_items,
        n_sentences=int(lengths.size) if lengths is not None else None,
        n_scratch_seeds=n_scratch,
        n_transfer_seeds=n_transfer,
        pairing="paired" if all(i == j for i, j in pairs) and n_scratch == n_transfer else "all",
        scratch_accuracy=scratch_accuracy,
        transfer_accuracy=transfer_accuracy,
        scratch_accuracy_std=std_or_none(scratch_correct / n_items),
        transfer_accuracy_std=std_or_none(transfer_correct / n_items),
        pt_count=float(np.mean(pt_counts)),
        nt_count=float(np.mean(nt_counts)),
        gain_count=gain_count,
        pt=float(np.mean(pair_pt)),
        nt=float(np.mean(pair_nt)),
        gain=gain_count / n_items,  # from counts: equal PT − NT counts give bit-equal gains
        ntg=(1.0 - transfer_accuracy) - (1.0 - scratch_accuracy),
        pt_std=std_or_none(pair_pt),
        nt_std=std_or_none(pair_nt),
        gain_std=std_or_none(pair_gain),
        mcnemar_p=max(pair.mcnemar_p for pair in pair_results),
        pt_ci=intervals["pt"],
        nt_ci=intervals["nt"],
        gain_ci=intervals["gain"],
        n_bootstrap=options.n_bootstrap,
        bootstrap_unit="none" if options.n_bootstrap == 0 else ("sentence" if lengths is not None else "item"),
        pairs=pair_results,
        churn_floor=churn,
        churn_floor_std=churn_std,
        per_class=class_results,
        top_confusions=confusion_results,
        slices=slices,
        spans=spans,
        seed_noise=seed_noise,
        notes=tuple(notes),
    )


