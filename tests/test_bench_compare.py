"""Reading each strategy against the reference, paired by seed; reporting several configs' grids together."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mitigate.bench import ResultsFile, parse_config, read_results, run_benchmark, write_report
from mitigate.bench._aggregate import compare_to_reference

FAKE = "mitigate.bench._fakes:FakeTaggingScenario"


def cell(strategy: str, seed: int, gain: float, nt: float, pair: str = "p") -> dict:
    return {"pair": pair, "strategy": strategy, "seed": seed, "metrics": {"gain": gain, "nt": nt}}


@pytest.mark.parametrize(
    ("gains", "nts", "verdict"),
    [
        ([0.000, 0.001, -0.001], [-0.010, -0.011, -0.009], "lower NT, gain kept"),
        ([-0.010, -0.011, -0.009], [-0.010, -0.011, -0.009], "lower NT, lower gain"),
        ([0.010, 0.011, 0.009], [0.000, 0.002, -0.002], "higher gain"),
        ([0.010, 0.011, 0.009], [0.010, 0.011, 0.009], "higher gain, higher NT"),
        ([-0.010, -0.011, -0.009], [0.000, 0.002, -0.002], "lower gain"),
        ([0.000, 0.002, -0.002], [0.010, 0.011, 0.009], "higher NT"),
        ([0.010, -0.010, 0.001], [0.010, -0.010, 0.001], "no difference beyond seed noise"),
    ],
)
def test_verdicts_read_the_paired_intervals(gains: list[float], nts: list[float], verdict: str) -> None:
    records = [cell("fine-tune", s, 0.02, 0.03) for s in range(3)]
    records += [cell("other", s, 0.02 + g, 0.03 + n) for s, (g, n) in enumerate(zip(gains, nts))]
    (comparison,) = compare_to_reference(records, reference="fine-tune")
    assert comparison.verdict == verdict
    assert comparison.seeds == [0, 1, 2]
    assert comparison.gain[0] == pytest.approx(sum(gains) / 3)


def test_only_common_seeds_are_paired_and_pairs_without_the_reference_are_skipped() -> None:
    records = [cell("fine-tune", s, 0.02, 0.03) for s in range(3)] + [cell("other", s, 0.03, 0.03) for s in (1, 2, 5)]
    records += [cell("other", 0, 0.1, 0.1, pair="q")]
    (comparison,) = compare_to_reference(records, reference="fine-tune")
    assert (comparison.pair, comparison.seeds) == ("p", [1, 2])
    assert compare_to_reference([cell("a", 0, 0.0, 0.0)], reference="a") == []


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.floats(-0.2, 0.2), st.floats(0.0, 0.2)), min_size=2, max_size=6))
def test_a_strategy_identical_to_the_reference_shows_no_difference(runs: list[tuple[float, float]]) -> None:
    records = [cell(name, seed, gain, nt) for name in ("ref", "same") for seed, (gain, nt) in enumerate(runs)]
    (comparison,) = compare_to_reference(records, reference="ref")
    assert comparison.gain == (0.0, 0.0) and comparison.nt == (0.0, 0.0)
    assert comparison.verdict == "no difference beyond seed noise"


def grid(name: str, strategy: str) -> str:
    return (f'name = "{name}"\nseeds = [0, 1]\n[[pairs]]\nlabel = "tweets"\nfactory = "{FAKE}"\n'
            f'params = {{ n_sentences = 12 }}\n[[strategies]]\nlabel = "{strategy}"\n'
            + ('strategy = "none"\n' if strategy == "fine-tune" else
               'strategy = "mitigate.bench._fakes:FakeShield"\nparams = { strength = 0.8 }\n'))


def test_grids_of_two_configs_report_together_with_the_comparison(tmp_path: Path) -> None:
    base = run_benchmark(config=parse_config(grid("base", "fine-tune")), out_dir=tmp_path / "a", progress=False)
    extra = run_benchmark(config=parse_config(grid("extra", "shield")), out_dir=tmp_path / "b", progress=False)
    summary = write_report(results=[base.results, extra.results], out_dir=tmp_path / "report").read_text()
    assert "| shield | 2 |" in summary and "Against `fine-tune`, paired by seed" in summary
    assert "## Lower NT than `fine-tune` without losing gain" in summary
    rows = (tmp_path / "report" / "comparison.csv").read_text().splitlines()
    assert rows[0].startswith("pair,strategy,reference") and rows[1].startswith("tweets,shield,fine-tune,2,")
    record = read_results(extra.results)[0]
    assert record["strategy_states"] == [{"strategy": "FakeShield", "state": {}}]
    # Another version of the same config is still refused.
    other = tmp_path / "other.jsonl"
    ResultsFile(other, config_hash="0123456789abcdef").append(record | {"cell": "x"})
    with pytest.raises(ValueError, match="config 'extra' has"):
        write_report(results=[extra.results, other], out_dir=tmp_path / "r2")


def test_the_docs_table_script_reads_both_grids(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import runpy

    base = run_benchmark(config=parse_config(grid("base", "fine-tune")), out_dir=tmp_path / "a", progress=False)
    extra = run_benchmark(config=parse_config(grid("extra", "shield")), out_dir=tmp_path / "b", progress=False)
    script = runpy.run_path(str(Path(__file__).resolve().parents[1] / "experiments" / "bench_tables.py"))
    assert script["main"]([str(base.results), str(extra.results)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("| pair | strategy | seeds |")
    assert any(line.startswith("| tweets | fine-tune | 2 |") and line.endswith("| reference |") for line in lines)
    assert any(line.startswith("| tweets | shield | 2 |") for line in lines)
    other = tmp_path / "other.jsonl"  # another version of the "extra" config: refused, as by `mitigate bench report`
    ResultsFile(other, config_hash="0123456789abcdef").append(read_results(extra.results)[0] | {"cell": "x"})
    with pytest.raises(ValueError, match="config 'extra' has"):
        script["main"]([str(extra.results), str(other)])
