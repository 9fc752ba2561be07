import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mitigate.tune import transfer_metrics

labels = st.lists(st.sampled_from("abc"), min_size=1, max_size=40)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_gain_is_accuracy_difference_and_swap_exchanges_pt_nt(data) -> None:
    gold = data.draw(labels)
    n = len(gold)
    scratch = data.draw(st.lists(st.sampled_from("abc"), min_size=n, max_size=n))
    transfer = data.draw(st.lists(st.sampled_from("abc"), min_size=n, max_size=n))
    m = transfer_metrics(gold=gold, scratch=[scratch], transfer=transfer)
    assert m["gain"] == pytest.approx(m["acc_transfer"] - m["acc_scratch"])
    assert m["gain"] == pytest.approx(m["pt"] - m["nt"])
    swapped = transfer_metrics(gold=gold, scratch=[transfer], transfer=scratch)
    assert (swapped["pt"], swapped["nt"]) == pytest.approx((m["nt"], m["pt"]))
    assert np.isnan(m["churn"]) and np.isnan(m["excess_nt"])


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_identical_scratch_seeds_have_no_churn_and_scratch_as_transfer_has_no_excess(data) -> None:
    gold = data.draw(labels)
    n = len(gold)
    scratch = data.draw(st.lists(st.sampled_from("abc"), min_size=n, max_size=n))
    m = transfer_metrics(gold=gold, scratch=[scratch, scratch], transfer=scratch)
    assert m["churn"] == 0.0 and m["nt"] == 0.0 and m["excess_nt"] == 0.0


def test_excess_nt_on_a_hand_computed_case() -> None:
    gold = list("aaaa")
    scratch = [list("aaab"), list("aaba")]  # each seed wrong on one item the other gets right
    transfer = list("abaa")  # wrong on item 1, which every scratch seed gets right
    m = transfer_metrics(gold=gold, scratch=scratch, transfer=transfer)
    # churn: pairs (0,1) and (1,0): 1 of 4 each
    assert m["churn"] == pytest.approx(0.25)
    # leave out seed 0: consensus {0,1,3}; matched churn 1/4 (item 3 wrong under seed 0); consensus NT 1/4 → 0
    assert m["excess_nt"] == pytest.approx(0.0)
    assert m["nt"] == pytest.approx(0.25)


def test_equal_gain_counts_give_bit_equal_gains() -> None:
    # PT 2 / NT 1 and PT 3 / NT 2 out of 90 items are both a gain of 1 item, but the float difference pt - nt differs
    # in its last bit (2/90 - 1/90 != 3/90 - 2/90), which split one Pareto point of a study into two.
    gold = list("a" * 90)
    scratch = [list("a" * 10 + "b" * 80)]
    one = list("b" + "a" * 9 + "a" * 2 + "b" * 78)  # NT 1, PT 2
    two = list("bb" + "a" * 8 + "a" * 3 + "b" * 77)  # NT 2, PT 3
    a = transfer_metrics(gold=gold, scratch=scratch, transfer=one)
    b = transfer_metrics(gold=gold, scratch=scratch, transfer=two)
    assert (a["pt"], a["nt"], b["pt"], b["nt"]) == (2 / 90, 1 / 90, 3 / 90, 2 / 90)
    assert a["gain"] == b["gain"] == 1 / 90


def test_sentences_are_flattened() -> None:
    m = transfer_metrics(gold=[["a", "b"], ["c"]], scratch=[[["a", "b"], ["x"]]], transfer=[["a", "x"], ["c"]])
    assert (m["pt"], m["nt"], m["n_items"]) == pytest.approx((1 / 3, 1 / 3, 3.0))


def test_length_mismatch_names_the_argument() -> None:
    with pytest.raises(ValueError, match=r"Expected argument `transfer` to have 3 labels like `gold`, but got 2\."):
        transfer_metrics(gold=list("abc"), scratch=[list("abc")], transfer=list("ab"))
    with pytest.raises(ValueError, match=r"Expected argument `gold` to hold at least one item"):
        transfer_metrics(gold=[], scratch=[[]], transfer=[])
    with pytest.raises(ValueError, match=r"`scratch` to be a non-empty list"):
        transfer_metrics(gold=list("a"), scratch=[], transfer=list("a"))


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_agrees_with_the_evaluator(data) -> None:
    evaluation = pytest.importorskip("mitigate.evaluation")
    gold = data.draw(st.lists(st.sampled_from("abc"), min_size=2, max_size=30))
    n = len(gold)
    seeds = data.draw(st.integers(2, 4))
    scratch = [data.draw(st.lists(st.sampled_from("abc"), min_size=n, max_size=n)) for _ in range(seeds)]
    transfer = data.draw(st.lists(st.sampled_from("abc"), min_size=n, max_size=n))
    ours = transfer_metrics(gold=gold, scratch=scratch, transfer=transfer)
    report = evaluation.transfer_report(gold=gold, scratch_seeds=scratch, transfer_seeds=[transfer], n_bootstrap=0).to_dict()
    assert ours["pt"] == pytest.approx(report["pt"]) and ours["nt"] == pytest.approx(report["nt"])
    assert ours["gain"] == pytest.approx(report["gain"], abs=1e-12)
    assert ours["churn"] == pytest.approx(report["churn_floor"])
    assert ours["excess_nt"] == pytest.approx(report["seed_noise"]["excess_nt"], abs=1e-12)
