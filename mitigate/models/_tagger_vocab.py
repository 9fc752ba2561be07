"""The tagger's three vocabularies (lower-cased words, cased characters, tags) and batch encoding."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from mitigate.models._vocab import Vocabulary

__all__ = ["TaggerVocab"]


@dataclass(frozen=True)
class TaggerVocab:
    """Words (lower-cased), characters (cased, so capitalisation reaches the char BiLSTM) and tags.

    >>> vocab = TaggerVocab.build([(("Hi", "there"), ("UH", "RB"))])
    >>> vocab.tags.to_list()
    ['RB', 'UH']
    """

    words: Vocabulary
    chars: Vocabulary
    tags: Vocabulary

    @classmethod
    def build(cls, sentences: Iterable[tuple[Sequence[str], Sequence[str]]]) -> TaggerVocab:
        """Vocabularies of a training set (items of ``Sentence`` or ``(tokens, tags)`` pairs)."""
        sentences = list(sentences)
        words = sorted({token.lower() for tokens, _ in sentences for token in tokens})
        chars = sorted({char for tokens, _ in sentences for token in tokens for char in token})
        tags = sorted({tag for _, tag_seq in sentences for tag in tag_seq})
        return cls(Vocabulary(words), Vocabulary(chars), Vocabulary(tags, specials=()))

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form."""
        return {"words": self.words.to_list(), "chars": self.chars.to_list(), "tags": self.tags.to_list()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TaggerVocab:
        """Inverse of ``to_dict``.

        >>> v = TaggerVocab.build([(("a",), ("X",))])
        >>> TaggerVocab.from_dict(v.to_dict()) == v
        True
        """
        return cls(
            Vocabulary.from_list(data["words"]),
            Vocabulary.from_list(data["chars"]),
            Vocabulary.from_list(data["tags"], specials=()),
        )

    def encode_tokens(self, batch: Sequence[Sequence[str]]) -> tuple[torch.Tensor, torch.Tensor]:
        """Padded word indices (B, T) and char indices (B, T, L) of a batch of token lists."""
        for i, tokens in enumerate(batch):
            if len(tokens) == 0:
                raise ValueError(f"Expected non-empty sentences, but sentence {i} of the batch has no tokens.")
        n_tokens = max(len(tokens) for tokens in batch)
        n_chars = max(len(token) for tokens in batch for token in tokens)
        words = np.zeros((len(batch), n_tokens), dtype=np.int64)
        chars = np.zeros((len(batch), n_tokens, max(n_chars, 1)), dtype=np.int64)
        for i, tokens in enumerate(batch):
            words[i, : len(tokens)] = self.words.encode(token.lower() for token in tokens)
            for j, token in enumerate(tokens):
                # An empty token still needs a non-padding char, or the word would count as padding downstream.
                chars[i, j, : max(len(token), 1)] = self.chars.encode(token) if token else [1]
        return torch.from_numpy(words), torch.from_numpy(chars)

    def encode_tags(self, batch: Sequence[Sequence[str]], *, ignore_index: int = -100) -> torch.Tensor:
        """Padded tag indices (B, T); padding and tags unknown to the vocabulary get ``ignore_index``."""
        n_tokens = max(len(tags) for tags in batch)
        out = np.full((len(batch), n_tokens), ignore_index, dtype=np.int64)
        for i, tags in enumerate(batch):
            out[i, : len(tags)] = [self.tags.encode([t])[0] if t in self.tags else ignore_index for t in tags]
        return torch.from_numpy(out)
