"""The benchmark config: a grid of strategies × source→target pairs × seeds, read from TOML and validated.

Every error names the file, the line and the key, because a typo in a config otherwise costs a night of compute.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 needs the backport
    try:
        import tomli as tomllib
    except ImportError as error:
        raise ImportError("Reading benchmark configs on Python 3.10 needs tomli: pip install tomli") from error

from mitigate.bench._schema import COMPOSE_KEYS, PAIR_KEYS, STRATEGY_KEYS, TOP_KEYS, Checker

if TYPE_CHECKING:
    from mitigate.bench._grid import Cell

__all__ = ["BenchConfig", "PairSpec", "StrategySpec", "load_config", "parse_config"]

_SPLITS = ("dev", "test")

#: The strategy name meaning "plain fine-tuning, no mitigation".
PLAIN_FINE_TUNING = "none"


@dataclass(frozen=True)
class StrategySpec:
    """One row of the grid's strategy axis: a label and the registry items composed in order.

    ``items`` is empty for plain fine-tuning (``strategy = "none"``).

    >>> StrategySpec(label="l2sp", items=(("l2sp", {"alpha": 0.01}),)).to_dict()["items"]
    [{'strategy': 'l2sp', 'params': {'alpha': 0.01}}]
    """

    label: str
    items: tuple[tuple[str, dict[str, Any]], ...]
    origin: str = "config"

    def to_dict(self) -> dict[str, Any]:
        """JSON form (also what the config hash covers)."""
        return {
            "label": self.label,
            "items": [{"strategy": name, "params": dict(params)} for name, params in self.items],
            "origin": self.origin,
        }


@dataclass(frozen=True)
class PairSpec:
    """One source → target pair: how to build its ``TransferScenario``.

    >>> PairSpec(label="a->b", scenario="digits", factory=None, source="a", target="b").target_key
    'digits:b'
    """

    label: str
    scenario: str | None
    factory: str | None
    source: str | dict[str, Any] | None
    target: str | dict[str, Any] | None
    params: dict[str, Any] = field(default_factory=dict)
    pretrain_epochs: int | None = None

    @property
    def builder(self) -> str:
        """The scenario registry name or the user's ``module:callable``."""
        return self.scenario if self.scenario is not None else str(self.factory)

    @property
    def target_key(self) -> str:
        """Identity of the target side, for messages."""
        return f"{self.builder}:{self.target if not isinstance(self.target, dict) else self.target.get('name', 'custom')}"

    def to_dict(self) -> dict[str, Any]:
        """JSON form (also what the config hash covers)."""
        return {
            "label": self.label,
            "scenario": self.scenario,
            "factory": self.factory,
            "source": self.source,
            "target": self.target,
            "params": self.params,
            "pretrain_epochs": self.pretrain_epochs,
        }


@dataclass(frozen=True)
class BenchConfig:
    """A validated benchmark grid.

    >>> config = parse_config('seeds = [0, 1]\\n[[pairs]]\\nscenario = "digits"\\n[[strategies]]\\nstrategy = "none"\\n')
    >>> [cell.cell_id for cell in config.cells()]
    ['digits|none|seed=0', 'digits|none|seed=1']
    """

    name: str
    seeds: tuple[int, ...]
    split: str
    pairs: tuple[PairSpec, ...]
    strategies: tuple[StrategySpec, ...]
    pretrain_epochs: int | None = None
    description: str = ""
    path: Path | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON form; everything except ``description`` and ``path`` enters the config hash."""
        return {
            "name": self.name,
            "seeds": list(self.seeds),
            "split": self.split,
            "pretrain_epochs": self.pretrain_epochs,
            "pairs": [pair.to_dict() for pair in self.pairs],
            "strategies": [strategy.to_dict() for strategy in self.strategies],
        }

    @property
    def config_hash(self) -> str:
        """Short SHA-256 of the canonical JSON form: results of two configs with different hashes never mix."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def epochs_for(self, pair: PairSpec) -> int | None:
        """The source pretraining budget of ``pair`` (its own, else the config's, else the scenario's default)."""
        return pair.pretrain_epochs if pair.pretrain_epochs is not None else self.pretrain_epochs

    def cells(self) -> list[Cell]:
        """All cells, ordered pair → seed → strategy so scratch and pretrained models are reused back to back."""
        from mitigate.bench._grid import Cell

        return [
            Cell(pair=pair, strategy=strategy, seed=seed)
            for pair in self.pairs
            for seed in self.seeds
            for strategy in self.strategies
        ]


