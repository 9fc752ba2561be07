"""Source ranking before training: MMD, proxy A-distance, and the combined table."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mitigate.gating import SourceRanking, mmd, proxy_a_distance, rank_sources, tagger_features
from mitigate.models import BiLSTMTagger, TaggerConfig, TaggerVocab
from mitigate.transferability import TargetFeatures


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**16), st.integers(5, 60), st.integers(1, 5), st.sampled_from(["linear", "rbf"]))
def test_mmd_of_a_sample_with_itself_is_zero(seed: int, n: int, d: int, kernel: str) -> None:
    x = np.random.default_rng(seed).normal(size=(n, d))
    assert mmd(source=x, target=x, kernel=kernel) == pytest.approx(0.0, abs=1e-9)
    assert mmd(source=x, target=x[::-1].copy(), kernel=kernel) == pytest.approx(0.0, abs=1e-9)  # order-free


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**16), st.floats(0.5, 5.0), st.sampled_from(["linear", "rbf"]))
def test_mmd_grows_with_a_shift(seed: int, shift: float, kernel: str) -> None:
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=(150, 3)), rng.normal(size=(150, 3))
    same = mmd(source=x, target=y, kernel=kernel)
    shifted = mmd(source=x, target=y + shift, kernel=kernel)
    assert shifted > same >= 0.0
    assert mmd(source=x, target=y + 2 * shift, kernel=kernel) > shifted


def test_linear_mmd_closed_form_and_rbf_bounds() -> None:
    x = np.array([[0.0, 0.0], [2.0, 0.0]])
    y = np.array([[0.0, 3.0], [0.0, 5.0]])
    assert mmd(source=x, target=y, kernel="linear") == pytest.approx(1.0 + 16.0)  # ‖(1,0) − (0,4)‖²
    assert 0.0 < mmd(source=x, target=y, kernel="rbf", bandwidth=1.0) <= 2.0


@settings(max_examples=3, deadline=None)
@given(st.integers(0, 2**16))
def test_proxy_a_distance_near_zero_for_one_distribution_and_two_when_separated(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=(200, 3)), rng.normal(size=(200, 3))
    assert proxy_a_distance(source=x, target=y, folds=3, seed=seed) < 0.5
    far = y.copy()
    far[:, 0] += 8.0
    assert proxy_a_distance(source=x, target=far, folds=3, seed=seed) == pytest.approx(2.0)
    mid = y.copy()
    mid[:, 0] += 1.0
    assert 0.3 < proxy_a_distance(source=x, target=mid, folds=3, seed=seed) < 2.0


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: mmd(source=np.zeros((3, 2)), target=np.zeros((3, 3))), ValueError,
         r"Expected arguments `source` and `target` to have the same feature size, but got 2 and 3\."),
        (lambda: mmd(source=np.zeros((3, 2)), target=np.zeros((3, 2)), kernel="poly"), ValueError,
         r"Expected argument `kernel` to be one of \['linear', 'rbf'\], but got 'poly'\."),
        (lambda: mmd(source=np.zeros((1, 2)), target=np.zeros((3, 2))), ValueError,
         r"Expected argument `source` to hold at least 2 rows, but got 1\."),
        (lambda: mmd(source=[[1.0]], target=np.zeros((3, 1))), TypeError,
         r"Expected argument `source` to be a numpy array of shape \(N, D\), but got list\."),
        (lambda: proxy_a_distance(source=np.zeros((3, 2)), target=np.zeros((3, 2)), folds=5), ValueError,
         r"Expected at least `folds`=5 rows on each side, but got 3 source and 3 target rows\."),
        (lambda: proxy_a_distance(source=np.zeros((9, 2)), target=np.zeros((9, 2)), folds=1), ValueError,
         r"Expected argument `folds` to be an int >= 2, but got 1\."),
    ],
)
def test_distance_bad_input(call, error: type, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=message):
        call()


def _features(rng: np.random.Generator, signal: float, n: int = 300) -> TargetFeatures:
    y = rng.integers(0, 3, n)
    features = rng.normal(size=(n, 4)) + np.eye(3, 4)[y] * signal
    return TargetFeatures(features=features, labels=y)


def test_rank_sources_puts_the_degenerate_source_last() -> None:
    rng = np.random.default_rng(0)
    target = {"news": _features(rng, 1.5), "random": _features(rng, 0.0), "near": _features(rng, 4.0)}
    source = {
        "news": target["news"].features + rng.normal(scale=0.3, size=(300, 4)) + 1.0,
        "random": rng.normal(size=(300, 4)) * 4 + 5.0,
        "near": target["near"].features + rng.normal(scale=0.1, size=(300, 4)),
    }
    ranking = rank_sources(target_features=target, source_features=source)
    assert ranking.order[-1] == "random"
    assert ranking.order[0] == "near"
    assert ranking.columns == ["logme", "h_score", "transrate", "mmd_rbf", "pad"]
    assert ranking.score["near"] == pytest.approx(1.0)
    assert ranking.score["random"] == pytest.approx(0.0)
    table = ranking.to_markdown()
    assert table.splitlines()[2].startswith("| 1 | near | 1.000 |")
    assert ranking.rank_correlation({"near": 0.05, "news": 0.02, "random": -0.03}) == pytest.approx(1.0)
    assert ranking.rank_correlation({"near": 0.05, "news": 0.02, "random": -0.03}, column="pad") == pytest.approx(1.0)
    only_proxies = rank_sources(target_features=target, proxies=["logme"])
    assert only_proxies.columns == ["logme"] and only_proxies.order[-1] == "random"


def test_rank_sources_bad_input() -> None:
    rng = np.random.default_rng(0)
    target = {"a": _features(rng, 2.0)}
    with pytest.raises(ValueError, match=r"Expected argument `proxies` to hold names among .*, but got \['logmee'\]"):
        rank_sources(target_features=target, proxies=["logmee"])
    with pytest.raises(ValueError, match=r"Expected argument `distances` to hold names among .*, but got \['kl'\]"):
        rank_sources(target_features=target, distances=["kl"])
    with pytest.raises(ValueError, match=r"Expected argument `source_features` to have an entry for every source, but \['a'\] are missing"):
        rank_sources(target_features=target, source_features={})
    with pytest.raises(ValueError, match=r"Expected argument `column` to be one of"):
        rank_sources(target_features=target, proxies=["logme"]).rank_correlation({"a": 1.0}, column="pad")
    assert isinstance(rank_sources(target_features=target, proxies=["logme"]), SourceRanking)


def test_tagger_features_use_the_taggers_own_vocabulary() -> None:
    tagger = BiLSTMTagger(vocab=TaggerVocab.build([(("the", "cat"), ("DT", "NN"))]), config=TaggerConfig.preset("tiny"))
    sentences = [(("the", "dog"), ("D", "N")), (("a",), ("D",))] * 5
    out = tagger_features(tagger=tagger, sentences=sentences, max_sentences=4)
    assert out.features.shape[1] == 2 * tagger.config.fe_hidden
    assert set(out.labels.tolist()) <= {0, 1}
    assert out.source_probs is not None and np.allclose(out.source_probs.sum(1), 1.0)
    with pytest.raises(TypeError, match=r"Expected argument `tagger` to be a BiLSTMTagger, but got str"):
        tagger_features(tagger="x", sentences=sentences)  # type: ignore[arg-type]
