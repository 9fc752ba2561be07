"""Digit image splits on one 16×16 grid: USPS (source), scikit-learn's bundled 8×8 digits (target, upsampled).

All images are float32 in [0, 1], ink high, flattened to 256 pixels. Loading is ``mitigate.data``'s
(``load_usps``, ``load_sklearn_digits``); the 8×8 digits are upsampled ×2 with bilinear interpolation so the source
and target share one grid and one model (the choice is argued in docs/models.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["ImageSplits", "usps_splits", "sklearn_digits_splits", "shifted_digits_pair", "upsample_8_to_16"]


@dataclass(frozen=True)
class ImageSplits:
    """Train / dev / test images (N, 256) float32 and integer labels."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_dev: np.ndarray
    y_dev: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    def split(self, split: str) -> tuple[np.ndarray, np.ndarray]:
        """``(x, y)`` of ``"train"``, ``"dev"`` or ``"test"``."""
        if split not in ("train", "dev", "test"):
            raise ValueError(f"Expected argument `split` to be one of ['train', 'dev', 'test'], but got {split!r}.")
        return getattr(self, f"x_{split}"), getattr(self, f"y_{split}")


def upsample_8_to_16(images: np.ndarray) -> np.ndarray:
    """(N, 64) images in [0, 16] → (N, 256) in [0, 1], bilinear ×2.

    >>> float(upsample_8_to_16(np.full((1, 64), 16.0)).reshape(16, 16)[5, 5])
    1.0
    """
    from scipy.ndimage import zoom

    images = np.asarray(images, dtype=np.float32).reshape(-1, 8, 8) / 16.0
    out = zoom(images, (1, 2, 2), order=1, mode="nearest", grid_mode=True)
    return np.clip(out, 0.0, 1.0).reshape(-1, 256).astype(np.float32)


def usps_splits(data_dir: str | Path, *, dev_fraction: float = 0.1, seed: int = 0) -> ImageSplits:
    """USPS from ``<data_dir>/images/usps/usps_16x16.npz``; dev = a seeded ``dev_fraction`` of the train set."""
    from mitigate.data import load_usps

    train_set, test_set = load_usps(split="train", data_dir=data_dir), load_usps(split="test", data_dir=data_dir)
    x, y = train_set.images.reshape(-1, 256), train_set.labels
    order = np.random.default_rng(seed).permutation(len(x))
    n_dev = int(round(dev_fraction * len(x)))
    dev, train = order[:n_dev], order[n_dev:]
    return ImageSplits("usps", x[train], y[train], x[dev], y[dev], test_set.images.reshape(-1, 256), test_set.labels)


def _few_labels(x: np.ndarray, y: np.ndarray, *, per_class: int, dev_per_class: int, seed: int, name: str) -> ImageSplits:
    rng = np.random.default_rng(seed)
    train, dev, test = [], [], []
    for label in np.unique(y):
        index = rng.permutation(np.flatnonzero(y == label))
        train.append(index[:per_class])
        dev.append(index[per_class : per_class + dev_per_class])
        test.append(index[per_class + dev_per_class :])
    train_i, dev_i, test_i = (np.sort(np.concatenate(parts)) for parts in (train, dev, test))
    return ImageSplits(name, x[train_i], y[train_i], x[dev_i], y[dev_i], x[test_i], y[test_i])


def sklearn_digits_splits(*, per_class: int = 10, dev_per_class: int = 10, seed: int = 0) -> ImageSplits:
    """scikit-learn's bundled digits on the 16×16 grid: ``per_class`` labelled training images per class,
    ``dev_per_class`` for dev, the rest (about 1,600) for test.

    >>> s = sklearn_digits_splits(per_class=5, dev_per_class=5)
    >>> s.x_train.shape, len(s.y_test)
    ((50, 256), 1697)
    """
    from mitigate.data import load_sklearn_digits

    digits = load_sklearn_digits()
    x = upsample_8_to_16(digits.images.reshape(-1, 64) * 16.0)
    return _few_labels(x, digits.labels, per_class=per_class, dev_per_class=dev_per_class, seed=seed, name="sklearn-digits")


def shifted_digits_pair(
    *, per_class: int = 10, dev_per_class: int = 10, angle: float = 30.0, seed: int = 0
) -> tuple[ImageSplits, ImageSplits]:
    """A source / target pair built only from scikit-learn's bundled digits (no download): the images are split
    in two halves; the source half is used as is with all labels, the target half is rotated by ``angle`` degrees
    and its strokes thickened (a shifted domain), with ``per_class`` labels per class.

    >>> src, tgt = shifted_digits_pair(per_class=5, dev_per_class=5)
    >>> len(src.y_train) > 500, tgt.x_train.shape
    (True, (50, 256))
    """
    from scipy.ndimage import grey_dilation, rotate

    from mitigate.data import load_sklearn_digits

    digits = load_sklearn_digits()
    x = upsample_8_to_16(digits.images.reshape(-1, 64) * 16.0)
    y = digits.labels
    order = np.random.default_rng(seed).permutation(len(x))
    half = len(x) // 2
    src_i, tgt_i = order[:half], order[half:]
    n_dev = len(src_i) // 10
    source = ImageSplits(
        "digits-upright", x[src_i[n_dev:]], y[src_i[n_dev:]], x[src_i[:n_dev]], y[src_i[:n_dev]], x[src_i[:0]], y[src_i[:0]]
    )
    images = x[tgt_i].reshape(-1, 16, 16)
    images = rotate(images, angle, axes=(1, 2), reshape=False, order=1, mode="constant")
    images = grey_dilation(images, size=(1, 2, 2))
    shifted = np.clip(images, 0.0, 1.0).reshape(-1, 256).astype(np.float32)
    target = _few_labels(shifted, y[tgt_i], per_class=per_class, dev_per_class=dev_per_class, seed=seed, name="digits-rotated")
    return source, target
