"""Per-token Φ features of a tagger on any tagged sentences, in the form the proxies and distances read."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from mitigate.models._tagger import BiLSTMTagger
from mitigate.models._tagger_loop import length_batches
from mitigate.models._vocab import Vocabulary
from mitigate.transferability._features import TargetFeatures, extract_features

__all__ = ["tagger_features"]


def tagger_features(
    *,
    tagger: BiLSTMTagger,
    sentences: Sequence[tuple[Sequence[str], Sequence[str]]],
    max_sentences: int | None = None,
    batch_size: int = 64,
    head: bool = True,
    seed: int = 0,
) -> TargetFeatures:
    """Φ's output (``fe_out``) of ``tagger`` for every token of ``sentences`` (encoded with the tagger's own
    vocabulary: unknown words become ``<unk>``), labelled with the sentences' tags coded 0..C−1 in sorted order,
    and, with ``head``, the tagger's own tag probabilities (for LEEP / NCE). At most ``max_sentences`` sentences
    (a seeded random subset) are used.

    >>> from mitigate.models import TaggerConfig, TaggerVocab
    >>> data = [(("the", "cat"), ("DT", "NN"))]
    >>> tagger = BiLSTMTagger(vocab=TaggerVocab.build(data), config=TaggerConfig.preset("tiny"))
    >>> out = tagger_features(tagger=tagger, sentences=[(("a", "dog", "ran"), ("D", "N", "V"))])
    >>> out.features.shape, out.labels.tolist(), out.source_probs.shape
    ((3, 32), [0, 1, 2], (3, 2))
    """
    if not isinstance(tagger, BiLSTMTagger):
        raise TypeError(f"Expected argument `tagger` to be a BiLSTMTagger, but got {type(tagger).__name__}.")
    sentences = [(list(t), list(g)) for t, g in sentences]
    if not sentences:
        raise ValueError("Expected argument `sentences` to hold at least one sentence, but got none.")
    if max_sentences is not None and len(sentences) > max_sentences:
        keep = np.sort(np.random.default_rng(seed).choice(len(sentences), size=max_sentences, replace=False))
        sentences = [sentences[i] for i in keep]
    tags = Vocabulary(sorted({tag for _, g in sentences for tag in g}), specials=())
    batches = []
    for index in length_batches([len(t) for t, _ in sentences], batch_size=batch_size):
        words, chars = tagger.vocab.encode_tokens([sentences[i][0] for i in index])
        labels = np.full(words.shape, -100, dtype=np.int64)
        for row, i in enumerate(index):
            labels[row, : len(sentences[i][1])] = tags.encode(sentences[i][1])
        batches.append(((words, chars), torch.from_numpy(labels)))
    return extract_features(model=tagger, batches=batches, module="fe_out", head="classifier" if head else None)
