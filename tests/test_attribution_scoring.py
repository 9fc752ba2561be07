"""Scoring units with Captum: a planted source-only unit comes out most biased; adapters; bad inputs."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from mitigate.attribution import bias_scores, fit_probe, select_top_units, unit_importance

torch.set_num_threads(1)


def _planted() -> tuple[nn.Module, list, list]:
    """Unit 5 reads only feature 3, which carries the source label and is always 0 on the target."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 2))
    with torch.no_grad():
        model[0].weight[:5, 3] = 0.0
        model[0].weight[5] = torch.tensor([0.0, 0.0, 0.0, 3.0])
        model[0].bias.zero_()
        model[2].weight[:, 5] = torch.tensor([-2.0, 2.0])
    xs = torch.randn(64, 4)
    xt = torch.randn(64, 4)
    xt[:, 3] = 0.0
    source = [(xs[:32], (xs[:32, 3] > 0).long()), (xs[32:], (xs[32:, 3] > 0).long())]
    target = [(xt, (xt[:, 0] > 0).long())]
    return model, source, target


@pytest.mark.parametrize("method", ["conductance", "gradient_x_activation", "activation"])
def test_planted_source_only_unit_gets_top_bias(method: str) -> None:
    model, source, target = _planted()
    probe = fit_probe(model, head="2", batches=target, steps=30)
    s_source = unit_importance(model, layer="0", batches=source, method=method, n_steps=10)
    s_target = unit_importance(model, layer="0", batches=target, method=method, head="2", probe=probe, n_steps=10)
    assert s_source.n_items == 64 and s_target.n_items == 64
    assert float(s_target.importance[5]) == 0.0 and float(s_source.importance[5]) > 0.0
    bias = bias_scores(s_source.importance, s_target.importance)
    assert select_top_units(bias, k=10).tolist() == [5]


def test_probe_replaces_head_only_inside_scoring() -> None:
    model, _, target = _planted()
    x = target[0][0]
    before = model(x).detach()
    probe = nn.Linear(6, 5)
    unit_importance(model, layer="0", batches=[(x, torch.zeros(64, dtype=torch.long))], head="2", probe=probe)
    assert torch.equal(model(x).detach(), before)


def test_conductance_is_complete_over_a_layer() -> None:
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 4))
    x, y = torch.randn(6, 3), torch.randint(0, 4, (6,))
    scores = unit_importance(model, layer="0", batches=[(x, y)], method="conductance", n_steps=200)
    # Σ_units |conductance| >= |Σ_units conductance| = |F(x) - F(0)| (completeness), per item on average
    with torch.no_grad():
        logp = torch.log_softmax(model(x), -1).gather(1, y[:, None]).squeeze(1)
        logp0 = torch.log_softmax(model(torch.zeros_like(x)), -1).gather(1, y[:, None]).squeeze(1)
    assert float(scores.importance.sum()) >= float((logp - logp0).abs().mean()) - 1e-3


class _Tagger(nn.Module):
    """Embedding → packed BiLSTM → linear, with integer inputs, like the study's tagger."""

    def __init__(self, packed: bool) -> None:
        super().__init__()
        self.emb = nn.Embedding(10, 4, padding_idx=0)
        self.lstm = nn.LSTM(4, 3, batch_first=True, bidirectional=True)
        self.head = nn.Linear(6, 5)
        self.packed = packed

    def forward(self, words: torch.Tensor) -> torch.Tensor:
        x = self.emb(words)
        if not self.packed:
            return self.head(self.lstm(x)[0])
        lengths = (words != 0).sum(1)
        out, _ = self.lstm(pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False))
        return self.head(pad_packed_sequence(out, batch_first=True, total_length=words.shape[1])[0])


def _tagger_batches() -> list:
    words = torch.tensor([[1, 2, 3, 0], [4, 5, 6, 7], [8, 9, 0, 0]])
    tags = torch.tensor([[0, 1, 2, -100], [3, 4, 0, 1], [2, 3, -100, -100]])
    return [(words, tags)]


@pytest.mark.parametrize("packed", [False, True])
@pytest.mark.parametrize("method", ["conductance", "gradient_x_activation", "activation"])
def test_lstm_outputs_are_adapted(packed: bool, method: str) -> None:
    torch.manual_seed(0)
    model = _Tagger(packed)
    before = model(_tagger_batches()[0][0]).detach()
    scores = unit_importance(model, layer="lstm", batches=_tagger_batches(), method=method, scale_at="emb", n_steps=5)
    assert scores.importance.shape == (6,) and scores.n_items == 9
    assert bool((scores.importance > 0).all())
    assert scores.label_importance is not None and scores.label_importance.shape == (5, 6)
    assert scores.label_counts is not None and scores.label_counts.tolist() == [2, 2, 2, 2, 1]
    assert torch.equal(model(_tagger_batches()[0][0]).detach(), before)  # hooks removed


