"""``SimilarityFreezing``: freeze the lower layers whose representation a target fine-tune barely changes,
measured by linear CKA on target data."""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from mitigate.session import Strategy
from mitigate.session._names import as_name_list
from mitigate.strategies._cka import _forward, layer_cka
from mitigate.strategies.freeze import freeze_batchnorm

if TYPE_CHECKING:
    import optuna

    from mitigate.session import TransferContext

__all__ = ["SimilarityFreezing"]


def _cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


class SimilarityFreezing(Strategy):
    """Per-layer linear CKA on the target data between the pretrained model and a ``reference``: a short pilot
    fine-tune of a copy of the model (``"pilot"``: ``pilot_epochs`` over ``batches`` with Adam at ``pilot_lr``), or
    a model you pass (e.g. a scratch model trained on the target, same layer names). ``batches`` is a list of
    ``(inputs, targets)`` or a callable ``f(model) -> batches`` called with the transferred model (e.g. to encode
    with its vocabulary). In ``mitigate bench`` and ``mitigate tune``, ``batches``, ``layers`` and ``seed`` come from
    the scenario's ``strategy_inputs`` unless the config gives them (``scenario_inputs``).

    Rule of ``freeze="auto"``: walk ``layers`` from the bottom and freeze each layer while its CKA is at least
    ``threshold``; stop at the first layer below it; the top layer is never frozen. A layer the target barely
    changes already computes what the target needs, so training it only adds room for negative transfer.
    ``freeze=k`` freezes the ``k`` lowest layers whatever the scores (the table is still computed, to compare).
    ``report`` holds one row per layer (``layer``, ``cka``, ``frozen``); ``save_report(path)`` writes a Markdown
    table and a PNG bar chart.

    >>> from mitigate.testing import tiny_tagger_batches
    >>> SimilarityFreezing(batches=tiny_tagger_batches(), layers=["wre", "fe", "classifier"], threshold=0.8)
    SimilarityFreezing(layers=['wre', 'fe', 'classifier'], freeze='auto', threshold=0.8, reference='pilot')
    """

    name = "similarity_freezing"
    scenario_inputs = MappingProxyType({"batches": "target_batches", "layers": "layers", "seed": "seed"})

    def __init__(
        self,
        *,
        batches: Sequence[Any] | Callable[[nn.Module], Sequence[Any]],
        layers: Sequence[str],
        freeze: str | int = "auto",
        threshold: float = 0.9,
        reference: str | nn.Module = "pilot",
        pilot_epochs: int = 1,
        pilot_lr: float = 1e-3,
        loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = _cross_entropy,
        seed: int = 0,
    ) -> None:
        self.layers = as_name_list(layers, argument="layers")
        if len(self.layers) < 2:
            raise ValueError(f"Expected argument `layers` to name at least 2 layers (bottom to top), but got {self.layers!r}.")
        if freeze != "auto" and (not isinstance(freeze, int) or isinstance(freeze, bool) or not 0 <= freeze < len(self.layers)):
            raise ValueError(
                f"Expected argument `freeze` to be 'auto' or an int in [0, {len(self.layers) - 1}], but got {freeze!r}."
            )
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 <= threshold <= 1:
            raise ValueError(f"Expected argument `threshold` to be in [0, 1], but got {threshold!r}.")
        if not (reference == "pilot" or isinstance(reference, nn.Module)):
            raise ValueError(f"Expected argument `reference` to be 'pilot' or a torch.nn.Module, but got {reference!r}.")
        if not isinstance(pilot_epochs, int) or pilot_epochs < 1:
            raise ValueError(f"Expected argument `pilot_epochs` to be an int >= 1, but got {pilot_epochs!r}.")
        self.batches = batches
        self.freeze = freeze
        self.threshold = float(threshold)
        self.reference = reference
        self.pilot_epochs = pilot_epochs
        self.pilot_lr = float(pilot_lr)
        self.loss_fn = loss_fn
        self.seed = seed
        self.similarity: dict[str, float] = {}
        self.frozen_layers: list[str] = []

    def claims(self) -> frozenset[str]:
        return frozenset({"freeze:similarity"})

    def _pilot(self, model: nn.Module, batches: Sequence[Any]) -> nn.Module:
        pilot = copy.deepcopy(model)
        optimizer = torch.optim.Adam(pilot.parameters(), lr=self.pilot_lr)
        pilot.train()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            for _ in range(self.pilot_epochs):
                for inputs, targets in batches:
                    loss = self.loss_fn(_forward(pilot, inputs), targets)
                    optimizer.zero_grad()
                    loss.backward()
                    optimizer.step()
        return pilot

    def choose(self, similarity: dict[str, float]) -> list[str]:
        """The layers to freeze given per-layer CKA scores (the rule above)."""
        if self.freeze != "auto":
            return self.layers[: int(self.freeze)]
        chosen: list[str] = []
        for layer in self.layers[:-1]:
            if similarity[layer] < self.threshold:
                break
            chosen.append(layer)
        return chosen

    def before_transfer(self, ctx: TransferContext) -> None:
        if not self.similarity:  # a loaded state keeps its scores (no second pilot when resuming)
            batches = list(self.batches(ctx.model)) if callable(self.batches) else self.batches
            reference = self._pilot(ctx.model, batches) if self.reference == "pilot" else self.reference
            self.similarity = layer_cka(ctx.model, reference, batches, layers=self.layers)
        self.frozen_layers = self.choose(self.similarity)
        if self.frozen_layers:
            freeze_batchnorm(ctx, set(ctx.freeze(self.frozen_layers)))

    @property
    def report(self) -> list[dict[str, Any]]:
        """One row per layer, bottom to top: ``layer``, ``cka``, ``frozen``."""
        return [
            {"layer": layer, "cka": self.similarity.get(layer), "frozen": layer in self.frozen_layers}
            for layer in self.layers
        ]

    def save_report(self, path: str | Path) -> tuple[Path, Path]:
        """Write ``path`` (Markdown table, ``.md`` added if absent) and a PNG bar chart beside it."""
        if not self.similarity:
            raise RuntimeError("No similarity computed yet: run the strategy inside a session first.")
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        table = Path(path).with_suffix(".md")
        lines = ["| layer | linear CKA (pretrained vs reference) | frozen |", "|---|---|---|"]
        lines += [f"| {r['layer']} | {r['cka']:.4f} | {'yes' if r['frozen'] else 'no'} |" for r in self.report]
        table.parent.mkdir(parents=True, exist_ok=True)
        table.write_text("\n".join(lines) + "\n")
        figure, axis = plt.subplots(figsize=(4 + 0.5 * len(self.layers), 3))
        colours = ["tab:blue" if r["frozen"] else "tab:gray" for r in self.report]
        axis.bar([r["layer"] for r in self.report], [r["cka"] for r in self.report], color=colours)
        if self.freeze == "auto":
            axis.axhline(self.threshold, color="tab:red", linestyle="--", label=f"threshold {self.threshold}")
            axis.legend(loc="lower left")
        axis.set_ylim(0, 1.05)
        axis.set_ylabel("linear CKA")
        axis.set_title("Similarity per layer (blue = frozen)")
        figure.tight_layout()
        png = table.with_suffix(".png")
        figure.savefig(png, dpi=100)
        plt.close(figure)
        return table, png

    def state_dict(self) -> dict[str, Any]:
        return {"similarity": dict(self.similarity), "frozen_layers": list(self.frozen_layers)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.similarity = {str(k): float(v) for k, v in state.get("similarity", {}).items()}
        self.frozen_layers = list(state.get("frozen_layers", []))

    @classmethod
    def suggest(cls, trial: optuna.Trial, *, prefix: str = "", **fixed: Any) -> SimilarityFreezing:
        """Search ``threshold`` in [0.5, 0.99] (``fixed``: ``batches`` and ``layers`` required, the rest optional)."""
        threshold = trial.suggest_float(f"{prefix}threshold", 0.5, 0.99)
        missing = [key for key in ("batches", "layers") if key not in fixed]
        if missing:
            raise ValueError(f"Expected `suggest` to receive fixed arguments {missing} (data and layer names), but got none.")
        return cls(threshold=threshold, **fixed)

    @classmethod
    def example(cls, *, model: nn.Module, batches: list[Any]) -> SimilarityFreezing:
        return cls(batches=batches, layers=["wre", "fe", "classifier"], threshold=0.0, pilot_lr=0.01)

    def __repr__(self) -> str:
        reference = self.reference if isinstance(self.reference, str) else type(self.reference).__name__
        return (
            f"SimilarityFreezing(layers={self.layers!r}, freeze={self.freeze!r}, threshold={self.threshold}, "
            f"reference={reference!r})"
        )
