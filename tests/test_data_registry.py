"""Registry: names, data folder resolution, missing files, and the fixed split sizes on the real corpora."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mitigate.data import (
    REGISTRY,
    SHA256,
    DatasetSplits,
    default_cache_dir,
    get_spec,
    list_datasets,
    load_dataset,
    resolve_data_dir,
    verify_dataset,
)

DOCUMENTED = {  # sentences per split, from ../shared/data/README.md and the fixed split rules
    "conll2000-chunk": (8042, 894, 2012),  # 8,936 train with the last 10% held out; test 2,012
    "conll2003-ner": (14041, 3250, 3453),
    "tpos": (551, 118, 118),
    "tchunk": (552, 118, 118),  # 788 tweets (one extra Dutch tweet)
    "ritter-ner": (1676, 359, 359),  # 2,394 tweets
    "tweebank": (1639, 710, 1201),
    "ewt-pos": (12544, 2001, 2077),
    "ewt-xpos": (12544, 2001, 2077),
}
DOCUMENTED_TOKENS = {
    "conll2000-chunk": 211_727 + 47_377,
    "conll2003-ner": 203_621 + 51_362 + 46_435,
    "tpos": 15_185,
    "tchunk": 15_211,
    "ritter-ner": 46_469,
    "tweebank": 24_753 + 11_759 + 19_095,
    "ewt-pos": 204_577 + 25_147 + 25_094,
}


@pytest.fixture(scope="module")
def loaded(shared_data: Path) -> dict[str, DatasetSplits]:
    """Every registered dataset read once from the real corpora (about 1 s in all)."""
    return {name: load_dataset(name, data_dir=shared_data) for name in REGISTRY}


def n_tokens(splits: DatasetSplits) -> int:
    return sum(len(sentence.tokens) for part in (splits.train, splits.dev, splits.test) for sentence in part)


def test_names_and_close_matches() -> None:
    assert list_datasets() == [
        "wsj-pos", "conll2000-chunk", "conll2003-ner", "tpos", "tchunk", "ritter-ner", "tweebank",
        "ewt-pos", "ewt-xpos",
    ]  # fmt: skip
    with pytest.raises(ValueError, match=r"Unknown dataset 'twebank'\. Did you mean 'tweebank'\? Known datasets: wsj"):
        get_spec("twebank")
    with pytest.raises(ValueError, match=r"Unknown dataset 'zzz'\. Known datasets: wsj-pos, conll2000-chunk"):
        load_dataset("zzz")
    with pytest.raises(TypeError, match="Expected argument `name` to be a str, but got int."):
        get_spec(3)  # type: ignore[arg-type]


def test_every_registry_file_has_a_checksum() -> None:
    for spec in REGISTRY.values():
        assert set(spec.files) <= set(SHA256), spec.name
        assert spec.downloads or spec.no_download_reason, spec.name


def test_resolution_order(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MITIGATE_DATA", str(tmp_path / "env"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert resolve_data_dir(tmp_path / "explicit") == tmp_path / "explicit"
    assert resolve_data_dir() == tmp_path / "env"
    monkeypatch.delenv("MITIGATE_DATA")
    assert resolve_data_dir() == tmp_path / "xdg" / "mitigate" / "data" == default_cache_dir()
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_cache_dir() == Path.home() / ".cache" / "mitigate" / "data"
    with pytest.raises(TypeError, match="Expected argument `data_dir` to be a path or None, but got int."):
        resolve_data_dir(3)  # type: ignore[arg-type]


def test_missing_files_say_which_path_and_how_to_get_them(tmp_path: Path) -> None:
    path = tmp_path / "ritter-twitter" / "ner.txt"
    message = re.escape(f"Dataset 'ritter-ner' is missing 1 file(s) under {tmp_path}, e.g. {path}.")
    with pytest.raises(FileNotFoundError, match=message + r".*MITIGATE_DATA.*mitigate data download ritter-ner"):
        load_dataset("ritter-ner", data_dir=tmp_path)
    with pytest.raises(FileNotFoundError, match=r"download is not offered \(its train file is rebuilt"):
        load_dataset("ewt-xpos", data_dir=tmp_path)


def test_env_var_points_at_the_data(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    folder = tmp_path / "ritter-twitter"
    folder.mkdir()
    (folder / "pos.txt").write_text("".join(f"w{i} NN\n\n" for i in range(20)), encoding="utf-8")
    monkeypatch.setenv("MITIGATE_DATA", str(tmp_path))
    splits = load_dataset("tpos")
    assert (len(splits.train), len(splits.dev), len(splits.test)) == (14, 3, 3)
    assert [check.status for check in verify_dataset("tpos")] == ["mismatch"]


@pytest.mark.realdata
def test_split_sizes_equal_the_documented_ones(loaded: dict[str, DatasetSplits]) -> None:
    for name, spec in REGISTRY.items():
        splits = loaded[name]
        sizes = (len(splits.train), len(splits.dev), len(splits.test))
        assert sizes == spec.sizes, name
        assert len(splits.tagset()) == spec.n_tags, name
        assert splits.task == spec.task and splits.name == name
        if name in DOCUMENTED:
            assert sizes == DOCUMENTED[name], name
        if name in DOCUMENTED_TOKENS:
            assert n_tokens(splits) == DOCUMENTED_TOKENS[name], name
        assert all(len(s.tokens) == len(s.tags) > 0 for part in (splits.train, splits.dev, splits.test) for s in part)


@pytest.mark.realdata
def test_span_tags_are_iob2_upper_case(loaded: dict[str, DatasetSplits]) -> None:
    for name in ("conll2003-ner", "tchunk", "conll2000-chunk", "ritter-ner"):
        splits = loaded[name]
        previous = "O"
        for sentence in splits.train:
            for tag in sentence.tags:
                assert tag == "O" or tag[:2] in ("B-", "I-"), (name, tag)
                if tag.startswith("I-"):
                    assert previous[2:] == tag[2:], (name, sentence)
                previous = tag
            previous = "O"
    assert "B-NP" in loaded["tchunk"].tagset()


def _count_trees(text: str) -> tuple[int, int]:
    """Sentences (top-level trees) and non-trace leaves of a .mrg file."""
    trees = depth = leaves = 0
    for match in re.finditer(r"\(([^\s()]+) [^\s()]+\)|\(|\)", text):
        if match.group(1) is not None:
            leaves += match.group(1) != "-NONE-"
        elif match.group(0) == "(":
            depth += 1
        else:
            depth -= 1
            trees += depth == 0
    return trees, leaves


@pytest.mark.realdata
def test_wsj_sentences_agree_with_the_treebank_trees(shared_data: Path, loaded: dict[str, DatasetSplits]) -> None:
    splits = loaded["wsj-pos"]
    tokens = [n_tokens(DatasetSplits("x", "pos", part, [], [])) for part in (splits.train, splits.dev, splits.test)]
    assert tokens == [81_902, 6_328, 5_970]  # README: ~81.8k / ~6.3k / ~6.0k
    combined = sorted((shared_data / "wsj-ptb-nltk-sample/treebank/combined").glob("wsj_*.mrg"))
    trees, leaves = map(sum, zip(*(_count_trees(path.read_text()) for path in combined)))
    assert (trees, leaves) == (3914, 94_084)  # the README's reference counts come from the parse trees
    n_sentences = len(splits.train) + len(splits.dev) + len(splits.test)
    assert n_sentences == 3923  # the .pos files hold 116 tokens more than the trees (extra `''`, a few headlines)
    assert abs(n_sentences - trees) / trees < 0.005
    assert "-NONE-" not in splits.tagset()


@pytest.mark.realdata
def test_recorded_checksums_match_the_shared_sums_and_files(shared_data: Path) -> None:
    listed = {}
    for line in (shared_data / "SHA256SUMS").read_text().splitlines():
        digest, path = line.split(maxsplit=1)
        listed[path.removeprefix("./")] = digest
    assert {path: listed[path] for path in SHA256} == SHA256
    for name in ("tpos", "tweebank"):
        assert {check.status for check in verify_dataset(name, data_dir=shared_data)} == {"ok"}
