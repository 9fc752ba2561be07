"""Turn config names into live objects: the scenario registry, ``module:attribute`` imports and strategies."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from mitigate.bench._config import StrategySpec

if TYPE_CHECKING:
    from mitigate.models._scenario import ScenarioInputs

__all__ = ["SCENARIOS", "build_strategies", "import_object"]

#: Scenario registry names → ``module:attribute`` of their class.
SCENARIOS: dict[str, str] = {
    "tagging": "mitigate.models:TaggingScenario",
    "digits": "mitigate.models:DigitsScenario",
    "digits-embedded": "mitigate.models:DigitsScenario.embedded",
}


def import_object(spec: str, *, what: str) -> Any:
    """Import ``"package.module:attribute"`` (the attribute may be dotted, e.g. a classmethod).

    >>> import_object("collections:OrderedDict.fromkeys", what="factory").__name__
    'fromkeys'
    """
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"Expected {what} to look like 'module:attribute', but got {spec!r}.")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise ValueError(f"Cannot import module {module_name!r} of {what} {spec!r}: {error}") from error
    found: Any = module
    for part in attribute.split("."):
        try:
            found = getattr(found, part)
        except AttributeError as error:
            raise ValueError(f"Module {module_name!r} has no attribute {attribute!r} (from {what} {spec!r}).") from error
    return found


def build_strategies(spec: StrategySpec, *, inputs: ScenarioInputs | None = None) -> list[Any]:
    """Fresh strategy instances of ``spec`` (registry names via ``mitigate.strategies.get``, or ``module:Class``).

    ``inputs`` (the cell's scenario, seed and source) fills the constructor arguments a strategy declares in
    ``scenario_inputs`` and the spec's params leave out; without it such strategies need every argument in params.

    >>> from mitigate.bench._config import StrategySpec
    >>> build_strategies(StrategySpec(label="none", items=()))
    []
    """
    if spec.origin.startswith("tuning:"):
        # A tuning output records search parameters, which only each strategy's own ``suggest`` turns into arguments.
        from mitigate.tune import strategies_from_record

        return strategies_from_record([{"name": name, "params": params} for name, params in spec.items], inputs=inputs)
    strategies = []
    for name, params in spec.items:
        if ":" in name:
            cls = import_object(name, what="strategy")
        else:
            try:
                from mitigate.strategies import get
            except ImportError as error:
                raise ValueError(
                    f"Strategy {name!r} of {spec.label!r} needs the registry `mitigate.strategies`, which is not available: {error}"
                ) from error
            cls = get(name)
        if inputs is not None:
            params = inputs.fill(cls, params, label=name)
        else:
            missing = sorted(set(getattr(cls, "scenario_inputs", {})) - set(params) - {"seed"})
            if missing:
                raise ValueError(f"Strategy {name!r} of {spec.label!r} takes {missing} from its scenario, but no "
                                 "scenario was given: give them in its params or build it with `inputs=`.")
        try:
            strategies.append(cls(**params))
        except TypeError as error:
            raise TypeError(f"Strategy {name!r} of {spec.label!r}: bad params {params}: {error}") from error
    return strategies
