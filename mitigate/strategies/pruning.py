"""``PruneBiasedUnits``: before fine-tuning, prune the units of a layer that the source needs and the target does not.

Each unit of the chosen layers is scored with Captum on source data (through the source model's own head) and on
target data (through a linear probe fit on the frozen features at the head's input, since the transferred model's
target head is still untrained). The bias of a unit is the z-score over its layer of ``log((s_S+ε)/(s_T+ε))``, plus
an optional harm term from target items a pilot fine-tune falsified. The top ``k`` percent (or those over
``threshold``) are masked (kept at zero through fine-tuning) or re-initialised (then re-learned).
``selection="random"`` prunes as many units chosen at random: the control without which no claim of bias holds.
See ``docs/strategies/pruning.md``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from mitigate.attribution import (
    METHODS,
    Batches,
    LayerReport,
    UnitEntries,
    UnitImportance,
    bias_scores,
    count_for_percent,
    fit_probe,
    mask_units,
    reinit_units,
    resolve_module,
    select_random_units,
    select_top_units,
    top_labels,
    unit_count,
    unit_importance,
    write_report,
)
from mitigate.session import Strategy

if TYPE_CHECKING:
    import optuna

    from mitigate.session import TransferContext

__all__ = ["PruneBiasedUnits"]

BatchesOrFactory = Batches | Callable[[nn.Module], Batches]
LabelsOrFactory = Sequence[str] | Callable[[nn.Module], Sequence[str]]


def _materialise(value: Any, model: nn.Module) -> Any:
    return value(model) if callable(value) else value


class PruneBiasedUnits(Strategy):
    """Prune source-biased units of ``layers`` (names of ``nn.Linear`` / ``nn.LSTM`` / ``nn.Conv*d`` modules).

    Data: ``source_batches`` / ``target_batches`` yield ``(inputs, targets)`` (``model(*inputs)`` gives logits with
    classes last; ``targets`` gold ids, ``-100`` for padding), or are callables ``f(model) -> batches`` (e.g. to encode
    with the transferred model's vocabulary); in ``mitigate bench`` / ``mitigate tune`` the data, ``layers``, ``head``,
    ``consumers``, ``scale_at``, ``source_model`` and ``seed`` come from the scenario's ``strategy_inputs`` unless the
    config gives them (``scenario_inputs``). ``source_model`` scores the source data (default: the session's model);
    ``head`` names the module whose input the target probe reads (``None``: target data goes through the model's own
    head). ``consumers`` maps a layer to the module reading its units, whose input columns masking also zeroes.
    ``scale_at`` names the module interpolated by ``conductance`` when inputs are integer ids. ``falsified`` (flat
    bool mask or index tensor over the labelled target items, in batch order) adds the harm term.

    >>> _ = torch.manual_seed(0)
    >>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    >>> data = [(torch.randn(16, 4), torch.randint(0, 3, (16,)))]
    >>> strategy = PruneBiasedUnits(layers="0", consumers={"0": "2"}, source_batches=data, target_batches=data,
    ...                             head="2", k=25, probe_steps=5)
    >>> strategy.prune(model)["0"].numel()
    2
    >>> float(model[0].weight.detach()[strategy.selected["0"]].abs().sum())
    0.0
    """

    name = "prune_biased_units"
    scenario_inputs = MappingProxyType({
        "layers": "prune_layers", "source_batches": "source_batches", "target_batches": "target_batches",
        "source_model": "source_model", "head": "head", "consumers": "consumers", "scale_at": "scale_at", "seed": "seed",
    })

    def __init__(
        self,
        *,
        layers: str | Sequence[str],
        source_batches: BatchesOrFactory | None = None,
        target_batches: BatchesOrFactory | None = None,
        source_model: nn.Module | None = None,
        head: str | None = None,
        consumers: Mapping[str, str] | None = None,
        k: float | None = 10.0,
        threshold: float | None = None,
        method: str = "gradient_x_activation",
        mode: str = "mask",
        selection: str = "bias",
        scale_at: str | None = None,
        n_steps: int = 20,
        internal_batch_size: int | None = None,
        probe_steps: int = 100,
        eps: float = 1e-8,
        falsified: torch.Tensor | None = None,
        harm_weight: float = 1.0,
        seed: int = 0,
        source_labels: LabelsOrFactory | None = None,
        target_labels: LabelsOrFactory | None = None,
        report_path: str | Path | None = None,
        ignore_index: int = -100,
    ) -> None:
        self.layers = [layers] if isinstance(layers, str) else list(layers)
        if not self.layers or not all(isinstance(name, str) for name in self.layers):
            raise TypeError(f"Expected argument `layers` to be a module name or a non-empty list of names, but got {layers!r}.")
        if threshold is not None:
            k = None
        if k is not None:
            count_for_percent(1, k)  # validates k in (0, 100)
        elif threshold is None:
            raise ValueError("Expected argument `k` (percent) or `threshold`, but got neither.")
        if method not in METHODS:
            raise ValueError(f"Expected argument `method` to be one of {METHODS}, but got {method!r}.")
        if mode not in ("mask", "reinit"):
            raise ValueError(f"Expected argument `mode` to be 'mask' or 'reinit', but got {mode!r}.")
        if selection not in ("bias", "random"):
            raise ValueError(f"Expected argument `selection` to be 'bias' or 'random', but got {selection!r}.")
        self.consumers = dict(consumers or {})
        unknown = sorted(set(self.consumers) - set(self.layers))
        if unknown:
            raise ValueError(f"Expected the keys of `consumers` to be among `layers` {self.layers}, but got {unknown}.")
        self.source_batches, self.target_batches = source_batches, target_batches
        self.source_model, self.head, self.scale_at = source_model, head, scale_at
        self.k, self.threshold, self.method, self.mode, self.selection = k, threshold, method, mode, selection
        self.n_steps, self.internal_batch_size, self.probe_steps = n_steps, internal_batch_size, probe_steps
        self.eps, self.falsified, self.harm_weight, self.seed = eps, falsified, harm_weight, seed
        self.source_labels, self.target_labels = source_labels, target_labels
        self.report_path = None if report_path is None else Path(report_path)
        self.ignore_index = ignore_index
        #: Units pruned per layer (best first), set by ``prune`` / ``before_transfer`` or ``load_state_dict``.
        self.selected: dict[str, torch.Tensor] = {}
        #: Bias score of every unit per layer (absent for a random selection by ``k``).
        self.scores: dict[str, torch.Tensor] = {}
        self.reports: list[LayerReport] = []
        self.scoring_seconds = 0.0
        self._entries: list[UnitEntries] = []

    def claims(self) -> frozenset[str]:
        return frozenset(f"units:{layer}" for layer in self.layers)

    # -- scoring ----------------------------------------------------------------------------------------------
    def _needs_scores(self) -> bool:
        return self.selection == "bias" or self.threshold is not None

    def _importance(self, model: nn.Module, layer: str, batches: Batches, **extra: Any) -> UnitImportance:
        return unit_importance(
            model, layer=layer, batches=batches, method=self.method, scale_at=self.scale_at, n_steps=self.n_steps,
            internal_batch_size=self.internal_batch_size, ignore_index=self.ignore_index, **extra,  # type: ignore[arg-type]
        )

    def _item_mask(self, n_items: int) -> torch.Tensor:
        falsified = torch.as_tensor(self.falsified)
        if falsified.dtype == torch.bool:
            if falsified.numel() != n_items:
                raise ValueError(
                    f"Expected argument `falsified` to be a bool mask over the {n_items} labelled target items, "
                    f"but got {falsified.numel()} entries."
                )
            return falsified.flatten()
        mask = torch.zeros(n_items, dtype=torch.bool)
        index = falsified.long().flatten()
        if index.numel() and (int(index.min()) < 0 or int(index.max()) >= n_items):
            raise ValueError(f"Expected argument `falsified` to index the {n_items} labelled target items, but got out-of-range indices.")
        mask[index] = True
        return mask

    def score(self, model: nn.Module) -> dict[str, tuple[torch.Tensor, UnitImportance, UnitImportance, UnitImportance | None]]:
        """Bias score per unit of every layer, with the source, target (and harm) importances behind it."""
        if self.source_batches is None or self.target_batches is None:
            raise ValueError(
                "Expected arguments `source_batches` and `target_batches` to score units, but got "
                f"{'no source' if self.source_batches is None else 'source'} and "
                f"{'no target' if self.target_batches is None else 'target'} batches."
            )
        source_model = self.source_model if self.source_model is not None else model
        source_batches = list(_materialise(self.source_batches, source_model))
        target_batches = list(_materialise(self.target_batches, model))
        probe = None
        if self.head is not None:
            probe = fit_probe(model, head=self.head, batches=target_batches, steps=self.probe_steps, seed=self.seed,
                              ignore_index=self.ignore_index)
        out = {}
        for layer in self.layers:
            n_units = unit_count(resolve_module(model, layer), layer=layer)
            n_source = unit_count(resolve_module(source_model, layer), layer=layer)
            if n_source != n_units:
                raise ValueError(f"Expected layer {layer!r} to have {n_units} units in `source_model` too, but got {n_source}.")
            s_source = self._importance(source_model, layer, source_batches)
            s_target = self._importance(model, layer, target_batches, head=self.head, probe=probe)
            s_harm = None
            if self.falsified is not None:
                mask = self._item_mask(s_target.n_items)
                s_harm = self._importance(model, layer, target_batches, head=self.head, probe=probe, item_mask=mask)
            bias = bias_scores(s_source.importance, s_target.importance, eps=self.eps,
                               harm=None if s_harm is None else s_harm.importance, harm_weight=self.harm_weight)
            out[layer] = (bias, s_source, s_target, s_harm)
        return out

    # -- pruning ----------------------------------------------------------------------------------------------
    def prune(self, model: nn.Module) -> dict[str, torch.Tensor]:
        """Score (unless a selection was loaded), select and prune ``model`` in place; return the units per layer."""
        for layer in self.layers:
            unit_count(resolve_module(model, layer), layer=layer)
        start = time.perf_counter()
        scored = self.score(model) if not self.selected and self._needs_scores() else {}
        self.scoring_seconds = time.perf_counter() - start
        source_names = target_names = None
        if scored:
            source_names = _materialise(self.source_labels, self.source_model or model) if self.source_labels else None
            target_names = _materialise(self.target_labels, model) if self.target_labels else None
        self.reports = []
        for index, layer in enumerate(self.layers):
            n_units = unit_count(resolve_module(model, layer), layer=layer)
            bias, s_source, s_target, s_harm = scored.get(layer, (self.scores.get(layer), None, None, None))
            if layer not in self.selected:
                if bias is not None:
                    chosen = select_top_units(bias, k=self.k, threshold=self.threshold)
                else:
                    chosen = torch.empty(0, dtype=torch.long)
                if self.selection == "random":
                    count = chosen.numel() if self.threshold is not None else count_for_percent(n_units, self.k or 0.0)
                    chosen = select_random_units(n_units, count=count, seed=self.seed + 7919 * index)
                self.selected[layer] = chosen
            if bias is not None:
                self.scores[layer] = bias
            units = self.selected[layer]
            if self.mode == "mask":
                self._entries += mask_units(model, layer=layer, units=units, consumer=self.consumers.get(layer))
            else:
                # offset so fresh values never replay the global-seed draw that built the model
                reinit_units(model, layer=layer, units=units, seed=104729 + 7919 * self.seed + index)
            self.reports.append(self._report(layer, bias, s_source, s_target, s_harm, source_names, target_names))
        if self.report_path is not None:
            write_report(self.reports, path=self.report_path)
        return dict(self.selected)

    def _report(
        self, layer: str, bias: torch.Tensor | None, s_source: UnitImportance | None, s_target: UnitImportance | None,
        s_harm: UnitImportance | None, source_names: Any, target_names: Any,
    ) -> LayerReport:
        def as_list(x: torch.Tensor | None) -> list[float] | None:
            return None if x is None else [round(float(v), 6) for v in x]

        units = []
        for unit in self.selected[layer].tolist():
            units.append({
                "unit": unit,
                "bias": None if bias is None else round(float(bias[unit]), 4),
                "source_importance": None if s_source is None else float(s_source.importance[unit]),
                "target_importance": None if s_target is None else float(s_target.importance[unit]),
                "top_source_labels": top_labels(s_source, unit, names=source_names),
                "top_target_labels": top_labels(s_target, unit, names=target_names),
            })
        return LayerReport(
            layer=layer, selection=self.selection, mode=self.mode, pruned=self.selected[layer].tolist(),
            bias=as_list(bias), source_importance=as_list(None if s_source is None else s_source.importance),
            target_importance=as_list(None if s_target is None else s_target.importance),
            harm_importance=as_list(None if s_harm is None else s_harm.importance), units=units,
        )

    # -- hooks ------------------------------------------------------------------------------------------------
    def before_transfer(self, ctx: TransferContext) -> None:
        self._entries = []
        self.prune(ctx.model)

    def after_backward(self, ctx: TransferContext) -> None:
        for entry in self._entries:
            if entry.param.grad is not None:
                entry.param.grad.masked_fill_(entry.mask, 0.0)

    def after_step(self, ctx: TransferContext) -> None:
        with torch.no_grad():
            for entry in self._entries:
                entry.param.masked_fill_(entry.mask, 0.0)

    def state_dict(self) -> dict[str, Any]:
        return {
            "selected": {layer: units.tolist() for layer, units in self.selected.items()},
            "scores": {layer: scores.tolist() for layer, scores in self.scores.items()},
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.selected = {layer: torch.tensor(units, dtype=torch.long) for layer, units in state.get("selected", {}).items()}
        self.scores = {layer: torch.tensor(scores) for layer, scores in state.get("scores", {}).items()}

    @classmethod
    def suggest(cls, trial: optuna.Trial, *, prefix: str = "", **fixed: Any) -> PruneBiasedUnits:
        """Search ``k`` in [1, 30] % (log scale) and ``mode``; ``fixed`` gives ``layers``, the data and the rest."""
        k = trial.suggest_float(f"{prefix}k", 1.0, 30.0, log=True)
        mode = trial.suggest_categorical(f"{prefix}mode", ["mask", "reinit"])
        if "layers" not in fixed:
            raise TypeError("Expected keyword argument `layers` (and the data) in `fixed` for PruneBiasedUnits.suggest, but got none.")
        return cls(k=k, mode=mode, **fixed)

    @classmethod
    def example(cls, *, model: nn.Module, batches: list[Any]) -> PruneBiasedUnits:
        """An instance for the contract suite: the last prunable layer before the output layer (the one whose units
        feed the head), the given batches as source and target."""
        prunable = [name for name, module in model.named_modules()
                    if isinstance(module, (nn.Linear, nn.LSTM, nn.Conv1d, nn.Conv2d, nn.Conv3d))]
        if len(prunable) < 2:
            raise ValueError(
                f"Expected a model with a prunable layer (nn.Linear, nn.LSTM or convolution) before its output layer, "
                f"but got {prunable or 'none'}."
            )
        return cls(layers=prunable[-2], source_batches=batches, target_batches=batches, k=25.0, probe_steps=5)

    def __repr__(self) -> str:
        rule = f"k={self.k}" if self.threshold is None else f"threshold={self.threshold}"
        return (f"PruneBiasedUnits(layers={self.layers!r}, {rule}, method={self.method!r}, mode={self.mode!r}, "
                f"selection={self.selection!r})")
