"""The scratch reference: scratch-model predictions computed once per run folder and cached as JSON."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["scratch_reference"]


def _plain(labels: Any) -> Any:
    return [list(map(str, s)) if isinstance(s, (list, tuple)) else str(s) for s in labels]


def scratch_reference(task: Any, *, seeds: Sequence[int], cache_path: str | Path | None = None) -> list[Any]:
    """Predictions of ``task.scratch(seed=s)`` for every seed, read from ``cache_path`` when it holds the same seeds.

    The cache is written atomically, so a worker never reads a half-written file.

    >>> from mitigate.tune import ScenarioTask
    >>> from mitigate.tune._fakes import FakeScenario
    >>> len(scratch_reference(ScenarioTask(FakeScenario(n_items=5)), seeds=[0, 1]))
    2
    """
    seeds = [int(s) for s in seeds]
    key = {"task": str(getattr(task, "name", "")), "seeds": seeds}
    path = None if cache_path is None else Path(cache_path)
    if path is not None and path.is_file():
        cached = json.loads(path.read_text())
        if {"task": cached.get("task"), "seeds": cached.get("seeds")} == key:
            return list(cached["predictions"])
    predictions = [_plain(task.scratch(seed=seed)) for seed in seeds]
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(json.dumps({**key, "predictions": predictions}))
        os.replace(tmp, path)
    return predictions
