"""``Relearn``: keep some pretrained modules frozen, re-initialise others and learn them again on the target
(ANT: Peng, Parthasarathy, Ning, "Multi-modality Meets Re-learning", 2023)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from mitigate.session import Strategy
from mitigate.session._names import as_name_list
from mitigate.strategies.freeze import freeze_batchnorm

if TYPE_CHECKING:
    import optuna

    from mitigate.session import TransferContext

__all__ = ["Relearn", "RELEARN_PRESETS", "INITIALISERS"]

#: Presets for the study's tagger (``mitigate.models.BiLSTMTagger``): Υ = ``wre`` (``wre.word_emb``,
#: ``wre.char_emb``, ``wre.char_lstm``), Φ = ``fe``, Ψ = ``classifier``. ``(freeze, reinit)``.
RELEARN_PRESETS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # ANT's recipe on the tagger: keep the sentence encoder Φ, re-learn the character encoder and the head.
    "keep-fe": (("fe",), ("wre.char_emb", "wre.char_lstm", "classifier")),
    # keep Φ and the word embeddings, re-learn only the head
    "keep-wre-fe": (("wre", "fe"), ("classifier",)),
    # keep the word representation Υ, re-learn Φ and Ψ
    "keep-wre": (("wre",), ("fe", "classifier")),
    # keep Φ and word embeddings; re-learn characters (where NT's casing / misspelling errors come from) and Ψ
    "keep-word-fe": (("wre.word_emb", "fe"), ("wre.char_emb", "wre.char_lstm", "classifier")),
}


def _default(module: nn.Module) -> None:
    for sub in module.modules():
        reset = getattr(sub, "reset_parameters", None)
        if callable(reset):
            reset()


def _by_weight(fn: Callable[[torch.Tensor], Any]) -> Callable[[nn.Module], None]:
    def init(module: nn.Module) -> None:
        for name, param in module.named_parameters():
            if param.dim() >= 2:
                fn(param)
            else:
                nn.init.zeros_(param)

    return init


#: Named initialisers: ``default`` = each layer's own ``reset_parameters``; the others set every weight matrix
#: with the ``torch.nn.init`` function of that name and every bias / vector to zero.
INITIALISERS: dict[str, Callable[[nn.Module], None]] = {
    "default": _default,
    "xavier_uniform": _by_weight(nn.init.xavier_uniform_),
    "kaiming_uniform": _by_weight(lambda w: nn.init.kaiming_uniform_(w, nonlinearity="relu")),
    "orthogonal": _by_weight(nn.init.orthogonal_),
    "normal": _by_weight(lambda w: nn.init.normal_(w, std=0.02)),
}


class Relearn(Strategy):
    """Freeze the modules in ``freeze`` and re-initialise those in ``reinit`` (with ``init``: a name of
    ``INITIALISERS`` or a callable taking the module), then fine-tune as usual: what was re-initialised is
    learned again from the target only. ``seed`` makes the re-initialisation reproducible.
    ``Relearn.preset(name)`` builds the study tagger's variants (``RELEARN_PRESETS``).

    >>> Relearn.preset("keep-fe")
    Relearn(freeze=['fe'], reinit=['wre.char_emb', 'wre.char_lstm', 'classifier'], init='default')
    >>> Relearn(freeze=["fe"], reinit=["fe"])
    Traceback (most recent call last):
    ...
    ValueError: Expected arguments `freeze` and `reinit` to be disjoint, but both name 'fe'.
    """

    name = "relearn"

    def __init__(
        self,
        *,
        freeze: Sequence[str] = (),
        reinit: Sequence[str],
        init: str | Callable[[nn.Module], None] = "default",
        seed: int | None = None,
    ) -> None:
        self.freeze = as_name_list(freeze, argument="freeze")
        self.reinit = as_name_list(reinit, argument="reinit")
        if not self.reinit:
            raise ValueError("Expected argument `reinit` to name at least one module, but got an empty list.")
        shared = sorted(set(self.freeze) & set(self.reinit))
        if shared:
            raise ValueError(
                f"Expected arguments `freeze` and `reinit` to be disjoint, but both name {shared[0]!r}."
            )
        if isinstance(init, str) and init not in INITIALISERS:
            raise ValueError(f"Expected argument `init` to be one of {sorted(INITIALISERS)} or a callable, but got {init!r}.")
        if not isinstance(init, str) and not callable(init):
            raise TypeError(f"Expected argument `init` to be a string or a callable, but got {type(init).__name__}.")
        if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
            raise TypeError(f"Expected argument `seed` to be an int or None, but got {type(seed).__name__}.")
        self.init = init
        self.seed = seed
        self.done = False

    @classmethod
    def preset(cls, name: str, *, init: str | Callable[[nn.Module], None] = "default", seed: int | None = None) -> Relearn:
        """A variant for the study's tagger, from ``RELEARN_PRESETS``."""
        if name not in RELEARN_PRESETS:
            raise ValueError(f"Expected argument `name` to be one of {sorted(RELEARN_PRESETS)}, but got {name!r}.")
        freeze, reinit = RELEARN_PRESETS[name]
        return cls(freeze=freeze, reinit=reinit, init=init, seed=seed)

    def claims(self) -> frozenset[str]:
        return frozenset({f"reinit:{m}" for m in self.reinit} | {f"freeze:{m}" for m in self.freeze})

    def before_transfer(self, ctx: TransferContext) -> None:
        modules = ctx.match_modules(self.reinit)
        init = INITIALISERS[self.init] if isinstance(self.init, str) else self.init
        if not self.done:  # a resumed transfer (state loaded) keeps the weights it already re-learned
            with torch.random.fork_rng(devices=[]), torch.no_grad():
                if self.seed is not None:
                    torch.manual_seed(self.seed)
                for _, module in modules:
                    init(module)
        if self.freeze:
            freeze_batchnorm(ctx, set(ctx.freeze(self.freeze)))
        self.done = True

    def state_dict(self) -> dict[str, Any]:
        return {"done": self.done}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.done = bool(state.get("done", False))

    @classmethod
    def suggest(cls, trial: optuna.Trial, *, prefix: str = "", **fixed: Any) -> Relearn:
        """Search the tagger preset and the initialiser (``fixed``: ``seed``)."""
        preset = trial.suggest_categorical(f"{prefix}preset", sorted(RELEARN_PRESETS))
        init = trial.suggest_categorical(f"{prefix}init", ["default", "xavier_uniform", "orthogonal"])
        return cls.preset(preset, init=init, **fixed)

    @classmethod
    def example(cls, *, model: nn.Module, batches: list[Any]) -> Relearn:
        return cls.preset("keep-fe", seed=0)

    def __repr__(self) -> str:
        init = self.init if isinstance(self.init, str) else getattr(self.init, "__name__", "custom")
        return f"Relearn(freeze={self.freeze!r}, reinit={self.reinit!r}, init={init!r})"
