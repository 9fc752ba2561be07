"""Report sections beyond the headline: slices, spans and seed noise."""

from __future__ import annotations

import numpy as np

from mitigate.evaluation import _noise
from mitigate.evaluation._classes import LabelNames, std_or_none
from mitigate.evaluation._options import Options
from mitigate.evaluation._result import Interval, SeedNoiseResult, SliceResult, SpanResult, TokenCount
from mitigate.evaluation._slices import builtin_slices, slice_masks
from mitigate.evaluation._spans import is_span_scheme, span_f1, span_keys
from mitigate.evaluation._state import EvalState
from mitigate.evaluation._stats import percentile_interval

__all__: list[str] = []


def slice_results(
    tokens: np.ndarray | None,
    pattern: np.ndarray,
    options: Options,
    scratch_bits: np.ndarray,
    transfer_bits: np.ndarray,
    pt_features: np.ndarray,
    nt_features: np.ndarray,
    noise: _noise.NoiseFeatures | None,
) -> tuple[tuple[SliceResult, ...], dict[str, np.ndarray]]:
    """PT / NT per token slice (built-in and user predicates; slices without items are left out) and their masks."""
    if tokens is None:
        return (), {}
    predicates = {**builtin_slices(source_vocab=options.source_vocab), **(options.slices or {})}
    masks = slice_masks(tokens, predicates)
    results = []
    for name, mask in masks.items():
        histogram = np.bincount(pattern[mask], minlength=scratch_bits.shape[0])
        size = int(histogram.sum())
        if size == 0:
            continue
        scratch_accuracy = float(np.mean(histogram @ scratch_bits) / size)
        transfer_accuracy = float(np.mean(histogram @ transfer_bits) / size)
        results.append(
            SliceResult(
                name=name,
                n=size,
                scratch_accuracy=scratch_accuracy,
                transfer_accuracy=transfer_accuracy,
                pt=float(np.mean(histogram @ pt_features) / size),
                nt=float(np.mean(histogram @ nt_features) / size),
                gain=float(np.mean(histogram @ pt_features) / size - np.mean(histogram @ nt_features) / size),
                reliably_falsified=int(histogram @ noise.reliably_falsified) if noise is not None else None,
            )
        )
    return tuple(results), masks


def span_result(
    state: EvalState,
    gold: np.ndarray,
    scratch: list[np.ndarray],
    transfer: list[np.ndarray],
    lengths: np.ndarray | None,
    pairs: list[tuple[int, int]],
    options: Options,
    notes: list[str],
) -> SpanResult | None:
    """Span F1 and span PT / NT for BIO / IOB sentences (``None`` when the labels are not spans)."""
    if options.spans is False:
        return None
    names = state.names()
    gold_names = [names[code] for code in np.unique(gold)] if names is not None else []
    scheme = names is not None and is_span_scheme(gold_names)
    if options.spans is True and lengths is None:
        raise ValueError("Expected sentences (a list of sentences of labels) for `spans=True`, but got flat labels.")
    if options.spans is True and not scheme:
        example = gold_names[0] if gold_names else int(gold[0])
        raise ValueError(
            f"Expected BIO / IOB labels (O, B-X, I-X, ...) for `spans=True`, but got labels such as {example!r}."
        )
    if not scheme or lengths is None or names is None:
        return None
    gold_keys = span_keys(gold, lengths, names)
    scratch_keys = [span_keys(codes, lengths, names) for codes in scratch]
    transfer_keys = [span_keys(codes, lengths, names) for codes in transfer]
    found_scratch = [np.isin(gold_keys, keys, assume_unique=True) for keys in scratch_keys]
    found_transfer = [np.isin(gold_keys, keys, assume_unique=True) for keys in transfer_keys]
    scratch_f1 = np.array([span_f1(gold_keys, keys) for keys in scratch_keys])
    transfer_f1 = np.array([span_f1(gold_keys, keys) for keys in transfer_keys])
    pt_counts = np.array([np.count_nonzero(found_transfer[j] & ~found_scratch[i]) for i, j in pairs])
    nt_counts = np.array([np.count_nonzero(found_scratch[i] & ~found_transfer[j]) for i, j in pairs])
    n_spans = int(gold_keys.size)
    if n_spans == 0:
        notes.append("The gold labels contain no span, so span PT / NT are 0.")
    denominator = max(n_spans, 1)
    return SpanResult(
        n_gold_spans=n_spans,
        scratch_f1=float(scratch_f1.mean()),
        transfer_f1=float(transfer_f1.mean()),
        scratch_f1_std=std_or_none(scratch_f1),
        transfer_f1_std=std_or_none(transfer_f1),
        pt_count=float(pt_counts.mean()),
        nt_count=float(nt_counts.mean()),
        pt=float(pt_counts.mean() / denominator),
        nt=float(nt_counts.mean() / denominator),
    )


