"""The ``TransferScenario`` protocol: one source → target pair with its data, model family and training recipe.

The benchmark harness, the tuner and ``mitigate demo`` talk to scenarios only through this protocol, so a user's own
pair (any model, any data) plugs in by implementing these few methods.

Optional method (not part of the protocol, so scenarios without it keep working)::

    def strategy_inputs(self, *, seed: int, source: nn.Module) -> dict[str, Any]: ...

It returns named inputs that strategies needing data take from the scenario (``Strategy.scenario_inputs`` maps a
constructor argument to one of these names). Conventional names: ``target_batches`` and ``source_batches``
(``(inputs, targets)`` batches, or callables ``f(model) -> batches`` encoding with that model's vocabulary),
``source_model`` (the pretrained source), ``layers`` (layer names bottom to top, for similarity freezing),
``prune_layers``, ``head``, ``consumers`` and ``scale_at`` (for pruning). ``ScenarioInputs`` adds ``seed`` itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from torch import nn

    from mitigate.session.strategy import Strategy

__all__ = ["TransferScenario", "EpochCallback", "ScenarioInputs"]

#: Called after every target epoch with ``(epoch, dev_score)``; may raise (e.g. ``optuna.TrialPruned``) to stop early.
EpochCallback = Callable[[int, float], None]


@runtime_checkable
class TransferScenario(Protocol):
    """A source → target transfer setting.

    Predictions and gold labels are returned per split (``"dev"`` or ``"test"``) in the evaluator's input form:
    a list of sentences of labels for taggers, a flat list of labels for classifiers.
    """

    name: str

    def pretrain(self, *, seed: int, epochs: int | None = None, checkpoint_dir: Path | None = None) -> nn.Module:
        """Train the source model (optionally keeping a state per epoch in ``checkpoint_dir``)."""
        ...

    def fit_scratch(self, *, seed: int, on_epoch_end: EpochCallback | None = None) -> nn.Module:
        """Train a target model from random initialisation."""
        ...

    def fit_transfer(
        self,
        *,
        source: nn.Module,
        seed: int,
        strategies: Sequence[Strategy] = (),
        on_epoch_end: EpochCallback | None = None,
    ) -> nn.Module:
        """Build the target model from ``source`` and fine-tune it inside a ``TransferSession`` with ``strategies``."""
        ...

    def predict(self, model: nn.Module, *, split: str) -> list[list[str]] | list[str]:
        """The model's labels on a target split."""
        ...

    def gold(self, *, split: str) -> list[list[str]] | list[str]:
        """Gold labels of a target split."""
        ...

    def tokens(self, *, split: str) -> list[list[str]] | None:
        """Tokens of a target split (for slices and examples), or ``None`` when items are not tokens."""
        ...


class ScenarioInputs:
    """The inputs a scenario offers to strategies for one (seed, source), asked for on first use and kept.

    ``fill`` completes a strategy's constructor arguments with the ``scenario_inputs`` it declares; arguments in
    ``given`` (the config's) win. Used by both the benchmark harness and the tuner.

    >>> from mitigate.session import Strategy
    >>> class NeedsData(Strategy):
    ...     scenario_inputs = {"batches": "target_batches", "seed": "seed"}
    >>> class Pair:
    ...     name = "a->b"
    ...     def strategy_inputs(self, *, seed, source):
    ...         return {"target_batches": [1, 2]}
    >>> inputs = ScenarioInputs(Pair(), seed=3, source=None)
    >>> inputs.fill(NeedsData, {"seed": 7}, label="needs")
    {'seed': 7, 'batches': [1, 2]}
    """

    def __init__(self, scenario: Any, *, seed: int, source: Any) -> None:
        self.scenario = scenario
        self.seed = int(seed)
        self.source = source
        self._inputs: dict[str, Any] | None = None

    @property
    def scenario_name(self) -> str:
        """The scenario's ``name`` (its class name when it has none)."""
        return str(getattr(self.scenario, "name", type(self.scenario).__name__))

    def inputs(self) -> dict[str, Any]:
        """The scenario's ``strategy_inputs(seed=, source=)`` plus ``seed`` (only ``seed`` without that method)."""
        if self._inputs is None:
            method = getattr(self.scenario, "strategy_inputs", None)
            found = method(seed=self.seed, source=self.source) if callable(method) else {}
            if not isinstance(found, Mapping):
                raise TypeError(f"Expected `strategy_inputs` of scenario {self.scenario_name!r} to return a mapping of "
                                f"input names, but got {type(found).__name__}.")
            self._inputs = {"seed": self.seed, **dict(found)}
        return self._inputs

    def fill(self, strategy: type, given: Mapping[str, Any] | None, *, label: str) -> dict[str, Any]:
        """``given`` completed with the inputs ``strategy.scenario_inputs`` declares (explicit arguments win)."""
        arguments = dict(given or {})
        wanted = {arg: name for arg, name in dict(getattr(strategy, "scenario_inputs", {})).items() if arg not in arguments}
        if not wanted:
            return arguments
        inputs = self.inputs()
        for argument, name in wanted.items():
            if name not in inputs:
                offered = ", ".join(sorted(inputs))
                raise ValueError(
                    f"Strategy {label!r} needs input {name!r} (argument `{argument}`) from its scenario, but scenario "
                    f"{self.scenario_name!r} does not provide it (it provides: {offered}). Give `{argument}` in the "
                    f"strategy's params, or add {name!r} to the scenario's `strategy_inputs`."
                )
            arguments[argument] = inputs[name]
        return arguments
