"""Read "the best config" out of a tuning output file, so a grid row can say "whatever the tuner found"."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["read_tuning_output"]


def _item(entry: Any, where: str) -> tuple[str, dict[str, Any]]:
    if not isinstance(entry, dict):
        raise TypeError(f"Expected {where} to be an object {{\"strategy\": name, \"params\": {{...}}}}, but got {entry!r}.")
    name = entry.get("strategy", entry.get("name"))
    params = entry.get("params", {})
    if not isinstance(name, str) or not isinstance(params, dict):
        raise TypeError(
            f"Expected {where} to have a string `strategy` and an object `params`, but got {json.dumps(entry)[:200]}."
        )
    return name, dict(params)


def read_tuning_output(path: str | Path, *, pick: int = 0) -> tuple[tuple[str, dict[str, Any]], ...]:
    """The strategies (registry name + params, composed in order) of a tuning output JSON file.

    ``mitigate tune`` writes ``{"schema": "mitigate.tune.best/1", "best": [entry, ...]}`` where each entry's
    ``"strategies"`` lists ``{"name", "params"}``; ``pick`` chooses the entry (0: the first, i.e. the best by the first
    objective). Also accepted: ``{"strategy": name, "params": {...}}``, a list of those (composed), or an object whose
    ``"strategies"`` is such a list. An empty list means plain fine-tuning.

    >>> import tempfile, pathlib, json
    >>> file = pathlib.Path(tempfile.mkdtemp()) / "best.json"
    >>> entry = {"strategies": [{"name": "l2sp", "params": {"alpha": 0.1}}]}
    >>> _ = file.write_text(json.dumps({"schema": "mitigate.tune.best/1", "best": [entry]}))
    >>> read_tuning_output(file)
    (('l2sp', {'alpha': 0.1}),)
    """
    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(f"Expected `from_tuning` to be an existing JSON file, but got {str(path)!r}.")
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(f"Expected `from_tuning` file {str(path)!r} to hold JSON, but it does not: {error}.") from error
    if isinstance(data, dict) and isinstance(data.get("best"), list):
        best = data["best"]
        if not 0 <= pick < len(best):
            raise ValueError(
                f"Expected `pick` to index the {len(best)} best configuration(s) of {str(path)!r}, but got {pick}."
            )
        data = best[pick]
    if isinstance(data, dict) and "strategies" in data and "strategy" not in data:
        data = data["strategies"]
    if isinstance(data, dict):
        return (_item(data, f"the tuning output {str(path)!r}"),)
    if isinstance(data, list):
        return tuple(_item(entry, f"item {i + 1} of the tuning output {str(path)!r}") for i, entry in enumerate(data))
    raise TypeError(f"Expected the tuning output {str(path)!r} to be a JSON object or list, but got {type(data).__name__}.")
