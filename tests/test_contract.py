"""Every registered strategy passes the contract suite; the suite itself catches broken strategies."""

from __future__ import annotations

import pytest
import torch

from mitigate import strategies
from mitigate.session import Strategy
from mitigate.testing import ContractViolation, TinyTagger, check_strategy, tiny_tagger_batches

torch.set_num_threads(1)


@pytest.mark.parametrize("name", strategies.available())
def test_registered_strategy_passes_contract(name: str) -> None:
    cls = strategies.get(name)

    def model_factory() -> torch.nn.Module:
        return cls.example_model() or TinyTagger()

    check_strategy(lambda: cls.example(model=model_factory(), batches=tiny_tagger_batches()), model_factory=model_factory)


class _LeavesFrozen(Strategy):
    name = "leaves_frozen"

    def before_transfer(self, ctx):  # type: ignore[no-untyped-def]
        ctx.model.classifier.bias.requires_grad_(False)  # behind the context's back: not undone


class _KeepsHook(Strategy):
    name = "keeps_hook"

    def before_transfer(self, ctx):  # type: ignore[no-untyped-def]
        ctx.model.fe_out.register_forward_hook(lambda m, a, o: None)


class _BadState(Strategy):
    name = "bad_state"

    def __init__(self) -> None:
        self.count = 0

    def after_step(self, ctx):  # type: ignore[no-untyped-def]
        self.count += 1

    def state_dict(self):  # type: ignore[no-untyped-def]
        return {"count": self.count}  # load_state_dict is not overridden: state is lost


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (_LeavesFrozen, r"did not undo its changes: requires_grad changed for \['classifier.bias'\]"),
        (_KeepsHook, r"did not undo its changes: hooks changed for \['fe_out'\]"),
        (_BadState, r"load_state_dict\(state_dict\(\)\) gave \{'count': 0\}, expected \{'count': 6\}"),
    ],
)
def test_contract_catches_broken_strategies(factory, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ContractViolation, match=message):
        check_strategy(factory)


def test_registry_errors_and_registration() -> None:
    with pytest.raises(ValueError, match=r"Expected argument `name` to be one of .*, but got 'l2-sp'\. Did you mean 'l2sp'\?"):
        strategies.get("l2-sp")
    with pytest.raises(ValueError, match=r"Expected a new strategy name, but 'l2sp' is already registered"):

        class Clash(Strategy):
            name = "l2sp"

        strategies.register(Clash)
    with pytest.raises(TypeError, match="Expected argument `cls` to be a Strategy subclass"):
        strategies.register(int)  # type: ignore[arg-type]


def test_check_strategy_argument_errors() -> None:
    with pytest.raises(TypeError, match="Expected argument `strategy_factory` to return a Strategy, but it returned int"):
        check_strategy(lambda: 3)  # type: ignore[arg-type,return-value]
    with pytest.raises(ValueError, match="Expected argument `batches` to hold at least one batch, but got none"):
        check_strategy(Strategy, batches=[])
