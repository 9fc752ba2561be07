"""Relearn (ANT): freeze one set, re-initialise another and learn it again."""

from __future__ import annotations

import optuna
import pytest
import torch
from torch import nn

from mitigate.session import TransferSession
from mitigate.strategies import RELEARN_PRESETS, Relearn
from mitigate.testing import TinyMLP, TinyTagger, check_strategy, run_transfer, tiny_mlp_batches, tiny_tagger_batches

torch.set_num_threads(1)


def test_keep_fe_preset_freezes_fe_and_reinitialises_chars_and_head() -> None:
    model = TinyTagger()
    start = {n: p.detach().clone() for n, p in model.named_parameters()}
    with TransferSession(model=model, optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
                         strategies=[Relearn.preset("keep-fe", seed=3)]):
        changed = {n for n, p in model.named_parameters() if not torch.equal(start[n], p)}
        frozen = {n for n, p in model.named_parameters() if not p.requires_grad}
    assert {n.split(".")[0] for n in frozen} == {"fe"}
    assert {n.rsplit(".", 1)[0] for n in changed} == {"wre.char_emb", "wre.char_lstm", "classifier"}


def test_frozen_part_survives_training_and_reinit_is_reproducible() -> None:
    models = [TinyTagger(), TinyTagger()]
    for model in models:
        fe = {n: p.detach().clone() for n, p in model.fe.named_parameters()}
        run_transfer(model, [Relearn(freeze=["fe"], reinit=["classifier"], init="xavier_uniform", seed=7)],
                     tiny_tagger_batches(), epochs=2)
        assert all(torch.equal(fe[n], p) for n, p in model.fe.named_parameters())
    assert torch.equal(models[0].classifier.weight, models[1].classifier.weight)


@pytest.mark.parametrize("init", ["default", "xavier_uniform", "kaiming_uniform", "orthogonal", "normal"])
def test_every_initialiser_resets_weights_and_zeroes_biases(init: str) -> None:
    model = TinyMLP()
    before = model.head.weight.detach().clone()
    with TransferSession(model=model, optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
                         strategies=[Relearn(reinit=["head"], init=init, seed=0)]):
        assert not torch.equal(before, model.head.weight)
        if init != "default":
            assert torch.count_nonzero(model.head.bias) == 0


def test_callable_initialiser_and_generic_model() -> None:
    check_strategy(lambda: Relearn(freeze=["layers"], reinit=["head"], init=lambda m: nn.init.ones_(m.weight)),
                   model_factory=TinyMLP, batches=tiny_mlp_batches())


def test_resumed_state_does_not_reinitialise_again() -> None:
    strategy = Relearn(reinit=["classifier"], seed=0)
    strategy.load_state_dict({"done": True})
    model = TinyTagger()
    before = model.classifier.weight.detach().clone()
    with TransferSession(model=model, optimizer=torch.optim.SGD(model.parameters(), lr=0.1), strategies=[strategy]):
        assert torch.equal(before, model.classifier.weight)


def test_presets_name_modules_of_the_reference_tagger() -> None:
    models = pytest.importorskip("mitigate.models")
    vocab = models.TaggerVocab.build([(("The", "cat"), ("DT", "NN"))])
    for name in RELEARN_PRESETS:
        model = models.BiLSTMTagger(vocab=vocab, config=models.TaggerConfig.preset("tiny"))
        with TransferSession(model=model, optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
                             strategies=[Relearn.preset(name)]):
            assert any(p.requires_grad for p in model.parameters())


def test_relearn_argument_errors() -> None:
    with pytest.raises(ValueError, match=r"Expected argument `init` to be one of \[.*\] or a callable, but got 'he'"):
        Relearn(reinit=["head"], init="he")
    with pytest.raises(ValueError, match="Expected argument `reinit` to name at least one module, but got an empty list"):
        Relearn(reinit=[])
    with pytest.raises(ValueError, match=r"Expected argument `name` to be one of \[.*\], but got 'ant'"):
        Relearn.preset("ant")


def test_suggest_picks_a_preset() -> None:
    trial = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0)).ask()
    strategy = Relearn.suggest(trial, prefix="r_", seed=1)
    assert trial.params["r_preset"] in RELEARN_PRESETS and strategy.seed == 1
