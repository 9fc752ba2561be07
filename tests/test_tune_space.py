import optuna
import pytest

from mitigate.session.strategy import Strategy
from mitigate.tune import (resolve_strategy, search_space, strategies_from_record, suggest_composition,
                           suggest_strategy)
from mitigate.tune import _space
from mitigate.tune._fakes import FakeDamping, FakeNoise

DAMP = "mitigate.tune._fakes:FakeDamping"
NOISE = "mitigate.tune._fakes:FakeNoise"


class OtherUpdate(Strategy):
    name = "other_update"

    def claims(self) -> frozenset[str]:
        return frozenset({"fake:update"})

    @classmethod
    def suggest(cls, trial, *, prefix=""):
        trial.suggest_int(f"{prefix}k", 1, 2)
        return cls()


def test_composition_searches_which_strategies_and_records_them() -> None:
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    seen = set()
    for _ in range(20):
        trial = study.ask()
        chosen = suggest_composition(trial, candidates=[DAMP, NOISE])
        seen.add(tuple(type(s).__name__ for s in chosen))
        record = trial.user_attrs["strategies"]
        assert [r["name"] for r in record] == [
            {"FakeDamping": DAMP, "FakeNoise": NOISE}[type(s).__name__] for s in chosen]
        assert strategies_from_record(record).__repr__() == chosen.__repr__()
        study.tell(trial, 0.0)
    assert seen == {(), ("FakeDamping",), ("FakeNoise",), ("FakeDamping", "FakeNoise")}


def test_conflicting_claims_drop_the_later_strategy() -> None:
    trial = optuna.trial.FixedTrial({f"use:{DAMP}": True, f"{DAMP}.strength": 0.1,
                                     f"use:{__name__}:OtherUpdate": True, f"{__name__}:OtherUpdate.k": 1})
    chosen = suggest_composition(trial, candidates=[DAMP, OtherUpdate])
    assert [type(s) for s in chosen] == [FakeDamping]
    assert trial.user_attrs["dropped_strategies"] == [f"{__name__}:OtherUpdate"]


def test_suggest_strategy_strips_prefix() -> None:
    strategy, params = suggest_strategy(optuna.trial.FixedTrial({"p.level": 2}), FakeNoise, prefix="p.")
    assert params == {"level": 2} and strategy.level == 2


def test_search_space_lists_parameters() -> None:
    assert search_space(NOISE) == {"level": "int in [0, 3]"}


def test_empty_candidates_is_an_empty_search_space() -> None:
    with pytest.raises(ValueError, match=r"Expected argument `candidates` to list at least one strategy, but got \[\]"):
        suggest_composition(optuna.trial.FixedTrial({}), candidates=[])


def test_strategy_without_space_is_refused() -> None:
    with pytest.raises(ValueError, match=r"declares no search space"):
        search_space("mitigate.tune._fakes:FakeNoSpace")


def test_unknown_strategy_lists_the_valid_ones(monkeypatch) -> None:
    registry = {"fake_damping": FakeDamping, "fake_noise": FakeNoise}
    monkeypatch.setattr(_space, "_registry", lambda: (registry.__getitem__, list(registry)))
    with pytest.raises(ValueError, match=r"Unknown strategy 'fake-damping'\. Valid strategies: fake_damping, fake_noise\. "
                       r"Did you mean fake_damping"):
        resolve_strategy("fake-damping")
    assert resolve_strategy("fake_damping") is FakeDamping
    assert _space.strategy_label(FakeDamping) == "fake_damping"


def test_bad_import_path_is_explained() -> None:
    with pytest.raises(ValueError, match=r"importable 'module:Class' path, but got 'nowhere:Thing'"):
        resolve_strategy("nowhere:Thing")
    with pytest.raises(TypeError, match=r"Strategy subclass, but got int"):
        resolve_strategy(int)
