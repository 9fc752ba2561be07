"""The study's BiLSTM tagger: word embedding + character BiLSTM (Υ, ``wre``) → BiLSTM (Φ, ``fe``) → linear (Ψ)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

__all__ = ["TaggerConfig", "BiLSTMTagger", "WordRepresentation", "PRESETS"]


@dataclass(frozen=True)
class TaggerConfig:
    """Layer sizes of the tagger. ``char_hidden`` and ``fe_hidden`` are per direction.

    >>> TaggerConfig.preset("cpu").fe_hidden
    100
    """

    word_dim: int = 100
    char_dim: int = 50
    char_hidden: int = 50
    fe_hidden: int = 100
    dropout: float = 0.5

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if field.name == "dropout":
                if not 0.0 <= value < 1.0:
                    raise ValueError(f"Expected argument `dropout` to be in [0, 1), but got {value}.")
            elif not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"Expected argument `{field.name}` to be a positive int, but got {value!r}.")

    @classmethod
    def preset(cls, name: str) -> TaggerConfig:
        """A named size preset: ``"study"`` (char 50 / 100, fe 200 per direction as in the study, word 300
        learned instead of GloVe), ``"cpu"`` (word 100, char 50+50, fe 100+100) or ``"tiny"`` (tests)."""
        if name not in PRESETS:
            raise ValueError(f"Expected argument `preset` to be one of {sorted(PRESETS)}, but got {name!r}.")
        return PRESETS[name]

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form (JSON metadata of checkpoints)."""
        return asdict(self)


PRESETS: dict[str, TaggerConfig] = {
    "study": TaggerConfig(word_dim=300, char_dim=50, char_hidden=100, fe_hidden=200),
    "cpu": TaggerConfig(word_dim=100, char_dim=50, char_hidden=50, fe_hidden=100),
    "tiny": TaggerConfig(word_dim=16, char_dim=8, char_hidden=8, fe_hidden=16),
}


class WordRepresentation(nn.Module):
    """Υ: embedding of the lower-cased word concatenated with a character BiLSTM over the cased word.

    All words of a batch go through the character BiLSTM at once (one packed sequence), no loop per word.
    The character encoding is exposed through ``char_out`` (``nn.Identity``) for hooks and attribution.
    """

    def __init__(self, *, n_words: int, n_chars: int, config: TaggerConfig) -> None:
        super().__init__()
        self.word_emb = nn.Embedding(n_words, config.word_dim, padding_idx=0)
        self.char_emb = nn.Embedding(n_chars, config.char_dim, padding_idx=0)
        self.char_lstm = nn.LSTM(config.char_dim, config.char_hidden, batch_first=True, bidirectional=True)
        self.char_out = nn.Identity()
        self.out_dim = config.word_dim + 2 * config.char_hidden

    def forward(self, words: torch.Tensor, chars: torch.Tensor) -> torch.Tensor:
        """``words`` (B, T) and ``chars`` (B, T, L) indices, 0 = padding → (B, T, word_dim + 2·char_hidden)."""
        mask = words != 0
        flat = chars[mask]  # (N, L): every real word of the batch
        lengths = (flat != 0).sum(dim=1).clamp(min=1)
        packed = pack_padded_sequence(self.char_emb(flat), lengths.cpu(), batch_first=True, enforce_sorted=False)
        _, (h_n, _) = self.char_lstm(packed)
        per_word = torch.cat([h_n[0], h_n[1]], dim=-1)  # final forward and backward states
        char_repr = per_word.new_zeros(*words.shape, per_word.shape[-1])
        char_repr[mask] = per_word
        char_repr = self.char_out(char_repr)
        return torch.cat([self.word_emb(words), char_repr], dim=-1)


class BiLSTMTagger(nn.Module):
    """The study's tagger. Submodules: ``wre`` (Υ), ``fe`` (Φ, an ``nn.LSTM``), ``fe_out`` (``nn.Identity`` on
    Φ's output, for Captum and forward hooks), ``classifier`` (Ψ). ``vocab`` (not in the state dict) holds the
    word, character and tag vocabularies.

    >>> from mitigate.models import TaggerVocab
    >>> vocab = TaggerVocab.build([(("The", "cat"), ("DT", "NN"))])
    >>> model = BiLSTMTagger(vocab=vocab, config=TaggerConfig.preset("tiny"))
    >>> words, chars = vocab.encode_tokens([["The", "cat"]])
    >>> model(words, chars).shape
    torch.Size([1, 2, 2])
    """

    def __init__(self, *, vocab: Any, config: TaggerConfig | None = None) -> None:
        super().__init__()
        config = config or TaggerConfig()
        self.config = config
        self.vocab = vocab
        self.wre = WordRepresentation(n_words=len(vocab.words), n_chars=len(vocab.chars), config=config)
        self.dropout = nn.Dropout(config.dropout)
        self.fe = nn.LSTM(self.wre.out_dim, config.fe_hidden, batch_first=True, bidirectional=True)
        self.fe_out = nn.Identity()
        self.classifier = nn.Linear(2 * config.fe_hidden, len(vocab.tags))

    def features(self, words: torch.Tensor, chars: torch.Tensor) -> torch.Tensor:
        """Φ's output (B, T, 2·fe_hidden), padding positions zero."""
        return bilstm_features(self, words, chars)

    def forward(self, words: torch.Tensor, chars: torch.Tensor) -> torch.Tensor:
        """Tag logits (B, T, n_tags)."""
        return self.classifier(self.dropout(self.features(words, chars)))


def bilstm_features(
    encoder: nn.Module, words: torch.Tensor, chars: torch.Tensor, *, lengths_from: torch.Tensor | None = None
) -> torch.Tensor:
    """Υ (``encoder.wre``) → ``encoder.dropout`` → Φ (``encoder.fe``, over the non-padding positions only) →
    ``encoder.fe_out``: (B, T, 2·fe_hidden), padding positions zero. A position is padding where ``lengths_from``
    (default ``words``; a gated encoder passes its shared-vocabulary indices) is 0.

    >>> from mitigate.models import TaggerVocab
    >>> tagger = BiLSTMTagger(vocab=TaggerVocab.build([(("a",), ("X",))]), config=TaggerConfig.preset("tiny")).eval()
    >>> bilstm_features(tagger, *tagger.vocab.encode_tokens([["a", "a"]])).shape
    torch.Size([1, 2, 32])
    """
    lengths = ((words if lengths_from is None else lengths_from) != 0).sum(dim=1).clamp(min=1)
    x = encoder.dropout(encoder.wre(words, chars))
    packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
    out, _ = encoder.fe(packed)
    out, _ = pad_packed_sequence(out, batch_first=True, total_length=words.shape[1])
    return encoder.fe_out(out)
