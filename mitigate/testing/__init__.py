"""Test helpers shipped with the package: the strategy contract suite, tiny deterministic models and fakes.

Every strategy's tests call ``check_strategy(lambda: MyStrategy(...))``.
"""

from mitigate.testing._contract import ContractViolation, check_strategy, run_transfer, snapshot
from mitigate.testing._fakes import HOOK_NAMES, ConstantLoss, RecordingStrategy
from mitigate.testing._models import TinyMLP, TinyTagger, tiny_mlp_batches, tiny_tagger_batches

__all__ = [
    "ConstantLoss",
    "ContractViolation",
    "HOOK_NAMES",
    "RecordingStrategy",
    "TinyMLP",
    "TinyTagger",
    "check_strategy",
    "run_transfer",
    "snapshot",
    "tiny_mlp_batches",
    "tiny_tagger_batches",
]
