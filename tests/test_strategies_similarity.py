"""Linear CKA and SimilarityFreezing."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from mitigate.session import TransferSession
from mitigate.strategies import SimilarityFreezing, layer_cka, linear_cka
from mitigate.testing import TinyTagger, tiny_tagger_batches

torch.set_num_threads(1)
LAYERS = ["wre", "fe", "classifier"]


@settings(max_examples=30, deadline=None)
@given(st.integers(min_value=0, max_value=10_000), st.integers(min_value=2, max_value=6))
def test_linear_cka_invariances(seed: int, dim: int) -> None:
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(40, dim, generator=generator)
    y = torch.randn(40, dim + 1, generator=generator)
    rotation, _ = torch.linalg.qr(torch.randn(dim, dim, generator=generator))
    value = linear_cka(x, y)
    assert 0.0 <= value <= 1.0 + 1e-9
    assert value == pytest.approx(linear_cka(y, x), abs=1e-9)
    assert value == pytest.approx(linear_cka(2.5 * x @ rotation + 1.0, y), abs=1e-6)
    assert linear_cka(x, x) == pytest.approx(1.0)


def test_linear_cka_errors() -> None:
    with pytest.raises(ValueError, match=r"Expected argument `x` to be a 2-d tensor \(items, dim\), but got \(3,\)"):
        linear_cka(torch.zeros(3), torch.zeros(3, 2))
    with pytest.raises(ValueError, match="to hold the same items, but got 3 and 4 rows"):
        linear_cka(torch.zeros(3, 2), torch.zeros(4, 2))


def test_layer_cka_drops_with_a_different_model() -> None:
    scores = layer_cka(TinyTagger(), TinyTagger(seed=1), tiny_tagger_batches(), layers=LAYERS)
    assert set(scores) == set(LAYERS) and all(value < 1.0 for value in scores.values())


def _run(strategy: SimilarityFreezing) -> list[str]:
    model = TinyTagger()
    with TransferSession(model=model, optimizer=torch.optim.SGD(model.parameters(), lr=0.1), strategies=[strategy]):
        return [n for n, c in model.named_children() if any(p.requires_grad for p in c.parameters())]


def test_auto_freezes_the_lower_prefix_above_threshold_never_the_top() -> None:
    strategy = SimilarityFreezing(batches=tiny_tagger_batches(), layers=LAYERS, threshold=0.0, pilot_lr=0.05)
    assert _run(strategy) == ["classifier"]
    assert strategy.frozen_layers == ["wre", "fe"]
    strict = SimilarityFreezing(batches=tiny_tagger_batches(), layers=LAYERS, threshold=1.0, pilot_lr=0.05)
    assert _run(strict) == LAYERS and strict.frozen_layers == []


def test_choose_rule_stops_at_first_layer_below_threshold() -> None:
    strategy = SimilarityFreezing(batches=[], layers=["a", "b", "c", "d"], threshold=0.9)
    assert strategy.choose({"a": 0.95, "b": 0.5, "c": 0.99, "d": 1.0}) == ["a"]
    assert strategy.choose({"a": 0.95, "b": 0.91, "c": 0.99, "d": 1.0}) == ["a", "b", "c"]
    fixed = SimilarityFreezing(batches=[], layers=["a", "b", "c"], freeze=2)
    assert fixed.choose({"a": 0.0, "b": 0.0, "c": 0.0}) == ["a", "b"]


def test_reference_model_report_and_png(tmp_path: Path) -> None:
    strategy = SimilarityFreezing(batches=tiny_tagger_batches(), layers=LAYERS, reference=TinyTagger(), threshold=0.99)
    _run(strategy)
    assert strategy.similarity == {"wre": 1.0, "fe": 1.0, "classifier": 1.0}  # same weights as the model
    assert [row["frozen"] for row in strategy.report] == [True, True, False]
    table, png = strategy.save_report(tmp_path / "cka")
    assert "| wre | 1.0000 | yes |" in table.read_text()
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_loaded_state_skips_the_pilot() -> None:
    strategy = SimilarityFreezing(batches=tiny_tagger_batches(), layers=LAYERS, threshold=0.5)
    strategy.load_state_dict({"similarity": {"wre": 0.9, "fe": 0.1, "classifier": 0.9}, "frozen_layers": ["wre"]})
    strategy._pilot = None  # type: ignore[assignment,method-assign]  # would fail if called
    assert _run(strategy) == ["fe", "classifier"]


def test_similarity_argument_errors() -> None:
    with pytest.raises(ValueError, match=r"Expected argument `freeze` to be 'auto' or an int in \[0, 2\], but got 3"):
        SimilarityFreezing(batches=[], layers=LAYERS, freeze=3)
    with pytest.raises(ValueError, match=r"Expected argument `threshold` to be in \[0, 1\], but got 2"):
        SimilarityFreezing(batches=[], layers=LAYERS, threshold=2)
    with pytest.raises(ValueError, match=r"Expected argument `reference` to be 'pilot' or a torch.nn.Module, but got 'scratch'"):
        SimilarityFreezing(batches=[], layers=LAYERS, reference="scratch")
