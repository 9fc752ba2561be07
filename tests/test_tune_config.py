import pytest

from mitigate.tune import load_config, parse_config

DAMP = "mitigate.tune._fakes:FakeDamping"


def raw(**sections):
    base = {"scenario": {"factory": "mitigate.tune._fakes:FakeScenario"}, "search": {"strategies": [DAMP]}}
    base.update(sections)
    return base


def test_defaults_and_fixed_parameters() -> None:
    cfg = parse_config(raw(search={"strategies": [DAMP], "fixed": {f"{DAMP}.strength": 0.3}}), name="x")
    assert cfg.fixed == {f"{DAMP}.strength": 0.3} and cfg.objective.kind == "gain_vs_nt" and cfg.scratch_seeds == (0,)


def test_unknown_parameter_lists_the_valid_ones() -> None:
    with pytest.raises(ValueError, match=r"Unknown parameter 'strenght' of strategy '.*FakeDamping'.*"
                                         r"Valid parameters of .*: strength \(float in \[0\.0, 1\.0\]\)"):
        parse_config(raw(search={"strategies": [DAMP], "fixed": {f"{DAMP}.strenght": 0.3}}))
    with pytest.raises(ValueError, match=r"Unknown parameter 'other\.x' in \[search\] fixed.*Valid parameters: use:"):
        parse_config(raw(search={"strategies": [DAMP], "fixed": {"other.x": 1}}))


def test_unknown_sections_keys_and_strategies() -> None:
    with pytest.raises(ValueError, match=r"Unknown section \[trials\].*Valid sections: study, scenario"):
        parse_config(raw(trials={}))
    with pytest.raises(ValueError, match=r"Unknown key\(s\) \['directions'\] in \[study\]\. Valid keys: constrain_nt_to_churn"):
        parse_config(raw(study={"directions": 2}))
    with pytest.raises(ValueError, match=r"importable 'module:Class' path, but got 'nope:Nope'"):
        parse_config(raw(search={"strategies": ["nope:Nope"]}))


def test_empty_search_space_and_other_bad_values() -> None:
    with pytest.raises(ValueError, match=r"\[search\] strategies to be a non-empty list.*the search space would be empty"):
        parse_config(raw(search={"strategies": []}))
    with pytest.raises(ValueError, match=r"\[study\] objective to be one of"):
        parse_config(raw(study={"objective": "loss"}))
    with pytest.raises(ValueError, match=r"\[seeds\] scratch to hold >= 2 seeds for objective 'gain_minus_excess_nt'"):
        parse_config(raw(study={"objective": "gain_minus_excess_nt"}))
    with pytest.raises(ValueError, match=r"\[scenario\] factory to be a 'module:callable' string, but got None"):
        parse_config({"search": {"strategies": [DAMP]}})


def test_load_config_reads_toml_and_names_the_study_after_the_file(tmp_path) -> None:
    path = tmp_path / "pair.toml"
    path.write_text(f'[scenario]\nfactory = "mitigate.tune._fakes:FakeScenario"\n[search]\nstrategies = ["{DAMP}"]\n')
    assert load_config(path).study_name == "pair"
    (tmp_path / "bad.toml").write_text("[scenario\n")
    with pytest.raises(ValueError, match=r"is not valid TOML"):
        load_config(tmp_path / "bad.toml")
    with pytest.raises(FileNotFoundError, match=r"does not exist"):
        load_config(tmp_path / "missing.toml")
