"""``PretrainingStateRecorder``: keep the source model's state at chosen epochs / steps, on disk, with its dev score."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from mitigate.selection._states import INDEX_NAME, PretrainingState, architecture_mismatch, architecture_of
from mitigate.session.strategy import Strategy

if TYPE_CHECKING:
    from mitigate.session import TransferContext

__all__ = ["PretrainingStateRecorder"]


class PretrainingStateRecorder(Strategy):
    """Save ``model``'s state dict into ``directory`` at the chosen ``epochs`` (all when ``None``) and, with
    ``every_n_steps``, every so many optimizer steps; an index ``states.json`` lists each state with the source dev
    score. Re-opening a directory resumes it (a state recorded twice under one name is overwritten), and refuses a
    model whose architecture differs from the states already there.

    Three ways to use it: call it at the end of each epoch of any loop (``recorder(epoch, dev_score)``, the
    reference loop's ``on_epoch_end`` signature); call ``record(step=...)`` yourself; or pass it among the
    strategies of a ``TransferSession`` (it records in ``on_epoch_end`` and, with ``every_n_steps``, ``after_step``).

    >>> import tempfile
    >>> model = nn.Linear(2, 1)
    >>> recorder = PretrainingStateRecorder(model=model, directory=tempfile.mkdtemp(), epochs=[1, 2])
    >>> for epoch in range(3):
    ...     recorder(epoch, 0.5 + epoch / 10)  # after each source epoch
    >>> [(s.name, s.dev_score) for s in recorder.states]
    [('epoch_001', 0.6), ('epoch_002', 0.7)]
    """

    name = "pretraining_state_recorder"

    def __init__(
        self,
        *,
        model: nn.Module | None = None,
        directory: str | Path,
        epochs: Iterable[int] | None = None,
        every_n_steps: int | None = None,
    ) -> None:
        if model is not None and not isinstance(model, nn.Module):
            raise TypeError(f"Expected argument `model` to be a torch.nn.Module or None, but got {type(model).__name__}.")
        if every_n_steps is not None and (not isinstance(every_n_steps, int) or every_n_steps < 1):
            raise ValueError(f"Expected argument `every_n_steps` to be a positive int or None, but got {every_n_steps!r}.")
        self.model = model
        self.directory = Path(directory)
        self.epochs = None if epochs is None else frozenset(int(e) for e in epochs)
        self.every_n_steps = every_n_steps
        self._entries: list[dict[str, Any]] = []
        self._architecture: dict[str, list[int]] | None = None
        index = self.directory / INDEX_NAME
        if index.is_file():
            data = json.loads(index.read_text())
            self._entries = list(data.get("states", []))
            self._architecture = data.get("architecture")

    # -- recording ---------------------------------------------------------------------------------------------
    def record(
        self, *, epoch: int | None = None, step: int | None = None, dev_score: float | None = None,
        model: nn.Module | None = None,
    ) -> PretrainingState:
        """Save the current state now (whatever ``epochs`` says) and return its index entry."""
        model = model if model is not None else self.model
        if model is None:
            raise ValueError("Expected a model to record: pass `model=` to PretrainingStateRecorder or to record().")
        if epoch is None and step is None:
            raise ValueError("Expected argument `epoch` or `step` to be given, but got neither.")
        state = {key: value.detach().cpu().clone() for key, value in model.state_dict().items()}
        architecture = architecture_of(state)
        if self._architecture is not None:
            problem = architecture_mismatch(self._architecture, architecture)
            if problem:
                raise ValueError(
                    f"Expected the model to have the architecture of the states already in {self.directory}, "
                    f"but {problem}. Use another directory for another architecture."
                )
        name = f"epoch_{epoch:03d}" if step is None else f"step_{step:07d}"
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{name}.pt"
        tmp = path.with_suffix(".pt.tmp")
        torch.save(state, tmp)
        tmp.replace(path)
        entry = {"name": name, "file": path.name, "epoch": epoch, "step": step,
                 "dev_score": None if dev_score is None else float(dev_score)}
        self._entries = [e for e in self._entries if e["name"] != name] + [entry]
        self._architecture = architecture
        self._write_index()
        return PretrainingState(name=name, path=path, epoch=epoch, step=step, dev_score=entry["dev_score"])

    def __call__(self, epoch: int, dev_score: float | None = None) -> None:
        """End-of-epoch callback: record when ``epoch`` is among the chosen ones."""
        if self.epochs is None or epoch in self.epochs:
            self.record(epoch=epoch, dev_score=dev_score)

    def _write_index(self) -> None:
        index = self.directory / INDEX_NAME
        tmp = index.with_suffix(".json.tmp")
        tmp.write_text(json.dumps({"format": 1, "architecture": self._architecture, "states": self._entries}, indent=1))
        tmp.replace(index)

    @property
    def states(self) -> list[PretrainingState]:
        """The states recorded so far (including earlier runs in the same directory), in recording order."""
        return [
            PretrainingState(name=e["name"], path=self.directory / e["file"], epoch=e.get("epoch"),
                             step=e.get("step"), dev_score=e.get("dev_score"))
            for e in self._entries
        ]

    # -- as a session strategy -------------------------------------------------------------------------------
    def on_epoch_end(self, ctx: TransferContext, epoch: int, dev_score: float | None) -> None:
        """Record at the end of a chosen epoch."""
        if self.epochs is None or epoch in self.epochs:
            self.record(epoch=epoch, dev_score=dev_score, model=self.model or ctx.model)

    def after_step(self, ctx: TransferContext) -> None:
        """Record every ``every_n_steps`` optimizer steps."""
        if self.every_n_steps is not None and ctx.step > 0 and ctx.step % self.every_n_steps == 0:
            self.record(epoch=ctx.epoch, step=ctx.step, model=self.model or ctx.model)

    def state_dict(self) -> dict[str, Any]:
        """The index entries (the tensors are on disk)."""
        return {"directory": str(self.directory), "states": [dict(e) for e in self._entries]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the index entries."""
        self._entries = [dict(e) for e in state.get("states", [])]

    def __repr__(self) -> str:
        return f"PretrainingStateRecorder(directory={str(self.directory)!r}, states={len(self._entries)})"
