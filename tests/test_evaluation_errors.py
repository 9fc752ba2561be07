"""Every bad input gets an exact error message."""

from __future__ import annotations

import re

import numpy as np
import pytest

from mitigate.evaluation import TransferEvaluator, read_label_file, transfer_counts, transfer_report


def report(**kwargs: object) -> object:
    return transfer_report(n_bootstrap=0, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (dict(gold=[1, 2, 3], scratch=[1, 2], transfer=[1, 2, 3]), ValueError,
         "Expected argument `scratch` to have 3 labels like `gold`, but got 2 (they differ from index 2 on)."),
        (dict(gold=[[1, 2], [3]], scratch=[[1, 2], [3]], transfer=[[1, 2]]), ValueError,
         "Expected argument `transfer` to have 2 sentences like `gold`, but got 1."),
        (dict(gold=[[1, 2], [3]], scratch=[[1, 2], [3, 3]], transfer=[[1, 2], [3]]), ValueError,
         "Expected sentence 1 of `scratch` to have 1 labels like `gold`, but got 2."),
        (dict(gold=[], scratch=[], transfer=[]), ValueError, "Expected argument `gold` to be non-empty, but got an empty sequence."),
        (dict(gold=[1, 2], scratch=[1, float("nan")], transfer=[1, 2]), ValueError,
         "Expected argument `scratch` to hold labels, but got NaN at index 1."),
        (dict(gold=[[1], [2, 3]], scratch=[[1], [2, 3]], transfer=[[1], [2, float("nan")]]), ValueError,
         "Expected argument `transfer` to hold labels, but got NaN at sentence 1, position 1."),
        (dict(gold=np.array([1.0, np.nan]), scratch=[1, 2], transfer=[1, 2]), ValueError,
         "Expected argument `gold` to hold labels, but got NaN at index 1."),
        (dict(gold=np.array([1.0, 2.0]), scratch=[1, 2], transfer=[1, 2]), TypeError,
         "Expected argument `gold` to hold integer or string labels, but got float values (float64)."),
        (dict(gold=[1, None], scratch=[1, 2], transfer=[1, 2]), TypeError,
         "Expected argument `gold` to hold integer or string labels, but got None (NoneType) at index 1."),
        (dict(gold=["a", 1], scratch=[1, 2], transfer=[1, 2]), TypeError,
         "Expected argument `gold` to hold labels of one type (all int or all str), but got both; the first mixed one is at index 1."),
        (dict(gold=["a", "b"], scratch=[1, 2], transfer=["a", "b"]), TypeError,
         "Expected `scratch` to hold str labels like `gold`, but got int labels."),
        (dict(gold=[[1, 2]], scratch=[1, 2], transfer=[[1, 2]]), TypeError,
         "Expected argument `scratch` to be a list of sentences like `gold`, but got a flat sequence of labels."),
        (dict(gold="abc", scratch=[1], transfer=[1]), TypeError,
         "Expected argument `gold` to be a sequence of labels or a list of sentences of labels, but got str."),
        (dict(gold=[1], transfer=[1]), TypeError,
         "Expected one of `scratch` (one seed) or `scratch_seeds` (a list of seeds), but got neither."),
        (dict(gold=[1], scratch=[1], scratch_seeds=[[1]], transfer=[1]), TypeError,
         "Expected only one of `scratch` (one seed) or `scratch_seeds` (a list of seeds), but got both."),
        (dict(gold=[1], scratch_seeds=[], transfer=[1]), ValueError,
         "Expected argument `scratch_seeds` to hold at least one seed, but got an empty list."),
        (dict(gold=[1, 2], scratch_seeds=[[1, 2], [1]], transfer=[1, 2]), ValueError,
         "Expected argument `scratch_seeds[1]` to have 2 labels like `gold`, but got 1 (they differ from index 1 on)."),
        (dict(gold=[1], scratch_seeds=[[1], [1]], transfer_seeds=[[1]], pairing="paired"), ValueError,
         "Expected as many transfer seeds as scratch seeds with pairing='paired', but got 2 scratch and 1 transfer seeds."),
        (dict(gold=[1], scratch_seeds=[[1]] * 9, transfer_seeds=[[1]] * 8), ValueError,
         "Expected at most 16 scratch and transfer seeds in total, but got 17 (9 scratch, 8 transfer)."),
        (dict(gold=[1], scratch=[1], transfer=[1], pairing="best"), ValueError,
         "Expected argument `pairing` to be one of ('auto', 'paired', 'all'), but got 'best'."),
        (dict(gold=[1], scratch=[1], transfer=[1], consensus=0), ValueError,
         "Expected argument `consensus` to be a share in (0, 1], but got 0."),
        (dict(gold=[1], scratch=[1], transfer=[1], confidence=1.5), ValueError,
         "Expected argument `confidence` to be in (0, 1), but got 1.5."),
        (dict(gold=[1], scratch=[1], transfer=[1], spans="yes"), ValueError,
         "Expected argument `spans` to be 'auto', True or False, but got 'yes'."),
        (dict(gold=[["NN"]], scratch=[["NN"]], transfer=[["NN"]], spans=True), ValueError,
         "Expected BIO / IOB labels (O, B-X, I-X, ...) for `spans=True`, but got labels such as 'NN'."),
        (dict(gold=[1], scratch=[1], transfer=[1], slices=["caps"]), TypeError,
         "Expected argument `slices` to be a mapping of name to callable(token) -> bool, but got list."),
        (dict(gold=[1], scratch=[1], transfer=[1], ignore_label="O"), TypeError,
         "Expected argument `ignore_label` to be an int label like `gold`, but got 'O'."),
        (dict(gold=[1, 1], scratch=[1, 1], transfer=[1, 1], ignore_label=1), ValueError,
         "Expected at least one item to evaluate after `mask` / `ignore_label`, but got 0."),
        (dict(gold=[1, 1], scratch=[1, 1], transfer=[1, 1], mask=[1, 0]), TypeError,
         "Expected argument `mask` to hold booleans (True = evaluate), but got int64 values."),
        (dict(gold=[1, 1], scratch=[1, 1], transfer=[1, 1], tokens=[1, 2]), TypeError,
         "Expected argument `tokens` to hold strings, but got int64 values."),
    ],
)
def test_bad_input(kwargs: dict[str, object], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=re.escape(message)):
        report(**kwargs)


