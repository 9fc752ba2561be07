"""Invariants of the transfer evaluator (hypothesis) and the seed-noise null property."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from mitigate.evaluation import TransferEvaluator, transfer_counts, transfer_report

LABELS = st.integers(min_value=0, max_value=3)


@st.composite
def triples(draw: st.DrawFn) -> tuple[list[int], list[int], list[int]]:
    n = draw(st.integers(min_value=1, max_value=40))
    column = st.lists(LABELS, min_size=n, max_size=n)
    return draw(column), draw(column), draw(column)


@st.composite
def sentence_triples(draw: st.DrawFn) -> tuple[list[list[str]], list[list[str]], list[list[str]]]:
    lengths = draw(st.lists(st.integers(min_value=0, max_value=6), min_size=1, max_size=8).filter(any))
    tags = st.sampled_from(["O", "B-X", "I-X", "B-Y"])

    def side() -> list[list[str]]:
        return [draw(st.lists(tags, min_size=n, max_size=n)) for n in lengths]

    return side(), side(), side()


@settings(max_examples=60, deadline=None)
@given(triples())
def test_gain_is_accuracy_difference_and_pt_nt_bounded(data: tuple[list[int], list[int], list[int]]) -> None:
    gold, scratch, transfer = data
    report = transfer_report(gold=gold, scratch=scratch, transfer=transfer, n_bootstrap=0)
    assert np.isclose(report.gain, report.transfer_accuracy - report.scratch_accuracy, rtol=0, atol=1e-12)
    assert report.gain == report.gain_count / len(gold)  # from counts, so equal counts give bit-equal gains
    assert report.gain_count == report.pt_count - report.nt_count
    assert np.isclose(report.pt - report.nt, report.gain)
    assert report.pt + report.nt <= 1.0
    assert report.ntg == -report.gain or np.isclose(report.ntg, -report.gain)
    counts = transfer_counts(gold=gold, scratch=scratch, transfer=transfer)
    assert (counts.pt_count, counts.nt_count) == (report.pt_count, report.nt_count)
    assert counts.mcnemar_p == report.mcnemar_p


@settings(max_examples=60, deadline=None)
@given(triples())
def test_swapping_scratch_and_transfer_swaps_pt_and_nt(data: tuple[list[int], list[int], list[int]]) -> None:
    gold, scratch, transfer = data
    forward = transfer_report(gold=gold, scratch=scratch, transfer=transfer, n_bootstrap=0)
    backward = transfer_report(gold=gold, scratch=transfer, transfer=scratch, n_bootstrap=0)
    assert (forward.pt_count, forward.nt_count) == (backward.nt_count, backward.pt_count)
    assert forward.mcnemar_p == backward.mcnemar_p


@settings(max_examples=40, deadline=None)
@given(triples())
def test_identical_predictions_give_no_transfer(data: tuple[list[int], list[int], list[int]]) -> None:
    gold, scratch, _ = data
    report = transfer_report(gold=gold, scratch_seeds=[scratch, scratch], transfer=scratch, n_bootstrap=10)
    assert report.pt == report.nt == 0.0 and report.mcnemar_p == 1.0
    assert report.churn_floor == 0.0
    assert report.seed_noise is not None and report.seed_noise.matched_churn_nt == 0.0


@settings(max_examples=40, deadline=None)
@given(triples(), st.data())
def test_streaming_in_chunks_equals_one_call(data: tuple[list[int], list[int], list[int]], draw: st.DataObject) -> None:
    gold, scratch, transfer = data
    cuts = sorted(draw.draw(st.lists(st.integers(min_value=0, max_value=len(gold)), max_size=4)))
    bounds = [0, *cuts, len(gold)]
    evaluator = TransferEvaluator(n_bootstrap=30, seed=2)
    for start, stop in zip(bounds[:-1], bounds[1:]):
        if stop > start:
            evaluator.update(gold=gold[start:stop], scratch_seeds=[scratch[start:stop], transfer[start:stop]],
                             transfer=transfer[start:stop])
    whole = transfer_report(gold=gold, scratch_seeds=[scratch, transfer], transfer=transfer, n_bootstrap=30, seed=2)
    assert evaluator.compute().to_dict() == whole.to_dict()


@settings(max_examples=30, deadline=None)
@given(sentence_triples(), st.data())
def test_streaming_sentences_equals_one_call(
    data: tuple[list[list[str]], list[list[str]], list[list[str]]], draw: st.DataObject
) -> None:
    gold, scratch, transfer = data
    cut = draw.draw(st.integers(min_value=0, max_value=len(gold)))
    evaluator = TransferEvaluator(n_bootstrap=25, seed=1)
    for part in (slice(0, cut), slice(cut, None)):
        if gold[part] and sum(map(len, gold[part])):
            evaluator.update(gold=gold[part], scratch=scratch[part], transfer=transfer[part], tokens=gold[part])
    if not sum(map(len, gold[:cut])) or not sum(map(len, gold[cut:])):
        return  # one side empty: nothing to compare
    whole = transfer_report(gold=gold, scratch=scratch, transfer=transfer, tokens=gold, n_bootstrap=25, seed=1)
    assert evaluator.compute().to_dict() == whole.to_dict()


def test_excess_nt_is_centred_on_zero_when_transfer_is_another_scratch_seed() -> None:
    """Transfer drawn exactly like the scratch seeds (exchangeable): excess NT must average to 0 over draws."""
    rng = np.random.default_rng(0)
    excess_nt, excess_pt = [], []
    for _ in range(300):
        gold = rng.integers(0, 4, size=400)
        difficulty = rng.beta(0.5, 3.0, size=400)
        seeds = [np.where(rng.random(400) < difficulty, (gold + 1) % 4, gold) for _ in range(4)]
        report = transfer_report(gold=gold, scratch_seeds=seeds[:3], transfer=seeds[3], n_bootstrap=0)
        assert report.seed_noise is not None
        excess_nt.append(report.seed_noise.excess_nt)
        excess_pt.append(report.seed_noise.excess_pt)
    for values in (np.array(excess_nt), np.array(excess_pt)):
        standard_error = values.std(ddof=1) / np.sqrt(values.size)
        assert abs(values.mean()) < 3.5 * standard_error
        assert values.std() > 0  # not trivially zero


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=1, max_value=6), st.integers(min_value=1, max_value=6), st.integers(0, 2**16))
def test_every_pair_matches_the_single_pair_fast_path(n_scratch: int, n_transfer: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    gold = rng.integers(0, 3, size=50)
    scratch = [rng.integers(0, 3, size=50) for _ in range(n_scratch)]
    transfer = [rng.integers(0, 3, size=50) for _ in range(n_transfer)]
    report = transfer_report(gold=gold, scratch_seeds=scratch, transfer_seeds=transfer, n_bootstrap=0)
    for pair in report.pairs:
        counts = transfer_counts(gold=gold, scratch=scratch[pair.scratch_seed], transfer=transfer[pair.transfer_seed])
        assert (pair.pt_count, pair.nt_count, pair.mcnemar_p) == (counts.pt_count, counts.nt_count, counts.mcnemar_p)
