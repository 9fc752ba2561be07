"""``PruneBiasedUnits`` passes the strategy contract suite of ``mitigate.testing`` (mask, re-init, random control)."""

from __future__ import annotations

import pytest
import torch

from mitigate.strategies.pruning import PruneBiasedUnits
from mitigate.testing import TinyMLP, check_strategy, tiny_mlp_batches, tiny_tagger_batches

torch.set_num_threads(1)


@pytest.mark.parametrize(
    ("mode", "method", "selection"),
    [("mask", "conductance", "bias"), ("reinit", "gradient_x_activation", "bias"), ("mask", "activation", "random")],
)
def test_contract_on_tiny_tagger(mode: str, method: str, selection: str) -> None:
    batches = tiny_tagger_batches()
    check_strategy(lambda: PruneBiasedUnits(
        layers="fe", consumers={"fe": "classifier"}, head="classifier", scale_at="wre", source_batches=batches,
        target_batches=batches, k=20, method=method, mode=mode, selection=selection, n_steps=3, probe_steps=5,
    ))


def test_contract_on_tiny_mlp_with_example() -> None:
    check_strategy(lambda: PruneBiasedUnits.example(model=TinyMLP(), batches=tiny_mlp_batches()),
                   model_factory=TinyMLP, batches=tiny_mlp_batches())
