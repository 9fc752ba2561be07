"""Reader for CoNLL-U files (Universal Dependencies)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from mitigate.data._clean import clean_token
from mitigate.data._errors import DataFormatError
from mitigate.data._types import Sentence, SentenceList

_TAG_COLUMN = {"upos": 3, "xpos": 4}


def read_conllu(path: str | Path, *, tag: Literal["upos", "xpos"] = "upos") -> SentenceList:
    """Read a CoNLL-U file, tagging each word with its UPOS (column 4) or XPOS (column 5).

    Comment lines (``#``), multiword-token ranges (``1-2``) and empty nodes (``1.1``) are skipped, so the
    tokens are the syntactic words.

    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "tiny.conllu")
    >>> rows = ["# text = I'm here", "1-2\\tI'm\\t_\\t_\\t_\\t_\\t_\\t_\\t_\\t_",
    ...         "1\\tI\\tI\\tPRON\\tPRP\\t_\\t3\\tnsubj\\t_\\t_", "2\\t'm\\tbe\\tAUX\\tVBP\\t_\\t3\\tcop\\t_\\t_",
    ...         "3\\there\\there\\tADV\\tRB\\t_\\t0\\troot\\t_\\t_", ""]
    >>> _ = open(path, "w").write("\\n".join(rows))
    >>> read_conllu(path)[0].tags, read_conllu(path, tag="xpos")[0].tags
    (('PRON', 'AUX', 'ADV'), ('PRP', 'VBP', 'RB'))
    """
    if tag not in _TAG_COLUMN:
        raise ValueError(f"Expected argument `tag` to be one of ['upos', 'xpos'], but got {tag!r}.")
    column = _TAG_COLUMN[tag]
    path = Path(path)
    sentences = SentenceList(source=str(path))
    tokens: list[str] = []
    tags: list[str] = []
    in_sentence = False
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            line = line.rstrip("\r\n")
            if not line.strip():
                if tokens:
                    sentences.append(Sentence(tuple(tokens), tuple(tags)))
                elif in_sentence:
                    sentences.skipped_empty += 1
                tokens, tags, in_sentence = [], [], False
                continue
            if line.startswith("#"):
                in_sentence = True
                continue
            fields = line.split("\t")
            if len(fields) != 10:
                raise DataFormatError(
                    f"expected 10 tab-separated fields, but got {len(fields)}: {line!r}", path=path, line=number
                )
            in_sentence = True
            if "-" in fields[0] or "." in fields[0]:
                continue
            token = clean_token(fields[1])
            if token:
                tokens.append(token)
                tags.append(fields[column])
    if tokens:
        sentences.append(Sentence(tuple(tokens), tuple(tags)))
    elif in_sentence:
        sentences.skipped_empty += 1
    return sentences
