"""``TaggingScenario``: a source → target tagging pair (e.g. WSJ POS → tweets POS) with the study's tagger."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mitigate.models._dev_metrics import span_f1
from mitigate.models._scenario import EpochCallback
from mitigate.models._tagger import BiLSTMTagger, TaggerConfig
from mitigate.models._tagger_loop import length_batches, load_tagger, predict_tags, save_tagger, train_tagger
from mitigate.models._tagger_vocab import TaggerVocab
from mitigate.models._training import TrainConfig, TrainResult, seed_everything
from mitigate.models._transfer import transfer_model

if TYPE_CHECKING:
    from mitigate.data import DatasetSplits
    from mitigate.session.strategy import Strategy

__all__ = ["TaggingScenario"]

_SPLITS = ("train", "dev", "test")


def _resolve(dataset: str | DatasetSplits, data_dir: str | Path | None, argument: str) -> DatasetSplits:
    if isinstance(dataset, str):
        from mitigate.data import load_dataset

        return load_dataset(dataset, data_dir=data_dir)
    if not hasattr(dataset, "train") or not hasattr(dataset, "name"):
        raise TypeError(f"Expected argument `{argument}` to be a registry name or DatasetSplits, but got {type(dataset).__name__}.")
    return dataset


def _encoded_batches(sentences: Sequence[Any], *, batch_size: int) -> Callable[[BiLSTMTagger], list]:
    """``f(model) -> [((words, chars), tags), ...]`` encoded with ``model.vocab`` (length-grouped batches)."""

    def encode(model: BiLSTMTagger) -> list:
        out = []
        for index in length_batches([len(s.tokens) for s in sentences], batch_size=batch_size):
            words, chars = model.vocab.encode_tokens([sentences[i].tokens for i in index])
            out.append(((words, chars), model.vocab.encode_tags([sentences[i].tags for i in index])))
        return out

    return encode


class TaggingScenario:
    """Source → target sequence labelling with ``BiLSTMTagger``. Implements ``TransferScenario``.

    ``source`` and ``target`` are registry names (``mitigate.data.load_dataset``) or ``DatasetSplits``.
    ``train_config`` drives the target trainings (scratch and transfer), ``source_config`` the pretraining.
    With ``cache_dir``, pretrained sources are cached per (source, preset, seed, source training settings). Early
    stopping uses dev token accuracy, except for ``task == "ner"`` targets: span F1 (``dev_metric``).

    >>> from mitigate.data import DatasetSplits, Sentence
    >>> s = [Sentence(("The", "cat"), ("DT", "NN"))] * 4
    >>> t = [Sentence(("the", "kat"), ("D", "N"))] * 4
    >>> sc = TaggingScenario(source=DatasetSplits("src", "pos", s, s, s), target=DatasetSplits("tgt", "pos", t, t, t),
    ...                      preset="tiny", train_config=TrainConfig(max_epochs=1), source_config=TrainConfig(max_epochs=1))
    >>> model = sc.fit_transfer(source=sc.pretrain(seed=0), seed=0)
    >>> len(sc.predict(model, split="test")) == len(sc.gold(split="test"))
    True
    """

    def __init__(
        self,
        *,
        source: str | DatasetSplits = "wsj-pos",
        target: str | DatasetSplits = "tpos",
        data_dir: str | Path | None = None,
        preset: str | TaggerConfig = "cpu",
        train_config: TrainConfig | None = None,
        source_config: TrainConfig | None = None,
        cache_dir: str | Path | None = None,
        progress: bool = False,
    ) -> None:
        self.source_data = _resolve(source, data_dir, "source")
        self.target_data = _resolve(target, data_dir, "target")
        self.model_config = preset if isinstance(preset, TaggerConfig) else TaggerConfig.preset(preset)
        self.preset_name = preset if isinstance(preset, str) else "custom"
        self.train_config = train_config or TrainConfig()
        self.source_config = source_config or self.train_config
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.progress = progress
        self.name = f"{self.source_data.name}->{self.target_data.name}"
        self.task = self.target_data.task
        # Early stopping on token accuracy would keep an all-"O" NER model (already ~94% of Ritter's tokens).
        self.dev_metric = span_f1 if self.task == "ner" else None
        self.source_dev_metric = span_f1 if self.source_data.task == "ner" else None
        #: ``TrainResult`` of the most recent ``pretrain`` / ``fit_*`` call (dev curve, best epoch, seconds).
        self.last_result: TrainResult | None = None

    def _split(self, split: str) -> list:
        if split not in _SPLITS:
            raise ValueError(f"Expected argument `split` to be one of {list(_SPLITS)}, but got {split!r}.")
        return list(getattr(self.target_data, split))

    def pretrain(self, *, seed: int, epochs: int | None = None, checkpoint_dir: Path | None = None) -> BiLSTMTagger:
        """Train the source tagger (every epoch kept in ``checkpoint_dir`` when given; cached in ``cache_dir``)."""
        config = self.source_config
        if epochs is not None:
            # A fixed number of epochs: no early stopping, so state k is "k+1 epochs of pretraining".
            config = TrainConfig(**{**config.to_dict(), "max_epochs": epochs, "patience": epochs})
        cached = None
        if self.cache_dir is not None:
            key = f"{self.source_data.name}-{self.preset_name}-seed{seed}-{config.cache_tag()}"
            cached = self.cache_dir / f"{key}.pt"
            if cached.is_file() and cached.with_suffix(".json").is_file():
                self.last_result = None
                return load_tagger(cached)
        seed_everything(seed)
        model = BiLSTMTagger(vocab=TaggerVocab.build(self.source_data.train), config=self.model_config)
        self.last_result = train_tagger(
            model, train=self.source_data.train, dev=self.source_data.dev, config=config, seed=seed,
            checkpoint_dir=checkpoint_dir, progress=self.progress, dev_metric=self.source_dev_metric,
        )
        if cached is not None:
            save_tagger(model, cached, seed=seed, result=self.last_result, train_config=config)
        return model

    def fit_scratch(self, *, seed: int, on_epoch_end: EpochCallback | None = None) -> BiLSTMTagger:
        """A target tagger trained from random initialisation."""
        seed_everything(seed)
        model = BiLSTMTagger(vocab=TaggerVocab.build(self.target_data.train), config=self.model_config)
        self.last_result = train_tagger(
            model, train=self.target_data.train, dev=self.target_data.dev, config=self.train_config, seed=seed,
            on_epoch_end=on_epoch_end, progress=self.progress, dev_metric=self.dev_metric,
        )
        return model

    def fit_transfer(
        self,
        *,
        source: BiLSTMTagger,
        seed: int,
        strategies: Sequence[Strategy] = (),
        on_epoch_end: EpochCallback | None = None,
    ) -> BiLSTMTagger:
        """``transfer_model(source)`` fine-tuned on the target inside a ``TransferSession`` with ``strategies``."""
        model = transfer_model(source, target_sentences=self.target_data.train, seed=seed)
        self.last_result = train_tagger(
            model, train=self.target_data.train, dev=self.target_data.dev, config=self.train_config, seed=seed,
            strategies=strategies, on_epoch_end=on_epoch_end, progress=self.progress, dev_metric=self.dev_metric,
        )
        return model

    def strategy_inputs(self, *, seed: int, source: BiLSTMTagger) -> dict[str, Any]:
        """Inputs for strategies that need data (see ``TransferScenario``): target and source training sets as
        ``f(model) -> batches`` (encoded with that model's vocabulary), the ``source`` model, and the tagger's layer
        names: ``layers`` ``["wre", "fe", "classifier"]``; pruning reads ``fe`` (the BiLSTM) through ``classifier``.

        >>> from mitigate.data import DatasetSplits, Sentence
        >>> d = DatasetSplits("d", "pos", [Sentence(("a", "b"), ("X", "Y"))] * 3, [], [])
        >>> sc = TaggingScenario(source=d, target=d, preset="tiny")
        >>> inputs = sc.strategy_inputs(seed=0, source=None)
        >>> sorted(inputs)[:4], inputs["layers"]
        (['consumers', 'head', 'layers', 'prune_layers'], ['wre', 'fe', 'classifier'])
        """
        batch_size = self.train_config.batch_size
        return {
            "target_batches": _encoded_batches(list(self.target_data.train), batch_size=batch_size),
            "source_batches": _encoded_batches(list(self.source_data.train), batch_size=batch_size),
            "source_model": source,
            "layers": ["wre", "fe", "classifier"],
            "prune_layers": ["fe"],
            "head": "classifier",
            "consumers": {"fe": "classifier"},
            "scale_at": "wre",
        }

    def predict(self, model: BiLSTMTagger, *, split: str) -> list[list[str]]:
        """Predicted tags of a target split."""
        return predict_tags(model, [s.tokens for s in self._split(split)])

    def gold(self, *, split: str) -> list[list[str]]:
        """Gold tags of a target split."""
        return [list(s.tags) for s in self._split(split)]

    def tokens(self, *, split: str) -> list[list[str]]:
        """Tokens of a target split."""
        return [list(s.tokens) for s in self._split(split)]

    def unseen_tags(self, *, split: str = "test") -> dict[str, int]:
        """Tags of ``split`` never seen in the target training set, with their token counts (always wrong).

        >>> from mitigate.data import DatasetSplits, Sentence
        >>> d = DatasetSplits("t", "pos", [Sentence(("a",), ("X",))], [], [Sentence(("a", "b"), ("X", "Y"))])
        >>> TaggingScenario(source=d, target=d, preset="tiny").unseen_tags()
        {'Y': 1}
        """
        known = {tag for s in self.target_data.train for tag in s.tags}
        counts = Counter(tag for s in self._split(split) for tag in s.tags if tag not in known)
        return dict(sorted(counts.items()))
