"""The discriminator gate: source items unlike the target (wrong labels) are down-weighted and reported."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from mitigate.gating import DensityRatioWeighting, train_jointly

torch.set_num_threads(1)


def _data(n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.randn(n, 4, generator=generator)
    return x, (x[:, 0] + 0.5 * x[:, 1] > 0).long()


def _net() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2))


def test_source_items_with_flipped_labels_are_down_weighted_and_target_accuracy_improves() -> None:
    generator = torch.Generator().manual_seed(0)
    xt, yt = _data(64, generator)
    xv, yv = _data(1000, generator)
    xs, ys = _data(512, generator)
    flipped = torch.arange(512) % 2 == 1  # half the source examples carry the wrong label
    ys = torch.where(flipped, 1 - ys, ys)
    ids = torch.arange(512)
    source = [(xs[i : i + 32], ys[i : i + 32], ids[i : i + 32]) for i in range(0, 512, 32)]
    target = [(xt[i : i + 16], yt[i : i + 16]) for i in range(0, 64, 16)]

    accuracies = {}
    for weighted in (False, True):
        model = _net()
        gate = DensityRatioWeighting(feature_dim=16, n_labels=2, lr=1e-2) if weighted else None
        train_jointly(model=model, source_batches=source, target_batches=target, feature_module="1", weighting=gate,
                      epochs=40, lr=1e-2, warmup_steps=20)
        with torch.no_grad():
            accuracies[weighted] = float((model(xv).argmax(-1) == yv).float().mean())
    mean = gate.mean_weights()  # type: ignore[union-attr]
    weights = np.array([mean[i] for i in range(512)])
    assert weights[flipped.numpy()].mean() < 0.3 < 1.5 < weights[~flipped.numpy()].mean()  # measured 0.14 vs 1.83
    down = gate.down_weighted(threshold=0.5)  # type: ignore[union-attr]
    assert np.mean([bool(flipped[i]) for i, _ in down]) > 0.8  # measured 0.89
    assert [w for _, w in down] == sorted(w for _, w in down)
    assert accuracies[True] > accuracies[False]  # measured 0.965 vs 0.871


def test_weights_are_normalised_clipped_and_ignore_padding() -> None:
    torch.manual_seed(0)
    gate = DensityRatioWeighting(feature_dim=3, n_labels=3, max_weight=2.0)
    with torch.no_grad():
        gate.discriminator[2].bias.fill_(0.0)
    features = torch.randn(2, 4, 3)
    labels = torch.tensor([[0, 1, 2, -100], [2, 1, -100, -100]])
    weights = gate.weights(source_features=features, source_labels=labels)
    valid = labels.reshape(-1) >= 0
    assert weights.shape == (8,)
    assert torch.all(weights[~valid] == 0)
    assert float(weights.max()) <= 2.0
    unclipped = DensityRatioWeighting(feature_dim=3, n_labels=3, max_weight=1e9)
    unclipped.load_state_dict(gate.state_dict())
    assert float(unclipped.weights(source_features=features, source_labels=labels)[valid].mean()) == pytest.approx(1.0)


def test_record_skips_padding_and_averages_per_id() -> None:
    gate = DensityRatioWeighting(feature_dim=1, n_labels=2)
    gate.record([0, 0, 1, 1], torch.tensor([1.0, 3.0, 0.2, 9.0]), labels=torch.tensor([1, 0, 1, -100]))
    assert gate.mean_weights() == {0: 2.0, 1: pytest.approx(0.2)}
    assert gate.down_weighted(threshold=0.5) == [(1, pytest.approx(0.2))]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"feature_dim": 0}, r"Expected argument `feature_dim` to be an int > 0, but got 0\."),
        ({"max_weight": -1.0}, r"Expected argument `max_weight` to be a float > 0, but got -1.0\."),
    ],
)
def test_bad_arguments(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DensityRatioWeighting(**{"feature_dim": 2, "n_labels": 2, **kwargs})


def test_bad_inputs() -> None:
    gate = DensityRatioWeighting(feature_dim=2, n_labels=2)
    with pytest.raises(ValueError, match=r"Expected argument `source_features` to have shape source_labels.shape \+ \(D,\) "
                                         r"= \(3,\) \+ \(D,\), but got \(4, 2\)"):
        gate.weights(source_features=torch.zeros(4, 2), source_labels=torch.zeros(3, dtype=torch.long))
    with pytest.raises(ValueError, match=r"Expected argument `target_labels` to be < n_labels=2, but got 5"):
        gate.update(source_features=torch.zeros(1, 2), source_labels=torch.zeros(1, dtype=torch.long),
                    target_features=torch.zeros(1, 2), target_labels=torch.tensor([5]))
    net = _net()
    with pytest.raises(ValueError, match=r"Expected argument `feature_module` to name a submodule of the model, but got 'x'"):
        train_jointly(model=net, source_batches=[(torch.zeros(1, 4), torch.zeros(1, dtype=torch.long))],
                      target_batches=[(torch.zeros(1, 4), torch.zeros(1, dtype=torch.long))], feature_module="x")
    with pytest.raises(TypeError, match=r"Expected source batches as \(inputs, labels\) or \(inputs, labels, ids\), but batch 0 "
                                        r"is tuple of length 1"):
        train_jointly(model=net, source_batches=[(torch.zeros(1, 4),)],
                      target_batches=[(torch.zeros(1, 4), torch.zeros(1, dtype=torch.long))], feature_module="1")


def test_discriminator_gate_strategy_in_a_session() -> None:
    from mitigate.strategies.gating import DiscriminatorGate
    from mitigate.testing import TinyTagger, check_strategy, run_transfer, tiny_tagger_batches

    check_strategy(lambda: DiscriminatorGate.example(model=TinyTagger(), batches=tiny_tagger_batches()))
    generator = torch.Generator().manual_seed(0)
    xt, yt = _data(64, generator)
    xs, ys = _data(512, generator)
    flipped = torch.arange(512) % 2 == 1
    ys = torch.where(flipped, 1 - ys, ys)
    source = [(xs[i : i + 32], ys[i : i + 32], torch.arange(i, i + 32)) for i in range(0, 512, 32)]
    target = [(xt[i : i + 16], yt[i : i + 16]) for i in range(0, 64, 16)]
    strategy = DiscriminatorGate(source_batches=source, target_batches=target, feature_module="1", warmup_steps=40,
                                 lr=1e-2)
    model = _net()
    run_transfer(model, [strategy], target, epochs=40, optimizer=torch.optim.Adam(model.parameters(), lr=1e-2))
    assert strategy.steps == 160
    mean = strategy.weighting.mean_weights()  # type: ignore[union-attr]
    weights = np.array([mean[i] for i in range(512)])
    assert weights[flipped.numpy()].mean() < 0.5 < 1.0 < weights[~flipped.numpy()].mean()
    with pytest.raises(ValueError, match=r"Expected argument `source_batches` to be a non-empty sequence of batches, but got \[\]"):
        DiscriminatorGate(source_batches=[], target_batches=target)


def test_unweighted_discriminator_gate_is_plain_joint_training() -> None:
    from mitigate.session import TransferSession
    from mitigate.strategies.gating import DiscriminatorGate
    from mitigate.testing import check_strategy, run_transfer, tiny_tagger_batches

    check_strategy(lambda: DiscriminatorGate(source_batches=tiny_tagger_batches(seed=1), target_batches=tiny_tagger_batches(),
                                             weighted=False))
    generator = torch.Generator().manual_seed(0)
    xs, ys = _data(64, generator)
    source = [(xs[i : i + 16], ys[i : i + 16]) for i in range(0, 64, 16)]
    target = source[:2]
    model = _net()
    strategy = DiscriminatorGate(source_batches=source, target_batches=target, feature_module="1", weighted=False)
    run_transfer(model, [strategy], target, epochs=2, optimizer=torch.optim.Adam(model.parameters(), lr=1e-2))
    assert strategy.steps == 4 and strategy.weighting is None  # no discriminator was built
    fresh = DiscriminatorGate(source_batches=source[1:], target_batches=target, feature_module="1", weighted=False)
    with TransferSession(model=model, optimizer=torch.optim.SGD(model.parameters(), lr=0.0), strategies=[fresh]) as session:
        term = session.extra_loss()  # the plain mean cross-entropy of the next source batch
    with torch.no_grad():
        assert torch.allclose(term, nn.functional.cross_entropy(model(source[1][0]), source[1][1]))
    with pytest.raises(TypeError, match="Expected argument `weighted` to be a bool, but got int"):
        DiscriminatorGate(source_batches=source, target_batches=target, weighted=1)  # type: ignore[arg-type]