def test_packed_and_padded_give_the_same_scores() -> None:
    torch.manual_seed(0)
    padded = _Tagger(False)
    packed = _Tagger(True)
    packed.load_state_dict(padded.state_dict())
    # the padded model also runs over padding, so compare on full-length sentences only
    batches = [(torch.tensor([[1, 2, 3], [4, 5, 6]]), torch.tensor([[0, 1, 2], [3, 4, 0]]))]
    a = unit_importance(padded, layer="lstm", batches=batches).importance
    b = unit_importance(packed, layer="lstm", batches=batches).importance
    torch.testing.assert_close(a, b)


def test_item_mask_restricts_items() -> None:
    torch.manual_seed(0)
    model = _Tagger(True)
    mask = torch.zeros(9, dtype=torch.bool)
    mask[[0, 4]] = True
    scores = unit_importance(model, layer="lstm", batches=_tagger_batches(), item_mask=mask)
    assert scores.n_items == 2
    with pytest.raises(ValueError, match="Expected argument `item_mask` to have one entry per labelled item"):
        unit_importance(model, layer="lstm", batches=_tagger_batches(), item_mask=mask[:3])


def test_bad_layer_lists_candidates() -> None:
    model = _Tagger(False)
    with pytest.raises(ValueError, match=r"but got 'lstn'. Closest candidates: 'lstm'"):
        unit_importance(model, layer="lstn", batches=_tagger_batches())


def test_conductance_on_integer_inputs_needs_scale_at() -> None:
    with pytest.raises(ValueError, match="pass `scale_at=` the name of a module"):
        unit_importance(_Tagger(False), layer="lstm", batches=_tagger_batches(), method="conductance")


class _DictLayer(nn.Module):
    def forward(self, x: torch.Tensor) -> dict:
        return {"x": x}


class _DictModel(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.inner = _DictLayer()
        self.head = nn.Linear(2, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.inner(x)["x"])


def test_non_tensor_output_is_refused() -> None:
    with pytest.raises(ValueError, match="Expected layer 'inner' to output a tensor, a PackedSequence or a tuple starting with one, but got dict"):
        unit_importance(_DictModel(), layer="inner", batches=[(torch.zeros(2, 2), torch.zeros(2, dtype=torch.long))])


def test_nan_attribution_names_layer_and_batch() -> None:
    model = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 2))
    good = (torch.ones(2, 2), torch.zeros(2, dtype=torch.long))
    bad = (torch.tensor([[float("nan"), 1.0], [1.0, 1.0]]), torch.zeros(2, dtype=torch.long))
    with pytest.raises(ValueError, match=r"Attribution of layer '0' returned NaN on batch 1"):
        unit_importance(model, layer="0", batches=[good, bad])


def test_bad_arguments() -> None:
    model = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 2))
    data = [(torch.ones(2, 2), torch.zeros(2, dtype=torch.long))]
    with pytest.raises(ValueError, match="Expected argument `method` to be one of"):
        unit_importance(model, layer="0", batches=data, method="saliency")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Expected argument `n_steps` to be a positive int, but got 0"):
        unit_importance(model, layer="0", batches=data, method="conductance", n_steps=0)
    with pytest.raises(TypeError, match=r"to yield \(inputs, targets\) pairs, but batch 0 is Tensor"):
        unit_importance(model, layer="0", batches=[torch.ones(2, 2)])
    with pytest.raises(TypeError, match="to be an integer tensor of class ids, but got torch.float32"):
        unit_importance(model, layer="0", batches=[(torch.ones(2, 2), torch.ones(2))])
    with pytest.raises(ValueError, match=r"logits of shape targets.shape \+ \(classes,\) = \(2, 1\)"):
        unit_importance(model, layer="0", batches=[(torch.ones(2, 2), torch.zeros(2, 1, dtype=torch.long))])
    with pytest.raises(ValueError, match=r"Expected argument `k` to be in \(0, 100\), but got 150"):
        select_top_units(torch.ones(3), k=150)


_positive = st.lists(st.floats(min_value=1e-3, max_value=1e3), min_size=2, max_size=30)


@settings(max_examples=50, deadline=None)
@given(_positive, st.data())
def test_bias_scores_invariants(source: list[float], data: st.DataObject) -> None:
    target = data.draw(st.lists(st.floats(min_value=1e-3, max_value=1e3), min_size=len(source), max_size=len(source)))
    s, t = torch.tensor(source, dtype=torch.float64), torch.tensor(target, dtype=torch.float64)
    b = bias_scores(s, t)
    assert abs(float(b.mean())) < 1e-6
    torch.testing.assert_close(bias_scores(t, s), -b)
    torch.testing.assert_close(bias_scores(s * 10, t * 10, eps=1e-12), bias_scores(s, t, eps=1e-12))  # scale-free
