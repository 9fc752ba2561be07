"""Readers for prediction files: one label per line, or CoNLL-style columns; blank line = sentence break."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["LabelFile", "read_label_file"]

_FORMATS = ("lines", "conll")


@dataclass(frozen=True)
class LabelFile:
    """Sentences of labels read from one file, with tokens when the format has them (``conll``).

    >>> LabelFile(path="gold.txt", labels=[["NN", "VB"]], tokens=None).labels
    [['NN', 'VB']]
    """

    path: str
    labels: list[list[str]]
    tokens: list[list[str]] | None


def read_label_file(
    path: str | Path, *, format: str = "lines", token_col: int = 0, label_col: int = -1
) -> LabelFile:
    """Read one prediction (or gold) file into sentences of labels.

    ``lines``: one label per line. ``conll``: whitespace-separated columns, token in ``token_col`` and label in
    ``label_col`` (negative counts from the end); ``-DOCSTART-`` lines are skipped. In both, a blank line ends a
    sentence. Errors name the file and the 1-based line number.

    >>> import tempfile, os
    >>> with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
    ...     _ = handle.write("NN\\nVB\\n\\nDT\\n")
    >>> read_label_file(handle.name).labels
    [['NN', 'VB'], ['DT']]
    >>> os.remove(handle.name)
    """
    if format not in _FORMATS:
        raise ValueError(f"Expected argument `format` to be one of {_FORMATS}, but got {format!r}.")
    for name, value in (("token_col", token_col), ("label_col", label_col)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"Expected argument `{name}` to be an int column index, but got {value!r}.")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Expected `{path}` to be a readable file, but it does not exist.")
    labels: list[list[str]] = []
    tokens: list[list[str]] = []
    sentence_labels: list[str] = []
    sentence_tokens: list[str] = []
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                line = raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError as error:
                raise ValueError(
                    f"{path}, line {number}: expected UTF-8 text, but got undecodable bytes ({error.reason})."
                ) from error
            fields = line.split()
            if not fields:
                if sentence_labels:
                    labels.append(sentence_labels)
                    tokens.append(sentence_tokens)
                    sentence_labels, sentence_tokens = [], []
                continue
            if format == "lines":
                if len(fields) != 1:
                    raise ValueError(
                        f"{path}, line {number}: expected one label per line, but got {len(fields)} fields: {line!r}."
                    )
                sentence_labels.append(fields[0])
                continue
            if fields[0] == "-DOCSTART-":
                continue
            for name, column in (("token_col", token_col), ("label_col", label_col)):
                if not -len(fields) <= column < len(fields):
                    raise ValueError(
                        f"{path}, line {number}: expected a column {column} (`{name}`), but the line has "
                        f"{len(fields)} columns: {line!r}."
                    )
            sentence_tokens.append(fields[token_col])
            sentence_labels.append(fields[label_col])
    if sentence_labels:
        labels.append(sentence_labels)
        tokens.append(sentence_tokens)
    if not labels:
        raise ValueError(f"{path}: expected at least one label, but the file has none.")
    return LabelFile(path=str(path), labels=labels, tokens=tokens if format == "conll" else None)
