"""The benchmark harness: a grid of strategies × source→target pairs × seeds, resumable, shareable, reported.

``run_benchmark(config=..., out_dir=...)`` runs the grid (``mitigate bench CONFIG``), ``write_report`` turns a results
file into tables and figures (``mitigate bench report RESULTS``). See ``docs/benchmarking.md``.
"""

from mitigate.bench._aggregate import Aggregate, Comparison, aggregate, compare_to_reference, rank_strategies, winners
from mitigate.bench._build import SCENARIOS
from mitigate.bench._config import BenchConfig, PairSpec, StrategySpec, load_config, parse_config
from mitigate.bench._distributed import collect_results, open_storage, study_name_for
from mitigate.bench._evaluate import check_alignment, evaluate_cell
from mitigate.bench._grid import Cell
from mitigate.bench._report import read_grids, write_report
from mitigate.bench._results import ResultsFile, read_results
from mitigate.bench._runner import BenchRun, run_benchmark
from mitigate.bench._tuning import read_tuning_output

__all__ = [
    "SCENARIOS",
    "Aggregate",
    "Comparison",
    "BenchConfig",
    "BenchRun",
    "Cell",
    "PairSpec",
    "ResultsFile",
    "StrategySpec",
    "aggregate",
    "check_alignment",
    "collect_results",
    "compare_to_reference",
    "evaluate_cell",
    "load_config",
    "open_storage",
    "parse_config",
    "rank_strategies",
    "read_grids",
    "read_results",
    "read_tuning_output",
    "run_benchmark",
    "study_name_for",
    "winners",
    "write_report",
]
