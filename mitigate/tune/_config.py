"""The TOML configuration of ``mitigate tune``: scenario, strategies to search, objective, seeds, workers."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mitigate.tune._objective import OBJECTIVES, Objective
from mitigate.tune._space import resolve_strategy, search_space, strategy_label

__all__ = ["TuneConfig", "load_config", "parse_config"]

_SECTIONS: dict[str, set[str]] = {
    "study": {"name", "objective", "nt_weight", "constrain_nt_to_churn", "sampler_seed", "population_size", "prune"},
    "scenario": {"factory", "kwargs", "source_seed"},
    "search": {"strategies", "fixed", "args"},
    "seeds": {"scratch", "transfer"},
    "workers": {"heartbeat_interval", "grace_period", "max_retry"},
}

EXAMPLE = """\
[study]
name = "wsj-tpos"
objective = "gain_vs_nt"          # gain | gain_minus_nt | gain_minus_excess_nt | gain_vs_nt | gain_vs_excess_nt

[scenario]
factory = "mypackage.scenarios:make_wsj_tpos"   # 'module:callable' returning a TransferScenario
kwargs = { epochs = 10 }

[search]
strategies = ["l2sp", "freeze", "bss"]   # registry names or 'module:Class' paths
fixed = { "l2sp.alpha" = 0.01 }   # optional: pin parameters
args = { bss = { module = "fe_out" } }   # optional: fixed (not searched) arguments of a strategy's suggest

