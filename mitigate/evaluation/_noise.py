"""Seed noise (issue 10): consensus NT / PT, leave-one-scratch-seed-out matched churn and excess NT.

All quantities are per-pattern features (see ``_stats``), so they are exact sums over items and bootstrap cheaply.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__: list[str] = []


@dataclass(frozen=True)
class NoiseFeatures:
    """Per-pattern indicator tables; shapes use P patterns, K scratch seeds, T transfer seeds."""

    consensus_nt: np.ndarray  # P x T: right under >= need_all scratch seeds, wrong under transfer t
    consensus_pt: np.ndarray  # P x T: wrong under >= need_all scratch seeds, right under transfer t
    loo_nt: np.ndarray  # P x K x T: consensus of the scratch seeds other than h, vs transfer t
    loo_pt: np.ndarray  # P x K x T
    churn_nt: np.ndarray  # P x K: consensus of the scratch seeds other than h, vs scratch seed h
    churn_pt: np.ndarray  # P x K
    reliably_falsified: np.ndarray  # P: right under every scratch seed, wrong under every transfer seed
    reliably_corrected: np.ndarray  # P


def needed(consensus: float, n_seeds: int) -> int:
    """How many of ``n_seeds`` seeds make a consensus at share ``consensus`` (at least one).

    >>> needed(1.0, 3), needed(0.5, 3), needed(0.6, 2)
    (3, 2, 2)
    """
    return max(1, math.ceil(consensus * n_seeds - 1e-9))


def noise_features(scratch_bits: np.ndarray, transfer_bits: np.ndarray, consensus: float) -> NoiseFeatures:
    """Build the seed-noise feature tables from the pattern bit tables (needs >= 2 scratch seeds)."""
    n_scratch = scratch_bits.shape[1]
    right = scratch_bits.sum(axis=1)
    need_all = needed(consensus, n_scratch)
    all_right, all_wrong = right >= need_all, (n_scratch - right) >= need_all
    need_loo = needed(consensus, n_scratch - 1)
    others = right[:, None] - scratch_bits
    loo_right, loo_wrong = others >= need_loo, (n_scratch - 1 - others) >= need_loo
    return NoiseFeatures(
        consensus_nt=all_right[:, None] & ~transfer_bits,
        consensus_pt=all_wrong[:, None] & transfer_bits,
        loo_nt=loo_right[:, :, None] & ~transfer_bits[:, None, :],
        loo_pt=loo_wrong[:, :, None] & transfer_bits[:, None, :],
        churn_nt=loo_right & ~scratch_bits,
        churn_pt=loo_wrong & scratch_bits,
        reliably_falsified=scratch_bits.all(axis=1) & ~transfer_bits.any(axis=1),
        reliably_corrected=~scratch_bits.any(axis=1) & transfer_bits.all(axis=1),
    )


def bootstrap_columns(features: NoiseFeatures) -> np.ndarray:
    """The columns the bootstrap resamples: loo NT, churn NT, loo PT, churn PT (P x (2KT + 2K))."""
    n_patterns = features.loo_nt.shape[0]
    return np.concatenate(
        [
            features.loo_nt.reshape(n_patterns, -1),
            features.churn_nt,
            features.loo_pt.reshape(n_patterns, -1),
            features.churn_pt,
        ],
        axis=1,
    ).astype(np.float64)


def bootstrap_excess(
    fractions: np.ndarray, n_scratch: int, n_transfer: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Excess NT and PT per resample from resampled fractions of :func:`bootstrap_columns`, resampling seeds too.

    Seeds are resampled with replacement on both sides (which scratch seed is left out, which transfer seed is
    compared), so the interval covers seed-to-seed variation as well as item sampling.
    """
    n_resamples = fractions.shape[0]
    kt = n_scratch * n_transfer
    loo_nt = fractions[:, :kt].reshape(n_resamples, n_scratch, n_transfer)
    churn_nt = fractions[:, kt : kt + n_scratch]
    loo_pt = fractions[:, kt + n_scratch : 2 * kt + n_scratch].reshape(n_resamples, n_scratch, n_transfer)
    churn_pt = fractions[:, 2 * kt + n_scratch :]
    left_out = rng.multinomial(n_scratch, np.full(n_scratch, 1.0 / n_scratch), size=n_resamples) / n_scratch
    compared = rng.multinomial(n_transfer, np.full(n_transfer, 1.0 / n_transfer), size=n_resamples) / n_transfer
    excess_nt = np.einsum("bh,bt,bht->b", left_out, compared, loo_nt) - np.einsum("bh,bh->b", left_out, churn_nt)
    excess_pt = np.einsum("bh,bt,bht->b", left_out, compared, loo_pt) - np.einsum("bh,bh->b", left_out, churn_pt)
    return excess_nt, excess_pt


def one_sided_p(samples: np.ndarray) -> float:
    """Bootstrap p-value of "the statistic is <= 0" (add-one smoothed, never exactly 0).

    >>> one_sided_p(np.array([0.1, 0.2, 0.3]))
    0.25
    """
    return float((1 + np.count_nonzero(samples <= 0)) / (samples.size + 1))
