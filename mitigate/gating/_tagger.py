"""The gated target tagger: Υ+Φ of several source taggers and a scratch Υ+Φ, mixed per token, then a fresh Ψ."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import torch
from torch import nn

from mitigate.gating._mixture import SCRATCH, GatedSourceMixture
from mitigate.models._tagger import BiLSTMTagger, TaggerConfig, WordRepresentation, bilstm_features
from mitigate.models._tagger_vocab import TaggerVocab
from mitigate.models._transfer import transfer_model
from mitigate.models._vocab import Vocabulary

__all__ = ["TaggerEncoder", "GatedTagger", "build_gated_tagger"]


class TaggerEncoder(nn.Module):
    """Υ (``wre``) + Φ (``fe``, exposed through ``fe_out``) of a tagger as one encoder. Its inputs are indices of
    the gated tagger's shared vocabulary, mapped to this encoder's own through the ``word_map`` / ``char_map``
    buffers (words it never saw become its ``<unk>``). Output: (B, T, ``out_dim``), padding positions zero.

    >>> from mitigate.models import TaggerConfig
    >>> tagger = BiLSTMTagger(vocab=TaggerVocab.build([(("a",), ("X",))]), config=TaggerConfig.preset("tiny"))
    >>> identity = torch.arange(len(tagger.vocab.words)), torch.arange(len(tagger.vocab.chars))
    >>> encoder = TaggerEncoder(tagger=tagger, word_map=identity[0], char_map=identity[1])
    >>> encoder(*tagger.vocab.encode_tokens([["a", "a"]])).shape
    torch.Size([1, 2, 32])
    """

    def __init__(self, *, tagger: BiLSTMTagger, word_map: torch.Tensor, char_map: torch.Tensor) -> None:
        super().__init__()
        self.wre: WordRepresentation = tagger.wre
        self.dropout = nn.Dropout(tagger.config.dropout)
        self.fe: nn.LSTM = tagger.fe
        self.fe_out = nn.Identity()
        self.out_dim = 2 * tagger.config.fe_hidden
        self.register_buffer("word_map", word_map)
        self.register_buffer("char_map", char_map)

    def forward(self, words: torch.Tensor, chars: torch.Tensor) -> torch.Tensor:
        """``words`` (B, T), ``chars`` (B, T, L) in the shared vocabulary → (B, T, out_dim)."""
        return bilstm_features(self, self.word_map[words], self.char_map[chars], lengths_from=words)


class GatedTagger(nn.Module):
    """A target tagger whose features are a per-token gated mixture of source encoders and a scratch encoder:
    ``mixture`` (a ``GatedSourceMixture`` of ``TaggerEncoder`` experts) → dropout → ``classifier`` (Ψ, fresh).

    Same interface as ``BiLSTMTagger`` (``vocab``, ``forward(words, chars)``), so ``train_tagger``,
    ``predict_tags`` and ``TransferSession`` work unchanged. Build it with ``build_gated_tagger``.

    >>> from mitigate.models import TaggerConfig
    >>> data = [(("a", "b"), ("X", "Y"))]
    >>> tiny = TaggerConfig.preset("tiny")
    >>> src = {k: BiLSTMTagger(vocab=TaggerVocab.build(data), config=tiny) for k in ("s1", "s2")}
    >>> model = build_gated_tagger(sources=src, target_sentences=data)
    >>> isinstance(model, GatedTagger), model.mixture.out_dim
    (True, 32)
    """

    def __init__(self, *, vocab: TaggerVocab, mixture: GatedSourceMixture, dropout: float) -> None:
        super().__init__()
        self.vocab = vocab
        self.mixture = mixture
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(mixture.out_dim, len(vocab.tags)).to(
            device=mixture.gate.weight.device, dtype=mixture.gate.weight.dtype
        )

    def features(self, words: torch.Tensor, chars: torch.Tensor) -> torch.Tensor:
        """The mixed features (B, T, out_dim); the gate weights of this call are in ``mixture.last_weights``."""
        return self.mixture(words, chars, mask=words != 0)

    def forward(self, words: torch.Tensor, chars: torch.Tensor) -> torch.Tensor:
        """Tag logits (B, T, n_tags)."""
        return self.classifier(self.dropout(self.features(words, chars)))


def _union(vocabularies: Iterable[Vocabulary]) -> Vocabulary:
    union = Vocabulary()
    for vocabulary in vocabularies:
        union = union.extend(vocabulary.to_list()[2:])
    return union


def build_gated_tagger(
    *,
    sources: Mapping[str, BiLSTMTagger],
    target_sentences: Sequence[tuple[Sequence[str], Sequence[str]]],
    scratch: bool | TaggerConfig = True,
    project: bool = True,
    temperature: float = 1.0,
    top_k: int | None = None,
    seed: int = 0,
) -> GatedTagger:
    """A ``GatedTagger`` for ``target_sentences`` over the Υ+Φ of each source tagger (copied, so the sources are
    not modified; target words unseen by a source get fresh rows, as in ``transfer_model``) plus, unless
    ``scratch=False``, a freshly initialised Υ+Φ (with the first source's sizes, or the ``TaggerConfig`` given).
    Sources with different Φ sizes are projected to the scratch size (``project=True``) or refused. Everything is
    built on the first source's device and dtype (other sources are moved there, with a warning).

    >>> from mitigate.models import TaggerConfig
    >>> data = [(("the", "cat"), ("DT", "NN"))]
    >>> tiny = TaggerConfig.preset("tiny")
    >>> src = {"a": BiLSTMTagger(vocab=TaggerVocab.build(data), config=tiny),
    ...        "b": BiLSTMTagger(vocab=TaggerVocab.build([(("a", "dog"), ("D", "N"))]), config=tiny)}
    >>> model = build_gated_tagger(sources=src, target_sentences=[(("the", "lol"), ("D", "!"))])
    >>> words, chars = model.vocab.encode_tokens([["the", "lol", "dog"]])
    >>> model(words, chars).shape, model.mixture.names
    (torch.Size([1, 3, 2]), ['a', 'b', 'scratch'])
    """
    if not isinstance(sources, Mapping) or not sources:
        raise ValueError(f"Expected argument `sources` to be a non-empty mapping of name to BiLSTMTagger, but got {sources!r}.")
    for name, source in sources.items():
        if not isinstance(source, BiLSTMTagger):
            raise TypeError(f"Expected argument `sources` to map names to BiLSTMTagger, but {name!r} is {type(source).__name__}.")
    target_sentences = list(target_sentences)
    if not target_sentences:
        raise ValueError("Expected argument `target_sentences` to be non-empty, but got no sentences.")
    if not isinstance(scratch, (bool, TaggerConfig)):
        raise TypeError(f"Expected argument `scratch` to be a bool or a TaggerConfig, but got {type(scratch).__name__}.")
    taggers: dict[str, BiLSTMTagger] = {
        name: transfer_model(source, target_sentences=target_sentences, seed=seed + i)
        for i, (name, source) in enumerate(sources.items())
    }
    for name, source in sources.items():  # transfer_model builds on CPU in the default dtype: keep the source's
        ref = next(source.parameters())
        taggers[name].to(device=ref.device, dtype=ref.dtype)
    if scratch is not False:
        config = scratch if isinstance(scratch, TaggerConfig) else next(iter(sources.values())).config
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed + len(sources))
            scratch_model = BiLSTMTagger(vocab=TaggerVocab.build(target_sentences), config=config)
        first = next(iter(taggers.values()))
        taggers[SCRATCH] = scratch_model.to(device=next(first.parameters()).device, dtype=next(first.parameters()).dtype)
    words = _union(t.vocab.words for t in taggers.values())
    chars = _union(t.vocab.chars for t in taggers.values())
    encoders = {}
    for name, tagger in taggers.items():
        device = next(tagger.parameters()).device
        encoders[name] = TaggerEncoder(
            tagger=tagger,
            word_map=torch.tensor(tagger.vocab.words.encode(words.to_list()), dtype=torch.long, device=device),
            char_map=torch.tensor(tagger.vocab.chars.encode(chars.to_list()), dtype=torch.long, device=device),
        )
    scratch_encoder = encoders.pop(SCRATCH, None)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed + len(sources) + 1)
        mixture = GatedSourceMixture(
            experts=encoders, scratch=scratch_encoder, project=project, temperature=temperature, top_k=top_k,
        )
    vocab = TaggerVocab(words=words, chars=chars, tags=TaggerVocab.build(target_sentences).tags)
    dropout = next(iter(sources.values())).config.dropout
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed + len(sources) + 2)
        return GatedTagger(vocab=vocab, mixture=mixture, dropout=dropout)
