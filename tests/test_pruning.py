"""``PruneBiasedUnits`` in a ``TransferSession``: masks hold through fine-tuning, controls, report, tagger, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from torch import nn

from mitigate.session import TransferSession
from mitigate.strategies.pruning import PruneBiasedUnits

torch.set_num_threads(1)


def _setup() -> tuple[nn.Module, list, list]:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 10), nn.Tanh(), nn.Linear(10, 3))
    xs, xt = torch.randn(32, 4), torch.randn(32, 4)
    xt[:, 3] = 0.0
    source = [(xs, (xs[:, 3] > 0).long())]
    target = [(xt, (xt[:, 0] > 0).long() + (xt[:, 1] > 0).long())]
    return model, source, target


def _fine_tune(model: nn.Module, strategy: PruneBiasedUnits, data: list, steps: int = 5) -> None:
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.05, weight_decay=0.1)
    with TransferSession(model=model, optimizer=optimizer, strategies=[strategy]) as session:
        for step in range(steps):
            session.epoch_start(step)
            for x, y in data:
                loss = nn.functional.cross_entropy(model(x), y) + session.extra_loss()
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            session.epoch_end(step, dev_score=None)


def test_masked_units_stay_zero_through_fine_tuning() -> None:
    model, source, target = _setup()
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    strategy = PruneBiasedUnits(layers="0", consumers={"0": "2"}, source_batches=source, target_batches=target,
                                head="2", k=30, probe_steps=10)
    _fine_tune(model, strategy, target)
    units = strategy.selected["0"]
    assert units.numel() == 3
    assert float(model[0].weight.detach()[units].abs().sum()) == 0.0
    assert float(model[0].bias.detach()[units].abs().sum()) == 0.0
    assert float(model[2].weight.detach()[:, units].abs().sum()) == 0.0
    keep = torch.tensor([u for u in range(10) if u not in units.tolist()])
    assert bool((model[0].weight.detach()[keep] != before["0.weight"][keep]).all())  # the rest learned
    assert bool((model(target[0][0])[:, :].detach().isfinite()).all())


def test_biased_selection_finds_the_source_only_input_units() -> None:
    model, source, target = _setup()
    with torch.no_grad():
        model[0].weight[:, 3] = 0.0
        model[0].weight[[2, 7], 3] = 3.0  # units 2 and 7 also read the source-only feature
    strategy = PruneBiasedUnits(layers="0", source_batches=source, target_batches=target, head="2", k=20,
                                method="activation", probe_steps=10)
    assert sorted(strategy.prune(model)["0"].tolist()) == [2, 7]


def test_random_control_prunes_as_many_units_reproducibly() -> None:
    model, source, target = _setup()
    biased = PruneBiasedUnits(layers="0", source_batches=source, target_batches=target, k=30, probe_steps=5)
    biased.prune(model)
    counts = []
    for _ in range(2):
        model, _, _ = _setup()
        control = PruneBiasedUnits(layers="0", k=30, selection="random", seed=4)  # no data needed
        counts.append(control.prune(model)["0"].tolist())
    assert counts[0] == counts[1] and len(counts[0]) == biased.selected["0"].numel()
    by_threshold = PruneBiasedUnits(layers="0", source_batches=source, target_batches=target, threshold=0.5,
                                    selection="random", probe_steps=5)
    model, _, _ = _setup()
    biased_threshold = PruneBiasedUnits(layers="0", source_batches=source, target_batches=target, threshold=0.5,
                                        probe_steps=5)
    assert by_threshold.prune(model)["0"].numel() == biased_threshold.prune(_setup()[0])["0"].numel()


def test_reinit_changes_selected_units_only() -> None:
    model, source, target = _setup()
    before = model[0].weight.detach().clone()
    strategy = PruneBiasedUnits(layers="0", source_batches=source, target_batches=target, k=20, mode="reinit",
                                probe_steps=5)
    units = strategy.prune(model)["0"]
    keep = [u for u in range(10) if u not in units.tolist()]
    assert bool((model[0].weight.detach()[units] != before[units]).all())
    assert torch.equal(model[0].weight.detach()[keep], before[keep])


def test_state_dict_round_trip_resumes_without_scoring() -> None:
    model, source, target = _setup()
    strategy = PruneBiasedUnits(layers="0", source_batches=source, target_batches=target, k=20, probe_steps=5)
    strategy.prune(model)
    state = json.loads(json.dumps(strategy.state_dict()))
    resumed = PruneBiasedUnits(layers="0", k=20)  # no data: the loaded selection is used as is
    resumed.load_state_dict(state)
    fresh, _, _ = _setup()
    assert resumed.prune(fresh)["0"].tolist() == strategy.selected["0"].tolist()
    torch.testing.assert_close(resumed.scores["0"], strategy.scores["0"])


def test_harm_term_and_report(tmp_path: Path) -> None:
    model, source, target = _setup()
    falsified = torch.zeros(32, dtype=torch.bool)
    falsified[:5] = True
    strategy = PruneBiasedUnits(layers="0", source_batches=source, target_batches=target, head="2", k=20,
                                falsified=falsified, probe_steps=5, source_labels=["neg", "pos"],
                                target_labels=lambda m: ["a", "b", "c"], report_path=tmp_path / "report")
    strategy.prune(model)
    report = json.loads((tmp_path / "report.json").read_text())["layers"][0]
    assert (tmp_path / "report.png").stat().st_size > 1000
    assert report["pruned"] == strategy.selected["0"].tolist() and len(report["bias"]) == 10
    assert report["harm_importance"] is not None
    assert {name for name, _ in report["units"][0]["top_source_labels"]} <= {"neg", "pos"}
    assert {name for name, _ in report["units"][0]["top_target_labels"]} <= {"a", "b", "c"}
    no_harm = PruneBiasedUnits(layers="0", source_batches=source, target_batches=target, head="2", k=20, probe_steps=5)
    no_harm.prune(_setup()[0])
    assert not torch.allclose(no_harm.scores["0"], strategy.scores["0"])
    with pytest.raises(ValueError, match="bool mask over the 32 labelled target items, but got 3 entries"):
        PruneBiasedUnits(layers="0", source_batches=source, target_batches=target, falsified=torch.zeros(3, dtype=torch.bool),
                         probe_steps=5).prune(_setup()[0])


def test_tagger_fe_units_pruned_through_training() -> None:
    from mitigate.models import BiLSTMTagger, TaggerConfig, TaggerVocab, TrainConfig, train_tagger, transfer_model

    sentences = [(("The", "cat", "sat", "."), ("DT", "NN", "VBD", ".")), (("A", "dog", "ran", "."), ("DT", "NN", "VBD", "."))] * 3
    tweets = [(("lol", "the", "cat"), ("!", "D", "N")), (("ur", "dog", "ran"), ("D", "N", "V"))] * 3
    torch.manual_seed(0)
    source = BiLSTMTagger(vocab=TaggerVocab.build(sentences), config=TaggerConfig.preset("tiny"))
    target = transfer_model(source, target_sentences=tweets, seed=0)

    def batches(data: list) -> object:
        def make(model: nn.Module) -> list:
            words, chars = model.vocab.encode_tokens([t for t, _ in data])
            return [((words, chars), model.vocab.encode_tags([g for _, g in data]))]
        return make

    strategy = PruneBiasedUnits(
        layers="fe", consumers={"fe": "classifier"}, head="classifier", scale_at="wre", method="conductance",
        n_steps=4, k=25, source_model=source, source_batches=batches(sentences), target_batches=batches(tweets),
        probe_steps=10, source_labels=lambda m: m.vocab.tags.to_list(), target_labels=lambda m: m.vocab.tags.to_list(),
    )
    train_tagger(target, train=tweets, dev=tweets, config=TrainConfig(max_epochs=2), strategies=[strategy])
    units = strategy.selected["fe"]
    assert units.numel() == 8  # 25% of 2 x 16
    words, chars = target.vocab.encode_tokens([t for t, _ in tweets])
    target.eval()
    with torch.no_grad():
        features = target.features(words, chars)
    assert float(features[..., units].abs().sum()) == 0.0
    assert float(features.abs().sum()) > 0.0
    assert strategy.reports[0].units[0]["top_target_labels"][0][0] in {"!", "D", "N", "V"}


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match=r"Expected argument `k` to be in \(0, 100\), but got 0"):
        PruneBiasedUnits(layers="0", k=0)
    with pytest.raises(ValueError, match=r"Expected argument `k` to be in \(0, 100\), but got 100"):
        PruneBiasedUnits(layers="0", k=100)
    with pytest.raises(ValueError, match="Expected argument `mode` to be 'mask' or 'reinit', but got 'drop'"):
        PruneBiasedUnits(layers="0", mode="drop")
    with pytest.raises(ValueError, match="Expected argument `selection` to be 'bias' or 'random'"):
        PruneBiasedUnits(layers="0", selection="worst")
    with pytest.raises(TypeError, match="Expected argument `layers` to be a module name or a non-empty list"):
        PruneBiasedUnits(layers=[])
    with pytest.raises(ValueError, match=r"keys of `consumers` to be among `layers` \['0'\], but got \['1'\]"):
        PruneBiasedUnits(layers="0", consumers={"1": "2"})
    model, _, _ = _setup()
    with pytest.raises(ValueError, match="Expected arguments `source_batches` and `target_batches` to score units"):
        PruneBiasedUnits(layers="0").prune(model)
    with pytest.raises(ValueError, match=r"but got '00'. Closest candidates: '0'"):
        PruneBiasedUnits(layers="00", selection="random").prune(model)
    assert PruneBiasedUnits(layers=["0", "2"]).claims() == frozenset({"units:0", "units:2"})


def test_suggest_builds_from_a_trial() -> None:
    import optuna

    trial = optuna.trial.FixedTrial({"p_k": 5.0, "p_mode": "reinit"})
    strategy = PruneBiasedUnits.suggest(trial, prefix="p_", layers="0", selection="random")
    assert (strategy.k, strategy.mode) == (5.0, "reinit")
    with pytest.raises(TypeError, match="Expected keyword argument `layers`"):
        PruneBiasedUnits.suggest(trial, prefix="p_")
