"""What a run keeps between cells: built scenarios, pretrained sources and scratch predictions.

Scratch predictions are cached on disk per (target, seed) — JSON written to a temporary file and renamed — so every
strategy, every rerun and every worker sharing the output folder reuses them. Pretrained sources are kept in memory
per (pair, seed, epoch budget); scenarios that accept a ``cache_dir`` also get one under the output folder, where they
keep the state dicts of pretrained sources, so a resumed run or another worker on the same disk skips pretraining.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import inspect
import json
import os
import socket
import time
from pathlib import Path
from typing import Any

from mitigate.bench._build import SCENARIOS, build_strategies, import_object
from mitigate.bench._config import BenchConfig, PairSpec
from mitigate.bench._evaluate import check_alignment, evaluate_cell
from mitigate.bench._grid import Cell
from mitigate.bench._lock import exclusive

__all__ = ["Workspace"]

_CONFIG_KEYS = ("train_config", "source_config")


def _key(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _write_json_atomically(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


class Workspace:
    """Builds scenarios once and runs cells, sharing scratch and pretraining work between them.

    >>> import tempfile
    >>> from mitigate.bench._config import parse_config
    >>> config = parse_config('seeds = [0, 1]\\n[[pairs]]\\nfactory = "mitigate.bench._fakes:FakeTaggingScenario"\\n'
    ...                       'params = {n_sentences = 5}\\n[[strategies]]\\nstrategy = "none"\\n')
    >>> record = Workspace(config, out_dir=tempfile.mkdtemp()).run_cell(config.cells()[0])
    >>> round(record["metrics"]["gain"], 6) == round(record["metrics"]["pt"] - record["metrics"]["nt"], 6)
    True
    """

    def __init__(self, config: BenchConfig, *, out_dir: str | Path, data_dir: str | Path | None = None) -> None:
        self.config = config
        self.out_dir = Path(out_dir)
        # Where the corpora live is not a setting, so it stays out of the config hash: argument, else $MITIGATE_DATA.
        self.data_dir = data_dir if data_dir is not None else os.environ.get("MITIGATE_DATA") or None
        self._scenarios: dict[str, Any] = {}
        self._sources: dict[tuple[str, int, int | None], Any] = {}
        self._scratch: dict[tuple[str, int], Any] = {}
        self.counts = {"pretrain": 0, "scratch": 0, "transfer": 0}

    def scenario(self, pair: PairSpec) -> Any:
        """The pair's scenario, built on first use."""
        if pair.label not in self._scenarios:
            self._scenarios[pair.label] = self._build(pair)
        return self._scenarios[pair.label]

    def _build(self, pair: PairSpec) -> Any:
        spec = SCENARIOS.get(str(pair.scenario)) if pair.scenario is not None else pair.factory
        if spec is None:
            raise ValueError(
                f"Pair {pair.label!r}: unknown scenario {pair.scenario!r} (registered: {', '.join(SCENARIOS)})."
            )
        factory = import_object(spec, what=f"the scenario of pair {pair.label!r}")
        kwargs: dict[str, Any] = dict(pair.params)
        for side in ("source", "target"):
            value = getattr(pair, side)
            if value is not None:
                kwargs[side] = self._dataset(value, pair, side)
        for name in _CONFIG_KEYS:
            if isinstance(kwargs.get(name), dict):
                from mitigate.models import TrainConfig

                try:
                    kwargs[name] = TrainConfig(**kwargs[name])
                except TypeError as error:
                    raise TypeError(f"Pair {pair.label!r}: bad `params.{name}` {kwargs[name]}: {error}") from error
        accepted = _accepted_keywords(factory)
        if "cache_dir" not in kwargs and accepted is not None and "cache_dir" in accepted:
            kwargs["cache_dir"] = self.out_dir / "cache" / "sources"
        if self.data_dir is not None and "data_dir" not in kwargs and accepted is not None and "data_dir" in accepted:
            kwargs["data_dir"] = self.data_dir
        try:
            return factory(**kwargs)
        except TypeError as error:
            raise TypeError(f"Pair {pair.label!r}: cannot build its scenario with keys {sorted(kwargs)}: {error}") from error

    def _dataset(self, value: Any, pair: PairSpec, side: str) -> Any:
        if not isinstance(value, dict):
            return value
        from mitigate.data import load_splits

        base = self.config.path.parent if self.config.path is not None else Path.cwd()
        files = {
            key: str(base / item) if key in ("train", "dev", "test") and isinstance(item, str) and not Path(item).is_absolute() else item
            for key, item in value.items()
        }
        try:
            return load_splits(**files)
        except TypeError as error:
            raise TypeError(f"Pair {pair.label!r}: bad `{side}` files table {value}: {error}") from error

    def source(self, cell: Cell) -> Any:
        """The pretrained source of (pair, seed, epoch budget), trained on first use."""
        epochs = self.config.epochs_for(cell.pair)
        key = (cell.pair.label, cell.seed, epochs)
        if key not in self._sources:
            scenario = self.scenario(cell.pair)
            lock = self.out_dir / "cache" / "locks" / f"source-{hashlib.sha256(repr(key).encode()).hexdigest()[:16]}.lock"
            # With an on-disk cache, workers sharing this folder wait for the one that pretrains, then load its state.
            with exclusive(lock) if getattr(scenario, "cache_dir", None) is not None else contextlib.nullcontext():
                self._sources[key] = scenario.pretrain(seed=cell.seed, epochs=epochs)
            self.counts["pretrain"] += 1
        return self._sources[key]

    def scratch_seeds(self, pair: PairSpec) -> dict[int, Any]:
        """Scratch predictions of every seed of the grid for ``pair``.

        Seeds another worker is training right now are taken last, so workers sharing the folder train different
        seeds side by side and then read each other's results.
        """
        found = {seed: self.scratch(pair, seed, wait=False) for seed in self.config.seeds}
        return {seed: self.scratch(pair, seed) if found[seed] is None else found[seed] for seed in self.config.seeds}

    def scratch(self, pair: PairSpec, seed: int, *, wait: bool = True) -> Any:
        """Scratch predictions on the evaluated split for (target, seed): memory, then disk, then training.

        With ``wait=False``, returns ``None`` instead of waiting while another worker trains that model.
        """
        target_key = _key(pair.builder, pair.target, {k: v for k, v in pair.params.items() if k != "source_config"})
        key = (target_key, seed)
        if key in self._scratch:
            return self._scratch[key]
        path = self.out_dir / "cache" / "scratch" / f"{target_key}-seed{seed}-{self.config.split}.json"
        # One worker trains, the others read.
        with exclusive(path.parent.parent / "locks" / f"{path.stem}.lock", wait=wait) as held:
            if not held:
                return None
            if path.is_file():
                predictions = json.loads(path.read_text(encoding="utf-8"))
            else:
                scenario = self.scenario(pair)
                model = scenario.fit_scratch(seed=seed)
                self.counts["scratch"] += 1
                predictions = scenario.predict(model, split=self.config.split)
                check_alignment(
                    pair=pair.label, gold=scenario.gold(split=self.config.split), predictions=predictions, model="scratch"
                )
                _write_json_atomically(path, predictions)
        self._scratch[key] = predictions
        return predictions

    def run_cell(self, cell: Cell) -> dict[str, Any]:
        """Fine-tune with the cell's strategies, score against scratch, and return the results record."""
        started = time.perf_counter()
        scenario = self.scenario(cell.pair)
        split = self.config.split
        scratch = self.scratch_seeds(cell.pair)
        from mitigate.models._scenario import ScenarioInputs

        source = self.source(cell)
        strategies = build_strategies(cell.strategy, inputs=ScenarioInputs(scenario, seed=cell.seed, source=source))
        model = scenario.fit_transfer(source=copy.deepcopy(source), seed=cell.seed, strategies=strategies)
        self.counts["transfer"] += 1
        gold = scenario.gold(split=split)
        predictions = scenario.predict(model, split=split)
        check_alignment(pair=cell.pair.label, gold=gold, predictions=predictions, model="transferred")
        metrics = evaluate_cell(
            gold=gold, scratch=scratch, transfer=predictions, seed=cell.seed, tokens=scenario.tokens(split=split)
        )
        slices = metrics.pop("slices")
        return {
            "cell": cell.cell_id,
            "pair": cell.pair.label,
            "strategy": cell.strategy.label,
            "seed": cell.seed,
            "split": split,
            "config_name": self.config.name,
            "metrics": metrics,
            "slices": slices,
            "strategy_states": [_json_state(strategy) for strategy in strategies],
            "seconds": round(time.perf_counter() - started, 3),
            "worker": f"{socket.gethostname()}:{os.getpid()}",
        }


def _json_state(strategy: Any) -> dict[str, Any] | None:
    """``strategy.state_dict()`` after the transfer (what it chose: frozen layers, pruned units, …), or ``None`` when
    that state holds tensors or anything else JSON cannot carry."""
    state = strategy.state_dict()
    try:
        json.dumps(state, allow_nan=True)
    except (TypeError, ValueError):
        return None
    return {"strategy": type(strategy).__name__, "state": state}


def _accepted_keywords(factory: Any) -> set[str] | None:
    """Keyword names ``factory`` accepts, or ``None`` when it takes ``**kwargs`` (or has no signature)."""
    try:
        parameters = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return None
    return {p.name for p in parameters}
