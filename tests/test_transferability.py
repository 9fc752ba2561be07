"""Transferability proxies against independent naive computations, plus invariants and input errors."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mitigate.transferability import h_score, leep, logme, nce, transrate
from mitigate.transferability._logme import _logme_per_class


def _data(n: int = 60, d: int = 4, c: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, c, size=n)
    labels[:c] = np.arange(c)
    feats = rng.normal(size=(n, d)) + np.eye(c, d)[labels] * 1.5
    return feats, labels


# ---- LogME ---------------------------------------------------------------------------------------------------


def _direct_log_evidence(feats: np.ndarray, y: np.ndarray, alpha: float, beta: float) -> float:
    """log N(y; 0, I/beta + F F^T / alpha): the marginal likelihood, by explicit determinant and inverse."""
    n = feats.shape[0]
    cov = np.eye(n) / beta + feats @ feats.T / alpha
    _, logdet = np.linalg.slogdet(cov)
    return float(-0.5 * (n * math.log(2 * math.pi) + logdet + y @ np.linalg.inv(cov) @ y))


@pytest.mark.parametrize(("n", "d", "rank_deficient"), [(60, 4, False), (8, 20, False), (60, 5, True)])
def test_logme_evidence_equals_direct_marginal_likelihood(n: int, d: int, rank_deficient: bool) -> None:
    # N > D (eigh of the Gram matrix), N < D (thin SVD, zero eigenvalues), and N > D with a repeated column
    feats, labels = _data(n=n, d=d)
    if rank_deficient:
        feats[:, -1] = feats[:, 0]
    evidence, alpha, beta = _logme_per_class(feats, labels, 3, max_iter=100, tol=1e-3)
    for c in range(3):
        y = (labels == c).astype(float)
        assert evidence[c] == pytest.approx(_direct_log_evidence(feats, y, alpha[c], beta[c]) / n, rel=1e-8)
    assert logme(features=feats, labels=labels) == pytest.approx(float(evidence.mean()), rel=1e-12)


def test_logme_converges_to_the_fixed_point() -> None:
    feats, labels = _data()
    d = feats.shape[1]
    _, alpha, beta = _logme_per_class(feats, labels, 3, max_iter=1000, tol=1e-12)
    for c in range(3):
        y = (labels == c).astype(float)
        a_inv = np.linalg.inv(alpha[c] * np.eye(d) + beta[c] * feats.T @ feats)
        m = beta[c] * a_inv @ feats.T @ y
        gamma = d - alpha[c] * np.trace(a_inv)
        assert alpha[c] == pytest.approx(gamma / (m @ m), rel=1e-6)
        assert beta[c] == pytest.approx((len(y) - gamma) / np.sum((y - feats @ m) ** 2), rel=1e-6)


def test_logme_maximises_evidence_locally() -> None:
    feats, labels = _data()
    evidence, alpha, beta = _logme_per_class(feats, labels, 3, max_iter=1000, tol=1e-12)
    y = (labels == 0).astype(float)
    best = _direct_log_evidence(feats, y, alpha[0], beta[0])
    for fa, fb in [(1.2, 1.0), (0.8, 1.0), (1.0, 1.2), (1.0, 0.8)]:
        assert _direct_log_evidence(feats, y, alpha[0] * fa, beta[0] * fb) < best


def test_logme_prefers_informative_features() -> None:
    rng = np.random.default_rng(1)
    labels = np.repeat(np.arange(3), 30)
    informative = np.eye(3)[labels] * 2 + 0.3 * rng.normal(size=(90, 3))
    noise = rng.normal(size=(90, 3))
    assert logme(features=informative, labels=labels) > logme(features=noise, labels=labels)


# ---- LEEP / NCE ----------------------------------------------------------------------------------------------


def _naive_leep(theta: np.ndarray, labels: np.ndarray) -> float:
    n, zs = theta.shape
    ys = sorted(set(labels.tolist()))
    joint = {(y, z): sum(theta[i, z] for i in range(n) if labels[i] == y) / n for y in ys for z in range(zs)}
    pz = {z: sum(joint[(y, z)] for y in ys) for z in range(zs)}
    total = 0.0
    for i in range(n):
        total += math.log(sum(joint[(labels[i], z)] / pz[z] * theta[i, z] for z in range(zs) if pz[z] > 0))
    return total / n


def test_leep_matches_naive_loops() -> None:
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(40, 5))
    theta = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    labels = rng.integers(0, 3, size=40)
    assert leep(source_probs=theta, labels=labels) == pytest.approx(_naive_leep(theta, labels), rel=1e-10)


def test_leep_is_zero_for_a_perfect_deterministic_source() -> None:
    theta = np.eye(3)[[0, 1, 2, 0, 1, 2]]
    assert leep(source_probs=theta, labels=np.array([7, 8, 9, 7, 8, 9])) == pytest.approx(0.0)


def _naive_nce(z: np.ndarray, y: np.ndarray) -> float:
    n = len(y)
    pair, pz = Counter(zip(z.tolist(), y.tolist())), Counter(z.tolist())
    return sum(c / n * math.log(c / pz[zz]) for (zz, _), c in pair.items())


def test_nce_matches_naive_counts_and_accepts_probabilities() -> None:
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(4), size=50)
    labels = rng.integers(0, 3, size=50)
    expected = _naive_nce(probs.argmax(axis=1), labels)
    assert nce(source_predictions=probs.argmax(axis=1), labels=labels) == pytest.approx(expected, rel=1e-12)
    assert nce(source_predictions=probs, labels=labels) == pytest.approx(expected, rel=1e-12)


def test_nce_closed_form_independent_labels() -> None:
    # Z independent of Y (every z sees each y equally often): NCE = -H(Y) = -log 2.
    z = np.array([0, 0, 1, 1, 2, 2])
    y = np.array([0, 1, 0, 1, 0, 1])
    assert nce(source_predictions=z, labels=y) == pytest.approx(-math.log(2))


# ---- H-score -------------------------------------------------------------------------------------------------


def _naive_h_score(f: np.ndarray, y: np.ndarray) -> float:
    g = np.zeros_like(f)
    for c in set(y.tolist()):
        g[y == c] = f[y == c].mean(axis=0)
    return float(np.trace(np.linalg.pinv(np.cov(f.T), rcond=1e-15) @ np.cov(g.T)))


def test_h_score_matches_naive() -> None:
    feats, labels = _data()
    assert h_score(features=feats, labels=labels) == pytest.approx(_naive_h_score(feats, labels), rel=1e-9)
    assert h_score(features=feats, labels=labels, shrinkage=0.0) == pytest.approx(_naive_h_score(feats, labels), rel=1e-9)


def test_h_score_shrinkage_formula_and_ledoit_wolf() -> None:
    from sklearn.covariance import ledoit_wolf_shrinkage

    feats, labels = _data()
    a = 0.3
    cov_f = np.cov(feats.T)
    g = np.zeros_like(feats)
    for c in range(3):
        g[labels == c] = feats[labels == c].mean(axis=0)
    shrunk = (1 - a) * cov_f + a * np.trace(cov_f) / cov_f.shape[0] * np.eye(cov_f.shape[0])
    expected = np.trace(np.linalg.inv(shrunk) @ ((1 - a) * np.cov(g.T)))
    assert h_score(features=feats, labels=labels, shrinkage=a) == pytest.approx(expected, rel=1e-9)
    lw = ledoit_wolf_shrinkage(feats)
    assert h_score(features=feats, labels=labels, shrinkage="ledoit-wolf") == pytest.approx(
        h_score(features=feats, labels=labels, shrinkage=lw), rel=1e-12
    )


def test_h_score_shrinkage_stays_finite_when_dimension_exceeds_items() -> None:
    feats, labels = _data(n=10, d=50)
    assert np.isfinite(h_score(features=feats, labels=labels, shrinkage="ledoit-wolf"))


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_h_score_is_invariant_to_invertible_linear_maps(seed: int) -> None:
    feats, labels = _data(seed=seed)
    rng = np.random.default_rng(seed)
    mix = rng.normal(size=(4, 4)) + 4 * np.eye(4)
    assert h_score(features=feats @ mix, labels=labels) == pytest.approx(h_score(features=feats, labels=labels), rel=1e-6)


# ---- TransRate -----------------------------------------------------------------------------------------------


def _naive_transrate(f: np.ndarray, y: np.ndarray, eps: float) -> float:
    def rate(z: np.ndarray) -> float:
        n, d = z.shape
        return 0.5 * math.log(np.linalg.det(np.eye(d) + z.T @ z / (n * eps)))

    z = f - f.mean(axis=0)
    classes = sorted(set(y.tolist()))
    return rate(z) - sum(rate(z[y == c]) for c in classes) / len(classes)


def test_transrate_matches_naive() -> None:
    feats, labels = _data()
    assert transrate(features=feats, labels=labels, eps=1e-2) == pytest.approx(
        _naive_transrate(feats, labels, 1e-2), rel=1e-9
    )


def test_transrate_closed_form_orthogonal_classes() -> None:
    # Class 0 is +-1 on axis 0, class 1 is +-1 on axis 1 (zero mean): R(Z) = log(1 + 1/(2 eps)),
    # each class R = 1/2 log(1 + 1/eps), so TrR = log(1 + 1/(2 eps)) - 1/2 log(1 + 1/eps).
    feats = np.array([[1.0, 0], [-1, 0], [0, 1], [0, -1]])
    eps = 0.1
    expected = math.log(1 + 1 / (2 * eps)) - 0.5 * math.log(1 + 1 / eps)
    assert transrate(features=feats, labels=np.array([0, 0, 1, 1]), eps=eps) == pytest.approx(expected)


# ---- shared invariants and errors ----------------------------------------------------------------------------


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_proxies_ignore_label_names_and_item_order(seed: int) -> None:
    feats, labels = _data(seed=seed)
    rng = np.random.default_rng(seed)
    probs = rng.dirichlet(np.ones(4), size=len(labels))
    renamed = np.array([10, 3, 7])[labels]
    order = rng.permutation(len(labels))
    for fn, kwargs in [
        (logme, {"features": feats}),
        (h_score, {"features": feats}),
        (transrate, {"features": feats}),
        (leep, {"source_probs": probs}),
        (nce, {"source_predictions": probs}),
    ]:
        base = fn(labels=labels, **kwargs)
        assert fn(labels=renamed, **kwargs) == pytest.approx(base, rel=1e-9, abs=1e-12)
        shuffled = {key: value[order] for key, value in kwargs.items()}
        assert fn(labels=labels[order], **shuffled) == pytest.approx(base, rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("fn", [logme, h_score, transrate])
def test_single_class_is_refused(fn) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="proxies are undefined for a single class"):
        fn(features=np.ones((5, 2)), labels=np.zeros(5, dtype=int))


def test_single_class_is_refused_by_head_proxies() -> None:
    probs = np.full((4, 2), 0.5)
    with pytest.raises(ValueError, match="undefined for a single class"):
        leep(source_probs=probs, labels=np.zeros(4, dtype=int))
    with pytest.raises(ValueError, match="undefined for a single class"):
        nce(source_predictions=np.zeros(4, dtype=int), labels=np.zeros(4, dtype=int))


def test_bad_inputs_have_exact_messages() -> None:
    feats, labels = _data()
    with pytest.raises(ValueError, match=r"Expected argument `labels` to have 60 items .* but got 59\."):
        logme(features=feats, labels=labels[:-1])
    with pytest.raises(ValueError, match=r"Expected argument `features` to have 2 dimensions \(N, D\), but got shape \(60,\)\."):
        logme(features=feats[:, 0], labels=labels)
    with pytest.raises(TypeError, match=r"Expected argument `labels` to hold integers, but got dtype float64\."):
        h_score(features=feats, labels=labels.astype(float))
    with pytest.raises(ValueError, match=r"`source_probs` to have rows summing to 1 \(apply a softmax"):
        leep(source_probs=np.ones((4, 2)), labels=np.array([0, 1, 0, 1]))
    with pytest.raises(ValueError, match=r"`shrinkage` to be None, a float in \[0, 1\] or 'ledoit-wolf', but got 1\.5\."):
        h_score(features=feats, labels=labels, shrinkage=1.5)
    with pytest.raises(ValueError, match=r"`eps` to be a positive number, but got 0\."):
        transrate(features=feats, labels=labels, eps=0)
    with pytest.raises(ValueError, match="to be finite"):
        logme(features=np.full((4, 2), np.nan), labels=np.array([0, 1, 0, 1]))
