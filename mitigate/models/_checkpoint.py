"""Checkpoints: a state dict (``.pt``, loaded with ``weights_only=True``) beside a JSON metadata file."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

__all__ = ["save_checkpoint", "load_state_checked", "read_metadata"]


def save_checkpoint(model: nn.Module, path: str | Path, *, metadata: dict[str, Any] | None = None) -> Path:
    """Write ``model.state_dict()`` to ``path`` (``.pt``) and ``metadata`` to ``path`` with suffix ``.json``.

    The state dict is written to a temporary file first and renamed, so an interrupted run never leaves a
    truncated checkpoint.

    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> p = save_checkpoint(nn.Linear(2, 1), Path(d) / "m.pt", metadata={"epoch": 0})
    >>> read_metadata(p)["epoch"]
    0
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".pt.tmp")
    torch.save(model.state_dict(), tmp)
    tmp.replace(path)
    if metadata is not None:
        meta_tmp = path.with_suffix(".json.tmp")
        meta_tmp.write_text(json.dumps(metadata, indent=1, sort_keys=True))
        meta_tmp.replace(path.with_suffix(".json"))
    return path


def read_metadata(path: str | Path) -> dict[str, Any]:
    """The JSON metadata written beside checkpoint ``path``."""
    meta = Path(path).with_suffix(".json")
    if not meta.is_file():
        raise FileNotFoundError(f"No checkpoint metadata at {meta} (written by save_checkpoint beside {path}).")
    return json.loads(meta.read_text())


def load_state_checked(model: nn.Module, path: str | Path) -> nn.Module:
    """Load the state dict at ``path`` into ``model`` (``weights_only=True``). A checkpoint of another
    architecture raises ``ValueError`` naming the missing, unexpected and mis-shaped keys.

    >>> import tempfile
    >>> p = save_checkpoint(nn.Linear(2, 1), Path(tempfile.mkdtemp()) / "m.pt")
    >>> load_state_checked(nn.Linear(3, 1), p)
    Traceback (most recent call last):
    ...
    ValueError: Checkpoint ... does not match the model: shape mismatch: weight: checkpoint (1, 2) vs model (1, 3).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No checkpoint at {path}.")
    state = torch.load(path, map_location="cpu", weights_only=True)
    problem = state_mismatch(
        {key: value.shape for key, value in model.state_dict().items()},
        {key: value.shape for key, value in state.items()},
        describe_shape=lambda key, want, got: f"{key}: checkpoint {got} vs model {want}",
    )
    if problem:
        raise ValueError(f"Checkpoint {path} does not match the model: {problem}.")
    model.load_state_dict(state)
    return model


def state_mismatch(
    expected: Mapping[str, Sequence[int]],
    got: Mapping[str, Sequence[int]],
    *,
    describe_shape: Callable[[str, tuple[int, ...], tuple[int, ...]], str],
    fits: Callable[[tuple[int, ...], tuple[int, ...]], bool] | None = None,
    missing_label: str = "missing keys",
    unexpected_label: str = "unexpected keys",
) -> str | None:
    """The keys of ``expected`` absent from ``got``, those of ``got`` absent from ``expected`` and the shared keys
    whose shapes do not fit (by default: differ), joined into one message; ``None`` when everything fits.

    ``describe_shape(key, expected_shape, got_shape)`` words one shape problem; ``fits(expected_shape, got_shape)``
    may accept shapes that differ. Every state-dict compatibility check (checkpoints, pretraining states, source
    states loaded into a target) words its problems through here, in this order.

    >>> state_mismatch({"a": [1], "b": [2]}, {"a": [3], "c": [2]},
    ...                describe_shape=lambda key, want, got: f"{key}: {want} vs {got}")
    'missing keys: b; unexpected keys: c; shape mismatch: a: (1,) vs (3,)'
    """
    missing = sorted(set(expected) - set(got))
    unexpected = sorted(set(got) - set(expected))
    shapes = []
    for key in sorted(set(expected) & set(got)):
        want, have = tuple(expected[key]), tuple(got[key])
        if not (want == have if fits is None else fits(want, have)):
            shapes.append(describe_shape(key, want, have))
    problems = []
    if missing:
        problems.append(f"{missing_label}: {', '.join(missing)}")
    if unexpected:
        problems.append(f"{unexpected_label}: {', '.join(unexpected)}")
    if shapes:
        problems.append(f"shape mismatch: {'; '.join(shapes)}")
    return "; ".join(problems) or None