def test_n_bootstrap_must_be_non_negative() -> None:
    with pytest.raises(ValueError, match=re.escape("Expected argument `n_bootstrap` to be an int >= 0, but got -1.")):
        transfer_report(gold=[1], scratch=[1], transfer=[1], n_bootstrap=-1)


def test_transfer_counts_checks_like_the_report() -> None:
    with pytest.raises(ValueError, match=re.escape("Expected argument `transfer` to have 2 labels like `gold`")):
        transfer_counts(gold=[1, 2], scratch=[1, 2], transfer=[1])


def test_streaming_errors_leave_state_untouched() -> None:
    evaluator = TransferEvaluator(n_bootstrap=0)
    with pytest.raises(ValueError, match=re.escape("Expected at least one `update()` before `compute()`, but got none.")):
        evaluator.compute()
    evaluator.update(gold=[1, 2], scratch_seeds=[[1, 2], [1, 1]], transfer=[2, 2])
    with pytest.raises(ValueError, match=re.escape("Expected 2 `scratch` seeds like the first update, but got 1.")):
        evaluator.update(gold=[1], scratch=[1], transfer=[1])
    with pytest.raises(TypeError, match=re.escape("Expected `gold` to be a flat sequence of labels like the first update")):
        evaluator.update(gold=[[1]], scratch_seeds=[[[1]], [[1]]], transfer=[[1]])
    with pytest.raises(TypeError, match=re.escape("Expected `gold` labels of type int like the first update, but got str.")):
        evaluator.update(gold=["a"], scratch_seeds=[["a"], ["a"]], transfer=["a"])
    with pytest.raises(ValueError, match=re.escape("Expected `tokens` in every update or in none")):
        evaluator.update(gold=[1], scratch_seeds=[[1], [1]], transfer=[1], tokens=["x"])
    assert evaluator.compute().n == 2


@pytest.mark.parametrize(
    ("content", "kwargs", "message"),
    [
        ("NN\nVB JJ\n", {}, "line 2: expected one label per line, but got 2 fields: 'VB JJ'."),
        ("a NN\nb\n", {"format": "conll", "label_col": 1}, "line 2: expected a column 1 (`label_col`), but the line has 1 columns: 'b'."),
        ("\n\n", {}, "expected at least one label, but the file has none."),
    ],
)
def test_reader_errors_name_file_and_line(tmp_path: object, content: str, kwargs: dict[str, object], message: str) -> None:
    path = tmp_path / "pred.txt"  # type: ignore[operator]
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=re.escape(f"{path}") + ".*" + re.escape(message)):
        read_label_file(path, **kwargs)  # type: ignore[arg-type]


def test_reader_rejects_bad_bytes_and_options(tmp_path: object) -> None:
    path = tmp_path / "bad.txt"  # type: ignore[operator]
    path.write_bytes(b"NN\n\xff\xfe\n")
    with pytest.raises(ValueError, match=re.escape(f"{path}, line 2: expected UTF-8 text")):
        read_label_file(path)
    with pytest.raises(ValueError, match=re.escape("Expected argument `format` to be one of ('lines', 'conll'), but got 'csv'.")):
        read_label_file(path, format="csv")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_label_file(tmp_path / "missing.txt")  # type: ignore[operator]
