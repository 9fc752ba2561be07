"""Mitigation strategies, one per module, all subclasses of ``mitigate.session.Strategy``.

``get(name)`` returns a registered class and ``available()`` lists the names; ``register(cls)`` adds one.
"""

from mitigate.session import Compose
from mitigate.strategies._registry import available, get, register
from mitigate.strategies.bss import BSS
from mitigate.strategies.freeze import FreezeModules
from mitigate.strategies.gating import DiscriminatorGate, SourceGating
from mitigate.strategies.gradual import GradualUnfreezing
from mitigate.strategies.l2sp import L2SP
from mitigate.strategies.lr_decay import LayerwiseLRDecay
from mitigate.strategies.pruning import PruneBiasedUnits
from mitigate.strategies._cka import layer_cka, linear_cka
from mitigate.strategies.selection import SelectPretrainingState
from mitigate.strategies.relearn import INITIALISERS, RELEARN_PRESETS, Relearn
from mitigate.strategies.similarity import SimilarityFreezing

__all__ = [
    "BSS",
    "Compose",
    "DiscriminatorGate",
    "FreezeModules",
    "GradualUnfreezing",
    "INITIALISERS",
    "L2SP",
    "LayerwiseLRDecay",
    "PruneBiasedUnits",
    "RELEARN_PRESETS",
    "Relearn",
    "SelectPretrainingState",
    "SimilarityFreezing",
    "SourceGating",
    "available",
    "get",
    "layer_cka",
    "linear_cka",
    "register",
]