def seed_noise_result(
    noise: _noise.NoiseFeatures,
    histogram: np.ndarray,
    n_items: int,
    options: Options,
    excess_samples: tuple[np.ndarray, np.ndarray] | None,
    tokens: np.ndarray | None,
    gold: np.ndarray,
    transfer: list[np.ndarray],
    pattern: np.ndarray,
    slice_masks_: dict[str, np.ndarray],
    label: LabelNames,
) -> SeedNoiseResult:
    """Consensus / matched / excess NT and PT, reliably falsified items and the verdict (>= 2 scratch seeds)."""
    n_scratch, n_transfer = noise.churn_nt.shape[1], noise.consensus_nt.shape[1]

    def mean_fraction(table: np.ndarray) -> float:
        return float(np.mean(np.tensordot(histogram, table, axes=1)) / n_items)

    matched_nt, matched_pt = mean_fraction(noise.loo_nt), mean_fraction(noise.loo_pt)
    churn_nt, churn_pt = mean_fraction(noise.churn_nt), mean_fraction(noise.churn_pt)
    excess_nt, excess_pt = matched_nt - churn_nt, matched_pt - churn_pt
    nt_ci = pt_ci = None
    nt_p = pt_p = None
    if excess_samples is not None:
        level = options.confidence
        nt_ci = Interval(*percentile_interval(excess_samples[0], level), level=level)
        pt_ci = Interval(*percentile_interval(excess_samples[1], level), level=level)
        nt_p, pt_p = _noise.one_sided_p(excess_samples[0]), _noise.one_sided_p(excess_samples[1])

    falsified_code = int(np.flatnonzero(noise.reliably_falsified)[0])
    falsified_count = int(histogram[falsified_code])
    corrected_count = int(histogram @ noise.reliably_corrected)
    top: tuple[TokenCount, ...] = ()
    if tokens is not None and falsified_count and options.top_k:
        items = np.flatnonzero(pattern == falsified_code)
        token_values, token_index = np.unique(tokens[items], return_inverse=True)
        keys, counts = np.unique(
            np.stack([token_index.reshape(-1), gold[items], transfer[0][items]]), axis=1, return_counts=True
        )
        order = np.lexsort((label.rank(keys[2]), label.rank(keys[1]), keys[0], -counts))[: options.top_k]
        top = tuple(
            TokenCount(
                token=str(token_values[keys[0, k]]),
                count=int(counts[k]),
                gold=label(int(keys[1, k])),
                predicted=label(int(keys[2, k])),
            )
            for k in order
        )
    by_slice = {name: int(np.count_nonzero(pattern[mask] == falsified_code)) for name, mask in slice_masks_.items()}

    level_text = f"{options.confidence:.0%}"
    numbers = f"matched consensus NT {matched_nt:.2%} vs matched churn {churn_nt:.2%}, excess NT {excess_nt:+.2%}"
    if nt_ci is not None and nt_p is not None:
        exceeds = nt_p < 1.0 - options.confidence
        verdict = (
            f"NT {'exceeds' if exceeds else 'does not exceed'} seed noise: {numbers} "
            f"({level_text} CI {nt_ci.low:+.2%} to {nt_ci.high:+.2%}, one-sided p = {nt_p:.3g})."
        )
    else:
        verdict = f"Excess NT over seed noise: {numbers}; no test without bootstrap (n_bootstrap=0)."
    return SeedNoiseResult(
        n_scratch_seeds=n_scratch,
        n_transfer_seeds=n_transfer,
        consensus=options.consensus,
        consensus_nt=mean_fraction(noise.consensus_nt),
        consensus_pt=mean_fraction(noise.consensus_pt),
        matched_nt=matched_nt,
        matched_pt=matched_pt,
        matched_churn_nt=churn_nt,
        matched_churn_pt=churn_pt,
        excess_nt=excess_nt,
        excess_pt=excess_pt,
        excess_nt_ci=nt_ci,
        excess_pt_ci=pt_ci,
        excess_nt_p=nt_p,
        excess_pt_p=pt_p,
        reliably_falsified_count=falsified_count,
        reliably_falsified=falsified_count / n_items,
        reliably_corrected_count=corrected_count,
        reliably_corrected=corrected_count / n_items,
        top_reliably_falsified=top,
        reliably_falsified_by_slice=by_slice,
        verdict=verdict,
    )
