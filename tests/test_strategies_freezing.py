"""The freezing family: FreezeModules, GradualUnfreezing, LayerwiseLRDecay, L2SP, BSS."""

from __future__ import annotations

import optuna
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from mitigate.session import TransferSession
from mitigate.strategies import BSS, L2SP, FreezeModules, GradualUnfreezing, LayerwiseLRDecay
from mitigate.testing import TinyMLP, TinyTagger, check_strategy, run_transfer, tiny_mlp_batches, tiny_tagger_batches

torch.set_num_threads(1)


def _trial() -> optuna.Trial:
    return optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0)).ask()


def test_freeze_first_k_keeps_those_weights_and_trains_the_rest() -> None:
    model = TinyTagger()
    wre = {n: p.detach().clone() for n, p in model.wre.named_parameters()}
    head = model.classifier.weight.detach().clone()
    run_transfer(model, [FreezeModules(first_k=1)], tiny_tagger_batches(), epochs=2)
    assert all(torch.equal(wre[n], p) for n, p in model.wre.named_parameters())
    assert not torch.equal(head, model.classifier.weight)


def test_freeze_by_glob_on_parameters() -> None:
    model = TinyTagger()
    with TransferSession(model=model, optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
                         strategies=[FreezeModules(patterns=["*.bias*"])]) as session:
        frozen = [n for n, p in model.named_parameters() if not p.requires_grad]
    assert frozen and all("bias" in n for n in frozen)
    assert session.strategies[0].frozen == frozen


def test_freeze_argument_errors() -> None:
    with pytest.raises(ValueError, match=r"Expected argument `first_k` to be an int >= 1 or None, but got 0"):
        FreezeModules(first_k=0)
    with pytest.raises(TypeError, match=r"Expected argument `patterns` to hold non-empty strings, but got 3"):
        FreezeModules(patterns=[3])  # type: ignore[list-item]


def test_freeze_contract_on_mlp_with_batchnorm() -> None:
    check_strategy(lambda: FreezeModules(patterns=["layers"]), model_factory=TinyMLP, batches=tiny_mlp_batches())


def test_gradual_unfreezing_schedule_every_two_epochs() -> None:
    model = TinyTagger()
    trained: list[list[str]] = []
    with TransferSession(model=model, optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
                         strategies=[GradualUnfreezing(every=2)]) as session:
        for epoch in range(6):
            session.epoch_start(epoch)
            trained.append([n for n, c in model.named_children() if any(p.requires_grad for p in c.parameters())])
    assert trained == [["classifier"], ["classifier"], ["fe", "classifier"], ["fe", "classifier"],
                       ["wre", "fe", "classifier"], ["wre", "fe", "classifier"]]


def test_gradual_unfreezing_needs_two_layers() -> None:
    with pytest.raises(ValueError, match=r"Expected argument `layers` to name at least 2 layers, but got \['fe'\]"):
        GradualUnfreezing(layers=["fe"])


@settings(max_examples=20, deadline=None)
@given(st.floats(min_value=0.05, max_value=1.0), st.floats(min_value=1e-4, max_value=1.0))
def test_lr_decay_gives_lr_times_decay_to_the_depth(decay: float, lr: float) -> None:
    model = TinyTagger()
    strategy = LayerwiseLRDecay(decay=decay)
    with TransferSession(model=model, optimizer=torch.optim.SGD(model.parameters(), lr=lr), strategies=[strategy]):
        pass
    rates = strategy.learning_rates
    assert rates["classifier.weight"] == pytest.approx(lr)
    assert rates["fe.weight_hh_l0"] == pytest.approx(lr * decay)
    assert rates["wre.char_lstm.weight_ih_l0"] == pytest.approx(lr * decay**2)
    assert len(rates) == len(list(model.parameters()))


def test_l2sp_penalty_matches_formula_and_pulls_toward_pretrained() -> None:
    model = TinyMLP()
    strategy = L2SP(alpha=2.0, beta=0.5, new_modules=["head"])
    with TransferSession(model=model, optimizer=torch.optim.SGD(model.parameters(), lr=0.1), strategies=[strategy]) as session:
        assert float(session.extra_loss().detach()) == pytest.approx(0.25 * sum(float(p.detach().pow(2).sum()) for p in model.head.parameters()))
        with torch.no_grad():
            model.layers[0].weight.add_(0.1)
        expected = 0.5 * 2.0 * 0.01 * model.layers[0].weight.numel() + 0.25 * sum(
            float(p.detach().pow(2).sum()) for p in model.head.parameters()
        )
        assert float(session.extra_loss().detach()) == pytest.approx(expected, rel=1e-5)


def test_l2sp_keeps_weights_closer_than_plain_fine_tuning() -> None:
    def distance(strategies: list) -> float:  # type: ignore[type-arg]
        model = TinyTagger()
        start = {n: p.detach().clone() for n, p in model.named_parameters()}
        run_transfer(model, strategies, tiny_tagger_batches(n=3), epochs=4)
        return sum(float((p.detach() - start[n]).pow(2).sum()) for n, p in model.named_parameters())

    assert distance([L2SP(alpha=5.0)]) < distance([])


def test_bss_penalty_is_eta_times_smallest_squared_singular_values() -> None:
    model = TinyTagger()
    strategy = BSS(module="fe_out", k=2, eta=0.5)
    captured = []
    with TransferSession(model=model, optimizer=torch.optim.SGD(model.parameters(), lr=0.1), strategies=[strategy]) as session:
        session.context.register_forward_hook("fe_out", lambda m, a, out: captured.append(out.detach()))
        model.train()
        model(*tiny_tagger_batches(n=1)[0][0])
        penalty = float(session.extra_loss().detach())
        assert session.strategies[0]._features is None  # consumed
    singular = torch.linalg.svdvals(captured[0].reshape(-1, captured[0].shape[-1]))
    assert penalty == pytest.approx(0.5 * float(singular[-2:].pow(2).sum()), rel=1e-5)


def test_bss_argument_errors() -> None:
    with pytest.raises(ValueError, match=r"Expected argument `eta` to be a float >= 0, but got -0.1"):
        BSS(module="fe_out", eta=-0.1)


@pytest.mark.parametrize("cls", [FreezeModules, GradualUnfreezing, LayerwiseLRDecay, L2SP, BSS])
def test_suggest_builds_an_instance_from_a_trial(cls) -> None:  # type: ignore[no-untyped-def]
    trial = _trial()
    strategy = cls.suggest(trial, prefix="x_")
    assert isinstance(strategy, cls)
    assert trial.params and all(key.startswith("x_") for key in trial.params)


def test_gradual_unfreezing_keeps_what_earlier_strategies_froze() -> None:
    model = TinyTagger()
    with TransferSession(model=model, optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
                         strategies=[FreezeModules(patterns=["wre.char_lstm"]), GradualUnfreezing(every=1)]) as session:
        for epoch in range(3):
            session.epoch_start(epoch)
        assert model.wre.word_emb.weight.requires_grad
        assert not any(p.requires_grad for p in model.wre.char_lstm.parameters())
    assert all(p.requires_grad for p in model.parameters())
