"""The reference training loop of the tagger, written the way a user writes one, inside a ``TransferSession``."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import nn

from mitigate.models._checkpoint import load_state_checked, read_metadata, save_checkpoint
from mitigate.models._tagger import BiLSTMTagger, TaggerConfig
from mitigate.models._tagger_vocab import TaggerVocab
from mitigate.models._training import EarlyStopping, TrainConfig, TrainResult, make_optimizer, open_session, seed_everything

if TYPE_CHECKING:
    from mitigate.session.strategy import Strategy

__all__ = ["train_tagger", "predict_tags", "tag_accuracy", "length_batches", "load_tagger", "save_tagger"]

TaggedPairs = Sequence[tuple[Sequence[str], Sequence[str]]]


def length_batches(lengths: Sequence[int], *, batch_size: int) -> list[np.ndarray]:
    """Indices grouped into batches of similar length (sorted by length, then cut), for CPU speed.

    >>> [b.tolist() for b in length_batches([3, 1, 2, 1], batch_size=2)]
    [[1, 3], [2, 0]]
    """
    order = np.argsort(np.asarray(lengths), kind="stable")
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


def _encoded_batches(vocab: TaggerVocab, data: TaggedPairs, batch_size: int) -> list[tuple[torch.Tensor, ...]]:
    batches = []
    for index in length_batches([len(tokens) for tokens, _ in data], batch_size=batch_size):
        tokens = [data[i][0] for i in index]
        words, chars = vocab.encode_tokens(tokens)
        batches.append((words, chars, vocab.encode_tags([data[i][1] for i in index])))
    return batches


def predict_tags(model: BiLSTMTagger, tokens: Sequence[Sequence[str]], *, batch_size: int = 64) -> list[list[str]]:
    """Predicted tags per sentence (eval mode, no gradients; the model's mode is restored afterwards).

    >>> from mitigate.models import TaggerConfig
    >>> model = BiLSTMTagger(vocab=TaggerVocab.build([(("a", "b"), ("X", "Y"))]), config=TaggerConfig.preset("tiny"))
    >>> [len(p) for p in predict_tags(model, [["a"], ["b", "a", "c"]])]
    [1, 3]
    """
    was_training = model.training
    model.eval()
    out: list[list[str] | None] = [None] * len(tokens)
    try:
        with torch.no_grad():
            for index in length_batches([len(t) for t in tokens], batch_size=batch_size):
                words, chars = model.vocab.encode_tokens([tokens[i] for i in index])
                best = model(words, chars).argmax(dim=-1).numpy()
                for row, i in enumerate(index):
                    out[i] = model.vocab.tags.decode(best[row, : len(tokens[i])])
    finally:
        model.train(was_training)
    return out  # type: ignore[return-value]


def tag_accuracy(predicted: Sequence[Sequence[str]], gold: Sequence[Sequence[str]]) -> float:
    """Token accuracy.

    >>> tag_accuracy([["A", "B"]], [["A", "C"]])
    0.5
    """
    flat_p = [t for s in predicted for t in s]
    flat_g = [t for s in gold for t in s]
    if len(flat_p) != len(flat_g):
        raise ValueError(f"Expected as many predicted as gold tokens, but got {len(flat_p)} and {len(flat_g)}.")
    return float(np.mean(np.asarray(flat_p, dtype=object) == np.asarray(flat_g, dtype=object))) if flat_g else 0.0


def train_tagger(
    model: BiLSTMTagger,
    *,
    train: TaggedPairs,
    dev: TaggedPairs,
    config: TrainConfig | None = None,
    seed: int = 0,
    strategies: Sequence[Strategy] = (),
    checkpoint_dir: str | Path | None = None,
    on_epoch_end: Callable[[int, float], None] | None = None,
    progress: bool = False,
    dev_metric: Callable[[list[list[str]], list[list[str]]], float] | None = None,
) -> TrainResult:
    """Train ``model`` in place on ``train`` (``(tokens, tags)`` pairs or ``Sentence``), early-stopping on dev
    token accuracy; the best epoch's state is restored. Runs inside a ``TransferSession`` with ``strategies``.
    With ``checkpoint_dir``, every epoch's state is saved as ``epoch_NNN.pt`` (+ ``.json`` metadata).
    ``dev_metric(predicted, gold)`` replaces token accuracy as the early-stopping score (e.g. ``span_f1`` for NER,
    where predicting ``O`` everywhere already has high token accuracy).

    >>> from mitigate.models import TaggerConfig
    >>> data = [(("the", "cat"), ("DT", "NN"))] * 4
    >>> model = BiLSTMTagger(vocab=TaggerVocab.build(data), config=TaggerConfig.preset("tiny"))
    >>> result = train_tagger(model, train=data, dev=data, config=TrainConfig(max_epochs=2))
    >>> len(result.dev_scores)
    2
    """
    config = config or TrainConfig()
    if not train:
        raise ValueError("Expected argument `train` to hold at least one sentence, but got none.")
    seed_everything(seed)
    start = time.perf_counter()
    batches = _encoded_batches(model.vocab, train, config.batch_size)
    dev_tokens, dev_gold = [list(t) for t, _ in dev], [list(g) for _, g in dev]
    optimizer = make_optimizer(model, config)
    criterion = nn.CrossEntropyLoss(ignore_index=-100)
    stopper = EarlyStopping(patience=config.patience)
    result = TrainResult()
    order_rng = np.random.default_rng(seed)
    bar = _progress(config.max_epochs, progress)

    session = open_session(model, optimizer, strategies)
    with session:
        for epoch in range(config.max_epochs):
            session.epoch_start(epoch)
            model.train()
            for b in order_rng.permutation(len(batches)):
                words, chars, tags = batches[b]
                logits = model(words, chars)
                loss = criterion(logits.reshape(-1, logits.shape[-1]), tags.reshape(-1)) + session.extra_loss()
                optimizer.zero_grad()
                loss.backward()
                if config.grad_clip is not None:
                    nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
                optimizer.step()
            dev_score = (dev_metric or tag_accuracy)(predict_tags(model, dev_tokens), dev_gold) if dev else -float(loss.item())
            session.epoch_end(epoch, dev_score=dev_score)
            result.dev_scores.append(dev_score)
            improved = stopper.update(dev_score, model)
            if checkpoint_dir is not None:
                save_checkpoint(model, Path(checkpoint_dir) / f"epoch_{epoch:03d}.pt", metadata=tagger_metadata(
                    model, epoch=epoch, dev_score=dev_score, train_config=config, seed=seed))
            if bar is not None:
                bar.update(1)
                bar.set_postfix(dev=f"{dev_score:.4f}", best=f"{stopper.best_score:.4f}")
            if on_epoch_end is not None:
                on_epoch_end(epoch, dev_score)
            if not improved and stopper.should_stop:
                break
    if bar is not None:
        bar.close()
    stopper.restore(model)
    result.best_epoch = stopper.best_epoch
    result.seconds = time.perf_counter() - start
    return result


def tagger_metadata(model: BiLSTMTagger, **extra: Any) -> dict[str, Any]:
    """JSON metadata that rebuilds the architecture: sizes, vocabularies, plus ``extra``."""
    meta = {"architecture": "BiLSTMTagger", "config": model.config.to_dict(), "vocab": model.vocab.to_dict()}
    for key, value in extra.items():
        meta[key] = value.to_dict() if hasattr(value, "to_dict") else value
    return meta


def save_tagger(model: BiLSTMTagger, path: str | Path, **extra: Any) -> Path:
    """Save a tagger's state dict and the metadata ``load_tagger`` needs to rebuild it.

    >>> import tempfile
    >>> from mitigate.models import TaggerConfig
    >>> model = BiLSTMTagger(vocab=TaggerVocab.build([(("a",), ("X",))]), config=TaggerConfig.preset("tiny"))
    >>> p = save_tagger(model, Path(tempfile.mkdtemp()) / "t.pt", note="hi")
    >>> load_tagger(p).vocab == model.vocab
    True
    """
    return save_checkpoint(model, path, metadata=tagger_metadata(model, **extra))


def load_tagger(path: str | Path) -> BiLSTMTagger:
    """Rebuild a tagger from a checkpoint written by ``train_tagger`` / ``save_tagger`` (``weights_only=True``)."""
    meta = read_metadata(path)
    if meta.get("architecture") != "BiLSTMTagger":
        raise ValueError(f"Expected a BiLSTMTagger checkpoint at {path}, but its metadata names {meta.get('architecture')!r}.")
    model = BiLSTMTagger(vocab=TaggerVocab.from_dict(meta["vocab"]), config=TaggerConfig(**meta["config"]))
    return load_state_checked(model, path)  # type: ignore[return-value]


def _progress(total: int, enabled: bool) -> Any:
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="epoch", leave=False)