[seeds]
scratch = [0, 1]
transfer = [0]
"""


@dataclass(frozen=True)
class TuneConfig:
    """A validated tuning configuration (see ``docs/tuning.md`` for every key).

    >>> cfg = parse_config({"scenario": {"factory": "mitigate.tune._fakes:FakeScenario"},
    ...                     "search": {"strategies": ["mitigate.tune._fakes:FakeDamping"]}}, name="demo")
    >>> cfg.study_name, cfg.objective.kind
    ('demo', 'gain_vs_nt')
    """

    study_name: str
    scenario_factory: str
    strategies: tuple[str, ...]
    objective: Objective = field(default_factory=Objective)
    scenario_kwargs: Mapping[str, Any] = field(default_factory=dict)
    source_seed: int = 0
    fixed: Mapping[str, Any] = field(default_factory=dict)
    args: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    scratch_seeds: tuple[int, ...] = (0,)
    transfer_seeds: tuple[int, ...] = (0,)
    sampler_seed: int = 0
    population_size: int = 10
    prune: bool = True
    heartbeat_interval: int = 10
    grace_period: int | None = None
    max_retry: int = 3

    def make_scenario(self) -> Any:
        """Import and call the scenario factory with its keyword arguments.

        >>> parse_config({"scenario": {"factory": "mitigate.tune._fakes:FakeScenario", "kwargs": {"n_items": 3}},
        ...               "search": {"strategies": ["mitigate.tune._fakes:FakeNoise"]}}).make_scenario().n_items
        3
        """
        module_name, _, attr = self.scenario_factory.partition(":")
        try:
            factory = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as error:
            raise ValueError(f"Expected [scenario] factory to be an importable 'module:callable', but got "
                             f"{self.scenario_factory!r} ({error}).") from None
        return factory(**dict(self.scenario_kwargs))


def _ints(value: Any, where: str) -> tuple[int, ...]:
    if isinstance(value, int) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise ValueError(f"Expected {where} to be a non-empty list of ints, but got {value!r}.")
    return tuple(value)


def _validate_fixed(fixed: Mapping[str, Any], strategies: tuple[str, ...], args: Mapping[str, Mapping[str, Any]]) -> None:
    spaces = {label: search_space(label, args=args.get(label)) for label in strategies}
    valid = [f"use:{label}" for label in strategies] + [f"{label}.{p}" for label, space in spaces.items() for p in space]
    for key in fixed:
        if key.startswith("use:") and key[4:] in spaces:
            continue
        label, _, param = key.rpartition(".")
        if label not in spaces:
            raise ValueError(f"Unknown parameter {key!r} in [search] fixed: its strategy is not in [search] strategies. "
                             f"Valid parameters: {', '.join(valid)}.")
        if param not in spaces[label]:
            raise ValueError(f"Unknown parameter {param!r} of strategy {label!r} in [search] fixed. "
                             f"Valid parameters of {label!r}: {', '.join(f'{p} ({d})' for p, d in spaces[label].items())}.")


def parse_config(raw: Mapping[str, Any], *, name: str = "study") -> TuneConfig:
    """Validate a parsed TOML mapping; unknown sections, keys, strategies or parameters raise ``ValueError``.

    >>> parse_config({"scenario": {"factory": "m:f"}, "search": {"strategies": []}})
    Traceback (most recent call last):
    ...
    ValueError: Expected [search] strategies to be a non-empty list of strategy names, but got []: the search space would be empty.
    """
    for section, value in raw.items():
        if section not in _SECTIONS:
            raise ValueError(f"Unknown section [{section}] in the tuning config. Valid sections: {', '.join(_SECTIONS)}.")
        if not isinstance(value, Mapping):
            raise ValueError(f"Expected [{section}] to be a table, but got {value!r}.")
        unknown = set(value) - _SECTIONS[section]
        if unknown:
            raise ValueError(f"Unknown key(s) {sorted(unknown)} in [{section}]. Valid keys: {', '.join(sorted(_SECTIONS[section]))}.")
    study = raw.get("study", {})
    scenario = raw.get("scenario", {})
    search = raw.get("search", {})
    seeds = raw.get("seeds", {})
    workers = raw.get("workers", {})
    factory = scenario.get("factory")
    if not isinstance(factory, str) or ":" not in factory:
        raise ValueError(f"Expected [scenario] factory to be a 'module:callable' string, but got {factory!r}.")
    strategies = search.get("strategies")
    if not isinstance(strategies, list) or not strategies or not all(isinstance(s, str) for s in strategies):
        raise ValueError(f"Expected [search] strategies to be a non-empty list of strategy names, but got {strategies!r}: "
                         "the search space would be empty.")
    labels = tuple(strategy_label(s) for s in strategies)
    for label in labels:
        resolve_strategy(label)  # unknown strategy: ValueError listing the valid ones
    args = search.get("args", {})
    if not isinstance(args, Mapping) or not all(isinstance(v, Mapping) for v in args.values()):
        raise ValueError(f"Expected [search] args to map strategy names to tables of arguments, but got {args!r}.")
    unknown_args = sorted(set(args) - set(labels))
    if unknown_args:
        raise ValueError(f"Unknown strategy {unknown_args} in [search] args: not in [search] strategies {list(labels)}.")
    args = {label: dict(value) for label, value in args.items()}
    fixed = dict(search.get("fixed", {}))
    _validate_fixed(fixed, labels, args)  # also: unknown strategy or no search space, listing the valid ones
    kind = study.get("objective", "gain_vs_nt")
    if kind not in OBJECTIVES:
        raise ValueError(f"Expected [study] objective to be one of {sorted(OBJECTIVES)}, but got {kind!r}.")
    objective = Objective(kind=kind, nt_weight=float(study.get("nt_weight", 1.0)),
                          constrain_nt_to_churn=bool(study.get("constrain_nt_to_churn", False)))
    scratch_seeds = _ints(seeds.get("scratch", [0]), "[seeds] scratch")
    if objective.needs_churn and len(scratch_seeds) < 2:
        raise ValueError(f"Expected [seeds] scratch to hold >= 2 seeds for objective {kind!r} (churn needs two scratch "
                         f"models), but got {list(scratch_seeds)}.")
    study_name = study.get("name", name)
    if not isinstance(study_name, str) or not study_name:
        raise ValueError(f"Expected [study] name to be a non-empty string, but got {study_name!r}.")
    return TuneConfig(
        study_name=study_name, scenario_factory=factory, strategies=labels, objective=objective, args=args,
        scenario_kwargs=dict(scenario.get("kwargs", {})), source_seed=int(scenario.get("source_seed", 0)), fixed=fixed,
        scratch_seeds=scratch_seeds, transfer_seeds=_ints(seeds.get("transfer", [0]), "[seeds] transfer"),
        sampler_seed=int(study.get("sampler_seed", 0)), population_size=int(study.get("population_size", 10)),
        prune=bool(study.get("prune", True)), heartbeat_interval=int(workers.get("heartbeat_interval", 10)),
        grace_period=None if workers.get("grace_period") is None else int(workers["grace_period"]),
        max_retry=int(workers.get("max_retry", 3)),
    )


def load_config(path: str | Path) -> TuneConfig:
    """Read and validate a TOML tuning config; the study name defaults to the file's stem.

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "pair.toml"
    >>> _ = path.write_text(EXAMPLE.replace("l2sp.alpha", "l2sp.beta"))
    >>> load_config(path).strategies
    ('l2sp', 'freeze', 'bss')
    """
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Tuning config {str(path)!r} does not exist.")
    try:
        raw = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"Tuning config {str(path)!r} is not valid TOML: {error}") from None
    return parse_config(raw, name=path.stem)
