"""Digit loaders for the images scenario: USPS 16x16 (real file) and scikit-learn's bundled 8x8 digits."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from mitigate.data import DigitImages, load_digits_pair, load_sklearn_digits, load_usps, to_grid


def test_sklearn_digits_are_float32_in_unit_range_with_int_labels() -> None:
    digits = load_sklearn_digits()
    assert digits.images.shape == (1797, 8, 8) and digits.images.dtype == np.float32
    assert digits.images.min() == 0.0 and digits.images.max() == 1.0
    assert digits.labels.dtype == np.int64 and set(digits.labels.tolist()) == set(range(10))
    assert len(digits) == 1797 and digits.side == 8


@pytest.mark.realdata
def test_usps_splits_and_common_grid(shared_data: Path) -> None:
    train, test, both = (load_usps(split=split, data_dir=shared_data) for split in ("train", "test", "all"))
    assert (len(train), len(test), len(both)) == (7291, 2007, 9298)
    assert both.images.shape == (9298, 16, 16) and both.images.dtype == np.float32
    assert 0.0 <= both.images.min() and both.images.max() <= 1.0
    assert np.array_equal(both.labels[:7291], train.labels)
    source, target = load_digits_pair(data_dir=shared_data)
    assert source.images.shape == (9298, 8, 8) and target.images.shape == (1797, 8, 8)
    # both domains draw light ink on a dark background, so their mean pixel is of the same order
    assert 0.1 < source.images.mean() < 0.4 and 0.1 < target.images.mean() < 0.4
    big_source, big_target = load_digits_pair(side=16, data_dir=shared_data)
    assert big_source.images.shape[1:] == big_target.images.shape[1:] == (16, 16)


def test_usps_bad_input(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"USPS digits not found at .*images/usps/usps_16x16\.npz; copy"):
        load_usps(data_dir=tmp_path)
    expected = r"Expected argument `split` to be one of \['train', 'test', 'all'\], but got 'dev'\."
    with pytest.raises(ValueError, match=expected):
        load_usps(split="dev", data_dir=tmp_path)  # type: ignore[arg-type]


@settings(max_examples=25, deadline=None)
@given(arrays(np.float32, (3, 16, 16), elements=st.floats(0, 1, width=32)))
def test_grid_round_trip_and_mass(images: np.ndarray) -> None:
    digits = DigitImages("x", images, np.arange(3))
    small = to_grid(digits, side=8)
    assert small.images.shape == (3, 8, 8)
    np.testing.assert_allclose(small.images.mean(axis=(1, 2)), images.mean(axis=(1, 2)), rtol=1e-4, atol=1e-5)
    grown = to_grid(small, side=16)
    np.testing.assert_allclose(to_grid(grown, side=8).images, small.images, rtol=1e-5, atol=1e-6)
    assert to_grid(digits, side=16) is digits


def test_grid_bad_side() -> None:
    digits = DigitImages("x", np.zeros((1, 8, 8), np.float32), np.zeros(1, np.int64))
    with pytest.raises(ValueError, match="Expected argument `side` to divide or be a multiple of the current side 8"):
        to_grid(digits, side=12)
    with pytest.raises(ValueError, match="Expected argument `side` to be a positive int, but got 0."):
        to_grid(digits, side=0)
