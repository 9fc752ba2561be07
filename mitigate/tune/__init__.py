"""Tune mitigation strategies with Optuna: search spaces, gain-vs-NT objectives, storages, workers, results.

>>> from mitigate.tune import Objective
>>> Objective(kind="gain_vs_nt").names
('gain', 'nt')
"""

from mitigate.tune._config import TuneConfig, load_config, parse_config
from mitigate.tune._metrics import flatten_labels, transfer_metrics
from mitigate.tune._objective import OBJECTIVES, Objective, TransferObjective
from mitigate.tune._plots import save_plots
from mitigate.tune._results import SCHEMA, best_configurations, write_best
from mitigate.tune._run import build_objective, tune
from mitigate.tune._scenarios import tagging_scenario
from mitigate.tune._scratch import scratch_reference
from mitigate.tune._space import (resolve_strategy, search_space, strategies_from_record, strategy_label,
                                  suggest_composition, suggest_strategy)
from mitigate.tune._storage import describe_storage, open_storage, retry_callback
from mitigate.tune._study import (count_finished, create_study_once, make_pruner, make_sampler, requeue_stale_trials,
                                  run_worker)
from mitigate.tune._task import FunctionTask, ScenarioTask, TransferTask

__all__ = [
    "OBJECTIVES", "SCHEMA", "FunctionTask", "Objective", "ScenarioTask", "TransferObjective", "TransferTask", "TuneConfig",
    "best_configurations", "build_objective", "count_finished", "create_study_once", "describe_storage",
    "flatten_labels", "load_config", "make_pruner", "make_sampler", "open_storage", "parse_config",
    "requeue_stale_trials", "resolve_strategy", "retry_callback", "run_worker", "save_plots", "scratch_reference", "search_space",
    "strategies_from_record", "strategy_label", "tagging_scenario", "suggest_composition", "suggest_strategy", "transfer_metrics", "tune",
    "write_best",
]
