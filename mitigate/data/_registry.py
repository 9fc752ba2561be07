"""The registry of named datasets: where each lives under the data folder, its fixed splits and its public origin."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from mitigate.data._conll import read_conll
from mitigate.data._conllu import read_conllu
from mitigate.data._iob import iob1_to_iob2
from mitigate.data._ptb import read_ptb
from mitigate.data._splits import hold_out_tail, split_by_fraction
from mitigate.data._types import Sentence

Splits = tuple[list[Sentence], list[Sentence], list[Sentence]]


@dataclass(frozen=True)
class Download:
    """One public file to fetch: a plain file saved at ``dest``, or a zip archive whose ``members`` are extracted.

    ``members`` maps a path inside the archive to a path under the data folder.
    """

    url: str
    dest: str | None = None
    members: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class DatasetSpec:
    """One named dataset: its files (relative to the data folder), measured split sizes and how to load it."""

    name: str
    task: str
    domain: str
    description: str
    origin: str
    license: str
    files: tuple[str, ...]
    sizes: tuple[int, int, int]
    n_tags: int
    loader: Callable[[Path], Splits] = field(repr=False, compare=False)
    downloads: tuple[Download, ...] = ()
    no_download_reason: str = ""


def _wsj_file(number: int) -> str:
    return f"wsj-ptb-nltk-sample/treebank/tagged/wsj_{number:04d}.pos"


_WSJ_RANGES = {"train": range(1, 160), "dev": range(160, 180), "test": range(180, 200)}


def _load_wsj(root: Path) -> Splits:
    parts = []
    for numbers in _WSJ_RANGES.values():
        parts.append([sentence for number in numbers for sentence in read_ptb(root / _wsj_file(number))])
    return parts[0], parts[1], parts[2]


def _load_conll2000(root: Path) -> Splits:
    train, dev = hold_out_tail(read_conll(root / "conll2000/conll2000/train.txt"), fraction=0.10)
    return train, dev, list(read_conll(root / "conll2000/conll2000/test.txt"))


def _load_conll2003(root: Path) -> Splits:
    read = [list(read_conll(root / f"conll2003/eng.{part}", iob1=True)) for part in ("train", "testa", "testb")]
    return read[0], read[1], read[2]


def _chunk_tags(sentences: list[Sentence]) -> list[Sentence]:
    # chunk.txt writes `b-np`; 17 of its tags are an orphan `i-x` after `o` or another type, which
    # the IOB1 rule (as conlleval reads them) turns into `B-X`, leaving valid IOB2.
    return [
        Sentence(sentence.tokens, iob1_to_iob2([tag.upper() for tag in sentence.tags])) for sentence in sentences
    ]


def _ritter(file: str, *, chunk: bool = False) -> Callable[[Path], Splits]:
    def load(root: Path) -> Splits:
        sentences = list(read_conll(root / "ritter-twitter" / file))
        return split_by_fraction(_chunk_tags(sentences) if chunk else sentences, train=0.70, dev=0.15)

    return load


def _conllu_splits(paths: tuple[str, str, str], tag: str) -> Callable[[Path], Splits]:
    def load(root: Path) -> Splits:
        read = [list(read_conllu(root / path, tag=tag)) for path in paths]  # type: ignore[arg-type]
        return read[0], read[1], read[2]

    return load


_NLTK = "https://raw.githubusercontent.com/nltk/nltk_data/gh-pages/packages/corpora"
_RITTER = "https://raw.githubusercontent.com/aritter/twitter_nlp/master/data/annotated"
_CONLL2003 = "https://raw.githubusercontent.com/ZhixiuYe/HSCRF-pytorch/master/data"
_TWEEBANK = "https://raw.githubusercontent.com/Oneplus/Tweebank/master"

_WSJ_FILES = tuple(_wsj_file(number) for numbers in _WSJ_RANGES.values() for number in numbers)
_TWEEBANK_FILES = tuple(f"tweebank-v2/en-ud-tweet-{part}.conllu" for part in ("train", "dev", "test"))
_EWT_FILES = (
    "ud-english-ewt/en_ewt-ud-train.rebuilt.conllu",
    "ud-english-ewt/en_ewt-ud-dev.conllu",
    "ud-english-ewt/en_ewt-ud-test.conllu",
)
_EWT_NO_DOWNLOAD = (
    "its train file is rebuilt from the UD_English-EWT repository's sources, so no single public file matches "
    "the recorded checksum"
)


def _plain(base: str, folder: str, names: tuple[str, ...]) -> tuple[Download, ...]:
    return tuple(Download(url=f"{base}/{name}", dest=f"{folder}/{name}") for name in names)


REGISTRY: dict[str, DatasetSpec] = {
    spec.name: spec
    for spec in (
        DatasetSpec(
            name="wsj-pos",
            task="pos",
            domain="news",
            description="WSJ POS, the NLTK 10% sample of the Penn Treebank (files 0001-0159 / 0160-0179 / 0180-0199)",
            origin="nltk/nltk_data : packages/corpora/treebank.zip",
            license="LDC fair-use sample, non-commercial",
            files=_WSJ_FILES,
            sizes=(3398, 278, 247),
            n_tags=45,
            loader=_load_wsj,
            downloads=(
                Download(
                    url=f"{_NLTK}/treebank.zip",
                    members=tuple((path.removeprefix("wsj-ptb-nltk-sample/"), path) for path in _WSJ_FILES),
                ),
            ),
        ),
        DatasetSpec(
            name="conll2000-chunk",
            task="chunk",
            domain="news",
            description="CoNLL-2000 chunking (IOB2); dev = last 10% of train",
            origin="nltk/nltk_data : packages/corpora/conll2000.zip",
            license="none stated (WSJ-derived)",
            files=("conll2000/conll2000/train.txt", "conll2000/conll2000/test.txt"),
            sizes=(8042, 894, 2012),
            n_tags=22,
            loader=_load_conll2000,
            downloads=(
                Download(
                    url=f"{_NLTK}/conll2000.zip",
                    members=tuple(
                        (f"conll2000/{name}", f"conll2000/conll2000/{name}") for name in ("train.txt", "test.txt")
                    ),
                ),
            ),
        ),
        DatasetSpec(
            name="conll2003-ner",
            task="ner",
            domain="news",
            description="CoNLL-2003 English NER, IOB1 converted to IOB2 (train / testa / testb)",
            origin="ZhixiuYe/HSCRF-pytorch : data/eng.{train,testa,testb} (a public copy)",
            license="Reuters RCV1 terms",
            files=("conll2003/eng.train", "conll2003/eng.testa", "conll2003/eng.testb"),
            sizes=(14041, 3250, 3453),
            n_tags=9,
            loader=_load_conll2003,
            downloads=_plain(_CONLL2003, "conll2003", ("eng.train", "eng.testa", "eng.testb")),
        ),
        DatasetSpec(
            name="tpos",
            task="pos",
            domain="tweets",
            description="Ritter et al. 2011 tweets POS (TPoS), 70/15/15 in file order",
            origin="aritter/twitter_nlp : data/annotated/pos.txt",
            license="GPL-3.0",
            files=("ritter-twitter/pos.txt",),
            sizes=(551, 118, 118),
            n_tags=47,
            loader=_ritter("pos.txt"),
            downloads=_plain(_RITTER, "ritter-twitter", ("pos.txt",)),
        ),
        DatasetSpec(
            name="tchunk",
            task="chunk",
            domain="tweets",
            description="Ritter et al. 2011 tweets chunking (TChunk), upper-cased IOB2, 70/15/15",
            origin="aritter/twitter_nlp : data/annotated/chunk.txt",
            license="GPL-3.0",
            files=("ritter-twitter/chunk.txt",),
            sizes=(552, 118, 118),
            n_tags=18,
            loader=_ritter("chunk.txt", chunk=True),
            downloads=_plain(_RITTER, "ritter-twitter", ("chunk.txt",)),
        ),
        DatasetSpec(
            name="ritter-ner",
            task="ner",
            domain="tweets",
            description="Ritter et al. 2011 tweets NER (10 types, IOB2), 70/15/15 in file order",
            origin="aritter/twitter_nlp : data/annotated/ner.txt",
            license="GPL-3.0",
            files=("ritter-twitter/ner.txt",),
            sizes=(1676, 359, 359),
            n_tags=21,
            loader=_ritter("ner.txt"),
            downloads=_plain(_RITTER, "ritter-twitter", ("ner.txt",)),
        ),
        DatasetSpec(
            name="tweebank",
            task="pos",
            domain="tweets",
            description="TweeBank v2, UPOS",
            origin="Oneplus/Tweebank : en-ud-tweet-{train,dev,test}.conllu",
            license="CC BY-NC-SA 4.0",
            files=_TWEEBANK_FILES,
            sizes=(1639, 710, 1201),
            n_tags=17,
            loader=_conllu_splits(_TWEEBANK_FILES, "upos"),
            downloads=_plain(_TWEEBANK, "tweebank-v2", tuple(Path(path).name for path in _TWEEBANK_FILES)),
        ),
        DatasetSpec(
            name="ewt-pos",
            task="pos",
            domain="web",
            description="UD English-EWT web text, UPOS",
            origin="UniversalDependencies/UD_English-EWT (train rebuilt from the repository's sources)",
            license="CC BY-SA 4.0",
            files=_EWT_FILES,
            sizes=(12544, 2001, 2077),
            n_tags=17,
            loader=_conllu_splits(_EWT_FILES, "upos"),
            no_download_reason=_EWT_NO_DOWNLOAD,
        ),
        DatasetSpec(
            name="ewt-xpos",
            task="pos",
            domain="web",
            description="UD English-EWT web text, XPOS (gold PTB tags)",
            origin="UniversalDependencies/UD_English-EWT (train rebuilt from the repository's sources)",
            license="CC BY-SA 4.0",
            files=_EWT_FILES,
            sizes=(12544, 2001, 2077),
            n_tags=49,
            loader=_conllu_splits(_EWT_FILES, "xpos"),
            no_download_reason=_EWT_NO_DOWNLOAD,
        ),
    )
}


def list_datasets() -> list[str]:
    """Names of the registered datasets, in registry order.

    >>> list_datasets()[:3]
    ['wsj-pos', 'conll2000-chunk', 'conll2003-ner']
    """
    return list(REGISTRY)


def get_spec(name: str) -> DatasetSpec:
    """The registry entry for ``name``; an unknown name lists the known ones and suggests close matches.

    >>> get_spec("tpos").task
    'pos'
    """
    if not isinstance(name, str):
        raise TypeError(f"Expected argument `name` to be a str, but got {type(name).__name__}.")
    if name in REGISTRY:
        return REGISTRY[name]
    close = difflib.get_close_matches(name, list(REGISTRY), n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(repr(match) for match in close)}?" if close else ""
    raise ValueError(f"Unknown dataset {name!r}.{hint} Known datasets: {', '.join(REGISTRY)}.")
