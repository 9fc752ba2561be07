"""Config parsing: typos and wrong types are named with their line and key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mitigate.bench import load_config, parse_config, read_tuning_output

FAKE = "mitigate.bench._fakes:FakeTaggingScenario"
GOOD = f"""name = "grid"
seeds = [0, 1]

[[pairs]]
factory = "{FAKE}"
params = {{ n_sentences = 5 }}

[[pairs]]
label = "second"
factory = "{FAKE}"

[[strategies]]
strategy = "none"
"""


def test_good_config_builds_the_grid_in_reuse_order() -> None:
    config = parse_config(GOOD)
    ids = [cell.cell_id for cell in config.cells()]
    assert len(ids) == 4
    assert ids[0] == f"{FAKE}|none|seed=0"
    assert ids[2] == "second|none|seed=0"
    assert config.config_hash == parse_config(GOOD).config_hash


def test_hash_changes_with_a_setting_but_not_with_the_description() -> None:
    base = parse_config(GOOD).config_hash
    assert parse_config(GOOD.replace("n_sentences = 5", "n_sentences = 6")).config_hash != base
    assert parse_config('description = "x"\n' + GOOD).config_hash == base


def test_unknown_key_names_line_table_and_suggestion() -> None:
    text = GOOD.replace('label = "second"', 'lable = "second"')
    with pytest.raises(ValueError, match=r"<config>:9: unknown key `lable` in \[\[pairs\]\] #2 .*did you mean `label`\?"):
        parse_config(text)


def test_wrong_type_names_line_and_key() -> None:
    with pytest.raises(TypeError, match=r"<config>:2: expected key `seeds` at top level to be a list of int, but got str \('0'\)"):
        parse_config(GOOD.replace("seeds = [0, 1]", 'seeds = "0"'))
    text = GOOD.replace('params = { n_sentences = 5 }', 'params = "n_sentences=5"')
    with pytest.raises(TypeError, match=r"<config>:6: expected key `params` in \[\[pairs\]\] #1 to be a table"):
        parse_config(text)


def test_file_errors_carry_the_path(tmp_path: Path) -> None:
    file = tmp_path / "grid.toml"
    file.write_text(GOOD + 'param = { alpha = 1 }\n')
    with pytest.raises(ValueError, match=rf"{file}:14: unknown key `param` in \[\[strategies\]\] #1 .*did you mean `params`"):
        load_config(file)
    with pytest.raises(FileNotFoundError, match="Expected argument `config` to be an existing TOML file"):
        load_config(tmp_path / "missing.toml")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("seeds = [0, 1]", "seeds = [0, 0]", r"<config>:2: expected key `seeds` to hold distinct seeds"),
        ("seeds = [0, 1]", "seeds = [0]\nsplit = \"train\"", r"<config>:3: expected key `split` to be one of \['dev', 'test'\]"),
        ('label = "second"\n', "", r"duplicate label .* in \[\[pairs\]\] #2 \(also #1\)"),
        ('strategy = "none"', 'strategy = "none"\ncompose = []', r"needs exactly one of `strategy`, `compose` or `from_tuning`"),
        (f'factory = "{FAKE}"\nparams', 'factory = "nocolon"\nparams', r"<config>:5: expected key `factory` to look like 'module:callable'"),
        ("[[pairs]]\nlabel", "[[pairs]]\nscenario = \"digits\"\nlabel", r"needs exactly one of `scenario`"),
        ("= [0, 1]", "= [0, 1", r"<config>: invalid TOML"),
        (f'factory = "{FAKE}"\nparams', 'scenario = "digit"\nparams', r"<config>:5: unknown scenario 'digit' .*did you mean 'digits'\?"),
    ],
)
def test_bad_configs(old: str, new: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_config(GOOD.replace(old, new, 1))


def test_unknown_registry_strategy_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    strategies = pytest.importorskip("mitigate.strategies")
    if not hasattr(strategies, "available"):
        pytest.skip("the strategy registry is not available yet")
    with pytest.raises(ValueError, match=r"<config>:13: unknown strategy 'l2_sp_typo'"):
        parse_config(GOOD.replace('strategy = "none"', 'strategy = "l2_sp_typo"'))


def test_from_tuning_reads_the_best_config(tmp_path: Path) -> None:
    best = tmp_path / "best.json"
    best.write_text(json.dumps({"strategy": "mitigate.bench._fakes:FakeShield", "params": {"strength": 0.4}}))
    file = tmp_path / "grid.toml"
    file.write_text(GOOD.replace('strategy = "none"', 'from_tuning = "best.json"'))
    spec = load_config(file).strategies[0]
    assert spec.items == (("mitigate.bench._fakes:FakeShield", {"strength": 0.4}),)
    assert spec.label == "tuned:mitigate.bench._fakes:FakeShield"
    best.write_text("[1, 2]")
    with pytest.raises(ValueError, match=rf"{file}:13: Expected item 1 of the tuning output"):
        load_config(file)
    best.unlink()
    with pytest.raises(ValueError, match=rf"{file}:13: Expected `from_tuning` to be an existing JSON file"):
        load_config(file)


def test_tuning_output_shapes(tmp_path: Path) -> None:
    file = tmp_path / "t.json"
    entries = [{"strategies": []}, {"strategies": [{"name": "l2sp", "params": {"alpha": 0.1}}]}]
    file.write_text(json.dumps({"schema": "mitigate.tune.best/1", "best": entries}))
    assert read_tuning_output(file) == ()
    assert read_tuning_output(file, pick=1) == (("l2sp", {"alpha": 0.1}),)
    with pytest.raises(ValueError, match=r"Expected `pick` to index the 2 best configuration\(s\) of .*, but got 2"):
        read_tuning_output(file, pick=2)
    file.write_text(json.dumps({"strategies": [{"name": "a", "params": {}}, {"strategy": "b", "params": {"x": 1}}]}))
    assert read_tuning_output(file) == (("a", {}), ("b", {"x": 1}))
    file.write_text("not json")
    with pytest.raises(ValueError, match="to hold JSON, but it does not"):
        read_tuning_output(file)


def test_strategies_from_a_tuning_output_are_built_through_their_search_space(tmp_path: Path) -> None:
    from mitigate.bench._build import build_strategies
    from mitigate.strategies import L2SP, Relearn

    record = [{"name": "relearn", "params": {"preset": "keep-fe", "init": "orthogonal"}},
              {"name": "l2sp", "params": {"alpha": 0.05, "beta": 0.001}}]
    file = tmp_path / "best.json"
    file.write_text(json.dumps({"schema": "mitigate.tune.best/1", "best": [{"strategies": record}]}))
    grid = tmp_path / "grid.toml"
    grid.write_text(GOOD.replace('strategy = "none"', 'from_tuning = "best.json"'))
    relearn, l2sp = build_strategies(load_config(grid).strategies[0])
    assert isinstance(relearn, Relearn) and isinstance(l2sp, L2SP)
    assert l2sp.alpha == 0.05 and l2sp.beta == 0.001
