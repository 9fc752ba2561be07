"""Multi-source gating as session strategies.

``SourceGating`` trains a gated mixture of source encoders (``mitigate.gating.GatedSourceMixture``) inside a
session: freeze experts, regularise the gate, record where the gate sends items. ``DiscriminatorGate`` adds a
source loss weighted by a discriminator's density ratio (Wang et al. 2019) to the user's target loss."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from mitigate.gating._discriminator import DensityRatioWeighting
from mitigate.gating._mixture import GatedSourceMixture
from mitigate.gating._regularisers import gate_regulariser
from mitigate.session import Strategy

if TYPE_CHECKING:
    import optuna

    from mitigate.session import TransferContext

__all__ = ["SourceGating", "DiscriminatorGate"]


class SourceGating(Strategy):
    """Drive the ``GatedSourceMixture`` inside the model (the one at ``module``, or the only one found).

    - ``freeze_experts``: keep the source encoders fixed (the scratch encoder, projections, gate and head train);
      undone when the session exits.
    - ``balance`` / ``entropy``: weights of the gate regularisers added through ``extra_loss`` (see
      ``mitigate.gating.gate_regulariser``; ``balance`` works against ignoring a harmful source, keep it small).
    - ``warmup_epochs``: keep the gate frozen (at its uniform start) for that many epochs, so every encoder, the
      scratch one included, trains before the gate decides (a gate trained from the first step tends to give
      everything to the best pretrained encoder at once, and an encoder with weight ~0 gets no gradient).
    - ``history``: the mean gate weight of each encoder over the (non-padding) training items of every epoch.

    >>> SourceGating(freeze_experts=True, entropy=0.01)
    SourceGating(module=None, freeze_experts=True, balance=0.0, entropy=0.01, warmup_epochs=0)
    >>> SourceGating(balance=-1)
    Traceback (most recent call last):
    ...
    ValueError: Expected argument `balance` to be a float >= 0, but got -1.
    """

    name = "source_gating"

    def __init__(
        self,
        *,
        module: str | None = None,
        freeze_experts: bool = False,
        balance: float = 0.0,
        entropy: float = 0.0,
        warmup_epochs: int = 0,
    ) -> None:
        if module is not None and not isinstance(module, str):
            raise TypeError(f"Expected argument `module` to be a module name or None, but got {type(module).__name__}.")
        if not isinstance(freeze_experts, bool):
            raise TypeError(f"Expected argument `freeze_experts` to be a bool, but got {type(freeze_experts).__name__}.")
        for argument, value in (("balance", balance), ("entropy", entropy)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"Expected argument `{argument}` to be a float >= 0, but got {value!r}.")
        if isinstance(warmup_epochs, bool) or not isinstance(warmup_epochs, int) or warmup_epochs < 0:
            raise ValueError(f"Expected argument `warmup_epochs` to be an int >= 0, but got {warmup_epochs!r}.")
        self.module = module
        self.freeze_experts = freeze_experts
        self.warmup_epochs = warmup_epochs
        self._gate_name: str | None = None
        self.balance = float(balance)
        self.entropy = float(entropy)
        self.names: list[str] = []
        self.history: list[list[float]] = []
        self._mixture: GatedSourceMixture | None = None
        self._sum: torch.Tensor | None = None
        self._count = 0

    def claims(self) -> frozenset[str]:
        return frozenset({"regulariser:gate"})

    def _find(self, ctx: TransferContext) -> tuple[str, GatedSourceMixture]:
        if self.module is not None:
            found = ctx.get_module(self.module)
            if not isinstance(found, GatedSourceMixture):
                raise TypeError(
                    f"Expected argument `module` to name a GatedSourceMixture, but {self.module!r} is {type(found).__name__}."
                )
            return self.module, found
        hits = [(n, m) for n, m in ctx.model.named_modules() if isinstance(m, GatedSourceMixture)]
        if len(hits) != 1:
            raise ValueError(
                "Expected the model to hold exactly one GatedSourceMixture (or pass `module`), but found "
                f"{len(hits)}{': ' + str([n for n, _ in hits]) if hits else ''}. Build the model with "
                "mitigate.gating.build_gated_tagger or GatedSourceMixture."
            )
        return hits[0]

    def before_transfer(self, ctx: TransferContext) -> None:
        prefix, mixture = self._find(ctx)
        self._mixture = mixture
        self.names = list(mixture.names)
        if self.freeze_experts:
            base = f"{prefix}.experts" if prefix else "experts"
            ctx.freeze([f"{base}.{name}" for name in mixture.source_names])
        self._gate_name = f"{prefix}.gate" if prefix else "gate"
        if self.warmup_epochs > 0:
            ctx.freeze(self._gate_name)

    def on_epoch_start(self, ctx: TransferContext, epoch: int) -> None:
        self._sum, self._count = None, 0
        if self.warmup_epochs > 0 and epoch == self.warmup_epochs and self._gate_name is not None:
            ctx.unfreeze(self._gate_name)

    def extra_loss(self, ctx: TransferContext) -> torch.Tensor | None:
        if self._mixture is None or (self.balance == 0 and self.entropy == 0):
            return None
        return gate_regulariser(self._mixture, balance=self.balance, entropy=self.entropy)

    def after_step(self, ctx: TransferContext) -> None:
        mixture = self._mixture
        if mixture is None or mixture.last_weights is None:
            return
        flat = mixture.last_weights.reshape(-1, mixture.last_weights.shape[-1])
        if mixture.last_mask is not None:
            flat = flat[mixture.last_mask.reshape(-1)]
        total = flat.double().sum(dim=0).cpu()
        self._sum = total if self._sum is None else self._sum + total
        self._count += int(flat.shape[0])

    def on_epoch_end(self, ctx: TransferContext, epoch: int, dev_score: float | None) -> None:
        if self._sum is not None and self._count:
            self.history.append([round(float(v), 6) for v in self._sum / self._count])

    def after_transfer(self, ctx: TransferContext) -> None:
        self._mixture, self._sum, self._count, self._gate_name = None, None, 0, None

    def last_epoch_weights(self) -> dict[str, float]:
        """The mean gate weight per encoder over the last recorded epoch ({} before any)."""
        return dict(zip(self.names, self.history[-1])) if self.history else {}

    def state_dict(self) -> dict[str, Any]:
        return {"names": list(self.names), "history": [list(row) for row in self.history]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.names = list(state.get("names", []))
        self.history = [list(row) for row in state.get("history", [])]

    @classmethod
    def suggest(cls, trial: optuna.Trial, *, prefix: str = "", **fixed: Any) -> SourceGating:
        """Search ``freeze_experts`` in {False, True} and ``entropy`` in [1e-4, 1e-1] (log); ``balance`` stays 0."""
        freeze = trial.suggest_categorical(f"{prefix}freeze_experts", [False, True])
        entropy = trial.suggest_float(f"{prefix}entropy", 1e-4, 1e-1, log=True)
        return cls(freeze_experts=freeze, entropy=entropy, **fixed)

    def __repr__(self) -> str:
        return (
            f"SourceGating(module={self.module!r}, freeze_experts={self.freeze_experts}, balance={self.balance}, "
            f"entropy={self.entropy}, warmup_epochs={self.warmup_epochs})"
        )



class DiscriminatorGate(Strategy):
    """Joint training inside a session: every step adds ``source_weight ·`` mean(ω · CE) over a batch of source
    data, ω from a discriminator on (features, label) (``mitigate.gating.DensityRatioWeighting``, Wang et al. 2019).

    The user's loop provides the target loss; this strategy draws its own source and target batches (cycled) from
    the constructor: the target batch only trains the discriminator (its features, no gradient to the model).
    Source and target must share the label space of the model's head (map source labels to the target's indices,
    ``-100`` for labels the target lacks). Batches are ``(inputs, labels)`` or, for source batches,
    ``(inputs, labels, ids)`` so ``weighting.down_weighted()`` can name the down-weighted examples. ω is uniform
    during the first ``warmup_steps`` steps. The feature module's output must have shape ``labels.shape + (D,)``.
    ``weighted=False`` is plain joint training (ω = 1 throughout, no discriminator): the baseline the gate is
    measured against.

    >>> from mitigate.testing import check_strategy, tiny_tagger_batches
    >>> check_strategy(lambda: DiscriminatorGate(source_batches=tiny_tagger_batches(seed=1),
    ...                                          target_batches=tiny_tagger_batches()))
    """

    name = "discriminator_gate"

    def __init__(
        self,
        *,
        source_batches: Sequence[Any],
        target_batches: Sequence[Any],
        feature_module: str = "fe_out",
        source_weight: float = 1.0,
        warmup_steps: int = 0,
        weighted: bool = True,
        hidden: int = 64,
        max_weight: float = 5.0,
        lr: float = 1e-3,
    ) -> None:
        if not isinstance(weighted, bool):
            raise TypeError(f"Expected argument `weighted` to be a bool, but got {type(weighted).__name__}.")
        for argument, batches in (("source_batches", source_batches), ("target_batches", target_batches)):
            if not isinstance(batches, Sequence) or not batches:
                raise ValueError(f"Expected argument `{argument}` to be a non-empty sequence of batches, but got {batches!r}.")
        if isinstance(source_weight, bool) or not isinstance(source_weight, (int, float)) or source_weight < 0:
            raise ValueError(f"Expected argument `source_weight` to be a float >= 0, but got {source_weight!r}.")
        if isinstance(warmup_steps, bool) or not isinstance(warmup_steps, int) or warmup_steps < 0:
            raise ValueError(f"Expected argument `warmup_steps` to be an int >= 0, but got {warmup_steps!r}.")
        self.source_batches = list(source_batches)
        self.target_batches = list(target_batches)
        self.feature_module = feature_module
        self.source_weight = float(source_weight)
        self.warmup_steps = warmup_steps
        self.weighted = weighted
        self.options = {"hidden": hidden, "max_weight": max_weight, "lr": lr}
        self.weighting: DensityRatioWeighting | None = None
        self.steps = 0
        self._features: torch.Tensor | None = None

    def claims(self) -> frozenset[str]:
        return frozenset({"regulariser:source_loss"})

    def before_transfer(self, ctx: TransferContext) -> None:
        def catch(_module: nn.Module, _inputs: Any, output: Any) -> None:
            self._features = output if isinstance(output, torch.Tensor) else None

        ctx.register_forward_hook(self.feature_module, catch)

    def _forward(self, model: nn.Module, inputs: Any) -> tuple[torch.Tensor, torch.Tensor]:
        logits = model(*inputs) if isinstance(inputs, (tuple, list)) else model(inputs)
        if self._features is None:
            raise ValueError(f"Expected module {self.feature_module!r} (argument `feature_module`) to output a tensor.")
        return logits, self._features

    def extra_loss(self, ctx: TransferContext) -> torch.Tensor | None:
        source = self.source_batches[self.steps % len(self.source_batches)]
        target = self.target_batches[self.steps % len(self.target_batches)]
        source_inputs, source_labels = source[0], source[1]
        ids = source[2] if len(source) > 2 else None
        if self.weighted:
            with torch.no_grad():
                _, target_features = self._forward(ctx.model, target[0])
        logits, features = self._forward(ctx.model, source_inputs)
        if features.shape[:-1] != source_labels.shape:
            raise ValueError(
                f"Expected the output of `feature_module` {self.feature_module!r} to have shape labels.shape + (D,) = "
                f"{tuple(source_labels.shape)} + (D,), but got {tuple(features.shape)}."
            )
        flat = source_labels.reshape(-1)
        per_item = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), flat.clamp_min(0), reduction="none")
        valid = (flat >= 0).to(per_item.dtype)
        omega = valid
        if self.weighted:
            if self.weighting is None:
                self.weighting = DensityRatioWeighting(
                    feature_dim=int(features.shape[-1]), n_labels=int(logits.shape[-1]), **self.options
                ).to(device=features.device)
            if self.steps >= self.warmup_steps:
                omega = self.weighting.weights(source_features=features, source_labels=source_labels).to(per_item.dtype)
                if ids is not None:
                    self.weighting.record(torch.as_tensor(ids).reshape(-1), omega, labels=source_labels)
            self.weighting.update(source_features=features, source_labels=source_labels,
                                  target_features=target_features, target_labels=target[1])
        self.steps += 1
        return self.source_weight * (omega * valid * per_item).sum() / valid.sum().clamp_min(1.0)

    def after_transfer(self, ctx: TransferContext) -> None:
        self._features = None

    def state_dict(self) -> dict[str, Any]:
        state: dict[str, Any] = {"steps": self.steps}
        if self.weighting is not None:
            state["discriminator"] = {k: v.detach().clone() for k, v in self.weighting.state_dict().items()}
            state["shape"] = [int(self.weighting.discriminator[0].in_features - self.weighting.n_labels),
                              int(self.weighting.n_labels)]
            state["mean_weights"] = {int(k): float(v) for k, v in self.weighting.mean_weights().items()}
            state["counts"] = {int(k): int(v) for k, v in self.weighting._counts.items()}
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.steps = int(state.get("steps", 0))
        if "discriminator" in state:
            feature_dim, n_labels = state["shape"]
            self.weighting = DensityRatioWeighting(feature_dim=feature_dim, n_labels=n_labels, **self.options)
            self.weighting.load_state_dict(state["discriminator"])
            counts = {int(k): int(v) for k, v in state["counts"].items()}
            self.weighting._counts = counts
            self.weighting._sums = {int(k): float(v) * counts[int(k)] for k, v in state["mean_weights"].items()}

    @classmethod
    def example(cls, *, model: nn.Module, batches: list[Any]) -> DiscriminatorGate:
        return cls(source_batches=batches[::-1], target_batches=batches, source_weight=0.5)

    def __repr__(self) -> str:
        return (f"DiscriminatorGate(feature_module={self.feature_module!r}, source_weight={self.source_weight}, "
                f"warmup_steps={self.warmup_steps}, weighted={self.weighted}, n_source_batches={len(self.source_batches)})")
