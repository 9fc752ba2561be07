"""Tiny deterministic models for tests: a char+word BiLSTM tagger with the study tagger's module names, and an
MLP with BatchNorm."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

__all__ = ["TinyTagger", "TinyMLP", "tiny_tagger_batches", "tiny_mlp_batches"]


class _TinyWordRepresentation(nn.Module):
    def __init__(self, n_words: int, n_chars: int) -> None:
        super().__init__()
        self.word_emb = nn.Embedding(n_words, 6, padding_idx=0)
        self.char_emb = nn.Embedding(n_chars, 4, padding_idx=0)
        self.char_lstm = nn.LSTM(4, 3, batch_first=True, bidirectional=True)
        self.char_out = nn.Identity()

    def forward(self, words: torch.Tensor, chars: torch.Tensor) -> torch.Tensor:
        batch, length, width = chars.shape
        _, (h_n, _) = self.char_lstm(self.char_emb(chars.reshape(batch * length, width)))
        per_word = torch.cat([h_n[0], h_n[1]], dim=-1).reshape(batch, length, -1)
        return torch.cat([self.word_emb(words), self.char_out(per_word)], dim=-1)


class TinyTagger(nn.Module):
    """A few-hundred-parameter tagger with the study tagger's module names: ``wre`` (``wre.word_emb``,
    ``wre.char_emb``, ``wre.char_lstm``, ``wre.char_out``), ``fe`` (BiLSTM), ``fe_out`` (``nn.Identity``),
    ``classifier``. Weights are set from ``seed`` so every instance with the same seed is identical.

    >>> model = TinyTagger()
    >>> (words, chars), tags = tiny_tagger_batches()[0]
    >>> model(words, chars).shape
    torch.Size([2, 5, 4])
    """

    def __init__(self, *, n_words: int = 12, n_chars: int = 8, n_tags: int = 4, seed: int = 0) -> None:
        super().__init__()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.wre = _TinyWordRepresentation(n_words, n_chars)
            self.fe = nn.LSTM(12, 5, batch_first=True, bidirectional=True)
            self.fe_out = nn.Identity()
            self.classifier = nn.Linear(10, n_tags)

    def forward(self, words: torch.Tensor, chars: torch.Tensor) -> torch.Tensor:
        """``words`` (B, T), ``chars`` (B, T, L) → logits (B, T, n_tags)."""
        out, _ = self.fe(self.wre(words, chars))
        return self.classifier(self.fe_out(out))


class TinyMLP(nn.Module):
    """``layers.0`` Linear → ``layers.1`` BatchNorm → ReLU → ``head`` Linear; weights from ``seed``.

    >>> TinyMLP()(torch.zeros(3, 4)).shape
    torch.Size([3, 3])
    """

    def __init__(self, *, seed: int = 0) -> None:
        super().__init__()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.layers = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU())
            self.head = nn.Linear(8, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` (B, 4) → logits (B, 3)."""
        return self.head(self.layers(x))


def tiny_tagger_batches(*, n: int = 3, seed: int = 0) -> list[tuple[tuple[torch.Tensor, torch.Tensor], torch.Tensor]]:
    """``n`` deterministic batches ``((words, chars), tags)`` of 2 sentences × 5 tokens × 3 characters."""
    generator = torch.Generator().manual_seed(seed)
    out: list[Any] = []
    for _ in range(n):
        words = torch.randint(1, 12, (2, 5), generator=generator)
        chars = torch.randint(1, 8, (2, 5, 3), generator=generator)
        tags = words % 4  # learnable from the words
        out.append(((words, chars), tags))
    return out


def tiny_mlp_batches(*, n: int = 3, seed: int = 0) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """``n`` deterministic batches ``(x, y)`` of 8 items for ``TinyMLP``."""
    generator = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(n):
        x = torch.randn(8, 4, generator=generator)
        out.append((x, (x[:, 0] > 0).long() + (x[:, 1] > 0).long()))
    return out
