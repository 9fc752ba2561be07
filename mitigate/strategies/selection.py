"""``SelectPretrainingState``: choose which kept pretraining state to transfer, and load it before fine-tuning.

The study (Meftah et al. 2021) found hidden negative transfer growing with the number of source pretraining
epochs; this strategy picks the state to transfer by fine-tuning from each (``oracle``), by a transferability
proxy (``proxy``), or by a proxy shortlist plus successive halving (``halving``). See docs/strategies/selection.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from mitigate.selection._loading import load_source_state
from mitigate.selection._result import SelectionResult
from mitigate.selection._select import MODES, FineTune, Probe, select_pretraining_state
from mitigate.selection._states import PretrainingState, check_same_architecture, load_pretraining_states
from mitigate.session.strategy import Strategy

if TYPE_CHECKING:
    import optuna
    from torch import nn

    from mitigate.session import TransferContext

__all__ = ["SelectPretrainingState"]


class SelectPretrainingState(Strategy):
    """Select one of the source model's kept ``states`` (a directory written by ``PretrainingStateRecorder`` or
    ``train_tagger(checkpoint_dir=...)``, or a list of ``PretrainingState``) and load it into the model in
    ``before_transfer``; the selection itself runs then, or earlier through ``select()``.

    Loading follows ``load_source_state``: keys matching ``exclude`` (the target's new head, e.g.
    ``"classifier.*"``) are skipped and grown vocabularies keep their new rows. ``ctx.pretrained_state`` is
    updated with the loaded tensors, so regularisers toward the pretrained weights (L2-SP) see the chosen state
    (put this strategy first in a ``Compose``). The other arguments are those of ``select_pretraining_state``.
    ``result`` holds the chosen state, every candidate's scores and the compute spent.

    >>> import tempfile, torch
    >>> from torch import nn
    >>> from mitigate.selection import PretrainingStateRecorder
    >>> from mitigate.session import TransferSession
    >>> source, folder = nn.Linear(2, 2), tempfile.mkdtemp()
    >>> recorder = PretrainingStateRecorder(model=source, directory=folder)
    >>> for epoch, dev in enumerate([0.6, 0.8, 0.7]):
    ...     _ = torch.nn.init.constant_(source.weight, epoch)
    ...     recorder(epoch, dev)
    >>> model = nn.Linear(2, 2)
    >>> strategy = SelectPretrainingState(states=folder, mode="proxy", proxy="source_dev")
    >>> with TransferSession(model=model, optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
    ...                      strategies=[strategy]):
    ...     float(model.weight[0, 0].detach())
    1.0
    >>> strategy.result.chosen
    'epoch_001'
    """

    name: ClassVar[str] = "select_pretraining_state"

    def __init__(
        self,
        *,
        states: str | Path | Sequence[PretrainingState],
        mode: str = "proxy",
        proxy: str = "logme",
        proxies: Sequence[str] | None = None,
        probe: Probe | None = None,
        fine_tune: FineTune | None = None,
        scratch_correct: np.ndarray | None = None,
        nt_weight: float = 1.0,
        max_epochs: int | None = None,
        keep: int = 4,
        min_epochs: int = 1,
        eta: int = 2,
        state: str | int | None = None,
        precomputed: Mapping[str, Mapping[str, float]] | None = None,
        exclude: Sequence[str] = (),
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"Expected argument `mode` to be one of {list(MODES)}, but got {mode!r}.")
        if isinstance(states, (str, Path)):
            self.states = load_pretraining_states(states)
        else:
            self.states = list(states)
            if not self.states:
                raise ValueError("Expected argument `states` to hold at least one pretraining state, but got none.")
            if not all(isinstance(s, PretrainingState) for s in self.states):
                raise TypeError("Expected argument `states` to be a directory or a list of PretrainingState.")
            check_same_architecture(self.states)
        self.mode = mode
        self.options: dict[str, Any] = dict(
            proxy=proxy, proxies=proxies, probe=probe, fine_tune=fine_tune, scratch_correct=scratch_correct,
            nt_weight=nt_weight, max_epochs=max_epochs, keep=keep, min_epochs=min_epochs, eta=eta, state=state,
            precomputed=precomputed,
        )
        self.exclude = tuple(exclude)
        self.result: SelectionResult | None = None
        self.loaded: list[str] = []

    def claims(self) -> frozenset[str]:
        """The initial weights of the transferred model are this strategy's to set."""
        return frozenset({"initial-weights"})

    def select(self) -> SelectionResult:
        """Run the selection now (once; later calls return the same result)."""
        if self.result is None:
            self.result = select_pretraining_state(states=self.states, mode=self.mode, **self.options)
        return self.result

    @property
    def chosen_state(self) -> PretrainingState:
        """The selected state (runs the selection if needed)."""
        chosen = self.select().chosen
        return next(s for s in self.states if s.name == chosen)

    def before_transfer(self, ctx: TransferContext) -> None:
        """Select (if not done yet) and load the chosen state into ``ctx.model``."""
        tensors = self.chosen_state.load()
        self.loaded = load_source_state(ctx.model, tensors, exclude=self.exclude)
        current = ctx.model.state_dict()
        for key in self.loaded:
            if key in ctx.pretrained_state:
                ctx.pretrained_state[key] = current[key].detach().clone()

    def state_dict(self) -> dict[str, Any]:
        """The selection result, so a resumed run does not select again."""
        return {"result": None if self.result is None else self.result.to_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a selection result saved by ``state_dict``."""
        saved = state.get("result")
        self.result = None if saved is None else SelectionResult.from_dict(saved)

    @classmethod
    def example(cls, *, model: nn.Module, batches: list[Any]) -> SelectPretrainingState:
        """An instance for the contract suite: three recorded states of ``model`` (scaled copies of its weights, dev
        scores 0.4 / 0.7 / 0.6) in a temporary folder, selected by source dev score."""
        import tempfile

        import torch

        from mitigate.selection import PretrainingStateRecorder

        folder = Path(tempfile.mkdtemp(prefix="mitigate-states-"))
        original = {name: value.clone() for name, value in model.state_dict().items()}
        recorder = PretrainingStateRecorder(model=model, directory=folder)
        for epoch, dev in enumerate([0.4, 0.7, 0.6]):
            with torch.no_grad():
                for name, value in model.state_dict().items():
                    if value.is_floating_point():
                        value.copy_(original[name] * (1.0 + 0.1 * epoch))
            recorder(epoch, dev)
        model.load_state_dict(original)
        return cls(states=folder, mode="proxy", proxy="source_dev")

    @classmethod
    def suggest(
        cls, trial: optuna.Trial, *, prefix: str = "", states: str | Path | Sequence[PretrainingState] | None = None,
        **fixed: Any,
    ) -> SelectPretrainingState:
        """Search space: which kept state to transfer (``{prefix}state``, categorical over the state names), so a
        tuner explores the pretraining epoch like any hyper-parameter. ``states`` (and ``exclude`` etc. in
        ``fixed``) are required: there is nothing to choose from without them.

        >>> import optuna, tempfile, torch
        >>> from mitigate.selection import PretrainingStateRecorder
        >>> rec = PretrainingStateRecorder(model=torch.nn.Linear(1, 1), directory=tempfile.mkdtemp())
        >>> states = [rec.record(epoch=e) for e in range(3)]
        >>> trial = optuna.create_study().ask()
        >>> SelectPretrainingState.suggest(trial, prefix="sel.", states=states).select().chosen == trial.params["sel.state"]
        True
        """
        if states is None:
            raise TypeError(
                "SelectPretrainingState.suggest needs `states=` (a directory of kept pretraining states or a list of "
                "PretrainingState): the search space is the choice among them."
            )
        resolved = load_pretraining_states(states) if isinstance(states, (str, Path)) else list(states)
        name = trial.suggest_categorical(f"{prefix}state", [s.name for s in resolved])
        return cls(states=resolved, mode="fixed", state=name, **fixed)

    def __repr__(self) -> str:
        chosen = None if self.result is None else self.result.chosen
        return f"SelectPretrainingState(mode={self.mode!r}, states={len(self.states)}, chosen={chosen!r})"
