"""The transfer step: a target tagger from a source tagger (copy Υ and Φ, extend vocabularies, fresh Ψ)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import torch

from mitigate.models._tagger import BiLSTMTagger
from mitigate.models._tagger_vocab import TaggerVocab

__all__ = ["transfer_model"]


def transfer_model(
    source: BiLSTMTagger,
    *,
    target_sentences: Iterable[tuple[Sequence[str], Sequence[str]]],
    seed: int = 0,
) -> BiLSTMTagger:
    """Build the target model: Υ (``wre``) and Φ (``fe``) copied from ``source``; target words and characters
    unseen in the source get new embedding rows (random, like a fresh model's); known ones keep their source rows;
    Ψ (``classifier``) is fresh for the target tag set. ``source`` is not modified.

    >>> from mitigate.models import TaggerConfig, TaggerVocab
    >>> src = BiLSTMTagger(vocab=TaggerVocab.build([(("the",), ("DT",))]), config=TaggerConfig.preset("tiny"))
    >>> tgt = transfer_model(src, target_sentences=[(("the", "lol"), ("D", "!"))])
    >>> len(tgt.vocab.words), tgt.vocab.tags.to_list()
    (4, ['!', 'D'])
    >>> bool(torch.equal(tgt.wre.word_emb.weight[:3], src.wre.word_emb.weight))
    True
    """
    if not isinstance(source, BiLSTMTagger):
        raise TypeError(f"Expected argument `source` to be a BiLSTMTagger, but got {type(source).__name__}.")
    target_sentences = list(target_sentences)
    if not target_sentences:
        raise ValueError("Expected argument `target_sentences` to be non-empty, but got no sentences.")
    target_vocab = TaggerVocab.build(target_sentences)
    vocab = TaggerVocab(
        words=source.vocab.words.extend(target_vocab.words.to_list()[2:]),
        chars=source.vocab.chars.extend(target_vocab.chars.to_list()[2:]),
        tags=target_vocab.tags,
    )
    generator_state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        target = BiLSTMTagger(vocab=vocab, config=source.config)  # fresh init: new rows and Ψ come from here
    finally:
        torch.random.set_rng_state(generator_state)
    source_state = source.state_dict()
    with torch.no_grad():
        for name, tensor in target.state_dict().items():
            if name.startswith("classifier."):
                continue
            src = source_state[name]
            if name in ("wre.word_emb.weight", "wre.char_emb.weight"):
                tensor[: src.shape[0]].copy_(src)
            else:
                tensor.copy_(src)
    return target
