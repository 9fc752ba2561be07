"""extract_features: one hooked forward pass, per-item and per-token, with clear errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from mitigate.transferability import TargetFeatures, extract_features, score_proxies


class _Tokens(nn.Module):
    """A tiny per-token model with an LSTM (tuple output) exposed through nn.Identity."""

    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(10, 4)
        self.lstm = nn.LSTM(4, 3, batch_first=True)
        self.feats = nn.Identity()
        self.head = nn.Linear(3, 5)

    def forward(self, words: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(self.emb(words) * scale)
        return self.head(self.feats(out))


def test_per_token_features_drop_padding_and_match_a_direct_forward() -> None:
    torch.manual_seed(0)
    model = _Tokens().train()
    words = torch.tensor([[1, 2, 3], [4, 5, 0]])
    tags = torch.tensor([[0, 1, 2], [1, 0, -100]])
    out = extract_features(model=model, batches=[((words, torch.tensor(1.0)), tags)] * 2, module="feats", head="head")
    assert out.features.shape == (10, 3) and out.source_probs.shape == (10, 5)
    assert out.labels.tolist() == [0, 1, 2, 1, 0] * 2
    with torch.no_grad():
        model.eval()
        direct, _ = model.lstm(model.emb(words))
    np.testing.assert_allclose(out.features[:5], direct[tags >= 0].numpy(), rtol=1e-6)
    np.testing.assert_allclose(out.source_probs.sum(axis=1), 1.0)
    assert model.training is False  # restored to the mode it had (eval was set above)
    assert set(score_proxies(out)) == {"logme", "leep", "nce", "h_score", "transrate"}


def test_mode_is_restored_and_hooks_removed() -> None:
    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5)).train()
    extract_features(model=model, batches=[(torch.randn(3, 2), torch.tensor([0, 1, 0]))], module="0")
    assert model.training
    assert not model[0]._forward_hooks


def test_missing_module_lists_close_matches_and_explains_identity() -> None:
    with pytest.raises(ValueError, match=r"to name a submodule of the model, but got 'feat'\. Close matches: \['feats'\]\..*nn\.Identity"):
        extract_features(model=_Tokens(), batches=[], module="feat")


def test_tuple_output_is_refused_with_the_identity_recipe() -> None:
    words, tags = torch.tensor([[1, 2]]), torch.tensor([[0, 1]])
    with pytest.raises(ValueError, match=r"Expected submodule 'lstm' \(argument `module`\) to output a tensor, but it returned tuple\..*nn\.Identity"):
        extract_features(model=_Tokens(), batches=[((words, torch.tensor(1.0)), tags)], module="lstm")


def test_shape_mismatch_and_empty_sets() -> None:
    model = nn.Linear(2, 3)
    with pytest.raises(ValueError, match=r"labels\.shape \+ \(D,\) = \(4,\) \+ \(D,\), but got \(3, 3\)"):
        extract_features(model=model, batches=[(torch.randn(3, 2), torch.zeros(4, dtype=torch.long))], module="")
    with pytest.raises(ValueError, match="at least one labelled item, but got none"):
        extract_features(model=model, batches=[(torch.randn(2, 2), torch.tensor([-100, -100]))], module="")
    with pytest.raises(TypeError, match=r"to yield \(inputs, labels\) pairs, but got Tensor"):
        extract_features(model=model, batches=[torch.randn(2, 2)], module="")


def test_head_proxies_need_probabilities() -> None:
    data = TargetFeatures(features=np.eye(4), labels=np.array([0, 1, 0, 1]))
    with pytest.raises(ValueError, match="needs the source head's probabilities: pass `head=`"):
        score_proxies(data, proxies=["leep"])
    with pytest.raises(ValueError, match=r"names among .* but got \['bogus'\]"):
        score_proxies(data, proxies=["bogus"])
