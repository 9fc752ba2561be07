"""``DigitsScenario``: digit images from one domain to another with a small CNN (fast tests, demo)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from mitigate.models._checkpoint import load_state_checked, save_checkpoint
from mitigate.models._classifier_loop import predict_classes, train_classifier
from mitigate.models._digits_data import ImageSplits, shifted_digits_pair, sklearn_digits_splits, usps_splits
from mitigate.models._digits_net import DigitsNet
from mitigate.models._scenario import EpochCallback
from mitigate.models._training import TrainConfig, TrainResult, seed_everything

if TYPE_CHECKING:
    from mitigate.session.strategy import Strategy

__all__ = ["DigitsScenario"]


def _image_batches(x: np.ndarray, y: np.ndarray, *, batch_size: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    images = torch.as_tensor(np.asarray(x), dtype=torch.float32)
    labels = torch.as_tensor(np.asarray(y), dtype=torch.long)
    return [(images[i:i + batch_size], labels[i:i + batch_size]) for i in range(0, len(labels), batch_size)]


class DigitsScenario:
    """Digits transfer on one 16×16 grid. Implements ``TransferScenario``; labels are strings ``"0"``–``"9"``.

    By default the source is USPS (``data_dir`` is the shared data folder) and the target scikit-learn's bundled
    8×8 digits upsampled, with ``per_class`` labels per class. ``DigitsScenario.embedded()`` needs no data folder.
    ``fit_transfer`` copies ``fe`` and gives the target a fresh ``classifier`` (as the tagger gets a fresh Ψ).

    >>> sc = DigitsScenario.embedded(per_class=3, train_config=TrainConfig(max_epochs=1))
    >>> model = sc.fit_transfer(source=sc.pretrain(seed=0, epochs=1), seed=0)
    >>> len(sc.predict(model, split="test")) == len(sc.gold(split="test"))
    True
    """

    task = "classification"

    def __init__(
        self,
        *,
        source: ImageSplits | None = None,
        target: ImageSplits | None = None,
        data_dir: str | Path | None = None,
        per_class: int = 10,
        hidden: int = 64,
        train_config: TrainConfig | None = None,
        source_config: TrainConfig | None = None,
        cache_dir: str | Path | None = None,
    ) -> None:
        if source is None:
            if data_dir is None:
                raise ValueError("Expected argument `data_dir` (the folder holding images/usps/) when no `source` is given, but got None.")
            source = usps_splits(data_dir)
        self.source_data = source
        self.target_data = target if target is not None else sklearn_digits_splits(per_class=per_class)
        self.hidden = hidden
        self.train_config = train_config or TrainConfig(batch_size=16, max_epochs=60, patience=10)
        self.source_config = source_config or TrainConfig(batch_size=32, max_epochs=30, patience=5)
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.name = f"{self.source_data.name}->{self.target_data.name}"
        self.last_result: TrainResult | None = None

    @classmethod
    def embedded(cls, *, per_class: int = 10, angle: float = 30.0, **kwargs: object) -> DigitsScenario:
        """The no-download pair of ``shifted_digits_pair``: upright digits → rotated, thicker digits with few labels."""
        source, target = shifted_digits_pair(per_class=per_class, angle=angle)
        return cls(source=source, target=target, **kwargs)  # type: ignore[arg-type]

    def pretrain(self, *, seed: int, epochs: int | None = None, checkpoint_dir: Path | None = None) -> DigitsNet:
        """Train the source CNN (a fixed number of ``epochs`` when given; every epoch kept in ``checkpoint_dir``;
        cached in ``cache_dir``)."""
        config = self.source_config
        if epochs is not None:
            config = TrainConfig(**{**config.to_dict(), "max_epochs": epochs, "patience": epochs})
        cached = None
        if self.cache_dir is not None:
            cached = self.cache_dir / f"{self.source_data.name}-h{self.hidden}-seed{seed}-{config.cache_tag()}.pt"
            if cached.is_file():
                return load_state_checked(DigitsNet(hidden=self.hidden), cached)  # type: ignore[return-value]
        seed_everything(seed)
        model = DigitsNet(hidden=self.hidden)
        self.last_result = train_classifier(
            model, train=self.source_data.split("train"), dev=self.source_data.split("dev"), config=config, seed=seed,
            checkpoint_dir=checkpoint_dir,
        )
        if cached is not None:
            save_checkpoint(model, cached, metadata={"seed": seed, **self.last_result.to_dict()})
        return model

    def fit_scratch(self, *, seed: int, on_epoch_end: EpochCallback | None = None) -> DigitsNet:
        """A target CNN trained from random initialisation."""
        seed_everything(seed)
        model = DigitsNet(hidden=self.hidden)
        self.last_result = train_classifier(
            model, train=self.target_data.split("train"), dev=self.target_data.split("dev"),
            config=self.train_config, seed=seed, on_epoch_end=on_epoch_end,
        )
        return model

    def fit_transfer(
        self,
        *,
        source: DigitsNet,
        seed: int,
        strategies: Sequence[Strategy] = (),
        on_epoch_end: EpochCallback | None = None,
    ) -> DigitsNet:
        """Copy ``fe`` from ``source``, fresh ``classifier``, fine-tune in a ``TransferSession``."""
        seed_everything(seed)
        model = DigitsNet(hidden=self.hidden)
        with torch.no_grad():
            model.fe.load_state_dict(source.fe.state_dict())
        self.last_result = train_classifier(
            model, train=self.target_data.split("train"), dev=self.target_data.split("dev"),
            config=self.train_config, seed=seed, strategies=strategies, on_epoch_end=on_epoch_end,
        )
        return model

    def strategy_inputs(self, *, seed: int, source: DigitsNet) -> dict[str, Any]:
        """Inputs for strategies that need data (see ``TransferScenario``): target and source training images as
        ``(images, labels)`` batches, the ``source`` model, ``layers`` (both convolutions, the hidden linear layer and
        the classifier, bottom to top); pruning reads the hidden linear layer ``fe.7`` through ``classifier``.

        >>> sc = DigitsScenario.embedded(per_class=2)
        >>> inputs = sc.strategy_inputs(seed=0, source=None)
        >>> inputs["layers"], inputs["target_batches"][0][0].shape[1]
        (['fe.0', 'fe.3', 'fe.7', 'classifier'], 256)
        """
        batch_size = self.train_config.batch_size
        return {
            "target_batches": _image_batches(*self.target_data.split("train"), batch_size=batch_size),
            "source_batches": _image_batches(*self.source_data.split("train"), batch_size=batch_size),
            "source_model": source,
            "layers": ["fe.0", "fe.3", "fe.7", "classifier"],
            "prune_layers": ["fe.7"],
            "head": "classifier",
            "consumers": {"fe.7": "classifier"},
            "scale_at": None,
        }

    def predict(self, model: DigitsNet, *, split: str) -> list[str]:
        """Predicted labels of a target split."""
        return [str(c) for c in predict_classes(model, self.target_data.split(split)[0])]

    def gold(self, *, split: str) -> list[str]:
        """Gold labels of a target split."""
        return [str(c) for c in np.asarray(self.target_data.split(split)[1])]

    def tokens(self, *, split: str) -> None:
        """Images are not tokens."""
        self.target_data.split(split)
        return None
