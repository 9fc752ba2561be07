"""SelectPretrainingState inside a TransferSession, and the strategy contract suite."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import optuna
import pytest
import torch

from mitigate.selection import FeatureProbe, FineTuneOutcome, PretrainingStateRecorder
from mitigate.session import TransferSession
from mitigate.strategies.selection import SelectPretrainingState
from mitigate.testing import TinyTagger, check_strategy, tiny_tagger_batches


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    model = TinyTagger()
    recorder = PretrainingStateRecorder(model=model, directory=tmp_path)
    for epoch, dev in enumerate([0.4, 0.7, 0.6]):
        with torch.no_grad():
            model.fe.weight_ih_l0.fill_(float(epoch))
        recorder(epoch, dev)
    return tmp_path


def test_contract_proxy_mode(folder: Path) -> None:
    check_strategy(lambda: SelectPretrainingState(states=folder, mode="proxy", proxy="source_dev"))


def test_contract_halving_mode_with_a_probe(folder: Path) -> None:
    scratch = np.ones(20, dtype=bool)

    def fine_tune(state, epochs):
        correct = scratch.copy()
        correct[: 3 - state.epoch] = False
        return FineTuneOutcome(correct=correct, epochs=epochs)

    probe = FeatureProbe(model=TinyTagger(), batches=tiny_tagger_batches(n=2, seed=3), module="fe_out")
    check_strategy(lambda: SelectPretrainingState(
        states=folder, mode="halving", proxy="logme", probe=probe, keep=2, max_epochs=2,
        fine_tune=fine_tune, scratch_correct=scratch))


def test_before_transfer_loads_the_chosen_state_and_updates_pretrained_state(folder: Path) -> None:
    model = TinyTagger(n_words=15, n_tags=6, seed=5)  # target: grown vocabulary, new head
    head = model.classifier.weight.detach().clone()
    strategy = SelectPretrainingState(states=folder, mode="proxy", proxy="source_dev", exclude=["classifier.*"])
    session = TransferSession(model=model, optimizer=torch.optim.SGD(model.parameters(), lr=0.0), strategies=[strategy])
    with session:
        assert torch.all(model.fe.weight_ih_l0 == 1.0)  # epoch_001 had the best source dev score
        assert torch.all(session.context.pretrained_state["fe.weight_ih_l0"] == 1.0)
        assert torch.equal(model.classifier.weight, head)
    assert strategy.result.chosen == "epoch_001" and "classifier.weight" not in strategy.loaded
    assert "wre.word_emb.weight" in strategy.loaded


def test_state_dict_round_trip_skips_a_second_selection(folder: Path) -> None:
    calls: list[str] = []

    def fine_tune(state, epochs):
        calls.append(state.name)
        return np.array([state.epoch == 2] * 4)

    def make() -> SelectPretrainingState:
        return SelectPretrainingState(states=folder, mode="oracle", fine_tune=fine_tune,
                                      scratch_correct=np.zeros(4, dtype=bool), max_epochs=3)

    first = make()
    assert first.select().chosen == "epoch_002" and len(calls) == 3
    assert first.result.cost.fine_tune_epochs == 9
    resumed = make()
    resumed.load_state_dict(first.state_dict())
    assert resumed.chosen_state.name == "epoch_002" and len(calls) == 3


def test_suggest_searches_over_states(folder: Path) -> None:
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    trial = study.ask()
    strategy = SelectPretrainingState.suggest(trial, prefix="s.", states=folder)
    assert strategy.select().chosen == trial.params["s.state"]
    assert trial.distributions["s.state"].choices == ("epoch_000", "epoch_001", "epoch_002")
    with pytest.raises(TypeError, match="needs `states=`"):
        SelectPretrainingState.suggest(study.ask())


def test_construction_errors(folder: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"`mode` to be one of \['oracle', 'proxy', 'halving', 'fixed'\], but got 'x'\."):
        SelectPretrainingState(states=folder, mode="x")
    with pytest.raises(ValueError, match="No pretraining states found"):
        SelectPretrainingState(states=tmp_path / "nothing")
    with pytest.raises(ValueError, match=r"does not fit the model .*keys missing from the state"):
        model = torch.nn.Linear(2, 2)
        strategy = SelectPretrainingState(states=folder, mode="fixed", state=0)
        with TransferSession(model=model, optimizer=torch.optim.SGD(model.parameters(), lr=0.1), strategies=[strategy]):
            pass