def load_config(path: str | Path) -> BenchConfig:
    """Read and validate a benchmark config file (TOML).

    >>> import tempfile, pathlib
    >>> file = pathlib.Path(tempfile.mkdtemp()) / "grid.toml"
    >>> _ = file.write_text('seeds = [0]\\n[[pairs]]\\nscenario = "digits"\\n[[strategies]]\\nstrategy = "none"\\n')
    >>> load_config(file).seeds
    (0,)
    """
    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(f"Expected argument `config` to be an existing TOML file, but got {str(path)!r}.")
    return parse_config(file.read_text(encoding="utf-8"), origin=str(file), base_dir=file.parent)


def parse_config(text: str, *, origin: str = "<config>", base_dir: str | Path | None = None) -> BenchConfig:
    """Validate TOML text into a ``BenchConfig``; ``base_dir`` anchors relative ``from_tuning`` paths.

    >>> parse_config('seeds = [0]\\nsplt = "dev"\\n')
    Traceback (most recent call last):
    ...
    ValueError: <config>:2: unknown key `splt` at top level (expected one of: description, name, pairs, pretrain_epochs, seeds, split, strategies); did you mean `split`?
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"{origin}: invalid TOML: {error}") from error
    check = Checker(text, origin)
    check.check_table(data, TOP_KEYS, ())
    for required in ("seeds", "pairs", "strategies"):
        if required not in data:
            raise ValueError(f"{origin}: missing required key `{required}` at top level.")
    seeds = data["seeds"]
    if not seeds or any(isinstance(seed, bool) or not isinstance(seed, int) for seed in seeds):
        raise check.fail(("seeds",), f"expected key `seeds` to be a non-empty list of int, but got {seeds!r}.")
    if len(set(seeds)) != len(seeds):
        raise check.fail(("seeds",), f"expected key `seeds` to hold distinct seeds, but got {seeds!r}.")
    split = data.get("split", "test")
    if split not in _SPLITS:
        raise check.fail(("split",), f"expected key `split` to be one of {list(_SPLITS)}, but got {split!r}.")
    epochs = data.get("pretrain_epochs")
    if epochs is not None and epochs < 1:
        raise check.fail(("pretrain_epochs",), f"expected key `pretrain_epochs` to be >= 1, but got {epochs}.")
    base = Path(base_dir) if base_dir is not None else Path.cwd()
    pairs = tuple(_parse_pair(check, item, index) for index, item in enumerate(data["pairs"]))
    strategies = tuple(_parse_strategy(check, item, index, base) for index, item in enumerate(data["strategies"]))
    for axis, specs in (("pairs", pairs), ("strategies", strategies)):
        seen: dict[str, int] = {}
        for index, spec in enumerate(specs):
            if spec.label in seen:
                raise check.fail(
                    (axis, index),
                    f"duplicate label {spec.label!r} in [[{axis}]] #{index + 1} (also #{seen[spec.label] + 1});"
                    " give each one a distinct `label`.",
                )
            seen[spec.label] = index
    if not pairs or not strategies:
        raise ValueError(f"{origin}: expected at least one [[pairs]] and one [[strategies]] table.")
    return BenchConfig(
        name=data.get("name", Path(origin).stem if origin != "<config>" else "bench"),
        seeds=tuple(seeds),
        split=split,
        pairs=pairs,
        strategies=strategies,
        pretrain_epochs=epochs,
        description=data.get("description", ""),
        path=Path(origin) if origin != "<config>" else None,
    )


def _check_label(check: Checker, path: tuple[str | int, ...], label: str) -> str:
    if not label or "|" in label:
        raise check.fail((*path, "label"), f"expected a non-empty `label` without '|', but got {label!r}.")
    return label


def _side_name(value: str | dict[str, Any]) -> str:
    return value if isinstance(value, str) else str(value.get("name", "custom"))


def _parse_pair(check: Checker, item: Any, index: int) -> PairSpec:
    path: tuple[str | int, ...] = ("pairs", index)
    if not isinstance(item, dict):
        raise check.fail(("pairs",), f"expected [[pairs]] #{index + 1} to be a table, but got {item!r}.")
    check.check_table(item, PAIR_KEYS, path)
    if ("scenario" in item) == ("factory" in item):
        raise check.fail(
            path, f"[[pairs]] #{index + 1} needs exactly one of `scenario` (a registry name) or `factory` ('module:callable')."
        )
    if "scenario" in item:
        from mitigate.bench._build import SCENARIOS

        if item["scenario"] not in SCENARIOS:
            close = difflib.get_close_matches(item["scenario"], list(SCENARIOS), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise check.fail(
                (*path, "scenario"),
                f"unknown scenario {item['scenario']!r} (registered: {', '.join(SCENARIOS)}; or use `factory`){hint}",
            )
    if "factory" in item and ":" not in item["factory"]:
        raise check.fail(
            (*path, "factory"), f"expected key `factory` to look like 'module:callable', but got {item['factory']!r}."
        )
    if item.get("pretrain_epochs", 1) < 1:
        raise check.fail((*path, "pretrain_epochs"), f"expected `pretrain_epochs` >= 1, but got {item['pretrain_epochs']}.")
    builder = item.get("scenario", item.get("factory"))
    if "source" in item and "target" in item:
        default = f"{_side_name(item['source'])}->{_side_name(item['target'])}"
    else:
        default = str(builder)
    return PairSpec(
        label=_check_label(check, path, item.get("label", default)),
        scenario=item.get("scenario"),
        factory=item.get("factory"),
        source=item.get("source"),
        target=item.get("target"),
        params=dict(item.get("params", {})),
        pretrain_epochs=item.get("pretrain_epochs"),
    )


def _parse_strategy(check: Checker, item: Any, index: int, base: Path) -> StrategySpec:
    from mitigate.bench._tuning import read_tuning_output

    path: tuple[str | int, ...] = ("strategies", index)
    if not isinstance(item, dict):
        raise check.fail(("strategies",), f"expected [[strategies]] #{index + 1} to be a table, but got {item!r}.")
    check.check_table(item, STRATEGY_KEYS, path)
    given = [key for key in ("strategy", "compose", "from_tuning") if key in item]
    if len(given) != 1:
        raise check.fail(
            path,
            f"[[strategies]] #{index + 1} needs exactly one of `strategy`, `compose` or `from_tuning`, but got"
            f" {given or 'none'}.",
        )
    if "pick" in item and "from_tuning" not in item:
        raise check.fail((*path, "pick"), "key `pick` goes with `from_tuning`.")
    if "params" in item and "strategy" not in item:
        raise check.fail((*path, "params"), "key `params` goes with `strategy` (inside `compose`, give each item its own).")
    origin = "config"
    if "strategy" in item:
        name = item["strategy"]
        items: tuple[tuple[str, dict[str, Any]], ...] = (
            () if name == PLAIN_FINE_TUNING else ((name, dict(item.get("params", {}))),)
        )
        default = name
    elif "compose" in item:
        parsed = []
        for position, part in enumerate(item["compose"]):
            part_path = (*path, "compose")
            if not isinstance(part, dict) or "strategy" not in part:
                raise check.fail(
                    part_path, f"expected `compose` item {position + 1} to be a table with a `strategy`, but got {part!r}."
                )
            check.check_table(part, COMPOSE_KEYS, part_path)
            parsed.append((part["strategy"], dict(part.get("params", {}))))
        if not parsed:
            raise check.fail((*path, "compose"), "expected `compose` to list at least one strategy, but got [].")
        items = tuple(parsed)
        default = "+".join(name for name, _ in items)
    else:
        tuning_path = Path(item["from_tuning"])
        if not tuning_path.is_absolute():
            tuning_path = base / tuning_path
        try:
            items = read_tuning_output(tuning_path, pick=item.get("pick", 0))
        except (ValueError, TypeError, FileNotFoundError) as error:
            raise check.fail((*path, "from_tuning"), str(error)) from error
        origin = f"tuning:{item['from_tuning']}"
        default = "tuned:" + ("+".join(name for name, _ in items) or PLAIN_FINE_TUNING)
    for name, _ in items:
        if name == PLAIN_FINE_TUNING:
            raise check.fail(path, f"strategy {PLAIN_FINE_TUNING!r} (plain fine-tuning) cannot be composed with others.")
    _check_registered(check, path, items)
    return StrategySpec(label=_check_label(check, path, item.get("label", default)), items=items, origin=origin)


def _check_registered(check: Checker, path: tuple[str | int, ...], items: tuple[tuple[str, dict[str, Any]], ...]) -> None:
    try:
        from mitigate.strategies import available
    except ImportError:  # the registry is optional for configs that only use plain fine-tuning / fakes
        return
    known = list(available())
    for name, _ in items:
        if ":" not in name and name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise check.fail(
                (*path, "strategy"), f"unknown strategy {name!r} (registered: {', '.join(sorted(known))}){hint}"
            )
