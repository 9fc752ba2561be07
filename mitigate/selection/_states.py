"""Pretraining states on disk: a JSON index (``states.json``) beside one state dict (``.pt``) per kept state."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

from mitigate.models._checkpoint import state_mismatch

__all__ = ["PretrainingState", "load_pretraining_states", "INDEX_NAME", "architecture_of", "architecture_mismatch"]

INDEX_NAME = "states.json"


@dataclass(frozen=True)
class PretrainingState:
    """One kept state of the source model: its ``name``, the ``epoch`` / ``step`` it was taken at (``None`` when
    not applicable), the source ``dev_score`` then (higher is better, ``None`` if unknown) and its ``path``."""

    name: str
    path: Path
    epoch: int | None = None
    step: int | None = None
    dev_score: float | None = None

    def load(self) -> dict[str, torch.Tensor]:
        """The state dict, read with ``torch.load(..., weights_only=True)`` onto the CPU."""
        if not self.path.is_file():
            raise FileNotFoundError(f"Pretraining state {self.name!r} has no file at {self.path}.")
        return torch.load(self.path, map_location="cpu", weights_only=True)

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form (the path relative to the index when possible)."""
        out = asdict(self)
        out["path"] = str(self.path)
        return out


def architecture_of(state: Mapping[str, torch.Tensor]) -> dict[str, list[int]]:
    """Parameter / buffer names and shapes: what two states must share to be interchangeable.

    >>> architecture_of({"w": torch.zeros(2, 3)})
    {'w': [2, 3]}
    """
    return {name: list(tensor.shape) for name, tensor in state.items()}


def architecture_mismatch(expected: Mapping[str, list[int]], got: Mapping[str, list[int]]) -> str | None:
    """A description of the missing, unexpected and mis-shaped keys of ``got`` against ``expected``, or ``None``.

    >>> architecture_mismatch({"a": [1], "b": [2]}, {"a": [3], "c": [2]})
    'missing keys: b; unexpected keys: c; shape mismatch: a: expected (1,) but got (3,)'
    """
    return state_mismatch(
        expected, got, describe_shape=lambda key, want, have: f"{key}: expected {want} but got {have}"
    )


def _from_reference_loop(directory: Path) -> list[PretrainingState]:
    """States written by ``train_tagger(checkpoint_dir=...)``: ``epoch_NNN.pt`` beside ``epoch_NNN.json``."""
    states = []
    for path in sorted(directory.glob("epoch_*.pt")):
        meta_path = path.with_suffix(".json")
        meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
        epoch = meta.get("epoch", int(path.stem.split("_")[-1]) if path.stem.split("_")[-1].isdigit() else None)
        states.append(PretrainingState(name=path.stem, path=path, epoch=epoch, dev_score=meta.get("dev_score")))
    return states


def load_pretraining_states(directory: str | Path) -> list[PretrainingState]:
    """The states kept in ``directory`` by a ``PretrainingStateRecorder`` (its ``states.json`` index) or by the
    reference loop (``epoch_NNN.pt`` + ``.json``), in recording order. Raises when there are none, or when the
    states do not all share one architecture (the message names the mismatched keys).

    >>> import tempfile
    >>> load_pretraining_states(tempfile.mkdtemp())
    Traceback (most recent call last):
    ...
    ValueError: No pretraining states found in ...: record some with PretrainingStateRecorder ...
    """
    directory = Path(directory)
    index = directory / INDEX_NAME
    if index.is_file():
        data = json.loads(index.read_text())
        states = [
            PretrainingState(
                name=item["name"], path=directory / item["file"], epoch=item.get("epoch"),
                step=item.get("step"), dev_score=item.get("dev_score"),
            )
            for item in data.get("states", [])
        ]
    elif directory.is_dir():
        states = _from_reference_loop(directory)
    else:
        states = []
    if not states:
        raise ValueError(
            f"No pretraining states found in {directory}: record some with PretrainingStateRecorder "
            "(or train_tagger(checkpoint_dir=...)) before selecting one."
        )
    check_same_architecture(states)
    return states


def check_same_architecture(states: list[PretrainingState]) -> None:
    """Raise ``ValueError`` naming the mismatched keys when the states' architectures differ."""
    reference = architecture_of(states[0].load())
    for state in states[1:]:
        problem = architecture_mismatch(reference, architecture_of(state.load()))
        if problem:
            raise ValueError(
                f"Pretraining states come from different architectures: {state.name!r} differs from "
                f"{states[0].name!r} ({problem})."
            )
