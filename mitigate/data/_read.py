"""Any user dataset: read a tagged file by format, or build splits from user files."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from mitigate.data._conll import read_conll
from mitigate.data._conllu import read_conllu
from mitigate.data._ptb import read_ptb
from mitigate.data._splits import hold_out_tail
from mitigate.data._types import DatasetSplits, SentenceList

Format = Literal["conll", "conllu", "ptb"]
PathLike = str | os.PathLike[str]
_FORMATS = ("conll", "conllu", "ptb")


def read_tagged(
    path: PathLike | Sequence[PathLike],
    *,
    format: Format = "conll",
    token_col: int = 0,
    label_col: int = -1,
    sep: str | None = None,
    iob1: bool = False,
    tag: Literal["upos", "xpos"] = "upos",
) -> SentenceList:
    """Read one tagged file, or several concatenated in order, in a given format.

    ``format="conll"`` uses ``token_col``, ``label_col``, ``sep`` and ``iob1``; ``"conllu"`` uses ``tag``
    (UPOS or XPOS); ``"ptb"`` reads Penn Treebank ``.pos`` files. A missing file raises ``FileNotFoundError``
    naming it.

    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "mine.tsv")
    >>> _ = open(path, "w").write("Hi\\tUH\\n@you\\tUSR\\n\\n")
    >>> read_tagged(path, format="conll")
    [Sentence(tokens=('Hi', '@you'), tags=('UH', 'USR'))]
    """
    if format not in _FORMATS:
        raise ValueError(f"Expected argument `format` to be one of {list(_FORMATS)}, but got {format!r}.")
    paths = [path] if isinstance(path, (str, os.PathLike)) else list(path)
    if not paths:
        raise ValueError("Expected argument `path` to name at least one file, but got an empty sequence.")
    result = SentenceList(source=", ".join(str(item) for item in paths))
    for item in paths:
        if not isinstance(item, (str, os.PathLike)):
            raise TypeError(f"Expected argument `path` to hold paths, but got {type(item).__name__}.")
        if not Path(item).is_file():
            raise FileNotFoundError(f"Tagged file not found: {item}.")
        if format == "conll":
            part = read_conll(item, token_col=token_col, label_col=label_col, sep=sep, iob1=iob1)
        elif format == "conllu":
            part = read_conllu(item, tag=tag)
        else:
            part = read_ptb(item)
        result.extend(part)
        result.skipped_empty += part.skipped_empty
    return result


def load_splits(
    *,
    train: PathLike | Sequence[PathLike],
    test: PathLike | Sequence[PathLike],
    dev: PathLike | Sequence[PathLike] | None = None,
    dev_fraction: float = 0.10,
    name: str = "custom",
    task: str = "custom",
    format: Format = "conll",
    **reader_options: object,
) -> DatasetSplits:
    """Build :class:`DatasetSplits` from your files; without ``dev``, the last ``dev_fraction`` of train is held out.

    ``reader_options`` go to :func:`read_tagged` (``token_col``, ``label_col``, ``sep``, ``iob1``, ``tag``).

    >>> import tempfile, os
    >>> folder = tempfile.mkdtemp()
    >>> for split, n in (("train", 10), ("test", 2)):
    ...     _ = open(os.path.join(folder, split), "w").write("a DT\\ncat NN\\n\\n" * n)
    >>> splits = load_splits(train=os.path.join(folder, "train"), test=os.path.join(folder, "test"), task="pos")
    >>> len(splits.train), len(splits.dev), len(splits.test), splits.tagset()
    (9, 1, 2, ['DT', 'NN'])
    """
    train_sentences = read_tagged(train, format=format, **reader_options)  # type: ignore[arg-type]
    if dev is None:
        train_list, dev_list = hold_out_tail(train_sentences, fraction=dev_fraction)
    else:
        train_list = list(train_sentences)
        dev_list = list(read_tagged(dev, format=format, **reader_options))  # type: ignore[arg-type]
    test_list = list(read_tagged(test, format=format, **reader_options))  # type: ignore[arg-type]
    return DatasetSplits(name=name, task=task, train=train_list, dev=dev_list, test=test_list)
