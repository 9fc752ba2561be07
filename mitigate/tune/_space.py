"""Search spaces: one strategy's own ``suggest``, and a composition that also searches *which* strategies to use."""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from mitigate.session.strategy import Strategy

if TYPE_CHECKING:
    import optuna

    from mitigate.models._scenario import ScenarioInputs

__all__ = ["resolve_strategy", "strategy_label", "search_space", "suggest_strategy", "suggest_composition", "strategies_from_record"]


def _registry() -> tuple[Any, list[str]] | None:
    try:
        registry = importlib.import_module("mitigate.strategies")
        return registry.get, list(registry.available())
    except (ImportError, AttributeError):
        return None


def resolve_strategy(name: str | type[Strategy]) -> type[Strategy]:
    """A strategy class from a registry name (``mitigate.strategies.get``), a ``"module:Class"`` path, or a class.

    >>> resolve_strategy("mitigate.tune._fakes:FakeDamping").name
    'fake_damping'
    """
    if isinstance(name, type):
        if not issubclass(name, Strategy):
            raise TypeError(f"Expected argument `name` to be a Strategy subclass, but got {name.__name__}.")
        return name
    if not isinstance(name, str) or not name:
        raise TypeError(f"Expected argument `name` to be a strategy name or 'module:Class' path, but got {name!r}.")
    if ":" in name:
        module_name, _, attr = name.partition(":")
        try:
            cls = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as error:
            raise ValueError(f"Expected argument `name` to be an importable 'module:Class' path, but got {name!r} ({error}).") from None
        return resolve_strategy(cls)
    found = _registry()
    if found is None:
        raise ValueError(f"Unknown strategy {name!r}: the registry mitigate.strategies is not available; "
                         "use a 'module:Class' path.")
    get, available = found
    if name not in available:
        close = difflib.get_close_matches(name, available, n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise ValueError(f"Unknown strategy {name!r}. Valid strategies: {', '.join(sorted(available))}.{hint}")
    return resolve_strategy(get(name))


def strategy_label(name: str | type[Strategy]) -> str:
    """The name under which a strategy's parameters are stored: its registry name or its import path.

    >>> strategy_label("mitigate.tune._fakes:FakeDamping")
    'mitigate.tune._fakes:FakeDamping'
    """
    if isinstance(name, str):
        return name
    cls = resolve_strategy(name)
    found = _registry()
    if found is not None and cls.name in found[1] and found[0](cls.name) is cls:
        return cls.name
    return f"{cls.__module__}:{cls.__qualname__}"


class _Recorder:
    """Wraps a trial (or stands in for one in a dry run) and records every parameter suggested through it."""

    def __init__(self, trial: Any | None) -> None:
        self.trial = trial
        self.values: dict[str, Any] = {}
        self.distributions: dict[str, str] = {}

    def _done(self, name: str, value: Any, description: str) -> Any:
        self.values[name] = value
        self.distributions[name] = description
        return value

    def suggest_float(self, name: str, low: float, high: float, *, step: float | None = None, log: bool = False) -> float:
        value = low if self.trial is None else self.trial.suggest_float(name, low, high, step=step, log=log)
        return self._done(name, value, f"float in [{low}, {high}]" + (" (log)" if log else ""))

    def suggest_int(self, name: str, low: int, high: int, *, step: int = 1, log: bool = False) -> int:
        value = low if self.trial is None else self.trial.suggest_int(name, low, high, step=step, log=log)
        return self._done(name, value, f"int in [{low}, {high}]")

    def suggest_categorical(self, name: str, choices: Sequence[Any]) -> Any:
        value = choices[0] if self.trial is None else self.trial.suggest_categorical(name, choices)
        return self._done(name, value, f"one of {list(choices)}")

    def report(self, value: float, step: int) -> None:
        if self.trial is not None:
            self.trial.report(value, step)

    def should_prune(self) -> bool:
        return False if self.trial is None else bool(self.trial.should_prune())

    def __getattr__(self, attr: str) -> Any:
        if self.trial is None:
            raise AttributeError(attr)
        return getattr(self.trial, attr)


def search_space(name: str | type[Strategy], *, args: Mapping[str, Any] | None = None) -> dict[str, str]:
    """The parameters a strategy's ``suggest`` declares (found by a dry run), with a readable range each.

    ``args`` are the fixed (not searched) arguments that the strategy's ``suggest`` takes, e.g. module names or data.
    A strategy that takes some of them from the scenario (``Strategy.scenario_inputs``) may lack them here: its space
    is what its ``suggest`` asked for before it needed them.

    >>> search_space("mitigate.tune._fakes:FakeDamping")
    {'strength': 'float in [0.0, 1.0]'}
    >>> search_space("similarity_freezing")
    {'threshold': 'float in [0.5, 0.99]'}
    """
    recorder = _Recorder(None)
    missing = set(getattr(resolve_strategy(name), "scenario_inputs", {})) - set(args or {})
    try:
        _call_suggest(name, recorder, prefix="", args=args)
    except ValueError:
        # the constructor needs the scenario's data, which a dry run has not: the suggestions made so far are the space
        if not missing or not recorder.distributions:
            raise
    return dict(recorder.distributions)


def _call_suggest(name: str | type[Strategy], trial: Any, *, prefix: str, args: Mapping[str, Any] | None) -> Strategy:
    cls = resolve_strategy(name)
    label = strategy_label(name)
    try:
        return cls.suggest(trial, prefix=prefix, **dict(args or {}))
    except NotImplementedError:
        raise ValueError(f"Strategy {label!r} declares no search space (its `suggest` is not implemented).") from None
    except (TypeError, ValueError) as error:
        raise ValueError(f"Strategy {label!r} cannot build its search space with arguments {dict(args or {})}: {error} "
                         f"(give its fixed arguments under [search.args.{label}] or `args=`).") from None


def suggest_strategy(
    trial: optuna.Trial, name: str | type[Strategy], *, prefix: str = "", args: Mapping[str, Any] | None = None
) -> tuple[Strategy, dict[str, Any]]:
    """Build one strategy from ``trial`` with its own search space; returns it with its parameters (prefix removed).

    ``args`` are passed to the strategy's ``suggest`` as fixed (not searched) arguments.

    >>> import optuna
    >>> strategy, params = suggest_strategy(optuna.trial.FixedTrial({"s.strength": 0.5}), "mitigate.tune._fakes:FakeDamping", prefix="s.")
    >>> params
    {'strength': 0.5}
    """
    recorder = _Recorder(trial)
    strategy = _call_suggest(name, recorder, prefix=prefix, args=args)
    params = {key[len(prefix):] if key.startswith(prefix) else key: value for key, value in recorder.values.items()}
    return strategy, params


def suggest_composition(
    trial: optuna.Trial,
    *,
    candidates: Sequence[str | type[Strategy]],
    prefix: str = "",
    args: Mapping[str, Mapping[str, Any]] | None = None,
    inputs: ScenarioInputs | None = None,
) -> list[Strategy]:
    """Choose which candidate strategies to compose (one ``use:<label>`` flag each) and their parameters.

    ``args`` maps a candidate's label (registry name or import path) to the fixed arguments of its ``suggest``;
    ``inputs`` (a ``ScenarioInputs``) completes them for the chosen strategies that declare ``scenario_inputs``.

    No flag set means standard fine-tuning, which is therefore always part of the search. When two chosen strategies
    claim the same resource (``Strategy.claims``), the later one is dropped. The chosen strategies with their parameters
    are stored in the trial's user attribute ``"strategies"`` (when the trial has one).

    >>> import optuna
    >>> trial = optuna.trial.FixedTrial({"use:mitigate.tune._fakes:FakeDamping": True, "mitigate.tune._fakes:FakeDamping.strength": 0.2})
    >>> suggest_composition(trial, candidates=["mitigate.tune._fakes:FakeDamping"])
    [FakeDamping(strength=0.2)]
    """
    if isinstance(candidates, (str, bytes)) or not isinstance(candidates, Sequence) or len(candidates) == 0:
        raise ValueError(f"Expected argument `candidates` to list at least one strategy, but got {candidates!r}: "
                         "the search space would be empty.")
    labels = [strategy_label(c) for c in candidates]
    if len(set(labels)) != len(labels):
        raise ValueError(f"Expected argument `candidates` to name each strategy once, but got {labels}.")
    chosen: list[Strategy] = []
    record: list[dict[str, Any]] = []
    dropped: list[str] = []
    claimed: set[str] = set()
    for candidate, label in zip(candidates, labels):
        if not trial.suggest_categorical(f"{prefix}use:{label}", [False, True]):
            continue
        fixed = (args or {}).get(label)
        if inputs is not None:
            fixed = inputs.fill(resolve_strategy(candidate), fixed, label=label)
        strategy, params = suggest_strategy(trial, candidate, prefix=f"{prefix}{label}.", args=fixed)
        claims = set(strategy.claims())
        if claims & claimed:
            dropped.append(label)
            continue
        claimed |= claims
        chosen.append(strategy)
        record.append({"name": label, "params": params})
    if hasattr(trial, "set_user_attr"):
        trial.set_user_attr("strategies", record)
        if dropped:
            trial.set_user_attr("dropped_strategies", dropped)
    return chosen


def strategies_from_record(
    record: Sequence[Mapping[str, Any]],
    *,
    args: Mapping[str, Mapping[str, Any]] | None = None,
    inputs: ScenarioInputs | None = None,
) -> list[Strategy]:
    """Rebuild strategies from a ``"strategies"`` record (``best`` in a tuning output file) through each strategy's
    own ``suggest`` (its ``params`` are search parameters, not always constructor arguments); ``args`` and
    ``inputs`` as in ``suggest_composition``.

    >>> strategies_from_record([{"name": "mitigate.tune._fakes:FakeDamping", "params": {"strength": 0.3}}])
    [FakeDamping(strength=0.3)]
    """
    import optuna

    out = []
    for entry in record:
        if not isinstance(entry, Mapping) or "name" not in entry or "params" not in entry:
            raise ValueError(f"Expected each strategy record to be a mapping with 'name' and 'params', but got {entry!r}.")
        trial = optuna.trial.FixedTrial({f"s.{key}": value for key, value in dict(entry["params"]).items()})
        fixed = (args or {}).get(entry["name"])
        if inputs is not None:
            fixed = inputs.fill(resolve_strategy(entry["name"]), fixed, label=entry["name"])
        out.append(suggest_strategy(trial, entry["name"], prefix="s.", args=fixed)[0])
    return out
